// SPDX-License-Identifier: GPL-2.0
/* The etcd backend's connection: the URL, the endpoints and how a call
 * fails over between them, TLS and user/password authentication, and the
 * JSON gateway's encoding (base64, int64 strings, omitted defaults).
 *
 * URL: etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE][?OPTION=VALUE&...]
 *   cacert=FILE    CA bundle for the members' certificates (https)
 *   cert=FILE, key=FILE   client certificate and key (https)
 *   tls=1          https with the system's CAs
 *   user=NAME, password-file=FILE   etcd authentication; the password is
 *                  read from a file, never from the URL (URLs end up in
 *                  process lists and logs)
 *   timeout=MS     one attempt on one endpoint (default 3000)
 *   deadline=MS    one call with its retries (default 10000)
 * NAMESPACE is prepended to every key, so fleets (or tests) can share a
 * cluster. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "store/etcd.h"

#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_DEADLINE_MS 10000
#define CONNECT_TIMEOUT_MS 1000
#define MAX_PASSWORD 1024

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- configuration ---- */

static int read_password(const char *path, char **out, struct tenet_err *err)
{
	char *buf = NULL;
	struct stat sb;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return tenet_err_set(err, -errno, "etcd password-file %s: %s", path,
				     strerror(errno));
	if (fstat(fd, &sb) < 0) {
		ret = tenet_err_set(err, -errno, "etcd password-file %s: %s", path,
				    strerror(errno));
		goto out;
	}
	/* A secret others may read may be known to them already. */
	if (sb.st_mode & 0007) {
		ret = tenet_err_set(err, -EACCES,
				    "etcd password-file %s: readable by others (chmod o-rwx)", path);
		goto out;
	}
	buf = calloc(1, MAX_PASSWORD + 1);
	if (!buf) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	n = read(fd, buf, MAX_PASSWORD);
	if (n < 0) {
		ret = tenet_err_set(err, -errno, "etcd password-file %s: %s", path,
				    strerror(errno));
		goto out;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!n) {
		ret = tenet_err_set(err, -EINVAL, "etcd password-file %s: empty", path);
		goto out;
	}
	*out = buf;
	buf = NULL;
out:
	if (buf) {
		sodium_memzero(buf, MAX_PASSWORD);
		free(buf);
	}
	close(fd);
	return ret;
}

static int parse_ms(const char *v, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n <= 0 || n > 3600 * 1000)
		return -EINVAL;
	*out = n;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

/* One option of the URL's query. */
static int parse_option(struct etcd_conf *c, char *opt, bool *tls, char **pwfile,
			struct tenet_err *err)
{
	char *v = strchr(opt, '=');
	int ret = 0;

	if (!v)
		return tenet_err_set(err, -EINVAL, "etcd option %s: no value (use %s=VALUE)",
				     opt, opt);
	*v++ = '\0';
	if (!strcmp(opt, "cacert"))
		ret = set_str(&c->cacert, v);
	else if (!strcmp(opt, "cert"))
		ret = set_str(&c->cert, v);
	else if (!strcmp(opt, "key"))
		ret = set_str(&c->key, v);
	else if (!strcmp(opt, "user"))
		ret = set_str(&c->user, v);
	else if (!strcmp(opt, "password-file"))
		ret = set_str(pwfile, v);
	else if (!strcmp(opt, "tls")) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return tenet_err_set(err, -EINVAL, "etcd option tls=%s: use 0 or 1", v);
		*tls = *v == '1';
	} else if (!strcmp(opt, "timeout") || !strcmp(opt, "deadline")) {
		if (parse_ms(v, !strcmp(opt, "timeout") ? &c->timeout_ms : &c->deadline_ms) < 0)
			return tenet_err_set(err, -EINVAL,
					     "etcd option %s=%s: milliseconds, 1..3600000", opt, v);
	} else if (!strcmp(opt, "password")) {
		/* Never echo the value. */
		return tenet_err_set(err, -EINVAL,
				     "etcd option password: not in the URL (use password-file=FILE)");
	} else {
		return tenet_err_set(err, -EINVAL,
				     "etcd option %s: unknown (cacert, cert, key, tls, user, "
				     "password-file, timeout, deadline)", opt);
	}
	return ret < 0 ? tenet_err_set(err, ret, "out of memory") : 0;
}

/* HOST:PORT, HOST a name, an IPv4 address or [IPv6]. */
static int check_endpoint(const char *ep, struct tenet_err *err)
{
	const char *colon = strrchr(ep, ':');
	char *end;
	long port;

	if (!colon || colon == ep || (ep[0] == '[' && colon[-1] != ']'))
		return tenet_err_set(err, -EINVAL, "etcd endpoint '%s': not HOST:PORT", ep);
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535)
		return tenet_err_set(err, -EINVAL, "etcd endpoint '%s': bad port", ep);
	if (strcspn(ep, " \t/?#@") != strlen(ep))
		return tenet_err_set(err, -EINVAL, "etcd endpoint '%s': not HOST:PORT", ep);
	return 0;
}

int etcd_conf_parse(const char *location, struct etcd_conf *c, struct tenet_err *err)
{
	char *copy = strdup(location), *query, *path, *ep, *save = NULL, *pwfile = NULL;
	bool tls = false;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = DEFAULT_TIMEOUT_MS;
	c->deadline_ms = DEFAULT_DEADLINE_MS;
	if (!copy)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	query = strchr(copy, '?');
	if (query)
		*query++ = '\0';
	path = strchr(copy, '/');
	c->ns = strdup(path ? path : "");
	if (!c->ns) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	c->ns_len = strlen(c->ns);
	if (c->ns_len > 256) {
		ret = tenet_err_set(err, -EINVAL, "etcd namespace: longer than 256 bytes");
		goto out;
	}
	if (path)
		*path = '\0';
	for (char *opt = query ? strtok_r(query, "&", &save) : NULL; opt;
	     opt = strtok_r(NULL, "&", &save)) {
		ret = parse_option(c, opt, &tls, &pwfile, err);
		if (ret < 0)
			goto out;
	}
	if (c->cacert || c->cert || c->key)
		tls = true;
	if (!c->cert != !c->key) {
		ret = tenet_err_set(err, -EINVAL, "etcd options cert and key: give both or neither");
		goto out;
	}
	if (!c->user != !pwfile) {
		ret = tenet_err_set(err, -EINVAL,
				    "etcd options user and password-file: give both or neither");
		goto out;
	}
	if (pwfile) {
		ret = read_password(pwfile, &c->password, err);
		if (ret < 0)
			goto out;
	}
	save = NULL;
	for (ep = strtok_r(copy, ",", &save); ep; ep = strtok_r(NULL, ",", &save)) {
		char **p;

		ret = check_endpoint(ep, err);
		if (ret < 0)
			goto out;
		p = realloc(c->endpoints, (c->n + 1) * sizeof(*p));
		if (!p || asprintf(&p[c->n], "%s://%s", tls ? "https" : "http", ep) < 0) {
			if (p)
				c->endpoints = p;
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		c->endpoints = p;
		c->n++;
	}
	if (!c->n)
		ret = tenet_err_set(err, -EINVAL, "etcd: no endpoint (etcd://HOST:PORT[,...])");
out:
	free(pwfile);
	free(copy);
	if (ret < 0)
		etcd_conf_free(c);
	return ret;
}

void etcd_conf_free(struct etcd_conf *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->endpoints[i]);
	free(c->endpoints);
	free(c->ns);
	free(c->cacert);
	free(c->cert);
	free(c->key);
	free(c->user);
	if (c->password) {
		sodium_memzero(c->password, MAX_PASSWORD);
		free(c->password);
	}
	memset(c, 0, sizeof(*c));
}

/* ---- encoding ---- */

json_t *etcd_b64(const void *p, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *buf = malloc(len);
	json_t *j;

	if (!buf)
		return NULL;
	sodium_bin2base64(buf, len, p, n, sodium_base64_VARIANT_ORIGINAL);
	j = json_stringn_nocheck(buf, len - 1);
	free(buf);
	return j;
}

json_t *etcd_b64_key(const struct etcd *e, const char *key, size_t len)
{
	char *buf = malloc(e->c.ns_len + len + 1);
	json_t *j;

	if (!buf)
		return NULL;
	memcpy(buf, e->c.ns, e->c.ns_len);
	memcpy(buf + e->c.ns_len, key, len);
	j = etcd_b64(buf, e->c.ns_len + len);
	free(buf);
	return j;
}

int etcd_unb64(const json_t *j, char **out, size_t *n)
{
	const char *s = json_string_value(j);
	size_t len = j ? json_string_length(j) : 0, bin;
	char *buf;

	*out = NULL;
	*n = 0;
	if (j && !s)
		return -EBADMSG;
	buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	if (len && sodium_base642bin((unsigned char *)buf, len / 4 * 3 + 2, s, len, NULL, &bin,
				     NULL, sodium_base64_VARIANT_ORIGINAL) < 0) {
		free(buf);
		return -EBADMSG;
	}
	if (!len)
		bin = 0;
	buf[bin] = '\0';
	*out = buf;
	*n = bin;
	return 0;
}

int64_t etcd_int(const json_t *obj, const char *field)
{
	const json_t *v = json_object_get(obj, field);

	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return json_integer_value(v);
	return 0;
}

int64_t etcd_header_rev(const json_t *resp)
{
	return etcd_int(json_object_get(resp, "header"), "revision");
}

int etcd_kv(const struct etcd *e, const json_t *j, struct tenet_kv *kv)
{
	char *key = NULL;
	size_t klen;
	int ret;

	memset(kv, 0, sizeof(*kv));
	ret = etcd_unb64(json_object_get(j, "key"), &key, &klen);
	if (ret < 0)
		return ret;
	if (klen < e->c.ns_len || memcmp(key, e->c.ns, e->c.ns_len)) {
		free(key);
		return -EBADMSG;
	}
	memmove(key, key + e->c.ns_len, klen - e->c.ns_len + 1);
	kv->key = key;
	kv->create_rev = etcd_int(j, "create_revision");
	kv->mod_rev = etcd_int(j, "mod_revision");
	kv->version = etcd_int(j, "version");
	/* An empty value is left out, like every default. */
	ret = etcd_unb64(json_object_get(j, "value"), &kv->value, &kv->value_len);
	if (ret < 0)
		tenet_kv_clear(kv);
	return ret;
}

json_t *etcd_probe_key(const struct etcd *e)
{
	return etcd_b64_key(e, ETCD_PROBE_KEY, strlen(ETCD_PROBE_KEY));
}

int etcd_prefix_range(const struct etcd *e, const char *prefix, json_t *req)
{
	size_t plen = strlen(prefix), len = e->c.ns_len + plen;
	char *full = malloc(len + 1), *end = NULL;
	int ret = -ENOMEM;

	if (!full)
		return -ENOMEM;
	memcpy(full, e->c.ns, e->c.ns_len);
	memcpy(full + e->c.ns_len, prefix, plen + 1);
	if (tenet_prefix_end(full, &end) < 0)
		goto out;
	/* An empty key is not a key for etcd: "\0" is the lowest one. The
	 * end "\0" means "no upper bound". */
	if (json_object_set_new(req, "key", len ? etcd_b64(full, len) : etcd_b64("", 1)) < 0 ||
	    json_object_set_new(req, "range_end",
				end ? etcd_b64(end, strlen(end)) : etcd_b64("", 1)) < 0)
		goto out;
	ret = 0;
out:
	free(end);
	free(full);
	return ret;
}

/* ---- errors ---- */

int etcd_curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EACCES;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* gRPC codes: 3 InvalidArgument, 5 NotFound, 7 PermissionDenied, 8
 * ResourceExhausted, 9 FailedPrecondition, 11 OutOfRange, 14
 * Unavailable, 16 Unauthenticated. *retry: the same call may go to etcd
 * again (a write only when etcd says it was not proposed). */
int etcd_grpc_errno(int code, const char *msg, bool write, bool *retry)
{
	*retry = false;
	if (strstr(msg, "invalid auth token") || strstr(msg, "auth: revision in header is old")) {
		*retry = true;  /* refused before anything was proposed */
		return -EACCES;
	}
	/* Refusals etcd may send under several codes. */
	if (strstr(msg, "permission denied") || strstr(msg, "authentication failed") ||
	    strstr(msg, "user name is empty") || strstr(msg, "invalid user"))
		return -EACCES;
	switch (code) {
	case 3:
		if (strstr(msg, "too many operations"))
			return -E2BIG;
		if (strstr(msg, "too large"))
			return -EMSGSIZE;
		return -EINVAL;
	case 5:
		return -ENOENT;
	case 7:
	case 16:
		return -EACCES;
	case 8:
		*retry = true;  /* too many requests: refused up front */
		return -EAGAIN;
	case 11:
		return strstr(msg, "compacted") ? -ESTALE : -EINVAL;
	case 14:
	case 2:
	case 4:
		/* No leader, a dropped proposal, a stopped or not yet capable
		 * server: not proposed. Timeouts: maybe applied. */
		if (!write || strstr(msg, "no leader") || strstr(msg, "proposal dropped") ||
		    strstr(msg, "not capable") || strstr(msg, "too many requests"))
			*retry = true;
		return strstr(msg, "timed out") ? -ETIMEDOUT : -EAGAIN;
	default:
		return -EIO;
	}
}

/* ---- calls ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct etcd *e = arg;
	size_t len = size * n;

	if (e->body_len + len + 1 > e->body_cap) {
		size_t cap = e->body_cap ? e->body_cap : 16384;
		char *b;

		while (cap < e->body_len + len + 1)
			cap *= 2;
		b = realloc(e->body, cap);
		if (!b)
			return 0;
		e->body = b;
		e->body_cap = cap;
	}
	memcpy(e->body + e->body_len, p, len);
	e->body_len += len;
	e->body[e->body_len] = '\0';
	return len;
}

int etcd_setup_handle(struct etcd *e, CURL *h, size_t i, struct curl_slist **hdrs,
		      struct tenet_err *err)
{
	struct curl_slist *l = NULL;
	char *auth = NULL;

	curl_slist_free_all(*hdrs);
	*hdrs = NULL;
	l = curl_slist_append(l, "Content-Type: application/json");
	/* A member that lost its leader refuses at once (and ends its
	 * watches) instead of waiting: the call moves on to another one. */
	if (l)
		l = curl_slist_append(l, "Grpc-Metadata-hasleader: true");
	if (l && e->token) {
		if (asprintf(&auth, "Authorization: %s", e->token) < 0)
			auth = NULL;
		l = auth ? curl_slist_append(l, auth) : NULL;
		free(auth);
	}
	if (!l)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	*hdrs = l;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (e->c.cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->c.cacert);
	if (e->c.cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->c.cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->c.key);
	}
	(void)i;
	return 0;
}

static const char *ep_name(const struct etcd *e, size_t i)
{
	const char *p = strstr(e->c.endpoints[i], "://");

	return p ? p + 3 : e->c.endpoints[i];
}

/* One POST to endpoint i. *sent: the request may have reached etcd. */
static int post(struct etcd *e, size_t i, const char *path, const char *body, long timeout_ms,
		struct curl_slist **hdrs, bool *sent, struct tenet_err *err)
{
	char url[512];
	CURLcode rc;
	long code = 0;
	int ret;

	*sent = false;
	snprintf(url, sizeof(url), "%s/v3/%s", e->c.endpoints[i], path);
	ret = etcd_setup_handle(e, e->h, i, hdrs, err);
	if (ret < 0)
		return ret;
	e->body_len = 0;
	if (e->body)
		e->body[0] = '\0';
	curl_easy_setopt(e->h, CURLOPT_URL, url);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(e->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e->h, CURLOPT_WRITEDATA, e);
	rc = curl_easy_perform(e->h);
	if (rc != CURLE_OK) {
		curl_off_t up = 0;

		curl_easy_getinfo(e->h, CURLINFO_SIZE_UPLOAD_T, &up);
		*sent = rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST &&
			rc != CURLE_SSL_CONNECT_ERROR && (rc != CURLE_OPERATION_TIMEDOUT || up > 0);
		return tenet_err_set(err, etcd_curl_errno(rc), "etcd %s: %s", ep_name(e, i),
				     curl_easy_strerror(rc));
	}
	*sent = true;
	curl_easy_getinfo(e->h, CURLINFO_RESPONSE_CODE, &code);
	return (int)code;
}

int etcd_authenticate(struct etcd *e, struct tenet_err *err)
{
	json_t *req, *resp = NULL;
	struct etcd_status st;
	char *saved = e->token;
	int ret;

	if (!e->c.user)
		return 0;
	e->token = NULL;
	free(saved);
	req = json_pack("{s:s, s:s}", "name", e->c.user, "password", e->c.password);
	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = etcd_call(e, "auth/authenticate", req, 0, &resp, &st, err);
	/* The request held the password: wipe its text before freeing. */
	json_object_set_new(req, "password", json_string(""));
	json_decref(req);
	/* A cluster without authentication takes every request as is. */
	if (ret < 0 && strstr(st.msg, "authentication is not enabled")) {
		tenet_err_clear(err);
		return 0;
	}
	if (ret < 0)
		return ret;
	if (!json_is_string(json_object_get(resp, "token"))) {
		/* Authentication is off in the cluster: no token, no header. */
		json_decref(resp);
		return 0;
	}
	e->token = strdup(json_string_value(json_object_get(resp, "token")));
	json_decref(resp);
	return e->token ? 0 : tenet_err_set(err, -ENOMEM, "out of memory");
}

int etcd_call(struct etcd *e, const char *path, json_t *req, unsigned int flags,
	      json_t **resp, struct etcd_status *st, struct tenet_err *err)
{
	bool write = flags & EC_WRITE, sent, all_unreached = true, reauth = false;
	int64_t deadline = now_ms() + e->c.deadline_ms;
	struct curl_slist *hdrs = NULL;
	long backoff = 50;
	size_t failed = 0;
	char *body;
	int ret;

	*resp = NULL;
	memset(st, 0, sizeof(*st));
	body = json_dumps(req, JSON_COMPACT);
	if (!body)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	for (;;) {
		size_t i = e->cur;
		json_error_t jerr;
		json_t *j;
		bool retry;

		ret = post(e, i, path, body,
			   flags & EC_SLOW ? e->c.deadline_ms : e->c.timeout_ms, &hdrs, &sent, err);
		if (ret < 0) {
			/* A write that may have reached etcd is not sent twice:
			 * the caller re-reads (store.h, UNAVAILABLE). */
			if (write && sent) {
				tenet_err_set(err, ret, "etcd %s: %s: no answer (%s); the write may have been applied",
					      ep_name(e, i), path, strerror(-ret));
				goto out;
			}
			all_unreached &= !sent;
			goto next;
		}
		j = json_loadb(e->body, e->body_len, 0, &jerr);
		if (ret == 200 && j && json_is_object(j)) {
			*resp = j;
			ret = 0;
			goto out;
		}
		if (!j || !json_is_object(j) || !json_is_integer(json_object_get(j, "code"))) {
			json_decref(j);
			/* With authentication on, etcd's gateway refuses a
			 * client certificate with a CommonName (it could not
			 * pass it on as the user), in plain text. */
			if (strstr(e->body ?: "", "CommonName of client")) {
				ret = tenet_err_set(err, -EACCES,
						    "etcd %s: authentication is on and the JSON gateway refuses client certificates with a CommonName: use one without CN, and user=NAME&password-file=FILE",
						    ep_name(e, i));
				goto out;
			}
			ret = tenet_err_set(err, -EPROTO, "etcd %s: %s: HTTP %d, not an etcd v3 answer",
					    ep_name(e, i), path, ret);
			goto out;
		}
		st->grpc = (int)json_integer_value(json_object_get(j, "code"));
		snprintf(st->msg, sizeof(st->msg), "%s",
			 json_string_value(json_object_get(j, "message")) ?: "unknown error");
		json_decref(j);
		ret = tenet_err_set(err, etcd_grpc_errno(st->grpc, st->msg, write, &retry),
				    "etcd %s: %s: %s", ep_name(e, i), path, st->msg);
		if (ret == -EACCES && retry && e->c.user && !reauth &&
		    strcmp(path, "auth/authenticate")) {
			/* The token expired: log in again, once per call. */
			reauth = true;
			ret = etcd_authenticate(e, err);
			if (ret < 0)
				goto out;
			continue;
		}
		if (!retry)
			goto out;
		all_unreached = false;
next:
		e->cur = (e->cur + 1) % e->c.n;
		if (++failed < e->c.n)
			continue;
		/* Every endpoint failed once. Nobody listening anywhere:
		 * the cluster is down, say so now. Otherwise (an election,
		 * a busy leader) wait a little and go round again. */
		if (all_unreached || now_ms() + backoff >= deadline)
			goto out;
		usleep((useconds_t)backoff * 1000);
		backoff = backoff * 2 > 1000 ? 1000 : backoff * 2;
		failed = 0;
		all_unreached = true;
	}
out:
	curl_slist_free_all(hdrs);
	curl_easy_setopt(e->h, CURLOPT_HTTPHEADER, NULL);
	if (!strcmp(path, "auth/authenticate"))
		sodium_memzero(body, strlen(body));
	free(body);
	return ret;
}

int etcd_init(struct etcd *e, const char *location, struct tenet_err *err)
{
	int ret;

	memset(e, 0, sizeof(*e));
	pthread_once(&curl_once, curl_init_once);
	if (sodium_init() < 0)
		return tenet_err_set(err, -EIO, "libsodium: init failed");
	ret = etcd_conf_parse(location, &e->c, err);
	if (ret < 0)
		return ret;
	/* Clients start on different members, as etcd's own do: a fleet's
	 * agents spread over the cluster instead of all on the first. */
	e->cur = (size_t)(getpid() ^ (now_ms() / 7)) % e->c.n;
	e->h = curl_easy_init();
	if (!e->h) {
		etcd_conf_free(&e->c);
		return tenet_err_set(err, -ENOMEM, "curl: init failed");
	}
	return 0;
}

void etcd_fini(struct etcd *e)
{
	if (e->h)
		curl_easy_cleanup(e->h);
	etcd_conf_free(&e->c);
	free(e->token);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

// SPDX-License-Identifier: GPL-2.0
/* `tenet s2s`: site-to-site VPN interfaces of gateway compartments (the
 * analogue of Add-/Set-/Remove-/Get-VpnS2SInterface, Connect- and
 * Disconnect-VpnS2SInterface). Configuration goes to the store; `show`,
 * `connect` and `disconnect` talk to charon on this host over VICI. Secrets
 * are read from a file or standard input (never from the command line),
 * sealed to the gateway host's public key and never printed. See
 * docs/vpn.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>

#include <sodium.h>

#include "cli_gw.h"
#include "kinds/s2s.h"
#include "secret/secret.h"
#include "vici/sas.h"
#include "vici/vici.h"

#define VICI_TIMEOUT_MS 10000

/* ---- secrets ---- */

/* Reads one line (without its newline) from fd into s, at most max
 * bytes: -E2BIG if longer, -ENODATA if empty. s is sodium memory. */
static int read_line_fd(int fd, unsigned char *s, size_t max, size_t *len)
{
	size_t n = 0;
	char ch;
	ssize_t r;

	while ((r = read(fd, &ch, 1)) == 1 && ch != '\n') {
		if (n == max) {
			sodium_memzero(&ch, 1);
			/* drain the line: it is not kept anywhere */
			while (read(fd, &ch, 1) == 1 && ch != '\n')
				;
			sodium_memzero(&ch, 1);
			return -E2BIG;
		}
		s[n++] = (unsigned char)ch;
	}
	sodium_memzero(&ch, 1);
	if (r < 0)
		return -errno;
	if (n && s[n - 1] == '\r')
		n--;
	*len = n;
	return n ? 0 : -ENODATA;
}

/* The secret of interface `name` from file (or standard input: "-" or
 * NULL), sealed for host's key with the record's context. */
static int seal_secret(struct cli *c, const char *host, const char *name, const char *what,
		       const char *file, char *out, size_t outlen)
{
	struct tenet_record_list keys = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	char ctx[TENET_KEY_MAX + 16];
	unsigned char *buf = NULL;
	struct termios old, quiet;
	bool tty = false;
	char *sealed = NULL;
	size_t len = 0;
	int fd = STDIN_FILENO, ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_PUBKEY, host, &keys, &err) < 0)
		return cli_lib_fail(c, &err);
	if (!keys.n) {
		tenet_record_list_free(&keys);
		return cli_fail(c, "host %s: no host key published (start tenetd on %s first: the %s is "
				"sealed to its key)", host, host, what);
	}
	if (sodium_init() < 0 || !(buf = sodium_malloc(TENET_S2S_SECRET_MAX + 1))) {
		ret = cli_fail(c, "cannot allocate secure memory for the %s", what);
		goto out;
	}
	if (file && strcmp(file, "-")) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = cli_fail(c, "secret-file %s: %s", file, strerror(errno));
			goto out;
		}
	} else if (isatty(fd) && tcgetattr(fd, &old) == 0) {
		fprintf(c->err, "%s for %s: ", what, name);
		fflush(c->err);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tty = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	ret = read_line_fd(fd, buf, TENET_S2S_SECRET_MAX, &len);
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', c->err);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret == -E2BIG) {
		ret = cli_fail(c, "%s: longer than %u bytes", what, TENET_S2S_SECRET_MAX);
		goto out;
	}
	if (ret < 0) {
		ret = cli_fail(c, "%s: %s", what, ret == -ENODATA ? "empty (give it on standard "
			       "input or with secret-file FILE)" : strerror(-ret));
		goto out;
	}
	tenet_s2s_secret_context(host, name, ctx, sizeof(ctx));
	if (tenet_secret_seal(keys.recs[0].pubkey.pubkey, ctx, buf, len, &sealed, &err) < 0) {
		ret = cli_lib_fail(c, &err);
		goto out;
	}
	if (strlen(sealed) >= outlen) {
		ret = cli_fail(c, "%s: too long to store sealed", what);
		goto out;
	}
	strcpy(out, sealed);
	ret = 0;
out:
	free(sealed);
	if (buf)
		sodium_free(buf);
	tenet_record_list_free(&keys);
	return ret;
}

/* ---- add and set ---- */

struct s2s_opts {
	const char *host;
	const char *secret_file;
	bool secret_given;              /* secret-file or `secret -` */
	bool routes_given, post_given;
	bool auth_given, mode_given;
};

/* route PREFIX[:METRIC] [metric N] */
static int parse_route(struct cli *c, int argc, char **argv, int *i, const char *kw,
		       struct tenet_s2s_route *list, uint16_t *n, bool *given)
{
	struct tenet_s2s_route r;
	struct tenet_err e;
	uint32_t m;

	if (*i + 1 >= argc)
		return cli_usage(c, "s2s %s: '%s' needs a value (PREFIX[:METRIC] or none)", c->verb, kw);
	if (!*given) {
		*n = 0;
		*given = true;
	}
	(*i)++;
	if (!strcmp(argv[*i], "none"))
		return 0;
	if (tenet_s2s_parse_route(argv[*i], &r, &e) < 0)
		return cli_usage(c, "%s '%s': %s", kw, argv[*i], e.msg);
	if (*i + 2 < argc && !strcmp(argv[*i + 1], "metric")) {
		if (cli_u32(c, "metric", argv[*i + 2], 0, TENET_S2S_METRIC_MAX, &m))
			return TENET_EXIT_USAGE;
		r.metric = m;
		*i += 2;
	}
	if (*n >= TENET_S2S_ROUTES_MAX)
		return cli_usage(c, "%s: more than %u", kw, TENET_S2S_ROUTES_MAX);
	list[(*n)++] = r;
	return 0;
}

static int need_value(struct cli *c, int argc, int i, const char *kw, const char *meta)
{
	if (i + 1 < argc)
		return 0;
	return cli_usage(c, "s2s %s: '%s' needs a value (%s)", c->verb, kw, meta);
}

/* The keywords of add and set, into s (and o for what is not a field). */
static int parse_attrs(struct cli *c, int argc, char **argv, struct tenet_s2s *s,
		       struct s2s_opts *o, bool *seen_rdomain, bool *seen_dest)
{
	struct tenet_err e;
	uint32_t addr;
	int ret = 0;

	for (int i = 0; !ret && i < argc; i++) {
		const char *kw = argv[i];

		if (!strcmp(kw, "rdomain")) {
			ret = need_value(c, argc, i, kw, "NAME");
			if (!ret)
				ret = cli_name(c, "rdomain", argv[++i], s->rdomain);
			*seen_rdomain = true;
		} else if (!strcmp(kw, "destination")) {
			ret = need_value(c, argc, i, kw, "IP|NAME");
			if (!ret && tenet_s2s_parse_destination(argv[++i], &addr, &e) < 0)
				ret = cli_usage(c, "destination '%s': %s", argv[i], e.msg);
			if (!ret)
				snprintf(s->destination, sizeof(s->destination), "%s", argv[i]);
			*seen_dest = true;
		} else if (!strcmp(kw, "source")) {
			ret = need_value(c, argc, i, kw, "IP|none");
			if (!ret && !strcmp(argv[++i], "none"))
				s->source = 0;
			else if (!ret)
				ret = cli_ip(c, "source", argv[i], &s->source);
		} else if (!strcmp(kw, "auth")) {
			ret = need_value(c, argc, i, kw, "psk|cert SUBJECT|eap USER");
			if (!ret && tenet_s2s_auth_parse(argv[++i], &s->auth, &e) < 0)
				ret = cli_usage(c, "auth '%s': %s", argv[i], e.msg);
			o->auth_given = true;
			s->peer[0] = '\0';
			if (!ret && s->auth != TENET_S2S_PSK) {
				const char *meta = s->auth == TENET_S2S_CERT ? "SUBJECT" : "USER";

				ret = need_value(c, argc, i, "auth", meta);
				if (!ret && (s->auth == TENET_S2S_CERT ?
					     tenet_s2s_check_subject(argv[i + 1], &e) :
					     tenet_s2s_check_user(argv[i + 1], &e)) < 0)
					ret = cli_usage(c, "%s '%s': %s",
							s->auth == TENET_S2S_CERT ? "subject" : "user",
							argv[i + 1], e.msg);
				if (!ret)
					snprintf(s->peer, sizeof(s->peer), "%s", argv[++i]);
			}
		} else if (!strcmp(kw, "secret-file") || !strcmp(kw, "secret")) {
			ret = need_value(c, argc, i, kw, !strcmp(kw, "secret") ? "-" : "FILE");
			if (!ret && !strcmp(kw, "secret") && strcmp(argv[i + 1], "-"))
				ret = cli_usage(c, "secret: only '-' (standard input): a secret is "
						"never given on the command line");
			if (!ret)
				o->secret_file = argv[++i];
			o->secret_given = true;
		} else if (!strcmp(kw, "route")) {
			ret = parse_route(c, argc, argv, &i, kw, s->routes, &s->nroutes,
					  &o->routes_given);
		} else if (!strcmp(kw, "postconnect")) {
			ret = parse_route(c, argc, argv, &i, kw, s->post, &s->npost, &o->post_given);
		} else if (!strcmp(kw, "initiator") || !strcmp(kw, "responder") ||
			   !strcmp(kw, "both")) {
			tenet_s2s_mode_parse(kw, &s->mode, NULL);
			o->mode_given = true;
		} else if (!strcmp(kw, "mode")) {
			ret = need_value(c, argc, i, kw, "both|initiator|responder");
			if (!ret && tenet_s2s_mode_parse(argv[++i], &s->mode, &e) < 0)
				ret = cli_usage(c, "mode '%s': %s", argv[i], e.msg);
			o->mode_given = true;
		} else if (!strcmp(kw, "dpd")) {
			ret = need_value(c, argc, i, kw, "SECONDS");
			if (!ret)
				ret = cli_u32(c, "dpd", argv[++i], 0, 3600, &s->dpd);
		} else if (!strcmp(kw, "retry")) {
			ret = need_value(c, argc, i, kw, "SECONDS");
			if (!ret)
				ret = cli_u32(c, "retry", argv[++i], 1, 3600, &s->retry);
		} else if (!strcmp(kw, "host")) {
			ret = need_value(c, argc, i, kw, "NAME");
			if (!ret)
				o->host = argv[++i];
		} else {
			ret = cli_usage(c, "s2s %s: unknown argument '%s'", c->verb, kw);
		}
	}
	return ret;
}

/* The interface name, first: not a keyword. */
static int take_name(struct cli *c, int *argc, char ***argv, char *name)
{
	const char *v;
	int ret = cli_positional(c, argc, argv, "NAME", &v);

	return ret ? ret : cli_name(c, "s2s", v, name);
}

static int finish_secret(struct cli *c, struct tenet_s2s *s, const struct s2s_opts *o)
{
	if (s->auth == TENET_S2S_CERT) {
		if (o->secret_given)
			return cli_usage(c, "secret: not used with auth cert (the certificate "
					 "chain authenticates)");
		s->secret[0] = '\0';
		return 0;
	}
	if (!o->secret_given && s->secret[0])
		return 0;
	return seal_secret(c, s->host, s->name, s->auth == TENET_S2S_PSK ? "pre-shared key" :
			   "EAP password", o->secret_file, s->secret, sizeof(s->secret));
}

static int s2s_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_S2S };
	struct tenet_s2s *s = &rec.s2s;
	struct s2s_opts o = { 0 };
	bool rd = false, dest = false;
	int ret;

	s->dpd = TENET_S2S_DPD_DEFAULT;
	s->retry = TENET_S2S_RETRY_DEFAULT;
	ret = take_name(c, &argc, &argv, s->name);
	if (!ret)
		ret = parse_attrs(c, argc, argv, s, &o, &rd, &dest);
	if (!ret && !rd)
		ret = cli_usage(c, "s2s add: missing 'rdomain NAME'");
	if (!ret && !dest)
		ret = cli_usage(c, "s2s add: missing 'destination IP|NAME'");
	if (!ret && !o.auth_given)
		ret = cli_usage(c, "s2s add: missing 'auth psk|cert SUBJECT|eap USER'");
	if (!ret && s->auth == TENET_S2S_PSK && tenet_parse_ipv4(s->destination, &(uint32_t){ 0 },
								  NULL) < 0)
		ret = cli_usage(c, "destination '%s': a PSK interface is found by its peer's address, "
				"so its destination must be an IPv4 address", s->destination);
	/* An EAP site dials; the gateway answers. */
	if (!ret && s->auth == TENET_S2S_EAP && !o.mode_given)
		s->mode = TENET_S2S_RESPONDER;
	if (!ret)
		ret = cli_host(c, o.host, s->host);
	if (!ret)
		ret = finish_secret(c, s, &o);
	return ret ? ret : cli_put(c, &rec, flags);
}

static int load_one(struct cli *c, const char *host, const char *name, struct tenet_s2s *out)
{
	struct tenet_record_list all = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_S2S, host, &all, &err) < 0)
		return cli_lib_fail(c, &err);
	ret = -ENOENT;
	for (size_t i = 0; i < all.n; i++) {
		if (!strcmp(all.recs[i].s2s.name, name)) {
			*out = all.recs[i].s2s;
			ret = 0;
			break;
		}
	}
	if (ret)
		ret = cli_fail(c, "s2s %s: no such interface on host %s", name, host);
	tenet_record_list_free(&all);
	return ret;
}

/* Changes what is given, keeps the rest (routes: a list given replaces
 * the list; `route none` empties it). */
static int s2s_set(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_S2S };
	struct tenet_s2s *s = &rec.s2s, cur;
	char name[TENET_NAME_MAX + 1], host[TENET_NAME_MAX + 1];
	struct s2s_opts o = { 0 };
	bool rd = false, dest = false;
	int ret, i;

	ret = take_name(c, &argc, &argv, name);
	/* the host first: the current record is read from it */
	for (i = 0; !ret && i + 1 < argc; i++)
		if (!strcmp(argv[i], "host"))
			o.host = argv[i + 1];
	if (!ret)
		ret = cli_host(c, o.host, host);
	if (!ret)
		ret = load_one(c, host, name, &cur);
	if (ret)
		return ret;
	*s = cur;
	ret = parse_attrs(c, argc, argv, s, &o, &rd, &dest);
	if (!ret && rd && strcmp(s->rdomain, cur.rdomain))
		ret = cli_usage(c, "rdomain: an interface cannot move to another routing domain "
				"(delete and add it again)");
	if (!ret && o.auth_given && s->auth != cur.auth && s->auth != TENET_S2S_CERT &&
	    !o.secret_given)
		s->secret[0] = '\0';    /* a new method needs its own secret */
	if (!ret && o.auth_given && s->auth == TENET_S2S_EAP && !o.mode_given)
		s->mode = TENET_S2S_RESPONDER;
	if (!ret)
		ret = finish_secret(c, s, &o);
	return ret ? ret : cli_put(c, &rec, TENET_POLICY_REPLACE);
}

static int s2s_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_S2S };
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	int ret;

	ret = take_name(c, &argc, &argv, id.s2s.name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, id.s2s.host);
	return ret ? ret : cli_del(c, &id, 0);
}

/* ---- state from charon ---- */

static const char *vici_path(const char *arg)
{
	const char *env = getenv("TENET_VICI");

	return arg ? arg : env && *env ? env : VICI_SOCKET_DEFAULT;
}

struct states {
	struct vici_sa_info *v;
	size_t n;
};

static int keep_sa(void *arg, const struct vici_sa_info *sa)
{
	struct states *st = arg;
	struct vici_sa_info *v;

	if (!tenet_s2s_conn_iface(sa->conn))
		return 0;
	v = realloc(st->v, (st->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	st->v = v;
	st->v[st->n++] = *sa;
	return 0;
}

static const struct vici_sa_info *sa_of(const struct states *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(tenet_s2s_conn_iface(st->v[i].conn), name))
			return &st->v[i];
	return NULL;
}

/* The XFRM interface is down while the agent holds the interface
 * unreachable (its peer did not answer). */
static int link_up(const char *dev)
{
	char path[64], buf[32];
	unsigned long flags;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", dev);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	flags = strtoul(buf, NULL, 0);
	return (flags & IFF_UP) != 0;
}

static json_t *routes_json(const struct tenet_s2s_route *r, uint16_t n)
{
	char p[TENET_PREFIX_STRLEN];
	json_t *a = json_array();

	for (uint16_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "prefix",
						   tenet_fmt_prefix(&r[i].prefix, p), "metric",
						   (json_int_t)r[i].metric));
	return a;
}

static json_t *iface_json(const struct tenet_s2s *s, const struct vici_sa_info *sa,
			  bool charon, time_t now)
{
	char dev[IF_NAMESIZE], a[TENET_IPV4_STRLEN], spi[16];
	const char *state;
	json_t *o;
	int up;

	tenet_s2s_devname(s->id, dev, sizeof(dev));
	up = link_up(dev);
	if (!charon)
		state = "unknown";
	else if (sa && sa->state == VICI_SA_UP)
		state = "connected";
	else if (sa)
		state = "connecting";
	else if (up == 0)
		state = "unreachable";
	else
		state = "configured";
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name", s->name, "host", s->host,
		      "rdomain", s->rdomain, "dev", dev, "if_id", (json_int_t)tenet_s2s_ifid(s->id),
		      "destination", s->destination);
	if (!o)
		return NULL;
	if (s->source)
		json_object_set_new(o, "source", json_string(tenet_fmt_ipv4(s->source, a)));
	json_object_set_new(o, "auth", json_string(tenet_s2s_auth_name(s->auth)));
	if (s->peer[0])
		json_object_set_new(o, "peer", json_string(s->peer));
	if (s->secret[0]) {
		char id[TENET_KEY_ID_LEN + 1] = "";

		tenet_sealed_parse(s->secret, id, NULL);
		json_object_set_new(o, "secret", json_pack("{s:s, s:s}", "state", "sealed", "key",
							   id));
	}
	json_object_set_new(o, "mode", json_string(tenet_s2s_mode_name(s->mode)));
	json_object_set_new(o, "dpd", json_integer(s->dpd));
	json_object_set_new(o, "retry", json_integer(s->retry));
	json_object_set_new(o, "routes", routes_json(s->routes, s->nroutes));
	json_object_set_new(o, "postconnect", routes_json(s->post, s->npost));
	json_object_set_new(o, "state", json_string(state));
	if (sa) {
		json_object_set_new(o, "remote", json_string(sa->remote_addr));
		json_object_set_new(o, "remote_id", json_string(sa->remote_id));
		json_object_set_new(o, "ike_sas", json_integer(sa->nike));
	}
	if (sa && sa->state == VICI_SA_UP) {
		json_object_set_new(o, "since", json_integer((json_int_t)(now - (time_t)sa->established)));
		snprintf(spi, sizeof(spi), "%08x", sa->spi_in);
		json_object_set_new(o, "spi_in", json_string(spi));
		snprintf(spi, sizeof(spi), "%08x", sa->spi_out);
		json_object_set_new(o, "spi_out", json_string(spi));
		json_object_set_new(o, "bytes_in", json_integer((json_int_t)sa->bytes_in));
		json_object_set_new(o, "packets_in", json_integer((json_int_t)sa->packets_in));
		json_object_set_new(o, "bytes_out", json_integer((json_int_t)sa->bytes_out));
		json_object_set_new(o, "packets_out", json_integer((json_int_t)sa->packets_out));
	}
	return o;
}

static void print_routes(FILE *f, const char *label, const json_t *a)
{
	const json_t *r;
	size_t i;

	fprintf(f, "    %s", label);
	if (!json_array_size(a))
		fputs(" none", f);
	json_array_foreach(a, i, r)
		fprintf(f, "%s %s metric %" JSON_INTEGER_FORMAT, i ? "," : "",
			json_string_value(json_object_get(r, "prefix")),
			json_integer_value(json_object_get(r, "metric")));
	fputc('\n', f);
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void print_iface(FILE *f, const json_t *o, time_t now)
{
	const char *auth = jstr(o, "auth"), *state = jstr(o, "state");

	fprintf(f, "%s: rdomain %s dev %s if_id 0x%llx destination %s", jstr(o, "name"),
		jstr(o, "rdomain"), jstr(o, "dev"), (unsigned long long)jint(o, "if_id"),
		jstr(o, "destination"));
	if (json_object_get(o, "source"))
		fprintf(f, " source %s", jstr(o, "source"));
	fprintf(f, " auth %s", auth);
	if (json_object_get(o, "peer"))
		fprintf(f, " %s '%s'", !strcmp(auth, "cert") ? "subject" : "user", jstr(o, "peer"));
	if (json_object_get(o, "secret"))
		fputs(!strcmp(auth, "psk") ? " (sealed)" : " password (sealed)", f);
	fprintf(f, " mode %s dpd %" JSON_INTEGER_FORMAT "s\n", jstr(o, "mode"), jint(o, "dpd"));
	fprintf(f, "    state %s", state);
	if (json_object_get(o, "since")) {
		time_t since = (time_t)jint(o, "since");
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&since));
		fprintf(f, " since %s (%llds)", when, (long long)(now - since));
	}
	if (json_object_get(o, "remote_id"))
		fprintf(f, " peer '%s' at %s", jstr(o, "remote_id"), jstr(o, "remote"));
	fputc('\n', f);
	if (json_object_get(o, "spi_in")) {
		fprintf(f, "    in  spi %s %" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT
			" packets\n", jstr(o, "spi_in"), jint(o, "bytes_in"), jint(o, "packets_in"));
		fprintf(f, "    out spi %s %" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT
			" packets\n", jstr(o, "spi_out"), jint(o, "bytes_out"),
			jint(o, "packets_out"));
	}
	print_routes(f, "routes", json_object_get(o, "routes"));
	print_routes(f, "postconnect", json_object_get(o, "postconnect"));
}

static int s2s_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "host", "NAME" }, { "vici", "SOCKET" }, { NULL } };
	struct tenet_record_list all = { 0 };
	struct tenet_err err = { 0 }, verr = { 0 };
	char host[TENET_NAME_MAX + 1];
	struct states st = { 0 };
	struct vici_conn *vc = NULL;
	const char *name = NULL;
	struct tenet_store *s;
	time_t now = time(NULL);
	json_t *out;
	int ret;

	if (argc > 0 && argv[0][0] && strcmp(argv[0], "host") && strcmp(argv[0], "vici")) {
		name = argv[0];
		argc--;
		argv++;
	}
	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_S2S, host, &all, &err) < 0)
		return cli_lib_fail(c, &err);
	if (vici_connect(vici_path(args[1].val), VICI_TIMEOUT_MS, &vc, &verr) == 0 &&
	    vici_sa_list(vici_conn_call, vc, NULL, keep_sa, &st, &verr) < 0) {
		vici_close(vc);
		vc = NULL;
	}
	out = json_array();
	for (size_t i = 0; i < all.n; i++) {
		const struct tenet_s2s *x = &all.recs[i].s2s;

		if (name && strcmp(name, x->name))
			continue;
		json_array_append_new(out, iface_json(x, sa_of(&st, x->name), vc != NULL, now));
	}
	if (name && !json_array_size(out)) {
		ret = cli_fail(c, "s2s %s: no such interface on host %s", name, host);
	} else if (c->json) {
		ret = cli_print(c, out, NULL);
	} else {
		size_t i;
		json_t *o;

		if (!vc)
			fprintf(c->out, "# charon not reachable (%s): states unknown\n", verr.msg);
		json_array_foreach(out, i, o)
			print_iface(c->out, o, now);
	}
	json_decref(out);
	free(st.v);
	vici_close(vc);
	tenet_record_list_free(&all);
	return ret;
}

/* ---- connect, disconnect ---- */

struct find_child {
	const char *conn;
	char child[128];
	bool found;
};

static int on_conn(void *arg, const char *name, const char *child)
{
	struct find_child *f = arg;

	if (!strcmp(name, f->conn)) {
		snprintf(f->child, sizeof(f->child), "%s", child);
		f->found = true;
	}
	return 0;
}

/* charon's log lines for the command: the last one says why it failed. */
static int on_log(void *arg, const json_t *ev)
{
	const char *msg = json_string_value(json_object_get(ev, "msg"));

	if (msg)
		snprintf(arg, 200, "%s", msg);
	return 0;
}

static int keep_state(void *arg, const struct vici_sa_info *sa)
{
	*(enum vici_sa_state *)arg = sa->state;
	return 0;
}

static int s2s_act(struct cli *c, int argc, char **argv, bool connect)
{
	enum vici_sa_state state = VICI_SA_NONE;
	struct cli_arg args[] = { { "host", "NAME" }, { "vici", "SOCKET" }, { "timeout", "SECONDS" },
				  { NULL } };
	char name[TENET_NAME_MAX + 1], host[TENET_NAME_MAX + 1], conn[TENET_NAME_MAX + 16];
	struct find_child fc = { .conn = conn };
	struct tenet_err err = { 0 };
	struct vici_conn *vc = NULL;
	struct tenet_s2s cur;
	char last[200] = "";
	uint32_t secs = 30;
	json_t *req = NULL, *resp = NULL;
	int ret;

	ret = take_name(c, &argc, &argv, name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret && args[2].val)
		ret = cli_u32(c, "timeout", args[2].val, 1, 3600, &secs);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (!ret)
		ret = load_one(c, host, name, &cur);
	if (ret)
		return ret;
	tenet_s2s_conn_name(name, conn, sizeof(conn));
	if (vici_connect(vici_path(args[1].val), (int)secs * 1000 + VICI_TIMEOUT_MS, &vc, &err) < 0)
		return cli_fail(c, "charon: %s", err.msg);
	ret = vici_conn_list(vici_conn_call, vc, on_conn, &fc, &err);
	if (ret < 0) {
		ret = cli_fail(c, "charon: %s", err.msg);
		goto out;
	}
	if (!fc.found) {
		ret = cli_fail(c, "s2s %s: not configured in charon yet (is tenetd running on host %s?)",
			       name, host);
		goto out;
	}
	/* Like `ip link set up` of a link that is up: asking for the state
	 * an interface is already in succeeds and changes nothing (charon
	 * would refuse a duplicate child, or find nothing to terminate). */
	ret = vici_sa_list(vici_conn_call, vc, conn, keep_state, &state, &err);
	if (ret < 0) {
		ret = cli_fail(c, "charon: %s", err.msg);
		goto out;
	}
	ret = 0;
	if (connect ? state == VICI_SA_UP : state == VICI_SA_NONE)
		goto out;
	if (connect)
		req = json_pack("{s:s, s:s, s:I, s:s}", "child", fc.child, "ike", conn, "timeout",
				(json_int_t)secs * 1000, "init-limits", "no");
	else
		req = json_pack("{s:s, s:I}", "ike", conn, "timeout", (json_int_t)secs * 1000);
	ret = vici_call(vc, connect ? "initiate" : "terminate", req, "control-log", on_log, last,
			&resp, &err);
	if (ret < 0 && last[0])
		ret = cli_fail(c, "s2s %s: %s (charon: %s)", name, err.msg, last);
	else if (ret < 0)
		ret = cli_fail(c, "s2s %s: %s", name, err.msg);
out:
	json_decref(req);
	json_decref(resp);
	vici_close(vc);
	return ret;
}

static int s2s_connect(struct cli *c, int argc, char **argv, unsigned int flags)
{
	return s2s_act(c, argc, argv, true);
}

static int s2s_disconnect(struct cli *c, int argc, char **argv, unsigned int flags)
{
	return s2s_act(c, argc, argv, false);
}

static const struct cli_verb s2s_verbs[] = {
	{ "add", s2s_add, 0,
	  "add NAME rdomain NAME destination IP|DNSNAME [source IP]\n"
	  "                     auth psk | auth cert SUBJECT | auth eap USER [secret-file FILE]\n"
	  "                     [route PREFIX[:METRIC] [metric N]]...\n"
	  "                     [postconnect PREFIX[:METRIC] [metric N]]...\n"
	  "                     [both|initiator|responder] [dpd SECONDS] [retry SECONDS]\n"
	  "                     [host NAME]" },
	{ "set", s2s_set, 0,
	  "set NAME [destination ...] [source IP|none] [auth ...] [secret-file FILE | secret -]\n"
	  "                     [route PREFIX[:METRIC] | none]... [postconnect ... | none]...\n"
	  "                     [both|initiator|responder] [dpd S] [retry S] [host NAME]" },
	{ "del", s2s_del, 0, "del NAME [host NAME]" },
	{ "delete", s2s_del, .alias = true },
	{ "show", s2s_show, 0, "show [NAME] [host NAME] [vici SOCKET]" },
	{ "list", s2s_show, .alias = true },
	{ "connect", s2s_connect, 0, "connect NAME [timeout SECONDS] [host NAME] [vici SOCKET]" },
	{ "disconnect", s2s_disconnect, 0,
	  "disconnect NAME [timeout SECONDS] [host NAME] [vici SOCKET]" },
	{ NULL },
};

const struct cli_object cli_s2s = {
	.name = "s2s",
	.summary = "site-to-site VPN interfaces of compartments (IKEv2, strongSwan)",
	.verbs = s2s_verbs,
	.dflt = "show",
	.notes =
		"An S2S interface connects a tenant's compartment to one of its sites over IKEv2/\n"
		"IPsec. How an incoming connection finds its interface: psk by the peer's address\n"
		"(destination), cert by the certificate's subject, eap by the user name. A\n"
		"pre-shared key or EAP password is read from secret-file FILE or standard input\n"
		"(a terminal is asked without echo), sealed to the gateway host's key and never\n"
		"printed. 'route' prefixes are routed into the tunnel and dial it on demand;\n"
		"'postconnect' prefixes only while it is connected. 'show', 'connect' and\n"
		"'disconnect' talk to charon on this host (vici SOCKET, $TENET_VICI, or\n"
		VICI_SOCKET_DEFAULT "). See docs/vpn.md.\n",
};

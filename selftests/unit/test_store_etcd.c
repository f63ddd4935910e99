// SPDX-License-Identifier: GPL-2.0
/* What only the etcd backend has (the shared semantics are the contract's,
 * test_store_contract.c): its URL, and an operator's cluster, which is
 * never open. One real etcd (Debian's etcd-server) on loopback with TLS on
 * its client port and client certificates required (a CA, server and
 * client certificates made here with openssl), then etcd authentication
 * enabled (etcdctl): a user "tenetd" with read-write on /fleet/ and a
 * user "other" with nothing. Checks: the URL's options and their errors;
 * user and password from a file, over TLS with a client certificate,
 * reads, writes and the watch; a wrong password, a password file others
 * may read, no client certificate, an untrusted server, a prefix the user
 * may not touch; a certificate with a CommonName (the gateway refuses
 * it when authentication is on). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "store/store.h"
#include "testutil.h"

static struct {
	char *dir;
	pid_t pid, owner;
	int port;
	char base[PATH_MAX * 2];        /* etcd://127.0.0.1:PORT/fleet/ */
	char tls[PATH_MAX * 3];         /* ?cacert=...&cert=...&key=... */
	char why[PATH_MAX * 2];
} E;

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	ret = system(cmd);
	free(cmd);
	return ret == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", E.dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static void stop_etcd(void)
{
	if (!E.pid || getpid() != E.owner)
		return;
	kill(E.pid, SIGTERM);
	waitpid(E.pid, NULL, 0);
	E.pid = 0;
	tu_rmtree(E.dir);
}

/* The CA and certificates, etcd with TLS, then its users and auth. */
static const char *start_etcd(void)
{
	char client[64], peer[64], cluster[96], data[PATH_MAX], log[PATH_MAX], ctl[PATH_MAX * 4];
	const char *d;
	int i, peer_port;

	if (access("/usr/bin/etcd", X_OK) || access("/usr/bin/etcdctl", X_OK))
		return "/usr/bin/etcd or etcdctl is not installed (make deps: etcd-server, etcd-client)";
	if (access("/usr/bin/openssl", X_OK))
		return "/usr/bin/openssl is not installed (make deps: openssl)";
	E.dir = tu_mkdtemp();
	E.port = free_port();
	peer_port = free_port();
	if (!E.dir || E.port < 0 || peer_port < 0)
		return "no temporary directory or free port";
	d = E.dir;
	if (sh("cd %s && exec >openssl.log 2>&1 && "
	       "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	       "-keyout ca.key -out ca.pem -days 2 -subj /CN=tenet-test-ca && "
	       "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	       "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
	       "printf 'subjectAltName=IP:127.0.0.1\\n' >san.ext && "
	       "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	       "-out server.pem -days 2 -extfile san.ext && "
	       "for u in tenetd other root host; do "
	       "subj=/CN=$u; [ $u = host ] && subj=/O=tenet-hosts; "
	       "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	       "-keyout $u.key -out $u.csr -subj $subj && "
	       "openssl x509 -req -in $u.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	       "-out $u.pem -days 2 || exit 1; done", d))
		return "openssl could not make the test certificates";
	snprintf(client, sizeof(client), "https://127.0.0.1:%d", E.port);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", peer_port);
	snprintf(cluster, sizeof(cluster), "tls=%s", peer);
	snprintf(data, sizeof(data), "%s/data", d);
	snprintf(log, sizeof(log), "%s/etcd.log", d);
	E.owner = getpid();
	E.pid = fork();
	if (E.pid < 0)
		return "fork failed";
	if (E.pid == 0) {
		char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		snprintf(cert, sizeof(cert), "%s/server.pem", d);
		snprintf(key, sizeof(key), "%s/server.key", d);
		snprintf(ca, sizeof(ca), "%s/ca.pem", d);
		execl("/usr/bin/etcd", "etcd", "--name", "tls", "--data-dir", data,
		      "--listen-client-urls", client, "--advertise-client-urls", client,
		      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		      "--initial-cluster", cluster, "--unsafe-no-fsync", "--cert-file", cert,
		      "--key-file", key, "--client-cert-auth", "--trusted-ca-file", ca,
		      (char *)NULL);
		_exit(127);
	}
	atexit(stop_etcd);
	snprintf(ctl, sizeof(ctl),
		 "ETCDCTL_API=3 etcdctl --endpoints=%s --cacert %s/ca.pem --cert %s/root.pem "
		 "--key %s/root.key", client, d, d, d);
	for (i = 0; i < 100 && sh("%s endpoint health >/dev/null 2>&1", ctl); i++)
		usleep(100 * 1000);
	if (i == 100) {
		snprintf(E.why, sizeof(E.why), "etcd with TLS did not come up (see %s)", log);
		return E.why;
	}
	/* Passwords go through a file, never an argument. */
	write_file("tenetd.pw", "s3cret-tenetd\n", 0600);
	write_file("root.pw", "s3cret-root\n", 0600);
	write_file("other.pw", "s3cret-other\n", 0600);
	if (sh("cd %s && exec >>etcdctl.log 2>&1 && "
	       "%s user add root --interactive=false <root.pw && "
	       "%s user grant-role root root && "
	       "%s role add fleet && %s role grant-permission fleet --prefix=true readwrite /fleet/ && "
	       "%s user add tenetd --interactive=false <tenetd.pw && "
	       "%s user grant-role tenetd fleet && "
	       "%s user add other --interactive=false <other.pw && "
	       "%s auth enable", d, ctl, ctl, ctl, ctl, ctl, ctl, ctl, ctl)) {
		snprintf(E.why, sizeof(E.why), "etcdctl could not set up users (see %s/etcdctl.log)", d);
		return E.why;
	}
	snprintf(E.base, sizeof(E.base), "etcd://127.0.0.1:%d/fleet/", E.port);
	snprintf(E.tls, sizeof(E.tls), "cacert=%s/ca.pem", d);
	return NULL;
}

/* Opens base + "?" + options (printf-style); the result of openf. */
static int open_with(struct tenet_store **s, struct tenet_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int open_with(struct tenet_store **s, struct tenet_err *err, const char *fmt, ...)
{
	char opts[PATH_MAX * 4], url[PATH_MAX * 6];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(opts, sizeof(opts), fmt, ap);
	va_end(ap);
	snprintf(url, sizeof(url), "%s?%s", E.base, opts);
	memset(err, 0, sizeof(*err));
	return tenet_store_openf(url, 0, s, err);
}

static void put_get(struct tenet_store *s, const char *key, const char *value)
{
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	struct tenet_kv kv;

	assert_int_equal(tenet_txn_put(t, key, value), 0);
	assert_int_equal(tenet_store_commit(s, t, NULL, &err), 0);
	tenet_txn_free(t);
	assert_int_equal(tenet_store_get(s, key, &kv, &err), 0);
	assert_string_equal(kv.value, value);
	tenet_kv_clear(&kv);
}

static void one_line(const struct tenet_err *err)
{
	assert_true(err->msg[0]);
	assert_null(strchr(err->msg, '\n'));
}

/* ---- the URL ---- */

static void test_url_errors(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;

	(void)state;
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:2379?password=hunter2", 0, &s, &err),
			 -EINVAL);
	assert_null(strstr(err.msg, "hunter2"));
	assert_string_equal(err.msg, "etcd option password: not in the URL (use password-file=FILE)");
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:2379?colour=blue", 0, &s, &err),
			 -EINVAL);
	one_line(&err);
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:2379?cert=/x", 0, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "etcd options cert and key: give both or neither");
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:2379?user=u", 0, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "etcd options user and password-file: give both or neither");
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:2379?timeout=0", 0, &s, &err), -EINVAL);
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1", 0, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "etcd endpoint '127.0.0.1': not HOST:PORT");
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:99999", 0, &s, &err), -EINVAL);
	assert_int_equal(tenet_store_openf("etcd://127.0.0.1:1?user=u&password-file=/no/such", 0,
					   &s, &err), -ENOENT);
	one_line(&err);
	assert_null(s);
}

/* ---- TLS and authentication ---- */

/* With authentication on, etcd's JSON gateway refuses a client
 * certificate that has a CommonName (it cannot hand it on as the user):
 * the line says what to do instead. */
static void test_client_certificate(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;

	(void)state;
	assert_int_equal(open_with(&s, &err, "%s&cert=%s/tenetd.pem&key=%s/tenetd.key", E.tls, E.dir,
				   E.dir), -EACCES);
	assert_non_null(strstr(err.msg, "password-file"));
	one_line(&err);
	assert_null(s);
}

static void test_no_client_certificate(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;

	(void)state;
	/* The cluster asks for a client certificate: the handshake fails. */
	assert_true(open_with(&s, &err, "%s", E.tls) < 0);
	one_line(&err);
	assert_null(s);
	/* Without the CA, the server's certificate is not trusted. */
	assert_true(open_with(&s, &err, "tls=1&cert=%s/tenetd.pem&key=%s/tenetd.key", E.dir,
			      E.dir) < 0);
	assert_null(s);
}

static void test_password(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;
	const char *cert = "cert=%s/host.pem&key=%s/host.key";     /* no CN */
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	char fmt[256];
	int64_t rev;

	(void)state;
	/* The certificate (no CN) opens TLS; the password login says who. */
	snprintf(fmt, sizeof(fmt), "%%s&%s&user=tenetd&password-file=%%s/tenetd.pw", cert);
	assert_int_equal(open_with(&s, &err, fmt, E.tls, E.dir, E.dir, E.dir), 0);
	assert_int_equal(tenet_store_revision(s, &rev, &err), 0);
	put_get(s, "/tenet/v1/b", "2");
	/* The watch streams over TLS with the token too. */
	assert_int_equal(tenet_watch_open(s, "/tenet/", rev + 1, &w, &err), 0);
	assert_int_equal(tenet_watch_next(w, 2000, &b, &err), 0);
	assert_int_equal(b.n, 1);
	assert_string_equal(b.events[0].kv.key, "/tenet/v1/b");
	tenet_watch_batch_free(&b);
	tenet_watch_close(w);
	/* Outside the user's prefix: refused (FATAL: configuration). */
	{
		struct tenet_store *o = NULL;
		char url[PATH_MAX * 6];
		char *q = strchr(tenet_store_location(s), '?');

		snprintf(url, sizeof(url), "etcd://127.0.0.1:%d/elsewhere/%s", E.port, q);
		assert_int_equal(tenet_store_openf(url, 0, &o, &err), -EACCES);
		one_line(&err);
		assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_FATAL);
	}
	tenet_store_close(s);

	/* A wrong password: refused, and never repeated. */
	write_file("wrong.pw", "not-the-password\n", 0600);
	snprintf(fmt, sizeof(fmt), "%%s&%s&user=tenetd&password-file=%%s/wrong.pw", cert);
	assert_int_equal(open_with(&s, &err, fmt, E.tls, E.dir, E.dir, E.dir), -EACCES);
	one_line(&err);
	assert_null(strstr(err.msg, "not-the-password"));
	assert_null(s);

	/* A password others may read is not used. */
	write_file("open.pw", "s3cret-tenetd\n", 0644);
	snprintf(fmt, sizeof(fmt), "%%s&%s&user=tenetd&password-file=%%s/open.pw", cert);
	assert_int_equal(open_with(&s, &err, fmt, E.tls, E.dir, E.dir, E.dir), -EACCES);
	assert_non_null(strstr(err.msg, "readable by others"));
	assert_null(strstr(err.msg, "s3cret"));
}

/* ---- how transactions are folded and split ---- */

static struct tenet_store *open_fleet(void)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;

	assert_int_equal(open_with(&s, &err, "%s&cert=%s/host.pem&key=%s/host.key&user=tenetd"
				   "&password-file=%s/tenetd.pw", E.tls, E.dir, E.dir, E.dir), 0);
	return s;
}

static char *keys_values(struct tenet_store *s, const char *prefix)
{
	struct tenet_kv_list l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(tenet_store_range(s, prefix, &l, NULL), 0);
	for (size_t i = 0; i < l.n; i++)
		fprintf(f, "%s%s=%s", i ? " " : "", l.kvs[i].key, l.kvs[i].value);
	fclose(f);
	tenet_kv_list_free(&l);
	return buf;
}

static int64_t commit_ok(struct tenet_store *s, struct tenet_txn *t)
{
	struct tenet_err err = { 0 };
	int64_t rev = 0;

	assert_int_equal(tenet_store_commit(s, t, &rev, &err), 0);
	tenet_txn_free(t);
	return rev;
}

/* etcd refuses a key twice in a transaction, or a put under one of its
 * deletes: the backend folds operations per key and punches the puts out
 * of a prefix delete. The result is that of the operations in order. */
static void test_fold(void **state)
{
	struct tenet_store *s = open_fleet();
	struct tenet_txn *t = tenet_txn_new();
	int64_t r0, r1;
	char key[32], *got;
	int i;

	(void)state;
	tenet_txn_put(t, "/f/a", "1");
	tenet_txn_put(t, "/f/b", "1");
	tenet_txn_put(t, "/f/c", "1");
	tenet_txn_put(t, "/g", "1");
	r0 = commit_ok(s, t);

	t = tenet_txn_new();
	tenet_txn_put(t, "/f/x", "early");      /* dropped: the prefix delete */
	tenet_txn_delete_prefix(t, "/f/");
	tenet_txn_put(t, "/f/b", "new");        /* a hole in the delete */
	tenet_txn_put(t, "/f/d", "d");
	tenet_txn_put(t, "/f/x", "late");
	tenet_txn_delete(t, "/f/d");            /* the hole closes again */
	tenet_txn_delete(t, "/f/q");
	tenet_txn_put(t, "/f/q", "q");
	r1 = commit_ok(s, t);
	assert_int_equal(r1, r0 + 1);
	got = keys_values(s, "/f/");
	assert_string_equal(got, "/f/b=new /f/q=q /f/x=late");
	free(got);
	got = keys_values(s, "/g");
	assert_string_equal(got, "/g=1");
	free(got);

	/* A prefix delete with 200 puts under it folds to 401 operations:
	 * split, in order, and all there. */
	t = tenet_txn_new();
	tenet_txn_delete_prefix(t, "/f/");
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "/f/%03d", i);
		tenet_txn_put(t, key, "v");
	}
	assert_true(commit_ok(s, t) > r1 + 1);
	got = keys_values(s, "/f/");
	assert_int_equal(strlen(got), 200 * strlen("/f/000=v ") - 1);
	assert_non_null(strstr(got, "/f/000=v /f/001=v"));
	assert_null(strstr(got, "/f/b="));
	free(got);

	/* More compares than etcd takes in one transaction: refused. */
	t = tenet_txn_new();
	for (i = 0; i < 129; i++)
		tenet_txn_compare(t, "/g", TENET_CMP_VERSION, TENET_CMP_EQ, 1);
	tenet_txn_put(t, "/g", "2");
	{
		struct tenet_err err = { 0 };

		assert_int_equal(tenet_store_commit(s, t, NULL, &err), -E2BIG);
		one_line(&err);
	}
	tenet_txn_free(t);
	tenet_store_close(s);
}

int main(void)
{
	const struct CMUnitTest urls[] = {
		cmocka_unit_test(test_url_errors),
	};
	const struct CMUnitTest cluster[] = {
		cmocka_unit_test(test_client_certificate),
		cmocka_unit_test(test_no_client_certificate),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_fold),
	};
	const char *why;
	int failed;

	failed = cmocka_run_group_tests_name("etcd URLs", urls, NULL, NULL);
	why = start_etcd();
	/* A missing prerequisite is a failure (docs/testing.md). */
	if (why) {
		printf("[  FAILED  ] etcd with TLS and authentication: %s\n", why);
		return failed + 1;
	}
	return failed + cmocka_run_group_tests_name("etcd with TLS and authentication", cluster,
						    NULL, NULL);
}

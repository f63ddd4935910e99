// SPDX-License-Identifier: GPL-2.0
/* The store contract: what every backend behind lib/store/store.h must do,
 * written against the public API only and run once per backend. A backend
 * joins by adding a row to `backends` below: how to make a fresh, empty
 * store for one test (a URL that every process of the test can open), a
 * URL of a store that does not exist or cannot be reached, and how to
 * clean up. Nothing here may assume a backend's numbers: revisions are
 * counted from the store's revision when the test starts (etcd does not
 * start at 0), and messages are only checked for being one line.
 *
 * What the agent and the policy writers rely on, case by case:
 *   revisions     every changing transaction moves the revision by
 *                 exactly one; a transaction that changes nothing does not
 *   get/range     prefix ranges in byte order, each key's create_rev,
 *                 mod_rev and version; a range is one snapshot, even when
 *                 a writer commits in the middle of a streamed read
 *   compares      create/mod/version/value with == != < >, a missing key
 *                 as create_rev 0; a failed compare is -ECANCELED and
 *                 writes nothing
 *   watch         from an old revision and from "now", puts and deletes
 *                 in order, whole revisions, other prefixes left out
 *   compaction    a watch from a compacted revision is -ESTALE (resync)
 *   changed       whether a prefix changed between two revisions, or
 *                 -EOPNOTSUPP for a backend that cannot tell
 *   writers       several processes, no lost update, no revision twice
 *   errors        the classes of store.h (tenet_store_errclass) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "store/store.h"
#include "testutil.h"

/* ---- backends ---- */

struct fx {
	char *url;              /* a fresh, empty store */
	char *missing_url;      /* a store that does not exist */
	void *priv;             /* the backend's */
	struct tenet_store *s;
	int64_t base;           /* the store's revision when the test started */
};

struct backend {
	const char *name;
	/* NULL, or whether the test environment provides this backend (a
	 * running etcd cluster). A backend that is not available is named in
	 * the output and fails the run, never silently passed. */
	const char *(*unavailable)(void);
	int (*make)(struct fx *f);
	void (*destroy)(struct fx *f);
};

static int sqlite_make(struct fx *f)
{
	char *dir = tu_mkdtemp();

	if (!dir)
		return -1;
	f->priv = dir;
	/* The URL form, not a plain path: the dispatch is part of it. */
	if (asprintf(&f->url, "sqlite://%s/store.db", dir) < 0 ||
	    asprintf(&f->missing_url, "sqlite://%s/no/such/store.db", dir) < 0)
		return -1;
	return 0;
}

static void sqlite_destroy(struct fx *f)
{
	tu_rmtree(f->priv);
	free(f->priv);
}

/* etcd: one real etcd (Debian's etcd-server) on loopback, started here
 * for the whole run on free ports in a temporary data directory; each
 * test gets a namespace of its own (etcd://HOST:PORT/NAMESPACE), so it
 * starts empty. The revision is the cluster's: tests count from their
 * base. */
static struct {
	pid_t pid, owner;
	char *dir;
	int port, dead_port;
	unsigned int seq;
	char why[128];
} etcd;

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

static void etcd_stop(void)
{
	if (!etcd.pid || getpid() != etcd.owner)
		return;
	kill(etcd.pid, SIGTERM);
	waitpid(etcd.pid, NULL, 0);
	etcd.pid = 0;
	tu_rmtree(etcd.dir);
}

static const char *etcd_unavailable(void)
{
	char client[64], peer[64], cluster[96], data[PATH_MAX], url[64];
	struct tenet_store *s = NULL;
	int i, peer_port, fd;

	if (access("/usr/bin/etcd", X_OK) != 0)
		return "/usr/bin/etcd is not installed (make deps: etcd-server)";
	etcd.dir = tu_mkdtemp();
	etcd.port = free_port();
	peer_port = free_port();
	etcd.dead_port = free_port();
	if (!etcd.dir || etcd.port < 0 || peer_port < 0 || etcd.dead_port < 0)
		return "no temporary directory or free port";
	snprintf(client, sizeof(client), "http://127.0.0.1:%d", etcd.port);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", peer_port);
	snprintf(cluster, sizeof(cluster), "contract=%s", peer);
	snprintf(data, sizeof(data), "%s/data", etcd.dir);
	etcd.owner = getpid();
	etcd.pid = fork();
	if (etcd.pid < 0)
		return "fork failed";
	if (etcd.pid == 0) {
		snprintf(url, sizeof(url), "%s/etcd.log", etcd.dir);
		fd = open(url, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/bin/etcd", "etcd", "--name", "contract", "--data-dir", data,
		      "--listen-client-urls", client, "--advertise-client-urls", client,
		      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		      "--initial-cluster", cluster, "--unsafe-no-fsync", (char *)NULL);
		_exit(127);
	}
	atexit(etcd_stop);
	snprintf(url, sizeof(url), "etcd://127.0.0.1:%d", etcd.port);
	for (i = 0; i < 200; i++) {
		if (tenet_store_openf(url, 0, &s, NULL) == 0) {
			tenet_store_close(s);
			return NULL;
		}
		usleep(50 * 1000);
	}
	snprintf(etcd.why, sizeof(etcd.why), "etcd did not come up on %s (see %s/etcd.log)", url,
		 etcd.dir);
	return etcd.why;
}

static int etcd_make(struct fx *f)
{
	if (asprintf(&f->url, "etcd://127.0.0.1:%d/contract/%d-%u/", etcd.port, (int)getpid(),
		     etcd.seq++) < 0 ||
	    asprintf(&f->missing_url, "etcd://127.0.0.1:%d", etcd.dead_port) < 0)
		return -1;
	return 0;
}

static void etcd_destroy(struct fx *f)
{
	(void)f;
}

static const struct backend backends[] = {
	{ "sqlite", NULL, sqlite_make, sqlite_destroy },
	{ "etcd", etcd_unavailable, etcd_make, etcd_destroy },
};

static const struct backend *cur;

static int setup(void **state)
{
	struct tenet_err err = { 0 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(cur->make(f), 0);
	assert_int_equal(tenet_store_openf(f->url, TENET_STORE_CREATE, &f->s, &err), 0);
	assert_int_equal(tenet_store_revision(f->s, &f->base, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_store_close(f->s);
	cur->destroy(f);
	free(f->url);
	free(f->missing_url);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static int64_t revision(struct tenet_store *s)
{
	int64_t rev = -1;

	assert_int_equal(tenet_store_revision(s, &rev, NULL), 0);
	return rev;
}

static int64_t commit(struct tenet_store *s, struct tenet_txn *t)
{
	struct tenet_err err = { 0 };
	int64_t rev = -1;

	assert_int_equal(tenet_store_commit(s, t, &rev, &err), 0);
	tenet_txn_free(t);
	return rev;
}

static int64_t put(struct tenet_store *s, const char *key, const char *value)
{
	struct tenet_txn *t = tenet_txn_new();

	assert_non_null(t);
	assert_int_equal(tenet_txn_put(t, key, value), 0);
	return commit(s, t);
}

static int64_t del(struct tenet_store *s, const char *key)
{
	struct tenet_txn *t = tenet_txn_new();

	assert_non_null(t);
	assert_int_equal(tenet_txn_delete(t, key), 0);
	return commit(s, t);
}

static void get(struct tenet_store *s, const char *key, struct tenet_kv *kv)
{
	struct tenet_err err = { 0 };

	assert_int_equal(tenet_store_get(s, key, kv, &err), 0);
	assert_string_equal(kv->key, key);
	assert_int_equal(kv->value_len, strlen(kv->value));
}

static void expect_kv(struct tenet_store *s, const char *key, const char *value,
		      int64_t create_rev, int64_t mod_rev, int64_t version)
{
	struct tenet_kv kv;

	get(s, key, &kv);
	assert_string_equal(kv.value, value);
	assert_int_equal(kv.create_rev, create_rev);
	assert_int_equal(kv.mod_rev, mod_rev);
	assert_int_equal(kv.version, version);
	tenet_kv_clear(&kv);
}

static void expect_absent(struct tenet_store *s, const char *key)
{
	struct tenet_err err = { 0 };
	struct tenet_kv kv;

	assert_int_equal(tenet_store_get(s, key, &kv, &err), -ENOENT);
	assert_null(kv.key);
}

/* An error line: set, one line. */
static void expect_err(const struct tenet_err *err, int code)
{
	assert_int_equal(err->code, code);
	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
}

/* The keys of a range, as "k1 k2 ...", and its revision. */
static char *range_keys(struct tenet_store *s, const char *prefix, int64_t *rev)
{
	struct tenet_err err = { 0 };
	struct tenet_kv_list l;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(tenet_store_range(s, prefix, &l, &err), 0);
	for (i = 0; i < l.n; i++) {
		fprintf(f, "%s%s", i ? " " : "", l.kvs[i].key);
		assert_int_equal(l.kvs[i].value_len, strlen(l.kvs[i].value));
		/* Sorted by key bytes: strcmp compares unsigned chars. */
		if (i)
			assert_true(strcmp(l.kvs[i - 1].key, l.kvs[i].key) < 0);
	}
	fclose(f);
	if (rev)
		*rev = l.rev;
	tenet_kv_list_free(&l);
	return buf;
}

static void expect_range(struct tenet_store *s, const char *prefix, const char *keys)
{
	char *got = range_keys(s, prefix, NULL);

	assert_string_equal(got, keys);
	free(got);
}

/* Reads a watch until it has delivered everything up to rev (or fails):
 * the events, concatenated. */
static int watch_until(struct tenet_watch *w, int64_t rev, struct tenet_watch_batch *all,
		       struct tenet_err *err)
{
	struct tenet_watch_batch b;
	int ret, rounds = 0;

	memset(all, 0, sizeof(*all));
	while (tenet_watch_position(w) <= rev) {
		ret = tenet_watch_next(w, 1000, &b, err);
		if (ret < 0)
			return ret;
		assert_true(++rounds < 100);
		if (!b.n)
			continue;
		/* Whole revisions, in order, and the position follows. */
		assert_true(b.rev >= b.events[b.n - 1].kv.mod_rev);
		assert_int_equal(tenet_watch_position(w), b.rev + 1);
		all->events = realloc(all->events, (all->n + b.n) * sizeof(*all->events));
		assert_non_null(all->events);
		memcpy(all->events + all->n, b.events, b.n * sizeof(*b.events));
		all->n += b.n;
		all->rev = b.rev;
		free(b.events);
	}
	return 0;
}

static void expect_event(const struct tenet_watch_event *ev, enum tenet_watch_type type,
			 const char *key, const char *value, int64_t rev)
{
	assert_int_equal(ev->type, type);
	assert_string_equal(ev->kv.key, key);
	if (value) {
		assert_string_equal(ev->kv.value, value);
		assert_int_equal(ev->kv.value_len, strlen(value));
	} else {
		assert_null(ev->kv.value);
	}
	assert_int_equal(ev->kv.mod_rev, rev);
}

/* ---- revisions ---- */

static void test_revisions(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t;
	int64_t b = f->base, rev;

	assert_true(b >= 0);
	assert_int_equal(put(f->s, "/a", "1"), b + 1);
	assert_int_equal(put(f->s, "/b", "2"), b + 2);
	/* A put of the same value is still a change (etcd's rule). */
	assert_int_equal(put(f->s, "/a", "1"), b + 3);
	expect_kv(f->s, "/a", "1", b + 1, b + 3, 2);
	expect_kv(f->s, "/b", "2", b + 2, b + 2, 1);
	assert_int_equal(revision(f->s), b + 3);

	/* No-ops move nothing and say where the store is. */
	assert_int_equal(del(f->s, "/nope"), b + 3);
	t = tenet_txn_new();
	assert_int_equal(commit(f->s, t), b + 3);
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_delete_prefix(t, "/nothing/"), 0);
	assert_int_equal(tenet_txn_delete(t, "/nope"), 0);
	assert_int_equal(commit(f->s, t), b + 3);
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/a", TENET_CMP_VERSION, TENET_CMP_EQ, 99), 0);
	assert_int_equal(tenet_txn_put(t, "/c", "x"), 0);
	rev = -1;
	assert_int_equal(tenet_store_commit(f->s, t, &rev, &err), -ECANCELED);
	tenet_txn_free(t);
	assert_int_equal(revision(f->s), b + 3);

	/* One transaction, one revision, for every change in it. */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_put(t, "/c", "3"), 0);
	assert_int_equal(tenet_txn_put(t, "/a", "4"), 0);
	assert_int_equal(tenet_txn_delete(t, "/b"), 0);
	assert_int_equal(tenet_txn_delete(t, "/never"), 0);
	assert_int_equal(tenet_txn_size(t), 4);
	assert_int_equal(commit(f->s, t), b + 4);
	expect_kv(f->s, "/a", "4", b + 1, b + 4, 3);
	expect_kv(f->s, "/c", "3", b + 4, b + 4, 1);
	expect_absent(f->s, "/b");

	/* A deleted key that comes back starts a new life. */
	assert_int_equal(del(f->s, "/a"), b + 5);
	expect_absent(f->s, "/a");
	assert_int_equal(put(f->s, "/a", "5"), b + 6);
	expect_kv(f->s, "/a", "5", b + 6, b + 6, 1);
	assert_int_equal(revision(f->s), b + 6);
}

/* Whether a prefix changed between two revisions, from the change log: a
 * put and a delete under it count, others' keys do not, the bounds are
 * (from, to], and a compacted start is -ESTALE. A backend that cannot
 * tell says -EOPNOTSUPP and answers "changed", the safe answer. */
static void test_changed(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	int64_t b = f->base;
	bool changed = false;
	int ret;

	put(f->s, "/p/k", "1");         /* b + 1 */
	put(f->s, "/q/k", "1");         /* b + 2 */
	put(f->s, "/pq", "1");          /* b + 3: /p's sibling, not under /p/ */
	del(f->s, "/p/k");              /* b + 4 */
	put(f->s, "/q/k", "2");         /* b + 5 */
	ret = tenet_store_changed(f->s, "/p/", b + 1, b + 3, &changed, &err);
	if (ret == -EOPNOTSUPP) {
		expect_err(&err, -EOPNOTSUPP);
		assert_true(changed);
		return;
	}
	assert_int_equal(ret, 0);
	assert_false(changed);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b, b + 1, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b + 3, b + 4, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b + 4, b + 5, &changed, &err), 0);
	assert_false(changed);
	assert_int_equal(tenet_store_changed(f->s, "/q/", b + 1, b + 4, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b + 5, b + 5, &changed, &err), 0);
	assert_false(changed);
	assert_int_equal(tenet_store_changed(f->s, "", b + 4, b + 5, &changed, &err), 0);
	assert_true(changed);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b + 5, b + 4, &changed, &err), -EINVAL);
	expect_err(&err, -EINVAL);
	assert_int_equal(tenet_store_compact(f->s, b + 2, &err), 0);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b + 1, b + 5, &changed, &err), -ESTALE);
	expect_err(&err, -ESTALE);
	assert_true(changed);
	assert_int_equal(tenet_store_changed(f->s, "/p/", b + 2, b + 5, &changed, &err), 0);
	assert_true(changed);
}

/* A transaction may touch a key twice: the ops apply in order. */
static void test_txn_ops_in_order(void **state)
{
	struct fx *f = *state;
	struct tenet_txn *t;
	int64_t b = f->base;

	put(f->s, "/o/gone", "0");                      /* b + 1 */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_put(t, "/o/twice", "first"), 0);
	assert_int_equal(tenet_txn_put(t, "/o/twice", "second"), 0);
	assert_int_equal(tenet_txn_put(t, "/o/put-del", "x"), 0);
	assert_int_equal(tenet_txn_delete(t, "/o/put-del"), 0);
	assert_int_equal(tenet_txn_delete(t, "/o/gone"), 0);
	assert_int_equal(tenet_txn_put(t, "/o/gone", "back"), 0);
	assert_int_equal(commit(f->s, t), b + 2);
	expect_range(f->s, "/o/", "/o/gone /o/twice");
	assert_int_equal(revision(f->s), b + 2);
	{
		struct tenet_kv kv;

		get(f->s, "/o/twice", &kv);
		assert_string_equal(kv.value, "second");
		assert_int_equal(kv.mod_rev, b + 2);
		tenet_kv_clear(&kv);
		get(f->s, "/o/gone", &kv);
		assert_string_equal(kv.value, "back");
		assert_int_equal(kv.mod_rev, b + 2);
		tenet_kv_clear(&kv);
	}
}

/* Up to TENET_TXN_ATOMIC_OPS operations are one atomic revision on every
 * backend; bigger writes all land (a backend may split them). */
static void test_txn_sizes(void **state)
{
	struct fx *f = *state;
	struct tenet_txn *t = tenet_txn_new();
	struct tenet_kv_list l;
	char key[32];
	int64_t b = f->base;
	int i;

	for (i = 0; i < TENET_TXN_ATOMIC_OPS; i++) {
		snprintf(key, sizeof(key), "/n/%04d", i);
		assert_int_equal(tenet_txn_put(t, key, "{}"), 0);
	}
	assert_int_equal(commit(f->s, t), b + 1);
	t = tenet_txn_new();
	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "/m/%04d", i);
		assert_int_equal(tenet_txn_put(t, key, "{\"n\":1}"), 0);
	}
	assert_true(commit(f->s, t) > b + 1);
	assert_int_equal(tenet_store_range(f->s, "/m/", &l, NULL), 0);
	assert_int_equal(l.n, 1500);
	assert_string_equal(l.kvs[1499].key, "/m/1499");
	tenet_kv_list_free(&l);
	assert_int_equal(tenet_store_range(f->s, "/n/", &l, NULL), 0);
	assert_int_equal(l.n, TENET_TXN_ATOMIC_OPS);
	assert_int_equal(l.kvs[0].mod_rev, b + 1);
	tenet_kv_list_free(&l);
}

/* ---- get and range ---- */

static void test_values_byte_exact(void **state)
{
	struct fx *f = *state;
	struct tenet_kv kv;
	char *big = malloc(100001);
	const char *utf8 = "{\"name\":\"Contoso \xc3\xa9\xe2\x82\xac\",\"q\":\"a\\\"b\"}";

	assert_non_null(big);
	memset(big, 'v', 100000);
	big[0] = '"';
	big[99999] = '"';
	big[100000] = '\0';
	put(f->s, "/v/big", big);
	put(f->s, "/v/utf8", utf8);
	put(f->s, "/v/empty", "");
	get(f->s, "/v/big", &kv);
	assert_int_equal(kv.value_len, 100000);
	assert_memory_equal(kv.value, big, 100001);
	tenet_kv_clear(&kv);
	get(f->s, "/v/utf8", &kv);
	assert_string_equal(kv.value, utf8);
	tenet_kv_clear(&kv);
	get(f->s, "/v/empty", &kv);
	assert_string_equal(kv.value, "");
	tenet_kv_clear(&kv);
	free(big);
}

static void test_get_errors(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_kv kv;

	assert_int_equal(tenet_store_get(f->s, "/missing", &kv, &err), -ENOENT);
	expect_err(&err, -ENOENT);
	assert_int_equal(tenet_store_get(f->s, "", &kv, &err), -EINVAL);
	expect_err(&err, -EINVAL);
}

static void test_range_prefixes(void **state)
{
	struct fx *f = *state;
	int64_t rev;
	char *keys;

	/* Inserted out of order; neighbours of every boundary. */
	put(f->s, "/r/b/2", "2");
	put(f->s, "/r/a", "1");
	put(f->s, "/r/b0", "3");
	put(f->s, "/r/b/1", "4");
	put(f->s, "/r", "5");
	put(f->s, "/q", "6");
	put(f->s, "/s", "7");
	put(f->s, "/r/\xc3\xa9", "8");     /* UTF-8: sorts after ASCII */
	put(f->s, "/r/B", "9");             /* upper case sorts first */
	put(f->s, "/t\xff", "10");          /* 0xff: the prefix end carries */
	put(f->s, "/t\xff\xff", "11");
	put(f->s, "/u", "12");

	expect_range(f->s, "/r/", "/r/B /r/a /r/b/1 /r/b/2 /r/b0 /r/\xc3\xa9");
	expect_range(f->s, "/r/b", "/r/b/1 /r/b/2 /r/b0");
	expect_range(f->s, "/r/b/", "/r/b/1 /r/b/2");
	expect_range(f->s, "/r", "/r /r/B /r/a /r/b/1 /r/b/2 /r/b0 /r/\xc3\xa9");
	expect_range(f->s, "/r/b/1", "/r/b/1");
	expect_range(f->s, "/t\xff", "/t\xff /t\xff\xff");
	expect_range(f->s, "/t\xff\xff", "/t\xff\xff");
	expect_range(f->s, "/s", "/s");
	expect_range(f->s, "/zz", "");
	expect_range(f->s, "/", "/q /r /r/B /r/a /r/b/1 /r/b/2 /r/b0 /r/\xc3\xa9 /s /t\xff /t\xff\xff /u");
	expect_range(f->s, "", "/q /r /r/B /r/a /r/b/1 /r/b/2 /r/b0 /r/\xc3\xa9 /s /t\xff /t\xff\xff /u");
	/* The revision a range reflects, even an empty one. */
	keys = range_keys(f->s, "/zz", &rev);
	assert_int_equal(rev, f->base + 12);
	free(keys);
}

static void test_range_metadata(void **state)
{
	struct fx *f = *state;
	struct tenet_kv_list l;
	int64_t b = f->base;

	put(f->s, "/k/1", "a");         /* b + 1 */
	put(f->s, "/k/2", "b");         /* b + 2 */
	put(f->s, "/k/1", "c");         /* b + 3 */
	assert_int_equal(tenet_store_range(f->s, "/k/", &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.rev, b + 3);
	assert_string_equal(l.kvs[0].value, "c");
	assert_int_equal(l.kvs[0].create_rev, b + 1);
	assert_int_equal(l.kvs[0].mod_rev, b + 3);
	assert_int_equal(l.kvs[0].version, 2);
	assert_string_equal(l.kvs[1].value, "b");
	assert_int_equal(l.kvs[1].create_rev, b + 2);
	assert_int_equal(l.kvs[1].mod_rev, b + 2);
	assert_int_equal(l.kvs[1].version, 1);
	tenet_kv_list_free(&l);
}

#define MANY 2500

struct each_state {
	struct tenet_store *other;      /* writes in the middle of the read */
	size_t n;
	char last[64];
};

static int each_fn(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	struct each_state *e = arg;
	char want[64];

	snprintf(want, sizeof(want), "/many/%05zu", e->n);
	if (strcmp(kv->key, want) || strcmp(kv->value, "{\"x\":1}") ||
	    kv->value_len != strlen(kv->value) || kv->version != 1)
		return tenet_err_set(err, -EBADMSG, "unexpected %s", kv->key);
	snprintf(e->last, sizeof(e->last), "%s", kv->key);
	if (e->n == 1000 && e->other) {
		/* Another writer, mid-read: a snapshot does not see it. */
		struct tenet_txn *t = tenet_txn_new();

		if (!t || tenet_txn_put(t, "/many/00000a", "{\"x\":2}") < 0 ||
		    tenet_txn_delete(t, "/many/02000") < 0 ||
		    tenet_txn_put(t, "/many/99999", "{\"x\":2}") < 0 ||
		    tenet_store_commit(e->other, t, NULL, err) < 0)
			return tenet_err_set(err, -EIO, "concurrent write failed");
		tenet_txn_free(t);
	}
	e->n++;
	return 0;
}

static int stop_fn(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	int *n = arg;

	if (++*n == 10)
		return tenet_err_set(err, -EINTR, "stopped at %s", kv->key);
	return 0;
}

/* Big ranges, streamed, are one snapshot even while another handle
 * writes: a backend that pages (etcd) pages at one revision. */
static void test_range_each_snapshot(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t = NULL;
	struct each_state e = { 0 };
	struct tenet_kv_list l;
	char key[64];
	int64_t rev, at = 0;
	int i, n;

	for (i = 0; i < MANY; i++) {
		if (i % 100 == 0)
			t = tenet_txn_new();
		snprintf(key, sizeof(key), "/many/%05d", i);
		assert_int_equal(tenet_txn_put(t, key, "{\"x\":1}"), 0);
		if (i % 100 == 99)
			at = commit(f->s, t);
	}
	assert_int_equal(tenet_store_openf(f->url, 0, &e.other, &err), 0);
	assert_int_equal(tenet_store_range_each(f->s, "/many/", each_fn, &e, &rev, &err), 0);
	assert_int_equal(e.n, MANY);
	assert_string_equal(e.last, "/many/02499");
	assert_int_equal(rev, at);
	/* The write landed after the snapshot. */
	assert_int_equal(tenet_store_range(f->s, "/many/", &l, &err), 0);
	assert_int_equal(l.n, MANY + 1);
	assert_int_equal(l.rev, at + 1);
	assert_string_equal(l.kvs[1].key, "/many/00000a");
	assert_string_equal(l.kvs[MANY].key, "/many/99999");
	tenet_kv_list_free(&l);
	tenet_store_close(e.other);

	/* A callback's error stops the read and is returned. */
	n = 0;
	assert_int_equal(tenet_store_range_each(f->s, "/many/01", stop_fn, &n, &rev, &err),
			 -EINTR);
	assert_string_equal(err.msg, "stopped at /many/01009");
	assert_int_equal(n, 10);
}

/* ---- compares ---- */

static int try_cmp(struct tenet_store *s, const char *key, enum tenet_cmp_target target,
		   enum tenet_cmp_op op, int64_t value)
{
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	int ret;

	assert_int_equal(tenet_txn_compare(t, key, target, op, value), 0);
	assert_int_equal(tenet_txn_put(t, "/cmp/hit", key), 0);
	ret = tenet_store_commit(s, t, NULL, &err);
	tenet_txn_free(t);
	if (ret < 0)
		expect_err(&err, -ECANCELED);
	return ret;
}

static int try_value(struct tenet_store *s, const char *key, enum tenet_cmp_op op,
		     const char *value)
{
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	int ret;

	assert_int_equal(tenet_txn_compare_value(t, key, op, value), 0);
	assert_int_equal(tenet_txn_put(t, "/cmp/hit", key), 0);
	ret = tenet_store_commit(s, t, NULL, &err);
	tenet_txn_free(t);
	if (ret < 0) {
		expect_err(&err, -ECANCELED);
		/* The compared value is not repeated in the message. */
		if (strlen(value) >= 2)
			assert_null(strstr(err.msg, value));
	}
	return ret;
}

static void test_compares(void **state)
{
	struct fx *f = *state;
	int64_t b = f->base;
	struct tenet_txn *t;

	put(f->s, "/cmp/k", "v1");      /* b + 1 */
	put(f->s, "/cmp/other", "x");   /* b + 2 */
	put(f->s, "/cmp/k", "v2");      /* b + 3: create b+1, mod b+3, version 2 */

	/* Each target and operator, holding and failing. */
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_CREATE, TENET_CMP_EQ, b + 1), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_CREATE, TENET_CMP_EQ, b + 3), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_EQ, b + 3), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_EQ, b + 1), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_NE, b + 1), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_NE, b + 3), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_LT, b + 4), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_LT, b + 3), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_GT, b + 2), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_MOD, TENET_CMP_GT, b + 3), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_VERSION, TENET_CMP_EQ, 2), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_VERSION, TENET_CMP_EQ, 1), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_VERSION, TENET_CMP_GT, 1), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_VERSION, TENET_CMP_LT, 2), -ECANCELED);

	/* A missing key: create == mod == version == 0 ("absent"). */
	assert_int_equal(try_cmp(f->s, "/cmp/none", TENET_CMP_CREATE, TENET_CMP_EQ, 0), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/none", TENET_CMP_MOD, TENET_CMP_EQ, 0), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/none", TENET_CMP_VERSION, TENET_CMP_EQ, 0), 0);
	assert_int_equal(try_cmp(f->s, "/cmp/none", TENET_CMP_CREATE, TENET_CMP_GT, 0), -ECANCELED);
	assert_int_equal(try_cmp(f->s, "/cmp/k", TENET_CMP_CREATE, TENET_CMP_EQ, 0), -ECANCELED);

	/* Values: bytes, a prefix sorts first; a missing key never holds. */
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_EQ, "v2"), 0);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_EQ, "v1"), -ECANCELED);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_NE, "v1"), 0);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_NE, "v2"), -ECANCELED);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_LT, "v3"), 0);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_LT, "v"), -ECANCELED);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_GT, "v"), 0);
	assert_int_equal(try_value(f->s, "/cmp/k", TENET_CMP_GT, "v2"), -ECANCELED);
	assert_int_equal(try_value(f->s, "/cmp/none", TENET_CMP_EQ, ""), -ECANCELED);
	assert_int_equal(try_value(f->s, "/cmp/none", TENET_CMP_NE, "x"), -ECANCELED);

	/* A value target needs the value form. */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/cmp/k", TENET_CMP_VALUE, TENET_CMP_EQ, 0), -EINVAL);
	assert_int_equal(tenet_txn_compare(t, "", TENET_CMP_MOD, TENET_CMP_EQ, 0), -EINVAL);
	assert_int_equal(tenet_txn_compare_value(t, "/cmp/k", TENET_CMP_EQ, NULL), -EINVAL);
	tenet_txn_free(t);
}

/* Success writes everything, failure nothing, and compares see the store
 * before the transaction. */
static void test_compare_branches(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t;
	char *before, *after;
	int64_t b = f->base, rev;

	put(f->s, "/br/a", "1");        /* b + 1 */
	put(f->s, "/br/b", "1");        /* b + 2 */
	before = range_keys(f->s, "", NULL);

	/* All compares must hold: the last one fails, nothing lands. */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/br/a", TENET_CMP_MOD, TENET_CMP_EQ, b + 1), 0);
	assert_int_equal(tenet_txn_compare(t, "/br/b", TENET_CMP_MOD, TENET_CMP_EQ, b + 1), 0);
	assert_int_equal(tenet_txn_put(t, "/br/a", "2"), 0);
	assert_int_equal(tenet_txn_put(t, "/br/c", "2"), 0);
	assert_int_equal(tenet_txn_delete(t, "/br/b"), 0);
	assert_int_equal(tenet_txn_delete_prefix(t, "/br/"), 0);
	rev = -1;
	assert_int_equal(tenet_store_commit(f->s, t, &rev, &err), -ECANCELED);
	expect_err(&err, -ECANCELED);
	assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_CONFLICT);
	tenet_txn_free(t);
	after = range_keys(f->s, "", NULL);
	assert_string_equal(before, after);
	free(after);
	expect_kv(f->s, "/br/a", "1", b + 1, b + 1, 1);
	assert_int_equal(revision(f->s), b + 2);

	/* Create-if-absent, then the same again: the second loses. */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/br/new", TENET_CMP_CREATE, TENET_CMP_EQ, 0), 0);
	assert_int_equal(tenet_txn_put(t, "/br/new", "mine"), 0);
	/* A compare sees the store before its own txn's put. */
	assert_int_equal(tenet_txn_compare(t, "/br/a", TENET_CMP_VERSION, TENET_CMP_EQ, 1), 0);
	assert_int_equal(tenet_txn_put(t, "/br/a", "2"), 0);
	assert_int_equal(commit(f->s, t), b + 3);
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/br/new", TENET_CMP_CREATE, TENET_CMP_EQ, 0), 0);
	assert_int_equal(tenet_txn_put(t, "/br/new", "theirs"), 0);
	assert_int_equal(tenet_store_commit(f->s, t, NULL, &err), -ECANCELED);
	tenet_txn_free(t);
	expect_kv(f->s, "/br/new", "mine", b + 3, b + 3, 1);
	expect_kv(f->s, "/br/a", "2", b + 1, b + 3, 2);
	free(before);
}

/* ---- watch ---- */

static void test_watch_from_old_revision(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *w;
	struct tenet_watch_batch all;
	struct tenet_txn *t;
	int64_t b = f->base;

	put(f->s, "/w/a", "1");         /* b + 1 */
	put(f->s, "/w/b", "2");         /* b + 2 */
	put(f->s, "/wx", "no");         /* b + 3: another prefix */
	put(f->s, "/w/a", "3");         /* b + 4 */
	del(f->s, "/w/b");              /* b + 5 */
	t = tenet_txn_new();            /* b + 6: in the txn's order */
	tenet_txn_put(t, "/w/z", "z");
	tenet_txn_put(t, "/w/c", "c");
	tenet_txn_delete(t, "/w/a");
	tenet_txn_put(t, "/other", "no");
	commit(f->s, t);
	t = tenet_txn_new();            /* b + 7: one delete per key, key order */
	tenet_txn_delete_prefix(t, "/w/");
	commit(f->s, t);

	/* From the first revision of the test: everything under /w/. */
	assert_int_equal(tenet_watch_open(f->s, "/w/", b + 1, &w, &err), 0);
	assert_int_equal(watch_until(w, b + 7, &all, &err), 0);
	assert_int_equal(all.n, 9);
	expect_event(&all.events[0], TENET_WATCH_PUT, "/w/a", "1", b + 1);
	assert_int_equal(all.events[0].kv.create_rev, b + 1);
	assert_int_equal(all.events[0].kv.version, 1);
	expect_event(&all.events[1], TENET_WATCH_PUT, "/w/b", "2", b + 2);
	expect_event(&all.events[2], TENET_WATCH_PUT, "/w/a", "3", b + 4);
	assert_int_equal(all.events[2].kv.create_rev, b + 1);
	assert_int_equal(all.events[2].kv.version, 2);
	expect_event(&all.events[3], TENET_WATCH_DELETE, "/w/b", NULL, b + 5);
	expect_event(&all.events[4], TENET_WATCH_PUT, "/w/z", "z", b + 6);
	expect_event(&all.events[5], TENET_WATCH_PUT, "/w/c", "c", b + 6);
	expect_event(&all.events[6], TENET_WATCH_DELETE, "/w/a", NULL, b + 6);
	expect_event(&all.events[7], TENET_WATCH_DELETE, "/w/c", NULL, b + 7);
	expect_event(&all.events[8], TENET_WATCH_DELETE, "/w/z", NULL, b + 7);
	tenet_watch_batch_free(&all);
	assert_true(tenet_watch_position(w) > b + 7);

	/* Nothing new: a look returns at once, a wait times out, empty. */
	assert_int_equal(tenet_watch_next(w, 0, &all, &err), 0);
	assert_int_equal(all.n, 0);
	assert_int_equal(tenet_watch_next(w, 100, &all, &err), 0);
	assert_int_equal(all.n, 0);
	tenet_watch_close(w);

	/* From the middle: the earlier revisions are not repeated. */
	assert_int_equal(tenet_watch_open(f->s, "/w/", b + 5, &w, &err), 0);
	assert_int_equal(watch_until(w, b + 7, &all, &err), 0);
	assert_int_equal(all.n, 6);
	expect_event(&all.events[0], TENET_WATCH_DELETE, "/w/b", NULL, b + 5);
	tenet_watch_batch_free(&all);
	tenet_watch_close(w);
}

/* The agent's pattern: a range at R, a watch from R + 1, "now" onwards. */
static void test_watch_from_now(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_kv_list l;
	struct tenet_watch *w;
	struct tenet_watch_batch all;
	int64_t now;

	put(f->s, "/now/old", "1");
	assert_int_equal(tenet_store_range(f->s, "/now/", &l, &err), 0);
	now = l.rev;
	assert_int_equal(tenet_watch_open(f->s, "/now/", now + 1, &w, &err), 0);
	assert_int_equal(tenet_watch_live(w), 1);       /* following, once open */
	assert_int_equal(tenet_watch_next(w, 0, &all, &err), 0);
	assert_int_equal(all.n, 0);
	put(f->s, "/now/new", "2");
	del(f->s, "/now/old");
	assert_int_equal(watch_until(w, now + 2, &all, &err), 0);
	assert_int_equal(all.n, 2);
	expect_event(&all.events[0], TENET_WATCH_PUT, "/now/new", "2", now + 1);
	expect_event(&all.events[1], TENET_WATCH_DELETE, "/now/old", NULL, now + 2);
	tenet_watch_batch_free(&all);
	tenet_watch_close(w);
	tenet_kv_list_free(&l);
}

/* A big transaction arrives whole: a batch never splits a revision. */
static void test_watch_whole_revisions(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	char key[32];
	int64_t rev;
	int i;

	for (i = 0; i < TENET_TXN_ATOMIC_OPS; i++) {
		snprintf(key, sizeof(key), "/big/%04d", i);
		tenet_txn_put(t, key, "1");
	}
	rev = commit(f->s, t);
	put(f->s, "/big/x", "2");
	assert_int_equal(tenet_watch_open(f->s, "/big/", rev, &w, &err), 0);
	assert_int_equal(tenet_watch_next(w, 1000, &b, &err), 0);
	assert_true(b.n >= TENET_TXN_ATOMIC_OPS);
	for (i = 0; i < TENET_TXN_ATOMIC_OPS; i++)
		assert_int_equal(b.events[i].kv.mod_rev, rev);
	tenet_watch_batch_free(&b);
	tenet_watch_close(w);
}

/* A commit in another process reaches a waiting watcher, and its fd (when
 * it has one) becomes readable. */
static void test_watch_other_process(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *w;
	struct tenet_watch_batch all;
	int64_t now = revision(f->s);
	int status, fd;
	pid_t pid;

	assert_int_equal(tenet_watch_open(f->s, "/late/", now + 1, &w, &err), 0);
	assert_int_equal(tenet_watch_next(w, 0, &all, &err), 0);
	assert_int_equal(all.n, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tenet_store *s;
		struct tenet_txn *t = tenet_txn_new();

		usleep(100 * 1000);
		if (tenet_store_openf(f->url, 0, &s, NULL) < 0 || tenet_txn_put(t, "/late/1", "x") < 0 ||
		    tenet_store_commit(s, t, NULL, NULL) < 0)
			_exit(1);
		tenet_store_close(s);
		_exit(0);
	}
	fd = tenet_watch_fd(w);
	if (fd >= 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 5000), 1);
	}
	assert_int_equal(watch_until(w, now + 1, &all, &err), 0);
	assert_int_equal(all.n, 1);
	expect_event(&all.events[0], TENET_WATCH_PUT, "/late/1", "x", now + 1);
	tenet_watch_batch_free(&all);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	tenet_watch_close(w);
}

/* ---- compaction ---- */

/* After a compaction at R, a watch from before R is stale (resync) and a
 * watch after R carries on. A watch from exactly R may be either: etcd
 * keeps revision R, SQLite forgets it; both are correct for a caller that
 * resyncs on -ESTALE. Compaction leaves keys alone. */
static void test_compaction(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *early, *w;
	struct tenet_watch_batch all;
	int64_t b = f->base;
	int ret, i;

	put(f->s, "/c/k", "1");         /* b + 1 */
	put(f->s, "/c/k", "2");         /* b + 2 */
	put(f->s, "/c/j", "x");         /* b + 3 */
	put(f->s, "/c/k", "3");         /* b + 4 */
	assert_int_equal(tenet_watch_open(f->s, "/c/", b + 1, &early, &err), 0);
	assert_int_equal(tenet_store_compact(f->s, b + 3, &err), 0);

	/* A watch opened before the compaction either still delivers every
	 * revision (a backend that had them streamed already: etcd) or goes
	 * stale (SQLite); never a gap. */
	ret = watch_until(early, b + 4, &all, &err);
	if (ret == 0) {
		assert_int_equal(all.n, 4);
		for (i = 0; i < 4; i++)
			assert_int_equal(all.events[i].kv.mod_rev, b + 1 + i);
		tenet_watch_batch_free(&all);
	} else {
		assert_int_equal(ret, -ESTALE);
		expect_err(&err, -ESTALE);
		assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_STALE);
	}
	tenet_watch_close(early);
	assert_int_equal(tenet_watch_open(f->s, "/c/", b + 1, &w, &err), -ESTALE);
	assert_null(w);
	expect_err(&err, -ESTALE);
	assert_int_equal(tenet_watch_open(f->s, "/c/", b + 2, &w, &err), -ESTALE);

	/* After the compacted revision: everything still there. */
	assert_int_equal(tenet_watch_open(f->s, "/c/", b + 4, &w, &err), 0);
	put(f->s, "/c/j", "y");         /* b + 5 */
	assert_int_equal(watch_until(w, b + 5, &all, &err), 0);
	assert_int_equal(all.n, 2);
	expect_event(&all.events[0], TENET_WATCH_PUT, "/c/k", "3", b + 4);
	expect_event(&all.events[1], TENET_WATCH_PUT, "/c/j", "y", b + 5);
	tenet_watch_batch_free(&all);
	tenet_watch_close(w);

	/* Keys and their metadata are untouched; the agent's resync works. */
	expect_kv(f->s, "/c/k", "3", b + 1, b + 4, 3);
	expect_range(f->s, "/c/", "/c/j /c/k");

	/* Compacting again at or below is nothing; beyond now is refused. */
	assert_int_equal(tenet_store_compact(f->s, b + 2, &err), 0);
	assert_int_equal(tenet_store_compact(f->s, b + 3, &err), 0);
	assert_int_equal(tenet_store_compact(f->s, b + 99, &err), -EINVAL);
	expect_err(&err, -EINVAL);
	assert_int_equal(tenet_store_compact(f->s, b + 5, &err), 0);
	assert_int_equal(tenet_watch_open(f->s, "/c/", b + 4, &w, &err), -ESTALE);
}

/* ---- several writers ---- */

#define WRITERS 3
#define WRITES 60

/* One writer process: its own keys, a shared counter bumped by
 * compare-and-swap (retried on conflict), and one race to create a key. */
static int writer(const char *url, int id)
{
	struct tenet_store *s;
	char key[64], val[32];
	int i, ret;

	if (tenet_store_openf(url, 0, &s, NULL) < 0)
		return 1;
	for (i = 0; i < WRITES; i++) {
		struct tenet_txn *t = tenet_txn_new();

		snprintf(key, sizeof(key), "/conc/%d/%03d", id, i);
		if (tenet_txn_put(t, key, "1") < 0 || tenet_store_commit(s, t, NULL, NULL) < 0)
			return 2;
		tenet_txn_free(t);
		for (;;) {
			struct tenet_kv kv;
			int64_t mod = 0;
			long n = 0;

			if (tenet_store_get(s, "/counter", &kv, NULL) == 0) {
				mod = kv.mod_rev;
				n = atol(kv.value);
				tenet_kv_clear(&kv);
			}
			t = tenet_txn_new();
			snprintf(val, sizeof(val), "%ld", n + 1);
			tenet_txn_compare(t, "/counter", TENET_CMP_MOD, TENET_CMP_EQ, mod);
			tenet_txn_put(t, "/counter", val);
			ret = tenet_store_commit(s, t, NULL, NULL);
			tenet_txn_free(t);
			if (ret == 0)
				break;
			if (ret != -ECANCELED)
				return 3;
		}
	}
	/* Everyone creates /winner if absent: one succeeds. */
	{
		struct tenet_txn *t = tenet_txn_new();

		snprintf(val, sizeof(val), "%d", id);
		tenet_txn_compare(t, "/winner", TENET_CMP_CREATE, TENET_CMP_EQ, 0);
		tenet_txn_put(t, "/winner", val);
		ret = tenet_store_commit(s, t, NULL, NULL);
		tenet_txn_free(t);
		if (ret < 0 && ret != -ECANCELED)
			return 4;
	}
	tenet_store_close(s);
	return 0;
}

static void test_concurrent_writers(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_kv_list l;
	struct tenet_kv kv;
	struct tenet_watch *w;
	struct tenet_watch_batch all;
	pid_t pids[WRITERS];
	int64_t b = f->base, commits = 2 * WRITERS * WRITES + 1;
	int i, status;

	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(writer(f->url, i));
	}
	for (i = 0; i < WRITERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(tenet_store_range(f->s, "/conc/", &l, &err), 0);
	assert_int_equal(l.n, WRITERS * WRITES);
	tenet_kv_list_free(&l);
	get(f->s, "/counter", &kv);
	/* No lost update: every increment of every writer is there. */
	assert_int_equal(atol(kv.value), WRITERS * WRITES);
	assert_int_equal(kv.version, WRITERS * WRITES);
	tenet_kv_clear(&kv);
	get(f->s, "/winner", &kv);
	assert_int_equal(kv.version, 1);
	tenet_kv_clear(&kv);

	/* One revision per changing commit, each delivered once, in order. */
	assert_int_equal(revision(f->s), b + commits);
	assert_int_equal(tenet_watch_open(f->s, "", b + 1, &w, &err), 0);
	assert_int_equal(watch_until(w, b + commits, &all, &err), 0);
	assert_int_equal(all.n, commits);
	for (i = 0; i < (int)all.n; i++)
		assert_int_equal(all.events[i].kv.mod_rev, b + 1 + i);
	tenet_watch_batch_free(&all);
	tenet_watch_close(w);
}

/* ---- leases ---- */

/* A key under a lease lives while the lease is renewed: revoking or
 * letting it expire deletes the key (an event, a revision). A backend
 * without leases says so for every lease call and refuses a leased put. */
static void test_leases(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *w;
	struct tenet_watch_batch all;
	struct tenet_txn *t;
	int64_t id = 0, ttl = 0, b = f->base;
	int ret, i;

	ret = tenet_store_lease_grant(f->s, 2, &id, &err);
	if (ret == -EOPNOTSUPP) {
		expect_err(&err, -EOPNOTSUPP);
		assert_int_equal(tenet_store_lease_keepalive(f->s, 1, &ttl, &err), -EOPNOTSUPP);
		assert_int_equal(tenet_store_lease_revoke(f->s, 1, &err), -EOPNOTSUPP);
		t = tenet_txn_new();
		assert_int_equal(tenet_txn_put_lease(t, "/l/a", "1", 1), 0);
		assert_int_equal(tenet_store_commit(f->s, t, NULL, &err), -EOPNOTSUPP);
		expect_err(&err, -EOPNOTSUPP);
		tenet_txn_free(t);
		expect_absent(f->s, "/l/a");
		return;
	}
	assert_int_equal(ret, 0);
	assert_true(id > 0);
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_put_lease(t, "/l/a", "1", 0), -EINVAL);
	assert_int_equal(tenet_txn_put_lease(t, "/l/a", "1", id), 0);
	assert_int_equal(tenet_txn_put(t, "/l/plain", "2"), 0);
	assert_int_equal(commit(f->s, t), b + 1);
	expect_kv(f->s, "/l/a", "1", b + 1, b + 1, 1);
	assert_int_equal(tenet_store_lease_keepalive(f->s, id, &ttl, &err), 0);
	assert_true(ttl > 0);
	/* Revoked: the key goes, as a delete event of its own revision. */
	assert_int_equal(tenet_store_lease_revoke(f->s, id, &err), 0);
	expect_absent(f->s, "/l/a");
	assert_int_equal(revision(f->s), b + 2);
	assert_int_equal(tenet_store_lease_keepalive(f->s, id, &ttl, &err), -ENOENT);
	expect_err(&err, -ENOENT);
	assert_int_equal(tenet_watch_open(f->s, "/l/", b + 1, &w, &err), 0);
	assert_int_equal(watch_until(w, b + 2, &all, &err), 0);
	assert_int_equal(all.n, 3);
	expect_event(&all.events[2], TENET_WATCH_DELETE, "/l/a", NULL, b + 2);
	tenet_watch_batch_free(&all);
	tenet_watch_close(w);

	/* Not renewed: it expires, and its key with it. */
	assert_int_equal(tenet_store_lease_grant(f->s, 2, &id, &err), 0);
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_put_lease(t, "/l/b", "3", id), 0);
	commit(f->s, t);
	for (i = 0; i < 100; i++) {
		struct tenet_kv kv;

		if (tenet_store_get(f->s, "/l/b", &kv, NULL) < 0)
			break;
		tenet_kv_clear(&kv);
		usleep(100 * 1000);
	}
	expect_absent(f->s, "/l/b");
	assert_true(i > 5);                     /* it lived a while */
	expect_kv(f->s, "/l/plain", "2", b + 1, b + 1, 1);
}

/* ---- opening and errors ---- */

/* A store that does not exist is "unavailable", and opening it without
 * TENET_STORE_CREATE creates nothing: an agent pointed at the wrong place
 * keeps its datapath and retries. */
static void test_open_missing(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *s = (void *)1;
	int i;

	for (i = 0; i < 2; i++) {
		int ret = tenet_store_openf(f->missing_url, 0, &s, &err);

		assert_true(ret < 0);
		assert_null(s);
		expect_err(&err, ret);
		assert_int_equal(tenet_store_errclass(ret), TENET_STORE_UNAVAILABLE);
	}
	/* The existing store opens without CREATE and is the same store. */
	put(f->s, "/here", "1");
	assert_int_equal(tenet_store_openf(f->url, 0, &s, &err), 0);
	assert_int_equal(revision(s), f->base + 1);
	assert_int_equal(tenet_store_check(s, &err), 0);
	tenet_store_close(s);
	assert_int_equal(tenet_store_openf(f->url, 0x80, &s, &err), -EINVAL);
}

static void test_error_classes(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_kv kv;

	(void)f;
	assert_int_equal(tenet_store_errclass(0), TENET_STORE_OK);
	assert_int_equal(tenet_store_errclass(-ESTALE), TENET_STORE_STALE);
	assert_int_equal(tenet_store_errclass(-ECANCELED), TENET_STORE_CONFLICT);
	assert_int_equal(tenet_store_errclass(-EBADMSG), TENET_STORE_CORRUPT);
	assert_int_equal(tenet_store_errclass(-ENOENT), TENET_STORE_UNAVAILABLE);
	assert_int_equal(tenet_store_errclass(-EIO), TENET_STORE_UNAVAILABLE);
	assert_int_equal(tenet_store_errclass(-EBUSY), TENET_STORE_UNAVAILABLE);
	assert_int_equal(tenet_store_errclass(-ECONNREFUSED), TENET_STORE_UNAVAILABLE);
	assert_int_equal(tenet_store_errclass(-ETIMEDOUT), TENET_STORE_UNAVAILABLE);
	assert_int_equal(tenet_store_errclass(-EINVAL), TENET_STORE_FATAL);
	assert_int_equal(tenet_store_errclass(-EPROTONOSUPPORT), TENET_STORE_FATAL);
	assert_int_equal(tenet_store_errclass(-EPROTO), TENET_STORE_FATAL);

	/* A corrupt value is reported as such, naming its key. */
	put(f->s, "/bad", "{not json");
	get(f->s, "/bad", &kv);
	assert_null(tenet_kv_json(&kv, &err));
	expect_err(&err, -EBADMSG);
	assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_CORRUPT);
	assert_non_null(strstr(err.msg, "/bad"));
	tenet_kv_clear(&kv);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_revisions),
		T(test_txn_ops_in_order),
		T(test_txn_sizes),
		T(test_values_byte_exact),
		T(test_get_errors),
		T(test_range_prefixes),
		T(test_range_metadata),
		T(test_range_each_snapshot),
		T(test_compares),
		T(test_compare_branches),
		T(test_watch_from_old_revision),
		T(test_watch_from_now),
		T(test_watch_whole_revisions),
		T(test_watch_other_process),
		T(test_compaction),
		T(test_changed),
		T(test_concurrent_writers),
		T(test_leases),
		T(test_open_missing),
		T(test_error_classes),
	};
	char name[64];
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const char *why;

		cur = &backends[i];
		why = cur->unavailable ? cur->unavailable() : NULL;
		/* A missing prerequisite is a failure (docs/testing.md). */
		if (why) {
			printf("[  FAILED  ] store contract: %s: unavailable: %s\n", cur->name, why);
			failed++;
			continue;
		}
		snprintf(name, sizeof(name), "store contract: %s", cur->name);
		printf("[ BACKEND  ] %s\n", name);
		fflush(stdout);
		failed += cmocka_run_group_tests_name(name, tests, NULL, NULL);
	}
	return failed;
}

// SPDX-License-Identifier: GPL-2.0
/* Control store: revisions, range reads, transactions, watch, compaction,
 * concurrent writers in several processes on one SQLite file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/sqlite.h"
#include "store/store.h"
#include "testutil.h"

struct fx {
	char *dir;
	char *path;
	struct tenet_store *s;
};

static int setup(void **state)
{
	struct tenet_err err = { 0 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	assert_non_null(f->dir);
	/* A directory that does not exist yet: open must create it. */
	assert_true(asprintf(&f->path, "%s/sub/dir/store.db", f->dir) > 0);
	assert_int_equal(tenet_store_open(f->path, &f->s, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_store_close(f->s);
	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static int64_t put(struct tenet_store *s, const char *key, const char *value)
{
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	int64_t rev = -1;

	assert_non_null(t);
	assert_int_equal(tenet_txn_put(t, key, value), 0);
	assert_int_equal(tenet_store_commit(s, t, &rev, &err), 0);
	tenet_txn_free(t);
	return rev;
}

static int64_t del(struct tenet_store *s, const char *key)
{
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	int64_t rev = -1;

	assert_int_equal(tenet_txn_delete(t, key), 0);
	assert_int_equal(tenet_store_commit(s, t, &rev, &err), 0);
	tenet_txn_free(t);
	return rev;
}

static int64_t revision(struct tenet_store *s)
{
	int64_t rev = -1;

	assert_int_equal(tenet_store_revision(s, &rev, NULL), 0);
	return rev;
}

/* Every key, value and revision, as one string, to compare whole stores. */
static char *dump(struct tenet_store *s)
{
	struct tenet_kv_list l;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(tenet_store_range(s, "", &l, NULL), 0);
	fprintf(f, "rev %lld\n", (long long)l.rev);
	for (i = 0; i < l.n; i++)
		fprintf(f, "%s=%s c%lld m%lld v%lld\n", l.kvs[i].key, l.kvs[i].value,
			(long long)l.kvs[i].create_rev, (long long)l.kvs[i].mod_rev,
			(long long)l.kvs[i].version);
	fclose(f);
	tenet_kv_list_free(&l);
	return buf;
}

static void test_open_creates_wal_store(void **state)
{
	struct fx *f = *state;
	char wal[PATH_MAX];
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(revision(f->s), 0);
	put(f->s, "/k", "1");
	/* WAL mode: commits go to the -wal file next to the database. */
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_string_equal(tenet_store_location(f->s), f->path);
}

static void test_urls(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;
	char *url;

	/* etcd URLs go to the etcd backend (nobody listens on port 1). */
	assert_int_equal(tenet_store_open("etcd://127.0.0.1:1", &s, &err), -ECONNREFUSED);
	assert_null(s);
	assert_string_equal(err.msg, "etcd 127.0.0.1:1: Couldn't connect to server");
	assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_UNAVAILABLE);
	assert_int_equal(tenet_store_open("redis://x", &s, &err), -EPROTONOSUPPORT);
	assert_int_equal(tenet_store_open("sqlite://", &s, &err), -EINVAL);

	/* sqlite:///abs/path is the same file as the plain path. */
	put(f->s, "/shared", "true");
	assert_true(asprintf(&url, "sqlite://%s", f->path) > 0);
	assert_int_equal(tenet_store_open(url, &s, &err), 0);
	assert_int_equal(revision(s), 1);
	tenet_store_close(s);
	free(url);
}

static void test_revisions_increase(void **state)
{
	struct fx *f = *state;
	struct tenet_kv kv;
	struct tenet_err err = { 0 };

	assert_int_equal(put(f->s, "/a", "1"), 1);
	assert_int_equal(put(f->s, "/b", "2"), 2);
	assert_int_equal(put(f->s, "/a", "3"), 3);
	assert_int_equal(tenet_store_get(f->s, "/a", &kv, &err), 0);
	assert_string_equal(kv.value, "3");
	assert_int_equal(kv.create_rev, 1);
	assert_int_equal(kv.mod_rev, 3);
	assert_int_equal(kv.version, 2);
	tenet_kv_clear(&kv);

	/* Deleting nothing changes nothing, not even the revision. */
	assert_int_equal(del(f->s, "/nope"), 3);
	assert_int_equal(del(f->s, "/a"), 4);
	assert_int_equal(tenet_store_get(f->s, "/a", &kv, &err), -ENOENT);
	assert_string_equal(err.msg, "/a: no such key");

	/* Re-created keys start a new life. */
	assert_int_equal(put(f->s, "/a", "5"), 5);
	assert_int_equal(tenet_store_get(f->s, "/a", &kv, &err), 0);
	assert_int_equal(kv.create_rev, 5);
	assert_int_equal(kv.version, 1);
	tenet_kv_clear(&kv);
	assert_int_equal(revision(f->s), 5);
}

static void test_range(void **state)
{
	struct fx *f = *state;
	struct tenet_kv_list l;
	struct tenet_err err = { 0 };

	put(f->s, "/x/2", "{\"n\":2}");
	put(f->s, "/x/1", "{\"n\":1}");
	put(f->s, "/xy", "0");
	put(f->s, "/y/1", "0");

	assert_int_equal(tenet_store_range(f->s, "/x/", &l, &err), 0);
	assert_int_equal(l.rev, 4);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kvs[0].key, "/x/1");
	assert_string_equal(l.kvs[1].key, "/x/2");
	assert_string_equal(l.kvs[1].value, "{\"n\":2}");
	assert_int_equal(l.kvs[1].mod_rev, 1);
	tenet_kv_list_free(&l);

	assert_int_equal(tenet_store_range(f->s, "/x", &l, &err), 0);
	assert_int_equal(l.n, 3);
	tenet_kv_list_free(&l);
	assert_int_equal(tenet_store_range(f->s, "", &l, &err), 0);
	assert_int_equal(l.n, 4);
	tenet_kv_list_free(&l);
	assert_int_equal(tenet_store_range(f->s, "/z", &l, &err), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.rev, 4);
	tenet_kv_list_free(&l);
}

static void test_txn_atomic(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t;
	struct tenet_kv_list l;
	char *before, *after;
	int64_t rev = -1;

	put(f->s, "/a", "1");
	put(f->s, "/b", "1");
	before = dump(f->s);

	/* A failing compare in the middle: nothing of the txn may land. */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/a", TENET_CMP_MOD, TENET_CMP_EQ, 1), 0);
	assert_int_equal(tenet_txn_compare(t, "/b", TENET_CMP_MOD, TENET_CMP_EQ, 1), 0);
	assert_int_equal(tenet_txn_put(t, "/a", "2"), 0);
	assert_int_equal(tenet_txn_put(t, "/c", "2"), 0);
	assert_int_equal(tenet_txn_delete(t, "/b"), 0);
	assert_int_equal(tenet_store_commit(f->s, t, &rev, &err), -ECANCELED);
	assert_string_equal(err.msg, "/b: compare failed (mod == 1)");
	tenet_txn_free(t);
	after = dump(f->s);
	assert_string_equal(before, after);
	free(after);

	/* Create-if-absent: version of a missing key is 0. */
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/c", TENET_CMP_VERSION, TENET_CMP_EQ, 0), 0);
	assert_int_equal(tenet_txn_compare(t, "/b", TENET_CMP_MOD, TENET_CMP_EQ, 2), 0);
	assert_int_equal(tenet_txn_compare(t, "/a", TENET_CMP_CREATE, TENET_CMP_LT, 2), 0);
	assert_int_equal(tenet_txn_compare(t, "/a", TENET_CMP_VERSION, TENET_CMP_GT, 0), 0);
	assert_int_equal(tenet_txn_compare(t, "/a", TENET_CMP_MOD, TENET_CMP_NE, 7), 0);
	assert_int_equal(tenet_txn_put(t, "/a", "2"), 0);
	assert_int_equal(tenet_txn_put(t, "/c", "2"), 0);
	assert_int_equal(tenet_txn_delete(t, "/b"), 0);
	assert_int_equal(tenet_txn_size(t), 3);
	assert_int_equal(tenet_store_commit(f->s, t, &rev, &err), 0);
	tenet_txn_free(t);
	/* One transaction, one revision for all of its changes. */
	assert_int_equal(rev, 3);
	assert_int_equal(tenet_store_range(f->s, "", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kvs[0].key, "/a");
	assert_int_equal(l.kvs[0].mod_rev, 3);
	assert_string_equal(l.kvs[1].key, "/c");
	assert_int_equal(l.kvs[1].mod_rev, 3);
	tenet_kv_list_free(&l);
	free(before);
}

static void test_txn_delete_prefix_and_json(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	struct tenet_kv_list l;
	json_t *j = json_pack("{s:i, s:s}", "b", 1, "a", "x");
	json_t *back;

	put(f->s, "/p/1", "1");
	put(f->s, "/p/2", "2");
	put(f->s, "/q", "3");
	assert_int_equal(tenet_txn_delete_prefix(t, "/p/"), 0);
	assert_int_equal(tenet_txn_put_json(t, "/j", j), 0);
	assert_int_equal(tenet_store_commit(f->s, t, NULL, &err), 0);
	tenet_txn_free(t);
	assert_int_equal(tenet_store_range(f->s, "", &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.kvs[0].key, "/j");
	/* Compact, sorted keys: equal records are equal text. */
	assert_string_equal(l.kvs[0].value, "{\"a\":\"x\",\"b\":1}");
	back = tenet_kv_json(&l.kvs[0], &err);
	assert_true(json_equal(back, j));
	json_decref(back);
	json_decref(j);
	tenet_kv_list_free(&l);
}

static void test_corrupt_value_is_reported(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_kv kv;

	put(f->s, "/bad", "{not json");
	assert_int_equal(tenet_store_get(f->s, "/bad", &kv, &err), 0);
	assert_null(tenet_kv_json(&kv, &err));
	assert_int_equal(err.code, -EBADMSG);
	assert_non_null(strstr(err.msg, "/bad: value is not JSON"));
	tenet_kv_clear(&kv);
}

static void expect_event(const struct tenet_watch_event *ev, enum tenet_watch_type type,
			 const char *key, const char *value, int64_t rev)
{
	assert_int_equal(ev->type, type);
	assert_string_equal(ev->kv.key, key);
	if (value)
		assert_string_equal(ev->kv.value, value);
	else
		assert_null(ev->kv.value);
	assert_int_equal(ev->kv.mod_rev, rev);
}

static void test_watch_from_revision(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	struct tenet_txn *t;

	put(f->s, "/w/a", "1");         /* 1 */
	put(f->s, "/w/b", "2");         /* 2 */
	put(f->s, "/other", "x");       /* 3 */
	put(f->s, "/w/a", "3");         /* 4 */
	del(f->s, "/w/b");              /* 5 */

	assert_int_equal(tenet_watch_open(f->s, "/w/", 2, &w, &err), 0);
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
	assert_int_equal(b.n, 3);
	expect_event(&b.events[0], TENET_WATCH_PUT, "/w/b", "2", 2);
	expect_event(&b.events[1], TENET_WATCH_PUT, "/w/a", "3", 4);
	assert_int_equal(b.events[1].kv.create_rev, 1);
	assert_int_equal(b.events[1].kv.version, 2);
	expect_event(&b.events[2], TENET_WATCH_DELETE, "/w/b", NULL, 5);
	assert_int_equal(b.rev, 5);
	tenet_watch_batch_free(&b);
	assert_int_equal(tenet_watch_position(w), 6);

	/* Nothing new: a zero timeout returns at once, a short one times out. */
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(tenet_watch_next(w, 50, &b, &err), 0);
	assert_int_equal(b.n, 0);

	/* A multi-op txn arrives whole and in order; other prefixes do not. */
	put(f->s, "/other", "y");       /* 6 */
	t = tenet_txn_new();
	tenet_txn_put(t, "/w/z", "z");
	tenet_txn_put(t, "/w/c", "c");
	tenet_txn_delete(t, "/w/a");
	assert_int_equal(tenet_store_commit(f->s, t, NULL, &err), 0); /* 7 */
	tenet_txn_free(t);
	assert_int_equal(tenet_watch_next(w, 1000, &b, &err), 0);
	assert_int_equal(b.n, 3);
	expect_event(&b.events[0], TENET_WATCH_PUT, "/w/z", "z", 7);
	expect_event(&b.events[1], TENET_WATCH_PUT, "/w/c", "c", 7);
	expect_event(&b.events[2], TENET_WATCH_DELETE, "/w/a", NULL, 7);
	tenet_watch_batch_free(&b);
	tenet_watch_close(w);
}

/* The agent's pattern: range at R, watch from R + 1, miss nothing. */
static void test_resync_then_watch(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_kv_list l;
	struct tenet_watch *w;
	struct tenet_watch_batch b;

	put(f->s, "/r/1", "1");
	put(f->s, "/r/2", "2");
	assert_int_equal(tenet_store_range(f->s, "/r/", &l, &err), 0);
	assert_int_equal(tenet_watch_open(f->s, "/r/", l.rev + 1, &w, &err), 0);
	put(f->s, "/r/3", "3");
	assert_int_equal(tenet_watch_next(w, 1000, &b, &err), 0);
	assert_int_equal(b.n, 1);
	expect_event(&b.events[0], TENET_WATCH_PUT, "/r/3", "3", l.rev + 1);
	tenet_watch_batch_free(&b);
	tenet_watch_close(w);
	tenet_kv_list_free(&l);
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A write by another process wakes a blocked watcher promptly. */
static void test_watch_wakes_on_other_process(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	struct timespec t0;
	int status;
	pid_t pid;

	assert_int_equal(tenet_watch_open(f->s, "", 1, &w, &err), 0);
	assert_true(tenet_watch_fd(w) >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tenet_store *s;
		struct tenet_txn *t = tenet_txn_new();

		usleep(100 * 1000);
		if (tenet_store_open(f->path, &s, NULL) < 0 || tenet_txn_put(t, "/late", "1") < 0 ||
		    tenet_store_commit(s, t, NULL, NULL) < 0)
			_exit(1);
		tenet_store_close(s);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(tenet_watch_next(w, 10000, &b, &err), 0);
	assert_int_equal(b.n, 1);
	expect_event(&b.events[0], TENET_WATCH_PUT, "/late", "1", 1);
	/* Woken by the change, not by the 1 s safety poll. */
	assert_true(ms_since(&t0) < 900);
	tenet_watch_batch_free(&b);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	tenet_watch_close(w);
}

/* The watch fd, for an event loop: quiet when nothing changed, readable
 * after a commit through another handle (as from another process). */
static void test_watch_fd_readable_after_commit(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *other;
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	struct pollfd pfd = { .events = POLLIN };

	assert_int_equal(tenet_watch_open(f->s, "/fd/", 1, &w, &err), 0);
	pfd.fd = tenet_watch_fd(w);
	assert_true(pfd.fd >= 0);
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);   /* drains */
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(tenet_store_open(f->path, &other, &err), 0);
	put(other, "/fd/x", "1");
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
	assert_int_equal(b.n, 1);
	expect_event(&b.events[0], TENET_WATCH_PUT, "/fd/x", "1", 1);
	tenet_watch_batch_free(&b);
	tenet_store_close(other);
	tenet_watch_close(w);
}

static void test_compaction(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	struct tenet_kv_list l;

	put(f->s, "/c", "1");
	put(f->s, "/c", "2");
	put(f->s, "/c", "3");
	assert_int_equal(tenet_watch_open(f->s, "", 2, &w, &err), 0);
	assert_int_equal(tenet_store_compact(f->s, 2, &err), 0);
	/* Position 2 was compacted away: the watcher must resync. */
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), -ESTALE);
	tenet_watch_close(w);
	assert_int_equal(tenet_watch_open(f->s, "", 1, &w, &err), -ESTALE);
	assert_int_equal(tenet_watch_open(f->s, "", 3, &w, &err), 0);
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
	assert_int_equal(b.n, 1);
	expect_event(&b.events[0], TENET_WATCH_PUT, "/c", "3", 3);
	tenet_watch_batch_free(&b);
	tenet_watch_close(w);
	/* Keys are untouched by compaction. */
	assert_int_equal(tenet_store_range(f->s, "", &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.kvs[0].value, "3");
	tenet_kv_list_free(&l);
	assert_int_equal(tenet_store_compact(f->s, 99, &err), -EINVAL);
}

/* Big backlogs come in batches that never split a revision. */
static void test_watch_batches(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	struct tenet_watch *w;
	struct tenet_watch_batch b;
	char key[32];
	size_t total = 0;
	int i;

	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "/big/%04d", i);
		tenet_txn_put(t, key, "1");
	}
	assert_int_equal(tenet_store_commit(f->s, t, NULL, &err), 0);  /* rev 1: 1500 */
	tenet_txn_free(t);
	for (i = 0; i < 3; i++)
		put(f->s, "/big/x", "2");                               /* revs 2..4 */
	assert_int_equal(tenet_watch_open(f->s, "/big/", 1, &w, &err), 0);
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
	assert_int_equal(b.n, 1500);
	assert_int_equal(b.rev, 1);
	total += b.n;
	tenet_watch_batch_free(&b);
	assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
	assert_int_equal(b.n, 3);
	assert_int_equal(b.rev, 4);
	total += b.n;
	tenet_watch_batch_free(&b);
	assert_int_equal(total, 1503);
	tenet_watch_close(w);
}

#define WRITES 150

/* One writer process: distinct keys plus a shared counter bumped by
 * compare-and-swap, retried on conflict. */
static int writer(const char *path, int id)
{
	struct tenet_store *s;
	char key[64], val[32];
	int i;

	if (tenet_store_open(path, &s, NULL) < 0)
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
			int ret;

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
	struct tenet_watch_batch b;
	pid_t pids[2];
	int i, status;
	int64_t prev = 0;
	size_t n;

	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(writer(f->path, i));
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(tenet_store_range(f->s, "/conc/", &l, &err), 0);
	assert_int_equal(l.n, 2 * WRITES);
	tenet_kv_list_free(&l);
	assert_int_equal(tenet_store_get(f->s, "/counter", &kv, &err), 0);
	/* No lost update: every increment of both writers is there. */
	assert_int_equal(atol(kv.value), 2 * WRITES);
	tenet_kv_clear(&kv);

	/* 4 * WRITES commits, one revision each, and the log has them all. */
	assert_int_equal(revision(f->s), 4 * WRITES);
	assert_int_equal(tenet_watch_open(f->s, "", 1, &w, &err), 0);
	n = 0;
	do {
		assert_int_equal(tenet_watch_next(w, 0, &b, &err), 0);
		assert_true(b.n > 0);
		for (i = 0; i < (int)b.n; i++) {
			assert_int_equal(b.events[i].kv.mod_rev, prev + 1);
			prev = b.events[i].kv.mod_rev;
		}
		n += b.n;
		tenet_watch_batch_free(&b);
	} while (prev < 4 * WRITES);
	assert_int_equal(n, 4 * WRITES);
	tenet_watch_close(w);
}

/* Without TENET_STORE_CREATE nothing is created: not the file, not its
 * directory, not a schema in an empty file. */
static void test_open_without_create(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;
	struct stat st;
	char *path, *dir;
	sqlite3 *db;
	FILE *fp;

	assert_true(asprintf(&dir, "%s/new", f->dir) > 0);
	assert_true(asprintf(&path, "%s/store.db", dir) > 0);
	assert_int_equal(tenet_store_openf(path, 0, &s, &err), -ENOENT);
	assert_null(s);
	assert_true(!strncmp(err.msg, "store ", 6) && strstr(err.msg, "/new/store.db: does not exist"));
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(tenet_store_openf(path, TENET_STORE_CREATE, &s, &err), 0);
	tenet_store_close(s);
	assert_int_equal(tenet_store_openf(path, 0, &s, &err), 0);
	assert_int_equal(revision(s), 0);
	tenet_store_close(s);
	free(path);

	/* An empty file (or one being created right now) is not a store yet,
	 * and stays empty. */
	assert_true(asprintf(&path, "%s/empty.db", dir) > 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(tenet_store_openf(path, 0, &s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "empty.db: empty file, not created yet"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	free(path);

	/* Another program's database, and a file that is no database. */
	assert_true(asprintf(&path, "%s/other.db", dir) > 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(tenet_store_openf(path, 0, &s, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "other.db: not a tenet store"));
	free(path);
	assert_true(asprintf(&path, "%s/text.db", dir) > 0);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "this is not a database, but it is long enough to have a header\n%0200d\n", 0);
	fclose(fp);
	assert_int_equal(tenet_store_openf(path, 0, &s, &err), -EBADMSG);
	assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_CORRUPT);
	free(path);
	free(dir);
}

/* The handle notices when its file is gone or replaced (a restore from a
 * backup, an operator's mv): the agent then reopens and resyncs. */
static void test_check_replaced(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *other;
	char *moved;

	put(f->s, "/k", "1");
	assert_int_equal(tenet_store_check(f->s, &err), 0);
	assert_true(asprintf(&moved, "%s.moved", f->path) > 0);
	assert_int_equal(rename(f->path, moved), 0);
	assert_int_equal(tenet_store_check(f->s, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "store.db: does not exist"));
	assert_int_equal(tenet_store_open(f->path, &other, &err), 0);
	tenet_store_close(other);
	assert_int_equal(tenet_store_check(f->s, &err), -ESTALE);
	assert_non_null(strstr(err.msg, "store.db: replaced by another file"));
	assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_STALE);
	free(moved);
}

/* The plan SQLite picks for a range read must use both bounds of the key
 * index ("key>? AND key<?"), or every prefix read scans to the end of the
 * table and writes slow down as the store grows. */
static void expect_plan(sqlite3 *db, const char *sql, const char *want)
{
	sqlite3_stmt *st;
	char *eqp;
	bool found = false;

	assert_true(asprintf(&eqp, "EXPLAIN QUERY PLAN %s", sql) > 0);
	assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);

		if (detail && strstr(detail, want))
			found = true;
		/* No scan of the whole table, no sort after it. */
		assert_null(strstr(detail, "SCAN"));
		assert_null(strstr(detail, "TEMP B-TREE"));
	}
	sqlite3_finalize(st);
	assert_true(found);
	free(eqp);
}

/* The backend keeps its statements prepared per handle: a read nested
 * in a streamed range (the callback reads the same handle), the bounded
 * and the open range in turn, and a failed compare between writes must
 * leave every later call seeing the store as it is. */
struct nested {
	struct tenet_store *s;
	size_t n, found;
};

static int nested_get(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	struct nested *x = arg;
	struct tenet_kv got;

	x->n++;
	if (tenet_store_get(x->s, kv->key, &got, err) < 0)
		return -EIO;
	if (!strcmp(got.value, kv->value))
		x->found++;
	tenet_kv_clear(&got);
	return 0;
}

static void test_cached_statements(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct nested x = { .s = f->s };
	struct tenet_kv_list l;
	struct tenet_txn *t;
	int64_t rev = 0;
	static const size_t want[] = { 2, 4, 3 };
	int i;

	put(f->s, "/a/1", "1");
	put(f->s, "/a/2", "2");
	put(f->s, "/b/1", "3");
	assert_int_equal(tenet_store_range_each(f->s, "/a/", nested_get, &x, &rev, &err), 0);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.found, 2);
	for (i = 0; i < 3; i++) {
		assert_int_equal(tenet_store_range(f->s, i % 2 ? "" : "/a/", &l, &err), 0);
		assert_int_equal(l.n, want[i]);
		tenet_kv_list_free(&l);
		/* A compare that fails rolls back; the next write still lands. */
		t = tenet_txn_new();
		assert_int_equal(tenet_txn_compare(t, "/b/1", TENET_CMP_VERSION, TENET_CMP_EQ, 99), 0);
		assert_int_equal(tenet_txn_put(t, "/b/1", "no"), 0);
		assert_int_equal(tenet_store_commit(f->s, t, &rev, &err), -ECANCELED);
		tenet_txn_free(t);
		put(f->s, "/a/3", "x");
	}
	assert_int_equal(tenet_store_range(f->s, "/a/", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.kvs[2].version, 3);
	assert_int_equal(l.rev, 6);
	tenet_kv_list_free(&l);
}

/* A batch: its commits each get their revision and are seen by the
 * handle's own reads at once, by another handle only when the batch
 * ends; a failed commit inside it undoes only itself; a batch ended
 * without commit leaves the store as it was. */
static void test_batch(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *o;
	struct tenet_kv_list l;
	struct tenet_kv kv;
	struct tenet_txn *t;
	int64_t rev = 0;

	assert_int_equal(tenet_store_openf(f->path, 0, &o, &err), 0);
	put(f->s, "/a/0", "0");
	assert_int_equal(tenet_store_batch_begin(f->s, &err), 0);
	assert_int_equal(tenet_store_batch_begin(f->s, &err), -EINVAL);
	assert_int_equal(put(f->s, "/a/1", "1"), 2);
	assert_int_equal(put(f->s, "/a/2", "2"), 3);
	t = tenet_txn_new();
	assert_int_equal(tenet_txn_compare(t, "/a/1", TENET_CMP_VERSION, TENET_CMP_EQ, 7), 0);
	assert_int_equal(tenet_txn_put(t, "/a/3", "no"), 0);
	assert_int_equal(tenet_store_commit(f->s, t, &rev, &err), -ECANCELED);
	tenet_txn_free(t);
	assert_int_equal(tenet_store_get(f->s, "/a/2", &kv, &err), 0);
	assert_int_equal(kv.mod_rev, 3);
	tenet_kv_clear(&kv);
	assert_int_equal(tenet_store_range(f->s, "/a/", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.rev, 3);
	tenet_kv_list_free(&l);
	/* Another handle reads the store as it was before the batch. */
	assert_int_equal(tenet_store_range(o, "/a/", &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.rev, 1);
	tenet_kv_list_free(&l);
	assert_int_equal(tenet_store_batch_end(f->s, true, &err), 0);
	assert_int_equal(tenet_store_batch_end(f->s, true, &err), -EINVAL);
	assert_int_equal(tenet_store_range(o, "/a/", &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.rev, 3);
	tenet_kv_list_free(&l);
	/* Dropped: nothing of it stays. */
	assert_int_equal(tenet_store_batch_begin(f->s, &err), 0);
	assert_int_equal(put(f->s, "/a/9", "9"), 4);
	assert_int_equal(tenet_store_batch_end(f->s, false, &err), 0);
	assert_int_equal(tenet_store_get(o, "/a/9", &kv, &err), -ENOENT);
	assert_int_equal(tenet_store_revision(f->s, &rev, &err), 0);
	assert_int_equal(rev, 3);
	assert_int_equal(put(f->s, "/a/9", "9"), 4);
	tenet_store_close(o);
}

static void test_range_query_plans(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;

	put(f->s, "/k", "1");
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	expect_plan(db, tenet_sqlite_range_sql, "USING PRIMARY KEY (key>? AND key<?)");
	expect_plan(db, tenet_sqlite_keys_sql, "USING PRIMARY KEY (key>? AND key<?)");
	expect_plan(db, tenet_sqlite_range_open_sql, "USING PRIMARY KEY (key>?)");
	sqlite3_close(db);
}

static void test_unknown_scheme(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s = NULL;

	(void)state;
	assert_int_equal(tenet_store_open("redis://x", &s, &err), -EPROTONOSUPPORT);
	assert_string_equal(err.msg, "store redis://x: unknown scheme (use sqlite:///PATH or a path)");
	assert_int_equal(tenet_store_errclass(err.code), TENET_STORE_FATAL);
	assert_int_equal(tenet_store_open("sqlite://", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "store sqlite://: no file path");
	assert_int_equal(tenet_store_open("etcd://", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "store etcd://: no endpoint");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_wal_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revisions_increase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_txn_delete_prefix_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_value_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_from_revision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_then_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_wakes_on_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_fd_readable_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_without_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_query_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_scheme, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

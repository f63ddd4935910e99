// SPDX-License-Identifier: GPL-2.0
/* SQLite backend of the control store. One database file in WAL mode so
 * that readers never block the writer and several processes (agents, the
 * CLI, tests) can share it. Tables:
 *   meta(name, value)  revision, compact (highest compacted revision), schema
 *   kv(key, value, create_rev, mod_rev, version)         the current state
 *   log(rev, idx, key, value, create_rev, version)       every change, for
 *       watches; value NULL marks a delete; idx orders changes inside a txn.
 * Writers take the write lock up front (BEGIN IMMEDIATE): a transaction
 * that reads, then upgrades, can fail with SQLITE_BUSY without waiting,
 * while BEGIN IMMEDIATE waits out busy_timeout like every other lock. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sqlite.h"
#include "store/store_int.h"

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 10000
/* Rows one watch call returns at most (it completes the last revision). */
#define WATCH_BATCH_ROWS 1024
/* Longest sleep between looks when waiting: inotify is a hint, the log is
 * the truth, so a missed notification costs at most this much latency. */
#define WATCH_SLICE_MS 1000

/* The statements of the hot paths (a watch's look at the log, a status
 * write, a policy write's reads), prepared once per handle: compiling SQL
 * was most of what SQLite cost per change (docs/performance.md). */
enum sq_stmt_id {
	ST_BEGIN, ST_BEGIN_IMMEDIATE, ST_COMMIT, ST_SAVEPOINT, ST_RELEASE,
	ST_META_GET, ST_META_SET, ST_GET, ST_KEY_STATE, ST_VALUE,
	ST_RANGE, ST_RANGE_OPEN, ST_KEYS, ST_KEYS_OPEN,
	ST_PUT, ST_DELETE, ST_LOG, ST_BATCH_END, ST_EVENTS, ST_CHANGED,
	ST_COUNT
};

struct sq_cached {
	sqlite3_stmt *st;
	bool busy;              /* handed out and not yet given back */
};

struct sq_store {
	sqlite3 *db;
	dev_t dev;              /* the file opened, to notice its replacement */
	ino_t ino;
	struct sq_cached stmts[ST_COUNT];
	bool batch;             /* in a batch: one open write transaction */
};

struct sq_watch {
	int ifd;                /* inotify on the store's directory, or -1 */
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,"
	" create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS log (rev INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" key TEXT NOT NULL, value TEXT, create_rev INTEGER NOT NULL,"
	" version INTEGER NOT NULL, PRIMARY KEY (rev, idx)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compact', 0), ('schema', 1);";

static struct sq_store *SQ(struct tenet_store *s)
{
	return s->priv;
}

static int rc_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static int sq_fail(struct tenet_store *s, int rc, const char *what, struct tenet_err *err)
{
	const char *msg = SQ(s) && SQ(s)->db ? sqlite3_errmsg(SQ(s)->db) : sqlite3_errstr(rc);

	return tenet_err_set(err, rc_errno(rc), "store %s: %s: %s", s->location, what, msg);
}

static int sq_exec(struct tenet_store *s, const char *sql, struct tenet_err *err)
{
	int rc = sqlite3_exec(SQ(s)->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(s, rc, sql, err);
}

static int sq_prepare(struct tenet_store *s, const char *sql, sqlite3_stmt **st,
		      struct tenet_err *err)
{
	int rc = sqlite3_prepare_v2(SQ(s)->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(s, rc, "prepare", err);
}

/* A cached statement: prepared on first use, then reset and reused. A
 * statement still in use (a range read whose callback reads the same
 * handle again) is not shared: the nested use gets one of its own,
 * finalized by sq_put. Statements from sqlite3_prepare_v2 re-prepare
 * themselves when the schema changes. */
static int sq_stmt(struct tenet_store *s, enum sq_stmt_id id, const char *sql,
		   sqlite3_stmt **st, struct tenet_err *err)
{
	struct sq_cached *c = &SQ(s)->stmts[id];
	int ret;

	if (c->busy)
		return sq_prepare(s, sql, st, err);
	if (!c->st) {
		ret = sq_prepare(s, sql, &c->st, err);
		if (ret < 0)
			return ret;
	}
	c->busy = true;
	*st = c->st;
	return 0;
}

/* Gives back what sq_stmt handed out (NULL: nothing): a cached statement
 * is reset (ending its read) and its bindings cleared (they point into
 * the caller's strings); any other is finalized. */
static void sq_put(struct tenet_store *s, sqlite3_stmt *st)
{
	struct sq_store *ss = SQ(s);
	size_t i;

	if (!st)
		return;
	for (i = 0; i < ST_COUNT; i++) {
		if (ss->stmts[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			ss->stmts[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

static void sq_stmts_free(struct sq_store *ss)
{
	size_t i;

	for (i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(ss->stmts[i].st);
		ss->stmts[i].st = NULL;
		ss->stmts[i].busy = false;
	}
}

/* BEGIN, BEGIN IMMEDIATE and COMMIT, cached; errors as sq_exec's. */
static int sq_exec_cached(struct tenet_store *s, enum sq_stmt_id id, const char *sql,
			  struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(s, id, sql, &st, err);
	if (ret < 0)
		return ret;
	rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? 0 : sq_fail(s, rc, sql, err);
	sq_put(s, st);
	return ret;
}

#define sq_begin(s, err) sq_exec_cached(s, ST_BEGIN, "BEGIN", err)
#define sq_begin_immediate(s, err) sq_exec_cached(s, ST_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE", err)
#define sq_commit_txn(s, err) sq_exec_cached(s, ST_COMMIT, "COMMIT", err)

/* Ends a transaction without masking the error that made us end it. */
static void sq_rollback(struct tenet_store *s)
{
	if (!sqlite3_get_autocommit(SQ(s)->db))
		sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A read snapshot: its own transaction, or, in a batch, the batch's
 * (which holds the write lock: nothing else changes the store under it). */
static int read_begin(struct tenet_store *s, struct tenet_err *err)
{
	return SQ(s)->batch ? 0 : sq_begin(s, err);
}

static int read_end(struct tenet_store *s, int ret, struct tenet_err *err)
{
	if (SQ(s)->batch)
		return ret;
	if (ret == 0)
		ret = sq_commit_txn(s, err);
	if (ret < 0)
		sq_rollback(s);
	return ret;
}

/* A write: its own BEGIN IMMEDIATE ... COMMIT, or, in a batch, a
 * savepoint released into the batch's transaction (rolled back alone
 * when it fails). */
static int write_begin(struct tenet_store *s, struct tenet_err *err)
{
	return SQ(s)->batch ? sq_exec_cached(s, ST_SAVEPOINT, "SAVEPOINT w", err)
			    : sq_begin_immediate(s, err);
}

static int write_end(struct tenet_store *s, int ret, struct tenet_err *err)
{
	if (!SQ(s)->batch)
		return read_end(s, ret, err);
	if (ret == 0)
		ret = sq_exec_cached(s, ST_RELEASE, "RELEASE w", err);
	if (ret < 0)
		sqlite3_exec(SQ(s)->db, "ROLLBACK TO w; RELEASE w", NULL, NULL, NULL);
	return ret;
}

static int meta_get(struct tenet_store *s, const char *name, int64_t *v, struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(s, ST_META_GET, "SELECT value FROM meta WHERE name = ?1", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = rc == SQLITE_DONE ? tenet_err_set(err, -EBADMSG,
							"store %s: no %s in meta: not a tenet store",
							s->location, name)
					: sq_fail(s, rc, "read meta", err);
		goto out;
	}
	*v = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sq_put(s, st);
	return ret;
}

static int meta_set(struct tenet_store *s, const char *name, int64_t v, struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(s, ST_META_SET, "UPDATE meta SET value = ?2 WHERE name = ?1", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? 0 : sq_fail(s, rc, "write meta", err);
out:
	sq_put(s, st);
	return ret;
}

/* mkdir -p of the directory that will hold the database file. */
static int make_parent_dirs(const char *path, struct tenet_err *err)
{
	char *dir = strdup(path);
	char *slash, *p;
	int ret = 0;

	if (!dir)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = tenet_err_set(err, -errno, "store %s: cannot create directory %s: %s",
					    path, dir, strerror(errno));
			goto out;
		}
		*p = c;
		if (!c)
			break;
	}
out:
	free(dir);
	return ret;
}

/* WAL mode is persistent in the file; switching needs a moment of
 * exclusive access, which a concurrent opener may briefly hold. */
/* Switching a new database file to WAL needs an exclusive lock, and SQLite
 * answers SQLITE_BUSY at once there instead of calling the busy handler:
 * two processes opening a fresh store together (agents and the CLI in the
 * tests) would see "database is locked". Retry for as long as any other
 * lock would wait. Once the file is in WAL mode the pragma is a no-op. */
static int set_wal(struct tenet_store *s, struct tenet_err *err)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	sqlite3_stmt *st = NULL;
	int ret, rc, waited_ms = 0;

	ret = sq_prepare(s, "PRAGMA journal_mode=WAL", &st, err);
	if (ret < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_BUSY && waited_ms < BUSY_TIMEOUT_MS) {
		sqlite3_reset(st);
		nanosleep(&pause, NULL);
		waited_ms += 10;
	}
	if (rc != SQLITE_ROW) {
		ret = sq_fail(s, rc, "enable WAL", err);
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), "wal")) {
		ret = tenet_err_set(err, -ENOTSUP,
				    "store %s: WAL mode unavailable (journal mode stays %s)",
				    s->location, (const char *)sqlite3_column_text(st, 0));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int init_schema(struct tenet_store *s, struct tenet_err *err)
{
	int64_t version;
	int ret;

	ret = sq_exec(s, "BEGIN IMMEDIATE", err);
	if (ret < 0)
		return ret;
	ret = sq_exec(s, schema_sql, err);
	if (ret < 0)
		goto out;
	ret = meta_get(s, "schema", &version, err);
	if (ret < 0)
		goto out;
	if (version > SCHEMA_VERSION) {
		ret = tenet_err_set(err, -EPROTO,
				    "store %s: schema %lld is newer than this tenet's (%d)",
				    s->location, (long long)version, SCHEMA_VERSION);
		goto out;
	}
	ret = sq_exec(s, "COMMIT", err);
out:
	if (ret < 0)
		sq_rollback(s);
	return ret;
}

/* An existing store's schema, read without writing anything: opening
 * without TENET_STORE_CREATE must leave a file that is not (yet) a store
 * as it found it. An empty file (SQLite's own "new database", or one that
 * another process is creating right now) is a store that does not exist
 * yet; a database without our meta table is not a tenet store. */
static int check_schema(struct tenet_store *s, struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t version, tables, meta;
	int ret, rc;

	ret = sq_prepare(s, "SELECT count(*), count(*) FILTER (WHERE name = 'meta')"
			    " FROM sqlite_master WHERE type = 'table'", &st, err);
	if (ret < 0)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = sq_fail(s, rc, "read schema", err);
		goto out;
	}
	tables = sqlite3_column_int64(st, 0);
	meta = sqlite3_column_int64(st, 1);
	if (!tables) {
		ret = tenet_err_set(err, -ENOENT, "store %s: empty file, not created yet",
				    s->location);
		goto out;
	}
	if (!meta) {
		ret = tenet_err_set(err, -EBADMSG, "store %s: not a tenet store", s->location);
		goto out;
	}
	ret = meta_get(s, "schema", &version, err);
	if (ret == 0 && version > SCHEMA_VERSION)
		ret = tenet_err_set(err, -EPROTO,
				    "store %s: schema %lld is newer than this tenet's (%d)",
				    s->location, (long long)version, SCHEMA_VERSION);
out:
	sqlite3_finalize(st);
	return ret;
}

static int sq_open(struct tenet_store *s, const char *path, unsigned int flags,
		   struct tenet_err *err)
{
	bool create = flags & TENET_STORE_CREATE;
	struct sq_store *ss;
	struct stat sb;
	int ret, rc;

	if (create) {
		ret = make_parent_dirs(path, err);
		if (ret < 0)
			return ret;
	} else if (stat(path, &sb) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
		return tenet_err_set(err, -ENOENT, "store %s: does not exist", path);
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	s->priv = ss;
	/* NOMUTEX: a handle is used by one thread at a time (tenet has no
	 * threads on a SQLite store), so SQLite's per-call mutex is pure
	 * cost: it was a quarter of the instructions of reading a row (every
	 * sqlite3_column_* call takes it), at 1M rows per agent start. */
	rc = sqlite3_open_v2(path, &ss->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
			     (create ? SQLITE_OPEN_CREATE : 0), NULL);
	if (rc != SQLITE_OK) {
		ret = sq_fail(s, rc, "open", err);
		goto out;
	}
	/* Set before anything that locks, so every lock waits, opening too. */
	sqlite3_busy_timeout(ss->db, BUSY_TIMEOUT_MS);
	if (!create) {
		ret = check_schema(s, err);
		if (ret < 0)
			goto out;
	}
	ret = set_wal(s, err);
	if (ret < 0)
		goto out;
	/* FULL: a CLI command that said "done" survives a power cut. */
	ret = sq_exec(s, "PRAGMA synchronous=FULL", err);
	if (ret < 0)
		goto out;
	if (create) {
		ret = init_schema(s, err);
		if (ret < 0)
			goto out;
	}
	/* The file now open, to tell later whether the path still names it. */
	if (stat(path, &sb) < 0) {
		ret = tenet_err_set(err, -errno, "store %s: %s", path, strerror(errno));
		goto out;
	}
	ss->dev = sb.st_dev;
	ss->ino = sb.st_ino;
out:
	if (ret < 0) {
		sq_stmts_free(ss);
		sqlite3_close(ss->db);
		free(ss);
		s->priv = NULL;
	}
	return ret;
}

static int sq_check(struct tenet_store *s, struct tenet_err *err)
{
	struct sq_store *ss = SQ(s);
	struct stat sb;

	if (stat(s->location, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return tenet_err_set(err, -ENOENT, "store %s: does not exist",
					     s->location);
		return tenet_err_set(err, -errno, "store %s: %s", s->location, strerror(errno));
	}
	if (sb.st_dev != ss->dev || sb.st_ino != ss->ino)
		return tenet_err_set(err, -ESTALE, "store %s: replaced by another file",
				     s->location);
	return 0;
}

static void sq_close(struct tenet_store *s)
{
	struct sq_store *ss = SQ(s);

	if (!ss)
		return;
	/* Every statement finalized first, or the close fails and leaks. */
	sq_stmts_free(ss);
	sqlite3_close(ss->db);
	free(ss);
	s->priv = NULL;
}

static int sq_revision(struct tenet_store *s, int64_t *rev, struct tenet_err *err)
{
	return meta_get(s, "revision", rev, err);
}

/* Copies a text column; NULL stays NULL. */
static int col_text(sqlite3_stmt *st, int col, char **out, size_t *len)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	*out = NULL;
	if (len)
		*len = 0;
	if (!t)
		return 0;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, t, (size_t)n);
	(*out)[n] = '\0';
	if (len)
		*len = (size_t)n;
	return 0;
}

/* Row of SELECT key, value, create_rev, mod_rev, version. */
static int row_kv(sqlite3_stmt *st, struct tenet_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	if (col_text(st, 0, &kv->key, NULL) < 0 ||
	    col_text(st, 1, &kv->value, &kv->value_len) < 0) {
		tenet_kv_clear(kv);
		return -ENOMEM;
	}
	kv->create_rev = sqlite3_column_int64(st, 2);
	kv->mod_rev = sqlite3_column_int64(st, 3);
	kv->version = sqlite3_column_int64(st, 4);
	return 0;
}

static int sq_get(struct tenet_store *s, const char *key, struct tenet_kv *out,
		  struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(s, ST_GET, "SELECT key, value, create_rev, mod_rev, version FROM kv"
			 " WHERE key = ?1", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		ret = tenet_err_set(err, -ENOENT, "%s: no such key", key);
	else if (rc != SQLITE_ROW)
		ret = sq_fail(s, rc, "get", err);
	else if (row_kv(st, out) < 0)
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
out:
	sq_put(s, st);
	return ret;
}

/* Range reads: a prefix is the half-open range [prefix, end), and only
 * the empty prefix (or one of 0xff bytes) has no end. Two statements, not
 * one with "(?2 IS NULL OR key < ?2)": SQLite plans that with the lower
 * bound alone, so every prefix read would scan to the end of the table
 * and writes, whose checks read prefixes, would slow down as the store
 * grows. selftests/unit/test_store.c checks both plans. */
#define KV_COLS "key, value, create_rev, mod_rev, version"
const char tenet_sqlite_range_sql[] =
	"SELECT " KV_COLS " FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key";
const char tenet_sqlite_range_open_sql[] =
	"SELECT " KV_COLS " FROM kv WHERE key >= ?1 ORDER BY key";
const char tenet_sqlite_keys_sql[] =
	"SELECT key, NULL, 0, 0, 0 FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key";
static const char keys_open_sql[] =
	"SELECT key, NULL, 0, 0, 0 FROM kv WHERE key >= ?1 ORDER BY key";

/* Prepares the bounded or the open-ended statement of a range and binds
 * [prefix, end) to ?1 and ?2. */
static int prepare_range(struct tenet_store *s, enum sq_stmt_id bounded_id, const char *bounded,
			 enum sq_stmt_id open_id, const char *open_ended, const char *prefix,
			 const char *end, sqlite3_stmt **st, struct tenet_err *err)
{
	int ret = end ? sq_stmt(s, bounded_id, bounded, st, err)
		      : sq_stmt(s, open_id, open_ended, st, err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(*st, 1, prefix, -1, SQLITE_STATIC);
	if (end)
		sqlite3_bind_text(*st, 2, end, -1, SQLITE_STATIC);
	return 0;
}

/* The watch's log reads filter keys only: they walk the log by revision. */
static void bind_range(sqlite3_stmt *st, int a, const char *prefix, const char *end)
{
	sqlite3_bind_text(st, a, prefix, -1, SQLITE_STATIC);
	if (end)
		sqlite3_bind_text(st, a + 1, end, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, a + 1);
}

static int append_kv(struct tenet_kv_list *l, size_t *cap, sqlite3_stmt *st)
{
	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct tenet_kv *p = realloc(l->kvs, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->kvs = p;
		*cap = ncap;
	}
	if (row_kv(st, &l->kvs[l->n]) < 0)
		return -ENOMEM;
	l->n++;
	return 0;
}

/* One read transaction: the revision and the rows are one snapshot. Each
 * row goes to row(arg, st) as it is read; a negative return stops the
 * read and is returned (the callback says why in err). */
static int sq_scan(struct tenet_store *s, const char *prefix, int64_t *rev,
		   int (*row)(void *arg, sqlite3_stmt *st, struct tenet_err *err), void *arg,
		   struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	char *end = NULL;
	int ret, rc;

	if (tenet_prefix_end(prefix, &end) < 0)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = read_begin(s, err);
	if (ret < 0)
		goto free;
	ret = sq_revision(s, rev, err);
	if (ret < 0)
		goto out;
	ret = prepare_range(s, ST_RANGE, tenet_sqlite_range_sql, ST_RANGE_OPEN,
			    tenet_sqlite_range_open_sql, prefix, end, &st, err);
	if (ret < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row(arg, st, err);
		if (ret < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_fail(s, rc, "range", err);
		goto out;
	}
out:
	sq_put(s, st);
	ret = read_end(s, ret, err);
free:
	free(end);
	return ret;
}

struct collect {
	struct tenet_kv_list *out;
	size_t cap;
};

static int collect_row(void *arg, sqlite3_stmt *st, struct tenet_err *err)
{
	struct collect *c = arg;

	if (append_kv(c->out, &c->cap, st) < 0)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int sq_range(struct tenet_store *s, const char *prefix, struct tenet_kv_list *out,
		    struct tenet_err *err)
{
	struct collect c = { .out = out };
	int ret = sq_scan(s, prefix, &out->rev, collect_row, &c, err);

	if (ret < 0)
		tenet_kv_list_free(out);
	return ret;
}

struct each {
	tenet_kv_fn fn;
	void *arg;
};

/* The row's strings as SQLite holds them: no copies. */
static int each_row(void *arg, sqlite3_stmt *st, struct tenet_err *err)
{
	struct each *e = arg;
	struct tenet_kv kv = {
		.key = (char *)sqlite3_column_text(st, 0),
		.value = (char *)sqlite3_column_text(st, 1),
	};

	if (!kv.key)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	kv.value_len = kv.value ? (size_t)sqlite3_column_bytes(st, 1) : 0;
	kv.create_rev = sqlite3_column_int64(st, 2);
	kv.mod_rev = sqlite3_column_int64(st, 3);
	kv.version = sqlite3_column_int64(st, 4);
	return e->fn(e->arg, &kv, err);
}

static int sq_range_each(struct tenet_store *s, const char *prefix, tenet_kv_fn fn, void *arg,
			 int64_t *rev, struct tenet_err *err)
{
	struct each e = { .fn = fn, .arg = arg };

	return sq_scan(s, prefix, rev, each_row, &e, err);
}

/* ---- commit ---- */

struct kstate {
	bool exists;
	int64_t create_rev, mod_rev, version;
};

static int key_state(struct tenet_store *s, const char *key, struct kstate *ks,
		     struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	memset(ks, 0, sizeof(*ks));
	ret = sq_stmt(s, ST_KEY_STATE, "SELECT create_rev, mod_rev, version FROM kv WHERE key = ?1",
		      &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ks->exists = true;
		ks->create_rev = sqlite3_column_int64(st, 0);
		ks->mod_rev = sqlite3_column_int64(st, 1);
		ks->version = sqlite3_column_int64(st, 2);
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(s, rc, "read key", err);
	}
out:
	sq_put(s, st);
	return ret;
}

static bool op_holds(enum tenet_cmp_op op, int c)
{
	switch (op) {
	case TENET_CMP_EQ:
		return c == 0;
	case TENET_CMP_NE:
		return c != 0;
	case TENET_CMP_LT:
		return c < 0;
	case TENET_CMP_GT:
		return c > 0;
	}
	return false;
}

static bool cmp_holds(const struct txn_cmp *c, const struct kstate *ks)
{
	int64_t v = c->target == TENET_CMP_CREATE ? ks->create_rev :
		    c->target == TENET_CMP_MOD ? ks->mod_rev : ks->version;

	return op_holds(c->op, v < c->value ? -1 : v > c->value);
}

/* A value compare, as in etcd: a missing key's value compares with
 * nothing, so the compare fails whatever the operator. */
static int value_holds(struct tenet_store *s, const struct txn_cmp *c, bool *holds,
		       struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	*holds = false;
	ret = sq_stmt(s, ST_VALUE, "SELECT value FROM kv WHERE key = ?1", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, c->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *v = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0), m = strlen(c->text);
		int d = memcmp(v ? v : "", c->text, n < m ? n : m);

		*holds = op_holds(c->op, d ? d : (n > m) - (n < m));
	} else if (rc != SQLITE_DONE) {
		ret = sq_fail(s, rc, "read key", err);
	}
out:
	sq_put(s, st);
	return ret;
}

static const char *const cmp_target_name[] = { "create", "mod", "version", "value" };
static const char *const cmp_op_name[] = { "==", "!=", "<", ">" };

static int check_compares(struct tenet_store *s, const struct tenet_txn *t,
			  struct tenet_err *err)
{
	struct kstate ks;
	bool holds;
	size_t i;
	int ret;

	for (i = 0; i < t->ncmps; i++) {
		const struct txn_cmp *c = &t->cmps[i];

		if (c->target == TENET_CMP_VALUE) {
			ret = value_holds(s, c, &holds, err);
			if (ret < 0)
				return ret;
			/* The value itself stays out of the message: it may
			 * be long, or not for a log. */
			if (!holds)
				return tenet_err_set(err, -ECANCELED,
						     "%s: compare failed (value %s)", c->key,
						     cmp_op_name[c->op]);
			continue;
		}
		ret = key_state(s, c->key, &ks, err);
		if (ret < 0)
			return ret;
		if (!cmp_holds(c, &ks))
			return tenet_err_set(err, -ECANCELED,
					     "%s: compare failed (%s %s %lld)", c->key,
					     cmp_target_name[c->target], cmp_op_name[c->op],
					     (long long)c->value);
	}
	return 0;
}

struct commit_ctx {
	struct tenet_store *s;
	int64_t rev;            /* the revision this commit writes */
	int64_t idx;            /* next change index in the log */
	struct tenet_err *err;
};

static int log_change(struct commit_ctx *cc, const char *key, const char *value,
		      int64_t create_rev, int64_t version)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(cc->s, ST_LOG, "INSERT INTO log (rev, idx, key, value, create_rev, version)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, cc->err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(st, 1, cc->rev);
	sqlite3_bind_int64(st, 2, cc->idx);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, create_rev);
	sqlite3_bind_int64(st, 6, version);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = sq_fail(cc->s, rc, "write log", cc->err);
		goto out;
	}
	cc->idx++;
out:
	sq_put(cc->s, st);
	return ret;
}

static int apply_put(struct commit_ctx *cc, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	struct kstate ks;
	int64_t create, version;
	int ret, rc;

	ret = key_state(cc->s, key, &ks, cc->err);
	if (ret < 0)
		return ret;
	create = ks.exists ? ks.create_rev : cc->rev;
	version = ks.exists ? ks.version + 1 : 1;
	ret = sq_stmt(cc->s, ST_PUT, "INSERT OR REPLACE INTO kv (key, value, create_rev, mod_rev,"
			     " version) VALUES (?1, ?2, ?3, ?4, ?5)", &st, cc->err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, create);
	sqlite3_bind_int64(st, 4, cc->rev);
	sqlite3_bind_int64(st, 5, version);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = sq_fail(cc->s, rc, "put", cc->err);
		goto out;
	}
	sq_put(cc->s, st);
	st = NULL;
	ret = log_change(cc, key, value, create, version);
out:
	sq_put(cc->s, st);
	return ret;
}

static int apply_delete(struct commit_ctx *cc, const char *key)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(cc->s, ST_DELETE, "DELETE FROM kv WHERE key = ?1", &st, cc->err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = sq_fail(cc->s, rc, "delete", cc->err);
		goto out;
	}
	/* Deleting a missing key is no change, and so no event. */
	if (sqlite3_changes(SQ(cc->s)->db) > 0) {
		sq_put(cc->s, st);
		st = NULL;
		ret = log_change(cc, key, NULL, 0, 0);
	}
out:
	sq_put(cc->s, st);
	return ret;
}

static int apply_delete_prefix(struct commit_ctx *cc, const char *prefix)
{
	struct tenet_kv_list keys = { 0 };
	sqlite3_stmt *st = NULL;
	char *end = NULL;
	size_t i, cap = 0;
	int ret, rc;

	if (tenet_prefix_end(prefix, &end) < 0)
		return tenet_err_set(cc->err, -ENOMEM, "out of memory");
	ret = prepare_range(cc->s, ST_KEYS, tenet_sqlite_keys_sql, ST_KEYS_OPEN, keys_open_sql,
			    prefix, end, &st, cc->err);
	if (ret < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (append_kv(&keys, &cap, st) < 0) {
			ret = tenet_err_set(cc->err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		ret = sq_fail(cc->s, rc, "delete range", cc->err);
		goto out;
	}
	/* The statement must be done before the deletes change the table. */
	sq_put(cc->s, st);
	st = NULL;
	for (i = 0; i < keys.n && ret == 0; i++)
		ret = apply_delete(cc, keys.kvs[i].key);
out:
	sq_put(cc->s, st);
	tenet_kv_list_free(&keys);
	free(end);
	return ret;
}

static int apply_ops(struct commit_ctx *cc, const struct tenet_txn *t)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < t->nops && ret == 0; i++) {
		const struct txn_op *o = &t->ops[i];

		switch (o->type) {
		case TXN_PUT:
			ret = apply_put(cc, o->key, o->value);
			break;
		case TXN_DELETE:
			ret = apply_delete(cc, o->key);
			break;
		case TXN_DELETE_PREFIX:
			ret = apply_delete_prefix(cc, o->key);
			break;
		}
	}
	return ret;
}

static int sq_commit(struct tenet_store *s, const struct tenet_txn *t, int64_t *rev,
		     struct tenet_err *err)
{
	struct commit_ctx cc = { .s = s, .err = err };
	int64_t cur;
	int ret;

	ret = write_begin(s, err);
	if (ret < 0)
		return ret;
	ret = check_compares(s, t, err);
	if (ret < 0)
		goto out;
	ret = sq_revision(s, &cur, err);
	if (ret < 0)
		goto out;
	cc.rev = cur + 1;
	ret = apply_ops(&cc, t);
	if (ret < 0)
		goto out;
	if (cc.idx > 0) {
		ret = meta_set(s, "revision", cc.rev, err);
		if (ret < 0)
			goto out;
		cur = cc.rev;
	}
out:
	ret = write_end(s, ret, err);
	if (ret == 0)
		*rev = cur;
	return ret;
}

static int sq_compact(struct tenet_store *s, int64_t rev, struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t cur, old;
	int ret, rc;

	ret = write_begin(s, err);
	if (ret < 0)
		return ret;
	ret = sq_revision(s, &cur, err);
	if (ret < 0)
		goto out;
	if (rev > cur || rev < 0) {
		ret = tenet_err_set(err, -EINVAL, "compact %lld: store is at revision %lld",
				    (long long)rev, (long long)cur);
		goto out;
	}
	ret = meta_get(s, "compact", &old, err);
	if (ret < 0 || rev <= old)
		goto out;
	ret = sq_prepare(s, "DELETE FROM log WHERE rev <= ?1", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(st, 1, rev);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = sq_fail(s, rc, "compact", err);
		goto out;
	}
	ret = meta_set(s, "compact", rev, err);
out:
	sqlite3_finalize(st);
	return write_end(s, ret, err);
}

/* ---- watch ---- */

static int sq_watch_open(struct tenet_watch *w, struct tenet_err *err)
{
	struct sq_watch *sw;
	char *dir = NULL, *slash;
	int64_t compact;
	int ret;

	ret = meta_get(w->s, "compact", &compact, err);
	if (ret < 0)
		return ret;
	if (w->next_rev <= compact)
		return tenet_err_set(err, -ESTALE, "watch from %lld: compacted up to %lld",
				     (long long)w->next_rev, (long long)compact);
	sw = calloc(1, sizeof(*sw));
	dir = strdup(w->s->location);
	if (!sw || !dir) {
		free(sw);
		free(dir);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	/* Every commit writes the -wal file next to the database: a cheap,
	 * cross-process "something changed" signal. Without inotify (limits,
	 * odd file systems) the watch just polls. */
	sw->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sw->ifd >= 0 && inotify_add_watch(sw->ifd, dir, IN_MODIFY | IN_CREATE |
					      IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(sw->ifd);
		sw->ifd = -1;
	}
	free(dir);
	w->priv = sw;
	return 0;
}

static int sq_watch_fd(const struct tenet_watch *w)
{
	return ((const struct sq_watch *)w->priv)->ifd;
}

static void sq_watch_close(struct tenet_watch *w)
{
	struct sq_watch *sw = w->priv;

	if (!sw)
		return;
	if (sw->ifd >= 0)
		close(sw->ifd);
	free(sw);
	w->priv = NULL;
}

static void drain(int fd)
{
	char buf[4096];

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int append_event(struct tenet_watch_batch *b, size_t *cap, sqlite3_stmt *st)
{
	struct tenet_watch_event *ev;

	if (b->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct tenet_watch_event *p = realloc(b->events, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->events = p;
		*cap = ncap;
	}
	/* Columns: key, value, create_rev, rev, version: the kv layout. */
	ev = &b->events[b->n];
	if (row_kv(st, &ev->kv) < 0)
		return -ENOMEM;
	ev->type = ev->kv.value ? TENET_WATCH_PUT : TENET_WATCH_DELETE;
	b->n++;
	return 0;
}

/* The revision that ends the next batch: the last revision among the first
 * WATCH_BATCH_ROWS matching changes (0 if none), and whether there may be
 * more after it. */
static int batch_end(struct tenet_watch *w, const char *end, int64_t *last, bool *more,
		     struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	ret = sq_stmt(w->s, ST_BATCH_END, "SELECT count(*), ifnull(max(rev), 0) FROM (SELECT rev"
			    " FROM log WHERE rev >= ?1 AND key >= ?2 AND (?3 IS NULL OR key < ?3)"
			    " ORDER BY rev, idx LIMIT ?4)", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(st, 1, w->next_rev);
	bind_range(st, 2, w->prefix, end);
	sqlite3_bind_int(st, 4, WATCH_BATCH_ROWS);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = sq_fail(w->s, rc, "watch", err);
		goto out;
	}
	*more = sqlite3_column_int64(st, 0) >= WATCH_BATCH_ROWS;
	*last = sqlite3_column_int64(st, 1);
out:
	sq_put(w->s, st);
	return ret;
}

static int read_events(struct tenet_watch *w, const char *end, int64_t last,
		       struct tenet_watch_batch *out, struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int ret, rc;

	ret = sq_stmt(w->s, ST_EVENTS, "SELECT key, value, create_rev, rev, version FROM log"
			    " WHERE rev >= ?1 AND rev <= ?4 AND key >= ?2"
			    " AND (?3 IS NULL OR key < ?3) ORDER BY rev, idx", &st, err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(st, 1, w->next_rev);
	bind_range(st, 2, w->prefix, end);
	sqlite3_bind_int64(st, 4, last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (append_event(out, &cap, st) < 0) {
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		ret = sq_fail(w->s, rc, "watch", err);
out:
	sq_put(w->s, st);
	return ret;
}

/* The log walked by revision over (from_rev, to_rev], its keys filtered:
 * a few rows when few revisions passed, whatever the store's size. */
static int sq_changed(struct tenet_store *s, const char *prefix, int64_t from_rev,
		      int64_t to_rev, bool *changed, struct tenet_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t compact = 0;
	char *end = NULL;
	int ret, rc;

	if (tenet_prefix_end(prefix, &end) < 0)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = read_begin(s, err);
	if (ret < 0)
		goto free;
	ret = meta_get(s, "compact", &compact, err);
	if (ret == 0 && from_rev < compact)
		ret = tenet_err_set(err, -ESTALE, "changes after %lld: compacted up to %lld",
				    (long long)from_rev, (long long)compact);
	if (ret == 0)
		ret = sq_stmt(s, ST_CHANGED, "SELECT EXISTS (SELECT 1 FROM log WHERE rev > ?1"
			      " AND rev <= ?4 AND key >= ?2 AND (?3 IS NULL OR key < ?3))", &st,
			      err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(st, 1, from_rev);
	bind_range(st, 2, prefix, end);
	sqlite3_bind_int64(st, 4, to_rev);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		ret = sq_fail(s, rc, "changed", err);
	else
		*changed = sqlite3_column_int(st, 0) != 0;
out:
	sq_put(s, st);
	ret = read_end(s, ret, err);
free:
	free(end);
	return ret;
}

/* One look at the log, as one read snapshot. */
static int fetch(struct tenet_watch *w, struct tenet_watch_batch *out, struct tenet_err *err)
{
	int64_t compact = 0, cur = 0, last = 0;
	char *end = NULL;
	bool more = false;
	int ret;

	if (tenet_prefix_end(w->prefix, &end) < 0)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = read_begin(w->s, err);
	if (ret < 0)
		goto out;
	ret = meta_get(w->s, "compact", &compact, err);
	if (ret == 0 && w->next_rev <= compact)
		ret = tenet_err_set(err, -ESTALE, "watch at %lld: compacted up to %lld",
				    (long long)w->next_rev, (long long)compact);
	if (ret == 0)
		ret = sq_revision(w->s, &cur, err);
	if (ret == 0)
		ret = batch_end(w, end, &last, &more, err);
	if (ret == 0 && last)
		ret = read_events(w, end, last, out, err);
	if (ret == 0) {
		/* Everything up to cur was looked at, unless the batch was cut
		 * short: moving past revisions that held nothing for us keeps
		 * the position clear of a later compaction. */
		out->rev = more ? last : cur;
		if (out->rev + 1 > w->next_rev)
			w->next_rev = out->rev + 1;
	}
	ret = read_end(w->s, ret, err);
out:
	if (ret < 0)
		tenet_watch_batch_free(out);
	free(end);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sq_watch_next(struct tenet_watch *w, int timeout_ms, struct tenet_watch_batch *out,
			 struct tenet_err *err)
{
	struct sq_watch *sw = w->priv;
	int64_t deadline = now_ms() + timeout_ms;
	int ret;

	for (;;) {
		/* Drain before looking: a commit after the look then leaves a
		 * fresh notification for poll(). */
		drain(sw->ifd);
		ret = fetch(w, out, err);
		if (ret < 0 || out->n > 0 || timeout_ms == 0)
			return ret;
		int slice = WATCH_SLICE_MS;

		if (timeout_ms > 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return 0;
			if (left < slice)
				slice = (int)left;
		}
		if (sw->ifd >= 0) {
			struct pollfd pfd = { .fd = sw->ifd, .events = POLLIN };

			if (poll(&pfd, 1, slice) < 0 && errno != EINTR)
				return tenet_err_set(err, -errno, "watch: poll: %s",
						     strerror(errno));
		} else {
			usleep((useconds_t)(slice < 100 ? slice : 100) * 1000);
		}
	}
}

/* ---- batches ---- */

static int sq_batch_begin(struct tenet_store *s, struct tenet_err *err)
{
	int ret;

	if (SQ(s)->batch)
		return tenet_err_set(err, -EINVAL, "store %s: already in a batch", s->location);
	ret = sq_begin_immediate(s, err);
	if (ret == 0)
		SQ(s)->batch = true;
	return ret;
}

static int sq_batch_end(struct tenet_store *s, bool commit, struct tenet_err *err)
{
	int ret = 0;

	if (!SQ(s)->batch)
		return tenet_err_set(err, -EINVAL, "store %s: not in a batch", s->location);
	SQ(s)->batch = false;
	if (commit)
		ret = sq_commit_txn(s, err);
	if (!commit || ret < 0)
		sq_rollback(s);
	return ret;
}

const struct tenet_store_ops tenet_store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.check = sq_check,
	.revision = sq_revision,
	.changed = sq_changed,
	.get = sq_get,
	.range = sq_range,
	.range_each = sq_range_each,
	.commit = sq_commit,
	.compact = sq_compact,
	.watch_open = sq_watch_open,
	.watch_fd = sq_watch_fd,
	.watch_next = sq_watch_next,
	.watch_close = sq_watch_close,
	.batch_begin = sq_batch_begin,
	.batch_end = sq_batch_end,
};

/* SPDX-License-Identifier: GPL-2.0 */
/* The control store: an etcd-shaped, revisioned key/value store whose
 * values are JSON text. Every successful write transaction that changes
 * something moves the store's revision on by one; every key carries the
 * revision that created it, the revision that last changed it and how many
 * times it was written. Callers see only this interface; a backend (SQLite
 * or etcd) plugs in behind an ops table chosen by the URL.
 *
 * How an agent follows the store:
 *     tenet_store_range(s, TENET_KEY_ROOT, &all, err);  // snapshot at all.rev
 *     tenet_watch_open(s, TENET_KEY_ROOT, all.rev + 1, &w, err);
 *     loop: tenet_watch_next(w, timeout_ms, &events, err) (or poll
 *           tenet_watch_fd(w) and call tenet_watch_next(w, 0, ...)).
 * -ESTALE from the watch means the log was compacted past its position:
 * resync with a new range read. The error classes are below
 * (tenet_store_errclass).
 *
 * A handle is for one thread at a time and must not cross fork(): open
 * one per process. Several processes may share one store file. */
#ifndef TENET_STORE_H
#define TENET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"

#define TENET_STORE_DEFAULT "/var/lib/tenet/store.db"

struct tenet_store;
struct tenet_txn;
struct tenet_watch;

struct tenet_kv {
	char *key;
	char *value;          /* JSON text, NUL-terminated; NULL in a delete event */
	size_t value_len;
	int64_t create_rev;   /* revision that created the key; 0 in a delete event */
	int64_t mod_rev;      /* revision of its last change (of the delete, in a delete event) */
	int64_t version;      /* puts since creation; 0 in a delete event */
};

struct tenet_kv_list {
	struct tenet_kv *kvs; /* sorted by key (byte order) */
	size_t n;
	int64_t rev;          /* store revision the read reflects */
};

enum tenet_watch_type {
	TENET_WATCH_PUT = 0,
	TENET_WATCH_DELETE = 1,
};

struct tenet_watch_event {
	enum tenet_watch_type type;
	struct tenet_kv kv;   /* kv.mod_rev is the event's revision */
};

struct tenet_watch_batch {
	struct tenet_watch_event *events; /* ordered by revision, then by order in the txn */
	size_t n;
	int64_t rev;          /* everything up to this revision has been delivered */
};

/* What a transaction compare looks at, as in etcd. A missing key has
 * create_rev = mod_rev = version = 0 ("create == 0" is "absent"); a value
 * compare (tenet_txn_compare_value) on a missing key always fails. */
enum tenet_cmp_target {
	TENET_CMP_CREATE = 0,
	TENET_CMP_MOD = 1,
	TENET_CMP_VERSION = 2,
	TENET_CMP_VALUE = 3,
};

enum tenet_cmp_op {
	TENET_CMP_EQ = 0,
	TENET_CMP_NE = 1,
	TENET_CMP_LT = 2,
	TENET_CMP_GT = 3,
};

/* Opening. url: "sqlite:///abs/path", a plain path (SQLite), or NULL/""
 * for TENET_STORE_DEFAULT; a backend per URL scheme (store.c's registry).
 * "etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE][?OPTIONS]" is an etcd
 * cluster (lib/store/etcd*.c, docs/store.md); an unknown scheme fails
 * with -EPROTONOSUPPORT.
 *
 * TENET_STORE_CREATE: create the store when it does not exist (SQLite:
 * the file and its missing parent directories, mode 0755). Without it a
 * missing store is -ENOENT ("store PATH: does not exist") and nothing is
 * created: a mistyped path or an unmounted volume must not become an
 * empty store that an agent then reconciles to. Intended use: only an
 * explicit set-up step (`tenet store init`, install, tests) passes
 * CREATE; tenetd and every other CLI command open with 0.
 *
 * tenet_store_open() is tenet_store_openf(url, TENET_STORE_CREATE, ...),
 * today's behaviour for today's callers; they move to openf(url, 0) as the
 * "store must exist" change lands. */
#define TENET_STORE_CREATE 0x1u
int tenet_store_openf(const char *url, unsigned int flags, struct tenet_store **out,
		      struct tenet_err *err);
int tenet_store_open(const char *url, struct tenet_store **out, struct tenet_err *err);
void tenet_store_close(struct tenet_store *s);
/* The backend-specific location, e.g. the SQLite file path. */
const char *tenet_store_location(const struct tenet_store *s);
/* Is the handle still on the store its URL names? 0 yes; -ENOENT the
 * store is gone (SQLite: no file at the path any more); -ESTALE another
 * store took its place (SQLite: the file was replaced, e.g. restored from
 * a backup): close and reopen, then resync. A long-running reader calls
 * it now and then; a handle otherwise keeps following what it opened. */
int tenet_store_check(struct tenet_store *s, struct tenet_err *err);

/* Error classes. Every store call returns 0 or a negative errno; what the
 * caller does about it depends only on the class:
 *
 *   STALE        -ESTALE: the change log was compacted past a watch's
 *                position (or the store was replaced). Resync: a range
 *                read, then a watch from its revision + 1. The agent does
 *                it, at once, without tearing anything down.
 *   UNAVAILABLE  -ENOENT (the store does not exist; from tenet_store_get
 *                it means only "no such key"), -EIO, -EBUSY (locked
 *                longer than the busy timeout), -ENOSPC, -EAGAIN, and the
 *                network errors of remote backends (-ECONNREFUSED,
 *                -ETIMEDOUT, -EHOSTUNREACH ...). The agent keeps the
 *                datapath on its last state, says so and retries with
 *                backoff; the CLI reports it and exits non-zero (the
 *                operator retries). A commit that fails this way may
 *                still have landed when a remote backend lost only the
 *                answer: a writer re-reads before it retries (compares
 *                on what it read make the retry safe).
 *   CONFLICT     -ECANCELED: a transaction compare failed, nothing was
 *                written. The writer re-reads and rebuilds the
 *                transaction (lib/policy does, a bounded number of times).
 *   CORRUPT      -EBADMSG: a value is not what it must be (tenet_kv_json),
 *                or the file is not a tenet store. Not retried: a reader
 *                skips the record and reports it (keeping the kernel
 *                state it had); a command fails.
 *   FATAL        anything else (-EINVAL, -EPROTONOSUPPORT, -EPROTO for a
 *                newer schema, -EACCES, -EROFS, -ENOMEM ...): a wrong
 *                configuration or a bug. Reported; not retried until the
 *                configuration changes. The agent still keeps the
 *                datapath. */
enum tenet_store_errclass {
	TENET_STORE_OK = 0,
	TENET_STORE_STALE,
	TENET_STORE_UNAVAILABLE,
	TENET_STORE_CONFLICT,
	TENET_STORE_CORRUPT,
	TENET_STORE_FATAL,
};
enum tenet_store_errclass tenet_store_errclass(int err);

int tenet_store_revision(struct tenet_store *s, int64_t *rev, struct tenet_err *err);
/* Whether a key under prefix was put or deleted in a revision after
 * from_rev and up to to_rev, as the change log says: a writer that keeps
 * what it read (the policy memo of `tenet batch`) asks whether the
 * revisions others made meanwhile touched it. -EOPNOTSUPP: the backend
 * cannot tell (etcd: its history is reachable only through a watch, which
 * cannot say "nothing more" without waiting), and *changed is true;
 * -ESTALE: the log no longer reaches back to from_rev (compacted). */
int tenet_store_changed(struct tenet_store *s, const char *prefix, int64_t from_rev,
			int64_t to_rev, bool *changed, struct tenet_err *err);
/* -ENOENT (with a message) when the key does not exist. */
int tenet_store_get(struct tenet_store *s, const char *key, struct tenet_kv *out,
		    struct tenet_err *err);
/* Every key starting with prefix ("" = all), and the revision they reflect,
 * read as one consistent snapshot. */
int tenet_store_range(struct tenet_store *s, const char *prefix, struct tenet_kv_list *out,
		      struct tenet_err *err);
/* The same read, streamed (a million records need not be copied into one
 * list first): fn(arg, kv, err) sees each pair in key order, its strings
 * valid only during the call; *rev is the revision they reflect. A
 * negative return from fn stops the read and is returned. */
typedef int (*tenet_kv_fn)(void *arg, const struct tenet_kv *kv, struct tenet_err *err);
int tenet_store_range_each(struct tenet_store *s, const char *prefix, tenet_kv_fn fn,
			   void *arg, int64_t *rev, struct tenet_err *err);

/* Transactions: all compares must hold, then all operations apply, in
 * order, atomically, under one new revision. Compares see the store as it
 * was before the transaction. A transaction may touch a key more than
 * once: the result is that of its operations applied in order. Building
 * a transaction only allocates (-ENOMEM, -EINVAL for an empty key or a
 * value target in tenet_txn_compare); nothing touches the store before
 * tenet_store_commit. */
/* A transaction of at most this many compares and this many operations
 * is atomic under one revision on every backend (etcd's default
 * --max-txn-ops); a backend may split a bigger one into several
 * revisions, each applied whole. A prefix delete is one operation. */
#define TENET_TXN_ATOMIC_OPS 128
struct tenet_txn *tenet_txn_new(void);
void tenet_txn_free(struct tenet_txn *t);
int tenet_txn_compare(struct tenet_txn *t, const char *key, enum tenet_cmp_target target,
		      enum tenet_cmp_op op, int64_t value);
/* Compares the key's value with value, byte by byte (LT/GT: as memcmp,
 * a prefix sorts first). */
int tenet_txn_compare_value(struct tenet_txn *t, const char *key, enum tenet_cmp_op op,
			    const char *value);
int tenet_txn_put(struct tenet_txn *t, const char *key, const char *value);
/* Serialises value compactly with sorted keys, so equal records are equal
 * text. */
int tenet_txn_put_json(struct tenet_txn *t, const char *key, const json_t *value);
int tenet_txn_delete(struct tenet_txn *t, const char *key);
int tenet_txn_delete_prefix(struct tenet_txn *t, const char *prefix);
size_t tenet_txn_size(const struct tenet_txn *t);
/* 0: applied; *rev (may be NULL) is the store revision afterwards, which
 * is unchanged when no operation changed anything (deleting missing keys).
 * -ECANCELED: a compare failed and nothing was written. -EBUSY: the store
 * stayed locked by another writer for longer than the busy timeout. */
int tenet_store_commit(struct tenet_store *s, struct tenet_txn *t, int64_t *rev,
		       struct tenet_err *err);

/* Batches: many transactions, made durable and visible together.
 * Between tenet_store_batch_begin and tenet_store_batch_end the handle
 * holds the store's write lock (other writers wait, up to the busy
 * timeout), each tenet_store_commit applies whole or not at all under
 * its own revision as always, and the handle's own reads see them; other
 * handles see none of them until tenet_store_batch_end(s, true) commits
 * them all at once (false drops them all). One sync instead of one per
 * transaction: `tenet batch` uses it for runs of writes. Holding the
 * lock long starves other writers: end a batch every few hundred ms.
 * -EOPNOTSUPP from a backend without them (etcd: each commit is its own
 * round trip anyway); the caller then commits one by one. */
int tenet_store_batch_begin(struct tenet_store *s, struct tenet_err *err);
int tenet_store_batch_end(struct tenet_store *s, bool commit, struct tenet_err *err);

/* Leases, as in etcd: a key put with a lease (tenet_txn_put_lease) is
 * deleted (a delete event, a new revision) when the lease expires, i.e.
 * when its holder has not renewed it for its TTL, or is revoked. An agent
 * keeps its status under a lease: the key's presence is its heartbeat,
 * and renewing writes nothing. A backend without leases (SQLite) answers
 * -EOPNOTSUPP to every lease call and to a commit with a leased put; the
 * caller then writes without one.
 * grant: a new lease of ttl_s seconds (the backend may round it up;
 * etcd's minimum is a few seconds); *id names it.
 * keepalive: renews it; *ttl_s (may be NULL) is what it now has left.
 * -ENOENT: it expired or was revoked, and its keys are gone: grant a new
 * one and put them again.
 * revoke: ends it now (its keys are deleted); -ENOENT if it is gone. */
int tenet_store_lease_grant(struct tenet_store *s, int64_t ttl_s, int64_t *id,
			    struct tenet_err *err);
int tenet_store_lease_keepalive(struct tenet_store *s, int64_t id, int64_t *ttl_s,
				struct tenet_err *err);
int tenet_store_lease_revoke(struct tenet_store *s, int64_t id, struct tenet_err *err);
int tenet_txn_put_lease(struct tenet_txn *t, const char *key, const char *value, int64_t lease);

/* Forget the change log up to and including rev (keys are untouched).
 * Watches positioned at or before rev then fail with -ESTALE. */
int tenet_store_compact(struct tenet_store *s, int64_t rev, struct tenet_err *err);

/* Watch keys starting with prefix, from revision from_rev inclusive
 * (1 = from the beginning). -ESTALE if from_rev is already compacted. */
int tenet_watch_open(struct tenet_store *s, const char *prefix, int64_t from_rev,
		     struct tenet_watch **out, struct tenet_err *err);
/* An fd that becomes readable when the store may have changed (for
 * poll/epoll), or -1 if the backend has none: then call tenet_watch_next
 * with a timeout. Readability is a hint; tenet_watch_next drains it. */
int tenet_watch_fd(const struct tenet_watch *w);
/* Waits up to timeout_ms (0: just look, -1: forever) for changes after the
 * watch's position and returns them, whole revisions at a time. On
 * timeout, returns 0 with out->n == 0. -ESTALE: compacted, resync. */
int tenet_watch_next(struct tenet_watch *w, int timeout_ms, struct tenet_watch_batch *out,
		     struct tenet_err *err);
/* The next revision the watch will deliver. */
int64_t tenet_watch_position(const struct tenet_watch *w);
/* Is the watch following the store right now (1), or cut off and trying
 * to reach it again (0: a remote store that no member answers for)? A
 * local store is always followed. For saying so (the agent's status), not
 * for deciding: changes are never lost either way. */
int tenet_watch_live(const struct tenet_watch *w);
void tenet_watch_close(struct tenet_watch *w);

/* Parse a kv's value. NULL and a message naming the key when it is not
 * JSON (a corrupt record: callers skip it, they do not stop). */
json_t *tenet_kv_json(const struct tenet_kv *kv, struct tenet_err *err);
void tenet_kv_clear(struct tenet_kv *kv);
void tenet_kv_list_free(struct tenet_kv_list *l);
void tenet_watch_batch_free(struct tenet_watch_batch *b);

#endif

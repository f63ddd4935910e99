/* SPDX-License-Identifier: GPL-2.0 */
/* Between lib/store/store.c (URL dispatch, transaction building, the
 * public API) and the backends. A backend is one file that fills one ops
 * table, plus one row in store.c's backend registry (scheme -> ops);
 * callers never see either. Every backend must pass
 * selftests/unit/test_store_contract.c. */
#ifndef TENET_STORE_INT_H
#define TENET_STORE_INT_H

#include "store/store.h"

enum txn_op_type {
	TXN_PUT,
	TXN_DELETE,
	TXN_DELETE_PREFIX,
};

struct txn_cmp {
	char *key;
	enum tenet_cmp_target target;
	enum tenet_cmp_op op;
	int64_t value;
	char *text;             /* TENET_CMP_VALUE: the value compared with */
};

struct txn_op {
	enum txn_op_type type;
	char *key;              /* the key, or the prefix for TXN_DELETE_PREFIX */
	char *value;            /* TXN_PUT only */
	int64_t lease;          /* TXN_PUT: a lease id, 0 none */
};

struct tenet_txn {
	struct txn_cmp *cmps;
	size_t ncmps, cap_cmps;
	struct txn_op *ops;
	size_t nops, cap_ops;
};

struct tenet_store_ops {
	const char *name;
	/* location: the URL without "scheme://" (for SQLite, the file path);
	 * flags: TENET_STORE_CREATE or 0. Without CREATE, a store that does
	 * not exist is -ENOENT and nothing is created. */
	int (*open)(struct tenet_store *s, const char *location, unsigned int flags,
		    struct tenet_err *err);
	void (*close)(struct tenet_store *s);
	/* optional (NULL: always 0): is the handle still on the store its URL
	 * names? -ENOENT gone, -ESTALE replaced by another store. */
	int (*check)(struct tenet_store *s, struct tenet_err *err);
	int (*revision)(struct tenet_store *s, int64_t *rev, struct tenet_err *err);
	/* optional (NULL: -EOPNOTSUPP): tenet_store_changed */
	int (*changed)(struct tenet_store *s, const char *prefix, int64_t from_rev,
		       int64_t to_rev, bool *changed, struct tenet_err *err);
	int (*get)(struct tenet_store *s, const char *key, struct tenet_kv *out,
		   struct tenet_err *err);
	int (*range)(struct tenet_store *s, const char *prefix, struct tenet_kv_list *out,
		     struct tenet_err *err);
	/* optional: tenet_store_range_each falls back to range */
	int (*range_each)(struct tenet_store *s, const char *prefix, tenet_kv_fn fn, void *arg,
			  int64_t *rev, struct tenet_err *err);
	int (*commit)(struct tenet_store *s, const struct tenet_txn *t, int64_t *rev,
		      struct tenet_err *err);
	int (*compact)(struct tenet_store *s, int64_t rev, struct tenet_err *err);
	int (*watch_open)(struct tenet_watch *w, struct tenet_err *err);
	int (*watch_fd)(const struct tenet_watch *w);
	int (*watch_next)(struct tenet_watch *w, int timeout_ms, struct tenet_watch_batch *out,
			  struct tenet_err *err);
	void (*watch_close)(struct tenet_watch *w);
	/* optional (NULL: always live) */
	int (*watch_live)(const struct tenet_watch *w);
	/* optional (NULL: -EOPNOTSUPP, and commits with a leased put are
	 * refused): leases, store.h */
	int (*lease_grant)(struct tenet_store *s, int64_t ttl_s, int64_t *id,
			   struct tenet_err *err);
	int (*lease_keepalive)(struct tenet_store *s, int64_t id, int64_t *ttl_s,
			       struct tenet_err *err);
	int (*lease_revoke)(struct tenet_store *s, int64_t id, struct tenet_err *err);
	/* optional (NULL: -EOPNOTSUPP): batches, store.h */
	int (*batch_begin)(struct tenet_store *s, struct tenet_err *err);
	int (*batch_end)(struct tenet_store *s, bool commit, struct tenet_err *err);
};

struct tenet_store {
	const struct tenet_store_ops *ops;
	char *location;
	void *priv;
};

struct tenet_watch {
	struct tenet_store *s;
	char *prefix;
	int64_t next_rev;       /* first revision not yet delivered */
	void *priv;
};

extern const struct tenet_store_ops tenet_store_sqlite_ops;
extern const struct tenet_store_ops tenet_store_etcd_ops;

/* The first key after every key that starts with prefix, for half-open
 * range scans [prefix, end). NULL end (returned 0) means "no upper bound"
 * (empty prefix, or a prefix of all 0xff bytes). -ENOMEM on failure. */
int tenet_prefix_end(const char *prefix, char **end);

#endif

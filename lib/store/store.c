// SPDX-License-Identifier: GPL-2.0
/* The backend-independent half of the store: URL dispatch, transaction
 * building and the memory helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* The backend registry: one row per URL scheme. A new backend is a new
 * file filling a struct tenet_store_ops plus one row here. A row with no
 * ops names a scheme that is planned but not built: its URLs fail with
 * -EPROTONOSUPPORT instead of "unknown scheme". A URL without "://" is a
 * path for the first row (SQLite). */
static const struct backend {
	const char *scheme;
	const struct tenet_store_ops *ops;
	const char *location;   /* what follows "scheme://", for messages */
} backends[] = {
	{ "sqlite", &tenet_store_sqlite_ops, "file path" },
	{ "etcd", &tenet_store_etcd_ops, "endpoint" },
};

/* Picks the backend and its location from a --store URL. */
static int parse_url(const char *url, const struct tenet_store_ops **ops,
		     const char **location, struct tenet_err *err)
{
	const char *sep;
	size_t i, len;

	*ops = backends[0].ops;
	*location = url && *url ? url : TENET_STORE_DEFAULT;
	if (!url || !(sep = strstr(url, "://")))
		return 0;
	len = (size_t)(sep - url);
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct backend *b = &backends[i];

		if (strlen(b->scheme) != len || strncmp(url, b->scheme, len))
			continue;
		if (!b->ops)
			return tenet_err_set(err, -EPROTONOSUPPORT,
					     "store %s: the %s backend is not supported yet", url,
					     b->scheme);
		*ops = b->ops;
		*location = sep + 3;
		if (!**location)
			return tenet_err_set(err, -EINVAL, "store %s: no %s", url, b->location);
		return 0;
	}
	return tenet_err_set(err, -EPROTONOSUPPORT,
			     "store %s: unknown scheme (use sqlite:///PATH or a path)", url);
}

int tenet_store_openf(const char *url, unsigned int flags, struct tenet_store **out,
		      struct tenet_err *err)
{
	const struct tenet_store_ops *ops;
	struct tenet_store *s = NULL;
	const char *location = NULL;
	int ret;

	*out = NULL;
	if (flags & ~TENET_STORE_CREATE)
		return tenet_err_set(err, -EINVAL, "store open: unknown flags 0x%x", flags);
	ret = parse_url(url, &ops, &location, err);
	if (ret < 0)
		goto out;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->location = strdup(location))) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	s->ops = ops;
	ret = ops->open(s, s->location, flags, err);
	if (ret < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	if (s) {
		free(s->location);
		free(s);
	}
	return ret;
}

int tenet_store_open(const char *url, struct tenet_store **out, struct tenet_err *err)
{
	return tenet_store_openf(url, TENET_STORE_CREATE, out, err);
}

int tenet_store_check(struct tenet_store *s, struct tenet_err *err)
{
	return s->ops->check ? s->ops->check(s, err) : 0;
}

enum tenet_store_errclass tenet_store_errclass(int err)
{
	switch (err) {
	case 0:
		return TENET_STORE_OK;
	case -ESTALE:
		return TENET_STORE_STALE;
	case -ECANCELED:
		return TENET_STORE_CONFLICT;
	case -EBADMSG:
		return TENET_STORE_CORRUPT;
	case -ENOENT:
	case -EIO:
	case -EBUSY:
	case -EAGAIN:
	case -ENOSPC:
	case -ETIMEDOUT:
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -ENETDOWN:
	case -EHOSTDOWN:
	case -EPIPE:
		return TENET_STORE_UNAVAILABLE;
	default:
		return TENET_STORE_FATAL;
	}
}

void tenet_store_close(struct tenet_store *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s->location);
	free(s);
}

const char *tenet_store_location(const struct tenet_store *s)
{
	return s->location;
}

int tenet_store_revision(struct tenet_store *s, int64_t *rev, struct tenet_err *err)
{
	return s->ops->revision(s, rev, err);
}

int tenet_store_changed(struct tenet_store *s, const char *prefix, int64_t from_rev,
			int64_t to_rev, bool *changed, struct tenet_err *err)
{
	*changed = true;
	if (!s->ops->changed)
		return tenet_err_set(err, -EOPNOTSUPP, "the %s store cannot tell what changed",
				     s->ops->name);
	if (from_rev < 0 || to_rev < from_rev)
		return tenet_err_set(err, -EINVAL, "revisions %lld..%lld: not a range",
				     (long long)from_rev, (long long)to_rev);
	return s->ops->changed(s, prefix ? prefix : "", from_rev, to_rev, changed, err);
}

int tenet_store_get(struct tenet_store *s, const char *key, struct tenet_kv *out,
		    struct tenet_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!key || !*key)
		return tenet_err_set(err, -EINVAL, "empty key");
	return s->ops->get(s, key, out, err);
}

int tenet_store_range(struct tenet_store *s, const char *prefix, struct tenet_kv_list *out,
		      struct tenet_err *err)
{
	memset(out, 0, sizeof(*out));
	return s->ops->range(s, prefix ? prefix : "", out, err);
}

int tenet_store_range_each(struct tenet_store *s, const char *prefix, tenet_kv_fn fn,
			   void *arg, int64_t *rev, struct tenet_err *err)
{
	struct tenet_kv_list l = { 0 };
	int ret;

	if (!prefix)
		prefix = "";
	if (s->ops->range_each)
		return s->ops->range_each(s, prefix, fn, arg, rev, err);
	ret = s->ops->range(s, prefix, &l, err);
	for (size_t i = 0; ret >= 0 && i < l.n; i++)
		ret = fn(arg, &l.kvs[i], err);
	if (ret >= 0) {
		*rev = l.rev;
		ret = 0;
	}
	tenet_kv_list_free(&l);
	return ret;
}

int tenet_store_commit(struct tenet_store *s, struct tenet_txn *t, int64_t *rev,
		       struct tenet_err *err)
{
	int64_t dummy;

	if (!s->ops->lease_grant) {
		for (size_t i = 0; i < t->nops; i++)
			if (t->ops[i].lease)
				return tenet_err_set(err, -EOPNOTSUPP,
						     "%s: a put with a lease: the %s store has no leases",
						     t->ops[i].key, s->ops->name);
	}
	return s->ops->commit(s, t, rev ? rev : &dummy, err);
}

static int no_leases(struct tenet_store *s, struct tenet_err *err)
{
	return tenet_err_set(err, -EOPNOTSUPP, "the %s store has no leases", s->ops->name);
}

int tenet_store_lease_grant(struct tenet_store *s, int64_t ttl_s, int64_t *id,
			    struct tenet_err *err)
{
	*id = 0;
	if (ttl_s <= 0)
		return tenet_err_set(err, -EINVAL, "lease: ttl %lld s", (long long)ttl_s);
	return s->ops->lease_grant ? s->ops->lease_grant(s, ttl_s, id, err) : no_leases(s, err);
}

int tenet_store_lease_keepalive(struct tenet_store *s, int64_t id, int64_t *ttl_s,
				struct tenet_err *err)
{
	int64_t dummy;

	return s->ops->lease_keepalive ? s->ops->lease_keepalive(s, id, ttl_s ? ttl_s : &dummy, err)
				       : no_leases(s, err);
}

int tenet_store_lease_revoke(struct tenet_store *s, int64_t id, struct tenet_err *err)
{
	return s->ops->lease_revoke ? s->ops->lease_revoke(s, id, err) : no_leases(s, err);
}

int tenet_store_batch_begin(struct tenet_store *s, struct tenet_err *err)
{
	if (!s->ops->batch_begin)
		return tenet_err_set(err, -EOPNOTSUPP, "the %s store has no batches",
				     s->ops->name);
	return s->ops->batch_begin(s, err);
}

int tenet_store_batch_end(struct tenet_store *s, bool commit, struct tenet_err *err)
{
	if (!s->ops->batch_end)
		return tenet_err_set(err, -EOPNOTSUPP, "the %s store has no batches",
				     s->ops->name);
	return s->ops->batch_end(s, commit, err);
}

int tenet_store_compact(struct tenet_store *s, int64_t rev, struct tenet_err *err)
{
	return s->ops->compact(s, rev, err);
}

int tenet_prefix_end(const char *prefix, char **end)
{
	size_t len = strlen(prefix);
	char *e;

	*end = NULL;
	/* Drop trailing 0xff bytes, then bump the last byte: etcd's rule. */
	while (len && (unsigned char)prefix[len - 1] == 0xff)
		len--;
	if (!len)
		return 0;
	e = strndup(prefix, len);
	if (!e)
		return -ENOMEM;
	e[len - 1] = (char)((unsigned char)e[len - 1] + 1);
	*end = e;
	return 0;
}

/* ---- transactions ---- */

struct tenet_txn *tenet_txn_new(void)
{
	return calloc(1, sizeof(struct tenet_txn));
}

void tenet_txn_free(struct tenet_txn *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->ncmps; i++) {
		free(t->cmps[i].key);
		free(t->cmps[i].text);
	}
	for (i = 0; i < t->nops; i++) {
		free(t->ops[i].key);
		free(t->ops[i].value);
	}
	free(t->cmps);
	free(t->ops);
	free(t);
}

/* Makes room for one more element in a growing array. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int add_cmp(struct tenet_txn *t, const char *key, enum tenet_cmp_target target,
		   enum tenet_cmp_op op, int64_t value, const char *text)
{
	struct txn_cmp *c;

	if (!key || !*key || (unsigned int)op > TENET_CMP_GT)
		return -EINVAL;
	if (grow((void **)&t->cmps, &t->cap_cmps, t->ncmps, sizeof(*t->cmps)) < 0)
		return -ENOMEM;
	c = &t->cmps[t->ncmps];
	memset(c, 0, sizeof(*c));
	c->key = strdup(key);
	c->text = text ? strdup(text) : NULL;
	if (!c->key || (text && !c->text)) {
		free(c->key);
		free(c->text);
		return -ENOMEM;
	}
	c->target = target;
	c->op = op;
	c->value = value;
	t->ncmps++;
	return 0;
}

int tenet_txn_compare(struct tenet_txn *t, const char *key, enum tenet_cmp_target target,
		      enum tenet_cmp_op op, int64_t value)
{
	if ((unsigned int)target > TENET_CMP_VERSION)
		return -EINVAL;
	return add_cmp(t, key, target, op, value, NULL);
}

int tenet_txn_compare_value(struct tenet_txn *t, const char *key, enum tenet_cmp_op op,
			    const char *value)
{
	if (!value)
		return -EINVAL;
	return add_cmp(t, key, TENET_CMP_VALUE, op, 0, value);
}

static int add_op(struct tenet_txn *t, enum txn_op_type type, const char *key,
		  const char *value)
{
	struct txn_op *o;

	if (!key || (type != TXN_DELETE_PREFIX && !*key))
		return -EINVAL;
	if (grow((void **)&t->ops, &t->cap_ops, t->nops, sizeof(*t->ops)) < 0)
		return -ENOMEM;
	o = &t->ops[t->nops];
	o->type = type;
	o->lease = 0;
	o->key = strdup(key);
	o->value = value ? strdup(value) : NULL;
	if (!o->key || (value && !o->value)) {
		free(o->key);
		free(o->value);
		return -ENOMEM;
	}
	t->nops++;
	return 0;
}

int tenet_txn_put(struct tenet_txn *t, const char *key, const char *value)
{
	if (!value)
		return -EINVAL;
	return add_op(t, TXN_PUT, key, value);
}

int tenet_txn_put_json(struct tenet_txn *t, const char *key, const json_t *value)
{
	char *text;
	int ret;

	text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!text)
		return -ENOMEM;
	ret = tenet_txn_put(t, key, text);
	free(text);
	return ret;
}

int tenet_txn_put_lease(struct tenet_txn *t, const char *key, const char *value, int64_t lease)
{
	int ret;

	if (!value || lease <= 0)
		return -EINVAL;
	ret = add_op(t, TXN_PUT, key, value);
	if (ret == 0)
		t->ops[t->nops - 1].lease = lease;
	return ret;
}

int tenet_txn_delete(struct tenet_txn *t, const char *key)
{
	return add_op(t, TXN_DELETE, key, NULL);
}

int tenet_txn_delete_prefix(struct tenet_txn *t, const char *prefix)
{
	return add_op(t, TXN_DELETE_PREFIX, prefix, NULL);
}

size_t tenet_txn_size(const struct tenet_txn *t)
{
	return t->nops;
}

/* ---- watch ---- */

int tenet_watch_open(struct tenet_store *s, const char *prefix, int64_t from_rev,
		     struct tenet_watch **out, struct tenet_err *err)
{
	struct tenet_watch *w;
	int ret;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->prefix = strdup(prefix ? prefix : ""))) {
		free(w);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	w->s = s;
	w->next_rev = from_rev < 1 ? 1 : from_rev;
	ret = s->ops->watch_open(w, err);
	if (ret < 0) {
		free(w->prefix);
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

int tenet_watch_fd(const struct tenet_watch *w)
{
	return w->s->ops->watch_fd(w);
}

int tenet_watch_next(struct tenet_watch *w, int timeout_ms, struct tenet_watch_batch *out,
		     struct tenet_err *err)
{
	memset(out, 0, sizeof(*out));
	return w->s->ops->watch_next(w, timeout_ms, out, err);
}

int64_t tenet_watch_position(const struct tenet_watch *w)
{
	return w->next_rev;
}

int tenet_watch_live(const struct tenet_watch *w)
{
	return w->s->ops->watch_live ? w->s->ops->watch_live(w) : 1;
}

void tenet_watch_close(struct tenet_watch *w)
{
	if (!w)
		return;
	w->s->ops->watch_close(w);
	free(w->prefix);
	free(w);
}

/* ---- values and memory ---- */

json_t *tenet_kv_json(const struct tenet_kv *kv, struct tenet_err *err)
{
	json_error_t jerr;
	json_t *j;

	if (!kv->value) {
		tenet_err_set(err, -ENOENT, "%s: no value (deleted)", kv->key);
		return NULL;
	}
	j = json_loadb(kv->value, kv->value_len, JSON_DECODE_ANY, &jerr);
	if (!j)
		tenet_err_set(err, -EBADMSG, "%s: value is not JSON: %s", kv->key, jerr.text);
	return j;
}

void tenet_kv_clear(struct tenet_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void tenet_kv_list_free(struct tenet_kv_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		tenet_kv_clear(&l->kvs[i]);
	free(l->kvs);
	memset(l, 0, sizeof(*l));
}

void tenet_watch_batch_free(struct tenet_watch_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		tenet_kv_clear(&b->events[i].kv);
	free(b->events);
	memset(b, 0, sizeof(*b));
}

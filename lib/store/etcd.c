// SPDX-License-Identifier: GPL-2.0
/* etcd backend of the control store (etcd 3.4's v3 JSON gateway):
 * reads, transactions, compaction. The connection, failover and the
 * gateway's encoding are in etcd_http.c, the watch in etcd_watch.c.
 *
 * etcd is what the store's model was drawn from, so most calls map one to
 * one. The differences this file bridges:
 *   - etcd refuses a transaction that puts a key twice or puts a key that
 *     one of its deletes covers; the store lets a transaction touch a key
 *     several times (the result is that of its operations in order). So
 *     commit folds the operations per key first: only the last operation
 *     on a key is sent, and a prefix delete followed by a put of a key
 *     under it becomes a delete of the ranges around that key.
 *   - etcd takes at most 128 operations (--max-txn-ops) and 1.5 MiB
 *     (--max-request-bytes) per transaction. A bigger one is sent as
 *     several, in order, the first carrying the compares; each is atomic,
 *     the whole is not (store.h: TENET_TXN_ATOMIC_OPS). If a later part
 *     fails, the error says how much landed.
 *   - range reads are paged (limit, then the next key) at the revision of
 *     the first page, so a million keys are one snapshot without one
 *     enormous answer. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/etcd.h"

/* A range page aims at about this many bytes of answer. */
#define PAGE_BYTES (8 << 20)
#define PAGE_MIN 64
#define PAGE_MAX 50000
#define PAGE_FIRST 1000

struct etcd_store {
	struct etcd e;
	char cluster_id[32];    /* the cluster this handle follows */
};

static struct etcd_store *ES(struct tenet_store *s)
{
	return s->priv;
}

struct etcd *etcd_of(struct tenet_store *s)
{
	return &ES(s)->e;
}

/* A single-key read that returns only the store's revision (and the
 * cluster's id), of a key nobody writes (ETCD_PROBE_KEY). */
static int read_header(struct tenet_store *s, int64_t *rev, char *cluster, size_t len,
		       struct tenet_err *err)
{
	struct etcd_status st;
	json_t *req, *resp = NULL;
	int ret;

	req = json_pack("{s:o, s:b}", "key", etcd_probe_key(&ES(s)->e), "count_only", 1);
	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = etcd_call(&ES(s)->e, "kv/range", req, 0, &resp, &st, err);
	json_decref(req);
	if (ret < 0)
		return ret;
	*rev = etcd_header_rev(resp);
	if (cluster) {
		json_t *id = json_object_get(json_object_get(resp, "header"), "cluster_id");

		snprintf(cluster, len, "%s", json_string_value(id) ?: "");
	}
	json_decref(resp);
	return 0;
}

static void et_close(struct tenet_store *s)
{
	struct etcd_store *es = ES(s);

	if (!es)
		return;
	etcd_fini(&es->e);
	free(es);
	s->priv = NULL;
}

/* The cluster is the store: it exists when it answers. TENET_STORE_CREATE
 * changes nothing here, and a cluster nobody answers for is -ECONNREFUSED
 * or -ETIMEDOUT (UNAVAILABLE), so an agent retries. */
static int et_open(struct tenet_store *s, const char *location, unsigned int flags,
		   struct tenet_err *err)
{
	struct etcd_store *es = calloc(1, sizeof(*es));
	int64_t rev;
	int ret;

	(void)flags;
	if (!es)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	s->priv = es;
	ret = etcd_init(&es->e, location, err);
	if (ret < 0) {
		free(es);
		s->priv = NULL;
		return ret;
	}
	ret = etcd_authenticate(&es->e, err);
	if (ret == 0)
		ret = read_header(s, &rev, es->cluster_id, sizeof(es->cluster_id), err);
	if (ret < 0)
		et_close(s);
	return ret;
}

/* Another cluster answering at the same endpoints (rebuilt, restored
 * from a snapshot as a new cluster) is another store: resync. */
static int et_check(struct tenet_store *s, struct tenet_err *err)
{
	char id[32];
	int64_t rev;
	int ret = read_header(s, &rev, id, sizeof(id), err);

	if (ret < 0)
		return ret;
	if (strcmp(id, ES(s)->cluster_id))
		return tenet_err_set(err, -ESTALE, "etcd: another cluster answers (id %s, was %s)",
				     id, ES(s)->cluster_id);
	return 0;
}

static int et_revision(struct tenet_store *s, int64_t *rev, struct tenet_err *err)
{
	return read_header(s, rev, NULL, 0, err);
}

static int et_get(struct tenet_store *s, const char *key, struct tenet_kv *out,
		  struct tenet_err *err)
{
	struct etcd *e = &ES(s)->e;
	struct etcd_status st;
	json_t *req, *resp = NULL, *kvs;
	int ret;

	req = json_pack("{s:o}", "key", etcd_b64_key(e, key, strlen(key)));
	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = etcd_call(e, "kv/range", req, 0, &resp, &st, err);
	json_decref(req);
	if (ret < 0)
		return ret;
	kvs = json_object_get(resp, "kvs");
	if (!json_array_size(kvs))
		ret = tenet_err_set(err, -ENOENT, "%s: no such key", key);
	else if ((ret = etcd_kv(e, json_array_get(kvs, 0), out)) < 0)
		tenet_err_set(err, ret, "%s: etcd sent a bad key or value", key);
	json_decref(resp);
	return ret;
}

/* ---- range reads, paged at one revision ---- */

typedef int (*page_fn)(void *arg, const struct tenet_kv *kv, struct tenet_err *err);

/* The pages after the first are fetched by a thread of their own (on its
 * own connection) while the caller's thread decodes the previous page:
 * through the gateway, etcd spends about as long encoding a page as we
 * spend decoding it, so the two overlap. At most two pages wait. */
struct pager {
	struct etcd fe;         /* the fetcher's connection; the conf is shared */
	json_t *req;            /* the next page's request */
	int64_t limit, at;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	json_t *ready[2];
	size_t nready;
	bool done, stop;
	int ret;
	struct tenet_err err;
};

/* The request for the page after resp (false: resp was the last), sized
 * to about PAGE_BYTES from what resp's keys and values weighed. */
static int next_page(json_t *req, const json_t *resp, int64_t *limit, bool *more)
{
	json_t *kvs = json_object_get(resp, "kvs"), *j;
	size_t i, n = json_array_size(kvs), bytes = 0, rlen;
	char *raw = NULL;
	int ret;

	*more = json_is_true(json_object_get(resp, "more")) && n;
	if (!*more)
		return 0;
	json_array_foreach(kvs, i, j)
		bytes += json_string_length(json_object_get(j, "key")) +
			 json_string_length(json_object_get(j, "value")) + 100;
	/* The next page starts right after the last key. */
	ret = etcd_unb64(json_object_get(json_array_get(kvs, n - 1), "key"), &raw, &rlen);
	if (ret < 0)
		return ret;
	json_object_set_new(req, "key", etcd_b64(raw, rlen + 1));
	free(raw);
	*limit = (int64_t)(PAGE_BYTES / (bytes / n + 1));
	*limit = *limit < PAGE_MIN ? PAGE_MIN : *limit > PAGE_MAX ? PAGE_MAX : *limit;
	json_object_set_new(req, "limit", json_integer(*limit));
	return 0;
}

static void *fetcher(void *arg)
{
	struct pager *p = arg;
	struct etcd_status st;
	bool more = true;

	while (more) {
		json_t *resp = NULL;
		int ret = etcd_call(&p->fe, "kv/range", p->req, EC_SLOW, &resp, &st, &p->err);

		if (ret == 0 && (ret = next_page(p->req, resp, &p->limit, &more)) < 0)
			tenet_err_set(&p->err, ret, "etcd: range: a bad key");
		pthread_mutex_lock(&p->mu);
		while (ret == 0 && p->nready == 2 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (ret < 0 || p->stop) {
			json_decref(resp);
			p->ret = ret;
			more = false;
		} else {
			p->ready[p->nready++] = resp;
		}
		if (!more)
			p->done = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* fn over the pairs of one page. */
static int page_each(const struct etcd *e, const json_t *resp, const char *prefix, page_fn fn,
		     void *arg, struct tenet_err *err)
{
	json_t *kvs = json_object_get(resp, "kvs"), *j;
	size_t i;
	int ret;

	json_array_foreach(kvs, i, j) {
		struct tenet_kv kv;

		ret = etcd_kv(e, j, &kv);
		if (ret < 0)
			return tenet_err_set(err, ret, "etcd: range %s: a bad key or value", prefix);
		ret = fn(arg, &kv, err);
		tenet_kv_clear(&kv);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The pages after the first, fetched ahead (struct pager). */
static int rest_pipelined(struct etcd *e, json_t *req, int64_t limit, const char *prefix,
			  page_fn fn, void *arg, struct tenet_err *err)
{
	struct pager p = { .req = req, .limit = limit };
	pthread_t th;
	int ret = 0;

	p.fe = *e;
	p.fe.h = curl_easy_init();
	p.fe.body = NULL;
	p.fe.body_len = p.fe.body_cap = 0;
	p.fe.token = e->token ? strdup(e->token) : NULL;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (!p.fe.h || (e->token && !p.fe.token) || pthread_create(&th, NULL, fetcher, &p)) {
		ret = tenet_err_set(err, -ENOMEM, "etcd: range: cannot start a reader");
		goto out;
	}
	for (;;) {
		json_t *resp = NULL;

		pthread_mutex_lock(&p.mu);
		while (!p.nready && !p.done)
			pthread_cond_wait(&p.cv, &p.mu);
		if (p.nready) {
			resp = p.ready[0];
			p.ready[0] = p.ready[1];
			p.nready--;
			pthread_cond_broadcast(&p.cv);
		}
		pthread_mutex_unlock(&p.mu);
		if (!resp)
			break;
		ret = page_each(e, resp, prefix, fn, arg, err);
		json_decref(resp);
		if (ret < 0)
			break;
	}
	pthread_mutex_lock(&p.mu);
	p.stop = true;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(th, NULL);
	while (p.nready)
		json_decref(p.ready[--p.nready]);
	if (ret == 0 && p.ret < 0) {
		ret = p.ret;
		if (err)
			*err = p.err;
	}
	e->cur = p.fe.cur;
out:
	if (p.fe.h)
		curl_easy_cleanup(p.fe.h);
	free(p.fe.body);
	free(p.fe.token);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return ret;
}

/* Reads [prefix) page by page at the first page's revision; fn sees each
 * pair in key order. -ESTALE if a compaction passed that revision in the
 * middle (the caller reads again). */
static int range_paged(struct tenet_store *s, const char *prefix, page_fn fn, void *arg,
		       int64_t *rev, struct tenet_err *err)
{
	struct etcd *e = &ES(s)->e;
	struct etcd_status st;
	json_t *req, *resp = NULL;
	int64_t limit = PAGE_FIRST, at;
	bool more;
	int ret;

	req = json_object();
	if (!req || etcd_prefix_range(e, prefix, req) < 0 ||
	    json_object_set_new(req, "limit", json_integer(limit)) < 0) {
		json_decref(req);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	/* The first page on the store's own connection: most reads are one
	 * page. */
	ret = etcd_call(e, "kv/range", req, 0, &resp, &st, err);
	if (ret < 0)
		goto out;
	at = etcd_header_rev(resp);
	json_object_set_new(req, "revision", json_integer(at));
	ret = next_page(req, resp, &limit, &more);
	if (ret < 0) {
		tenet_err_set(err, ret, "etcd: range %s: a bad key", prefix);
		goto out;
	}
	ret = page_each(e, resp, prefix, fn, arg, err);
	if (ret == 0 && more)
		ret = rest_pipelined(e, req, limit, prefix, fn, arg, err);
	if (ret == -ESTALE)
		tenet_err_set(err, -ESTALE, "etcd: range %s at revision %lld: compacted while reading",
			      prefix, (long long)at);
	if (ret == 0)
		*rev = at;
out:
	json_decref(resp);
	json_decref(req);
	return ret;
}

struct list_ctx {
	struct tenet_kv_list *l;
	size_t cap;
};

static int list_add(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	struct list_ctx *c = arg;
	struct tenet_kv *d;

	if (c->l->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct tenet_kv *p = realloc(c->l->kvs, cap * sizeof(*p));

		if (!p)
			return tenet_err_set(err, -ENOMEM, "out of memory");
		c->l->kvs = p;
		c->cap = cap;
	}
	d = &c->l->kvs[c->l->n];
	*d = *kv;
	d->key = strdup(kv->key);
	d->value = malloc(kv->value_len + 1);
	if (!d->key || !d->value) {
		free(d->key);
		free(d->value);
		return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(d->value, kv->value, kv->value_len + 1);
	c->l->n++;
	return 0;
}

static int et_range(struct tenet_store *s, const char *prefix, struct tenet_kv_list *out,
		    struct tenet_err *err)
{
	int ret, tries = 0;

	/* A compaction in the middle of a paged read: read again, now. */
	do {
		struct list_ctx c = { .l = out };

		tenet_kv_list_free(out);
		ret = range_paged(s, prefix, list_add, &c, &out->rev, err);
	} while (ret == -ESTALE && ++tries < 5);
	if (ret < 0)
		tenet_kv_list_free(out);
	return ret;
}

/* The callback has seen part of the read: a compaction in the middle is
 * -ESTALE for the caller, who resyncs (the agent does). */
static int et_range_each(struct tenet_store *s, const char *prefix, tenet_kv_fn fn, void *arg,
			 int64_t *rev, struct tenet_err *err)
{
	return range_paged(s, prefix, fn, arg, rev, err);
}

/* ---- transactions ---- */

/* An operation as sent: a put, or a delete of [key, end) (end NULL: the
 * key alone; end "" : everything from key on). Keys with the namespace. */
struct wop {
	bool put;
	bool dead;              /* replaced by a later operation */
	char *key;              /* put, single delete: the key without namespace */
	const char *value;
	int64_t lease;
	char *from, *end;       /* range delete: full keys, end NULL = no bound */
	size_t from_len;
	char **holes;           /* keys put after this delete (without namespace) */
	size_t nholes;
};

struct fold {
	struct wop *w;
	size_t n;
	/* open addressing, key -> index + 1 of the live put or delete */
	size_t *slot;
	size_t cap;
};

static size_t hash(const char *k)
{
	size_t h = 1469598103934665603ull;

	while (*k)
		h = (h ^ (unsigned char)*k++) * 1099511628211ull;
	return h;
}

static size_t *find_slot(struct fold *f, const char *key)
{
	size_t i = hash(key) & (f->cap - 1);

	for (;; i = (i + 1) & (f->cap - 1)) {
		size_t v = f->slot[i];

		if (!v || (v != (size_t)-1 && !strcmp(f->w[v - 1].key, key)))
			return &f->slot[i];
	}
}

static bool under(const struct etcd *e, const struct wop *r, const char *key)
{
	size_t kl = strlen(key);
	char *full = malloc(e->c.ns_len + kl + 1);
	bool in;

	if (!full)
		return false;
	memcpy(full, e->c.ns, e->c.ns_len);
	memcpy(full + e->c.ns_len, key, kl + 1);
	in = strcmp(full, r->from) >= 0 && (!r->end || strcmp(full, r->end) < 0);
	free(full);
	return in;
}

static void drop_hole(struct wop *r, const char *key)
{
	for (size_t i = 0; i < r->nholes; i++) {
		if (strcmp(r->holes[i], key))
			continue;
		free(r->holes[i]);
		r->holes[i] = r->holes[--r->nholes];
		return;
	}
}

static int add_hole(struct wop *r, const char *key)
{
	char **p;

	for (size_t i = 0; i < r->nholes; i++)
		if (!strcmp(r->holes[i], key))
			return 0;
	p = realloc(r->holes, (r->nholes + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	r->holes = p;
	if (!(p[r->nholes] = strdup(key)))
		return -ENOMEM;
	r->nholes++;
	return 0;
}

static void fold_free(struct fold *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->w[i].key);
		free(f->w[i].from);
		free(f->w[i].end);
		for (size_t j = 0; j < f->w[i].nholes; j++)
			free(f->w[i].holes[j]);
		free(f->w[i].holes);
	}
	free(f->w);
	free(f->slot);
}

/* The operations of t, one per key, in the order of each key's last
 * operation; see the top of the file. */
static int fold(const struct etcd *e, const struct tenet_txn *t, struct fold *f)
{
	size_t i, j;

	memset(f, 0, sizeof(*f));
	for (f->cap = 16; f->cap < 2 * t->nops + 2; f->cap *= 2)
		;
	f->w = calloc(t->nops ? t->nops : 1, sizeof(*f->w));
	f->slot = calloc(f->cap, sizeof(*f->slot));
	if (!f->w || !f->slot)
		return -ENOMEM;
	for (i = 0; i < t->nops; i++) {
		const struct txn_op *o = &t->ops[i];
		struct wop *w = &f->w[f->n];

		if (o->type == TXN_DELETE_PREFIX) {
			size_t pl = strlen(o->key);

			/* Everything under it so far is deleted by it. */
			for (j = 0; j < f->n; j++) {
				struct wop *x = &f->w[j];

				if (x->dead)
					continue;
				if (x->key && !strncmp(x->key, o->key, pl)) {
					x->dead = true;
					*find_slot(f, x->key) = (size_t)-1;
				} else if (!x->key) {
					for (size_t h = 0; h < x->nholes;) {
						if (!strncmp(x->holes[h], o->key, pl))
							drop_hole(x, x->holes[h]);
						else
							h++;
					}
				}
			}
			w->from_len = e->c.ns_len + pl;
			w->from = malloc(w->from_len + 1);
			if (!w->from)
				return -ENOMEM;
			memcpy(w->from, e->c.ns, e->c.ns_len);
			memcpy(w->from + e->c.ns_len, o->key, pl + 1);
			if (tenet_prefix_end(w->from, &w->end) < 0)
				return -ENOMEM;
			f->n++;
			continue;
		}
		size_t *slot = find_slot(f, o->key);

		if (*slot && *slot != (size_t)-1)
			f->w[*slot - 1].dead = true;
		/* Deletes that came before and cover this key. */
		bool covered = false;

		for (j = 0; j < f->n; j++) {
			struct wop *r = &f->w[j];

			if (r->dead || r->key || !under(e, r, o->key))
				continue;
			covered = true;
			if (o->type == TXN_PUT) {
				if (add_hole(r, o->key) < 0)
					return -ENOMEM;
			} else {
				/* A put in between made a hole; the key goes again. */
				drop_hole(r, o->key);
			}
		}
		if (o->type == TXN_DELETE && covered) {
			*slot = (size_t)-1;
			continue;
		}
		w->put = o->type == TXN_PUT;
		w->key = strdup(o->key);
		w->value = o->value;
		w->lease = o->lease;
		if (!w->key)
			return -ENOMEM;
		f->n++;
		/* A tombstone slot is reused only through find_slot's
		 * match, so store fresh. */
		slot = find_slot(f, o->key);
		*slot = f->n;
	}
	return 0;
}

/* The wire form of one folded operation: one request op, or a delete
 * range split into several around its holes. */
static int hole_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *range_op(const char *from, size_t flen, const char *end, size_t elen)
{
	return json_pack("{s:{s:o, s:o}}", "request_delete_range", "key", etcd_b64(from, flen),
			 "range_end", end ? etcd_b64(end, elen) : etcd_b64("", 1));
}

static int wire_ops(const struct etcd *e, struct wop *w, json_t *out, size_t *bytes)
{
	json_t *op;

	*bytes = 0;
	if (w->key) {
		json_t *k = etcd_b64_key(e, w->key, strlen(w->key));

		if (w->put && w->lease)
			op = json_pack("{s:{s:o, s:o, s:I}}", "request_put", "key", k, "value",
				       etcd_b64(w->value, strlen(w->value)), "lease",
				       (json_int_t)w->lease);
		else if (w->put)
			op = json_pack("{s:{s:o, s:o}}", "request_put", "key", k, "value",
				       etcd_b64(w->value, strlen(w->value)));
		else
			op = json_pack("{s:{s:o}}", "request_delete_range", "key", k);
		*bytes = strlen(w->key) + (w->value ? strlen(w->value) : 0) + e->c.ns_len + 16;
		return op && !json_array_append_new(out, op) ? 0 : -ENOMEM;
	}
	/* [from, h1), [h1 "\0", h2), ..., [hn "\0", end) */
	qsort(w->holes, w->nholes, sizeof(*w->holes), hole_cmp);
	char *lo = malloc(w->from_len + 1);
	size_t lo_len = w->from_len;

	if (!lo)
		return -ENOMEM;
	memcpy(lo, w->from, w->from_len + 1);
	for (size_t h = 0; h <= w->nholes; h++) {
		size_t hl = h < w->nholes ? e->c.ns_len + strlen(w->holes[h]) : 0;
		char *hi = NULL;

		if (h < w->nholes) {
			hi = malloc(hl + 2);
			if (!hi) {
				free(lo);
				return -ENOMEM;
			}
			memcpy(hi, e->c.ns, e->c.ns_len);
			memcpy(hi + e->c.ns_len, w->holes[h], hl - e->c.ns_len + 1);
		}
		const char *end = hi ? hi : w->end;
		size_t elen = hi ? hl : (w->end ? strlen(w->end) : 0);
		int c = end ? memcmp(lo, end, lo_len < elen ? lo_len : elen) : -1;

		if (end && !c)
			c = (lo_len > elen) - (lo_len < elen);
		if (c < 0) {
			/* An empty lower key is "\0", etcd's lowest. */
			op = lo_len ? range_op(lo, lo_len, end, elen) : range_op("", 1, end, elen);
			if (!op || json_array_append_new(out, op)) {
				free(hi);
				free(lo);
				return -ENOMEM;
			}
			*bytes += lo_len + elen + 16;
		}
		free(lo);
		lo = hi;
		lo_len = hl + 1;        /* the hole's key followed by "\0" */
		if (hi)
			hi[hl] = '\0';
	}
	free(lo);
	return 0;
}

static const char *const target_name[] = { "CREATE", "MOD", "VERSION", "VALUE" };
static const char *const target_field[] = { "create_revision", "mod_revision", "version",
					    "value" };
static const char *const result_name[] = { "EQUAL", "NOT_EQUAL", "LESS", "GREATER" };
static const char *const op_sym[] = { "==", "!=", "<", ">" };
static const char *const tgt_sym[] = { "create", "mod", "version", "value" };

static json_t *compares(const struct etcd *e, const struct tenet_txn *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->ncmps; i++) {
		const struct txn_cmp *c = &t->cmps[i];
		json_t *j = json_pack("{s:o, s:s, s:s}", "key",
				      etcd_b64_key(e, c->key, strlen(c->key)), "target",
				      target_name[c->target], "result", result_name[c->op]);

		if (j && c->target == TENET_CMP_VALUE)
			json_object_set_new(j, "value", etcd_b64(c->text, strlen(c->text)));
		else if (j)
			json_object_set_new(j, target_field[c->target], json_integer(c->value));
		if (!j || json_array_append_new(a, j)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int compare_failed(const struct tenet_txn *t, struct tenet_err *err)
{
	const struct txn_cmp *c = &t->cmps[0];

	/* etcd does not say which compare failed; one is the usual case.
	 * The compared value stays out of the message. */
	if (t->ncmps == 1 && c->target == TENET_CMP_VALUE)
		return tenet_err_set(err, -ECANCELED, "%s: compare failed (value %s)", c->key,
				     op_sym[c->op]);
	if (t->ncmps == 1)
		return tenet_err_set(err, -ECANCELED, "%s: compare failed (%s %s %lld)", c->key,
				     tgt_sym[c->target], op_sym[c->op], (long long)c->value);
	return tenet_err_set(err, -ECANCELED, "compare failed (one of %zu, the first on %s)",
			     t->ncmps, c->key);
}

static int send_txn(struct etcd *e, json_t *cmps, json_t *ops, bool *succeeded, int64_t *rev,
		    struct tenet_err *err)
{
	struct etcd_status st;
	json_t *req, *resp = NULL;
	int ret;

	req = json_pack("{s:O, s:O}", "compare", cmps, "success", ops);
	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = etcd_call(e, "kv/txn", req, EC_WRITE, &resp, &st, err);
	json_decref(req);
	if (ret < 0)
		return ret;
	*succeeded = json_is_true(json_object_get(resp, "succeeded"));
	*rev = etcd_header_rev(resp);
	json_decref(resp);
	return 0;
}

static int et_commit(struct tenet_store *s, const struct tenet_txn *t, int64_t *rev,
		     struct tenet_err *err)
{
	struct etcd *e = &ES(s)->e;
	json_t *cmps = NULL, *ops = json_array(), *part = json_array(), *none = json_array();
	size_t i, n, sent = 0, parts = 0, part_bytes = 0, *bytes = NULL;
	struct fold f = { 0 };
	bool ok = true;
	int ret;

	if (t->ncmps > ETCD_MAX_OPS) {
		ret = tenet_err_set(err, -E2BIG, "etcd: %zu compares in one transaction (at most %d)",
				    t->ncmps, ETCD_MAX_OPS);
		goto out;
	}
	ret = fold(e, t, &f);
	cmps = compares(e, t);
	if (ret < 0 || !cmps || !ops || !part || !none) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* The operations as sent, and the size of each. */
	for (i = 0; i < f.n; i++) {
		size_t b, before = json_array_size(ops);
		size_t *nb;

		if (f.w[i].dead)
			continue;
		if (wire_ops(e, &f.w[i], ops, &b) < 0) {
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (b > ETCD_MAX_REQUEST - 64 * 1024) {
			ret = tenet_err_set(err, -EMSGSIZE,
					    "%s: %zu bytes, more than etcd takes in one request",
					    f.w[i].key ?: f.w[i].from, b);
			goto out;
		}
		n = json_array_size(ops);
		nb = realloc(bytes, (n ? n : 1) * sizeof(*bytes));
		if (!nb) {
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		bytes = nb;
		for (size_t k = before; k < n; k++)
			bytes[k] = b / (n - before) + 1;
	}
	n = json_array_size(ops);
	/* Parts of at most ETCD_MAX_OPS operations and ETCD_MAX_REQUEST bytes
	 * (less room for the compares), in order; the first has the
	 * compares. An empty transaction is still sent: it answers with the
	 * revision. */
	for (i = 0; i <= n; i++) {
		bool flush = i == n ? json_array_size(part) || !parts
				    : json_array_size(part) + 1 > ETCD_MAX_OPS ||
				      part_bytes + bytes[i] > ETCD_MAX_REQUEST - 64 * 1024;

		if (flush) {
			ret = send_txn(e, parts ? none : cmps, part, &ok, rev, err);
			if (ret == 0 && !ok) {
				ret = compare_failed(t, err);
				goto out;
			}
			if (ret < 0) {
				if (parts)
					tenet_err_prefix(err, ret,
							 "etcd: transaction applied in part (%zu of %zu operations, up to revision %lld)",
							 sent, n, (long long)*rev);
				goto out;
			}
			sent += json_array_size(part);
			parts++;
			json_array_clear(part);
			part_bytes = 0;
		}
		if (i < n) {
			json_array_append(part, json_array_get(ops, i));
			part_bytes += bytes[i];
		}
	}
	ret = 0;
out:
	fold_free(&f);
	free(bytes);
	json_decref(cmps);
	json_decref(ops);
	json_decref(part);
	json_decref(none);
	return ret;
}

static int et_compact(struct tenet_store *s, int64_t rev, struct tenet_err *err)
{
	struct etcd_status st;
	json_t *req, *resp = NULL;
	int ret;

	if (rev < 0)
		return tenet_err_set(err, -EINVAL, "compact %lld: not a revision", (long long)rev);
	if (rev == 0)
		return 0;
	req = json_pack("{s:I}", "revision", (json_int_t)rev);
	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	ret = etcd_call(&ES(s)->e, "kv/compaction", req, 0, &resp, &st, err);
	json_decref(req);
	json_decref(resp);
	/* Compacted already, at or past rev: nothing to do. */
	if (ret == -ESTALE) {
		tenet_err_clear(err);
		return 0;
	}
	if (ret == -EINVAL && strstr(st.msg, "future"))
		return tenet_err_set(err, -EINVAL, "compact %lld: beyond the store's revision",
				     (long long)rev);
	return ret;
}

/* ---- leases ---- */

static int lease_call(struct tenet_store *s, const char *path, json_t *req, json_t **resp,
		      struct tenet_err *err)
{
	struct etcd_status st;
	int ret;

	if (!req)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	/* Granting twice makes a lease nobody renews: it just expires.
	 * Renewing and revoking twice are harmless. So all may be retried. */
	ret = etcd_call(&ES(s)->e, path, req, 0, resp, &st, err);
	json_decref(req);
	return ret;
}

static int et_lease_grant(struct tenet_store *s, int64_t ttl_s, int64_t *id,
			  struct tenet_err *err)
{
	json_t *resp = NULL;
	int ret = lease_call(s, "lease/grant", json_pack("{s:I}", "TTL", (json_int_t)ttl_s), &resp,
			     err);

	if (ret < 0)
		return ret;
	*id = etcd_int(resp, "ID");
	json_decref(resp);
	if (*id <= 0)
		return tenet_err_set(err, -EPROTO, "etcd: lease grant: no lease id in the answer");
	return 0;
}

static int et_lease_keepalive(struct tenet_store *s, int64_t id, int64_t *ttl_s,
			      struct tenet_err *err)
{
	json_t *resp = NULL;
	int ret = lease_call(s, "lease/keepalive", json_pack("{s:I}", "ID", (json_int_t)id), &resp,
			     err);

	if (ret < 0)
		return ret;
	/* A stream of one answer: {"result": {"ID", "TTL"}}; no TTL: gone. */
	*ttl_s = etcd_int(json_object_get(resp, "result"), "TTL");
	json_decref(resp);
	if (*ttl_s <= 0)
		return tenet_err_set(err, -ENOENT, "etcd: lease %llx: expired", (unsigned long long)id);
	return 0;
}

static int et_lease_revoke(struct tenet_store *s, int64_t id, struct tenet_err *err)
{
	json_t *resp = NULL;
	int ret = lease_call(s, "lease/revoke", json_pack("{s:I}", "ID", (json_int_t)id), &resp,
			     err);

	json_decref(resp);
	return ret;
}

int etcd_watch_open(struct tenet_watch *w, struct tenet_err *err);
int etcd_watch_fd(const struct tenet_watch *w);
int etcd_watch_live(const struct tenet_watch *w);
int etcd_watch_next(struct tenet_watch *w, int timeout_ms, struct tenet_watch_batch *out,
		    struct tenet_err *err);
void etcd_watch_close(struct tenet_watch *w);

const struct tenet_store_ops tenet_store_etcd_ops = {
	.name = "etcd",
	.open = et_open,
	.close = et_close,
	.check = et_check,
	.revision = et_revision,
	.get = et_get,
	.range = et_range,
	.range_each = et_range_each,
	.commit = et_commit,
	.compact = et_compact,
	.watch_open = etcd_watch_open,
	.watch_fd = etcd_watch_fd,
	.watch_next = etcd_watch_next,
	.watch_close = etcd_watch_close,
	.watch_live = etcd_watch_live,
	.lease_grant = et_lease_grant,
	.lease_keepalive = et_lease_keepalive,
	.lease_revoke = et_lease_revoke,
};

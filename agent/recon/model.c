// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "recon/model.h"

void model_init(struct model *m)
{
	/* An arena: a 1M-record load is not 1M mallocs (a sixth of its
	 * CPU), nor 1M frees when the model is replaced; a deleted record's
	 * bytes go to the next record of its size. */
	htab_init_arena(&m->recs, 0, sizeof(struct tenet_record));
	htab_init(&m->bad, 0, sizeof(struct tenet_record));
	htab_init(&m->log.changes, 0, sizeof(struct model_change));
	m->log.whole = true;
	m->log.kinds = 0;
	htab_init(&m->others, 0, sizeof(struct tenet_record));
	htab_init(&m->learned, 0, 1);
}

void model_free(struct model *m)
{
	htab_free(&m->recs);
	htab_free(&m->bad);
	htab_free(&m->log.changes);
	htab_free(&m->others);
	htab_free(&m->learned);
}

/* m->others and m->learned after key now holds r (NULL: nothing).
 * 0 or -ENOMEM. */
static int index_set(struct model *m, const char *key, const struct tenet_record *r)
{
	char zero = 0;

	if (r && r->kind != TENET_KIND_LOOKUP)
		return htab_put_len(&m->others, key, r, model_rec_size(r), NULL) ? 0 : -ENOMEM;
	if (m->others.n)
		htab_del(&m->others, key);
	if (r && r->lookup.type == TENET_LOOKUP_DYNAMIC)
		return htab_find(&m->learned, key) || htab_put(&m->learned, key, &zero, NULL) ?
			       0 : -ENOMEM;
	if (m->learned.n)
		htab_del(&m->learned, key);
	return 0;
}

void model_log_clear(struct model *m)
{
	htab_free(&m->log.changes);
	htab_init(&m->log.changes, 0, sizeof(struct model_change));
	m->log.whole = false;
	m->log.kinds = 0;
}

static void log_whole(struct model *m)
{
	if (m->log.whole)
		return;
	m->log.whole = true;
	htab_free(&m->log.changes);
	htab_init(&m->log.changes, 0, sizeof(struct model_change));
}

/* The record under key is about to change (cur: what the model has now,
 * NULL: nothing; kind: the kind of the key). The first change of a key
 * since the last clear keeps the version the last round saw. */
static void log_change(struct model *m, const char *key, const struct htab_entry *cur,
		       enum tenet_kind kind)
{
	struct model_change c = { 0 };

	if (m->log.whole)
		return;
	m->log.kinds |= 1ULL << kind;
	if (cur)
		m->log.kinds |= 1ULL << model_rec(cur)->kind;
	if (kind != TENET_KIND_LOOKUP || (cur && model_rec(cur)->kind != TENET_KIND_LOOKUP))
		return;
	if (htab_find(&m->log.changes, key))
		return;
	if (m->log.changes.n >= MODEL_LOG_MAX) {
		log_whole(m);
		return;
	}
	c.had = cur != NULL;
	if (cur)
		c.old = model_rec(cur)->lookup;
	if (!htab_put(&m->log.changes, key, &c, NULL))
		log_whole(m);
}

size_t model_nlost(const struct model *m)
{
	struct htab_iter it;
	struct htab_entry *e;
	size_t n = 0;

	if (!m->bad.n)
		return 0;
	htab_iter_init(&it, (struct htab *)&m->bad);
	while ((e = htab_iter_next(&it)))
		n += model_lost(m, e);
	return n;
}

/* What the key of an undecodable value says: kept so reconcilers can
 * find the kernel state it owned. A malformed key owned nothing (it
 * never decoded). */
static void mark_bad(struct model *m, const char *key, const struct tenet_record *id)
{
	log_whole(m);
	htab_put(&m->bad, key, id, NULL);
}

/* fresh: the key is not in m (a whole read into a new model: the
 * store's keys are distinct), so nothing is looked up or unindexed:
 * 1M finds that miss were a tenth of a 1M-record load. */
static int put(struct model *m, const char *key, const char *value, bool fresh,
	       struct tenet_err *err)
{
	struct tenet_record rec, id;
	struct htab_entry *e;
	size_t size;
	int ret;

	/* Keys outside the record layout (the serial, future kinds' meta
	 * keys) are not ours to judge. */
	ret = tenet_record_from_key(key, &id, NULL);
	if (ret == -ENOENT)
		return 0;
	memset(&rec, 0, sizeof(rec));
	if (!value) {
		if (ret == 0)
			mark_bad(m, key, &id);
		return tenet_err_set(err, -EINVAL, "%s: record has no value, skipped", key);
	}
	/* The codec's message starts with the key already. */
	if (ret < 0) {
		ret = tenet_record_decode(key, value, &rec, err); /* its message */
	} else {
		ret = tenet_record_decode_id(key, &id, value, &rec, err);
		if (ret < 0)
			mark_bad(m, key, &id);
	}
	if (ret < 0)
		return ret;
	if (m->bad.n && htab_del(&m->bad, key) == 0)
		log_whole(m);   /* repaired: what was held is built again */
	size = model_rec_size(&rec);
	e = fresh ? NULL : htab_find(&m->recs, key);
	if (e && e->vlen == size && !memcmp(htab_val(e), &rec, size))
		return 0;
	log_change(m, key, e, rec.kind);
	if (!(e ? htab_put_len(&m->recs, key, &rec, size, NULL) :
		  htab_add(&m->recs, key, &rec, size)))
		return tenet_err_set(err, -ENOMEM, "%s: out of memory", key);
	/* A new lookup record has no index entry to remove. */
	if ((!fresh || rec.kind != TENET_KIND_LOOKUP ||
	     rec.lookup.type == TENET_LOOKUP_DYNAMIC) && index_set(m, key, &rec) < 0)
		return tenet_err_set(err, -ENOMEM, "%s: out of memory", key);
	return 1;
}

int model_put(struct model *m, const char *key, const char *value, struct tenet_err *err)
{
	return put(m, key, value, false, err);
}

int model_delete(struct model *m, const char *key)
{
	bool was_bad = m->bad.n && htab_del(&m->bad, key) == 0;
	const struct htab_entry *e = htab_find(&m->recs, key);

	if (was_bad)
		log_whole(m);
	if (e)
		log_change(m, key, e, model_rec(e)->kind);
	index_set(m, key, NULL);
	/* A lost record deleted: its held kernel state can go. */
	return htab_del(&m->recs, key) == 0 || was_bad;
}

/* A record that is corrupt now but was good before (a resync after the
 * watch fell behind) keeps its good version. */
void model_load_begin(struct model_load *ld, struct model *m,
		      void (*bad)(void *arg, const char *msg), void *arg)
{
	memset(ld, 0, sizeof(*ld));
	ld->m = m;
	ld->bad = bad;
	ld->arg = arg;
	model_init(&ld->fresh);
	/* A resync reads about what the model holds now. */
	htab_reserve(&ld->fresh.recs, m->recs.n);
}

int model_load_one(struct model_load *ld, const char *key, const char *value)
{
	const struct htab_entry *old;
	struct tenet_err err;

	tenet_err_clear(&err);
	if (put(&ld->fresh, key, value, true, &err) >= 0)
		return 0;
	ld->nbad++;
	if (ld->bad)
		ld->bad(ld->arg, err.msg);
	old = htab_find(&ld->m->recs, key);
	if (old && (!htab_put_len(&ld->fresh.recs, htab_key(old), htab_val(old), old->vlen, NULL) ||
		    index_set(&ld->fresh, htab_key(old), model_rec(old)) < 0))
		return -ENOMEM;
	return 0;
}

int model_load_end(struct model_load *ld)
{
	model_free(ld->m);
	*ld->m = ld->fresh;
	return ld->nbad;
}

void model_load_abort(struct model_load *ld)
{
	model_free(&ld->fresh);
}

int model_load(struct model *m, const struct tenet_kv_list *l,
	       void (*bad)(void *arg, const char *msg), void *arg)
{
	struct model_load ld;

	model_load_begin(&ld, m, bad, arg);
	htab_reserve(&ld.fresh.recs, l->n);
	for (size_t i = 0; i < l->n; i++)
		model_load_one(&ld, l->kvs[i].key, l->kvs[i].value);
	return model_load_end(&ld);
}

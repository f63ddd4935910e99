// SPDX-License-Identifier: GPL-2.0
/* The engine behind every reconciler (see recon.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/names.h"
#include "recon/recon.h"

bool recon_gone(int err)
{
	return err == -ENOENT || err == -ENODEV || err == -ESRCH || err == -EADDRNOTAVAIL;
}

const char *recon_verb(const struct recon_type *t, enum recon_op op)
{
	static const char *const plain[] = { "added", "updated", "removed" };
	const char *const *v = t->verbs ? t->verbs : plain;

	return op == RECON_HELD ? "kept" : v[op];
}

void recon_errf(struct recon *rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rc->msg, sizeof(rc->msg), fmt, ap);
	va_end(ap);
}

/* ---- sets ---- */

/* Arena tables: every object has a fixed-size key and value, so deleted
 * entries are reused, and a desired state of 2M entries is a few hundred
 * chunk allocations, not 2M mallocs and frees. */
void recon_set_init(struct recon_set *s, const struct reconciler *r)
{
	memset(s, 0, sizeof(*s));
	s->ntypes = r->ntypes;
	for (unsigned int t = 0; t < r->ntypes; t++) {
		htab_init_arena(&s->t[t], r->types[t].key_size, r->types[t].val_size);
		htab_init(&s->held[t], r->types[t].key_size, 1);
	}
}

void recon_set_free(struct recon_set *s)
{
	for (unsigned int t = 0; t < s->ntypes; t++) {
		htab_free(&s->t[t]);
		htab_free(&s->held[t]);
	}
}

void recon_keys_init(struct recon_keys *k, const struct reconciler *r)
{
	memset(k, 0, sizeof(*k));
	k->ntypes = r->ntypes;
	for (unsigned int t = 0; t < r->ntypes; t++)
		htab_init(&k->t[t], r->types[t].key_size, 1);
}

void recon_keys_free(struct recon_keys *k)
{
	for (unsigned int t = 0; t < k->ntypes; t++)
		htab_free(&k->t[t]);
}

int recon_keys_add(struct recon_keys *k, unsigned int t, const void *key)
{
	char one = 1;

	return htab_find(&k->t[t], key) || htab_put(&k->t[t], key, &one, NULL) ? 0 : -ENOMEM;
}

int recon_hold(struct recon_set *s, unsigned int t, const void *key)
{
	char one = 1;

	return htab_put(&s->held[t], key, &one, NULL) ? 0 : -ENOMEM;
}

/* ---- instances ---- */

void recon_init(struct recon *rc, const struct reconciler *r, void *ops)
{
	memset(rc, 0, sizeof(*rc));
	rc->r = r;
	rc->ops = ops;
	recon_set_init(&rc->shadow, r);
}

int recon_open(struct recon *rc, const struct recon_open *o)
{
	int ret = rc->r->open ? rc->r->open(rc, o) : 0;

	rc->opened = ret == 0;
	return ret;
}

static void drop_desired(struct recon *rc)
{
	if (rc->have_desired)
		recon_set_free(&rc->desired);
	rc->have_desired = false;
}

void recon_fini(struct recon *rc)
{
	if (rc->r->close)
		rc->r->close(rc);
	rc->opened = false;
	recon_set_free(&rc->shadow);
	drop_desired(rc);
	if (rc->r->cache_free)
		rc->r->cache_free(rc);
	rc->cache = NULL;
}

/* What the kernel holds, into the shadow. The first time the shadow is
 * whatever was found; later (RECON_OBSERVE_EACH) each table is replaced
 * by what is found now, except that an unmarked object this agent made
 * and no longer wants stays, so that it is deleted. */
int recon_observe(struct recon *rc, const struct recon_set *desired)
{
	const struct reconciler *r = rc->r;
	struct recon_set fresh;
	struct htab_iter it;
	struct htab_entry *e;
	int ret;

	recon_set_init(&fresh, r);
	ret = r->observe ? r->observe(rc, desired, &fresh) : 0;
	if (ret < 0)
		goto out;
	for (unsigned int t = 0; t < r->ntypes; t++) {
		const struct recon_type *ty = &r->types[t];
		struct htab tmp;

		if (rc->observed && desired && (ty->flags & RECON_T_UNMARKED) &&
		    !(ty->flags & RECON_T_KEEP)) {
			htab_iter_init(&it, &rc->shadow.t[t]);
			while ((e = htab_iter_next(&it))) {
				if (htab_find(&desired->t[t], htab_key(e)) ||
				    htab_find(&fresh.t[t], htab_key(e)))
					continue;
				if (!htab_put(&fresh.t[t], htab_key(e), htab_val(e), NULL)) {
					ret = -ENOMEM;
					goto out;
				}
			}
		}
		tmp = rc->shadow.t[t];
		rc->shadow.t[t] = fresh.t[t];
		fresh.t[t] = tmp;
	}
	rc->observed = true;
out:
	recon_set_free(&fresh);
	return ret;
}

/* ---- apply ---- */

static void report(const struct recon_hooks *h, const struct recon *rc, unsigned int t,
		   enum recon_op op, const void *key, const void *val, int err)
{
	if (h && h->applied)
		h->applied(h->arg, rc, t, op, key, val, err,
			   err < 0 && rc->msg[0] ? rc->msg : NULL);
}

static void shadow_changed(const struct recon_hooks *h, const struct recon *rc, unsigned int t,
			   const void *key, const void *old, const void *now)
{
	if (h && h->shadow_changed)
		h->shadow_changed(h->arg, rc, t, key, old, now);
}

static size_t cmp_size(const struct recon_type *ty)
{
	return ty->cmp_size ? ty->cmp_size : ty->val_size;
}

/* Puts of a type with put_batch are batched (one syscall per RECON_BATCH
 * entries: a first sync of 1M lookup records is 2M map entries). The
 * entries of a batch are reported and enter the shadow once the batch is
 * written; if the batch call fails, they are put one by one, so each gets
 * its own verdict. */
#define RECON_BATCH 4096

struct batch {
	unsigned int t;
	unsigned int n;
	unsigned char *keys, *vals;
	struct htab_entry *e[RECON_BATCH];
	const void *old[RECON_BATCH];
};

static int batch_flush(struct recon *rc, struct batch *b, const struct recon_hooks *h)
{
	const struct recon_type *ty = &rc->r->types[b->t];
	struct htab *sh = &rc->shadow.t[b->t];
	bool whole = !ty->put_batch(rc, b->keys, b->vals, b->n);
	int failed = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		struct htab_entry *e = b->e[i];
		int ret = 0;

		if (!whole) {
			rc->msg[0] = '\0';
			ret = ty->put(rc, htab_key(e), htab_val(e), b->old[i]);
		}
		report(h, rc, b->t, b->old[i] ? RECON_UPDATE : RECON_ADD, htab_key(e), htab_val(e),
		       ret);
		if (ret < 0) {
			failed++;
			continue;
		}
		shadow_changed(h, rc, b->t, htab_key(e), b->old[i], htab_val(e));
		if (!(b->old[i] ? htab_put(sh, htab_key(e), htab_val(e), NULL) :
				  htab_add(sh, htab_key(e), htab_val(e), ty->val_size)))
			return -ENOMEM;
		if (b->old[i])
			rc->st.upd[b->t]++;
		else
			rc->st.add[b->t]++;
	}
	b->n = 0;
	return failed;
}

static int put_pass_batched(struct recon *rc, const struct recon_set *desired, unsigned int t,
			    const struct recon_hooks *h)
{
	const struct recon_type *ty = &rc->r->types[t];
	size_t ksz = ty->key_size, vsz = ty->val_size, csz = cmp_size(ty);
	struct htab *sh = &rc->shadow.t[t];
	struct batch *b = calloc(1, sizeof(*b));
	struct htab_iter it;
	struct htab_entry *e;
	int failed = 0, ret = -ENOMEM;
	bool empty;

	if (!b)
		goto out;
	b->t = t;
	b->keys = malloc(RECON_BATCH * ksz);
	b->vals = malloc(RECON_BATCH * vsz);
	if (!b->keys || !b->vals)
		goto out;
	/* The shadow ends up holding what is desired. Empty (the first sync),
	 * it has nothing to look up: the desired keys are distinct, so what
	 * this pass adds is never asked for again in it. */
	empty = !sh->n;
	htab_reserve(sh, desired->t[t].n);
	htab_iter_init(&it, &desired->t[t]);
	while ((e = htab_iter_next(&it))) {
		struct htab_entry *cur = empty ? NULL : htab_find(sh, htab_key(e));

		if (cur && !memcmp(htab_val(cur), htab_val(e), csz))
			continue;
		memcpy(b->keys + b->n * ksz, htab_key(e), ksz);
		memcpy(b->vals + b->n * vsz, htab_val(e), vsz);
		b->e[b->n] = e;
		b->old[b->n] = cur ? htab_val(cur) : NULL;
		if (++b->n == RECON_BATCH) {
			ret = batch_flush(rc, b, h);
			if (ret < 0)
				goto out;
			failed += ret;
		}
	}
	ret = b->n ? batch_flush(rc, b, h) : 0;
	if (ret >= 0)
		ret += failed;
out:
	if (b) {
		free(b->keys);
		free(b->vals);
	}
	free(b);
	return ret;
}

/* Put desired entry e of type t unless the shadow has it: 0, 1 (failed)
 * or -ENOMEM. */
static int put_one(struct recon *rc, unsigned int t, const struct htab_entry *e,
		   const struct recon_hooks *h)
{
	const struct recon_type *ty = &rc->r->types[t];
	struct htab *sh = &rc->shadow.t[t];
	struct htab_entry *cur = htab_find(sh, htab_key(e));
	enum recon_op op = cur ? RECON_UPDATE : RECON_ADD;
	int ret;

	if (cur && !memcmp(htab_val(cur), htab_val(e), cmp_size(ty)))
		return 0;
	rc->msg[0] = '\0';
	ret = ty->put(rc, htab_key(e), htab_val(e), cur ? htab_val(cur) : NULL);
	report(h, rc, t, op, htab_key(e), htab_val(e), ret);
	if (ret < 0)
		return 1;
	shadow_changed(h, rc, t, htab_key(e), cur ? htab_val(cur) : NULL, htab_val(e));
	if (!htab_put(sh, htab_key(e), htab_val(e), NULL))
		return -ENOMEM;
	if (op == RECON_ADD)
		rc->st.add[t]++;
	else
		rc->st.upd[t]++;
	return 0;
}

static int put_pass(struct recon *rc, const struct recon_set *desired, unsigned int t,
		    const struct recon_hooks *h)
{
	const struct recon_type *ty = &rc->r->types[t];
	struct htab_iter it;
	struct htab_entry *e;
	int failed = 0, ret;

	if (ty->put_batch)
		return put_pass_batched(rc, desired, t, h);
	htab_iter_init(&it, &desired->t[t]);
	while ((e = htab_iter_next(&it))) {
		ret = put_one(rc, t, e, h);
		if (ret < 0)
			return ret;
		failed += ret;
	}
	return failed;
}

static bool is_held(const struct recon_set *desired, unsigned int t, const void *key)
{
	return desired->held[t].n && htab_find(&desired->held[t], key);
}

/* Whether a type's objects are deleted in this apply at all. */
static bool deletes(const struct recon *rc, unsigned int t)
{
	unsigned int f = rc->r->types[t].flags;

	return !(f & RECON_T_KEEP) && !(rc->teardown && (f & RECON_T_TEARDOWN_SKIP));
}

static size_t count_deletes(const struct recon *rc, const struct recon_set *desired,
			    const bool *was_empty)
{
	struct htab_iter it;
	struct htab_entry *e;
	size_t n = 0;

	for (unsigned int t = 0; t < rc->r->ntypes; t++) {
		if (was_empty[t] || !deletes(rc, t))
			continue;
		htab_iter_init(&it, &rc->shadow.t[t]);
		while ((e = htab_iter_next(&it)))
			n += !htab_find(&desired->t[t], htab_key(e)) &&
			     !is_held(desired, t, htab_key(e));
	}
	return n;
}

/* Delete shadow entry e of type t unless it is desired or held: 0 or 1
 * (failed). e is gone after a delete. */
static int del_one(struct recon *rc, const struct recon_set *desired, unsigned int t,
		   struct htab_entry *e, const struct recon_hooks *h)
{
	const struct recon_type *ty = &rc->r->types[t];
	int ret;

	if (htab_find(&desired->t[t], htab_key(e)))
		return 0;
	if (is_held(desired, t, htab_key(e))) {
		rc->st.held++;
		report(h, rc, t, RECON_HELD, htab_key(e), htab_val(e), 0);
		return 0;
	}
	rc->msg[0] = '\0';
	ret = ty->del(rc, htab_key(e), htab_val(e));
	if (recon_gone(ret))
		ret = 0;
	report(h, rc, t, RECON_DELETE, htab_key(e), htab_val(e), ret);
	if (ret < 0)
		return 1;
	shadow_changed(h, rc, t, htab_key(e), htab_val(e), NULL);
	htab_del(&rc->shadow.t[t], htab_key(e));
	rc->st.del[t]++;
	return 0;
}

static int del_pass(struct recon *rc, const struct recon_set *desired, unsigned int t,
		    const struct recon_hooks *h)
{
	struct htab_iter it;
	struct htab_entry *e;
	int failed = 0;

	htab_iter_init(&it, &rc->shadow.t[t]);
	while ((e = htab_iter_next(&it)))
		failed += del_one(rc, desired, t, e, h);
	return failed;
}

/* What is derived from the objects follows the shadow, also after
 * failures (a withdrawn slot of a put that failed comes back). */
static int flush(struct recon *rc)
{
	if (!rc->r->flush || rc->teardown)
		return 0;
	return (int)rc->r->flush(rc);
}

int recon_apply(struct recon *rc, const struct recon_set *desired,
		const struct recon_hooks *hooks)
{
	const struct reconciler *r = rc->r;
	bool was_empty[RECON_MAX_TYPES];
	size_t total = 0, ndel;
	int failed = 0, ret;
	unsigned int t;

	memset(&rc->st, 0, sizeof(rc->st));
	/* What was empty before the puts holds desired entries only after
	 * them: nothing to delete, no 2M lookups to find that out. */
	for (t = 0; t < r->ntypes; t++) {
		was_empty[t] = !rc->shadow.t[t].n;
		total += rc->shadow.t[t].n;
	}
	for (t = 0; t < r->ntypes; t++) {
		ret = put_pass(rc, desired, t, hooks);
		if (ret < 0)
			return ret;
		failed += ret;
	}
	if (hooks && hooks->allow_delete) {
		ndel = count_deletes(rc, desired, was_empty);
		if (ndel && !hooks->allow_delete(hooks->guard_arg, rc, ndel, total)) {
			rc->st.refused = (unsigned int)ndel;
			goto out;
		}
	}
	for (t = r->ntypes; t-- > 0;) {
		if (was_empty[t] || !deletes(rc, t))
			continue;
		ret = del_pass(rc, desired, t, hooks);
		if (ret < 0)
			return ret;
		failed += ret;
	}
out:
	failed += flush(rc);
	rc->st.failed = (unsigned int)failed;
	rc->clean = !failed && !rc->st.refused;
	return failed;
}

int recon_apply_keys(struct recon *rc, const struct recon_set *desired,
		     const struct recon_keys *keys, const struct recon_hooks *hooks)
{
	const struct reconciler *r = rc->r;
	size_t total = 0, ndel = 0;
	struct htab_iter it;
	struct htab_entry *k, *e;
	int failed = 0, ret;
	unsigned int t;

	memset(&rc->st, 0, sizeof(rc->st));
	for (t = 0; t < r->ntypes; t++)
		total += rc->shadow.t[t].n;
	for (t = 0; t < r->ntypes; t++) {
		htab_iter_init(&it, &keys->t[t]);
		while ((k = htab_iter_next(&it))) {
			if (!(e = htab_find(&desired->t[t], htab_key(k))))
				continue;
			ret = put_one(rc, t, e, hooks);
			if (ret < 0)
				return ret;
			failed += ret;
		}
	}
	if (hooks && hooks->allow_delete) {
		for (t = 0; t < r->ntypes; t++) {
			if (!deletes(rc, t))
				continue;
			htab_iter_init(&it, &keys->t[t]);
			while ((k = htab_iter_next(&it)))
				ndel += !htab_find(&desired->t[t], htab_key(k)) &&
					htab_find(&rc->shadow.t[t], htab_key(k)) &&
					!is_held(desired, t, htab_key(k));
		}
		if (ndel && !hooks->allow_delete(hooks->guard_arg, rc, ndel, total)) {
			rc->st.refused = (unsigned int)ndel;
			goto out;
		}
	}
	for (t = r->ntypes; t-- > 0;) {
		if (!deletes(rc, t))
			continue;
		htab_iter_init(&it, &keys->t[t]);
		while ((k = htab_iter_next(&it)))
			if ((e = htab_find(&rc->shadow.t[t], htab_key(k))))
				failed += del_one(rc, desired, t, e, hooks);
	}
out:
	failed += flush(rc);
	rc->st.failed = (unsigned int)failed;
	rc->clean = !failed && !rc->st.refused;
	return failed;
}

/* An incremental round that changed none of the kinds the reconciler
 * reads, and its last round applied all: nothing to do. */
static bool can_skip(const struct recon *rc, const struct recon_env *env)
{
	const struct model_log *l = env->changes;

	return l && !l->whole && rc->r->kinds && !(rc->r->kinds & l->kinds) && rc->clean &&
	       rc->observed && !rc->teardown;
}

static bool can_follow(const struct recon *rc, const struct recon_env *env)
{
	return env->changes && !env->changes->whole && rc->r->want_changes && rc->have_desired &&
	       rc->clean && rc->observed && !rc->teardown &&
	       !(rc->r->flags & RECON_OBSERVE_EACH);
}

/* 1: the round was done from the changes alone (*ret its result), 0: a
 * full round is needed. */
static int run_changes(struct recon *rc, const struct model *m, const struct recon_env *env,
		       const struct recon_hooks *hooks, int *ret)
{
	struct recon_keys dirty;
	int r;

	recon_keys_init(&dirty, rc->r);
	r = rc->r->want_changes(rc, m, env, &rc->desired, &dirty);
	if (r == 0)
		*ret = recon_apply_keys(rc, &rc->desired, &dirty, hooks);
	recon_keys_free(&dirty);
	if (r == 0) {
		rc->nincremental++;
		return 1;
	}
	/* Half updated, or not at all: built whole again. */
	drop_desired(rc);
	return 0;
}

int recon_run(struct recon *rc, const struct model *m, const struct recon_env *env,
	      const struct recon_hooks *hooks)
{
	struct recon_set desired;
	struct model view;
	int ret = 0;

	memset(&rc->st, 0, sizeof(rc->st));
	if (can_skip(rc, env)) {
		rc->nskipped++;
		return 0;
	}
	/* A reconciler that reads no lookup records walks the few others,
	 * not a million lookup records it would skip one by one (seven
	 * gateway reconcilers: 0.7 s of a 1M-record start). */
	if (rc->r->kinds && !(rc->r->kinds & 1ULL << TENET_KIND_LOOKUP)) {
		model_without_lookups(&view, m);
		m = &view;
	}
	if (can_follow(rc, env) && run_changes(rc, m, env, hooks, &ret))
		return ret;
	drop_desired(rc);
	rc->clean = false;      /* until this round's apply says so */
	recon_set_init(&desired, rc->r);
	/* The first round reads the kernel before want, so that want sees
	 * what an earlier agent left (what to hold of records that cannot be
	 * decoded is found there). */
	if (!rc->observed) {
		ret = recon_observe(rc, NULL);
		if (ret < 0) {
			recon_errf(rc, "cannot read what the kernel holds");
			goto out;
		}
	}
	/* A teardown wants nothing, and makes no prerequisites either. */
	if (!rc->teardown)
		ret = rc->r->want(rc, m, env, &desired);
	if (ret < 0) {
		rc->clean = false;
		recon_errf(rc, "cannot build the desired state");
		goto out;
	}
	if (rc->r->flags & RECON_OBSERVE_EACH) {
		ret = recon_observe(rc, &desired);
		if (ret < 0) {
			recon_errf(rc, "cannot read what the kernel holds");
			goto out;
		}
	}
	ret = recon_apply(rc, &desired, hooks);
	/* Kept for the next round's want_changes. */
	if (ret >= 0 && rc->r->want_changes && !rc->teardown) {
		rc->desired = desired;
		rc->have_desired = true;
		return ret;
	}
out:
	recon_set_free(&desired);
	return ret;
}

bool recon_allow_share(void *arg, const struct recon *rc, size_t ndel, size_t total)
{
	const struct recon_share *s = arg;

	return ndel < s->min || ndel * 100 <= total * s->percent;
}

/* ---- interface names ---- */

void name_set_init(struct name_set *n)
{
	htab_init(&n->names, 0, 1);
}

void name_set_free(struct name_set *n)
{
	htab_free(&n->names);
}

bool name_set_has(const struct name_set *n, const char *name)
{
	return htab_find(&n->names, name) != NULL;
}

int name_set_add(struct name_set *n, const char *name)
{
	char zero = 0;

	return htab_put(&n->names, name, &zero, NULL) ? 0 : -ENOMEM;
}

void recon_note(const struct recon_env *env, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!env->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	env->note(env->note_arg, key, msg);
}

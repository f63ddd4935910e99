// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recon/reconcile.h"

static const enum obj put_order[] = {
	OBJ_ADDR, OBJ_KROUTE, OBJ_CFG, OBJ_PA, OBJ_VSID, OBJ_PORT, OBJ_PORT_MAC,
	OBJ_MAC, OBJ_CA, OBJ_ROUTE, OBJ_ROUTE_LENS, OBJ_L2ONLY, OBJ_ATTACH,
};

static const enum obj del_order[] = {
	OBJ_ATTACH, OBJ_L2ONLY, OBJ_ROUTE_LENS, OBJ_ROUTE, OBJ_CA, OBJ_MAC, OBJ_PORT_MAC,
	OBJ_PORT, OBJ_VSID, OBJ_PA, OBJ_KROUTE, OBJ_ADDR, /* never OBJ_CFG: an array entry always exists */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

bool recon_gone(int err)
{
	return err == -ENOENT || err == -ENODEV || err == -ESRCH || err == -EADDRNOTAVAIL;
}

struct load_ctx {
	struct state *shadow;
	enum obj o;
	int err;
};

static int load_entry(const void *key, const void *val, void *arg)
{
	struct load_ctx *c = arg;

	if (!htab_put(&c->shadow->t[c->o], key, val, NULL)) {
		c->err = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

/* The PA map says which addresses an earlier agent configured; their
 * prefix length is unknown (0), so the first apply re-adds them, which is
 * harmless for an address that is there. */
static int infer_addrs(struct state *s)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &s->t[OBJ_PA]);
	while ((e = htab_iter_next(&it))) {
		struct addr_key k = { .ifindex = ((struct tenet_pa_val *)e->val)->ifindex };
		struct addr_val v = { 0 };

		memcpy(&k.addr, e->key, sizeof(k.addr));
		if (!htab_put(&s->t[OBJ_ADDR], &k, &v, NULL))
			return -ENOMEM;
	}
	return 0;
}

/* Every port in the port map had tenet's filter; marking it inherited
 * makes the first apply replace it with this agent's program. */
static int infer_attach(struct state *s)
{
	struct attach_val v = { .gen = ATTACH_INHERITED };
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &s->t[OBJ_PORT]);
	while ((e = htab_iter_next(&it)))
		if (!htab_put(&s->t[OBJ_ATTACH], e->key, &v, NULL))
			return -ENOMEM;
	return 0;
}

int recon_shadow_load(struct state *shadow, const struct knl_ops *ops)
{
	struct load_ctx c = { .shadow = shadow };
	int ret;

	for (c.o = 0; c.o < OBJ_NMAPS; c.o++) {
		ret = ops->map_iterate(ops->ctx, c.o, load_entry, &c);
		if (ret < 0)
			return c.err ? c.err : ret;
	}
	c.o = OBJ_KROUTE;
	ret = ops->route_iterate(ops->ctx, load_entry, &c);
	if (ret < 0)
		return c.err ? c.err : ret;
	ret = infer_addrs(shadow);
	if (ret < 0)
		return ret;
	return infer_attach(shadow);
}

static int do_put(const struct knl_ops *ops, enum obj o, const void *key, const void *val,
		  const void *old)
{
	const struct addr_val *oa = old;
	int ret;

	if (obj_is_map(o))
		return ops->map_update(ops->ctx, o, key, val);
	switch (o) {
	case OBJ_ADDR:
		/* A new prefix length is a new address to the kernel: drop
		 * the old one first (unless its length is unknown). */
		if (oa && oa->plen) {
			ret = ops->addr_del(ops->ctx, key);
			if (ret < 0 && !recon_gone(ret))
				return ret;
		}
		ret = ops->addr_add(ops->ctx, key, val);
		return ret == -EEXIST ? 0 : ret;
	case OBJ_KROUTE:
		/* Provider routes rarely change: remove the old one, add the new. */
		if (old) {
			ret = ops->route_del(ops->ctx, key, old);
			if (ret < 0 && !recon_gone(ret))
				return ret;
		}
		ret = ops->route_add(ops->ctx, key, val);
		return ret == -EEXIST ? 0 : ret;
	case OBJ_ATTACH:
		return ops->tc_attach(ops->ctx, *(const __u32 *)key);
	default:
		return -EINVAL;
	}
}

static int do_del(const struct knl_ops *ops, enum obj o, const void *key, const void *old)
{
	int ret;

	if (obj_is_map(o))
		ret = ops->map_delete(ops->ctx, o, key);
	else if (o == OBJ_ADDR)
		ret = ops->addr_del(ops->ctx, key);
	else if (o == OBJ_KROUTE)
		ret = ops->route_del(ops->ctx, key, old);
	else if (o == OBJ_ATTACH)
		ret = ops->tc_detach(ops->ctx, *(const __u32 *)key);
	else
		ret = -EINVAL;
	return recon_gone(ret) ? 0 : ret;
}

static void report(const struct recon_hooks *h, enum obj o, enum recon_op op, const void *key,
		   const void *val, int err)
{
	if (h && h->applied)
		h->applied(h->arg, o, op, key, val, err);
}

/* Map writes are batched (one syscall per RECON_BATCH entries: a first
 * sync of 1M lookup records is 2M entries). The entries of a batch are
 * reported and enter the shadow once the batch is written; if the batch
 * call fails, they are written one by one, so each gets its own verdict. */
#define RECON_BATCH 4096

struct batch {
	enum obj o;
	unsigned int n;
	unsigned char *keys, *vals;
	struct htab_entry *e[RECON_BATCH];
	bool add[RECON_BATCH];
};

static int batch_flush(struct batch *b, struct state *shadow, const struct knl_ops *ops,
		       const struct recon_hooks *h, struct recon_stats *st)
{
	size_t ksz = obj_key_size(b->o), vsz = obj_val_size(b->o);
	bool whole = !ops->map_update_batch(ops->ctx, b->o, b->keys, b->vals, b->n);
	int failed = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		struct htab_entry *e = b->e[i];
		int ret = whole ? 0 : ops->map_update(ops->ctx, b->o, b->keys + i * ksz,
						      b->vals + i * vsz);

		report(h, b->o, b->add[i] ? RECON_ADD : RECON_UPDATE, e->key, e->val, ret);
		if (ret < 0) {
			failed++;
			continue;
		}
		if (!(b->add[i] ? htab_add(&shadow->t[b->o], e->key, e->val, vsz) :
				  htab_put(&shadow->t[b->o], e->key, e->val, NULL)))
			return -ENOMEM;
		if (b->add[i])
			st->add[b->o]++;
		else
			st->upd[b->o]++;
	}
	b->n = 0;
	return failed;
}

static int put_pass_batched(struct state *shadow, const struct state *desired, enum obj o,
			    const struct knl_ops *ops, const struct recon_hooks *h,
			    struct recon_stats *st)
{
	size_t ksz = obj_key_size(o), vsz = obj_val_size(o);
	struct batch *b = calloc(1, sizeof(*b));
	struct htab_iter it;
	struct htab_entry *e;
	int failed = 0, ret = -ENOMEM;
	bool empty;

	if (!b)
		goto out;
	b->o = o;
	b->keys = malloc(RECON_BATCH * ksz);
	b->vals = malloc(RECON_BATCH * vsz);
	if (!b->keys || !b->vals)
		goto out;
	/* The shadow ends up holding what is desired. Empty (the first sync),
	 * it has nothing to look up: the desired keys are distinct, so what
	 * this pass adds is never asked for again in it. */
	empty = !shadow->t[o].n;
	htab_reserve(&shadow->t[o], desired->t[o].n);
	htab_iter_init(&it, &desired->t[o]);
	while ((e = htab_iter_next(&it))) {
		struct htab_entry *cur = empty ? NULL : htab_find(&shadow->t[o], e->key);

		if (cur && !memcmp(cur->val, e->val, vsz))
			continue;
		memcpy(b->keys + b->n * ksz, e->key, ksz);
		memcpy(b->vals + b->n * vsz, e->val, vsz);
		b->e[b->n] = e;
		b->add[b->n] = !cur;
		if (++b->n == RECON_BATCH) {
			ret = batch_flush(b, shadow, ops, h, st);
			if (ret < 0)
				goto out;
			failed += ret;
		}
	}
	ret = b->n ? batch_flush(b, shadow, ops, h, st) : 0;
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

static int put_pass(struct state *shadow, const struct state *desired, enum obj o,
		    const struct knl_ops *ops, const struct recon_hooks *h,
		    struct recon_stats *st)
{
	size_t vsz = obj_val_size(o);
	struct htab_iter it;
	struct htab_entry *e;
	int failed = 0;

	if (obj_is_map(o) && ops->map_update_batch)
		return put_pass_batched(shadow, desired, o, ops, h, st);
	htab_iter_init(&it, &desired->t[o]);
	while ((e = htab_iter_next(&it))) {
		struct htab_entry *cur = htab_find(&shadow->t[o], e->key);
		enum recon_op op = cur ? RECON_UPDATE : RECON_ADD;
		int ret;

		if (cur && !memcmp(cur->val, e->val, vsz))
			continue;
		ret = do_put(ops, o, e->key, e->val, cur ? cur->val : NULL);
		report(h, o, op, e->key, e->val, ret);
		if (ret < 0) {
			failed++;
			continue;
		}
		if (!htab_put(&shadow->t[o], e->key, e->val, NULL))
			return -ENOMEM;
		if (op == RECON_ADD)
			st->add[o]++;
		else
			st->upd[o]++;
	}
	return failed;
}

static int del_pass(struct state *shadow, const struct state *desired, enum obj o,
		    const struct knl_ops *ops, const struct recon_hooks *h,
		    struct recon_stats *st)
{
	struct htab_iter it;
	struct htab_entry *e;
	int failed = 0;

	htab_iter_init(&it, &shadow->t[o]);
	while ((e = htab_iter_next(&it))) {
		int ret;

		if (htab_find(&desired->t[o], e->key))
			continue;
		ret = do_del(ops, o, e->key, e->val);
		report(h, o, RECON_DELETE, e->key, e->val, ret);
		if (ret < 0) {
			failed++;
			continue;
		}
		htab_del(&shadow->t[o], e->key);
		st->del[o]++;
	}
	return failed;
}

int recon_apply(struct state *shadow, const struct state *desired, const struct knl_ops *ops,
		const struct recon_hooks *hooks, struct recon_stats *st)
{
	struct recon_stats local;
	bool was_empty[OBJ_MAX];
	int failed = 0, ret;
	size_t i;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	/* What was empty before the puts holds desired entries only after
	 * them: nothing to delete, no 2M lookups to find that out. */
	for (i = 0; i < OBJ_MAX; i++)
		was_empty[i] = !shadow->t[i].n;
	for (i = 0; i < ARRAY_SIZE(put_order); i++) {
		ret = put_pass(shadow, desired, put_order[i], ops, hooks, st);
		if (ret < 0)
			return ret;
		failed += ret;
	}
	for (i = 0; i < ARRAY_SIZE(del_order); i++) {
		if (was_empty[del_order[i]])
			continue;
		ret = del_pass(shadow, desired, del_order[i], ops, hooks, st);
		if (ret < 0)
			return ret;
		failed += ret;
	}
	st->failed = (unsigned int)failed;
	return failed;
}

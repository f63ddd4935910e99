// SPDX-License-Identifier: GPL-2.0
/* The filter reconciler (see filter.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gw/filter.h"

/* ---- this host's filters from the model ---- */

/* Arrays grow one element at a time: a gateway has a few thousand
 * filters at most. */
static int grow(void **arr, size_t n, size_t size)
{
	void *p = realloc(*arr, (n + 1) * size);

	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

/* The device of an interface, or "" if the host has none of that name. */
static void iface_dev(const struct model *m, const char *host, int on, const char *name,
		      char dev[IF_NAMESIZE])
{
	struct htab_iter it;
	struct htab_entry *e;

	dev[0] = '\0';
	htab_iter_init(&it, &m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (on == TENET_FILTER_S2S && r->kind == TENET_KIND_S2S &&
		    !strcmp(r->s2s.host, host) && !strcmp(r->s2s.name, name)) {
			tenet_s2s_devname(r->s2s.id, dev, IF_NAMESIZE);
			return;
		}
		if (on == TENET_FILTER_INTERNAL && r->kind == TENET_KIND_COMPARTMENT &&
		    !strcmp(r->compartment.host, host) && !strcmp(r->compartment.name, name)) {
			tenet_gw_devname(TENET_GW_INT_PFX, r->compartment.id, dev, IF_NAMESIZE);
			return;
		}
	}
}

static struct filter_chain *chain_of(struct filter_set *s, const char *dev, int dir)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].dir == dir && !strcmp(s->c[i].dev, dev))
			return &s->c[i];
	if (grow((void **)&s->c, s->n, sizeof(*s->c)) < 0)
		return NULL;
	memset(&s->c[s->n], 0, sizeof(s->c[s->n]));
	snprintf(s->c[s->n].dev, IF_NAMESIZE, "%s", dev);
	s->c[s->n].dir = dir;
	return &s->c[s->n++];
}

static int by_dev_dir(const void *pa, const void *pb)
{
	const struct filter_chain *a = pa, *b = pb;
	int d = strcmp(a->dev, b->dev);

	return d ? d : a->dir - b->dir;
}

static int by_id(const void *pa, const void *pb)
{
	const struct tenet_filter *a = *(const struct tenet_filter *const *)pa;
	const struct tenet_filter *b = *(const struct tenet_filter *const *)pb;

	return a->id < b->id ? -1 : a->id > b->id;
}

/* The interface lookups walk the model once per filter and mode: a
 * gateway has thousands of them at most, and only its own records are
 * looked at closely. */
int filter_collect(struct filter_set *s, const struct model *m, const struct recon_env *env)
{
	struct htab_iter it;
	struct htab_entry *e;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	htab_iter_init(&it, &m->recs);
	while (!ret && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		struct filter_chain *c;
		char dev[IF_NAMESIZE];

		if (r->kind == TENET_KIND_FILTER && !strcmp(r->filter.host, env->host)) {
			iface_dev(m, env->host, r->filter.on, r->filter.iface, dev);
			if (!dev[0]) {
				recon_note(env, htab_key(e),
					   "%s %s: no such interface; filter not programmed",
					   tenet_filter_on_name(r->filter.on), r->filter.iface);
				continue;
			}
			c = chain_of(s, dev, r->filter.dir);
			if (!c || grow((void **)&c->f, c->nf, sizeof(*c->f)) < 0)
				ret = -ENOMEM;
			else
				c->f[c->nf++] = &r->filter;
		} else if (r->kind == TENET_KIND_FILTERMODE && !strcmp(r->filtermode.host, env->host)) {
			iface_dev(m, env->host, r->filtermode.on, r->filtermode.iface, dev);
			if (!dev[0]) {
				recon_note(env, htab_key(e),
					   "%s %s: no such interface; mode not programmed",
					   tenet_filter_on_name(r->filtermode.on),
					   r->filtermode.iface);
				continue;
			}
			c = chain_of(s, dev, r->filtermode.dir);
			if (!c)
				ret = -ENOMEM;
			else
				c->mode = r->filtermode.mode;
		}
	}
	if (ret) {
		filter_set_free(s);
		return ret;
	}
	/* The same model gives the same text, whatever order it is walked in. */
	if (s->n)
		qsort(s->c, s->n, sizeof(*s->c), by_dev_dir);
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i].nf)
			qsort(s->c[i].f, s->c[i].nf, sizeof(*s->c[i].f), by_id);
	return 0;
}

void filter_set_free(struct filter_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->c[i].f);
	free(s->c);
	memset(s, 0, sizeof(*s));
}

/* ---- the reconciler ---- */

static const struct filter_ops *fops(const struct recon *rc)
{
	return rc->ops;
}

static void describe_table(const void *key, const void *val, char *buf, size_t len)
{
	const struct filter_table_val *v = val;

	if (v && v->nchains)
		snprintf(buf, len, "nftables: table " TENET_FILTER_NFT_TABLE " (%u chains)",
			 v->nchains);
	else
		snprintf(buf, len, "nftables: table " TENET_FILTER_NFT_TABLE);
}

static int table_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct filter_ops *ops = fops(rc);
	char err[200] = "";
	int ret = ops->apply(ops->ctx, ((const struct filter_table_val *)val)->text, err,
			     sizeof(err));

	if (ret < 0)
		recon_errf(rc, "table " TENET_FILTER_NFT_TABLE " not applied: %s", err);
	return ret;
}

static int table_del(struct recon *rc, const void *key, const void *old)
{
	const struct filter_ops *ops = fops(rc);
	char err[200] = "";
	int ret = ops->apply(ops->ctx, NULL, err, sizeof(err));

	if (ret < 0)
		recon_errf(rc, "table " TENET_FILTER_NFT_TABLE " not removed: %s", err);
	return ret;
}

static const char *const applied[] = { "applied", "applied", "removed" };

static const struct recon_type filter_types[FILTER_NOBJ] = {
	[FILTER_TABLE_OBJ] = { .name = "nft-filter", .key_size = sizeof(struct filter_table_key),
			       .val_size = sizeof(struct filter_table_val),
			       .cmp_size = offsetof(struct filter_table_val, nchains),
			       .verbs = applied, .describe = describe_table, .put = table_put,
			       .del = table_del },
};

/* The text of this round's table lives until the next round's. */
struct filter_state {
	struct filter_text text;
};

static int filter_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		       struct recon_set *out)
{
	struct filter_state *st = rc->priv;
	struct filter_table_key k = { 0 };
	struct filter_table_val v = { 0 };
	crypto_generichash_state h;
	struct filter_set s;
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if (!st) {
		st = rc->priv = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
	}
	filter_text_free(&st->text);
	ret = filter_collect(&s, m, env);
	if (ret < 0 || !s.n)
		goto out;
	ret = filter_render(s.c, s.n, &st->text);
	if (ret < 0)
		goto out;
	crypto_generichash_init(&h, NULL, 0, sizeof(v.digest));
	crypto_generichash_update(&h, (const unsigned char *)st->text.head, strlen(st->text.head));
	crypto_generichash_update(&h, (const unsigned char *)st->text.body, strlen(st->text.body));
	crypto_generichash_final(&h, v.digest, sizeof(v.digest));
	v.nchains = (uint32_t)s.n;
	v.text = &st->text;
	ret = htab_put(&out->t[FILTER_TABLE_OBJ], &k, &v, NULL) ? 0 : -ENOMEM;
out:
	filter_set_free(&s);
	return ret;
}

/* A table an earlier agent left is adopted with an unknown digest: the
 * first round rewrites it in place (its counters stay), or removes it if
 * no filter is left. */
static int filter_observe(struct recon *rc, const struct recon_set *desired,
			  struct recon_set *out)
{
	const struct filter_ops *ops = fops(rc);
	struct filter_table_key k = { 0 };
	struct filter_table_val v = { 0 };
	int ret = ops->present(ops->ctx);

	if (ret <= 0)
		return ret;
	return htab_put(&out->t[FILTER_TABLE_OBJ], &k, &v, NULL) ? 0 : -ENOMEM;
}

static int filter_open(struct recon *rc, const struct recon_open *o)
{
	struct filter_ops *ops;
	int ret = filter_kernel_open(&ops);

	if (ret < 0)
		return ret;
	rc->ops = ops;
	return 0;
}

static void filter_close(struct recon *rc)
{
	struct filter_state *st = rc->priv;

	if (st)
		filter_text_free(&st->text);
	free(st);
	rc->priv = NULL;
	if (rc->opened) {
		filter_kernel_close(rc->ops);
		rc->ops = NULL;
	}
}

const struct reconciler gw_filter_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "filter",
	.types = filter_types,
	.ntypes = FILTER_NOBJ,
	.want = filter_want,
	.observe = filter_observe,
	.open = filter_open,
	.close = filter_close,
};

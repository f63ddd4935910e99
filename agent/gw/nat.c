// SPDX-License-Identifier: GPL-2.0
/* The nat reconciler (see nat.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gw/nat.h"

static const struct nat_ops *nops(const struct recon *rc)
{
	return rc->ops;
}

static void describe_table(const void *key, const void *val, char *buf, size_t len)
{
	const struct nat_table_val *v = val;

	if (v && v->ncompartments)
		snprintf(buf, len, "nftables: table ip tenet (%u compartments)", v->ncompartments);
	else
		snprintf(buf, len, "nftables: table ip tenet");
}

static int table_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct nat_ops *ops = nops(rc);
	char err[200] = "";
	int ret = ops->apply(ops->ctx, ((const struct nat_table_val *)val)->text, err,
			     sizeof(err));

	if (ret < 0)
		recon_errf(rc, "table ip tenet not applied: %s", err);
	return ret;
}

static int table_del(struct recon *rc, const void *key, const void *old)
{
	const struct nat_ops *ops = nops(rc);
	char err[200] = "";
	int ret = ops->apply(ops->ctx, NULL, err, sizeof(err));

	if (ret < 0)
		recon_errf(rc, "table ip tenet not removed: %s", err);
	return ret;
}

static const char *const applied[] = { "applied", "applied", "removed" };

static const struct recon_type nat_types[NAT_NOBJ] = {
	[NAT_TABLE] = { .name = "nft-table", .key_size = sizeof(struct nat_table_key),
			.val_size = sizeof(struct nat_table_val),
			.cmp_size = offsetof(struct nat_table_val, ncompartments),
			.verbs = applied, .describe = describe_table, .put = table_put,
			.del = table_del },
};

/* The text of this round's table lives until the next round's. */
struct nat_state {
	char *text;
};

static int nat_addr_dump(void *ctx, gw_addr_cb cb, void *arg)
{
	const struct nat_ops *ops = ctx;

	return ops->addr_dump(ops->ctx, cb, arg);
}

/* A lost record (model_lost) of this host's NAT, mappings or
 * compartments: which rules it made, its key does not say, and the table
 * is one object. So the table is kept exactly as the kernel has it (not
 * rewritten, not removed) until the record is repaired or deleted
 * (docs/agent.md, "Failure behaviour"). */
static bool frozen(const struct recon *rc, const struct model *m, const struct recon_env *env)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, (struct htab *)&m->bad);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = htab_val(e);
		const char *host = r->kind == TENET_KIND_NAT ? r->nat.host :
				   r->kind == TENET_KIND_NATMAP ? r->natmap.host :
				   r->kind == TENET_KIND_COMPARTMENT ? r->compartment.host : NULL;

		if (host && !strcmp(host, env->host) && model_lost(m, e))
			return true;
	}
	return false;
}

static int keep_table(const struct recon *rc, struct recon_set *out)
{
	struct nat_table_key k = { 0 };
	const struct htab_entry *cur = htab_find(&rc->shadow.t[NAT_TABLE], &k);

	if (!cur)
		return 0;       /* nothing to keep: the rest is applied */
	return htab_put(&out->t[NAT_TABLE], &k, htab_val(cur), NULL) ? 0 : -ENOMEM;
}

static int nat_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		    struct recon_set *out)
{
	struct nat_state *st = rc->priv;
	struct nat_table_key k = { 0 };
	struct nat_table_val v = { 0 };
	struct gw_tenants g;
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if (!st) {
		st = rc->priv = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
	}
	free(st->text);
	st->text = NULL;
	ret = gw_tenants_collect(&g, m, env, nat_addr_dump, (void *)nops(rc));
	if (ret < 0)
		goto out;
	if (!g.n)
		goto out;
	st->text = gw_nft_ruleset(g.t, g.n);
	ret = -ENOMEM;
	if (!st->text)
		goto out;
	crypto_generichash(v.digest, sizeof(v.digest), (const unsigned char *)st->text,
			   strlen(st->text), NULL, 0);
	v.ncompartments = (uint32_t)g.n;
	v.text = st->text;
	ret = htab_put(&out->t[NAT_TABLE], &k, &v, NULL) ? 0 : -ENOMEM;
out:
	gw_tenants_free(&g);
	if (!ret && m->bad.n && frozen(rc, m, env))
		ret = keep_table(rc, out);
	return ret;
}

/* A table an earlier agent left is adopted with an unknown digest: the
 * first round replaces it, or removes it if no compartment is left. */
static int nat_observe(struct recon *rc, const struct recon_set *desired,
		       struct recon_set *out)
{
	const struct nat_ops *ops = nops(rc);
	struct nat_table_key k = { 0 };
	struct nat_table_val v = { 0 };
	int ret = ops->present(ops->ctx);

	if (ret <= 0)
		return ret;
	return htab_put(&out->t[NAT_TABLE], &k, &v, NULL) ? 0 : -ENOMEM;
}

static int nat_open(struct recon *rc, const struct recon_open *o)
{
	struct nat_ops *ops;
	int ret = nat_kernel_open(&ops);

	if (ret < 0)
		return ret;
	rc->ops = ops;
	return 0;
}

static void nat_close(struct recon *rc)
{
	struct nat_state *st = rc->priv;

	if (st)
		free(st->text);
	free(st);
	rc->priv = NULL;
	if (rc->opened) {
		nat_kernel_close(rc->ops);
		rc->ops = NULL;
	}
}

const struct reconciler gw_nat_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "nat",
	.types = nat_types,
	.ntypes = NAT_NOBJ,
	.want = nat_want,
	.observe = nat_observe,
	.open = nat_open,
	.close = nat_close,
};

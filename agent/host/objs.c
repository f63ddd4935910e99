// SPDX-License-Identifier: GPL-2.0
/* The host datapath reconciler (see objs.h): its object types, how each
 * is put and deleted through the knl_ops table, what an earlier agent
 * left (observe) and what the store wants (want: desired.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "util/parse.h"
#include "host/desired.h"
#include "host/kernel.h"
#include "host/objs.h"
#include "host/ops.h"

static const struct {
	const char *name;
	size_t key_size, val_size;
} objs[OBJ_MAX] = {
	[OBJ_ADDR] = { "address", sizeof(struct addr_key), sizeof(struct addr_val) },
	[OBJ_KROUTE] = { "provider-route", sizeof(struct kroute_key), sizeof(struct kroute_val) },
	[OBJ_CFG] = { "cfg", sizeof(__u32), sizeof(struct tenet_cfg) },
	[OBJ_PA] = { "pa", sizeof(__be32), sizeof(struct tenet_pa_val) },
	[OBJ_VSID] = { "vsid", sizeof(__u32), sizeof(struct tenet_vsid_val) },
	[OBJ_PORT] = { "port", sizeof(__u32), sizeof(struct tenet_port_val) },
	[OBJ_PORT_MAC] = { "port-mac", sizeof(struct tenet_mac_key),
			   sizeof(struct tenet_port_mac_val) },
	[OBJ_MAC] = { "mac", sizeof(struct tenet_vmac_key), sizeof(struct tenet_vmac_val) },
	[OBJ_CA] = { "ca", sizeof(struct tenet_ca_key), sizeof(struct tenet_ca_val) },
	[OBJ_ROUTE] = { "route", sizeof(struct tenet_route_key), sizeof(struct tenet_route_val) },
	[OBJ_ROUTE_LENS] = { "route-lens", sizeof(__u32), sizeof(struct tenet_route_lens) },
	[OBJ_L2ONLY] = { "l2only", sizeof(struct tenet_l2only_key),
			 sizeof(struct tenet_l2only_val) },
	[OBJ_ATTACH] = { "tc-attach", sizeof(__u32), sizeof(struct attach_val) },
};

size_t obj_key_size(enum obj o)
{
	return objs[o].key_size;
}

size_t obj_val_size(enum obj o)
{
	return objs[o].val_size;
}

const char *obj_name(enum obj o)
{
	return o < OBJ_MAX ? objs[o].name : "?";
}

/* A device by its name (logs name ports, not ifindexes); its ifindex
 * when it is gone. */
static const char *dev_name(__u32 ifindex, char buf[IF_NAMESIZE + 16])
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE + 16, "ifindex %u", ifindex);
	return buf;
}

/* Where a lookup entry points: a local port or a remote PA. */
static void fmt_where(char *buf, size_t len, __u32 ifindex, __be32 pa)
{
	char a[TENET_IPV4_STRLEN], n[IF_NAMESIZE + 16];

	if (ifindex)
		snprintf(buf, len, "port %s", dev_name(ifindex, n));
	else
		snprintf(buf, len, "pa %s", tenet_fmt_ipv4(pa, a));
}

static void describe_key(enum obj o, const void *key, char *buf, size_t len)
{
	char a[TENET_MAC_STRLEN], b[TENET_IPV4_STRLEN], name[IF_NAMESIZE];
	const struct tenet_vmac_key *mk = key;
	const struct tenet_ca_key *ck = key;
	const struct tenet_route_key *rk = key;
	const struct kroute_key *kk = key;
	const struct addr_key *ak = key;
	__u32 u32;
	__be32 be;

	switch (o) {
	case OBJ_PA:
		memcpy(&be, key, sizeof(be));
		snprintf(buf, len, "pa %s", tenet_fmt_ipv4(be, b));
		break;
	case OBJ_CFG:
		snprintf(buf, len, "datapath config");
		break;
	case OBJ_VSID:
	case OBJ_ROUTE_LENS:
		memcpy(&u32, key, sizeof(u32));
		snprintf(buf, len, "%s %u", obj_name(o), u32);
		break;
	case OBJ_PORT:
		memcpy(&u32, key, sizeof(u32));
		if (if_indextoname(u32, name))
			snprintf(buf, len, "port %s (ifindex %u)", name, u32);
		else
			snprintf(buf, len, "port ifindex %u (gone)", u32);
		break;
	case OBJ_ATTACH:
		memcpy(&u32, key, sizeof(u32));
		if (!if_indextoname(u32, name))
			strcpy(name, "(gone)");
		snprintf(buf, len, "tc program on port %s (ifindex %u)", name, u32);
		break;
	case OBJ_PORT_MAC:
		snprintf(buf, len, "port-mac %s", tenet_fmt_mac(((const struct tenet_mac_key *)key)->mac, a));
		break;
	case OBJ_MAC:
		snprintf(buf, len, "mac %u %s", mk->vsid, tenet_fmt_mac(mk->mac, a));
		break;
	case OBJ_CA:
		snprintf(buf, len, "ca rdomain %u %s", ck->rdomain, tenet_fmt_ipv4(ck->ip, b));
		break;
	case OBJ_ROUTE:
		snprintf(buf, len, "route rdomain %u %s/%u", rk->rdomain,
			 tenet_fmt_ipv4(rk->ip, b), rk->plen);
		break;
	case OBJ_L2ONLY:
		snprintf(buf, len, "l2only %u slot %u", ((const struct tenet_l2only_key *)key)->vsid,
			 ((const struct tenet_l2only_key *)key)->slot);
		break;
	case OBJ_ADDR:
		snprintf(buf, len, "pa address %s", tenet_fmt_ipv4(ak->addr, b));
		break;
	case OBJ_KROUTE:
		snprintf(buf, len, "provider route %s/%u", tenet_fmt_ipv4(kk->dst, b), kk->plen);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void describe_val(enum obj o, const void *val, char *buf, size_t len)
{
	char a[TENET_MAC_STRLEN], b[TENET_IPV4_STRLEN], w[48];
	const struct tenet_vsid_val *vv = val;
	const struct tenet_port_val *pv = val;
	const struct tenet_vmac_val *mv = val;
	const struct tenet_ca_val *cv = val;
	const struct tenet_route_val *rv = val;
	const struct tenet_pa_val *pa = val;
	const struct kroute_val *kv = val;
	const struct tenet_cfg *cfg = val;
	char n[IF_NAMESIZE + 16];
	__u32 u32;

	switch (o) {
	case OBJ_CFG:
		snprintf(buf, len, " (%s, flowid %s)",
			 cfg->flags & TENET_CFG_ENABLED ? "enabled" : "disabled",
			 cfg->flags & TENET_CFG_NO_FLOWID ? "off: GRE key = VSID << 8" : "on");
		break;
	case OBJ_PA:
		snprintf(buf, len, " -> dev %s vlan %u", dev_name(pa->ifindex, n), pa->vlan);
		break;
	case OBJ_VSID:
		snprintf(buf, len, " -> rdomain %u %s/%u", vv->rdomain,
			 tenet_fmt_ipv4(vv->prefix, b), vv->plen);
		break;
	case OBJ_PORT:
		snprintf(buf, len, " -> vsid %u mac %s", pv->vsid, tenet_fmt_mac(pv->mac, a));
		break;
	case OBJ_PORT_MAC:
		memcpy(&u32, val, sizeof(u32)); /* the ifindex comes first */
		snprintf(buf, len, " -> port %s", dev_name(u32, n));
		break;
	case OBJ_MAC:
		fmt_where(w, sizeof(w), mv->ifindex, mv->pa);
		snprintf(buf, len, " -> %s", w);
		break;
	case OBJ_CA:
		fmt_where(w, sizeof(w), cv->ifindex, cv->pa);
		snprintf(buf, len, " -> vsid %u mac %s %s", cv->vsid, tenet_fmt_mac(cv->mac, a), w);
		break;
	case OBJ_ROUTE:
		snprintf(buf, len, " -> nexthop %s vsid %u metric %u",
			 tenet_fmt_ipv4(rv->nexthop, b), rv->vsid, rv->metric);
		break;
	case OBJ_L2ONLY:
		fmt_where(w, sizeof(w), ((const struct tenet_l2only_val *)val)->ifindex, 0);
		snprintf(buf, len, " -> mac %s pa %s%s%s",
			 tenet_fmt_mac(((const struct tenet_l2only_val *)val)->mac, a),
			 tenet_fmt_ipv4(((const struct tenet_l2only_val *)val)->pa, b),
			 ((const struct tenet_l2only_val *)val)->ifindex ? " " : "",
			 ((const struct tenet_l2only_val *)val)->ifindex ? w : "");
		break;
	case OBJ_ROUTE_LENS:
		snprintf(buf, len, " -> lengths 0x%llx",
			 (unsigned long long)((const struct tenet_route_lens *)val)->bits);
		break;
	case OBJ_ADDR:
		snprintf(buf, len, "/%u", ((const struct addr_val *)val)->plen);
		break;
	case OBJ_KROUTE:
		if (kv->via)
			snprintf(buf, len, " via %s dev %s", tenet_fmt_ipv4(kv->via, b),
				 dev_name(kv->ifindex, n));
		else
			snprintf(buf, len, " dev %s", dev_name(kv->ifindex, n));
		break;
	default:
		buf[0] = '\0';
	}
}

void obj_describe(enum obj o, const void *key, const void *val, char *buf, size_t len)
{
	size_t n;

	describe_key(o, key, buf, len);
	n = strlen(buf);
	if (val && n < len)
		describe_val(o, val, buf + n, len - n);
	n = strlen(buf);
	if (o == OBJ_ADDR && n < len) {
		char dev[IF_NAMESIZE + 16];

		snprintf(buf + n, len - n, " on %s",
			 dev_name(((const struct addr_key *)key)->ifindex, dev));
	}
}

uint32_t obj_vsid(enum obj o, const void *key, const void *val, uint32_t *ifindex)
{
	*ifindex = 0;
	switch (o) {
	case OBJ_VSID:
		return *(const __u32 *)key;
	case OBJ_PORT:
	case OBJ_ATTACH:
		*ifindex = *(const __u32 *)key;
		return val && o == OBJ_PORT ? ((const struct tenet_port_val *)val)->vsid : 0;
	case OBJ_MAC:
		if (val)
			*ifindex = ((const struct tenet_vmac_val *)val)->ifindex;
		return ((const struct tenet_vmac_key *)key)->vsid;
	case OBJ_CA:
		if (!val)
			return 0;
		*ifindex = ((const struct tenet_ca_val *)val)->ifindex;
		return ((const struct tenet_ca_val *)val)->vsid;
	case OBJ_L2ONLY:
		return ((const struct tenet_l2only_key *)key)->vsid;
	case OBJ_ROUTE:
		return val ? ((const struct tenet_route_val *)val)->vsid : 0;
	default:
		return 0;
	}
}

/* ---- put and delete through the ops ---- */

static const struct knl_ops *kops(const struct recon *rc)
{
	return rc->ops;
}

static int map_put(struct recon *rc, enum obj o, const void *key, const void *val)
{
	const struct knl_ops *ops = kops(rc);

	return ops->map_update(ops->ctx, o, key, val);
}

static int map_put_batch(struct recon *rc, enum obj o, const void *keys, const void *vals,
			 unsigned int n)
{
	const struct knl_ops *ops = kops(rc);

	if (!ops->map_update_batch)
		return -EOPNOTSUPP;
	return ops->map_update_batch(ops->ctx, o, keys, vals, n);
}

/* A VSID entry whose counter slot is new to it (no old entry, or an old
 * one with another slot): the slot may hold the counts of a VSID that
 * had it before, so it is zeroed before the entry points frames at it.
 * Not batched: only here is the old value known. */
static int put_vsid(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct tenet_vsid_val *v = val, *o = old;
	const struct knl_ops *ops = kops(rc);
	int ret;

	if (v->stats_slot && (!o || o->stats_slot != v->stats_slot) && ops->vstats_zero) {
		ret = ops->vstats_zero(ops->ctx, v->stats_slot);
		if (ret < 0)
			return ret;
	}
	return map_put(rc, OBJ_VSID, key, val);
}

static int map_del(struct recon *rc, enum obj o, const void *key)
{
	const struct knl_ops *ops = kops(rc);

	return ops->map_delete(ops->ctx, o, key);
}

static int addr_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct knl_ops *ops = kops(rc);
	const struct addr_val *oa = old;
	int ret;

	/* A new prefix length is a new address to the kernel: drop the old
	 * one first (unless its length is unknown). */
	if (oa && oa->plen) {
		ret = ops->addr_del(ops->ctx, key);
		if (ret < 0 && !recon_gone(ret))
			return ret;
	}
	ret = ops->addr_add(ops->ctx, key, val);
	return ret == -EEXIST ? 0 : ret;
}

static int addr_del(struct recon *rc, const void *key, const void *old)
{
	const struct knl_ops *ops = kops(rc);

	return ops->addr_del(ops->ctx, key);
}

static int kroute_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct knl_ops *ops = kops(rc);
	int ret;

	/* Provider routes rarely change: remove the old one, add the new. */
	if (old) {
		ret = ops->route_del(ops->ctx, key, old);
		if (ret < 0 && !recon_gone(ret))
			return ret;
	}
	ret = ops->route_add(ops->ctx, key, val);
	return ret == -EEXIST ? 0 : ret;
}

static int kroute_del(struct recon *rc, const void *key, const void *old)
{
	const struct knl_ops *ops = kops(rc);

	return ops->route_del(ops->ctx, key, old);
}

static int attach_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct knl_ops *ops = kops(rc);

	return ops->tc_attach(ops->ctx, *(const __u32 *)key);
}

static int attach_del(struct recon *rc, const void *key, const void *old)
{
	const struct knl_ops *ops = kops(rc);

	return ops->tc_detach(ops->ctx, *(const __u32 *)key);
}

/* Per-type callbacks: the engine's callbacks carry no type, so each type
 * gets its own small functions. */
#define DESCRIBE(o, fn)                                                             \
	static void fn(const void *key, const void *val, char *buf, size_t len)     \
	{                                                                           \
		obj_describe(o, key, val, buf, len);                                \
	}
#define MAP_CALLBACKS(o, sfx)                                                       \
	DESCRIBE(o, describe_##sfx)                                                 \
	static int put_##sfx(struct recon *rc, const void *k, const void *v,        \
			     const void *old)                                       \
	{                                                                           \
		return map_put(rc, o, k, v);                                        \
	}                                                                           \
	static int batch_##sfx(struct recon *rc, const void *k, const void *v,      \
			       unsigned int n)                                      \
	{                                                                           \
		return map_put_batch(rc, o, k, v, n);                               \
	}                                                                           \
	static int del_##sfx(struct recon *rc, const void *k, const void *old)      \
	{                                                                           \
		return map_del(rc, o, k);                                           \
	}

DESCRIBE(OBJ_ADDR, describe_addr)
DESCRIBE(OBJ_KROUTE, describe_kroute)
DESCRIBE(OBJ_ATTACH, describe_attach)
MAP_CALLBACKS(OBJ_CFG, cfg)
MAP_CALLBACKS(OBJ_PA, pa)
DESCRIBE(OBJ_VSID, describe_vsid)
static int del_vsid(struct recon *rc, const void *k, const void *old)
{
	return map_del(rc, OBJ_VSID, k);
}
MAP_CALLBACKS(OBJ_PORT, port)
MAP_CALLBACKS(OBJ_PORT_MAC, port_mac)
MAP_CALLBACKS(OBJ_MAC, mac)
MAP_CALLBACKS(OBJ_CA, ca)
MAP_CALLBACKS(OBJ_ROUTE, route)
MAP_CALLBACKS(OBJ_ROUTE_LENS, route_lens)
MAP_CALLBACKS(OBJ_L2ONLY, l2only)

static const char *const attach_verbs[] = { "attached", "replaced", "detached" };

#define TYPE(o, f, d, p, x)                                                          \
	[o] = { .name = objs[o].name, .key_size = objs[o].key_size,                    \
		.val_size = objs[o].val_size, .flags = (f), .describe = d, .put = p,    \
		.del = x }
/* Map entries are not deleted one by one by a teardown: unpinning the
 * maps drops them all. The config entry always exists (array map). */
#define MAP(o, sfx, f)                                                               \
	[o] = { .name = objs[o].name, .key_size = objs[o].key_size,                    \
		.val_size = objs[o].val_size, .flags = RECON_T_TEARDOWN_SKIP | (f),     \
		.describe = describe_##sfx, .put = put_##sfx, .del = del_##sfx,         \
		.put_batch = batch_##sfx }

static const struct recon_type host_types[OBJ_MAX] = {
	TYPE(OBJ_ADDR, 0, describe_addr, addr_put, addr_del),
	TYPE(OBJ_KROUTE, 0, describe_kroute, kroute_put, kroute_del),
	MAP(OBJ_CFG, cfg, RECON_T_KEEP),
	MAP(OBJ_PA, pa, 0),
	[OBJ_VSID] = { .name = objs[OBJ_VSID].name, .key_size = objs[OBJ_VSID].key_size,
		       .val_size = objs[OBJ_VSID].val_size, .flags = RECON_T_TEARDOWN_SKIP,
		       .describe = describe_vsid, .put = put_vsid, .del = del_vsid },
	MAP(OBJ_PORT, port, 0),
	MAP(OBJ_PORT_MAC, port_mac, RECON_T_BULK),
	MAP(OBJ_MAC, mac, RECON_T_BULK),
	MAP(OBJ_CA, ca, RECON_T_BULK),
	MAP(OBJ_ROUTE, route, RECON_T_BULK),
	MAP(OBJ_ROUTE_LENS, route_lens, 0),
	MAP(OBJ_L2ONLY, l2only, RECON_T_BULK),
	[OBJ_ATTACH] = { .name = "tc-attach", .key_size = sizeof(__u32),
			 .val_size = sizeof(struct attach_val), .verbs = attach_verbs,
			 .describe = describe_attach, .put = attach_put, .del = attach_del },
};

/* ---- observe: what an earlier agent left ---- */

struct load_ctx {
	struct recon_set *out;
	enum obj o;
	int err;
};

static int load_entry(const void *key, const void *val, void *arg)
{
	struct load_ctx *c = arg;

	if (!htab_put(&c->out->t[c->o], key, val, NULL)) {
		c->err = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

/* The PA map says which addresses an earlier agent configured; their
 * prefix length is unknown (0), so the first apply re-adds them, which is
 * harmless for an address that is there. */
static int infer_addrs(struct recon_set *s)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &s->t[OBJ_PA]);
	while ((e = htab_iter_next(&it))) {
		struct addr_key k = { .ifindex = ((struct tenet_pa_val *)htab_val(e))->ifindex };
		struct addr_val v = { 0 };

		memcpy(&k.addr, htab_key(e), sizeof(k.addr));
		if (!htab_put(&s->t[OBJ_ADDR], &k, &v, NULL))
			return -ENOMEM;
	}
	return 0;
}

/* Every port in the port map had tenet's filter; marking it inherited
 * makes the first apply replace it with this agent's program. */
static int infer_attach(struct recon_set *s)
{
	struct attach_val v = { .gen = ATTACH_INHERITED };
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &s->t[OBJ_PORT]);
	while ((e = htab_iter_next(&it)))
		if (!htab_put(&s->t[OBJ_ATTACH], htab_key(e), &v, NULL))
			return -ENOMEM;
	return 0;
}

/* Every map entry and tenet's provider routes; PA addresses and TC
 * attachments are inferred from the PA and port maps. A teardown reads
 * only the maps it infers from: the entries go with the pins. */
static int host_observe(struct recon *rc, const struct recon_set *desired,
			struct recon_set *out)
{
	const struct knl_ops *ops = kops(rc);
	struct load_ctx c = { .out = out };
	int ret;

	for (c.o = OBJ_CFG; c.o <= OBJ_L2ONLY; c.o++) {
		if (rc->teardown && c.o != OBJ_PA && c.o != OBJ_PORT)
			continue;
		ret = ops->map_iterate(ops->ctx, c.o, load_entry, &c);
		if (ret < 0)
			return c.err ? c.err : ret;
	}
	c.o = OBJ_KROUTE;
	ret = ops->route_iterate(ops->ctx, load_entry, &c);
	if (ret < 0)
		return c.err ? c.err : ret;
	ret = infer_addrs(out);
	if (ret < 0)
		return ret;
	return infer_attach(out);
}

/* ---- want: the desired state of this host (desired.c) ---- */

/* rc->cache: the index of the last whole build (desired_update). */
static struct desired_index *host_index(struct recon *rc)
{
	if (!rc->cache)
		rc->cache = calloc(1, sizeof(struct desired_index));
	return rc->cache;
}

static void host_cache_free(struct recon *rc)
{
	desired_index_free(rc->cache);
	free(rc->cache);
	rc->cache = NULL;
}

static int host_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		     struct recon_set *out)
{
	struct build_env benv = { .host = env->host, .ops = kops(rc), .no_flowid = env->no_flowid,
				  .strict_source = env->strict_source,
				  .note = env->note, .note_arg = env->note_arg,
				  .kernel = &rc->shadow, .no_prune = env->cautious,
				  .index = host_index(rc) };
	int ret;

	desired_prepare_links(m, &benv);
	ret = desired_build(m, &benv, out, env->names);
	if (ret < 0)
		return ret;
	desired_clamp_mtu(out, &benv);
	return 0;
}

/* Lookup records changed alone (the bulk of a large store): their MAC
 * and CA entries, nothing else (docs/agent.md, "Incremental rounds"). */
static int host_want_changes(struct recon *rc, const struct model *m,
			     const struct recon_env *env, struct recon_set *desired,
			     struct recon_keys *dirty)
{
	struct build_env benv = { .host = env->host, .ops = kops(rc), .no_flowid = env->no_flowid,
				  .strict_source = env->strict_source,
				  .note = env->note, .note_arg = env->note_arg,
				  .kernel = &rc->shadow, .no_prune = env->cautious };

	return desired_update(m, &benv, rc->cache, desired, dirty);
}

/* ---- after a round's writes ---- */

/* The maps' derived state (their direct-mapped copies) follows what the
 * maps hold now: the shadow, which has exactly the writes that succeeded
 * (the real ops read the map itself back, to be sure of it). The ops
 * skip a map not written since the last flush. */
static unsigned int host_flush(struct recon *rc)
{
	const struct knl_ops *ops = kops(rc);
	unsigned int failed = 0;

	if (!ops->map_flush)
		return 0;
	for (enum obj o = OBJ_CFG; o <= OBJ_L2ONLY; o++)
		failed += ops->map_flush(ops->ctx, o, &rc->shadow.t[o]) < 0;
	return failed;
}

/* ---- the real kernel ---- */

struct host_kernel {
	struct kernel k;
	struct knl_ops ops;
};

static int host_open(struct recon *rc, const struct recon_open *o)
{
	struct host_kernel *hk = calloc(1, sizeof(*hk));
	int ret;

	if (!hk)
		return -ENOMEM;
	ret = o->dp ? kernel_init(&hk->k, o->dp) : kernel_init_pinned(&hk->k, o->pin_dir);
	if (ret < 0) {
		free(hk);
		return ret;
	}
	kernel_ops(&hk->k, &hk->ops);
	rc->priv = hk;
	rc->ops = &hk->ops;
	return 0;
}

static void host_close(struct recon *rc)
{
	struct host_kernel *hk = rc->priv;

	if (!rc->opened || !hk)
		return;
	kernel_close(&hk->k);
	free(hk);
	rc->priv = NULL;
	rc->ops = NULL;
}

const struct reconciler host_reconciler = {
	.name = "datapath",
	.types = host_types,
	.ntypes = OBJ_MAX,
	.want = host_want,
	.want_changes = host_want_changes,
	.cache_free = host_cache_free,
	.flush = host_flush,
	.observe = host_observe,
	.open = host_open,
	.close = host_close,
};

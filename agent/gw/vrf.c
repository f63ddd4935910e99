// SPDX-License-Identifier: GPL-2.0
/* The vrf reconciler (see vrf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include <tenet/limits.h>

#include "gw/vrf.h"
#include "recon/names.h"

static const struct vrf_ops *vops(const struct recon *rc)
{
	return rc->ops;
}

static void devname(const char *pfx, uint32_t id, char name[IF_NAMESIZE])
{
	tenet_gw_devname(pfx, id, name, IF_NAMESIZE);
}

/* "tvrf12" -> 12, for names of tenet's own links; 0 otherwise. */
static uint32_t dev_id(const char *name, const char *pfx)
{
	size_t n = strlen(pfx);
	char *end;
	unsigned long id;

	if (strncmp(name, pfx, n) || name[n] < '1' || name[n] > '9')
		return 0;
	id = strtoul(name + n, &end, 10);
	return *end || id > TENET_GW_ID_MAX ? 0 : (uint32_t)id;
}

static bool ours(const struct nl_link *l)
{
	return !strncmp(l->alias, TENET_GW_ALIAS_PFX, strlen(TENET_GW_ALIAS_PFX));
}

static void alias_of(const char *cname, char *buf, size_t len)
{
	snprintf(buf, len, TENET_GW_ALIAS_PFX "%s", cname);
}

/* ---- describe ---- */

static const char *cname_prefix(const char *cname, char *buf, size_t len)
{
	if (cname && cname[0])
		snprintf(buf, len, "compartment %s: ", cname);
	else
		buf[0] = '\0';
	return buf;
}

static void describe_link(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_link_val *v = val;
	char name[IF_NAMESIZE], pfx[TENET_NAME_MAX + 16];

	devname(TENET_GW_VRF_PFX, ((const struct vrf_id_key *)key)->id, name);
	snprintf(buf, len, "%sVRF %s (table %u)", cname_prefix(v ? v->cname : NULL, pfx,
		 sizeof(pfx)), name, tenet_gw_table(((const struct vrf_id_key *)key)->id));
}

static void describe_veth(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_veth_val *v = val;
	uint32_t id = ((const struct vrf_id_key *)key)->id;
	char in[IF_NAMESIZE], port[IF_NAMESIZE], pfx[TENET_NAME_MAX + 16];

	devname(TENET_GW_INT_PFX, id, in);
	devname(TENET_GW_PORT_PFX, id, port);
	snprintf(buf, len, "%sinternal interface %s (port %s)",
		 cname_prefix(v ? v->cname : NULL, pfx, sizeof(pfx)), in, port);
}

static void describe_member(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_member_val *v = val;
	char vrf[IF_NAMESIZE];

	if (!v) {
		snprintf(buf, len, "external interface %s", ((const struct vrf_dev_key *)key)->dev);
		return;
	}
	devname(TENET_GW_VRF_PFX, v->vrf, vrf);
	snprintf(buf, len, "external interface %s (VRF %s)",
		 ((const struct vrf_dev_key *)key)->dev, vrf);
}

static const char *const setting_names[] = {
	[SET_UP] = "up", [SET_FORWARDING] = "ipv4 forwarding", [SET_RP_FILTER] = "rp_filter",
	[SET_GRO] = "gro",
};

static void describe_setting(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_setting_key *k = key;
	const char *what = k->which <= SET_GRO ? setting_names[k->which] : "?";

	if (val)
		snprintf(buf, len, "%s: %s %d", k->dev, what,
			 ((const struct vrf_setting_val *)val)->val);
	else
		snprintf(buf, len, "%s: %s", k->dev, what);
}

static void describe_addr(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_addr_key *k = key;
	char a[TENET_IPV4_STRLEN];

	if (val)
		snprintf(buf, len, "address %s/%u on %s", tenet_fmt_ipv4(k->addr, a),
			 ((const struct vrf_addr_val *)val)->plen, k->dev);
	else
		snprintf(buf, len, "address %s on %s", tenet_fmt_ipv4(k->addr, a), k->dev);
}

static void describe_route(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_route_key *k = key;
	const struct vrf_route_val *v = val;
	char d[TENET_IPV4_STRLEN], via[TENET_IPV4_STRLEN];
	int n;

	n = snprintf(buf, len, "route %s/%u table %u", tenet_fmt_ipv4(k->dst, d), k->plen,
		     k->table);
	if (n < 0 || (size_t)n >= len)
		return;
	if (k->type == RTN_UNREACHABLE)
		snprintf(buf + n, len - n, " unreachable metric %u", k->metric);
	else if (v && v->via)
		snprintf(buf + n, len - n, " via %s dev %s metric %u", tenet_fmt_ipv4(v->via, via),
			 v->dev, k->metric);
	else if (v)
		snprintf(buf + n, len - n, " dev %s metric %u", v->dev, k->metric);
	else
		snprintf(buf + n, len - n, " metric %u", k->metric);
}

static void describe_rule(const void *key, const void *val, char *buf, size_t len)
{
	const struct vrf_rule_key *k = key;

	snprintf(buf, len, "rule %u: fwmark 0x%08x table %u", k->pref, k->fwmark, k->table);
}

/* ---- put and delete ---- */

static int link_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	const struct vrf_link_val *v = val, *o = old;
	char name[IF_NAMESIZE], alias[TENET_NAME_MAX + 16];
	int ret;

	devname(TENET_GW_VRF_PFX, ((const struct vrf_id_key *)key)->id, name);
	/* A VRF's table is fixed at creation. */
	if (o) {
		ret = ops->link_del(ops->ctx, name);
		if (ret < 0 && !recon_gone(ret))
			return ret;
	}
	alias_of(v->cname, alias, sizeof(alias));
	return ops->vrf_add(ops->ctx, name, v->table, alias);
}

static int id_link_del(struct recon *rc, const char *pfx, const void *key)
{
	const struct vrf_ops *ops = vops(rc);
	char name[IF_NAMESIZE];

	devname(pfx, ((const struct vrf_id_key *)key)->id, name);
	return ops->link_del(ops->ctx, name);
}

static int link_del(struct recon *rc, const void *key, const void *old)
{
	return id_link_del(rc, TENET_GW_VRF_PFX, key);
}

static int veth_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	const struct vrf_veth_val *v = val, *o = old;
	uint32_t id = ((const struct vrf_id_key *)key)->id;
	char in[IF_NAMESIZE], port[IF_NAMESIZE], vrf[IF_NAMESIZE];
	char alias[TENET_NAME_MAX + 16];
	int ret;

	devname(TENET_GW_INT_PFX, id, in);
	devname(TENET_GW_PORT_PFX, id, port);
	devname(TENET_GW_VRF_PFX, v->vrf, vrf);
	/* A veth pair and a VLAN are different devices: one is replaced by
	 * the other, as a VLAN moved to another id or NIC. */
	if (o && (o->vlan != v->vlan || strcmp(o->parent, v->parent))) {
		ret = ops->link_del(ops->ctx, in);
		if (ret < 0 && ret != -ENODEV)
			return ret;
		o = NULL;
	}
	if (!o) {
		alias_of(v->cname, alias, sizeof(alias));
		if (v->vlan)
			ret = ops->vlan_add(ops->ctx, in, v->parent, v->vlan, alias);
		else
			ret = ops->veth_add(ops->ctx, in, port, v->mtu, alias);
		if (ret < 0)
			return ret;
	}
	if (!o || memcmp(o->mac, v->mac, sizeof(v->mac))) {
		ret = ops->link_mac(ops->ctx, in, v->mac);
		if (ret < 0)
			return ret;
	}
	if (!o || o->vrf != v->vrf)
		return ops->link_master(ops->ctx, in, vrf);
	return 0;
}

/* The veth's peer goes with it. */
static int veth_del(struct recon *rc, const void *key, const void *old)
{
	return id_link_del(rc, TENET_GW_INT_PFX, key);
}

static int member_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	const char *dev = ((const struct vrf_dev_key *)key)->dev;
	char vrf[IF_NAMESIZE];
	int ret;

	devname(TENET_GW_VRF_PFX, ((const struct vrf_member_val *)val)->vrf, vrf);
	ret = ops->link_master(ops->ctx, dev, vrf);
	if (ret == -ENODEV)
		recon_errf(rc, "external device %s not present; attached when it appears", dev);
	return ret;
}

static int member_del(struct recon *rc, const void *key, const void *old)
{
	const struct vrf_ops *ops = vops(rc);

	return ops->link_master(ops->ctx, ((const struct vrf_dev_key *)key)->dev, NULL);
}

static int setting_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	const struct vrf_setting_key *k = key;
	int ret = ops->setting_set(ops->ctx, k->dev, k->which,
				   ((const struct vrf_setting_val *)val)->val);

	return ret > 0 ? 0 : ret;
}

static int addr_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	const struct vrf_addr_key *k = key;
	const struct vrf_addr_val *o = old;
	int ret;

	/* Another prefix length is another address to the kernel. */
	if (o && o->plen != ((const struct vrf_addr_val *)val)->plen) {
		ret = ops->addr_del(ops->ctx, k->dev, k->addr);
		if (ret < 0 && !recon_gone(ret))
			return ret;
	}
	return ops->addr_add(ops->ctx, k->dev, k->addr, ((const struct vrf_addr_val *)val)->plen);
}

static int addr_del(struct recon *rc, const void *key, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	const struct vrf_addr_key *k = key;

	return ops->addr_del(ops->ctx, k->dev, k->addr);
}

static int route_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);

	return ops->route_set(ops->ctx, key, val);
}

static int route_del(struct recon *rc, const void *key, const void *old)
{
	const struct vrf_ops *ops = vops(rc);

	return ops->route_del(ops->ctx, key, old);
}

static int rule_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct vrf_ops *ops = vops(rc);
	int ret = ops->rule_add(ops->ctx, key);

	return ret == -EEXIST ? 0 : ret;
}

static int rule_del(struct recon *rc, const void *key, const void *old)
{
	const struct vrf_ops *ops = vops(rc);

	return ops->rule_del(ops->ctx, key);
}

static const char *const created[] = { "created", "changed", "removed" };
static const char *const joined[] = { "joined its compartment", "moved", "left its compartment" };
static const char *const set[] = { "set", "set", "-" };

static const struct recon_type vrf_types[VRF_NOBJ] = {
	[VRF_LINK] = { .name = "vrf", .key_size = sizeof(struct vrf_id_key),
		       .val_size = sizeof(struct vrf_link_val),
		       .cmp_size = offsetof(struct vrf_link_val, cname), .verbs = created,
		       .describe = describe_link, .put = link_put, .del = link_del },
	[VRF_VETH] = { .name = "internal", .key_size = sizeof(struct vrf_id_key),
		       .val_size = sizeof(struct vrf_veth_val),
		       .cmp_size = offsetof(struct vrf_veth_val, mtu), .verbs = created,
		       .describe = describe_veth, .put = veth_put, .del = veth_del },
	[VRF_MEMBER] = { .name = "external", .key_size = sizeof(struct vrf_dev_key),
			 .val_size = sizeof(struct vrf_member_val), .verbs = joined,
			 .describe = describe_member, .put = member_put, .del = member_del },
	/* Settings are put, never undone: an external interface keeps them
	 * when it leaves, tenet's own devices take them along. */
	[VRF_SETTING] = { .name = "setting", .key_size = sizeof(struct vrf_setting_key),
			  .val_size = sizeof(struct vrf_setting_val),
			  .flags = RECON_T_KEEP | RECON_T_UNMARKED | RECON_T_QUIET, .verbs = set,
			  .describe = describe_setting, .put = setting_put },
	/* An address on an external interface is not recognisably tenet's:
	 * the running agent remembers the ones it gave. */
	[VRF_ADDR] = { .name = "address", .key_size = sizeof(struct vrf_addr_key),
		       .val_size = sizeof(struct vrf_addr_val), .flags = RECON_T_UNMARKED,
		       .describe = describe_addr, .put = addr_put, .del = addr_del },
	[VRF_ROUTE] = { .name = "route", .key_size = sizeof(struct vrf_route_key),
			.val_size = sizeof(struct vrf_route_val), .describe = describe_route,
			.put = route_put, .del = route_del },
	[VRF_RULE] = { .name = "rule", .key_size = sizeof(struct vrf_rule_key),
		       .val_size = sizeof(struct vrf_rule_val), .describe = describe_rule,
		       .put = rule_put, .del = rule_del },
};

/* ---- want ---- */

struct want {
	const struct vrf_ops *ops;
	const struct recon_env *env;
	struct recon_set *out;
	int err;
};

static void put(struct want *w, enum vrf_obj t, const void *key, const void *val)
{
	if (!htab_put(&w->out->t[t], key, val, NULL))
		w->err = -ENOMEM;
}

static void setting(struct want *w, const char *dev, enum vrf_setting which, int val)
{
	struct vrf_setting_key k = { .which = which };
	struct vrf_setting_val v = { .val = val };

	snprintf(k.dev, sizeof(k.dev), "%s", dev);
	put(w, VRF_SETTING, &k, &v);
}

static void addr(struct want *w, const char *dev, const struct tenet_prefix *p)
{
	struct vrf_addr_key k = { .addr = p->addr };
	struct vrf_addr_val v = { .plen = p->len };

	snprintf(k.dev, sizeof(k.dev), "%s", dev);
	put(w, VRF_ADDR, &k, &v);
}

/* The internal veth pair carries what NVGRE can: the first PA device's
 * MTU minus the encapsulation (the datapath clamps ports the same way). */
static uint32_t port_mtu(const struct want *w, const struct model *m)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		int mtu;

		if (r->kind != TENET_KIND_PA || strcmp(r->pa.host, w->env->host))
			continue;
		mtu = w->ops->link_mtu(w->ops->ctx, r->pa.dev);
		if (mtu > TENET_ENCAP_OVERHEAD)
			return (uint32_t)mtu - TENET_ENCAP_OVERHEAD;
	}
	return 1500 - TENET_ENCAP_OVERHEAD;
}

/* A compartment whose device names someone else took is left alone. */
static bool names_free(const struct want *w, const struct gw_tenant *t)
{
	static const char *const pfx[] = { TENET_GW_VRF_PFX, TENET_GW_INT_PFX, TENET_GW_PORT_PFX };
	char name[IF_NAMESIZE];

	for (size_t i = 0; i < 3; i++) {
		devname(pfx[i], t->cm->id, name);
		if (!w->ops->link_owner(w->ops->ctx, name)) {
			recon_note(w->env, t->key, "device %s exists and is not tenet's; compartment not "
			     "programmed", name);
			return false;
		}
	}
	return true;
}

static void routes(struct want *w, const struct gw_tenants *g, const struct gw_tenant *t,
		   const char *in)
{
	const struct tenet_compartment *cm = t->cm;
	uint32_t table = tenet_gw_table(cm->id);
	uint32_t net = ntohl(cm->addr.addr & tenet_prefix_mask(cm->addr.len));
	struct vrf_route_key k = { .table = table, .type = RTN_UNREACHABLE,
				   .metric = TENET_GW_UNREACH_METRIC };
	struct vrf_route_val v = { 0 };

	put(w, VRF_ROUTE, &k, &v);
	/* Every other subnet of the routing domain via the distributed router
	 * (an NVGRE compartment; a VLAN's network routes for itself). */
	for (size_t i = 0; cm->vsid && i < g->nvs; i++) {
		const struct tenet_vsubnet *vs = g->vs[i];

		if (strcmp(vs->rdomain, cm->rdomain) || vs->vsid == cm->vsid)
			continue;
		k = (struct vrf_route_key){ .table = table, .type = RTN_UNICAST,
					    .dst = vs->prefix.addr, .plen = vs->prefix.len };
		v = (struct vrf_route_val){ .via = htonl(net + 1) };
		snprintf(v.dev, sizeof(v.dev), "%s", in);
		put(w, VRF_ROUTE, &k, &v);
	}
	if (!t->nat || !t->uplink_ifindex)
		return;
	k = (struct vrf_route_key){ .table = table, .type = RTN_UNICAST,
				    .metric = TENET_GW_NAT_METRIC };
	v = (struct vrf_route_val){ .via = t->nat->via };
	snprintf(v.dev, sizeof(v.dev), "%s", t->uplink);
	put(w, VRF_ROUTE, &k, &v);
}

/* The forwarding gateway's physical interface, moved into the VRF. */
static void external(struct want *w, const struct tenet_compartment *cm)
{
	struct vrf_dev_key dk = { 0 };
	struct vrf_member_val mv = { .vrf = cm->id };

	snprintf(dk.dev, sizeof(dk.dev), "%s", cm->ext_dev);
	put(w, VRF_MEMBER, &dk, &mv);
	if (w->env->names && name_set_add(w->env->names, cm->ext_dev) < 0)
		w->err = -ENOMEM;
	/* Not there yet: joining fails and says so, and is retried; the rest
	 * follows when it appears (a link event). */
	if (w->ops->link_owner(w->ops->ctx, cm->ext_dev) == -ENODEV)
		return;
	setting(w, cm->ext_dev, SET_UP, 1);
	setting(w, cm->ext_dev, SET_FORWARDING, 1);
	setting(w, cm->ext_dev, SET_RP_FILTER, 2);
	addr(w, cm->ext_dev, &cm->ext_addr);
}

static void compartment(struct want *w, const struct gw_tenants *g, const struct gw_tenant *t,
			uint32_t mtu)
{
	const struct tenet_compartment *cm = t->cm;
	char vrf[IF_NAMESIZE], in[IF_NAMESIZE], port[IF_NAMESIZE];
	struct vrf_id_key id = { .id = cm->id };
	struct vrf_link_val lv = { .table = tenet_gw_table(cm->id) };
	struct vrf_veth_val vv = { .vrf = cm->id, .mtu = mtu };

	if (!names_free(w, t))
		return;
	devname(TENET_GW_VRF_PFX, cm->id, vrf);
	devname(TENET_GW_INT_PFX, cm->id, in);
	devname(TENET_GW_PORT_PFX, cm->id, port);
	snprintf(lv.cname, sizeof(lv.cname), "%s", cm->name);
	snprintf(vv.cname, sizeof(vv.cname), "%s", cm->name);
	memcpy(vv.mac, cm->mac, sizeof(vv.mac));
	if (cm->vlan) {
		vv.vlan = cm->vlan;
		snprintf(vv.parent, sizeof(vv.parent), "%s", cm->vlan_dev);
		if (w->env->names && name_set_add(w->env->names, cm->vlan_dev) < 0)
			w->err = -ENOMEM;
		/* Its NIC not there yet: made when it appears (a link event). */
		if (w->ops->link_owner(w->ops->ctx, cm->vlan_dev) == -ENODEV) {
			recon_note(w->env, t->key, "dev %s not present; the VLAN is made when it appears",
			     cm->vlan_dev);
			put(w, VRF_LINK, &id, &lv);
			setting(w, vrf, SET_UP, 1);
			return;
		}
		setting(w, cm->vlan_dev, SET_UP, 1);
	}
	put(w, VRF_LINK, &id, &lv);
	put(w, VRF_VETH, &id, &vv);
	setting(w, vrf, SET_UP, 1);
	setting(w, vrf, SET_FORWARDING, 1);
	/* XDP redirects into tgpN land on tgiN: it needs GRO. Loose
	 * reverse-path filtering: a tenant's sources may come from any of
	 * its subnets. */
	setting(w, in, SET_UP, 1);
	setting(w, in, SET_FORWARDING, 1);
	setting(w, in, SET_RP_FILTER, 2);
	if (!cm->vlan) {
		setting(w, in, SET_GRO, 1);
		setting(w, port, SET_UP, 1);
		setting(w, port, SET_RP_FILTER, 0);
	}
	addr(w, in, &cm->addr);
	if (cm->ext_dev[0])
		external(w, cm);
	routes(w, g, t, in);
	if (t->nat && t->uplink_ifindex) {
		struct vrf_rule_key rk = { .pref = TENET_GW_RULE_PREF, .fwmark = tenet_gw_mark(cm->id),
					   .table = tenet_gw_table(cm->id) };
		struct vrf_rule_val rv = { .one = 1 };

		put(w, VRF_RULE, &rk, &rv);
		setting(w, t->uplink, SET_FORWARDING, 1);
	}
}

static int vrf_addr_dump(void *ctx, gw_addr_cb cb, void *arg)
{
	const struct vrf_ops *ops = ctx;

	return ops->addr_dump(ops->ctx, cb, arg);
}

/* ---- records that cannot be decoded (docs/agent.md, "Failure
 * behaviour") ----
 * A lost compartment record of this host keeps everything of its id
 * (found by its name in the links' aliases): VRF, internal pair, external
 * interface, addresses, routes and rule. A lost NAT record keeps its
 * compartment's NAT route and fwmark rule; a lost virtual subnet the
 * routes to other subnets of every compartment (which subnet it was, the
 * key alone does not say). */

struct lost_gw {
	uint32_t ids[64];               /* compartments kept whole */
	size_t nids;
	uint32_t nat_ids[64];           /* compartments whose NAT is kept */
	size_t nnat;
	bool vsubnet;
};

static bool has_id(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void lost_ids(const struct recon *rc, const char *cname, struct lost_gw *l)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, (struct htab *)&rc->shadow.t[VRF_LINK]);
	while ((e = htab_iter_next(&it))) {
		uint32_t id = ((const struct vrf_id_key *)htab_key(e))->id;

		if (!strcmp(((const struct vrf_link_val *)htab_val(e))->cname, cname) &&
		    !has_id(l->ids, l->nids, id) && l->nids < 64)
			l->ids[l->nids++] = id;
	}
}

static void hold_key(struct want *w, enum vrf_obj t, const void *key)
{
	if (!htab_find(&w->out->t[t], key) && recon_hold(w->out, t, key) < 0)
		w->err = -ENOMEM;
}

static bool on_dev_of(const char *dev, const uint32_t *ids, size_t n,
		      const struct recon_set *sh)
{
	const struct htab_entry *m;
	struct vrf_dev_key dk = { 0 };
	char in[IF_NAMESIZE];

	for (size_t i = 0; i < n; i++) {
		devname(TENET_GW_INT_PFX, ids[i], in);
		if (!strcmp(dev, in))
			return true;
	}
	snprintf(dk.dev, sizeof(dk.dev), "%s", dev);
	m = htab_find(&sh->t[VRF_MEMBER], &dk);
	return m && has_id(ids, n, ((const struct vrf_member_val *)htab_val(m))->vrf);
}

static void hold_lost(struct want *w, const struct recon *rc, const struct model *m,
		      const struct gw_tenants *g)
{
	const struct recon_set *sh = &rc->shadow;
	struct lost_gw l = { 0 };
	struct htab_iter it;
	struct htab_entry *e;
	char in[IF_NAMESIZE];

	htab_iter_init(&it, (struct htab *)&m->bad);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = htab_val(e);

		if (!model_lost(m, e))
			continue;
		if (r->kind == TENET_KIND_VSUBNET)
			l.vsubnet = true;
		else if (r->kind == TENET_KIND_COMPARTMENT &&
			 !strcmp(r->compartment.host, w->env->host))
			lost_ids(rc, r->compartment.name, &l);
		else if (r->kind == TENET_KIND_NAT && !strcmp(r->nat.host, w->env->host))
			for (size_t i = 0; i < g->n && l.nnat < 64; i++)
				if (!strcmp(g->t[i].cm->rdomain, r->nat.rdomain))
					l.nat_ids[l.nnat++] = g->t[i].cm->id;
	}
	if (!l.nids && !l.nnat && !l.vsubnet)
		return;
	htab_iter_init(&it, (struct htab *)&sh->t[VRF_LINK]);
	while ((e = htab_iter_next(&it)))
		if (has_id(l.ids, l.nids, ((const struct vrf_id_key *)htab_key(e))->id)) {
			hold_key(w, VRF_LINK, htab_key(e));
			hold_key(w, VRF_VETH, htab_key(e));
		}
	htab_iter_init(&it, (struct htab *)&sh->t[VRF_MEMBER]);
	while ((e = htab_iter_next(&it)))
		if (has_id(l.ids, l.nids, ((const struct vrf_member_val *)htab_val(e))->vrf))
			hold_key(w, VRF_MEMBER, htab_key(e));
	htab_iter_init(&it, (struct htab *)&sh->t[VRF_ADDR]);
	while ((e = htab_iter_next(&it)))
		if (on_dev_of(((const struct vrf_addr_key *)htab_key(e))->dev, l.ids, l.nids, sh))
			hold_key(w, VRF_ADDR, htab_key(e));
	htab_iter_init(&it, (struct htab *)&sh->t[VRF_ROUTE]);
	while ((e = htab_iter_next(&it))) {
		const struct vrf_route_key *k = htab_key(e);
		const struct vrf_route_val *v = htab_val(e);
		uint32_t id = k->table - TENET_GW_TABLE_BASE;

		devname(TENET_GW_INT_PFX, id, in);
		if (has_id(l.ids, l.nids, id) ||
		    (k->metric == TENET_GW_NAT_METRIC && has_id(l.nat_ids, l.nnat, id)) ||
		    (l.vsubnet && k->type == RTN_UNICAST && !strcmp(v->dev, in)))
			hold_key(w, VRF_ROUTE, k);
	}
	htab_iter_init(&it, (struct htab *)&sh->t[VRF_RULE]);
	while ((e = htab_iter_next(&it))) {
		const struct vrf_rule_key *rk = htab_key(e);
		uint32_t id = rk->table - TENET_GW_TABLE_BASE;

		if (has_id(l.ids, l.nids, id) || has_id(l.nat_ids, l.nnat, id))
			hold_key(w, VRF_RULE, htab_key(e));
	}
}

static int vrf_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		    struct recon_set *out)
{
	struct want w = { .ops = vops(rc), .env = env, .out = out };
	struct gw_tenants g;
	uint32_t mtu;
	int ret;

	ret = gw_tenants_collect(&g, m, env, vrf_addr_dump, (void *)w.ops);
	if (ret < 0)
		goto out;
	mtu = g.n ? port_mtu(&w, m) : 0;
	for (size_t i = 0; i < g.n; i++)
		compartment(&w, &g, &g.t[i], mtu);
	if (m->bad.n)
		hold_lost(&w, rc, m, &g);
	ret = w.err;
out:
	gw_tenants_free(&g);
	return ret;
}

/* ---- observe ---- */

struct observe {
	const struct vrf_ops *ops;
	const struct recon_set *desired;
	struct recon_set *out;
	struct nl_link *links;
	size_t nlinks;
	int err;
};

static const struct nl_link *link_by_index(const struct observe *o, uint32_t ifindex)
{
	for (size_t i = 0; i < o->nlinks; i++)
		if (o->links[i].ifindex == ifindex)
			return &o->links[i];
	return NULL;
}

static const struct nl_link *link_by_name(const struct observe *o, const char *name)
{
	for (size_t i = 0; i < o->nlinks; i++)
		if (!strcmp(o->links[i].name, name))
			return &o->links[i];
	return NULL;
}

static void found(struct observe *o, enum vrf_obj t, const void *key, const void *val)
{
	if (!htab_put(&o->out->t[t], key, val, NULL))
		o->err = -ENOMEM;
}

/* The compartment id of the VRF ifindex, if it is one of tenet's. */
static uint32_t vrf_of(const struct observe *o, uint32_t ifindex)
{
	const struct nl_link *m = ifindex ? link_by_index(o, ifindex) : NULL;

	return m && ours(m) && !strcmp(m->kind, "vrf") ? dev_id(m->name, TENET_GW_VRF_PFX) : 0;
}

static void cname_of(const struct nl_link *l, char *buf, size_t len)
{
	snprintf(buf, len, "%s", l->alias + strlen(TENET_GW_ALIAS_PFX));
}

static void observe_links(struct observe *o)
{
	for (size_t i = 0; i < o->nlinks; i++) {
		const struct nl_link *l = &o->links[i];
		struct vrf_id_key id;
		uint32_t vrf = vrf_of(o, l->master);

		if (!ours(l)) {
			struct vrf_dev_key dk = { 0 };
			struct vrf_member_val mv = { .vrf = vrf };

			/* Someone else's interface in one of tenet's VRFs; one
			 * of another reconciler of tenet's (an S2S interface,
			 * alias tenet-s2s:) is that one's business. */
			if (!vrf || !strncmp(l->alias, TENET_ALIAS_ROOT, strlen(TENET_ALIAS_ROOT)))
				continue;
			snprintf(dk.dev, sizeof(dk.dev), "%s", l->name);
			found(o, VRF_MEMBER, &dk, &mv);
		} else if (!strcmp(l->kind, "vrf") && (id.id = dev_id(l->name, TENET_GW_VRF_PFX))) {
			struct vrf_link_val v = { .table = l->vrf_table };

			cname_of(l, v.cname, sizeof(v.cname));
			found(o, VRF_LINK, &id, &v);
		} else if ((id.id = dev_id(l->name, TENET_GW_INT_PFX))) {
			struct vrf_veth_val v = { .vrf = vrf, .mtu = l->mtu };
			const struct nl_link *p;

			if (!strcmp(l->kind, "vlan")) {
				v.vlan = l->vlan_id;
				p = l->link ? link_by_index(o, l->link) : NULL;
				if (p)
					snprintf(v.parent, sizeof(v.parent), "%s", p->name);
			}

			memcpy(v.mac, l->mac, sizeof(v.mac));
			cname_of(l, v.cname, sizeof(v.cname));
			found(o, VRF_VETH, &id, &v);
		}
	}
}

/* Settings are read for the desired ones: that is what matters of them. */
static void observe_settings(struct observe *o)
{
	struct htab_iter it;
	struct htab_entry *e;

	if (!o->desired)
		return;
	htab_iter_init(&it, &o->desired->t[VRF_SETTING]);
	while ((e = htab_iter_next(&it))) {
		const struct vrf_setting_key *k = htab_key(e);
		const struct nl_link *l = link_by_name(o, k->dev);
		struct vrf_setting_val v;
		int ret;

		if (!l)
			continue;
		if (k->which == SET_UP) {
			v.val = !!(l->flags & IFF_UP);
		} else {
			ret = o->ops->setting_get(o->ops->ctx, k->dev, k->which);
			if (ret < 0)
				continue;
			v.val = ret;
		}
		found(o, VRF_SETTING, k, &v);
	}
}

static int addr_found(const char *dev, uint32_t ifindex, uint32_t a, uint8_t plen, void *arg)
{
	struct observe *o = arg;
	const struct nl_link *l = link_by_index(o, ifindex);
	struct vrf_addr_key k = { .addr = a };
	struct vrf_addr_val v = { .plen = plen };

	snprintf(k.dev, sizeof(k.dev), "%s", dev);
	/* Every address on tenet's internal interfaces; elsewhere, the ones
	 * wanted (which tenet may have given). */
	if ((l && ours(l) && dev_id(l->name, TENET_GW_INT_PFX)) ||
	    (o->desired && htab_find(&o->desired->t[VRF_ADDR], &k)))
		found(o, VRF_ADDR, &k, &v);
	return 0;
}

static bool our_table(uint32_t table)
{
	return table > TENET_GW_TABLE_BASE && table <= TENET_GW_TABLE_BASE + TENET_GW_ID_MAX;
}

static int route_found(const void *key, const void *val, void *arg)
{
	const struct vrf_route_key *k = key;

	if (our_table(k->table))
		found(arg, VRF_ROUTE, key, val);
	return 0;
}

static int rule_found(const void *key, const void *val, void *arg)
{
	found(arg, VRF_RULE, key, val);
	return 0;
}

static int vrf_observe(struct recon *rc, const struct recon_set *desired, struct recon_set *out)
{
	struct observe o = { .ops = vops(rc), .desired = desired, .out = out };
	int ret;

	ret = o.ops->link_dump(o.ops->ctx, &o.links, &o.nlinks);
	if (ret < 0)
		return ret;
	observe_links(&o);
	observe_settings(&o);
	ret = o.ops->addr_dump(o.ops->ctx, addr_found, &o);
	if (!ret)
		ret = o.ops->route_dump(o.ops->ctx, route_found, &o);
	if (!ret)
		ret = o.ops->rule_dump(o.ops->ctx, rule_found, &o);
	free(o.links);
	return ret < 0 ? ret : o.err;
}

/* ---- the real kernel ---- */

static int vrf_open(struct recon *rc, const struct recon_open *o)
{
	struct vrf_ops *ops;
	int ret = vrf_kernel_open(&ops);

	if (ret < 0)
		return ret;
	rc->ops = ops;
	return 0;
}

static void vrf_close(struct recon *rc)
{
	if (!rc->opened)
		return;
	vrf_kernel_close(rc->ops);
	rc->ops = NULL;
}

const struct reconciler gw_vrf_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "vrf",
	.types = vrf_types,
	.ntypes = VRF_NOBJ,
	.flags = RECON_OBSERVE_EACH,
	.want = vrf_want,
	.observe = vrf_observe,
	.open = vrf_open,
	.close = vrf_close,
};

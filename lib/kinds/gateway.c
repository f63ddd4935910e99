// SPDX-License-Identifier: GPL-2.0
/* Gateway compartments: the compartment's row of the registry (fields,
 * key, listing order, guard keys, rules; docs/gateway.md) and the kernel
 * names derived from a compartment id. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "policy/engine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- kernel names ---- */

int tenet_gw_devname(const char *pfx, uint32_t id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%u", pfx, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void tenet_gw_default_mac(const char *host, const char *name, uint8_t mac[TENET_MAC_LEN])
{
	uint32_t h = 2166136261u;       /* FNV-1a */
	const char *parts[] = { host, "/", name };

	for (size_t i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
	h &= 0xffffff;
	if (h <= 1)                     /* 02:54:4e:00:00:01 is the router */
		h += 2;
	mac[0] = 0x02;
	mac[1] = 0x54;
	mac[2] = 0x4e;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* ================= compartments ================= */

static const struct tenet_field external_fields[] = {
	TENET_FIELD(struct tenet_compartment, ext_dev, "dev", TENET_FT_IFNAME),
	TENET_FIELD(struct tenet_compartment, ext_addr, "address", TENET_FT_ADDR_LEN),
	{ NULL },
};

static const struct tenet_field internal_fields[] = {
	TENET_FIELD(struct tenet_compartment, vlan_dev, "dev", TENET_FT_IFNAME),
	TENET_FIELD(struct tenet_compartment, vlan, "vlan", TENET_FT_U16, .min = 1, .max = 4094),
	{ NULL },
};

static const struct tenet_field rate_int_fields[] = {
	TENET_RATE_SUBFIELDS(struct tenet_compartment, rate_int),
};

static const struct tenet_field rate_ext_fields[] = {
	TENET_RATE_SUBFIELDS(struct tenet_compartment, rate_ext),
};

static const struct tenet_field compartment_fields[] = {
	TENET_FIELD(struct tenet_compartment, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_compartment, name, "name", TENET_FT_NAME),
	TENET_FIELD(struct tenet_compartment, id, "id", TENET_FT_U32, .min = 1,
		    .max = TENET_GW_ID_MAX),
	TENET_FIELD(struct tenet_compartment, rdomain, "rdomain", TENET_FT_NAME),
	/* An NVGRE compartment's gateway subnet; a VLAN compartment has
	 * "internal" instead. */
	TENET_FIELD(struct tenet_compartment, vsid, "vsid", TENET_FT_U32,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = TENET_VSID_MIN,
		    .max = TENET_VSID_MAX, TENET_WHEN(struct tenet_compartment, vsid)),
	TENET_FIELD(struct tenet_compartment, vlan_dev, "internal", TENET_FT_OBJECT,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .sub = internal_fields,
		    .when_off = offsetof(struct tenet_compartment, vlan_dev), .when_size = 1),
	TENET_FIELD(struct tenet_compartment, addr, "address", TENET_FT_ADDR_LEN),
	TENET_FIELD(struct tenet_compartment, mac, "mac", TENET_FT_MAC),
	/* Forwarding gateways only: written while ext_dev is not "". */
	TENET_FIELD(struct tenet_compartment, ext_dev, "external", TENET_FT_OBJECT,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .sub = external_fields,
		    .when_off = offsetof(struct tenet_compartment, ext_dev), .when_size = 1),
	/* Written only when set (none in records older than rate limits). */
	TENET_RATE_FIELD(struct tenet_compartment, rate_int, "rate_internal", rate_int_fields),
	TENET_RATE_FIELD(struct tenet_compartment, rate_ext, "rate_external", rate_ext_fields),
	{ NULL },
};

/* The internal side is one thing: a virtual subnet or a VLAN. */
static int compartment_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_compartment *cm = obj;
	int ret;

	if (!cm->vsid && !cm->vlan_dev[0])
		return tenet_err_set(err, -EINVAL, "vsid: missing (or internal: a VLAN)");
	if (cm->vsid && cm->vlan_dev[0])
		return tenet_err_set(err, -EINVAL, "internal: a compartment with a vsid has no VLAN");
	if ((ret = tenet_rate_check(&cm->rate_int, err)) < 0)
		return tenet_err_prefix(err, ret, "rate_internal");
	if ((ret = tenet_rate_check(&cm->rate_ext, err)) < 0)
		return tenet_err_prefix(err, ret, "rate_external");
	return 0;
}

static const struct tenet_klayout compartment_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_compartment, name, TENET_KP_NAME) } },
};

static const struct tenet_sortkey compartment_sort[] = {
	TENET_SORT(struct tenet_compartment, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_compartment, id, TENET_FT_U32),
	{ TENET_FT_NONE },
};

/* Per host, but a put also writes the compartment's lookup record in its
 * routing domain (and checks the domain's subnet, global), and a delete
 * drops the domain's routes via it and that record. */
static int compartment_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	struct tenet_record cur;
	int ret;

	if (!del) {
		ret = pol_guard_global(c, false);
		if (ret == 0)
			ret = pol_guard_rdomain(c, rec->compartment.rdomain, true);
		return ret ? ret : pol_guard_host(c, rec->compartment.host, true);
	}
	ret = pol_guard_host(c, rec->compartment.host, true);
	/* Its routing domain is in the record, read under the host's guard;
	 * no record: the delete is refused. */
	if (ret == 0 && tenet_check_name(rec->compartment.name, NULL) == 0 &&
	    pol_load(c, rec, &cur) == 0)
		ret = pol_guard_rdomain(c, cur.compartment.rdomain, true);
	return ret;
}

static int check_names(struct pctx *c, const char *host, const char *name)
{
	if (tenet_check_name(host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", host);
	if (name && tenet_check_name(name, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "compartment %s: not a valid name", name);
	return 0;
}

/* The compartment's address: inside its gateway subnet, with the subnet's
 * length, and none of the addresses the subnet itself uses. */
static int check_cmp_addr(struct pctx *c, const struct tenet_compartment *cm,
			  const struct tenet_vsubnet *vs)
{
	uint32_t mask = tenet_prefix_mask(vs->prefix.len);
	uint32_t net = vs->prefix.addr, bcast = net | ~mask, ip = cm->addr.addr;
	char a[TENET_PREFIX_STRLEN], p[TENET_PREFIX_STRLEN];

	tenet_fmt_prefix(&cm->addr, a);
	tenet_fmt_prefix(&vs->prefix, p);
	if (!tenet_prefix_contains(&vs->prefix, ip) || cm->addr.len != vs->prefix.len)
		return tenet_err_set(c->err, -EINVAL, "address %s: not an address of %s (vsid %u)",
				     a, p, vs->vsid);
	if (ip == net || ip == bcast || ip == htonl(ntohl(net) + 1))
		return tenet_err_set(c->err, -EINVAL,
				     "address %s: the %s address of %s", a,
				     ip == net ? "network" : ip == bcast ? "broadcast" :
				     "distributed router's", p);
	return 0;
}

static bool reserved_dev(const char *dev)
{
	static const char *const pfx[] = { TENET_GW_VRF_PFX, TENET_GW_INT_PFX,
					   TENET_GW_PORT_PFX };

	for (size_t i = 0; i < ARRAY_SIZE(pfx); i++)
		if (!strncmp(dev, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

/* A VLAN compartment: its VLAN of a NIC of the host (not one of tenet's
 * devices), and an address on the tenant's network. */
static int check_vlan(struct pctx *c, const struct tenet_compartment *cm)
{
	char a[TENET_PREFIX_STRLEN];

	if (tenet_check_ifname(cm->vlan_dev, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "dev %s: not a valid interface name",
				     cm->vlan_dev);
	if (reserved_dev(cm->vlan_dev))
		return tenet_err_set(c->err, -EINVAL,
				     "dev %s: a name tenet uses for compartment devices", cm->vlan_dev);
	if (!cm->vlan || cm->vlan > 4094)
		return tenet_err_set(c->err, -EINVAL, "vlan %u: not a VLAN id (1..4094)", cm->vlan);
	tenet_fmt_prefix(&cm->addr, a);
	if (!tenet_ipv4_is_unicast(cm->addr.addr) || !cm->addr.len || cm->addr.len > 30)
		return tenet_err_set(c->err, -EINVAL, "address %s: not a unicast address on a network",
				     a);
	return 0;
}

static int check_external(struct pctx *c, const struct tenet_compartment *cm)
{
	char a[TENET_PREFIX_STRLEN];

	if (!cm->ext_dev[0])
		return 0;
	if (tenet_check_ifname(cm->ext_dev, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "external %s: not a valid interface name",
				     cm->ext_dev);
	if (reserved_dev(cm->ext_dev))
		return tenet_err_set(c->err, -EINVAL,
				     "external %s: a name tenet uses for compartment devices",
				     cm->ext_dev);
	tenet_fmt_prefix(&cm->ext_addr, a);
	if (!tenet_ipv4_is_unicast(cm->ext_addr.addr) || !cm->ext_addr.len ||
	    cm->ext_addr.len > 32)
		return tenet_err_set(c->err, -EINVAL, "address %s: not a unicast address on a network",
				     a);
	if (cm->ext_addr.addr == cm->addr.addr)
		return tenet_err_set(c->err, -EINVAL, "address %s: the compartment's own address",
				     a);
	return 0;
}

/* Collisions with the other compartments of the host; assigns the id of
 * a new one (one more than the highest). old: the record being replaced. */
static int check_siblings(struct pctx *c, struct tenet_compartment *cm,
			  const struct tenet_record_list *all, const struct tenet_compartment **old)
{
	char m[TENET_MAC_STRLEN];
	uint32_t max = 0;

	*old = NULL;
	for (size_t i = 0; i < all->n; i++) {
		const struct tenet_compartment *o = &all->recs[i].compartment;

		if (o->id > max)
			max = o->id;
		if (!strcmp(o->name, cm->name)) {
			*old = o;
			continue;
		}
		if (!strcmp(o->rdomain, cm->rdomain))
			return tenet_err_set(c->err, -EEXIST,
					     "rdomain %s: already has compartment %s on host %s",
					     cm->rdomain, o->name, cm->host);
		if (!memcmp(o->mac, cm->mac, TENET_MAC_LEN))
			return tenet_err_set(c->err, -EEXIST,
					     "mac %s: already used by compartment %s (give another with 'mac')",
					     tenet_fmt_mac(cm->mac, m), o->name);
		if (cm->ext_dev[0] && !strcmp(o->ext_dev, cm->ext_dev))
			return tenet_err_set(c->err, -EEXIST,
					     "external %s: already in compartment %s", cm->ext_dev,
					     o->name);
		if (cm->vlan && o->vlan == cm->vlan && !strcmp(o->vlan_dev, cm->vlan_dev))
			return tenet_err_set(c->err, -EEXIST,
					     "vlan %u on %s: already compartment %s's", cm->vlan,
					     cm->vlan_dev, o->name);
	}
	if (*old)
		return 0;
	if (max >= TENET_GW_ID_MAX)
		return tenet_err_set(c->err, -ENOSPC, "host %s: no compartment id left", cm->host);
	cm->id = max + 1;
	return 0;
}

/* A replace may only change the external interface. */
static int check_replace(struct pctx *c, struct tenet_compartment *cm,
			 const struct tenet_compartment *old)
{
	if (!old)
		return 0;
	if (!(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST, "compartment %s: already exists on host %s",
				     cm->name, cm->host);
	if (strcmp(old->rdomain, cm->rdomain) || old->vsid != cm->vsid ||
	    old->vlan != cm->vlan || strcmp(old->vlan_dev, cm->vlan_dev) ||
	    old->addr.addr != cm->addr.addr || old->addr.len != cm->addr.len ||
	    memcmp(old->mac, cm->mac, TENET_MAC_LEN))
		return tenet_err_set(c->err, -EINVAL,
				     "compartment %s: only its external interface can change "
				     "(delete and add it again)", cm->name);
	cm->id = old->id;
	return 0;
}

static int check_port_macs(struct pctx *c, const struct tenet_compartment *cm)
{
	struct tenet_record_list ports;
	char m[TENET_MAC_STRLEN];
	int ret;

	ret = pol_load_kind(c, TENET_KIND_PORT, cm->host, &ports);
	for (size_t i = 0; ret == 0 && i < ports.n; i++)
		if (!memcmp(ports.recs[i].port.mac, cm->mac, TENET_MAC_LEN))
			ret = tenet_err_set(c->err, -EEXIST,
					    "mac %s: already used by port %s on host %s",
					    tenet_fmt_mac(cm->mac, m), ports.recs[i].port.dev,
					    cm->host);
	tenet_record_list_free(&ports);
	return ret;
}

/* The first provider address of the host: where NVGRE for the
 * compartment's CA goes. */
static int host_pa(struct pctx *c, const char *host, uint32_t *pa)
{
	struct tenet_record_list pas;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_PA, host, &pas);
	if (ret < 0)
		return ret;
	if (!pas.n)
		ret = tenet_err_set(c->err, -ENOENT,
				    "host %s: has no provider address (tenet pa add ... host %s)",
				    host, host);
	else
		*pa = pas.recs[0].pa.addr.addr;
	tenet_record_list_free(&pas);
	return ret;
}

/* The lookup record that makes the compartment's CA reachable, through
 * the lookup row's own rules. */
static int put_cmp_lookup(struct pctx *c, const struct tenet_compartment *cm)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP }, old;
	struct tenet_lookup *l = &rec.lookup;
	int ret;

	l->vsid = cm->vsid;
	l->has_ca = true;
	l->ca = cm->addr.addr;
	l->type = TENET_LOOKUP_STATIC;
	l->rule = TENET_RULE_ENCAP;
	memcpy(l->mac, cm->mac, TENET_MAC_LEN);
	ret = host_pa(c, cm->host, &l->pa);
	if (ret)
		return ret;
	/* Already there as it would be made (a store rebuilt from `show`
	 * lines, where the lookup lines come first): nothing to add. */
	if (pol_load(c, &rec, &old) == 0 && old.lookup.has_ca && old.lookup.pa == l->pa &&
	    !memcmp(old.lookup.mac, l->mac, TENET_MAC_LEN) && old.lookup.type == l->type &&
	    old.lookup.rule == l->rule)
		return 0;
	return pol_put_nested(c, &rec);
}

static int compartment_put(struct pctx *c, struct tenet_record *in)
{
	struct tenet_compartment *cm = &in->compartment;
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT };
	const struct tenet_compartment *old = NULL;
	struct tenet_record_list all = { 0 };
	struct tenet_vsubnet vs;
	int ret;

	ret = check_names(c, cm->host, cm->name);
	if (!ret)
		ret = compartment_check(cm, c->err);
	if (!ret)
		ret = pol_need_rdomain(c, cm->rdomain, NULL);
	if (!ret && cm->vsid)
		ret = pol_need_vsubnet(c, cm->vsid, &vs);
	if (!ret && cm->vsid && strcmp(vs.rdomain, cm->rdomain))
		ret = tenet_err_set(c->err, -EINVAL, "vsid %u: in routing domain %s, not %s",
				    cm->vsid, vs.rdomain, cm->rdomain);
	if (!ret && cm->vsid)
		ret = check_cmp_addr(c, cm, &vs);
	if (!ret && !cm->vsid)
		ret = check_vlan(c, cm);
	if (!ret)
		ret = pol_check_mac(c, cm->mac);
	if (!ret)
		ret = check_external(c, cm);
	if (!ret)
		ret = pol_load_kind(c, TENET_KIND_COMPARTMENT, cm->host, &all);
	if (!ret)
		ret = check_siblings(c, cm, &all, &old);
	if (!ret)
		ret = check_replace(c, cm, old);
	if (!ret && !old)
		ret = check_port_macs(c, cm);
	if (!ret && !old && cm->vsid)
		ret = put_cmp_lookup(c, cm);
	rec.compartment = *cm;
	if (!ret)
		ret = pol_txn_put(c, &rec);
	tenet_record_list_free(&all);
	return ret;
}

static int load_compartment(struct pctx *c, const char *host, const char *name,
			    struct tenet_compartment *out)
{
	struct tenet_record id = { .kind = TENET_KIND_COMPARTMENT }, rec;
	int ret;

	snprintf(id.compartment.host, sizeof(id.compartment.host), "%s", host);
	snprintf(id.compartment.name, sizeof(id.compartment.name), "%s", name);
	ret = pol_load(c, &id, &rec);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "compartment %s: no such compartment on host %s",
				     name, host);
	if (ret == 0)
		*out = rec.compartment;
	return ret;
}


/* The compartment's own lookup record (same CA and MAC), if still there. */
static int del_cmp_lookup(struct pctx *c, const struct tenet_compartment *cm)
{
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP }, rec;
	int ret;

	id.lookup.vsid = cm->vsid;
	id.lookup.has_ca = true;
	id.lookup.ca = cm->addr.addr;
	ret = pol_load(c, &id, &rec);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0 && ret != -EBADMSG)
		return ret;
	if (ret == 0 && memcmp(rec.lookup.mac, cm->mac, TENET_MAC_LEN))
		return 0;       /* someone else's record now */
	return pol_txn_del(c, &id);
}

/* With the compartment go the routes via its address, its lookup
 * record, and its routing domain's NAT, inbound mappings and S2S
 * interfaces on the host. */
static int compartment_del(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_compartment *id = &in->compartment;
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT }, nat;
	struct tenet_compartment cm;
	int ret;

	ret = check_names(c, id->host, id->name);
	if (!ret)
		ret = load_compartment(c, id->host, id->name, &cm);
	if (!ret)
		ret = pol_drop_routes_via(c, cm.rdomain, cm.addr.addr);
	if (!ret && cm.vsid)
		ret = del_cmp_lookup(c, &cm);
	if (!ret)
		ret = pol_del_natmaps(c, cm.host, cm.rdomain);
	if (!ret)
		ret = pol_del_s2s(c, cm.host, cm.rdomain);
	if (!ret)
		ret = pol_del_filters(c, cm.host, TENET_FILTER_INTERNAL, cm.name);
	if (!ret)
		ret = pol_del_ravpn(c, cm.host, cm.rdomain);
	if (!ret)
		ret = pol_del_bgp(c, cm.host, cm.rdomain);
	nat.kind = TENET_KIND_NAT;
	memset(&nat.nat, 0, sizeof(nat.nat));
	if (!ret) {
		strcpy(nat.nat.host, cm.host);
		strcpy(nat.nat.rdomain, cm.rdomain);
		ret = pol_txn_del(c, &nat);
	}
	rec.compartment = cm;
	if (!ret)
		ret = pol_txn_del(c, &rec);
	return ret;
}

const struct tenet_kind_desc tenet_kind_compartment = {
	.kind = TENET_KIND_COMPARTMENT,
	.name = "compartment",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_compartment),
	.host_off = offsetof(struct tenet_compartment, host),
	.keys = compartment_keys,
	.nkeys = ARRAY_SIZE(compartment_keys),
	.fields = compartment_fields,
	.check = compartment_check,
	.sort = compartment_sort,
	.guards = compartment_guards,
	.put = compartment_put,
	.del = compartment_del,
};

json_t *tenet_compartment_to_json(const struct tenet_compartment *c)
{
	return tenet_codec_to_json(&tenet_kind_compartment, c);
}

int tenet_compartment_from_json(const json_t *j, struct tenet_compartment *c,
				struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_compartment, j, c, err);
}

int pol_compartment_of(struct pctx *c, const char *host, const char *rdomain,
		       struct tenet_compartment *out)
{
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_COMPARTMENT, host, &all);
	if (ret < 0)
		return ret;
	ret = tenet_err_set(c->err, -ENOENT,
			    "rdomain %s: no compartment on host %s (tenet compartment add first)",
			    rdomain, host);
	for (size_t i = 0; i < all.n; i++) {
		if (!strcmp(all.recs[i].compartment.rdomain, rdomain)) {
			tenet_err_clear(c->err);
			if (out)
				*out = all.recs[i].compartment;
			ret = 0;
			break;
		}
	}
	tenet_record_list_free(&all);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* Validated writes of the gateway records (compartments, NAT, static
 * inbound mappings), through the same optimistic-concurrency machinery as
 * every other policy write (policy_int.h). The rules are in
 * docs/gateway.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tenet/limits.h>

#include "policy/policy_int.h"

/* ---- compartments ---- */

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

	for (size_t i = 0; i < 3; i++)
		if (!strncmp(dev, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

static int check_external(struct pctx *c, const struct tenet_compartment *cm)
{
	char a[TENET_PREFIX_STRLEN];
	uint32_t ip = ntohl(cm->ext_addr.addr);

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
	if (!ip || ip >> 28 >= 14 || (ip >> 24) == 127 || !cm->ext_addr.len ||
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

/* The lookup record that makes the compartment's CA reachable. */
static int put_cmp_lookup(struct pctx *c, const struct tenet_compartment *cm)
{
	struct tenet_lookup l = { .vsid = cm->vsid, .has_ca = true, .ca = cm->addr.addr,
				  .type = TENET_LOOKUP_STATIC, .rule = TENET_RULE_ENCAP };
	int ret;

	memcpy(l.mac, cm->mac, TENET_MAC_LEN);
	ret = host_pa(c, cm->host, &l.pa);
	return ret ? ret : pol_lookup_put(c, &l);
}

static int compartment_put(struct pctx *c, void *arg)
{
	struct tenet_compartment *cm = arg;
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT };
	const struct tenet_compartment *old = NULL;
	struct tenet_record_list all = { 0 };
	struct tenet_vsubnet vs;
	int ret;

	ret = check_names(c, cm->host, cm->name);
	if (!ret)
		ret = pol_need_rdomain(c, cm->rdomain, NULL);
	if (!ret)
		ret = pol_need_vsubnet(c, cm->vsid, &vs);
	if (!ret && strcmp(vs.rdomain, cm->rdomain))
		ret = tenet_err_set(c->err, -EINVAL, "vsid %u: in routing domain %s, not %s",
				    cm->vsid, vs.rdomain, cm->rdomain);
	if (!ret)
		ret = check_cmp_addr(c, cm, &vs);
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
	if (!ret && !old)
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

/* The compartment of rdomain on host: 0, or -ENOENT with the message. */
static int rdomain_compartment(struct pctx *c, const char *host, const char *rdomain,
			       struct tenet_compartment *out)
{
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_COMPARTMENT, host, &all);
	if (ret < 0)
		return ret;
	ret = tenet_err_set(c->err, -ENOENT, "rdomain %s: no compartment on host %s", rdomain,
			    host);
	for (size_t i = 0; i < all.n; i++) {
		if (!strcmp(all.recs[i].compartment.rdomain, rdomain)) {
			if (out)
				*out = all.recs[i].compartment;
			tenet_err_clear(c->err);
			ret = 0;
			break;
		}
	}
	tenet_record_list_free(&all);
	return ret;
}

static int del_natmaps(struct pctx *c, const char *host, const char *rdomain, size_t *n)
{
	struct tenet_record_list maps;
	int ret;

	*n = 0;
	ret = pol_load_kind(c, TENET_KIND_NATMAP, host, &maps);
	for (size_t i = 0; ret == 0 && i < maps.n; i++) {
		if (strcmp(maps.recs[i].natmap.rdomain, rdomain))
			continue;
		(*n)++;
		ret = pol_txn_del(c, &maps.recs[i]);
	}
	tenet_record_list_free(&maps);
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

static int compartment_del(struct pctx *c, void *arg)
{
	const struct tenet_compartment *id = arg;
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT }, nat;
	struct tenet_compartment cm;
	size_t n;
	int ret;

	ret = check_names(c, id->host, id->name);
	if (!ret)
		ret = load_compartment(c, id->host, id->name, &cm);
	if (!ret)
		ret = pol_drop_routes_via(c, cm.rdomain, cm.addr.addr);
	if (!ret)
		ret = del_cmp_lookup(c, &cm);
	if (!ret)
		ret = del_natmaps(c, cm.host, cm.rdomain, &n);
	nat.kind = TENET_KIND_NAT;
	memset(&nat.nat, 0, sizeof(nat.nat));
	strcpy(nat.nat.host, cm.host);
	strcpy(nat.nat.rdomain, cm.rdomain);
	if (!ret)
		ret = pol_txn_del(c, &nat);
	rec.compartment = cm;
	if (!ret)
		ret = pol_txn_del(c, &rec);
	return ret;
}

/* ---- NAT ---- */

static int check_unicast(struct pctx *c, const char *what, uint32_t addr)
{
	char a[TENET_IPV4_STRLEN];
	uint32_t ip = ntohl(addr);

	if (!ip || ip >> 28 >= 14 || (ip >> 24) == 127)
		return tenet_err_set(c->err, -EINVAL, "%s %s: not a unicast address", what,
				     tenet_fmt_ipv4(addr, a));
	return 0;
}

static int nat_put(struct pctx *c, void *arg)
{
	const struct tenet_nat *n = arg;
	struct tenet_record rec = { .kind = TENET_KIND_NAT, .nat = *n }, old;
	char a[TENET_IPV4_STRLEN];
	int ret;

	ret = check_names(c, n->host, NULL);
	if (!ret)
		ret = check_unicast(c, "external", n->external);
	if (!ret && n->via)
		ret = check_unicast(c, "via", n->via);
	if (!ret && (n->port_max < n->port_min || (n->port_max && !n->port_min)))
		ret = tenet_err_set(c->err, -EINVAL, "ports %u-%u: not a range", n->port_min,
				    n->port_max);
	if (!ret)
		ret = rdomain_compartment(c, n->host, n->rdomain, NULL);
	if (ret)
		return ret;
	ret = pol_load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST, "rdomain %s: already has nat on host %s (external %s)",
				     n->rdomain, n->host, tenet_fmt_ipv4(old.nat.external, a));
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return pol_txn_put(c, &rec);
}

static int nat_del(struct pctx *c, void *arg)
{
	const struct tenet_record *id = arg;
	struct tenet_record old;
	struct tenet_record_list maps;
	size_t n = 0;
	int ret;

	ret = pol_load(c, id, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "rdomain %s: no nat on host %s",
				     id->nat.rdomain, id->nat.host);
	if (ret < 0 && ret != -EBADMSG)
		return ret;
	ret = pol_load_kind(c, TENET_KIND_NATMAP, id->nat.host, &maps);
	for (size_t i = 0; ret == 0 && i < maps.n; i++)
		n += !strcmp(maps.recs[i].natmap.rdomain, id->nat.rdomain);
	tenet_record_list_free(&maps);
	if (ret == 0 && n && !(c->flags & TENET_POLICY_FORCE))
		return tenet_err_set(c->err, -ENOTEMPTY,
				     "rdomain %s: still has %zu inbound mapping%s (use force)",
				     id->nat.rdomain, n, n == 1 ? "" : "s");
	if (ret == 0)
		ret = del_natmaps(c, id->nat.host, id->nat.rdomain, &n);
	return ret ? ret : pol_txn_del(c, id);
}

static const char *map_desc(const struct tenet_natmap *m, char *buf, size_t len)
{
	char a[TENET_IPV4_STRLEN];

	snprintf(buf, len, "external %s %s:%u", tenet_proto_name(m->proto),
		 tenet_fmt_ipv4(m->external, a), m->ext_port);
	return buf;
}

static int natmap_put(struct pctx *c, void *arg)
{
	const struct tenet_natmap *m = arg;
	struct tenet_record rec = { .kind = TENET_KIND_NATMAP, .natmap = *m }, old, nat;
	struct tenet_lookup ca;
	char d[96], a[TENET_IPV4_STRLEN];
	int ret;

	ret = check_names(c, m->host, NULL);
	if (!ret && m->proto != 6 && m->proto != 17)
		ret = tenet_err_set(c->err, -EINVAL, "proto %u: not tcp or udp", m->proto);
	if (!ret && (!m->ext_port || !m->ca_port))
		ret = tenet_err_set(c->err, -EINVAL, "port 0: not a port");
	if (!ret)
		ret = check_unicast(c, "external", m->external);
	if (!ret)
		ret = rdomain_compartment(c, m->host, m->rdomain, NULL);
	if (ret)
		return ret;
	nat.kind = TENET_KIND_NAT;
	memset(&nat.nat, 0, sizeof(nat.nat));
	strcpy(nat.nat.host, m->host);
	strcpy(nat.nat.rdomain, m->rdomain);
	ret = pol_load(c, &nat, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT,
				     "rdomain %s: no nat on host %s (tenet nat add first)",
				     m->rdomain, m->host);
	if (ret < 0)
		return ret;
	ret = pol_find_ca(c, m->rdomain, m->ca, &ca);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "ca %s: no lookup record in routing domain %s",
				     tenet_fmt_ipv4(m->ca, a), m->rdomain);
	if (ret < 0)
		return ret;
	ret = pol_load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST, "%s: already mapped to %s:%u in %s",
				     map_desc(m, d, sizeof(d)),
				     tenet_fmt_ipv4(old.natmap.ca, a), old.natmap.ca_port,
				     old.natmap.rdomain);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return pol_txn_put(c, &rec);
}

static int natmap_del(struct pctx *c, void *arg)
{
	const struct tenet_record *id = arg;
	struct tenet_record old;
	char d[96];
	int ret;

	ret = pol_load(c, id, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "%s: no inbound mapping on host %s",
				     map_desc(&id->natmap, d, sizeof(d)), id->natmap.host);
	if (ret < 0 && ret != -EBADMSG)
		return ret;
	return pol_txn_del(c, id);
}

/* ---- entry points (from policy.c's switches) ---- */

int tenet_gw_policy_put(struct tenet_store *s, struct tenet_record *rec, unsigned int flags,
			int64_t *rev, struct tenet_err *err)
{
	switch (rec->kind) {
	case TENET_KIND_COMPARTMENT:
		return pol_run(s, compartment_put, &rec->compartment, flags, rev, err);
	case TENET_KIND_NAT:
		return pol_run(s, nat_put, &rec->nat, flags, rev, err);
	case TENET_KIND_NATMAP:
		return pol_run(s, natmap_put, &rec->natmap, flags, rev, err);
	default:
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)rec->kind);
	}
}

int tenet_gw_policy_del(struct tenet_store *s, const struct tenet_record *id, unsigned int flags,
			int64_t *rev, struct tenet_err *err)
{
	struct tenet_record copy = *id;

	switch (id->kind) {
	case TENET_KIND_COMPARTMENT:
		return pol_run(s, compartment_del, &copy.compartment, flags, rev, err);
	case TENET_KIND_NAT:
		return pol_run(s, nat_del, &copy, flags, rev, err);
	case TENET_KIND_NATMAP:
		return pol_run(s, natmap_del, &copy, flags, rev, err);
	default:
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)id->kind);
	}
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

int tenet_gw_record_cmp(const struct tenet_record *a, const struct tenet_record *b)
{
	int r;

	switch (a->kind) {
	case TENET_KIND_COMPARTMENT:
		r = strcmp(a->compartment.host, b->compartment.host);
		return r ? r : cmp_u32(a->compartment.id, b->compartment.id);
	case TENET_KIND_NAT:
		r = strcmp(a->nat.host, b->nat.host);
		return r ? r : strcmp(a->nat.rdomain, b->nat.rdomain);
	case TENET_KIND_NATMAP:
		r = strcmp(a->natmap.host, b->natmap.host);
		if (!r)
			r = cmp_u32(ntohl(a->natmap.external), ntohl(b->natmap.external));
		if (!r)
			r = cmp_u32(a->natmap.proto, b->natmap.proto);
		return r ? r : cmp_u32(a->natmap.ext_port, b->natmap.ext_port);
	default:
		return 0;
	}
}

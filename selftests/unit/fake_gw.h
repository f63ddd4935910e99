/* SPDX-License-Identifier: GPL-2.0 */
/* A fake kernel behind the gateway reconcilers' ops tables (agent/gw/vrf.h,
 * agent/gw/nat.h): links with their settings, addresses, tenet's routes
 * and rules, and the nftables table. Every change is recorded as one line
 * ("vrf_add tvrf1", "route_set 10001 0.0.0.0/0") so tests can check what
 * the reconcilers did and in which order, and any change can be made to
 * fail. Reads are not recorded: a round that changes nothing records
 * nothing. Header only: each unit test is one program. */
#ifndef TENET_FAKE_GW_H
#define TENET_FAKE_GW_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "gw/nat.h"
#include "gw/vrf.h"

#define FGW_MAX_LINKS 32
#define FGW_MAX_ADDRS 32
#define FGW_MAX_ROUTES 64
#define FGW_MAX_RULES 16
#define FGW_MAX_CALLS 256

struct fgw_link {
	struct nl_link l;       /* name, ifindex, kind, alias, master, flags, mac, mtu */
	int forwarding, rp_filter, gro;
};

struct fgw_addr {
	char dev[IF_NAMESIZE];
	uint32_t addr;
	uint8_t plen;
};

struct fgw_route {
	struct vrf_route_key k;
	struct vrf_route_val v;
};

struct fake_gw {
	struct fgw_link links[FGW_MAX_LINKS];
	int nlinks;
	struct fgw_addr addrs[FGW_MAX_ADDRS];
	int naddrs;
	struct fgw_route routes[FGW_MAX_ROUTES];
	int nroutes;
	struct vrf_rule_key rules[FGW_MAX_RULES];
	int nrules;
	char *nft;              /* tenet's table: the text applied; NULL none */
	int napplied;
	char calls[FGW_MAX_CALLS][64];
	int ncalls;
	char fail_call[64];     /* a change that fails (once unless sticky) */
	int fail_err;
	int fail_sticky;
	uint32_t next_ifindex;
};

static inline int fgw_record(struct fake_gw *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int fgw_record(struct fake_gw *f, const char *fmt, ...)
{
	char line[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (f->ncalls < FGW_MAX_CALLS)
		strcpy(f->calls[f->ncalls++], line);
	if (f->fail_call[0] && !strcmp(line, f->fail_call)) {
		if (!f->fail_sticky)
			f->fail_call[0] = '\0';
		return f->fail_err;
	}
	return 0;
}

static inline int fgw_call_index(const struct fake_gw *f, const char *prefix)
{
	for (int i = 0; i < f->ncalls; i++)
		if (!strncmp(f->calls[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

static inline int fgw_calls_count(const struct fake_gw *f, const char *prefix)
{
	int n = 0;

	for (int i = 0; i < f->ncalls; i++)
		n += !strncmp(f->calls[i], prefix, strlen(prefix));
	return n;
}

static inline void fgw_dump_calls(const struct fake_gw *f)
{
	for (int i = 0; i < f->ncalls; i++)
		fprintf(stderr, "  call %d: %s\n", i, f->calls[i]);
}

static inline struct fgw_link *fgw_link(struct fake_gw *f, const char *name)
{
	for (int i = 0; i < f->nlinks; i++)
		if (!strcmp(f->links[i].l.name, name))
			return &f->links[i];
	return NULL;
}

static inline struct fgw_link *fgw_link_index(struct fake_gw *f, uint32_t ifindex)
{
	for (int i = 0; i < f->nlinks; i++)
		if (f->links[i].l.ifindex == ifindex)
			return &f->links[i];
	return NULL;
}

/* A link as the kernel would have it (the operator's, or tenet's with
 * alias "tenet-gw:..."). */
static inline struct fgw_link *fgw_add_link(struct fake_gw *f, const char *name, const char *kind,
					    const char *alias)
{
	struct fgw_link *l = &f->links[f->nlinks++];

	memset(l, 0, sizeof(*l));
	snprintf(l->l.name, sizeof(l->l.name), "%s", name);
	snprintf(l->l.kind, sizeof(l->l.kind), "%s", kind ? kind : "");
	snprintf(l->l.alias, sizeof(l->l.alias), "%s", alias ? alias : "");
	l->l.ifindex = f->next_ifindex++;
	l->l.mtu = 1500;
	return l;
}

static inline void fgw_del_link_raw(struct fake_gw *f, struct fgw_link *l)
{
	uint32_t ifindex = l->l.ifindex;

	/* Its addresses and its routes go with it; its slaves are released. */
	for (int i = 0; i < f->naddrs; i++)
		if (!strcmp(f->addrs[i].dev, l->l.name))
			f->addrs[i--] = f->addrs[--f->naddrs];
	for (int i = 0; i < f->nroutes; i++)
		if (!strcmp(f->routes[i].v.dev, l->l.name))
			f->routes[i--] = f->routes[--f->nroutes];
	for (int i = 0; i < f->nlinks; i++)
		if (f->links[i].l.master == ifindex)
			f->links[i].l.master = 0;
	*l = f->links[--f->nlinks];
}

static inline bool fgw_has_addr(struct fake_gw *f, const char *dev, const char *addr)
{
	for (int i = 0; i < f->naddrs; i++)
		if (!strcmp(f->addrs[i].dev, dev) && f->addrs[i].addr == inet_addr(addr))
			return true;
	return false;
}

static inline void fgw_put_addr(struct fake_gw *f, const char *dev, const char *addr, uint8_t plen)
{
	struct fgw_addr *a = &f->addrs[f->naddrs++];

	snprintf(a->dev, sizeof(a->dev), "%s", dev);
	a->addr = inet_addr(addr);
	a->plen = plen;
}

static inline struct fgw_route *fgw_route(struct fake_gw *f, uint32_t table, const char *dst,
					  uint8_t plen, uint8_t type)
{
	for (int i = 0; i < f->nroutes; i++) {
		struct fgw_route *r = &f->routes[i];

		if (r->k.table == table && r->k.dst == inet_addr(dst) && r->k.plen == plen &&
		    r->k.type == type)
			return r;
	}
	return NULL;
}

static inline int fgw_routes_in(const struct fake_gw *f, uint32_t table)
{
	int n = 0;

	for (int i = 0; i < f->nroutes; i++)
		n += f->routes[i].k.table == table;
	return n;
}

static inline bool fgw_has_rule(const struct fake_gw *f, uint32_t fwmark, uint32_t table)
{
	for (int i = 0; i < f->nrules; i++)
		if (f->rules[i].fwmark == fwmark && f->rules[i].table == table)
			return true;
	return false;
}

/* ---- vrf_ops ---- */

static int fgw_link_dump(void *ctx, struct nl_link **out, size_t *n)
{
	struct fake_gw *f = ctx;

	*out = calloc((size_t)f->nlinks + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < f->nlinks; i++)
		(*out)[i] = f->links[i].l;
	*n = (size_t)f->nlinks;
	return 0;
}

static int fgw_link_owner(void *ctx, const char *name)
{
	struct fgw_link *l = fgw_link(ctx, name);

	if (!l)
		return -ENODEV;
	return !strncmp(l->l.alias, TENET_GW_ALIAS_PFX, strlen(TENET_GW_ALIAS_PFX));
}

static int fgw_link_mtu(void *ctx, const char *name)
{
	struct fgw_link *l = fgw_link(ctx, name);

	return l ? (int)l->l.mtu : -ENODEV;
}

static int fgw_vrf_add(void *ctx, const char *name, uint32_t table, const char *alias)
{
	struct fake_gw *f = ctx;
	int ret = fgw_record(f, "vrf_add %s", name);

	if (ret)
		return ret;
	if (fgw_link(f, name))
		return -EEXIST;
	fgw_add_link(f, name, "vrf", alias)->l.vrf_table = table;
	return 0;
}

static int fgw_veth_add(void *ctx, const char *name, const char *peer, uint32_t mtu,
			const char *alias)
{
	struct fake_gw *f = ctx;
	int ret = fgw_record(f, "veth_add %s %s", name, peer);

	if (ret)
		return ret;
	if (fgw_link(f, name) || fgw_link(f, peer))
		return -EEXIST;
	fgw_add_link(f, name, "veth", alias)->l.mtu = mtu;
	fgw_add_link(f, peer, "veth", alias)->l.mtu = mtu;
	return 0;
}

static int fgw_vlan_add(void *ctx, const char *name, const char *parent, uint16_t vlan,
			const char *alias)
{
	struct fake_gw *f = ctx;
	int ret = fgw_record(f, "vlan_add %s %s %u", name, parent, vlan);
	struct fgw_link *p, *l;

	if (ret)
		return ret;
	p = fgw_link(f, parent);
	if (!p)
		return -ENODEV;
	if (fgw_link(f, name))
		return -EEXIST;
	l = fgw_add_link(f, name, "vlan", alias);
	l->l.vlan_id = vlan;
	l->l.link = fgw_link(f, parent)->l.ifindex;
	return 0;
}

static int fgw_link_del(void *ctx, const char *name)
{
	struct fake_gw *f = ctx;
	struct fgw_link *l;
	int ret = fgw_record(f, "link_del %s", name);

	if (ret)
		return ret;
	l = fgw_link(f, name);
	if (!l)
		return -ENODEV;
	/* A veth's peer goes with it. */
	if (!strncmp(name, TENET_GW_INT_PFX, strlen(TENET_GW_INT_PFX))) {
		char peer[IF_NAMESIZE];
		struct fgw_link *p;

		snprintf(peer, sizeof(peer), TENET_GW_PORT_PFX "%s",
			 name + strlen(TENET_GW_INT_PFX));
		p = fgw_link(f, peer);
		if (p)
			fgw_del_link_raw(f, p);
		l = fgw_link(f, name);
	}
	fgw_del_link_raw(f, l);
	return 0;
}

static int fgw_link_master(void *ctx, const char *name, const char *master)
{
	struct fake_gw *f = ctx;
	struct fgw_link *l, *m = NULL;
	int ret = fgw_record(f, "link_master %s %s", name, master ? master : "none");

	if (ret)
		return ret;
	l = fgw_link(f, name);
	if (master)
		m = fgw_link(f, master);
	if (!l || (master && !m))
		return -ENODEV;
	l->l.master = m ? m->l.ifindex : 0;
	return 0;
}

static int fgw_link_mac(void *ctx, const char *name, const uint8_t mac[6])
{
	struct fake_gw *f = ctx;
	struct fgw_link *l;
	int ret = fgw_record(f, "link_mac %s", name);

	if (ret)
		return ret;
	l = fgw_link(f, name);
	if (!l)
		return -ENODEV;
	memcpy(l->l.mac, mac, 6);
	return 0;
}

static int fgw_setting_get(void *ctx, const char *dev, enum vrf_setting which)
{
	struct fgw_link *l = fgw_link(ctx, dev);

	if (!l)
		return -ENODEV;
	switch (which) {
	case SET_UP: return !!(l->l.flags & IFF_UP);
	case SET_FORWARDING: return l->forwarding;
	case SET_RP_FILTER: return l->rp_filter;
	case SET_GRO: return l->gro;
	}
	return -EINVAL;
}

static int fgw_setting_set(void *ctx, const char *dev, enum vrf_setting which, int val)
{
	struct fake_gw *f = ctx;
	struct fgw_link *l;
	int ret = fgw_record(f, "setting %s %u %d", dev, which, val);

	if (ret)
		return ret;
	l = fgw_link(f, dev);
	if (!l)
		return -ENODEV;
	switch (which) {
	case SET_UP: l->l.flags = val ? l->l.flags | IFF_UP : l->l.flags & ~IFF_UP; break;
	case SET_FORWARDING: l->forwarding = val; break;
	case SET_RP_FILTER: l->rp_filter = val; break;
	case SET_GRO: l->gro = val; break;
	}
	return 1;
}

static int fgw_addr_dump(void *ctx, gw_addr_cb cb, void *arg)
{
	struct fake_gw *f = ctx;

	for (int i = 0; i < f->naddrs; i++) {
		struct fgw_link *l = fgw_link(f, f->addrs[i].dev);
		int ret = cb(f->addrs[i].dev, l ? l->l.ifindex : 0, f->addrs[i].addr,
			     f->addrs[i].plen, arg);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int fgw_addr_add(void *ctx, const char *dev, __be32 addr, uint8_t plen)
{
	struct fake_gw *f = ctx;
	struct in_addr a = { .s_addr = addr };
	int ret = fgw_record(f, "addr_add %s %s", dev, inet_ntoa(a));

	if (ret)
		return ret;
	if (!fgw_link(f, dev))
		return -ENODEV;
	for (int i = 0; i < f->naddrs; i++)
		if (!strcmp(f->addrs[i].dev, dev) && f->addrs[i].addr == addr) {
			f->addrs[i].plen = plen;
			return 0;
		}
	fgw_put_addr(f, dev, inet_ntoa(a), plen);
	return 0;
}

static int fgw_addr_del(void *ctx, const char *dev, __be32 addr)
{
	struct fake_gw *f = ctx;
	struct in_addr a = { .s_addr = addr };
	int ret = fgw_record(f, "addr_del %s %s", dev, inet_ntoa(a));

	if (ret)
		return ret;
	for (int i = 0; i < f->naddrs; i++)
		if (!strcmp(f->addrs[i].dev, dev) && f->addrs[i].addr == addr) {
			f->addrs[i] = f->addrs[--f->naddrs];
			return 0;
		}
	return -EADDRNOTAVAIL;
}

static int fgw_route_dump(void *ctx, vrf_entry_cb cb, void *arg)
{
	struct fake_gw *f = ctx;

	for (int i = 0; i < f->nroutes; i++) {
		int ret = cb(&f->routes[i].k, &f->routes[i].v, arg);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int fgw_route_set(void *ctx, const struct vrf_route_key *k, const struct vrf_route_val *v)
{
	struct fake_gw *f = ctx;
	struct in_addr a = { .s_addr = k->dst };
	int ret = fgw_record(f, "route_set %u %s/%u", k->table, inet_ntoa(a), k->plen);

	if (ret)
		return ret;
	if (k->type == RTN_UNICAST && !fgw_link(f, v->dev))
		return -ENODEV;
	for (int i = 0; i < f->nroutes; i++)
		if (!memcmp(&f->routes[i].k, k, sizeof(*k))) {
			f->routes[i].v = *v;
			return 0;
		}
	f->routes[f->nroutes].k = *k;
	f->routes[f->nroutes++].v = *v;
	return 0;
}

static int fgw_route_del(void *ctx, const struct vrf_route_key *k, const struct vrf_route_val *v)
{
	struct fake_gw *f = ctx;
	struct in_addr a = { .s_addr = k->dst };
	int ret = fgw_record(f, "route_del %u %s/%u", k->table, inet_ntoa(a), k->plen);

	if (ret)
		return ret;
	for (int i = 0; i < f->nroutes; i++)
		if (!memcmp(&f->routes[i].k, k, sizeof(*k))) {
			f->routes[i] = f->routes[--f->nroutes];
			return 0;
		}
	return -ESRCH;
}

static int fgw_rule_dump(void *ctx, vrf_entry_cb cb, void *arg)
{
	struct fake_gw *f = ctx;
	struct vrf_rule_val v = { .one = 1 };

	for (int i = 0; i < f->nrules; i++) {
		int ret = cb(&f->rules[i], &v, arg);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int fgw_rule_add(void *ctx, const struct vrf_rule_key *k)
{
	struct fake_gw *f = ctx;
	int ret = fgw_record(f, "rule_add 0x%08x %u", k->fwmark, k->table);

	if (ret)
		return ret;
	for (int i = 0; i < f->nrules; i++)
		if (!memcmp(&f->rules[i], k, sizeof(*k)))
			return -EEXIST;
	f->rules[f->nrules++] = *k;
	return 0;
}

static int fgw_rule_del(void *ctx, const struct vrf_rule_key *k)
{
	struct fake_gw *f = ctx;
	int ret = fgw_record(f, "rule_del 0x%08x %u", k->fwmark, k->table);

	if (ret)
		return ret;
	for (int i = 0; i < f->nrules; i++)
		if (!memcmp(&f->rules[i], k, sizeof(*k))) {
			f->rules[i] = f->rules[--f->nrules];
			return 0;
		}
	return -ENOENT;
}

/* ---- nat_ops ---- */

static int fgw_nft_apply(void *ctx, const char *text, char *err, size_t errlen)
{
	struct fake_gw *f = ctx;
	int ret = fgw_record(f, text ? "nft_apply" : "nft_delete");

	if (ret) {
		snprintf(err, errlen, "Error: Could not process rule: Invalid argument");
		return ret;
	}
	free(f->nft);
	f->nft = text ? strdup(text) : NULL;
	f->napplied++;
	return 0;
}

static int fgw_nft_present(void *ctx)
{
	return ((struct fake_gw *)ctx)->nft != NULL;
}

static inline void fake_gw_init(struct fake_gw *f, struct vrf_ops *vops, struct nat_ops *nops)
{
	memset(f, 0, sizeof(*f));
	f->next_ifindex = 2;
	*vops = (struct vrf_ops){
		.ctx = f,
		.link_dump = fgw_link_dump,
		.link_owner = fgw_link_owner,
		.link_mtu = fgw_link_mtu,
		.vrf_add = fgw_vrf_add,
		.veth_add = fgw_veth_add,
		.vlan_add = fgw_vlan_add,
		.link_del = fgw_link_del,
		.link_master = fgw_link_master,
		.link_mac = fgw_link_mac,
		.setting_get = fgw_setting_get,
		.setting_set = fgw_setting_set,
		.addr_dump = fgw_addr_dump,
		.addr_add = fgw_addr_add,
		.addr_del = fgw_addr_del,
		.route_dump = fgw_route_dump,
		.route_set = fgw_route_set,
		.route_del = fgw_route_del,
		.rule_dump = fgw_rule_dump,
		.rule_add = fgw_rule_add,
		.rule_del = fgw_rule_del,
	};
	*nops = (struct nat_ops){
		.ctx = f,
		.addr_dump = fgw_addr_dump,
		.apply = fgw_nft_apply,
		.present = fgw_nft_present,
	};
}

static inline void fake_gw_free(struct fake_gw *f)
{
	free(f->nft);
	f->nft = NULL;
}

#endif

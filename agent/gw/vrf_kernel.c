// SPDX-License-Identifier: GPL-2.0
/* The vrf reconciler's kernel side: rtnetlink (lib/nl), sysctls and
 * ethtool, by device name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "gw/vrf.h"
#include "nl/addr.h"
#include "nl/link.h"
#include "nl/route.h"
#include "nl/rule.h"

struct vrf_kernel {
	struct vrf_ops ops;
	struct nl nl;
};

static int k_link_dump(void *ctx, struct nl_link **out, size_t *n)
{
	struct vrf_kernel *k = ctx;

	return nl_link_dump(&k->nl, out, n);
}

static int k_link_owner(void *ctx, const char *name)
{
	struct vrf_kernel *k = ctx;
	struct nl_link l;
	int ret = nl_link_get_name(&k->nl, name, &l);

	if (ret < 0)
		return ret;
	return !strncmp(l.alias, TENET_GW_ALIAS_PFX, strlen(TENET_GW_ALIAS_PFX));
}

static int k_link_mtu(void *ctx, const char *name)
{
	struct vrf_kernel *k = ctx;
	struct nl_link l;
	int ret = nl_link_get_name(&k->nl, name, &l);

	return ret < 0 ? ret : (int)l.mtu;
}

static int k_vrf_add(void *ctx, const char *name, uint32_t table, const char *alias)
{
	struct vrf_kernel *k = ctx;
	int ret = nl_link_add_vrf(&k->nl, name, table);

	if (ret < 0)
		return ret;
	ret = nl_ifindex(name);
	return ret < 0 ? ret : nl_link_set_alias(&k->nl, (uint32_t)ret, alias);
}

static int k_veth_add(void *ctx, const char *name, const char *peer, uint32_t mtu,
		      const char *alias)
{
	struct vrf_kernel *k = ctx;
	int ret = nl_link_add_veth(&k->nl, name, peer, mtu), ifi, ifp;

	if (ret < 0)
		return ret;
	ifi = nl_ifindex(name);
	ifp = nl_ifindex(peer);
	if (ifi < 0 || ifp < 0)
		return -ENODEV;
	ret = nl_link_set_alias(&k->nl, (uint32_t)ifi, alias);
	return ret < 0 ? ret : nl_link_set_alias(&k->nl, (uint32_t)ifp, alias);
}

static int k_vlan_add(void *ctx, const char *name, const char *parent, uint16_t vlan,
		      const char *alias)
{
	struct vrf_kernel *k = ctx;
	int p = nl_ifindex(parent), ifi, ret;

	if (p < 0)
		return p;
	ret = nl_link_add_vlan(&k->nl, (uint32_t)p, vlan, name);
	if (ret < 0)
		return ret;
	ifi = nl_ifindex(name);
	return ifi < 0 ? ifi : nl_link_set_alias(&k->nl, (uint32_t)ifi, alias);
}

static int k_link_del(void *ctx, const char *name)
{
	return nl_link_del_name(&((struct vrf_kernel *)ctx)->nl, name);
}

static int k_link_master(void *ctx, const char *name, const char *master)
{
	return nl_link_set_master_name(&((struct vrf_kernel *)ctx)->nl, name, master);
}

static int k_link_mac(void *ctx, const char *name, const uint8_t mac[6])
{
	struct vrf_kernel *k = ctx;
	int ifindex = nl_ifindex(name);

	return ifindex < 0 ? ifindex : nl_link_set_mac(&k->nl, (uint32_t)ifindex, mac);
}

static const char *sysctl_key(enum vrf_setting which)
{
	return which == SET_FORWARDING ? "forwarding" : "rp_filter";
}

static int k_setting_get(void *ctx, const char *dev, enum vrf_setting which)
{
	struct vrf_kernel *k = ctx;
	struct nl_link l;
	int ret, val;

	switch (which) {
	case SET_UP:
		ret = nl_link_get_name(&k->nl, dev, &l);
		return ret < 0 ? ret : !!(l.flags & IFF_UP);
	case SET_GRO:
		return nl_link_gro_get(dev);
	default:
		ret = sysctl_dev_get("ipv4", dev, sysctl_key(which), &val);
		return ret < 0 ? ret : val;
	}
}

static int k_setting_set(void *ctx, const char *dev, enum vrf_setting which, int val)
{
	struct vrf_kernel *k = ctx;
	int ifindex;

	switch (which) {
	case SET_UP:
		ifindex = nl_ifindex(dev);
		return ifindex < 0 ? ifindex : nl_link_set_up(&k->nl, (uint32_t)ifindex);
	case SET_GRO:
		return nl_link_gro_set(dev, val);
	default:
		return sysctl_dev_set("ipv4", dev, sysctl_key(which), val);
	}
}

int gw_kernel_addr_dump(struct nl *nl, gw_addr_cb cb, void *arg)
{
	struct nl_addr *a;
	char dev[IF_NAMESIZE];
	size_t n;
	int ret = nl_addr_dump(nl, &a, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++)
		if (if_indextoname(a[i].ifindex, dev))
			ret = cb(dev, a[i].ifindex, a[i].addr, a[i].plen, arg);
	free(a);
	return ret < 0 ? ret : 0;
}

static int k_addr_dump(void *ctx, gw_addr_cb cb, void *arg)
{
	struct vrf_kernel *k = ctx;

	return gw_kernel_addr_dump(&k->nl, cb, arg);
}

static int k_addr_add(void *ctx, const char *dev, __be32 addr, uint8_t plen)
{
	struct vrf_kernel *k = ctx;
	int ifindex = nl_ifindex(dev);

	return ifindex < 0 ? ifindex : nl_addr_add(&k->nl, (uint32_t)ifindex, addr, plen);
}

static int k_addr_del(void *ctx, const char *dev, __be32 addr)
{
	struct vrf_kernel *k = ctx;
	int ifindex = nl_ifindex(dev);

	return ifindex < 0 ? ifindex : nl_addr_del(&k->nl, (uint32_t)ifindex, addr);
}

static int k_route_dump(void *ctx, vrf_entry_cb cb, void *arg)
{
	struct vrf_kernel *k = ctx;
	struct nl_route *rs;
	size_t n;
	int ret = nl_route_dump(&k->nl, &rs, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++) {
		struct vrf_route_key key = { .table = rs[i].table, .dst = rs[i].dst,
					     .plen = rs[i].plen, .type = rs[i].type,
					     .metric = rs[i].metric };
		struct vrf_route_val v = { .via = rs[i].via };

		if (rs[i].table == RT_TABLE_MAIN)
			continue;
		if (rs[i].oif && !if_indextoname(rs[i].oif, v.dev))
			v.dev[0] = '\0';
		ret = cb(&key, &v, arg);
	}
	free(rs);
	return ret < 0 ? ret : 0;
}

/* The next hop is valid before (or without) the address that makes it
 * connected: onlink. */
static int to_nl(const struct vrf_route_key *k, const struct vrf_route_val *v,
		 struct nl_route *r, bool need_dev)
{
	*r = (struct nl_route){ .table = k->table, .dst = k->dst, .plen = k->plen,
				.type = k->type, .metric = k->metric };
	if (k->type != RTN_UNICAST || !v)
		return 0;
	r->via = v->via;
	r->onlink = v->via != 0;
	if (v->dev[0]) {
		int ifindex = nl_ifindex(v->dev);

		if (ifindex < 0 && need_dev)
			return ifindex;
		r->oif = ifindex < 0 ? 0 : (uint32_t)ifindex;
	}
	return 0;
}

static int k_route_set(void *ctx, const struct vrf_route_key *key, const struct vrf_route_val *v)
{
	struct vrf_kernel *k = ctx;
	struct nl_route r;
	int ret = to_nl(key, v, &r, true);

	return ret < 0 ? ret : nl_route_add(&k->nl, &r, true);
}

static int k_route_del(void *ctx, const struct vrf_route_key *key, const struct vrf_route_val *v)
{
	struct vrf_kernel *k = ctx;
	struct nl_route r;

	to_nl(key, v, &r, false);
	return nl_route_del(&k->nl, &r);
}

static int k_rule_dump(void *ctx, vrf_entry_cb cb, void *arg)
{
	struct vrf_kernel *k = ctx;
	struct vrf_rule_val v = { .one = 1 };
	struct nl_rule *rs;
	size_t n;
	int ret = nl_rule_dump(&k->nl, &rs, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++) {
		struct vrf_rule_key key = { .pref = rs[i].pref, .fwmark = rs[i].fwmark,
					    .table = rs[i].table };

		ret = cb(&key, &v, arg);
	}
	free(rs);
	return ret < 0 ? ret : 0;
}

static int k_rule_add(void *ctx, const struct vrf_rule_key *key)
{
	struct vrf_kernel *k = ctx;
	struct nl_rule r = { .pref = key->pref, .fwmark = key->fwmark, .table = key->table };

	return nl_rule_add(&k->nl, &r);
}

static int k_rule_del(void *ctx, const struct vrf_rule_key *key)
{
	struct vrf_kernel *k = ctx;
	struct nl_rule r = { .pref = key->pref, .fwmark = key->fwmark, .table = key->table };

	return nl_rule_del(&k->nl, &r);
}

int vrf_kernel_open(struct vrf_ops **ops)
{
	struct vrf_kernel *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	ret = nl_open(&k->nl);
	if (ret < 0) {
		free(k);
		return ret;
	}
	k->ops = (struct vrf_ops){
		.ctx = k,
		.link_dump = k_link_dump,
		.link_owner = k_link_owner,
		.link_mtu = k_link_mtu,
		.vrf_add = k_vrf_add,
		.veth_add = k_veth_add,
		.vlan_add = k_vlan_add,
		.link_del = k_link_del,
		.link_master = k_link_master,
		.link_mac = k_link_mac,
		.setting_get = k_setting_get,
		.setting_set = k_setting_set,
		.addr_dump = k_addr_dump,
		.addr_add = k_addr_add,
		.addr_del = k_addr_del,
		.route_dump = k_route_dump,
		.route_set = k_route_set,
		.route_del = k_route_del,
		.rule_dump = k_rule_dump,
		.rule_add = k_rule_add,
		.rule_del = k_rule_del,
	};
	*ops = &k->ops;
	return 0;
}

void vrf_kernel_close(struct vrf_ops *ops)
{
	struct vrf_kernel *k = ops ? ops->ctx : NULL;

	if (!k)
		return;
	nl_close(&k->nl);
	free(k);
}

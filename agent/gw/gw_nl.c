// SPDX-License-Identifier: GPL-2.0
/* Gateway rtnetlink requests (see gw_nl.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "gw/gw_nl.h"

/* ---- growing arrays for dumps ---- */

struct vec {
	void *items;
	size_t n, cap, size;
	int err;
};

static void *vec_push(struct vec *v)
{
	void *p;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;

		p = realloc(v->items, cap * v->size);
		if (!p) {
			v->err = -ENOMEM;
			return NULL;
		}
		v->items = p;
		v->cap = cap;
	}
	p = (char *)v->items + v->n++ * v->size;
	memset(p, 0, v->size);
	return p;
}

static int vec_done(struct vec *v, int ret, void *out, size_t *n)
{
	if (!ret)
		ret = v->err;
	if (ret) {
		free(v->items);
		v->items = NULL;
		v->n = 0;
	}
	*(void **)out = v->items;
	*n = v->n;
	return ret;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	/* Every table here is sized IFLA_MAX + 1, the largest of the kinds. */
	if (type <= IFLA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* ---- links ---- */

static int link_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *li[IFLA_MAX + 1] = { 0 };
	struct gw_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb) < 0)
		return MNL_CB_OK;
	l = vec_push(arg);
	if (!l)
		return MNL_CB_OK;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MASTER])
		l->master = mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_IFALIAS])
		snprintf(l->alias, sizeof(l->alias), "%s", mnl_attr_get_str(tb[IFLA_IFALIAS]));
	if (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_cb, li) >= 0 &&
	    li[IFLA_INFO_KIND])
		snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(li[IFLA_INFO_KIND]));
	return MNL_CB_OK;
}

int gwnl_link_dump(struct nl *nl, struct gw_link **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct vec v = { .size = sizeof(struct gw_link) };

	ifi->ifi_family = AF_UNSPEC;
	return vec_done(&v, nl_transact(nl, nlh, link_dump_cb, &v), out, n);
}

static struct nlmsghdr *newlink(struct nl *nl, char *buf, uint32_t ifindex, uint16_t flags)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_NEWLINK, NLM_F_ACK | flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nlh;
}

int gwnl_vrf_add(struct nl *nl, const char *name, uint32_t table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = newlink(nl, buf, 0, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vrf");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, table);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_transact(nl, nlh, NULL, NULL);
}

int gwnl_veth_add(struct nl *nl, const char *name, const char *peer, uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = newlink(nl, buf, 0, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data, *pinfo;
	struct ifinfomsg *pifi;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is described by an ifinfomsg followed by its attributes. */
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, pinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_transact(nl, nlh, NULL, NULL);
}

int gwnl_link_del(struct nl *nl, uint32_t ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nl_transact(nl, nlh, NULL, NULL);
}

int gwnl_link_master(struct nl *nl, uint32_t ifindex, uint32_t master)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = newlink(nl, buf, ifindex, 0);

	mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return nl_transact(nl, nlh, NULL, NULL);
}

int gwnl_link_alias(struct nl *nl, uint32_t ifindex, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = newlink(nl, buf, ifindex, 0);

	mnl_attr_put_str(nlh, IFLA_IFALIAS, alias);
	return nl_transact(nl, nlh, NULL, NULL);
}

int gwnl_link_mac(struct nl *nl, uint32_t ifindex, const uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = newlink(nl, buf, ifindex, 0);

	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	return nl_transact(nl, nlh, NULL, NULL);
}

/* ---- routes ---- */

static struct nlmsghdr *route_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				  const struct gw_route *r)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, NLM_F_ACK | flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = TENET_RTPROT;
	rtm->rtm_type = r->type;
	rtm->rtm_scope = r->type != RTN_UNICAST || r->via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->plen)
		mnl_attr_put_u32(nlh, RTA_DST, r->dst);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->type == RTN_UNICAST && r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->type == RTN_UNICAST && r->via) {
		mnl_attr_put_u32(nlh, RTA_GATEWAY, r->via);
		/* The next hop is valid before (or without) the address that
		 * makes it connected. */
		rtm->rtm_flags |= RTNH_F_ONLINK;
	}
	return nlh;
}

int gwnl_route_set(struct nl *nl, const struct gw_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, route_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, r),
			   NULL, NULL);
}

int gwnl_route_del(struct nl *nl, const struct gw_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = route_msg(nl, buf, RTM_DELROUTE, 0, r);

	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_scope = RT_SCOPE_NOWHERE;
	return nl_transact(nl, nlh, NULL, NULL);
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	struct gw_route *r;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET ||
	    rtm->rtm_protocol != TENET_RTPROT ||
	    mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0)
		return MNL_CB_OK;
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table == RT_TABLE_MAIN)
		return MNL_CB_OK;
	r = vec_push(arg);
	if (!r)
		return MNL_CB_OK;
	r->table = table;
	r->plen = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	if (tb[RTA_DST])
		r->dst = mnl_attr_get_u32(tb[RTA_DST]);
	if (tb[RTA_OIF])
		r->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY])
		r->via = mnl_attr_get_u32(tb[RTA_GATEWAY]);
	if (tb[RTA_PRIORITY])
		r->metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	return MNL_CB_OK;
}

int gwnl_route_dump(struct nl *nl, struct gw_route **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct vec v = { .size = sizeof(struct gw_route) };

	rtm->rtm_family = AF_INET;
	return vec_done(&v, nl_transact(nl, nlh, route_dump_cb, &v), out, n);
}

/* ---- rules ---- */

static int rule_msg(struct nl *nl, uint16_t type, uint16_t flags, const struct gw_rule *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, NLM_F_ACK | flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	frh->table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->pref);
	mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, TENET_RTPROT);
	return nl_transact(nl, nlh, NULL, NULL);
}

int gwnl_rule_add(struct nl *nl, const struct gw_rule *r)
{
	return rule_msg(nl, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r);
}

int gwnl_rule_del(struct nl *nl, const struct gw_rule *r)
{
	return rule_msg(nl, RTM_DELRULE, 0, r);
}

static int rule_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	struct gw_rule *r;

	if (nlh->nlmsg_type != RTM_NEWRULE || frh->family != AF_INET ||
	    mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb) < 0 || !tb[FRA_PROTOCOL] ||
	    mnl_attr_get_u8(tb[FRA_PROTOCOL]) != TENET_RTPROT)
		return MNL_CB_OK;
	r = vec_push(arg);
	if (!r)
		return MNL_CB_OK;
	r->pref = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	r->fwmark = tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
	r->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : frh->table;
	return MNL_CB_OK;
}

int gwnl_rule_dump(struct nl *nl, struct gw_rule **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	struct vec v = { .size = sizeof(struct gw_rule) };

	frh->family = AF_INET;
	return vec_done(&v, nl_transact(nl, nlh, rule_dump_cb, &v), out, n);
}

/* ---- sysctl, ethtool ---- */

int gw_gro_on(const char *dev)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_SGRO, .data = 1 };
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

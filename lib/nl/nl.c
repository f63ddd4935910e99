// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "nl/nl.h"

int nl_open(struct nl *nl)
{
	memset(nl, 0, sizeof(*nl));
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		nl_close(nl);
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

struct nlmsghdr *nl_msg_start(struct nl *nl, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send a request and run the replies through cb (NULL: expect an ACK).
 * Returns 0 or the kernel's -errno. */
int nl_transact(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, arg);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* ---- links ---- */

static int link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int info_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int vlan_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_VLAN_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* IFLA_LINKINFO of a VLAN device: kind "vlan", data IFLA_VLAN_ID. */
static void parse_vlan(const struct nlattr *linkinfo, struct nl_link *l)
{
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct nlattr *data[IFLA_VLAN_MAX + 1] = { 0 };

	if (mnl_attr_parse_nested(linkinfo, info_attr, info) < 0 || !info[IFLA_INFO_KIND] ||
	    strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "vlan") || !info[IFLA_INFO_DATA])
		return;
	if (mnl_attr_parse_nested(info[IFLA_INFO_DATA], vlan_attr, data) < 0 ||
	    !data[IFLA_VLAN_ID])
		return;
	l->vlan = mnl_attr_get_u16(data[IFLA_VLAN_ID]);
}

static int parse_link(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };

	memset(l, 0, sizeof(*l));
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr, tb) < 0)
		return -EINVAL;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->deleted = nlh->nlmsg_type == RTM_DELLINK;
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	l->type = ifi->ifi_type;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
		l->has_mac = true;
	}
	if (tb[IFLA_LINK])
		l->link = mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINKINFO])
		parse_vlan(tb[IFLA_LINKINFO], l);
	return 0;
}

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	return parse_link(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nl_link_get(struct nl *nl, uint32_t ifindex, struct nl_link *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* The ACK ends the exchange after the one RTM_NEWLINK answer. */
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	return nl_transact(nl, nlh, link_cb, out);
}

static struct nlmsghdr *link_msg(struct nl *nl, char *buf, uint32_t ifindex, uint16_t flags,
				 struct ifinfomsg **ifi)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_NEWLINK, NLM_F_ACK | flags);

	*ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifi));
	(*ifi)->ifi_family = AF_UNSPEC;
	(*ifi)->ifi_index = (int)ifindex;
	return nlh;
}

int nl_link_set_up(struct nl *nl, uint32_t ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(nl, buf, ifindex, 0, &ifi);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_link_set_mtu(struct nl *nl, uint32_t ifindex, uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(nl, buf, ifindex, 0, &ifi);

	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_vlan_add(struct nl *nl, uint32_t parent, uint16_t vlan, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(nl, buf, 0, NLM_F_CREATE | NLM_F_EXCL, &ifi);
	struct nlattr *info, *data;

	mnl_attr_put_u32(nlh, IFLA_LINK, parent);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, vlan);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_transact(nl, nlh, NULL, NULL);
}

/* ---- addresses ---- */

static struct nlmsghdr *addr_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				 uint32_t ifindex, uint8_t plen)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, NLM_F_ACK | flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	return nlh;
}

int nl_addr_add(struct nl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = addr_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
					ifindex, plen);

	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	return nl_transact(nl, nlh, NULL, NULL);
}

/* With IFA_LOCAL only, the kernel matches the address whatever its
 * prefix length (which a restarted agent may not know). */
int nl_addr_del(struct nl *nl, uint32_t ifindex, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = addr_msg(nl, buf, RTM_DELADDR, 0, ifindex, 0);

	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	return nl_transact(nl, nlh, NULL, NULL);
}

/* ---- routes ---- */

static struct nlmsghdr *route_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				  uint32_t dst, uint8_t plen, uint32_t ifindex, uint32_t via)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, NLM_F_ACK | flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = TENET_RTPROT;
	rtm->rtm_scope = via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (plen)
		mnl_attr_put_u32(nlh, RTA_DST, dst);
	if (ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	if (via)
		mnl_attr_put_u32(nlh, RTA_GATEWAY, via);
	return nlh;
}

int nl_route_add(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t ifindex, uint32_t via)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	/* EXCL: never replace a route someone else owns (say the connected
	 * route of the PA's subnet); the caller treats -EEXIST as present. */
	struct nlmsghdr *nlh = route_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
					 dst, plen, ifindex, via);

	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = route_msg(nl, buf, RTM_DELROUTE, 0, dst, plen, ifindex, 0);

	/* Any scope: the kernel matches the scope given unless it is NOWHERE. */
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_scope = RT_SCOPE_NOWHERE;
	return nl_transact(nl, nlh, NULL, NULL);
}

static int route_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, RTA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int route_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_route_hop *h = arg;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (rtm->rtm_type != RTN_UNICAST || mnl_attr_parse(nlh, sizeof(*rtm), route_attr, tb) < 0 ||
	    !tb[RTA_OIF]) {
		errno = ENETUNREACH;
		return MNL_CB_ERROR;
	}
	h->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	h->gateway = tb[RTA_GATEWAY] ? mnl_attr_get_u32(tb[RTA_GATEWAY]) : 0;
	return MNL_CB_OK;
}

int nl_route_get(struct nl *nl, uint32_t src, uint32_t dst, uint32_t oif,
		 struct nl_route_hop *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETROUTE, NLM_F_ACK);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put_u32(nlh, RTA_DST, dst);
	if (src) {
		rtm->rtm_src_len = 32;
		mnl_attr_put_u32(nlh, RTA_SRC, src);
	}
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	memset(out, 0, sizeof(*out));
	return nl_transact(nl, nlh, route_get_cb, out);
}

static int neigh_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NDA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int parse_neigh(const struct nlmsghdr *nlh, struct nl_neigh *n)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };

	memset(n, 0, sizeof(*n));
	if (ndm->ndm_family != AF_INET || mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr, tb) < 0 ||
	    !tb[NDA_DST] || mnl_attr_get_payload_len(tb[NDA_DST]) != 4)
		return -EINVAL;
	n->ifindex = (uint32_t)ndm->ndm_ifindex;
	n->ip = mnl_attr_get_u32(tb[NDA_DST]);
	n->state = ndm->ndm_state;
	n->deleted = nlh->nlmsg_type == RTM_DELNEIGH;
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(n->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		n->has_mac = true;
	}
	return 0;
}

static int neigh_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	return parse_neigh(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nl_neigh_get(struct nl *nl, uint32_t ifindex, uint32_t ip, struct nl_neigh *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETNEIGH, NLM_F_ACK);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, ip);
	return nl_transact(nl, nlh, neigh_get_cb, out);
}

struct dump_ctx {
	nl_route_cb cb;
	void *arg;
	int err;
};

static int route_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct dump_ctx *c = arg;
	uint32_t table, dst = 0, oif = 0, via = 0;

	if (rtm->rtm_family != AF_INET || rtm->rtm_protocol != TENET_RTPROT ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr, tb) < 0)
		return MNL_CB_OK;
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (tb[RTA_DST])
		dst = mnl_attr_get_u32(tb[RTA_DST]);
	if (tb[RTA_OIF])
		oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY])
		via = mnl_attr_get_u32(tb[RTA_GATEWAY]);
	/* Keep reading to the end of the dump even if the callback fails,
	 * or the socket would hold stale replies. */
	if (!c->err)
		c->err = c->cb(dst, rtm->rtm_dst_len, oif, via, c->arg);
	return MNL_CB_OK;
}

int nl_route_dump(struct nl *nl, nl_route_cb cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct dump_ctx c = { .cb = cb, .arg = arg };
	int ret;

	rtm->rtm_family = AF_INET;
	ret = nl_transact(nl, nlh, route_cb, &c);
	return ret < 0 ? ret : c.err;
}

/* ---- link monitor ---- */

int nl_monitor_open(struct nl *nl)
{
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!nl->sk)
		return -errno;
	if (mnl_socket_bind(nl->sk, RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_NEIGH,
			    MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		nl_close(nl);
		return ret;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	return 0;
}

int nl_monitor_fd(const struct nl *nl)
{
	return mnl_socket_get_fd(nl->sk);
}

struct mon_ctx {
	const struct nl_monitor_cbs *cbs;
	void *arg;
};

static int monitor_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct mon_ctx *m = arg;
	struct nl_neigh n;
	struct nl_link l;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (m->cbs->link && parse_link(nlh, &l) == 0)
			m->cbs->link(&l, m->arg);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (m->cbs->route)
			m->cbs->route(m->arg);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (m->cbs->neigh && parse_neigh(nlh, &n) == 0)
			m->cbs->neigh(&n, m->arg);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int nl_monitor_read(struct nl *nl, const struct nl_monitor_cbs *cbs, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mon_ctx m = { .cbs = cbs, .arg = arg };
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		/* Events carry sequence 0 and come from the kernel (port 0). */
		if (mnl_cb_run(buf, (size_t)n, 0, 0, monitor_cb, &m) < 0)
			return -errno;
	}
}

/* ---- sysctl ---- */

int sysctl_dev_set(const char *family, const char *dev, const char *key, int val)
{
	char path[160], cur[16] = "", want[16];
	int fd, n, ret = 0;

	if (snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, dev, key) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(want, sizeof(want), "%d\n", val);
	if (read(fd, cur, sizeof(cur) - 1) > 0 && !strcmp(cur, want))
		goto out;
	ret = pwrite(fd, want, (size_t)n, 0) == n ? 1 : -errno;
out:
	close(fd);
	return ret;
}

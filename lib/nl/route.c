// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/route.h"

static struct nlmsghdr *route_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				  const struct nl_route *r)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	if (type == RTM_GETROUTE)
		return nlh;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->proto ? r->proto : TENET_RTPROT;
	rtm->rtm_type = r->type;
	/* A delete matches any scope only with RT_SCOPE_NOWHERE. */
	rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE :
			 r->type == RTN_UNICAST && !r->via ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->plen)
		mnl_attr_put_u32(nlh, RTA_DST, r->dst);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->type == RTN_UNICAST && r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->type == RTN_UNICAST && r->via) {
		mnl_attr_put_u32(nlh, RTA_GATEWAY, r->via);
		if (r->onlink)
			rtm->rtm_flags |= RTNH_F_ONLINK;
	}
	return nlh;
}

int nl_route_add(struct nl *nl, const struct nl_route *r, bool replace)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint16_t flags = NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);

	return nl_transact(nl, route_msg(nl, buf, RTM_NEWROUTE, flags, r), NULL, NULL);
}

int nl_route_del(struct nl *nl, const struct nl_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, route_msg(nl, buf, RTM_DELROUTE, NLM_F_ACK, r), NULL, NULL);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, RTA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int dump_proto(const struct nlmsghdr *nlh, void *arg, uint8_t proto)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_route *r;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET ||
	    rtm->rtm_protocol != proto || mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0)
		return MNL_CB_OK;
	r = nl_vec_push(arg);
	if (!r)
		return MNL_CB_OK;
	r->proto = proto == TENET_RTPROT ? 0 : proto;
	r->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->plen = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	r->onlink = rtm->rtm_flags & RTNH_F_ONLINK;
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

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	return dump_proto(nlh, arg, TENET_RTPROT);
}

static int dump_s2s_cb(const struct nlmsghdr *nlh, void *arg)
{
	return dump_proto(nlh, arg, TENET_RTPROT_S2S);
}

static int dump_ra_cb(const struct nlmsghdr *nlh, void *arg)
{
	return dump_proto(nlh, arg, TENET_RTPROT_RA);
}

int nl_route_dump_proto(struct nl *nl, uint8_t proto, struct nl_route **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = route_msg(nl, buf, RTM_GETROUTE, NLM_F_DUMP, NULL);

	if (proto != TENET_RTPROT && proto != TENET_RTPROT_S2S && proto != TENET_RTPROT_RA)
		return -EINVAL;
	return nl_dump(nl, nlh, proto == TENET_RTPROT ? dump_cb :
		       proto == TENET_RTPROT_S2S ? dump_s2s_cb : dump_ra_cb,
		       sizeof(struct nl_route), out, n);
}

int nl_route_dump(struct nl *nl, struct nl_route **out, size_t *n)
{
	return nl_route_dump_proto(nl, TENET_RTPROT, out, n);
}

static int route_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_route_hop *h = arg;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (rtm->rtm_type != RTN_UNICAST || mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0 ||
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

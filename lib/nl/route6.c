// SPDX-License-Identifier: GPL-2.0
/* IPv6 routes (route6.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/route6.h"

static struct nlmsghdr *route6_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				   const struct nl_route6 *r)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	if (!r)
		return nlh;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->proto;
	rtm->rtm_type = r->type;
	/* A delete matches any scope only with RT_SCOPE_NOWHERE. */
	rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->plen)
		mnl_attr_put(nlh, RTA_DST, sizeof(r->dst), r->dst);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	if (r->type == RTN_UNICAST && r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	return nlh;
}

int nl_route6_add(struct nl *nl, const struct nl_route6 *r, bool replace)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint16_t flags = NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL);

	return nl_transact(nl, route6_msg(nl, buf, RTM_NEWROUTE, flags, r), NULL, NULL);
}

int nl_route6_del(struct nl *nl, const struct nl_route6 *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, route6_msg(nl, buf, RTM_DELROUTE, NLM_F_ACK, r), NULL, NULL);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, RTA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* Every tenet-looking route is collected (the callback knows no
 * protocol); nl_route6_dump_proto keeps the one asked for. */
static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct nl_route6 *r;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET6 ||
	    rtm->rtm_protocol < TENET_RTPROT || rtm->rtm_protocol > TENET_RTPROT_RA ||
	    mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0)
		return MNL_CB_OK;
	r = nl_vec_push(arg);
	if (!r)
		return MNL_CB_OK;
	r->proto = rtm->rtm_protocol;
	r->table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r->plen = rtm->rtm_dst_len;
	r->type = rtm->rtm_type;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) == sizeof(r->dst))
		memcpy(r->dst, mnl_attr_get_payload(tb[RTA_DST]), sizeof(r->dst));
	if (tb[RTA_OIF] && r->type == RTN_UNICAST)
		r->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PRIORITY])
		r->metric = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	return MNL_CB_OK;
}

int nl_route6_dump_proto(struct nl *nl, uint8_t proto, struct nl_route6 **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = route6_msg(nl, buf, RTM_GETROUTE, NLM_F_DUMP, NULL);
	struct nl_route6 *rs = NULL;
	size_t m = 0, j = 0;
	int ret = nl_dump(nl, nlh, dump_cb, sizeof(struct nl_route6), &rs, &m);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < m; i++)
		if (rs[i].proto == proto)
			rs[j++] = rs[i];
	*out = rs;
	*n = j;
	return 0;
}

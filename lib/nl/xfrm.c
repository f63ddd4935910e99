// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/xfrm.h"

static struct nlmsghdr *msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	return nlh;
}

int nl_xfrm_add(struct nl *nl, const char *name, uint32_t if_id, uint32_t mtu,
		const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = msg(nl, buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (alias && *alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "xfrm");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_XFRM_IF_ID, if_id);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_transact(nl, nlh, NULL, NULL);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) <= IFLA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *li[IFLA_MAX + 1] = { 0 };
	const struct nlattr *data[IFLA_MAX + 1] = { 0 };
	struct nl_xfrm_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb) < 0 ||
	    !tb[IFLA_LINKINFO] || mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_cb, li) < 0 ||
	    !li[IFLA_INFO_KIND] || strcmp(mnl_attr_get_str(li[IFLA_INFO_KIND]), "xfrm"))
		return MNL_CB_OK;
	l = nl_vec_push(arg);
	if (!l)
		return MNL_CB_OK;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (tb[IFLA_MASTER])
		l->master = mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_IFALIAS])
		snprintf(l->alias, sizeof(l->alias), "%s", mnl_attr_get_str(tb[IFLA_IFALIAS]));
	if (li[IFLA_INFO_DATA] && mnl_attr_parse_nested(li[IFLA_INFO_DATA], attr_cb, data) >= 0 &&
	    data[IFLA_XFRM_IF_ID])
		l->if_id = mnl_attr_get_u32(data[IFLA_XFRM_IF_ID]);
	return MNL_CB_OK;
}

int nl_xfrm_dump(struct nl *nl, struct nl_xfrm_link **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_dump(nl, msg(nl, buf, RTM_GETLINK, NLM_F_DUMP), dump_cb,
		       sizeof(struct nl_xfrm_link), out, n);
}

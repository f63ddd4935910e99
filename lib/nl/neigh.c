// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/neigh.h"

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NDA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

int nl_neigh_parse(const struct nlmsghdr *nlh, struct nl_neigh *n)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };

	memset(n, 0, sizeof(*n));
	if (ndm->ndm_family != AF_INET || mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, tb) < 0 ||
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

static int get_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	return nl_neigh_parse(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nl_neigh_get(struct nl *nl, uint32_t ifindex, uint32_t ip, struct nl_neigh *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, RTM_GETNEIGH, NLM_F_ACK);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put_u32(nlh, NDA_DST, ip);
	return nl_transact(nl, nlh, get_cb, out);
}

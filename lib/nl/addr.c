// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/addr.h"

static struct nlmsghdr *addr_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				 uint32_t ifindex, uint8_t plen)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
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
	struct nlmsghdr *nlh = addr_msg(nl, buf, RTM_NEWADDR,
					NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, ifindex, plen);

	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	return nl_transact(nl, nlh, NULL, NULL);
}

int nl_addr_del(struct nl *nl, uint32_t ifindex, uint32_t addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = addr_msg(nl, buf, RTM_DELADDR, NLM_F_ACK, ifindex, 0);

	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	return nl_transact(nl, nlh, NULL, NULL);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct nl_addr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
	    mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb) < 0 ||
	    !(tb[IFA_LOCAL] || tb[IFA_ADDRESS]))
		return MNL_CB_OK;
	a = nl_vec_push(arg);
	if (!a)
		return MNL_CB_OK;
	a->ifindex = ifa->ifa_index;
	a->plen = ifa->ifa_prefixlen;
	a->addr = mnl_attr_get_u32(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS]);
	return MNL_CB_OK;
}

int nl_addr_dump(struct nl *nl, struct nl_addr **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = addr_msg(nl, buf, RTM_GETADDR, NLM_F_DUMP, 0, 0);

	return nl_dump(nl, nlh, dump_cb, sizeof(struct nl_addr), out, n);
}

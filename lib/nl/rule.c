// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "nl/rule.h"

static struct nlmsghdr *rule_msg(struct nl *nl, char *buf, uint16_t type, uint16_t flags,
				 const struct nl_rule *r)
{
	struct nlmsghdr *nlh = nl_msg_start(nl, buf, type, flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = AF_INET;
	if (type == RTM_GETRULE)
		return nlh;
	frh->action = FR_ACT_TO_TBL;
	frh->table = RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->pref);
	mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, TENET_RTPROT);
	return nlh;
}

int nl_rule_add(struct nl *nl, const struct nl_rule *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, rule_msg(nl, buf, RTM_NEWRULE,
					NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, r), NULL, NULL);
}

int nl_rule_del(struct nl *nl, const struct nl_rule *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_transact(nl, rule_msg(nl, buf, RTM_DELRULE, NLM_F_ACK, r), NULL, NULL);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, FRA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FRA_MAX + 1] = { 0 };
	struct nl_rule *r;

	if (nlh->nlmsg_type != RTM_NEWRULE || frh->family != AF_INET ||
	    mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb) < 0 || !tb[FRA_PROTOCOL] ||
	    mnl_attr_get_u8(tb[FRA_PROTOCOL]) != TENET_RTPROT)
		return MNL_CB_OK;
	r = nl_vec_push(arg);
	if (!r)
		return MNL_CB_OK;
	r->pref = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	r->fwmark = tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
	r->table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : frh->table;
	return MNL_CB_OK;
}

int nl_rule_dump(struct nl *nl, struct nl_rule **out, size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rule_msg(nl, buf, RTM_GETRULE, NLM_F_DUMP, NULL);

	return nl_dump(nl, nlh, dump_cb, sizeof(struct nl_rule), out, n);
}

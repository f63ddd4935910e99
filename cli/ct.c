// SPDX-License-Identifier: GPL-2.0
/* Reading conntrack over ctnetlink (libmnl): one dump of the IPv4 table,
 * each entry's tuples, mark, zone and status. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "cli_gw.h"

struct ct_ctx {
	int (*cb)(const struct tenet_ct *e, void *arg);
	void *arg;
	int ret;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	/* The nests share this callback: bound by the largest type. */
	if (mnl_attr_get_type(a) <= CTA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void parse_tuple(const struct nlattr *nest, uint32_t *src, uint32_t *dst, uint16_t *sport,
			uint16_t *dport, uint8_t *proto)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 }, *ip[CTA_MAX + 1] = { 0 },
			    *pr[CTA_MAX + 1] = { 0 };

	mnl_attr_parse_nested(nest, attr_cb, tb);
	if (tb[CTA_TUPLE_IP]) {
		mnl_attr_parse_nested(tb[CTA_TUPLE_IP], attr_cb, ip);
		if (ip[CTA_IP_V4_SRC])
			*src = mnl_attr_get_u32(ip[CTA_IP_V4_SRC]);
		if (ip[CTA_IP_V4_DST])
			*dst = mnl_attr_get_u32(ip[CTA_IP_V4_DST]);
	}
	if (!tb[CTA_TUPLE_PROTO])
		return;
	mnl_attr_parse_nested(tb[CTA_TUPLE_PROTO], attr_cb, pr);
	if (pr[CTA_PROTO_NUM])
		*proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (pr[CTA_PROTO_SRC_PORT])
		*sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	if (pr[CTA_PROTO_DST_PORT])
		*dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	if (pr[CTA_PROTO_ICMP_ID])
		*sport = *dport = mnl_attr_get_u16(pr[CTA_PROTO_ICMP_ID]);
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct ct_ctx *c = data;
	struct tenet_ct e = { 0 };

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return MNL_CB_OK;
	if (tb[CTA_TUPLE_ORIG])
		parse_tuple(tb[CTA_TUPLE_ORIG], &e.osrc, &e.odst, &e.osport, &e.odport, &e.proto);
	if (tb[CTA_TUPLE_REPLY])
		parse_tuple(tb[CTA_TUPLE_REPLY], &e.rsrc, &e.rdst, &e.rsport, &e.rdport, &e.proto);
	if (tb[CTA_MARK])
		e.mark = ntohl(mnl_attr_get_u32(tb[CTA_MARK]));
	if (tb[CTA_ZONE])
		e.zone = ntohs(mnl_attr_get_u16(tb[CTA_ZONE]));
	if (tb[CTA_STATUS])
		e.status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	if (!c->ret)
		c->ret = c->cb(&e, c->arg);
	return MNL_CB_OK;
}

int tenet_ct_dump(int (*cb)(const struct tenet_ct *e, void *arg), void *arg,
		  struct tenet_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ct_ctx c = { .cb = cb, .arg = arg };
	struct mnl_socket *sk;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t n;
	int ret;

	sk = mnl_socket_open(NETLINK_NETFILTER);
	if (!sk)
		return tenet_err_set(err, -errno, "conntrack: %s", strerror(errno));
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = tenet_err_set(err, -errno, "conntrack: %s", strerror(errno));
		goto out;
	}
	portid = mnl_socket_get_portid(sk);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0) {
		ret = tenet_err_set(err, -errno, "conntrack: %s", strerror(errno));
		goto out;
	}
	do {
		n = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (n < 0)
			break;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, entry_cb, &c);
	} while (ret > 0);
	if (n < 0 || ret < 0)
		ret = tenet_err_set(err, -errno, "conntrack dump: %s (module nf_conntrack loaded?)",
				    strerror(errno));
	else
		ret = c.ret;
out:
	mnl_socket_close(sk);
	return ret;
}

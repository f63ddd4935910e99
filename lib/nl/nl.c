// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "nl/link.h"
#include "nl/neigh.h"
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

/* Clear NLM_F_DUMP_INTR (libmnl fails a message carrying it) and say
 * whether a message had it; whether one ends the exchange. */
static void scan(char *buf, size_t n, bool *intr, bool *end)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nlh->nlmsg_flags &= ~NLM_F_DUMP_INTR;
			*intr = true;
		}
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			*end = true;
	}
}

/* A dump is read to its end whatever happens on the way (a callback that
 * fails, a dump the kernel says was interrupted by a change): the kernel
 * would otherwise hand its rest to the next request on the socket. */
int nl_transact(struct nl *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	bool dump = nlh->nlmsg_flags & NLM_F_DUMP, intr = false, end;
	int ret, err = 0;
	ssize_t n;

	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		end = false;
		if (dump)
			scan(buf, (size_t)n, &intr, &end);
		ret = mnl_cb_run(buf, (size_t)n, seq, nl->portid, err ? NULL : cb, arg);
		if (ret < 0 && dump && !end) {
			err = -errno;
			ret = 1;
		}
	} while (ret > 0);
	if (ret < 0)
		return -errno;
	/* An interrupted dump may have missed or repeated objects. */
	return err ? err : intr ? -EINTR : 0;
}

void *nl_vec_push(struct nl_vec *v)
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

int nl_dump(struct nl *nl, struct nlmsghdr *nlh, nl_msg_cb cb, size_t size, void *out,
	    size_t *n)
{
	struct nl_vec v = { .size = size };
	int ret, tries = 3;

	do {
		free(v.items);
		v = (struct nl_vec){ .size = size };
		nlh->nlmsg_seq = ++nl->seq;
		ret = nl_transact(nl, nlh, cb, &v);
		if (!ret)
			ret = v.err;
	} while (ret == -EINTR && --tries);
	if (ret) {
		free(v.items);
		v.items = NULL;
		v.n = 0;
	}
	*(void **)out = v.items;
	*n = v.n;
	return ret;
}

/* ---- monitor ---- */

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
		if (m->cbs->link && nl_link_parse(nlh, &l) == 0)
			m->cbs->link(&l, m->arg);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (m->cbs->route)
			m->cbs->route(m->arg);
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (m->cbs->neigh && nl_neigh_parse(nlh, &n) == 0)
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

/* SPDX-License-Identifier: GPL-2.0 */
/* rtnetlink through libmnl: the socket, one request/reply exchange and a
 * monitor. The messages live by kernel object beside it: nl/link.h
 * (links and their settings), nl/addr.h, nl/route.h, nl/rule.h,
 * nl/neigh.h, nl/xfrm.h; each has
 * one builder per message type, shared by every user. IPv4 addresses are
 * in network byte order. Everything returns 0 or -errno and never logs. */
#ifndef TENET_NL_H
#define TENET_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rtm_protocol of the routes and rules tenet installs: how a restarted
 * agent finds its own and leaves everyone else's alone. Unassigned in
 * iproute2's rt_protos; "116 tenet" there makes `ip route` print it. */
#define TENET_RTPROT 116
/* ... and of the routes through site-to-site VPN interfaces, which their
 * own reconciler owns in the same tables ("117 tenet-s2s"). */
#define TENET_RTPROT_S2S 117
/* ... and of the address pools of remote-access VPN tenants. */
#define TENET_RTPROT_RA 118

struct mnl_socket;
struct nlmsghdr;

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/* Start a request in buf (MNL_SOCKET_BUFFER_SIZE bytes), send it and run
 * the replies through cb (NULL: expect an ACK); 0 or the kernel's -errno,
 * -EINTR for a dump a change interrupted (read again to be sure). */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *arg);
struct nlmsghdr *nl_msg_start(struct nl *nl, char *buf, uint16_t type, uint16_t flags);
int nl_transact(struct nl *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void *arg);

/* A growing array for dumps: requests may follow a dump only once it has
 * been read to its end, so dumps are collected first. */
struct nl_vec {
	void *items;
	size_t n, cap, size;
	int err;
};
/* A zeroed new item, or NULL (then err is -ENOMEM). */
void *nl_vec_push(struct nl_vec *v);
/* Send the dump request nlh and collect items of size bytes through cb
 * (which pushes them on the struct nl_vec it gets) into a malloc'd array
 * at out, n items. A dump a change interrupted is read again (a few
 * times). */
int nl_dump(struct nl *nl, struct nlmsghdr *nlh, nl_msg_cb cb, size_t size, void *out,
	    size_t *n);

struct nl_link;
struct nl_neigh;
/* A non-blocking socket subscribed to link, IPv4 route and neighbour
 * events. nl_monitor_read drains it, calling the callback of each kind
 * (NULL: ignored) per event; -ENOBUFS means events were lost (the caller
 * should assume anything changed). */
struct nl_monitor_cbs {
	void (*link)(const struct nl_link *l, void *arg);
	void (*route)(void *arg);       /* an IPv4 route was added or removed */
	void (*neigh)(const struct nl_neigh *n, void *arg);
};
int nl_monitor_open(struct nl *nl);
int nl_monitor_fd(const struct nl *nl);
int nl_monitor_read(struct nl *nl, const struct nl_monitor_cbs *cbs, void *arg);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The few rtnetlink requests tenetd makes (libmnl), and a link monitor.
 * IPv4 addresses are in network byte order. All return 0 or -errno. */
#ifndef TENETD_NL_H
#define TENETD_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

/* rtm_protocol of the provider routes tenet installs: how a restarted
 * agent finds its own routes and leaves everyone else's alone. Unassigned
 * in iproute2's rt_protos; "116 tenet" there makes `ip route` print it. */
#define TENET_RTPROT 116

struct mnl_socket;

struct nl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
};

struct nl_link {
	uint32_t ifindex;
	uint32_t mtu;
	uint32_t flags;         /* IFF_* */
	uint16_t type;          /* ARPHRD_* */
	uint16_t vlan;          /* 802.1Q VLAN ID of a VLAN device, else 0 */
	uint32_t link;          /* IFLA_LINK: a VLAN device's lower device, or 0 */
	uint8_t mac[6];
	bool has_mac;           /* a 6-byte hardware address */
	char name[IF_NAMESIZE];
	bool deleted;           /* a monitor event: RTM_DELLINK */
};

/* The route the kernel takes to dst from src out of oif (0: any). */
struct nl_route_hop {
	uint32_t oif;
	uint32_t gateway;       /* 0: on-link */
};

/* A neighbour entry: its state (NUD_*) and hardware address. */
struct nl_neigh {
	uint32_t ifindex;
	uint32_t ip;
	uint16_t state;
	bool has_mac;
	bool deleted;           /* a monitor event: RTM_DELNEIGH */
	uint8_t mac[6];
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

int nl_link_get(struct nl *nl, uint32_t ifindex, struct nl_link *out);
int nl_link_set_up(struct nl *nl, uint32_t ifindex);
int nl_link_set_mtu(struct nl *nl, uint32_t ifindex, uint32_t mtu);
/* Create name as an 802.1Q subdevice of parent; -EEXIST if it exists. */
int nl_vlan_add(struct nl *nl, uint32_t parent, uint16_t vlan, const char *name);

/* Add (or refresh: NLM_F_REPLACE) / delete an IPv4 address. */
int nl_addr_add(struct nl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen);
int nl_addr_del(struct nl *nl, uint32_t ifindex, uint32_t addr);

/* Main-table unicast routes with protocol TENET_RTPROT. via 0: on-link. */
int nl_route_add(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t ifindex, uint32_t via);
int nl_route_del(struct nl *nl, uint32_t dst, uint8_t plen, uint32_t ifindex);
/* RTM_GETROUTE: the unicast route from src to dst (oif 0: any device);
 * -ENETUNREACH when the answer is not a unicast route. */
int nl_route_get(struct nl *nl, uint32_t src, uint32_t dst, uint32_t oif,
		 struct nl_route_hop *out);
/* RTM_GETNEIGH of one IPv4 neighbour on ifindex; -ENOENT if none. */
int nl_neigh_get(struct nl *nl, uint32_t ifindex, uint32_t ip, struct nl_neigh *out);
typedef int (*nl_route_cb)(uint32_t dst, uint8_t plen, uint32_t ifindex, uint32_t via,
			   void *arg);
int nl_route_dump(struct nl *nl, nl_route_cb cb, void *arg);

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

/* For the other rtnetlink users (gw_nl.c): start a request in buf
 * (MNL_SOCKET_BUFFER_SIZE bytes), send it and run the replies through cb
 * (NULL: expect an ACK); 0 or the kernel's -errno. */
struct nlmsghdr;
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *arg);
struct nlmsghdr *nl_msg_start(struct nl *nl, char *buf, uint16_t type, uint16_t flags);
int nl_transact(struct nl *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void *arg);

/* /proc/sys/net/<family>/conf/<dev>/<key> = val (family "ipv4" or "ipv6"):
 * 1 if it changed, 0 if it already was, or -errno. */
int sysctl_dev_set(const char *family, const char *dev, const char *key, int val);

#endif

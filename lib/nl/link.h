/* SPDX-License-Identifier: GPL-2.0 */
/* Links (RTM_*LINK) and the per-device settings tenet needs beside them
 * (IPv4/IPv6 sysctls, GRO through ethtool). 0 or -errno. */
#ifndef TENET_NL_LINK_H
#define TENET_NL_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "nl/nl.h"

struct nl_link {
	uint32_t ifindex;
	uint32_t master;        /* 0: none */
	uint32_t mtu;
	uint32_t flags;         /* IFF_* */
	uint32_t vrf_table;     /* kind "vrf": its table */
	uint32_t link;          /* IFLA_LINK: a VLAN's parent (0: none) */
	uint16_t vlan_id;       /* kind "vlan": its id */
	char name[IF_NAMESIZE];
	char kind[16];          /* IFLA_INFO_KIND: "vrf", "veth", "vlan", ... */
	char alias[128];       /* IFLA_IFALIAS (tenet-gw:<64 chars>) */
	uint8_t mac[6];
	bool has_mac;           /* IFLA_ADDRESS is a 6-byte hardware address */
	uint16_t type;          /* ARPHRD_* */
	bool deleted;           /* a monitor event: RTM_DELLINK */
	/* The device's own counters (IFLA_STATS64), for `tenet stats port`. */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped, tx_dropped;
};

/* An RTM_NEWLINK/RTM_DELLINK message into *l (for dumps and monitors). */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *l);
int nl_link_get(struct nl *nl, uint32_t ifindex, struct nl_link *out);
/* -ENODEV when there is no link of that name. */
int nl_link_get_name(struct nl *nl, const char *name, struct nl_link *out);
/* All links, collected (malloc'd array). */
int nl_link_dump(struct nl *nl, struct nl_link **out, size_t *n);

/* Create; -EEXIST if the name is taken. mtu 0: the kernel's default. */
int nl_link_add_vlan(struct nl *nl, uint32_t parent, uint16_t vlan, const char *name);
int nl_link_add_vrf(struct nl *nl, const char *name, uint32_t table);
/* A veth pair: name and its peer. */
int nl_link_add_veth(struct nl *nl, const char *name, const char *peer, uint32_t mtu);
int nl_link_del(struct nl *nl, uint32_t ifindex);

int nl_link_set_up(struct nl *nl, uint32_t ifindex);
/* Administratively up or down. */
int nl_link_set_state(struct nl *nl, uint32_t ifindex, bool up);
int nl_link_set_mtu(struct nl *nl, uint32_t ifindex, uint32_t mtu);
/* master: ifindex, 0 to leave it (a VRF). */
int nl_link_set_master(struct nl *nl, uint32_t ifindex, uint32_t master);
int nl_link_set_alias(struct nl *nl, uint32_t ifindex, const char *alias);
int nl_link_set_mac(struct nl *nl, uint32_t ifindex, const uint8_t mac[6]);

/* By name, for reconcilers whose kernel objects are named devices. */
/* The device's ifindex, or -ENODEV. */
int nl_ifindex(const char *name);
int nl_link_del_name(struct nl *nl, const char *name);
/* master: a device name, NULL to leave it. */
int nl_link_set_master_name(struct nl *nl, const char *name, const char *master);

/* /proc/sys/net/<family>/conf/<dev>/<key> (family "ipv4" or "ipv6").
 * set: 1 if it changed, 0 if it already was; get: the value. */
int sysctl_dev_set(const char *family, const char *dev, const char *key, int val);
int sysctl_dev_get(const char *family, const char *dev, const char *key, int *val);

/* Generic receive offload (ethtool): get 0/1, set on or off. */
int nl_link_gro_get(const char *dev);
int nl_link_gro_set(const char *dev, bool on);

#endif

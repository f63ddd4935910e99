/* SPDX-License-Identifier: GPL-2.0 */
/* The rtnetlink requests of the gateway (libmnl, on agent/nl.c's socket):
 * VRF and veth links, masters, aliases, routes in any table, fwmark
 * rules; plus the ethtool GRO switch it needs (sysctls: nl.h). IPv4
 * addresses in network byte order; 0 or -errno. */
#ifndef TENETD_GW_NL_H
#define TENETD_GW_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "nl/nl.h"

struct gw_link {
	uint32_t ifindex;
	uint32_t master;        /* 0: none */
	uint32_t flags;         /* IFF_* */
	uint32_t mtu;
	char name[IF_NAMESIZE];
	char kind[16];          /* IFLA_INFO_KIND: "vrf", "veth", ... */
	char alias[64];
};

/* All links, collected (so requests can follow the dump). */
int gwnl_link_dump(struct nl *nl, struct gw_link **out, size_t *n);
int gwnl_vrf_add(struct nl *nl, const char *name, uint32_t table);
int gwnl_veth_add(struct nl *nl, const char *name, const char *peer, uint32_t mtu);
int gwnl_link_del(struct nl *nl, uint32_t ifindex);
/* master: ifindex, 0 to leave a VRF. */
int gwnl_link_master(struct nl *nl, uint32_t ifindex, uint32_t master);
int gwnl_link_alias(struct nl *nl, uint32_t ifindex, const char *alias);
int gwnl_link_mac(struct nl *nl, uint32_t ifindex, const uint8_t mac[6]);

/* A route tenet owns in a compartment table (protocol TENET_RTPROT). */
struct gw_route {
	uint32_t table;
	uint32_t dst;
	uint8_t plen;
	uint8_t type;           /* RTN_UNICAST, RTN_UNREACHABLE */
	uint32_t oif;           /* unicast only */
	uint32_t via;           /* 0: on-link (scope link) */
	uint32_t metric;
};

int gwnl_route_set(struct nl *nl, const struct gw_route *r);     /* create or replace */
int gwnl_route_del(struct nl *nl, const struct gw_route *r);
/* tenet's routes in every table but main, collected. */
int gwnl_route_dump(struct nl *nl, struct gw_route **out, size_t *n);

struct gw_rule {
	uint32_t pref;
	uint32_t fwmark;
	uint32_t table;
};

int gwnl_rule_add(struct nl *nl, const struct gw_rule *r);
int gwnl_rule_del(struct nl *nl, const struct gw_rule *r);
/* IPv4 rules with protocol TENET_RTPROT, collected. */
int gwnl_rule_dump(struct nl *nl, struct gw_rule **out, size_t *n);

/* Generic receive offload on (XDP_REDIRECT into a veth needs it on the
 * peer). */
int gw_gro_on(const char *dev);

#endif

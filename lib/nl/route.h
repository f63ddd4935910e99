/* SPDX-License-Identifier: GPL-2.0 */
/* IPv4 routes tenet owns (RTM_*ROUTE, protocol TENET_RTPROT), in any
 * table: the host's provider routes in main, the gateway's in the
 * compartment tables. 0 or -errno. */
#ifndef TENET_NL_ROUTE_H
#define TENET_NL_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "nl/nl.h"

struct nl_route {
	uint32_t table;         /* RT_TABLE_MAIN (254) or any other */
	uint32_t dst;
	uint8_t plen;
	uint8_t type;           /* RTN_UNICAST, RTN_UNREACHABLE */
	bool onlink;            /* the next hop is valid before (or without) a
				 * connected route to it */
	uint32_t oif;           /* unicast; 0 in a delete: any */
	uint32_t via;           /* 0: on-link (scope link); 0 in a delete: any */
	uint32_t metric;
	/* rtm_protocol: 0 is TENET_RTPROT, the compartments'; S2S routes
	 * have their own (TENET_RTPROT_S2S), so each reconciler finds its
	 * routes only. */
	uint8_t proto;
};

/* replace: create or replace the route of the same table, prefix and
 * metric; otherwise never replace a route someone else owns (-EEXIST,
 * say the connected route of a PA's subnet). */
int nl_route_add(struct nl *nl, const struct nl_route *r, bool replace);
int nl_route_del(struct nl *nl, const struct nl_route *r);
/* tenet's IPv4 routes in every table, collected (malloc'd array). */
int nl_route_dump(struct nl *nl, struct nl_route **out, size_t *n);
/* The same for routes of protocol proto (TENET_RTPROT or
 * TENET_RTPROT_S2S). */
int nl_route_dump_proto(struct nl *nl, uint8_t proto, struct nl_route **out, size_t *n);

/* The route the kernel takes to dst from src out of oif (0: any). */
struct nl_route_hop {
	uint32_t oif;
	uint32_t gateway;       /* 0: on-link */
};

/* RTM_GETROUTE: the unicast route from src to dst (oif 0: any device);
 * -ENETUNREACH when the answer is not a unicast route. */
int nl_route_get(struct nl *nl, uint32_t src, uint32_t dst, uint32_t oif,
		 struct nl_route_hop *out);

#endif

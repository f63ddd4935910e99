/* SPDX-License-Identifier: GPL-2.0 */
/* IPv6 routes tenet owns (RTM_*ROUTE, AF_INET6), in any table: a
 * remote-access tenant's pool6 and its users' /128s (protocol
 * TENET_RTPROT_RA). The IPv4 ones are nl/route.h. 0 or -errno. */
#ifndef TENET_NL_ROUTE6_H
#define TENET_NL_ROUTE6_H

#include <stdbool.h>
#include <stdint.h>

#include "nl/nl.h"

struct nl_route6 {
	uint32_t table;
	uint8_t dst[16];
	uint8_t plen;
	uint8_t type;           /* RTN_UNICAST (through oif), RTN_UNREACHABLE */
	uint8_t proto;          /* rtm_protocol, e.g. TENET_RTPROT_RA */
	uint32_t oif;           /* unicast; 0 in a delete: any. The kernel
				 * reports lo for an unreachable route: 0 here */
	uint32_t metric;
};

/* replace: create or replace the route of the same table, prefix and
 * metric; otherwise never replace one someone else owns (-EEXIST). */
int nl_route6_add(struct nl *nl, const struct nl_route6 *r, bool replace);
int nl_route6_del(struct nl *nl, const struct nl_route6 *r);
/* The IPv6 routes of protocol proto in every table (malloc'd array). */
int nl_route6_dump_proto(struct nl *nl, uint8_t proto, struct nl_route6 **out, size_t *n);

#endif

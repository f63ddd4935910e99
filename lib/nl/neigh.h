/* SPDX-License-Identifier: GPL-2.0 */
/* IPv4 neighbours (RTM_*NEIGH): what the next-hop table is resolved
 * from. 0 or -errno. */
#ifndef TENET_NL_NEIGH_H
#define TENET_NL_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "nl/nl.h"

/* A neighbour entry: its state (NUD_*) and hardware address. */
struct nl_neigh {
	uint32_t ifindex;
	uint32_t ip;
	uint16_t state;
	bool has_mac;
	bool deleted;           /* a monitor event: RTM_DELNEIGH */
	uint8_t mac[6];
};

/* An RTM_NEWNEIGH/RTM_DELNEIGH message of an IPv4 neighbour into *n
 * (-EINVAL for anything else). */
int nl_neigh_parse(const struct nlmsghdr *nlh, struct nl_neigh *n);
/* RTM_GETNEIGH of one IPv4 neighbour on ifindex; -ENOENT if none. */
int nl_neigh_get(struct nl *nl, uint32_t ifindex, uint32_t ip, struct nl_neigh *out);

#endif

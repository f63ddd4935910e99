/* SPDX-License-Identifier: GPL-2.0 */
/* IPv4 addresses (RTM_*ADDR). 0 or -errno. */
#ifndef TENET_NL_ADDR_H
#define TENET_NL_ADDR_H

#include <stdint.h>

#include "nl/nl.h"

struct nl_addr {
	uint32_t ifindex;
	uint32_t addr;
	uint8_t plen;
};

/* Add, or refresh (NLM_F_REPLACE) an address that is there. */
int nl_addr_add(struct nl *nl, uint32_t ifindex, uint32_t addr, uint8_t plen);
/* With IFA_LOCAL only, the kernel matches the address whatever its
 * prefix length (which a restarted agent may not know). */
int nl_addr_del(struct nl *nl, uint32_t ifindex, uint32_t addr);
/* Every IPv4 address, collected (malloc'd array). */
int nl_addr_dump(struct nl *nl, struct nl_addr **out, size_t *n);

#endif

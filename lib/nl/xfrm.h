/* SPDX-License-Identifier: GPL-2.0 */
/* XFRM interfaces (kind "xfrm"): the tunnel devices of site-to-site VPN.
 * Traffic routed into one is encrypted by the SAs whose if_id it carries;
 * what those SAs decrypt comes out of it. tenet's are created without an
 * underlying device (IFLA_XFRM_LINK is optional since Linux 5.x): the IKE
 * endpoints' routing decides where ESP leaves. 0 or -errno. */
#ifndef TENET_NL_XFRM_H
#define TENET_NL_XFRM_H

#include <stdint.h>
#include <net/if.h>

#include "nl/nl.h"

struct nl_xfrm_link {
	uint32_t ifindex;
	uint32_t master;        /* 0: none */
	uint32_t flags;         /* IFF_* */
	uint32_t if_id;
	uint32_t mtu;
	char name[IF_NAMESIZE];
	char alias[64];
};

/* Create name with if_id and MTU (0: the kernel's); -EEXIST if the name
 * is taken. An alias (may be NULL) is sent along, but kernels ignore an
 * alias at creation: set it after (nl_link_set_alias). */
int nl_xfrm_add(struct nl *nl, const char *name, uint32_t if_id, uint32_t mtu,
		const char *alias);
/* Every XFRM interface (malloc'd array). */
int nl_xfrm_dump(struct nl *nl, struct nl_xfrm_link **out, size_t *n);

#endif

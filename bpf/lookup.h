/* SPDX-License-Identifier: GPL-2.0 */
/* Policy lookups: the agent fills these maps from lookup records, customer
 * routes, virtual subnets and ports. */
#ifndef TENET_BPF_LOOKUP_H
#define TENET_BPF_LOOKUP_H

#include "common.h"
#include "maps.h"
#include "dmcache.h"

static __always_inline struct tenet_cfg *cfg_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tenet_cfg, &zero);
}

/* A local PA (tenet_pacache first, then tenet_pa). */
static __always_inline struct tenet_pa_val *pa_get(__be32 pa)
{
	return dmcache_lookup(tenet_pacache, tenet_pa, tenet_pa_slot(pa), &pa);
}

/* A port by ifindex (tenet_portcache first, then tenet_port). */
static __always_inline struct tenet_port_val *port_get(__u32 ifindex)
{
	return dmcache_lookup(tenet_portcache, tenet_port, tenet_port_slot(ifindex), &ifindex);
}

/* The lookup record of a CA IP in a routing domain (a host record). */
static __always_inline struct tenet_ca_val *ca_lookup(__u32 rdomain, __be32 ip)
{
	struct tenet_ca_key k = { .rdomain = rdomain, .ip = ip };

	return bpf_map_lookup_elem(&tenet_ca, &k);
}

/* Where a MAC of a virtual subnet lives. */
static __always_inline struct tenet_vmac_val *vmac_lookup(__u32 vsid, const __u8 *mac)
{
	struct tenet_vmac_key k = { .vsid = vsid };

	mac_copy(k.mac, mac);
	return bpf_map_lookup_elem(&tenet_mac, &k);
}

#endif

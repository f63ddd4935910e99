/* SPDX-License-Identifier: GPL-2.0 */
/* The outer next hop of NVGRE: one lookup in the table tenetd keeps from
 * rtnetlink (headers/tenet/maps.h, tenet_nexthop). No bpf_fib_lookup():
 * it answers only for devices with IPv4 forwarding on, and the underlay
 * must not route for anyone. */
#ifndef TENET_BPF_NEXTHOP_H
#define TENET_BPF_NEXTHOP_H

#include "common.h"
#include "maps.h"
#include "dmcache.h"

/* The pair's slot of tenet_nhcache first, tenet_nexthop when the slot is
 * empty or another pair's (dmcache.h). */
static __always_inline struct tenet_nh_val *nexthop_get(__be32 src_pa, __be32 dst_pa)
{
	struct tenet_nh_key k = { .src_pa = src_pa, .dst_pa = dst_pa };

	return dmcache_lookup(tenet_nhcache, tenet_nexthop, tenet_nh_slot(src_pa, dst_pa), &k);
}

static __always_inline void nhstat_inc(enum tenet_nh_stat s)
{
	__u32 k = s;
	__u64 *v = bpf_map_lookup_elem(&tenet_nhstats, &k);

	if (v)
		(*v)++;
}

#endif

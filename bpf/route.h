/* SPDX-License-Identifier: GPL-2.0 */
/* Distributed routing inside a routing domain: every host is the .1 of
 * every virtual subnet, so a frame sent to the router MAC is routed here. */
#ifndef TENET_BPF_ROUTE_H
#define TENET_BPF_ROUTE_H

#include "common.h"
#include "lookup.h"

/* Longest-prefix customer route of a routing domain (headers/tenet/maps.h):
 * probe the lengths the routing domain has routes of, longest first. */
static __always_inline struct tenet_route_val *route_lookup(__u32 rdomain, __be32 ip)
{
	struct tenet_route_key k = { .rdomain = rdomain };
	struct tenet_route_lens *lens;
	struct tenet_route_val *rt;
	__u32 hip = bpf_ntohl(ip);
	__u64 bits;

	lens = bpf_map_lookup_elem(&tenet_route_lens, &rdomain);
	if (!lens)
		return NULL;
	bits = lens->bits;
	for (int i = 0; i <= 32; i++) {
		__u32 plen = 32 - i;

		if (!(bits & (1ULL << plen)))
			continue;
		k.plen = plen;
		k.ip = bpf_htonl(plen ? hip & (~0u << (32 - plen)) : 0);
		rt = bpf_map_lookup_elem(&tenet_route, &k);
		if (rt)
			return rt;
	}
	return NULL;
}

/* Resolve the lookup record an IPv4 destination is delivered to: the
 * destination's own host record if there is one, else the longest customer
 * route and its next hop's record. Returns 0 or a drop reason. */
static __always_inline int route_resolve(__u32 rdomain, __be32 daddr,
					 struct tenet_ca_val **out)
{
	struct tenet_route_val *rt;
	struct tenet_ca_val *rec;

	rec = ca_lookup(rdomain, daddr);
	if (rec)
		goto found;
	rt = route_lookup(rdomain, daddr);
	if (!rt)
		return TENET_DROP_NO_ROUTE;
	/* On-link route: the destination itself must have had a record. */
	if (!rt->nexthop)
		return TENET_DROP_NEXTHOP_MISS;
	rec = ca_lookup(rdomain, rt->nexthop);
	if (!rec)
		return TENET_DROP_NEXTHOP_MISS;
found:
	/* l2only records hold no IP binding yet; they cannot be routed to. */
	if (rec->type == TENET_LOOKUP_L2ONLY)
		return TENET_DROP_NEXTHOP_MISS;
	*out = rec;
	return 0;
}

/* Decrement the TTL with an incremental checksum update (RFC 1624), as
 * the kernel's ip_decrease_ttl() does. */
static __always_inline void ipv4_decrease_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__u16)(check + (check >= 0xffff));
	iph->ttl--;
}

#endif

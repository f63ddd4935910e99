/* SPDX-License-Identifier: GPL-2.0 */
/* Bounds-checked header parsing over [data, data_end), for XDP and TC. */
#ifndef TENET_BPF_PARSE_H
#define TENET_BPF_PARSE_H

#include "common.h"

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct arp_eth_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

struct cursor {
	void *pos;
	void *end;
};

/* Returns a pointer to the next len bytes and advances, or NULL. */
#define cursor_take(c, type)                                                  \
	({                                                                    \
		type *__p = (c)->pos;                                         \
		if ((void *)(__p + 1) > (c)->end)                             \
			__p = NULL;                                           \
		else                                                          \
			(c)->pos = (void *)(__p + 1);                         \
		__p;                                                          \
	})

/* IPv4 header including options; NULL if truncated or not a sane header. */
static __always_inline struct iphdr *parse_ipv4(struct cursor *c)
{
	struct iphdr *iph = c->pos;
	__u32 hlen;

	if ((void *)(iph + 1) > c->end)
		return NULL;
	if (iph->version != 4 || iph->ihl < 5)
		return NULL;
	hlen = iph->ihl * 4;
	if (c->pos + hlen > c->end)
		return NULL;
	c->pos += hlen;
	return iph;
}

/* The IPv4 header checksum of a header parse_ipv4 accepted (its ihl * 4
 * bytes lie before data_end) holds: the one's-complement sum of the
 * header, checksum included, is 0xffff (RFC 1071). */
static __always_inline int ipv4_csum_ok(const struct iphdr *iph, const void *data_end)
{
	const __u16 *p = (const __u16 *)iph;
	__u32 words = iph->ihl * 2, sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += p[i];
	if (words > 10) {
		/* Unrolled too: constant offsets are what the verifier can
		 * bound against data_end. */
#pragma unroll
		for (int i = 10; i < 30; i++) {
			if ((__u32)i < words) {
				if ((const void *)(p + i + 1) > data_end)
					return 0;
				sum += p[i];
			}
		}
	}
	return csum_fold(sum) == 0;
}

#endif

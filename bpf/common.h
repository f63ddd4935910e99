/* SPDX-License-Identifier: GPL-2.0 */
/* Includes and small definitions every tenet BPF helper needs. */
#ifndef TENET_BPF_COMMON_H
#define TENET_BPF_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <tenet/limits.h>
#include <tenet/nvgre.h>
#include <tenet/maps.h>
#include <tenet/drop.h>
#include "proto.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

/* Set by the loader before load. When on, every redirect records its
 * target and every counted drop its reason, so BPF_PROG_TEST_RUN tests can
 * assert them; when off (production) the verifier prunes the stores. */
const volatile __u8 tenet_record_redirect = 0;
__u32 tenet_redirect_ifindex = 0;
__u32 tenet_last_drop = 0;

static __always_inline void note_redirect(__u32 ifindex)
{
	if (tenet_record_redirect)
		tenet_redirect_ifindex = ifindex;
}

/* Byte-wise on purpose: MACs sit at odd offsets on the stack and in
 * packets, and the verifier rejects misaligned stack access. */
static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		 (a[4] ^ b[4]) | (a[5] ^ b[5]));
}

static __always_inline void mac_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, ETH_ALEN);
}

static __always_inline int mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;
}

/* Fold a 32-bit one's-complement sum into the 16-bit checksum. */
static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* IPv4 header checksum of a 20-byte header without options. */
static __always_inline __u16 ipv4_csum(struct iphdr *iph)
{
	__u32 sum = 0;
	__u16 *p = (__u16 *)iph;

#pragma unroll
	for (int i = 0; i < (int)sizeof(*iph) / 2; i++)
		sum += p[i];
	return csum_fold(sum);
}

#endif

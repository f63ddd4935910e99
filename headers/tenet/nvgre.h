/* SPDX-License-Identifier: GPL-2.0 */
/* NVGRE wire format (RFC 7637): GRE (RFC 2784/2890) with the Key bit set,
 * C=S=0, version 0, protocol Transparent Ethernet Bridging. The 32-bit key
 * is VSID (24 bits) << 8 | FlowID (8 bits). */
#ifndef TENET_NVGRE_H
#define TENET_NVGRE_H

#include <linux/types.h>

#define NVGRE_IPPROTO 47
#define NVGRE_PROTO_TEB 0x6558

/* First 16 bits of the GRE header, host order. */
#define GRE_FLAG_C 0x8000
#define GRE_FLAG_R 0x4000
#define GRE_FLAG_K 0x2000
#define GRE_FLAG_S 0x1000
#define GRE_VERSION_MASK 0x0007
/* What an NVGRE header must have in its flags word: K only, version 0.
 * Reserved0 bits are ignored on receipt as RFC 2784 says. */
#define NVGRE_FLAGS_MASK (GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S | GRE_VERSION_MASK)
#define NVGRE_FLAGS GRE_FLAG_K

struct nvgre_hdr {
	__be16 flags;
	__be16 proto;
	__be32 key;
};

_Static_assert(sizeof(struct nvgre_hdr) == 8, "nvgre_hdr is 8 bytes");

static inline __u32 nvgre_key(__u32 vsid, __u8 flowid)
{
	return (vsid << 8) | flowid;
}

static inline __u32 nvgre_key_vsid(__u32 key)
{
	return key >> 8;
}

static inline __u8 nvgre_key_flowid(__u32 key)
{
	return key & 0xff;
}

#endif

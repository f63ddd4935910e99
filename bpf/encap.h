/* SPDX-License-Identifier: GPL-2.0 */
/* NVGRE encapsulation toward a remote PA, with the outer next hop from the
 * kernel FIB and an MTU check that answers instead of dropping silently. */
#ifndef TENET_BPF_ENCAP_H
#define TENET_BPF_ENCAP_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "mtu.h"
#include "lookup.h"

/* The header block inserted in front of the inner frame. */
struct nvgre_encap {
	struct iphdr ip;
	struct nvgre_hdr gre;
	struct ethhdr inner;
} __attribute__((packed));

#define ENCAP_ADJ_FLAGS (BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE | \
			 BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN))

/* The original Ethernet header becomes the outer one, so what is inserted
 * (IPv4 + GRE + a copy of the Ethernet header) is exactly the overhead. */
_Static_assert(sizeof(struct nvgre_encap) == TENET_ENCAP_OVERHEAD, "NVGRE overhead");

/* FlowID (RFC 7637 entropy) from the inner flow: a fold of the IPv4
 * addresses, protocol and ports, the same for a flow on every host (the
 * skb hash is seeded per boot, so it would not be). */
static __always_inline __u8 inner_flowid(void *data, void *data_end)
{
	struct cursor c = { .pos = data + sizeof(struct ethhdr), .end = data_end };
	struct iphdr *iph = parse_ipv4(&c);
	__u32 h;
	__be32 *ports;

	if (!iph)
		return 0;
	h = iph->saddr ^ iph->daddr ^ iph->protocol;
	if ((iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) &&
	    !(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))) {
		ports = c.pos;
		if ((void *)(ports + 1) <= c.end)
			h ^= *ports;
	}
	h ^= h >> 16;
	h ^= h >> 8;
	return h & 0xff;
}

struct encap_target {
	__be32 src_pa;
	__be32 dst_pa;
	__u32 vsid;       /* goes into the key: the destination's VSID */
	__u32 src_vsid;   /* the sending port's: accounting, ICMP source */
};

/* Encapsulate the frame at skb->data (already rewritten for its final
 * inner destination) and redirect it to the underlay. Returns a TC verdict;
 * sets *reason on drop. */
static __always_inline int nvgre_encap(struct __sk_buff *skb, const struct encap_target *t,
				       int *reason)
{
	struct bpf_fib_lookup fib = {};
	struct bpf_redir_neigh nh = {};
	struct tenet_pa_val *pa;
	struct tenet_cfg *cfg;
	struct nvgre_encap *hdr;
	struct ethhdr *outer;
	void *data, *data_end;
	struct ethhdr inner;
	__u32 inner_len = skb->len;
	__u32 mtu = 0;
	__u8 flowid;
	int rc;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + sizeof(inner) > data_end) {
		*reason = TENET_DROP_TRUNCATED;
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(&inner, data, sizeof(inner));
	cfg = cfg_get();
	flowid = cfg && (cfg->flags & TENET_CFG_NO_FLOWID) ? 0 : inner_flowid(data, data_end);

	pa = bpf_map_lookup_elem(&tenet_pa, &t->src_pa);
	if (!pa) {
		*reason = TENET_DROP_NO_SRC_PA;
		return TC_ACT_SHOT;
	}
	fib.family = AF_INET;
	fib.ipv4_src = t->src_pa;
	fib.ipv4_dst = t->dst_pa;
	fib.ifindex = pa->ifindex;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) {
		*reason = TENET_DROP_FIB;
		return TC_ACT_SHOT;
	}

	if (bpf_check_mtu(skb, fib.ifindex, &mtu, TENET_ENCAP_OVERHEAD, 0)) {
		emit_event(TENET_EV_FRAG_NEEDED, TENET_DROP_FRAG_NEEDED, skb->ifindex,
			   t->src_vsid, t->dst_pa, mtu, inner.h_source);
		return mtu_too_big(skb, mtu - TENET_ENCAP_OVERHEAD, t->src_vsid, reason);
	}

	if (bpf_skb_adjust_room(skb, sizeof(*hdr), BPF_ADJ_ROOM_MAC, ENCAP_ADJ_FLAGS)) {
		*reason = TENET_DROP_ENCAP;
		return TC_ACT_SHOT;
	}
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	outer = data;
	hdr = data + sizeof(*outer);
	if ((void *)(hdr + 1) > data_end) {
		*reason = TENET_DROP_ENCAP;
		return TC_ACT_SHOT;
	}

	mac_copy(outer->h_dest, fib.dmac);
	mac_copy(outer->h_source, fib.smac);
	outer->h_proto = bpf_htons(ETH_P_IP);

	hdr->ip.version = 4;
	hdr->ip.ihl = 5;
	hdr->ip.tos = 0;
	/* A GSO super-packet may exceed 64 KiB with the outer headers; each
	 * segment gets its own length when it is split, so 0 stands in. */
	hdr->ip.tot_len = inner_len + sizeof(hdr->ip) + sizeof(hdr->gre) > 0xffff ?
				  0 : bpf_htons(inner_len + sizeof(hdr->ip) + sizeof(hdr->gre));
	hdr->ip.id = 0;
	/* DF: the underlay must not fragment; oversize frames were answered
	 * with ICMP above instead. */
	hdr->ip.frag_off = bpf_htons(IP_DF);
	hdr->ip.ttl = 64;
	hdr->ip.protocol = NVGRE_IPPROTO;
	hdr->ip.check = 0;
	hdr->ip.saddr = t->src_pa;
	hdr->ip.daddr = t->dst_pa;
	hdr->ip.check = ipv4_csum((struct iphdr *)(void *)hdr); /* ip is first */

	hdr->gre.flags = bpf_htons(NVGRE_FLAGS);
	hdr->gre.proto = bpf_htons(NVGRE_PROTO_TEB);
	hdr->gre.key = bpf_htonl(nvgre_key(t->vsid, flowid));
	__builtin_memcpy(&hdr->inner, &inner, sizeof(inner));

	note_redirect(fib.ifindex);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		/* Let the kernel resolve the underlay neighbour (and queue the
		 * frame until it answers) as it would for its own traffic. */
		nh.nh_family = AF_INET;
		nh.ipv4_nh = fib.ipv4_dst;
		return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
	}
	return bpf_redirect(fib.ifindex, 0);
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* NVGRE encapsulation toward a remote PA, with the outer next hop from
 * tenet's next-hop table (the kernel's routing as the fallback) and an MTU
 * check that answers instead of dropping silently. */
#ifndef TENET_BPF_ENCAP_H
#define TENET_BPF_ENCAP_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "mtu.h"
#include "lookup.h"
#include "nexthop.h"

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
	__u32 cfg_flags;  /* tenet_cfg's, as the caller read them */
};

/* Encapsulate the frame at skb->data (already rewritten for its final
 * inner destination) and redirect it to the underlay. Returns a TC verdict;
 * sets *reason on drop. */
static __always_inline int nvgre_encap(struct __sk_buff *skb, const struct encap_target *t,
				       int *reason)
{
	struct tenet_nh_val *nh;
	struct tenet_pa_val *pa;
	struct nvgre_encap *hdr;
	struct ethhdr *outer;
	void *data, *data_end;
	struct ethhdr inner;
	__u8 smac[ETH_ALEN] = {}, dmac[ETH_ALEN] = {};
	__u32 inner_len = skb->len;
	__u32 mtu = 0, nh_mtu = 0, ifindex;
	__u16 vlan = 0;
	__u8 flowid;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + sizeof(inner) > data_end) {
		*reason = TENET_DROP_TRUNCATED;
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(&inner, data, sizeof(inner));
	flowid = t->cfg_flags & TENET_CFG_NO_FLOWID ? 0 : inner_flowid(data, data_end);

	/* The agent keeps entries for its own PAs only, so a hit also says
	 * the source PA is local. */
	nh = nexthop_get(t->src_pa, t->dst_pa);
	if (nh) {
		ifindex = nh->ifindex;
		vlan = nh->vlan;
		nh_mtu = nh->mtu;
		mac_copy(smac, nh->smac);
		mac_copy(dmac, nh->dmac);
	} else {
		pa = pa_get(t->src_pa);
		if (!pa) {
			*reason = TENET_DROP_NO_SRC_PA;
			return TC_ACT_SHOT;
		}
		ifindex = pa->ifindex;
		nhstat_inc(TENET_NHSTAT_MISS);
		/* bpf_redirect_neigh() routes only IP frames (skb->protocol;
		 * the encap flags turn IPv6 into IPv4, not ARP). The agent is
		 * told to resolve the next hop; the sender retries. */
		if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6)) {
			nhstat_inc(TENET_NHSTAT_MISS_NOT_IP);
			emit_event(TENET_EV_NEIGH_MISS, TENET_DROP_FIB, skb->ifindex, t->src_vsid,
				   t->dst_pa, t->src_pa, dmac);
			*reason = TENET_DROP_FIB;
			return TC_ACT_SHOT;
		}
	}

	/* bpf_check_mtu looks the device up by index on every call. The next
	 * hop carries the device's MTU, so a frame that fits (the helper's own
	 * test: length + overhead <= MTU + Ethernet header) or a GSO packet
	 * (which the helper passes without BPF_MTU_CHK_SEGS) needs no call;
	 * anything else, and every miss, gets the helper's answer. tenetd
	 * rewrites the entry on the link event of an MTU change; until then a
	 * lowered MTU drops frames between the two sizes at the device. */
	if (!(nh_mtu && (skb->gso_size || skb->len + TENET_ENCAP_OVERHEAD <= nh_mtu + ETH_HLEN)) &&
	    bpf_check_mtu(skb, ifindex, &mtu, TENET_ENCAP_OVERHEAD, 0)) {
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

	/* Zero on a miss: the kernel's neighbour output writes them. */
	mac_copy(outer->h_dest, dmac);
	mac_copy(outer->h_source, smac);
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

	note_redirect(ifindex);
	if (!nh) {
		/* The kernel routes it from the PA's device and resolves the
		 * neighbour (queueing the frame until it answers), as for its
		 * own traffic: no forwarding needed. The agent fills the entry
		 * from the neighbour event that follows. */
		return bpf_redirect_neigh(ifindex, NULL, 0, 0);
	}
	if (vlan && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), vlan)) {
		*reason = TENET_DROP_ENCAP;
		return TC_ACT_SHOT;
	}
	return bpf_redirect(ifindex, 0);
}

#endif

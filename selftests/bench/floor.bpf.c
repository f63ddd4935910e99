// SPDX-License-Identifier: GPL-2.0
/* Floors for the per-packet benchmark: for each path, a program that does
 * only what no implementation of that path can skip, run by prog_bench on
 * the same frames as tenet's programs, so each path's cost can be printed
 * as a multiple of its floor (issue 21, item 3).
 *
 *   encap  one hash lookup (destination MAC -> remote PA, underlay device
 *          and next-hop MACs), bpf_skb_adjust_room with the encap flags,
 *          the outer headers written, bpf_redirect to the underlay
 *   decap  one hash lookup (VSID + inner destination MAC -> port), the
 *          strip (bpf_skb_adjust_room at TC, bpf_xdp_adjust_head at XDP),
 *          bpf_redirect to the port
 *   ARP    the request turned into the reply in place, bpf_redirect back
 *          out of the port it came in on (no lookup: the floor; the
 *          answer MAC is a constant here)
 *
 * No validation beyond what the verifier needs, no counters, no policy:
 * these are lower bounds, not alternatives. Self-contained on purpose (its
 * own map, no bpf/ headers), so the datapath can change under it. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <tenet/limits.h>
#include <tenet/nvgre.h>

struct floor_key {
	__u32 vsid;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct floor_val {
	__u32 ifindex;            /* encap: underlay device; decap: port */
	__be32 src_pa, dst_pa;
	__u32 vsid;
	__u8 smac[ETH_ALEN], dmac[ETH_ALEN];  /* encap: the outer next hop */
};

/* prog_bench fills it with as many entries as the datapath's lookup table
 * has in the row it compares with. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct floor_key);
	__type(value, struct floor_val);
} floor_fdb SEC(".maps");

struct floor_encap {
	struct iphdr ip;
	struct nvgre_hdr gre;
	struct ethhdr inner;
} __attribute__((packed));

_Static_assert(sizeof(struct floor_encap) == TENET_ENCAP_OVERHEAD, "NVGRE overhead");

static __always_inline __u16 csum20(const void *p)
{
	const __u16 *w = p;
	__u32 s = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

SEC("tc")
int floor_encap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct floor_key k = {};
	struct floor_val *v;
	struct floor_encap *hdr;
	struct ethhdr inner, *outer;
	__u32 len = skb->len;

	if (data + sizeof(inner) > data_end)
		return TC_ACT_SHOT;
	__builtin_memcpy(&inner, data, sizeof(inner));
	__builtin_memcpy(k.mac, inner.h_dest, ETH_ALEN);
	v = bpf_map_lookup_elem(&floor_fdb, &k);
	if (!v)
		return TC_ACT_SHOT;
	if (bpf_skb_adjust_room(skb, sizeof(*hdr), BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
				BPF_F_ADJ_ROOM_ENCAP_L2_ETH | BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN)))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	outer = data;
	hdr = data + sizeof(*outer);
	if ((void *)(hdr + 1) > data_end)
		return TC_ACT_SHOT;
	__builtin_memcpy(outer->h_dest, v->dmac, ETH_ALEN);
	__builtin_memcpy(outer->h_source, v->smac, ETH_ALEN);
	outer->h_proto = bpf_htons(ETH_P_IP);
	hdr->ip.version = 4;
	hdr->ip.ihl = 5;
	hdr->ip.tos = 0;
	hdr->ip.tot_len = bpf_htons(len + sizeof(hdr->ip) + sizeof(hdr->gre));
	hdr->ip.id = 0;
	hdr->ip.frag_off = bpf_htons(0x4000);
	hdr->ip.ttl = 64;
	hdr->ip.protocol = NVGRE_IPPROTO;
	hdr->ip.check = 0;
	hdr->ip.saddr = v->src_pa;
	hdr->ip.daddr = v->dst_pa;
	hdr->ip.check = csum20(&hdr->ip);
	hdr->gre.flags = bpf_htons(NVGRE_FLAGS);
	hdr->gre.proto = bpf_htons(NVGRE_PROTO_TEB);
	hdr->gre.key = bpf_htonl(nvgre_key(v->vsid, 0));
	__builtin_memcpy(&hdr->inner, &inner, sizeof(inner));
	return bpf_redirect(v->ifindex, 0);
}

/* The outer headers of an NVGRE frame without options or tag; the port
 * its inner destination is on. NULL when it is not one. */
static __always_inline struct floor_val *decap_lookup(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct nvgre_hdr *gre = (void *)(ip + 1);
	struct ethhdr *inner = (void *)(gre + 1);
	struct floor_key k = {};

	if ((void *)(inner + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != NVGRE_IPPROTO || ip->ihl != 5)
		return NULL;
	k.vsid = nvgre_key_vsid(bpf_ntohl(gre->key));
	__builtin_memcpy(k.mac, inner->h_dest, ETH_ALEN);
	return bpf_map_lookup_elem(&floor_fdb, &k);
}

SEC("tc")
int floor_decap_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct floor_val *v = decap_lookup(data, data_end);
	struct ethhdr inner, *eth;
	__u32 ifindex;

	if (!v)
		return TC_ACT_SHOT;
	ifindex = v->ifindex;
	if (data + TENET_ENCAP_OVERHEAD + sizeof(inner) > data_end)
		return TC_ACT_SHOT;
	__builtin_memcpy(&inner, data + TENET_ENCAP_OVERHEAD, sizeof(inner));
	/* The same flags as tenet's TC decap (bpf/decap_tc.h). */
	if (bpf_skb_adjust_room(skb, -(__s32)TENET_ENCAP_OVERHEAD, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_NO_CSUM_RESET))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_SHOT;
	__builtin_memcpy(eth, &inner, sizeof(inner));
	return bpf_redirect(ifindex, 0);
}

SEC("xdp")
int floor_decap_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct floor_val *v = decap_lookup(data, data_end);

	if (!v)
		return XDP_DROP;
	if (bpf_xdp_adjust_head(ctx, TENET_ENCAP_OVERHEAD))
		return XDP_DROP;
	return bpf_redirect(v->ifindex, 0);
}

/* ARP for IPv4 over Ethernet (linux/if_arp.h pulls in libc headers). */
#define FLOOR_ARPOP_REQUEST 1
#define FLOOR_ARPOP_REPLY 2

struct floor_arp {
	__be16 htype, ptype;
	__u8 hlen, plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

SEC("tc")
int floor_arp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	static const __u8 answer[ETH_ALEN] = { 0x02, 0xf1, 0x00, 0x00, 0x00, 0x01 };
	struct ethhdr *eth = data;
	struct floor_arp *arp = data + sizeof(*eth);
	__be32 spa;

	if ((void *)(arp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_ARP) ||
	    arp->op != bpf_htons(FLOOR_ARPOP_REQUEST))
		return TC_ACT_SHOT;
	spa = arp->spa;
	__builtin_memcpy(eth->h_dest, arp->sha, ETH_ALEN);
	__builtin_memcpy(eth->h_source, answer, ETH_ALEN);
	arp->op = bpf_htons(FLOOR_ARPOP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	__builtin_memcpy(arp->sha, answer, ETH_ALEN);
	arp->spa = arp->tpa;
	arp->tpa = spa;
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";

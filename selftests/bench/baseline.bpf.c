// SPDX-License-Identifier: GPL-2.0
/* Baselines for the per-packet benchmarks: the cheapest possible program,
 * and one that parses Ethernet + IPv4 and swaps the MACs (the usual
 * "reflector"), for each hook tenet uses.
 *
 * And the customer-route lookup alone, on the destination of an IPv4
 * frame, two ways: tenet's route table (bpf/route.h, on the datapath's own
 * maps, which prog_bench shares with this object) and the kernel LPM trie
 * tenet used before (layout 1: one trie keyed by rdomain + prefix), filled
 * with the same routes. Neither changes the frame, so they can run with a
 * large repeat count. */
#include "../../bpf/route.h"
#include "../../bpf/nexthop.h"

static __always_inline int swap_macs(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	__u8 tmp[ETH_ALEN];

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    iph->version != 4)
		return -1;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return 0;
}

SEC("xdp")
int base_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int base_xdp_swap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	return swap_macs(data, data_end) ? XDP_DROP : XDP_TX;
}

SEC("tc")
int base_tc_pass(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tc")
int base_tc_swap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	if (swap_macs(data, data_end))
		return TC_ACT_SHOT;
	return bpf_redirect(skb->ifindex, 0);
}

/* Layout 1's route table, for the side-by-side figure. */
struct trie_key {
	__u32 prefixlen;      /* 32 rdomain bits + prefix bits */
	__be32 rdomain;
	__be32 ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TENET_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct trie_key);
	__type(value, struct tenet_route_val);
} bench_trie SEC(".maps");

static __always_inline __be32 frame_daddr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > data_end)
		return 0;
	return iph->daddr;
}

/* Both answer XDP_PASS when a route matched, XDP_DROP when none did. */
SEC("xdp")
int route_trie(struct xdp_md *ctx)
{
	struct trie_key k = { .prefixlen = 64, .rdomain = bpf_htonl(1), .ip = frame_daddr(ctx) };

	return bpf_map_lookup_elem(&bench_trie, &k) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int route_tenet(struct xdp_md *ctx)
{
	return route_lookup(1, frame_daddr(ctx)) ? XDP_PASS : XDP_DROP;
}

/* Ablation: the pieces of the encap path alone, on the encap frame at a
 * port's TC ingress, to see where its time goes. PA 192.168.4.11 is the
 * packet-test topology's local PA (its tenet_pa entry names ul0). */
#define ABL_SRC_PA bpf_htonl(0xc0a8040b)  /* 192.168.4.11 */
#define ABL_DST_PA bpf_htonl(0xc0a80416)  /* 192.168.4.22 */

/* The map lookups of the encap path: port, destination MAC, config,
 * source PA, the VSID's per-CPU counters (by the port's slot, as
 * bpf/counters.h counts). Port and PA as the datapath reads them: their
 * direct-mapped copies first (bpf/lookup.h). */
SEC("tc")
int abl_lookups(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct tenet_port_val *port;
	struct tenet_vstats_val *vs;
	__u32 ifindex = skb->ifindex, zero = 0, slot;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_SHOT;
	port = port_get(ifindex);
	if (!port || !vmac_lookup(port->vsid, eth->h_dest) ||
	    !bpf_map_lookup_elem(&tenet_cfg, &zero) || !pa_get(ABL_SRC_PA))
		return TC_ACT_SHOT;
	slot = port->stats_slot;
	vs = slot ? bpf_map_lookup_elem(&tenet_vstats, &slot) : NULL;
	if (vs) {
		vs->tx_packets++;
		vs->tx_bytes += skb->len;
	}
	return TC_ACT_OK;
}

/* The next-hop lookup encap does in place of bpf_fib_lookup(): its
 * tenet_nhcache slot, tenet_nexthop only when the slot is not the pair's. */
SEC("tc")
int abl_nexthop(struct __sk_buff *skb)
{
	return nexthop_get(ABL_SRC_PA, ABL_DST_PA) ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int abl_mtu(struct __sk_buff *skb)
{
	struct tenet_pa_val *pa = pa_get(ABL_SRC_PA);
	__u32 mtu = 0;

	if (!pa)
		return TC_ACT_SHOT;
	return bpf_check_mtu(skb, pa->ifindex, &mtu, TENET_ENCAP_OVERHEAD, 0) ?
	       TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int abl_adjust(struct __sk_buff *skb)
{
	return bpf_skb_adjust_room(skb, TENET_ENCAP_OVERHEAD, BPF_ADJ_ROOM_MAC,
				   BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
				   BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
				   BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN)) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int abl_redirect(struct __sk_buff *skb)
{
	struct tenet_pa_val *pa = pa_get(ABL_SRC_PA);

	return pa ? bpf_redirect(pa->ifindex, 0) : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";

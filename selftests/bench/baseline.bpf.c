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

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/* Frames too big to encapsulate: answer an IPv4 DF sender with ICMP
 * fragmentation-needed carrying the MTU it must use, from its gateway
 * address, so path MTU discovery works through the overlay. */
#ifndef TENET_BPF_MTU_H
#define TENET_BPF_MTU_H

#include "common.h"
#include "lookup.h"

/* ICMP error body: the offending IPv4 header (no options) and 8 bytes. */
#define ICMP_QUOTE (sizeof(struct iphdr) + 8)

struct icmp_frag_needed {
	struct iphdr ip;
	struct icmphdr icmp;
} __attribute__((packed));

/* The original frame is always counted as a FRAG_NEEDED drop; the verdict
 * is the redirect of the ICMP answer when one could be built. */
static __always_inline int mtu_too_big(struct __sk_buff *skb, __u32 inner_mtu,
				       __u32 vsid, int *reason)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	struct icmp_frag_needed *hdr;
	struct tenet_vsid_val *vinfo;
	struct tenet_cfg *cfg;
	__u8 vm_mac[ETH_ALEN];
	__be32 vm_ip;
	__u32 sum;

	*reason = TENET_DROP_FRAG_NEEDED;
	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_SHOT;
	/* Only a DF sender expects the answer; quoting needs a plain header. */
	if (!(iph->frag_off & bpf_htons(IP_DF)) || iph->ihl != 5)
		return TC_ACT_SHOT;
	/* The answer comes from the sender's gateway (.1); looked up only here,
	 * off the per-packet path. */
	vinfo = bpf_map_lookup_elem(&tenet_vsid, &vsid);
	if (!vinfo)
		return TC_ACT_SHOT;
	cfg = cfg_get();
	if (!cfg)
		return TC_ACT_SHOT;
	mac_copy(vm_mac, eth->h_source);
	vm_ip = iph->saddr;

	/* Keep Ethernet + the quoted header and 8 bytes, then open room for
	 * the new IPv4 and ICMP headers in front of the quote. Truncating
	 * first also turns a GSO packet into a plain one. */
	if (bpf_skb_change_tail(skb, sizeof(*eth) + ICMP_QUOTE, 0) ||
	    bpf_skb_adjust_room(skb, sizeof(*hdr), BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	hdr = data + sizeof(*eth);
	if ((void *)hdr + sizeof(*hdr) + ICMP_QUOTE > data_end)
		return TC_ACT_SHOT;

	mac_copy(eth->h_dest, vm_mac);
	mac_copy(eth->h_source, cfg->router_mac);
	eth->h_proto = bpf_htons(ETH_P_IP);

	hdr->ip.version = 4;
	hdr->ip.ihl = 5;
	hdr->ip.tos = 0xc0; /* network control, as Linux sends ICMP errors */
	hdr->ip.tot_len = bpf_htons(sizeof(*hdr) + ICMP_QUOTE);
	hdr->ip.id = 0;
	hdr->ip.frag_off = 0;
	hdr->ip.ttl = 64;
	hdr->ip.protocol = IPPROTO_ICMP;
	hdr->ip.check = 0;
	hdr->ip.saddr = vinfo->gateway;
	hdr->ip.daddr = vm_ip;
	hdr->ip.check = ipv4_csum((struct iphdr *)(void *)hdr); /* ip is first */

	hdr->icmp.type = ICMP_DEST_UNREACH;
	hdr->icmp.code = ICMP_FRAG_NEEDED;
	hdr->icmp.checksum = 0;
	hdr->icmp.un.frag.__unused = 0;
	hdr->icmp.un.frag.mtu = bpf_htons(inner_mtu);
	sum = bpf_csum_diff(NULL, 0, (void *)&hdr->icmp, sizeof(hdr->icmp) + ICMP_QUOTE, 0);
	hdr->icmp.checksum = csum_fold(sum);

	note_redirect(skb->ifindex);
	return bpf_redirect(skb->ifindex, 0);
}

#endif

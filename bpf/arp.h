/* SPDX-License-Identifier: GPL-2.0 */
/* ARP proxy: a port's ARP requests are answered here and never leave the
 * host, so the underlay sees no broadcast. */
#ifndef TENET_BPF_ARP_H
#define TENET_BPF_ARP_H

#include "common.h"
#include "maps.h"
#include "lookup.h"
#include "counters.h"
#include "parse.h"
#include "decap.h"
#include "learn.h"

/* Decide what MAC answers an ARP request from a port, or why none does.
 * Returns 0 and sets *answer, or a drop reason. */
static __always_inline int arp_answer(const struct tenet_port_val *port,
				      __be32 tpa, const __u8 **answer)
{
	struct tenet_ca_val *rec;
	struct tenet_cfg *cfg;

	/* The port entry carries its VSID's .1: no tenet_vsid lookup. */
	if (port->gateway && tpa == port->gateway) {
		cfg = cfg_get();
		if (!cfg)
			return TENET_DROP_ARP_MISS;
		*answer = cfg->router_mac;
		return 0;
	}
	rec = ca_lookup(port->rdomain, tpa);
	/* Only records of the asker's own virtual subnet are on-link for it. */
	if (!rec || rec->vsid != port->vsid)
		return TENET_DROP_ARP_MISS;
	*answer = rec->mac;
	return 0;
}

/* Handle an ARP frame from a port. Returns a TC verdict; *reason is set
 * when the frame is dropped. */
static __always_inline int arp_from_port(struct __sk_buff *skb,
					 const struct tenet_port_val *port,
					 int *reason)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct arp_eth_ipv4 *arp = data + sizeof(*eth);
	const __u8 *answer = NULL;
	__be32 spa, tpa;
	int l2;
	__u32 vsid = port->vsid;
	int r;

	if ((void *)(arp + 1) > data_end) {
		*reason = TENET_DROP_TRUNCATED;
		return TC_ACT_SHOT;
	}
	if (arp->htype != bpf_htons(ARPHRD_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4) {
		*reason = TENET_DROP_ARP_UNSUPPORTED;
		return TC_ACT_SHOT;
	}
	if (!mac_eq(arp->sha, port->mac)) {
		*reason = TENET_DROP_SPOOFED_MAC;
		return TC_ACT_SHOT;
	}
	/* A port holding an l2only MAC teaches its IP with any ARP it sends
	 * (requests, replies, announcements). */
	l2 = learn_from_port(port, skb->ifindex, arp->spa);
	if (arp->op == bpf_htons(ARPOP_REPLY))
		return learn_reply_from_port(skb, port, l2, reason);
	if (arp->op != bpf_htons(ARPOP_REQUEST)) {
		*reason = TENET_DROP_ARP_UNSUPPORTED;
		return TC_ACT_SHOT;
	}
	spa = arp->spa;
	tpa = arp->tpa;
	/* A probe (sender 0.0.0.0) or announcement (sender == target) is a VM
	 * checking or claiming its own address; answering it would make the
	 * VM believe its address is taken. */
	if (spa == 0 || spa == tpa) {
		*reason = TENET_DROP_ARP_ANNOUNCE;
		return TC_ACT_SHOT;
	}
	r = arp_answer(port, tpa, &answer);
	if (r || !answer) {
		/* Nobody known has it: ask the holders of l2only MACs. */
		r = tenet_learn_flood(skb, vsid, port->pa);
		if (r >= 0) {
			*reason = LEARN_REASON(r);
			return LEARN_VERDICT(r);
		}
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		eth = data;
		arp = data + sizeof(*eth);
		if ((void *)(arp + 1) > data_end) {
			*reason = TENET_DROP_TRUNCATED;
			return TC_ACT_SHOT;
		}
		emit_event(TENET_EV_ARP_MISS, TENET_DROP_ARP_MISS, skb->ifindex, vsid,
			   tpa, 0, arp->sha);
		*reason = TENET_DROP_ARP_MISS;
		return TC_ACT_SHOT;
	}

	/* Turn the request into the reply, in place, and send it back. */
	mac_copy(eth->h_dest, arp->sha);
	mac_copy(eth->h_source, answer);
	arp->op = bpf_htons(ARPOP_REPLY);
	mac_copy(arp->tha, arp->sha);
	arp->tpa = spa;
	mac_copy(arp->sha, answer);
	arp->spa = tpa;
	note_redirect(skb->ifindex);
	return bpf_redirect(skb->ifindex, 0);
}

/* arp_from_underlay(): deliver the inner frame to res->ifindex. */
#define ARP_UL_DELIVER 0x100

static __always_inline int xdp_arp_drop(struct decap_result *res, int reason)
{
	res->reason = reason;
	return XDP_DROP;
}

/* Turn the ARP request in an NVGRE frame from a third-party endpoint (a
 * kernel gretap, a switch VTEP) into its reply and send it back the way
 * it came. Only the host that owns the target answers, as the VM itself
 * would; tenet hosts never send ARP over the underlay (each answers its
 * own ports), so this serves peers that do. Returns an XDP verdict and
 * sets res->reason when the frame is dropped, or ARP_UL_DELIVER. */
static __always_inline int arp_from_underlay(void *data, void *data_end,
					     struct decap_result *res)
{
	struct ethhdr *outer = data, *inner;
	struct arp_eth_ipv4 *arp;
	struct tenet_ca_val *rec;
	struct iphdr *iph;
	__u8 tmp_mac[ETH_ALEN];
	__be32 tmp_ip, spa, tpa;
	int r;

	/* Constant offsets keep the verifier's bounds: no tag or one tag. */
	if (res->ip_off == sizeof(struct ethhdr))
		iph = data + sizeof(struct ethhdr);
	else if (res->ip_off == sizeof(struct ethhdr) + 4)
		iph = data + sizeof(struct ethhdr) + 4;
	else
		return xdp_arp_drop(res, TENET_DROP_TRUNCATED);
	if ((void *)(iph + 1) > data_end)
		return xdp_arp_drop(res, TENET_DROP_TRUNCATED);
	/* Bounded for the verifier: outer Ethernet, tag, IPv4 with options, GRE. */
	if (res->outer_len > sizeof(struct ethhdr) + 4 + 60 + sizeof(struct nvgre_hdr))
		return xdp_arp_drop(res, TENET_DROP_TRUNCATED);
	inner = data + res->outer_len;
	arp = (void *)(inner + 1);
	if ((void *)(arp + 1) > data_end)
		return xdp_arp_drop(res, TENET_DROP_TRUNCATED);
	if (arp->htype != bpf_htons(ARPHRD_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4 || iph->ihl != 5)
		return xdp_arp_drop(res, TENET_DROP_ARP_UNSUPPORTED);
	if (arp->op == bpf_htons(ARPOP_REPLY))
		goto deliver;
	if (arp->op != bpf_htons(ARPOP_REQUEST))
		return xdp_arp_drop(res, TENET_DROP_ARP_UNSUPPORTED);
	spa = arp->spa;
	tpa = arp->tpa;
	if (spa == 0 || spa == tpa)
		return xdp_arp_drop(res, TENET_DROP_ARP_ANNOUNCE);
	rec = ca_lookup(res->rdomain, tpa);
	if (!rec || rec->vsid != res->vsid || !rec->ifindex)
		goto deliver;

	/* Inner: the reply, from the record's MAC to the asker. */
	mac_copy(inner->h_dest, arp->sha);
	mac_copy(inner->h_source, rec->mac);
	arp->op = bpf_htons(ARPOP_REPLY);
	mac_copy(arp->tha, arp->sha);
	arp->tpa = spa;
	mac_copy(arp->sha, rec->mac);
	arp->spa = tpa;

	/* Outer: back to where it came from, from the PA it was sent to.
	 * The GRE key (VSID, FlowID) stays. */
	mac_copy(tmp_mac, outer->h_dest);
	mac_copy(outer->h_dest, outer->h_source);
	mac_copy(outer->h_source, tmp_mac);
	tmp_ip = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = tmp_ip;
	iph->ttl = 64;
	iph->id = 0;
	iph->check = 0;
	iph->check = ipv4_csum(iph);
	return XDP_TX;

deliver:
	/* Not ours to answer: a unicast ARP for a local port (dynamic
	 * learning's copies and replies) is delivered, and learned from. */
	r = learn_from_underlay(inner, arp, res->outer_src, res);
	if (!r)
		r = decap_src_check(res, inner, data_end);
	if (r)
		return xdp_arp_drop(res, r);
	return ARP_UL_DELIVER;
}

#endif

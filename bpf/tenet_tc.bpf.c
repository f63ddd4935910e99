// SPDX-License-Identifier: GPL-2.0
/* TC ingress on a port (the host side of a VM's interface): anti-spoofing,
 * ARP proxy, switching inside the VSID, distributed routing inside the
 * routing domain, local delivery or NVGRE encapsulation. A frame that none
 * of these accepts is dropped with a counted reason: a port's traffic never
 * reaches the host stack.
 *
 * Also TC ingress on the underlay (tenet_tc_underlay): NVGRE decapsulation
 * for underlays where XDP costs more than it saves (veth, generic XDP);
 * the same decisions as tenet_xdp_underlay, see docs/datapath.md. */
#include "common.h"
#include "maps.h"
#include "counters.h"
#include "lookup.h"
#include "parse.h"
#include "arp.h"
#include "route.h"
#include "encap.h"
#include "echo.h"
#include "decap_tc.h"
#include "trace.h"

/* Send the frame to its destination record: a local port directly, a
 * remote one inside NVGRE with the record's VSID in the key. */
static __always_inline int deliver(struct __sk_buff *skb, const struct tenet_port_val *port,
				   const struct tenet_cfg *cfg, __u32 dst_vsid, __u32 ifindex,
				   __be32 pa, __u8 rule, int *reason)
{
	struct encap_target t = {
		.src_pa = port->pa,
		.dst_pa = pa,
		.vsid = dst_vsid,
		.src_vsid = port->vsid,
		.cfg_flags = cfg->flags,
	};

	if (ifindex) {
		count_rx(dst_vsid == port->vsid ? port->stats_slot : vsid_stats_slot(dst_vsid),
			 skb->len);
		note_redirect(ifindex);
		return bpf_redirect(ifindex, 0);
	}
	if (rule != TENET_RULE_ENCAP) {
		*reason = TENET_DROP_RULE_NONE_REMOTE;
		return TC_ACT_SHOT;
	}
	return nvgre_encap(skb, &t, reason);
}

static __always_inline int route_from_port(struct __sk_buff *skb,
					   const struct tenet_port_val *port,
					   const struct tenet_cfg *cfg, int *reason)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct cursor c = { .pos = data + sizeof(struct ethhdr), .end = data_end };
	struct tenet_ca_val *rec;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	int r;

	iph = parse_ipv4(&c);
	if (!iph) {
		*reason = TENET_DROP_IP_HDR;
		return TC_ACT_SHOT;
	}
	/* For the router itself, so before the TTL check. */
	r = gateway_echo(skb, port, cfg, eth, iph, c.pos, data_end);
	if (r != ECHO_NOT_MINE)
		return r;
	if (iph->ttl <= 1) {
		*reason = TENET_DROP_TTL_EXCEEDED;
		return TC_ACT_SHOT;
	}
	r = route_resolve(port->rdomain, iph->daddr, &rec);
	if (r) {
		*reason = r;
		return TC_ACT_SHOT;
	}
	ipv4_decrease_ttl(iph);
	mac_copy(eth->h_dest, rec->mac);
	mac_copy(eth->h_source, cfg->router_mac);
	return deliver(skb, port, cfg, rec->vsid, rec->ifindex, rec->pa, rec->rule, reason);
}

static __always_inline int switch_from_port(struct __sk_buff *skb,
					    const struct tenet_port_val *port,
					    const struct tenet_cfg *cfg, const __u8 *dmac,
					    int *reason)
{
	struct tenet_vmac_val *dst = vmac_lookup(port->vsid, dmac);

	if (!dst) {
		*reason = TENET_DROP_L2_MISS;
		return TC_ACT_SHOT;
	}
	return deliver(skb, port, cfg, port->vsid, dst->ifindex, dst->pa, dst->rule, reason);
}

static __always_inline int port_ingress(struct __sk_buff *skb, const struct tenet_port_val *port,
					int *reason)
{
	void *data, *data_end;
	struct tenet_cfg *cfg;
	struct ethhdr *eth;
	__u8 dmac[ETH_ALEN];
	__be16 proto;

	/* Headers of a frame from a VM are normally linear already; make sure
	 * before reading them directly. */
	if (skb->data + sizeof(struct ethhdr) + 60 + 8 > skb->data_end)
		bpf_skb_pull_data(skb, sizeof(struct ethhdr) + 60 + 8);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end) {
		*reason = TENET_DROP_TRUNCATED;
		return TC_ACT_SHOT;
	}
	if (!mac_eq(eth->h_source, port->mac)) {
		*reason = TENET_DROP_SPOOFED_MAC;
		return TC_ACT_SHOT;
	}
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_ARP))
		return arp_from_port(skb, port, reason);
	if (mac_is_multicast(eth->h_dest)) {
		*reason = TENET_DROP_BCAST;
		return TC_ACT_SHOT;
	}
	/* Only IP can be encapsulated (bpf_skb_adjust_room) or routed. */
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6)) {
		*reason = TENET_DROP_ETHERTYPE;
		return TC_ACT_SHOT;
	}
	cfg = cfg_get();
	if (!cfg || !(cfg->flags & TENET_CFG_ENABLED)) {
		*reason = TENET_DROP_DISABLED;
		return TC_ACT_SHOT;
	}
	mac_copy(dmac, eth->h_dest);
	if (mac_eq(dmac, cfg->router_mac)) {
		if (proto != bpf_htons(ETH_P_IP)) {
			*reason = TENET_DROP_ETHERTYPE;
			return TC_ACT_SHOT;
		}
		return route_from_port(skb, port, cfg, reason);
	}
	return switch_from_port(skb, port, cfg, dmac, reason);
}

SEC("tc")
int tenet_tc_port(struct __sk_buff *skb)
{
	struct tenet_trace_ctl *trace = trace_ctl();
	__u32 ifindex = skb->ifindex;
	struct tenet_port_val *port;
	__u32 len = skb->len;
	int reason = 0;
	int verdict;

	port = port_get(ifindex);
	if (!port) {
		count_drop(TENET_DROP_PORT_UNKNOWN, 0, len);
		port_drop(skb, trace, TENET_DROP_PORT_UNKNOWN, len, 0, 0);
		return TC_ACT_SHOT;
	}
	count_tx(port->stats_slot, len);
	trace_skb(skb, trace, TENET_TP_PORT, 0, ifindex, port->vsid, port->rdomain);
	verdict = port_ingress(skb, port, &reason);
	if (reason) {
		count_drop(reason, port->stats_slot, len);
		port_drop(skb, trace, reason, len, port->vsid, port->rdomain);
	} else if (trace_on(trace) && verdict == TC_ACT_REDIRECT &&
		   skb->len == len + TENET_ENCAP_OVERHEAD) {
		/* Nothing else a port sends grows by exactly the NVGRE
		 * overhead: this frame was encapsulated (an IP frame, or a
		 * learning ARP copy). Its VSID on the wire may be another
		 * subnet's of the routing domain; the port's stands in. */
		trace_skb(skb, trace, TENET_TP_ENCAP, 0, ifindex, port->vsid, port->rdomain);
	}
	return verdict;
}

SEC("tc")
int tenet_tc_underlay(struct __sk_buff *skb)
{
	struct tenet_trace_ctl *trace;
	struct decap_result res = {};
	__u32 len = skb->len;
	enum decap_verdict v;
	void *data, *data_end;
	int verdict;

	v = decap_tc_classify(skb, &res);
	switch (v) {
	case DECAP_PASS:
		return TC_ACT_OK;
	case DECAP_DROP:
		count_drop(res.reason, res.slot, len);
		trace_skb(skb, trace_ctl(), TENET_TP_DROP, res.reason, 0, res.vsid, res.rdomain);
		return TC_ACT_SHOT;
	case DECAP_ARP:
	case DECAP_DELIVER:
		break;
	}
	if (decap_tc_trim(skb, &res)) {
		count_drop(TENET_DROP_TRUNCATED, res.slot, len);
		return TC_ACT_SHOT;
	}
	if (v == DECAP_ARP) {
		/* An answer goes back out of the device it came in on (XDP_TX
		 * in the XDP program); learning's unicast ARP is delivered
		 * like any frame for a local port. */
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		verdict = arp_from_underlay(data, data_end, &res);
		if (verdict == XDP_TX) {
			note_redirect(skb->ifindex);
			return bpf_redirect(skb->ifindex, 0);
		}
		if (verdict != ARP_UL_DELIVER) {
			count_drop(res.reason, res.slot, len);
			trace_skb(skb, trace_ctl(), TENET_TP_DROP, res.reason, 0, res.vsid,
				  res.rdomain);
			return TC_ACT_SHOT;
		}
	}
	trace = trace_ctl();
	trace_skb(skb, trace, TENET_TP_DECAP, 0, res.ifindex, res.vsid, res.rdomain);
	if (decap_tc_strip(skb, &res)) {
		count_drop(TENET_DROP_TRUNCATED, res.slot, len);
		trace_skb(skb, trace, TENET_TP_DROP, TENET_DROP_TRUNCATED, res.ifindex, res.vsid,
			  res.rdomain);
		return TC_ACT_SHOT;
	}
	count_rx(res.slot, skb->len);
	note_redirect(res.ifindex);
	return bpf_redirect(res.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";

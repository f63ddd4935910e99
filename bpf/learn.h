/* SPDX-License-Identifier: GPL-2.0 */
/* Dynamic IP address learning (HNV's l2only records, docs/learning.md).
 *
 * An l2only lookup record says which PA holds a MAC of a VSID, not which
 * IP the MAC has. When a port ARPs for an IP that has no record in its
 * VSID, the request is sent as one unicast copy to every holder of an
 * l2only MAC in that VSID (inner destination MAC rewritten to the l2only
 * MAC: a local port gets it directly, a remote one inside NVGRE). The VM
 * that owns the IP answers; its reply goes back to the asker like any
 * unicast frame. Both ends report the binding they saw (VSID, IP, MAC, PA)
 * to the agent as a TENET_EV_LEARN event, which stores it as a dynamic
 * record for every host.
 *
 * A binding is reported only by the host that holds the MAC (a local port
 * with an l2only record here) or from NVGRE whose outer source is the PA
 * of the MAC's l2only record; anything else is counted as denied. Reports
 * are deduplicated (tenet_lseen) and rate-limited per port (tenet_lrate),
 * so a chatty or hostile VM cannot flood the agent; the copies a port's
 * ARP misses cause have a budget of their own there too.
 *
 * Kept apart from arp.h and decap.h so that the receive side can move
 * between hooks (XDP today) with a few calls. */
#ifndef TENET_BPF_LEARN_H
#define TENET_BPF_LEARN_H

#include "common.h"
#include "maps.h"
#include "lookup.h"
#include "counters.h"
#include "parse.h"
#include "encap.h"

#define LEARN_NSEC 1000000000ull
#define LEARN_REFRESH_NS ((__u64)TENET_LEARN_REFRESH_S * LEARN_NSEC)
#define LEARN_TOKEN_NS (LEARN_NSEC / TENET_LEARN_RATE)

static __always_inline void lstat_inc(enum tenet_learn_stat s)
{
	__u32 k = s;
	__u64 *v = bpf_map_lookup_elem(&tenet_lstats, &k);

	if (v)
		(*v)++;
}

/* The l2only record of a MAC in a VSID, copied to *out: 1 if there is
 * one, else 0. Slots have no holes. A global function: the verifier
 * checks its loop once, not at every caller. */
__attribute__((noinline)) int tenet_l2only_find(__u32 vsid, const struct tenet_mac_key *mk,
						struct tenet_l2only_val *out)
{
	struct tenet_l2only_key k = { .vsid = vsid };
	struct tenet_l2only_val *t;

	if (!mk || !out)
		return 0;
	for (__u32 i = 0; i < TENET_L2ONLY_PER_VSID; i++) {
		k.slot = i;
		t = bpf_map_lookup_elem(&tenet_l2only, &k);
		if (!t)
			return 0;
		if (mac_eq(t->mac, mk->mac)) {
			__builtin_memcpy(out, t, sizeof(*out));
			return 1;
		}
	}
	return 0;
}

/* One token of the port's learn budget; 0 when it is spent. */
static __always_inline int learn_token(__u32 ifindex, __u64 now)
{
	struct tenet_lrate_val *b, init = { .ts = now, .tokens = TENET_LEARN_BURST - 1 };
	__u64 add;

	b = bpf_map_lookup_elem(&tenet_lrate, &ifindex);
	if (!b) {
		bpf_map_update_elem(&tenet_lrate, &ifindex, &init, BPF_ANY);
		return 1;
	}
	add = (now - b->ts) / LEARN_TOKEN_NS;
	if (add) {
		b->tokens = b->tokens + add > TENET_LEARN_BURST ? TENET_LEARN_BURST :
								  b->tokens + (__u32)add;
		b->ts = now;
	}
	if (!b->tokens)
		return 0;
	b->tokens--;
	return 1;
}

/* Report a binding unless it was reported recently as it is. ifindex is
 * the port it concerns (its rate budget is charged). */
__attribute__((noinline)) int tenet_learn_report(__u32 vsid, __be32 ip,
						 const struct tenet_mac_key *mk, __be32 pa,
						 __u32 ifindex)
{
	struct tenet_lseen_key k = { .vsid = vsid, .ip = ip };
	struct tenet_lseen_val *seen, v = { .pa = pa };
	struct tenet_vsid_val *vinfo;
	__u64 now = bpf_ktime_get_ns();
	__be32 mask;

	if (!mk)
		return 0;
	vinfo = bpf_map_lookup_elem(&tenet_vsid, &vsid);
	if (!vinfo || vinfo->plen > 32)
		return 0;
	/* Only addresses of the subnet are bindings (the agent checks the
	 * rest); probes from 0.0.0.0 teach nothing. */
	mask = vinfo->plen ? bpf_htonl(~0u << (32 - vinfo->plen)) : 0;
	if (!ip || (ip & mask) != vinfo->prefix || ip == vinfo->gateway) {
		lstat_inc(TENET_LSTAT_DENIED);
		return 0;
	}
	seen = bpf_map_lookup_elem(&tenet_lseen, &k);
	if (seen && seen->pa == pa && mac_eq(seen->mac, mk->mac) &&
	    now - seen->ts < LEARN_REFRESH_NS) {
		lstat_inc(TENET_LSTAT_DEDUPED);
		return 0;
	}
	if (!learn_token(ifindex, now)) {
		lstat_inc(TENET_LSTAT_RATELIMITED);
		return 0;
	}
	v.ts = now;
	mac_copy(v.mac, mk->mac);
	bpf_map_update_elem(&tenet_lseen, &k, &v, BPF_ANY);
	lstat_inc(TENET_LSTAT_EVENTS);
	emit_event(TENET_EV_LEARN, 0, ifindex, vsid, ip, pa, mk->mac);
	return 1;
}

/* An ARP from a port (sender MAC already checked to be the port's). When
 * the port's MAC is an l2only record held here, the sender IP is learned.
 * Returns 1 for such a port, else 0. */
static __always_inline int learn_from_port(const struct tenet_port_val *port, __u32 ifindex,
					   __be32 spa)
{
	struct tenet_l2only_val t;
	struct tenet_mac_key mk = {};

	mac_copy(mk.mac, port->mac);
	if (!tenet_l2only_find(port->vsid, &mk, &t))
		return 0;       /* a configured VM: nothing to learn */
	if (t.ifindex != ifindex) {
		/* The record puts the MAC on another host (or port). */
		lstat_inc(TENET_LSTAT_DENIED);
		return 0;
	}
	if (spa)
		tenet_learn_report(port->vsid, spa, &mk, t.pa, ifindex);
	return 1;
}

/* ---- ARP inside NVGRE, sent from TC ----
 * bpf_skb_adjust_room() only encapsulates IP, so ARP gets its outer
 * headers in front of the frame with bpf_skb_change_head(). */

struct arp_nvgre {
	struct ethhdr outer;
	struct iphdr ip;
	struct nvgre_hdr gre;
	struct ethhdr inner;
	struct arp_eth_ipv4 arp;
} __attribute__((packed));

/* Put the outer headers in front of an ARP frame; the per-destination
 * fields are filled by arp_nvgre_send(). */
static __always_inline int arp_nvgre_push(struct __sk_buff *skb, __be32 src_pa, __u32 vsid)
{
	__u32 inner_len = skb->len;
	struct arp_nvgre *h;
	void *data_end;

	if (bpf_skb_change_head(skb, sizeof(struct ethhdr) + sizeof(struct iphdr) +
					     sizeof(struct nvgre_hdr), 0))
		return TENET_DROP_ENCAP;
	h = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if ((void *)(h + 1) > data_end)
		return TENET_DROP_ENCAP;
	h->outer.h_proto = bpf_htons(ETH_P_IP);
	h->ip.version = 4;
	h->ip.ihl = 5;
	h->ip.tos = 0;
	h->ip.tot_len = bpf_htons(inner_len + sizeof(h->ip) + sizeof(h->gre));
	h->ip.id = 0;
	h->ip.frag_off = bpf_htons(IP_DF);
	h->ip.ttl = 64;
	h->ip.protocol = NVGRE_IPPROTO;
	h->ip.saddr = src_pa;
	/* ARP is not an IP flow: FlowID 0. */
	h->gre.flags = bpf_htons(NVGRE_FLAGS);
	h->gre.proto = bpf_htons(NVGRE_PROTO_TEB);
	h->gre.key = bpf_htonl(nvgre_key(vsid, 0));
	return 0;
}

/* Verdict and drop reason of the global functions below in one scalar. */
#define LEARN_RET(verdict, reason) ((int)(verdict) | ((int)(reason) << 16))
#define LEARN_VERDICT(r) ((r) & 0xffff)
#define LEARN_REASON(r) ((r) >> 16)

/* Address the pushed frame to one PA (inner destination MAC dmac) and
 * send it: a clone when more copies follow, else the frame itself.
 * Returns LEARN_RET(verdict for the frame itself, drop reason); after a
 * clone (sent or not) the verdict is TC_ACT_OK. */
__attribute__((noinline)) int tenet_arp_nvgre_send(struct __sk_buff *skb, __be32 dst_pa,
						   const struct tenet_mac_key *dmac, __u32 clone)
{
	struct tenet_nh_val *nh;
	struct arp_nvgre *h;
	void *data_end;
	__u32 ifindex;
	__u16 vlan;

	if (!skb || !dmac)
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_ENCAP);
	h = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if ((void *)(h + 1) > data_end)
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_ENCAP);
	mac_copy(h->inner.h_dest, dmac->mac);
	h->ip.daddr = dst_pa;
	h->ip.check = 0;
	h->ip.check = ipv4_csum((struct iphdr *)((void *)h + sizeof(struct ethhdr)));

	nh = nexthop_get(h->ip.saddr, dst_pa);
	if (!nh) {
		/* bpf_redirect_neigh() only resolves for IP frames (it checks
		 * skb->protocol, and ours stays ARP). The agent is told to
		 * resolve the next hop; the VM asks again a second later. */
		__u8 zero[ETH_ALEN] = {};

		nhstat_inc(TENET_NHSTAT_MISS);
		nhstat_inc(TENET_NHSTAT_MISS_NOT_IP);
		emit_event(TENET_EV_NEIGH_MISS, TENET_DROP_LEARN_NO_NEIGH, skb->ifindex, 0, dst_pa,
			   h->ip.saddr, zero);
		if (clone) {
			count_drop(TENET_DROP_LEARN_NO_NEIGH, 0, skb->len);
			return LEARN_RET(TC_ACT_OK, 0);
		}
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_LEARN_NO_NEIGH);
	}
	ifindex = nh->ifindex;
	vlan = nh->vlan;
	mac_copy(h->outer.h_dest, nh->dmac);
	mac_copy(h->outer.h_source, nh->smac);
	lstat_inc(TENET_LSTAT_COPIES);
	if (vlan && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), vlan))
		return clone ? LEARN_RET(TC_ACT_OK, 0) : LEARN_RET(TC_ACT_SHOT, TENET_DROP_ENCAP);
	if (clone) {
		bpf_clone_redirect(skb, ifindex, 0);
		/* The next copy may leave untagged or with another tag. */
		if (vlan)
			bpf_skb_vlan_pop(skb);
		return LEARN_RET(TC_ACT_OK, 0);
	}
	note_redirect(ifindex);
	return LEARN_RET(bpf_redirect(ifindex, 0), 0);
}

/* Copies of an ARP request to the local holders of l2only MACs of the
 * VSID (not the asker). Returns the slot of the last remote holder + 1
 * (0: none), plus 0x100 when a local copy was made. */
__attribute__((noinline)) int tenet_flood_local(struct __sk_buff *skb, __u32 vsid)
{
	struct tenet_l2only_key k = { .vsid = vsid };
	struct tenet_l2only_val *t;
	struct ethhdr *eth;
	__u32 ifindex, last = 0, local = 0;
	__u8 dmac[ETH_ALEN];

	if (!skb)
		return 0;
	ifindex = skb->ifindex;
	for (__u32 i = 0; i < TENET_L2ONLY_PER_VSID; i++) {
		k.slot = i;
		t = bpf_map_lookup_elem(&tenet_l2only, &k);
		if (!t)
			break;
		if (!t->ifindex) {
			last = i + 1;
			continue;
		}
		if (t->ifindex == ifindex)
			continue;
		mac_copy(dmac, t->mac);
		eth = (void *)(long)skb->data;
		if ((void *)(eth + 1) > (void *)(long)skb->data_end)
			break;
		mac_copy(eth->h_dest, dmac);
		if (!bpf_clone_redirect(skb, t->ifindex, 0)) {
			lstat_inc(TENET_LSTAT_COPIES);
			local = 0x100;
		}
	}
	return (int)(last | local);
}

/* A port ARPed for an IP with no record in its VSID. Ask every holder of
 * an l2only MAC of the VSID with a unicast copy: local ones straight to
 * their ports, remote ones inside NVGRE (the last remote holder gets the
 * frame itself, the others clones). Returns -1 when the VSID has no
 * l2only record besides the asker (the caller reports the miss), else
 * LEARN_RET(TC verdict, drop reason or 0). */
__attribute__((noinline)) int tenet_learn_flood(struct __sk_buff *skb, __u32 vsid, __be32 src_pa)
{
	struct tenet_l2only_key k = { .vsid = vsid };
	struct tenet_l2only_val *t;
	struct tenet_mac_key mk = {};
	struct tenet_pa_val *pa;
	__u32 last;
	int r, reason;

	if (!skb)
		return -1;
	/* Only VSIDs with l2only records make copies; those count. */
	k.slot = 0;
	if (!bpf_map_lookup_elem(&tenet_l2only, &k))
		return -1;
	if (!learn_token(skb->ifindex | TENET_LRATE_FLOOD, bpf_ktime_get_ns()))
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_LEARN_FLOOD_LIMIT);
	r = tenet_flood_local(skb, vsid);
	last = r & 0xff;
	if (!last)
		return r ? LEARN_RET(TC_ACT_SHOT, 0) : -1;
	last--;
	pa = pa_get(src_pa);
	if (!pa)
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_NO_SRC_PA);
	reason = arp_nvgre_push(skb, src_pa, vsid);
	if (reason)
		return LEARN_RET(TC_ACT_SHOT, reason);
	for (__u32 i = 0; i < TENET_L2ONLY_PER_VSID; i++) {
		k.slot = i;
		t = bpf_map_lookup_elem(&tenet_l2only, &k);
		if (!t)
			break;
		if (t->ifindex)
			continue;
		mac_copy(mk.mac, t->mac);
		r = tenet_arp_nvgre_send(skb, t->pa, &mk, i != last);
		if (i == last)
			return r;
	}
	/* The table changed under us: the last remote holder is gone. */
	return LEARN_RET(TC_ACT_SHOT, 0);
}

/* Encapsulate an ARP frame (a reply) to one PA. LEARN_RET as above. */
__attribute__((noinline)) int tenet_arp_encap(struct __sk_buff *skb, __u32 vsid, __be32 src_pa,
					      __be32 dst_pa)
{
	struct tenet_mac_key mk = {};
	struct tenet_pa_val *pa;
	struct ethhdr *eth;
	int reason;

	if (!skb)
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_ENCAP);
	eth = (void *)(long)skb->data;
	if ((void *)(eth + 1) > (void *)(long)skb->data_end)
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_TRUNCATED);
	mac_copy(mk.mac, eth->h_dest);
	pa = pa_get(src_pa);
	if (!pa)
		return LEARN_RET(TC_ACT_SHOT, TENET_DROP_NO_SRC_PA);
	reason = arp_nvgre_push(skb, src_pa, vsid);
	if (reason)
		return LEARN_RET(TC_ACT_SHOT, reason);
	return tenet_arp_nvgre_send(skb, dst_pa, &mk, 0);
}

/* An ARP reply from a port. Only a holder of an l2only MAC answers ARP
 * (tenet proxies every other); the reply goes to the asker like any
 * unicast frame of the VSID. l2: the port holds an l2only MAC. */
static __always_inline int learn_reply_from_port(struct __sk_buff *skb,
						 const struct tenet_port_val *port, int l2,
						 int *reason)
{
	struct tenet_vmac_val *dst;
	struct ethhdr *eth;
	__u8 dmac[ETH_ALEN];
	int r;

	if (!l2) {
		*reason = TENET_DROP_ARP_REPLY;
		return TC_ACT_SHOT;
	}
	eth = (void *)(long)skb->data;
	if ((void *)(eth + 1) > (void *)(long)skb->data_end) {
		*reason = TENET_DROP_TRUNCATED;
		return TC_ACT_SHOT;
	}
	mac_copy(dmac, eth->h_dest);
	if (mac_is_multicast(dmac)) {
		*reason = TENET_DROP_ARP_REPLY;
		return TC_ACT_SHOT;
	}
	dst = vmac_lookup(port->vsid, dmac);
	if (!dst) {
		*reason = TENET_DROP_L2_MISS;
		return TC_ACT_SHOT;
	}
	if (dst->ifindex) {
		count_rx(port->stats_slot, skb->len);
		note_redirect(dst->ifindex);
		return bpf_redirect(dst->ifindex, 0);
	}
	if (dst->rule != TENET_RULE_ENCAP) {
		*reason = TENET_DROP_RULE_NONE_REMOTE;
		return TC_ACT_SHOT;
	}
	r = tenet_arp_encap(skb, port->vsid, port->pa, dst->pa);
	*reason = LEARN_REASON(r);
	return LEARN_VERDICT(r);
}

/* ---- the underlay side ---- */

/* An ARP inside NVGRE that no proxy answered (a copy from an asking host,
 * or the reply to one): it goes to the local port its inner destination
 * MAC names, on the packet's VSID. When the sender MAC is an l2only
 * record of the VSID, the binding is learned, but only if the frame comes
 * from that record's PA; a reply from any other sender was never asked
 * for. Returns 0 with res->ifindex set, or a drop reason. */
static __always_inline int learn_from_underlay(const struct ethhdr *inner,
					       const struct arp_eth_ipv4 *arp, __be32 outer_src,
					       struct decap_result *res)
{
	struct tenet_l2only_key lk = { .vsid = res->vsid, .slot = 0 };
	struct tenet_mac_key mk = {}, sk = {};
	struct tenet_port_mac_val *port;
	struct tenet_l2only_val t;

	if (mac_is_multicast(inner->h_dest))
		return arp->op == bpf_htons(ARPOP_REQUEST) ? TENET_DROP_ARP_MISS : TENET_DROP_BCAST;
	/* Hosts answer their own ports' ARP and put ARP on the underlay only
	 * as learning's copies and replies, in VSIDs with l2only records.
	 * Elsewhere an ARP for a VM could only rewrite its ARP cache. */
	if (!bpf_map_lookup_elem(&tenet_l2only, &lk))
		return TENET_DROP_UL_ARP_NO_L2ONLY;
	mac_copy(mk.mac, inner->h_dest);
	port = bpf_map_lookup_elem(&tenet_port_mac, &mk);
	/* ARP stays in its broadcast domain: the port must be on the VSID. */
	if (!port || port->vsid != res->vsid)
		return TENET_DROP_NO_PORT;
	mac_copy(sk.mac, arp->sha);
	if (tenet_l2only_find(res->vsid, &sk, &t)) {
		if (t.ifindex || t.pa != outer_src || !mac_eq(inner->h_source, sk.mac)) {
			lstat_inc(TENET_LSTAT_DENIED);
			return TENET_DROP_LEARN_DENIED;
		}
		tenet_learn_report(res->vsid, arp->spa, &sk, outer_src, port->ifindex);
	} else if (arp->op != bpf_htons(ARPOP_REQUEST)) {
		lstat_inc(TENET_LSTAT_DENIED);
		return TENET_DROP_LEARN_DENIED;
	}
	res->ifindex = port->ifindex;
	return 0;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* NVGRE receive: classify an underlay frame, check it against the VSID ACL
 * and find the local port that gets the inner frame. Both decap hooks
 * (XDP and TC) decide here, with the same code on the same bytes; what a
 * hook knows beyond the bytes (the frame's length, a tag the stack moved
 * into metadata, GSO) comes in struct decap_in. docs/datapath.md has the
 * table of every decision. */
#ifndef TENET_BPF_DECAP_H
#define TENET_BPF_DECAP_H

#include "common.h"
#include "maps.h"
#include "parse.h"
#include "lookup.h"
#include "route.h"

/* RFC 2784 says a receiver discards packets with any of bits 1-5 set
 * (unless it implements RFC 1701); RFC 7637 requires C=S=0 and K=1. The
 * strict-route bit and recursion bits fall in that range too. */
#define NVGRE_MUST_BE_ZERO (GRE_FLAG_C | GRE_FLAG_R | GRE_FLAG_S | 0x0800 | 0x0400 | \
			    GRE_VERSION_MASK)

/* The shortest inner frame delivered: an Ethernet header and the smallest
 * packet a port can take (an IPv4 header; ARP needs 28, IPv6 40). TC
 * cannot shrink an skb below that (bpf_skb_adjust_room keeps an IPv4
 * header's worth), so XDP does not deliver less either. */
#define DECAP_INNER_MIN (ETH_HLEN + 20)

enum decap_verdict {
	DECAP_PASS,    /* not NVGRE for us: the stack gets it untouched */
	DECAP_DROP,    /* NVGRE for us but unacceptable: res.reason says why */
	DECAP_DELIVER, /* strip res.outer_len bytes and give it to res.ifindex */
	DECAP_ARP,     /* an ARP request inside: answered by arp_from_underlay */
};

/* What the hook knows besides the bytes from data to data_end. */
struct decap_in {
	__u32 len;       /* the whole frame: XDP data_end - data, TC skb->len */
	__u32 tag_proto; /* TC: outer tag the stack moved to metadata (network
			  * order; 0: none). XDP sees every tag in the bytes. */
	__u32 tag_tci;
	__u32 gso;       /* TC: a GSO super-packet (outer total length may be 0) */
};

struct decap_result {
	__u32 ip_off;   /* outer IPv4 header offset (after an optional tag) */
	__u32 outer_len;
	__u32 ifindex;
	__u32 vsid;     /* VSID from the key */
	__u32 rdomain;  /* that VSID's routing domain */
	__u32 slot;     /* that VSID's counter slot (0 until it is known) */
	__u32 reason;   /* enum tenet_drop_reason when DECAP_DROP */
	__u32 trim;     /* bytes after the outer IPv4 total length, to cut */
	__be32 outer_src;
};

static __always_inline enum decap_verdict
decap_drop(struct decap_result *res, enum tenet_drop_reason reason)
{
	res->reason = reason;
	return DECAP_DROP;
}

/* Strict source (TENET_CFG_STRICT_SRC): the outer source must be the PA
 * of the inner sender's lookup record: its MAC in the packet's VSID, or,
 * for a frame a remote host routed (source MAC = the router MAC), its
 * IPv4 source in the routing domain, through a customer route if that is
 * how it is reached (the forwarding gateway's traffic). A sender local to
 * this host never arrives from the underlay. 0: accepted, else a drop
 * reason (TRUNCATED when the inner IPv4 header is not in data_end yet:
 * TC pulls it and asks again). */
static __always_inline int decap_src_check(const struct decap_result *res,
					   const struct ethhdr *inner, void *data_end)
{
	struct tenet_cfg *cfg = cfg_get();
	struct tenet_vmac_val *v;
	struct tenet_ca_val *rec;
	struct iphdr *ip;

	if (!cfg || !(cfg->flags & TENET_CFG_STRICT_SRC))
		return 0;
	if (!mac_eq(inner->h_source, cfg->router_mac)) {
		v = vmac_lookup(res->vsid, inner->h_source);
		return v && !v->ifindex && v->pa == res->outer_src ? 0 : TENET_DROP_SRC_PA;
	}
	if (inner->h_proto != bpf_htons(ETH_P_IP))
		return TENET_DROP_SRC_PA;
	ip = (void *)(inner + 1);
	if ((void *)(ip + 1) > data_end)
		return TENET_DROP_TRUNCATED;
	if (route_resolve(res->rdomain, ip->saddr, &rec))
		return TENET_DROP_SRC_PA;
	return !rec->ifindex && rec->pa == res->outer_src ? 0 : TENET_DROP_SRC_PA;
}

static __always_inline enum decap_verdict
decap_classify(void *data, void *data_end, const struct decap_in *in, struct decap_result *res)
{
	struct cursor c = { .pos = data, .end = data_end };
	struct tenet_mac_key mk = {};
	struct tenet_port_mac_val *port = NULL;
	struct tenet_vsid_val *vinfo;
	struct tenet_pa_val *pa;
	struct nvgre_hdr *gre;
	struct ethhdr *eth, *inner;
	struct vlan_hdr *vh;
	struct iphdr *iph;
	__u32 hlen, tot, end, vid = in->tag_tci & 0x0fff;
	__u32 tag_proto = in->tag_proto;
	__be16 proto;
	__u16 flags;
	__u32 vsid;
	int r;

	eth = cursor_take(&c, struct ethhdr);
	if (!eth)
		return DECAP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		/* One tag at most: behind a second one (QinQ) is no PA. At
		 * TC a first tag is in metadata already, so a tag in the bytes
		 * is the second; XDP sees both in the bytes and stops at the
		 * inner tag's ethertype. */
		if (tag_proto)
			return DECAP_PASS;
		vh = cursor_take(&c, struct vlan_hdr);
		if (!vh)
			return DECAP_PASS;
		tag_proto = proto;
		vid = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->proto;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return DECAP_PASS;
	res->ip_off = c.pos - data;
	iph = parse_ipv4(&c);
	if (!iph || iph->protocol != NVGRE_IPPROTO)
		return DECAP_PASS;
	pa = pa_get(iph->daddr);
	if (!pa)
		return DECAP_PASS;
	res->outer_src = iph->saddr;

	/* From here on the frame is GRE to one of our PAs: ours to judge.
	 * Addressed to this host at L2 (not flooded by a switch, not seen
	 * by a promiscuous NIC; RFC 1122 3.3.6 also discards IP unicast in
	 * a link-layer broadcast), on the PA's own VLAN. VLAN ID 0 is a
	 * priority tag: untagged, as Linux takes it. */
	if (!mac_eq(eth->h_dest, pa->mac))
		return decap_drop(res, TENET_DROP_OUTER_DST_MAC);
	if (vid != pa->vlan || (vid && tag_proto != bpf_htons(ETH_P_8021Q)))
		return decap_drop(res, TENET_DROP_OUTER_VLAN);
	/* RFC 1122 3.2.1.2: a datagram whose header checksum fails MUST be
	 * discarded. */
	if (!ipv4_csum_ok(iph, data_end))
		return decap_drop(res, TENET_DROP_OUTER_CSUM);
	/* The datagram is its total length (RFC 791): a frame shorter was
	 * cut in transit; bytes past it (Ethernet padding, a trailer, an
	 * FCS kept by the NIC) are not part of it and are trimmed, as every
	 * IPv4 receiver does. A GSO super-packet over 64 KiB carries 0. */
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (!tot && in->gso)
		tot = in->len - res->ip_off;
	if (tot < hlen)
		return decap_drop(res, TENET_DROP_OUTER_LEN);
	if (in->len < res->ip_off || in->len - res->ip_off < tot)
		return decap_drop(res, TENET_DROP_TRUNCATED);
	end = res->ip_off + tot;
	res->trim = in->len - end;

	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return decap_drop(res, TENET_DROP_OUTER_FRAG);
	gre = cursor_take(&c, struct nvgre_hdr);
	if (!gre || res->ip_off + hlen + sizeof(*gre) > end)
		return decap_drop(res, TENET_DROP_TRUNCATED);
	if (gre->proto != bpf_htons(NVGRE_PROTO_TEB))
		return DECAP_PASS; /* another GRE payload: not NVGRE */
	flags = bpf_ntohs(gre->flags);
	if ((flags & NVGRE_MUST_BE_ZERO) || !(flags & GRE_FLAG_K))
		return decap_drop(res, TENET_DROP_GRE_FLAGS);

	vsid = nvgre_key_vsid(bpf_ntohl(gre->key));
	res->vsid = vsid;
	if (vsid < TENET_VSID_MIN || vsid > TENET_VSID_MAX)
		return decap_drop(res, TENET_DROP_VSID_INVALID);

	res->outer_len = c.pos - data;
	inner = cursor_take(&c, struct ethhdr);
	/* The common frame, unicast IP for a port of its own VSID, needs
	 * nothing of tenet_vsid: the port's entry carries the VSID's routing
	 * domain and counter slot, copies the agent writes with the port, and
	 * a port's VSID is one the host has. Every other frame reads
	 * tenet_vsid first, so that the checks below keep their order (and
	 * their drop reasons) whatever the inner frame is. */
	if (inner && end - res->outer_len >= DECAP_INNER_MIN &&
	    inner->h_proto != bpf_htons(ETH_P_8021Q) && inner->h_proto != bpf_htons(ETH_P_8021AD) &&
	    inner->h_proto != bpf_htons(ETH_P_ARP) && !mac_is_multicast(inner->h_dest)) {
		mac_copy(mk.mac, inner->h_dest);
		port = bpf_map_lookup_elem(&tenet_port_mac, &mk);
		if (port && port->vsid == vsid) {
			res->rdomain = port->rdomain;
			res->slot = port->stats_slot;
			goto deliver;
		}
	}
	vinfo = bpf_map_lookup_elem(&tenet_vsid, &vsid);
	if (!vinfo)
		return decap_drop(res, TENET_DROP_VSID_UNKNOWN);
	res->rdomain = vinfo->rdomain;
	res->slot = vinfo->stats_slot;

	if (!inner || end - res->outer_len < DECAP_INNER_MIN)
		return decap_drop(res, TENET_DROP_TRUNCATED);
	/* RFC 7637: the inner frame must not carry an 802.1Q tag. */
	if (inner->h_proto == bpf_htons(ETH_P_8021Q) ||
	    inner->h_proto == bpf_htons(ETH_P_8021AD))
		return decap_drop(res, TENET_DROP_INNER_VLAN);
	if (inner->h_proto == bpf_htons(ETH_P_ARP))
		return DECAP_ARP;
	if (mac_is_multicast(inner->h_dest))
		return decap_drop(res, TENET_DROP_BCAST);

	/* A port of another VSID (a routed frame) or none at all. */
	if (!port)
		return decap_drop(res, TENET_DROP_NO_PORT);
	/* The VSID ACL: a frame never crosses into another routing domain. */
	if (port->rdomain != vinfo->rdomain)
		return decap_drop(res, TENET_DROP_RDOMAIN_MISMATCH);
deliver:
	r = decap_src_check(res, inner, data_end);
	if (r)
		return decap_drop(res, r);
	res->ifindex = port->ifindex;
	return DECAP_DELIVER;
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* NVGRE receive: classify an underlay frame, check it against the VSID ACL
 * and find the local port that gets the inner frame. */
#ifndef TENET_BPF_DECAP_H
#define TENET_BPF_DECAP_H

#include "common.h"
#include "maps.h"
#include "parse.h"

/* RFC 2784 says a receiver discards packets with any of bits 1-5 set
 * (unless it implements RFC 1701); RFC 7637 requires C=S=0 and K=1. The
 * strict-route bit and recursion bits fall in that range too. */
#define NVGRE_MUST_BE_ZERO (GRE_FLAG_C | GRE_FLAG_R | GRE_FLAG_S | 0x0800 | 0x0400 | \
			    GRE_VERSION_MASK)

enum decap_verdict {
	DECAP_PASS,    /* not NVGRE for us: the stack gets it untouched */
	DECAP_DROP,    /* NVGRE for us but unacceptable: res.reason says why */
	DECAP_DELIVER, /* strip res.outer_len bytes and give it to res.ifindex */
	DECAP_ARP,     /* an ARP request inside: answered by arp_from_underlay */
};

struct decap_result {
	__u32 ip_off;   /* outer IPv4 header offset (after an optional tag) */
	__u32 outer_len;
	__u32 ifindex;
	__u32 vsid;     /* VSID from the key */
	__u32 rdomain;  /* that VSID's routing domain */
	__u32 reason;   /* enum tenet_drop_reason when DECAP_DROP */
};

static __always_inline enum decap_verdict
decap_drop(struct decap_result *res, enum tenet_drop_reason reason)
{
	res->reason = reason;
	return DECAP_DROP;
}

static __always_inline enum decap_verdict
decap_classify(void *data, void *data_end, struct decap_result *res)
{
	struct cursor c = { .pos = data, .end = data_end };
	struct tenet_mac_key mk = {};
	struct tenet_vsid_val *vinfo;
	struct tenet_port_val *port;
	struct nvgre_hdr *gre;
	struct ethhdr *inner;
	struct iphdr *iph;
	__u32 *ifindex;
	__be16 proto;
	__u16 flags;
	__u32 vsid;

	if (!parse_eth(&c, &proto) || proto != bpf_htons(ETH_P_IP))
		return DECAP_PASS;
	res->ip_off = c.pos - data;
	iph = parse_ipv4(&c);
	if (!iph || iph->protocol != NVGRE_IPPROTO)
		return DECAP_PASS;
	if (!bpf_map_lookup_elem(&tenet_pa, &iph->daddr))
		return DECAP_PASS;

	/* From here on the frame is GRE to one of our PAs: ours to judge. */
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return decap_drop(res, TENET_DROP_OUTER_FRAG);
	gre = cursor_take(&c, struct nvgre_hdr);
	if (!gre)
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
	vinfo = bpf_map_lookup_elem(&tenet_vsid, &vsid);
	if (!vinfo)
		return decap_drop(res, TENET_DROP_VSID_UNKNOWN);
	res->rdomain = vinfo->rdomain;

	res->outer_len = c.pos - data;
	inner = cursor_take(&c, struct ethhdr);
	if (!inner)
		return decap_drop(res, TENET_DROP_TRUNCATED);
	/* RFC 7637: the inner frame must not carry an 802.1Q tag. */
	if (inner->h_proto == bpf_htons(ETH_P_8021Q) ||
	    inner->h_proto == bpf_htons(ETH_P_8021AD))
		return decap_drop(res, TENET_DROP_INNER_VLAN);
	if (inner->h_proto == bpf_htons(ETH_P_ARP))
		return DECAP_ARP;
	if (mac_is_multicast(inner->h_dest))
		return decap_drop(res, TENET_DROP_BCAST);

	mac_copy(mk.mac, inner->h_dest);
	ifindex = bpf_map_lookup_elem(&tenet_port_mac, &mk);
	if (!ifindex)
		return decap_drop(res, TENET_DROP_NO_PORT);
	port = bpf_map_lookup_elem(&tenet_port, ifindex);
	if (!port)
		return decap_drop(res, TENET_DROP_NO_PORT);
	/* The VSID ACL: a frame never crosses into another routing domain. */
	if (port->rdomain != vinfo->rdomain)
		return decap_drop(res, TENET_DROP_RDOMAIN_MISMATCH);
	res->ifindex = *ifindex;
	return DECAP_DELIVER;
}

#endif

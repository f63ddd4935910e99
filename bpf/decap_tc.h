/* SPDX-License-Identifier: GPL-2.0 */
/* NVGRE receive at TC (clsact ingress of the underlay): the same
 * classification and VSID ACL as XDP (decap.h), applied to an skb, which
 * keeps what XDP loses: a GSO/GRO super-packet stays one skb, and its
 * checksum state (CHECKSUM_PARTIAL from a veth, CHECKSUM_UNNECESSARY or
 * COMPLETE from a NIC) survives the decapsulation and the redirect. */
#ifndef TENET_BPF_DECAP_TC_H
#define TENET_BPF_DECAP_TC_H

#include "common.h"
#include "decap.h"

/* What decap_classify reads at most (outer Ethernet, a tag, IPv4 with
 * options, GRE, inner Ethernet), and that plus the ARP body that
 * arp_from_underlay reads (also enough for the inner IPv4 header that the
 * strict source check reads of a routed frame). */
#define DECAP_TC_CLASSIFY (ETH_HLEN + 4 + 60 + 8 + ETH_HLEN)
#define DECAP_TC_ARP (DECAP_TC_CLASSIFY + 28)

/* Make the first need bytes (at most the frame) directly readable, if
 * they are not already: a frame from a NIC may have its headers in paged
 * data. A TSO/GRO super-packet normally has exactly its headers linear
 * (108 bytes with inner TCP) and the payload in pages; pulling more would
 * copy payload into the head, a reallocation per super-packet. Returns
 * whether it pulled. */
static __always_inline int decap_tc_pull(struct __sk_buff *skb, __u32 need)
{
	__u32 want = skb->len < need ? skb->len : need;

	if ((void *)(long)skb->data + want <= (void *)(long)skb->data_end)
		return 0;
	bpf_skb_pull_data(skb, want);
	return 1;
}

/* decap_classify on an skb: with the classification headers linear, and,
 * for an ARP request or a frame found truncated, once more after pulling
 * the ARP body too. The skb's length and its outer tag (the stack moved it
 * to metadata before TC) go with the bytes; its GSO state only when the
 * outer length is in question (an outer total length of 0), as reading it
 * touches another cache line (skb_shinfo). */
static __always_inline enum decap_verdict decap_tc_classify(struct __sk_buff *skb,
							    struct decap_result *res)
{
	struct decap_in in = {
		.len = skb->len,
		.tag_proto = skb->vlan_present ? skb->vlan_proto : 0,
		.tag_tci = skb->vlan_present ? skb->vlan_tci : 0,
	};
	enum decap_verdict v;

	decap_tc_pull(skb, DECAP_TC_CLASSIFY);
	v = decap_classify((void *)(long)skb->data, (void *)(long)skb->data_end, &in, res);
	if (v == DECAP_DROP && res->reason == TENET_DROP_OUTER_LEN && skb->gso_size) {
		in.gso = 1;
		__builtin_memset(res, 0, sizeof(*res));
		v = decap_classify((void *)(long)skb->data, (void *)(long)skb->data_end, &in,
				   res);
	}
	if (v != DECAP_ARP && !(v == DECAP_DROP && res->reason == TENET_DROP_TRUNCATED))
		return v;
	if (!decap_tc_pull(skb, DECAP_TC_ARP))
		return v;
	__builtin_memset(res, 0, sizeof(*res));
	return decap_classify((void *)(long)skb->data, (void *)(long)skb->data_end, &in, res);
}

/* Cut what follows the outer IPv4 total length (decap_classify decided
 * it). A slow-path helper, and only frames with padding or a trailer
 * need it. 0 or -1. */
static __always_inline int decap_tc_trim(struct __sk_buff *skb, const struct decap_result *res)
{
	if (!res->trim)
		return 0;
	return bpf_skb_change_tail(skb, skb->len - res->trim, 0) ? -1 : 0;
}

/* An outer 802.1Q tag: the stack has moved it into skb metadata before TC
 * (vlan_present); a frame that still carries it in its bytes (a test run)
 * has it removed there. Either way the inner frame goes out untagged. */
static __always_inline int decap_tc_untag(struct __sk_buff *skb, struct decap_result *res)
{
	if (res->ip_off != ETH_HLEN) {
		if (bpf_skb_vlan_pop(skb))
			return -1;
		res->outer_len -= 4;
		res->ip_off = ETH_HLEN;
	}
	if (skb->vlan_present && bpf_skb_vlan_pop(skb))
		return -1;
	return 0;
}

/* Strip the outer headers of a DECAP_DELIVER frame: the inner Ethernet
 * header is saved, everything between the outer Ethernet header and the
 * inner payload removed (outer IPv4, GRE, inner Ethernet: outer_len bytes
 * after the first ETH_HLEN), and the saved header written where the outer
 * one was. FIXED_GSO keeps gso_size, which is the inner MSS already;
 * NO_CSUM_RESET keeps a NIC's CHECKSUM_UNNECESSARY, which for GRE without
 * a checksum vouches for the inner L4 checksum. 0 or -1. */
static __always_inline int decap_tc_strip(struct __sk_buff *skb, struct decap_result *res)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr inner, *eth;
	__u32 off = res->outer_len;

	/* Bounded for the verifier: outer Ethernet, tag, IPv4 with options, GRE. */
	if (off > ETH_HLEN + 4 + 60 + sizeof(struct nvgre_hdr))
		return -1;
	if (data + off + sizeof(inner) > data_end)
		return -1;
	__builtin_memcpy(&inner, data + off, sizeof(inner));
	if (decap_tc_untag(skb, res))
		return -1;
	if (bpf_skb_adjust_room(skb, -(__s32)res->outer_len, BPF_ADJ_ROOM_MAC,
				BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_NO_CSUM_RESET))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(eth, &inner, sizeof(inner));
	return 0;
}

#endif

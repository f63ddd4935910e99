/* SPDX-License-Identifier: GPL-2.0 */
/* Every reason the datapath drops a frame, with a printable name. One list,
 * expanded into the enum and the name table so the two never drift. The
 * numeric values index the per-CPU drop counter array: append only. */
#ifndef TENET_DROP_H
#define TENET_DROP_H

#define TENET_DROP_REASONS(X)                                              \
	X(NONE, "none")                                                    \
	X(TRUNCATED, "truncated")                                          \
	X(GRE_FLAGS, "gre-bad-flags")                                      \
	X(OUTER_FRAG, "outer-fragment")                                    \
	X(VSID_INVALID, "vsid-invalid")                                    \
	X(VSID_UNKNOWN, "vsid-unknown")                                    \
	X(NO_PORT, "no-local-port")                                        \
	X(RDOMAIN_MISMATCH, "rdomain-mismatch")                            \
	X(INNER_VLAN, "inner-vlan-tag")                                    \
	X(PORT_UNKNOWN, "port-unknown")                                    \
	X(SPOOFED_MAC, "spoofed-src-mac")                                  \
	X(ARP_MISS, "arp-miss")                                            \
	X(ARP_UNSUPPORTED, "arp-unsupported")                              \
	X(ARP_REPLY, "arp-reply-from-vm")                                  \
	X(ARP_ANNOUNCE, "arp-probe-or-announce")                           \
	X(L2_MISS, "l2-unknown-mac")                                       \
	X(BCAST, "broadcast")                                              \
	X(ETHERTYPE, "unsupported-ethertype")                              \
	X(NO_ROUTE, "no-route")                                            \
	X(NEXTHOP_MISS, "nexthop-no-record")                               \
	X(TTL_EXCEEDED, "ttl-exceeded")                                    \
	X(IP_HDR, "bad-ip-header")                                         \
	X(RULE_NONE_REMOTE, "rule-none-remote")                            \
	X(NO_SRC_PA, "no-source-pa")                                       \
	X(FIB, "underlay-fib-fail")                                        \
	X(FRAG_NEEDED, "frag-needed")                                      \
	X(ENCAP, "encap-failed")                                           \
	X(REDIRECT, "redirect-failed")                                     \
	X(DISABLED, "datapath-disabled")                                   \
	X(LEARN_DENIED, "learn-not-l2only")                                \
	X(LEARN_NO_NEIGH, "arp-copy-no-neigh")                             \
	X(LEARN_FLOOD_LIMIT, "arp-copy-ratelimited")                       \
	X(OUTER_DST_MAC, "outer-dst-mac")                                  \
	X(OUTER_VLAN, "outer-vlan-mismatch")                               \
	X(OUTER_CSUM, "outer-ip-checksum")                                 \
	X(OUTER_LEN, "outer-ip-length")                                    \
	X(UL_ARP_NO_L2ONLY, "underlay-arp-no-l2only")                      \
	X(SRC_PA, "src-pa-mismatch")

#define TENET_DROP_ENUM(id, name) TENET_DROP_##id,
enum tenet_drop_reason { TENET_DROP_REASONS(TENET_DROP_ENUM) TENET_DROP_MAX };
#undef TENET_DROP_ENUM

#ifndef __bpf__
static inline const char *tenet_drop_name(unsigned int reason)
{
#define TENET_DROP_NAME(id, name) name,
	static const char *const names[] = { TENET_DROP_REASONS(TENET_DROP_NAME) };
#undef TENET_DROP_NAME
	return reason < TENET_DROP_MAX ? names[reason] : "unknown";
}
#endif

#endif

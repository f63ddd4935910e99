/* SPDX-License-Identifier: GPL-2.0 */
/* Keys and values of every tenet BPF map: the one definition BPF, tenetd and
 * the tenet CLI share. Addresses are in network byte order (__be32), VSIDs
 * and ids in host order. Padding is explicit and must be zero, because hash
 * keys are compared byte for byte. Changing any layout means bumping
 * TENET_LAYOUT_VERSION in limits.h. */
#ifndef TENET_MAPS_H
#define TENET_MAPS_H

#include <linux/types.h>

#define TENET_ETH_ALEN 6

/* Pin names (under TENET_PIN_ROOT/<host>/v<layout>/). The BPF map names
 * are the same strings, so bpftool map show reads naturally. */
#define TENET_MAP_CFG "tenet_cfg"
#define TENET_MAP_PA "tenet_pa"
#define TENET_MAP_VSID "tenet_vsid"
#define TENET_MAP_PORT "tenet_port"
#define TENET_MAP_PORT_MAC "tenet_port_mac"
#define TENET_MAP_MAC "tenet_mac"
#define TENET_MAP_CA "tenet_ca"
#define TENET_MAP_ROUTE "tenet_route"
#define TENET_MAP_ROUTE_LENS "tenet_route_lens"
#define TENET_MAP_DROPS "tenet_drops"
#define TENET_MAP_VSTATS "tenet_vstats"
#define TENET_MAP_EVENTS "tenet_events"
#define TENET_MAP_L2ONLY "tenet_l2only"
#define TENET_MAP_LEARN_SEEN "tenet_lseen"
#define TENET_MAP_LEARN_RATE "tenet_lrate"
#define TENET_MAP_LEARN_STATS "tenet_lstats"
#define TENET_MAP_NEXTHOP "tenet_nexthop"
#define TENET_MAP_NH_STATS "tenet_nhstats"
#define TENET_MAP_NH_CACHE "tenet_nhcache"
#define TENET_MAP_PA_CACHE "tenet_pacache"
#define TENET_MAP_PORT_CACHE "tenet_portcache"

/* tenet_cfg: array, one entry (key 0). */
struct tenet_cfg {
	__u32 version;        /* TENET_LAYOUT_VERSION of whoever wrote it */
	__u32 flags;          /* TENET_CFG_* */
	__u8 router_mac[TENET_ETH_ALEN];
	__u16 pad;
};
#define TENET_CFG_ENABLED (1u << 0)
/* FlowID 0 in every key. Linux gretap matches the whole 32-bit key, so a
 * fleet that talks to kernel gretap peers must not vary the low 8 bits. */
#define TENET_CFG_NO_FLOWID (1u << 1)
/* Strict source: NVGRE is delivered only if its outer source is the PA the
 * lookup records hold for the inner sender (its MAC in the packet's VSID;
 * for a routed frame, its IPv4 source in the routing domain). */
#define TENET_CFG_STRICT_SRC (1u << 2)
_Static_assert(sizeof(struct tenet_cfg) == 16, "tenet_cfg layout");

/* tenet_pa: hash, key __be32 provider address -> where it lives. Decap
 * accepts NVGRE to the PA only in a frame addressed to mac and tagged with
 * vlan (untagged or priority-tagged when 0). */
struct tenet_pa_val {
	__u32 ifindex;        /* device holding the PA (the VLAN device if tagged) */
	__u16 vlan;           /* 802.1Q VLAN ID, 0: untagged */
	__u8 mac[TENET_ETH_ALEN]; /* that device's MAC */
};
_Static_assert(sizeof(struct tenet_pa_val) == 12, "tenet_pa_val layout");

/* Direct-mapped copies. A hash lookup is a helper call and a bucket walk
 * (40-60 ns a packet in docs/performance.md), an array lookup a few
 * instructions the verifier inlines; the maps every frame reads have an
 * array copy the datapath reads first (bpf/dmcache.h) and the hash only
 * when the slot is empty or another key's. Every copy has the same entry
 * layout, { __u32 valid; key; val; } with nothing between, which the one
 * engine that writes them relies on (agent/host/dmcache.c). tenetd never
 * changes key or val while valid is 1: it clears valid, waits out every
 * reader, writes key and val, waits again and sets valid, so a reader
 * that sees valid 1 sees a whole entry. In the copies of tenet_pa and
 * tenet_port (which say which VSID a frame is in) it also clears a key's
 * slot before it changes or deletes the key in the hash, so no program
 * that starts after the hash changed reads the old entry from the copy
 * (host/kernel.c). Two keys on one slot: the lower key (memcmp) gets it. */
#define TENET_DMCACHE_LAYOUT(type, ktype, vtype)                                   \
	_Static_assert(__builtin_offsetof(struct type, key) == sizeof(__u32) &&    \
			       __builtin_offsetof(struct type, val) ==             \
				       sizeof(__u32) + sizeof(ktype) &&            \
			       sizeof(struct type) ==                              \
				       sizeof(__u32) + sizeof(ktype) + sizeof(vtype), \
		       #type " layout")

/* tenet_pacache: array, the copy of tenet_pa that decap (every NVGRE
 * frame) and encap read. A host has a handful of PAs. */
#define TENET_PA_CACHE_SLOTS 64 /* a power of 2 */
struct tenet_pa_cache {
	__u32 valid;          /* 1: key and val are whole and current */
	__be32 key;
	struct tenet_pa_val val;
};
TENET_DMCACHE_LAYOUT(tenet_pa_cache, __be32, struct tenet_pa_val);
_Static_assert(sizeof(struct tenet_pa_cache) == 20, "tenet_pa_cache layout");

static inline __u32 tenet_pa_slot(__be32 pa)
{
	__u32 h = (__u32)pa * 0x9e3779b1u;

	return (h ^ h >> 16) & (TENET_PA_CACHE_SLOTS - 1);
}

/* tenet_nexthop: hash, (local PA, remote PA) -> how NVGRE from the one to
 * the other leaves this host: the outer Ethernet header and the device.
 * tenetd fills it from rtnetlink (the route the kernel would take from
 * the local PA's device, and that route's resolved neighbour) and follows
 * route and neighbour changes; encap reads it with one lookup. Without an
 * entry the kernel routes the frame (bpf_redirect_neigh), which works
 * with IPv4 forwarding off, and the miss is counted (tenet_nhstats). */
struct tenet_nh_key {
	__be32 src_pa;        /* a local PA (a key of tenet_pa) */
	__be32 dst_pa;        /* the remote PA */
};
_Static_assert(sizeof(struct tenet_nh_key) == 8, "tenet_nh_key layout");

struct tenet_nh_val {
	__u32 ifindex;        /* redirect here (a VLAN device's lower device) */
	__u16 vlan;           /* 802.1Q tag to push first, 0: none */
	__u8 smac[TENET_ETH_ALEN]; /* outer source: the route's device's MAC */
	__u8 dmac[TENET_ETH_ALEN]; /* outer destination: the next hop's MAC */
	/* ifindex's MTU when tenetd resolved the pair; 0 unknown. A frame
	 * that fits needs no bpf_check_mtu (encap.h). Was padding, 0 in
	 * entries of older agents: the same layout version. */
	__u16 mtu;
};
_Static_assert(sizeof(struct tenet_nh_val) == 20, "tenet_nh_val layout");

/* tenet_nhcache: array, the direct-mapped copy of tenet_nexthop (see
 * "Direct-mapped copies" above) that encap reads first: slot
 * tenet_nh_slot(src, dst) holds that pair's entry, or another pair's, or
 * nothing (valid 0). tenetd writes the slots after the hash
 * (host/nexthop.c). */
#define TENET_NH_CACHE_SLOTS 16384 /* a power of 2 */
struct tenet_nh_cache {
	__u32 valid;          /* 1: key and val are whole and current */
	struct tenet_nh_key key;
	struct tenet_nh_val val;
};
TENET_DMCACHE_LAYOUT(tenet_nh_cache, struct tenet_nh_key, struct tenet_nh_val);
_Static_assert(sizeof(struct tenet_nh_cache) == 32, "tenet_nh_cache layout");

static inline __u32 tenet_nh_slot(__be32 src_pa, __be32 dst_pa)
{
	__u32 h = (__u32)dst_pa * 0x9e3779b1u ^ (__u32)src_pa;

	h ^= h >> 15;
	return h & (TENET_NH_CACHE_SLOTS - 1);
}

/* tenet_nhstats: per-CPU array of __u64 counters, indexed by these. */
#define TENET_NH_STATS(X)                                                  \
	X(MISS, "misses")               /* no entry: the kernel routed it */ \
	X(MISS_NOT_IP, "misses-not-ip") /* no entry, not IP: dropped */

#define TENET_NHSTAT_ENUM(id, name) TENET_NHSTAT_##id,
enum tenet_nh_stat { TENET_NH_STATS(TENET_NHSTAT_ENUM) TENET_NHSTAT_MAX };
#undef TENET_NHSTAT_ENUM

/* tenet_vsid: hash, key __u32 VSID -> its virtual subnet. */
struct tenet_vsid_val {
	__u32 rdomain;        /* local numeric routing-domain id, never 0 */
	__be32 gateway;       /* the subnet's .1: the distributed router */
	__be32 prefix;        /* subnet network address */
	__u8 plen;
	__u8 pad;
	__u16 stats_slot;     /* its counters in tenet_vstats; 0: not counted */
};
_Static_assert(sizeof(struct tenet_vsid_val) == 16, "tenet_vsid_val layout");

/* tenet_port: hash, key __u32 ifindex of the host-side interface of a VM.
 * It carries copies of what the port's every frame needs from other maps
 * (its VSID's routing domain, .1 and counter slot, the host's PA), so a
 * frame costs one lookup here and none in tenet_vsid or tenet_pa; the
 * agent rewrites the entry when any of them changes. */
struct tenet_port_val {
	__u32 vsid;
	__u32 rdomain;        /* copy of the VSID's */
	__u8 mac[TENET_ETH_ALEN]; /* the only source MAC the port may send */
	__u16 stats_slot;     /* copy of the VSID's */
	__be32 pa;            /* provider address used as outer source */
	__be32 gateway;       /* copy of the VSID's .1 (ARP proxy, ping) */
};
_Static_assert(sizeof(struct tenet_port_val) == 24, "tenet_port_val layout");

/* tenet_portcache: array, the copy of tenet_port that every frame a port
 * sends reads first. Its slot is the ifindex's low bits: ifindexes are
 * handed out densely in a network namespace, so up to this many ports
 * rarely share one. The hash stays the authority: a port on a slot
 * another one holds costs the hash lookup, nothing else. */
#define TENET_PORT_CACHE_SLOTS 4096 /* a power of 2 */
struct tenet_port_cache {
	__u32 valid;          /* 1: key and val are whole and current */
	__u32 key;            /* ifindex */
	struct tenet_port_val val;
};
TENET_DMCACHE_LAYOUT(tenet_port_cache, __u32, struct tenet_port_val);
_Static_assert(sizeof(struct tenet_port_cache) == 32, "tenet_port_cache layout");

static inline __u32 tenet_port_slot(__u32 ifindex)
{
	return ifindex & (TENET_PORT_CACHE_SLOTS - 1);
}

/* tenet_port_mac: hash, key MAC of a local port -> the port. Used on
 * decap: a host's ports have unique MACs, as on any L2 switch. The value
 * carries the port's VSID, routing domain and counter slot (copies of its
 * tenet_port entry), which is all decap needs of the port: one lookup, not
 * two. A frame for a port of its own VSID needs nothing of tenet_vsid
 * either (bpf/decap.h). */
struct tenet_mac_key {
	__u8 mac[TENET_ETH_ALEN];
	__u16 pad;
};
_Static_assert(sizeof(struct tenet_mac_key) == 8, "tenet_mac_key layout");

struct tenet_port_mac_val {
	__u32 ifindex;
	__u32 vsid;           /* copy of the port's */
	__u32 rdomain;        /* copy of the port's */
	__u16 stats_slot;     /* copy of the port's (layout 6) */
	__u16 pad;
};
_Static_assert(sizeof(struct tenet_port_mac_val) == 16, "tenet_port_mac_val layout");

/* Record types and rules: the same numbers the store's JSON names map to. */
enum tenet_lookup_type {
	TENET_LOOKUP_STATIC = 0,
	TENET_LOOKUP_L2ONLY = 1,
	TENET_LOOKUP_GATEWAY = 2,
	TENET_LOOKUP_DYNAMIC = 3,
};
enum tenet_lookup_rule {
	TENET_RULE_ENCAP = 0,
	TENET_RULE_NONE = 1,
};

/* tenet_mac: hash, (VSID, MAC) -> where that MAC lives: L2 switching
 * inside a virtual subnet. */
struct tenet_vmac_key {
	__u32 vsid;
	__u8 mac[TENET_ETH_ALEN];
	__u16 pad;
};
_Static_assert(sizeof(struct tenet_vmac_key) == 12, "tenet_vmac_key layout");

struct tenet_vmac_val {
	__be32 pa;            /* remote PA (0 when local) */
	__u32 ifindex;        /* local port, 0 when remote */
	__u8 type;            /* enum tenet_lookup_type */
	__u8 rule;            /* enum tenet_lookup_rule */
	__u16 pad;
};
_Static_assert(sizeof(struct tenet_vmac_val) == 12, "tenet_vmac_val layout");

/* tenet_ca: hash, (routing domain, CA IP) -> lookup record. A CA IP is
 * unique inside a routing domain, so one key serves both the ARP proxy
 * (checked against the asking port's VSID) and distributed routing. */
struct tenet_ca_key {
	__u32 rdomain;
	__be32 ip;
};
_Static_assert(sizeof(struct tenet_ca_key) == 8, "tenet_ca_key layout");

struct tenet_ca_val {
	__u32 vsid;
	__be32 pa;            /* 0 when local */
	__u32 ifindex;        /* local port, 0 when remote */
	__u8 mac[TENET_ETH_ALEN];
	__u8 type;            /* enum tenet_lookup_type */
	__u8 rule;            /* enum tenet_lookup_rule */
};
_Static_assert(sizeof(struct tenet_ca_val) == 20, "tenet_ca_val layout");

/* Customer routes: a hash per (routing domain, prefix length, prefix) plus,
 * per routing domain, the set of prefix lengths it has entries of. The
 * lookup probes the present lengths longest first, so its cost depends on
 * how many lengths are in use, not on how many routes there are; the
 * kernel's LPM trie gets deeper as the table grows (docs/performance.md
 * has the figures). To bound the probes, the agent expands every route to
 * the next multiple of TENET_ROUTE_STRIDE bits (a /22 becomes four /24
 * entries), so at most 9 lengths (0, 4, ..., 32) exist; where expansions
 * meet, the entry of the longer original prefix wins (then the lower
 * metric), which keeps longest-prefix-match semantics.
 *
 * tenet_route: hash, key (rdomain, expanded plen, ip with host bits clear). */
#define TENET_ROUTE_STRIDE 4
static inline __u32 tenet_route_expanded_len(__u32 plen)
{
	return (plen + TENET_ROUTE_STRIDE - 1) / TENET_ROUTE_STRIDE * TENET_ROUTE_STRIDE;
}

struct tenet_route_key {
	__u32 rdomain;
	__u32 plen;           /* 0..32 */
	__be32 ip;            /* prefix, host bits zero */
};
_Static_assert(sizeof(struct tenet_route_key) == 12, "tenet_route_key layout");

/* tenet_route_lens: hash, key __u32 rdomain -> bit p of `bits` set when
 * the routing domain has a route of length p. Written by the agent from the
 * routes it programs; an rdomain without routes has no entry. */
struct tenet_route_lens {
	__u64 bits;
};
_Static_assert(sizeof(struct tenet_route_lens) == 8, "tenet_route_lens layout");

struct tenet_route_val {
	__be32 nexthop;       /* 0.0.0.0: on-link, resolve the destination */
	__u32 vsid;           /* VSID the route was configured on */
	__u32 metric;
	__u8 plen;            /* the route's own prefix length (before expansion) */
	__u8 pad[3];
};
_Static_assert(sizeof(struct tenet_route_val) == 16, "tenet_route_val layout");

/* tenet_drops: per-CPU array indexed by enum tenet_drop_reason. */
struct tenet_drop_val {
	__u64 packets;
	__u64 bytes;
};

/* tenet_vstats: per-CPU array of TENET_VSTATS_SLOTS, indexed by the
 * stats_slot tenetd gives each VSID (carried in its tenet_vsid entry and
 * copied into its ports' tenet_port entries), so counting is an array
 * lookup where a hash lookup by VSID cost 40-60 ns a packet. Slot 0 is
 * never given: a frame not tied to a VSID, or of a VSID without a slot,
 * is counted only per reason (tenet_drops). A VSID keeps its slot while
 * it has a tenet_vsid entry; tenetd zeroes a slot before it gives it to
 * a VSID, so a slot reused after a VSID was removed starts from zero. */
struct tenet_vstats_val {
	__u64 rx_packets;     /* delivered to ports of this VSID */
	__u64 rx_bytes;
	__u64 tx_packets;     /* sent by ports of this VSID */
	__u64 tx_bytes;
	__u64 drops;
};

/* tenet_l2only: hash, (VSID, slot) -> one l2only record of that VSID.
 * Slots 0..n-1 are filled without holes (the agent numbers a VSID's l2only
 * records in store-key order), so the datapath walks them until the first
 * missing slot. Used to ask every holder of an l2only MAC when a port ARPs
 * for an unknown IP, and to check that a learned binding comes from the
 * PA that holds the MAC. */
struct tenet_l2only_key {
	__u32 vsid;
	__u32 slot;           /* < TENET_L2ONLY_PER_VSID */
};
_Static_assert(sizeof(struct tenet_l2only_key) == 8, "tenet_l2only_key layout");

struct tenet_l2only_val {
	__be32 pa;            /* the record's PA (also when it is local) */
	__u32 ifindex;        /* local port with that MAC, 0 when remote */
	__u8 mac[TENET_ETH_ALEN];
	__u16 pad;
};
_Static_assert(sizeof(struct tenet_l2only_val) == 16, "tenet_l2only_val layout");

/* tenet_lseen: LRU hash, (VSID, CA IP) -> the binding last reported. A
 * learn event is sent only when the binding is new, changed, or older
 * than TENET_LEARN_REFRESH_S. The agent deletes the entry when the
 * dynamic record goes away, so a binding seen again is reported again. */
struct tenet_lseen_key {
	__u32 vsid;
	__be32 ip;
};
_Static_assert(sizeof(struct tenet_lseen_key) == 8, "tenet_lseen_key layout");

struct tenet_lseen_val {
	__u64 ts;             /* bpf_ktime_get_ns() of the last report */
	__be32 pa;
	__u8 mac[TENET_ETH_ALEN];
	__u16 pad;
	__u32 pad2;
};
_Static_assert(sizeof(struct tenet_lseen_val) == 24, "tenet_lseen_val layout");

/* tenet_lrate: LRU hash, ifindex of a port -> its learn-event bucket;
 * ifindex | TENET_LRATE_FLOOD -> its bucket for ARP copies. */
#define TENET_LRATE_FLOOD 0x80000000u
struct tenet_lrate_val {
	__u64 ts;             /* last refill, ns */
	__u32 tokens;
	__u32 pad;
};
_Static_assert(sizeof(struct tenet_lrate_val) == 16, "tenet_lrate_val layout");

/* tenet_lstats: per-CPU array of __u64 counters, indexed by these. */
#define TENET_LEARN_STATS(X)                                               \
	X(EVENTS, "events")             /* learn events sent to the agent */ \
	X(DEDUPED, "deduped")           /* same binding seen again, not sent */ \
	X(RATELIMITED, "ratelimited")   /* over the port's budget, not sent */ \
	X(DENIED, "denied")             /* MAC not l2only at that PA */  \
	X(COPIES, "arp-copies")         /* unicast ARP copies to l2only holders */

#define TENET_LSTAT_ENUM(id, name) TENET_LSTAT_##id,
enum tenet_learn_stat { TENET_LEARN_STATS(TENET_LSTAT_ENUM) TENET_LSTAT_MAX };
#undef TENET_LSTAT_ENUM

/* tenet_events: ring buffer of things the agent must know about. */
enum tenet_event_type {
	TENET_EV_ARP_MISS = 1,  /* a port asked for an IP nobody has */
	TENET_EV_LEARN = 2,     /* a (VSID, IP, MAC, PA) binding was seen;
				 * ifindex: the port it concerns */
	TENET_EV_FRAG_NEEDED = 3,
	/* An ARP copy could not be sent: the underlay neighbour of PA ip is
	 * not resolved (the kernel only resolves for IP frames); pa is the
	 * source PA. The agent makes the kernel resolve it. */
	TENET_EV_NEIGH_MISS = 4,
};

struct tenet_event {
	__u16 type;           /* enum tenet_event_type */
	__u16 reason;         /* enum tenet_drop_reason, if it was a drop */
	__u32 ifindex;
	__u32 vsid;
	__be32 ip;
	__be32 pa;
	__u8 mac[TENET_ETH_ALEN];
	__u16 pad;
};
_Static_assert(sizeof(struct tenet_event) == 28, "tenet_event layout");

#endif

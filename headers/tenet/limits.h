/* SPDX-License-Identifier: GPL-2.0 */
/* Limits and well-known constants shared by BPF, agent and CLI. */
#ifndef TENET_LIMITS_H
#define TENET_LIMITS_H

/* VSIDs below 4096 are reserved (they overlap the VLAN ID space) and
 * 0xffffff is reserved by RFC 7637. */
#define TENET_VSID_MIN 4096u
#define TENET_VSID_MAX 16777214u

/* Bumped whenever a map key or value changes shape. Pinned maps live under
 * a path that carries it, so an upgraded agent never reads an old layout. */
#define TENET_LAYOUT_VERSION 6
#define TENET_PIN_ROOT "/sys/fs/bpf/tenet"

/* The distributed router's MAC: the same on every host so that a VM keeps a
 * valid ARP entry for its .1 gateway after it migrates. Locally
 * administered unicast (02:...). */
#define TENET_ROUTER_MAC_INIT { 0x02, 0x54, 0x4e, 0x00, 0x00, 0x01 }

/* Map sizes. Lookup records dominate; 1M is the scale target. */
#define TENET_MAX_PAS 64
#define TENET_MAX_VSIDS 65536
#define TENET_MAX_RDOMAINS 65536 /* at most one per VSID */
/* Slots of tenet_vstats (per-CPU array, headers/tenet/maps.h): slot 0 is
 * "no slot", so 65535 VSIDs of a host can be counted (a slot is a __u16).
 * Every slot is allocated on every CPU, 40 bytes each: 2.6 MB per CPU.
 * That is what the per-CPU hash it replaces preallocated for its 65536
 * entries too, so the array costs no more memory; it is sized for every
 * subnet of the store (each has a tenet_vsid entry on every host, and its
 * decap drops are counted there), not just the subnets with local ports. */
#define TENET_VSTATS_SLOTS TENET_MAX_VSIDS
#define TENET_MAX_PORTS 4096
#define TENET_MAX_LOOKUPS (1u << 20)
/* (local PA, remote PA) pairs in the next-hop table. */
#define TENET_MAX_NEXTHOPS 65536
/* Map entries for customer routes, after stride expansion (maps.h): up to
 * 8 entries per route, about 3.75 for lengths spread evenly over /16../32. */
#define TENET_MAX_ROUTES (1u << 20)
#define TENET_EVENTS_BYTES (256 * 1024)

/* Dynamic IP address learning (docs/learning.md). At most this many l2only
 * records per VSID are asked when a port ARPs for an unknown IP (one
 * unicast copy each); the agent programs the first ones by store key. */
#define TENET_L2ONLY_PER_VSID 16
/* Bindings the datapath remembers to suppress duplicate learn events. */
#define TENET_LEARN_SEEN_MAX 65536
/* A binding already reported is reported again after this long, so the
 * agent can tell a live binding from one to age out. */
#define TENET_LEARN_REFRESH_S 30
/* Learn events per port: a token bucket of this many, refilled at this
 * rate per second. Over it, events are counted and not sent. A port's ARP
 * misses that are sent to l2only holders have a bucket of the same size
 * (over it, the miss is dropped), so a VM cannot make the host send
 * 16 copies of every frame it can think of. */
#define TENET_LEARN_BURST 16
#define TENET_LEARN_RATE 8

/* Outer Ethernet + IPv4 + GRE with key: what NVGRE adds to an inner frame
 * (the inner Ethernet header is carried, so it is part of the payload). */
#define TENET_ENCAP_OVERHEAD (14 + 20 + 8)

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The next-hop table (tenet_nexthop): for every pair of a local PA and a
 * remote PA the records name, the outer Ethernet header and device NVGRE
 * leaves by, resolved from the kernel's own route and neighbour tables
 * over rtnetlink and kept current from their events. The datapath reads
 * it instead of bpf_fib_lookup(), which needs IPv4 forwarding on the
 * underlay; without an entry it has the kernel route the frame. */
#ifndef TENETD_NEXTHOP_H
#define TENETD_NEXTHOP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <tenet/maps.h>

#include "host/dmcache.h"
#include "nl/nl.h"
#include "recon/htab.h"
#include "recon/recon.h"

/* How a pair that could not be resolved is made resolvable: traffic from
 * src to dst through the host's stack (events.h: ev_resolve_udp). */
typedef int (*nh_resolve_fn)(void *arg, __be32 src, __be32 dst);

struct nexthops {
	int map_fd;
	struct nl nl;
	struct htab local;      /* __be32 local PA -> __u32 its device */
	struct htab remote;     /* __be32 remote PA (value unused) */
	struct htab refs;       /* __be32 PA -> __u32 lookup entries naming it */
	struct htab vias;       /* __be32 next hop in use (value unused) */
	struct htab cur;        /* struct tenet_nh_key -> tenet_nh_val: the map */
	struct dmcache cache;   /* tenet_nhcache (its fd not owned) */
	bool dirty;             /* resolve everything at the next refresh */
	uint64_t retry_at;      /* some pair unresolved: again then (ms) */
	nh_resolve_fn resolve;
	void *resolve_arg;
	unsigned long n_updates;
};

/* map_fd: tenet_nexthop, cache_fd: tenet_nhcache (not owned). Reads what
 * the maps hold (an earlier agent's entries), so the first refresh writes
 * only changes. */
int nexthops_init(struct nexthops *n, int map_fd, int cache_fd);
void nexthops_fini(struct nexthops *n);
/* The PAs the table is for, from the state the reconciler applied: local
 * ones from the PA map, remote ones from the lookup maps. Marks the table
 * dirty when the set changed. 0 or -ENOMEM. */
int nexthops_set_pas(struct nexthops *n, const struct recon_set *s);
/* An entry of type t (an OBJ_ of host/objs.h) of the applied state
 * changed from old to now (either NULL: added, removed): for a lookup entry
 * (MAC, CA or l2only), the same as nexthops_set_pas over the whole state,
 * without walking it; other types change nothing. */
void nexthops_entry_changed(struct nexthops *n, unsigned int t, const void *old,
			    const void *now);
/* Events: a neighbour (dirty when it is a next hop in use or a remote
 * PA), anything else about routes or links (dirty). */
void nexthops_on_neigh(struct nexthops *n, const struct nl_neigh *e);
void nexthops_on_change(struct nexthops *n);
/* When dirty or a retry is due: resolve every pair and write the
 * differences to the map, then to its cache (tenet_nhcache). Returns how
 * many entries of the map changed or -errno. */
int nexthops_refresh(struct nexthops *n, uint64_t now);
/* ms until the next refresh is due (-1: none pending). */
int nexthops_wait_ms(const struct nexthops *n, uint64_t now);

#endif

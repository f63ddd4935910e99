/* SPDX-License-Identifier: GPL-2.0 */
/* Events from the datapath's ring buffer (struct tenet_event): ARP misses
 * and MTU problems become rate-limited log lines; learned bindings become
 * `dynamic` lookup records in the store, so every host gets them (as HNV
 * reports learned records to VMM). */
#ifndef TENETD_EVENTS_H
#define TENETD_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <tenet/maps.h>

#include "util/errmsg.h"
#include "host/learn.h"
#include "log.h"
#include "kinds/record.h"
#include "store/store.h"

/* Write a learned record; 1 when written, 0 when the store already says
 * the same or holds a configured (non-dynamic) record there, which always
 * wins. */
typedef int (*ev_learn_fn)(void *arg, const struct tenet_lookup *l, struct tenet_err *err);

/* Make the kernel resolve the underlay neighbour of dst (from src, both
 * PAs in network order); 0 or -errno. */
typedef int (*ev_resolve_fn)(void *arg, __be32 src, __be32 dst);

struct ev_handler {
	struct ratelimit arp_rl;
	struct ratelimit neigh_rl;
	ev_resolve_fn resolve;
	void *resolve_arg;
	unsigned long n_neigh_miss;
	struct ratelimit frag_rl;
	struct ratelimit learn_rl;   /* for learn failures only */
	ev_learn_fn learn;
	void *learn_arg;
	struct learn_table *seen;    /* reported bindings, for aging (or NULL) */
	unsigned long n_arp_miss;
	unsigned long n_frag;
	unsigned long n_learned;
	unsigned long n_learn_refused; /* not stored: no l2only record at that PA */
	unsigned long n_bad;
};

void ev_handler_init(struct ev_handler *h, ev_learn_fn learn, void *learn_arg);
/* Handle one ring-buffer record. Returns 1 and a log line in line when
 * there is something to say, 0 when not (unknown or rate limited). */
int ev_handle(struct ev_handler *h, const void *data, size_t len, uint64_t now_ms, char *line,
	      size_t linelen);
/* The learned record an event describes. */
void ev_to_lookup(const struct tenet_event *e, struct tenet_lookup *l);
/* ev_resolve_fn through the host's stack: one UDP datagram from src to
 * dst's discard port, which makes the kernel resolve dst's neighbour. */
int ev_resolve_udp(void *arg, __be32 src, __be32 dst);
/* ev_learn_fn writing to a store (arg: struct tenet_store *) through the
 * policy layer (tenet_policy_learned): validated like any write, never
 * over a configured record, not rewritten when unchanged. */
int ev_learn_store(void *store, const struct tenet_lookup *l, struct tenet_err *err);

#endif

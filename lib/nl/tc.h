/* SPDX-License-Identifier: GPL-2.0 */
/* Traffic control tenet owns (RTM_*QDISC, RTM_*TFILTER), for the rate
 * limits of gateway interfaces (docs/rates.md):
 *   transmit  a root tbf qdisc of handle TENET_TC_HANDLE;
 *   receive   a matchall filter of priority TENET_TC_PRIO on the ingress
 *             hook of a clsact qdisc, whose one action is a police
 *             (conform: pass, exceed: drop).
 * The handle and the priority are how tenet finds its own. Rates are in
 * bytes per second. 0 or -errno. */
#ifndef TENET_NL_TC_H
#define TENET_NL_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl/nl.h"

#define TENET_TC_HANDLE 0x7e520000u     /* "7e52:" */
#define TENET_TC_PRIO 0x7e52u

struct nl_tbf {
	uint64_t rate;          /* bytes/s */
	uint32_t burst;         /* bytes: the bucket */
	uint32_t limit;         /* bytes queued at most */
};

/* Make tenet's tbf the root qdisc of ifindex (replacing whatever root
 * qdisc is there, or changing tenet's in place). */
int nl_tbf_set(struct nl *nl, int ifindex, const struct nl_tbf *t);
/* Remove tenet's root qdisc; -ENOENT if the root is not tenet's. */
int nl_tbf_del(struct nl *nl, int ifindex);

struct nl_police {
	uint64_t rate;          /* bytes/s */
	uint32_t burst;         /* bytes */
};

/* tenet's policer on the ingress of ifindex (a clsact qdisc is added if
 * the device has none); an existing one is replaced. */
int nl_police_set(struct nl *nl, int ifindex, const struct nl_police *p);
/* Remove it, and the clsact qdisc once no filter is left on it. */
int nl_police_del(struct nl *nl, int ifindex);

/* What the kernel holds of tenet's, per device (rate 0: none). */
struct nl_tc_state {
	int ifindex;
	uint64_t tbf_rate;
	uint64_t police_rate;
	bool tbf, police;
};
/* Every device with a tenet tbf, and a policer where read_filters says
 * so (NULL: every device with a clsact qdisc; filters are read one
 * device at a time, so a caller that knows where its policers can be
 * spares the rest, e.g. a host's hundreds of ports). malloc'd array. */
int nl_tc_dump(struct nl *nl, bool (*read_filters)(int ifindex, void *arg), void *arg,
	       struct nl_tc_state **out, size_t *n);

#endif

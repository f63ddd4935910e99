/* SPDX-License-Identifier: GPL-2.0 */
/* The agent's status in the store, one record per host for operators and
 * tools (docs/agent.md "Status"):
 *
 *   /tenet/v1/status/<host> = {"host", "applied_revision", "heartbeat",
 *                              "store", "last_error", "lease_ttl"}
 *
 * applied_revision is the revision of the newest change the agent applied
 * (changes that are not its records, such as other agents' status, do not
 * move it: an agent writing its status would otherwise make every other
 * agent write theirs); heartbeat the time (Unix seconds) of the write.
 * On a store with leases (etcd) the record lives under a lease of
 * STATUS_TTL_S that the agent renews: its presence is the heartbeat, and
 * it disappears a few seconds after the agent stops or loses the store.
 * Without leases (SQLite) the record is rewritten every
 * TENET_STATUS_REFRESH_S so readers can judge the heartbeat's age. The key is
 * outside the record layout (tenet_record_from_key: -ENOENT), so agents
 * ignore it. */
#ifndef TENETD_STATUS_H
#define TENETD_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "kinds/status.h"
#include "store/store.h"

/* The record's key and fields: kinds/status.h, its one definition. */
#define STATUS_TTL_S 15
#define STATUS_KEEPALIVE_MS 5000
/* At most one write this often, whatever changes. */
#define STATUS_MIN_MS 2000

struct agent_status {
	char key[300];
	int64_t lease;          /* 0: none yet */
	bool no_leases;         /* the store has none: refresh instead */
	int64_t applied;        /* revision of the newest applied change */
	int64_t written;        /* ... as last written */
	char error[200];        /* last error, "" none */
	char written_error[200];
	bool live;              /* the store is followed */
	bool dirty;             /* something to write */
	uint64_t write_at;      /* no write before (ms, now_ms) */
	uint64_t refresh_at;    /* rewrite (no leases) or renew (lease) at */
};

void status_init(struct agent_status *st, const char *host);
/* The revision of the newest change applied (a resync, or watched changes
 * that changed records). */
void status_applied(struct agent_status *st, int64_t rev);
/* The last error worth showing ("" clears it). */
void status_error(struct agent_status *st, const char *msg);
/* Whether the store is followed; writes wait while it is not. */
void status_live(struct agent_status *st, bool live);
/* Writes or renews what is due; returns 0, or the store's error. */
int status_tick(struct agent_status *st, struct tenet_store *s, uint64_t now,
		struct tenet_err *err);
/* Milliseconds until status_tick has something to do (for the loop). */
uint64_t status_due(const struct agent_status *st, uint64_t now);
/* A clean stop: the record goes at once (lease revoked, or deleted). */
void status_drop(struct agent_status *st, struct tenet_store *s);
/* After the store handle changed (reopened): lease and record anew. */
void status_reset(struct agent_status *st);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Agent status records: what each tenetd writes back about itself, for
 * operators and tools (`tenet host show`, `--wait`, metrics):
 *
 *   /tenet/v1/status/<host> = {"host", "applied_revision", "heartbeat",
 *                              "store", "last_error", "lease_ttl"}
 *
 * applied_revision: the store revision of the newest change the agent
 * has applied to this host's datapath; heartbeat: Unix time of the write;
 * store: "available" or "unavailable" (whether the agent followed the
 * store when it wrote); last_error: the last problem it warned about, ""
 * none; lease_ttl: present when the record lives under a lease (etcd):
 * it disappears lease_ttl seconds after the agent stops renewing it.
 * Without leases (SQLite) the agent rewrites it every
 * TENET_STATUS_REFRESH_S seconds, so a reader judges the heartbeat's age.
 *
 * The key is outside the record layout (tenet_record_from_key: -ENOENT),
 * so agents never take another agent's status for policy. docs/agent.md
 * ("Status") says when it is written; this is its one codec. */
#ifndef TENET_KINDS_STATUS_H
#define TENET_KINDS_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"
#include "util/parse.h"
#include "store/store.h"

#define TENET_STATUS_PREFIX "/tenet/v1/status/"
/* An agent without leases rewrites its record this often. */
#define TENET_STATUS_REFRESH_S 60
/* A heartbeat older than this (no lease) means the agent is not live. */
#define TENET_STATUS_STALE_S (2 * TENET_STATUS_REFRESH_S + 10)

struct tenet_agent_status {
	char host[TENET_NAME_MAX + 1];
	int64_t applied_revision;
	int64_t heartbeat;              /* Unix seconds */
	bool store_available;
	char last_error[TENET_ERR_LEN];
	int64_t lease_ttl;              /* 0: no lease */
	int64_t mod_rev;                /* the record's store revision (from the kv) */
};

/* The record's key: TENET_STATUS_PREFIX<host>. -ENAMETOOLONG. */
int tenet_status_key(const char *host, char *buf, size_t len);
json_t *tenet_status_to_json(const struct tenet_agent_status *st);
/* A stored record; -EBADMSG with a message naming the key when the value
 * is not a status record, -ENOENT for a key outside TENET_STATUS_PREFIX. */
int tenet_status_decode(const struct tenet_kv *kv, struct tenet_agent_status *st,
			struct tenet_err *err);
/* Every agent's record, sorted by host. Records that do not decode are
 * skipped and counted in *bad. *rev is the revision of the newest policy
 * write: the newest of the guard keys every validated write (and delete)
 * moves. Not the store's own revision: agents' status writes move that,
 * and no status record can carry the revision of its own write, so no
 * agent would ever be in step with it. */
int tenet_status_list(struct tenet_store *s, struct tenet_agent_status **out, size_t *n,
		      size_t *bad, int64_t *rev, struct tenet_err *err);

/* Is the agent live at time now: a record under a lease is (the lease
 * would have removed it), otherwise its heartbeat is recent. */
bool tenet_status_live(const struct tenet_agent_status *st, int64_t now);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Validated policy writes: the rules every record must satisfy together
 * with the rest of the store (a VSID in one routing domain only, unique CA
 * IPs per routing domain, next hops that resolve, ...), checked and
 * written in one store transaction so that a rejected write changes
 * nothing. The rules are each kind's, in its row of the registry
 * (kinds/registry.h); engine.c runs them. The CLI uses these; so should
 * any other policy writer (the agent writing back learned records),
 * because the checks rely on every writer bumping the guard keys of what
 * it changes (TENET_KEY_META; see docs/store.md, "Concurrency").
 *
 * Errors: -EINVAL the record itself is wrong (e.g. CA outside its subnet),
 * -ENOENT something it refers to (or the record to delete) is missing,
 * -EEXIST it collides with an existing record, -ENOTEMPTY others still
 * depend on what is being deleted, -EAGAIN the store kept changing under
 * us, -EBADMSG a stored record the check needs is corrupt, or a store
 * error. err then holds one line: "<argument> <value>: <why>", using the
 * CLI's argument names. */
#ifndef TENET_POLICY_H
#define TENET_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"
#include "kinds/record.h"
#include "store/store.h"

enum {
	/* put: overwrite a record with the same key instead of failing. */
	TENET_POLICY_REPLACE = 1u << 0,
	/* del: also delete what depends on the record (subnets of a routing
	 * domain, lookup records of a subnet, routes via a next hop). */
	TENET_POLICY_FORCE = 1u << 1,
};

/* Add (or with REPLACE, add or replace) a record. For a routing domain,
 * an all-zero GUID means "generate one", and the numeric id is always
 * assigned here: both are written back into rec. rev (may be NULL)
 * receives the store revision after the write. */
/* A run of writes on s (`tenet batch`): until tenet_policy_memo_end, the
 * checks of lookup writes keep the lookup records of the VSIDs they read
 * in memory and follow the run's own changes, instead of reading the
 * VSID again for every write (lib/policy/memo.c); a change by anyone
 * else (the store's revision moved) makes them read it again. One run
 * at a time per process: -EBUSY for a second, -ENOMEM. */
int tenet_policy_memo_begin(struct tenet_store *s);
void tenet_policy_memo_end(struct tenet_store *s);

int tenet_policy_put(struct tenet_store *s, struct tenet_record *rec, unsigned int flags,
		     int64_t *rev, struct tenet_err *err);

/* Delete the record named by id's identifying fields (see
 * tenet_record_from_key). A lookup id without a CA (has_ca false) deletes
 * every record of that VSID with that MAC. */
int tenet_policy_del(struct tenet_store *s, const struct tenet_record *id, unsigned int flags,
		     int64_t *rev, struct tenet_err *err);

/* A learned binding, as the agent reports it: stored as a dynamic lookup
 * record, replacing an older dynamic one (a MAC that moved to another PA);
 * never replaces a configured (static, gateway) record (-EEXIST). The
 * VSID must hold an l2only record of the MAC at the binding's PA
 * (-EPERM otherwise): a host only teaches bindings for MACs it holds. */
int tenet_policy_learned(struct tenet_store *s, const struct tenet_lookup *l, int64_t *rev,
			 struct tenet_err *err);

/* An aged binding: deletes the dynamic record of (VSID, CA) if it still
 * has l's MAC and PA. -ENOENT if there is none, -ESTALE if the record
 * there is no longer that binding (relearned elsewhere, or configured). */
int tenet_policy_unlearn(struct tenet_store *s, const struct tenet_lookup *l, int64_t *rev,
			 struct tenet_err *err);

struct tenet_record_list {
	struct tenet_record *recs;
	size_t n;
	int64_t rev;            /* store revision the list reflects */
	size_t bad;             /* corrupt records skipped */
	char bad_msg[TENET_ERR_LEN]; /* why the first of them was skipped */
};

/* Every record of a kind, sorted (VSIDs and addresses numerically). For
 * per-host kinds, host NULL means every host. Corrupt records are skipped
 * and counted, never fatal. */
int tenet_policy_list(struct tenet_store *s, enum tenet_kind kind, const char *host,
		      struct tenet_record_list *out, struct tenet_err *err);
void tenet_record_list_free(struct tenet_record_list *l);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The validated-write engine, for the rules of the registry's rows
 * (lib/kinds/<family>.c): optimistic concurrency around one store
 * transaction, guarded by per-scope guard keys; loading records; adding
 * writes to the transaction; and the checks several kinds share. See
 * docs/store.md, "Concurrency". */
#ifndef TENET_POLICY_ENGINE_H
#define TENET_POLICY_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

#define POL_GUARDS 8

struct pol_guard {
	char key[TENET_KEY_MAX];
	int64_t mod_rev;        /* as read before the checks; 0: absent */
	bool bump;
};

/* A record this write puts or deletes, for the memo (memo.c). */
struct pol_chg {
	struct tenet_record rec;
	bool del;
};

struct pctx {
	struct tenet_store *s;
	struct tenet_txn *txn;
	struct tenet_err *err;
	unsigned int flags;     /* TENET_POLICY_* */
	size_t nguards;
	struct pol_guard guards[POL_GUARDS];
	struct pol_memo *memo;  /* NULL: none (tenet_policy_memo_begin) */
	struct pol_chg *chg;    /* with a memo: the records this attempt changes */
	size_t nchg, capchg;
	bool chg_other;         /* ... and it changes others than lookup records */
};

/* ---- guard keys ----
 * A write compares every guard key it named with the mod_rev read here
 * and puts the ones it bumps, in its transaction: it commits only if no
 * write that bumps one of them committed since. A row's guards callback
 * names them before any check reads the store: the scopes of what the
 * checks read (compare) and of what the write changes (bump). Reading a
 * guard before the records it guards is what makes this safe; so a guard
 * found through a record (a VSID's routing domain) needs the guard of
 * that record first (pol_guard_vsid does both). */
int pol_guard(struct pctx *c, const char *key, bool bump);
/* The global guard (TENET_KEY_SERIAL): routing domains and subnets. */
int pol_guard_global(struct pctx *c, bool bump);
/* Everything in one routing domain: its lookup records and routes. */
int pol_guard_rdomain(struct pctx *c, const char *name, bool bump);
/* Everything of one host. */
int pol_guard_host(struct pctx *c, const char *host, bool bump);
/* The global guard (compared), then the routing domain the VSID's
 * subnet is in, if it has one. */
int pol_guard_vsid(struct pctx *c, uint32_t vsid, bool bump);

/* ---- running a write ---- */

typedef int (*pol_build_fn)(struct pctx *c, struct tenet_record *rec);

/* rec's row's guards (for a put, or a delete when del), then build,
 * which checks and adds to c->txn; commits if no guard moved, else
 * starts over (up to 64 times, then -EAGAIN). err is cleared on
 * success. */
int pol_run(struct tenet_store *s, struct tenet_record *rec, pol_build_fn build, bool del,
	    unsigned int flags, int64_t *rev, struct tenet_err *err);

/* For tests: called before every commit with the attempt's number
 * (0, 1, ...). NULL: none. */
void pol_set_commit_hook(void (*fn)(void *arg, int attempt), void *arg);

/* ---- reading ---- */

/* 0 found, -ENOENT absent (err untouched), -EBADMSG corrupt (err names
 * the key). */
int pol_load(struct pctx *c, const struct tenet_record *id, struct tenet_record *out);
/* Every decodable record of a kind (of host, or every host for NULL),
 * sorted; corrupt ones are counted in l->bad. */
int pol_load_kind(struct pctx *c, enum tenet_kind kind, const char *host,
		  struct tenet_record_list *l);
int pol_load_vsid_lookups(struct pctx *c, uint32_t vsid, struct tenet_record_list *l);

/* ---- writing ---- */

int pol_txn_put(struct pctx *c, const struct tenet_record *rec);
int pol_txn_del(struct pctx *c, const struct tenet_record *rec);
/* Deletes an existing record by key (a corrupt one too: that is how it
 * is repaired), or fails with -ENOENT and the message missing. */
int pol_del_existing(struct pctx *c, const struct tenet_record *id, const char *missing);
/* Another kind's put rules, inside this write (a compartment's lookup
 * record). The caller's guards must cover what that put touches. */
int pol_put_nested(struct pctx *c, struct tenet_record *rec);

/* ---- the memo of a run of writes (memo.c) ---- */

/* The memo of s's run of writes, or NULL. */
struct pol_memo *pol_memo_for(struct tenet_store *s);
/* After the guards are read: starts the memo over unless the store is
 * still at the revision it holds. */
int pol_memo_sync(struct pctx *c);
/* What pol_txn_put/pol_txn_del add to the transaction. */
void pol_memo_note(struct pctx *c, const struct tenet_record *rec, bool del);
void pol_memo_reset_changes(struct pctx *c);
/* The write committed at rev: follows its changes, or starts over. */
void pol_memo_committed(struct pctx *c, int64_t rev);
/* The first record (in list order) of rec's VSID whose MAC conflicts
 * with rec's (conflict(other, rec)), not rec's own key; *found NULL if
 * none. The VSID is read once, then followed. */
int pol_memo_mac_conflict(struct pctx *c, const struct tenet_record *rec,
			  bool (*conflict)(const struct tenet_lookup *a,
					   const struct tenet_lookup *b),
			  const struct tenet_record **found);

/* ---- checks shared by kinds; each fails with its one line ---- */

int pol_check_vsid(struct pctx *c, uint32_t vsid);
/* Unicast and not the distributed router's. */
int pol_check_mac(struct pctx *c, const uint8_t *mac);
/* host a valid name; dev (unless NULL) a valid interface name. */
int pol_check_host_dev(struct pctx *c, const char *host, const char *dev);
/* One rule for addresses that must be unicast (tenet_ipv4_is_unicast):
 * "<what> <addr>: not a unicast address". */
int pol_check_unicast(struct pctx *c, const char *what, uint32_t addr);
int pol_need_rdomain(struct pctx *c, const char *name, struct tenet_rdomain *out);
/* The virtual subnet of a VSID; -ENOENT with the message the CLI shows. */
int pol_need_vsubnet(struct pctx *c, uint32_t vsid, struct tenet_vsubnet *out);
/* The subnets of one routing domain. */
int pol_rdomain_subnets(struct pctx *c, const char *name, struct tenet_record_list *l);
/* The lookup record holding CA ip anywhere in routing domain rdomain:
 * 0 and *found filled, or -ENOENT. */
int pol_find_ca(struct pctx *c, const char *rdomain, uint32_t ip, struct tenet_lookup *found);
/* Refuses (or with force, also deletes) the routes of rdomain whose next
 * hop is a CA about to disappear. */
int pol_drop_routes_via(struct pctx *c, const char *rdomain, uint32_t ca);
/* Deletes the inbound mappings of rdomain on host. */
int pol_del_natmaps(struct pctx *c, const char *host, const char *rdomain);

#endif

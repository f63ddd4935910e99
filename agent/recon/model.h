/* SPDX-License-Identifier: GPL-2.0 */
/* The agent's copy of the policy records in the store, keyed by store
 * key, kept up to date from the range read at start and the watch after. */
#ifndef TENETD_MODEL_H
#define TENETD_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/errmsg.h"
#include "recon/htab.h"
#include "kinds/record.h"
#include "store/store.h"

/* What changed in the model since model_log_clear, for rounds that touch
 * only what changed (docs/agent.md, "Incremental rounds"). Lookup records
 * are most of a large store, so their changes are listed one by one,
 * with the version before (the objects it made are found from it);
 * changes of other kinds only mark their kind. Anything that cannot be
 * followed so (a whole re-read, a record that cannot be decoded, too many
 * changes) marks the log whole: every reconciler builds from the whole
 * model then. */
struct model_change {
	bool had;                       /* the model had a record under the key */
	struct tenet_lookup old;        /* that record (a lookup record) */
};

struct model_log {
	bool whole;
	uint64_t kinds;                 /* 1 << kind of every kind that changed */
	struct htab changes;            /* store key -> struct model_change: the
					 * lookup records changed, each once */
};

/* More lookup changes than this between two rounds: a whole rebuild. */
#define MODEL_LOG_MAX (1u << 18)

struct model {
	/* store key -> struct tenet_record, of model_rec_size() bytes: a
	 * record keeps its kind and its own union member only (a lookup
	 * record, most of a large store, 40 bytes; the union is as large as
	 * its largest member, an S2S interface's 1.7 KB). Read the member
	 * that the kind names, never copy a whole struct out of the model. */
	struct htab recs;
	/* Keys whose current value cannot be decoded -> struct tenet_record
	 * with what the key alone says (kind and identifying fields, the
	 * rest zero). A key here that is also in recs keeps its last good
	 * version there, which is used as before; one that is not in recs
	 * (corrupt since before this agent read it, model_lost) owns kernel
	 * state nobody can rebuild: reconcilers hold it (recon.h). */
	struct htab bad;
	struct model_log log;           /* whole after model_init and a load */
	/* The records that are not lookup records (the few: routing
	 * domains, subnets, PAs, ports ...), a copy of theirs in recs, and
	 * the keys (value unused) of the learned lookup records: what
	 * periodic work and the reconcilers that read no lookup records
	 * (model_without_lookups) read without walking a million records. */
	struct htab others;
	struct htab learned;
};

static inline size_t model_rec_size(const struct tenet_record *r)
{
	const struct tenet_kind_desc *d;

	if (r->kind == TENET_KIND_LOOKUP)
		return offsetof(struct tenet_record, lookup) + sizeof(r->lookup);
	d = tenet_kind_get(r->kind);
	return d ? offsetof(struct tenet_record, lookup) + d->size : sizeof(*r);
}

void model_init(struct model *m);
void model_free(struct model *m);
/* Start a new log (after a round has seen this one): nothing changed. */
void model_log_clear(struct model *m);
/* Put a record from its stored key and JSON text. Returns 1 when the
 * model changed, 0 when the key is not a policy record (e.g. the serial
 * key) or the record is unchanged, and a negative errno with a message
 * naming the key when the record is corrupt: then the model keeps what it
 * had under that key (the last good version), so bad input never wipes
 * good state. */
int model_put(struct model *m, const char *key, const char *value, struct tenet_err *err);
/* A bad key with no last good version: its kernel state must be held. */
static inline bool model_lost(const struct model *m, const struct htab_entry *bad)
{
	return !htab_find(&m->recs, htab_key(bad));
}
/* How many bad keys are lost. */
size_t model_nlost(const struct model *m);
/* 1 when a record was removed, 0 when there was none. */
int model_delete(struct model *m, const char *key);
/* Replace the whole model with a range read (each key once). Corrupt
 * records are skipped (keeping the version the model had, if any); for
 * each one, bad(arg, message) is called. Returns how many were bad. */
int model_load(struct model *m, const struct tenet_kv_list *l,
	       void (*bad)(void *arg, const char *msg), void *arg);

/* The same, streamed (tenet_store_range_each): begin, one call per pair
 * (-ENOMEM is the only failure), then end, which replaces the model and
 * returns how many were bad, or abort, which leaves the model as it was.
 * The pairs are a range read's: each key once (nothing is looked up). */
struct model_load {
	struct model *m;
	struct model fresh;
	void (*bad)(void *arg, const char *msg);
	void *arg;
	int nbad;
};
void model_load_begin(struct model_load *ld, struct model *m,
		      void (*bad)(void *arg, const char *msg), void *arg);
int model_load_one(struct model_load *ld, const char *key, const char *value);
int model_load_end(struct model_load *ld);
void model_load_abort(struct model_load *ld);

static inline const struct tenet_record *model_rec(const struct htab_entry *e)
{
	return htab_val(e);
}

/* A walk of the records that are not lookup records (m->others: a few
 * among a million), in no particular order. */
static inline void model_others_init(struct htab_iter *it, const struct model *m)
{
	htab_iter_init(it, &m->others);
}

/* The model as a reconciler that reads no lookup records sees it: a
 * shallow copy whose recs are the others (read-only, valid while m is
 * unchanged). Its walks cost the few records, not a million; a find of
 * any other kind's key answers as in m, and so does model_lost for those
 * kinds. */
static inline void model_without_lookups(struct model *view, const struct model *m)
{
	*view = *m;
	view->recs = m->others;
}

#endif

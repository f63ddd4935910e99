/* SPDX-License-Identifier: GPL-2.0 */
/* The reconciler contract, and the one engine that runs every reconciler.
 *
 * A reconciler owns some kinds of kernel objects (BPF map entries, links,
 * routes, an nftables table ...), each a keyed object type with fixed-size
 * key and value. Per round the engine asks it what the store wants
 * (want: model -> desired set), knows what the kernel holds (observe:
 * kernel -> actual set, kept as the shadow), and applies the difference
 * through the reconciler's own ops table (a struct of function pointers
 * the reconciler defines: the real kernel in the agent, a fake in the unit
 * tests):
 *
 *   puts (adds and updates) type by type in the reconciler's type order,
 *   then deletes in the reverse type order;
 *   only differences: an unchanged desired set writes nothing;
 *   a failed change stays out of the shadow and is retried next round;
 *   a held object (its owning record cannot be decoded) is never deleted;
 *   a mass deletion can be refused by a caller-supplied guard;
 *   then the reconciler's flush (what is derived from the objects).
 *
 * The first round reads the kernel (observe, desired NULL) before want,
 * so want always sees the shadow: what to hold is found there (the
 * objects of a record the model lists as lost, model.h). Reconcilers
 * that observe every round read it again after want.
 *
 * Reconcilers run one after the other in the order of the agent's
 * registry (agent/registry.c). Adding one is a file that defines a const
 * struct reconciler and one row there. docs/architecture.md, "Adding a
 * reconciler". */
#ifndef TENETD_RECON_H
#define TENETD_RECON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recon/htab.h"
#include "recon/model.h"

/* struct reconciler's kinds: every kind but lookup records (a
 * reconciler that reads none: the gateway's). */
#define RECON_KINDS_NO_LOOKUP (((1ULL << TENET_KIND_MAX) - 1) & ~(1ULL << TENET_KIND_LOOKUP))

/* Object types per reconciler, at most. */
#define RECON_MAX_TYPES 16

struct recon;
struct recon_set;
struct recon_keys;

enum recon_op {
	RECON_ADD,
	RECON_UPDATE,
	RECON_DELETE,
	RECON_HELD,     /* a delete not done: the object is held */
};

/* Type flags. */
enum {
	/* Never deleted (an array map's entry always exists; a setting
	 * outlives tenet's interest in it). */
	RECON_T_KEEP = 1 << 0,
	/* Many entries: logs list a few and count the rest. */
	RECON_T_BULK = 1 << 1,
	/* Left alone by a teardown (tenetd --cleanup): they go with their
	 * container (BPF map entries with the unpinned map). */
	RECON_T_TEARDOWN_SKIP = 1 << 2,
	/* For a reconciler that observes every round (RECON_OBSERVE_EACH):
	 * the kernel cannot tell these are tenet's, so observe reports only
	 * the desired ones it finds, and the engine remembers the ones it
	 * made until they are deleted. */
	RECON_T_UNMARKED = 1 << 3,
	/* Successful changes are counted, not logged one by one. */
	RECON_T_QUIET = 1 << 4,
};

struct recon_type {
	const char *name;               /* "mac", "vrf", "nft-table": logs, stats */
	size_t key_size, val_size;
	/* Bytes of the value compared (0: all): the rest are creation
	 * parameters that observe cannot read back. */
	size_t cmp_size;
	unsigned int flags;             /* RECON_T_* */
	/* Past participles of add, update and delete for the logs
	 * (NULL: "added", "updated", "removed"). */
	const char *const *verbs;
	/* One line naming the object: "ca rdomain 1 10.0.0.5 -> ..."; val
	 * may be NULL (a delete). */
	void (*describe)(const void *key, const void *val, char *buf, size_t len);
	/* Make the kernel hold key = val; old is the shadow's value (NULL: a
	 * new object). 0 or -errno. */
	int (*put)(struct recon *rc, const void *key, const void *val, const void *old);
	/* Remove it; old is the shadow's value. An object already gone
	 * (recon_gone()) counts as removed. */
	int (*del)(struct recon *rc, const void *key, const void *old);
	/* Optional: put n new or changed objects, keys and values packed back
	 * to back. 0, or an error after which the engine puts them one by one
	 * (-EOPNOTSUPP: the ops cannot batch). */
	int (*put_batch)(struct recon *rc, const void *keys, const void *vals, unsigned int n);
};

/* What want() sees besides the model: the agent's configuration and
 * where to say what cannot be programmed. */
struct name_set;
struct recon_env {
	const char *host;               /* this host's name in the store */
	bool no_flowid;                 /* datapath: TENET_CFG_NO_FLOWID */
	bool strict_source;             /* datapath: TENET_CFG_STRICT_SRC */
	/* A record that cannot be (fully) programmed, and why. Called on
	 * every round: the caller de-duplicates before logging. */
	void (*note)(void *arg, const char *key, const char *msg);
	void *note_arg;
	/* Interface names the records refer to (link events about them
	 * trigger a round); may be NULL. */
	struct name_set *names;
	/* Deletes may be refused this round (the mass-deletion guard is
	 * counting): want removes nothing outside the engine either (no
	 * pruning of prerequisites such as VLAN devices). */
	bool cautious;
	/* An incremental round: nothing but these model changes happened
	 * since the last round (no link event, retry, reload ...). NULL: a
	 * full round. See struct reconciler's kinds and want_changes. */
	const struct model_log *changes;
};

/* Reconciler flags. */
enum {
	/* The kernel is cheap to read and can tell what is tenet's: observe
	 * before every apply (the kernel itself is the shadow; what someone
	 * else changed is repaired), not only once at start. */
	RECON_OBSERVE_EACH = 1 << 0,
};

/* What the agent hands a reconciler to open its real kernel ops. */
struct tenet_datapath;
struct config;
struct recon_open {
	const struct tenet_datapath *dp;        /* loaded datapath; NULL: */
	const char *pin_dir;                    /* only its pins (--cleanup) */
	const struct config *cfg;               /* tenetd.conf (a daemon's socket ...) */
};

struct reconciler {
	const char *name;               /* "datapath", "vrf", "nat" */
	const struct recon_type *types; /* in dependency (put) order */
	unsigned int ntypes;
	unsigned int flags;             /* RECON_OBSERVE_EACH */
	/* The desired set for this model, into out (initialised, empty).
	 * Holds (recon_hold) the shadow's objects that belong to records
	 * the model has lost (m->bad, model_lost()): a record that cannot
	 * be decoded never deletes its kernel state, nor that of what
	 * depends on it. It may make kernel prerequisites
	 * that are not objects of the set (VLAN subdevices, MTU clamps).
	 * 0, or -errno and the engine applies nothing (a partial picture
	 * would delete good state). */
	int (*want)(struct recon *rc, const struct model *m, const struct recon_env *env,
		    struct recon_set *out);
	/* What the kernel holds that is tenet's, into out (initialised,
	 * empty): what an earlier agent left is adopted. desired is NULL at
	 * start, else this round's desired set (RECON_T_UNMARKED types: look
	 * for those). With rc->teardown, types flagged RECON_T_TEARDOWN_SKIP
	 * need not be read. 0 or -errno. */
	int (*observe)(struct recon *rc, const struct recon_set *desired, struct recon_set *out);
	/* The real ops for rc->ops (recon_open); without it, the ops are
	 * given by whoever set up rc (the unit tests' fakes). */
	int (*open)(struct recon *rc, const struct recon_open *o);
	/* Release rc->priv, and what open made if rc->opened (recon_fini). */
	void (*close)(struct recon *rc);
	/* Optional, for a reconciler that follows a daemon or a clock
	 * between rounds (ipsec follows charon's events and redials): the fd
	 * the agent polls for it (-1: none now; asked again after every
	 * turn), when it wants to be woken without input (monotonic ms,
	 * 0: never), and what it does when woken: true if a round should
	 * follow (its picture of the world changed). */
	int (*poll_fd)(struct recon *rc);
	uint64_t (*wake_at)(struct recon *rc);
	bool (*wake)(struct recon *rc);
	/* Optional: the record kinds want reads (1 << kind; 0: all of them).
	 * An incremental round that changed none of them skips this
	 * reconciler when its last round applied everything. One that
	 * reads no lookup records gets a model without them
	 * (model_without_lookups). */
	uint64_t kinds;
	/* Optional, O(change) rounds: update desired (the last round's
	 * desired set, kept by the engine) for env->changes, adding the key
	 * of every object that may have changed to dirty; the engine then
	 * applies only those keys. 0, 1 when the changes cannot be followed
	 * so (then desired is dropped and want builds it whole), or -errno.
	 * Only asked when the last round applied everything. */
	int (*want_changes)(struct recon *rc, const struct model *m, const struct recon_env *env,
			    struct recon_set *desired, struct recon_keys *dirty);
	/* Release rc->cache (what want keeps for want_changes); optional. */
	void (*cache_free)(struct recon *rc);
	/* Optional: after every apply (whole or by keys, failures or not;
	 * not in a teardown), bring what the kernel keeps derived from the
	 * objects up to date with the shadow (the datapath's direct-mapped
	 * copies of its hashes). How many things failed: they count as
	 * failures of the round, which is retried. */
	unsigned int (*flush)(struct recon *rc);
};

/* A set of objects: one table per type of a reconciler, and the keys
 * that are held (never deleted though not desired). */
struct recon_set {
	unsigned int ntypes;
	struct htab t[RECON_MAX_TYPES];
	struct htab held[RECON_MAX_TYPES];
};

void recon_set_init(struct recon_set *s, const struct reconciler *r);
void recon_set_free(struct recon_set *s);

/* Keys of objects, per type: what an incremental round applies. */
struct recon_keys {
	unsigned int ntypes;
	struct htab t[RECON_MAX_TYPES];
};
void recon_keys_init(struct recon_keys *k, const struct reconciler *r);
void recon_keys_free(struct recon_keys *k);
/* 0 or -ENOMEM. */
int recon_keys_add(struct recon_keys *k, unsigned int t, const void *key);
/* Hold key of type t: the engine will not delete it (its record cannot be
 * decoded: the kernel keeps the last good state). A desired value for the
 * same key is still put. 0 or -ENOMEM. */
int recon_hold(struct recon_set *s, unsigned int t, const void *key);

struct recon_stats {
	unsigned int add[RECON_MAX_TYPES];
	unsigned int upd[RECON_MAX_TYPES];
	unsigned int del[RECON_MAX_TYPES];
	unsigned int failed;
	unsigned int held;              /* deletes not done: held objects */
	unsigned int refused;           /* deletes not done: the guard said no */
};

struct recon_hooks {
	/* After each kernel change (err 0) or failed attempt (err < 0), and
	 * for each held object (RECON_HELD). val is the new value (the old
	 * one for a delete); msg says why it failed when the put or del
	 * knew better than strerror (else NULL). */
	void (*applied)(void *arg, const struct recon *rc, unsigned int type, enum recon_op op,
			const void *key, const void *val, int err, const char *msg);
	void *arg;
	/* Mass-deletion guard, optional: called when an apply would delete
	 * ndel of the total objects the reconciler holds in the kernel;
	 * false refuses those deletes (the puts are applied; the deletes are
	 * asked again next round). NULL: always allowed. */
	bool (*allow_delete)(void *arg, const struct recon *rc, size_t ndel, size_t total);
	void *guard_arg;
	/* Optional: after each change that entered the shadow, its value
	 * before (NULL: added) and now (NULL: removed), for state kept
	 * alongside the shadow without walking it (the next-hop table's
	 * remote PAs). */
	void (*shadow_changed)(void *arg, const struct recon *rc, unsigned int type,
			       const void *key, const void *old, const void *now);
};

/* A ready guard policy (guard_arg): refuse deleting more than percent %
 * of the objects when that is at least min objects. */
struct recon_share {
	unsigned int percent;
	size_t min;
};
bool recon_allow_share(void *arg, const struct recon *rc, size_t ndel, size_t total);

/* One reconciler at work. */
struct recon {
	const struct reconciler *r;
	void *ops;                      /* its ops table (real or fake) */
	void *priv;                     /* its own state */
	struct recon_set shadow;        /* what the kernel holds, as far as known */
	bool opened;                    /* ops are the real ones (recon_open) */
	bool observed;                  /* the shadow was read from the kernel */
	bool teardown;                  /* tenetd --cleanup: every object goes */
	struct recon_stats st;          /* of the last round */
	char msg[256];                  /* put/del: why it failed (recon_errf) */
	/* The last round applied all it wanted (no failure, nothing
	 * refused): the shadow is the desired state. */
	bool clean;
	/* With want_changes: the last round's desired set, and what want
	 * keeps for want_changes (the reconciler's, freed by cache_free). */
	struct recon_set desired;
	bool have_desired;
	void *cache;
	unsigned int nskipped, nincremental; /* rounds so, for the log */
};

/* ops: the reconciler's ops table (a fake), or NULL for recon_open. */
void recon_init(struct recon *rc, const struct reconciler *r, void *ops);
/* The real kernel ops (the reconciler's open); closed by recon_fini. */
int recon_open(struct recon *rc, const struct recon_open *o);
void recon_fini(struct recon *rc);
/* Read what the kernel holds into the shadow (at start: desired NULL). */
int recon_observe(struct recon *rc, const struct recon_set *desired);
/* Apply desired - shadow (see the top of this file). Returns the number
 * of failures, or -ENOMEM. rc->st holds the round's counts. */
int recon_apply(struct recon *rc, const struct recon_set *desired,
		const struct recon_hooks *hooks);
/* The same for the objects of keys only (an incremental round), with
 * the same order, reports and guard. */
int recon_apply_keys(struct recon *rc, const struct recon_set *desired,
		     const struct recon_keys *keys, const struct recon_hooks *hooks);
/* A round: observe (first round, before want), want, observe (every
 * round with RECON_OBSERVE_EACH), apply. Failures, or -errno when want or
 * observe failed (then nothing was applied and rc->msg says which).
 * An incremental round (env->changes) skips a clean reconciler whose
 * kinds did not change, and one with want_changes applies only what
 * changed. */
int recon_run(struct recon *rc, const struct model *m, const struct recon_env *env,
	      const struct recon_hooks *hooks);

/* For put/del: say why, for the log (one line). */
void recon_errf(struct recon *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Say through env->note (if set) why record key cannot be programmed. */
void recon_note(const struct recon_env *env, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* True when a delete failed only because the object is already gone. */
bool recon_gone(int err);
const char *recon_verb(const struct recon_type *t, enum recon_op op);

/* The reconcilers of the agent, in the order they run (agent/registry.c). */
extern const struct reconciler *const recon_registry[];
extern const size_t recon_registry_len;

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The reconciler: makes the kernel hold the desired state by applying the
 * difference from the shadow (what the kernel holds) through the ops
 * table, and keeps the shadow in step. Only differences touch the kernel,
 * so a full resync of an unchanged store writes nothing, and packets keep
 * flowing across an agent restart. */
#ifndef TENETD_RECONCILE_H
#define TENETD_RECONCILE_H

#include "recon/ops.h"
#include "recon/state.h"

enum recon_op {
	RECON_ADD,
	RECON_UPDATE,
	RECON_DELETE,
};

struct recon_stats {
	unsigned int add[OBJ_MAX];
	unsigned int upd[OBJ_MAX];
	unsigned int del[OBJ_MAX];
	unsigned int failed;
};

struct recon_hooks {
	/* Called after each kernel change (err 0) or failed attempt (err < 0);
	 * val is the new value (the old one for a delete). */
	void (*applied)(void *arg, enum obj o, enum recon_op op, const void *key,
			const void *val, int err);
	void *arg;
};

/* Read what an earlier agent left in the kernel into an empty shadow:
 * every map entry, tenet's provider routes; PA addresses and TC
 * attachments are inferred from the PA and port maps. */
int recon_shadow_load(struct state *shadow, const struct knl_ops *ops);

/* Apply desired - shadow: adds and updates first, in dependency order
 * (addresses and routes, config, VSIDs, ports, lookups, then TC attach
 * last so a port never runs without its map entries), then deletes in the
 * reverse order (detach first). A failed change is reported, left out of
 * the shadow and retried by the next call. Returns the number of
 * failures, or -ENOMEM. st may be NULL. */
int recon_apply(struct state *shadow, const struct state *desired, const struct knl_ops *ops,
		const struct recon_hooks *hooks, struct recon_stats *st);

/* True when a delete failed only because the object is already gone. */
bool recon_gone(int err);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Record -> kernel translation: from the model of the store to the
 * desired state of this host (every map entry, PA address, provider route
 * and TC attachment it should have). See docs/agent.md for the rules. */
#ifndef TENETD_DESIRED_H
#define TENETD_DESIRED_H

#include "host/ops.h"
#include "recon/model.h"
#include "recon/names.h"
#include "recon/recon.h"

struct build_env {
	const char *host;               /* this host's name in the store */
	const struct knl_ops *ops;      /* link_index, link_mtu, link_mac, vlan/link setup */
	bool no_flowid;                 /* tenet_cfg: TENET_CFG_NO_FLOWID */
	bool strict_source;             /* tenet_cfg: TENET_CFG_STRICT_SRC */
	/* A record that cannot be (fully) programmed, and why. Called on
	 * every build: the caller de-duplicates before logging. */
	void (*note)(void *arg, const char *key, const char *msg);
	void *note_arg;
	/* What the kernel holds (the reconciler's shadow; may be NULL): the
	 * objects of records the model has lost are found there and held,
	 * and what depends on them is built against them (docs/agent.md,
	 * "Failure behaviour"). */
	const struct recon_set *kernel;
	/* Remove no VLAN device (recon_env.cautious). */
	bool no_prune;
};

/* Kernel links the records need before a build can find them: VLAN
 * subdevices of PAs, PA devices up (forwarding untouched); and the VLAN
 * subdevices tenet made for PAs this host no longer has, removed (unless
 * env->no_prune, or a PA record of this host cannot be decoded: which
 * VLAN it had is not known).
 * Returns how many things changed (for the log) or a negative errno. */
int desired_prepare_links(const struct model *m, const struct build_env *env);

/* Build the desired state (into a set initialised for host_reconciler,
 * empty). names (may be NULL) gets the interface names this host's
 * records refer to: ports, PA devices and their VLAN subdevices. The
 * kernel objects of lost records (model_lost) and of what depends on
 * them are held in out (recon_hold). Returns 0 or -ENOMEM. */
int desired_build(const struct model *m, const struct build_env *env, struct recon_set *out,
		  struct name_set *names);

/* Ports must fit an encapsulated frame into the underlay: lower a port's
 * MTU to its PA device's MTU minus the NVGRE overhead when it is larger.
 * Returns how many ports changed. */
int desired_clamp_mtu(const struct recon_set *desired, const struct build_env *env);

#endif

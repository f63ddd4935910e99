/* SPDX-License-Identifier: GPL-2.0 */
/* Record -> kernel translation: from the model of the store to the
 * desired state of this host (every map entry, PA address, provider route
 * and TC attachment it should have). See docs/agent.md for the rules. */
#ifndef TENETD_DESIRED_H
#define TENETD_DESIRED_H

#include "recon/model.h"
#include "recon/ops.h"
#include "recon/state.h"

struct build_env {
	const char *host;               /* this host's name in the store */
	const struct knl_ops *ops;      /* link_index, link_mtu, link_mac, vlan/link setup */
	bool no_flowid;                 /* tenet_cfg: TENET_CFG_NO_FLOWID */
	bool strict_source;             /* tenet_cfg: TENET_CFG_STRICT_SRC */
	/* A record that cannot be (fully) programmed, and why. Called on
	 * every build: the caller de-duplicates before logging. */
	void (*note)(void *arg, const char *key, const char *msg);
	void *note_arg;
};

/* Interface names this host's records refer to (ports, PA devices and
 * their VLAN subdevices), so that link events about them trigger a
 * rebuild. A string set (htab values are unused). */
struct name_set {
	struct htab names;
};

void name_set_init(struct name_set *n);
void name_set_free(struct name_set *n);
bool name_set_has(const struct name_set *n, const char *name);

/* Kernel links the records need before a build can find them: VLAN
 * subdevices of PAs, PA devices up (forwarding untouched); and the VLAN
 * subdevices tenet made for PAs this host no longer has, removed.
 * Returns how many things changed (for the log) or a negative errno. */
int desired_prepare_links(const struct model *m, const struct build_env *env);

/* Build the desired state (into an initialised, empty state). names may
 * be NULL. Returns 0 or -ENOMEM. */
int desired_build(const struct model *m, const struct build_env *env, struct state *out,
		  struct name_set *names);

/* Ports must fit an encapsulated frame into the underlay: lower a port's
 * MTU to its PA device's MTU minus the NVGRE overhead when it is larger.
 * Returns how many ports changed. */
int desired_clamp_mtu(const struct state *desired, const struct build_env *env);

#endif

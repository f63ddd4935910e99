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

struct desired_index;

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
	/* Filled by desired_build for desired_update (may be NULL). */
	struct desired_index *index;
};

/* What a whole build knows that following lookup records one by one
 * needs: the subnets, this host's PAs and ports, and the MAC and CA
 * entries more than one record wants (who wins there is decided by a
 * whole build). Not valid when lost records shaped the build. */
struct desired_index {
	bool valid;
	struct htab vs;                 /* VSID -> routing domain and prefix */
	struct htab local_pa;           /* this host's PA IPs */
	struct htab local_port;         /* struct tenet_vmac_key -> ifindex */
	struct htab contested_mac;      /* struct tenet_vmac_key */
	struct htab contested_ca;       /* struct tenet_ca_key */
};

void desired_index_free(struct desired_index *ix);

/* Follow the model's log (m->log: lookup records changed since the set
 * out was built or last updated) in out, O(change): each changed record's
 * MAC and CA entries out, its new version's in, and their keys into
 * dirty. 1 when that cannot be done (a change of another kind, an l2only
 * or learned record, an entry more than one record wants, no valid
 * index): then out is partly updated and must be built whole. 0, 1 or
 * -ENOMEM. Equal to desired_build by construction; the unit tests check
 * it over random changes. */
int desired_update(const struct model *m, const struct build_env *env,
		   const struct desired_index *ix, struct recon_set *out, struct recon_keys *dirty);

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

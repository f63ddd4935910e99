/* SPDX-License-Identifier: GPL-2.0 */
/* The bgp reconciler: each compartment's BGP instance in FRR (bgpd in the
 * compartment's VRF, `router bgp ASN vrf tvrfN`) with its neighbors, the
 * routing domain's virtual subnets as its networks and the /32 trigger
 * routes of peers behind S2S interfaces (staticd, `vrf tvrfN` / `ip route
 * A/32 tsM`), one object per compartment. A put reads what FRR holds of
 * that VRF and applies, with vtysh -f, the text that turns it into the
 * desired block (lib/frr/bgp.h); several puts of one round (a first
 * sync, a batch of tenants) read FRR once and apply one text; a delete
 * removes the instance. tenet's
 * part of FRR is everything in VRFs named tvrf*: the rest of FRR's
 * configuration is the operator's. When FRR's daemons restart (their pid
 * files change) the agent reads FRR again and re-applies what is missing.
 * Its FRR side is struct bgp_ops: bgp_frr.c (vtysh), or a fake in the
 * unit tests. docs/bgp.md. */
#ifndef TENETD_GW_BGP_H
#define TENETD_GW_BGP_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <linux/types.h>

#include "frr/bgp.h"
#include "recon/recon.h"
#include "util/errmsg.h"

enum bgp_obj {
	BGP_INST,
	BGP_NOBJ,
};

struct bgp_inst_key {
	__u32 id;                       /* the compartment's id: VRF tvrf<id> */
};

struct bgp_inst_val {
	__u32 asn;
	__u8 digest[16];                /* of the canonical block (frr_bgp_digest) */
	/* Not compared: the desired one's value (valid during its round's
	 * apply only), and its sizes for the log. */
	const struct frr_bgp_inst *want;
	__u16 nnbr, nnet, nstatic;
};

struct bgp_ops {
	void *ctx;
	/* FRR's running configuration (malloc'd text); -errno when FRR
	 * cannot be asked (not running). */
	int (*running)(void *ctx, char **text, struct tenet_err *err);
	/* Apply configuration text as a whole. */
	int (*apply)(void *ctx, const char *text, struct tenet_err *err);
	/* Something that changes when FRR's daemons restart (their pids);
	 * "" when none runs. */
	void (*signature)(void *ctx, char *buf, size_t len);
	/* Run nftables commands (the guard of the tunnel peers' sessions,
	 * bgp.c's guard_render); NULL: none. */
	int (*nft)(void *ctx, const char *cmds, struct tenet_err *err);
	/* nftables' listing of BGP_GUARD_TABLE (malloc'd text); -ENOENT when
	 * there is no such table. NULL: the guard is not read back. */
	int (*guard_list)(void *ctx, char **text, struct tenet_err *err);
};

/* tenet's nftables table that keeps a tunnel peer's own connections to
 * port 179 out (one chain per compartment, c<id>): the gateway alone opens
 * the sessions over S2S tunnels. docs/bgp.md, "One connection". */
#define BGP_GUARD_TABLE "ip tenet_bgp"

/* The nftables commands that make compartment id's chain hold exactly the
 * drops of in's tunnel peers (in NULL or without any: the chain goes). */
void bgp_guard_render(FILE *f, uint32_t id, const struct frr_bgp_inst *in);
/* How many drop rules compartment id's chain holds in text (a listing of
 * the table, guard_list's); -ENOENT when text has no such chain. */
int bgp_guard_count(const char *text, uint32_t id);

/* The real ops (bgp_frr.c); pathspace is FRR's -N ("" the default). */
int bgp_frr_open(struct bgp_ops **ops, const char *pathspace);
void bgp_frr_close(struct bgp_ops *ops);

extern const struct reconciler gw_bgp_reconciler;

#endif

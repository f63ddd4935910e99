/* SPDX-License-Identifier: GPL-2.0 */
/* A tenant's part of FRR's configuration: its `router bgp ASN vrf tvrfN`
 * block and its trigger routes (`vrf tvrfN` / `ip route A/32 tsM`), as a
 * value tenet renders and FRR's running configuration is parsed back
 * into. Rendering from the value FRR holds now makes the text that turns
 * it into the desired one (removals first), applied with vtysh -f as a
 * whole. docs/bgp.md, "What tenet writes into FRR". */
#ifndef TENET_FRR_BGP_H
#define TENET_FRR_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/errmsg.h"
#include "util/parse.h"

#define FRR_BGP_NBR_MAX 64
#define FRR_BGP_NET_MAX 256
#define FRR_VRF_MAX 16          /* IFNAMSIZ */
#define FRR_VRF_LEN FRR_VRF_MAX
/* Seconds between a tunnelled neighbor's connection attempts. */
#define FRR_BGP_CONNECT_TUNNEL 5

struct frr_bgp_nbr {
	uint32_t addr;                  /* network order */
	uint32_t remote_as;
	bool bfd;
	/* A peer behind an S2S tunnel: not on a connected subnet (eBGP
	 * multihop), and spoken to from the compartment's address. */
	bool multihop;
	uint32_t source;                /* update-source; 0: none */
};

struct frr_static {
	uint32_t addr;                  /* a /32 */
	char dev[FRR_VRF_MAX];
};

struct frr_bgp_inst {
	char vrf[FRR_VRF_MAX];          /* tvrfN */
	uint32_t asn;
	uint32_t router_id;             /* 0: FRR picks */
	/* Sorted by address (frr_bgp_sort): the canonical form. */
	unsigned int nnbr, nnet, nstatic;
	struct frr_bgp_nbr nbr[FRR_BGP_NBR_MAX];
	struct tenet_prefix net[FRR_BGP_NET_MAX];
	struct frr_static statics[FRR_BGP_NBR_MAX];
};

/* Sort the lists (and drop duplicates): what render and digest expect. */
void frr_bgp_sort(struct frr_bgp_inst *in);

/* The text that makes FRR hold `want` for its VRF when it holds `cur`
 * now (NULL: nothing of it): `no` lines for what cur has and want has
 * not, then want's block. want NULL: the removal of cur. */
int frr_bgp_render(FILE *f, const struct frr_bgp_inst *want, const struct frr_bgp_inst *cur);

/* A digest of the canonical text of in (render from nothing). */
int frr_bgp_digest(const struct frr_bgp_inst *in, uint8_t out[16]);

/* The instances of VRFs whose names start with vrf_pfx in FRR's running
 * configuration text (`show running-config`): cb for each. */
int frr_bgp_parse(const char *text, const char *vrf_pfx,
		  int (*cb)(void *arg, const struct frr_bgp_inst *in), void *arg,
		  struct tenet_err *err);

#endif

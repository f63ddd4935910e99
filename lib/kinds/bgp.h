/* SPDX-License-Identifier: GPL-2.0 */
/* BGP per compartment (per gateway host): a tenant's BGP instance in its
 * compartment's VRF (the ASN and router id), and its neighbors. The rows
 * of the registry are in bgp.c; what the agent makes of them in FRR is
 * agent/gw/bgp.c and lib/frr/. See docs/bgp.md. */
#ifndef TENET_KINDS_BGP_H
#define TENET_KINDS_BGP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"
#include "util/parse.h"

/* AS_TRANS (RFC 6793) is never a speaker's own AS. */
#define TENET_BGP_AS_TRANS 23456u

/* A tenant's BGP instance on a gateway host:
 * /tenet/v1/host/<host>/bgp/<rdomain>. */
struct tenet_bgp {
	char host[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t asn;
	uint32_t router_id;             /* network order; 0: FRR picks one */
};

/* One of its neighbors: /tenet/v1/host/<host>/bgpnbr/<rdomain>/<address>. */
struct tenet_bgpnbr {
	char host[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t address;               /* network order */
	uint32_t remote_as;
	int bfd;                        /* 0 off, 1 on */
	/* An S2S interface of the compartment the peer is reached through
	 * (a /32 trigger route to the peer on it); "" = a peer on one of the
	 * compartment's own subnets. */
	char via[TENET_NAME_MAX + 1];
};

/* An ASN as typed: 1..4294967295 except 23456 (asplain only). */
int tenet_bgp_parse_asn(const char *s, uint32_t *asn, struct tenet_err *err);

/* In a compartment's delete (lib/kinds/gateway.c): its routing domain's
 * BGP instance and neighbors on its host go with it. */
struct pctx;
int pol_del_bgp(struct pctx *c, const char *host, const char *rdomain);

#endif

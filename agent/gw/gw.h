/* SPDX-License-Identifier: GPL-2.0 */
/* The gateway side of tenetd: compartments (a VRF per routing domain with
 * its internal interface, a port of the datapath), their routes and
 * fwmark rules (the vrf reconciler, vrf.c), and tenet's nftables table for
 * multi-tenant NAT (the nat reconciler, nat.c). Everything they make is
 * recognisable (link aliases, route and rule protocol, tenet's own nft
 * table), so a restarted agent finds it and removes what is no longer
 * wanted, and nothing else. This header has what both share: this host's
 * compartments as they read them from the model. See docs/gateway.md. */
#ifndef TENETD_GW_H
#define TENETD_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "recon/model.h"
#include "recon/recon.h"

/* One compartment of this host. */
struct gw_tenant {
	const struct tenet_compartment *cm;
	const char *key;                        /* its store key, for notes */
	const struct tenet_nat *nat;            /* NULL: no NAT */
	char uplink[IF_NAMESIZE];               /* device holding nat->external */
	uint32_t uplink_ifindex;                /* 0: not found */
	const struct tenet_natmap **maps;
	size_t nmaps;
	/* Ids of its S2S interfaces on this host (device ts<id>), in order. */
	uint32_t *s2s;
	size_t ns2s;
	/* It has remote access (device tra<compartment id>), whose flows are
	 * the tenant's both ways as the S2S interfaces' are. */
	bool ravpn;
};

/* This host's compartments, in store-key order, and every virtual subnet
 * (routes to the other subnets of a compartment's routing domain). */
struct gw_tenants {
	struct gw_tenant *t;
	size_t n;
	const struct tenet_vsubnet **vs;
	size_t nvs;
	const struct tenet_natmap **maps;
	size_t nmaps;
};

/* An IPv4 address of this host and its device (how an uplink is found). */
typedef int (*gw_addr_cb)(const char *dev, uint32_t ifindex, uint32_t addr, uint8_t plen,
			  void *arg);
typedef int (*gw_addr_dump_fn)(void *ctx, gw_addr_cb cb, void *arg);

/* Collect from the model; with dump (may be NULL), find each NAT's uplink
 * (noted through env when no device holds the external address). 0 or
 * -ENOMEM. */
int gw_tenants_collect(struct gw_tenants *g, const struct model *m, const struct recon_env *env,
		       gw_addr_dump_fn dump, void *dump_ctx);
void gw_tenants_free(struct gw_tenants *g);

/* The compartment of rdomain on host in the model; NULL: none. */
const struct tenet_compartment *gw_compartment_of(const struct model *m, const char *host,
						  const char *rdomain);

/* tenet's nftables ruleset for these compartments (nat_rules.c):
 * malloc'd text, or NULL for none (n == 0) or on ENOMEM. */
char *gw_nft_ruleset(const struct gw_tenant *t, size_t n);

/* The reconcilers (registry rows). */
extern const struct reconciler gw_vrf_reconciler;
extern const struct reconciler gw_nat_reconciler;

#endif

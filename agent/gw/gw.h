/* SPDX-License-Identifier: GPL-2.0 */
/* The gateway side of tenetd: compartments (a VRF per routing domain with
 * its internal interface, a port of the datapath), their routes and fwmark
 * rules, and tenet's nftables table for multi-tenant NAT. Reconciled
 * against what the kernel holds on every reconcile; everything the agent
 * makes is recognisable (link aliases, route and rule protocol, its own
 * nft table), so a restarted agent finds it and removes what is no longer
 * wanted, and nothing else. See docs/gateway.md. */
#ifndef TENETD_GW_H
#define TENETD_GW_H

#include <stdbool.h>
#include <net/if.h>

#include "recon/model.h"
#include "nl/nl.h"

struct nft_ctx;

/* An address the agent put on an external interface, so that taking the
 * interface out of its compartment also takes the address away. */
struct gw_ext_addr {
	char dev[IF_NAMESIZE];
	struct tenet_prefix addr;
};

struct gw {
	struct nl nl;
	struct nft_ctx *nft;
	char *nft_text;         /* last ruleset applied; NULL: unknown */
	bool nft_checked;       /* looked for a table left by an earlier agent */
	struct gw_ext_addr *ext;
	size_t next;
};

/* One compartment of this host as the reconciler sees it. */
struct gw_tenant {
	const struct tenet_compartment *cm;
	const char *key;                        /* its store key, for notes */
	const struct tenet_nat *nat;            /* NULL: no NAT */
	char uplink[IF_NAMESIZE];               /* device holding nat->external */
	uint32_t uplink_ifindex;                /* 0: not found */
	const struct tenet_natmap **maps;
	size_t nmaps;
};

struct gw_env {
	const char *host;
	uint32_t mtu;           /* for the internal veth pair; 0: kernel default */
	void (*note)(void *arg, const char *key, const char *msg);
	void *note_arg;
};

int gw_init(struct gw *g);
void gw_fini(struct gw *g);
/* Make the kernel hold this host's compartments. Returns how many
 * changes failed (they are noted; the caller retries later). */
int gw_sync(struct gw *g, const struct model *m, const struct gw_env *env);
/* Remove every gateway object tenet made (tenetd --cleanup). */
void gw_cleanup(struct gw *g);

/* The nftables ruleset for these tenants (gw_nft.c): malloc'd text, or
 * NULL on ENOMEM. Exposed for the unit tests. */
char *gw_nft_ruleset(const struct gw_tenant *t, size_t n);
/* Apply text atomically (replacing tenet's table); NULL text deletes the
 * table. 0 or -errno with the first line of nft's error in err. */
int gw_nft_apply(struct gw *g, const char *text, char *err, size_t errlen);
/* Does tenet's table exist? */
bool gw_nft_present(struct gw *g);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* What the site-to-site (ipsec.c) and remote-access (ravpn.c) reconcilers
 * share: an XFRM interface of tenet's in a compartment's VRF (created
 * with its if_id, MTU and alias, forwarding on, loose rp_filter,
 * enslaved to tvrfC, up), found again by its name's prefix and its
 * alias, and the routes of one protocol through such interfaces
 * (xfrmif_kernel.c). Each reconciler keeps its own names, keys and
 * charon objects. */
#ifndef TENETD_GW_XFRMIF_H
#define TENETD_GW_XFRMIF_H

#include <stdbool.h>
#include <stdint.h>

#include "gw/ipsec.h"
#include "nl/nl.h"
#include "recon/recon.h"

/* An XFRM interface as wanted or as found. */
struct xfrmif {
	uint32_t if_id;
	uint32_t vrf;                   /* compartment id (tvrfC); 0 none */
	const char *name;               /* the alias after its prefix */
	bool up;
};

/* Make dev what v says, old being what it was (NULL: nothing): a new
 * if_id or name is a new device; then its VRF, then up or down. 0 or
 * -errno (a failed enslave says why through recon_errf). */
int xfrmif_put(struct recon *rc, const struct ipsec_ops *ops, const char *dev,
	       const char *alias_pfx, const struct xfrmif *v, const struct xfrmif *old);

/* The id of dev_pfx<id> (1..id_max), or 0. */
uint32_t xfrmif_dev_id(const char *name, const char *dev_pfx, uint32_t id_max);

/* cb for every XFRM interface named dev_pfx<id> whose alias starts with
 * alias_pfx; cb's return ends the walk when negative. */
typedef int (*xfrmif_cb)(void *arg, uint32_t id, const struct xfrmif *x);
int xfrmif_dump(const struct ipsec_ops *ops, const char *dev_pfx, uint32_t id_max,
		const char *alias_pfx, xfrmif_cb cb, void *arg);

/* With charon away, what it should hold of type t is taken as held:
 * desired's objects into out (nothing is loaded into the void; when it
 * is back a round reads the truth). 0 or -ENOMEM. */
int xfrmif_assume_desired(struct recon_set *out, const struct recon_set *desired,
			  unsigned int t);

/* The routes of protocol proto through XFRM interfaces, over rtnetlink
 * (xfrmif_kernel.c): a value with an empty dev is an unreachable route. */
int xfrmif_route_dump(struct nl *nl, uint8_t proto, ipsec_route_cb cb, void *arg);
int xfrmif_route_set(struct nl *nl, uint8_t proto, const struct ipsec_route_key *k,
		     const struct ipsec_route_val *v);
int xfrmif_route_del(struct nl *nl, uint8_t proto, const struct ipsec_route_key *k);

#endif

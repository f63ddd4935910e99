// SPDX-License-Identifier: GPL-2.0
/* The reconcilers of tenetd, one row each, in the order they run every
 * round: BGP in FRR first, so that a tenant's BGP instance is removed
 * before its VRF (FRR takes an instance, or a trigger route, for a VRF or
 * device that does not exist yet and activates it when it appears); then
 * the compartments' links (their internal interfaces are ports of the
 * datapath), the host datapath, NAT, site-to-site VPN (its XFRM
 * interfaces go into the VRFs), remote-access VPN (its XFRM interfaces
 * too), the interfaces' filters (by interface name: they need no
 * device), then the interfaces' rate limits (tc on the devices made
 * above). A new
 * reconciler is a file defining a const struct reconciler and a row
 * here (docs/architecture.md, "Adding a reconciler"). */
#include "gw/bgp.h"
#include "gw/gw.h"
#include "gw/filter.h"
#include "gw/ipsec.h"
#include "gw/rate.h"
#include "gw/ravpn.h"
#include "host/objs.h"
#include "recon/recon.h"

const struct reconciler *const recon_registry[] = {
	&gw_bgp_reconciler,
	&gw_vrf_reconciler,
	&host_reconciler,
	&gw_nat_reconciler,
	&gw_ipsec_reconciler,
	&gw_ravpn_reconciler,
	&gw_filter_reconciler,
	&gw_rate_reconciler,
};

const size_t recon_registry_len = sizeof(recon_registry) / sizeof(recon_registry[0]);

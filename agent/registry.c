// SPDX-License-Identifier: GPL-2.0
/* The reconcilers of tenetd, one row each, in the order they run every
 * round: the compartments' links first (their internal interfaces are
 * ports of the datapath), then the host datapath, then NAT, then
 * site-to-site VPN (its XFRM interfaces go into the VRFs), then BGP in
 * FRR (its trigger routes name the XFRM interfaces). A new
 * reconciler is a file defining a const struct reconciler and a row
 * here (docs/architecture.md, "Adding a reconciler"). */
#include "gw/bgp.h"
#include "gw/gw.h"
#include "gw/ipsec.h"
#include "host/objs.h"
#include "recon/recon.h"

const struct reconciler *const recon_registry[] = {
	&gw_vrf_reconciler,
	&host_reconciler,
	&gw_nat_reconciler,
	&gw_ipsec_reconciler,
	&gw_bgp_reconciler,
};

const size_t recon_registry_len = sizeof(recon_registry) / sizeof(recon_registry[0]);

/* SPDX-License-Identifier: GPL-2.0 */
/* Gateway compartments (per host): a VRF per routing domain on a gateway
 * host. The kernel names derived from a compartment id (VRF, table,
 * interfaces, marks) are defined here so the CLI and the agent agree on
 * them. The compartment's row of the registry is in gateway.c. See
 * docs/gateway.md. */
#ifndef TENET_KINDS_GATEWAY_H
#define TENET_KINDS_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "kinds/rate.h"
#include "util/errmsg.h"
#include "util/parse.h"

/* Compartment ids are per host, 1..TENET_GW_ID_MAX. The VRF table is
 * TENET_GW_TABLE_BASE + id: it doubles as the conntrack zone (16 bits),
 * so it must stay <= 65535. */
#define TENET_GW_ID_MAX 50000u
#define TENET_GW_TABLE_BASE 10000u
/* ct mark / fwmark of a compartment: this prefix | table id. */
#define TENET_GW_MARK_BASE 0x7e4e0000u
#define TENET_GW_MARK_MASK 0xffff0000u
/* ip rule priority of the fwmark rules: ahead of the l3mdev rule (1000). */
#define TENET_GW_RULE_PREF 990u
/* Metric of the unreachable default route in every compartment table. */
#define TENET_GW_UNREACH_METRIC 4278198272u
/* Metric of the NAT default route (below the unreachable one). */
#define TENET_GW_NAT_METRIC 100u
/* Device name prefixes: VRF, VRF-side (IfCi1) and port-side veth ends. */
#define TENET_GW_VRF_PFX "tvrf"
#define TENET_GW_INT_PFX "tgi"
#define TENET_GW_PORT_PFX "tgp"
/* ifalias of every device the agent creates for a compartment. Every
 * device tenet makes has an alias starting with TENET_ALIAS_ROOT (S2S
 * interfaces: "tenet-s2s:"), which says which reconciler owns it. */
#define TENET_ALIAS_ROOT "tenet-"
#define TENET_GW_ALIAS_PFX "tenet-gw:"

struct tenet_compartment {
	char host[TENET_NAME_MAX + 1];
	char name[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t id;                    /* per host; assigned at creation */
	/* The internal side: a virtual subnet of the routing domain (the
	 * gateway subnet, reached over NVGRE), or an 802.1Q VLAN of a
	 * gateway NIC (a tenant whose network is a VLAN); one of the two. */
	uint32_t vsid;                  /* 0: a VLAN compartment */
	uint16_t vlan;                  /* 1..4094; 0: an NVGRE compartment */
	char vlan_dev[TENET_IFNAME_MAX + 1];
	struct tenet_prefix addr;       /* IfCi1's address/len */
	uint8_t mac[TENET_MAC_LEN];     /* IfCi1's MAC (the port's MAC) */
	/* Forwarding gateway: a physical interface moved into the VRF. */
	char ext_dev[TENET_IFNAME_MAX + 1]; /* "" = none */
	struct tenet_prefix ext_addr;
	/* Rate limits of the internal interface (IfCi1) and of the external
	 * one; not set: none (kinds/rate.h). */
	struct tenet_rate rate_int, rate_ext;
};

json_t *tenet_compartment_to_json(const struct tenet_compartment *c);
int tenet_compartment_from_json(const json_t *j, struct tenet_compartment *c,
				struct tenet_err *err);

/* Kernel names of compartment `id`. */
int tenet_gw_devname(const char *pfx, uint32_t id, char *buf, size_t len);
static inline uint32_t tenet_gw_table(uint32_t id)
{
	return TENET_GW_TABLE_BASE + id;
}
static inline uint32_t tenet_gw_mark(uint32_t id)
{
	return TENET_GW_MARK_BASE | tenet_gw_table(id);
}
/* The compartment MAC made when none is given: 02:54:4e + 24 bits of a
 * hash of host and name (never the router MAC). */
void tenet_gw_default_mac(const char *host, const char *name, uint8_t mac[TENET_MAC_LEN]);

/* For the validated writes of what lives in a compartment (S2S, remote
 * access, BGP): the compartment of rdomain on host into out (may be NULL),
 * or -ENOENT with the one line that says to add it first. */
struct pctx;
int pol_compartment_of(struct pctx *c, const char *host, const char *rdomain,
		       struct tenet_compartment *out);

#endif

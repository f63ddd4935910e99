/* SPDX-License-Identifier: GPL-2.0 */
/* What tenetd tells charon about a tenant's remote access, as VICI
 * messages (lib/vici): its pools (load-pool) and its connection
 * (load-conn); and the eap-radius section of strongswan.conf naming the
 * RADIUS servers. Pure functions of the records and the gateway's
 * certificate, unit-tested against the exact messages (docs/vpn.md,
 * "Remote access"). */
#ifndef TENETD_GW_RAVPN_CONF_H
#define TENETD_GW_RAVPN_CONF_H

#include <stddef.h>

#include <jansson.h>

#include "kinds/ravpn.h"

#define RAVPN_NAME_LEN 96

/* The tenant's pools in charon, "tenet-ra-<rdomain>-4-<8 hex digits of
 * the pool's settings>" (and -6-): a changed pool is a new pool. ""
 * when the tenant has no pool of that family. */
void ravpn_pool_names(const struct tenet_ravpn *r, char v4[RAVPN_NAME_LEN],
		      char v6[RAVPN_NAME_LEN]);
/* load-pool's message for the named pool of r (v6: its IPv6 pool). */
json_t *ravpn_pool_msg(const struct tenet_ravpn *r, const char *name, bool v6);
/* The tenant's child, "ra-<16 hex digits of the configuration>". */
int ravpn_child_name(const struct tenet_ravpn *r, uint32_t cid, const char *cert_pem,
		     char child[RAVPN_NAME_LEN], struct tenet_err *err);
/* load-conn's message { "tenet-ra-<rdomain>": { ... } } for the tenant
 * whose compartment has id cid. -EINVAL without a gateway certificate. */
int ravpn_conn_msg(const struct tenet_ravpn *r, uint32_t cid, const char *cert_pem,
		   json_t **out, struct tenet_err *err);

/* One RADIUS server with its opened secret. */
struct ravpn_radius_server {
	uint32_t addr;
	uint16_t port;
	const char *secret;
};
/* strongswan.conf text: charon.plugins.eap-radius with the servers, the
 * Class attribute as a group (class_group). malloc'd. */
char *ravpn_radius_conf(const struct ravpn_radius_server *s, size_t n);

#endif

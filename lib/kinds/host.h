/* SPDX-License-Identifier: GPL-2.0 */
/* The host kinds (per host, read by the host they name): provider
 * addresses, provider routes, ports. Their rows of the registry are in
 * host.c; keys and fields are documented in docs/store.md. */
#ifndef TENET_KINDS_HOST_H
#define TENET_KINDS_HOST_H

#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"
#include "util/parse.h"

/* Provider address of a host: IP/len on an underlay device. */
struct tenet_pa {
	char host[TENET_NAME_MAX + 1];
	struct tenet_prefix addr; /* host bits allowed: an address on a network */
	char dev[TENET_IFNAME_MAX + 1];
	uint16_t vlan;          /* 0: untagged */
};

/* Provider route of a host: prefix via a next hop on an underlay device. */
struct tenet_proute {
	char host[TENET_NAME_MAX + 1];
	struct tenet_prefix prefix;
	char dev[TENET_IFNAME_MAX + 1];
	uint32_t via;           /* network order; 0 = on-link */
};

/* Port: a local VM/container interface bound to a VSID and a MAC. */
struct tenet_port {
	char host[TENET_NAME_MAX + 1];
	char dev[TENET_IFNAME_MAX + 1];
	uint32_t vsid;
	uint8_t mac[TENET_MAC_LEN];
};

json_t *tenet_pa_to_json(const struct tenet_pa *p);
json_t *tenet_proute_to_json(const struct tenet_proute *p);
json_t *tenet_port_to_json(const struct tenet_port *p);
int tenet_pa_from_json(const json_t *j, struct tenet_pa *p, struct tenet_err *err);
int tenet_proute_from_json(const json_t *j, struct tenet_proute *p, struct tenet_err *err);
int tenet_port_from_json(const json_t *j, struct tenet_port *p, struct tenet_err *err);

#endif

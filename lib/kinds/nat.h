/* SPDX-License-Identifier: GPL-2.0 */
/* NAT of gateway compartments (per host): a compartment's NAT and its
 * static inbound mappings. Their rows of the registry are in nat.c. See
 * docs/gateway.md. */
#ifndef TENET_KINDS_NAT_H
#define TENET_KINDS_NAT_H

#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"
#include "util/parse.h"

/* NAT of one compartment: what has no route in the VRF leaves through
 * the uplink holding `external`, translated to it. */
struct tenet_nat {
	char host[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t external;              /* network order */
	uint32_t via;                   /* uplink next hop; 0 = on-link */
	uint16_t port_min, port_max;    /* 0, 0 = any */
};

/* Static inbound mapping: proto external:port -> CA:port in rdomain. */
struct tenet_natmap {
	char host[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	uint8_t proto;                  /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t external;
	uint16_t ext_port;
	uint32_t ca;
	uint16_t ca_port;
};

json_t *tenet_nat_to_json(const struct tenet_nat *n);
json_t *tenet_natmap_to_json(const struct tenet_natmap *m);
int tenet_nat_from_json(const json_t *j, struct tenet_nat *n, struct tenet_err *err);
int tenet_natmap_from_json(const json_t *j, struct tenet_natmap *m, struct tenet_err *err);

/* "tcp"/"udp" <-> IPPROTO_*. */
const char *tenet_proto_name(uint8_t proto);
int tenet_proto_parse(const char *s, uint8_t *proto, struct tenet_err *err);
/* IP:PORT (port 1..65535). */
int tenet_parse_ip_port(const char *s, uint32_t *ip, uint16_t *port, struct tenet_err *err);
/* A-B (1..65535, A <= B) or a single port. */
int tenet_parse_port_range(const char *s, uint16_t *min, uint16_t *max, struct tenet_err *err);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Gateway records (per host): compartments, NAT and static inbound NAT
 * mappings. Included by record.h; the codecs live in record_gw.c and are
 * reached through the generic tenet_record_* functions. The kernel names
 * derived from a compartment id (VRF, table, interfaces, marks) are
 * defined here so the CLI and the agent agree on them. See
 * docs/gateway.md. */
#ifndef TENET_RECORD_GW_H
#define TENET_RECORD_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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
/* ifalias of every device the agent creates for a compartment. */
#define TENET_GW_ALIAS_PFX "tenet-gw:"

struct tenet_compartment {
	char host[TENET_NAME_MAX + 1];
	char name[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t id;                    /* per host; assigned at creation */
	uint32_t vsid;                  /* the gateway subnet of the rdomain */
	struct tenet_prefix addr;       /* IfCi1's address/len */
	uint8_t mac[TENET_MAC_LEN];     /* IfCi1's MAC (the port's MAC) */
	/* Forwarding gateway: a physical interface moved into the VRF. */
	char ext_dev[TENET_IFNAME_MAX + 1]; /* "" = none */
	struct tenet_prefix ext_addr;
};

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

json_t *tenet_compartment_to_json(const struct tenet_compartment *c);
json_t *tenet_nat_to_json(const struct tenet_nat *n);
json_t *tenet_natmap_to_json(const struct tenet_natmap *m);
int tenet_compartment_from_json(const json_t *j, struct tenet_compartment *c,
				struct tenet_err *err);
int tenet_nat_from_json(const json_t *j, struct tenet_nat *n, struct tenet_err *err);
int tenet_natmap_from_json(const json_t *j, struct tenet_natmap *m, struct tenet_err *err);

/* "tcp"/"udp" <-> IPPROTO_*. */
const char *tenet_proto_name(uint8_t proto);
int tenet_proto_parse(const char *s, uint8_t *proto, struct tenet_err *err);
/* IP:PORT (port 1..65535). */
int tenet_parse_ip_port(const char *s, uint32_t *ip, uint16_t *port, struct tenet_err *err);
/* A-B (1..65535, A <= B) or a single port. */
int tenet_parse_port_range(const char *s, uint16_t *min, uint16_t *max, struct tenet_err *err);

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

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The overlay kinds (global records, read by every host): routing
 * domains, virtual subnets, lookup records, customer routes. Their rows
 * of the registry (field tables, keys, rules) are in overlay.c; their
 * key layout and JSON fields are documented in docs/store.md. */
#ifndef TENET_KINDS_OVERLAY_H
#define TENET_KINDS_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <tenet/maps.h>

#include "util/errmsg.h"
#include "util/parse.h"

/* Routing domain: one tenant's virtual network. */
struct tenet_rdomain {
	char name[TENET_NAME_MAX + 1];
	uint8_t guid[TENET_GUID_LEN];
	uint32_t id;            /* > 0, unique: the rdomain key of the BPF maps */
};

/* Virtual subnet: one VSID, one prefix, in one routing domain. */
struct tenet_vsubnet {
	uint32_t vsid;
	char rdomain[TENET_NAME_MAX + 1];
	struct tenet_prefix prefix;
};

/* Lookup record: (VSID, CA IP, MAC) -> PA. l2only records have no CA. */
struct tenet_lookup {
	uint32_t vsid;
	bool has_ca;
	uint32_t ca;            /* network order; valid when has_ca */
	uint8_t mac[TENET_MAC_LEN];
	uint32_t pa;            /* network order */
	enum tenet_lookup_type type;
	enum tenet_lookup_rule rule;
};

/* Customer route: (routing domain, prefix) -> next hop, configured on a
 * VSID. One route per prefix per routing domain: the datapath's route table
 * is keyed that way. nexthop 0 = on-link. */
struct tenet_croute {
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t vsid;
	struct tenet_prefix prefix;
	uint32_t nexthop;       /* network order */
	uint32_t metric;
};

/* Names used in JSON and on the command line. */
const char *tenet_lookup_type_name(enum tenet_lookup_type t);
const char *tenet_lookup_rule_name(enum tenet_lookup_rule r);
int tenet_lookup_type_parse(const char *s, enum tenet_lookup_type *t, struct tenet_err *err);
int tenet_lookup_rule_parse(const char *s, enum tenet_lookup_rule *r, struct tenet_err *err);

/* Typed codecs, for callers that know what they hold (the registry's
 * field tables behind them). */
json_t *tenet_rdomain_to_json(const struct tenet_rdomain *r);
json_t *tenet_vsubnet_to_json(const struct tenet_vsubnet *v);
json_t *tenet_lookup_to_json(const struct tenet_lookup *l);
json_t *tenet_croute_to_json(const struct tenet_croute *c);
int tenet_rdomain_from_json(const json_t *j, struct tenet_rdomain *r, struct tenet_err *err);
int tenet_vsubnet_from_json(const json_t *j, struct tenet_vsubnet *v, struct tenet_err *err);
int tenet_lookup_from_json(const json_t *j, struct tenet_lookup *l, struct tenet_err *err);
int tenet_croute_from_json(const json_t *j, struct tenet_croute *c, struct tenet_err *err);

#endif

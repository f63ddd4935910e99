/* SPDX-License-Identifier: GPL-2.0 */
/* The policy records kept in the control store: C structs, their store
 * keys and their JSON codecs. The CLI writes them, the agent reads them;
 * both go through these functions so the two never disagree on a field.
 * The key layout and the JSON field names are documented in docs/store.md
 * and are a stable interface. */
#ifndef TENET_RECORD_H
#define TENET_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <tenet/maps.h>

#include "util/errmsg.h"
#include "util/parse.h"
#include "kinds/record_gw.h"

#define TENET_KEY_ROOT "/tenet/v1/"
#define TENET_KEY_GLOBAL TENET_KEY_ROOT "global/"
#define TENET_KEY_HOST TENET_KEY_ROOT "host/"
/* Bumped by every validated policy write (lib/policy.c), so that writers
 * can detect that anything changed between their reads and their commit.
 * Not a record: watchers ignore it. */
#define TENET_KEY_SERIAL TENET_KEY_ROOT "meta/serial"
#define TENET_KEY_MAX 256

enum tenet_kind {
	TENET_KIND_NONE = 0,
	TENET_KIND_RDOMAIN,
	TENET_KIND_VSUBNET,
	TENET_KIND_LOOKUP,
	TENET_KIND_CROUTE,
	TENET_KIND_PA,
	TENET_KIND_PROUTE,
	TENET_KIND_PORT,
	/* gateway (per host), lib/record_gw.h */
	TENET_KIND_COMPARTMENT,
	TENET_KIND_NAT,
	TENET_KIND_NATMAP,
	TENET_KIND_MAX,
};

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

struct tenet_record {
	enum tenet_kind kind;
	union {
		struct tenet_rdomain rdomain;
		struct tenet_vsubnet vsubnet;
		struct tenet_lookup lookup;
		struct tenet_croute croute;
		struct tenet_pa pa;
		struct tenet_proute proute;
		struct tenet_port port;
		struct tenet_compartment compartment;
		struct tenet_nat nat;
		struct tenet_natmap natmap;
	};
};

/* "rdomain", "vsubnet", ... ; NULL for an unknown kind. */
const char *tenet_kind_name(enum tenet_kind kind);
/* Names used in JSON and on the command line. */
const char *tenet_lookup_type_name(enum tenet_lookup_type t);
const char *tenet_lookup_rule_name(enum tenet_lookup_rule r);
int tenet_lookup_type_parse(const char *s, enum tenet_lookup_type *t, struct tenet_err *err);
int tenet_lookup_rule_parse(const char *s, enum tenet_lookup_rule *r, struct tenet_err *err);

/* The store key of a record (from its identifying fields only). -ENAMETOOLONG,
 * -EINVAL for a kind without keys. */
int tenet_record_key(const struct tenet_record *rec, char *buf, size_t len);
/* The key prefixes to range over: every record of a kind (host NULL means
 * every host, for per-host kinds), lookup records of one VSID. */
int tenet_kind_prefix(enum tenet_kind kind, const char *host, char *buf, size_t len);
int tenet_lookup_vsid_prefix(uint32_t vsid, char *buf, size_t len);

/* Which record a key names, and its identifying fields (what a delete
 * event carries): rdomain name; VSID; lookup VSID and CA or MAC; croute
 * rdomain and prefix; host and PA, prefix or device. Other fields are
 * zero. -ENOENT for keys outside the record layout (e.g. the serial key),
 * -EINVAL for a malformed key inside it. */
int tenet_record_from_key(const char *key, struct tenet_record *rec, struct tenet_err *err);

/* JSON codecs. Encoding never fails except on memory. Decoding is strict
 * about the fields it knows (required, typed, valid) and ignores the ones
 * it does not, so newer writers do not break older readers. */
json_t *tenet_record_to_json(const struct tenet_record *rec);
int tenet_record_from_json(enum tenet_kind kind, const json_t *j, struct tenet_record *rec,
			   struct tenet_err *err);
/* A stored record: its kind from the key, its fields from the value, and
 * a check that the two agree (a value copied under the wrong key is
 * corrupt, not a second record). */
int tenet_record_decode(const char *key, const char *value, struct tenet_record *rec,
			struct tenet_err *err);
/* The same, for a caller that has parsed the key already (id: what
 * tenet_record_from_key made of it). */
int tenet_record_decode_id(const char *key, const struct tenet_record *id, const char *value,
			   struct tenet_record *rec, struct tenet_err *err);

/* Typed codecs, for callers that know what they hold. */
json_t *tenet_rdomain_to_json(const struct tenet_rdomain *r);
json_t *tenet_vsubnet_to_json(const struct tenet_vsubnet *v);
json_t *tenet_lookup_to_json(const struct tenet_lookup *l);
json_t *tenet_croute_to_json(const struct tenet_croute *c);
json_t *tenet_pa_to_json(const struct tenet_pa *p);
json_t *tenet_proute_to_json(const struct tenet_proute *p);
json_t *tenet_port_to_json(const struct tenet_port *p);
int tenet_rdomain_from_json(const json_t *j, struct tenet_rdomain *r, struct tenet_err *err);
int tenet_vsubnet_from_json(const json_t *j, struct tenet_vsubnet *v, struct tenet_err *err);
int tenet_lookup_from_json(const json_t *j, struct tenet_lookup *l, struct tenet_err *err);
int tenet_croute_from_json(const json_t *j, struct tenet_croute *c, struct tenet_err *err);
int tenet_pa_from_json(const json_t *j, struct tenet_pa *p, struct tenet_err *err);
int tenet_proute_from_json(const json_t *j, struct tenet_proute *p, struct tenet_err *err);
int tenet_port_from_json(const json_t *j, struct tenet_port *p, struct tenet_err *err);

/* Same record identity (the fields that make up its key). */
bool tenet_record_same_key(const struct tenet_record *a, const struct tenet_record *b);

#endif

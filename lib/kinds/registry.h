/* SPDX-License-Identifier: GPL-2.0 */
/* The kind registry: one row per policy kind. A row says everything the
 * rest of tenet needs to know about a kind: its name and scope (global or
 * per host), its store key (which fields make which path components), its
 * JSON fields (type, check, required or not, when omitted), the checks
 * across fields a decoded value must pass, how listings sort it, and its
 * rules against the rest of the store on put and delete (lib/policy/
 * engine.h). The codecs in codec.c read the rows; nothing outside a
 * kind's own file knows its fields.
 *
 * Adding a kind (docs/architecture.md, "Adding a policy kind"): write
 * lib/kinds/<family>.{c,h} (struct tenet_<name>, the row
 * `const struct tenet_kind_desc tenet_kind_<name>` and its rules), include
 * the header below and add X(<NAME>, <name>) to TENET_KINDS. That one line
 * makes the enum value TENET_KIND_<NAME>, the union member
 * `struct tenet_<name> <name>` of struct tenet_record and the registry
 * table's entry. */
#ifndef TENET_KINDS_REGISTRY_H
#define TENET_KINDS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"
#include "kinds/overlay.h"
#include "kinds/host.h"
#include "kinds/gateway.h"
#include "kinds/nat.h"
#include "kinds/s2s.h"
#include "kinds/filter.h"
#include "kinds/ravpn.h"
#include "kinds/bgp.h"

/* The rows, in enum order (the values are not stored anywhere, but keep
 * new kinds at the end anyway). */
#define TENET_KINDS(X)                                                             \
	X(RDOMAIN, rdomain)                                                        \
	X(VSUBNET, vsubnet)                                                        \
	X(LOOKUP, lookup)                                                          \
	X(CROUTE, croute)                                                          \
	X(PA, pa)                                                                  \
	X(PROUTE, proute)                                                          \
	X(PORT, port)                                                              \
	X(COMPARTMENT, compartment)                                                \
	X(NAT, nat)                                                                \
	X(NATMAP, natmap)                                                          \
	X(S2S, s2s)                                                                \
	X(PUBKEY, pubkey)                                                          \
	X(FILTER, filter)                                                          \
	X(FILTERMODE, filtermode)                                                  \
	X(RAVPN, ravpn)                                                            \
	X(RAVPNRADIUS, ravpnradius)                                                \
	X(RAVPNGW, ravpngw)                                                        \
	X(BGP, bgp)                                                                \
	X(BGPNBR, bgpnbr)

enum tenet_kind {
	TENET_KIND_NONE = 0,
#define TENET_KIND_ENUM_(E, m) TENET_KIND_##E,
	TENET_KINDS(TENET_KIND_ENUM_)
#undef TENET_KIND_ENUM_
	TENET_KIND_MAX,
};

/* ---- JSON fields ---- */

enum tenet_ftype {
	TENET_FT_NONE = 0,
	TENET_FT_NAME,          /* char[TENET_NAME_MAX + 1]: tenet_check_name */
	TENET_FT_IFNAME,        /* char[TENET_IFNAME_MAX + 1]: tenet_check_ifname */
	TENET_FT_U32,           /* uint32_t: a JSON integer in min..max */
	TENET_FT_U16,           /* uint16_t: a JSON integer in min..max */
	TENET_FT_IPV4,          /* uint32_t, network order: "a.b.c.d" */
	TENET_FT_PREFIX,        /* struct tenet_prefix naming a network (no host bits) */
	TENET_FT_ADDR_LEN,      /* struct tenet_prefix: an address on a network */
	TENET_FT_MAC,           /* uint8_t[TENET_MAC_LEN] */
	TENET_FT_GUID,          /* uint8_t[TENET_GUID_LEN] */
	TENET_FT_ENUM,          /* an enum (int) or uint8_t, named by enumdef */
	TENET_FT_OBJECT,        /* a JSON object of sub fields of the same struct */
	TENET_FT_BOOL,          /* bool: sort keys only */
	/* char[size]: any text without control characters that fits; what
	 * it must look like is the row's check's business (a destination
	 * that is an address or a DNS name, a sealed secret). */
	TENET_FT_TEXT,
	/* A JSON array of objects: max elements of size / max bytes each at
	 * off, their fields in sub (offsets within an element), the number
	 * of elements in the uint16_t at when_off (TENET_ARRAY). Absent
	 * (TENET_F_OPTIONAL) decodes as none; always encoded. */
	TENET_FT_ARRAY,
};

/* Names of an enum's values: names[i] is values[i] (or i without values). */
struct tenet_enum {
	const char *const *names;
	const int *values;
	size_t n;
	const char *invalid;    /* the parse error, e.g. "not a rule (encap, none)" */
};

enum {
	/* May be absent; absent decodes as zero. */
	TENET_F_OPTIONAL = 1u << 0,
	/* Encoded only when the when_size bytes at when_off are not all zero
	 * (proute's "via" is left out when 0: on-link). */
	TENET_F_OMIT = 1u << 1,
	/* Optional; its presence is the bool at when_off (decoding sets it,
	 * encoding writes the field only when it is set): lookup's "ca". */
	TENET_F_PRESENCE = 1u << 2,
	/* Decoded after the kind's check, which sees only its presence. */
	TENET_F_LATE = 1u << 3,
};

struct tenet_field {
	const char *name;               /* JSON member; NULL ends a table */
	enum tenet_ftype type;
	size_t off, size;               /* in the kind's struct */
	unsigned int flags;             /* TENET_F_* */
	uint32_t min, max;              /* U32, U16; ARRAY: max elements */
	const struct tenet_enum *enumdef;       /* ENUM */
	const struct tenet_field *sub;          /* OBJECT, ARRAY's elements */
	size_t when_off, when_size;     /* OMIT, PRESENCE; ARRAY: its count */
};

#define TENET_FIELD(st, member, jname, ftype, ...)                                 \
	{ .name = (jname), .type = (ftype), .off = offsetof(st, member),           \
	  .size = sizeof(((st *)0)->member), __VA_ARGS__ }
/* An array member and its uint16_t count member. */
#define TENET_ARRAY(st, member, count, jname, subfields, ...)                     \
	{ .name = (jname), .type = TENET_FT_ARRAY, .off = offsetof(st, member),    \
	  .size = sizeof(((st *)0)->member),                                        \
	  .max = sizeof(((st *)0)->member) / sizeof(((st *)0)->member[0]),          \
	  .sub = (subfields), .when_off = offsetof(st, count),                     \
	  .when_size = sizeof(((st *)0)->count), __VA_ARGS__ }
#define TENET_WHEN(st, member)                                                     \
	.when_off = offsetof(st, member), .when_size = sizeof(((st *)0)->member)

/* ---- store keys ----
 * /tenet/v1/global/<kind>/<parts>  or  /tenet/v1/host/<host>/<kind>/<parts>:
 * the parts are path components, or joined by '_' into one. */

#define TENET_KEY_ROOT "/tenet/v1/"
#define TENET_KEY_GLOBAL TENET_KEY_ROOT "global/"
#define TENET_KEY_HOST TENET_KEY_ROOT "host/"
/* Guard keys of validated writes (lib/policy/engine.c, docs/store.md
 * "Concurrency"): not records, watchers ignore them. The global one is
 * moved by writes that change the set of routing domains or of virtual
 * subnets; the others by writes inside one routing domain or host. */
#define TENET_KEY_META TENET_KEY_ROOT "meta/"
#define TENET_KEY_SERIAL TENET_KEY_META "serial"
#define TENET_KEY_GUARD_RDOMAIN TENET_KEY_META "rdomain/"
#define TENET_KEY_GUARD_HOST TENET_KEY_META "host/"
#define TENET_KEY_GUARD_PA TENET_KEY_META "pa"
/* An operator's confirmation of deletions the agents refused (`tenet
 * store accept-deletions`; docs/agent.md, "Failure behaviour"). */
#define TENET_KEY_ACCEPT_DELETIONS TENET_KEY_META "accept-deletions"
#define TENET_KEY_MAX 256

enum tenet_kpart_type {
	TENET_KP_END = 0,
	TENET_KP_LIT,           /* a fixed word */
	TENET_KP_NAME,
	TENET_KP_IFNAME,
	TENET_KP_VSID,          /* uint32_t, 8 digits: keys sort numerically */
	TENET_KP_IPV4,
	TENET_KP_ADDR,          /* struct tenet_prefix by its address; parses as /32 */
	TENET_KP_PREFIX,        /* struct tenet_prefix as a.b.c.d_len */
	TENET_KP_MAC,
	TENET_KP_ENUM,          /* uint8_t or int, by enumdef's names */
	TENET_KP_PORT,          /* uint16_t 1..65535 */
	TENET_KP_ID,            /* uint32_t 1..99999999, 8 digits (filter ids) */
};

struct tenet_kpart {
	enum tenet_kpart_type type;
	size_t off, size;
	char sep;               /* before this part: '/' (or 0), or '_' */
	const char *lit;        /* LIT */
	const struct tenet_enum *enumdef;       /* ENUM */
};

#define TENET_KEY_PARTS 4

/* One shape of a kind's key. A kind with several (lookup: by CA, or by
 * MAC for l2only records) builds with the first that applies and parses
 * with the first that matches. */
struct tenet_klayout {
	struct tenet_kpart parts[TENET_KEY_PARTS + 1]; /* ends with TENET_KP_END */
	bool (*applies)(const void *obj);       /* NULL: always */
	void (*implies)(void *obj);             /* after parsing: fields the shape implies */
};

#define TENET_KPART(st, member, kptype, ...)                                       \
	{ .type = (kptype), .off = offsetof(st, member),                           \
	  .size = sizeof(((st *)0)->member), __VA_ARGS__ }
#define TENET_KLIT(word) { .type = TENET_KP_LIT, .lit = (word) }

/* ---- listing order: the first key that differs decides ---- */

struct tenet_sortkey {
	enum tenet_ftype type;  /* NAME, IFNAME, U32, U16, IPV4 (numeric), PREFIX,
				 * MAC, ENUM, BOOL; NONE ends the list */
	size_t off, size;
	bool desc;              /* true first, larger first */
};

#define TENET_SORT(st, member, ftype, ...)                                         \
	{ .type = (ftype), .off = offsetof(st, member),                            \
	  .size = sizeof(((st *)0)->member), __VA_ARGS__ }

/* ---- the row ---- */

struct tenet_record;
struct pctx;

enum tenet_scope {
	TENET_SCOPE_GLOBAL = 1, /* under /tenet/v1/global/, read by every host */
	TENET_SCOPE_HOST,       /* under /tenet/v1/host/<host>/, read by that host */
};

struct tenet_kind_desc {
	enum tenet_kind kind;
	const char *name;               /* key component; the CLI's and docs' name */
	enum tenet_scope scope;
	size_t size;                    /* sizeof(struct tenet_<name>) */
	size_t host_off;                /* SCOPE_HOST: the host name field */
	const struct tenet_klayout *keys;
	size_t nkeys;
	const struct tenet_field *fields;       /* encode order; ends with name NULL */
	/* Decode order of the fields that are not LATE, as indexes into
	 * fields ending with -1; NULL: table order. Decoding stops at the
	 * first error, so the order decides which one a bad value reports. */
	const int *decode_order;
	/* Checks across fields of a decoded value (after the fields that are
	 * not LATE); one line in err. */
	int (*check)(const void *obj, struct tenet_err *err);
	/* A decoder for plain values that must give exactly what the field
	 * table gives, or decline (false): lookup's allocation-free path. */
	bool (*decode_fast)(const char *value, const struct tenet_record *id,
			    struct tenet_record *out);
	const struct tenet_sortkey *sort;       /* ends with type NONE */

	/* Validated writes (lib/policy/engine.h). prepare runs once before
	 * the optimistic retry loop (what must not be redone by a retry,
	 * e.g. generating a GUID); guards names the guard keys the write
	 * compares and bumps (docs/store.md, "Concurrency"), before any
	 * check reads the store; put and del check against the store and
	 * add the writes to c->txn. */
	int (*prepare)(struct tenet_record *rec, unsigned int flags, struct tenet_err *err);
	int (*guards)(struct pctx *c, const struct tenet_record *rec, bool del);
	int (*put)(struct pctx *c, struct tenet_record *rec);
	int (*del)(struct pctx *c, struct tenet_record *id);
};

#define TENET_KIND_DECL_(E, m) extern const struct tenet_kind_desc tenet_kind_##m;
TENET_KINDS(TENET_KIND_DECL_)
#undef TENET_KIND_DECL_

/* The row of a kind; NULL for NONE, MAX and anything else. */
const struct tenet_kind_desc *tenet_kind_get(enum tenet_kind kind);
/* The row named name (len bytes) in scope; NULL if none. */
const struct tenet_kind_desc *tenet_kind_find(enum tenet_scope scope, const char *name,
					      size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The policy records kept in the control store: C structs, their store
 * keys and their JSON codecs. The CLI writes them, the agent reads them;
 * both go through these functions so the two never disagree on a field.
 * Every kind is one row of the registry (kinds/registry.h); the functions
 * here look the row up and let the codecs (kinds/codec.c) read it. The
 * key layout and the JSON field names are documented in docs/store.md
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
/* enum tenet_kind, the structs of every kind, TENET_KEY_* */
#include "kinds/registry.h"

/* One record of any kind: the union has a member per row of the
 * registry, named as the kind (rec->lookup, rec->compartment, ...). */
struct tenet_record {
	enum tenet_kind kind;
	union {
#define TENET_RECORD_MEMBER_(E, m) struct tenet_##m m;
		TENET_KINDS(TENET_RECORD_MEMBER_)
#undef TENET_RECORD_MEMBER_
	};
};

/* "rdomain", "vsubnet", ... ; NULL for an unknown kind. */
const char *tenet_kind_name(enum tenet_kind kind);

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
 * zero. -ENOENT for keys outside the record layout (e.g. the guard keys
 * under TENET_KEY_META), -EINVAL for a malformed key inside it. */
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

/* Same record identity (the fields that make up its key). */
bool tenet_record_same_key(const struct tenet_record *a, const struct tenet_record *b);
/* Listing order of two records of one kind (tenet_policy_list's). */
int tenet_record_cmp(const struct tenet_record *a, const struct tenet_record *b);
/* A name field of a record by its JSON name ("rdomain", "host", ...);
 * NULL when the kind has no such name field. */
const char *tenet_record_name_field(const struct tenet_record *rec, const char *field);

#endif

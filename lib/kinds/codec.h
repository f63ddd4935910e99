/* SPDX-License-Identifier: GPL-2.0 */
/* The one set of JSON and key helpers, driven by the registry's rows
 * (registry.h): every kind's codec is its field table read by these.
 * obj is the kind's struct (a struct tenet_record's union member). */
#ifndef TENET_KINDS_CODEC_H
#define TENET_KINDS_CODEC_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "util/errmsg.h"
#include "kinds/registry.h"

/* Never fails except on memory (NULL). */
json_t *tenet_codec_to_json(const struct tenet_kind_desc *d, const void *obj);
/* Zeroes obj, then decodes the fields in the row's order, runs its
 * check, decodes the LATE fields. Unknown members are ignored. */
int tenet_codec_from_json(const struct tenet_kind_desc *d, const json_t *j, void *obj,
			  struct tenet_err *err);

/* The key of obj (nparts < 0), or the prefix of the keys that share its
 * first nparts parts, ending with '/'. 0 or -ENAMETOOLONG. */
int tenet_codec_key(const struct tenet_kind_desc *d, const void *obj, int nparts, char *buf,
		    size_t len);
/* Parses the key parts after "<kind>/" into obj (zeroed but for the host
 * field); 0, or -1 when no layout of the row matches. */
int tenet_codec_parse_key(const struct tenet_kind_desc *d, const char *parts, void *obj);

/* The listing order of two objects of the row's kind. */
int tenet_codec_cmp(const struct tenet_kind_desc *d, const void *a, const void *b);

/* Enum names; "unknown" for a value without one. Inline: the lookup
 * row's fast decoder parses two per record. */
static inline int tenet_enum_value(const struct tenet_enum *e, size_t i)
{
	return e->values ? e->values[i] : (int)i;
}

static inline const char *tenet_enum_name(const struct tenet_enum *e, int v)
{
	for (size_t i = 0; i < e->n; i++)
		if (tenet_enum_value(e, i) == v)
			return e->names[i];
	return "unknown";
}

static inline int tenet_enum_parse(const struct tenet_enum *e, const char *s, int *v,
				   struct tenet_err *err)
{
	for (size_t i = 0; s && i < e->n; i++) {
		if (!strcmp(s, e->names[i])) {
			*v = tenet_enum_value(e, i);
			return 0;
		}
	}
	return tenet_err_set(err, -EINVAL, "%s", e->invalid);
}

#endif

// SPDX-License-Identifier: GPL-2.0
/* Field-table JSON codecs, store keys and listing order for every kind
 * (codec.h). A field's type says how it is read, written and checked;
 * the messages are the ones the CLI and the store's users have always
 * seen: "<field>: missing", "<field>: not a string", "<field>: <why>". */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/codec.h"

#define AT(obj, off) ((char *)(obj) + (off))
#define CAT(obj, off) ((const char *)(obj) + (off))

static uint32_t get_u32(const void *obj, size_t off)
{
	uint32_t v;

	memcpy(&v, CAT(obj, off), sizeof(v));
	return v;
}

static uint16_t get_u16(const void *obj, size_t off)
{
	uint16_t v;

	memcpy(&v, CAT(obj, off), sizeof(v));
	return v;
}

/* An enum stored as int (C enums) or uint8_t (protocol numbers). */
static int get_enum(const void *obj, size_t off, size_t size)
{
	int v;

	if (size == 1)
		return *(const uint8_t *)CAT(obj, off);
	memcpy(&v, CAT(obj, off), sizeof(v));
	return v;
}

static void set_enum(void *obj, size_t off, size_t size, int v)
{
	if (size == 1)
		*(uint8_t *)AT(obj, off) = (uint8_t)v;
	else
		memcpy(AT(obj, off), &v, sizeof(v));
}

static bool nonzero(const void *obj, size_t off, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (CAT(obj, off)[i])
			return true;
	return false;
}

/* ---- JSON encoding ---- */

static bool encoded(const struct tenet_field *f, const void *obj)
{
	if (f->flags & TENET_F_PRESENCE)
		return *(const bool *)CAT(obj, f->when_off);
	if (f->flags & TENET_F_OMIT)
		return nonzero(obj, f->when_off, f->when_size);
	return true;
}

static json_t *fields_to_json(const struct tenet_field *fields, const void *obj);

static size_t array_count(const struct tenet_field *f, const void *obj)
{
	size_t n = get_u16(obj, f->when_off);

	return n < f->max ? n : f->max;
}

static json_t *array_to_json(const struct tenet_field *f, const void *obj)
{
	size_t esize = f->size / f->max, n = array_count(f, obj);
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		if (json_array_append_new(a, fields_to_json(f->sub, CAT(obj, f->off + i * esize)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *field_to_json(const struct tenet_field *f, const void *obj)
{
	char buf[TENET_GUID_STRLEN];
	const void *p = CAT(obj, f->off);

	switch (f->type) {
	case TENET_FT_NAME:
	case TENET_FT_IFNAME:
		return json_string(p);
	case TENET_FT_U32:
		return json_integer(get_u32(obj, f->off));
	case TENET_FT_U16:
		return json_integer(get_u16(obj, f->off));
	case TENET_FT_IPV4:
		return json_string(tenet_fmt_ipv4(get_u32(obj, f->off), buf));
	case TENET_FT_PREFIX:
	case TENET_FT_ADDR_LEN:
		return json_string(tenet_fmt_prefix(p, buf));
	case TENET_FT_MAC:
		return json_string(tenet_fmt_mac(p, buf));
	case TENET_FT_GUID:
		return json_string(tenet_fmt_guid(p, buf));
	case TENET_FT_ENUM:
		return json_string(tenet_enum_name(f->enumdef, get_enum(obj, f->off, f->size)));
	case TENET_FT_OBJECT:
		return fields_to_json(f->sub, obj);
	case TENET_FT_TEXT:
		return json_string(p);
	case TENET_FT_ARRAY:
		return array_to_json(f, obj);
	default:
		return NULL;
	}
}

static json_t *fields_to_json(const struct tenet_field *fields, const void *obj)
{
	json_t *o = json_object();
	int failures = 0;

	if (!o)
		return NULL;
	/* json_object_set_new steals the value even on failure; a NULL
	 * value makes the set fail, so one count covers both. */
	for (const struct tenet_field *f = fields; f->name; f++)
		if (encoded(f, obj))
			failures += json_object_set_new(o, f->name, field_to_json(f, obj)) != 0;
	if (failures) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *tenet_codec_to_json(const struct tenet_kind_desc *d, const void *obj)
{
	return fields_to_json(d->fields, obj);
}

/* ---- JSON decoding ---- */

static int check_text(const char *s, size_t size, struct tenet_err *err)
{
	size_t n = strlen(s);

	if (n >= size)
		return tenet_err_set(err, -EINVAL, "longer than %zu bytes", size - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return tenet_err_set(err, -EINVAL, "contains a control character");
	return 0;
}

static int field_from_json(const struct tenet_field *f, const json_t *j, void *obj,
			   struct tenet_err *err);

static int array_from_json(const struct tenet_field *f, const json_t *v, void *obj,
			   struct tenet_err *err)
{
	size_t esize = f->size / f->max, n = json_array_size(v);
	uint16_t count;
	int ret;

	if (!json_is_array(v))
		return tenet_err_set(err, -EINVAL, "%s: not a JSON array", f->name);
	if (n > f->max)
		return tenet_err_set(err, -E2BIG, "%s: more than %u", f->name, f->max);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		void *elem = AT(obj, f->off + i * esize);

		if (!json_is_object(e))
			return tenet_err_set(err, -EINVAL, "%s[%zu]: not a JSON object", f->name, i);
		for (const struct tenet_field *s = f->sub; s->name; s++) {
			ret = field_from_json(s, e, elem, err);
			if (ret < 0)
				return tenet_err_prefix(err, ret, "%s[%zu]", f->name, i);
		}
	}
	count = (uint16_t)n;
	memcpy(AT(obj, f->when_off), &count, sizeof(count));
	return 0;
}

static int parse_string(const struct tenet_field *f, const char *s, void *obj,
			struct tenet_err *err)
{
	void *p = AT(obj, f->off);
	int ret, v = 0;

	switch (f->type) {
	case TENET_FT_NAME:
		ret = tenet_check_name(s, err);
		break;
	case TENET_FT_IFNAME:
		ret = tenet_check_ifname(s, err);
		break;
	case TENET_FT_IPV4:
		return tenet_parse_ipv4(s, p, err);
	case TENET_FT_PREFIX:
		return tenet_parse_prefix(s, p, err);
	case TENET_FT_ADDR_LEN:
		return tenet_parse_addr_len(s, p, err);
	case TENET_FT_MAC:
		return tenet_parse_mac(s, p, err);
	case TENET_FT_GUID:
		return tenet_parse_guid(s, p, err);
	case TENET_FT_TEXT:
		ret = check_text(s, f->size, err);
		break;
	case TENET_FT_ENUM:
		ret = tenet_enum_parse(f->enumdef, s, &v, err);
		if (ret == 0)
			set_enum(obj, f->off, f->size, v);
		return ret;
	default:
		return tenet_err_set(err, -EINVAL, "not a field type the codec knows");
	}
	if (ret == 0)
		strcpy(p, s);   /* the checks bound the length to the field */
	return ret;
}

static int field_from_json(const struct tenet_field *f, const json_t *j, void *obj,
			   struct tenet_err *err)
{
	const json_t *v = json_object_get(j, f->name);
	json_int_t i;
	int ret;

	if (!v) {
		if (f->flags & (TENET_F_OPTIONAL | TENET_F_PRESENCE))
			return 0;
		return tenet_err_set(err, -EINVAL, "%s: missing", f->name);
	}
	if (f->flags & TENET_F_PRESENCE)
		*(bool *)AT(obj, f->when_off) = true;
	switch (f->type) {
	case TENET_FT_U32:
	case TENET_FT_U16:
		if (!json_is_integer(v))
			return tenet_err_set(err, -EINVAL, "%s: not an integer", f->name);
		i = json_integer_value(v);
		if (i < (json_int_t)f->min || i > (json_int_t)f->max)
			return tenet_err_set(err, -ERANGE, "%s: outside %u..%u", f->name, f->min,
					     f->max);
		if (f->type == TENET_FT_U32) {
			uint32_t u = (uint32_t)i;

			memcpy(AT(obj, f->off), &u, sizeof(u));
		} else {
			uint16_t u = (uint16_t)i;

			memcpy(AT(obj, f->off), &u, sizeof(u));
		}
		return 0;
	case TENET_FT_OBJECT:
		if (!json_is_object(v))
			return tenet_err_set(err, -EINVAL, "%s: not a JSON object", f->name);
		for (const struct tenet_field *s = f->sub; s->name; s++) {
			ret = field_from_json(s, v, obj, err);
			if (ret < 0)
				return tenet_err_prefix(err, ret, "%s", f->name);
		}
		return 0;
	case TENET_FT_ARRAY:
		return array_from_json(f, v, obj, err);
	default:
		if (!json_is_string(v))
			return tenet_err_set(err, -EINVAL, "%s: not a string", f->name);
		ret = parse_string(f, json_string_value(v), obj, err);
		return ret < 0 ? tenet_err_prefix(err, ret, "%s", f->name) : 0;
	}
}

int tenet_codec_from_json(const struct tenet_kind_desc *d, const json_t *j, void *obj,
			  struct tenet_err *err)
{
	const struct tenet_field *f;
	int ret;

	memset(obj, 0, d->size);
	if (!json_is_object(j))
		return tenet_err_set(err, -EINVAL, "value is not a JSON object");
	if (d->decode_order) {
		for (const int *i = d->decode_order; *i >= 0; i++) {
			ret = field_from_json(&d->fields[*i], j, obj, err);
			if (ret < 0)
				return ret;
		}
	} else {
		for (f = d->fields; f->name; f++) {
			if (f->flags & TENET_F_LATE)
				continue;
			ret = field_from_json(f, j, obj, err);
			if (ret < 0)
				return ret;
		}
	}
	/* The check sees whether a LATE field is there, not its value. */
	for (f = d->fields; f->name; f++)
		if ((f->flags & TENET_F_LATE) && (f->flags & TENET_F_PRESENCE))
			*(bool *)AT(obj, f->when_off) = json_object_get(j, f->name) != NULL;
	if (d->check) {
		ret = d->check(obj, err);
		if (ret < 0)
			return ret;
	}
	for (f = d->fields; f->name; f++) {
		if (!(f->flags & TENET_F_LATE))
			continue;
		ret = field_from_json(f, j, obj, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- keys ---- */

/* One key part as text (at most TENET_KEY_MAX - 1 bytes). */
static void part_to_text(const struct tenet_kpart *k, const void *obj, char *buf, size_t len)
{
	const void *p = CAT(obj, k->off);

	switch (k->type) {
	case TENET_KP_LIT:
		snprintf(buf, len, "%s", k->lit);
		break;
	case TENET_KP_NAME:
	case TENET_KP_IFNAME:
		snprintf(buf, len, "%s", (const char *)p);
		break;
	case TENET_KP_VSID:
	case TENET_KP_ID:
		snprintf(buf, len, "%08u", get_u32(obj, k->off));
		break;
	case TENET_KP_IPV4:
		tenet_fmt_ipv4(get_u32(obj, k->off), buf);
		break;
	case TENET_KP_ADDR:
		tenet_fmt_ipv4(((const struct tenet_prefix *)p)->addr, buf);
		break;
	case TENET_KP_PREFIX:
		/* a.b.c.d_len: one path component */
		tenet_fmt_prefix(p, buf);
		*strchr(buf, '/') = '_';
		break;
	case TENET_KP_MAC:
		tenet_fmt_mac(p, buf);
		break;
	case TENET_KP_ENUM:
		snprintf(buf, len, "%s", tenet_enum_name(k->enumdef, get_enum(obj, k->off, k->size)));
		break;
	case TENET_KP_PORT:
		snprintf(buf, len, "%u", get_u16(obj, k->off));
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

static char part_sep(const struct tenet_kpart *k)
{
	return k->sep ? k->sep : '/';
}

static const struct tenet_klayout *layout_of(const struct tenet_kind_desc *d, const void *obj)
{
	for (size_t i = 0; i < d->nkeys; i++)
		if (!d->keys[i].applies || d->keys[i].applies(obj))
			return &d->keys[i];
	return &d->keys[d->nkeys - 1];
}

int tenet_codec_key(const struct tenet_kind_desc *d, const void *obj, int nparts, char *buf,
		    size_t len)
{
	const struct tenet_klayout *l = layout_of(d, obj);
	char part[TENET_KEY_MAX];
	size_t n;
	int w;

	if (d->scope == TENET_SCOPE_HOST)
		w = snprintf(buf, len, TENET_KEY_HOST "%s/%s", CAT(obj, d->host_off), d->name);
	else
		w = snprintf(buf, len, TENET_KEY_GLOBAL "%s", d->name);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	n = (size_t)w;
	for (int i = 0; l->parts[i].type != TENET_KP_END && (nparts < 0 || i < nparts); i++) {
		size_t plen;

		part_to_text(&l->parts[i], obj, part, sizeof(part));
		plen = strlen(part);
		if (n + 1 + plen >= len)
			return -ENAMETOOLONG;
		buf[n++] = part_sep(&l->parts[i]);
		memcpy(buf + n, part, plen + 1);
		n += plen;
	}
	if (nparts >= 0) {
		if (n + 1 >= len)
			return -ENAMETOOLONG;
		buf[n++] = '/';
		buf[n] = '\0';
	}
	return 0;
}

static int vsid_from_text(const char *s, uint32_t *vsid, uint32_t min, uint32_t max)
{
	uint32_t v = 0;

	if (strlen(s) != 8)
		return -1;
	for (int i = 0; i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*vsid = v;
	return 0;
}

static int part_from_text(const struct tenet_kpart *k, char *s, void *obj)
{
	void *p = AT(obj, k->off);
	uint32_t v;
	int e = 0;

	switch (k->type) {
	case TENET_KP_LIT:
		return strcmp(s, k->lit) ? -1 : 0;
	case TENET_KP_NAME:
		if (tenet_check_name(s, NULL) < 0)
			return -1;
		strcpy(p, s);
		return 0;
	case TENET_KP_IFNAME:
		if (tenet_check_ifname(s, NULL) < 0)
			return -1;
		strcpy(p, s);
		return 0;
	case TENET_KP_VSID:
		if (vsid_from_text(s, &v, TENET_VSID_MIN, TENET_VSID_MAX) < 0)
			return -1;
		memcpy(p, &v, sizeof(v));
		return 0;
	case TENET_KP_ID:
		if (vsid_from_text(s, &v, 1, 99999999u) < 0)
			return -1;
		memcpy(p, &v, sizeof(v));
		return 0;
	case TENET_KP_IPV4:
		return tenet_parse_ipv4(s, p, NULL) < 0 ? -1 : 0;
	case TENET_KP_ADDR:
		((struct tenet_prefix *)p)->len = 32;
		return tenet_parse_ipv4(s, &((struct tenet_prefix *)p)->addr, NULL) < 0 ? -1 : 0;
	case TENET_KP_PREFIX:
		if (!strchr(s, '_'))
			return -1;
		*strchr(s, '_') = '/';
		return tenet_parse_prefix(s, p, NULL) < 0 ? -1 : 0;
	case TENET_KP_MAC:
		return tenet_parse_mac(s, p, NULL) < 0 ? -1 : 0;
	case TENET_KP_ENUM:
		if (tenet_enum_parse(k->enumdef, s, &e, NULL) < 0)
			return -1;
		set_enum(obj, k->off, k->size, e);
		return 0;
	case TENET_KP_PORT:
		if (tenet_parse_u32(s, 1, 65535, &v, NULL) < 0)
			return -1;
		*(uint16_t *)p = (uint16_t)v;
		return 0;
	default:
		return -1;
	}
}

/* s: the parts' text, a copy the parts are cut from in place. */
static int layout_from_text(const struct tenet_klayout *l, char *s, void *obj)
{
	for (int i = 0; l->parts[i].type != TENET_KP_END; i++) {
		bool last = l->parts[i + 1].type == TENET_KP_END;
		char sep = last ? '\0' : part_sep(&l->parts[i + 1]);
		/* Every part is inside one path component. */
		char *slash = strchr(s, '/'), *end;

		if (sep == '/')
			end = slash;
		else if (sep)
			end = (end = strchr(s, sep)) && (!slash || end < slash) ? end : NULL;
		else
			end = slash ? NULL : s + strlen(s);
		if (!end)
			return -1;
		*end = '\0';
		if (part_from_text(&l->parts[i], s, obj) < 0)
			return -1;
		s = last ? end : end + 1;
	}
	if (l->implies)
		l->implies(obj);
	return 0;
}

int tenet_codec_parse_key(const struct tenet_kind_desc *d, const char *parts, void *obj)
{
	char host[TENET_NAME_MAX + 1], buf[TENET_KEY_MAX];
	size_t len = strlen(parts);

	if (len >= sizeof(buf))
		return -1;
	for (size_t i = 0; i < d->nkeys; i++) {
		memcpy(buf, parts, len + 1);
		if (layout_from_text(&d->keys[i], buf, obj) == 0)
			return 0;
		/* What a shape that did not match left behind goes; the host
		 * (not a part of the shape) stays. */
		if (d->scope == TENET_SCOPE_HOST)
			memcpy(host, CAT(obj, d->host_off), sizeof(host));
		memset(obj, 0, d->size);
		if (d->scope == TENET_SCOPE_HOST)
			memcpy(AT(obj, d->host_off), host, sizeof(host));
	}
	return -1;
}

/* ---- listing order ---- */

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int sortkey_cmp(const struct tenet_sortkey *k, const void *a, const void *b)
{
	const void *pa = CAT(a, k->off), *pb = CAT(b, k->off);
	const struct tenet_prefix *xa = pa, *xb = pb;
	int r;

	switch (k->type) {
	case TENET_FT_NAME:
	case TENET_FT_IFNAME:
	case TENET_FT_TEXT:
		return strcmp(pa, pb);
	case TENET_FT_U32:
		return cmp_u32(get_u32(a, k->off), get_u32(b, k->off));
	case TENET_FT_U16:
		return cmp_u32(get_u16(a, k->off), get_u16(b, k->off));
	case TENET_FT_ENUM:
		return cmp_u32((uint32_t)get_enum(a, k->off, k->size),
			       (uint32_t)get_enum(b, k->off, k->size));
	case TENET_FT_IPV4:
		return cmp_u32(ntohl(get_u32(a, k->off)), ntohl(get_u32(b, k->off)));
	case TENET_FT_PREFIX:
	case TENET_FT_ADDR_LEN:
		r = cmp_u32(ntohl(xa->addr), ntohl(xb->addr));
		return r ? r : cmp_u32(xa->len, xb->len);
	case TENET_FT_MAC:
		return memcmp(pa, pb, TENET_MAC_LEN);
	case TENET_FT_BOOL:
		return cmp_u32(*(const bool *)pa, *(const bool *)pb);
	default:
		return 0;
	}
}

int tenet_codec_cmp(const struct tenet_kind_desc *d, const void *a, const void *b)
{
	for (const struct tenet_sortkey *k = d->sort; k && k->type != TENET_FT_NONE; k++) {
		int r = sortkey_cmp(k, a, b);

		if (r)
			return k->desc ? -r : r;
	}
	return 0;
}

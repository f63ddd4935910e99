// SPDX-License-Identifier: GPL-2.0
/* Policy records: keys and JSON codecs of every kind, by its row of the
 * registry. See docs/store.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kinds/codec.h"
#include "kinds/record.h"

/* Every union member starts here. */
static void *body(struct tenet_record *rec)
{
	return (char *)rec + offsetof(struct tenet_record, rdomain);
}

static const void *cbody(const struct tenet_record *rec)
{
	return (const char *)rec + offsetof(struct tenet_record, rdomain);
}

const char *tenet_kind_name(enum tenet_kind kind)
{
	const struct tenet_kind_desc *d = tenet_kind_get(kind);

	return d ? d->name : NULL;
}

/* ---- keys ---- */

int tenet_record_key(const struct tenet_record *rec, char *buf, size_t len)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);

	return d ? tenet_codec_key(d, cbody(rec), -1, buf, len) : -EINVAL;
}

int tenet_kind_prefix(enum tenet_kind kind, const char *host, char *buf, size_t len)
{
	const struct tenet_kind_desc *d = tenet_kind_get(kind);
	int n;

	if (!d)
		return -EINVAL;
	if (d->scope == TENET_SCOPE_GLOBAL)
		n = snprintf(buf, len, TENET_KEY_GLOBAL "%s/", d->name);
	else if (!host)
		n = snprintf(buf, len, TENET_KEY_HOST);
	else
		n = snprintf(buf, len, TENET_KEY_HOST "%s/%s/", host, d->name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tenet_lookup_vsid_prefix(uint32_t vsid, char *buf, size_t len)
{
	struct tenet_record r = { .kind = TENET_KIND_LOOKUP, .lookup.vsid = vsid };

	/* the lookup key's first part is the VSID */
	return tenet_codec_key(tenet_kind_get(r.kind), cbody(&r), 1, buf, len);
}

/* The next path component of *s (up to '/', which must follow); its
 * length, or 0 when there is none. */
static size_t component(const char **s)
{
	const char *slash = strchr(*s, '/');
	size_t n;

	if (!slash || slash == *s)
		return 0;
	n = (size_t)(slash - *s);
	*s = slash + 1;
	return n;
}

int tenet_record_from_key(const char *key, struct tenet_record *rec, struct tenet_err *err)
{
	const struct tenet_kind_desc *d;
	const char *s, *name, *host = NULL;
	enum tenet_scope scope;
	size_t n, hlen = 0;

	memset(rec, 0, sizeof(*rec));
	if (!strncmp(key, TENET_KEY_GLOBAL, strlen(TENET_KEY_GLOBAL))) {
		scope = TENET_SCOPE_GLOBAL;
		s = key + strlen(TENET_KEY_GLOBAL);
	} else if (!strncmp(key, TENET_KEY_HOST, strlen(TENET_KEY_HOST))) {
		scope = TENET_SCOPE_HOST;
		s = key + strlen(TENET_KEY_HOST);
	} else {
		return tenet_err_set(err, -ENOENT, "%s: not a policy record key", key);
	}
	if (scope == TENET_SCOPE_HOST) {
		host = s;
		hlen = component(&s);
		if (!hlen || hlen > TENET_NAME_MAX)
			goto bad;
	}
	name = s;
	n = component(&s);
	d = n ? tenet_kind_find(scope, name, n) : NULL;
	if (!d)
		goto bad;
	if (host) {
		char *h = (char *)body(rec) + d->host_off;

		memcpy(h, host, hlen);
		h[hlen] = '\0';
		if (tenet_check_name(h, NULL) < 0)
			goto bad;
	}
	if (tenet_codec_parse_key(d, s, body(rec)) < 0)
		goto bad;
	rec->kind = d->kind;
	return 0;
bad:
	memset(rec, 0, sizeof(*rec));
	return tenet_err_set(err, -EINVAL, "%s: malformed record key", key);
}

bool tenet_record_same_key(const struct tenet_record *a, const struct tenet_record *b)
{
	char ka[TENET_KEY_MAX], kb[TENET_KEY_MAX];

	if (a->kind != b->kind)
		return false;
	if (tenet_record_key(a, ka, sizeof(ka)) < 0 || tenet_record_key(b, kb, sizeof(kb)) < 0)
		return false;
	return !strcmp(ka, kb);
}

int tenet_record_cmp(const struct tenet_record *a, const struct tenet_record *b)
{
	const struct tenet_kind_desc *d = tenet_kind_get(a->kind);

	if (a->kind != b->kind || !d)
		return a->kind < b->kind ? -1 : a->kind > b->kind;
	return tenet_codec_cmp(d, cbody(a), cbody(b));
}

const char *tenet_record_name_field(const struct tenet_record *rec, const char *field)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);

	for (const struct tenet_field *f = d ? d->fields : NULL; f && f->name; f++)
		if (f->type == TENET_FT_NAME && !strcmp(f->name, field))
			return (const char *)cbody(rec) + f->off;
	return NULL;
}

/* ---- JSON ---- */

json_t *tenet_record_to_json(const struct tenet_record *rec)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);

	return d ? tenet_codec_to_json(d, cbody(rec)) : NULL;
}

int tenet_record_from_json(enum tenet_kind kind, const json_t *j, struct tenet_record *rec,
			   struct tenet_err *err)
{
	const struct tenet_kind_desc *d = tenet_kind_get(kind);
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (!d)
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)kind);
	ret = tenet_codec_from_json(d, j, body(rec), err);
	if (ret == 0)
		rec->kind = kind;
	return ret;
}

int tenet_record_decode(const char *key, const char *value, struct tenet_record *rec,
			struct tenet_err *err)
{
	struct tenet_record id;
	int ret;

	ret = tenet_record_from_key(key, &id, err);
	if (ret < 0)
		return ret;
	return tenet_record_decode_id(key, &id, value, rec, err);
}

int tenet_record_decode_id(const char *key, const struct tenet_record *id, const char *value,
			   struct tenet_record *rec, struct tenet_err *err)
{
	const struct tenet_kind_desc *d = tenet_kind_get(id->kind);
	json_error_t jerr;
	json_t *j = NULL;
	int ret = 0;

	/* A row's fast decoder accepts only what the table would, alike. */
	if (d && d->decode_fast && d->decode_fast(value, id, rec))
		return 0;
	j = json_loads(value, JSON_DECODE_ANY, &jerr);
	if (!j) {
		ret = tenet_err_set(err, -EBADMSG, "%s: value is not JSON: %s", key, jerr.text);
		goto out;
	}
	ret = tenet_record_from_json(id->kind, j, rec, err);
	if (ret < 0) {
		tenet_err_prefix(err, -EBADMSG, "%s", key);
		ret = -EBADMSG;
		goto out;
	}
	if (!tenet_record_same_key(rec, id))
		ret = tenet_err_set(err, -EBADMSG, "%s: value belongs under another key", key);
out:
	json_decref(j);
	return ret;
}

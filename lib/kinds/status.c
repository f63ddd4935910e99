// SPDX-License-Identifier: GPL-2.0
/* Agent status records (status.h): key, JSON codec, listing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/registry.h"
#include "kinds/status.h"

int tenet_status_key(const char *host, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, TENET_STATUS_PREFIX "%s", host) >= len)
		return -ENAMETOOLONG;
	return 0;
}

json_t *tenet_status_to_json(const struct tenet_agent_status *st)
{
	json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "host", st->host, "applied_revision",
			      (json_int_t)st->applied_revision, "heartbeat",
			      (json_int_t)st->heartbeat, "store",
			      st->store_available ? "available" : "unavailable", "last_error",
			      st->last_error);

	if (j && st->lease_ttl)
		json_object_set_new(j, "lease_ttl", json_integer(st->lease_ttl));
	return j;
}

static int bad(const struct tenet_kv *kv, struct tenet_err *err, const char *why)
{
	return tenet_err_set(err, -EBADMSG, "%s: not an agent status record (%s)", kv->key, why);
}

int tenet_status_decode(const struct tenet_kv *kv, struct tenet_agent_status *st,
			struct tenet_err *err)
{
	const char *host = kv->key + strlen(TENET_STATUS_PREFIX);
	json_t *j, *v;
	int ret = 0;

	if (strncmp(kv->key, TENET_STATUS_PREFIX, strlen(TENET_STATUS_PREFIX)))
		return tenet_err_set(err, -ENOENT, "%s: not a status key", kv->key);
	memset(st, 0, sizeof(*st));
	if (tenet_check_name(host, NULL) < 0)
		return bad(kv, err, "host name");
	j = tenet_kv_json(kv, err);
	if (!j)
		return -EBADMSG;
	snprintf(st->host, sizeof(st->host), "%s", host);
	st->mod_rev = kv->mod_rev;
	v = json_object_get(j, "host");
	if (!json_is_string(v) || strcmp(json_string_value(v), host)) {
		ret = bad(kv, err, "host differs from the key");
		goto out;
	}
	v = json_object_get(j, "applied_revision");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		ret = bad(kv, err, "applied_revision");
		goto out;
	}
	st->applied_revision = json_integer_value(v);
	v = json_object_get(j, "heartbeat");
	if (!json_is_integer(v)) {
		ret = bad(kv, err, "heartbeat");
		goto out;
	}
	st->heartbeat = json_integer_value(v);
	/* The rest is informational: absent or odd values are not fatal. */
	v = json_object_get(j, "store");
	st->store_available = !json_is_string(v) || !strcmp(json_string_value(v), "available");
	v = json_object_get(j, "last_error");
	if (json_is_string(v))
		snprintf(st->last_error, sizeof(st->last_error), "%s", json_string_value(v));
	v = json_object_get(j, "lease_ttl");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		st->lease_ttl = json_integer_value(v);
out:
	json_decref(j);
	return ret;
}

struct list_ctx {
	struct tenet_agent_status *v;
	size_t n, cap, bad;
};

static int list_one(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	struct list_ctx *l = arg;
	struct tenet_agent_status st;

	if (tenet_status_decode(kv, &st, NULL) < 0) {
		l->bad++;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (!p)
			return tenet_err_set(err, -ENOMEM, "out of memory");
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = st;
	return 0;
}

static int newest_guard(void *arg, const struct tenet_kv *kv, struct tenet_err *err)
{
	int64_t *rev = arg;

	(void)err;
	/* The operator's confirmation is no policy write. */
	if (strcmp(kv->key, TENET_KEY_ACCEPT_DELETIONS) && kv->mod_rev > *rev)
		*rev = kv->mod_rev;
	return 0;
}

int tenet_status_list(struct tenet_store *s, struct tenet_agent_status **out, size_t *n,
		      size_t *nbad, int64_t *rev, struct tenet_err *err)
{
	struct list_ctx l = { 0 };
	int64_t r = 0, at;
	int ret;

	/* Keys come in byte order: host order. */
	ret = tenet_store_range_each(s, TENET_STATUS_PREFIX, list_one, &l, &at, err);
	if (!ret && rev)
		ret = tenet_store_range_each(s, TENET_KEY_META, newest_guard, &r, &at, err);
	if (ret < 0) {
		free(l.v);
		return ret;
	}
	*out = l.v;
	*n = l.n;
	if (nbad)
		*nbad = l.bad;
	if (rev)
		*rev = r;
	return 0;
}

bool tenet_status_live(const struct tenet_agent_status *st, int64_t now)
{
	if (st->lease_ttl)
		return true;
	return now - st->heartbeat <= TENET_STATUS_STALE_S;
}

// SPDX-License-Identifier: GPL-2.0
/* list-sas, list-conns and get-shared summarised (sas.h). VICI values
 * are text; numbers are parsed here, and what charon leaves out is 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vici/sas.h"

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static uint64_t num(const json_t *o, const char *key, int base)
{
	return strtoull(str(o, key), NULL, base);
}

/* One connection's summary while the SAs are streamed. */
struct sa_acc {
	struct vici_sa_info *v;
	size_t n, cap;
	uint32_t except;        /* an IKE SA's unique id to leave out; 0 none */
};

static struct vici_sa_info *acc_get(struct sa_acc *a, const char *conn)
{
	struct vici_sa_info *v;

	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].conn, conn))
			return &a->v[i];
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;

		v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	v = &a->v[a->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->conn, sizeof(v->conn), "%s", conn);
	return v;
}

/* One "list-sa" event: { "<conn>": { ...IKE SA..., "child-sas": {...} } }. */
static int on_sa(void *arg, const json_t *ev)
{
	struct sa_acc *a = arg;
	const char *conn;
	const json_t *ike, *children, *ch;
	const char *ckey;

	json_object_foreach((json_t *)ev, conn, ike) {
		struct vici_sa_info cur = { 0 }, *best;
		const char *st = str(ike, "state");
		uint64_t newest = 0;
		bool newer;

		if (!json_is_object(ike))
			continue;
		if (strcmp(st, "ESTABLISHED") && strcmp(st, "CONNECTING") && strcmp(st, "CREATED") &&
		    strcmp(st, "PASSIVE") && strcmp(st, "REKEYING") && strcmp(st, "REKEYED"))
			continue;       /* DELETING, DESTROYING: going away */
		snprintf(cur.conn, sizeof(cur.conn), "%s", conn);
		cur.state = VICI_SA_CONNECTING;
		cur.ike_id = (uint32_t)num(ike, "uniqueid", 10);
		if (a->except && cur.ike_id == a->except)
			continue;
		cur.established = num(ike, "established", 10);
		snprintf(cur.local_addr, sizeof(cur.local_addr), "%s", str(ike, "local-host"));
		snprintf(cur.remote_addr, sizeof(cur.remote_addr), "%s", str(ike, "remote-host"));
		snprintf(cur.remote_id, sizeof(cur.remote_id), "%s", str(ike, "remote-id"));
		children = json_object_get(ike, "child-sas");
		json_object_foreach((json_t *)children, ckey, ch) {
			if (strcmp(str(ch, "state"), "INSTALLED") || strcmp(st, "ESTABLISHED"))
				continue;
			/* the newest child (the highest unique id) gives the SPIs */
			if (cur.state != VICI_SA_UP || num(ch, "uniqueid", 10) > newest) {
				newest = num(ch, "uniqueid", 10);
				snprintf(cur.child, sizeof(cur.child), "%s", str(ch, "name"));
				cur.spi_in = (uint32_t)num(ch, "spi-in", 16);
				cur.spi_out = (uint32_t)num(ch, "spi-out", 16);
			}
			cur.state = VICI_SA_UP;
			cur.bytes_in += num(ch, "bytes-in", 10);
			cur.bytes_out += num(ch, "bytes-out", 10);
			cur.packets_in += num(ch, "packets-in", 10);
			cur.packets_out += num(ch, "packets-out", 10);
		}
		best = acc_get(a, conn);
		if (!best)
			return -ENOMEM;
		cur.nike = best->nike + 1;
		/* an installed child wins; among equals the younger SA */
		newer = best->state == VICI_SA_NONE || cur.state > best->state ||
			(cur.state == best->state && cur.ike_id > best->ike_id);
		if (newer)
			*best = cur;
		else
			best->nike = cur.nike;
	}
	return 0;
}

int vici_sa_list(vici_call_fn call, void *c, const char *ike,
		 int (*cb)(void *arg, const struct vici_sa_info *sa), void *arg,
		 struct tenet_err *err)
{
	return vici_sa_list_except(call, c, ike, 0, cb, arg, err);
}

int vici_sa_list_except(vici_call_fn call, void *c, const char *ike, uint32_t except,
			int (*cb)(void *arg, const struct vici_sa_info *sa), void *arg,
			struct tenet_err *err)
{
	struct sa_acc a = { .except = except };
	json_t *req = NULL, *resp = NULL;
	int ret;

	if (ike) {
		req = json_pack("{s:s, s:s}", "ike", ike, "noblock", "yes");
		if (!req)
			return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	ret = call(c, "list-sas", req, "list-sa", on_sa, &a, &resp, err);
	for (size_t i = 0; ret == 0 && i < a.n; i++)
		ret = cb(arg, &a.v[i]);
	free(a.v);
	json_decref(req);
	json_decref(resp);
	return ret;
}

struct conn_ctx {
	int (*cb)(void *arg, const char *name, const char *child);
	void *arg;
	int ret;
};

static int on_conn(void *arg, const json_t *ev)
{
	struct conn_ctx *x = arg;
	const char *name, *child;
	const json_t *conn, *ch;

	json_object_foreach((json_t *)ev, name, conn) {
		const char *first = "";

		json_object_foreach(json_object_get(conn, "children"), child, ch) {
			first = child;
			break;
		}
		if (!x->ret)
			x->ret = x->cb(x->arg, name, first);
	}
	return 0;
}

int vici_conn_list(vici_call_fn call, void *c,
		   int (*cb)(void *arg, const char *name, const char *child), void *arg,
		   struct tenet_err *err)
{
	struct conn_ctx x = { .cb = cb, .arg = arg };
	json_t *resp = NULL;
	int ret;

	ret = call(c, "list-conns", NULL, "list-conn", on_conn, &x, &resp, err);
	json_decref(resp);
	return ret ? ret : x.ret;
}

int vici_shared_list(vici_call_fn call, void *c, int (*cb)(void *arg, const char *id), void *arg,
		     struct tenet_err *err)
{
	json_t *resp = NULL, *id;
	size_t i;
	int ret;

	ret = call(c, "get-shared", NULL, NULL, NULL, NULL, &resp, err);
	json_array_foreach(json_object_get(resp, "keys"), i, id) {
		if (ret)
			break;
		if (json_is_string(id))
			ret = cb(arg, json_string_value(id));
	}
	json_decref(resp);
	return ret;
}

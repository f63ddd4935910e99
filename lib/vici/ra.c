// SPDX-License-Identifier: GPL-2.0
/* list-sas per IKE SA (ra.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vici/ra.h"

struct ra_ctx {
	int (*cb)(void *arg, const struct vici_ra_user *u);
	void *arg;
	int ret;
};

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static uint64_t num(const json_t *o, const char *key)
{
	return strtoull(str(o, key), NULL, 10);
}

static int on_sa(void *arg, const json_t *ev)
{
	struct ra_ctx *x = arg;
	const char *conn, *ck;
	const json_t *ike, *ch;

	json_object_foreach((json_t *)ev, conn, ike) {
		struct vici_ra_user u = { 0 };
		const char *st = str(ike, "state");
		const json_t *vips = json_object_get(ike, "remote-vips");

		if (!json_is_object(ike) || !strcmp(st, "DELETING") || !strcmp(st, "DESTROYING"))
			continue;
		snprintf(u.conn, sizeof(u.conn), "%s", conn);
		u.ike_id = (uint32_t)num(ike, "uniqueid");
		snprintf(u.user, sizeof(u.user), "%s",
			 *str(ike, "remote-eap-id") ? str(ike, "remote-eap-id") : str(ike, "remote-id"));
		snprintf(u.addr, sizeof(u.addr), "%s", str(ike, "remote-host"));
		if (json_array_size(vips))
			snprintf(u.vip, sizeof(u.vip), "%s",
				 json_string_value(json_array_get(vips, 0)) ?: "");
		if (json_array_size(vips) > 1)
			snprintf(u.vip2, sizeof(u.vip2), "%s",
				 json_string_value(json_array_get(vips, 1)) ?: "");
		u.established = num(ike, "established");
		u.ike_up = !strcmp(st, "ESTABLISHED");
		json_object_foreach(json_object_get(ike, "child-sas"), ck, ch) {
			if (strcmp(str(ch, "state"), "INSTALLED"))
				continue;
			u.up = !strcmp(st, "ESTABLISHED");
			u.bytes_in += num(ch, "bytes-in");
			u.bytes_out += num(ch, "bytes-out");
		}
		if (!x->ret)
			x->ret = x->cb(x->arg, &u);
	}
	return 0;
}

int vici_ra_list(vici_call_fn call, void *c, const char *ike,
		 int (*cb)(void *arg, const struct vici_ra_user *u), void *arg,
		 struct tenet_err *err)
{
	struct ra_ctx x = { .cb = cb, .arg = arg };
	json_t *req = NULL, *resp = NULL;
	int ret;

	if (ike) {
		req = json_pack("{s:s, s:s}", "ike", ike, "noblock", "yes");
		if (!req)
			return tenet_err_set(err, -ENOMEM, "out of memory");
	}
	ret = call(c, "list-sas", req, "list-sa", on_sa, &x, &resp, err);
	json_decref(req);
	json_decref(resp);
	return ret < 0 ? ret : x.ret;
}

// SPDX-License-Identifier: GPL-2.0
/* The ipsec reconciler's real ops: XFRM interfaces and S2S routes over
 * rtnetlink (lib/nl), device sysctls, and charon over VICI (lib/vici): a
 * command connection and an events connection. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "gw/ipsec.h"
#include "gw/xfrmif.h"
#include "nl/link.h"
#include "nl/xfrm.h"

/* Every VICI exchange of the agent is bounded by this (charon busy or
 * hung); initiates and terminates do not wait for the exchange at all. */
#define VICI_TIMEOUT_MS 5000

struct ipsec_kernel {
	struct ipsec_ops ops;
	struct nl nl;
	char socket[256];
	struct vici_conn *cmd, *ev;
};

static int k_link_dump(void *ctx, struct ipsec_link **out, size_t *n)
{
	struct ipsec_kernel *k = ctx;
	struct nl_xfrm_link *ls;
	struct ipsec_link *o;
	size_t m;
	int ret = nl_xfrm_dump(&k->nl, &ls, &m);

	*out = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	o = calloc(m ? m : 1, sizeof(*o));
	if (!o) {
		free(ls);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m; i++) {
		snprintf(o[i].name, sizeof(o[i].name), "%s", ls[i].name);
		snprintf(o[i].alias, sizeof(o[i].alias), "%s", ls[i].alias);
		if (ls[i].master && !if_indextoname(ls[i].master, o[i].master))
			o[i].master[0] = '\0';
		o[i].if_id = ls[i].if_id;
		o[i].up = ls[i].flags & IFF_UP;
	}
	free(ls);
	*out = o;
	*n = m;
	return 0;
}

/* The kernel ignores an alias given at creation: it is set after. A
 * device of the name and if_id (an agent that stopped between the two
 * steps) is adopted. */
static int k_link_add(void *ctx, const char *name, uint32_t if_id, uint32_t mtu,
		      const char *alias)
{
	struct ipsec_kernel *k = ctx;
	int ret = nl_xfrm_add(&k->nl, name, if_id, mtu, NULL), ifindex;

	if (ret == -EEXIST) {
		struct nl_xfrm_link *ls;
		size_t n;
		bool mine = false;

		if (nl_xfrm_dump(&k->nl, &ls, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				mine |= !strcmp(ls[i].name, name) && ls[i].if_id == if_id &&
					!ls[i].alias[0];
			free(ls);
		}
		if (!mine)
			return ret;
	} else if (ret < 0) {
		return ret;
	}
	ifindex = nl_ifindex(name);
	return ifindex < 0 ? ifindex : nl_link_set_alias(&k->nl, (uint32_t)ifindex, alias);
}

static int k_link_del(void *ctx, const char *name)
{
	return nl_link_del_name(&((struct ipsec_kernel *)ctx)->nl, name);
}

static int k_link_master(void *ctx, const char *name, const char *master)
{
	return nl_link_set_master_name(&((struct ipsec_kernel *)ctx)->nl, name, master);
}

static int k_link_up(void *ctx, const char *name, bool up)
{
	struct ipsec_kernel *k = ctx;
	int ifindex = nl_ifindex(name);

	return ifindex < 0 ? ifindex : nl_link_set_state(&k->nl, (uint32_t)ifindex, up);
}

static int k_link_sysctl(void *ctx, const char *name, const char *key, int val)
{
	int ret = sysctl_dev_set("ipv4", name, key, val);

	return ret < 0 ? ret : 0;
}

static int k_route_dump(void *ctx, ipsec_route_cb cb, void *arg)
{
	return xfrmif_route_dump(&((struct ipsec_kernel *)ctx)->nl, TENET_RTPROT_S2S, cb, arg);
}

static int k_route_set(void *ctx, const struct ipsec_route_key *key,
		       const struct ipsec_route_val *v)
{
	return xfrmif_route_set(&((struct ipsec_kernel *)ctx)->nl, TENET_RTPROT_S2S, key, v);
}

static int k_route_del(void *ctx, const struct ipsec_route_key *key)
{
	return xfrmif_route_del(&((struct ipsec_kernel *)ctx)->nl, TENET_RTPROT_S2S, key);
}

/* ---- charon ---- */

static void k_vici_close(void *ctx)
{
	struct ipsec_kernel *k = ctx;

	vici_close(k->cmd);
	vici_close(k->ev);
	k->cmd = k->ev = NULL;
}

static int k_vici_open(void *ctx, struct tenet_err *err)
{
	static const char *const events[] = { "ike-updown", "child-updown", "log" };
	struct ipsec_kernel *k = ctx;
	const char *path = k->socket[0] ? k->socket : NULL;
	int ret;

	k_vici_close(k);
	ret = vici_connect(path, VICI_TIMEOUT_MS, &k->cmd, err);
	if (!ret)
		ret = vici_connect(path, VICI_TIMEOUT_MS, &k->ev, err);
	for (size_t i = 0; !ret && i < sizeof(events) / sizeof(events[0]); i++)
		ret = vici_subscribe(k->ev, events[i], err);
	if (ret < 0)
		k_vici_close(k);
	return ret;
}

static int k_vici_fd(void *ctx)
{
	struct ipsec_kernel *k = ctx;

	return k->ev ? vici_fd(k->ev) : -1;
}

static int k_vici_call(void *ctx, const char *cmd, const json_t *req, const char *stream,
		       vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err)
{
	struct ipsec_kernel *k = ctx;

	*resp = NULL;
	if (!k->cmd)
		return tenet_err_set(err, -ENOTCONN, "charon is not connected");
	return vici_call(k->cmd, cmd, req, stream, cb, arg, resp, err);
}

static int k_vici_event(void *ctx, char **name, json_t **msg, struct tenet_err *err)
{
	struct ipsec_kernel *k = ctx;
	struct pollfd p = { .events = POLLIN };

	if (!k->ev)
		return tenet_err_set(err, -ENOTCONN, "charon is not connected");
	p.fd = vici_fd(k->ev);
	if (poll(&p, 1, 0) <= 0)
		return -EAGAIN;
	return vici_next_event(k->ev, name, msg, err);
}

int ipsec_kernel_open(struct ipsec_ops **ops, const char *socket)
{
	struct ipsec_kernel *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	ret = nl_open(&k->nl);
	if (ret < 0) {
		free(k);
		return ret;
	}
	snprintf(k->socket, sizeof(k->socket), "%s", socket ? socket : "");
	k->ops = (struct ipsec_ops){
		.ctx = k,
		.link_dump = k_link_dump,
		.link_add = k_link_add,
		.link_del = k_link_del,
		.link_master = k_link_master,
		.link_up = k_link_up,
		.link_sysctl = k_link_sysctl,
		.route_dump = k_route_dump,
		.route_set = k_route_set,
		.route_del = k_route_del,
		.vici_open = k_vici_open,
		.vici_close = k_vici_close,
		.vici_fd = k_vici_fd,
		.vici_call = k_vici_call,
		.vici_event = k_vici_event,
	};
	*ops = &k->ops;
	return 0;
}

void ipsec_kernel_close(struct ipsec_ops *ops)
{
	struct ipsec_kernel *k = (struct ipsec_kernel *)ops;

	if (!k)
		return;
	k_vici_close(k);
	nl_close(&k->nl);
	free(k);
}

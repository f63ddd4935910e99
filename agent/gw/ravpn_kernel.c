// SPDX-License-Identifier: GPL-2.0
/* The ravpn reconciler's real ops: the ipsec reconciler's (XFRM links,
 * its own VICI connections), routes of protocol TENET_RTPROT_RA over
 * rtnetlink (IPv4 and IPv6; a dev "" is an unreachable route), and the
 * eap-radius settings file. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "gw/ravpn.h"
#include "gw/xfrmif.h"
#include "nl/link.h"
#include "nl/route6.h"

struct ravpn_kernel {
	struct ravpn_ops ops;
	struct ipsec_ops *k;
	struct nl nl;
	char radius_conf[PATH_MAX];
};

static int r_route_dump(void *ctx, ipsec_route_cb cb, void *arg)
{
	return xfrmif_route_dump(&((struct ravpn_kernel *)ctx)->nl, TENET_RTPROT_RA, cb, arg);
}

static int r_route_set(void *ctx, const struct ipsec_route_key *key,
		       const struct ipsec_route_val *v)
{
	return xfrmif_route_set(&((struct ravpn_kernel *)ctx)->nl, TENET_RTPROT_RA, key, v);
}

static int r_route_del(void *ctx, const struct ipsec_route_key *key)
{
	return xfrmif_route_del(&((struct ravpn_kernel *)ctx)->nl, TENET_RTPROT_RA, key);
}

static int r_route6_dump(void *ctx, ravpn_route6_cb cb, void *arg)
{
	struct ravpn_kernel *k = ctx;
	struct nl_route6 *rs = NULL;
	size_t n = 0;
	int ret = nl_route6_dump_proto(&k->nl, TENET_RTPROT_RA, &rs, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++) {
		struct ravpn_route6_key key = { .table = rs[i].table, .plen = rs[i].plen };
		struct ipsec_route_val v = { 0 };

		memcpy(key.dst, rs[i].dst, sizeof(key.dst));
		if (rs[i].oif && !if_indextoname(rs[i].oif, v.dev))
			v.dev[0] = '\0';
		ret = cb(&key, &v, arg);
	}
	free(rs);
	return ret < 0 ? ret : 0;
}

static void to_nl6(const struct ravpn_route6_key *k, struct nl_route6 *r)
{
	*r = (struct nl_route6){ .table = k->table, .plen = k->plen, .type = RTN_UNICAST,
				 .proto = TENET_RTPROT_RA };
	memcpy(r->dst, k->dst, sizeof(r->dst));
}

static int r_route6_set(void *ctx, const struct ravpn_route6_key *key,
			const struct ipsec_route_val *v)
{
	struct ravpn_kernel *k = ctx;
	int ifindex = v->dev[0] ? nl_ifindex(v->dev) : 0;
	struct nl_route6 r;

	if (ifindex < 0)
		return ifindex;
	/* A route through a device needs the device's IPv6 (else EACCES),
	 * which a host may have off for new devices
	 * (net.ipv6.conf.default.disable_ipv6): the tenant's users have
	 * IPv6 addresses, so its traC has IPv6. */
	if (v->dev[0])
		sysctl_dev_set("ipv6", v->dev, "disable_ipv6", 0);
	to_nl6(key, &r);
	r.oif = (uint32_t)ifindex;
	if (!v->dev[0])
		r.type = RTN_UNREACHABLE;
	return nl_route6_add(&k->nl, &r, true);
}

static int r_route6_del(void *ctx, const struct ravpn_route6_key *key)
{
	struct ravpn_kernel *k = ctx;
	struct nl_route6 r;

	to_nl6(key, &r);
	r.type = RTN_UNSPEC;
	return nl_route6_del(&k->nl, &r);
}

/* Written beside and renamed over: charon never reads half a file. It
 * holds the RADIUS secrets: 0600, and it belongs on a tmpfs (/run). */
static int r_radius_write(void *ctx, const char *text)
{
	struct ravpn_kernel *k = ctx;
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text), off = 0;
	int fd, ret = 0;

	if (!k->radius_conf[0])
		return -ENOENT;
	snprintf(tmp, sizeof(tmp), "%s.tmp", k->radius_conf);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			ret = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, k->radius_conf) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int ravpn_kernel_open(struct ravpn_ops **ops, const char *socket, const char *radius_conf)
{
	struct ravpn_kernel *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	ret = ipsec_kernel_open(&k->k, socket);
	if (ret < 0) {
		free(k);
		return ret;
	}
	ret = nl_open(&k->nl);
	if (ret < 0) {
		ipsec_kernel_close(k->k);
		free(k);
		return ret;
	}
	snprintf(k->radius_conf, sizeof(k->radius_conf), "%s", radius_conf ? radius_conf : "");
	k->ops = (struct ravpn_ops){
		.k = k->k,
		.rctx = k,
		.route_dump = r_route_dump,
		.route_set = r_route_set,
		.route_del = r_route_del,
		.route6_dump = r_route6_dump,
		.route6_set = r_route6_set,
		.route6_del = r_route6_del,
		.radius_write = r_radius_write,
	};
	*ops = &k->ops;
	return 0;
}

void ravpn_kernel_close(struct ravpn_ops *ops)
{
	struct ravpn_kernel *k = (struct ravpn_kernel *)ops;

	if (!k)
		return;
	ipsec_kernel_close(k->k);
	nl_close(&k->nl);
	free(k);
}

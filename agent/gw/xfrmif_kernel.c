// SPDX-License-Identifier: GPL-2.0
/* The routes through XFRM interfaces over rtnetlink (xfrmif.h), for the
 * S2S routes (TENET_RTPROT_S2S) and remote access's (TENET_RTPROT_RA). */
#include <errno.h>
#include <stdlib.h>
#include <net/if.h>
#include <linux/rtnetlink.h>

#include "gw/xfrmif.h"
#include "nl/link.h"
#include "nl/route.h"

int xfrmif_route_dump(struct nl *nl, uint8_t proto, ipsec_route_cb cb, void *arg)
{
	struct nl_route *rs = NULL;
	size_t n = 0;
	int ret = nl_route_dump_proto(nl, proto, &rs, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++) {
		struct ipsec_route_key key = { .table = rs[i].table, .dst = rs[i].dst,
					       .plen = rs[i].plen, .metric = rs[i].metric };
		struct ipsec_route_val v = { 0 };

		if (rs[i].type == RTN_UNICAST && rs[i].oif && !if_indextoname(rs[i].oif, v.dev))
			v.dev[0] = '\0';
		ret = cb(&key, &v, arg);
	}
	free(rs);
	return ret < 0 ? ret : 0;
}

static void to_nl(uint8_t proto, const struct ipsec_route_key *k, struct nl_route *r)
{
	*r = (struct nl_route){ .table = k->table, .dst = k->dst, .plen = k->plen,
				.type = RTN_UNICAST, .metric = k->metric, .proto = proto };
}

int xfrmif_route_set(struct nl *nl, uint8_t proto, const struct ipsec_route_key *k,
		     const struct ipsec_route_val *v)
{
	int ifindex = v->dev[0] ? nl_ifindex(v->dev) : 0;
	struct nl_route r;

	if (ifindex < 0)
		return ifindex;
	to_nl(proto, k, &r);
	r.oif = (uint32_t)ifindex;
	if (!v->dev[0])
		r.type = RTN_UNREACHABLE;
	return nl_route_add(nl, &r, true);
}

int xfrmif_route_del(struct nl *nl, uint8_t proto, const struct ipsec_route_key *k)
{
	struct nl_route r;

	to_nl(proto, k, &r);
	r.type = RTN_UNSPEC;    /* any type: unicast or unreachable */
	return nl_route_del(nl, &r);
}

// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "util/parse.h"
#include "recon/state.h"

static const struct {
	const char *name;
	size_t key_size, val_size;
} objs[OBJ_MAX] = {
	[OBJ_CFG] = { "cfg", sizeof(__u32), sizeof(struct tenet_cfg) },
	[OBJ_PA] = { "pa", sizeof(__be32), sizeof(struct tenet_pa_val) },
	[OBJ_VSID] = { "vsid", sizeof(__u32), sizeof(struct tenet_vsid_val) },
	[OBJ_PORT] = { "port", sizeof(__u32), sizeof(struct tenet_port_val) },
	[OBJ_PORT_MAC] = { "port-mac", sizeof(struct tenet_mac_key), sizeof(__u32) },
	[OBJ_MAC] = { "mac", sizeof(struct tenet_vmac_key), sizeof(struct tenet_vmac_val) },
	[OBJ_CA] = { "ca", sizeof(struct tenet_ca_key), sizeof(struct tenet_ca_val) },
	[OBJ_ROUTE] = { "route", sizeof(struct tenet_route_key), sizeof(struct tenet_route_val) },
	[OBJ_L2ONLY] = { "l2only", sizeof(struct tenet_l2only_key),
			 sizeof(struct tenet_l2only_val) },
	[OBJ_ROUTE_LENS] = { "route-lens", sizeof(__u32), sizeof(struct tenet_route_lens) },
	[OBJ_ADDR] = { "address", sizeof(struct addr_key), sizeof(struct addr_val) },
	[OBJ_KROUTE] = { "provider-route", sizeof(struct kroute_key), sizeof(struct kroute_val) },
	[OBJ_ATTACH] = { "tc-attach", sizeof(__u32), sizeof(struct attach_val) },
};

size_t obj_key_size(enum obj o)
{
	return objs[o].key_size;
}

size_t obj_val_size(enum obj o)
{
	return objs[o].val_size;
}

const char *obj_name(enum obj o)
{
	return o < OBJ_MAX ? objs[o].name : "?";
}

/* Arena tables: every object has a fixed-size key and value, so deleted
 * entries are reused, and a desired state of 2M entries is a few hundred
 * chunk allocations, not 2M mallocs and frees. */
void state_init(struct state *s)
{
	for (int o = 0; o < OBJ_MAX; o++)
		htab_init_arena(&s->t[o], objs[o].key_size, objs[o].val_size);
}

void state_free(struct state *s)
{
	for (int o = 0; o < OBJ_MAX; o++)
		htab_free(&s->t[o]);
}

/* Where a lookup entry points: a local port or a remote PA. */
static void fmt_where(char *buf, size_t len, __u32 ifindex, __be32 pa)
{
	char a[TENET_IPV4_STRLEN];

	if (ifindex)
		snprintf(buf, len, "port %u", ifindex);
	else
		snprintf(buf, len, "pa %s", tenet_fmt_ipv4(pa, a));
}

static void describe_key(enum obj o, const void *key, char *buf, size_t len)
{
	char a[TENET_MAC_STRLEN], b[TENET_IPV4_STRLEN];
	const struct tenet_vmac_key *mk = key;
	const struct tenet_ca_key *ck = key;
	const struct tenet_route_key *rk = key;
	const struct kroute_key *kk = key;
	const struct addr_key *ak = key;
	__u32 u32;
	__be32 be;

	switch (o) {
	case OBJ_PA:
		memcpy(&be, key, sizeof(be));
		snprintf(buf, len, "pa %s", tenet_fmt_ipv4(be, b));
		break;
	case OBJ_VSID:
	case OBJ_CFG:
	case OBJ_ROUTE_LENS:
		memcpy(&u32, key, sizeof(u32));
		snprintf(buf, len, "%s %u", obj_name(o), u32);
		break;
	case OBJ_PORT:
	case OBJ_ATTACH:
		memcpy(&u32, key, sizeof(u32));
		snprintf(buf, len, "%s ifindex %u", obj_name(o), u32);
		break;
	case OBJ_PORT_MAC:
		snprintf(buf, len, "port-mac %s", tenet_fmt_mac(((const struct tenet_mac_key *)key)->mac, a));
		break;
	case OBJ_MAC:
		snprintf(buf, len, "mac %u %s", mk->vsid, tenet_fmt_mac(mk->mac, a));
		break;
	case OBJ_CA:
		snprintf(buf, len, "ca rdomain %u %s", ck->rdomain, tenet_fmt_ipv4(ck->ip, b));
		break;
	case OBJ_ROUTE:
		snprintf(buf, len, "route rdomain %u %s/%u", rk->rdomain,
			 tenet_fmt_ipv4(rk->ip, b), rk->plen);
		break;
	case OBJ_L2ONLY:
		snprintf(buf, len, "l2only %u slot %u", ((const struct tenet_l2only_key *)key)->vsid,
			 ((const struct tenet_l2only_key *)key)->slot);
		break;
	case OBJ_ADDR:
		snprintf(buf, len, "address %s", tenet_fmt_ipv4(ak->addr, b));
		break;
	case OBJ_KROUTE:
		snprintf(buf, len, "provider route %s/%u", tenet_fmt_ipv4(kk->dst, b), kk->plen);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void describe_val(enum obj o, const void *val, char *buf, size_t len)
{
	char a[TENET_MAC_STRLEN], b[TENET_IPV4_STRLEN], w[48];
	const struct tenet_vsid_val *vv = val;
	const struct tenet_port_val *pv = val;
	const struct tenet_vmac_val *mv = val;
	const struct tenet_ca_val *cv = val;
	const struct tenet_route_val *rv = val;
	const struct tenet_pa_val *pa = val;
	const struct kroute_val *kv = val;
	__u32 u32;

	switch (o) {
	case OBJ_PA:
		snprintf(buf, len, " -> ifindex %u vlan %u", pa->ifindex, pa->vlan);
		break;
	case OBJ_VSID:
		snprintf(buf, len, " -> rdomain %u %s/%u", vv->rdomain,
			 tenet_fmt_ipv4(vv->prefix, b), vv->plen);
		break;
	case OBJ_PORT:
		snprintf(buf, len, " -> vsid %u mac %s", pv->vsid, tenet_fmt_mac(pv->mac, a));
		break;
	case OBJ_PORT_MAC:
		memcpy(&u32, val, sizeof(u32));
		snprintf(buf, len, " -> ifindex %u", u32);
		break;
	case OBJ_MAC:
		fmt_where(w, sizeof(w), mv->ifindex, mv->pa);
		snprintf(buf, len, " -> %s", w);
		break;
	case OBJ_CA:
		fmt_where(w, sizeof(w), cv->ifindex, cv->pa);
		snprintf(buf, len, " -> vsid %u mac %s %s", cv->vsid, tenet_fmt_mac(cv->mac, a), w);
		break;
	case OBJ_ROUTE:
		snprintf(buf, len, " -> nexthop %s vsid %u metric %u",
			 tenet_fmt_ipv4(rv->nexthop, b), rv->vsid, rv->metric);
		break;
	case OBJ_L2ONLY:
		fmt_where(w, sizeof(w), ((const struct tenet_l2only_val *)val)->ifindex, 0);
		snprintf(buf, len, " -> mac %s pa %s%s%s",
			 tenet_fmt_mac(((const struct tenet_l2only_val *)val)->mac, a),
			 tenet_fmt_ipv4(((const struct tenet_l2only_val *)val)->pa, b),
			 ((const struct tenet_l2only_val *)val)->ifindex ? " " : "",
			 ((const struct tenet_l2only_val *)val)->ifindex ? w : "");
		break;
	case OBJ_ROUTE_LENS:
		snprintf(buf, len, " -> lengths 0x%llx",
			 (unsigned long long)((const struct tenet_route_lens *)val)->bits);
		break;
	case OBJ_ADDR:
		snprintf(buf, len, "/%u", ((const struct addr_val *)val)->plen);
		break;
	case OBJ_KROUTE:
		if (kv->via)
			snprintf(buf, len, " via %s ifindex %u", tenet_fmt_ipv4(kv->via, b),
				 kv->ifindex);
		else
			snprintf(buf, len, " ifindex %u", kv->ifindex);
		break;
	default:
		buf[0] = '\0';
	}
}

void obj_describe(enum obj o, const void *key, const void *val, char *buf, size_t len)
{
	size_t n;

	describe_key(o, key, buf, len);
	n = strlen(buf);
	if (val && n < len)
		describe_val(o, val, buf + n, len - n);
	n = strlen(buf);
	if (o == OBJ_ADDR && n < len)
		snprintf(buf + n, len - n, " on ifindex %u", ((const struct addr_key *)key)->ifindex);
}

// SPDX-License-Identifier: GPL-2.0
/* Gateway compartments in the kernel (see gw.h and docs/gateway.md).
 *
 * Per compartment with id N on this host:
 *   tvrfN   VRF device, table 10000+N
 *   tgiN    veth end enslaved to tvrfN: HNV's IfCi1, with the compartment's
 *           address and MAC
 *   tgpN    its peer, a port of the host datapath (desired.c programs it
 *           from the compartment record: TC program, port maps), so NVGRE
 *           for the compartment's MAC is decapsulated into the VRF and what
 *           the VRF sends toward the tenant is routed and encapsulated
 *   routes  in table 10000+N: every other subnet of the routing domain via
 *           the gateway subnet's .1 (the distributed router), NAT's default
 *           via the uplink, an unreachable default with a high metric
 *   rule    fwmark 0x7e4e0000|table -> table, when the compartment has NAT
 * and the compartment's lines in tenet's nft table (gw_nft.c). */
#include <errno.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <nftables/libnftables.h>

#include <tenet/limits.h>

#include "gw/gw.h"
#include "gw/gw_nl.h"
#include "log.h"

struct sync {
	struct gw *g;
	const struct gw_env *env;
	struct gw_tenant *t;
	size_t n;
	const struct tenet_vsubnet **vs;
	size_t nvs;
	const struct tenet_natmap **maps;
	size_t nmaps;
	struct gw_link *links;
	size_t nlinks;
	int failed;
};

int gw_init(struct gw *g)
{
	memset(g, 0, sizeof(*g));
	return nl_open(&g->nl);
}

void gw_fini(struct gw *g)
{
	if (g->nl.sk)
		nl_close(&g->nl);
	if (g->nft)
		nft_ctx_free(g->nft);
	free(g->nft_text);
	free(g->ext);
	memset(g, 0, sizeof(*g));
}

static void note(struct sync *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct sync *s, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->env->note)
		s->env->note(s->env->note_arg, key, msg);
}

/* A failed kernel change: noted, counted, retried by the caller. */
static int failed(struct sync *s, const char *key, int err, const char *what)
{
	note(s, key, "%s: %s", what, strerror(-err));
	s->failed++;
	return err;
}

/* ---- what the store wants ---- */

static void *grow(void *p, size_t n, size_t size)
{
	/* Powers of two: amortised appends. */
	if (n & (n - 1))
		return p;
	return realloc(p, (n ? n * 2 : 1) * size);
}

#define APPEND(arr, n, v)                                                      \
	({                                                                     \
		void *_p = grow((arr), (n), sizeof(*(arr)));                   \
		int _r = -ENOMEM;                                              \
		if (_p) {                                                      \
			(arr) = _p;                                            \
			(arr)[(n)++] = (v);                                    \
			_r = 0;                                                \
		}                                                              \
		_r;                                                            \
	})

static int collect(struct sync *s, const struct model *m)
{
	struct htab_iter it;
	struct htab_entry *e;
	int ret = 0;

	htab_iter_init(&it, &m->recs);
	while (!ret && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		struct gw_tenant t = { 0 };

		if (r->kind == TENET_KIND_VSUBNET) {
			ret = APPEND(s->vs, s->nvs, &r->vsubnet);
		} else if (r->kind == TENET_KIND_COMPARTMENT &&
			   !strcmp(r->compartment.host, s->env->host)) {
			t.cm = &r->compartment;
			t.key = e->key;
			ret = APPEND(s->t, s->n, t);
		} else if (r->kind == TENET_KIND_NATMAP && !strcmp(r->natmap.host, s->env->host)) {
			ret = APPEND(s->maps, s->nmaps, &r->natmap);
		}
	}
	/* NAT records join their compartment (by routing domain). */
	htab_iter_init(&it, &m->recs);
	while (!ret && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind != TENET_KIND_NAT || strcmp(r->nat.host, s->env->host))
			continue;
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->t[i].cm->rdomain, r->nat.rdomain))
				s->t[i].nat = &r->nat;
	}
	for (size_t k = 0; !ret && k < s->nmaps; k++)
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->t[i].cm->rdomain, s->maps[k]->rdomain))
				ret = APPEND(s->t[i].maps, s->t[i].nmaps, s->maps[k]);
	return ret;
}

/* The device holding each tenant's external address (the uplink). */
static void find_uplinks(struct sync *s)
{
	struct ifaddrs *ifa = NULL, *i;
	char a[TENET_IPV4_STRLEN];

	if (getifaddrs(&ifa) < 0)
		return;
	for (size_t k = 0; k < s->n; k++) {
		struct gw_tenant *t = &s->t[k];

		if (!t->nat)
			continue;
		for (i = ifa; i && !t->uplink_ifindex; i = i->ifa_next) {
			const struct sockaddr_in *sin = (const void *)i->ifa_addr;

			if (!sin || sin->sin_family != AF_INET ||
			    sin->sin_addr.s_addr != t->nat->external)
				continue;
			snprintf(t->uplink, sizeof(t->uplink), "%s", i->ifa_name);
			t->uplink_ifindex = if_nametoindex(i->ifa_name);
		}
		if (!t->uplink_ifindex)
			note(s, t->key, "nat external %s: no interface of this host holds it; NAT "
			     "not programmed", tenet_fmt_ipv4(t->nat->external, a));
	}
	freeifaddrs(ifa);
}

/* ---- links ---- */

static void devnames(uint32_t id, char vrf[IF_NAMESIZE], char in[IF_NAMESIZE],
		     char port[IF_NAMESIZE])
{
	tenet_gw_devname(TENET_GW_VRF_PFX, id, vrf, IF_NAMESIZE);
	tenet_gw_devname(TENET_GW_INT_PFX, id, in, IF_NAMESIZE);
	tenet_gw_devname(TENET_GW_PORT_PFX, id, port, IF_NAMESIZE);
}

static bool ours(const struct gw_link *l)
{
	return !strncmp(l->alias, TENET_GW_ALIAS_PFX, strlen(TENET_GW_ALIAS_PFX));
}

static struct gw_link *find_link(struct sync *s, const char *name)
{
	for (size_t i = 0; i < s->nlinks; i++)
		if (!strcmp(s->links[i].name, name))
			return &s->links[i];
	return NULL;
}

static int reload_links(struct sync *s)
{
	free(s->links);
	s->links = NULL;
	return gwnl_link_dump(&s->g->nl, &s->links, &s->nlinks);
}

static bool wanted_name(const struct sync *s, const char *name)
{
	char vrf[IF_NAMESIZE], in[IF_NAMESIZE], port[IF_NAMESIZE];

	for (size_t i = 0; i < s->n; i++) {
		devnames(s->t[i].cm->id, vrf, in, port);
		if (!strcmp(name, vrf) || !strcmp(name, in) || !strcmp(name, port))
			return true;
	}
	return false;
}

static void forget_ext_addr(struct gw *g, const struct gw_link *l)
{
	char a[TENET_PREFIX_STRLEN];

	for (size_t i = 0; i < g->next; i++) {
		if (strcmp(g->ext[i].dev, l->name))
			continue;
		if (nl_addr_del(&g->nl, l->ifindex, g->ext[i].addr.addr) == 0)
			log_info("address %s removed from %s", tenet_fmt_prefix(&g->ext[i].addr, a),
				 l->name);
		g->ext[i] = g->ext[--g->next];
		return;
	}
}

/* An interface that is not tenet's leaves a compartment's VRF. */
static void release(struct sync *s, const struct gw_link *l, const char *key)
{
	int ret = gwnl_link_master(&s->g->nl, l->ifindex, 0);

	if (ret < 0 && ret != -ENODEV) {
		failed(s, key, ret, "cannot take the interface out of its VRF");
		return;
	}
	log_info("external interface %s left its compartment", l->name);
	forget_ext_addr(s->g, l);
}

/* Release foreign slaves of VRF vrf except `keep` (ifindexes). */
static void release_slaves(struct sync *s, uint32_t vrf, uint32_t keep1, uint32_t keep2,
			   const char *key)
{
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct gw_link *l = &s->links[i];

		if (l->master == vrf && !ours(l) && l->ifindex != keep1 && l->ifindex != keep2)
			release(s, l, key);
	}
}

static void delete_stale_links(struct sync *s)
{
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct gw_link *l = &s->links[i];
		int ret;

		if (!ours(l) || wanted_name(s, l->name))
			continue;
		if (!strcmp(l->kind, "vrf"))
			release_slaves(s, l->ifindex, 0, 0, l->name);
		ret = gwnl_link_del(&s->g->nl, l->ifindex);
		/* A veth's peer goes with it. */
		if (ret == 0)
			log_info("compartment device %s removed", l->name);
		else if (ret != -ENODEV)
			failed(s, l->name, ret, "cannot remove compartment device");
	}
}

static int link_up(struct sync *s, const struct gw_link *l, uint32_t ifindex)
{
	if (l && (l->flags & IFF_UP))
		return 0;
	return nl_link_set_up(&s->g->nl, ifindex);
}

static void set_alias(struct sync *s, uint32_t ifindex, const struct gw_tenant *t)
{
	char alias[16 + TENET_NAME_MAX];

	snprintf(alias, sizeof(alias), TENET_GW_ALIAS_PFX "%s", t->cm->name);
	gwnl_link_alias(&s->g->nl, ifindex, alias);
}

/* The VRF: its ifindex, 0 if it cannot be had. */
static uint32_t ensure_vrf(struct sync *s, const struct gw_tenant *t, const char *vrf)
{
	const struct gw_link *l = find_link(s, vrf);
	uint32_t table = tenet_gw_table(t->cm->id), ifindex;
	int ret;

	if (l && !ours(l)) {
		note(s, t->key, "device %s exists and is not tenet's; compartment not programmed",
		     vrf);
		return 0;
	}
	if (!l) {
		ret = gwnl_vrf_add(&s->g->nl, vrf, table);
		if (ret < 0) {
			failed(s, t->key, ret, "cannot create the VRF");
			return 0;
		}
		log_info("compartment %s: VRF %s (table %u) created", t->cm->name, vrf, table);
	}
	ifindex = l ? l->ifindex : if_nametoindex(vrf);
	if (!l)
		set_alias(s, ifindex, t);
	if (link_up(s, l, ifindex) < 0)
		s->failed++;
	sysctl_dev_set("ipv4", vrf, "forwarding", 1);
	return ifindex;
}

/* tgiN in the VRF (address, MAC) and its peer tgpN (the port). */
static uint32_t ensure_veth(struct sync *s, const struct gw_tenant *t, uint32_t vrf,
			    const char *in, const char *port)
{
	const struct gw_link *l = find_link(s, in), *p = find_link(s, port);
	uint32_t ifi, ifp;
	int ret;

	if (!l) {
		ret = gwnl_veth_add(&s->g->nl, in, port, s->env->mtu);
		if (ret < 0) {
			failed(s, t->key, ret, "cannot create the internal interface");
			return 0;
		}
		log_info("compartment %s: internal interface %s (port %s) created", t->cm->name,
			 in, port);
	}
	ifi = l ? l->ifindex : if_nametoindex(in);
	ifp = p ? p->ifindex : if_nametoindex(port);
	if (!ifi || !ifp)
		return 0;
	if (!l) {
		set_alias(s, ifi, t);
		set_alias(s, ifp, t);
		gwnl_link_mac(&s->g->nl, ifi, t->cm->mac);
	}
	if (!l || l->master != vrf)
		if (gwnl_link_master(&s->g->nl, ifi, vrf) < 0)
			s->failed++;
	if (link_up(s, l, ifi) < 0 || link_up(s, p, ifp) < 0)
		s->failed++;
	/* XDP redirects into tgpN land on tgiN: it needs GRO. Loose
	 * reverse-path filtering: a tenant's sources may come from any of
	 * its subnets. */
	gw_gro_on(in);
	sysctl_dev_set("ipv4", in, "forwarding", 1);
	sysctl_dev_set("ipv4", in, "rp_filter", 2);
	sysctl_dev_set("ipv4", port, "rp_filter", 0);
	ret = nl_addr_add(&s->g->nl, ifi, t->cm->addr.addr, t->cm->addr.len);
	if (ret < 0)
		failed(s, t->key, ret, "cannot set the compartment address");
	return ifi;
}

static void remember_ext_addr(struct gw *g, const char *dev, const struct tenet_prefix *a)
{
	struct gw_ext_addr e = { .addr = *a };

	for (size_t i = 0; i < g->next; i++)
		if (!strcmp(g->ext[i].dev, dev)) {
			g->ext[i].addr = *a;
			return;
		}
	snprintf(e.dev, sizeof(e.dev), "%s", dev);
	APPEND(g->ext, g->next, e);
}

/* The forwarding gateway's physical interface, moved into the VRF. */
static uint32_t ensure_external(struct sync *s, const struct gw_tenant *t, uint32_t vrf)
{
	const struct gw_link *l;
	int ret;

	if (!t->cm->ext_dev[0])
		return 0;
	l = find_link(s, t->cm->ext_dev);
	if (!l) {
		note(s, t->key, "external device %s not present; attached when it appears",
		     t->cm->ext_dev);
		s->failed++;    /* look again at the next retry */
		return 0;
	}
	if (l->master != vrf) {
		ret = gwnl_link_master(&s->g->nl, l->ifindex, vrf);
		if (ret < 0) {
			failed(s, t->key, ret, "cannot move the external interface into the VRF");
			return 0;
		}
		log_info("compartment %s: external interface %s joined VRF", t->cm->name,
			 l->name);
	}
	if (link_up(s, l, l->ifindex) < 0)
		s->failed++;
	sysctl_dev_set("ipv4", l->name, "forwarding", 1);
	sysctl_dev_set("ipv4", l->name, "rp_filter", 2);
	ret = nl_addr_add(&s->g->nl, l->ifindex, t->cm->ext_addr.addr, t->cm->ext_addr.len);
	if (ret < 0)
		failed(s, t->key, ret, "cannot set the external address");
	else
		remember_ext_addr(s->g, l->name, &t->cm->ext_addr);
	return l->ifindex;
}

static void ensure_links(struct sync *s)
{
	char vrf[IF_NAMESIZE], in[IF_NAMESIZE], port[IF_NAMESIZE];

	for (size_t i = 0; i < s->n; i++) {
		struct gw_tenant *t = &s->t[i];
		uint32_t v, ifi, ext;

		devnames(t->cm->id, vrf, in, port);
		v = ensure_vrf(s, t, vrf);
		if (!v)
			continue;
		ifi = ensure_veth(s, t, v, in, port);
		ext = ensure_external(s, t, v);
		release_slaves(s, v, ifi, ext, t->key);
		if (t->uplink_ifindex)
			sysctl_dev_set("ipv4", t->uplink, "forwarding", 1);
	}
}

/* ---- routes and rules ---- */

static bool our_table(uint32_t table)
{
	return table > TENET_GW_TABLE_BASE && table <= TENET_GW_TABLE_BASE + TENET_GW_ID_MAX;
}

static bool same_route(const struct gw_route *a, const struct gw_route *b)
{
	return a->table == b->table && a->dst == b->dst && a->plen == b->plen &&
	       a->type == b->type && a->metric == b->metric &&
	       (a->type != RTN_UNICAST || (a->oif == b->oif && a->via == b->via));
}

static int desired_routes(struct sync *s, struct gw_route **out, size_t *n)
{
	char in[IF_NAMESIZE];
	int ret = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; !ret && i < s->n; i++) {
		const struct tenet_compartment *cm = s->t[i].cm;
		uint32_t table = tenet_gw_table(cm->id), oif, net;
		struct gw_route r = { .table = table, .type = RTN_UNREACHABLE,
				      .metric = TENET_GW_UNREACH_METRIC };

		tenet_gw_devname(TENET_GW_INT_PFX, cm->id, in, sizeof(in));
		oif = if_nametoindex(in);
		if (!oif)
			continue;
		ret = APPEND(*out, *n, r);
		net = ntohl(cm->addr.addr & tenet_prefix_mask(cm->addr.len));
		for (size_t k = 0; !ret && k < s->nvs; k++) {
			const struct tenet_vsubnet *vs = s->vs[k];
			struct gw_route sub = { .table = table, .type = RTN_UNICAST, .oif = oif,
						.via = htonl(net + 1), .dst = vs->prefix.addr,
						.plen = vs->prefix.len };

			if (strcmp(vs->rdomain, cm->rdomain) || vs->vsid == cm->vsid)
				continue;
			ret = APPEND(*out, *n, sub);
		}
		if (!ret && s->t[i].nat && s->t[i].uplink_ifindex) {
			struct gw_route d = { .table = table, .type = RTN_UNICAST,
					      .oif = s->t[i].uplink_ifindex,
					      .via = s->t[i].nat->via,
					      .metric = TENET_GW_NAT_METRIC };

			ret = APPEND(*out, *n, d);
		}
	}
	return ret;
}

static void route_desc(const struct gw_route *r, char *buf, size_t len)
{
	char d[TENET_IPV4_STRLEN], v[TENET_IPV4_STRLEN];

	snprintf(buf, len, "route %s/%u table %u%s%s metric %u", tenet_fmt_ipv4(r->dst, d),
		 r->plen, r->table, r->type == RTN_UNREACHABLE ? " unreachable" : r->via ? " via " :
		 " on-link", r->type == RTN_UNICAST && r->via ? tenet_fmt_ipv4(r->via, v) : "",
		 r->metric);
}

static void sync_routes(struct sync *s)
{
	struct gw_route *want = NULL, *have = NULL;
	size_t nwant = 0, nhave = 0;
	char what[128];
	int ret;

	if (desired_routes(s, &want, &nwant) < 0 ||
	    gwnl_route_dump(&s->g->nl, &have, &nhave) < 0) {
		s->failed++;
		goto out;
	}
	for (size_t i = 0; i < nhave; i++) {
		bool keep = false;

		for (size_t k = 0; k < nwant && !keep; k++)
			keep = same_route(&have[i], &want[k]);
		if (keep || !our_table(have[i].table))
			continue;
		route_desc(&have[i], what, sizeof(what));
		ret = gwnl_route_del(&s->g->nl, &have[i]);
		if (ret == 0)
			log_info("%s removed", what);
		else if (ret != -ESRCH && ret != -ENOENT)
			failed(s, what, ret, "cannot remove");
	}
	for (size_t k = 0; k < nwant; k++) {
		bool present = false;

		for (size_t i = 0; i < nhave && !present; i++)
			present = same_route(&have[i], &want[k]);
		if (present)
			continue;
		route_desc(&want[k], what, sizeof(what));
		ret = gwnl_route_set(&s->g->nl, &want[k]);
		if (ret == 0)
			log_info("%s added", what);
		else
			failed(s, what, ret, "cannot add");
	}
out:
	free(want);
	free(have);
}

static void sync_rules(struct sync *s)
{
	struct gw_rule *have = NULL;
	size_t nhave = 0;
	char what[96];
	int ret;

	if (gwnl_rule_dump(&s->g->nl, &have, &nhave) < 0) {
		s->failed++;
		return;
	}
	for (size_t i = 0; i < nhave; i++) {
		bool keep = false;

		for (size_t k = 0; k < s->n && !keep; k++)
			keep = s->t[k].nat && s->t[k].uplink_ifindex &&
			       have[i].fwmark == tenet_gw_mark(s->t[k].cm->id) &&
			       have[i].table == tenet_gw_table(s->t[k].cm->id) &&
			       have[i].pref == TENET_GW_RULE_PREF;
		if (keep)
			continue;
		snprintf(what, sizeof(what), "rule fwmark 0x%08x table %u", have[i].fwmark,
			 have[i].table);
		ret = gwnl_rule_del(&s->g->nl, &have[i]);
		if (ret == 0)
			log_info("%s removed", what);
		else if (ret != -ENOENT)
			failed(s, what, ret, "cannot remove");
	}
	for (size_t k = 0; k < s->n; k++) {
		struct gw_rule r = { .pref = TENET_GW_RULE_PREF,
				     .fwmark = tenet_gw_mark(s->t[k].cm->id),
				     .table = tenet_gw_table(s->t[k].cm->id) };
		bool present = false;

		if (!s->t[k].nat || !s->t[k].uplink_ifindex)
			continue;
		for (size_t i = 0; i < nhave && !present; i++)
			present = have[i].fwmark == r.fwmark && have[i].table == r.table &&
				  have[i].pref == r.pref;
		if (present)
			continue;
		snprintf(what, sizeof(what), "rule fwmark 0x%08x table %u", r.fwmark, r.table);
		ret = gwnl_rule_add(&s->g->nl, &r);
		if (ret == 0 || ret == -EEXIST)
			log_info("%s added", what);
		else
			failed(s, what, ret, "cannot add");
	}
	free(have);
}

/* ---- nftables ---- */

static void sync_nft(struct sync *s)
{
	char *text = gw_nft_ruleset(s->t, s->n);
	char err[256];
	int ret;

	if (s->n && !text) {
		s->failed++;
		return;
	}
	if (!s->g->nft_checked && !text) {
		/* A table left by an earlier agent, for compartments now gone. */
		s->g->nft_checked = true;
		if (!gw_nft_present(s->g))
			return;
		s->g->nft_text = strdup("");
	}
	s->g->nft_checked = true;
	if ((!text && !s->g->nft_text) ||
	    (text && s->g->nft_text && !strcmp(text, s->g->nft_text))) {
		free(text);
		return;
	}
	ret = gw_nft_apply(s->g, text, err, sizeof(err));
	if (ret < 0) {
		note(s, "nftables", "table ip tenet not applied: %s", err);
		s->failed++;
		free(text);
		return;
	}
	log_info(text ? "nftables: table ip tenet applied (%zu compartments)" :
		 "nftables: table ip tenet removed", s->n);
	free(s->g->nft_text);
	s->g->nft_text = text;
}

/* ---- entry points ---- */

static void sync_free(struct sync *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->t[i].maps);
	free(s->t);
	free(s->vs);
	free(s->maps);
	free(s->links);
}

/* The internal veth pair carries what NVGRE can: the first PA device's
 * MTU minus the encapsulation (the datapath clamps ports the same way). */
static uint32_t port_mtu(struct sync *s, const struct model *m)
{
	struct htab_iter it;
	struct htab_entry *e;
	struct nl_link l;

	if (s->env->mtu)
		return s->env->mtu;
	htab_iter_init(&it, &m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		uint32_t ifindex;

		if (r->kind != TENET_KIND_PA || strcmp(r->pa.host, s->env->host))
			continue;
		ifindex = if_nametoindex(r->pa.dev);
		if (ifindex && nl_link_get(&s->g->nl, ifindex, &l) == 0 &&
		    l.mtu > TENET_ENCAP_OVERHEAD)
			return l.mtu - TENET_ENCAP_OVERHEAD;
	}
	return 1500 - TENET_ENCAP_OVERHEAD;
}

int gw_sync(struct gw *g, const struct model *m, const struct gw_env *genv)
{
	struct gw_env env = *genv;
	struct sync s = { .g = g, .env = &env };

	if (collect(&s, m) < 0) {
		sync_free(&s);
		return 1;
	}
	find_uplinks(&s);
	if (s.n)
		env.mtu = port_mtu(&s, m);
	if (reload_links(&s) < 0) {
		s.failed++;
		goto out;
	}
	delete_stale_links(&s);
	if (s.n) {
		if (reload_links(&s) < 0) {
			s.failed++;
			goto out;
		}
		ensure_links(&s);
	}
	sync_routes(&s);
	sync_rules(&s);
	sync_nft(&s);
out:
	sync_free(&s);
	return s.failed;
}

void gw_cleanup(struct gw *g)
{
	struct model empty;
	struct gw_env env = { .host = "" };

	model_init(&empty);
	g->nft_checked = false;
	gw_sync(g, &empty, &env);
	model_free(&empty);
}

// SPDX-License-Identifier: GPL-2.0
/* BGP per compartment: the rows of the registry of BGP instances and
 * neighbors (fields, keys, listing order, guard keys, rules; docs/bgp.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kinds/bgp.h"
#include "kinds/codec.h"
#include "kinds/record.h"
#include "policy/engine.h"
#include "policy/policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int tenet_bgp_parse_asn(const char *s, uint32_t *asn, struct tenet_err *err)
{
	if (tenet_parse_u32(s, 1, UINT32_MAX, asn, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "not an AS number (1..4294967295)");
	if (*asn == TENET_BGP_AS_TRANS)
		return tenet_err_set(err, -EINVAL, "23456 is AS_TRANS, not an AS of a speaker");
	return 0;
}

static int check_host(struct pctx *c, const char *host)
{
	if (tenet_check_name(host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", host);
	return 0;
}

/* ================= instances ================= */

static const struct tenet_field bgp_fields[] = {
	TENET_FIELD(struct tenet_bgp, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_bgp, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_bgp, asn, "asn", TENET_FT_U32, .min = 1, .max = UINT32_MAX),
	TENET_FIELD(struct tenet_bgp, router_id, "router_id", TENET_FT_IPV4,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_bgp, router_id)),
	{ NULL },
};

static int bgp_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_bgp *b = obj;

	if (b->asn == TENET_BGP_AS_TRANS)
		return tenet_err_set(err, -EINVAL, "asn 23456: AS_TRANS, not an AS of a speaker");
	if (b->router_id && !tenet_ipv4_is_unicast(b->router_id))
		return tenet_err_set(err, -EINVAL, "router_id: not a unicast address");
	return 0;
}

static const struct tenet_klayout bgp_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_bgp, rdomain, TENET_KP_NAME) } },
};

static const struct tenet_sortkey bgp_sort[] = {
	TENET_SORT(struct tenet_bgp, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_bgp, rdomain, TENET_FT_NAME),
	{ TENET_FT_NONE },
};

/* A put reads the routing domain (global) and the host's compartments;
 * a delete takes the neighbors with it. */
static int bgp_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = 0;

	if (!del)
		ret = pol_guard_global(c, false);
	return ret ? ret : pol_guard_host(c, rec->bgp.host, true);
}

static int bgp_put(struct pctx *c, struct tenet_record *in)
{
	struct tenet_record rec = { .kind = TENET_KIND_BGP, .bgp = in->bgp };
	struct tenet_compartment cm;
	int ret;

	ret = check_host(c, in->bgp.host);
	if (!ret)
		ret = bgp_check(&in->bgp, c->err);
	if (!ret)
		ret = pol_need_rdomain(c, in->bgp.rdomain, NULL);
	if (!ret)
		ret = pol_compartment_of(c, in->bgp.host, in->bgp.rdomain, &cm);
	return ret ? ret : pol_txn_put(c, &rec);
}

static int del_neighbors(struct pctx *c, const char *host, const char *rdomain)
{
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_BGPNBR, host, &all);
	for (size_t i = 0; ret == 0 && i < all.n; i++)
		if (!strcmp(all.recs[i].bgpnbr.rdomain, rdomain))
			ret = pol_txn_del(c, &all.recs[i]);
	tenet_record_list_free(&all);
	return ret;
}

static int bgp_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];
	int ret;

	snprintf(msg, sizeof(msg), "rdomain %s: no BGP on host %s", id->bgp.rdomain, id->bgp.host);
	ret = pol_del_existing(c, id, msg);
	return ret ? ret : del_neighbors(c, id->bgp.host, id->bgp.rdomain);
}

int pol_del_bgp(struct pctx *c, const char *host, const char *rdomain)
{
	struct tenet_record id = { .kind = TENET_KIND_BGP };
	int ret;

	snprintf(id.bgp.host, sizeof(id.bgp.host), "%s", host);
	snprintf(id.bgp.rdomain, sizeof(id.bgp.rdomain), "%s", rdomain);
	ret = pol_txn_del(c, &id);
	return ret ? ret : del_neighbors(c, host, rdomain);
}

const struct tenet_kind_desc tenet_kind_bgp = {
	.kind = TENET_KIND_BGP,
	.name = "bgp",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_bgp),
	.host_off = offsetof(struct tenet_bgp, host),
	.keys = bgp_keys,
	.nkeys = ARRAY_SIZE(bgp_keys),
	.fields = bgp_fields,
	.check = bgp_check,
	.sort = bgp_sort,
	.guards = bgp_guards,
	.put = bgp_put,
	.del = bgp_del,
};

/* ================= neighbors ================= */

static const char *const onoff_names[] = { "off", "on" };
static const struct tenet_enum onoff = {
	.names = onoff_names, .n = ARRAY_SIZE(onoff_names),
	.invalid = "not on or off",
};

static const struct tenet_field nbr_fields[] = {
	TENET_FIELD(struct tenet_bgpnbr, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_bgpnbr, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_bgpnbr, address, "address", TENET_FT_IPV4),
	TENET_FIELD(struct tenet_bgpnbr, remote_as, "remote_as", TENET_FT_U32, .min = 1,
		    .max = UINT32_MAX),
	TENET_FIELD(struct tenet_bgpnbr, bfd, "bfd", TENET_FT_ENUM, .enumdef = &onoff,
		    .flags = TENET_F_OPTIONAL),
	TENET_FIELD(struct tenet_bgpnbr, via, "via", TENET_FT_NAME,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .when_off = offsetof(struct tenet_bgpnbr, via),
		    .when_size = 1),
	{ NULL },
};

static int nbr_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_bgpnbr *n = obj;

	if (!tenet_ipv4_is_unicast(n->address))
		return tenet_err_set(err, -EINVAL, "address: not a unicast address");
	if (n->remote_as == TENET_BGP_AS_TRANS)
		return tenet_err_set(err, -EINVAL, "remote_as 23456: AS_TRANS, not an AS of a speaker");
	return 0;
}

static const struct tenet_klayout nbr_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_bgpnbr, rdomain, TENET_KP_NAME),
		     TENET_KPART(struct tenet_bgpnbr, address, TENET_KP_IPV4, .sep = '/') } },
};

static const struct tenet_sortkey nbr_sort[] = {
	TENET_SORT(struct tenet_bgpnbr, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_bgpnbr, rdomain, TENET_FT_NAME),
	TENET_SORT(struct tenet_bgpnbr, address, TENET_FT_IPV4),
	{ TENET_FT_NONE },
};

static int nbr_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = 0;

	if (!del)
		ret = pol_guard_global(c, false);
	return ret ? ret : pol_guard_host(c, rec->bgpnbr.host, true);
}

/* A peer is reached on one of the compartment's own subnets (IfCi1's or
 * the external interface's), or through a named S2S interface of the
 * same tenant. */
static int check_reach(struct pctx *c, const struct tenet_bgpnbr *n,
		       const struct tenet_compartment *cm)
{
	struct tenet_record_list all;
	char a[TENET_IPV4_STRLEN];
	int ret;

	if (!n->via[0]) {
		if (tenet_prefix_contains(&cm->addr, n->address) ||
		    (cm->ext_dev[0] && tenet_prefix_contains(&cm->ext_addr, n->address)))
			return 0;
		return tenet_err_set(c->err, -EINVAL,
				     "address %s: outside the subnets of compartment %s "
				     "(a peer behind a site needs 'via s2s NAME')",
				     tenet_fmt_ipv4(n->address, a), cm->name);
	}
	ret = pol_load_kind(c, TENET_KIND_S2S, n->host, &all);
	if (ret < 0)
		return ret;
	ret = tenet_err_set(c->err, -ENOENT, "via s2s %s: no such interface in rdomain %s on host %s",
			    n->via, n->rdomain, n->host);
	for (size_t i = 0; i < all.n; i++) {
		if (!strcmp(all.recs[i].s2s.name, n->via) &&
		    !strcmp(all.recs[i].s2s.rdomain, n->rdomain)) {
			tenet_err_clear(c->err);
			ret = 0;
			break;
		}
	}
	tenet_record_list_free(&all);
	return ret;
}

static int nbr_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_bgpnbr *n = &in->bgpnbr;
	struct tenet_record rec = { .kind = TENET_KIND_BGPNBR, .bgpnbr = *n };
	struct tenet_record id = { .kind = TENET_KIND_BGP }, inst;
	struct tenet_compartment cm;
	int ret;

	ret = check_host(c, n->host);
	if (!ret)
		ret = nbr_check(n, c->err);
	if (!ret)
		ret = pol_need_rdomain(c, n->rdomain, NULL);
	if (!ret) {
		strcpy(id.bgp.host, n->host);
		strcpy(id.bgp.rdomain, n->rdomain);
		ret = pol_load(c, &id, &inst);
		if (ret == -ENOENT)
			ret = tenet_err_set(c->err, -ENOENT,
					    "rdomain %s: no BGP on host %s (tenet bgp set first)",
					    n->rdomain, n->host);
	}
	if (!ret)
		ret = pol_compartment_of(c, n->host, n->rdomain, &cm);
	if (!ret)
		ret = check_reach(c, n, &cm);
	if (!ret) {
		char a[TENET_IPV4_STRLEN];
		struct tenet_record old;
		int got = pol_load(c, &rec, &old);

		tenet_fmt_ipv4(n->address, a);
		if (got == 0 && !(c->flags & TENET_POLICY_REPLACE))
			ret = tenet_err_set(c->err, -EEXIST,
					    "neighbor %s: already in rdomain %s on host %s", a,
					    n->rdomain, n->host);
		else if (got == -ENOENT && (c->flags & TENET_POLICY_REPLACE))
			ret = tenet_err_set(c->err, -ENOENT, "neighbor %s: none in rdomain %s on host %s",
					    a, n->rdomain, n->host);
		else if (got < 0 && got != -ENOENT)
			ret = got;
	}
	return ret ? ret : pol_txn_put(c, &rec);
}

static int nbr_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN], a[TENET_IPV4_STRLEN];

	snprintf(msg, sizeof(msg), "neighbor %s: none in rdomain %s on host %s",
		 tenet_fmt_ipv4(id->bgpnbr.address, a), id->bgpnbr.rdomain, id->bgpnbr.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_bgpnbr = {
	.kind = TENET_KIND_BGPNBR,
	.name = "bgpnbr",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_bgpnbr),
	.host_off = offsetof(struct tenet_bgpnbr, host),
	.keys = nbr_keys,
	.nkeys = ARRAY_SIZE(nbr_keys),
	.fields = nbr_fields,
	.check = nbr_check,
	.sort = nbr_sort,
	.guards = nbr_guards,
	.put = nbr_put,
	.del = nbr_del,
};

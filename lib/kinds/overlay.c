// SPDX-License-Identifier: GPL-2.0
/* The overlay kinds: routing domains, virtual subnets, lookup records,
 * customer routes. Each has its row of the registry here: fields, key,
 * listing order, guard keys and the rules a write must pass against the
 * rest of the store (docs/store.md, "Rules"). Lookup records also have an
 * allocation-free decoder for plain values (the 1M-record load) and the
 * agent's learning writes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "policy/engine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const type_names[] = {
	[TENET_LOOKUP_STATIC] = "static",   [TENET_LOOKUP_L2ONLY] = "l2only",
	[TENET_LOOKUP_GATEWAY] = "gateway", [TENET_LOOKUP_DYNAMIC] = "dynamic",
};

static const struct tenet_enum lookup_types = {
	.names = type_names, .n = ARRAY_SIZE(type_names),
	.invalid = "not a record type (static, l2only, gateway, dynamic)",
};

static const char *const rule_names[] = {
	[TENET_RULE_ENCAP] = "encap",
	[TENET_RULE_NONE] = "none",
};

static const struct tenet_enum lookup_rules = {
	.names = rule_names, .n = ARRAY_SIZE(rule_names), .invalid = "not a rule (encap, none)",
};

const char *tenet_lookup_type_name(enum tenet_lookup_type t)
{
	return tenet_enum_name(&lookup_types, (int)t);
}

const char *tenet_lookup_rule_name(enum tenet_lookup_rule r)
{
	return tenet_enum_name(&lookup_rules, (int)r);
}

int tenet_lookup_type_parse(const char *s, enum tenet_lookup_type *t, struct tenet_err *err)
{
	int v = 0, ret = tenet_enum_parse(&lookup_types, s, &v, err);

	if (ret == 0)
		*t = (enum tenet_lookup_type)v;
	return ret;
}

int tenet_lookup_rule_parse(const char *s, enum tenet_lookup_rule *r, struct tenet_err *err)
{
	int v = 0, ret = tenet_enum_parse(&lookup_rules, s, &v, err);

	if (ret == 0)
		*r = (enum tenet_lookup_rule)v;
	return ret;
}

/* ================= routing domains ================= */

static const struct tenet_field rdomain_fields[] = {
	TENET_FIELD(struct tenet_rdomain, name, "name", TENET_FT_NAME),
	TENET_FIELD(struct tenet_rdomain, guid, "guid", TENET_FT_GUID),
	TENET_FIELD(struct tenet_rdomain, id, "id", TENET_FT_U32, .min = 1, .max = UINT32_MAX),
	{ NULL },
};

static const struct tenet_klayout rdomain_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_rdomain, name, TENET_KP_NAME) } },
};

static const struct tenet_sortkey rdomain_sort[] = {
	TENET_SORT(struct tenet_rdomain, id, TENET_FT_U32),
	{ TENET_FT_NONE },
};

static int rdomain_prepare(struct tenet_record *rec, unsigned int flags, struct tenet_err *err)
{
	static const uint8_t nil[TENET_GUID_LEN];
	int ret;

	if (tenet_check_name(rec->rdomain.name, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "rdomain %s: not a valid name", rec->rdomain.name);
	if (flags & TENET_POLICY_REPLACE)
		return tenet_err_set(err, -EOPNOTSUPP, "rdomain %s: routing domains cannot be replaced",
				     rec->rdomain.name);
	/* Generated once, outside the retry loop: a retry must not hand out
	 * a second identity. */
	if (!memcmp(rec->rdomain.guid, nil, TENET_GUID_LEN)) {
		ret = tenet_guid_generate(rec->rdomain.guid);
		if (ret < 0)
			return tenet_err_set(err, ret, "cannot generate a GUID");
	}
	return 0;
}

/* The set of routing domains is global; a delete empties the domain. */
static int rdomain_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = pol_guard_global(c, true);

	if (ret == 0 && del)
		ret = pol_guard_rdomain(c, rec->rdomain.name, true);
	return ret;
}

static int rdomain_put(struct pctx *c, struct tenet_record *in)
{
	struct tenet_rdomain *rd = &in->rdomain;
	struct tenet_record_list all;
	struct tenet_record rec = { .kind = TENET_KIND_RDOMAIN };
	char g[TENET_GUID_STRLEN];
	uint32_t max = 0;
	size_t i;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_RDOMAIN, NULL, &all);
	if (ret < 0)
		return ret;
	for (i = 0; i < all.n; i++) {
		const struct tenet_rdomain *o = &all.recs[i].rdomain;

		if (!strcmp(o->name, rd->name)) {
			ret = tenet_err_set(c->err, -EEXIST, "rdomain %s: already exists (id %u)",
					    rd->name, o->id);
			goto out;
		}
		if (!memcmp(o->guid, rd->guid, TENET_GUID_LEN)) {
			ret = tenet_err_set(c->err, -EEXIST,
					    "id %s: already used by routing domain %s",
					    tenet_fmt_guid(rd->guid, g), o->name);
			goto out;
		}
		if (o->id > max)
			max = o->id;
	}
	/* Ids are never 0 (0 means "none" in the maps); next after the
	 * highest, so a deleted domain's id is not handed out at once. */
	if (max == UINT32_MAX) {
		ret = tenet_err_set(c->err, -ENOSPC, "rdomain %s: no routing-domain id left",
				    rd->name);
		goto out;
	}
	rd->id = max + 1;
	rec.rdomain = *rd;
	ret = pol_txn_put(c, &rec);
out:
	tenet_record_list_free(&all);
	return ret;
}

static int rdomain_del(struct pctx *c, struct tenet_record *id)
{
	const char *name = id->rdomain.name;
	struct tenet_record rec = { .kind = TENET_KIND_RDOMAIN };
	struct tenet_record_list subnets = { 0 }, routes = { 0 };
	size_t i;
	int ret;

	ret = pol_need_rdomain(c, name, NULL);
	if (ret < 0)
		return ret;
	ret = pol_rdomain_subnets(c, name, &subnets);
	if (ret < 0)
		goto out;
	if (subnets.n && !(c->flags & TENET_POLICY_FORCE)) {
		ret = tenet_err_set(c->err, -ENOTEMPTY,
				    "rdomain %s: still has %zu virtual subnet%s (use force)", name,
				    subnets.n, subnets.n == 1 ? "" : "s");
		goto out;
	}
	/* force: the domain goes with everything in it. */
	for (i = 0; i < subnets.n && ret == 0; i++) {
		char prefix[TENET_KEY_MAX];

		tenet_lookup_vsid_prefix(subnets.recs[i].vsubnet.vsid, prefix, sizeof(prefix));
		ret = tenet_txn_delete_prefix(c->txn, prefix);
		if (ret == 0)
			ret = pol_txn_del(c, &subnets.recs[i]);
	}
	if (ret == 0)
		ret = pol_load_kind(c, TENET_KIND_CROUTE, NULL, &routes);
	for (i = 0; i < routes.n && ret == 0; i++)
		if (!strcmp(routes.recs[i].croute.rdomain, name))
			ret = pol_txn_del(c, &routes.recs[i]);
	snprintf(rec.rdomain.name, sizeof(rec.rdomain.name), "%s", name);
	if (ret == 0)
		ret = pol_txn_del(c, &rec);
out:
	tenet_record_list_free(&subnets);
	tenet_record_list_free(&routes);
	return ret;
}

const struct tenet_kind_desc tenet_kind_rdomain = {
	.kind = TENET_KIND_RDOMAIN,
	.name = "rdomain",
	.scope = TENET_SCOPE_GLOBAL,
	.size = sizeof(struct tenet_rdomain),
	.keys = rdomain_keys,
	.nkeys = ARRAY_SIZE(rdomain_keys),
	.fields = rdomain_fields,
	.sort = rdomain_sort,
	.prepare = rdomain_prepare,
	.guards = rdomain_guards,
	.put = rdomain_put,
	.del = rdomain_del,
};

/* ================= virtual subnets ================= */

static const struct tenet_field vsubnet_fields[] = {
	TENET_FIELD(struct tenet_vsubnet, vsid, "vsid", TENET_FT_U32, .min = TENET_VSID_MIN,
		    .max = TENET_VSID_MAX),
	TENET_FIELD(struct tenet_vsubnet, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_vsubnet, prefix, "prefix", TENET_FT_PREFIX),
	{ NULL },
};

static const struct tenet_klayout vsubnet_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_vsubnet, vsid, TENET_KP_VSID) } },
};

static const struct tenet_sortkey vsubnet_sort[] = {
	TENET_SORT(struct tenet_vsubnet, vsid, TENET_FT_U32),
	{ TENET_FT_NONE },
};

static int vsubnet_prepare(struct tenet_record *rec, unsigned int flags, struct tenet_err *err)
{
	if (flags & TENET_POLICY_REPLACE)
		return tenet_err_set(err, -EOPNOTSUPP, "vsid %u: virtual subnets cannot be replaced",
				     rec->vsubnet.vsid);
	return 0;
}

/* Which routing domain a VSID is in is global; a delete also empties
 * the subnet's part of its routing domain. */
static int vsubnet_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = del ? pol_guard_vsid(c, rec->vsubnet.vsid, true) : 0;

	return ret ? ret : pol_guard_global(c, true);
}

static int vsubnet_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_vsubnet *vs = &in->vsubnet;
	struct tenet_record_list subnets = { 0 };
	struct tenet_record rec = { .kind = TENET_KIND_VSUBNET };
	struct tenet_vsubnet old;
	char p[TENET_PREFIX_STRLEN], q[TENET_PREFIX_STRLEN];
	size_t i;
	int ret;

	ret = pol_check_vsid(c, vs->vsid);
	if (ret < 0)
		return ret;
	tenet_fmt_prefix(&vs->prefix, p);
	if (vs->prefix.addr & ~tenet_prefix_mask(vs->prefix.len))
		return tenet_err_set(c->err, -EINVAL, "prefix %s: host bits set", p);
	/* Network, the .1 distributed router, at least one VM, broadcast. */
	if (vs->prefix.len > 30)
		return tenet_err_set(c->err, -EINVAL,
				     "prefix %s: a virtual subnet needs at least a /30", p);
	ret = pol_need_rdomain(c, vs->rdomain, NULL);
	if (ret < 0)
		return ret;
	ret = pol_need_vsubnet(c, vs->vsid, &old);
	if (ret == 0) {
		if (strcmp(old.rdomain, vs->rdomain))
			return tenet_err_set(c->err, -EEXIST, "vsid %u: already in routing domain %s",
					     vs->vsid, old.rdomain);
		return tenet_err_set(c->err, -EEXIST,
				     "vsid %u: already a virtual subnet of routing domain %s",
				     vs->vsid, old.rdomain);
	}
	if (ret != -ENOENT)
		return ret;
	ret = pol_rdomain_subnets(c, vs->rdomain, &subnets);
	if (ret < 0)
		return ret;
	for (i = 0; i < subnets.n; i++) {
		const struct tenet_vsubnet *o = &subnets.recs[i].vsubnet;

		if (tenet_prefix_overlap(&o->prefix, &vs->prefix)) {
			ret = tenet_err_set(c->err, -EEXIST,
					    "prefix %s: overlaps %s of vsid %u in routing domain %s",
					    p, tenet_fmt_prefix(&o->prefix, q), o->vsid, o->rdomain);
			goto out;
		}
	}
	rec.vsubnet = *vs;
	ret = pol_txn_put(c, &rec);
out:
	tenet_record_list_free(&subnets);
	return ret;
}

/* Routes that die with a subnet: configured on it, or via a CA in it. */
static bool route_depends(const struct tenet_croute *r, const struct tenet_vsubnet *vs,
			  const struct tenet_record_list *lookups)
{
	size_t i;

	if (strcmp(r->rdomain, vs->rdomain))
		return false;
	if (r->vsid == vs->vsid)
		return true;
	for (i = 0; r->nexthop && i < lookups->n; i++)
		if (lookups->recs[i].lookup.has_ca && lookups->recs[i].lookup.ca == r->nexthop)
			return true;
	return false;
}

static int vsubnet_del(struct pctx *c, struct tenet_record *id)
{
	uint32_t vsid = id->vsubnet.vsid;
	struct tenet_record_list lookups = { 0 }, routes = { 0 };
	struct tenet_record rec = { .kind = TENET_KIND_VSUBNET };
	char prefix[TENET_KEY_MAX];
	size_t i, n = 0;
	int ret;

	ret = pol_need_vsubnet(c, vsid, &rec.vsubnet);
	if (ret < 0)
		return ret;
	ret = pol_load_vsid_lookups(c, vsid, &lookups);
	if (ret == 0)
		ret = pol_load_kind(c, TENET_KIND_CROUTE, NULL, &routes);
	if (ret < 0)
		goto out;
	for (i = 0; i < routes.n; i++)
		if (route_depends(&routes.recs[i].croute, &rec.vsubnet, &lookups))
			routes.recs[n++] = routes.recs[i];
	routes.n = n;
	if ((lookups.n || routes.n) && !(c->flags & TENET_POLICY_FORCE)) {
		ret = tenet_err_set(c->err, -ENOTEMPTY,
				    "vsid %u: still has %zu lookup record%s and %zu customer route%s"
				    " (use force)", vsid, lookups.n, lookups.n == 1 ? "" : "s",
				    routes.n, routes.n == 1 ? "" : "s");
		goto out;
	}
	tenet_lookup_vsid_prefix(vsid, prefix, sizeof(prefix));
	ret = tenet_txn_delete_prefix(c->txn, prefix);
	for (i = 0; i < routes.n && ret == 0; i++)
		ret = pol_txn_del(c, &routes.recs[i]);
	if (ret == 0)
		ret = pol_txn_del(c, &rec);
out:
	tenet_record_list_free(&lookups);
	tenet_record_list_free(&routes);
	return ret;
}

const struct tenet_kind_desc tenet_kind_vsubnet = {
	.kind = TENET_KIND_VSUBNET,
	.name = "vsubnet",
	.scope = TENET_SCOPE_GLOBAL,
	.size = sizeof(struct tenet_vsubnet),
	.keys = vsubnet_keys,
	.nkeys = ARRAY_SIZE(vsubnet_keys),
	.fields = vsubnet_fields,
	.sort = vsubnet_sort,
	.prepare = vsubnet_prepare,
	.guards = vsubnet_guards,
	.put = vsubnet_put,
	.del = vsubnet_del,
};

/* ================= lookup records ================= */

enum { LF_VSID, LF_CA, LF_MAC, LF_PA, LF_TYPE, LF_RULE };

static const struct tenet_field lookup_fields[] = {
	[LF_VSID] = TENET_FIELD(struct tenet_lookup, vsid, "vsid", TENET_FT_U32,
				.min = TENET_VSID_MIN, .max = TENET_VSID_MAX),
	/* l2only records know the MAC only; every other type has a CA. */
	[LF_CA] = TENET_FIELD(struct tenet_lookup, ca, "ca", TENET_FT_IPV4,
			      .flags = TENET_F_PRESENCE | TENET_F_LATE,
			      TENET_WHEN(struct tenet_lookup, has_ca)),
	[LF_MAC] = TENET_FIELD(struct tenet_lookup, mac, "mac", TENET_FT_MAC),
	[LF_PA] = TENET_FIELD(struct tenet_lookup, pa, "pa", TENET_FT_IPV4),
	[LF_TYPE] = TENET_FIELD(struct tenet_lookup, type, "type", TENET_FT_ENUM,
				.enumdef = &lookup_types),
	[LF_RULE] = TENET_FIELD(struct tenet_lookup, rule, "rule", TENET_FT_ENUM,
				.enumdef = &lookup_rules),
	{ NULL },
};

static const int lookup_decode_order[] = { LF_VSID, LF_TYPE, LF_RULE, LF_MAC, LF_PA, -1 };

static int lookup_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_lookup *l = obj;

	if (l->type == TENET_LOOKUP_L2ONLY && l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: l2only records have no CA IP");
	if (l->type != TENET_LOOKUP_L2ONLY && !l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: missing");
	return 0;
}

static bool lookup_by_ca(const void *obj)
{
	return ((const struct tenet_lookup *)obj)->has_ca;
}

static void lookup_key_ca(void *obj)
{
	((struct tenet_lookup *)obj)->has_ca = true;
}

static void lookup_key_mac(void *obj)
{
	((struct tenet_lookup *)obj)->type = TENET_LOOKUP_L2ONLY;
}

/* By VSID and CA; l2only records by VSID and MAC. */
static const struct tenet_klayout lookup_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_lookup, vsid, TENET_KP_VSID), TENET_KLIT("ip"),
		     TENET_KPART(struct tenet_lookup, ca, TENET_KP_IPV4) },
	  .applies = lookup_by_ca, .implies = lookup_key_ca },
	{ .parts = { TENET_KPART(struct tenet_lookup, vsid, TENET_KP_VSID), TENET_KLIT("mac"),
		     TENET_KPART(struct tenet_lookup, mac, TENET_KP_MAC) },
	  .implies = lookup_key_mac },
};

static const struct tenet_sortkey lookup_sort[] = {
	TENET_SORT(struct tenet_lookup, vsid, TENET_FT_U32),
	TENET_SORT(struct tenet_lookup, has_ca, TENET_FT_BOOL, .desc = true),
	TENET_SORT(struct tenet_lookup, ca, TENET_FT_IPV4),
	TENET_SORT(struct tenet_lookup, mac, TENET_FT_MAC),
	{ TENET_FT_NONE },
};

/* ---- the lookup fast path ----
 *
 * A store of a million lookup records spends most of its decode in
 * jansson (a tree of allocations per record). Lookup values are flat
 * objects of short strings and one integer, so they are read here
 * directly, without allocating. The fast path only ever *accepts*: it
 * returns true when the value is plain (an object of members whose values
 * are strings without escapes or non-negative integers, no duplicate known
 * member, nothing after it) and the record passes every check the field
 * table and the key check make, with the same result bytes. Anything
 * else, valid or not, goes the jansson way, which gives the same verdict
 * and the same error message as before. */

static const char *jws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A string without escapes or control characters; ASCII only (anything
 * else is left to jansson's UTF-8 checks). */
static const char *jplain_str(const char *p, const char **s, size_t *n)
{
	const char *b;

	if (*p != '"')
		return NULL;
	b = ++p;
	while ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f && *p != '"' && *p != '\\')
		p++;
	if (*p != '"')
		return NULL;
	*s = b;
	*n = (size_t)(p - b);
	return p + 1;
}

/* JSON's int grammar without the sign: 0 or [1-9][0-9]*, not followed by
 * a fraction or exponent; at most 10 digits (no overflow questions). */
static const char *jplain_uint(const char *p, uint64_t *v)
{
	const char *b = p;

	*v = 0;
	while (*p >= '0' && *p <= '9' && p - b < 11)
		*v = *v * 10 + (uint64_t)(*p++ - '0');
	if (p == b || p - b > 10 || (*b == '0' && p - b > 1) || *p == '.' || *p == 'e' ||
	    *p == 'E' || (*p >= '0' && *p <= '9'))
		return NULL;
	return p;
}

static bool lookup_fast(const char *value, const struct tenet_record *id,
			struct tenet_record *out)
{
	struct tenet_record r, *rec = &r;
	char sv[ARRAY_SIZE(lookup_fields) - 1][24];
	uint64_t vsid = 0;
	unsigned int seen = 0;
	struct tenet_lookup *l = &rec->lookup;
	const char *p = jws(value);
	const int nf = (int)ARRAY_SIZE(lookup_fields) - 1;

	if (*p++ != '{')
		return false;
	p = jws(p);
	if (*p == '}')
		return false; /* vsid missing: jansson's way says so */
	for (;;) {
		const char *name, *s;
		size_t nlen, slen;
		int f;

		p = jplain_str(p, &name, &nlen);
		if (!p)
			return false;
		p = jws(p);
		if (*p++ != ':')
			return false;
		p = jws(p);
		for (f = 0; f < nf; f++)
			if (strlen(lookup_fields[f].name) == nlen &&
			    !memcmp(lookup_fields[f].name, name, nlen))
				break;
		if (f < nf && (seen & 1u << f))
			return false; /* duplicate: jansson keeps the last one */
		if (*p == '"') {
			p = jplain_str(p, &s, &slen);
			if (!p || (f < nf && (f == LF_VSID || slen >= sizeof(sv[0]))))
				return false;
			if (f < nf) {
				memcpy(sv[f], s, slen);
				sv[f][slen] = '\0';
			}
		} else {
			uint64_t v;

			p = jplain_uint(p, &v);
			if (!p || (f < nf && f != LF_VSID))
				return false;
			if (f == LF_VSID)
				vsid = v;
		}
		if (f < nf)
			seen |= 1u << f;
		p = jws(p);
		if (*p == '}')
			break;
		if (*p++ != ',')
			return false;
		p = jws(p);
	}
	if (*jws(p + 1))
		return false;
	/* the field table's decode, in its order */
	memset(rec, 0, sizeof(*rec));
	if (!(seen & 1u << LF_VSID) || vsid < TENET_VSID_MIN || vsid > TENET_VSID_MAX)
		return false;
	l->vsid = (uint32_t)vsid;
	if ((~seen & ((1u << LF_TYPE) | (1u << LF_RULE) | (1u << LF_MAC) | (1u << LF_PA))) ||
	    tenet_lookup_type_parse(sv[LF_TYPE], &l->type, NULL) < 0 ||
	    tenet_lookup_rule_parse(sv[LF_RULE], &l->rule, NULL) < 0 ||
	    tenet_parse_mac(sv[LF_MAC], l->mac, NULL) < 0 ||
	    tenet_parse_ipv4(sv[LF_PA], &l->pa, NULL) < 0)
		return false;
	l->has_ca = seen & 1u << LF_CA;
	if ((l->type == TENET_LOOKUP_L2ONLY) == l->has_ca)
		return false;
	if (l->has_ca && tenet_parse_ipv4(sv[LF_CA], &l->ca, NULL) < 0)
		return false;
	rec->kind = TENET_KIND_LOOKUP;
	/* tenet_record_same_key: the key is vsid and CA, or vsid and MAC */
	if (id->kind != TENET_KIND_LOOKUP || id->lookup.vsid != l->vsid ||
	    id->lookup.has_ca != l->has_ca ||
	    (l->has_ca ? id->lookup.ca != l->ca : !!memcmp(id->lookup.mac, l->mac, TENET_MAC_LEN)))
		return false;
	*out = r;
	return true;
}

/* ---- rules ---- */

/* Everything a lookup write reads or changes is in its VSID's routing
 * domain (and which domain that is, is global). */
static int lookup_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	return pol_guard_vsid(c, rec->lookup.vsid, true);
}

/* The CA's place in its subnet: inside it, and not one of the addresses
 * the subnet itself uses. Gateway records may point outside: HNV's
 * gateway (wildcard) record stands for what lies beyond the VM network. */
static int check_ca(struct pctx *c, const struct tenet_lookup *l, const struct tenet_vsubnet *vs)
{
	uint32_t mask = tenet_prefix_mask(vs->prefix.len);
	uint32_t net = vs->prefix.addr, bcast = net | ~mask;
	uint32_t router = htonl(ntohl(net) + 1);
	char a[TENET_IPV4_STRLEN], p[TENET_PREFIX_STRLEN];

	tenet_fmt_ipv4(l->ca, a);
	tenet_fmt_prefix(&vs->prefix, p);
	if (!tenet_prefix_contains(&vs->prefix, l->ca)) {
		if (l->type == TENET_LOOKUP_GATEWAY)
			return 0;
		return tenet_err_set(c->err, -EINVAL, "ca %s: outside %s of vsid %u", a, p,
				     vs->vsid);
	}
	if (l->ca == router)
		return tenet_err_set(c->err, -EINVAL,
				     "ca %s: the distributed router's address in %s", a, p);
	if (l->ca == net || l->ca == bcast)
		return tenet_err_set(c->err, -EINVAL, "ca %s: the %s address of %s", a,
				     l->ca == net ? "network" : "broadcast", p);
	return 0;
}

static int check_lookup_fields(struct pctx *c, const struct tenet_lookup *l)
{
	char a[TENET_IPV4_STRLEN];
	int ret;

	ret = pol_check_vsid(c, l->vsid);
	if (ret == 0)
		ret = pol_check_mac(c, l->mac);
	if (ret < 0)
		return ret;
	if ((unsigned int)l->type > TENET_LOOKUP_DYNAMIC || (unsigned int)l->rule > TENET_RULE_NONE)
		return tenet_err_set(c->err, -EINVAL, "type: unknown record type or rule");
	if (l->type == TENET_LOOKUP_L2ONLY && l->has_ca)
		return tenet_err_set(c->err, -EINVAL, "ca %s: l2only records have no CA IP",
				     tenet_fmt_ipv4(l->ca, a));
	if (l->type != TENET_LOOKUP_L2ONLY && !l->has_ca)
		return tenet_err_set(c->err, -EINVAL, "ca: missing (only l2only records have none)");
	if (!l->pa)
		return tenet_err_set(c->err, -EINVAL, "pa 0.0.0.0: not a provider address");
	return 0;
}

/* Another record of the VSID with the same MAC is a conflict, except
 * what HNV learning makes: an l2only record and the dynamic records
 * learned through it (one per IP the MAC was seen with). */
static bool mac_conflict(const struct tenet_lookup *a, const struct tenet_lookup *b)
{
	if (memcmp(a->mac, b->mac, TENET_MAC_LEN))
		return false;
	if ((a->type == TENET_LOOKUP_L2ONLY && b->type == TENET_LOOKUP_DYNAMIC) ||
	    (b->type == TENET_LOOKUP_L2ONLY && a->type == TENET_LOOKUP_DYNAMIC) ||
	    (a->type == TENET_LOOKUP_DYNAMIC && b->type == TENET_LOOKUP_DYNAMIC))
		return false;
	return true;
}

/* A dynamic record is only learned through an l2only record of the same
 * VSID and MAC at the same PA: a host teaches bindings only for MACs it
 * holds. */
static int check_learned_l2only(struct pctx *c, const struct tenet_lookup *l)
{
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP }, l2;
	char m[TENET_MAC_STRLEN], a[TENET_IPV4_STRLEN], b[TENET_IPV4_STRLEN];
	int ret;

	id.lookup.vsid = l->vsid;
	id.lookup.type = TENET_LOOKUP_L2ONLY;
	memcpy(id.lookup.mac, l->mac, TENET_MAC_LEN);
	ret = pol_load(c, &id, &l2);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -EPERM, "mac %s: no l2only record in vsid %u; "
				     "not learned", tenet_fmt_mac(l->mac, m), l->vsid);
	if (ret < 0)
		return ret;
	if (l2.lookup.pa != l->pa)
		return tenet_err_set(c->err, -EPERM, "mac %s: its l2only record in vsid %u is at "
				     "pa %s, not %s; not learned", tenet_fmt_mac(l->mac, m),
				     l->vsid, tenet_fmt_ipv4(l2.lookup.pa, a),
				     tenet_fmt_ipv4(l->pa, b));
	return 0;
}

static int mac_used(struct pctx *c, const struct tenet_lookup *l, const struct tenet_lookup *o)
{
	char m[TENET_MAC_STRLEN], a[TENET_IPV4_STRLEN];

	tenet_fmt_mac(l->mac, m);
	if (o->has_ca)
		return tenet_err_set(c->err, -EEXIST, "mac %s: already used in vsid %u (ca %s)",
				     m, l->vsid, tenet_fmt_ipv4(o->ca, a));
	return tenet_err_set(c->err, -EEXIST, "mac %s: already used in vsid %u (l2only record)",
			     m, l->vsid);
}

/* In a run of writes (`tenet batch`) the VSID's records are read once
 * and followed (lib/policy/memo.c): the same answer without reading the
 * whole VSID for every add. */
static int check_mac_unique(struct pctx *c, const struct tenet_record *rec)
{
	const struct tenet_lookup *l = &rec->lookup;
	const struct tenet_record *found;
	struct tenet_record_list same;
	size_t i;
	int ret;

	if (c->memo) {
		ret = pol_memo_mac_conflict(c, rec, mac_conflict, &found);
		return ret < 0 ? ret : found ? mac_used(c, l, &found->lookup) : 0;
	}
	ret = pol_load_vsid_lookups(c, l->vsid, &same);
	if (ret < 0)
		return ret;
	for (i = 0; i < same.n; i++) {
		const struct tenet_lookup *o = &same.recs[i].lookup;

		if (tenet_record_same_key(&same.recs[i], rec) || !mac_conflict(o, l))
			continue;
		ret = mac_used(c, l, o);
		break;
	}
	tenet_record_list_free(&same);
	return ret;
}

/* The CA must be unique in the routing domain: one record per CA, in the
 * datapath's (routing domain, CA) map. */
static int check_ca_unique(struct pctx *c, const struct tenet_lookup *l, const char *rdomain)
{
	struct tenet_lookup o;
	char a[TENET_IPV4_STRLEN], m[TENET_MAC_STRLEN];
	int ret;

	ret = pol_find_ca(c, rdomain, l->ca, &o);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (o.vsid == l->vsid && (c->flags & TENET_POLICY_REPLACE)) {
		/* Learning never overrides what an operator configured. */
		if (l->type == TENET_LOOKUP_DYNAMIC && o.type != TENET_LOOKUP_DYNAMIC)
			return tenet_err_set(c->err, -EEXIST, "ca %s: already has a %s record in vsid %u",
					     tenet_fmt_ipv4(l->ca, a), tenet_lookup_type_name(o.type),
					     o.vsid);
		return 0;
	}
	return tenet_err_set(c->err, -EEXIST, "ca %s: already used in routing domain %s (vsid %u, mac %s)",
			     tenet_fmt_ipv4(l->ca, a), rdomain, o.vsid, tenet_fmt_mac(o.mac, m));
}

static int lookup_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_lookup *l = &in->lookup;
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l }, old;
	struct tenet_vsubnet vs;
	char m[TENET_MAC_STRLEN];
	int ret;

	ret = check_lookup_fields(c, l);
	if (ret == 0)
		ret = pol_need_vsubnet(c, l->vsid, &vs);
	if (ret == 0 && l->has_ca)
		ret = check_ca(c, l, &vs);
	if (ret == 0 && l->has_ca)
		ret = check_ca_unique(c, l, vs.rdomain);
	if (ret == 0 && l->type == TENET_LOOKUP_DYNAMIC)
		ret = check_learned_l2only(c, l);
	if (ret < 0)
		return ret;
	if (!l->has_ca) {
		ret = pol_load(c, &rec, &old);
		if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
			return tenet_err_set(c->err, -EEXIST,
					     "mac %s: already used in vsid %u (l2only record)",
					     tenet_fmt_mac(l->mac, m), l->vsid);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	}
	ret = check_mac_unique(c, &rec);
	if (ret == 0)
		ret = pol_txn_put(c, &rec);
	return ret;
}

/* By CA, or (no CA) every record of the VSID with the MAC. */
static int lookup_del(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_lookup *id = &in->lookup;
	struct tenet_record_list same = { 0 };
	struct tenet_vsubnet vs;
	char a[TENET_IPV4_STRLEN], m[TENET_MAC_STRLEN];
	size_t i, n = 0;
	int ret;

	ret = pol_check_vsid(c, id->vsid);
	if (ret == 0)
		ret = pol_need_vsubnet(c, id->vsid, &vs);
	if (ret == 0)
		ret = pol_load_vsid_lookups(c, id->vsid, &same);
	if (ret < 0)
		return ret;
	for (i = 0; i < same.n && ret == 0; i++) {
		const struct tenet_lookup *o = &same.recs[i].lookup;

		if (id->has_ca ? !(o->has_ca && o->ca == id->ca) :
				 memcmp(o->mac, id->mac, TENET_MAC_LEN) != 0)
			continue;
		n++;
		if (o->has_ca)
			ret = pol_drop_routes_via(c, vs.rdomain, o->ca);
		if (ret == 0)
			ret = pol_txn_del(c, &same.recs[i]);
	}
	if (ret == 0 && !n) {
		if (id->has_ca)
			ret = tenet_err_set(c->err, -ENOENT, "ca %s: no lookup record in vsid %u",
					    tenet_fmt_ipv4(id->ca, a), id->vsid);
		else
			ret = tenet_err_set(c->err, -ENOENT, "mac %s: no lookup record in vsid %u",
					    tenet_fmt_mac(id->mac, m), id->vsid);
	}
	tenet_record_list_free(&same);
	return ret;
}

const struct tenet_kind_desc tenet_kind_lookup = {
	.kind = TENET_KIND_LOOKUP,
	.name = "lookup",
	.scope = TENET_SCOPE_GLOBAL,
	.size = sizeof(struct tenet_lookup),
	.keys = lookup_keys,
	.nkeys = ARRAY_SIZE(lookup_keys),
	.fields = lookup_fields,
	.decode_order = lookup_decode_order,
	.check = lookup_check,
	.decode_fast = lookup_fast,
	.sort = lookup_sort,
	.guards = lookup_guards,
	.put = lookup_put,
	.del = lookup_del,
};

int tenet_policy_learned(struct tenet_store *s, const struct tenet_lookup *l, int64_t *rev,
			 struct tenet_err *err)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l };

	rec.lookup.type = TENET_LOOKUP_DYNAMIC;
	return tenet_policy_put(s, &rec, TENET_POLICY_REPLACE, rev, err);
}

/* Deletes the dynamic record at the binding's key if it still says what
 * the caller aged (same MAC and PA); anything else there is left. */
static int lookup_unlearn(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_lookup *l = &in->lookup;
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP, .lookup = *l }, cur;
	char a[TENET_IPV4_STRLEN];
	int ret;

	id.lookup.type = TENET_LOOKUP_DYNAMIC;
	ret = pol_load(c, &id, &cur);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "ca %s: no record in vsid %u",
				     tenet_fmt_ipv4(l->ca, a), l->vsid);
	if (ret < 0)
		return ret;
	if (cur.lookup.type != TENET_LOOKUP_DYNAMIC || cur.lookup.pa != l->pa ||
	    memcmp(cur.lookup.mac, l->mac, TENET_MAC_LEN))
		return tenet_err_set(c->err, -ESTALE, "ca %s: the record in vsid %u changed; "
				     "left as it is", tenet_fmt_ipv4(l->ca, a), l->vsid);
	return pol_txn_del(c, &cur);
}

int tenet_policy_unlearn(struct tenet_store *s, const struct tenet_lookup *l, int64_t *rev,
			 struct tenet_err *err)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l };

	if (!l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: missing (a learned binding has one)");
	return pol_run(s, &rec, lookup_unlearn, true, 0, rev, err);
}

/* ================= customer routes ================= */

static const struct tenet_field croute_fields[] = {
	TENET_FIELD(struct tenet_croute, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_croute, vsid, "vsid", TENET_FT_U32, .min = TENET_VSID_MIN,
		    .max = TENET_VSID_MAX),
	TENET_FIELD(struct tenet_croute, prefix, "prefix", TENET_FT_PREFIX),
	TENET_FIELD(struct tenet_croute, nexthop, "nexthop", TENET_FT_IPV4),
	TENET_FIELD(struct tenet_croute, metric, "metric", TENET_FT_U32,
		    .flags = TENET_F_OPTIONAL, .max = UINT32_MAX),
	{ NULL },
};

static const struct tenet_klayout croute_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_croute, rdomain, TENET_KP_NAME),
		     TENET_KPART(struct tenet_croute, prefix, TENET_KP_PREFIX) } },
};

static const struct tenet_sortkey croute_sort[] = {
	TENET_SORT(struct tenet_croute, rdomain, TENET_FT_NAME),
	TENET_SORT(struct tenet_croute, prefix, TENET_FT_PREFIX),
	{ TENET_FT_NONE },
};

/* A put checks the VSID's subnet (global) and the next hop's CA. */
static int croute_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = del ? 0 : pol_guard_global(c, false);

	return ret ? ret : pol_guard_rdomain(c, rec->croute.rdomain, true);
}

static int croute_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_croute *r = &in->croute;
	struct tenet_record rec = { .kind = TENET_KIND_CROUTE, .croute = *r }, old;
	struct tenet_vsubnet vs;
	struct tenet_lookup nh;
	char p[TENET_PREFIX_STRLEN], a[TENET_IPV4_STRLEN];
	int ret;

	tenet_fmt_prefix(&r->prefix, p);
	if (r->prefix.addr & ~tenet_prefix_mask(r->prefix.len))
		return tenet_err_set(c->err, -EINVAL, "prefix %s: host bits set", p);
	ret = pol_check_vsid(c, r->vsid);
	if (ret == 0)
		ret = pol_need_rdomain(c, r->rdomain, NULL);
	if (ret == 0)
		ret = pol_need_vsubnet(c, r->vsid, &vs);
	if (ret < 0)
		return ret;
	if (strcmp(vs.rdomain, r->rdomain))
		return tenet_err_set(c->err, -EINVAL, "vsid %u: in routing domain %s, not %s",
				     r->vsid, vs.rdomain, r->rdomain);
	/* 0.0.0.0 is on-link; any other next hop must be a known CA. */
	if (r->nexthop) {
		ret = pol_find_ca(c, r->rdomain, r->nexthop, &nh);
		if (ret == -ENOENT)
			return tenet_err_set(c->err, -ENOENT,
					     "nexthop %s: no lookup record in routing domain %s",
					     tenet_fmt_ipv4(r->nexthop, a), r->rdomain);
		if (ret < 0)
			return ret;
	}
	ret = pol_load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST,
				     "prefix %s: already routed in routing domain %s (nexthop %s)",
				     p, r->rdomain, tenet_fmt_ipv4(old.croute.nexthop, a));
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return pol_txn_put(c, &rec);
}

static int croute_del(struct pctx *c, struct tenet_record *id)
{
	char p[TENET_PREFIX_STRLEN], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "prefix %s: no customer route in routing domain %s",
		 tenet_fmt_prefix(&id->croute.prefix, p), id->croute.rdomain);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_croute = {
	.kind = TENET_KIND_CROUTE,
	.name = "croute",
	.scope = TENET_SCOPE_GLOBAL,
	.size = sizeof(struct tenet_croute),
	.keys = croute_keys,
	.nkeys = ARRAY_SIZE(croute_keys),
	.fields = croute_fields,
	.sort = croute_sort,
	.guards = croute_guards,
	.put = croute_put,
	.del = croute_del,
};

/* ================= typed codecs ================= */

json_t *tenet_rdomain_to_json(const struct tenet_rdomain *r)
{
	return tenet_codec_to_json(&tenet_kind_rdomain, r);
}

json_t *tenet_vsubnet_to_json(const struct tenet_vsubnet *v)
{
	return tenet_codec_to_json(&tenet_kind_vsubnet, v);
}

json_t *tenet_lookup_to_json(const struct tenet_lookup *l)
{
	return tenet_codec_to_json(&tenet_kind_lookup, l);
}

json_t *tenet_croute_to_json(const struct tenet_croute *c)
{
	return tenet_codec_to_json(&tenet_kind_croute, c);
}

int tenet_rdomain_from_json(const json_t *j, struct tenet_rdomain *r, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_rdomain, j, r, err);
}

int tenet_vsubnet_from_json(const json_t *j, struct tenet_vsubnet *v, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_vsubnet, j, v, err);
}

int tenet_lookup_from_json(const json_t *j, struct tenet_lookup *l, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_lookup, j, l, err);
}

int tenet_croute_from_json(const json_t *j, struct tenet_croute *c, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_croute, j, c, err);
}

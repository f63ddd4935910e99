// SPDX-License-Identifier: GPL-2.0
/* Site-to-site VPN: the rows of the registry of S2S interfaces and of
 * hosts' public keys (fields, keys, listing order, guard keys, rules; docs/vpn.md),
 * the parsers of their values, and the names derived from them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "kinds/s2s.h"
#include "policy/engine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small values ---- */

static const char *const auth_names[] = { "psk", "cert", "eap" };
static const struct tenet_enum auths = {
	.names = auth_names, .n = ARRAY_SIZE(auth_names),
	.invalid = "not an authentication method (psk, cert, eap)",
};

static const char *const mode_names[] = { "both", "initiator", "responder" };
static const struct tenet_enum modes = {
	.names = mode_names, .n = ARRAY_SIZE(mode_names),
	.invalid = "not a mode (both, initiator, responder)",
};

const char *tenet_s2s_auth_name(int auth)
{
	return tenet_enum_name(&auths, auth);
}

const char *tenet_s2s_mode_name(int mode)
{
	return tenet_enum_name(&modes, mode);
}

int tenet_s2s_auth_parse(const char *s, int *auth, struct tenet_err *err)
{
	return tenet_enum_parse(&auths, s, auth, err);
}

int tenet_s2s_mode_parse(const char *s, int *mode, struct tenet_err *err)
{
	return tenet_enum_parse(&modes, s, mode, err);
}

int tenet_s2s_devname(uint32_t id, char *buf, size_t len)
{
	int n = snprintf(buf, len, TENET_S2S_DEV_PFX "%u", id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tenet_s2s_conn_name(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, TENET_S2S_CONN_PFX "%s", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *tenet_s2s_conn_iface(const char *conn)
{
	size_t n = strlen(TENET_S2S_CONN_PFX);

	if (!conn || strncmp(conn, TENET_S2S_CONN_PFX, n) || !conn[n])
		return NULL;
	return conn + n;
}

int tenet_s2s_secret_context(const char *host, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, TENET_KEY_HOST "%s/s2s/%s#secret", host, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* RFC 1123 host names: labels of letters, digits and '-', not starting
 * or ending with '-', 1..63 each, at least one letter somewhere (so that
 * a mistyped address is not taken for a name). */
static bool dns_name(const char *s)
{
	size_t label = 0;
	bool alpha = false;
	char prev = '.';

	if (!*s || strlen(s) > TENET_S2S_DEST_MAX)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (!label || prev == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-') {
			if (*p == '-' && !label)
				return false;
			if (++label > 63)
				return false;
			alpha |= isalpha((unsigned char)*p) != 0;
		} else {
			return false;
		}
		prev = *p;
	}
	return label && prev != '-' && alpha;
}

int tenet_s2s_parse_destination(const char *s, uint32_t *addr, struct tenet_err *err)
{
	*addr = 0;
	if (tenet_parse_ipv4(s, addr, NULL) == 0) {
		if (!tenet_ipv4_is_unicast(*addr))
			return tenet_err_set(err, -EINVAL, "not a unicast address");
		return 0;
	}
	*addr = 0;
	if (!dns_name(s))
		return tenet_err_set(err, -EINVAL, "not an IPv4 address or a DNS name");
	return 0;
}

/* The attribute types strongSwan's X.500 parser knows (asn1/oid
 * names), in the spelling people write them. */
static const char *const dn_types[] = {
	"C", "ST", "S", "L", "O", "OU", "CN", "E", "Email", "emailAddress", "DC", "SN",
	"G", "GN", "I", "T", "UID", "serialNumber", "N", "D", "ID", "dnQualifier",
	"pseudonym", "postalCode", "street", "title", "description", "name", "surname",
	"givenName", "initials", "generationQualifier",
};

int tenet_s2s_check_subject(const char *s, struct tenet_err *err)
{
	char buf[TENET_S2S_PEER_MAX + 1];
	char *save = NULL, *rdn;
	int n = 0;

	if (!*s)
		return tenet_err_set(err, -EINVAL, "empty");
	if (strlen(s) > TENET_S2S_PEER_MAX)
		return tenet_err_set(err, -EINVAL, "longer than %u bytes", TENET_S2S_PEER_MAX);
	snprintf(buf, sizeof(buf), "%s", s);
	for (rdn = strtok_r(buf, ",/", &save); rdn; rdn = strtok_r(NULL, ",/", &save)) {
		char *eq = strchr(rdn, '='), *t = rdn, *v, *end;
		bool known = false;

		while (*t == ' ')
			t++;
		if (!eq)
			return tenet_err_set(err, -EINVAL, "'%s' is not TYPE=value", t);
		for (end = eq; end > t && end[-1] == ' '; end--)
			;
		*end = '\0';
		for (v = eq + 1; *v == ' '; v++)
			;
		for (size_t i = 0; i < ARRAY_SIZE(dn_types); i++)
			known |= !strcasecmp(t, dn_types[i]);
		if (!known)
			return tenet_err_set(err, -EINVAL, "'%s' is not an attribute type (C, O, OU, CN, ...)",
					     t);
		if (!*v)
			return tenet_err_set(err, -EINVAL, "%s has no value", t);
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return tenet_err_set(err, -EINVAL, "contains a control character");
		n++;
	}
	if (!n)
		return tenet_err_set(err, -EINVAL, "no TYPE=value in it");
	return 0;
}

int tenet_s2s_check_user(const char *s, struct tenet_err *err)
{
	if (!*s)
		return tenet_err_set(err, -EINVAL, "empty");
	if (strlen(s) > TENET_S2S_PEER_MAX)
		return tenet_err_set(err, -EINVAL, "longer than %u bytes", TENET_S2S_PEER_MAX);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"')
			return tenet_err_set(err, -EINVAL, "white space, a quote or a control character in it");
	return 0;
}

int tenet_s2s_parse_route(const char *s, struct tenet_s2s_route *r, struct tenet_err *err)
{
	char buf[TENET_PREFIX_STRLEN + 12];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return tenet_err_set(err, -EINVAL, "not PREFIX[:METRIC]");
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (tenet_parse_prefix(buf, &r->prefix, err) < 0)
		return -EINVAL;
	r->metric = TENET_S2S_METRIC_DEFAULT;
	if (colon && tenet_parse_u32(colon + 1, 0, TENET_S2S_METRIC_MAX, &r->metric, err) < 0)
		return tenet_err_prefix(err, -EINVAL, "metric");
	return 0;
}

/* ================= S2S interfaces ================= */

static const struct tenet_field route_fields[] = {
	TENET_FIELD(struct tenet_s2s_route, prefix, "prefix", TENET_FT_PREFIX),
	TENET_FIELD(struct tenet_s2s_route, metric, "metric", TENET_FT_U32, .min = 0,
		    .max = TENET_S2S_METRIC_MAX),
	{ NULL },
};

static const struct tenet_field s2s_rate_fields[] = {
	TENET_RATE_SUBFIELDS(struct tenet_s2s, rate),
};

static const struct tenet_field s2s_fields[] = {
	TENET_FIELD(struct tenet_s2s, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_s2s, name, "name", TENET_FT_NAME),
	TENET_FIELD(struct tenet_s2s, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_s2s, id, "id", TENET_FT_U32, .min = 1, .max = TENET_S2S_ID_MAX),
	TENET_FIELD(struct tenet_s2s, destination, "destination", TENET_FT_TEXT),
	TENET_FIELD(struct tenet_s2s, source, "source", TENET_FT_IPV4,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_s2s, source)),
	TENET_FIELD(struct tenet_s2s, auth, "auth", TENET_FT_ENUM, .enumdef = &auths),
	TENET_FIELD(struct tenet_s2s, peer, "peer", TENET_FT_TEXT,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .when_off = offsetof(struct tenet_s2s, peer),
		    .when_size = 1),
	TENET_FIELD(struct tenet_s2s, secret, "secret", TENET_FT_TEXT,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT,
		    .when_off = offsetof(struct tenet_s2s, secret), .when_size = 1),
	TENET_FIELD(struct tenet_s2s, mode, "mode", TENET_FT_ENUM, .enumdef = &modes),
	TENET_FIELD(struct tenet_s2s, dpd, "dpd", TENET_FT_U32, .min = 0, .max = 3600),
	TENET_FIELD(struct tenet_s2s, retry, "retry", TENET_FT_U32, .min = 1, .max = 3600),
	TENET_ARRAY(struct tenet_s2s, routes, nroutes, "routes", route_fields,
		    .flags = TENET_F_OPTIONAL),
	TENET_ARRAY(struct tenet_s2s, post, npost, "postconnect", route_fields,
		    .flags = TENET_F_OPTIONAL),
	/* absent in records older than rate limits: the default applies */
	TENET_RATE_FIELD(struct tenet_s2s, rate, "rate", s2s_rate_fields),
	{ NULL },
};

static int check_routes(const struct tenet_s2s *s, struct tenet_err *err)
{
	const struct tenet_s2s_route *all[2 * TENET_S2S_ROUTES_MAX];
	char p[TENET_PREFIX_STRLEN];
	size_t n = 0;

	for (uint16_t i = 0; i < s->nroutes && i < TENET_S2S_ROUTES_MAX; i++)
		all[n++] = &s->routes[i];
	for (uint16_t i = 0; i < s->npost && i < TENET_S2S_ROUTES_MAX; i++)
		all[n++] = &s->post[i];
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (all[i]->prefix.addr == all[j]->prefix.addr &&
			    all[i]->prefix.len == all[j]->prefix.len)
				return tenet_err_set(err, -EINVAL, "route %s: given twice",
						     tenet_fmt_prefix(&all[i]->prefix, p));
	return 0;
}

/* What the authentication method needs; the rest of the record's shape. */
static int s2s_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_s2s *s = obj;
	uint32_t addr;
	int ret;

	ret = tenet_s2s_parse_destination(s->destination, &addr, err);
	if (ret < 0)
		return tenet_err_prefix(err, ret, "destination %s", s->destination);
	if (s->auth == TENET_S2S_PSK && !addr)
		return tenet_err_set(err, -EINVAL,
				     "destination %s: a PSK interface is found by its peer's address, "
				     "so its destination must be an IPv4 address", s->destination);
	if (s->auth == TENET_S2S_PSK && s->peer[0])
		return tenet_err_set(err, -EINVAL, "peer: not used with psk");
	if (s->auth == TENET_S2S_CERT && (ret = tenet_s2s_check_subject(s->peer, err)) < 0)
		return tenet_err_prefix(err, ret, "peer (certificate subject)");
	if (s->auth == TENET_S2S_EAP && (ret = tenet_s2s_check_user(s->peer, err)) < 0)
		return tenet_err_prefix(err, ret, "peer (EAP user)");
	if (s->auth == TENET_S2S_EAP && s->mode != TENET_S2S_RESPONDER)
		return tenet_err_set(err, -EINVAL, "mode %s: an EAP interface only answers (IKEv2's "
				     "EAP authenticates the initiator, the site)",
				     tenet_s2s_mode_name(s->mode));
	if (s->auth == TENET_S2S_CERT && s->secret[0])
		return tenet_err_set(err, -EINVAL, "secret: not used with cert");
	if (s->auth != TENET_S2S_CERT && !s->secret[0])
		return tenet_err_set(err, -EINVAL, "secret: missing (%s needs one)",
				     tenet_s2s_auth_name(s->auth));
	if (s->secret[0] && (ret = tenet_sealed_parse(s->secret, NULL, err)) < 0)
		return tenet_err_prefix(err, ret, "secret");
	if (s->source && !tenet_ipv4_is_unicast(s->source))
		return tenet_err_set(err, -EINVAL, "source: not a unicast address");
	if ((ret = tenet_rate_check(&s->rate, err)) < 0)
		return tenet_err_prefix(err, ret, "rate");
	return check_routes(s, err);
}

static const struct tenet_klayout s2s_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_s2s, name, TENET_KP_NAME) } },
};

static const struct tenet_sortkey s2s_sort[] = {
	TENET_SORT(struct tenet_s2s, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_s2s, rdomain, TENET_FT_NAME),
	TENET_SORT(struct tenet_s2s, name, TENET_FT_NAME),
	{ TENET_FT_NONE },
};

/* A put reads the routing domain (global) and the host's compartments
 * and interfaces. */
static int s2s_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = 0;

	if (!del)
		ret = pol_guard_global(c, false);
	return ret ? ret : pol_guard_host(c, rec->s2s.host, true);
}

/* Two interfaces of a tenant cannot put the same prefix at the same
 * metric into its table (the kernel holds one route per table, prefix
 * and metric): the metric says which is preferred. */
static int check_route_clash(struct pctx *c, const struct tenet_s2s *s, const struct tenet_s2s *o)
{
	const struct tenet_s2s_route *lists[2][2] = { { s->routes, s->post }, { o->routes, o->post } };
	uint16_t ns[2] = { s->nroutes, s->npost }, no[2] = { o->nroutes, o->npost };
	char p[TENET_PREFIX_STRLEN];

	if (strcmp(s->rdomain, o->rdomain))
		return 0;
	for (int a = 0; a < 2; a++)
		for (uint16_t i = 0; i < ns[a] && i < TENET_S2S_ROUTES_MAX; i++)
			for (int b = 0; b < 2; b++)
				for (uint16_t j = 0; j < no[b] && j < TENET_S2S_ROUTES_MAX; j++) {
					const struct tenet_s2s_route *x = &lists[0][a][i], *y = &lists[1][b][j];

					if (x->prefix.addr == y->prefix.addr && x->prefix.len == y->prefix.len &&
					    x->metric == y->metric)
						return tenet_err_set(c->err, -EEXIST,
								     "route %s metric %u: already on interface %s "
								     "(give one of them another metric)",
								     tenet_fmt_prefix(&x->prefix, p), x->metric,
								     o->name);
				}
	return 0;
}

/* How an incoming connection finds its interface must stay unambiguous
 * on the host: one PSK interface per peer address, one certificate
 * interface per subject, one EAP interface per user. Assigns the id of a
 * new interface (one more than the highest). */
static int check_siblings(struct pctx *c, struct tenet_s2s *s, const struct tenet_s2s **old,
			  const struct tenet_record_list *all)
{
	uint32_t max = 0;

	*old = NULL;
	for (size_t i = 0; i < all->n; i++) {
		const struct tenet_s2s *o = &all->recs[i].s2s;

		if (o->id > max)
			max = o->id;
		if (!strcmp(o->name, s->name))
			*old = o;
	}
	if (*old && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST, "s2s %s: already exists on host %s",
				     s->name, s->host);
	if (!*old && (c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -ENOENT, "s2s %s: no such interface on host %s",
				     s->name, s->host);
	if (*old && strcmp((*old)->rdomain, s->rdomain))
		return tenet_err_set(c->err, -EINVAL,
				     "s2s %s: its routing domain cannot change (delete and add it again)",
				     s->name);
	for (size_t i = 0; i < all->n; i++) {
		const struct tenet_s2s *o = &all->recs[i].s2s;

		if (o == *old)
			continue;
		if (s->auth == TENET_S2S_PSK && o->auth == TENET_S2S_PSK &&
		    !strcmp(o->destination, s->destination))
			return tenet_err_set(c->err, -EEXIST,
					     "destination %s: already the peer of PSK interface %s "
					     "(a PSK peer is identified by its address)",
					     s->destination, o->name);
		if (s->auth == o->auth && s->auth != TENET_S2S_PSK && !strcmp(o->peer, s->peer))
			return tenet_err_set(c->err, -EEXIST, "peer %s: already identifies interface %s",
					     s->peer, o->name);
		if (check_route_clash(c, s, o) < 0)
			return -EEXIST;
	}
	if (*old) {
		s->id = (*old)->id;
		return 0;
	}
	if (max >= TENET_S2S_ID_MAX)
		return tenet_err_set(c->err, -ENOSPC, "host %s: no S2S interface id left", s->host);
	s->id = max + 1;
	return 0;
}

static int s2s_put(struct pctx *c, struct tenet_record *in)
{
	struct tenet_s2s *s = &in->s2s;
	struct tenet_record rec = { .kind = TENET_KIND_S2S };
	struct tenet_record_list all = { 0 };
	const struct tenet_s2s *old = NULL;
	int ret;

	if (tenet_check_name(s->host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", s->host);
	ret = s2s_check(s, c->err);
	if (!ret)
		ret = pol_need_rdomain(c, s->rdomain, NULL);
	if (!ret)
		ret = pol_compartment_of(c, s->host, s->rdomain, NULL);
	if (!ret)
		ret = pol_load_kind(c, TENET_KIND_S2S, s->host, &all);
	if (!ret)
		ret = check_siblings(c, s, &old, &all);
	rec.s2s = *s;
	if (!ret)
		ret = pol_txn_put(c, &rec);
	tenet_record_list_free(&all);
	return ret;
}

static int s2s_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];
	int ret;

	snprintf(msg, sizeof(msg), "s2s %s: no such interface on host %s", id->s2s.name,
		 id->s2s.host);
	ret = pol_del_existing(c, id, msg);
	return ret ? ret : pol_del_filters(c, id->s2s.host, TENET_FILTER_S2S, id->s2s.name);
}

int pol_del_s2s(struct pctx *c, const char *host, const char *rdomain)
{
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_S2S, host, &all);
	for (size_t i = 0; ret == 0 && i < all.n; i++)
		if (!strcmp(all.recs[i].s2s.rdomain, rdomain)) {
			ret = pol_txn_del(c, &all.recs[i]);
			if (!ret)
				ret = pol_del_filters(c, host, TENET_FILTER_S2S, all.recs[i].s2s.name);
		}
	tenet_record_list_free(&all);
	return ret;
}

const struct tenet_kind_desc tenet_kind_s2s = {
	.kind = TENET_KIND_S2S,
	.name = "s2s",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_s2s),
	.host_off = offsetof(struct tenet_s2s, host),
	.keys = s2s_keys,
	.nkeys = ARRAY_SIZE(s2s_keys),
	.fields = s2s_fields,
	.check = s2s_check,
	.sort = s2s_sort,
	.guards = s2s_guards,
	.put = s2s_put,
	.del = s2s_del,
};

/* ================= host public keys ================= */

static const struct tenet_field pubkey_fields[] = {
	TENET_FIELD(struct tenet_pubkey, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_pubkey, id, "id", TENET_FT_TEXT),
	TENET_FIELD(struct tenet_pubkey, pubkey, "public", TENET_FT_TEXT),
	{ NULL },
};

static int pubkey_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_pubkey *k = obj;
	char id[TENET_KEY_ID_LEN + 1];
	int ret = tenet_pubkey_id(k->pubkey, id, err);

	if (ret < 0)
		return tenet_err_prefix(err, ret, "public");
	if (strcmp(id, k->id))
		return tenet_err_set(err, -EINVAL, "id: not the id of the public key (%s)", id);
	return 0;
}

/* One per host: /tenet/v1/host/<host>/pubkey/x25519. */
static const struct tenet_klayout pubkey_keys[] = {
	{ .parts = { TENET_KLIT("x25519") } },
};

static const struct tenet_sortkey pubkey_sort[] = {
	TENET_SORT(struct tenet_pubkey, host, TENET_FT_NAME),
	{ TENET_FT_NONE },
};

static int pubkey_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	return pol_guard_host(c, rec->pubkey.host, true);
}

static int pubkey_put(struct pctx *c, struct tenet_record *in)
{
	int ret;

	if (tenet_check_name(in->pubkey.host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name",
				     in->pubkey.host);
	ret = pubkey_check(&in->pubkey, c->err);
	return ret ? ret : pol_txn_put(c, in);
}

static int pubkey_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "host %s: no host key published", id->pubkey.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_pubkey = {
	.kind = TENET_KIND_PUBKEY,
	.name = "pubkey",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_pubkey),
	.host_off = offsetof(struct tenet_pubkey, host),
	.keys = pubkey_keys,
	.nkeys = ARRAY_SIZE(pubkey_keys),
	.fields = pubkey_fields,
	.check = pubkey_check,
	.sort = pubkey_sort,
	.guards = pubkey_guards,
	.put = pubkey_put,
	.del = pubkey_del,
};

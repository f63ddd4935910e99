// SPDX-License-Identifier: GPL-2.0
/* Remote-access VPN: the rows of the registry of tenants' RA settings,
 * RADIUS servers and the gateway-wide cap (fields, keys, listing order,
 * guard keys, rules; docs/vpn.md "Remote access"), the parsers of their
 * values, tenant-name matching, and the names derived from them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "kinds/codec.h"
#include "kinds/ravpn.h"
#include "kinds/record.h"
#include "policy/engine.h"
#include "secret/secret.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tenant names ---- */

bool tenet_ravpn_match(const char *p, const char *s)
{
	/* the last '*' seen and where the text stood then: backtrack there */
	const char *star = NULL, *mark = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			mark = s;
		} else if (*p && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++mark;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

/* The book's tenant names are like *Contoso* and *Woodgrove*: some
 * odd user name ("ContosoWoodgrove") always matches two such patterns,
 * so disjointness cannot be the rule. Two patterns clash when one
 * matches the other read as a user name, with or without its stars:
 * the same name, or one that takes in the other (*Contoso* and *Cont*,
 * Cont* and *Contoso*). */
static void unstarred(const char *p, char *out, size_t len)
{
	size_t n = 0;

	for (; *p && n + 1 < len; p++)
		if (*p != '*')
			out[n++] = *p;
	out[n] = '\0';
}

bool tenet_ravpn_overlap(const char *a, const char *b)
{
	char sa[TENET_RAVPN_PATTERN_MAX + 1], sb[TENET_RAVPN_PATTERN_MAX + 1];

	unstarred(a, sa, sizeof(sa));
	unstarred(b, sb, sizeof(sb));
	return tenet_ravpn_match(a, b) || tenet_ravpn_match(b, a) || tenet_ravpn_match(a, sb) ||
	       tenet_ravpn_match(b, sa);
}

bool tenet_ravpn_class_names_tenant(const void *data, size_t len)
{
	size_t pl = strlen(TENET_RAVPN_CLASS_PFX);

	/* charon's eap-radius ignores a Class of 44 bytes or more (NPS puts
	 * other data there): such a Class selects nothing */
	return len > pl && len < 44 && !memcmp(data, TENET_RAVPN_CLASS_PFX, pl);
}

int tenet_ravpn_pick(const char *user, const struct tenet_ravpn *const *t, size_t n,
		     struct tenet_err *err)
{
	int found = -1;

	for (size_t i = 0; i < n; i++) {
		if (!t[i]->tenant[0] || !tenet_ravpn_match(t[i]->tenant, user))
			continue;
		if (found >= 0)
			return tenet_err_set(err, -EEXIST,
					     "no RADIUS Class and its name matches the tenant names "
					     "of both %s (%s) and %s (%s)",
					     t[found]->rdomain, t[found]->tenant, t[i]->rdomain,
					     t[i]->tenant);
		found = (int)i;
	}
	if (found < 0)
		return tenet_err_set(err, -ENOENT,
				     "no RADIUS Class and its name matches no tenant name");
	return found;
}

int tenet_ravpn_check_pattern(const char *s, struct tenet_err *err)
{
	bool lit = false;

	if (!*s)
		return tenet_err_set(err, -EINVAL, "empty");
	if (strlen(s) > TENET_RAVPN_PATTERN_MAX)
		return tenet_err_set(err, -EINVAL, "longer than %u bytes", TENET_RAVPN_PATTERN_MAX);
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return tenet_err_set(err, -EINVAL,
					     "white space, a quote, a backslash or a control character in it");
		lit |= *p != '*';
	}
	if (!lit)
		return tenet_err_set(err, -EINVAL, "matches every user name (give some text besides '*')");
	return 0;
}

int tenet_ravpn_check_pool6(const char *s, struct tenet_err *err)
{
	char buf[TENET_RAVPN_POOL6_MAX + 1], *slash;
	unsigned char a[16];
	uint32_t len;

	if (strlen(s) >= sizeof(buf) || !(slash = strchr(strcpy(buf, s), '/')))
		return tenet_err_set(err, -EINVAL, "not an IPv6 prefix (ADDRESS/LEN)");
	*slash = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return tenet_err_set(err, -EINVAL, "not an IPv6 prefix (ADDRESS/LEN)");
	if (tenet_parse_u32(slash + 1, 64, 126, &len, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "prefix length: not 64..126");
	for (uint32_t bit = len; bit < 128; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return tenet_err_set(err, -EINVAL, "host bits set (the prefix is a network)");
	return 0;
}

int tenet_ravpn_parse_server(const char *s, uint32_t *addr, uint16_t *port,
			     struct tenet_err *err)
{
	char buf[TENET_IPV4_STRLEN + 8], *colon;
	uint32_t p = TENET_RAVPN_RADIUS_PORT;

	if (strlen(s) >= sizeof(buf))
		return tenet_err_set(err, -EINVAL, "not ADDRESS[:PORT]");
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (tenet_parse_ipv4(buf, addr, err) < 0)
		return -EINVAL;
	if (!tenet_ipv4_is_unicast(*addr))
		return tenet_err_set(err, -EINVAL, "not a unicast address");
	if (colon && tenet_parse_u32(colon + 1, 1, 65535, &p, err) < 0)
		return tenet_err_prefix(err, -EINVAL, "port");
	*port = (uint16_t)p;
	return 0;
}

/* ---- names ---- */

int tenet_ravpn_devname(uint32_t cid, char *buf, size_t len)
{
	int n = snprintf(buf, len, TENET_RAVPN_DEV_PFX "%u", cid);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tenet_ravpn_conn_name(const char *rdomain, char *buf, size_t len)
{
	int n = snprintf(buf, len, TENET_RAVPN_CONN_PFX "%s", rdomain);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

const char *tenet_ravpn_conn_rdomain(const char *conn)
{
	size_t n = strlen(TENET_RAVPN_CONN_PFX);

	if (!conn || strncmp(conn, TENET_RAVPN_CONN_PFX, n) || !conn[n])
		return NULL;
	return conn + n;
}

int tenet_ravpn_secret_context(const char *host, uint32_t server, uint16_t port, char *buf,
			       size_t len)
{
	char a[TENET_IPV4_STRLEN];
	int n = snprintf(buf, len, TENET_KEY_HOST "%s/ravpnradius/%s_%u#secret", host,
			 tenet_fmt_ipv4(server, a), port);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ================= a tenant's remote access ================= */

static const struct tenet_field dns_fields[] = {
	TENET_FIELD(struct tenet_ravpn_dns, addr, "addr", TENET_FT_IPV4),
	{ NULL },
};

static const struct tenet_field ravpn_rate_fields[] = {
	TENET_RATE_SUBFIELDS(struct tenet_ravpn, rate),
};

static const struct tenet_field ravpn_fields[] = {
	TENET_FIELD(struct tenet_ravpn, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_ravpn, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_ravpn, pool, "pool", TENET_FT_PREFIX,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_ravpn, pool)),
	TENET_FIELD(struct tenet_ravpn, pool6, "pool6", TENET_FT_TEXT,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT,
		    .when_off = offsetof(struct tenet_ravpn, pool6), .when_size = 1),
	TENET_FIELD(struct tenet_ravpn, tenant, "tenant-name", TENET_FT_TEXT,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT,
		    .when_off = offsetof(struct tenet_ravpn, tenant), .when_size = 1),
	TENET_FIELD(struct tenet_ravpn, max, "max", TENET_FT_U32, .flags = TENET_F_OPTIONAL,
		    .min = 0, .max = TENET_RAVPN_MAX_CONN),
	TENET_ARRAY(struct tenet_ravpn, dns, ndns, "dns", dns_fields, .flags = TENET_F_OPTIONAL),
	/* absent: no limit (records older than the limit have none) */
	TENET_RATE_FIELD(struct tenet_ravpn, rate, "rate", ravpn_rate_fields),
	{ NULL },
};

static int ravpn_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_ravpn *r = obj;
	char p[TENET_PREFIX_STRLEN];
	int ret;

	if (!r->pool.len && !r->pool6[0])
		return tenet_err_set(err, -EINVAL, "pool: missing (give pool, pool6 or both)");
	if (r->pool.len && (r->pool.len < 8 || r->pool.len > 30))
		return tenet_err_set(err, -EINVAL, "pool %s: not /8../30",
				     tenet_fmt_prefix(&r->pool, p));
	if (r->pool.len && !tenet_ipv4_is_unicast(r->pool.addr))
		return tenet_err_set(err, -EINVAL, "pool %s: not unicast addresses",
				     tenet_fmt_prefix(&r->pool, p));
	if (r->pool6[0] && (ret = tenet_ravpn_check_pool6(r->pool6, err)) < 0)
		return tenet_err_prefix(err, ret, "pool6 %s", r->pool6);
	if (r->tenant[0] && (ret = tenet_ravpn_check_pattern(r->tenant, err)) < 0)
		return tenet_err_prefix(err, ret, "tenant-name");
	for (uint16_t i = 0; i < r->ndns && i < TENET_RAVPN_DNS_MAX; i++)
		if (!tenet_ipv4_is_unicast(r->dns[i].addr))
			return tenet_err_set(err, -EINVAL, "dns: not a unicast address");
	if ((ret = tenet_rate_check(&r->rate, err)) < 0)
		return tenet_err_prefix(err, ret, "rate");
	return 0;
}

static const struct tenet_klayout ravpn_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_ravpn, rdomain, TENET_KP_NAME) } },
};

static const struct tenet_sortkey ravpn_sort[] = {
	TENET_SORT(struct tenet_ravpn, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_ravpn, rdomain, TENET_FT_NAME),
	{ TENET_FT_NONE },
};

static int ravpn_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = 0;

	if (!del)
		ret = pol_guard_global(c, false);
	return ret ? ret : pol_guard_host(c, rec->ravpn.host, true);
}

/* Tenant names are unique per gateway: no user name may match two. */
static int check_tenants(struct pctx *c, const struct tenet_ravpn *r)
{
	struct tenet_record_list all;
	int ret;

	if (!r->tenant[0])
		return 0;
	ret = pol_load_kind(c, TENET_KIND_RAVPN, r->host, &all);
	for (size_t i = 0; ret == 0 && i < all.n; i++) {
		const struct tenet_ravpn *o = &all.recs[i].ravpn;

		if (strcmp(o->rdomain, r->rdomain) && o->tenant[0] &&
		    tenet_ravpn_overlap(o->tenant, r->tenant))
			ret = tenet_err_set(c->err, -EEXIST,
					    "tenant-name %s: clashes with %s (tenant %s): tenant names "
					    "are unique per gateway",
					    r->tenant, o->tenant, o->rdomain);
	}
	tenet_record_list_free(&all);
	return ret;
}

static int ravpn_put(struct pctx *c, struct tenet_record *in)
{
	struct tenet_ravpn *r = &in->ravpn;
	int ret;

	if (tenet_check_name(r->host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", r->host);
	ret = ravpn_check(r, c->err);
	if (!ret)
		ret = pol_need_rdomain(c, r->rdomain, NULL);
	if (!ret)
		ret = pol_compartment_of(c, r->host, r->rdomain, NULL);
	if (!ret)
		ret = check_tenants(c, r);
	return ret ? ret : pol_txn_put(c, in);
}

static int ravpn_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "ravpn %s: no remote access configured on host %s",
		 id->ravpn.rdomain, id->ravpn.host);
	return pol_del_existing(c, id, msg);
}

int pol_del_ravpn(struct pctx *c, const char *host, const char *rdomain)
{
	struct tenet_record id = { .kind = TENET_KIND_RAVPN }, old;
	int ret;

	snprintf(id.ravpn.host, sizeof(id.ravpn.host), "%s", host);
	snprintf(id.ravpn.rdomain, sizeof(id.ravpn.rdomain), "%s", rdomain);
	ret = pol_load(c, &id, &old);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : pol_txn_del(c, &old);
}

const struct tenet_kind_desc tenet_kind_ravpn = {
	.kind = TENET_KIND_RAVPN,
	.name = "ravpn",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_ravpn),
	.host_off = offsetof(struct tenet_ravpn, host),
	.keys = ravpn_keys,
	.nkeys = ARRAY_SIZE(ravpn_keys),
	.fields = ravpn_fields,
	.check = ravpn_check,
	.sort = ravpn_sort,
	.guards = ravpn_guards,
	.put = ravpn_put,
	.del = ravpn_del,
};

/* ================= RADIUS servers ================= */

static const struct tenet_field radius_fields[] = {
	TENET_FIELD(struct tenet_ravpnradius, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_ravpnradius, server, "server", TENET_FT_IPV4),
	TENET_FIELD(struct tenet_ravpnradius, port, "port", TENET_FT_U16, .min = 1, .max = 65535),
	TENET_FIELD(struct tenet_ravpnradius, secret, "secret", TENET_FT_TEXT),
	{ NULL },
};

static int radius_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_ravpnradius *r = obj;
	int ret;

	if (!tenet_ipv4_is_unicast(r->server))
		return tenet_err_set(err, -EINVAL, "server: not a unicast address");
	if (!r->secret[0])
		return tenet_err_set(err, -EINVAL, "secret: missing");
	ret = tenet_sealed_parse(r->secret, NULL, err);
	return ret < 0 ? tenet_err_prefix(err, ret, "secret") : 0;
}

static const struct tenet_klayout radius_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_ravpnradius, server, TENET_KP_IPV4),
		     TENET_KPART(struct tenet_ravpnradius, port, TENET_KP_PORT, .sep = '_') } },
};

static const struct tenet_sortkey radius_sort[] = {
	TENET_SORT(struct tenet_ravpnradius, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_ravpnradius, server, TENET_FT_IPV4),
	TENET_SORT(struct tenet_ravpnradius, port, TENET_FT_U16),
	{ TENET_FT_NONE },
};

static int host_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);

	/* the union's members share its address */
	return pol_guard_host(c, (const char *)&rec->ravpngw + d->host_off, true);
}

static int radius_put(struct pctx *c, struct tenet_record *in)
{
	int ret;

	if (tenet_check_name(in->ravpnradius.host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name",
				     in->ravpnradius.host);
	ret = radius_check(&in->ravpnradius, c->err);
	return ret ? ret : pol_txn_put(c, in);
}

static int radius_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN], a[TENET_IPV4_STRLEN];

	snprintf(msg, sizeof(msg), "ravpn radius %s:%u: no such server on host %s",
		 tenet_fmt_ipv4(id->ravpnradius.server, a), id->ravpnradius.port,
		 id->ravpnradius.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_ravpnradius = {
	.kind = TENET_KIND_RAVPNRADIUS,
	.name = "ravpnradius",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_ravpnradius),
	.host_off = offsetof(struct tenet_ravpnradius, host),
	.keys = radius_keys,
	.nkeys = ARRAY_SIZE(radius_keys),
	.fields = radius_fields,
	.check = radius_check,
	.sort = radius_sort,
	.guards = host_guards,
	.put = radius_put,
	.del = radius_del,
};

/* ================= the gateway-wide cap ================= */

static const struct tenet_field gwcap_fields[] = {
	TENET_FIELD(struct tenet_ravpngw, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_ravpngw, max, "max", TENET_FT_U32, .min = 0,
		    .max = TENET_RAVPN_MAX_CONN),
	{ NULL },
};

static const struct tenet_klayout gwcap_keys[] = {
	{ .parts = { TENET_KLIT("gateway") } },
};

static const struct tenet_sortkey gwcap_sort[] = {
	TENET_SORT(struct tenet_ravpngw, host, TENET_FT_NAME),
	{ TENET_FT_NONE },
};

static int gwcap_put(struct pctx *c, struct tenet_record *in)
{
	if (tenet_check_name(in->ravpngw.host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name",
				     in->ravpngw.host);
	return pol_txn_put(c, in);
}

static int gwcap_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "ravpn limit: none set on host %s", id->ravpngw.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_ravpngw = {
	.kind = TENET_KIND_RAVPNGW,
	.name = "ravpngw",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_ravpngw),
	.host_off = offsetof(struct tenet_ravpngw, host),
	.keys = gwcap_keys,
	.nkeys = ARRAY_SIZE(gwcap_keys),
	.fields = gwcap_fields,
	.sort = gwcap_sort,
	.guards = host_guards,
	.put = gwcap_put,
	.del = gwcap_del,
};

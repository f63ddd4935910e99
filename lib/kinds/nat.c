// SPDX-License-Identifier: GPL-2.0
/* NAT of gateway compartments: the rows of the registry of a
 * compartment's NAT and of its static inbound mappings (fields, keys,
 * listing order, guard keys, rules; docs/gateway.md), and the parsers of
 * their values on the command line. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "policy/engine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small values ---- */

static const char *const proto_names[] = { "tcp", "udp" };
static const int proto_values[] = { IPPROTO_TCP, IPPROTO_UDP };

static const struct tenet_enum protos = {
	.names = proto_names, .values = proto_values, .n = ARRAY_SIZE(proto_names),
	.invalid = "not a protocol (tcp, udp)",
};

const char *tenet_proto_name(uint8_t proto)
{
	return tenet_enum_name(&protos, proto);
}

int tenet_proto_parse(const char *s, uint8_t *proto, struct tenet_err *err)
{
	int v = 0, ret = tenet_enum_parse(&protos, s, &v, err);

	if (ret == 0)
		*proto = (uint8_t)v;
	return ret;
}

static int parse_port(const char *s, uint16_t *port, struct tenet_err *err)
{
	uint32_t v;
	int ret = tenet_parse_u32(s, 1, 65535, &v, err);

	if (ret == 0)
		*port = (uint16_t)v;
	return ret;
}

int tenet_parse_ip_port(const char *s, uint32_t *ip, uint16_t *port, struct tenet_err *err)
{
	char buf[32];
	char *colon;

	if (strlen(s) >= sizeof(buf) || !(colon = strchr(strcpy(buf, s), ':')))
		return tenet_err_set(err, -EINVAL, "not IP:PORT");
	*colon = '\0';
	if (tenet_parse_ipv4(buf, ip, err) < 0)
		return -EINVAL;
	if (parse_port(colon + 1, port, err) < 0)
		return tenet_err_prefix(err, -EINVAL, "port");
	return 0;
}

int tenet_parse_port_range(const char *s, uint16_t *min, uint16_t *max, struct tenet_err *err)
{
	char buf[16];
	char *dash;

	if (strlen(s) >= sizeof(buf))
		return tenet_err_set(err, -EINVAL, "not a port range (A-B)");
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_port(buf, min, err) < 0)
		return -EINVAL;
	*max = *min;
	if (dash && parse_port(dash + 1, max, err) < 0)
		return -EINVAL;
	if (*max < *min)
		return tenet_err_set(err, -ERANGE, "range ends before it starts");
	return 0;
}

/* ---- shared rules ---- */

static int check_host(struct pctx *c, const char *host)
{
	if (tenet_check_name(host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", host);
	return 0;
}

/* The compartment of rdomain on host: 0, or -ENOENT with the message. */
static int rdomain_compartment(struct pctx *c, const char *host, const char *rdomain)
{
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_COMPARTMENT, host, &all);
	if (ret < 0)
		return ret;
	ret = tenet_err_set(c->err, -ENOENT, "rdomain %s: no compartment on host %s", rdomain,
			    host);
	for (size_t i = 0; i < all.n; i++) {
		if (!strcmp(all.recs[i].compartment.rdomain, rdomain)) {
			tenet_err_clear(c->err);
			ret = 0;
			break;
		}
	}
	tenet_record_list_free(&all);
	return ret;
}


/* ================= NAT ================= */

static const struct tenet_field nat_fields[] = {
	TENET_FIELD(struct tenet_nat, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_nat, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_nat, external, "external", TENET_FT_IPV4),
	TENET_FIELD(struct tenet_nat, via, "via", TENET_FT_IPV4,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_nat, via)),
	/* The range is written whole or not at all. */
	TENET_FIELD(struct tenet_nat, port_min, "port_min", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 65535,
		    TENET_WHEN(struct tenet_nat, port_min)),
	TENET_FIELD(struct tenet_nat, port_max, "port_max", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 65535,
		    TENET_WHEN(struct tenet_nat, port_min)),
	{ NULL },
};

static int nat_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_nat *n = obj;

	if (n->port_min && !n->port_max)
		return tenet_err_set(err, -EINVAL, "port_max: missing");
	if (n->port_max && (!n->port_min || n->port_max < n->port_min))
		return tenet_err_set(err, -EINVAL, "port_max: not a range with port_min");
	return 0;
}

static const struct tenet_klayout nat_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_nat, rdomain, TENET_KP_NAME) } },
};

static const struct tenet_sortkey nat_sort[] = {
	TENET_SORT(struct tenet_nat, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_nat, rdomain, TENET_FT_NAME),
	{ TENET_FT_NONE },
};

static int nat_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	return pol_guard_host(c, rec->nat.host, true);
}

static int nat_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_nat *n = &in->nat;
	struct tenet_record rec = { .kind = TENET_KIND_NAT, .nat = *n }, old;
	char a[TENET_IPV4_STRLEN];
	int ret;

	ret = check_host(c, n->host);
	if (!ret)
		ret = pol_check_unicast(c, "external", n->external);
	if (!ret && n->via)
		ret = pol_check_unicast(c, "via", n->via);
	if (!ret && (n->port_max < n->port_min || (n->port_max && !n->port_min)))
		ret = tenet_err_set(c->err, -EINVAL, "ports %u-%u: not a range", n->port_min,
				    n->port_max);
	if (!ret)
		ret = rdomain_compartment(c, n->host, n->rdomain);
	if (ret)
		return ret;
	ret = pol_load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST, "rdomain %s: already has nat on host %s (external %s)",
				     n->rdomain, n->host, tenet_fmt_ipv4(old.nat.external, a));
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return pol_txn_put(c, &rec);
}

static int nat_del(struct pctx *c, struct tenet_record *id)
{
	struct tenet_record old;
	struct tenet_record_list maps;
	size_t n = 0;
	int ret;

	ret = pol_load(c, id, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "rdomain %s: no nat on host %s",
				     id->nat.rdomain, id->nat.host);
	if (ret < 0 && ret != -EBADMSG)
		return ret;
	ret = pol_load_kind(c, TENET_KIND_NATMAP, id->nat.host, &maps);
	for (size_t i = 0; ret == 0 && i < maps.n; i++)
		n += !strcmp(maps.recs[i].natmap.rdomain, id->nat.rdomain);
	tenet_record_list_free(&maps);
	if (ret == 0 && n && !(c->flags & TENET_POLICY_FORCE))
		return tenet_err_set(c->err, -ENOTEMPTY,
				     "rdomain %s: still has %zu inbound mapping%s (use force)",
				     id->nat.rdomain, n, n == 1 ? "" : "s");
	if (ret == 0)
		ret = pol_del_natmaps(c, id->nat.host, id->nat.rdomain);
	return ret ? ret : pol_txn_del(c, id);
}

const struct tenet_kind_desc tenet_kind_nat = {
	.kind = TENET_KIND_NAT,
	.name = "nat",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_nat),
	.host_off = offsetof(struct tenet_nat, host),
	.keys = nat_keys,
	.nkeys = ARRAY_SIZE(nat_keys),
	.fields = nat_fields,
	.check = nat_check,
	.sort = nat_sort,
	.guards = nat_guards,
	.put = nat_put,
	.del = nat_del,
};

/* ================= inbound mappings ================= */

static const struct tenet_field natmap_fields[] = {
	TENET_FIELD(struct tenet_natmap, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_natmap, rdomain, "rdomain", TENET_FT_NAME),
	TENET_FIELD(struct tenet_natmap, proto, "proto", TENET_FT_ENUM, .enumdef = &protos),
	TENET_FIELD(struct tenet_natmap, external, "external", TENET_FT_IPV4),
	TENET_FIELD(struct tenet_natmap, ext_port, "external_port", TENET_FT_U16, .min = 1,
		    .max = 65535),
	TENET_FIELD(struct tenet_natmap, ca, "ca", TENET_FT_IPV4),
	TENET_FIELD(struct tenet_natmap, ca_port, "ca_port", TENET_FT_U16, .min = 1,
		    .max = 65535),
	{ NULL },
};

/* One component: "tcp_203.0.113.10_8080". */
static const struct tenet_klayout natmap_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_natmap, proto, TENET_KP_ENUM, .enumdef = &protos),
		     TENET_KPART(struct tenet_natmap, external, TENET_KP_IPV4, .sep = '_'),
		     TENET_KPART(struct tenet_natmap, ext_port, TENET_KP_PORT, .sep = '_') } },
};

static const struct tenet_sortkey natmap_sort[] = {
	TENET_SORT(struct tenet_natmap, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_natmap, external, TENET_FT_IPV4),
	TENET_SORT(struct tenet_natmap, proto, TENET_FT_ENUM),
	TENET_SORT(struct tenet_natmap, ext_port, TENET_FT_U16),
	{ TENET_FT_NONE },
};

/* A put checks the CA in the routing domain (and its subnets, global). */
static int natmap_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = 0;

	if (!del) {
		ret = pol_guard_global(c, false);
		if (ret == 0)
			ret = pol_guard_rdomain(c, rec->natmap.rdomain, false);
	}
	return ret ? ret : pol_guard_host(c, rec->natmap.host, true);
}

static const char *map_desc(const struct tenet_natmap *m, char *buf, size_t len)
{
	char a[TENET_IPV4_STRLEN];

	snprintf(buf, len, "external %s %s:%u", tenet_proto_name(m->proto),
		 tenet_fmt_ipv4(m->external, a), m->ext_port);
	return buf;
}

static int natmap_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_natmap *m = &in->natmap;
	struct tenet_record rec = { .kind = TENET_KIND_NATMAP, .natmap = *m }, old, nat;
	struct tenet_lookup ca;
	char d[96], a[TENET_IPV4_STRLEN];
	int ret;

	ret = check_host(c, m->host);
	if (!ret && m->proto != IPPROTO_TCP && m->proto != IPPROTO_UDP)
		ret = tenet_err_set(c->err, -EINVAL, "proto %u: not tcp or udp", m->proto);
	if (!ret && (!m->ext_port || !m->ca_port))
		ret = tenet_err_set(c->err, -EINVAL, "port 0: not a port");
	if (!ret)
		ret = pol_check_unicast(c, "external", m->external);
	if (!ret)
		ret = rdomain_compartment(c, m->host, m->rdomain);
	if (ret)
		return ret;
	nat.kind = TENET_KIND_NAT;
	memset(&nat.nat, 0, sizeof(nat.nat));
	strcpy(nat.nat.host, m->host);
	strcpy(nat.nat.rdomain, m->rdomain);
	ret = pol_load(c, &nat, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT,
				     "rdomain %s: no nat on host %s (tenet nat add first)",
				     m->rdomain, m->host);
	if (ret < 0)
		return ret;
	ret = pol_find_ca(c, m->rdomain, m->ca, &ca);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "ca %s: no lookup record in routing domain %s",
				     tenet_fmt_ipv4(m->ca, a), m->rdomain);
	if (ret < 0)
		return ret;
	ret = pol_load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST, "%s: already mapped to %s:%u in %s",
				     map_desc(m, d, sizeof(d)),
				     tenet_fmt_ipv4(old.natmap.ca, a), old.natmap.ca_port,
				     old.natmap.rdomain);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return pol_txn_put(c, &rec);
}

static int natmap_del(struct pctx *c, struct tenet_record *id)
{
	char d[96], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "%s: no inbound mapping on host %s",
		 map_desc(&id->natmap, d, sizeof(d)), id->natmap.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_natmap = {
	.kind = TENET_KIND_NATMAP,
	.name = "natmap",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_natmap),
	.host_off = offsetof(struct tenet_natmap, host),
	.keys = natmap_keys,
	.nkeys = ARRAY_SIZE(natmap_keys),
	.fields = natmap_fields,
	.sort = natmap_sort,
	.guards = natmap_guards,
	.put = natmap_put,
	.del = natmap_del,
};

/* ================= typed codecs ================= */

json_t *tenet_nat_to_json(const struct tenet_nat *n)
{
	return tenet_codec_to_json(&tenet_kind_nat, n);
}

json_t *tenet_natmap_to_json(const struct tenet_natmap *m)
{
	return tenet_codec_to_json(&tenet_kind_natmap, m);
}

int tenet_nat_from_json(const json_t *j, struct tenet_nat *n, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_nat, j, n, err);
}

int tenet_natmap_from_json(const json_t *j, struct tenet_natmap *m, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_natmap, j, m, err);
}

// SPDX-License-Identifier: GPL-2.0
/* Policy records: keys and JSON codecs. See docs/store.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/record.h"
#include "kinds/record_int.h"

static const char *const kind_names[TENET_KIND_MAX] = {
	[TENET_KIND_RDOMAIN] = "rdomain", [TENET_KIND_VSUBNET] = "vsubnet",
	[TENET_KIND_LOOKUP] = "lookup",   [TENET_KIND_CROUTE] = "croute",
	[TENET_KIND_PA] = "pa",           [TENET_KIND_PROUTE] = "proute",
	[TENET_KIND_PORT] = "port",
	[TENET_KIND_COMPARTMENT] = "compartment", [TENET_KIND_NAT] = "nat",
	[TENET_KIND_NATMAP] = "natmap",
};

static const char *const type_names[] = {
	[TENET_LOOKUP_STATIC] = "static",   [TENET_LOOKUP_L2ONLY] = "l2only",
	[TENET_LOOKUP_GATEWAY] = "gateway", [TENET_LOOKUP_DYNAMIC] = "dynamic",
};

static const char *const rule_names[] = {
	[TENET_RULE_ENCAP] = "encap",
	[TENET_RULE_NONE] = "none",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *tenet_kind_name(enum tenet_kind kind)
{
	return kind > TENET_KIND_NONE && kind < TENET_KIND_MAX ? kind_names[kind] : NULL;
}

const char *tenet_lookup_type_name(enum tenet_lookup_type t)
{
	return (unsigned int)t < ARRAY_SIZE(type_names) ? type_names[t] : "unknown";
}

const char *tenet_lookup_rule_name(enum tenet_lookup_rule r)
{
	return (unsigned int)r < ARRAY_SIZE(rule_names) ? rule_names[r] : "unknown";
}

int tenet_lookup_type_parse(const char *s, enum tenet_lookup_type *t, struct tenet_err *err)
{
	unsigned int i;

	for (i = 0; s && i < ARRAY_SIZE(type_names); i++) {
		if (!strcmp(s, type_names[i])) {
			*t = (enum tenet_lookup_type)i;
			return 0;
		}
	}
	return tenet_err_set(err, -EINVAL, "not a record type (static, l2only, gateway, dynamic)");
}

int tenet_lookup_rule_parse(const char *s, enum tenet_lookup_rule *r, struct tenet_err *err)
{
	unsigned int i;

	for (i = 0; s && i < ARRAY_SIZE(rule_names); i++) {
		if (!strcmp(s, rule_names[i])) {
			*r = (enum tenet_lookup_rule)i;
			return 0;
		}
	}
	return tenet_err_set(err, -EINVAL, "not a rule (encap, none)");
}

/* ---- keys ---- */

static int key_printf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int key_printf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Prefixes appear in keys as A.B.C.D_LEN: one path component. */
static char *key_prefix(const struct tenet_prefix *p, char buf[TENET_PREFIX_STRLEN])
{
	tenet_fmt_prefix(p, buf);
	*strchr(buf, '/') = '_';
	return buf;
}

int tenet_record_key(const struct tenet_record *rec, char *buf, size_t len)
{
	char a[TENET_PREFIX_STRLEN];

	switch (rec->kind) {
	case TENET_KIND_RDOMAIN:
		return key_printf(buf, len, TENET_KEY_GLOBAL "rdomain/%s", rec->rdomain.name);
	case TENET_KIND_VSUBNET:
		return key_printf(buf, len, TENET_KEY_GLOBAL "vsubnet/%08u", rec->vsubnet.vsid);
	case TENET_KIND_LOOKUP:
		if (rec->lookup.has_ca)
			return key_printf(buf, len, TENET_KEY_GLOBAL "lookup/%08u/ip/%s",
					  rec->lookup.vsid, tenet_fmt_ipv4(rec->lookup.ca, a));
		return key_printf(buf, len, TENET_KEY_GLOBAL "lookup/%08u/mac/%s",
				  rec->lookup.vsid, tenet_fmt_mac(rec->lookup.mac, a));
	case TENET_KIND_CROUTE:
		return key_printf(buf, len, TENET_KEY_GLOBAL "croute/%s/%s", rec->croute.rdomain,
				  key_prefix(&rec->croute.prefix, a));
	case TENET_KIND_PA:
		return key_printf(buf, len, TENET_KEY_HOST "%s/pa/%s", rec->pa.host,
				  tenet_fmt_ipv4(rec->pa.addr.addr, a));
	case TENET_KIND_PROUTE:
		return key_printf(buf, len, TENET_KEY_HOST "%s/proute/%s", rec->proute.host,
				  key_prefix(&rec->proute.prefix, a));
	case TENET_KIND_PORT:
		return key_printf(buf, len, TENET_KEY_HOST "%s/port/%s", rec->port.host,
				  rec->port.dev);
	default:
		return tenet_gw_record_key(rec, buf, len);
	}
}

int tenet_kind_prefix(enum tenet_kind kind, const char *host, char *buf, size_t len)
{
	switch (kind) {
	case TENET_KIND_RDOMAIN:
	case TENET_KIND_VSUBNET:
	case TENET_KIND_LOOKUP:
	case TENET_KIND_CROUTE:
		return key_printf(buf, len, TENET_KEY_GLOBAL "%s/", kind_names[kind]);
	case TENET_KIND_PA:
	case TENET_KIND_PROUTE:
	case TENET_KIND_PORT:
	case TENET_KIND_COMPARTMENT:
	case TENET_KIND_NAT:
	case TENET_KIND_NATMAP:
		if (!host)
			return key_printf(buf, len, TENET_KEY_HOST);
		return key_printf(buf, len, TENET_KEY_HOST "%s/%s/", host, kind_names[kind]);
	default:
		return -EINVAL;
	}
}

int tenet_lookup_vsid_prefix(uint32_t vsid, char *buf, size_t len)
{
	return key_printf(buf, len, TENET_KEY_GLOBAL "lookup/%08u/", vsid);
}

/* Splits "a/b/c" into at most max components in place; returns how many,
 * or -1 if there are more than max or one is empty. */
static int split(char *s, char **parts, int max)
{
	int n = 0;

	for (;;) {
		char *slash = strchr(s, '/');

		if (n == max || !*s)
			return -1;
		parts[n++] = s;
		if (!slash)
			return n;
		*slash = '\0';
		s = slash + 1;
	}
}

static int key_vsid(const char *s, uint32_t *vsid)
{
	uint32_t v = 0;
	int i;

	if (strlen(s) != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v < TENET_VSID_MIN || v > TENET_VSID_MAX)
		return -1;
	*vsid = v;
	return 0;
}

static int key_pfx(char *s, struct tenet_prefix *p)
{
	char *u = strchr(s, '_');

	if (!u)
		return -1;
	*u = '/';
	return tenet_parse_prefix(s, p, NULL);
}

static int copy_name(char *dst, const char *src)
{
	if (tenet_check_name(src, NULL) < 0)
		return -1;
	strcpy(dst, src);
	return 0;
}

static int global_from_key(char **p, int n, struct tenet_record *rec)
{
	if (n == 2 && !strcmp(p[0], "rdomain")) {
		rec->kind = TENET_KIND_RDOMAIN;
		return copy_name(rec->rdomain.name, p[1]);
	}
	if (n == 2 && !strcmp(p[0], "vsubnet")) {
		rec->kind = TENET_KIND_VSUBNET;
		return key_vsid(p[1], &rec->vsubnet.vsid);
	}
	if (n == 4 && !strcmp(p[0], "lookup")) {
		struct tenet_lookup *l = &rec->lookup;

		rec->kind = TENET_KIND_LOOKUP;
		if (key_vsid(p[1], &l->vsid) < 0)
			return -1;
		if (!strcmp(p[2], "ip")) {
			l->has_ca = true;
			return tenet_parse_ipv4(p[3], &l->ca, NULL);
		}
		l->type = TENET_LOOKUP_L2ONLY;
		return strcmp(p[2], "mac") ? -1 : tenet_parse_mac(p[3], l->mac, NULL);
	}
	if (n == 3 && !strcmp(p[0], "croute")) {
		rec->kind = TENET_KIND_CROUTE;
		if (copy_name(rec->croute.rdomain, p[1]) < 0)
			return -1;
		return key_pfx(p[2], &rec->croute.prefix);
	}
	return -1;
}

static int host_from_key(char **p, int n, struct tenet_record *rec)
{
	if (n != 3)
		return -1;
	if (!strcmp(p[1], "pa")) {
		rec->kind = TENET_KIND_PA;
		rec->pa.addr.len = 32;
		return copy_name(rec->pa.host, p[0]) < 0 ? -1 :
		       tenet_parse_ipv4(p[2], &rec->pa.addr.addr, NULL);
	}
	if (!strcmp(p[1], "proute")) {
		rec->kind = TENET_KIND_PROUTE;
		return copy_name(rec->proute.host, p[0]) < 0 ? -1 :
		       key_pfx(p[2], &rec->proute.prefix);
	}
	if (!strcmp(p[1], "port")) {
		rec->kind = TENET_KIND_PORT;
		if (copy_name(rec->port.host, p[0]) < 0 || tenet_check_ifname(p[2], NULL) < 0)
			return -1;
		strcpy(rec->port.dev, p[2]);
		return 0;
	}
	return tenet_gw_host_from_key(p, n, rec);
}

int tenet_record_from_key(const char *key, struct tenet_record *rec, struct tenet_err *err)
{
	char buf[TENET_KEY_MAX];
	const char *whole = key;
	char *parts[5];
	size_t klen;
	int n, ret;
	bool global;

	memset(rec, 0, sizeof(*rec));
	global = !strncmp(key, TENET_KEY_GLOBAL, strlen(TENET_KEY_GLOBAL));
	if (!global && strncmp(key, TENET_KEY_HOST, strlen(TENET_KEY_HOST)))
		return tenet_err_set(err, -ENOENT, "%s: not a policy record key", key);
	key += global ? strlen(TENET_KEY_GLOBAL) : strlen(TENET_KEY_HOST);
	klen = strlen(key);
	if (klen >= sizeof(buf))
		goto bad;
	memcpy(buf, key, klen + 1);
	n = split(buf, parts, 5);
	if (n < 0)
		goto bad;
	ret = global ? global_from_key(parts, n, rec) : host_from_key(parts, n, rec);
	if (ret < 0)
		goto bad;
	return 0;
bad:
	memset(rec, 0, sizeof(*rec));
	return tenet_err_set(err, -EINVAL, "%s: malformed record key", whole);
}

bool tenet_record_same_key(const struct tenet_record *a, const struct tenet_record *b)
{
	char ka[TENET_KEY_MAX], kb[TENET_KEY_MAX];

	if (a->kind != b->kind)
		return false;
	if (tenet_record_key(a, ka, sizeof(ka)) < 0 || tenet_record_key(b, kb, sizeof(kb)) < 0)
		return false;
	return !strcmp(ka, kb);
}

/* ---- JSON encoding ---- */

static json_t *jip(uint32_t addr)
{
	char buf[TENET_IPV4_STRLEN];

	return json_string(tenet_fmt_ipv4(addr, buf));
}

static json_t *jprefix(const struct tenet_prefix *p)
{
	char buf[TENET_PREFIX_STRLEN];

	return json_string(tenet_fmt_prefix(p, buf));
}

static json_t *jmac(const uint8_t *mac)
{
	char buf[TENET_MAC_STRLEN];

	return json_string(tenet_fmt_mac(mac, buf));
}

/* json_object_set_new steals the value even on failure; one check at the
 * end (a NULL member makes the set fail) is enough. */
static json_t *jfinish(json_t *o, int failures)
{
	if (failures) {
		json_decref(o);
		return NULL;
	}
	return o;
}

#define JSET(o, name, v) (json_object_set_new((o), (name), (v)) != 0)

json_t *tenet_rdomain_to_json(const struct tenet_rdomain *r)
{
	char guid[TENET_GUID_STRLEN];
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "name", json_string(r->name));
	f += JSET(o, "guid", json_string(tenet_fmt_guid(r->guid, guid)));
	f += JSET(o, "id", json_integer(r->id));
	return jfinish(o, f);
}

json_t *tenet_vsubnet_to_json(const struct tenet_vsubnet *v)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "vsid", json_integer(v->vsid));
	f += JSET(o, "rdomain", json_string(v->rdomain));
	f += JSET(o, "prefix", jprefix(&v->prefix));
	return jfinish(o, f);
}

json_t *tenet_lookup_to_json(const struct tenet_lookup *l)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "vsid", json_integer(l->vsid));
	if (l->has_ca)
		f += JSET(o, "ca", jip(l->ca));
	f += JSET(o, "mac", jmac(l->mac));
	f += JSET(o, "pa", jip(l->pa));
	f += JSET(o, "type", json_string(tenet_lookup_type_name(l->type)));
	f += JSET(o, "rule", json_string(tenet_lookup_rule_name(l->rule)));
	return jfinish(o, f);
}

json_t *tenet_croute_to_json(const struct tenet_croute *c)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "rdomain", json_string(c->rdomain));
	f += JSET(o, "vsid", json_integer(c->vsid));
	f += JSET(o, "prefix", jprefix(&c->prefix));
	f += JSET(o, "nexthop", jip(c->nexthop));
	f += JSET(o, "metric", json_integer(c->metric));
	return jfinish(o, f);
}

json_t *tenet_pa_to_json(const struct tenet_pa *p)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "host", json_string(p->host));
	f += JSET(o, "address", jprefix(&p->addr));
	f += JSET(o, "dev", json_string(p->dev));
	f += JSET(o, "vlan", json_integer(p->vlan));
	return jfinish(o, f);
}

json_t *tenet_proute_to_json(const struct tenet_proute *p)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "host", json_string(p->host));
	f += JSET(o, "prefix", jprefix(&p->prefix));
	f += JSET(o, "dev", json_string(p->dev));
	/* On-link routes have no "via" at all rather than a 0.0.0.0 one. */
	if (p->via)
		f += JSET(o, "via", jip(p->via));
	return jfinish(o, f);
}

json_t *tenet_port_to_json(const struct tenet_port *p)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "host", json_string(p->host));
	f += JSET(o, "dev", json_string(p->dev));
	f += JSET(o, "vsid", json_integer(p->vsid));
	f += JSET(o, "mac", jmac(p->mac));
	return jfinish(o, f);
}

json_t *tenet_record_to_json(const struct tenet_record *rec)
{
	switch (rec->kind) {
	case TENET_KIND_RDOMAIN:
		return tenet_rdomain_to_json(&rec->rdomain);
	case TENET_KIND_VSUBNET:
		return tenet_vsubnet_to_json(&rec->vsubnet);
	case TENET_KIND_LOOKUP:
		return tenet_lookup_to_json(&rec->lookup);
	case TENET_KIND_CROUTE:
		return tenet_croute_to_json(&rec->croute);
	case TENET_KIND_PA:
		return tenet_pa_to_json(&rec->pa);
	case TENET_KIND_PROUTE:
		return tenet_proute_to_json(&rec->proute);
	case TENET_KIND_PORT:
		return tenet_port_to_json(&rec->port);
	default:
		return tenet_gw_record_to_json(rec);
	}
}

/* ---- JSON decoding ---- */

/* A string member; NULL with *ret = 0 when optional and absent. */
static const char *jstr(const json_t *j, const char *name, bool required, int *ret,
			struct tenet_err *err)
{
	json_t *v = json_object_get(j, name);

	*ret = 0;
	if (!v) {
		if (required)
			*ret = tenet_err_set(err, -EINVAL, "%s: missing", name);
		return NULL;
	}
	if (!json_is_string(v)) {
		*ret = tenet_err_set(err, -EINVAL, "%s: not a string", name);
		return NULL;
	}
	return json_string_value(v);
}

static int jint(const json_t *j, const char *name, bool required, uint32_t min, uint32_t max,
		uint32_t *out, struct tenet_err *err)
{
	json_t *v = json_object_get(j, name);
	json_int_t i;

	if (!v)
		return required ? tenet_err_set(err, -EINVAL, "%s: missing", name) : 0;
	if (!json_is_integer(v))
		return tenet_err_set(err, -EINVAL, "%s: not an integer", name);
	i = json_integer_value(v);
	if (i < (json_int_t)min || i > (json_int_t)max)
		return tenet_err_set(err, -ERANGE, "%s: outside %u..%u", name, min, max);
	*out = (uint32_t)i;
	return 0;
}

/* Reads a string member and hands it to a parser; errors name the member. */
#define JPARSE(j, name, required, parse, out, err)                                 \
	({                                                                         \
		int _r;                                                            \
		const char *_s = jstr((j), (name), (required), &_r, (err));        \
		if (_r == 0 && _s) {                                               \
			_r = parse(_s, (out), (err));                              \
			if (_r < 0)                                                \
				tenet_err_prefix((err), _r, "%s", (name));         \
		}                                                                  \
		_r;                                                                \
	})

static int parse_name_into(const char *s, char *dst, struct tenet_err *err)
{
	int ret = tenet_check_name(s, err);

	if (ret == 0)
		strcpy(dst, s);
	return ret;
}

static int parse_ifname_into(const char *s, char *dst, struct tenet_err *err)
{
	int ret = tenet_check_ifname(s, err);

	if (ret == 0)
		strcpy(dst, s);
	return ret;
}

static int need_object(const json_t *j, struct tenet_err *err)
{
	return json_is_object(j) ? 0 : tenet_err_set(err, -EINVAL, "value is not a JSON object");
}

static int jvsid(const json_t *j, uint32_t *vsid, struct tenet_err *err)
{
	return jint(j, "vsid", true, TENET_VSID_MIN, TENET_VSID_MAX, vsid, err);
}

int tenet_rdomain_from_json(const json_t *j, struct tenet_rdomain *r, struct tenet_err *err)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = need_object(j, err);
	if (!ret)
		ret = JPARSE(j, "name", true, parse_name_into, r->name, err);
	if (!ret)
		ret = JPARSE(j, "guid", true, tenet_parse_guid, r->guid, err);
	if (!ret)
		ret = jint(j, "id", true, 1, UINT32_MAX, &r->id, err);
	return ret;
}

int tenet_vsubnet_from_json(const json_t *j, struct tenet_vsubnet *v, struct tenet_err *err)
{
	int ret;

	memset(v, 0, sizeof(*v));
	ret = need_object(j, err);
	if (!ret)
		ret = jvsid(j, &v->vsid, err);
	if (!ret)
		ret = JPARSE(j, "rdomain", true, parse_name_into, v->rdomain, err);
	if (!ret)
		ret = JPARSE(j, "prefix", true, tenet_parse_prefix, &v->prefix, err);
	return ret;
}

static int parse_type(const char *s, enum tenet_lookup_type *t, struct tenet_err *err)
{
	return tenet_lookup_type_parse(s, t, err);
}

static int parse_rule(const char *s, enum tenet_lookup_rule *r, struct tenet_err *err)
{
	return tenet_lookup_rule_parse(s, r, err);
}

int tenet_lookup_from_json(const json_t *j, struct tenet_lookup *l, struct tenet_err *err)
{
	int ret;

	memset(l, 0, sizeof(*l));
	ret = need_object(j, err);
	if (!ret)
		ret = jvsid(j, &l->vsid, err);
	if (!ret)
		ret = JPARSE(j, "type", true, parse_type, &l->type, err);
	if (!ret)
		ret = JPARSE(j, "rule", true, parse_rule, &l->rule, err);
	if (!ret)
		ret = JPARSE(j, "mac", true, tenet_parse_mac, l->mac, err);
	if (!ret)
		ret = JPARSE(j, "pa", true, tenet_parse_ipv4, &l->pa, err);
	if (ret)
		return ret;
	/* l2only records know the MAC only; every other type has a CA. */
	l->has_ca = json_object_get(j, "ca") != NULL;
	if (l->type == TENET_LOOKUP_L2ONLY && l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: l2only records have no CA IP");
	if (l->type != TENET_LOOKUP_L2ONLY && !l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: missing");
	if (l->has_ca)
		ret = JPARSE(j, "ca", true, tenet_parse_ipv4, &l->ca, err);
	return ret;
}

int tenet_croute_from_json(const json_t *j, struct tenet_croute *c, struct tenet_err *err)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = need_object(j, err);
	if (!ret)
		ret = JPARSE(j, "rdomain", true, parse_name_into, c->rdomain, err);
	if (!ret)
		ret = jvsid(j, &c->vsid, err);
	if (!ret)
		ret = JPARSE(j, "prefix", true, tenet_parse_prefix, &c->prefix, err);
	if (!ret)
		ret = JPARSE(j, "nexthop", true, tenet_parse_ipv4, &c->nexthop, err);
	if (!ret)
		ret = jint(j, "metric", false, 0, UINT32_MAX, &c->metric, err);
	return ret;
}

int tenet_pa_from_json(const json_t *j, struct tenet_pa *p, struct tenet_err *err)
{
	uint32_t vlan = 0;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = need_object(j, err);
	if (!ret)
		ret = JPARSE(j, "host", true, parse_name_into, p->host, err);
	if (!ret)
		ret = JPARSE(j, "address", true, tenet_parse_addr_len, &p->addr, err);
	if (!ret)
		ret = JPARSE(j, "dev", true, parse_ifname_into, p->dev, err);
	if (!ret)
		ret = jint(j, "vlan", false, 0, 4094, &vlan, err);
	p->vlan = (uint16_t)vlan;
	return ret;
}

int tenet_proute_from_json(const json_t *j, struct tenet_proute *p, struct tenet_err *err)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = need_object(j, err);
	if (!ret)
		ret = JPARSE(j, "host", true, parse_name_into, p->host, err);
	if (!ret)
		ret = JPARSE(j, "prefix", true, tenet_parse_prefix, &p->prefix, err);
	if (!ret)
		ret = JPARSE(j, "dev", true, parse_ifname_into, p->dev, err);
	if (!ret)
		ret = JPARSE(j, "via", false, tenet_parse_ipv4, &p->via, err);
	return ret;
}

int tenet_port_from_json(const json_t *j, struct tenet_port *p, struct tenet_err *err)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = need_object(j, err);
	if (!ret)
		ret = JPARSE(j, "host", true, parse_name_into, p->host, err);
	if (!ret)
		ret = JPARSE(j, "dev", true, parse_ifname_into, p->dev, err);
	if (!ret)
		ret = jvsid(j, &p->vsid, err);
	if (!ret)
		ret = JPARSE(j, "mac", true, tenet_parse_mac, p->mac, err);
	return ret;
}

int tenet_record_from_json(enum tenet_kind kind, const json_t *j, struct tenet_record *rec,
			   struct tenet_err *err)
{
	int ret;

	memset(rec, 0, sizeof(*rec));
	switch (kind) {
	case TENET_KIND_RDOMAIN:
		ret = tenet_rdomain_from_json(j, &rec->rdomain, err);
		break;
	case TENET_KIND_VSUBNET:
		ret = tenet_vsubnet_from_json(j, &rec->vsubnet, err);
		break;
	case TENET_KIND_LOOKUP:
		ret = tenet_lookup_from_json(j, &rec->lookup, err);
		break;
	case TENET_KIND_CROUTE:
		ret = tenet_croute_from_json(j, &rec->croute, err);
		break;
	case TENET_KIND_PA:
		ret = tenet_pa_from_json(j, &rec->pa, err);
		break;
	case TENET_KIND_PROUTE:
		ret = tenet_proute_from_json(j, &rec->proute, err);
		break;
	case TENET_KIND_PORT:
		ret = tenet_port_from_json(j, &rec->port, err);
		break;
	default:
		ret = tenet_gw_record_from_json(kind, j, rec, err);
		break;
	}
	if (ret == 0)
		rec->kind = kind;
	return ret;
}

/* ---- the lookup fast path ----
 *
 * A store of a million lookup records spends most of its decode in
 * jansson (a tree of allocations per record). Lookup values are flat
 * objects of short strings and one integer, so they are read here
 * directly, without allocating. The fast path only ever *accepts*: it
 * returns true when the value is plain (an object of members whose values
 * are strings without escapes or non-negative integers, no duplicate known
 * member, nothing after it) and the record passes every check
 * tenet_lookup_from_json and the key check make, with the same result
 * bytes. Anything else, valid or not, goes the jansson way, which gives
 * the same verdict and the same error message as before. */

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

enum { LF_VSID, LF_TYPE, LF_RULE, LF_MAC, LF_PA, LF_CA, LF_MAX };

static bool lookup_fast(const char *value, const struct tenet_record *id,
			struct tenet_record *out)
{
	struct tenet_record r, *rec = &r;
	static const char *const names[LF_MAX] = { "vsid", "type", "rule", "mac", "pa", "ca" };
	char sv[LF_MAX][24];
	uint64_t vsid = 0;
	unsigned int seen = 0;
	struct tenet_lookup *l = &rec->lookup;
	const char *p = jws(value);

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
		for (f = 0; f < LF_MAX; f++)
			if (strlen(names[f]) == nlen && !memcmp(names[f], name, nlen))
				break;
		if (f < LF_MAX && (seen & 1u << f))
			return false; /* duplicate: jansson keeps the last one */
		if (*p == '"') {
			p = jplain_str(p, &s, &slen);
			if (!p || (f < LF_MAX && (f == LF_VSID || slen >= sizeof(sv[0]))))
				return false;
			if (f < LF_MAX) {
				memcpy(sv[f], s, slen);
				sv[f][slen] = '\0';
			}
		} else {
			uint64_t v;

			p = jplain_uint(p, &v);
			if (!p || (f < LF_MAX && f != LF_VSID))
				return false;
			if (f == LF_VSID)
				vsid = v;
		}
		if (f < LF_MAX)
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
	/* tenet_record_from_json + tenet_lookup_from_json, in their order */
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

int tenet_record_decode(const char *key, const char *value, struct tenet_record *rec,
			struct tenet_err *err)
{
	struct tenet_record id;
	int ret;

	ret = tenet_record_from_key(key, &id, err);
	if (ret < 0)
		return ret;
	return tenet_record_decode_id(key, &id, value, rec, err);
}

int tenet_record_decode_id(const char *key, const struct tenet_record *id, const char *value,
			   struct tenet_record *rec, struct tenet_err *err)
{
	json_error_t jerr;
	json_t *j = NULL;
	int ret = 0;

	if (id->kind == TENET_KIND_LOOKUP && lookup_fast(value, id, rec))
		return 0;
	j = json_loads(value, JSON_DECODE_ANY, &jerr);
	if (!j) {
		ret = tenet_err_set(err, -EBADMSG, "%s: value is not JSON: %s", key, jerr.text);
		goto out;
	}
	ret = tenet_record_from_json(id->kind, j, rec, err);
	if (ret < 0) {
		tenet_err_prefix(err, -EBADMSG, "%s", key);
		ret = -EBADMSG;
		goto out;
	}
	if (!tenet_record_same_key(rec, id))
		ret = tenet_err_set(err, -EBADMSG, "%s: value belongs under another key", key);
out:
	json_decref(j);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* Gateway records: keys and JSON codecs of compartments, NAT and static
 * inbound mappings. See docs/store.md and docs/gateway.md. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/record.h"
#include "kinds/record_int.h"

/* ---- small values ---- */

const char *tenet_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "unknown";
}

int tenet_proto_parse(const char *s, uint8_t *proto, struct tenet_err *err)
{
	if (s && !strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (s && !strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else
		return tenet_err_set(err, -EINVAL, "not a protocol (tcp, udp)");
	return 0;
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

int tenet_gw_devname(const char *pfx, uint32_t id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%u", pfx, id);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void tenet_gw_default_mac(const char *host, const char *name, uint8_t mac[TENET_MAC_LEN])
{
	uint32_t h = 2166136261u;       /* FNV-1a */
	const char *parts[] = { host, "/", name };

	for (size_t i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
	h &= 0xffffff;
	if (h <= 1)                     /* 02:54:4e:00:00:01 is the router */
		h += 2;
	mac[0] = 0x02;
	mac[1] = 0x54;
	mac[2] = 0x4e;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

/* ---- keys ---- */

static int kprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int kprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tenet_gw_record_key(const struct tenet_record *rec, char *buf, size_t len)
{
	char a[TENET_IPV4_STRLEN];

	switch (rec->kind) {
	case TENET_KIND_COMPARTMENT:
		return kprintf(buf, len, TENET_KEY_HOST "%s/compartment/%s",
			       rec->compartment.host, rec->compartment.name);
	case TENET_KIND_NAT:
		return kprintf(buf, len, TENET_KEY_HOST "%s/nat/%s", rec->nat.host,
			       rec->nat.rdomain);
	case TENET_KIND_NATMAP:
		return kprintf(buf, len, TENET_KEY_HOST "%s/natmap/%s_%s_%u", rec->natmap.host,
			       tenet_proto_name(rec->natmap.proto),
			       tenet_fmt_ipv4(rec->natmap.external, a), rec->natmap.ext_port);
	default:
		return -EINVAL;
	}
}

static int copy_checked(char *dst, const char *src)
{
	if (tenet_check_name(src, NULL) < 0)
		return -1;
	strcpy(dst, src);
	return 0;
}

/* "tcp_203.0.113.10_8080" */
static int natmap_from_component(char *s, struct tenet_natmap *m)
{
	char *ip = strchr(s, '_'), *port;

	if (!ip)
		return -1;
	*ip++ = '\0';
	port = strchr(ip, '_');
	if (!port)
		return -1;
	*port++ = '\0';
	if (tenet_proto_parse(s, &m->proto, NULL) < 0 ||
	    tenet_parse_ipv4(ip, &m->external, NULL) < 0 ||
	    parse_port(port, &m->ext_port, NULL) < 0)
		return -1;
	return 0;
}

int tenet_gw_host_from_key(char **p, int n, struct tenet_record *rec)
{
	if (n != 3)
		return -1;
	if (!strcmp(p[1], "compartment")) {
		rec->kind = TENET_KIND_COMPARTMENT;
		return copy_checked(rec->compartment.host, p[0]) < 0 ? -1 :
		       copy_checked(rec->compartment.name, p[2]);
	}
	if (!strcmp(p[1], "nat")) {
		rec->kind = TENET_KIND_NAT;
		return copy_checked(rec->nat.host, p[0]) < 0 ? -1 :
		       copy_checked(rec->nat.rdomain, p[2]);
	}
	if (!strcmp(p[1], "natmap")) {
		rec->kind = TENET_KIND_NATMAP;
		return copy_checked(rec->natmap.host, p[0]) < 0 ? -1 :
		       natmap_from_component(p[2], &rec->natmap);
	}
	return -1;
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

static json_t *jfinish(json_t *o, int failures)
{
	if (failures) {
		json_decref(o);
		return NULL;
	}
	return o;
}

#define JSET(o, name, v) (json_object_set_new((o), (name), (v)) != 0)

json_t *tenet_compartment_to_json(const struct tenet_compartment *c)
{
	char mac[TENET_MAC_STRLEN];
	json_t *o = json_object(), *ext;
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "host", json_string(c->host));
	f += JSET(o, "name", json_string(c->name));
	f += JSET(o, "id", json_integer(c->id));
	f += JSET(o, "rdomain", json_string(c->rdomain));
	f += JSET(o, "vsid", json_integer(c->vsid));
	f += JSET(o, "address", jprefix(&c->addr));
	f += JSET(o, "mac", json_string(tenet_fmt_mac(c->mac, mac)));
	if (c->ext_dev[0]) {
		ext = json_object();
		f += !ext;
		if (ext) {
			f += JSET(ext, "dev", json_string(c->ext_dev));
			f += JSET(ext, "address", jprefix(&c->ext_addr));
			f += JSET(o, "external", ext);
		}
	}
	return jfinish(o, f);
}

json_t *tenet_nat_to_json(const struct tenet_nat *n)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "host", json_string(n->host));
	f += JSET(o, "rdomain", json_string(n->rdomain));
	f += JSET(o, "external", jip(n->external));
	if (n->via)
		f += JSET(o, "via", jip(n->via));
	if (n->port_min) {
		f += JSET(o, "port_min", json_integer(n->port_min));
		f += JSET(o, "port_max", json_integer(n->port_max));
	}
	return jfinish(o, f);
}

json_t *tenet_natmap_to_json(const struct tenet_natmap *m)
{
	json_t *o = json_object();
	int f;

	if (!o)
		return NULL;
	f = JSET(o, "host", json_string(m->host));
	f += JSET(o, "rdomain", json_string(m->rdomain));
	f += JSET(o, "proto", json_string(tenet_proto_name(m->proto)));
	f += JSET(o, "external", jip(m->external));
	f += JSET(o, "external_port", json_integer(m->ext_port));
	f += JSET(o, "ca", jip(m->ca));
	f += JSET(o, "ca_port", json_integer(m->ca_port));
	return jfinish(o, f);
}

json_t *tenet_gw_record_to_json(const struct tenet_record *rec)
{
	switch (rec->kind) {
	case TENET_KIND_COMPARTMENT:
		return tenet_compartment_to_json(&rec->compartment);
	case TENET_KIND_NAT:
		return tenet_nat_to_json(&rec->nat);
	case TENET_KIND_NATMAP:
		return tenet_natmap_to_json(&rec->natmap);
	default:
		return NULL;
	}
}

/* ---- JSON decoding ---- */

static int need_object(const json_t *j, struct tenet_err *err)
{
	return json_is_object(j) ? 0 : tenet_err_set(err, -EINVAL, "value is not a JSON object");
}

/* A string member parsed by fn; absent and optional: 0, untouched. */
static int jparse(const json_t *j, const char *name, bool required,
		  int (*fn)(const char *s, void *out, struct tenet_err *err), void *out,
		  struct tenet_err *err)
{
	json_t *v = json_object_get(j, name);
	int ret;

	if (!v)
		return required ? tenet_err_set(err, -EINVAL, "%s: missing", name) : 0;
	if (!json_is_string(v))
		return tenet_err_set(err, -EINVAL, "%s: not a string", name);
	ret = fn(json_string_value(v), out, err);
	return ret < 0 ? tenet_err_prefix(err, ret, "%s", name) : 0;
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

static int p_name(const char *s, void *out, struct tenet_err *err)
{
	int ret = tenet_check_name(s, err);

	if (ret == 0)
		strcpy(out, s);
	return ret;
}

static int p_ifname(const char *s, void *out, struct tenet_err *err)
{
	int ret = tenet_check_ifname(s, err);

	if (ret == 0)
		strcpy(out, s);
	return ret;
}

static int p_ip(const char *s, void *out, struct tenet_err *err)
{
	return tenet_parse_ipv4(s, out, err);
}

static int p_addr_len(const char *s, void *out, struct tenet_err *err)
{
	return tenet_parse_addr_len(s, out, err);
}

static int p_mac(const char *s, void *out, struct tenet_err *err)
{
	return tenet_parse_mac(s, out, err);
}

static int p_proto(const char *s, void *out, struct tenet_err *err)
{
	return tenet_proto_parse(s, out, err);
}

static int jport(const json_t *j, const char *name, bool required, uint16_t *out,
		 struct tenet_err *err)
{
	uint32_t v = 0;
	int ret = jint(j, name, required, 1, 65535, &v, err);

	if (ret == 0 && v)
		*out = (uint16_t)v;
	return ret;
}

static int external_from_json(const json_t *j, struct tenet_compartment *c,
			      struct tenet_err *err)
{
	json_t *ext = json_object_get(j, "external");
	int ret;

	if (!ext)
		return 0;
	if (!json_is_object(ext))
		return tenet_err_set(err, -EINVAL, "external: not a JSON object");
	ret = jparse(ext, "dev", true, p_ifname, c->ext_dev, err);
	if (!ret)
		ret = jparse(ext, "address", true, p_addr_len, &c->ext_addr, err);
	return ret < 0 ? tenet_err_prefix(err, ret, "external") : 0;
}

int tenet_compartment_from_json(const json_t *j, struct tenet_compartment *c,
				struct tenet_err *err)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = need_object(j, err);
	if (!ret)
		ret = jparse(j, "host", true, p_name, c->host, err);
	if (!ret)
		ret = jparse(j, "name", true, p_name, c->name, err);
	if (!ret)
		ret = jint(j, "id", true, 1, TENET_GW_ID_MAX, &c->id, err);
	if (!ret)
		ret = jparse(j, "rdomain", true, p_name, c->rdomain, err);
	if (!ret)
		ret = jint(j, "vsid", true, TENET_VSID_MIN, TENET_VSID_MAX, &c->vsid, err);
	if (!ret)
		ret = jparse(j, "address", true, p_addr_len, &c->addr, err);
	if (!ret)
		ret = jparse(j, "mac", true, p_mac, c->mac, err);
	if (!ret)
		ret = external_from_json(j, c, err);
	return ret;
}

int tenet_nat_from_json(const json_t *j, struct tenet_nat *n, struct tenet_err *err)
{
	int ret;

	memset(n, 0, sizeof(*n));
	ret = need_object(j, err);
	if (!ret)
		ret = jparse(j, "host", true, p_name, n->host, err);
	if (!ret)
		ret = jparse(j, "rdomain", true, p_name, n->rdomain, err);
	if (!ret)
		ret = jparse(j, "external", true, p_ip, &n->external, err);
	if (!ret)
		ret = jparse(j, "via", false, p_ip, &n->via, err);
	if (!ret)
		ret = jport(j, "port_min", false, &n->port_min, err);
	if (!ret)
		ret = jport(j, "port_max", !!n->port_min, &n->port_max, err);
	if (!ret && n->port_max && (!n->port_min || n->port_max < n->port_min))
		ret = tenet_err_set(err, -EINVAL, "port_max: not a range with port_min");
	return ret;
}

int tenet_natmap_from_json(const json_t *j, struct tenet_natmap *m, struct tenet_err *err)
{
	int ret;

	memset(m, 0, sizeof(*m));
	ret = need_object(j, err);
	if (!ret)
		ret = jparse(j, "host", true, p_name, m->host, err);
	if (!ret)
		ret = jparse(j, "rdomain", true, p_name, m->rdomain, err);
	if (!ret)
		ret = jparse(j, "proto", true, p_proto, &m->proto, err);
	if (!ret)
		ret = jparse(j, "external", true, p_ip, &m->external, err);
	if (!ret)
		ret = jport(j, "external_port", true, &m->ext_port, err);
	if (!ret)
		ret = jparse(j, "ca", true, p_ip, &m->ca, err);
	if (!ret)
		ret = jport(j, "ca_port", true, &m->ca_port, err);
	return ret;
}

int tenet_gw_record_from_json(enum tenet_kind kind, const json_t *j, struct tenet_record *rec,
			      struct tenet_err *err)
{
	switch (kind) {
	case TENET_KIND_COMPARTMENT:
		return tenet_compartment_from_json(j, &rec->compartment, err);
	case TENET_KIND_NAT:
		return tenet_nat_from_json(j, &rec->nat, err);
	case TENET_KIND_NATMAP:
		return tenet_natmap_from_json(j, &rec->natmap, err);
	default:
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)kind);
	}
}

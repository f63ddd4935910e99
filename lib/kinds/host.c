// SPDX-License-Identifier: GPL-2.0
/* The host kinds: provider addresses, provider routes, ports. Each has
 * its row of the registry here: fields, key, listing order, guard keys
 * and the rules a write must pass (docs/store.md, "Rules"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <tenet/limits.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "policy/engine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ================= provider addresses ================= */

static const struct tenet_field pa_fields[] = {
	TENET_FIELD(struct tenet_pa, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_pa, addr, "address", TENET_FT_ADDR_LEN),
	TENET_FIELD(struct tenet_pa, dev, "dev", TENET_FT_IFNAME),
	TENET_FIELD(struct tenet_pa, vlan, "vlan", TENET_FT_U16, .flags = TENET_F_OPTIONAL,
		    .max = 4094),
	{ NULL },
};

/* By the address alone: one host holds it, at one length. */
static const struct tenet_klayout pa_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_pa, addr, TENET_KP_ADDR) } },
};

static const struct tenet_sortkey pa_sort[] = {
	TENET_SORT(struct tenet_pa, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_pa, addr.addr, TENET_FT_IPV4),
	{ TENET_FT_NONE },
};

/* A PA is unique across hosts: every PA write also takes the guard of
 * all PAs, so two hosts cannot claim one address at once. */
static int pa_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = pol_guard(c, TENET_KEY_GUARD_PA, true);

	return ret ? ret : pol_guard_host(c, rec->pa.host, true);
}

static int pa_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_pa *pa = &in->pa;
	struct tenet_record rec = { .kind = TENET_KIND_PA, .pa = *pa };
	struct tenet_record_list all;
	char a[TENET_IPV4_STRLEN];
	size_t i;
	int ret;

	ret = pol_check_host_dev(c, pa->host, pa->dev);
	if (ret < 0)
		return ret;
	tenet_fmt_ipv4(pa->addr.addr, a);
	if (!tenet_ipv4_is_unicast(pa->addr.addr) || !pa->addr.len)
		return tenet_err_set(c->err, -EINVAL, "pa %s/%u: not a unicast address on a network",
				     a, pa->addr.len);
	if (pa->vlan > 4094)
		return tenet_err_set(c->err, -EINVAL, "vlan %u: outside 0..4094", pa->vlan);
	/* A PA identifies one host on the underlay: unique across hosts. */
	ret = pol_load_kind(c, TENET_KIND_PA, NULL, &all);
	if (ret < 0)
		return ret;
	for (i = 0; i < all.n; i++) {
		const struct tenet_pa *o = &all.recs[i].pa;

		if (o->addr.addr != pa->addr.addr)
			continue;
		if (strcmp(o->host, pa->host) || !(c->flags & TENET_POLICY_REPLACE)) {
			ret = tenet_err_set(c->err, -EEXIST,
					    "pa %s: already a provider address of host %s", a, o->host);
			break;
		}
	}
	tenet_record_list_free(&all);
	if (ret == 0)
		ret = pol_txn_put(c, &rec);
	return ret;
}

static int pa_del(struct pctx *c, struct tenet_record *id)
{
	char a[TENET_IPV4_STRLEN], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "pa %s: not a provider address of host %s",
		 tenet_fmt_ipv4(id->pa.addr.addr, a), id->pa.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_pa = {
	.kind = TENET_KIND_PA,
	.name = "pa",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_pa),
	.host_off = offsetof(struct tenet_pa, host),
	.keys = pa_keys,
	.nkeys = ARRAY_SIZE(pa_keys),
	.fields = pa_fields,
	.sort = pa_sort,
	.guards = pa_guards,
	.put = pa_put,
	.del = pa_del,
};

/* ================= provider routes ================= */

static const struct tenet_field proute_fields[] = {
	TENET_FIELD(struct tenet_proute, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_proute, prefix, "prefix", TENET_FT_PREFIX),
	TENET_FIELD(struct tenet_proute, dev, "dev", TENET_FT_IFNAME),
	/* On-link routes have no "via" at all rather than a 0.0.0.0 one. */
	TENET_FIELD(struct tenet_proute, via, "via", TENET_FT_IPV4,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_proute, via)),
	{ NULL },
};

static const struct tenet_klayout proute_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_proute, prefix, TENET_KP_PREFIX) } },
};

static const struct tenet_sortkey proute_sort[] = {
	TENET_SORT(struct tenet_proute, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_proute, prefix, TENET_FT_PREFIX),
	{ TENET_FT_NONE },
};

static int proute_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	return pol_guard_host(c, rec->proute.host, true);
}

static int proute_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_proute *r = &in->proute;
	struct tenet_record rec = { .kind = TENET_KIND_PROUTE, .proute = *r }, old;
	char p[TENET_PREFIX_STRLEN];
	int ret;

	ret = pol_check_host_dev(c, r->host, r->dev);
	if (ret < 0)
		return ret;
	tenet_fmt_prefix(&r->prefix, p);
	if (r->prefix.addr & ~tenet_prefix_mask(r->prefix.len))
		return tenet_err_set(c->err, -EINVAL, "prefix %s: host bits set", p);
	ret = pol_load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST,
				     "prefix %s: already has a provider route on host %s", p, r->host);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return pol_txn_put(c, &rec);
}

static int proute_del(struct pctx *c, struct tenet_record *id)
{
	char p[TENET_PREFIX_STRLEN], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "prefix %s: no provider route on host %s",
		 tenet_fmt_prefix(&id->proute.prefix, p), id->proute.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_proute = {
	.kind = TENET_KIND_PROUTE,
	.name = "proute",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_proute),
	.host_off = offsetof(struct tenet_proute, host),
	.keys = proute_keys,
	.nkeys = ARRAY_SIZE(proute_keys),
	.fields = proute_fields,
	.sort = proute_sort,
	.guards = proute_guards,
	.put = proute_put,
	.del = proute_del,
};

/* ================= ports ================= */

static const struct tenet_field port_fields[] = {
	TENET_FIELD(struct tenet_port, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_port, dev, "dev", TENET_FT_IFNAME),
	TENET_FIELD(struct tenet_port, vsid, "vsid", TENET_FT_U32, .min = TENET_VSID_MIN,
		    .max = TENET_VSID_MAX),
	TENET_FIELD(struct tenet_port, mac, "mac", TENET_FT_MAC),
	{ NULL },
};

static const struct tenet_klayout port_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_port, dev, TENET_KP_IFNAME) } },
};

static const struct tenet_sortkey port_sort[] = {
	TENET_SORT(struct tenet_port, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_port, dev, TENET_FT_IFNAME),
	{ TENET_FT_NONE },
};

/* A put checks that the VSID has a subnet (global). */
static int port_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	int ret = del ? 0 : pol_guard_global(c, false);

	return ret ? ret : pol_guard_host(c, rec->port.host, true);
}

static int port_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_port *pt = &in->port;
	struct tenet_record rec = { .kind = TENET_KIND_PORT, .port = *pt };
	struct tenet_record_list ports;
	struct tenet_vsubnet vs;
	char m[TENET_MAC_STRLEN];
	size_t i;
	int ret;

	ret = pol_check_host_dev(c, pt->host, pt->dev);
	if (ret == 0)
		ret = pol_check_vsid(c, pt->vsid);
	if (ret == 0)
		ret = pol_check_mac(c, pt->mac);
	if (ret == 0)
		ret = pol_need_vsubnet(c, pt->vsid, &vs);
	if (ret == 0)
		ret = pol_load_kind(c, TENET_KIND_PORT, pt->host, &ports);
	if (ret < 0)
		return ret;
	/* The datapath finds a host's port by MAC on decap: unique per host. */
	for (i = 0; i < ports.n; i++) {
		const struct tenet_port *o = &ports.recs[i].port;

		if (!strcmp(o->dev, pt->dev)) {
			if (!(c->flags & TENET_POLICY_REPLACE)) {
				ret = tenet_err_set(c->err, -EEXIST, "dev %s: already a port on host %s",
						    pt->dev, pt->host);
				break;
			}
			continue;
		}
		if (!memcmp(o->mac, pt->mac, TENET_MAC_LEN)) {
			ret = tenet_err_set(c->err, -EEXIST, "mac %s: already used by port %s on host %s",
					    tenet_fmt_mac(pt->mac, m), o->dev, pt->host);
			break;
		}
	}
	tenet_record_list_free(&ports);
	if (ret == 0)
		ret = pol_txn_put(c, &rec);
	return ret;
}

static int port_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "dev %s: not a port on host %s", id->port.dev, id->port.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_port = {
	.kind = TENET_KIND_PORT,
	.name = "port",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_port),
	.host_off = offsetof(struct tenet_port, host),
	.keys = port_keys,
	.nkeys = ARRAY_SIZE(port_keys),
	.fields = port_fields,
	.sort = port_sort,
	.guards = port_guards,
	.put = port_put,
	.del = port_del,
};

/* ================= typed codecs ================= */

json_t *tenet_pa_to_json(const struct tenet_pa *p)
{
	return tenet_codec_to_json(&tenet_kind_pa, p);
}

json_t *tenet_proute_to_json(const struct tenet_proute *p)
{
	return tenet_codec_to_json(&tenet_kind_proute, p);
}

json_t *tenet_port_to_json(const struct tenet_port *p)
{
	return tenet_codec_to_json(&tenet_kind_port, p);
}

int tenet_pa_from_json(const json_t *j, struct tenet_pa *p, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_pa, j, p, err);
}

int tenet_proute_from_json(const json_t *j, struct tenet_proute *p, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_proute, j, p, err);
}

int tenet_port_from_json(const json_t *j, struct tenet_port *p, struct tenet_err *err)
{
	return tenet_codec_from_json(&tenet_kind_port, j, p, err);
}

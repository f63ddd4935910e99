// SPDX-License-Identifier: GPL-2.0
/* Static IP filters of gateway interfaces: the rows of the registry of
 * filters and of interface modes (fields, keys, listing order, guard
 * keys, rules; docs/filters.md), and the parsers of their values. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "policy/engine.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small values ---- */

static const char *const on_names[] = { "interface", "internal" };
static const struct tenet_enum ons = {
	.names = on_names, .n = ARRAY_SIZE(on_names),
	.invalid = "not an interface kind (interface, internal)",
};

static const char *const dir_names[] = { "in", "out" };
static const struct tenet_enum dirs = {
	.names = dir_names, .n = ARRAY_SIZE(dir_names),
	.invalid = "not a direction (in, out)",
};

static const char *const action_names[] = { "allow", "deny" };
static const struct tenet_enum actions = {
	.names = action_names, .n = ARRAY_SIZE(action_names),
	.invalid = "not an action (allow, deny)",
};

static const char *const mode_names[] = { "deny-list", "allow-list" };
static const struct tenet_enum modes = {
	.names = mode_names, .n = ARRAY_SIZE(mode_names),
	.invalid = "not a mode (allow-list, deny-list)",
};

const char *tenet_filter_on_name(int on)
{
	return tenet_enum_name(&ons, on);
}

const char *tenet_filter_dir_name(int dir)
{
	return tenet_enum_name(&dirs, dir);
}

const char *tenet_filter_action_name(int action)
{
	return tenet_enum_name(&actions, action);
}

const char *tenet_filter_mode_name(int mode)
{
	return tenet_enum_name(&modes, mode);
}

int tenet_filter_on_parse(const char *s, int *on, struct tenet_err *err)
{
	return tenet_enum_parse(&ons, s, on, err);
}

int tenet_filter_dir_parse(const char *s, int *dir, struct tenet_err *err)
{
	return tenet_enum_parse(&dirs, s, dir, err);
}

int tenet_filter_action_parse(const char *s, int *action, struct tenet_err *err)
{
	return tenet_enum_parse(&actions, s, action, err);
}

int tenet_filter_mode_parse(const char *s, int *mode, struct tenet_err *err)
{
	return tenet_enum_parse(&modes, s, mode, err);
}

int tenet_filter_proto_parse(const char *s, uint16_t *proto, struct tenet_err *err)
{
	uint32_t v;

	if (!strcmp(s, "tcp"))
		v = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		v = IPPROTO_UDP;
	else if (!strcmp(s, "icmp"))
		v = IPPROTO_ICMP;
	else if (tenet_parse_u32(s, 1, 255, &v, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "not a protocol (tcp, udp, icmp, 1..255)");
	*proto = (uint16_t)v;
	return 0;
}

const char *tenet_filter_proto_name(uint16_t proto, char buf[8])
{
	if (proto == IPPROTO_TCP)
		return "tcp";
	if (proto == IPPROTO_UDP)
		return "udp";
	if (proto == IPPROTO_ICMP)
		return "icmp";
	snprintf(buf, 8, "%u", proto);
	return buf;
}

int tenet_filter_icmp_parse(const char *s, struct tenet_filter *f, struct tenet_err *err)
{
	char buf[16], *colon;
	uint32_t v;

	if (strlen(s) >= sizeof(buf))
		return tenet_err_set(err, -EINVAL, "not TYPE[:CODE]");
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (tenet_parse_u32(buf, 0, 255, &v, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "type %s: not 0..255", buf);
	f->icmp_type = (uint16_t)v;
	f->has_icmp_type = true;
	if (!colon)
		return 0;
	if (tenet_parse_u32(colon + 1, 0, 255, &v, NULL) < 0)
		return tenet_err_set(err, -EINVAL, "code %s: not 0..255", colon + 1);
	f->icmp_code = (uint16_t)v;
	f->has_icmp_code = true;
	return 0;
}

/* FNV-1a over the fields that say what the filter is (not its host). */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
	return h;
}

const char *tenet_filter_counter_name(const struct tenet_filter *f,
				      char buf[TENET_FILTER_COUNTER_MAX])
{
	uint32_t h = 2166136261u;
	uint32_t v[] = { (uint32_t)f->on, (uint32_t)f->dir, (uint32_t)f->action, f->src.addr,
			 f->src.len, f->dst.addr, f->dst.len, f->proto, f->sport_min, f->sport_max,
			 f->dport_min, f->dport_max, f->has_icmp_type, f->icmp_type,
			 f->has_icmp_code, f->icmp_code };

	h = fnv(h, f->iface, strlen(f->iface));
	h = fnv(h, v, sizeof(v));
	snprintf(buf, TENET_FILTER_COUNTER_MAX, TENET_FILTER_COUNTER_PFX "%u_%08x", f->id, h);
	return buf;
}

/* ---- shared rules ---- */

static int check_host(struct pctx *c, const char *host)
{
	if (tenet_check_name(host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", host);
	return 0;
}

/* The interface a filter or mode names exists on the host. */
static int need_iface(struct pctx *c, const char *host, int on, const char *iface)
{
	enum tenet_kind kind = on == TENET_FILTER_S2S ? TENET_KIND_S2S : TENET_KIND_COMPARTMENT;
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, kind, host, &all);
	if (ret < 0)
		return ret;
	if (on == TENET_FILTER_S2S)
		ret = tenet_err_set(c->err, -ENOENT, "interface %s: no S2S interface on host %s",
				    iface, host);
	else
		ret = tenet_err_set(c->err, -ENOENT, "internal %s: no compartment on host %s",
				    iface, host);
	for (size_t i = 0; i < all.n; i++) {
		const char *name = on == TENET_FILTER_S2S ? all.recs[i].s2s.name :
							    all.recs[i].compartment.name;

		if (!strcmp(name, iface)) {
			tenet_err_clear(c->err);
			ret = 0;
			break;
		}
	}
	tenet_record_list_free(&all);
	return ret;
}

/* ================= filters ================= */

static const struct tenet_field filter_fields[] = {
	TENET_FIELD(struct tenet_filter, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_filter, id, "id", TENET_FT_U32, .min = 1,
		    .max = TENET_FILTER_ID_MAX),
	TENET_FIELD(struct tenet_filter, on, "on", TENET_FT_ENUM, .enumdef = &ons),
	TENET_FIELD(struct tenet_filter, iface, "interface", TENET_FT_NAME),
	TENET_FIELD(struct tenet_filter, dir, "dir", TENET_FT_ENUM, .enumdef = &dirs),
	TENET_FIELD(struct tenet_filter, action, "action", TENET_FT_ENUM, .enumdef = &actions),
	TENET_FIELD(struct tenet_filter, src, "src", TENET_FT_PREFIX,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_filter, src)),
	TENET_FIELD(struct tenet_filter, dst, "dst", TENET_FT_PREFIX,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, TENET_WHEN(struct tenet_filter, dst)),
	TENET_FIELD(struct tenet_filter, proto, "proto", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 255,
		    TENET_WHEN(struct tenet_filter, proto)),
	TENET_FIELD(struct tenet_filter, sport_min, "sport_min", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 65535,
		    TENET_WHEN(struct tenet_filter, sport_min)),
	TENET_FIELD(struct tenet_filter, sport_max, "sport_max", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 65535,
		    TENET_WHEN(struct tenet_filter, sport_max)),
	TENET_FIELD(struct tenet_filter, dport_min, "dport_min", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 65535,
		    TENET_WHEN(struct tenet_filter, dport_min)),
	TENET_FIELD(struct tenet_filter, dport_max, "dport_max", TENET_FT_U16,
		    .flags = TENET_F_OPTIONAL | TENET_F_OMIT, .min = 1, .max = 65535,
		    TENET_WHEN(struct tenet_filter, dport_max)),
	TENET_FIELD(struct tenet_filter, icmp_type, "icmp_type", TENET_FT_U16,
		    .flags = TENET_F_PRESENCE, .min = 0, .max = 255,
		    TENET_WHEN(struct tenet_filter, has_icmp_type)),
	TENET_FIELD(struct tenet_filter, icmp_code, "icmp_code", TENET_FT_U16,
		    .flags = TENET_F_PRESENCE, .min = 0, .max = 255,
		    TENET_WHEN(struct tenet_filter, has_icmp_code)),
	{ NULL },
};

static int check_range(const char *what, uint16_t min, uint16_t max, struct tenet_err *err)
{
	if (!min && !max)
		return 0;
	if (!min || !max)
		return tenet_err_set(err, -EINVAL, "%s: a range needs both ends", what);
	if (max < min)
		return tenet_err_set(err, -ERANGE, "%s %u-%u: range ends before it starts", what,
				     min, max);
	return 0;
}

/* What the protocol allows: ports only with tcp or udp, an ICMP type and
 * code only with icmp. */
static int filter_check(const void *obj, struct tenet_err *err)
{
	const struct tenet_filter *f = obj;
	bool ports = f->sport_min || f->sport_max || f->dport_min || f->dport_max;
	char p[8];
	int ret;

	ret = check_range("sport", f->sport_min, f->sport_max, err);
	if (!ret)
		ret = check_range("dport", f->dport_min, f->dport_max, err);
	if (ret)
		return ret;
	if (ports && f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return tenet_err_set(err, -EINVAL, "ports: only with proto tcp or udp (not %s)",
				     f->proto ? tenet_filter_proto_name(f->proto, p) : "any");
	if ((f->has_icmp_type || f->has_icmp_code) && f->proto != IPPROTO_ICMP)
		return tenet_err_set(err, -EINVAL, "icmp: only with proto icmp (not %s)",
				     f->proto ? tenet_filter_proto_name(f->proto, p) : "any");
	if (f->has_icmp_code && !f->has_icmp_type)
		return tenet_err_set(err, -EINVAL, "icmp code: needs a type");
	if (f->src.len > 32 || f->dst.len > 32)
		return tenet_err_set(err, -EINVAL, "prefix: longer than 32");
	return 0;
}

static const struct tenet_klayout filter_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_filter, id, TENET_KP_ID) } },
};

static const struct tenet_sortkey filter_sort[] = {
	TENET_SORT(struct tenet_filter, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_filter, id, TENET_FT_U32),
	{ TENET_FT_NONE },
};

static int filter_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	return pol_guard_host(c, rec->filter.host, true);
}

/* A new filter takes the next id on its host: the last one tried. */
static int filter_put(struct pctx *c, struct tenet_record *in)
{
	struct tenet_filter *f = &in->filter;
	struct tenet_record rec = { .kind = TENET_KIND_FILTER };
	struct tenet_record_list all = { 0 };
	uint32_t max = 0;
	int ret;

	ret = check_host(c, f->host);
	if (!ret)
		ret = filter_check(f, c->err);
	if (!ret)
		ret = need_iface(c, f->host, f->on, f->iface);
	if (!ret)
		ret = pol_load_kind(c, TENET_KIND_FILTER, f->host, &all);
	for (size_t i = 0; !ret && i < all.n; i++)
		if (all.recs[i].filter.id > max)
			max = all.recs[i].filter.id;
	tenet_record_list_free(&all);
	if (ret)
		return ret;
	if (max >= TENET_FILTER_ID_MAX)
		return tenet_err_set(c->err, -ENOSPC, "host %s: no filter id left", f->host);
	f->id = max + 1;
	rec.filter = *f;
	return pol_txn_put(c, &rec);
}

static int filter_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "filter %u: no such filter on host %s", id->filter.id,
		 id->filter.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_filter = {
	.kind = TENET_KIND_FILTER,
	.name = "filter",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_filter),
	.host_off = offsetof(struct tenet_filter, host),
	.keys = filter_keys,
	.nkeys = ARRAY_SIZE(filter_keys),
	.fields = filter_fields,
	.check = filter_check,
	.sort = filter_sort,
	.guards = filter_guards,
	.put = filter_put,
	.del = filter_del,
};

/* ================= modes ================= */

static const struct tenet_field filtermode_fields[] = {
	TENET_FIELD(struct tenet_filtermode, host, "host", TENET_FT_NAME),
	TENET_FIELD(struct tenet_filtermode, on, "on", TENET_FT_ENUM, .enumdef = &ons),
	TENET_FIELD(struct tenet_filtermode, iface, "interface", TENET_FT_NAME),
	TENET_FIELD(struct tenet_filtermode, dir, "dir", TENET_FT_ENUM, .enumdef = &dirs),
	TENET_FIELD(struct tenet_filtermode, mode, "mode", TENET_FT_ENUM, .enumdef = &modes),
	{ NULL },
};

/* "internal/contoso/out". */
static const struct tenet_klayout filtermode_keys[] = {
	{ .parts = { TENET_KPART(struct tenet_filtermode, on, TENET_KP_ENUM, .enumdef = &ons),
		     TENET_KPART(struct tenet_filtermode, iface, TENET_KP_NAME, .sep = '/'),
		     TENET_KPART(struct tenet_filtermode, dir, TENET_KP_ENUM, .enumdef = &dirs,
				 .sep = '/') } },
};

static const struct tenet_sortkey filtermode_sort[] = {
	TENET_SORT(struct tenet_filtermode, host, TENET_FT_NAME),
	TENET_SORT(struct tenet_filtermode, on, TENET_FT_ENUM),
	TENET_SORT(struct tenet_filtermode, iface, TENET_FT_NAME),
	TENET_SORT(struct tenet_filtermode, dir, TENET_FT_ENUM),
	{ TENET_FT_NONE },
};

static int filtermode_guards(struct pctx *c, const struct tenet_record *rec, bool del)
{
	return pol_guard_host(c, rec->filtermode.host, true);
}

/* deny-list is what no record says: setting it removes the record. */
static int filtermode_put(struct pctx *c, struct tenet_record *in)
{
	const struct tenet_filtermode *m = &in->filtermode;
	struct tenet_record rec = { .kind = TENET_KIND_FILTERMODE, .filtermode = *m }, old;
	int ret;

	ret = check_host(c, m->host);
	if (!ret)
		ret = need_iface(c, m->host, m->on, m->iface);
	if (ret)
		return ret;
	if (m->mode != TENET_FILTER_DENY_LIST)
		return pol_txn_put(c, &rec);
	ret = pol_load(c, &rec, &old);
	if (ret == -ENOENT)
		return 0;
	return ret < 0 && ret != -EBADMSG ? ret : pol_txn_del(c, &rec);
}

static int filtermode_del(struct pctx *c, struct tenet_record *id)
{
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "%s %s dir %s: no filter mode on host %s",
		 tenet_filter_on_name(id->filtermode.on), id->filtermode.iface,
		 tenet_filter_dir_name(id->filtermode.dir), id->filtermode.host);
	return pol_del_existing(c, id, msg);
}

const struct tenet_kind_desc tenet_kind_filtermode = {
	.kind = TENET_KIND_FILTERMODE,
	.name = "filtermode",
	.scope = TENET_SCOPE_HOST,
	.size = sizeof(struct tenet_filtermode),
	.host_off = offsetof(struct tenet_filtermode, host),
	.keys = filtermode_keys,
	.nkeys = ARRAY_SIZE(filtermode_keys),
	.fields = filtermode_fields,
	.sort = filtermode_sort,
	.guards = filtermode_guards,
	.put = filtermode_put,
	.del = filtermode_del,
};

/* An interface's filters and modes go with it. */
int pol_del_filters(struct pctx *c, const char *host, int on, const char *iface)
{
	struct tenet_record_list all;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_FILTER, host, &all);
	for (size_t i = 0; ret == 0 && i < all.n; i++)
		if (all.recs[i].filter.on == on && !strcmp(all.recs[i].filter.iface, iface))
			ret = pol_txn_del(c, &all.recs[i]);
	tenet_record_list_free(&all);
	if (ret)
		return ret;
	ret = pol_load_kind(c, TENET_KIND_FILTERMODE, host, &all);
	for (size_t i = 0; ret == 0 && i < all.n; i++)
		if (all.recs[i].filtermode.on == on && !strcmp(all.recs[i].filtermode.iface, iface))
			ret = pol_txn_del(c, &all.recs[i]);
	tenet_record_list_free(&all);
	return ret;
}

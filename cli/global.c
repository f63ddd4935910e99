// SPDX-License-Identifier: GPL-2.0
/* Global objects: routing domains, virtual subnets, lookup records,
 * customer routes. Each handler parses its arguments completely (usage
 * errors, exit 2) before lib/policy/ checks them against the store and
 * writes them in one transaction (refusals, exit 1). */
#include <string.h>

#include "cli_int.h"

/* ---- rdomain ---- */

/* The text line is what `rdomain add` takes: "Contoso id GUID" (HNV's
 * routing-domain ID is the GUID). The datapath's number is JSON's "id",
 * and -d's detail line. */
static const struct cli_field rdomain_fields[] = {
	{ "name", NULL }, { "guid", "id" }, { NULL, NULL },
};

/* A routing domain named by a show filter must exist: exit 1 if not, as
 * `ip route show dev NOPE` fails. */
static int need_rdomain(struct cli *c, const char *name)
{
	struct tenet_record_list l = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	bool found = false;
	int ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_RDOMAIN, NULL, &l, &err) < 0)
		return cli_lib_fail(c, &err);
	for (size_t i = 0; i < l.n && !found; i++)
		found = !strcmp(l.recs[i].rdomain.name, name);
	tenet_record_list_free(&l);
	return found ? 0 : cli_fail(c, "rdomain %s: no such routing domain", name);
}

static int rdomain_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	static const uint8_t nil[TENET_GUID_LEN];
	struct tenet_record rec = { .kind = TENET_KIND_RDOMAIN };
	struct cli_arg args[] = { { "id", "GUID" }, { NULL } };
	struct tenet_err e;
	const char *name;
	json_t *array;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &name);
	if (!ret)
		ret = cli_name(c, "rdomain", name, rec.rdomain.name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (ret)
		return ret;
	if (args[0].val) {
		if (tenet_parse_guid(args[0].val, rec.rdomain.guid, &e) < 0)
			return cli_usage(c, "id '%s': %s", args[0].val, e.msg);
		if (!memcmp(rec.rdomain.guid, nil, TENET_GUID_LEN))
			return cli_usage(c, "id '%s': the nil GUID names nothing", args[0].val);
	}
	ret = cli_put(c, &rec, 0);
	if (ret)
		return ret;
	/* The id and maybe the GUID were made here: show what was created. */
	array = json_array();
	json_array_append_new(array, tenet_record_to_json(&rec));
	ret = cli_print(c, array, rdomain_fields);
	json_decref(array);
	return ret;
}

static int rdomain_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_RDOMAIN };
	struct cli_arg args[] = { { "force", "", ARG_FLAG }, { NULL } };
	const char *name;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &name);
	if (!ret)
		ret = cli_name(c, "rdomain", name, id.rdomain.name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (ret)
		return ret;
	return cli_del(c, &id, args[0].val ? TENET_POLICY_FORCE : 0);
}

static bool keep_rdomain(const struct tenet_record *r, void *arg)
{
	return !arg || !strcmp(r->rdomain.name, arg);
}

static int rdomain_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	char name[TENET_NAME_MAX + 1], none[TENET_NAME_MAX + 64];
	const char *filter = NULL;
	int ret;

	if (argc > 1)
		return cli_usage(c, "rdomain show: unknown argument '%s'", argv[1]);
	if (argc == 1) {
		ret = cli_name(c, "rdomain", argv[0], name);
		if (ret)
			return ret;
		filter = name;
		snprintf(none, sizeof(none), "rdomain %s: no such routing domain", name);
	}
	return cli_show_named(c, TENET_KIND_RDOMAIN, NULL, keep_rdomain, (void *)filter,
			      rdomain_fields, filter ? none : NULL);
}

static const struct cli_verb rdomain_verbs[] = {
	{ "add", rdomain_add, 0, "add NAME [id GUID]" },
	{ "del", rdomain_del, 0, "del NAME [force]" },
	{ "delete", rdomain_del, .alias = true },
	{ "show", rdomain_show, 0, "show [NAME]" },
	{ "list", rdomain_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_rdomain = {
	.name = "rdomain",
	.summary = "routing domains (one tenant's virtual network)",
	.verbs = rdomain_verbs,
	.dflt = "show",
	.notes =
		"NAME: letters, digits, '_', '.', '-'. Without 'id' a random GUID is made.\n"
		"A numeric id (the datapath's key) is assigned at creation.\n"
		"'del' refuses while the domain has virtual subnets; 'force' deletes them,\n"
		"their lookup records and the domain's customer routes too.\n",
};

/* ---- vsubnet ---- */

static const struct cli_field vsubnet_fields[] = {
	{ "vsid", NULL }, { "rdomain", "rdomain" }, { "prefix", "prefix" }, { NULL, NULL },
};

static int vsubnet_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_VSUBNET };
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED },
		{ "prefix", "CIDR", ARG_REQUIRED },
		{ NULL },
	};
	const char *vsid;
	int ret;

	ret = cli_positional(c, &argc, &argv, "VSID", &vsid);
	if (!ret)
		ret = cli_vsid(c, "vsid", vsid, &rec.vsubnet.vsid);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, rec.vsubnet.rdomain);
	if (!ret)
		ret = cli_prefix(c, "prefix", args[1].val, &rec.vsubnet.prefix);
	if (ret)
		return ret;
	return cli_put(c, &rec, 0);
}

static int vsubnet_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_VSUBNET };
	struct cli_arg args[] = { { "force", "", ARG_FLAG }, { NULL } };
	const char *vsid;
	int ret;

	ret = cli_positional(c, &argc, &argv, "VSID", &vsid);
	if (!ret)
		ret = cli_vsid(c, "vsid", vsid, &id.vsubnet.vsid);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (ret)
		return ret;
	return cli_del(c, &id, args[0].val ? TENET_POLICY_FORCE : 0);
}

/* Filters of the show verbs: a field is checked only when given. */
struct filter {
	const char *rdomain;
	uint32_t vsid;
	bool has_type;
	enum tenet_lookup_type type;
	/* lookup show only */
	bool has_ca, has_mac, has_pa;
	uint32_t ca, pa;
	uint8_t mac[TENET_MAC_LEN];
};

static int parse_filter(struct cli *c, int argc, char **argv, struct filter *f,
			bool lookup)
{
	struct cli_arg args[] = {
		{ "rdomain", "NAME" }, { "vsid", "VSID" }, { lookup ? "type" : NULL, "TYPE" },
		{ "ca", "IP" }, { "mac", "MAC" }, { "pa", "IP" }, { NULL },
	};
	struct tenet_err e;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = cli_args(c, argc, argv, args);
	if (ret)
		return ret;
	f->rdomain = args[0].val;
	if (f->rdomain && tenet_check_name(f->rdomain, &e) < 0)
		return cli_usage(c, "rdomain '%s': %s", f->rdomain, e.msg);
	if (args[1].val && (ret = cli_vsid(c, "vsid", args[1].val, &f->vsid)))
		return ret;
	if (lookup && args[2].val) {
		if (tenet_lookup_type_parse(args[2].val, &f->type, &e) < 0)
			return cli_usage(c, "type '%s': %s", args[2].val, e.msg);
		f->has_type = true;
	}
	if (args[3].val && (ret = cli_ip(c, "ca", args[3].val, &f->ca)))
		return ret;
	if (args[4].val && (ret = cli_mac(c, "mac", args[4].val, f->mac)))
		return ret;
	if (args[5].val && (ret = cli_ip(c, "pa", args[5].val, &f->pa)))
		return ret;
	f->has_ca = args[3].val;
	f->has_mac = args[4].val;
	f->has_pa = args[5].val;
	if (!lookup && (f->has_ca || f->has_mac || f->has_pa))
		return cli_usage(c, "%s show: unknown argument '%s'", c->object,
				 f->has_ca ? "ca" : f->has_mac ? "mac" : "pa");
	if (f->rdomain)
		return need_rdomain(c, f->rdomain);
	return 0;
}

static bool keep_vsubnet(const struct tenet_record *r, void *arg)
{
	const struct filter *f = arg;

	return (!f->rdomain || !strcmp(r->vsubnet.rdomain, f->rdomain)) &&
	       (!f->vsid || r->vsubnet.vsid == f->vsid);
}

static int vsubnet_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct filter f;
	int ret;

	char none[64];

	ret = parse_filter(c, argc, argv, &f, false);
	if (ret)
		return ret;
	/* A VSID names one subnet. */
	snprintf(none, sizeof(none), "vsid %u: no virtual subnet with this VSID", f.vsid);
	return cli_show_named(c, TENET_KIND_VSUBNET, NULL, keep_vsubnet, &f, vsubnet_fields,
			      f.vsid && !f.rdomain ? none : NULL);
}

static const struct cli_verb vsubnet_verbs[] = {
	{ "add", vsubnet_add, 0, "add VSID rdomain NAME prefix CIDR" },
	{ "del", vsubnet_del, 0, "del VSID [force]" },
	{ "delete", vsubnet_del, .alias = true },
	{ "show", vsubnet_show, 0, "show [rdomain NAME] [vsid VSID]" },
	{ "list", vsubnet_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_vsubnet = {
	.name = "vsubnet",
	.summary = "virtual subnets (VSID -> routing domain + prefix)",
	.verbs = vsubnet_verbs,
	.dflt = "show",
	.notes =
		"VSID: 4096..16777214, in one routing domain only. CIDR: a network (no host\n"
		"bits), /30 or larger, not overlapping another subnet of the domain; its .1\n"
		"is the distributed router. 'del' refuses while lookup records or customer\n"
		"routes depend on the subnet; 'force' deletes them too.\n",
};

/* ---- lookup ---- */

static const struct cli_field lookup_fields[] = {
	{ "vsid", "vsid" }, { "ca", "ca" }, { "mac", "mac" }, { "pa", "pa" },
	{ "type", "type" }, { "rule", "rule" }, { NULL, NULL },
};

static int lookup_type(struct cli *c, const char *s, enum tenet_lookup_type *t)
{
	struct tenet_err e;

	if (!s) {
		*t = TENET_LOOKUP_STATIC;
		return 0;
	}
	if (tenet_lookup_type_parse(s, t, &e) < 0)
		return cli_usage(c, "type '%s': %s", s, e.msg);
	if (*t == TENET_LOOKUP_DYNAMIC)
		return cli_usage(c, "type '%s': dynamic records are learned, not configured", s);
	return 0;
}

static int lookup_rule(struct cli *c, const char *s, enum tenet_lookup_rule *r)
{
	struct tenet_err e;

	if (!s) {
		*r = TENET_RULE_ENCAP;
		return 0;
	}
	if (tenet_lookup_rule_parse(s, r, &e) < 0)
		return cli_usage(c, "rule '%s': %s", s, e.msg);
	return 0;
}

static int lookup_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP };
	struct tenet_lookup *l = &rec.lookup;
	struct cli_arg args[] = {
		{ "vsid", "VSID", ARG_REQUIRED }, { "ca", "IP" },
		{ "mac", "MAC", ARG_REQUIRED },   { "pa", "IP", ARG_REQUIRED },
		{ "type", "static|l2only|gateway" }, { "rule", "encap|none" },
		{ NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_vsid(c, "vsid", args[0].val, &l->vsid);
	if (!ret)
		ret = lookup_type(c, args[4].val, &l->type);
	if (!ret)
		ret = lookup_rule(c, args[5].val, &l->rule);
	if (ret)
		return ret;
	/* l2only records know a MAC only; the IP is learned later. */
	if (l->type == TENET_LOOKUP_L2ONLY && args[1].val)
		return cli_usage(c, "ca '%s': l2only records have no CA IP", args[1].val);
	if (l->type != TENET_LOOKUP_L2ONLY && !args[1].val)
		return cli_usage(c, "lookup %s: missing 'ca IP'", c->verb);
	if (args[1].val) {
		l->has_ca = true;
		ret = cli_ip(c, "ca", args[1].val, &l->ca);
	}
	if (!ret)
		ret = cli_mac(c, "mac", args[2].val, l->mac);
	if (!ret)
		ret = cli_ip(c, "pa", args[3].val, &l->pa);
	if (ret)
		return ret;
	return cli_put(c, &rec, flags);
}

static int lookup_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP };
	struct cli_arg args[] = {
		{ "vsid", "VSID", ARG_REQUIRED }, { "ca", "IP" }, { "mac", "MAC" },
		{ "force", "", ARG_FLAG }, { NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_vsid(c, "vsid", args[0].val, &id.lookup.vsid);
	if (ret)
		return ret;
	if (!args[1].val == !args[2].val)
		return cli_usage(c, "lookup del: give one of 'ca IP' or 'mac MAC'");
	if (args[1].val) {
		id.lookup.has_ca = true;
		ret = cli_ip(c, "ca", args[1].val, &id.lookup.ca);
	} else {
		ret = cli_mac(c, "mac", args[2].val, id.lookup.mac);
	}
	if (ret)
		return ret;
	return cli_del(c, &id, args[3].val ? TENET_POLICY_FORCE : 0);
}

struct lookup_filter {
	struct filter f;
	struct tenet_record_list subnets;   /* for the rdomain filter */
};

static bool keep_lookup(const struct tenet_record *r, void *arg)
{
	const struct lookup_filter *lf = arg;
	size_t i;

	if (lf->f.vsid && r->lookup.vsid != lf->f.vsid)
		return false;
	if (lf->f.has_type && r->lookup.type != lf->f.type)
		return false;
	if (lf->f.has_ca && (!r->lookup.has_ca || r->lookup.ca != lf->f.ca))
		return false;
	if (lf->f.has_mac && memcmp(r->lookup.mac, lf->f.mac, TENET_MAC_LEN))
		return false;
	if (lf->f.has_pa && r->lookup.pa != lf->f.pa)
		return false;
	if (!lf->f.rdomain)
		return true;
	for (i = 0; i < lf->subnets.n; i++)
		if (lf->subnets.recs[i].vsubnet.vsid == r->lookup.vsid)
			return !strcmp(lf->subnets.recs[i].vsubnet.rdomain, lf->f.rdomain);
	return false;
}

static int lookup_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct lookup_filter lf = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int ret;

	char none[64] = "", a[TENET_IPV4_STRLEN], m[TENET_MAC_STRLEN];

	ret = parse_filter(c, argc, argv, &lf.f, true);
	if (!ret && lf.f.rdomain) {
		ret = cli_store(c, &s);
		if (!ret && tenet_policy_list(s, TENET_KIND_VSUBNET, NULL, &lf.subnets, &err) < 0)
			ret = cli_lib_fail(c, &err);
	}
	/* A CA or a MAC names records (one per routing domain or VSID); a
	 * PA, a VSID or a type only filters. */
	if (lf.f.has_ca)
		snprintf(none, sizeof(none), "ca %s: no lookup record",
			 tenet_fmt_ipv4(lf.f.ca, a));
	else if (lf.f.has_mac)
		snprintf(none, sizeof(none), "mac %s: no lookup record",
			 tenet_fmt_mac(lf.f.mac, m));
	if (!ret)
		ret = cli_show_named(c, TENET_KIND_LOOKUP, NULL, keep_lookup, &lf, lookup_fields,
				     none[0] ? none : NULL);
	tenet_record_list_free(&lf.subnets);
	return ret;
}

static const struct cli_verb lookup_verbs[] = {
	{ "add", lookup_put, 0,
	  "add vsid VSID ca IP mac MAC pa IP [type static|gateway]\n"
	  "                        [rule encap|none]\n"
	  "add vsid VSID mac MAC pa IP type l2only [rule encap|none]" },
	{ "replace", lookup_put, TENET_POLICY_REPLACE, "replace ...same as add..." },
	{ "del", lookup_del, 0, "del vsid VSID { ca IP | mac MAC } [force]" },
	{ "delete", lookup_del, .alias = true },
	{ "show", lookup_show, 0,
	  "show [vsid VSID] [rdomain NAME] [type TYPE] [ca IP | mac MAC | pa IP]" },
	{ "list", lookup_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_lookup = {
	.name = "lookup",
	.summary = "lookup records ((VSID, CA, MAC) -> PA)",
	.verbs = lookup_verbs,
	.dflt = "show",
	.notes =
		"Defaults: type static, rule encap. The VSID needs a virtual subnet; the CA\n"
		"must lie in its prefix (gateway records excepted) and be unique in the\n"
		"routing domain; the MAC must be unique in the VSID. l2only records have\n"
		"no CA. dynamic records are learned by tenetd, not added here. 'del'\n"
		"refuses while a customer route uses the CA as next hop ('force' deletes\n"
		"the route too).\n",
};

/* ---- croute ---- */

static const struct cli_field croute_fields[] = {
	{ "rdomain", "rdomain" }, { "vsid", "vsid" }, { "prefix", "prefix" },
	{ "nexthop", "nexthop" }, { "metric", "metric" }, { NULL, NULL },
};

static int croute_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_CROUTE };
	struct tenet_croute *r = &rec.croute;
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED }, { "vsid", "VSID", ARG_REQUIRED },
		{ "prefix", "CIDR", ARG_REQUIRED },  { "nexthop", "IP", ARG_REQUIRED },
		{ "metric", "N" },                   { NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, r->rdomain);
	if (!ret)
		ret = cli_vsid(c, "vsid", args[1].val, &r->vsid);
	if (!ret)
		ret = cli_prefix(c, "prefix", args[2].val, &r->prefix);
	if (!ret)
		ret = cli_ip(c, "nexthop", args[3].val, &r->nexthop);
	if (!ret && args[4].val)
		ret = cli_u32(c, "metric", args[4].val, 0, UINT32_MAX, &r->metric);
	if (ret)
		return ret;
	return cli_put(c, &rec, flags);
}

static int croute_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_CROUTE };
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED }, { "prefix", "CIDR", ARG_REQUIRED }, { NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, id.croute.rdomain);
	if (!ret)
		ret = cli_prefix(c, "prefix", args[1].val, &id.croute.prefix);
	if (ret)
		return ret;
	return cli_del(c, &id, 0);
}

static bool keep_croute(const struct tenet_record *r, void *arg)
{
	const struct filter *f = arg;

	return (!f->rdomain || !strcmp(r->croute.rdomain, f->rdomain)) &&
	       (!f->vsid || r->croute.vsid == f->vsid);
}

static int croute_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct filter f;
	int ret;

	ret = parse_filter(c, argc, argv, &f, false);
	if (ret)
		return ret;
	return cli_show(c, TENET_KIND_CROUTE, NULL, keep_croute, &f, croute_fields);
}

static const struct cli_verb croute_verbs[] = {
	{ "add", croute_put, 0,
	  "add rdomain NAME vsid VSID prefix CIDR nexthop IP [metric N]" },
	{ "replace", croute_put, TENET_POLICY_REPLACE, "replace ...same as add..." },
	{ "del", croute_del, 0, "del rdomain NAME prefix CIDR" },
	{ "delete", croute_del, .alias = true },
	{ "show", croute_show, 0, "show [rdomain NAME] [vsid VSID]" },
	{ "list", croute_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_croute = {
	.name = "croute",
	.summary = "customer routes ((rdomain, prefix) -> next hop)",
	.verbs = croute_verbs,
	.dflt = "show",
	.notes =
		"One route per prefix per routing domain. nexthop 0.0.0.0 is on-link; any\n"
		"other next hop needs a lookup record for that CA in the routing domain.\n"
		"0.0.0.0/0 to a gateway's CA is the wildcard route. metric defaults to 0.\n",
};

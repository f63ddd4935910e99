// SPDX-License-Identifier: GPL-2.0
/* `tenet nat`: multi-tenant NAT of gateway compartments (per-tenant or
 * shared external addresses, static inbound mappings) and the active
 * translations read back from conntrack. See docs/gateway.md. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "cli_gw.h"

static bool is_local_addr(uint32_t addr)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return true;            /* cannot tell: let the agent say */
	for (i = ifa; i && !found; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;

		found = sin && sin->sin_family == AF_INET && sin->sin_addr.s_addr == addr;
	}
	freeifaddrs(ifa);
	return found;
}

static int nat_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_NAT };
	struct tenet_nat *n = &rec.nat;
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED }, { "external", "IP", ARG_REQUIRED },
		{ "via", "IP" }, { "ports", "A-B" }, { "host", "NAME" },
		{ "nocheck", "", ARG_FLAG }, { NULL },
	};
	struct tenet_err e;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, n->rdomain);
	if (!ret)
		ret = cli_ip(c, "external", args[1].val, &n->external);
	if (!ret && args[2].val)
		ret = cli_ip(c, "via", args[2].val, &n->via);
	if (!ret && args[3].val && tenet_parse_port_range(args[3].val, &n->port_min,
							   &n->port_max, &e) < 0)
		ret = cli_usage(c, "ports '%s': %s", args[3].val, e.msg);
	if (!ret)
		ret = cli_host(c, args[4].val, n->host);
	if (ret)
		return ret;
	if (!args[5].val && !is_local_addr(n->external))
		return cli_fail(c, "external %s: not an address of this host (configure it on the "
				"uplink first)", args[1].val);
	return cli_put(c, &rec, flags);
}

static int nat_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_NAT };
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED }, { "host", "NAME" }, { "force", "", ARG_FLAG },
		{ NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, id.nat.rdomain);
	if (!ret)
		ret = cli_host(c, args[1].val, id.nat.host);
	if (ret)
		return ret;
	return cli_del(c, &id, args[2].val ? TENET_POLICY_FORCE : 0);
}

static int parse_ext(struct cli *c, const char *s, struct tenet_natmap *m)
{
	struct tenet_err e;

	if (tenet_parse_ip_port(s, &m->external, &m->ext_port, &e) < 0)
		return cli_usage(c, "external '%s': %s", s, e.msg);
	return 0;
}

static int map_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_NATMAP };
	struct tenet_natmap *m = &rec.natmap;
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED }, { "proto", "tcp|udp", ARG_REQUIRED },
		{ "external", "IP:PORT", ARG_REQUIRED }, { "ca", "IP:PORT", ARG_REQUIRED },
		{ "host", "NAME" }, { NULL },
	};
	struct tenet_err e;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, m->rdomain);
	if (!ret && tenet_proto_parse(args[1].val, &m->proto, &e) < 0)
		ret = cli_usage(c, "proto '%s': %s", args[1].val, e.msg);
	if (!ret)
		ret = parse_ext(c, args[2].val, m);
	if (!ret && tenet_parse_ip_port(args[3].val, &m->ca, &m->ca_port, &e) < 0)
		ret = cli_usage(c, "ca '%s': %s", args[3].val, e.msg);
	if (!ret)
		ret = cli_host(c, args[4].val, m->host);
	return ret ? ret : cli_put(c, &rec, flags);
}

static int map_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_NATMAP };
	struct cli_arg args[] = {
		{ "proto", "tcp|udp", ARG_REQUIRED }, { "external", "IP:PORT", ARG_REQUIRED },
		{ "host", "NAME" }, { NULL },
	};
	struct tenet_err e;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret && tenet_proto_parse(args[0].val, &id.natmap.proto, &e) < 0)
		ret = cli_usage(c, "proto '%s': %s", args[0].val, e.msg);
	if (!ret)
		ret = parse_ext(c, args[1].val, &id.natmap);
	if (!ret)
		ret = cli_host(c, args[2].val, id.natmap.host);
	return ret ? ret : cli_del(c, &id, 0);
}

static int map_show(struct cli *c, int argc, char **argv, unsigned int flags);

static const struct cli_verb map_verbs[] = {
	{ "add", map_add, 0 },
	{ "replace", map_add, TENET_POLICY_REPLACE },
	{ "del", map_del, 0 },
	{ "delete", map_del, .alias = true },
	{ "show", map_show, 0 },
	{ "list", map_show, .alias = true },
	{ NULL },
};

static int map_run(struct cli *c, int argc, char **argv, unsigned int flags)
{
	c->verb = "map";
	return cli_run_subverb(c, map_verbs, "nat map", argc, argv);
}

/* ---- configuration ---- */

/* Text lines are what `nat add` and `nat map add` take; the JSON objects
 * are the records (ports as numbers). The text of a port range and of
 * IP:PORT pairs joins two JSON fields, so these lines are made here. */
static void print_nat_line(struct cli *c, const struct tenet_nat *n)
{
	char a[TENET_IPV4_STRLEN];

	fprintf(c->out, "rdomain %s external %s", n->rdomain, tenet_fmt_ipv4(n->external, a));
	if (n->via)
		fprintf(c->out, " via %s", tenet_fmt_ipv4(n->via, a));
	if (n->port_min)
		fprintf(c->out, " ports %u-%u", n->port_min, n->port_max);
	fprintf(c->out, " host %s\n", n->host);
}

static void print_map_line(struct cli *c, const struct tenet_natmap *m)
{
	char a[TENET_IPV4_STRLEN], b[TENET_IPV4_STRLEN];

	fprintf(c->out, "rdomain %s proto %s external %s:%u ca %s:%u host %s\n", m->rdomain,
		tenet_proto_name(m->proto), tenet_fmt_ipv4(m->external, a), m->ext_port,
		tenet_fmt_ipv4(m->ca, b), m->ca_port, m->host);
}

static bool keep_rd(const struct tenet_record *r, const char *rd)
{
	return !rd || !strcmp(rd, tenet_record_name_field(r, "rdomain"));
}

/* The records of kind for `[rdomain NAME] [host NAME | all]`, printed. */
static int list_kind(struct cli *c, enum tenet_kind kind, int argc, char **argv)
{
	struct cli_arg args[] = {
		{ "rdomain", "NAME" }, { "host", "NAME" }, { "all", "", ARG_FLAG }, { NULL },
	};
	struct tenet_record_list l = { 0 };
	char host[TENET_NAME_MAX + 1];
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	json_t *a;
	size_t i;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret && args[1].val && args[2].val)
		ret = cli_usage(c, "%s %s: 'host' and 'all' exclude each other", c->object, c->verb);
	if (!ret && !args[2].val)
		ret = cli_host(c, args[1].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, kind, args[2].val ? NULL : host, &l, &err) < 0)
		return cli_lib_fail(c, &err);
	a = json_array();
	for (i = 0; i < l.n; i++) {
		if (!keep_rd(&l.recs[i], args[0].val))
			continue;
		if (c->json)
			json_array_append_new(a, tenet_record_to_json(&l.recs[i]));
		else if (kind == TENET_KIND_NAT)
			print_nat_line(c, &l.recs[i].nat);
		else
			print_map_line(c, &l.recs[i].natmap);
	}
	ret = c->json ? cli_print(c, a, NULL) : 0;
	json_decref(a);
	tenet_record_list_free(&l);
	return ret;
}

static int map_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	return list_kind(c, TENET_KIND_NATMAP, argc, argv);
}

static int nat_config(struct cli *c, int argc, char **argv, unsigned int flags)
{
	return list_kind(c, TENET_KIND_NAT, argc, argv);
}

/* ---- active translations (conntrack) ---- */

struct xlat_ctx {
	struct cli *c;
	const struct tenet_record_list *cmps;
	const char *rdomain;
	json_t *array;
};

/* An endpoint: "WHAT" the address, "WHAT_port" its port as a number
 * (port-based protocols only). */
static void jaddr(json_t *o, const char *what, uint32_t ip, uint16_t port, uint8_t proto)
{
	char a[TENET_IPV4_STRLEN], key[32];

	json_object_set_new(o, what, json_string(tenet_fmt_ipv4(ip, a)));
	if (proto == 6 || proto == 17) {
		snprintf(key, sizeof(key), "%s_port", what);
		json_object_set_new(o, key, json_integer(ntohs(port)));
	}
}

static const char *proto_word(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "other";
}

static int xlat_one(const struct tenet_ct *e, void *arg)
{
	struct xlat_ctx *x = arg;
	const struct tenet_compartment *cm = NULL;
	bool inbound = e->status & IPS_DST_NAT;
	json_t *o;

	if ((e->mark & TENET_GW_MARK_MASK) != TENET_GW_MARK_BASE ||
	    !(e->status & (IPS_SRC_NAT | IPS_DST_NAT)))
		return 0;
	for (size_t i = 0; i < x->cmps->n; i++)
		if (tenet_gw_mark(x->cmps->recs[i].compartment.id) == e->mark)
			cm = &x->cmps->recs[i].compartment;
	if (!cm || (x->rdomain && strcmp(x->rdomain, cm->rdomain)))
		return 0;
	o = json_object();
	json_object_set_new(o, "rdomain", json_string(cm->rdomain));
	json_object_set_new(o, "compartment", json_string(cm->name));
	json_object_set_new(o, "direction", json_string(inbound ? "inbound" : "outbound"));
	json_object_set_new(o, "proto", json_string(proto_word(e->proto)));
	jaddr(o, "source", e->osrc, e->osport, e->proto);
	jaddr(o, "destination", e->odst, e->odport, e->proto);
	/* Outbound: the source the Internet sees is the reply's destination;
	 * inbound: the CA it reaches is the reply's source. */
	if (inbound)
		jaddr(o, "translated", e->rsrc, e->rsport, e->proto);
	else
		jaddr(o, "translated", e->rdst, e->rdport, e->proto);
	json_object_set_new(o, "zone", json_integer(e->zone));
	return json_array_append_new(x->array, o) < 0 ? -ENOMEM : 0;
}

/* "Contoso outbound tcp 10.0.0.5:40000 -> 203.0.113.100:7000 as
 * 203.0.113.1:40000": state, not configuration, so not a command. */
static void xlat_endpoint(FILE *f, const json_t *o, const char *what)
{
	char key[32];
	const json_t *p;

	snprintf(key, sizeof(key), "%s_port", what);
	p = json_object_get(o, key);
	fputs(json_string_value(json_object_get(o, what)), f);
	if (p)
		fprintf(f, ":%" JSON_INTEGER_FORMAT, json_integer_value(p));
}

static void xlat_print(struct cli *c, const json_t *array)
{
	const json_t *o;
	size_t i;

	json_array_foreach(array, i, o) {
		fprintf(c->out, "%s %s %s ", json_string_value(json_object_get(o, "rdomain")),
			json_string_value(json_object_get(o, "direction")),
			json_string_value(json_object_get(o, "proto")));
		xlat_endpoint(c->out, o, "source");
		fputs(" -> ", c->out);
		xlat_endpoint(c->out, o, "destination");
		fputs(" as ", c->out);
		xlat_endpoint(c->out, o, "translated");
		fputc('\n', c->out);
	}
}

static int nat_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME" }, { "host", "NAME" }, { NULL } };
	struct tenet_record_list cmps = { 0 };
	struct xlat_ctx x = { .c = c };
	char host[TENET_NAME_MAX + 1];
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[1].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_COMPARTMENT, host, &cmps, &err) < 0)
		return cli_lib_fail(c, &err);
	x.cmps = &cmps;
	x.rdomain = args[0].val;
	x.array = json_array();
	if (tenet_ct_dump(xlat_one, &x, &err) < 0)
		ret = cli_lib_fail(c, &err);
	else if (c->json)
		ret = cli_print(c, x.array, NULL);
	else
		xlat_print(c, x.array);
	json_decref(x.array);
	tenet_record_list_free(&cmps);
	return ret;
}

static const struct cli_verb nat_verbs[] = {
	{ "add", nat_put, 0,
	  "add rdomain NAME external IP [via IP] [ports A-B] [host NAME]\n"
	  "                     [nocheck]" },
	{ "replace", nat_put, TENET_POLICY_REPLACE, "replace ...same as add..." },
	{ "del", nat_del, 0, "del rdomain NAME [force] [host NAME]" },
	{ "delete", nat_del, .alias = true },
	{ "map", map_run, 0,
	  "map add rdomain NAME proto tcp|udp external IP:PORT ca IP:PORT\n"
	  "                         [host NAME]\n"
	  "map del proto tcp|udp external IP:PORT [host NAME]\n"
	  "map show [rdomain NAME] [host NAME | all]" },
	{ "config", nat_config, 0, "config [rdomain NAME] [host NAME | all]" },
	{ "show", nat_show, 0, "show [rdomain NAME] [host NAME]" },
	{ "list", nat_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_nat = {
	.name = "nat",
	.summary = "multi-tenant NAT of compartments, inbound mappings, translations",
	.verbs = nat_verbs,
	.dflt = "show",
	.notes =
		"'add': what has no route in the routing domain's compartment leaves through\n"
		"the uplink holding IP (an address of this host: several tenants may share\n"
		"it), translated to IP; 'via' is the uplink's next hop (default: on-link).\n"
		"'map': a static inbound mapping to a CA ('map show' lists them). 'config'\n"
		"lists the NAT configuration, 'show' the active translations per tenant\n"
		"(conntrack of this host).\n",
};

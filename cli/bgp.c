// SPDX-License-Identifier: GPL-2.0
/* `tenet bgp`: BGP per compartment (the tenant's BGP instance in its
 * compartment's VRF, its neighbors). Configuration goes to the store and
 * tenetd puts it into FRR; `show` asks FRR on this host (vtysh, JSON) for
 * the sessions and the routes they learned. See docs/bgp.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_gw.h"
#include "frr/bgp.h"
#include "frr/vtysh.h"
#include "kinds/bgp.h"
#include "kinds/gateway.h"

static int cli_asn(struct cli *c, const char *kw, const char *s, uint32_t *asn)
{
	struct tenet_err err = { 0 };

	if (tenet_bgp_parse_asn(s, asn, &err) < 0)
		return cli_usage(c, "%s '%s': %s", kw, s, err.msg);
	return 0;
}

/* ---- the instance ---- */

static int bgp_set(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME", ARG_REQUIRED }, { "asn", "ASN", ARG_REQUIRED },
				  { "router-id", "IP" }, { "host", "NAME" }, { NULL } };
	struct tenet_record rec = { .kind = TENET_KIND_BGP };
	struct tenet_bgp *b = &rec.bgp;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, b->rdomain);
	if (!ret)
		ret = cli_asn(c, "asn", args[1].val, &b->asn);
	if (!ret && args[2].val)
		ret = cli_ip(c, "router-id", args[2].val, &b->router_id);
	if (!ret)
		ret = cli_host(c, args[3].val, b->host);
	return ret ? ret : cli_put(c, &rec, TENET_POLICY_REPLACE);
}

static int bgp_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME", ARG_REQUIRED }, { "host", "NAME" }, { NULL } };
	struct tenet_record id = { .kind = TENET_KIND_BGP };
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, id.bgp.rdomain);
	if (!ret)
		ret = cli_host(c, args[1].val, id.bgp.host);
	return ret ? ret : cli_del(c, &id, 0);
}

/* ---- neighbors ---- */

/* `via s2s NAME` is three words: taken out of argv before the keyword
 * arguments are read. */
static int take_via(struct cli *c, int *argc, char **argv, char *via)
{
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "via"))
			continue;
		if (i + 2 >= *argc || strcmp(argv[i + 1], "s2s"))
			return cli_usage(c, "neighbor add: 'via' takes 's2s NAME'");
		if (cli_name(c, "via s2s", argv[i + 2], via))
			return TENET_EXIT_USAGE;
		memmove(&argv[i], &argv[i + 3], (size_t)(*argc - i - 3) * sizeof(*argv));
		*argc -= 3;
		return 0;
	}
	return 0;
}

static int nbr_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME", ARG_REQUIRED },
				  { "address", "IP", ARG_REQUIRED },
				  { "remote-as", "ASN", ARG_REQUIRED },
				  { "bfd", "", ARG_FLAG }, { "host", "NAME" }, { NULL } };
	struct tenet_record rec = { .kind = TENET_KIND_BGPNBR };
	struct tenet_bgpnbr *n = &rec.bgpnbr;
	int ret;

	ret = take_via(c, &argc, argv, n->via);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, n->rdomain);
	if (!ret)
		ret = cli_ip(c, "address", args[1].val, &n->address);
	if (!ret)
		ret = cli_asn(c, "remote-as", args[2].val, &n->remote_as);
	n->bfd = args[3].val != NULL;
	if (!ret)
		ret = cli_host(c, args[4].val, n->host);
	return ret ? ret : cli_put(c, &rec, flags);
}

static int nbr_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME", ARG_REQUIRED },
				  { "address", "IP", ARG_REQUIRED }, { "host", "NAME" }, { NULL } };
	struct tenet_record id = { .kind = TENET_KIND_BGPNBR };
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, id.bgpnbr.rdomain);
	if (!ret)
		ret = cli_ip(c, "address", args[1].val, &id.bgpnbr.address);
	if (!ret)
		ret = cli_host(c, args[2].val, id.bgpnbr.host);
	return ret ? ret : cli_del(c, &id, 0);
}

static const struct cli_verb nbr_verbs[] = {
	{ "add", nbr_add, 0 },
	{ "set", nbr_add, TENET_POLICY_REPLACE },
	{ "del", nbr_del, 0 },
	{ "delete", nbr_del, .alias = true },
	{ NULL },
};

static int bgp_neighbor(struct cli *c, int argc, char **argv, unsigned int flags)
{
	c->verb = "neighbor";
	return cli_run_subverb(c, nbr_verbs, "bgp neighbor", argc, argv);
}

/* ---- state from FRR ---- */

static const char *frr_pathspace(const char *arg)
{
	const char *env = getenv("TENET_FRR");

	return arg ? arg : env ? env : "";
}

/* vtysh -c CMD as JSON; NULL when FRR cannot say (err set). */
static json_t *frr_json(const char *ps, const char *cmd, struct tenet_err *err)
{
	char *text = NULL;
	json_error_t je;
	json_t *j;

	if (frr_vtysh(ps, cmd, NULL, &text, err) < 0)
		return NULL;
	j = json_loads(text, JSON_DECODE_ANY, &je);
	if (!j)
		tenet_err_set(err, -EBADMSG, "vtysh %s: not JSON (%s)", cmd, je.text);
	free(text);
	return j;
}

static json_t *neighbor_json(const struct tenet_bgpnbr *n, const json_t *peers)
{
	char a[TENET_IPV4_STRLEN];
	const json_t *p = json_object_get(peers, tenet_fmt_ipv4(n->address, a));
	json_t *o = json_pack("{s:s, s:I, s:b}", "address", a, "remote_as",
			      (json_int_t)n->remote_as, "bfd", n->bfd != 0);

	if (n->via[0])
		json_object_set_new(o, "via", json_string(n->via));
	if (p) {
		json_object_set(o, "state", json_object_get(p, "state"));
		json_object_set(o, "uptime", json_object_get(p, "peerUptime"));
		json_object_set(o, "uptime_ms", json_object_get(p, "peerUptimeMsec"));
		json_object_set(o, "prefixes_received", json_object_get(p, "pfxRcd"));
		json_object_set(o, "prefixes_sent", json_object_get(p, "pfxSnt"));
	}
	return o;
}

/* The BGP routes of a VRF's RIB (zebra): prefix, next hops, installed. */
static json_t *routes_json(const json_t *rib)
{
	json_t *out = json_array();
	const char *prefix;
	json_t *entries;

	json_object_foreach((json_t *)rib, prefix, entries) {
		size_t i, j;
		json_t *r, *nh;

		json_array_foreach(entries, i, r) {
			json_t *o, *hops = json_array();

			json_array_foreach(json_object_get(r, "nexthops"), j, nh) {
				json_t *h = json_object();

				if (json_object_get(nh, "ip"))
					json_object_set(h, "via", json_object_get(nh, "ip"));
				if (json_object_get(nh, "interfaceName"))
					json_object_set(h, "dev", json_object_get(nh, "interfaceName"));
				json_array_append_new(hops, h);
			}
			o = json_pack("{s:s, s:b, s:o}", "prefix", prefix, "installed",
				      json_is_true(json_object_get(r, "installed")), "nexthops", hops);
			json_array_append_new(out, o);
		}
	}
	return out;
}

static void print_instance(FILE *f, const json_t *o)
{
	const json_t *n, *r, *h;
	size_t i, j;

	fprintf(f, "rdomain %s asn %" JSON_INTEGER_FORMAT, json_string_value(json_object_get(o, "rdomain")),
		json_integer_value(json_object_get(o, "asn")));
	if (json_object_get(o, "router_id"))
		fprintf(f, " router-id %s", json_string_value(json_object_get(o, "router_id")));
	fprintf(f, " host %s  # vrf %s\n", json_string_value(json_object_get(o, "host")),
		json_string_value(json_object_get(o, "vrf")));
	json_array_foreach(json_object_get(o, "neighbors"), i, n) {
		fprintf(f, "  neighbor %s remote-as %" JSON_INTEGER_FORMAT,
			json_string_value(json_object_get(n, "address")),
			json_integer_value(json_object_get(n, "remote_as")));
		if (json_is_true(json_object_get(n, "bfd")))
			fprintf(f, " bfd");
		if (json_object_get(n, "via"))
			fprintf(f, " via s2s %s", json_string_value(json_object_get(n, "via")));
		if (json_object_get(n, "state"))
			fprintf(f, "  # %s, up %s, received %" JSON_INTEGER_FORMAT
				", sent %" JSON_INTEGER_FORMAT "\n",
				json_string_value(json_object_get(n, "state")),
				json_string_value(json_object_get(n, "uptime")),
				json_integer_value(json_object_get(n, "prefixes_received")),
				json_integer_value(json_object_get(n, "prefixes_sent")));
		else
			fprintf(f, "  # not in FRR\n");
	}
	json_array_foreach(json_object_get(o, "routes"), i, r) {
		fprintf(f, "  route %s", json_string_value(json_object_get(r, "prefix")));
		json_array_foreach(json_object_get(r, "nexthops"), j, h) {
			if (json_object_get(h, "via"))
				fprintf(f, " via %s", json_string_value(json_object_get(h, "via")));
			if (json_object_get(h, "dev"))
				fprintf(f, " dev %s", json_string_value(json_object_get(h, "dev")));
		}
		fprintf(f, "%s\n", json_is_true(json_object_get(r, "installed")) ? "" :
			" (not installed)");
	}
}

static const struct tenet_compartment *cm_of(const struct tenet_record_list *cms, const char *rd)
{
	for (size_t i = 0; i < cms->n; i++)
		if (!strcmp(cms->recs[i].compartment.rdomain, rd))
			return &cms->recs[i].compartment;
	return NULL;
}

static int bgp_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME" }, { "host", "NAME" }, { "frr", "PATHSPACE" },
				  { NULL } };
	struct tenet_record_list bgps = { 0 }, nbrs = { 0 }, cms = { 0 };
	struct tenet_err err = { 0 }, ferr = { 0 };
	char host[TENET_NAME_MAX + 1];
	const char *ps;
	struct tenet_store *s;
	bool frr_ok = true;
	json_t *out;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[1].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	ps = frr_pathspace(args[2].val);
	if (tenet_policy_list(s, TENET_KIND_BGP, host, &bgps, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_BGPNBR, host, &nbrs, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_COMPARTMENT, host, &cms, &err) < 0) {
		ret = cli_lib_fail(c, &err);
		goto out;
	}
	out = json_array();
	for (size_t i = 0; i < bgps.n; i++) {
		const struct tenet_bgp *b = &bgps.recs[i].bgp;
		const struct tenet_compartment *cm = cm_of(&cms, b->rdomain);
		json_t *o, *sum = NULL, *rib = NULL, *na = json_array();
		char vrf[FRR_VRF_LEN], cmd[96], a[TENET_IPV4_STRLEN];

		if (args[0].val && strcmp(args[0].val, b->rdomain)) {
			json_decref(na);
			continue;
		}
		vrf[0] = '\0';
		if (cm)
			tenet_gw_devname(TENET_GW_VRF_PFX, cm->id, vrf, sizeof(vrf));
		if (cm && frr_ok) {
			snprintf(cmd, sizeof(cmd), "show bgp vrf %s ipv4 unicast summary json", vrf);
			sum = frr_json(ps, cmd, &ferr);
			frr_ok = sum != NULL;
		}
		if (cm && frr_ok) {
			snprintf(cmd, sizeof(cmd), "show ip route vrf %s bgp json", vrf);
			rib = frr_json(ps, cmd, &ferr);
		}
		for (size_t j = 0; j < nbrs.n; j++)
			if (!strcmp(nbrs.recs[j].bgpnbr.rdomain, b->rdomain))
				json_array_append_new(na, neighbor_json(&nbrs.recs[j].bgpnbr,
									json_object_get(sum, "peers")));
		o = json_pack("{s:s, s:s, s:I, s:s, s:o}", "rdomain", b->rdomain, "host", b->host,
			      "asn", (json_int_t)b->asn, "vrf", vrf, "neighbors", na);
		if (b->router_id)
			json_object_set_new(o, "router_id", json_string(tenet_fmt_ipv4(b->router_id, a)));
		if (rib)
			json_object_set_new(o, "routes", routes_json(rib));
		json_decref(sum);
		json_decref(rib);
		json_array_append_new(out, o);
	}
	if (args[0].val && !json_array_size(out)) {
		ret = cli_fail(c, "rdomain %s: no BGP on host %s", args[0].val, host);
	} else if (c->json) {
		ret = cli_print(c, out, NULL);
	} else {
		size_t i;
		json_t *o;

		if (!frr_ok)
			fprintf(c->out, "# FRR not reachable (%s): states unknown\n", ferr.msg);
		json_array_foreach(out, i, o)
			print_instance(c->out, o);
	}
	json_decref(out);
out:
	tenet_record_list_free(&bgps);
	tenet_record_list_free(&nbrs);
	tenet_record_list_free(&cms);
	return ret;
}

static const struct cli_verb bgp_verbs[] = {
	{ "set", bgp_set, 0, "set rdomain NAME asn ASN [router-id IP] [host NAME]" },
	{ "del", bgp_del, 0, "del rdomain NAME [host NAME]" },
	{ "delete", bgp_del, .alias = true },
	{ "neighbor", bgp_neighbor, 0,
	  "neighbor add|set rdomain NAME address IP remote-as ASN [bfd] [via s2s NAME]\n"
	  "                     [host NAME]\n"
	  "neighbor del rdomain NAME address IP [host NAME]" },
	{ "show", bgp_show, 0, "show [rdomain NAME] [host NAME] [frr PATHSPACE]" },
	{ "list", bgp_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_bgp = {
	.name = "bgp",
	.summary = "BGP per compartment (FRR): a tenant's instance and its neighbors",
	.verbs = bgp_verbs,
	.dflt = "show",
	.notes =
		"A tenant's BGP instance runs in its compartment's VRF on a gateway host\n"
		"(FRR's bgpd, configured by tenetd) and announces the routing domain's virtual\n"
		"subnets; what its peers announce goes into the compartment's table. A peer is\n"
		"on one of the compartment's subnets, or behind an S2S interface ('via s2s\n"
		"NAME': a /32 route to it on that interface dials the tunnel). 'bfd' asks FRR's\n"
		"bfdd to watch the session. 'bgp del' removes the neighbors too. 'show' asks FRR\n"
		"on this host (vtysh; frr PATHSPACE or $TENET_FRR for a named instance). See\n"
		"docs/bgp.md.\n",
};

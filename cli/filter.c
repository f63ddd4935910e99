// SPDX-License-Identifier: GPL-2.0
/* `tenet filter`: static IP filters of gateway interfaces (S2S interfaces
 * and compartments' internal interfaces), their modes, and their packet
 * counters read back from tenet's nftables table. See docs/filters.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <nftables/libnftables.h>

#include "cli_gw.h"

/* `interface IF` or `internal COMPARTMENT`: exactly one. */
static int parse_target(struct cli *c, const struct cli_arg *iface, const struct cli_arg *internal,
			bool required, int *on, char *name)
{
	if (iface->val && internal->val)
		return cli_usage(c, "give one of 'interface' and 'internal'");
	if (!iface->val && !internal->val)
		return required ? cli_usage(c, "missing 'interface IF' or 'internal COMPARTMENT'") : 0;
	*on = iface->val ? TENET_FILTER_S2S : TENET_FILTER_INTERNAL;
	return cli_name(c, iface->val ? "interface" : "internal",
			iface->val ? iface->val : internal->val, name);
}

static int parse_dir(struct cli *c, const char *s, int *dir)
{
	struct tenet_err e;

	if (tenet_filter_dir_parse(s, dir, &e) < 0)
		return cli_usage(c, "dir '%s': %s", s, e.msg);
	return 0;
}

static int filter_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_FILTER };
	struct tenet_filter *f = &rec.filter;
	struct cli_arg args[] = {
		{ "interface", "IF" }, { "internal", "COMPARTMENT" },
		{ "dir", "in|out", ARG_REQUIRED }, { "action", "allow|deny", ARG_REQUIRED },
		{ "src", "PREFIX" }, { "dst", "PREFIX" }, { "proto", "tcp|udp|icmp|N" },
		{ "sport", "P[-Q]" }, { "dport", "P[-Q]" }, { "icmp", "TYPE[:CODE]" },
		{ "host", "NAME" }, { NULL },
	};
	struct tenet_err e;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = parse_target(c, &args[0], &args[1], true, &f->on, f->iface);
	if (!ret)
		ret = parse_dir(c, args[2].val, &f->dir);
	if (!ret && tenet_filter_action_parse(args[3].val, &f->action, &e) < 0)
		ret = cli_usage(c, "action '%s': %s", args[3].val, e.msg);
	if (!ret && args[4].val)
		ret = cli_prefix(c, "src", args[4].val, &f->src);
	if (!ret && args[5].val)
		ret = cli_prefix(c, "dst", args[5].val, &f->dst);
	if (!ret && args[6].val && tenet_filter_proto_parse(args[6].val, &f->proto, &e) < 0)
		ret = cli_usage(c, "proto '%s': %s", args[6].val, e.msg);
	if (!ret && args[7].val &&
	    tenet_parse_port_range(args[7].val, &f->sport_min, &f->sport_max, &e) < 0)
		ret = cli_usage(c, "sport '%s': %s", args[7].val, e.msg);
	if (!ret && args[8].val &&
	    tenet_parse_port_range(args[8].val, &f->dport_min, &f->dport_max, &e) < 0)
		ret = cli_usage(c, "dport '%s': %s", args[8].val, e.msg);
	if (!ret && args[9].val && tenet_filter_icmp_parse(args[9].val, f, &e) < 0)
		ret = cli_usage(c, "icmp '%s': %s", args[9].val, e.msg);
	if (!ret)
		ret = cli_host(c, args[10].val, f->host);
	if (!ret)
		ret = cli_put(c, &rec, flags);
	if (ret)
		return ret;
	/* The id is what `del` takes. */
	if (c->json)
		fprintf(c->out, "{\"id\":%u}\n", f->id);
	else
		fprintf(c->out, "filter %u\n", f->id);
	return 0;
}

static int filter_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_FILTER };
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	const char *n = NULL;
	int ret;

	ret = cli_positional(c, &argc, &argv, "ID", &n);
	if (!ret)
		ret = cli_u32(c, "filter", n, 1, TENET_FILTER_ID_MAX, &id.filter.id);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, id.filter.host);
	return ret ? ret : cli_del(c, &id, 0);
}

static int filter_mode(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_FILTERMODE };
	struct tenet_filtermode *m = &rec.filtermode;
	struct cli_arg args[] = {
		{ "interface", "IF" }, { "internal", "COMPARTMENT" },
		{ "dir", "in|out", ARG_REQUIRED }, { "allow-list", "", ARG_FLAG },
		{ "deny-list", "", ARG_FLAG }, { "host", "NAME" }, { NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = parse_target(c, &args[0], &args[1], true, &m->on, m->iface);
	if (!ret)
		ret = parse_dir(c, args[2].val, &m->dir);
	if (!ret && !args[3].val == !args[4].val)
		ret = cli_usage(c, "give one of 'allow-list' and 'deny-list'");
	if (!ret)
		ret = cli_host(c, args[5].val, m->host);
	if (ret)
		return ret;
	m->mode = args[3].val ? TENET_FILTER_ALLOW_LIST : TENET_FILTER_DENY_LIST;
	return cli_put(c, &rec, TENET_POLICY_REPLACE);
}

/* ---- show ---- */

/* The counters of tenet's table: a JSON array of {"counter": {...}}
 * objects, or NULL (no table here, or not allowed to read it). */
static json_t *read_counters(void)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	json_t *root = NULL, *items = NULL;

	if (!nft)
		return NULL;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (nft_run_cmd_from_buffer(nft, "list counters table " TENET_FILTER_NFT_TABLE "\n") == 0)
		root = json_loads(nft_ctx_get_output_buffer(nft), 0, NULL);
	nft_ctx_free(nft);
	if (root)
		items = json_incref(json_object_get(root, "nftables"));
	json_decref(root);
	return items;
}

static void set_counter(json_t *o, const json_t *counters, const struct tenet_filter *f)
{
	char name[TENET_FILTER_COUNTER_MAX];
	size_t i;
	json_t *it;

	tenet_filter_counter_name(f, name);
	json_array_foreach(counters, i, it) {
		const json_t *ct = json_object_get(it, "counter");

		if (!ct || strcmp(json_string_value(json_object_get(ct, "name")) ?: "", name))
			continue;
		json_object_set(o, "packets", json_object_get(ct, "packets"));
		json_object_set(o, "bytes", json_object_get(ct, "bytes"));
		return;
	}
}

static json_t *range(uint16_t min, uint16_t max)
{
	char buf[16];

	if (min == max)
		snprintf(buf, sizeof(buf), "%u", min);
	else
		snprintf(buf, sizeof(buf), "%u-%u", min, max);
	return json_string(buf);
}

static json_t *filter_json(const struct tenet_filter *f, const json_t *counters)
{
	char p[TENET_PREFIX_STRLEN], pn[8], buf[16];
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "on", json_string(tenet_filter_on_name(f->on)));
	json_object_set_new(o, "interface", json_string(f->iface));
	json_object_set_new(o, "dir", json_string(tenet_filter_dir_name(f->dir)));
	json_object_set_new(o, "action", json_string(tenet_filter_action_name(f->action)));
	json_object_set_new(o, "src", json_string(f->src.len ? tenet_fmt_prefix(&f->src, p) : "any"));
	json_object_set_new(o, "dst", json_string(f->dst.len ? tenet_fmt_prefix(&f->dst, p) : "any"));
	if (f->proto)
		json_object_set_new(o, "proto", json_string(tenet_filter_proto_name(f->proto, pn)));
	if (f->sport_min)
		json_object_set_new(o, "sport", range(f->sport_min, f->sport_max));
	if (f->dport_min)
		json_object_set_new(o, "dport", range(f->dport_min, f->dport_max));
	if (f->has_icmp_type) {
		if (f->has_icmp_code)
			snprintf(buf, sizeof(buf), "%u:%u", f->icmp_type, f->icmp_code);
		else
			snprintf(buf, sizeof(buf), "%u", f->icmp_type);
		json_object_set_new(o, "icmp", json_string(buf));
	}
	set_counter(o, counters, f);
	return o;
}

static const struct cli_field filter_fields[] = {
	{ "id", "filter" }, { "on", NULL }, { "interface", NULL }, { "dir", "dir" },
	{ "action", NULL }, { "src", "src" }, { "dst", "dst" }, { "proto", "proto" },
	{ "sport", "sport" }, { "dport", "dport" }, { "icmp", "icmp" },
	{ "packets", "packets" }, { "bytes", "bytes" }, { NULL, NULL },
};

static const struct cli_field mode_fields[] = {
	{ "on", NULL }, { "interface", NULL }, { "dir", "dir" }, { "mode", NULL }, { NULL, NULL },
};

static bool wanted(int on, const char *iface, int won, const char *wname)
{
	return !wname[0] || (on == won && !strcmp(iface, wname));
}

static int filter_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = {
		{ "interface", "IF" }, { "internal", "COMPARTMENT" }, { "host", "NAME" }, { NULL },
	};
	struct tenet_record_list fl = { 0 }, ml = { 0 };
	char host[TENET_NAME_MAX + 1], name[TENET_NAME_MAX + 1] = "";
	struct tenet_err err = { 0 };
	json_t *counters = NULL, *a = NULL, *b = NULL, *o;
	struct tenet_store *s;
	int on = 0, ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = parse_target(c, &args[0], &args[1], false, &on, name);
	if (!ret)
		ret = cli_host(c, args[2].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_FILTER, host, &fl, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_FILTERMODE, host, &ml, &err) < 0) {
		ret = cli_lib_fail(c, &err);
		goto out;
	}
	counters = read_counters();
	a = json_array();
	b = json_array();
	for (size_t i = 0; a && i < fl.n; i++) {
		const struct tenet_filter *f = &fl.recs[i].filter;

		if (wanted(f->on, f->iface, on, name))
			json_array_append_new(a, filter_json(f, counters));
	}
	for (size_t i = 0; b && i < ml.n; i++) {
		const struct tenet_filtermode *m = &ml.recs[i].filtermode;

		if (!wanted(m->on, m->iface, on, name))
			continue;
		o = json_pack("{s:s,s:s,s:s,s:s}", "on", tenet_filter_on_name(m->on),
			      "interface", m->iface, "dir", tenet_filter_dir_name(m->dir), "mode",
			      tenet_filter_mode_name(m->mode));
		json_array_append_new(b, o);
	}
	if (!a || !b) {
		ret = cli_fail(c, "out of memory");
	} else if (c->json) {
		o = json_pack("{s:O,s:O}", "modes", b, "filters", a);
		ret = o ? cli_print(c, o, NULL) : cli_fail(c, "out of memory");
		json_decref(o);
	} else {
		ret = cli_print(c, b, mode_fields);
		if (!ret)
			ret = cli_print(c, a, filter_fields);
	}
out:
	json_decref(counters);
	json_decref(a);
	json_decref(b);
	tenet_record_list_free(&fl);
	tenet_record_list_free(&ml);
	return ret;
}

static const struct cli_verb filter_verbs[] = {
	{ "add", filter_add, 0,
	  "add interface IF|internal COMPARTMENT dir in|out action allow|deny\n"
	  "                     [src PREFIX] [dst PREFIX] [proto tcp|udp|icmp|N]\n"
	  "                     [sport P[-Q]] [dport P[-Q]] [icmp TYPE[:CODE]] [host NAME]" },
	{ "del", filter_del, 0, "del ID [host NAME]" },
	{ "delete", filter_del, .alias = true },
	{ "mode", filter_mode, 0,
	  "mode interface IF|internal COMPARTMENT dir in|out allow-list|deny-list\n"
	  "                     [host NAME]" },
	{ "show", filter_show, 0, "show [interface IF | internal COMPARTMENT] [host NAME]" },
	{ "list", filter_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_filter = {
	.name = "filter",
	.summary = "static IP filters of gateway interfaces, with packet counters",
	.verbs = filter_verbs,
	.dflt = "show",
	.notes =
		"A filter matches packets going into (dir in) or out of (dir out) the network\n"
		"behind an S2S interface ('interface IF': the site) or a compartment's\n"
		"internal interface ('internal COMPARTMENT', IfCi1: the virtual network),\n"
		"i.e. sent or received by the gateway through it. An interface's filters\n"
		"are tried in id order; the first that matches decides. What none matches\n"
		"passes (deny-list, the default) or is dropped (allow-list). 'add' prints\n"
		"the new filter's id; 'show' adds each filter's packet and byte counters.\n",
};

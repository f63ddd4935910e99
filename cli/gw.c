// SPDX-License-Identifier: GPL-2.0
/* Gateway objects: compartments (a VRF per routing domain on a gateway
 * host), NAT and static inbound mappings. The records are per host, like
 * ports. Commands that name a local device or address check it on the
 * machine (network namespace) the command runs in, which is the gateway
 * host; `nocheck` skips that when configuring a gateway from elsewhere.
 * See docs/gateway.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_gw.h"

/* ---- local checks ---- */

/* Is ifname a member of one of tenet's compartment VRFs? */
static bool in_tenet_vrf(const char *ifname)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/master", ifname);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return !strncmp(basename(target), TENET_GW_VRF_PFX, strlen(TENET_GW_VRF_PFX));
}

/* Which local interface (outside tenet's VRFs) holds addr; "" if none. */
static int local_addr_dev(uint32_t addr, char dev[IF_NAMESIZE])
{
	struct ifaddrs *ifa, *i;

	dev[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;

		if (!sin || sin->sin_family != AF_INET || sin->sin_addr.s_addr != addr)
			continue;
		if (in_tenet_vrf(i->ifa_name))
			continue;
		snprintf(dev, IF_NAMESIZE, "%s", i->ifa_name);
		break;
	}
	freeifaddrs(ifa);
	return 0;
}

int cli_gw_check_dev(struct cli *c, const char *kw, const char *dev)
{
	if (!if_nametoindex(dev))
		return cli_fail(c, "%s %s: no such interface on this host", kw, dev);
	return 0;
}

/* ---- compartments ---- */

static int cmp_add(struct cli *c, int argc, char **argv, unsigned int flags);

static int cmp_set(struct cli *c, int argc, char **argv, unsigned int flags);

/* `add NAME external DEV address IP/LEN`: the second line `compartment
 * show` prints for a compartment with an external interface; like `set`,
 * but refuses to replace one that is there. */
#define CMP_ADD_EXTERNAL (1u << 16)

static int cmp_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	/* `add NAME rate ...`: a line of `compartment show` (a limit) */
	if (argc > 1 && !strcmp(argv[1], "rate"))
		return cmp_set(c, argc, argv, flags);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "external"))
			return cmp_set(c, argc, argv, flags | CMP_ADD_EXTERNAL);
	return cmp_add(c, argc, argv, flags);
}

static int cmp_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT };
	struct tenet_compartment *cm = &rec.compartment;
	struct cli_arg args[] = {
		{ "rdomain", "NAME", ARG_REQUIRED }, { "vsid", "VSID" },
		{ "address", "IP/LEN", ARG_REQUIRED }, { "mac", "MAC" }, { "host", "NAME" },
		{ "vlan", "ID" }, { "dev", "DEV" }, { "nocheck", "", ARG_FLAG }, { NULL },
	};
	const char *name;
	uint32_t vlan;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &name);
	if (!ret)
		ret = cli_name(c, "compartment", name, cm->name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, cm->rdomain);
	/* The internal side: the gateway subnet (NVGRE), or a VLAN of a NIC. */
	if (!ret && args[1].val && args[5].val)
		ret = cli_usage(c, "compartment add: 'vsid' or 'vlan', not both");
	if (!ret && !args[1].val && !args[5].val)
		ret = cli_usage(c, "compartment add: missing 'vsid VSID'");
	if (!ret && args[5].val && !args[6].val)
		ret = cli_usage(c, "compartment add: missing 'dev DEV' for vlan %s", args[5].val);
	if (!ret && args[6].val && !args[5].val)
		ret = cli_usage(c, "compartment add: 'dev' goes with 'vlan'");
	if (!ret && args[1].val)
		ret = cli_vsid(c, "vsid", args[1].val, &cm->vsid);
	if (!ret && args[5].val && !(ret = cli_u32(c, "vlan", args[5].val, 1, 4094, &vlan)))
		cm->vlan = (uint16_t)vlan;
	if (!ret && args[6].val)
		ret = cli_ifname(c, "dev", args[6].val, cm->vlan_dev);
	if (!ret)
		ret = cli_addr_len(c, "address", args[2].val, &cm->addr);
	if (!ret && args[3].val)
		ret = cli_mac(c, "mac", args[3].val, cm->mac);
	if (!ret)
		ret = cli_host(c, args[4].val, cm->host);
	if (!ret && cm->vlan && !args[7].val)
		ret = cli_gw_check_dev(c, "dev", cm->vlan_dev);
	if (ret)
		return ret;
	if (!args[3].val)
		tenet_gw_default_mac(cm->host, cm->name, cm->mac);
	return cli_put(c, &rec, flags);
}

static int load_cmp(struct cli *c, const char *host, const char *name,
		    struct tenet_compartment *out)
{
	struct tenet_record_list l = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_COMPARTMENT, host, &l, &err) < 0)
		return cli_lib_fail(c, &err);
	ret = -1;
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.recs[i].compartment.name, name)) {
			*out = l.recs[i].compartment;
			ret = 0;
		}
	}
	tenet_record_list_free(&l);
	return ret ? cli_fail(c, "compartment %s: no such compartment on host %s", name, host) : 0;
}

/* `set NAME rate internal|external tx KBPS|none rx KBPS|none | none |
 * default [host NAME]`. */
static int cmp_set_rate(struct cli *c, const char *name, int argc, char **argv)
{
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT };
	struct tenet_compartment *cm = &rec.compartment;
	char host[TENET_NAME_MAX + 1];
	const char *hostarg = NULL;
	struct tenet_rate r = { 0 }, *cur;
	struct tenet_err e;
	bool ext;
	int ret, i;

	if (argc < 2 || (strcmp(argv[1], "internal") && strcmp(argv[1], "external")))
		return cli_usage(c, "compartment set: 'rate' needs internal or external, then "
				 "tx KBPS rx KBPS, none or default");
	ext = !strcmp(argv[1], "external");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "host") && i + 1 < argc) {
			hostarg = argv[++i];
			continue;
		}
		if (i > 2)
			return cli_usage(c, "compartment set: unknown argument '%s'", argv[i]);
		/* the current value is read below: parse against "not set" now to
		 * check the words, again once it is known */
		if (tenet_rate_parse(argc, argv, &i, NULL, 0, &r, &e) < 0)
			return cli_usage(c, "%s", e.msg);
	}
	if (argc == 2)
		return cli_usage(c, "rate: needs a value (tx KBPS rx KBPS, none or default)");
	ret = cli_host(c, hostarg, host);
	if (!ret)
		ret = load_cmp(c, host, name, cm);
	if (ret)
		return ret;
	if (ext && !cm->ext_dev[0])
		return cli_fail(c, "compartment %s: has no external interface", name);
	cur = ext ? &cm->rate_ext : &cm->rate_int;
	i = 2;
	if (tenet_rate_parse(argc, argv, &i, cur, 0, cur, &e) < 0)
		return cli_usage(c, "%s", e.msg);
	return cli_put(c, &rec, TENET_POLICY_REPLACE);
}

/* `set NAME external DEV address IP/LEN` | `set NAME external none`. */
static int cmp_set(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_COMPARTMENT };
	struct tenet_compartment *cm = &rec.compartment;
	struct cli_arg args[] = {
		{ "external", "DEV|none", ARG_REQUIRED }, { "address", "IP/LEN" },
		{ "host", "NAME" }, { "nocheck", "", ARG_FLAG }, { NULL },
	};
	char host[TENET_NAME_MAX + 1], name[TENET_NAME_MAX + 1], dev[IF_NAMESIZE];
	struct tenet_prefix addr = { 0 };
	const char *n;
	bool none;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &n);
	if (!ret)
		ret = cli_name(c, "compartment", n, name);
	if (!ret && argc > 0 && !strcmp(argv[0], "rate") && !(flags & CMP_ADD_EXTERNAL))
		return cmp_set_rate(c, name, argc, argv);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (ret)
		return ret;
	none = !strcmp(args[0].val, "none");
	if (none && (flags & CMP_ADD_EXTERNAL))
		return cli_usage(c, "compartment add: 'external none' adds nothing (use set)");
	if (!none && !args[1].val)
		return cli_usage(c, "compartment set: missing 'address IP/LEN' for external %s",
				 args[0].val);
	if (none && args[1].val)
		return cli_usage(c, "compartment set: 'external none' takes no address");
	if (!none)
		ret = cli_ifname(c, "external", args[0].val, dev);
	if (!ret && !none)
		ret = cli_addr_len(c, "address", args[1].val, &addr);
	if (!ret)
		ret = cli_host(c, args[2].val, host);
	if (ret)
		return ret;
	if (!none && !args[3].val) {
		char holder[IF_NAMESIZE];

		ret = cli_gw_check_dev(c, "external", dev);
		if (ret)
			return ret;
		if (local_addr_dev(addr.addr, holder) == 0 && holder[0])
			return cli_fail(c, "address %s: already used on this host (dev %s)",
					args[1].val, holder);
	}
	ret = load_cmp(c, host, name, cm);
	if (ret)
		return ret;
	if ((flags & CMP_ADD_EXTERNAL) && cm->ext_dev[0])
		return cli_fail(c, "compartment %s: already has external %s (use set to change it)",
				name, cm->ext_dev);
	flags = (flags & ~CMP_ADD_EXTERNAL) | TENET_POLICY_REPLACE;
	memset(cm->ext_dev, 0, sizeof(cm->ext_dev));
	memset(&cm->ext_addr, 0, sizeof(cm->ext_addr));
	if (none)                       /* its limit goes with it */
		memset(&cm->rate_ext, 0, sizeof(cm->rate_ext));
	if (!none) {
		strcpy(cm->ext_dev, dev);
		cm->ext_addr = addr;
	}
	return cli_put(c, &rec, flags);
}

static int cmp_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_COMPARTMENT };
	struct cli_arg args[] = { { "host", "NAME" }, { "force", "", ARG_FLAG }, { NULL } };
	const char *name;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &name);
	if (!ret)
		ret = cli_name(c, "compartment", name, id.compartment.name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, id.compartment.host);
	if (ret)
		return ret;
	return cli_del(c, &id, args[1].val ? TENET_POLICY_FORCE : 0);
}

static json_t *iface_json(const char *dev, const char *role, const struct tenet_prefix *p,
			  const struct tenet_rate *rate)
{
	char a[TENET_PREFIX_STRLEN];
	json_t *o = json_object();

	json_object_set_new(o, "dev", json_string(dev));
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "address", json_string(tenet_fmt_prefix(p, a)));
	json_object_set_new(o, "rate", tenet_rate_show_json(rate, 0));
	return o;
}

/* What Get-NetCompartment shows, plus the Linux names behind it. */
static json_t *cmp_show_json(const struct tenet_compartment *cm,
			     const struct tenet_record_list *rds)
{
	char vrf[IF_NAMESIZE], in[IF_NAMESIZE], guid[TENET_GUID_STRLEN] = "", mac[TENET_MAC_STRLEN];
	json_t *o = json_object(), *ifs = json_array();

	for (size_t i = 0; i < rds->n; i++)
		if (!strcmp(rds->recs[i].rdomain.name, cm->rdomain))
			tenet_fmt_guid(rds->recs[i].rdomain.guid, guid);
	tenet_gw_devname(TENET_GW_VRF_PFX, cm->id, vrf, sizeof(vrf));
	tenet_gw_devname(TENET_GW_INT_PFX, cm->id, in, sizeof(in));
	json_array_append_new(ifs, iface_json(in, "internal", &cm->addr, &cm->rate_int));
	if (cm->ext_dev[0])
		json_array_append_new(ifs, iface_json(cm->ext_dev, "external", &cm->ext_addr,
						      &cm->rate_ext));
	json_object_set_new(o, "id", json_integer(cm->id));
	json_object_set_new(o, "name", json_string(cm->name));
	json_object_set_new(o, "rdomain", json_string(cm->rdomain));
	json_object_set_new(o, "guid", json_string(guid));
	json_object_set_new(o, "vsid", json_integer(cm->vsid));
	if (cm->vlan) {
		json_object_set_new(o, "vlan", json_integer(cm->vlan));
		json_object_set_new(o, "vlan_dev", json_string(cm->vlan_dev));
	}
	json_object_set_new(o, "mac", json_string(tenet_fmt_mac(cm->mac, mac)));
	json_object_set_new(o, "vrf", json_string(vrf));
	json_object_set_new(o, "table", json_integer(tenet_gw_table(cm->id)));
	json_object_set_new(o, "host", json_string(cm->host));
	json_object_set_new(o, "interfaces", ifs);
	return o;
}

#define JS(o, k) json_string_value(json_object_get((o), (k)))

/* Text: what `compartment add` takes, one line for the compartment and
 * one for its external interface ("NAME external DEV address A", which
 * `add` takes too); -d adds the Linux names behind it, indented. */
static void cmp_print_text(struct cli *c, const json_t *o)
{
	const json_t *ifs = json_object_get(o, "interfaces"), *i;
	const char *internal = "";
	size_t k;

	char side[64];

	/* The internal side: a VSID's port, or a NIC's VLAN. */
	if (json_object_get(o, "vlan"))
		snprintf(side, sizeof(side), "vlan %lld dev %s",
			 (long long)json_integer_value(json_object_get(o, "vlan")), JS(o, "vlan_dev"));
	else
		snprintf(side, sizeof(side), "vsid %lld",
			 (long long)json_integer_value(json_object_get(o, "vsid")));
	json_array_foreach(ifs, k, i)
		if (!strcmp(JS(i, "role"), "internal"))
			internal = JS(i, "address");
	fprintf(c->out, "%s rdomain %s %s address %s mac %s host %s\n", JS(o, "name"),
		JS(o, "rdomain"), side, internal, JS(o, "mac"), JS(o, "host"));
	json_array_foreach(ifs, k, i)
		if (!strcmp(JS(i, "role"), "external"))
			fprintf(c->out, "%s external %s address %s host %s\n", JS(o, "name"),
				JS(i, "dev"), JS(i, "address"), JS(o, "host"));
	/* Limits only when set ("NAME rate internal tx 1024 rx 1024 host H",
	 * what `set` takes). */
	json_array_foreach(ifs, k, i) {
		char rate[64];

		if (!json_is_true(json_object_get(json_object_get(i, "rate"), "default")))
			fprintf(c->out, "%s rate %s %s host %s\n", JS(o, "name"), JS(i, "role"),
				tenet_rate_show_text(json_object_get(i, "rate"), rate, sizeof(rate)),
				JS(o, "host"));
	}
	if (!c->details)
		return;
	fprintf(c->out, "    id %lld guid %s vrf %s table %lld\n",
		(long long)json_integer_value(json_object_get(o, "id")), JS(o, "guid"),
		JS(o, "vrf"), (long long)json_integer_value(json_object_get(o, "table")));
	json_array_foreach(ifs, k, i)
		fprintf(c->out, "    %s %s %s\n", JS(i, "role"), JS(i, "dev"), JS(i, "address"));
}

static int cmp_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "host", "NAME" }, { "all", "", ARG_FLAG }, { NULL } };
	struct tenet_record_list l = { 0 }, rds = { 0 };
	char host[TENET_NAME_MAX + 1], name[TENET_NAME_MAX + 1] = "";
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	json_t *array, *o;
	size_t i;
	int ret;

	if (argc > 0 && strcmp(argv[0], "host") && strcmp(argv[0], "all")) {
		ret = cli_name(c, "compartment", argv[0], name);
		if (ret)
			return ret;
		argc--;
		argv++;
	}
	ret = cli_args(c, argc, argv, args);
	if (!ret && !args[1].val)
		ret = cli_host(c, args[0].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_COMPARTMENT, args[1].val ? NULL : host, &l, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_RDOMAIN, NULL, &rds, &err) < 0) {
		ret = cli_lib_fail(c, &err);
		goto out;
	}
	array = json_array();
	for (i = 0; i < l.n; i++)
		if (!name[0] || !strcmp(l.recs[i].compartment.name, name))
			json_array_append_new(array, cmp_show_json(&l.recs[i].compartment, &rds));
	if (name[0] && !json_array_size(array))
		ret = cli_fail(c, "compartment %s: no such compartment %s%s", name,
			       args[1].val ? "on any host" : "on host ", args[1].val ? "" : host);
	else if (c->json)
		ret = cli_print(c, array, NULL);
	else
		json_array_foreach(array, i, o)
			cmp_print_text(c, o);
	json_decref(array);
out:
	tenet_record_list_free(&l);
	tenet_record_list_free(&rds);
	return ret;
}

static const struct cli_verb cmp_verbs[] = {
	{ "add", cmp_put, 0,
	  "add NAME rdomain NAME vsid VSID address IP/LEN [mac MAC]\n"
	  "                             [host NAME]\n"
	  "add NAME rdomain NAME vlan ID dev DEV address IP/LEN [mac MAC]\n"
	  "                             [host NAME] [nocheck]\n"
	  "add NAME external DEV address IP/LEN [host NAME] [nocheck]\n"
	  "add NAME rate internal|external tx KBPS|none rx KBPS|none [host NAME]" },
	{ "set", cmp_set, TENET_POLICY_REPLACE,
	  "set NAME external DEV address IP/LEN [host NAME] [nocheck]\n"
	  "set NAME external none [host NAME]\n"
	  "set NAME rate internal|external tx KBPS|none rx KBPS|none [host NAME]\n"
	  "set NAME rate internal|external none|default [host NAME]" },
	{ "del", cmp_del, 0, "del NAME [force] [host NAME]" },
	{ "delete", cmp_del, .alias = true },
	{ "show", cmp_show, 0, "show [NAME] [host NAME | all]" },
	{ "list", cmp_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_compartment = {
	.name = "compartment",
	.summary = "gateway compartments (a VRF per routing domain on a gateway host)",
	.verbs = cmp_verbs,
	.dflt = "show",
	.notes =
		"One compartment per routing domain and host. VSID is the routing domain's\n"
		"gateway subnet; IP/LEN the compartment's address in it (HNV's IfCi1), which\n"
		"gets a lookup record at the host's first PA. 'external' moves a physical\n"
		"interface of this host into the compartment (forwarding gateway); the device\n"
		"must exist and the address must not be in use here unless 'nocheck'.\n"
		"With 'vlan ID dev DEV' the internal side is that 802.1Q VLAN of a NIC of this\n"
		"host instead of a virtual subnet (a tenant whose network is a VLAN).\n"
		"'del' refuses while customer routes use the address ('force' deletes them)\n"
		"and deletes the compartment's NAT and inbound mappings.\n"
		"'rate' limits what the compartment sends (tx) and receives (rx) through its\n"
		"internal or external interface, in kbit/s (none by default; docs/rates.md).\n",
};

/* ---- exec ---- */

static int exec_run(struct cli *c, int argc, char **argv)
{
	char host[TENET_NAME_MAX + 1], name[TENET_NAME_MAX + 1], vrf[IF_NAMESIZE];
	struct tenet_compartment cm;
	const char *hostarg = NULL;
	struct tenet_err err = { 0 };
	int i, ret;

	c->verb = "";
	if (argc < 1)
		return cli_usage(c, "exec: missing compartment NAME");
	ret = cli_name(c, "compartment", argv[0], name);
	for (i = 1; !ret && i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "host") && i + 1 < argc)
			hostarg = argv[++i];
		else
			return cli_usage(c, "exec: unknown argument '%s' (the command follows '--')",
					 argv[i]);
	}
	if (!ret && (i >= argc || i + 1 >= argc))
		return cli_usage(c, "exec: missing '-- CMD'");
	if (!ret)
		ret = cli_host(c, hostarg, host);
	if (!ret)
		ret = load_cmp(c, host, name, &cm);
	if (ret)
		return ret;
	tenet_gw_devname(TENET_GW_VRF_PFX, cm.id, vrf, sizeof(vrf));
	fflush(c->out);
	fflush(c->err);
	ret = tenet_vrf_exec(vrf, argv + i + 1, &err);
	/* Only on failure. */
	return err.code == -ENOENT ? cli_fail(c, "compartment %s: %s", name, err.msg) :
	       cli_fail(c, "exec: %s", err.msg[0] ? err.msg : strerror(-ret));
}

const struct cli_object cli_exec = {
	.name = "exec",
	.summary = "run a command in a compartment (ping, ss, ip route)",
	.usage =
		"usage: tenet exec NAME [host NAME] -- CMD [ARGS]\n"
		"Runs CMD with every socket it opens bound to the compartment's VRF: it\n"
		"becomes 'ip vrf exec VRF CMD' (iproute2 must be installed).\n",
	.run = exec_run,
};

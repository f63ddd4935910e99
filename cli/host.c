// SPDX-License-Identifier: GPL-2.0
/* Per-host objects: provider addresses, provider routes, ports. Each
 * command is about one host: `host H`, else --host, else this host. */
#include <net/if.h>
#include <string.h>

#include "cli_int.h"

/* `show [host H | all]`: the host to list, or NULL for every host. */
static int show_host(struct cli *c, int argc, char **argv, char *host, const char **which)
{
	struct cli_arg args[] = { { "host", "NAME" }, { "all", "", ARG_FLAG }, { NULL } };
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (ret)
		return ret;
	if (args[0].val && args[1].val)
		return cli_usage(c, "%s show: 'host' and 'all' exclude each other", c->object);
	*which = NULL;
	if (args[1].val)
		return 0;
	ret = cli_host(c, args[0].val, host);
	if (!ret)
		*which = host;
	return ret;
}

/* ---- pa ---- */

static const struct cli_field pa_fields[] = {
	{ "address", NULL }, { "dev", "dev" }, { "vlan", "vlan" }, { "host", "host" },
	{ NULL, NULL },
};

static int pa_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_PA };
	struct tenet_pa *pa = &rec.pa;
	struct cli_arg args[] = {
		{ "dev", "IF", ARG_REQUIRED }, { "vlan", "N" }, { "host", "NAME" }, { NULL },
	};
	const char *addr;
	uint32_t vlan = 0;
	int ret;

	ret = cli_positional(c, &argc, &argv, "IP/LEN", &addr);
	if (!ret)
		ret = cli_addr_len(c, "pa", addr, &pa->addr);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_ifname(c, "dev", args[0].val, pa->dev);
	if (!ret && args[1].val)
		ret = cli_u32(c, "vlan", args[1].val, 0, 4094, &vlan);
	if (!ret)
		ret = cli_host(c, args[2].val, pa->host);
	if (ret)
		return ret;
	pa->vlan = (uint16_t)vlan;
	return cli_put(c, &rec, flags);
}

static int pa_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_PA };
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	struct tenet_err e;
	const char *addr;
	int ret;

	ret = cli_positional(c, &argc, &argv, "IP", &addr);
	if (ret)
		return ret;
	/* IP or IP/LEN: the key is the address alone. */
	if (strchr(addr, '/') ? tenet_parse_addr_len(addr, &id.pa.addr, &e) < 0
			      : tenet_parse_ipv4(addr, &id.pa.addr.addr, &e) < 0)
		return cli_usage(c, "pa '%s': %s", addr, e.msg);
	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, id.pa.host);
	if (ret)
		return ret;
	return cli_del(c, &id, 0);
}

static int pa_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	char host[TENET_NAME_MAX + 1];
	const char *which;
	int ret;

	ret = show_host(c, argc, argv, host, &which);
	return ret ? ret : cli_show(c, TENET_KIND_PA, which, NULL, NULL, pa_fields);
}

static const struct cli_verb pa_verbs[] = {
	{ "add", pa_put, 0, "add IP/LEN dev IF [vlan N] [host NAME]" },
	{ "replace", pa_put, TENET_POLICY_REPLACE, "replace ...same as add..." },
	{ "del", pa_del, 0, "del IP [host NAME]" },
	{ "delete", pa_del, .alias = true },
	{ "show", pa_show, 0, "show [host NAME | all]" },
	{ "list", pa_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_pa = {
	.name = "pa",
	.summary = "provider addresses of a host (underlay IP that ends NVGRE)",
	.verbs = pa_verbs,
	.dflt = "show",
	.notes =
		"A provider address belongs to one host only. vlan 0 (default) is untagged.\n",
};

/* ---- proute ---- */

static const struct cli_field proute_fields[] = {
	{ "prefix", NULL }, { "dev", "dev" }, { "via", "via" }, { "host", "host" },
	{ NULL, NULL },
};

static int proute_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_PROUTE };
	struct tenet_proute *r = &rec.proute;
	struct cli_arg args[] = {
		{ "dev", "IF", ARG_REQUIRED }, { "via", "IP" }, { "host", "NAME" }, { NULL },
	};
	const char *prefix;
	int ret;

	ret = cli_positional(c, &argc, &argv, "PREFIX", &prefix);
	if (!ret)
		ret = cli_prefix(c, "prefix", prefix, &r->prefix);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_ifname(c, "dev", args[0].val, r->dev);
	if (!ret && args[1].val)
		ret = cli_ip(c, "via", args[1].val, &r->via);
	if (!ret)
		ret = cli_host(c, args[2].val, r->host);
	if (ret)
		return ret;
	return cli_put(c, &rec, flags);
}

static int proute_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_PROUTE };
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	const char *prefix;
	int ret;

	ret = cli_positional(c, &argc, &argv, "PREFIX", &prefix);
	if (!ret)
		ret = cli_prefix(c, "prefix", prefix, &id.proute.prefix);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, id.proute.host);
	if (ret)
		return ret;
	return cli_del(c, &id, 0);
}

static int proute_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	char host[TENET_NAME_MAX + 1];
	const char *which;
	int ret;

	ret = show_host(c, argc, argv, host, &which);
	return ret ? ret : cli_show(c, TENET_KIND_PROUTE, which, NULL, NULL, proute_fields);
}

static const struct cli_verb proute_verbs[] = {
	{ "add", proute_put, 0, "add PREFIX dev IF [via IP] [host NAME]" },
	{ "replace", proute_put, TENET_POLICY_REPLACE, "replace ...same as add..." },
	{ "del", proute_del, 0, "del PREFIX [host NAME]" },
	{ "delete", proute_del, .alias = true },
	{ "show", proute_show, 0, "show [host NAME | all]" },
	{ "list", proute_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_proute = {
	.name = "proute",
	.summary = "provider routes of a host (underlay routes to other PAs)",
	.verbs = proute_verbs,
	.dflt = "show",
	.notes =
		"Without 'via' the route is on-link.\n",
};

/* ---- port ---- */

static const struct cli_field port_fields[] = {
	{ "dev", "dev" }, { "vsid", "vsid" }, { "mac", "mac" }, { "host", "host" },
	{ NULL, NULL },
};

static int port_put(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_PORT };
	struct tenet_port *p = &rec.port;
	struct cli_arg args[] = {
		{ "dev", "IF", ARG_REQUIRED }, { "vsid", "VSID", ARG_REQUIRED },
		{ "mac", "MAC", ARG_REQUIRED }, { "host", "NAME" }, { NULL },
	};
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_ifname(c, "dev", args[0].val, p->dev);
	if (!ret)
		ret = cli_vsid(c, "vsid", args[1].val, &p->vsid);
	if (!ret)
		ret = cli_mac(c, "mac", args[2].val, p->mac);
	if (!ret)
		ret = cli_host(c, args[3].val, p->host);
	if (ret)
		return ret;
	return cli_put(c, &rec, flags);
}

static int port_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_PORT };
	struct cli_arg args[] = { { "dev", "IF", ARG_REQUIRED }, { "host", "NAME" }, { NULL } };
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_ifname(c, "dev", args[0].val, id.port.dev);
	if (!ret)
		ret = cli_host(c, args[1].val, id.port.host);
	if (ret)
		return ret;
	return cli_del(c, &id, 0);
}

static bool keep_port(const struct tenet_record *r, void *arg)
{
	return !arg || !strcmp(r->port.dev, arg);
}

/* `show [dev IF] [host H | all]`: a device names one port of the host. */
static int port_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = {
		{ "dev", "IF" }, { "host", "NAME" }, { "all", "", ARG_FLAG }, { NULL },
	};
	char host[TENET_NAME_MAX + 1], dev[IF_NAMESIZE] = "", none[TENET_NAME_MAX + 64];
	const char *which = NULL;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret && args[0].val)
		ret = cli_ifname(c, "dev", args[0].val, dev);
	if (!ret && args[1].val && args[2].val)
		ret = cli_usage(c, "port show: 'host' and 'all' exclude each other");
	if (!ret && !args[2].val) {
		ret = cli_host(c, args[1].val, host);
		which = host;
	}
	if (ret)
		return ret;
	snprintf(none, sizeof(none), "port %s: no such port %s%s", dev, which ? "on host " : "",
		 which ? which : "on any host");
	return cli_show_named(c, TENET_KIND_PORT, which, keep_port, dev[0] ? dev : NULL,
			      port_fields, dev[0] ? none : NULL);
}

static const struct cli_verb port_verbs[] = {
	{ "set", port_put, TENET_POLICY_REPLACE, "set dev IF vsid VSID mac MAC [host NAME]" },
	{ "add", port_put, 0, "add dev IF vsid VSID mac MAC [host NAME]" },
	{ "del", port_del, 0, "del dev IF [host NAME]" },
	{ "delete", port_del, .alias = true },
	{ "show", port_show, 0, "show [dev IF] [host NAME | all]" },
	{ "list", port_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_port = {
	.name = "port",
	.summary = "ports of a host (VM interface -> VSID + MAC)",
	.verbs = port_verbs,
	.dflt = "show",
	.notes =
		"'set' creates or changes the port; 'add' refuses an existing one. The VSID\n"
		"needs a virtual subnet; a MAC is used by one port per host.\n",
};

// SPDX-License-Identifier: GPL-2.0
/* `tenet ravpn`: multi-tenant remote-access VPN of a gateway (the
 * analogue of Set-RemoteAccessRoutingDomain, Add-RemoteAccessRadius and
 * Get-/Disconnect-VpnUser). Configuration goes to the store; `show` and
 * `disconnect` talk to charon on this host over VICI. The RADIUS shared
 * secret is read from a file or standard input, sealed to the gateway
 * host's key and never printed. See docs/vpn.md, "Remote access". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_gw.h"
#include "kinds/ravpn.h"
#include "secret/secret.h"
#include "vici/ra.h"
#include "vici/vici.h"

#define VICI_TIMEOUT_MS 10000
#define SECRET_MAX 128

static const char *vici_path(const char *arg)
{
	const char *env = getenv("TENET_VICI");

	return arg ? arg : env && *env ? env : VICI_SOCKET_DEFAULT;
}

static int need_value(struct cli *c, int argc, int i, const char *kw, const char *meta)
{
	if (i + 1 < argc)
		return 0;
	return cli_usage(c, "ravpn %s: '%s' needs a value (%s)", c->verb, kw, meta);
}

static int load_one(struct cli *c, const char *host, const char *rdomain, struct tenet_ravpn *out)
{
	struct tenet_record_list all = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_RAVPN, host, &all, &err) < 0)
		return cli_lib_fail(c, &err);
	ret = -ENOENT;
	for (size_t i = 0; i < all.n; i++)
		if (!strcmp(all.recs[i].ravpn.rdomain, rdomain)) {
			*out = all.recs[i].ravpn;
			ret = 0;
		}
	tenet_record_list_free(&all);
	return ret;
}

/* rate KBPS (both ways), or the words of kinds/rate.h (tx KBPS rx KBPS,
 * none, default): the tenant's aggregate; none and default are the same
 * here (no limit), stored as not set. *i ends on the last word taken. */
static int parse_rate(struct cli *c, int argc, char **argv, int *i, struct tenet_rate *r)
{
	struct tenet_err e;
	uint32_t v;
	int ret;

	if ((ret = need_value(c, argc, *i, "rate", "KBPS|none")))
		return ret;
	if (isdigit((unsigned char)argv[*i + 1][0])) {
		ret = cli_u32(c, "rate", argv[++*i], TENET_RATE_MIN_KBPS, TENET_RATE_MAX_KBPS, &v);
		if (!ret)
			*r = (struct tenet_rate){ .set = true, .tx = v, .rx = v };
		return ret;
	}
	++*i;
	if (tenet_rate_parse(argc, argv, i, r, 0, r, &e) < 0)
		return cli_usage(c, "%s", e.msg);
	if (!r->tx && !r->rx)
		*r = (struct tenet_rate){ 0 };
	return 0;
}

/* set rdomain R [pool P|none] [pool6 P|none] [tenant-name PAT|none]
 * [dns IP|none]... [max N] [rate KBPS|none] [host GW]: what is given
 * changes, the rest of an existing configuration stays. */
static int ravpn_set(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_RAVPN };
	struct tenet_ravpn *r = &rec.ravpn;
	char rdomain[TENET_NAME_MAX + 1] = "", host[TENET_NAME_MAX + 1];
	const char *hostarg = NULL;
	bool dns_given = false;
	struct tenet_err e;
	int ret = 0, i;

	for (i = 0; i + 1 < argc; i++)
		if (!strcmp(argv[i], "host"))
			hostarg = argv[i + 1];
		else if (!strcmp(argv[i], "rdomain") && (ret = cli_name(c, "rdomain", argv[i + 1], rdomain)))
			return ret;
	if (!rdomain[0])
		return cli_usage(c, "ravpn set: missing 'rdomain NAME'");
	ret = cli_host(c, hostarg, host);
	if (ret)
		return ret;
	ret = load_one(c, host, rdomain, r);
	if (ret == -ENOENT) {
		memset(r, 0, sizeof(*r));
		ret = 0;
	} else if (ret) {
		return ret;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->rdomain, sizeof(r->rdomain), "%s", rdomain);
	for (i = 0; !ret && i < argc; i++) {
		const char *kw = argv[i];

		if (!strcmp(kw, "rdomain") || !strcmp(kw, "host")) {
			ret = need_value(c, argc, i, kw, "NAME");
			i++;
		} else if (!strcmp(kw, "pool")) {
			ret = need_value(c, argc, i, kw, "PREFIX|none");
			if (!ret && !strcmp(argv[++i], "none"))
				memset(&r->pool, 0, sizeof(r->pool));
			else if (!ret)
				ret = cli_prefix(c, "pool", argv[i], &r->pool);
		} else if (!strcmp(kw, "pool6")) {
			ret = need_value(c, argc, i, kw, "PREFIX|none");
			if (!ret && !strcmp(argv[++i], "none"))
				r->pool6[0] = '\0';
			else if (!ret && tenet_ravpn_check_pool6(argv[i], &e) < 0)
				ret = cli_usage(c, "pool6 '%s': %s", argv[i], e.msg);
			else if (!ret)
				snprintf(r->pool6, sizeof(r->pool6), "%s", argv[i]);
		} else if (!strcmp(kw, "tenant-name")) {
			ret = need_value(c, argc, i, kw, "PATTERN|none");
			if (!ret && !strcmp(argv[++i], "none"))
				r->tenant[0] = '\0';
			else if (!ret && tenet_ravpn_check_pattern(argv[i], &e) < 0)
				ret = cli_usage(c, "tenant-name '%s': %s", argv[i], e.msg);
			else if (!ret)
				snprintf(r->tenant, sizeof(r->tenant), "%s", argv[i]);
		} else if (!strcmp(kw, "dns")) {
			ret = need_value(c, argc, i, kw, "IP|none");
			if (!dns_given)
				r->ndns = 0;
			dns_given = true;
			if (!ret && strcmp(argv[++i], "none")) {
				if (r->ndns >= TENET_RAVPN_DNS_MAX)
					ret = cli_usage(c, "dns: more than %u", TENET_RAVPN_DNS_MAX);
				else
					ret = cli_ip(c, "dns", argv[i], &r->dns[r->ndns++].addr);
			}
		} else if (!strcmp(kw, "max")) {
			ret = need_value(c, argc, i, kw, "N");
			if (!ret)
				ret = cli_u32(c, "max", argv[++i], 0, TENET_RAVPN_MAX_CONN, &r->max);
		} else if (!strcmp(kw, "rate")) {
			ret = parse_rate(c, argc, argv, &i, &r->rate);
		} else {
			ret = cli_usage(c, "ravpn set: unknown argument '%s'", kw);
		}
	}
	if (!ret && !r->pool.len && !r->pool6[0])
		ret = cli_usage(c, "ravpn set: missing 'pool PREFIX' or 'pool6 PREFIX'");
	return ret ? ret : cli_put(c, &rec, flags);
}

static int ravpn_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_RAVPN };
	struct cli_arg args[] = { { "rdomain", "NAME", ARG_REQUIRED }, { "host", "NAME" }, { NULL } };
	int ret = cli_args(c, argc, argv, args);

	if (!ret)
		ret = cli_name(c, "rdomain", args[0].val, id.ravpn.rdomain);
	if (!ret)
		ret = cli_host(c, args[1].val, id.ravpn.host);
	return ret ? ret : cli_del(c, &id, 0);
}

/* ---- RADIUS servers ---- */

static int seal_radius(struct cli *c, struct tenet_ravpnradius *r, const char *server,
		       const char *file)
{
	char ctx[TENET_KEY_MAX + 16];

	tenet_ravpn_secret_context(r->host, r->server, r->port, ctx, sizeof(ctx));
	return cli_seal_secret(c, r->host, "RADIUS secret", server, file, ctx, SECRET_MAX,
			       r->secret, sizeof(r->secret));
}

static int radius_add(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_RAVPNRADIUS };
	struct tenet_ravpnradius *r = &rec.ravpnradius;
	struct cli_arg args[] = { { "server", "IP[:PORT]", ARG_REQUIRED },
				  { "secret-file", "FILE", ARG_REQUIRED }, { "host", "NAME" },
				  { NULL } };
	struct tenet_err e;
	int ret = cli_args(c, argc, argv, args);

	if (!ret && tenet_ravpn_parse_server(args[0].val, &r->server, &r->port, &e) < 0)
		ret = cli_usage(c, "server '%s': %s", args[0].val, e.msg);
	if (!ret)
		ret = cli_host(c, args[2].val, r->host);
	if (!ret)
		ret = seal_radius(c, r, args[0].val, args[1].val);
	return ret ? ret : cli_put(c, &rec, flags);
}

static int radius_del(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record id = { .kind = TENET_KIND_RAVPNRADIUS };
	struct cli_arg args[] = { { "server", "IP[:PORT]", ARG_REQUIRED }, { "host", "NAME" },
				  { NULL } };
	struct tenet_err e;
	int ret = cli_args(c, argc, argv, args);

	if (!ret && tenet_ravpn_parse_server(args[0].val, &id.ravpnradius.server,
					     &id.ravpnradius.port, &e) < 0)
		ret = cli_usage(c, "server '%s': %s", args[0].val, e.msg);
	if (!ret)
		ret = cli_host(c, args[1].val, id.ravpnradius.host);
	return ret ? ret : cli_del(c, &id, 0);
}

static const struct cli_verb radius_verbs[] = {
	{ "add", radius_add, 0 },
	{ "del", radius_del, 0 },
	{ "delete", radius_del, .alias = true },
	{ NULL },
};

static int radius_run(struct cli *c, int argc, char **argv, unsigned int flags)
{
	c->verb = "radius";
	return cli_run_subverb(c, radius_verbs, "ravpn radius", argc, argv);
}

/* limit max N [host GW]: the gateway-wide cap (0: none). */
static int ravpn_limit(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_record rec = { .kind = TENET_KIND_RAVPNGW };
	struct cli_arg args[] = { { "max", "N", ARG_REQUIRED }, { "host", "NAME" }, { NULL } };
	int ret = cli_args(c, argc, argv, args);

	if (!ret)
		ret = cli_u32(c, "max", args[0].val, 0, TENET_RAVPN_MAX_CONN, &rec.ravpngw.max);
	if (!ret)
		ret = cli_host(c, args[1].val, rec.ravpngw.host);
	return ret ? ret : cli_put(c, &rec, 0);
}

/* ---- show, disconnect ---- */

struct users {
	struct vici_ra_user *v;
	size_t n;
};

static int keep_user(void *arg, const struct vici_ra_user *u)
{
	struct users *us = arg;
	struct vici_ra_user *v;

	if (!tenet_ravpn_conn_rdomain(u->conn))
		return 0;
	v = realloc(us->v, (us->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	us->v = v;
	us->v[us->n++] = *u;
	return 0;
}

static int users_of(const char *vici, struct users *us, struct tenet_err *err)
{
	struct vici_conn *vc = NULL;
	int ret = vici_connect(vici, VICI_TIMEOUT_MS, &vc, err);

	if (!ret)
		ret = vici_ra_list(vici_conn_call, vc, NULL, keep_user, us, err);
	vici_close(vc);
	return ret;
}

static json_t *tenant_json(const struct tenet_ravpn *r, const struct users *us, time_t now)
{
	char p[TENET_PREFIX_STRLEN], a[TENET_IPV4_STRLEN], since[32];
	json_t *o = json_pack("{s:s}", "rdomain", r->rdomain), *users = json_array(), *dns;

	if (r->pool.len)
		json_object_set_new(o, "pool", json_string(tenet_fmt_prefix(&r->pool, p)));
	if (r->pool6[0])
		json_object_set_new(o, "pool6", json_string(r->pool6));
	if (r->tenant[0])
		json_object_set_new(o, "tenant-name", json_string(r->tenant));
	if (r->ndns) {
		dns = json_array();
		for (uint16_t i = 0; i < r->ndns && i < TENET_RAVPN_DNS_MAX; i++)
			json_array_append_new(dns, json_string(tenet_fmt_ipv4(r->dns[i].addr, a)));
		json_object_set_new(o, "dns", dns);
	}
	json_object_set_new(o, "max", json_integer(r->max));
	json_object_set_new(o, "rate", tenet_rate_show_json(&r->rate, 0));
	for (size_t i = 0; us && i < us->n; i++) {
		const struct vici_ra_user *u = &us->v[i];
		time_t t = now - (time_t)u->established;
		struct tm tm;

		if (strcmp(tenet_ravpn_conn_rdomain(u->conn), r->rdomain))
			continue;
		gmtime_r(&t, &tm);
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_array_append_new(users, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "user",
						       u->user, "vip", u->vip, "from", u->addr,
						       "since", since, "bytes-in",
						       (json_int_t)u->bytes_in, "bytes-out",
						       (json_int_t)u->bytes_out, "up", u->up));
	}
	json_object_set_new(o, "users", users);
	return o;
}

static void print_tenant(FILE *f, const json_t *o)
{
	const json_t *u, *rate, *users = json_object_get(o, "users");
	json_int_t tx, rx;
	char text[64];
	size_t i;

	fprintf(f, "ravpn %s:", json_string_value(json_object_get(o, "rdomain")));
	if (json_object_get(o, "pool"))
		fprintf(f, " pool %s", json_string_value(json_object_get(o, "pool")));
	if (json_object_get(o, "pool6"))
		fprintf(f, " pool6 %s", json_string_value(json_object_get(o, "pool6")));
	if (json_object_get(o, "tenant-name"))
		fprintf(f, " tenant-name %s", json_string_value(json_object_get(o, "tenant-name")));
	if (json_integer_value(json_object_get(o, "max")))
		fprintf(f, " max %lld", (long long)json_integer_value(json_object_get(o, "max")));
	rate = json_object_get(o, "rate");
	tx = json_integer_value(json_object_get(rate, "tx"));
	rx = json_integer_value(json_object_get(rate, "rx"));
	if (tx && tx == rx)
		fprintf(f, " rate %lld", (long long)tx);
	else if (tx || rx)
		fprintf(f, " rate %s", tenet_rate_show_text(rate, text, sizeof(text)));
	fprintf(f, " users %zu\n", json_array_size(users));
	json_array_foreach(users, i, u) {
		fputs("    ", f);
		cli_put_escaped(f, json_string_value(json_object_get(u, "user")));
		fprintf(f, " %s since %s in %lld out %lld bytes from %s%s\n",
			*json_string_value(json_object_get(u, "vip")) ?
			json_string_value(json_object_get(u, "vip")) : "-",
			json_string_value(json_object_get(u, "since")),
			(long long)json_integer_value(json_object_get(u, "bytes-in")),
			(long long)json_integer_value(json_object_get(u, "bytes-out")),
			json_string_value(json_object_get(u, "from")),
			json_is_true(json_object_get(u, "up")) ? "" : " (connecting)");
	}
}

static int ravpn_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME" }, { "host", "NAME" }, { "vici", "SOCKET" },
				  { NULL } };
	struct tenet_record_list all = { 0 };
	struct tenet_err err = { 0 }, verr = { 0 };
	char host[TENET_NAME_MAX + 1];
	struct users us = { 0 };
	struct tenet_store *s;
	bool vici_ok;
	json_t *out;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[1].val, host);
	if (!ret)
		ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_RAVPN, host, &all, &err) < 0)
		return cli_lib_fail(c, &err);
	vici_ok = users_of(vici_path(args[2].val), &us, &verr) == 0;
	out = json_array();
	for (size_t i = 0; i < all.n; i++)
		if (!args[0].val || !strcmp(args[0].val, all.recs[i].ravpn.rdomain))
			json_array_append_new(out, tenant_json(&all.recs[i].ravpn, &us, time(NULL)));
	if (args[0].val && !json_array_size(out)) {
		ret = cli_fail(c, "ravpn %s: no remote access configured on host %s", args[0].val,
			       host);
	} else if (c->json) {
		ret = cli_print(c, out, NULL);
	} else {
		size_t i;
		json_t *o;

		if (!vici_ok)
			fprintf(c->out, "# charon not reachable (%s): users unknown\n", verr.msg);
		json_array_foreach(out, i, o)
			print_tenant(c->out, o);
	}
	json_decref(out);
	free(us.v);
	tenet_record_list_free(&all);
	return ret;
}

/* disconnect rdomain R [user U] [host GW] [vici S]: ends the users' IKE SAs. */
static int ravpn_disconnect(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "rdomain", "NAME", ARG_REQUIRED }, { "user", "NAME" },
				  { "host", "NAME" }, { "vici", "SOCKET" }, { NULL } };
	char host[TENET_NAME_MAX + 1];
	struct tenet_ravpn cur;
	struct tenet_err err = { 0 };
	struct vici_conn *vc = NULL;
	struct users us = { 0 };
	size_t n = 0;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[2].val, host);
	if (!ret && (ret = load_one(c, host, args[0].val, &cur)) == -ENOENT)
		ret = cli_fail(c, "ravpn %s: no remote access configured on host %s", args[0].val,
			       host);
	if (ret)
		return ret;
	if (vici_connect(vici_path(args[3].val), VICI_TIMEOUT_MS, &vc, &err) < 0 ||
	    vici_ra_list(vici_conn_call, vc, NULL, keep_user, &us, &err) < 0) {
		ret = cli_fail(c, "charon: %s", err.msg);
		goto out;
	}
	for (size_t i = 0; !ret && i < us.n; i++) {
		json_t *req, *resp = NULL;

		if (strcmp(tenet_ravpn_conn_rdomain(us.v[i].conn), cur.rdomain) ||
		    (args[1].val && strcmp(args[1].val, us.v[i].user)))
			continue;
		req = json_pack("{s:I, s:s, s:i}", "ike-id", (json_int_t)us.v[i].ike_id, "force",
				"yes", "timeout", VICI_TIMEOUT_MS);
		if (vici_call(vc, "terminate", req, NULL, NULL, NULL, &resp, &err) < 0)
			ret = cli_fail(c, "ravpn %s: user %s: %s", cur.rdomain, us.v[i].user, err.msg);
		json_decref(req);
		json_decref(resp);
		n++;
	}
	if (!ret && args[1].val && !n)
		ret = cli_fail(c, "ravpn %s: user %s is not connected", cur.rdomain, args[1].val);
out:
	free(us.v);
	vici_close(vc);
	return ret;
}

static const struct cli_verb ravpn_verbs[] = {
	{ "set", ravpn_set, 0,
	  "set rdomain NAME [pool PREFIX|none] [pool6 PREFIX|none]\n"
	  "                     [tenant-name PATTERN|none] [dns IP|none]... [max N]\n"
	  "                     [rate KBPS|none | rate tx KBPS|none rx KBPS|none] [host NAME]" },
	{ "del", ravpn_del, 0, "del rdomain NAME [host NAME]" },
	{ "delete", ravpn_del, .alias = true },
	{ "radius", radius_run, 0,
	  "radius add server IP[:PORT] secret-file FILE|- [host NAME]\n"
	  "radius del server IP[:PORT] [host NAME]" },
	{ "limit", ravpn_limit, 0, "limit max N [host NAME]" },
	{ "show", ravpn_show, 0, "show [rdomain NAME] [host NAME] [vici SOCKET]" },
	{ "list", ravpn_show, .alias = true },
	{ "disconnect", ravpn_disconnect, 0,
	  "disconnect rdomain NAME [user NAME] [host NAME] [vici SOCKET]" },
	{ NULL },
};

const struct cli_object cli_ravpn = {
	.name = "ravpn",
	.summary = "multi-tenant remote-access VPN (IKEv2, EAP through RADIUS, strongSwan)",
	.verbs = ravpn_verbs,
	.dflt = "show",
	.notes =
		"Remote access per routing domain: users dial in over IKEv2 and authenticate with\n"
		"EAP, which the gateway relays to its RADIUS servers. A user is its tenant's when\n"
		"RADIUS returns the Class attribute 'TenantName=<routing domain>'. Each tenant\n"
		"has its own address pool (two tenants may use the same one), its own XFRM\n"
		"interface in its compartment and an optional limit of connected users (max);\n"
		"'limit max N' caps the gateway's users of all tenants; 'rate KBPS' caps the\n"
		"bandwidth of all of a tenant's users together, each way (default: none). The\n"
		"RADIUS secret is read from secret-file FILE or standard input ('-'), sealed to\n"
		"the gateway host's key and never printed. 'show' and 'disconnect' talk to\n"
		"charon on this host (vici SOCKET, $TENET_VICI, or " VICI_SOCKET_DEFAULT ").\n"
		"See docs/vpn.md and docs/rates.md.\n",
};

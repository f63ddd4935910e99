// SPDX-License-Identifier: GPL-2.0
/* Remote-access VPN (lib/kinds/ravpn.c, agent/gw/ravpn_conf.c, the
 * limits of agent/gw/ravpn.c): tenant-name matching and clashes, the
 * parsers' exact messages, the validated writes on a real store (each
 * refusal with its one line and an unchanged store revision, the
 * compartment's delete taking the tenant's remote access along), and the
 * exact VICI messages and strongswan.conf text tenetd gives charon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "cli.h"
#include "gw/gw.h"
#include "gw/ravpn.h"
#include "gw/ravpn_conf.h"
#include "kinds/record.h"
#include "kinds/ravpn.h"
#include "policy/policy.h"
#include "recon/model.h"
#include "recon/recon.h"
#include "secret/secret.h"
#include "testutil.h"

/* ---- tenant names ---- */

static void test_match(void **state)
{
	(void)state;
	/* the book's two forms of a user name */
	assert_true(tenet_ravpn_match("*Contoso*", "JohnDoe@Contoso.Fabrikam.com"));
	assert_true(tenet_ravpn_match("*Contoso*", "Contoso\\JohnDoe"));
	assert_true(tenet_ravpn_match("*contoso*", "CONTOSO\\JohnDoe"));
	assert_false(tenet_ravpn_match("*Contoso*", "JohnDoe@Woodgrove.Fabrikam.com"));
	assert_true(tenet_ravpn_match("Contoso", "contoso"));
	assert_false(tenet_ravpn_match("Contoso", "Contoso\\JohnDoe"));
	assert_true(tenet_ravpn_match("Contoso\\*", "Contoso\\JohnDoe"));
	assert_true(tenet_ravpn_match("*@Contoso.*", "JohnDoe@Contoso.Fabrikam.com"));
	assert_false(tenet_ravpn_match("*@Contoso.*", "JohnDoe@NotContoso.Fabrikam.com"));
	assert_true(tenet_ravpn_match("a*b*c", "aXXbYYc"));
	assert_false(tenet_ravpn_match("a*b*c", "aXXbYY"));
	assert_true(tenet_ravpn_match("**x", "x"));
	assert_false(tenet_ravpn_match("x", ""));
}

/* The tenant of a user whose Accept carries no TenantName Class
 * (docs/vpn.md, "Tenant by user name"). */
static void test_pick(void **state)
{
	struct tenet_ravpn c = { .rdomain = "Contoso", .tenant = "*Contoso*" };
	struct tenet_ravpn w = { .rdomain = "Woodgrove", .tenant = "*Woodgrove*" };
	struct tenet_ravpn x = { .rdomain = "Fabrikam" };       /* Class only */
	const struct tenet_ravpn *t[] = { &x, &w, &c };
	struct tenet_err err = { 0 };

	(void)state;
	/* the book's two forms land in Contoso, whatever the case */
	assert_int_equal(tenet_ravpn_pick("JohnDoe@Contoso.Fabrikam.com", t, 3, &err), 2);
	assert_int_equal(tenet_ravpn_pick("Contoso\\JohnDoe", t, 3, &err), 2);
	assert_int_equal(tenet_ravpn_pick("CONTOSO\\johndoe", t, 3, &err), 2);
	assert_int_equal(tenet_ravpn_pick("Woodgrove\\bob", t, 3, &err), 1);
	/* a tenant without a tenant-name is chosen by its Class only */
	assert_int_equal(tenet_ravpn_pick("Fabrikam\\eve", t, 3, &err), -ENOENT);
	assert_string_equal(err.msg, "no RADIUS Class and its name matches no tenant name");
	assert_int_equal(tenet_ravpn_pick("mallory", t, 3, &err), -ENOENT);
	assert_int_equal(tenet_ravpn_pick("", t, 3, &err), -ENOENT);
	assert_int_equal(tenet_ravpn_pick("JohnDoe", t, 0, &err), -ENOENT);
	/* unique names still leave a user name that takes in two */
	assert_int_equal(tenet_ravpn_pick("ContosoWoodgrove\\eve", t, 3, &err), -EEXIST);
	assert_string_equal(err.msg, "no RADIUS Class and its name matches the tenant names "
				     "of both Woodgrove (*Woodgrove*) and Contoso (*Contoso*)");

	/* a Class that selects a tenant wins over the name; charon ignores
	 * one of 44 bytes or more, so it selects nothing */
	assert_true(tenet_ravpn_class_names_tenant("TenantName=Contoso", 18));
	assert_true(tenet_ravpn_class_names_tenant("TenantName=Nobody", 17));
	assert_false(tenet_ravpn_class_names_tenant("TenantName=", 11));
	assert_false(tenet_ravpn_class_names_tenant("tenantname=Contoso", 18));
	assert_false(tenet_ravpn_class_names_tenant("TenantName=Contoso", 10));
	assert_false(tenet_ravpn_class_names_tenant("Staff", 5));
	assert_false(tenet_ravpn_class_names_tenant(
		"TenantName=Contoso-0123456789012345678901234", 44));
	assert_true(tenet_ravpn_class_names_tenant(
		"TenantName=Contoso-012345678901234567890123", 43));
}

static void test_clash(void **state)
{
	(void)state;
	/* the book's tenant names live side by side */
	assert_false(tenet_ravpn_overlap("*Contoso*", "*Woodgrove*"));
	assert_false(tenet_ravpn_overlap("*@Contoso.*", "*@Woodgrove.*"));
	/* the same name, or one taking in the other, clash */
	assert_true(tenet_ravpn_overlap("*Contoso*", "*contoso*"));
	assert_true(tenet_ravpn_overlap("*Contoso*", "*Cont*"));
	assert_true(tenet_ravpn_overlap("Conto*", "*Contoso*"));
	assert_true(tenet_ravpn_overlap("*Contoso*", "Contoso"));
	assert_false(tenet_ravpn_overlap("Contoso\\*", "Woodgrove\\*"));
}

static void test_parsers(void **state)
{
	struct tenet_err err = { 0 };
	uint32_t a;
	uint16_t port;

	(void)state;
	assert_int_equal(tenet_ravpn_check_pattern("*Contoso*", NULL), 0);
	assert_int_equal(tenet_ravpn_check_pattern("**", &err), -EINVAL);
	assert_string_equal(err.msg, "matches every user name (give some text besides '*')");
	assert_int_equal(tenet_ravpn_check_pattern("", &err), -EINVAL);
	assert_string_equal(err.msg, "empty");
	assert_int_equal(tenet_ravpn_check_pattern("a b", &err), -EINVAL);
	assert_string_equal(err.msg, "white space, a quote, a backslash or a control character in it");
	assert_int_equal(tenet_ravpn_check_pattern("Contoso\\*", &err), -EINVAL);

	assert_int_equal(tenet_ravpn_check_pool6("fd00:10::/64", NULL), 0);
	assert_int_equal(tenet_ravpn_check_pool6("fd00:10::1/64", &err), -EINVAL);
	assert_string_equal(err.msg, "host bits set (the prefix is a network)");
	assert_int_equal(tenet_ravpn_check_pool6("fd00:10::/48", &err), -EINVAL);
	assert_string_equal(err.msg, "prefix length: not 64..126");
	assert_int_equal(tenet_ravpn_check_pool6("10.0.0.0/24", &err), -EINVAL);
	assert_string_equal(err.msg, "not an IPv6 prefix (ADDRESS/LEN)");

	assert_int_equal(tenet_ravpn_parse_server("10.9.0.2", &a, &port, NULL), 0);
	assert_int_equal(port, 1812);
	assert_int_equal(tenet_ravpn_parse_server("10.9.0.2:11812", &a, &port, NULL), 0);
	assert_int_equal(port, 11812);
	assert_int_equal(tenet_ravpn_parse_server("10.9.0.2:0", &a, &port, &err), -EINVAL);
	assert_true(!strncmp(err.msg, "port", 4));
	assert_int_equal(tenet_ravpn_parse_server("224.0.0.1", &a, &port, &err), -EINVAL);
	assert_string_equal(err.msg, "not a unicast address");
}

static void test_names(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(tenet_ravpn_devname(2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tra2");
	assert_int_equal(tenet_ravpn_ifid(2), 0x7e520002);
	assert_int_equal(tenet_ravpn_conn_name("Contoso", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tenet-ra-Contoso");
	assert_string_equal(tenet_ravpn_conn_rdomain(buf), "Contoso");
	assert_null(tenet_ravpn_conn_rdomain("tenet-s2s-IfCe1"));
	assert_null(tenet_ravpn_conn_rdomain("tenet-ra-"));
	assert_int_equal(tenet_ravpn_secret_context("gw", htonl(0x0a090002), 1812, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tenet/v1/host/gw/ravpnradius/10.9.0.2_1812#secret");
}

static void test_limits(void **state)
{
	const char *what;

	(void)state;
	assert_int_equal(ravpn_over_limit(1, 1, 1, 0, &what), 0);
	assert_null(what);
	assert_int_equal(ravpn_over_limit(2, 1, 2, 0, &what), 1);
	assert_string_equal(what, "the tenant's max");
	assert_int_equal(ravpn_over_limit(5, 0, 3, 2, &what), 2);
	assert_string_equal(what, "the gateway's cap");
	/* the tenant's own limit is named first */
	assert_int_equal(ravpn_over_limit(2, 1, 3, 2, &what), 1);
	assert_string_equal(what, "the tenant's max");
	assert_int_equal(ravpn_over_limit(100, 0, 100, 0, &what), 0);
}

/* ---- charon's messages ---- */

static struct tenet_ravpn contoso(void)
{
	struct tenet_ravpn r = { 0 };

	strcpy(r.host, "gw");
	strcpy(r.rdomain, "Contoso");
	tenet_parse_prefix("10.10.0.0/24", &r.pool, NULL);
	r.ndns = 1;
	tenet_parse_ipv4("10.0.0.53", &r.dns[0].addr, NULL);
	return r;
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	return s;
}

static void test_conf_msgs(void **state)
{
	struct tenet_ravpn r = contoso(), w = contoso();
	char v4[RAVPN_NAME_LEN], v6[RAVPN_NAME_LEN], v4w[RAVPN_NAME_LEN], v6w[RAVPN_NAME_LEN];
	char child[RAVPN_NAME_LEN], want[2048], *s;
	struct tenet_err err = { 0 };
	json_t *m;

	(void)state;
	ravpn_pool_names(&r, v4, v6);
	assert_int_equal(strncmp(v4, "tenet-ra-Contoso-4-", 19), 0);
	assert_int_equal(strlen(v4), 19 + 8);
	assert_string_equal(v6, "");
	s = dump(ravpn_pool_msg(&r, v4, false));
	snprintf(want, sizeof(want), "{\"%s\":{\"addrs\":\"10.10.0.0/24\",\"dns\":[\"10.0.0.53\"]}}", v4);
	assert_string_equal(s, want);
	free(s);
	/* Woodgrove: the same pool, a pool of its own in charon */
	strcpy(w.rdomain, "Woodgrove");
	strcpy(w.pool6, "fd00:10::/64");
	ravpn_pool_names(&w, v4w, v6w);
	assert_int_equal(strncmp(v4w, "tenet-ra-Woodgrove-4-", 21), 0);
	assert_int_equal(strncmp(v6w, "tenet-ra-Woodgrove-6-", 21), 0);
	s = dump(ravpn_pool_msg(&w, v6w, true));
	snprintf(want, sizeof(want), "{\"%s\":{\"addrs\":\"fd00:10::/64\"}}", v6w);
	assert_string_equal(s, want);
	free(s);
	/* another pool is another name */
	r.pool.len = 23;
	ravpn_pool_names(&r, v6, v6w);
	assert_string_not_equal(v4, v6);
	r.pool.len = 24;

	assert_int_equal(ravpn_conn_msg(&r, 1, NULL, &m, &err), -EINVAL);
	assert_string_equal(err.msg, "remote access needs the gateway's certificate "
			    "(ipsec_cert and ipsec_key in tenetd.conf)");
	assert_int_equal(ravpn_child_name(&r, 1, "PEM", child, NULL), 0);
	assert_int_equal(strncmp(child, "ra-", 3), 0);
	assert_int_equal(strlen(child), 3 + 16);
	assert_int_equal(ravpn_conn_msg(&r, 1, "PEM", &m, NULL), 0);
	s = dump(m);
	snprintf(want, sizeof(want),
		 "{\"tenet-ra-Contoso\":{\"children\":{\"%s\":{\"close_action\":\"none\","
		 "\"dpd_action\":\"clear\",\"esp_proposals\":[\"aes128gcm16-aes256gcm16\","
		 "\"aes128-aes256-sha256-sha384\",\"aes128-aes256-sha1\"],"
		 "\"if_id_in\":\"2119303169\",\"if_id_out\":\"2119303169\","
		 "\"local_ts\":[\"0.0.0.0/0\"],\"remote_ts\":[\"dynamic\"]}},"
		 "\"dpd_delay\":\"30s\",\"local-1\":{\"auth\":\"pubkey\",\"certs\":[\"PEM\"]},"
		 "\"pools\":[\"%s\"],\"proposals\":["
		 "\"aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-ecp384-modp2048\","
		 "\"aes128-aes256-sha256-sha384-x25519-ecp256-ecp384-modp2048\"],"
		 "\"remote-1\":{\"auth\":\"eap-radius\",\"eap_id\":\"%%any\","
		 "\"groups\":[\"TenantName=Contoso\"]},\"send_certreq\":\"no\","
		 "\"unique\":\"never\",\"version\":\"2\"}}", child, v4);
	assert_string_equal(s, want);
	free(s);
	/* a tenant with pool6: its users reach it over IPv6 too */
	assert_int_equal(ravpn_conn_msg(&w, 2, "PEM", &m, NULL), 0);
	s = dump(m);
	assert_non_null(strstr(s, "\"local_ts\":[\"0.0.0.0/0\",\"::/0\"]"));
	free(s);
	/* another compartment is another child (its if_id) */
	assert_int_equal(ravpn_child_name(&r, 2, "PEM", v6, NULL), 0);
	assert_string_not_equal(child, v6);
}

static void test_radius_conf(void **state)
{
	struct ravpn_radius_server s[2] = {
		{ .addr = htonl(0x0a090002), .port = 1812, .secret = "s3cret" },
		{ .addr = htonl(0x0a090003), .port = 11812, .secret = "a\"b\\c" },
	};
	char *t;

	(void)state;
	t = ravpn_radius_conf(s, 2);
	assert_string_equal(t,
		"# written by tenetd (remote-access VPN); do not edit\n"
		"charon {\n\tplugins {\n\t\teap-radius {\n"
		"\t\t\tclass_group = yes\n\t\t\tretransmit_tries = 3\n\t\t\tretransmit_timeout = 2\n"
		"\t\t\tservers {\n"
		"\t\t\t\ts1 {\n\t\t\t\t\taddress = 10.9.0.2\n\t\t\t\t\tauth_port = 1812\n"
		"\t\t\t\t\tsecret = \"s3cret\"\n\t\t\t\t}\n"
		"\t\t\t\ts2 {\n\t\t\t\t\taddress = 10.9.0.3\n\t\t\t\t\tauth_port = 11812\n"
		"\t\t\t\t\tsecret = \"a\\\"b\\\\c\"\n\t\t\t\t}\n"
		"\t\t\t}\n\t\t}\n\t}\n}\n");
	free(t);
	t = ravpn_radius_conf(NULL, 0);
	assert_non_null(strstr(t, "\t\t\tservers {\n\t\t\t}\n"));
	free(t);
}

/* ---- validated writes ---- */

struct fx {
	char *dir, *path, *keypath;
	struct tenet_store *s;
	struct tenet_hostkey *key;
};

static void put_ok(struct fx *f, struct tenet_record *r)
{
	struct tenet_err err = { 0 };

	if (tenet_policy_put(f->s, r, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static void put_refused(struct fx *f, struct tenet_record *r, int code, const char *msg)
{
	struct tenet_err err = { 0 };
	int64_t before, after;
	int ret;

	assert_int_equal(tenet_store_revision(f->s, &before, NULL), 0);
	ret = tenet_policy_put(f->s, r, 0, NULL, &err);
	if (ret != code || strcmp(err.msg, msg))
		fail_msg("got %d '%s', want %d '%s'", ret, err.msg, code, msg);
	assert_int_equal(tenet_store_revision(f->s, &after, NULL), 0);
	assert_int_equal(before, after);
}

static void rdomain(struct fx *f, const char *name, uint32_t vsid, bool cm)
{
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };

	strcpy(r.rdomain.name, name);
	put_ok(f, &r);
	r = (struct tenet_record){ .kind = TENET_KIND_VSUBNET };
	r.vsubnet.vsid = vsid;
	strcpy(r.vsubnet.rdomain, name);
	tenet_parse_prefix("10.0.254.0/24", &r.vsubnet.prefix, NULL);
	put_ok(f, &r);
	if (!cm)
		return;
	r = (struct tenet_record){ .kind = TENET_KIND_COMPARTMENT };
	strcpy(r.compartment.host, "gw");
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, name);
	r.compartment.vsid = vsid;
	tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL);
	tenet_gw_default_mac("gw", name, r.compartment.mac);
	put_ok(f, &r);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tenet_record r = { .kind = TENET_KIND_PA };

	f->dir = tu_mkdtemp();
	assert_true(asprintf(&f->path, "%s/store.db", f->dir) > 0);
	assert_true(asprintf(&f->keypath, "%s/hostkey", f->dir) > 0);
	assert_int_equal(tenet_store_open(f->path, &f->s, NULL), 0);
	assert_int_equal(tenet_hostkey_load(f->keypath, TENET_HOSTKEY_CREATE, &f->key, NULL), 0);
	strcpy(r.pa.host, "gw");
	strcpy(r.pa.dev, "ul0");
	tenet_parse_addr_len("192.168.4.33/24", &r.pa.addr, NULL);
	put_ok(f, &r);
	rdomain(f, "Contoso", 5999, true);
	rdomain(f, "Woodgrove", 6999, true);
	rdomain(f, "Fabrikam", 7999, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_hostkey_free(f->key);
	tenet_store_close(f->s);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f->keypath);
	free(f);
	return 0;
}

static struct tenet_record tenant(const char *rd, const char *pattern)
{
	struct tenet_record r = { .kind = TENET_KIND_RAVPN };

	strcpy(r.ravpn.host, "gw");
	strcpy(r.ravpn.rdomain, rd);
	tenet_parse_prefix("10.10.0.0/24", &r.ravpn.pool, NULL);
	if (pattern)
		strcpy(r.ravpn.tenant, pattern);
	return r;
}

static void test_rules(void **state)
{
	struct fx *f = *state;
	struct tenet_record c = tenant("Contoso", "*Contoso*"), w = tenant("Woodgrove", "*Woodgrove*");
	struct tenet_record x, rad = { .kind = TENET_KIND_RAVPNRADIUS };
	struct tenet_record_list l;
	char ctx[TENET_KEY_MAX + 16], *sealed = NULL;

	/* two tenants, the same pool */
	put_ok(f, &c);
	put_ok(f, &w);
	x = tenant("Woodgrove", "Conto*");
	put_refused(f, &x, -EEXIST, "tenant-name Conto*: clashes with *Contoso* (tenant Contoso): "
		    "tenant names are unique per gateway");
	/* a tenant may change its own name */
	x = tenant("Contoso", "*contoso.*");
	put_ok(f, &x);
	x = tenant("Fabrikam", NULL);
	put_refused(f, &x, -ENOENT, "rdomain Fabrikam: no compartment on host gw (tenet compartment "
		    "add first)");
	x = tenant("Nope", NULL);
	put_refused(f, &x, -ENOENT, "rdomain Nope: no such routing domain");
	x = tenant("Contoso", NULL);
	x.ravpn.pool.len = 0;
	put_refused(f, &x, -EINVAL, "pool: missing (give pool, pool6 or both)");
	x.ravpn.pool.len = 31;
	put_refused(f, &x, -EINVAL, "pool 10.10.0.0/31: not /8../30");
	x = tenant("Contoso", "**");
	put_refused(f, &x, -EINVAL, "tenant-name: matches every user name (give some text besides '*')");
	x = tenant("Contoso", NULL);
	strcpy(x.ravpn.pool6, "fd00::1/64");
	put_refused(f, &x, -EINVAL, "pool6 fd00::1/64: host bits set (the prefix is a network)");

	/* RADIUS servers: the secret sealed */
	strcpy(rad.ravpnradius.host, "gw");
	tenet_parse_ipv4("10.9.0.2", &rad.ravpnradius.server, NULL);
	rad.ravpnradius.port = 1812;
	strcpy(rad.ravpnradius.secret, "radius-secret");
	put_refused(f, &rad, -EINVAL, "secret: sealed value: not sealed text (sealed:v1:...)");
	tenet_ravpn_secret_context("gw", rad.ravpnradius.server, 1812, ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(f->key), ctx, "radius-secret", 13,
					   &sealed, NULL), 0);
	strcpy(rad.ravpnradius.secret, sealed);
	free(sealed);
	put_ok(f, &rad);

	/* the compartment's delete takes the tenant's remote access along */
	x = (struct tenet_record){ .kind = TENET_KIND_COMPARTMENT };
	strcpy(x.compartment.host, "gw");
	strcpy(x.compartment.name, "Contoso");
	assert_int_equal(tenet_policy_del(f->s, &x, 0, NULL, NULL), 0);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_RAVPN, "gw", &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.recs[0].ravpn.rdomain, "Woodgrove");
	tenet_record_list_free(&l);
}

/* ---- the reconciler on a fake kernel and charon ---- */

#define MAXN 16

struct rfake {
	struct ipsec_link links[MAXN];
	int nlinks;
	struct ipsec_route_key routes[MAXN];
	struct ipsec_route_val rvals[MAXN];
	int nroutes;
	struct ravpn_route6_key routes6[MAXN];
	struct ipsec_route_val rvals6[MAXN];
	int nroutes6;
	char conns[MAXN][96], children[MAXN][96];
	json_t *conn_msg[MAXN];
	char pools[MAXN][96];
	char *radius;
	json_t *calls;          /* the changing VICI commands: [cmd, request] */
	json_t *events;         /* [name, message] */
	json_t *sas;            /* list-sas answers: { conn: {...} } each */
	int nlists;             /* list-sas calls */
};

static struct rfake *RF(void *ctx)
{
	return ctx;
}

static int rf_link_dump(void *ctx, struct ipsec_link **out, size_t *n)
{
	struct rfake *f = RF(ctx);

	*out = calloc(MAXN, sizeof(**out));
	memcpy(*out, f->links, sizeof(f->links));
	*n = (size_t)f->nlinks;
	return 0;
}

static struct ipsec_link *rf_link(struct rfake *f, const char *name)
{
	for (int i = 0; i < f->nlinks; i++)
		if (!strcmp(f->links[i].name, name))
			return &f->links[i];
	return NULL;
}

static int rf_link_add(void *ctx, const char *name, uint32_t if_id, uint32_t mtu, const char *alias)
{
	struct rfake *f = RF(ctx);
	struct ipsec_link *l = &f->links[f->nlinks++];

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->alias, sizeof(l->alias), "%s", alias);
	l->if_id = if_id;
	assert_int_equal(mtu, IPSEC_MTU);
	return 0;
}

static int rf_link_del(void *ctx, const char *name)
{
	struct rfake *f = RF(ctx);
	struct ipsec_link *l = rf_link(f, name);

	if (!l)
		return -ENODEV;
	*l = f->links[--f->nlinks];
	return 0;
}

static int rf_link_master(void *ctx, const char *name, const char *master)
{
	snprintf(rf_link(RF(ctx), name)->master, IF_NAMESIZE, "%s", master ? master : "");
	return 0;
}

static int rf_link_up(void *ctx, const char *name, bool up)
{
	rf_link(RF(ctx), name)->up = up;
	return 0;
}

static int rf_link_sysctl(void *ctx, const char *name, const char *key, int val)
{
	return 0;
}

static int rf_route_dump(void *ctx, ipsec_route_cb cb, void *arg)
{
	struct rfake *f = RF(ctx);

	for (int i = 0; i < f->nroutes; i++)
		cb(&f->routes[i], &f->rvals[i], arg);
	return 0;
}

static int rf_route_set(void *ctx, const struct ipsec_route_key *k, const struct ipsec_route_val *v)
{
	struct rfake *f = RF(ctx);

	f->routes[f->nroutes] = *k;
	f->rvals[f->nroutes++] = *v;
	return 0;
}

static int rf_route_del(void *ctx, const struct ipsec_route_key *k)
{
	struct rfake *f = RF(ctx);

	for (int i = 0; i < f->nroutes; i++)
		if (!memcmp(&f->routes[i], k, sizeof(*k))) {
			f->routes[i] = f->routes[--f->nroutes];
			f->rvals[i] = f->rvals[f->nroutes];
			return 0;
		}
	return -ENOENT;
}

static int rf_route6_dump(void *ctx, ravpn_route6_cb cb, void *arg)
{
	struct rfake *f = RF(ctx);

	for (int i = 0; i < f->nroutes6; i++)
		cb(&f->routes6[i], &f->rvals6[i], arg);
	return 0;
}

static int rf_route6_set(void *ctx, const struct ravpn_route6_key *k,
			 const struct ipsec_route_val *v)
{
	struct rfake *f = RF(ctx);

	f->routes6[f->nroutes6] = *k;
	f->rvals6[f->nroutes6++] = *v;
	return 0;
}

static int rf_route6_del(void *ctx, const struct ravpn_route6_key *k)
{
	struct rfake *f = RF(ctx);

	for (int i = 0; i < f->nroutes6; i++)
		if (!memcmp(&f->routes6[i], k, sizeof(*k))) {
			f->routes6[i] = f->routes6[--f->nroutes6];
			f->rvals6[i] = f->rvals6[f->nroutes6];
			return 0;
		}
	return -ENOENT;
}

/* The route of dst/plen in table, or NULL. */
static const struct ipsec_route_val *rf_route(struct rfake *f, __u32 table, const char *dst,
					      __u8 plen)
{
	__be32 a;

	tenet_parse_ipv4(dst, &a, NULL);
	for (int i = 0; i < f->nroutes; i++)
		if (f->routes[i].table == table && f->routes[i].dst == a && f->routes[i].plen == plen)
			return &f->rvals[i];
	return NULL;
}

static int rf_radius_write(void *ctx, const char *text)
{
	struct rfake *f = RF(ctx);

	free(f->radius);
	f->radius = strdup(text);
	return 0;
}

static int rf_vici_open(void *ctx, struct tenet_err *err)
{
	return 0;
}

static void rf_vici_close(void *ctx)
{
}

static int rf_vici_fd(void *ctx)
{
	return -1;
}

static int rf_find(char (*names)[96], const char *name)
{
	for (int i = 0; i < MAXN; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static int rf_vici_call(void *ctx, const char *cmd, const json_t *req, const char *stream,
			vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err)
{
	struct rfake *f = RF(ctx);
	const char *k;
	json_t *v;
	int i;

	*resp = json_pack("{s:s}", "success", "yes");
	if (!strcmp(cmd, "list-conns")) {
		for (i = 0; i < MAXN; i++)
			if (f->conns[i][0]) {
				json_t *ev = json_pack("{s:{s:{s:{}}}}", f->conns[i], "children",
						       f->children[i]);

				cb(arg, ev);
				json_decref(ev);
			}
		return 0;
	}
	if (!strcmp(cmd, "get-pools")) {
		for (i = 0; i < MAXN; i++)
			if (f->pools[i][0])
				json_object_set_new(*resp, f->pools[i], json_pack("{s:s}", "base", "x"));
		return 0;
	}
	if (!strcmp(cmd, "list-sas")) {
		f->nlists++;
		json_array_foreach(f->sas, i, v)
			cb(arg, v);
		return 0;
	}
	json_array_append_new(f->calls, json_pack("[s, O?]", cmd, (json_t *)req));
	if (!strcmp(cmd, "load-conn")) {
		json_object_foreach((json_t *)req, k, v) {
			const char *ch;
			json_t *cv;

			i = rf_find(f->conns, k);
			if (i < 0)
				i = rf_find(f->conns, "");
			snprintf(f->conns[i], 96, "%s", k);
			json_object_foreach(json_object_get(v, "children"), ch, cv)
				snprintf(f->children[i], 96, "%s", ch);
			json_decref(f->conn_msg[i]);
			f->conn_msg[i] = json_deep_copy(req);
		}
	} else if (!strcmp(cmd, "unload-conn")) {
		i = rf_find(f->conns, json_string_value(json_object_get(req, "name")));
		if (i >= 0)
			f->conns[i][0] = '\0';
	} else if (!strcmp(cmd, "load-pool")) {
		json_object_foreach((json_t *)req, k, v)
			snprintf(f->pools[rf_find(f->pools, "")], 96, "%s", k);
	} else if (!strcmp(cmd, "unload-pool")) {
		i = rf_find(f->pools, json_string_value(json_object_get(req, "name")));
		if (i >= 0)
			f->pools[i][0] = '\0';
	}
	return 0;
}

static int rf_vici_event(void *ctx, char **name, json_t **msg, struct tenet_err *err)
{
	struct rfake *f = RF(ctx);
	json_t *e;

	if (!json_array_size(f->events))
		return -EAGAIN;
	e = json_array_get(f->events, 0);
	*name = strdup(json_string_value(json_array_get(e, 0)));
	*msg = json_incref(json_array_get(e, 1));
	json_array_remove(f->events, 0);
	return 0;
}

/* The changing VICI commands since the last call, as "cmd cmd ...". */
static char *calls(struct rfake *f)
{
	static char buf[512];
	size_t i;
	json_t *c;

	buf[0] = '\0';
	json_array_foreach(f->calls, i, c)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? " " : "",
			 json_string_value(json_array_get(c, 0)));
	json_array_clear(f->calls);
	return buf;
}

static void model_rec_put(struct model *m, const struct tenet_record *r)
{
	struct tenet_err err = { 0 };
	char key[TENET_KEY_MAX];
	json_t *j = tenet_record_to_json(r);
	char *text = json_dumps(j, JSON_COMPACT);

	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	if (model_put(m, key, text, &err) < 0)
		fail_msg("model_put %s: %s", key, err.msg);
	free(text);
	json_decref(j);
}

static struct tenet_record cm_rec(uint32_t id, const char *name)
{
	struct tenet_record r = { .kind = TENET_KIND_COMPARTMENT };

	strcpy(r.compartment.host, "gw");
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, name);
	r.compartment.id = id;
	r.compartment.vsid = 5999 + id;
	tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL);
	tenet_gw_default_mac("gw", name, r.compartment.mac);
	return r;
}

/* A user's IKE SA as list-sas and ike-updown give it. */
static json_t *user_sa(const char *conn, const char *uid, const char *user, const char *state)
{
	return json_pack("{s:{s:s, s:s, s:s, s:s, s:[s]}}", conn, "state", state, "uniqueid", uid,
			 "remote-eap-id", user, "remote-host", "59.10.10.11", "remote-vips",
			 "10.10.0.1");
}

static void test_reconciler(void **state)
{
	struct rfake f = { .calls = json_array(), .events = json_array(), .sas = json_array() };
	struct ipsec_ops k = {
		.ctx = &f, .link_dump = rf_link_dump, .link_add = rf_link_add, .link_del = rf_link_del,
		.link_master = rf_link_master, .link_up = rf_link_up, .link_sysctl = rf_link_sysctl,
		.vici_open = rf_vici_open, .vici_close = rf_vici_close, .vici_fd = rf_vici_fd,
		.vici_call = rf_vici_call, .vici_event = rf_vici_event,
	};
	struct ravpn_ops ops = { .k = &k, .rctx = &f, .route_dump = rf_route_dump,
				 .route_set = rf_route_set, .route_del = rf_route_del,
				 .route6_dump = rf_route6_dump, .route6_set = rf_route6_set,
				 .route6_del = rf_route6_del, .radius_write = rf_radius_write };
	struct recon_env env = { .host = "gw" };
	struct recon_hooks h = { 0 };
	struct tenet_record c = cm_rec(1, "Contoso"), w = cm_rec(2, "Woodgrove");
	struct tenet_record rc_ = tenant("Contoso", "*Contoso*"), rw = tenant("Woodgrove", NULL);
	struct tenet_record rad = { .kind = TENET_KIND_RAVPNRADIUS }, cap = { .kind = TENET_KIND_RAVPNGW };
	struct tenet_hostkey *key = NULL;
	char *dir = tu_mkdtemp(), *path = NULL, ctx[TENET_KEY_MAX + 16], *sealed = NULL, *want;
	struct recon r;
	struct model m;
	json_t *msg;
	int i;

	(void)state;
	assert_true(asprintf(&path, "%s/key", dir) > 0);
	assert_int_equal(tenet_hostkey_load(path, TENET_HOSTKEY_CREATE, &key, NULL), 0);
	model_init(&m);
	model_rec_put(&m, &c);
	model_rec_put(&m, &w);
	rc_.ravpn.max = 1;
	model_rec_put(&m, &rc_);
	model_rec_put(&m, &rw);
	strcpy(rad.ravpnradius.host, "gw");
	tenet_parse_ipv4("131.107.10.20", &rad.ravpnradius.server, NULL);
	rad.ravpnradius.port = 1812;
	tenet_ravpn_secret_context("gw", rad.ravpnradius.server, 1812, ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(key), ctx, "radius-secret", 13,
					   &sealed, NULL), 0);
	strcpy(rad.ravpnradius.secret, sealed);
	free(sealed);
	model_rec_put(&m, &rad);
	strcpy(cap.ravpngw.host, "gw");
	cap.ravpngw.max = 2;
	model_rec_put(&m, &cap);

	recon_init(&r, &gw_ravpn_reconciler, &ops);
	assert_int_equal(ravpn_setup(&r, &key, 1, "PEM"), 0);
	assert_true(gw_ravpn_reconciler.wake(&r));      /* connects to charon */
	assert_true(recon_run(&r, &m, &env, &h) >= 0);

	/* per tenant: the XFRM interface in its VRF, the pool's route
	 * (unreachable: the users get routes of their own), a pool
	 * and a connection (the exact message of ravpn_conn_msg); then the
	 * RADIUS servers, with the opened secret, and a reload */
	assert_int_equal(f.nlinks, 2);
	for (i = 0; i < 2; i++) {
		struct ipsec_link *l = rf_link(&f, i ? "tra2" : "tra1");

		assert_non_null(l);
		assert_int_equal(l->if_id, 0x7e520001u + (uint32_t)i);
		assert_string_equal(l->master, i ? "tvrf2" : "tvrf1");
		assert_string_equal(l->alias, i ? "tenet-ra:Woodgrove" : "tenet-ra:Contoso");
		assert_true(l->up);
	}
	assert_int_equal(f.nroutes, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f.routes[i].plen, 24);
		assert_int_equal(f.routes[i].dst, rc_.ravpn.pool.addr);
		assert_string_equal(f.rvals[i].dev, "");
	}
	assert_string_equal(calls(&f), "load-pool load-pool load-conn load-conn reload-settings");
	assert_int_equal(ravpn_conn_msg(&rc_.ravpn, 1, "PEM", &msg, NULL), 0);
	i = rf_find(f.conns, "tenet-ra-Contoso");
	assert_true(i >= 0 && json_equal(msg, f.conn_msg[i]));
	json_decref(msg);
	assert_non_null(strstr(f.radius, "address = 131.107.10.20"));
	assert_non_null(strstr(f.radius, "secret = \"radius-secret\""));
	assert_non_null(strstr(f.radius, "class_group = yes"));

	/* a second round changes nothing */
	assert_true(recon_run(&r, &m, &env, &h) >= 0);
	assert_string_equal(calls(&f), "");

	/* alice connected; carol is over Contoso's max of 1: ended again */
	json_array_append_new(f.sas, user_sa("tenet-ra-Contoso", "5", "alice", "ESTABLISHED"));
	json_array_append_new(f.sas, user_sa("tenet-ra-Contoso", "7", "carol", "ESTABLISHED"));
	msg = user_sa("tenet-ra-Contoso", "7", "carol", "ESTABLISHED");
	json_object_set_new(msg, "up", json_string("yes"));
	json_array_append_new(f.events, json_pack("[s, o]", "ike-updown", msg));
	gw_ravpn_reconciler.wake(&r);
	want = "[\"terminate\",{\"force\":\"yes\",\"ike-id\":7,\"timeout\":-1}]";
	msg = json_array_get(f.calls, 0);
	assert_non_null(msg);
	{
		char *got = json_dumps(msg, JSON_COMPACT | JSON_SORT_KEYS);

		assert_string_equal(got, want);
		free(got);
	}
	assert_string_equal(calls(&f), "terminate");
	/* bob, Woodgrove's (no max), is the second user: kept */
	json_array_clear(f.sas);
	json_array_append_new(f.sas, user_sa("tenet-ra-Contoso", "5", "alice", "ESTABLISHED"));
	json_array_append_new(f.sas, user_sa("tenet-ra-Woodgrove", "8", "bob", "ESTABLISHED"));
	msg = user_sa("tenet-ra-Woodgrove", "8", "bob", "ESTABLISHED");
	json_object_set_new(msg, "up", json_string("yes"));
	json_array_append_new(f.events, json_pack("[s, o]", "ike-updown", msg));
	gw_ravpn_reconciler.wake(&r);
	assert_string_equal(calls(&f), "");
	/* dave, the third, is over the gateway's cap of 2 */
	json_array_append_new(f.sas, user_sa("tenet-ra-Woodgrove", "9", "dave", "ESTABLISHED"));
	msg = user_sa("tenet-ra-Woodgrove", "9", "dave", "ESTABLISHED");
	json_object_set_new(msg, "up", json_string("yes"));
	json_array_append_new(f.events, json_pack("[s, o]", "ike-updown", msg));
	assert_true(gw_ravpn_reconciler.wake(&r));      /* a round follows */
	assert_string_equal(calls(&f), "terminate");

	/* Each user's virtual IPs are routed through its tenant's interface,
	 * in its tenant's table: alice's and bob's 10.10.0.1 both, bob's
	 * IPv6 one too. */
	json_array_clear(f.sas);
	json_array_append_new(f.sas, user_sa("tenet-ra-Contoso", "5", "alice", "ESTABLISHED"));
	msg = user_sa("tenet-ra-Woodgrove", "8", "bob", "ESTABLISHED");
	json_array_append_new(json_object_get(json_object_get(msg, "tenet-ra-Woodgrove"),
					      "remote-vips"), json_string("fd00:10::1"));
	json_array_append_new(f.sas, msg);
	assert_true(recon_run(&r, &m, &env, &h) >= 0);
	assert_int_equal(f.nroutes, 4);
	assert_non_null(rf_route(&f, 10001, "10.10.0.1", 32));
	assert_string_equal(rf_route(&f, 10001, "10.10.0.1", 32)->dev, "tra1");
	assert_string_equal(rf_route(&f, 10002, "10.10.0.1", 32)->dev, "tra2");
	assert_string_equal(rf_route(&f, 10001, "10.10.0.0", 24)->dev, "");
	assert_int_equal(f.nroutes6, 1);
	assert_int_equal(f.routes6[0].table, 10002);
	assert_int_equal(f.routes6[0].plen, 128);
	assert_int_equal(f.routes6[0].dst[0], 0xfd);
	assert_int_equal(f.routes6[0].dst[15], 1);
	assert_string_equal(f.rvals6[0].dev, "tra2");
	assert_true(recon_run(&r, &m, &env, &h) >= 0);  /* nothing changes */
	assert_int_equal(f.nroutes, 4);
	assert_int_equal(f.nroutes6, 1);
	/* bob hangs up: his routes go */
	json_array_remove(f.sas, 1);
	json_array_append_new(f.events, json_pack("[s, o]", "ike-updown",
						  user_sa("tenet-ra-Woodgrove", "8", "bob",
							  "DELETING")));
	assert_true(gw_ravpn_reconciler.wake(&r));
	assert_true(recon_run(&r, &m, &env, &h) >= 0);
	assert_int_equal(f.nroutes, 3);
	assert_null(rf_route(&f, 10002, "10.10.0.1", 32));
	assert_int_equal(f.nroutes6, 0);
	/* charon gone: the users' routes stay */
	gw_ravpn_reconciler.close(&r);
	assert_int_equal(ravpn_setup(&r, &key, 1, "PEM"), 0);
	assert_true(recon_run(&r, &m, &env, &h) >= 0);
	assert_non_null(rf_route(&f, 10001, "10.10.0.1", 32));
	assert_true(gw_ravpn_reconciler.wake(&r));      /* connects again */
	assert_true(recon_run(&r, &m, &env, &h) >= 0);
	calls(&f);

	/* Without the gateway's cap, a user of a tenant without max is not
	 * counted: no listing of every SA per connect */
	{
		char k3[TENET_KEY_MAX];
		int lists;

		assert_int_equal(tenet_record_key(&cap, k3, sizeof(k3)), 0);
		assert_int_equal(model_delete(&m, k3), 1);
		assert_true(recon_run(&r, &m, &env, &h) >= 0);
		calls(&f);
		lists = f.nlists;
		msg = user_sa("tenet-ra-Woodgrove", "10", "erin", "ESTABLISHED");
		json_object_set_new(msg, "up", json_string("yes"));
		json_array_append_new(f.events, json_pack("[s, o]", "ike-updown", msg));
		gw_ravpn_reconciler.wake(&r);
		assert_int_equal(f.nlists, lists);
		assert_string_equal(calls(&f), "");
		/* a Contoso user (max 1) is still counted */
		msg = user_sa("tenet-ra-Contoso", "11", "frank", "ESTABLISHED");
		json_object_set_new(msg, "up", json_string("yes"));
		json_array_append_new(f.events, json_pack("[s, o]", "ike-updown", msg));
		gw_ravpn_reconciler.wake(&r);
		assert_int_equal(f.nlists, lists + 1);
	}

	/* Woodgrove's remote access deleted: its users ended, its connection,
	 * pool, route and interface gone; Contoso's stay */
	{
		char k2[TENET_KEY_MAX];

		assert_int_equal(tenet_record_key(&rw, k2, sizeof(k2)), 0);
		assert_int_equal(model_delete(&m, k2), 1);
	}
	assert_true(recon_run(&r, &m, &env, &h) >= 0);
	assert_string_equal(calls(&f), "terminate unload-conn unload-pool");
	assert_int_equal(f.nlinks, 1);
	assert_string_equal(f.links[0].name, "tra1");
	/* Contoso's pool and alice's route */
	assert_int_equal(f.nroutes, 2);
	assert_non_null(rf_route(&f, 10001, "10.10.0.1", 32));
	assert_int_equal(rf_find(f.conns, "tenet-ra-Woodgrove"), -1);
	assert_true(rf_find(f.conns, "tenet-ra-Contoso") >= 0);

	recon_fini(&r);
	model_free(&m);
	for (i = 0; i < MAXN; i++)
		json_decref(f.conn_msg[i]);
	json_decref(f.calls);
	json_decref(f.events);
	json_decref(f.sas);
	free(f.radius);
	tenet_hostkey_free(key);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

/* A tenant's remote-access interface joins its S2S interfaces: flows
 * from traC, and those its table routes into traC, are zone Z both ways
 * (two tenants' clients with the same virtual IP never meet in zone 0). */
static void test_nft_zones(void **state)
{
	struct tenet_record c = cm_rec(1, "Contoso"), w = cm_rec(2, "Woodgrove");
	uint32_t cs[] = { 1 };
	struct gw_tenant t[2] = { { .cm = &c.compartment, .s2s = cs, .ns2s = 1, .ravpn = true },
				  { .cm = &w.compartment, .ravpn = true } };
	char *text;

	(void)state;
	text = gw_nft_ruleset(t, 2);
	assert_non_null(text);
	assert_non_null(strstr(text, "\t\tfib daddr . mark oifname { \"ts1\", \"tra1\" } meta mark set "
				     "0x00000000 ct zone set 10001 accept\n"));
	assert_non_null(strstr(text, "\t\tfib daddr . mark oifname { \"tra2\" } meta mark set "
				     "0x00000000 ct zone set 10002 accept\n"));
	assert_non_null(strstr(text, "\t\tct zone set iifname map { \"ts1\" : 10001, \"tra1\" : 10001, "
				     "\"tra2\" : 10002 }\n"
				     "\t\tiifname vmap { \"tgi1\" : jump own_10001, \"tgi2\" : jump "
				     "own_10002 }\n"));
	free(text);
}

/* ---- the CLI ---- */

static int cli(struct fx *f, char **out, char **err, const char *cmd)
{
	char *argv[32], *copy = strdup(cmd), *save = NULL, *w;
	size_t olen, elen;
	FILE *o, *e;
	int argc = 0, ret;

	argv[argc++] = "tenet";
	argv[argc++] = "--store";
	argv[argc++] = f->path;
	argv[argc++] = "--host";
	argv[argc++] = "gw";
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	o = open_memstream(out, &olen);
	e = open_memstream(err, &elen);
	ret = tenet_cli_main(argc, argv, o, e);
	fclose(o);
	fclose(e);
	free(copy);
	return ret;
}

static void cli_ok(struct fx *f, const char *cmd)
{
	char *out = NULL, *err = NULL;

	if (cli(f, &out, &err, cmd) != 0)
		fail_msg("%s: %s", cmd, err);
	free(out);
	free(err);
}

/* Refused with exactly msg, the store unchanged. */
static void cli_refused(struct fx *f, int code, const char *msg, const char *cmd)
{
	char *out = NULL, *err = NULL;
	int64_t before, after;
	int ret;

	assert_int_equal(tenet_store_revision(f->s, &before, NULL), 0);
	ret = cli(f, &out, &err, cmd);
	if (ret != code || strcmp(err, msg))
		fail_msg("%s: got %d '%s', want %d '%s'", cmd, ret, err, code, msg);
	assert_int_equal(tenet_store_revision(f->s, &after, NULL), 0);
	assert_int_equal(before, after);
	free(out);
	free(err);
}

/* The line of a tenant in show (after the "# charon not reachable"
 * note). */
static void show_line(struct fx *f, const char *cmd, const char *want)
{
	char *out = NULL, *err = NULL, *line;

	assert_int_equal(cli(f, &out, &err, cmd), 0);
	line = strstr(out, "ravpn ");
	if (!line || strcmp(line, want))
		fail_msg("%s: got '%s', want '%s'", cmd, out, want);
	free(out);
	free(err);
}

static void test_cli(void **state)
{
	struct fx *f = *state;
	struct tenet_record k = { .kind = TENET_KIND_PUBKEY };
	struct tenet_record_list l;
	struct tenet_secret *sec = NULL;
	char *cmd, *path, ctx[TENET_KEY_MAX + 16];
	FILE *fp;

	cli_refused(f, 1, "tenet: host gw: no host key published (start tenetd on gw first: the "
		    "RADIUS secret is sealed to its key)\n",
		    "ravpn radius add server 10.9.0.2 secret-file /dev/null");
	strcpy(k.pubkey.host, "gw");
	strcpy(k.pubkey.id, tenet_hostkey_id(f->key));
	strcpy(k.pubkey.pubkey, tenet_hostkey_public(f->key));
	put_ok(f, &k);

	cli_ok(f, "ravpn set rdomain Contoso pool 10.10.0.0/24 tenant-name *Contoso* max 1 dns 10.0.0.53");
	cli_ok(f, "ravpn set rdomain Woodgrove pool 10.10.0.0/24 tenant-name *Woodgrove*");
	/* set changes what is given and keeps the rest */
	cli_ok(f, "ravpn set rdomain Contoso max 3");
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_RAVPN, "gw", &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.recs[0].ravpn.rdomain, "Contoso");
	assert_int_equal(l.recs[0].ravpn.max, 3);
	assert_string_equal(l.recs[0].ravpn.tenant, "*Contoso*");
	assert_int_equal(l.recs[0].ravpn.pool.len, 24);
	assert_int_equal(l.recs[0].ravpn.ndns, 1);
	tenet_record_list_free(&l);

	/* the RADIUS secret: from a file, sealed, bound to its record */
	assert_true(asprintf(&path, "%s/radius.secret", f->dir) > 0);
	fp = fopen(path, "w");
	fputs("radius-secret-0123\n", fp);
	fclose(fp);
	assert_true(asprintf(&cmd, "ravpn radius add server 10.9.0.2 secret-file %s", path) > 0);
	cli_ok(f, cmd);
	free(cmd);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_RAVPNRADIUS, "gw", &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.recs[0].ravpnradius.port, 1812);
	assert_null(strstr(l.recs[0].ravpnradius.secret, "radius-secret"));
	tenet_ravpn_secret_context("gw", l.recs[0].ravpnradius.server, 1812, ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_open(&f->key, 1, ctx, l.recs[0].ravpnradius.secret, &sec,
					   NULL), 0);
	assert_int_equal(sec->len, 18);
	assert_memory_equal(sec->data, "radius-secret-0123", 18);
	tenet_secret_free(sec);
	/* ... and not for another server's record */
	tenet_ravpn_secret_context("gw", l.recs[0].ravpnradius.server, 1813, ctx, sizeof(ctx));
	assert_true(tenet_secret_open(&f->key, 1, ctx, l.recs[0].ravpnradius.secret, &sec, NULL) < 0);
	tenet_record_list_free(&l);

	/* the tenant's aggregate rate: KBPS both ways, tx/rx, none */
	cli_ok(f, "ravpn set rdomain Contoso rate 5120");
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_RAVPN, "gw", &l, NULL), 0);
	assert_true(l.recs[0].ravpn.rate.set);
	assert_int_equal(l.recs[0].ravpn.rate.tx, 5120);
	assert_int_equal(l.recs[0].ravpn.rate.rx, 5120);
	assert_false(l.recs[1].ravpn.rate.set);         /* Woodgrove: none */
	tenet_record_list_free(&l);
	show_line(f, "ravpn show rdomain Contoso vici /nonexistent",
		  "ravpn Contoso: pool 10.10.0.0/24 tenant-name *Contoso* max 3 rate 5120 users 0\n");
	cli_ok(f, "ravpn set rdomain Contoso rate tx 2048");
	show_line(f, "ravpn show rdomain Contoso vici /nonexistent",
		  "ravpn Contoso: pool 10.10.0.0/24 tenant-name *Contoso* max 3 rate tx 2048 rx 5120 "
		  "users 0\n");
	cli_ok(f, "ravpn set rdomain Contoso rate none");
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_RAVPN, "gw", &l, NULL), 0);
	assert_false(l.recs[0].ravpn.rate.set);
	tenet_record_list_free(&l);
	show_line(f, "ravpn show rdomain Contoso vici /nonexistent",
		  "ravpn Contoso: pool 10.10.0.0/24 tenant-name *Contoso* max 3 users 0\n");

	cli_ok(f, "ravpn limit max 5");
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_RAVPNGW, "gw", &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.recs[0].ravpngw.max, 5);
	tenet_record_list_free(&l);

	/* refusals: one line each, nothing stored */
	cli_refused(f, 1, "tenet: tenant-name Conto*: clashes with *Contoso* (tenant Contoso): tenant "
		    "names are unique per gateway\n",
		    "ravpn set rdomain Woodgrove tenant-name Conto*");
	cli_refused(f, 2, "tenet: pool '10.10.0.1/24': host bits set (did you mean 10.10.0.0/24?)\n",
		    "ravpn set rdomain Contoso pool 10.10.0.1/24");
	cli_refused(f, 2, "tenet: ravpn set: missing 'pool PREFIX' or 'pool6 PREFIX'\n",
		    "ravpn set rdomain Fabrikam max 1");
	cli_refused(f, 2, "tenet: ravpn set: missing 'rdomain NAME'\n", "ravpn set pool 10.10.0.0/24");
	cli_refused(f, 2, "tenet: tenant-name '**': matches every user name (give some text besides "
		    "'*')\n", "ravpn set rdomain Contoso tenant-name **");
	cli_refused(f, 2, "tenet: pool6 'fd00::1/64': host bits set (the prefix is a network)\n",
		    "ravpn set rdomain Contoso pool6 fd00::1/64");
	cli_refused(f, 2, "tenet: rate '4': outside 8..10000000\n",
		    "ravpn set rdomain Contoso rate 4");
	cli_refused(f, 2, "tenet: rate 'fast': not tx KBPS, rx KBPS, none or default\n",
		    "ravpn set rdomain Contoso rate fast");
	cli_refused(f, 1, "tenet: rdomain Fabrikam: no compartment on host gw (tenet compartment add "
		    "first)\n", "ravpn set rdomain Fabrikam pool 10.10.0.0/24");
	cli_refused(f, 1, "tenet: ravpn Fabrikam: no remote access configured on host gw\n",
		    "ravpn del rdomain Fabrikam");
	cli_refused(f, 2, "tenet: server '10.9.0.2:0': port: outside 1..65535\n",
		    "ravpn radius add server 10.9.0.2:0 secret-file /dev/null");
	cli_refused(f, 1, "tenet: RADIUS secret: empty (give it on standard input or with "
		    "secret-file FILE)\n", "ravpn radius add server 10.9.0.3 secret-file /dev/null");
	cli_refused(f, 1, "tenet: ravpn radius 10.9.0.3:1812: no such server on host gw\n",
		    "ravpn radius del server 10.9.0.3");
	cli_ok(f, "ravpn del rdomain Woodgrove");
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_clash),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_conf_msgs),
		cmocka_unit_test(test_radius_conf),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test(test_reconciler),
		cmocka_unit_test(test_nft_zones),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
	};

	return cmocka_run_group_tests_name("ravpn", tests, NULL, NULL);
}

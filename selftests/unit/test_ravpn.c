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

#include "gw/ravpn.h"
#include "gw/ravpn_conf.h"
#include "kinds/record.h"
#include "kinds/ravpn.h"
#include "policy/policy.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_clash),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_conf_msgs),
		cmocka_unit_test(test_radius_conf),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
	};

	return cmocka_run_group_tests_name("ravpn", tests, NULL, NULL);
}

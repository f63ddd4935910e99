// SPDX-License-Identifier: GPL-2.0
/* Gateway records: keys and JSON codecs (lib/kinds/gateway.c, nat.c), the validated
 * writes of compartments, NAT and inbound mappings (their rows' rules) on a
 * real store, and the nftables ruleset the agent generates
 * (agent/gw/nat_rules.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli.h"
#include "gw/gw.h"
#include "policy/policy.h"
#include "testutil.h"

/* ---- codecs ---- */

static struct tenet_record compartment(const char *name, const char *rd, uint32_t vsid,
				       const char *addr)
{
	struct tenet_record r = { .kind = TENET_KIND_COMPARTMENT };

	strcpy(r.compartment.host, "gw");
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, rd);
	r.compartment.vsid = vsid;
	assert_int_equal(tenet_parse_addr_len(addr, &r.compartment.addr, NULL), 0);
	tenet_gw_default_mac("gw", name, r.compartment.mac);
	return r;
}

static void roundtrip(const struct tenet_record *r, const char *want_key)
{
	struct tenet_record back, id;
	char key[TENET_KEY_MAX];
	json_t *j = tenet_record_to_json(r);
	char *text;

	assert_non_null(j);
	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	assert_string_equal(key, want_key);
	text = json_dumps(j, JSON_SORT_KEYS);
	assert_int_equal(tenet_record_decode(key, text, &back, NULL), 0);
	assert_memory_equal(&back, r, sizeof(back));
	assert_int_equal(tenet_record_from_key(key, &id, NULL), 0);
	assert_true(tenet_record_same_key(&id, r));
	free(text);
	json_decref(j);
}

static void test_codecs(void **state)
{
	struct tenet_record c = compartment("Contoso", "Contoso", 5999, "10.0.254.2/24");
	struct tenet_record n = { .kind = TENET_KIND_NAT }, m = { .kind = TENET_KIND_NATMAP };

	(void)state;
	c.compartment.id = 3;
	roundtrip(&c, "/tenet/v1/host/gw/compartment/Contoso");
	strcpy(c.compartment.ext_dev, "eth1");
	tenet_parse_addr_len("10.229.200.2/24", &c.compartment.ext_addr, NULL);
	roundtrip(&c, "/tenet/v1/host/gw/compartment/Contoso");
	strcpy(n.nat.host, "gw");
	strcpy(n.nat.rdomain, "Contoso");
	tenet_parse_ipv4("203.0.113.1", &n.nat.external, NULL);
	roundtrip(&n, "/tenet/v1/host/gw/nat/Contoso");
	n.nat.port_min = 20000;
	n.nat.port_max = 29999;
	tenet_parse_ipv4("203.0.113.254", &n.nat.via, NULL);
	roundtrip(&n, "/tenet/v1/host/gw/nat/Contoso");
	strcpy(m.natmap.host, "gw");
	strcpy(m.natmap.rdomain, "Contoso");
	m.natmap.proto = 6;
	tenet_parse_ipv4("203.0.113.1", &m.natmap.external, NULL);
	m.natmap.ext_port = 8080;
	tenet_parse_ipv4("10.0.0.5", &m.natmap.ca, NULL);
	m.natmap.ca_port = 80;
	roundtrip(&m, "/tenet/v1/host/gw/natmap/tcp_203.0.113.1_8080");
}

static void refused(enum tenet_kind kind, const char *json, const char *why)
{
	struct tenet_err err = { 0 };
	struct tenet_record r;
	json_t *j = json_loads(json, 0, NULL);

	assert_non_null(j);
	assert_true(tenet_record_from_json(kind, j, &r, &err) < 0);
	if (!strstr(err.msg, why))
		fail_msg("'%s' does not say '%s'", err.msg, why);
	json_decref(j);
}

static void test_corrupt(void **state)
{
	struct tenet_record r;

	(void)state;
	refused(TENET_KIND_COMPARTMENT, "{\"host\":\"gw\",\"name\":\"C\",\"id\":0,\"rdomain\":\"C\","
		"\"vsid\":5999,\"address\":\"10.0.254.2/24\",\"mac\":\"02:54:4e:00:00:02\"}",
		"id: outside 1..50000");
	refused(TENET_KIND_COMPARTMENT, "{\"host\":\"gw\",\"name\":\"C\",\"id\":1,\"rdomain\":\"C\","
		"\"vsid\":5999,\"address\":\"10.0.254.2/24\",\"mac\":\"02:54:4e:00:00:02\","
		"\"external\":{\"dev\":\"eth1\"}}", "external: address: missing");
	refused(TENET_KIND_NAT, "{\"host\":\"gw\",\"rdomain\":\"C\",\"external\":\"1.2.3.4\","
		"\"port_max\":10}", "port_max");
	refused(TENET_KIND_NATMAP, "{\"host\":\"gw\",\"rdomain\":\"C\",\"proto\":\"sctp\","
		"\"external\":\"1.2.3.4\",\"external_port\":1,\"ca\":\"10.0.0.5\",\"ca_port\":1}",
		"proto");
	assert_int_equal(tenet_record_from_key("/tenet/v1/host/gw/natmap/tcp_1.2.3.4", &r, NULL),
			 -EINVAL);
	assert_int_equal(tenet_record_from_key("/tenet/v1/host/gw/natmap/icmp_1.2.3.4_5", &r,
					       NULL), -EINVAL);
}

static void test_parsers(void **state)
{
	uint32_t ip;
	uint16_t a, b;

	(void)state;
	assert_int_equal(tenet_parse_ip_port("10.0.0.5:80", &ip, &a, NULL), 0);
	assert_int_equal(a, 80);
	assert_int_equal(tenet_parse_ip_port("10.0.0.5", &ip, &a, NULL), -EINVAL);
	assert_int_equal(tenet_parse_ip_port("10.0.0.5:0", &ip, &a, NULL), -EINVAL);
	assert_int_equal(tenet_parse_ip_port("10.0.0.5:65536", &ip, &a, NULL), -EINVAL);
	assert_int_equal(tenet_parse_port_range("20000-29999", &a, &b, NULL), 0);
	assert_int_equal(a, 20000);
	assert_int_equal(b, 29999);
	assert_int_equal(tenet_parse_port_range("1024", &a, &b, NULL), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(tenet_parse_port_range("2-1", &a, &b, NULL), -ERANGE);
	assert_int_equal(tenet_parse_port_range("a-b", &a, &b, NULL), -EINVAL);
}

/* ---- validated writes ---- */

struct fx {
	char *dir;
	struct tenet_store *s;
};

static int put(struct fx *f, struct tenet_record *r, unsigned int flags, struct tenet_err *err)
{
	return tenet_policy_put(f->s, r, flags, NULL, err);
}

static void put_ok(struct fx *f, struct tenet_record *r, unsigned int flags)
{
	struct tenet_err err = { 0 };

	if (put(f, r, flags, &err) < 0)
		fail_msg("%s", err.msg);
}

static void put_refused(struct fx *f, struct tenet_record *r, unsigned int flags, int code,
			const char *msg)
{
	struct tenet_err err = { 0 };
	int64_t before, after;

	assert_int_equal(tenet_store_revision(f->s, &before, NULL), 0);
	assert_int_equal(put(f, r, flags, &err), code);
	if (strcmp(err.msg, msg))
		fail_msg("got '%s', want '%s'", err.msg, msg);
	assert_int_equal(tenet_store_revision(f->s, &after, NULL), 0);
	assert_int_equal(before, after);
}

static void subnet(struct fx *f, const char *rd, uint32_t vsid, const char *prefix)
{
	struct tenet_record r = { .kind = TENET_KIND_VSUBNET };

	r.vsubnet.vsid = vsid;
	strcpy(r.vsubnet.rdomain, rd);
	tenet_parse_prefix(prefix, &r.vsubnet.prefix, NULL);
	put_ok(f, &r, 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };
	char *path;

	f->dir = tu_mkdtemp();
	assert_true(asprintf(&path, "%s/store.db", f->dir) > 0);
	assert_int_equal(tenet_store_open(path, &f->s, NULL), 0);
	free(path);
	strcpy(r.rdomain.name, "Contoso");
	put_ok(f, &r, 0);
	r = (struct tenet_record){ .kind = TENET_KIND_RDOMAIN };
	strcpy(r.rdomain.name, "Woodgrove");
	put_ok(f, &r, 0);
	subnet(f, "Contoso", 5001, "10.0.0.0/24");
	subnet(f, "Contoso", 5999, "10.0.254.0/24");
	subnet(f, "Woodgrove", 6001, "10.0.0.0/24");
	subnet(f, "Woodgrove", 6999, "10.0.254.0/24");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_store_close(f->s);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void add_pa(struct fx *f)
{
	struct tenet_record r = { .kind = TENET_KIND_PA };

	strcpy(r.pa.host, "gw");
	strcpy(r.pa.dev, "ul0");
	tenet_parse_addr_len("192.168.4.33/24", &r.pa.addr, NULL);
	put_ok(f, &r, 0);
}

static void test_compartment_rules(void **state)
{
	struct fx *f = *state;
	struct tenet_record c = compartment("Contoso", "Contoso", 5999, "10.0.254.2/24");
	struct tenet_record w = compartment("Woodgrove", "Woodgrove", 6999, "10.0.254.2/24");
	struct tenet_record x, l = { .kind = TENET_KIND_LOOKUP }, got;
	struct tenet_record_list list;

	put_refused(f, &c, 0, -ENOENT, "host gw: has no provider address (tenet pa add ... host gw)");
	add_pa(f);
	x = compartment("X", "Nope", 5999, "10.0.254.2/24");
	put_refused(f, &x, 0, -ENOENT, "rdomain Nope: no such routing domain");
	x = compartment("X", "Woodgrove", 5999, "10.0.254.2/24");
	put_refused(f, &x, 0, -EINVAL, "vsid 5999: in routing domain Contoso, not Woodgrove");
	x = compartment("X", "Contoso", 5999, "10.0.254.1/24");
	put_refused(f, &x, 0, -EINVAL,
		    "address 10.0.254.1/24: the distributed router's address of 10.0.254.0/24");
	x = compartment("X", "Contoso", 5999, "10.0.253.2/24");
	put_refused(f, &x, 0, -EINVAL, "address 10.0.253.2/24: not an address of 10.0.254.0/24 "
		    "(vsid 5999)");
	put_ok(f, &c, 0);
	assert_int_equal(c.compartment.id, 1);
	/* The same address in another tenant: the point of compartments. */
	put_ok(f, &w, 0);
	assert_int_equal(w.compartment.id, 2);
	x = compartment("Contoso2", "Contoso", 5999, "10.0.254.3/24");
	put_refused(f, &x, 0, -EEXIST, "rdomain Contoso: already has compartment Contoso on host gw");
	/* The compartment's CA is reachable: a lookup record at the PA. */
	l.lookup.vsid = 5999;
	l.lookup.has_ca = true;
	tenet_parse_ipv4("10.0.254.2", &l.lookup.ca, NULL);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_LOOKUP, NULL, &list, NULL), 0);
	assert_int_equal(list.n, 2);
	got = list.recs[0];
	assert_true(tenet_record_same_key(&got, &l));
	assert_memory_equal(got.lookup.mac, c.compartment.mac, TENET_MAC_LEN);
	tenet_record_list_free(&list);
	/* Only the external interface can change. */
	x = c;
	strcpy(x.compartment.ext_dev, "eth1");
	tenet_parse_addr_len("10.229.200.2/24", &x.compartment.ext_addr, NULL);
	put_ok(f, &x, TENET_POLICY_REPLACE);
	assert_int_equal(x.compartment.id, 1);
	x.compartment.mac[5] ^= 1;
	put_refused(f, &x, TENET_POLICY_REPLACE, -EINVAL,
		    "compartment Contoso: only its external interface can change (delete and "
		    "add it again)");
	x = w;
	strcpy(x.compartment.ext_dev, "eth1");
	tenet_parse_addr_len("10.229.200.2/24", &x.compartment.ext_addr, NULL);
	put_refused(f, &x, TENET_POLICY_REPLACE, -EEXIST, "external eth1: already in compartment Contoso");
	strcpy(x.compartment.ext_dev, "tgi7");
	put_refused(f, &x, TENET_POLICY_REPLACE, -EINVAL,
		    "external tgi7: a name tenet uses for compartment devices");
}

/* A VLAN compartment: no virtual subnet, no lookup record, no PA needed;
 * its VLAN once per NIC; the VLAN cannot change in a replace. */
static void test_vlan_compartment(void **state)
{
	struct fx *f = *state;
	struct tenet_record v = compartment("Fabrikam", "Contoso", 0, "10.0.0.1/24"), x;
	struct tenet_record_list list;

	v.compartment.vlan = 4000;
	strcpy(v.compartment.vlan_dev, "eth1");
	put_ok(f, &v, 0);
	assert_int_equal(v.compartment.id, 1);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_LOOKUP, NULL, &list, NULL), 0);
	assert_int_equal(list.n, 0);
	tenet_record_list_free(&list);
	x = compartment("Woodgrove", "Woodgrove", 0, "10.0.0.1/24");
	x.compartment.vlan = 4000;
	strcpy(x.compartment.vlan_dev, "eth1");
	put_refused(f, &x, 0, -EEXIST, "vlan 4000 on eth1: already compartment Fabrikam's");
	strcpy(x.compartment.vlan_dev, "tgi9");
	put_refused(f, &x, 0, -EINVAL, "dev tgi9: a name tenet uses for compartment devices");
	x.compartment.vsid = 6999;
	put_refused(f, &x, 0, -EINVAL, "internal: a compartment with a vsid has no VLAN");
	x.compartment.vsid = 0;
	x.compartment.vlan_dev[0] = '\0';
	put_refused(f, &x, 0, -EINVAL, "vsid: missing (or internal: a VLAN)");
	x = v;
	x.compartment.vlan = 4001;
	put_refused(f, &x, TENET_POLICY_REPLACE, -EINVAL,
		    "compartment Fabrikam: only its external interface can change (delete and "
		    "add it again)");
	x = (struct tenet_record){ .kind = TENET_KIND_COMPARTMENT };
	strcpy(x.compartment.host, "gw");
	strcpy(x.compartment.name, "Fabrikam");
	assert_int_equal(tenet_policy_del(f->s, &x, 0, NULL, NULL), 0);
}

static void test_nat_rules_and_delete(void **state)
{
	struct fx *f = *state;
	struct tenet_record c = compartment("Contoso", "Contoso", 5999, "10.0.254.2/24");
	struct tenet_record n = { .kind = TENET_KIND_NAT }, m = { .kind = TENET_KIND_NATMAP };
	struct tenet_record r = { .kind = TENET_KIND_CROUTE }, l = { .kind = TENET_KIND_LOOKUP };
	struct tenet_record id = { .kind = TENET_KIND_COMPARTMENT };
	struct tenet_record_list list;
	struct tenet_err err = { 0 };

	add_pa(f);
	strcpy(n.nat.host, "gw");
	strcpy(n.nat.rdomain, "Contoso");
	tenet_parse_ipv4("203.0.113.1", &n.nat.external, NULL);
	put_refused(f, &n, 0, -ENOENT, "rdomain Contoso: no compartment on host gw");
	put_ok(f, &c, 0);
	strcpy(m.natmap.host, "gw");
	strcpy(m.natmap.rdomain, "Contoso");
	m.natmap.proto = 6;
	m.natmap.external = n.nat.external;
	m.natmap.ext_port = 8080;
	tenet_parse_ipv4("10.0.0.5", &m.natmap.ca, NULL);
	m.natmap.ca_port = 80;
	put_refused(f, &m, 0, -ENOENT, "rdomain Contoso: no nat on host gw (tenet nat add first)");
	/* The one unicast rule of PAs and external addresses (0/8 is new). */
	tenet_parse_ipv4("0.1.2.3", &n.nat.external, NULL);
	put_refused(f, &n, 0, -EINVAL, "external 0.1.2.3: not a unicast address");
	tenet_parse_ipv4("127.0.0.1", &n.nat.external, NULL);
	put_refused(f, &n, 0, -EINVAL, "external 127.0.0.1: not a unicast address");
	tenet_parse_ipv4("203.0.113.1", &n.nat.external, NULL);
	tenet_parse_ipv4("224.0.0.1", &n.nat.via, NULL);
	put_refused(f, &n, 0, -EINVAL, "via 224.0.0.1: not a unicast address");
	n.nat.via = 0;
	put_ok(f, &n, 0);
	put_refused(f, &n, 0, -EEXIST,
		    "rdomain Contoso: already has nat on host gw (external 203.0.113.1)");
	put_refused(f, &m, 0, -ENOENT, "ca 10.0.0.5: no lookup record in routing domain Contoso");
	l.lookup.vsid = 5001;
	l.lookup.has_ca = true;
	l.lookup.ca = m.natmap.ca;
	tenet_parse_mac("00:15:5d:00:00:05", l.lookup.mac, NULL);
	tenet_parse_ipv4("192.168.4.11", &l.lookup.pa, NULL);
	put_ok(f, &l, 0);
	put_ok(f, &m, 0);
	put_refused(f, &m, 0, -EEXIST,
		    "external tcp 203.0.113.1:8080: already mapped to 10.0.0.5:80 in Contoso");
	/* A route via the compartment holds it, unless forced. */
	strcpy(r.croute.rdomain, "Contoso");
	r.croute.vsid = 5999;
	r.croute.nexthop = c.compartment.addr.addr;
	put_ok(f, &r, 0);
	strcpy(id.compartment.host, "gw");
	strcpy(id.compartment.name, "Contoso");
	assert_int_equal(tenet_policy_del(f->s, &id, 0, NULL, &err), -ENOTEMPTY);
	assert_int_equal(tenet_policy_del(f->s, &id, TENET_POLICY_FORCE, NULL, &err), 0);
	/* Everything of the compartment went with it; the VM's record stayed. */
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_NAT, "gw", &list, NULL), 0);
	assert_int_equal(list.n, 0);
	tenet_record_list_free(&list);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_NATMAP, "gw", &list, NULL), 0);
	assert_int_equal(list.n, 0);
	tenet_record_list_free(&list);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_CROUTE, NULL, &list, NULL), 0);
	assert_int_equal(list.n, 0);
	tenet_record_list_free(&list);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_LOOKUP, NULL, &list, NULL), 0);
	assert_int_equal(list.n, 1);
	assert_int_equal(list.recs[0].lookup.vsid, 5001);
	tenet_record_list_free(&list);
	assert_int_equal(tenet_policy_del(f->s, &id, 0, NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "compartment Contoso: no such compartment on host gw");
}

/* ---- the agent's nftables ruleset ---- */

static void test_nft_ruleset(void **state)
{
	struct tenet_record c = compartment("C", "C", 5999, "10.0.254.2/24");
	struct tenet_record w = compartment("W", "W", 6999, "10.0.254.2/24");
	struct tenet_nat nc = { 0 }, nw = { 0 };
	struct tenet_natmap mp = { .proto = 6, .ext_port = 8080, .ca_port = 80 };
	const struct tenet_natmap *maps[] = { &mp };
	struct gw_tenant t[2] = { { .cm = &c.compartment, .nat = &nc, .uplink = "up0",
				    .uplink_ifindex = 3, .maps = maps, .nmaps = 1 },
				  { .cm = &w.compartment, .nat = &nw, .uplink = "up0",
				    .uplink_ifindex = 3 } };
	char *text;

	(void)state;
	c.compartment.id = 1;
	w.compartment.id = 2;
	strcpy(c.compartment.ext_dev, "eth1");
	tenet_parse_ipv4("203.0.113.1", &nc.external, NULL);
	nw.external = nc.external;
	nw.port_min = 20000;
	nw.port_max = 29999;
	mp.external = nc.external;
	tenet_parse_ipv4("10.0.0.5", &mp.ca, NULL);
	assert_null(gw_nft_ruleset(t, 0));
	text = gw_nft_ruleset(t, 2);
	assert_non_null(text);
	assert_non_null(strstr(text, "table ip tenet\ndelete table ip tenet\ntable ip tenet {\n"));
	/* Contoso's own external interface eth1 (in its VRF) is its flows'
	 * both ways; what goes to the shared uplink keeps the original
	 * direction's zone. */
	assert_non_null(strstr(text, "ct zone set iifname map { \"eth1\" : 10001 }\n"
				     "\t\tiifname vmap { \"tgi1\" : jump own_10001 }\n"
				     "\t\tct original zone set iifname map { \"tgi1\" : 10001, "
				     "\"tgi2\" : 10002 }"));
	assert_non_null(strstr(text, "\tchain own_10001 {\n\t\tmeta mark set 0x7e4e2711\n"
				     "\t\tfib daddr . mark oifname { \"eth1\" } meta mark set "
				     "0x00000000 ct zone set 10001 accept\n"));
	assert_non_null(strstr(text, "ct direction original ct mark set iifname map { \"tgi1\" : "
				     "0x7e4e2711, \"eth1\" : 0x7e4e2711, \"tgi2\" : 0x7e4e2712 }"));
	/* One uplink shared by both: listed once. */
	assert_non_null(strstr(text, "iifname { \"up0\" } ct mark and 0xffff0000 == 0x7e4e0000 "
				     "meta mark set ct mark"));
	assert_non_null(strstr(text, "iifname \"up0\" ip daddr 203.0.113.1 tcp dport 8080 ct mark "
				     "set 0x7e4e2711 meta mark set 0x7e4e2711 dnat to 10.0.0.5:80"));
	assert_non_null(strstr(text, "oifname \"up0\" ct mark 0x7e4e2711 snat to 203.0.113.1\n"));
	assert_non_null(strstr(text, "oifname \"up0\" ct mark 0x7e4e2712 meta l4proto { tcp, udp } "
				     "snat to 203.0.113.1:20000-29999\n"));
	/* Woodgrove has no device of its own: no chain. */
	assert_null(strstr(text, "own_10002"));
	free(text);
}

/* Flows between a tenant's internal and S2S interfaces are the tenant's
 * both ways (zone Z in both directions); the rest keep the NAT design. */
static void test_nft_ruleset_s2s(void **state)
{
	struct tenet_record c = compartment("C", "C", 5999, "10.0.254.2/24");
	struct tenet_record w = compartment("W", "W", 6999, "10.0.254.2/24");
	uint32_t cs[] = { 1 }, ws[] = { 2, 3 };
	struct gw_tenant t[2] = { { .cm = &c.compartment, .s2s = cs, .ns2s = 1 },
				  { .cm = &w.compartment, .s2s = ws, .ns2s = 2 } };
	char *text;

	(void)state;
	c.compartment.id = 1;
	w.compartment.id = 2;
	text = gw_nft_ruleset(t, 2);
	assert_non_null(text);
	assert_non_null(strstr(text, "\tchain own_10002 {\n"
				     "\t\tmeta mark set 0x7e4e2712\n"
				     "\t\tfib daddr . mark oifname { \"ts2\", \"ts3\" } meta mark set "
				     "0x00000000 ct zone set 10002 accept\n"
				     "\t\tmeta mark set 0x00000000\n\t}\n"));
	assert_non_null(strstr(text, "\tchain own_10001 {\n"));
	assert_non_null(strstr(text, "type filter hook prerouting priority raw; policy accept;\n"
				     "\t\tct zone set iifname map { \"ts1\" : 10001, \"ts2\" : 10002, "
				     "\"ts3\" : 10002 }\n"
				     "\t\tiifname vmap { \"tgi1\" : jump own_10001, \"tgi2\" : jump "
				     "own_10002 }\n"
				     "\t\tct original zone set iifname map { \"tgi1\" : 10001, \"tgi2\" : "
				     "10002 }\n"));
	free(text);
}

/* ---- the CLI: batch, compartment show, one-line errors ---- */

static int cli(const char *store, char *out, size_t outlen, char *err, size_t errlen,
	       const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { "tenet", "--store", (char *)store, "--host", "gw", (char *)a1,
			 (char *)a2, (char *)a3, NULL };
	FILE *o = fmemopen(out, outlen, "w"), *e = fmemopen(err, errlen, "w");
	int argc = a3 ? 8 : a2 ? 7 : 6, ret;

	memset(out, 0, outlen);
	memset(err, 0, errlen);
	ret = tenet_cli_main(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return ret;
}

static void test_cli_batch(void **state)
{
	char *dir = tu_mkdtemp(), *store, *batch, out[2048], err[512];
	FILE *f;

	(void)state;
	assert_true(asprintf(&store, "%s/store.db", dir) > 0);
	assert_true(asprintf(&batch, "%s/cmds", dir) > 0);
	f = fopen(batch, "w");
	fputs("# a tenant and its compartment\n\nrdomain add Contoso\n"
	      "vsubnet add 5999 rdomain Contoso prefix 10.0.254.0/24\n"
	      "pa add 192.168.4.33/24 dev ul0\n"
	      "compartment add Contoso rdomain Contoso vsid 5999 address 10.0.254.2/24\n", f);
	fclose(f);
	/* The CLI creates no store but through `store init`. */
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "store", "init", NULL), 0);
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "batch", batch, NULL), 0);
	assert_string_equal(err, "");
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "compartment", "show",
			     NULL), 0);
	assert_non_null(strstr(out, "Contoso rdomain Contoso vsid 5999 address 10.0.254.2/24 mac "));
	assert_non_null(strstr(out, " host gw\n"));
	/* A failing line stops the batch with one line naming it. */
	f = fopen(batch, "w");
	fputs("rdomain add Woodgrove\nnat add rdomain Woodgrove external 203.0.113.1 nocheck\n"
	      "rdomain add Never\n", f);
	fclose(f);
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "batch", batch, NULL), 1);
	assert_string_equal(err, "tenet: batch line 2: rdomain Woodgrove: no compartment on host gw\n");
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "rdomain", "show", "Never"),
			 1);
	assert_string_equal(out, "");
	assert_string_equal(err, "tenet: rdomain Never: no such routing domain\n");
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "compartment", "bogus",
			     NULL), 2);
	assert_int_equal(cli(store, out, sizeof(out), err, sizeof(err), "exec", "Contoso", NULL), 2);
	assert_string_equal(err, "tenet: exec: missing '-- CMD'\n");
	tu_rmtree(dir);
	free(dir);
	free(store);
	free(batch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test_setup_teardown(test_compartment_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_compartment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_rules_and_delete, setup, teardown),
		cmocka_unit_test(test_nft_ruleset),
		cmocka_unit_test(test_nft_ruleset_s2s),
		cmocka_unit_test(test_cli_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

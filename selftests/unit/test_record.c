// SPDX-License-Identifier: GPL-2.0
/* Record keys and JSON codecs of lib/kinds/record.c: every kind round-trips
 * (struct -> JSON -> struct, struct -> key -> identity), the documented key
 * layout holds, and corrupt values are refused with a reason. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kinds/record.h"

static struct tenet_record rdomain(void)
{
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };

	strcpy(r.rdomain.name, "Contoso");
	tenet_parse_guid("1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a", r.rdomain.guid, NULL);
	r.rdomain.id = 7;
	return r;
}

static struct tenet_record vsubnet(void)
{
	struct tenet_record r = { .kind = TENET_KIND_VSUBNET };

	r.vsubnet.vsid = 5001;
	strcpy(r.vsubnet.rdomain, "Contoso");
	tenet_parse_prefix("10.0.0.0/24", &r.vsubnet.prefix, NULL);
	return r;
}

static struct tenet_record lookup(bool l2only)
{
	struct tenet_record r = { .kind = TENET_KIND_LOOKUP };

	r.lookup.vsid = 5001;
	r.lookup.has_ca = !l2only;
	if (!l2only)
		tenet_parse_ipv4("10.0.0.5", &r.lookup.ca, NULL);
	tenet_parse_mac("00:11:22:33:44:55", r.lookup.mac, NULL);
	tenet_parse_ipv4("192.168.4.11", &r.lookup.pa, NULL);
	r.lookup.type = l2only ? TENET_LOOKUP_L2ONLY : TENET_LOOKUP_GATEWAY;
	r.lookup.rule = TENET_RULE_NONE;
	return r;
}

static struct tenet_record croute(void)
{
	struct tenet_record r = { .kind = TENET_KIND_CROUTE };

	strcpy(r.croute.rdomain, "Contoso");
	r.croute.vsid = 5001;
	tenet_parse_prefix("0.0.0.0/0", &r.croute.prefix, NULL);
	tenet_parse_ipv4("10.0.1.2", &r.croute.nexthop, NULL);
	r.croute.metric = 10;
	return r;
}

static struct tenet_record pa(void)
{
	struct tenet_record r = { .kind = TENET_KIND_PA };

	strcpy(r.pa.host, "host1");
	tenet_parse_addr_len("192.168.4.11/24", &r.pa.addr, NULL);
	strcpy(r.pa.dev, "eth0");
	r.pa.vlan = 100;
	return r;
}

static struct tenet_record proute(bool onlink)
{
	struct tenet_record r = { .kind = TENET_KIND_PROUTE };

	strcpy(r.proute.host, "host1");
	tenet_parse_prefix("192.168.5.0/24", &r.proute.prefix, NULL);
	strcpy(r.proute.dev, "eth0");
	if (!onlink)
		tenet_parse_ipv4("192.168.4.1", &r.proute.via, NULL);
	return r;
}

static struct tenet_record port(void)
{
	struct tenet_record r = { .kind = TENET_KIND_PORT };

	strcpy(r.port.host, "host1");
	strcpy(r.port.dev, "veth1");
	r.port.vsid = 5001;
	tenet_parse_mac("00:11:22:33:44:66", r.port.mac, NULL);
	return r;
}

/* JSON text of a record, compact with sorted keys as the store keeps it. */
static char *text(const struct tenet_record *r)
{
	json_t *j = tenet_record_to_json(r);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static void round_trip(const struct tenet_record *r, const char *want_key, const char *want_json)
{
	struct tenet_err err = { 0 };
	struct tenet_record back, id;
	char key[TENET_KEY_MAX];
	char *s = text(r);

	assert_string_equal(s, want_json);
	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	assert_string_equal(key, want_key);
	/* Structs are compared whole: decoding must zero what it leaves. */
	assert_int_equal(tenet_record_decode(key, s, &back, &err), 0);
	assert_memory_equal(&back, r, sizeof(back));
	assert_int_equal(tenet_record_from_key(key, &id, &err), 0);
	assert_int_equal(id.kind, r->kind);
	assert_true(tenet_record_same_key(&id, r));
	free(s);
}

static void test_round_trips(void **state)
{
	struct tenet_record r;

	r = rdomain();
	round_trip(&r, "/tenet/v1/global/rdomain/Contoso",
		   "{\"guid\":\"1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a\",\"id\":7,\"name\":\"Contoso\"}");
	r = vsubnet();
	round_trip(&r, "/tenet/v1/global/vsubnet/00005001",
		   "{\"prefix\":\"10.0.0.0/24\",\"rdomain\":\"Contoso\",\"vsid\":5001}");
	r = lookup(false);
	round_trip(&r, "/tenet/v1/global/lookup/00005001/ip/10.0.0.5",
		   "{\"ca\":\"10.0.0.5\",\"mac\":\"00:11:22:33:44:55\",\"pa\":\"192.168.4.11\","
		   "\"rule\":\"none\",\"type\":\"gateway\",\"vsid\":5001}");
	r = lookup(true);
	round_trip(&r, "/tenet/v1/global/lookup/00005001/mac/00:11:22:33:44:55",
		   "{\"mac\":\"00:11:22:33:44:55\",\"pa\":\"192.168.4.11\",\"rule\":\"none\","
		   "\"type\":\"l2only\",\"vsid\":5001}");
	r = croute();
	round_trip(&r, "/tenet/v1/global/croute/Contoso/0.0.0.0_0",
		   "{\"metric\":10,\"nexthop\":\"10.0.1.2\",\"prefix\":\"0.0.0.0/0\","
		   "\"rdomain\":\"Contoso\",\"vsid\":5001}");
	r = pa();
	round_trip(&r, "/tenet/v1/host/host1/pa/192.168.4.11",
		   "{\"address\":\"192.168.4.11/24\",\"dev\":\"eth0\",\"host\":\"host1\",\"vlan\":100}");
	r = proute(false);
	round_trip(&r, "/tenet/v1/host/host1/proute/192.168.5.0_24",
		   "{\"dev\":\"eth0\",\"host\":\"host1\",\"prefix\":\"192.168.5.0/24\","
		   "\"via\":\"192.168.4.1\"}");
	r = proute(true);
	round_trip(&r, "/tenet/v1/host/host1/proute/192.168.5.0_24",
		   "{\"dev\":\"eth0\",\"host\":\"host1\",\"prefix\":\"192.168.5.0/24\"}");
	r = port();
	round_trip(&r, "/tenet/v1/host/host1/port/veth1",
		   "{\"dev\":\"veth1\",\"host\":\"host1\",\"mac\":\"00:11:22:33:44:66\",\"vsid\":5001}");
}

static void test_all_lookup_types(void **state)
{
	static const char *const types[] = { "static", "l2only", "gateway", "dynamic" };
	struct tenet_err err = { 0 };
	enum tenet_lookup_type t;
	enum tenet_lookup_rule r;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(tenet_lookup_type_parse(types[i], &t, &err), 0);
		assert_int_equal(t, i);
		assert_string_equal(tenet_lookup_type_name(t), types[i]);
	}
	assert_int_equal(tenet_lookup_type_parse("Static", &t, &err), -EINVAL);
	assert_string_equal(err.msg, "not a record type (static, l2only, gateway, dynamic)");
	assert_int_equal(tenet_lookup_rule_parse("encap", &r, &err), 0);
	assert_int_equal(r, TENET_RULE_ENCAP);
	assert_int_equal(tenet_lookup_rule_parse("none", &r, &err), 0);
	assert_int_equal(r, TENET_RULE_NONE);
	assert_int_equal(tenet_lookup_rule_parse("TranslationMethodEncap", &r, &err), -EINVAL);
	assert_string_equal(err.msg, "not a rule (encap, none)");
}

static void expect_bad(const char *key, const char *value, const char *msg)
{
	struct tenet_err err = { 0 };
	struct tenet_record r;

	assert_int_equal(tenet_record_decode(key, value, &r, &err), -EBADMSG);
	assert_string_equal(err.msg, msg);
}

/* The jansson-only decode, as it was before lookup values got a fast path:
 * the reference the fast path must agree with, value by value. */
static int decode_ref(const char *key, const char *value, struct tenet_record *rec,
		      struct tenet_err *err)
{
	struct tenet_record id;
	json_error_t jerr;
	json_t *j = NULL;
	int ret;

	ret = tenet_record_from_key(key, &id, err);
	if (ret < 0)
		return ret;
	j = json_loads(value, JSON_DECODE_ANY, &jerr);
	if (!j)
		return tenet_err_set(err, -EBADMSG, "%s: value is not JSON: %s", key, jerr.text);
	ret = tenet_record_from_json(id.kind, j, rec, err);
	if (ret < 0) {
		tenet_err_prefix(err, -EBADMSG, "%s", key);
		ret = -EBADMSG;
	} else if (!tenet_record_same_key(rec, &id)) {
		ret = tenet_err_set(err, -EBADMSG, "%s: value belongs under another key", key);
	}
	json_decref(j);
	return ret;
}

static void test_lookup_fast_path_agrees(void **state)
{
	static const char *const keys[] = {
		"/tenet/v1/global/lookup/00010007/ip/10.23.243.140",
		"/tenet/v1/global/lookup/00010007/ip/10.23.243.141",
		"/tenet/v1/global/lookup/00010008/ip/10.23.243.140",
		"/tenet/v1/global/lookup/00010007/mac/02:20:00:07:f3:7d",
	};
	static const char *const values[] = {
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		" { \"vsid\" : 10007 ,\n\t\"ca\": \"10.23.243.140\", \"mac\":\"02-20-00-07-F3-7D\",\"pa\":\"192.168.4.22\",\"rule\":\"none\",\"type\":\"dynamic\" } \n",
		"{\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"l2only\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"l2only\",\"vsid\":10007}",
		"{\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		/* unknown members of every plain and non-plain kind */
		"{\"ca\":\"10.23.243.140\",\"x\":\"y\",\"n\":12,\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"x\":[1,{}],\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"x\":null,\"y\":true,\"z\":-1.5,\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"x\\u0041\":\"\\u00e9\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		/* duplicates: jansson keeps the last */
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"pa\":\"192.168.4.23\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007,\"vsid\":10008}",
		/* wrong types, ranges, numbers */
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":\"10007\"}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007.0}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":1e4}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":010007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":-10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":4095}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":99999999999}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":99999999999999999999999}",
		"{\"ca\":10,\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.256\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"Encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"a very long type name that does not fit\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{\"ca\":\"10.23.243.140\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		/* not plain JSON or not JSON at all */
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007} x",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007,}",
		"{\"ca\":\"10.23.243.140\" \"mac\":\"02:20:00:07:f3:7d\"}",
		"{\"ca\":\"10.23.243.140\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007",
		"{\"ca\":\"10.23.243.140\\u0000\",\"mac\":\"02:20:00:07:f3:7d\",\"pa\":\"192.168.4.22\",\"rule\":\"encap\",\"type\":\"static\",\"vsid\":10007}",
		"{}", "[]", "10007", "\"x\"", "", "{\"vsid\"}", "{\"vsid\":}", "{,}",
	};
	(void)state;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			struct tenet_err e1 = { 0 }, e2 = { 0 };
			struct tenet_record r1, r2;
			int ret1, ret2;

			memset(&r1, 0, sizeof(r1));
			memset(&r2, 0, sizeof(r2));
			ret1 = tenet_record_decode(keys[k], values[v], &r1, &e1);
			ret2 = decode_ref(keys[k], values[v], &r2, &e2);
			if (ret1 != ret2 || strcmp(e1.msg, e2.msg) ||
			    (!ret1 && memcmp(&r1, &r2, sizeof(r1))))
				fail_msg("key %s value %s: %d '%s', reference %d '%s'", keys[k],
					 values[v], ret1, e1.msg, ret2, e2.msg);
		}
	}
}

static void test_decode_rejects(void **state)
{
	const char *lk = "/tenet/v1/global/lookup/00005001/ip/10.0.0.5";

	expect_bad(lk, "{nope", "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: value is not JSON:"
			       " string or '}' expected near 'nope'");
	expect_bad(lk, "[]", "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: value is not a JSON object");
	expect_bad(lk, "{\"vsid\":5001,\"ca\":\"10.0.0.5\",\"pa\":\"192.168.4.11\",\"type\":\"static\","
		       "\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: mac: missing");
	expect_bad(lk, "{\"vsid\":\"5001\",\"ca\":\"10.0.0.5\",\"mac\":\"00:11:22:33:44:55\","
		       "\"pa\":\"192.168.4.11\",\"type\":\"static\",\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: vsid: not an integer");
	expect_bad(lk, "{\"vsid\":4095,\"ca\":\"10.0.0.5\",\"mac\":\"00:11:22:33:44:55\","
		       "\"pa\":\"192.168.4.11\",\"type\":\"static\",\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: vsid: outside 4096..16777214");
	expect_bad(lk, "{\"vsid\":5001,\"ca\":\"10.0.0.5\",\"mac\":\"00:11:22:33:44:55\","
		       "\"pa\":\"192.168.4\",\"type\":\"static\",\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: pa: not an IPv4 address"
		   " (expected A.B.C.D)");
	expect_bad(lk, "{\"vsid\":5001,\"ca\":\"10.0.0.5\",\"mac\":\"00:11:22:33:44:55\","
		       "\"pa\":\"192.168.4.11\",\"type\":\"l2only\",\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: ca: l2only records have no CA IP");
	expect_bad(lk, "{\"vsid\":5001,\"mac\":\"00:11:22:33:44:55\","
		       "\"pa\":\"192.168.4.11\",\"type\":\"static\",\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: ca: missing");
	/* A good record under the wrong key is corrupt, not a second record. */
	expect_bad(lk, "{\"vsid\":5001,\"ca\":\"10.0.0.6\",\"mac\":\"00:11:22:33:44:55\","
		       "\"pa\":\"192.168.4.11\",\"type\":\"static\",\"rule\":\"encap\"}",
		   "/tenet/v1/global/lookup/00005001/ip/10.0.0.5: value belongs under another key");
	expect_bad("/tenet/v1/global/vsubnet/00005001",
		   "{\"vsid\":5001,\"rdomain\":\"Contoso\",\"prefix\":\"10.0.0.1/24\"}",
		   "/tenet/v1/global/vsubnet/00005001: prefix: host bits set (did you mean 10.0.0.0/24?)");
	expect_bad("/tenet/v1/global/rdomain/Contoso",
		   "{\"name\":\"Contoso\",\"guid\":\"1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a\",\"id\":0}",
		   "/tenet/v1/global/rdomain/Contoso: id: outside 1..4294967295");
	expect_bad("/tenet/v1/host/h1/pa/192.168.4.11",
		   "{\"host\":\"h1\",\"address\":\"192.168.4.11/24\",\"dev\":\"eth0\",\"vlan\":4095}",
		   "/tenet/v1/host/h1/pa/192.168.4.11: vlan: outside 0..4094");
	expect_bad("/tenet/v1/host/h1/port/veth1",
		   "{\"host\":\"h1\",\"dev\":\"veth1/x\",\"vsid\":5001,\"mac\":\"00:11:22:33:44:55\"}",
		   "/tenet/v1/host/h1/port/veth1: dev: not a valid interface name");
}

static void test_decode_ignores_unknown_fields(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_record r, want = vsubnet();

	assert_int_equal(tenet_record_decode("/tenet/v1/global/vsubnet/00005001",
					     "{\"vsid\":5001,\"rdomain\":\"Contoso\","
					     "\"prefix\":\"10.0.0.0/24\",\"future\":[1,2]}",
					     &r, &err), 0);
	assert_memory_equal(&r, &want, sizeof(r));
}

static void test_keys(void **state)
{
	static const char *const malformed[] = {
		"/tenet/v1/global/vsubnet/5001", "/tenet/v1/global/vsubnet/00004095",
		"/tenet/v1/global/lookup/00005001/ip/10.0.0", "/tenet/v1/global/lookup/00005001/x/1",
		"/tenet/v1/global/croute/Contoso/0.0.0.0/0", "/tenet/v1/global/croute/Contoso/10.0.0.1_24",
		"/tenet/v1/global/rdomain/", "/tenet/v1/global/rdomain/a b", "/tenet/v1/global/gizmo/x",
		"/tenet/v1/host/h1/pa/1.2.3", "/tenet/v1/host/h1/nic/eth0", "/tenet/v1/host/h1/port",
		"/tenet/v1/global/vsubnet/00005001/extra",
	};
	struct tenet_err err = { 0 };
	struct tenet_record r;
	char buf[TENET_KEY_MAX];
	size_t i;

	assert_int_equal(tenet_record_from_key(TENET_KEY_SERIAL, &r, &err), -ENOENT);
	assert_int_equal(tenet_record_from_key("/elsewhere", &r, &err), -ENOENT);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		assert_int_equal(tenet_record_from_key(malformed[i], &r, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "malformed record key"));
	}
	/* Identity of a delete event: only the key's fields. */
	assert_int_equal(tenet_record_from_key("/tenet/v1/global/lookup/00005001/mac/00:11:22:33:44:55",
					       &r, &err), 0);
	assert_int_equal(r.kind, TENET_KIND_LOOKUP);
	assert_int_equal(r.lookup.vsid, 5001);
	assert_false(r.lookup.has_ca);
	assert_int_equal(r.lookup.mac[5], 0x55);

	assert_int_equal(tenet_kind_prefix(TENET_KIND_LOOKUP, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tenet/v1/global/lookup/");
	assert_int_equal(tenet_kind_prefix(TENET_KIND_PORT, "h1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tenet/v1/host/h1/port/");
	assert_int_equal(tenet_kind_prefix(TENET_KIND_PORT, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tenet/v1/host/");
	assert_int_equal(tenet_lookup_vsid_prefix(16777214, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tenet/v1/global/lookup/16777214/");
	r = port();
	assert_int_equal(tenet_record_key(&r, buf, 10), -ENAMETOOLONG);
	assert_string_equal(tenet_kind_name(TENET_KIND_CROUTE), "croute");
	assert_null(tenet_kind_name(TENET_KIND_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_all_lookup_types),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_lookup_fast_path_agrees),
		cmocka_unit_test(test_decode_ignores_unknown_fields),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}

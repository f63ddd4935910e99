// SPDX-License-Identifier: GPL-2.0
/* Parsers and formatters of lib/parse.c: MAC, IPv4, prefix, VSID, GUID,
 * names, and the prefix arithmetic the validation relies on. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/parse.h"

static void test_mac(void **state)
{
	static const uint8_t want[6] = { 0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc };
	static const char *const bad[] = {
		"", "00:11:22:aa:bb", "00:11:22:aa:bb:cc:dd", "00:11:22:aa:bb:cg",
		"00:11-22:aa:bb:cc", "0:11:22:aa:bb:cc0", "00112233aabb", "00.11.22.aa.bb.cc",
		" 00:11:22:aa:bb:c",
	};
	struct tenet_err err = { 0 };
	char buf[TENET_MAC_STRLEN];
	uint8_t mac[6];
	size_t i;

	assert_int_equal(tenet_parse_mac("00:11:22:aa:bb:cc", mac, &err), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(tenet_parse_mac("00-11-22-AA-BB-CC", mac, &err), 0);
	assert_memory_equal(mac, want, 6);
	assert_string_equal(tenet_fmt_mac(mac, buf), "00:11:22:aa:bb:cc");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(tenet_parse_mac(bad[i], mac, &err), -EINVAL);
		assert_string_equal(err.msg, "not a MAC address (expected xx:xx:xx:xx:xx:xx)");
	}
	assert_int_equal(tenet_parse_mac(NULL, mac, NULL), -EINVAL);

	assert_true(tenet_mac_is_unicast(want));
	mac[0] = 0x01;
	assert_false(tenet_mac_is_unicast(mac));
	memset(mac, 0, 6);
	assert_false(tenet_mac_is_unicast(mac));
}

static void test_ipv4(void **state)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "a.b.c.d",
		"1..2.3", "1.2.3.-4", "1.2.3.4/32", "1234.1.1.1",
	};
	struct tenet_err err = { 0 };
	char buf[TENET_IPV4_STRLEN];
	uint32_t ip;
	size_t i;

	assert_int_equal(tenet_parse_ipv4("192.168.4.11", &ip, &err), 0);
	assert_int_equal(ip, htonl(0xc0a8040b));
	assert_string_equal(tenet_fmt_ipv4(ip, buf), "192.168.4.11");
	assert_int_equal(tenet_parse_ipv4("0.0.0.0", &ip, &err), 0);
	assert_int_equal(ip, 0);
	assert_int_equal(tenet_parse_ipv4("255.255.255.255", &ip, &err), 0);
	assert_string_equal(tenet_fmt_ipv4(ip, buf), "255.255.255.255");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tenet_parse_ipv4(bad[i], &ip, &err), -EINVAL);
		assert_string_equal(err.msg, "not an IPv4 address (expected A.B.C.D)");
	}
}

static void test_prefix(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/024", "10.0.0/8",
		"10.0.0.0/8/8", "10.0.0.0/-1", "/8",
	};
	struct tenet_err err = { 0 };
	struct tenet_prefix p;
	char buf[TENET_PREFIX_STRLEN];
	size_t i;

	assert_int_equal(tenet_parse_prefix("10.0.0.0/24", &p, &err), 0);
	assert_int_equal(p.addr, htonl(0x0a000000));
	assert_int_equal(p.len, 24);
	assert_string_equal(tenet_fmt_prefix(&p, buf), "10.0.0.0/24");
	assert_int_equal(tenet_parse_prefix("0.0.0.0/0", &p, &err), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(tenet_parse_prefix("10.0.0.7/32", &p, &err), 0);

	assert_int_equal(tenet_parse_prefix("10.0.0.1/24", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "host bits set (did you mean 10.0.0.0/24?)");
	assert_int_equal(tenet_parse_prefix("0.0.0.1/0", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "host bits set (did you mean 0.0.0.0/0?)");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tenet_parse_prefix(bad[i], &p, &err), -EINVAL);
		assert_string_equal(err.msg,
				    "not an IPv4 prefix (expected A.B.C.D/LEN, LEN 0..32)");
	}
	/* An address on a network (a PA) may have host bits. */
	assert_int_equal(tenet_parse_addr_len("192.168.4.11/24", &p, &err), 0);
	assert_string_equal(tenet_fmt_prefix(&p, buf), "192.168.4.11/24");
}

static void test_prefix_math(void **state)
{
	struct tenet_prefix a, b;

	assert_int_equal(tenet_prefix_mask(0), 0);
	assert_int_equal(tenet_prefix_mask(24), htonl(0xffffff00));
	assert_int_equal(tenet_prefix_mask(32), 0xffffffffu);
	tenet_parse_prefix("10.0.0.0/24", &a, NULL);
	assert_true(tenet_prefix_contains(&a, htonl(0x0a0000ff)));
	assert_false(tenet_prefix_contains(&a, htonl(0x0a000100)));
	tenet_parse_prefix("10.0.0.128/25", &b, NULL);
	assert_true(tenet_prefix_overlap(&a, &b));
	assert_true(tenet_prefix_overlap(&b, &a));
	tenet_parse_prefix("10.0.1.0/24", &b, NULL);
	assert_false(tenet_prefix_overlap(&a, &b));
	tenet_parse_prefix("0.0.0.0/0", &b, NULL);
	assert_true(tenet_prefix_overlap(&a, &b));
}

static void test_vsid_and_numbers(void **state)
{
	struct tenet_err err = { 0 };
	uint32_t v;

	assert_int_equal(tenet_parse_vsid("4096", &v, &err), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(tenet_parse_vsid("16777214", &v, &err), 0);
	assert_int_equal(v, 16777214);
	assert_int_equal(tenet_parse_vsid("4095", &v, &err), -ERANGE);
	assert_string_equal(err.msg, "outside 4096..16777214");
	assert_int_equal(tenet_parse_vsid("16777215", &v, &err), -ERANGE);
	assert_int_equal(tenet_parse_vsid("99999999999", &v, &err), -ERANGE);
	assert_int_equal(tenet_parse_vsid("0", &v, &err), -ERANGE);
	assert_int_equal(tenet_parse_vsid("abc", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "not a number");
	assert_int_equal(tenet_parse_vsid("", &v, &err), -EINVAL);
	assert_int_equal(tenet_parse_vsid("-5001", &v, &err), -EINVAL);
	assert_int_equal(tenet_parse_vsid("05001", &v, &err), -EINVAL);
	assert_int_equal(tenet_parse_vsid("5001 ", &v, &err), -EINVAL);
	assert_int_equal(tenet_parse_u32("4294967295", 0, UINT32_MAX, &v, &err), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(tenet_parse_u32("4294967296", 0, UINT32_MAX, &v, &err), -ERANGE);
	assert_int_equal(tenet_parse_u32("0", 0, 10, &v, &err), 0);
}

static void test_guid(void **state)
{
	static const uint8_t want[16] = {
		0x1b, 0x3c, 0x5d, 0x7e, 0x9f, 0xa0, 0x41, 0xb2,
		0x83, 0xc4, 0xd5, 0xe6, 0xf7, 0x08, 0x19, 0x2a,
	};
	static const char *const bad[] = {
		"", "1b3c5d7e-9fa0-41b2-83c4-d5e6f708192", "1b3c5d7e9fa0-41b2-83c4-d5e6f708192a",
		"1b3c5d7e-9fa0-41b2-83c4-d5e6f708192g", "{1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a",
		"1b3c5d7-e9fa0-41b2-83c4-d5e6f708192a", "1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a0",
	};
	struct tenet_err err = { 0 };
	char buf[TENET_GUID_STRLEN];
	uint8_t g[16], g2[16];
	size_t i;

	assert_int_equal(tenet_parse_guid("1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a", g, &err), 0);
	assert_memory_equal(g, want, 16);
	assert_int_equal(tenet_parse_guid("{1B3C5D7E-9FA0-41B2-83C4-D5E6F708192A}", g, &err), 0);
	assert_memory_equal(g, want, 16);
	assert_string_equal(tenet_fmt_guid(g, buf), "1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tenet_parse_guid(bad[i], g, &err), -EINVAL);
		assert_string_equal(err.msg,
				    "not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	}
	/* Generated GUIDs: random, version 4, RFC 4122 variant, round-trip. */
	assert_int_equal(tenet_guid_generate(g), 0);
	assert_int_equal(tenet_guid_generate(g2), 0);
	assert_memory_not_equal(g, g2, 16);
	assert_int_equal(g[6] >> 4, 4);
	assert_int_equal(g[8] >> 6, 2);
	assert_int_equal(tenet_parse_guid(tenet_fmt_guid(g, buf), g2, &err), 0);
	assert_memory_equal(g, g2, 16);
}

static void test_names(void **state)
{
	struct tenet_err err = { 0 };
	char longname[TENET_NAME_MAX + 2];

	assert_int_equal(tenet_check_name("Contoso", &err), 0);
	assert_int_equal(tenet_check_name("host-1.example.com", &err), 0);
	assert_int_equal(tenet_check_name("a_b", &err), 0);
	assert_int_equal(tenet_check_name("", &err), -EINVAL);
	assert_string_equal(err.msg, "must be 1..64 characters");
	assert_int_equal(tenet_check_name("-x", &err), -EINVAL);
	assert_string_equal(err.msg, "must start with a letter or digit");
	assert_int_equal(tenet_check_name("a/b", &err), -EINVAL);
	assert_string_equal(err.msg, "may only contain letters, digits, '_', '.' and '-'");
	assert_int_equal(tenet_check_name("a b", &err), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tenet_check_name(longname, &err), -EINVAL);
	longname[TENET_NAME_MAX] = '\0';
	assert_int_equal(tenet_check_name(longname, &err), 0);

	assert_int_equal(tenet_check_ifname("veth1", &err), 0);
	assert_int_equal(tenet_check_ifname("eth0.100", &err), 0);
	assert_int_equal(tenet_check_ifname("0123456789abcde", &err), 0);
	assert_int_equal(tenet_check_ifname("0123456789abcdef", &err), -EINVAL);
	assert_string_equal(err.msg, "interface names are 1..15 bytes");
	assert_int_equal(tenet_check_ifname("a/b", &err), -EINVAL);
	assert_string_equal(err.msg, "not a valid interface name");
	assert_int_equal(tenet_check_ifname("a:b", &err), -EINVAL);
	assert_int_equal(tenet_check_ifname("..", &err), -EINVAL);
	assert_int_equal(tenet_check_ifname("a b", &err), -EINVAL);
	assert_int_equal(tenet_check_ifname("", &err), -EINVAL);
}

/* The one rule for addresses a host must hold (PAs, NAT and external
 * addresses of compartments). */
static void test_ipv4_unicast(void **state)
{
	static const char *const bad[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "224.0.0.1",
		"239.255.255.255", "240.0.0.1", "255.255.255.255",
	};
	static const char *const good[] = {
		"1.0.0.0", "10.0.0.1", "126.255.255.255", "128.0.0.1", "192.168.4.11",
		"223.255.255.255",
	};
	uint32_t a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tenet_parse_ipv4(bad[i], &a, NULL), 0);
		if (tenet_ipv4_is_unicast(a))
			fail_msg("%s: taken for unicast", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(tenet_parse_ipv4(good[i], &a, NULL), 0);
		if (!tenet_ipv4_is_unicast(a))
			fail_msg("%s: not taken for unicast", good[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_math),
		cmocka_unit_test(test_vsid_and_numbers),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ipv4_unicast),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}

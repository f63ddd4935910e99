// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include <tenet/limits.h>

#include "util/parse.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tenet_parse_mac(const char *s, uint8_t mac[TENET_MAC_LEN], struct tenet_err *err)
{
	char sep;
	int i;

	/* Exactly 17 characters: six pairs of hex digits and five separators,
	 * all the same separator. */
	if (!s || strlen(s) != 17)
		goto bad;
	sep = s[2];
	if (sep != ':' && sep != '-')
		goto bad;
	for (i = 0; i < TENET_MAC_LEN; i++) {
		const char *p = s + i * 3;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0)
			goto bad;
		if (i < TENET_MAC_LEN - 1 && p[2] != sep)
			goto bad;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	return tenet_err_set(err, -EINVAL, "not a MAC address (expected xx:xx:xx:xx:xx:xx)");
}

/* One decimal part of a dotted quad; advances *sp past it. */
static int parse_octet(const char **sp, unsigned int *out)
{
	const char *s = *sp;
	unsigned int v = 0;
	int n = 0;

	while (isdigit((unsigned char)s[n])) {
		if (n == 3)
			return -1;
		v = v * 10 + (unsigned int)(s[n] - '0');
		n++;
	}
	if (n == 0 || v > 255 || (n > 1 && s[0] == '0'))
		return -1;
	*sp = s + n;
	*out = v;
	return 0;
}

/* Parses A.B.C.D at the start of s; *end points after it. */
static int parse_quad(const char *s, const char **end, uint32_t *addr)
{
	unsigned int part[4];
	int i;

	for (i = 0; i < 4; i++) {
		if (parse_octet(&s, &part[i]) < 0)
			return -1;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	*end = s;
	*addr = htonl(part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3]);
	return 0;
}

int tenet_parse_ipv4(const char *s, uint32_t *addr, struct tenet_err *err)
{
	const char *end;

	if (!s || parse_quad(s, &end, addr) < 0 || *end)
		return tenet_err_set(err, -EINVAL, "not an IPv4 address (expected A.B.C.D)");
	return 0;
}

int tenet_parse_addr_len(const char *s, struct tenet_prefix *p, struct tenet_err *err)
{
	const char *end;
	uint32_t len;

	if (!s || parse_quad(s, &end, &p->addr) < 0 || *end != '/')
		goto bad;
	if (tenet_parse_u32(end + 1, 0, 32, &len, NULL) < 0)
		goto bad;
	p->len = (uint8_t)len;
	return 0;
bad:
	return tenet_err_set(err, -EINVAL, "not an IPv4 prefix (expected A.B.C.D/LEN, LEN 0..32)");
}

int tenet_parse_prefix(const char *s, struct tenet_prefix *p, struct tenet_err *err)
{
	char buf[TENET_PREFIX_STRLEN];
	struct tenet_prefix net;
	int ret;

	ret = tenet_parse_addr_len(s, p, err);
	if (ret < 0)
		return ret;
	if (p->addr & ~tenet_prefix_mask(p->len)) {
		net.addr = p->addr & tenet_prefix_mask(p->len);
		net.len = p->len;
		return tenet_err_set(err, -EINVAL, "host bits set (did you mean %s?)",
				     tenet_fmt_prefix(&net, buf));
	}
	return 0;
}

int tenet_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v,
		    struct tenet_err *err)
{
	uint64_t acc = 0;
	const char *c;

	if (!s || !*s || (s[0] == '0' && s[1]))
		goto bad;
	for (c = s; *c; c++) {
		if (!isdigit((unsigned char)*c))
			goto bad;
		acc = acc * 10 + (uint64_t)(*c - '0');
		if (acc > UINT32_MAX)
			goto range;
	}
	if (acc < min || acc > max)
		goto range;
	*v = (uint32_t)acc;
	return 0;
bad:
	return tenet_err_set(err, -EINVAL, "not a number");
range:
	return tenet_err_set(err, -ERANGE, "outside %u..%u", min, max);
}

int tenet_parse_vsid(const char *s, uint32_t *vsid, struct tenet_err *err)
{
	return tenet_parse_u32(s, TENET_VSID_MIN, TENET_VSID_MAX, vsid, err);
}

int tenet_parse_guid(const char *s, uint8_t guid[TENET_GUID_LEN], struct tenet_err *err)
{
	size_t len = s ? strlen(s) : 0;

	/* libuuid reads the canonical 36-character form, either case; Windows
	 * prints GUIDs in braces, so those are taken off first. */
	if (len == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		len = 36;
	}
	if (len != 36 || uuid_parse_range(s, s + len, guid) < 0)
		return tenet_err_set(err, -EINVAL,
				     "not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	return 0;
}

int tenet_check_name(const char *s, struct tenet_err *err)
{
	size_t i, len = s ? strlen(s) : 0;

	if (len == 0 || len > TENET_NAME_MAX)
		return tenet_err_set(err, -EINVAL, "must be 1..%d characters", TENET_NAME_MAX);
	if (!isalnum((unsigned char)s[0]))
		return tenet_err_set(err, -EINVAL, "must start with a letter or digit");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return tenet_err_set(err, -EINVAL,
					     "may only contain letters, digits, '_', '.' and '-'");
	}
	return 0;
}

int tenet_check_ifname(const char *s, struct tenet_err *err)
{
	size_t i, len = s ? strlen(s) : 0;

	if (len == 0 || len > TENET_IFNAME_MAX)
		return tenet_err_set(err, -EINVAL, "interface names are 1..%d bytes",
				     TENET_IFNAME_MAX);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return tenet_err_set(err, -EINVAL, "not a valid interface name");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' || c == ':' || isspace(c) || !isprint(c))
			return tenet_err_set(err, -EINVAL, "not a valid interface name");
	}
	return 0;
}

int tenet_guid_generate(uint8_t guid[TENET_GUID_LEN])
{
	/* Version 4, RFC 4122 variant, from getrandom() (libuuid falls back to
	 * /dev/urandom itself; it cannot fail). */
	uuid_generate_random(guid);
	return 0;
}

uint32_t tenet_prefix_mask(uint8_t len)
{
	if (len == 0)
		return 0;
	if (len >= 32)
		return 0xffffffffu;
	return htonl(~((1u << (32 - len)) - 1));
}

bool tenet_prefix_contains(const struct tenet_prefix *p, uint32_t addr)
{
	uint32_t mask = tenet_prefix_mask(p->len);

	return (addr & mask) == (p->addr & mask);
}

bool tenet_prefix_overlap(const struct tenet_prefix *a, const struct tenet_prefix *b)
{
	/* Two prefixes overlap iff the shorter one contains the longer. */
	const struct tenet_prefix *s = a->len <= b->len ? a : b;
	const struct tenet_prefix *l = s == a ? b : a;

	return tenet_prefix_contains(s, l->addr);
}

bool tenet_mac_is_unicast(const uint8_t mac[TENET_MAC_LEN])
{
	static const uint8_t zero[TENET_MAC_LEN];

	return !(mac[0] & 1) && memcmp(mac, zero, TENET_MAC_LEN) != 0;
}

bool tenet_ipv4_is_unicast(uint32_t addr)
{
	uint32_t ip = ntohl(addr);

	/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved
	 * and broadcast: none can be an address a host holds on a network. */
	return (ip >> 24) != 0 && (ip >> 24) != 127 && (ip >> 28) < 14;
}

char *tenet_fmt_mac(const uint8_t mac[TENET_MAC_LEN], char buf[TENET_MAC_STRLEN])
{
	snprintf(buf, TENET_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

char *tenet_fmt_ipv4(uint32_t addr, char buf[TENET_IPV4_STRLEN])
{
	uint32_t h = ntohl(addr);

	snprintf(buf, TENET_IPV4_STRLEN, "%u.%u.%u.%u",
		 h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
	return buf;
}

char *tenet_fmt_prefix(const struct tenet_prefix *p, char buf[TENET_PREFIX_STRLEN])
{
	char ip[TENET_IPV4_STRLEN];

	/* Cannot truncate: 15 + "/32"; the check only tells the compiler. */
	if (snprintf(buf, TENET_PREFIX_STRLEN, "%s/%u", tenet_fmt_ipv4(p->addr, ip),
		     (unsigned int)p->len) >= TENET_PREFIX_STRLEN)
		buf[TENET_PREFIX_STRLEN - 1] = '\0';
	return buf;
}

char *tenet_fmt_guid(const uint8_t g[TENET_GUID_LEN], char buf[TENET_GUID_STRLEN])
{
	uuid_unparse_lower(g, buf);
	return buf;
}

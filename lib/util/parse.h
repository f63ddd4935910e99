/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsers and formatters for the values people type and the store
 * keeps: MAC, IPv4, prefix, VSID, GUID, names. Parsers return 0 or
 * -EINVAL (malformed) / -ERANGE (well formed but out of range) and put the
 * reason, without the argument's name, in err: the caller knows which
 * argument it was and prefixes it. IPv4 addresses are uint32_t in network
 * byte order throughout, as in headers/tenet/maps.h. */
#ifndef TENET_PARSE_H
#define TENET_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/errmsg.h"

#define TENET_MAC_LEN 6
#define TENET_GUID_LEN 16
#define TENET_NAME_MAX 64       /* routing-domain and host names (chars) */
#define TENET_IFNAME_MAX 15     /* IFNAMSIZ - 1 */

#define TENET_MAC_STRLEN 18     /* "xx:xx:xx:xx:xx:xx" + NUL */
#define TENET_IPV4_STRLEN 16    /* "255.255.255.255" + NUL */
#define TENET_PREFIX_STRLEN 19  /* "255.255.255.255/32" + NUL */
#define TENET_GUID_STRLEN 37    /* 8-4-4-4-12 + NUL */

struct tenet_prefix {
	uint32_t addr;          /* network byte order */
	uint8_t len;            /* 0..32 */
};

/* xx:xx:xx:xx:xx:xx or xx-xx-xx-xx-xx-xx (Windows), hex either case. */
int tenet_parse_mac(const char *s, uint8_t mac[TENET_MAC_LEN], struct tenet_err *err);
/* Dotted quad, four decimal parts 0..255, no leading zeros (so that
 * "010.0.0.1" is not silently read as octal by one tool and decimal by
 * another). */
int tenet_parse_ipv4(const char *s, uint32_t *addr, struct tenet_err *err);
/* A.B.C.D/LEN naming a network: host bits must be zero. */
int tenet_parse_prefix(const char *s, struct tenet_prefix *p, struct tenet_err *err);
/* A.B.C.D/LEN naming an address on a network (a PA): host bits allowed. */
int tenet_parse_addr_len(const char *s, struct tenet_prefix *p, struct tenet_err *err);
/* Decimal, TENET_VSID_MIN..TENET_VSID_MAX. */
int tenet_parse_vsid(const char *s, uint32_t *vsid, struct tenet_err *err);
/* 8-4-4-4-12 hex, optionally in braces as Windows prints it. */
int tenet_parse_guid(const char *s, uint8_t guid[TENET_GUID_LEN], struct tenet_err *err);
/* Decimal, no sign, no leading zeros, min..max inclusive. */
int tenet_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v,
		    struct tenet_err *err);

/* Names become store key components, so they are kept to a safe alphabet:
 * [A-Za-z0-9_.-], starting with a letter or digit, 1..TENET_NAME_MAX. */
int tenet_check_name(const char *s, struct tenet_err *err);
/* Linux interface names: 1..15 bytes, no '/', ':' or white space, not
 * "." or "..". */
int tenet_check_ifname(const char *s, struct tenet_err *err);

/* A new random (version 4) GUID. */
int tenet_guid_generate(uint8_t guid[TENET_GUID_LEN]);

uint32_t tenet_prefix_mask(uint8_t len);    /* network byte order */
bool tenet_prefix_contains(const struct tenet_prefix *p, uint32_t addr);
bool tenet_prefix_overlap(const struct tenet_prefix *a, const struct tenet_prefix *b);
bool tenet_mac_is_unicast(const uint8_t mac[TENET_MAC_LEN]);  /* and not zero */
/* Not in 0/8, 127/8, 224/4 or 240/4: an address a host can hold. */
bool tenet_ipv4_is_unicast(uint32_t addr);

char *tenet_fmt_mac(const uint8_t mac[TENET_MAC_LEN], char buf[TENET_MAC_STRLEN]);
char *tenet_fmt_ipv4(uint32_t addr, char buf[TENET_IPV4_STRLEN]);
char *tenet_fmt_prefix(const struct tenet_prefix *p, char buf[TENET_PREFIX_STRLEN]);
char *tenet_fmt_guid(const uint8_t guid[TENET_GUID_LEN], char buf[TENET_GUID_STRLEN]);

#endif

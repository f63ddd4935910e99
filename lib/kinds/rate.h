/* SPDX-License-Identifier: GPL-2.0 */
/* Rate limits of gateway interfaces (Set-VpnS2SInterface -TxBandwidthKbps
 * -RxBandwidthKbps): a value of the S2S interface's record and of a
 * compartment's (its internal and external interfaces), not a kind of
 * its own. tx is what the gateway sends through the interface (into the
 * site or network behind it), rx what it receives from it; both count
 * the tenant's plaintext bytes. The agent's side is agent/gw/rate.c; see
 * docs/rates.md. */
#ifndef TENET_KINDS_RATE_H
#define TENET_KINDS_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/errmsg.h"

/* Every S2S interface's limit when none was set (the reference's). */
#define TENET_RATE_S2S_DEFAULT_KBPS 5120u
/* A direction's limit, kbit/s (1000 bit/s); 0 = unlimited. */
#define TENET_RATE_MIN_KBPS 8u
#define TENET_RATE_MAX_KBPS 10000000u   /* 10 Gbit/s */

/* A limit as stored: not set (the kind's default applies: 5120/5120 on
 * S2S interfaces, none on a compartment's), or tx and rx (0: that
 * direction is not limited; `rate none` is both 0). Records written
 * before rates existed have none set. */
struct tenet_rate {
	bool set;
	uint32_t tx, rx;
};

/* The limit in force: r, or def when r is not set. */
struct tenet_rate tenet_rate_eff(const struct tenet_rate *r, uint32_t def_kbps);

/* The words after `rate`: "none", "default", or "tx KBPS|none" and/or
 * "rx KBPS|none" (a direction not given keeps cur's value in force,
 * def_kbps if cur is not set). Consumes argv[*i..] while they are rate
 * words; *i ends on the last consumed. 0 or -EINVAL with one line in
 * err. */
int tenet_rate_parse(int argc, char **argv, int *i, const struct tenet_rate *cur,
		     uint32_t def_kbps, struct tenet_rate *out, struct tenet_err *err);

/* "tx 5120 rx 5120", "tx none rx 1024", "none" (both unlimited). */
const char *tenet_rate_fmt(const struct tenet_rate *eff, char *buf, size_t len);

/* What `show -j` prints: {"tx": N, "rx": N, "default": bool}, the
 * limit in force (0: unlimited) and whether it is the default. NULL on
 * memory. */
json_t *tenet_rate_show_json(const struct tenet_rate *r, uint32_t def_kbps);
/* The same line from that object, "tx 5120 rx 5120 (default)". */
const char *tenet_rate_show_text(const json_t *o, char *buf, size_t len);

/* Checks a stored value (the kinds' check). */
int tenet_rate_check(const struct tenet_rate *r, struct tenet_err *err);

/* The JSON member of a struct tenet_rate at st.member: an object
 * {"tx": N, "rx": N} present only when set. Its sub fields are
 * TENET_RATE_SUBFIELDS(st, member), in a table of their own. */
#define TENET_RATE_SUBFIELDS(st, member)                                           \
	TENET_FIELD(st, member.tx, "tx", TENET_FT_U32, .min = 0,                   \
		    .max = TENET_RATE_MAX_KBPS),                                    \
	TENET_FIELD(st, member.rx, "rx", TENET_FT_U32, .min = 0,                   \
		    .max = TENET_RATE_MAX_KBPS),                                    \
	{ NULL }
#define TENET_RATE_FIELD(st, member, jname, subtable)                             \
	TENET_FIELD(st, member, jname, TENET_FT_OBJECT, .sub = (subtable),         \
		    .flags = TENET_F_PRESENCE, TENET_WHEN(st, member.set))

#endif

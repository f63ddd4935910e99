/* SPDX-License-Identifier: GPL-2.0 */
/* Static IP filters of gateway interfaces (per host), the Linux analogue
 * of Add-RemoteAccessIpFilter: 5-tuple filters (prefixes, protocol, port
 * ranges, ICMP type and code) per interface and direction, and the mode
 * of each interface and direction (pass everything except what a deny
 * filter matches, or discard everything except what an allow filter
 * matches). An interface is an S2S interface (by its name) or a
 * compartment's internal interface, IfCi1 (by the compartment's name).
 * Directions are the seed's, seen from the network behind the interface
 * (the virtual network behind IfCi1, the site behind an S2S interface):
 * "in" is what the gateway sends through the interface into that
 * network, "out" what it receives from it. The rows of the registry are
 * in filter.c. See docs/filters.md. */
#ifndef TENET_KINDS_FILTER_H
#define TENET_KINDS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"
#include "util/parse.h"

/* tenet's nftables table of filters, and the named counters of filters
 * (tenet_filter_counter_name), which the CLI reads (docs/filters.md). */
#define TENET_FILTER_NFT_FAMILY "ip"
#define TENET_FILTER_NFT_NAME "tenet_filter"
#define TENET_FILTER_NFT_TABLE TENET_FILTER_NFT_FAMILY " " TENET_FILTER_NFT_NAME
#define TENET_FILTER_COUNTER_PFX "f"

/* Filter ids are per host, 1..TENET_FILTER_ID_MAX: the order in which an
 * interface's filters are tried, and the name of each one's counter. */
#define TENET_FILTER_ID_MAX 99999999u

enum tenet_filter_on {
	TENET_FILTER_S2S = 0,           /* an S2S interface, by name */
	TENET_FILTER_INTERNAL,          /* a compartment's IfCi1, by its name */
};

enum tenet_filter_dir {
	TENET_FILTER_IN = 0,            /* into the network behind it: sent through it */
	TENET_FILTER_OUT,               /* out of that network: received through it */
};

enum tenet_filter_action {
	TENET_FILTER_ALLOW = 0,
	TENET_FILTER_DENY,
};

enum tenet_filter_mode {
	TENET_FILTER_DENY_LIST = 0,     /* pass all but what a deny filter matches */
	TENET_FILTER_ALLOW_LIST,        /* discard all but what an allow filter matches */
};

struct tenet_filter {
	char host[TENET_NAME_MAX + 1];
	uint32_t id;                    /* assigned at creation */
	int on;                         /* enum tenet_filter_on */
	char iface[TENET_NAME_MAX + 1];
	int dir;                        /* enum tenet_filter_dir */
	int action;                     /* enum tenet_filter_action */
	struct tenet_prefix src, dst;   /* 0.0.0.0/0: any */
	uint16_t proto;                 /* IP protocol 1..255; 0: any */
	uint16_t sport_min, sport_max;  /* tcp, udp; 0: any */
	uint16_t dport_min, dport_max;
	bool has_icmp_type, has_icmp_code;      /* icmp */
	uint16_t icmp_type, icmp_code;
};

/* The mode of an interface and direction; none stored: deny-list. */
struct tenet_filtermode {
	char host[TENET_NAME_MAX + 1];
	int on;
	char iface[TENET_NAME_MAX + 1];
	int dir;
	int mode;                       /* enum tenet_filter_mode */
};

const char *tenet_filter_on_name(int on);
const char *tenet_filter_dir_name(int dir);
const char *tenet_filter_action_name(int action);
const char *tenet_filter_mode_name(int mode);
int tenet_filter_on_parse(const char *s, int *on, struct tenet_err *err);
int tenet_filter_dir_parse(const char *s, int *dir, struct tenet_err *err);
int tenet_filter_action_parse(const char *s, int *action, struct tenet_err *err);
int tenet_filter_mode_parse(const char *s, int *mode, struct tenet_err *err);
/* tcp, udp, icmp or a number 1..255. */
int tenet_filter_proto_parse(const char *s, uint16_t *proto, struct tenet_err *err);
/* "tcp", "udp", "icmp", or the number in buf. */
const char *tenet_filter_proto_name(uint16_t proto, char buf[8]);
/* TYPE[:CODE], each 0..255. */
int tenet_filter_icmp_parse(const char *s, struct tenet_filter *f, struct tenet_err *err);

/* The name of a filter's counter in tenet's table: "f<id>_<8 hex digits
 * of a hash of what it matches>", so an id given again (after the highest
 * was deleted) to another filter never inherits the old one's counts. */
#define TENET_FILTER_COUNTER_MAX 24
const char *tenet_filter_counter_name(const struct tenet_filter *f,
				      char buf[TENET_FILTER_COUNTER_MAX]);

/* Validated writes (lib/policy) of other kinds that take filters with
 * them: an S2S interface's delete, a compartment's. */
struct pctx;
int pol_del_filters(struct pctx *c, const char *host, int on, const char *iface);

#endif

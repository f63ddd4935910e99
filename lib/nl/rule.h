/* SPDX-License-Identifier: GPL-2.0 */
/* IPv4 policy routing rules tenet owns (RTM_*RULE, protocol TENET_RTPROT):
 * "pref P: fwmark M (mask all ones) lookup T". 0 or -errno. */
#ifndef TENET_NL_RULE_H
#define TENET_NL_RULE_H

#include <stdint.h>

#include "nl/nl.h"

struct nl_rule {
	uint32_t pref;
	uint32_t fwmark;
	uint32_t table;
};

int nl_rule_add(struct nl *nl, const struct nl_rule *r);  /* -EEXIST if there */
int nl_rule_del(struct nl *nl, const struct nl_rule *r);
/* tenet's IPv4 rules, collected (malloc'd array). */
int nl_rule_dump(struct nl *nl, struct nl_rule **out, size_t *n);

#endif

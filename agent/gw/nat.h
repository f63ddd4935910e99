/* SPDX-License-Identifier: GPL-2.0 */
/* The nat reconciler: tenet's nftables table (`table ip tenet`, generated
 * by nat_rules.c) as one object, applied as one transaction that replaces
 * it. The engine compares a digest of the text, so an unchanged table is
 * not applied again. Its kernel side is struct nat_ops: nat_kernel.c
 * (libnftables), or a fake (selftests/unit/fake_gw.h). */
#ifndef TENETD_GW_NAT_H
#define TENETD_GW_NAT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "gw/gw.h"

enum nat_obj {
	NAT_TABLE,
	NAT_NOBJ,
};

struct nat_table_key {
	__u32 zero;                     /* one table */
};

struct nat_table_val {
	__u8 digest[16];                /* of the text; zero: unknown (adopted) */
	__u32 ncompartments;            /* for the log: not compared */
	const char *text;               /* the desired one's text: not compared */
};

struct nat_ops {
	void *ctx;
	/* Every IPv4 address with its device (the uplinks). */
	int (*addr_dump)(void *ctx, gw_addr_cb cb, void *arg);
	/* Apply text, replacing tenet's table, in one transaction; NULL
	 * deletes the table. 0 or -errno with nft's first error line in err. */
	int (*apply)(void *ctx, const char *text, char *err, size_t errlen);
	/* 1 if tenet's table exists, 0 if not, or -errno. */
	int (*present)(void *ctx);
};

/* The real ops (nat_kernel.c). */
int nat_kernel_open(struct nat_ops **ops);
void nat_kernel_close(struct nat_ops *ops);

#endif

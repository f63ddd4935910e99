/* SPDX-License-Identifier: GPL-2.0 */
/* The rate reconciler: the limits of gateway interfaces (S2S interfaces,
 * a compartment's internal and external interfaces, a tenant's
 * remote-access interface traC; kinds/rate.h) as tc
 * objects of tenet's on each device (nl/tc.h): transmit, a root tbf;
 * receive, a matchall policer on ingress. Its kernel side is struct
 * rate_ops: rate_kernel.c (rtnetlink), or a fake in the unit tests. See
 * docs/rates.md. */
#ifndef TENETD_GW_RATE_H
#define TENETD_GW_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/types.h>

#include "recon/model.h"
#include "recon/recon.h"

enum rate_obj {
	RATE_TX,                /* root tbf */
	RATE_RX,                /* ingress policer */
	RATE_NOBJ,
};

struct rate_key {
	char dev[IF_NAMESIZE];
};

/* Bytes/s, bucket and (tx) queue, from the limit in kbit/s
 * (rate_params); observe reads back only the rate. */
struct rate_val {
	__u32 kbps;
	__u32 burst;            /* bytes */
	__u32 limit;            /* bytes queued (tx) */
};

/* The tbf's or the policer's parameters for kbps (tx: transmit). */
void rate_params(__u32 kbps, bool tx, struct rate_val *v);

/* One device of tenet's tc objects, as the kernel holds it (0: none). */
struct rate_seen {
	char dev[IF_NAMESIZE];
	__u32 tx_kbps, rx_kbps;
	bool tx, rx;
};

struct rate_ops {
	void *ctx;
	int (*tx_set)(void *ctx, const char *dev, const struct rate_val *v);
	int (*tx_del)(void *ctx, const char *dev);
	int (*rx_set)(void *ctx, const char *dev, const struct rate_val *v);
	int (*rx_del)(void *ctx, const char *dev);
	/* Every device with a tenet tbf or policer (malloc'd); policers are
	 * looked for on S2S, internal and remote-access interfaces and the devices
	 * named in also (n_also names). */
	int (*dump)(void *ctx, const char (*also)[IF_NAMESIZE], size_t n_also,
		    struct rate_seen **out, size_t *n);
};

int rate_kernel_open(struct rate_ops **ops);
void rate_kernel_close(struct rate_ops *ops);

extern const struct reconciler gw_rate_reconciler;

#endif

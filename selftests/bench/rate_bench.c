// SPDX-License-Identifier: GPL-2.0
/* Rate limits for the rate benchmark (rate_bench.sh, docs/rates.md): the
 * rate reconciler's own parameters (rate_params) applied through its own
 * kernel side (rate_kernel.c over lib/nl/tc.c) to a device of the current
 * network namespace, so the benchmark measures exactly what tenetd
 * installs:
 *   tx DEV KBPS   tenet's root tbf (transmit limit)
 *   rx DEV KBPS   tenet's clsact + matchall police (receive limit)
 *   del tx|rx DEV remove it (the reconciler's tx_del, rx_del)
 * tx and rx print the parameters as "# DEV tx|rx K kbit/s, bucket B bytes
 * [, queue L bytes]" and read them back from the kernel (the reconciler's
 * dump): a limit the kernel does not hold is an error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/rate.h"

static int readback(struct rate_ops *ops, const char *dev, bool tx, __u32 kbps)
{
	char also[1][IF_NAMESIZE] = { "" };
	struct rate_seen *s = NULL;
	size_t n = 0;
	int ret;

	snprintf(also[0], IF_NAMESIZE, "%s", dev);
	ret = ops->dump(ops->ctx, (const char (*)[IF_NAMESIZE])also, 1, &s, &n);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].dev, dev) && (tx ? s[i].tx && s[i].tx_kbps == kbps :
						   s[i].rx && s[i].rx_kbps == kbps))
			ret = 0;
	free(s);
	return ret;
}

int main(int argc, char **argv)
{
	struct rate_ops *ops;
	struct rate_val v;
	bool del, tx;
	int ret;

	del = argc == 4 && !strcmp(argv[1], "del");
	if (argc != 4 || (!del && strcmp(argv[1], "tx") && strcmp(argv[1], "rx")) ||
	    (del && strcmp(argv[2], "tx") && strcmp(argv[2], "rx"))) {
		fprintf(stderr, "usage: rate_bench tx|rx DEV KBPS | del tx|rx DEV\n");
		return 2;
	}
	ret = rate_kernel_open(&ops);
	if (ret < 0) {
		fprintf(stderr, "rate_bench: netlink: %s\n", strerror(-ret));
		return 1;
	}
	if (del) {
		tx = !strcmp(argv[2], "tx");
		ret = tx ? ops->tx_del(ops->ctx, argv[3]) : ops->rx_del(ops->ctx, argv[3]);
		if (ret)
			fprintf(stderr, "rate_bench: del %s %s: %s\n", argv[2], argv[3], strerror(-ret));
		goto out;
	}
	tx = !strcmp(argv[1], "tx");
	rate_params((__u32)strtoul(argv[3], NULL, 10), tx, &v);
	ret = tx ? ops->tx_set(ops->ctx, argv[2], &v) : ops->rx_set(ops->ctx, argv[2], &v);
	if (!ret)
		ret = readback(ops, argv[2], tx, v.kbps);
	if (ret) {
		fprintf(stderr, "rate_bench: %s %s %u kbit/s: %s\n", argv[1], argv[2], v.kbps,
			strerror(-ret));
		goto out;
	}
	if (tx)
		printf("# %s tx %u kbit/s (tbf), bucket %u bytes, queue %u bytes\n", argv[2],
		       v.kbps, v.burst, v.limit - v.burst);
	else
		printf("# %s rx %u kbit/s (police), bucket %u bytes\n", argv[2], v.kbps, v.burst);
out:
	rate_kernel_close(ops);
	return ret ? 1 : 0;
}

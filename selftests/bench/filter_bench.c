// SPDX-License-Identifier: GPL-2.0
/* Filters at scale (docs/filters.md): IFACES interfaces "fbNNN" with
 * FILTERS filters spread over them (sent direction, deny-list, deny
 * filters that never match the benchmark's traffic), rendered as the
 * filter reconciler does and applied through its kernel side in the
 * current network namespace. Prints the time of the first load and of one
 * change with all of them present:
 *   @filter load_ms N
 *   @filter change_ms N
 * usage: filter_bench [-i IFACES] [-f FILTERS] [-d]   (-d: delete the table) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "gw/filter.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int apply(struct filter_ops *ops, struct filter_chain *c, size_t n, double *ms)
{
	struct filter_text t;
	char err[200] = "";
	double t0 = now_ms();
	int ret = filter_render(c, n, &t);

	if (!ret)
		ret = ops->apply(ops->ctx, &t, err, sizeof(err));
	*ms = now_ms() - t0;
	if (ret)
		fprintf(stderr, "filter_bench: %s\n", err);
	filter_text_free(&t);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int nif = 100, nf = 1000;
	struct filter_chain *c;
	struct tenet_filter *f;
	struct filter_ops *ops;
	bool del = false;
	double ms;
	int o;

	while ((o = getopt(argc, argv, "i:f:d")) != -1) {
		if (o == 'i')
			nif = (unsigned int)atoi(optarg);
		else if (o == 'f')
			nf = (unsigned int)atoi(optarg);
		else if (o == 'd')
			del = true;
		else
			return 2;
	}
	if (filter_kernel_open(&ops) < 0)
		return 1;
	if (del)
		return ops->apply(ops->ctx, NULL, NULL, 0) ? 1 : 0;
	if (!nif || nf < nif)
		return 2;
	c = calloc(nif, sizeof(*c));
	f = calloc(nf + 1, sizeof(*f));
	if (!c || !f)
		return 1;
	for (unsigned int i = 0; i < nif; i++) {
		snprintf(c[i].dev, sizeof(c[i].dev), "fb%03u", i);
		c[i].dir = TENET_FILTER_IN;
		c[i].mode = TENET_FILTER_DENY_LIST;
		c[i].f = calloc(nf / nif + 2, sizeof(*c[i].f));
	}
	/* Filter k on interface k % nif: TCP to port 20000 + k from
	 * 172.16.k.0/24 (the benchmark's traffic is UDP from 10.9.0.0/16). */
	for (unsigned int k = 0; k <= nf; k++) {
		f[k] = (struct tenet_filter){ .id = k + 1, .dir = TENET_FILTER_IN,
					      .action = TENET_FILTER_DENY, .proto = 6,
					      .dport_min = (uint16_t)(20000 + k),
					      .dport_max = (uint16_t)(20000 + k) };
		f[k].src.addr = htonl(0xac100000u | ((k & 0xff) << 8) | ((k >> 8) << 16));
		f[k].src.len = 24;
		snprintf(f[k].iface, sizeof(f[k].iface), "fb%03u", k % nif);
	}
	for (unsigned int k = 0; k < nf; k++)
		c[k % nif].f[c[k % nif].nf++] = &f[k];
	if (apply(ops, c, nif, &ms))
		return 1;
	printf("@filter load_ms %.1f\n", ms);
	/* One more filter: the whole table again, in place. */
	c[nf % nif].f[c[nf % nif].nf++] = &f[nf];
	if (apply(ops, c, nif, &ms))
		return 1;
	printf("@filter change_ms %.1f\n", ms);
	filter_kernel_close(ops);
	return 0;
}

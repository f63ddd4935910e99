// SPDX-License-Identifier: GPL-2.0
/* The rate reconciler's kernel side: tc over rtnetlink (nl/tc.h), by
 * device name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "gw/rate.h"
#include "kinds/ravpn.h"
#include "kinds/record.h"
#include "nl/tc.h"

struct rate_kernel {
	struct rate_ops ops;
	struct nl nl;
};

static int ifindex(const char *dev)
{
	unsigned int i = if_nametoindex(dev);

	return i ? (int)i : -ENODEV;
}

static int k_tx_set(void *ctx, const char *dev, const struct rate_val *v)
{
	struct rate_kernel *k = ctx;
	struct nl_tbf t = { .rate = (uint64_t)v->kbps * 125, .burst = v->burst, .limit = v->limit };
	int i = ifindex(dev);

	return i < 0 ? i : nl_tbf_set(&k->nl, i, &t);
}

static int k_tx_del(void *ctx, const char *dev)
{
	struct rate_kernel *k = ctx;
	int i = ifindex(dev);

	return i < 0 ? i : nl_tbf_del(&k->nl, i);
}

static int k_rx_set(void *ctx, const char *dev, const struct rate_val *v)
{
	struct rate_kernel *k = ctx;
	struct nl_police p = { .rate = (uint64_t)v->kbps * 125, .burst = v->burst };
	int i = ifindex(dev);

	return i < 0 ? i : nl_police_set(&k->nl, i, &p);
}

static int k_rx_del(void *ctx, const char *dev)
{
	struct rate_kernel *k = ctx;
	int i = ifindex(dev);

	return i < 0 ? i : nl_police_del(&k->nl, i);
}

struct where {
	const char (*also)[IF_NAMESIZE];
	size_t n;
};

/* A device that can hold a policer of tenet's: not the ports (a host's
 * hundreds of clsact qdiscs are the datapath's). */
static bool policed(int ifindex, void *arg)
{
	const struct where *w = arg;
	char dev[IF_NAMESIZE];

	if (!if_indextoname((unsigned int)ifindex, dev))
		return false;
	if (!strncmp(dev, TENET_S2S_DEV_PFX, strlen(TENET_S2S_DEV_PFX)) ||
	    !strncmp(dev, TENET_GW_INT_PFX, strlen(TENET_GW_INT_PFX)) ||
	    !strncmp(dev, TENET_RAVPN_DEV_PFX, strlen(TENET_RAVPN_DEV_PFX)))
		return true;
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(dev, w->also[i]))
			return true;
	return false;
}

static int k_dump(void *ctx, const char (*also)[IF_NAMESIZE], size_t n_also,
		  struct rate_seen **out, size_t *n)
{
	struct rate_kernel *k = ctx;
	struct nl_tc_state *s = NULL;
	struct where w = { also, n_also };
	struct rate_seen *r;
	size_t ns = 0, j = 0;
	int ret = nl_tc_dump(&k->nl, policed, &w, &s, &ns);

	*out = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	r = calloc(ns ? ns : 1, sizeof(*r));
	if (!r) {
		free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ns; i++) {
		if (!if_indextoname((unsigned int)s[i].ifindex, r[j].dev))
			continue;       /* gone meanwhile */
		r[j].tx = s[i].tbf;
		r[j].tx_kbps = (__u32)(s[i].tbf_rate / 125);
		r[j].rx = s[i].police;
		r[j].rx_kbps = (__u32)(s[i].police_rate / 125);
		j++;
	}
	free(s);
	*out = r;
	*n = j;
	return 0;
}

int rate_kernel_open(struct rate_ops **ops)
{
	struct rate_kernel *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	ret = nl_open(&k->nl);
	if (ret < 0) {
		free(k);
		return ret;
	}
	k->ops = (struct rate_ops){ .ctx = k, .tx_set = k_tx_set, .tx_del = k_tx_del,
				    .rx_set = k_rx_set, .rx_del = k_rx_del, .dump = k_dump };
	*ops = &k->ops;
	return 0;
}

void rate_kernel_close(struct rate_ops *ops)
{
	struct rate_kernel *k = ops ? ops->ctx : NULL;

	if (!k)
		return;
	nl_close(&k->nl);
	free(k);
}

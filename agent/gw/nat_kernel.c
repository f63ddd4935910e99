// SPDX-License-Identifier: GPL-2.0
/* The nat reconciler's kernel side: tenet's nftables table through
 * libnftables, addresses through rtnetlink. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nftables/libnftables.h>

#include "gw/nat.h"
#include "gw/vrf.h"

#define TABLE "ip tenet"

struct nat_kernel {
	struct nat_ops ops;
	struct nl nl;
	struct nft_ctx *nft;
};

static int run(struct nat_kernel *k, const char *cmd, char *err, size_t errlen)
{
	const char *out;
	int ret;

	if (!k->nft) {
		k->nft = nft_ctx_new(NFT_CTX_DEFAULT);
		if (!k->nft)
			return -ENOMEM;
		nft_ctx_buffer_output(k->nft);
		nft_ctx_buffer_error(k->nft);
	}
	ret = nft_run_cmd_from_buffer(k->nft, cmd);
	out = nft_ctx_get_error_buffer(k->nft);
	if (ret && err) {
		/* nft's first line says what; the rest quotes the input. */
		snprintf(err, errlen, "%s", out && *out ? out : "nftables error");
		err[strcspn(err, "\n")] = '\0';
	}
	nft_ctx_get_output_buffer(k->nft);      /* drop what a list printed */
	return ret ? -EINVAL : 0;
}

static int k_apply(void *ctx, const char *text, char *err, size_t errlen)
{
	/* Create (a no-op if present), then delete: a table that is not
	 * there is not an error. */
	return run(ctx, text ? text : "table " TABLE "\ndelete table " TABLE "\n", err, errlen);
}

static int k_present(void *ctx)
{
	return run(ctx, "list table " TABLE "\n", NULL, 0) == 0;
}

static int k_addr_dump(void *ctx, gw_addr_cb cb, void *arg)
{
	struct nat_kernel *k = ctx;

	return gw_kernel_addr_dump(&k->nl, cb, arg);
}

int nat_kernel_open(struct nat_ops **ops)
{
	struct nat_kernel *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	ret = nl_open(&k->nl);
	if (ret < 0) {
		free(k);
		return ret;
	}
	k->ops = (struct nat_ops){ .ctx = k, .addr_dump = k_addr_dump, .apply = k_apply,
				   .present = k_present };
	*ops = &k->ops;
	return 0;
}

void nat_kernel_close(struct nat_ops *ops)
{
	struct nat_kernel *k = ops ? ops->ctx : NULL;

	if (!k)
		return;
	nl_close(&k->nl);
	if (k->nft)
		nft_ctx_free(k->nft);
	free(k);
}

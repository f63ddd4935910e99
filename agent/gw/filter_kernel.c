// SPDX-License-Identifier: GPL-2.0
/* The filter reconciler's kernel side: tenet's table of filters through
 * libnftables. What the table holds is read as JSON (nft -j's format) to
 * find the chains and counters no filter needs any more. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <nftables/libnftables.h>

#include "gw/filter.h"

#define T TENET_FILTER_NFT_TABLE

struct filter_kernel {
	struct filter_ops ops;
	struct nft_ctx *nft;
};

static int run(struct filter_kernel *k, const char *cmd, bool json, char **out, char *err,
	       size_t errlen)
{
	const char *o, *e;
	int ret;

	if (!k->nft) {
		k->nft = nft_ctx_new(NFT_CTX_DEFAULT);
		if (!k->nft)
			return -ENOMEM;
		nft_ctx_buffer_output(k->nft);
		nft_ctx_buffer_error(k->nft);
	}
	nft_ctx_output_set_flags(k->nft, json ? NFT_CTX_OUTPUT_JSON : 0);
	ret = nft_run_cmd_from_buffer(k->nft, cmd);
	e = nft_ctx_get_error_buffer(k->nft);
	if (ret && err) {
		/* nft's first line says what; the rest quotes the input. */
		snprintf(err, errlen, "%s", e && *e ? e : "nftables error");
		err[strcspn(err, "\n")] = '\0';
	}
	o = nft_ctx_get_output_buffer(k->nft);
	if (!ret && out) {
		*out = strdup(o ? o : "");
		if (!*out)
			return -ENOMEM;
	}
	return ret ? -EINVAL : 0;
}

/* "delete chain/counter" for what the kernel's table holds and names
 * does not list, appended to f. No table: nothing. */
static int stale(struct filter_kernel *k, const char *names, FILE *f)
{
	char *text = NULL, want[64];
	json_t *root, *items;
	size_t i;
	json_t *it;

	if (run(k, "list table " T "\n", true, &text, NULL, 0) < 0)
		return 0;
	root = json_loads(text, 0, NULL);
	free(text);
	if (!root)
		return -EIO;
	items = json_object_get(root, "nftables");
	/* Chains first: their rules (gone with the flush) held the counters. */
	for (int pass = 0; pass < 2; pass++) {
		const char *what = pass ? "counter" : "chain";

		json_array_foreach(items, i, it) {
			const char *name = json_string_value(json_object_get(json_object_get(it, what),
									     "name"));

			if (!name)
				continue;
			snprintf(want, sizeof(want), "\n%s %s\n", what, name);
			if (!strstr(names, want))
				fprintf(f, "delete %s " T " %s\n", what, name);
		}
	}
	json_decref(root);
	return 0;
}

static int k_apply(void *ctx, const struct filter_text *t, char *err, size_t errlen)
{
	struct filter_kernel *k = ctx;
	char *batch = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	/* Create (a no-op if present), then delete: a table that is not
	 * there is not an error. */
	if (!t)
		return run(k, "table " T "\ndelete table " T "\n", false, NULL, err, errlen);
	f = open_memstream(&batch, &len);
	if (!f)
		return -ENOMEM;
	fputs(t->head, f);
	ret = stale(k, t->names, f);
	fputs(t->body, f);
	if (fclose(f)) {
		free(batch);
		return -ENOMEM;
	}
	if (ret == 0)
		ret = run(k, batch, false, NULL, err, errlen);
	else
		snprintf(err, errlen, "cannot read table " T);
	free(batch);
	return ret;
}

static int k_present(void *ctx)
{
	return run(ctx, "list table " T "\n", false, NULL, NULL, 0) == 0;
}

int filter_kernel_open(struct filter_ops **ops)
{
	struct filter_kernel *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->ops = (struct filter_ops){ .ctx = k, .apply = k_apply, .present = k_present };
	*ops = &k->ops;
	return 0;
}

void filter_kernel_close(struct filter_ops *ops)
{
	struct filter_kernel *k = ops ? ops->ctx : NULL;

	if (!k)
		return;
	if (k->nft)
		nft_ctx_free(k->nft);
	free(k);
}

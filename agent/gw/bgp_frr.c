// SPDX-License-Identifier: GPL-2.0
/* The bgp reconciler's FRR side: vtysh (lib/frr/vtysh.h) and FRR's pid
 * files; and libnftables for the guard of the tunnel peers' sessions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nftables/libnftables.h>

#include "frr/vtysh.h"
#include "gw/bgp.h"

struct frr_ctx {
	char pathspace[64];
	struct nft_ctx *nft;
};

static int frr_running(void *ctx, char **text, struct tenet_err *err)
{
	struct frr_ctx *f = ctx;

	return frr_vtysh(f->pathspace, "show running-config", NULL, text, err);
}

static int frr_apply(void *ctx, const char *text, struct tenet_err *err)
{
	struct frr_ctx *f = ctx;

	return frr_vtysh_apply(f->pathspace, text, err);
}

/* The daemons tenet's configuration lives in: zebra (the VRFs), bgpd,
 * staticd (trigger routes), bfdd (BFD sessions). */
static void frr_signature(void *ctx, char *buf, size_t len)
{
	static const char *const daemons[] = { "zebra", "bgpd", "staticd", "bfdd" };
	struct frr_ctx *f = ctx;
	char dir[128], path[192], pid[32];
	size_t off = 0;

	buf[0] = '\0';
	if (frr_run_dir(f->pathspace, dir, sizeof(dir)) < 0)
		return;
	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		FILE *p;

		snprintf(path, sizeof(path), "%s/%s.pid", dir, daemons[i]);
		p = fopen(path, "r");
		pid[0] = '\0';
		if (p) {
			if (!fgets(pid, sizeof(pid), p))
				pid[0] = '\0';
			fclose(p);
		}
		pid[strcspn(pid, "\n")] = '\0';
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", pid);
	}
	/* no daemon at all: "" */
	if (strspn(buf, ",") == strlen(buf))
		buf[0] = '\0';
}

static int frr_nft(void *ctx, const char *cmds, struct tenet_err *err)
{
	struct frr_ctx *f = ctx;
	const char *e;

	if (!f->nft) {
		f->nft = nft_ctx_new(NFT_CTX_DEFAULT);
		if (!f->nft)
			return tenet_err_set(err, -ENOMEM, "out of memory");
		nft_ctx_buffer_output(f->nft);
		nft_ctx_buffer_error(f->nft);
	}
	if (!nft_run_cmd_from_buffer(f->nft, cmds))
		return 0;
	/* nft's first line says what; the rest quotes the input */
	e = nft_ctx_get_error_buffer(f->nft);
	return tenet_err_set(err, -EINVAL, "%.*s", (int)strcspn(e && *e ? e : "error", "\n"),
			     e && *e ? e : "error");
}

static int frr_guard_list(void *ctx, char **text, struct tenet_err *err)
{
	struct frr_ctx *f = ctx;
	const char *o;
	int ret = frr_nft(ctx, "list table " BGP_GUARD_TABLE "\n", err);

	if (ret < 0)
		return -ENOENT;         /* the only failure of a listing: no table */
	o = nft_ctx_get_output_buffer(f->nft);
	*text = strdup(o ? o : "");
	return *text ? 0 : tenet_err_set(err, -ENOMEM, "out of memory");
}

int bgp_frr_open(struct bgp_ops **ops, const char *pathspace)
{
	struct bgp_ops *o = calloc(1, sizeof(*o));
	struct frr_ctx *f = calloc(1, sizeof(*f));

	if (!o || !f) {
		free(o);
		free(f);
		return -ENOMEM;
	}
	snprintf(f->pathspace, sizeof(f->pathspace), "%s", pathspace ? pathspace : "");
	o->ctx = f;
	o->running = frr_running;
	o->apply = frr_apply;
	o->signature = frr_signature;
	o->nft = frr_nft;
	o->guard_list = frr_guard_list;
	*ops = o;
	return 0;
}

void bgp_frr_close(struct bgp_ops *ops)
{
	struct frr_ctx *f;

	if (!ops)
		return;
	f = ops->ctx;
	if (f->nft)
		nft_ctx_free(f->nft);
	free(f);
	free(ops);
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <tenet/limits.h>
#include "datapath/datapath.h"
#include "tenet_xdp.skel.h"
#include "tenet_tc.skel.h"

int tenet_share_maps(struct bpf_object *obj, struct bpf_object *from, bool strict)
{
	struct bpf_map *map, *src;
	int err;

	bpf_object__for_each_map(map, obj) {
		err = bpf_map__set_pin_path(map, NULL);
		if (err)
			return err;
		/* .bss and .rodata belong to each object */
		if (!from || bpf_map__is_internal(map))
			continue;
		src = bpf_object__find_map_by_name(from, bpf_map__name(map));
		if (!src) {
			if (strict)
				return -ENOENT;
			continue;
		}
		err = bpf_map__reuse_fd(map, bpf_map__fd(src));
		if (err)
			return err;
	}
	return 0;
}

int tenet_datapath_load(struct tenet_datapath *dp, const struct tenet_datapath_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = opts->pin_dir);
	int err;

	memset(dp, 0, sizeof(*dp));
	if (opts->skip_xdp)
		goto tc;
	dp->xdp = tenet_xdp__open_opts(&oo);
	if (!dp->xdp) {
		err = -errno;
		goto out;
	}
	dp->xdp->rodata->tenet_record_redirect = opts->record_redirect;
	if (!opts->pin_dir && (err = tenet_share_maps(dp->xdp->obj, NULL, true)))
		goto out;
	err = tenet_xdp__load(dp->xdp);
	if (err)
		goto out;

tc:
	dp->tc = tenet_tc__open_opts(&oo);
	if (!dp->tc) {
		err = -errno;
		goto out;
	}
	dp->tc->rodata->tenet_record_redirect = opts->record_redirect;
	if (!opts->pin_dir &&
	    (err = tenet_share_maps(dp->tc->obj, dp->xdp ? dp->xdp->obj : NULL, true)))
		goto out;
	err = tenet_tc__load(dp->tc);
out:
	if (err)
		tenet_datapath_unload(dp);
	return err;
}

struct tenet_xdp *tenet_datapath_open_xdp(const struct tenet_datapath_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = opts->pin_dir);
	struct tenet_xdp *xdp = tenet_xdp__open_opts(&oo);

	if (xdp)
		xdp->rodata->tenet_record_redirect = opts->record_redirect;
	return xdp;
}

void tenet_datapath_unload(struct tenet_datapath *dp)
{
	tenet_tc__destroy(dp->tc);
	tenet_xdp__destroy(dp->xdp);
	dp->tc = NULL;
	dp->xdp = NULL;
}

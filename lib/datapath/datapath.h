/* SPDX-License-Identifier: GPL-2.0 */
/* Loading the tenet BPF objects: the XDP (underlay) and TC (port) objects
 * share every map. With a pin directory the maps are pinned by name there
 * and reused by later loads (agent restarts); without one they are shared
 * in memory only (tests). */
#ifndef TENET_DATAPATH_H
#define TENET_DATAPATH_H

#include <stdbool.h>

#include "datapath/pin.h"

struct tenet_xdp;
struct tenet_tc;

struct tenet_datapath {
	struct tenet_xdp *xdp;
	struct tenet_tc *tc;
};

struct tenet_datapath_opts {
	const char *pin_dir;    /* NULL: do not pin */
	bool record_redirect;   /* tests: remember each redirect target */
	bool skip_xdp;          /* load only the TC object (dp->xdp stays NULL):
				 * the agent hands the XDP object to libxdp,
				 * which loads it itself (tenet_datapath_open_xdp) */
};

/* tenet's filter on a port's clsact ingress: a fixed handle and priority
 * that tenet owns, so a restarted agent replaces its own filter atomically
 * (and only its own). */
#define TENET_TC_HANDLE 0x7e4e
#define TENET_TC_PRIO 1

/* Open and load both objects. Returns 0 or a negative errno. */
/* Unpin obj's maps (libbpf would pin them by name under /sys/fs/bpf) and
 * make them the same maps as from's of the same name (from may be NULL).
 * strict: every map must exist in from; else maps from lacks stay obj's
 * own. 0 or -errno. */
struct bpf_object;
int tenet_share_maps(struct bpf_object *obj, struct bpf_object *from, bool strict);

int tenet_datapath_load(struct tenet_datapath *dp, const struct tenet_datapath_opts *opts);
void tenet_datapath_unload(struct tenet_datapath *dp);

/* Open the XDP object without loading it, with the same map pinning and
 * options as tenet_datapath_load, for a loader that loads it itself
 * (libxdp). NULL with errno set on failure; free with tenet_xdp__destroy. */
struct tenet_xdp *tenet_datapath_open_xdp(const struct tenet_datapath_opts *opts);

#endif

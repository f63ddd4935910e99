/* SPDX-License-Identifier: GPL-2.0 */
/* Loading the tenet BPF objects: the XDP (underlay) and TC (port) objects
 * share every map. With a pin directory the maps are pinned by name there
 * and reused by later loads (agent restarts); without one they are shared
 * in memory only (tests). */
#ifndef TENET_DATAPATH_H
#define TENET_DATAPATH_H

#include <stdbool.h>

struct tenet_xdp;
struct tenet_tc;

struct tenet_datapath {
	struct tenet_xdp *xdp;
	struct tenet_tc *tc;
};

struct tenet_datapath_opts {
	const char *pin_dir;    /* NULL: do not pin */
	bool record_redirect;   /* tests: remember each redirect target */
};

/* Open and load both objects. Returns 0 or a negative errno. */
int tenet_datapath_load(struct tenet_datapath *dp, const struct tenet_datapath_opts *opts);
void tenet_datapath_unload(struct tenet_datapath *dp);

/* Pin directory for a host: TENET_PIN_ROOT/<host>/v<layout>. */
int tenet_pin_dir(char *buf, unsigned long len, const char *host);

#endif

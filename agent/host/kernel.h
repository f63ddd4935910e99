/* SPDX-License-Identifier: GPL-2.0 */
/* The real kernel behind the reconciler's ops table: the pinned BPF maps,
 * rtnetlink and tenet's TC program. */
#ifndef TENETD_KERNEL_H
#define TENETD_KERNEL_H

#include "host/dmcache.h"
#include "host/ops.h"
#include "nl/nl.h"

struct tenet_datapath;

/* A hash's direct-mapped copy (host/kernel.c, cache_withdraw). */
struct kernel_cache {
	struct dmcache c;
	bool open;                      /* the copy exists: hash writes go through it */
	bool dirty;                     /* the hash was written since the last sync */
};

struct kernel {
	int map_fd[OBJ_MAX];            /* map types; -1: not open */
	struct kernel_cache pa_cache;   /* tenet_pacache */
	struct kernel_cache port_cache; /* tenet_portcache */
	int vstats_fd;                  /* tenet_vstats (put_vsid zeroes slots) */
	bool own_fds;                   /* opened from pins: closed with it */
	int tc_prog_fd;
	struct nl nl;
};

/* Map and program fds come from the loaded datapath (not owned). */
int kernel_init(struct kernel *k, const struct tenet_datapath *dp);
/* The maps pinned in pin_dir, without loading anything (tenetd
 * --cleanup): a map that is not pinned reads as empty; no program. */
int kernel_init_pinned(struct kernel *k, const char *pin_dir);
void kernel_close(struct kernel *k);
void kernel_ops(struct kernel *k, struct knl_ops *ops);

#endif

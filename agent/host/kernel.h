/* SPDX-License-Identifier: GPL-2.0 */
/* The real kernel behind the reconciler's ops table: the pinned BPF maps,
 * rtnetlink and tenet's TC program. */
#ifndef TENETD_KERNEL_H
#define TENETD_KERNEL_H

#include "nl/nl.h"
#include "recon/ops.h"

struct tenet_datapath;

struct kernel {
	int map_fd[OBJ_NMAPS];
	int tc_prog_fd;
	struct nl nl;
};

/* Map and program fds come from the loaded datapath (not owned). */
int kernel_init(struct kernel *k, const struct tenet_datapath *dp);
void kernel_close(struct kernel *k);
void kernel_ops(struct kernel *k, struct knl_ops *ops);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* FRR's own client, vtysh, run as a program (posix_spawn, no shell): the
 * interface FRR gives for configuring it as a whole (-f FILE) and for
 * reading state as JSON (-c "show ... json"). pathspace is FRR's -N (its
 * sockets under /run/frr/NAME), "" or NULL for the default. */
#ifndef TENET_FRR_VTYSH_H
#define TENET_FRR_VTYSH_H

#include <stddef.h>

#include "util/errmsg.h"

#define FRR_VTYSH_DEFAULT "/usr/bin/vtysh"
#define FRR_RUN_DIR "/run/frr"

/* Run vtysh with -c cmd (or -f file when file is set), its standard
 * output into *out (malloc'd, NUL-terminated; may be NULL to discard).
 * 0, or -errno with vtysh's first output line in err when it exits
 * non-zero (-EIO) or cannot be run. */
int frr_vtysh(const char *pathspace, const char *cmd, const char *file, char **out,
	      struct tenet_err *err);

/* Apply configuration text as a whole: written to a private file, then
 * vtysh -f. */
int frr_vtysh_apply(const char *pathspace, const char *text, struct tenet_err *err);

/* FRR's run directory for a path space: /run/frr or /run/frr/NAME. */
int frr_run_dir(const char *pathspace, char *buf, size_t len);

#endif

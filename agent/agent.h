/* SPDX-License-Identifier: GPL-2.0 */
/* The tenetd daemon: loads the datapath with pinned maps, follows the
 * store (full resync, then watch) and reconciles; watches links and the
 * event ring buffer. */
#ifndef TENETD_AGENT_H
#define TENETD_AGENT_H

#include "config.h"

/* Run until SIGTERM/SIGINT. Returns the process exit status. */
int agent_run(const struct config_flags *flags);
/* Remove everything tenet put in the kernel for this host: XDP and TC
 * programs, PA addresses, provider routes, pinned maps. */
int agent_cleanup(const struct config_flags *flags);
/* tenetd --check: the configuration, its store and underlay. */
int agent_check(const struct config_flags *flags);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching tenet's programs: TC on ports (clsact ingress, fixed handle
 * and priority), XDP on the underlay through libxdp so that it coexists
 * with other XDP programs. Attachments outlive tenetd: nothing here runs
 * on exit, so a restart is hitless. */
#ifndef TENETD_ATTACH_H
#define TENETD_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/datapath.h"

/* Attach prog_fd as tenet's filter, replacing tenet's previous filter on
 * that port in one step (BPF_TC_F_REPLACE). */
int attach_tc(int prog_fd, uint32_t ifindex);
/* Whether tenet's filter is on ifindex's clsact ingress. */
bool tc_attached(uint32_t ifindex);
/* Remove tenet's filter (only tenet's: the clsact qdisc stays). */
int detach_tc(uint32_t ifindex);

/* The driver of a network device (ethtool's driver name: "veth", "ixgbe",
 * "virtio_net", ...) into buf. 0 or -errno. */
int link_driver(const char *ifname, char *buf, size_t len);

struct xdp_attach_info {
	uint32_t prog_id;
	const char *mode;       /* "native", "skb", ... */
	bool dispatcher;        /* in libxdp's dispatcher, next to others */
	int replaced;           /* tenet programs of an earlier agent replaced */
};

/* Load tenet's XDP object (maps pinned per dpo) and attach it to ifindex.
 * If tenet programs are attached already (an earlier agent), the new one
 * replaces them without a gap: in a libxdp dispatcher it is added first
 * and the old ones removed after, each step an atomic dispatcher swap; a
 * single legacy program is swapped with XDP_FLAGS_REPLACE. */
int attach_xdp(const struct tenet_datapath_opts *dpo, uint32_t ifindex,
	       struct xdp_attach_info *info);
/* Detach every tenet XDP program from ifindex. Returns how many. */
int detach_xdp(uint32_t ifindex);

#endif

// SPDX-License-Identifier: GPL-2.0
/* XDP_PASS, nothing else. The net tests attach it to the fabric's end of a
 * host's underlay veth where a real switch port would be: on kernel 6.1 a
 * veth only flushes XDP_TX frames (tenet's ARP replies inside NVGRE) to a
 * peer that has an XDP program; with GRO alone they wait for the peer's
 * next poll (lib.sh, fabric_xdp_pass). */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/* What operators watch the datapath through: per-tenant packet traces
 * (`tenet trace`), drop events (`tenet monitor`) and per-port drop
 * counters (`tenet stats port`). Shared by BPF (bpf/trace.h) and the CLI
 * (cli/trace.c, cli/monitor.c). See docs/operations.md.
 *
 * Selection happens in the datapath, per session: a session (a running
 * `tenet trace` or `tenet monitor`) holds one slot of tenet_trace, saying
 * which points and which routing domain / VSID it wants; frames that
 * match are copied with bpf_perf_event_output into tenet_trace_out at
 * index slot * TENET_TRACE_CPUS + cpu, where the session's perf buffers
 * are. With no session armed, the datapath reads one word per frame
 * (tenet_trace_ctl.armed, an array map value the verifier inlines) and
 * does nothing else: tracing off costs nothing measurable (make bench).
 *
 * These maps are additions: no existing key or value changed shape, so
 * they live beside the layout-2 pins (an older agent simply has none,
 * and `tenet trace` says so). */
#ifndef TENET_TRACE_H
#define TENET_TRACE_H

#include <linux/types.h>

#define TENET_MAP_TRACE "tenet_trace"         /* array[1]: struct tenet_trace_ctl, mmapable */
#define TENET_MAP_TRACE_OUT "tenet_trace_out" /* perf event array */
#define TENET_MAP_PORT_DROPS "tenet_pdrops"   /* LRU per-CPU hash: ifindex -> tenet_drop_val */

/* Sessions at once per host, and the CPUs a session can hear: a frame
 * handled on a CPU at or above TENET_TRACE_CPUS is not copied. */
#define TENET_TRACE_SLOTS 8
#define TENET_TRACE_CPUS 512

/* Where a frame was seen. */
enum tenet_trace_point {
	TENET_TP_PORT = 1,      /* from a port (TC ingress), as the VM sent it */
	TENET_TP_ENCAP = 2,     /* the same frame NVGRE-encapsulated, leaving for the underlay */
	TENET_TP_DECAP = 3,     /* NVGRE from the underlay accepted for a local port,
				 * outer headers still on */
	TENET_TP_DROP = 4,      /* dropped, with its reason */
	TENET_TP_MAX,
};
#define TENET_TP_BIT(p) (1u << (p))
#define TENET_TP_ALL (TENET_TP_BIT(TENET_TP_PORT) | TENET_TP_BIT(TENET_TP_ENCAP) | \
		      TENET_TP_BIT(TENET_TP_DECAP) | TENET_TP_BIT(TENET_TP_DROP))

/* A slot's life: a CLI claims a FREE slot (compare-and-swap on state),
 * fills in its selection, opens its perf buffers, then ARMs it and sets
 * its bit in armed. On exit it clears both. A datapath that finds no
 * perf buffer at the slot's index (its reader died: the kernel removes a
 * process's perf entries when its map fd closes) marks the slot GONE and
 * stops copying to it; the next CLI to start reaps GONE slots and slots
 * whose owner pid is dead. */
enum tenet_trace_state {
	TENET_TRACE_FREE = 0,
	TENET_TRACE_CLAIMED = 1,
	TENET_TRACE_ARMED = 2,
	TENET_TRACE_GONE = 3,
};

struct tenet_trace_slot {
	__u32 state;            /* enum tenet_trace_state */
	__u32 pid;              /* the session's process */
	__u32 points;           /* TENET_TP_BIT()s wanted */
	__u32 rdomain;          /* routing domain id, 0: any */
	__u32 vsid;             /* 0: any */
	__u32 snaplen;          /* frame bytes copied at most */
	__u32 pad[2];
};
_Static_assert(sizeof(struct tenet_trace_slot) == 32, "tenet_trace_slot layout");

struct tenet_trace_ctl {
	__u32 armed;            /* bit i: slot i is armed; 0: tracing off */
	__u32 pad;
	struct tenet_trace_slot slot[TENET_TRACE_SLOTS];
};
_Static_assert(sizeof(struct tenet_trace_ctl) == 8 + 32 * TENET_TRACE_SLOTS,
	       "tenet_trace_ctl layout");

/* Each perf sample: this header, then caplen bytes of the frame. */
struct tenet_trace_hdr {
	__u64 ts;               /* bpf_ktime_get_ns() */
	__u8 point;             /* enum tenet_trace_point */
	__u8 hook;              /* TENET_TRACE_HOOK_* */
	__u16 reason;           /* enum tenet_drop_reason at TENET_TP_DROP */
	__u32 ifindex;          /* the device the frame is on (a port, the underlay) */
	__u32 port;             /* the tenant's port: the sender at PORT, ENCAP and a
				 * port's DROP, the receiver at DECAP; 0 unknown */
	__u32 vsid;             /* 0 when not known yet (an early drop) */
	__u32 rdomain;          /* routing domain id, 0 when not known */
	__u32 len;              /* the frame's length */
	__u32 caplen;           /* bytes that follow */
	__u32 pad;
};
_Static_assert(sizeof(struct tenet_trace_hdr) == 40, "tenet_trace_hdr layout");

#define TENET_TRACE_HOOK_TC 0
#define TENET_TRACE_HOOK_XDP 1

#endif

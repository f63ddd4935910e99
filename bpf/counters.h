/* SPDX-License-Identifier: GPL-2.0 */
/* Accounting: per-CPU drop counters per reason, per-VSID traffic counters,
 * and the event ring buffer the agent reads. */
#ifndef TENET_BPF_COUNTERS_H
#define TENET_BPF_COUNTERS_H

#include "common.h"
#include "maps.h"

/* A VSID's counters by the slot tenetd gave it (struct tenet_vsid_val,
 * copied into its ports' entries): an array lookup, not a hash lookup by
 * VSID. Slot 0: none, not counted. */
static __always_inline struct tenet_vstats_val *vstats_get(__u32 slot)
{
	if (!slot)
		return NULL;
	return bpf_map_lookup_elem(&tenet_vstats, &slot);
}

/* The slot of a VSID none of the frame's entries carries: a routed frame
 * delivered to a local port of another subnet costs this tenet_vsid
 * lookup (switched frames and decap have the slot already). */
static __always_inline __u32 vsid_stats_slot(__u32 vsid)
{
	struct tenet_vsid_val *v = bpf_map_lookup_elem(&tenet_vsid, &vsid);

	return v ? v->stats_slot : 0;
}

static __always_inline void count_rx(__u32 slot, __u32 bytes)
{
	struct tenet_vstats_val *v = vstats_get(slot);

	if (v) {
		v->rx_packets++;
		v->rx_bytes += bytes;
	}
}

static __always_inline void count_tx(__u32 slot, __u32 bytes)
{
	struct tenet_vstats_val *v = vstats_get(slot);

	if (v) {
		v->tx_packets++;
		v->tx_bytes += bytes;
	}
}

/* Count a drop per reason, and against the VSID of counter slot `slot`:
 * 0 when the frame could not be tied to a VSID that has one. */
static __always_inline void count_drop(enum tenet_drop_reason reason, __u32 slot,
				       __u32 bytes)
{
	__u32 key = reason;
	struct tenet_drop_val *d = bpf_map_lookup_elem(&tenet_drops, &key);
	struct tenet_vstats_val *v;

	if (tenet_record_redirect)
		tenet_last_drop = reason;
	if (d) {
		d->packets++;
		d->bytes += bytes;
	}
	v = vstats_get(slot);
	if (v)
		v->drops++;
}

/* Events are best effort: a full ring drops the event, never the packet. */
static __always_inline void emit_event(__u16 type, __u16 reason, __u32 ifindex,
				       __u32 vsid, __be32 ip, __be32 pa,
				       const __u8 *mac)
{
	struct tenet_event *e;

	e = bpf_ringbuf_reserve(&tenet_events, sizeof(*e), 0);
	if (!e)
		return;
	e->type = type;
	e->reason = reason;
	e->ifindex = ifindex;
	e->vsid = vsid;
	e->ip = ip;
	e->pa = pa;
	mac_copy(e->mac, mac);
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

#endif

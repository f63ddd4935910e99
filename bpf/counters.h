/* SPDX-License-Identifier: GPL-2.0 */
/* Accounting: per-CPU drop counters per reason, per-VSID traffic counters,
 * and the event ring buffer the agent reads. */
#ifndef TENET_BPF_COUNTERS_H
#define TENET_BPF_COUNTERS_H

#include "common.h"
#include "maps.h"

static __always_inline struct tenet_vstats_val *vstats_get(__u32 vsid)
{
	struct tenet_vstats_val *v, zero = {};

	v = bpf_map_lookup_elem(&tenet_vstats, &vsid);
	if (v)
		return v;
	/* First packet of this VSID on this host. NOEXIST: a racing CPU that
	 * created it first wins and we use its entry. */
	bpf_map_update_elem(&tenet_vstats, &vsid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&tenet_vstats, &vsid);
}

static __always_inline void count_rx(__u32 vsid, __u32 bytes)
{
	struct tenet_vstats_val *v = vstats_get(vsid);

	if (v) {
		v->rx_packets++;
		v->rx_bytes += bytes;
	}
}

static __always_inline void count_tx(__u32 vsid, __u32 bytes)
{
	struct tenet_vstats_val *v = vstats_get(vsid);

	if (v) {
		v->tx_packets++;
		v->tx_bytes += bytes;
	}
}

/* Count a drop; vsid 0 when the frame could not be tied to a VSID. */
static __always_inline void count_drop(enum tenet_drop_reason reason, __u32 vsid,
				       __u32 bytes)
{
	__u32 key = reason;
	struct tenet_drop_val *d = bpf_map_lookup_elem(&tenet_drops, &key);

	if (tenet_record_redirect)
		tenet_last_drop = reason;
	if (d) {
		d->packets++;
		d->bytes += bytes;
	}
	if (vsid) {
		struct tenet_vstats_val *v = vstats_get(vsid);

		if (v)
			v->drops++;
	}
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

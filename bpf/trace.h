/* SPDX-License-Identifier: GPL-2.0 */
/* What operators watch the datapath through (headers/tenet/trace.h):
 * frames copied to `tenet trace` and `tenet monitor` sessions, selected
 * here per routing domain and VSID, and drops counted per port.
 *
 * The entries call these at their points (port ingress, after an encap,
 * before a decap, at a drop). Each begins with the one test that tracing
 * off costs: the armed word of tenet_trace, read through a pointer the
 * entry looked up once (an array map, inlined by the verifier). */
#ifndef TENET_BPF_TRACE_H
#define TENET_BPF_TRACE_H

#include "common.h"
#include <tenet/trace.h>

#ifndef ENOENT
#define ENOENT 2
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct tenet_trace_ctl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_trace SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, TENET_TRACE_SLOTS * TENET_TRACE_CPUS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_trace_out SEC(".maps");

/* Drops of frames a port sent, per port; only touched when dropping. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, TENET_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct tenet_drop_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_pdrops SEC(".maps");

static __always_inline struct tenet_trace_ctl *trace_ctl(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&tenet_trace, &k);
}

/* Is any session armed? The whole cost of tracing when it is off. */
static __always_inline int trace_on(const struct tenet_trace_ctl *t)
{
	return t && t->armed;
}

/* Copy the frame of ctx (an skb or an XDP buffer) with header h to every
 * armed session that wants it. Only called with trace_on(). */
static __always_inline void trace_emit(void *ctx, struct tenet_trace_ctl *t,
				       struct tenet_trace_hdr *h)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u32 armed = t->armed;

	if (cpu >= TENET_TRACE_CPUS)
		return;
	h->ts = bpf_ktime_get_ns();
#pragma unroll
	for (__u32 i = 0; i < TENET_TRACE_SLOTS; i++) {
		struct tenet_trace_slot *s = &t->slot[i];
		__u64 cap;
		long rc;

		if (!(armed & (1u << i)) || s->state != TENET_TRACE_ARMED)
			continue;
		if (!(s->points & TENET_TP_BIT(h->point)))
			continue;
		if ((s->rdomain && s->rdomain != h->rdomain) || (s->vsid && s->vsid != h->vsid))
			continue;
		cap = h->len < s->snaplen ? h->len : s->snaplen;
		cap &= 0xffff;
		h->caplen = cap;
		rc = bpf_perf_event_output(ctx, &tenet_trace_out,
					   (cap << 32) | (i * TENET_TRACE_CPUS + cpu), h,
					   sizeof(*h));
		/* No buffer there: its reader is gone (or never opened this
		 * CPU). Stop trying; the next session reaps the slot. */
		if (rc == -ENOENT)
			s->state = TENET_TRACE_GONE;
	}
}

/* A frame at a point of an skb program (tenet_tc_port, tenet_tc_underlay). */
static __always_inline void trace_skb(struct __sk_buff *skb, struct tenet_trace_ctl *t,
				      __u8 point, __u16 reason, __u32 port, __u32 vsid,
				      __u32 rdomain)
{
	struct tenet_trace_hdr h = {
		.point = point,
		.hook = TENET_TRACE_HOOK_TC,
		.reason = reason,
		.ifindex = skb->ifindex,
		.port = port,
		.vsid = vsid,
		.rdomain = rdomain,
		.len = skb->len,
	};

	if (trace_on(t))
		trace_emit(skb, t, &h);
}

/* The same at XDP (tenet_xdp_underlay). */
static __always_inline void trace_xdp(struct xdp_md *ctx, struct tenet_trace_ctl *t,
				      __u8 point, __u16 reason, __u32 port, __u32 vsid,
				      __u32 rdomain)
{
	struct tenet_trace_hdr h = {
		.point = point,
		.hook = TENET_TRACE_HOOK_XDP,
		.reason = reason,
		.ifindex = ctx->ingress_ifindex,
		.port = port,
		.vsid = vsid,
		.rdomain = rdomain,
		.len = (__u32)(ctx->data_end - ctx->data),
	};

	if (trace_on(t))
		trace_emit(ctx, t, &h);
}

/* A frame from a port was dropped: counted for the port (`tenet stats
 * port`) and shown to the sessions that watch drops. */
static __always_inline void port_drop(struct __sk_buff *skb, struct tenet_trace_ctl *t,
				      __u16 reason, __u32 len, __u32 vsid, __u32 rdomain)
{
	__u32 ifindex = skb->ifindex;
	struct tenet_drop_val *d, one = { 1, len };

	d = bpf_map_lookup_elem(&tenet_pdrops, &ifindex);
	if (d) {
		d->packets++;
		d->bytes += len;
	} else {
		bpf_map_update_elem(&tenet_pdrops, &ifindex, &one, BPF_NOEXIST);
	}
	trace_skb(skb, t, TENET_TP_DROP, reason, ifindex, vsid, rdomain);
}

#endif

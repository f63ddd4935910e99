// SPDX-License-Identifier: GPL-2.0
/* XDP on the underlay NIC: NVGRE decapsulation and delivery to local ports.
 * Everything that is not NVGRE for one of our PAs passes untouched. */
#include "common.h"
#include "maps.h"
#include "counters.h"
#include "decap.h"
#include "arp.h"
#include "trace.h"

SEC("xdp")
int tenet_xdp_underlay(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct tenet_trace_ctl *trace;
	struct decap_result res = {};
	__u32 len = data_end - data;
	struct decap_in in = { .len = len };
	enum decap_verdict v;
	int verdict;

	v = decap_classify(data, data_end, &in, &res);
	switch (v) {
	case DECAP_PASS:
		return XDP_PASS;
	case DECAP_DROP:
		count_drop(res.reason, res.slot, len);
		trace_xdp(ctx, trace_ctl(), TENET_TP_DROP, res.reason, 0, res.vsid, res.rdomain);
		return XDP_DROP;
	case DECAP_ARP:
	case DECAP_DELIVER:
		break;
	}
	/* Bytes past the outer IPv4 total length are not the datagram's. */
	if (res.trim && bpf_xdp_adjust_tail(ctx, -(int)res.trim)) {
		count_drop(TENET_DROP_TRUNCATED, res.slot, len);
		return XDP_DROP;
	}
	if (v == DECAP_ARP) {
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		verdict = arp_from_underlay(data, data_end, &res);
		if (verdict == XDP_DROP) {
			count_drop(res.reason, res.slot, len);
			trace_xdp(ctx, trace_ctl(), TENET_TP_DROP, res.reason, 0, res.vsid,
				  res.rdomain);
		}
		if (verdict != ARP_UL_DELIVER)
			return verdict;
	}
	trace = trace_ctl();
	trace_xdp(ctx, trace, TENET_TP_DECAP, 0, res.ifindex, res.vsid, res.rdomain);
	if (bpf_xdp_adjust_head(ctx, (int)res.outer_len)) {
		count_drop(TENET_DROP_TRUNCATED, res.slot, len);
		trace_xdp(ctx, trace, TENET_TP_DROP, TENET_DROP_TRUNCATED, res.ifindex, res.vsid,
			  res.rdomain);
		return XDP_DROP;
	}
	count_rx(res.slot, len - res.outer_len - res.trim);
	note_redirect(res.ifindex);
	return bpf_redirect(res.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";

/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by `tenet trace` (trace.c) and `tenet monitor` (monitor.c): a
 * session with the datapath's trace points (session.c), the frame
 * decoder for text and JSON (decode.c) and the capture file writers
 * (pcapw.c). See headers/tenet/trace.h for the datapath's side. */
#ifndef TENET_CLI_TRACE_H
#define TENET_CLI_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <tenet/trace.h>

#include "cli_int.h"

/* ---- a session: one slot of tenet_trace and its perf buffers ---- */

typedef void (*cli_frame_fn)(void *arg, const struct tenet_trace_hdr *h, const uint8_t *frame);

struct cli_session {
	int ctl_fd, out_fd;
	struct tenet_trace_ctl *ctl;    /* the map value, mmap'ed */
	size_t map_len;
	int slot;                       /* -1: none claimed */
	struct perf_buffer *pb;
	cli_frame_fn cb;
	void *arg;
	uint64_t lost;                  /* samples the kernel dropped (buffers full) */
	int64_t mono_to_real_ns;        /* add to a datapath timestamp: Unix time */
};

/* Claims a slot of host's datapath for frames at points (TENET_TP_BIT()s)
 * of routing domain rdomain (0: any) and VSID vsid (0: any), up to
 * snaplen bytes each, and arms it. Prints its error; 0 or exit code. */
int cli_session_open(struct cli *c, const char *host, uint32_t points, uint32_t rdomain,
		     uint32_t vsid, uint32_t snaplen, cli_frame_fn cb, void *arg,
		     struct cli_session *s);
/* The fd to poll (readable: frames are waiting). */
int cli_session_fd(const struct cli_session *s);
/* Hands waiting frames to the callback; -errno on failure. */
int cli_session_read(struct cli_session *s);
/* Still armed? A session the datapath gave up on (its buffers vanished)
 * is not. */
bool cli_session_alive(const struct cli_session *s);
void cli_session_close(struct cli_session *s);

/* Set by SIGINT, SIGTERM and SIGHUP once cli_stop_on_signals() ran: the
 * loops of trace and monitor end, their files complete. */
extern volatile int cli_stop;
void cli_stop_on_signals(void);

/* ---- decoding ---- */

struct cli_l3 {
	bool ip, arp;
	uint32_t src, dst;              /* IPv4, network order */
	uint8_t proto;
	bool ports;                     /* TCP/UDP, unfragmented */
	uint16_t sport, dport;          /* host order */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint8_t tcp_flags;
	uint16_t arp_op;
	uint16_t ip_len;                /* IPv4 total length */
};

struct cli_frame {
	uint8_t dmac[6], smac[6];
	uint16_t ethertype;             /* after an optional 802.1Q tag */
	uint16_t vlan;                  /* 0: none */
	bool nvgre;                     /* outer IPv4 + GRE 0x6558 */
	uint32_t outer_src, outer_dst;
	uint32_t key;                   /* GRE key: VSID << 8 | FlowID */
	struct cli_l3 outer;            /* the frame's own L3 */
	/* NVGRE: the inner frame */
	uint8_t in_dmac[6], in_smac[6];
	uint16_t in_ethertype;
	struct cli_l3 inner;
};

/* Decodes an Ethernet frame (raw: an IPv4 packet without link header). */
void cli_decode(const uint8_t *p, size_t len, bool raw, struct cli_frame *f);
/* The tenant's flow: the inner L3 of NVGRE, else the frame's own. */
const struct cli_l3 *cli_frame_flow(const struct cli_frame *f);
/* tcpdump-like summary: "10.0.0.5 > 10.0.0.7: ICMP echo request, id 3, seq 1";
 * NVGRE frames "192.168.4.11 > 192.168.4.22: NVGRE vsid 5001 flow 0x2a: ...". */
void cli_frame_text(const struct cli_frame *f, FILE *out);
/* The 5-tuple as JSON members of o: proto, src, dst, sport, dport (and
 * for NVGRE outer_src, outer_dst, key_vsid). */
void cli_frame_json(const struct cli_frame *f, json_t *o);
const char *cli_proto_name(uint8_t proto);

/* "HH:MM:SS.uuuuuu" of a Unix time in ns, local time. */
void cli_fmt_time(int64_t ns, char buf[32]);

/* ---- capture files ---- */

struct cli_capture;
/* FILE ending in .pcapng: pcapng with one interface per device and a
 * comment per frame (point, port, VSID, routing domain, drop reason);
 * else classic pcap through libpcap (Ethernet only). */
int cli_capture_open(struct cli *c, const char *path, uint32_t snaplen,
		     struct cli_capture **out);
/* linktype: DLT_EN10MB or DLT_RAW; comment may be NULL. */
int cli_capture_write(struct cli_capture *cap, const char *ifname, int linktype, int64_t ts_ns,
		      const uint8_t *data, uint32_t caplen, uint32_t len, bool outbound,
		      const char *comment);
void cli_capture_close(struct cli_capture *cap);

/* A device's name in this network namespace ("if7" when it has none). */
const char *cli_ifname_of(uint32_t ifindex, char buf[16]);

#endif

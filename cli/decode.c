// SPDX-License-Identifier: GPL-2.0
/* Frames as `tenet trace` and `tenet monitor` print them: Ethernet, an
 * optional 802.1Q tag, IPv4 (ICMP, TCP, UDP) or ARP, and NVGRE with the
 * tenant's frame inside, decoded with bounds checks on the bytes copied
 * (a capture may be cut at its snap length). */
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include <tenet/nvgre.h>

#include "cli_trace.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* L3 at p (len bytes) of ethertype. */
static void decode_l3(const uint8_t *p, size_t len, uint16_t ethertype, struct cli_l3 *l)
{
	size_t ihl;

	memset(l, 0, sizeof(*l));
	if (ethertype == 0x0806) {
		l->arp = len >= 28;
		if (l->arp) {
			l->arp_op = rd16(p + 6);
			memcpy(&l->src, p + 14, 4);
			memcpy(&l->dst, p + 24, 4);
		}
		return;
	}
	if (ethertype != 0x0800 || len < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl)
		return;
	l->ip = true;
	l->ip_len = rd16(p + 2);
	l->proto = p[9];
	memcpy(&l->src, p + 12, 4);
	memcpy(&l->dst, p + 16, 4);
	if (rd16(p + 6) & 0x3fff)
		return;         /* a fragment: no L4 header to read (or not this one) */
	p += ihl;
	len -= ihl;
	if ((l->proto == IPPROTO_TCP || l->proto == IPPROTO_UDP) && len >= 4) {
		l->ports = true;
		l->sport = rd16(p);
		l->dport = rd16(p + 2);
		if (l->proto == IPPROTO_TCP && len >= 14)
			l->tcp_flags = p[13];
	} else if (l->proto == IPPROTO_ICMP && len >= 8) {
		l->icmp_type = p[0];
		l->icmp_code = p[1];
		l->icmp_id = rd16(p + 4);
		l->icmp_seq = rd16(p + 6);
	}
}

/* Ethernet header (and a tag) at p: the payload offset, 0 if too short. */
static size_t decode_eth(const uint8_t *p, size_t len, uint8_t *dmac, uint8_t *smac,
			 uint16_t *type, uint16_t *vlan)
{
	size_t off = 14;

	if (len < 14)
		return 0;
	memcpy(dmac, p, 6);
	memcpy(smac, p + 6, 6);
	*type = rd16(p + 12);
	if (*type == 0x8100 && len >= 18) {
		if (vlan)
			*vlan = rd16(p + 14) & 0xfff;
		*type = rd16(p + 16);
		off = 18;
	}
	return off;
}

void cli_decode(const uint8_t *p, size_t len, bool raw, struct cli_frame *f)
{
	size_t off = 0, ihl, in;

	memset(f, 0, sizeof(*f));
	if (raw) {
		f->ethertype = 0x0800;
	} else {
		off = decode_eth(p, len, f->dmac, f->smac, &f->ethertype, &f->vlan);
		if (!off)
			return;
	}
	decode_l3(p + off, len - off, f->ethertype, &f->outer);
	if (!f->outer.ip || f->outer.proto != NVGRE_IPPROTO)
		return;
	ihl = (size_t)(p[off] & 0xf) * 4;
	in = off + ihl;
	if (len < in + 8 || rd16(p + in + 2) != NVGRE_PROTO_TEB)
		return;
	f->nvgre = true;
	f->outer_src = f->outer.src;
	f->outer_dst = f->outer.dst;
	f->key = rd32(p + in + 4);
	in += 8;
	off = decode_eth(p + in, len - in, f->in_dmac, f->in_smac, &f->in_ethertype, NULL);
	if (off)
		decode_l3(p + in + off, len - in - off, f->in_ethertype, &f->inner);
}

const struct cli_l3 *cli_frame_flow(const struct cli_frame *f)
{
	return f->nvgre ? &f->inner : &f->outer;
}

const char *cli_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case NVGRE_IPPROTO: return "gre";
	default: return NULL;
	}
}

static const char *ip(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void l3_text(const struct cli_l3 *l, uint16_t ethertype, FILE *out)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const char *pn;

	if (l->arp) {
		if (l->arp_op == 1)
			fprintf(out, "ARP, Request who-has %s tell %s", ip(l->dst, a), ip(l->src, b));
		else if (l->arp_op == 2)
			fprintf(out, "ARP, Reply %s is-at (to %s)", ip(l->src, a), ip(l->dst, b));
		else
			fprintf(out, "ARP, op %u", l->arp_op);
		return;
	}
	if (!l->ip) {
		fprintf(out, "ethertype 0x%04x", ethertype);
		return;
	}
	if (l->ports) {
		fprintf(out, "%s.%u > %s.%u: %s", ip(l->src, a), l->sport, ip(l->dst, b), l->dport,
			l->proto == IPPROTO_TCP ? "TCP" : "UDP");
		if (l->proto == IPPROTO_TCP)
			fprintf(out, " flags [%s%s%s%s%s]", l->tcp_flags & 0x02 ? "S" : "",
				l->tcp_flags & 0x01 ? "F" : "", l->tcp_flags & 0x04 ? "R" : "",
				l->tcp_flags & 0x08 ? "P" : "", l->tcp_flags & 0x10 ? "." : "");
		fprintf(out, ", length %u", l->ip_len);
		return;
	}
	fprintf(out, "%s > %s: ", ip(l->src, a), ip(l->dst, b));
	if (l->proto == IPPROTO_ICMP) {
		if (l->icmp_type == 8 || l->icmp_type == 0)
			fprintf(out, "ICMP echo %s, id %u, seq %u", l->icmp_type ? "request" : "reply",
				l->icmp_id, l->icmp_seq);
		else
			fprintf(out, "ICMP type %u code %u", l->icmp_type, l->icmp_code);
	} else {
		pn = cli_proto_name(l->proto);
		if (pn)
			fprintf(out, "%s", pn);
		else
			fprintf(out, "ip-proto-%u", l->proto);
	}
	fprintf(out, ", length %u", l->ip_len);
}

void cli_frame_text(const struct cli_frame *f, FILE *out)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (f->nvgre) {
		fprintf(out, "%s > %s: NVGRE vsid %u flow 0x%02x: ", ip(f->outer_src, a),
			ip(f->outer_dst, b), f->key >> 8, f->key & 0xff);
		l3_text(&f->inner, f->in_ethertype, out);
		return;
	}
	l3_text(&f->outer, f->ethertype, out);
}

void cli_frame_json(const struct cli_frame *f, json_t *o)
{
	const struct cli_l3 *l = cli_frame_flow(f);
	char a[INET_ADDRSTRLEN];
	const char *pn;

	if (f->nvgre) {
		json_object_set_new(o, "outer_src", json_string(ip(f->outer_src, a)));
		json_object_set_new(o, "outer_dst", json_string(ip(f->outer_dst, a)));
		json_object_set_new(o, "key_vsid", json_integer(f->key >> 8));
	}
	if (l->arp) {
		json_object_set_new(o, "proto", json_string("arp"));
		json_object_set_new(o, "src", json_string(ip(l->src, a)));
		json_object_set_new(o, "dst", json_string(ip(l->dst, a)));
		return;
	}
	if (!l->ip)
		return;
	pn = cli_proto_name(l->proto);
	if (pn)
		json_object_set_new(o, "proto", json_string(pn));
	else
		json_object_set_new(o, "proto", json_integer(l->proto));
	json_object_set_new(o, "src", json_string(ip(l->src, a)));
	json_object_set_new(o, "dst", json_string(ip(l->dst, a)));
	if (l->ports) {
		json_object_set_new(o, "sport", json_integer(l->sport));
		json_object_set_new(o, "dport", json_integer(l->dport));
	}
}

void cli_fmt_time(int64_t ns, char buf[32])
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&s, &tm);
	snprintf(buf, 32, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(ns % 1000000000) / 1000);
}

const char *cli_ifname_of(uint32_t ifindex, char buf[16])
{
	if (!ifindex || !if_indextoname(ifindex, buf))
		snprintf(buf, 16, "if%u", ifindex);
	return buf;
}

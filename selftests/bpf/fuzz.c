// SPDX-License-Identifier: GPL-2.0
/* Randomized isolation test of the datapath (issue 13), with the real
 * programs through BPF_PROG_TEST_RUN, in the packet-test namespace and
 * topology (Contoso 5001/6001/5002 with ports p1-p3, Woodgrove 7001 with
 * p4, the same CAs; selftests/bpf/topo.c). Woodgrove is the attacking
 * tenant.
 *
 * Fabric stream: frames from the provider network, made from the NVGRE a
 * legitimate sender would send (each tenant's remote VMs, routed frames,
 * the forwarding gateway's, ARP) and then mutated: outer MACs, tags,
 * every IPv4 field, options, total length, checksum, trailers, cuts, GRE
 * bits and protocol, VSIDs, inner MACs, ethertypes and lengths, random
 * byte flips, and wholly random frames. Each frame runs through both
 * decap hooks (tenet_xdp_underlay and tenet_tc_underlay) and through a
 * reference decision written here from the RFCs and docs/datapath.md's
 * table. Checked for every frame:
 *   - both hooks decide the same: verdict, port, drop reason, bytes;
 *   - the decision is the reference's, and a frame that reaches a VM is
 *     byte for byte the inner frame its sender encapsulated (nothing
 *     appended, cut or left tagged); a passed frame is untouched;
 *   - no frame of the attacking tenant (its VSID in the key, or, in strict
 *     mode, a Woodgrove sender MAC inside) reaches a Contoso VM.
 * Strict mode and the PA's VLAN (untagged or 42) change every 1000 frames.
 *
 * Port stream: frames a Woodgrove VM (p4) sends, all carrying a marker:
 * random MACs (Contoso's among them), ethertypes, tags, addresses (the
 * same CAs as Contoso's), TTLs, ARP, lengths. Checked: nothing goes to a
 * Contoso port or to the host stack; whatever is encapsulated carries
 * Woodgrove's VSID and, received back by a host (both decap hooks), never
 * reaches a Contoso VM and reaches a Woodgrove VM byte for byte as sent;
 * no copy leaves through a Contoso port's device (learning's clones, with
 * l2only records of both tenants present, are read on the far ends).
 *
 * usage: pkt_test --fuzz [-s SEED] [-n FRAMES] [-f FRAME] [-v]
 *   -s  seed (default: from the clock; always printed)
 *   -n  frames (default 1000000: 3/4 fabric, 1/4 port)
 *   -f  replay one frame of the seed, with dumps
 * A failure prints the seed and frame number to replay it. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tenet/limits.h>
#include <tenet/maps.h>
#include <tenet/drop.h>
#include "frame.h"
#include "topo.h"

#define MARK "TENET-FUZZ-WOODGROVE"
#define MARK_LEN (sizeof(MARK) - 1)

/* ---- seeded randomness (splitmix64: the same stream everywhere) ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

/* true pct times in 100 */
static bool chance(struct rng *r, uint32_t pct)
{
	return below(r, 100) < pct;
}

static void rnd_bytes(struct rng *r, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(r);
}

/* ---- the program runs ---- */

enum cls { C_PASS, C_DROP, C_DELIVER, C_TX, C_OTHER };
static const char *const cls_name[] = { "pass", "drop", "deliver", "answer", "other" };

struct result {
	enum cls cls;
	__u32 verdict;
	__u32 port;          /* ifindex delivered to */
	__u32 reason;        /* drop reason */
	uint8_t out[FRAME_MAX + 256];
	__u32 out_len;
	bool refused;        /* the kernel refused the test run (short skb) */
};

struct fz {
	int xdp_fd, tcu_fd, tcp_fd;
	__u32 ul0, p[4];
	bool strict;
	uint16_t pa_vlan;
	bool verbose;
	uint64_t seed;
	/* statistics */
	uint64_t n_fabric, n_port, by_cls[C_OTHER + 1], by_reason[TENET_DROP_MAX];
	uint64_t delivered_marked_w, port_encap, port_reflected_w, tc_refused, failures;
};

static struct fz F;

static int test_run(int fd, bool tc, __u32 ifindex, const uint8_t *in, size_t len,
		    struct result *r)
{
	struct __sk_buff skb = { .ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	volatile __u32 *redir = tc ? &topo.dp.tc->bss->tenet_redirect_ifindex
				   : &topo.dp.xdp->bss->tenet_redirect_ifindex;
	volatile __u32 *drop = tc ? &topo.dp.tc->bss->tenet_last_drop
				  : &topo.dp.xdp->bss->tenet_last_drop;

	if (tc) {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	*redir = 0;
	*drop = 0;
	r->refused = false;
	if (bpf_prog_test_run_opts(fd, &o)) {
		if (errno == EINVAL && tc) {
			r->refused = true;
			return 0;
		}
		return -errno;
	}
	r->verdict = o.retval;
	r->out_len = o.data_size_out;
	r->port = 0;
	r->reason = 0;
	if (!tc) {
		r->cls = o.retval == XDP_PASS ? C_PASS : o.retval == XDP_DROP ? C_DROP :
			 o.retval == XDP_TX ? C_TX : o.retval == XDP_REDIRECT ? C_DELIVER : C_OTHER;
	} else {
		r->cls = o.retval == TC_ACT_OK ? C_PASS : o.retval == TC_ACT_SHOT ? C_DROP :
			 o.retval == TC_ACT_REDIRECT ? C_DELIVER : C_OTHER;
	}
	if (r->cls == C_DELIVER) {
		r->port = *redir;
		/* TC answers by a redirect back out of the underlay. */
		if (tc && r->port == F.ul0) {
			r->cls = C_TX;
			r->port = 0;
		}
	}
	if (r->cls == C_DROP)
		r->reason = *drop;
	return 0;
}

/* ---- the reference decision for a frame from the underlay ---- */

struct expect {
	enum cls cls;
	__u32 port;
	__u32 reason;
	uint8_t out[FRAME_MAX];
	size_t out_len;
};

static const uint8_t *B;      /* the frame under judgement */
static size_t BLEN;

static uint16_t be16at(size_t off)
{
	return (uint16_t)(B[off] << 8 | B[off + 1]);
}

static int lookup(struct bpf_map *m, const void *k, void *v)
{
	return bpf_map_lookup_elem(bpf_map__fd(m), k, v);
}

static enum cls drop(struct expect *e, __u32 reason)
{
	e->cls = C_DROP;
	e->reason = reason;
	return C_DROP;
}

/* RFC 1071 over the header as it is: 0 when its checksum holds. */
static bool hdr_csum_ok(size_t off, size_t len)
{
	return csum16(B + off, len) == 0;
}

/* The lookup record a routed frame's source CA is reached through (its
 * own, or a customer route's next hop's), by docs/datapath.md. */
static bool route_record(__u32 rd, __be32 ip, struct tenet_ca_val *rec)
{
	struct tenet_ca_key ck = { .rdomain = rd, .ip = ip };
	struct tenet_route_lens lens;
	struct tenet_route_val rt;

	if (!lookup(TOPO_MAPS.tenet_ca, &ck, rec))
		goto found;
	if (lookup(TOPO_MAPS.tenet_route_lens, &rd, &lens))
		return false;
	for (int plen = 32; plen >= 0; plen--) {
		struct tenet_route_key k = { .rdomain = rd, .plen = (__u32)plen };
		uint32_t h = ntohl(ip);

		if (!(lens.bits & (1ull << plen)))
			continue;
		k.ip = htonl(plen ? h & (~0u << (32 - plen)) : 0);
		if (lookup(TOPO_MAPS.tenet_route, &k, &rt))
			continue;
		if (!rt.nexthop)
			return false;
		ck.ip = rt.nexthop;
		if (lookup(TOPO_MAPS.tenet_ca, &ck, rec))
			return false;
		goto found;
	}
	return false;
found:
	return rec->type != TENET_LOOKUP_L2ONLY;
}

/* Strict source: the sender's record is remote, at the outer source. */
static bool strict_ok(__u32 vsid, __u32 rd, size_t inner, size_t end, __be32 osrc)
{
	struct tenet_vmac_key mk = { .vsid = vsid };
	struct tenet_vmac_val mv;
	struct tenet_ca_val rec;
	__be32 sip;

	if (!F.strict)
		return true;
	if (memcmp(B + inner + 6, MAC_ROUTER, 6)) {
		memcpy(mk.mac, B + inner + 6, 6);
		return !lookup(TOPO_MAPS.tenet_mac, &mk, &mv) && !mv.ifindex && mv.pa == osrc;
	}
	if (be16at(inner + 12) != 0x0800 || inner + 14 + 20 > end)
		return false;
	memcpy(&sip, B + inner + 14 + 12, 4);
	return route_record(rd, sip, &rec) && !rec.ifindex && rec.pa == osrc;
}

/* An ARP inside NVGRE (no l2only records in this stream). */
static enum cls ref_arp(struct expect *e, size_t ip, size_t inner, size_t end, __u32 vsid,
			__u32 rd)
{
	size_t a = inner + 14;
	struct tenet_ca_key ck = { .rdomain = rd };
	struct tenet_ca_val rec;
	__be32 spa, tpa, tmp;
	uint16_t op;
	uint8_t *o = e->out;

	if (a + 28 > end)
		return drop(e, TENET_DROP_TRUNCATED);
	if (be16at(a) != 1 || be16at(a + 2) != 0x0800 || B[a + 4] != 6 || B[a + 5] != 4 ||
	    (B[ip] & 0xf) != 5)
		return drop(e, TENET_DROP_ARP_UNSUPPORTED);
	op = be16at(a + 6);
	memcpy(&spa, B + a + 14, 4);
	memcpy(&tpa, B + a + 24, 4);
	if (op == 1) {
		if (!spa || spa == tpa)
			return drop(e, TENET_DROP_ARP_ANNOUNCE);
		ck.ip = tpa;
		if (!lookup(TOPO_MAPS.tenet_ca, &ck, &rec) && rec.vsid == vsid && rec.ifindex) {
			/* The owner answers: the reply in place, back where
			 * the request came from (docs/datapath.md). */
			memcpy(o, B, end);
			e->out_len = end;
			memcpy(o, B + 6, 6);
			memcpy(o + 6, B, 6);
			memcpy(o + ip + 12, B + ip + 16, 4);
			memcpy(o + ip + 16, B + ip + 12, 4);
			o[ip + 8] = 64;
			o[ip + 4] = o[ip + 5] = 0;
			o[ip + 10] = o[ip + 11] = 0;
			{
				uint16_t c = csum16(o + ip, 20);

				o[ip + 10] = c >> 8;
				o[ip + 11] = c & 0xff;
			}
			memcpy(o + inner, B + a + 8, 6);      /* to the asker */
			memcpy(o + inner + 6, rec.mac, 6);
			o[a + 6] = 0;
			o[a + 7] = 2;
			memcpy(o + a + 18, B + a + 8, 6);     /* tha = asker */
			memcpy(&tmp, &spa, 4);
			memcpy(o + a + 24, &tmp, 4);          /* tpa = asker's IP */
			memcpy(o + a + 8, rec.mac, 6);        /* sha = the record */
			memcpy(o + a + 14, &tpa, 4);
			e->cls = C_TX;
			return C_TX;
		}
	} else if (op != 2) {
		return drop(e, TENET_DROP_ARP_UNSUPPORTED);
	}
	if (B[inner] & 1)
		return drop(e, op == 1 ? TENET_DROP_ARP_MISS : TENET_DROP_BCAST);
	/* Nobody asked: no VSID here has l2only records. */
	return drop(e, TENET_DROP_UL_ARP_NO_L2ONLY);
}

static enum cls ref_decap(struct expect *e)
{
	struct tenet_vsid_val vinfo;
	struct tenet_port_mac_val port;
	struct tenet_mac_key pk = {};
	uint16_t proto, tag_proto = 0, vid = 0, tot, flags;
	size_t ip, hlen, end, gre, inner;
	__u32 vsid;
	__be32 daddr, osrc;

	memset(e, 0, offsetof(struct expect, out));
	e->out_len = 0;
	if (BLEN < 14)
		return e->cls = C_PASS;
	proto = be16at(12);
	ip = 14;
	if (proto == 0x8100 || proto == 0x88a8) {
		if (BLEN < 18)
			return e->cls = C_PASS;
		tag_proto = proto;
		vid = be16at(14) & 0x0fff;
		proto = be16at(16);
		ip = 18;
	}
	if (proto != 0x0800 || BLEN < ip + 20 || B[ip] >> 4 != 4 || (B[ip] & 0xf) < 5)
		return e->cls = C_PASS;
	hlen = (B[ip] & 0xf) * 4u;
	if (BLEN < ip + hlen || B[ip + 9] != 47)
		return e->cls = C_PASS;
	memcpy(&daddr, B + ip + 16, 4);
	if (daddr != topo_be(PA_LOCAL))
		return e->cls = C_PASS;
	memcpy(&osrc, B + ip + 12, 4);

	if (memcmp(B, MAC_UL0, 6))
		return drop(e, TENET_DROP_OUTER_DST_MAC);
	if (vid != F.pa_vlan || (vid && tag_proto != 0x8100))
		return drop(e, TENET_DROP_OUTER_VLAN);
	if (!hdr_csum_ok(ip, hlen))
		return drop(e, TENET_DROP_OUTER_CSUM);
	tot = be16at(ip + 2);
	if (tot < hlen)
		return drop(e, TENET_DROP_OUTER_LEN);
	if (BLEN - ip < tot)
		return drop(e, TENET_DROP_TRUNCATED);
	end = ip + tot;
	if (be16at(ip + 6) & 0x3fff)
		return drop(e, TENET_DROP_OUTER_FRAG);
	gre = ip + hlen;
	if (gre + 8 > end)
		return drop(e, TENET_DROP_TRUNCATED);
	if (be16at(gre + 2) != 0x6558)
		return e->cls = C_PASS;
	flags = be16at(gre);
	if ((flags & 0xdc07) || !(flags & 0x2000))  /* C R S, bits 4-5, version; K */
		return drop(e, TENET_DROP_GRE_FLAGS);
	vsid = (uint32_t)be16at(gre + 4) << 8 | B[gre + 6];
	if (vsid < TENET_VSID_MIN || vsid > TENET_VSID_MAX)
		return drop(e, TENET_DROP_VSID_INVALID);
	if (lookup(TOPO_MAPS.tenet_vsid, &vsid, &vinfo))
		return drop(e, TENET_DROP_VSID_UNKNOWN);
	inner = gre + 8;
	if (end - inner < 34)
		return drop(e, TENET_DROP_TRUNCATED);
	proto = be16at(inner + 12);
	if (proto == 0x8100 || proto == 0x88a8)
		return drop(e, TENET_DROP_INNER_VLAN);
	if (proto == 0x0806)
		return ref_arp(e, ip, inner, end, vsid, vinfo.rdomain);
	if (B[inner] & 1)
		return drop(e, TENET_DROP_BCAST);
	memcpy(pk.mac, B + inner, 6);
	if (lookup(TOPO_MAPS.tenet_port_mac, &pk, &port))
		return drop(e, TENET_DROP_NO_PORT);
	if (port.rdomain != vinfo.rdomain)
		return drop(e, TENET_DROP_RDOMAIN_MISMATCH);
	if (!strict_ok(vsid, vinfo.rdomain, inner, end, osrc))
		return drop(e, TENET_DROP_SRC_PA);
	e->cls = C_DELIVER;
	e->port = port.ifindex;
	e->out_len = end - inner;
	memcpy(e->out, B + inner, e->out_len);
	return C_DELIVER;
}

/* ---- frames from the fabric ---- */

static const mac_t *const mac_pool[] = {
	&MAC_C1, &MAC_C2, &MAC_C3, &MAC_C4, &MAC_C5, &MAC_C6, &MAC_C7, &MAC_GW,
	&MAC_W1, &MAC_W2, &MAC_ROUTER, &MAC_BCAST, &MAC_UL0, &MAC_PA_REMOTE,
};
#define NMAC (sizeof(mac_pool) / sizeof(mac_pool[0]))

static const char *const ip_pool[] = {
	"10.0.0.5", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.1.7", "10.0.1.8",
	"10.0.2.2", "10.229.200.22", "10.0.0.1", "10.0.0.99", "0.0.0.0", "255.255.255.255",
};
#define NIP (sizeof(ip_pool) / sizeof(ip_pool[0]))

static const char *const pa_pool[] = { PA_REMOTE, PA_ROUTED, PA_NONEIGH, PA_LOCAL,
				       "192.168.4.66" };

static void pick_mac(struct rng *r, uint8_t *dst)
{
	if (chance(r, 10)) {
		rnd_bytes(r, dst, 6);
		return;
	}
	memcpy(dst, *mac_pool[below(r, NMAC)], 6);
}

static uint32_t pick_ip(struct rng *r)
{
	return chance(r, 10) ? (uint32_t)rnd(r) : ip4(ip_pool[below(r, NIP)]);
}

/* An inner IPv4/UDP frame with payload (marked payloads start with MARK). */
static void inner_udp(struct rng *r, struct frame *f, const mac_t dst, const mac_t src,
		      uint32_t sip, uint32_t dip, uint8_t ttl, bool mark)
{
	size_t plen = below(r, 4) ? below(r, 120) : below(r, 1200), ipo;
	uint8_t pay[1400];

	if (mark && plen < MARK_LEN)
		plen = MARK_LEN;
	rnd_bytes(r, pay, plen);
	if (mark)
		memcpy(pay, MARK, MARK_LEN);
	f_eth(f, dst, src, 0x0800);
	ipo = f->len;
	f_u8(f, 0x45);
	f_u8(f, 0);
	f_be16(f, (uint16_t)(28 + plen));
	f_be16(f, (uint16_t)rnd(r));
	f_be16(f, 0x4000);
	f_u8(f, ttl);
	f_u8(f, 17);
	f_be16(f, 0);
	f_be32(f, sip);
	f_be32(f, dip);
	f_ipv4_csum(f, ipo);
	f_udp(f, (uint16_t)rnd(r), (uint16_t)rnd(r), (uint16_t)plen);
	f_bytes(f, pay, plen);
}

static void inner_arp(struct rng *r, struct frame *f, uint32_t *vsid)
{
	static const char *const targets[] = { "10.0.0.5", "10.0.0.7", "10.0.0.8", "10.0.1.7",
						"10.0.0.99", "0.0.0.0" };
	static const uint32_t vsids[] = { 5001, 5001, 7001, 6001 };
	uint8_t dst[6], sha[6], tha[6] = { 0 };
	uint16_t op = chance(r, 60) ? 1 : chance(r, 80) ? 2 : (uint16_t)rnd(r);
	uint32_t spa = chance(r, 80) ? ip4("10.0.0.200") : pick_ip(r);
	uint32_t tpa = ip4(targets[below(r, 6)]);

	*vsid = vsids[below(r, 4)];
	if (chance(r, 50))
		memcpy(dst, MAC_BCAST, 6);
	else
		pick_mac(r, dst);
	if (chance(r, 70)) {
		static const mac_t asker = { 0x52, 0x54, 0, 0xaa, 0, 0x01 };

		memcpy(sha, asker, 6);
	} else {
		pick_mac(r, sha);
	}
	if (chance(r, 5))
		spa = tpa;
	if (op == 2)
		memcpy(tha, dst, 6);
	f_eth(f, dst, sha, 0x0806);
	f_be16(f, chance(r, 95) ? 1 : (uint16_t)rnd(r));
	f_be16(f, chance(r, 95) ? 0x0800 : (uint16_t)rnd(r));
	f_u8(f, chance(r, 95) ? 6 : (uint8_t)rnd(r));
	f_u8(f, chance(r, 95) ? 4 : (uint8_t)rnd(r));
	f_be16(f, op);
	f_bytes(f, sha, 6);
	f_be32(f, spa);
	f_bytes(f, tha, 6);
	f_be32(f, tpa);
	if (chance(r, 30))
		f_payload(f, below(r, 20), (uint8_t)rnd(r));
}

/* A legitimate sender's inner frame, its VSID and outer source. */
static void fabric_inner(struct rng *r, struct frame *in, uint32_t *vsid, uint32_t *src_pa)
{
	uint32_t t = below(r, 10);
	const mac_t *dst;

	*src_pa = ip4(PA_REMOTE);
	switch (t) {
	case 0: case 1:       /* Contoso .8 (remote) to a local VM of 5001 */
		*vsid = 5001;
		dst = chance(r, 50) ? &MAC_C1 : &MAC_C2;
		inner_udp(r, in, *dst, MAC_C3, ip4("10.0.0.8"), ip4(*dst == MAC_C1 ?
				"10.0.0.5" : "10.0.0.7"), 64, false);
		break;
	case 2:               /* Contoso .9 behind the underlay router */
		*vsid = 5001;
		*src_pa = ip4(PA_ROUTED);
		inner_udp(r, in, MAC_C1, MAC_C6, ip4("10.0.0.9"), ip4("10.0.0.5"), 64, false);
		break;
	case 3:               /* routed by the remote host to 6001 */
		*vsid = 6001;
		inner_udp(r, in, MAC_C4, MAC_ROUTER, ip4("10.0.0.8"), ip4("10.0.1.7"), 63, false);
		break;
	case 4:               /* a physical host through the forwarding gateway */
		*vsid = 5001;
		inner_udp(r, in, MAC_C1, MAC_ROUTER, ip4("10.229.200.22"), ip4("10.0.0.5"), 63,
			  false);
		break;
	case 5: case 6:       /* Woodgrove .7 (remote) to Woodgrove .5 (p4) */
		*vsid = 7001;
		inner_udp(r, in, MAC_W1, MAC_W2, ip4("10.0.0.7"), ip4("10.0.0.5"), 64, true);
		break;
	case 7:               /* Woodgrove routed by its remote host */
		*vsid = 7001;
		inner_udp(r, in, MAC_W1, MAC_ROUTER, ip4("10.0.0.7"), ip4("10.0.0.5"), 63, true);
		break;
	case 8:
		inner_arp(r, in, vsid);
		break;
	default: {            /* anything */
		uint8_t junk[300];
		size_t n = 14 + below(r, 200);

		*vsid = chance(r, 50) ? 5001 : (uint32_t)rnd(r) & 0xffffff;
		rnd_bytes(r, junk, n);
		if (chance(r, 50))
			memcpy(junk, *mac_pool[below(r, NMAC)], 6);
		f_bytes(in, junk, n);
		break;
	}
	}
	/* Inner mutations. */
	if (chance(r, 12))
		pick_mac(r, in->b);
	if (chance(r, 12))
		pick_mac(r, in->b + 6);
	if (chance(r, 4)) {
		static const uint16_t types[] = { 0x8100, 0x88a8, 0x86dd, 0x0806, 0x88cc };

		in->b[12] = types[below(r, 5)] >> 8;
		in->b[13] = types[below(r, 5)] & 0xff;
	}
	if (chance(r, 6))
		in->len = 14 + below(r, (uint32_t)(in->len - 13));
}

struct gen_info {
	bool marked;
	char what[160];
};

static void note_what(struct gen_info *g, const char *s)
{
	size_t n = strlen(g->what);

	snprintf(g->what + n, sizeof(g->what) - n, "%s%s", n ? "," : "", s);
}

static void gen_fabric(struct rng *r, struct frame *f, struct gen_info *g)
{
	struct frame inner = {};
	uint32_t vsid, src_pa, dst_pa = ip4(PA_LOCAL);
	uint16_t gflags = 0x2000, gproto = 0x6558;
	int opt_len = 0;
	size_t ip;
	uint16_t tot;

	memset(g, 0, sizeof(*g));
	fabric_inner(r, &inner, &vsid, &src_pa);
	if (chance(r, 15)) {
		static const uint32_t vs[] = { 5001, 6001, 5002, 7001, 9999, 100, 0xffffff };

		vsid = chance(r, 85) ? vs[below(r, 7)] : (uint32_t)rnd(r) & 0xffffff;
		note_what(g, "vsid");
	}
	if (chance(r, 6)) {
		src_pa = chance(r, 50) ? ip4(pa_pool[below(r, 5)]) : (uint32_t)rnd(r);
		note_what(g, "src");
	}

	/* Outer Ethernet: for ul0, or not; tags. */
	if (chance(r, 7)) {
		uint8_t m[6];

		pick_mac(r, m);
		f_bytes(f, m, 6);
		note_what(g, "dmac");
	} else {
		f_bytes(f, MAC_UL0, 6);
	}
	f_bytes(f, MAC_PA_REMOTE, 6);
	if (F.pa_vlan ? !chance(r, 10) : chance(r, 8)) {
		uint16_t tp = chance(r, 85) ? 0x8100 : 0x88a8;
		uint16_t vid = F.pa_vlan && chance(r, 70) ? F.pa_vlan :
			       chance(r, 30) ? 0 : chance(r, 50) ? 42 : below(r, 4096);

		f_be16(f, tp);
		f_be16(f, (uint16_t)(below(r, 8) << 13 | vid));
		if (chance(r, 5)) {
			f_be16(f, 0x8100);
			f_be16(f, vid);
			note_what(g, "qinq");
		}
		note_what(g, "tag");
	}
	f_be16(f, chance(r, 97) ? 0x0800 : (uint16_t)rnd(r));

	/* Outer IPv4. */
	if (chance(r, 6)) {
		opt_len = 4 * (int)(1 + below(r, 10));
		note_what(g, "options");
	}
	ip = f->len;
	tot = (uint16_t)(20 + opt_len + 8 + inner.len);
	f_u8(f, chance(r, 98) ? (uint8_t)(0x45 + opt_len / 4) : (uint8_t)rnd(r));
	f_u8(f, chance(r, 90) ? 0 : (uint8_t)rnd(r));
	f_be16(f, tot);
	f_be16(f, chance(r, 50) ? 0 : (uint16_t)rnd(r));
	f_be16(f, chance(r, 94) ? (chance(r, 50) ? 0x4000 : 0) : (uint16_t)rnd(r));
	f_u8(f, chance(r, 90) ? 64 : (uint8_t)rnd(r));
	f_u8(f, chance(r, 97) ? 47 : (uint8_t)rnd(r));
	f_be16(f, 0);
	f_be32(f, src_pa);
	f_be32(f, chance(r, 95) ? dst_pa : pick_ip(r));
	for (int i = 0; i < opt_len; i++)
		f_u8(f, chance(r, 70) ? 1 : (uint8_t)rnd(r));
	if (chance(r, 8)) {
		static const int deltas[] = { -1, 1, -8, 8, -20, 30, 200 };
		int d = deltas[below(r, 7)];

		tot = chance(r, 20) ? (uint16_t)rnd(r) : chance(r, 10) ? 0 : (uint16_t)(tot + d);
		f->b[ip + 2] = tot >> 8;
		f->b[ip + 3] = tot & 0xff;
		note_what(g, "totlen");
	}
	f_ipv4_csum(f, ip);
	if (chance(r, 6)) {
		f->b[ip + 10 + below(r, 2)] ^= (uint8_t)(1 + below(r, 255));
		note_what(g, "csum");
	}

	/* GRE */
	if (chance(r, 8)) {
		gflags = chance(r, 50) ? (uint16_t)(0x2000 | 1u << below(r, 16)) : (uint16_t)rnd(r);
		note_what(g, "greflags");
	}
	if (chance(r, 3)) {
		gproto = (uint16_t)rnd(r);
		note_what(g, "greproto");
	}
	f_gre(f, gflags, gproto, vsid << 8 | (uint8_t)rnd(r));
	f_bytes(f, inner.b, inner.len);

	if (chance(r, 8)) {
		uint8_t t[64];
		size_t n = 1 + below(r, 64);

		rnd_bytes(r, t, n);
		f_bytes(f, t, n);
		note_what(g, "trailer");
	}
	if (chance(r, 6)) {
		f->len = 14 + below(r, (uint32_t)(f->len - 13));
		note_what(g, "cut");
	}
	if (chance(r, 4)) {
		for (uint32_t i = 0, n = 1 + below(r, 3); i < n; i++)
			f->b[below(r, (uint32_t)f->len)] ^= (uint8_t)(1 + below(r, 255));
		note_what(g, "flip");
	}
	if (chance(r, 1)) {
		f->len = 14 + below(r, 300);
		rnd_bytes(r, f->b, f->len);
		note_what(g, "random");
	}
}

/* Attacker's: Woodgrove's VSID in the key, or (strict) a Woodgrove
 * sender inside; read from the final bytes. */
static bool fabric_marked(const uint8_t *b, size_t len)
{
	size_t ip = 14, gre, inner;
	uint32_t vsid, rd = 0;
	struct tenet_vsid_val v;
	uint16_t proto;

	if (len < 14)
		return false;
	proto = (uint16_t)(b[12] << 8 | b[13]);
	if (proto == 0x8100 || proto == 0x88a8)
		ip = 18;
	if (len < ip + 20)
		return false;
	gre = ip + (b[ip] & 0xf) * 4u;
	if (len < gre + 8)
		return false;
	vsid = (uint32_t)b[gre + 4] << 16 | (uint32_t)b[gre + 5] << 8 | b[gre + 6];
	if (!lookup(TOPO_MAPS.tenet_vsid, &vsid, &v))
		rd = v.rdomain;
	if (rd == RD_WOODGROVE)
		return true;
	inner = gre + 8;
	return F.strict && len >= inner + 12 &&
	       (!memcmp(b + inner + 6, MAC_W1, 6) || !memcmp(b + inner + 6, MAC_W2, 6));
}

/* ---- checking ---- */

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "    %s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n      ", p[i]);
	fprintf(stderr, "\n");
}

static bool is_contoso_port(__u32 ifindex)
{
	return ifindex && (ifindex == F.p[P1] || ifindex == F.p[P2] || ifindex == F.p[P3]);
}

static const char *port_name(__u32 ifindex)
{
	for (int i = 0; i < NDEV; i++)
		if ((__u32)topo.ifindex[i] == ifindex)
			return dev_names[i];
	return ifindex ? "?" : "-";
}

static void describe(const char *hook, const struct result *r)
{
	fprintf(stderr, "    %s: %s port %s reason %s\n", hook, cls_name[r->cls], port_name(r->port),
		r->cls == C_DROP ? tenet_drop_name(r->reason) : "-");
}

static int failf(uint64_t idx, const char *stream, const struct gen_info *g, const uint8_t *in,
		 size_t len, const char *msg)
{
	F.failures++;
	if (F.failures > 10)
		return -1;
	fprintf(stderr, "[FAIL] fuzz %s frame %llu (%s): %s\n", stream, (unsigned long long)idx,
		g->what[0] ? g->what : "unmutated", msg);
	fprintf(stderr, "    replay: selftests/bpf/fuzz.sh -s %llu -f %llu\n",
		(unsigned long long)F.seed, (unsigned long long)idx);
	if (F.verbose || F.failures <= 3)
		hexdump("input", in, len);
	return -1;
}

static bool same_out(const struct result *a, const uint8_t *b, size_t blen)
{
	return a->out_len == blen && !memcmp(a->out, b, blen);
}

/* Both hooks and the reference on one frame from the underlay; marked:
 * the attacking tenant's, which no Contoso VM may get. Returns the class
 * (or -1 after reporting). */
static int judge_decap(uint64_t idx, const char *stream, const struct gen_info *g,
		       const uint8_t *in, size_t len, bool marked, bool want_ref,
		       struct result *x, struct result *t)
{
	static struct expect e;
	char msg[200];

	if (test_run(F.xdp_fd, false, 0, in, len, x) || test_run(F.tcu_fd, true, F.ul0, in, len, t))
		return failf(idx, stream, g, in, len, strerror(errno));
	if (F.verbose) {
		describe("xdp", x);
		if (!t->refused)
			describe("tc", t);
	}
	if (x->cls == C_OTHER)
		return failf(idx, stream, g, in, len, "xdp verdict is none of pass/drop/tx/redirect");
	if (t->refused) {
		/* An skb test run refuses an IPv4 frame shorter than Ethernet
		 * plus an IPv4 header; both hooks pass those (parse_ipv4). */
		F.tc_refused++;
		if (x->cls != C_PASS)
			return failf(idx, stream, g, in, len, "short frame not passed at xdp");
	} else {
		if (x->cls != t->cls || x->port != t->port || x->reason != t->reason) {
			describe("xdp", x);
			describe("tc", t);
			return failf(idx, stream, g, in, len, "xdp and tc decide differently");
		}
		if (x->cls != C_DROP && (x->out_len != t->out_len ||
					 memcmp(x->out, t->out, x->out_len))) {
			hexdump("xdp out", x->out, x->out_len);
			hexdump("tc out", t->out, t->out_len);
			return failf(idx, stream, g, in, len, "xdp and tc output differ");
		}
	}
	if (marked && x->cls == C_DELIVER && is_contoso_port(x->port))
		return failf(idx, stream, g, in, len,
			     "a frame of the attacking tenant reached a Contoso VM");
	if (x->cls == C_PASS && !same_out(x, in, len))
		return failf(idx, stream, g, in, len, "a passed frame was changed");
	if (!want_ref)
		return x->cls;
	B = in;
	BLEN = len;
	ref_decap(&e);
	if (e.cls != x->cls || e.port != x->port || e.reason != x->reason) {
		snprintf(msg, sizeof(msg), "reference says %s port %s reason %s", cls_name[e.cls],
			 port_name(e.port), e.cls == C_DROP ? tenet_drop_name(e.reason) : "-");
		describe("xdp", x);
		return failf(idx, stream, g, in, len, msg);
	}
	if ((e.cls == C_DELIVER || e.cls == C_TX) && !same_out(x, e.out, e.out_len)) {
		hexdump("got", x->out, x->out_len);
		hexdump("want", e.out, e.out_len);
		return failf(idx, stream, g, in, len, e.cls == C_DELIVER ?
			     "delivered bytes are not the inner frame that was sent" :
			     "ARP answer differs from the reference");
	}
	return x->cls;
}

static void set_mode(bool strict, uint16_t pa_vlan)
{
	static bool set;

	if (set && F.strict == strict && F.pa_vlan == pa_vlan)
		return;
	set = true;
	F.strict = strict;
	F.pa_vlan = pa_vlan;
	topo_set_cfg_flags(TENET_CFG_ENABLED | (strict ? TENET_CFG_STRICT_SRC : 0));
	topo_set_pa(pa_vlan);
}

static int fabric_one(uint64_t idx)
{
	static struct frame f;
	static struct result x, t;
	struct rng r = { F.seed ^ (idx * 0x2545f4914f6cdd1dull) };
	struct gen_info g;
	bool marked;
	int c;

	/* The mode is a function of the frame number, so a replay of one
	 * frame runs it as the whole run did. */
	set_mode(idx / 1000 % 2, idx / 2000 % 2 ? 42 : 0);
	memset(&f, 0, sizeof(f));
	gen_fabric(&r, &f, &g);
	marked = fabric_marked(f.b, f.len);
	if (F.verbose)
		fprintf(stderr, "  fabric frame %llu: %s, strict %s, PA VLAN %u, %s\n",
			(unsigned long long)idx, g.what[0] ? g.what : "unmutated",
			F.strict ? "on" : "off", F.pa_vlan, marked ? "marked" : "unmarked");
	F.n_fabric++;
	c = judge_decap(idx, "fabric", &g, f.b, f.len, marked, true, &x, &t);
	if (c < 0)
		return -1;
	F.by_cls[c]++;
	if (c == C_DROP)
		F.by_reason[x.reason]++;
	if (c == C_DELIVER && marked)
		F.delivered_marked_w++;
	return 0;
}

/* ---- frames from a Woodgrove VM (p4) ---- */

static void gen_port(struct rng *r, struct frame *f, struct gen_info *g)
{
	uint8_t dst[6], src[6];
	uint32_t t = below(r, 10);

	memset(g, 0, sizeof(*g));
	g->marked = true;
	pick_mac(r, dst);
	if (chance(r, 40))
		memcpy(dst, chance(r, 50) ? MAC_ROUTER : MAC_W2, 6);
	memcpy(src, MAC_W1, 6);
	if (chance(r, 8)) {
		pick_mac(r, src);
		note_what(g, "spoof");
	}
	if (t < 6) {
		uint32_t sip = chance(r, 85) ? ip4("10.0.0.5") : pick_ip(r);
		uint8_t ttl = chance(r, 80) ? 64 : (uint8_t)below(r, 3);

		inner_udp(r, f, dst, src, sip, pick_ip(r), ttl, true);
		if (chance(r, 15)) {
			static const uint8_t protos[] = { 1, 6, 17, 47, 255 };

			f->b[23] = protos[below(r, 5)];
			f_ipv4_csum(f, 14);
			note_what(g, "proto");
		}
		if (chance(r, 10)) {
			/* An echo request to the .1 (answered by the host). */
			f->b[23] = 1;
			memcpy(f->b + 30, (uint8_t[]){ 10, 0, 0, 1 }, 4);
			f->b[34] = 8;
			f->b[35] = 0;
			f_ipv4_csum(f, 14);
			note_what(g, "echo");
		}
	} else if (t < 9) {
		uint32_t vsid;

		inner_arp(r, f, &vsid);
		memcpy(f->b + 6, src, 6);
		if (chance(r, 85))
			memcpy(f->b + 22, src, 6);      /* sha = the port's */
		if (chance(r, 60))
			memcpy(f->b + 28, (uint8_t[]){ 10, 0, 0, 5 }, 4);
		f_bytes(f, MARK, MARK_LEN);
		note_what(g, "arp");
	} else {
		static const uint16_t types[] = { 0x86dd, 0x8100, 0x88a8, 0x88cc, 0x0800 };
		uint8_t junk[200];
		size_t n = below(r, 120);

		f_eth(f, dst, src, types[below(r, 5)]);
		rnd_bytes(r, junk, n);
		f_bytes(f, junk, n);
		f_bytes(f, MARK, MARK_LEN);
		note_what(g, "other");
	}
	if (chance(r, 5)) {
		f->len = 14 + below(r, (uint32_t)(f->len - 13));
		note_what(g, "cut");
	}
	if (chance(r, 3)) {
		f->b[14 + below(r, (uint32_t)(f->len > 14 ? f->len - 14 : 1))] ^= 0x5a;
		note_what(g, "flip");
	}
}

/* Capture on the far ends of the Contoso ports: learning's clones leave
 * through real devices. */
static int cap_fd[3];

static int cap_open_dev(const char *dev)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return -1;
	sll.sll_ifindex = (int)if_nametoindex(dev);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Marked frames that came out of a Contoso port's device. */
static uint64_t cap_marked(void)
{
	uint8_t buf[4096];
	uint64_t n = 0;

	for (int i = 0; i < 3; i++) {
		ssize_t len;

		while ((len = recv(cap_fd[i], buf, sizeof(buf), 0)) > 0)
			if (memmem(buf, (size_t)len, MARK, MARK_LEN))
				n++;
	}
	return n;
}

static int port_one(uint64_t idx)
{
	static struct frame f, refl;
	static struct result p, x, t;
	struct rng r = { F.seed ^ (idx * 0x2545f4914f6cdd1dull) ^ 0x5eed };
	struct gen_info g;
	uint32_t vsid;
	int c;

	set_mode(idx / 1000 % 2, 0);
	memset(&f, 0, sizeof(f));
	gen_port(&r, &f, &g);
	F.n_port++;
	if (F.verbose)
		fprintf(stderr, "  port frame %llu: %s\n", (unsigned long long)idx,
			g.what[0] ? g.what : "plain");
	if (f.len < 14)
		return 0;
	if (test_run(F.tcp_fd, true, F.p[P4], f.b, f.len, &p))
		return failf(idx, "port", &g, f.b, f.len, strerror(errno));
	if (p.refused)
		return 0;
	if (F.verbose)
		describe("tc port", &p);
	if (p.cls != C_DROP && p.cls != C_DELIVER && p.cls != C_TX)
		return failf(idx, "port", &g, f.b, f.len, "a port's frame went to the host stack");
	if (p.cls == C_DELIVER && p.port != F.p[P4])
		return failf(idx, "port", &g, f.b, f.len, "a Woodgrove frame went to another port");
	if (p.cls != C_TX)
		return 0;
	/* Encapsulated: Woodgrove's VSID, and the receiving host (both
	 * hooks, this host's maps) gives it to no Contoso VM. */
	F.port_encap++;
	if (p.out_len < 42 + 14 || p.out[12] != 0x08 || p.out[13] != 0x00 || p.out[14] != 0x45 ||
	    p.out[23] != 47)
		return failf(idx, "port", &g, f.b, f.len, "encapsulated output is not NVGRE");
	vsid = (uint32_t)p.out[38] << 16 | (uint32_t)p.out[39] << 8 | p.out[40];
	if (vsid != 7001)
		return failf(idx, "port", &g, f.b, f.len, "encapsulated with a VSID not Woodgrove's");
	memcpy(refl.b, p.out, p.out_len);
	refl.len = p.out_len;
	memcpy(refl.b, MAC_UL0, 6);
	memcpy(refl.b + 26, refl.b + 30, 4);            /* from the sender's PA ... */
	memcpy(refl.b + 30, (uint8_t[]){ 192, 168, 4, 11 }, 4); /* ... to ours */
	if (!memcmp(refl.b + 26, refl.b + 30, 4))
		memcpy(refl.b + 26, (uint8_t[]){ 192, 168, 4, 22 }, 4);
	f_ipv4_csum(&refl, 14);
	/* At the receiving host the destination VM is local: here that is
	 * Woodgrove's p4, or, as an attacker would wish, a Contoso VM. */
	if (chance(&r, 70))
		memcpy(refl.b + 42, chance(&r, 60) ? MAC_W1 : *mac_pool[below(&r, 4)], 6);
	c = judge_decap(idx, "port (received back)", &g, refl.b, refl.len, true, false, &x, &t);
	if (c < 0)
		return -1;
	if (c == C_DELIVER) {
		if (x.port != F.p[P4])
			return failf(idx, "port", &g, f.b, f.len,
				     "received back, a Woodgrove frame reached another VM");
		if (!same_out(&x, refl.b + 42, refl.len - 42))
			return failf(idx, "port", &g, f.b, f.len,
				     "received back, the bytes differ from what was sent");
		F.port_reflected_w++;
	}
	return 0;
}

/* Both tenants hold l2only MACs (Contoso's on a local port), so a
 * Woodgrove ARP miss makes copies: only to Woodgrove's holders. */
static void l2only_both(void)
{
	struct tenet_l2only_key k = { .vsid = 7001, .slot = 0 };
	struct tenet_l2only_val v = { .pa = topo_be(PA_REMOTE) };

	memcpy(v.mac, MAC_W2, 6);
	topo_put(TOPO_MAPS.tenet_l2only, &k, &v);
	k.vsid = 5001;
	v.pa = topo_be(PA_LOCAL);
	v.ifindex = F.p[P2];
	memcpy(v.mac, MAC_C2, 6);
	topo_put(TOPO_MAPS.tenet_l2only, &k, &v);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int fuzz_main(int argc, char **argv)
{
	uint64_t frames = 1000000, only = UINT64_MAX, t0, nfab, leaked;
	bool seeded = false;
	int o;

	optind = 1;
	while ((o = getopt(argc, argv, "s:n:f:v")) != -1) {
		switch (o) {
		case 's': F.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': frames = strtoull(optarg, NULL, 0); break;
		case 'f': only = strtoull(optarg, NULL, 0); F.verbose = true; break;
		case 'v': F.verbose = true; break;
		default:
			fprintf(stderr, "usage: pkt_test --fuzz [-s SEED] [-n FRAMES] [-f FRAME] [-v]\n");
			return 2;
		}
	}
	if (!seeded)
		F.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	if (topo_setup(true))
		return 1;
	topo_seed();
	F.xdp_fd = bpf_program__fd(topo.dp.xdp->progs.tenet_xdp_underlay);
	F.tcu_fd = bpf_program__fd(topo.dp.tc->progs.tenet_tc_underlay);
	F.tcp_fd = bpf_program__fd(topo.dp.tc->progs.tenet_tc_port);
	F.ul0 = (__u32)topo.ifindex[UL0];
	for (int i = P1; i <= P4; i++)
		F.p[i] = (__u32)topo.ifindex[i];
	nfab = frames - frames / 4;
	printf("fuzz: seed %llu, %llu frames (%llu from the fabric, %llu from a Woodgrove VM)\n",
	       (unsigned long long)F.seed, (unsigned long long)frames, (unsigned long long)nfab,
	       (unsigned long long)(frames - nfab));
	fflush(stdout);
	t0 = now_ms();

	for (uint64_t i = 0; i < nfab && F.failures <= 10; i++)
		if (only == UINT64_MAX || only == i)
			fabric_one(i);

	l2only_both();
	for (int i = 0; i < 3; i++) {
		cap_fd[i] = cap_open_dev((const char *[]){ "p1vm", "p2vm", "p3vm" }[i]);
		if (cap_fd[i] < 0) {
			fprintf(stderr, "fuzz: capture on the Contoso ports: %s\n", strerror(errno));
			return 1;
		}
	}
	cap_marked();
	for (uint64_t i = nfab; i < frames && F.failures <= 10; i++) {
		if (only != UINT64_MAX && only != i)
			continue;
		port_one(i);
		/* Learning's budgets refill with time, which a run this
		 * fast hardly has: a fresh budget every 1000 frames keeps
		 * copies being made. */
		if (i % 1000 == 999) {
			__u32 k[2] = { F.p[P4], F.p[P4] | TENET_LRATE_FLOOD };

			bpf_map_delete_elem(bpf_map__fd(TOPO_MAPS.tenet_lrate), &k[0]);
			bpf_map_delete_elem(bpf_map__fd(TOPO_MAPS.tenet_lrate), &k[1]);
		}
	}
	usleep(100000);
	leaked = cap_marked();
	if (leaked) {
		fprintf(stderr, "[FAIL] fuzz: %llu marked frames left through Contoso ports' devices\n",
			(unsigned long long)leaked);
		F.failures++;
	}

	printf("fuzz: %.1f s; fabric: %llu delivered (%llu of them Woodgrove's, to Woodgrove), "
	       "%llu answered, %llu passed, %llu dropped; %llu too short for an skb test run\n",
	       (now_ms() - t0) / 1000.0, (unsigned long long)F.by_cls[C_DELIVER],
	       (unsigned long long)F.delivered_marked_w, (unsigned long long)F.by_cls[C_TX],
	       (unsigned long long)F.by_cls[C_PASS], (unsigned long long)F.by_cls[C_DROP],
	       (unsigned long long)F.tc_refused);
	printf("fuzz: fabric drops:");
	for (int i = 1; i < TENET_DROP_MAX; i++)
		if (F.by_reason[i])
			printf(" %s %llu", tenet_drop_name(i), (unsigned long long)F.by_reason[i]);
	printf("\nfuzz: port: %llu encapsulated (all with Woodgrove's VSID); received back, %llu "
	       "delivered to Woodgrove byte for byte, none to Contoso\n",
	       (unsigned long long)F.port_encap, (unsigned long long)F.port_reflected_w);
	if (F.failures)
		printf("[FAIL] fuzz (seed %llu): %llu failures\n", (unsigned long long)F.seed,
		       (unsigned long long)F.failures);
	else
		printf("[ OK ] fuzz (seed %llu): %llu frames, no frame of the attacking tenant reached "
		       "another tenant, every delivered frame byte-identical to the one sent, both "
		       "decap hooks agree\n",
		       (unsigned long long)F.seed, (unsigned long long)(F.n_fabric + F.n_port));
	for (int i = 0; i < 3; i++)
		close(cap_fd[i]);
	topo_teardown();
	return F.failures ? 1 : 0;
}

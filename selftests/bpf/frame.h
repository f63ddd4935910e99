/* SPDX-License-Identifier: GPL-2.0 */
/* A tiny frame builder for packet tests. It writes every field itself
 * (independently of the BPF code) so expected frames are built from the
 * RFCs, not from the implementation under test. */
#ifndef TENET_TEST_FRAME_H
#define TENET_TEST_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 4096

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

typedef uint8_t mac_t[6];

void f_reset(struct frame *f);
void f_bytes(struct frame *f, const void *p, size_t n);
void f_u8(struct frame *f, uint8_t v);
void f_be16(struct frame *f, uint16_t v);
void f_be32(struct frame *f, uint32_t v);
void f_eth(struct frame *f, const mac_t dst, const mac_t src, uint16_t proto);
/* IPv4 header without options; payload_len bytes are expected to follow.
 * Returns the header's offset so callers may patch it. */
size_t f_ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto,
	      uint8_t ttl, uint16_t frag_off, uint16_t payload_len);
size_t f_ipv4_full(struct frame *f, uint8_t tos, uint16_t id, const char *src,
		   const char *dst, uint8_t proto, uint8_t ttl, uint16_t frag_off,
		   uint16_t payload_len);
void f_udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload_len);
void f_payload(struct frame *f, size_t n, uint8_t seed);
void f_arp(struct frame *f, uint16_t op, const mac_t sha, const char *spa,
	   const mac_t tha, const char *tpa);
void f_gre(struct frame *f, uint16_t flags, uint16_t proto, uint32_t key);
/* Fix the IPv4 header checksum at offset off. */
void f_ipv4_csum(struct frame *f, size_t off);
uint16_t csum16(const void *p, size_t n);
uint32_t ip4(const char *s);

/* Standard inner test frame: Ethernet + IPv4 + UDP + 32 bytes payload. */
void f_udp_frame(struct frame *f, const mac_t dst, const mac_t src, const char *sip,
		 const char *dip, uint8_t ttl);

#endif

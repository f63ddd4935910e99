// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "frame.h"

void f_reset(struct frame *f)
{
	f->len = 0;
}

void f_bytes(struct frame *f, const void *p, size_t n)
{
	if (f->len + n > FRAME_MAX) {
		fprintf(stderr, "frame overflow\n");
		abort();
	}
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

void f_u8(struct frame *f, uint8_t v)
{
	f_bytes(f, &v, 1);
}

void f_be16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	f_bytes(f, b, 2);
}

void f_be32(struct frame *f, uint32_t v)
{
	f_be16(f, v >> 16);
	f_be16(f, v & 0xffff);
}

uint32_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad test address %s\n", s);
		abort();
	}
	return ntohl(a.s_addr);
}

/* RFC 1071 Internet checksum. */
uint16_t csum16(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (n & 1)
		sum += b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

void f_eth(struct frame *f, const mac_t dst, const mac_t src, uint16_t proto)
{
	f_bytes(f, dst, 6);
	f_bytes(f, src, 6);
	f_be16(f, proto);
}

void f_ipv4_csum(struct frame *f, size_t off)
{
	size_t hlen = (f->b[off] & 0xf) * 4;
	uint16_t c;

	f->b[off + 10] = 0;
	f->b[off + 11] = 0;
	c = csum16(f->b + off, hlen);
	f->b[off + 10] = c >> 8;
	f->b[off + 11] = c & 0xff;
}

size_t f_ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto,
	      uint8_t ttl, uint16_t frag_off, uint16_t payload_len)
{
	return f_ipv4_full(f, 0, 0x1234, src, dst, proto, ttl, frag_off, payload_len);
}

size_t f_ipv4_full(struct frame *f, uint8_t tos, uint16_t id, const char *src,
		   const char *dst, uint8_t proto, uint8_t ttl, uint16_t frag_off,
		   uint16_t payload_len)
{
	size_t off = f->len;

	f_u8(f, 0x45);
	f_u8(f, tos);
	f_be16(f, 20 + payload_len);
	f_be16(f, id);
	f_be16(f, frag_off);
	f_u8(f, ttl);
	f_u8(f, proto);
	f_be16(f, 0);
	f_be32(f, ip4(src));
	f_be32(f, ip4(dst));
	f_ipv4_csum(f, off);
	return off;
}

void f_udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload_len)
{
	f_be16(f, sport);
	f_be16(f, dport);
	f_be16(f, 8 + payload_len);
	f_be16(f, 0); /* no checksum: legal for UDP over IPv4 */
}

void f_payload(struct frame *f, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		f_u8(f, (uint8_t)(seed + i));
}

void f_arp(struct frame *f, uint16_t op, const mac_t sha, const char *spa,
	   const mac_t tha, const char *tpa)
{
	f_be16(f, 1);      /* Ethernet */
	f_be16(f, 0x0800); /* IPv4 */
	f_u8(f, 6);
	f_u8(f, 4);
	f_be16(f, op);
	f_bytes(f, sha, 6);
	f_be32(f, ip4(spa));
	f_bytes(f, tha, 6);
	f_be32(f, ip4(tpa));
}

void f_gre(struct frame *f, uint16_t flags, uint16_t proto, uint32_t key)
{
	f_be16(f, flags);
	f_be16(f, proto);
	f_be32(f, key);
}

void f_udp_frame(struct frame *f, const mac_t dst, const mac_t src, const char *sip,
		 const char *dip, uint8_t ttl)
{
	f_eth(f, dst, src, 0x0800);
	f_ipv4(f, sip, dip, 17, ttl, 0x4000, 8 + 32);
	f_udp(f, 40000, 5001, 32);
	f_payload(f, 32, 0xa0);
}

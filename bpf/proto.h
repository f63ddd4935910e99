/* SPDX-License-Identifier: GPL-2.0 */
/* The few ARP and ICMP definitions the programs use. linux/if_arp.h and
 * linux/icmp.h include linux/if.h, which reaches glibc's sys/socket.h and,
 * under -target bpf, gnu/stubs-32.h from libc6-dev-i386: a package a fresh
 * Debian machine lacks. BPF code includes only UAPI headers that stay
 * inside the kernel's own tree; these values are the UAPI's. */
#ifndef TENET_BPF_PROTO_H
#define TENET_BPF_PROTO_H

#include <linux/types.h>

/* bpf_fib_lookup's family: linux/socket.h's value. */
#define AF_INET 2

#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_FRAG_NEEDED 4

/* RFC 792 header; the layout of struct icmphdr in linux/icmp.h. */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
	} un;
};

_Static_assert(sizeof(struct icmphdr) == 8, "icmphdr is 8 bytes");

#endif

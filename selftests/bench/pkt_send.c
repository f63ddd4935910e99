// SPDX-License-Identifier: GPL-2.0
/* A 64-byte UDP packet generator for native_bench.sh: one AF_PACKET socket
 * with the qdisc bypassed (PACKET_QDISC_BYPASS, as trafgen and pktgen do),
 * the same frame sent in batches of sendmmsg() as fast as the device takes
 * them, until SIGINT/SIGTERM. Unlike trafgen 0.6.8, which gives up when its
 * TX ring meets EAGAIN (a veth whose peer runs NAPI pushes back when the
 * peer's ring is full), a refused send is counted and retried.
 *
 * usage: pkt_send DEV DST-MAC SRC-MAC SRC-IP DST-IP [FRAME-BYTES]
 * FRAME-BYTES without the FCS (default 60: 64 on the wire). Prints
 * "sent N refused N" on exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int parse_mac(const char *s, unsigned char *m)
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		      &m[5]) == 6 ? 0 : -1;
}

static unsigned short csum(const void *p, size_t n)
{
	const unsigned short *w = p;
	unsigned long s = 0;

	for (; n > 1; n -= 2)
		s += *w++;
	if (n)
		s += *(const unsigned char *)w;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

int main(int argc, char **argv)
{
	unsigned char frame[1514] = {};
	struct ether_header *eth = (void *)frame;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct mmsghdr msg[BATCH];
	struct iovec iov;
	size_t len = argc > 6 ? strtoul(argv[6], NULL, 0) : 60;
	unsigned long long sent = 0, refused = 0;
	int fd, one = 1;

	if (argc < 6 || len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp) || len > sizeof(frame)) {
		fprintf(stderr, "usage: pkt_send DEV DST-MAC SRC-MAC SRC-IP DST-IP [FRAME-BYTES]\n");
		return 2;
	}
	if (parse_mac(argv[2], eth->ether_dhost) || parse_mac(argv[3], eth->ether_shost) ||
	    inet_pton(AF_INET, argv[4], &ip->saddr) != 1 ||
	    inet_pton(AF_INET, argv[5], &ip->daddr) != 1) {
		fprintf(stderr, "pkt_send: bad address\n");
		return 2;
	}
	eth->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(len - sizeof(*eth));
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->check = csum(ip, sizeof(*ip));
	udp->source = htons(4000);
	udp->dest = htons(9);            /* discard: nobody listens */
	udp->len = htons(len - sizeof(*eth) - sizeof(*ip));
	udp->check = 0;                  /* none: allowed for UDP over IPv4 */

	sll.sll_ifindex = if_nametoindex(argv[1]);
	sll.sll_protocol = htons(ETH_P_ALL);
	fd = socket(AF_PACKET, SOCK_RAW, 0);  /* protocol 0: receives nothing */
	if (!sll.sll_ifindex || fd < 0 || bind(fd, (void *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		perror("pkt_send");
		return 1;
	}
	iov = (struct iovec){ frame, len };
	for (int i = 0; i < BATCH; i++)
		msg[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		int n = sendmmsg(fd, msg, BATCH, 0);

		if (n > 0) {
			sent += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR &&
		    errno != ENETDOWN) {
			perror("pkt_send: sendmmsg");
			return 1;
		}
		refused++;
	}
	printf("sent %llu refused %llu\n", sent, refused);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/* The .1 of a virtual subnet answers ping. The distributed router has no
 * stack of its own, but HNV (since Windows Server 2012 R2) lets VMs ping
 * their default gateway as a first connectivity check, and operators
 * expect the same: an echo request to the port's own subnet's .1 becomes
 * the echo reply in place and goes back out of the port it came in on. */
#ifndef TENET_BPF_ECHO_H
#define TENET_BPF_ECHO_H

#include "common.h"
#include "maps.h"

#define ECHO_NOT_MINE (-1)      /* not an echo request to the .1: route it */
#define ECHO_REPLY_TTL 64

/* RFC 1624 incremental update of a checksum for one 16-bit word changed
 * from old to new (all three as they are in the packet). */
static __always_inline void csum_replace16(__u16 *check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~*check + (__u16)~old + new;

	*check = csum_fold(sum);
}

/* icmp: the first byte after the IPv4 header (options included). Returns
 * a TC verdict, or ECHO_NOT_MINE for everything that is not an unfragmented
 * echo request to the sender's own .1 (which is then routed, and dropped
 * there, as before). */
static __always_inline int gateway_echo(struct __sk_buff *skb, const struct tenet_port_val *port,
					const struct tenet_cfg *cfg, struct ethhdr *eth,
					struct iphdr *iph, struct icmphdr *icmp, void *data_end)
{
	__u16 old, new;
	__be32 addr;

	if (iph->protocol != IPPROTO_ICMP || (void *)(icmp + 1) > data_end ||
	    icmp->type != ICMP_ECHO || icmp->code ||
	    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return ECHO_NOT_MINE;
	/* The port entry carries its VSID's .1. */
	if (iph->daddr != port->gateway)
		return ECHO_NOT_MINE;

	old = *(__u16 *)icmp;           /* type and code */
	icmp->type = ICMP_ECHOREPLY;
	csum_replace16(&icmp->checksum, old, *(__u16 *)icmp);

	addr = iph->saddr;              /* swapping leaves the sum alone */
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	old = *(__u16 *)&iph->ttl;      /* TTL and protocol */
	iph->ttl = ECHO_REPLY_TTL;
	new = *(__u16 *)&iph->ttl;
	csum_replace16(&iph->check, old, new);

	mac_copy(eth->h_dest, eth->h_source);
	mac_copy(eth->h_source, cfg->router_mac);
	note_redirect(skb->ifindex);
	return bpf_redirect(skb->ifindex, 0);
}

#endif

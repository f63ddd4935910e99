// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <tenet/limits.h>
#include <tenet/maps.h>
#include "topo.h"

struct topo topo;

const mac_t MAC_UL0 = { 0x02, 0, 0, 0, 0x04, 0x0b };
const mac_t MAC_PA_REMOTE = { 0x02, 0, 0, 0, 0x04, 0x16 };
const mac_t MAC_UL_ROUTER = { 0x02, 0, 0, 0, 0x04, 0x01 };
const mac_t MAC_ZERO = { 0 };
const mac_t MAC_BCAST = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const mac_t MAC_ROUTER = TENET_ROUTER_MAC_INIT;

/* Contoso (routing domain 1): 5001 10.0.0.0/24, 6001 10.0.1.0/24, and the
 * forwarding gateway's subnet 5002 10.0.2.0/24. */
const mac_t MAC_C1 = { 0x00, 0x15, 0x5d, 0, 0, 0x05 };   /* 10.0.0.5 p1 */
const mac_t MAC_C2 = { 0x00, 0x15, 0x5d, 0, 0, 0x07 };   /* 10.0.0.7 p2 */
const mac_t MAC_C3 = { 0x00, 0x15, 0x5d, 0, 0, 0x08 };   /* 10.0.0.8 remote */
const mac_t MAC_C6 = { 0x00, 0x15, 0x5d, 0, 0, 0x09 };   /* 10.0.0.9 routed PA */
const mac_t MAC_C7 = { 0x00, 0x15, 0x5d, 0, 0, 0x0a };   /* 10.0.0.10 no neigh */
const mac_t MAC_C4 = { 0x00, 0x15, 0x5d, 0, 1, 0x07 };   /* 10.0.1.7 p3 (6001) */
const mac_t MAC_C5 = { 0x00, 0x15, 0x5d, 0, 1, 0x08 };   /* 10.0.1.8 remote (6001) */
const mac_t MAC_GW = { 0x00, 0x15, 0x5d, 0, 2, 0x02 };   /* 10.0.2.2 remote (5002) */
/* Woodgrove (routing domain 2): 7001 10.0.0.0/24 with the same CAs. */
const mac_t MAC_W1 = { 0x00, 0x15, 0x5d, 0x10, 0, 0x05 }; /* 10.0.0.5 p4 */
const mac_t MAC_W2 = { 0x00, 0x15, 0x5d, 0x10, 0, 0x07 }; /* 10.0.0.7 remote */

const char *const dev_names[NDEV] = { "p1", "p2", "p3", "p4", "ul0" };

void topo_put(struct bpf_map *m, const void *k, const void *v)
{
	if (bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY)) {
		fprintf(stderr, "topo: %s: %s\n", bpf_map__name(m), strerror(errno));
		exit(1);
	}
}

__be32 topo_be(const char *ip)
{
	return htonl(ip4(ip));
}

/* With a counter slot, as tenetd gives one: a VSID keeps the slot its
 * entry has, a new one gets the next unused (slot 0 is "none"). */
void topo_add_vsid(uint32_t vsid, uint32_t rd, const char *prefix, const char *gw, uint8_t plen)
{
	static __u16 next_slot = 1;
	struct tenet_vsid_val v = { .rdomain = rd, .gateway = topo_be(gw), .prefix = topo_be(prefix),
				    .plen = plen }, old;

	if (!bpf_map_lookup_elem(bpf_map__fd(TOPO_MAPS.tenet_vsid), &vsid, &old))
		v.stats_slot = old.stats_slot;
	else
		v.stats_slot = next_slot++;
	topo_put(TOPO_MAPS.tenet_vsid, &vsid, &v);
}

/* A port's tenet_port entry and its tenet_portcache slot, as tenetd leaves
 * them (a slot holding the port's entry, valid). */
void topo_put_port(int dev, const struct tenet_port_val *p)
{
	__u32 ifindex = topo.ifindex[dev], slot = tenet_port_slot(ifindex);
	struct tenet_port_cache c = { .valid = 1, .key = ifindex, .val = *p };

	topo_put(TOPO_MAPS.tenet_port, &ifindex, p);
	topo_put(TOPO_MAPS.tenet_portcache, &slot, &c);
}

/* As the agent writes a port: with copies of its VSID's routing domain,
 * .1 and counter slot (from the VSID's entry, added first) and of the
 * host's PA, and
 * the MAC entry with copies of the port's VSID, routing domain and slot. */
void topo_add_port(int dev, uint32_t vsid, uint32_t rd, const mac_t mac)
{
	struct tenet_port_val p = { .vsid = vsid, .rdomain = rd, .pa = topo_be(PA_LOCAL) };
	__u32 ifindex = topo.ifindex[dev];
	struct tenet_port_mac_val pm = { .ifindex = ifindex, .vsid = vsid, .rdomain = rd };
	struct tenet_vsid_val v;
	struct tenet_mac_key mk = {};

	if (!bpf_map_lookup_elem(bpf_map__fd(TOPO_MAPS.tenet_vsid), &vsid, &v)) {
		p.gateway = v.gateway;
		p.stats_slot = v.stats_slot;
		pm.stats_slot = v.stats_slot;
	}
	memcpy(p.mac, mac, 6);
	memcpy(mk.mac, mac, 6);
	topo_put_port(dev, &p);
	topo_put(TOPO_MAPS.tenet_port_mac, &mk, &pm);
}

/* A lookup record: goes to the CA map (routing, ARP) and the MAC map. */
void topo_add_record(uint32_t vsid, uint32_t rd, const char *ca, const mac_t mac,
		       const char *pa, int local_dev)
{
	struct tenet_ca_key ck = { .rdomain = rd, .ip = topo_be(ca) };
	struct tenet_ca_val cv = { .vsid = vsid };
	struct tenet_vmac_key mk = { .vsid = vsid };
	struct tenet_vmac_val mv = {};

	if (local_dev >= 0) {
		cv.ifindex = mv.ifindex = topo.ifindex[local_dev];
	} else {
		cv.pa = mv.pa = topo_be(pa);
	}
	memcpy(cv.mac, mac, 6);
	memcpy(mk.mac, mac, 6);
	topo_put(TOPO_MAPS.tenet_ca, &ck, &cv);
	topo_put(TOPO_MAPS.tenet_mac, &mk, &mv);
}

void topo_add_route(uint32_t rd, const char *prefix, int plen, const char *nh, uint32_t vsid)
{
	__u32 elen = tenet_route_expanded_len(plen), base = ntohl(topo_be(prefix));
	struct tenet_route_key k = { .rdomain = rd, .plen = elen };
	struct tenet_route_val v = { .nexthop = nh ? topo_be(nh) : 0, .vsid = vsid, .metric = 1,
				     .plen = plen }, old;
	struct tenet_route_lens lens = { 0 };
	int fd = bpf_map__fd(TOPO_MAPS.tenet_route);

	/* As the agent does (agent/desired.c): the route expanded to the
	 * stride, a longer original prefix keeping its entries, then the
	 * expanded length into the rdomain's set. */
	for (__u32 i = 0; i < 1u << (elen - plen); i++) {
		k.ip = htonl(base | (elen ? i << (32 - elen) : 0));
		if (!bpf_map_lookup_elem(fd, &k, &old) && old.plen > plen)
			continue;
		topo_put(TOPO_MAPS.tenet_route, &k, &v);
	}
	bpf_map_lookup_elem(bpf_map__fd(TOPO_MAPS.tenet_route_lens), &rd, &lens);
	lens.bits |= 1ULL << elen;
	topo_put(TOPO_MAPS.tenet_route_lens, &rd, &lens);
}

void topo_set_cfg_flags(__u32 flags)
{
	struct tenet_cfg cfg = { .version = TENET_LAYOUT_VERSION, .flags = flags };
	__u32 zero = 0;

	memcpy(cfg.router_mac, MAC_ROUTER, 6);
	topo_put(TOPO_MAPS.tenet_cfg, &zero, &cfg);
}

/* The local PA on ul0 (decap accepts NVGRE to it in frames for ul0's MAC
 * on that VLAN, 0: untagged), as the agent writes it: with its
 * tenet_pacache slot. */
void topo_set_pa(uint16_t vlan)
{
	struct tenet_pa_val pa = { .ifindex = topo.ifindex[UL0], .vlan = vlan };
	__be32 pa_ip = topo_be(PA_LOCAL);

	__u32 slot = tenet_pa_slot(pa_ip);
	struct tenet_pa_cache c = { .valid = 1, .key = pa_ip };

	memcpy(pa.mac, MAC_UL0, 6);
	c.val = pa;
	topo_put(TOPO_MAPS.tenet_pa, &pa_ip, &pa);
	topo_put(TOPO_MAPS.tenet_pacache, &slot, &c);
}

/* The next hop of NVGRE from the local PA to pa, as tenetd writes it from
 * the kernel's route and neighbour (netns.sh: PA_REMOTE on the segment,
 * PA_ROUTED via 192.168.4.1; PA_NONEIGH has no neighbour, so no entry). */
/* The device's MTU, as tenetd writes it into a next hop. */
static uint16_t dev_mtu(int dev)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev_names[dev]);
	if (s < 0 || ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		fprintf(stderr, "topo: MTU of %s: %s\n", dev_names[dev], strerror(errno));
		exit(1);
	}
	close(s);
	return (uint16_t)ifr.ifr_mtu;
}

void topo_add_nexthop(const char *pa, int dev, const mac_t smac, const mac_t dmac,
		      uint16_t vlan)
{
	struct tenet_nh_key k = { .src_pa = topo_be(PA_LOCAL), .dst_pa = topo_be(pa) };
	struct tenet_nh_val v = { .ifindex = topo.ifindex[dev], .vlan = vlan, .mtu = dev_mtu(dev) };

	memcpy(v.smac, smac, 6);
	memcpy(v.dmac, dmac, 6);
	topo_put(TOPO_MAPS.tenet_nexthop, &k, &v);
	topo_set_nhcache(pa, pa, dev, smac, dmac, vlan, 1);
}

/* Slot tenet_nh_slot(PA_LOCAL, pa) of tenet_nhcache: holding the entry of
 * (PA_LOCAL, key_pa) with valid as given. topo_add_nexthop() writes the
 * pair's own slot as tenetd leaves it (valid, the same entry); tests
 * write others. */
void topo_set_nhcache(const char *pa, const char *key_pa, int dev, const mac_t smac,
		      const mac_t dmac, uint16_t vlan, __u32 valid)
{
	__u32 slot = tenet_nh_slot(topo_be(PA_LOCAL), topo_be(pa));
	struct tenet_nh_cache c = { .valid = valid,
				    .key = { .src_pa = topo_be(PA_LOCAL), .dst_pa = topo_be(key_pa) },
				    .val = { .ifindex = topo.ifindex[dev], .vlan = vlan,
					     .mtu = dev_mtu(dev) } };

	memcpy(c.val.smac, smac, 6);
	memcpy(c.val.dmac, dmac, 6);
	topo_put(TOPO_MAPS.tenet_nhcache, &slot, &c);
}

void topo_del_nexthop(const char *pa)
{
	struct tenet_nh_key k = { .src_pa = topo_be(PA_LOCAL), .dst_pa = topo_be(pa) };
	__u32 slot = tenet_nh_slot(k.src_pa, k.dst_pa);
	struct tenet_nh_cache c = {}, zero = {};

	bpf_map_delete_elem(bpf_map__fd(TOPO_MAPS.tenet_nexthop), &k);
	/* The slot too, if it is this pair's (as tenetd does). */
	if (!bpf_map_lookup_elem(bpf_map__fd(TOPO_MAPS.tenet_nhcache), &slot, &c) &&
	    !memcmp(&c.key, &k, sizeof(k)))
		topo_put(TOPO_MAPS.tenet_nhcache, &slot, &zero);
}

void topo_set_nexthop_mtu(const char *pa, uint16_t mtu)
{
	struct tenet_nh_key k = { .src_pa = topo_be(PA_LOCAL), .dst_pa = topo_be(pa) };
	__u32 slot = tenet_nh_slot(k.src_pa, k.dst_pa);
	struct tenet_nh_cache c;
	struct tenet_nh_val v;

	if (!bpf_map_lookup_elem(bpf_map__fd(TOPO_MAPS.tenet_nexthop), &k, &v)) {
		v.mtu = mtu;
		topo_put(TOPO_MAPS.tenet_nexthop, &k, &v);
	}
	if (!bpf_map_lookup_elem(bpf_map__fd(TOPO_MAPS.tenet_nhcache), &slot, &c) &&
	    !memcmp(&c.key, &k, sizeof(k))) {
		c.val.mtu = mtu;
		topo_put(TOPO_MAPS.tenet_nhcache, &slot, &c);
	}
}

void topo_seed_nexthops(void)
{
	topo_add_nexthop(PA_REMOTE, UL0, MAC_UL0, MAC_PA_REMOTE, 0);
	topo_add_nexthop(PA_ROUTED, UL0, MAC_UL0, MAC_UL_ROUTER, 0);
	topo_del_nexthop(PA_NONEIGH);
}

void topo_seed(void)
{
	topo_set_cfg_flags(TENET_CFG_ENABLED);
	topo_set_pa(0);
	topo_seed_nexthops();

	topo_add_vsid(5001, RD_CONTOSO, "10.0.0.0", "10.0.0.1", 24);
	topo_add_vsid(6001, RD_CONTOSO, "10.0.1.0", "10.0.1.1", 24);
	topo_add_vsid(5002, RD_CONTOSO, "10.0.2.0", "10.0.2.1", 24);
	topo_add_vsid(7001, RD_WOODGROVE, "10.0.0.0", "10.0.0.1", 24);

	topo_add_port(P1, 5001, RD_CONTOSO, MAC_C1);
	topo_add_port(P2, 5001, RD_CONTOSO, MAC_C2);
	topo_add_port(P3, 6001, RD_CONTOSO, MAC_C4);
	topo_add_port(P4, 7001, RD_WOODGROVE, MAC_W1);

	topo_add_record(5001, RD_CONTOSO, "10.0.0.5", MAC_C1, NULL, P1);
	topo_add_record(5001, RD_CONTOSO, "10.0.0.7", MAC_C2, NULL, P2);
	topo_add_record(5001, RD_CONTOSO, "10.0.0.8", MAC_C3, PA_REMOTE, -1);
	topo_add_record(5001, RD_CONTOSO, "10.0.0.9", MAC_C6, PA_ROUTED, -1);
	topo_add_record(5001, RD_CONTOSO, "10.0.0.10", MAC_C7, PA_NONEIGH, -1);
	topo_add_record(6001, RD_CONTOSO, "10.0.1.7", MAC_C4, NULL, P3);
	topo_add_record(6001, RD_CONTOSO, "10.0.1.8", MAC_C5, PA_REMOTE, -1);
	topo_add_record(5002, RD_CONTOSO, "10.0.2.2", MAC_GW, PA_REMOTE, -1);
	topo_add_record(7001, RD_WOODGROVE, "10.0.0.5", MAC_W1, NULL, P4);
	topo_add_record(7001, RD_WOODGROVE, "10.0.0.7", MAC_W2, PA_REMOTE, -1);

	/* The book's forwarding gateway: 10.229.200.0/24 via 10.0.2.2, and
	 * an on-link route for 5001 so an unknown CA there is a next-hop miss. */
	topo_add_route(RD_CONTOSO, "10.229.200.0", 24, "10.0.2.2", 5002);
	topo_add_route(RD_CONTOSO, "10.0.0.0", 24, NULL, 5001);
}

int topo_setup(bool record_redirect)
{
	struct tenet_datapath_opts opts = { .pin_dir = NULL, .record_redirect = record_redirect };
	int err;

	for (int i = 0; i < NDEV; i++) {
		topo.ifindex[i] = if_nametoindex(dev_names[i]);
		if (!topo.ifindex[i]) {
			fprintf(stderr, "topo: device %s missing (run via selftests/bpf/run.sh)\n",
				dev_names[i]);
			return -ENODEV;
		}
	}
	err = tenet_datapath_load(&topo.dp, &opts);
	if (err)
		fprintf(stderr, "topo: loading BPF objects: %s\n", strerror(-err));
	return err;
}

void topo_teardown(void)
{
	tenet_datapath_unload(&topo.dp);
}

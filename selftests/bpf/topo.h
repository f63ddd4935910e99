/* SPDX-License-Identifier: GPL-2.0 */
/* The topology of chapter 1 seen from one host, for packet tests and
 * benchmarks: devices made by selftests/bpf/run.sh, maps seeded with
 * Contoso (5001, 6001, 5002) and Woodgrove (7001, same addresses). */
#ifndef TENET_TEST_TOPO_H
#define TENET_TEST_TOPO_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "datapath/datapath.h"
#include "tenet_xdp.skel.h"
#include "tenet_tc.skel.h"
#include "frame.h"

#define PA_LOCAL "192.168.4.11"
#define PA_REMOTE "192.168.4.22"    /* same segment, neighbour known */
#define PA_ROUTED "192.168.9.44"    /* behind the underlay router */
#define PA_NONEIGH "192.168.4.33"   /* same segment, neighbour unknown */
#define RD_CONTOSO 1
#define RD_WOODGROVE 2

extern const mac_t MAC_UL0;
extern const mac_t MAC_PA_REMOTE;
extern const mac_t MAC_UL_ROUTER;
extern const mac_t MAC_ZERO;
extern const mac_t MAC_BCAST;
extern const mac_t MAC_ROUTER;
extern const mac_t MAC_C1;
extern const mac_t MAC_C2;
extern const mac_t MAC_C3;
extern const mac_t MAC_C6;
extern const mac_t MAC_C7;
extern const mac_t MAC_C4;
extern const mac_t MAC_C5;
extern const mac_t MAC_GW;
extern const mac_t MAC_W1;
extern const mac_t MAC_W2;

enum { P1, P2, P3, P4, UL0, NDEV };
extern const char *const dev_names[NDEV];

struct topo {
	struct tenet_datapath dp;
	int ifindex[NDEV];
};
extern struct topo topo;
#define TOPO_MAPS (topo.dp.xdp->maps)

/* Find the devices and load the datapath (maps shared, not pinned). */
int topo_setup(bool record_redirect);
void topo_teardown(void);
void topo_seed(void);
void topo_set_cfg_flags(__u32 flags);
void topo_set_pa(uint16_t vlan);
void topo_put(struct bpf_map *m, const void *k, const void *v);
__be32 topo_be(const char *ip);
void topo_add_vsid(uint32_t vsid, uint32_t rd, const char *prefix, const char *gw, uint8_t plen);
void topo_add_port(int dev, uint32_t vsid, uint32_t rd, const mac_t mac);
/* The port's tenet_port entry and its tenet_portcache slot (as tenetd). */
void topo_put_port(int dev, const struct tenet_port_val *p);
/* local_dev >= 0: the record is that local port; else remote at pa. */
void topo_add_record(uint32_t vsid, uint32_t rd, const char *ca, const mac_t mac,
		     const char *pa, int local_dev);
/* The next-hop table (tenet_nexthop) from PA_LOCAL to pa; seeded with
 * PA_REMOTE's and PA_ROUTED's entries as tenetd would write them (the
 * device's MTU included). */
void topo_add_nexthop(const char *pa, int dev, const mac_t smac, const mac_t dmac,
		      uint16_t vlan);
void topo_set_nhcache(const char *pa, const char *key_pa, int dev, const mac_t smac,
		      const mac_t dmac, uint16_t vlan, __u32 valid);
void topo_del_nexthop(const char *pa);
/* The MTU in pa's entry and in its slot (when the slot is the pair's). */
void topo_set_nexthop_mtu(const char *pa, uint16_t mtu);
void topo_seed_nexthops(void);
/* nh NULL: on-link route. */
void topo_add_route(uint32_t rd, const char *prefix, int plen, const char *nh, uint32_t vsid);

#endif

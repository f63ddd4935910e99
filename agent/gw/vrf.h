/* SPDX-License-Identifier: GPL-2.0 */
/* The vrf reconciler: the links, settings, addresses, routes and rules of
 * this host's compartments (docs/gateway.md). Per compartment with id N:
 *
 *   tvrfN   VRF device, table 10000+N
 *   tgiN    veth end enslaved to tvrfN: HNV's IfCi1, with the compartment's
 *           address and MAC; for a VLAN compartment, the VLAN of a NIC
 *           instead (no tgpN: the tenant's network is that VLAN)
 *   tgpN    its peer, a port of the host datapath (the datapath reconciler
 *           programs it from the compartment record: TC program, port
 *           maps), so NVGRE for the compartment's MAC is decapsulated into
 *           the VRF and what the VRF sends toward the tenant is routed and
 *           encapsulated
 *   external interface (forwarding gateway) moved into tvrfN, with its
 *           address
 *   routes  in table 10000+N: every other subnet of the routing domain via
 *           the gateway subnet's .1 (the distributed router), NAT's default
 *           via the uplink, an unreachable default with a high metric
 *   rule    fwmark 0x7e4e0000|table -> table, when the compartment has NAT
 *   settings  up, forwarding, rp_filter, GRO on these devices and the NAT
 *           uplink
 *
 * It reads the kernel every round (RECON_OBSERVE_EACH): links by their
 * alias, routes and rules by their protocol; what someone else changed is
 * put back. Its kernel side is struct vrf_ops: vrf_kernel.c (rtnetlink,
 * sysctls, ethtool), or a fake (selftests/unit/fake_gw.h). */
#ifndef TENETD_GW_VRF_H
#define TENETD_GW_VRF_H

#include <stdint.h>
#include <net/if.h>
#include <linux/types.h>

#include "gw/gw.h"
#include "nl/link.h"
#include "recon/recon.h"

enum vrf_obj {
	VRF_LINK,       /* tvrfN */
	VRF_VETH,       /* tgiN and its peer tgpN */
	VRF_MEMBER,     /* an external interface in a VRF */
	VRF_SETTING,    /* up, forwarding, rp_filter, GRO of a device */
	VRF_ADDR,       /* an address on tgiN or an external interface */
	VRF_ROUTE,      /* a route in a compartment table */
	VRF_RULE,       /* an fwmark rule */
	VRF_NOBJ,
};

struct vrf_id_key {             /* VRF_LINK, VRF_VETH */
	__u32 id;
};

struct vrf_link_val {
	__u32 table;
	char cname[TENET_NAME_MAX + 1]; /* compartment (alias): not compared */
};

/* The internal interface tgiN: a veth whose peer tgpN is a port of the
 * datapath (an NVGRE compartment), or a VLAN of a NIC (vlan != 0). */
struct vrf_veth_val {
	__u32 vrf;                      /* id of the compartment VRF it is in; 0 none */
	__u8 mac[6];
	__u8 pad[2];
	__u16 vlan;                     /* 0: a veth pair */
	__u8 pad2[2];
	char parent[IF_NAMESIZE];       /* the VLAN's NIC */
	__u32 mtu;                      /* at creation: not compared */
	char cname[TENET_NAME_MAX + 1];
};

struct vrf_dev_key {            /* VRF_MEMBER */
	char dev[IF_NAMESIZE];
};

struct vrf_member_val {
	__u32 vrf;                      /* compartment id */
};

enum vrf_setting {
	SET_UP,                         /* link flag IFF_UP (1) */
	SET_FORWARDING,                 /* net.ipv4.conf.DEV.forwarding */
	SET_RP_FILTER,                  /* net.ipv4.conf.DEV.rp_filter */
	SET_GRO,                        /* ethtool generic-receive-offload */
};

struct vrf_setting_key {
	char dev[IF_NAMESIZE];
	__u32 which;                    /* enum vrf_setting */
};

struct vrf_setting_val {
	__s32 val;
};

struct vrf_addr_key {
	char dev[IF_NAMESIZE];
	__be32 addr;
};

struct vrf_addr_val {
	__u8 plen;
	__u8 pad[3];
};

struct vrf_route_key {
	__u32 table;
	__be32 dst;
	__u8 plen;
	__u8 type;                      /* RTN_UNICAST, RTN_UNREACHABLE */
	__u8 pad[2];
	__u32 metric;
};

struct vrf_route_val {
	char dev[IF_NAMESIZE];          /* unicast: the output device */
	__be32 via;                     /* 0: on-link */
};

struct vrf_rule_key {
	__u32 pref;
	__u32 fwmark;
	__u32 table;
};

struct vrf_rule_val {
	__u8 one;
};

typedef int (*vrf_entry_cb)(const void *key, const void *val, void *arg);

/* Everything by device name; 0 or -errno. */
struct vrf_ops {
	void *ctx;
	/* Every link (names, kinds, aliases, masters, flags, MACs). */
	int (*link_dump)(void *ctx, struct nl_link **out, size_t *n);
	/* 1: exists and is tenet's (its alias), 0: exists, someone else's;
	 * -ENODEV: no such link. */
	int (*link_owner)(void *ctx, const char *name);
	int (*link_mtu)(void *ctx, const char *name);
	/* Create marked with alias (-EEXIST if the name is taken). */
	int (*vrf_add)(void *ctx, const char *name, uint32_t table, const char *alias);
	int (*veth_add)(void *ctx, const char *name, const char *peer, uint32_t mtu,
			const char *alias);
	int (*vlan_add)(void *ctx, const char *name, const char *parent, uint16_t vlan,
			const char *alias);
	int (*link_del)(void *ctx, const char *name);
	/* master NULL: leave the VRF. */
	int (*link_master)(void *ctx, const char *name, const char *master);
	int (*link_mac)(void *ctx, const char *name, const uint8_t mac[6]);
	/* A setting's value, or -errno (-ENODEV: no such device). */
	int (*setting_get)(void *ctx, const char *dev, enum vrf_setting which);
	int (*setting_set)(void *ctx, const char *dev, enum vrf_setting which, int val);
	/* Every IPv4 address with its device. */
	int (*addr_dump)(void *ctx, gw_addr_cb cb, void *arg);
	int (*addr_add)(void *ctx, const char *dev, __be32 addr, uint8_t plen);
	int (*addr_del)(void *ctx, const char *dev, __be32 addr);
	/* tenet's routes outside the main table (struct vrf_route_key, _val;
	 * dev "" when the device is unknown). */
	int (*route_dump)(void *ctx, vrf_entry_cb cb, void *arg);
	/* Create or replace. */
	int (*route_set)(void *ctx, const struct vrf_route_key *k, const struct vrf_route_val *v);
	int (*route_del)(void *ctx, const struct vrf_route_key *k, const struct vrf_route_val *v);
	/* tenet's rules (struct vrf_rule_key, _val). */
	int (*rule_dump)(void *ctx, vrf_entry_cb cb, void *arg);
	int (*rule_add)(void *ctx, const struct vrf_rule_key *k);     /* -EEXIST if there */
	int (*rule_del)(void *ctx, const struct vrf_rule_key *k);
};

/* The real ops (vrf_kernel.c). */
int vrf_kernel_open(struct vrf_ops **ops);
void vrf_kernel_close(struct vrf_ops *ops);
/* The real addr_dump of the gateway's ops: every IPv4 address with its
 * device's name (vrf_kernel.c). */
int gw_kernel_addr_dump(struct nl *nl, gw_addr_cb cb, void *arg);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel side of the host datapath reconciler: everything it does to
 * the kernel goes through this table, so unit tests run it against a
 * fake (selftests/unit/fake_ops.h) and the daemon against the real thing
 * (kernel.c). Every function returns 0 (or a documented positive value)
 * or a negative errno. */
#ifndef TENETD_HOST_OPS_H
#define TENETD_HOST_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "host/objs.h"

struct htab;

typedef int (*ops_entry_cb)(const void *key, const void *val, void *arg);

struct knl_ops {
	void *ctx;
	/* BPF maps, by object kind (obj_is_map()). */
	int (*map_update)(void *ctx, enum obj m, const void *key, const void *val);
	int (*map_delete)(void *ctx, enum obj m, const void *key);   /* -ENOENT ok */
	/* Optional (NULL: one map_update per entry): write n entries, keys
	 * and values packed back to back. 0, or an error after which the
	 * caller writes the entries one by one. */
	int (*map_update_batch)(void *ctx, enum obj m, const void *keys, const void *vals,
				unsigned int n);
	int (*map_iterate)(void *ctx, enum obj m, ops_entry_cb cb, void *arg);
	/* Optional: after a round's writes, the map of kind m holds now
	 * (the reconciler's shadow of it): bring what the kernel keeps
	 * derived from that map up to date (the direct-mapped copies of
	 * tenet_pa and tenet_port, headers/tenet/maps.h). Cheap when the
	 * map was not written since the last call. The real kernel's
	 * ops read the map back rather than trust now (kernel.c). 0 or
	 * -errno. */
	int (*map_flush)(void *ctx, enum obj m, const struct htab *now);
	/* Zero slot `slot` of tenet_vstats on every CPU, before a VSID is
	 * given it (NULL: nothing to zero). */
	int (*vstats_zero)(void *ctx, uint32_t slot);
	/* PA addresses and provider routes (rtnetlink). */
	int (*addr_add)(void *ctx, const struct addr_key *k, const struct addr_val *v);
	int (*addr_del)(void *ctx, const struct addr_key *k);
	int (*route_add)(void *ctx, const struct kroute_key *k, const struct kroute_val *v);
	int (*route_del)(void *ctx, const struct kroute_key *k, const struct kroute_val *v);
	/* Routes tenet installed earlier (its rtm_protocol), for the shadow. */
	int (*route_iterate)(void *ctx, ops_entry_cb cb, void *arg);
	/* TC program on a port: attach replaces tenet's own filter atomically. */
	int (*tc_attach)(void *ctx, uint32_t ifindex);
	int (*tc_detach)(void *ctx, uint32_t ifindex);
	/* Links. link_index: ifindex or -ENODEV. */
	int (*link_index)(void *ctx, const char *name);
	int (*link_mtu)(void *ctx, uint32_t ifindex);
	/* The link's MAC address (decap accepts NVGRE to a PA only in frames
	 * addressed to its device). */
	int (*link_mac)(void *ctx, uint32_t ifindex, uint8_t mac[6]);
	int (*link_set_mtu)(void *ctx, uint32_t ifindex, uint32_t mtu);
	/* Create NAME as VLAN vlan over parent unless it exists, marked as
	 * tenet's; 1 if created. */
	int (*vlan_ensure)(void *ctx, const char *parent, uint16_t vlan, const char *name);
	/* Remove the VLAN devices vlan_ensure made whose names are not in
	 * keep[0..n); the number removed or -errno. */
	int (*vlan_prune)(void *ctx, const char *const *keep, size_t n);
	/* A PA device: set it up (IPv4 forwarding is left as the operator
	 * set it); 1 if anything changed. */
	int (*pa_link_prepare)(void *ctx, const char *name);
};

#endif

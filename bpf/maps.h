/* SPDX-License-Identifier: GPL-2.0 */
/* Map definitions. Both entry objects include this file; every map is
 * pinned by name, so the second object loaded reuses the first one's maps
 * (libbpf does this when given the same pin_root_path). */
#ifndef TENET_BPF_MAPS_H
#define TENET_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <tenet/limits.h>
#include <tenet/maps.h>
#include <tenet/drop.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tenet_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_PAS);
	__type(key, __be32);
	__type(value, struct tenet_pa_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_pa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TENET_PA_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct tenet_pa_cache);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_pacache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_NEXTHOPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tenet_nh_key);
	__type(value, struct tenet_nh_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_nexthop SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TENET_NH_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct tenet_nh_cache);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_nhcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TENET_NHSTAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_nhstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_VSIDS);
	__type(key, __u32);
	__type(value, struct tenet_vsid_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_vsid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct tenet_port_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TENET_PORT_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct tenet_port_cache);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_portcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_PORTS);
	__type(key, struct tenet_mac_key);
	__type(value, struct tenet_port_mac_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_port_mac SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_LOOKUPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tenet_vmac_key);
	__type(value, struct tenet_vmac_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_mac SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_LOOKUPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tenet_ca_key);
	__type(value, struct tenet_ca_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_ca SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tenet_route_key);
	__type(value, struct tenet_route_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_route SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_RDOMAINS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct tenet_route_lens);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_route_lens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TENET_DROP_MAX);
	__type(key, __u32);
	__type(value, struct tenet_drop_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TENET_VSTATS_SLOTS);
	__type(key, __u32);
	__type(value, struct tenet_vstats_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_vstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TENET_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_events SEC(".maps");

/* Dynamic IP address learning (bpf/learn.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TENET_MAX_VSIDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tenet_l2only_key);
	__type(value, struct tenet_l2only_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_l2only SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TENET_LEARN_SEEN_MAX);
	__type(key, struct tenet_lseen_key);
	__type(value, struct tenet_lseen_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_lseen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TENET_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct tenet_lrate_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_lrate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TENET_LSTAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tenet_lstats SEC(".maps");

#endif

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "host/attach.h"
#include "datapath/datapath.h"
#include "host/kernel.h"
#include "log.h"
#include "nl/addr.h"
#include "nl/link.h"
#include "nl/route.h"
#include "tenet_tc.skel.h"

static __u32 pa_slot(const void *key)
{
	__be32 pa;

	memcpy(&pa, key, sizeof(pa));
	return tenet_pa_slot(pa);
}

static __u32 port_slot(const void *key)
{
	__u32 ifindex;

	memcpy(&ifindex, key, sizeof(ifindex));
	return tenet_port_slot(ifindex);
}

static struct kernel_cache *cache_of(struct kernel *k, enum obj m)
{
	struct kernel_cache *kc = m == OBJ_PA ? &k->pa_cache : m == OBJ_PORT ? &k->port_cache : NULL;

	return kc && kc->open ? kc : NULL;
}

/* The copies of what an earlier agent (or a datapath reload) left are
 * read whole and trusted for nothing: dirty, so the first flush compares
 * every slot with what the hash holds and rewrites what differs. */
static int cache_open(struct kernel_cache *kc, int fd, __u32 nslots, size_t key_size,
		      size_t val_size, __u32 (*slot)(const void *key))
{
	int ret;

	if (fd < 0)
		return 0;       /* not pinned: no copy to keep */
	ret = dmcache_init(&kc->c, fd, nslots, key_size, val_size, slot);
	if (ret == 0)
		kc->open = kc->dirty = true;
	return ret;
}

static int caches_open(struct kernel *k, int pa_fd, int port_fd)
{
	int ret = cache_open(&k->pa_cache, pa_fd, TENET_PA_CACHE_SLOTS, sizeof(__be32),
			     sizeof(struct tenet_pa_val), pa_slot);

	if (ret == 0)
		ret = cache_open(&k->port_cache, port_fd, TENET_PORT_CACHE_SLOTS, sizeof(__u32),
				 sizeof(struct tenet_port_val), port_slot);
	return ret;
}

static void caches_close(struct kernel *k)
{
	struct kernel_cache *kcs[] = { &k->pa_cache, &k->port_cache };

	for (size_t i = 0; i < sizeof(kcs) / sizeof(kcs[0]); i++) {
		if (k->own_fds && kcs[i]->c.fd >= 0)
			close(kcs[i]->c.fd);
		dmcache_fini(&kcs[i]->c);
		kcs[i]->open = false;
		kcs[i]->c.fd = -1;
	}
}

static void fds_none(struct kernel *k)
{
	for (int o = 0; o < OBJ_MAX; o++)
		k->map_fd[o] = -1;
	k->pa_cache.c.fd = k->port_cache.c.fd = -1;
	k->vstats_fd = -1;
	k->tc_prog_fd = -1;
}

int kernel_init(struct kernel *k, const struct tenet_datapath *dp)
{
	const struct tenet_tc *tc = dp->tc;
	int ret;

	memset(k, 0, sizeof(*k));
	fds_none(k);
	k->map_fd[OBJ_CFG] = bpf_map__fd(tc->maps.tenet_cfg);
	k->map_fd[OBJ_PA] = bpf_map__fd(tc->maps.tenet_pa);
	k->map_fd[OBJ_VSID] = bpf_map__fd(tc->maps.tenet_vsid);
	k->map_fd[OBJ_PORT] = bpf_map__fd(tc->maps.tenet_port);
	k->map_fd[OBJ_PORT_MAC] = bpf_map__fd(tc->maps.tenet_port_mac);
	k->map_fd[OBJ_MAC] = bpf_map__fd(tc->maps.tenet_mac);
	k->map_fd[OBJ_CA] = bpf_map__fd(tc->maps.tenet_ca);
	k->map_fd[OBJ_ROUTE] = bpf_map__fd(tc->maps.tenet_route);
	k->map_fd[OBJ_L2ONLY] = bpf_map__fd(tc->maps.tenet_l2only);
	k->map_fd[OBJ_ROUTE_LENS] = bpf_map__fd(tc->maps.tenet_route_lens);
	k->vstats_fd = bpf_map__fd(tc->maps.tenet_vstats);
	k->tc_prog_fd = bpf_program__fd(tc->progs.tenet_tc_port);
	ret = caches_open(k, bpf_map__fd(tc->maps.tenet_pacache),
			  bpf_map__fd(tc->maps.tenet_portcache));
	if (ret == 0)
		ret = nl_open(&k->nl);
	if (ret < 0)
		caches_close(k);
	return ret;
}

int kernel_init_pinned(struct kernel *k, const char *pin_dir)
{
	static const char *const names[OBJ_MAX] = {
		[OBJ_CFG] = TENET_MAP_CFG, [OBJ_PA] = TENET_MAP_PA, [OBJ_VSID] = TENET_MAP_VSID,
		[OBJ_PORT] = TENET_MAP_PORT, [OBJ_PORT_MAC] = TENET_MAP_PORT_MAC,
		[OBJ_MAC] = TENET_MAP_MAC, [OBJ_CA] = TENET_MAP_CA, [OBJ_ROUTE] = TENET_MAP_ROUTE,
		[OBJ_ROUTE_LENS] = TENET_MAP_ROUTE_LENS, [OBJ_L2ONLY] = TENET_MAP_L2ONLY,
	};
	char path[PATH_MAX];
	int pa_fd = -1, port_fd = -1, ret;

	memset(k, 0, sizeof(*k));
	fds_none(k);
	k->own_fds = true;
	for (int o = 0; o < OBJ_MAX; o++)
		if (names[o] && snprintf(path, sizeof(path), "%s/%s", pin_dir, names[o]) <
				(int)sizeof(path))
			k->map_fd[o] = bpf_obj_get(path);
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, TENET_MAP_VSTATS) < (int)sizeof(path))
		k->vstats_fd = bpf_obj_get(path);
	/* Opened here too: whoever writes the hashes keeps their copies. */
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, TENET_MAP_PA_CACHE) < (int)sizeof(path))
		pa_fd = bpf_obj_get(path);
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, TENET_MAP_PORT_CACHE) < (int)sizeof(path))
		port_fd = bpf_obj_get(path);
	k->pa_cache.c.fd = pa_fd;
	k->port_cache.c.fd = port_fd;
	ret = caches_open(k, pa_fd, port_fd);
	if (ret == 0)
		ret = nl_open(&k->nl);
	if (ret < 0)
		caches_close(k);
	return ret;
}

void kernel_close(struct kernel *k)
{
	nl_close(&k->nl);
	caches_close(k);
	for (int o = 0; k->own_fds && o < OBJ_MAX; o++)
		if (k->map_fd[o] >= 0)
			close(k->map_fd[o]);
	if (k->own_fds && k->vstats_fd >= 0)
		close(k->vstats_fd);
}

/*
 * The copies of tenet_pa and tenet_port. tenet_port says which VSID and
 * routing domain a port's frames are in, tenet_pa which PAs decap takes
 * NVGRE for: a copy that lagged behind its hash would put a frame into
 * the VSID a port had before, which is tenant isolation broken, not a
 * slow path. So the copy is never behind the hash:
 *
 * 1. Before a key of the hash is changed or deleted, the copy's slot is
 *    withdrawn if it holds that key (cache_withdraw): an array update
 *    rewrites the value in place, and this one changes nothing but the
 *    valid byte (key and val are written back as they are), so a
 *    concurrent reader sees the old entry whole or an invalid slot.
 *    Every program that starts after the write returns reads valid 0
 *    and takes the hash.
 * 2. Then the hash: it swaps its element whole, so a reader gets the old
 *    value or the new one.
 * 3. From then on only programs that started before step 2 can hold the
 *    old value (from the copy or from the hash alike): they run to their
 *    end inside an RCU read-side section, as with the hash alone.
 * 4. After the round's writes, the reconciler's flush (k_map_flush) makes
 *    the copy what the hash holds (dmcache_sync: a withdrawn slot's key
 *    and val are rewritten only a grace period after the withdrawal,
 *    then published after another), before the agent reports the round
 *    applied. A write that fails leaves the hash as it was; its slot
 *    stays withdrawn until that flush publishes it again.
 *
 * If the withdrawal cannot be written, the hash is not written either:
 * the change fails and is retried, and the old VSID stays consistent in
 * both. A key that is new to the hash needs no withdrawal: its slot is
 * invalid or holds another key, and readers of it take the hash.
 */
static int cache_withdraw(struct kernel *k, enum obj m, const void *key)
{
	struct kernel_cache *kc = cache_of(k, m);
	int ret;

	if (!kc)
		return 0;
	kc->dirty = true;
	ret = dmcache_withdraw(&kc->c, key);
	return ret < 0 ? ret : 0;
}

static int k_map_update(void *ctx, enum obj m, const void *key, const void *val)
{
	struct kernel *k = ctx;
	int ret = cache_withdraw(k, m, key);

	if (ret < 0)
		return ret;
	return bpf_map_update_elem(k->map_fd[m], key, val, BPF_ANY) ? -errno : 0;
}

static int k_map_update_batch(void *ctx, enum obj m, const void *keys, const void *vals,
			      unsigned int n)
{
	struct kernel *k = ctx;
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	size_t ksz = obj_key_size(m);
	__u32 count = n;
	int ret;

	/* (Lookup entries, 2M at a 1M-record start, have no copy.) */
	for (unsigned int i = 0; cache_of(k, m) && i < n; i++) {
		ret = cache_withdraw(k, m, (const char *)keys + i * ksz);
		if (ret < 0)
			return ret;
	}
	if (bpf_map_update_batch(k->map_fd[m], keys, vals, &count, &o))
		return -errno;
	return count == n ? 0 : -EIO;
}

static int k_map_delete(void *ctx, enum obj m, const void *key)
{
	struct kernel *k = ctx;
	int ret = cache_withdraw(k, m, key);

	if (ret < 0)
		return ret;
	return bpf_map_delete_elem(k->map_fd[m], key) ? -errno : 0;
}

static int put_entry(const void *key, const void *val, void *arg)
{
	return htab_put(arg, key, val, NULL) ? 0 : -ENOMEM;
}

static int k_map_iterate(void *ctx, enum obj m, ops_entry_cb cb, void *arg);

/* Step 4 above, for a copy whose hash was written since its last sync
 * (or that was just opened); nothing for the other maps. The copy is
 * made from the hash itself, read back (a few entries: ports and PAs),
 * not from the caller's idea of it (now, the shadow): whatever the
 * engine believes, a slot can only ever hold what the hash holds. */
static int k_map_flush(void *ctx, enum obj m, const struct htab *now)
{
	struct kernel *k = ctx;
	struct kernel_cache *kc = cache_of(k, m);
	struct htab held;
	int ret;

	(void)now;
	if (!kc || !kc->dirty)
		return 0;
	htab_init(&held, obj_key_size(m), obj_val_size(m));
	ret = k_map_iterate(k, m, put_entry, &held);
	if (ret == 0)
		ret = dmcache_sync(&kc->c, &held);
	htab_free(&held);
	if (ret < 0)
		return ret;
	kc->dirty = false;
	return 0;
}

static int k_map_iterate(void *ctx, enum obj m, ops_entry_cb cb, void *arg)
{
	struct kernel *k = ctx;
	unsigned char key[64], next[64], val[64];
	void *prev = NULL;
	int ret;

	if (k->map_fd[m] < 0)
		return 0;       /* not pinned: nothing an earlier agent left */
	for (;;) {
		if (bpf_map_get_next_key(k->map_fd[m], prev, next))
			return errno == ENOENT ? 0 : -errno;
		memcpy(key, next, obj_key_size(m));
		prev = key;
		/* An entry deleted between the two calls is simply not there. */
		if (bpf_map_lookup_elem(k->map_fd[m], key, val))
			continue;
		ret = cb(key, val, arg);
		if (ret < 0)
			return ret;
	}
}

/* A per-CPU array takes one value per possible CPU. */
static int k_vstats_zero(void *ctx, uint32_t slot)
{
	struct kernel *k = ctx;
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct tenet_vstats_val *zero;

	if (k->vstats_fd < 0)
		return 0;       /* no map to zero (not pinned: tenetd --cleanup) */
	if (ncpu < 0)
		return ncpu;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(k->vstats_fd, &slot, zero, BPF_ANY))
		ret = -errno;
	free(zero);
	return ret;
}

static int k_addr_add(void *ctx, const struct addr_key *key, const struct addr_val *v)
{
	struct kernel *k = ctx;

	return nl_addr_add(&k->nl, key->ifindex, key->addr, v->plen);
}

static int k_addr_del(void *ctx, const struct addr_key *key)
{
	struct kernel *k = ctx;

	return nl_addr_del(&k->nl, key->ifindex, key->addr);
}

/* Provider routes: unicast, in the main table. */
static int k_route_add(void *ctx, const struct kroute_key *key, const struct kroute_val *v)
{
	struct kernel *k = ctx;
	struct nl_route r = { .table = RT_TABLE_MAIN, .type = RTN_UNICAST, .dst = key->dst,
			      .plen = key->plen, .oif = v->ifindex, .via = v->via };

	return nl_route_add(&k->nl, &r, false);
}

/* By prefix and device: whatever the next hop. */
static int k_route_del(void *ctx, const struct kroute_key *key, const struct kroute_val *v)
{
	struct kernel *k = ctx;
	struct nl_route r = { .table = RT_TABLE_MAIN, .type = RTN_UNICAST, .dst = key->dst,
			      .plen = key->plen, .oif = v ? v->ifindex : 0 };

	return nl_route_del(&k->nl, &r);
}

static int k_route_iterate(void *ctx, ops_entry_cb cb, void *arg)
{
	struct kernel *k = ctx;
	struct nl_route *rs;
	size_t n;
	int ret = nl_route_dump(&k->nl, &rs, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++) {
		struct kroute_key key = { .dst = rs[i].dst, .plen = rs[i].plen };
		struct kroute_val v = { .ifindex = rs[i].oif, .via = rs[i].via };

		if (rs[i].table != RT_TABLE_MAIN || rs[i].type != RTN_UNICAST)
			continue;
		ret = cb(&key, &v, arg);
	}
	free(rs);
	return ret < 0 ? ret : 0;
}

/* A port is the VM's cable, not an interface of the host: the host's own
 * IPv6 (link-local address, DAD, router solicitations, MLD) would
 * otherwise leave through it into the tenant's network, which the TC
 * program on the port's ingress never sees. */
static void port_quiet(uint32_t ifindex)
{
	char name[IF_NAMESIZE];
	int ret;

	if (!if_indextoname(ifindex, name))
		return;
	ret = sysctl_dev_set("ipv6", name, "disable_ipv6", 1);
	if (ret < 0 && ret != -ENOENT) /* ENOENT: no IPv6 in this kernel */
		log_warn("port %s: cannot disable the host's IPv6 on it: %s", name,
			 strerror(-ret));
	else if (ret > 0)
		log_info("port %s: host IPv6 disabled (no host traffic into the tenant)", name);
}

static int k_tc_attach(void *ctx, uint32_t ifindex)
{
	struct kernel *k = ctx;
	int ret = attach_tc(k->tc_prog_fd, ifindex);

	if (ret == 0)
		port_quiet(ifindex);
	return ret;
}

static int k_tc_detach(void *ctx, uint32_t ifindex)
{
	return detach_tc(ifindex);
}

static int k_link_index(void *ctx, const char *name)
{
	unsigned int ifindex = if_nametoindex(name);

	return ifindex ? (int)ifindex : -ENODEV;
}

static int k_link_mtu(void *ctx, uint32_t ifindex)
{
	struct kernel *k = ctx;
	struct nl_link l;
	int ret = nl_link_get(&k->nl, ifindex, &l);

	return ret < 0 ? ret : (int)l.mtu;
}

static int k_link_mac(void *ctx, uint32_t ifindex, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

static int k_link_set_mtu(void *ctx, uint32_t ifindex, uint32_t mtu)
{
	struct kernel *k = ctx;
	char name[IF_NAMESIZE] = "?";
	int ret = nl_link_set_mtu(&k->nl, ifindex, mtu);

	if_indextoname(ifindex, name);
	if (ret < 0)
		log_warn("port %s: cannot set MTU %u: %s", name, mtu, strerror(-ret));
	else
		log_info("port %s: MTU lowered to %u (underlay MTU minus NVGRE overhead)", name,
			 mtu);
	return ret;
}

/* The alias of the VLAN devices tenetd makes for PAs: only those are ever
 * removed, never a VLAN device the operator made and put a PA on. */
#define PA_VLAN_ALIAS "tenet: pa vlan"

static int k_vlan_ensure(void *ctx, const char *parent, uint16_t vlan, const char *name)
{
	struct kernel *k = ctx;
	unsigned int pidx = if_nametoindex(parent), ifindex;
	int ret;

	if (if_nametoindex(name))
		return 0;
	if (!pidx)
		return -ENODEV;
	ret = nl_link_add_vlan(&k->nl, pidx, vlan, name);
	if (ret == -EEXIST)
		return 0;
	if (ret < 0)
		return ret;
	ifindex = if_nametoindex(name);
	if (!ifindex || nl_link_set_alias(&k->nl, ifindex, PA_VLAN_ALIAS) < 0)
		log_warn("VLAN device %s: cannot mark it as tenet's; it will not be removed "
			 "with its PA", name);
	log_info("created VLAN device %s (VLAN %u on %s)", name, vlan, parent);
	return 1;
}

static int k_vlan_prune(void *ctx, const char *const *keep, size_t n)
{
	struct kernel *k = ctx;
	struct nl_link *links = NULL;
	size_t nlinks = 0, i, j;
	int removed = 0, ret;

	ret = nl_link_dump(&k->nl, &links, &nlinks);
	if (ret < 0)
		return ret;
	for (i = 0; i < nlinks; i++) {
		if (strcmp(links[i].kind, "vlan") || strcmp(links[i].alias, PA_VLAN_ALIAS))
			continue;
		for (j = 0; j < n && strcmp(keep[j], links[i].name); j++)
			;
		if (j < n)
			continue;
		ret = nl_link_del(&k->nl, links[i].ifindex);
		if (ret < 0 && ret != -ENODEV) {
			log_warn("VLAN device %s: cannot remove it: %s", links[i].name,
				 strerror(-ret));
			continue;
		}
		log_info("removed VLAN device %s (no PA of this host uses it)", links[i].name);
		removed++;
	}
	free(links);
	return removed;
}

static int k_pa_link_prepare(void *ctx, const char *name)
{
	struct kernel *k = ctx;
	unsigned int ifindex = if_nametoindex(name);
	struct nl_link l;
	int changed = 0, ret;

	if (!ifindex)
		return -ENODEV;
	ret = nl_link_get(&k->nl, ifindex, &l);
	if (ret < 0)
		return ret;
	if (!(l.flags & IFF_UP)) {
		ret = nl_link_set_up(&k->nl, ifindex);
		if (ret < 0)
			return ret;
		log_info("underlay device %s set up", name);
		changed = 1;
	}
	/* IPv4 forwarding stays as the operator set it: the datapath's
	 * next hops come from tenet_nexthop (host/nexthop.c), so the host
	 * never has to route for the underlay. */
	return changed;
}

void kernel_ops(struct kernel *k, struct knl_ops *ops)
{
	*ops = (struct knl_ops){
		.ctx = k,
		.map_update = k_map_update,
		.map_update_batch = k_map_update_batch,
		.map_delete = k_map_delete,
		.map_iterate = k_map_iterate,
		.map_flush = k_map_flush,
		.vstats_zero = k_vstats_zero,
		.addr_add = k_addr_add,
		.addr_del = k_addr_del,
		.route_add = k_route_add,
		.route_del = k_route_del,
		.route_iterate = k_route_iterate,
		.tc_attach = k_tc_attach,
		.tc_detach = k_tc_detach,
		.link_index = k_link_index,
		.link_mtu = k_link_mtu,
		.link_mac = k_link_mac,
		.link_set_mtu = k_link_set_mtu,
		.vlan_ensure = k_vlan_ensure,
		.vlan_prune = k_vlan_prune,
		.pa_link_prepare = k_pa_link_prepare,
	};
}

/* SPDX-License-Identifier: GPL-2.0 */
/* A fake kernel behind the host datapath reconciler's ops table
 * (agent/host/ops.h): maps, addresses, routes and attachments live in a
 * set of the reconciler's object tables; links in a small table.
 * Every call is recorded as one line ("map_update port", "tc_attach 4")
 * so tests can check what the reconciler did and in which order, and any
 * call can be made to fail. Header only: each unit test is one program. */
#ifndef TENET_FAKE_OPS_H
#define TENET_FAKE_OPS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/objs.h"
#include "host/ops.h"

#define FAKE_MAX_LINKS 16
#define FAKE_MAX_CALLS 512

struct fake_link {
	char name[16];
	uint32_t ifindex;
	uint32_t mtu;
	int up;
	int forwarding;         /* never set: tenetd leaves forwarding alone */
	int vlan;               /* created by vlan_ensure */
};

struct fake {
	struct recon_set k;     /* what the "kernel" holds */
	struct fake_link links[FAKE_MAX_LINKS];
	int nlinks;
	char calls[FAKE_MAX_CALLS][48];
	int ncalls;
	char fail_call[48];     /* a call line that fails (once unless sticky) */
	int fail_err;
	int fail_sticky;
	uint32_t next_ifindex;
	/* tenet_vstats slots zeroed (vstats_zero), in order; not in calls,
	 * which tests compare line by line. */
	uint32_t zeroed[64];
	int nzeroed;
};

static inline int fake_record(struct fake *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Record a call; returns the injected error if this is the failing call. */
static inline int fake_record(struct fake *f, const char *fmt, ...)
{
	char line[48];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (f->ncalls < FAKE_MAX_CALLS)
		strcpy(f->calls[f->ncalls++], line);
	if (f->fail_call[0] && !strcmp(line, f->fail_call)) {
		if (!f->fail_sticky)
			f->fail_call[0] = '\0';
		return f->fail_err;
	}
	return 0;
}

static inline int fake_calls_count(const struct fake *f, const char *prefix)
{
	int n = 0;

	for (int i = 0; i < f->ncalls; i++)
		n += !strncmp(f->calls[i], prefix, strlen(prefix));
	return n;
}

/* Index of the first call starting with prefix, or -1. */
static inline int fake_call_index(const struct fake *f, const char *prefix)
{
	for (int i = 0; i < f->ncalls; i++)
		if (!strncmp(f->calls[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

static inline void fake_calls_reset(struct fake *f)
{
	f->ncalls = 0;
}

static inline void fake_dump_calls(const struct fake *f)
{
	for (int i = 0; i < f->ncalls; i++)
		fprintf(stderr, "  call %d: %s\n", i, f->calls[i]);
}

static inline struct fake_link *fake_link_by_name(struct fake *f, const char *name)
{
	for (int i = 0; i < f->nlinks; i++)
		if (!strcmp(f->links[i].name, name))
			return &f->links[i];
	return NULL;
}

static inline struct fake_link *fake_link_by_index(struct fake *f, uint32_t ifindex)
{
	for (int i = 0; i < f->nlinks; i++)
		if (f->links[i].ifindex == ifindex)
			return &f->links[i];
	return NULL;
}

static inline uint32_t fake_add_link(struct fake *f, const char *name, uint32_t mtu)
{
	struct fake_link *l = &f->links[f->nlinks++];

	snprintf(l->name, sizeof(l->name), "%s", name);
	l->ifindex = f->next_ifindex++;
	l->mtu = mtu;
	return l->ifindex;
}

static inline void fake_del_link(struct fake *f, const char *name)
{
	struct fake_link *l = fake_link_by_name(f, name);

	if (l)
		*l = f->links[--f->nlinks];
}

static int fake_map_update(void *ctx, enum obj m, const void *key, const void *val)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "map_update %s", obj_name(m));

	if (!ret)
		htab_put(&f->k.t[m], key, val, NULL);
	return ret;
}

static int fake_map_delete(void *ctx, enum obj m, const void *key)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "map_delete %s", obj_name(m));

	return ret ? ret : htab_del(&f->k.t[m], key);
}

static int fake_iterate(struct htab *h, ops_entry_cb cb, void *arg)
{
	struct htab_iter it;
	struct htab_entry *e;
	int ret;

	htab_iter_init(&it, h);
	while ((e = htab_iter_next(&it)))
		if ((ret = cb(htab_key(e), htab_val(e), arg)) < 0)
			return ret;
	return 0;
}

static int fake_map_iterate(void *ctx, enum obj m, ops_entry_cb cb, void *arg)
{
	struct fake *f = ctx;

	return fake_iterate(&f->k.t[m], cb, arg);
}

static int fake_addr_add(void *ctx, const struct addr_key *k, const struct addr_val *v)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "addr_add %u", k->ifindex);

	if (!ret)
		htab_put(&f->k.t[OBJ_ADDR], k, v, NULL);
	return ret;
}

static int fake_addr_del(void *ctx, const struct addr_key *k)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "addr_del %u", k->ifindex);

	return ret ? ret : htab_del(&f->k.t[OBJ_ADDR], k) ? -EADDRNOTAVAIL : 0;
}

static int fake_route_add(void *ctx, const struct kroute_key *k, const struct kroute_val *v)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "route_add %u", k->plen);

	if (!ret)
		htab_put(&f->k.t[OBJ_KROUTE], k, v, NULL);
	return ret;
}

static int fake_route_del(void *ctx, const struct kroute_key *k, const struct kroute_val *v)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "route_del %u", k->plen);

	return ret ? ret : htab_del(&f->k.t[OBJ_KROUTE], k) ? -ESRCH : 0;
}

static int fake_route_iterate(void *ctx, ops_entry_cb cb, void *arg)
{
	struct fake *f = ctx;

	return fake_iterate(&f->k.t[OBJ_KROUTE], cb, arg);
}

static int fake_tc_attach(void *ctx, uint32_t ifindex)
{
	struct fake *f = ctx;
	struct attach_val v = { 0 };
	int ret = fake_record(f, "tc_attach %u", ifindex);

	if (!ret && !fake_link_by_index(f, ifindex))
		ret = -ENODEV;
	if (!ret)
		htab_put(&f->k.t[OBJ_ATTACH], &ifindex, &v, NULL);
	return ret;
}

static int fake_tc_detach(void *ctx, uint32_t ifindex)
{
	struct fake *f = ctx;
	int ret = fake_record(f, "tc_detach %u", ifindex);

	return ret ? ret : htab_del(&f->k.t[OBJ_ATTACH], &ifindex);
}

static int fake_link_index(void *ctx, const char *name)
{
	struct fake_link *l = fake_link_by_name(ctx, name);

	return l ? (int)l->ifindex : -ENODEV;
}

static int fake_link_mtu(void *ctx, uint32_t ifindex)
{
	struct fake_link *l = fake_link_by_index(ctx, ifindex);

	return l ? (int)l->mtu : -ENODEV;
}

/* Every fake link's MAC: 02:fa:ce:00:00:<ifindex>. */
static int fake_link_mac(void *ctx, uint32_t ifindex, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x02, 0xfa, 0xce, 0, 0, 0 };

	if (!fake_link_by_index(ctx, ifindex))
		return -ENODEV;
	memcpy(mac, base, 6);
	mac[5] = (uint8_t)ifindex;
	return 0;
}

static int fake_link_set_mtu(void *ctx, uint32_t ifindex, uint32_t mtu)
{
	struct fake *f = ctx;
	struct fake_link *l = fake_link_by_index(f, ifindex);
	int ret = fake_record(f, "set_mtu %u %u", ifindex, mtu);

	if (!ret && l)
		l->mtu = mtu;
	return ret ? ret : l ? 0 : -ENODEV;
}

static int fake_vlan_ensure(void *ctx, const char *parent, uint16_t vlan, const char *name)
{
	struct fake *f = ctx;
	struct fake_link *p = fake_link_by_name(f, parent);
	int ret;

	if (fake_link_by_name(f, name))
		return 0;
	ret = fake_record(f, "vlan_add %s", name);
	if (ret)
		return ret;
	if (!p)
		return -ENODEV;
	fake_add_link(f, name, p->mtu);
	fake_link_by_name(f, name)->vlan = vlan;
	return 1;
}

/* Removes the links vlan_ensure made that keep does not name (the fake's
 * stand-in for the kernel's alias mark). */
static int fake_vlan_prune(void *ctx, const char *const *keep, size_t n)
{
	struct fake *f = ctx;
	int removed = 0;

	for (int i = 0; i < f->nlinks; i++) {
		size_t j;

		if (!f->links[i].vlan)
			continue;
		for (j = 0; j < n && strcmp(keep[j], f->links[i].name); j++)
			;
		if (j < n)
			continue;
		if (fake_record(f, "vlan_del %s", f->links[i].name))
			continue;
		f->links[i--] = f->links[--f->nlinks];
		removed++;
	}
	return removed;
}

static int fake_pa_link_prepare(void *ctx, const char *name)
{
	struct fake *f = ctx;
	struct fake_link *l = fake_link_by_name(f, name);
	int changed;

	if (!l)
		return -ENODEV;
	changed = !l->up;
	if (changed)
		fake_record(f, "prepare %s", name);
	l->up = 1;
	return changed;
}

static int fake_vstats_zero(void *ctx, uint32_t slot)
{
	struct fake *f = ctx;

	if (f->nzeroed < (int)(sizeof(f->zeroed) / sizeof(f->zeroed[0])))
		f->zeroed[f->nzeroed++] = slot;
	return 0;
}

static inline void fake_init(struct fake *f, struct knl_ops *ops)
{
	memset(f, 0, sizeof(*f));
	recon_set_init(&f->k, &host_reconciler);
	f->next_ifindex = 2;
	*ops = (struct knl_ops){
		.ctx = f,
		.map_update = fake_map_update,
		.map_delete = fake_map_delete,
		.map_iterate = fake_map_iterate,
		.vstats_zero = fake_vstats_zero,
		.addr_add = fake_addr_add,
		.addr_del = fake_addr_del,
		.route_add = fake_route_add,
		.route_del = fake_route_del,
		.route_iterate = fake_route_iterate,
		.tc_attach = fake_tc_attach,
		.tc_detach = fake_tc_detach,
		.link_index = fake_link_index,
		.link_mtu = fake_link_mtu,
		.link_mac = fake_link_mac,
		.link_set_mtu = fake_link_set_mtu,
		.vlan_ensure = fake_vlan_ensure,
		.vlan_prune = fake_vlan_prune,
		.pa_link_prepare = fake_pa_link_prepare,
	};
}

static inline void fake_free(struct fake *f)
{
	recon_set_free(&f->k);
}

#endif

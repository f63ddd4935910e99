// SPDX-License-Identifier: GPL-2.0
/* This host's compartments, read from the model (see gw.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw.h"

static void *grow(void *p, size_t n, size_t size)
{
	/* Powers of two: amortised appends. */
	if (n & (n - 1))
		return p;
	return realloc(p, (n ? n * 2 : 1) * size);
}

#define APPEND(arr, n, v)                                                      \
	({                                                                     \
		void *_p = grow((arr), (n), sizeof(*(arr)));                   \
		int _r = -ENOMEM;                                              \
		if (_p) {                                                      \
			(arr) = _p;                                            \
			(arr)[(n)++] = (v);                                    \
			_r = 0;                                                \
		}                                                              \
		_r;                                                            \
	})

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct gw_tenant *)a)->key, ((const struct gw_tenant *)b)->key);
}

static int by_external(const void *pa, const void *pb)
{
	const struct tenet_natmap *a = *(const struct tenet_natmap *const *)pa;
	const struct tenet_natmap *b = *(const struct tenet_natmap *const *)pb;

	if (a->external != b->external)
		return a->external < b->external ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->ext_port < b->ext_port ? -1 : a->ext_port > b->ext_port;
}

static int by_id(const void *pa, const void *pb)
{
	const struct tenet_s2s *a = *(const struct tenet_s2s *const *)pa;
	const struct tenet_s2s *b = *(const struct tenet_s2s *const *)pb;

	return a->id < b->id ? -1 : a->id > b->id;
}

static int uplink_addr(const char *dev, uint32_t ifindex, uint32_t addr, uint8_t plen,
		       void *arg)
{
	struct gw_tenants *g = arg;

	for (size_t k = 0; k < g->n; k++) {
		struct gw_tenant *t = &g->t[k];

		if (!t->nat || t->uplink_ifindex || t->nat->external != addr)
			continue;
		snprintf(t->uplink, sizeof(t->uplink), "%s", dev);
		t->uplink_ifindex = ifindex;
	}
	return 0;
}

/* One walk of the model (a million lookup records on a big host): the
 * few records of the gateway are picked out, then joined. */
int gw_tenants_collect(struct gw_tenants *g, const struct model *m, const struct recon_env *env,
		       gw_addr_dump_fn dump, void *dump_ctx)
{
	const struct tenet_s2s **s2s = NULL;
	const struct tenet_nat **nats = NULL;
	const struct tenet_ravpn **ras = NULL;
	size_t ns2s = 0, nras = 0;
	char a[TENET_IPV4_STRLEN];
	struct htab_iter it;
	struct htab_entry *e;
	size_t nnats = 0;
	int ret = 0;

	memset(g, 0, sizeof(*g));
	htab_iter_init(&it, &m->recs);
	while (!ret && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		struct gw_tenant t = { 0 };

		if (r->kind == TENET_KIND_VSUBNET) {
			ret = APPEND(g->vs, g->nvs, &r->vsubnet);
		} else if (r->kind == TENET_KIND_COMPARTMENT &&
			   !strcmp(r->compartment.host, env->host)) {
			t.cm = &r->compartment;
			t.key = htab_key(e);
			ret = APPEND(g->t, g->n, t);
		} else if (r->kind == TENET_KIND_NATMAP && !strcmp(r->natmap.host, env->host)) {
			ret = APPEND(g->maps, g->nmaps, &r->natmap);
		} else if (r->kind == TENET_KIND_NAT && !strcmp(r->nat.host, env->host)) {
			ret = APPEND(nats, nnats, &r->nat);
		} else if (r->kind == TENET_KIND_S2S && !strcmp(r->s2s.host, env->host)) {
			ret = APPEND(s2s, ns2s, &r->s2s);
		} else if (r->kind == TENET_KIND_RAVPN && !strcmp(r->ravpn.host, env->host)) {
			ret = APPEND(ras, nras, &r->ravpn);
		}
	}
	/* The ruleset lists compartments and mappings in these orders: the
	 * same model gives the same text, whatever order it is walked in. */
	if (g->n)
		qsort(g->t, g->n, sizeof(*g->t), by_key);
	if (g->nmaps)
		qsort(g->maps, g->nmaps, sizeof(*g->maps), by_external);
	/* NAT records and mappings join their compartment (by routing domain). */
	for (size_t k = 0; !ret && k < nnats; k++)
		for (size_t i = 0; i < g->n; i++)
			if (!strcmp(g->t[i].cm->rdomain, nats[k]->rdomain))
				g->t[i].nat = nats[k];
	for (size_t k = 0; !ret && k < g->nmaps; k++)
		for (size_t i = 0; i < g->n; i++)
			if (!strcmp(g->t[i].cm->rdomain, g->maps[k]->rdomain))
				ret = APPEND(g->t[i].maps, g->t[i].nmaps, g->maps[k]);
	/* S2S interfaces join theirs too, by id: the same text every walk. */
	if (ns2s)
		qsort(s2s, ns2s, sizeof(*s2s), by_id);
	for (size_t k = 0; !ret && k < ns2s; k++)
		for (size_t i = 0; i < g->n; i++)
			if (!strcmp(g->t[i].cm->rdomain, s2s[k]->rdomain))
				ret = APPEND(g->t[i].s2s, g->t[i].ns2s, s2s[k]->id);
	for (size_t k = 0; !ret && k < nras; k++)
		for (size_t i = 0; i < g->n; i++)
			if (!strcmp(g->t[i].cm->rdomain, ras[k]->rdomain))
				g->t[i].ravpn = true;
	free(nats);
	free(s2s);
	free(ras);
	if (ret < 0 || !dump)
		return ret;
	for (size_t k = 0; k < g->n; k++) {
		if (!g->t[k].nat)
			continue;
		/* The device holding each tenant's external address. */
		dump(dump_ctx, uplink_addr, g);
		break;
	}
	for (size_t k = 0; k < g->n; k++)
		if (g->t[k].nat && !g->t[k].uplink_ifindex)
			recon_note(env, g->t[k].key, "nat external %s: no interface of this host holds "
			     "it; NAT not programmed", tenet_fmt_ipv4(g->t[k].nat->external, a));
	return 0;
}

void gw_tenants_free(struct gw_tenants *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->t[i].maps);
		free(g->t[i].s2s);
	}
	free(g->t);
	free(g->vs);
	free(g->maps);
	memset(g, 0, sizeof(*g));
}

const struct tenet_compartment *gw_compartment_of(const struct model *m, const char *host,
						  const char *rdomain)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, (struct htab *)&m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind == TENET_KIND_COMPARTMENT && !strcmp(r->compartment.host, host) &&
		    !strcmp(r->compartment.rdomain, rdomain))
			return &r->compartment;
	}
	return NULL;
}

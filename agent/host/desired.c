// SPDX-License-Identifier: GPL-2.0
/* Translation of store records into the entries of the BPF maps (the
 * contract with bpf/: headers/tenet/maps.h) and the kernel objects a host
 * owns. Deterministic: when two records want the same map entry, the
 * record with the smaller store key wins (for customer routes, the lower
 * metric first), whatever order the model is walked in. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <tenet/limits.h>

#include "host/desired.h"

/* What of the kernel's state the lost records (model_lost: corrupt, with
 * no good version known) and what depends on them keep: docs/agent.md,
 * "Failure behaviour", has the rule per record kind. */
struct lost {
	bool any;
	bool rdomain;           /* a routing domain record: unclaimed ids held */
	bool compartment;       /* a compartment of this host: its port tgpN held */
	struct htab rd_names;   /* lost routing domain names */
	struct htab vsids;      /* held VSIDs: lost subnets, subnets of lost domains */
	struct htab ca;         /* lost lookup records by CA: struct lost_ca */
	struct htab mac;        /* lost lookup records by MAC: struct tenet_vmac_key */
	struct htab pa;         /* this host's lost PAs: IP -> store key */
	struct htab kroute;     /* this host's lost provider routes: struct kroute_key */
	struct htab port_dev;   /* this host's lost ports: device name */
	struct htab ports;      /* ifindexes of the ports held */
	struct htab claimed;    /* routing domain ids good records have */
};

struct lost_ca {
	__u32 vsid;
	__be32 ca;
};

/* Indexes the translation needs across record kinds. */
struct build {
	const struct model *m;
	const struct build_env *env;
	struct recon_set *out;
	struct name_set *names;
	struct htab rd;         /* rdomain name -> struct rd_info */
	struct htab vs;         /* VSID -> struct vs_info */
	struct htab local_pa;   /* this host's PA IPs (every PA record) */
	struct htab local_port; /* struct tenet_vmac_key -> ifindex */
	struct l2only_ent *l2; /* l2only records, numbered per VSID at the end */
	size_t nl2, capl2;
	__be32 src_pa;          /* first usable PA: outer source of encap */
	const char *src_pa_key;
	struct lost lost;
	/* With env->index: the MAC and CA keys that met a conflict. */
	struct htab *contested_mac, *contested_ca;
	int err;
};

struct l2only_ent {
	const char *key;        /* store key: the order of the slots */
	struct tenet_l2only_key k;
	struct tenet_l2only_val v;
};

struct rd_info {
	__u32 id;
};

struct vs_info {
	__u32 rdomain;
	struct tenet_prefix prefix;
	__u16 stats_slot;       /* its tenet_vstats slot (add_stats_slots) */
};

static void note(struct build *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct build *b, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!b->env->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->env->note(b->env->note_arg, key, msg);
}

static void add_name(struct build *b, const char *name)
{
	if (b->names && name_set_add(b->names, name) < 0)
		b->err = -ENOMEM;
}

static bool is_host(const struct build *b, const char *host)
{
	return !strcmp(host, b->env->host);
}

/* A PA's kernel device: the underlay device or its VLAN subdevice. */
static int pa_devname(const struct tenet_pa *pa, char *buf, size_t len)
{
	int n = pa->vlan ? snprintf(buf, len, "%s.%u", pa->dev, pa->vlan) :
			   snprintf(buf, len, "%s", pa->dev);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A MAC or CA entry more than one record wants: desired_update leaves
 * it to a whole build. */
static void contest(struct build *b, enum obj o, const void *key)
{
	struct htab *h = o == OBJ_MAC ? b->contested_mac : o == OBJ_CA ? b->contested_ca : NULL;
	char one = 1;

	if (h && !htab_find(h, key) && !htab_put(h, key, &one, NULL))
		b->err = -ENOMEM;
}

/* Put an entry owned by store key `owner`; e is the entry the table
 * already has for key (the caller looked), or NULL. When another record
 * already owns it, the smaller store key wins and the loser is noted.
 * better() may decide first (customer route metrics). */
static void put_found(struct build *b, enum obj o, struct htab_entry *e, const void *key,
		      const void *val, const char *owner,
		      int (*better)(const void *new_val, const void *old_val))
{
	const char *loser;
	char what[160];
	int cmp = 0;

	if (e) {
		contest(b, o, key);
		if (better)
			cmp = better(val, htab_val(e));
		if (!cmp)
			cmp = strcmp(owner, e->tag) < 0 ? 1 : -1;
		loser = cmp > 0 ? e->tag : owner;
		obj_describe(o, key, NULL, what, sizeof(what));
		note(b, loser, "conflicts with %s for %s; ignored",
		     cmp > 0 ? owner : (const char *)e->tag, what);
		if (cmp < 0)
			return;
		memcpy(htab_val(e), val, b->out->t[o].val_size);
	} else {
		/* Absent: an insert without a second look (a 1M-record start
		 * puts 2M entries). */
		e = htab_add(&b->out->t[o], key, val, b->out->t[o].val_size);
		if (!e) {
			b->err = -ENOMEM;
			return;
		}
	}
	e->tag = owner;
}

static void put_owned(struct build *b, enum obj o, const void *key, const void *val,
		      const char *owner,
		      int (*better)(const void *new_val, const void *old_val))
{
	put_found(b, o, htab_find(&b->out->t[o], key), key, val, owner, better);
}

/* ---- pass 1: routing domains and this host's PAs ---- */

static void add_rdomain(struct build *b, const char *key, const struct tenet_rdomain *r)
{
	struct rd_info info = { .id = r->id };
	struct htab_entry *e;

	if (!r->id) {
		note(b, key, "routing domain %s has id 0; not programmed", r->name);
		return;
	}
	/* The name is the key, so only corrupt data repeats one. */
	e = htab_put(&b->rd, r->name, &info, NULL);
	if (!e)
		b->err = -ENOMEM;
}

static void add_pa(struct build *b, const char *key, const struct tenet_pa *pa)
{
	struct tenet_pa_val v = { .vlan = pa->vlan };
	struct addr_key ak = { .addr = pa->addr.addr };
	struct addr_val av = { .plen = pa->addr.len };
	char dev[32];
	__be32 ip = pa->addr.addr;
	char one = 1;
	int ifindex;

	if (!is_host(b, pa->host))
		return;
	if (!htab_put(&b->local_pa, &ip, &one, NULL)) {
		b->err = -ENOMEM;
		return;
	}
	add_name(b, pa->dev);
	if (pa_devname(pa, dev, sizeof(dev)) < 0 || strlen(dev) > TENET_IFNAME_MAX) {
		note(b, key, "VLAN device name %s.%u is too long; not programmed", pa->dev,
		     pa->vlan);
		return;
	}
	add_name(b, dev);
	ifindex = b->env->ops->link_index(b->env->ops->ctx, dev);
	if (ifindex <= 0) {
		note(b, key, "device %s not present; PA not programmed", dev);
		return;
	}
	if (b->env->ops->link_mac(b->env->ops->ctx, (__u32)ifindex, v.mac) < 0) {
		note(b, key, "cannot read the MAC of %s; PA not programmed", dev);
		return;
	}
	v.ifindex = (__u32)ifindex;
	ak.ifindex = (__u32)ifindex;
	put_owned(b, OBJ_PA, &ip, &v, key, NULL);
	put_owned(b, OBJ_ADDR, &ak, &av, key, NULL);
	if (!b->src_pa_key || strcmp(key, b->src_pa_key) < 0) {
		b->src_pa = ip;
		b->src_pa_key = key;
	}
}

static void add_proute(struct build *b, const char *key, const struct tenet_proute *r)
{
	struct kroute_key k = { .dst = r->prefix.addr, .plen = r->prefix.len };
	struct kroute_val v = { .via = r->via };
	int ifindex;

	if (!is_host(b, r->host))
		return;
	add_name(b, r->dev);
	ifindex = b->env->ops->link_index(b->env->ops->ctx, r->dev);
	if (ifindex <= 0) {
		note(b, key, "device %s not present; provider route not programmed", r->dev);
		return;
	}
	v.ifindex = (__u32)ifindex;
	put_owned(b, OBJ_KROUTE, &k, &v, key, NULL);
}

/* ---- pass 2: virtual subnets ---- */

/* The first address of the subnet is the distributed router. */
static __be32 subnet_gateway(const struct tenet_prefix *p)
{
	return htonl(ntohl(p->addr) + 1);
}

static void add_vsubnet(struct build *b, const char *key, const struct tenet_vsubnet *s)
{
	const struct htab_entry *rd = htab_find(&b->rd, s->rdomain);
	struct tenet_vsid_val v = { 0 };
	struct vs_info info;

	if (!rd && b->lost.rdomain && htab_find(&b->lost.rd_names, s->rdomain)) {
		note(b, key, "routing domain %s cannot be decoded; the subnet keeps what the "
		     "kernel has", s->rdomain);
		if (!htab_put(&b->lost.vsids, &s->vsid, "", NULL))
			b->err = -ENOMEM;
		return;
	}
	if (!rd) {
		note(b, key, "routing domain %s unknown; subnet not programmed", s->rdomain);
		return;
	}
	info.rdomain = ((const struct rd_info *)htab_val(rd))->id;
	info.prefix = s->prefix;
	info.stats_slot = 0;    /* given after the pass: add_stats_slots */
	v.rdomain = info.rdomain;
	v.prefix = s->prefix.addr;
	v.plen = s->prefix.len;
	v.gateway = subnet_gateway(&s->prefix);
	if (!htab_put(&b->vs, &s->vsid, &info, NULL)) {
		b->err = -ENOMEM;
		return;
	}
	put_owned(b, OBJ_VSID, &s->vsid, &v, key, NULL);
}

/* ---- after pass 2: the subnets' counter slots ---- */

_Static_assert(TENET_VSTATS_SLOTS <= 65536, "a slot is a __u16");

static int vsid_cmp(const void *pa, const void *pb)
{
	__u32 a = *(const __u32 *)pa, b = *(const __u32 *)pb;

	return a < b ? -1 : a > b;
}

/* Each subnet's slot in tenet_vstats (headers/tenet/maps.h), sticky: a
 * VSID keeps the slot its entry in the kernel has, so its counters go on
 * across rounds and agent restarts. A VSID new to this host gets the
 * lowest slot that no entry in the kernel (VSID or port) has and no VSID
 * of this build: a removed VSID's slot is given again only in a round
 * after its entries are gone, so no two VSIDs ever count into one slot,
 * and the put of the new entry zeroes it first (objs.c, put_vsid). New
 * VSIDs are numbered in VSID order, so the slots do not depend on the
 * order the records are walked in. With every slot taken, a subnet gets
 * slot 0: it works, and is counted only per drop reason. */
static void add_stats_slots(struct build *b)
{
	enum { FREE, KERNEL, TAKEN };
	const struct recon_set *k = b->env->kernel;
	struct htab *vsids = &b->out->t[OBJ_VSID];
	unsigned char *used = calloc(TENET_VSTATS_SLOTS, 1);
	__u32 *fresh = calloc(vsids->n + 1, sizeof(*fresh));
	size_t n = 0, next = 1;
	struct htab_iter it;
	struct htab_entry *e;

	if (!used || !fresh) {
		b->err = -ENOMEM;
		goto out;
	}
	used[0] = TAKEN;        /* "no slot": never given */
	if (k) {
		htab_iter_init(&it, (struct htab *)&k->t[OBJ_VSID]);
		while ((e = htab_iter_next(&it)))
			used[((const struct tenet_vsid_val *)htab_val(e))->stats_slot] |= KERNEL;
		/* A port outlives its VSID's entry only when its delete
		 * failed; it still counts into the slot (either of its two
		 * entries: decap counts by the MAC entry's copy). */
		htab_iter_init(&it, (struct htab *)&k->t[OBJ_PORT]);
		while ((e = htab_iter_next(&it)))
			used[((const struct tenet_port_val *)htab_val(e))->stats_slot] |= KERNEL;
		htab_iter_init(&it, (struct htab *)&k->t[OBJ_PORT_MAC]);
		while ((e = htab_iter_next(&it)))
			used[((const struct tenet_port_mac_val *)htab_val(e))->stats_slot] |= KERNEL;
	}
	htab_iter_init(&it, vsids);
	while ((e = htab_iter_next(&it))) {
		const struct htab_entry *ke = k ? htab_find(&k->t[OBJ_VSID], htab_key(e)) : NULL;
		__u16 slot = ke ? ((const struct tenet_vsid_val *)htab_val(ke))->stats_slot : 0;

		if (slot && used[slot] != TAKEN) {
			((struct tenet_vsid_val *)htab_val(e))->stats_slot = slot;
			used[slot] = TAKEN;
		} else {
			fresh[n++] = *(const __u32 *)htab_key(e);
		}
	}
	qsort(fresh, n, sizeof(*fresh), vsid_cmp);
	for (size_t i = 0; i < n; i++) {
		e = htab_find(vsids, &fresh[i]);
		while (next < TENET_VSTATS_SLOTS && used[next])
			next++;
		if (next == TENET_VSTATS_SLOTS) {
			note(b, e->tag, "no free counter slot for VSID %u (%u in use); its "
			     "traffic is not counted per VSID", fresh[i], TENET_VSTATS_SLOTS - 1);
			((struct tenet_vsid_val *)htab_val(e))->stats_slot = 0;
			continue;
		}
		((struct tenet_vsid_val *)htab_val(e))->stats_slot = (__u16)next;
		used[next] = TAKEN;
	}
	/* The ports copy their subnet's slot from here (add_port). */
	htab_iter_init(&it, vsids);
	while ((e = htab_iter_next(&it))) {
		struct htab_entry *vi = htab_find(&b->vs, htab_key(e));

		if (vi)
			((struct vs_info *)htab_val(vi))->stats_slot =
				((const struct tenet_vsid_val *)htab_val(e))->stats_slot;
	}
out:
	free(used);
	free(fresh);
}

/* ---- pass 3: ports ---- */

static void add_port(struct build *b, const char *key, const struct tenet_port *p)
{
	struct tenet_vmac_key lk = { .vsid = p->vsid };
	struct tenet_port_val v = { .vsid = p->vsid };
	struct tenet_port_mac_val pm = { .vsid = p->vsid };
	struct tenet_mac_key mk = { 0 };
	struct attach_val att = { 0 };
	const struct vs_info *vi;
	const struct htab_entry *vs;
	__u32 ifx;
	int ifindex;

	if (!is_host(b, p->host))
		return;
	add_name(b, p->dev);
	vs = htab_find(&b->vs, &p->vsid);
	if (!vs && htab_find(&b->lost.vsids, &p->vsid)) {
		note(b, key, "the virtual subnet of VSID %u (or its routing domain) cannot be "
		     "decoded; the port keeps what the kernel has", p->vsid);
		return;
	}
	if (!vs) {
		note(b, key, "VSID %u has no virtual subnet; port not attached", p->vsid);
		return;
	}
	ifindex = b->env->ops->link_index(b->env->ops->ctx, p->dev);
	if (ifindex <= 0) {
		note(b, key, "device %s not present; port attaches when it appears", p->dev);
		return;
	}
	ifx = (__u32)ifindex;
	vi = htab_val(vs);
	/* Copies of what every frame of the port needs (headers/tenet/maps.h):
	 * built here from the same records as the originals, so a change of
	 * the subnet, its routing domain or the host's PA rewrites them. */
	v.rdomain = vi->rdomain;
	v.pa = b->src_pa;
	v.gateway = subnet_gateway(&vi->prefix);
	v.stats_slot = vi->stats_slot;
	memcpy(v.mac, p->mac, TENET_ETH_ALEN);
	pm.ifindex = ifx;
	pm.rdomain = vi->rdomain;
	pm.stats_slot = vi->stats_slot;
	memcpy(mk.mac, p->mac, TENET_ETH_ALEN);
	memcpy(lk.mac, p->mac, TENET_ETH_ALEN);
	put_owned(b, OBJ_PORT, &ifx, &v, key, NULL);
	put_owned(b, OBJ_PORT_MAC, &mk, &pm, key, NULL);
	put_owned(b, OBJ_ATTACH, &ifx, &att, key, NULL);
	if (!htab_put(&b->local_port, &lk, &ifx, NULL))
		b->err = -ENOMEM;
}

/* ---- pass 4: lookup records and customer routes ---- */

/* A record is local when it names one of this host's PAs and a port of
 * this host has its VSID and MAC: deliver to the port, no encap. */
static __u32 local_ifindex(const struct build *b, const struct tenet_lookup *l)
{
	struct tenet_vmac_key k = { .vsid = l->vsid };
	const struct htab_entry *e;

	if (!htab_find(&b->local_pa, &l->pa))
		return 0;
	memcpy(k.mac, l->mac, TENET_ETH_ALEN);
	e = htab_find(&b->local_port, &k);
	return e ? *(const __u32 *)htab_val(e) : 0;
}

static bool learned_type(__u8 t)
{
	return t == TENET_LOOKUP_L2ONLY || t == TENET_LOOKUP_DYNAMIC;
}

/* An l2only record and the dynamic records learned through it share one
 * (VSID, MAC) entry: no conflict. The l2only record (the configured place
 * of the MAC) wins; between dynamic records, the smaller store key. */
static void put_mac(struct build *b, const char *key, const struct tenet_vmac_key *mk,
		    const struct tenet_vmac_val *mv)
{
	struct htab_entry *e = htab_find(&b->out->t[OBJ_MAC], mk);
	struct tenet_vmac_val *old;

	if (!e || !learned_type(mv->type) ||
	    !learned_type(((struct tenet_vmac_val *)htab_val(e))->type)) {
		put_found(b, OBJ_MAC, e, mk, mv, key, NULL);
		return;
	}
	contest(b, OBJ_MAC, mk);
	old = htab_val(e);
	if (old->type == TENET_LOOKUP_L2ONLY && mv->type == TENET_LOOKUP_L2ONLY) {
		put_found(b, OBJ_MAC, e, mk, mv, key, NULL);
		return;
	}
	if (old->type == TENET_LOOKUP_L2ONLY ||
	    (mv->type == TENET_LOOKUP_DYNAMIC && strcmp(key, e->tag) > 0))
		return;
	memcpy(htab_val(e), mv, sizeof(*mv));
	e->tag = key;
}

/* Collected here, numbered by add_l2only_slots() once all are known. */
static void add_l2only(struct build *b, const char *key, const struct tenet_lookup *l,
		       __u32 ifindex)
{
	struct l2only_ent *e;

	if (!htab_find(&b->vs, &l->vsid))
		return;         /* noted with the CA entries */
	if (b->nl2 == b->capl2) {
		size_t cap = b->capl2 ? 2 * b->capl2 : 64;
		void *p = realloc(b->l2, cap * sizeof(*b->l2));

		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->l2 = p;
		b->capl2 = cap;
	}
	e = &b->l2[b->nl2++];
	memset(e, 0, sizeof(*e));
	e->key = key;
	e->k.vsid = l->vsid;
	e->v.pa = l->pa;
	e->v.ifindex = ifindex;
	memcpy(e->v.mac, l->mac, TENET_ETH_ALEN);
}

static int l2only_cmp(const void *pa, const void *pb)
{
	const struct l2only_ent *a = pa, *b = pb;

	if (a->k.vsid != b->k.vsid)
		return a->k.vsid < b->k.vsid ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Slots 0..n-1 per VSID in store-key order, so the result does not depend
 * on the order the model is walked in; the datapath asks at most
 * TENET_L2ONLY_PER_VSID holders of a VSID. */
static void add_l2only_slots(struct build *b)
{
	__u32 slot = 0;

	qsort(b->l2, b->nl2, sizeof(*b->l2), l2only_cmp);
	for (size_t i = 0; i < b->nl2; i++) {
		struct l2only_ent *e = &b->l2[i];

		if (i && e->k.vsid != b->l2[i - 1].k.vsid)
			slot = 0;
		if (slot >= TENET_L2ONLY_PER_VSID) {
			note(b, e->key, "more than %u l2only records in vsid %u; this one is not "
			     "asked by dynamic learning", TENET_L2ONLY_PER_VSID, e->k.vsid);
			continue;
		}
		e->k.slot = slot++;
		put_owned(b, OBJ_L2ONLY, &e->k, &e->v, e->key, NULL);
	}
}

static void add_lookup(struct build *b, const char *key, const struct tenet_lookup *l)
{
	struct tenet_vmac_key mk = { .vsid = l->vsid };
	struct tenet_vmac_val mv = { .type = l->type, .rule = l->rule };
	struct tenet_ca_val cv = { .vsid = l->vsid, .type = l->type, .rule = l->rule };
	struct tenet_ca_key ck = { .ip = l->ca };
	const struct htab_entry *vs;
	__u32 ifindex = local_ifindex(b, l);

	mv.ifindex = cv.ifindex = ifindex;
	mv.pa = cv.pa = ifindex ? 0 : l->pa;
	memcpy(mk.mac, l->mac, TENET_ETH_ALEN);
	memcpy(cv.mac, l->mac, TENET_ETH_ALEN);
	put_mac(b, key, &mk, &mv);
	if (l->type == TENET_LOOKUP_L2ONLY)
		add_l2only(b, key, l, ifindex);

	/* l2only records have no IP binding to route or answer ARP with. */
	if (!l->has_ca || l->type == TENET_LOOKUP_L2ONLY)
		return;
	vs = htab_find(&b->vs, &l->vsid);
	if (!vs && htab_find(&b->lost.vsids, &l->vsid))
		return;         /* its subnet's note says why; held */
	if (!vs) {
		note(b, key, "VSID %u has no virtual subnet; CA entry not programmed", l->vsid);
		return;
	}
	ck.rdomain = ((const struct vs_info *)htab_val(vs))->rdomain;
	put_owned(b, OBJ_CA, &ck, &cv, key, NULL);
}

/* Where stride expansions of two routes meet on one entry, the longer
 * original prefix wins (longest prefix match); for the same prefix, the
 * lower metric. */
static int route_better(const void *new_val, const void *old_val)
{
	const struct tenet_route_val *n = new_val, *o = old_val;

	if (n->plen != o->plen)
		return n->plen > o->plen ? 1 : -1;
	if (n->metric == o->metric)
		return 0;
	return n->metric < o->metric ? 1 : -1;
}

/* Put one entry of an expanded route. A shorter route's expansion losing
 * to a longer route is how LPM works, not a conflict worth a note. */
static void put_route(struct build *b, const char *owner, const struct tenet_route_key *k,
		      const struct tenet_route_val *v)
{
	struct htab_entry *e = htab_find(&b->out->t[OBJ_ROUTE], k);
	const struct tenet_route_val *o = e ? htab_val(e) : NULL;

	if (o && o->plen != v->plen) {
		if (o->plen > v->plen)
			return;
		e = htab_put(&b->out->t[OBJ_ROUTE], k, v, NULL);
		if (!e) {
			b->err = -ENOMEM;
			return;
		}
		e->tag = owner;
		return;
	}
	put_owned(b, OBJ_ROUTE, k, v, owner, route_better);
}

static void add_croute(struct build *b, const char *key, const struct tenet_croute *c)
{
	const struct htab_entry *rd = htab_find(&b->rd, c->rdomain);
	struct tenet_route_val v = { .nexthop = c->nexthop, .vsid = c->vsid,
				     .metric = c->metric, .plen = c->prefix.len };
	__u32 elen = tenet_route_expanded_len(c->prefix.len);
	__u32 base = ntohl(c->prefix.addr & tenet_prefix_mask(c->prefix.len));
	/* The datapath probes masked keys (the CLI refuses host bits, but a
	 * record written some other way must not become unreachable), at
	 * multiples of the stride: one entry per expanded prefix. */
	struct tenet_route_key k = { .plen = elen };

	if (!rd) {
		note(b, key, "routing domain %s unknown; route not programmed", c->rdomain);
		return;
	}
	k.rdomain = ((const struct rd_info *)htab_val(rd))->id;
	for (__u32 i = 0; i < 1u << (elen - c->prefix.len); i++) {
		k.ip = htonl(base | (elen ? i << (32 - elen) : 0));
		put_route(b, key, &k, &v);
	}
}

/* The prefix lengths each routing domain has routes of: the datapath
 * probes only those (bpf/route.h). Derived from the route entries, so it
 * follows them through every add and delete. */
static void add_route_lens(struct build *b)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &b->out->t[OBJ_ROUTE]);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_route_key *k = htab_key(e);
		struct tenet_route_lens lens = { 0 };
		struct htab_entry *l = htab_find(&b->out->t[OBJ_ROUTE_LENS], &k->rdomain);

		if (l)
			lens = *(struct tenet_route_lens *)htab_val(l);
		lens.bits |= 1ULL << k->plen;
		if (!htab_put(&b->out->t[OBJ_ROUTE_LENS], &k->rdomain, &lens, NULL))
			b->err = -ENOMEM;
	}
}

/* ---- the passes ---- */

typedef void (*pass_fn)(struct build *b, const char *key, const struct tenet_record *r);

static void pass1(struct build *b, const char *key, const struct tenet_record *r)
{
	if (r->kind == TENET_KIND_RDOMAIN)
		add_rdomain(b, key, &r->rdomain);
	else if (r->kind == TENET_KIND_PA)
		add_pa(b, key, &r->pa);
	else if (r->kind == TENET_KIND_PROUTE)
		add_proute(b, key, &r->proute);
}

static void pass2(struct build *b, const char *key, const struct tenet_record *r)
{
	if (r->kind == TENET_KIND_VSUBNET)
		add_vsubnet(b, key, &r->vsubnet);
}

/* A gateway compartment's internal interface is a port too (the vrf
 * reconciler, agent/gw/vrf.c, creates the device). */
static void add_compartment_port(struct build *b, const char *key,
				 const struct tenet_compartment *c)
{
	struct tenet_port p = { .vsid = c->vsid };

	if (!c->vsid)
		return;         /* a VLAN compartment: no port, its network is the VLAN */
	strcpy(p.host, c->host);
	memcpy(p.mac, c->mac, TENET_MAC_LEN);
	if (tenet_gw_devname(TENET_GW_PORT_PFX, c->id, p.dev, sizeof(p.dev)) == 0)
		add_port(b, key, &p);
}

static void pass3(struct build *b, const char *key, const struct tenet_record *r)
{
	if (r->kind == TENET_KIND_PORT)
		add_port(b, key, &r->port);
	else if (r->kind == TENET_KIND_COMPARTMENT)
		add_compartment_port(b, key, &r->compartment);
}

static void pass4(struct build *b, const char *key, const struct tenet_record *r)
{
	if (r->kind == TENET_KIND_LOOKUP)
		add_lookup(b, key, &r->lookup);
	else if (r->kind == TENET_KIND_CROUTE)
		add_croute(b, key, &r->croute);
}

static void run_pass(struct build *b, pass_fn fn)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &b->m->recs);
	while ((e = htab_iter_next(&it)))
		fn(b, htab_key(e), model_rec(e));
}

static void lost_after_pass(struct build *b, size_t pass);

/* What follows each of the few passes: the subnets' slots once all are
 * known, then what lost records keep. */
static void after_pass(struct build *b, size_t pass)
{
	if (pass == 1)
		add_stats_slots(b);
	lost_after_pass(b, pass);
}

/* Passes 1-3 read the few records that are neither lookups nor customer
 * routes; pass 4 the many that are. The few are picked out of the
 * model's index of records that are not lookup records (a walk of the
 * few, not of a million: no pass depends on the order it meets records
 * in, a conflict goes to the smaller store key), so a million lookup
 * records are walked once. After each of the few passes, what lost
 * records keep joins the picture (after_pass; after pass 2, the subnets'
 * counter slots too). */
static void run_passes(struct build *b)
{
	static const pass_fn few_passes[] = { pass1, pass2, pass3 };
	const struct htab_entry **few = NULL;
	size_t n = 0, cap = 0;
	struct htab_iter it;
	const struct htab_entry *e;

	model_others_init(&it, b->m);
	while ((e = htab_iter_next(&it))) {
		enum tenet_kind k = model_rec(e)->kind;

		if (k == TENET_KIND_CROUTE)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			void *p = realloc(few, ncap * sizeof(*few));

			if (!p) {
				free(few);
				for (size_t i = 0; i < 3; i++) {
					run_pass(b, few_passes[i]);
					after_pass(b, i);
				}
				goto bulk;
			}
			few = p;
			cap = ncap;
		}
		few[n++] = e;
	}
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < n; j++)
			few_passes[i](b, htab_key(few[j]), model_rec(few[j]));
		after_pass(b, i);
	}
	free(few);
bulk:
	run_pass(b, pass4);
}

static void add_cfg(struct build *b)
{
	struct tenet_cfg cfg = { .version = TENET_LAYOUT_VERSION, .flags = TENET_CFG_ENABLED,
				 .router_mac = TENET_ROUTER_MAC_INIT };
	__u32 zero = 0;

	if (b->env->no_flowid)
		cfg.flags |= TENET_CFG_NO_FLOWID;
	if (b->env->strict_source)
		cfg.flags |= TENET_CFG_STRICT_SRC;
	if (!htab_put(&b->out->t[OBJ_CFG], &zero, &cfg, NULL))
		b->err = -ENOMEM;
}

/* ---- records that cannot be decoded ----
 *
 * A lost record's value is gone, but its key says what it was (kind and
 * identity), and the kernel still has what it made: that is found in
 * the shadow (env->kernel) and held, and so is what records depending
 * on it made (a port or lookup entry of a subnet whose record is lost).
 * What was local stays local: a lost PA of this host is still one of its
 * PAs, a held port still receives its VM's traffic. */

static void lost_set(struct build *b, struct htab *h, const void *key)
{
	if (!htab_put(h, key, "", NULL))
		b->err = -ENOMEM;
	b->lost.any = true;
}

/* What a lost record of each kind the host datapath builds from leaves
 * to be held (kinds not listed, NAT and mappings, are other reconcilers'). */
static void lost_kind_rdomain(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	b->lost.rdomain = true;
	lost_set(b, &b->lost.rd_names, r->rdomain.name);
}

static void lost_kind_vsubnet(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	lost_set(b, &b->lost.vsids, &r->vsubnet.vsid);
}

static void lost_kind_lookup(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	struct lost_ca ck = { .vsid = r->lookup.vsid, .ca = r->lookup.ca };
	struct tenet_vmac_key mk = { .vsid = r->lookup.vsid };

	memcpy(mk.mac, r->lookup.mac, TENET_ETH_ALEN);
	if (r->lookup.has_ca)
		lost_set(b, &b->lost.ca, &ck);
	else
		lost_set(b, &b->lost.mac, &mk);
}

static void lost_kind_croute(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	b->lost.any = true;     /* found again by lost_hold_routes */
}

static void lost_kind_pa(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	const char *key = htab_key(e);  /* the value: the lost record's store key */

	if (!is_host(b, r->pa.host))
		return;
	if (!htab_put(&b->lost.pa, &r->pa.addr.addr, &key, NULL))
		b->err = -ENOMEM;
	b->lost.any = true;
}

static void lost_kind_proute(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	struct kroute_key k = { .dst = r->proute.prefix.addr, .plen = r->proute.prefix.len };

	if (is_host(b, r->proute.host))
		lost_set(b, &b->lost.kroute, &k);
}

static void lost_kind_port(struct build *b, const struct htab_entry *e, const struct tenet_record *r)
{
	if (is_host(b, r->port.host))
		lost_set(b, &b->lost.port_dev, r->port.dev);
}

static void lost_kind_compartment(struct build *b, const struct htab_entry *e,
			     const struct tenet_record *r)
{
	if (is_host(b, r->compartment.host))
		b->lost.compartment = b->lost.any = true;
}

static const struct {
	enum tenet_kind kind;
	void (*fn)(struct build *b, const struct htab_entry *e, const struct tenet_record *r);
} lost_kinds[] = {
	{ TENET_KIND_RDOMAIN, lost_kind_rdomain },	{ TENET_KIND_VSUBNET, lost_kind_vsubnet },
	{ TENET_KIND_LOOKUP, lost_kind_lookup },	{ TENET_KIND_CROUTE, lost_kind_croute },
	{ TENET_KIND_PA, lost_kind_pa },	{ TENET_KIND_PROUTE, lost_kind_proute },
	{ TENET_KIND_PORT, lost_kind_port },		{ TENET_KIND_COMPARTMENT, lost_kind_compartment },
};

static void lost_init(struct build *b)
{
	struct lost *l = &b->lost;
	struct htab_iter it;
	struct htab_entry *e;

	htab_init(&l->rd_names, 0, 1);
	htab_init(&l->vsids, sizeof(__u32), 1);
	htab_init(&l->ca, sizeof(struct lost_ca), 1);
	htab_init(&l->mac, sizeof(struct tenet_vmac_key), 1);
	htab_init(&l->pa, sizeof(__be32), sizeof(const char *));
	htab_init(&l->kroute, sizeof(struct kroute_key), 1);
	htab_init(&l->port_dev, 0, 1);
	htab_init(&l->ports, sizeof(__u32), 1);
	htab_init(&l->claimed, sizeof(__u32), 1);
	if (!b->m->bad.n || !b->env->kernel)
		return;
	htab_iter_init(&it, (struct htab *)&b->m->bad);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = htab_val(e);

		if (!model_lost(b->m, e))
			continue;
		for (size_t k = 0; k < sizeof(lost_kinds) / sizeof(lost_kinds[0]); k++)
			if (lost_kinds[k].kind == r->kind)
				lost_kinds[k].fn(b, e, r);
		note(b, htab_key(e), "cannot be decoded and no good version of it is known; the "
		     "kernel keeps what it made until it is repaired or deleted");
	}
}

static void lost_free(struct build *b)
{
	struct lost *l = &b->lost;

	htab_free(&l->rd_names);
	htab_free(&l->vsids);
	htab_free(&l->ca);
	htab_free(&l->mac);
	htab_free(&l->pa);
	htab_free(&l->kroute);
	htab_free(&l->port_dev);
	htab_free(&l->ports);
	htab_free(&l->claimed);
}

static bool rd_unclaimed(const struct build *b, __u32 id)
{
	return b->lost.rdomain && !htab_find(&b->lost.claimed, &id);
}

/* After pass 1: the ids good routing domain records have (what else the
 * kernel has of routing domains belongs to a lost one), and this host's
 * lost PAs the kernel has are still its PAs: local lookups stay local,
 * and the first PA (encap source) is chosen among them too. */
static void lost_pass1(struct build *b)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &b->rd);
	while ((e = htab_iter_next(&it)))
		if (!htab_put(&b->lost.claimed, &((struct rd_info *)htab_val(e))->id, "", NULL))
			b->err = -ENOMEM;
	htab_iter_init(&it, &b->lost.pa);
	while ((e = htab_iter_next(&it))) {
		const char *key = *(const char *const *)htab_val(e);
		char one = 1;

		if (!htab_find(&b->env->kernel->t[OBJ_PA], htab_key(e)))
			continue;
		if (!htab_put(&b->local_pa, htab_key(e), &one, NULL))
			b->err = -ENOMEM;
		if (!b->src_pa_key || strcmp(key, b->src_pa_key) < 0) {
			memcpy(&b->src_pa, htab_key(e), sizeof(b->src_pa));
			b->src_pa_key = key;
		}
	}
}

static bool port_is_compartment(__u32 ifindex)
{
	char name[IF_NAMESIZE];
	size_t n = strlen(TENET_GW_PORT_PFX);

	return if_indextoname(ifindex, name) && !strncmp(name, TENET_GW_PORT_PFX, n) &&
	       name[n] >= '1' && name[n] <= '9';
}

/* After pass 3: ports the kernel has that no good record wants but a lost
 * one owns (its port record, its subnet, its routing domain, its
 * compartment) are held, and their VMs stay local for the lookups. */
static void lost_pass3(struct build *b)
{
	const struct knl_ops *ops = b->env->ops;
	struct lost *l = &b->lost;
	struct htab devs;
	struct htab_iter it;
	struct htab_entry *e;

	htab_init(&devs, sizeof(__u32), 1);
	htab_iter_init(&it, &l->port_dev);
	while ((e = htab_iter_next(&it))) {
		int ifindex = ops->link_index(ops->ctx, htab_key(e));
		__u32 ifx = (__u32)ifindex;

		if (ifindex > 0 && !htab_put(&devs, &ifx, "", NULL))
			b->err = -ENOMEM;
	}
	htab_iter_init(&it, (struct htab *)&b->env->kernel->t[OBJ_PORT]);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_port_val *pv = htab_val(e);
		struct tenet_vmac_key lk = { .vsid = pv->vsid };
		__u32 ifx = *(const __u32 *)htab_key(e);

		if (htab_find(&b->out->t[OBJ_PORT], &ifx))
			continue;
		if (!htab_find(&l->vsids, &pv->vsid) && !rd_unclaimed(b, pv->rdomain) &&
		    !htab_find(&devs, &ifx) && !(l->compartment && port_is_compartment(ifx)))
			continue;
		if (!htab_put(&l->ports, &ifx, "", NULL))
			b->err = -ENOMEM;
		memcpy(lk.mac, pv->mac, TENET_ETH_ALEN);
		if (!htab_find(&b->local_port, &lk) && !htab_put(&b->local_port, &lk, &ifx, NULL))
			b->err = -ENOMEM;
	}
	htab_free(&devs);
}

static void lost_after_pass(struct build *b, size_t pass)
{
	if (!b->lost.any)
		return;
	if (pass == 0)
		lost_pass1(b);
	else if (pass == 2)
		lost_pass3(b);
}

static void hold(struct build *b, enum obj o, const void *key)
{
	if (recon_hold(b->out, o, key) < 0)
		b->err = -ENOMEM;
}

/* The route entries of this host's lost customer routes, and of lost
 * routing domains; the lengths map keeps their lengths. */
static void lost_hold_routes(struct build *b)
{
	const struct htab *kr = &b->env->kernel->t[OBJ_ROUTE];
	struct htab_iter it, bi;
	struct htab_entry *e, *be, *lens;

	htab_iter_init(&it, (struct htab *)kr);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_route_key *k = htab_key(e);
		const struct tenet_route_val *v = htab_val(e);
		bool held = rd_unclaimed(b, k->rdomain);

		htab_iter_init(&bi, (struct htab *)&b->m->bad);
		while (!held && (be = htab_iter_next(&bi))) {
			const struct tenet_record *r = htab_val(be);
			const struct htab_entry *rd;

			if (r->kind != TENET_KIND_CROUTE || !model_lost(b->m, be) ||
			    !(rd = htab_find(&b->rd, r->croute.rdomain)))
				continue;
			held = ((const struct rd_info *)htab_val(rd))->id == k->rdomain &&
			       v->plen == r->croute.prefix.len &&
			       (k->ip & tenet_prefix_mask(r->croute.prefix.len)) ==
				       r->croute.prefix.addr;
		}
		if (!held || htab_find(&b->out->t[OBJ_ROUTE], k))
			continue;
		hold(b, OBJ_ROUTE, k);
		/* The datapath probes only the lengths the map lists. */
		lens = htab_find(&b->out->t[OBJ_ROUTE_LENS], &k->rdomain);
		if (!lens) {
			hold(b, OBJ_ROUTE_LENS, &k->rdomain);
			continue;
		}
		((struct tenet_route_lens *)htab_val(lens))->bits |= 1ULL << k->plen;
	}
}

static void lost_hold(struct build *b)
{
	const struct recon_set *k = b->env->kernel;
	struct lost *l = &b->lost;
	struct htab_iter it;
	struct htab_entry *e;

	if (!l->any)
		return;
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_VSID]);
	while ((e = htab_iter_next(&it)))
		if (htab_find(&l->vsids, htab_key(e)) ||
		    rd_unclaimed(b, ((const struct tenet_vsid_val *)htab_val(e))->rdomain))
			hold(b, OBJ_VSID, htab_key(e));
	htab_iter_init(&it, &l->ports);
	while ((e = htab_iter_next(&it))) {
		const struct htab_entry *p = htab_find(&k->t[OBJ_PORT], htab_key(e));
		struct tenet_mac_key mk = { 0 };

		hold(b, OBJ_PORT, htab_key(e));
		hold(b, OBJ_ATTACH, htab_key(e));
		if (!p)
			continue;
		memcpy(mk.mac, ((const struct tenet_port_val *)htab_val(p))->mac, TENET_ETH_ALEN);
		hold(b, OBJ_PORT_MAC, &mk);
	}
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_CA]);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_ca_key *ck = htab_key(e);
		const struct tenet_ca_val *cv = htab_val(e);
		struct lost_ca lc = { .vsid = cv->vsid, .ca = ck->ip };
		struct tenet_vmac_key mk = { .vsid = cv->vsid };

		if (htab_find(&l->ca, &lc)) {
			/* Its MAC entry too: the key by CA does not name it. */
			memcpy(mk.mac, cv->mac, TENET_ETH_ALEN);
			hold(b, OBJ_MAC, &mk);
		} else if (!htab_find(&l->vsids, &cv->vsid) && !rd_unclaimed(b, ck->rdomain)) {
			continue;
		}
		hold(b, OBJ_CA, ck);
	}
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_MAC]);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_vmac_key *mk = htab_key(e);

		if (htab_find(&l->vsids, &mk->vsid) || htab_find(&l->mac, mk))
			hold(b, OBJ_MAC, mk);
	}
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_L2ONLY]);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_l2only_key *lk = htab_key(e);
		struct tenet_vmac_key mk = { .vsid = lk->vsid };

		memcpy(mk.mac, ((const struct tenet_l2only_val *)htab_val(e))->mac, TENET_ETH_ALEN);
		if (htab_find(&l->vsids, &lk->vsid) || htab_find(&l->mac, &mk))
			hold(b, OBJ_L2ONLY, lk);
	}
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_ROUTE_LENS]);
	while ((e = htab_iter_next(&it)))
		if (rd_unclaimed(b, *(const __u32 *)htab_key(e)))
			hold(b, OBJ_ROUTE_LENS, htab_key(e));
	lost_hold_routes(b);
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_PA]);
	while ((e = htab_iter_next(&it)))
		if (htab_find(&l->pa, htab_key(e)))
			hold(b, OBJ_PA, htab_key(e));
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_ADDR]);
	while ((e = htab_iter_next(&it)))
		if (htab_find(&l->pa, &((const struct addr_key *)htab_key(e))->addr))
			hold(b, OBJ_ADDR, htab_key(e));
	htab_iter_init(&it, (struct htab *)&k->t[OBJ_KROUTE]);
	while ((e = htab_iter_next(&it)))
		if (htab_find(&l->kroute, htab_key(e)))
			hold(b, OBJ_KROUTE, htab_key(e));
}

void desired_index_free(struct desired_index *ix)
{
	if (!ix)
		return;
	htab_free(&ix->vs);
	htab_free(&ix->local_pa);
	htab_free(&ix->local_port);
	htab_free(&ix->contested_mac);
	htab_free(&ix->contested_ca);
	ix->valid = false;
}

int desired_build(const struct model *m, const struct build_env *env, struct recon_set *out,
		  struct name_set *names)
{
	struct build b = { .m = m, .env = env, .out = out, .names = names };
	struct desired_index *ix = env->index;

	htab_init(&b.rd, 0, sizeof(struct rd_info));
	htab_init(&b.vs, sizeof(__u32), sizeof(struct vs_info));
	htab_init(&b.local_pa, sizeof(__be32), 1);
	htab_init(&b.local_port, sizeof(struct tenet_vmac_key), sizeof(__u32));
	if (ix) {
		desired_index_free(ix);
		htab_init(&ix->contested_mac, sizeof(struct tenet_vmac_key), 1);
		htab_init(&ix->contested_ca, sizeof(struct tenet_ca_key), 1);
		b.contested_mac = &ix->contested_mac;
		b.contested_ca = &ix->contested_ca;
	}
	lost_init(&b);
	/* Mostly lookup records, each a MAC entry and most a CA entry: sized
	 * once rather than rehashed twenty times on the way to a million. */
	htab_reserve(&out->t[OBJ_MAC], m->recs.n);
	htab_reserve(&out->t[OBJ_CA], m->recs.n);
	add_cfg(&b);
	run_passes(&b);
	add_l2only_slots(&b);
	free(b.l2);
	add_route_lens(&b);
	lost_hold(&b);
	if (ix) {
		/* Kept, not freed: what desired_update builds against. */
		ix->valid = !b.err && !b.lost.any && !m->bad.n;
		ix->vs = b.vs;
		ix->local_pa = b.local_pa;
		ix->local_port = b.local_port;
		htab_init(&b.vs, sizeof(__u32), sizeof(struct vs_info));
		htab_init(&b.local_pa, sizeof(__be32), 1);
		htab_init(&b.local_port, sizeof(struct tenet_vmac_key), sizeof(__u32));
	}
	lost_free(&b);
	htab_free(&b.rd);
	htab_free(&b.vs);
	htab_free(&b.local_pa);
	htab_free(&b.local_port);
	return b.err;
}

/* ---- following lookup records one by one ---- */

/* The records desired_update follows: l2only records are numbered per
 * VSID across records, learned ones share a MAC entry with them. */
static bool followed(const struct tenet_lookup *l)
{
	return !learned_type(l->type);
}

/* The MAC entry of l, and its CA entry (false: none). */
static bool lookup_keys(const struct desired_index *ix, const struct tenet_lookup *l,
			struct tenet_vmac_key *mk, struct tenet_ca_key *ck)
{
	const struct htab_entry *vs;

	memset(mk, 0, sizeof(*mk));
	memset(ck, 0, sizeof(*ck));
	mk->vsid = l->vsid;
	memcpy(mk->mac, l->mac, TENET_ETH_ALEN);
	if (!l->has_ca || !(vs = htab_find(&ix->vs, &l->vsid)))
		return false;
	ck->rdomain = ((const struct vs_info *)htab_val(vs))->rdomain;
	ck->ip = l->ca;
	return true;
}

static int unset(struct recon_set *out, struct recon_keys *dirty, enum obj o,
		 const struct htab *contested, const void *key)
{
	if (htab_find(contested, key))
		return 1;
	if (htab_del(&out->t[o], key) < 0)
		return 0;       /* it made none (e.g. its subnet is unknown) */
	return recon_keys_add(dirty, o, key);
}

/* The entries add_lookup makes, where nobody has them: else 1 (a
 * conflict: who wins is the whole build's to say). */
static int set(struct build *b, const struct desired_index *ix, struct recon_keys *dirty,
	       const char *key, const struct tenet_lookup *l)
{
	struct tenet_vmac_val mv = { .type = l->type, .rule = l->rule };
	struct tenet_ca_val cv = { .vsid = l->vsid, .type = l->type, .rule = l->rule };
	struct tenet_vmac_key mk;
	struct tenet_ca_key ck;
	bool has_ca = lookup_keys(ix, l, &mk, &ck);
	__u32 ifindex = local_ifindex(b, l);
	struct htab_entry *e;
	int ret;

	if (htab_find(&b->out->t[OBJ_MAC], &mk) || (has_ca && htab_find(&b->out->t[OBJ_CA], &ck)))
		return 1;
	mv.ifindex = cv.ifindex = ifindex;
	mv.pa = cv.pa = ifindex ? 0 : l->pa;
	memcpy(cv.mac, l->mac, TENET_ETH_ALEN);
	if (!(e = htab_put(&b->out->t[OBJ_MAC], &mk, &mv, NULL)))
		return -ENOMEM;
	e->tag = NULL;  /* tags are the build's, valid only during it */
	ret = recon_keys_add(dirty, OBJ_MAC, &mk);
	if (ret < 0 || !l->has_ca)
		return ret;
	if (!has_ca) {
		note(b, key, "VSID %u has no virtual subnet; CA entry not programmed", l->vsid);
		return 0;
	}
	if (!(e = htab_put(&b->out->t[OBJ_CA], &ck, &cv, NULL)))
		return -ENOMEM;
	e->tag = NULL;
	return recon_keys_add(dirty, OBJ_CA, &ck);
}

int desired_update(const struct model *m, const struct build_env *env,
		   const struct desired_index *ix, struct recon_set *out, struct recon_keys *dirty)
{
	const struct model_log *log = &m->log;
	struct build b = { .m = m, .env = env, .out = out };
	struct tenet_vmac_key mk;
	struct tenet_ca_key ck;
	struct htab_iter it;
	struct htab_entry *c, *e;
	int ret;

	if (!ix || !ix->valid || log->whole || m->bad.n ||
	    (log->kinds & ~(1ULL << TENET_KIND_LOOKUP)))
		return 1;
	/* Read only here: the index's tables, shallow copies. */
	b.vs = ix->vs;
	b.local_pa = ix->local_pa;
	b.local_port = ix->local_port;
	/* First what the versions before made, then what the versions now
	 * make: records that trade a MAC or CA meet no conflict. */
	htab_iter_init(&it, &log->changes);
	while ((c = htab_iter_next(&it))) {
		const struct model_change *ch = htab_val(c);

		if (!ch->had)
			continue;
		if (!followed(&ch->old))
			return 1;
		if (lookup_keys(ix, &ch->old, &mk, &ck) &&
		    (ret = unset(out, dirty, OBJ_CA, &ix->contested_ca, &ck)))
			return ret;
		if ((ret = unset(out, dirty, OBJ_MAC, &ix->contested_mac, &mk)))
			return ret;
	}
	htab_iter_init(&it, &log->changes);
	while ((c = htab_iter_next(&it))) {
		const struct tenet_record *r;

		if (!(e = htab_find(&m->recs, htab_key(c))))
			continue;
		r = model_rec(e);
		if (r->kind != TENET_KIND_LOOKUP || !followed(&r->lookup))
			return 1;
		if ((ret = set(&b, ix, dirty, htab_key(e), &r->lookup)))
			return ret;
	}
	return 0;
}

/* ---- kernel links the records depend on ---- */

static int prepare_pa(const struct build_env *env, const char *key, const struct tenet_pa *pa)
{
	const struct knl_ops *ops = env->ops;
	char dev[32], msg[128];
	int changed = 0, ret;

	if (strcmp(pa->host, env->host) || pa_devname(pa, dev, sizeof(dev)) < 0 ||
	    strlen(dev) > TENET_IFNAME_MAX)
		return 0;
	if (ops->link_index(ops->ctx, pa->dev) <= 0)
		return 0;       /* noted by the build */
	if (pa->vlan) {
		ret = ops->vlan_ensure(ops->ctx, pa->dev, pa->vlan, dev);
		if (ret < 0) {
			snprintf(msg, sizeof(msg), "cannot create VLAN device %s: %s", dev,
				 strerror(-ret));
			goto fail;
		}
		changed += ret;
	}
	ret = ops->pa_link_prepare(ops->ctx, dev);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "cannot set %s up: %s", dev,
			 strerror(-ret));
		goto fail;
	}
	return changed + ret;
fail:
	if (env->note)
		env->note(env->note_arg, key, msg);
	return 0;
}

/* A PA record of this host that cannot be decoded (model_lost). */
static bool lost_pa(const struct model *m, const char *host)
{
	struct htab_iter it;
	struct htab_entry *e;

	if (!m->bad.n)
		return false;
	htab_iter_init(&it, (struct htab *)&m->bad);
	while ((e = htab_iter_next(&it)))
		if (((const struct tenet_record *)htab_val(e))->kind == TENET_KIND_PA &&
		    !strcmp(((const struct tenet_record *)htab_val(e))->pa.host, host) &&
		    model_lost(m, e))
			return true;
	return false;
}

int desired_prepare_links(const struct model *m, const struct build_env *env)
{
	const struct knl_ops *ops = env->ops;
	char (*vlans)[32] = NULL, (*grown)[32];
	const char **keep = NULL;
	size_t nvlans = 0, cap = 0, i;
	struct htab_iter it;
	const struct htab_entry *e;
	int changed = 0, ret;

	/* PA records are among the few that are not lookup records. */
	model_others_init(&it, m);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind != TENET_KIND_PA)
			continue;
		changed += prepare_pa(env, htab_key(e), &r->pa);
		if (!r->pa.vlan || strcmp(r->pa.host, env->host))
			continue;
		if (nvlans == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(vlans, cap * sizeof(*vlans));
			if (!grown)
				goto out; /* no pruning rather than a wrong one */
			vlans = grown;
		}
		if (pa_devname(&r->pa, vlans[nvlans], sizeof(vlans[0])) >= 0)
			nvlans++;
	}
	if (!ops->vlan_prune || env->no_prune || lost_pa(m, env->host))
		goto out;
	keep = calloc(nvlans ? nvlans : 1, sizeof(*keep));
	if (!keep)
		goto out;
	for (i = 0; i < nvlans; i++)
		keep[i] = vlans[i];
	ret = ops->vlan_prune(ops->ctx, keep, nvlans);
	if (ret > 0)
		changed += ret;
out:
	free(keep);
	free(vlans);
	return changed;
}

int desired_clamp_mtu(const struct recon_set *desired, const struct build_env *env)
{
	const struct knl_ops *ops = env->ops;
	struct htab_iter it;
	struct htab_entry *e;
	int changed = 0;

	htab_iter_init(&it, &desired->t[OBJ_PORT]);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_port_val *pv = htab_val(e);
		const struct htab_entry *pa = htab_find(&desired->t[OBJ_PA], &pv->pa);
		__u32 ifindex = *(const __u32 *)htab_key(e);
		int ul_mtu, mtu;

		if (!pa)
			continue;
		ul_mtu = ops->link_mtu(ops->ctx,
				       ((const struct tenet_pa_val *)htab_val(pa))->ifindex);
		mtu = ops->link_mtu(ops->ctx, ifindex);
		if (ul_mtu <= TENET_ENCAP_OVERHEAD || mtu < 0 ||
		    mtu <= ul_mtu - TENET_ENCAP_OVERHEAD)
			continue;
		if (ops->link_set_mtu(ops->ctx, ifindex, (__u32)(ul_mtu - TENET_ENCAP_OVERHEAD)) == 0)
			changed++;
	}
	return changed;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/neighbour.h>
#include <bpf/bpf.h>
#include <tenet/maps.h>

#include "host/nexthop.h"
#include "nl/link.h"
#include "nl/neigh.h"
#include "nl/route.h"
#include "host/objs.h"
#include "log.h"

/* A pair with no route or no neighbour is resolved again this often
 * (neighbour and route events usually come first). */
#define NH_RETRY_MS 5000
/* Per-entry log lines in one refresh; beyond this a count. */
#define NH_LOG_MAX 16

static __u32 nh_slot(const void *key)
{
	const struct tenet_nh_key *k = key;

	return tenet_nh_slot(k->src_pa, k->dst_pa);
}

int nexthops_init(struct nexthops *n, int map_fd, int cache_fd)
{
	struct tenet_nh_key k, next, *prev = NULL;
	struct tenet_nh_val v;
	int ret;

	memset(n, 0, sizeof(*n));
	n->map_fd = map_fd;
	ret = dmcache_init(&n->cache, cache_fd, TENET_NH_CACHE_SLOTS, sizeof(struct tenet_nh_key),
			   sizeof(struct tenet_nh_val), nh_slot);
	if (ret < 0)
		return ret;
	htab_init(&n->local, sizeof(__be32), sizeof(__u32));
	htab_init(&n->remote, sizeof(__be32), 1);
	htab_init(&n->refs, sizeof(__be32), sizeof(__u32));
	htab_init(&n->vias, sizeof(__be32), 1);
	htab_init(&n->cur, sizeof(struct tenet_nh_key), sizeof(struct tenet_nh_val));
	ret = nl_open(&n->nl);
	if (ret < 0)
		return ret;
	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(map_fd, &k, &v) && !htab_put(&n->cur, &k, &v, NULL))
			return -ENOMEM;
	}
	n->dirty = true;
	return 0;
}

void nexthops_fini(struct nexthops *n)
{
	if (n->nl.sk)
		nl_close(&n->nl);
	htab_free(&n->local);
	htab_free(&n->remote);
	htab_free(&n->refs);
	htab_free(&n->vias);
	htab_free(&n->cur);
	dmcache_fini(&n->cache);
}

/* One more lookup entry names pa. */
static int add_remote(struct htab *h, __be32 pa)
{
	struct htab_entry *e;
	__u32 one = 1;

	if (!pa)
		return 0;
	if ((e = htab_find(h, &pa))) {
		(*(__u32 *)htab_val(e))++;
		return 0;
	}
	return htab_put(h, &pa, &one, NULL) ? 0 : -ENOMEM;
}

/* The lookup entries that name a PA, and the PA one names (0: none). */
static const unsigned int lookup_types[] = { OBJ_MAC, OBJ_CA, OBJ_L2ONLY };

static __be32 entry_pa(unsigned int t, const void *val)
{
	if (!val)
		return 0;
	switch (t) {
	case OBJ_MAC:
		return ((const struct tenet_vmac_val *)val)->pa;
	case OBJ_CA:
		return ((const struct tenet_ca_val *)val)->pa;
	case OBJ_L2ONLY:
		return ((const struct tenet_l2only_val *)val)->pa;
	}
	return 0;
}

static void pa_changed(struct nexthops *n, __be32 old, __be32 now)
{
	struct htab_entry *e;
	char one = 1;

	if (old == now)
		return;
	if (old && (e = htab_find(&n->refs, &old)) && !--*(__u32 *)htab_val(e)) {
		htab_del(&n->refs, &old);
		if (htab_del(&n->remote, &old) == 0)
			n->dirty = true;
	}
	if (!now)
		return;
	if (add_remote(&n->refs, now) < 0) {
		n->dirty = true;        /* resolved whole at the next set_pas */
		return;
	}
	/* A PA of this host is never a remote one (a local VM is local). */
	if (!htab_find(&n->local, &now) && !htab_find(&n->remote, &now)) {
		if (htab_put(&n->remote, &now, &one, NULL))
			n->dirty = true;
	}
}

static bool same_set(const struct htab *a, const struct htab *b)
{
	struct htab_iter it;
	struct htab_entry *e;

	if (a->n != b->n)
		return false;
	htab_iter_init(&it, a);
	while ((e = htab_iter_next(&it)))
		if (!htab_find(b, htab_key(e)) ||
		    (a->val_size == sizeof(__u32) &&
		     memcmp(htab_val(e), htab_val(htab_find(b, htab_key(e))), sizeof(__u32))))
			return false;
	return true;
}

void nexthops_entry_changed(struct nexthops *n, unsigned int t, const void *old,
			    const void *now)
{
	pa_changed(n, entry_pa(t, old), entry_pa(t, now));
}

int nexthops_set_pas(struct nexthops *n, const struct recon_set *s)
{
	struct htab local, remote, refs;
	struct htab_iter it;
	struct htab_entry *e;
	char one = 1;
	int ret = 0;

	htab_init(&local, sizeof(__be32), sizeof(__u32));
	htab_init(&remote, sizeof(__be32), 1);
	htab_init(&refs, sizeof(__be32), sizeof(__u32));
	htab_iter_init(&it, &s->t[OBJ_PA]);
	while (!ret && (e = htab_iter_next(&it))) {
		const struct tenet_pa_val *pv = htab_val(e);

		if (!htab_put(&local, htab_key(e), &pv->ifindex, NULL))
			ret = -ENOMEM;
	}
	for (size_t i = 0; !ret && i < sizeof(lookup_types) / sizeof(lookup_types[0]); i++) {
		htab_iter_init(&it, &s->t[lookup_types[i]]);
		while (!ret && (e = htab_iter_next(&it)))
			ret = add_remote(&refs, entry_pa(lookup_types[i], htab_val(e)));
	}
	/* A PA of this host is never a remote one (a local VM is local). */
	htab_iter_init(&it, &refs);
	while (!ret && (e = htab_iter_next(&it)))
		if (!htab_find(&local, htab_key(e)) && !htab_put(&remote, htab_key(e), &one, NULL))
			ret = -ENOMEM;
	if (ret < 0) {
		htab_free(&local);
		htab_free(&remote);
		htab_free(&refs);
		return ret;
	}
	if (!same_set(&local, &n->local) || !same_set(&remote, &n->remote))
		n->dirty = true;
	htab_free(&n->local);
	htab_free(&n->remote);
	htab_free(&n->refs);
	n->local = local;
	n->remote = remote;
	n->refs = refs;
	return 0;
}

void nexthops_on_neigh(struct nexthops *n, const struct nl_neigh *e)
{
	if (htab_find(&n->vias, &e->ip) || htab_find(&n->remote, &e->ip))
		n->dirty = true;
}

void nexthops_on_change(struct nexthops *n)
{
	n->dirty = true;
}

int nexthops_wait_ms(const struct nexthops *n, uint64_t now)
{
	if (n->dirty)
		return 0;
	if (!n->retry_at)
		return -1;
	return n->retry_at <= now ? 0 : (int)(n->retry_at - now);
}

/* Why a pair has no entry, for the log. */
enum nh_why { NH_OK, NH_NO_ROUTE, NH_NO_LINK, NH_NO_NEIGH };

static const char *const nh_why_str[] = {
	[NH_OK] = "resolved",
	[NH_NO_ROUTE] = "no unicast route",
	[NH_NO_LINK] = "route's device is not Ethernet",
	[NH_NO_NEIGH] = "neighbour not resolved",
};

/* The kernel's answer for one pair: the route it takes from the local
 * PA's device, that route's next hop's neighbour entry, and the device's
 * address; a VLAN device is replaced by its lower device and its tag, so
 * the datapath skips the VLAN device's own transmit. *stale: the
 * neighbour entry is usable but unconfirmed. */
static enum nh_why resolve_pair(struct nexthops *n, __be32 src, __u32 pa_dev, __be32 dst,
				struct tenet_nh_val *v, __be32 *via, bool *stale)
{
	struct nl_route_hop hop;
	struct nl_neigh ne;
	struct nl_link l;

	memset(v, 0, sizeof(*v));
	*stale = false;
	*via = 0;
	if (nl_route_get(&n->nl, src, dst, pa_dev, &hop) < 0)
		return NH_NO_ROUTE;
	*via = hop.gateway ? hop.gateway : dst;
	if (nl_link_get(&n->nl, hop.oif, &l) < 0 || l.type != ARPHRD_ETHER || !l.has_mac)
		return NH_NO_LINK;
	if (nl_neigh_get(&n->nl, hop.oif, *via, &ne) < 0 || !ne.has_mac ||
	    !(ne.state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
			  NUD_NOARP)))
		return NH_NO_NEIGH;
	*stale = ne.state & NUD_STALE;
	memcpy(v->smac, l.mac, 6);
	memcpy(v->dmac, ne.mac, 6);
	v->ifindex = hop.oif;
	if (l.vlan_id && l.link) {
		v->ifindex = l.link;
		v->vlan = l.vlan_id;
		/* the device encap sends on is the lower one: its MTU (0, so
		 * the datapath asks the kernel, if it cannot be read) */
		if (nl_link_get(&n->nl, l.link, &l) < 0)
			l.mtu = 0;
	}
	v->mtu = l.mtu > UINT16_MAX ? UINT16_MAX : (__u16)l.mtu;
	return NH_OK;
}

static void log_entry(const struct tenet_nh_key *k, const struct tenet_nh_val *v, __be32 via,
		      enum nh_why why, unsigned int *nlog)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], h[INET_ADDRSTRLEN], dev[IF_NAMESIZE] = "?";

	if ((*nlog)++ >= NH_LOG_MAX)
		return;
	inet_ntop(AF_INET, &k->src_pa, s, sizeof(s));
	inet_ntop(AF_INET, &k->dst_pa, d, sizeof(d));
	inet_ntop(AF_INET, &via, h, sizeof(h));
	if (why != NH_OK) {
		log_info("next hop %s -> %s removed (%s%s%s): the kernel routes it", s, d,
			 nh_why_str[why], via ? " via " : "", via ? h : "");
		return;
	}
	if_indextoname(v->ifindex, dev);
	log_info("next hop %s -> %s: %s vlan %u mtu %u via %s (%02x:%02x:%02x:%02x:%02x:%02x)", s,
		 d, dev, v->vlan, v->mtu, h, v->dmac[0], v->dmac[1], v->dmac[2], v->dmac[3],
		 v->dmac[4], v->dmac[5]);
}

int nexthops_refresh(struct nexthops *n, uint64_t now)
{
	struct htab want, vias;
	struct htab_iter li, ri;
	struct htab_entry *le, *re, *e;
	unsigned int changed = 0, nlog = 0, unresolved = 0;
	char one = 1;
	int ret = 0, r;

	if (nexthops_wait_ms(n, now) != 0)
		return 0;
	n->dirty = false;
	n->retry_at = 0;
	htab_init(&want, sizeof(struct tenet_nh_key), sizeof(struct tenet_nh_val));
	htab_init(&vias, sizeof(__be32), 1);
	htab_iter_init(&li, &n->local);
	while (!ret && (le = htab_iter_next(&li))) {
		htab_iter_init(&ri, &n->remote);
		while (!ret && (re = htab_iter_next(&ri))) {
			struct tenet_nh_key k = { .src_pa = *(__be32 *)htab_key(le),
						  .dst_pa = *(__be32 *)htab_key(re) };
			struct tenet_nh_val v;
			enum nh_why why;
			__be32 via;
			bool stale;

			why = resolve_pair(n, k.src_pa, *(__u32 *)htab_val(le), k.dst_pa, &v, &via,
					   &stale);
			if (via && !htab_put(&vias, &via, &one, NULL))
				ret = -ENOMEM;
			if (why == NH_OK && !htab_put(&want, &k, &v, NULL))
				ret = -ENOMEM;
			if (why == NH_NO_NEIGH || stale) {
				/* Traffic through the stack resolves (or
				 * reconfirms) the neighbour, as the kernel does
				 * for its own; the event that follows brings
				 * the entry. */
				if (n->resolve)
					n->resolve(n->resolve_arg, k.src_pa, k.dst_pa);
			}
			if (why != NH_OK) {
				unresolved++;
				e = htab_find(&n->cur, &k);
				if (e)
					log_entry(&k, NULL, via, why, &nlog);
			}
			e = why == NH_OK ? htab_find(&n->cur, &k) : NULL;
			if (why == NH_OK && (!e || memcmp(htab_val(e), &v, sizeof(v))))
				log_entry(&k, &v, via, why, &nlog);
		}
	}
	if (ret < 0)
		goto out;
	/* Deletes first: an entry of a pair that is no longer needed (or no
	 * longer resolves) must not outlive it. */
	htab_iter_init(&li, &n->cur);
	while ((e = htab_iter_next(&li))) {
		if (htab_find(&want, htab_key(e)))
			continue;
		if (bpf_map_delete_elem(n->map_fd, htab_key(e)) < 0 && errno != ENOENT) {
			ret = -errno;
			continue;
		}
		htab_del(&n->cur, htab_key(e));
		changed++;
	}
	htab_iter_init(&li, &want);
	while ((e = htab_iter_next(&li))) {
		struct htab_entry *c = htab_find(&n->cur, htab_key(e));

		if (c && !memcmp(htab_val(c), htab_val(e), sizeof(struct tenet_nh_val)))
			continue;
		if (bpf_map_update_elem(n->map_fd, htab_key(e), htab_val(e), BPF_ANY) < 0) {
			ret = -errno;
			continue;
		}
		if (!htab_put(&n->cur, htab_key(e), htab_val(e), NULL)) {
			ret = -ENOMEM;
			break;
		}
		changed++;
	}
	if (nlog > NH_LOG_MAX)
		log_info("%u more next-hop changes (not listed)", nlog - NH_LOG_MAX);
	/* Also when nothing changed: the first refresh after a start repairs
	 * a cache an earlier agent left half written. */
	r = dmcache_sync(&n->cache, &n->cur);
	if (r < 0 && ret == 0)
		ret = r;
out:
	htab_free(&n->vias);
	n->vias = vias;
	htab_free(&want);
	if (ret < 0 || unresolved)
		n->retry_at = now + NH_RETRY_MS;
	n->n_updates += changed;
	return ret < 0 ? ret : (int)changed;
}

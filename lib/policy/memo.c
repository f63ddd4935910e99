// SPDX-License-Identifier: GPL-2.0
/* The lookup records of the VSIDs a run of writes touched, indexed by
 * (VSID, MAC), for the MAC check of each `lookup add` (check_mac_unique,
 * lib/kinds/overlay.c): without it every add read its whole VSID, and a
 * `tenet batch` of N adds into one VSID read N^2/2 records.
 *
 * The store stays the truth. The memo holds what a read of the store at
 * revision `rev` would give; pol_run checks that the store is still at
 * that revision after it read its guards (pol_memo_sync); if it is not,
 * the memo is kept when the store's log says no lookup record changed in
 * between (others' writes of other kinds: the agents' status records),
 * else it starts over; after its commit it applies its own changes when the
 * commit made exactly the next revision, else it starts over. A change
 * of any other kind than lookup records (a subnet deleted with all its
 * records) starts over too. What is loaded is loaded the way
 * pol_load_vsid_lookups loads it (corrupt records left out), so the
 * checks answer the same, with the same messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/engine.h"

struct memo_ent {
	struct tenet_record rec;
	struct memo_ent *mnext;         /* chain by (VSID, MAC) */
	struct memo_ent *knext;         /* chain by store key */
};

struct pol_memo {
	struct tenet_store *s;
	int64_t rev;
	struct memo_ent **mb, **kb;     /* buckets, nb of each (a power of 2) */
	size_t nb, n;
	uint32_t *vsids;                /* loaded VSIDs: open addressing, 0 empty */
	size_t nv, vcap;
};

/* One memo at a time, for one store handle: the CLI's batch. */
static struct pol_memo *memo_active;

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t mac_hash(uint32_t vsid, const uint8_t *mac)
{
	uint64_t h = vsid;

	for (int i = 0; i < TENET_MAC_LEN; i++)
		h = h * 131 + mac[i];
	return mix(h);
}

/* The lookup record's key: by CA when it has one, else by MAC. */
static uint64_t key_hash(const struct tenet_lookup *l)
{
	return l->has_ca ? mix(((uint64_t)l->vsid << 32) ^ l->ca ^ (1ULL << 63))
			 : mac_hash(l->vsid, l->mac) ^ 0x5bd1e995;
}

static void memo_clear(struct pol_memo *m)
{
	for (size_t i = 0; i < m->nb; i++) {
		struct memo_ent *e = m->mb[i], *next;

		for (; e; e = next) {
			next = e->mnext;
			free(e);
		}
	}
	free(m->mb);
	free(m->kb);
	free(m->vsids);
	m->mb = m->kb = NULL;
	m->vsids = NULL;
	m->nb = m->n = m->nv = m->vcap = 0;
}

static int grow(struct pol_memo *m)
{
	size_t nb = m->nb ? m->nb * 2 : 1024;
	struct memo_ent **mb = calloc(nb, sizeof(*mb)), **kb = calloc(nb, sizeof(*kb));

	if (!mb || !kb) {
		free(mb);
		free(kb);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->nb; i++) {
		struct memo_ent *e = m->mb[i], *next;

		for (; e; e = next) {
			const struct tenet_lookup *l = &e->rec.lookup;
			size_t mi = mac_hash(l->vsid, l->mac) & (nb - 1);
			size_t ki = key_hash(l) & (nb - 1);

			next = e->mnext;
			e->mnext = mb[mi];
			mb[mi] = e;
			e->knext = kb[ki];
			kb[ki] = e;
		}
	}
	free(m->mb);
	free(m->kb);
	m->mb = mb;
	m->kb = kb;
	m->nb = nb;
	return 0;
}

static int add(struct pol_memo *m, const struct tenet_record *rec)
{
	const struct tenet_lookup *l = &rec->lookup;
	struct memo_ent *e;
	size_t mi, ki;

	if (m->n >= m->nb && grow(m) < 0)
		return -ENOMEM;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->rec = *rec;
	mi = mac_hash(l->vsid, l->mac) & (m->nb - 1);
	ki = key_hash(l) & (m->nb - 1);
	e->mnext = m->mb[mi];
	m->mb[mi] = e;
	e->knext = m->kb[ki];
	m->kb[ki] = e;
	m->n++;
	return 0;
}

/* Removes the record with rec's key, if the memo has it. */
static void drop(struct pol_memo *m, const struct tenet_record *rec)
{
	struct memo_ent **pp, *e = NULL;

	if (!m->nb)
		return;
	for (pp = &m->kb[key_hash(&rec->lookup) & (m->nb - 1)]; *pp; pp = &(*pp)->knext) {
		if (tenet_record_same_key(&(*pp)->rec, rec)) {
			e = *pp;
			*pp = e->knext;
			break;
		}
	}
	if (!e)
		return;
	for (pp = &m->mb[mac_hash(e->rec.lookup.vsid, e->rec.lookup.mac) & (m->nb - 1)]; *pp;
	     pp = &(*pp)->mnext) {
		if (*pp == e) {
			*pp = e->mnext;
			break;
		}
	}
	free(e);
	m->n--;
}

static bool vsid_loaded(const struct pol_memo *m, uint32_t vsid)
{
	if (!m->vcap)
		return false;
	for (size_t i = mix(vsid) & (m->vcap - 1);; i = (i + 1) & (m->vcap - 1)) {
		if (m->vsids[i] == vsid)
			return true;
		if (!m->vsids[i])
			return false;
	}
}

static int vsid_mark(struct pol_memo *m, uint32_t vsid)
{
	if ((m->nv + 1) * 2 > m->vcap) {
		size_t cap = m->vcap ? m->vcap * 2 : 64;
		uint32_t *v = calloc(cap, sizeof(*v)), *old = m->vsids;
		size_t ocap = m->vcap;

		if (!v)
			return -ENOMEM;
		m->vsids = v;
		m->vcap = cap;
		m->nv = 0;
		for (size_t i = 0; i < ocap; i++)
			if (old[i])
				vsid_mark(m, old[i]);
		free(old);
	}
	for (size_t i = mix(vsid) & (m->vcap - 1);; i = (i + 1) & (m->vcap - 1)) {
		if (m->vsids[i] == vsid)
			return 0;
		if (!m->vsids[i]) {
			m->vsids[i] = vsid;
			m->nv++;
			return 0;
		}
	}
}

int tenet_policy_memo_begin(struct tenet_store *s)
{
	if (memo_active)
		return -EBUSY;
	memo_active = calloc(1, sizeof(*memo_active));
	if (!memo_active)
		return -ENOMEM;
	memo_active->s = s;
	memo_active->rev = -1;
	return 0;
}

void tenet_policy_memo_end(struct tenet_store *s)
{
	if (!memo_active || memo_active->s != s)
		return;
	memo_clear(memo_active);
	free(memo_active);
	memo_active = NULL;
}

struct pol_memo *pol_memo_for(struct tenet_store *s)
{
	return memo_active && memo_active->s == s ? memo_active : NULL;
}

/* Whether what the memo holds at m->rev still holds at rev: others wrote
 * in between (the agents' status records, between two chunks of a
 * batch), but no lookup record. Otherwise, or when the store cannot tell,
 * the memo starts over, which is always right. */
static bool kept_across(struct pol_memo *m, int64_t rev)
{
	char prefix[TENET_KEY_MAX];
	bool changed = true;

	if (!m->nv || m->rev < 0)
		return false;
	if (tenet_kind_prefix(TENET_KIND_LOOKUP, NULL, prefix, sizeof(prefix)) < 0)
		return false;
	return tenet_store_changed(m->s, prefix, m->rev, rev, &changed, NULL) == 0 && !changed;
}

int pol_memo_sync(struct pctx *c)
{
	struct pol_memo *m = c->memo;
	struct tenet_err rerr = { 0 };
	int64_t rev;
	int ret;

	ret = tenet_store_revision(c->s, &rev, &rerr);
	if (ret < 0) {
		if (c->err)
			*c->err = rerr;
		return ret;
	}
	if (rev != m->rev) {
		if (!kept_across(m, rev))
			memo_clear(m);
		m->rev = rev;
	}
	return 0;
}

void pol_memo_note(struct pctx *c, const struct tenet_record *rec, bool del)
{
	struct pol_chg *ch;

	if (!c->memo || c->chg_other)
		return;
	if (rec->kind != TENET_KIND_LOOKUP) {
		c->chg_other = true;
		return;
	}
	if (c->nchg == c->capchg) {
		size_t cap = c->capchg ? c->capchg * 2 : 4;
		struct pol_chg *p = realloc(c->chg, cap * sizeof(*p));

		if (!p) {
			c->chg_other = true;    /* cannot follow: start over after */
			return;
		}
		c->chg = p;
		c->capchg = cap;
	}
	ch = &c->chg[c->nchg++];
	ch->rec = *rec;
	ch->del = del;
}

void pol_memo_committed(struct pctx *c, int64_t rev)
{
	struct pol_memo *m = c->memo;

	if (rev == m->rev)
		return;                 /* nothing changed */
	if (rev != m->rev + 1 || c->chg_other) {
		memo_clear(m);
		m->rev = rev;
		return;
	}
	for (size_t i = 0; i < c->nchg; i++) {
		const struct tenet_record *r = &c->chg[i].rec;

		if (!vsid_loaded(m, r->lookup.vsid))
			continue;
		drop(m, r);
		if (!c->chg[i].del && add(m, r) < 0) {
			memo_clear(m);
			break;
		}
	}
	m->rev = rev;
}

void pol_memo_reset_changes(struct pctx *c)
{
	c->nchg = 0;
	c->chg_other = false;
}

int pol_memo_mac_conflict(struct pctx *c, const struct tenet_record *rec,
			  bool (*conflict)(const struct tenet_lookup *a,
					   const struct tenet_lookup *b),
			  const struct tenet_record **found)
{
	struct pol_memo *m = c->memo;
	const struct tenet_lookup *l = &rec->lookup;
	const struct tenet_record *best = NULL;

	if (!vsid_loaded(m, l->vsid)) {
		struct tenet_record_list same;
		int ret;

		ret = pol_load_vsid_lookups(c, l->vsid, &same);
		if (ret < 0)
			return ret;
		for (size_t i = 0; i < same.n && ret == 0; i++)
			ret = add(m, &same.recs[i]);
		if (ret == 0)
			ret = vsid_mark(m, l->vsid);
		tenet_record_list_free(&same);
		if (ret < 0) {
			memo_clear(m);
			return tenet_err_set(c->err, -ENOMEM, "out of memory");
		}
	}
	*found = NULL;
	if (!m->nb)
		return 0;
	/* The first conflicting record in the list's order, as a read of
	 * the VSID would find it. */
	for (struct memo_ent *e = m->mb[mac_hash(l->vsid, l->mac) & (m->nb - 1)]; e;
	     e = e->mnext) {
		const struct tenet_lookup *o = &e->rec.lookup;

		if (o->vsid != l->vsid || tenet_record_same_key(&e->rec, rec) || !conflict(o, l))
			continue;
		if (!best || tenet_record_cmp(&e->rec, best) < 0)
			best = &e->rec;
	}
	*found = best;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recon/htab.h"

#define HTAB_MIN_BUCKETS 64
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* FNV-1a: keys are short and mostly distinct in their low bytes. */
static uint32_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static size_t key_len(const struct htab *h, const void *key)
{
	return h->key_size ? h->key_size : strlen(key) + 1;
}

static uint32_t key_hash(const struct htab *h, const void *key)
{
	return hash_bytes(key, key_len(h, key));
}

static bool key_eq(const struct htab *h, const struct htab_entry *e, uint32_t hash,
		   const void *key)
{
	if (e->hash != hash)
		return false;
	return h->key_size ? !memcmp(htab_key(e), key, h->key_size) : !strcmp(htab_key(e), key);
}

void htab_init(struct htab *h, size_t key_size, size_t val_size)
{
	memset(h, 0, sizeof(*h));
	h->key_size = key_size;
	h->val_size = val_size;
}

void htab_init_arena(struct htab *h, size_t key_size, size_t val_size)
{
	htab_init(h, key_size, val_size);
	h->arena = true;
}

#define ARENA_CHUNK (1u << 20)

/* The bytes an entry was carved with (entry_alloc's size). */
static size_t entry_size(const struct htab *h, const struct htab_entry *e)
{
	return ALIGN8((size_t)e->voff + e->vlen);
}

static bool fixed_entry(const struct htab *h, const struct htab_entry *e)
{
	return h->key_size && e->vlen == h->val_size;
}

static void *entry_alloc(struct htab *h, size_t size, bool fixed)
{
	void **chunk;
	size_t csize;

	if (!h->arena)
		return malloc(size);
	size = ALIGN8(size);
	if (fixed && h->free_list) {
		struct htab_entry *e = h->free_list;

		h->free_list = e->next;
		return e;
	}
	if (!fixed && h->free_sized && size / 8 < HTAB_SIZE_CLASSES &&
	    h->free_sized[size / 8]) {
		struct htab_entry *e = h->free_sized[size / 8];

		h->free_sized[size / 8] = e->next;
		return e;
	}
	if (size > h->left) {
		csize = sizeof(void *) + (size > ARENA_CHUNK ? size : ARENA_CHUNK);
		chunk = malloc(csize);
		if (!chunk)
			return NULL;
		*chunk = h->chunks;
		h->chunks = chunk;
		h->cur = (char *)(chunk + 1);
		h->left = csize - sizeof(void *);
	}
	h->cur += size;
	h->left -= size;
	return h->cur - size;
}

/* In an arena, fixed-size entries (fixed key, full value) are all the
 * same size: a deleted one is reused by the next put. Others are kept
 * by size for a put of the same size (a string-keyed table's keys vary
 * in length). */
static void entry_free(struct htab *h, struct htab_entry *e)
{
	size_t size;

	if (!h->arena) {
		free(e);
		return;
	}
	if (fixed_entry(h, e)) {
		e->next = h->free_list;
		h->free_list = e;
		return;
	}
	size = entry_size(h, e);
	if (size / 8 >= HTAB_SIZE_CLASSES)
		return;         /* kept until htab_free */
	if (!h->free_sized)
		h->free_sized = calloc(HTAB_SIZE_CLASSES, sizeof(*h->free_sized));
	if (!h->free_sized)
		return;
	e->next = h->free_sized[size / 8];
	h->free_sized[size / 8] = e;
}

void htab_free(struct htab *h)
{
	if (h->arena) {
		void *c = h->chunks, *next;

		for (; c; c = next) {
			next = *(void **)c;
			free(c);
		}
		h->chunks = NULL;
		h->free_list = NULL;
		free(h->free_sized);
		h->free_sized = NULL;
		h->cur = NULL;
		h->left = 0;
		h->nbuckets = 0; /* the entries went with their chunks */
	}
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct htab_entry *e = h->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(h->buckets);
	h->buckets = NULL;
	h->nbuckets = 0;
	h->n = 0;
}

static struct htab_entry *find_hashed(const struct htab *h, const void *key, uint32_t hash)
{
	struct htab_entry *e;

	for (e = h->buckets[hash & (h->nbuckets - 1)]; e; e = e->next)
		if (key_eq(h, e, hash, key))
			return e;
	return NULL;
}

struct htab_entry *htab_find(const struct htab *h, const void *key)
{
	if (!h->nbuckets)
		return NULL;
	return find_hashed(h, key, key_hash(h, key));
}

/* Rehash into n buckets (a power of two, more than now); a failed
 * allocation leaves the table as it was, still usable. */
static void resize(struct htab *h, size_t n)
{
	struct htab_entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct htab_entry *e = h->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = n;
}

/* Doubling keeps chains short. */
static void grow(struct htab *h)
{
	resize(h, h->nbuckets ? h->nbuckets * 2 : HTAB_MIN_BUCKETS);
}

void htab_reserve(struct htab *h, size_t n)
{
	size_t want = HTAB_MIN_BUCKETS;

	while (want < n)
		want *= 2;
	if (want > h->nbuckets)
		resize(h, want);
}

static struct htab_entry *insert(struct htab *h, const void *key, uint32_t hash,
				 const void *val, size_t vlen);

struct htab_entry *htab_put(struct htab *h, const void *key, const void *val, bool *created)
{
	return htab_put_len(h, key, val, h->val_size, created);
}

struct htab_entry *htab_put_len(struct htab *h, const void *key, const void *val, size_t vlen,
				bool *created)
{
	uint32_t hash = key_hash(h, key);
	struct htab_entry *e = h->nbuckets ? find_hashed(h, key, hash) : NULL;

	if (vlen > h->val_size)
		return NULL;
	if (e && e->vlen != vlen) {
		htab_del(h, key);
		e = NULL;
		if (created)
			*created = false;
		created = NULL;
	}
	if (created)
		*created = !e;
	if (e) {
		memcpy(htab_val(e), val, vlen);
		return e;
	}
	return insert(h, key, hash, val, vlen);
}

struct htab_entry *htab_add(struct htab *h, const void *key, const void *val, size_t vlen)
{
	if (vlen > h->val_size)
		return NULL;
	return insert(h, key, key_hash(h, key), val, vlen);
}

static struct htab_entry *insert(struct htab *h, const void *key, uint32_t hash,
				 const void *val, size_t vlen)
{
	struct htab_entry *e;
	size_t klen = key_len(h, key), voff = ALIGN8(sizeof(*e) + klen);

	if (voff > UINT16_MAX || vlen > UINT16_MAX)
		return NULL;
	if (h->n >= h->nbuckets)
		grow(h);
	if (!h->nbuckets)
		return NULL;
	e = entry_alloc(h, voff + vlen, h->key_size && vlen == h->val_size);
	if (!e)
		return NULL;
	e->tag = NULL;
	e->vlen = (uint16_t)vlen;
	e->voff = (uint16_t)voff;
	memcpy(htab_key(e), key, klen);
	memcpy(htab_val(e), val, vlen);
	e->hash = hash;
	e->next = h->buckets[e->hash & (h->nbuckets - 1)];
	h->buckets[e->hash & (h->nbuckets - 1)] = e;
	h->n++;
	return e;
}

int htab_del(struct htab *h, const void *key)
{
	struct htab_entry **pp, *e;
	uint32_t hash;

	if (!h->nbuckets)
		return -ENOENT;
	hash = key_hash(h, key);
	for (pp = &h->buckets[hash & (h->nbuckets - 1)]; (e = *pp); pp = &e->next) {
		if (key_eq(h, e, hash, key)) {
			*pp = e->next;
			entry_free(h, e);
			h->n--;
			return 0;
		}
	}
	return -ENOENT;
}

/* Walking a big table visits its entries in hash order, that is at
 * random in memory: each is a cache miss. The bucket array is read in
 * order, so the entries of buckets a little ahead are fetched early (the
 * header, the key and the value's first bytes: what a walk reads). */
#define ITER_AHEAD 16

static struct htab_entry *scan(struct htab_iter *it)
{
	const struct htab *h = it->h;

	while (it->bucket < h->nbuckets) {
		struct htab_entry *e = h->buckets[it->bucket++];

		if (it->bucket + ITER_AHEAD < h->nbuckets) {
			const char *a = (const char *)h->buckets[it->bucket + ITER_AHEAD];

			if (a) {
				__builtin_prefetch(a);
				__builtin_prefetch(a + 64);
				__builtin_prefetch(a + 128);
			}
		}
		if (e)
			return e;
	}
	return NULL;
}

void htab_iter_init(struct htab_iter *it, const struct htab *h)
{
	it->h = h;
	it->bucket = 0;
	it->next = scan(it);
}

struct htab_entry *htab_iter_next(struct htab_iter *it)
{
	struct htab_entry *e = it->next;

	if (e)
		it->next = e->next ? e->next : scan(it);
	return e;
}

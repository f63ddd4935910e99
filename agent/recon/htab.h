/* SPDX-License-Identifier: GPL-2.0 */
/* A small chained hash table that owns copies of its keys and values.
 * Keys have a fixed size (BPF map keys) or, with key_size 0, are
 * NUL-terminated strings (store keys). The agent keeps its model of the
 * store, the desired state and its shadow of the kernel in these. */
#ifndef TENETD_HTAB_H
#define TENETD_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 24 bytes before the key: a table of 2M small entries (a desired state
 * at 1M records) spends a fifth of its memory on these headers, and
 * memory first touched is what a large start pays for most. */
struct htab_entry {
	struct htab_entry *next;
	uint32_t hash;
	uint16_t vlen;          /* bytes of value: val_size, or less (htab_put_len) */
	uint16_t voff;          /* where the value starts, from the entry */
	const void *tag;        /* the caller's: e.g. the store key that owns it */
	/* key bytes, then value bytes (aligned) follow */
};

/* The entry's key and value. Not const: an entry's value is the caller's
 * to change in place (its key never). */
static inline void *htab_key(const struct htab_entry *e)
{
	return (char *)(e + 1);
}

static inline void *htab_val(const struct htab_entry *e)
{
	return (char *)e + e->voff;
}

struct htab {
	size_t key_size;        /* 0: NUL-terminated string keys */
	size_t val_size;
	struct htab_entry **buckets;
	size_t nbuckets;
	size_t n;
	/* htab_init_arena: entries are carved from large chunks and only
	 * freed all at once by htab_free. A deleted entry is reused by a
	 * later put of an entry of its size (fixed-size entries: any; others,
	 * string keys or shorter values: one of the same size, rounded to 8
	 * bytes, up to HTAB_SIZE_CLASSES * 8); a larger one stays until
	 * htab_free. */
	bool arena;
	void *chunks;           /* list of chunks, newest first */
	struct htab_entry *free_list;
	struct htab_entry **free_sized; /* [size / 8]: deleted entries by size */
	char *cur;
	size_t left;
};

/* Deleted entries of an arena reused by size up to this many * 8 bytes. */
#define HTAB_SIZE_CLASSES 512

struct htab_iter {
	const struct htab *h;
	size_t bucket;
	struct htab_entry *next;
};

void htab_init(struct htab *h, size_t key_size, size_t val_size);
void htab_init_arena(struct htab *h, size_t key_size, size_t val_size);
void htab_free(struct htab *h);
struct htab_entry *htab_find(const struct htab *h, const void *key);
/* Insert or overwrite the value. NULL on allocation failure. *created (may
 * be NULL) says whether the key is new. The tag of a new entry is NULL. */
struct htab_entry *htab_put(struct htab *h, const void *key, const void *val, bool *created);
/* The same with a value of vlen <= val_size bytes: for tables whose
 * values are variable-length records (the model keeps a lookup record in
 * its union's first bytes only). An entry of another length is replaced. */
struct htab_entry *htab_put_len(struct htab *h, const void *key, const void *val, size_t vlen,
				bool *created);
/* Insert a key the caller knows is absent (it just looked): no second
 * search. NULL on allocation failure or vlen > val_size. */
struct htab_entry *htab_add(struct htab *h, const void *key, const void *val, size_t vlen);
/* Size the bucket array for n entries up front (a bulk load), sparing
 * the rehashes of growing one doubling at a time. Never shrinks; an
 * allocation failure is left to the growth of later puts. */
void htab_reserve(struct htab *h, size_t n);
/* 0, or -ENOENT when the key is absent. */
int htab_del(struct htab *h, const void *key);

/* Iteration in no particular order; deleting the entry just returned is
 * allowed. */
void htab_iter_init(struct htab_iter *it, const struct htab *h);
struct htab_entry *htab_iter_next(struct htab_iter *it);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Direct-mapped copies of BPF hashes (headers/tenet/maps.h, "Direct-mapped
 * copies"): an array map whose slots each hold one key of the hash and its
 * value, or nothing, which the datapath reads before the hash
 * (bpf/dmcache.h). One engine writes them all, with the one protocol that
 * lets a BPF reader trust a slot it sees valid: a slot's key and value
 * change only while it is invalid and no reader that saw it valid is
 * left. */
#ifndef TENETD_DMCACHE_H
#define TENETD_DMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "recon/htab.h"

struct dmcache {
	int fd;                 /* the array map (not owned) */
	__u32 nslots;           /* its max_entries, a power of 2 */
	size_t key_size, val_size;
	__u32 (*slot)(const void *key); /* the key's slot, < nslots */
	/* What the slots hold: nslots entries of dmcache_entry_size bytes,
	 * laid out as the map's { __u32 valid; key; val; }. */
	unsigned char *mirror;
	unsigned char *scratch; /* one entry being written */
	/* A slot was made invalid since readers were last waited for: its
	 * key and value are not rewritten before they are. */
	bool need_wait;
	/* How a slot is written and readers are waited for (every BPF
	 * program that ran before has finished): bpf_map_update_elem and
	 * membarrier, unless the owner replaces them (the unit tests record
	 * the order). write: 0 or -errno. */
	int (*write)(struct dmcache *c, __u32 slot, const void *entry);
	void (*wait)(struct dmcache *c);
};

/* Reads what the map's slots hold (an earlier agent's copy), so that the
 * first sync writes only what differs; that sync first waits for readers
 * once, since whoever wrote the slots may have just done so. 0 or
 * -ENOMEM. */
int dmcache_init(struct dmcache *c, int fd, __u32 nslots, size_t key_size, size_t val_size,
		 __u32 (*slot)(const void *key));
void dmcache_fini(struct dmcache *c);
/* Bytes of one slot: the valid word, key and value. */
size_t dmcache_entry_size(const struct dmcache *c);
/* Before key changes or leaves the hash: make its slot invalid if it
 * holds key, so that no reader that starts after this returns takes the
 * old value from the copy (it reads the hash). 1 if a slot was
 * withdrawn, 0 if the copy did not hold key, or -errno: then the slot
 * may still be valid and the hash must not change. */
int dmcache_withdraw(struct dmcache *c, const void *key);
/* Make the copy what the hash holds, now (key_size keys, values of at
 * least val_size bytes; the first val_size are copied): for each slot
 * the entry of its lowest key (memcmp), or nothing. Withdraw, wait,
 * write, wait, publish. Returns how many slots were withdrawn or
 * published, or -errno (after doing all it could: a slot that could not
 * be written is left invalid, or as it was). */
int dmcache_sync(struct dmcache *c, const struct htab *now);

#endif

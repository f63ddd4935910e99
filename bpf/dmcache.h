/* SPDX-License-Identifier: GPL-2.0 */
/* The reader of a direct-mapped copy of a hash (headers/tenet/maps.h,
 * "Direct-mapped copies"): the key's slot of the array first, an inlined
 * lookup; the hash when the slot is invalid or holds another key. What it
 * returns stays whole while the program runs: tenetd changes a slot only
 * after every program that could have seen it valid has finished. */
#ifndef TENET_BPF_DMCACHE_H
#define TENET_BPF_DMCACHE_H

#include "common.h"

/* Keys are whole __u32 words (maps.h pads them so). */
static __always_inline int dmcache_key_eq(const void *a, const void *b, __u32 size)
{
	const __u32 *x = a, *y = b;

#pragma unroll
	for (__u32 i = 0; i < size / sizeof(__u32); i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

/* A pointer to the value of *key_ (a stack copy, not packet bytes) in the
 * array copy cache_ of hash_, read at slot_; NULL when neither has it.
 * valid is read before key and val: a volatile read and a compiler
 * barrier keep that order. */
#define dmcache_lookup(cache_, hash_, slot_, key_)                                          \
	({                                                                                  \
		__u32 dm_slot_ = (slot_);                                                   \
		typeof(*(cache_).value) *dm_c_ = bpf_map_lookup_elem(&(cache_), &dm_slot_); \
		typeof(&dm_c_->val) dm_v_ = NULL;                                           \
                                                                                            \
		if (dm_c_ && *(volatile __u32 *)&dm_c_->valid == 1) {                       \
			asm volatile("" ::: "memory");                                      \
			if (dmcache_key_eq(&dm_c_->key, (key_), sizeof(dm_c_->key)))        \
				dm_v_ = &dm_c_->val;                                        \
		}                                                                           \
		if (!dm_v_)                                                                 \
			dm_v_ = bpf_map_lookup_elem(&(hash_), (key_));                      \
		dm_v_;                                                                      \
	})

#endif

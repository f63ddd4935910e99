// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <bpf/bpf.h>

#include "host/dmcache.h"

/* The entry layout every copy shares (TENET_DMCACHE_LAYOUT in
 * headers/tenet/maps.h): valid, then key, then value, nothing between. */
#define VALID_SIZE sizeof(__u32)

size_t dmcache_entry_size(const struct dmcache *c)
{
	return VALID_SIZE + c->key_size + c->val_size;
}

/* The mirror's entry of a slot. */
static void *entry_of(const struct dmcache *c, __u32 slot)
{
	return c->mirror + (size_t)slot * dmcache_entry_size(c);
}

/* Valid as the reader takes it (bpf/dmcache.h): exactly 1. */
static bool entry_valid(const void *e)
{
	__u32 v;

	memcpy(&v, e, sizeof(v));
	return v == 1;
}

static void entry_set_valid(void *e, __u32 v)
{
	memcpy(e, &v, sizeof(v));
}

static void *entry_key(const void *e)
{
	return (char *)e + VALID_SIZE;
}

/* Wait until every BPF program that ran before has finished: they run
 * inside RCU read-side sections, and MEMBARRIER_CMD_GLOBAL waits for an
 * RCU grace period. Where it is refused (nohz_full), a pause far longer
 * than a program runs. */
static void wait_readers(void)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
		usleep(20000);
}

static int map_write(struct dmcache *c, __u32 slot, const void *entry)
{
	return bpf_map_update_elem(c->fd, &slot, entry, BPF_ANY) < 0 ? -errno : 0;
}

static void map_wait(struct dmcache *c)
{
	wait_readers();
}

int dmcache_init(struct dmcache *c, int fd, __u32 nslots, size_t key_size, size_t val_size,
		 __u32 (*slot)(const void *key))
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->nslots = nslots;
	c->key_size = key_size;
	c->val_size = val_size;
	c->slot = slot;
	c->write = map_write;
	c->wait = map_wait;
	c->mirror = calloc(nslots, dmcache_entry_size(c));
	c->scratch = malloc(dmcache_entry_size(c));
	if (!c->mirror || !c->scratch) {
		dmcache_fini(c);
		return -ENOMEM;
	}
	/* A slot that cannot be read stays zero (invalid) here: the first
	 * sync writes it whole. */
	for (__u32 i = 0; i < nslots; i++)
		bpf_map_lookup_elem(fd, &i, entry_of(c, i));
	c->need_wait = true;
	return 0;
}

void dmcache_fini(struct dmcache *c)
{
	free(c->mirror);
	free(c->scratch);
	c->mirror = NULL;
	c->scratch = NULL;
}

/* Write slot i as e, and keep the mirror equal to the map. */
static int put(struct dmcache *c, __u32 i, const void *e)
{
	int ret = c->write(c, i, e);

	if (ret == 0)
		memcpy(entry_of(c, i), e, dmcache_entry_size(c));
	return ret;
}

/* e with valid cleared (in c->scratch). */
static void *invalid_copy(struct dmcache *c, const void *e)
{
	memcpy(c->scratch, e, dmcache_entry_size(c));
	entry_set_valid(c->scratch, 0);
	return c->scratch;
}

int dmcache_withdraw(struct dmcache *c, const void *key)
{
	__u32 i = c->slot(key);
	void *e = entry_of(c, i);
	int ret;

	if (!entry_valid(e) || memcmp(entry_key(e), key, c->key_size))
		return 0;
	/* Only valid changes, one byte of it: a reader sees the old entry
	 * whole or an invalid slot, never a mix. */
	ret = put(c, i, invalid_copy(c, e));
	if (ret < 0)
		return ret;
	c->need_wait = true;
	return 1;
}

static bool same_entry(const struct dmcache *c, const void *a, const void *b)
{
	return !memcmp(entry_key(a), entry_key(b), c->key_size + c->val_size);
}

/* What the copy should hold: per slot, the lowest key of now on it. */
static int plan_build(const struct dmcache *c, const struct htab *now, unsigned char *plan)
{
	size_t esz = dmcache_entry_size(c);
	struct htab_iter it;
	struct htab_entry *e;

	if (now->key_size != c->key_size || now->val_size < c->val_size)
		return -EINVAL;
	htab_iter_init(&it, now);
	while ((e = htab_iter_next(&it))) {
		unsigned char *p = plan + (size_t)c->slot(htab_key(e)) * esz;

		if (entry_valid(p) && memcmp(htab_key(e), entry_key(p), c->key_size) > 0)
			continue;
		entry_set_valid(p, 1);
		memcpy(entry_key(p), htab_key(e), c->key_size);
		memcpy((char *)entry_key(p) + c->key_size, htab_val(e), c->val_size);
	}
	return 0;
}

/* Before a slot's key or value is written, or a slot is published:
 * no reader that saw a slot valid before it was withdrawn is left. */
static void settle(struct dmcache *c)
{
	if (!c->need_wait)
		return;
	c->wait(c);
	c->need_wait = false;
}

/* The three steps of a sync, each a pass over the slots against the plan:
 * withdraw every valid slot that is not what the plan has there; write,
 * still invalid, every planned entry a slot does not hold yet; publish
 * every planned entry a slot holds invalid. */
enum step { WITHDRAW, WRITE, PUBLISH };

static int step(struct dmcache *c, const unsigned char *plan, enum step st, unsigned int *done)
{
	size_t esz = dmcache_entry_size(c);
	int ret = 0, r;

	for (__u32 i = 0; i < c->nslots; i++) {
		const void *cur = entry_of(c, i), *p = plan + (size_t)i * esz, *e;
		bool same = same_entry(c, cur, p);

		if (st == WITHDRAW ? !entry_valid(cur) || (entry_valid(p) && same) :
				     !entry_valid(p) || entry_valid(cur) || same != (st == PUBLISH))
			continue;
		if (st == WITHDRAW) {
			e = invalid_copy(c, cur);
		} else {
			settle(c);
			e = st == WRITE ? invalid_copy(c, p) : p;
		}
		r = put(c, i, e);
		if (r < 0)
			ret = r;
		else
			(*done)++;
	}
	return ret;
}

/* A reader that sees valid 1 must see a whole, current entry, and the
 * kernel copies a value with no ordering, so key and val of a slot change
 * only while it is invalid and no reader that saw it valid is left:
 * withdraw what is no longer wanted, wait, write what is new (still
 * invalid), wait, publish. */
int dmcache_sync(struct dmcache *c, const struct htab *now)
{
	unsigned int withdrawn = 0, written = 0, published = 0;
	unsigned char *plan;
	int ret, r;

	plan = calloc(c->nslots, dmcache_entry_size(c));
	if (!plan)
		return -ENOMEM;
	ret = plan_build(c, now, plan);
	if (ret < 0)
		goto out;
	ret = step(c, plan, WITHDRAW, &withdrawn);
	if (withdrawn)
		c->need_wait = true;
	r = step(c, plan, WRITE, &written);
	if (written)
		c->need_wait = true;
	if (r < 0)
		ret = r;
	/* Published a wait after they were written: this sync's, or an
	 * earlier one's that stopped before publishing (need_wait covers a
	 * slot written by another agent just before it died). */
	r = step(c, plan, PUBLISH, &published);
	if (r < 0)
		ret = r;
out:
	free(plan);
	return ret < 0 ? ret : (int)(withdrawn + published);
}

// SPDX-License-Identifier: GPL-2.0
/* The engine of the direct-mapped copies (agent/host/dmcache.c) against a
 * fake array map that checks the protocol on every write: a slot's key and
 * value change only while the slot is invalid and a wait for readers has
 * passed since it became so; a slot turns valid only a wait after its key
 * and value were last written. After each sync the map holds, per slot,
 * the lowest key of the authoritative set on it, and the engine's mirror
 * equals the map. Explicit sequences (first sync, a value change, a
 * delete, a collision, a withdrawal before a hash write, a failed write,
 * leftovers of an earlier agent) and a random walk over all of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/dmcache.h"

#define NSLOTS 8

struct val {
	uint32_t a, b;
};

/* The map's entry layout: valid, key, val. */
struct ent {
	uint32_t valid;
	uint32_t key;
	struct val val;
};

struct fake {
	struct ent map[NSLOTS];
	unsigned int waits;
	unsigned int invalid_at[NSLOTS]; /* waits when the slot turned invalid */
	unsigned int written_at[NSLOTS]; /* waits when its key/val last changed */
	char log[512][16];
	int nlog;
	uint32_t fail_slot;             /* writes to it fail (NSLOTS: none) */
};

static struct fake F;

static void logf_(const char *fmt, unsigned int slot)
{
	if (F.nlog < 512)
		snprintf(F.log[F.nlog++], sizeof(F.log[0]), fmt, slot);
}

static int fake_write(struct dmcache *c, __u32 slot, const void *entry)
{
	struct ent n, *o;
	bool kv_changed;

	assert_true(slot < NSLOTS);
	assert_int_equal(dmcache_entry_size(c), sizeof(struct ent));
	if (slot == F.fail_slot)
		return -EBUSY;
	memcpy(&n, entry, sizeof(n));
	o = &F.map[slot];
	kv_changed = o->key != n.key || memcmp(&o->val, &n.val, sizeof(n.val));
	/* Never a change under a valid slot. */
	if (o->valid == 1)
		assert_false(kv_changed);
	if (kv_changed) {
		assert_int_equal(n.valid, 0);
		assert_true(F.waits > F.invalid_at[slot]);
		F.written_at[slot] = F.waits;
	}
	if (o->valid == 1 && n.valid != 1)
		F.invalid_at[slot] = F.waits;
	if (o->valid != 1 && n.valid == 1)
		assert_true(F.waits > F.written_at[slot]);
	logf_(n.valid == 1 ? "pub %u" : o->valid == 1 ? "wd %u" : "wr %u", slot);
	*o = n;
	return 0;
}

static void fake_wait(struct dmcache *c)
{
	F.waits++;
	logf_("wait", 0);
}

static __u32 slot_of(const void *key)
{
	uint32_t k;

	memcpy(&k, key, sizeof(k));
	return k % NSLOTS;
}

/* The copy under test and the authoritative set it follows. */
static struct dmcache C;
static struct htab H;

/* A new map; waits start at 1 so a fresh slot's epochs are behind. */
static int setup(void **state)
{
	memset(&F, 0, sizeof(F));
	F.fail_slot = NSLOTS;
	F.waits = 1;
	if (dmcache_init(&C, -1, NSLOTS, sizeof(uint32_t), sizeof(struct val), slot_of))
		return -1;
	C.write = fake_write;
	C.wait = fake_wait;
	htab_init(&H, sizeof(uint32_t), sizeof(struct val));
	return 0;
}

static int teardown(void **state)
{
	htab_free(&H);
	dmcache_fini(&C);
	return 0;
}

/* The map holds what an earlier agent left (as dmcache_init read it),
 * written just before this agent started for all it knows. */
static void leave(const struct ent *left)
{
	memcpy(F.map, left, sizeof(F.map));
	memcpy(C.mirror, left, sizeof(F.map));
	for (int i = 0; i < NSLOTS; i++)
		F.written_at[i] = F.invalid_at[i] = F.waits;
}

static void put(struct htab *h, uint32_t key, uint32_t a)
{
	struct val v = { a, ~a };

	assert_non_null(htab_put(h, &key, &v, NULL));
}

/* The map is the copy of h, and the mirror is the map. */
static void assert_copy_of(const struct dmcache *c, const struct htab *h)
{
	struct ent want[NSLOTS] = { 0 };
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, h);
	while ((e = htab_iter_next(&it))) {
		uint32_t k = *(uint32_t *)htab_key(e);
		struct ent *w = &want[k % NSLOTS];

		if (w->valid && w->key < k)
			continue;
		w->valid = 1;
		w->key = k;
		memcpy(&w->val, htab_val(e), sizeof(w->val));
	}
	for (int i = 0; i < NSLOTS; i++) {
		if (want[i].valid) {
			assert_memory_equal(&F.map[i], &want[i], sizeof(want[i]));
		} else {
			assert_int_not_equal(F.map[i].valid, 1);
		}
	}
	assert_memory_equal(c->mirror, F.map, sizeof(F.map));
}

static int find(const char *what)
{
	for (int i = 0; i < F.nlog; i++)
		if (!strcmp(F.log[i], what))
			return i;
	return -1;
}

/* The writes and waits since the log was last cleared, exactly. */
static void assert_log_(const char *const *want, int n)
{
	assert_int_equal(F.nlog, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(F.log[i], want[i]);
}
#define assert_log(...)                                                            \
	assert_log_((const char *const[]){ __VA_ARGS__ },                          \
		    sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void first_sync_writes_waits_publishes(void **state)
{
	put(&H, 1, 10);
	put(&H, 2, 20);
	assert_int_equal(dmcache_sync(&C, &H), 2);
	assert_copy_of(&C, &H);
	/* A wait first: the map may hold what another agent just wrote. */
	assert_log("wait", "wr 1", "wr 2", "wait", "pub 1", "pub 2");
	/* Nothing changed: nothing written. */
	F.nlog = 0;
	assert_int_equal(dmcache_sync(&C, &H), 0);
	assert_int_equal(F.nlog, 0);
}

static void change_withdraws_waits_writes_waits_publishes(void **state)
{
	put(&H, 3, 30);
	assert_int_equal(dmcache_sync(&C, &H), 1);
	F.nlog = 0;
	put(&H, 3, 31);         /* a VSID move */
	assert_int_equal(dmcache_sync(&C, &H), 2);
	assert_copy_of(&C, &H);
	assert_log("wd 3", "wait", "wr 3", "wait", "pub 3");
}

/* What kernel.c does around a hash write: withdraw first (no wait: new
 * readers already take the hash), then the flush rewrites the slot only
 * after a wait. */
static void withdraw_then_sync(void **state)
{
	uint32_t k = 4, other = 5;

	put(&H, k, 40);
	assert_int_equal(dmcache_sync(&C, &H), 1);
	F.nlog = 0;
	assert_int_equal(dmcache_withdraw(&C, &other), 0);
	assert_int_equal(F.nlog, 0);
	assert_int_equal(dmcache_withdraw(&C, &k), 1);
	assert_int_equal(F.map[4].valid, 0);
	assert_int_equal(dmcache_withdraw(&C, &k), 0); /* already */
	put(&H, k, 41);
	assert_int_equal(dmcache_sync(&C, &H), 1);
	assert_copy_of(&C, &H);
	assert_log("wd 4", "wait", "wr 4", "wait", "pub 4");
	/* A delete: withdrawn, and nothing else. */
	F.nlog = 0;
	assert_int_equal(dmcache_withdraw(&C, &k), 1);
	htab_del(&H, &k);
	assert_int_equal(dmcache_sync(&C, &H), 0);
	assert_copy_of(&C, &H);
	assert_int_equal(F.nlog, 1);
}

static void collision_lower_key_wins(void **state)
{
	uint32_t k = 1;

	put(&H, 1 + NSLOTS, 90);
	assert_int_equal(dmcache_sync(&C, &H), 1);
	assert_int_equal(F.map[1].key, 1 + NSLOTS);
	put(&H, 1, 10);
	assert_int_equal(dmcache_sync(&C, &H), 2);
	assert_copy_of(&C, &H);
	assert_int_equal(F.map[1].key, 1);
	htab_del(&H, &k);
	assert_int_equal(dmcache_sync(&C, &H), 2);
	assert_copy_of(&C, &H);
	assert_int_equal(F.map[1].key, 1 + NSLOTS);
}

/* A failed write: the error, the mirror still the map, and the next sync
 * repairs it. A withdrawal that cannot be written is an error (the hash
 * write must not follow). */
static void failed_write_repaired(void **state)
{
	uint32_t k = 2;

	put(&H, 2, 20);
	put(&H, 3, 30);
	F.fail_slot = 2;
	assert_int_equal(dmcache_sync(&C, &H), -EBUSY);
	assert_int_equal(F.map[2].valid, 0);
	assert_int_equal(F.map[3].valid, 1);
	assert_memory_equal(C.mirror, F.map, sizeof(F.map));
	assert_int_equal(dmcache_withdraw(&C, &(uint32_t){ 3 }), 1);
	put(&H, 3, 31);
	F.fail_slot = NSLOTS;
	assert_int_equal(dmcache_sync(&C, &H), 2);
	assert_copy_of(&C, &H);
	F.fail_slot = 2;
	assert_int_equal(dmcache_withdraw(&C, &k), -EBUSY);
	assert_int_equal(F.map[2].valid, 1);
	F.fail_slot = NSLOTS;
}

/* An earlier agent's slots: a stale valid entry (the hash changed behind
 * it), a half-written one (valid 0, the right entry), one that is right.
 * The first sync trusts none it has not compared, and waits before it
 * publishes what it did not write itself. */
static void leftovers_validated(void **state)
{
	struct ent left[NSLOTS] = {
		[1] = { 1, 1, { 10, 0 } },      /* stale: the hash has 11 */
		[2] = { 0, 2, { 20, ~20u } },   /* written, not published */
		[3] = { 1, 3, { 30, ~30u } },   /* right */
		[4] = { 1, 4, { 40, ~40u } },   /* gone from the hash */
		[5] = { 2, 5, { 50, ~50u } },   /* valid neither 0 nor 1 */
	};

	leave(left);
	put(&H, 1, 11);
	put(&H, 2, 20);
	put(&H, 3, 30);
	put(&H, 5, 50);
	assert_true(dmcache_sync(&C, &H) > 0);
	assert_copy_of(&C, &H);
	assert_true(find("wd 1") >= 0 && find("wd 4") >= 0);
	assert_int_equal(find("wd 3"), -1);
	assert_true(find("pub 2") > find("wait"));
}

/* Random adds, changes and deletes on a few keys (collisions on every
 * slot), each change preceded by its withdrawal as kernel.c does, with
 * writes failing now and then; the fake checks the protocol throughout. */
static void random_walk(void **state)
{
	unsigned int seed = 21;

	for (int round = 0; round < 2000; round++) {
		int n = rand_r(&seed) % 4;
		bool failing = rand_r(&seed) % 5 == 0;
		int ret;

		for (int i = 0; i < n; i++) {
			uint32_t k = (uint32_t)(rand_r(&seed) % (3 * NSLOTS));

			F.fail_slot = NSLOTS;
			if (dmcache_withdraw(&C, &k) < 0)
				continue;
			/* No reader starting now takes k from the copy. */
			assert_false(F.map[k % NSLOTS].valid == 1 && F.map[k % NSLOTS].key == k);
			if (rand_r(&seed) % 3 == 0)
				htab_del(&H, &k);
			else
				put(&H, k, (uint32_t)rand_r(&seed) % 4);
		}
		F.fail_slot = failing ? (uint32_t)(rand_r(&seed) % NSLOTS) : NSLOTS;
		ret = dmcache_sync(&C, &H);
		assert_memory_equal(C.mirror, F.map, sizeof(F.map));
		if (!failing) {
			assert_true(ret >= 0);
			assert_copy_of(&C, &H);
		}
		F.nlog = 0;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(first_sync_writes_waits_publishes, setup, teardown),
		cmocka_unit_test_setup_teardown(change_withdraws_waits_writes_waits_publishes, setup, teardown),
		cmocka_unit_test_setup_teardown(withdraw_then_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(collision_lower_key_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_write_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(leftovers_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(random_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

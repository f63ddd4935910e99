// SPDX-License-Identifier: GPL-2.0
/* The reconciler engine (agent/recon/recon.c) with a toy reconciler whose
 * kernel is a few tables: what every reconciler inherits. Put order and
 * reverse delete order, only differences applied, failure and retry,
 * never-deleted types, creation parameters, batches and their fallback,
 * held objects, the mass-deletion guard, unmarked objects of a reconciler
 * that observes every round, teardown, a want that fails, and the flush
 * after the writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "recon/recon.h"

enum { T_BASE, T_MID, T_KEEP, T_TOP, T_N };

struct val {
	uint32_t v;
	uint32_t made;          /* creation parameter: not compared */
};

struct toy {
	struct recon_set want;  /* what want() returns */
	struct recon_set k;     /* the "kernel" */
	char calls[256][24];
	int ncalls;
	uint32_t fail_key;      /* put/del of this key fails (0: none) */
	int want_err;
	int batches;
	bool batch_fails;
	unsigned int flush_fails;       /* what toy_flush reports */
	size_t flushed_base;            /* T_BASE objects the shadow had then */
};

static const struct reconciler toy_reconciler;

static void record(struct toy *t, const char *what, unsigned int type, uint32_t key)
{
	if (t->ncalls < 256)
		snprintf(t->calls[t->ncalls++], sizeof(t->calls[0]), "%s %u %u", what, type, key);
}

static int first_call(const struct toy *t, const char *prefix)
{
	for (int i = 0; i < t->ncalls; i++)
		if (!strncmp(t->calls[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

static int last_call(const struct toy *t, const char *prefix)
{
	for (int i = t->ncalls - 1; i >= 0; i--)
		if (!strncmp(t->calls[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

static int do_put(struct recon *rc, unsigned int type, const void *key, const void *val)
{
	struct toy *t = rc->ops;
	uint32_t k = *(const uint32_t *)key;

	record(t, "put", type, k);
	if (k == t->fail_key) {
		recon_errf(rc, "key %u refused", k);
		return -EBUSY;
	}
	htab_put(&t->k.t[type], key, val, NULL);
	return 0;
}

static int do_del(struct recon *rc, unsigned int type, const void *key)
{
	struct toy *t = rc->ops;
	uint32_t k = *(const uint32_t *)key;

	record(t, "del", type, k);
	if (k == t->fail_key)
		return -EBUSY;
	/* Already gone counts as removed. */
	return htab_del(&t->k.t[type], key);
}

#define CALLBACKS(T)                                                                   \
	static int put_##T(struct recon *rc, const void *k, const void *v, const void *o) \
	{                                                                              \
		return do_put(rc, T, k, v);                                            \
	}                                                                              \
	static int del_##T(struct recon *rc, const void *k, const void *o)             \
	{                                                                              \
		return do_del(rc, T, k);                                               \
	}
CALLBACKS(T_BASE)
CALLBACKS(T_MID)
CALLBACKS(T_KEEP)
CALLBACKS(T_TOP)

static int batch_mid(struct recon *rc, const void *keys, const void *vals, unsigned int n)
{
	struct toy *t = rc->ops;

	t->batches++;
	if (t->batch_fails)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		do_put(rc, T_MID, (const uint32_t *)keys + i, (const struct val *)vals + i);
	return 0;
}

static void describe(const void *key, const void *val, char *buf, size_t len)
{
	snprintf(buf, len, "key %u", *(const uint32_t *)key);
}

#define TYPE(T, f, ...)                                                                \
	[T] = { .name = #T, .key_size = sizeof(uint32_t), .val_size = sizeof(struct val),   \
		.cmp_size = offsetof(struct val, made), .flags = (f), .describe = describe,  \
		.put = put_##T, .del = del_##T, __VA_ARGS__ }

static const struct recon_type toy_types[T_N] = {
	TYPE(T_BASE, 0),
	TYPE(T_MID, RECON_T_TEARDOWN_SKIP, .put_batch = batch_mid),
	TYPE(T_KEEP, RECON_T_KEEP),
	TYPE(T_TOP, RECON_T_UNMARKED),
};

static int toy_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		    struct recon_set *out)
{
	struct toy *t = rc->ops;
	struct htab_iter it;
	struct htab_entry *e;

	if (t->want_err)
		return t->want_err;
	for (unsigned int ty = 0; ty < T_N; ty++) {
		htab_iter_init(&it, &t->want.t[ty]);
		while ((e = htab_iter_next(&it)))
			htab_put(&out->t[ty], htab_key(e), htab_val(e), NULL);
		htab_iter_init(&it, &t->want.held[ty]);
		while ((e = htab_iter_next(&it)))
			recon_hold(out, ty, htab_key(e));
	}
	return 0;
}

/* Everything of every type, except T_TOP's, which the kernel cannot tell
 * apart: only the desired ones are reported. Creation parameters do not
 * read back. */
static int toy_observe(struct recon *rc, const struct recon_set *desired, struct recon_set *out)
{
	struct toy *t = rc->ops;
	struct htab_iter it;
	struct htab_entry *e;

	for (unsigned int ty = 0; ty < T_N; ty++) {
		htab_iter_init(&it, &t->k.t[ty]);
		while ((e = htab_iter_next(&it))) {
			struct val v = { .v = ((struct val *)htab_val(e))->v };

			if (ty == T_TOP && (!desired || !htab_find(&desired->t[ty], htab_key(e))))
				continue;
			htab_put(&out->t[ty], htab_key(e), &v, NULL);
		}
	}
	return 0;
}

static const struct reconciler toy_reconciler = {
	.name = "toy",
	.types = toy_types,
	.ntypes = T_N,
	.want = toy_want,
	.observe = toy_observe,
};

/* What is derived from the objects (the datapath's direct-mapped
 * copies) follows the shadow after the round's writes. */
static unsigned int toy_flush(struct recon *rc)
{
	struct toy *t = rc->ops;

	record(t, "flush", 0, 0);
	t->flushed_base = rc->shadow.t[T_BASE].n;
	return t->flush_fails;
}

static const struct reconciler toy_each = {
	.name = "toy-each",
	.types = toy_types,
	.ntypes = T_N,
	.flags = RECON_OBSERVE_EACH,
	.want = toy_want,
	.observe = toy_observe,
};

struct fx {
	struct toy t;
	struct recon rc;
	struct model m;
	struct recon_env env;
	struct recon_hooks hooks;
	int nheld_reported;
	char msg[64];
};

static void applied(void *arg, const struct recon *rc, unsigned int type, enum recon_op op,
		    const void *key, const void *val, int err, const char *msg)
{
	struct fx *x = arg;

	if (op == RECON_HELD)
		x->nheld_reported++;
	if (msg)
		snprintf(x->msg, sizeof(x->msg), "%s", msg);
}

static void want(struct fx *x, unsigned int type, uint32_t key, uint32_t v)
{
	struct val val = { .v = v, .made = 42 };

	htab_put(&x->t.want.t[type], &key, &val, NULL);
}

static void unwant(struct fx *x, unsigned int type, uint32_t key)
{
	htab_del(&x->t.want.t[type], &key);
}

static bool in_kernel(struct fx *x, unsigned int type, uint32_t key)
{
	return htab_find(&x->t.k.t[type], &key) != NULL;
}

static int round_(struct fx *x)
{
	x->t.ncalls = 0;
	return recon_run(&x->rc, &x->m, &x->env, &x->hooks);
}

static int setup_with(void **state, const struct reconciler *r)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	recon_set_init(&x->t.want, r);
	recon_set_init(&x->t.k, r);
	recon_init(&x->rc, r, &x->t);
	model_init(&x->m);
	x->hooks = (struct recon_hooks){ .applied = applied, .arg = x };
	*state = x;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, &toy_reconciler);
}

/* The toy reconciler with a flush. */
static int setup_flush(void **state)
{
	static struct reconciler toy_flushing;

	toy_flushing = toy_reconciler;
	toy_flushing.flush = toy_flush;
	return setup_with(state, &toy_flushing);
}

static int setup_each(void **state)
{
	return setup_with(state, &toy_each);
}

static int teardown(void **state)
{
	struct fx *x = *state;

	recon_fini(&x->rc);
	recon_set_free(&x->t.want);
	recon_set_free(&x->t.k);
	model_free(&x->m);
	free(x);
	return 0;
}

/* Four of each type, then the top ones gone. */
static void fill(struct fx *x)
{
	for (uint32_t k = 1; k <= 4; k++)
		for (unsigned int t = 0; t < T_N; t++)
			want(x, t, k, 100 + k);
}

static void test_order_and_idempotence(void **state)
{
	struct fx *x = *state;

	fill(x);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.add[T_BASE] + x->rc.st.add[T_MID] + x->rc.st.add[T_KEEP] +
			 x->rc.st.add[T_TOP], 16);
	/* Type by type, in the table's order. */
	assert_true(last_call(&x->t, "put 0") < first_call(&x->t, "put 1"));
	assert_true(last_call(&x->t, "put 1") < first_call(&x->t, "put 2"));
	assert_true(last_call(&x->t, "put 2") < first_call(&x->t, "put 3"));
	assert_int_equal(x->t.batches, 1);
	/* Unchanged: nothing touches the kernel. */
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, 0);
	/* A creation parameter is not a change. */
	want(x, T_BASE, 1, 101);
	((struct val *)htab_val(htab_find(&x->t.want.t[T_BASE], &(uint32_t){ 1 })))->made = 7;
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, 0);
	/* A change is one put; deletes run in the reverse type order. */
	want(x, T_MID, 2, 999);
	for (unsigned int t = 0; t < T_N; t++)
		unwant(x, t, 4);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.upd[T_MID], 1);
	assert_int_equal(x->rc.st.del[T_TOP] + x->rc.st.del[T_MID] + x->rc.st.del[T_BASE], 3);
	assert_true(first_call(&x->t, "put 1 2") < first_call(&x->t, "del"));
	assert_true(first_call(&x->t, "del 3") < first_call(&x->t, "del 1"));
	assert_true(first_call(&x->t, "del 1") < first_call(&x->t, "del 0"));
	/* Never deleted. */
	assert_int_equal(first_call(&x->t, "del 2"), -1);
	assert_true(in_kernel(x, T_KEEP, 4));
	assert_false(in_kernel(x, T_BASE, 4));
}

static void test_failure_retried(void **state)
{
	struct fx *x = *state;

	fill(x);
	x->t.fail_key = 3;
	x->t.batch_fails = true;        /* the batch falls back to one by one */
	assert_int_equal(round_(x), T_N);
	assert_int_equal(x->rc.st.failed, T_N);
	assert_string_equal(x->msg, "key 3 refused");
	assert_false(in_kernel(x, T_MID, 3));
	assert_true(in_kernel(x, T_MID, 2));
	/* The next round retries what failed, and only that. */
	x->t.fail_key = 0;
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, T_N);
	assert_true(in_kernel(x, T_MID, 3));
	/* A failed delete stays in the shadow and is asked again. */
	x->t.fail_key = 2;
	unwant(x, T_BASE, 2);
	assert_int_equal(round_(x), 1);
	x->t.fail_key = 0;
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, 1);
	assert_false(in_kernel(x, T_BASE, 2));
}

/* An object held (its owning record cannot be decoded) is never deleted,
 * and said so; once the hold is lifted, it goes. */
static void test_held(void **state)
{
	struct fx *x = *state;
	uint32_t k = 2;

	fill(x);
	assert_int_equal(round_(x), 0);
	unwant(x, T_BASE, 2);
	unwant(x, T_BASE, 3);
	recon_hold(&x->t.want, T_BASE, &k);
	assert_int_equal(round_(x), 0);
	assert_true(in_kernel(x, T_BASE, 2));
	assert_false(in_kernel(x, T_BASE, 3));
	assert_int_equal(x->rc.st.held, 1);
	assert_int_equal(x->nheld_reported, 1);
	assert_int_equal(x->rc.st.del[T_BASE], 1);
	htab_del(&x->t.want.held[T_BASE], &k);
	assert_int_equal(round_(x), 0);
	assert_false(in_kernel(x, T_BASE, 2));
}

/* A caller-supplied policy refuses a mass deletion: nothing is deleted,
 * the puts are applied, the refusal is counted and asked again next
 * round. Below the threshold, deletes go ahead. */
static void test_mass_deletion_guard(void **state)
{
	struct fx *x = *state;
	struct recon_share share = { .percent = 50, .min = 4 };

	fill(x);
	assert_int_equal(round_(x), 0);
	x->hooks.allow_delete = recon_allow_share;
	x->hooks.guard_arg = &share;
	/* 16 objects, 12 deletable (T_KEEP is not); 9 go: refused. */
	for (uint32_t k = 1; k <= 3; k++) {
		unwant(x, T_BASE, k);
		unwant(x, T_MID, k);
		unwant(x, T_TOP, k);
	}
	want(x, T_BASE, 9, 1);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.refused, 9);
	assert_int_equal(first_call(&x->t, "del"), -1);
	assert_true(in_kernel(x, T_BASE, 9));
	assert_true(in_kernel(x, T_MID, 1));
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.refused, 9);
	/* The operator says yes (the caller's policy): they go. */
	share.percent = 100;
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.refused, 0);
	assert_false(in_kernel(x, T_MID, 1));
	/* Fewer than min at once is always allowed. */
	share.percent = 1;
	unwant(x, T_BASE, 4);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.refused, 0);
	assert_false(in_kernel(x, T_BASE, 4));
	/* The policy: fewer than min, or at most percent of the total. */
	assert_true(recon_allow_share(&share, &x->rc, 3, 100));
	assert_false(recon_allow_share(&share, &x->rc, 4, 100));
}

/* A reconciler that observes every round repairs what someone else
 * changed, and still deletes the unmarked objects it made, which observe
 * cannot report once they are no longer wanted. */
static void test_observe_each_unmarked(void **state)
{
	struct fx *x = *state;
	struct val v = { .v = 0 };
	uint32_t k = 1;

	fill(x);
	assert_int_equal(round_(x), 0);
	/* Changed behind the agent's back: repaired. */
	htab_put(&x->t.k.t[T_BASE], &k, &v, NULL);
	htab_del(&x->t.k.t[T_TOP], &k);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.upd[T_BASE], 1);
	assert_int_equal(x->rc.st.add[T_TOP], 1);
	assert_int_equal(x->t.ncalls, 2);
	/* No longer wanted: deleted, though observe no longer reports it. */
	unwant(x, T_TOP, 2);
	assert_int_equal(round_(x), 0);
	assert_false(in_kernel(x, T_TOP, 2));
	assert_int_equal(x->rc.st.del[T_TOP], 1);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, 0);
}

/* A want that fails applies nothing; a teardown wants nothing, and leaves
 * the types that go with their container. */
static void test_want_fails_and_teardown(void **state)
{
	struct fx *x = *state;
	struct recon td;

	fill(x);
	assert_int_equal(round_(x), 0);
	x->t.want_err = -ENOMEM;
	assert_int_equal(round_(x), -ENOMEM);
	assert_int_equal(x->t.ncalls, 0);
	x->t.want_err = 0;
	recon_init(&td, &toy_reconciler, &x->t);
	td.teardown = true;
	assert_int_equal(recon_run(&td, &x->m, &x->env, NULL), 0);
	assert_int_equal(x->t.k.t[T_BASE].n, 0);
	assert_int_equal(x->t.k.t[T_MID].n, 4);
	assert_int_equal(x->t.k.t[T_KEEP].n, 4);
	recon_fini(&td);
}

/* The flush comes once per apply, after every put and delete, whole or
 * by keys, with the shadow as it ends; what it fails counts as the
 * round's failures (retried); a teardown has none. */
static void test_flush_after_writes(void **state)
{
	struct fx *x = *state;
	struct recon td;

	fill(x);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, 17);
	assert_string_equal(x->t.calls[16], "flush 0 0");
	assert_int_equal(x->t.flushed_base, 4);
	unwant(x, T_BASE, 4);
	assert_int_equal(round_(x), 0);
	assert_true(first_call(&x->t, "del 0 4") < first_call(&x->t, "flush"));
	assert_int_equal(x->t.flushed_base, 3);
	/* Nothing changed: still flushed (it skips what was not written). */
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->t.ncalls, 1);
	x->t.flush_fails = 1;
	assert_int_equal(round_(x), 1);
	assert_int_equal(x->rc.st.failed, 1);
	assert_false(x->rc.clean);
	x->t.flush_fails = 0;
	assert_int_equal(round_(x), 0);
	assert_true(x->rc.clean);
	recon_init(&td, x->rc.r, &x->t);
	td.teardown = true;
	x->t.ncalls = 0;
	assert_int_equal(recon_run(&td, &x->m, &x->env, NULL), 0);
	assert_int_equal(first_call(&x->t, "flush"), -1);
	recon_fini(&td);
}

/* The model's table: an arena of string keys and values of several
 * lengths. Deleted entries are reused by entries of their size, values
 * replaced by shorter or longer ones stay right, and nothing is lost. */
static void test_arena_strings_reuse(void **state)
{
	struct htab h;
	char key[32], val[64], got[64];
	struct htab_entry *e, *again;

	(void)state;
	htab_init_arena(&h, 0, sizeof(val));
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "/k/%d", i);
		memset(val, 'a' + i % 26, sizeof(val));
		assert_non_null(htab_put_len(&h, key, val, 8 + i % 40, NULL));
	}
	/* A deleted entry is the next one of its size. */
	e = htab_find(&h, "/k/7");
	assert_non_null(e);
	assert_int_equal(htab_del(&h, "/k/7"), 0);
	memset(val, 'z', sizeof(val));
	again = htab_put_len(&h, "/k/x", val, 8 + 7 % 40, NULL);
	assert_ptr_equal(again, e);
	assert_memory_equal(htab_val(again), val, 8 + 7 % 40);
	assert_null(htab_find(&h, "/k/7"));
	/* Every other one replaced with a value of another length. */
	for (int i = 0; i < 1000; i += 2) {
		snprintf(key, sizeof(key), "/k/%d", i);
		memset(val, 'A' + i % 26, sizeof(val));
		assert_non_null(htab_put_len(&h, key, val, 8 + (i + 13) % 40, NULL));
	}
	assert_int_equal(h.n, 1000);
	for (int i = 0; i < 1000; i++) {
		size_t len = i % 2 ? 8 + i % 40 : 8 + (i + 13) % 40;

		if (i == 7)
			continue;
		snprintf(key, sizeof(key), "/k/%d", i);
		e = htab_find(&h, key);
		assert_non_null(e);
		assert_int_equal(e->vlen, len);
		memset(got, i % 2 ? 'a' + i % 26 : 'A' + i % 26, sizeof(got));
		assert_memory_equal(htab_val(e), got, len);
	}
	htab_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_idempotence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mass_deletion_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_observe_each_unmarked, setup_each, teardown),
		cmocka_unit_test_setup_teardown(test_want_fails_and_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_after_writes, setup_flush, teardown),
		cmocka_unit_test(test_arena_strings_reuse),
	};

	return cmocka_run_group_tests_name("reconciler engine", tests, NULL, NULL);
}

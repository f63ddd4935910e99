// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <tenet/limits.h>

#include "host/learn.h"
#include "policy/policy.h"

void learn_table_init(struct learn_table *t, uint64_t age_ms)
{
	memset(t, 0, sizeof(*t));
	htab_init(&t->seen, 0, sizeof(uint64_t));
	t->age_ms = age_ms;
}

void learn_table_free(struct learn_table *t)
{
	htab_free(&t->seen);
}

static int binding_key(const struct tenet_lookup *l, char *key, size_t len)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l };

	rec.lookup.type = TENET_LOOKUP_DYNAMIC;
	return tenet_record_key(&rec, key, len);
}

void learn_table_seen(struct learn_table *t, const struct tenet_lookup *l, uint64_t now_ms)
{
	char key[TENET_KEY_MAX];

	if (l->has_ca && binding_key(l, key, sizeof(key)) == 0)
		htab_put(&t->seen, key, &now_ms, NULL);
}

/* This host's PAs, from the model (its few records that are not lookup
 * records: a pass every few seconds must not walk a million). */
static void host_pas(const struct model *m, const char *host, struct htab *pas)
{
	struct htab_iter it;
	struct htab_entry *k, *e;
	char one = 1;

	htab_iter_init(&it, &m->others);
	while ((k = htab_iter_next(&it))) {
		const struct tenet_record *r;

		if (!(e = htab_find(&m->recs, htab_key(k))))
			continue;
		r = model_rec(e);
		if (r->kind == TENET_KIND_PA && !strcmp(r->pa.host, host))
			htab_put(pas, &r->pa.addr.addr, &one, NULL);
	}
}

int learn_table_age(struct learn_table *t, const struct model *m, const char *host,
		    uint64_t now_ms, learn_unlearn_fn unlearn, void *unlearn_arg,
		    learn_report_fn report, void *report_arg)
{
	struct htab pas, next;
	struct htab_iter it;
	struct htab_entry *k, *e;
	int aged = 0;

	htab_init(&pas, sizeof(uint32_t), 1);
	htab_init(&next, 0, sizeof(uint64_t));
	host_pas(m, host, &pas);
	/* The table is rebuilt from the model, so records deleted by anyone
	 * are forgotten here too. Learned records only (m->learned). */
	htab_iter_init(&it, &m->learned);
	while ((k = htab_iter_next(&it))) {
		const struct tenet_record *r;
		struct tenet_err err = { 0 };
		const struct htab_entry *s;
		uint64_t last;
		int ret;

		if (!(e = htab_find(&m->recs, htab_key(k))))
			continue;
		r = model_rec(e);
		if (r->kind != TENET_KIND_LOOKUP || r->lookup.type != TENET_LOOKUP_DYNAMIC ||
		    !htab_find(&pas, &r->lookup.pa))
			continue;
		s = htab_find(&t->seen, htab_key(e));
		last = s ? *(const uint64_t *)htab_val(s) : now_ms;
		if (now_ms - last < t->age_ms) {
			htab_put(&next, htab_key(e), &last, NULL);
			continue;
		}
		ret = unlearn(unlearn_arg, &r->lookup, &err);
		if (ret == -ENOENT || ret == -ESTALE)
			continue;       /* changed under us: not ours to age any more */
		if (ret < 0) {
			/* Retried at the next pass. */
			t->n_failed++;
			htab_put(&next, htab_key(e), &last, NULL);
		} else {
			t->n_aged++;
			aged++;
		}
		if (report)
			report(report_arg, &r->lookup, ret, err.msg);
	}
	htab_free(&t->seen);
	t->seen = next;
	htab_free(&pas);
	return aged;
}

int learn_unlearn_store(void *store, const struct tenet_lookup *l, struct tenet_err *err)
{
	if (!store)
		return tenet_err_set(err, -ENOTCONN, "no store open");
	return tenet_policy_unlearn(store, l, NULL, err);
}

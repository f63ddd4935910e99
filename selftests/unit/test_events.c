// SPDX-License-Identifier: GPL-2.0
/* tenetd's handling of datapath events: rate-limited log lines for ARP
 * misses and MTU problems, learned bindings written back to the store as
 * dynamic lookup records (never over a configured record). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <tenet/drop.h>
#include <tenet/maps.h>

#include "host/events.h"
#include "host/learn.h"
#include "recon/model.h"
#include "policy/policy.h"
#include "kinds/record.h"
#include "store/store.h"
#include "testutil.h"

struct fx {
	char *dir;
	struct tenet_store *s;
	struct ev_handler h;
	char line[512];
};

/* Learned records are validated like any other: they need their subnet. */
static void subnet(struct tenet_store *s)
{
	struct tenet_record rd = { .kind = TENET_KIND_RDOMAIN };
	struct tenet_record vs = { .kind = TENET_KIND_VSUBNET };
	struct tenet_err err = { 0 };

	strcpy(rd.rdomain.name, "Contoso");
	assert_int_equal(tenet_policy_put(s, &rd, 0, NULL, &err), 0);
	vs.vsubnet.vsid = 5001;
	strcpy(vs.vsubnet.rdomain, "Contoso");
	assert_int_equal(tenet_parse_prefix("10.0.0.0/24", &vs.vsubnet.prefix, NULL), 0);
	assert_int_equal(tenet_policy_put(s, &vs, 0, NULL, &err), 0);
}

/* The l2only record the learned MAC (00:15:5d:00:00:05) is taught through. */
static void l2only(struct tenet_store *s, const char *pa)
{
	struct tenet_record r = { .kind = TENET_KIND_LOOKUP };
	struct tenet_err err = { 0 };

	r.lookup.vsid = 5001;
	r.lookup.type = TENET_LOOKUP_L2ONLY;
	assert_int_equal(tenet_parse_mac("00:15:5d:00:00:05", r.lookup.mac, NULL), 0);
	assert_int_equal(tenet_parse_ipv4(pa, &r.lookup.pa, NULL), 0);
	if (tenet_policy_put(s, &r, TENET_POLICY_REPLACE, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static int setup(void **state)
{
	struct tenet_err err = { 0 };
	struct fx *x = calloc(1, sizeof(*x));
	char *path;

	assert_non_null(x);
	x->dir = tu_mkdtemp();
	assert_non_null(x->dir);
	assert_true(asprintf(&path, "%s/store.db", x->dir) > 0);
	assert_int_equal(tenet_store_open(path, &x->s, &err), 0);
	free(path);
	subnet(x->s);
	l2only(x->s, "192.168.4.22");
	ev_handler_init(&x->h, ev_learn_store, x->s);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	tenet_store_close(x->s);
	tu_rmtree(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct tenet_event event(uint16_t type, const char *ca, const char *pa)
{
	struct tenet_event e = { .type = type, .ifindex = 4, .vsid = 5001 };
	static const uint8_t mac[6] = { 0x00, 0x15, 0x5d, 0x00, 0x00, 0x05 };

	e.ip = ca ? ip(ca) : 0;
	e.pa = pa ? ip(pa) : 0;
	memcpy(e.mac, mac, 6);
	return e;
}

static int handle(struct fx *x, const struct tenet_event *e, uint64_t now)
{
	x->line[0] = '\0';
	return ev_handle(&x->h, e, sizeof(*e), now, x->line, sizeof(x->line));
}

/* The stored record under the key a learned 10.0.0.5 in 5001 gets. */
static int stored(struct fx *x, struct tenet_record *rec)
{
	const char *key = "/tenet/v1/global/lookup/00005001/ip/10.0.0.5";
	struct tenet_kv kv = { 0 };
	int ret = tenet_store_get(x->s, key, &kv, NULL);

	if (ret == 0)
		assert_int_equal(tenet_record_decode(kv.key, kv.value, rec, NULL), 0);
	tenet_kv_clear(&kv);
	return ret;
}

static void test_arp_miss_rate_limited(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_ARP_MISS, "10.0.0.99", NULL);
	int logged = 0;

	e.reason = TENET_DROP_ARP_MISS;
	assert_int_equal(handle(x, &e, 1000), 1);
	assert_string_equal(x->line, "arp miss: port ifindex 4 (vsid 5001, mac 00:15:5d:00:00:05) "
				     "asked for 10.0.0.99, which has no lookup record");
	for (int i = 0; i < 100; i++)
		logged += handle(x, &e, 1000 + (uint64_t)i);
	assert_int_equal(logged, 4);    /* a burst of 5 per interval in all */
	assert_int_equal(x->h.n_arp_miss, 101);
	/* The next interval: one line saying how many were suppressed. */
	assert_int_equal(handle(x, &e, 20000), 1);
	assert_non_null(strstr(x->line, "(96 similar suppressed)"));
	assert_int_equal(handle(x, &e, 20001), 1);
	assert_null(strstr(x->line, "suppressed"));
}

static void test_frag_needed(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_FRAG_NEEDED, "192.168.4.22", NULL);

	e.pa = 1500; /* the datapath reports the underlay MTU here, host order */
	assert_int_equal(handle(x, &e, 1), 1);
	assert_non_null(strstr(x->line, "toward pa 192.168.4.22 (underlay mtu 1500)"));
}

static void test_unknown_and_short_events(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(99, NULL, NULL);

	assert_int_equal(handle(x, &e, 1), 0);
	assert_int_equal(ev_handle(&x->h, &e, 4, 1, x->line, sizeof(x->line)), 0);
	assert_int_equal(x->h.n_bad, 2);
}

static void test_learn_writes_dynamic_record(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_LEARN, "10.0.0.5", "192.168.4.22");
	struct tenet_record rec;
	int64_t rev1, rev2;

	assert_int_equal(handle(x, &e, 1), 1);
	assert_string_equal(x->line, "learned: vsid 5001 10.0.0.5 mac 00:15:5d:00:00:05 at pa "
				     "192.168.4.22, stored as a dynamic record");
	assert_int_equal(stored(x, &rec), 0);
	assert_int_equal(rec.kind, TENET_KIND_LOOKUP);
	assert_int_equal(rec.lookup.type, TENET_LOOKUP_DYNAMIC);
	assert_int_equal(rec.lookup.rule, TENET_RULE_ENCAP);
	assert_int_equal(rec.lookup.pa, ip("192.168.4.22"));
	assert_int_equal(rec.lookup.ca, ip("10.0.0.5"));
	assert_int_equal(tenet_store_revision(x->s, &rev1, NULL), 0);

	/* Learned again, same binding: the store is not touched. */
	assert_int_equal(handle(x, &e, 2), 0);
	assert_int_equal(tenet_store_revision(x->s, &rev2, NULL), 0);
	assert_int_equal(rev1, rev2);
	assert_int_equal(x->h.n_learned, 1);

	/* A host that does not hold the MAC cannot teach it. */
	e.pa = ip("192.168.4.33");
	assert_int_equal(handle(x, &e, 3), 1);
	assert_string_equal(x->line, "learned record not stored: mac 00:15:5d:00:00:05: its "
				     "l2only record in vsid 5001 is at pa 192.168.4.22, not "
				     "192.168.4.33; not learned");
	assert_int_equal(x->h.n_learn_refused, 1);
	assert_int_equal(stored(x, &rec), 0);
	assert_int_equal(rec.lookup.pa, ip("192.168.4.22"));

	/* The VM moved (its l2only record with it): the dynamic record
	 * follows. */
	l2only(x->s, "192.168.4.33");
	assert_int_equal(handle(x, &e, 3), 1);
	assert_int_equal(stored(x, &rec), 0);
	assert_int_equal(rec.lookup.pa, ip("192.168.4.33"));
}

static void test_learn_never_overwrites_configured(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_LEARN, "10.0.0.5", "192.168.4.22");
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP };
	struct tenet_err err = { 0 };
	struct tenet_txn *t = tenet_txn_new();
	json_t *j;

	rec.lookup = (struct tenet_lookup){ .vsid = 5001, .has_ca = true, .ca = ip("10.0.0.5"),
					    .pa = ip("192.168.4.11"),
					    .type = TENET_LOOKUP_STATIC };
	memcpy(rec.lookup.mac, e.mac, 6);
	j = tenet_record_to_json(&rec);
	assert_int_equal(tenet_txn_put_json(t, "/tenet/v1/global/lookup/00005001/ip/10.0.0.5", j),
			 0);
	assert_int_equal(tenet_store_commit(x->s, t, NULL, &err), 0);
	tenet_txn_free(t);
	json_decref(j);

	assert_int_equal(handle(x, &e, 1), 0);
	assert_int_equal(stored(x, &rec), 0);
	assert_int_equal(rec.lookup.type, TENET_LOOKUP_STATIC);
	assert_int_equal(rec.lookup.pa, ip("192.168.4.11"));
	assert_int_equal(x->h.n_learned, 0);
}

/* A binding without an IP is not a lookup record the store accepts (only
 * configured l2only records have none): refused, and said so. */
static void test_learn_without_ip_refused(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_LEARN, NULL, "192.168.4.22");
	struct tenet_record rec;
	struct tenet_kv kv = { 0 };

	assert_int_equal(handle(x, &e, 1), 1);
	assert_non_null(strstr(x->line, "learned record not stored: ca: missing"));
	/* The l2only record under the MAC's key is untouched. */
	assert_int_equal(tenet_store_get(x->s, "/tenet/v1/global/lookup/00005001/mac/"
					       "00:15:5d:00:00:05", &kv, NULL), 0);
	assert_int_equal(tenet_record_decode(kv.key, kv.value, &rec, NULL), 0);
	assert_int_equal(rec.lookup.type, TENET_LOOKUP_L2ONLY);
	assert_int_equal(kv.version, 1);
	tenet_kv_clear(&kv);
}

/* Outside its subnet: refused by the policy checks. */
static void test_learn_validated(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_LEARN, "10.9.9.9", "192.168.4.22");

	assert_int_equal(handle(x, &e, 1), 1);
	assert_non_null(strstr(x->line, "learned record not stored: "));
	assert_int_equal(x->h.n_learned, 0);
}

static int fail_learn(void *arg, const struct tenet_lookup *l, struct tenet_err *err)
{
	return tenet_err_set(err, -EBUSY, "store busy");
}

static void test_learn_failure_logged_rate_limited(void **state)
{
	struct fx *x = *state;
	struct tenet_event e = event(TENET_EV_LEARN, "10.0.0.5", "192.168.4.22");
	int logged = 0;

	x->h.learn = fail_learn;
	assert_int_equal(handle(x, &e, 1), 1);
	assert_string_equal(x->line, "learned record not stored: store busy");
	for (int i = 0; i < 20; i++)
		logged += handle(x, &e, 2);
	assert_int_equal(logged, 4);
	assert_int_equal(stored(x, &(struct tenet_record){ 0 }), -ENOENT);
}


/* ---- aging (agent/learn.c) ---- */

static void put_l2only_mac(struct tenet_store *s, const char *mac, const char *pa)
{
	struct tenet_record r = { .kind = TENET_KIND_LOOKUP };
	struct tenet_err err = { 0 };

	r.lookup.vsid = 5001;
	r.lookup.type = TENET_LOOKUP_L2ONLY;
	assert_int_equal(tenet_parse_mac(mac, r.lookup.mac, NULL), 0);
	assert_int_equal(tenet_parse_ipv4(pa, &r.lookup.pa, NULL), 0);
	if (tenet_policy_put(s, &r, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static struct tenet_event learn_ev(const char *ca, uint8_t last, const char *pa)
{
	struct tenet_event e = event(TENET_EV_LEARN, ca, pa);

	e.mac[5] = last;
	return e;
}

static void reload(struct fx *x, struct model *m)
{
	struct tenet_kv_list l = { 0 };

	assert_int_equal(tenet_store_range(x->s, TENET_KEY_ROOT, &l, NULL), 0);
	model_load(m, &l, NULL, NULL);
	tenet_kv_list_free(&l);
}

struct aged_log {
	int n;
	char last[64];
};

static void aged_cb(void *arg, const struct tenet_lookup *l, int ret, const char *msg)
{
	struct aged_log *a = arg;

	assert_int_equal(ret, 0);
	tenet_fmt_ipv4(l->ca, a->last);
	a->n++;
}

static int present(struct fx *x, const char *ca)
{
	char key[128];
	struct tenet_kv kv = { 0 };
	int ret;

	snprintf(key, sizeof(key), "/tenet/v1/global/lookup/00005001/ip/%s", ca);
	ret = tenet_store_get(x->s, key, &kv, NULL);
	tenet_kv_clear(&kv);
	return ret == 0;
}

/* The host holding a binding's PA ages it when the datapath stops
 * reporting it; bindings of other hosts' PAs are theirs to age. */
static void test_aging(void **state)
{
	struct fx *x = *state;
	struct tenet_record pa = { .kind = TENET_KIND_PA };
	struct tenet_event e5 = learn_ev("10.0.0.5", 0x05, "192.168.4.22");
	struct tenet_event e6 = learn_ev("10.0.0.6", 0x06, "192.168.4.22");
	struct tenet_event e7 = learn_ev("10.0.0.7", 0x07, "192.168.4.11");
	struct tenet_err err = { 0 };
	struct learn_table lt;
	struct aged_log log = { 0 };
	struct model m;

	strcpy(pa.pa.host, "h2");
	strcpy(pa.pa.dev, "ul0");
	assert_int_equal(tenet_parse_ipv4("192.168.4.22", &pa.pa.addr.addr, NULL), 0);
	pa.pa.addr.len = 24;
	if (tenet_policy_put(x->s, &pa, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	put_l2only_mac(x->s, "00:15:5d:00:00:06", "192.168.4.22");
	put_l2only_mac(x->s, "00:15:5d:00:00:07", "192.168.4.11");
	learn_table_init(&lt, 60000);
	x->h.seen = &lt;
	assert_int_equal(handle(x, &e5, 1000), 1);
	assert_int_equal(handle(x, &e6, 1000), 1);
	assert_int_equal(handle(x, &e7, 1000), 1);
	model_init(&m);
	reload(x, &m);

	assert_int_equal(learn_table_age(&lt, &m, "h2", 2000, learn_unlearn_store, x->s, aged_cb,
					 &log), 0);
	/* 10.0.0.5 is reported again (a refresh: the store is not written). */
	assert_int_equal(handle(x, &e5, 30000), 0);
	assert_int_equal(learn_table_age(&lt, &m, "h2", 60999, learn_unlearn_store, x->s, aged_cb,
					 &log), 0);
	assert_int_equal(learn_table_age(&lt, &m, "h2", 61000, learn_unlearn_store, x->s, aged_cb,
					 &log), 1);
	assert_string_equal(log.last, "10.0.0.6");
	assert_false(present(x, "10.0.0.6"));
	assert_true(present(x, "10.0.0.5"));
	reload(x, &m);
	assert_int_equal(learn_table_age(&lt, &m, "h2", 90000, learn_unlearn_store, x->s, aged_cb,
					 &log), 1);
	assert_string_equal(log.last, "10.0.0.5");
	assert_false(present(x, "10.0.0.5"));
	/* Host h2 never ages 10.0.0.7: its PA is another host's. */
	reload(x, &m);
	assert_int_equal(learn_table_age(&lt, &m, "h2", 1000000, learn_unlearn_store, x->s,
					 aged_cb, &log), 0);
	assert_true(present(x, "10.0.0.7"));
	assert_int_equal(lt.n_aged, 2);

	/* A restarted agent gives the records it finds a full age first. */
	learn_table_free(&lt);
	learn_table_init(&lt, 60000);
	assert_int_equal(learn_table_age(&lt, &m, "h1", 5000000, learn_unlearn_store, x->s,
					 aged_cb, &log), 0);
	assert_int_equal(learn_table_age(&lt, &m, "h1", 5059999, learn_unlearn_store, x->s,
					 aged_cb, &log), 0);
	/* h1 holds no PA at all here: nothing is its to age. */
	assert_true(present(x, "10.0.0.7"));
	model_free(&m);
	learn_table_free(&lt);
	x->h.seen = NULL;
}

/* Aging only removes the binding it aged: relearned or configured in the
 * meantime, the record stays. */
static void test_aging_races(void **state)
{
	struct fx *x = *state;
	struct tenet_record pa = { .kind = TENET_KIND_PA };
	struct tenet_event e5 = learn_ev("10.0.0.5", 0x05, "192.168.4.22");
	struct tenet_err err = { 0 };
	struct learn_table lt;
	struct aged_log log = { 0 };
	struct model m;
	struct tenet_record rec;

	strcpy(pa.pa.host, "h2");
	strcpy(pa.pa.dev, "ul0");
	assert_int_equal(tenet_parse_ipv4("192.168.4.22", &pa.pa.addr.addr, NULL), 0);
	pa.pa.addr.len = 24;
	if (tenet_policy_put(x->s, &pa, 0, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	learn_table_init(&lt, 60000);
	x->h.seen = &lt;
	assert_int_equal(handle(x, &e5, 1000), 1);
	model_init(&m);
	reload(x, &m);      /* the model the aging pass will look at */
	/* Meanwhile the VM moved and was relearned at another PA. */
	l2only(x->s, "192.168.4.33");
	e5.pa = ip("192.168.4.33");
	assert_int_equal(handle(x, &e5, 2000), 1);
	assert_int_equal(learn_table_age(&lt, &m, "h2", 100000, learn_unlearn_store, x->s,
					 aged_cb, &log), 0);
	assert_int_equal(log.n, 0);
	assert_int_equal(stored(x, &rec), 0);
	assert_int_equal(rec.lookup.pa, ip("192.168.4.33"));
	model_free(&m);
	learn_table_free(&lt);
	x->h.seen = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_miss_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frag_needed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_short_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_writes_dynamic_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging_races, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_never_overwrites_configured, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_learn_without_ip_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_failure_logged_rate_limited, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}

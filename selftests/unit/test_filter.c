// SPDX-License-Identifier: GPL-2.0
/* Static IP filters (lib/kinds/filter.c, cli/filter.c, agent/gw/filter*.c):
 * the parsers, the validated writes on a real store (each refusal one
 * line, the store unchanged), the deletes that take filters along, the
 * CLI, the exact nftables text of the seed's three examples, and the
 * reconciler on a fake kernel (one apply per change, nothing for an
 * unchanged store, the table removed with the last filter). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "gw/filter.h"
#include "kinds/record.h"
#include "policy/policy.h"
#include "recon/model.h"
#include "recon/recon.h"
#include "testutil.h"
#include "gw_store_fixture.h"

/* ---- parsers ---- */

static void test_parsers(void **state)
{
	struct tenet_filter f = { 0 };
	struct tenet_err err = { 0 };
	uint16_t p;
	char buf[8];

	(void)state;
	assert_int_equal(tenet_filter_proto_parse("tcp", &p, NULL), 0);
	assert_int_equal(p, 6);
	assert_int_equal(tenet_filter_proto_parse("icmp", &p, NULL), 0);
	assert_int_equal(p, 1);
	assert_int_equal(tenet_filter_proto_parse("47", &p, NULL), 0);
	assert_string_equal(tenet_filter_proto_name(p, buf), "47");
	assert_int_equal(tenet_filter_proto_parse("0", &p, &err), -EINVAL);
	assert_string_equal(err.msg, "not a protocol (tcp, udp, icmp, 1..255)");
	assert_int_equal(tenet_filter_proto_parse("sctpx", &p, &err), -EINVAL);

	assert_int_equal(tenet_filter_icmp_parse("8:0", &f, NULL), 0);
	assert_true(f.has_icmp_type && f.has_icmp_code);
	assert_int_equal(f.icmp_type, 8);
	assert_int_equal(f.icmp_code, 0);
	memset(&f, 0, sizeof(f));
	assert_int_equal(tenet_filter_icmp_parse("3", &f, NULL), 0);
	assert_true(f.has_icmp_type && !f.has_icmp_code);
	assert_int_equal(tenet_filter_icmp_parse("256", &f, &err), -EINVAL);
	assert_string_equal(err.msg, "type 256: not 0..255");
	assert_int_equal(tenet_filter_icmp_parse("8:x", &f, &err), -EINVAL);
	assert_string_equal(err.msg, "code x: not 0..255");
}

static size_t count(struct fx *f, enum tenet_kind kind)
{
	struct tenet_record_list l;
	size_t n;

	assert_int_equal(tenet_policy_list(f->s, kind, "gw", &l, NULL), 0);
	n = l.n;
	tenet_record_list_free(&l);
	return n;
}

/* ---- the seed's examples through the CLI ---- */

static const char example1[] =
	"filter mode internal Contoso dir out allow-list\n"
	"filter add internal Contoso dir out action allow src 10.0.0.0/24 dst 10.1.0.0/24\n"
	"filter add internal Contoso dir out action allow proto icmp\n";
static const char example2[] =
	"filter mode internal Contoso dir in allow-list\n"
	"filter add internal Contoso dir in action allow dst 10.0.0.0/24 proto tcp dport 443\n"
	"filter add internal Contoso dir in action allow proto icmp icmp 8:0\n";
static const char example3[] =
	"filter add internal Contoso dir out action deny src 10.0.0.0/24 dst 10.1.0.0/24 "
	"proto tcp sport 1234 dport 4321\n";

static void apply_lines(struct fx *f, const char *text)
{
	char *copy = strdup(text), *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		ok(f, l, NULL);
	free(copy);
}

static void test_cli(void **state)
{
	struct fx *f = *state;

	ok(f, "filter add internal Contoso dir out action allow src 10.0.0.0/24 dst 10.1.0.0/24",
	   "filter 1\n");
	ok(f, "filter add interface IfWe1 dir in action deny proto udp dport 1000-2000",
	   "filter 2\n");
	ok(f, "filter mode internal Contoso dir out allow-list", "");
	ok(f, "filter show",
	   "internal Contoso dir out allow-list\n"
	   "filter 1 internal Contoso dir out allow src 10.0.0.0/24 dst 10.1.0.0/24\n"
	   "filter 2 interface IfWe1 dir in deny src any dst any proto udp dport 1000-2000\n");
	ok(f, "filter show interface IfWe1",
	   "filter 2 interface IfWe1 dir in deny src any dst any proto udp dport 1000-2000\n");
	ok(f, "-j filter show internal Contoso",
	   "{\"modes\":[{\"on\":\"internal\",\"interface\":\"Contoso\",\"dir\":\"out\","
	   "\"mode\":\"allow-list\"}],\"filters\":[{\"id\":1,\"on\":\"internal\","
	   "\"interface\":\"Contoso\",\"dir\":\"out\",\"action\":\"allow\","
	   "\"src\":\"10.0.0.0/24\",\"dst\":\"10.1.0.0/24\"}]}\n");
	/* deny-list is the default: setting it removes the mode's record. */
	ok(f, "filter mode internal Contoso dir out deny-list", "");
	assert_int_equal(count(f, TENET_KIND_FILTERMODE), 0);
	ok(f, "filter del 1", "");
	assert_int_equal(count(f, TENET_KIND_FILTER), 1);
	/* Ids are not reused while a higher one exists. */
	ok(f, "filter add internal Contoso dir in action allow proto icmp icmp 8", "filter 3\n");
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;

	refused(f, 1, "tenet: interface IfXx9: no S2S interface on host gw\n",
		"filter add interface IfXx9 dir in action deny");
	refused(f, 1, "tenet: internal Fabrikam: no compartment on host gw\n",
		"filter add internal Fabrikam dir in action deny");
	refused(f, 1, "tenet: ports: only with proto tcp or udp (not icmp)\n",
		"filter add internal Contoso dir in action deny proto icmp dport 80");
	refused(f, 1, "tenet: ports: only with proto tcp or udp (not any)\n",
		"filter add internal Contoso dir in action deny sport 80");
	refused(f, 1, "tenet: icmp: only with proto icmp (not tcp)\n",
		"filter add internal Contoso dir in action deny proto tcp icmp 8:0");
	refused(f, 2, "tenet: dport '4321-1234': range ends before it starts\n",
		"filter add internal Contoso dir in action deny proto tcp dport 4321-1234");
	refused(f, 2, "tenet: dir 'up': not a direction (in, out)\n",
		"filter add internal Contoso dir up action deny");
	refused(f, 2, "tenet: action 'permit': not an action (allow, deny)\n",
		"filter add internal Contoso dir in action permit");
	refused(f, 2, "tenet: give one of 'interface' and 'internal'\n",
		"filter add internal Contoso interface IfCe1 dir in action deny");
	refused(f, 2, "tenet: give one of 'allow-list' and 'deny-list'\n",
		"filter mode internal Contoso dir in");
	refused(f, 1, "tenet: interface IfXx9: no S2S interface on host gw\n",
		"filter mode interface IfXx9 dir in allow-list");
	refused(f, 1, "tenet: filter 9: no such filter on host gw\n", "filter del 9");
	assert_int_equal(count(f, TENET_KIND_FILTER), 0);
}

/* An inverted range written past the CLI (JSON, another client) is
 * refused by the record's own check. */
static void test_rules(void **state)
{
	struct fx *f = *state;
	struct tenet_record r = { .kind = TENET_KIND_FILTER };
	struct tenet_err err = { 0 };

	strcpy(r.filter.host, "gw");
	strcpy(r.filter.iface, "IfCe1");
	r.filter.proto = 6;
	r.filter.sport_min = 2000;
	r.filter.sport_max = 1000;
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -ERANGE);
	assert_string_equal(err.msg, "sport 2000-1000: range ends before it starts");
	r.filter.sport_max = 0;
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "sport: a range needs both ends");
	r.filter.sport_min = 0;
	r.filter.has_icmp_code = true;
	r.filter.proto = 1;
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "icmp code: needs a type");
	assert_int_equal(count(f, TENET_KIND_FILTER), 0);
}

/* Deleting an interface or a tenant takes its filters and modes; the
 * other tenant's stay. */
static void test_deletes(void **state)
{
	struct fx *f = *state;
	struct tenet_record_list l;

	ok(f, "filter add interface IfCe1 dir in action deny proto tcp dport 22", NULL);
	ok(f, "filter mode interface IfCe1 dir out allow-list", NULL);
	ok(f, "filter add internal Contoso dir in action deny proto tcp dport 22", NULL);
	ok(f, "filter mode internal Contoso dir in allow-list", NULL);
	ok(f, "filter add interface IfWe1 dir in action deny proto tcp dport 22", NULL);
	ok(f, "filter add internal Woodgrove dir in action deny proto tcp dport 22", NULL);
	ok(f, "s2s del IfCe1", NULL);
	assert_int_equal(count(f, TENET_KIND_FILTER), 3);
	assert_int_equal(count(f, TENET_KIND_FILTERMODE), 1);
	ok(f, "compartment del Contoso", NULL);
	assert_int_equal(count(f, TENET_KIND_FILTERMODE), 0);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_FILTER, "gw", &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.recs[0].filter.iface, "IfWe1");
	assert_string_equal(l.recs[1].filter.iface, "Woodgrove");
	tenet_record_list_free(&l);
	/* The interface's ids are gone with it, the counters' names too. */
	ok(f, "compartment del Woodgrove", NULL);
	assert_int_equal(count(f, TENET_KIND_FILTER), 0);
}

/* ---- the agent's side: text and reconciler ---- */

static void load_model(struct fx *f, struct model *m)
{
	struct tenet_kv_list l = { 0 };

	assert_int_equal(tenet_store_range(f->s, TENET_KEY_ROOT, &l, NULL), 0);
	model_load(m, &l, NULL, NULL);
	tenet_kv_list_free(&l);
}

static char notes[1024];

static void note_cb(void *arg, const char *key, const char *msg)
{
	(void)arg;
	snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s: %s\n", key, msg);
}

static const struct recon_env env = { .host = "gw", .note = note_cb };

/* The whole text the kernel gets for the store's filters (stale deletes
 * aside: they come from the kernel). */
static char *text_of(struct fx *f)
{
	struct filter_set s;
	struct filter_text t;
	struct model m;
	char *all;

	model_init(&m);
	load_model(f, &m);
	assert_int_equal(filter_collect(&s, &m, &env), 0);
	assert_int_equal(filter_render(s.c, s.n, &t), 0);
	assert_true(asprintf(&all, "%s%s", t.head, t.body) > 0);
	filter_text_free(&t);
	filter_set_free(&s);
	model_free(&m);
	return all;
}

static const char head_start[] =
	"table ip tenet_filter {\n"
	"\tmap in_ifs {\n\t\ttype ifname : verdict\n\t}\n"
	"\tmap out_ifs {\n\t\ttype ifname : verdict\n\t}\n";
static const char base_chains[] =
	"\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n"
	"\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n"
	"\tchain postrouting {\n\t\ttype filter hook postrouting priority filter; policy accept;\n\t}\n"
	"}\n"
	"flush table ip tenet_filter\n"
	"flush map ip tenet_filter in_ifs\n"
	"flush map ip tenet_filter out_ifs\n"
	"add rule ip tenet_filter input meta sdifname vmap @out_ifs\n"
	"add rule ip tenet_filter forward meta sdifname vmap @out_ifs\n"
	"add rule ip tenet_filter postrouting oifname vmap @in_ifs\n";

static void text_is(struct fx *f, const char *objects, const char *rules)
{
	char *got = text_of(f), *want;

	assert_true(asprintf(&want, "%s%s%s%s", head_start, objects, base_chains, rules) > 0);
	if (strcmp(got, want))
		fail_msg("got:\n%s\nwant:\n%s", got, want);
	free(got);
	free(want);
}

/* Contoso's compartment is tgi1, its S2S interface ts1 (ids by order of
 * creation); Woodgrove, with the same addresses, has no filter. */
static void test_seed_examples(void **state)
{
	struct fx *f = *state;

	apply_lines(f, example1);
	text_is(f,
		"\tcounter f1_f1fdc4ab {\n\t}\n"
		"\tcounter f2_149c7de1 {\n\t}\n"
		"\tchain out_tgi1 {\n\t}\n",
		"add rule ip tenet_filter out_tgi1 ip saddr 10.0.0.0/24 ip daddr 10.1.0.0/24 "
		"counter name \"f1_f1fdc4ab\" accept\n"
		"add rule ip tenet_filter out_tgi1 meta l4proto icmp counter name \"f2_149c7de1\" accept\n"
		"add rule ip tenet_filter out_tgi1 drop\n"
		"add element ip tenet_filter out_ifs { \"tgi1\" : jump out_tgi1 }\n");
	ok(f, "filter del 1", NULL);
	ok(f, "filter del 2", NULL);
	ok(f, "filter mode internal Contoso dir out deny-list", NULL);

	apply_lines(f, example2);
	text_is(f,
		"\tcounter f1_d59963ed {\n\t}\n"
		"\tcounter f2_ce685658 {\n\t}\n"
		"\tchain in_tgi1 {\n\t}\n",
		"add rule ip tenet_filter in_tgi1 ip daddr 10.0.0.0/24 tcp dport 443 "
		"counter name \"f1_d59963ed\" accept\n"
		"add rule ip tenet_filter in_tgi1 icmp type 8 icmp code 0 counter name \"f2_ce685658\" accept\n"
		"add rule ip tenet_filter in_tgi1 drop\n"
		"add element ip tenet_filter in_ifs { \"tgi1\" : jump in_tgi1 }\n");

	/* Example 3 on top of example 2: two chains of one interface. */
	apply_lines(f, example3);
	text_is(f,
		"\tcounter f1_d59963ed {\n\t}\n"
		"\tcounter f2_ce685658 {\n\t}\n"
		"\tcounter f3_daacc278 {\n\t}\n"
		"\tchain in_tgi1 {\n\t}\n"
		"\tchain out_tgi1 {\n\t}\n",
		"add rule ip tenet_filter in_tgi1 ip daddr 10.0.0.0/24 tcp dport 443 "
		"counter name \"f1_d59963ed\" accept\n"
		"add rule ip tenet_filter in_tgi1 icmp type 8 icmp code 0 counter name \"f2_ce685658\" accept\n"
		"add rule ip tenet_filter in_tgi1 drop\n"
		"add rule ip tenet_filter out_tgi1 ip saddr 10.0.0.0/24 ip daddr 10.1.0.0/24 "
		"tcp sport 1234 tcp dport 4321 counter name \"f3_daacc278\" drop\n"
		"add element ip tenet_filter in_ifs { \"tgi1\" : jump in_tgi1 }\n"
		"add element ip tenet_filter out_ifs { \"tgi1\" : jump out_tgi1 }\n");

	/* An S2S interface's chain is its XFRM interface's; an allow-list
	 * without filters drops everything. */
	ok(f, "filter mode interface IfWe1 dir out allow-list", NULL);
	ok(f, "filter add interface IfWe1 dir out action allow proto 47", NULL);
	{
		char *got = text_of(f);

		const char *want = "add rule ip tenet_filter out_ts2 meta l4proto 47 "
				   "counter name \"f4_3e868297\" accept\n"
				   "add rule ip tenet_filter out_ts2 drop\n"
				   "add element ip tenet_filter in_ifs { \"tgi1\" : jump in_tgi1 }\n"
				   "add element ip tenet_filter out_ifs { \"tgi1\" : jump out_tgi1 }\n"
				   "add element ip tenet_filter out_ifs { \"ts2\" : jump out_ts2 }\n";

		if (!strstr(got, want))
			fail_msg("got:\n%s\nwant in it:\n%s", got, want);
		free(got);
	}
}

/* A fake kernel: what was applied. */
struct fk {
	struct filter_ops ops;
	int applies, removes;
	bool present;
	char names[512];
};

static int fk_apply(void *ctx, const struct filter_text *t, char *err, size_t errlen)
{
	struct fk *k = ctx;

	if (!t) {
		k->removes++;
		k->present = false;
		return 0;
	}
	k->applies++;
	k->present = true;
	snprintf(k->names, sizeof(k->names), "%s", t->names);
	return 0;
}

static int fk_present(void *ctx)
{
	return ((struct fk *)ctx)->present;
}

static void test_reconciler(void **state)
{
	struct fx *f = *state;
	struct fk k = { 0 };
	struct recon rc;
	struct model m;

	k.ops = (struct filter_ops){ .ctx = &k, .apply = fk_apply, .present = fk_present };
	recon_init(&rc, &gw_filter_reconciler, &k.ops);
	model_init(&m);
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(k.applies + k.removes, 0);     /* no filter: no table */

	apply_lines(f, example1);
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(k.applies, 1);
	assert_string_equal(k.names, "\ncounter f1_f1fdc4ab\ncounter f2_149c7de1\nchain out_tgi1\n"
				     "chain input\nchain forward\nchain postrouting\n");
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(k.applies, 1);                 /* unchanged: nothing */

	/* One change, one transaction. */
	ok(f, "filter del 2", NULL);
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(k.applies, 2);
	assert_null(strstr(k.names, "counter f2_"));

	/* A filter of an interface the model lacks is noted, not programmed. */
	notes[0] = '\0';
	ok(f, "filter add interface IfWe1 dir in action deny proto tcp", NULL);
	{
		struct tenet_kv_list l = { 0 };

		assert_int_equal(tenet_store_range(f->s, TENET_KEY_ROOT, &l, NULL), 0);
		model_load(&m, &l, NULL, NULL);
		tenet_kv_list_free(&l);
		assert_int_equal(model_delete(&m, "/tenet/v1/host/gw/s2s/IfWe1"), 1);
	}
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	/* Id 2 again (the highest was deleted): another counter name. */
	assert_string_equal(notes, "/tenet/v1/host/gw/filter/00000002: interface IfWe1: no such "
				   "interface; filter not programmed\n");
	assert_int_equal(k.applies, 2);

	/* The last filter's delete removes the table. */
	ok(f, "filter del 1", NULL);
	ok(f, "filter del 2", NULL);
	ok(f, "filter mode internal Contoso dir out deny-list", NULL);
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(k.removes, 1);
	assert_false(k.present);
	recon_fini(&rc);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_examples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconciler, setup, teardown),
	};

	return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* Rate limits (lib/kinds/rate.c, the S2S and compartment records, cli/
 * s2s.c, cli/gw.c and cli/ravpn.c, agent/gw/rate.c): parsing and printing, the codec
 * (old records without a limit get the default), the CLI's set and show
 * and its refusals (one line, nothing stored), the tc parameters, and the
 * reconciler on a fake kernel (the default on every S2S interface, a
 * change is one put, an unchanged store writes nothing, lifted limits and
 * deleted interfaces are removed, an earlier agent's objects adopted). */
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
#include "gw/rate.h"
#include "kinds/record.h"
#include "policy/policy.h"
#include "recon/model.h"
#include "recon/recon.h"
#include "testutil.h"
#include "gw_store_fixture.h"

/* ---- parsing and printing ---- */

static int parse(const char *words, const struct tenet_rate *cur, uint32_t def,
		 struct tenet_rate *out, struct tenet_err *err)
{
	char *copy = strdup(words), *argv[16], *save = NULL;
	int argc = 0, i = 0, ret;

	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	ret = tenet_rate_parse(argc, argv, &i, cur, def, out, err);
	free(copy);
	return ret;
}

static void test_parse(void **state)
{
	struct tenet_rate r, cur = { .set = true, .tx = 100, .rx = 200 };
	struct tenet_err err = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(parse("tx 1024 rx 2048", NULL, 5120, &r, NULL), 0);
	assert_true(r.set && r.tx == 1024 && r.rx == 2048);
	/* one direction keeps the other's limit in force (the default) */
	assert_int_equal(parse("rx 64", NULL, 5120, &r, NULL), 0);
	assert_true(r.set && r.tx == 5120 && r.rx == 64);
	assert_int_equal(parse("tx none", &cur, 5120, &r, NULL), 0);
	assert_true(r.set && r.tx == 0 && r.rx == 200);
	assert_int_equal(parse("none", &cur, 5120, &r, NULL), 0);
	assert_true(r.set && !r.tx && !r.rx);
	assert_int_equal(parse("default", &cur, 5120, &r, NULL), 0);
	assert_false(r.set);
	assert_int_equal(parse("fast", NULL, 5120, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "rate 'fast': not tx KBPS, rx KBPS, none or default");
	assert_int_equal(parse("tx 7", NULL, 5120, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "rate tx '7': not a rate in kbit/s (8..10000000) or none");
	assert_int_equal(parse("tx 1 rx", NULL, 5120, &r, &err), -EINVAL);
	assert_int_equal(parse("tx 10 rx", NULL, 5120, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "rate rx: needs a value (KBPS or none)");
	assert_int_equal(parse("tx 10 tx 20", NULL, 5120, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "rate tx: given twice");
	assert_int_equal(parse("", NULL, 5120, &r, &err), -EINVAL);

	r = tenet_rate_eff(&(struct tenet_rate){ 0 }, 5120);
	assert_string_equal(tenet_rate_fmt(&r, buf, sizeof(buf)), "tx 5120 rx 5120");
	r = (struct tenet_rate){ .set = true, .tx = 0, .rx = 1024 };
	assert_string_equal(tenet_rate_fmt(&r, buf, sizeof(buf)), "tx none rx 1024");
	r = (struct tenet_rate){ .set = true };
	assert_string_equal(tenet_rate_fmt(&r, buf, sizeof(buf)), "none");
}

/* A record written before rates existed has no "rate": the default. */
static void test_codec(void **state)
{
	struct tenet_record r, back;
	struct tenet_err err = { 0 };
	json_t *j;
	char buf[64];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.kind = TENET_KIND_S2S;
	strcpy(r.s2s.host, "gw");
	strcpy(r.s2s.name, "IfCe1");
	strcpy(r.s2s.rdomain, "Contoso");
	r.s2s.id = 1;
	strcpy(r.s2s.destination, "ny.example");
	r.s2s.auth = TENET_S2S_CERT;
	strcpy(r.s2s.peer, "CN=ny");
	r.s2s.dpd = 10;
	r.s2s.retry = 30;
	j = tenet_record_to_json(&r);
	assert_null(json_object_get(j, "rate"));        /* not set: not written */
	assert_int_equal(tenet_record_from_json(TENET_KIND_S2S, j, &back, &err), 0);
	assert_false(back.s2s.rate.set);
	back.s2s.rate = tenet_rate_eff(&back.s2s.rate, TENET_RATE_S2S_DEFAULT_KBPS);
	assert_int_equal(back.s2s.rate.tx, 5120);
	assert_int_equal(back.s2s.rate.rx, 5120);
	json_decref(j);

	r.s2s.rate = (struct tenet_rate){ .set = true };        /* none */
	j = tenet_record_to_json(&r);
	assert_non_null(json_object_get(j, "rate"));
	assert_int_equal(tenet_record_from_json(TENET_KIND_S2S, j, &back, &err), 0);
	assert_true(back.s2s.rate.set && !back.s2s.rate.tx && !back.s2s.rate.rx);
	json_decref(j);

	j = tenet_record_to_json(&r);
	json_object_set_new(j, "rate", json_pack("{s:i, s:i}", "tx", 20000000, "rx", 0));
	assert_int_equal(tenet_record_from_json(TENET_KIND_S2S, j, &back, &err), -ERANGE);
	assert_string_equal(err.msg, "rate: tx: outside 0..10000000");
	json_object_set_new(j, "rate", json_pack("{s:i, s:i}", "tx", 4, "rx", 0));
	assert_true(tenet_record_from_json(TENET_KIND_S2S, j, &back, &err) < 0);
	assert_string_equal(err.msg, "rate: tx: below 8 kbit/s");
	json_decref(j);

	j = tenet_rate_show_json(&(struct tenet_rate){ 0 }, 5120);
	assert_string_equal(tenet_rate_show_text(j, buf, sizeof(buf)), "tx 5120 rx 5120 (default)");
	json_decref(j);
}

static void test_params(void **state)
{
	struct rate_val v;

	(void)state;
	rate_params(5120, true, &v);            /* 640,000 bytes/s */
	assert_int_equal(v.kbps, 5120);
	assert_int_equal(v.burst, 32000);       /* 50 ms */
	assert_int_equal(v.limit, 32000 + 128000);
	rate_params(1024, true, &v);
	assert_int_equal(v.burst, 12000);       /* 8 packets */
	assert_int_equal(v.limit, 12000 + 32000);
	rate_params(20000, true, &v);
	assert_int_equal(v.burst, 125000);      /* 50 ms */
	assert_int_equal(v.limit, 125000 + 500000);
	rate_params(1024, false, &v);
	assert_int_equal(v.burst, 65536);       /* a GRO packet */
	rate_params(5120, false, &v);
	assert_int_equal(v.burst, 160000);      /* 250 ms */
}

static void store_has(struct fx *f, const char *key, const char *needle, bool want)
{
	struct tenet_kv_list l = { 0 };
	bool found = false;

	assert_int_equal(tenet_store_range(f->s, key, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	found = strstr(l.kvs[0].value, needle) != NULL;
	if (found != want)
		fail_msg("%s: %s %s in %s", key, needle, want ? "missing" : "present", l.kvs[0].value);
	tenet_kv_list_free(&l);
}

static void test_cli(void **state)
{
	struct fx *f = *state;
	json_t *j, *rate;

	ok(f, "s2s set IfCe1 rate tx 1024 rx 2048", "");
	store_has(f, "/tenet/v1/host/gw/s2s/IfCe1", "\"rate\":{\"rx\":2048,\"tx\":1024}", true);
	ok(f, "s2s set IfCe1 rate rx none", "");
	store_has(f, "/tenet/v1/host/gw/s2s/IfCe1", "\"rate\":{\"rx\":0,\"tx\":1024}", true);
	assert_int_equal(run(f, "-j s2s show IfCe1 vici /nonexistent"), 0);
	j = json_loads(f->out, 0, NULL);
	rate = json_object_get(json_array_get(j, 0), "rate");
	assert_int_equal(json_integer_value(json_object_get(rate, "tx")), 1024);
	assert_int_equal(json_integer_value(json_object_get(rate, "rx")), 0);
	assert_true(json_is_false(json_object_get(rate, "default")));
	json_decref(j);
	assert_int_equal(run(f, "s2s show IfCe1 vici /nonexistent"), 0);
	assert_non_null(strstr(f->out, "\n    rate tx 1024 rx none\n"));
	ok(f, "s2s set IfCe1 rate default", "");
	store_has(f, "/tenet/v1/host/gw/s2s/IfCe1", "\"rate\"", false);
	assert_int_equal(run(f, "s2s show IfWe1 vici /nonexistent"), 0);
	assert_non_null(strstr(f->out, "\n    rate tx 5120 rx 5120 (default)\n"));

	ok(f, "compartment set Contoso rate internal tx 2048 rx 4096", "");
	store_has(f, "/tenet/v1/host/gw/compartment/Contoso",
		  "\"rate_internal\":{\"rx\":4096,\"tx\":2048}", true);
	ok(f, "compartment show Contoso",
	   "Contoso rdomain Contoso vsid 5999 address 10.0.254.2/24 mac 02:54:4e:b0:ed:63 host gw\n"
	   "Contoso rate internal tx 2048 rx 4096 host gw\n");
	ok(f, "compartment set Contoso rate internal none", "");
	store_has(f, "/tenet/v1/host/gw/compartment/Contoso",
		  "\"rate_internal\":{\"rx\":0,\"tx\":0}", true);
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;

	refused(f, 2, "tenet: rate tx 'fast': not a rate in kbit/s (8..10000000) or none\n",
		"s2s set IfCe1 rate tx fast");
	refused(f, 2, "tenet: rate: needs a value (tx KBPS rx KBPS, none or default)\n",
		"s2s set IfCe1 rate");
	refused(f, 2, "tenet: rate rx '0': not a rate in kbit/s (8..10000000) or none\n",
		"s2s set IfCe1 rate rx 0");
	refused(f, 1, "tenet: s2s IfNope: no such interface on host gw\n", "s2s set IfNope rate none");
	refused(f, 1, "tenet: compartment Contoso: has no external interface\n",
		"compartment set Contoso rate external tx 1024 rx 1024");
	refused(f, 2, "tenet: compartment set: 'rate' needs internal or external, then tx KBPS rx KBPS, "
		"none or default\n", "compartment set Contoso rate tx 1024");
	refused(f, 2, "tenet: compartment set: unknown argument 'extra'\n",
		"compartment set Contoso rate internal none extra");
}

/* ---- the reconciler on a fake kernel ---- */

struct fk {
	struct rate_ops ops;
	struct rate_seen dev[8];
	size_t n;
	int puts, dels;
};

static struct rate_seen *fk_dev(struct fk *k, const char *dev, bool make)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->dev[i].dev, dev))
			return &k->dev[i];
	if (!make)
		return NULL;
	assert_true(k->n < 8);
	memset(&k->dev[k->n], 0, sizeof(k->dev[0]));
	snprintf(k->dev[k->n].dev, IF_NAMESIZE, "%s", dev);
	return &k->dev[k->n++];
}

static int fk_tx_set(void *ctx, const char *dev, const struct rate_val *v)
{
	struct rate_seen *s = fk_dev(ctx, dev, true);

	((struct fk *)ctx)->puts++;
	s->tx = true;
	s->tx_kbps = v->kbps;
	return 0;
}

static int fk_rx_set(void *ctx, const char *dev, const struct rate_val *v)
{
	struct rate_seen *s = fk_dev(ctx, dev, true);

	((struct fk *)ctx)->puts++;
	s->rx = true;
	s->rx_kbps = v->kbps;
	return 0;
}

static int fk_del(void *ctx, const char *dev, bool tx)
{
	struct rate_seen *s = fk_dev(ctx, dev, false);

	((struct fk *)ctx)->dels++;
	if (!s || !(tx ? s->tx : s->rx))
		return -ENOENT;
	if (tx)
		s->tx = false;
	else
		s->rx = false;
	return 0;
}

static int fk_tx_del(void *ctx, const char *dev)
{
	return fk_del(ctx, dev, true);
}

static int fk_rx_del(void *ctx, const char *dev)
{
	return fk_del(ctx, dev, false);
}

static int fk_dump(void *ctx, const char (*also)[IF_NAMESIZE], size_t n_also,
		   struct rate_seen **out, size_t *n)
{
	struct fk *k = ctx;
	size_t j = 0;

	*out = calloc(8, sizeof(**out));
	for (size_t i = 0; i < k->n; i++)
		if (k->dev[i].tx || k->dev[i].rx)
			(*out)[j++] = k->dev[i];
	*n = j;
	return 0;
}

static void load_model(struct fx *f, struct model *m)
{
	struct tenet_kv_list l = { 0 };

	assert_int_equal(tenet_store_range(f->s, TENET_KEY_ROOT, &l, NULL), 0);
	model_load(m, &l, NULL, NULL);
	tenet_kv_list_free(&l);
}

static const struct recon_env env = { .host = "gw" };

static void kernel_is(struct fk *k, const char *dev, __u32 tx, __u32 rx)
{
	struct rate_seen *s = fk_dev(k, dev, false);

	if (!tx && !rx && (!s || (!s->tx && !s->rx)))
		return;
	assert_non_null(s);
	assert_int_equal(s->tx ? s->tx_kbps : 0, tx);
	assert_int_equal(s->rx ? s->rx_kbps : 0, rx);
}

static void test_reconciler(void **state)
{
	struct fx *f = *state;
	struct fk k = { 0 };
	struct recon rc;
	struct model m;

	/* A tbf an earlier agent left on a device no record names goes. */
	fk_tx_set(&k, "ts9", &(struct rate_val){ .kbps = 64 });
	k.puts = 0;
	k.ops = (struct rate_ops){ .ctx = &k, .tx_set = fk_tx_set, .tx_del = fk_tx_del,
				   .rx_set = fk_rx_set, .rx_del = fk_rx_del, .dump = fk_dump };
	recon_init(&rc, &gw_rate_reconciler, &k.ops);
	model_init(&m);
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	/* the default on both S2S interfaces, nothing on the compartments */
	assert_int_equal(k.puts, 4);
	kernel_is(&k, "ts1", 5120, 5120);
	kernel_is(&k, "ts2", 5120, 5120);
	kernel_is(&k, "ts9", 0, 0);
	kernel_is(&k, "tgi1", 0, 0);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(k.puts, 4);            /* unchanged: nothing */

	ok(f, "s2s set IfCe1 rate tx 1024 rx none", "");
	ok(f, "compartment set Woodgrove rate internal tx 2048 rx 4096", "");
	load_model(f, &m);
	k.dels = 0;
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	kernel_is(&k, "ts1", 1024, 0);
	kernel_is(&k, "tgi2", 2048, 4096);
	assert_int_equal(k.puts, 4 + 3);
	assert_int_equal(k.dels, 1);

	/* Someone removed a tbf: observed every round, it is put back. */
	fk_tx_del(&k, "tgi2");
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	kernel_is(&k, "tgi2", 2048, 4096);

	/* Lifted, deleted: nothing left. */
	ok(f, "s2s set IfCe1 rate none", "");
	ok(f, "compartment del Woodgrove force", "");
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	kernel_is(&k, "ts1", 0, 0);
	kernel_is(&k, "ts2", 0, 0);
	kernel_is(&k, "tgi2", 0, 0);

	/* A tenant's remote-access users together: on its traC. */
	ok(f, "ravpn set rdomain Contoso pool 10.10.0.0/24 rate 5120", "");
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	kernel_is(&k, "tra1", 5120, 5120);
	ok(f, "ravpn set rdomain Contoso rate none", "");
	load_model(f, &m);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	kernel_is(&k, "tra1", 0, 0);
	recon_fini(&rc);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_params),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconciler, setup, teardown),
	};

	return cmocka_run_group_tests_name("rate", tests, NULL, NULL);
}

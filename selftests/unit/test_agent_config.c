// SPDX-License-Identifier: GPL-2.0
/* tenetd's configuration (file, then flags), and the small containers the
 * agent is built on (hash table, rate limiter). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "recon/htab.h"
#include "log.h"
#include "testutil.h"

struct fx {
	char *dir;
	char *path;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	x->dir = tu_mkdtemp();
	assert_non_null(x->dir);
	assert_true(asprintf(&x->path, "%s/tenetd.conf", x->dir) > 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	tu_rmtree(x->dir);
	free(x->path);
	free(x->dir);
	free(x);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_file_then_flags(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;

	write_file(x->path, "# tenetd\n"
			    "host = h1   # this host\n"
			    "\n"
			    "underlay=ul0\n"
			    "  store = /var/tmp/s.db\n"
			    "bpffs = /run/tenet/bpf\n"
			    "debug = yes\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_string_equal(c.host, "h1");
	assert_string_equal(c.underlay, "ul0");
	assert_string_equal(c.store, "/var/tmp/s.db");
	assert_string_equal(c.bpffs, "/run/tenet/bpf");
	assert_true(c.debug);

	fl.host = "h2";
	fl.underlay = "eth1";
	fl.store = "sqlite:///tmp/x.db";
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_string_equal(c.host, "h2");
	assert_string_equal(c.underlay, "eth1");
	assert_string_equal(c.store, "sqlite:///tmp/x.db");
	assert_string_equal(c.bpffs, "/run/tenet/bpf");
}

static void test_errors_name_the_line(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;
	char want[600];

	write_file(x->path, "host = h1\nunderlay ul0\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: expected key = value", x->path);
	assert_string_equal(err.msg, want);

	write_file(x->path, "host = h1\nunderlya = ul0\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown key 'underlya'", x->path);
	assert_string_equal(err.msg, want);

	write_file(x->path, "debug = maybe\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: not yes or no", x->path);
	assert_string_equal(err.msg, want);

	write_file(x->path, "host = bad/name\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "host 'bad/name': "));

	write_file(x->path, "host = h1\nunderlay = waytoolonginterfacename\n");
	assert_true(config_load(&c, &fl, &err) < 0);
	assert_non_null(strstr(err.msg, ":2: too long"));

	write_file(x->path, "host = h1\nbpffs = relative/dir\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	assert_string_equal(err.msg, "bpffs 'relative/dir': not an absolute path");
}

/* flowid: on by default, off from the file, the flag wins over the file,
 * and a bad value names where it came from. */
static void test_flowid(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;
	char want[600];

	write_file(x->path, "host = h1\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_true(c.flowid);

	write_file(x->path, "host = h1\nflowid = off\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_false(c.flowid);

	fl.flowid = "on";
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_true(c.flowid);

	write_file(x->path, "host = h1\nflowid = on\n");
	fl.flowid = "off";
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_false(c.flowid);

	fl.flowid = "maybe";
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	assert_string_equal(err.msg, "--flowid: not on or off");

	fl.flowid = NULL;
	write_file(x->path, "host = h1\nflowid = zero\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not on or off", x->path);
	assert_string_equal(err.msg, want);
}

/* decap: auto by default, xdp/tc from the file, the flag wins, a bad value
 * names where it came from. */
static void test_decap(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;
	char want[600];

	write_file(x->path, "host = h1\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.decap, DECAP_AUTO);
	assert_string_equal(decap_mode_name(c.decap), "auto");

	write_file(x->path, "host = h1\ndecap = tc\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.decap, DECAP_TC);

	fl.decap = "xdp";
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.decap, DECAP_XDP);
	assert_string_equal(decap_mode_name(c.decap), "xdp");

	fl.decap = "ebpf";
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	assert_string_equal(err.msg, "--decap: not auto, xdp or tc");

	fl.decap = NULL;
	write_file(x->path, "host = h1\ndecap = XDP\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not auto, xdp or tc", x->path);
	assert_string_equal(err.msg, want);
}

/* learn_age: 300 s by default, seconds from the file, at least two of the
 * datapath's refresh periods. */
static void test_learn_age(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;
	char want[600];

	write_file(x->path, "host = h1\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.learn_age, 300);
	write_file(x->path, "host = h1\nlearn_age = 120\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.learn_age, 120);
	write_file(x->path, "host = h1\nlearn_age = 10\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not a number of seconds in 60..604800", x->path);
	assert_string_equal(err.msg, want);
	write_file(x->path, "host = h1\nlearn_age = 5m\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
}

static void test_delete_guard(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;
	char want[600];

	write_file(x->path, "host = h1\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.guard_percent, 50);
	assert_int_equal(c.guard_min, 100);
	write_file(x->path, "host = h1\ndelete_guard_percent = 100\ndelete_guard_min = 0\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_int_equal(c.guard_percent, 100);
	assert_int_equal(c.guard_min, 0);
	write_file(x->path, "host = h1\ndelete_guard_percent = 0\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not a number in 1..100", x->path);
	assert_string_equal(err.msg, want);
	write_file(x->path, "host = h1\ndelete_guard_min = -1\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
}

/* strict_source: off by default (HNV trusts the provider network), on
 * from the file. */
static void test_strict_source(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path };
	struct tenet_err err = { 0 };
	struct config c;
	char want[600];

	write_file(x->path, "host = h1\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_false(c.strict_source);
	write_file(x->path, "host = h1\nstrict_source = on\n");
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_true(c.strict_source);
	write_file(x->path, "host = h1\nstrict_source = strict\n");
	assert_int_equal(config_load(&c, &fl, &err), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not on or off", x->path);
	assert_string_equal(err.msg, want);
}

/* A log line is one line: what came from a file, a flag or the store
 * cannot make a second one. */
static void test_log_escape(void **state)
{
	char buf[64];

	(void)state;
	log_escape(buf, sizeof(buf), "key 'a\nb\tc\r\x1b[0m\x7f' ok");
	assert_string_equal(buf, "key 'a\\nb\\tc\\r\\x1b[0m\\x7f' ok");
	/* Cut at the buffer, never in the middle of an escape. */
	log_escape(buf, 6, "abc\ndef");
	assert_string_equal(buf, "abc\\n");
	log_escape(buf, 5, "abc\ndef");
	assert_string_equal(buf, "abc");
}

static void test_missing_file(void **state)
{
	struct fx *x = *state;
	struct config_flags fl = { .config = x->path, .host = "h1" };
	struct tenet_err err = { 0 };
	struct config c;

	/* Named on the command line: it must exist. */
	assert_int_equal(config_load(&c, &fl, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "No such file"));
	/* The default path may be absent: defaults and flags are enough. */
	fl.config = NULL;
	fl.default_config = x->path;
	assert_int_equal(config_load(&c, &fl, &err), 0);
	assert_string_equal(c.host, "h1");
	assert_string_equal(c.bpffs, TENETD_BPFFS_DEFAULT);
	assert_string_equal(c.underlay, "");
}

static void test_htab(void **state)
{
	struct htab h, s;
	struct htab_iter it;
	struct htab_entry *e;
	bool created;
	uint32_t k, v, sum = 0;
	int n = 0;

	htab_init(&h, sizeof(uint32_t), sizeof(uint32_t));
	for (k = 0; k < 1000; k++) {
		v = k * 2;
		assert_non_null(htab_put(&h, &k, &v, &created));
		assert_true(created);
	}
	k = 7;
	v = 1;
	assert_non_null(htab_put(&h, &k, &v, &created));
	assert_false(created);
	assert_int_equal(*(uint32_t *)htab_val(htab_find(&h, &k)), 1);
	assert_int_equal(h.n, 1000);
	/* Deleting while iterating: every odd key. */
	htab_iter_init(&it, &h);
	while ((e = htab_iter_next(&it))) {
		n++;
		if (*(uint32_t *)htab_key(e) % 2)
			assert_int_equal(htab_del(&h, htab_key(e)), 0);
	}
	assert_int_equal(n, 1000);
	assert_int_equal(h.n, 500);
	htab_iter_init(&it, &h);
	while ((e = htab_iter_next(&it)))
		sum += *(uint32_t *)htab_key(e);
	assert_int_equal(sum, 249500);     /* 0 + 2 + ... + 998 */
	k = 3;
	assert_int_equal(htab_del(&h, &k), -ENOENT);
	htab_free(&h);

	htab_init(&s, 0, 1);
	assert_non_null(htab_put(&s, "/tenet/v1/a", "x", NULL));
	assert_non_null(htab_find(&s, "/tenet/v1/a"));
	assert_null(htab_find(&s, "/tenet/v1/b"));
	htab_free(&s);
}

static void test_ratelimit(void **state)
{
	struct ratelimit rl = { .interval_ms = 100, .burst = 2 };
	unsigned int missed;

	assert_true(ratelimit_ok(&rl, 5, &missed));
	assert_true(ratelimit_ok(&rl, 6, &missed));
	assert_false(ratelimit_ok(&rl, 7, &missed));
	assert_false(ratelimit_ok(&rl, 8, &missed));
	assert_true(ratelimit_ok(&rl, 200, &missed));
	assert_int_equal(missed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_then_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flowid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_guard, setup, teardown),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_htab),
		cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests_name("agent-config", tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* The CLI as an operator meets it (issue 20, docs/cli.md): --version,
 * shows that never create a store, named objects that are not there,
 * lookup and port filters, text lines that paste back into a fresh store,
 * JSON arrays with numbers, -p, errors as JSON under -j, iproute2
 * abbreviations, counters with routing-domain names (stats vsid, port,
 * rdomain, -s, -d, metrics) and the fleet's state (host show, --wait).
 * Each with the exact output or exit code. Runs as root: it makes its own
 * network namespace (devices and addresses the gateway commands check)
 * and mounts a bpffs for pinned counters. */

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <net/if.h>
#include <time.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tenet/drop.h>
#include <tenet/limits.h>
#include <tenet/maps.h>
#include <tenet/trace.h>

#include "cli.h"
#include "cli_int.h"
#include "kinds/record.h"
#include "kinds/status.h"
#include "nl/addr.h"
#include "nl/link.h"
#include "store/store.h"
#include "testutil.h"

struct fx {
	char *dir;
	char *path;             /* the store */
	char *out, *err;
};

static struct fx *F;

/* "tenet --store PATH --host gw WORDS" (store NULL: no --store). */
static int runv(struct fx *f, const char *store, const char *fmt, va_list ap)
{
	char *argv[80], *cmd, *save = NULL, *w;
	size_t olen, elen;
	FILE *out, *err;
	int argc = 0, ret;

	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	argv[argc++] = "tenet";
	if (store) {
		argv[argc++] = "--store";
		argv[argc++] = (char *)store;
	}
	argv[argc++] = "--host";
	argv[argc++] = "gw";
	for (w = strtok_r(cmd, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	free(f->out);
	free(f->err);
	out = open_memstream(&f->out, &olen);
	err = open_memstream(&f->err, &elen);
	ret = tenet_cli_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	free(cmd);
	return ret;
}

static int run(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(struct fx *f, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = runv(f, f->path, fmt, ap);
	va_end(ap);
	return ret;
}

static int run_at(struct fx *f, const char *store, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int run_at(struct fx *f, const char *store, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = runv(f, store, fmt, ap);
	va_end(ap);
	return ret;
}

#define OK(f, ...)                                                                 \
	do {                                                                       \
		int _r = run((f), __VA_ARGS__);                                    \
		if (_r != 0)                                                       \
			fail_msg("exit %d: %s%s", _r, (f)->err, (f)->out);         \
		assert_string_equal((f)->err, "");                                 \
	} while (0)

/* Exit code, exact stderr line, nothing on stdout. */
#define FAILS(f, code, line, ...)                                                  \
	do {                                                                       \
		assert_int_equal(run((f), __VA_ARGS__), (code));                   \
		assert_string_equal((f)->err, line "\n");                          \
		assert_string_equal((f)->out, "");                                 \
	} while (0)

#define MAC1 "00:11:22:33:44:55"
#define MAC2 "00:11:22:33:44:66"
#define MAC3 "00:11:22:33:44:77"

/* A store that exists (the explicit step every write needs once the
 * store is never created implicitly). */
static void create_store(const char *path)
{
	struct tenet_store *s;

	assert_int_equal(tenet_store_openf(path, TENET_STORE_CREATE, &s, NULL), 0);
	tenet_store_close(s);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_mkdtemp();
	assert_non_null(f->dir);
	assert_true(asprintf(&f->path, "%s/store.db", f->dir) > 0);
	F = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	char *bpf;

	/* The bpffs, if a test mounted one. */
	if (asprintf(&bpf, "%s/bpf", f->dir) > 0) {
		umount(bpf);
		free(bpf);
	}
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

/* Two tenants, a gateway host with a compartment, NAT and a mapping. */
static void populate(struct fx *f)
{
	create_store(f->path);
	OK(f, "rdomain add Contoso id 1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a");
	OK(f, "rdomain add Fabrikam id 2b3c5d7e-9fa0-41b2-83c4-d5e6f708192b");
	OK(f, "rdomain add Empty id 3b3c5d7e-9fa0-41b2-83c4-d5e6f708192c");
	OK(f, "vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24");
	OK(f, "vsubnet add 5002 rdomain Contoso prefix 10.0.1.0/24");
	OK(f, "vsubnet add 5999 rdomain Contoso prefix 10.0.254.0/24");
	OK(f, "vsubnet add 6001 rdomain Fabrikam prefix 10.0.0.0/24");
	OK(f, "lookup add vsid 5001 ca 10.0.0.5 mac " MAC1 " pa 192.168.4.11");
	OK(f, "lookup add vsid 5002 ca 10.0.1.2 mac " MAC2 " pa 192.168.4.12 rule none");
	OK(f, "lookup add vsid 5002 mac 00:11:22:33:44:88 pa 192.168.4.13 type l2only");
	OK(f, "lookup add vsid 6001 ca 10.0.0.7 mac " MAC3 " pa 192.168.4.12");
	OK(f, "lookup add vsid 5001 ca 10.9.0.1 mac 00:11:22:33:44:99 pa 192.168.4.11 type gateway");
	OK(f, "croute add rdomain Contoso vsid 5002 prefix 0.0.0.0/0 nexthop 10.0.1.2");
	OK(f, "croute add rdomain Contoso vsid 5001 prefix 10.8.0.0/16 nexthop 0.0.0.0 metric 7");
	OK(f, "pa add 192.168.4.11/24 dev ul0 host h1");
	OK(f, "pa add 192.168.5.11/24 dev ul0 vlan 7 host h1");
	OK(f, "pa add 192.168.4.33/24 dev ul0 host gw");
	OK(f, "proute add 192.168.6.0/24 dev ul0 via 192.168.4.1 host h1");
	OK(f, "proute add 192.168.7.0/24 dev ul0 host h1");
	OK(f, "port set dev pv1 vsid 5001 mac " MAC1 " host h1");
	OK(f, "compartment add Contoso rdomain Contoso vsid 5999 address 10.0.254.2/24");
	OK(f, "compartment add Contoso external ext1 address 10.229.200.2/24");
	OK(f, "compartment set Contoso rate internal tx 2048 rx 4096");
	OK(f, "compartment set Contoso rate external rx 1024");
	OK(f, "nat add rdomain Contoso external 203.0.113.1 via 203.0.113.254 ports 20000-29999");
	OK(f, "nat map add rdomain Contoso proto tcp external 203.0.113.1:8080 ca 10.0.0.5:80");
}

/* ---- --version ---- */

static void test_version(void **state)
{
	struct fx *f = *state;
	char want[64];

	snprintf(want, sizeof(want), "tenet %s (datapath layout %d)\n", TENET_VERSION,
		 TENET_LAYOUT_VERSION);
	OK(f, "--version");
	assert_string_equal(f->out, want);
	OK(f, "-V");
	assert_string_equal(f->out, want);
	assert_string_equal(TENET_VERSION, "0.1.0");
	/* Nothing was opened, nothing created. */
	assert_int_equal(access(f->path, F_OK), -1);
}

/* ---- shows never create a store ---- */

static void test_show_without_store(void **state)
{
	static const char *const shows[] = {
		"rdomain show", "vsubnet show", "lookup show", "croute show", "pa show all",
		"proute show", "port show", "compartment show", "nat config", "nat map show",
		"host show", "rd sh", "rdomain", "lookup show ca 10.0.0.5",
	};
	struct fx *f = *state;
	char line[512], url[512];

	snprintf(line, sizeof(line), "tenet: no store at %s (create it with 'tenet store "
		 "init')\n", f->path);
	for (size_t i = 0; i < sizeof(shows) / sizeof(shows[0]); i++) {
		assert_int_equal(run(f, "%s", shows[i]), 1);
		assert_string_equal(f->err, line);
		assert_string_equal(f->out, "");
		assert_int_equal(access(f->path, F_OK), -1);
	}
	snprintf(url, sizeof(url), "sqlite://%s", f->path);
	assert_int_equal(run_at(f, url, "vsubnet show"), 1);
	assert_string_equal(f->err, line);
	/* -j: the error as JSON on stdout. */
	assert_int_equal(run(f, "-j rdomain show"), 1);
	snprintf(line, sizeof(line), "{\"error\":\"no store at %s (create it with 'tenet "
		 "store init')\"}\n", f->path);
	assert_string_equal(f->out, line);
	assert_string_equal(f->err, "");
	assert_int_equal(access(f->path, F_OK), -1);
}

/* ---- named objects that are not there exit 1 ---- */

static void test_named_missing(void **state)
{
	struct fx *f = *state;

	populate(f);
	FAILS(f, 1, "tenet: rdomain Nope: no such routing domain", "rdomain show Nope");
	FAILS(f, 1, "tenet: vsid 7777: no virtual subnet with this VSID", "vsubnet show vsid 7777");
	FAILS(f, 1, "tenet: rdomain Nope: no such routing domain", "vsubnet show rdomain Nope");
	FAILS(f, 1, "tenet: rdomain Nope: no such routing domain", "lookup show rdomain Nope");
	FAILS(f, 1, "tenet: rdomain Nope: no such routing domain", "croute show rdomain Nope");
	FAILS(f, 1, "tenet: ca 10.9.9.9: no lookup record", "lookup show ca 10.9.9.9");
	FAILS(f, 1, "tenet: mac 00:11:22:33:44:00: no lookup record",
	      "lookup show mac 00:11:22:33:44:00");
	FAILS(f, 1, "tenet: port nope: no such port on host h1", "port show dev nope host h1");
	FAILS(f, 1, "tenet: port pv1: no such port on host gw", "port show dev pv1");
	FAILS(f, 1, "tenet: compartment Nope: no such compartment on host gw",
	      "compartment show Nope");
	FAILS(f, 1, "tenet: host nope: no such host (no records, no agent)", "host show nope");
	/* Filters that match nothing are no error. */
	OK(f, "lookup show pa 10.1.2.3");
	assert_string_equal(f->out, "");
	OK(f, "vsubnet show rdomain Empty");
	assert_string_equal(f->out, "");
	OK(f, "croute show rdomain Fabrikam");
	assert_string_equal(f->out, "");
	/* Found: exit 0. */
	OK(f, "rdomain show Fabrikam");
	assert_string_equal(f->out, "Fabrikam id 2b3c5d7e-9fa0-41b2-83c4-d5e6f708192b\n");
	OK(f, "port show dev pv1 host h1");
	assert_string_equal(f->out, "dev pv1 vsid 5001 mac 00:11:22:33:44:55 host h1\n");
}

/* ---- lookup filters ---- */

static void test_lookup_filters(void **state)
{
	struct fx *f = *state;

	populate(f);
	/* One CA, two tenants: one line each. */
	OK(f, "lookup show ca 10.0.0.5");
	assert_string_equal(f->out, "vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.11"
				    " type static rule encap\n");
	OK(f, "lookup add vsid 6001 ca 10.0.0.5 mac 00:11:22:33:44:56 pa 192.168.4.12");
	OK(f, "lookup show ca 10.0.0.5");
	assert_string_equal(f->out,
		"vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.11 type static rule encap\n"
		"vsid 6001 ca 10.0.0.5 mac 00:11:22:33:44:56 pa 192.168.4.12 type static rule encap\n");
	OK(f, "lookup show ca 10.0.0.5 rdomain Fabrikam");
	assert_string_equal(f->out, "vsid 6001 ca 10.0.0.5 mac 00:11:22:33:44:56 pa 192.168.4.12"
				    " type static rule encap\n");
	OK(f, "lookup show mac 00:11:22:33:44:88");
	assert_string_equal(f->out, "vsid 5002 mac 00:11:22:33:44:88 pa 192.168.4.13 type l2only"
				    " rule encap\n");
	OK(f, "lookup show pa 192.168.4.12");
	assert_string_equal(f->out,
		"vsid 5002 ca 10.0.1.2 mac 00:11:22:33:44:66 pa 192.168.4.12 type static rule none\n"
		"vsid 6001 ca 10.0.0.5 mac 00:11:22:33:44:56 pa 192.168.4.12 type static rule encap\n"
		"vsid 6001 ca 10.0.0.7 mac 00:11:22:33:44:77 pa 192.168.4.12 type static rule encap\n");
	FAILS(f, 2, "tenet: ca '10.0.0.x': not an IPv4 address (expected A.B.C.D)",
	      "lookup show ca 10.0.0.x");
}

/* ---- every show line pastes back ---- */

struct replay {
	const char *show;       /* listing */
	const char *add;        /* what each line follows */
};

static const struct replay replays[] = {
	{ "rdomain show", "rdomain add" },
	{ "vsubnet show", "vsubnet add" },
	{ "lookup show", "lookup add" },
	{ "croute show", "croute add" },
	{ "pa show all", "pa add" },
	{ "proute show all", "proute add" },
	{ "port show all", "port add" },
	{ "compartment show all", "compartment add" },
	{ "nat config all", "nat add" },
	{ "nat map show all", "nat map add" },
};
#define NREPLAY (sizeof(replays) / sizeof(replays[0]))

static void test_paste_back(void **state)
{
	struct fx *f = *state;
	char *fresh, *before[NREPLAY];
	size_t i;

	populate(f);
	assert_true(asprintf(&fresh, "%s/fresh.db", f->dir) > 0);
	create_store(fresh);
	for (i = 0; i < NREPLAY; i++) {
		char *lines, *line, *save = NULL;

		OK(f, "%s", replays[i].show);
		before[i] = strdup(f->out);
		assert_true(before[i][0] != '\0');
		lines = strdup(f->out);
		for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			int r = run_at(f, fresh, "%s %s", replays[i].add, line);

			if (r)
				fail_msg("'%s %s' in a fresh store: exit %d, %s", replays[i].add, line,
					 r, f->err);
			assert_string_equal(f->err, "");
		}
		free(lines);
	}
	/* The fresh store lists exactly what the first one does. */
	for (i = 0; i < NREPLAY; i++) {
		assert_int_equal(run_at(f, fresh, "%s", replays[i].show), 0);
		assert_string_equal(f->out, before[i]);
		free(before[i]);
	}
	free(fresh);
}

/* ---- JSON: arrays, numbers, -p, errors ---- */

static void test_json_shapes(void **state)
{
	struct fx *f = *state;
	json_t *j;

	populate(f);
	OK(f, "-j nat config");
	assert_string_equal(f->out, "[{\"host\":\"gw\",\"rdomain\":\"Contoso\",\"external\":"
				    "\"203.0.113.1\",\"via\":\"203.0.113.254\",\"port_min\":20000,"
				    "\"port_max\":29999}]\n");
	OK(f, "-j nat map show");
	assert_string_equal(f->out, "[{\"host\":\"gw\",\"rdomain\":\"Contoso\",\"proto\":\"tcp\","
				    "\"external\":\"203.0.113.1\",\"external_port\":8080,"
				    "\"ca\":\"10.0.0.5\",\"ca_port\":80}]\n");
	OK(f, "nat config");
	assert_string_equal(f->out, "rdomain Contoso external 203.0.113.1 via 203.0.113.254 ports "
				    "20000-29999 host gw\n");
	OK(f, "nat map show");
	assert_string_equal(f->out, "rdomain Contoso proto tcp external 203.0.113.1:8080 ca "
				    "10.0.0.5:80 host gw\n");
	OK(f, "-j compartment show");
	j = json_loads(f->out, 0, NULL);
	assert_true(json_is_array(j));
	assert_true(json_is_integer(json_object_get(json_array_get(j, 0), "vsid")));
	assert_true(json_is_integer(json_object_get(json_array_get(j, 0), "table")));
	json_decref(j);
	assert_int_equal(run(f, "-j host show"), 0);       /* warnings on stderr */
	j = json_loads(f->out, 0, NULL);
	assert_true(json_is_array(j));
	assert_true(json_is_integer(json_object_get(json_array_get(j, 0), "ports")));
	json_decref(j);
	/* -p alone is JSON, indented. */
	OK(f, "-p rdomain show Empty");
	assert_string_equal(f->out, "[\n  {\n    \"name\": \"Empty\",\n    \"guid\": "
				    "\"3b3c5d7e-9fa0-41b2-83c4-d5e6f708192c\",\n    \"id\": 3\n  }\n]\n");
}

static void test_json_errors(void **state)
{
	struct fx *f = *state;
	char *batch;
	FILE *b;

	populate(f);
	assert_int_equal(run(f, "-j frobnicate"), 2);
	assert_string_equal(f->out, "{\"error\":\"unknown object 'frobnicate' (try 'tenet help')\"}\n");
	assert_string_equal(f->err, "");
	assert_int_equal(run(f, "-j lookup add vsid 5001 ca 10.0.0.9 mac " MAC2), 2);
	assert_string_equal(f->out, "{\"error\":\"lookup add: missing 'pa IP'\"}\n");
	assert_int_equal(run(f, "-j rdomain del Nowhere"), 1);
	assert_string_equal(f->out, "{\"error\":\"rdomain Nowhere: no such routing domain\"}\n");
	assert_string_equal(f->err, "");
	/* An option before -j is still reported as JSON. */
	assert_int_equal(run(f, "--bogus -j rdomain show"), 2);
	assert_string_equal(f->out, "{\"error\":\"unknown option '--bogus' (try 'tenet help')\"}\n");
	assert_int_equal(run(f, "-p rdomain show Nope"), 1);
	assert_string_equal(f->out, "{\n  \"error\": \"rdomain Nope: no such routing domain\"\n}\n");
	/* A batch's failing line, named. */
	assert_true(asprintf(&batch, "%s/cmds", f->dir) > 0);
	b = fopen(batch, "w");
	fputs("rdomain add Woodgrove\nvsubnet add 7001 rdomain Nobody prefix 10.0.0.0/24\n", b);
	fclose(b);
	assert_int_equal(run(f, "-j batch %s", batch), 1);
	assert_true(strstr(f->out, "[{\"name\":\"Woodgrove\",\"guid\":") == f->out);
	assert_non_null(strstr(f->out, "}]\n{\"error\":\"batch line 2: rdomain Nobody: no such "
				       "routing domain\"}\n"));
	assert_string_equal(f->err, "");
	free(batch);
}

/* tenet batch writes in chunks with the policy's memo: a duplicate MAC
 * is still refused within the batch and against the store, with the
 * line named and the single command's message byte for byte; the lines
 * before a failing one are written; a good batch prints its rate. */
static void batch_of(struct fx *f, const char *name, const char *lines)
{
	char *path;
	FILE *b;

	assert_true(asprintf(&path, "%s/%s", f->dir, name) > 0);
	b = fopen(path, "w");
	assert_non_null(b);
	fputs(lines, b);
	fclose(b);
	free(path);
}

static void test_batch_mac_unique(void **state)
{
	struct fx *f = *state;
	char *single;

	populate(f);
	batch_of(f, "a", "lookup add vsid 5001 ca 10.0.0.20 mac 02:00:00:00:00:01 pa 192.168.4.11\n"
			 "# a comment\n"
			 "lookup add vsid 5001 ca 10.0.0.21 mac 02:00:00:00:00:02 pa 192.168.4.11\n"
			 "lookup add vsid 5001 ca 10.0.0.22 mac 02:00:00:00:00:01 pa 192.168.4.11\n"
			 "lookup add vsid 5001 ca 10.0.0.23 mac 02:00:00:00:00:03 pa 192.168.4.11\n");
	assert_int_equal(run(f, "batch %s/a", f->dir), 1);
	assert_string_equal(f->err, "tenet: batch line 4: mac 02:00:00:00:00:01: already used in "
				    "vsid 5001 (ca 10.0.0.20)\n");
	assert_string_equal(f->out, "");
	/* The same line alone: the same message; lines 1 and 3 were written. */
	assert_true(asprintf(&single, "tenet: %s", f->err + strlen("tenet: batch line 4: ")) > 0);
	assert_int_equal(run(f, "lookup add vsid 5001 ca 10.0.0.22 mac 02:00:00:00:00:01 "
				"pa 192.168.4.11"), 1);
	assert_string_equal(f->err, single);
	free(single);
	FAILS(f, 1, "tenet: mac 02:00:00:00:00:02: already used in vsid 5001 (ca 10.0.0.21)",
	      "lookup add vsid 5001 ca 10.0.0.24 mac 02:00:00:00:00:02 pa 192.168.4.11");
	assert_int_equal(run(f, "lookup show vsid 5001 ca 10.0.0.23"), 1);
	/* Against the store: a record of populate() and one of batch a. */
	batch_of(f, "b", "lookup add vsid 5001 ca 10.0.0.23 mac 02:00:00:00:00:03 pa 192.168.4.11\n"
			 "lookup add vsid 5002 ca 10.0.1.9 mac 00:11:22:33:44:88 pa 192.168.4.11\n");
	FAILS(f, 1, "tenet: batch line 2: mac 00:11:22:33:44:88: already used in vsid 5002 "
		    "(l2only record)", "batch %s/b", f->dir);
	batch_of(f, "c", "lookup add vsid 5001 ca 10.0.0.30 mac " MAC1 " pa 192.168.4.11\n");
	FAILS(f, 1, "tenet: batch line 1: mac " MAC1 ": already used in vsid 5001 (ca 10.0.0.5)",
	      "batch %s/c", f->dir);
	/* A replace and a delete inside a batch free their MACs for the lines
	 * after them; a subnet added in the batch is there for them too. */
	batch_of(f, "d", "lookup replace vsid 5001 ca 10.0.0.20 mac 02:00:00:00:00:11 pa 192.168.4.11\n"
			 "lookup add vsid 5001 ca 10.0.0.31 mac 02:00:00:00:00:01 pa 192.168.4.11\n"
			 "lookup del vsid 5001 ca 10.0.0.21\n"
			 "lookup add vsid 5001 ca 10.0.0.32 mac 02:00:00:00:00:02 pa 192.168.4.11\n"
			 "vsubnet add 5003 rdomain Contoso prefix 10.0.3.0/24\n"
			 "lookup add vsid 5003 ca 10.0.3.5 mac 02:00:00:00:00:01 pa 192.168.4.11\n"
			 "lookup add vsid 5001 ca 10.0.0.33 mac 02:00:00:00:00:11 pa 192.168.4.11\n");
	assert_int_equal(run(f, "batch %s/d", f->dir), 1);
	assert_string_equal(f->err, "tenet: batch line 7: mac 02:00:00:00:00:11: already used in "
				    "vsid 5001 (ca 10.0.0.20)\n");
	batch_of(f, "e", "lookup add vsid 5003 ca 10.0.3.6 mac 02:00:00:00:00:02 pa 192.168.4.11\n"
			 "lookup show vsid 5003 ca 10.0.3.6\n");
	OK(f, "batch %s/e", f->dir);
	assert_non_null(strstr(f->out, "10.0.3.6"));
	assert_non_null(strstr(f->out, "batch: 2 lines, 1 records written in "));
	assert_non_null(strstr(f->out, " records/s)\n"));
}

/* ---- abbreviations ---- */

static void same_output(struct fx *f, const char *abbrev, const char *full)
{
	char *want, *werr;

	assert_int_equal(run(f, "%s", full), 0);
	want = strdup(f->out);
	werr = strdup(f->err);
	assert_int_equal(run(f, "%s", abbrev), 0);
	if (strcmp(want, f->out) || strcmp(werr, f->err))
		fail_msg("'%s' printed '%s', '%s' printed '%s'", abbrev, f->out, full, want);
	free(want);
	free(werr);
}

static void test_abbreviations(void **state)
{
	struct fx *f = *state;

	populate(f);
	same_output(f, "rd sh", "rdomain show");
	same_output(f, "r", "rdomain show");
	same_output(f, "v s rdomain Contoso", "vsubnet show rdomain Contoso");
	same_output(f, "l sh vsid 5001", "lookup show vsid 5001");
	same_output(f, "c sh", "croute show");          /* croute comes before compartment */
	same_output(f, "co sh all", "compartment show all");
	same_output(f, "p sh all", "pa show all");      /* pa, proute, port: table order */
	same_output(f, "pr sh all", "proute show all");
	same_output(f, "po sh all", "port show all");
	same_output(f, "n c", "nat config");
	same_output(f, "n m sh", "nat map show");
	same_output(f, "h", "host show");
	/* A prefix of no verb, a prefix of no object. */
	FAILS(f, 2, "tenet: rdomain: unknown command 'x' (try 'tenet rdomain help')", "rd x");
	FAILS(f, 2, "tenet: unknown object 'zz' (try 'tenet help')", "zz");
	/* Messages name the verb, not the abbreviation. */
	FAILS(f, 2, "tenet: vsubnet add: missing VSID", "vs a");
	/* No abbreviation takes a full name away. */
	assert_null(cli_shadowed_name());
}

/* ---- counters: stats vsid, rdomain, port; -s; -d; metrics ---- */

static void pin(struct fx *f, int fd, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bpf/gw", f->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bpf/gw/v%d", f->dir, TENET_LAYOUT_VERSION);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bpf/gw/v%d/%s", f->dir, TENET_LAYOUT_VERSION, name);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
}

/* Pinned counter maps under the fixture's bpffs for host gw: VSID 5001
 * (1 packet each way of 100 bytes per CPU, 1 drop) in slot 2, 6001 idle
 * in slot 1, 9999 (no subnet in the store) in slot 7, 5002 without a
 * slot (slot 3 counts, but is nobody's); drops: 3 per CPU of no-route;
 * port drops: 2 per CPU for pv1's ifindex. Returns the map fds to close. */
static void pin_counters(struct fx *f, uint32_t pv1, int fds[5])
{
	static const struct { __u32 vsid; __u16 slot; } vsids[] = {
		{ 5001, 2 }, { 6001, 1 }, { 9999, 7 }, { 5002, 0 },
	};
	int ncpu = libbpf_num_possible_cpus();
	struct tenet_vstats_val *vs = calloc((size_t)ncpu, sizeof(*vs));
	struct tenet_drop_val *dv = calloc((size_t)ncpu, sizeof(*dv));
	__u64 *lv = calloc((size_t)ncpu, sizeof(*lv));
	__u32 k;

	char dir[512];

	snprintf(dir, sizeof(dir), "%s/bpf", f->dir);
	mkdir(dir, 0700);
	if (mount("bpf", dir, "bpf", 0, NULL) < 0)
		fail_msg("cannot mount bpffs on %s: %s", dir, strerror(errno));
	fds[0] = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, TENET_MAP_VSTATS, 4, sizeof(*vs), 64,
				NULL);
	fds[1] = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, TENET_MAP_DROPS, 4, sizeof(*dv),
				TENET_DROP_MAX, NULL);
	fds[2] = bpf_map_create(BPF_MAP_TYPE_LRU_PERCPU_HASH, TENET_MAP_PORT_DROPS, 4,
				sizeof(*dv), 64, NULL);
	fds[3] = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, TENET_MAP_LEARN_STATS, 4, sizeof(*lv),
				TENET_LSTAT_MAX, NULL);
	fds[4] = bpf_map_create(BPF_MAP_TYPE_HASH, TENET_MAP_VSID, 4,
				sizeof(struct tenet_vsid_val), 64, NULL);
	for (int i = 0; i < 5; i++)
		assert_true(fds[i] >= 0);
	for (size_t i = 0; i < sizeof(vsids) / sizeof(vsids[0]); i++) {
		struct tenet_vsid_val v = { .rdomain = 1, .stats_slot = vsids[i].slot };

		assert_int_equal(bpf_map_update_elem(fds[4], &vsids[i].vsid, &v, BPF_ANY), 0);
	}
	for (int c = 0; c < ncpu; c++) {
		vs[c] = (struct tenet_vstats_val){ 1, 100, 1, 100, 1 };
		dv[c] = (struct tenet_drop_val){ 3, 300 };
		lv[c] = 1;
	}
	k = 2;
	assert_int_equal(bpf_map_update_elem(fds[0], &k, vs, BPF_ANY), 0);
	k = 7;
	assert_int_equal(bpf_map_update_elem(fds[0], &k, vs, BPF_ANY), 0);
	k = 3;
	assert_int_equal(bpf_map_update_elem(fds[0], &k, vs, BPF_ANY), 0);
	k = TENET_DROP_NO_ROUTE;
	assert_int_equal(bpf_map_update_elem(fds[1], &k, dv, BPF_ANY), 0);
	for (int c = 0; c < ncpu; c++)
		dv[c] = (struct tenet_drop_val){ 2, 200 };
	assert_int_equal(bpf_map_update_elem(fds[2], &pv1, dv, BPF_ANY), 0);
	k = TENET_LSTAT_EVENTS;
	assert_int_equal(bpf_map_update_elem(fds[3], &k, lv, BPF_ANY), 0);
	pin(f, fds[0], TENET_MAP_VSTATS);
	pin(f, fds[1], TENET_MAP_DROPS);
	pin(f, fds[2], TENET_MAP_PORT_DROPS);
	pin(f, fds[3], TENET_MAP_LEARN_STATS);
	pin(f, fds[4], TENET_MAP_VSID);
	free(vs);
	free(dv);
	free(lv);
}

static void test_counters(void **state)
{
	struct fx *f = *state;
	int ncpu = libbpf_num_possible_cpus(), fds[5];
	uint32_t pv1;
	char want[1024];

	populate(f);
	OK(f, "port set dev pv1 vsid 5001 mac " MAC1);    /* on gw, where pv1 is */
	pv1 = if_nametoindex("pv1");
	assert_true(pv1 > 0);
	pin_counters(f, pv1, fds);

	OK(f, "--pin-root %s/bpf stats vsid", f->dir);
	snprintf(want, sizeof(want),
		 "vsid 5001 rdomain Contoso rx packets %d bytes %d tx packets %d bytes %d drops %d\n"
		 "vsid 5002 rdomain Contoso rx packets 0 bytes 0 tx packets 0 bytes 0 drops 0\n"
		 "vsid 5999 rdomain Contoso rx packets 0 bytes 0 tx packets 0 bytes 0 drops 0\n"
		 "vsid 6001 rdomain Fabrikam rx packets 0 bytes 0 tx packets 0 bytes 0 drops 0\n"
		 "vsid 9999 rx packets %d bytes %d tx packets %d bytes %d drops %d\n",
		 ncpu, 100 * ncpu, ncpu, 100 * ncpu, ncpu, ncpu, 100 * ncpu, ncpu, 100 * ncpu, ncpu);
	assert_string_equal(f->out, want);
	OK(f, "--pin-root %s/bpf -j stats vsid 5001", f->dir);
	snprintf(want, sizeof(want), "[{\"vsid\":5001,\"rdomain\":\"Contoso\",\"rx_packets\":%d,"
		 "\"rx_bytes\":%d,\"tx_packets\":%d,\"tx_bytes\":%d,\"drops\":%d}]\n", ncpu,
		 100 * ncpu, ncpu, 100 * ncpu, ncpu);
	assert_string_equal(f->out, want);
	FAILS(f, 1, "tenet: vsid 7777: no virtual subnet with this VSID",
	      "--pin-root %s/bpf stats vsid 7777", f->dir);
	OK(f, "--pin-root %s/bpf stats rdomain", f->dir);
	snprintf(want, sizeof(want),
		 "rdomain Contoso rx packets %d bytes %d tx packets %d bytes %d drops %d\n"
		 "rdomain Fabrikam rx packets 0 bytes 0 tx packets 0 bytes 0 drops 0\n"
		 "rdomain Empty rx packets 0 bytes 0 tx packets 0 bytes 0 drops 0\n",
		 ncpu, 100 * ncpu, ncpu, 100 * ncpu, ncpu);
	assert_string_equal(f->out, want);
	/* Ports: the device's counters (a fresh veth: 0) and the datapath's
	 * drops for its ifindex. */
	OK(f, "--pin-root %s/bpf stats port", f->dir);
	snprintf(want, sizeof(want), "dev pv1 vsid 5001 rdomain Contoso rx packets 0 bytes 0 tx "
		 "packets 0 bytes 0 drops %d\n", 2 * ncpu);
	assert_string_equal(f->out, want);
	FAILS(f, 1, "tenet: port nope: no such port on host gw",
	      "--pin-root %s/bpf stats port dev nope", f->dir);
	/* -s on shows: the same counters on an indented line. */
	OK(f, "--pin-root %s/bpf -s vsubnet show vsid 5001", f->dir);
	snprintf(want, sizeof(want), "5001 rdomain Contoso prefix 10.0.0.0/24\n    rx packets %d "
		 "bytes %d tx packets %d bytes %d drops %d\n", ncpu, 100 * ncpu, ncpu,
		 100 * ncpu, ncpu);
	assert_string_equal(f->out, want);
	OK(f, "--pin-root %s/bpf -s port show dev pv1", f->dir);
	snprintf(want, sizeof(want), "dev pv1 vsid 5001 mac 00:11:22:33:44:55 host gw\n    rx "
		 "packets 0 bytes 0 tx packets 0 bytes 0 drops %d\n", 2 * ncpu);
	assert_string_equal(f->out, want);
	OK(f, "--pin-root %s/bpf -s -j rdomain show Contoso", f->dir);
	snprintf(want, sizeof(want), "[{\"name\":\"Contoso\",\"guid\":\"1b3c5d7e-9fa0-41b2-83c4-"
		 "d5e6f708192a\",\"id\":1,\"stats\":{\"rx_packets\":%d,\"rx_bytes\":%d,"
		 "\"tx_packets\":%d,\"tx_bytes\":%d,\"drops\":%d}}]\n", ncpu, 100 * ncpu, ncpu,
		 100 * ncpu, ncpu);
	assert_string_equal(f->out, want);
	/* -d: the datapath's number of a routing domain. */
	OK(f, "-d rdomain show Fabrikam");
	assert_string_equal(f->out, "Fabrikam id 2b3c5d7e-9fa0-41b2-83c4-d5e6f708192b\n"
				    "    number 2\n");

	/* Metrics: both formats. */
	OK(f, "--pin-root %s/bpf stats -o openmetrics", f->dir);
	snprintf(want, sizeof(want), "tenet_drops_total{host=\"gw\",reason=\"no-route\"} %d\n",
		 3 * ncpu);
	assert_non_null(strstr(f->out, want));
	assert_non_null(strstr(f->out, "# TYPE tenet_drops counter\n"));
	snprintf(want, sizeof(want), "tenet_vsid_rx_packets_total{host=\"gw\",vsid=\"5001\","
		 "rdomain=\"Contoso\"} %d\n", ncpu);
	assert_non_null(strstr(f->out, want));
	snprintf(want, sizeof(want), "tenet_port_drops_total{host=\"gw\",dev=\"pv1\",vsid=\"5001\","
		 "rdomain=\"Contoso\"} %d\n", 2 * ncpu);
	assert_non_null(strstr(f->out, want));
	assert_non_null(strstr(f->out, "tenet_datapath_up{host=\"gw\"} 1\n"));
	assert_non_null(strstr(f->out, "tenet_agent_up{host=\"gw\"} 0\n"));
	assert_string_equal(f->out + strlen(f->out) - 6, "# EOF\n");
	OK(f, "--pin-root %s/bpf stats -o prometheus", f->dir);
	assert_non_null(strstr(f->out, "# HELP tenet_drops_total "));
	assert_non_null(strstr(f->out, "# TYPE tenet_drops_total counter\n"));
	assert_null(strstr(f->out, "# EOF"));
	FAILS(f, 2, "tenet: stats: -o 'xml': not a format (openmetrics, prometheus)",
	      "--pin-root %s/bpf stats -o xml", f->dir);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
}

/* ---- the fleet: host show and --wait against status records ---- */

static void put_status(struct fx *f, const char *host, int64_t applied, int64_t age,
		       const char *error)
{
	struct tenet_agent_status st = { .applied_revision = applied,
					 .heartbeat = time(NULL) - age, .store_available = true };
	struct tenet_store *s;
	struct tenet_txn *t = tenet_txn_new();
	char key[TENET_KEY_MAX];
	json_t *j;

	snprintf(st.host, sizeof(st.host), "%s", host);
	snprintf(st.last_error, sizeof(st.last_error), "%s", error);
	j = tenet_status_to_json(&st);
	assert_int_equal(tenet_status_key(host, key, sizeof(key)), 0);
	assert_int_equal(tenet_store_open(f->path, &s, NULL), 0);
	assert_int_equal(tenet_txn_put_json(t, key, j), 0);
	assert_int_equal(tenet_store_commit(s, t, NULL, NULL), 0);
	tenet_txn_free(t);
	tenet_store_close(s);
	json_decref(j);
}

/* Heartbeat ages move with the clock: "heartbeat 12s" reads "heartbeat Ns". */
static const char *ages(const char *s)
{
	static char buf[4096];
	size_t n = 0;

	while (*s && n < sizeof(buf) - 1) {
		if (!strncmp(s, "heartbeat ", 10) && s[10] >= '0' && s[10] <= '9') {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "heartbeat N");
			s += 10;
			while (*s >= '0' && *s <= '9')
				s++;
			continue;
		}
		buf[n++] = *s++;
	}
	buf[n] = '\0';
	return buf;
}

static int64_t store_rev(struct fx *f)
{
	struct tenet_store *s;
	int64_t rev;

	assert_int_equal(tenet_store_open(f->path, &s, NULL), 0);
	assert_int_equal(tenet_store_revision(s, &rev, NULL), 0);
	tenet_store_close(s);
	return rev;
}

static void test_fleet(void **state)
{
	struct fx *f = *state;
	char want[1024];
	int64_t rev;

	populate(f);
	rev = store_rev(f);                     /* the newest policy write */
	/* h1 applied it (and wrote its status at rev + 1); the other agents'
	 * status writes after it are no policy: h1 stays in step. */
	put_status(f, "h1", rev + 1, 1, "");
	put_status(f, "h2", 3, 2, "device p5 not present");
	put_status(f, "h3", 3, 1000, "");       /* heartbeat stopped long ago */
	assert_int_equal(run(f, "host show"), 0);
	snprintf(want, sizeof(want),
		 "gw state down pas 1 ports 0 compartments 1\n"
		 "h1 state up applied %lld behind 0 heartbeat Ns pas 2 ports 1 compartments 0\n"
		 "h2 state behind applied 3 behind %lld heartbeat Ns pas 0 ports 0 compartments 0\n"
		 "    error device p5 not present\n"
		 "h3 state stale applied 3 behind %lld heartbeat Ns pas 0 ports 0 compartments 0\n",
		 (long long)rev + 1, (long long)rev - 3, (long long)rev - 3);
	assert_string_equal(ages(f->out), want);
	/* Hosts running an agent without a PA; PAs of no host. */
	assert_string_equal(f->err,
		"tenet: warning: host h2 has no provider address (tenet pa add IP/LEN dev IF host h2)\n"
		"tenet: warning: host h3 has no provider address (tenet pa add IP/LEN dev IF host h3)\n"
		"tenet: warning: 3 lookup records name a PA that belongs to no host (first: "
		"192.168.4.12)\n");

	/* --wait: h1 and h2 are live and behind; h3 is not live. A global
	 * write waits for both and times out naming them. */
	assert_int_equal(run(f, "--wait 1 rdomain add Woodgrove"), 1);
	snprintf(want, sizeof(want), "tenet: --wait: revision %lld is stored, but 2 of 2 live agents"
		 " did not apply it within 1s: h1 (applied %lld, heartbeat Ns ago), h2 (applied 3,"
		 " heartbeat Ns ago, error: device p5 not present)\n", (long long)rev + 4,
		 (long long)rev + 1);          /* after the three status writes */
	assert_string_equal(ages(f->err), want);
	OK(f, "rdomain show Woodgrove");        /* it was written */
	/* A per-host write waits for its host only: h1 has applied it (an
	 * agent far ahead), h2 is not concerned. */
	put_status(f, "h1", 1000000, 0, "");
	OK(f, "--wait 2 port set dev pv2 vsid 5001 mac " MAC3 " host h1");
	/* The same record again: nothing an agent sees changed, no wait. */
	put_status(f, "h1", 0, 0, "");
	OK(f, "--wait 1 port set dev pv2 vsid 5001 mac " MAC3 " host h1");
	/* A host without a live agent: stored, said so, no wait. */
	assert_int_equal(run(f, "--wait 1 port set dev pv4 vsid 5001 mac 00:11:22:33:44:13 host h3"),
			 0);
	snprintf(want, sizeof(want), "tenet: warning: --wait: host h3 has no live agent; it "
		 "applies revision %lld when it starts\n", (long long)store_rev(f));
	assert_string_equal(f->err, want);
	FAILS(f, 2, "tenet: --wait '-1': not a number", "--wait=-1 rdomain show");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_show_without_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paste_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_shapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_mac_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abbreviations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet, setup, teardown),
	};
	struct nl nl;
	uint32_t ext0;

	/* A network namespace of our own: the devices and addresses the
	 * gateway commands check (ext0 holds the NAT address, ext1 becomes
	 * the compartment's external interface, pv1 is a port). */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "test_cli_ops: unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return 1;
	}
	if (nl_open(&nl) < 0 || nl_link_add_veth(&nl, "ext0", "ext0p", 0) < 0 ||
	    nl_link_add_veth(&nl, "ext1", "ext1p", 0) < 0 ||
	    nl_link_add_veth(&nl, "pv1", "pv1p", 0) < 0 || !(ext0 = if_nametoindex("ext0")) ||
	    nl_addr_add(&nl, ext0, htonl(0xcb007101), 24) < 0) {
		fprintf(stderr, "test_cli_ops: cannot set up the test namespace\n");
		return 1;
	}
	nl_close(&nl);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

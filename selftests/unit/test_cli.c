// SPDX-License-Identifier: GPL-2.0
/* The tenet CLI, driven through tenet_cli_main: every validation rule
 * rejects with its exact one-line error and exit code and leaves the store
 * exactly as it was (revision and every key); accepted commands show up in
 * text and -j output; help at every level; concurrent CLI writers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tenet/drop.h>
#include <tenet/limits.h>
#include <tenet/maps.h>

#include "cli.h"
#include "kinds/record.h"
#include "store/store.h"
#include "testutil.h"

struct fx {
	char *dir;
	char *path;
	char *out, *err;        /* what the last command printed */
	char *before;           /* store dump before a rejected command */
};

/* Runs "tenet --store PATH <words of cmd>" and keeps what it printed. */
static int run(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int run(struct fx *f, const char *fmt, ...)
{
	char *argv[64], *cmd, *save = NULL, *w;
	size_t olen, elen;
	FILE *out, *err;
	va_list ap;
	int argc = 0, ret;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	argv[argc++] = "tenet";
	argv[argc++] = "--store";
	argv[argc++] = f->path;
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

/* Every key with its value and revisions, and the store revision. */
static char *dump(struct fx *f)
{
	struct tenet_store *s;
	struct tenet_kv_list l;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m;

	assert_int_equal(tenet_store_open(f->path, &s, NULL), 0);
	assert_int_equal(tenet_store_range(s, "", &l, NULL), 0);
	m = open_memstream(&buf, &len);
	fprintf(m, "rev %lld\n", (long long)l.rev);
	for (i = 0; i < l.n; i++)
		fprintf(m, "%s %s %lld %lld %lld\n", l.kvs[i].key, l.kvs[i].value,
			(long long)l.kvs[i].create_rev, (long long)l.kvs[i].mod_rev,
			(long long)l.kvs[i].version);
	fclose(m);
	tenet_kv_list_free(&l);
	tenet_store_close(s);
	return buf;
}

static int64_t revision(struct fx *f)
{
	struct tenet_store *s;
	int64_t rev;

	assert_int_equal(tenet_store_open(f->path, &s, NULL), 0);
	assert_int_equal(tenet_store_revision(s, &rev, NULL), 0);
	tenet_store_close(s);
	return rev;
}

#define OK(f, ...)                                                                 \
	do {                                                                       \
		int _r = run((f), __VA_ARGS__);                                    \
		if (_r != 0)                                                       \
			fail_msg("exit %d: %s", _r, (f)->err);                     \
		assert_string_equal((f)->err, "");                                 \
	} while (0)

/* The command fails with exit `code`, prints exactly `line` (plus a
 * newline) on stderr and nothing on stdout, and the store is unchanged. */
#define REJECT(f, code, line, ...)                                                 \
	do {                                                                       \
		char *_before = dump(f), *_after;                                  \
		assert_int_equal(run((f), __VA_ARGS__), (code));                   \
		assert_string_equal((f)->err, line "\n");                          \
		assert_string_equal((f)->out, "");                                 \
		_after = dump(f);                                                  \
		assert_string_equal(_before, _after);                              \
		free(_before);                                                     \
		free(_after);                                                      \
	} while (0)

#define MAC1 "00:11:22:33:44:55"
#define MAC2 "00:11:22:33:44:66"
#define MAC3 "00:11:22:33:44:77"

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	assert_non_null(f->dir);
	assert_true(asprintf(&f->path, "%s/store.db", f->dir) > 0);
	*state = f;
	return 0;
}

/* Two tenants with overlapping address space, a gateway subnet in one. */
static int setup_tenants(void **state)
{
	struct fx *f;

	setup(state);
	f = *state;
	OK(f, "store init");
	OK(f, "rdomain add Contoso id 1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a");
	OK(f, "rdomain add Fabrikam");
	OK(f, "vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24");
	OK(f, "vsubnet add 5002 rdomain Contoso prefix 10.0.1.0/24");
	OK(f, "vsubnet add 6001 rdomain Fabrikam prefix 10.0.0.0/24");
	OK(f, "lookup add vsid 5001 ca 10.0.0.5 mac " MAC1 " pa 192.168.4.11");
	OK(f, "lookup add vsid 5002 ca 10.0.1.2 mac " MAC2 " pa 192.168.4.12");
	OK(f, "lookup add vsid 6001 ca 10.0.0.7 mac " MAC3 " pa 192.168.4.12");
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

/* ---- the validation rules of issue 3, one test each ---- */

static void test_reject_vsid_range(void **state)
{
	struct fx *f = *state;

	REJECT(f, 2, "tenet: vsid '4095': outside 4096..16777214",
	       "vsubnet add 4095 rdomain Contoso prefix 10.0.2.0/24");
	REJECT(f, 2, "tenet: vsid '16777215': outside 4096..16777214",
	       "vsubnet add 16777215 rdomain Contoso prefix 10.0.2.0/24");
	REJECT(f, 2, "tenet: vsid '0': outside 4096..16777214",
	       "lookup add vsid 0 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 2, "tenet: vsid 'x5001': not a number",
	       "croute add rdomain Contoso vsid x5001 prefix 0.0.0.0/0 nexthop 0.0.0.0");
	REJECT(f, 2, "tenet: vsid '4096000000': outside 4096..16777214",
	       "port set dev veth1 vsid 4096000000 mac " MAC1 " host h1");
	/* The edges are valid. */
	OK(f, "vsubnet add 4096 rdomain Contoso prefix 10.0.4.0/24");
	OK(f, "vsubnet add 16777214 rdomain Contoso prefix 10.0.5.0/24");
}

static void test_reject_vsid_in_other_rdomain(void **state)
{
	struct fx *f = *state;

	REJECT(f, 1, "tenet: vsid 5001: already in routing domain Contoso",
	       "vsubnet add 5001 rdomain Fabrikam prefix 10.9.0.0/24");
	REJECT(f, 1, "tenet: vsid 5001: already a virtual subnet of routing domain Contoso",
	       "vsubnet add 5001 rdomain Contoso prefix 10.9.0.0/24");
}

static void test_reject_duplicate_ca(void **state)
{
	struct fx *f = *state;

	REJECT(f, 1, "tenet: ca 10.0.0.5: already used in routing domain Contoso"
		     " (vsid 5001, mac 00:11:22:33:44:55)",
	       "lookup add vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:99 pa 192.168.4.11");
	/* Across subnets of one domain, through a gateway record (the only
	 * kind whose CA may lie outside its own subnet). */
	REJECT(f, 1, "tenet: ca 10.0.0.5: already used in routing domain Contoso"
		     " (vsid 5001, mac 00:11:22:33:44:55)",
	       "lookup add vsid 5002 ca 10.0.0.5 mac 00:11:22:33:44:99 pa 192.168.4.11 type gateway");
	/* Another routing domain may reuse the address: tenants overlap. */
	OK(f, "lookup add vsid 6001 ca 10.0.0.5 mac 00:11:22:33:44:99 pa 192.168.4.13");
}

static void test_reject_duplicate_mac(void **state)
{
	struct fx *f = *state;

	REJECT(f, 1, "tenet: mac 00:11:22:33:44:55: already used in vsid 5001 (ca 10.0.0.5)",
	       "lookup add vsid 5001 ca 10.0.0.6 mac " MAC1 " pa 192.168.4.11");
	REJECT(f, 1, "tenet: mac 00:11:22:33:44:55: already used in vsid 5001 (ca 10.0.0.5)",
	       "lookup add vsid 5001 mac " MAC1 " pa 192.168.4.11 type l2only");
	OK(f, "lookup add vsid 5001 mac 00:11:22:33:44:aa pa 192.168.4.11 type l2only");
	REJECT(f, 1, "tenet: mac 00:11:22:33:44:aa: already used in vsid 5001 (l2only record)",
	       "lookup add vsid 5001 ca 10.0.0.6 mac 00:11:22:33:44:aa pa 192.168.4.11");
	REJECT(f, 1, "tenet: mac 00:11:22:33:44:aa: already used in vsid 5001 (l2only record)",
	       "lookup add vsid 5001 mac 00:11:22:33:44:aa pa 192.168.4.12 type l2only");
	/* The same MAC in another VSID is another broadcast domain. */
	OK(f, "lookup add vsid 5002 ca 10.0.1.5 mac " MAC1 " pa 192.168.4.11");
}

static void test_reject_malformed_values(void **state)
{
	struct fx *f = *state;

	REJECT(f, 2, "tenet: mac '00:11:22:33:44:5g': not a MAC address (expected xx:xx:xx:xx:xx:xx)",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:5g pa 192.168.4.11");
	REJECT(f, 2, "tenet: mac '01:00:5e:00:00:01': not a unicast MAC address",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 01:00:5e:00:00:01 pa 192.168.4.11");
	REJECT(f, 2, "tenet: ca '10.0.0.256': not an IPv4 address (expected A.B.C.D)",
	       "lookup add vsid 5001 ca 10.0.0.256 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 2, "tenet: pa '192.168.4': not an IPv4 address (expected A.B.C.D)",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4");
	REJECT(f, 2, "tenet: prefix '10.0.2.0/33': not an IPv4 prefix (expected A.B.C.D/LEN, LEN 0..32)",
	       "vsubnet add 5003 rdomain Contoso prefix 10.0.2.0/33");
	REJECT(f, 2, "tenet: prefix '10.0.2.1/24': host bits set (did you mean 10.0.2.0/24?)",
	       "vsubnet add 5003 rdomain Contoso prefix 10.0.2.1/24");
	REJECT(f, 2, "tenet: prefix '10.0.0.0/8x': not an IPv4 prefix (expected A.B.C.D/LEN, LEN 0..32)",
	       "croute add rdomain Contoso vsid 5001 prefix 10.0.0.0/8x nexthop 0.0.0.0");
	REJECT(f, 2, "tenet: nexthop '10.0.1': not an IPv4 address (expected A.B.C.D)",
	       "croute add rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.1");
	REJECT(f, 2, "tenet: pa '192.168.4.11': not an IPv4 prefix (expected A.B.C.D/LEN, LEN 0..32)",
	       "pa add 192.168.4.11 dev eth0 host h1");
	REJECT(f, 2, "tenet: prefix '192.168.5.1/24': host bits set (did you mean 192.168.5.0/24?)",
	       "proute add 192.168.5.1/24 dev eth0 via 192.168.4.1 host h1");
	REJECT(f, 2, "tenet: via '192.168.4.300': not an IPv4 address (expected A.B.C.D)",
	       "proute add 192.168.5.0/24 dev eth0 via 192.168.4.300 host h1");
	REJECT(f, 2, "tenet: id 'not-a-guid': not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
	       "rdomain add Woodgrove id not-a-guid");
	REJECT(f, 2, "tenet: rdomain 'Wood/grove': may only contain letters, digits, '_', '.' and '-'",
	       "rdomain add Wood/grove");
	REJECT(f, 2, "tenet: dev 'a-very-long-interface': interface names are 1..15 bytes",
	       "port set dev a-very-long-interface vsid 5001 mac " MAC1 " host h1");
	REJECT(f, 2, "tenet: vlan '4095': outside 0..4094",
	       "pa add 192.168.4.11/24 dev eth0 vlan 4095 host h1");
	REJECT(f, 2, "tenet: metric '-1': not a number",
	       "croute add rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 0.0.0.0 metric -1");
	REJECT(f, 2, "tenet: type 'wildcard': not a record type (static, l2only, gateway, dynamic)",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11 type wildcard");
	REJECT(f, 2, "tenet: type 'dynamic': dynamic records are learned, not configured",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11 type dynamic");
	REJECT(f, 2, "tenet: rule 'encapsulate': not a rule (encap, none)",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11 rule encapsulate");
	REJECT(f, 2, "tenet: --host 'bad/host': may only contain letters, digits, '_', '.' and '-'",
	       "--host=bad/host pa show");
}

static void test_reject_subnet_overlap(void **state)
{
	struct fx *f = *state;

	REJECT(f, 1, "tenet: prefix 10.0.0.128/25: overlaps 10.0.0.0/24 of vsid 5001 in routing domain Contoso",
	       "vsubnet add 5003 rdomain Contoso prefix 10.0.0.128/25");
	REJECT(f, 1, "tenet: prefix 10.0.0.0/16: overlaps 10.0.0.0/24 of vsid 5001 in routing domain Contoso",
	       "vsubnet add 5003 rdomain Contoso prefix 10.0.0.0/16");
	REJECT(f, 1, "tenet: prefix 10.0.2.0/31: a virtual subnet needs at least a /30",
	       "vsubnet add 5003 rdomain Contoso prefix 10.0.2.0/31");
	/* Overlap across routing domains is the point of network virtualization. */
	OK(f, "vsubnet add 6002 rdomain Fabrikam prefix 10.0.1.0/24");
}

static void test_reject_nexthop_without_record(void **state)
{
	struct fx *f = *state;

	REJECT(f, 1, "tenet: nexthop 10.0.1.9: no lookup record in routing domain Contoso",
	       "croute add rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.1.9");
	/* 10.0.0.7 exists, but in Fabrikam: records never cross domains. */
	REJECT(f, 1, "tenet: nexthop 10.0.0.7: no lookup record in routing domain Contoso",
	       "croute add rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.0.7");
	REJECT(f, 1, "tenet: vsid 6001: in routing domain Fabrikam, not Contoso",
	       "croute add rdomain Contoso vsid 6001 prefix 0.0.0.0/0 nexthop 10.0.1.2");
	REJECT(f, 1, "tenet: rdomain Nowhere: no such routing domain",
	       "croute add rdomain Nowhere vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.1.2");
	OK(f, "croute add rdomain Contoso vsid 5002 prefix 0.0.0.0/0 nexthop 10.0.1.2 metric 5");
	OK(f, "croute add rdomain Contoso vsid 5001 prefix 172.16.0.0/12 nexthop 0.0.0.0");
	REJECT(f, 1, "tenet: prefix 0.0.0.0/0: already routed in routing domain Contoso (nexthop 10.0.1.2)",
	       "croute add rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.0.5");
	/* A next hop in use cannot disappear from under its route. */
	REJECT(f, 1, "tenet: ca 10.0.1.2: next hop of customer route 0.0.0.0/0 in routing domain"
		     " Contoso (use force)",
	       "lookup del vsid 5002 ca 10.0.1.2");
	OK(f, "croute replace rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.0.5");
	OK(f, "croute show rdomain Contoso");
	assert_string_equal(f->out,
			    "rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.0.5 metric 0\n"
			    "rdomain Contoso vsid 5001 prefix 172.16.0.0/12 nexthop 0.0.0.0 metric 0\n");
	OK(f, "lookup del vsid 5002 ca 10.0.1.2");
}

static void test_reject_rdomain_del_with_subnets(void **state)
{
	struct fx *f = *state;

	OK(f, "croute add rdomain Contoso vsid 5002 prefix 0.0.0.0/0 nexthop 10.0.1.2");
	REJECT(f, 1, "tenet: rdomain Contoso: still has 2 virtual subnets (use force)",
	       "rdomain del Contoso");
	REJECT(f, 1, "tenet: rdomain Nowhere: no such routing domain", "rdomain del Nowhere");
	/* force takes the domain with everything in it, and nothing else. */
	OK(f, "rdomain del Contoso force");
	OK(f, "rdomain show");
	assert_string_equal(strstr(f->out, "Fabrikam id "), f->out);
	assert_null(strstr(f->out, "Contoso"));
	OK(f, "vsubnet show");
	assert_string_equal(f->out, "6001 rdomain Fabrikam prefix 10.0.0.0/24\n");
	OK(f, "lookup show");
	assert_string_equal(f->out, "vsid 6001 ca 10.0.0.7 mac 00:11:22:33:44:77 pa 192.168.4.12"
				    " type static rule encap\n");
	OK(f, "croute show");
	assert_string_equal(f->out, "");
	OK(f, "rdomain add Contoso");
	OK(f, "vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24");
	/* A domain without subnets goes without force. */
	OK(f, "rdomain add Empty");
	OK(f, "rdomain del Empty");
}

static void test_reject_lookup_without_subnet_or_outside(void **state)
{
	struct fx *f = *state;

	REJECT(f, 1, "tenet: vsid 7000: no virtual subnet with this VSID",
	       "lookup add vsid 7000 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 1, "tenet: ca 10.0.1.5: outside 10.0.0.0/24 of vsid 5001",
	       "lookup add vsid 5001 ca 10.0.1.5 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 1, "tenet: ca 10.0.0.1: the distributed router's address in 10.0.0.0/24",
	       "lookup add vsid 5001 ca 10.0.0.1 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 1, "tenet: ca 10.0.0.255: the broadcast address of 10.0.0.0/24",
	       "lookup add vsid 5001 ca 10.0.0.255 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 1, "tenet: ca 10.0.0.0: the network address of 10.0.0.0/24",
	       "lookup add vsid 5001 ca 10.0.0.0 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 2, "tenet: ca '10.0.0.9': l2only records have no CA IP",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11 type l2only");
	REJECT(f, 1, "tenet: mac 02:54:4e:00:00:01: reserved for the distributed router",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 02:54:4e:00:00:01 pa 192.168.4.11");
	/* Gateway records stand for what lies beyond the VM network. */
	OK(f, "lookup add vsid 5002 ca 0.0.0.0 mac 00:11:22:33:44:99 pa 192.168.4.20 type gateway");
	OK(f, "lookup add vsid 5001 ca 192.0.2.1 mac 00:11:22:33:44:98 pa 192.168.4.20 type gateway");
}

/* ---- usage errors ---- */

static void test_usage_errors(void **state)
{
	struct fx *f = *state;

	REJECT(f, 2, "tenet: unknown object 'frobnicate' (try 'tenet help')", "frobnicate");
	REJECT(f, 2, "tenet: lookup: unknown command 'frob' (try 'tenet lookup help')",
	       "lookup frob");
	REJECT(f, 2, "tenet: lookup add: unknown argument 'colour'",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11 colour red");
	REJECT(f, 2, "tenet: lookup add: missing 'pa IP'",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99");
	REJECT(f, 2, "tenet: lookup add: missing 'ca IP'",
	       "lookup add vsid 5001 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 2, "tenet: lookup add: 'pa' needs a value (IP)",
	       "lookup add vsid 5001 ca 10.0.0.9 mac 00:11:22:33:44:99 pa");
	REJECT(f, 2, "tenet: lookup add: 'vsid' given twice",
	       "lookup add vsid 5001 vsid 5002 ca 10.0.0.9 mac 00:11:22:33:44:99 pa 192.168.4.11");
	REJECT(f, 2, "tenet: lookup del: give one of 'ca IP' or 'mac MAC'", "lookup del vsid 5001");
	REJECT(f, 2, "tenet: vsubnet add: missing VSID", "vsubnet add");
	REJECT(f, 2, "tenet: vsubnet add: missing 'prefix CIDR'", "vsubnet add 5003 rdomain Contoso");
	REJECT(f, 2, "tenet: rdomain add: missing NAME", "rdomain add");
	REJECT(f, 2, "tenet: unknown option '-x' (try 'tenet help')", "-x rdomain show");
	REJECT(f, 2, "tenet: option '--host' needs a value", "--host");
	REJECT(f, 2, "tenet: pa show: 'host' and 'all' exclude each other", "pa show host h1 all");
}

static void test_store_url_errors(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "tenet", "--store", "etcd://127.0.0.1:1", "rdomain", "show", NULL };
	char *out = NULL, *err = NULL;
	size_t ol, el;
	FILE *o = open_memstream(&out, &ol), *e = open_memstream(&err, &el);

	assert_int_equal(tenet_cli_main(5, argv, o, e), 1);
	fclose(o);
	fclose(e);
	assert_string_equal(err, "tenet: etcd 127.0.0.1:1: Couldn't connect to server\n");
	assert_string_equal(out, "");
	free(out);
	free(err);
	(void)f;
}

/* ---- accepted commands and output ---- */

static void test_help_everywhere(void **state)
{
	static const char *const objects[] = {
		"rdomain", "vsubnet", "lookup", "croute", "pa", "proute", "port", "stats",
	};
	struct fx *f = *state;
	char want[64];
	size_t i;

	OK(f, "help");
	assert_non_null(strstr(f->out, "usage: tenet [OPTIONS] OBJECT [VERB [ARGS]]"));
	OK(f, "--help");
	assert_non_null(strstr(f->out, "objects:"));
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		assert_non_null(strstr(f->out, objects[i]));
	for (i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		snprintf(want, sizeof(want), "usage: tenet %s ", objects[i]);
		OK(f, "%s help", objects[i]);
		assert_non_null(strstr(f->out, want));
		OK(f, "help %s", objects[i]);
		assert_non_null(strstr(f->out, want));
	}
	OK(f, "lookup add help");
	assert_non_null(strstr(f->out, "usage: tenet lookup add vsid VSID"));
	OK(f, "port set --help");
	assert_non_null(strstr(f->out, "usage: tenet port set dev IF"));
	/* No object at all: the usage, on stderr, as a usage error, in one
	 * line (the objects are `tenet help`'s). */
	assert_int_equal(run(f, "%s", ""), 2);
	assert_non_null(strstr(f->err, "usage: tenet"));
	assert_string_equal(f->err, "usage: tenet [OPTIONS] OBJECT [VERB [ARGS]] (try 'tenet help')\n");
	assert_string_equal(f->out, "");
	/* Help never opens (or creates) the store. */
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_show_text_and_json(void **state)
{
	struct fx *f = *state;
	json_t *j, *o;
	json_error_t jerr;
	size_t i;

	OK(f, "lookup add vsid 5002 mac 00:11:22:33:44:88 pa 192.168.4.13 type l2only rule none");
	OK(f, "lookup add vsid 5001 ca 10.0.0.10 mac 00:11:22:33:44:56 pa 192.168.4.11");
	OK(f, "lookup show rdomain Contoso");
	/* Numeric order: .5 before .10, VSIDs ascending, l2only last. */
	assert_string_equal(f->out,
		"vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.11 type static rule encap\n"
		"vsid 5001 ca 10.0.0.10 mac 00:11:22:33:44:56 pa 192.168.4.11 type static rule encap\n"
		"vsid 5002 ca 10.0.1.2 mac 00:11:22:33:44:66 pa 192.168.4.12 type static rule encap\n"
		"vsid 5002 mac 00:11:22:33:44:88 pa 192.168.4.13 type l2only rule none\n");
	OK(f, "lookup show vsid 6001");
	assert_string_equal(f->out, "vsid 6001 ca 10.0.0.7 mac 00:11:22:33:44:77 pa 192.168.4.12"
				    " type static rule encap\n");
	OK(f, "lookup show type l2only");
	assert_string_equal(f->out, "vsid 5002 mac 00:11:22:33:44:88 pa 192.168.4.13 type l2only"
				    " rule none\n");

	/* -j: one JSON array, fields as documented, each element decodes to
	 * the same record the text described. */
	OK(f, "-j lookup show rdomain Contoso");
	j = json_loads(f->out, 0, &jerr);
	assert_non_null(j);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 4);
	o = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(o, "ca")), "10.0.0.5");
	assert_int_equal(json_integer_value(json_object_get(o, "vsid")), 5001);
	assert_string_equal(json_string_value(json_object_get(o, "type")), "static");
	assert_null(json_object_get(json_array_get(j, 3), "ca"));
	json_array_foreach(j, i, o) {
		struct tenet_lookup l;

		assert_int_equal(tenet_lookup_from_json(o, &l, NULL), 0);
	}
	json_decref(j);

	OK(f, "-j vsubnet show");
	assert_string_equal(f->out,
		"[{\"vsid\":5001,\"rdomain\":\"Contoso\",\"prefix\":\"10.0.0.0/24\"},"
		"{\"vsid\":5002,\"rdomain\":\"Contoso\",\"prefix\":\"10.0.1.0/24\"},"
		"{\"vsid\":6001,\"rdomain\":\"Fabrikam\",\"prefix\":\"10.0.0.0/24\"}]\n");
	OK(f, "-j croute show");
	assert_string_equal(f->out, "[]\n");
	OK(f, "rdomain show Contoso");
	assert_string_equal(f->out, "Contoso id 1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a\n");
	OK(f, "-j rdomain add Woodgrove");
	j = json_loads(f->out, 0, &jerr);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "id")), 3);
	json_decref(j);
	/* Without a verb, an object shows. */
	OK(f, "vsubnet");
	assert_non_null(strstr(f->out, "5001 rdomain Contoso prefix 10.0.0.0/24\n"));
}

/* A corrupt record in the store: show skips it with a warning and still
 * lists the good ones; the command succeeds. */
static void test_show_skips_corrupt_records(void **state)
{
	struct fx *f = *state;
	struct tenet_store *s;
	struct tenet_txn *t = tenet_txn_new();

	assert_int_equal(tenet_store_open(f->path, &s, NULL), 0);
	tenet_txn_put(t, "/tenet/v1/global/lookup/00005001/ip/10.0.0.9", "{\"vsid\":5001");
	assert_int_equal(tenet_store_commit(s, t, NULL, NULL), 0);
	tenet_txn_free(t);
	tenet_store_close(s);
	assert_int_equal(run(f, "lookup show vsid 5001"), 0);
	assert_string_equal(f->out, "vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.11"
				    " type static rule encap\n");
	assert_string_equal(f->err, "tenet: warning: skipped 1 corrupt record"
				    " (/tenet/v1/global/lookup/00005001/ip/10.0.0.9: value is not"
				    " JSON: '}' expected near end of file)\n");
}

/* What `-j lookup show` prints can be typed back in and means the same. */
static void test_json_round_trip_through_cli(void **state)
{
	struct fx *f = *state;
	char *first;
	json_t *j, *o;
	size_t i;

	OK(f, "-j lookup show");
	first = strdup(f->out);
	j = json_loads(first, 0, NULL);
	assert_non_null(j);
	OK(f, "lookup del vsid 5001 ca 10.0.0.5");
	OK(f, "lookup del vsid 5002 mac " MAC2);
	OK(f, "lookup del vsid 6001 ca 10.0.0.7");
	OK(f, "-j lookup show");
	assert_string_equal(f->out, "[]\n");
	json_array_foreach(j, i, o) {
		OK(f, "lookup add vsid %lld ca %s mac %s pa %s type %s rule %s",
		   (long long)json_integer_value(json_object_get(o, "vsid")),
		   json_string_value(json_object_get(o, "ca")),
		   json_string_value(json_object_get(o, "mac")),
		   json_string_value(json_object_get(o, "pa")),
		   json_string_value(json_object_get(o, "type")),
		   json_string_value(json_object_get(o, "rule")));
	}
	OK(f, "-j lookup show");
	assert_string_equal(f->out, first);
	json_decref(j);
	free(first);
}

static void test_lookup_replace_and_delete(void **state)
{
	struct fx *f = *state;
	int64_t rev = revision(f);

	/* A VM moved to another host: same CA and MAC, new PA. */
	OK(f, "lookup replace vsid 5001 ca 10.0.0.5 mac " MAC1 " pa 192.168.4.99");
	assert_int_equal(revision(f), rev + 1);
	OK(f, "lookup show vsid 5001");
	assert_string_equal(f->out, "vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.99"
				    " type static rule encap\n");
	OK(f, "lookup replace vsid 5001 ca 10.0.0.6 mac 00:11:22:33:44:57 pa 192.168.4.99");
	REJECT(f, 1, "tenet: mac 00:11:22:33:44:57: already used in vsid 5001 (ca 10.0.0.6)",
	       "lookup replace vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:57 pa 192.168.4.99");
	REJECT(f, 1, "tenet: ca 10.0.0.8: no lookup record in vsid 5001",
	       "lookup del vsid 5001 ca 10.0.0.8");
	REJECT(f, 1, "tenet: mac 00:11:22:33:44:00: no lookup record in vsid 5001",
	       "lookup del vsid 5001 mac 00:11:22:33:44:00");
	REJECT(f, 1, "tenet: vsid 7000: no virtual subnet with this VSID",
	       "lookup del vsid 7000 ca 10.0.0.8");
	OK(f, "lookup del vsid 5001 mac 00:11:22:33:44:57");
	OK(f, "lookup show vsid 5001");
	assert_string_equal(f->out, "vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.99"
				    " type static rule encap\n");
}

static void test_vsubnet_del(void **state)
{
	struct fx *f = *state;

	OK(f, "croute add rdomain Contoso vsid 5001 prefix 0.0.0.0/0 nexthop 10.0.1.2");
	REJECT(f, 1, "tenet: vsid 5002: still has 1 lookup record and 1 customer route (use force)",
	       "vsubnet del 5002");
	REJECT(f, 1, "tenet: vsid 5003: no virtual subnet with this VSID", "vsubnet del 5003");
	OK(f, "vsubnet del 5002 force");
	OK(f, "croute show");
	assert_string_equal(f->out, "");
	OK(f, "lookup show rdomain Contoso");
	assert_string_equal(f->out, "vsid 5001 ca 10.0.0.5 mac 00:11:22:33:44:55 pa 192.168.4.11"
				    " type static rule encap\n");
	OK(f, "vsubnet add 5003 rdomain Contoso prefix 10.0.2.0/24");
	OK(f, "vsubnet del 5003");
}

static void test_host_objects(void **state)
{
	struct fx *f = *state;

	OK(f, "pa add 192.168.4.11/24 dev eth0 host h1");
	OK(f, "--host h1 pa add 192.168.6.11/24 dev eth1 vlan 100");
	OK(f, "pa add 192.168.4.12/24 dev eth0 host h2");
	REJECT(f, 1, "tenet: pa 192.168.4.11: already a provider address of host h1",
	       "pa add 192.168.4.11/24 dev eth0 host h2");
	REJECT(f, 1, "tenet: pa 192.168.4.11: already a provider address of host h1",
	       "pa add 192.168.4.11/24 dev eth0 host h1");
	OK(f, "pa replace 192.168.4.11/16 dev eth2 host h1");
	OK(f, "pa show host h1");
	assert_string_equal(f->out, "192.168.4.11/16 dev eth2 vlan 0 host h1\n"
				    "192.168.6.11/24 dev eth1 vlan 100 host h1\n");
	OK(f, "pa show all");
	assert_non_null(strstr(f->out, "host h2\n"));
	OK(f, "pa del 192.168.6.11 host h1");
	REJECT(f, 1, "tenet: pa 192.168.6.11: not a provider address of host h1",
	       "pa del 192.168.6.11/24 host h1");

	OK(f, "proute add 192.168.5.0/24 dev eth0 via 192.168.4.1 host h1");
	OK(f, "proute add 10.10.0.0/16 dev eth0 host h1");
	REJECT(f, 1, "tenet: prefix 192.168.5.0/24: already has a provider route on host h1",
	       "proute add 192.168.5.0/24 dev eth0 via 192.168.4.2 host h1");
	OK(f, "proute replace 192.168.5.0/24 dev eth0 via 192.168.4.2 host h1");
	OK(f, "--host h1 proute show");
	assert_string_equal(f->out, "10.10.0.0/16 dev eth0 host h1\n"
				    "192.168.5.0/24 dev eth0 via 192.168.4.2 host h1\n");
	OK(f, "-j --host h1 proute");
	assert_string_equal(f->out,
		"[{\"host\":\"h1\",\"prefix\":\"10.10.0.0/16\",\"dev\":\"eth0\"},"
		"{\"host\":\"h1\",\"prefix\":\"192.168.5.0/24\",\"dev\":\"eth0\",\"via\":\"192.168.4.2\"}]\n");
	OK(f, "proute del 10.10.0.0/16 host h1");
	REJECT(f, 1, "tenet: prefix 10.10.0.0/16: no provider route on host h1",
	       "proute del 10.10.0.0/16 host h1");

	OK(f, "port set dev veth1 vsid 5001 mac " MAC1 " host h1");
	OK(f, "port set dev veth1 vsid 5002 mac " MAC2 " host h1");
	REJECT(f, 1, "tenet: dev veth1: already a port on host h1",
	       "port add dev veth1 vsid 5001 mac " MAC1 " host h1");
	REJECT(f, 1, "tenet: mac 00:11:22:33:44:66: already used by port veth1 on host h1",
	       "port set dev veth2 vsid 5001 mac " MAC2 " host h1");
	REJECT(f, 1, "tenet: vsid 7000: no virtual subnet with this VSID",
	       "port set dev veth2 vsid 7000 mac " MAC3 " host h1");
	OK(f, "port set dev veth2 vsid 5001 mac " MAC2 " host h2");
	OK(f, "port show host h1");
	assert_string_equal(f->out, "dev veth1 vsid 5002 mac 00:11:22:33:44:66 host h1\n");
	OK(f, "port del dev veth1 host h1");
	REJECT(f, 1, "tenet: dev veth1: not a port on host h1", "port del dev veth1 host h1");
	OK(f, "port show host h1");
	assert_string_equal(f->out, "");
}

static void test_default_host_is_hostname(void **state)
{
	struct fx *f = *state;
	char host[256], want[512];

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	OK(f, "port set dev veth9 vsid 5001 mac " MAC1);
	OK(f, "port show");
	snprintf(want, sizeof(want), "dev veth9 vsid 5001 mac 00:11:22:33:44:55 host %s\n", host);
	assert_string_equal(f->out, want);
}

static void test_stats_not_pinned(void **state)
{
	struct fx *f = *state;
	char line[512];

	snprintf(line, sizeof(line), "tenet: stats: no drop counters pinned at %s/h1/v%d/"
		 TENET_MAP_DROPS " (is tenetd running?)\n", f->dir, TENET_LAYOUT_VERSION);
	assert_int_equal(run(f, "--pin-root %s stats host h1", f->dir), 1);
	assert_string_equal(f->err, line);
	assert_string_equal(f->out, "");
	REJECT(f, 2, "tenet: stats show: unknown argument 'bogus'", "stats bogus");
}

/* Pin fd where the CLI looks for host h1's map name under the fixture's
 * pin root: <dir>/h1/v<layout>/<name>. */
static void pin_for_h1(struct fx *f, int fd, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/h1", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/h1/v%d", f->dir, TENET_LAYOUT_VERSION);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/h1/v%d/%s", f->dir, TENET_LAYOUT_VERSION, name);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
}

/* With bpffs available (root), a real per-CPU map pinned where tenetd
 * pins it is summed over CPUs and printed per reason. */
static void test_stats_reads_pinned_map(void **state)
{
	struct fx *f = *state;
	struct tenet_drop_val *vals;
	char path[512];
	int fd, ncpu = libbpf_num_possible_cpus(), i;
	__u32 key = TENET_DROP_NO_PORT;
	json_t *j, *o;
	size_t k;
	bool seen = false;

	/* The suite runs as root (make check); no bpffs is a failure, not a skip. */
	if (mount("bpf", f->dir, "bpf", 0, NULL) < 0)
		fail_msg("cannot mount bpffs on %s: %s", f->dir, strerror(errno));
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, TENET_MAP_DROPS, sizeof(__u32),
			    sizeof(struct tenet_drop_val), TENET_DROP_MAX, NULL);
	if (fd < 0) {
		umount(f->dir);
		fail_msg("cannot create a BPF map: %s", strerror(errno));
	}
	vals = calloc((size_t)ncpu, sizeof(*vals));
	for (i = 0; i < ncpu; i++) {
		vals[i].packets = 2;
		vals[i].bytes = 100;
	}
	assert_int_equal(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	pin_for_h1(f, fd, TENET_MAP_DROPS);

	OK(f, "--pin-root %s -j stats host h1", f->dir);
	j = json_loads(f->out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), TENET_DROP_MAX - 1);
	json_array_foreach(j, k, o) {
		const char *reason = json_string_value(json_object_get(o, "reason"));

		if (strcmp(reason, tenet_drop_name(TENET_DROP_NO_PORT)))
			continue;
		seen = true;
		assert_int_equal(json_integer_value(json_object_get(o, "packets")), 2 * ncpu);
		assert_int_equal(json_integer_value(json_object_get(o, "bytes")), 100 * ncpu);
	}
	assert_true(seen);
	json_decref(j);
	OK(f, "--pin-root %s stats host h1", f->dir);
	snprintf(path, sizeof(path), "%s packets %d bytes %d\n",
		 tenet_drop_name(TENET_DROP_NO_PORT), 2 * ncpu, 100 * ncpu);
	assert_non_null(strstr(f->out, path));
	close(fd);
	free(vals);
	umount(f->dir);
}

/* tenet stats learn: the learning counters, summed over CPUs, by name. */
static void test_stats_learn(void **state)
{
	struct fx *f = *state;
	__u64 *vals;
	char line[512];
	int fd, ncpu = libbpf_num_possible_cpus(), i;
	__u32 key = TENET_LSTAT_DEDUPED;
	json_t *j;

	snprintf(line, sizeof(line), "tenet: stats: no learning counters pinned at %s/h1/v%d/"
		 TENET_MAP_LEARN_STATS " (is tenetd running?)\n", f->dir, TENET_LAYOUT_VERSION);
	assert_int_equal(run(f, "--pin-root %s stats learn host h1", f->dir), 1);
	assert_string_equal(f->err, line);
	REJECT(f, 2, "tenet: stats learn: unknown argument 'bogus'", "stats learn bogus");

	if (mount("bpf", f->dir, "bpf", 0, NULL) < 0)
		fail_msg("cannot mount bpffs on %s: %s", f->dir, strerror(errno));
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, TENET_MAP_LEARN_STATS, sizeof(__u32),
			    sizeof(__u64), TENET_LSTAT_MAX, NULL);
	if (fd < 0) {
		umount(f->dir);
		fail_msg("cannot create a BPF map: %s", strerror(errno));
	}
	vals = calloc((size_t)ncpu, sizeof(*vals));
	for (i = 0; i < ncpu; i++)
		vals[i] = 3;
	assert_int_equal(bpf_map_update_elem(fd, &key, vals, BPF_ANY), 0);
	pin_for_h1(f, fd, TENET_MAP_LEARN_STATS);
	OK(f, "--pin-root %s stats learn host h1", f->dir);
	snprintf(line, sizeof(line), "events value 0\ndeduped value %d\nratelimited value 0\n"
		 "denied value 0\narp-copies value 0\n", 3 * ncpu);
	assert_string_equal(f->out, line);
	OK(f, "--pin-root %s -j stats learn host h1", f->dir);
	j = json_loads(f->out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), TENET_LSTAT_MAX);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "counter")),
			    "deduped");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 1), "value")),
			 3 * ncpu);
	json_decref(j);
	close(fd);
	free(vals);
	umount(f->dir);
}

/* Several CLI processes at once: validated writes serialise, nothing is
 * lost and routing-domain ids stay unique. */
static void test_concurrent_cli_writers(void **state)
{
	struct fx *f = *state;
	pid_t pids[2];
	json_t *j, *o;
	size_t i;
	int p, status;
	uint32_t ids[64] = { 0 };

	OK(f, "store init");
	for (p = 0; p < 2; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			int n, bad = 0;

			for (n = 0; n < 15; n++) {
				/* A failure names itself: the parent only sees the status. */
				if (run(f, "rdomain add T%d-%d", p, n)) {
					fprintf(stderr, "writer %d: rdomain add: %s", p, f->err);
					bad = 1;
				}
				if (run(f, "vsubnet add %d rdomain T%d-%d prefix 10.%d.%d.0/24",
					10000 + p * 100 + n, p, n, p, n)) {
					fprintf(stderr, "writer %d: vsubnet add: %s", p, f->err);
					bad = 1;
				}
			}
			_exit(bad);
		}
	}
	for (p = 0; p < 2; p++) {
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	OK(f, "-j rdomain show");
	j = json_loads(f->out, 0, NULL);
	assert_int_equal(json_array_size(j), 30);
	json_array_foreach(j, i, o) {
		json_int_t id = json_integer_value(json_object_get(o, "id"));

		assert_true(id >= 1 && id <= 30);
		assert_int_equal(ids[id], 0);
		ids[id] = 1;
	}
	json_decref(j);
	OK(f, "-j vsubnet show");
	j = json_loads(f->out, 0, NULL);
	assert_int_equal(json_array_size(j), 30);
	json_decref(j);
}

/* ---- the store must exist (issue 14) ---- */

static void test_store_must_exist(void **state)
{
	struct fx *f = *state;
	char want[1024];
	int64_t rev;

	/* No command but `store init` creates a store: a mistyped --store is
	 * an error, not an empty store. */
	snprintf(want, sizeof(want), "tenet: no store at %s (create it with 'tenet store "
		 "init')\n", f->path);
	assert_int_equal(run(f, "rdomain show"), 1);
	assert_string_equal(f->err, want);
	assert_string_equal(f->out, "");
	assert_int_equal(run(f, "rdomain add Contoso"), 1);
	assert_string_equal(f->err, want);
	assert_int_equal(run(f, "store show"), 1);
	assert_string_equal(f->err, want);
	assert_int_equal(access(f->path, F_OK), -1);

	OK(f, "store init");
	snprintf(want, sizeof(want), "created: store %s revision 0 keys 0\n", f->path);
	assert_string_equal(f->out, want);
	OK(f, "rdomain add Contoso");
	/* Again: nothing changes, it says so. */
	rev = revision(f);
	OK(f, "store init");
	snprintf(want, sizeof(want), "exists: store %s revision %lld keys 2\n", f->path,
		 (long long)rev);
	assert_string_equal(f->out, want);
	assert_int_equal(revision(f), rev);
	OK(f, "-j store show");
	snprintf(want, sizeof(want), "[{\"store\":\"%s\",\"revision\":%lld,\"keys\":2}]\n",
		 f->path, (long long)rev);
	assert_string_equal(f->out, want);
	REJECT(f, 2, "tenet: store init: unknown argument 'x'", "store init x");

	/* The confirmation flag: a key written after everything so far. */
	OK(f, "store accept-deletions");
	snprintf(want, sizeof(want), "deletions refused before revision %lld are accepted\n",
		 (long long)rev + 1);
	assert_string_equal(f->out, want);
	assert_int_equal(revision(f), rev + 1);
}

/* ---- minor defects of issue 14 ---- */

static void test_error_lines_escape_control_chars(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "tenet", "--store", f->path, "rdomain", "add", "evil\ntenet: ok\t\x1b[0m",
			 NULL };
	char *out = NULL, *err = NULL;
	size_t ol, el;
	FILE *o = open_memstream(&out, &ol), *e = open_memstream(&err, &el);

	assert_int_equal(tenet_cli_main(6, argv, o, e), 2);
	fclose(o);
	fclose(e);
	/* One line: the newline, tab and escape are shown, not obeyed. */
	assert_string_equal(err, "tenet: rdomain 'evil\\ntenet: ok\\t\\x1b[0m': may only contain letters, "
				 "digits, '_', '.' and '-'\n");
	assert_string_equal(out, "");
	free(out);
	free(err);
	REJECT(f, 2, "tenet: unknown object 'a\\rb' (try 'tenet help')", "a\rb");
}

static void test_batch_directory_fails(void **state)
{
	struct fx *f = *state;
	int64_t rev = revision(f);

	assert_int_equal(run(f, "batch %s", f->dir), 1);
	assert_string_equal(f->out, "");
	{
		char want[512];

		snprintf(want, sizeof(want), "tenet: batch: %s: Is a directory\n", f->dir);
		assert_string_equal(f->err, want);
	}
	assert_int_equal(revision(f), rev);
}

/* A stream that gives `text`, then fails with EIO: a disk that errs in
 * the middle of a batch file. */
static ssize_t eio_read(void *cookie, char *buf, size_t size)
{
	const char **text = cookie;
	size_t n = strlen(*text);

	if (!n) {
		errno = EIO;
		return -1;
	}
	if (n > size)
		n = size;
	memcpy(buf, *text, n);
	*text += n;
	return (ssize_t)n;
}

static void test_batch_read_error_fails(void **state)
{
	struct fx *f = *state;
	const char *text = "rdomain add Batch1\nrdomain add Batch2\n";
	cookie_io_functions_t io = { .read = eio_read };
	FILE *saved = stdin;

	stdin = fopencookie(&text, "r", io);
	assert_non_null(stdin);
	assert_int_equal(run(f, "batch -"), 1);
	fclose(stdin);
	stdin = saved;
	/* What was read ran; the error says where the read stopped. */
	assert_string_equal(f->err, "tenet: batch: -: read error after line 2: Input/output error\n");
	OK(f, "rdomain show Batch2");
	assert_non_null(strstr(f->out, "Batch2"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_tenants, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reject_vsid_range),
		T(test_reject_vsid_in_other_rdomain),
		T(test_reject_duplicate_ca),
		T(test_reject_duplicate_mac),
		T(test_reject_malformed_values),
		T(test_reject_subnet_overlap),
		T(test_reject_nexthop_without_record),
		T(test_reject_rdomain_del_with_subnets),
		T(test_reject_lookup_without_subnet_or_outside),
		T(test_usage_errors),
		cmocka_unit_test_setup_teardown(test_store_url_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_everywhere, setup, teardown),
		T(test_show_text_and_json),
		T(test_json_round_trip_through_cli),
		T(test_show_skips_corrupt_records),
		T(test_lookup_replace_and_delete),
		T(test_vsubnet_del),
		T(test_host_objects),
		T(test_default_host_is_hostname),
		cmocka_unit_test_setup_teardown(test_stats_not_pinned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_reads_pinned_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_learn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_cli_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_must_exist, setup, teardown),
		T(test_error_lines_escape_control_chars),
		T(test_batch_directory_fails),
		T(test_batch_read_error_fails),
	};
#undef T

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}

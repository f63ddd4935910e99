// SPDX-License-Identifier: GPL-2.0
/* lib/policy/ through its API, as the agent uses it: learned (dynamic)
 * records, listing with corrupt records in the store, and the guard keys
 * that make validated writes safe against each other without making
 * writers in different routing domains wait for each other. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "policy/engine.h"
#include "policy/policy.h"
#include "testutil.h"

struct fx {
	char *dir;
	char *path;
	struct tenet_store *s;
};

static void put_ok(struct tenet_store *s, struct tenet_record *r, unsigned int flags)
{
	struct tenet_err err = { 0 };

	if (tenet_policy_put(s, r, flags, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static struct tenet_record lookup(uint32_t vsid, const char *ca, const char *mac, const char *pa,
				  enum tenet_lookup_type type)
{
	struct tenet_record r = { .kind = TENET_KIND_LOOKUP };

	r.lookup.vsid = vsid;
	r.lookup.has_ca = ca != NULL;
	if (ca)
		assert_int_equal(tenet_parse_ipv4(ca, &r.lookup.ca, NULL), 0);
	assert_int_equal(tenet_parse_mac(mac, r.lookup.mac, NULL), 0);
	assert_int_equal(tenet_parse_ipv4(pa, &r.lookup.pa, NULL), 0);
	r.lookup.type = type;
	return r;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };
	char *path;

	f->dir = tu_mkdtemp();
	assert_true(asprintf(&path, "%s/store.db", f->dir) > 0);
	assert_int_equal(tenet_store_open(path, &f->s, NULL), 0);
	f->path = path;
	strcpy(r.rdomain.name, "Contoso");
	put_ok(f->s, &r, 0);
	assert_int_equal(r.rdomain.id, 1);
	r = (struct tenet_record){ .kind = TENET_KIND_VSUBNET };
	r.vsubnet.vsid = 5001;
	strcpy(r.vsubnet.rdomain, "Contoso");
	tenet_parse_prefix("10.0.0.0/24", &r.vsubnet.prefix, NULL);
	put_ok(f->s, &r, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_store_close(f->s);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* A run of writes (tenet_policy_memo_begin) answers the MAC check as a
 * read of the store would: against its own earlier writes, replaces and
 * deletes, against what was there, and against what another handle
 * wrote meanwhile; the same one-line errors. */
static void test_memo_mac_unique(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_store *o;
	struct tenet_record r;
	int i;

	assert_int_equal(tenet_store_open(f->path, &o, NULL), 0);
	r = lookup(5001, NULL, "02:00:00:00:00:0f", "192.168.4.12", TENET_LOOKUP_L2ONLY);
	put_ok(f->s, &r, 0);
	assert_int_equal(tenet_policy_memo_begin(f->s), 0);
	assert_int_equal(tenet_policy_memo_begin(f->s), -EBUSY);
	for (i = 0; i < 2; i++) {
		r = lookup(5001, i ? "10.0.0.21" : "10.0.0.20", i ? "02:00:00:00:00:02" :
			   "02:00:00:00:00:01", "192.168.4.11", TENET_LOOKUP_STATIC);
		put_ok(f->s, &r, 0);
	}
	/* Within the run. */
	r = lookup(5001, "10.0.0.22", "02:00:00:00:00:01", "192.168.4.11", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "mac 02:00:00:00:00:01: already used in vsid 5001 (ca 10.0.0.20)");
	/* Against what the store had. */
	r = lookup(5001, "10.0.0.22", "02:00:00:00:00:0f", "192.168.4.11", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "mac 02:00:00:00:00:0f: already used in vsid 5001 (l2only record)");
	/* A replace frees the old MAC and takes the new one. */
	r = lookup(5001, "10.0.0.20", "02:00:00:00:00:03", "192.168.4.11", TENET_LOOKUP_STATIC);
	put_ok(f->s, &r, TENET_POLICY_REPLACE);
	r = lookup(5001, "10.0.0.23", "02:00:00:00:00:01", "192.168.4.11", TENET_LOOKUP_STATIC);
	put_ok(f->s, &r, 0);
	r = lookup(5001, "10.0.0.24", "02:00:00:00:00:03", "192.168.4.11", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "mac 02:00:00:00:00:03: already used in vsid 5001 (ca 10.0.0.20)");
	/* A delete frees it. */
	r = lookup(5001, "10.0.0.21", "02:00:00:00:00:02", "192.168.4.11", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_del(f->s, &r, 0, NULL, &err), 0);
	r = lookup(5001, "10.0.0.25", "02:00:00:00:00:02", "192.168.4.11", TENET_LOOKUP_STATIC);
	put_ok(f->s, &r, 0);
	/* Another writer's record is seen. */
	r = lookup(5001, "10.0.0.26", "02:00:00:00:00:04", "192.168.4.11", TENET_LOOKUP_STATIC);
	put_ok(o, &r, 0);
	r = lookup(5001, "10.0.0.27", "02:00:00:00:00:04", "192.168.4.11", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "mac 02:00:00:00:00:04: already used in vsid 5001 (ca 10.0.0.26)");
	/* Others' writes of other kinds keep the memo (the store's log says
	 * no lookup record changed), but not when a lookup record came
	 * first: the check looks at every revision in between. */
	r = lookup(5001, "10.0.0.28", "02:00:00:00:00:05", "192.168.4.11", TENET_LOOKUP_STATIC);
	put_ok(o, &r, 0);
	for (i = 0; i < 2; i++) {
		struct tenet_record v = { .kind = TENET_KIND_VSUBNET };

		v.vsubnet.vsid = 5002 + i;
		strcpy(v.vsubnet.rdomain, "Contoso");
		tenet_parse_prefix(i ? "10.0.2.0/24" : "10.0.1.0/24", &v.vsubnet.prefix, NULL);
		put_ok(o, &v, 0);
		r = lookup(5001, "10.0.0.29", i ? "02:00:00:00:00:03" : "02:00:00:00:00:05",
			   "192.168.4.11", TENET_LOOKUP_STATIC);
		assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EEXIST);
		assert_string_equal(err.msg, i ? "mac 02:00:00:00:00:03: already used in vsid 5001 (ca 10.0.0.20)"
					       : "mac 02:00:00:00:00:05: already used in vsid 5001 (ca 10.0.0.28)");
	}
	tenet_policy_memo_end(f->s);
	/* Without the memo: the same answers. */
	r = lookup(5001, "10.0.0.22", "02:00:00:00:00:01", "192.168.4.11", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "mac 02:00:00:00:00:01: already used in vsid 5001 (ca 10.0.0.23)");
	tenet_store_close(o);
}

static void test_learned_records(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record st = lookup(5001, "10.0.0.5", "00:11:22:33:44:55", "192.168.4.11",
					TENET_LOOKUP_STATIC);
	struct tenet_record l2 = lookup(5001, NULL, "00:11:22:33:44:66", "192.168.4.12",
					TENET_LOOKUP_L2ONLY);
	struct tenet_record dyn = lookup(5001, "10.0.0.6", "00:11:22:33:44:66", "192.168.4.12",
					 TENET_LOOKUP_STATIC);
	struct tenet_record_list l;
	int64_t rev;

	put_ok(f->s, &st, 0);
	put_ok(f->s, &l2, 0);
	/* Learned through the l2only record: same MAC, now with its IP. */
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), 0);
	/* The VM moved: its l2only record follows it (VMM's job), and
	 * learning again at the new PA updates the dynamic record. */
	tenet_parse_ipv4("192.168.4.13", &l2.lookup.pa, NULL);
	put_ok(f->s, &l2, TENET_POLICY_REPLACE);
	tenet_parse_ipv4("192.168.4.13", &dyn.lookup.pa, NULL);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, &rev, &err), 0);
	/* A learned binding never overrides a configured one. */
	dyn = lookup(5001, "10.0.0.5", "00:11:22:33:44:77", "192.168.4.14", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "ca 10.0.0.5: already has a static record in vsid 5001");
	/* Nor one outside the subnet. */
	dyn = lookup(5001, "10.0.1.5", "00:11:22:33:44:78", "192.168.4.14", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "ca 10.0.1.5: outside 10.0.0.0/24 of vsid 5001");

	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_LOOKUP, NULL, &l, &err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.recs[1].lookup.type, TENET_LOOKUP_DYNAMIC);
	assert_int_equal(l.recs[1].lookup.ca, htonl(0x0a000006));
	assert_int_equal(l.recs[1].lookup.pa, htonl(0xc0a8040d));
	assert_int_equal(l.recs[2].lookup.type, TENET_LOOKUP_L2ONLY);
	assert_int_equal(l.rev, rev);
	tenet_record_list_free(&l);
}

/* A host teaches bindings only for MACs it holds: the l2only record of
 * the MAC must name the PA the binding comes from. */
static void test_learned_needs_l2only_at_pa(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record l2 = lookup(5001, NULL, "00:11:22:33:44:66", "192.168.4.12",
					TENET_LOOKUP_L2ONLY);
	struct tenet_record dyn = lookup(5001, "10.0.0.6", "00:11:22:33:44:66", "192.168.4.99",
					 TENET_LOOKUP_DYNAMIC);
	struct tenet_record_list l;
	int64_t r1, r2;

	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), -EPERM);
	assert_string_equal(err.msg, "mac 00:11:22:33:44:66: no l2only record in vsid 5001; "
				     "not learned");
	put_ok(f->s, &l2, 0);
	assert_int_equal(tenet_store_revision(f->s, &r1, NULL), 0);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), -EPERM);
	assert_string_equal(err.msg, "mac 00:11:22:33:44:66: its l2only record in vsid 5001 is "
				     "at pa 192.168.4.12, not 192.168.4.99; not learned");
	assert_int_equal(tenet_store_revision(f->s, &r2, NULL), 0);
	assert_int_equal(r1, r2);       /* refused: nothing written */
	/* The MAC may carry several IPs: one dynamic record each. */
	tenet_parse_ipv4("192.168.4.12", &dyn.lookup.pa, NULL);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), 0);
	tenet_parse_ipv4("10.0.0.16", &dyn.lookup.ca, NULL);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), 0);
	/* A static record elsewhere with that MAC still conflicts. */
	dyn = lookup(5001, "10.0.0.26", "00:11:22:33:44:66", "192.168.4.12", TENET_LOOKUP_STATIC);
	assert_int_equal(tenet_policy_put(f->s, &dyn, 0, NULL, &err), -EEXIST);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_LOOKUP, NULL, &l, &err), 0);
	assert_int_equal(l.n, 3);
	tenet_record_list_free(&l);
}

/* Aging deletes a dynamic record only while it is the binding aged. */
static void test_unlearn(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record l2 = lookup(5001, NULL, "00:11:22:33:44:66", "192.168.4.12",
					TENET_LOOKUP_L2ONLY);
	struct tenet_record dyn = lookup(5001, "10.0.0.6", "00:11:22:33:44:66", "192.168.4.12",
					 TENET_LOOKUP_DYNAMIC);
	struct tenet_record st = lookup(5001, "10.0.0.5", "00:11:22:33:44:55", "192.168.4.11",
					TENET_LOOKUP_STATIC);
	struct tenet_lookup aged;
	struct tenet_record_list l;
	struct tenet_kv kv;

	put_ok(f->s, &l2, 0);
	put_ok(f->s, &st, 0);
	assert_int_equal(tenet_policy_learned(f->s, &dyn.lookup, NULL, &err), 0);
	/* Relearned at another PA since: left alone. */
	aged = dyn.lookup;
	tenet_parse_ipv4("192.168.4.13", &aged.pa, NULL);
	assert_int_equal(tenet_policy_unlearn(f->s, &aged, NULL, &err), -ESTALE);
	/* A static record is never aged. */
	aged = st.lookup;
	assert_int_equal(tenet_policy_unlearn(f->s, &aged, NULL, &err), -ESTALE);
	assert_int_equal(tenet_store_get(f->s, "/tenet/v1/global/lookup/00005001/ip/10.0.0.5",
					 &kv, NULL), 0);
	tenet_kv_clear(&kv);
	/* The binding as learned: deleted; the l2only record stays. */
	assert_int_equal(tenet_policy_unlearn(f->s, &dyn.lookup, NULL, &err), 0);
	assert_int_equal(tenet_policy_unlearn(f->s, &dyn.lookup, NULL, &err), -ENOENT);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_LOOKUP, NULL, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.recs[0].lookup.type, TENET_LOOKUP_STATIC);
	assert_int_equal(l.recs[1].lookup.type, TENET_LOOKUP_L2ONLY);
	tenet_record_list_free(&l);
}

/* Every validated write moves the guard key of what it changes; a writer
 * that read before someone else's write cannot commit on what it read.
 * A lookup record is in its routing domain's scope: the global serial
 * stays where the subnet's write left it. */
static void test_serial_key(void **state)
{
	struct fx *f = *state;
	struct tenet_record r = lookup(5001, "10.0.0.5", "00:11:22:33:44:55", "192.168.4.11",
				       TENET_LOOKUP_STATIC);
	struct tenet_kv kv;
	int64_t mod, global, rev;

	assert_int_equal(tenet_store_get(f->s, TENET_KEY_SERIAL, &kv, NULL), 0);
	global = kv.mod_rev;
	tenet_kv_clear(&kv);
	mod = 0;        /* the routing domain's guard: nothing written in it yet */
	assert_int_equal(tenet_policy_put(f->s, &r, 0, &rev, NULL), 0);
	assert_int_equal(tenet_store_get(f->s, TENET_KEY_GUARD_RDOMAIN "Contoso", &kv, NULL), 0);
	assert_true(kv.mod_rev > mod);
	assert_int_equal(kv.mod_rev, rev);
	tenet_kv_clear(&kv);
	assert_int_equal(tenet_store_get(f->s, TENET_KEY_SERIAL, &kv, NULL), 0);
	assert_int_equal(kv.mod_rev, global);
	tenet_kv_clear(&kv);
	/* Guard keys are not records: watchers skip them. */
	assert_int_equal(tenet_record_from_key(TENET_KEY_GUARD_RDOMAIN "Contoso", &r, NULL),
			 -ENOENT);
}

/* ---- concurrency: who retries whom ----
 * The commit hook runs a second writer (on its own store handle) between
 * the first writer's checks and its commit: the worst moment. */

struct race {
	struct tenet_store *s2;
	struct tenet_record other;
	unsigned int other_flags;
	int attempts;           /* of the first writer, that got to commit */
	int other_ret;
	struct tenet_err other_err;
};

static void race_hook(void *arg, int attempt)
{
	struct race *r = arg;

	r->attempts++;
	if (attempt > 0)
		return;
	pol_set_commit_hook(NULL, NULL);
	r->other_ret = tenet_policy_put(r->s2, &r->other, r->other_flags, NULL, &r->other_err);
	pol_set_commit_hook(race_hook, r);
}

/* put rec while race->other is written in between; returns put's result. */
static int put_racing(struct fx *f, struct race *race, struct tenet_record *rec,
		      struct tenet_err *err)
{
	int ret;

	assert_int_equal(tenet_store_open(f->path, &race->s2, NULL), 0);
	race->attempts = 0;
	race->other_ret = 1;
	pol_set_commit_hook(race_hook, race);
	ret = tenet_policy_put(f->s, rec, 0, NULL, err);
	pol_set_commit_hook(NULL, NULL);
	tenet_store_close(race->s2);
	if (race->other_ret)
		fail_msg("the other writer failed: %s", race->other_err.msg);
	return ret;
}

static void add_domain(struct fx *f, const char *name, uint32_t vsid, const char *prefix)
{
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };

	strcpy(r.rdomain.name, name);
	put_ok(f->s, &r, 0);
	r = (struct tenet_record){ .kind = TENET_KIND_VSUBNET };
	r.vsubnet.vsid = vsid;
	strcpy(r.vsubnet.rdomain, name);
	tenet_parse_prefix(prefix, &r.vsubnet.prefix, NULL);
	put_ok(f->s, &r, 0);
}

static size_t count(struct fx *f, enum tenet_kind kind)
{
	struct tenet_record_list l;
	size_t n;

	assert_int_equal(tenet_policy_list(f->s, kind, NULL, &l, NULL), 0);
	n = l.n;
	tenet_record_list_free(&l);
	return n;
}

/* Lookup writes in different routing domains do not make each other
 * retry; in the same domain they do, and a real conflict is found. */
static void test_guards_per_rdomain(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct race race = { 0 };
	struct tenet_record a;

	add_domain(f, "Fabrikam", 6001, "10.0.0.0/24");
	a = lookup(5001, "10.0.0.5", "00:11:22:33:44:55", "192.168.4.11", TENET_LOOKUP_STATIC);
	race.other = lookup(6001, "10.0.0.5", "00:11:22:33:44:56", "192.168.4.12",
			    TENET_LOOKUP_STATIC);
	assert_int_equal(put_racing(f, &race, &a, &err), 0);
	assert_int_equal(race.attempts, 1);
	assert_int_equal(count(f, TENET_KIND_LOOKUP), 2);

	/* Same domain, no conflict: the first writer checks again, commits. */
	a = lookup(5001, "10.0.0.6", "00:11:22:33:44:57", "192.168.4.11", TENET_LOOKUP_STATIC);
	race.other = lookup(5001, "10.0.0.7", "00:11:22:33:44:58", "192.168.4.12",
			    TENET_LOOKUP_STATIC);
	assert_int_equal(put_racing(f, &race, &a, &err), 0);
	assert_int_equal(race.attempts, 2);
	assert_int_equal(count(f, TENET_KIND_LOOKUP), 4);

	/* Same domain, same CA: the checks that ran before the other write
	 * would have let both in; the retry sees it. */
	a = lookup(5001, "10.0.0.8", "00:11:22:33:44:59", "192.168.4.11", TENET_LOOKUP_STATIC);
	race.other = lookup(5001, "10.0.0.8", "00:11:22:33:44:5a", "192.168.4.12",
			    TENET_LOOKUP_STATIC);
	assert_int_equal(put_racing(f, &race, &a, &err), -EEXIST);
	assert_string_equal(err.msg, "ca 10.0.0.8: already used in routing domain Contoso "
				     "(vsid 5001, mac 00:11:22:33:44:5a)");
	assert_int_equal(race.attempts, 1);
	assert_int_equal(count(f, TENET_KIND_LOOKUP), 5);
}

/* A new subnet changes what every domain's writers read (which VSID is
 * where): they check again. Per-host writes of two hosts do not. */
static void test_guards_global_and_host(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct race race = { 0 };
	struct tenet_record a = lookup(5001, "10.0.0.5", "00:11:22:33:44:55", "192.168.4.11",
				       TENET_LOOKUP_STATIC);

	race.other = (struct tenet_record){ .kind = TENET_KIND_VSUBNET };
	race.other.vsubnet.vsid = 5002;
	strcpy(race.other.vsubnet.rdomain, "Contoso");
	tenet_parse_prefix("10.0.1.0/24", &race.other.vsubnet.prefix, NULL);
	assert_int_equal(put_racing(f, &race, &a, &err), 0);
	assert_int_equal(race.attempts, 2);

	a = (struct tenet_record){ .kind = TENET_KIND_PORT };
	strcpy(a.port.host, "h1");
	strcpy(a.port.dev, "veth1");
	a.port.vsid = 5001;
	tenet_parse_mac("00:11:22:33:44:66", a.port.mac, NULL);
	race.other = a;
	strcpy(race.other.port.host, "h2");
	assert_int_equal(put_racing(f, &race, &a, &err), 0);
	assert_int_equal(race.attempts, 1);
	/* ... and two writes of one host do. */
	strcpy(a.port.dev, "veth2");
	tenet_parse_mac("00:11:22:33:44:67", a.port.mac, NULL);
	strcpy(race.other.port.host, "h1");
	strcpy(race.other.port.dev, "veth3");
	tenet_parse_mac("00:11:22:33:44:68", race.other.port.mac, NULL);
	assert_int_equal(put_racing(f, &race, &a, &err), 0);
	assert_int_equal(race.attempts, 2);
	assert_int_equal(count(f, TENET_KIND_PORT), 4);
}

static void count_attempt(void *arg, int attempt)
{
	if (attempt > 0)
		++*(int *)arg;
}

#define RACE_WRITES 40

/* Two processes writing lookup records as fast as they can, each in its
 * own routing domain: not one retry. */
static void test_concurrent_rdomains_no_retry(void **state)
{
	struct fx *f = *state;
	pid_t pids[2];
	int p, status, go[2];
	char c;

	add_domain(f, "Fabrikam", 6001, "10.0.0.0/24");
	assert_int_equal(pipe(go), 0);
	for (p = 0; p < 2; p++) {
		pids[p] = fork();
		assert_true(pids[p] >= 0);
		if (pids[p] == 0) {
			struct tenet_store *s;
			struct tenet_err err = { 0 };
			int retries = 0;

			close(go[1]);
			if (tenet_store_open(f->path, &s, NULL) < 0)
				_exit(100);
			/* Both start writing at once: when the parent lets go. */
			if (read(go[0], &c, 1) != 0)
				_exit(102);
			pol_set_commit_hook(count_attempt, &retries);
			for (int n = 0; n < RACE_WRITES; n++) {
				char ca[16], mac[18];
				struct tenet_record r;

				snprintf(ca, sizeof(ca), "10.0.0.%d", 10 + n);
				snprintf(mac, sizeof(mac), "00:11:22:33:%02x:%02x", p, n);
				r = lookup(p ? 6001 : 5001, ca, mac, "192.168.4.11",
					   TENET_LOOKUP_STATIC);
				if (tenet_policy_put(s, &r, 0, NULL, &err) < 0) {
					fprintf(stderr, "writer %d: %s\n", p, err.msg);
					_exit(101);
				}
			}
			tenet_store_close(s);
			_exit(retries < 100 ? retries : 99);
		}
	}
	close(go[0]);
	close(go[1]);
	for (p = 0; p < 2; p++) {
		assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);       /* retries */
	}
	assert_int_equal(count(f, TENET_KIND_LOOKUP), 2 * RACE_WRITES);
}

static void raw_put(struct tenet_store *s, const char *key, const char *value)
{
	struct tenet_txn *t = tenet_txn_new();

	assert_int_equal(tenet_txn_put(t, key, value), 0);
	assert_int_equal(tenet_store_commit(s, t, NULL, NULL), 0);
	tenet_txn_free(t);
}

/* A corrupt record is skipped and counted by listings, and can still be
 * deleted (that is how it gets repaired). */
static void test_corrupt_records(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record_list l;
	struct tenet_record id = { .kind = TENET_KIND_VSUBNET };

	raw_put(f->s, "/tenet/v1/global/vsubnet/00005002", "{\"vsid\":5002}");
	raw_put(f->s, "/tenet/v1/global/vsubnet/junk", "{}");
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_VSUBNET, NULL, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.recs[0].vsubnet.vsid, 5001);
	assert_int_equal(l.bad, 2);
	assert_string_equal(l.bad_msg, "/tenet/v1/global/vsubnet/00005002: rdomain: missing");
	tenet_record_list_free(&l);

	id.vsubnet.vsid = 5002;
	assert_int_equal(tenet_policy_del(f->s, &id, 0, NULL, &err), -EBADMSG);
	id.kind = TENET_KIND_LOOKUP;
	id.lookup.vsid = 5002;
	id.lookup.has_ca = true;
	/* Checks that need the corrupt record say so and name it. */
	assert_int_equal(tenet_policy_del(f->s, &id, 0, NULL, &err), -EBADMSG);
	assert_string_equal(err.msg,
			    "corrupt record /tenet/v1/global/vsubnet/00005002: rdomain: missing");

	/* Per-host lists of one kind skip the other kinds silently. */
	raw_put(f->s, "/tenet/v1/host/h1/port/veth1",
		"{\"host\":\"h1\",\"dev\":\"veth1\",\"vsid\":5001,\"mac\":\"00:11:22:33:44:55\"}");
	raw_put(f->s, "/tenet/v1/host/h1/pa/192.168.4.11",
		"{\"host\":\"h1\",\"address\":\"192.168.4.11/24\",\"dev\":\"eth0\"}");
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_PA, NULL, &l, &err), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.bad, 0);
	assert_int_equal(l.recs[0].pa.vlan, 0);
	tenet_record_list_free(&l);
}

static void test_corrupt_record_can_be_deleted(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record id = { .kind = TENET_KIND_PORT };
	struct tenet_kv kv;

	raw_put(f->s, "/tenet/v1/host/h1/port/veth1", "garbage");
	strcpy(id.port.host, "h1");
	strcpy(id.port.dev, "veth1");
	assert_int_equal(tenet_policy_del(f->s, &id, 0, NULL, &err), 0);
	assert_int_equal(tenet_store_get(f->s, "/tenet/v1/host/h1/port/veth1", &kv, NULL), -ENOENT);
}

static void test_rdomain_ids_and_guids(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record a = { .kind = TENET_KIND_RDOMAIN }, b;

	strcpy(a.rdomain.name, "Fabrikam");
	put_ok(f->s, &a, 0);
	assert_int_equal(a.rdomain.id, 2);
	b = a;
	strcpy(b.rdomain.name, "Woodgrove");
	assert_int_equal(tenet_policy_put(f->s, &b, 0, NULL, &err), -EEXIST);
	assert_non_null(strstr(err.msg, ": already used by routing domain Fabrikam"));
	assert_int_equal(tenet_policy_put(f->s, &a, TENET_POLICY_REPLACE, NULL, &err), -EOPNOTSUPP);
	memset(b.rdomain.guid, 0, sizeof(b.rdomain.guid));
	put_ok(f->s, &b, 0);
	assert_int_equal(b.rdomain.id, 3);
	assert_memory_not_equal(a.rdomain.guid, b.rdomain.guid, TENET_GUID_LEN);
}

/* A PA, a NAT and a compartment's external address follow one rule of
 * what a unicast address is; loopback (127/8) used to pass for a PA. */
static void test_pa_unicast_rule(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1/8", "0.1.2.3/8", "224.0.0.5/24", "255.255.255.255/32", "0.0.0.0/24",
	};
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_record r = { .kind = TENET_KIND_PA };
	char want[TENET_ERR_LEN];

	strcpy(r.pa.host, "h1");
	strcpy(r.pa.dev, "eth0");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tenet_parse_addr_len(bad[i], &r.pa.addr, NULL), 0);
		assert_int_equal(tenet_policy_put(f->s, &r, 0, NULL, &err), -EINVAL);
		snprintf(want, sizeof(want), "pa %s: not a unicast address on a network", bad[i]);
		assert_string_equal(err.msg, want);
	}
	assert_int_equal(tenet_parse_addr_len("126.0.0.1/8", &r.pa.addr, NULL), 0);
	put_ok(f->s, &r, 0);
	assert_int_equal(count(f, TENET_KIND_PA), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learned_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_needs_l2only_at_pa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlearn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guards_per_rdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guards_global_and_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_rdomains_no_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record_can_be_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdomain_ids_and_guids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pa_unicast_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memo_mac_unique, setup, teardown),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}

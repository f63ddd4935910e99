// SPDX-License-Identifier: GPL-2.0
/* Site-to-site VPN records (lib/kinds/s2s.c): the parsers, the codec's
 * exact messages, the validated writes of S2S interfaces and host keys on
 * a real store (each refusal with its one line and an unchanged store
 * revision), the compartment's delete taking its interfaces along, and
 * the CLI: secrets read from a file or stdin, sealed to the host key
 * (they open with it, bound to their record), never on the command line,
 * never printed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cli.h"
#include "kinds/record.h"
#include "kinds/s2s.h"
#include "policy/policy.h"
#include "secret/secret.h"
#include "testutil.h"

/* ---- parsers ---- */

static void test_parsers(void **state)
{
	struct tenet_err err = { 0 };
	struct tenet_s2s_route r;
	uint32_t a;

	(void)state;
	assert_int_equal(tenet_s2s_parse_destination("59.10.10.10", &a, NULL), 0);
	assert_true(a != 0);
	assert_int_equal(tenet_s2s_parse_destination("ny.woodgrove.example", &a, NULL), 0);
	assert_int_equal(a, 0);
	assert_int_equal(tenet_s2s_parse_destination("300.1.1.1", &a, &err), -EINVAL);
	assert_string_equal(err.msg, "not an IPv4 address or a DNS name");
	assert_int_equal(tenet_s2s_parse_destination("224.0.0.5", &a, &err), -EINVAL);
	assert_string_equal(err.msg, "not a unicast address");
	assert_int_equal(tenet_s2s_parse_destination("-bad.example", &a, NULL), -EINVAL);
	assert_int_equal(tenet_s2s_parse_destination("a..b", &a, NULL), -EINVAL);
	assert_int_equal(tenet_s2s_parse_destination("", &a, NULL), -EINVAL);

	assert_int_equal(tenet_s2s_check_subject("C=US, O=Woodgrove, CN=sfo.woodgrove.example",
						 NULL), 0);
	assert_int_equal(tenet_s2s_check_subject("/C=US/O=Woodgrove/CN=sfo", NULL), 0);
	assert_int_equal(tenet_s2s_check_subject("CN", &err), -EINVAL);
	assert_string_equal(err.msg, "'CN' is not TYPE=value");
	assert_int_equal(tenet_s2s_check_subject("XX=1, CN=a", &err), -EINVAL);
	assert_string_equal(err.msg, "'XX' is not an attribute type (C, O, OU, CN, ...)");
	assert_int_equal(tenet_s2s_check_subject("CN=", &err), -EINVAL);
	assert_string_equal(err.msg, "CN has no value");
	assert_int_equal(tenet_s2s_check_user("contoso-branch", NULL), 0);
	assert_int_equal(tenet_s2s_check_user("a b", NULL), -EINVAL);

	assert_int_equal(tenet_s2s_parse_route("10.1.0.0/24:200", &r, NULL), 0);
	assert_int_equal(r.metric, 200);
	assert_int_equal(r.prefix.len, 24);
	assert_int_equal(tenet_s2s_parse_route("10.1.0.0/24", &r, NULL), 0);
	assert_int_equal(r.metric, TENET_S2S_METRIC_DEFAULT);
	assert_int_equal(tenet_s2s_parse_route("10.1.0.1/24", &r, NULL), -EINVAL);
	assert_int_equal(tenet_s2s_parse_route("10.1.0.0/24:x", &r, &err), -EINVAL);
	assert_true(!strncmp(err.msg, "metric", 6));
}

static void test_names(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(tenet_s2s_devname(12, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ts12");
	assert_int_equal(tenet_s2s_ifid(12), 0x7e53000c);
	assert_int_equal(tenet_s2s_conn_name("IfWe1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "tenet-s2s-IfWe1");
	assert_string_equal(tenet_s2s_conn_iface(buf), "IfWe1");
	assert_null(tenet_s2s_conn_iface("other"));
	assert_null(tenet_s2s_conn_iface("tenet-s2s-"));
	assert_int_equal(tenet_s2s_secret_context("gw", "IfWe1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tenet/v1/host/gw/s2s/IfWe1#secret");
}

/* ---- a store with two tenants' compartments and a host key ---- */

struct fx {
	char *dir, *path, *keypath;
	struct tenet_store *s;
	struct tenet_hostkey *key;
	char *out, *err;
};

static void put_ok(struct fx *f, struct tenet_record *r, unsigned int flags)
{
	struct tenet_err err = { 0 };

	if (tenet_policy_put(f->s, r, flags, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static void put_refused(struct fx *f, struct tenet_record *r, unsigned int flags, int code,
			const char *msg)
{
	struct tenet_err err = { 0 };
	int64_t before, after;
	int ret;

	assert_int_equal(tenet_store_revision(f->s, &before, NULL), 0);
	ret = tenet_policy_put(f->s, r, flags, NULL, &err);
	if (ret != code || strcmp(err.msg, msg))
		fail_msg("got '%s', want '%s'", err.msg, msg);
	assert_int_equal(tenet_store_revision(f->s, &after, NULL), 0);
	assert_int_equal(before, after);
}

static void rdomain(struct fx *f, const char *name, uint32_t vsid)
{
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };

	strcpy(r.rdomain.name, name);
	put_ok(f, &r, 0);
	r = (struct tenet_record){ .kind = TENET_KIND_VSUBNET };
	r.vsubnet.vsid = vsid;
	strcpy(r.vsubnet.rdomain, name);
	tenet_parse_prefix("10.0.254.0/24", &r.vsubnet.prefix, NULL);
	put_ok(f, &r, 0);
}

static void compartment(struct fx *f, const char *name, uint32_t vsid)
{
	struct tenet_record r = { .kind = TENET_KIND_COMPARTMENT };

	strcpy(r.compartment.host, "gw");
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, name);
	r.compartment.vsid = vsid;
	tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL);
	tenet_gw_default_mac("gw", name, r.compartment.mac);
	put_ok(f, &r, 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tenet_record r = { .kind = TENET_KIND_PA };

	f->dir = tu_mkdtemp();
	assert_true(asprintf(&f->path, "%s/store.db", f->dir) > 0);
	assert_true(asprintf(&f->keypath, "%s/hostkey", f->dir) > 0);
	assert_int_equal(tenet_store_open(f->path, &f->s, NULL), 0);
	assert_int_equal(tenet_hostkey_load(f->keypath, TENET_HOSTKEY_CREATE, &f->key, NULL), 0);
	rdomain(f, "Contoso", 5999);
	rdomain(f, "Woodgrove", 6999);
	rdomain(f, "Fabrikam", 7999);
	strcpy(r.pa.host, "gw");
	strcpy(r.pa.dev, "ul0");
	tenet_parse_addr_len("192.168.4.33/24", &r.pa.addr, NULL);
	put_ok(f, &r, 0);
	compartment(f, "Contoso", 5999);
	compartment(f, "Woodgrove", 6999);
	r = (struct tenet_record){ .kind = TENET_KIND_PUBKEY };
	strcpy(r.pubkey.host, "gw");
	strcpy(r.pubkey.id, tenet_hostkey_id(f->key));
	strcpy(r.pubkey.pubkey, tenet_hostkey_public(f->key));
	put_ok(f, &r, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_hostkey_free(f->key);
	tenet_store_close(f->s);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f->keypath);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

static void sealed(struct fx *f, const char *name, const char *secret, char *out)
{
	char ctx[TENET_KEY_MAX + 16], *s = NULL;

	tenet_s2s_secret_context("gw", name, ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(f->key), ctx, secret,
					   strlen(secret), &s, NULL), 0);
	strcpy(out, s);
	free(s);
}

static struct tenet_record psk_iface(struct fx *f, const char *name, const char *rd,
				     const char *dest)
{
	struct tenet_record r = { .kind = TENET_KIND_S2S };

	strcpy(r.s2s.host, "gw");
	strcpy(r.s2s.name, name);
	strcpy(r.s2s.rdomain, rd);
	strcpy(r.s2s.destination, dest);
	r.s2s.auth = TENET_S2S_PSK;
	r.s2s.dpd = 10;
	r.s2s.retry = 30;
	sealed(f, name, "abc", r.s2s.secret);
	r.s2s.nroutes = 1;
	tenet_parse_prefix("10.1.0.0/24", &r.s2s.routes[0].prefix, NULL);
	r.s2s.routes[0].metric = 100;
	return r;
}

/* ---- validated writes ---- */

static void test_rules(void **state)
{
	struct fx *f = *state;
	struct tenet_record a = psk_iface(f, "IfCe1", "Contoso", "59.10.10.10");
	struct tenet_record b = psk_iface(f, "IfWe1", "Woodgrove", "59.10.10.100");
	struct tenet_record x;

	put_ok(f, &a, 0);
	assert_int_equal(a.s2s.id, 1);
	put_ok(f, &b, 0);
	assert_int_equal(b.s2s.id, 2);
	put_refused(f, &a, 0, -EEXIST, "s2s IfCe1: already exists on host gw");
	/* one PSK interface per peer address, whatever the tenant */
	x = psk_iface(f, "IfWe3", "Woodgrove", "59.10.10.10");
	put_refused(f, &x, 0, -EEXIST, "destination 59.10.10.10: already the peer of PSK interface "
		    "IfCe1 (a PSK peer is identified by its address)");
	x = psk_iface(f, "IfX", "Nope", "59.10.10.11");
	put_refused(f, &x, 0, -ENOENT, "rdomain Nope: no such routing domain");
	x = psk_iface(f, "IfX", "Fabrikam", "59.10.10.11");
	put_refused(f, &x, 0, -ENOENT,
		    "rdomain Fabrikam: no compartment on host gw (tenet compartment add first)");
	x = psk_iface(f, "IfX", "Contoso", "ny.contoso.example");
	put_refused(f, &x, 0, -EINVAL, "destination ny.contoso.example: a PSK interface is found by "
		    "its peer's address, so its destination must be an IPv4 address");
	x = psk_iface(f, "IfX", "Contoso", "59.10.10.11");
	x.s2s.secret[0] = '\0';
	put_refused(f, &x, 0, -EINVAL, "secret: missing (psk needs one)");
	strcpy(x.s2s.secret, "abc");
	put_refused(f, &x, 0, -EINVAL, "secret: sealed value: not sealed text (sealed:v1:...)");
	/* certificates: one interface per subject */
	x = psk_iface(f, "IfWe2", "Woodgrove", "sfo.woodgrove.example");
	x.s2s.routes[0].metric = 200;
	x.s2s.auth = TENET_S2S_CERT;
	x.s2s.secret[0] = '\0';
	strcpy(x.s2s.peer, "CN");
	put_refused(f, &x, 0, -EINVAL, "peer (certificate subject): 'CN' is not TYPE=value");
	strcpy(x.s2s.peer, "C=US, O=Woodgrove, CN=sfo.woodgrove.example");
	put_ok(f, &x, 0);
	assert_int_equal(x.s2s.id, 3);
	strcpy(x.s2s.name, "IfWe9");
	put_refused(f, &x, 0, -EEXIST,
		    "peer C=US, O=Woodgrove, CN=sfo.woodgrove.example: already identifies interface IfWe2");
	/* two interfaces of a tenant: the same prefix needs another metric */
	x = psk_iface(f, "IfWe4", "Woodgrove", "60.10.10.100");
	put_refused(f, &x, 0, -EEXIST, "route 10.1.0.0/24 metric 100: already on interface IfWe1 "
		    "(give one of them another metric)");
	/* routes: each prefix once per interface */
	x = a;
	x.s2s.npost = 1;
	x.s2s.post[0] = x.s2s.routes[0];
	put_refused(f, &x, TENET_POLICY_REPLACE, -EINVAL, "route 10.1.0.0/24: given twice");
	/* a replace keeps the id, and cannot move to another tenant */
	x = a;
	x.s2s.routes[0].metric = 200;
	x.s2s.id = 0;
	put_ok(f, &x, TENET_POLICY_REPLACE);
	assert_int_equal(x.s2s.id, 1);
	strcpy(x.s2s.rdomain, "Woodgrove");
	put_refused(f, &x, TENET_POLICY_REPLACE, -EINVAL,
		    "s2s IfCe1: its routing domain cannot change (delete and add it again)");
	x = psk_iface(f, "IfNone", "Contoso", "59.10.10.12");
	put_refused(f, &x, TENET_POLICY_REPLACE, -ENOENT, "s2s IfNone: no such interface on host gw");
}

/* Deleting a tenant's compartment takes its interfaces (and their sealed
 * secrets) with it; the other tenant's stay. */
static void test_compartment_delete(void **state)
{
	struct fx *f = *state;
	struct tenet_record a = psk_iface(f, "IfCe1", "Contoso", "59.10.10.10");
	struct tenet_record b = psk_iface(f, "IfWe1", "Woodgrove", "59.10.10.100");
	struct tenet_record id = { .kind = TENET_KIND_COMPARTMENT };
	struct tenet_record_list l;

	put_ok(f, &a, 0);
	put_ok(f, &b, 0);
	strcpy(id.compartment.host, "gw");
	strcpy(id.compartment.name, "Contoso");
	assert_int_equal(tenet_policy_del(f->s, &id, 0, NULL, NULL), 0);
	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_S2S, "gw", &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.recs[0].s2s.name, "IfWe1");
	tenet_record_list_free(&l);
}

static void test_pubkey_rules(void **state)
{
	struct fx *f = *state;
	struct tenet_record r = { .kind = TENET_KIND_PUBKEY };
	char want[128];

	strcpy(r.pubkey.host, "gw");
	strcpy(r.pubkey.id, "0000000000000000");

	strcpy(r.pubkey.pubkey, tenet_hostkey_public(f->key));
	snprintf(want, sizeof(want), "id: not the id of the public key (%s)",
		 tenet_hostkey_id(f->key));
	put_refused(f, &r, TENET_POLICY_REPLACE, -EINVAL, want);
}

/* ---- the CLI ---- */

static int run(struct fx *f, const char *stdin_text, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int run(struct fx *f, const char *stdin_text, const char *fmt, ...)
{
	char *argv[64], *cmd, *save = NULL, *w, *in;
	size_t olen, elen;
	FILE *out, *err;
	int argc = 0, ret, saved = -1;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	argv[argc++] = "tenet";
	argv[argc++] = "--store";
	argv[argc++] = f->path;
	argv[argc++] = "--host";
	argv[argc++] = "gw";
	for (w = strtok_r(cmd, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (stdin_text) {
		int fd;

		assert_true(asprintf(&in, "%s/stdin", f->dir) > 0);
		fd = open(in, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, stdin_text, strlen(stdin_text)), (ssize_t)strlen(stdin_text));
		close(fd);
		saved = dup(0);
		fd = open(in, O_RDONLY);
		dup2(fd, 0);
		close(fd);
		free(in);
	}
	free(f->out);
	free(f->err);
	out = open_memstream(&f->out, &olen);
	err = open_memstream(&f->err, &elen);
	ret = tenet_cli_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	if (saved >= 0) {
		dup2(saved, 0);
		close(saved);
	}
	free(cmd);
	return ret;
}

/* The last command printed want (or did not). */
static void out_has(struct fx *f, const char *want, bool yes)
{
	if (!strstr(f->out, want) == yes)
		fail_msg("output %s '%s':\n%s", yes ? "lacks" : "has", want, f->out);
}

static struct tenet_s2s get(struct fx *f, const char *name)
{
	struct tenet_record_list l;
	struct tenet_s2s s = { 0 };

	assert_int_equal(tenet_policy_list(f->s, TENET_KIND_S2S, "gw", &l, NULL), 0);
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.recs[i].s2s.name, name))
			s = l.recs[i].s2s;
	tenet_record_list_free(&l);
	assert_string_equal(s.name, name);
	return s;
}

/* The stored secret opens with the host key for its own record only. */
static void opens_as(struct fx *f, const struct tenet_s2s *s, const char *want)
{
	struct tenet_hostkey *keys[1] = { f->key };
	struct tenet_secret *sec = NULL;
	char ctx[TENET_KEY_MAX + 16];

	tenet_s2s_secret_context("gw", s->name, ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_open(keys, 1, ctx, s->secret, &sec, NULL), 0);
	assert_int_equal(sec->len, strlen(want));
	assert_memory_equal(sec->data, want, sec->len);
	tenet_secret_free(sec);
	tenet_s2s_secret_context("gw", "Other", ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_open(keys, 1, ctx, s->secret, &sec, NULL), -EBADMSG);
}

static void test_cli(void **state)
{
	struct fx *f = *state;
	struct tenet_s2s s;
	char *file;
	int fd;

	assert_true(asprintf(&file, "%s/psk", f->dir) > 0);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_int_equal(write(fd, "contoso-ny-psk\n", 15), 15);
	close(fd);
	assert_int_equal(run(f, NULL, "s2s add IfCe1 rdomain Contoso destination 59.10.10.10 "
			     "auth psk secret-file %s route 10.1.0.0/24 metric 100 "
			     "route 10.9.0.0/16:300 postconnect 10.8.0.0/16 dpd 5 retry 3", file), 0);
	s = get(f, "IfCe1");
	opens_as(f, &s, "contoso-ny-psk");
	assert_int_equal(s.nroutes, 2);
	assert_int_equal(s.routes[1].metric, 300);
	assert_int_equal(s.npost, 1);
	assert_int_equal(s.dpd, 5);
	assert_int_equal(s.mode, TENET_S2S_BOTH);
	/* from standard input */
	assert_int_equal(run(f, "woodgrove-ny\n", "s2s add IfWe1 rdomain Woodgrove destination "
			     "59.10.10.100 auth psk route 10.1.0.0/24:100 route 10.2.0.0/24:200 "
			     "initiator"), 0);
	s = get(f, "IfWe1");
	opens_as(f, &s, "woodgrove-ny");
	assert_int_equal(s.mode, TENET_S2S_INITIATOR);
	assert_int_equal(s.id, 2);
	/* show never prints a secret, sealed or not */
	assert_int_equal(run(f, NULL, "s2s show vici %s/none.vici", f->dir), 0);
	out_has(f, "IfCe1: rdomain Contoso dev ts1 if_id 0x7e530001 "
			       "destination 59.10.10.10 auth psk (sealed) mode both dpd 5s", true);
	out_has(f, "routes 10.1.0.0/24 metric 100, 10.9.0.0/16 metric 300", true);
	out_has(f, "postconnect 10.8.0.0/16 metric 100", true);
	out_has(f, "contoso-ny-psk", false);
	out_has(f, "sealed:v1", false);
	assert_int_equal(run(f, NULL, "-j s2s show IfCe1 vici %s/none.vici", f->dir), 0);
	assert_non_null(strstr(f->out, "\"state\":\"unknown\""));
	assert_non_null(strstr(f->out, "\"secret\":{\"state\":\"sealed\",\"key\":\""));
	out_has(f, "sealed:v1", false);
	/* set: what is given changes, the rest stays (the secret too) */
	assert_int_equal(run(f, NULL, "s2s set IfWe1 route 10.2.0.0/24:100 route 10.1.0.0/24:200 "
			     "responder"), 0);
	s = get(f, "IfWe1");
	opens_as(f, &s, "woodgrove-ny");
	assert_int_equal(s.routes[0].metric, 100);
	assert_int_equal(s.mode, TENET_S2S_RESPONDER);
	assert_int_equal(run(f, "new-psk\n", "s2s set IfWe1 secret -"), 0);
	s = get(f, "IfWe1");
	opens_as(f, &s, "new-psk");
	assert_int_equal(run(f, NULL, "s2s set IfWe1 route none"), 0);
	assert_int_equal(get(f, "IfWe1").nroutes, 0);
	/* a certificate interface has no secret */
	assert_int_equal(run(f, NULL, "s2s add IfWe2 rdomain Woodgrove destination "
			     "sfo.woodgrove.example auth cert C=US,O=Woodgrove,CN=sfo"), 0);
	assert_string_equal(get(f, "IfWe2").peer, "C=US,O=Woodgrove,CN=sfo");
	assert_string_equal(get(f, "IfWe2").secret, "");
	assert_int_equal(run(f, NULL, "s2s del IfWe2"), 0);
	free(file);
}

/* Bad input: one line, the exit code, nothing written. */
static void cli_refused(struct fx *f, const char *stdin_text, int code, const char *msg,
			const char *cmd)
{
	int64_t before, after;

	assert_int_equal(tenet_store_revision(f->s, &before, NULL), 0);
	assert_int_equal(run(f, stdin_text, "%s", cmd), code);
	if (strcmp(f->err, msg))
		fail_msg("%s: got '%s', want '%s'", cmd, f->err, msg);
	assert_int_equal(tenet_store_revision(f->s, &after, NULL), 0);
	assert_int_equal(before, after);
}

static void test_cli_refusals(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "abc\n", "s2s add IfCe1 rdomain Contoso destination 59.10.10.10 "
			     "auth psk"), 0);
	cli_refused(f, "abc\n", 2, "tenet: destination '300.1.1.1': not an IPv4 address or a DNS name\n",
		    "s2s add IfX rdomain Contoso destination 300.1.1.1 auth psk");
	cli_refused(f, "abc\n", 1, "tenet: rdomain Nope: no such routing domain\n",
		    "s2s add IfX rdomain Nope destination 59.10.10.11 auth psk");
	cli_refused(f, "abc\n", 1, "tenet: destination 59.10.10.10: already the peer of PSK interface "
		    "IfCe1 (a PSK peer is identified by its address)\n",
		    "s2s add IfX rdomain Woodgrove destination 59.10.10.10 auth psk");
	cli_refused(f, NULL, 2, "tenet: subject 'CN=sfo,junk': 'junk' is not TYPE=value\n",
		    "s2s add IfX rdomain Woodgrove destination 60.10.10.100 auth cert CN=sfo,junk");
	cli_refused(f, NULL, 2, "tenet: secret: only '-' (standard input): a secret is never "
		    "given on the command line\n",
		    "s2s add IfX rdomain Woodgrove destination 60.10.10.1 auth psk secret abc");
	cli_refused(f, "", 1, "tenet: pre-shared key: empty (give it on standard input or with "
		    "secret-file FILE)\n",
		    "s2s add IfX rdomain Woodgrove destination 60.10.10.1 auth psk");
	cli_refused(f, NULL, 2, "tenet: s2s add: missing 'auth psk|cert SUBJECT|eap USER'\n",
		    "s2s add IfX rdomain Woodgrove destination 60.10.10.1");
	cli_refused(f, "abc\n", 2, "tenet: destination 'x.example': a PSK interface is found by its "
		    "peer's address, so its destination must be an IPv4 address\n",
		    "s2s add IfX rdomain Woodgrove destination x.example auth psk");
	cli_refused(f, NULL, 2, "tenet: route '10.1.0.1/24': host bits set (did you mean 10.1.0.0/24?)\n",
		    "s2s add IfX rdomain Woodgrove destination 60.10.10.1 auth cert CN=a route 10.1.0.1/24");
	cli_refused(f, NULL, 1, "tenet: s2s IfNope: no such interface on host gw\n",
		    "s2s set IfNope dpd 3");
	cli_refused(f, NULL, 1, "tenet: s2s IfNope: no such interface on host gw\n", "s2s del IfNope");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compartment_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pubkey_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_refusals, setup, teardown),
	};

	return cmocka_run_group_tests_name("s2s", tests, NULL, NULL);
}

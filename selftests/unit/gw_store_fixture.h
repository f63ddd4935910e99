/* SPDX-License-Identifier: GPL-2.0 */
/* A real store (SQLite in a temporary directory) holding a gateway "gw"
 * with two tenants, Contoso and Woodgrove, each a compartment (5999,
 * 6999) and an S2S interface (IfCe1, IfWe1), and the CLI run against it
 * in-process: run() returns its exit code with its output in f->out and
 * f->err, ok() wants success (and that output), refused() one line, that
 * code and an unchanged store. For the unit tests of the features that
 * hang off S2S interfaces and compartments (filters, rate limits).
 * Header only: each unit test is one program. */
#ifndef TENET_GW_STORE_FIXTURE_H
#define TENET_GW_STORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "kinds/record.h"
#include "policy/policy.h"
#include "testutil.h"

struct fx {
	char *dir, *path;
	struct tenet_store *s;
	char *out, *err;
};

static inline void put_ok(struct fx *f, struct tenet_record *r, unsigned int flags)
{
	struct tenet_err err = { 0 };

	if (tenet_policy_put(f->s, r, flags, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static inline void tenant(struct fx *f, const char *name, uint32_t vsid, const char *iface,
		   const char *subject)
{
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };

	strcpy(r.rdomain.name, name);
	put_ok(f, &r, 0);
	r = (struct tenet_record){ .kind = TENET_KIND_VSUBNET };
	r.vsubnet.vsid = vsid;
	strcpy(r.vsubnet.rdomain, name);
	tenet_parse_prefix("10.0.254.0/24", &r.vsubnet.prefix, NULL);
	put_ok(f, &r, 0);
	r = (struct tenet_record){ .kind = TENET_KIND_COMPARTMENT };
	strcpy(r.compartment.host, "gw");
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, name);
	r.compartment.vsid = vsid;
	tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL);
	tenet_gw_default_mac("gw", name, r.compartment.mac);
	put_ok(f, &r, 0);
	r = (struct tenet_record){ .kind = TENET_KIND_S2S };
	strcpy(r.s2s.host, "gw");
	strcpy(r.s2s.name, iface);
	strcpy(r.s2s.rdomain, name);
	strcpy(r.s2s.destination, "ny.example");
	r.s2s.auth = TENET_S2S_CERT;
	strcpy(r.s2s.peer, subject);
	r.s2s.dpd = 10;
	r.s2s.retry = 30;
	put_ok(f, &r, 0);
}

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tenet_record r = { .kind = TENET_KIND_PA };

	f->dir = tu_mkdtemp();
	assert_true(asprintf(&f->path, "%s/store.db", f->dir) > 0);
	assert_int_equal(tenet_store_open(f->path, &f->s, NULL), 0);
	strcpy(r.pa.host, "gw");
	strcpy(r.pa.dev, "ul0");
	tenet_parse_addr_len("192.168.4.33/24", &r.pa.addr, NULL);
	put_ok(f, &r, 0);
	tenant(f, "Contoso", 5999, "IfCe1", "CN=ny.contoso.example");
	tenant(f, "Woodgrove", 6999, "IfWe1", "CN=ny.woodgrove.example");
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	tenet_store_close(f->s);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->path);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

static inline int run(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline int run(struct fx *f, const char *fmt, ...)
{
	char *argv[64], *cmd, *save = NULL, *w;
	size_t olen, elen;
	FILE *out, *err;
	int argc = 0, ret;
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

static inline void ok(struct fx *f, const char *cmd, const char *want_out)
{
	int ret = run(f, "%s", cmd);

	if (ret)
		fail_msg("%s: %d %s", cmd, ret, f->err);
	if (want_out && strcmp(f->out, want_out))
		fail_msg("%s: got '%s', want '%s'", cmd, f->out, want_out);
}

/* A refusal: its one line, its exit status, nothing written. */
static inline void refused(struct fx *f, int code, const char *msg, const char *cmd)
{
	int64_t before, after;

	assert_int_equal(tenet_store_revision(f->s, &before, NULL), 0);
	assert_int_equal(run(f, "%s", cmd), code);
	if (strcmp(f->err, msg))
		fail_msg("%s: got '%s', want '%s'", cmd, f->err, msg);
	assert_int_equal(tenet_store_revision(f->s, &after, NULL), 0);
	assert_int_equal(before, after);
}

#endif

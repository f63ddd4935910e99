// SPDX-License-Identifier: GPL-2.0
/* BGP per compartment: the records' keys and JSON codecs (lib/kinds/bgp.c),
 * the FRR text tenet renders and parses back (lib/frr/bgp.c), and the bgp
 * reconciler (agent/gw/bgp.c) on a fake FRR. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frr/bgp.h"
#include "gw/bgp.h"
#include "kinds/record.h"
#include "recon/model.h"
#include "recon/recon.h"

static uint32_t ip(const char *s)
{
	uint32_t a;

	assert_int_equal(tenet_parse_ipv4(s, &a, NULL), 0);
	return a;
}

/* ---- codecs ---- */

static void roundtrip(const struct tenet_record *r, const char *want_key, const char *want_json)
{
	struct tenet_record back;
	char key[TENET_KEY_MAX];
	json_t *j = tenet_record_to_json(r);
	char *text = json_dumps(j, JSON_COMPACT);

	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	assert_string_equal(key, want_key);
	assert_string_equal(text, want_json);
	memset(&back, 0, sizeof(back));
	assert_int_equal(tenet_record_decode(key, text, &back, NULL), 0);
	assert_memory_equal(&back, r, sizeof(back));
	free(text);
	json_decref(j);
}

static void test_codecs(void **state)
{
	struct tenet_record b = { .kind = TENET_KIND_BGP }, n = { .kind = TENET_KIND_BGPNBR }, bad;
	struct tenet_err err = { 0 };
	uint32_t asn;

	(void)state;
	strcpy(b.bgp.host, "gw");
	strcpy(b.bgp.rdomain, "Woodgrove");
	b.bgp.asn = 65412;
	roundtrip(&b, "/tenet/v1/host/gw/bgp/Woodgrove",
		  "{\"host\":\"gw\",\"rdomain\":\"Woodgrove\",\"asn\":65412}");
	b.bgp.router_id = ip("10.0.254.2");
	roundtrip(&b, "/tenet/v1/host/gw/bgp/Woodgrove",
		  "{\"host\":\"gw\",\"rdomain\":\"Woodgrove\",\"asn\":65412,\"router_id\":\"10.0.254.2\"}");
	strcpy(n.bgpnbr.host, "gw");
	strcpy(n.bgpnbr.rdomain, "Woodgrove");
	n.bgpnbr.address = ip("10.1.0.1");
	n.bgpnbr.remote_as = 65413;
	roundtrip(&n, "/tenet/v1/host/gw/bgpnbr/Woodgrove/10.1.0.1",
		  "{\"host\":\"gw\",\"rdomain\":\"Woodgrove\",\"address\":\"10.1.0.1\","
		  "\"remote_as\":65413,\"bfd\":\"off\"}");
	n.bgpnbr.bfd = 1;
	strcpy(n.bgpnbr.via, "IfWe1");
	roundtrip(&n, "/tenet/v1/host/gw/bgpnbr/Woodgrove/10.1.0.1",
		  "{\"host\":\"gw\",\"rdomain\":\"Woodgrove\",\"address\":\"10.1.0.1\","
		  "\"remote_as\":65413,\"bfd\":\"on\",\"via\":\"IfWe1\"}");
	/* bad values: one line each */
	assert_int_equal(tenet_record_decode("/tenet/v1/host/gw/bgp/Woodgrove",
					     "{\"host\":\"gw\",\"rdomain\":\"Woodgrove\",\"asn\":23456}",
					     &bad, &err) < 0, 1);
	assert_non_null(strstr(err.msg, "AS_TRANS"));
	assert_int_equal(tenet_record_decode("/tenet/v1/host/gw/bgp/Woodgrove",
					     "{\"host\":\"gw\",\"rdomain\":\"Woodgrove\",\"asn\":0}",
					     &bad, &err) < 0, 1);
	assert_int_equal(tenet_bgp_parse_asn("4294967295", &asn, &err), 0);
	assert_int_equal(asn, 4294967295u);
	assert_int_equal(tenet_bgp_parse_asn("4294967296", &asn, &err), -EINVAL);
	assert_string_equal(err.msg, "not an AS number (1..4294967295)");
	assert_int_equal(tenet_bgp_parse_asn("65000.1", &asn, &err), -EINVAL);
}

/* ---- the FRR text ---- */

static void two_tenants(struct frr_bgp_inst *c, struct frr_bgp_inst *w)
{
	memset(c, 0, sizeof(*c));
	memset(w, 0, sizeof(*w));
	strcpy(c->vrf, "tvrf1");
	c->asn = 65412;
	c->nnbr = 1;
	c->nbr[0] = (struct frr_bgp_nbr){ .addr = ip("172.16.0.1"), .remote_as = 65001 };
	c->nnet = 2;
	tenet_parse_prefix("10.0.254.0/24", &c->net[0], NULL);
	tenet_parse_prefix("10.0.0.0/24", &c->net[1], NULL);
	frr_bgp_sort(c);

	strcpy(w->vrf, "tvrf2");
	w->asn = 65412;
	w->router_id = ip("10.0.254.2");
	w->nnbr = 2;
	/* unsorted on purpose: SFO before NY */
	w->nbr[0] = (struct frr_bgp_nbr){ .addr = ip("10.2.0.1"), .remote_as = 65414, .bfd = true,
					  .multihop = true, .source = ip("10.0.254.2") };
	w->nbr[1] = (struct frr_bgp_nbr){ .addr = ip("10.1.0.1"), .remote_as = 65413, .bfd = true,
					  .multihop = true, .source = ip("10.0.254.2") };
	w->nnet = 1;
	tenet_parse_prefix("10.0.0.0/24", &w->net[0], NULL);
	w->nstatic = 2;
	w->statics[0] = (struct frr_static){ .addr = ip("10.2.0.1"), .dev = "ts3" };
	w->statics[1] = (struct frr_static){ .addr = ip("10.1.0.1"), .dev = "ts2" };
	frr_bgp_sort(w);
}

static char *render(const struct frr_bgp_inst *want, const struct frr_bgp_inst *cur)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(frr_bgp_render(f, want, cur), 0);
	fclose(f);
	return text;
}

static const char two_text[] =
	"router bgp 65412 vrf tvrf1\n"
	" no bgp ebgp-requires-policy\n"
	" no bgp network import-check\n"
	" neighbor 172.16.0.1 remote-as 65001\n"
	" !\n"
	" address-family ipv4 unicast\n"
	"  network 10.0.0.0/24\n"
	"  network 10.0.254.0/24\n"
	" exit-address-family\n"
	"exit\n"
	"!\n"
	"router bgp 65412 vrf tvrf2\n"
	" bgp router-id 10.0.254.2\n"
	" no bgp ebgp-requires-policy\n"
	" no bgp network import-check\n"
	" neighbor 10.1.0.1 remote-as 65413\n"
	" neighbor 10.1.0.1 bfd\n"
	" neighbor 10.1.0.1 ebgp-multihop 255\n"
	" neighbor 10.1.0.1 timers connect 5\n"
	" neighbor 10.1.0.1 update-source 10.0.254.2\n"
	" neighbor 10.2.0.1 remote-as 65414\n"
	" neighbor 10.2.0.1 bfd\n"
	" neighbor 10.2.0.1 ebgp-multihop 255\n"
	" neighbor 10.2.0.1 timers connect 5\n"
	" neighbor 10.2.0.1 update-source 10.0.254.2\n"
	" !\n"
	" address-family ipv4 unicast\n"
	"  network 10.0.0.0/24\n"
	" exit-address-family\n"
	"exit\n"
	"!\n"
	"vrf tvrf2\n"
	" ip route 10.1.0.1/32 ts2\n"
	" ip route 10.2.0.1/32 ts3\n"
	"exit-vrf\n"
	"!\n";

static void test_render_two_tenants(void **state)
{
	struct frr_bgp_inst *c = malloc(sizeof(*c)), *w = malloc(sizeof(*w));
	char *a, *b, *both;

	(void)state;
	two_tenants(c, w);
	a = render(c, NULL);
	b = render(w, NULL);
	assert_true(asprintf(&both, "%s%s", a, b) > 0);
	assert_string_equal(both, two_text);
	free(a);
	free(b);
	free(both);
	free(c);
	free(w);
}

static void test_render_changes(void **state)
{
	struct frr_bgp_inst *c = malloc(sizeof(*c)), *w = malloc(sizeof(*w));
	struct frr_bgp_inst *cur = malloc(sizeof(*cur));
	char *t;

	(void)state;
	two_tenants(c, w);
	/* FRR holds Woodgrove with NY only, an old network and an old
	 * trigger route, NY with another AS and no BFD */
	*cur = *w;
	cur->nnbr = 1;
	cur->nbr[0] = w->nbr[0];
	cur->nbr[0].remote_as = 65999;
	cur->nbr[0].bfd = false;
	tenet_parse_prefix("10.9.0.0/24", &cur->net[0], NULL);
	cur->nstatic = 1;
	cur->statics[0] = (struct frr_static){ .addr = ip("10.9.0.1"), .dev = "ts9" };
	/* and SFO goes, router id goes */
	w->nnbr = 1;
	w->nstatic = 1;
	w->router_id = 0;
	cur->nnbr = 2;
	cur->nbr[1] = (struct frr_bgp_nbr){ .addr = ip("10.2.0.1"), .remote_as = 65414 };
	frr_bgp_sort(cur);
	t = render(w, cur);
	assert_string_equal(t,
		"router bgp 65412 vrf tvrf2\n"
		" no bgp router-id\n"
		" no bgp ebgp-requires-policy\n"
		" no bgp network import-check\n"
		" no neighbor 10.2.0.1\n"
		" no neighbor 10.1.0.1\n"
		" neighbor 10.1.0.1 remote-as 65413\n"
		" neighbor 10.1.0.1 bfd\n"
		" neighbor 10.1.0.1 ebgp-multihop 255\n"
		" neighbor 10.1.0.1 timers connect 5\n"
		" neighbor 10.1.0.1 update-source 10.0.254.2\n"
		" !\n"
		" address-family ipv4 unicast\n"
		"  no network 10.9.0.0/24\n"
		"  network 10.0.0.0/24\n"
		" exit-address-family\n"
		"exit\n"
		"!\n"
		"vrf tvrf2\n"
		" no ip route 10.9.0.1/32 ts9\n"
		" ip route 10.1.0.1/32 ts2\n"
		"exit-vrf\n"
		"!\n");
	free(t);
	/* another AS: the old instance goes first */
	c->asn = 65000;
	*cur = *c;
	cur->asn = 65412;
	t = render(c, cur);
	assert_true(!strncmp(t, "no router bgp 65412 vrf tvrf1\n!\nrouter bgp 65000 vrf tvrf1\n", 59));
	free(t);
	/* removal: trigger routes, then the instance */
	t = render(NULL, w);
	assert_string_equal(t, "vrf tvrf2\n no ip route 10.1.0.1/32 ts2\nexit-vrf\n!\n"
			       "no router bgp 65412 vrf tvrf2\n!\n");
	free(t);
	free(c);
	free(w);
	free(cur);
}

/* What FRR 8.4 prints back (`show running-config`): its own order, its
 * own lines, the operator's instance in the default VRF. */
static const char running[] =
	"Building configuration...\n\n"
	"Current configuration:\n!\nfrr version 8.4.4\nfrr defaults traditional\n"
	"hostname gw\n!\n"
	"vrf tvrf2\n ip route 10.1.0.1/32 ts2\n ip route 10.2.0.1/32 ts3\nexit-vrf\n!\n"
	"vrf blue\n ip route 10.8.0.1/32 eth9\nexit-vrf\n!\n"
	"router bgp 64999\n neighbor 192.0.2.1 remote-as 64998\nexit\n!\n"
	"router bgp 65412 vrf tvrf1\n no bgp ebgp-requires-policy\n no bgp network import-check\n"
	" neighbor 172.16.0.1 remote-as 65001\n !\n address-family ipv4 unicast\n"
	"  network 10.0.0.0/24\n  network 10.0.254.0/24\n exit-address-family\nexit\n!\n"
	"router bgp 65412 vrf tvrf2\n bgp router-id 10.0.254.2\n no bgp ebgp-requires-policy\n"
	" no bgp network import-check\n neighbor 10.1.0.1 remote-as 65413\n"
	" neighbor 10.1.0.1 bfd\n neighbor 10.1.0.1 ebgp-multihop 255\n"
	" neighbor 10.1.0.1 update-source 10.0.254.2\n neighbor 10.1.0.1 timers connect 5\n"
	" neighbor 10.2.0.1 remote-as 65414\n"
	" neighbor 10.2.0.1 bfd\n neighbor 10.2.0.1 ebgp-multihop 255\n"
	" neighbor 10.2.0.1 update-source 10.0.254.2\n neighbor 10.2.0.1 timers connect 5\n"
	" !\n address-family ipv4 unicast\n"
	"  network 10.0.0.0/24\n exit-address-family\nexit\n!\nend\n";

struct parsed {
	struct frr_bgp_inst v[4];
	int n;
};

static int keep(void *arg, const struct frr_bgp_inst *in)
{
	struct parsed *p = arg;

	assert_true(p->n < 4);
	p->v[p->n++] = *in;
	return 0;
}

static void test_parse(void **state)
{
	struct frr_bgp_inst *c = malloc(sizeof(*c)), *w = malloc(sizeof(*w));
	struct parsed *p = calloc(1, sizeof(*p));
	uint8_t d1[16], d2[16];

	(void)state;
	two_tenants(c, w);
	assert_int_equal(frr_bgp_parse(running, "tvrf", keep, p, NULL), 0);
	/* only tenet's VRFs; tvrf2 first (its vrf block came first) */
	assert_int_equal(p->n, 2);
	assert_memory_equal(&p->v[0], w, sizeof(*w));
	assert_memory_equal(&p->v[1], c, sizeof(*c));
	/* so an agent that restarts over FRR finds nothing to change */
	assert_int_equal(frr_bgp_digest(&p->v[0], d1), 0);
	assert_int_equal(frr_bgp_digest(w, d2), 0);
	assert_memory_equal(d1, d2, 16);
	free(c);
	free(w);
	free(p);
}

/* ---- the reconciler on a fake FRR ---- */

struct ffrr {
	struct bgp_ops ops;
	const char *running;            /* what show running-config prints */
	char applied[8][4096];
	int napplied;
	int fail;                       /* -errno for the next applies */
	int nfail;                      /* how many (0: one) */
	int nrunning;                   /* show running-config asked */
	char sig[32];
	const char *guard;              /* nft's listing of the guard table */
};

static int f_running(void *ctx, char **text, struct tenet_err *err)
{
	struct ffrr *f = ctx;

	if (!f->running)
		return tenet_err_set(err, -EIO, "exit status 1 (FRR not running?)");
	f->nrunning++;
	*text = strdup(f->running);
	return 0;
}

static int f_apply(void *ctx, const char *text, struct tenet_err *err)
{
	struct ffrr *f = ctx;

	if (f->fail) {
		int ret = f->fail;

		if (f->nfail > 1)
			f->nfail--;
		else
			f->fail = f->nfail = 0;
		return tenet_err_set(err, ret, "bgpd is not answering");
	}
	assert_true(f->napplied < 8);
	snprintf(f->applied[f->napplied++], sizeof(f->applied[0]), "%s", text);
	return 0;
}

static void f_signature(void *ctx, char *buf, size_t len)
{
	struct ffrr *f = ctx;

	snprintf(buf, len, "%s", f->sig);
}

static void put_rec(struct model *m, const struct tenet_record *r)
{
	struct tenet_err err = { 0 };
	char key[TENET_KEY_MAX];
	json_t *j = tenet_record_to_json(r);
	char *text = json_dumps(j, JSON_COMPACT);

	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	if (model_put(m, key, text, &err) < 0)
		fail_msg("model_put %s: %s", key, err.msg);
	free(text);
	json_decref(j);
}

static void del_rec(struct model *m, const struct tenet_record *r)
{
	char key[TENET_KEY_MAX];

	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	model_delete(m, key);
}

static void tenant(struct model *m, const char *rd, uint32_t id, uint32_t vsid, bool ny_sfo)
{
	struct tenet_record r = { .kind = TENET_KIND_VSUBNET };

	strcpy(r.vsubnet.rdomain, rd);
	r.vsubnet.vsid = vsid;
	tenet_parse_prefix("10.0.0.0/24", &r.vsubnet.prefix, NULL);
	put_rec(m, &r);
	if (!ny_sfo) {
		r.vsubnet.vsid = vsid + 998;
		tenet_parse_prefix("10.0.254.0/24", &r.vsubnet.prefix, NULL);
		put_rec(m, &r);
	}
	r = (struct tenet_record){ .kind = TENET_KIND_COMPARTMENT };
	strcpy(r.compartment.host, "gw");
	strcpy(r.compartment.name, rd);
	strcpy(r.compartment.rdomain, rd);
	r.compartment.id = id;
	r.compartment.vsid = vsid + 998;
	tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL);
	tenet_gw_default_mac("gw", rd, r.compartment.mac);
	put_rec(m, &r);
	r = (struct tenet_record){ .kind = TENET_KIND_BGP };
	strcpy(r.bgp.host, "gw");
	strcpy(r.bgp.rdomain, rd);
	r.bgp.asn = 65412;
	if (ny_sfo)
		r.bgp.router_id = ip("10.0.254.2");
	put_rec(m, &r);
	if (!ny_sfo) {
		r = (struct tenet_record){ .kind = TENET_KIND_BGPNBR };
		strcpy(r.bgpnbr.host, "gw");
		strcpy(r.bgpnbr.rdomain, rd);
		r.bgpnbr.address = ip("172.16.0.1");
		r.bgpnbr.remote_as = 65001;
		put_rec(m, &r);
		return;
	}
	for (int i = 0; i < 2; i++) {
		r = (struct tenet_record){ .kind = TENET_KIND_S2S };
		strcpy(r.s2s.host, "gw");
		strcpy(r.s2s.name, i ? "IfWe2" : "IfWe1");
		strcpy(r.s2s.rdomain, rd);
		r.s2s.id = i + 2;
		strcpy(r.s2s.destination, i ? "60.10.10.100" : "59.10.10.100");
		r.s2s.auth = TENET_S2S_CERT;
		strcpy(r.s2s.peer, i ? "CN=sfo" : "CN=ny");
		r.s2s.dpd = 10;
		r.s2s.retry = 30;
		put_rec(m, &r);
		r = (struct tenet_record){ .kind = TENET_KIND_BGPNBR };
		strcpy(r.bgpnbr.host, "gw");
		strcpy(r.bgpnbr.rdomain, rd);
		r.bgpnbr.address = ip(i ? "10.2.0.1" : "10.1.0.1");
		r.bgpnbr.remote_as = i ? 65414 : 65413;
		r.bgpnbr.bfd = 1;
		strcpy(r.bgpnbr.via, i ? "IfWe2" : "IfWe1");
		put_rec(m, &r);
	}
}

static char last_fail[256];

static void applied(void *arg, const struct recon *rc, unsigned int type, enum recon_op op,
		    const void *key, const void *val, int err, const char *msg)
{
	if (err < 0)
		snprintf(last_fail, sizeof(last_fail), "%s", msg ? msg : "");
}

static void test_reconciler(void **state)
{
	struct recon_hooks hooks = { .applied = applied };
	struct ffrr *f = calloc(1, sizeof(*f));
	struct recon_env env = { .host = "gw" };
	struct tenet_record id = { .kind = TENET_KIND_BGP };
	struct recon rc, rc2;
	struct model m;
	char all[8192];

	(void)state;
	f->ops = (struct bgp_ops){ .ctx = f, .running = f_running, .apply = f_apply,
				   .signature = f_signature };
	f->running = "";
	strcpy(f->sig, "1,2,3,");
	model_init(&m);
	tenant(&m, "Contoso", 1, 5001, false);
	tenant(&m, "Woodgrove", 2, 6001, true);

	recon_init(&rc, &gw_bgp_reconciler, &f->ops);
	/* The two instances are put as one batch (FRR read once, one text).
	 * It fails, and so does the first of the puts one by one that
	 * follow: that one is reported and retried next round, the other is
	 * applied. */
	f->fail = -EIO;
	f->nfail = 2;
	assert_int_equal(recon_run(&rc, &m, &env, &hooks), 1);
	assert_string_equal(last_fail, "FRR: bgpd is not answering");
	assert_int_equal(f->napplied, 1);
	/* the round's look at FRR, the batch's, each put's */
	assert_int_equal(f->nrunning, 4);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 2);
	/* the two blocks, exactly (the order of the compartments is the
	 * model's: compare the sorted pair) */
	snprintf(all, sizeof(all), "%s%s", f->applied[0], f->applied[1]);
	if (strncmp(all, "router bgp 65412 vrf tvrf1", 26))
		snprintf(all, sizeof(all), "%s%s", f->applied[1], f->applied[0]);
	assert_string_equal(all, two_text);
	/* nothing changed: nothing applied */
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 2);

	/* a restarted agent over this FRR: adopts, applies nothing */
	f->running = running;
	recon_init(&rc2, &gw_bgp_reconciler, &f->ops);
	assert_int_equal(recon_run(&rc2, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 2);
	/* FRR restarts: the next round reads it again and re-applies */
	assert_false(gw_bgp_reconciler.wake(&rc2));
	strcpy(f->sig, "7,8,9,");
	assert_true(gw_bgp_reconciler.wake(&rc2));
	f->running = "";
	f->nrunning = 0;
	assert_int_equal(recon_run(&rc2, &m, &env, NULL), 0);
	/* both at once: FRR read once (beside the restart check's read),
	 * one text holding both blocks */
	assert_int_equal(f->napplied, 3);
	assert_int_equal(f->nrunning, 2);
	snprintf(all, sizeof(all), "%s", f->applied[2]);
	if (strncmp(all, "router bgp 65412 vrf tvrf1", 26)) {
		/* tvrf2's block first: put tvrf1's in front to compare */
		const char *b = strstr(all, "router bgp 65412 vrf tvrf1");

		assert_non_null(b);
		snprintf(all, sizeof(all), "%s%.*s", b, (int)(b - f->applied[2]), f->applied[2]);
	}
	assert_string_equal(all, two_text);

	/* the tenant's BGP deleted: its instance is removed */
	f->running = running;
	strcpy(id.bgp.host, "gw");
	strcpy(id.bgp.rdomain, "Contoso");
	del_rec(&m, &id);
	assert_int_equal(recon_run(&rc2, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 4);
	assert_string_equal(f->applied[3], "no router bgp 65412 vrf tvrf1\n!\n");

	recon_fini(&rc);
	recon_fini(&rc2);
	model_free(&m);
	free(f);
}

static char guarded[3][1024];
static int nguarded;

static int f_nft(void *ctx, const char *cmds, struct tenet_err *err)
{
	(void)ctx;
	(void)err;
	assert_true(nguarded < 3);
	snprintf(guarded[nguarded++], sizeof(guarded[0]), "%s", cmds);
	return 0;
}

static int f_guard_list(void *ctx, char **text, struct tenet_err *err)
{
	struct ffrr *f = ctx;

	if (!f->guard)
		return tenet_err_set(err, -ENOENT, "No such file or directory");
	*text = strdup(f->guard);
	return 0;
}

/* nft's listing, as `list table ip tenet_bgp` prints it. */
static const char guard_listing[] =
	"table ip tenet_bgp {\n"
	"\tchain c12 {\n"
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
	"\t\tiifname \"ts9\" ip saddr 10.9.0.1 tcp dport 179 tcp flags & (syn | ack) == syn drop\n"
	"\t}\n"
	"\n"
	"\tchain c2 {\n"
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
	"\t\tiifname \"ts2\" ip saddr 10.1.0.1 tcp dport 179 tcp flags & (syn | ack) == syn drop\n"
	"\t\tiifname \"ts3\" ip saddr 10.2.0.1 tcp dport 179 tcp flags & (syn | ack) == syn drop\n"
	"\t}\n"
	"}\n";

static void test_guard_count(void **state)
{
	(void)state;
	assert_int_equal(bgp_guard_count(guard_listing, 2), 2);
	assert_int_equal(bgp_guard_count(guard_listing, 12), 1);
	assert_int_equal(bgp_guard_count(guard_listing, 1), -ENOENT);
	assert_int_equal(bgp_guard_count("table ip tenet_bgp {\n\tchain c2 {\n\t\ttype filter "
					 "hook prerouting priority raw; policy accept;\n\t}\n}\n", 2),
			 0);
	assert_int_equal(bgp_guard_count("", 2), -ENOENT);
}

/* The guard of the tunnel peers' sessions: the peers' own SYNs to port
 * 179 from their tunnels dropped (the gateway alone connects), applied
 * with the instance, gone with it; read back, and written again when it
 * was changed behind the agent's back. */
static void test_guard(void **state)
{
	struct ffrr *f = calloc(1, sizeof(*f));
	struct recon_env env = { .host = "gw" };
	struct tenet_record id = { .kind = TENET_KIND_BGP };
	struct recon rc;
	struct model m;
	static const char chain[] =
		"table ip tenet_bgp {\n\tchain c2 {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n\t}\n}\n";

	(void)state;
	f->ops = (struct bgp_ops){ .ctx = f, .running = f_running, .apply = f_apply,
				   .signature = f_signature, .nft = f_nft,
				   .guard_list = f_guard_list };
	f->running = "";
	model_init(&m);
	tenant(&m, "Woodgrove", 2, 6001, true);
	recon_init(&rc, &gw_bgp_reconciler, &f->ops);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(nguarded, 1);
	assert_int_equal(f->napplied, 1);
	assert_true(!strncmp(guarded[0], chain, strlen(chain)));
	assert_string_equal(guarded[0] + strlen(chain),
		"flush chain ip tenet_bgp c2\n"
		"add rule ip tenet_bgp c2 iifname \"ts2\" ip saddr 10.1.0.1 tcp dport 179 "
		"tcp flags & (syn | ack) == syn drop\n"
		"add rule ip tenet_bgp c2 iifname \"ts3\" ip saddr 10.2.0.1 tcp dport 179 "
		"tcp flags & (syn | ack) == syn drop\n");
	/* read back: as written, nothing to do */
	f->guard = guard_listing;
	assert_false(gw_bgp_reconciler.wake(&rc));
	/* the table deleted by hand: the next round writes the guard again */
	f->guard = NULL;
	assert_true(gw_bgp_reconciler.wake(&rc));
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(nguarded, 2);
	assert_string_equal(guarded[1], guarded[0]);
	f->guard = guard_listing;
	/* the instance deleted: its chain goes */
	f->running = running;
	strcpy(id.bgp.host, "gw");
	strcpy(id.bgp.rdomain, "Woodgrove");
	del_rec(&m, &id);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(nguarded, 3);
	assert_true(!strncmp(guarded[2], chain, strlen(chain)));
	assert_string_equal(guarded[2] + strlen(chain), "delete chain ip tenet_bgp c2\n");
	recon_fini(&rc);
	model_free(&m);
	free(f);
}

/* Records that cannot be decoded: a tenant's instance stays as FRR has it. */
static void test_lost_records(void **state)
{
	struct ffrr *f = calloc(1, sizeof(*f));
	struct recon_env env = { .host = "gw" };
	struct tenet_record id = { .kind = TENET_KIND_BGP };
	struct tenet_err err = { 0 };
	struct recon rc;
	struct model m;

	(void)state;
	f->ops = (struct bgp_ops){ .ctx = f, .running = f_running, .apply = f_apply,
				   .signature = f_signature };
	f->running = running;   /* both instances, as wanted */
	model_init(&m);
	tenant(&m, "Contoso", 1, 5001, false);
	tenant(&m, "Woodgrove", 2, 6001, true);
	recon_init(&rc, &gw_bgp_reconciler, &f->ops);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 0);
	/* a corrupt neighbor of Woodgrove: its instance is frozen, so a
	 * neighbor deleted meanwhile is not removed from FRR */
	assert_true(model_put(&m, "/tenet/v1/host/gw/bgpnbr/Woodgrove/10.9.9.9", "{\"host\":",
			      &err) < 0);
	id.kind = TENET_KIND_BGPNBR;
	strcpy(id.bgpnbr.host, "gw");
	strcpy(id.bgpnbr.rdomain, "Woodgrove");
	id.bgpnbr.address = ip("10.2.0.1");
	del_rec(&m, &id);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 0);
	/* a corrupt instance record: the instances FRR has that are not
	 * wanted are held, not removed */
	id = (struct tenet_record){ .kind = TENET_KIND_BGP };
	strcpy(id.bgp.host, "gw");
	strcpy(id.bgp.rdomain, "Contoso");
	del_rec(&m, &id);
	assert_true(model_put(&m, "/tenet/v1/host/gw/bgp/Contoso", "[", &err) < 0);
	assert_int_equal(recon_run(&rc, &m, &env, NULL), 0);
	assert_int_equal(f->napplied, 0);
	assert_int_equal(rc.st.held, 1);
	recon_fini(&rc);
	model_free(&m);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_render_two_tenants),
		cmocka_unit_test(test_render_changes),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reconciler),
		cmocka_unit_test(test_guard_count),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_lost_records),
	};

	return cmocka_run_group_tests_name("bgp", tests, NULL, NULL);
}

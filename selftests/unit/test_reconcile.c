// SPDX-License-Identifier: GPL-2.0
/* tenetd's reconciler against a fake kernel: record -> map translation
 * (the contract with bpf/), the diff (only differences are applied, in
 * dependency order), a restart over state an earlier agent left, failure
 * and retry, corrupt records. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <tenet/limits.h>
#include <tenet/maps.h>

#include "host/desired.h"
#include "host/nexthop.h"
#include "host/objs.h"
#include "fake_ops.h"
#include "recon/model.h"
#include "recon/recon.h"

#define HOST "h1"
#define PA_LOCAL "192.168.4.11"
#define PA_REMOTE "192.168.4.22"
#define MAC_P1 "00:15:5d:00:00:05"
#define MAC_P2 "00:15:5d:00:01:07"
#define MAC_REMOTE "00:15:5d:00:00:08"

struct fx {
	struct fake f;
	struct knl_ops ops;
	struct model m;
	struct recon rc;        /* the host datapath reconciler on the fake */
	struct build_env env;
	struct recon_env env_recon;
	char notes[16][300];
	int nnotes;
	uint32_t ul0, p1, p2;
};

static void note_cb(void *arg, const char *key, const char *msg)
{
	struct fx *x = arg;

	if (x->nnotes < 16)
		snprintf(x->notes[x->nnotes++], sizeof(x->notes[0]), "%s: %s", key, msg);
}

static bool noted(const struct fx *x, const char *needle)
{
	for (int i = 0; i < x->nnotes; i++)
		if (strstr(x->notes[i], needle))
			return true;
	return false;
}

static __be32 ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void mac(const char *s, uint8_t out[6])
{
	assert_int_equal(tenet_parse_mac(s, out, NULL), 0);
}

/* Put a record into the model through its real key and JSON codec. */
static void put_rec(struct model *m, const struct tenet_record *r)
{
	struct tenet_err err = { 0 };
	char key[TENET_KEY_MAX];
	json_t *j = tenet_record_to_json(r);
	char *text;

	assert_non_null(j);
	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	text = json_dumps(j, JSON_COMPACT);
	assert_non_null(text);
	if (model_put(m, key, text, &err) < 0)
		fail_msg("model_put %s: %s", key, err.msg);
	free(text);
	json_decref(j);
}

static void del_rec(struct model *m, const struct tenet_record *r)
{
	char key[TENET_KEY_MAX];

	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	assert_int_equal(model_delete(m, key), 1);
}

static struct tenet_record rdomain(const char *name, uint32_t id)
{
	struct tenet_record r = { .kind = TENET_KIND_RDOMAIN };

	snprintf(r.rdomain.name, sizeof(r.rdomain.name), "%s", name);
	r.rdomain.id = id;
	r.rdomain.guid[0] = (uint8_t)id;
	r.rdomain.guid[6] = 0x40;
	r.rdomain.guid[8] = 0x80;
	return r;
}

static struct tenet_record vsubnet(uint32_t vsid, const char *rd, const char *prefix)
{
	struct tenet_record r = { .kind = TENET_KIND_VSUBNET };

	r.vsubnet.vsid = vsid;
	snprintf(r.vsubnet.rdomain, sizeof(r.vsubnet.rdomain), "%s", rd);
	assert_int_equal(tenet_parse_prefix(prefix, &r.vsubnet.prefix, NULL), 0);
	return r;
}

static struct tenet_record lookup(uint32_t vsid, const char *ca, const char *m, const char *pa,
				  enum tenet_lookup_type type)
{
	struct tenet_record r = { .kind = TENET_KIND_LOOKUP };

	r.lookup.vsid = vsid;
	r.lookup.has_ca = ca != NULL;
	if (ca)
		r.lookup.ca = ip(ca);
	mac(m, r.lookup.mac);
	r.lookup.pa = ip(pa);
	r.lookup.type = type;
	r.lookup.rule = TENET_RULE_ENCAP;
	return r;
}

static struct tenet_record croute(const char *rd, uint32_t vsid, const char *prefix,
				  const char *nh, uint32_t metric)
{
	struct tenet_record r = { .kind = TENET_KIND_CROUTE };

	snprintf(r.croute.rdomain, sizeof(r.croute.rdomain), "%s", rd);
	r.croute.vsid = vsid;
	assert_int_equal(tenet_parse_prefix(prefix, &r.croute.prefix, NULL), 0);
	r.croute.nexthop = ip(nh);
	r.croute.metric = metric;
	return r;
}

static struct tenet_record pa(const char *host, const char *addr, const char *dev, uint16_t vlan)
{
	struct tenet_record r = { .kind = TENET_KIND_PA };

	snprintf(r.pa.host, sizeof(r.pa.host), "%s", host);
	assert_int_equal(tenet_parse_addr_len(addr, &r.pa.addr, NULL), 0);
	snprintf(r.pa.dev, sizeof(r.pa.dev), "%s", dev);
	r.pa.vlan = vlan;
	return r;
}

static struct tenet_record proute(const char *host, const char *prefix, const char *dev,
				  const char *via)
{
	struct tenet_record r = { .kind = TENET_KIND_PROUTE };

	snprintf(r.proute.host, sizeof(r.proute.host), "%s", host);
	assert_int_equal(tenet_parse_prefix(prefix, &r.proute.prefix, NULL), 0);
	snprintf(r.proute.dev, sizeof(r.proute.dev), "%s", dev);
	r.proute.via = ip(via);
	return r;
}

static struct tenet_record port(const char *host, const char *dev, uint32_t vsid, const char *m)
{
	struct tenet_record r = { .kind = TENET_KIND_PORT };

	snprintf(r.port.host, sizeof(r.port.host), "%s", host);
	snprintf(r.port.dev, sizeof(r.port.dev), "%s", dev);
	r.port.vsid = vsid;
	mac(m, r.port.mac);
	return r;
}

/* Chapter 1's Contoso on host h1: two subnets, two local VMs, one remote
 * CA, an l2only record, a customer route and a provider route. */
#define TOPOLOGY_N 13
static void topology_records(struct tenet_record *out)
{
	struct tenet_record r[TOPOLOGY_N] = {
		rdomain("Contoso", 1),
		vsubnet(5001, "Contoso", "10.0.0.0/24"),
		vsubnet(6001, "Contoso", "10.0.1.0/24"),
		pa(HOST, PA_LOCAL "/24", "ul0", 0),
		pa("h2", PA_REMOTE "/24", "ul0", 0),
		proute(HOST, "192.168.9.0/24", "ul0", "192.168.4.1"),
		port(HOST, "p1", 5001, MAC_P1),
		port(HOST, "p2", 6001, MAC_P2),
		lookup(5001, "10.0.0.5", MAC_P1, PA_LOCAL, TENET_LOOKUP_STATIC),
		lookup(6001, "10.0.1.7", MAC_P2, PA_LOCAL, TENET_LOOKUP_STATIC),
		lookup(5001, "10.0.0.8", MAC_REMOTE, PA_REMOTE, TENET_LOOKUP_STATIC),
		lookup(5001, NULL, "00:15:5d:00:00:09", PA_REMOTE, TENET_LOOKUP_L2ONLY),
		croute("Contoso", 5001, "10.229.200.0/24", "10.0.0.8", 10),
	};

	memcpy(out, r, sizeof(r));
}

static void topology(struct model *m)
{
	struct tenet_record r[TOPOLOGY_N];

	topology_records(r);
	for (size_t i = 0; i < TOPOLOGY_N; i++)
		put_rec(m, &r[i]);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	fake_init(&x->f, &x->ops);
	x->ul0 = fake_add_link(&x->f, "ul0", 1500);
	x->p1 = fake_add_link(&x->f, "p1", 1500);
	x->p2 = fake_add_link(&x->f, "p2", 1400);
	model_init(&x->m);
	recon_init(&x->rc, &host_reconciler, &x->ops);
	x->env = (struct build_env){ .host = HOST, .ops = &x->ops, .note = note_cb, .note_arg = x };
	x->env_recon = (struct recon_env){ .host = HOST, .note = note_cb, .note_arg = x };
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	model_free(&x->m);
	recon_fini(&x->rc);
	fake_free(&x->f);
	free(x);
	return 0;
}

static void build(struct fx *x, struct recon_set *d)
{
	recon_set_init(d, &host_reconciler);
	desired_prepare_links(&x->m, &x->env);
	assert_int_equal(desired_build(&x->m, &x->env, d, NULL), 0);
}

/* Build and apply, as the agent's reconcile does. Returns failures. */
static int sync_once(struct fx *x, struct recon_stats *st)
{
	struct recon_set d;
	int ret;

	build(x, &d);
	ret = recon_apply(&x->rc, &d, NULL);
	*st = x->rc.st;
	recon_set_free(&d);
	return ret;
}

static const void *get(const struct recon_set *s, enum obj o, const void *key)
{
	const struct htab_entry *e = htab_find(&s->t[o], key);

	return e ? htab_val(e) : NULL;
}

static unsigned int total(const struct recon_stats *st)
{
	unsigned int n = 0;

	for (int o = 0; o < OBJ_MAX; o++)
		n += st->add[o] + st->upd[o] + st->del[o];
	return n;
}

/* ---- translation ---- */

static void test_build_maps(void **state)
{
	struct fx *x = *state;
	struct tenet_cfg cfg_want = { .version = TENET_LAYOUT_VERSION, .flags = TENET_CFG_ENABLED,
				      .router_mac = TENET_ROUTER_MAC_INIT };
	struct tenet_vmac_key mk = { .vsid = 5001 };
	struct tenet_ca_key ck = { .rdomain = 1 };
	struct tenet_mac_key pmk = { 0 };
	const struct tenet_vsid_val *vv;
	const struct tenet_port_mac_val *pmv;
	const struct tenet_port_val *pv;
	const struct tenet_pa_val *pav;
	const struct tenet_vmac_val *mv;
	const struct tenet_ca_val *cv;
	__u32 zero = 0, vsid = 5001;
	__be32 pa_ip = ip(PA_LOCAL);
	struct recon_set d;

	topology(&x->m);
	build(x, &d);

	assert_memory_equal(get(&d, OBJ_CFG, &zero), &cfg_want, sizeof(cfg_want));

	pav = get(&d, OBJ_PA, &pa_ip);
	assert_non_null(pav);
	assert_int_equal(pav->ifindex, x->ul0);
	assert_int_equal(pav->vlan, 0);
	/* The underlay's MAC: decap takes only frames addressed to it. */
	assert_memory_equal(pav->mac, ((uint8_t[]){ 0x02, 0xfa, 0xce, 0, 0, x->ul0 }), 6);
	/* h2's PA is not ours. */
	pa_ip = ip(PA_REMOTE);
	assert_null(get(&d, OBJ_PA, &pa_ip));
	assert_int_equal(d.t[OBJ_PA].n, 1);

	vv = get(&d, OBJ_VSID, &vsid);
	assert_non_null(vv);
	assert_int_equal(vv->rdomain, 1);
	assert_int_equal(vv->gateway, ip("10.0.0.1"));
	assert_int_equal(vv->prefix, ip("10.0.0.0"));
	assert_int_equal(vv->plen, 24);
	assert_int_equal(d.t[OBJ_VSID].n, 2);

	pv = get(&d, OBJ_PORT, &x->p1);
	assert_non_null(pv);
	assert_int_equal(pv->vsid, 5001);
	assert_int_equal(pv->rdomain, 1);
	assert_int_equal(pv->pa, ip(PA_LOCAL));
	/* The subnet's .1, copied for the ARP proxy (no tenet_vsid lookup). */
	assert_int_equal(pv->gateway, ip("10.0.0.1"));
	mac(MAC_P1, pmk.mac);
	assert_memory_equal(pv->mac, pmk.mac, 6);
	pmv = get(&d, OBJ_PORT_MAC, &pmk);
	assert_non_null(pmv);
	/* The port's VSID and routing domain, copied for decap. */
	assert_int_equal(pmv->ifindex, x->p1);
	assert_int_equal(pmv->vsid, 5001);
	assert_int_equal(pmv->rdomain, 1);
	assert_non_null(get(&d, OBJ_ATTACH, &x->p1));
	assert_non_null(get(&d, OBJ_ATTACH, &x->p2));

	/* Local record: the port's ifindex, no PA. */
	mac(MAC_P1, mk.mac);
	mv = get(&d, OBJ_MAC, &mk);
	assert_non_null(mv);
	assert_int_equal(mv->ifindex, x->p1);
	assert_int_equal(mv->pa, 0);
	ck.ip = ip("10.0.0.5");
	cv = get(&d, OBJ_CA, &ck);
	assert_non_null(cv);
	assert_int_equal(cv->vsid, 5001);
	assert_int_equal(cv->ifindex, x->p1);
	assert_int_equal(cv->pa, 0);
	assert_int_equal(cv->type, TENET_LOOKUP_STATIC);
	assert_int_equal(cv->rule, TENET_RULE_ENCAP);

	/* Remote record: the PA, no ifindex. */
	mac(MAC_REMOTE, mk.mac);
	mv = get(&d, OBJ_MAC, &mk);
	assert_non_null(mv);
	assert_int_equal(mv->ifindex, 0);
	assert_int_equal(mv->pa, ip(PA_REMOTE));
	ck.ip = ip("10.0.0.8");
	cv = get(&d, OBJ_CA, &ck);
	assert_non_null(cv);
	assert_int_equal(cv->pa, ip(PA_REMOTE));
	assert_int_equal(cv->ifindex, 0);

	/* l2only: a MAC entry, no CA entry. */
	mac("00:15:5d:00:00:09", mk.mac);
	mv = get(&d, OBJ_MAC, &mk);
	assert_non_null(mv);
	assert_int_equal(mv->type, TENET_LOOKUP_L2ONLY);
	assert_int_equal(d.t[OBJ_MAC].n, 4);
	assert_int_equal(d.t[OBJ_CA].n, 3);
	assert_int_equal(x->nnotes, 0);
	recon_set_free(&d);
}

/* Dynamic learning: l2only records become slots 0..n-1 per VSID in
 * store-key order, local ones with their port; a learned dynamic record
 * of the same MAC gets the CA entry. */
static void test_build_l2only_slots(void **state)
{
	struct fx *x = *state;
	struct tenet_l2only_key k = { .vsid = 5001 };
	struct tenet_ca_key ck = { .rdomain = 1 };
	const struct tenet_l2only_val *v;
	const struct tenet_ca_val *cv;
	struct tenet_record r[] = {
		lookup(5001, NULL, "00:15:5d:00:00:0a", PA_REMOTE, TENET_LOOKUP_L2ONLY),
		lookup(5001, NULL, MAC_P1, PA_LOCAL, TENET_LOOKUP_L2ONLY),
		lookup(6001, NULL, "00:15:5d:00:01:0a", PA_REMOTE, TENET_LOOKUP_L2ONLY),
		lookup(5001, "10.0.0.9", "00:15:5d:00:00:09", PA_REMOTE, TENET_LOOKUP_DYNAMIC),
	};
	__u8 m[6];
	struct recon_set d;

	topology(&x->m);
	/* p1's static record makes way for an l2only one (what learning is for). */
	model_delete(&x->m, "/tenet/v1/global/lookup/00005001/ip/10.0.0.5");
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		put_rec(&x->m, &r[i]);
	build(x, &d);
	assert_int_equal(d.t[OBJ_L2ONLY].n, 4);
	/* 5001: ...:09 (topology), ...:0a, then p1's MAC (00:15:5d:00:00:05 sorts
	 * first: keys are compared as strings). */
	k.slot = 0;
	v = get(&d, OBJ_L2ONLY, &k);
	assert_non_null(v);
	mac(MAC_P1, m);
	assert_memory_equal(v->mac, m, 6);
	assert_int_equal(v->ifindex, x->p1);
	assert_int_equal(v->pa, ip(PA_LOCAL));
	k.slot = 1;
	v = get(&d, OBJ_L2ONLY, &k);
	assert_non_null(v);
	mac("00:15:5d:00:00:09", m);
	assert_memory_equal(v->mac, m, 6);
	assert_int_equal(v->ifindex, 0);
	assert_int_equal(v->pa, ip(PA_REMOTE));
	k.slot = 2;
	v = get(&d, OBJ_L2ONLY, &k);
	assert_non_null(v);
	assert_int_equal(v->mac[5], 0x0a);
	k.slot = 3;
	assert_null(get(&d, OBJ_L2ONLY, &k));
	k.vsid = 6001;
	k.slot = 0;
	assert_non_null(get(&d, OBJ_L2ONLY, &k));
	/* The learned binding routes and answers ARP like a static record. */
	ck.ip = ip("10.0.0.9");
	cv = get(&d, OBJ_CA, &ck);
	assert_non_null(cv);
	assert_int_equal(cv->type, TENET_LOOKUP_DYNAMIC);
	assert_int_equal(cv->pa, ip(PA_REMOTE));
	assert_int_equal(x->nnotes, 0);
	recon_set_free(&d);
}

/* More l2only records in a VSID than the datapath asks: the first ones by
 * store key are programmed, the rest noted. */
static void test_build_l2only_cap(void **state)
{
	struct fx *x = *state;
	struct recon_set d;
	char m[32];

	topology(&x->m);
	for (int i = 0; i < TENET_L2ONLY_PER_VSID + 2; i++) {
		struct tenet_record r;

		snprintf(m, sizeof(m), "00:15:5d:00:02:%02x", i);
		r = lookup(5001, NULL, m, PA_REMOTE, TENET_LOOKUP_L2ONLY);
		put_rec(&x->m, &r);
	}
	build(x, &d);
	assert_int_equal(d.t[OBJ_L2ONLY].n, TENET_L2ONLY_PER_VSID);
	assert_int_equal(x->nnotes, 3);
	recon_set_free(&d);
}

/* flowid = off in tenetd.conf: the datapath's config entry carries
 * TENET_CFG_NO_FLOWID, and turning it back on is one update of that entry
 * and nothing else. */
static void test_build_no_flowid(void **state)
{
	struct fx *x = *state;
	struct tenet_cfg want = { .version = TENET_LAYOUT_VERSION,
				  .flags = TENET_CFG_ENABLED | TENET_CFG_NO_FLOWID,
				  .router_mac = TENET_ROUTER_MAC_INIT };
	struct recon_stats st;
	struct recon_set d;
	__u32 zero = 0;

	topology(&x->m);
	x->env.no_flowid = true;
	build(x, &d);
	assert_memory_equal(get(&d, OBJ_CFG, &zero), &want, sizeof(want));
	recon_set_free(&d);

	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(total(&st), 0);
	x->env.no_flowid = false;
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(total(&st), 1);
	assert_int_equal(st.upd[OBJ_CFG], 1);
	want.flags = TENET_CFG_ENABLED;
	assert_memory_equal(get(&x->rc.shadow, OBJ_CFG, &zero), &want, sizeof(want));
}

/* strict_source = on: the config entry carries TENET_CFG_STRICT_SRC. */
static void test_build_strict_source(void **state)
{
	struct fx *x = *state;
	struct tenet_cfg want = { .version = TENET_LAYOUT_VERSION,
				  .flags = TENET_CFG_ENABLED | TENET_CFG_STRICT_SRC,
				  .router_mac = TENET_ROUTER_MAC_INIT };
	struct recon_set d;
	__u32 zero = 0;

	topology(&x->m);
	x->env.strict_source = true;
	build(x, &d);
	assert_memory_equal(get(&d, OBJ_CFG, &zero), &want, sizeof(want));
	recon_set_free(&d);
}

static void test_build_routes_addrs(void **state)
{
	struct fx *x = *state;
	struct tenet_route_key rk = { .rdomain = 1, .plen = 24, .ip = ip("10.229.200.0") };
	const struct tenet_route_lens *lens;
	__u32 rd = 1;
	struct kroute_key kk = { .dst = ip("192.168.9.0"), .plen = 24 };
	struct addr_key ak = { .ifindex = x->ul0, .addr = ip(PA_LOCAL) };
	const struct tenet_route_val *rv;
	const struct kroute_val *kv;
	const struct addr_val *av;
	struct recon_set d;

	topology(&x->m);
	build(x, &d);
	rv = get(&d, OBJ_ROUTE, &rk);
	assert_non_null(rv);
	assert_int_equal(rv->nexthop, ip("10.0.0.8"));
	assert_int_equal(rv->vsid, 5001);
	assert_int_equal(rv->metric, 10);
	/* The routing domain's set of route lengths holds /24. */
	lens = get(&d, OBJ_ROUTE_LENS, &rd);
	assert_non_null(lens);
	assert_true(lens->bits & (1ULL << 24));
	kv = get(&d, OBJ_KROUTE, &kk);
	assert_non_null(kv);
	assert_int_equal(kv->ifindex, x->ul0);
	assert_int_equal(kv->via, ip("192.168.4.1"));
	av = get(&d, OBJ_ADDR, &ak);
	assert_non_null(av);
	assert_int_equal(av->plen, 24);
	/* The PA device was set up, its forwarding left alone. */
	assert_true(fake_link_by_name(&x->f, "ul0")->up);
	assert_false(fake_link_by_name(&x->f, "ul0")->forwarding);
	recon_set_free(&d);
}

/* Two routing domains that (corruptly) share an id put two routes on one
 * route key: the lower metric wins, whatever order the model is walked in. */
static void test_build_route_lowest_metric(void **state)
{
	struct fx *x = *state;
	struct tenet_route_key rk = { .rdomain = 7, .plen = 8, .ip = ip("10.0.0.0") };
	struct tenet_record r[] = {
		rdomain("A", 7), rdomain("B", 7),
		croute("A", 5001, "10.0.0.0/8", "10.0.0.9", 20),
		croute("B", 5001, "10.0.0.0/8", "10.0.0.8", 5),
	};
	struct recon_set d;

	for (size_t i = 0; i < 4; i++)
		put_rec(&x->m, &r[i]);
	build(x, &d);
	assert_int_equal(((const struct tenet_route_val *)get(&d, OBJ_ROUTE, &rk))->metric, 5);
	assert_true(noted(x, "croute/A/10.0.0.0_8: conflicts with"));
	recon_set_free(&d);
}

/* Routes are expanded to multiples of 4 bits: a /22 becomes four /24
 * entries, except where a longer route (a /24 inside it) owns the entry;
 * the routing domain's length set holds the expanded lengths only. The
 * longer route wins whichever is walked first, and silently (that is LPM,
 * not a conflict). */
static void test_build_route_expansion(void **state)
{
	struct fx *x = *state;
	struct tenet_record r[] = {
		rdomain("A", 7),
		croute("A", 5001, "10.1.4.0/22", "10.0.0.9", 20),
		croute("A", 5001, "10.1.6.0/24", "10.0.0.8", 30),
		croute("A", 5001, "10.2.0.0/31", "10.0.0.8", 1),
	};
	const char *want[] = { "10.1.4.0", "10.1.5.0", "10.1.6.0", "10.1.7.0" };
	const struct tenet_route_lens *lens;
	const struct tenet_route_val *v;
	struct recon_set d;
	__u32 rd = 7;

	for (size_t i = 0; i < 4; i++)
		put_rec(&x->m, &r[i]);
	build(x, &d);
	for (size_t i = 0; i < 4; i++) {
		struct tenet_route_key k = { .rdomain = 7, .plen = 24, .ip = ip(want[i]) };

		v = get(&d, OBJ_ROUTE, &k);
		assert_non_null(v);
		assert_int_equal(v->plen, i == 2 ? 24 : 22);
		assert_int_equal(v->nexthop, ip(i == 2 ? "10.0.0.8" : "10.0.0.9"));
	}
	/* /31 -> two /32 entries */
	for (int i = 0; i < 2; i++) {
		struct tenet_route_key k = { .rdomain = 7, .plen = 32,
					     .ip = htonl(ntohl(ip("10.2.0.0")) + i) };

		assert_non_null(get(&d, OBJ_ROUTE, &k));
	}
	assert_int_equal(d.t[OBJ_ROUTE].n, 6);
	lens = get(&d, OBJ_ROUTE_LENS, &rd);
	assert_non_null(lens);
	assert_int_equal(lens->bits, (1ULL << 24) | (1ULL << 32));
	assert_false(noted(x, "conflicts with"));
	recon_set_free(&d);
}

static void test_build_missing_and_unknown(void **state)
{
	struct fx *x = *state;
	struct tenet_record r[] = {
		rdomain("Contoso", 1),
		vsubnet(5001, "Contoso", "10.0.0.0/24"),
		vsubnet(7001, "Nobody", "10.7.0.0/24"),
		pa(HOST, PA_LOCAL "/24", "ul0", 0),
		port(HOST, "gone0", 5001, MAC_P1),
		port(HOST, "p2", 9999, MAC_P2),
		lookup(8001, "10.8.0.5", MAC_REMOTE, PA_REMOTE, TENET_LOOKUP_STATIC),
	};
	struct tenet_vmac_key mk = { .vsid = 8001 };
	struct recon_set d;

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		put_rec(&x->m, &r[i]);
	build(x, &d);
	assert_int_equal(d.t[OBJ_VSID].n, 1);
	assert_int_equal(d.t[OBJ_PORT].n, 0);
	assert_int_equal(d.t[OBJ_ATTACH].n, 0);
	/* A record of an unknown VSID still switches by MAC; no CA entry. */
	mac(MAC_REMOTE, mk.mac);
	assert_non_null(get(&d, OBJ_MAC, &mk));
	assert_int_equal(d.t[OBJ_CA].n, 0);
	assert_true(noted(x, "vsubnet/00007001: routing domain Nobody unknown"));
	assert_true(noted(x, "port/gone0: device gone0 not present"));
	assert_true(noted(x, "port/p2: VSID 9999 has no virtual subnet"));
	assert_true(noted(x, "lookup/00008001/ip/10.8.0.5: VSID 8001 has no virtual subnet"));
	recon_set_free(&d);
}

/* A record naming our PA is local only if a port of ours has its MAC in
 * its VSID; otherwise it stays a remote record (PA, no ifindex). */
static void test_build_local_needs_port(void **state)
{
	struct fx *x = *state;
	struct tenet_vmac_key mk = { .vsid = 5001 };
	const struct tenet_vmac_val *mv;
	struct recon_set d;
	struct tenet_record r[] = {
		rdomain("Contoso", 1),
		vsubnet(5001, "Contoso", "10.0.0.0/24"),
		pa(HOST, PA_LOCAL "/24", "ul0", 0),
		lookup(5001, "10.0.0.5", MAC_P1, PA_LOCAL, TENET_LOOKUP_STATIC),
	};

	for (size_t i = 0; i < 4; i++)
		put_rec(&x->m, &r[i]);
	build(x, &d);
	mac(MAC_P1, mk.mac);
	mv = get(&d, OBJ_MAC, &mk);
	assert_non_null(mv);
	assert_int_equal(mv->ifindex, 0);
	assert_int_equal(mv->pa, ip(PA_LOCAL));
	recon_set_free(&d);
}

static void test_build_vlan_pa(void **state)
{
	struct fx *x = *state;
	struct tenet_record r = pa(HOST, PA_LOCAL "/24", "ul0", 100);
	const struct tenet_pa_val *pav;
	__be32 key = ip(PA_LOCAL);
	struct fake_link *vl;
	struct recon_set d;

	put_rec(&x->m, &r);
	build(x, &d);
	vl = fake_link_by_name(&x->f, "ul0.100");
	assert_non_null(vl);
	assert_int_equal(vl->vlan, 100);
	assert_true(vl->up);
	assert_false(vl->forwarding);
	pav = get(&d, OBJ_PA, &key);
	assert_non_null(pav);
	assert_int_equal(pav->ifindex, vl->ifindex);
	assert_int_equal(pav->vlan, 100);
	assert_memory_equal(pav->mac, ((uint8_t[]){ 0x02, 0xfa, 0xce, 0, 0, vl->ifindex }), 6);
	recon_set_free(&d);
}

/* A VLAN device tenet made goes with the last PA on it; a link tenet did
 * not make (the underlay) stays. */
static void test_vlan_pa_removed(void **state)
{
	struct fx *x = *state;
	struct tenet_record r = pa(HOST, PA_LOCAL "/24", "ul0", 100);
	struct recon_set d;

	put_rec(&x->m, &r);
	build(x, &d);
	recon_set_free(&d);
	assert_non_null(fake_link_by_name(&x->f, "ul0.100"));
	/* Still wanted: nothing removed on the next pass. */
	assert_int_equal(desired_prepare_links(&x->m, &x->env), 0);
	assert_non_null(fake_link_by_name(&x->f, "ul0.100"));

	model_free(&x->m);
	model_init(&x->m);
	assert_int_equal(desired_prepare_links(&x->m, &x->env), 1);
	assert_null(fake_link_by_name(&x->f, "ul0.100"));
	assert_non_null(fake_link_by_name(&x->f, "ul0"));
}

static void test_clamp_mtu(void **state)
{
	struct fx *x = *state;
	struct recon_set d;

	topology(&x->m);
	build(x, &d);
	assert_int_equal(desired_clamp_mtu(&d, &x->env), 1);
	assert_int_equal(fake_link_by_index(&x->f, x->p1)->mtu, 1500 - TENET_ENCAP_OVERHEAD);
	/* Smaller already: left alone. */
	assert_int_equal(fake_link_by_index(&x->f, x->p2)->mtu, 1400);
	assert_int_equal(desired_clamp_mtu(&d, &x->env), 0);
	recon_set_free(&d);
}

/* ---- the diff ---- */

static void test_apply_initial_then_idempotent(void **state)
{
	struct fx *x = *state;
	struct recon_stats st;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.add[OBJ_MAC], 4);
	assert_int_equal(st.add[OBJ_CA], 3);
	assert_int_equal(st.add[OBJ_ATTACH], 2);
	assert_int_equal(st.del[OBJ_MAC], 0);
	assert_int_equal(x->f.k.t[OBJ_PORT].n, 2);
	assert_int_equal(x->f.k.t[OBJ_ATTACH].n, 2);
	/* A port's program is attached only once its map entries exist. */
	assert_true(fake_call_index(&x->f, "map_update port") <
		    fake_call_index(&x->f, "tc_attach"));
	assert_true(fake_call_index(&x->f, "map_update ca") < fake_call_index(&x->f, "tc_attach"));
	assert_true(fake_call_index(&x->f, "addr_add") < fake_call_index(&x->f, "map_update pa"));

	/* Nothing changed: nothing touches the kernel. */
	fake_calls_reset(&x->f);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(total(&st), 0);
	assert_int_equal(x->f.ncalls, 0);
}

/* Batched map writes (what the kernel ops do): the same result as one
 * write per entry, and a batch the kernel refuses falls back to writing
 * the entries one by one, each with its own verdict. */
static int batch_calls, batch_fail;

static int fake_batch(void *ctx, enum obj m, const void *keys, const void *vals, unsigned int n)
{
	size_t ksz = obj_key_size(m), vsz = obj_val_size(m);

	batch_calls++;
	if (batch_fail)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		int ret = fake_map_update(ctx, m, (const char *)keys + i * ksz,
					  (const char *)vals + i * vsz);

		if (ret)
			return ret;
	}
	return 0;
}

static void apply_batched(struct fx *x, int fail)
{
	struct recon_stats st;

	x->ops.map_update_batch = fake_batch;
	batch_fail = fail;
	batch_calls = 0;
	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	assert_true(batch_calls > 0);
	assert_int_equal(st.add[OBJ_MAC], 4);
	assert_int_equal(st.add[OBJ_CA], 3);
	assert_int_equal(x->f.k.t[OBJ_MAC].n, 4);
	assert_int_equal(x->f.k.t[OBJ_CA].n, 3);
	assert_int_equal(x->f.k.t[OBJ_PORT].n, 2);
	assert_int_equal(x->f.k.t[OBJ_ATTACH].n, 2);
	assert_true(fake_call_index(&x->f, "map_update ca") < fake_call_index(&x->f, "tc_attach"));
	/* Nothing changed: nothing touches the kernel. */
	batch_calls = 0;
	fake_calls_reset(&x->f);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(total(&st), 0);
	assert_int_equal(batch_calls, 0);
	batch_fail = 0;
}

static void test_apply_batched(void **state)
{
	apply_batched(*state, 0);
}

static void test_apply_batch_fallback(void **state)
{
	apply_batched(*state, 1);
}

static void test_apply_one_change(void **state)
{
	struct fx *x = *state;
	struct tenet_record moved = lookup(5001, "10.0.0.8", MAC_REMOTE, "192.168.4.33",
					   TENET_LOOKUP_STATIC);
	struct tenet_vmac_key mk = { .vsid = 5001 };
	struct recon_stats st;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	fake_calls_reset(&x->f);
	/* The VM moved to another host: one record changes its PA. */
	put_rec(&x->m, &moved);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(total(&st), 2);
	assert_int_equal(st.upd[OBJ_MAC], 1);
	assert_int_equal(st.upd[OBJ_CA], 1);
	assert_int_equal(x->f.ncalls, 2);
	mac(MAC_REMOTE, mk.mac);
	assert_int_equal(((const struct tenet_vmac_val *)get(&x->f.k, OBJ_MAC, &mk))->pa,
			 ip("192.168.4.33"));
}

/* The port entries carry copies of other records' fields (its subnet's
 * routing domain and .1, the host's PA): when those records change, the
 * port's entries are rewritten with them, and nothing else is. */
static void test_apply_port_copies_follow(void **state)
{
	struct fx *x = *state;
	struct tenet_record sub = vsubnet(5001, "Woodgrove", "10.5.0.0/16");
	struct tenet_record rd = rdomain("Woodgrove", 2);
	struct tenet_record pa_new = pa(HOST, "192.168.4.12/24", "ul0", 0);
	struct tenet_record pa_old = pa(HOST, PA_LOCAL "/24", "ul0", 0);
	const struct tenet_port_mac_val *pmv;
	const struct tenet_port_val *pv;
	struct tenet_mac_key pmk = { 0 };
	struct recon_stats st;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	mac(MAC_P1, pmk.mac);

	/* The subnet moves to another routing domain and prefix. */
	put_rec(&x->m, &rd);
	put_rec(&x->m, &sub);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.upd[OBJ_PORT], 1);
	assert_int_equal(st.upd[OBJ_PORT_MAC], 1);
	pv = get(&x->f.k, OBJ_PORT, &x->p1);
	assert_non_null(pv);
	assert_int_equal(pv->rdomain, 2);
	assert_int_equal(pv->gateway, ip("10.5.0.1"));
	pmv = get(&x->f.k, OBJ_PORT_MAC, &pmk);
	assert_non_null(pmv);
	assert_int_equal(pmv->rdomain, 2);
	assert_int_equal(pmv->vsid, 5001);
	/* p2's subnet did not change: neither did its entries. */
	pv = get(&x->f.k, OBJ_PORT, &x->p2);
	assert_int_equal(pv->rdomain, 1);
	assert_int_equal(pv->gateway, ip("10.0.1.1"));

	/* The host's PA changes: every port's outer source follows. */
	del_rec(&x->m, &pa_old);
	put_rec(&x->m, &pa_new);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.upd[OBJ_PORT], 2);
	assert_int_equal(((const struct tenet_port_val *)get(&x->f.k, OBJ_PORT, &x->p1))->pa,
			 ip("192.168.4.12"));
	assert_int_equal(((const struct tenet_port_val *)get(&x->f.k, OBJ_PORT, &x->p2))->pa,
			 ip("192.168.4.12"));
}

static __u16 vsid_slot(const struct fx *x, uint32_t vsid)
{
	const struct tenet_vsid_val *v = get(&x->f.k, OBJ_VSID, &vsid);

	assert_non_null(v);
	return v->stats_slot;
}

static bool zeroed(const struct fx *x, uint32_t slot)
{
	for (int i = 0; i < x->f.nzeroed; i++)
		if (x->f.zeroed[i] == slot)
			return true;
	return false;
}

/* Counter slots (tenet_vstats): given in VSID order from 1, sticky while
 * the kernel has the VSID, copied into the ports; a slot freed by a
 * removed VSID is given again only a round later, and zeroed first. */
static void test_apply_stats_slots(void **state)
{
	struct fx *x = *state;
	struct tenet_record s5000 = vsubnet(5000, "Contoso", "10.0.5.0/24");
	struct tenet_record s6001 = vsubnet(6001, "Contoso", "10.0.1.0/24");
	struct tenet_record s7000 = vsubnet(7000, "Contoso", "10.0.7.0/24");
	struct tenet_record s7001 = vsubnet(7001, "Contoso", "10.0.8.0/24");
	struct tenet_record p2 = port(HOST, "p2", 6001, MAC_P2);
	struct tenet_mac_key mk = { 0 };
	struct recon_stats st;

	x->env.kernel = &x->rc.shadow;  /* as host_want passes it */
	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(vsid_slot(x, 5001), 1);
	assert_int_equal(vsid_slot(x, 6001), 2);
	assert_int_equal(((const struct tenet_port_val *)get(&x->f.k, OBJ_PORT, &x->p1))->stats_slot,
			 1);
	assert_int_equal(((const struct tenet_port_val *)get(&x->f.k, OBJ_PORT, &x->p2))->stats_slot,
			 2);
	/* And into the MAC entries decap counts by. */
	mac(MAC_P2, mk.mac);
	assert_int_equal(((const struct tenet_port_mac_val *)get(&x->f.k, OBJ_PORT_MAC, &mk))
				 ->stats_slot, 2);
	assert_int_equal(x->f.nzeroed, 2);
	assert_true(zeroed(x, 1) && zeroed(x, 2));

	/* A lower VSID comes: the others keep their slots. */
	x->f.nzeroed = 0;
	put_rec(&x->m, &s5000);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.add[OBJ_VSID], 1);
	assert_int_equal(st.upd[OBJ_VSID] + st.upd[OBJ_PORT], 0);
	assert_int_equal(vsid_slot(x, 5000), 3);
	assert_int_equal(x->f.nzeroed, 1);
	assert_int_equal(x->f.zeroed[0], 3);

	/* 6001 goes (and its port), 7000 comes: not into 6001's slot yet. */
	del_rec(&x->m, &p2);
	del_rec(&x->m, &s6001);
	put_rec(&x->m, &s7000);
	assert_int_equal(sync_once(x, &st), 0);
	assert_null(get(&x->f.k, OBJ_VSID, &(uint32_t){ 6001 }));
	assert_int_equal(vsid_slot(x, 7000), 4);

	/* A round later the slot is free: the next new VSID gets it, zeroed. */
	x->f.nzeroed = 0;
	put_rec(&x->m, &s7001);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(vsid_slot(x, 7001), 2);
	assert_int_equal(x->f.nzeroed, 1);
	assert_int_equal(x->f.zeroed[0], 2);

	/* A new agent reads the slots back from the kernel and keeps them. */
	recon_fini(&x->rc);
	recon_init(&x->rc, &host_reconciler, &x->ops);
	assert_int_equal(recon_observe(&x->rc, NULL), 0);
	x->f.nzeroed = 0;
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.add[OBJ_VSID] + st.upd[OBJ_VSID] + st.add[OBJ_PORT] +
			 st.upd[OBJ_PORT], 0);
	assert_int_equal(x->f.nzeroed, 0);
	assert_int_equal(vsid_slot(x, 5000), 3);
	assert_int_equal(vsid_slot(x, 5001), 1);
	assert_int_equal(vsid_slot(x, 7000), 4);
	assert_int_equal(vsid_slot(x, 7001), 2);
}

static void test_apply_port_removed_detaches_first(void **state)
{
	struct fx *x = *state;
	struct tenet_record p1 = port(HOST, "p1", 5001, MAC_P1);
	struct tenet_vmac_key mk = { .vsid = 5001 };
	const struct tenet_vmac_val *mv;
	struct recon_stats st;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	fake_calls_reset(&x->f);
	del_rec(&x->m, &p1);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.del[OBJ_ATTACH], 1);
	assert_int_equal(st.del[OBJ_PORT], 1);
	assert_int_equal(st.del[OBJ_PORT_MAC], 1);
	/* Detach before the port's entries go: no frame runs without them. */
	assert_true(fake_call_index(&x->f, "tc_detach") <
		    fake_call_index(&x->f, "map_delete port"));
	/* Its lookup record became remote (our own PA, no local port). */
	mac(MAC_P1, mk.mac);
	mv = get(&x->f.k, OBJ_MAC, &mk);
	assert_non_null(mv);
	assert_int_equal(mv->ifindex, 0);
	assert_int_equal(mv->pa, ip(PA_LOCAL));
}

static void test_apply_device_comes_and_goes(void **state)
{
	struct fx *x = *state;
	struct recon_stats st;
	uint32_t p1;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	fake_del_link(&x->f, "p1");
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.del[OBJ_ATTACH], 1);
	assert_int_equal(x->f.k.t[OBJ_PORT].n, 1);
	/* Back with a new ifindex: attached there. */
	p1 = fake_add_link(&x->f, "p1", 1500);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.add[OBJ_ATTACH], 1);
	assert_non_null(get(&x->f.k, OBJ_PORT, &p1));
	assert_non_null(get(&x->f.k, OBJ_ATTACH, &p1));
}

static void test_apply_failure_is_retried(void **state)
{
	struct fx *x = *state;
	struct recon_stats st;
	char call[48];

	topology(&x->m);
	snprintf(call, sizeof(call), "tc_attach %u", x->p2);
	strcpy(x->f.fail_call, call);
	x->f.fail_err = -EBUSY;
	assert_int_equal(sync_once(x, &st), 1);
	assert_int_equal(st.failed, 1);
	assert_null(get(&x->rc.shadow, OBJ_ATTACH, &x->p2));
	/* The next pass retries only what failed. */
	fake_calls_reset(&x->f);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(total(&st), 1);
	assert_int_equal(st.add[OBJ_ATTACH], 1);
	assert_non_null(get(&x->f.k, OBJ_ATTACH, &x->p2));
}

/* A restarted agent: the kernel holds what the previous one wrote, plus
 * entries for records deleted while no agent ran. The new agent reads the
 * shadow back, replaces its TC programs, deletes the stale entries and
 * rewrites nothing else. */
static void test_restart_reconciles_difference(void **state)
{
	struct fx *x = *state;
	struct tenet_record gone = lookup(5001, "10.0.0.8", MAC_REMOTE, PA_REMOTE,
					  TENET_LOOKUP_STATIC);
	struct recon_stats st;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	/* Agent stops; a record is deleted; a new agent starts. */
	recon_fini(&x->rc);
	recon_init(&x->rc, &host_reconciler, &x->ops);
	del_rec(&x->m, &gone);
	fake_calls_reset(&x->f);
	assert_int_equal(recon_observe(&x->rc, NULL), 0);
	assert_int_equal(x->rc.shadow.t[OBJ_ATTACH].n, 2);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.del[OBJ_MAC], 1);
	assert_int_equal(st.del[OBJ_CA], 1);
	assert_int_equal(st.upd[OBJ_ATTACH], 2);  /* programs replaced in place */
	assert_int_equal(st.upd[OBJ_ADDR], 1);    /* re-added: prefix length was unknown */
	assert_int_equal(st.add[OBJ_PORT] + st.upd[OBJ_PORT] + st.add[OBJ_MAC] +
			 st.upd[OBJ_MAC] + st.upd[OBJ_CFG] + st.upd[OBJ_VSID], 0);
	assert_int_equal(fake_calls_count(&x->f, "tc_detach"), 0);
	assert_int_equal(fake_calls_count(&x->f, "map_delete"), 2);
	assert_int_equal(fake_calls_count(&x->f, "map_update"), 0);
	/* And then it is quiet. */
	fake_calls_reset(&x->f);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(x->f.ncalls, 0);
}

static void test_stale_port_from_earlier_agent(void **state)
{
	struct fx *x = *state;
	struct tenet_port_val pv = { .vsid = 5001, .rdomain = 1 };
	struct attach_val att = { 0 };
	struct recon_stats st;
	uint32_t old = fake_add_link(&x->f, "old0", 1500);

	topology(&x->m);
	htab_put(&x->f.k.t[OBJ_PORT], &old, &pv, NULL);
	htab_put(&x->f.k.t[OBJ_ATTACH], &old, &att, NULL);
	assert_int_equal(recon_observe(&x->rc, NULL), 0);
	assert_int_equal(sync_once(x, &st), 0);
	assert_null(get(&x->f.k, OBJ_PORT, &old));
	assert_null(get(&x->f.k, OBJ_ATTACH, &old));
}

static void test_provider_route_change(void **state)
{
	struct fx *x = *state;
	struct tenet_record r = proute(HOST, "192.168.9.0/24", "ul0", "192.168.4.254");
	struct kroute_key kk = { .dst = ip("192.168.9.0"), .plen = 24 };
	struct recon_stats st;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	fake_calls_reset(&x->f);
	put_rec(&x->m, &r);
	assert_int_equal(sync_once(x, &st), 0);
	assert_int_equal(st.upd[OBJ_KROUTE], 1);
	assert_true(fake_call_index(&x->f, "route_del") < fake_call_index(&x->f, "route_add"));
	assert_int_equal(((const struct kroute_val *)get(&x->f.k, OBJ_KROUTE, &kk))->via,
			 ip("192.168.4.254"));
}

/* tenetd --cleanup: a teardown of what an earlier agent left detaches the
 * ports and removes the PA addresses and provider routes; map entries go
 * with the pins, so they are neither read nor deleted one by one. */
static void test_teardown(void **state)
{
	struct fx *x = *state;
	struct recon_stats st;
	struct recon td;
	struct model empty;

	topology(&x->m);
	assert_int_equal(sync_once(x, &st), 0);
	model_init(&empty);
	recon_init(&td, &host_reconciler, &x->ops);
	td.teardown = true;
	fake_calls_reset(&x->f);
	assert_int_equal(recon_run(&td, &empty, &x->env_recon, NULL), 0);
	assert_int_equal(x->f.k.t[OBJ_ATTACH].n, 0);
	assert_int_equal(x->f.k.t[OBJ_ADDR].n, 0);
	assert_int_equal(x->f.k.t[OBJ_KROUTE].n, 0);
	assert_int_equal(fake_calls_count(&x->f, "tc_detach"), 2);
	assert_int_equal(fake_calls_count(&x->f, "map_"), 0);
	assert_int_equal(x->f.k.t[OBJ_CA].n, 3);
	recon_fini(&td);
	model_free(&empty);
}

/* ---- the model: bad input never wipes good state ---- */

static void test_model_corrupt_keeps_last_good(void **state)
{
	struct fx *x = *state;
	struct tenet_record p1 = port(HOST, "p1", 5001, MAC_P1);
	struct tenet_err err = { 0 };
	const struct htab_entry *e;
	char key[TENET_KEY_MAX];

	put_rec(&x->m, &p1);
	assert_int_equal(tenet_record_key(&p1, key, sizeof(key)), 0);
	assert_true(model_put(&x->m, key, "{not json", &err) < 0);
	assert_non_null(strstr(err.msg, key));
	assert_true(model_put(&x->m, key, "{\"host\":\"h1\"}", &err) < 0);
	assert_true(model_put(&x->m, key, NULL, &err) < 0);
	e = htab_find(&x->m.recs, key);
	assert_non_null(e);
	assert_int_equal(model_rec(e)->port.vsid, 5001);
	/* The same value again is no change. */
	{
		json_t *j = tenet_record_to_json(&p1);
		char *text = json_dumps(j, JSON_COMPACT);

		assert_int_equal(model_put(&x->m, key, text, &err), 0);
		free(text);
		json_decref(j);
	}
	/* Keys outside the record layout are not records. */
	assert_int_equal(model_put(&x->m, TENET_KEY_SERIAL, "42", &err), 0);
	assert_int_equal(x->m.recs.n, 1);
}

static void count_bad(void *arg, const char *msg)
{
	(*(int *)arg)++;
}

static void test_model_load_skips_bad(void **state)
{
	struct fx *x = *state;
	struct tenet_kv kvs[] = {
		{ .key = "/tenet/v1/global/rdomain/Contoso",
		  .value = "{\"name\":\"Contoso\",\"guid\":\"6c0aa2e2-b1a7-4c87-9a48-1d7f1ab36f01\","
			   "\"id\":1}" },
		{ .key = "/tenet/v1/global/rdomain/Bad", .value = "[1,2" },
		{ .key = "/tenet/v1/global/vsubnet/00005001",
		  .value = "{\"vsid\":5001,\"rdomain\":\"Contoso\",\"prefix\":\"10.0.0.0/24\"}" },
		{ .key = "/tenet/v1/global/vsubnet/00006001",
		  .value = "{\"vsid\":5001,\"rdomain\":\"Contoso\",\"prefix\":\"10.0.0.0/24\"}" },
		{ .key = "/tenet/v1/meta/serial", .value = "7" },
	};
	struct tenet_kv_list l = { .kvs = kvs, .n = 5, .rev = 9 };
	int bad = 0;

	assert_int_equal(model_load(&x->m, &l, count_bad, &bad), 2);
	assert_int_equal(bad, 2);
	assert_int_equal(x->m.recs.n, 2);
	assert_non_null(htab_find(&x->m.recs, "/tenet/v1/global/vsubnet/00005001"));
}

/* ---- records that cannot be decoded keep their kernel state ---- */

static void set_copy(struct recon_set *dst, const struct recon_set *src)
{
	struct htab_iter it;
	struct htab_entry *e;

	recon_set_init(dst, &host_reconciler);
	for (unsigned int t = 0; t < OBJ_MAX; t++) {
		htab_iter_init(&it, (struct htab *)&src->t[t]);
		while ((e = htab_iter_next(&it)))
			assert_non_null(htab_put(&dst->t[t], htab_key(e), htab_val(e), NULL));
	}
}

/* Every object of a with the same value in b, and no more. */
static void assert_same_kernel(const struct recon_set *a, const struct recon_set *b)
{
	struct htab_iter it;
	struct htab_entry *e;

	for (unsigned int t = 0; t < OBJ_MAX; t++) {
		if (a->t[t].n != b->t[t].n)
			fail_msg("%s: %zu objects, was %zu", obj_name(t), b->t[t].n, a->t[t].n);
		htab_iter_init(&it, (struct htab *)&a->t[t]);
		while ((e = htab_iter_next(&it))) {
			const struct htab_entry *o = htab_find(&b->t[t], htab_key(e));

			if (!o || memcmp(htab_val(o), htab_val(e), obj_val_size(t)))
				fail_msg("%s: an object %s", obj_name(t), o ? "changed" : "is gone");
		}
	}
}

static int run_round(struct fx *x)
{
	return recon_run(&x->rc, &x->m, &x->env_recon, NULL);
}

/* A new agent (fresh shadow, fresh model) over what the last one left. */
static void restart(struct fx *x)
{
	recon_fini(&x->rc);
	recon_init(&x->rc, &host_reconciler, &x->ops);
	model_free(&x->m);
	model_init(&x->m);
	x->nnotes = 0;
}

static int removals(const struct fake *f)
{
	return fake_calls_count(f, "map_delete") + fake_calls_count(f, "tc_detach") +
	       fake_calls_count(f, "addr_del") + fake_calls_count(f, "route_del");
}

/* Each record of the topology in turn is corrupt when an agent starts:
 * nothing it made, nor anything depending on it, is removed or changed;
 * repaired, nothing changes either; deleted, what it made goes. */
static void test_lost_record_keeps_kernel_state(void **state)
{
	struct fx *x = *state;
	struct tenet_record r[TOPOLOGY_N];
	struct recon_set before;

	topology_records(r);
	for (size_t i = 0; i < TOPOLOGY_N; i++) {
		bool ours = !(r[i].kind == TENET_KIND_PA && strcmp(r[i].pa.host, HOST));
		char key[TENET_KEY_MAX];
		struct tenet_err err;

		assert_int_equal(tenet_record_key(&r[i], key, sizeof(key)), 0);
		teardown(state);
		setup(state);
		x = *state;
		topology(&x->m);
		assert_int_equal(run_round(x), 0);
		set_copy(&before, &x->f.k);

		restart(x);
		for (size_t j = 0; j < TOPOLOGY_N; j++)
			if (j != i)
				put_rec(&x->m, &r[j]);
		assert_true(model_put(&x->m, key, "null", &err) < 0);
		assert_int_equal(model_nlost(&x->m), 1);
		fake_calls_reset(&x->f);
		assert_int_equal(run_round(x), 0);
		if (removals(&x->f))
			fake_dump_calls(&x->f);
		print_message("lost %s: %u held\n", key, x->rc.st.held);
		assert_int_equal(removals(&x->f), 0);
		assert_same_kernel(&before, &x->f.k);
		if (ours)
			assert_true(x->rc.st.held > 0);
		assert_true(noted(x, "cannot be decoded"));
		/* Again: still nothing. */
		fake_calls_reset(&x->f);
		assert_int_equal(run_round(x), 0);
		assert_int_equal(removals(&x->f), 0);

		/* Repaired: the kernel had it all already. */
		put_rec(&x->m, &r[i]);
		assert_int_equal(model_nlost(&x->m), 0);
		fake_calls_reset(&x->f);
		assert_int_equal(run_round(x), 0);
		assert_int_equal(removals(&x->f), 0);
		assert_same_kernel(&before, &x->f.k);
		assert_int_equal(x->rc.st.held, 0);

		/* Corrupt again, then deleted on purpose: its state goes. */
		assert_true(model_put(&x->m, key, "[", &err) < 0);
		assert_int_equal(model_delete(&x->m, key), 1);
		assert_int_equal(model_nlost(&x->m), 0);
		assert_int_equal(run_round(x), 0);
		if (ours)
			assert_true(removals(&x->f) > 0);
		recon_set_free(&before);
	}
}

/* Written corrupt while an agent runs: the last good version stays in
 * force and the kernel is not touched. */
static void test_corrupt_while_running_changes_nothing(void **state)
{
	struct fx *x = *state;
	struct tenet_record r[TOPOLOGY_N];
	struct tenet_err err;
	char key[TENET_KEY_MAX];

	topology_records(r);
	topology(&x->m);
	assert_int_equal(run_round(x), 0);
	for (size_t i = 0; i < TOPOLOGY_N; i++) {
		assert_int_equal(tenet_record_key(&r[i], key, sizeof(key)), 0);
		assert_true(model_put(&x->m, key, "{\"vsid\":\"x\"}", &err) < 0);
	}
	assert_int_equal(x->m.bad.n, TOPOLOGY_N);
	assert_int_equal(model_nlost(&x->m), 0);
	fake_calls_reset(&x->f);
	assert_int_equal(run_round(x), 0);
	assert_int_equal(x->f.ncalls - fake_calls_count(&x->f, "link_") -
			 fake_calls_count(&x->f, "pa_link") - fake_calls_count(&x->f, "vlan_"), 0);
}


/* ---- incremental rounds ---- */

/* The agent's next-hop PAs followed change by change (its shadow_changed
 * hook), to compare with nexthops_set_pas over the whole shadow. */
static void nh_follow(void *arg, const struct recon *rc, unsigned int t, const void *key,
		      const void *old, const void *now)
{
	nexthops_entry_changed(arg, t, old, now);
}

static void nh_init(struct nexthops *n)
{
	memset(n, 0, sizeof(*n));
	htab_init(&n->local, sizeof(__be32), sizeof(__u32));
	htab_init(&n->remote, sizeof(__be32), 1);
	htab_init(&n->refs, sizeof(__be32), sizeof(__u32));
}

static void nh_free(struct nexthops *n)
{
	htab_free(&n->local);
	htab_free(&n->remote);
	htab_free(&n->refs);
}

static void assert_same_keys(const struct htab *a, const struct htab *b)
{
	struct htab_iter it;
	struct htab_entry *e;

	assert_int_equal(a->n, b->n);
	htab_iter_init(&it, (struct htab *)a);
	while ((e = htab_iter_next(&it)))
		assert_non_null(htab_find(b, htab_key(e)));
}

/* Random lookup changes (adds, replaces, deletes; local and remote; some
 * in a VSID without a subnet, some trading MACs and CAs, some l2only),
 * a few at a time, each batch applied as the agent does after store
 * changes alone (recon_env.changes = the model's log): after every round
 * the kept desired set, the shadow and the fake kernel equal a whole
 * build of the model. The incremental path and the fallback to a whole
 * build are both taken. */
static void test_incremental_equals_full(void **state)
{
	static const char *const pas[] = { PA_LOCAL, PA_REMOTE, "192.168.4.33" };
	static const uint32_t vsids[] = { 5001, 6001, 7777 };
	struct fx *x = *state;
	struct recon_env env = x->env_recon;
	unsigned int seed = 2026, fallbacks = 0;
	bool live[64] = { 0 };
	struct tenet_record cur[64];
	struct nexthops nh, whole;
	struct recon_hooks hooks = { .shadow_changed = nh_follow, .arg = &nh };

	nh_init(&nh);
	topology(&x->m);
	assert_int_equal(run_round(x), 0);
	assert_int_equal(nexthops_set_pas(&nh, &x->rc.shadow), 0);
	model_log_clear(&x->m);
	env.changes = &x->m.log;
	for (int step = 0; step < 600; step++) {
		int nchanges = 1 + rand_r(&seed) % 3;
		unsigned int before;
		struct recon_set fresh;

		for (int c = 0; c < nchanges; c++) {
			int i = rand_r(&seed) % 64, op = rand_r(&seed) % 3;
			char ca[32], m[32];
			enum tenet_lookup_type type = rand_r(&seed) % 40 ? TENET_LOOKUP_STATIC :
							  TENET_LOOKUP_L2ONLY;
			uint32_t vsid = vsids[rand_r(&seed) % 3];

			struct tenet_record r;
			bool taken = false;

			/* Record i has CA .i+20 and MAC :i mostly; now and then
			 * another's (the subnets share a routing domain). */
			snprintf(ca, sizeof(ca), "10.0.0.%d",
				 20 + (rand_r(&seed) % 8 ? i : rand_r(&seed) % 64));
			snprintf(m, sizeof(m), "02:00:00:00:00:%02x",
				 rand_r(&seed) % 8 ? i : rand_r(&seed) % 64);
			if (live[i] && op == 0) {
				del_rec(&x->m, &cur[i]);
				live[i] = false;
				continue;
			}
			r = lookup(vsid, type == TENET_LOOKUP_L2ONLY ? NULL : ca, m,
				   pas[rand_r(&seed) % 3], type);
			/* One record per store key. */
			for (int j = 0; j < 64; j++)
				taken |= j != i && live[j] && tenet_record_same_key(&cur[j], &r);
			if (taken)
				continue;
			if (live[i])
				del_rec(&x->m, &cur[i]);
			cur[i] = r;
			put_rec(&x->m, &cur[i]);
			live[i] = true;
		}
		before = x->rc.nincremental;
		assert_true(recon_run(&x->rc, &x->m, &env, &hooks) >= 0);
		fallbacks += x->rc.nincremental == before;
		model_log_clear(&x->m);
		x->nnotes = 0;
		recon_set_init(&fresh, &host_reconciler);
		assert_int_equal(desired_build(&x->m, &x->env, &fresh, NULL), 0);
		assert_true(x->rc.have_desired);
		assert_same_kernel(&fresh, &x->rc.desired);
		assert_same_kernel(&x->rc.desired, &fresh);
		assert_same_kernel(&fresh, &x->rc.shadow);
		assert_same_kernel(&x->rc.shadow, &fresh);
		assert_same_kernel(&fresh, &x->f.k);
		recon_set_free(&fresh);
		/* The remote PAs followed equal those read whole. */
		nh_init(&whole);
		assert_int_equal(nexthops_set_pas(&whole, &x->rc.shadow), 0);
		assert_same_keys(&whole.remote, &nh.remote);
		assert_same_keys(&whole.refs, &nh.refs);
		nh_free(&whole);
	}
	nh_free(&nh);
	/* Both paths were taken, the incremental one mostly. */
	assert_true(x->rc.nincremental > 300);
	assert_true(fallbacks > 10);
}

/* A round after store changes of lookup records alone skips a reconciler
 * that reads none (the gateway's) and whose last round applied all; the
 * host datapath applies just the new record's two entries. */
static int nwants;

static int count_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		      struct recon_set *out)
{
	nwants++;
	return 0;
}

static void test_incremental_skips_unrelated(void **state)
{
	static const struct reconciler gwlike = {
		.name = "test", .ntypes = 0, .want = count_want, .kinds = RECON_KINDS_NO_LOOKUP,
	};
	struct fx *x = *state;
	struct recon rc;
	struct recon_env env = x->env_recon;
	struct tenet_record r = lookup(5001, "10.0.0.99", "02:00:00:00:01:01", PA_REMOTE,
				       TENET_LOOKUP_STATIC);

	recon_init(&rc, &gwlike, NULL);
	topology(&x->m);
	assert_int_equal(run_round(x), 0);
	assert_int_equal(recon_run(&rc, &x->m, &env, NULL), 0);
	assert_int_equal(nwants, 1);
	model_log_clear(&x->m);
	put_rec(&x->m, &r);
	env.changes = &x->m.log;
	assert_int_equal(recon_run(&x->rc, &x->m, &env, NULL), 0);
	assert_int_equal(recon_run(&rc, &x->m, &env, NULL), 0);
	assert_int_equal(x->rc.nincremental, 1);
	assert_int_equal(total(&x->rc.st), 2);
	assert_int_equal(x->rc.st.add[OBJ_MAC] + x->rc.st.add[OBJ_CA], 2);
	assert_int_equal(nwants, 1);
	/* Another kind changed: it runs. */
	model_log_clear(&x->m);
	r = rdomain("Fabrikam", 2);
	put_rec(&x->m, &r);
	assert_int_equal(recon_run(&rc, &x->m, &env, NULL), 0);
	assert_int_equal(nwants, 2);
	recon_fini(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_maps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_l2only_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_l2only_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_no_flowid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_strict_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_routes_addrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_route_lowest_metric, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_route_expansion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_missing_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_local_needs_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_vlan_pa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_pa_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clamp_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_initial_then_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_batched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_batch_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_one_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_port_copies_follow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_stats_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_port_removed_detaches_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_apply_device_comes_and_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_failure_is_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_reconciles_difference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_port_from_earlier_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_provider_route_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_corrupt_keeps_last_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_load_skips_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_record_keeps_kernel_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_incremental_equals_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_skips_unrelated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_while_running_changes_nothing, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("reconcile", tests, NULL, NULL);
}

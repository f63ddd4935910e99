// SPDX-License-Identifier: GPL-2.0
/* The gateway's reconcilers (agent/gw/vrf.c, nat.c) on the engine,
 * against a fake kernel (fake_gw.h): what a compartment becomes, put and
 * delete order, a second round that writes nothing, failure and retry, a
 * restarted agent that adopts what an earlier one left, removes only what
 * is no longer wanted and never touches what is not tenet's, and the
 * teardown of tenetd --cleanup. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <tenet/limits.h>

#include "fake_gw.h"
#include "gw/gw.h"
#include "gw/nat.h"
#include "gw/vrf.h"
#include "recon/model.h"
#include "recon/names.h"
#include "recon/recon.h"

#define HOST "gw"

struct fx {
	struct fake_gw f;
	struct vrf_ops vops;
	struct nat_ops nops;
	struct recon vrf, nat;
	struct model m;
	struct recon_env env;
	char notes[16][300];
	int nnotes;
	char fails[16][300];
	int nfails;
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

/* Failures as the agent would log them. */
static void applied_cb(void *arg, const struct recon *rc, unsigned int t, enum recon_op op,
		       const void *key, const void *val, int err, const char *msg)
{
	struct fx *x = arg;
	char what[200];

	if (err >= 0 || x->nfails >= 16)
		return;
	rc->r->types[t].describe(key, val, what, sizeof(what));
	snprintf(x->fails[x->nfails++], sizeof(x->fails[0]), "%s: %s", what,
		 msg ? msg : strerror(-err));
}

static bool failed_with(const struct fx *x, const char *needle)
{
	for (int i = 0; i < x->nfails; i++)
		if (strstr(x->fails[i], needle))
			return true;
	return false;
}

static int run(struct fx *x, struct recon *rc)
{
	struct recon_hooks h = { .applied = applied_cb, .arg = x };

	return recon_run(rc, &x->m, &x->env, &h);
}

/* Both, in registry order. Returns the failures. */
static int round_both(struct fx *x)
{
	int a = run(x, &x->vrf), b = run(x, &x->nat);

	assert_true(a >= 0 && b >= 0);
	return a + b;
}

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

static struct tenet_record vsubnet(uint32_t vsid, const char *rd, const char *prefix)
{
	struct tenet_record r = { .kind = TENET_KIND_VSUBNET };

	r.vsubnet.vsid = vsid;
	snprintf(r.vsubnet.rdomain, sizeof(r.vsubnet.rdomain), "%s", rd);
	assert_int_equal(tenet_parse_prefix(prefix, &r.vsubnet.prefix, NULL), 0);
	return r;
}

static struct tenet_record compartment(const char *name, uint32_t id, uint32_t vsid)
{
	struct tenet_record r = { .kind = TENET_KIND_COMPARTMENT };

	strcpy(r.compartment.host, HOST);
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, name);
	r.compartment.id = id;
	r.compartment.vsid = vsid;
	assert_int_equal(tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL), 0);
	tenet_gw_default_mac(HOST, name, r.compartment.mac);
	return r;
}

static struct tenet_record nat(const char *rd, const char *external)
{
	struct tenet_record r = { .kind = TENET_KIND_NAT };

	strcpy(r.nat.host, HOST);
	strcpy(r.nat.rdomain, rd);
	assert_int_equal(tenet_parse_ipv4(external, &r.nat.external, NULL), 0);
	return r;
}

static struct tenet_record pa(void)
{
	struct tenet_record r = { .kind = TENET_KIND_PA };

	strcpy(r.pa.host, HOST);
	strcpy(r.pa.dev, "ul0");
	assert_int_equal(tenet_parse_addr_len("192.168.4.33/24", &r.pa.addr, NULL), 0);
	return r;
}

/* Two tenants: Contoso (id 1) with NAT on up0 and two subnets besides
 * its gateway subnet, Woodgrove (id 2) without. */
#define TENANTS_N 9
static void tenants_records(struct tenet_record *out)
{
	struct tenet_record r[TENANTS_N] = {
		vsubnet(5001, "Contoso", "10.0.0.0/24"),
		vsubnet(5002, "Contoso", "10.0.1.0/24"),
		vsubnet(5999, "Contoso", "10.0.254.0/24"),
		vsubnet(6001, "Woodgrove", "10.0.0.0/24"),
		vsubnet(6999, "Woodgrove", "10.0.254.0/24"),
		pa(),
		compartment("Contoso", 1, 5999),
		compartment("Woodgrove", 2, 6999),
		nat("Contoso", "203.0.113.1"),
	};

	memcpy(out, r, sizeof(r));
}

static void tenants(struct model *m)
{
	struct tenet_record r[TENANTS_N];

	tenants_records(r);
	for (size_t i = 0; i < TENANTS_N; i++)
		put_rec(m, &r[i]);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct fgw_link *l;

	assert_non_null(x);
	fake_gw_init(&x->f, &x->vops, &x->nops);
	l = fgw_add_link(&x->f, "ul0", NULL, NULL);
	l->l.mtu = 1500;
	fgw_add_link(&x->f, "up0", NULL, NULL);
	fgw_put_addr(&x->f, "up0", "203.0.113.1", 24);
	fgw_add_link(&x->f, "eth1", NULL, NULL);
	recon_init(&x->vrf, &gw_vrf_reconciler, &x->vops);
	recon_init(&x->nat, &gw_nat_reconciler, &x->nops);
	model_init(&x->m);
	x->env = (struct recon_env){ .host = HOST, .note = note_cb, .note_arg = x };
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	recon_fini(&x->vrf);
	recon_fini(&x->nat);
	model_free(&x->m);
	fake_gw_free(&x->f);
	free(x);
	return 0;
}

static uint32_t ifindex(struct fx *x, const char *name)
{
	struct fgw_link *l = fgw_link(&x->f, name);

	assert_non_null(l);
	return l->l.ifindex;
}

/* ---- what a compartment becomes ---- */

static void test_vrf_compartments(void **state)
{
	struct fx *x = *state;
	struct fgw_link *vrf, *in, *port;
	struct fgw_route *r;
	uint8_t mac[6];

	tenants(&x->m);
	assert_int_equal(run(x, &x->vrf), 0);
	vrf = fgw_link(&x->f, "tvrf1");
	assert_non_null(vrf);
	assert_string_equal(vrf->l.kind, "vrf");
	assert_int_equal(vrf->l.vrf_table, 10001);
	assert_string_equal(vrf->l.alias, "tenet-gw:Contoso");
	assert_true(vrf->l.flags & IFF_UP);
	assert_int_equal(vrf->forwarding, 1);
	in = fgw_link(&x->f, "tgi1");
	port = fgw_link(&x->f, "tgp1");
	assert_non_null(in);
	assert_non_null(port);
	assert_int_equal(in->l.master, ifindex(x, "tvrf1"));
	assert_int_equal(port->l.master, 0);
	/* The underlay's MTU minus NVGRE. */
	assert_int_equal(in->l.mtu, 1500 - TENET_ENCAP_OVERHEAD);
	tenet_gw_default_mac(HOST, "Contoso", mac);
	assert_memory_equal(in->l.mac, mac, 6);
	assert_true((in->l.flags & IFF_UP) && (port->l.flags & IFF_UP));
	assert_int_equal(in->rp_filter, 2);
	assert_int_equal(in->forwarding, 1);
	assert_int_equal(in->gro, 1);
	assert_int_equal(port->rp_filter, 0);
	assert_true(fgw_has_addr(&x->f, "tgi1", "10.0.254.2"));
	assert_true(fgw_has_addr(&x->f, "tgi2", "10.0.254.2"));
	/* Routes: unreachable default, the other subnets via .1, NAT's
	 * default via the uplink; nothing across tenants. */
	r = fgw_route(&x->f, 10001, "0.0.0.0", 0, RTN_UNREACHABLE);
	assert_non_null(r);
	assert_int_equal(r->k.metric, TENET_GW_UNREACH_METRIC);
	r = fgw_route(&x->f, 10001, "10.0.1.0", 24, RTN_UNICAST);
	assert_non_null(r);
	assert_string_equal(r->v.dev, "tgi1");
	assert_int_equal(r->v.via, inet_addr("10.0.254.1"));
	r = fgw_route(&x->f, 10001, "0.0.0.0", 0, RTN_UNICAST);
	assert_non_null(r);
	assert_string_equal(r->v.dev, "up0");
	assert_int_equal(r->k.metric, TENET_GW_NAT_METRIC);
	assert_int_equal(fgw_routes_in(&x->f, 10001), 4);
	assert_int_equal(fgw_routes_in(&x->f, 10002), 2); /* unreachable, 10.0.0.0/24 */
	/* The fwmark rule only with NAT; the uplink forwards. */
	assert_true(fgw_has_rule(&x->f, tenet_gw_mark(1), 10001));
	assert_int_equal(x->f.nrules, 1);
	assert_int_equal(fgw_link(&x->f, "up0")->forwarding, 1);
	assert_int_equal(x->nnotes, 0);
}

/* A VLAN compartment: its internal interface is the VLAN of a NIC, in
 * the VRF with the address; no port, no routes to NVGRE subnets. A
 * second round changes nothing; a new VLAN id replaces the device. */
static void test_vrf_vlan(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment("Fabrikam", 3, 0);
	struct fgw_link *in;

	cm.compartment.vlan = 4000;
	strcpy(cm.compartment.vlan_dev, "eth1");
	tenet_parse_addr_len("10.0.0.1/24", &cm.compartment.addr, NULL);
	put_rec(&x->m, &cm);
	assert_int_equal(run(x, &x->vrf), 0);
	in = fgw_link(&x->f, "tgi3");
	assert_non_null(in);
	assert_string_equal(in->l.kind, "vlan");
	assert_int_equal(in->l.vlan_id, 4000);
	assert_int_equal(in->l.link, ifindex(x, "eth1"));
	assert_int_equal(in->l.master, ifindex(x, "tvrf3"));
	assert_string_equal(in->l.alias, "tenet-gw:Fabrikam");
	assert_true(in->l.flags & IFF_UP);
	assert_int_equal(in->rp_filter, 2);
	assert_true(fgw_link(&x->f, "eth1")->l.flags & IFF_UP);
	assert_null(fgw_link(&x->f, "tgp3"));
	assert_true(fgw_has_addr(&x->f, "tgi3", "10.0.0.1"));
	assert_int_equal(fgw_routes_in(&x->f, 10003), 1);       /* unreachable default */
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(x->f.ncalls, 0);
	cm.compartment.vlan = 4001;
	put_rec(&x->m, &cm);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(fgw_link(&x->f, "tgi3")->l.vlan_id, 4001);
	assert_true(fgw_call_index(&x->f, "link_del tgi3") < fgw_call_index(&x->f, "vlan_add tgi3 eth1 4001"));
	del_rec(&x->m, &cm);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_null(fgw_link(&x->f, "tgi3"));
	assert_non_null(fgw_link(&x->f, "eth1"));
}

/* Links first, then what lives on them; a port joins its VRF once both
 * exist; routes after the addresses. */
static void test_vrf_put_order(void **state)
{
	struct fx *x = *state;

	tenants(&x->m);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_true(fgw_call_index(&x->f, "vrf_add tvrf1") < fgw_call_index(&x->f, "veth_add tgi1"));
	assert_true(fgw_call_index(&x->f, "veth_add tgi1") <
		    fgw_call_index(&x->f, "link_master tgi1 tvrf1"));
	assert_true(fgw_call_index(&x->f, "link_master tgi1") < fgw_call_index(&x->f, "setting"));
	assert_true(fgw_call_index(&x->f, "setting") < fgw_call_index(&x->f, "addr_add tgi1"));
	assert_true(fgw_call_index(&x->f, "addr_add") < fgw_call_index(&x->f, "route_set"));
	assert_true(fgw_call_index(&x->f, "route_set") < fgw_call_index(&x->f, "rule_add"));
}

/* A second round with nothing changed writes nothing: the kernel, read
 * back, is what is wanted. */
static void test_vrf_idempotent(void **state)
{
	struct fx *x = *state;

	tenants(&x->m);
	assert_int_equal(round_both(x), 0);
	x->f.ncalls = 0;
	assert_int_equal(round_both(x), 0);
	if (x->f.ncalls)
		fgw_dump_calls(&x->f);
	assert_int_equal(x->f.ncalls, 0);
	assert_int_equal(x->vrf.st.add[VRF_ROUTE] + x->vrf.st.upd[VRF_SETTING], 0);
}

/* What someone else changed is put back at the next round. */
static void test_vrf_repairs(void **state)
{
	struct fx *x = *state;
	struct fgw_link *in;

	tenants(&x->m);
	assert_int_equal(run(x, &x->vrf), 0);
	in = fgw_link(&x->f, "tgi1");
	in->l.master = 0;
	in->rp_filter = 1;
	x->f.nrules = 0;
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(in->l.master, ifindex(x, "tvrf1"));
	assert_int_equal(in->rp_filter, 2);
	assert_true(fgw_has_rule(&x->f, tenet_gw_mark(1), 10001));
	assert_int_equal(x->f.ncalls, 3);
}

/* A deleted compartment: deletes in reverse order (rule, routes,
 * address, the external interface released, the veth pair, the VRF);
 * the other tenant is not touched. */
static void test_vrf_delete(void **state)
{
	struct fx *x = *state;
	struct tenet_record c = compartment("Contoso", 1, 5999), n = nat("Contoso", "203.0.113.1");

	strcpy(c.compartment.ext_dev, "eth1");
	assert_int_equal(tenet_parse_addr_len("10.229.200.2/24", &c.compartment.ext_addr, NULL), 0);
	tenants(&x->m);
	put_rec(&x->m, &c);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(fgw_link(&x->f, "eth1")->l.master, ifindex(x, "tvrf1"));
	assert_true(fgw_has_addr(&x->f, "eth1", "10.229.200.2"));
	assert_int_equal(fgw_link(&x->f, "eth1")->rp_filter, 2);
	x->f.ncalls = 0;
	del_rec(&x->m, &n);
	del_rec(&x->m, &c);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_null(fgw_link(&x->f, "tvrf1"));
	assert_null(fgw_link(&x->f, "tgi1"));
	assert_null(fgw_link(&x->f, "tgp1"));
	assert_int_equal(fgw_routes_in(&x->f, 10001), 0);
	assert_int_equal(x->f.nrules, 0);
	/* The external interface left with the address tenet gave it, and
	 * keeps everything else. */
	assert_non_null(fgw_link(&x->f, "eth1"));
	assert_int_equal(fgw_link(&x->f, "eth1")->l.master, 0);
	assert_false(fgw_has_addr(&x->f, "eth1", "10.229.200.2"));
	assert_true(fgw_has_addr(&x->f, "up0", "203.0.113.1"));
	assert_true(fgw_call_index(&x->f, "rule_del") < fgw_call_index(&x->f, "route_del"));
	assert_true(fgw_call_index(&x->f, "route_del") < fgw_call_index(&x->f, "addr_del eth1"));
	assert_true(fgw_call_index(&x->f, "addr_del eth1") <
		    fgw_call_index(&x->f, "link_master eth1 none"));
	assert_true(fgw_call_index(&x->f, "link_master eth1 none") <
		    fgw_call_index(&x->f, "link_del tgi1"));
	assert_true(fgw_call_index(&x->f, "link_del tgi1") < fgw_call_index(&x->f, "link_del tvrf1"));
	/* Woodgrove untouched. */
	assert_non_null(fgw_link(&x->f, "tvrf2"));
	assert_int_equal(fgw_routes_in(&x->f, 10002), 2);
	assert_int_equal(fgw_calls_count(&x->f, "link_del"), 2);
}

static void test_vrf_failure_retried(void **state)
{
	struct fx *x = *state;

	tenants(&x->m);
	strcpy(x->f.fail_call, "vrf_add tvrf2");
	x->f.fail_err = -EBUSY;
	/* The VRF and what depends on it fail; the other tenant is whole. */
	assert_true(run(x, &x->vrf) > 0);
	assert_true(failed_with(x, "VRF tvrf2 (table 10002): Device or resource busy"));
	assert_null(fgw_link(&x->f, "tvrf2"));
	assert_non_null(fgw_link(&x->f, "tvrf1"));
	assert_true(fgw_has_rule(&x->f, tenet_gw_mark(1), 10001));
	/* The next round makes it and wires tgi2 in. */
	assert_int_equal(run(x, &x->vrf), 0);
	assert_non_null(fgw_link(&x->f, "tvrf2"));
	assert_int_equal(fgw_link(&x->f, "tgi2")->l.master, ifindex(x, "tvrf2"));
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(x->f.ncalls, 0);
}

/* An external device that is not there fails with a line saying so, and
 * joins when it appears; its name is watched for link events. */
static void test_vrf_external_appears(void **state)
{
	struct fx *x = *state;
	struct tenet_record c = compartment("Contoso", 1, 5999);
	struct name_set names;

	strcpy(c.compartment.ext_dev, "eth9");
	assert_int_equal(tenet_parse_addr_len("10.229.200.2/24", &c.compartment.ext_addr, NULL), 0);
	tenants(&x->m);
	put_rec(&x->m, &c);
	name_set_init(&names);
	x->env.names = &names;
	assert_int_equal(run(x, &x->vrf), 1);
	assert_true(failed_with(x, "external device eth9 not present; attached when it appears"));
	assert_true(name_set_has(&names, "eth9"));
	fgw_add_link(&x->f, "eth9", NULL, NULL);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(fgw_link(&x->f, "eth9")->l.master, ifindex(x, "tvrf1"));
	assert_true(fgw_has_addr(&x->f, "eth9", "10.229.200.2"));
	x->env.names = NULL;
	name_set_free(&names);
}

/* A device by one of tenet's names that is not tenet's: the compartment
 * is left alone, the device too. */
static void test_vrf_foreign_name(void **state)
{
	struct fx *x = *state;

	fgw_add_link(&x->f, "tvrf2", "vrf", "someone else's")->l.vrf_table = 77;
	tenants(&x->m);
	assert_int_equal(run(x, &x->vrf), 0);
	assert_true(noted(x, "compartment/Woodgrove: device tvrf2 exists and is not tenet's; "
			     "compartment not programmed"));
	assert_null(fgw_link(&x->f, "tgi2"));
	assert_int_equal(fgw_link(&x->f, "tvrf2")->l.vrf_table, 77);
	assert_int_equal(fgw_calls_count(&x->f, "link_del"), 0);
	assert_non_null(fgw_link(&x->f, "tgi1"));
}

/* Someone else's interface in a compartment's VRF is released; one of
 * tenet's S2S interfaces (another reconciler's) is not. */
static void test_vrf_other_reconcilers_member(void **state)
{
	struct fx *x = *state;

	tenants(&x->m);
	assert_int_equal(run(x, &x->vrf), 0);
	fgw_add_link(&x->f, "ts1", "xfrm", "tenet-s2s:IfWe1")->l.master = ifindex(x, "tvrf2");
	fgw_add_link(&x->f, "dummy9", "dummy", "")->l.master = ifindex(x, "tvrf2");
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(fgw_link(&x->f, "ts1")->l.master, ifindex(x, "tvrf2"));
	assert_int_equal(fgw_link(&x->f, "dummy9")->l.master, 0);
	assert_int_equal(fgw_calls_count(&x->f, "link_master ts1"), 0);
}

/* A restarted agent: the kernel holds what an earlier agent made for
 * Contoso and for a compartment deleted meanwhile (id 3, with someone
 * else's interface enslaved), next to objects that are not tenet's. The
 * new agent adopts Contoso's without a write, removes id 3's and releases
 * the foreign interface, and leaves the others alone. */
static void test_vrf_restart(void **state)
{
	struct fx *x = *state;
	struct fgw_link *eth2, *tvrf3;
	struct vrf_route_key k = { .table = 10003, .type = RTN_UNREACHABLE,
				   .metric = TENET_GW_UNREACH_METRIC };
	struct vrf_rule_key rk = { .pref = TENET_GW_RULE_PREF, .fwmark = tenet_gw_mark(3),
				   .table = 10003 };

	tenants(&x->m);
	assert_int_equal(round_both(x), 0);
	/* The earlier agent's compartment 3, and the operator's things. */
	tvrf3 = fgw_add_link(&x->f, "tvrf3", "vrf", "tenet-gw:Gone");
	tvrf3->l.vrf_table = 10003;
	fgw_add_link(&x->f, "tgi3", "veth", "tenet-gw:Gone")->l.master = tvrf3->l.ifindex;
	fgw_add_link(&x->f, "tgp3", "veth", "tenet-gw:Gone");
	eth2 = fgw_add_link(&x->f, "eth2", NULL, NULL);
	eth2->l.master = tvrf3->l.ifindex;
	fgw_put_addr(&x->f, "eth2", "192.0.2.1", 24);
	fgw_add_link(&x->f, "vrf-blue", "vrf", NULL)->l.vrf_table = 10005;
	fgw_add_link(&x->f, "tgi7", "veth", NULL);
	x->f.routes[x->f.nroutes++].k = k;
	x->f.rules[x->f.nrules++] = rk;
	/* A new agent. */
	recon_fini(&x->vrf);
	recon_init(&x->vrf, &gw_vrf_reconciler, &x->vops);
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->vrf), 0);
	assert_null(fgw_link(&x->f, "tvrf3"));
	assert_null(fgw_link(&x->f, "tgi3"));
	assert_null(fgw_link(&x->f, "tgp3"));
	assert_int_equal(fgw_routes_in(&x->f, 10003), 0);
	assert_false(fgw_has_rule(&x->f, tenet_gw_mark(3), 10003));
	eth2 = fgw_link(&x->f, "eth2");
	assert_non_null(eth2);
	assert_int_equal(eth2->l.master, 0);
	assert_true(fgw_has_addr(&x->f, "eth2", "192.0.2.1"));
	assert_non_null(fgw_link(&x->f, "vrf-blue"));
	assert_non_null(fgw_link(&x->f, "tgi7"));
	/* Exactly: the rule, the route, eth2 released, tgi3 and tvrf3. */
	if (x->f.ncalls != 5)
		fgw_dump_calls(&x->f);
	assert_int_equal(x->f.ncalls, 5);
	assert_non_null(fgw_link(&x->f, "tvrf1"));
}

/* tenetd --cleanup: everything tenet made goes, nothing else. */
static void test_vrf_nat_teardown(void **state)
{
	struct fx *x = *state;
	struct model empty;
	struct recon vrf, nat;

	tenants(&x->m);
	assert_int_equal(round_both(x), 0);
	assert_non_null(x->f.nft);
	fgw_add_link(&x->f, "vrf-blue", "vrf", NULL);
	model_init(&empty);
	recon_init(&vrf, &gw_vrf_reconciler, &x->vops);
	recon_init(&nat, &gw_nat_reconciler, &x->nops);
	vrf.teardown = nat.teardown = true;
	assert_int_equal(recon_run(&vrf, &empty, &x->env, NULL), 0);
	assert_int_equal(recon_run(&nat, &empty, &x->env, NULL), 0);
	assert_null(x->f.nft);
	for (int i = 0; i < x->f.nlinks; i++)
		assert_int_not_equal(strncmp(x->f.links[i].l.alias, "tenet-gw:", 9), 0);
	assert_null(fgw_link(&x->f, "tvrf1"));
	assert_null(fgw_link(&x->f, "tgi2"));
	assert_non_null(fgw_link(&x->f, "vrf-blue"));
	assert_non_null(fgw_link(&x->f, "up0"));
	assert_int_equal(x->f.nroutes, 0);
	assert_int_equal(x->f.nrules, 0);
	recon_fini(&vrf);
	recon_fini(&nat);
	model_free(&empty);
}

/* ---- NAT: one table, one object ---- */

static void test_nat_table(void **state)
{
	struct fx *x = *state;
	struct tenet_record n = nat("Woodgrove", "203.0.113.1");

	tenants(&x->m);
	assert_int_equal(round_both(x), 0);
	assert_non_null(x->f.nft);
	assert_non_null(strstr(x->f.nft, "table ip tenet {"));
	assert_non_null(strstr(x->f.nft, "oifname \"up0\" ct mark 0x7e4e2711 snat to 203.0.113.1"));
	assert_null(strstr(x->f.nft, "0x7e4e2712 snat"));
	assert_int_equal(x->nat.st.add[NAT_TABLE], 1);
	/* Unchanged: not applied again. */
	assert_int_equal(round_both(x), 0);
	assert_int_equal(x->f.napplied, 1);
	/* A change is one new table, replacing the old in one step. */
	put_rec(&x->m, &n);
	assert_int_equal(round_both(x), 0);
	assert_int_equal(x->f.napplied, 2);
	assert_int_equal(x->nat.st.upd[NAT_TABLE], 1);
	assert_non_null(strstr(x->f.nft, "ct mark 0x7e4e2712 snat to 203.0.113.1"));
	assert_true(fgw_has_rule(&x->f, tenet_gw_mark(2), 10002));
}

/* An external address no interface holds: noted, no NAT for that tenant
 * (no default route, no rule, no snat), the rest programmed. */
static void test_nat_no_uplink(void **state)
{
	struct fx *x = *state;
	struct tenet_record n = nat("Woodgrove", "198.51.100.7");

	tenants(&x->m);
	put_rec(&x->m, &n);
	assert_int_equal(round_both(x), 0);
	assert_true(noted(x, "compartment/Woodgrove: nat external 198.51.100.7: no interface of this "
			     "host holds it; NAT not programmed"));
	assert_null(fgw_route(&x->f, 10002, "0.0.0.0", 0, RTN_UNICAST));
	assert_false(fgw_has_rule(&x->f, tenet_gw_mark(2), 10002));
	assert_null(strstr(x->f.nft, "0x7e4e2712 snat"));
	/* The address appears on the uplink: NAT follows at the next round. */
	fgw_put_addr(&x->f, "up0", "198.51.100.7", 24);
	assert_int_equal(round_both(x), 0);
	assert_true(fgw_has_rule(&x->f, tenet_gw_mark(2), 10002));
	assert_non_null(strstr(x->f.nft, "ct mark 0x7e4e2712 snat to 198.51.100.7"));
}

static void test_nat_failure_retried(void **state)
{
	struct fx *x = *state;

	tenants(&x->m);
	strcpy(x->f.fail_call, "nft_apply");
	x->f.fail_err = -EINVAL;
	assert_int_equal(run(x, &x->vrf), 0);
	assert_int_equal(run(x, &x->nat), 1);
	assert_true(failed_with(x, "table ip tenet not applied: Error: Could not process rule"));
	assert_null(x->f.nft);
	assert_int_equal(run(x, &x->nat), 0);
	assert_non_null(x->f.nft);
}

/* A table an earlier agent left: replaced at the first round (its text is
 * unknown), removed once no compartment wants it. */
static void test_nat_restart(void **state)
{
	struct fx *x = *state;
	struct tenet_record c1 = compartment("Contoso", 1, 5999);
	struct tenet_record c2 = compartment("Woodgrove", 2, 6999);
	struct tenet_record n = nat("Contoso", "203.0.113.1");

	x->f.nft = strdup("table ip tenet { ... an earlier agent's ... }");
	tenants(&x->m);
	assert_int_equal(run(x, &x->nat), 0);
	assert_int_equal(x->nat.st.upd[NAT_TABLE], 1);
	assert_non_null(strstr(x->f.nft, "snat to 203.0.113.1"));
	/* Another agent starts after the compartments went. */
	recon_fini(&x->nat);
	recon_init(&x->nat, &gw_nat_reconciler, &x->nops);
	del_rec(&x->m, &n);
	del_rec(&x->m, &c1);
	del_rec(&x->m, &c2);
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->nat), 0);
	assert_null(x->f.nft);
	assert_int_equal(fgw_calls_count(&x->f, "nft_delete"), 1);
	/* Nothing there, nothing wanted: nothing done. */
	recon_fini(&x->nat);
	recon_init(&x->nat, &gw_nat_reconciler, &x->nops);
	x->f.ncalls = 0;
	assert_int_equal(run(x, &x->nat), 0);
	assert_int_equal(x->f.ncalls, 0);
}

/* ---- records that cannot be decoded keep their kernel state ---- */

static int gw_removals(const struct fake_gw *f)
{
	return fgw_calls_count(f, "link_del") + fgw_calls_count(f, "route_del") +
	       fgw_calls_count(f, "rule_del") + fgw_calls_count(f, "addr_del") +
	       fgw_calls_count(f, "nft_delete") + fgw_calls_count(f, "link_master eth1 none") +
	       fgw_calls_count(f, "link_master tgi1 none") + fgw_calls_count(f, "link_master tgi2 none");
}

/* Each record in turn is corrupt when new agents start: no link, route,
 * rule or address goes, the nftables table keeps its text; repaired,
 * nothing goes either; a lost compartment deleted on purpose goes. */
static void test_lost_records(void **state)
{
	struct fx *x = *state;
	struct tenet_record r[TENANTS_N];
	char *nft;

	tenants_records(r);
	for (size_t i = 0; i < TENANTS_N; i++) {
		struct tenet_err err;
		char key[TENET_KEY_MAX];
		int nlinks, nroutes, nrules;

		assert_int_equal(tenet_record_key(&r[i], key, sizeof(key)), 0);
		teardown(state);
		setup(state);
		x = *state;
		/* A forwarding gateway's external interface too. */
		strcpy(r[7].compartment.ext_dev, "eth1");
		assert_int_equal(tenet_parse_addr_len("10.229.200.2/24", &r[7].compartment.ext_addr,
						      NULL), 0);
		for (size_t j = 0; j < TENANTS_N; j++)
			put_rec(&x->m, &r[j]);
		assert_int_equal(round_both(x), 0);
		nft = strdup(x->f.nft);
		nlinks = x->f.nlinks;
		nroutes = x->f.nroutes;
		nrules = x->f.nrules;

		recon_fini(&x->vrf);
		recon_fini(&x->nat);
		recon_init(&x->vrf, &gw_vrf_reconciler, &x->vops);
		recon_init(&x->nat, &gw_nat_reconciler, &x->nops);
		model_free(&x->m);
		model_init(&x->m);
		for (size_t j = 0; j < TENANTS_N; j++)
			if (j != i)
				put_rec(&x->m, &r[j]);
		assert_true(model_put(&x->m, key, "null", &err) < 0);
		x->f.ncalls = 0;
		assert_int_equal(round_both(x), 0);
		if (gw_removals(&x->f))
			fgw_dump_calls(&x->f);
		print_message("lost %s: vrf %u held, nat %s\n", key, x->vrf.st.held,
			      fgw_calls_count(&x->f, "nft_apply") ? "rewritten" : "kept");
		assert_int_equal(gw_removals(&x->f), 0);
		assert_string_equal(x->f.nft, nft);
		assert_int_equal(x->f.nlinks, nlinks);
		assert_int_equal(x->f.nroutes, nroutes);
		assert_int_equal(x->f.nrules, nrules);
		/* Repaired: nothing goes. */
		put_rec(&x->m, &r[i]);
		x->f.ncalls = 0;
		assert_int_equal(round_both(x), 0);
		assert_int_equal(gw_removals(&x->f), 0);
		assert_string_equal(x->f.nft, nft);
		/* A compartment lost and then deleted on purpose: it goes. */
		if (r[i].kind == TENET_KIND_COMPARTMENT) {
			assert_true(model_put(&x->m, key, "[", &err) < 0);
			assert_int_equal(model_delete(&x->m, key), 1);
			x->f.ncalls = 0;
			assert_int_equal(round_both(x), 0);
			assert_true(fgw_calls_count(&x->f, "link_del") > 0);
		}
		free(nft);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vrf_compartments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_vlan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_other_reconcilers_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_put_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_repairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_failure_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_external_appears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_foreign_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vrf_nat_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_no_uplink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_failure_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_records, setup, teardown),
	};

	return cmocka_run_group_tests_name("gateway reconcilers", tests, NULL, NULL);
}

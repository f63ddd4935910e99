// SPDX-License-Identifier: GPL-2.0
/* The ipsec reconciler (agent/gw/ipsec.c) on the engine, against a fake
 * kernel and a fake charon: the VICI messages per authentication method;
 * what an S2S interface becomes in each tunnel state (links, secrets,
 * connections, routes); a second round that writes nothing; a restarted
 * agent that adopts an established tunnel without reloading anything; a
 * changed configuration reloaded (and only that one); charon's events
 * (up, down, a peer that stopped answering) moving routes; redialing;
 * charon going away and coming back; a secret that does not open keeps
 * the last good one; deletion leaves nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include <tenet/limits.h>

#include "gw/gw.h"
#include "gw/ipsec.h"
#include "recon/model.h"
#include "recon/recon.h"
#include "testutil.h"

#define HOST "gw"
#define MAXN 32

/* ---- the fake kernel and charon ---- */

struct flink {
	struct ipsec_link l;
	bool used;
};

struct froute {
	struct ipsec_route_key k;
	struct ipsec_route_val v;
	bool used;
};

struct fconn {
	char name[96], child[64];
	json_t *msg;
	bool used;
};

struct fsecret {
	char id[128], data[256];
	bool used;
};

struct fake {
	struct flink links[MAXN];
	struct froute routes[MAXN];
	struct fconn conns[MAXN];
	struct fsecret secrets[MAXN];
	char up[MAXN][96];              /* connections with an established SA */
	json_t *events;                 /* queued events: [name, msg] pairs */
	bool charon;                    /* reachable */
	bool open;
	int loads, unloads, initiates, terminates, shared_loads;
	char last_initiate[96], last_terminate[96];
};

static struct fake *F(void *ctx)
{
	return ctx;
}

static int f_link_dump(void *ctx, struct ipsec_link **out, size_t *n)
{
	struct fake *f = F(ctx);
	size_t m = 0;

	*out = calloc(MAXN, sizeof(**out));
	for (int i = 0; i < MAXN; i++)
		if (f->links[i].used)
			(*out)[m++] = f->links[i].l;
	*n = m;
	return 0;
}

static struct flink *flink_find(struct fake *f, const char *name)
{
	for (int i = 0; i < MAXN; i++)
		if (f->links[i].used && !strcmp(f->links[i].l.name, name))
			return &f->links[i];
	return NULL;
}

static int f_link_add(void *ctx, const char *name, uint32_t if_id, uint32_t mtu, const char *alias)
{
	struct fake *f = F(ctx);

	assert_int_equal(mtu, IPSEC_MTU);
	if (flink_find(f, name))
		return -EEXIST;
	for (int i = 0; i < MAXN; i++) {
		if (f->links[i].used)
			continue;
		memset(&f->links[i], 0, sizeof(f->links[i]));
		f->links[i].used = true;
		snprintf(f->links[i].l.name, sizeof(f->links[i].l.name), "%s", name);
		snprintf(f->links[i].l.alias, sizeof(f->links[i].l.alias), "%s", alias);
		f->links[i].l.if_id = if_id;
		return 0;
	}
	return -ENOSPC;
}

static int f_link_del(void *ctx, const char *name)
{
	struct flink *l = flink_find(F(ctx), name);

	if (!l)
		return -ENODEV;
	l->used = false;
	return 0;
}

static int f_link_master(void *ctx, const char *name, const char *master)
{
	struct flink *l = flink_find(F(ctx), name);

	if (!l)
		return -ENODEV;
	snprintf(l->l.master, sizeof(l->l.master), "%s", master ? master : "");
	return 0;
}

static int f_link_up(void *ctx, const char *name, bool up)
{
	struct flink *l = flink_find(F(ctx), name);

	if (!l)
		return -ENODEV;
	l->l.up = up;
	return 0;
}

static int f_link_sysctl(void *ctx, const char *name, const char *key, int val)
{
	return flink_find(F(ctx), name) ? 0 : -ENODEV;
}

static int f_route_dump(void *ctx, ipsec_route_cb cb, void *arg)
{
	struct fake *f = F(ctx);

	for (int i = 0; i < MAXN; i++)
		if (f->routes[i].used)
			cb(&f->routes[i].k, &f->routes[i].v, arg);
	return 0;
}

static struct froute *froute_find(struct fake *f, const struct ipsec_route_key *k)
{
	for (int i = 0; i < MAXN; i++)
		if (f->routes[i].used && !memcmp(&f->routes[i].k, k, sizeof(*k)))
			return &f->routes[i];
	return NULL;
}

static int f_route_set(void *ctx, const struct ipsec_route_key *k, const struct ipsec_route_val *v)
{
	struct fake *f = F(ctx);
	struct froute *r = froute_find(f, k);
	struct flink *l = flink_find(f, v->dev);

	/* the kernel refuses a route through a device that is down */
	if (!l)
		return -ENODEV;
	if (!l->l.up)
		return -ENETDOWN;
	for (int i = 0; !r && i < MAXN; i++)
		if (!f->routes[i].used)
			r = &f->routes[i];
	r->used = true;
	r->k = *k;
	r->v = *v;
	return 0;
}

static int f_route_del(void *ctx, const struct ipsec_route_key *k)
{
	struct froute *r = froute_find(F(ctx), k);

	if (!r)
		return -ESRCH;
	r->used = false;
	return 0;
}

static int f_vici_open(void *ctx, struct tenet_err *err)
{
	struct fake *f = F(ctx);

	if (!f->charon)
		return tenet_err_set(err, -ECONNREFUSED, "vici: cannot connect: Connection refused");
	f->open = true;
	return 0;
}

static void f_vici_close(void *ctx)
{
	F(ctx)->open = false;
}

static int f_vici_fd(void *ctx)
{
	return F(ctx)->open ? 99 : -1;
}

static bool is_up(struct fake *f, const char *conn)
{
	for (int i = 0; i < MAXN; i++)
		if (!strcmp(f->up[i], conn))
			return true;
	return false;
}

static void set_up(struct fake *f, const char *conn, bool up)
{
	for (int i = 0; i < MAXN; i++) {
		if (up && !f->up[i][0] && !is_up(f, conn)) {
			snprintf(f->up[i], sizeof(f->up[i]), "%s", conn);
			return;
		}
		if (!up && !strcmp(f->up[i], conn))
			f->up[i][0] = '\0';
	}
}

static struct fconn *fconn_find(struct fake *f, const char *name)
{
	for (int i = 0; i < MAXN; i++)
		if (f->conns[i].used && !strcmp(f->conns[i].name, name))
			return &f->conns[i];
	return NULL;
}

static int f_vici_call(void *ctx, const char *cmd, const json_t *req, const char *stream,
		       vici_stream_cb cb, void *arg, json_t **resp, struct tenet_err *err)
{
	struct fake *f = F(ctx);
	const char *k;
	json_t *v;

	*resp = json_pack("{s:s}", "success", "yes");
	if (!f->open || !f->charon)
		return tenet_err_set(err, -ECONNRESET, "vici: connection lost");
	if (!strcmp(cmd, "load-conn")) {
		json_object_foreach((json_t *)req, k, v) {
			struct fconn *c = fconn_find(f, k);
			const char *child;
			json_t *cv;

			for (int i = 0; !c && i < MAXN; i++)
				if (!f->conns[i].used)
					c = &f->conns[i];
			json_decref(c->msg);
			c->used = true;
			snprintf(c->name, sizeof(c->name), "%s", k);
			json_object_foreach(json_object_get(v, "children"), child, cv)
				snprintf(c->child, sizeof(c->child), "%s", child);
			c->msg = json_deep_copy(v);
		}
		f->loads++;
	} else if (!strcmp(cmd, "unload-conn")) {
		struct fconn *c = fconn_find(f, json_string_value(json_object_get(req, "name")));

		if (c) {
			c->used = false;
			json_decref(c->msg);
			c->msg = NULL;
		}
		f->unloads++;
	} else if (!strcmp(cmd, "list-conns")) {
		for (int i = 0; i < MAXN; i++) {
			json_t *ev;

			if (!f->conns[i].used)
				continue;
			ev = json_pack("{s:{s:{s:{}}}}", f->conns[i].name, "children",
				       f->conns[i].child);
			cb(arg, ev);
			json_decref(ev);
		}
	} else if (!strcmp(cmd, "load-shared")) {
		const char *id = json_string_value(json_object_get(req, "id"));
		struct fsecret *s = NULL;

		for (int i = 0; !s && i < MAXN; i++)
			if (!f->secrets[i].used || !strcmp(f->secrets[i].id, id))
				s = &f->secrets[i];
		s->used = true;
		snprintf(s->id, sizeof(s->id), "%s", id);
		snprintf(s->data, sizeof(s->data), "%s", json_string_value(json_object_get(req, "data")));
		f->shared_loads++;
	} else if (!strcmp(cmd, "unload-shared")) {
		for (int i = 0; i < MAXN; i++)
			if (f->secrets[i].used &&
			    !strcmp(f->secrets[i].id, json_string_value(json_object_get(req, "id"))))
				f->secrets[i].used = false;
	} else if (!strcmp(cmd, "get-shared")) {
		json_t *a = json_array();

		for (int i = 0; i < MAXN; i++)
			if (f->secrets[i].used)
				json_array_append_new(a, json_string(f->secrets[i].id));
		json_object_set_new(*resp, "keys", a);
	} else if (!strcmp(cmd, "list-sas")) {
		const char *ike = json_string_value(json_object_get(req, "ike"));

		for (int i = 0; i < MAXN; i++) {
			json_t *ev;

			if (!f->up[i][0] || (ike && strcmp(ike, f->up[i])))
				continue;
			ev = json_pack("{s:{s:s, s:s, s:s, s:{s:{s:s, s:s, s:s}}}}", f->up[i],
				       "state", "ESTABLISHED", "uniqueid", "1", "remote-host",
				       "59.10.10.100", "child-sas", "net-1", "name", "net", "state",
				       "INSTALLED", "uniqueid", "1");
			cb(arg, ev);
			json_decref(ev);
		}
	} else if (!strcmp(cmd, "initiate")) {
		f->initiates++;
		snprintf(f->last_initiate, sizeof(f->last_initiate), "%s",
			 json_string_value(json_object_get(req, "ike")));
	} else if (!strcmp(cmd, "terminate")) {
		f->terminates++;
		snprintf(f->last_terminate, sizeof(f->last_terminate), "%s",
			 json_string_value(json_object_get(req, "ike")));
	}
	return 0;
}

static int f_vici_event(void *ctx, char **name, json_t **msg, struct tenet_err *err)
{
	struct fake *f = F(ctx);
	json_t *e;

	if (!f->charon)
		return tenet_err_set(err, -ECONNRESET, "vici: connection closed by charon");
	if (!json_array_size(f->events))
		return -EAGAIN;
	e = json_array_get(f->events, 0);
	*name = strdup(json_string_value(json_array_get(e, 0)));
	*msg = json_incref(json_array_get(e, 1));
	json_array_remove(f->events, 0);
	return 0;
}

static void event(struct fake *f, const char *name, json_t *msg)
{
	json_array_append_new(f->events, json_pack("[s, o]", name, msg));
}

/* charon says a connection's tunnel came up or went down. */
static void updown(struct fake *f, const char *conn, bool up)
{
	json_t *m = json_pack("{s:{s:s}}", conn, "state", up ? "ESTABLISHED" : "DELETING");

	if (up)
		json_object_set_new(m, "up", json_string("yes"));
	set_up(f, conn, up);
	event(f, "child-updown", json_deep_copy(m));
	event(f, "ike-updown", m);
}

/* ---- fixture ---- */

struct fx {
	struct fake f;
	struct ipsec_ops ops;
	struct recon rc;
	struct model m;
	struct recon_env env;
	struct tenet_hostkey *key, *other;
	char *dir;
	char notes[16][300];
	int nnotes;
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

static int round_(struct fx *x)
{
	struct recon_hooks h = { 0 };
	int ret = recon_run(&x->rc, &x->m, &x->env, &h);

	assert_true(ret >= 0);
	return ret;
}

static void put_rec(struct model *m, const struct tenet_record *r)
{
	struct tenet_err err = { 0 };
	char key[TENET_KEY_MAX];
	json_t *j = tenet_record_to_json(r);
	char *text;

	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	text = json_dumps(j, JSON_COMPACT);
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

static struct tenet_record compartment(uint32_t id, const char *name)
{
	struct tenet_record r = { .kind = TENET_KIND_COMPARTMENT };

	strcpy(r.compartment.host, HOST);
	strcpy(r.compartment.name, name);
	strcpy(r.compartment.rdomain, name);
	r.compartment.id = id;
	r.compartment.vsid = 5999 + id;
	tenet_parse_addr_len("10.0.254.2/24", &r.compartment.addr, NULL);
	tenet_gw_default_mac(HOST, name, r.compartment.mac);
	return r;
}

static void seal(struct tenet_hostkey *k, const char *name, const char *secret, char *out)
{
	char ctx[TENET_KEY_MAX + 16], *s = NULL;

	tenet_s2s_secret_context(HOST, name, ctx, sizeof(ctx));
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(k), ctx, secret, strlen(secret), &s,
					   NULL), 0);
	strcpy(out, s);
	free(s);
}

static struct tenet_record iface(struct fx *x, uint32_t id, const char *name, const char *rd,
				 const char *dest)
{
	struct tenet_record r = { .kind = TENET_KIND_S2S };
	struct tenet_s2s *s = &r.s2s;

	strcpy(s->host, HOST);
	strcpy(s->name, name);
	strcpy(s->rdomain, rd);
	s->id = id;
	strcpy(s->destination, dest);
	s->auth = TENET_S2S_PSK;
	s->dpd = 10;
	s->retry = 30;
	seal(x->key, name, "the-psk", s->secret);
	s->nroutes = 2;
	tenet_parse_prefix("10.1.0.0/24", &s->routes[0].prefix, NULL);
	s->routes[0].metric = 100;
	tenet_parse_prefix("10.2.0.0/24", &s->routes[1].prefix, NULL);
	s->routes[1].metric = 200;
	s->npost = 1;
	tenet_parse_prefix("10.1.9.0/24", &s->post[0].prefix, NULL);
	s->post[0].metric = 100;
	return r;
}

static const char gw_cert[] = "-----BEGIN CERTIFICATE-----\ngw\n-----END CERTIFICATE-----\n";
static const char ca_cert[] = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";

static void new_recon(struct fx *x)
{
	struct ipsec_gw gw = { .cert_pem = gw_cert, .ca_pem = ca_cert };
	struct tenet_hostkey *keys[1] = { x->key };

	recon_init(&x->rc, &gw_ipsec_reconciler, &x->ops);
	assert_int_equal(ipsec_setup(&x->rc, keys, 1, &gw), 0);
	/* charon is reached when the reconciler is woken */
	assert_true(gw_ipsec_reconciler.wake_at(&x->rc) > 0 || !x->f.charon);
	if (x->f.charon)
		assert_true(gw_ipsec_reconciler.wake(&x->rc));
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char *path;

	x->f.charon = true;
	x->f.events = json_array();
	x->ops = (struct ipsec_ops){
		.ctx = &x->f, .link_dump = f_link_dump, .link_add = f_link_add,
		.link_del = f_link_del, .link_master = f_link_master, .link_up = f_link_up,
		.link_sysctl = f_link_sysctl, .route_dump = f_route_dump, .route_set = f_route_set,
		.route_del = f_route_del, .vici_open = f_vici_open, .vici_close = f_vici_close,
		.vici_fd = f_vici_fd, .vici_call = f_vici_call, .vici_event = f_vici_event,
	};
	x->dir = tu_mkdtemp();
	assert_true(asprintf(&path, "%s/key", x->dir) > 0);
	assert_int_equal(tenet_hostkey_load(path, TENET_HOSTKEY_CREATE, &x->key, NULL), 0);
	free(path);
	assert_true(asprintf(&path, "%s/other", x->dir) > 0);
	assert_int_equal(tenet_hostkey_load(path, TENET_HOSTKEY_CREATE, &x->other, NULL), 0);
	free(path);
	model_init(&x->m);
	x->env = (struct recon_env){ .host = HOST, .note = note_cb, .note_arg = x };
	new_recon(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	recon_fini(&x->rc);
	model_free(&x->m);
	for (int i = 0; i < MAXN; i++)
		json_decref(x->f.conns[i].msg);
	json_decref(x->f.events);
	tenet_hostkey_free(x->key);
	tenet_hostkey_free(x->other);
	tu_rmtree(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static bool has_route(struct fx *x, const char *prefix, uint32_t table, uint32_t metric,
		      const char *dev)
{
	struct tenet_prefix p;
	struct ipsec_route_key k = { .table = table, .metric = metric };
	struct froute *r;

	tenet_parse_prefix(prefix, &p, NULL);
	k.dst = p.addr;
	k.plen = p.len;
	r = froute_find(&x->f, &k);
	return r && !strcmp(r->v.dev, dev);
}

static int nroutes(struct fx *x)
{
	int n = 0;

	for (int i = 0; i < MAXN; i++)
		n += x->f.routes[i].used;
	return n;
}

static int count_used_secrets(struct fx *x)
{
	int n = 0;

	for (int i = 0; i < MAXN; i++)
		n += x->f.secrets[i].used;
	return n;
}

/* ---- the VICI messages ---- */

static void test_messages(void **state)
{
	struct fx *x = *state;
	struct ipsec_gw gw = { .cert_pem = gw_cert, .ca_pem = ca_cert };
	struct tenet_record r = iface(x, 2, "IfWe1", "Woodgrove", "59.10.10.100");
	struct tenet_err err = { 0 };
	char child[IPSEC_CHILD_LEN], child2[IPSEC_CHILD_LEN], id[128], name[80];
	json_t *m, *c, *ch;

	assert_int_equal(ipsec_conn_msg(&r.s2s, &gw, &m, &err), 0);
	c = json_object_get(m, "tenet-s2s-IfWe1");
	assert_non_null(c);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "remote_addrs"), 0)),
			    "59.10.10.100");
	assert_int_equal(json_array_size(json_object_get(c, "remote_addrs")), 1);
	assert_string_equal(json_string_value(json_object_get(c, "unique")), "replace");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "remote-1"), "id")),
			    "59.10.10.100");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "local-1"), "auth")),
			    "psk");
	assert_int_equal(ipsec_child_name(&r.s2s, &gw, child, NULL), 0);
	assert_int_equal(strlen(child), 20);
	ch = json_object_get(json_object_get(c, "children"), child);
	assert_non_null(ch);
	assert_string_equal(json_string_value(json_object_get(ch, "if_id_in")), "2119368706");
	assert_string_equal(json_string_value(json_object_get(ch, "if_id_out")), "2119368706");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ch, "local_ts"), 0)),
			    "0.0.0.0/0");
	assert_string_equal(json_string_value(json_object_get(ch, "start_action")), "trap");
	json_decref(m);
	/* the child name follows the configuration, not the secret */
	r.s2s.routes[0].metric = 300;
	assert_int_equal(ipsec_child_name(&r.s2s, &gw, child2, NULL), 0);
	assert_string_equal(child, child2);
	r.s2s.dpd = 5;
	assert_int_equal(ipsec_child_name(&r.s2s, &gw, child2, NULL), 0);
	assert_string_not_equal(child, child2);
	/* a certificate interface: the subject and only the provider's root */
	r.s2s.auth = TENET_S2S_CERT;
	strcpy(r.s2s.peer, "C=US, O=Woodgrove, CN=sfo");
	strcpy(r.s2s.destination, "sfo.woodgrove.example");
	assert_int_equal(ipsec_conn_msg(&r.s2s, &gw, &m, &err), 0);
	c = json_object_get(m, "tenet-s2s-IfWe1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "remote_addrs"), 1)),
			    "%any");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "remote-1"), "id")),
			    "C=US, O=Woodgrove, CN=sfo");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(json_object_get(c, "remote-1"), "cacerts"), 0)), ca_cert);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(json_object_get(c, "local-1"), "certs"), 0)), gw_cert);
	json_decref(m);
	gw.ca_pem = NULL;
	assert_int_equal(ipsec_conn_msg(&r.s2s, &gw, &m, &err), -EINVAL);
	assert_string_equal(err.msg, "auth cert needs the provider's root certificate (ipsec_ca in "
			    "tenetd.conf)");
	/* EAP: the user is the identity and the EAP identity; no trap */
	r.s2s.auth = TENET_S2S_EAP;
	r.s2s.mode = TENET_S2S_RESPONDER;
	strcpy(r.s2s.peer, "contoso-branch");
	assert_int_equal(ipsec_conn_msg(&r.s2s, &gw, &m, &err), 0);
	c = json_object_get(m, "tenet-s2s-IfWe1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "remote-1"),
							      "eap_id")), "contoso-branch");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "remote-1"),
							      "auth")), "eap-mschapv2");
	ipsec_child_name(&r.s2s, &gw, child, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(c, "children"), child), "start_action")), "none");
	json_decref(m);
	/* secrets: the id names the interface and changes with the secret */
	assert_int_equal(ipsec_secret_id(&r.s2s, id, sizeof(id)), 0);
	assert_int_equal(strncmp(id, "tenet-s2s-IfWe1-", 16), 0);
	assert_int_equal(strlen(id), 16 + 16);
	assert_int_equal(ipsec_secret_iface(id, name, sizeof(name)), 0);
	assert_string_equal(name, "IfWe1");
	assert_int_equal(ipsec_secret_iface("tenet-s2s-x", name, sizeof(name)), -EINVAL);
}

/* ---- what an interface becomes ---- */

static void test_program(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(2, "Woodgrove");
	struct tenet_record r = iface(x, 3, "IfWe1", "Woodgrove", "59.10.10.100");
	struct flink *l;

	put_rec(&x->m, &r);
	assert_int_equal(round_(x), 0);
	/* without its compartment, nothing (and a note) */
	assert_null(flink_find(&x->f, "ts3"));
	assert_true(noted(x, "routing domain Woodgrove has no compartment on this host"));
	put_rec(&x->m, &cm);
	assert_int_equal(round_(x), 0);
	l = flink_find(&x->f, "ts3");
	assert_non_null(l);
	assert_int_equal(l->l.if_id, 0x7e530003);
	assert_string_equal(l->l.master, "tvrf2");
	assert_string_equal(l->l.alias, "tenet-s2s:IfWe1");
	assert_true(l->l.up);
	assert_non_null(fconn_find(&x->f, "tenet-s2s-IfWe1"));
	assert_int_equal(count_used_secrets(x), 1);
	/* the secret reached charon in clear, and only there */
	for (int i = 0; i < MAXN; i++)
		if (x->f.secrets[i].used)
			assert_string_equal(x->f.secrets[i].data, "the-psk");
	/* idle: the static routes (they dial), no post-connection route */
	assert_true(has_route(x, "10.1.0.0/24", 10002, 100, "ts3"));
	assert_true(has_route(x, "10.2.0.0/24", 10002, 200, "ts3"));
	assert_int_equal(nroutes(x), 2);
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_IDLE);
	/* a second round writes nothing */
	x->f.loads = x->f.shared_loads = 0;
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->rc.st.add[IPSEC_CONN] + x->rc.st.upd[IPSEC_CONN], 0);
	assert_int_equal(x->f.loads + x->f.shared_loads, 0);
	/* connected: the post-connection route too */
	updown(&x->f, "tenet-s2s-IfWe1", true);
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_UP);
	assert_int_equal(round_(x), 0);
	assert_true(has_route(x, "10.1.9.0/24", 10002, 100, "ts3"));
	assert_int_equal(nroutes(x), 3);
	/* closed (not a dead peer): idle again, post-connection route gone */
	updown(&x->f, "tenet-s2s-IfWe1", false);
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_IDLE);
	assert_int_equal(round_(x), 0);
	assert_int_equal(nroutes(x), 2);
}

/* The book's failover: a dead peer withdraws the interface's routes and
 * takes it down; it is redialed; back up, its routes return. */
static void test_dead_peer(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(2, "Woodgrove");
	struct tenet_record r = iface(x, 3, "IfWe1", "Woodgrove", "59.10.10.100");
	uint64_t at;

	put_rec(&x->m, &cm);
	put_rec(&x->m, &r);
	round_(x);
	updown(&x->f, "tenet-s2s-IfWe1", true);
	gw_ipsec_reconciler.wake(&x->rc);
	round_(x);
	assert_int_equal(nroutes(x), 3);
	event(&x->f, "log", json_pack("{s:s, s:s, s:s}", "ikesa-name", "tenet-s2s-IfWe1", "thread",
				      "7", "msg", "giving up after 2 retransmits"));
	updown(&x->f, "tenet-s2s-IfWe1", false);
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_UNREACHABLE);
	assert_int_equal(round_(x), 0);
	assert_int_equal(nroutes(x), 0);
	assert_false(flink_find(&x->f, "ts3")->l.up);
	/* redialed when its retry time comes */
	at = gw_ipsec_reconciler.wake_at(&x->rc);
	assert_true(at > 0);
	x->f.initiates = 0;
	gw_ipsec_reconciler.wake(&x->rc);
	assert_int_equal(x->f.initiates, 0);    /* not yet: 30 s */
	/* a dial that fails keeps it unreachable; one that works brings it back */
	updown(&x->f, "tenet-s2s-IfWe1", true);
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(round_(x), 0);
	assert_true(flink_find(&x->f, "ts3")->l.up);
	assert_int_equal(nroutes(x), 3);
	/* a dial on demand that gets no answer: unreachable at once */
	updown(&x->f, "tenet-s2s-IfWe1", false);
	gw_ipsec_reconciler.wake(&x->rc);
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_IDLE);
	event(&x->f, "log", json_pack("{s:s, s:s, s:s}", "ikesa-name", "tenet-s2s-IfWe1", "thread",
				      "3", "msg", "establishing IKE_SA failed, peer not responding"));
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_UNREACHABLE);
}

/* A responder's routes exist only while connected. */
static void test_responder(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(1, "Contoso");
	struct tenet_record r = iface(x, 4, "IfCe2", "Contoso", "59.10.10.20");
	struct fconn *c;
	char child[IPSEC_CHILD_LEN];

	r.s2s.mode = TENET_S2S_RESPONDER;
	put_rec(&x->m, &cm);
	put_rec(&x->m, &r);
	round_(x);
	assert_int_equal(nroutes(x), 0);
	c = fconn_find(&x->f, "tenet-s2s-IfCe2");
	ipsec_child_name(&r.s2s, &(struct ipsec_gw){ .cert_pem = gw_cert, .ca_pem = ca_cert }, child,
			 NULL);
	assert_string_equal(c->child, child);
	updown(&x->f, "tenet-s2s-IfCe2", true);
	gw_ipsec_reconciler.wake(&x->rc);
	round_(x);
	assert_int_equal(nroutes(x), 3);
}

/* A restarted agent adopts what it finds; a changed configuration is
 * reloaded (and its SAs ended); a deleted interface leaves nothing. */
static void test_restart_change_delete(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(2, "Woodgrove");
	struct tenet_record a = iface(x, 2, "IfWe1", "Woodgrove", "59.10.10.100");
	struct tenet_record b = iface(x, 3, "IfWe2", "Woodgrove", "60.10.10.100");

	/* the book's metrics: the other site's prefix is the backup */
	b.s2s.routes[0].metric = 200;
	b.s2s.routes[1].metric = 100;
	b.s2s.npost = 0;
	put_rec(&x->m, &cm);
	put_rec(&x->m, &a);
	put_rec(&x->m, &b);
	round_(x);
	updown(&x->f, "tenet-s2s-IfWe1", true);
	gw_ipsec_reconciler.wake(&x->rc);
	round_(x);
	assert_int_equal(nroutes(x), 5);
	/* the agent restarts: a new reconciler finds the tunnel up */
	recon_fini(&x->rc);
	x->f.loads = x->f.shared_loads = x->f.terminates = 0;
	new_recon(x);
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_UP);
	assert_int_equal(round_(x), 0);
	assert_int_equal(x->f.loads + x->f.shared_loads + x->f.terminates, 0);
	assert_int_equal(x->rc.shadow.t[IPSEC_LINK].n + x->rc.shadow.t[IPSEC_SECRET].n +
			 x->rc.shadow.t[IPSEC_CONN].n + x->rc.shadow.t[IPSEC_ROUTE].n, 2 + 2 + 2 + 5);
	assert_int_equal(nroutes(x), 5);
	/* a changed configuration: that connection alone is reloaded */
	b.s2s.dpd = 3;
	put_rec(&x->m, &b);
	round_(x);
	assert_int_equal(x->f.loads, 1);
	assert_int_equal(x->f.terminates, 1);
	assert_string_equal(x->f.last_terminate, "tenet-s2s-IfWe2");
	/* a new secret: a new id, the old one unloaded */
	seal(x->key, "IfWe2", "new-psk", b.s2s.secret);
	put_rec(&x->m, &b);
	round_(x);
	assert_int_equal(count_used_secrets(x), 2);
	for (int i = 0; i < MAXN; i++)
		if (x->f.secrets[i].used && strstr(x->f.secrets[i].id, "IfWe2"))
			assert_string_equal(x->f.secrets[i].data, "new-psk");
	/* a secret that does not open (sealed to another key): the last
	 * good one stays in charon, and a note says why */
	seal(x->other, "IfWe2", "stolen", b.s2s.secret);
	put_rec(&x->m, &b);
	round_(x);
	assert_int_equal(count_used_secrets(x), 2);
	assert_true(noted(x, "charon keeps the interface's last secret"));
	/* delete IfWe1: nothing of it left */
	del_rec(&x->m, &a);
	round_(x);
	assert_null(flink_find(&x->f, "ts2"));
	assert_null(fconn_find(&x->f, "tenet-s2s-IfWe1"));
	assert_string_equal(x->f.last_terminate, "tenet-s2s-IfWe1");
	assert_int_equal(count_used_secrets(x), 1);
	assert_int_equal(nroutes(x), 2);
	assert_non_null(flink_find(&x->f, "ts3"));
}

/* charon goes away: nothing is loaded into the void, routes stay; when it
 * is back everything is loaded again and what was up is redialed. */
static void test_charon_restart(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(2, "Woodgrove");
	struct tenet_record a = iface(x, 2, "IfWe1", "Woodgrove", "59.10.10.100");

	put_rec(&x->m, &cm);
	put_rec(&x->m, &a);
	round_(x);
	updown(&x->f, "tenet-s2s-IfWe1", true);
	gw_ipsec_reconciler.wake(&x->rc);
	round_(x);
	/* charon dies: its connections and secrets are gone */
	x->f.charon = false;
	x->f.open = false;
	memset(x->f.conns, 0, sizeof(x->f.conns));
	memset(x->f.secrets, 0, sizeof(x->f.secrets));
	memset(x->f.up, 0, sizeof(x->f.up));
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(ipsec_tun_state(&x->rc, "IfWe1"), IPSEC_IDLE);
	assert_int_equal(gw_ipsec_reconciler.poll_fd(&x->rc), -1);
	assert_int_equal(round_(x), 0);
	assert_int_equal(nroutes(x), 2);       /* static routes stay */
	assert_non_null(flink_find(&x->f, "ts2"));
	/* still away: not reconnected */
	assert_false(gw_ipsec_reconciler.wake(&x->rc));
	/* back */
	x->f.charon = true;
	x->f.initiates = 0;
	sleep(1);
	assert_true(gw_ipsec_reconciler.wake(&x->rc));
	assert_int_equal(round_(x), 0);
	assert_non_null(fconn_find(&x->f, "tenet-s2s-IfWe1"));
	assert_int_equal(count_used_secrets(x), 1);
	assert_int_equal(x->f.initiates, 1);
	assert_string_equal(x->f.last_initiate, "tenet-s2s-IfWe1");
}

/* Refused connections are logged with their reason, from charon's log
 * events (the lines charon 5.9.8 writes, per worker thread). */
static void logev(struct fake *f, const char *thread, const char *ike, const char *msg)
{
	json_t *m = json_pack("{s:s, s:s}", "thread", thread, "msg", msg);

	if (ike)
		json_object_set_new(m, "ikesa-name", json_string(ike));
	event(f, "log", m);
}

static void test_refusals(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(2, "Woodgrove");
	struct tenet_record a = iface(x, 2, "IfWe1", "Woodgrove", "59.10.10.100");
	char *path, *text = NULL;
	size_t len = 0;
	FILE *f;
	int saved;

	put_rec(&x->m, &cm);
	put_rec(&x->m, &a);
	round_(x);
	assert_true(asprintf(&path, "%s/log", x->dir) > 0);
	fflush(stderr);
	saved = dup(2);
	assert_non_null(freopen(path, "w", stderr));
	logev(&x->f, "5", NULL, "no IKE config found for 131.107.10.10...198.51.100.7, sending "
	      "NO_PROPOSAL_CHOSEN");
	logev(&x->f, "6", NULL, "looking for peer configs matching "
	      "131.107.10.10[%any]...59.10.10.66[59.10.10.66]");
	logev(&x->f, "6", NULL, "no matching peer config found");
	logev(&x->f, "7", "tenet-s2s-IfWe1", "looking for peer configs matching "
	      "131.107.10.10[%any]...59.10.10.100[59.10.10.100]");
	logev(&x->f, "7", "tenet-s2s-IfWe1", "tried 1 shared key for '%any' - '59.10.10.100', but "
	      "MAC mismatched");
	logev(&x->f, "8", NULL, "no issuer certificate found for \"C=US, O=Woodgrove, CN=sfo\"");
	logev(&x->f, "8", NULL, "  issuer is \"C=US, O=Rogue, CN=Rogue CA\"");
	logev(&x->f, "9", "tenet-s2s-IfCe2", "EAP method EAP_MSCHAPV2 failed for peer contoso-branch");
	/* the same refusal again at once: logged once */
	logev(&x->f, "5", NULL, "no IKE config found for 131.107.10.10...198.51.100.7, sending "
	      "NO_PROPOSAL_CHOSEN");
	gw_ipsec_reconciler.wake(&x->rc);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	if (!strstr(text, "s2s: refused IKE from 198.51.100.7: no S2S interface has it as its "
			  "destination") ||
	    !strstr(text, "s2s: refused 59.10.10.66 (identity '59.10.10.66'): no S2S interface for "
			  "it") ||
	    !strstr(text, "s2s IfWe1: refused 59.10.10.100: wrong pre-shared key") ||
	    !strstr(text, "s2s: refused certificate 'C=US, O=Woodgrove, CN=sfo' (issuer 'C=US, "
			  "O=Rogue, CN=Rogue CA'): it does not chain to the provider's root") ||
	    !strstr(text, "s2s IfCe2: refused EAP user contoso-branch: authentication failed"))
		fail_msg("log:\n%s", text);
	/* the repeated refusal was logged once */
	assert_null(strstr(strstr(text, "198.51.100.7") + 1, "198.51.100.7"));
	free(text);
	free(path);
}

/* tenetd --cleanup: everything of tenet's goes, nothing else. */
static void test_teardown(void **state)
{
	struct fx *x = *state;
	struct tenet_record cm = compartment(2, "Woodgrove");
	struct tenet_record a = iface(x, 2, "IfWe1", "Woodgrove", "59.10.10.100");
	struct model empty;

	put_rec(&x->m, &cm);
	put_rec(&x->m, &a);
	round_(x);
	/* someone else's XFRM interface and connection */
	f_link_add(&x->f, "xfrm9", 9, IPSEC_MTU, "");
	f_vici_call(&x->f, "load-conn", json_pack("{s:{s:{s:{}}}}", "theirs", "children", "c"),
		    NULL, NULL, NULL, &(json_t *){ NULL }, NULL);
	model_init(&empty);
	x->rc.teardown = true;
	assert_true(recon_run(&x->rc, &empty, &x->env, &(struct recon_hooks){ 0 }) >= 0);
	model_free(&empty);
	assert_null(flink_find(&x->f, "ts2"));
	assert_null(fconn_find(&x->f, "tenet-s2s-IfWe1"));
	assert_int_equal(count_used_secrets(x), 0);
	assert_int_equal(nroutes(x), 0);
	assert_non_null(flink_find(&x->f, "xfrm9"));
	assert_non_null(fconn_find(&x->f, "theirs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_change_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_charon_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teardown, setup, teardown),
	};

	return cmocka_run_group_tests_name("ipsec", tests, NULL, NULL);
}

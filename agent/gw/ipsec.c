// SPDX-License-Identifier: GPL-2.0
/* The ipsec reconciler (see ipsec.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "config.h"
#include "gw/gw.h"
#include "gw/ipsec.h"
#include "gw/xfrmif.h"
#include "log.h"
#include "vici/sas.h"

/* charon is reconnected this often while it is away. */
#define RECONNECT_MS 1000
/* A peer that stopped answering this recently makes a lost tunnel
 * unreachable rather than idle. */
#define GAVEUP_MS 60000
/* The same refusal is logged at most this often. */
#define REFUSAL_MS 5000
/* VICI exchanges of the agent never wait longer (charon answers in
 * milliseconds; initiates and terminates do not wait at all). */
#define VICI_TIMEOUT_MS 5000

struct tun {
	enum ipsec_tun_state state;
	uint64_t since;                 /* ms of the last change */
	uint64_t retry_at;              /* UNREACHABLE: next redial */
	uint64_t gaveup_at;             /* the peer last stopped answering */
	uint64_t down_at;               /* it was last up */
	uint32_t retry_ms;
	int mode;
	bool kick;                      /* dial once its connection is (re)loaded */
	bool seen;                      /* in this round's model */
	char child[IPSEC_CHILD_LEN + 3];        /* its connection's child (to dial) */
};

struct ipsec_priv {
	struct htab tuns;               /* interface name -> struct tun */
	struct tenet_hostkey *keys[2];
	size_t nkeys;
	bool own_keys;                  /* loaded by open(): freed by close() */
	struct ipsec_gw gw;
	char *cert_pem, *key_pem, *ca_pem;
	char key_type[16];
	bool vici_up;
	uint64_t reconnect_at;
	char vici_err[TENET_ERR_LEN];
	/* refusals: the line -> when it was last logged */
	struct htab refused;
	/* per charon thread: the identities it is looking for, and a
	 * certificate it found no issuer for */
	char looking[64][160];
	char noissuer[64][160];
};

static const struct ipsec_ops *iops(const struct recon *rc)
{
	return rc->ops;
}

static struct ipsec_priv *priv(const struct recon *rc)
{
	return rc->priv;
}

/* ---- names ---- */

static void devname(uint32_t id, char name[IF_NAMESIZE])
{
	tenet_s2s_devname(id, name, IF_NAMESIZE);
}

static void vrfname(uint32_t cid, char name[IF_NAMESIZE])
{
	tenet_gw_devname(TENET_GW_VRF_PFX, cid, name, IF_NAMESIZE);
}

/* ---- describe ---- */

static void describe_link(const void *key, const void *val, char *buf, size_t len)
{
	const struct ipsec_link_val *v = val;
	char dev[IF_NAMESIZE], vrf[IF_NAMESIZE];

	devname(((const struct ipsec_link_key *)key)->id, dev);
	if (!v) {
		snprintf(buf, len, "XFRM interface %s", dev);
		return;
	}
	vrfname(v->vrf, vrf);
	snprintf(buf, len, "s2s %s: XFRM interface %s (if_id 0x%x, VRF %s, %s)", v->name, dev,
		 v->if_id, vrf, v->up ? "up" : "down");
}

static void describe_secret(const void *key, const void *val, char *buf, size_t len)
{
	const struct ipsec_secret_val *v = val;

	if (v)
		snprintf(buf, len, "s2s %s: %s secret %s in charon", v->s2s.name,
			 v->s2s.auth == TENET_S2S_EAP ? "EAP" : "pre-shared",
			 ((const struct ipsec_name_key *)key)->name);
	else
		snprintf(buf, len, "secret %s in charon", ((const struct ipsec_name_key *)key)->name);
}

static void describe_conn(const void *key, const void *val, char *buf, size_t len)
{
	const struct ipsec_conn_val *v = val;

	if (v)
		snprintf(buf, len, "s2s %s: connection %s (child %s) in charon", v->s2s.name,
			 ((const struct ipsec_name_key *)key)->name, v->child);
	else
		snprintf(buf, len, "connection %s in charon",
			 ((const struct ipsec_name_key *)key)->name);
}

static void describe_route(const void *key, const void *val, char *buf, size_t len)
{
	const struct ipsec_route_key *k = key;
	const struct ipsec_route_val *v = val;
	char d[TENET_IPV4_STRLEN];
	int n;

	n = snprintf(buf, len, "route %s/%u table %u metric %u", tenet_fmt_ipv4(k->dst, d), k->plen,
		     k->table, k->metric);
	if (v && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " dev %s", v->dev);
}

/* ---- charon ---- */

static int call(struct recon *rc, const char *cmd, const json_t *req, json_t **resp,
		struct tenet_err *err)
{
	const struct ipsec_ops *ops = iops(rc);
	json_t *r = NULL;
	int ret;

	if (!priv(rc)->vici_up)
		return tenet_err_set(err, -ENOTCONN, "charon is not connected");
	ret = ops->vici_call(ops->ctx, cmd, req, NULL, NULL, NULL, &r, err);
	if (resp)
		*resp = r;
	else
		json_decref(r);
	return ret;
}

/* initiate or terminate, without waiting for the exchange. */
static int control(struct recon *rc, const char *cmd, const char *conn, const char *child)
{
	struct tenet_err err = { 0 };
	json_t *req = json_pack("{s:s, s:i}", "ike", conn, "timeout", -1);
	int ret;

	if (!req)
		return -ENOMEM;
	if (child)
		json_object_set_new(req, "child", json_string(child));
	if (!strcmp(cmd, "terminate"))
		json_object_set_new(req, "force", json_string("yes"));
	ret = call(rc, cmd, req, NULL, &err);
	json_decref(req);
	/* An IKE SA that is not there is not an error for a terminate. */
	if (ret < 0 && strcmp(cmd, "terminate"))
		log_warn("charon: %s %s: %s", cmd, conn, err.msg);
	return ret;
}

/* ---- object types ---- */

static int link_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ipsec_link_val *v = val, *o = old;
	struct xfrmif want = { .if_id = v->if_id, .vrf = v->vrf, .name = v->name, .up = v->up };
	struct xfrmif was = o ? (struct xfrmif){ .if_id = o->if_id, .vrf = o->vrf,
						 .name = o->name, .up = o->up } :
				(struct xfrmif){ 0 };
	char dev[IF_NAMESIZE];

	devname(((const struct ipsec_link_key *)key)->id, dev);
	return xfrmif_put(rc, iops(rc), dev, TENET_S2S_ALIAS_PFX, &want, o ? &was : NULL);
}

static int link_del(struct recon *rc, const void *key, const void *old)
{
	const struct ipsec_ops *ops = iops(rc);
	char dev[IF_NAMESIZE];

	devname(((const struct ipsec_link_key *)key)->id, dev);
	return ops->link_del(ops->ctx, dev);
}

/* The clear secret lives only in sodium memory and in the message, which
 * is wiped before it is freed. */
static int secret_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ipsec_secret_val *v = val;
	struct ipsec_priv *p = priv(rc);
	struct tenet_secret *sec = NULL;
	struct tenet_err err = { 0 };
	char ctx[TENET_KEY_MAX + 16];
	json_t *msg;
	int ret;

	tenet_s2s_secret_context(v->s2s.host, v->s2s.name, ctx, sizeof(ctx));
	ret = tenet_secret_open(p->keys, p->nkeys, ctx, v->s2s.secret, &sec, &err);
	if (ret < 0) {
		recon_errf(rc, "%s", err.msg);
		return ret;
	}
	msg = ipsec_shared_msg(((const struct ipsec_name_key *)key)->name, &v->s2s, sec);
	tenet_secret_free(sec);
	if (!msg)
		return -ENOMEM;
	ret = call(rc, "load-shared", msg, NULL, &err);
	vici_wipe(msg);
	json_decref(msg);
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static int secret_del(struct recon *rc, const void *key, const void *old)
{
	struct tenet_err err = { 0 };
	json_t *req = json_pack("{s:s}", "id", ((const struct ipsec_name_key *)key)->name);
	int ret;

	if (!req)
		return -ENOMEM;
	ret = call(rc, "unload-shared", req, NULL, &err);
	json_decref(req);
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static struct tun *tun_get(struct ipsec_priv *p, const char *name)
{
	struct htab_entry *e = htab_find(&p->tuns, name);

	return e ? htab_val(e) : NULL;
}

static int conn_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ipsec_conn_val *v = val;
	const char *name = ((const struct ipsec_name_key *)key)->name;
	struct tenet_err err = { 0 };
	struct tun *t = tun_get(priv(rc), v->s2s.name);
	json_t *msg;
	int ret;

	ret = ipsec_conn_msg(&v->s2s, &priv(rc)->gw, &msg, &err);
	if (ret == 0) {
		ret = call(rc, "load-conn", msg, NULL, &err);
		json_decref(msg);
	}
	if (ret < 0) {
		recon_errf(rc, "%s", err.msg);
		return ret;
	}
	/* A changed configuration applies to new SAs: end the old ones (the
	 * trap or the peer brings the tunnel back). */
	if (old)
		control(rc, "terminate", name, NULL);
	if (t && t->kick && v->s2s.mode != TENET_S2S_RESPONDER) {
		t->kick = false;
		control(rc, "initiate", name, v->child);
	}
	return 0;
}

static int conn_del(struct recon *rc, const void *key, const void *old)
{
	const char *name = ((const struct ipsec_name_key *)key)->name;
	struct tenet_err err = { 0 };
	json_t *req = json_pack("{s:s}", "name", name);
	int ret;

	if (!req)
		return -ENOMEM;
	/* Unloading removes the trap; the SAs are ended first, so nothing of
	 * the interface stays in charon or the kernel. */
	control(rc, "terminate", name, NULL);
	ret = call(rc, "unload-conn", req, NULL, &err);
	json_decref(req);
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static int route_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ipsec_ops *ops = iops(rc);

	return ops->route_set(ops->ctx, key, val);
}

static int route_del(struct recon *rc, const void *key, const void *old)
{
	const struct ipsec_ops *ops = iops(rc);

	return ops->route_del(ops->ctx, key);
}

static const struct recon_type types[IPSEC_NOBJ] = {
	[IPSEC_LINK] = { .name = "xfrm-link", .key_size = sizeof(struct ipsec_link_key),
			 .val_size = sizeof(struct ipsec_link_val), .describe = describe_link,
			 .put = link_put, .del = link_del },
	[IPSEC_SECRET] = { .name = "ike-secret", .key_size = sizeof(struct ipsec_name_key),
			   .val_size = sizeof(struct ipsec_secret_val),
			   .cmp_size = offsetof(struct ipsec_secret_val, pad),
			   .describe = describe_secret, .put = secret_put, .del = secret_del },
	[IPSEC_CONN] = { .name = "ike-conn", .key_size = sizeof(struct ipsec_name_key),
			 .val_size = sizeof(struct ipsec_conn_val),
			 .cmp_size = offsetof(struct ipsec_conn_val, initiate),
			 .describe = describe_conn, .put = conn_put, .del = conn_del },
	[IPSEC_ROUTE] = { .name = "s2s-route", .key_size = sizeof(struct ipsec_route_key),
			  .val_size = sizeof(struct ipsec_route_val), .describe = describe_route,
			  .put = route_put, .del = route_del },
};

/* ---- want ---- */

struct want {
	struct recon *rc;
	const struct recon_env *env;
	struct recon_set *out;
	int err;
};

static void put(struct want *w, enum ipsec_obj t, const void *key, const void *val)
{
	if (!htab_put(&w->out->t[t], key, val, NULL))
		w->err = -ENOMEM;
}

static void routes(struct want *w, const struct tenet_s2s_route *r, uint16_t n, uint32_t table,
		   const char *dev)
{
	for (uint16_t i = 0; i < n && i < TENET_S2S_ROUTES_MAX; i++) {
		struct ipsec_route_key k = { .table = table, .dst = r[i].prefix.addr,
					     .plen = r[i].prefix.len, .metric = r[i].metric };
		struct ipsec_route_val v = { 0 };

		snprintf(v.dev, sizeof(v.dev), "%s", dev);
		put(w, IPSEC_ROUTE, &k, &v);
	}
}

/* A secret that does not open keeps what charon has for the interface
 * (the last good one): its shadow entries are held. */
static void hold_secrets(struct want *w, const char *name)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, &w->rc->shadow.t[IPSEC_SECRET]);
	while ((e = htab_iter_next(&it))) {
		const char *id = ((const struct ipsec_name_key *)htab_key(e))->name;
		char iface[TENET_NAME_MAX + 1];

		if (ipsec_secret_iface(id, iface, sizeof(iface)) == 0 && !strcmp(iface, name) &&
		    recon_hold(w->out, IPSEC_SECRET, htab_key(e)) < 0)
			w->err = -ENOMEM;
	}
}

static bool secret_opens(struct want *w, const char *key, const struct tenet_s2s *s)
{
	struct ipsec_priv *p = priv(w->rc);
	struct tenet_secret *sec = NULL;
	struct tenet_err err = { 0 };
	char ctx[TENET_KEY_MAX + 16];

	tenet_s2s_secret_context(s->host, s->name, ctx, sizeof(ctx));
	if (tenet_secret_open(p->keys, p->nkeys, ctx, s->secret, &sec, &err) < 0) {
		recon_note(w->env, key, "secret: %s; charon keeps the interface's last secret", err.msg);
		return false;
	}
	tenet_secret_free(sec);
	return true;
}

static void iface(struct want *w, const char *key, const struct tenet_s2s *s,
		  const struct tenet_compartment *cm)
{
	struct ipsec_priv *p = priv(w->rc);
	struct ipsec_link_key lk = { .id = s->id };
	struct ipsec_link_val lv = { .if_id = tenet_s2s_ifid(s->id), .vrf = cm->id };
	struct ipsec_name_key nk = { 0 };
	struct ipsec_conn_val *cv;
	struct tenet_err err = { 0 };
	struct tun fresh = { .state = IPSEC_IDLE }, *t;
	char dev[IF_NAMESIZE];
	bool usable;

	t = tun_get(p, s->name);
	if (!t) {
		if (!htab_put(&p->tuns, s->name, &fresh, NULL)) {
			w->err = -ENOMEM;
			return;
		}
		t = tun_get(p, s->name);
	}
	t->seen = true;
	t->mode = s->mode;
	t->retry_ms = s->retry * 1000;
	devname(s->id, dev);
	usable = t->state != IPSEC_UNREACHABLE;
	lv.up = usable;
	snprintf(lv.name, sizeof(lv.name), "%s", s->name);
	put(w, IPSEC_LINK, &lk, &lv);
	if (s->auth != TENET_S2S_CERT) {
		struct ipsec_secret_val sv = { .one = 1, .s2s = *s };

		if (secret_opens(w, key, s)) {
			ipsec_secret_id(s, nk.name, sizeof(nk.name));
			put(w, IPSEC_SECRET, &nk, &sv);
		} else {
			hold_secrets(w, s->name);
		}
	}
	cv = calloc(1, sizeof(*cv));
	if (!cv) {
		w->err = -ENOMEM;
		return;
	}
	cv->s2s = *s;
	memset(nk.name, 0, sizeof(nk.name));
	tenet_s2s_conn_name(s->name, nk.name, sizeof(nk.name));
	if (ipsec_child_name(s, &p->gw, cv->child, &err) < 0) {
		recon_note(w->env, key, "%s", err.msg);
	} else {
		put(w, IPSEC_CONN, &nk, cv);
		snprintf(t->child, sizeof(t->child), "%s", cv->child);
	}
	free(cv);
	/* Routes: the static ones while the interface is usable (they dial
	 * it), a responder's only while connected; post-connection routes
	 * while connected. */
	if (usable && (s->mode != TENET_S2S_RESPONDER || t->state == IPSEC_UP))
		routes(w, s->routes, s->nroutes, tenet_gw_table(cm->id), dev);
	if (t->state == IPSEC_UP)
		routes(w, s->post, s->npost, tenet_gw_table(cm->id), dev);
}

static int ipsec_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		      struct recon_set *out)
{
	struct want w = { .rc = rc, .env = env, .out = out };
	struct ipsec_priv *p = priv(rc);
	struct htab cms;
	struct htab_iter it;
	struct htab_entry *e;

	if (!p)
		return -ENODEV;
	/* this host's compartments by routing domain */
	htab_init(&cms, 0, sizeof(const struct tenet_compartment *));
	htab_iter_init(&it, &m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind == TENET_KIND_COMPARTMENT && !strcmp(r->compartment.host, env->host)) {
			const struct tenet_compartment *cm = &r->compartment;

			if (!htab_put(&cms, cm->rdomain, &cm, NULL))
				w.err = -ENOMEM;
		}
	}
	htab_iter_init(&it, &p->tuns);
	while ((e = htab_iter_next(&it)))
		((struct tun *)htab_val(e))->seen = false;
	htab_iter_init(&it, &m->recs);
	while (!w.err && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		struct htab_entry *c;

		if (r->kind != TENET_KIND_S2S || strcmp(r->s2s.host, env->host))
			continue;
		c = htab_find(&cms, r->s2s.rdomain);
		if (!c) {
			recon_note(w.env, htab_key(e),
				   "routing domain %s has no compartment on this host; "
				   "interface not programmed", r->s2s.rdomain);
			continue;
		}
		iface(&w, htab_key(e), &r->s2s, *(const struct tenet_compartment **)htab_val(c));
	}
	/* interfaces gone from the store are forgotten */
	htab_iter_init(&it, &p->tuns);
	while ((e = htab_iter_next(&it)))
		if (!((struct tun *)htab_val(e))->seen)
			htab_del(&p->tuns, htab_key(e));
	htab_free(&cms);
	return w.err;
}

/* ---- observe ---- */

struct observe {
	struct recon *rc;
	const struct recon_set *desired;
	struct recon_set *out;
	int err;
};

static void found(struct observe *o, enum ipsec_obj t, const void *key, const void *val)
{
	if (!htab_put(&o->out->t[t], key, val, NULL))
		o->err = -ENOMEM;
}

static int route_found(const struct ipsec_route_key *k, const struct ipsec_route_val *v,
		       void *arg)
{
	found(arg, IPSEC_ROUTE, k, v);
	return 0;
}

static int conn_found(void *arg, const char *name, const char *child)
{
	struct observe *o = arg;
	struct ipsec_name_key k = { 0 };
	struct ipsec_conn_val *v;

	if (!tenet_s2s_conn_iface(name) || strlen(name) >= sizeof(k.name))
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	snprintf(k.name, sizeof(k.name), "%s", name);
	snprintf(v->child, sizeof(v->child), "%s", child);
	found(o, IPSEC_CONN, &k, v);
	free(v);
	return 0;
}

static int secret_found(void *arg, const char *id)
{
	struct observe *o = arg;
	struct ipsec_name_key k = { 0 };
	struct ipsec_secret_val *v;
	char name[TENET_NAME_MAX + 1];

	if (ipsec_secret_iface(id, name, sizeof(name)) < 0 || strlen(id) >= sizeof(k.name))
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	snprintf(k.name, sizeof(k.name), "%s", id);
	v->one = 1;
	found(o, IPSEC_SECRET, &k, v);
	free(v);
	return 0;
}

static int link_found(void *arg, uint32_t id, const struct xfrmif *x)
{
	struct ipsec_link_key k = { .id = id };
	struct ipsec_link_val v = { .if_id = x->if_id, .vrf = x->vrf, .up = x->up };

	snprintf(v.name, sizeof(v.name), "%s", x->name);
	found(arg, IPSEC_LINK, &k, &v);
	return 0;
}

static int ipsec_observe(struct recon *rc, const struct recon_set *desired, struct recon_set *out)
{
	struct observe o = { .rc = rc, .desired = desired, .out = out };
	const struct ipsec_ops *ops = iops(rc);
	struct ipsec_priv *p = priv(rc);
	struct tenet_err err = { 0 };
	int ret;

	ret = xfrmif_dump(ops, TENET_S2S_DEV_PFX, TENET_S2S_ID_MAX, TENET_S2S_ALIAS_PFX, link_found,
			  &o);
	if (ret < 0)
		return ret;
	if (!o.err)
		ret = ops->route_dump(ops->ctx, route_found, &o);
	if (ret < 0)
		return ret;
	if (!p->vici_up) {
		/* With charon away, what it should hold is taken as held */
		if (!o.err)
			o.err = xfrmif_assume_desired(out, desired, IPSEC_SECRET);
		if (!o.err)
			o.err = xfrmif_assume_desired(out, desired, IPSEC_CONN);
		return o.err;
	}
	ret = vici_conn_list(ops->vici_call, ops->ctx, conn_found, &o, &err);
	if (!ret)
		ret = vici_shared_list(ops->vici_call, ops->ctx, secret_found, &o, &err);
	if (ret < 0) {
		recon_errf(rc, "charon: %s", err.msg);
		return ret;
	}
	return o.err;
}

/* ---- following charon ---- */

static void set_state(struct recon *rc, const char *name, struct tun *t, enum ipsec_tun_state s,
		      const char *why)
{
	static const char *const names[] = { "idle", "connected", "unreachable" };
	uint64_t now = now_ms();

	if (s == IPSEC_UP)
		t->gaveup_at = 0;       /* what went wrong before is over */
	if (t->state == s)
		return;
	if (t->state == IPSEC_UP)
		t->down_at = now;
	t->state = s;
	t->since = now;
	if (s == IPSEC_UNREACHABLE) {
		t->retry_at = now + t->retry_ms;
		log_warn("s2s %s: %s; its routes are withdrawn%s", name, why,
			 t->mode == TENET_S2S_RESPONDER ? "" : ", redialing");
	} else {
		log_info("s2s %s: %s (%s)", name, names[s], why);
	}
}

struct sa_state {
	bool up;
};

static int sa_up(void *arg, const struct vici_sa_info *sa)
{
	((struct sa_state *)arg)->up |= sa->state == VICI_SA_UP;
	return 0;
}

/* Whether a connection still has a tunnel (another IKE SA may have
 * replaced the one that went down, gone_id, which charon may still list
 * as established while it destroys it). */
static bool still_up(struct recon *rc, const char *conn, uint32_t gone_id)
{
	const struct ipsec_ops *ops = iops(rc);
	struct sa_state st = { 0 };

	vici_sa_list_except(ops->vici_call, ops->ctx, conn, gone_id, sa_up, &st, NULL);
	return st.up;
}

/* The IKE SA section of an updown event: its name is the connection's. */
static const char *event_conn(const json_t *msg)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)msg, k, v)
		if (json_is_object(v))
			return k;
	return NULL;
}

static bool updown(struct recon *rc, const json_t *msg, bool child)
{
	struct ipsec_priv *p = priv(rc);
	const char *conn = event_conn(msg), *name = tenet_s2s_conn_iface(conn);
	bool up = json_object_get(msg, "up") != NULL;
	struct tun *t = name ? tun_get(p, name) : NULL;
	const char *uid = conn ? json_string_value(json_object_get(json_object_get(msg, conn),
								       "uniqueid")) : NULL;
	enum ipsec_tun_state before;

	if (!t)
		return false;
	before = t->state;
	if (up && child) {
		set_state(rc, name, t, IPSEC_UP, "tunnel established");
	} else if (!up && t->state == IPSEC_UP &&
		   !still_up(rc, conn, uid && !child ? (uint32_t)strtoul(uid, NULL, 10) : 0)) {
		if (t->gaveup_at && now_ms() - t->gaveup_at < GAVEUP_MS)
			set_state(rc, name, t, IPSEC_UNREACHABLE, "peer not responding");
		else
			set_state(rc, name, t, IPSEC_IDLE, "tunnel closed");
	}
	return t->state != before;
}

static int thread_of(const json_t *msg)
{
	int th = atoi(json_string_value(json_object_get(msg, "thread")) ?: "0");

	return th < 0 ? 0 : th % 64;
}

/* A refusal, logged with its reason (at most every REFUSAL_MS alike). */
static void refused(struct ipsec_priv *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refused(struct ipsec_priv *p, const char *fmt, ...)
{
	char line[512];
	uint64_t now = now_ms(), *last;
	struct htab_entry *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	e = htab_find(&p->refused, line);
	last = e ? htab_val(e) : NULL;
	if (last && now - *last < REFUSAL_MS)
		return;
	htab_put(&p->refused, line, &now, NULL);
	log_warn("%s", line);
}

/* The peer's address of charon's "%H...%H" or "%H[%Y]...%H[%Y]" text. */
static const char *far_end(const char *s, char *buf, size_t len)
{
	const char *dots = strstr(s, "...");
	size_t n;

	if (!dots)
		return "?";
	dots += 3;
	n = strcspn(dots, ", [");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), dots);
	return buf;
}

/* The peer's identity of "%H[%Y]...%H[%Y]". */
static const char *far_id(const char *s, char *buf, size_t len)
{
	const char *dots = strstr(s, "..."), *open, *close;

	if (!dots || !(open = strchr(dots, '[')) || !(close = strrchr(open, ']')))
		return "?";
	snprintf(buf, len, "%.*s", (int)((size_t)(close - open - 1) < len ?
					   (size_t)(close - open - 1) : len - 1), open + 1);
	return buf;
}

static bool log_event(struct recon *rc, const json_t *msg)
{
	struct ipsec_priv *p = priv(rc);
	const char *text = json_string_value(json_object_get(msg, "msg"));
	const char *conn = json_string_value(json_object_get(msg, "ikesa-name"));
	const char *name = tenet_s2s_conn_iface(conn);
	struct tun *t = name ? tun_get(p, name) : NULL;
	int th = thread_of(msg);
	char a[96], who[160];
	const char *q;

	/* remote-access users are the ravpn reconciler's to report */
	if (!text || tenet_ravpn_conn_rdomain(conn))
		return false;
	if (!strncmp(text, "looking for peer configs matching ", 34)) {
		snprintf(p->looking[th], sizeof(p->looking[th]), "%s", text + 34);
		return false;
	}
	/* A certificate whose issuer is not the provider's root (nor any
	 * certificate charon holds): "no issuer certificate found for "S""
	 * then "  issuer is "I"". */
	if (!strncmp(text, "no issuer certificate found for \"", 33)) {
		snprintf(p->noissuer[th], sizeof(p->noissuer[th]), "%s", text + 33);
		p->noissuer[th][strcspn(p->noissuer[th], "\"")] = '\0';
		return false;
	}
	if (p->noissuer[th][0] && (q = strstr(text, "issuer is \""))) {
		snprintf(who, sizeof(who), "%s", q + 11);
		who[strcspn(who, "\"")] = '\0';
		refused(p, "s2s: refused certificate '%s' (issuer '%s'): it does not chain to the "
			"provider's root", p->noissuer[th], who);
		p->noissuer[th][0] = '\0';
		return false;
	}
	if (t && (strstr(text, "giving up after") || strstr(text, "peer not responding"))) {
		enum ipsec_tun_state before = t->state;

		t->gaveup_at = now_ms();
		if (t->state != IPSEC_UP)
			set_state(rc, name, t, IPSEC_UNREACHABLE, "peer not responding");
		return t->state != before;
	}
	if (!strncmp(text, "no IKE config found for ", 24)) {
		refused(p, "s2s: refused IKE from %s: no S2S interface has it as its destination "
			"(and no certificate or EAP interface accepts it)", far_end(text + 24, a,
										    sizeof(a)));
	} else if (strstr(text, "but MAC mismatched")) {
		refused(p, "s2s %s: refused %s: wrong pre-shared key", name ? name : "?",
			far_end(p->looking[th], a, sizeof(a)));
	} else if (!strncmp(text, "no trusted ", 11) && (q = strstr(text, "found for '"))) {
		snprintf(who, sizeof(who), "%s", q + 11);
		who[strcspn(who, "'")] = '\0';
		refused(p, "s2s: refused certificate '%s': no trusted key for it (it does not chain "
			"to the provider's root)", who);
	} else if (!strncmp(text, "EAP method ", 11) && strstr(text, " failed for peer ")) {
		refused(p, "s2s %s: refused EAP user %s: authentication failed", name ? name : "?",
			strstr(text, " failed for peer ") + 17);
	} else if (!strcmp(text, "no matching peer config found")) {
		refused(p, "s2s: refused %s (identity '%s'): no S2S interface for it (no PSK "
			"interface has this destination, no certificate subject or EAP user is this "
			"identity)", far_end(p->looking[th], a, sizeof(a)),
			far_id(p->looking[th], who, sizeof(who)));
	}
	return false;
}

/* charon went away: its SAs went with it. Tunnels that were up are
 * dialed again once their connections are loaded again. */
static void lost(struct recon *rc, const char *why)
{
	const struct ipsec_ops *ops = iops(rc);
	struct ipsec_priv *p = priv(rc);
	struct htab_iter it;
	struct htab_entry *e;

	log_warn("charon: %s; reconnecting", why);
	ops->vici_close(ops->ctx);
	p->vici_up = false;
	p->reconnect_at = now_ms() + RECONNECT_MS;
	htab_iter_init(&it, &p->tuns);
	while ((e = htab_iter_next(&it))) {
		struct tun *t = htab_val(e);

		/* charon ends its SAs as it stops: a tunnel that just went
		 * down went down with it */
		t->kick |= t->state == IPSEC_UP || (t->down_at && now_ms() - t->down_at < 10000);
		if (t->state == IPSEC_UP)
			set_state(rc, htab_key(e), t, IPSEC_IDLE, "charon restarting");
	}
}

static int load_creds(struct recon *rc, struct tenet_err *err)
{
	struct ipsec_priv *p = priv(rc);
	json_t *m;
	int ret = 0;

	if (p->cert_pem) {
		m = json_pack("{s:s, s:s}", "type", "X509", "flag", "NONE");
		json_object_set_new(m, "data", json_stringn_nocheck(p->cert_pem, strlen(p->cert_pem)));
		ret = call(rc, "load-cert", m, NULL, err);
		json_decref(m);
	}
	if (!ret && p->key_pem) {
		m = json_pack("{s:s}", "type", "any");
		json_object_set_new(m, "data", json_stringn_nocheck(p->key_pem, strlen(p->key_pem)));
		ret = call(rc, "load-key", m, NULL, err);
		vici_wipe(m);
		json_decref(m);
	}
	return ret;
}

static int sa_seen(void *arg, const struct vici_sa_info *sa)
{
	struct recon *rc = arg;
	const char *name = tenet_s2s_conn_iface(sa->conn);
	struct tun *t = name ? tun_get(priv(rc), name) : NULL;

	if (!name)
		return 0;
	if (!t) {
		struct tun fresh = { .state = IPSEC_IDLE };

		if (!htab_put(&priv(rc)->tuns, name, &fresh, NULL))
			return -ENOMEM;
		t = tun_get(priv(rc), name);
	}
	if (sa->state == VICI_SA_UP)
		set_state(rc, name, t, IPSEC_UP, "tunnel found established");
	return 0;
}

/* Connect to charon: its credentials, and which tunnels are up (a
 * restarted agent adopts them, so their routes stay). */
static int connect_charon(struct recon *rc)
{
	const struct ipsec_ops *ops = iops(rc);
	struct ipsec_priv *p = priv(rc);
	struct tenet_err err = { 0 };
	int ret;

	ret = ops->vici_open(ops->ctx, &err);
	if (ret < 0) {
		if (strcmp(p->vici_err, err.msg))
			log_warn("charon: %s (retrying every %us)", err.msg, RECONNECT_MS / 1000);
		snprintf(p->vici_err, sizeof(p->vici_err), "%s", err.msg);
		p->reconnect_at = now_ms() + RECONNECT_MS;
		return ret;
	}
	p->vici_up = true;
	p->vici_err[0] = '\0';
	ret = load_creds(rc, &err);
	if (!ret)
		ret = vici_sa_list(ops->vici_call, ops->ctx, NULL, sa_seen, rc, &err);
	if (ret < 0) {
		lost(rc, err.msg);
		return ret;
	}
	log_info("charon: connected over VICI");
	return 0;
}

static int ipsec_poll_fd(struct recon *rc)
{
	const struct ipsec_ops *ops = iops(rc);

	return priv(rc) && priv(rc)->vici_up ? ops->vici_fd(ops->ctx) : -1;
}

static uint64_t ipsec_wake_at(struct recon *rc)
{
	struct ipsec_priv *p = priv(rc);
	struct htab_iter it;
	struct htab_entry *e;
	uint64_t at = 0;

	if (!p)
		return 0;
	if (!p->vici_up)
		return p->reconnect_at ? p->reconnect_at : 1;
	htab_iter_init(&it, &p->tuns);
	while ((e = htab_iter_next(&it))) {
		const struct tun *t = htab_val(e);

		if (t->state == IPSEC_UNREACHABLE && t->mode != TENET_S2S_RESPONDER &&
		    (!at || t->retry_at < at))
			at = t->retry_at;
	}
	return at;
}

static bool ipsec_wake(struct recon *rc)
{
	const struct ipsec_ops *ops = iops(rc);
	struct ipsec_priv *p = priv(rc);
	uint64_t now = now_ms();
	struct htab_iter it;
	struct htab_entry *e;
	bool round = false;

	if (!p)
		return false;
	if (!p->vici_up)
		return now >= p->reconnect_at && connect_charon(rc) == 0;
	for (;;) {
		struct tenet_err err = { 0 };
		char *name = NULL;
		json_t *msg = NULL;
		int ret = ops->vici_event(ops->ctx, &name, &msg, &err);

		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			lost(rc, err.msg);
			return true;
		}
		if (!strcmp(name, "ike-updown"))
			round |= updown(rc, msg, false);
		else if (!strcmp(name, "child-updown"))
			round |= updown(rc, msg, true);
		else if (!strcmp(name, "log"))
			round |= log_event(rc, msg);
		json_decref(msg);
		free(name);
	}
	/* redial what is unreachable */
	htab_iter_init(&it, &p->tuns);
	while ((e = htab_iter_next(&it))) {
		struct tun *t = htab_val(e);
		char conn[TENET_NAME_MAX + 16];

		if (t->state != IPSEC_UNREACHABLE || t->mode == TENET_S2S_RESPONDER ||
		    t->retry_at > now)
			continue;
		t->retry_at = now + t->retry_ms;
		tenet_s2s_conn_name(htab_key(e), conn, sizeof(conn));
		log_info("s2s %s: redialing", (const char *)htab_key(e));
		control(rc, "initiate", conn, t->child[0] ? t->child : NULL);
	}
	return round;
}

int ipsec_tun_state(const struct recon *rc, const char *name)
{
	const struct tun *t = priv(rc) ? tun_get(priv(rc), name) : NULL;

	return t ? (int)t->state : -ENOENT;
}

/* ---- setup ---- */

static void priv_free(struct ipsec_priv *p)
{
	if (!p)
		return;
	htab_free(&p->tuns);
	htab_free(&p->refused);
	if (p->own_keys)
		for (size_t i = 0; i < p->nkeys; i++)
			tenet_hostkey_free(p->keys[i]);
	free(p->cert_pem);
	if (p->key_pem) {
		sodium_memzero(p->key_pem, strlen(p->key_pem));
		free(p->key_pem);
	}
	free(p->ca_pem);
	free(p);
}

int ipsec_setup(struct recon *rc, struct tenet_hostkey *const *keys, size_t nkeys,
		const struct ipsec_gw *gw)
{
	struct ipsec_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	htab_init(&p->tuns, 0, sizeof(struct tun));
	htab_init(&p->refused, 0, sizeof(uint64_t));
	for (size_t i = 0; i < nkeys && i < 2; i++)
		p->keys[p->nkeys++] = keys[i];
	if (gw)
		p->gw = *gw;
	priv_free(rc->priv);
	rc->priv = p;
	return 0;
}

/* The whole file, NUL-terminated (a PEM). */
static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int ch, ret = 0;

	*out = NULL;
	if (!f)
		return -errno;
	m = open_memstream(&buf, &len);
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	fclose(m);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

static int ipsec_open(struct recon *rc, const struct recon_open *o)
{
	const struct config *cfg = o->cfg;
	struct tenet_hostkey *key = NULL;
	struct tenet_err err = { 0 };
	struct ipsec_priv *p;
	struct ipsec_ops *ops;
	int ret;

	ret = ipsec_kernel_open(&ops, cfg ? cfg->vici : NULL);
	if (ret < 0)
		return ret;
	rc->ops = ops;
	if (cfg && cfg->hostkey[0] &&
	    tenet_hostkey_load(cfg->hostkey, TENET_HOSTKEY_CREATE, &key, &err) < 0)
		log_warn("host key %s: %s; secrets of S2S interfaces cannot be opened", cfg->hostkey,
			 err.msg);
	ret = ipsec_setup(rc, key ? &key : NULL, key ? 1 : 0, NULL);
	if (ret < 0) {
		tenet_hostkey_free(key);
		return ret;
	}
	p = priv(rc);
	p->own_keys = true;
	if (cfg && cfg->ipsec_cert[0] && (ret = read_file(cfg->ipsec_cert, &p->cert_pem)) < 0)
		log_warn("ipsec_cert %s: %s", cfg->ipsec_cert, strerror(-ret));
	if (cfg && cfg->ipsec_key[0] && (ret = read_file(cfg->ipsec_key, &p->key_pem)) < 0)
		log_warn("ipsec_key %s: %s", cfg->ipsec_key, strerror(-ret));
	if (cfg && cfg->ipsec_ca[0] && (ret = read_file(cfg->ipsec_ca, &p->ca_pem)) < 0)
		log_warn("ipsec_ca %s: %s", cfg->ipsec_ca, strerror(-ret));
	p->gw.cert_pem = p->cert_pem;
	p->gw.ca_pem = p->ca_pem;
	/* At start: which tunnels are up, before the first round decides
	 * their routes. */
	connect_charon(rc);
	return 0;
}

static void ipsec_close(struct recon *rc)
{
	struct ipsec_ops *ops = rc->ops;

	if (rc->opened && ops) {
		ops->vici_close(ops->ctx);
		ipsec_kernel_close(ops);
	}
	priv_free(rc->priv);
	rc->priv = NULL;
}

void ipsec_pubkey_record(const char *host, const struct tenet_hostkey *k,
			 struct tenet_pubkey *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->host, sizeof(out->host), "%s", host);
	snprintf(out->id, sizeof(out->id), "%s", tenet_hostkey_id(k));
	snprintf(out->pubkey, sizeof(out->pubkey), "%s", tenet_hostkey_public(k));
}

const struct reconciler gw_ipsec_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "ipsec",
	.types = types,
	.ntypes = IPSEC_NOBJ,
	.flags = RECON_OBSERVE_EACH,
	.want = ipsec_want,
	.observe = ipsec_observe,
	.open = ipsec_open,
	.close = ipsec_close,
	.poll_fd = ipsec_poll_fd,
	.wake_at = ipsec_wake_at,
	.wake = ipsec_wake,
};

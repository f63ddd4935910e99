// SPDX-License-Identifier: GPL-2.0
/* The ravpn reconciler (see ravpn.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>

#include <sodium.h>

#include "config.h"
#include "gw/gw.h"
#include "gw/ravpn.h"
#include "gw/ravpn_relay.h"
#include "gw/xfrmif.h"
#include "log.h"
#include "secret/secret.h"
#include "vici/ra.h"
#include "vici/sas.h"

#define RECONNECT_MS 1000

struct tenant {
	uint32_t max;
	uint32_t cid;                   /* its compartment */
	bool seen;
};

struct ravpn_priv {
	struct tenet_hostkey *keys[2];
	size_t nkeys;
	bool own_keys;
	char *cert_pem;
	bool vici_up;
	uint64_t reconnect_at;
	char vici_err[TENET_ERR_LEN];
	struct htab tenants;            /* rdomain -> struct tenant */
	uint32_t gw_max;
	/* the eap-radius text this round wants (secrets in clear: sodium
	 * memory), and the digest last written */
	char *radius_text;
	size_t radius_len;
	char radius_written[24];
	/* the RADIUS relay (ravpn_relay.h), when tenetd runs it: charon's
	 * eap-radius talks to lfd on 127.0.0.1:relay_port, the relay to the
	 * servers over ufd; epfd holds them and charon's VICI socket */
	struct ravpn_relay *relay;
	int epfd, lfd, ufd;
	uint16_t relay_port;
	/* users the relay refused, last few: charon's "RADIUS
	 * authentication ... failed" about them is not a wrong password */
	char refused[4][128];
	unsigned nrefused;
	/* the EAP identity of recent IKE SAs, by unique id: refusals charon
	 * logs without it name the user */
	struct {
		uint32_t uid;
		char user[128];
	} eap[64];
};

static const struct ravpn_ops *rops(const struct recon *rc)
{
	return rc->ops;
}

static const struct ipsec_ops *kops(const struct recon *rc)
{
	return rops(rc)->k;
}

static struct ravpn_priv *priv(const struct recon *rc)
{
	return rc->priv;
}

static void devname(uint32_t cid, char name[IF_NAMESIZE])
{
	tenet_ravpn_devname(cid, name, IF_NAMESIZE);
}

static void vrfname(uint32_t cid, char name[IF_NAMESIZE])
{
	tenet_gw_devname(TENET_GW_VRF_PFX, cid, name, IF_NAMESIZE);
}

uint32_t ravpn_over_limit(uint32_t tenant_n, uint32_t tenant_max, uint32_t gw_n,
			  uint32_t gw_max, const char **what)
{
	if (tenant_max && tenant_n > tenant_max) {
		*what = "the tenant's max";
		return tenant_max;
	}
	if (gw_max && gw_n > gw_max) {
		*what = "the gateway's cap";
		return gw_max;
	}
	*what = NULL;
	return 0;
}

/* ---- describe ---- */

static void describe_link(const void *key, const void *val, char *buf, size_t len)
{
	const struct ravpn_link_val *v = val;
	char dev[IF_NAMESIZE], vrf[IF_NAMESIZE];

	devname(((const struct ravpn_link_key *)key)->cid, dev);
	if (!v) {
		snprintf(buf, len, "XFRM interface %s", dev);
		return;
	}
	vrfname(v->vrf, vrf);
	snprintf(buf, len, "ravpn %s: XFRM interface %s (if_id 0x%x, VRF %s)", v->name, dev,
		 v->if_id, vrf);
}

static void describe_name(const void *key, const void *val, char *buf, size_t len)
{
	snprintf(buf, len, "%s in charon", ((const struct ravpn_name_key *)key)->name);
}

static void route_text(const char *dst, unsigned int plen, unsigned int full, __u32 table,
		       const struct ipsec_route_val *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s route %s/%u table %u%s%s", plen == full ? "user" : "pool", dst, plen,
		 table, !v ? "" : v->dev[0] ? " dev " : " unreachable", v ? v->dev : "");
}

static void describe_route(const void *key, const void *val, char *buf, size_t len)
{
	const struct ipsec_route_key *k = key;
	char d[TENET_IPV4_STRLEN];

	route_text(tenet_fmt_ipv4(k->dst, d), k->plen, 32, k->table, val, buf, len);
}

static void describe_route6(const void *key, const void *val, char *buf, size_t len)
{
	const struct ravpn_route6_key *k = key;
	char d[INET6_ADDRSTRLEN];

	route_text(inet_ntop(AF_INET6, k->dst, d, sizeof(d)) ? d : "?", k->plen, 128, k->table, val,
		   buf, len);
}

static void describe_radius(const void *key, const void *val, char *buf, size_t len)
{
	snprintf(buf, len, "RADIUS servers of charon's eap-radius");
}

/* ---- charon ---- */

static int call(struct recon *rc, const char *cmd, const json_t *req, struct tenet_err *err)
{
	const struct ipsec_ops *k = kops(rc);
	json_t *r = NULL;
	int ret;

	if (!priv(rc)->vici_up)
		return tenet_err_set(err, -ENOTCONN, "charon is not connected");
	ret = k->vici_call(k->ctx, cmd, req, NULL, NULL, NULL, &r, err);
	json_decref(r);
	return ret;
}

static void terminate(struct recon *rc, const char *key, const char *val, uint32_t ike_id)
{
	struct tenet_err err = { 0 };
	json_t *req = json_pack("{s:s, s:i}", "force", "yes", "timeout", -1);

	if (!req)
		return;
	if (ike_id)
		json_object_set_new(req, "ike-id", json_integer(ike_id));
	else
		json_object_set_new(req, key, json_string(val));
	call(rc, "terminate", req, &err);
	json_decref(req);
}

/* ---- object types ---- */

static int link_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ravpn_link_val *v = val, *o = old;
	/* always up (its observed value is not compared) */
	struct xfrmif want = { .if_id = v->if_id, .vrf = v->vrf, .name = v->name, .up = true };
	struct xfrmif was = o ? (struct xfrmif){ .if_id = o->if_id, .vrf = o->vrf,
						 .name = o->name, .up = true } :
				(struct xfrmif){ 0 };
	char dev[IF_NAMESIZE];

	devname(((const struct ravpn_link_key *)key)->cid, dev);
	return xfrmif_put(rc, kops(rc), dev, TENET_RAVPN_ALIAS_PFX, &want, o ? &was : NULL);
}

static int link_del(struct recon *rc, const void *key, const void *old)
{
	const struct ipsec_ops *k = kops(rc);
	char dev[IF_NAMESIZE];

	devname(((const struct ravpn_link_key *)key)->cid, dev);
	return k->link_del(k->ctx, dev);
}

static int pool_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ravpn_pool_val *v = val;
	struct tenet_err err = { 0 };
	json_t *msg = ravpn_pool_msg(&v->ra, ((const struct ravpn_name_key *)key)->name, v->v6);
	int ret;

	if (!msg)
		return -ENOMEM;
	ret = call(rc, "load-pool", msg, &err);
	json_decref(msg);
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static int pool_del(struct recon *rc, const void *key, const void *old)
{
	struct tenet_err err = { 0 };
	json_t *req = json_pack("{s:s}", "name", ((const struct ravpn_name_key *)key)->name);
	int ret;

	if (!req)
		return -ENOMEM;
	ret = call(rc, "unload-pool", req, &err);
	json_decref(req);
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static int conn_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct ravpn_conn_val *v = val;
	struct tenet_err err = { 0 };
	json_t *msg;
	int ret;

	ret = ravpn_conn_msg(&v->ra, v->cid, priv(rc)->cert_pem, &msg, &err);
	if (ret == 0) {
		ret = call(rc, "load-conn", msg, &err);
		json_decref(msg);
	}
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static int conn_del(struct recon *rc, const void *key, const void *old)
{
	const char *name = ((const struct ravpn_name_key *)key)->name;
	struct tenet_err err = { 0 };
	json_t *req = json_pack("{s:s}", "name", name);
	int ret;

	if (!req)
		return -ENOMEM;
	/* its users go with it (their leases free the pool) */
	terminate(rc, "ike", name, 0);
	ret = call(rc, "unload-conn", req, &err);
	json_decref(req);
	if (ret < 0)
		recon_errf(rc, "%s", err.msg);
	return ret;
}

static int route_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	return rops(rc)->route_set(rops(rc)->rctx, key, val);
}

static int route_del(struct recon *rc, const void *key, const void *old)
{
	return rops(rc)->route_del(rops(rc)->rctx, key);
}

static int route6_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	return rops(rc)->route6_set(rops(rc)->rctx, key, val);
}

static int route6_del(struct recon *rc, const void *key, const void *old)
{
	return rops(rc)->route6_del(rops(rc)->rctx, key);
}

static int radius_write(struct recon *rc, const char *text, const char *digest)
{
	struct ravpn_priv *p = priv(rc);
	struct tenet_err err = { 0 };
	int ret = rops(rc)->radius_write(rops(rc)->rctx, text);

	if (ret < 0) {
		recon_errf(rc, "eap-radius settings: %s", strerror(-ret));
		return ret;
	}
	/* charon's eap-radius reads its servers again on reload-settings */
	ret = call(rc, "reload-settings", NULL, &err);
	if (ret < 0) {
		recon_errf(rc, "charon: reload-settings: %s", err.msg);
		return ret;
	}
	snprintf(p->radius_written, sizeof(p->radius_written), "%s", digest);
	return 0;
}

static int radius_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	struct ravpn_priv *p = priv(rc);

	if (!p->radius_text)
		return -EAGAIN;
	return radius_write(rc, p->radius_text, ((const struct ravpn_radius_val *)val)->digest);
}

static int radius_del(struct recon *rc, const void *key, const void *old)
{
	char *text = ravpn_radius_conf(NULL, 0);
	int ret;

	if (!text)
		return -ENOMEM;
	ret = radius_write(rc, text, "");
	free(text);
	return ret;
}

static const struct recon_type types[RAVPN_NOBJ] = {
	[RAVPN_LINK] = { .name = "ra-link", .key_size = sizeof(struct ravpn_link_key),
			 .val_size = sizeof(struct ravpn_link_val), .describe = describe_link,
			 .put = link_put, .del = link_del },
	[RAVPN_POOL] = { .name = "ra-pool", .key_size = sizeof(struct ravpn_name_key),
			 .val_size = sizeof(struct ravpn_pool_val),
			 .cmp_size = offsetof(struct ravpn_pool_val, v6),
			 .describe = describe_name, .put = pool_put, .del = pool_del },
	[RAVPN_CONN] = { .name = "ra-conn", .key_size = sizeof(struct ravpn_name_key),
			 .val_size = sizeof(struct ravpn_conn_val),
			 .cmp_size = offsetof(struct ravpn_conn_val, cid),
			 .describe = describe_name, .put = conn_put, .del = conn_del },
	[RAVPN_ROUTE] = { .name = "ra-route", .key_size = sizeof(struct ipsec_route_key),
			  .val_size = sizeof(struct ipsec_route_val), .describe = describe_route,
			  .put = route_put, .del = route_del },
	[RAVPN_ROUTE6] = { .name = "ra-route6", .key_size = sizeof(struct ravpn_route6_key),
			   .val_size = sizeof(struct ipsec_route_val), .describe = describe_route6,
			   .put = route6_put, .del = route6_del },
	[RAVPN_RADIUS] = { .name = "ra-radius", .key_size = sizeof(__u32),
			   .val_size = sizeof(struct ravpn_radius_val), .describe = describe_radius,
			   .put = radius_put, .del = radius_del },
};

/* ---- want ---- */

struct want {
	struct recon *rc;
	const struct recon_env *env;
	struct recon_set *out;
	int err;
};

static void put(struct want *w, enum ravpn_obj t, const void *key, const void *val)
{
	if (!htab_put(&w->out->t[t], key, val, NULL))
		w->err = -ENOMEM;
}

static void tenant(struct want *w, const char *key, const struct tenet_ravpn *r,
		   const struct tenet_compartment *cm)
{
	struct ravpn_priv *p = priv(w->rc);
	struct ravpn_link_key lk = { .cid = cm->id };
	struct ravpn_link_val lv = { .if_id = tenet_ravpn_ifid(cm->id), .vrf = cm->id };
	struct ravpn_name_key nk;
	struct ravpn_pool_val *pv;
	struct ravpn_conn_val *cv;
	struct tenant t = { .max = r->max, .cid = cm->id, .seen = true };
	struct tenet_err err = { 0 };
	char v4[RAVPN_NAME_LEN], v6[RAVPN_NAME_LEN];

	if (!htab_put(&p->tenants, r->rdomain, &t, NULL))
		w->err = -ENOMEM;
	snprintf(lv.name, sizeof(lv.name), "%s", r->rdomain);
	put(w, RAVPN_LINK, &lk, &lv);
	pv = calloc(1, sizeof(*pv));
	cv = calloc(1, sizeof(*cv));
	if (!pv || !cv) {
		free(pv);
		free(cv);
		w->err = -ENOMEM;
		return;
	}
	ravpn_pool_names(r, v4, v6);
	pv->one = 1;
	pv->ra = *r;
	for (int six = 0; six < 2; six++) {
		const char *n = six ? v6 : v4;

		if (!n[0])
			continue;
		memset(&nk, 0, sizeof(nk));
		snprintf(nk.name, sizeof(nk.name), "%s", n);
		pv->v6 = (__u8)six;
		put(w, RAVPN_POOL, &nk, pv);
	}
	cv->cid = cm->id;
	cv->ra = *r;
	memset(&nk, 0, sizeof(nk));
	tenet_ravpn_conn_name(r->rdomain, nk.name, sizeof(nk.name));
	if (ravpn_child_name(r, cm->id, p->cert_pem, cv->child, &err) < 0)
		recon_note(w->env, key, "%s", err.msg);
	else
		put(w, RAVPN_CONN, &nk, cv);
	free(pv);
	free(cv);
	/* The pools unreachable: the users' own routes (users()) carry
	 * their traffic; an address no user holds is refused here rather
	 * than routed elsewhere by the compartment's table. */
	if (r->pool.len) {
		struct ipsec_route_key rk = { .table = tenet_gw_table(cm->id), .dst = r->pool.addr,
					      .plen = r->pool.len };
		struct ipsec_route_val rv = { 0 };

		put(w, RAVPN_ROUTE, &rk, &rv);
	}
	if (r->pool6[0]) {
		struct ravpn_route6_key rk = { .table = tenet_gw_table(cm->id) };
		struct ipsec_route_val rv = { 0 };
		char a[TENET_RAVPN_POOL6_MAX + 1];
		char *slash;

		snprintf(a, sizeof(a), "%s", r->pool6);
		slash = strchr(a, '/');
		if (slash) {
			*slash = '\0';
			rk.plen = (__u8)atoi(slash + 1);
		}
		if (slash && inet_pton(AF_INET6, a, rk.dst) == 1)
			put(w, RAVPN_ROUTE6, &rk, &rv);
	}
}

/* ---- the users' routes ---- */

static int user_route(void *arg, const struct vici_ra_user *u)
{
	struct want *w = arg;
	const char *rd = tenet_ravpn_conn_rdomain(u->conn);
	struct htab_entry *e = rd ? htab_find(&priv(w->rc)->tenants, rd) : NULL;
	const char *vips[2] = { u->vip, u->vip2 };
	uint32_t cid;

	if (!e)
		return 0;
	cid = ((const struct tenant *)htab_val(e))->cid;
	for (int i = 0; i < 2; i++) {
		struct ipsec_route_val rv = { 0 };
		struct ipsec_route_key k4 = { .table = tenet_gw_table(cid), .plen = 32 };
		struct ravpn_route6_key k6 = { .table = tenet_gw_table(cid), .plen = 128 };

		devname(cid, rv.dev);
		if (inet_pton(AF_INET, vips[i], &k4.dst) == 1)
			put(w, RAVPN_ROUTE, &k4, &rv);
		else if (inet_pton(AF_INET6, vips[i], k6.dst) == 1)
			put(w, RAVPN_ROUTE6, &k6, &rv);
	}
	return 0;
}

/* Charon cannot say who is connected: the users' routes stay as they
 * are (the kernel's SAs, and so the users, outlive the agent's view). */
static void hold_users(struct want *w)
{
	const struct recon_set *sh = &w->rc->shadow;
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, (struct htab *)&sh->t[RAVPN_ROUTE]);
	while ((e = htab_iter_next(&it)))
		if (((const struct ipsec_route_key *)htab_key(e))->plen == 32 &&
		    recon_hold(w->out, RAVPN_ROUTE, htab_key(e)) < 0)
			w->err = -ENOMEM;
	htab_iter_init(&it, (struct htab *)&sh->t[RAVPN_ROUTE6]);
	while ((e = htab_iter_next(&it)))
		if (((const struct ravpn_route6_key *)htab_key(e))->plen == 128 &&
		    recon_hold(w->out, RAVPN_ROUTE6, htab_key(e)) < 0)
			w->err = -ENOMEM;
}

/* A /32 (/128) through traC per virtual IP charon has handed out,
 * from its IKE SAs (list-sas). */
static void users(struct want *w)
{
	const struct ipsec_ops *k = kops(w->rc);
	struct tenet_err err = { 0 };

	if (!priv(w->rc)->vici_up) {
		hold_users(w);
		return;
	}
	if (vici_ra_list(k->vici_call, k->ctx, NULL, user_route, w, &err) < 0) {
		log_warn("ravpn: charon: cannot list the users: %s; their routes stay", err.msg);
		hold_users(w);
	}
}

static int cmp_radius(const void *a, const void *b)
{
	const struct tenet_ravpnradius *x = *(const struct tenet_ravpnradius *const *)a;
	const struct tenet_ravpnradius *y = *(const struct tenet_ravpnradius *const *)b;

	if (x->server != y->server)
		return x->server < y->server ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/* Whether tenetd relays charon's RADIUS: it can (its sockets are open)
 * and some tenant is chosen by user name (docs/vpn.md, "Tenant by user
 * name"); else charon talks to the servers itself. */
static bool relaying(const struct ravpn_priv *p, const struct tenet_ravpn **t, size_t nt)
{
	for (size_t i = 0; p->relay && p->lfd >= 0 && i < nt; i++)
		if (t[i]->tenant[0])
			return true;
	return false;
}

/* The eap-radius text for this host's servers (or for the relay in front
 * of them), and its digest (of the sealed secrets: the clear ones are
 * never compared or kept beyond the text; with the relay, of its secret
 * and port too, so a restarted agent writes its new ones). A secret that
 * does not open leaves the servers as they are. */

static void radius(struct want *w, const struct tenet_ravpnradius **s, size_t n,
		   const struct tenet_ravpn **t, size_t nt)
{
	struct ravpn_priv *p = priv(w->rc);
	bool relay = relaying(p, t, nt);
	struct ravpn_radius_server *srv = calloc(n ? n : 1, sizeof(*srv));
	struct tenet_secret **sec = calloc(n ? n : 1, sizeof(*sec));
	crypto_generichash_state hs;
	unsigned char h[8];
	struct ravpn_radius_val v = { 0 };
	__u32 key = 0;
	char *text = NULL;
	bool ok = srv && sec;

	qsort(s, n, sizeof(*s), cmp_radius);
	crypto_generichash_init(&hs, NULL, 0, sizeof(h));
	for (size_t i = 0; ok && i < n; i++) {
		struct tenet_err err = { 0 };
		char ctx[TENET_KEY_MAX + 16];

		crypto_generichash_update(&hs, (const unsigned char *)&s[i]->server, 4);
		crypto_generichash_update(&hs, (const unsigned char *)&s[i]->port, 2);
		crypto_generichash_update(&hs, (const unsigned char *)s[i]->secret,
					  strlen(s[i]->secret));
		tenet_ravpn_secret_context(s[i]->host, s[i]->server, s[i]->port, ctx, sizeof(ctx));
		if (tenet_secret_open(p->keys, p->nkeys, ctx, s[i]->secret, &sec[i], &err) < 0) {
			log_warn("ravpn radius: secret: %s; charon keeps its RADIUS servers", err.msg);
			ok = false;
			break;
		}
		srv[i] = (struct ravpn_radius_server){ .addr = s[i]->server, .port = s[i]->port,
						       .secret = (const char *)sec[i]->data };
	}
	if (relay) {
		crypto_generichash_update(&hs, (const unsigned char *)p->relay->secret,
					  strlen(p->relay->secret));
		crypto_generichash_update(&hs, (const unsigned char *)&p->relay_port, 2);
	}
	crypto_generichash_final(&hs, h, sizeof(h));
	for (size_t i = 0; i < sizeof(h); i++)
		snprintf(v.digest + 2 * i, 3, "%02x", h[i]);
	if (ok && relay) {
		struct sockaddr_in addr[RAVPN_RELAY_SERVERS];
		const char *secs[RAVPN_RELAY_SERVERS];
		struct ravpn_radius_server lo = { .addr = htonl(INADDR_LOOPBACK),
						  .port = p->relay_port,
						  .secret = p->relay->secret };
		int ret = n > RAVPN_RELAY_SERVERS ? -E2BIG : 0;

		for (size_t i = 0; !ret && i < n; i++) {
			addr[i] = (struct sockaddr_in){ .sin_family = AF_INET,
							.sin_port = htons(s[i]->port),
							.sin_addr.s_addr = s[i]->server };
			secs[i] = srv[i].secret;
		}
		if (!ret)
			ret = ravpn_relay_set(p->relay, addr, secs, n, t, nt);
		if (ret < 0) {
			log_warn("ravpn radius: relay: %s; charon keeps its RADIUS servers",
				 strerror(-ret));
			ok = false;
		} else {
			text = ravpn_radius_conf(&lo, 1);
		}
	} else if (ok) {
		if (p->relay)   /* the operators' secrets leave the relay's memory */
			ravpn_relay_set(p->relay, NULL, NULL, 0, NULL, 0);
		text = ravpn_radius_conf(srv, n);
	}
	for (size_t i = 0; sec && i < n; i++)
		tenet_secret_free(sec[i]);
	free(sec);
	free(srv);
	if (p->radius_text) {
		sodium_memzero(p->radius_text, p->radius_len);
		free(p->radius_text);
		p->radius_text = NULL;
	}
	if (!ok) {
		if (recon_hold(w->out, RAVPN_RADIUS, &key) < 0)
			w->err = -ENOMEM;
		return;
	}
	if (!text) {
		w->err = -ENOMEM;
		return;
	}
	p->radius_text = text;
	p->radius_len = strlen(text);
	put(w, RAVPN_RADIUS, &key, &v);
}

static int ravpn_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		      struct recon_set *out)
{
	struct want w = { .rc = rc, .env = env, .out = out };
	struct ravpn_priv *p = priv(rc);
	const struct tenet_ravpnradius **servers = NULL;
	const struct tenet_ravpn **tenants = NULL;
	size_t nservers = 0, ntenants = 0;
	struct htab cms;
	struct htab_iter it;
	struct htab_entry *e;

	if (!p)
		return -ENODEV;
	htab_free(&p->tenants);
	htab_init(&p->tenants, 0, sizeof(struct tenant));
	p->gw_max = 0;
	htab_init(&cms, 0, sizeof(const struct tenet_compartment *));
	htab_iter_init(&it, &m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind == TENET_KIND_COMPARTMENT && !strcmp(r->compartment.host, env->host)) {
			const struct tenet_compartment *cm = &r->compartment;

			if (!htab_put(&cms, cm->rdomain, &cm, NULL))
				w.err = -ENOMEM;
		} else if (r->kind == TENET_KIND_RAVPNRADIUS && !strcmp(r->ravpnradius.host, env->host)) {
			const struct tenet_ravpnradius **v = realloc(servers, (nservers + 1) * sizeof(*v));

			if (!v) {
				w.err = -ENOMEM;
				continue;
			}
			servers = v;
			servers[nservers++] = &r->ravpnradius;
		} else if (r->kind == TENET_KIND_RAVPNGW && !strcmp(r->ravpngw.host, env->host)) {
			p->gw_max = r->ravpngw.max;
		}
	}
	htab_iter_init(&it, &m->recs);
	while (!w.err && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		struct htab_entry *c;

		if (r->kind != TENET_KIND_RAVPN || strcmp(r->ravpn.host, env->host))
			continue;
		c = htab_find(&cms, r->ravpn.rdomain);
		if (!c) {
			recon_note(env, htab_key(e),
				   "its routing domain has no compartment on this host; "
				   "remote access not programmed");
			continue;
		}
		tenant(&w, htab_key(e), &r->ravpn, *(const struct tenet_compartment **)htab_val(c));
		{
			const struct tenet_ravpn **v = realloc(tenants, (ntenants + 1) * sizeof(*v));

			if (!v) {
				w.err = -ENOMEM;
				continue;
			}
			tenants = v;
			tenants[ntenants++] = &r->ravpn;
		}
	}
	if (!w.err)
		users(&w);
	if (!w.err && nservers)
		radius(&w, servers, nservers, tenants, ntenants);
	free(servers);
	free(tenants);
	htab_free(&cms);
	return w.err;
}

/* ---- observe ---- */

struct observe {
	struct recon_set *out;
	const struct recon_set *desired;
	int err;
};

static void found(struct observe *o, enum ravpn_obj t, const void *key, const void *val)
{
	if (!htab_put(&o->out->t[t], key, val, NULL))
		o->err = -ENOMEM;
}

static int route_found(const struct ipsec_route_key *k, const struct ipsec_route_val *v,
		       void *arg)
{
	found(arg, RAVPN_ROUTE, k, v);
	return 0;
}

static int route6_found(const struct ravpn_route6_key *k, const struct ipsec_route_val *v,
			void *arg)
{
	found(arg, RAVPN_ROUTE6, k, v);
	return 0;
}

static int conn_found(void *arg, const char *name, const char *child)
{
	struct observe *o = arg;
	struct ravpn_name_key k = { 0 };
	struct ravpn_conn_val *v;

	if (!tenet_ravpn_conn_rdomain(name) || strlen(name) >= sizeof(k.name))
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	snprintf(k.name, sizeof(k.name), "%s", name);
	snprintf(v->child, sizeof(v->child), "%s", child);
	found(o, RAVPN_CONN, &k, v);
	free(v);
	return 0;
}

static int pools_found(struct recon *rc, struct observe *o, struct tenet_err *err)
{
	const struct ipsec_ops *k = kops(rc);
	json_t *resp = NULL, *v;
	const char *name;
	int ret = k->vici_call(k->ctx, "get-pools", NULL, NULL, NULL, NULL, &resp, err);

	json_object_foreach(ret < 0 ? NULL : resp, name, v) {
		struct ravpn_name_key nk = { 0 };
		struct ravpn_pool_val *pv;

		if (strncmp(name, TENET_RAVPN_CONN_PFX, strlen(TENET_RAVPN_CONN_PFX)) ||
		    strlen(name) >= sizeof(nk.name) || !json_is_object(v))
			continue;
		pv = calloc(1, sizeof(*pv));
		if (!pv) {
			ret = -ENOMEM;
			break;
		}
		snprintf(nk.name, sizeof(nk.name), "%s", name);
		pv->one = 1;
		found(o, RAVPN_POOL, &nk, pv);
		free(pv);
	}
	json_decref(resp);
	return ret;
}

static int link_found(void *arg, uint32_t cid, const struct xfrmif *x)
{
	struct ravpn_link_key lk = { .cid = cid };
	struct ravpn_link_val v = { .if_id = x->if_id, .vrf = x->vrf };

	snprintf(v.name, sizeof(v.name), "%s", x->name);
	found(arg, RAVPN_LINK, &lk, &v);
	return 0;
}

static int ravpn_observe(struct recon *rc, const struct recon_set *desired, struct recon_set *out)
{
	struct observe o = { .out = out, .desired = desired };
	const struct ipsec_ops *k = kops(rc);
	struct ravpn_priv *p = priv(rc);
	struct tenet_err err = { 0 };
	int ret;

	ret = xfrmif_dump(k, TENET_RAVPN_DEV_PFX, 0xffff, TENET_RAVPN_ALIAS_PFX, link_found, &o);
	if (ret < 0)
		return ret;
	ret = rops(rc)->route_dump(rops(rc)->rctx, route_found, &o);
	if (ret >= 0)
		ret = rops(rc)->route6_dump(rops(rc)->rctx, route6_found, &o);
	if (ret < 0)
		return ret;
	if (p->radius_written[0]) {
		struct ravpn_radius_val v = { 0 };
		__u32 key = 0;

		snprintf(v.digest, sizeof(v.digest), "%s", p->radius_written);
		found(&o, RAVPN_RADIUS, &key, &v);
	}
	if (!p->vici_up) {
		/* charon away: what it should hold is taken as held */
		if (!o.err)
			o.err = xfrmif_assume_desired(out, desired, RAVPN_POOL);
		if (!o.err)
			o.err = xfrmif_assume_desired(out, desired, RAVPN_CONN);
		if (!o.err)
			o.err = xfrmif_assume_desired(out, desired, RAVPN_RADIUS);
		return o.err;
	}
	ret = vici_conn_list(k->vici_call, k->ctx, conn_found, &o, &err);
	if (!ret)
		ret = pools_found(rc, &o, &err);
	if (ret < 0) {
		recon_errf(rc, "charon: %s", err.msg);
		return ret;
	}
	return o.err;
}

/* ---- limits ---- */

struct count {
	const char *conn;
	uint32_t tenant, all;
};

static int count_user(void *arg, const struct vici_ra_user *u)
{
	struct count *c = arg;

	/* users being set up (or going) are not connected yet */
	if (!tenet_ravpn_conn_rdomain(u->conn) || !u->ike_up)
		return 0;
	c->all++;
	c->tenant += !strcmp(u->conn, c->conn);
	return 0;
}

/* A user just connected to conn (IKE SA ike_id): over a limit, it is
 * ended again with a line naming the tenant and the limit. */
static void admit(struct recon *rc, const char *conn, const json_t *sa)
{
	const struct ipsec_ops *k = kops(rc);
	struct ravpn_priv *p = priv(rc);
	const char *rd = tenet_ravpn_conn_rdomain(conn), *what;
	const char *uid = json_string_value(json_object_get(sa, "uniqueid"));
	const char *user = json_string_value(json_object_get(sa, "remote-eap-id"));
	const char *vip = json_string_value(json_array_get(json_object_get(sa, "remote-vips"), 0));
	struct htab_entry *e = rd ? htab_find(&p->tenants, rd) : NULL;
	struct count c = { .conn = conn };
	struct tenet_err err = { 0 };
	uint32_t limit = 0, max = e ? ((struct tenant *)htab_val(e))->max : 0;

	if (!rd || !uid)
		return;
	if (!user)
		user = json_string_value(json_object_get(sa, "remote-id"));
	/* Counting lists every SA: with no limit to hold, it is skipped (a
	 * burst of N users would list N times, and admissions lagged the
	 * users' routes by half a minute in the 200-user benchmark). */
	if (max || p->gw_max) {
		if (vici_ra_list(k->vici_call, k->ctx, NULL, count_user, &c, &err) < 0) {
			log_warn("ravpn %s: cannot count connected users: %s", rd, err.msg);
			return;
		}
		limit = ravpn_over_limit(c.tenant, max, c.all, p->gw_max, &what);
	}
	if (!limit) {
		log_info("ravpn %s: user %s connected (virtual IP %s)", rd, user ? user : "?",
			 vip ? vip : "none");
		return;
	}
	log_warn("ravpn %s: refused user %s: %s of %u connected users is reached", rd,
		 user ? user : "?", what, limit);
	terminate(rc, NULL, NULL, (uint32_t)strtoul(uid, NULL, 10));
}

/* Whether a tenant's user came or went (a round follows: its route). */
static bool on_updown(struct recon *rc, const json_t *msg)
{
	bool up = json_object_get(msg, "up"), ours = false;
	const char *conn;
	json_t *sa;

	json_object_foreach((json_t *)msg, conn, sa) {
		if (!json_is_object(sa) || !tenet_ravpn_conn_rdomain(conn))
			continue;
		ours = true;
		if (up)
			admit(rc, conn, sa);
	}
	return ours;
}

/* Refusals charon decides, in the tenant's words. */
static void on_log(struct ravpn_priv *p, const json_t *msg)
{
	const char *text = json_string_value(json_object_get(msg, "msg"));
	const char *uids = json_string_value(json_object_get(msg, "ikesa-uniqueid"));
	uint32_t uid = uids ? (uint32_t)strtoul(uids, NULL, 10) : 0;
	const char *user = p->eap[uid % 64].uid == uid && uid ? p->eap[uid % 64].user : "?";
	const char *q;

	if (!text)
		return;
	if (!strncmp(text, "received EAP identity '", 23) && uid) {
		p->eap[uid % 64].uid = uid;
		snprintf(p->eap[uid % 64].user, sizeof(p->eap[uid % 64].user), "%.*s",
			 (int)strcspn(text + 23, "'"), text + 23);
	} else if (!strncmp(text, "RADIUS authentication of '", 26) && strstr(text, "failed")) {
		int ul = (int)strcspn(text + 26, "'");

		/* the relay refused it and said why */
		for (unsigned i = 0; i < 4; i++)
			if ((int)strlen(p->refused[i]) == ul && !strncmp(p->refused[i], text + 26, ul) &&
			    ul) {
				p->refused[i][0] = '\0';
				return;
			}
		log_warn("ravpn: refused user %.*s: RADIUS rejected it (wrong password or unknown "
			 "user)", (int)strcspn(text + 26, "'"), text + 26);
	} else if (strstr(text, "no RADIUS server defined") ||
		   !strncmp(text, "receiving RADIUS message failed", 31) ||
		   !strncmp(text, "waiting for RADIUS message failed", 33) ||
		   ((q = strstr(text, "RADIUS ")) && strstr(q, " timed out after "))) {
		/* the server is down (refused, or silent until charon's
		 * retransmissions ran out) */
		log_warn("ravpn: refused user %s: no answer from RADIUS (%s)", user, text);
	} else if (!strcmp(text, "no alternative config found")) {
		log_warn("ravpn: refused user %s: its RADIUS Class names no tenant of this gateway",
			 user);
	}
}

/* ---- charon connection ---- */

static void lost(struct recon *rc, const char *why)
{
	const struct ipsec_ops *k = kops(rc);
	struct ravpn_priv *p = priv(rc);

	log_warn("ravpn: charon: %s; reconnecting", why);
	if (p->epfd >= 0 && k->vici_fd(k->ctx) >= 0)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, k->vici_fd(k->ctx), NULL);
	k->vici_close(k->ctx);
	p->vici_up = false;
	p->radius_written[0] = '\0';
	p->reconnect_at = now_ms() + RECONNECT_MS;
}

static int connect_charon(struct recon *rc)
{
	const struct ipsec_ops *k = kops(rc);
	struct ravpn_priv *p = priv(rc);
	struct tenet_err err = { 0 };
	int ret = k->vici_open(k->ctx, &err);

	if (ret < 0) {
		if (strcmp(p->vici_err, err.msg))
			log_warn("ravpn: charon: %s (retrying every %us)", err.msg, RECONNECT_MS / 1000);
		snprintf(p->vici_err, sizeof(p->vici_err), "%s", err.msg);
		p->reconnect_at = now_ms() + RECONNECT_MS;
		return ret;
	}
	p->vici_up = true;
	p->vici_err[0] = '\0';
	if (p->epfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };

		epoll_ctl(p->epfd, EPOLL_CTL_ADD, k->vici_fd(k->ctx), &ev);
	}
	return 0;
}

static int ravpn_poll_fd(struct recon *rc)
{
	const struct ipsec_ops *k = kops(rc);

	if (priv(rc) && priv(rc)->epfd >= 0)
		return priv(rc)->epfd;
	return priv(rc) && priv(rc)->vici_up ? k->vici_fd(k->ctx) : -1;
}

static uint64_t ravpn_wake_at(struct recon *rc)
{
	struct ravpn_priv *p = priv(rc);

	if (!p || p->vici_up)
		return 0;
	return p->reconnect_at ? p->reconnect_at : 1;
}

static void relay_refused(void *arg, const char *user, const char *why)
{
	struct ravpn_priv *p = arg;

	log_warn("ravpn: refused user %s: %s", user, why);
	snprintf(p->refused[p->nrefused++ % 4], sizeof(p->refused[0]), "%s", user);
}

static void relay_dropped(void *arg, const char *what, const char *err)
{
	log_warn("ravpn radius relay: %s: %s", what, err);
}

static void relay_drain(struct ravpn_priv *p)
{
	const struct ravpn_relay_note n = { .refused = relay_refused, .dropped = relay_dropped,
					    .arg = p };

	if (!p->relay || p->lfd < 0)
		return;
	p->relay->now = now_ms();
	ravpn_relay_pump(p->relay, p->lfd, p->ufd, &n);
}

static bool ravpn_wake(struct recon *rc)
{
	const struct ipsec_ops *k = kops(rc);
	struct ravpn_priv *p = priv(rc);
	bool changed = false;

	if (!p)
		return false;
	relay_drain(p);
	if (!p->vici_up)
		return now_ms() >= p->reconnect_at && connect_charon(rc) == 0;
	for (;;) {
		struct tenet_err err = { 0 };
		char *name = NULL;
		json_t *msg = NULL;
		int ret = k->vici_event(k->ctx, &name, &msg, &err);

		if (ret == -EAGAIN)
			break;
		if (ret < 0) {
			lost(rc, err.msg);
			return true;
		}
		if (!strcmp(name, "ike-updown"))
			changed |= on_updown(rc, msg);
		else if (!strcmp(name, "log"))
			on_log(p, msg);
		json_decref(msg);
		free(name);
	}
	return changed;
}

/* ---- setup ---- */

static void relay_close(struct ravpn_priv *p)
{
	int *fds[] = { &p->epfd, &p->lfd, &p->ufd };

	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static void priv_free(struct ravpn_priv *p)
{
	if (!p)
		return;
	htab_free(&p->tenants);
	if (p->own_keys)
		for (size_t i = 0; i < p->nkeys; i++)
			tenet_hostkey_free(p->keys[i]);
	if (p->radius_text) {
		sodium_memzero(p->radius_text, p->radius_len);
		free(p->radius_text);
	}
	free(p->cert_pem);
	if (p->relay) {
		ravpn_relay_free(p->relay);
		free(p->relay);
	}
	relay_close(p);
	free(p);
}

int ravpn_setup(struct recon *rc, struct tenet_hostkey *const *keys, size_t nkeys,
		const char *cert_pem)
{
	struct ravpn_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	htab_init(&p->tenants, 0, sizeof(struct tenant));
	p->epfd = p->lfd = p->ufd = -1;
	p->relay = malloc(sizeof(*p->relay));
	if (!p->relay || ravpn_relay_init(p->relay) < 0) {
		free(p->relay);
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nkeys && i < 2; i++)
		p->keys[p->nkeys++] = keys[i];
	if (cert_pem && !(p->cert_pem = strdup(cert_pem))) {
		priv_free(p);
		return -ENOMEM;
	}
	priv_free(rc->priv);
	rc->priv = p;
	return 0;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &len, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The relay's sockets and the epoll fd that holds them (and charon's
 * VICI socket) for the agent's loop. */
static int relay_open(struct ravpn_priv *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ret = ravpn_relay_sockets(&p->lfd, &p->ufd, &p->relay_port);

	if (ret < 0)
		return ret;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->lfd, &ev) < 0 ||
	    epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->ufd, &ev) < 0) {
		ret = -errno;
		relay_close(p);
	}
	return ret;
}

static int ravpn_open(struct recon *rc, const struct recon_open *o)
{
	const struct config *cfg = o->cfg;
	struct tenet_hostkey *key = NULL;
	struct tenet_err err = { 0 };
	struct ravpn_ops *ops;
	char *cert = NULL;
	int ret;

	ret = ravpn_kernel_open(&ops, cfg ? cfg->vici : NULL, cfg ? cfg->ravpn_radius_conf : NULL);
	if (ret < 0)
		return ret;
	rc->ops = ops;
	if (cfg && cfg->hostkey[0] &&
	    tenet_hostkey_load(cfg->hostkey, TENET_HOSTKEY_CREATE, &key, &err) < 0)
		log_warn("host key %s: %s; RADIUS secrets cannot be opened", cfg->hostkey, err.msg);
	if (cfg && cfg->ipsec_cert[0] && !(cert = read_text(cfg->ipsec_cert)))
		log_warn("ipsec_cert %s: %s", cfg->ipsec_cert, strerror(errno));
	ret = ravpn_setup(rc, key ? &key : NULL, key ? 1 : 0, cert);
	free(cert);
	if (ret < 0) {
		tenet_hostkey_free(key);
		return ret;
	}
	priv(rc)->own_keys = true;
	ret = relay_open(priv(rc));
	if (ret < 0)
		log_warn("ravpn radius relay: %s; tenants are chosen by RADIUS Class only",
			 strerror(-ret));
	connect_charon(rc);
	return 0;
}

static void ravpn_close(struct recon *rc)
{
	struct ravpn_ops *ops = rc->ops;

	if (rc->opened && ops) {
		ops->k->vici_close(ops->k->ctx);
		ravpn_kernel_close(ops);
	}
	priv_free(rc->priv);
	rc->priv = NULL;
}

const struct reconciler gw_ravpn_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "ravpn",
	.types = types,
	.ntypes = RAVPN_NOBJ,
	.flags = RECON_OBSERVE_EACH,
	.want = ravpn_want,
	.observe = ravpn_observe,
	.open = ravpn_open,
	.close = ravpn_close,
	.poll_fd = ravpn_poll_fd,
	.wake_at = ravpn_wake_at,
	.wake = ravpn_wake,
};

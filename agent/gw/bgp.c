// SPDX-License-Identifier: GPL-2.0
/* The bgp reconciler (see bgp.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "gw/bgp.h"
#include "gw/gw.h"
#include "kinds/gateway.h"
#include "log.h"

/* How often FRR's daemons are looked at for a restart. */
#define BGP_CHECK_MS 2000

struct bgp_priv {
	struct frr_bgp_inst *want;      /* this round's desired instances */
	size_t nwant;
	char sig[128];                  /* FRR's daemons when last read */
	uint64_t check_at;
	bool own_ops;
};

static const struct bgp_ops *bops(const struct recon *rc)
{
	return rc->ops;
}

static struct bgp_priv *priv(struct recon *rc)
{
	if (!rc->priv)
		rc->priv = calloc(1, sizeof(struct bgp_priv));
	return rc->priv;
}

static void describe_inst(const void *key, const void *val, char *buf, size_t len)
{
	const struct bgp_inst_key *k = key;
	const struct bgp_inst_val *v = val;

	/* never v->want: a shadow's value outlives its round's array */
	if (v)
		snprintf(buf, len, "frr: router bgp %u vrf " TENET_GW_VRF_PFX "%u (%u neighbors, "
			 "%u networks, %u trigger routes)", v->asn, k->id, v->nnbr, v->nnet,
			 v->nstatic);
	else
		snprintf(buf, len, "frr: bgp of vrf " TENET_GW_VRF_PFX "%u", k->id);
}

struct find_vrf {
	const char *vrf;
	struct frr_bgp_inst *out;
	bool found;
};

static int keep_vrf(void *arg, const struct frr_bgp_inst *in)
{
	struct find_vrf *f = arg;

	if (!strcmp(in->vrf, f->vrf)) {
		*f->out = *in;
		f->found = true;
	}
	return 0;
}

/* What FRR holds of compartment id's VRF now, into *cur; 0 found,
 * -ENOENT none. */
static int read_current(struct recon *rc, uint32_t id, struct frr_bgp_inst *cur)
{
	const struct bgp_ops *ops = bops(rc);
	struct tenet_err err = { 0 };
	char vrf[FRR_VRF_MAX];
	struct find_vrf f = { .vrf = vrf, .out = cur };
	char *text = NULL;
	int ret;

	tenet_gw_devname(TENET_GW_VRF_PFX, id, vrf, sizeof(vrf));
	ret = ops->running(ops->ctx, &text, &err);
	if (ret < 0) {
		recon_errf(rc, "FRR: %s", err.msg);
		return ret;
	}
	ret = frr_bgp_parse(text, TENET_GW_VRF_PFX, keep_vrf, &f, &err);
	free(text);
	if (ret < 0)
		return ret;
	return f.found ? 0 : -ENOENT;
}

void bgp_guard_render(FILE *f, uint32_t id, const struct frr_bgp_inst *in)
{
	char a[TENET_IPV4_STRLEN];

	/* "table { chain }" adds both if missing; then the chain's rules
	 * are replaced, or the chain deleted, in the same transaction */
	fprintf(f, "table %s {\n\tchain c%u {\n"
		"\t\ttype filter hook prerouting priority raw; policy accept;\n\t}\n}\n",
		BGP_GUARD_TABLE, id);
	if (!in || !in->nstatic) {
		fprintf(f, "delete chain %s c%u\n", BGP_GUARD_TABLE, id);
		return;
	}
	fprintf(f, "flush chain %s c%u\n", BGP_GUARD_TABLE, id);
	/* the peer's SYNs to port 179 from its tunnel (a SYN without ACK:
	 * the replies to the gateway's own connection pass) */
	for (unsigned int i = 0; i < in->nstatic; i++)
		fprintf(f, "add rule %s c%u iifname \"%s\" ip saddr %s tcp dport 179 "
			"tcp flags & (syn | ack) == syn drop\n", BGP_GUARD_TABLE, id,
			in->statics[i].dev, tenet_fmt_ipv4(in->statics[i].addr, a));
}

int bgp_guard_count(const char *text, uint32_t id)
{
	char head[32];
	const char *p, *end;
	int n = 0;

	snprintf(head, sizeof(head), "chain c%u {", id);
	for (p = strstr(text, head); p; p = strstr(p + 1, head))
		if (p == text || p[-1] == ' ' || p[-1] == '\t')
			break;
	if (!p)
		return -ENOENT;
	end = strchr(p, '}');
	/* one rule a line, each ending in its verdict */
	for (const char *l = strchr(p, '\n'); l && (!end || l < end); l = strchr(l + 1, '\n')) {
		size_t len = strcspn(l + 1, "\n");

		if (len >= 5 && !strncmp(l + 1 + len - 5, " drop", 5))
			n++;
	}
	return n;
}

/* Whether the guard of every instance in set that has trigger routes is
 * as tenetd wrote it; *id: the first that is not. The table is listed
 * only when some instance has a guard. */
static bool guards_intact(const struct bgp_ops *ops, const struct htab *set, __u32 *id)
{
	struct tenet_err err = { 0 };
	struct htab_iter it;
	struct htab_entry *e;
	char *text = NULL;
	bool ok = true, listed = false;

	if (!ops->guard_list)
		return true;
	htab_iter_init(&it, set);
	while (ok && (e = htab_iter_next(&it))) {
		const struct bgp_inst_key *k = htab_key(e);
		const struct bgp_inst_val *v = htab_val(e);

		if (!v->nstatic)
			continue;
		if (!listed) {
			listed = true;
			if (ops->guard_list(ops->ctx, &text, &err) < 0)
				text = NULL;
		}
		if (!text || bgp_guard_count(text, k->id) != v->nstatic) {
			*id = k->id;
			ok = false;
		}
	}
	free(text);
	return ok;
}

/* The guard first (the peer's own connection must not get in once the
 * trigger route is there), then FRR's block. */
static int apply(struct recon *rc, uint32_t id, const struct frr_bgp_inst *want,
		 const struct frr_bgp_inst *cur)
{
	const struct bgp_ops *ops = bops(rc);
	struct tenet_err err = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (ops->nft) {
		f = open_memstream(&text, &len);
		if (!f)
			return -ENOMEM;
		bgp_guard_render(f, id, want);
		ret = fclose(f) ? -ENOMEM : 0;
		if (!ret)
			ret = ops->nft(ops->ctx, text, &err);
		free(text);
		text = NULL;
		len = 0;
		if (ret < 0) {
			recon_errf(rc, "nftables: %s", err.msg);
			return ret;
		}
	}
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	ret = frr_bgp_render(f, want, cur);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (!ret && len)
		ret = ops->apply(ops->ctx, text, &err);
	if (ret < 0 && err.msg[0])
		recon_errf(rc, "FRR: %s", err.msg);
	free(text);
	return ret;
}

static int inst_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct bgp_inst_key *k = key;
	const struct bgp_inst_val *v = val;
	struct frr_bgp_inst *cur = malloc(sizeof(*cur));
	int ret;

	if (!cur)
		return -ENOMEM;
	ret = read_current(rc, k->id, cur);
	if (ret == 0 || ret == -ENOENT)
		ret = apply(rc, k->id, v->want, ret ? NULL : cur);
	free(cur);
	return ret;
}

static int inst_del(struct recon *rc, const void *key, const void *old)
{
	const struct bgp_inst_key *k = key;
	struct frr_bgp_inst *cur = malloc(sizeof(*cur));
	int ret;

	if (!cur)
		return -ENOMEM;
	ret = read_current(rc, k->id, cur);
	if (ret == -ENOENT)
		ret = 0;        /* already gone */
	else if (ret == 0)
		ret = apply(rc, k->id, NULL, cur);
	free(cur);
	return ret;
}

struct find_batch {
	const struct bgp_inst_key *keys;
	unsigned int n;
	struct frr_bgp_inst *cur;       /* n: what FRR holds of each */
	bool *found;
};

static int keep_batch(void *arg, const struct frr_bgp_inst *in)
{
	struct find_batch *f = arg;
	char vrf[FRR_VRF_MAX];

	for (unsigned int i = 0; i < f->n; i++) {
		tenet_gw_devname(TENET_GW_VRF_PFX, f->keys[i].id, vrf, sizeof(vrf));
		if (!strcmp(in->vrf, vrf)) {
			f->cur[i] = *in;
			f->found[i] = true;
			break;
		}
	}
	return 0;
}

/* n instances at once (a first sync, a tenet batch of tenants): FRR's
 * configuration read once, the guards in one nftables transaction, the
 * blocks in one vtysh -f. One by one, each instance costs two vtysh runs
 * and a read of a configuration that grows with the tenants: 100 tenants
 * took 108 s in the TCG guest (docs/performance.md). Any error: the engine
 * puts them one by one, each re-reading what FRR holds, so a half-applied
 * batch is finished or reported per instance. */
static int inst_put_batch(struct recon *rc, const void *keys, const void *vals, unsigned int n)
{
	const struct bgp_ops *ops = bops(rc);
	const struct bgp_inst_val *v = vals;
	struct find_batch fb = { .keys = keys, .n = n };
	struct tenet_err err = { 0 };
	char *running = NULL, *guards = NULL, *text = NULL;
	size_t glen = 0, len = 0;
	FILE *g = NULL, *f = NULL;
	int ret;

	if (n < 2)
		return -EOPNOTSUPP;     /* the single put is the same work */
	fb.cur = calloc(n, sizeof(*fb.cur));
	fb.found = calloc(n, sizeof(*fb.found));
	if (!fb.cur || !fb.found) {
		ret = -ENOMEM;
		goto out;
	}
	ret = ops->running(ops->ctx, &running, &err);
	if (ret < 0)
		goto out;
	ret = frr_bgp_parse(running, TENET_GW_VRF_PFX, keep_batch, &fb, &err);
	if (ret < 0)
		goto out;
	g = open_memstream(&guards, &glen);
	f = open_memstream(&text, &len);
	if (!g || !f) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < n && !ret; i++) {
		if (ops->nft)
			bgp_guard_render(g, fb.keys[i].id, v[i].want);
		ret = frr_bgp_render(f, v[i].want, fb.found[i] ? &fb.cur[i] : NULL);
	}
	if (fclose(g) && !ret)
		ret = -ENOMEM;
	g = NULL;
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	f = NULL;
	/* the guards first, as apply() */
	if (!ret && ops->nft && glen)
		ret = ops->nft(ops->ctx, guards, &err);
	if (!ret && len)
		ret = ops->apply(ops->ctx, text, &err);
out:
	if (g)
		fclose(g);
	if (f)
		fclose(f);
	free(running);
	free(guards);
	free(text);
	free(fb.cur);
	free(fb.found);
	return ret;
}

static const char *const applied[] = { "applied", "applied", "removed" };

static const struct recon_type bgp_types[BGP_NOBJ] = {
	[BGP_INST] = { .name = "frr-bgp", .key_size = sizeof(struct bgp_inst_key),
		       .val_size = sizeof(struct bgp_inst_val),
		       .cmp_size = offsetof(struct bgp_inst_val, want), .verbs = applied,
		       .describe = describe_inst, .put = inst_put, .del = inst_del,
		       .put_batch = inst_put_batch },
};

/* ---- the desired state ---- */

static const struct tenet_s2s *s2s_of(const struct model *m, const char *host, const char *name)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, (struct htab *)&m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind == TENET_KIND_S2S && !strcmp(r->s2s.host, host) &&
		    !strcmp(r->s2s.name, name))
			return &r->s2s;
	}
	return NULL;
}

/* The instance of BGP record b (its compartment cm) from the model. */
static void build(struct frr_bgp_inst *in, const struct model *m, const struct recon_env *env,
		  const struct tenet_bgp *b, const struct tenet_compartment *cm)
{
	struct htab_iter it;
	struct htab_entry *e;

	memset(in, 0, sizeof(*in));
	tenet_gw_devname(TENET_GW_VRF_PFX, cm->id, in->vrf, sizeof(in->vrf));
	in->asn = b->asn;
	in->router_id = b->router_id;
	htab_iter_init(&it, (struct htab *)&m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind == TENET_KIND_VSUBNET && !strcmp(r->vsubnet.rdomain, b->rdomain)) {
			if (in->nnet < FRR_BGP_NET_MAX)
				in->net[in->nnet++] = r->vsubnet.prefix;
			else
				recon_note(env, htab_key(e),
					   "BGP: more than %u virtual subnets in rdomain %s: "
					   "not all announced", FRR_BGP_NET_MAX, b->rdomain);
		} else if (r->kind == TENET_KIND_BGPNBR && !strcmp(r->bgpnbr.host, b->host) &&
			   !strcmp(r->bgpnbr.rdomain, b->rdomain)) {
			const struct tenet_bgpnbr *n = &r->bgpnbr;
			struct frr_bgp_nbr *x;

			if (in->nnbr == FRR_BGP_NBR_MAX) {
				recon_note(env, htab_key(e),
					   "BGP: more than %u neighbors: left out",
					   FRR_BGP_NBR_MAX);
				continue;
			}
			x = &in->nbr[in->nnbr++];
			x->addr = n->address;
			x->remote_as = n->remote_as;
			x->bfd = n->bfd != 0;
			if (n->via[0]) {
				const struct tenet_s2s *s = s2s_of(m, b->host, n->via);

				/* behind a tunnel: not on a connected subnet, and
				 * spoken to from the compartment's address */
				x->multihop = true;
				x->source = cm->addr.addr;
				if (!s || strcmp(s->rdomain, b->rdomain)) {
					recon_note(env, htab_key(e),
						   "BGP: via s2s %s: no such interface in "
						   "rdomain %s: no trigger route", n->via,
						   b->rdomain);
					continue;
				}
				in->statics[in->nstatic].addr = n->address;
				tenet_s2s_devname(s->id, in->statics[in->nstatic].dev,
						  sizeof(in->statics[0].dev));
				in->nstatic++;
			}
		}
	}
	frr_bgp_sort(in);
}

/* A lost record (model_lost) of this host's BGP: the instance of its
 * routing domain is kept as FRR has it (docs/agent.md, "Failure
 * behaviour"). */
static bool frozen(const struct model *m, const struct recon_env *env, const char *rdomain)
{
	struct htab_iter it;
	struct htab_entry *e;

	htab_iter_init(&it, (struct htab *)&m->bad);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = htab_val(e);
		const char *host = r->kind == TENET_KIND_BGP ? r->bgp.host :
				   r->kind == TENET_KIND_BGPNBR ? r->bgpnbr.host : NULL;
		const char *rd = r->kind == TENET_KIND_BGP ? r->bgp.rdomain :
				 r->kind == TENET_KIND_BGPNBR ? r->bgpnbr.rdomain : NULL;

		if (host && !strcmp(host, env->host) && (!rdomain || !strcmp(rd, rdomain)) &&
		    model_lost(m, e))
			return true;
	}
	return false;
}

static int bgp_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		    struct recon_set *out)
{
	struct bgp_priv *p = priv(rc);
	struct htab_iter it;
	struct htab_entry *e;
	size_t n = 0;

	if (!p)
		return -ENOMEM;
	/* how many instances, for one allocation (values point into it) */
	htab_iter_init(&it, (struct htab *)&m->recs);
	while ((e = htab_iter_next(&it)))
		n += model_rec(e)->kind == TENET_KIND_BGP;
	free(p->want);
	p->want = n ? calloc(n, sizeof(*p->want)) : NULL;
	p->nwant = 0;
	if (n && !p->want)
		return -ENOMEM;
	htab_iter_init(&it, (struct htab *)&m->recs);
	while ((e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);
		const struct tenet_compartment *cm;
		struct bgp_inst_key k = { 0 };
		struct bgp_inst_val v = { 0 };
		struct frr_bgp_inst *in;
		const struct htab_entry *cur;

		if (r->kind != TENET_KIND_BGP || strcmp(r->bgp.host, env->host))
			continue;
		cm = gw_compartment_of(m, env->host, r->bgp.rdomain);
		if (!cm) {
			recon_note(env, htab_key(e),
				   "BGP: no compartment of rdomain %s on this host",
				   r->bgp.rdomain);
			continue;
		}
		k.id = cm->id;
		cur = htab_find(&rc->shadow.t[BGP_INST], &k);
		if (m->bad.n && cur && frozen(m, env, r->bgp.rdomain)) {
			if (!htab_put(&out->t[BGP_INST], &k, htab_val(cur), NULL))
				return -ENOMEM;
			continue;
		}
		in = &p->want[p->nwant++];
		build(in, m, env, &r->bgp, cm);
		v.asn = in->asn;
		v.want = in;
		v.nnbr = (__u16)in->nnbr;
		v.nnet = (__u16)in->nnet;
		v.nstatic = (__u16)in->nstatic;
		if (frr_bgp_digest(in, v.digest) < 0 ||
		    !htab_put(&out->t[BGP_INST], &k, &v, NULL))
			return -ENOMEM;
	}
	/* A lost BGP record: which compartment it was, its key says (the
	 * routing domain); hold every instance FRR has that is not wanted
	 * rather than guess. */
	if (m->bad.n && frozen(m, env, NULL)) {
		htab_iter_init(&it, &rc->shadow.t[BGP_INST]);
		while ((e = htab_iter_next(&it)))
			if (!htab_find(&out->t[BGP_INST], htab_key(e)) &&
			    recon_hold(out, BGP_INST, htab_key(e)) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* ---- what FRR holds ---- */

static int adopt(void *arg, const struct frr_bgp_inst *in)
{
	struct recon_set *out = arg;
	struct bgp_inst_key k = { 0 };
	struct bgp_inst_val v = { 0 };
	unsigned int id;
	char tail;

	if (sscanf(in->vrf, TENET_GW_VRF_PFX "%u%c", &id, &tail) != 1 || !id)
		return 0;
	k.id = id;
	v.asn = in->asn;
	v.nnbr = (__u16)in->nnbr;
	v.nnet = (__u16)in->nnet;
	v.nstatic = (__u16)in->nstatic;
	/* a VRF with trigger routes left but no instance: a digest that
	 * matches nothing, so it is rewritten or removed */
	if (in->asn && frr_bgp_digest(in, v.digest) < 0)
		return -ENOMEM;
	return htab_put(&out->t[BGP_INST], &k, &v, NULL) ? 0 : -ENOMEM;
}

static int bgp_observe(struct recon *rc, const struct recon_set *desired, struct recon_set *out)
{
	const struct bgp_ops *ops = bops(rc);
	struct bgp_priv *p = priv(rc);
	struct tenet_err err = { 0 };
	char *text = NULL;
	int ret;

	if (!p)
		return -ENOMEM;
	ops->signature(ops->ctx, p->sig, sizeof(p->sig));
	ret = ops->running(ops->ctx, &text, &err);
	if (ret < 0) {
		/* FRR not running (or not installed: a host that is no BGP
		 * gateway): it holds nothing of tenet's. Its start (a new
		 * signature) makes the agent read it again; a put before
		 * that fails and says why. */
		return 0;
	}
	ret = frr_bgp_parse(text, TENET_GW_VRF_PFX, adopt, out, &err);
	free(text);
	/* A guard changed behind tenetd's back: that instance's digest
	 * matches nothing, so the round writes it again (FRR's part is then
	 * an empty difference). */
	for (__u32 id; ret == 0 && !guards_intact(ops, &out->t[BGP_INST], &id);) {
		struct bgp_inst_key k = { .id = id };
		struct htab_entry *e = htab_find(&out->t[BGP_INST], &k);
		struct bgp_inst_val *v = htab_val(e);

		memset(v->digest, 0, sizeof(v->digest));
		v->nstatic = 0;         /* looked at: not again in this loop */
	}
	return ret;
}

/* ---- FRR restarts ---- */

static uint64_t bgp_wake_at(struct recon *rc)
{
	struct bgp_priv *p = rc->priv;

	/* a host without BGP instances does not look */
	if (!p || (!p->nwant && !rc->shadow.t[BGP_INST].n))
		return 0;
	if (!p->check_at)
		p->check_at = now_ms() + BGP_CHECK_MS;
	return p->check_at;
}

static bool bgp_wake(struct recon *rc)
{
	const struct bgp_ops *ops = bops(rc);
	struct bgp_priv *p = rc->priv;
	char sig[sizeof(p->sig)];

	if (!p)
		return false;
	p->check_at = now_ms() + BGP_CHECK_MS;
	ops->signature(ops->ctx, sig, sizeof(sig));
	if (!strcmp(sig, p->sig)) {
		__u32 id;

		if (guards_intact(ops, &rc->shadow.t[BGP_INST], &id))
			return false;
		log_info("nftables: the BGP guard of " TENET_GW_VRF_PFX "%u is not as tenetd wrote "
			 "it: writing it again", id);
		rc->observed = false;
		return true;
	}
	log_info("FRR: daemons %s (were %s): reading its configuration again",
		 sig[0] ? sig : "stopped", p->sig[0] ? p->sig : "none");
	snprintf(p->sig, sizeof(p->sig), "%s", sig);
	rc->observed = false;   /* the next round reads FRR before it applies */
	return true;
}

static int bgp_open(struct recon *rc, const struct recon_open *o)
{
	struct bgp_ops *ops;
	int ret = bgp_frr_open(&ops, o->cfg ? o->cfg->frr : NULL);

	if (ret < 0)
		return ret;
	rc->ops = ops;
	return 0;
}

static void bgp_close(struct recon *rc)
{
	struct bgp_priv *p = rc->priv;

	if (p)
		free(p->want);
	free(p);
	rc->priv = NULL;
	if (rc->opened) {
		bgp_frr_close(rc->ops);
		rc->ops = NULL;
	}
}

const struct reconciler gw_bgp_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "bgp",
	.types = bgp_types,
	.ntypes = BGP_NOBJ,
	.want = bgp_want,
	.observe = bgp_observe,
	.open = bgp_open,
	.close = bgp_close,
	.wake_at = bgp_wake_at,
	.wake = bgp_wake,
};

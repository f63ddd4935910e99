// SPDX-License-Identifier: GPL-2.0
/* A tenant's BGP configuration in FRR's syntax (see bgp.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sodium.h>

#include "frr/bgp.h"

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_nbr(const void *a, const void *b)
{
	return cmp_u32(ntohl(((const struct frr_bgp_nbr *)a)->addr),
		       ntohl(((const struct frr_bgp_nbr *)b)->addr));
}

static int cmp_net(const void *a, const void *b)
{
	const struct tenet_prefix *x = a, *y = b;
	int c = cmp_u32(ntohl(x->addr), ntohl(y->addr));

	return c ? c : cmp_u32(x->len, y->len);
}

static int cmp_static(const void *a, const void *b)
{
	const struct frr_static *x = a, *y = b;
	int c = cmp_u32(ntohl(x->addr), ntohl(y->addr));

	return c ? c : strcmp(x->dev, y->dev);
}

/* Sort base[n] of size bytes, drop equal neighbours; the new count. */
static unsigned int sort_uniq(void *base, unsigned int n, size_t size,
			      int (*cmp)(const void *, const void *))
{
	unsigned int i, o = 0;
	char *p = base;

	if (!n)
		return 0;
	qsort(base, n, size, cmp);
	for (i = 1; i < n; i++)
		if (cmp(p + o * size, p + i * size))
			memmove(p + ++o * size, p + i * size, size);
	return o + 1;
}

void frr_bgp_sort(struct frr_bgp_inst *in)
{
	in->nnbr = sort_uniq(in->nbr, in->nnbr, sizeof(in->nbr[0]), cmp_nbr);
	in->nnet = sort_uniq(in->net, in->nnet, sizeof(in->net[0]), cmp_net);
	in->nstatic = sort_uniq(in->statics, in->nstatic, sizeof(in->statics[0]), cmp_static);
}

static const struct frr_bgp_nbr *find_nbr(const struct frr_bgp_inst *in, uint32_t addr)
{
	for (unsigned int i = 0; in && i < in->nnbr; i++)
		if (in->nbr[i].addr == addr)
			return &in->nbr[i];
	return NULL;
}

static bool has_net(const struct frr_bgp_inst *in, const struct tenet_prefix *p)
{
	for (unsigned int i = 0; in && i < in->nnet; i++)
		if (!cmp_net(&in->net[i], p))
			return true;
	return false;
}

static bool has_static(const struct frr_bgp_inst *in, const struct frr_static *s)
{
	for (unsigned int i = 0; in && i < in->nstatic; i++)
		if (!cmp_static(&in->statics[i], s))
			return true;
	return false;
}

static const char *ip(uint32_t a, char buf[TENET_IPV4_STRLEN])
{
	return tenet_fmt_ipv4(a, buf);
}

static void render_bgp(FILE *f, const struct frr_bgp_inst *w, const struct frr_bgp_inst *cur)
{
	char a[TENET_IPV4_STRLEN], p[TENET_PREFIX_STRLEN];

	fprintf(f, "router bgp %u vrf %s\n", w->asn, w->vrf);
	if (w->router_id)
		fprintf(f, " bgp router-id %s\n", ip(w->router_id, a));
	else if (cur && cur->router_id)
		fprintf(f, " no bgp router-id\n");
	/* Routes flow without route maps (the tenant's own peers), and the
	 * virtual subnets are announced whether or not the VRF table holds
	 * a route to each. */
	fprintf(f, " no bgp ebgp-requires-policy\n");
	fprintf(f, " no bgp network import-check\n");
	for (unsigned int i = 0; cur && i < cur->nnbr; i++)
		if (!find_nbr(w, cur->nbr[i].addr))
			fprintf(f, " no neighbor %s\n", ip(cur->nbr[i].addr, a));
	for (unsigned int i = 0; i < w->nnbr; i++) {
		const struct frr_bgp_nbr *n = &w->nbr[i], *o = find_nbr(cur, n->addr);

		ip(n->addr, a);
		if (o && o->remote_as != n->remote_as)
			fprintf(f, " no neighbor %s\n", a);
		fprintf(f, " neighbor %s remote-as %u\n", a, n->remote_as);
		if (n->bfd)
			fprintf(f, " neighbor %s bfd\n", a);
		else if (o && o->bfd)
			fprintf(f, " no neighbor %s bfd\n", a);
		/* behind a tunnel: the first SYN only dials it (the trap
		 * drops it), so the next attempt comes after seconds, not
		 * FRR's default 120 */
		if (n->multihop)
			fprintf(f, " neighbor %s ebgp-multihop 255\n neighbor %s timers connect %u\n", a, a,
				FRR_BGP_CONNECT_TUNNEL);
		else if (o && o->multihop)
			fprintf(f, " no neighbor %s ebgp-multihop\n no neighbor %s timers connect\n", a, a);
		if (n->source) {
			char s[TENET_IPV4_STRLEN];

			fprintf(f, " neighbor %s update-source %s\n", a, ip(n->source, s));
		} else if (o && o->source) {
			fprintf(f, " no neighbor %s update-source\n", a);
		}
	}
	fprintf(f, " !\n address-family ipv4 unicast\n");
	for (unsigned int i = 0; cur && i < cur->nnet; i++)
		if (!has_net(w, &cur->net[i]))
			fprintf(f, "  no network %s\n", tenet_fmt_prefix(&cur->net[i], p));
	for (unsigned int i = 0; i < w->nnet; i++)
		fprintf(f, "  network %s\n", tenet_fmt_prefix(&w->net[i], p));
	fprintf(f, " exit-address-family\nexit\n!\n");
}

static void render_statics(FILE *f, const struct frr_bgp_inst *w, const struct frr_bgp_inst *cur)
{
	const char *vrf = w ? w->vrf : cur->vrf;
	char a[TENET_IPV4_STRLEN];
	bool any = false;

	for (unsigned int i = 0; cur && i < cur->nstatic; i++)
		any |= !has_static(w, &cur->statics[i]);
	if (!any && !(w && w->nstatic))
		return;
	fprintf(f, "vrf %s\n", vrf);
	for (unsigned int i = 0; cur && i < cur->nstatic; i++)
		if (!has_static(w, &cur->statics[i]))
			fprintf(f, " no ip route %s/32 %s\n", ip(cur->statics[i].addr, a),
				cur->statics[i].dev);
	for (unsigned int i = 0; w && i < w->nstatic; i++)
		fprintf(f, " ip route %s/32 %s\n", ip(w->statics[i].addr, a), w->statics[i].dev);
	fprintf(f, "exit-vrf\n!\n");
}

int frr_bgp_render(FILE *f, const struct frr_bgp_inst *want, const struct frr_bgp_inst *cur)
{
	if (!want && !cur)
		return 0;
	if (!want) {
		/* the trigger routes first: nothing dials for a gone session */
		render_statics(f, NULL, cur);
		if (cur->asn)
			fprintf(f, "no router bgp %u vrf %s\n!\n", cur->asn, cur->vrf);
		return ferror(f) ? -EIO : 0;
	}
	if (cur && cur->asn && cur->asn != want->asn) {
		/* another AS is another instance: the old one goes first */
		fprintf(f, "no router bgp %u vrf %s\n!\n", cur->asn, cur->vrf);
		render_bgp(f, want, NULL);
	} else {
		render_bgp(f, want, cur);
	}
	render_statics(f, want, cur);
	return ferror(f) ? -EIO : 0;
}

int frr_bgp_digest(const struct frr_bgp_inst *in, uint8_t out[16])
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = frr_bgp_render(f, in, NULL);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (!ret)
		crypto_generichash(out, 16, (const unsigned char *)text, len, NULL, 0);
	free(text);
	return ret;
}

/* ---- parsing FRR's running configuration ---- */

struct parse {
	const char *pfx;
	struct frr_bgp_inst *v;         /* by VRF, in order of appearance */
	size_t n, cap;
};

static struct frr_bgp_inst *inst_of(struct parse *p, const char *vrf)
{
	struct frr_bgp_inst *v;

	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].vrf, vrf))
			return &p->v[i];
	if (p->n == p->cap) {
		v = realloc(p->v, (p->cap = p->cap ? 2 * p->cap : 4) * sizeof(*v));
		if (!v)
			return NULL;
		p->v = v;
	}
	v = &p->v[p->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->vrf, sizeof(v->vrf), "%s", vrf);
	return v;
}

static struct frr_bgp_nbr *nbr_of(struct frr_bgp_inst *in, uint32_t addr)
{
	for (unsigned int i = 0; i < in->nnbr; i++)
		if (in->nbr[i].addr == addr)
			return &in->nbr[i];
	if (in->nnbr == FRR_BGP_NBR_MAX)
		return NULL;
	memset(&in->nbr[in->nnbr], 0, sizeof(in->nbr[0]));
	in->nbr[in->nnbr].addr = addr;
	return &in->nbr[in->nnbr++];
}

static bool ours(const struct parse *p, const char *vrf)
{
	return !strncmp(vrf, p->pfx, strlen(p->pfx)) && strlen(vrf) < FRR_VRF_MAX;
}

/* One line inside `router bgp ... vrf X` (leading blanks skipped). */
static void bgp_line(struct frr_bgp_inst *in, const char *l)
{
	char a[32], w[32], x[32];
	unsigned int u;
	uint32_t addr;
	struct frr_bgp_nbr *n;

	if (sscanf(l, "bgp router-id %31s", a) == 1) {
		tenet_parse_ipv4(a, &in->router_id, NULL);
	} else if (sscanf(l, "network %31s", a) == 1) {
		if (in->nnet < FRR_BGP_NET_MAX &&
		    tenet_parse_prefix(a, &in->net[in->nnet], NULL) == 0)
			in->nnet++;
	} else if (sscanf(l, "neighbor %31s %31s %31s", a, w, x) >= 2 &&
		   tenet_parse_ipv4(a, &addr, NULL) == 0 && (n = nbr_of(in, addr))) {
		if (!strcmp(w, "remote-as") && sscanf(x, "%u", &u) == 1)
			n->remote_as = u;
		else if (!strcmp(w, "bfd"))
			n->bfd = true;
		else if (!strcmp(w, "ebgp-multihop"))
			n->multihop = true;
		else if (!strcmp(w, "update-source"))
			tenet_parse_ipv4(x, &n->source, NULL);
	}
}

int frr_bgp_parse(const char *text, const char *vrf_pfx,
		  int (*cb)(void *arg, const struct frr_bgp_inst *in), void *arg,
		  struct tenet_err *err)
{
	struct parse p = { .pfx = vrf_pfx };
	struct frr_bgp_inst *cur = NULL;
	bool in_bgp = false, in_vrf = false;
	const char *l = text;
	int ret = 0;

	while (l && *l) {
		const char *e = strchr(l, '\n');
		char line[256], vrf[64];
		size_t len = e ? (size_t)(e - l) : strlen(l);
		const char *s;
		unsigned int asn;

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		l = e ? e + 1 : NULL;
		for (s = line; *s == ' '; s++)
			;
		if (line[0] != ' ') {
			/* a top-level line ends any block */
			in_bgp = in_vrf = false;
			cur = NULL;
			if (sscanf(line, "router bgp %u vrf %63s", &asn, vrf) == 2 && ours(&p, vrf)) {
				cur = inst_of(&p, vrf);
				if (!cur)
					goto nomem;
				cur->asn = asn;
				in_bgp = true;
			} else if (sscanf(line, "vrf %63s", vrf) == 1 && ours(&p, vrf)) {
				cur = inst_of(&p, vrf);
				if (!cur)
					goto nomem;
				in_vrf = true;
			}
			continue;
		}
		if (in_bgp) {
			bgp_line(cur, s);
		} else if (in_vrf) {
			char a[32], dev[32];
			struct tenet_prefix pf;

			if (sscanf(s, "ip route %31s %31s", a, dev) == 2 &&
			    tenet_parse_prefix(a, &pf, NULL) == 0 && pf.len == 32 &&
			    strlen(dev) < FRR_VRF_MAX && cur->nstatic < FRR_BGP_NBR_MAX) {
				cur->statics[cur->nstatic].addr = pf.addr;
				snprintf(cur->statics[cur->nstatic].dev, FRR_VRF_MAX, "%s", dev);
				cur->nstatic++;
			}
		}
	}
	/* a VRF with trigger routes but no BGP instance is still reported
	 * (asn 0): its routes are tenet's to remove */
	for (size_t i = 0; !ret && i < p.n; i++) {
		frr_bgp_sort(&p.v[i]);
		ret = cb(arg, &p.v[i]);
	}
	free(p.v);
	return ret;
nomem:
	free(p.v);
	return tenet_err_set(err, -ENOMEM, "out of memory");
}

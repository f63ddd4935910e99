// SPDX-License-Identifier: GPL-2.0
/* Validated policy writes. Each operation runs as optimistic concurrency
 * control over the store: read the revisions of the write's guard keys,
 * read whatever the checks need, build a transaction, and commit it on
 * condition that no guard key moved; every validated write moves the
 * guard keys of what it changes. A commit that loses the race is retried
 * from scratch, so the checks always ran against the state the write
 * lands on. Guard keys are per scope (global, routing domain, host), so
 * writers in different routing domains or hosts do not serialise each
 * other. This works the same on SQLite and etcd (only compares of
 * mod_rev and puts are needed). The rules of each kind are in its row of
 * the registry (lib/kinds/<family>.c); this file runs them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tenet/limits.h>

#include "policy/engine.h"

#define MAX_ATTEMPTS 64

static void (*commit_hook)(void *arg, int attempt);
static void *commit_hook_arg;

void pol_set_commit_hook(void (*fn)(void *arg, int attempt), void *arg)
{
	commit_hook = fn;
	commit_hook_arg = arg;
}

/* ---- reading ---- */

static int load(struct tenet_store *s, const struct tenet_record *id, struct tenet_record *out,
		struct tenet_err *err)
{
	char key[TENET_KEY_MAX];
	struct tenet_err lerr = { 0 };
	struct tenet_kv kv;
	int ret;

	ret = tenet_record_key(id, key, sizeof(key));
	if (ret < 0)
		return tenet_err_set(err, ret, "record key too long");
	ret = tenet_store_get(s, key, &kv, &lerr);
	if (ret == -ENOENT)
		return ret;
	if (ret == 0)
		ret = tenet_record_decode(kv.key, kv.value, out, &lerr) < 0 ? -EBADMSG : 0;
	tenet_kv_clear(&kv);
	if (ret == -EBADMSG)
		return tenet_err_set(err, ret, "corrupt record %s", lerr.msg);
	if (ret < 0 && err)
		*err = lerr;
	return ret;
}

int pol_load(struct pctx *c, const struct tenet_record *id, struct tenet_record *out)
{
	return load(c->s, id, out, c->err);
}

static int list_cmp(const void *a, const void *b)
{
	return tenet_record_cmp(a, b);
}

/* Every decodable record of `kind` under prefix; corrupt ones are counted
 * in l->bad and otherwise ignored. */
static int load_prefix(struct tenet_store *s, const char *prefix, enum tenet_kind kind,
		       struct tenet_record_list *l, struct tenet_err *err)
{
	struct tenet_kv_list kvs;
	struct tenet_err derr;
	size_t i;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = tenet_store_range(s, prefix, &kvs, err);
	if (ret < 0)
		return ret;
	l->rev = kvs.rev;
	l->recs = calloc(kvs.n ? kvs.n : 1, sizeof(*l->recs));
	if (!l->recs) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < kvs.n; i++) {
		struct tenet_record id;

		if (tenet_record_from_key(kvs.kvs[i].key, &id, &derr) == 0 && id.kind != kind)
			continue;
		if (tenet_record_decode(kvs.kvs[i].key, kvs.kvs[i].value, &l->recs[l->n],
					&derr) < 0) {
			if (!l->bad++)
				snprintf(l->bad_msg, sizeof(l->bad_msg), "%s", derr.msg);
			continue;
		}
		l->n++;
	}
	qsort(l->recs, l->n, sizeof(*l->recs), list_cmp);
out:
	tenet_kv_list_free(&kvs);
	if (ret < 0)
		tenet_record_list_free(l);
	return ret;
}

int pol_load_kind(struct pctx *c, enum tenet_kind kind, const char *host,
		  struct tenet_record_list *l)
{
	char prefix[TENET_KEY_MAX];

	if (tenet_kind_prefix(kind, host, prefix, sizeof(prefix)) < 0)
		return tenet_err_set(c->err, -ENAMETOOLONG, "key prefix too long");
	return load_prefix(c->s, prefix, kind, l, c->err);
}

int pol_load_vsid_lookups(struct pctx *c, uint32_t vsid, struct tenet_record_list *l)
{
	char prefix[TENET_KEY_MAX];

	tenet_lookup_vsid_prefix(vsid, prefix, sizeof(prefix));
	return load_prefix(c->s, prefix, TENET_KIND_LOOKUP, l, c->err);
}

void tenet_record_list_free(struct tenet_record_list *l)
{
	if (!l)
		return;
	free(l->recs);
	memset(l, 0, sizeof(*l));
}

int tenet_policy_list(struct tenet_store *s, enum tenet_kind kind, const char *host,
		      struct tenet_record_list *out, struct tenet_err *err)
{
	char prefix[TENET_KEY_MAX];

	memset(out, 0, sizeof(*out));
	if (!tenet_kind_name(kind))
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)kind);
	if (tenet_kind_prefix(kind, host, prefix, sizeof(prefix)) < 0)
		return tenet_err_set(err, -ENAMETOOLONG, "host %s: name too long", host);
	return load_prefix(s, prefix, kind, out, err);
}

/* ---- writing ---- */

int pol_txn_put(struct pctx *c, const struct tenet_record *rec)
{
	char key[TENET_KEY_MAX];
	json_t *j;
	int ret;

	if (tenet_record_key(rec, key, sizeof(key)) < 0)
		return tenet_err_set(c->err, -ENAMETOOLONG, "record key too long");
	j = tenet_record_to_json(rec);
	if (!j)
		return tenet_err_set(c->err, -ENOMEM, "out of memory");
	ret = tenet_txn_put_json(c->txn, key, j);
	json_decref(j);
	if (ret < 0)
		return tenet_err_set(c->err, ret, "out of memory");
	pol_memo_note(c, rec, false);
	return 0;
}

int pol_txn_del(struct pctx *c, const struct tenet_record *rec)
{
	char key[TENET_KEY_MAX];

	if (tenet_record_key(rec, key, sizeof(key)) < 0)
		return tenet_err_set(c->err, -ENAMETOOLONG, "record key too long");
	if (tenet_txn_delete(c->txn, key) < 0)
		return tenet_err_set(c->err, -ENOMEM, "out of memory");
	pol_memo_note(c, rec, true);
	return 0;
}

int pol_del_existing(struct pctx *c, const struct tenet_record *id, const char *missing)
{
	struct tenet_record old;
	int ret;

	ret = pol_load(c, id, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "%s", missing);
	/* A corrupt record can still be deleted: that is how it is repaired. */
	if (ret < 0 && ret != -EBADMSG)
		return ret;
	return pol_txn_del(c, id);
}

int pol_put_nested(struct pctx *c, struct tenet_record *rec)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);

	return d ? d->put(c, rec) : -EINVAL;
}

/* ---- guard keys ---- */

int pol_guard(struct pctx *c, const char *key, bool bump)
{
	struct pol_guard *g;
	struct tenet_err gerr;
	struct tenet_kv kv;
	int ret;

	for (size_t i = 0; i < c->nguards; i++) {
		if (!strcmp(c->guards[i].key, key)) {
			c->guards[i].bump |= bump;
			return 0;
		}
	}
	if (c->nguards == POL_GUARDS || strlen(key) >= sizeof(g->key))
		return tenet_err_set(c->err, -E2BIG, "%s: too many guard keys", key);
	g = &c->guards[c->nguards];
	ret = tenet_store_get(c->s, key, &kv, &gerr);
	if (ret < 0 && ret != -ENOENT) {
		if (c->err)
			*c->err = gerr;
		return ret;
	}
	g->mod_rev = ret == 0 ? kv.mod_rev : 0;    /* a missing key compares as 0 */
	tenet_kv_clear(&kv);
	strcpy(g->key, key);
	g->bump = bump;
	c->nguards++;
	return 0;
}

int pol_guard_global(struct pctx *c, bool bump)
{
	return pol_guard(c, TENET_KEY_SERIAL, bump);
}

/* A name that is not valid gets no guard: its write is refused anyway. */
static int guard_named(struct pctx *c, const char *pfx, const char *name, bool bump)
{
	char key[TENET_KEY_MAX];

	if (tenet_check_name(name, NULL) < 0)
		return 0;
	snprintf(key, sizeof(key), "%s%s", pfx, name);
	return pol_guard(c, key, bump);
}

int pol_guard_rdomain(struct pctx *c, const char *name, bool bump)
{
	return guard_named(c, TENET_KEY_GUARD_RDOMAIN, name, bump);
}

int pol_guard_host(struct pctx *c, const char *host, bool bump)
{
	return guard_named(c, TENET_KEY_GUARD_HOST, host, bump);
}

int pol_guard_vsid(struct pctx *c, uint32_t vsid, bool bump)
{
	struct tenet_record id = { .kind = TENET_KIND_VSUBNET }, vs;
	int ret;

	/* The global guard first: it covers the subnet record read next. */
	ret = pol_guard_global(c, false);
	if (ret < 0)
		return ret;
	id.vsubnet.vsid = vsid;
	/* No subnet (or a corrupt one): the checks refuse the write. */
	if (load(c->s, &id, &vs, NULL) < 0)
		return 0;
	return pol_guard_rdomain(c, vs.vsubnet.rdomain, bump);
}

static int add_guards(struct pctx *c)
{
	for (size_t i = 0; i < c->nguards; i++) {
		const struct pol_guard *g = &c->guards[i];
		int ret;

		ret = tenet_txn_compare(c->txn, g->key, TENET_CMP_MOD, TENET_CMP_EQ, g->mod_rev);
		if (ret == 0 && g->bump)
			ret = tenet_txn_put(c->txn, g->key, "{}");
		if (ret < 0)
			return tenet_err_set(c->err, ret, "out of memory");
	}
	return 0;
}

/* ---- running ---- */

int pol_run(struct tenet_store *s, struct tenet_record *rec, pol_build_fn build, bool del,
	    unsigned int flags, int64_t *rev, struct tenet_err *err)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);
	struct pctx c = { .s = s, .err = err, .flags = flags, .memo = pol_memo_for(s) };
	int64_t crev = 0;
	int attempt, ret = 0;

	if (!d || !build)
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)rec->kind);
	if (!rev)
		rev = &crev;
	for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		c.nguards = 0;
		pol_memo_reset_changes(&c);
		c.txn = tenet_txn_new();
		if (!c.txn) {
			ret = tenet_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		ret = d->guards ? d->guards(&c, rec, del) : 0;
		/* The memo after the guards: what it holds is then as good as
		 * the store read now, which the guards' compares protect. */
		if (ret == 0 && c.memo)
			ret = pol_memo_sync(&c);
		if (ret == 0)
			ret = build(&c, rec);
		if (ret == 0)
			ret = add_guards(&c);
		if (ret == 0 && commit_hook)
			commit_hook(commit_hook_arg, attempt);
		if (ret == 0)
			ret = tenet_store_commit(s, c.txn, rev, err);
		if (ret == 0 && c.memo)
			pol_memo_committed(&c, *rev);
		tenet_txn_free(c.txn);
		c.txn = NULL;
		if (ret != -ECANCELED)
			break;
	}
	free(c.chg);
	if (ret == -ECANCELED)
		ret = tenet_err_set(err, -EAGAIN, "the store kept changing; gave up after %d tries",
				    MAX_ATTEMPTS);
	if (ret == 0)
		tenet_err_clear(err);
	return ret;
}

int tenet_policy_put(struct tenet_store *s, struct tenet_record *rec, unsigned int flags,
		     int64_t *rev, struct tenet_err *err)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);
	int ret;

	if (!d)
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)rec->kind);
	if (d->prepare) {
		ret = d->prepare(rec, flags, err);
		if (ret < 0)
			return ret;
	}
	return pol_run(s, rec, d->put, false, flags, rev, err);
}

int tenet_policy_del(struct tenet_store *s, const struct tenet_record *id, unsigned int flags,
		     int64_t *rev, struct tenet_err *err)
{
	const struct tenet_kind_desc *d = tenet_kind_get(id->kind);
	struct tenet_record copy = *id;

	if (!d)
		return tenet_err_set(err, -EINVAL, "unknown record kind %d", (int)id->kind);
	return pol_run(s, &copy, d->del, true, flags, rev, err);
}

/* ---- shared checks ---- */

int pol_check_vsid(struct pctx *c, uint32_t vsid)
{
	if (vsid < TENET_VSID_MIN || vsid > TENET_VSID_MAX)
		return tenet_err_set(c->err, -EINVAL, "vsid %u: outside %u..%u", vsid,
				     TENET_VSID_MIN, TENET_VSID_MAX);
	return 0;
}

int pol_check_mac(struct pctx *c, const uint8_t *mac)
{
	static const uint8_t router[TENET_MAC_LEN] = TENET_ROUTER_MAC_INIT;
	char m[TENET_MAC_STRLEN];

	tenet_fmt_mac(mac, m);
	if (!tenet_mac_is_unicast(mac))
		return tenet_err_set(c->err, -EINVAL, "mac %s: not a unicast MAC address", m);
	if (!memcmp(mac, router, TENET_MAC_LEN))
		return tenet_err_set(c->err, -EINVAL, "mac %s: reserved for the distributed router",
				     m);
	return 0;
}

int pol_check_host_dev(struct pctx *c, const char *host, const char *dev)
{
	if (tenet_check_name(host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", host);
	if (dev && tenet_check_ifname(dev, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "dev %s: not a valid interface name", dev);
	return 0;
}

int pol_check_unicast(struct pctx *c, const char *what, uint32_t addr)
{
	char a[TENET_IPV4_STRLEN];

	if (!tenet_ipv4_is_unicast(addr))
		return tenet_err_set(c->err, -EINVAL, "%s %s: not a unicast address", what,
				     tenet_fmt_ipv4(addr, a));
	return 0;
}

int pol_need_rdomain(struct pctx *c, const char *name, struct tenet_rdomain *out)
{
	struct tenet_record id = { .kind = TENET_KIND_RDOMAIN }, rec;
	int ret;

	if (tenet_check_name(name, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "rdomain %s: not a valid name", name);
	snprintf(id.rdomain.name, sizeof(id.rdomain.name), "%s", name);
	ret = pol_load(c, &id, &rec);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "rdomain %s: no such routing domain", name);
	if (ret == 0 && out)
		*out = rec.rdomain;
	return ret;
}

int pol_need_vsubnet(struct pctx *c, uint32_t vsid, struct tenet_vsubnet *out)
{
	struct tenet_record id = { .kind = TENET_KIND_VSUBNET }, rec;
	int ret;

	id.vsubnet.vsid = vsid;
	ret = pol_load(c, &id, &rec);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "vsid %u: no virtual subnet with this VSID",
				     vsid);
	if (ret == 0)
		*out = rec.vsubnet;
	return ret;
}

int pol_rdomain_subnets(struct pctx *c, const char *name, struct tenet_record_list *l)
{
	size_t i, n = 0;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_VSUBNET, NULL, l);
	if (ret < 0)
		return ret;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->recs[i].vsubnet.rdomain, name))
			l->recs[n++] = l->recs[i];
	l->n = n;
	return 0;
}

int pol_find_ca(struct pctx *c, const char *name, uint32_t ip, struct tenet_lookup *found)
{
	struct tenet_record_list subnets;
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP }, rec;
	size_t i;
	int ret;

	ret = pol_rdomain_subnets(c, name, &subnets);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	id.lookup.has_ca = true;
	id.lookup.ca = ip;
	for (i = 0; i < subnets.n && ret == -ENOENT; i++) {
		id.lookup.vsid = subnets.recs[i].vsubnet.vsid;
		ret = pol_load(c, &id, &rec);
		if (ret == 0)
			*found = rec.lookup;
	}
	tenet_record_list_free(&subnets);
	return ret;
}

/* Customer routes of a routing domain whose next hop is ip. */
static int routes_via(struct pctx *c, const char *name, uint32_t ip,
		      struct tenet_record_list *l)
{
	size_t i, n = 0;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_CROUTE, NULL, l);
	if (ret < 0)
		return ret;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->recs[i].croute.rdomain, name) && l->recs[i].croute.nexthop == ip)
			l->recs[n++] = l->recs[i];
	l->n = n;
	return 0;
}

int pol_drop_routes_via(struct pctx *c, const char *rdomain, uint32_t ca)
{
	struct tenet_record_list routes;
	char a[TENET_IPV4_STRLEN], p[TENET_PREFIX_STRLEN];
	size_t i;
	int ret;

	ret = routes_via(c, rdomain, ca, &routes);
	if (ret < 0)
		return ret;
	if (routes.n && !(c->flags & TENET_POLICY_FORCE))
		ret = tenet_err_set(c->err, -ENOTEMPTY,
				    "ca %s: next hop of customer route %s in routing domain %s"
				    " (use force)", tenet_fmt_ipv4(ca, a),
				    tenet_fmt_prefix(&routes.recs[0].croute.prefix, p), rdomain);
	for (i = 0; i < routes.n && ret == 0; i++)
		ret = pol_txn_del(c, &routes.recs[i]);
	tenet_record_list_free(&routes);
	return ret;
}

int pol_del_natmaps(struct pctx *c, const char *host, const char *rdomain)
{
	struct tenet_record_list maps;
	int ret;

	ret = pol_load_kind(c, TENET_KIND_NATMAP, host, &maps);
	for (size_t i = 0; ret == 0 && i < maps.n; i++)
		if (!strcmp(maps.recs[i].natmap.rdomain, rdomain))
			ret = pol_txn_del(c, &maps.recs[i]);
	tenet_record_list_free(&maps);
	return ret;
}

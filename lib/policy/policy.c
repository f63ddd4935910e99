// SPDX-License-Identifier: GPL-2.0
/* Validated policy writes. Each operation runs as optimistic concurrency
 * control over the store: read the serial key's revision, read whatever
 * the checks need, build a transaction, and commit it on condition that
 * the serial key did not move; every validated write moves it. A commit
 * that loses the race is retried from scratch, so the checks always ran
 * against the state the write lands on. This works the same on SQLite and
 * etcd (only compare-and-put on one key is needed). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tenet/limits.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

#define MAX_ATTEMPTS 64


/* ---- reading ---- */

/* Reads the record with id's key. 0: found, -ENOENT: absent (err not
 * touched), -EBADMSG: corrupt (err names the key). */
static int load(struct pctx *c, const struct tenet_record *id, struct tenet_record *out)
{
	char key[TENET_KEY_MAX];
	struct tenet_err lerr = { 0 };
	struct tenet_kv kv;
	int ret;

	ret = tenet_record_key(id, key, sizeof(key));
	if (ret < 0)
		return tenet_err_set(c->err, ret, "record key too long");
	ret = tenet_store_get(c->s, key, &kv, &lerr);
	if (ret == -ENOENT)
		return ret;
	if (ret == 0)
		ret = tenet_record_decode(kv.key, kv.value, out, &lerr) < 0 ? -EBADMSG : 0;
	tenet_kv_clear(&kv);
	if (ret == -EBADMSG)
		return tenet_err_set(c->err, ret, "corrupt record %s", lerr.msg);
	if (ret < 0 && c->err)
		*c->err = lerr;
	return ret;
}

static int record_cmp(const void *pa, const void *pb);

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
	qsort(l->recs, l->n, sizeof(*l->recs), record_cmp);
out:
	tenet_kv_list_free(&kvs);
	if (ret < 0)
		tenet_record_list_free(l);
	return ret;
}

static int load_kind(struct pctx *c, enum tenet_kind kind, const char *host,
		     struct tenet_record_list *l)
{
	char prefix[TENET_KEY_MAX];

	if (tenet_kind_prefix(kind, host, prefix, sizeof(prefix)) < 0)
		return tenet_err_set(c->err, -ENAMETOOLONG, "key prefix too long");
	return load_prefix(c->s, prefix, kind, l, c->err);
}

static int load_vsid_lookups(struct pctx *c, uint32_t vsid, struct tenet_record_list *l)
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

/* ---- writing ---- */

static int txn_put(struct pctx *c, const struct tenet_record *rec)
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
	return ret < 0 ? tenet_err_set(c->err, ret, "out of memory") : 0;
}

static int txn_del(struct pctx *c, const struct tenet_record *rec)
{
	char key[TENET_KEY_MAX];

	if (tenet_record_key(rec, key, sizeof(key)) < 0)
		return tenet_err_set(c->err, -ENAMETOOLONG, "record key too long");
	return tenet_txn_delete(c->txn, key) < 0 ? tenet_err_set(c->err, -ENOMEM, "out of memory")
						 : 0;
}

/* Optimistic concurrency around one validated write; see the top. */
static int run(struct tenet_store *s, build_fn fn, void *arg, unsigned int flags, int64_t *rev,
	       struct tenet_err *err)
{
	struct pctx c = { .s = s, .err = err, .flags = flags };
	int attempt, ret = 0;

	for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		struct tenet_kv kv;
		int64_t serial = 0;

		ret = tenet_store_get(s, TENET_KEY_SERIAL, &kv, err);
		if (ret == 0)
			serial = kv.mod_rev;
		tenet_kv_clear(&kv);
		if (ret < 0 && ret != -ENOENT)
			return ret;
		c.txn = tenet_txn_new();
		if (!c.txn)
			return tenet_err_set(err, -ENOMEM, "out of memory");
		ret = tenet_txn_compare(c.txn, TENET_KEY_SERIAL, TENET_CMP_MOD, TENET_CMP_EQ,
					serial);
		if (ret == 0)
			ret = fn(&c, arg);
		if (ret == 0)
			ret = tenet_txn_put(c.txn, TENET_KEY_SERIAL, "{}");
		if (ret == 0)
			ret = tenet_store_commit(s, c.txn, rev, err);
		tenet_txn_free(c.txn);
		c.txn = NULL;
		if (ret != -ECANCELED)
			break;
	}
	if (ret == -ECANCELED)
		ret = tenet_err_set(err, -EAGAIN, "the store kept changing; gave up after %d tries",
				    MAX_ATTEMPTS);
	if (ret == 0)
		tenet_err_clear(err);
	return ret;
}

/* ---- shared checks ---- */

static int check_vsid(struct pctx *c, uint32_t vsid)
{
	if (vsid < TENET_VSID_MIN || vsid > TENET_VSID_MAX)
		return tenet_err_set(c->err, -EINVAL, "vsid %u: outside %u..%u", vsid,
				     TENET_VSID_MIN, TENET_VSID_MAX);
	return 0;
}

static int check_mac(struct pctx *c, const uint8_t *mac)
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

static int need_rdomain(struct pctx *c, const char *name, struct tenet_rdomain *out)
{
	struct tenet_record id = { .kind = TENET_KIND_RDOMAIN }, rec;
	int ret;

	if (tenet_check_name(name, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "rdomain %s: not a valid name", name);
	snprintf(id.rdomain.name, sizeof(id.rdomain.name), "%s", name);
	ret = load(c, &id, &rec);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "rdomain %s: no such routing domain", name);
	if (ret == 0 && out)
		*out = rec.rdomain;
	return ret;
}

/* The virtual subnet of a VSID; -ENOENT with the message the CLI shows. */
static int need_vsubnet(struct pctx *c, uint32_t vsid, struct tenet_vsubnet *out)
{
	struct tenet_record id = { .kind = TENET_KIND_VSUBNET }, rec;
	int ret;

	id.vsubnet.vsid = vsid;
	ret = load(c, &id, &rec);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "vsid %u: no virtual subnet with this VSID",
				     vsid);
	if (ret == 0)
		*out = rec.vsubnet;
	return ret;
}

/* The subnets of one routing domain. */
static int rdomain_subnets(struct pctx *c, const char *name, struct tenet_record_list *l)
{
	size_t i, n = 0;
	int ret;

	ret = load_kind(c, TENET_KIND_VSUBNET, NULL, l);
	if (ret < 0)
		return ret;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->recs[i].vsubnet.rdomain, name))
			l->recs[n++] = l->recs[i];
	l->n = n;
	return 0;
}

/* The lookup record holding CA ip anywhere in routing domain `name`:
 * 0 and *found filled, or -ENOENT. */
static int find_ca(struct pctx *c, const char *name, uint32_t ip, struct tenet_lookup *found)
{
	struct tenet_record_list subnets;
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP }, rec;
	size_t i;
	int ret;

	ret = rdomain_subnets(c, name, &subnets);
	if (ret < 0)
		return ret;
	ret = -ENOENT;
	id.lookup.has_ca = true;
	id.lookup.ca = ip;
	for (i = 0; i < subnets.n && ret == -ENOENT; i++) {
		id.lookup.vsid = subnets.recs[i].vsubnet.vsid;
		ret = load(c, &id, &rec);
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

	ret = load_kind(c, TENET_KIND_CROUTE, NULL, l);
	if (ret < 0)
		return ret;
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->recs[i].croute.rdomain, name) && l->recs[i].croute.nexthop == ip)
			l->recs[n++] = l->recs[i];
	l->n = n;
	return 0;
}

/* ---- routing domains ---- */

static int rdomain_put(struct pctx *c, void *arg)
{
	struct tenet_rdomain *rd = arg;
	struct tenet_record_list all;
	struct tenet_record rec = { .kind = TENET_KIND_RDOMAIN };
	char g[TENET_GUID_STRLEN];
	uint32_t max = 0;
	size_t i;
	int ret;

	ret = load_kind(c, TENET_KIND_RDOMAIN, NULL, &all);
	if (ret < 0)
		return ret;
	for (i = 0; i < all.n; i++) {
		const struct tenet_rdomain *o = &all.recs[i].rdomain;

		if (!strcmp(o->name, rd->name)) {
			ret = tenet_err_set(c->err, -EEXIST, "rdomain %s: already exists (id %u)",
					    rd->name, o->id);
			goto out;
		}
		if (!memcmp(o->guid, rd->guid, TENET_GUID_LEN)) {
			ret = tenet_err_set(c->err, -EEXIST,
					    "id %s: already used by routing domain %s",
					    tenet_fmt_guid(rd->guid, g), o->name);
			goto out;
		}
		if (o->id > max)
			max = o->id;
	}
	/* Ids are never 0 (0 means "none" in the maps); next after the
	 * highest, so a deleted domain's id is not handed out at once. */
	if (max == UINT32_MAX) {
		ret = tenet_err_set(c->err, -ENOSPC, "rdomain %s: no routing-domain id left",
				    rd->name);
		goto out;
	}
	rd->id = max + 1;
	rec.rdomain = *rd;
	ret = txn_put(c, &rec);
out:
	tenet_record_list_free(&all);
	return ret;
}

static int rdomain_del(struct pctx *c, void *arg)
{
	const char *name = arg;
	struct tenet_record rec = { .kind = TENET_KIND_RDOMAIN };
	struct tenet_record_list subnets = { 0 }, routes = { 0 };
	size_t i;
	int ret;

	ret = need_rdomain(c, name, NULL);
	if (ret < 0)
		return ret;
	ret = rdomain_subnets(c, name, &subnets);
	if (ret < 0)
		goto out;
	if (subnets.n && !(c->flags & TENET_POLICY_FORCE)) {
		ret = tenet_err_set(c->err, -ENOTEMPTY,
				    "rdomain %s: still has %zu virtual subnet%s (use force)", name,
				    subnets.n, subnets.n == 1 ? "" : "s");
		goto out;
	}
	/* force: the domain goes with everything in it. */
	for (i = 0; i < subnets.n && ret == 0; i++) {
		char prefix[TENET_KEY_MAX];

		tenet_lookup_vsid_prefix(subnets.recs[i].vsubnet.vsid, prefix, sizeof(prefix));
		ret = tenet_txn_delete_prefix(c->txn, prefix);
		if (ret == 0)
			ret = txn_del(c, &subnets.recs[i]);
	}
	if (ret == 0)
		ret = load_kind(c, TENET_KIND_CROUTE, NULL, &routes);
	for (i = 0; i < routes.n && ret == 0; i++)
		if (!strcmp(routes.recs[i].croute.rdomain, name))
			ret = txn_del(c, &routes.recs[i]);
	snprintf(rec.rdomain.name, sizeof(rec.rdomain.name), "%s", name);
	if (ret == 0)
		ret = txn_del(c, &rec);
out:
	tenet_record_list_free(&subnets);
	tenet_record_list_free(&routes);
	return ret;
}

/* ---- virtual subnets ---- */

static int vsubnet_put(struct pctx *c, void *arg)
{
	const struct tenet_vsubnet *vs = arg;
	struct tenet_record_list subnets = { 0 };
	struct tenet_record rec = { .kind = TENET_KIND_VSUBNET };
	struct tenet_vsubnet old;
	char p[TENET_PREFIX_STRLEN], q[TENET_PREFIX_STRLEN];
	size_t i;
	int ret;

	ret = check_vsid(c, vs->vsid);
	if (ret < 0)
		return ret;
	tenet_fmt_prefix(&vs->prefix, p);
	if (vs->prefix.addr & ~tenet_prefix_mask(vs->prefix.len))
		return tenet_err_set(c->err, -EINVAL, "prefix %s: host bits set", p);
	/* Network, the .1 distributed router, at least one VM, broadcast. */
	if (vs->prefix.len > 30)
		return tenet_err_set(c->err, -EINVAL,
				     "prefix %s: a virtual subnet needs at least a /30", p);
	ret = need_rdomain(c, vs->rdomain, NULL);
	if (ret < 0)
		return ret;
	ret = need_vsubnet(c, vs->vsid, &old);
	if (ret == 0) {
		if (strcmp(old.rdomain, vs->rdomain))
			return tenet_err_set(c->err, -EEXIST, "vsid %u: already in routing domain %s",
					     vs->vsid, old.rdomain);
		return tenet_err_set(c->err, -EEXIST,
				     "vsid %u: already a virtual subnet of routing domain %s",
				     vs->vsid, old.rdomain);
	}
	if (ret != -ENOENT)
		return ret;
	ret = rdomain_subnets(c, vs->rdomain, &subnets);
	if (ret < 0)
		return ret;
	for (i = 0; i < subnets.n; i++) {
		const struct tenet_vsubnet *o = &subnets.recs[i].vsubnet;

		if (tenet_prefix_overlap(&o->prefix, &vs->prefix)) {
			ret = tenet_err_set(c->err, -EEXIST,
					    "prefix %s: overlaps %s of vsid %u in routing domain %s",
					    p, tenet_fmt_prefix(&o->prefix, q), o->vsid, o->rdomain);
			goto out;
		}
	}
	rec.vsubnet = *vs;
	ret = txn_put(c, &rec);
out:
	tenet_record_list_free(&subnets);
	return ret;
}

/* Routes that die with a subnet: configured on it, or via a CA in it. */
static bool route_depends(const struct tenet_croute *r, const struct tenet_vsubnet *vs,
			  const struct tenet_record_list *lookups)
{
	size_t i;

	if (strcmp(r->rdomain, vs->rdomain))
		return false;
	if (r->vsid == vs->vsid)
		return true;
	for (i = 0; r->nexthop && i < lookups->n; i++)
		if (lookups->recs[i].lookup.has_ca && lookups->recs[i].lookup.ca == r->nexthop)
			return true;
	return false;
}

static int vsubnet_del(struct pctx *c, void *arg)
{
	uint32_t vsid = *(uint32_t *)arg;
	struct tenet_record_list lookups = { 0 }, routes = { 0 };
	struct tenet_record rec = { .kind = TENET_KIND_VSUBNET };
	char prefix[TENET_KEY_MAX];
	size_t i, n = 0;
	int ret;

	ret = need_vsubnet(c, vsid, &rec.vsubnet);
	if (ret < 0)
		return ret;
	ret = load_vsid_lookups(c, vsid, &lookups);
	if (ret == 0)
		ret = load_kind(c, TENET_KIND_CROUTE, NULL, &routes);
	if (ret < 0)
		goto out;
	for (i = 0; i < routes.n; i++)
		if (route_depends(&routes.recs[i].croute, &rec.vsubnet, &lookups))
			routes.recs[n++] = routes.recs[i];
	routes.n = n;
	if ((lookups.n || routes.n) && !(c->flags & TENET_POLICY_FORCE)) {
		ret = tenet_err_set(c->err, -ENOTEMPTY,
				    "vsid %u: still has %zu lookup record%s and %zu customer route%s"
				    " (use force)", vsid, lookups.n, lookups.n == 1 ? "" : "s",
				    routes.n, routes.n == 1 ? "" : "s");
		goto out;
	}
	tenet_lookup_vsid_prefix(vsid, prefix, sizeof(prefix));
	ret = tenet_txn_delete_prefix(c->txn, prefix);
	for (i = 0; i < routes.n && ret == 0; i++)
		ret = txn_del(c, &routes.recs[i]);
	if (ret == 0)
		ret = txn_del(c, &rec);
out:
	tenet_record_list_free(&lookups);
	tenet_record_list_free(&routes);
	return ret;
}

/* ---- lookup records ---- */

/* The CA's place in its subnet: inside it, and not one of the addresses
 * the subnet itself uses. Gateway records may point outside: HNV's
 * gateway (wildcard) record stands for what lies beyond the VM network. */
static int check_ca(struct pctx *c, const struct tenet_lookup *l, const struct tenet_vsubnet *vs)
{
	uint32_t mask = tenet_prefix_mask(vs->prefix.len);
	uint32_t net = vs->prefix.addr, bcast = net | ~mask;
	uint32_t router = htonl(ntohl(net) + 1);
	char a[TENET_IPV4_STRLEN], p[TENET_PREFIX_STRLEN];

	tenet_fmt_ipv4(l->ca, a);
	tenet_fmt_prefix(&vs->prefix, p);
	if (!tenet_prefix_contains(&vs->prefix, l->ca)) {
		if (l->type == TENET_LOOKUP_GATEWAY)
			return 0;
		return tenet_err_set(c->err, -EINVAL, "ca %s: outside %s of vsid %u", a, p,
				     vs->vsid);
	}
	if (l->ca == router)
		return tenet_err_set(c->err, -EINVAL,
				     "ca %s: the distributed router's address in %s", a, p);
	if (l->ca == net || l->ca == bcast)
		return tenet_err_set(c->err, -EINVAL, "ca %s: the %s address of %s", a,
				     l->ca == net ? "network" : "broadcast", p);
	return 0;
}

static int check_lookup_fields(struct pctx *c, const struct tenet_lookup *l)
{
	char a[TENET_IPV4_STRLEN];
	int ret;

	ret = check_vsid(c, l->vsid);
	if (ret == 0)
		ret = check_mac(c, l->mac);
	if (ret < 0)
		return ret;
	if ((unsigned int)l->type > TENET_LOOKUP_DYNAMIC || (unsigned int)l->rule > TENET_RULE_NONE)
		return tenet_err_set(c->err, -EINVAL, "type: unknown record type or rule");
	if (l->type == TENET_LOOKUP_L2ONLY && l->has_ca)
		return tenet_err_set(c->err, -EINVAL, "ca %s: l2only records have no CA IP",
				     tenet_fmt_ipv4(l->ca, a));
	if (l->type != TENET_LOOKUP_L2ONLY && !l->has_ca)
		return tenet_err_set(c->err, -EINVAL, "ca: missing (only l2only records have none)");
	if (!l->pa)
		return tenet_err_set(c->err, -EINVAL, "pa 0.0.0.0: not a provider address");
	return 0;
}

/* Another record of the VSID with the same MAC is a conflict, except
 * what HNV learning makes: an l2only record and the dynamic records
 * learned through it (one per IP the MAC was seen with). */
static bool mac_conflict(const struct tenet_lookup *a, const struct tenet_lookup *b)
{
	if (memcmp(a->mac, b->mac, TENET_MAC_LEN))
		return false;
	if ((a->type == TENET_LOOKUP_L2ONLY && b->type == TENET_LOOKUP_DYNAMIC) ||
	    (b->type == TENET_LOOKUP_L2ONLY && a->type == TENET_LOOKUP_DYNAMIC) ||
	    (a->type == TENET_LOOKUP_DYNAMIC && b->type == TENET_LOOKUP_DYNAMIC))
		return false;
	return true;
}

/* A dynamic record is only learned through an l2only record of the same
 * VSID and MAC at the same PA: a host teaches bindings only for MACs it
 * holds. */
static int check_learned_l2only(struct pctx *c, const struct tenet_lookup *l)
{
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP }, l2;
	char m[TENET_MAC_STRLEN], a[TENET_IPV4_STRLEN], b[TENET_IPV4_STRLEN];
	int ret;

	id.lookup.vsid = l->vsid;
	id.lookup.type = TENET_LOOKUP_L2ONLY;
	memcpy(id.lookup.mac, l->mac, TENET_MAC_LEN);
	ret = load(c, &id, &l2);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -EPERM, "mac %s: no l2only record in vsid %u; "
				     "not learned", tenet_fmt_mac(l->mac, m), l->vsid);
	if (ret < 0)
		return ret;
	if (l2.lookup.pa != l->pa)
		return tenet_err_set(c->err, -EPERM, "mac %s: its l2only record in vsid %u is at "
				     "pa %s, not %s; not learned", tenet_fmt_mac(l->mac, m),
				     l->vsid, tenet_fmt_ipv4(l2.lookup.pa, a),
				     tenet_fmt_ipv4(l->pa, b));
	return 0;
}

static int check_mac_unique(struct pctx *c, const struct tenet_record *rec)
{
	const struct tenet_lookup *l = &rec->lookup;
	struct tenet_record_list same;
	char m[TENET_MAC_STRLEN], a[TENET_IPV4_STRLEN];
	size_t i;
	int ret;

	ret = load_vsid_lookups(c, l->vsid, &same);
	if (ret < 0)
		return ret;
	for (i = 0; i < same.n; i++) {
		const struct tenet_lookup *o = &same.recs[i].lookup;

		if (tenet_record_same_key(&same.recs[i], rec) || !mac_conflict(o, l))
			continue;
		tenet_fmt_mac(l->mac, m);
		if (o->has_ca)
			ret = tenet_err_set(c->err, -EEXIST, "mac %s: already used in vsid %u (ca %s)",
					    m, l->vsid, tenet_fmt_ipv4(o->ca, a));
		else
			ret = tenet_err_set(c->err, -EEXIST,
					    "mac %s: already used in vsid %u (l2only record)", m,
					    l->vsid);
		break;
	}
	tenet_record_list_free(&same);
	return ret;
}

/* The CA must be unique in the routing domain: one record per CA, in the
 * datapath's (routing domain, CA) map. */
static int check_ca_unique(struct pctx *c, const struct tenet_lookup *l, const char *rdomain)
{
	struct tenet_lookup o;
	char a[TENET_IPV4_STRLEN], m[TENET_MAC_STRLEN];
	int ret;

	ret = find_ca(c, rdomain, l->ca, &o);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (o.vsid == l->vsid && (c->flags & TENET_POLICY_REPLACE)) {
		/* Learning never overrides what an operator configured. */
		if (l->type == TENET_LOOKUP_DYNAMIC && o.type != TENET_LOOKUP_DYNAMIC)
			return tenet_err_set(c->err, -EEXIST, "ca %s: already has a %s record in vsid %u",
					     tenet_fmt_ipv4(l->ca, a), tenet_lookup_type_name(o.type),
					     o.vsid);
		return 0;
	}
	return tenet_err_set(c->err, -EEXIST, "ca %s: already used in routing domain %s (vsid %u, mac %s)",
			     tenet_fmt_ipv4(l->ca, a), rdomain, o.vsid, tenet_fmt_mac(o.mac, m));
}

static int lookup_put(struct pctx *c, void *arg)
{
	const struct tenet_lookup *l = arg;
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l }, old;
	struct tenet_vsubnet vs;
	char m[TENET_MAC_STRLEN];
	int ret;

	ret = check_lookup_fields(c, l);
	if (ret == 0)
		ret = need_vsubnet(c, l->vsid, &vs);
	if (ret == 0 && l->has_ca)
		ret = check_ca(c, l, &vs);
	if (ret == 0 && l->has_ca)
		ret = check_ca_unique(c, l, vs.rdomain);
	if (ret == 0 && l->type == TENET_LOOKUP_DYNAMIC)
		ret = check_learned_l2only(c, l);
	if (ret < 0)
		return ret;
	if (!l->has_ca) {
		ret = load(c, &rec, &old);
		if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
			return tenet_err_set(c->err, -EEXIST,
					     "mac %s: already used in vsid %u (l2only record)",
					     tenet_fmt_mac(l->mac, m), l->vsid);
		if (ret < 0 && ret != -ENOENT)
			return ret;
	}
	ret = check_mac_unique(c, &rec);
	if (ret == 0)
		ret = txn_put(c, &rec);
	return ret;
}

/* Refuses (or with force, also deletes) routes whose next hop is a CA
 * about to disappear. */
static int drop_routes_via(struct pctx *c, const char *rdomain, uint32_t ca)
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
		ret = txn_del(c, &routes.recs[i]);
	tenet_record_list_free(&routes);
	return ret;
}

static int lookup_del(struct pctx *c, void *arg)
{
	const struct tenet_lookup *id = arg;
	struct tenet_record_list same = { 0 };
	struct tenet_vsubnet vs;
	char a[TENET_IPV4_STRLEN], m[TENET_MAC_STRLEN];
	size_t i, n = 0;
	int ret;

	ret = check_vsid(c, id->vsid);
	if (ret == 0)
		ret = need_vsubnet(c, id->vsid, &vs);
	if (ret == 0)
		ret = load_vsid_lookups(c, id->vsid, &same);
	if (ret < 0)
		return ret;
	for (i = 0; i < same.n && ret == 0; i++) {
		const struct tenet_lookup *o = &same.recs[i].lookup;

		if (id->has_ca ? !(o->has_ca && o->ca == id->ca) :
				 memcmp(o->mac, id->mac, TENET_MAC_LEN) != 0)
			continue;
		n++;
		if (o->has_ca)
			ret = drop_routes_via(c, vs.rdomain, o->ca);
		if (ret == 0)
			ret = txn_del(c, &same.recs[i]);
	}
	if (ret == 0 && !n) {
		if (id->has_ca)
			ret = tenet_err_set(c->err, -ENOENT, "ca %s: no lookup record in vsid %u",
					    tenet_fmt_ipv4(id->ca, a), id->vsid);
		else
			ret = tenet_err_set(c->err, -ENOENT, "mac %s: no lookup record in vsid %u",
					    tenet_fmt_mac(id->mac, m), id->vsid);
	}
	tenet_record_list_free(&same);
	return ret;
}

/* ---- customer routes ---- */

static int croute_put(struct pctx *c, void *arg)
{
	const struct tenet_croute *r = arg;
	struct tenet_record rec = { .kind = TENET_KIND_CROUTE, .croute = *r }, old;
	struct tenet_vsubnet vs;
	struct tenet_lookup nh;
	char p[TENET_PREFIX_STRLEN], a[TENET_IPV4_STRLEN];
	int ret;

	tenet_fmt_prefix(&r->prefix, p);
	if (r->prefix.addr & ~tenet_prefix_mask(r->prefix.len))
		return tenet_err_set(c->err, -EINVAL, "prefix %s: host bits set", p);
	ret = check_vsid(c, r->vsid);
	if (ret == 0)
		ret = need_rdomain(c, r->rdomain, NULL);
	if (ret == 0)
		ret = need_vsubnet(c, r->vsid, &vs);
	if (ret < 0)
		return ret;
	if (strcmp(vs.rdomain, r->rdomain))
		return tenet_err_set(c->err, -EINVAL, "vsid %u: in routing domain %s, not %s",
				     r->vsid, vs.rdomain, r->rdomain);
	/* 0.0.0.0 is on-link; any other next hop must be a known CA. */
	if (r->nexthop) {
		ret = find_ca(c, r->rdomain, r->nexthop, &nh);
		if (ret == -ENOENT)
			return tenet_err_set(c->err, -ENOENT,
					     "nexthop %s: no lookup record in routing domain %s",
					     tenet_fmt_ipv4(r->nexthop, a), r->rdomain);
		if (ret < 0)
			return ret;
	}
	ret = load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST,
				     "prefix %s: already routed in routing domain %s (nexthop %s)",
				     p, r->rdomain, tenet_fmt_ipv4(old.croute.nexthop, a));
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return txn_put(c, &rec);
}

/* Deletes an existing record by key, or says which argument named nothing. */
static int del_existing(struct pctx *c, const struct tenet_record *id, const char *missing)
{
	struct tenet_record old;
	int ret;

	ret = load(c, id, &old);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "%s", missing);
	/* A corrupt record can still be deleted: that is how it is repaired. */
	if (ret < 0 && ret != -EBADMSG)
		return ret;
	return txn_del(c, id);
}

static int croute_del(struct pctx *c, void *arg)
{
	const struct tenet_record *id = arg;
	char p[TENET_PREFIX_STRLEN], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "prefix %s: no customer route in routing domain %s",
		 tenet_fmt_prefix(&id->croute.prefix, p), id->croute.rdomain);
	return del_existing(c, id, msg);
}

/* ---- per-host records ---- */

static int check_host_dev(struct pctx *c, const char *host, const char *dev)
{
	if (tenet_check_name(host, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "host %s: not a valid host name", host);
	if (dev && tenet_check_ifname(dev, NULL) < 0)
		return tenet_err_set(c->err, -EINVAL, "dev %s: not a valid interface name", dev);
	return 0;
}

static int pa_put(struct pctx *c, void *arg)
{
	const struct tenet_pa *pa = arg;
	struct tenet_record rec = { .kind = TENET_KIND_PA, .pa = *pa };
	struct tenet_record_list all;
	char a[TENET_IPV4_STRLEN];
	size_t i;
	int ret;

	ret = check_host_dev(c, pa->host, pa->dev);
	if (ret < 0)
		return ret;
	tenet_fmt_ipv4(pa->addr.addr, a);
	if (!pa->addr.addr || (ntohl(pa->addr.addr) >> 28) >= 14 || !pa->addr.len)
		return tenet_err_set(c->err, -EINVAL, "pa %s/%u: not a unicast address on a network",
				     a, pa->addr.len);
	if (pa->vlan > 4094)
		return tenet_err_set(c->err, -EINVAL, "vlan %u: outside 0..4094", pa->vlan);
	/* A PA identifies one host on the underlay: unique across hosts. */
	ret = load_kind(c, TENET_KIND_PA, NULL, &all);
	if (ret < 0)
		return ret;
	for (i = 0; i < all.n; i++) {
		const struct tenet_pa *o = &all.recs[i].pa;

		if (o->addr.addr != pa->addr.addr)
			continue;
		if (strcmp(o->host, pa->host) || !(c->flags & TENET_POLICY_REPLACE)) {
			ret = tenet_err_set(c->err, -EEXIST,
					    "pa %s: already a provider address of host %s", a, o->host);
			break;
		}
	}
	tenet_record_list_free(&all);
	if (ret == 0)
		ret = txn_put(c, &rec);
	return ret;
}

static int pa_del(struct pctx *c, void *arg)
{
	const struct tenet_record *id = arg;
	char a[TENET_IPV4_STRLEN], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "pa %s: not a provider address of host %s",
		 tenet_fmt_ipv4(id->pa.addr.addr, a), id->pa.host);
	return del_existing(c, id, msg);
}

static int proute_put(struct pctx *c, void *arg)
{
	const struct tenet_proute *r = arg;
	struct tenet_record rec = { .kind = TENET_KIND_PROUTE, .proute = *r }, old;
	char p[TENET_PREFIX_STRLEN];
	int ret;

	ret = check_host_dev(c, r->host, r->dev);
	if (ret < 0)
		return ret;
	tenet_fmt_prefix(&r->prefix, p);
	if (r->prefix.addr & ~tenet_prefix_mask(r->prefix.len))
		return tenet_err_set(c->err, -EINVAL, "prefix %s: host bits set", p);
	ret = load(c, &rec, &old);
	if (ret == 0 && !(c->flags & TENET_POLICY_REPLACE))
		return tenet_err_set(c->err, -EEXIST,
				     "prefix %s: already has a provider route on host %s", p, r->host);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	return txn_put(c, &rec);
}

static int proute_del(struct pctx *c, void *arg)
{
	const struct tenet_record *id = arg;
	char p[TENET_PREFIX_STRLEN], msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "prefix %s: no provider route on host %s",
		 tenet_fmt_prefix(&id->proute.prefix, p), id->proute.host);
	return del_existing(c, id, msg);
}

static int port_put(struct pctx *c, void *arg)
{
	const struct tenet_port *pt = arg;
	struct tenet_record rec = { .kind = TENET_KIND_PORT, .port = *pt };
	struct tenet_record_list ports;
	struct tenet_vsubnet vs;
	char m[TENET_MAC_STRLEN];
	size_t i;
	int ret;

	ret = check_host_dev(c, pt->host, pt->dev);
	if (ret == 0)
		ret = check_vsid(c, pt->vsid);
	if (ret == 0)
		ret = check_mac(c, pt->mac);
	if (ret == 0)
		ret = need_vsubnet(c, pt->vsid, &vs);
	if (ret == 0)
		ret = load_kind(c, TENET_KIND_PORT, pt->host, &ports);
	if (ret < 0)
		return ret;
	/* The datapath finds a host's port by MAC on decap: unique per host. */
	for (i = 0; i < ports.n; i++) {
		const struct tenet_port *o = &ports.recs[i].port;

		if (!strcmp(o->dev, pt->dev)) {
			if (!(c->flags & TENET_POLICY_REPLACE)) {
				ret = tenet_err_set(c->err, -EEXIST, "dev %s: already a port on host %s",
						    pt->dev, pt->host);
				break;
			}
			continue;
		}
		if (!memcmp(o->mac, pt->mac, TENET_MAC_LEN)) {
			ret = tenet_err_set(c->err, -EEXIST, "mac %s: already used by port %s on host %s",
					    tenet_fmt_mac(pt->mac, m), o->dev, pt->host);
			break;
		}
	}
	tenet_record_list_free(&ports);
	if (ret == 0)
		ret = txn_put(c, &rec);
	return ret;
}

static int port_del(struct pctx *c, void *arg)
{
	const struct tenet_record *id = arg;
	char msg[TENET_ERR_LEN];

	snprintf(msg, sizeof(msg), "dev %s: not a port on host %s", id->port.dev, id->port.host);
	return del_existing(c, id, msg);
}

/* ---- entry points ---- */

int tenet_policy_put(struct tenet_store *s, struct tenet_record *rec, unsigned int flags,
		     int64_t *rev, struct tenet_err *err)
{
	static const uint8_t nil[TENET_GUID_LEN];
	int ret;

	switch (rec->kind) {
	case TENET_KIND_RDOMAIN:
		if (tenet_check_name(rec->rdomain.name, NULL) < 0)
			return tenet_err_set(err, -EINVAL, "rdomain %s: not a valid name",
					     rec->rdomain.name);
		if (flags & TENET_POLICY_REPLACE)
			return tenet_err_set(err, -EOPNOTSUPP,
					     "rdomain %s: routing domains cannot be replaced",
					     rec->rdomain.name);
		/* Generated once, outside the retry loop: a retry must not
		 * hand out a second identity. */
		if (!memcmp(rec->rdomain.guid, nil, TENET_GUID_LEN)) {
			ret = tenet_guid_generate(rec->rdomain.guid);
			if (ret < 0)
				return tenet_err_set(err, ret, "cannot generate a GUID");
		}
		return run(s, rdomain_put, &rec->rdomain, flags, rev, err);
	case TENET_KIND_VSUBNET:
		if (flags & TENET_POLICY_REPLACE)
			return tenet_err_set(err, -EOPNOTSUPP,
					     "vsid %u: virtual subnets cannot be replaced",
					     rec->vsubnet.vsid);
		return run(s, vsubnet_put, &rec->vsubnet, flags, rev, err);
	case TENET_KIND_LOOKUP:
		return run(s, lookup_put, &rec->lookup, flags, rev, err);
	case TENET_KIND_CROUTE:
		return run(s, croute_put, &rec->croute, flags, rev, err);
	case TENET_KIND_PA:
		return run(s, pa_put, &rec->pa, flags, rev, err);
	case TENET_KIND_PROUTE:
		return run(s, proute_put, &rec->proute, flags, rev, err);
	case TENET_KIND_PORT:
		return run(s, port_put, &rec->port, flags, rev, err);
	default:
		return tenet_gw_policy_put(s, rec, flags, rev, err);
	}
}

int tenet_policy_del(struct tenet_store *s, const struct tenet_record *id, unsigned int flags,
		     int64_t *rev, struct tenet_err *err)
{
	struct tenet_record copy = *id;

	switch (id->kind) {
	case TENET_KIND_RDOMAIN:
		return run(s, rdomain_del, copy.rdomain.name, flags, rev, err);
	case TENET_KIND_VSUBNET:
		return run(s, vsubnet_del, &copy.vsubnet.vsid, flags, rev, err);
	case TENET_KIND_LOOKUP:
		return run(s, lookup_del, &copy.lookup, flags, rev, err);
	case TENET_KIND_CROUTE:
		return run(s, croute_del, &copy, flags, rev, err);
	case TENET_KIND_PA:
		return run(s, pa_del, &copy, flags, rev, err);
	case TENET_KIND_PROUTE:
		return run(s, proute_del, &copy, flags, rev, err);
	case TENET_KIND_PORT:
		return run(s, port_del, &copy, flags, rev, err);
	default:
		return tenet_gw_policy_del(s, id, flags, rev, err);
	}
}

int tenet_policy_learned(struct tenet_store *s, const struct tenet_lookup *l, int64_t *rev,
			 struct tenet_err *err)
{
	struct tenet_record rec = { .kind = TENET_KIND_LOOKUP, .lookup = *l };

	rec.lookup.type = TENET_LOOKUP_DYNAMIC;
	return tenet_policy_put(s, &rec, TENET_POLICY_REPLACE, rev, err);
}

/* Deletes the dynamic record at the binding's key if it still says what
 * the caller aged (same MAC and PA); anything else there is left. */
static int lookup_unlearn(struct pctx *c, void *arg)
{
	const struct tenet_lookup *l = arg;
	struct tenet_record id = { .kind = TENET_KIND_LOOKUP, .lookup = *l }, cur;
	char a[TENET_IPV4_STRLEN];
	int ret;

	id.lookup.type = TENET_LOOKUP_DYNAMIC;
	ret = load(c, &id, &cur);
	if (ret == -ENOENT)
		return tenet_err_set(c->err, -ENOENT, "ca %s: no record in vsid %u",
				     tenet_fmt_ipv4(l->ca, a), l->vsid);
	if (ret < 0)
		return ret;
	if (cur.lookup.type != TENET_LOOKUP_DYNAMIC || cur.lookup.pa != l->pa ||
	    memcmp(cur.lookup.mac, l->mac, TENET_MAC_LEN))
		return tenet_err_set(c->err, -ESTALE, "ca %s: the record in vsid %u changed; "
				     "left as it is", tenet_fmt_ipv4(l->ca, a), l->vsid);
	return txn_del(c, &cur);
}

int tenet_policy_unlearn(struct tenet_store *s, const struct tenet_lookup *l, int64_t *rev,
			 struct tenet_err *err)
{
	struct tenet_lookup copy = *l;

	if (!l->has_ca)
		return tenet_err_set(err, -EINVAL, "ca: missing (a learned binding has one)");
	return run(s, lookup_unlearn, &copy, 0, rev, err);
}

/* ---- listing ---- */

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_prefix(const struct tenet_prefix *a, const struct tenet_prefix *b)
{
	int r = cmp_u32(ntohl(a->addr), ntohl(b->addr));

	return r ? r : cmp_u32(a->len, b->len);
}

static int record_cmp(const void *pa, const void *pb)
{
	const struct tenet_record *a = pa, *b = pb;
	int r;

	switch (a->kind) {
	case TENET_KIND_RDOMAIN:
		return cmp_u32(a->rdomain.id, b->rdomain.id);
	case TENET_KIND_VSUBNET:
		return cmp_u32(a->vsubnet.vsid, b->vsubnet.vsid);
	case TENET_KIND_LOOKUP:
		r = cmp_u32(a->lookup.vsid, b->lookup.vsid);
		if (!r)
			r = cmp_u32(!a->lookup.has_ca, !b->lookup.has_ca);
		if (!r)
			r = cmp_u32(ntohl(a->lookup.ca), ntohl(b->lookup.ca));
		return r ? r : memcmp(a->lookup.mac, b->lookup.mac, TENET_MAC_LEN);
	case TENET_KIND_CROUTE:
		r = strcmp(a->croute.rdomain, b->croute.rdomain);
		return r ? r : cmp_prefix(&a->croute.prefix, &b->croute.prefix);
	case TENET_KIND_PA:
		r = strcmp(a->pa.host, b->pa.host);
		return r ? r : cmp_u32(ntohl(a->pa.addr.addr), ntohl(b->pa.addr.addr));
	case TENET_KIND_PROUTE:
		r = strcmp(a->proute.host, b->proute.host);
		return r ? r : cmp_prefix(&a->proute.prefix, &b->proute.prefix);
	case TENET_KIND_PORT:
		r = strcmp(a->port.host, b->port.host);
		return r ? r : strcmp(a->port.dev, b->port.dev);
	default:
		return tenet_gw_record_cmp(a, b);
	}
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

/* ---- shared with policy_gw.c (policy_int.h) ---- */

int pol_run(struct tenet_store *s, build_fn fn, void *arg, unsigned int flags, int64_t *rev,
	    struct tenet_err *err)
{
	return run(s, fn, arg, flags, rev, err);
}

int pol_load(struct pctx *c, const struct tenet_record *id, struct tenet_record *out)
{
	return load(c, id, out);
}

int pol_load_kind(struct pctx *c, enum tenet_kind kind, const char *host,
		  struct tenet_record_list *l)
{
	return load_kind(c, kind, host, l);
}

int pol_txn_put(struct pctx *c, const struct tenet_record *rec)
{
	return txn_put(c, rec);
}

int pol_txn_del(struct pctx *c, const struct tenet_record *rec)
{
	return txn_del(c, rec);
}

int pol_need_rdomain(struct pctx *c, const char *name, struct tenet_rdomain *out)
{
	return need_rdomain(c, name, out);
}

int pol_need_vsubnet(struct pctx *c, uint32_t vsid, struct tenet_vsubnet *out)
{
	return need_vsubnet(c, vsid, out);
}

int pol_find_ca(struct pctx *c, const char *rdomain, uint32_t ip, struct tenet_lookup *found)
{
	return find_ca(c, rdomain, ip, found);
}

int pol_lookup_put(struct pctx *c, struct tenet_lookup *l)
{
	return lookup_put(c, l);
}

int pol_drop_routes_via(struct pctx *c, const char *rdomain, uint32_t ca)
{
	return drop_routes_via(c, rdomain, ca);
}

int pol_check_mac(struct pctx *c, const uint8_t *mac)
{
	return check_mac(c, mac);
}

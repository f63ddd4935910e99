// SPDX-License-Identifier: GPL-2.0
/* The kind registry (lib/kinds/registry.h) as a table: every enum value
 * has a consistent row, names and key prefixes are unique; every kind
 * round-trips key <-> record and JSON <-> record; and every field check
 * of every row fails with its exact message. The tests walk the rows, so
 * a new kind is covered once it has a sample below (a kind without one
 * fails test_every_kind_has_a_sample). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "kinds/codec.h"
#include "kinds/record.h"
#include "secret/secret.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- one sample record of every kind, every optional field set ---- */

/* A host key and a secret sealed to it, made once. */
static char sample_pub[64], sample_id[TENET_KEY_ID_LEN + 1], sample_sealed[TENET_S2S_SEALED_MAX + 1];

static void sample_keys(void)
{
	unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	char *sealed = NULL;

	if (sample_pub[0])
		return;
	assert_true(sodium_init() >= 0);
	crypto_box_keypair(pk, sk);
	sodium_bin2base64(sample_pub, sizeof(sample_pub), pk, sizeof(pk),
			  sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(tenet_pubkey_id(sample_pub, sample_id, NULL), 0);
	assert_int_equal(tenet_secret_seal(sample_pub, "/tenet/v1/host/gw/s2s/IfWe1#secret",
					   "abc", 3, &sealed, NULL), 0);
	snprintf(sample_sealed, sizeof(sample_sealed), "%s", sealed);
	free(sealed);
}

static bool sample(enum tenet_kind kind, struct tenet_record *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	switch (kind) {
	case TENET_KIND_RDOMAIN:
		strcpy(r->rdomain.name, "Contoso");
		tenet_parse_guid("1b3c5d7e-9fa0-41b2-83c4-d5e6f708192a", r->rdomain.guid, NULL);
		r->rdomain.id = 7;
		return true;
	case TENET_KIND_VSUBNET:
		r->vsubnet.vsid = 5001;
		strcpy(r->vsubnet.rdomain, "Contoso");
		tenet_parse_prefix("10.0.0.0/24", &r->vsubnet.prefix, NULL);
		return true;
	case TENET_KIND_LOOKUP:
		r->lookup.vsid = 5001;
		r->lookup.has_ca = true;
		tenet_parse_ipv4("10.0.0.5", &r->lookup.ca, NULL);
		tenet_parse_mac("00:11:22:33:44:55", r->lookup.mac, NULL);
		tenet_parse_ipv4("192.168.4.11", &r->lookup.pa, NULL);
		r->lookup.type = TENET_LOOKUP_GATEWAY;
		r->lookup.rule = TENET_RULE_NONE;
		return true;
	case TENET_KIND_CROUTE:
		strcpy(r->croute.rdomain, "Contoso");
		r->croute.vsid = 5001;
		tenet_parse_prefix("10.9.0.0/16", &r->croute.prefix, NULL);
		tenet_parse_ipv4("10.0.0.5", &r->croute.nexthop, NULL);
		r->croute.metric = 10;
		return true;
	case TENET_KIND_PA:
		strcpy(r->pa.host, "host1");
		tenet_parse_addr_len("192.168.4.11/24", &r->pa.addr, NULL);
		strcpy(r->pa.dev, "eth0");
		r->pa.vlan = 100;
		return true;
	case TENET_KIND_PROUTE:
		strcpy(r->proute.host, "host1");
		tenet_parse_prefix("192.168.5.0/24", &r->proute.prefix, NULL);
		strcpy(r->proute.dev, "eth0");
		tenet_parse_ipv4("192.168.4.1", &r->proute.via, NULL);
		return true;
	case TENET_KIND_PORT:
		strcpy(r->port.host, "host1");
		strcpy(r->port.dev, "veth1");
		r->port.vsid = 5001;
		tenet_parse_mac("00:11:22:33:44:66", r->port.mac, NULL);
		return true;
	case TENET_KIND_COMPARTMENT:
		strcpy(r->compartment.host, "gw");
		strcpy(r->compartment.name, "Contoso");
		strcpy(r->compartment.rdomain, "Contoso");
		r->compartment.id = 3;
		r->compartment.vsid = 5999;
		tenet_parse_addr_len("10.0.254.2/24", &r->compartment.addr, NULL);
		tenet_gw_default_mac("gw", "Contoso", r->compartment.mac);
		strcpy(r->compartment.ext_dev, "eth1");
		tenet_parse_addr_len("10.229.200.2/24", &r->compartment.ext_addr, NULL);
		r->compartment.rate_int = (struct tenet_rate){ .set = true, .tx = 1024, .rx = 0 };
		r->compartment.rate_ext = (struct tenet_rate){ .set = true, .tx = 0, .rx = 2048 };
		return true;
	case TENET_KIND_NAT:
		strcpy(r->nat.host, "gw");
		strcpy(r->nat.rdomain, "Contoso");
		tenet_parse_ipv4("203.0.113.1", &r->nat.external, NULL);
		tenet_parse_ipv4("203.0.113.254", &r->nat.via, NULL);
		r->nat.port_min = 20000;
		r->nat.port_max = 29999;
		return true;
	case TENET_KIND_NATMAP:
		strcpy(r->natmap.host, "gw");
		strcpy(r->natmap.rdomain, "Contoso");
		r->natmap.proto = 17;
		tenet_parse_ipv4("203.0.113.1", &r->natmap.external, NULL);
		r->natmap.ext_port = 5353;
		tenet_parse_ipv4("10.0.0.5", &r->natmap.ca, NULL);
		r->natmap.ca_port = 53;
		return true;
	case TENET_KIND_S2S:
		sample_keys();
		strcpy(r->s2s.host, "gw");
		strcpy(r->s2s.name, "IfWe1");
		strcpy(r->s2s.rdomain, "Woodgrove");
		r->s2s.id = 2;
		strcpy(r->s2s.destination, "59.10.10.100");
		tenet_parse_ipv4("131.107.10.10", &r->s2s.source, NULL);
		r->s2s.auth = TENET_S2S_EAP;
		strcpy(r->s2s.peer, "IfWe1");
		strcpy(r->s2s.secret, sample_sealed);
		r->s2s.mode = TENET_S2S_RESPONDER;
		r->s2s.dpd = 10;
		r->s2s.retry = 30;
		r->s2s.nroutes = 2;
		tenet_parse_prefix("10.1.0.0/24", &r->s2s.routes[0].prefix, NULL);
		r->s2s.routes[0].metric = 100;
		tenet_parse_prefix("10.2.0.0/24", &r->s2s.routes[1].prefix, NULL);
		r->s2s.routes[1].metric = 200;
		r->s2s.npost = 1;
		tenet_parse_prefix("10.9.0.0/16", &r->s2s.post[0].prefix, NULL);
		r->s2s.post[0].metric = 100;
		r->s2s.rate = (struct tenet_rate){ .set = true, .tx = 1024, .rx = 1024 };
		return true;
	case TENET_KIND_PUBKEY:
		sample_keys();
		strcpy(r->pubkey.host, "gw");
		strcpy(r->pubkey.id, sample_id);
		strcpy(r->pubkey.pubkey, sample_pub);
		return true;
	case TENET_KIND_FILTER:
		strcpy(r->filter.host, "gw");
		r->filter.id = 3;
		r->filter.on = TENET_FILTER_INTERNAL;
		strcpy(r->filter.iface, "Contoso");
		r->filter.dir = TENET_FILTER_OUT;
		r->filter.action = TENET_FILTER_DENY;
		tenet_parse_prefix("10.0.0.0/24", &r->filter.src, NULL);
		tenet_parse_prefix("10.1.0.0/24", &r->filter.dst, NULL);
		r->filter.proto = 6;
		r->filter.sport_min = r->filter.sport_max = 1234;
		r->filter.dport_min = 4000;
		r->filter.dport_max = 4321;
		return true;
	case TENET_KIND_FILTERMODE:
		strcpy(r->filtermode.host, "gw");
		r->filtermode.on = TENET_FILTER_S2S;
		strcpy(r->filtermode.iface, "IfCe1");
		r->filtermode.dir = TENET_FILTER_IN;
		r->filtermode.mode = TENET_FILTER_ALLOW_LIST;
		return true;
	case TENET_KIND_RAVPN:
		strcpy(r->ravpn.host, "gw");
		strcpy(r->ravpn.rdomain, "Contoso");
		tenet_parse_prefix("10.10.0.0/24", &r->ravpn.pool, NULL);
		strcpy(r->ravpn.pool6, "fd00:10::/64");
		strcpy(r->ravpn.tenant, "*Contoso*");
		r->ravpn.max = 100;
		r->ravpn.ndns = 1;
		tenet_parse_ipv4("10.0.0.53", &r->ravpn.dns[0].addr, NULL);
		r->ravpn.rate = (struct tenet_rate){ .set = true, .tx = 5120, .rx = 5120 };
		return true;
	case TENET_KIND_RAVPNRADIUS:
		sample_keys();
		strcpy(r->ravpnradius.host, "gw");
		tenet_parse_ipv4("10.9.0.2", &r->ravpnradius.server, NULL);
		r->ravpnradius.port = 1812;
		strcpy(r->ravpnradius.secret, sample_sealed);
		return true;
	case TENET_KIND_RAVPNGW:
		strcpy(r->ravpngw.host, "gw");
		r->ravpngw.max = 500;
		return true;
	case TENET_KIND_BGP:
		strcpy(r->bgp.host, "gw");
		strcpy(r->bgp.rdomain, "Woodgrove");
		r->bgp.asn = 65412;
		tenet_parse_ipv4("10.0.254.2", &r->bgp.router_id, NULL);
		return true;
	case TENET_KIND_BGPNBR:
		strcpy(r->bgpnbr.host, "gw");
		strcpy(r->bgpnbr.rdomain, "Woodgrove");
		tenet_parse_ipv4("10.1.0.1", &r->bgpnbr.address, NULL);
		r->bgpnbr.remote_as = 65413;
		r->bgpnbr.bfd = 1;
		strcpy(r->bgpnbr.via, "IfWe1");
		return true;
	default:
		return false;
	}
}

/* A second sample, for fields that cannot be set together with others
 * (a compartment's internal side is a virtual subnet or a VLAN). */
static bool sample_alt(enum tenet_kind kind, struct tenet_record *r)
{
	if (kind == TENET_KIND_FILTER) {
		/* ICMP type and code instead of ports. */
		sample(kind, r);
		r->filter.proto = 1;
		r->filter.sport_min = r->filter.sport_max = 0;
		r->filter.dport_min = r->filter.dport_max = 0;
		r->filter.has_icmp_type = r->filter.has_icmp_code = true;
		r->filter.icmp_type = 8;
		return true;
	}
	if (kind != TENET_KIND_COMPARTMENT)
		return false;
	sample(kind, r);
	r->compartment.vsid = 0;
	r->compartment.vlan = 4000;
	strcpy(r->compartment.vlan_dev, "eth1");
	return true;
}

static void test_every_kind_has_a_sample(void **state)
{
	struct tenet_record r;

	for (int k = TENET_KIND_NONE + 1; k < TENET_KIND_MAX; k++)
		if (!sample((enum tenet_kind)k, &r))
			fail_msg("kind %s has no sample in test_registry.c", tenet_kind_name(k));
}

/* ---- consistency of the table ---- */

static size_t type_size(const struct tenet_field *f)
{
	switch (f->type) {
	case TENET_FT_NAME:
		return TENET_NAME_MAX + 1;
	case TENET_FT_IFNAME:
		return TENET_IFNAME_MAX + 1;
	case TENET_FT_U32:
	case TENET_FT_IPV4:
		return 4;
	case TENET_FT_U16:
		return 2;
	case TENET_FT_PREFIX:
	case TENET_FT_ADDR_LEN:
		return sizeof(struct tenet_prefix);
	case TENET_FT_MAC:
		return TENET_MAC_LEN;
	case TENET_FT_GUID:
		return TENET_GUID_LEN;
	case TENET_FT_ENUM:
		return f->size == 1 ? 1 : sizeof(int);
	case TENET_FT_OBJECT:
	case TENET_FT_TEXT:
	case TENET_FT_ARRAY:
		return f->size;
	default:
		return 0;
	}
}

static void check_fields(const struct tenet_kind_desc *d, const struct tenet_field *fields,
			 const char *where)
{
	for (const struct tenet_field *f = fields; f->name; f++) {
		if (f->size != type_size(f) || f->off + f->size > d->size)
			fail_msg("%s.%s: size %zu at %zu does not fit its type", where, f->name,
				 f->size, f->off);
		for (const struct tenet_field *g = f + 1; g->name; g++)
			if (!strcmp(f->name, g->name))
				fail_msg("%s.%s: named twice", where, f->name);
		if (f->type == TENET_FT_ENUM && (!f->enumdef || !f->enumdef->invalid))
			fail_msg("%s.%s: an enum without names", where, f->name);
		if ((f->type == TENET_FT_U32 || f->type == TENET_FT_U16) && f->min > f->max)
			fail_msg("%s.%s: empty range", where, f->name);
		if ((f->flags & (TENET_F_OMIT | TENET_F_PRESENCE)) &&
		    (!f->when_size || f->when_off + f->when_size > d->size))
			fail_msg("%s.%s: its condition is outside the struct", where, f->name);
		if (f->type == TENET_FT_OBJECT) {
			assert_non_null(f->sub);
			check_fields(d, f->sub, f->name);
		}
		if (f->type == TENET_FT_ARRAY) {
			/* whole elements, and a uint16_t count */
			assert_non_null(f->sub);
			assert_true(f->max > 0 && f->size % f->max == 0);
			assert_int_equal(f->when_size, sizeof(uint16_t));
			for (const struct tenet_field *s = f->sub; s->name; s++)
				if (s->off + s->size > f->size / f->max)
					fail_msg("%s.%s.%s: outside its element", where, f->name,
						 s->name);
		}
	}
}

static void test_table(void **state)
{
	char pk[TENET_KIND_MAX][TENET_KEY_MAX];

	assert_null(tenet_kind_get(TENET_KIND_NONE));
	assert_null(tenet_kind_get(TENET_KIND_MAX));
	assert_null(tenet_kind_name(TENET_KIND_MAX));
	for (int k = TENET_KIND_NONE + 1; k < TENET_KIND_MAX; k++) {
		const struct tenet_kind_desc *d = tenet_kind_get(k);
		size_t nfields = 0;

		assert_non_null(d);
		assert_int_equal(d->kind, k);
		assert_non_null(d->name);
		assert_string_equal(tenet_kind_name(k), d->name);
		assert_ptr_equal(tenet_kind_find(d->scope, d->name, strlen(d->name)), d);
		assert_true(d->size > 0 && d->size < sizeof(struct tenet_record));
		assert_true(d->scope == TENET_SCOPE_GLOBAL || d->scope == TENET_SCOPE_HOST);
		if (d->scope == TENET_SCOPE_HOST) {
			const struct tenet_field *f;

			for (f = d->fields; f->name && f->off != d->host_off; f++)
				;
			if (!f->name || f->type != TENET_FT_NAME)
				fail_msg("%s: its host is not a name field", d->name);
		}
		/* every piece a row needs */
		assert_non_null(d->fields);
		assert_non_null(d->sort);
		assert_non_null(d->guards);
		assert_non_null(d->put);
		assert_non_null(d->del);
		assert_true(d->nkeys >= 1);
		check_fields(d, d->fields, d->name);
		for (const struct tenet_field *f = d->fields; f->name; f++)
			nfields++;
		if (d->decode_order) {
			/* every field that is not LATE, once */
			unsigned int seen = 0, want = 0;

			for (size_t i = 0; i < nfields; i++)
				if (!(d->fields[i].flags & TENET_F_LATE))
					want |= 1u << i;
			for (const int *i = d->decode_order; *i >= 0; i++) {
				assert_true((size_t)*i < nfields);
				assert_false(seen & 1u << *i);
				seen |= 1u << *i;
			}
			assert_int_equal(seen, want);
		}
		for (size_t i = 0; i < d->nkeys; i++) {
			const struct tenet_klayout *l = &d->keys[i];
			int n = 0;

			for (; l->parts[n].type != TENET_KP_END; n++) {
				const struct tenet_kpart *p = &l->parts[n];

				assert_true(p->type == TENET_KP_LIT || p->off + p->size <= d->size);
				assert_true(p->type != TENET_KP_LIT || p->lit);
				assert_true(p->type != TENET_KP_ENUM || p->enumdef);
			}
			assert_true(n >= 1 && n <= TENET_KEY_PARTS);
			/* only the last layout may apply to every record */
			assert_true(l->applies || i == d->nkeys - 1);
		}
		for (const struct tenet_sortkey *s = d->sort; s->type != TENET_FT_NONE; s++)
			assert_true(s->off + s->size <= d->size);
		/* names unique */
		for (int o = k + 1; o < TENET_KIND_MAX; o++)
			if (!strcmp(tenet_kind_name(o), d->name))
				fail_msg("kind name %s used twice", d->name);
		assert_int_equal(tenet_kind_prefix(k, "h1", pk[k], sizeof(pk[k])), 0);
	}
	/* key prefixes unique, and none holds another's keys */
	for (int k = TENET_KIND_NONE + 1; k < TENET_KIND_MAX; k++)
		for (int o = TENET_KIND_NONE + 1; o < TENET_KIND_MAX; o++)
			if (o != k && !strncmp(pk[k], pk[o], strlen(pk[k])))
				fail_msg("key prefix %s of %s covers %s of %s", pk[k],
					 tenet_kind_name(k), pk[o], tenet_kind_name(o));
}

/* ---- round trips ---- */

static void round_trip(const struct tenet_record *r)
{
	struct tenet_err err = { 0 };
	struct tenet_record back, id;
	char key[TENET_KEY_MAX], prefix[TENET_KEY_MAX];
	const char *host = tenet_record_name_field(r, "host");
	json_t *j = tenet_record_to_json(r);
	char *text;

	assert_non_null(j);
	/* JSON <-> record */
	if (tenet_record_from_json(r->kind, j, &back, &err) < 0)
		fail_msg("%s: %s", tenet_kind_name(r->kind), err.msg);
	assert_memory_equal(&back, r, sizeof(back));
	/* key <-> record identity, under the kind's prefix */
	assert_int_equal(tenet_record_key(r, key, sizeof(key)), 0);
	assert_int_equal(tenet_kind_prefix(r->kind, host, prefix, sizeof(prefix)), 0);
	assert_memory_equal(key, prefix, strlen(prefix));
	assert_int_equal(tenet_record_from_key(key, &id, &err), 0);
	assert_int_equal(id.kind, r->kind);
	assert_true(tenet_record_same_key(&id, r));
	/* the stored text decodes to the same record */
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(tenet_record_decode(key, text, &back, &err), 0);
	assert_memory_equal(&back, r, sizeof(back));
	free(text);
	json_decref(j);
}

static void test_round_trips(void **state)
{
	struct tenet_record r;

	for (int k = TENET_KIND_NONE + 1; k < TENET_KIND_MAX; k++) {
		assert_true(sample(k, &r));
		round_trip(&r);
	}
	/* the other shapes: an l2only lookup (keyed by MAC), an on-link
	 * provider route, a NAT without a range, a compartment without an
	 * external interface */
	sample(TENET_KIND_LOOKUP, &r);
	r.lookup.has_ca = false;
	r.lookup.ca = 0;
	r.lookup.type = TENET_LOOKUP_L2ONLY;
	round_trip(&r);
	sample(TENET_KIND_PROUTE, &r);
	r.proute.via = 0;
	round_trip(&r);
	sample(TENET_KIND_NAT, &r);
	r.nat.port_min = r.nat.port_max = 0;
	r.nat.via = 0;
	round_trip(&r);
	sample(TENET_KIND_COMPARTMENT, &r);
	memset(r.compartment.ext_dev, 0, sizeof(r.compartment.ext_dev));
	memset(&r.compartment.ext_addr, 0, sizeof(r.compartment.ext_addr));
	round_trip(&r);
	sample_alt(TENET_KIND_COMPARTMENT, &r);
	round_trip(&r);
}

/* ---- every field check, with its message ---- */

/* A string the field's type refuses, and why. */
static const char *bad_string(const struct tenet_field *f, char *why, size_t len)
{
	static const struct {
		enum tenet_ftype type;
		const char *bad;
	} bad[] = {
		{ TENET_FT_NAME, "a b" },           { TENET_FT_IFNAME, "a/b" },
		{ TENET_FT_IPV4, "10.0.0" },        { TENET_FT_PREFIX, "10.0.0.1/24" },
		{ TENET_FT_ADDR_LEN, "10.0.0.1" },  { TENET_FT_MAC, "00:11:22" },
		{ TENET_FT_GUID, "not-a-guid" },    { TENET_FT_ENUM, "nope" },
		{ TENET_FT_TEXT, "a\tb" },
	};
	struct tenet_err e = { 0 };
	uint8_t buf[64];
	struct tenet_prefix p;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (bad[i].type != f->type)
			continue;
		switch (f->type) {
		case TENET_FT_NAME:
			assert_true(tenet_check_name(bad[i].bad, &e) < 0);
			break;
		case TENET_FT_IFNAME:
			assert_true(tenet_check_ifname(bad[i].bad, &e) < 0);
			break;
		case TENET_FT_IPV4:
			assert_true(tenet_parse_ipv4(bad[i].bad, (uint32_t *)buf, &e) < 0);
			break;
		case TENET_FT_PREFIX:
			assert_true(tenet_parse_prefix(bad[i].bad, &p, &e) < 0);
			break;
		case TENET_FT_ADDR_LEN:
			assert_true(tenet_parse_addr_len(bad[i].bad, &p, &e) < 0);
			break;
		case TENET_FT_MAC:
			assert_true(tenet_parse_mac(bad[i].bad, buf, &e) < 0);
			break;
		case TENET_FT_GUID:
			assert_true(tenet_parse_guid(bad[i].bad, buf, &e) < 0);
			break;
		case TENET_FT_ENUM:
			snprintf(e.msg, sizeof(e.msg), "%s", f->enumdef->invalid);
			break;
		case TENET_FT_TEXT:
			snprintf(e.msg, sizeof(e.msg), "contains a control character");
			break;
		default:
			break;
		}
		snprintf(why, len, "%s", e.msg);
		return bad[i].bad;
	}
	return NULL;
}

static void expect(enum tenet_kind kind, json_t *j, const char *want)
{
	struct tenet_err err = { 0 };
	struct tenet_record r;
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int ret = tenet_record_from_json(kind, j, &r, &err);

	if (want && (ret >= 0 || strcmp(err.msg, want)))
		fail_msg("%s %s: got %d '%s', want '%s'", tenet_kind_name(kind), text, ret,
			 err.msg, want);
	if (!want && ret < 0)
		fail_msg("%s %s: refused: %s", tenet_kind_name(kind), text, err.msg);
	free(text);
}

/* Mutations of one member of obj (member f of the sample's JSON j, whose
 * messages start with pfx) each fail with the message the field's type
 * promises. */
static void check_field(enum tenet_kind kind, json_t *root, json_t *obj,
			const struct tenet_field *f, const char *pfx)
{
	const struct tenet_kind_desc *d = tenet_kind_get(kind);
	json_t *keep = json_deep_copy(json_object_get(obj, f->name));
	char want[2 * TENET_ERR_LEN], why[TENET_ERR_LEN], name[128];
	const char *bad;

	assert_non_null(keep);
	snprintf(name, sizeof(name), "%s%s", pfx, f->name);
	/* absent: refused if required; an optional one may still be needed
	 * by the row's check (test_cross_field_checks) */
	json_object_del(obj, f->name);
	snprintf(want, sizeof(want), "%s: missing", name);
	if (!(f->flags & (TENET_F_OPTIONAL | TENET_F_PRESENCE)))
		expect(kind, root, want);
	else if (!d->check)
		expect(kind, root, NULL);
	/* the wrong JSON type */
	switch (f->type) {
	case TENET_FT_U32:
	case TENET_FT_U16:
		json_object_set_new(obj, f->name, json_string("1"));
		snprintf(want, sizeof(want), "%s: not an integer", name);
		expect(kind, root, want);
		/* the range's ends */
		snprintf(want, sizeof(want), "%s: outside %u..%u", name, f->min, f->max);
		if (f->min > 0) {
			json_object_set_new(obj, f->name, json_integer((json_int_t)f->min - 1));
			expect(kind, root, want);
		}
		json_object_set_new(obj, f->name, json_integer((json_int_t)f->max + 1));
		expect(kind, root, want);
		break;
	case TENET_FT_OBJECT:
		json_object_set_new(obj, f->name, json_integer(1));
		snprintf(want, sizeof(want), "%s: not a JSON object", name);
		expect(kind, root, want);
		json_object_set(obj, f->name, keep);
		snprintf(name, sizeof(name), "%s%s: ", pfx, f->name);
		for (const struct tenet_field *s = f->sub; s->name; s++)
			check_field(kind, root, json_object_get(obj, f->name), s, name);
		break;
	case TENET_FT_ARRAY:
		json_object_set_new(obj, f->name, json_integer(1));
		snprintf(want, sizeof(want), "%s: not a JSON array", name);
		expect(kind, root, want);
		json_object_set_new(obj, f->name, json_pack("[i]", 1));
		snprintf(want, sizeof(want), "%s[0]: not a JSON object", name);
		expect(kind, root, want);
		/* one element too many */
		json_object_set_new(obj, f->name, json_array());
		for (uint32_t i = 0; i <= f->max; i++)
			json_array_append(json_object_get(obj, f->name),
					  json_array_get(keep, 0));
		snprintf(want, sizeof(want), "%s: more than %u", name, f->max);
		expect(kind, root, want);
		/* the element's fields, on the first element */
		json_object_set(obj, f->name, keep);
		assert_true(json_array_size(keep) > 0);
		snprintf(name, sizeof(name), "%s%s[0]: ", pfx, f->name);
		for (const struct tenet_field *s = f->sub; s->name; s++)
			check_field(kind, root, json_array_get(json_object_get(obj, f->name), 0), s,
				    name);
		break;
	default:
		json_object_set_new(obj, f->name, json_integer(1));
		snprintf(want, sizeof(want), "%s: not a string", name);
		expect(kind, root, want);
		bad = bad_string(f, why, sizeof(why));
		assert_non_null(bad);
		json_object_set_new(obj, f->name, json_string(bad));
		snprintf(want, sizeof(want), "%s: %s", name, why);
		expect(kind, root, want);
		break;
	}
	json_object_set_new(obj, f->name, keep);
	expect(kind, root, NULL);
}

static void test_field_checks(void **state)
{
	struct tenet_record r;

	for (int k = TENET_KIND_NONE + 1; k < TENET_KIND_MAX; k++) {
		const struct tenet_kind_desc *d = tenet_kind_get(k);
		json_t *j, *alt = NULL;

		assert_true(sample(k, &r));
		j = tenet_record_to_json(&r);
		if (sample_alt(k, &r))
			alt = tenet_record_to_json(&r);
		/* every field in one of the samples, checked there */
		for (const struct tenet_field *f = d->fields; f->name; f++) {
			if (json_object_get(j, f->name))
				check_field(k, j, j, f, "");
			else if (alt && json_object_get(alt, f->name))
				check_field(k, alt, alt, f, "");
			else
				fail_msg("%s.%s: in no sample", d->name, f->name);
		}
		json_decref(j);
		json_decref(alt);
		/* not an object at all */
		j = json_array();
		expect(k, j, "value is not a JSON object");
		json_decref(j);
	}
}

/* The checks across fields, and decode order deciding which of two bad
 * fields is reported. */
static void test_cross_field_checks(void **state)
{
	struct tenet_record r;
	json_t *j;

	sample(TENET_KIND_LOOKUP, &r);
	j = tenet_record_to_json(&r);
	json_object_set_new(j, "type", json_string("l2only"));
	expect(TENET_KIND_LOOKUP, j, "ca: l2only records have no CA IP");
	/* an l2only's CA is refused before its value is looked at */
	json_object_set_new(j, "ca", json_string("garbage"));
	expect(TENET_KIND_LOOKUP, j, "ca: l2only records have no CA IP");
	json_object_del(j, "ca");
	expect(TENET_KIND_LOOKUP, j, NULL);
	json_object_set_new(j, "type", json_string("static"));
	expect(TENET_KIND_LOOKUP, j, "ca: missing");
	/* type is read before mac */
	json_object_del(j, "mac");
	json_object_set_new(j, "type", json_string("nope"));
	expect(TENET_KIND_LOOKUP, j, "type: not a record type (static, l2only, gateway, dynamic)");
	json_decref(j);

	/* a compartment's internal side: a virtual subnet or a VLAN */
	sample(TENET_KIND_COMPARTMENT, &r);
	j = tenet_record_to_json(&r);
	json_object_del(j, "vsid");
	expect(TENET_KIND_COMPARTMENT, j, "vsid: missing (or internal: a VLAN)");
	json_object_set_new(j, "vsid", json_integer(5999));
	json_object_set_new(j, "internal", json_pack("{s:s, s:i}", "dev", "eth1", "vlan", 4000));
	expect(TENET_KIND_COMPARTMENT, j, "internal: a compartment with a vsid has no VLAN");
	json_object_del(j, "vsid");
	expect(TENET_KIND_COMPARTMENT, j, NULL);
	json_decref(j);

	sample(TENET_KIND_NAT, &r);
	j = tenet_record_to_json(&r);
	json_object_del(j, "port_max");
	expect(TENET_KIND_NAT, j, "port_max: missing");
	json_object_set_new(j, "port_max", json_integer(10));
	expect(TENET_KIND_NAT, j, "port_max: not a range with port_min");
	json_object_del(j, "port_min");
	expect(TENET_KIND_NAT, j, "port_max: not a range with port_min");
	json_object_del(j, "port_max");
	expect(TENET_KIND_NAT, j, NULL);
	json_decref(j);
}

/* Encoding leaves out what the row says to leave out. */
static void test_omitted_fields(void **state)
{
	struct tenet_record r;
	json_t *j;

	sample(TENET_KIND_PROUTE, &r);
	r.proute.via = 0;
	j = tenet_record_to_json(&r);
	assert_null(json_object_get(j, "via"));
	json_decref(j);
	sample(TENET_KIND_NAT, &r);
	r.nat.port_min = 0;
	j = tenet_record_to_json(&r);
	assert_null(json_object_get(j, "port_min"));
	assert_null(json_object_get(j, "port_max"));
	json_decref(j);
	sample(TENET_KIND_COMPARTMENT, &r);
	r.compartment.ext_dev[0] = '\0';
	j = tenet_record_to_json(&r);
	assert_null(json_object_get(j, "external"));
	json_decref(j);
	sample(TENET_KIND_LOOKUP, &r);
	r.lookup.has_ca = false;
	j = tenet_record_to_json(&r);
	assert_null(json_object_get(j, "ca"));
	json_decref(j);
	/* ... and keeps what is always there, even when 0 */
	sample(TENET_KIND_PA, &r);
	r.pa.vlan = 0;
	j = tenet_record_to_json(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "vlan")), 0);
	json_decref(j);
}

/* Listing order: by the row's sort keys. */
static void test_order(void **state)
{
	struct tenet_record a, b;

	sample(TENET_KIND_LOOKUP, &a);
	b = a;
	tenet_parse_ipv4("10.0.0.40", &b.lookup.ca, NULL);
	assert_true(tenet_record_cmp(&a, &b) < 0);
	/* 10.0.0.40 before 10.0.0.200: numerically */
	tenet_parse_ipv4("10.0.0.200", &a.lookup.ca, NULL);
	assert_true(tenet_record_cmp(&a, &b) > 0);
	/* records with a CA before l2only ones */
	b.lookup.has_ca = false;
	assert_true(tenet_record_cmp(&a, &b) < 0);
	b.lookup.vsid = 5000;
	assert_true(tenet_record_cmp(&a, &b) > 0);
	sample(TENET_KIND_NATMAP, &a);
	b = a;
	b.natmap.ext_port = 80;
	assert_true(tenet_record_cmp(&a, &b) > 0);
	b.natmap.proto = 6;
	assert_true(tenet_record_cmp(&a, &b) > 0);
	strcpy(b.natmap.host, "gx");
	assert_true(tenet_record_cmp(&a, &b) < 0);
	assert_int_equal(tenet_record_cmp(&a, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_a_sample),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_field_checks),
		cmocka_unit_test(test_cross_field_checks),
		cmocka_unit_test(test_omitted_fields),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}

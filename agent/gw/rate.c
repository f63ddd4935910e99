// SPDX-License-Identifier: GPL-2.0
/* The rate reconciler (see rate.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw.h"
#include "gw/rate.h"
#include "kinds/ravpn.h"
#include "kinds/record.h"
#include "recon/names.h"

/* ---- parameters ---- */

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Transmit: a bucket of 50 ms of the rate, at least 8 full-size packets
 * (a GSO packet larger than the bucket is segmented by tbf); a queue of
 * 200 ms on top, at least 32 kB, so TCP through it sees losses rather
 * than seconds of delay (20 ms and 100 ms gave TCP 89-95% of the rate
 * under emulation). Receive: a policer cannot queue, so its bucket
 * takes 250 ms of the rate, and at least 64 KiB: decrypted packets reach
 * it through GRO, up to 64 KiB at once (one larger than the bucket would
 * never conform), and a drop there is a burst of segments, which TCP
 * takes hard (with 50 ms, 5120 kbit/s gave TCP 3.2 Mbit/s). docs/rates.md
 * has the figures. */
void rate_params(__u32 kbps, bool tx, struct rate_val *v)
{
	__u64 bps = (__u64)kbps * 125;  /* bytes/s */

	memset(v, 0, sizeof(*v));
	v->kbps = kbps;
	if (tx) {
		v->burst = (__u32)MAX(bps / 20, 8 * 1500u);
		v->limit = v->burst + (__u32)MAX(bps / 5, 32000u);
	} else {
		v->burst = (__u32)MAX(bps / 4, 65536u);
	}
}

/* ---- the desired set ---- */

static int want_dev(struct recon_set *out, const struct recon_env *env, const char *dev,
		    const struct tenet_rate *r, uint32_t def)
{
	struct tenet_rate e = tenet_rate_eff(r, def);
	struct rate_key k = { 0 };
	struct rate_val v;

	snprintf(k.dev, sizeof(k.dev), "%s", dev);
	/* a link event about the device (recreated) brings a round */
	if (env->names && name_set_add(env->names, dev) < 0)
		return -ENOMEM;
	if (e.tx) {
		rate_params(e.tx, true, &v);
		if (!htab_put(&out->t[RATE_TX], &k, &v, NULL))
			return -ENOMEM;
	}
	if (e.rx) {
		rate_params(e.rx, false, &v);
		if (!htab_put(&out->t[RATE_RX], &k, &v, NULL))
			return -ENOMEM;
	}
	return 0;
}

/* A lost S2S or compartment record of this host (model_lost): which
 * device was its, its key does not say, so nothing of tenet's is removed
 * until it is repaired or deleted (docs/agent.md, "Failure behaviour"). */
static int hold_if_lost(const struct recon *rc, const struct model *m,
			const struct recon_env *env, struct recon_set *out)
{
	struct htab_iter it;
	struct htab_entry *e;
	bool lost = false;

	htab_iter_init(&it, (struct htab *)&m->bad);
	while (!lost && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = htab_val(e);
		const char *host = r->kind == TENET_KIND_S2S ? r->s2s.host :
				   r->kind == TENET_KIND_COMPARTMENT ? r->compartment.host :
				   r->kind == TENET_KIND_RAVPN ? r->ravpn.host : NULL;

		lost = host && !strcmp(host, env->host) && model_lost(m, e);
	}
	for (unsigned int t = 0; lost && t < RATE_NOBJ; t++) {
		htab_iter_init(&it, (struct htab *)&rc->shadow.t[t]);
		while ((e = htab_iter_next(&it)))
			if (recon_hold(out, t, htab_key(e)) < 0)
				return -ENOMEM;
	}
	return 0;
}

static int rate_want(struct recon *rc, const struct model *m, const struct recon_env *env,
		     struct recon_set *out)
{
	struct htab_iter it;
	struct htab_entry *e;
	char dev[IF_NAMESIZE];
	int ret = 0;

	htab_iter_init(&it, (struct htab *)&m->recs);
	while (!ret && (e = htab_iter_next(&it))) {
		const struct tenet_record *r = model_rec(e);

		if (r->kind == TENET_KIND_S2S && !strcmp(r->s2s.host, env->host)) {
			tenet_s2s_devname(r->s2s.id, dev, sizeof(dev));
			ret = want_dev(out, env, dev, &r->s2s.rate, TENET_RATE_S2S_DEFAULT_KBPS);
		} else if (r->kind == TENET_KIND_COMPARTMENT &&
			   !strcmp(r->compartment.host, env->host)) {
			const struct tenet_compartment *cm = &r->compartment;

			tenet_gw_devname(TENET_GW_INT_PFX, cm->id, dev, sizeof(dev));
			ret = want_dev(out, env, dev, &cm->rate_int, 0);
			if (!ret && cm->ext_dev[0])
				ret = want_dev(out, env, cm->ext_dev, &cm->rate_ext, 0);
		} else if (r->kind == TENET_KIND_RAVPN && !strcmp(r->ravpn.host, env->host) &&
			   r->ravpn.rate.set) {
			/* remote access: all of the tenant's users on traC */
			const struct tenet_compartment *cm =
				gw_compartment_of(m, env->host, r->ravpn.rdomain);

			if (cm && tenet_ravpn_devname(cm->id, dev, sizeof(dev)) == 0)
				ret = want_dev(out, env, dev, &r->ravpn.rate, 0);
		}
	}
	return ret ? ret : hold_if_lost(rc, m, env, out);
}

/* ---- the kernel ---- */

static const struct rate_ops *rops(const struct recon *rc)
{
	return rc->ops;
}

static int rate_observe(struct recon *rc, const struct recon_set *desired,
			struct recon_set *out)
{
	const struct rate_ops *ops = rops(rc);
	char (*also)[IF_NAMESIZE] = NULL;
	struct rate_seen *s = NULL;
	size_t n = 0, na = 0;
	int ret;

	/* Where a policer of tenet's can be besides tsN, tgiN and traN: external
	 * interfaces, the desired ones and those of the last round. */
	for (int pass = 0; pass < 2; pass++) {
		const struct htab *hs[2] = { desired ? &desired->t[RATE_RX] : NULL,
					     &rc->shadow.t[RATE_RX] };

		for (int h = 0; h < 2; h++) {
			struct htab_iter it;
			struct htab_entry *e;

			if (!hs[h])
				continue;
			htab_iter_init(&it, (struct htab *)hs[h]);
			while ((e = htab_iter_next(&it)))
				if (pass)
					memcpy(also[na++],
					       ((const struct rate_key *)htab_key(e))->dev,
					       IF_NAMESIZE);
				else
					na++;
		}
		if (!pass) {
			also = calloc(na ? na : 1, sizeof(*also));
			if (!also)
				return -ENOMEM;
			na = 0;
		}
	}
	ret = ops->dump(ops->ctx, (const char (*)[IF_NAMESIZE])also, na, &s, &n);
	free(also);

	for (size_t i = 0; !ret && i < n; i++) {
		struct rate_key k = { 0 };
		struct rate_val v = { 0 };

		snprintf(k.dev, sizeof(k.dev), "%s", s[i].dev);
		if (s[i].tx) {
			v.kbps = s[i].tx_kbps;
			if (!htab_put(&out->t[RATE_TX], &k, &v, NULL))
				ret = -ENOMEM;
		}
		if (s[i].rx) {
			v.kbps = s[i].rx_kbps;
			if (!htab_put(&out->t[RATE_RX], &k, &v, NULL))
				ret = -ENOMEM;
		}
	}
	free(s);
	return ret;
}

static void describe(const char *what, const void *key, const void *val, char *buf, size_t len)
{
	const struct rate_key *k = key;
	const struct rate_val *v = val;

	if (v)
		snprintf(buf, len, "rate %s %s %u kbit/s", k->dev, what, v->kbps);
	else
		snprintf(buf, len, "rate %s %s", k->dev, what);
}

static void describe_tx(const void *key, const void *val, char *buf, size_t len)
{
	describe("tx (tbf)", key, val, buf, len);
}

static void describe_rx(const void *key, const void *val, char *buf, size_t len)
{
	describe("rx (police)", key, val, buf, len);
}

static int tx_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct rate_ops *ops = rops(rc);

	return ops->tx_set(ops->ctx, ((const struct rate_key *)key)->dev, val);
}

static int tx_del(struct recon *rc, const void *key, const void *old)
{
	const struct rate_ops *ops = rops(rc);

	return ops->tx_del(ops->ctx, ((const struct rate_key *)key)->dev);
}

static int rx_put(struct recon *rc, const void *key, const void *val, const void *old)
{
	const struct rate_ops *ops = rops(rc);

	return ops->rx_set(ops->ctx, ((const struct rate_key *)key)->dev, val);
}

static int rx_del(struct recon *rc, const void *key, const void *old)
{
	const struct rate_ops *ops = rops(rc);

	return ops->rx_del(ops->ctx, ((const struct rate_key *)key)->dev);
}

static const char *const verbs[] = { "set", "changed", "removed" };

/* Only the rate is compared: the kernel reports the bucket in its own
 * units, and it follows from the rate anyway. */
static const struct recon_type rate_types[RATE_NOBJ] = {
	[RATE_TX] = { .name = "rate-tx", .key_size = sizeof(struct rate_key),
		      .val_size = sizeof(struct rate_val),
		      .cmp_size = offsetof(struct rate_val, burst), .verbs = verbs,
		      .describe = describe_tx, .put = tx_put, .del = tx_del },
	[RATE_RX] = { .name = "rate-rx", .key_size = sizeof(struct rate_key),
		      .val_size = sizeof(struct rate_val),
		      .cmp_size = offsetof(struct rate_val, burst), .verbs = verbs,
		      .describe = describe_rx, .put = rx_put, .del = rx_del },
};

static int rate_open(struct recon *rc, const struct recon_open *o)
{
	struct rate_ops *ops;
	int ret = rate_kernel_open(&ops);

	if (ret < 0)
		return ret;
	rc->ops = ops;
	return 0;
}

static void rate_close(struct recon *rc)
{
	if (rc->opened) {
		rate_kernel_close(rc->ops);
		rc->ops = NULL;
	}
}

/* Observed every round: one qdisc dump and one filter dump per device
 * with a clsact qdisc; a device recreated by its own reconciler (an S2S
 * interface, a compartment) gets its limits back in the same round. */
const struct reconciler gw_rate_reconciler = {
	.kinds = RECON_KINDS_NO_LOOKUP,  /* skipped when only lookup records change */
	.name = "rate",
	.types = rate_types,
	.ntypes = RATE_NOBJ,
	.flags = RECON_OBSERVE_EACH,
	.want = rate_want,
	.observe = rate_observe,
	.open = rate_open,
	.close = rate_close,
};

/* SPDX-License-Identifier: GPL-2.0 */
/* Between policy.c and policy_gw.c only: the validated-write machinery
 * (optimistic concurrency around one transaction) and the shared checks,
 * so the gateway kinds' rules live in their own file. */
#ifndef TENET_POLICY_INT_H
#define TENET_POLICY_INT_H

#include "policy/policy.h"

struct pctx {
	struct tenet_store *s;
	struct tenet_txn *txn;
	struct tenet_err *err;
	unsigned int flags;
};

typedef int (*build_fn)(struct pctx *c, void *arg);

int pol_run(struct tenet_store *s, build_fn fn, void *arg, unsigned int flags, int64_t *rev,
	    struct tenet_err *err);
/* 0 found, -ENOENT absent (err untouched), -EBADMSG corrupt. */
int pol_load(struct pctx *c, const struct tenet_record *id, struct tenet_record *out);
int pol_load_kind(struct pctx *c, enum tenet_kind kind, const char *host,
		  struct tenet_record_list *l);
int pol_txn_put(struct pctx *c, const struct tenet_record *rec);
int pol_txn_del(struct pctx *c, const struct tenet_record *rec);
int pol_need_rdomain(struct pctx *c, const char *name, struct tenet_rdomain *out);
int pol_need_vsubnet(struct pctx *c, uint32_t vsid, struct tenet_vsubnet *out);
int pol_find_ca(struct pctx *c, const char *rdomain, uint32_t ip, struct tenet_lookup *found);
int pol_lookup_put(struct pctx *c, struct tenet_lookup *l);
int pol_drop_routes_via(struct pctx *c, const char *rdomain, uint32_t ca);
int pol_check_mac(struct pctx *c, const uint8_t *mac);

/* policy_gw.c */
int tenet_gw_policy_put(struct tenet_store *s, struct tenet_record *rec, unsigned int flags,
			int64_t *rev, struct tenet_err *err);
int tenet_gw_policy_del(struct tenet_store *s, const struct tenet_record *id, unsigned int flags,
			int64_t *rev, struct tenet_err *err);
int tenet_gw_record_cmp(const struct tenet_record *a, const struct tenet_record *b);

#endif

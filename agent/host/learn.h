/* SPDX-License-Identifier: GPL-2.0 */
/* Aging of learned (dynamic) lookup records. The datapath reports a
 * binding again every TENET_LEARN_REFRESH_S while it keeps seeing it; the
 * agent of the host that holds the binding's PA remembers when it last
 * heard of each of its dynamic records and deletes the ones not heard of
 * for the configured age (tenetd.conf `learn_age`). Other hosts keep
 * them until that agent removes them from the store. */
#ifndef TENETD_LEARN_H
#define TENETD_LEARN_H

#include <stdint.h>
#include <tenet/limits.h>

#include "util/errmsg.h"
#include "recon/htab.h"
#include "recon/model.h"
#include "kinds/record.h"
#include "store/store.h"

#define LEARN_AGE_DEFAULT_S 300
/* Below two refresh periods a live binding could age out between reports. */
#define LEARN_AGE_MIN_S (2 * TENET_LEARN_REFRESH_S)

/* Removes a learned record from the store: tenet_policy_unlearn, or a
 * fake in tests. 0, -ENOENT/-ESTALE (gone or changed: fine), or an error. */
typedef int (*learn_unlearn_fn)(void *arg, const struct tenet_lookup *l, struct tenet_err *err);
/* Called for each record aged out (ret 0) or that could not be (ret < 0). */
typedef void (*learn_report_fn)(void *arg, const struct tenet_lookup *l, int ret,
				const char *msg);

struct learn_table {
	struct htab seen;       /* store key -> uint64_t last report, ms */
	uint64_t age_ms;
	unsigned long n_aged;
	unsigned long n_failed;
};

void learn_table_init(struct learn_table *t, uint64_t age_ms);
void learn_table_free(struct learn_table *t);
/* The datapath reported the binding (written or already in the store). */
void learn_table_seen(struct learn_table *t, const struct tenet_lookup *l, uint64_t now_ms);
/* Ages this host's dynamic records: those of the model whose PA is a PA
 * of host. A record this agent has not heard of yet (it started, or the
 * record came from the store) counts as heard of now. Returns how many
 * were aged out. */
int learn_table_age(struct learn_table *t, const struct model *m, const char *host,
		    uint64_t now_ms, learn_unlearn_fn unlearn, void *unlearn_arg,
		    learn_report_fn report, void *report_arg);
/* learn_unlearn_fn over a store (arg: struct tenet_store *). */
int learn_unlearn_store(void *store, const struct tenet_lookup *l, struct tenet_err *err);

#endif

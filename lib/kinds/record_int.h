/* SPDX-License-Identifier: GPL-2.0 */
/* Between record.c and record_gw.c only: the gateway kinds' branches of
 * the generic key and codec functions. */
#ifndef TENET_RECORD_INT_H
#define TENET_RECORD_INT_H

#include "kinds/record.h"

int tenet_gw_record_key(const struct tenet_record *rec, char *buf, size_t len);
/* p[0] host, p[1] kind, p[2] key component; 0 or -1. */
int tenet_gw_host_from_key(char **p, int n, struct tenet_record *rec);
json_t *tenet_gw_record_to_json(const struct tenet_record *rec);
int tenet_gw_record_from_json(enum tenet_kind kind, const json_t *j, struct tenet_record *rec,
			      struct tenet_err *err);

#endif

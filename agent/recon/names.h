/* SPDX-License-Identifier: GPL-2.0 */
/* A set of interface names: those the records refer to (ports, PA
 * devices and their VLAN subdevices, external interfaces), so that link
 * events about them trigger a round. */
#ifndef TENETD_NAMES_H
#define TENETD_NAMES_H

#include <stdbool.h>

#include "recon/htab.h"

struct name_set {
	struct htab names;      /* values unused */
};

void name_set_init(struct name_set *n);
void name_set_free(struct name_set *n);
bool name_set_has(const struct name_set *n, const char *name);
int name_set_add(struct name_set *n, const char *name);

#endif

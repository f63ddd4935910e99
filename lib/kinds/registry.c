// SPDX-License-Identifier: GPL-2.0
/* The registry's table, made from the rows listed in registry.h. */
#include "kinds/registry.h"

static const struct tenet_kind_desc *const kinds[TENET_KIND_MAX] = {
#define TENET_KIND_ROW_(E, m) [TENET_KIND_##E] = &tenet_kind_##m,
	TENET_KINDS(TENET_KIND_ROW_)
#undef TENET_KIND_ROW_
};

const struct tenet_kind_desc *tenet_kind_get(enum tenet_kind kind)
{
	return kind > TENET_KIND_NONE && kind < TENET_KIND_MAX ? kinds[kind] : NULL;
}

const struct tenet_kind_desc *tenet_kind_find(enum tenet_scope scope, const char *name,
					      size_t len)
{
	/* Every store key read goes through here: no library calls. */
	for (int k = TENET_KIND_NONE + 1; k < TENET_KIND_MAX; k++) {
		const struct tenet_kind_desc *d = kinds[k];
		size_t i = 0;

		if (d->scope != scope)
			continue;
		while (i < len && d->name[i] == name[i])
			i++;
		if (i == len && !d->name[len])
			return d;
	}
	return NULL;
}

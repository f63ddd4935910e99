/* SPDX-License-Identifier: GPL-2.0 */
/* Where tenet's maps are pinned. Apart from loading (datapath.h) so that
 * readers of pinned maps (the CLI) need neither skeletons nor objects. */
#ifndef TENET_PIN_H
#define TENET_PIN_H

/* Pin directory for a host: TENET_PIN_ROOT/<host>/v<layout>. */
int tenet_pin_dir(char *buf, unsigned long len, const char *host);
/* The same under another pin root (a bpffs mounted elsewhere, for tests):
 * <root>/<host>/v<layout>. */
int tenet_pin_dir_at(char *buf, unsigned long len, const char *root, const char *host);

#endif

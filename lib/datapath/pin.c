// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <tenet/limits.h>
#include "datapath/pin.h"

int tenet_pin_dir_at(char *buf, unsigned long len, const char *root, const char *host)
{
	int n = snprintf(buf, len, "%s/%s/v%d", root, host, TENET_LAYOUT_VERSION);

	return n < 0 || (unsigned long)n >= len ? -ENAMETOOLONG : 0;
}

int tenet_pin_dir(char *buf, unsigned long len, const char *host)
{
	return tenet_pin_dir_at(buf, len, TENET_PIN_ROOT, host);
}

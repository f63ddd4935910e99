// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/errmsg.h"

int tenet_err_set(struct tenet_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

int tenet_err_prefix(struct tenet_err *err, int code, const char *fmt, ...)
{
	char head[TENET_ERR_LEN];
	char old[TENET_ERR_LEN];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* A message cut at TENET_ERR_LEN is still useful; say nothing. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", head, old) >= (int)sizeof(err->msg))
		err->msg[sizeof(err->msg) - 1] = '\0';
	err->code = code;
	return code;
}

void tenet_err_clear(struct tenet_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

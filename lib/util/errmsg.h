/* SPDX-License-Identifier: GPL-2.0 */
/* Error strings for library callers. Library code never logs: a function
 * that fails returns a negative errno and, when the caller passed a
 * struct tenet_err, leaves one line there saying what went wrong. The
 * caller decides where (and whether) that line goes. */
#ifndef TENET_ERRMSG_H
#define TENET_ERRMSG_H

#define TENET_ERR_LEN 256

struct tenet_err {
	int code;                 /* the negative errno that was returned */
	char msg[TENET_ERR_LEN];  /* one line, no trailing newline */
};

/* Record `code` and a printf-style message in err (which may be NULL) and
 * return code, so a failing path reads `return tenet_err_set(err, ...)`. */
int tenet_err_set(struct tenet_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "what: <old message>". Keeps the code. */
int tenet_err_prefix(struct tenet_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void tenet_err_clear(struct tenet_err *err);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* tenetd's log: one line per event on stderr. When stderr is journald's
 * stream (systemd's JOURNAL_STREAM names it), each line goes to the
 * journal directly, with its priority and structured fields (TENET_*:
 * the object, port, VSID, store key it is about), so `journalctl
 * TENET_VSID=5001` finds a tenant's lines; elsewhere a plain line.
 * Control characters in a line are escaped (\n, \xNN): a value from the
 * store or the config file never makes a second line. */
#ifndef TENETD_LOG_H
#define TENETD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

void log_set_debug(bool on);
/* While on, library (libbpf/libxdp) warnings are logged as debug: for
 * calls whose failures the library itself recovers from, such as libxdp
 * probing for its dispatcher and falling back to a plain attach. */
void log_quiet_libs(bool on);
bool log_libs_quiet(void);
void tlog(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What a line is about, for the journal's fields; any member may be
 * NULL/0. */
struct log_about {
	const char *object;     /* TENET_OBJECT: a kernel object, "ca rdomain 1 10.0.0.5" */
	const char *key;        /* TENET_KEY: a store key */
	const char *port;       /* TENET_PORT: a port's device name */
	const char *reconciler; /* TENET_RECONCILER: "datapath", "vrf", "nat" */
	uint32_t vsid;          /* TENET_VSID */
};
void tlog_about(enum log_level lvl, const struct log_about *about, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Where lines go: journald (true) or plain stderr; decided at the first
 * line from JOURNAL_STREAM and stderr, or forced here (tests). */
void log_set_journal(bool on);
/* Copy src to dst (len bytes, NUL-terminated) with control characters
 * escaped. */
void log_escape(char *dst, size_t len, const char *src);

#define log_err(...) tlog(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) tlog(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) tlog(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) tlog(LOG_LVL_DEBUG, __VA_ARGS__)

/* At most burst events per interval; the first event let through after a
 * quiet spell reports how many were suppressed. */
struct ratelimit {
	uint64_t interval_ms;
	unsigned int burst;
	uint64_t begin_ms;
	unsigned int count;
	unsigned int missed;
};

/* true: go ahead; *missed (may be NULL) is how many were suppressed
 * since the last event that went ahead. */
bool ratelimit_ok(struct ratelimit *rl, uint64_t now_ms, unsigned int *missed);
uint64_t now_ms(void);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* tenetd's log: one line per event on stderr, which systemd hands to
 * journald (with a priority prefix when it is listening). */
#ifndef TENETD_LOG_H
#define TENETD_LOG_H

#include <stdbool.h>
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

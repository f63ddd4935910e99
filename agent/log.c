// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

static bool debug;

void log_set_debug(bool on)
{
	debug = on;
}

static bool libs_quiet;

void log_quiet_libs(bool on)
{
	libs_quiet = on;
}

bool log_libs_quiet(void)
{
	return libs_quiet;
}

void tlog(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (lvl == LOG_LVL_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* journald reads "<N>" as the priority; a terminal gets a plain
	 * line with a word for anything worse than info. */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", lvl, line);
	else if (lvl <= LOG_LVL_WARN)
		fprintf(stderr, "tenetd: %s: %s\n", lvl == LOG_LVL_ERR ? "error" : "warning",
			line);
	else
		fprintf(stderr, "tenetd: %s\n", line);
}

bool ratelimit_ok(struct ratelimit *rl, uint64_t now, unsigned int *missed)
{
	if (missed)
		*missed = 0;
	if (!rl->begin_ms || now - rl->begin_ms >= rl->interval_ms) {
		rl->begin_ms = now ? now : 1;
		rl->count = 0;
	}
	if (rl->count >= rl->burst) {
		rl->missed++;
		return false;
	}
	rl->count++;
	if (missed)
		*missed = rl->missed;
	rl->missed = 0;
	return true;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

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

/* -1: not decided yet. */
static int journal = -1;

void log_set_journal(bool on)
{
	journal = on;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE for a stdout/stderr it connected
 * to journald; it is inherited by children that may have redirected
 * stderr elsewhere, so the fd itself must be that stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void log_escape(char *dst, size_t len, const char *src)
{
	size_t n = 0;

	if (!len)
		return;
	for (; *src && n + 1 < len; src++) {
		unsigned char ch = (unsigned char)*src;
		char esc[8];
		size_t k;

		if (ch == '\n')
			k = (size_t)snprintf(esc, sizeof(esc), "\\n");
		else if (ch == '\t')
			k = (size_t)snprintf(esc, sizeof(esc), "\\t");
		else if (ch == '\r')
			k = (size_t)snprintf(esc, sizeof(esc), "\\r");
		else if (ch < 0x20 || ch == 0x7f)
			k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", ch);
		else
			esc[0] = (char)ch, k = 1;
		if (n + k >= len)
			break;
		memcpy(dst + n, esc, k);
		n += k;
	}
	dst[n] = '\0';
}

static void emit(enum log_level lvl, const struct log_about *ab, const char *raw)
{
	char line[1024], f[5][300];
	int nf = 0;

	log_escape(line, sizeof(line), raw);
	if (journal < 0)
		journal = stderr_is_journal();
	if (!journal) {
		if (lvl <= LOG_LVL_WARN)
			fprintf(stderr, "tenetd: %s: %s\n", lvl == LOG_LVL_ERR ? "error" : "warning",
				line);
		else
			fprintf(stderr, "tenetd: %s\n", line);
		return;
	}
	/* Fields are escaped like the message: a store key is user input. */
	if (ab && ab->object) {
		memcpy(f[nf], "TENET_OBJECT=", 13);
		log_escape(f[nf++] + 13, sizeof(f[0]) - 13, ab->object);
	}
	if (ab && ab->key) {
		memcpy(f[nf], "TENET_KEY=", 10);
		log_escape(f[nf++] + 10, sizeof(f[0]) - 10, ab->key);
	}
	if (ab && ab->port) {
		memcpy(f[nf], "TENET_PORT=", 11);
		log_escape(f[nf++] + 11, sizeof(f[0]) - 11, ab->port);
	}
	if (ab && ab->reconciler)
		snprintf(f[nf++], sizeof(f[0]), "TENET_RECONCILER=%s", ab->reconciler);
	if (ab && ab->vsid)
		snprintf(f[nf++], sizeof(f[0]), "TENET_VSID=%u", ab->vsid);
	for (int i = nf; i < 5; i++)
		f[i][0] = '\0';
	/* Empty strings end sd_journal_send's list early: pass only filled
	 * fields (nf of them), the rest as NULL. */
	sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", lvl, "SYSLOG_IDENTIFIER=tenetd",
			nf > 0 ? "%s" : NULL, f[0], nf > 1 ? "%s" : NULL, f[1],
			nf > 2 ? "%s" : NULL, f[2], nf > 3 ? "%s" : NULL, f[3],
			nf > 4 ? "%s" : NULL, f[4], NULL);
}

static void vtlog(enum log_level lvl, const struct log_about *about, const char *fmt,
		  va_list ap)
{
	char line[1024];

	if (lvl == LOG_LVL_DEBUG && !debug)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	emit(lvl, about, line);
}

void tlog(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtlog(lvl, NULL, fmt, ap);
	va_end(ap);
}

void tlog_about(enum log_level lvl, const struct log_about *about, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtlog(lvl, about, fmt, ap);
	va_end(ap);
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

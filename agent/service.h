/* SPDX-License-Identifier: GPL-2.0 */
/* tenetd as a systemd service: the notify protocol (READY=1, STATUS=,
 * RELOADING=1 with MONOTONIC_USEC=, WATCHDOG=1 through sd_notify to
 * $NOTIFY_SOCKET; nothing happens without one), and the synchronous
 * reload that `systemctl reload` waits for.
 *
 * A reload is a SIGHUP. systemd 252 (Debian 12) judges a reload only by
 * its ExecReload= command's exit status, so that command is
 * `tenetd --reload $MAINPID`: it sends the SIGHUP with sigqueue() and a
 * marker value, and waits on an abstract unix datagram socket named
 * after its own pid (svc_reload_addr) for the agent's verdict, in the
 * notify protocol's words: "READY=1\nSTATUS=..." when the new
 * configuration is in force, "ERRNO=N\nSTATUS=reload failed: ..." when
 * the running one was kept. The agent answers only a SIGHUP that carries
 * the marker (a plain `kill -HUP` gets no datagram), and the waiting side
 * accepts only a datagram whose sender (SCM_CREDENTIALS, checked by the
 * kernel) is the agent it signalled. docs/agent.md, "Service". */
#ifndef TENETD_SERVICE_H
#define TENETD_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The sigqueue() value of a SIGHUP that wants an answer. */
#define SVC_RELOAD_MAGIC 0x7e4e0001

/* STATUS=text, sent only when it differs from the last one sent. */
void svc_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* READY=1 with STATUS=status (start-up done, or a reload in force). */
void svc_ready(const char *status);
/* RELOADING=1 and MONOTONIC_USEC=now: a reload starts changing things. */
void svc_reloading(void);
/* STOPPING=1. */
void svc_stopping(void);

/* The watchdog interval systemd asked for (WatchdogSec=), in ms; 0: none. */
uint64_t svc_watchdog_init(void);
/* WATCHDOG=1 when half the interval has passed since the last one. */
void svc_watchdog(uint64_t now_ms);

/* The abstract socket address the reload requester pid listens on:
 * "\0tenetd-reload-PID". Returns its length. */
size_t svc_reload_addr(pid_t pid, char *buf, size_t len);
/* Tell requester pid how the reload went (msg: one line). */
int svc_reload_reply(pid_t pid, bool ok, int err, const char *msg);
/* `tenetd --reload PID`: signal it, wait up to timeout_ms for its verdict.
 * 0: reloaded; -errno when it was refused (msg: the agent's reason) or
 * nothing answered (msg: why). */
int svc_reload_request(pid_t pid, int timeout_ms, char *msg, size_t len);

#endif

// SPDX-License-Identifier: GPL-2.0
/* tenetd as a systemd service (see service.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "service.h"

static char last_status[512];

static void vstatus(const char *fmt, va_list ap)
{
	char text[512], esc[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	/* STATUS= is one line of the notify message. */
	log_escape(esc, sizeof(esc), text);
	if (!strcmp(esc, last_status))
		return;
	snprintf(last_status, sizeof(last_status), "%s", esc);
	sd_notifyf(0, "STATUS=%s", esc);
}

void svc_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vstatus(fmt, ap);
	va_end(ap);
}

void svc_ready(const char *status)
{
	char esc[512];

	log_escape(esc, sizeof(esc), status);
	snprintf(last_status, sizeof(last_status), "%s", esc);
	sd_notifyf(0, "READY=1\nSTATUS=%s", esc);
}

void svc_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(last_status, sizeof(last_status), "reloading the configuration");
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
			   (unsigned long long)ts.tv_nsec / 1000ULL,
		   last_status);
}

void svc_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

static uint64_t wd_interval_ms, wd_last_ms;

uint64_t svc_watchdog_init(void)
{
	uint64_t usec = 0;

	wd_interval_ms = sd_watchdog_enabled(0, &usec) > 0 ? usec / 1000 : 0;
	return wd_interval_ms;
}

void svc_watchdog(uint64_t now)
{
	if (!wd_interval_ms || now - wd_last_ms < wd_interval_ms / 2)
		return;
	wd_last_ms = now;
	sd_notify(0, "WATCHDOG=1");
}

/* ---- the reload answer ---- */

size_t svc_reload_addr(pid_t pid, char *buf, size_t len)
{
	int n = snprintf(buf + 1, len - 1, "tenetd-reload-%d", (int)pid);

	buf[0] = '\0';
	return (size_t)n + 1;
}

static socklen_t reload_sockaddr(pid_t pid, struct sockaddr_un *sa)
{
	size_t n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = svc_reload_addr(pid, sa->sun_path, sizeof(sa->sun_path));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

int svc_reload_reply(pid_t pid, bool ok, int err, const char *msg)
{
	struct sockaddr_un sa;
	socklen_t salen = reload_sockaddr(pid, &sa);
	char text[600], esc[512];
	int fd, n, ret = 0;

	log_escape(esc, sizeof(esc), msg);
	n = ok ? snprintf(text, sizeof(text), "READY=1\nSTATUS=%s", esc) :
		 snprintf(text, sizeof(text), "ERRNO=%d\nSTATUS=%s", err > 0 ? err : -err, esc);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, text, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* "KEY=value" of a notify message, or NULL. */
static const char *field(const char *msg, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = msg; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(buf, len, "%.*s", (int)(n - kl - 1), p + kl + 1);
			return buf;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

int svc_reload_request(pid_t pid, int timeout_ms, char *msg, size_t len)
{
	union sigval v = { .sival_int = SVC_RELOAD_MAGIC };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct sockaddr_un sa;
	socklen_t salen = reload_sockaddr(getpid(), &sa);
	char text[1024], val[600];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct pollfd pfd;
	int fd, one = 1, ret;
	ssize_t n;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, salen) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		ret = -errno;
		snprintf(msg, len, "reload socket: %s", strerror(errno));
		goto out;
	}
	if (sigqueue(pid, SIGHUP, v) < 0) {
		ret = -errno;
		snprintf(msg, len, "cannot signal tenetd (pid %d): %s", (int)pid, strerror(errno));
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		struct ucred *cr = NULL;
		struct cmsghdr *c;

		ret = poll(&pfd, 1, timeout_ms);
		if (ret <= 0) {
			ret = ret < 0 ? -errno : -ETIMEDOUT;
			snprintf(msg, len, "no answer from tenetd (pid %d) within %d ms", (int)pid,
				 timeout_ms);
			goto out;
		}
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0)
			continue;
		text[n] = '\0';
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
				cr = (struct ucred *)CMSG_DATA(c);
		/* Only the agent's own answer counts. */
		if (!cr || cr->pid != pid)
			continue;
		break;
	}
	snprintf(msg, len, "%s", field(text, "STATUS", val, sizeof(val)) ?: "");
	if (field(text, "READY", val, sizeof(val)) && !strcmp(val, "1")) {
		ret = 0;
	} else {
		ret = field(text, "ERRNO", val, sizeof(val)) ? -atoi(val) : -EINVAL;
		if (!ret)
			ret = -EINVAL;
	}
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/* Running vtysh (see vtysh.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "frr/vtysh.h"

extern char **environ;

/* A wedged daemon must not wedge the caller (the agent's loop). */
#define VTYSH_TIMEOUT_MS 20000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first non-empty line of text, for a one-line error. */
static void first_line(const char *text, char *buf, size_t len)
{
	const char *p = text, *e;

	for (;;) {
		while (*p == '\n' || *p == ' ' || *p == '%')
			p++;
		/* vtysh's own missing vtysh.conf is not the error */
		if (strncmp(p, "Can't open configuration file", 29))
			break;
		p = strchr(p, '\n');
		if (!p)
			p = "";
	}
	e = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(e ? (size_t)(e - p) : strlen(p)), p);
}

int frr_run_dir(const char *pathspace, char *buf, size_t len)
{
	int n = pathspace && *pathspace ? snprintf(buf, len, FRR_RUN_DIR "/%s", pathspace) :
					  snprintf(buf, len, FRR_RUN_DIR);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int frr_vtysh(const char *pathspace, const char *cmd, const char *file, char **out,
	      struct tenet_err *err)
{
	const char *path = getenv("TENET_VTYSH");
	char *argv[8], *buf = NULL, line[200];
	size_t len = 0, cap = 0;
	posix_spawn_file_actions_t fa;
	int pfd[2], st = 0, ret, n = 0;
	long long deadline;
	pid_t pid;

	if (out)
		*out = NULL;
	if (!path || !*path)
		path = FRR_VTYSH_DEFAULT;
	argv[n++] = (char *)path;
	if (pathspace && *pathspace) {
		argv[n++] = "-N";
		argv[n++] = (char *)pathspace;
	}
	argv[n++] = file ? "-f" : "-c";
	argv[n++] = (char *)(file ? file : cmd);
	argv[n] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return tenet_err_set(err, -errno, "vtysh: pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	/* -c's JSON alone on the pipe (vtysh warns on stderr about its own
	 * missing vtysh.conf); -f's errors are what an apply reports */
	if (file)
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	ret = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (ret) {
		close(pfd[0]);
		return tenet_err_set(err, -ret, "%s: %s", path, strerror(ret));
	}
	deadline = now_ms() + VTYSH_TIMEOUT_MS;
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			ret = tenet_err_set(err, -ETIMEDOUT, "vtysh: no answer in %d s",
					    VTYSH_TIMEOUT_MS / 1000);
			break;
		}
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 16384);

			if (!nb) {
				kill(pid, SIGKILL);
				ret = tenet_err_set(err, -ENOMEM, "vtysh: out of memory");
				break;
			}
			buf = nb;
		}
		r = read(pfd[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		buf = calloc(1, 1);
	if (!buf)
		return tenet_err_set(err, -ENOMEM, "vtysh: out of memory");
	buf[len] = '\0';
	if (!ret && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		first_line(buf, line, sizeof(line));
		if (line[0])
			ret = tenet_err_set(err, -EIO, "vtysh: %s", line);
		else
			ret = tenet_err_set(err, -EIO, "vtysh: exit status %d (FRR not running%s%s?)",
					    WIFEXITED(st) ? WEXITSTATUS(st) : -1,
					    pathspace && *pathspace ? " in path space " : "",
					    pathspace ? pathspace : "");
	}
	if (!ret && out)
		*out = buf;
	else
		free(buf);
	return ret;
}

int frr_vtysh_apply(const char *pathspace, const char *text, struct tenet_err *err)
{
	char path[] = "/tmp/tenet-frr-XXXXXX";
	size_t len = strlen(text);
	int fd, ret = 0;

	fd = mkstemp(path);
	if (fd < 0)
		return tenet_err_set(err, -errno, "vtysh: %s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len)
		ret = tenet_err_set(err, -EIO, "vtysh: %s: short write", path);
	/* vtysh runs as frr's client; the file is read by vtysh itself */
	close(fd);
	if (!ret)
		ret = frr_vtysh(pathspace, NULL, path, NULL, err);
	unlink(path);
	return ret;
}

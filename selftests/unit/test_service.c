// SPDX-License-Identifier: GPL-2.0
/* tenetd as a systemd service, without systemd: the notify protocol read
 * from a unix datagram socket the test binds as $NOTIFY_SOCKET (READY=1,
 * STATUS= only when it changes, RELOADING=1 with MONOTONIC_USEC=,
 * WATCHDOG=1 at half the interval), and the synchronous reload between
 * `tenetd --reload PID` and the agent (answered only to the requester,
 * whose verdict only the agent can give). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "log.h"
#include "service.h"
#include "testutil.h"

struct fx {
	char *dir;
	int fd;                 /* the fake service manager's socket */
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_non_null(x);
	x->dir = tu_mkdtemp();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", x->dir);
	x->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(x->fd >= 0);
	assert_int_equal(bind(x->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", sa.sun_path, 1), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	close(x->fd);
	tu_rmtree(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

/* The next datagram, or "" after 200 ms. */
static const char *next_msg(struct fx *x, char *buf, size_t len)
{
	struct timeval tv = { .tv_usec = 200000 };
	ssize_t n;

	setsockopt(x->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(x->fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void test_notify_messages(void **state)
{
	struct fx *x = *state;
	unsigned long long usec;
	uint64_t before, after;
	char buf[1024];

	svc_ready("host h1: 3 records at revision 7");
	assert_string_equal(next_msg(x, buf, sizeof(buf)),
			    "READY=1\nSTATUS=host h1: 3 records at revision 7");
	/* The same status again is not sent; another is. */
	svc_status("host h1: 3 records at revision %d", 7);
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "");
	svc_status("store unavailable: %s", "store /x: does not exist");
	assert_string_equal(next_msg(x, buf, sizeof(buf)),
			    "STATUS=store unavailable: store /x: does not exist");
	/* A status is one line of the message. */
	svc_status("evil\nREADY=1");
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "STATUS=evil\\nREADY=1");
	before = mono_usec();
	svc_reloading();
	after = mono_usec();
	next_msg(x, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu\n", &usec), 1);
	assert_true(usec >= before && usec <= after);
	assert_non_null(strstr(buf, "\nSTATUS=reloading the configuration"));
	svc_stopping();
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "STOPPING=1");
}

static void test_watchdog(void **state)
{
	struct fx *x = *state;
	char buf[256];

	assert_int_equal(svc_watchdog_init(), 0);
	svc_watchdog(100000);
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "");
	setenv("WATCHDOG_USEC", "4000000", 1);
	assert_int_equal(svc_watchdog_init(), 4000);
	svc_watchdog(200000);
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "WATCHDOG=1");
	/* At half the interval, not sooner. */
	svc_watchdog(201999);
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "");
	svc_watchdog(202000);
	assert_string_equal(next_msg(x, buf, sizeof(buf)), "WATCHDOG=1");
}

/* The agent's side, in a child: wait for the SIGHUP; a forged verdict
 * from another process first; then the real one. */
static void agent_child(bool ok, bool forge)
{
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if (sigwaitinfo(&set, &si) != SIGHUP || si.si_code != SI_QUEUE ||
	    si.si_value.sival_int != SVC_RELOAD_MAGIC)
		_exit(3);
	if (forge) {
		pid_t p = fork();

		if (p == 0)
			_exit(svc_reload_reply(si.si_pid, true, 0, "forged") ? 4 : 0);
		waitpid(p, NULL, 0);
	}
	if (svc_reload_reply(si.si_pid, ok, -EINVAL, ok ? "configuration reloaded (x)" :
			     "reload failed: store /typo.db: does not exist") < 0)
		_exit(5);
	_exit(0);
}

static void reload_round(bool ok, bool forge)
{
	sigset_t set, old;
	char msg[600];
	pid_t pid;
	int ret, status;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		agent_child(ok, forge);
	sigprocmask(SIG_SETMASK, &old, NULL);
	ret = svc_reload_request(pid, 5000, msg, sizeof(msg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	if (ok) {
		assert_int_equal(ret, 0);
		assert_string_equal(msg, "configuration reloaded (x)");
	} else {
		assert_int_equal(ret, -EINVAL);
		assert_string_equal(msg, "reload failed: store /typo.db: does not exist");
	}
}

static void test_reload_verdict(void **state)
{
	(void)state;
	reload_round(true, false);
	reload_round(false, false);
	/* Another process's "READY=1" is not the agent's verdict. */
	reload_round(false, true);
}

static void test_reload_no_answer(void **state)
{
	char msg[600];
	sigset_t set;
	pid_t pid;

	(void)state;
	/* An agent that never answers (a plain SIGHUP handler). */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	assert_int_equal(svc_reload_request(pid, 300, msg, sizeof(msg)), -ETIMEDOUT);
	assert_non_null(strstr(msg, "no answer from tenetd"));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* No such process. */
	assert_int_equal(svc_reload_request(pid, 300, msg, sizeof(msg)), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_verdict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_no_answer, setup, teardown),
	};

	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}

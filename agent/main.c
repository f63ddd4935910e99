// SPDX-License-Identifier: GPL-2.0
/* tenetd: the tenet host agent. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tenet/limits.h>

#include "agent.h"
#include "log.h"
#include "service.h"
#include "store/store.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tenetd [OPTIONS]\n"
		"The tenet host agent: programs this host's datapath from the control store.\n"
		"Runs in the foreground and logs to stderr.\n"
		"\n"
		"  --config FILE     configuration file (default %s)\n"
		"  --host NAME       this host's name in the store (default: short host name)\n"
		"  --underlay DEV    device that receives NVGRE; tenet's decap program goes there\n"
		"  --decap MODE      auto (default), xdp or tc: the hook that decapsulates\n"
		"                    NVGRE on the underlay; auto takes TC on veth and where\n"
		"                    XDP would only run generic, XDP otherwise\n"
		"  --store URL       control store (default %s)\n"
		"  --bpffs DIR       bpffs mount point; maps are pinned under\n"
		"                    DIR/tenet/HOST/v%d (default %s)\n"
		"  --foreground      accepted for compatibility: tenetd always runs in the\n"
		"                    foreground\n"
		"  --flowid on|off   FlowID (low 8 bits of the GRE key) from the inner flow\n"
		"                    (default on); off sends key = VSID << 8, for kernel\n"
		"                    gretap peers, which match the whole key\n"
		"  --debug           log more\n"
		"  --cleanup         remove everything tenet put in the kernel for this host\n"
		"                    (programs, PA addresses, provider routes, pins) and exit\n"
		"  --check           check the configuration, its store and underlay, and exit\n"
		"  --reload PID      make the agent PID reload its configuration and wait for\n"
		"                    the verdict: exit 0 once the new one is in force, 1 when\n"
		"                    the agent kept the running one (systemd's ExecReload)\n"
		"  --accept-deletions  confirm the mass deletion the agent's first full read\n"
		"                    of the store would make (see docs/agent.md)\n"
		"  --help            this text\n"
		"  --version         print the version and exit\n"
		"Signals: SIGHUP re-reads the configuration; SIGTERM exits and leaves the\n"
		"datapath running, so a restart loses no packets.\n",
		TENETD_CONF_DEFAULT, TENET_STORE_DEFAULT, TENET_LAYOUT_VERSION,
		TENETD_BPFFS_DEFAULT);
}

/* tenetd's memory is a few large tables (about 450 MiB at 1M records):
 * on 4 KiB pages every switch back into it costs the kernel, and a
 * hypervisor that shadows page tables far more (docs/performance.md,
 * "Huge pages"). glibc's malloc puts its heap on transparent huge pages
 * when its tunable says so, and reads the tunable only at exec: so
 * tenetd re-executes itself once with it, unless GLIBC_TUNABLES already
 * names it (glibc.malloc.hugetlb=0 keeps 4 KiB pages). */
#define HUGETLB_TUNABLE "glibc.malloc.hugetlb"

static void exec_with_huge_pages(char **argv)
{
	const char *cur = getenv("GLIBC_TUNABLES");
	char *val;

	if (cur && strstr(cur, HUGETLB_TUNABLE))
		return;
	if (asprintf(&val, HUGETLB_TUNABLE "=1%s%s", cur && *cur ? ":" : "", cur ? cur : "") < 0)
		return;
	if (setenv("GLIBC_TUNABLES", val, 1) == 0)
		execv("/proc/self/exe", argv);
	log_warn("cannot re-execute with %s=1: %s; running on 4 KiB pages", HUGETLB_TUNABLE,
		 strerror(errno));
	free(val);
}

/* How long `tenetd --reload` waits: less than systemd's default
 * TimeoutStartSec (90 s), which also bounds a reload. */
#define RELOAD_WAIT_MS 60000

static int request_reload(const char *arg)
{
	char msg[600], esc[256];
	char *end;
	long pid;
	int ret;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (errno || end == arg || *end || pid <= 0) {
		log_escape(esc, sizeof(esc), arg);
		fprintf(stderr, "tenetd: --reload '%s': not a process id\n", esc);
		return 2;
	}
	ret = svc_reload_request((pid_t)pid, RELOAD_WAIT_MS, msg, sizeof(msg));
	if (ret < 0) {
		fprintf(stderr, "tenetd: %s\n", msg[0] ? msg : strerror(-ret));
		return 1;
	}
	printf("tenetd: %s\n", msg);
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_CONFIG = 256, O_HOST, O_UNDERLAY, O_STORE, O_BPFFS, O_FG, O_DEBUG, O_CLEANUP,
	       O_FLOWID, O_DECAP, O_CHECK, O_RELOAD, O_ACCEPT };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, O_CONFIG },
		{ "host", required_argument, NULL, O_HOST },
		{ "underlay", required_argument, NULL, O_UNDERLAY },
		{ "store", required_argument, NULL, O_STORE },
		{ "bpffs", required_argument, NULL, O_BPFFS },
		{ "foreground", no_argument, NULL, O_FG },
		{ "debug", no_argument, NULL, O_DEBUG },
		{ "flowid", required_argument, NULL, O_FLOWID },
		{ "decap", required_argument, NULL, O_DECAP },
		{ "cleanup", no_argument, NULL, O_CLEANUP },
		{ "check", no_argument, NULL, O_CHECK },
		{ "reload", required_argument, NULL, O_RELOAD },
		{ "accept-deletions", no_argument, NULL, O_ACCEPT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct config_flags f = { 0 };
	bool cleanup = false, check = false;
	const char *reload = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case O_CONFIG: f.config = optarg; break;
		case O_HOST: f.host = optarg; break;
		case O_UNDERLAY: f.underlay = optarg; break;
		case O_STORE: f.store = optarg; break;
		case O_BPFFS: f.bpffs = optarg; break;
		case O_FG: break;
		case O_DEBUG: f.debug = true; break;
		case O_FLOWID: f.flowid = optarg; break;
		case O_DECAP: f.decap = optarg; break;
		case O_CLEANUP: cleanup = true; break;
		case O_CHECK: check = true; break;
		case O_RELOAD: reload = optarg; break;
		case O_ACCEPT: f.accept_deletions = true; break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tenetd %s (datapath layout %d)\n", TENET_VERSION, TENET_LAYOUT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		char arg[256];

		log_escape(arg, sizeof(arg), argv[optind]);
		fprintf(stderr, "tenetd: unexpected argument '%s'\n", arg);
		return 2;
	}
	if (reload)
		return request_reload(reload);
	if (check)
		return agent_check(&f);
	if (cleanup)
		return agent_cleanup(&f);
	exec_with_huge_pages(argv);
	return agent_run(&f);
}

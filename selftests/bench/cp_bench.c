// SPDX-License-Identifier: GPL-2.0
/* Control-plane benchmark helper (selftests/bench/cp_bench.sh drives it).
 *
 *   cp_bench load STORE N          write N lookup records into STORE through
 *                                  the store API (transactions of 10k puts):
 *                                  VSIDs 10000..10015, CAs 10.16.0.0/12,
 *                                  remote PA 192.168.4.22. The routing
 *                                  domain and subnets come from the CLI.
 *   cp_bench count PIN_DIR         entries of the pinned tenet_ca map
 *   cp_bench latency N RD STORE TENET PIN_DIR...
 *                                  N times: run `TENET --store STORE lookup
 *                                  add|replace ...` and, from the moment it
 *                                  returned, time until every PIN_DIR's
 *                                  tenet_ca holds the new record (routing
 *                                  domain id RD); prints p50/p99/max in ms.
 *   cp_bench cpu N PID RD VSID NET STORE TENET PIN_DIR
 *                                  the agent PID's CPU time per change: N
 *                                  times `lookup add|replace` of CA
 *                                  NET.200+x.y (NET A.B; A.B.C: from C) in
 *                                  VSID, waited for in PIN_DIR's
 *                                  tenet_ca, then until the agent is idle
 *                                  again; from its threads' schedstat (ns,
 *                                  not the 10 ms ticks of /proc/PID/stat).
 *                                  Prints p50/p99/max in ms.
 *   cp_bench idle MIB 4k|huge      a control for `cpu`: a process that holds
 *                                  MIB of touched memory (on 4 KiB or on
 *                                  transparent huge pages) and does nothing
 *                                  but wake every 250 ms, until SIGTERM;
 *                                  prints the CPU time it was charged per
 *                                  wake-up (p50/p99/max, ms): what the
 *                                  platform bills a large address space
 *                                  for being switched back in.
 *   cp_bench touch MIB             a control for `load`: the time to touch
 *                                  MIB of fresh memory once (huge pages),
 *                                  what any process of the agent's size
 *                                  pays before it has done anything. Here
 *                                  free memory is handed back to the
 *                                  hypervisor (virtio-balloon free page
 *                                  reporting), so a first touch is slow.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <tenet/maps.h>
#include "kinds/record.h"
#include "store/store.h"

#define LOAD_VSID 10000u
#define LOAD_BATCH 10000u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Record i: VSID 10000 + i / 65534, CA 10.(16 + i / 65534).x.y (host
 * part 1 + i % 65534, so never .0 or the broadcast), a unique MAC. */
static void load_record(unsigned int i, struct tenet_record *r)
{
	unsigned int sub = i / 65534, host = 1 + i % 65534;

	memset(r, 0, sizeof(*r));
	r->kind = TENET_KIND_LOOKUP;
	r->lookup.vsid = LOAD_VSID + sub;
	r->lookup.has_ca = true;
	r->lookup.ca = htonl(0x0a000000 | (16 + sub) << 16 | host);
	memcpy(r->lookup.mac, (uint8_t[]){ 0x02, 0x20, i >> 24, i >> 16, i >> 8, i }, 6);
	r->lookup.pa = htonl(0xc0a80416);
	r->lookup.type = TENET_LOOKUP_STATIC;
	r->lookup.rule = TENET_RULE_ENCAP;
}

static int cmd_load(const char *url, unsigned int n)
{
	struct tenet_store *s = NULL;
	struct tenet_txn *t = NULL;
	struct tenet_err err = {};
	double t0 = now_s();
	int ret;

	ret = tenet_store_open(url, &s, &err);
	if (ret)
		goto out;
	for (unsigned int i = 0; i < n; i++) {
		struct tenet_record r;
		char key[256];
		json_t *j;

		if (!t && !(t = tenet_txn_new())) {
			ret = -ENOMEM;
			goto out;
		}
		load_record(i, &r);
		ret = tenet_record_key(&r, key, sizeof(key));
		if (ret < 0)
			goto out;
		j = tenet_record_to_json(&r);
		ret = j ? tenet_txn_put_json(t, key, j) : -ENOMEM;
		json_decref(j);
		if (ret)
			goto out;
		if ((i + 1) % LOAD_BATCH == 0 || i + 1 == n) {
			ret = tenet_store_commit(s, t, NULL, &err);
			tenet_txn_free(t);
			t = NULL;
			if (ret)
				goto out;
		}
	}
	printf("loaded %u lookup records in %.1f s\n", n, now_s() - t0);
out:
	if (ret)
		fprintf(stderr, "cp_bench: load: %s\n", err.msg[0] ? err.msg : strerror(-ret));
	tenet_txn_free(t);
	tenet_store_close(s);
	return ret ? 1 : 0;
}

static int open_ca(const char *dir)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, TENET_MAP_CA);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "cp_bench: %s: %s\n", path, strerror(errno));
	return fd;
}

static int cmd_count(const char *dir)
{
	struct tenet_ca_key k, next;
	void *prev = NULL;
	long n = 0;
	int fd = open_ca(dir);

	if (fd < 0)
		return 1;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	printf("%ld\n", n);
	close(fd);
	return 0;
}

static int run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Changes alternate between a new record (add) and moving the previous one
 * to another PA (replace); each is waited for in every agent's map. */
static int cmd_latency(int n, unsigned int rd, const char *store, const char *tenet,
		       char **dirs, int ndirs)
{
	double *lat = calloc(n, sizeof(*lat)), *e2e = calloc(n, sizeof(*e2e));
	int fds[16], ret = 1, nfd = 0;

	if (!lat || !e2e || ndirs > 16)
		goto out;
	for (; nfd < ndirs; nfd++)
		if ((fds[nfd] = open_ca(dirs[nfd])) < 0)
			goto out;
	for (int i = 0; i < n; i++) {
		unsigned int idx = i / 2, host = 2 + idx % 250, sub = idx / 250;
		char ca[32], mac[32], pa[32], vsid[16];
		char *argv[] = { (char *)tenet, "--store", (char *)store, "lookup",
				 i % 2 ? "replace" : "add", "vsid", vsid, "ca", ca, "mac", mac,
				 "pa", pa, NULL };
		struct tenet_ca_key k = { .rdomain = rd };
		struct tenet_ca_val v;
		__be32 want;
		double t0, ts = now_s();
		int have;

		snprintf(vsid, sizeof(vsid), "%u", 20000);
		snprintf(ca, sizeof(ca), "10.40.%u.%u", sub, host);
		snprintf(mac, sizeof(mac), "02:30:00:00:%02x:%02x", idx >> 8 & 0xff, idx & 0xff);
		snprintf(pa, sizeof(pa), "192.168.4.%u", i % 2 ? 23 : 22);
		inet_pton(AF_INET, ca, &k.ip);
		inet_pton(AF_INET, pa, &want);
		if (run(argv)) {
			fprintf(stderr, "cp_bench: tenet lookup %s %s failed\n", argv[4], ca);
			goto out;
		}
		t0 = now_s();
		do {
			have = 0;
			for (int d = 0; d < nfd; d++)
				have += !bpf_map_lookup_elem(fds[d], &k, &v) && v.pa == want;
			if (have == nfd)
				break;
			usleep(200);
		} while (now_s() - t0 < 10);
		if (have != nfd) {
			fprintf(stderr, "cp_bench: %s not in every map after 10 s\n", ca);
			goto out;
		}
		lat[i] = (now_s() - t0) * 1000;
		e2e[i] = (now_s() - ts) * 1000;
	}
	qsort(lat, n, sizeof(*lat), cmp_dbl);
	qsort(e2e, n, sizeof(*e2e), cmp_dbl);
	/* from the CLI's return, then from its start (CLI time included) */
	printf("changes %d agents %d p50 %.1f p99 %.1f max %.1f ms; from the CLI's start "
	       "p50 %.1f p99 %.1f ms\n", n, nfd, lat[n / 2], lat[(n * 99 + 99) / 100 - 1],
	       lat[n - 1], e2e[n / 2], e2e[(n * 99 + 99) / 100 - 1]);
	ret = 0;
out:
	while (nfd-- > 0)
		close(fds[nfd]);
	free(lat);
	free(e2e);
	return ret;
}

/* CPU time of all threads of pid so far, in ns (0: unreadable). */
static unsigned long long task_cpu_ns(int pid)
{
	unsigned long long sum = 0, v;
	char path[300];
	struct dirent *d;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &v) == 1)
			sum += v;
		fclose(f);
	}
	closedir(dir);
	return sum;
}

/* Wait until the agent used no CPU for quiet_ms (its round, the status
 * write after it, are over); returns its CPU time then. */
static unsigned long long cpu_settled(int pid, int quiet_ms)
{
	unsigned long long prev = task_cpu_ns(pid), cur;
	double t0 = now_s(), still = now_s();

	for (;;) {
		usleep(2000);
		cur = task_cpu_ns(pid);
		if (cur != prev) {
			prev = cur;
			still = now_s();
		} else if ((now_s() - still) * 1000 >= quiet_ms || now_s() - t0 > 10) {
			return cur;
		}
	}
}

/* Changes alternate as in cmd_latency (add, then replace to another PA);
 * each change's cost is the agent's CPU from before the CLI ran until it
 * is idle after the record reached its map. */
static int cmd_cpu(int n, int pid, unsigned int rd, const char *vsid, const char *net,
		   const char *store, const char *tenet, const char *dir)
{
	double *cpu = calloc(n, sizeof(*cpu)), *lat = calloc(n, sizeof(*lat));
	unsigned int a, b, base = 200;
	int fd = -1, ret = 1;
	char pfx[16];

	if (sscanf(net, "%u.%u.%u", &a, &b, &base) < 2 || a > 255 || b > 255 || base > 255) {
		fprintf(stderr, "cp_bench: NET '%s': not A.B or A.B.C\n", net);
		goto out;
	}
	snprintf(pfx, sizeof(pfx), "%u.%u", a, b);
	if (!cpu || !lat || (fd = open_ca(dir)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		unsigned int idx = i / 2, host = 2 + idx % 250, sub = idx / 250;
		char ca[48], mac[32], pa[32];
		char *argv[] = { (char *)tenet, "--store", (char *)store, "lookup",
				 i % 2 ? "replace" : "add", "vsid", (char *)vsid, "ca", ca,
				 "mac", mac, "pa", pa, NULL };
		struct tenet_ca_key k = { .rdomain = rd };
		struct tenet_ca_val v;
		unsigned long long c0;
		__be32 want;
		double t0;

		snprintf(ca, sizeof(ca), "%s.%u.%u", pfx, base + sub, host);
		snprintf(mac, sizeof(mac), "02:31:%02x:00:%02x:%02x", base, idx >> 8 & 0xff, idx & 0xff);
		snprintf(pa, sizeof(pa), "192.168.4.%u", i % 2 ? 23 : 22);
		if (inet_pton(AF_INET, ca, &k.ip) != 1)
			goto out;
		inet_pton(AF_INET, pa, &want);
		c0 = cpu_settled(pid, 20);
		if (!c0) {
			fprintf(stderr, "cp_bench: cannot read the CPU time of pid %d\n", pid);
			goto out;
		}
		if (run(argv)) {
			fprintf(stderr, "cp_bench: tenet lookup %s %s failed\n", argv[4], ca);
			goto out;
		}
		t0 = now_s();
		while (bpf_map_lookup_elem(fd, &k, &v) || v.pa != want) {
			if (now_s() - t0 > 30) {
				fprintf(stderr, "cp_bench: %s not in the map after 30 s\n", ca);
				goto out;
			}
			usleep(200);
		}
		lat[i] = (now_s() - t0) * 1000;
		cpu[i] = (cpu_settled(pid, 20) - c0) / 1e6;
	}
	qsort(cpu, n, sizeof(*cpu), cmp_dbl);
	qsort(lat, n, sizeof(*lat), cmp_dbl);
	printf("changes %d agent CPU p50 %.2f p99 %.2f max %.2f ms; to the map p50 %.1f p99 %.1f ms\n",
	       n, cpu[n / 2], cpu[(n * 99 + 99) / 100 - 1], cpu[n - 1], lat[n / 2],
	       lat[(n * 99 + 99) / 100 - 1]);
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(cpu);
	free(lat);
	return ret;
}

static volatile sig_atomic_t idle_stop;

static void on_term(int sig)
{
	(void)sig;
	idle_stop = 1;
}

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmd_idle(size_t mib, const char *pages)
{
	size_t len = mib << 20, n = 0, cap = 4096;
	double *cost = calloc(cap, sizeof(*cost));
	bool huge = !strcmp(pages, "huge");
	int ep = epoll_create1(0), ret = 1;
	struct epoll_event ev;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!cost || ep < 0 || mem == MAP_FAILED ||
	    madvise(mem, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		fprintf(stderr, "cp_bench idle: %s\n", strerror(errno));
		goto out;
	}
	memset(mem, 1, len);
	signal(SIGTERM, on_term);
	while (!idle_stop && n < cap) {
		double t = thread_cpu_ms();

		if (epoll_wait(ep, &ev, 1, 250) < 0 && errno != EINTR)
			break;
		cost[n++] = thread_cpu_ms() - t;
	}
	if (!n)
		goto out;
	qsort(cost, n, sizeof(*cost), cmp_dbl);
	printf("wakes %zu charged CPU p50 %.2f p99 %.2f max %.2f ms (%s pages, %zu MiB)\n", n,
	       cost[n / 2], cost[(n * 99 + 99) / 100 - 1], cost[n - 1], huge ? "huge" : "4k", mib);
	ret = 0;
out:
	free(cost);
	if (mem != MAP_FAILED)
		munmap(mem, len);
	if (ep >= 0)
		close(ep);
	return ret;
}

static int cmd_touch(size_t mib)
{
	size_t len = mib << 20;
	struct timespec a, b;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || madvise(mem, len, MADV_HUGEPAGE)) {
		fprintf(stderr, "cp_bench touch: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	memset(mem, 1, len);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("touched %zu MiB in %.2f s (%.2f ms per MiB)\n", mib,
	       (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
	       ((double)(b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / (double)mib);
	munmap(mem, len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], strtoul(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "count"))
		return cmd_count(argv[2]);
	if (argc >= 7 && !strcmp(argv[1], "latency"))
		return cmd_latency(atoi(argv[2]), strtoul(argv[3], NULL, 0), argv[4], argv[5],
				   argv + 6, argc - 6);
	if (argc == 10 && !strcmp(argv[1], "cpu"))
		return cmd_cpu(atoi(argv[2]), atoi(argv[3]), strtoul(argv[4], NULL, 0), argv[5],
			       argv[6], argv[7], argv[8], argv[9]);
	if (argc == 4 && !strcmp(argv[1], "idle") &&
	    (!strcmp(argv[3], "4k") || !strcmp(argv[3], "huge")))
		return cmd_idle(strtoul(argv[2], NULL, 0), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "touch") && strtoul(argv[2], NULL, 0))
		return cmd_touch(strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: cp_bench load STORE N | count PIN_DIR |\n"
			"       cp_bench latency N RDOMAIN-ID STORE TENET PIN_DIR... |\n"
			"       cp_bench cpu N PID RDOMAIN-ID VSID NET STORE TENET PIN_DIR |\n"
			"       cp_bench idle MIB 4k|huge | touch MIB\n");
	return 2;
}

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
 *                                  NET.200+x.y in VSID, waited for in PIN_DIR's
 *                                  tenet_ca, then until the agent is idle
 *                                  again; from its threads' schedstat (ns,
 *                                  not the 10 ms ticks of /proc/PID/stat).
 *                                  Prints p50/p99/max in ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
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
	int fd = -1, ret = 1;

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

		snprintf(ca, sizeof(ca), "%s.%u.%u", net, 200 + sub, host);
		snprintf(mac, sizeof(mac), "02:31:00:00:%02x:%02x", idx >> 8 & 0xff, idx & 0xff);
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
	fprintf(stderr, "usage: cp_bench load STORE N | count PIN_DIR |\n"
			"       cp_bench latency N RDOMAIN-ID STORE TENET PIN_DIR... |\n"
			"       cp_bench cpu N PID RDOMAIN-ID VSID NET STORE TENET PIN_DIR\n");
	return 2;
}

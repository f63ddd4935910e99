// SPDX-License-Identifier: GPL-2.0
/* Per-packet cost of the tenet datapath with BPF_PROG_TEST_RUN, side by
 * side with baseline programs on the same hook, in the same run.
 *
 * Each sample is one test run of one fresh frame (repeat = 1): programs
 * that encapsulate or decapsulate change their frame, so a repeated run
 * would measure a different packet from the second iteration on. The
 * kernel times each run itself; the figure is the median of many samples,
 * and the timer's own overhead is the same for the datapath and the
 * baselines, so the ratios are what to read.
 *
 * Then the same cases with the lookup tables grown (1k -> 1M lookup
 * records, 100 -> 100k customer routes) to show how the cost scales.
 *
 * usage: prog_bench [-n SAMPLES] [-s] (-s: smoke, small tables, few samples)
 * Runs inside selftests/bpf/netns.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tenet/limits.h>
#include <tenet/maps.h>
#include "../bpf/topo.h"

enum hook { H_XDP, H_TC };

struct bench_case {
	const char *name;
	enum hook hook;
	int port;                 /* TC ingress device */
	void (*build)(struct frame *f);
	int target_ns;            /* issue target on this machine, 0: none */
	int prog_fd;              /* filled in: datapath or baseline program */
};

static void b_decap(struct frame *f)
{
	struct frame inner = {};

	f_udp_frame(&inner, MAC_C1, MAC_C3, "10.0.0.8", "10.0.0.5", 64);
	f_eth(f, MAC_UL0, MAC_PA_REMOTE, 0x0800);
	f_ipv4_full(f, 0, 0, "192.168.4.22", "192.168.4.11", 47, 64, 0x4000, 8 + inner.len);
	f_gre(f, 0x2000, 0x6558, 5001 << 8);
	f_bytes(f, inner.b, inner.len);
}

static void b_encap(struct frame *f)
{
	f_udp_frame(f, MAC_C3, MAC_C1, "10.0.0.5", "10.0.0.8", 64);
}

static void b_routed(struct frame *f)
{
	f_udp_frame(f, MAC_ROUTER, MAC_C1, "10.0.0.5", "10.0.1.8", 64);
}

static void b_croute(struct frame *f)
{
	f_udp_frame(f, MAC_ROUTER, MAC_C1, "10.0.0.5", "10.229.200.22", 64);
}

static void b_arp(struct frame *f)
{
	f_eth(f, MAC_BCAST, MAC_C1, ETH_P_ARP);
	f_arp(f, 1, MAC_C1, "10.0.0.5", MAC_ZERO, "10.0.0.7");
}

static void b_passthrough(struct frame *f)
{
	f_udp_frame(f, MAC_UL0, MAC_PA_REMOTE, "192.168.4.22", "192.168.4.11", 64);
}

/* Baselines get the plain UDP frame their hook would see. */
static void b_plain(struct frame *f)
{
	f_udp_frame(f, MAC_C3, MAC_C1, "10.0.0.5", "10.0.0.8", 64);
}

static struct bench_case cases[] = {
	{ "decap + deliver (XDP)", H_XDP, 0, b_decap, 40 },
	{ "encap, same VSID, remote (TC)", H_TC, P1, b_encap, 60 },
	{ "routed, other VSID, remote (TC)", H_TC, P1, b_routed, 80 },
	{ "routed via customer route (TC)", H_TC, P1, b_croute, 80 },
	{ "ARP proxy (TC)", H_TC, P1, b_arp, 40 },
	{ "non-NVGRE pass-through (XDP)", H_XDP, 0, b_passthrough, 0 },
};

static struct bench_case baselines[] = {
	{ "baseline XDP_PASS", H_XDP, 0, b_plain },
	{ "baseline XDP parse + MAC swap", H_XDP, 0, b_plain },
	{ "baseline TC_ACT_OK", H_TC, P1, b_plain },
	{ "baseline TC parse + MAC swap", H_TC, P1, b_plain },
};

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Median per-run time in ns, or -1 on error. */
static double measure(const struct bench_case *c, int samples)
{
	static struct frame in;
	static __u8 out[FRAME_MAX + 256];
	struct __sk_buff skb = { .ifindex = topo.ifindex[c->port] };
	__u32 *t = calloc(samples, sizeof(*t));
	double median;

	if (!t)
		return -1;
	memset(&in, 0, sizeof(in));
	c->build(&in);
	for (int i = 0; i < samples; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in.b, .data_size_in = in.len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (c->hook == H_TC) {
			o.ctx_in = &skb;
			o.ctx_size_in = sizeof(skb);
		}
		if (bpf_prog_test_run_opts(c->prog_fd, &o)) {
			fprintf(stderr, "prog_bench: %s: %s\n", c->name, strerror(errno));
			free(t);
			return -1;
		}
		t[i] = o.duration;
	}
	qsort(t, samples, sizeof(*t), cmp_u32);
	median = samples % 2 ? t[samples / 2] : (t[samples / 2 - 1] + t[samples / 2]) / 2.0;
	free(t);
	return median;
}

/* Fill the lookup tables with n records (and the route table with r
 * routes) that the benchmark frames never hit: other routing domains and
 * VSIDs for records, other prefixes of Contoso for routes, so the LPM trie
 * the routed frames walk really grows. */
static int grow_tables(unsigned int n, unsigned int r)
{
	int ca_fd = bpf_map__fd(TOPO_MAPS.tenet_ca), mac_fd = bpf_map__fd(TOPO_MAPS.tenet_mac);
	int rt_fd = bpf_map__fd(TOPO_MAPS.tenet_route);
	const unsigned int batch = 4096;
	struct tenet_ca_key *ck = calloc(batch, sizeof(*ck));
	struct tenet_ca_val *cv = calloc(batch, sizeof(*cv));
	struct tenet_vmac_key *mk = calloc(batch, sizeof(*mk));
	struct tenet_vmac_val *mv = calloc(batch, sizeof(*mv));
	int err = -ENOMEM;

	if (!ck || !cv || !mk || !mv)
		goto out;
	for (unsigned int i = 0; i < n; i += batch) {
		__u32 cnt = n - i < batch ? n - i : batch;

		for (__u32 j = 0; j < cnt; j++) {
			__u32 id = i + j;

			ck[j] = (struct tenet_ca_key){ .rdomain = 1000 + id / 65536,
						       .ip = htonl(0x0a000000 | (id % 65536)) };
			cv[j] = (struct tenet_ca_val){ .vsid = 100000 + id / 250,
						       .pa = htonl(0xc0a80416) };
			memcpy(cv[j].mac, (__u8[]){ 0x02, 0x10, id >> 24, id >> 16, id >> 8, id }, 6);
			mk[j] = (struct tenet_vmac_key){ .vsid = cv[j].vsid };
			memcpy(mk[j].mac, cv[j].mac, 6);
			mv[j] = (struct tenet_vmac_val){ .pa = cv[j].pa };
		}
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		__u32 c1 = cnt, c2 = cnt;

		if (bpf_map_update_batch(ca_fd, ck, cv, &c1, &bo) ||
		    bpf_map_update_batch(mac_fd, mk, mv, &c2, &bo)) {
			err = -errno;
			goto out;
		}
	}
	/* Routes: /32../16 prefixes spread over 172.16.0.0/12 in Contoso. */
	srand(7);
	for (unsigned int i = 0; i < r; i++) {
		unsigned int plen = 16 + (unsigned int)rand() % 17;
		__u32 ip = (0xac100000 | ((__u32)rand() & 0x000fffff)) &
			   (plen ? ~0u << (32 - plen) : 0);
		struct tenet_route_key k = { .prefixlen = 32 + plen, .rdomain = htonl(1),
					     .ip = htonl(ip) };
		struct tenet_route_val v = { .nexthop = topo_be("10.0.2.2"), .vsid = 5002,
					     .metric = 1 };

		if (bpf_map_update_elem(rt_fd, &k, &v, BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
	err = 0;
out:
	free(ck);
	free(cv);
	free(mk);
	free(mv);
	return err;
}

static int count_entries(int fd, size_t ksz)
{
	__u8 key[64], next[64];
	int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		n++;
	}
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct scale_row {
	const char *label;
	unsigned int records, routes;
	double ns[sizeof(cases) / sizeof(cases[0])];
};

int main(int argc, char **argv)
{
	int samples = 20000, smoke = 0, opt, err = 1;
	struct bpf_object *base = NULL;
	double base_ns[4];
	struct scale_row rows[3] = {
		{ "1k records, 100 routes", 1000, 100 },
		{ "1M records, 100 routes", 1000000, 100 },
		{ "1M records, 100k routes", 1000000, 100000 },
	};
	const int nrows = 3;
	char path[512];
	size_t ncase = sizeof(cases) / sizeof(cases[0]);

	while ((opt = getopt(argc, argv, "n:s")) != -1) {
		switch (opt) {
		case 'n': samples = atoi(argv[optind - 1]); break;
		case 's': smoke = 1; break;
		default:
			fprintf(stderr, "usage: prog_bench [-n SAMPLES] [-s]\n");
			return 2;
		}
	}
	if (smoke) {
		samples = 200;
		rows[0].records = 100, rows[0].routes = 10;
		rows[1].records = 2000, rows[1].routes = 10;
		rows[2].records = 2000, rows[2].routes = 1000;
		rows[0].label = "smoke: 100 records, 10 routes";
		rows[1].label = "smoke: 2k records, 10 routes";
		rows[2].label = "smoke: 2k records, 1k routes";
	}
	if (samples < 1)
		samples = 1;
	if (topo_setup(false))
		return 1;
	topo_seed();

	snprintf(path, sizeof(path), "%s/bench/baseline.bpf.o", getenv("BUILD") ?: "build");
	base = bpf_object__open_file(path, NULL);
	if (!base || bpf_object__load(base)) {
		fprintf(stderr, "prog_bench: cannot load %s\n", path);
		goto out;
	}
	baselines[0].prog_fd = bpf_program__fd(bpf_object__find_program_by_name(base, "base_xdp_pass"));
	baselines[1].prog_fd = bpf_program__fd(bpf_object__find_program_by_name(base, "base_xdp_swap"));
	baselines[2].prog_fd = bpf_program__fd(bpf_object__find_program_by_name(base, "base_tc_pass"));
	baselines[3].prog_fd = bpf_program__fd(bpf_object__find_program_by_name(base, "base_tc_swap"));
	for (size_t i = 0; i < ncase; i++)
		cases[i].prog_fd = cases[i].hook == H_XDP ?
			bpf_program__fd(topo.dp.xdp->progs.tenet_xdp_underlay) :
			bpf_program__fd(topo.dp.tc->progs.tenet_tc_port);

	struct utsname u;

	uname(&u);
	printf("tenet per-packet cost: BPF_PROG_TEST_RUN, median of %d single runs, kernel %s\n",
	       samples, u.release);
	for (int r = 0; r < nrows; r++) {
		unsigned int have = count_entries(bpf_map__fd(TOPO_MAPS.tenet_ca),
						  sizeof(struct tenet_ca_key));
		double t0 = now_s();

		if (rows[r].records > have || r == 2) {
			int e = grow_tables(rows[r].records > have ? rows[r].records - have : 0,
					    r == 2 ? rows[r].routes - rows[r - 1].routes : 0);

			if (e) {
				fprintf(stderr, "prog_bench: growing tables: %s\n", strerror(-e));
				goto out;
			}
		}
		if (r)
			printf("  (tables grown to %u records, %u routes in %.1f s)\n",
			       rows[r].records, rows[r].routes, now_s() - t0);
		for (size_t i = 0; i < ncase; i++) {
			rows[r].ns[i] = measure(&cases[i], samples);
			if (rows[r].ns[i] < 0)
				goto out;
		}
		/* Baselines are measured with each table size too, so a drift
		 * of the machine shows up in both columns. */
		if (r == 0)
			for (int b = 0; b < 4; b++)
				if ((base_ns[b] = measure(&baselines[b], samples)) < 0)
					goto out;
	}

	printf("\n%-34s %7s\n", "baseline", "ns/pkt");
	for (int b = 0; b < 4; b++)
		printf("%-34s %7.0f\n", baselines[b].name, base_ns[b]);
	/* net: minus the same hook's XDP_PASS/TC_ACT_OK run, i.e. without the
	 * test-run and timer overhead every sample carries. */
	printf("\n%-34s %7s %7s %9s %9s %7s %s\n", "case (1k records, 100 routes)", "ns/pkt",
	       "net", "x pass", "x swap", "target", "(net vs target)");
	for (size_t i = 0; i < ncase; i++) {
		double pass = cases[i].hook == H_XDP ? base_ns[0] : base_ns[2];
		double swap = cases[i].hook == H_XDP ? base_ns[1] : base_ns[3];
		double ns = rows[0].ns[i];
		char tgt[16] = "-";

		if (cases[i].target_ns)
			snprintf(tgt, sizeof(tgt), "%d", cases[i].target_ns);
		printf("%-34s %7.0f %7.0f %9.2f %9.2f %7s %s\n", cases[i].name, ns, ns - pass,
		       ns / pass, ns / swap, tgt,
		       !cases[i].target_ns ? "" : ns - pass <= cases[i].target_ns ? "met" : "MISSED");
	}
	printf("\nscale (ns/pkt):");
	for (int r = 0; r < nrows; r++)
		printf(" [%c] %s;", 'A' + r, rows[r].label);
	printf("\n%-34s %8s %8s %8s %9s %9s\n", "case", "[A]", "[B]", "[C]", "B/A", "C/B");
	for (size_t i = 0; i < ncase; i++) {
		printf("%-34s", cases[i].name);
		for (int r = 0; r < nrows; r++)
			printf(" %8.0f", rows[r].ns[i]);
		printf(" %9.2f %9.2f\n", rows[1].ns[i] / rows[0].ns[i],
		       rows[2].ns[i] / rows[1].ns[i]);
	}
	printf("(B/A: lookup records grown, target <= 1.3x; C/B: customer routes grown)\n");
	err = 0;
out:
	bpf_object__close(base);
	topo_teardown();
	return err;
}

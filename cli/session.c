// SPDX-License-Identifier: GPL-2.0
/* A trace session with the datapath (headers/tenet/trace.h): claim a slot
 * of the pinned tenet_trace map (mmap'ed, so claiming and arming are
 * atomic operations on the value the datapath reads), open perf buffers
 * at the slot's indexes of tenet_trace_out, arm, read, and give the slot
 * back. Slots of sessions that died without giving theirs back (killed)
 * are reaped here first: the datapath marked them GONE when it found
 * their buffers gone, or their process is no more. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli_stats.h"
#include "cli_trace.h"

/* Per CPU; a frame copy is a few hundred bytes, so this holds thousands. */
#define SESSION_PAGES 64

volatile int cli_stop;

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	cli_stop = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static bool pid_alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static void reap(struct tenet_trace_ctl *ctl)
{
	for (int i = 0; i < TENET_TRACE_SLOTS; i++) {
		struct tenet_trace_slot *s = &ctl->slot[i];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == TENET_TRACE_FREE || (st != TENET_TRACE_GONE && pid_alive(s->pid)))
			continue;
		__atomic_fetch_and(&ctl->armed, ~(1u << i), __ATOMIC_ACQ_REL);
		__atomic_compare_exchange_n(&s->state, &st, TENET_TRACE_FREE, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	}
}

static int claim(struct tenet_trace_ctl *ctl)
{
	for (int i = 0; i < TENET_TRACE_SLOTS; i++) {
		uint32_t free_ = TENET_TRACE_FREE;

		if (__atomic_compare_exchange_n(&ctl->slot[i].state, &free_, TENET_TRACE_CLAIMED,
						false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return i;
	}
	return -1;
}

/* The CPUs that are online: "0-3,6" from sysfs. */
static int online_cpus(int *cpus, int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int n = 0, a, b;
	char sep;

	if (!f)
		return -errno;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = '\n';
		}
		for (int c = a; c <= b && n < max; c++)
			cpus[n++] = c;
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

struct sample {
	struct perf_event_header h;
	uint32_t size;
	uint8_t data[];
};

struct lost {
	struct perf_event_header h;
	uint64_t id, lost;
};

static enum bpf_perf_event_ret on_event(void *ctx, int cpu, struct perf_event_header *e)
{
	struct cli_session *s = ctx;
	const struct tenet_trace_hdr *h;
	const struct sample *smp;

	(void)cpu;
	if (e->type == PERF_RECORD_LOST) {
		s->lost += ((const struct lost *)e)->lost;
		return LIBBPF_PERF_EVENT_CONT;
	}
	if (e->type != PERF_RECORD_SAMPLE)
		return LIBBPF_PERF_EVENT_CONT;
	smp = (const struct sample *)e;
	if (smp->size < sizeof(*h))
		return LIBBPF_PERF_EVENT_CONT;
	h = (const struct tenet_trace_hdr *)smp->data;
	if (sizeof(*h) + h->caplen > smp->size)
		return LIBBPF_PERF_EVENT_CONT;
	s->cb(s->arg, h, smp->data + sizeof(*h));
	return LIBBPF_PERF_EVENT_CONT;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cli_session_open(struct cli *c, const char *host, uint32_t points, uint32_t rdomain,
		     uint32_t vsid, uint32_t snaplen, cli_frame_fn cb, void *arg,
		     struct cli_session *s)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	LIBBPF_OPTS(perf_buffer_raw_opts, popts);
	int cpus[TENET_TRACE_CPUS], keys[TENET_TRACE_CPUS], ncpu, ret;
	struct tenet_trace_slot *slot;
	long page = sysconf(_SC_PAGESIZE);

	memset(s, 0, sizeof(*s));
	s->slot = -1;
	s->ctl_fd = s->out_fd = -1;
	s->cb = cb;
	s->arg = arg;
	ret = cli_open_pinned(c, host, TENET_MAP_TRACE, "trace sessions", "trace session",
			      BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct tenet_trace_ctl),
			      &s->ctl_fd);
	if (!ret)
		ret = cli_open_pinned(c, host, TENET_MAP_TRACE_OUT, "trace output", "trace output",
				      BPF_MAP_TYPE_PERF_EVENT_ARRAY, sizeof(__u32), sizeof(__u32),
				      &s->out_fd);
	if (ret)
		goto fail;
	s->map_len = (sizeof(struct tenet_trace_ctl) + (size_t)page - 1) & ~((size_t)page - 1);
	s->ctl = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->ctl_fd, 0);
	if (s->ctl == MAP_FAILED) {
		s->ctl = NULL;
		ret = cli_fail(c, "trace: mapping %s: %s", TENET_MAP_TRACE, strerror(errno));
		goto fail;
	}
	reap(s->ctl);
	s->slot = claim(s->ctl);
	if (s->slot < 0) {
		ret = cli_fail(c, "trace: all %d trace sessions of host %s are in use",
			       TENET_TRACE_SLOTS, host);
		goto fail;
	}
	slot = &s->ctl->slot[s->slot];
	slot->pid = (uint32_t)getpid();
	slot->points = points;
	slot->rdomain = rdomain;
	slot->vsid = vsid;
	slot->snaplen = snaplen;
	ncpu = online_cpus(cpus, TENET_TRACE_CPUS);
	if (ncpu <= 0) {
		ret = cli_fail(c, "trace: cannot read the online CPUs");
		goto fail;
	}
	for (int i = 0; i < ncpu; i++)
		keys[i] = s->slot * TENET_TRACE_CPUS + cpus[i];
	popts.cpu_cnt = ncpu;
	popts.cpus = cpus;
	popts.map_keys = keys;
	s->pb = perf_buffer__new_raw(s->out_fd, SESSION_PAGES, &attr, on_event, s, &popts);
	if (!s->pb) {
		ret = cli_fail(c, "trace: opening perf buffers: %s", strerror(errno));
		goto fail;
	}
	s->mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	__atomic_store_n(&slot->state, TENET_TRACE_ARMED, __ATOMIC_RELEASE);
	__atomic_fetch_or(&s->ctl->armed, 1u << s->slot, __ATOMIC_ACQ_REL);
	return 0;
fail:
	cli_session_close(s);
	return ret;
}

int cli_session_fd(const struct cli_session *s)
{
	return perf_buffer__epoll_fd(s->pb);
}

int cli_session_read(struct cli_session *s)
{
	int ret = perf_buffer__consume(s->pb);

	return ret < 0 && ret != -EINTR ? ret : 0;
}

bool cli_session_alive(const struct cli_session *s)
{
	return s->slot >= 0 &&
	       __atomic_load_n(&s->ctl->slot[s->slot].state, __ATOMIC_ACQUIRE) ==
		       TENET_TRACE_ARMED;
}

void cli_session_close(struct cli_session *s)
{
	if (s->ctl && s->slot >= 0) {
		__atomic_fetch_and(&s->ctl->armed, ~(1u << s->slot), __ATOMIC_ACQ_REL);
		__atomic_store_n(&s->ctl->slot[s->slot].state, TENET_TRACE_FREE, __ATOMIC_RELEASE);
	}
	s->slot = -1;
	perf_buffer__free(s->pb);
	s->pb = NULL;
	if (s->ctl)
		munmap(s->ctl, s->map_len);
	s->ctl = NULL;
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	if (s->out_fd >= 0)
		close(s->out_fd);
	s->ctl_fd = s->out_fd = -1;
}

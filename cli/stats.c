// SPDX-License-Identifier: GPL-2.0
/* tenet stats: the datapath's drop counters, per reason, summed over CPUs,
 * read from the map tenetd pinned. Read-only; works while tenetd is down
 * because the pinned map outlives it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tenet/drop.h>
#include <tenet/limits.h>
#include <tenet/maps.h>

#include "cli_int.h"
#include "datapath/pin.h"

static const struct cli_field stats_fields[] = {
	{ "reason", NULL }, { "packets", "packets" }, { "bytes", "bytes" }, { NULL, NULL },
};

/* Opens the pinned drop map and checks it has the layout we sum. */
static int open_drops(struct cli *c, const char *path, int *fd, __u32 *entries)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		if (errno == ENOENT)
			return cli_fail(c, "stats: no drop counters pinned at %s (is tenetd running?)",
					path);
		return cli_fail(c, "stats: %s: %s", path, strerror(errno));
	}
	if (bpf_obj_get_info_by_fd(*fd, &info, &len) < 0 ||
	    info.type != BPF_MAP_TYPE_PERCPU_ARRAY ||
	    info.key_size != sizeof(__u32) || info.value_size != sizeof(struct tenet_drop_val)) {
		close(*fd);
		*fd = -1;
		return cli_fail(c, "stats: %s: not a tenet drop counter map of this version", path);
	}
	*entries = info.max_entries;
	return 0;
}

/* One JSON object per drop reason (reason 0 is "none", not a drop). */
static int collect(struct cli *c, int fd, __u32 entries, json_t *array)
{
	int ncpu = libbpf_num_possible_cpus();
	struct tenet_drop_val *vals;
	__u32 reason, n = entries < TENET_DROP_MAX ? entries : TENET_DROP_MAX;
	int ret = 0, cpu;

	if (ncpu <= 0)
		return cli_fail(c, "stats: cannot count possible CPUs");
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return cli_fail(c, "out of memory");
	for (reason = 1; reason < n; reason++) {
		__u64 packets = 0, bytes = 0;

		if (bpf_map_lookup_elem(fd, &reason, vals) < 0) {
			ret = cli_fail(c, "stats: reading reason %s: %s", tenet_drop_name(reason),
				       strerror(errno));
			break;
		}
		for (cpu = 0; cpu < ncpu; cpu++) {
			packets += vals[cpu].packets;
			bytes += vals[cpu].bytes;
		}
		json_array_append_new(array, json_pack("{s:s, s:I, s:I, s:I}",
						       "reason", tenet_drop_name(reason),
						       "code", (json_int_t)reason,
						       "packets", (json_int_t)packets,
						       "bytes", (json_int_t)bytes));
	}
	free(vals);
	return ret;
}

/* The pin path of one of HOST's maps: parses the host argument (args[0])
 * and builds <pin root>/<host>/v<layout>/<map> into path. 0 or the exit
 * code of the error already printed. */
static int stats_map_path(struct cli *c, int argc, char **argv, struct cli_arg *args,
			  const char *map, char *path, size_t len)
{
	char host[TENET_NAME_MAX + 1], dir[512];
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (ret)
		return ret;
	if (tenet_pin_dir_at(dir, sizeof(dir), c->pin_root ? c->pin_root : TENET_PIN_ROOT,
			     host) < 0 ||
	    snprintf(path, len, "%s/%s", dir, map) >= (int)len)
		return cli_usage(c, "--pin-root: path too long");
	return 0;
}

static int stats_show(struct cli *c, int argc, char **argv)
{
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	char path[600];
	json_t *array = NULL;
	__u32 entries = 0;
	int ret, fd = -1;

	ret = stats_map_path(c, argc, argv, args, TENET_MAP_DROPS, path, sizeof(path));
	if (ret)
		return ret;
	ret = open_drops(c, path, &fd, &entries);
	if (ret)
		return ret;
	array = json_array();
	ret = array ? collect(c, fd, entries, array) : cli_fail(c, "out of memory");
	if (!ret)
		ret = cli_print(c, array, stats_fields);
	json_decref(array);
	close(fd);
	return ret;
}

/* ---- tenet stats learn / nexthop: per-CPU counter arrays ---- */

static const struct cli_field learn_fields[] = {
	{ "counter", NULL }, { "value", "value" }, { NULL, NULL },
};

static const char *const learn_names[] = {
#define TENET_LSTAT_NAME(id, name) name,
	TENET_LEARN_STATS(TENET_LSTAT_NAME)
#undef TENET_LSTAT_NAME
};

static const char *const nh_names[] = {
#define TENET_NHSTAT_NAME(id, name) name,
	TENET_NH_STATS(TENET_NHSTAT_NAME)
#undef TENET_NHSTAT_NAME
};

/* Sum the per-CPU __u64 counters of the array pinned as map (what: how
 * the errors name it) and print them by name. */
static int counters_show(struct cli *c, int argc, char **argv, const char *map,
			 const char *const *names, __u32 n, const char *what)
{
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	char path[600];
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), i;
	int ncpu = libbpf_num_possible_cpus();
	json_t *array = NULL;
	__u64 *vals = NULL;
	int ret, fd;

	ret = stats_map_path(c, argc, argv, args, map, path, sizeof(path));
	if (ret)
		return ret;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? cli_fail(c, "stats: no %s counters pinned at %s "
						  "(is tenetd running?)", what, path)
				       : cli_fail(c, "stats: %s: %s", path, strerror(errno));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
	    info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(__u64) || info.max_entries != n) {
		ret = cli_fail(c, "stats: %s: not a tenet %s counter map of this version",
			       path, what);
		goto out;
	}
	vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL;
	array = json_array();
	if (!vals || !array) {
		ret = cli_fail(c, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &i, vals) < 0) {
			ret = cli_fail(c, "stats: reading %s: %s", names[i], strerror(errno));
			goto out;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			sum += vals[cpu];
		json_array_append_new(array, json_pack("{s:s, s:I}", "counter", names[i],
						       "value", (json_int_t)sum));
	}
	ret = cli_print(c, array, learn_fields);
out:
	json_decref(array);
	free(vals);
	close(fd);
	return ret;
}

static int stats_run(struct cli *c, int argc, char **argv)
{
	/* `tenet stats [show] [host H]`: the verb is optional. */
	if (argc && !strcmp(argv[0], "learn")) {
		c->verb = "learn";
		return counters_show(c, argc - 1, argv + 1, TENET_MAP_LEARN_STATS, learn_names,
				     TENET_LSTAT_MAX, "learning");
	}
	if (argc && !strcmp(argv[0], "nexthop")) {
		c->verb = "nexthop";
		return counters_show(c, argc - 1, argv + 1, TENET_MAP_NH_STATS, nh_names,
				     TENET_NHSTAT_MAX, "next-hop");
	}
	if (argc && !strcmp(argv[0], "show")) {
		argc--;
		argv++;
	}
	c->verb = "show";
	return stats_show(c, argc, argv);
}

const struct cli_object cli_stats = {
	.name = "stats",
	.summary = "datapath drop counters, per reason",
	.usage =
		"usage: tenet stats [show] [host NAME]\n"
		"       tenet stats learn [host NAME]\n"
		"       tenet stats nexthop [host NAME]\n"
		"Sums the per-CPU drop counters tenetd pinned at\n"
		TENET_PIN_ROOT "/HOST/v<layout>/" TENET_MAP_DROPS " (--pin-root changes "
		TENET_PIN_ROOT ").\n"
		"'learn' sums dynamic IP address learning's counters (" TENET_MAP_LEARN_STATS "):\n"
		"events sent to tenetd, duplicates suppressed, events over a port's rate\n"
		"limit, bindings denied (MAC not l2only at that PA), ARP copies sent.\n"
		"'nexthop' sums the next-hop table's counters (" TENET_MAP_NH_STATS "): NVGRE\n"
		"sent without an entry (the kernel routed it), and of that, non-IP frames\n"
		"dropped.\n",
	.run = stats_run,
};

// SPDX-License-Identifier: GPL-2.0
/* tenet stats: the datapath's counters, read from the maps tenetd pinned
 * (drops per reason, traffic and drops per VSID, drops per port,
 * learning) plus the ports' own device counters, with routing-domain
 * names from the store; `-s` puts the same counters under the records of
 * `port`, `vsubnet` and `rdomain show`; `-o openmetrics|prometheus`
 * prints all of them for a metrics scraper (metrics.c). Read-only; works
 * while tenetd is down because the pinned maps outlive it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tenet/drop.h>
#include <tenet/limits.h>
#include <tenet/maps.h>
#include <tenet/trace.h>

#include "cli_int.h"
#include "cli_stats.h"
#include "datapath/pin.h"
#include "nl/link.h"

/* ---- pinned maps ---- */

int cli_pin_path(struct cli *c, const char *host, const char *map, char *path, size_t len)
{
	char dir[512];

	if (tenet_pin_dir_at(dir, sizeof(dir), c->pin_root ? c->pin_root : TENET_PIN_ROOT,
			     host) < 0 ||
	    snprintf(path, len, "%s/%s", dir, map) >= (int)len)
		return cli_usage(c, "--pin-root: path too long");
	return 0;
}

int cli_open_pinned(struct cli *c, const char *host, const char *map, const char *what,
		    const char *one, __u32 type, __u32 key_size, __u32 value_size, int *fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[600];
	int ret;

	*fd = -1;
	ret = cli_pin_path(c, host, map, path, sizeof(path));
	if (ret)
		return ret;
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		if (errno == ENOENT)
			return cli_fail(c, "%s: no %s pinned at %s (is tenetd running?)", c->object,
					what, path);
		return cli_fail(c, "%s: %s: %s", c->object, path, strerror(errno));
	}
	if (bpf_obj_get_info_by_fd(*fd, &info, &len) < 0 || info.type != type ||
	    info.key_size != key_size || info.value_size != value_size) {
		close(*fd);
		*fd = -1;
		return cli_fail(c, "%s: %s: not a tenet %s map of this version", c->object, path,
				one);
	}
	return 0;
}

static int ncpus(struct cli *c)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		cli_fail(c, "stats: cannot count possible CPUs");
	return n;
}

/* ---- the counters, gathered ---- */

int cli_read_drops(struct cli *c, const char *host, struct tenet_drop_val *out)
{
	int ncpu = ncpus(c), fd, ret;
	struct tenet_drop_val *vals;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), n;

	if (ncpu <= 0)
		return TENET_EXIT_RUNTIME;
	ret = cli_open_pinned(c, host, TENET_MAP_DROPS, "drop counters", "drop counter",
			      BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
			      sizeof(struct tenet_drop_val), &fd);
	if (ret)
		return ret;
	bpf_obj_get_info_by_fd(fd, &info, &len);
	n = info.max_entries < TENET_DROP_MAX ? info.max_entries : TENET_DROP_MAX;
	memset(out, 0, TENET_DROP_MAX * sizeof(*out));
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals) {
		close(fd);
		return cli_fail(c, "out of memory");
	}
	for (__u32 r = 1; r < n && !ret; r++) {
		if (bpf_map_lookup_elem(fd, &r, vals) < 0) {
			ret = cli_fail(c, "stats: reading reason %s: %s", tenet_drop_name(r),
				       strerror(errno));
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++) {
			out[r].packets += vals[cpu].packets;
			out[r].bytes += vals[cpu].bytes;
		}
	}
	free(vals);
	close(fd);
	return ret;
}

/* Per-CPU counters summed over CPUs with add(sum, one), one sum per key
 * of a map keyed by __u32: slot(arg, key) gives where it goes. Without
 * an index (idx_fd < 0), fd is a per-CPU hash and its keys are walked.
 * With one, the keys of the hash idx_fd are walked and each key's value
 * there (idx_vsize bytes) names its element of the per-CPU array fd
 * (index(value); 0: none, left out); a sum that is all zero is left out
 * too, as a hash has no entry for what never counted. */
static int read_percpu(struct cli *c, int fd, size_t vsize,
		       void (*add)(void *sum, const void *one),
		       void *(*slot)(void *arg, __u32 key), void *arg,
		       int idx_fd, size_t idx_vsize, __u32 (*index)(const void *idx_val))
{
	size_t stride = (vsize + 7) & ~(size_t)7; /* per-CPU values are 8-byte aligned */
	int ncpu = ncpus(c), walk = idx_fd >= 0 ? idx_fd : fd;
	__u32 key, next, *prev = NULL;
	char *vals, *sum, *zero, *ival;
	int ret = 0;

	if (ncpu <= 0)
		return TENET_EXIT_RUNTIME;
	vals = calloc((size_t)ncpu, stride);
	sum = calloc(1, vsize);
	zero = calloc(1, vsize);
	ival = calloc(1, idx_vsize ? idx_vsize : 1);
	if (!vals || !sum || !zero || !ival) {
		ret = cli_fail(c, "out of memory");
		goto out;
	}
	while (bpf_map_get_next_key(walk, prev, &next) == 0) {
		__u32 at = next;
		void *to;

		key = next;
		prev = &key;
		if (idx_fd >= 0) {
			if (bpf_map_lookup_elem(idx_fd, &key, ival) < 0)
				continue;       /* gone meanwhile */
			at = index(ival);
			if (!at)
				continue;
		}
		if (bpf_map_lookup_elem(fd, &at, vals) < 0)
			continue;       /* gone meanwhile (a hash) or out of range */
		memset(sum, 0, vsize);
		for (int cpu = 0; cpu < ncpu; cpu++)
			add(sum, vals + (size_t)cpu * stride);
		if (idx_fd >= 0 && !memcmp(sum, zero, vsize))
			continue;
		to = slot(arg, key);
		if (!to) {
			ret = cli_fail(c, "out of memory");
			break;
		}
		memcpy(to, sum, vsize);
	}
out:
	free(vals);
	free(sum);
	free(zero);
	free(ival);
	return ret;
}

static void add_vstats(void *sum, const void *one)
{
	struct tenet_vstats_val *s = sum;
	const struct tenet_vstats_val *o = one;

	s->rx_packets += o->rx_packets;
	s->rx_bytes += o->rx_bytes;
	s->tx_packets += o->tx_packets;
	s->tx_bytes += o->tx_bytes;
	s->drops += o->drops;
}

/* A routing domain's traffic: the sum of its VSIDs' counters. */
static void rdomain_sum(const struct cli_vstats *vs, const struct cli_names *names,
			const char *rd, struct tenet_vstats_val *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t k = 0; k < vs->n; k++) {
		const char *n = cli_vsid_rdomain(names, vs->e[k].vsid);

		if (n && !strcmp(n, rd))
			add_vstats(sum, &vs->e[k].c);
	}
}


static void add_drop(void *sum, const void *one)
{
	struct tenet_drop_val *s = sum;
	const struct tenet_drop_val *o = one;

	s->packets += o->packets;
	s->bytes += o->bytes;
}

/* arr (n elements of size bytes, room for *cap) with room for one more:
 * the same or a larger array, or NULL (arr unchanged). */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap ? 2 * *cap : 64;
	void *p;

	if (n < *cap)
		return arr;
	p = realloc(arr, want * size);
	if (p)
		*cap = want;
	return p;
}

static void *vsid_slot(void *arg, __u32 key)
{
	struct cli_vstats *v = arg;
	struct cli_vstat *e = grow(v->e, v->n, &v->cap, sizeof(*v->e));

	if (!e)
		return NULL;
	v->e = e;
	e = &v->e[v->n++];
	memset(e, 0, sizeof(*e));
	e->vsid = key;
	return &e->c;
}

static int cmp_vsid(const void *a, const void *b)
{
	const struct cli_vstat *x = a, *y = b;

	return x->vsid < y->vsid ? -1 : x->vsid > y->vsid;
}

static __u32 vsid_counter_slot(const void *val)
{
	return ((const struct tenet_vsid_val *)val)->stats_slot;
}

/* Each VSID's counters: its slot from tenet_vsid, that slot of the
 * per-CPU array tenet_vstats. Only VSIDs the datapath has, with a slot. */
int cli_read_vstats(struct cli *c, const char *host, struct cli_vstats *out)
{
	int fd = -1, vfd = -1, ret;

	memset(out, 0, sizeof(*out));
	ret = cli_open_pinned(c, host, TENET_MAP_VSID, "virtual subnets", "virtual subnet",
			      BPF_MAP_TYPE_HASH, sizeof(__u32), sizeof(struct tenet_vsid_val),
			      &vfd);
	if (ret)
		goto out;
	ret = cli_open_pinned(c, host, TENET_MAP_VSTATS, "per-VSID counters",
			      "per-VSID counter", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
			      sizeof(struct tenet_vstats_val), &fd);
	if (ret)
		goto out;
	ret = read_percpu(c, fd, sizeof(struct tenet_vstats_val), add_vstats, vsid_slot, out,
			  vfd, sizeof(struct tenet_vsid_val), vsid_counter_slot);
	if (!ret && out->n)
		qsort(out->e, out->n, sizeof(*out->e), cmp_vsid);
out:
	if (fd >= 0)
		close(fd);
	if (vfd >= 0)
		close(vfd);
	return ret;
}

const struct tenet_vstats_val *cli_vstats_find(const struct cli_vstats *v, uint32_t vsid)
{
	struct cli_vstat key = { .vsid = vsid }, *e;

	if (!v->n)
		return NULL;
	e = bsearch(&key, v->e, v->n, sizeof(*v->e), cmp_vsid);
	return e ? &e->c : NULL;
}

void cli_vstats_free(struct cli_vstats *v)
{
	free(v->e);
	memset(v, 0, sizeof(*v));
}

struct pdrop_set {
	struct { __u32 ifindex; struct tenet_drop_val d; } *e;
	size_t n, cap;
};

static void *pdrop_slot(void *arg, __u32 key)
{
	struct pdrop_set *p = arg;
	void *e = grow(p->e, p->n, &p->cap, sizeof(*p->e));

	if (!e)
		return NULL;
	p->e = e;
	memset(&p->e[p->n], 0, sizeof(p->e[p->n]));
	p->e[p->n].ifindex = key;
	return &p->e[p->n++].d;
}

/* Ports of host, with their devices' counters (this machine's, found by
 * name) and the datapath's drops per port. A port whose device is not on
 * this machine has present = false. Sorted as the store lists ports. */
int cli_read_ports(struct cli *c, const char *host, const char *dev, struct cli_ports *out)
{
	struct tenet_record_list ports = { 0 };
	struct pdrop_set pd = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	struct nl_link *links = NULL;
	size_t nlinks = 0;
	struct nl nl;
	int ret, fd = -1;

	memset(out, 0, sizeof(*out));
	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_PORT, host, &ports, &err) < 0)
		return cli_lib_fail(c, &err);
	ret = cli_open_pinned(c, host, TENET_MAP_PORT_DROPS, "per-port drop counters",
			      "per-port drop counter", BPF_MAP_TYPE_LRU_PERCPU_HASH, sizeof(__u32),
			      sizeof(struct tenet_drop_val), &fd);
	if (!ret)
		ret = read_percpu(c, fd, sizeof(struct tenet_drop_val), add_drop, pdrop_slot, &pd,
				  -1, 0, NULL);
	if (fd >= 0)
		close(fd);
	if (ret)
		goto out;
	if (nl_open(&nl) < 0) {
		ret = cli_fail(c, "stats: cannot open rtnetlink: %s", strerror(errno));
		goto out;
	}
	ret = nl_link_dump(&nl, &links, &nlinks);
	nl_close(&nl);
	if (ret < 0) {
		ret = cli_fail(c, "stats: listing links: %s", strerror(-ret));
		goto out;
	}
	ret = 0;
	out->e = calloc(ports.n ? ports.n : 1, sizeof(*out->e));
	if (!out->e) {
		ret = cli_fail(c, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ports.n; i++) {
		const struct tenet_port *p = &ports.recs[i].port;
		struct cli_port *e = &out->e[out->n];

		if (dev && strcmp(dev, p->dev))
			continue;
		e->rec = *p;
		for (size_t k = 0; k < nlinks; k++) {
			if (strcmp(links[k].name, p->dev))
				continue;
			e->present = true;
			e->ifindex = links[k].ifindex;
			e->rx_packets = links[k].rx_packets;
			e->rx_bytes = links[k].rx_bytes;
			e->tx_packets = links[k].tx_packets;
			e->tx_bytes = links[k].tx_bytes;
		}
		for (size_t k = 0; e->present && k < pd.n; k++)
			if (pd.e[k].ifindex == e->ifindex)
				e->drops = pd.e[k].d;
		out->n++;
	}
out:
	free(links);
	free(pd.e);
	tenet_record_list_free(&ports);
	return ret;
}

void cli_ports_free(struct cli_ports *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

/* ---- routing-domain names ---- */

int cli_load_names(struct cli *c, struct cli_names *n)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int ret;

	memset(n, 0, sizeof(*n));
	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_VSUBNET, NULL, &n->subnets, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_RDOMAIN, NULL, &n->rdomains, &err) < 0) {
		cli_names_free(n);
		return cli_lib_fail(c, &err);
	}
	return 0;
}

const char *cli_vsid_rdomain(const struct cli_names *n, uint32_t vsid)
{
	for (size_t i = 0; i < n->subnets.n; i++)
		if (n->subnets.recs[i].vsubnet.vsid == vsid)
			return n->subnets.recs[i].vsubnet.rdomain;
	return NULL;
}

const struct tenet_rdomain *cli_rdomain_by_name(const struct cli_names *n, const char *name)
{
	for (size_t i = 0; i < n->rdomains.n; i++)
		if (!strcmp(n->rdomains.recs[i].rdomain.name, name))
			return &n->rdomains.recs[i].rdomain;
	return NULL;
}

const char *cli_rdomain_name(const struct cli_names *n, uint32_t id)
{
	for (size_t i = 0; i < n->rdomains.n; i++)
		if (n->rdomains.recs[i].rdomain.id == id)
			return n->rdomains.recs[i].rdomain.name;
	return NULL;
}

void cli_names_free(struct cli_names *n)
{
	tenet_record_list_free(&n->subnets);
	tenet_record_list_free(&n->rdomains);
}

/* ---- JSON of the counters ---- */

json_t *cli_traffic_json(uint64_t rxp, uint64_t rxb, uint64_t txp, uint64_t txb, uint64_t drops)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "rx_packets", (json_int_t)rxp, "rx_bytes",
			 (json_int_t)rxb, "tx_packets", (json_int_t)txp, "tx_bytes",
			 (json_int_t)txb, "drops", (json_int_t)drops);
}

static json_t *vstats_json(const struct tenet_vstats_val *v)
{
	static const struct tenet_vstats_val zero;

	if (!v)
		v = &zero;
	return cli_traffic_json(v->rx_packets, v->rx_bytes, v->tx_packets, v->tx_bytes, v->drops);
}

/* The indented line under a record: "    rx packets N bytes N tx ...". */
static void print_traffic(FILE *f, const json_t *st)
{
	fprintf(f, "    rx packets %" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT
		" tx packets %" JSON_INTEGER_FORMAT " bytes %" JSON_INTEGER_FORMAT
		" drops %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(st, "rx_packets")),
		json_integer_value(json_object_get(st, "rx_bytes")),
		json_integer_value(json_object_get(st, "tx_packets")),
		json_integer_value(json_object_get(st, "tx_bytes")),
		json_integer_value(json_object_get(st, "drops")));
}

void cli_print_detail(struct cli *c, const json_t *obj)
{
	const json_t *d = json_object_get(obj, "details"), *st = json_object_get(obj, "stats");

	if (json_is_string(d))
		fprintf(c->out, "    %s\n", json_string_value(d));
	if (json_is_object(st))
		print_traffic(c->out, st);
}

/* ---- -s and -d on shows ---- */

/* The host whose datapath -s reads: the listing's, else --host or this
 * host's name. */
static int stats_host(struct cli *c, const char *host, char *buf)
{
	if (host) {
		snprintf(buf, TENET_NAME_MAX + 1, "%s", host);
		return 0;
	}
	return cli_host(c, NULL, buf);
}

/* -s on shows: the counters of each listed record, by its kind. */
static int decorate_port(struct cli *c, const char *host, json_t *array)
{
	struct cli_ports ports = { 0 };
	json_t *o;
	size_t i;
	int ret = 0;

	(void)host;     /* each port record names its own */
	json_array_foreach(array, i, o) {
		const char *oh = json_string_value(json_object_get(o, "host"));
		const char *dev = json_string_value(json_object_get(o, "dev"));

		cli_ports_free(&ports);
		ret = cli_read_ports(c, oh, dev, &ports);
		if (ret)
			break;
		if (ports.n && ports.e[0].present)
			json_object_set_new(o, "stats",
					    cli_traffic_json(ports.e[0].rx_packets, ports.e[0].rx_bytes,
							     ports.e[0].tx_packets, ports.e[0].tx_bytes,
							     ports.e[0].drops.packets));
	}
	cli_ports_free(&ports);
	return ret;
}

static int decorate_vsubnet(struct cli *c, const char *host, json_t *array)
{
	char h[TENET_NAME_MAX + 1];
	struct cli_vstats vs = { 0 };
	json_t *o;
	size_t i;
	int ret;

	ret = stats_host(c, host, h);
	if (!ret)
		ret = cli_read_vstats(c, h, &vs);
	if (!ret)
		json_array_foreach(array, i, o) {
			uint32_t v = (uint32_t)json_integer_value(json_object_get(o, "vsid"));

			json_object_set_new(o, "stats", vstats_json(cli_vstats_find(&vs, v)));
		}
	cli_vstats_free(&vs);
	return ret;
}

static int decorate_rdomain(struct cli *c, const char *host, json_t *array)
{
	char h[TENET_NAME_MAX + 1];
	struct cli_vstats vs = { 0 };
	struct cli_names names = { 0 };
	json_t *o;
	size_t i;
	int ret;

	ret = stats_host(c, host, h);
	if (!ret)
		ret = cli_read_vstats(c, h, &vs);
	if (!ret)
		ret = cli_load_names(c, &names);
	if (!ret)
		json_array_foreach(array, i, o) {
			const char *rd = json_string_value(json_object_get(o, "name"));
			struct tenet_vstats_val sum;

			rdomain_sum(&vs, &names, rd, &sum);
			json_object_set_new(o, "stats", vstats_json(&sum));
		}
	cli_vstats_free(&vs);
	cli_names_free(&names);
	return ret;
}

static const struct {
	enum tenet_kind kind;
	int (*fn)(struct cli *c, const char *host, json_t *array);
} decorators[] = {
	{ TENET_KIND_PORT, decorate_port },
	{ TENET_KIND_VSUBNET, decorate_vsubnet },
	{ TENET_KIND_RDOMAIN, decorate_rdomain },
};

int cli_decorate(struct cli *c, enum tenet_kind kind, const char *host, json_t *array)
{
	json_t *o;
	size_t i;

	if (c->details && !c->json && kind == TENET_KIND_RDOMAIN)
		json_array_foreach(array, i, o) {
			char line[64];

			snprintf(line, sizeof(line), "number %" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(o, "id")));
			json_object_set_new(o, "details", json_string(line));
		}
	if (!c->stats)
		return 0;
	for (i = 0; i < sizeof(decorators) / sizeof(decorators[0]); i++)
		if (decorators[i].kind == kind)
			return decorators[i].fn(c, host, array);
	return 0;
}

/* ---- tenet stats [show]: drops by reason ---- */

static const struct cli_field stats_fields[] = {
	{ "reason", NULL }, { "packets", "packets" }, { "bytes", "bytes" }, { NULL, NULL },
};

static int stats_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "host", "NAME" }, { "-o", "FORMAT" }, { NULL } };
	struct tenet_drop_val drops[TENET_DROP_MAX];
	char host[TENET_NAME_MAX + 1];
	json_t *array;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (ret)
		return ret;
	if (args[1].val)
		return cli_metrics(c, host, args[1].val);
	ret = cli_read_drops(c, host, drops);
	if (ret)
		return ret;
	array = json_array();
	if (!array)
		return cli_fail(c, "out of memory");
	for (__u32 r = 1; r < TENET_DROP_MAX; r++)
		json_array_append_new(array, json_pack("{s:s, s:I, s:I, s:I}", "reason",
						       tenet_drop_name(r), "code", (json_int_t)r,
						       "packets", (json_int_t)drops[r].packets,
						       "bytes", (json_int_t)drops[r].bytes));
	ret = cli_print(c, array, stats_fields);
	json_decref(array);
	return ret;
}

/* ---- tenet stats vsid [V]: traffic per virtual subnet ---- */

static const struct cli_field vsid_fields[] = {
	{ "vsid", "vsid" }, { "rdomain", "rdomain" }, { "rx_packets", "rx packets" },
	{ "rx_bytes", "bytes" }, { "tx_packets", "tx packets" }, { "tx_bytes", "bytes" },
	{ "drops", "drops" }, { NULL, NULL },
};

static json_t *vsid_json(uint32_t vsid, const char *rdomain, const struct tenet_vstats_val *v)
{
	json_t *o = json_pack("{s:I}", "vsid", (json_int_t)vsid), *t = vstats_json(v);

	if (rdomain)
		json_object_set_new(o, "rdomain", json_string(rdomain));
	json_object_update(o, t);
	json_decref(t);
	return o;
}

static int stats_vsid(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	char host[TENET_NAME_MAX + 1];
	struct cli_names names = { 0 };
	struct cli_vstats vs = { 0 };
	uint32_t vsid = 0;
	json_t *array = NULL;
	int ret = 0;

	if (argc > 0 && strcmp(argv[0], "host")) {
		ret = cli_vsid(c, "vsid", argv[0], &vsid);
		argc--;
		argv++;
	}
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (!ret)
		ret = cli_load_names(c, &names);
	if (!ret && vsid && !cli_vsid_rdomain(&names, vsid))
		ret = cli_fail(c, "vsid %u: no virtual subnet with this VSID", vsid);
	if (!ret)
		ret = cli_read_vstats(c, host, &vs);
	if (ret)
		goto out;
	array = json_array();
	/* Every subnet of the store (zeros if no frame was seen), then VSIDs
	 * the datapath counted that are no subnet (any more). */
	for (size_t i = 0; i < names.subnets.n; i++) {
		const struct tenet_vsubnet *sn = &names.subnets.recs[i].vsubnet;

		if (!vsid || sn->vsid == vsid)
			json_array_append_new(array, vsid_json(sn->vsid, sn->rdomain,
							       cli_vstats_find(&vs, sn->vsid)));
	}
	for (size_t i = 0; !vsid && i < vs.n; i++)
		if (!cli_vsid_rdomain(&names, vs.e[i].vsid))
			json_array_append_new(array, vsid_json(vs.e[i].vsid, NULL, &vs.e[i].c));
	ret = cli_print(c, array, vsid_fields);
out:
	json_decref(array);
	cli_vstats_free(&vs);
	cli_names_free(&names);
	return ret;
}

/* ---- tenet stats rdomain [NAME]: traffic per routing domain ---- */

static const struct cli_field rdomain_fields[] = {
	{ "rdomain", "rdomain" }, { "rx_packets", "rx packets" }, { "rx_bytes", "bytes" },
	{ "tx_packets", "tx packets" }, { "tx_bytes", "bytes" }, { "drops", "drops" },
	{ NULL, NULL },
};

static int stats_rdomain(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	char host[TENET_NAME_MAX + 1], name[TENET_NAME_MAX + 1] = "";
	struct cli_names names = { 0 };
	struct cli_vstats vs = { 0 };
	json_t *array = NULL;
	int ret = 0;

	if (argc > 0 && strcmp(argv[0], "host")) {
		ret = cli_name(c, "rdomain", argv[0], name);
		argc--;
		argv++;
	}
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (!ret)
		ret = cli_load_names(c, &names);
	if (!ret && name[0] && !cli_rdomain_by_name(&names, name))
		ret = cli_fail(c, "rdomain %s: no such routing domain", name);
	if (!ret)
		ret = cli_read_vstats(c, host, &vs);
	if (ret)
		goto out;
	array = json_array();
	for (size_t i = 0; i < names.rdomains.n; i++) {
		const char *rd = names.rdomains.recs[i].rdomain.name;
		struct tenet_vstats_val sum;
		json_t *o, *t;

		if (name[0] && strcmp(name, rd))
			continue;
		rdomain_sum(&vs, &names, rd, &sum);
		o = json_pack("{s:s}", "rdomain", rd);
		t = vstats_json(&sum);
		json_object_update(o, t);
		json_decref(t);
		json_array_append_new(array, o);
	}
	ret = cli_print(c, array, rdomain_fields);
out:
	json_decref(array);
	cli_vstats_free(&vs);
	cli_names_free(&names);
	return ret;
}

/* ---- tenet stats port [dev IF]: per port ---- */

static const struct cli_field port_fields[] = {
	{ "dev", "dev" }, { "vsid", "vsid" }, { "rdomain", "rdomain" },
	{ "rx_packets", "rx packets" }, { "rx_bytes", "bytes" }, { "tx_packets", "tx packets" },
	{ "tx_bytes", "bytes" }, { "drops", "drops" }, { "state", NULL }, { NULL, NULL },
};

static int stats_port(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = { { "dev", "IF" }, { "host", "NAME" }, { NULL } };
	char host[TENET_NAME_MAX + 1], dev[IF_NAMESIZE] = "";
	struct cli_names names = { 0 };
	struct cli_ports ports = { 0 };
	json_t *array = NULL;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret && args[0].val)
		ret = cli_ifname(c, "dev", args[0].val, dev);
	if (!ret)
		ret = cli_host(c, args[1].val, host);
	if (!ret)
		ret = cli_load_names(c, &names);
	if (!ret)
		ret = cli_read_ports(c, host, dev[0] ? dev : NULL, &ports);
	if (!ret && dev[0] && !ports.n)
		ret = cli_fail(c, "port %s: no such port on host %s", dev, host);
	if (ret)
		goto out;
	array = json_array();
	for (size_t i = 0; i < ports.n; i++) {
		const struct cli_port *p = &ports.e[i];
		const char *rd = cli_vsid_rdomain(&names, p->rec.vsid);
		json_t *o = json_pack("{s:s, s:s, s:I}", "host", p->rec.host, "dev", p->rec.dev,
				      "vsid", (json_int_t)p->rec.vsid);

		if (rd)
			json_object_set_new(o, "rdomain", json_string(rd));
		if (p->present) {
			json_t *t = cli_traffic_json(p->rx_packets, p->rx_bytes, p->tx_packets,
						     p->tx_bytes, p->drops.packets);

			json_object_set_new(o, "ifindex", json_integer(p->ifindex));
			json_object_update(o, t);
			json_decref(t);
			json_object_set_new(o, "drop_bytes", json_integer((json_int_t)p->drops.bytes));
		} else {
			json_object_set_new(o, "state", json_string("absent"));
		}
		json_array_append_new(array, o);
	}
	ret = cli_print(c, array, port_fields);
out:
	json_decref(array);
	cli_ports_free(&ports);
	cli_names_free(&names);
	return ret;
}

/* ---- tenet stats learn|nexthop: per-CPU counter arrays by name ---- */

static const struct cli_field counter_fields[] = {
	{ "counter", NULL }, { "value", "value" }, { NULL, NULL },
};

const char *const cli_learn_names[TENET_LSTAT_MAX] = {
#define TENET_LSTAT_NAME(id, name) name,
	TENET_LEARN_STATS(TENET_LSTAT_NAME)
#undef TENET_LSTAT_NAME
};

static const char *const nh_names[TENET_NHSTAT_MAX] = {
#define TENET_NHSTAT_NAME(id, name) name,
	TENET_NH_STATS(TENET_NHSTAT_NAME)
#undef TENET_NHSTAT_NAME
};

/* One pinned per-CPU array of n __u64 counters, summed over the CPUs.
 * what names it in errors ("learning", "next-hop"). */
struct counter_map {
	const char *map, *what;
	const char *const *names;
	__u32 n;
};

static const struct counter_map learn_map = { TENET_MAP_LEARN_STATS, "learning", cli_learn_names,
					      TENET_LSTAT_MAX };
static const struct counter_map nh_map = { TENET_MAP_NH_STATS, "next-hop", nh_names,
					   TENET_NHSTAT_MAX };

static int read_counters(struct cli *c, const char *host, const struct counter_map *m,
			 uint64_t *out)
{
	int ncpu = ncpus(c), fd, ret;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char plural[64], single[64];
	__u64 *vals;

	if (ncpu <= 0)
		return TENET_EXIT_RUNTIME;
	snprintf(plural, sizeof(plural), "%s counters", m->what);
	snprintf(single, sizeof(single), "%s counter", m->what);
	ret = cli_open_pinned(c, host, m->map, plural, single, BPF_MAP_TYPE_PERCPU_ARRAY,
			      sizeof(__u32), sizeof(__u64), &fd);
	if (ret)
		return ret;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.max_entries != m->n) {
		char path[600];

		close(fd);
		cli_pin_path(c, host, m->map, path, sizeof(path));
		return cli_fail(c, "stats: %s: not a tenet %s counter map of this version", path,
				m->what);
	}
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals) {
		close(fd);
		return cli_fail(c, "out of memory");
	}
	for (__u32 i = 0; i < m->n && !ret; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals) < 0) {
			ret = cli_fail(c, "stats: reading %s: %s", m->names[i], strerror(errno));
			break;
		}
		for (int cpu = 0; cpu < ncpu; cpu++)
			out[i] += vals[cpu];
	}
	free(vals);
	close(fd);
	return ret;
}

int cli_read_learn(struct cli *c, const char *host, uint64_t *out)
{
	return read_counters(c, host, &learn_map, out);
}

static int counters_show(struct cli *c, int argc, char **argv, const struct counter_map *m)
{
	struct cli_arg args[] = { { "host", "NAME" }, { NULL } };
	char host[TENET_NAME_MAX + 1];
	uint64_t v[(int)TENET_LSTAT_MAX > (int)TENET_NHSTAT_MAX ? (int)TENET_LSTAT_MAX :
							      (int)TENET_NHSTAT_MAX];
	json_t *array;
	int ret;

	ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = cli_host(c, args[0].val, host);
	if (!ret)
		ret = read_counters(c, host, m, v);
	if (ret)
		return ret;
	array = json_array();
	if (!array)
		return cli_fail(c, "out of memory");
	for (__u32 i = 0; i < m->n; i++)
		json_array_append_new(array, json_pack("{s:s, s:I}", "counter", m->names[i],
						       "value", (json_int_t)v[i]));
	ret = cli_print(c, array, counter_fields);
	json_decref(array);
	return ret;
}

static int learn_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	return counters_show(c, argc, argv, &learn_map);
}

static int nexthop_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	return counters_show(c, argc, argv, &nh_map);
}

static const struct cli_verb stats_verbs[] = {
	{ "show", stats_show, 0, "[show] [host NAME] [-o openmetrics|prometheus]" },
	{ "vsid", stats_vsid, 0, "vsid [VSID] [host NAME]" },
	{ "rdomain", stats_rdomain, 0, "rdomain [NAME] [host NAME]" },
	{ "port", stats_port, 0, "port [dev IF] [host NAME]" },
	{ "learn", learn_show, 0, "learn [host NAME]" },
	{ "nexthop", nexthop_show, 0, "nexthop [host NAME]" },
	{ NULL },
};

/* `tenet stats [show] [host H]`: the verb is optional. */
const struct cli_object cli_stats = {
	.name = "stats",
	.summary = "datapath counters: drops per reason, per VSID, routing domain, port",
	.verbs = stats_verbs,
	.dflt = "show",
	.verb_optional = true,
	.notes =
		"Sums the per-CPU counters tenetd pinned at " TENET_PIN_ROOT "/HOST/v<layout>/\n"
		"(--pin-root changes " TENET_PIN_ROOT "): drops per reason (" TENET_MAP_DROPS "),\n"
		"traffic and drops per VSID (" TENET_MAP_VSTATS "), drops per port ("
		TENET_MAP_PORT_DROPS ").\n"
		"vsid/rdomain: rx = delivered to the subnet's ports, tx = sent by them.\n"
		"port: rx/tx are the port device's counters (rx: sent by the VM), drops\n"
		"the datapath's of frames the port sent; a port whose device is not on\n"
		"this machine shows 'absent'.\n"
		"'learn' sums dynamic IP address learning's counters (" TENET_MAP_LEARN_STATS "):\n"
		"events sent to tenetd, duplicates suppressed, events over a port's rate\n"
		"limit, bindings denied (MAC not l2only at that PA), ARP copies sent.\n"
		"'nexthop' sums the next-hop table's counters (" TENET_MAP_NH_STATS "): NVGRE\n"
		"sent without an entry (the kernel routed it), and of that, non-IP frames\n"
		"dropped.\n"
		"-o openmetrics (OpenMetrics 1.0) or -o prometheus (text format 0.0.4, for\n"
		"node_exporter's textfile collector): every counter and the agent's status.\n",
};

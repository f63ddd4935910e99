// SPDX-License-Identifier: GPL-2.0
/* tenet trace: one tenant's frames, as `netsh trace ... RoutingDomain`
 * gives them on a Windows gateway (the reference's diagnostics).
 *
 *   trace rdomain NAME [vsid V] ...   where the datapath handles them:
 *       frames from the tenant's ports, the same frames encapsulated,
 *       NVGRE arriving for its ports, and drops with their reason;
 *       selected in the datapath (headers/tenet/trace.h), so other
 *       tenants' frames, with the same addresses, never leave it.
 *   trace compartment NAME ...         inside a gateway compartment: the
 *       devices of its VRF, captured with libpcap.
 *
 * Frames go to a file (-w: pcap, or pcapng with the details in each
 * frame's comment) or are printed one line each (-j: one JSON object
 * each). -c stops after COUNT frames; SIGINT/SIGTERM stop it too. */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>
#include <tenet/drop.h>

#include "cli_stats.h"
#include "cli_trace.h"
#include "kinds/gateway.h"
#include "nl/link.h"

#define TRACE_SNAPLEN_MAX 65535u        /* what the datapath copies at most */

static const char *const point_names[TENET_TP_MAX] = {
	[TENET_TP_PORT] = "port",
	[TENET_TP_ENCAP] = "encap",
	[TENET_TP_DECAP] = "decap",
	[TENET_TP_DROP] = "drop",
};

static const char *point_name(unsigned int p)
{
	return p < TENET_TP_MAX && point_names[p] ? point_names[p] : "?";
}

struct tracer {
	struct cli *c;
	struct cli_names names;
	struct cli_capture *cap;
	uint64_t count;                 /* frames to take, 0: no limit */
	uint64_t seen;
	int64_t mono_to_real;
	int err;                        /* a write failed: its -errno */
};

static bool enough(const struct tracer *t)
{
	return t->count && t->seen >= t->count;
}

/* Where a frame was, in words: "port pc5", "decap ul0 > pc5",
 * "drop no-route pc5". */
static void where(const struct tenet_trace_hdr *h, char *buf, size_t len)
{
	char dev[16], port[16];

	cli_ifname_of(h->ifindex, dev);
	cli_ifname_of(h->port, port);
	switch (h->point) {
	case TENET_TP_DECAP:
		snprintf(buf, len, "decap %s > %s", dev, port);
		break;
	case TENET_TP_DROP:
		snprintf(buf, len, "drop %s %s", tenet_drop_name(h->reason), h->port ? port : dev);
		break;
	default:
		snprintf(buf, len, "%s %s", point_name(h->point), port);
		break;
	}
}

static void datapath_frame(void *arg, const struct tenet_trace_hdr *h, const uint8_t *frame)
{
	struct tracer *t = arg;
	const char *rd = cli_rdomain_name(&t->names, h->rdomain);
	int64_t ts = (int64_t)h->ts + t->mono_to_real;
	char w[64], dev[16], time[32], comment[160];
	struct cli_frame f;

	if (enough(t) || t->err)
		return;
	t->seen++;
	where(h, w, sizeof(w));
	if (t->cap) {
		snprintf(comment, sizeof(comment), "%s vsid %u rdomain %s", w, h->vsid,
			 rd ? rd : "-");
		t->err = cli_capture_write(t->cap, cli_ifname_of(h->ifindex, dev), DLT_EN10MB, ts,
					   frame, h->caplen, h->len, h->point == TENET_TP_ENCAP,
					   comment);
		return;
	}
	cli_decode(frame, h->caplen, false, &f);
	if (t->c->json) {
		json_t *o = json_object();

		cli_fmt_time(ts, time);
		json_object_set_new(o, "time", json_string(time));
		json_object_set_new(o, "timestamp_ns", json_integer(ts));
		json_object_set_new(o, "point", json_string(point_name(h->point)));
		if (h->point == TENET_TP_DROP) {
			json_object_set_new(o, "reason", json_string(tenet_drop_name(h->reason)));
			json_object_set_new(o, "code", json_integer(h->reason));
		}
		json_object_set_new(o, "dev", json_string(cli_ifname_of(h->ifindex, dev)));
		if (h->port)
			json_object_set_new(o, "port", json_string(cli_ifname_of(h->port, dev)));
		json_object_set_new(o, "vsid", json_integer(h->vsid));
		if (rd)
			json_object_set_new(o, "rdomain", json_string(rd));
		json_object_set_new(o, "len", json_integer(h->len));
		cli_frame_json(&f, o);
		json_dumpf(o, t->c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', t->c->out);
		json_decref(o);
	} else {
		cli_fmt_time(ts, time);
		fprintf(t->c->out, "%s %s vsid %u %s: ", time, w, h->vsid, rd ? rd : "-");
		cli_frame_text(&f, t->c->out);
		fputc('\n', t->c->out);
	}
	fflush(t->c->out);
}

/* Poll fds until a stop: -c reached, a signal, or the session lost. */
static int run_loop(struct tracer *t, struct pollfd *pfd, int n,
		    int (*ready)(void *arg, int i), void *arg, bool (*alive)(void *arg))
{
	cli_stop_on_signals();
	while (!cli_stop && !enough(t) && !t->err) {
		int r = poll(pfd, (nfds_t)n, 200);

		if (r < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; r > 0 && i < n; i++)
			if (pfd[i].revents && ready(arg, i) < 0)
				return -EIO;
		if (alive && !alive(arg))
			return -EPIPE;
	}
	return t->err;
}

static int session_ready(void *arg, int i)
{
	(void)i;
	return cli_session_read(arg);
}

static bool session_alive(void *arg)
{
	return cli_session_alive(arg);
}

/* Common arguments: [host H] [-c COUNT] [-w FILE] [snaplen N]. */
struct trace_args {
	char host[TENET_NAME_MAX + 1];
	uint64_t count;
	const char *file;
	uint32_t snaplen;
};

static int trace_common(struct cli *c, struct cli_arg *a, struct trace_args *ta)
{
	uint32_t n;
	int ret;

	ret = cli_host(c, a[0].val, ta->host);
	if (!ret && a[1].val) {
		ret = cli_u32(c, "-c", a[1].val, 1, UINT32_MAX, &n);
		ta->count = n;
	}
	ta->file = a[2].val;
	ta->snaplen = TRACE_SNAPLEN_MAX;
	if (!ret && a[3].val)
		ret = cli_u32(c, "snaplen", a[3].val, 64, TRACE_SNAPLEN_MAX, &ta->snaplen);
	return ret;
}

static void summary(struct cli *c, const struct tracer *t, uint64_t lost)
{
	if (t->cap)
		fprintf(c->err, "%llu frame%s captured, %llu lost\n", (unsigned long long)t->seen,
			t->seen == 1 ? "" : "s", (unsigned long long)lost);
}

static int trace_rdomain(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = {
		{ "host", "NAME" }, { "-c", "COUNT" }, { "-w", "FILE" }, { "snaplen", "N" },
		{ "vsid", "VSID" }, { NULL },
	};
	char name[TENET_NAME_MAX + 1];
	const struct tenet_rdomain *rd;
	struct cli_session s = { .slot = -1, .ctl_fd = -1, .out_fd = -1 };
	struct tracer t = { .c = c };
	struct trace_args ta = { 0 };
	struct pollfd pfd;
	const char *nm;
	uint32_t vsid = 0;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &nm);
	if (!ret)
		ret = cli_name(c, "rdomain", nm, name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = trace_common(c, args, &ta);
	if (!ret && args[4].val)
		ret = cli_vsid(c, "vsid", args[4].val, &vsid);
	if (!ret)
		ret = cli_load_names(c, &t.names);
	if (ret)
		return ret;
	rd = cli_rdomain_by_name(&t.names, name);
	if (!rd) {
		ret = cli_fail(c, "rdomain %s: no such routing domain", name);
		goto out;
	}
	if (vsid && (!cli_vsid_rdomain(&t.names, vsid) ||
		     strcmp(cli_vsid_rdomain(&t.names, vsid), name))) {
		ret = cli_fail(c, "vsid %u: not a virtual subnet of routing domain %s", vsid, name);
		goto out;
	}
	t.count = ta.count;
	if (ta.file && (ret = cli_capture_open(c, ta.file, ta.snaplen, &t.cap)))
		goto out;
	ret = cli_session_open(c, ta.host, TENET_TP_ALL, rd->id, vsid, ta.snaplen,
			       datapath_frame, &t, &s);
	if (ret)
		goto out;
	t.mono_to_real = s.mono_to_real_ns;
	/* As tcpdump's "listening on": the session is armed from here on. */
	fprintf(c->err, "tracing routing domain %s%s%.0u on host %s, snaplen %u\n", name,
		vsid ? " vsid " : "", vsid, ta.host, ta.snaplen);
	fflush(c->err);
	pfd = (struct pollfd){ .fd = cli_session_fd(&s), .events = POLLIN };
	ret = run_loop(&t, &pfd, 1, session_ready, &s, session_alive);
	cli_session_read(&s);
	if (ret == -EPIPE)
		ret = cli_fail(c, "trace: the datapath ended the session (its buffers are gone)");
	else if (ret)
		ret = cli_fail(c, "trace: %s", strerror(-ret));
	summary(c, &t, s.lost);
out:
	cli_session_close(&s);
	cli_capture_close(t.cap);
	cli_names_free(&t.names);
	return ret;
}

/* ---- inside a compartment: libpcap on its VRF's devices ---- */

struct cmp_dev {
	char name[IF_NAMESIZE];
	pcap_t *p;
	int dlt;
};

struct cmp_trace {
	struct tracer *t;
	const char *cmp;
	struct cmp_dev *devs;
	int n, cur;                     /* cur: the device being read */
};

static void cmp_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct cmp_trace *x = (struct cmp_trace *)user;
	struct tracer *t = x->t;
	const struct cmp_dev *d = &x->devs[x->cur];
	int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * 1000;
	char time[32], comment[96];
	struct cli_frame f;

	if (enough(t) || t->err)
		return;
	t->seen++;
	if (t->cap) {
		snprintf(comment, sizeof(comment), "compartment %s dev %s", x->cmp, d->name);
		t->err = cli_capture_write(t->cap, d->name, d->dlt, ts, bytes, h->caplen, h->len,
					   false, comment);
		return;
	}
	cli_decode(bytes, h->caplen, d->dlt == DLT_RAW, &f);
	cli_fmt_time(ts, time);
	if (t->c->json) {
		json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:I}", "time", time, "timestamp_ns",
				      (json_int_t)ts, "compartment", x->cmp, "dev", d->name, "len",
				      (json_int_t)h->len);

		cli_frame_json(&f, o);
		json_dumpf(o, t->c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', t->c->out);
		json_decref(o);
	} else {
		fprintf(t->c->out, "%s %s %s: ", time, x->cmp, d->name);
		cli_frame_text(&f, t->c->out);
		fputc('\n', t->c->out);
	}
	fflush(t->c->out);
}

static int cmp_ready(void *arg, int i)
{
	struct cmp_trace *x = arg;

	x->cur = i;
	return pcap_dispatch(x->devs[i].p, -1, cmp_packet, (u_char *)x) < 0 ? -EIO : 0;
}

/* The devices of compartment name's VRF on this machine. */
static int cmp_devices(struct cli *c, const char *host, const char *name, struct cmp_dev **out,
		       int *n)
{
	struct tenet_record_list l = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	struct nl_link *links = NULL, vrf;
	char vrfname[IF_NAMESIZE];
	size_t nl_n = 0;
	struct nl nl;
	int ret, found = -1;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, TENET_KIND_COMPARTMENT, host, &l, &err) < 0)
		return cli_lib_fail(c, &err);
	for (size_t i = 0; i < l.n; i++)
		if (!strcmp(l.recs[i].compartment.name, name))
			found = (int)i;
	if (found < 0) {
		tenet_record_list_free(&l);
		return cli_fail(c, "compartment %s: no such compartment on host %s", name, host);
	}
	tenet_gw_devname(TENET_GW_VRF_PFX, l.recs[found].compartment.id, vrfname, sizeof(vrfname));
	tenet_record_list_free(&l);
	if (nl_open(&nl) < 0)
		return cli_fail(c, "trace: cannot open rtnetlink: %s", strerror(errno));
	ret = nl_link_get_name(&nl, vrfname, &vrf);
	if (ret == 0)
		ret = nl_link_dump(&nl, &links, &nl_n);
	nl_close(&nl);
	if (ret == -ENODEV)
		return cli_fail(c, "compartment %s: its VRF %s is not on this machine (is this its "
				"gateway host, and tenetd running?)", name, vrfname);
	if (ret < 0)
		return cli_fail(c, "trace: listing links: %s", strerror(-ret));
	*out = calloc(nl_n + 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; *out && i < nl_n; i++)
		if (links[i].master == vrf.ifindex)
			snprintf((*out)[(*n)++].name, IF_NAMESIZE, "%s", links[i].name);
	free(links);
	if (!*out)
		return cli_fail(c, "out of memory");
	if (!*n)
		return cli_fail(c, "compartment %s: its VRF %s has no devices", name, vrfname);
	return 0;
}

static int trace_compartment(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct cli_arg args[] = {
		{ "host", "NAME" }, { "-c", "COUNT" }, { "-w", "FILE" }, { "snaplen", "N" },
		{ NULL },
	};
	char name[TENET_NAME_MAX + 1], ebuf[PCAP_ERRBUF_SIZE];
	struct cmp_trace x = { .cmp = name };
	struct tracer t = { .c = c };
	struct trace_args ta = { 0 };
	struct pollfd *pfd = NULL;
	const char *nm;
	int ret;

	ret = cli_positional(c, &argc, &argv, "NAME", &nm);
	if (!ret)
		ret = cli_name(c, "compartment", nm, name);
	if (!ret)
		ret = cli_args(c, argc, argv, args);
	if (!ret)
		ret = trace_common(c, args, &ta);
	if (!ret)
		ret = cmp_devices(c, ta.host, name, &x.devs, &x.n);
	if (ret)
		goto out;
	x.t = &t;
	t.count = ta.count;
	pfd = calloc((size_t)x.n, sizeof(*pfd));
	if (!pfd) {
		ret = cli_fail(c, "out of memory");
		goto out;
	}
	for (int i = 0; i < x.n; i++) {
		pcap_t *p = pcap_create(x.devs[i].name, ebuf);

		if (!p || pcap_set_snaplen(p, (int)ta.snaplen) || pcap_set_immediate_mode(p, 1) ||
		    pcap_activate(p) < 0 || pcap_setnonblock(p, 1, ebuf) < 0) {
			ret = cli_fail(c, "trace: capturing on %s: %s", x.devs[i].name,
				       p ? pcap_geterr(p) : ebuf);
			if (p)
				pcap_close(p);
			goto out;
		}
		x.devs[i].p = p;
		x.devs[i].dlt = pcap_datalink(p);
		pfd[i] = (struct pollfd){ .fd = pcap_get_selectable_fd(p), .events = POLLIN };
	}
	if (ta.file) {
		ret = cli_capture_open(c, ta.file, ta.snaplen, &t.cap);
		if (ret)
			goto out;
	}
	fprintf(c->err, "tracing compartment %s on", name);
	for (int i = 0; i < x.n; i++)
		fprintf(c->err, " %s", x.devs[i].name);
	fprintf(c->err, ", snaplen %u\n", ta.snaplen);
	fflush(c->err);
	ret = run_loop(&t, pfd, x.n, cmp_ready, &x, NULL);
	if (ret == -EPROTOTYPE)
		ret = cli_fail(c, "trace: compartment %s has devices that are not Ethernet: "
			       "write a .pcapng file", name);
	else if (ret)
		ret = cli_fail(c, "trace: %s", strerror(-ret));
	summary(c, &t, 0);
out:
	for (int i = 0; x.devs && i < x.n; i++)
		if (x.devs[i].p)
			pcap_close(x.devs[i].p);
	free(x.devs);
	free(pfd);
	cli_capture_close(t.cap);
	return ret;
}

static const struct cli_verb trace_verbs[] = {
	{ "rdomain", trace_rdomain, 0,
	  "rdomain NAME [vsid VSID] [host NAME] [-c COUNT] [-w FILE] [snaplen N]" },
	{ "compartment", trace_compartment, 0,
	  "compartment NAME [host NAME] [-c COUNT] [-w FILE] [snaplen N]" },
	{ NULL },
};

const struct cli_object cli_trace = {
	.name = "trace",
	.summary = "capture one tenant's frames (pcap, pcapng or one line each)",
	.verbs = trace_verbs,
	.dflt = "rdomain",
	.notes =
		"rdomain: the tenant's frames where this host's datapath handles them: from\n"
		"its ports (port), encapsulated toward another host (encap), NVGRE arriving\n"
		"for its ports (decap), and frames dropped with the reason (drop). Selected\n"
		"in the datapath per routing domain (and VSID: frames of that subnet's\n"
		"ports), so other tenants' frames are never copied. compartment: the frames\n"
		"on the devices of a gateway compartment's VRF (libpcap).\n"
		"-w FILE writes pcap (FILE.pcapng: pcapng, one interface per device, each\n"
		"frame's point, port, VSID, routing domain and drop reason in its comment);\n"
		"without it each frame is one line (-j: one JSON object). -c stops after\n"
		"COUNT frames, Ctrl-C at any time. host picks which host's datapath (several\n"
		"agents on one machine); the port names are this network namespace's.\n",
};

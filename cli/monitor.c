// SPDX-License-Identifier: GPL-2.0
/* tenet monitor: live events, one line each (-j: one JSON object each),
 * as `ip monitor` and `cilium monitor --type drop` print them.
 *
 *   drops   every frame this host's datapath drops: reason, port (name
 *           and ifindex), VSID, routing domain, 5-tuple; through a trace
 *           session that wants drops only (headers/tenet/trace.h)
 *   learn   bindings learned by dynamic address learning and removed
 *           again (aged, moved), from the store: for the whole fleet
 *   all     both
 *
 * `rdomain NAME` keeps one tenant's events; the datapath does the
 * selection for drops. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tenet/drop.h>

#include "cli_stats.h"
#include "cli_trace.h"

#define MONITOR_SNAPLEN 128     /* enough for the headers of a 5-tuple, NVGRE included */

struct monitor {
	struct cli *c;
	struct cli_names names;
	const char *rdomain;            /* NULL: every tenant */
	uint64_t count, seen;
	int64_t mono_to_real;
	/* learn: keys of the dynamic records known, to tell their deletes */
	char **dyn;
	size_t ndyn, capdyn;
};

static bool done(const struct monitor *m)
{
	return m->count && m->seen >= m->count;
}

static void emit(struct monitor *m, json_t *o, const char *text_head, const struct cli_frame *f)
{
	m->seen++;
	if (m->c->json) {
		if (f)
			cli_frame_json(f, o);
		json_dumpf(o, m->c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', m->c->out);
	} else {
		fputs(text_head, m->c->out);
		if (f) {
			const struct cli_l3 *l = cli_frame_flow(f);
			char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
			const char *pn = l->arp ? "arp" : l->ip ? cli_proto_name(l->proto) : NULL;

			inet_ntop(AF_INET, &l->src, a, sizeof(a));
			inet_ntop(AF_INET, &l->dst, b, sizeof(b));
			if (!l->ip && !l->arp)
				fprintf(m->c->out, ": ethertype 0x%04x",
					f->nvgre ? f->in_ethertype : f->ethertype);
			else if (l->ports)
				fprintf(m->c->out, ": %s %s:%u -> %s:%u", pn, a, l->sport, b, l->dport);
			else if (pn)
				fprintf(m->c->out, ": %s %s -> %s", pn, a, b);
			else
				fprintf(m->c->out, ": ip-proto-%u %s -> %s", l->proto, a, b);
		}
		fputc('\n', m->c->out);
	}
	fflush(m->c->out);
	json_decref(o);
}

static void on_drop(void *arg, const struct tenet_trace_hdr *h, const uint8_t *frame)
{
	struct monitor *m = arg;
	const char *rd = cli_rdomain_name(&m->names, h->rdomain);
	int64_t ts = (int64_t)h->ts + m->mono_to_real;
	char time[32], head[256], port[16], dev[16];
	struct cli_frame f;
	json_t *o;
	int n;

	if (done(m))
		return;
	cli_decode(frame, h->caplen, false, &f);
	cli_fmt_time(ts, time);
	cli_ifname_of(h->port, port);
	cli_ifname_of(h->ifindex, dev);
	n = snprintf(head, sizeof(head), "%s drop %s", time, tenet_drop_name(h->reason));
	if (h->port)
		n += snprintf(head + n, sizeof(head) - (size_t)n, " port %s ifindex %u", port,
			      h->port);
	else
		n += snprintf(head + n, sizeof(head) - (size_t)n, " dev %s ifindex %u", dev,
			      h->ifindex);
	n += snprintf(head + n, sizeof(head) - (size_t)n, " vsid %u", h->vsid);
	if (rd)
		snprintf(head + n, sizeof(head) - (size_t)n, " rdomain %s", rd);
	o = json_pack("{s:s, s:I, s:s, s:s, s:i}", "time", time, "timestamp_ns", (json_int_t)ts,
		      "type", "drop", "reason", tenet_drop_name(h->reason), "code", h->reason);
	if (h->port) {
		json_object_set_new(o, "port", json_string(port));
		json_object_set_new(o, "ifindex", json_integer(h->port));
	} else {
		json_object_set_new(o, "dev", json_string(dev));
		json_object_set_new(o, "ifindex", json_integer(h->ifindex));
	}
	json_object_set_new(o, "vsid", json_integer(h->vsid));
	if (rd)
		json_object_set_new(o, "rdomain", json_string(rd));
	json_object_set_new(o, "len", json_integer(h->len));
	emit(m, o, head, &f);
}

/* ---- learn: dynamic lookup records in the store ---- */

static bool dyn_find(struct monitor *m, const char *key, bool remove)
{
	for (size_t i = 0; i < m->ndyn; i++) {
		if (strcmp(m->dyn[i], key))
			continue;
		if (remove) {
			free(m->dyn[i]);
			m->dyn[i] = m->dyn[--m->ndyn];
		}
		return true;
	}
	return false;
}

static void dyn_add(struct monitor *m, const char *key)
{
	char **p;

	if (dyn_find(m, key, false))
		return;
	if (m->ndyn == m->capdyn) {
		p = realloc(m->dyn, (m->capdyn ? 2 * m->capdyn : 64) * sizeof(*p));
		if (!p)
			return;
		m->dyn = p;
		m->capdyn = m->capdyn ? 2 * m->capdyn : 64;
	}
	m->dyn[m->ndyn] = strdup(key);
	if (m->dyn[m->ndyn])
		m->ndyn++;
}

static void learn_event(struct monitor *m, bool put, const struct tenet_record *r)
{
	const struct tenet_lookup *l = &r->lookup;
	const char *rd = cli_vsid_rdomain(&m->names, l->vsid);
	char time[32], head[256], ca[TENET_IPV4_STRLEN], mac[TENET_MAC_STRLEN],
		pa[TENET_IPV4_STRLEN];
	struct timespec now;
	int64_t ts;
	json_t *o;
	int n;

	if (m->rdomain && (!rd || strcmp(rd, m->rdomain)))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	ts = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	cli_fmt_time(ts, time);
	tenet_fmt_ipv4(l->ca, ca);
	n = snprintf(head, sizeof(head), "%s %s vsid %u", time, put ? "learn" : "unlearn",
		     l->vsid);
	if (rd)
		n += snprintf(head + n, sizeof(head) - (size_t)n, " rdomain %s", rd);
	n += snprintf(head + n, sizeof(head) - (size_t)n, " ca %s", ca);
	o = json_pack("{s:s, s:I, s:s, s:I, s:s}", "time", time, "timestamp_ns", (json_int_t)ts,
		      "type", put ? "learn" : "unlearn", "vsid", (json_int_t)l->vsid, "ca", ca);
	if (rd)
		json_object_set_new(o, "rdomain", json_string(rd));
	if (put) {
		snprintf(head + n, sizeof(head) - (size_t)n, " mac %s pa %s",
			 tenet_fmt_mac(l->mac, mac), tenet_fmt_ipv4(l->pa, pa));
		json_object_set_new(o, "mac", json_string(mac));
		json_object_set_new(o, "pa", json_string(pa));
	}
	emit(m, o, head, NULL);
}

static int learn_read(struct monitor *m, struct tenet_watch *w)
{
	struct tenet_watch_batch b = { 0 };
	struct tenet_err err = { 0 };
	int ret;

	while ((ret = tenet_watch_next(w, 0, &b, &err)) == 0 && b.n) {
		for (size_t i = 0; i < b.n && !done(m); i++) {
			const struct tenet_watch_event *ev = &b.events[i];
			struct tenet_record r;

			if (ev->type == TENET_WATCH_DELETE) {
				if (dyn_find(m, ev->kv.key, true) &&
				    tenet_record_from_key(ev->kv.key, &r, NULL) == 0)
					learn_event(m, false, &r);
				continue;
			}
			if (tenet_record_decode(ev->kv.key, ev->kv.value, &r, NULL) < 0 ||
			    r.kind != TENET_KIND_LOOKUP)
				continue;
			if (r.lookup.type != TENET_LOOKUP_DYNAMIC) {
				/* Replaced by a configured record: the binding went. */
				if (dyn_find(m, ev->kv.key, true))
					learn_event(m, false, &r);
				continue;
			}
			dyn_add(m, ev->kv.key);
			learn_event(m, true, &r);
		}
		tenet_watch_batch_free(&b);
	}
	tenet_watch_batch_free(&b);
	if (ret < 0)
		return cli_fail(m->c, "monitor: store watch: %s", err.msg);
	return 0;
}

static int learn_open(struct monitor *m, struct tenet_watch **w)
{
	struct tenet_record_list l = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	char prefix[TENET_KEY_MAX], key[TENET_KEY_MAX];
	int ret;

	ret = cli_store(m->c, &s);
	if (ret)
		return ret;
	if (tenet_kind_prefix(TENET_KIND_LOOKUP, NULL, prefix, sizeof(prefix)) < 0)
		return cli_fail(m->c, "monitor: no lookup key prefix");
	if (tenet_policy_list(s, TENET_KIND_LOOKUP, NULL, &l, &err) < 0)
		return cli_lib_fail(m->c, &err);
	for (size_t i = 0; i < l.n; i++)
		if (l.recs[i].lookup.type == TENET_LOOKUP_DYNAMIC &&
		    tenet_record_key(&l.recs[i], key, sizeof(key)) == 0)
			dyn_add(m, key);
	ret = tenet_watch_open(s, prefix, l.rev + 1, w, &err);
	tenet_record_list_free(&l);
	return ret < 0 ? cli_lib_fail(m->c, &err) : 0;
}

static int monitor_run(struct cli *c, int argc, char **argv)
{
	struct cli_arg args[] = {
		{ "rdomain", "NAME" }, { "host", "NAME" }, { "-c", "COUNT" }, { NULL },
	};
	struct cli_session s = { .slot = -1, .ctl_fd = -1, .out_fd = -1 };
	char host[TENET_NAME_MAX + 1], name[TENET_NAME_MAX + 1];
	struct monitor m = { .c = c };
	struct tenet_watch *w = NULL;
	bool drops = true, learn = true;
	struct pollfd pfd[2];
	uint32_t rdid = 0, n;
	int ret, np = 0, wfd = -1, wi = -1;

	c->verb = "";
	if (argc > 0 && strcmp(argv[0], "rdomain") && strcmp(argv[0], "host") &&
	    strcmp(argv[0], "-c")) {
		if (cli_matches(argv[0], "drops"))
			learn = false;
		else if (cli_matches(argv[0], "learn"))
			drops = false;
		else if (!cli_matches(argv[0], "all"))
			return cli_usage(c, "monitor: unknown event type '%s' (drops, learn, all)",
					 argv[0]);
		argc--;
		argv++;
	}
	ret = cli_args(c, argc, argv, args);
	if (!ret && args[0].val)
		ret = cli_name(c, "rdomain", args[0].val, name);
	if (!ret)
		ret = cli_host(c, args[1].val, host);
	if (!ret && args[2].val) {
		ret = cli_u32(c, "-c", args[2].val, 1, UINT32_MAX, &n);
		m.count = n;
	}
	if (!ret)
		ret = cli_load_names(c, &m.names);
	if (ret)
		goto out;
	if (args[0].val) {
		const struct tenet_rdomain *rd = cli_rdomain_by_name(&m.names, name);

		if (!rd) {
			ret = cli_fail(c, "rdomain %s: no such routing domain", name);
			goto out;
		}
		rdid = rd->id;
		m.rdomain = name;
	}
	if (learn) {
		ret = learn_open(&m, &w);
		if (ret)
			goto out;
		wfd = tenet_watch_fd(w);
		if (wfd >= 0) {
			wi = np;
			pfd[np++] = (struct pollfd){ .fd = wfd, .events = POLLIN };
		}
	}
	if (drops) {
		ret = cli_session_open(c, host, TENET_TP_BIT(TENET_TP_DROP), rdid, 0,
				       MONITOR_SNAPLEN, on_drop, &m, &s);
		if (ret)
			goto out;
		m.mono_to_real = s.mono_to_real_ns;
		pfd[np++] = (struct pollfd){ .fd = cli_session_fd(&s), .events = POLLIN };
	}
	fprintf(c->err, "monitoring %s%s%s%s on host %s\n",
		drops && learn ? "drops and learning" : drops ? "drops" : "learning",
		m.rdomain ? " of routing domain " : "", m.rdomain ? m.rdomain : "",
		drops ? "" : " (fleet-wide)", host);
	fflush(c->err);
	cli_stop_on_signals();
	while (!cli_stop && !done(&m)) {
		int r = poll(pfd, (nfds_t)np, 200);

		if (r < 0 && errno != EINTR) {
			ret = cli_fail(c, "monitor: %s", strerror(errno));
			break;
		}
		if (drops && cli_session_read(&s) < 0) {
			ret = cli_fail(c, "monitor: reading drops: %s", strerror(errno));
			break;
		}
		/* A watch without an fd is looked at on every turn. */
		if (w && (wi < 0 || pfd[wi].revents) && (ret = learn_read(&m, w)))
			break;
		if (drops && !cli_session_alive(&s)) {
			ret = cli_fail(c, "monitor: the datapath ended the session");
			break;
		}
	}
	if (s.lost)
		fprintf(c->err, "tenet: monitor: %llu events lost (buffers full)\n",
			(unsigned long long)s.lost);
out:
	cli_session_close(&s);
	tenet_watch_close(w);
	for (size_t i = 0; i < m.ndyn; i++)
		free(m.dyn[i]);
	free(m.dyn);
	cli_names_free(&m.names);
	return ret;
}

const struct cli_object cli_monitor = {
	.name = "monitor",
	.summary = "live events: drops (reason, port, VSID, tenant, 5-tuple), learning",
	.usage =
		"usage: tenet monitor [drops | learn | all] [rdomain NAME] [host NAME]\n"
		"                     [-c COUNT]\n"
		"drops: every frame this host's datapath drops, with its reason, port (name\n"
		"and ifindex), VSID, routing domain and 5-tuple. learn: bindings learned and\n"
		"removed by dynamic address learning, fleet-wide (from the store). all (the\n"
		"default): both. One line per event (-j: one JSON object per line) until\n"
		"Ctrl-C or COUNT events.\n",
	.run = monitor_run,
};

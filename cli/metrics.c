// SPDX-License-Identifier: GPL-2.0
/* `tenet stats -o openmetrics|prometheus`: every counter of one host's
 * datapath and the agents' status, for a metrics scraper.
 *
 *   openmetrics   OpenMetrics 1.0 text: a counter family is named without
 *                 _total, its samples with it, and the output ends "# EOF".
 *   prometheus    the Prometheus text format 0.0.4 that node_exporter's
 *                 textfile collector reads: TYPE and HELP name the sample.
 *
 * Whatever cannot be read (no pinned maps: tenetd never ran here; no
 * store) is said once on stderr and shows as tenet_datapath_up or
 * tenet_store_up 0: a scraper gets the rest rather than nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tenet/drop.h>
#include <tenet/maps.h>

#include "cli_stats.h"
#include "kinds/status.h"

struct mout {
	FILE *f;
	bool om;                /* OpenMetrics, else Prometheus 0.0.4 */
	const char *host;
};

static void family(struct mout *m, const char *name, bool counter, const char *help)
{
	if (m->om) {
		fprintf(m->f, "# TYPE %s %s\n# HELP %s %s\n", name, counter ? "counter" : "gauge",
			name, help);
		return;
	}
	fprintf(m->f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, counter ? "_total" : "", help,
		name, counter ? "_total" : "", counter ? "counter" : "gauge");
}

/* A label value, escaped as both formats want (\\, \", \n). */
static void label(FILE *f, const char *name, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* name{host="H"[,k1="v1"[,k2="v2"[,k3="v3"]]]} value; labels by pairs,
 * NULL-terminated, a NULL value skips its label. */
static void sample(struct mout *m, const char *name, bool counter, uint64_t value, ...)
{
	va_list ap;
	const char *k, *v;

	fprintf(m->f, "%s%s{", name, counter ? "_total" : "");
	label(m->f, "host", m->host, true);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (v)
			label(m->f, k, v, false);
	}
	va_end(ap);
	fprintf(m->f, "} %llu\n", (unsigned long long)value);
}

static void drops(struct mout *m, const struct tenet_drop_val *d)
{
	family(m, "tenet_drops", true, "Frames the datapath dropped, by reason.");
	for (int r = 1; r < TENET_DROP_MAX; r++)
		sample(m, "tenet_drops", true, d[r].packets, "reason", tenet_drop_name(r), NULL);
	family(m, "tenet_drop_bytes", true, "Bytes of the frames the datapath dropped, by reason.");
	for (int r = 1; r < TENET_DROP_MAX; r++)
		sample(m, "tenet_drop_bytes", true, d[r].bytes, "reason", tenet_drop_name(r), NULL);
}

static void vsids(struct mout *m, const struct cli_vstats *vs, const struct cli_names *n)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{ "tenet_vsid_rx_packets", "Frames delivered to the ports of a virtual subnet.",
		  offsetof(struct tenet_vstats_val, rx_packets) },
		{ "tenet_vsid_rx_bytes", "Bytes delivered to the ports of a virtual subnet.",
		  offsetof(struct tenet_vstats_val, rx_bytes) },
		{ "tenet_vsid_tx_packets", "Frames the ports of a virtual subnet sent.",
		  offsetof(struct tenet_vstats_val, tx_packets) },
		{ "tenet_vsid_tx_bytes", "Bytes the ports of a virtual subnet sent.",
		  offsetof(struct tenet_vstats_val, tx_bytes) },
		{ "tenet_vsid_drops", "Frames of a virtual subnet the datapath dropped.",
		  offsetof(struct tenet_vstats_val, drops) },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		family(m, f[i].name, true, f[i].help);
		for (size_t k = 0; k < vs->n; k++) {
			char v[16];

			snprintf(v, sizeof(v), "%u", vs->e[k].vsid);
			sample(m, f[i].name, true,
			       *(const uint64_t *)((const char *)&vs->e[k].c + f[i].off), "vsid", v,
			       "rdomain", n ? cli_vsid_rdomain(n, vs->e[k].vsid) : NULL, NULL);
		}
	}
}

static void ports(struct mout *m, const struct cli_ports *p, const struct cli_names *n)
{
	static const struct {
		const char *name, *help;
	} f[] = {
		{ "tenet_port_rx_packets", "Frames a port's device received (sent by its VM)." },
		{ "tenet_port_rx_bytes", "Bytes a port's device received (sent by its VM)." },
		{ "tenet_port_tx_packets", "Frames a port's device sent to its VM." },
		{ "tenet_port_tx_bytes", "Bytes a port's device sent to its VM." },
		{ "tenet_port_drops", "Frames from a port the datapath dropped." },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		family(m, f[i].name, true, f[i].help);
		for (size_t k = 0; k < p->n; k++) {
			const struct cli_port *e = &p->e[k];
			uint64_t v[] = { e->rx_packets, e->rx_bytes, e->tx_packets, e->tx_bytes,
					 e->drops.packets };
			char vsid[16];

			if (!e->present)
				continue;
			snprintf(vsid, sizeof(vsid), "%u", e->rec.vsid);
			sample(m, f[i].name, true, v[i], "dev", e->rec.dev, "vsid", vsid, "rdomain",
			       cli_vsid_rdomain(n, e->rec.vsid), NULL);
		}
	}
}

static void learn(struct mout *m, const uint64_t *v)
{
	family(m, "tenet_learn", true,
	       "Dynamic address learning: events, deduped, ratelimited, denied, arp-copies.");
	for (int i = 0; i < TENET_LSTAT_MAX; i++)
		sample(m, "tenet_learn", true, v[i], "counter", cli_learn_names[i], NULL);
}

/* The agents' status records: this host's, and the newest policy write's revision. */
static void status(struct mout *m, const struct tenet_agent_status *st, size_t n, int64_t rev)
{
	const struct tenet_agent_status *me = NULL;
	int64_t now = time(NULL);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(st[i].host, m->host))
			me = &st[i];
	family(m, "tenet_store_revision", false,
	       "The store revision of the newest policy write.");
	sample(m, "tenet_store_revision", false, (uint64_t)rev, NULL);
	family(m, "tenet_agent_up", false,
	       "1 when this host's agent has a live status record (lease or fresh heartbeat).");
	sample(m, "tenet_agent_up", false, me && tenet_status_live(me, now), NULL);
	if (!me)
		return;
	family(m, "tenet_agent_applied_revision", false,
	       "The store revision of the newest change the agent applied.");
	sample(m, "tenet_agent_applied_revision", false, (uint64_t)me->applied_revision, NULL);
	family(m, "tenet_agent_behind_revisions", false,
	       "Store revisions after the agent's applied one (0: in step).");
	sample(m, "tenet_agent_behind_revisions", false,
	       rev > me->applied_revision ? (uint64_t)(rev - me->applied_revision) : 0, NULL);
	family(m, "tenet_agent_heartbeat_timestamp_seconds", false,
	       "When the agent last wrote its status (Unix time).");
	sample(m, "tenet_agent_heartbeat_timestamp_seconds", false, (uint64_t)me->heartbeat, NULL);
	family(m, "tenet_agent_store_available", false,
	       "1 when the agent followed the store at its last status write.");
	sample(m, "tenet_agent_store_available", false, me->store_available, NULL);
	family(m, "tenet_agent_error", false, "1 when the agent reports a last error.");
	sample(m, "tenet_agent_error", false, me->last_error[0] != 0, NULL);
}

int cli_metrics(struct cli *c, const char *host, const char *format)
{
	struct tenet_drop_val d[TENET_DROP_MAX];
	struct mout m = { .f = c->out, .host = host };
	struct tenet_agent_status *st = NULL;
	struct cli_names names = { 0 };
	struct cli_vstats vs = { 0 };
	struct cli_ports ps = { 0 };
	uint64_t lv[TENET_LSTAT_MAX];
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	bool dp, store, have_names;
	size_t nst = 0;
	int64_t rev = 0;

	if (!strcmp(format, "openmetrics"))
		m.om = true;
	else if (strcmp(format, "prometheus"))
		return cli_usage(c, "stats: -o '%s': not a format (openmetrics, prometheus)",
				 format);
	/* Metrics are text whatever -j says; problems go to stderr. */
	c->json = false;
	store = cli_store(c, &s) == 0;
	if (store && tenet_status_list(s, &st, &nst, NULL, &rev, &err) < 0) {
		cli_lib_fail(c, &err);
		store = false;
	}
	have_names = store && cli_load_names(c, &names) == 0;
	dp = cli_read_drops(c, host, d) == 0;
	family(&m, "tenet_datapath_up", false,
	       "1 when the host's pinned datapath maps could be read.");
	sample(&m, "tenet_datapath_up", false, dp, NULL);
	family(&m, "tenet_store_up", false, "1 when the control store could be read.");
	sample(&m, "tenet_store_up", false, store, NULL);
	if (dp) {
		drops(&m, d);
		if (cli_read_vstats(c, host, &vs) == 0)
			vsids(&m, &vs, have_names ? &names : NULL);
		if (store && cli_read_ports(c, host, NULL, &ps) == 0)
			ports(&m, &ps, &names);
		if (cli_read_learn(c, host, lv) == 0)
			learn(&m, lv);
	}
	if (store)
		status(&m, st, nst, rev);
	if (m.om)
		fputs("# EOF\n", m.f);
	free(st);
	cli_vstats_free(&vs);
	cli_ports_free(&ps);
	cli_names_free(&names);
	return 0;
}

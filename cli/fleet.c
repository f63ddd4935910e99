// SPDX-License-Identifier: GPL-2.0
/* The fleet as the agents report it (kinds/status.h):
 *
 *   tenet host show [NAME]   every host the store knows (by its records or
 *                            its agent's status) and its state
 *   --wait [SECONDS]         after a write, until every live agent the
 *                            change concerns has applied its revision
 *                            (ovn-nbctl --wait=hv): all of them for a
 *                            global record, the host's for a per-host one
 *
 * and the warnings a write gets when it leaves the fleet inconsistent: a
 * lookup record whose PA belongs to no host, a host with ports but no PA. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_int.h"
#include "kinds/status.h"

#define WAIT_POLL_MS 100

/* ---- hosts ---- */

struct host_info {
	char name[TENET_NAME_MAX + 1];
	const struct tenet_agent_status *st;    /* NULL: no record */
	size_t pas, ports, compartments;
};

struct fleet {
	struct tenet_agent_status *st;
	size_t nst;
	int64_t rev;                    /* the store's, when read */
	struct tenet_record_list pas, ports, cmps;
	struct host_info *hosts;
	size_t nhosts;
};

static struct host_info *host_get(struct fleet *f, const char *name)
{
	struct host_info *h;

	for (size_t i = 0; i < f->nhosts; i++)
		if (!strcmp(f->hosts[i].name, name))
			return &f->hosts[i];
	h = realloc(f->hosts, (f->nhosts + 1) * sizeof(*h));
	if (!h)
		return NULL;
	f->hosts = h;
	h = &f->hosts[f->nhosts++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	return h;
}

static int cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct host_info *)a)->name, ((const struct host_info *)b)->name);
}

static void fleet_free(struct fleet *f)
{
	free(f->st);
	free(f->hosts);
	tenet_record_list_free(&f->pas);
	tenet_record_list_free(&f->ports);
	tenet_record_list_free(&f->cmps);
	memset(f, 0, sizeof(*f));
}

static int fleet_load(struct cli *c, struct tenet_store *s, struct fleet *f)
{
	struct tenet_err err = { 0 };
	struct host_info *h;

	memset(f, 0, sizeof(*f));
	if (tenet_status_list(s, &f->st, &f->nst, NULL, &f->rev, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_PA, NULL, &f->pas, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_PORT, NULL, &f->ports, &err) < 0 ||
	    tenet_policy_list(s, TENET_KIND_COMPARTMENT, NULL, &f->cmps, &err) < 0)
		return cli_lib_fail(c, &err);
	for (size_t i = 0; i < f->nst; i++)
		if ((h = host_get(f, f->st[i].host)))
			h->st = &f->st[i];
	for (size_t i = 0; i < f->pas.n; i++)
		if ((h = host_get(f, f->pas.recs[i].pa.host)))
			h->pas++;
	for (size_t i = 0; i < f->ports.n; i++)
		if ((h = host_get(f, f->ports.recs[i].port.host)))
			h->ports++;
	for (size_t i = 0; i < f->cmps.n; i++)
		if ((h = host_get(f, f->cmps.recs[i].compartment.host)))
			h->compartments++;
	if (f->nhosts)
		qsort(f->hosts, f->nhosts, sizeof(*f->hosts), cmp_host);
	return 0;
}

/* up: a live agent in step with the store; behind: live, applied an older
 * revision (busy, or failing: see error); stale: its record is there but
 * its heartbeat is old (crashed or frozen, without a lease to expire);
 * down: no agent record (never started, or stopped). */
static const char *host_state(const struct host_info *h, int64_t rev, int64_t now)
{
	if (!h->st)
		return "down";
	if (!tenet_status_live(h->st, now))
		return "stale";
	if (!h->st->store_available)
		return "no-store";
	return h->st->applied_revision >= rev ? "up" : "behind";
}

static json_t *host_json(const struct host_info *h, int64_t rev, int64_t now)
{
	json_t *o = json_pack("{s:s, s:s}", "host", h->name, "state", host_state(h, rev, now));

	if (h->st) {
		json_object_set_new(o, "applied_revision", json_integer(h->st->applied_revision));
		json_object_set_new(o, "behind", json_integer(rev > h->st->applied_revision ?
							      rev - h->st->applied_revision : 0));
		json_object_set_new(o, "heartbeat", json_integer(h->st->heartbeat));
		json_object_set_new(o, "heartbeat_age", json_integer(now - h->st->heartbeat));
		json_object_set_new(o, "store", json_string(h->st->store_available ? "available"
										   : "unavailable"));
		json_object_set_new(o, "last_error", json_string(h->st->last_error));
	}
	json_object_set_new(o, "pas", json_integer((json_int_t)h->pas));
	json_object_set_new(o, "ports", json_integer((json_int_t)h->ports));
	json_object_set_new(o, "compartments", json_integer((json_int_t)h->compartments));
	return o;
}

static void host_text(struct cli *c, const json_t *o)
{
	const json_t *e = json_object_get(o, "last_error");

	fprintf(c->out, "%s state %s", json_string_value(json_object_get(o, "host")),
		json_string_value(json_object_get(o, "state")));
	if (json_object_get(o, "applied_revision"))
		fprintf(c->out, " applied %" JSON_INTEGER_FORMAT " behind %" JSON_INTEGER_FORMAT
			" heartbeat %" JSON_INTEGER_FORMAT "s",
			json_integer_value(json_object_get(o, "applied_revision")),
			json_integer_value(json_object_get(o, "behind")),
			json_integer_value(json_object_get(o, "heartbeat_age")));
	fprintf(c->out, " pas %" JSON_INTEGER_FORMAT " ports %" JSON_INTEGER_FORMAT
		" compartments %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(o, "pas")),
		json_integer_value(json_object_get(o, "ports")),
		json_integer_value(json_object_get(o, "compartments")));
	if (e && json_string_value(e)[0])
		fprintf(c->out, "    error %s\n", json_string_value(e));
}

/* Warnings about the fleet as a whole: hosts whose agent runs without a
 * PA, lookup records whose PA is no host's. */
static void fleet_warnings(struct cli *c, struct tenet_store *s, const struct fleet *f,
			   const char *only)
{
	struct tenet_record_list lookups = { 0 };
	struct tenet_err err = { 0 };
	char a[TENET_IPV4_STRLEN];
	size_t orphans = 0;
	uint32_t first = 0;

	for (size_t i = 0; i < f->nhosts; i++) {
		const struct host_info *h = &f->hosts[i];

		if (only && strcmp(only, h->name))
			continue;
		if (!h->pas && (h->st || h->ports || h->compartments))
			fprintf(c->err, "tenet: warning: host %s has no provider address (tenet pa "
				"add IP/LEN dev IF host %s)\n", h->name, h->name);
	}
	if (only || tenet_policy_list(s, TENET_KIND_LOOKUP, NULL, &lookups, &err) < 0)
		return;
	for (size_t i = 0; i < lookups.n; i++) {
		bool known = false;

		for (size_t k = 0; k < f->pas.n && !known; k++)
			known = f->pas.recs[k].pa.addr.addr == lookups.recs[i].lookup.pa;
		if (!known && !orphans++)
			first = lookups.recs[i].lookup.pa;
	}
	if (orphans)
		fprintf(c->err, "tenet: warning: %zu lookup record%s a PA that belongs to no "
			"host (first: %s)\n", orphans, orphans == 1 ? " names" : "s name",
			tenet_fmt_ipv4(first, a));
	tenet_record_list_free(&lookups);
}

static int host_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	char name[TENET_NAME_MAX + 1] = "";
	struct fleet f;
	struct tenet_store *s;
	json_t *array;
	int64_t now = time(NULL);
	size_t i;
	int ret;

	if (argc > 1)
		return cli_usage(c, "host show: unknown argument '%s'", argv[1]);
	if (argc == 1 && (ret = cli_name(c, "host", argv[0], name)))
		return ret;
	ret = cli_store(c, &s);
	if (ret)
		return ret;
	ret = fleet_load(c, s, &f);
	if (ret)
		return ret;
	array = json_array();
	for (i = 0; i < f.nhosts; i++)
		if (!name[0] || !strcmp(name, f.hosts[i].name))
			json_array_append_new(array, host_json(&f.hosts[i], f.rev, now));
	if (name[0] && !json_array_size(array)) {
		ret = cli_fail(c, "host %s: no such host (no records, no agent)", name);
	} else {
		fleet_warnings(c, s, &f, name[0] ? name : NULL);
		if (c->json) {
			ret = cli_print(c, array, NULL);
		} else {
			const json_t *o;

			json_array_foreach(array, i, o)
				host_text(c, o);
		}
	}
	json_decref(array);
	fleet_free(&f);
	return ret;
}

static const struct cli_verb host_verbs[] = {
	{ "show", host_show, 0, "show [NAME]" },
	{ "list", host_show, .alias = true },
	{ NULL },
};

const struct cli_object cli_host_obj = {
	.name = "host",
	.summary = "hosts and the state their agents report (applied revision, heartbeat)",
	.verbs = host_verbs,
	.dflt = "show",
	.notes =
		"Every host with records in the store or an agent status record. state:\n"
		"up (its agent applied the store's revision), behind (live, an older one),\n"
		"no-store (live, cut off from the store), stale (its heartbeat stopped:\n"
		"crashed or frozen), down (no agent: never started, or stopped).\n"
		"behind: revisions after the applied one; heartbeat: seconds since its\n"
		"agent last wrote. Warns of hosts without a provider address and of lookup\n"
		"records whose PA belongs to no host.\n",
};

/* ---- --wait ---- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_wait_applied(struct cli *c, const char *host, int64_t rev)
{
	int64_t deadline = c->wait_s > 0 ? mono_ms() + c->wait_s * 1000 : INT64_MAX;
	struct tenet_agent_status *st = NULL;
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	char behind[512];
	size_t n = 0, waited;
	int ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	for (;;) {
		int64_t now = time(NULL);
		size_t nb = 0, len = 0;

		free(st);
		st = NULL;
		if (tenet_status_list(s, &st, &n, NULL, NULL, &err) < 0)
			return cli_lib_fail(c, &err);
		behind[0] = '\0';
		waited = 0;
		for (size_t i = 0; i < n; i++) {
			if (host && strcmp(host, st[i].host))
				continue;
			if (!tenet_status_live(&st[i], now))
				continue;       /* not live: it resyncs when it is back */
			waited++;
			if (st[i].applied_revision >= rev)
				continue;
			if (len < sizeof(behind))
				len += (size_t)snprintf(behind + len, sizeof(behind) - len,
							"%s%s (applied %lld, heartbeat %llds ago%s%s)",
							nb ? ", " : "", st[i].host,
							(long long)st[i].applied_revision,
							(long long)(now - st[i].heartbeat),
							st[i].last_error[0] ? ", error: " : "",
							st[i].last_error);
			nb++;
		}
		if (!nb)
			break;
		if (mono_ms() >= deadline) {
			ret = cli_fail(c, "--wait: revision %lld is stored, but %zu of %zu live "
				       "agent%s did not apply it within %llds: %s", (long long)rev,
				       nb, waited, waited == 1 ? "" : "s", (long long)c->wait_s,
				       behind);
			free(st);
			return ret;
		}
		usleep(WAIT_POLL_MS * 1000);
	}
	free(st);
	if (host && !waited)
		fprintf(c->err, "tenet: warning: --wait: host %s has no live agent; it applies "
			"revision %lld when it starts\n", host, (long long)rev);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* tenet: global options, dispatch to objects, argument and value parsing,
 * and the one print path shared by text and -j output. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <tenet/limits.h>

#include "cli_gw.h"
#include "cli_int.h"

static const struct cli_object cli_batch;

static const struct cli_object *const objects[] = {
	&cli_rdomain, &cli_vsubnet, &cli_lookup, &cli_croute,
	&cli_pa, &cli_proute, &cli_port, &cli_stats,
	&cli_compartment, &cli_nat, &cli_s2s, &cli_ravpn, &cli_bgp, &cli_filter, &cli_exec,
	&cli_store_obj, &cli_batch, &cli_trace, &cli_monitor, &cli_host_obj,
};

#define NOBJECTS (sizeof(objects) / sizeof(objects[0]))

static const char usage_head[] =
	"usage: tenet [OPTIONS] OBJECT [VERB [ARGS]]\n"
	"       tenet help [OBJECT]\n"
	"options:\n"
	"  -j, --json        print JSON (stable field names, see docs/cli.md); errors too\n"
	"  -p, --pretty      indent JSON output (implies -j)\n"
	"  -s, --stats       show counters with the records (port, vsubnet, rdomain)\n"
	"  -d, --details     show derived facts too (ids, devices); not pasteable\n"
	"  --wait [SECONDS]  after a write, wait until every live agent concerned\n"
	"                    applied it (default 30 s, 0: no limit)\n"
	"  -V, --version     print the version\n"
	"  --store URL       control store: PATH, sqlite:///PATH (default "
	TENET_STORE_DEFAULT ")\n"
	"  --host NAME       host for per-host objects (default: this host's name)\n"
	"  --pin-root DIR    bpffs directory holding tenet's pinned maps (stats)\n"
	"objects:\n";

static const char usage_tail[] =
	"Each OBJECT takes 'help'; without a VERB it shows.\n"
	"Exit status: 0 ok, 1 refused or failed, 2 bad command line.\n";

void cli_put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch == '\r')
			fputs("\\r", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
}

/* Under -j an error is a JSON object on standard output, as bpftool
 * prints it: {"error":"MESSAGE"}, the message without "tenet: ". */
static int report_json(struct cli *c, int code, const char *fmt, va_list ap)
{
	char *msg = NULL, *line = NULL;
	json_t *o;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (msg && c->batch_line && asprintf(&line, "batch line %d: %s", c->batch_line, msg) < 0)
		line = NULL;
	o = json_pack("{s:s}", "error", line ? line : msg ? msg : "out of memory");
	if (o)
		json_dumpf(o, c->out, c->pretty ? JSON_INDENT(2) : JSON_COMPACT);
	fputc('\n', c->out);
	json_decref(o);
	free(line);
	free(msg);
	return code;
}

/* An error is one line: control characters from an argument (a newline
 * would forge a second line) are printed escaped. */
static int vreport(struct cli *c, int code, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (c->json)
		return report_json(c, code, fmt, ap);
	fputs("tenet: ", c->err);
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("out of memory", c->err);
		msg = NULL;
	} else {
		cli_put_escaped(c->err, msg);
	}
	free(msg);
	fputc('\n', c->err);
	return code;
}

int cli_usage(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(c, TENET_EXIT_USAGE, fmt, ap);
	va_end(ap);
	return ret;
}

int cli_fail(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vreport(c, TENET_EXIT_RUNTIME, fmt, ap);
	va_end(ap);
	return ret;
}

int cli_lib_fail(struct cli *c, const struct tenet_err *err)
{
	return cli_fail(c, "%s", err->msg[0] ? err->msg : "unknown error");
}

static int print_help(struct cli *c, FILE *f)
{
	size_t i;

	fputs(usage_head, f);
	for (i = 0; i < NOBJECTS; i++)
		fprintf(f, "  %-11s %s\n", objects[i]->name, objects[i]->summary);
	fputs(usage_tail, f);
	return 0;
}

bool cli_is_help(const char *verb)
{
	return !strcmp(verb, "help") || !strcmp(verb, "-h") || !strcmp(verb, "--help");
}

/* The usage lines of a verb table: "usage: tenet OBJECT FORM", then
 * "       tenet OBJECT FORM", continuation lines as they are. */
static void print_usage(FILE *f, const char *object, const struct cli_verb *verbs)
{
	bool first = true;

	for (const struct cli_verb *v = verbs; v->name; v++) {
		const char *line = v->usage;

		while (line && *line) {
			const char *nl = strchr(line, '\n');
			int n = nl ? (int)(nl - line) : (int)strlen(line);

			if (*line == ' ')
				fprintf(f, "%.*s\n", n, line);
			else
				fprintf(f, "%s tenet %s %.*s\n", first ? "usage:" : "      ", object, n,
					line);
			first = false;
			line = nl ? nl + 1 : NULL;
		}
	}
}

int cli_object_help(struct cli *c, const struct cli_object *o)
{
	if (!o->verbs) {
		fputs(o->usage, c->out);
		return TENET_EXIT_OK;
	}
	print_usage(c->out, o->name, o->verbs);
	fputs(o->notes, c->out);
	return TENET_EXIT_OK;
}

int cli_unknown_verb(struct cli *c, const struct cli_object *o, const char *verb)
{
	return cli_usage(c, "%s: unknown command '%s' (try 'tenet %s help')", o->name, verb,
			 o->name);
}

const struct cli_verb *cli_find_verb(const struct cli_verb *verbs, const char *name)
{
	for (const struct cli_verb *v = verbs; v->name; v++)
		if (!strcmp(v->name, name))
			return v;
	return NULL;
}

/* iproute2's matches(): a non-empty prefix. Ambiguity is settled by the
 * order of the table searched, as in ip(8): `ip r` is route, `ip ru`
 * rule; here `tenet p` is pa, `tenet po` port, `tenet rd sh` rdomain
 * show. Every full name stays itself (checked by test_cli_ops). */
bool cli_matches(const char *word, const char *name)
{
	size_t n = strlen(word);

	return n && n <= strlen(name) && !strncmp(word, name, n);
}

const struct cli_verb *cli_match_verb(const struct cli_verb *verbs, const char *word)
{
	for (const struct cli_verb *v = verbs; v->name; v++)
		if (cli_matches(word, v->name))
			return v;
	return NULL;
}

int cli_run_subverb(struct cli *c, const struct cli_verb *verbs, const char *what, int argc,
		    char **argv)
{
	const struct cli_verb *v = argc ? cli_match_verb(verbs, argv[0]) : NULL;
	char names[128] = "";
	size_t n = 0;

	if (v)
		return v->run(c, argc - 1, argv + 1, v->flags);
	for (const struct cli_verb *w = verbs; w->name; w++)
		if (!w->alias && n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
					      w->name);
	return cli_usage(c, "%s: unknown command '%s' (%s)", what, argc ? argv[0] : "", names);
}

/* An object's verb: argv[0], or the default when there is none (or, for
 * an object whose verb is optional, when argv[0] is no verb). */
static int run_verb(struct cli *c, const struct cli_object *o, int argc, char **argv)
{
	const struct cli_verb *v = argc ? cli_match_verb(o->verbs, argv[0])
				      : cli_find_verb(o->verbs, o->dflt);

	if (!v && o->verb_optional) {
		v = cli_find_verb(o->verbs, o->dflt);
		c->verb = v->name;
		return v->run(c, argc, argv, v->flags);
	}
	if (!v)
		return cli_unknown_verb(c, o, argv[0]);
	c->verb = v->name;
	return argc ? v->run(c, argc - 1, argv + 1, v->flags) : v->run(c, 0, argv, v->flags);
}

/* ---- arguments ---- */

static struct cli_arg *find_arg(struct cli_arg *args, const char *kw)
{
	for (; args->kw; args++)
		if (!strcmp(args->kw, kw))
			return args;
	return NULL;
}

int cli_args(struct cli *c, int argc, char **argv, struct cli_arg *args)
{
	struct cli_arg *a;
	int i;

	for (a = args; a->kw; a++)
		a->val = NULL;
	for (i = 0; i < argc; i++) {
		a = find_arg(args, argv[i]);
		if (!a)
			return cli_usage(c, "%s %s: unknown argument '%s'", c->object, c->verb,
					 argv[i]);
		if (a->val)
			return cli_usage(c, "%s %s: '%s' given twice", c->object, c->verb, a->kw);
		if (a->flags & ARG_FLAG) {
			a->val = "";
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage(c, "%s %s: '%s' needs a value (%s)", c->object, c->verb,
					 a->kw, a->meta);
		a->val = argv[++i];
	}
	for (a = args; a->kw; a++)
		if ((a->flags & ARG_REQUIRED) && !a->val)
			return cli_usage(c, "%s %s: missing '%s %s'", c->object, c->verb, a->kw,
					 a->meta);
	return 0;
}

int cli_positional(struct cli *c, int *argc, char ***argv, const char *meta, const char **val)
{
	if (*argc < 1)
		return cli_usage(c, "%s %s: missing %s", c->object, c->verb, meta);
	*val = (*argv)[0];
	(*argc)--;
	(*argv)++;
	return 0;
}

/* ---- values ---- */

static int bad_value(struct cli *c, const char *kw, const char *s, const struct tenet_err *e)
{
	return cli_usage(c, "%s '%s': %s", kw, s, e->msg);
}

int cli_vsid(struct cli *c, const char *kw, const char *s, uint32_t *v)
{
	struct tenet_err e;

	return tenet_parse_vsid(s, v, &e) < 0 ? bad_value(c, kw, s, &e) : 0;
}

int cli_mac(struct cli *c, const char *kw, const char *s, uint8_t *mac)
{
	struct tenet_err e;

	if (tenet_parse_mac(s, mac, &e) < 0)
		return bad_value(c, kw, s, &e);
	if (!tenet_mac_is_unicast(mac))
		return cli_usage(c, "%s '%s': not a unicast MAC address", kw, s);
	return 0;
}

int cli_ip(struct cli *c, const char *kw, const char *s, uint32_t *ip)
{
	struct tenet_err e;

	return tenet_parse_ipv4(s, ip, &e) < 0 ? bad_value(c, kw, s, &e) : 0;
}

int cli_prefix(struct cli *c, const char *kw, const char *s, struct tenet_prefix *p)
{
	struct tenet_err e;

	return tenet_parse_prefix(s, p, &e) < 0 ? bad_value(c, kw, s, &e) : 0;
}

int cli_addr_len(struct cli *c, const char *kw, const char *s, struct tenet_prefix *p)
{
	struct tenet_err e;

	return tenet_parse_addr_len(s, p, &e) < 0 ? bad_value(c, kw, s, &e) : 0;
}

int cli_u32(struct cli *c, const char *kw, const char *s, uint32_t min, uint32_t max,
	    uint32_t *v)
{
	struct tenet_err e;

	return tenet_parse_u32(s, min, max, v, &e) < 0 ? bad_value(c, kw, s, &e) : 0;
}

int cli_name(struct cli *c, const char *kw, const char *s, char *dst)
{
	struct tenet_err e;

	if (tenet_check_name(s, &e) < 0)
		return bad_value(c, kw, s, &e);
	strcpy(dst, s);
	return 0;
}

int cli_ifname(struct cli *c, const char *kw, const char *s, char *dst)
{
	struct tenet_err e;

	if (tenet_check_ifname(s, &e) < 0)
		return bad_value(c, kw, s, &e);
	strcpy(dst, s);
	return 0;
}

int cli_host(struct cli *c, const char *arg, char *dst)
{
	char name[256];

	if (arg)
		return cli_name(c, "host", arg, dst);
	if (c->host_opt)
		return cli_name(c, "--host", c->host_opt, dst);
	if (gethostname(name, sizeof(name)) < 0)
		return cli_fail(c, "cannot read this host's name: %s (use --host)",
				strerror(errno));
	name[sizeof(name) - 1] = '\0';
	return cli_name(c, "host name", name, dst) ? TENET_EXIT_USAGE : 0;
}

/* An existing store only: `tenet store init` is the one command that
 * creates one (cli/store.c). */
static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Ends the batch's open chunk: its writes become durable and visible
 * together. Fails naming the lines that were not written. */
static int chunk_end(struct cli *c)
{
	struct tenet_err err = { 0 };

	if (!c->chunk_open)
		return 0;
	c->chunk_open = false;
	if (tenet_store_batch_end(c->store, true, &err) < 0)
		return cli_fail(c, "batch: lines %d-%d not written: %s", c->chunk_first,
				c->chunk_first + c->chunk_lines - 1, err.msg);
	return 0;
}

static int store_open(struct cli *c, struct tenet_store **s);

/* The store for a validated write (cli_put, cli_del). In a batch without
 * --wait (which waits for agents that cannot see an open chunk), the
 * write joins the open chunk, or opens one (SQLite; on etcd every write
 * commits alone), and the policy keeps its memo for the batch. */
static int write_store(struct cli *c, struct tenet_store **s)
{
	struct tenet_err err = { 0 };
	int ret;

	if (!c->in_batch || c->wait_s >= 0)
		return cli_store(c, s);
	ret = store_open(c, s);
	if (ret)
		return ret;
	if (!c->memo && tenet_policy_memo_begin(*s) == 0)
		c->memo = true;
	if (c->chunk_open || c->no_chunks)
		return 0;
	ret = tenet_store_batch_begin(*s, &err);
	if (ret == -EOPNOTSUPP) {
		c->no_chunks = true;
		return 0;
	}
	if (ret < 0)
		return cli_lib_fail(c, &err);
	c->chunk_open = true;
	c->chunk_first = c->batch_line_n;
	c->chunk_lines = 0;
	c->chunk_t0 = mono_s();
	return 0;
}

/* Anything but a validated write sees and changes the store as every
 * other process does: the batch's open chunk ends first. */
int cli_store(struct cli *c, struct tenet_store **s)
{
	int ret = chunk_end(c);

	return ret ? ret : store_open(c, s);
}

static int store_open(struct cli *c, struct tenet_store **s)
{
	struct tenet_err err = { 0 };
	int ret;

	if (!c->store) {
		const char *url = c->store_url && c->store_url[0] ? c->store_url :
				  TENET_STORE_DEFAULT;

		ret = tenet_store_openf(url, 0, &c->store, &err);
		if (ret == -ENOENT)
			return cli_fail(c, "no store at %s (create it with 'tenet store init')",
					strncmp(url, "sqlite://", 9) ? url : url + 9);
		if (ret < 0)
			return cli_lib_fail(c, &err);
	}
	*s = c->store;
	return 0;
}

/* ---- printing ---- */

static void print_value(FILE *f, const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_true(v) || json_is_false(v))
		fputs(json_is_true(v) ? "yes" : "no", f);
}

static void print_text(struct cli *c, const json_t *obj, const struct cli_field *fields)
{
	const struct cli_field *fl;
	bool first = true;

	if (!fields) {
		cli_print_detail(c, obj);
		return;
	}
	for (fl = fields; fl->key; fl++) {
		const json_t *v = json_object_get(obj, fl->key);

		if (!v)
			continue;
		if (!first)
			fputc(' ', c->out);
		if (fl->label)
			fprintf(c->out, "%s ", fl->label);
		print_value(c->out, v);
		first = false;
	}
	fputc('\n', c->out);
	cli_print_detail(c, obj);
}

int cli_print(struct cli *c, json_t *array, const struct cli_field *fields)
{
	size_t i;
	json_t *obj;

	if (c->json) {
		size_t flags = JSON_PRESERVE_ORDER | (c->pretty ? JSON_INDENT(2) : JSON_COMPACT);

		if (json_dumpf(array, c->out, flags) < 0)
			return cli_fail(c, "cannot write output");
		fputc('\n', c->out);
		return 0;
	}
	json_array_foreach(array, i, obj)
		print_text(c, obj, fields);
	return 0;
}

int cli_show(struct cli *c, enum tenet_kind kind, const char *host,
	     bool (*keep)(const struct tenet_record *r, void *arg), void *arg,
	     const struct cli_field *fields)
{
	return cli_show_named(c, kind, host, keep, arg, fields, NULL);
}

int cli_show_named(struct cli *c, enum tenet_kind kind, const char *host,
		   bool (*keep)(const struct tenet_record *r, void *arg), void *arg,
		   const struct cli_field *fields, const char *none)
{
	struct tenet_record_list l = { 0 };
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	json_t *array = NULL;
	size_t i;
	int ret;

	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_policy_list(s, kind, host, &l, &err) < 0)
		return cli_lib_fail(c, &err);
	array = json_array();
	for (i = 0; array && i < l.n; i++) {
		if (keep && !keep(&l.recs[i], arg))
			continue;
		if (json_array_append_new(array, tenet_record_to_json(&l.recs[i])) < 0) {
			ret = cli_fail(c, "out of memory");
			goto out;
		}
	}
	if (!array) {
		ret = cli_fail(c, "out of memory");
		goto out;
	}
	/* Shown, not fatal: one bad record must not hide the good ones. */
	if (l.bad) {
		fprintf(c->err, "tenet: warning: skipped %zu corrupt record%s (", l.bad,
			l.bad == 1 ? "" : "s");
		cli_put_escaped(c->err, l.bad_msg);
		fputs(")\n", c->err);
	}
	/* A named object that is not there is an error, as in ip(8). */
	if (none && !json_array_size(array)) {
		ret = cli_fail(c, "%s", none);
		goto out;
	}
	if (c->stats || c->details)
		ret = cli_decorate(c, kind, host, array);
	if (!ret)
		ret = cli_print(c, array, fields);
out:
	json_decref(array);
	tenet_record_list_free(&l);
	return ret;
}

/* After a write: --wait (fleet.c). */
static int after_write(struct cli *c, const struct tenet_record *rec, int64_t before,
		       int64_t rev)
{
	const struct tenet_kind_desc *d = tenet_kind_get(rec->kind);

	bool host_only = d && d->scope == TENET_SCOPE_HOST &&
			 /* a compartment also writes its lookup record, global */
			 rec->kind != TENET_KIND_COMPARTMENT;

	if (c->wait_s < 0 || rev == before)
		return 0;       /* no --wait, or nothing changed */
	return cli_wait_applied(c, host_only ? tenet_record_name_field(rec, "host") : NULL, rev);
}

/* The stored value of rec's key ("" if none), for --wait to tell a write
 * that changed nothing an agent sees (the same value again). */
static char *stored_value(struct tenet_store *s, const struct tenet_record *rec)
{
	struct tenet_kv kv = { 0 };
	char key[TENET_KEY_MAX], *v;

	if (tenet_record_key(rec, key, sizeof(key)) < 0 || tenet_store_get(s, key, &kv, NULL) < 0)
		return strdup("");
	v = strdup(kv.value ? kv.value : "");
	tenet_kv_clear(&kv);
	return v;
}

int cli_put(struct cli *c, struct tenet_record *rec, unsigned int flags)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int64_t before = 0, rev = 0;
	char *old = NULL, *new = NULL;
	int ret;

	ret = write_store(c, &s);
	if (ret)
		return ret;
	if (c->wait_s >= 0 && tenet_store_revision(s, &before, &err) < 0)
		return cli_lib_fail(c, &err);
	if (c->wait_s >= 0)
		old = stored_value(s, rec);
	if (tenet_policy_put(s, rec, flags, &rev, &err) < 0) {
		free(old);
		return cli_lib_fail(c, &err);
	}
	c->batch_writes++;
	if (old) {
		new = stored_value(s, rec);
		/* The same record again: the store moved, no agent's model did. */
		if (new && !strcmp(old, new))
			before = rev;
	}
	free(old);
	free(new);
	return after_write(c, rec, before, rev);
}

int cli_del(struct cli *c, const struct tenet_record *id, unsigned int flags)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	int64_t before = 0, rev = 0;
	int ret;

	ret = write_store(c, &s);
	if (ret)
		return ret;
	if (c->wait_s >= 0 && tenet_store_revision(s, &before, &err) < 0)
		return cli_lib_fail(c, &err);
	if (tenet_policy_del(s, id, flags, &rev, &err) < 0)
		return cli_lib_fail(c, &err);
	c->batch_writes++;
	return after_write(c, id, before, rev);
}

/* ---- main ---- */

/* The object a word names, iproute2-style: the first in objects[] it is
 * a prefix of. */
static const struct cli_object *find_object(const char *name)
{
	size_t i;

	for (i = 0; i < NOBJECTS; i++)
		if (cli_matches(name, objects[i]->name))
			return objects[i];
	return NULL;
}

/* A full object or verb name that does not resolve to itself (an earlier
 * entry of its table it is a prefix of), "OBJECT" or "OBJECT VERB"; NULL
 * when there is none. For the tests: abbreviations must never take a
 * full name away. */
const char *cli_shadowed_name(void)
{
	static char buf[64];

	for (size_t i = 0; i < NOBJECTS; i++) {
		const struct cli_object *o = objects[i];

		if (find_object(o->name) != o)
			return o->name;
		for (const struct cli_verb *v = o->verbs; v && v->name; v++) {
			const struct cli_verb *m = cli_match_verb(o->verbs, v->name);

			/* An alias of the same handler is the same verb. */
			if (m != v && m->run != v->run) {
				snprintf(buf, sizeof(buf), "%s %s", o->name, v->name);
				return buf;
			}
		}
	}
	return NULL;
}

/* An option's value, as "--opt VALUE" or "--opt=VALUE". */
static int opt_value(struct cli *c, int argc, char **argv, int *i, const char *name,
		     const char **val)
{
	size_t n = strlen(name);

	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return cli_usage(c, "option '%s' needs a value", name);
	*val = argv[++*i];
	return 0;
}

static bool is_opt(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* --wait [SECONDS]: the seconds are optional, so the next word is taken
 * only when it is a number (no OBJECT is). */
static int opt_wait(struct cli *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v = NULL;
	uint32_t n;

	if (a[6] == '=')
		v = a + 7;
	else if (*i + 1 < argc && argv[*i + 1][0] >= '0' && argv[*i + 1][0] <= '9')
		v = argv[++*i];
	if (!v) {
		c->wait_s = TENET_CLI_WAIT_DEFAULT_S;
		return 0;
	}
	if (cli_u32(c, "--wait", v, 0, 86400, &n))
		return TENET_EXIT_USAGE;
	c->wait_s = n;
	return 0;
}

/* The options added for operators (docs/cli.md): -s, -d, --wait, and
 * -V/--version, which prints at once and ends the run (exit code -1
 * means "done, exit 0"). */
static int parse_option_more(struct cli *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i];

	if (!strcmp(a, "-s") || !strcmp(a, "--stats"))
		c->stats = true;
	else if (!strcmp(a, "-d") || !strcmp(a, "--details"))
		c->details = true;
	else if (is_opt(a, "--wait"))
		return opt_wait(c, argc, argv, i);
	else if (!strcmp(a, "-V") || !strcmp(a, "--version"))
		return fprintf(c->out, "tenet %s (datapath layout %d)\n", TENET_VERSION,
			       TENET_LAYOUT_VERSION) < 0 ? TENET_EXIT_RUNTIME : -1;
	else
		return cli_usage(c, "unknown option '%s' (try 'tenet help')", a);
	return 0;
}

/* -j anywhere among the options: errors found before it is read are
 * JSON too. */
static void prescan_json(struct cli *c, int argc, char **argv)
{
	static const char *const with_value[] = { "--store", "--host", "--pin-root" };

	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json") ||
		    !strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			c->json = true;
		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
			if (!strcmp(argv[i], with_value[k])) {
				i++;    /* its value */
				break;
			}
		}
	}
}

/* Global options, before OBJECT. 0 and *next = index of OBJECT, or an
 * exit code; *help when -h was given. */
static int parse_options(struct cli *c, int argc, char **argv, int *next, bool *help)
{
	int i, ret = 0;

	*help = false;
	for (i = 1; i < argc && argv[i][0] == '-' && ret == 0; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json"))
			c->json = true;
		else if (!strcmp(a, "-p") || !strcmp(a, "--pretty"))
			c->pretty = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			*help = true;
		else if (is_opt(a, "--store"))
			ret = opt_value(c, argc, argv, &i, "--store", &c->store_url);
		else if (is_opt(a, "--host"))
			ret = opt_value(c, argc, argv, &i, "--host", &c->host_opt);
		else if (is_opt(a, "--pin-root"))
			ret = opt_value(c, argc, argv, &i, "--pin-root", &c->pin_root);
		else
			ret = parse_option_more(c, argc, argv, &i);
	}
	/* -p without -j: JSON is what -p indents. */
	if (c->pretty)
		c->json = true;
	*next = i;
	return ret;
}

static int run_object(struct cli *c, const struct cli_object *o, int argc, char **argv)
{
	c->object = o->name;
	c->verb = argc > 0 ? argv[0] : "show";
	/* `tenet lookup help` and `tenet lookup add help` both explain. */
	if ((argc > 0 && cli_is_help(argv[0])) || (argc == 2 && cli_is_help(argv[1])))
		return cli_object_help(c, o);
	return o->verbs ? run_verb(c, o, argc, argv) : o->run(c, argc, argv);
}

/* ---- batch: many commands, one process, one store handle ---- */

#define BATCH_WORDS 64

/* One command line of a batch; its error (if any) is reported as
 * "batch line N: ..." on one line. */
static int batch_line(struct cli *c, char *line, int n)
{
	char *words[BATCH_WORDS], *tok, *save = NULL, *msg = NULL;
	const struct cli_object *o;
	FILE *err = c->err;
	size_t len = 0;
	int nw = 0, ret;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && nw < BATCH_WORDS;
	     tok = strtok_r(NULL, " \t\r\n", &save))
		words[nw++] = tok;
	if (!nw || words[0][0] == '#')
		return 0;
	if (tok)
		return cli_usage(c, "batch line %d: more than %d words", n, BATCH_WORDS);
	o = find_object(words[0]);
	if (!o || o == &cli_batch)
		return cli_usage(c, "batch line %d: unknown object '%s'", n, words[0]);
	c->batch_line_n = n;
	/* `store` opens and reads the store its own way: end the chunk. */
	if (o == &cli_store_obj && (ret = chunk_end(c)))
		return ret;
	if (c->json) {
		/* JSON errors name the line themselves (report_json). */
		c->batch_line = n;
		ret = run_object(c, o, nw - 1, words + 1);
		c->batch_line = 0;
		return ret;
	}
	c->err = open_memstream(&msg, &len);
	if (!c->err) {
		c->err = err;
		return cli_fail(c, "out of memory");
	}
	ret = run_object(c, o, nw - 1, words + 1);
	fclose(c->err);
	c->err = err;
	if (ret && msg)
		fprintf(err, "tenet: batch line %d: %s", n,
			strncmp(msg, "tenet: ", 7) ? msg : msg + 7);
	free(msg);
	return ret;
}

/* A chunk ends after this many lines or this long, whichever comes
 * first: one sync per chunk instead of one per line, while other writers
 * (agents' status, learning) wait for the store's lock at most this long. */
#define BATCH_CHUNK_LINES 1000
#define BATCH_CHUNK_S 0.2

/* A batch that could not be read to its end failed, even if every line
 * it read worked: the rest of it was not done. Validated writes run in
 * chunks (write_store): each line is still checked against everything
 * before it, and a failing line leaves the lines before it written, as
 * if each had committed alone. */
static int batch_run(struct cli *c, int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	int n = 0, ret = 0, end;
	struct stat st;
	double t0;
	FILE *f;

	if (argc != 1)
		return cli_usage(c, "batch: expected one FILE (or - for standard input)");
	f = strcmp(argv[0], "-") ? fopen(argv[0], "re") : stdin;
	if (!f)
		return cli_fail(c, "batch: %s: %s", argv[0], strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		ret = cli_fail(c, "batch: %s: %s", argv[0], strerror(EISDIR));
		goto out;
	}
	errno = 0;
	c->in_batch = true;
	c->batch_writes = 0;
	t0 = mono_s();
	while (ret == 0 && getline(&line, &cap, f) > 0) {
		ret = batch_line(c, line, ++n);
		if (ret == 0 && c->chunk_open &&
		    (++c->chunk_lines >= BATCH_CHUNK_LINES || mono_s() - c->chunk_t0 >= BATCH_CHUNK_S))
			ret = chunk_end(c);
		errno = 0;
	}
	end = chunk_end(c);
	if (!ret)
		ret = end;
	if (c->memo)
		tenet_policy_memo_end(c->store);
	c->memo = false;
	c->in_batch = false;
	if (!ret && ferror(f))
		ret = cli_fail(c, "batch: %s: read error after line %d: %s", argv[0], n,
			       strerror(errno ? errno : EIO));
	/* The rate, where the operator looks: text mode, after writes. */
	if (!ret && !c->json && c->batch_writes) {
		double secs = mono_s() - t0;

		fprintf(c->out, "batch: %d lines, %ld records written in %.2f s (%.0f records/s)\n",
			n, c->batch_writes, secs, secs > 0 ? c->batch_writes / secs : 0.0);
	}
out:
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

static const struct cli_object cli_batch = {
	.name = "batch",
	.summary = "run commands from a file (or -), one per line, in one process",
	.usage =
		"usage: tenet [OPTIONS] batch FILE|-\n"
		"Each line is OBJECT VERB ARGS (words split on blanks, no quoting); empty\n"
		"lines and lines starting with '#' are skipped. The options apply to every\n"
		"line. Stops at the first failing line: its error names the line.\n",
	.run = batch_run,
};

int tenet_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct cli c = { .out = out, .err = err, .wait_s = -1 };
	const struct cli_object *o;
	bool help;
	int i, ret;

	prescan_json(&c, argc, argv);
	ret = parse_options(&c, argc, argv, &i, &help);
	if (ret == -1) {
		fflush(out);
		return TENET_EXIT_OK;
	}
	if (ret)
		return ret;
	if (help)
		return print_help(&c, out);
	/* One line, as for every other usage error. */
	if (i >= argc) {
		fputs("usage: tenet [OPTIONS] OBJECT [VERB [ARGS]] (try 'tenet help')\n", err);
		return TENET_EXIT_USAGE;
	}
	if (cli_is_help(argv[i])) {
		if (i + 1 >= argc)
			return print_help(&c, out);
		o = find_object(argv[i + 1]);
		if (!o)
			return cli_usage(&c, "unknown object '%s' (try 'tenet help')", argv[i + 1]);
		return cli_object_help(&c, o);
	}
	o = find_object(argv[i]);
	if (!o)
		return cli_usage(&c, "unknown object '%s' (try 'tenet help')", argv[i]);
	ret = run_object(&c, o, argc - i - 1, argv + i + 1);
	tenet_store_close(c.store);
	fflush(out);
	fflush(err);
	return ret;
}

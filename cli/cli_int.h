/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the CLI's files: the run context, argument parsing, value
 * parsers that report usage errors, and the one print path. */
#ifndef TENET_CLI_INT_H
#define TENET_CLI_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "util/parse.h"
#include "policy/policy.h"
#include "kinds/record.h"
#include "store/store.h"

/* --wait without SECONDS waits this long. */
#define TENET_CLI_WAIT_DEFAULT_S 30

struct cli {
	FILE *out, *err;
	bool json, pretty;
	bool stats;                     /* -s: counters with the records */
	bool details;                   /* -d: derived facts (not pasteable) */
	const char *store_url;          /* NULL: TENET_STORE_DEFAULT */
	const char *host_opt;           /* --host, NULL: gethostname() */
	const char *pin_root;           /* --pin-root, NULL: TENET_PIN_ROOT */
	const char *object, *verb;      /* for messages: "lookup", "add" */
	struct tenet_store *store;      /* opened on first use */
	int batch_line;                 /* the batch line running, 0 none */
	/* tenet batch: runs of validated writes share one store transaction
	 * (a chunk, tenet_store_batch_begin) and the policy's memo. */
	bool in_batch;
	bool chunk_open, no_chunks, memo;
	int chunk_first, chunk_lines;   /* the chunk's first line, lines in it */
	double chunk_t0;                /* when it began (CLOCK_MONOTONIC, s) */
	long batch_writes;              /* validated writes the batch made */
	int batch_line_n;               /* the batch line running (any mode) */
	int64_t wait_s;                 /* --wait: seconds, -1 none, 0 forever */
};

/* One verb of an object: dispatch, `tenet OBJECT help` and the
 * unknown-verb error all come from the object's table of these. */
struct cli_verb {
	const char *name;               /* NULL ends a table */
	int (*run)(struct cli *c, int argc, char **argv, unsigned int flags);
	unsigned int flags;             /* handed to run, e.g. TENET_POLICY_REPLACE */
	/* The help's usage forms, each the text after "tenet OBJECT "; forms
	 * are separated by '\n', and a line starting with a blank continues
	 * the form before it. NULL: not listed (an alias, or a verb the
	 * notes explain). */
	const char *usage;
	bool alias;                     /* another name of the verb before it */
};

/* One object of the grammar. */
struct cli_object {
	const char *name;
	const char *summary;            /* one line for `tenet help` */
	/* An object with verbs: its table, the verb that no verb means, and
	 * the help text after the usage lines. verb_optional: a first word
	 * that is not a verb is dflt's first argument (`tenet stats host H`). */
	const struct cli_verb *verbs;
	const char *dflt;
	bool verb_optional;
	const char *notes;
	/* An object without verbs parses its words itself. */
	const char *usage;              /* `tenet OBJECT help` */
	int (*run)(struct cli *c, int argc, char **argv);
};

extern const struct cli_object cli_rdomain, cli_vsubnet, cli_lookup, cli_croute;
extern const struct cli_object cli_pa, cli_proute, cli_port, cli_stats;
extern const struct cli_object cli_trace, cli_monitor, cli_host_obj;
extern const struct cli_object cli_store_obj;

/* Errors: print "tenet: ..." and return the exit code, so a handler can
 * `return cli_usage(c, ...)`. */
int cli_usage(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_fail(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write s with its control characters escaped (\n, \t, \r, \xNN): what
 * a user typed never makes a second line. */
void cli_put_escaped(FILE *f, const char *s);
/* A library error: its one line, exit code 1. */
int cli_lib_fail(struct cli *c, const struct tenet_err *err);

/* Keyword arguments: "kw value" pairs (or bare flags) in any order. */
enum {
	ARG_REQUIRED = 1u << 0,
	ARG_FLAG = 1u << 1,             /* no value: present or not */
};

struct cli_arg {
	const char *kw;
	const char *meta;               /* what the value is, for messages: "VSID" */
	unsigned int flags;
	const char *val;                /* out: the value ("" for a present flag) */
};

/* Fills args[].val from argv; the array ends with a NULL kw. Returns 0 or
 * TENET_EXIT_USAGE (after printing which argument is wrong). */
int cli_args(struct cli *c, int argc, char **argv, struct cli_arg *args);
/* Takes a leading positional argument (not a keyword of args). */
int cli_positional(struct cli *c, int *argc, char ***argv, const char *meta, const char **val);

/* Value parsers: 0 or TENET_EXIT_USAGE with "KW 'VALUE': why". */
int cli_vsid(struct cli *c, const char *kw, const char *s, uint32_t *v);
int cli_mac(struct cli *c, const char *kw, const char *s, uint8_t *mac);
int cli_ip(struct cli *c, const char *kw, const char *s, uint32_t *ip);
int cli_prefix(struct cli *c, const char *kw, const char *s, struct tenet_prefix *p);
int cli_addr_len(struct cli *c, const char *kw, const char *s, struct tenet_prefix *p);
int cli_u32(struct cli *c, const char *kw, const char *s, uint32_t min, uint32_t max,
	    uint32_t *v);
int cli_name(struct cli *c, const char *kw, const char *s, char *dst);
int cli_ifname(struct cli *c, const char *kw, const char *s, char *dst);
/* The host a per-host command is about: `host H`, else --host, else
 * gethostname(). */
int cli_host(struct cli *c, const char *arg, char *dst);

/* The store, never created (only `tenet store init` makes one): a
 * missing one is "no store at PATH (create it with 'tenet store init')"
 * (exit 1). */
int cli_store(struct cli *c, struct tenet_store **s);

/* Is this verb a request for help? */
bool cli_is_help(const char *verb);
int cli_object_help(struct cli *c, const struct cli_object *o);
int cli_unknown_verb(struct cli *c, const struct cli_object *o, const char *verb);
/* The verb called name in a table; NULL if none. */
const struct cli_verb *cli_find_verb(const struct cli_verb *verbs, const char *name);
/* The verb a word the user typed names: as iproute2's matches(), the
 * first entry of the table the word is a prefix of ("sh" is show). */
const struct cli_verb *cli_match_verb(const struct cli_verb *verbs, const char *word);
/* Is word (typed by the user) a prefix of name, iproute2's matches()? */
bool cli_matches(const char *word, const char *name);
/* A full object or verb name an abbreviation takes away (tests); NULL. */
const char *cli_shadowed_name(void);
/* Runs argv[0] of a table of sub verbs (`nat map add ...`); an unknown
 * one is a usage error "WHAT: unknown command 'VERB' (the verbs)". */
int cli_run_subverb(struct cli *c, const struct cli_verb *verbs, const char *what, int argc,
		    char **argv);

/* The one print path. Records are JSON objects; -j prints the array as
 * JSON, text mode prints each object on one line, its fields in the
 * order given: a field with a NULL label prints its value alone. */
struct cli_field {
	const char *key;
	const char *label;
};
int cli_print(struct cli *c, json_t *array, const struct cli_field *fields);
/* Lists the records of kind that pass keep(), through cli_print. */
int cli_show(struct cli *c, enum tenet_kind kind, const char *host,
	     bool (*keep)(const struct tenet_record *r, void *arg), void *arg,
	     const struct cli_field *fields);
/* The same; when nothing is listed, fails with the line none (exit 1):
 * `rdomain show NAME` of a missing domain. */
int cli_show_named(struct cli *c, enum tenet_kind kind, const char *host,
		   bool (*keep)(const struct tenet_record *r, void *arg), void *arg,
		   const struct cli_field *fields, const char *none);
/* -s and -d (stats.c): adds "stats" (counters from the datapath) and
 * "details" (facts derived from the record) to each listed object of a
 * kind that has them. Text output prints each as an indented line after
 * the record's own, which stays pasteable. */
int cli_decorate(struct cli *c, enum tenet_kind kind, const char *host, json_t *array);
void cli_print_detail(struct cli *c, const json_t *obj);
/* --wait after a write (fleet.c): until every live agent concerned
 * (host's; NULL: all) applied revision rev, or c->wait_s seconds. 0 or
 * the exit code. */
int cli_wait_applied(struct cli *c, const char *host, int64_t rev);
/* Writes and reports: 0 or the exit code of the failure. */
int cli_put(struct cli *c, struct tenet_record *rec, unsigned int flags);
int cli_del(struct cli *c, const struct tenet_record *id, unsigned int flags);

#endif

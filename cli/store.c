// SPDX-License-Identifier: GPL-2.0
/* The store itself: `tenet store init` is the one command that creates a
 * store (every other command, and tenetd, open an existing one only: a
 * mistyped --store must not become an empty store an agent reconciles
 * to); `show` says where it is and how far it is; `accept-deletions`
 * confirms a mass deletion the agents refused (docs/agent.md, "Failure
 * behaviour"). */
#include <errno.h>
#include <string.h>

#include "cli_int.h"

static const struct cli_field store_fields[] = {
	{ "store", "store" }, { "revision", "revision" }, { "keys", "keys" }, { NULL, NULL },
};

/* The one line `show` and `init` print about a store. */
static int print_store(struct cli *c, struct tenet_store *s, const char *state)
{
	struct tenet_kv_list l = { 0 };
	struct tenet_err err = { 0 };
	json_t *array, *obj;
	int ret;

	if (tenet_store_range(s, TENET_KEY_ROOT, &l, &err) < 0)
		return cli_lib_fail(c, &err);
	array = json_array();
	obj = json_pack("{s:s, s:I, s:I}", "store", tenet_store_location(s), "revision",
			(json_int_t)l.rev, "keys", (json_int_t)l.n);
	tenet_kv_list_free(&l);
	if (!array || !obj || json_array_append_new(array, obj) < 0) {
		json_decref(array);
		return cli_fail(c, "out of memory");
	}
	if (state && !c->json)
		fprintf(c->out, "%s: ", state);
	ret = cli_print(c, array, store_fields);
	json_decref(array);
	return ret;
}

static int store_init(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_err err = { 0 };
	const char *state = "exists";
	int ret;

	if (argc)
		return cli_usage(c, "store init: unknown argument '%s'", argv[0]);
	ret = tenet_store_openf(c->store_url, 0, &c->store, &err);
	if (ret == -ENOENT) {
		tenet_err_clear(&err);
		state = "created";
		ret = tenet_store_openf(c->store_url, TENET_STORE_CREATE, &c->store, &err);
	}
	if (ret < 0)
		return cli_lib_fail(c, &err);
	return print_store(c, c->store, state);
}

static int store_show(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_store *s;
	int ret;

	if (argc)
		return cli_usage(c, "store show: unknown argument '%s'", argv[0]);
	ret = cli_store(c, &s);
	return ret ? ret : print_store(c, s, NULL);
}

/* The flag is a key whose revision says what it confirms: an agent that
 * refused deletions after reading the store at revision R accepts them
 * once it sees the flag written after R (a flag inside a restored backup
 * confirms nothing). The value is for people. */
static int store_accept(struct cli *c, int argc, char **argv, unsigned int flags)
{
	struct tenet_err err = { 0 };
	struct tenet_store *s;
	struct tenet_txn *t;
	int64_t rev = 0;
	json_t *v;
	int ret;

	if (argc)
		return cli_usage(c, "store accept-deletions: unknown argument '%s'", argv[0]);
	ret = cli_store(c, &s);
	if (ret)
		return ret;
	if (tenet_store_revision(s, &rev, &err) < 0)
		return cli_lib_fail(c, &err);
	t = tenet_txn_new();
	v = json_pack("{s:I}", "after_revision", (json_int_t)rev);
	if (!t || !v || tenet_txn_put_json(t, TENET_KEY_ACCEPT_DELETIONS, v) < 0) {
		ret = cli_fail(c, "out of memory");
		goto out;
	}
	ret = tenet_store_commit(s, t, &rev, &err) < 0 ? cli_lib_fail(c, &err) : 0;
	if (!ret)
		fprintf(c->out, "deletions refused before revision %lld are accepted\n",
			(long long)rev);
out:
	json_decref(v);
	tenet_txn_free(t);
	return ret;
}

static const struct cli_verb store_verbs[] = {
	{ "init", store_init, 0, "init" },
	{ "show", store_show, 0, "show" },
	{ "list", store_show, .alias = true },
	{ "accept-deletions", store_accept, 0, "accept-deletions" },
	{ NULL },
};

const struct cli_object cli_store_obj = {
	.name = "store",
	.summary = "the control store: create it, show it, confirm refused deletions",
	.verbs = store_verbs,
	.dflt = "show",
	.notes =
		"'init' creates the store named by --store (and its directory) unless it\n"
		"exists; no other command creates one. 'show' prints its location,\n"
		"revision and number of keys. 'accept-deletions' confirms the deletions\n"
		"agents refused after reading a store that lost most of what they\n"
		"programmed (a replaced or emptied store); see tenetd's log.\n",
};

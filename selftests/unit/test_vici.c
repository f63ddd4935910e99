// SPDX-License-Identifier: GPL-2.0
/* The VICI client: the codec byte for byte against the protocol's own
 * example, malformed input, and the client against a real charon (started
 * here in a network and mount namespace of its own, with its socket in a
 * temporary directory). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "vici/vici.h"
#include "testutil.h"

/* The example message of the vici README, element by element:
 *   key1 = value1
 *   section1 { sub-section { key2 = value2 } list1 = [ item1, item2 ] } */
static const uint8_t example[] = {
	3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',
	1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',
	1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',
	3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',
	2,
	4, 5, 'l', 'i', 's', 't', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '1',
	5, 0, 5, 'i', 't', 'e', 'm', '2',
	6,
	2,
};

static json_t *example_json(void)
{
	json_error_t e;

	return json_loads("{\"key1\": \"value1\", \"section1\": {\"sub-section\": "
			  "{\"key2\": \"value2\"}, \"list1\": [\"item1\", \"item2\"]}}",
			  JSON_PRESERVE_ORDER, &e);
}

static void encode_example(void **state)
{
	struct vici_buf b = { 0 };
	json_t *j = example_json();

	(void)state;
	assert_int_equal(vici_encode(&b, j, NULL), 0);
	assert_int_equal(b.len, sizeof(example));
	assert_memory_equal(b.data, example, sizeof(example));
	vici_buf_free(&b);
	json_decref(j);
}

static void decode_example(void **state)
{
	json_t *got = NULL, *want = example_json();

	(void)state;
	assert_int_equal(vici_decode(example, sizeof(example), &got, NULL), 0);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

/* Integers and booleans go out as VICI's text; binary values survive. */
static void encode_scalars_and_bytes(void **state)
{
	static const uint8_t want[] = {
		3, 1, 'n', 0, 4, '3', '6', '0', '0',
		3, 1, 'b', 0, 3, 'y', 'e', 's',
		3, 1, 'x', 0, 3, 0, 0xff, 'a',
	};
	struct vici_buf b = { 0 };
	json_t *j = json_object(), *back = NULL;

	(void)state;
	json_object_set_new(j, "n", json_integer(3600));
	json_object_set_new(j, "b", json_true());
	json_object_set_new(j, "x", json_stringn_nocheck("\0\xff" "a", 3));
	assert_int_equal(vici_encode(&b, j, NULL), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(vici_decode(b.data, b.len, &back, NULL), 0);
	assert_int_equal(json_string_length(json_object_get(back, "x")), 3);
	assert_memory_equal(json_string_value(json_object_get(back, "x")), "\0\xff" "a", 3);
	vici_buf_free(&b);
	json_decref(j);
	json_decref(back);
}

static void encode_refuses(void **state)
{
	struct vici_buf b = { 0 };
	struct tenet_err err = { 0 };
	char longname[300];
	json_t *j;

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	j = json_pack("{s:s}", longname, "v");
	assert_int_equal(vici_encode(&b, j, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "must be 1..255 bytes"));
	json_decref(j);
	j = json_pack("{s:[{s:s}]}", "l", "k", "v");
	assert_int_equal(vici_encode(&b, j, &err), -EINVAL);
	assert_string_equal(err.msg, "vici: list l may hold values only");
	json_decref(j);
	j = json_pack("{s:f}", "r", 1.5);
	assert_int_equal(vici_encode(&b, j, &err), -EINVAL);
	assert_string_equal(err.msg, "vici: r: not a string, integer or boolean");
	json_decref(j);
	vici_buf_free(&b);
}

/* Every truncation of the example is refused, never read past its end
 * (run under valgrind by make check-unit), and so are unbalanced
 * sections, list items outside lists and unknown element types. */
static void decode_refuses(void **state)
{
	static const uint8_t unbalanced[] = { 2 };
	static const uint8_t open_section[] = { 1, 1, 's' };
	static const uint8_t stray_item[] = { 5, 0, 1, 'x' };
	static const uint8_t unknown[] = { 9 };
	static const uint8_t section_in_list[] = { 4, 1, 'l', 1, 1, 's' };
	struct tenet_err err = { 0 };
	json_t *j = NULL;
	size_t n;

	(void)state;
	for (n = 1; n < sizeof(example); n++) {
		/* A cut exactly after a complete top-level element is a valid
		 * shorter message: byte 14 ends key1 = value1. */
		if (n == 14)
			continue;
		assert_int_equal(vici_decode(example, n, &j, &err), -EBADMSG);
	}
	assert_int_equal(vici_decode(unbalanced, sizeof(unbalanced), &j, &err), -EBADMSG);
	assert_int_equal(vici_decode(open_section, sizeof(open_section), &j, &err), -EBADMSG);
	assert_int_equal(vici_decode(stray_item, sizeof(stray_item), &j, &err), -EBADMSG);
	assert_int_equal(vici_decode(unknown, sizeof(unknown), &j, &err), -EBADMSG);
	assert_int_equal(vici_decode(section_in_list, sizeof(section_in_list), &j, &err),
			 -EBADMSG);
	assert_string_equal(err.msg, "vici: malformed message at byte 4 of 6");
}

static void packet_roundtrip(void **state)
{
	struct vici_buf b = { 0 };
	enum vici_packet t;
	char *name;
	json_t *j = example_json(), *back;

	(void)state;
	assert_int_equal(vici_packet_build(&b, VICI_CMD_REQUEST, "load-conn", j, NULL), 0);
	/* length, type, name length, name, message */
	assert_int_equal(b.len, 4 + 1 + 1 + 9 + sizeof(example));
	assert_int_equal(b.data[3], 1 + 1 + 9 + sizeof(example));
	assert_int_equal(b.data[4], VICI_CMD_REQUEST);
	assert_int_equal(b.data[5], 9);
	assert_memory_equal(b.data + 6, "load-conn", 9);
	assert_int_equal(vici_packet_parse(b.data + 4, b.len - 4, &t, &name, &back, NULL), 0);
	assert_int_equal(t, VICI_CMD_REQUEST);
	assert_string_equal(name, "load-conn");
	assert_true(json_equal(back, j));
	free(name);
	json_decref(back);
	vici_buf_free(&b);
	/* an unnamed, message-less packet is its type alone */
	assert_int_equal(vici_packet_build(&b, VICI_EVENT_CONFIRM, NULL, NULL, NULL), 0);
	assert_int_equal(b.len, 5);
	assert_int_equal(vici_packet_parse(b.data + 4, 1, &t, &name, &back, NULL), 0);
	assert_int_equal(t, VICI_EVENT_CONFIRM);
	assert_null(name);
	assert_null(back);
	vici_buf_free(&b);
	json_decref(j);
}

static void wipe_clears_strings(void **state)
{
	json_t *j = json_pack("{s:{s:s},s:[s]}", "secrets", "data", "hunter2", "l", "hunter3");
	const char *a = json_string_value(json_object_get(json_object_get(j, "secrets"), "data"));
	const char *b = json_string_value(json_array_get(json_object_get(j, "l"), 0));

	(void)state;
	vici_wipe(j);
	assert_memory_equal(a, "\0\0\0\0\0\0\0", 7);
	assert_memory_equal(b, "\0\0\0\0\0\0\0", 7);
	json_decref(j);
}

/* ---- against a real charon ---- */

struct charon {
	char *dir;
	char sock[256];
	pid_t pid;
};

static int charon_start(struct charon *ch)
{
	char conf[512], path[300];
	FILE *f;
	int i;

	ch->dir = tu_mkdtemp();
	if (!ch->dir)
		return -1;
	snprintf(ch->sock, sizeof(ch->sock), "%s/charon.vici", ch->dir);
	snprintf(path, sizeof(path), "%s/strongswan.conf", ch->dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	/* Only the plugins built into Debian's libstrongswan/libcharon: the
	 * test needs vici and a kernel interface, nothing else. */
	fprintf(f, "charon {\n load_modular = no\n install_routes = no\n"
		   " plugins { vici { socket = unix://%s } }\n"
		   " filelog { log { path = %s/charon.log\n default = 1 } }\n}\n",
		ch->sock, ch->dir);
	fclose(f);
	ch->pid = fork();
	if (ch->pid == 0) {
		/* Its own network (IKE ports, no XFRM state of the host) and
		 * its own /run (charon's pid file). */
		if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", "/run", "tmpfs", 0, NULL) < 0)
			_exit(125);
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		snprintf(conf, sizeof(conf), "STRONGSWAN_CONF=%s", path);
		putenv(conf);
		execl("/usr/lib/ipsec/charon", "charon", (char *)NULL);
		_exit(126);
	}
	if (ch->pid < 0)
		return -1;
	for (i = 0; i < 100; i++) {
		struct vici_conn *c;

		if (vici_connect(ch->sock, 1000, &c, NULL) == 0) {
			vici_close(c);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

static void charon_stop(struct charon *ch)
{
	/* SIGTERM, then SIGKILL after 5 s: a charon that does not finish
	 * its shutdown (seen once: the suite sat here for 14 minutes) must
	 * not hang make check. */
	if (ch->pid > 0) {
		int i;

		kill(ch->pid, SIGTERM);
		for (i = 0; i < 100 && waitpid(ch->pid, NULL, WNOHANG) == 0; i++)
			usleep(50000);
		if (i == 100) {
			fprintf(stderr, "# charon did not exit 5 s after SIGTERM: killed\n");
			kill(ch->pid, SIGKILL);
			waitpid(ch->pid, NULL, 0);
		}
	}
	tu_rmtree(ch->dir);
	free(ch->dir);
}

static struct charon ch;

static int charon_setup(void **state)
{
	(void)state;
	return charon_start(&ch);
}

static int charon_teardown(void **state)
{
	(void)state;
	charon_stop(&ch);
	return 0;
}

static struct vici_conn *conn(void)
{
	struct vici_conn *c = NULL;
	struct tenet_err err = { 0 };

	if (vici_connect(ch.sock, 5000, &c, &err))
		fail_msg("%s", err.msg);
	return c;
}

/* A call that must succeed; charon's reason in the failure message. */
#define CALL_OK(c, cmd, req, stream, cb, arg, r, err)                                  \
	do {                                                                           \
		if (vici_call((c), (cmd), (req), (stream), (cb), (arg), (r), (err)))   \
			fail_msg("%s: %s", (cmd), (err)->msg);                         \
	} while (0)

static void charon_version(void **state)
{
	struct vici_conn *c = conn();
	struct tenet_err err = { 0 };
	json_t *r;

	(void)state;
	CALL_OK(c, "version", NULL, NULL, NULL, NULL, &r, &err);
	assert_string_equal(json_string_value(json_object_get(r, "daemon")), "charon");
	assert_non_null(strstr(json_string_value(json_object_get(r, "version")), "5."));
	json_decref(r);
	vici_close(c);
}

static int count_conn(void *arg, const json_t *ev)
{
	(*(int *)arg) += json_object_get(ev, "t-1") != NULL;
	return 0;
}

/* load-conn, then read it back through the streamed list-conns and
 * get-conns; unload it; an unknown command and a refused config are
 * errors with charon's reason. */
static void charon_conn_lifecycle(void **state)
{
	struct vici_conn *c = conn();
	struct tenet_err err = { 0 };
	json_t *req, *r;
	int seen = 0;

	(void)state;
	req = json_pack("{s:{s:[s],s:[s],s:s,s:{s:s},s:{s:s},s:{s:{s:[s],s:[s],s:i,s:i}}}}",
			"t-1", "local_addrs", "192.0.2.1", "remote_addrs", "198.51.100.7",
			"version", "2", "local", "auth", "psk", "remote", "auth", "psk",
			"children", "t-1", "local_ts", "0.0.0.0/0", "remote_ts", "0.0.0.0/0",
			"if_id_in", 7, "if_id_out", 7);
	CALL_OK(c, "load-conn", req, NULL, NULL, NULL, &r, &err);
	json_decref(r);
	CALL_OK(c, "list-conns", NULL, "list-conn", count_conn, &seen, &r, &err);
	json_decref(r);
	assert_int_equal(seen, 1);
	CALL_OK(c, "get-conns", NULL, NULL, NULL, NULL, &r, &err);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "conns"), 0)),
			    "t-1");
	json_decref(r);
	json_decref(req);
	req = json_pack("{s:s}", "name", "t-1");
	CALL_OK(c, "unload-conn", req, NULL, NULL, NULL, &r, &err);
	json_decref(r);
	CALL_OK(c, "get-conns", NULL, NULL, NULL, NULL, &r, &err);
	assert_int_equal(json_array_size(json_object_get(r, "conns")), 0);
	json_decref(r);
	/* unloading it again: charon says why */
	assert_int_equal(vici_call(c, "unload-conn", req, NULL, NULL, NULL, &r, &err),
			 -EREMOTEIO);
	assert_null(r);
	assert_non_null(strstr(err.msg, "vici: unload-conn failed: "));
	json_decref(req);
	assert_int_equal(vici_call(c, "no-such-command", NULL, NULL, NULL, NULL, &r, &err),
			 -EOPNOTSUPP);
	assert_string_equal(err.msg, "vici: charon has no command 'no-such-command'");
	vici_close(c);
}

/* A shared key goes in, is listed by its id only, and none of it is in
 * any error text. */
static void charon_shared_secret(void **state)
{
	struct vici_conn *c = conn();
	struct tenet_err err = { 0 };
	json_t *req, *r;
	char *text;

	(void)state;
	req = json_pack("{s:s,s:s,s:s,s:[s,s]}", "id", "tenet-t-1", "type", "IKE", "data",
			"s3cret-not-in-logs", "owners", "192.0.2.1", "198.51.100.7");
	CALL_OK(c, "load-shared", req, NULL, NULL, NULL, &r, &err);
	vici_wipe(req);
	json_decref(req);
	json_decref(r);
	CALL_OK(c, "get-shared", NULL, NULL, NULL, NULL, &r, &err);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "keys"), 0)),
			    "tenet-t-1");
	text = json_dumps(r, 0);
	assert_null(strstr(text, "s3cret"));
	free(text);
	json_decref(r);
	vici_close(c);
}

/* Two connections: events on one, commands on the other (see vici.h). */
static void charon_events(void **state)
{
	struct vici_conn *ev = conn(), *c = conn();
	struct tenet_err err = { 0 };
	char *name = NULL;
	json_t *r, *msg = NULL;

	(void)state;
	assert_int_equal(vici_subscribe(ev, "log", &err), 0);
	/* reload-settings logs a line on charon's side */
	CALL_OK(c, "reload-settings", NULL, NULL, NULL, NULL, &r, &err);
	json_decref(r);
	assert_int_equal(vici_next_event(ev, &name, &msg, &err), 0);
	assert_string_equal(name, "log");
	assert_non_null(json_object_get(msg, "msg"));
	free(name);
	json_decref(msg);
	assert_int_equal(vici_subscribe(ev, "no-such-event", &err), -EOPNOTSUPP);
	vici_close(ev);
	vici_close(c);
}

int main(void)
{
	const struct CMUnitTest codec[] = {
		cmocka_unit_test(encode_example),
		cmocka_unit_test(decode_example),
		cmocka_unit_test(encode_scalars_and_bytes),
		cmocka_unit_test(encode_refuses),
		cmocka_unit_test(decode_refuses),
		cmocka_unit_test(packet_roundtrip),
		cmocka_unit_test(wipe_clears_strings),
	};
	const struct CMUnitTest charon[] = {
		cmocka_unit_test(charon_version),
		cmocka_unit_test(charon_conn_lifecycle),
		cmocka_unit_test(charon_shared_secret),
		cmocka_unit_test(charon_events),
	};
	int fails;

	fails = cmocka_run_group_tests_name("vici codec", codec, NULL, NULL);
	fails += cmocka_run_group_tests_name("vici with charon", charon, charon_setup,
					     charon_teardown);
	return fails ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Sealed secrets (lib/secret): host key files, seal/open round trips,
 * wrong keys, tampering, context binding, rotation, and that no error
 * line ever carries a secret or a key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sodium.h>

#include "secret/secret.h"
#include "testutil.h"

#define SECRET "S3cr3t-PSK-do-not-print-7c1f"
#define CTX "/tenet/v1/host/gw1/ipsec/hq#psk"

struct fx {
	char *dir;
	char *path;                     /* the host key file */
	struct tenet_hostkey *k;
};

static int setup(void **state)
{
	struct tenet_err err = { 0 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	assert_non_null(f->dir);
	assert_true(asprintf(&f->path, "%s/hostkey", f->dir) > 0);
	assert_int_equal(tenet_hostkey_load(f->path, TENET_HOSTKEY_CREATE, &f->k, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tenet_hostkey_free(f->k);
	tu_rmtree(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	return 0;
}

static char *seal(const char *pub, const char *ctx, const char *secret)
{
	struct tenet_err err = { 0 };
	char *sealed = NULL;

	assert_int_equal(tenet_secret_seal(pub, ctx, secret, strlen(secret), &sealed, &err), 0);
	assert_non_null(sealed);
	return sealed;
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_secret *s;
	char id[TENET_KEY_ID_LEN + 1];
	char *a = seal(tenet_hostkey_public(f->k), CTX, SECRET);
	char *b = seal(tenet_hostkey_public(f->k), CTX, SECRET);

	/* Text, naming the key it is sealed to; never the secret in clear. */
	assert_int_equal(strncmp(a, TENET_SEALED_PREFIX, strlen(TENET_SEALED_PREFIX)), 0);
	assert_int_equal(tenet_sealed_parse(a, id, &err), 0);
	assert_string_equal(id, tenet_hostkey_id(f->k));
	assert_null(strstr(a, SECRET));
	/* Each seal uses a fresh ephemeral key: equal secrets do not look
	 * equal in the store. */
	assert_string_not_equal(a, b);

	assert_int_equal(tenet_secret_open(&f->k, 1, CTX, a, &s, &err), 0);
	assert_int_equal(s->len, strlen(SECRET));
	assert_memory_equal(s->data, SECRET, s->len);
	assert_int_equal(s->data[s->len], '\0');
	tenet_secret_free(s);

	/* Binary secrets too. */
	{
		unsigned char bin[64];
		char *c = NULL;

		randombytes_buf(bin, sizeof(bin));
		bin[3] = 0;
		assert_int_equal(tenet_secret_seal(tenet_hostkey_public(f->k), CTX, bin, sizeof(bin),
						   &c, &err), 0);
		assert_int_equal(tenet_secret_open(&f->k, 1, CTX, c, &s, &err), 0);
		assert_int_equal(s->len, sizeof(bin));
		assert_memory_equal(s->data, bin, sizeof(bin));
		tenet_secret_free(s);
		free(c);
	}
	free(a);
	free(b);
}

static void test_key_file(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_hostkey *k;
	char id[TENET_KEY_ID_LEN + 1];
	struct stat st;

	/* Created 0600, whatever the umask. */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(strlen(tenet_hostkey_public(f->k)), 44);
	assert_int_equal(strlen(tenet_hostkey_id(f->k)), TENET_KEY_ID_LEN);
	assert_int_equal(tenet_pubkey_id(tenet_hostkey_public(f->k), id, &err), 0);
	assert_string_equal(id, tenet_hostkey_id(f->k));

	/* Loading again, with or without CREATE, is the same key. */
	assert_int_equal(tenet_hostkey_load(f->path, 0, &k, &err), 0);
	assert_string_equal(tenet_hostkey_public(k), tenet_hostkey_public(f->k));
	tenet_hostkey_free(k);
	assert_int_equal(tenet_hostkey_load(f->path, TENET_HOSTKEY_CREATE, &k, &err), 0);
	assert_string_equal(tenet_hostkey_public(k), tenet_hostkey_public(f->k));
	tenet_hostkey_free(k);
	/* Read-only for the owner is fine too. */
	assert_int_equal(chmod(f->path, 0400), 0);
	assert_int_equal(tenet_hostkey_load(f->path, 0, &k, &err), 0);
	tenet_hostkey_free(k);
}

static void test_key_file_refused(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_hostkey *k = (void *)1;
	char *p, *link;
	FILE *fp;

	/* Readable by group or others: refused, not fixed. */
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(tenet_hostkey_load(f->path, 0, &k, &err), -EACCES);
	assert_null(k);
	assert_non_null(strstr(err.msg, "hostkey: mode 0644, must give no access to group or others (0600)"));
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(tenet_hostkey_load(f->path, TENET_HOSTKEY_CREATE, &k, &err), -EACCES);
	assert_int_equal(chmod(f->path, 0600), 0);

	/* Through a symlink: refused (someone could point it anywhere). */
	assert_true(asprintf(&link, "%s/link", f->dir) > 0);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(tenet_hostkey_load(link, 0, &k, &err), -ELOOP);
	free(link);

	/* Missing without CREATE; not a key file; a directory. */
	assert_true(asprintf(&p, "%s/none", f->dir) > 0);
	assert_int_equal(tenet_hostkey_load(p, 0, &k, &err), -ENOENT);
	assert_int_equal(access(p, F_OK), -1);
	fp = fopen(p, "w");
	fprintf(fp, "tenet-hostkey-v1 not-base64-at-all-but-looks-secret\n");
	fclose(fp);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(tenet_hostkey_load(p, 0, &k, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "none: not a tenet host key"));
	assert_null(strstr(err.msg, "looks-secret"));
	assert_int_equal(tenet_hostkey_load(f->dir, 0, &k, &err), -EINVAL);
	free(p);
	assert_int_equal(tenet_hostkey_load(f->path, 0x10, &k, &err), -EINVAL);
}

/* Two agents creating the key at once end up with one key. */
static void test_key_create_race(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_hostkey *k;
	char *p, *pubs[2];
	int fds[2][2], i, status;
	pid_t pids[2];

	assert_true(asprintf(&p, "%s/racekey", f->dir) > 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			if (tenet_hostkey_load(p, TENET_HOSTKEY_CREATE, &k, NULL) < 0)
				_exit(1);
			if (write(fds[i][1], tenet_hostkey_public(k), 44) != 44)
				_exit(2);
			_exit(0);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < 2; i++) {
		pubs[i] = calloc(1, 45);
		assert_int_equal(read(fds[i][0], pubs[i], 44), 44);
		close(fds[i][0]);
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_string_equal(pubs[0], pubs[1]);
	assert_int_equal(tenet_hostkey_load(p, 0, &k, &err), 0);
	assert_string_equal(tenet_hostkey_public(k), pubs[0]);
	tenet_hostkey_free(k);
	free(pubs[0]);
	free(pubs[1]);
	free(p);
}

/* Replaces character i of the base64 part with another valid one. */
static char *tamper(const char *sealed, size_t from_end)
{
	char *t = strdup(sealed);
	size_t i = strlen(t) - from_end;

	t[i] = t[i] == 'A' ? 'B' : 'A';
	return t;
}

static void test_wrong_key_and_tampering(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_hostkey *other;
	struct tenet_secret *s = (void *)1;
	char *p, *sealed, *t, *forged;
	size_t pre = strlen(TENET_SEALED_PREFIX);

	assert_true(asprintf(&p, "%s/otherkey", f->dir) > 0);
	assert_int_equal(tenet_hostkey_load(p, TENET_HOSTKEY_CREATE, &other, &err), 0);
	sealed = seal(tenet_hostkey_public(f->k), CTX, SECRET);

	/* Another host's key: the key id says so before any decryption. */
	assert_int_equal(tenet_secret_open(&other, 1, CTX, sealed, &s, &err), -ENOKEY);
	assert_null(s);
	assert_non_null(strstr(err.msg, tenet_hostkey_id(f->k)));
	/* A forged key id: the box still does not open. */
	forged = strdup(sealed);
	memcpy(forged + pre, tenet_hostkey_id(other), TENET_KEY_ID_LEN);
	assert_int_equal(tenet_secret_open(&other, 1, CTX, forged, &s, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "does not open"));
	free(forged);

	/* One changed character anywhere in the box: refused. */
	for (size_t back = 3; back < strlen(sealed) - pre - TENET_KEY_ID_LEN - 2; back += 7) {
		t = tamper(sealed, back);
		if (strcmp(t, sealed)) {
			int ret = tenet_secret_open(&f->k, 1, CTX, t, &s, &err);

			assert_true(ret == -EBADMSG);
			assert_null(s);
		}
		free(t);
	}
	/* Truncated, not base64, not sealed at all. */
	t = strndup(sealed, strlen(sealed) - 8);
	assert_int_equal(tenet_secret_open(&f->k, 1, CTX, t, &s, &err), -EBADMSG);
	free(t);
	assert_int_equal(tenet_secret_open(&f->k, 1, CTX, "sealed:v1:0123456789abcdef:!!!!", &s,
					   &err), -EBADMSG);
	assert_int_equal(tenet_secret_open(&f->k, 1, CTX, SECRET, &s, &err), -EBADMSG);
	assert_int_equal(tenet_sealed_parse(SECRET, NULL, &err), -EINVAL);
	assert_int_equal(tenet_sealed_parse("sealed:v1:0123:abcd", NULL, &err), -EINVAL);

	/* Bound to its place: copied into another field, it does not open. */
	assert_int_equal(tenet_secret_open(&f->k, 1, "/tenet/v1/host/gw1/ipsec/evil#psk", sealed,
					   &s, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "sealed for another place"));
	assert_int_equal(tenet_secret_open(&f->k, 1, CTX "x", sealed, &s, &err), -EBADMSG);

	/* Sealing: only to a real public key, only a real secret. */
	assert_int_equal(tenet_secret_seal("bm90IGEga2V5", CTX, SECRET, strlen(SECRET), &t, &err),
			 -EINVAL);
	assert_null(t);
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(f->k), CTX, SECRET, 0, &t, &err),
			 -EINVAL);
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(f->k), "", SECRET, strlen(SECRET),
					   &t, &err), -EINVAL);
	assert_int_equal(tenet_secret_seal(tenet_hostkey_public(f->k), CTX, SECRET,
					   TENET_SECRET_MAX + 1, &t, &err), -EINVAL);
	tenet_hostkey_free(other);
	free(sealed);
	free(p);
}

/* Rotation: a new key pair; values sealed to the old key still open while
 * the old key is kept, and are resealed to the new one. */
static void test_rotation(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_hostkey *old = f->k, *new, *ring[2];
	struct tenet_secret *s;
	char *sealed, *resealed, id[TENET_KEY_ID_LEN + 1];
	struct stat st;

	sealed = seal(tenet_hostkey_public(old), CTX, SECRET);
	assert_int_equal(tenet_hostkey_generate(f->path, &new, &err), 0);
	assert_string_not_equal(tenet_hostkey_id(new), tenet_hostkey_id(old));
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	ring[0] = new;
	ring[1] = old;
	assert_int_equal(tenet_secret_open(ring, 2, CTX, sealed, &s, &err), 0);
	tenet_secret_free(s);
	assert_int_equal(tenet_secret_open(&new, 1, CTX, sealed, &s, &err), -ENOKEY);

	assert_int_equal(tenet_secret_reseal(ring, 2, CTX, sealed, tenet_hostkey_public(new),
					     &resealed, &err), 0);
	assert_int_equal(tenet_sealed_parse(resealed, id, &err), 0);
	assert_string_equal(id, tenet_hostkey_id(new));
	assert_int_equal(tenet_secret_open(&new, 1, CTX, resealed, &s, &err), 0);
	assert_memory_equal(s->data, SECRET, s->len);
	tenet_secret_free(s);
	assert_int_equal(tenet_secret_open(&old, 1, CTX, resealed, &s, &err), -ENOKEY);
	/* The file now holds the new key. */
	tenet_hostkey_free(old);
	assert_int_equal(tenet_hostkey_load(f->path, 0, &f->k, &err), 0);
	assert_string_equal(tenet_hostkey_id(f->k), tenet_hostkey_id(new));
	tenet_hostkey_free(new);
	free(sealed);
	free(resealed);
}

/* No error line carries the secret, a piece of it, or its hex or base64
 * form; nor the host's secret key. Every failure path is walked with a
 * known secret. */
static void expect_clean(const struct tenet_err *err, const char *secret, const char *keyfile)
{
	char hex[2 * sizeof(SECRET) + 1], b64[sodium_base64_ENCODED_LEN(sizeof(SECRET),
						sodium_base64_VARIANT_ORIGINAL)];
	size_t i, n = strlen(secret);

	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
	for (i = 0; i + 6 <= n; i++) {
		char piece[7];

		memcpy(piece, secret + i, 6);
		piece[6] = '\0';
		assert_null(strstr(err->msg, piece));
	}
	sodium_bin2hex(hex, sizeof(hex), (const unsigned char *)secret, n);
	assert_null(strstr(err->msg, hex));
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)secret, n,
			  sodium_base64_VARIANT_ORIGINAL);
	b64[12] = '\0';
	assert_null(strstr(err->msg, b64));
	if (keyfile)
		assert_null(strstr(err->msg, keyfile));
}

static void test_no_secret_in_errors(void **state)
{
	struct fx *f = *state;
	struct tenet_err err = { 0 };
	struct tenet_hostkey *other;
	struct tenet_secret *s;
	char *p, *sealed, *t, keytext[128] = "";
	FILE *fp;

	/* The key file's base64, to look for in messages. */
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(keytext, sizeof(keytext), fp));
	fclose(fp);
	keytext[strcspn(keytext, "\n")] = '\0';
	memmove(keytext, keytext + strlen("tenet-hostkey-v1 "), 45);
	keytext[16] = '\0';

	assert_true(asprintf(&p, "%s/otherkey", f->dir) > 0);
	assert_int_equal(tenet_hostkey_load(p, TENET_HOSTKEY_CREATE, &other, &err), 0);
	sealed = seal(tenet_hostkey_public(f->k), CTX, SECRET);

	assert_true(tenet_secret_open(&other, 1, CTX, sealed, &s, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	t = tamper(sealed, 10);
	assert_true(tenet_secret_open(&f->k, 1, CTX, t, &s, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	free(t);
	assert_true(tenet_secret_open(&f->k, 1, "/elsewhere#psk", sealed, &s, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	/* A secret pasted where sealed text belongs is not echoed. */
	assert_true(tenet_secret_open(&f->k, 1, CTX, SECRET, &s, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	assert_true(tenet_sealed_parse(SECRET, NULL, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	assert_true(tenet_secret_seal("not-a-key", CTX, SECRET, strlen(SECRET), &t, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	assert_true(tenet_secret_seal(tenet_hostkey_public(f->k), "", SECRET, strlen(SECRET), &t,
				      &err) < 0);
	expect_clean(&err, SECRET, keytext);
	assert_true(tenet_secret_reseal(&other, 1, CTX, sealed, tenet_hostkey_public(other), &t,
					&err) < 0);
	expect_clean(&err, SECRET, keytext);
	assert_true(tenet_secret_reseal(&f->k, 1, CTX, sealed, "bad", &t, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	/* Key file errors name the file, never its content. */
	assert_int_equal(chmod(f->path, 0644), 0);
	tenet_hostkey_free(other);
	assert_true(tenet_hostkey_load(f->path, 0, &other, &err) < 0);
	expect_clean(&err, SECRET, keytext);
	free(sealed);
	free(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_key_file),
		T(test_key_file_refused),
		T(test_key_create_race),
		T(test_wrong_key_and_tampering),
		T(test_rotation),
		T(test_no_secret_in_errors),
	};

	/* Key files are created 0600 whatever the umask: prove it. */
	umask(0);
	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}

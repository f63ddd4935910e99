// SPDX-License-Identifier: GPL-2.0
/* Host keys and sealed secrets (libsodium); the design is in secret.h and
 * docs/store.md. Anything that holds a secret in clear (the host's secret
 * key, a key file's text, an opened secret, the message being sealed) is
 * in sodium_malloc'd memory and freed with sodium_free, which zeroes it;
 * nothing secret is read through stdio (its buffers are plain heap). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secret/secret.h"

#define KEYFILE_MAGIC "tenet-hostkey-v1 "
#define KEYFILE_MAX 128                 /* bytes; a key file is 62 */
#define PK_LEN crypto_box_PUBLICKEYBYTES
#define SK_LEN crypto_box_SECRETKEYBYTES
#define B64 sodium_base64_VARIANT_ORIGINAL
#define PK_B64_LEN sodium_base64_ENCODED_LEN(PK_LEN, B64)   /* with the NUL */

struct tenet_hostkey {
	unsigned char *sk;              /* sodium_malloc'd, read-only */
	unsigned char pk[PK_LEN];
	char pub[PK_B64_LEN];
	char id[TENET_KEY_ID_LEN + 1];
};

static int init(struct tenet_err *err)
{
	if (sodium_init() < 0)
		return tenet_err_set(err, -EIO, "libsodium: cannot initialise");
	return 0;
}

/* The first 8 bytes of BLAKE2b(pk), in hex: names a public key. */
static void key_id(const unsigned char *pk, char *id)
{
	unsigned char h[crypto_generichash_BYTES_MIN];

	crypto_generichash(h, sizeof(h), pk, PK_LEN, NULL, 0);
	sodium_bin2hex(id, TENET_KEY_ID_LEN + 1, h, TENET_KEY_ID_LEN / 2);
}

static int decode_pubkey(const char *text, unsigned char *pk, struct tenet_err *err)
{
	size_t n = 0;

	if (!text || sodium_base642bin(pk, PK_LEN, text, strlen(text), NULL, &n, NULL, B64) < 0 ||
	    n != PK_LEN)
		return tenet_err_set(err, -EINVAL, "public key: not a base64 X25519 public key");
	return 0;
}

/* Completes k from its secret half. */
static void derive(struct tenet_hostkey *k)
{
	crypto_scalarmult_base(k->pk, k->sk);
	sodium_bin2base64(k->pub, sizeof(k->pub), k->pk, PK_LEN, B64);
	key_id(k->pk, k->id);
	sodium_mprotect_readonly(k->sk);
}

static struct tenet_hostkey *hostkey_new(void)
{
	struct tenet_hostkey *k = calloc(1, sizeof(*k));

	if (k && !(k->sk = sodium_malloc(SK_LEN))) {
		free(k);
		k = NULL;
	}
	return k;
}

void tenet_hostkey_free(struct tenet_hostkey *k)
{
	if (!k)
		return;
	sodium_free(k->sk);
	free(k);
}

const char *tenet_hostkey_public(const struct tenet_hostkey *k)
{
	return k->pub;
}

const char *tenet_hostkey_id(const struct tenet_hostkey *k)
{
	return k->id;
}

int tenet_pubkey_id(const char *pubkey, char *id, struct tenet_err *err)
{
	unsigned char pk[PK_LEN];
	int ret = init(err);

	if (ret == 0)
		ret = decode_pubkey(pubkey, pk, err);
	if (ret == 0)
		key_id(pk, id);
	return ret;
}

/* ---- key files ---- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, ret = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

/* Writes a new key pair to path: a 0600 temporary file next to it,
 * synced, then moved into place. replace: rename over what is there
 * (rotation); otherwise link, so that of two agents creating the key at
 * once, one wins and the other loads the winner's key (-EEXIST). */
static int write_keyfile(const char *path, bool replace, struct tenet_hostkey **out,
			 struct tenet_err *err)
{
	struct tenet_hostkey *k = hostkey_new();
	char *tmp = NULL, *text = NULL;
	size_t len;
	int fd = -1, ret;

	*out = NULL;
	text = sodium_malloc(KEYFILE_MAX);
	if (!k || !text || asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	crypto_box_keypair(k->pk, k->sk);
	strcpy(text, KEYFILE_MAGIC);
	len = strlen(text);
	sodium_bin2base64(text + len, KEYFILE_MAX - len - 1, k->sk, SK_LEN, B64);
	strcat(text, "\n");
	/* mkostemp creates the file 0600 whatever the umask says. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = tenet_err_set(err, -errno, "host key %s: cannot create: %s", path,
				    strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	ret = fchmod(fd, 0600) < 0 ? -errno : write_all(fd, text, strlen(text));
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (ret < 0) {
		tenet_err_set(err, ret, "host key %s: cannot write: %s", path, strerror(-ret));
		goto out;
	}
	if (replace ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		ret = -errno;
		if (ret != -EEXIST)
			tenet_err_set(err, ret, "host key %s: cannot create: %s", path,
				      strerror(-ret));
		goto out;
	}
	ret = sync_dir(path);
	if (ret < 0) {
		tenet_err_set(err, ret, "host key %s: cannot sync its directory: %s", path,
			      strerror(-ret));
		goto out;
	}
	derive(k);
	*out = k;
	k = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		/* After rename the name is gone already; after link it stays. */
		unlink(tmp);
		free(tmp);
	}
	sodium_free(text);
	tenet_hostkey_free(k);
	return ret;
}

/* Reads and checks an existing key file. */
static int read_keyfile(const char *path, struct tenet_hostkey **out, struct tenet_err *err)
{
	struct tenet_hostkey *k = NULL;
	const char *b64, *end = NULL;
	char *text = NULL;
	size_t have = 0, n = 0;
	struct stat st;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return tenet_err_set(err, -errno, "host key %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = tenet_err_set(err, -errno, "host key %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = tenet_err_set(err, -EINVAL, "host key %s: not a regular file", path);
		goto out;
	}
	/* Refused rather than fixed: a key others could read may be known
	 * to them already; the operator decides what to do about that. */
	if (st.st_uid != geteuid()) {
		ret = tenet_err_set(err, -EACCES, "host key %s: owned by uid %u, not by uid %u",
				    path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		goto out;
	}
	if (st.st_mode & 077) {
		ret = tenet_err_set(err, -EACCES,
				    "host key %s: mode %04o, must give no access to group or "
				    "others (0600)", path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	text = sodium_malloc(KEYFILE_MAX);
	k = hostkey_new();
	if (!text || !k) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, text + have, KEYFILE_MAX - 1 - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = tenet_err_set(err, -errno, "host key %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0 || (have += (size_t)r) == KEYFILE_MAX - 1)
			break;
	}
	text[have] = '\0';
	/* The file's content never goes into a message. */
	ret = tenet_err_set(err, -EBADMSG, "host key %s: not a tenet host key", path);
	if (strncmp(text, KEYFILE_MAGIC, strlen(KEYFILE_MAGIC)))
		goto out;
	b64 = text + strlen(KEYFILE_MAGIC);
	if (sodium_base642bin(k->sk, SK_LEN, b64, strlen(b64), "\n", &n, &end, B64) < 0 ||
	    n != SK_LEN || *end)
		goto out;
	tenet_err_clear(err);
	ret = 0;
	derive(k);
	*out = k;
	k = NULL;
out:
	close(fd);
	sodium_free(text);
	tenet_hostkey_free(k);
	return ret;
}

int tenet_hostkey_load(const char *path, unsigned int flags, struct tenet_hostkey **out,
		       struct tenet_err *err)
{
	int ret;

	*out = NULL;
	ret = init(err);
	if (ret < 0)
		return ret;
	if (flags & ~TENET_HOSTKEY_CREATE)
		return tenet_err_set(err, -EINVAL, "host key: unknown flags 0x%x", flags);
	if ((flags & TENET_HOSTKEY_CREATE) && access(path, F_OK) < 0 && errno == ENOENT) {
		ret = write_keyfile(path, false, out, err);
		if (ret != -EEXIST)
			return ret;
	}
	return read_keyfile(path, out, err);
}

int tenet_hostkey_generate(const char *path, struct tenet_hostkey **out, struct tenet_err *err)
{
	int ret = init(err);

	*out = NULL;
	return ret < 0 ? ret : write_keyfile(path, true, out, err);
}

/* ---- sealing ---- */

#define CTX_HDR 2                       /* context length, big-endian */

int tenet_secret_seal(const char *pubkey, const char *context, const void *secret,
		      size_t len, char **sealed, struct tenet_err *err)
{
	unsigned char pk[PK_LEN], *msg = NULL, *box = NULL;
	size_t clen = context ? strlen(context) : 0, mlen, blen, tlen;
	char id[TENET_KEY_ID_LEN + 1];
	int ret;

	*sealed = NULL;
	ret = init(err);
	if (ret == 0)
		ret = decode_pubkey(pubkey, pk, err);
	if (ret < 0)
		return ret;
	if (!len || !secret)
		return tenet_err_set(err, -EINVAL, "secret: empty");
	if (len > TENET_SECRET_MAX)
		return tenet_err_set(err, -EINVAL, "secret: longer than %d bytes",
				     TENET_SECRET_MAX);
	if (!clen || clen > TENET_CONTEXT_MAX)
		return tenet_err_set(err, -EINVAL, "secret: context must be 1..%d bytes",
				     TENET_CONTEXT_MAX);
	key_id(pk, id);
	mlen = CTX_HDR + clen + len;
	blen = crypto_box_SEALBYTES + mlen;
	msg = sodium_malloc(mlen);
	box = malloc(blen);
	if (!msg || !box) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	msg[0] = (unsigned char)(clen >> 8);
	msg[1] = (unsigned char)clen;
	memcpy(msg + CTX_HDR, context, clen);
	memcpy(msg + CTX_HDR + clen, secret, len);
	if (crypto_box_seal(box, msg, mlen, pk) != 0) {
		ret = tenet_err_set(err, -EINVAL, "public key: cannot seal to it");
		goto out;
	}
	tlen = strlen(TENET_SEALED_PREFIX) + TENET_KEY_ID_LEN + 1 +
	       sodium_base64_ENCODED_LEN(blen, B64);
	*sealed = malloc(tlen);
	if (!*sealed) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(*sealed, tlen, "%s%s:", TENET_SEALED_PREFIX, id);
	sodium_bin2base64(*sealed + strlen(*sealed), tlen - strlen(*sealed), box, blen, B64);
out:
	sodium_free(msg);
	free(box);
	return ret;
}

/* Splits sealed text into the key id and the box (malloc'd, not secret).
 * code: what a malformed text is (-EINVAL from a writer's check, -EBADMSG
 * for a stored value). */
static int split_sealed(const char *text, char *id, unsigned char **box, size_t *blen,
			int code, struct tenet_err *err)
{
	size_t plen = strlen(TENET_SEALED_PREFIX), max, i;
	const char *b64;

	*box = NULL;
	if (!text || strncmp(text, TENET_SEALED_PREFIX, plen))
		return tenet_err_set(err, code, "sealed value: not sealed text (%s...)",
				     TENET_SEALED_PREFIX);
	for (i = 0; i < TENET_KEY_ID_LEN; i++) {
		char c = text[plen + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			break;
	}
	if (i < TENET_KEY_ID_LEN || text[plen + i] != ':')
		return tenet_err_set(err, code, "sealed value: no key id");
	if (id) {
		memcpy(id, text + plen, TENET_KEY_ID_LEN);
		id[TENET_KEY_ID_LEN] = '\0';
	}
	b64 = text + plen + TENET_KEY_ID_LEN + 1;
	max = strlen(b64) / 4 * 3 + 3;
	*box = malloc(max);
	if (!*box)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	if (sodium_base642bin(*box, max, b64, strlen(b64), NULL, blen, NULL, B64) < 0 ||
	    *blen < crypto_box_SEALBYTES + CTX_HDR + 2) {
		free(*box);
		*box = NULL;
		return tenet_err_set(err, code, "sealed value: not sealed text (bad base64)");
	}
	return 0;
}

int tenet_sealed_parse(const char *text, char *id, struct tenet_err *err)
{
	unsigned char *box;
	size_t blen;
	int ret = split_sealed(text, id, &box, &blen, -EINVAL, err);

	free(box);
	return ret;
}

int tenet_secret_open(struct tenet_hostkey *const *keys, size_t n, const char *context,
		      const char *sealed, struct tenet_secret **out, struct tenet_err *err)
{
	char id[TENET_KEY_ID_LEN + 1];
	const struct tenet_hostkey *k = NULL;
	unsigned char *box = NULL, *msg = NULL;
	struct tenet_secret *s = NULL;
	size_t blen = 0, mlen, clen, i;
	int ret;

	*out = NULL;
	ret = init(err);
	if (ret < 0)
		return ret;
	/* Stored text that is not sealed is a corrupt value. */
	ret = split_sealed(sealed, id, &box, &blen, -EBADMSG, err);
	if (ret < 0)
		goto out;
	for (i = 0; i < n && !k; i++)
		if (keys[i] && !strcmp(keys[i]->id, id))
			k = keys[i];
	if (!k) {
		ret = n == 1 && keys[0] ?
			tenet_err_set(err, -ENOKEY, "sealed value: sealed to key %s, not to this "
				      "host's key %s", id, keys[0]->id) :
			tenet_err_set(err, -ENOKEY, "sealed value: sealed to key %s, not to a key "
				      "of this host", id);
		goto out;
	}
	mlen = blen - crypto_box_SEALBYTES;
	msg = sodium_malloc(mlen);
	if (!msg) {
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (crypto_box_seal_open(msg, box, blen, k->pk, k->sk) != 0) {
		ret = tenet_err_set(err, -EBADMSG, "sealed value: does not open with key %s "
				    "(tampered with?)", k->id);
		goto out;
	}
	clen = (size_t)msg[0] << 8 | msg[1];
	if (!context || CTX_HDR + clen >= mlen || clen != strlen(context) ||
	    memcmp(msg + CTX_HDR, context, clen)) {
		ret = tenet_err_set(err, -EBADMSG, "sealed value: sealed for another place, "
				    "not for %s", context ? context : "(none)");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s) {
		s->len = mlen - CTX_HDR - clen;
		s->data = sodium_malloc(s->len + 1);
	}
	if (!s || !s->data) {
		free(s);
		s = NULL;
		ret = tenet_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(s->data, msg + CTX_HDR + clen, s->len);
	s->data[s->len] = '\0';
	*out = s;
out:
	sodium_free(msg);
	free(box);
	return ret;
}

int tenet_secret_reseal(struct tenet_hostkey *const *keys, size_t n, const char *context,
			const char *sealed, const char *pubkey, char **resealed,
			struct tenet_err *err)
{
	struct tenet_secret *s;
	int ret;

	*resealed = NULL;
	ret = tenet_secret_open(keys, n, context, sealed, &s, err);
	if (ret < 0)
		return ret;
	ret = tenet_secret_seal(pubkey, context, s->data, s->len, resealed, err);
	tenet_secret_free(s);
	return ret;
}

void tenet_secret_free(struct tenet_secret *s)
{
	if (!s)
		return;
	sodium_free(s->data);
	free(s);
}

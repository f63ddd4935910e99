/* SPDX-License-Identifier: GPL-2.0 */
/* Secrets (IPsec pre-shared keys, RADIUS shared secrets ...) never sit in
 * the store in clear. Each host's tenetd has a key pair (X25519, libsodium
 * crypto_box) in a file only root can read; its public half is published
 * in the store. The CLI seals a secret to the public key of the host that
 * needs it (crypto_box_seal: anonymous sender, only the holder of the
 * secret key opens it) and stores the sealed text; that host's agent
 * opens it when it configures the kernel or a daemon. See docs/store.md,
 * "Secrets".
 *
 * Sealed text: "sealed:v1:<key id>:<base64>", where the key id (16 hex
 * digits) names the public key it was sealed to, and the base64 is the
 * crypto_box_seal of "<context length, 2 bytes big-endian><context>
 * <secret>". The context is where the secret belongs (the record key and
 * field name, e.g. "/tenet/v1/host/gw1/s2s/IfWe1#secret"): a sealed value
 * copied into another record or field does not open there.
 *
 * Clear secrets live only in sodium_malloc'd memory (guard pages, locked,
 * zeroed when freed); no function here puts a secret, or any part of one,
 * in an error line. */
#ifndef TENET_SECRET_H
#define TENET_SECRET_H

#include <stddef.h>

#include "util/errmsg.h"

#define TENET_SEALED_PREFIX "sealed:v1:"
#define TENET_KEY_ID_LEN 16             /* hex digits */
#define TENET_SECRET_MAX 4096           /* bytes of one secret */
#define TENET_CONTEXT_MAX 1024          /* bytes of a context */

/* A host key pair; the secret half is in sodium_malloc'd memory. */
struct tenet_hostkey;

/* A secret in clear: data is sodium_malloc'd, len bytes plus a NUL (so a
 * text secret can be handed on as a string). Free with tenet_secret_free,
 * which zeroes it. */
struct tenet_secret {
	unsigned char *data;
	size_t len;
};

#define TENET_HOSTKEY_CREATE 0x1u

/* Loads the host key from path: a regular file owned by this user with
 * no access for group or others (0600 or 0400), else -EACCES. With
 * TENET_HOSTKEY_CREATE a missing file is created with a new key pair
 * (0600, written to a temporary file, synced, then linked into place, so
 * two agents starting together end up with one key); without it a
 * missing file is -ENOENT. A file that is not a host key is -EBADMSG. */
int tenet_hostkey_load(const char *path, unsigned int flags, struct tenet_hostkey **out,
		       struct tenet_err *err);
/* A new key pair written to path, replacing the key there (rotation: the
 * caller keeps the old key loaded until every value sealed to it has been
 * resealed; see tenet_secret_reseal). */
int tenet_hostkey_generate(const char *path, struct tenet_hostkey **out, struct tenet_err *err);
void tenet_hostkey_free(struct tenet_hostkey *k);
/* The public key as base64 text (44 characters), for the store. */
const char *tenet_hostkey_public(const struct tenet_hostkey *k);
/* The key id: 16 hex digits naming the public key. */
const char *tenet_hostkey_id(const struct tenet_hostkey *k);

/* The key id of a public key given as base64 text. -EINVAL if it is not
 * one. id must hold TENET_KEY_ID_LEN + 1 bytes. */
int tenet_pubkey_id(const char *pubkey, char *id, struct tenet_err *err);

/* Seals len bytes of secret for the host whose public key (base64) is
 * pubkey, bound to context. *sealed: malloc'd text (not secret). */
int tenet_secret_seal(const char *pubkey, const char *context, const void *secret,
		      size_t len, char **sealed, struct tenet_err *err);
/* Checks that text is sealed text and names the key it is sealed to (id
 * may be NULL); nothing is decrypted. For validating a record's field
 * before it is stored: -EINVAL if it is not sealed text. */
int tenet_sealed_parse(const char *text, char *id, struct tenet_err *err);
/* Opens sealed text with whichever of keys[0..n) it was sealed to, and
 * checks its context. -ENOKEY: sealed to a key not given (an old host key,
 * or another host's); -EBADMSG: not sealed text, tampered with, or sealed
 * for another context. */
int tenet_secret_open(struct tenet_hostkey *const *keys, size_t n, const char *context,
		      const char *sealed, struct tenet_secret **out, struct tenet_err *err);
/* Rotation: opens sealed (as tenet_secret_open) and seals the secret again
 * for pubkey, without the clear secret leaving sodium_malloc'd memory. */
int tenet_secret_reseal(struct tenet_hostkey *const *keys, size_t n, const char *context,
			const char *sealed, const char *pubkey, char **resealed,
			struct tenet_err *err);
void tenet_secret_free(struct tenet_secret *s);

#endif

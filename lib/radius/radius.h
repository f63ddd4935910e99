/* SPDX-License-Identifier: GPL-2.0 */
/* RADIUS packets as a relay between charon and the operator's servers
 * sees them (RFC 2865, 3579, 2548): checked, verified with one shared
 * secret, and signed again with another — charon's per-boot secret on
 * one side, the operator's on the other — with the one edit tenant
 * selection needs (a Class added, or an Accept turned into a Reject).
 * Attributes stay opaque bytes except the ones bound to the secret:
 * Message-Authenticator, the authenticators and the MS-MPPE keys (the
 * MSK of key-generating EAP methods). A packet carrying another
 * secret-bound attribute (User-Password, Tunnel-Password,
 * MS-CHAP-MPPE-Keys) is refused rather than passed on unreadable.
 * docs/vpn.md, "Tenant by user name". */
#ifndef TENET_RADIUS_RADIUS_H
#define TENET_RADIUS_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/errmsg.h"

#define TENET_RADIUS_MAX 4096           /* RFC 2865 3 */
#define TENET_RADIUS_HDR 20

enum {
	TENET_RADIUS_ACCESS_REQUEST = 1,
	TENET_RADIUS_ACCESS_ACCEPT = 2,
	TENET_RADIUS_ACCESS_REJECT = 3,
	TENET_RADIUS_ACCESS_CHALLENGE = 11,
};

enum {
	TENET_RADIUS_USER_NAME = 1,
	TENET_RADIUS_USER_PASSWORD = 2,
	TENET_RADIUS_CLASS = 25,
	TENET_RADIUS_VENDOR = 26,
	TENET_RADIUS_TUNNEL_PASSWORD = 69,
	TENET_RADIUS_EAP_MESSAGE = 79,
	TENET_RADIUS_MESSAGE_AUTH = 80,
};

/* The well-formed packet's length: a known code, the length field within
 * len (bytes after it are padding, RFC 2865 3) and attributes that fill
 * it exactly. -EBADMSG otherwise. */
int tenet_radius_check(const uint8_t *p, size_t len, struct tenet_err *err);

/* The n-th (0-based) attribute of type in a checked packet: its value
 * and length. false: none. */
bool tenet_radius_attr(const uint8_t *p, uint8_t type, unsigned n, const uint8_t **val,
		       uint8_t *vlen);

/* An Access-Request sent with secret from: checked, its
 * Message-Authenticator verified (required with an EAP-Message), and
 * re-signed with secret to into out (outsz bytes; *outlen its length)
 * with identifier id (a relay numbers its own requests). The Request
 * Authenticator stays: the reply is tied to it on both sides. -EBADMSG malformed, -EACCES not signed with from, -EPROTO a
 * secret-bound attribute that is not relayed. */
int tenet_radius_relay_request(const uint8_t *in, size_t len, const char *from, const char *to,
			       uint8_t id, uint8_t *out, size_t outsz, size_t *outlen,
			       struct tenet_err *err);

/* What the relay changes in a reply. */
struct tenet_radius_edit {
	uint8_t id;                     /* the identifier of the request answered */
	const char *add_class;          /* a Class value to append; NULL none */
	bool reject;                    /* an Access-Reject instead, no attributes */
};

/* The reply in to the request req (as relayed: its Request
 * Authenticator is the same on both sides) sent with secret from:
 * checked and verified (Response Authenticator; Message-Authenticator,
 * required with an EAP-Message), edited (edit->id its identifier), and
 * signed with secret to into out; MS-MPPE keys are decrypted and
 * encrypted again. Errors as tenet_radius_relay_request's. */
int tenet_radius_relay_reply(const uint8_t *req, const uint8_t *in, size_t len, const char *from,
			     const char *to, const struct tenet_radius_edit *edit, uint8_t *out,
			     size_t outsz, size_t *outlen, struct tenet_err *err);

/* The reply in to req verified with secret: 0, or -EBADMSG/-EACCES. */
int tenet_radius_verify_reply(const uint8_t *req, const uint8_t *in, size_t len,
			      const char *secret, struct tenet_err *err);

/* An MS-MPPE key value (salt, then the encrypted string; RFC 2548 2.4.2)
 * of a reply to a request with Request Authenticator auth: the key into
 * key (at most 255 bytes), its length returned; -EBADMSG. */
int tenet_radius_mppe_key(const uint8_t *val, uint8_t vlen, const uint8_t auth[16],
			  const char *secret, uint8_t *key, struct tenet_err *err);

#endif

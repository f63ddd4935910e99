// SPDX-License-Identifier: GPL-2.0
/* RADIUS packets relayed between two shared secrets (radius.h).
 *
 * Hand-written on libcrypto's MD5 and HMAC-MD5 (libsodium has no MD5):
 * Debian 12's libfreeradius-dev cannot be compiled against (its
 * autoconf.h includes freeradius/automask.h, which the package does not
 * ship) and radcli is a client only (it can neither take a request as a
 * server nor sign a reply). The relay needs four RFC operations on
 * otherwise opaque attributes; tests check them on packets recorded
 * from FreeRADIUS 3.2.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "radius/radius.h"

#define MS_VENDOR 311u                  /* Microsoft, RFC 2548 */
#define MS_CHAP_MPPE_KEYS 12
#define MS_MPPE_SEND_KEY 16
#define MS_MPPE_RECV_KEY 17

static uint16_t plen(const uint8_t *p)
{
	return (uint16_t)(p[2] << 8 | p[3]);
}

/* MD5 over n pieces. */
static int md5(uint8_t out[16], size_t n, const void *const *d, const size_t *l)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(c, d[i], l[i]);
	ok = ok && EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	return ok ? 0 : -EIO;
}

int tenet_radius_check(const uint8_t *p, size_t len, struct tenet_err *err)
{
	size_t l, i;

	if (len < TENET_RADIUS_HDR)
		return tenet_err_set(err, -EBADMSG, "RADIUS packet of %zu bytes: shorter than its header",
				     len);
	switch (p[0]) {
	case TENET_RADIUS_ACCESS_REQUEST:
	case TENET_RADIUS_ACCESS_ACCEPT:
	case TENET_RADIUS_ACCESS_REJECT:
	case TENET_RADIUS_ACCESS_CHALLENGE:
		break;
	default:
		return tenet_err_set(err, -EBADMSG, "RADIUS packet of code %u: not an Access one",
				     p[0]);
	}
	l = plen(p);
	if (l < TENET_RADIUS_HDR || l > len || l > TENET_RADIUS_MAX)
		return tenet_err_set(err, -EBADMSG, "RADIUS packet says %zu bytes, has %zu", l, len);
	for (i = TENET_RADIUS_HDR; i < l; i += p[i + 1])
		if (l - i < 2 || p[i + 1] < 2 || p[i + 1] > l - i)
			return tenet_err_set(err, -EBADMSG,
					     "RADIUS attribute at byte %zu overruns the packet", i);
	return (int)l;
}

bool tenet_radius_attr(const uint8_t *p, uint8_t type, unsigned n, const uint8_t **val,
		       uint8_t *vlen)
{
	for (size_t i = TENET_RADIUS_HDR, l = plen(p); i < l; i += p[i + 1]) {
		if (p[i] != type || n--)
			continue;
		*val = p + i + 2;
		*vlen = (uint8_t)(p[i + 1] - 2);
		return true;
	}
	return false;
}

/* The sub-attributes of a Microsoft VSA at p[i] that are bound to the
 * secret: 1 when it has MS-MPPE keys (cb, if any, on each value; its
 * non-zero result is returned), 0 none, -EPROTO MS-CHAP-MPPE-Keys (not
 * relayed), -EBADMSG malformed. */
static int ms_keys(uint8_t *p, size_t i, int (*cb)(uint8_t *v, uint8_t vl, void *a), void *a)
{
	size_t end = i + p[i + 1], j = i + 6;
	int ret, found = 0;

	if (p[i + 1] < 6 || (uint32_t)(p[i + 2] << 24 | p[i + 3] << 16 | p[i + 4] << 8 | p[i + 5]) !=
	    MS_VENDOR)
		return 0;
	for (; j + 2 <= end && p[j + 1] >= 2 && j + p[j + 1] <= end; j += p[j + 1]) {
		if (p[j] == MS_CHAP_MPPE_KEYS)
			return -EPROTO;
		if (p[j] != MS_MPPE_SEND_KEY && p[j] != MS_MPPE_RECV_KEY)
			continue;
		found = 1;
		if (cb && (ret = cb(p + j + 2, (uint8_t)(p[j + 1] - 2), a)))
			return ret;
	}
	return j == end ? found : -EBADMSG;
}

struct scan {
	size_t ma;                      /* offset of Message-Authenticator; 0 none */
	bool eap;
};

/* Where the Message-Authenticator is; refuses what cannot be relayed.
 * keys: MS-MPPE keys are allowed (a reply's). */
static int scan(uint8_t *p, struct scan *s, bool keys, struct tenet_err *err)
{
	size_t l = plen(p);
	int ret;

	*s = (struct scan){ 0 };
	for (size_t i = TENET_RADIUS_HDR; i < l; i += p[i + 1]) {
		switch (p[i]) {
		case TENET_RADIUS_MESSAGE_AUTH:
			if (s->ma || p[i + 1] != 18)
				return tenet_err_set(err, -EBADMSG,
						     "RADIUS Message-Authenticator: not one of 16 bytes");
			s->ma = i;
			break;
		case TENET_RADIUS_EAP_MESSAGE:
			s->eap = true;
			break;
		case TENET_RADIUS_USER_PASSWORD:
		case TENET_RADIUS_TUNNEL_PASSWORD:
			return tenet_err_set(err, -EPROTO,
					     "RADIUS attribute %u is hidden with the secret: not relayed",
					     p[i]);
		case TENET_RADIUS_VENDOR:
			ret = ms_keys(p, i, NULL, NULL);
			if (ret == -EBADMSG)
				return tenet_err_set(err, ret,
						     "RADIUS Microsoft attribute at byte %zu is malformed", i);
			if (ret < 0 || (ret && !keys))
				return tenet_err_set(err, -EPROTO, "RADIUS Microsoft attribute at byte "
								   "%zu is bound to the secret: not relayed",
						     i);
			break;
		}
	}
	if (s->eap && !s->ma)
		return tenet_err_set(err, -EACCES, "RADIUS EAP-Message without Message-Authenticator");
	return 0;
}

/* HMAC-MD5 of p (length l) with the authenticator field read as auth and
 * the Message-Authenticator at ma zeroed (RFC 3579 3.2). */
static int ma_calc(const uint8_t *p, size_t l, size_t ma, const uint8_t *auth, const char *secret,
		   uint8_t out[16])
{
	uint8_t t[TENET_RADIUS_MAX];
	unsigned int ol = 16;

	memcpy(t, p, l);
	memcpy(t + 4, auth, 16);
	memset(t + ma + 2, 0, 16);
	return HMAC(EVP_md5(), secret, (int)strlen(secret), t, l, out, &ol) ? 0 : -EIO;
}

static int ma_verify(const uint8_t *p, size_t ma, const uint8_t *auth, const char *secret,
		     struct tenet_err *err)
{
	uint8_t m[16];
	int ret = ma_calc(p, plen(p), ma, auth, secret, m);

	if (ret)
		return tenet_err_set(err, ret, "RADIUS: HMAC-MD5 failed");
	if (CRYPTO_memcmp(m, p + ma + 2, 16))
		return tenet_err_set(err, -EACCES, "RADIUS Message-Authenticator does not verify "
						   "(another secret?)");
	return 0;
}

/* The Response Authenticator of reply p to a request with auth. */
static int resp_auth(const uint8_t *p, const uint8_t *auth, const char *secret, uint8_t out[16])
{
	size_t l = plen(p);
	const void *d[] = { p, auth, p + TENET_RADIUS_HDR, secret };
	const size_t n[] = { 4, 16, l - TENET_RADIUS_HDR, strlen(secret) };

	return md5(out, 4, d, n);
}

int tenet_radius_relay_request(const uint8_t *in, size_t len, const char *from, const char *to,
			       uint8_t id, uint8_t *out, size_t outsz, size_t *outlen,
			       struct tenet_err *err)
{
	struct scan s;
	int l = tenet_radius_check(in, len, err);

	if (l < 0)
		return l;
	if (in[0] != TENET_RADIUS_ACCESS_REQUEST)
		return tenet_err_set(err, -EBADMSG, "RADIUS packet of code %u: not an Access-Request",
				     in[0]);
	if ((size_t)l > outsz)
		return tenet_err_set(err, -ENOSPC, "RADIUS request of %d bytes: no room", l);
	memcpy(out, in, l);
	out[1] = id;
	l = scan(out, &s, false, err) ?: l;
	if (l < 0)
		return l;
	if (s.ma) {
		int ret = ma_verify(in, s.ma, in + 4, from, err);

		if (ret)
			return ret;
		ret = ma_calc(out, l, s.ma, in + 4, to, out + s.ma + 2);
		if (ret)
			return tenet_err_set(err, ret, "RADIUS: HMAC-MD5 failed");
	}
	*outlen = (size_t)l;
	return 0;
}

int tenet_radius_verify_reply(const uint8_t *req, const uint8_t *in, size_t len,
			      const char *secret, struct tenet_err *err)
{
	uint8_t t[TENET_RADIUS_MAX], ra[16];
	struct scan s;
	int ret, l = tenet_radius_check(in, len, err);

	if (l < 0)
		return l;
	if (in[0] == TENET_RADIUS_ACCESS_REQUEST)
		return tenet_err_set(err, -EBADMSG, "RADIUS reply is an Access-Request");
	if (in[1] != req[1])
		return tenet_err_set(err, -EBADMSG, "RADIUS reply of id %u to request %u", in[1],
				     req[1]);
	memcpy(t, in, l);
	ret = scan(t, &s, true, err);
	if (ret)
		return ret;
	ret = resp_auth(in, req + 4, secret, ra);
	if (ret)
		return tenet_err_set(err, ret, "RADIUS: MD5 failed");
	if (CRYPTO_memcmp(ra, in + 4, 16))
		return tenet_err_set(err, -EACCES, "RADIUS Response Authenticator does not verify "
						   "(another secret?)");
	return s.ma ? ma_verify(in, s.ma, req + 4, secret, err) : 0;
}

/* RFC 2548 2.4.2: b(1) = MD5(S + R + A), b(i) = MD5(S + c(i-1)). */
struct mppe {
	const uint8_t *auth;
	const char *from, *to;
	int ret;
};

static int mppe_xor(uint8_t *c, size_t n, const uint8_t *salt, const uint8_t *auth,
		    const char *secret, bool decrypt)
{
	uint8_t b[16], prev[16];
	int ret;

	for (size_t i = 0; i < n; i += 16) {
		const void *d[] = { secret, i ? prev : auth, salt };
		const size_t l[] = { strlen(secret), 16, i ? 0 : 2 };

		ret = md5(b, 3, d, l);
		if (ret)
			return ret;
		if (decrypt)
			memcpy(prev, c + i, 16);
		for (size_t k = 0; k < 16; k++)
			c[i + k] ^= b[k];
		if (!decrypt)
			memcpy(prev, c + i, 16);
	}
	return 0;
}

static int mppe_recrypt(uint8_t *v, uint8_t vl, void *a)
{
	struct mppe *m = a;

	if (vl < 18 || (vl - 2) % 16)
		return -EBADMSG;
	m->ret = mppe_xor(v + 2, vl - 2u, v, m->auth, m->from, true);
	if (!m->ret)
		m->ret = mppe_xor(v + 2, vl - 2u, v, m->auth, m->to, false);
	return m->ret;
}

int tenet_radius_mppe_key(const uint8_t *val, uint8_t vlen, const uint8_t auth[16],
			  const char *secret, uint8_t *key, struct tenet_err *err)
{
	uint8_t c[256];
	int ret;

	if (vlen < 18 || (vlen - 2) % 16)
		return tenet_err_set(err, -EBADMSG, "MS-MPPE key of %u bytes", vlen);
	memcpy(c, val + 2, vlen - 2u);
	ret = mppe_xor(c, vlen - 2u, val, auth, secret, true);
	if (ret)
		return tenet_err_set(err, ret, "RADIUS: MD5 failed");
	if (c[0] > vlen - 3)
		return tenet_err_set(err, -EBADMSG, "MS-MPPE key says %u bytes in %u (another "
						    "secret?)", c[0], vlen - 3u);
	memcpy(key, c + 1, c[0]);
	return c[0];
}

int tenet_radius_relay_reply(const uint8_t *req, const uint8_t *in, size_t len, const char *from,
			     const char *to, const struct tenet_radius_edit *edit, uint8_t *out,
			     size_t outsz, size_t *outlen, struct tenet_err *err)
{
	struct mppe m = { .auth = req + 4, .from = from, .to = to };
	struct scan s;
	size_t l, cl;
	int ret = tenet_radius_verify_reply(req, in, len, from, err);

	if (ret)
		return ret;
	l = plen(in);
	if (edit && edit->reject) {
		/* RFC 3579 3.2: a reply to an EAP request carries one */
		static const uint8_t ma[18] = { TENET_RADIUS_MESSAGE_AUTH, 18 };

		l = TENET_RADIUS_HDR + sizeof(ma);
		if (outsz < l)
			return tenet_err_set(err, -ENOSPC, "RADIUS reply: no room");
		memcpy(out, in, TENET_RADIUS_HDR);
		out[0] = TENET_RADIUS_ACCESS_REJECT;
		out[1] = edit->id;
		memcpy(out + TENET_RADIUS_HDR, ma, sizeof(ma));
	} else {
		cl = edit && edit->add_class ? strlen(edit->add_class) : 0;
		if (cl > 253)
			return tenet_err_set(err, -EINVAL, "RADIUS Class of %zu bytes", cl);
		if (l + (cl ? cl + 2 : 0) > outsz || l + (cl ? cl + 2 : 0) > TENET_RADIUS_MAX)
			return tenet_err_set(err, -ENOSPC, "RADIUS reply: no room");
		memcpy(out, in, l);
		for (size_t i = TENET_RADIUS_HDR; i < l; i += out[i + 1]) {
			if (out[i] != TENET_RADIUS_VENDOR)
				continue;
			ret = ms_keys(out, i, mppe_recrypt, &m);
			if (ret < 0)
				return tenet_err_set(err, ret, "RADIUS MS-MPPE key at byte %zu: %s", i,
						     ret == -EBADMSG ? "malformed" : "MD5 failed");
		}
		if (cl) {
			out[l] = TENET_RADIUS_CLASS;
			out[l + 1] = (uint8_t)(cl + 2);
			memcpy(out + l + 2, edit->add_class, cl);
			l += cl + 2;
		}
		out[1] = edit ? edit->id : in[1];
	}
	out[2] = (uint8_t)(l >> 8);
	out[3] = (uint8_t)l;
	ret = scan(out, &s, true, err);
	if (ret)
		return ret;
	if (s.ma && (ret = ma_calc(out, l, s.ma, req + 4, to, out + s.ma + 2)))
		return tenet_err_set(err, ret, "RADIUS: HMAC-MD5 failed");
	ret = resp_auth(out, req + 4, to, out + 4);
	if (ret)
		return tenet_err_set(err, ret, "RADIUS: MD5 failed");
	*outlen = l;
	return 0;
}

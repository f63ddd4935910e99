// SPDX-License-Identifier: GPL-2.0
/* The RADIUS relay (lib/radius/radius.c, the packets; agent/gw/
 * ravpn_relay.c, tenetd's relay between charon and the operator's
 * servers) on packets recorded
 * from FreeRADIUS 3.2.1 (Debian 12's freeradius, the configuration of
 * selftests/gw/test_ravpn.sh on 127.0.0.1 with secret "op-secret-0123"):
 * an EAP-MD5 exchange of "Contoso\JohnDoe" (users entry
 * `DEFAULT User-Name == "Contoso\\JohnDoe", Cleartext-Password := ...`,
 * no Class: the user-name case) and a PAP Accept of "keyuser" with
 * `Class := "TenantName=Contoso"` and MS-MPPE-Send-Key 00..1f,
 * MS-MPPE-Recv-Key 20..3f, which FreeRADIUS encrypts (RFC 2548). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "gw/ravpn_relay.h"
#include "radius/radius.h"

#define OP "op-secret-0123"
#define CHARON "charon-per-boot-5f1c"
#define OP2 "op-secret-of-the-second-server"

static const uint8_t eap_req1[] = {
	0x01, 0x01, 0x00, 0x4d, 0x99, 0xb1, 0xbc, 0x9a, 0xb1, 0x69, 0x45, 0x13,
	0xff, 0x0f, 0x7a, 0x3a, 0x58, 0xfa, 0xbd, 0x10, 0x01, 0x11, 0x43, 0x6f,
	0x6e, 0x74, 0x6f, 0x73, 0x6f, 0x5c, 0x4a, 0x6f, 0x68, 0x6e, 0x44, 0x6f,
	0x65, 0x4f, 0x16, 0x02, 0x00, 0x00, 0x14, 0x01, 0x43, 0x6f, 0x6e, 0x74,
	0x6f, 0x73, 0x6f, 0x5c, 0x4a, 0x6f, 0x68, 0x6e, 0x44, 0x6f, 0x65, 0x50,
	0x12, 0xa8, 0x73, 0x90, 0x1b, 0xee, 0xb8, 0x6f, 0xd7, 0x76, 0x4d, 0x7e,
	0xf7, 0x4f, 0xe3, 0xb6, 0x91
};
static const uint8_t eap_chal1[] = {
	0x0b, 0x01, 0x00, 0x50, 0x64, 0x76, 0x47, 0xed, 0x53, 0x37, 0x57, 0x2d,
	0x28, 0x65, 0x86, 0xb1, 0x0c, 0xcf, 0xd1, 0x55, 0x4f, 0x18, 0x01, 0x01,
	0x00, 0x16, 0x04, 0x10, 0x3f, 0x68, 0xd3, 0xae, 0x18, 0x10, 0x25, 0xf3,
	0x64, 0x90, 0x72, 0x3e, 0x97, 0x7b, 0xa8, 0x7c, 0x50, 0x12, 0x0f, 0x8d,
	0x29, 0xb6, 0x33, 0x05, 0xc5, 0x3a, 0xf8, 0x28, 0xb9, 0x89, 0x4b, 0xd8,
	0x6e, 0xec, 0x18, 0x12, 0xd2, 0xb9, 0x8a, 0x5e, 0xd2, 0xb8, 0x8e, 0xd1,
	0x61, 0x8c, 0x9c, 0x30, 0x0b, 0xe0, 0xcc, 0x92
};
static const uint8_t eap_req2[] = {
	0x01, 0x02, 0x00, 0x61, 0xdc, 0xc5, 0xc9, 0x29, 0xcc, 0x41, 0x20, 0x03,
	0xce, 0xb3, 0x1a, 0xdd, 0x41, 0xcd, 0x65, 0x37, 0x01, 0x11, 0x43, 0x6f,
	0x6e, 0x74, 0x6f, 0x73, 0x6f, 0x5c, 0x4a, 0x6f, 0x68, 0x6e, 0x44, 0x6f,
	0x65, 0x4f, 0x18, 0x02, 0x01, 0x00, 0x16, 0x04, 0x10, 0x05, 0xcf, 0x1b,
	0x7a, 0x95, 0x54, 0x3e, 0x7f, 0xd3, 0xac, 0xb7, 0x39, 0xc6, 0xc6, 0x1d,
	0x3c, 0x18, 0x12, 0xd2, 0xb9, 0x8a, 0x5e, 0xd2, 0xb8, 0x8e, 0xd1, 0x61,
	0x8c, 0x9c, 0x30, 0x0b, 0xe0, 0xcc, 0x92, 0x50, 0x12, 0x5e, 0x9d, 0x85,
	0xb3, 0x32, 0xab, 0xe8, 0xa7, 0xfd, 0xfb, 0x20, 0x11, 0x49, 0xae, 0x85,
	0xb2
};
static const uint8_t eap_accept2[] = {
	0x02, 0x02, 0x00, 0x3d, 0x28, 0x0f, 0xa7, 0x99, 0x53, 0x0d, 0xf1, 0x65,
	0x16, 0x7e, 0x9b, 0xd3, 0x48, 0xbe, 0xe0, 0x24, 0x4f, 0x06, 0x03, 0x01,
	0x00, 0x04, 0x50, 0x12, 0x28, 0x61, 0xb1, 0x5f, 0x2a, 0xc0, 0x96, 0x64,
	0xb1, 0x22, 0x35, 0x2c, 0x4e, 0x27, 0xa6, 0xa7, 0x01, 0x11, 0x43, 0x6f,
	0x6e, 0x74, 0x6f, 0x73, 0x6f, 0x5c, 0x4a, 0x6f, 0x68, 0x6e, 0x44, 0x6f,
	0x65
};
static const uint8_t pap_req3[] = {
	0x01, 0x03, 0x00, 0x41, 0x1d, 0xa6, 0xb2, 0xb9, 0xea, 0xf1, 0x4f, 0x91,
	0x03, 0xbb, 0xa6, 0x44, 0x39, 0x95, 0xb5, 0xca, 0x01, 0x09, 0x6b, 0x65,
	0x79, 0x75, 0x73, 0x65, 0x72, 0x02, 0x12, 0x3b, 0x28, 0xcc, 0xe3, 0x96,
	0xfc, 0xbf, 0xce, 0xf3, 0x46, 0x16, 0x9e, 0x80, 0x4f, 0x8c, 0x59, 0x50,
	0x12, 0xb3, 0xed, 0x6c, 0xdc, 0xd1, 0xcf, 0x5f, 0xcb, 0x49, 0x7d, 0x21,
	0x09, 0xf7, 0xfe, 0x80, 0xc7
};
static const uint8_t pap_accept3[] = {
	0x02, 0x03, 0x00, 0x9c, 0xe5, 0x64, 0x2f, 0x36, 0xff, 0x2a, 0xd3, 0xe4,
	0x54, 0x94, 0x05, 0x14, 0xf5, 0x73, 0x91, 0x6a, 0x19, 0x14, 0x54, 0x65,
	0x6e, 0x61, 0x6e, 0x74, 0x4e, 0x61, 0x6d, 0x65, 0x3d, 0x43, 0x6f, 0x6e,
	0x74, 0x6f, 0x73, 0x6f, 0x1a, 0x3a, 0x00, 0x00, 0x01, 0x37, 0x10, 0x34,
	0x84, 0x0f, 0x6c, 0x19, 0x0c, 0x8c, 0x64, 0x9a, 0x16, 0x20, 0x0e, 0x4f,
	0x87, 0x03, 0x9a, 0x74, 0x78, 0x3d, 0xba, 0xb4, 0x27, 0x68, 0xfb, 0x3e,
	0x07, 0x34, 0x75, 0x9a, 0x25, 0xe6, 0xfa, 0x5b, 0x81, 0x38, 0xbc, 0x2f,
	0xed, 0x15, 0x35, 0xe1, 0x88, 0x36, 0x05, 0xfb, 0xa0, 0x0e, 0x97, 0x91,
	0x96, 0xfe, 0x1a, 0x3a, 0x00, 0x00, 0x01, 0x37, 0x11, 0x34, 0x8d, 0xae,
	0xd5, 0x80, 0x4d, 0xf7, 0xb1, 0x6d, 0x27, 0x8d, 0x25, 0x02, 0x33, 0xf9,
	0x8e, 0xa1, 0x18, 0xd0, 0x94, 0xea, 0x48, 0x2b, 0x98, 0x49, 0x08, 0xdd,
	0x4f, 0x64, 0x14, 0x79, 0xce, 0xa2, 0xc9, 0xcc, 0x48, 0x51, 0x33, 0xea,
	0xb2, 0xf2, 0xb2, 0x62, 0xa2, 0x7d, 0xe0, 0xd5, 0xdb, 0x90, 0x6d, 0x20
};

#define RELAY_REQ(in, from, to, out, ol, err) \
	tenet_radius_relay_request(in, sizeof(in), from, to, in[1], out, sizeof(out), ol, err)

static void test_check(void **state)
{
	uint8_t b[TENET_RADIUS_MAX];
	struct tenet_err err = { 0 };

	(void)state;
	assert_int_equal(tenet_radius_check(eap_req1, sizeof(eap_req1), &err), sizeof(eap_req1));
	assert_int_equal(tenet_radius_check(eap_chal1, sizeof(eap_chal1), &err), sizeof(eap_chal1));
	assert_int_equal(tenet_radius_check(pap_accept3, sizeof(pap_accept3), &err),
			 sizeof(pap_accept3));
	/* padding after the length field is allowed (RFC 2865 3) */
	memset(b, 0, sizeof(b));
	memcpy(b, eap_req1, sizeof(eap_req1));
	assert_int_equal(tenet_radius_check(b, sizeof(eap_req1) + 7, &err), sizeof(eap_req1));

	assert_int_equal(tenet_radius_check(eap_req1, 19, &err), -EBADMSG);
	assert_string_equal(err.msg, "RADIUS packet of 19 bytes: shorter than its header");
	assert_int_equal(tenet_radius_check(eap_req1, sizeof(eap_req1) - 1, &err), -EBADMSG);
	assert_string_equal(err.msg, "RADIUS packet says 77 bytes, has 76");
	b[0] = 4;                       /* Accounting-Request */
	assert_int_equal(tenet_radius_check(b, sizeof(eap_req1), &err), -EBADMSG);
	assert_string_equal(err.msg, "RADIUS packet of code 4: not an Access one");
	b[0] = 1;
	b[21] = 0xff;                   /* User-Name runs past the end */
	assert_int_equal(tenet_radius_check(b, sizeof(eap_req1), &err), -EBADMSG);
	assert_string_equal(err.msg, "RADIUS attribute at byte 20 overruns the packet");
	b[21] = 1;
	assert_int_equal(tenet_radius_check(b, sizeof(eap_req1), &err), -EBADMSG);
}

static void test_request(void **state)
{
	uint8_t a[TENET_RADIUS_MAX], b[TENET_RADIUS_MAX];
	size_t al, bl;
	const uint8_t *v;
	uint8_t vl;
	struct tenet_err err = { 0 };

	(void)state;
	/* FreeRADIUS accepted these with OP: relayed to CHARON's secret and
	 * back, byte for byte the same; the authenticator stays */
	assert_int_equal(RELAY_REQ(eap_req1, OP, CHARON, a, &al, &err), 0);
	assert_int_equal(al, sizeof(eap_req1));
	assert_memory_equal(a + 4, eap_req1 + 4, 16);
	assert_memory_not_equal(a, eap_req1, al);       /* a new signature */
	assert_int_equal(tenet_radius_relay_request(a, al, CHARON, OP, a[1], b, sizeof(b), &bl, &err), 0);
	assert_int_equal(bl, sizeof(eap_req1));
	assert_memory_equal(b, eap_req1, bl);
	assert_int_equal(RELAY_REQ(eap_req2, OP, OP, b, &bl, &err), 0);
	assert_memory_equal(b, eap_req2, bl);
	/* a relay's own identifier, signed along */
	assert_int_equal(tenet_radius_relay_request(eap_req2, sizeof(eap_req2), OP, CHARON, 200, a,
						    sizeof(a), &al, &err), 0);
	assert_int_equal(a[1], 200);
	assert_int_equal(tenet_radius_relay_request(a, al, CHARON, OP, 2, b, sizeof(b), &bl, &err), 0);
	assert_memory_equal(b, eap_req2, bl);
	assert_true(tenet_radius_attr(eap_req2, TENET_RADIUS_USER_NAME, 0, &v, &vl));
	assert_int_equal(vl, 15);
	assert_memory_equal(v, "Contoso\\JohnDoe", 15);
	assert_false(tenet_radius_attr(eap_req2, TENET_RADIUS_USER_NAME, 1, &v, &vl));

	/* signed with another secret, or changed on the way */
	assert_int_equal(RELAY_REQ(eap_req1, CHARON, OP, b, &bl, &err), -EACCES);
	assert_string_equal(err.msg, "RADIUS Message-Authenticator does not verify (another secret?)");
	memcpy(b, eap_req1, sizeof(eap_req1));
	b[30] ^= 1;                     /* the user name */
	assert_int_equal(tenet_radius_relay_request(b, sizeof(eap_req1), OP, CHARON, 1, a, sizeof(a),
						    &al, &err), -EACCES);
	/* an EAP-Message needs a Message-Authenticator (RFC 3579 3.2):
	 * eap_req1 with its last attribute (the Message-Authenticator) cut */
	memcpy(b, eap_req1, sizeof(eap_req1));
	b[3] -= 18;
	assert_int_equal(tenet_radius_relay_request(b, sizeof(eap_req1) - 18, OP, CHARON, 1, a,
						    sizeof(a), &al, &err), -EACCES);
	assert_string_equal(err.msg, "RADIUS EAP-Message without Message-Authenticator");
	/* a User-Password is hidden with the secret: not relayed */
	assert_int_equal(RELAY_REQ(pap_req3, OP, CHARON, b, &bl, &err), -EPROTO);
	assert_string_equal(err.msg, "RADIUS attribute 2 is hidden with the secret: not relayed");
	/* a reply is no request */
	assert_int_equal(RELAY_REQ(eap_chal1, OP, CHARON, b, &bl, &err), -EBADMSG);
	assert_string_equal(err.msg, "RADIUS packet of code 11: not an Access-Request");
	assert_int_equal(tenet_radius_relay_request(eap_req1, sizeof(eap_req1), OP, CHARON, 1, b, 40,
						    &bl, &err), -ENOSPC);
}

static void test_reply(void **state)
{
	uint8_t a[TENET_RADIUS_MAX], b[TENET_RADIUS_MAX];
	struct tenet_radius_edit add = { .id = 2, .add_class = "TenantName=Contoso" };
	struct tenet_radius_edit rej = { .id = 2, .reject = true };
	size_t al, bl;
	const uint8_t *v, *w;
	uint8_t vl, wl;
	struct tenet_err err = { 0 };

	(void)state;
	/* FreeRADIUS's replies verify with OP against their requests */
	assert_int_equal(tenet_radius_verify_reply(eap_req1, eap_chal1, sizeof(eap_chal1), OP, &err), 0);
	assert_int_equal(tenet_radius_verify_reply(eap_req2, eap_accept2, sizeof(eap_accept2), OP,
						   &err), 0);
	assert_int_equal(tenet_radius_verify_reply(eap_req2, eap_accept2, sizeof(eap_accept2),
						   CHARON, &err), -EACCES);
	assert_string_equal(err.msg, "RADIUS Response Authenticator does not verify (another secret?)");
	/* ... and only against their own request */
	assert_int_equal(tenet_radius_verify_reply(eap_req1, eap_accept2, sizeof(eap_accept2), OP,
						   &err), -EBADMSG);
	assert_string_equal(err.msg, "RADIUS reply of id 2 to request 1");

	/* a challenge passes unchanged but for its signatures */
	assert_int_equal(tenet_radius_relay_reply(eap_req1, eap_chal1, sizeof(eap_chal1), OP, CHARON,
						  NULL, a, sizeof(a), &al, &err), 0);
	assert_int_equal(tenet_radius_verify_reply(eap_req1, a, al, CHARON, &err), 0);
	assert_int_equal(tenet_radius_relay_reply(eap_req1, a, al, CHARON, OP, NULL, b, sizeof(b),
						  &bl, &err), 0);
	assert_int_equal(bl, sizeof(eap_chal1));
	assert_memory_equal(b, eap_chal1, bl);

	/* the user-name case: an Accept without Class gets the tenant's */
	assert_false(tenet_radius_attr(eap_accept2, TENET_RADIUS_CLASS, 0, &v, &vl));
	assert_int_equal(tenet_radius_relay_reply(eap_req2, eap_accept2, sizeof(eap_accept2), OP,
						  CHARON, &add, a, sizeof(a), &al, &err), 0);
	assert_int_equal(al, sizeof(eap_accept2) + 20);
	assert_int_equal(a[0], TENET_RADIUS_ACCESS_ACCEPT);
	assert_int_equal(tenet_radius_check(a, al, &err), (int)al);
	assert_int_equal(tenet_radius_verify_reply(eap_req2, a, al, CHARON, &err), 0);
	assert_int_equal(tenet_radius_verify_reply(eap_req2, a, al, OP, &err), -EACCES);
	assert_true(tenet_radius_attr(a, TENET_RADIUS_CLASS, 0, &v, &vl));
	assert_int_equal(vl, 18);
	assert_memory_equal(v, "TenantName=Contoso", 18);
	/* the EAP-Success and the rest as they were */
	assert_true(tenet_radius_attr(a, TENET_RADIUS_EAP_MESSAGE, 0, &v, &vl));
	assert_true(tenet_radius_attr(eap_accept2, TENET_RADIUS_EAP_MESSAGE, 0, &w, &wl));
	assert_int_equal(vl, wl);
	assert_memory_equal(v, w, vl);
	assert_int_equal(v[0], 3);      /* EAP Success */
	assert_memory_equal(a + 20, eap_accept2 + 20, sizeof(eap_accept2) - 20 - 18 - 17);

	/* answered under the identifier charon's request had */
	add.id = 7;
	assert_int_equal(tenet_radius_relay_reply(eap_req2, eap_accept2, sizeof(eap_accept2), OP,
						  CHARON, &add, a, sizeof(a), &al, &err), 0);
	memcpy(b, eap_req2, sizeof(eap_req2));
	b[1] = 7;
	assert_int_equal(a[1], 7);
	assert_int_equal(tenet_radius_verify_reply(b, a, al, CHARON, &err), 0);
	assert_int_equal(tenet_radius_verify_reply(eap_req2, a, al, CHARON, &err), -EBADMSG);

	/* a user of no tenant: a Reject with only a Message-Authenticator */
	assert_int_equal(tenet_radius_relay_reply(eap_req2, eap_accept2, sizeof(eap_accept2), OP,
						  CHARON, &rej, a, sizeof(a), &al, &err), 0);
	assert_int_equal(al, 38);
	assert_int_equal(a[0], TENET_RADIUS_ACCESS_REJECT);
	assert_int_equal(a[1], eap_req2[1]);
	assert_int_equal(tenet_radius_verify_reply(eap_req2, a, al, CHARON, &err), 0);
	assert_false(tenet_radius_attr(a, TENET_RADIUS_EAP_MESSAGE, 0, &v, &vl));
	assert_true(tenet_radius_attr(a, TENET_RADIUS_MESSAGE_AUTH, 0, &v, &vl));

	/* a changed reply is not relayed */
	memcpy(b, eap_accept2, sizeof(eap_accept2));
	b[sizeof(eap_accept2) - 1] ^= 0x80;
	assert_int_equal(tenet_radius_relay_reply(eap_req2, b, sizeof(eap_accept2), OP, CHARON, &add,
						  a, sizeof(a), &al, &err), -EACCES);
}

/* The value of the n-th Microsoft sub-attribute in p. */
static void ms_attr(const uint8_t *p, unsigned n, uint8_t type, const uint8_t **v, uint8_t *vl)
{
	const uint8_t *a;
	uint8_t al;

	assert_true(tenet_radius_attr(p, TENET_RADIUS_VENDOR, n, &a, &al));
	assert_memory_equal(a, "\x00\x00\x01\x37", 4);  /* 311 */
	assert_int_equal(a[4], type);
	*v = a + 6;
	*vl = (uint8_t)(a[5] - 2);
}

static void test_mppe(void **state)
{
	uint8_t a[TENET_RADIUS_MAX], key[256], want[32];
	size_t al;
	const uint8_t *v, *c;
	uint8_t vl, cl;
	struct tenet_err err = { 0 };

	(void)state;
	/* FreeRADIUS's encryption of the users file's keys, read with OP */
	for (int i = 0; i < 32; i++)
		want[i] = (uint8_t)i;
	ms_attr(pap_accept3, 0, 16, &v, &vl);
	assert_int_equal(vl, 50);
	assert_int_equal(tenet_radius_mppe_key(v, vl, pap_req3 + 4, OP, key, &err), 32);
	assert_memory_equal(key, want, 32);
	assert_int_not_equal(tenet_radius_mppe_key(v, vl, pap_req3 + 4, CHARON, key, &err), 32);

	/* relayed: the same keys under CHARON's secret, the Class kept */
	assert_int_equal(tenet_radius_relay_reply(pap_req3, pap_accept3, sizeof(pap_accept3), OP,
						  CHARON, NULL, a, sizeof(a), &al, &err), 0);
	assert_int_equal(al, sizeof(pap_accept3));
	assert_int_equal(tenet_radius_verify_reply(pap_req3, a, al, CHARON, &err), 0);
	for (unsigned n = 0; n < 2; n++) {
		for (int i = 0; i < 32; i++)
			want[i] = (uint8_t)(i + 32 * n);
		ms_attr(a, n, (uint8_t)(16 + n), &v, &vl);
		assert_memory_equal(v, pap_accept3 + (v - a), 2);       /* the salt */
		assert_memory_not_equal(v + 2, pap_accept3 + (v - a) + 2, vl - 2);
		assert_int_equal(tenet_radius_mppe_key(v, vl, pap_req3 + 4, CHARON, key, &err), 32);
		assert_memory_equal(key, want, 32);
	}
	assert_true(tenet_radius_attr(a, TENET_RADIUS_CLASS, 0, &c, &cl));
	assert_int_equal(cl, 18);
	assert_memory_equal(c, "TenantName=Contoso", 18);

	/* a Microsoft attribute bound to the secret that is not relayed:
	 * MS-CHAP-MPPE-Keys (12) in place of the Send-Key */
	memcpy(a, pap_accept3, sizeof(pap_accept3));
	ms_attr(a, 0, 16, &v, &vl);
	a[v - a - 2] = 12;
	assert_int_equal(tenet_radius_verify_reply(pap_req3, a, sizeof(pap_accept3), OP, &err), -EPROTO);
	assert_string_equal(err.msg, "RADIUS Microsoft attribute at byte 40 is bound to the secret: "
				     "not relayed");
}

/* ---- the relay ---- */

static struct sockaddr_in sin4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static bool same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

struct relay_fix {
	struct ravpn_relay r;
	struct sockaddr_in peer, srv[2];
	uint8_t creq[TENET_RADIUS_MAX]; /* charon's request: eap_req2, id 9 */
	size_t creql;
};

static void relay_setup(struct relay_fix *f, const char *const *tenants, size_t nt)
{
	struct tenet_ravpn t[2] = { 0 };
	const struct tenet_ravpn *tp[2] = { &t[0], &t[1] };
	const char *secrets[] = { OP, OP2 };
	struct tenet_err err = { 0 };

	assert_int_equal(ravpn_relay_init(&f->r), 0);
	assert_int_equal(strlen(f->r.secret), 32);
	f->peer = sin4("127.0.0.1", 40000);
	f->srv[0] = sin4("131.107.10.20", 1812);
	f->srv[1] = sin4("131.107.10.21", 1812);
	for (size_t i = 0; i < nt; i++) {
		snprintf(t[i].rdomain, sizeof(t[i].rdomain), "%s", tenants[2 * i]);
		snprintf(t[i].tenant, sizeof(t[i].tenant), "%s", tenants[2 * i + 1]);
	}
	assert_int_equal(ravpn_relay_set(&f->r, f->srv, secrets, 2, tp, nt), 0);
	assert_int_equal(tenet_radius_relay_request(eap_req2, sizeof(eap_req2), OP, f->r.secret, 9,
						    f->creq, sizeof(f->creq), &f->creql, &err), 0);
}

/* What FreeRADIUS's Accept of eap_req2 is as a reply to fwd (our
 * identifier; the authenticator is charon's), signed with secret and
 * with a Class if cls. */
static size_t server_reply(const uint8_t *fwd, const char *secret, const char *cls, uint8_t *out)
{
	struct tenet_radius_edit e = { .id = fwd[1], .add_class = cls };
	struct tenet_err err = { 0 };
	size_t l;

	assert_memory_equal(fwd + 4, eap_req2 + 4, 16);
	assert_int_equal(tenet_radius_relay_reply(eap_req2, eap_accept2, sizeof(eap_accept2), OP,
						  secret, &e, out, TENET_RADIUS_MAX, &l, &err), 0);
	return l;
}

static void test_relay(void **state)
{
	static const char *const tenants[] = { "Woodgrove", "*Woodgrove*", "Contoso", "*Contoso*" };
	struct relay_fix f;
	uint8_t fwd[TENET_RADIUS_MAX], rep[TENET_RADIUS_MAX], out[TENET_RADIUS_MAX], chk[TENET_RADIUS_MAX];
	char user[256], why[TENET_ERR_LEN];
	struct sockaddr_in to;
	size_t fl, rl, ol, cl;
	const uint8_t *v;
	uint8_t vl;
	struct tenet_err err = { 0 };

	(void)state;
	relay_setup(&f, tenants, 2);
	/* charon's request goes to the first server, numbered by the relay
	 * and signed with the operator's secret */
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err), 0);
	assert_true(same(&to, &f.srv[0]));
	assert_int_equal(tenet_radius_relay_request(fwd, fl, OP, OP, fwd[1], chk, sizeof(chk), &cl,
						    &err), 0);
	assert_int_equal(tenet_radius_relay_request(fwd, fl, f.r.secret, OP, fwd[1], chk,
						    sizeof(chk), &cl, &err), -EACCES);

	/* the Accept without Class: Contoso\JohnDoe is Contoso's */
	rl = server_reply(fwd, OP, NULL, rep);
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), 0);
	assert_true(same(&to, &f.peer));
	assert_string_equal(user, "Contoso\\JohnDoe");
	assert_string_equal(why, "");
	assert_int_equal(out[0], TENET_RADIUS_ACCESS_ACCEPT);
	assert_int_equal(out[1], 9);
	assert_int_equal(tenet_radius_verify_reply(f.creq, out, ol, f.r.secret, &err), 0);
	assert_true(tenet_radius_attr(out, TENET_RADIUS_CLASS, 0, &v, &vl));
	assert_int_equal(vl, 18);
	assert_memory_equal(v, "TenantName=Contoso", 18);
	assert_false(tenet_radius_attr(out, TENET_RADIUS_CLASS, 1, &v, &vl));
	/* answered: a second copy of the reply is no longer ours */
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), -ENOENT);

	/* RADIUS's TenantName Class wins over the name */
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err), 0);
	rl = server_reply(fwd, OP, "TenantName=Woodgrove", rep);
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), 0);
	assert_true(tenet_radius_attr(out, TENET_RADIUS_CLASS, 0, &v, &vl));
	assert_memory_equal(v, "TenantName=Woodgrove", 20);
	assert_false(tenet_radius_attr(out, TENET_RADIUS_CLASS, 1, &v, &vl));
	/* ... but a Class that names no tenant does not */
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err), 0);
	rl = server_reply(fwd, OP, "Staff", rep);
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), 0);
	assert_true(tenet_radius_attr(out, TENET_RADIUS_CLASS, 1, &v, &vl));
	assert_memory_equal(v, "TenantName=Contoso", 18);

	/* a retransmission goes to the next server, same identifier; then
	 * only that server's reply, with its secret, counts */
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err), 0);
	assert_true(same(&to, &f.srv[0]));
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, chk, &cl, &to, &err), 0);
	assert_true(same(&to, &f.srv[1]));
	assert_int_equal(chk[1], fwd[1]);
	rl = server_reply(fwd, OP, NULL, rep);
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), -ENOENT);
	assert_string_equal(err.msg, "RADIUS reply of id 3 to no request of ours");
	/* a reply not signed with the server's secret is dropped; the
	 * request still waits for the real one */
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[1], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), -EACCES);
	rl = server_reply(fwd, OP2, NULL, rep);
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[1], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), 0);
	assert_int_equal(tenet_radius_verify_reply(f.creq, out, ol, f.r.secret, &err), 0);
	ravpn_relay_free(&f.r);
}

static void test_relay_refuse(void **state)
{
	static const char *const tenants[] = { "Woodgrove", "*Woodgrove*" };
	struct relay_fix f;
	uint8_t fwd[TENET_RADIUS_MAX], rep[TENET_RADIUS_MAX], out[TENET_RADIUS_MAX];
	char user[256], why[TENET_ERR_LEN];
	struct sockaddr_in to;
	size_t fl, rl, ol;
	const uint8_t *v;
	uint8_t vl;
	struct tenet_err err = { 0 };

	(void)state;
	/* a user of no tenant: the Accept becomes a Reject, with the reason */
	relay_setup(&f, tenants, 1);
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err), 0);
	rl = server_reply(fwd, OP, NULL, rep);
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), 0);
	assert_string_equal(why, "no RADIUS Class and its name matches no tenant name");
	assert_string_equal(user, "Contoso\\JohnDoe");
	assert_int_equal(out[0], TENET_RADIUS_ACCESS_REJECT);
	assert_int_equal(tenet_radius_verify_reply(f.creq, out, ol, f.r.secret, &err), 0);
	assert_false(tenet_radius_attr(out, TENET_RADIUS_EAP_MESSAGE, 0, &v, &vl));

	/* a challenge is no decision: it passes */
	assert_int_equal(tenet_radius_relay_request(eap_req1, sizeof(eap_req1), OP, f.r.secret, 4,
						    f.creq, sizeof(f.creq), &f.creql, &err), 0);
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err), 0);
	{
		struct tenet_radius_edit e = { .id = fwd[1] };

		assert_int_equal(tenet_radius_relay_reply(eap_req1, eap_chal1, sizeof(eap_chal1), OP,
							  OP, &e, rep, sizeof(rep), &rl, &err), 0);
	}
	assert_int_equal(ravpn_relay_reply(&f.r, &f.srv[0], rep, rl, out, &ol, &to, user,
					   sizeof(user), why, &err), 0);
	assert_string_equal(why, "");
	assert_int_equal(out[0], TENET_RADIUS_ACCESS_CHALLENGE);
	assert_int_equal(tenet_radius_verify_reply(f.creq, out, ol, f.r.secret, &err), 0);

	/* charon's request signed with another secret is not relayed */
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, eap_req1, sizeof(eap_req1), fwd, &fl,
					     &to, &err), -EACCES);
	/* no servers */
	assert_int_equal(ravpn_relay_set(&f.r, NULL, NULL, 0, NULL, 0), 0);
	assert_int_equal(ravpn_relay_request(&f.r, &f.peer, f.creq, f.creql, fwd, &fl, &to, &err),
			 -ENOENT);
	assert_string_equal(err.msg, "no RADIUS server configured");
	ravpn_relay_free(&f.r);
}

/* The pump over real sockets on loopback: "charon" and "the server" are
 * the test's own sockets. */
struct pump_seen {
	char user[256], why[TENET_ERR_LEN];
	int dropped;
};

static void pump_refused(void *arg, const char *user, const char *why)
{
	struct pump_seen *s = arg;

	snprintf(s->user, sizeof(s->user), "%s", user);
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void pump_dropped(void *arg, const char *what, const char *err)
{
	((struct pump_seen *)arg)->dropped++;
}

static int udp_lo(struct sockaddr_in *a)
{
	struct timeval tv = { .tv_sec = 2 };
	socklen_t al = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*a = sin4("127.0.0.1", 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &al), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* pump until fd has a datagram (the relay's sockets are nonblocking) */
static ssize_t pump_recv(struct ravpn_relay *r, int lfd, int ufd, const struct ravpn_relay_note *n,
			 int fd, uint8_t *buf, struct sockaddr_in *from)
{
	for (int i = 0; i < 200; i++) {
		socklen_t fl = sizeof(*from);
		ssize_t len;

		ravpn_relay_pump(r, lfd, ufd, n);
		len = recvfrom(fd, buf, TENET_RADIUS_MAX, MSG_DONTWAIT, (struct sockaddr *)from, &fl);
		if (len >= 0)
			return len;
		usleep(10000);
	}
	return -1;
}

static void test_relay_pump(void **state)
{
	static const char *const tenants[] = { "Woodgrove", "*Woodgrove*", "Contoso", "*Contoso*" };
	struct ravpn_relay r;
	struct pump_seen seen = { 0 };
	const struct ravpn_relay_note n = { .refused = pump_refused, .dropped = pump_dropped,
					    .arg = &seen };
	struct sockaddr_in ca, sa, relay, from;
	struct tenet_ravpn t[2] = { 0 };
	const struct tenet_ravpn *tp[2] = { &t[0], &t[1] };
	const char *secrets[] = { OP };
	uint8_t creq[TENET_RADIUS_MAX], buf[TENET_RADIUS_MAX], rep[TENET_RADIUS_MAX];
	size_t cl, rl;
	ssize_t len;
	int lfd, ufd, cfd, sfd;
	uint16_t port = 0;
	const uint8_t *v;
	uint8_t vl;
	struct tenet_err err = { 0 };

	(void)state;
	assert_int_equal(ravpn_relay_init(&r), 0);
	assert_int_equal(ravpn_relay_sockets(&lfd, &ufd, &port), 0);
	assert_true(port > 0);
	relay = sin4("127.0.0.1", port);
	cfd = udp_lo(&ca);              /* charon */
	sfd = udp_lo(&sa);              /* the operator's server */
	for (size_t i = 0; i < 2; i++) {
		snprintf(t[i].rdomain, sizeof(t[i].rdomain), "%s", tenants[2 * i]);
		snprintf(t[i].tenant, sizeof(t[i].tenant), "%s", tenants[2 * i + 1]);
	}
	assert_int_equal(ravpn_relay_set(&r, &sa, secrets, 1, tp, 2), 0);

	/* charon's request reaches the server, signed with its secret */
	assert_int_equal(tenet_radius_relay_request(eap_req2, sizeof(eap_req2), OP, r.secret, 9,
						    creq, sizeof(creq), &cl, &err), 0);
	assert_int_equal(sendto(cfd, creq, cl, 0, (struct sockaddr *)&relay, sizeof(relay)), (ssize_t)cl);
	len = pump_recv(&r, lfd, ufd, &n, sfd, buf, &from);
	assert_true(len > 0);
	assert_int_equal(tenet_radius_relay_request(buf, (size_t)len, OP, OP, buf[1], rep,
						    sizeof(rep), &rl, &err), 0);
	/* the server's Accept without Class reaches charon with Contoso's */
	rl = server_reply(buf, OP, NULL, rep);
	assert_int_equal(sendto(sfd, rep, rl, 0, (struct sockaddr *)&from, sizeof(from)), (ssize_t)rl);
	len = pump_recv(&r, lfd, ufd, &n, cfd, buf, &from);
	assert_true(len > 0);
	assert_true(from.sin_port == htons(port));
	assert_int_equal(tenet_radius_verify_reply(creq, buf, (size_t)len, r.secret, &err), 0);
	assert_true(tenet_radius_attr(buf, TENET_RADIUS_CLASS, 0, &v, &vl));
	assert_memory_equal(v, "TenantName=Contoso", 18);
	assert_int_equal(seen.dropped, 0);
	assert_string_equal(seen.why, "");

	/* a stray datagram on charon's side is dropped, said */
	assert_int_equal(sendto(cfd, "x", 1, 0, (struct sockaddr *)&relay, sizeof(relay)), 1);
	for (int i = 0; i < 200 && !seen.dropped; i++) {
		ravpn_relay_pump(&r, lfd, ufd, &n);
		usleep(10000);
	}
	assert_int_equal(seen.dropped, 1);
	close(cfd);
	close(sfd);
	close(lfd);
	close(ufd);
	ravpn_relay_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_mppe),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_relay_refuse),
		cmocka_unit_test(test_relay_pump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

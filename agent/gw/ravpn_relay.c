// SPDX-License-Identifier: GPL-2.0
/* The RADIUS relay between charon and the operator's servers (see
 * ravpn_relay.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>
#include <sys/socket.h>

#include <sodium.h>

#include "gw/ravpn_relay.h"

int ravpn_relay_init(struct ravpn_relay *r)
{
	uint8_t b[16];

	memset(r, 0, sizeof(*r));
	/* the secret's randomness and the servers' locked memory */
	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(r->secret, sizeof(r->secret), b, sizeof(b));
	sodium_memzero(b, sizeof(b));
	return 0;
}

static void drop_servers(struct ravpn_relay *r)
{
	for (size_t i = 0; i < r->nsrv; i++)
		sodium_free(r->srv[i].secret);
	r->nsrv = 0;
}

void ravpn_relay_free(struct ravpn_relay *r)
{
	drop_servers(r);
	free(r->tenants);
	r->tenants = NULL;
	r->ntenants = 0;
	sodium_memzero(r->secret, sizeof(r->secret));
}

int ravpn_relay_set(struct ravpn_relay *r, const struct sockaddr_in *addr,
		    const char *const *secret, size_t nsrv, const struct tenet_ravpn *const *t,
		    size_t nt)
{
	struct tenet_ravpn *tc = calloc(nt ? nt : 1, sizeof(*tc));

	if (!tc)
		return -ENOMEM;
	if (nsrv > RAVPN_RELAY_SERVERS) {
		free(tc);
		return -E2BIG;
	}
	drop_servers(r);
	for (size_t i = 0; i < nsrv; i++) {
		size_t l = strlen(secret[i]) + 1;

		r->srv[i].secret = sodium_malloc(l);
		if (!r->srv[i].secret) {
			free(tc);
			return -ENOMEM;
		}
		memcpy(r->srv[i].secret, secret[i], l);
		r->srv[i].addr = addr[i];
		r->nsrv = i + 1;
	}
	for (size_t i = 0; i < nt; i++)
		tc[i] = *t[i];
	free(r->tenants);
	r->tenants = tc;
	r->ntenants = nt;
	return 0;
}

static bool same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

int ravpn_relay_request(struct ravpn_relay *r, const struct sockaddr_in *peer, const uint8_t *in,
			size_t len, uint8_t *out, size_t *outlen, struct sockaddr_in *to,
			struct tenet_err *err)
{
	struct ravpn_relay_pending *p = NULL;
	const uint8_t *v;
	uint8_t vl;
	int ret = tenet_radius_check(in, len, err), slot = -1;

	if (ret < 0)
		return ret;
	if (!r->nsrv)
		return tenet_err_set(err, -ENOENT, "no RADIUS server configured");
	/* charon retransmits with the same identifier and authenticator:
	 * the same slot, the next server */
	for (int i = 0; i < RAVPN_RELAY_PENDING && slot < 0; i++)
		if (r->p[i].used && r->p[i].id == in[1] && same_addr(&r->p[i].peer, peer) &&
		    !memcmp(r->p[i].auth, in + 4, 16))
			slot = i;
	if (slot >= 0) {
		p = &r->p[slot];
		p->srv = (p->srv + 1) % r->nsrv;
	} else {
		for (int i = 0; i < RAVPN_RELAY_PENDING && slot < 0; i++) {
			const struct ravpn_relay_pending *q = &r->p[(uint8_t)(r->next + i)];

			if (!q->used || r->now - q->at > RAVPN_RELAY_STALE_MS)
				slot = (uint8_t)(r->next + i);
		}
		if (slot < 0)
			return tenet_err_set(err, -EBUSY, "%d RADIUS requests in flight",
					     RAVPN_RELAY_PENDING);
		r->next = (uint8_t)(slot + 1);
		p = &r->p[slot];
		*p = (struct ravpn_relay_pending){ .peer = *peer, .id = in[1], .at = r->now };
		memcpy(p->auth, in + 4, 16);
		if (tenet_radius_attr(in, TENET_RADIUS_USER_NAME, 0, &v, &vl))
			snprintf(p->user, sizeof(p->user), "%.*s", (int)vl, (const char *)v);
	}
	p->srv %= r->nsrv;              /* the servers may have changed */
	ret = tenet_radius_relay_request(in, len, r->secret, r->srv[p->srv].secret, (uint8_t)slot,
					 out, TENET_RADIUS_MAX, outlen, err);
	if (ret < 0) {
		p->used = false;
		return ret;
	}
	p->used = true;
	*to = r->srv[p->srv].addr;
	return 0;
}

/* The edit an Accept gets: a TenantName Class wins; else the tenant the
 * user name picks, or a Reject with why. */
static void decide(const struct ravpn_relay *r, const uint8_t *in, const char *user,
		   struct tenet_radius_edit *e, char *cls, size_t clslen, char *why)
{
	const struct tenet_ravpn **t;
	struct tenet_err err = { 0 };
	const uint8_t *v;
	uint8_t vl;
	int k;

	if (in[0] != TENET_RADIUS_ACCESS_ACCEPT)
		return;
	for (unsigned n = 0; tenet_radius_attr(in, TENET_RADIUS_CLASS, n, &v, &vl); n++)
		if (tenet_ravpn_class_names_tenant(v, vl))
			return;
	t = calloc(r->ntenants ? r->ntenants : 1, sizeof(*t));
	if (!t) {
		e->reject = true;
		snprintf(why, TENET_ERR_LEN, "out of memory");
		return;
	}
	for (size_t i = 0; i < r->ntenants; i++)
		t[i] = &r->tenants[i];
	k = tenet_ravpn_pick(user, t, r->ntenants, &err);
	if (k < 0) {
		e->reject = true;
		snprintf(why, TENET_ERR_LEN, "%s", err.msg);
	} else {
		snprintf(cls, clslen, TENET_RAVPN_CLASS_PFX "%s", t[k]->rdomain);
		e->add_class = cls;
	}
	free(t);
}

int ravpn_relay_reply(struct ravpn_relay *r, const struct sockaddr_in *from, const uint8_t *in,
		      size_t len, uint8_t *out, size_t *outlen, struct sockaddr_in *to,
		      char *user, size_t userlen, char *why, struct tenet_err *err)
{
	struct ravpn_relay_pending *p;
	struct tenet_radius_edit e = { 0 };
	uint8_t req[TENET_RADIUS_HDR];
	char cls[TENET_NAME_MAX + sizeof(TENET_RAVPN_CLASS_PFX)];
	int ret;

	why[0] = '\0';
	if (len < TENET_RADIUS_HDR)
		return tenet_err_set(err, -EBADMSG, "RADIUS packet of %zu bytes", len);
	p = &r->p[in[1]];
	if (!p->used || p->srv >= r->nsrv || !same_addr(&r->srv[p->srv].addr, from))
		return tenet_err_set(err, -ENOENT, "RADIUS reply of id %u to no request of ours", in[1]);
	/* the request as the server saw it: our identifier, charon's
	 * authenticator */
	memset(req, 0, sizeof(req));
	req[0] = TENET_RADIUS_ACCESS_REQUEST;
	req[1] = in[1];
	memcpy(req + 4, p->auth, 16);
	ret = tenet_radius_verify_reply(req, in, len, r->srv[p->srv].secret, err);
	if (ret < 0)
		return ret;             /* a forged reply leaves the request waiting */
	decide(r, in, p->user, &e, cls, sizeof(cls), why);
	e.id = p->id;
	ret = tenet_radius_relay_reply(req, in, len, r->srv[p->srv].secret, r->secret, &e, out,
				       TENET_RADIUS_MAX, outlen, err);
	if (ret < 0)
		return ret;
	*to = p->peer;
	snprintf(user, userlen, "%s", p->user);
	p->used = false;
	return 0;
}

int ravpn_relay_sockets(int *lfd, int *ufd, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int ret = 0;

	*lfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	*ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*lfd < 0 || *ufd < 0 || bind(*lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(*lfd, (struct sockaddr *)&a, &al) < 0)
		ret = -errno;
	if (ret < 0) {
		if (*lfd >= 0)
			close(*lfd);
		if (*ufd >= 0)
			close(*ufd);
		*lfd = *ufd = -1;
		return ret;
	}
	*port = ntohs(a.sin_port);
	return 0;
}

#define PUMP_BATCH 64

void ravpn_relay_pump(struct ravpn_relay *r, int lfd, int ufd, const struct ravpn_relay_note *n)
{
	uint8_t in[TENET_RADIUS_MAX], out[TENET_RADIUS_MAX];

	for (int i = 0; i < PUMP_BATCH; i++) {
		struct sockaddr_in from, to;
		socklen_t fl = sizeof(from);
		struct tenet_err err = { 0 };
		ssize_t len = recvfrom(lfd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		size_t ol;

		if (len < 0)
			break;
		if (ravpn_relay_request(r, &from, in, (size_t)len, out, &ol, &to, &err) < 0)
			n->dropped(n->arg, "charon's request", err.msg);
		else if (sendto(ufd, out, ol, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			n->dropped(n->arg, "to the server", strerror(errno));
	}
	for (int i = 0; i < PUMP_BATCH; i++) {
		struct sockaddr_in from, to;
		socklen_t fl = sizeof(from);
		struct tenet_err err = { 0 };
		char user[254], why[TENET_ERR_LEN];
		ssize_t len = recvfrom(ufd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
		size_t ol;

		if (len < 0)
			break;
		if (ravpn_relay_reply(r, &from, in, (size_t)len, out, &ol, &to, user, sizeof(user),
				      why, &err) < 0) {
			n->dropped(n->arg, "a server's reply", err.msg);
			continue;
		}
		if (why[0])
			n->refused(n->arg, user, why);
		if (sendto(lfd, out, ol, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			n->dropped(n->arg, "to charon", strerror(errno));
	}
}

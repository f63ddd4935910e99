/* SPDX-License-Identifier: GPL-2.0 */
/* tenetd as the RADIUS server charon's eap-radius talks to (docs/vpn.md,
 * "Tenant by user name"): charon sends its Access-Requests to the relay
 * with a per-boot secret; the relay numbers them, signs them with the
 * operator's secret and sends them to the operator's servers (the next
 * one on each retransmission); a reply is verified, and an Access-Accept
 * with no TenantName Class gets the Class of the one tenant whose
 * tenant-name matches the user name, or becomes an Access-Reject with
 * the reason. The packet work is lib/radius; this is its state. The
 * functions take packets, not sockets, so tests drive them directly. */
#ifndef TENETD_GW_RAVPN_RELAY_H
#define TENETD_GW_RAVPN_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "kinds/ravpn.h"
#include "radius/radius.h"

#define RAVPN_RELAY_SERVERS 8
#define RAVPN_RELAY_PENDING 256         /* the identifier space */

struct ravpn_relay_pending {
	bool used;
	struct sockaddr_in peer;        /* charon's socket */
	uint8_t id;                     /* charon's identifier */
	uint8_t auth[16];               /* the Request Authenticator (both sides) */
	unsigned srv;                   /* the server it went to last */
	uint64_t at;                    /* r->now when it came */
	char user[254];                 /* User-Name, "" none */
};

struct ravpn_relay {
	char secret[33];                /* charon's: 32 hex digits, per boot */
	struct {
		struct sockaddr_in addr;
		char *secret;           /* sodium_malloc'd */
	} srv[RAVPN_RELAY_SERVERS];
	size_t nsrv;
	struct tenet_ravpn *tenants;    /* copies: rdomain and tenant-name count */
	size_t ntenants;
	struct ravpn_relay_pending p[RAVPN_RELAY_PENDING];
	uint8_t next;
	/* the caller's clock (ms): a request no server answered within
	 * RAVPN_RELAY_STALE_MS gives its identifier back (charon gave up
	 * after its retransmissions long before) */
	uint64_t now;
};

#define RAVPN_RELAY_STALE_MS 60000

/* A relay with a fresh secret and no servers. -EIO: libsodium failed. */
int ravpn_relay_init(struct ravpn_relay *r);
/* Its servers (secrets copied into locked memory) and tenants (copied);
 * requests in flight stay. -ENOMEM, -E2BIG over RAVPN_RELAY_SERVERS. */
int ravpn_relay_set(struct ravpn_relay *r, const struct sockaddr_in *addr,
		    const char *const *secret, size_t nsrv, const struct tenet_ravpn *const *t,
		    size_t nt);
void ravpn_relay_free(struct ravpn_relay *r);

/* A request from charon at peer: out (TENET_RADIUS_MAX bytes) is to go to
 * *to. A retransmission goes to the next server under the same
 * identifier. -ENOENT no server, -EBUSY all identifiers in flight, or the
 * codec's errors. */
int ravpn_relay_request(struct ravpn_relay *r, const struct sockaddr_in *peer, const uint8_t *in,
			size_t len, uint8_t *out, size_t *outlen, struct sockaddr_in *to,
			struct tenet_err *err);

/* A reply from a server at from: out is to go to charon at *to. why (at
 * least TENET_ERR_LEN bytes) is "" or the reason the Accept became a
 * Reject; user the request's User-Name. -ENOENT for no request of ours
 * from that server (dropped), or the codec's errors. */
int ravpn_relay_reply(struct ravpn_relay *r, const struct sockaddr_in *from, const uint8_t *in,
		      size_t len, uint8_t *out, size_t *outlen, struct sockaddr_in *to,
		      char *user, size_t userlen, char *why, struct tenet_err *err);

/* The relay's sockets, nonblocking: charon's side bound to 127.0.0.1 on
 * a port of the kernel's choosing (*port), the servers' side unbound.
 * -errno; nothing left open then. */
int ravpn_relay_sockets(int *lfd, int *ufd, uint16_t *port);

/* What the pump has to say: an Accept turned into a Reject (user, why),
 * or a packet dropped (err). */
struct ravpn_relay_note {
	void (*refused)(void *arg, const char *user, const char *why);
	void (*dropped)(void *arg, const char *what, const char *err);
	void *arg;
};

/* Relays what waits: charon's requests on lfd to the servers over ufd,
 * the servers' replies on ufd to charon over lfd; at most a batch of
 * each per call (the caller's poll is level-triggered). */
void ravpn_relay_pump(struct ravpn_relay *r, int lfd, int ufd, const struct ravpn_relay_note *n);

#endif

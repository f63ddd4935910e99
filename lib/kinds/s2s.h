/* SPDX-License-Identifier: GPL-2.0 */
/* Site-to-site VPN (per gateway host): S2S interfaces, the Linux analogue
 * of Add-VpnS2SInterface, and the public keys secrets are sealed to. The
 * rows of the registry are in s2s.c; the kernel and charon names derived
 * from an interface's id are defined here so the CLI, the agent and the
 * later gateway features (rate limits, filters, BGP trigger routes) agree
 * on them. See docs/vpn.md. */
#ifndef TENET_KINDS_S2S_H
#define TENET_KINDS_S2S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kinds/rate.h"
#include "secret/secret.h"
#include "util/errmsg.h"
#include "util/parse.h"

/* Interface ids are per host, 1..TENET_S2S_ID_MAX. */
#define TENET_S2S_ID_MAX 50000u
/* The XFRM interface of id N: device "ts<N>", if_id TENET_S2S_IFID_BASE + N
 * (a range of its own, clear of small if_ids an operator might use). */
#define TENET_S2S_DEV_PFX "ts"
#define TENET_S2S_IFID_BASE 0x7e530000u
/* ifalias of every XFRM interface the agent creates: this + the name. */
#define TENET_S2S_ALIAS_PFX "tenet-s2s:"
/* charon names: connection "tenet-s2s-<name>", its child
 * "net-<digest of the configuration>", shared secret
 * "tenet-s2s-<name>-<digest of the sealed text>". */
#define TENET_S2S_CONN_PFX "tenet-s2s-"

#define TENET_S2S_DEST_MAX 127          /* an IPv4 address or a DNS name */
#define TENET_S2S_PEER_MAX 127          /* a subject DN or an EAP user name */
#define TENET_S2S_SEALED_MAX 511        /* sealed text of a secret */
#define TENET_S2S_SECRET_MAX 128        /* bytes of a PSK or EAP password */
#define TENET_S2S_ROUTES_MAX 32         /* per list (routes, postconnect) */
#define TENET_S2S_METRIC_DEFAULT 100
#define TENET_S2S_METRIC_MAX 65535u
#define TENET_S2S_DPD_DEFAULT 10        /* seconds; 0 = off */
#define TENET_S2S_RETRY_DEFAULT 30      /* seconds between redials */
#define TENET_PUBKEY_LEN 44        /* base64 of an X25519 public key */

enum tenet_s2s_auth {
	TENET_S2S_PSK = 0,              /* the peer's address picks the interface */
	TENET_S2S_CERT,                 /* the certificate's subject does */
	TENET_S2S_EAP,                  /* the authenticated user name does */
};

enum tenet_s2s_mode {
	TENET_S2S_BOTH = 0,             /* dials on demand and accepts */
	TENET_S2S_INITIATOR,            /* dials on demand (and accepts) */
	TENET_S2S_RESPONDER,            /* never dials: routes only while connected */
};

struct tenet_s2s_route {
	struct tenet_prefix prefix;
	uint32_t metric;
};

struct tenet_s2s {
	char host[TENET_NAME_MAX + 1];
	char name[TENET_NAME_MAX + 1];  /* IfWe1 */
	char rdomain[TENET_NAME_MAX + 1];
	uint32_t id;                    /* per host; assigned at creation */
	char destination[TENET_S2S_DEST_MAX + 1];
	uint32_t source;                /* network order; 0 = any */
	int auth;                       /* enum tenet_s2s_auth */
	char peer[TENET_S2S_PEER_MAX + 1];      /* cert: subject; eap: user */
	char secret[TENET_S2S_SEALED_MAX + 1];  /* psk, eap: sealed text */
	int mode;                       /* enum tenet_s2s_mode */
	uint32_t dpd;                   /* dead peer detection delay, seconds */
	uint32_t retry;                 /* redial interval while unreachable */
	uint16_t nroutes, npost;
	/* Static routes (present while the interface is usable: they trigger
	 * dialing) and post-connection routes (only while connected). */
	struct tenet_s2s_route routes[TENET_S2S_ROUTES_MAX];
	struct tenet_s2s_route post[TENET_S2S_ROUTES_MAX];
	/* Not set: TENET_RATE_S2S_DEFAULT_KBPS each way (kinds/rate.h). */
	struct tenet_rate rate;
};

/* The public half of a host's key (lib/secret), which secrets for that
 * host are sealed to: its agent publishes it at start, under
 * /tenet/v1/host/<host>/pubkey/x25519. */
struct tenet_pubkey {
	char host[TENET_NAME_MAX + 1];
	char id[TENET_KEY_ID_LEN + 1];          /* 16 hex digits */
	char pubkey[TENET_PUBKEY_LEN + 1];      /* base64 */
};

const char *tenet_s2s_auth_name(int auth);
const char *tenet_s2s_mode_name(int mode);
int tenet_s2s_auth_parse(const char *s, int *auth, struct tenet_err *err);
int tenet_s2s_mode_parse(const char *s, int *mode, struct tenet_err *err);

/* Kernel and charon names of interface id / name. */
int tenet_s2s_devname(uint32_t id, char *buf, size_t len);
static inline uint32_t tenet_s2s_ifid(uint32_t id)
{
	return TENET_S2S_IFID_BASE + id;
}
/* "tenet-s2s-<name>". */
int tenet_s2s_conn_name(const char *name, char *buf, size_t len);
/* The interface name of a charon connection name of tenet's; NULL if it
 * is not one. */
const char *tenet_s2s_conn_iface(const char *conn);

/* Where the secret of an interface is sealed to: the record key and the
 * field, "/tenet/v1/host/<host>/s2s/<name>#secret". */
int tenet_s2s_secret_context(const char *host, const char *name, char *buf, size_t len);

/* A destination: an IPv4 address (*addr set) or a DNS name (*addr 0). */
int tenet_s2s_parse_destination(const char *s, uint32_t *addr, struct tenet_err *err);
/* An X.500 subject as strongSwan reads it: "C=US, O=Woodgrove, CN=ny"
 * (RDNs separated by ',' or '/', each TYPE=value with a known TYPE). */
int tenet_s2s_check_subject(const char *s, struct tenet_err *err);
/* An EAP user name: printable, no white space, 1..TENET_S2S_PEER_MAX. */
int tenet_s2s_check_user(const char *s, struct tenet_err *err);
/* PREFIX[:METRIC] (the cmdlet's "10.1.0.0/24:100"). */
int tenet_s2s_parse_route(const char *s, struct tenet_s2s_route *r, struct tenet_err *err);

/* In a compartment's delete (lib/kinds/gateway.c): the S2S interfaces
 * of its routing domain on its host go with it. */
struct pctx;
int pol_del_s2s(struct pctx *c, const char *host, const char *rdomain);

#endif

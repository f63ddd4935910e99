/* SPDX-License-Identifier: GPL-2.0 */
/* What tenetd tells charon about an S2S interface, as VICI messages
 * (lib/vici): the connection (load-conn) and its shared secret
 * (load-shared). Pure functions of the record and the gateway's own
 * settings, unit-tested against the exact messages; docs/vpn.md explains
 * each choice. */
#ifndef TENETD_GW_IPSEC_CONF_H
#define TENETD_GW_IPSEC_CONF_H

#include <jansson.h>

#include "kinds/s2s.h"
#include "secret/secret.h"

/* The gateway's own side, from tenetd.conf: its certificate (PEM; needed
 * by cert and EAP interfaces, which it authenticates with) and the
 * provider's root certificates that every peer certificate must chain to. */
struct ipsec_gw {
	const char *cert_pem;           /* NULL: none */
	const char *ca_pem;             /* NULL: none */
};

/* Child names are "net-" and 16 hex digits of the configuration's hash:
 * list-conns shows them, so a restarted agent sees whether what charon
 * holds is what the store wants without reloading it. */
#define IPSEC_CHILD_LEN 21

/* The child name of the configuration for s. */
int ipsec_child_name(const struct tenet_s2s *s, const struct ipsec_gw *gw,
		     char child[IPSEC_CHILD_LEN], struct tenet_err *err);

/* load-conn's message: { "tenet-s2s-<name>": { ... } }. -EINVAL (with a
 * line) when the gateway lacks what the method needs (a certificate). */
int ipsec_conn_msg(const struct tenet_s2s *s, const struct ipsec_gw *gw, json_t **out,
		   struct tenet_err *err);

/* The id of the interface's shared secret in charon,
 * "tenet-s2s-<name>-<16 hex digits of a hash of the sealed text>": a new
 * secret is a new id. */
int ipsec_secret_id(const struct tenet_s2s *s, char *buf, size_t len);
/* The interface a secret id of tenet's belongs to (into name); -EINVAL
 * if it is not one. */
int ipsec_secret_iface(const char *id, char *name, size_t len);

/* load-shared's message for the opened secret. The caller wipes and frees
 * it (vici_wipe) after sending. */
json_t *ipsec_shared_msg(const char *id, const struct tenet_s2s *s,
			 const struct tenet_secret *secret);

#endif

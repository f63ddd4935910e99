/* SPDX-License-Identifier: GPL-2.0 */
/* The ravpn reconciler: remote-access VPN of this host's tenants
 * (docs/vpn.md, "Remote access"). Per tenant (a ravpn record of a routing
 * domain whose compartment C is on this host, VRF tvrfC, table 10000+C):
 *
 *   traC     XFRM interface, if_id 0x7e520000+C, enslaved to tvrfC, alias
 *            "tenet-ra:<rdomain>", MTU 1438
 *   pools    "tenet-ra-<rdomain>-4-<hash>" (and -6-) in charon (load-pool)
 *   conn     "tenet-ra-<rdomain>" in charon (load-conn): EAP through
 *            RADIUS, the group "TenantName=<rdomain>" required, child
 *            "ra-<hash>" with the tenant's if_id
 *   routes   in table 10000+C, protocol 118: each connected user's
 *            virtual IP (/32, /128) through traC, from charon's SAs; the
 *            pools (IPv4 and IPv6) unreachable, so an address no user
 *            holds is refused at the gateway, not routed elsewhere
 *
 * and per host the eap-radius section of strongswan.conf (the file
 * ravpn_radius_conf of tenetd.conf, mode 0600, then reload-settings).
 * It follows charon's ike-updown events (a round follows each: the users'
 * routes) and refuses (terminates, with a log line) a user over its
 * tenant's max or the gateway's cap. The
 * kernel and charon side is struct ravpn_ops: ravpn_kernel.c, or a fake
 * (selftests/unit/test_ravpn.c). */
#ifndef TENETD_GW_RAVPN_H
#define TENETD_GW_RAVPN_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "gw/ipsec.h"
#include "gw/ravpn_conf.h"
#include "recon/recon.h"

enum ravpn_obj {
	RAVPN_LINK,     /* traC */
	RAVPN_POOL,     /* a pool in charon */
	RAVPN_CONN,     /* a connection in charon */
	RAVPN_ROUTE,    /* IPv4: the pool (unreachable), a user's /32 via traC */
	RAVPN_ROUTE6,   /* IPv6: the pool6 (unreachable), a user's /128 */
	RAVPN_RADIUS,   /* the eap-radius settings */
	RAVPN_NOBJ,
};

struct ravpn_link_key {
	__u32 cid;
};

struct ravpn_link_val {
	__u32 if_id;
	__u32 vrf;
	char name[TENET_NAME_MAX + 1];  /* the routing domain, in the alias */
};

struct ravpn_name_key {                 /* RAVPN_POOL, RAVPN_CONN */
	char name[RAVPN_NAME_LEN];
};

struct ravpn_pool_val {
	__u8 one;
	__u8 v6;                        /* not compared */
	__u8 pad[2];
	struct tenet_ravpn ra;
};

struct ravpn_conn_val {
	char child[RAVPN_NAME_LEN];
	/* not compared */
	__u32 cid;
	struct tenet_ravpn ra;
};

/* RAVPN_ROUTE's key and value are the ipsec reconciler's (an empty dev:
 * unreachable); RAVPN_ROUTE6's: */
struct ravpn_route6_key {
	__u32 table;
	__u8 dst[16];
	__u8 plen;
	__u8 pad[3];
};

typedef int (*ravpn_route6_cb)(const struct ravpn_route6_key *k, const struct ipsec_route_val *v,
			       void *arg);

struct ravpn_radius_val {
	char digest[24];                /* of the servers and their sealed secrets */
};

/* The kernel and charon: the ipsec reconciler's ops (XFRM links, VICI)
 * with the routes of protocol TENET_RTPROT_RA (a dev "": unreachable). */
struct ravpn_ops {
	const struct ipsec_ops *k;
	void *rctx;
	int (*route_dump)(void *rctx, ipsec_route_cb cb, void *arg);
	int (*route_set)(void *rctx, const struct ipsec_route_key *k,
			 const struct ipsec_route_val *v);
	int (*route_del)(void *rctx, const struct ipsec_route_key *k);
	int (*route6_dump)(void *rctx, ravpn_route6_cb cb, void *arg);
	int (*route6_set)(void *rctx, const struct ravpn_route6_key *k,
			  const struct ipsec_route_val *v);
	int (*route6_del)(void *rctx, const struct ravpn_route6_key *k);
	/* Write the eap-radius settings (text) where charon reads them. */
	int (*radius_write)(void *rctx, const char *text);
};

extern const struct reconciler gw_ravpn_reconciler;

int ravpn_kernel_open(struct ravpn_ops **ops, const char *socket, const char *radius_conf);
void ravpn_kernel_close(struct ravpn_ops *ops);

/* For ops that are not the real ones (tests): host keys, the gateway's
 * certificate (PEM). */
int ravpn_setup(struct recon *rc, struct tenet_hostkey *const *keys, size_t nkeys,
		const char *cert_pem);

/* What to do about a user who just connected: 0 keep, else the limit it
 * is over (*what: "the tenant's max" or "the gateway's cap"). Counts
 * are of connected users, the new one included. */
uint32_t ravpn_over_limit(uint32_t tenant_n, uint32_t tenant_max, uint32_t gw_n,
			  uint32_t gw_max, const char **what);

#endif

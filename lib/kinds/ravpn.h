/* SPDX-License-Identifier: GPL-2.0 */
/* Multi-tenant remote-access VPN (per gateway host; docs/vpn.md, "Remote
 * access"): per routing domain the clients' address pool, the tenant name
 * users are matched against, DNS servers and a connection limit (ravpn);
 * the RADIUS servers that authenticate the users (ravpnradius); the
 * gateway-wide connection cap (ravpngw). The rows of the registry are in
 * ravpn.c; the kernel and charon names derived from a tenant's
 * compartment are defined here so the CLI and the agent agree on them. */
#ifndef TENET_KINDS_RAVPN_H
#define TENET_KINDS_RAVPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kinds/rate.h"
#include "util/errmsg.h"
#include "util/parse.h"

/* The XFRM interface of the tenant whose compartment has id C: device
 * "tra<C>", if_id TENET_RAVPN_IFID_BASE + C, alias "tenet-ra:<rdomain>". */
#define TENET_RAVPN_DEV_PFX "tra"
#define TENET_RAVPN_IFID_BASE 0x7e520000u
#define TENET_RAVPN_ALIAS_PFX "tenet-ra:"
/* charon names: connection and pool "tenet-ra-<rdomain>". */
#define TENET_RAVPN_CONN_PFX "tenet-ra-"
/* The RADIUS Class value that selects a tenant, "TenantName=<rdomain>":
 * charon's eap-radius makes it a group (class_group) the tenant's
 * connection requires. */
#define TENET_RAVPN_CLASS_PFX "TenantName="

#define TENET_RAVPN_PATTERN_MAX 63      /* tenant-name */
#define TENET_RAVPN_POOL6_MAX 63        /* an IPv6 prefix as text */
#define TENET_RAVPN_DNS_MAX 4
#define TENET_RAVPN_MAX_CONN 100000u    /* max, per tenant and gateway */
#define TENET_RAVPN_SEALED_MAX 511
#define TENET_RAVPN_RADIUS_PORT 1812

struct tenet_ravpn_dns {
	uint32_t addr;                  /* network order */
};

struct tenet_ravpn {
	char host[TENET_NAME_MAX + 1];
	char rdomain[TENET_NAME_MAX + 1];
	struct tenet_prefix pool;       /* IPv4 pool; len 0: none */
	char pool6[TENET_RAVPN_POOL6_MAX + 1];  /* "" none */
	/* Users whose name matches it ('*' any run of characters, case
	 * ignored) are this tenant's; "" none (RADIUS Class only). */
	char tenant[TENET_RAVPN_PATTERN_MAX + 1];
	uint32_t max;                   /* connected users; 0 no limit */
	uint16_t ndns;
	struct tenet_ravpn_dns dns[TENET_RAVPN_DNS_MAX];
	/* The aggregate of all its users, on traC (kinds/rate.h): tx what
	 * the gateway sends to them, rx what it receives from them. Not
	 * set: none (unlimited). */
	struct tenet_rate rate;
};

struct tenet_ravpnradius {
	char host[TENET_NAME_MAX + 1];
	uint32_t server;                /* network order */
	uint16_t port;
	char secret[TENET_RAVPN_SEALED_MAX + 1];       /* sealed text */
};

struct tenet_ravpngw {
	char host[TENET_NAME_MAX + 1];
	uint32_t max;                   /* connected users of all tenants; 0 none */
};

/* Whether user matches pattern ('*' any run, case ignored). */
bool tenet_ravpn_match(const char *pattern, const char *user);
/* Whether two tenant names clash: one matches the other read as a user
 * name, with or without its stars (equal, or one takes in the other:
 * *Cont* and *Contoso*, Cont* and *Contoso*). */
bool tenet_ravpn_overlap(const char *a, const char *b);
/* Whether a RADIUS Class value (len bytes, not NUL-terminated) selects a
 * tenant: "TenantName=<something>", what charon's class_group makes the
 * group a tenant's connection requires. Such a Class wins over the user
 * name (docs/vpn.md, "Tenant by user name"). */
bool tenet_ravpn_class_names_tenant(const void *data, size_t len);
/* The tenant of a user whose RADIUS Accept has no TenantName Class: the
 * index in t[0..n) of the one tenant whose tenant-name matches user
 * (tenants without one are skipped). -ENOENT when none matches, -EEXIST
 * when two do (unique names cannot exclude that: "ContosoWoodgrove"
 * takes in *Contoso* and *Woodgrove*); err says why, to be logged as the
 * reason of the refusal. */
int tenet_ravpn_pick(const char *user, const struct tenet_ravpn *const *t, size_t n,
		     struct tenet_err *err);
/* A tenant-name pattern: printable, no white space, quotes or '\'
 * ('@' is allowed); at least one character that is not '*'. */
int tenet_ravpn_check_pattern(const char *s, struct tenet_err *err);
/* An IPv6 prefix "fd00:10::/64": length 64..126, no host bits. */
int tenet_ravpn_check_pool6(const char *s, struct tenet_err *err);
/* SERVER[:PORT]. */
int tenet_ravpn_parse_server(const char *s, uint32_t *addr, uint16_t *port,
			     struct tenet_err *err);

int tenet_ravpn_devname(uint32_t cid, char *buf, size_t len);
static inline uint32_t tenet_ravpn_ifid(uint32_t cid)
{
	return TENET_RAVPN_IFID_BASE + cid;
}
/* "tenet-ra-<rdomain>"; the routing domain of such a name or NULL. */
int tenet_ravpn_conn_name(const char *rdomain, char *buf, size_t len);
const char *tenet_ravpn_conn_rdomain(const char *conn);
/* "/tenet/v1/host/<host>/ravpnradius/<a.b.c.d>_<port>#secret". */
int tenet_ravpn_secret_context(const char *host, uint32_t server, uint16_t port, char *buf,
			       size_t len);

/* In a compartment's delete: the routing domain's RA configuration on its
 * host goes with it. */
struct pctx;
int pol_del_ravpn(struct pctx *c, const char *host, const char *rdomain);

#endif

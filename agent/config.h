/* SPDX-License-Identifier: GPL-2.0 */
/* tenetd's configuration: /etc/tenet/tenetd.conf, overridden by flags.
 * The file is `key = value` lines; # starts a comment. Keys: host,
 * underlay, store, bpffs, debug, flowid, decap, learn_age, strict_source,
 * delete_guard_percent, delete_guard_min, hostkey, vici, ipsec_cert,
 * ipsec_key, ipsec_ca, ravpn_radius_conf, frr. */
#ifndef TENETD_CONFIG_H
#define TENETD_CONFIG_H

#include <limits.h>
#include <stdbool.h>

#include "util/errmsg.h"
#include "util/parse.h"

#define TENETD_CONF_DEFAULT "/etc/tenet/tenetd.conf"
#define TENETD_BPFFS_DEFAULT "/sys/fs/bpf"
#define TENETD_HOSTKEY_DEFAULT "/var/lib/tenet/hostkey"

/* Where NVGRE is decapsulated on the underlay (docs/agent.md). */
enum decap_mode {
	DECAP_AUTO,     /* TC on veth and where XDP would be generic, else XDP */
	DECAP_XDP,      /* XDP (native if the driver has it, else generic) */
	DECAP_TC,       /* TC ingress (clsact) */
};

const char *decap_mode_name(enum decap_mode m);

struct config {
	char host[TENET_NAME_MAX + 1];     /* default: the short host name */
	char underlay[TENET_IFNAME_MAX + 1]; /* "" : no XDP (ports only) */
	char store[PATH_MAX];              /* "" : TENET_STORE_DEFAULT */
	char bpffs[PATH_MAX];              /* pins under <bpffs>/tenet/<host>/v<N> */
	bool debug;
	/* FlowID in the GRE key (the low 8 bits): on by default; off makes
	 * every key exactly VSID << 8 (TENET_CFG_NO_FLOWID), which Linux
	 * gretap peers need because they match the whole 32-bit key. */
	bool flowid;
	enum decap_mode decap;
	/* Seconds after which a dynamic record this host holds is removed
	 * from the store when the datapath has not seen it again. */
	unsigned int learn_age;
	/* The mass-deletion guard (docs/agent.md, "Failure behaviour"): after
	 * a full re-read of the store, a round that would delete more than
	 * guard_percent % of a reconciler's objects, and at least guard_min
	 * of them, is refused until an operator confirms. 100: off. */
	unsigned int guard_percent;
	unsigned int guard_min;
	/* This host's key pair (secrets for this host are sealed to its
	 * public half, which the agent publishes); "" : none. */
	char hostkey[PATH_MAX];
	/* charon's VICI socket; "" : VICI_SOCKET_DEFAULT. */
	char vici[PATH_MAX];
	/* FRR's path space (its daemons' -N, vtysh -N): "" the default. */
	char frr[64];
	/* The gateway's certificate and private key (PEM), which it proves
	 * itself with to certificate and EAP peers, and the provider's root
	 * certificate(s) every peer certificate must chain to; "" : none. */
	char ipsec_cert[PATH_MAX];
	char ipsec_key[PATH_MAX];
	char ipsec_ca[PATH_MAX];
	/* Where tenetd writes charon's eap-radius settings (remote-access
	 * VPN; strongswan.conf includes it); "" : none. */
	char ravpn_radius_conf[PATH_MAX];
	/* NVGRE delivered only from the PA the lookup records hold for its
	 * sender (TENET_CFG_STRICT_SRC); off by default, as HNV trusts the
	 * provider network. */
	bool strict_source;
};

#define CONFIG_GUARD_PERCENT_DEFAULT 50
#define CONFIG_GUARD_MIN_DEFAULT 100

/* What the command line set; NULL/false = not given. Re-applied over
 * the file on every reload, so flags always win. */
struct config_flags {
	const char *config;
	/* Where the unnamed default lives (NULL: TENETD_CONF_DEFAULT); tests
	 * point it into a temp dir so an installed /etc file does not matter. */
	const char *default_config;
	const char *host;
	const char *underlay;
	const char *store;
	const char *bpffs;
	const char *flowid;                /* "on" or "off" (also yes/no, ...) */
	const char *decap;                 /* "auto", "xdp" or "tc" */
	bool debug;
	/* Deletions the guard would refuse in the first guarded round are
	 * confirmed (docs/agent.md, "Failure behaviour"). */
	bool accept_deletions;
};

/* Defaults, then the file (a missing file is fine unless it was named on
 * the command line), then the flags; validated. 0 or -errno with one line
 * in err naming the file:line or flag and the problem. */
int config_load(struct config *c, const struct config_flags *f, struct tenet_err *err);
const char *config_path(const struct config_flags *f);

#endif

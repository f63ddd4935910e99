/* SPDX-License-Identifier: GPL-2.0 */
/* The ipsec reconciler: site-to-site VPN interfaces of this host's
 * compartments (docs/vpn.md). Per S2S interface with id N in the
 * compartment of its routing domain (VRF tvrfC, table 10000+C):
 *
 *   tsN      XFRM interface, if_id 0x7e530000+N, enslaved to tvrfC, alias
 *            "tenet-s2s:<name>", MTU 1438; down while the interface is
 *            unreachable (its peer stopped answering)
 *   secret   the PSK or EAP password in charon (load-shared), id
 *            "tenet-s2s-<name>-<hash of the sealed text>", opened from the
 *            store with this host's key just before it is handed over
 *   conn     the connection "tenet-s2s-<name>" in charon (load-conn), child
 *            "net-<hash of the configuration>" with if_id in and out,
 *            0.0.0.0/0 selectors and a trap (dial on demand)
 *   routes   in table 10000+C through tsN with their metrics, protocol
 *            117: the static routes while the interface is usable (they
 *            trigger dialing; a responder's only while connected), the
 *            post-connection routes while it is connected
 *
 * It follows charon's events over VICI (tunnels up and down, peers that
 * stopped answering, refused connections with their reasons) and redials
 * unreachable interfaces; when charon restarts it reloads everything.
 * It reads the kernel and charon every round (RECON_OBSERVE_EACH). Its
 * kernel and charon side is struct ipsec_ops: ipsec_kernel.c (rtnetlink,
 * sysctls, VICI), or a fake (selftests/unit/test_ipsec.c). */
#ifndef TENETD_GW_IPSEC_H
#define TENETD_GW_IPSEC_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/types.h>

#include <jansson.h>

#include "gw/ipsec_conf.h"
#include "kinds/s2s.h"
#include "recon/recon.h"
#include "vici/vici.h"

enum ipsec_obj {
	IPSEC_LINK,     /* tsN */
	IPSEC_SECRET,   /* a shared secret in charon */
	IPSEC_CONN,     /* a connection in charon */
	IPSEC_ROUTE,    /* a route through tsN */
	IPSEC_NOBJ,
};

/* The MTU of the XFRM interfaces: the largest IPv4 packet an AES-GCM ESP
 * tunnel carries in 1500 bytes, NAT traversal's UDP header included (20
 * outer IP, 8 UDP, 8 ESP, 8 IV, 2 trailer, 16 ICV). Bigger overheads
 * (CBC ciphers, a smaller path MTU) are found by path MTU discovery: the
 * XFRM interface answers too big a packet with "fragmentation needed". */
#define IPSEC_MTU 1438

struct ipsec_link_key {
	__u32 id;                       /* tsN */
};

struct ipsec_link_val {
	__u32 if_id;
	__u32 vrf;                      /* compartment id of its VRF; 0 none */
	__u8 up;
	__u8 pad[3];
	char name[TENET_NAME_MAX + 1];  /* its interface, in the alias */
};

struct ipsec_name_key {                 /* IPSEC_SECRET, IPSEC_CONN */
	char name[TENET_NAME_MAX + 32];
};

struct ipsec_secret_val {
	__u8 one;
	__u8 pad[3];
	/* not compared: what loading it needs */
	struct tenet_s2s s2s;
};

struct ipsec_conn_val {
	char child[IPSEC_CHILD_LEN + 3];        /* the configuration's hash */
	/* not compared */
	__u8 initiate;                          /* dial once loaded */
	__u8 pad[3];
	struct tenet_s2s s2s;
};

struct ipsec_route_key {
	__u32 table;
	__be32 dst;
	__u8 plen;
	__u8 pad[3];
	__u32 metric;
};

struct ipsec_route_val {
	char dev[IF_NAMESIZE];
};

/* An XFRM interface as the ops report it. */
struct ipsec_link {
	char name[IF_NAMESIZE];
	char alias[64];
	char master[IF_NAMESIZE];       /* "" : none */
	uint32_t if_id;
	bool up;
};

typedef int (*ipsec_route_cb)(const struct ipsec_route_key *k, const struct ipsec_route_val *v,
			      void *arg);

/* Everything by device name; 0 or -errno. The charon side is VICI's:
 * one call shape for commands (on the command connection) and the next
 * event of the events connection. */
struct ipsec_ops {
	void *ctx;
	/* Every XFRM interface (malloc'd array). */
	int (*link_dump)(void *ctx, struct ipsec_link **out, size_t *n);
	int (*link_add)(void *ctx, const char *name, uint32_t if_id, uint32_t mtu,
			const char *alias);
	int (*link_del)(void *ctx, const char *name);
	/* master: a VRF's name, NULL to leave it. */
	int (*link_master)(void *ctx, const char *name, const char *master);
	int (*link_up)(void *ctx, const char *name, bool up);
	/* net.ipv4.conf.<dev>.<key> = val */
	int (*link_sysctl)(void *ctx, const char *name, const char *key, int val);
	/* tenet's S2S routes (protocol TENET_RTPROT_S2S). */
	int (*route_dump)(void *ctx, ipsec_route_cb cb, void *arg);
	int (*route_set)(void *ctx, const struct ipsec_route_key *k, const struct ipsec_route_val *v);
	int (*route_del)(void *ctx, const struct ipsec_route_key *k);
	/* Open the command and events connections and subscribe to the
	 * events; close them. */
	int (*vici_open)(void *ctx, struct tenet_err *err);
	void (*vici_close)(void *ctx);
	/* The events connection's fd; -1 when closed. */
	int (*vici_fd)(void *ctx);
	/* A command (see vici_call). */
	vici_call_fn vici_call;
	/* The next event: 0 with *name and *msg (the caller's), -EAGAIN when
	 * none is waiting, another -errno when the connection is gone. */
	int (*vici_event)(void *ctx, char **name, json_t **msg, struct tenet_err *err);
};

extern const struct reconciler gw_ipsec_reconciler;

/* The real ops (ipsec_kernel.c): rtnetlink, sysctls, and VICI at
 * socket (NULL or "": VICI_SOCKET_DEFAULT). */
int ipsec_kernel_open(struct ipsec_ops **ops, const char *socket);
void ipsec_kernel_close(struct ipsec_ops *ops);

/* The reconciler's own state for ops that are not the real ones (tests):
 * the host keys secrets are opened with and the gateway's credentials.
 * open() does the same from tenetd.conf. */
int ipsec_setup(struct recon *rc, struct tenet_hostkey *const *keys, size_t nkeys,
		const struct ipsec_gw *gw);

/* The state of one interface as the reconciler follows it. */
enum ipsec_tun_state {
	IPSEC_IDLE,             /* no tunnel; its routes dial on demand */
	IPSEC_UP,               /* connected */
	IPSEC_UNREACHABLE,      /* its peer did not answer: routes withdrawn,
				 * redialed every `retry` seconds */
};
/* -ENOENT for an interface it does not follow. */
int ipsec_tun_state(const struct recon *rc, const char *name);

/* The public key record the agent publishes for its host key. */
void ipsec_pubkey_record(const char *host, const struct tenet_hostkey *k,
			 struct tenet_pubkey *out);

#endif

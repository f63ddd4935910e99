/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the gateway commands (cli_gw.c, cli_nat.c) and their helpers:
 * running a command in a VRF and reading conntrack. */
#ifndef TENET_CLI_GW_H
#define TENET_CLI_GW_H

#include <errno.h>
#include <stdint.h>

#include "cli_int.h"

extern const struct cli_object cli_compartment, cli_nat, cli_exec, cli_s2s, cli_filter,
	cli_ravpn, cli_bgp;

/* A secret from file (or standard input: "-" or NULL; a terminal is asked
 * without echo, "WHAT for NAME: "), at most max bytes, sealed for host's
 * published key with context ctx into out: 0 or exit code 1, errors
 * naming it as `what` ("pre-shared key", "RADIUS secret"). cli/secret.c */
int cli_seal_secret(struct cli *c, const char *host, const char *what, const char *name,
		    const char *file, const char *ctx, size_t max, char *out, size_t outlen);

/* A device named on the command line must exist here: 0 or exit code 1. */
int cli_gw_check_dev(struct cli *c, const char *kw, const char *dev);

/* Run cmd with its sockets bound to VRF `vrf`: the process becomes
 * `ip vrf exec VRF CMD...`. Returns only on failure: -ENOENT when the VRF
 * is missing, -ENOPKG when ip is, else -errno; err says why. ip reports
 * its own failures (cgroup, BPF, CMD not found) on stderr. */
int tenet_vrf_exec(const char *vrf, char **cmd, struct tenet_err *err);

/* One conntrack entry, addresses and ports in network order. Ports are
 * those of port-based protocols (TCP, UDP, ...); 0 for ICMP, whose ids
 * libnetfilter_conntrack gives for the original direction only. zone is
 * the entry's zone, or, for a zone set for the original direction only
 * (the gateway's), that zone. */
struct tenet_ct {
	uint8_t proto;
	uint32_t osrc, odst, rsrc, rdst;    /* original and reply tuples */
	uint16_t osport, odport, rsport, rdport;
	uint32_t mark;
	uint16_t zone;
	uint32_t status;                    /* IPS_* */
};

/* Every IPv4 conntrack entry of this network namespace (libnetfilter_conntrack). */
int tenet_ct_dump(int (*cb)(const struct tenet_ct *e, void *arg), void *arg,
		  struct tenet_err *err);

#endif

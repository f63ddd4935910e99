/* SPDX-License-Identifier: GPL-2.0 */
/* The datapath's counters as the CLI reads them (stats.c), shared by
 * `tenet stats`, `-s` on shows and the metrics output (metrics.c). Each
 * reader prints its own error and returns the exit code. */
#ifndef TENET_CLI_STATS_H
#define TENET_CLI_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/types.h>
#include <tenet/maps.h>

#include "cli_int.h"

/* <pin root>/<host>/v<layout>/<map>. */
int cli_pin_path(struct cli *c, const char *host, const char *map, char *path, size_t len);
/* Opens a pinned map of host and checks its shape. what and one name it
 * in the errors: "OBJECT: no WHAT pinned at PATH (is tenetd running?)",
 * "OBJECT: PATH: not a tenet ONE map of this version". */
int cli_open_pinned(struct cli *c, const char *host, const char *map, const char *what,
		    const char *one, __u32 type, __u32 key_size, __u32 value_size, int *fd);

/* Drops per reason, summed over CPUs: out[TENET_DROP_MAX]. */
int cli_read_drops(struct cli *c, const char *host, struct tenet_drop_val *out);

struct cli_vstat {
	uint32_t vsid;
	struct tenet_vstats_val c;
};
struct cli_vstats {
	struct cli_vstat *e;    /* sorted by VSID */
	size_t n, cap;
};
int cli_read_vstats(struct cli *c, const char *host, struct cli_vstats *out);
const struct tenet_vstats_val *cli_vstats_find(const struct cli_vstats *v, uint32_t vsid);
void cli_vstats_free(struct cli_vstats *v);

struct cli_port {
	struct tenet_port rec;
	bool present;           /* its device is on this machine */
	uint32_t ifindex;
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	struct tenet_drop_val drops;
};
struct cli_ports {
	struct cli_port *e;
	size_t n;
};
/* The ports of host (dev: only that one) with their counters. */
int cli_read_ports(struct cli *c, const char *host, const char *dev, struct cli_ports *out);
void cli_ports_free(struct cli_ports *p);

extern const char *const cli_learn_names[TENET_LSTAT_MAX];
int cli_read_learn(struct cli *c, const char *host, uint64_t *out);

/* Names from the store: VSID -> routing domain, routing domain ids. */
struct cli_names {
	struct tenet_record_list subnets, rdomains;
};
int cli_load_names(struct cli *c, struct cli_names *n);
const char *cli_vsid_rdomain(const struct cli_names *n, uint32_t vsid);
const struct tenet_rdomain *cli_rdomain_by_name(const struct cli_names *n, const char *name);
const char *cli_rdomain_name(const struct cli_names *n, uint32_t id);
void cli_names_free(struct cli_names *n);

json_t *cli_traffic_json(uint64_t rxp, uint64_t rxb, uint64_t txp, uint64_t txb, uint64_t drops);

/* `tenet stats -o FORMAT` (metrics.c). */
int cli_metrics(struct cli *c, const char *host, const char *format);

#endif

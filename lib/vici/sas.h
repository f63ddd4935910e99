/* SPDX-License-Identifier: GPL-2.0 */
/* What charon holds, read over VICI and summarised per connection: its
 * security associations (list-sas), its loaded connections and their
 * children (list-conns), its shared secrets (get-shared). The agent reads
 * them to adopt what an earlier agent configured and to follow tunnel
 * states; `tenet s2s show` reads them for the state of each interface. */
#ifndef TENET_VICI_SAS_H
#define TENET_VICI_SAS_H

#include <stdbool.h>
#include <stdint.h>

#include "vici/vici.h"

enum vici_sa_state {
	VICI_SA_NONE = 0,
	VICI_SA_CONNECTING,     /* an IKE SA being set up, or up without a child yet */
	VICI_SA_UP,             /* an IKE SA with an installed child SA */
};

/* The best SA of one connection: an IKE SA with an installed child
 * before one that is still connecting; among equals the newest. */
struct vici_sa_info {
	char conn[128];
	enum vici_sa_state state;
	uint32_t ike_id;                /* charon's unique id of the IKE SA */
	uint64_t established;           /* seconds since it was established */
	char local_addr[64], remote_addr[64];
	char remote_id[256];
	char child[64];                 /* the installed child's name */
	uint32_t spi_in, spi_out;       /* of the newest installed child */
	/* Summed over the IKE SA's installed children (rekeyed ones too). */
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	unsigned int nike;              /* IKE SAs of the connection */
};

/* Each takes the call function and its context (vici_conn_call and a
 * struct vici_conn, or a fake). */

/* Calls cb once per connection that has an SA (ike: only that connection;
 * NULL: all). */
int vici_sa_list(vici_call_fn call, void *c, const char *ike,
		 int (*cb)(void *arg, const struct vici_sa_info *sa), void *arg,
		 struct tenet_err *err);
/* The same, leaving out the IKE SA with unique id except: one a down
 * event is about is still listed (ESTABLISHED) until it is destroyed. */
int vici_sa_list_except(vici_call_fn call, void *c, const char *ike, uint32_t except,
			int (*cb)(void *arg, const struct vici_sa_info *sa), void *arg,
			struct tenet_err *err);

/* Loaded connections: cb(arg, name, its first child's name or ""). */
int vici_conn_list(vici_call_fn call, void *c,
		   int (*cb)(void *arg, const char *name, const char *child), void *arg,
		   struct tenet_err *err);

/* The ids of the shared secrets loaded over VICI (get-shared). */
int vici_shared_list(vici_call_fn call, void *c, int (*cb)(void *arg, const char *id), void *arg,
		     struct tenet_err *err);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* Remote-access users as charon holds them (list-sas), one per IKE SA:
 * who, which virtual IP, since when, how many bytes. The agent counts
 * them against the limits; `tenet ravpn show` prints them. */
#ifndef TENET_VICI_RA_H
#define TENET_VICI_RA_H

#include <stdbool.h>
#include <stdint.h>

#include "vici/vici.h"

struct vici_ra_user {
	char conn[128];
	uint32_t ike_id;
	bool ike_up;                    /* the IKE SA is ESTABLISHED */
	bool up;                        /* ... and has an installed child */
	char user[256];                 /* the EAP identity, else the IKE identity */
	char addr[64];                  /* where it dials from */
	char vip[64];                   /* its first virtual IP; "" none */
	char vip2[64];                  /* a second (IPv4 and IPv6); "" none */
	uint64_t established;           /* seconds ago */
	uint64_t bytes_in, bytes_out;   /* over its installed children */
};

/* cb once per IKE SA (ike: only that connection; NULL: all) that is not
 * going away. */
int vici_ra_list(vici_call_fn call, void *c, const char *ike,
		 int (*cb)(void *arg, const struct vici_ra_user *u), void *arg,
		 struct tenet_err *err);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/* The host datapath reconciler: what tenetd programs into the kernel of a
 * host, as keyed object types of the engine (recon/recon.h): the entries
 * of each BPF map plus the kernel objects the agent owns (PA addresses,
 * provider routes, TC attachments). The enum is the type order: puts go
 * first to last (addresses and routes, config, VSIDs, ports, lookups,
 * then the TC attachment last, so a port never runs without its map
 * entries), deletes last to first (detach first). */
#ifndef TENETD_HOST_OBJS_H
#define TENETD_HOST_OBJS_H

#include <stdint.h>
#include <linux/types.h>
#include <tenet/maps.h>

#include "recon/recon.h"

enum obj {
	OBJ_ADDR,       /* a PA configured on its device */
	OBJ_KROUTE,     /* a provider route in the main table */
	OBJ_CFG,        /* BPF maps: OBJ_CFG..OBJ_L2ONLY */
	OBJ_PA,
	OBJ_VSID,
	OBJ_PORT,
	OBJ_PORT_MAC,
	OBJ_MAC,
	OBJ_CA,
	OBJ_ROUTE,
	OBJ_ROUTE_LENS, /* per routing domain: the prefix lengths of its routes */
	OBJ_L2ONLY,     /* l2only records per VSID, numbered (dynamic learning) */
	OBJ_ATTACH,     /* tenet's TC filter on a port */
	OBJ_MAX,
};

static inline int obj_is_map(enum obj o)
{
	return o >= OBJ_CFG && o <= OBJ_L2ONLY;
}

struct addr_key {
	__u32 ifindex;
	__be32 addr;
};

struct addr_val {
	__u8 plen;      /* 0 in a shadow read back from the PA map: unknown */
	__u8 pad[3];
};

struct kroute_key {
	__be32 dst;
	__u8 plen;
	__u8 pad[3];
};

struct kroute_val {
	__u32 ifindex;
	__be32 via;     /* 0: on-link */
};

/* A TC attachment. gen differs between an attachment made by an earlier
 * agent (ATTACH_INHERITED) and the desired one (0), so that a restarted
 * agent atomically replaces the old program with the one it loaded. */
struct attach_val {
	__u32 gen;
};
#define ATTACH_INHERITED 1u

/* The reconciler (registry row). Its ops table is a struct knl_ops
 * (host/ops.h); its open() makes the real one (host/kernel.c). */
extern const struct reconciler host_reconciler;

size_t obj_key_size(enum obj o);
size_t obj_val_size(enum obj o);
const char *obj_name(enum obj o);
/* One line describing an entry, for logs: "lookup 5001 00:15:5d:00:00:05
 * -> pa 192.168.4.22". val may be NULL (a delete). */
void obj_describe(enum obj o, const void *key, const void *val, char *buf, size_t len);
/* The VSID an entry is about (0: none) and its port's ifindex (0: none),
 * for the journal's fields. val may be NULL. */
uint32_t obj_vsid(enum obj o, const void *key, const void *val, uint32_t *ifindex);

#endif

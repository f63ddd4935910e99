// SPDX-License-Identifier: GPL-2.0
/* Reading conntrack through libnetfilter_conntrack: one dump of the IPv4
 * table, each entry's tuples, mark, zone and status. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "cli_gw.h"

struct ct_ctx {
	int (*cb)(const struct tenet_ct *e, void *arg);
	void *arg;
	int ret;
};

static int entry_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_ctx *c = data;
	struct tenet_ct e = {
		.proto = nfct_get_attr_u8(ct, ATTR_L4PROTO),
		.osrc = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC),
		.odst = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST),
		.rsrc = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC),
		.rdst = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST),
		.osport = nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC),
		.odport = nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST),
		.rsport = nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC),
		.rdport = nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST),
		.mark = nfct_get_attr_u32(ct, ATTR_MARK),
		.status = nfct_get_attr_u32(ct, ATTR_STATUS),
	};

	/* The gateway sets its zones for the original direction only ("ct
	 * original zone set", docs/gateway.md); the kernel then reports the
	 * zone inside the original tuple, not as the entry's zone. */
	if (nfct_attr_is_set(ct, ATTR_ZONE))
		e.zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	else if (nfct_attr_is_set(ct, ATTR_ORIG_ZONE))
		e.zone = nfct_get_attr_u16(ct, ATTR_ORIG_ZONE);
	/* After a failure the rest of the dump is read and dropped. */
	if (!c->ret)
		c->ret = c->cb(&e, c->arg);
	return NFCT_CB_CONTINUE;
}

int tenet_ct_dump(int (*cb)(const struct tenet_ct *e, void *arg), void *arg,
		  struct tenet_err *err)
{
	struct ct_ctx c = { .cb = cb, .arg = arg };
	uint32_t family = AF_INET;
	struct nfct_handle *h;
	int ret;

	h = nfct_open(CONNTRACK, 0);
	if (!h)
		return tenet_err_set(err, -errno, "conntrack: %s", strerror(errno));
	if (nfct_callback_register(h, NFCT_T_ALL, entry_cb, &c) < 0) {
		ret = tenet_err_set(err, -errno, "conntrack: %s", strerror(errno));
		goto out;
	}
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		ret = tenet_err_set(err, -errno, "conntrack dump: %s (module nf_conntrack loaded?)",
				    strerror(errno));
	else
		ret = c.ret;
out:
	nfct_close(h);
	return ret;
}

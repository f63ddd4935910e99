// SPDX-License-Identifier: GPL-2.0
/* XFRM interfaces in compartments, for the S2S and remote-access
 * reconcilers (xfrmif.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/xfrmif.h"
#include "kinds/gateway.h"

int xfrmif_put(struct recon *rc, const struct ipsec_ops *ops, const char *dev,
	       const char *alias_pfx, const struct xfrmif *v, const struct xfrmif *old)
{
	char vrf[IF_NAMESIZE], alias[96];
	int ret;

	tenet_gw_devname(TENET_GW_VRF_PFX, v->vrf, vrf, sizeof(vrf));
	snprintf(alias, sizeof(alias), "%s%s", alias_pfx, v->name);
	if (old && (old->if_id != v->if_id || strcmp(old->name, v->name))) {
		/* the if_id is the device's identity: a new one is a new device */
		ret = ops->link_del(ops->ctx, dev);
		if (ret < 0 && ret != -ENODEV)
			return ret;
		old = NULL;
	}
	if (!old) {
		ret = ops->link_add(ops->ctx, dev, v->if_id, IPSEC_MTU, alias);
		if (ret < 0)
			return ret;
		/* What arrives through the tunnel is forwarded inside the VRF;
		 * a site's sources may return over another tunnel (failover). */
		ops->link_sysctl(ops->ctx, dev, "forwarding", 1);
		ops->link_sysctl(ops->ctx, dev, "rp_filter", 2);
	}
	if (!old || old->vrf != v->vrf) {
		ret = ops->link_master(ops->ctx, dev, v->vrf ? vrf : NULL);
		if (ret < 0) {
			recon_errf(rc, "cannot enslave %s to %s: %s", dev, vrf, strerror(-ret));
			return ret;
		}
	}
	if (!old || old->up != v->up)
		return ops->link_up(ops->ctx, dev, v->up);
	return 0;
}

uint32_t xfrmif_dev_id(const char *name, const char *dev_pfx, uint32_t id_max)
{
	size_t n = strlen(dev_pfx);
	char *end;
	unsigned long id;

	if (strncmp(name, dev_pfx, n) || name[n] < '1' || name[n] > '9')
		return 0;
	id = strtoul(name + n, &end, 10);
	return *end || id > id_max ? 0 : (uint32_t)id;
}

int xfrmif_dump(const struct ipsec_ops *ops, const char *dev_pfx, uint32_t id_max,
		const char *alias_pfx, xfrmif_cb cb, void *arg)
{
	size_t plen = strlen(alias_pfx), vlen = strlen(TENET_GW_VRF_PFX), n = 0;
	struct ipsec_link *links = NULL;
	int ret = ops->link_dump(ops->ctx, &links, &n);

	for (size_t i = 0; ret >= 0 && i < n; i++) {
		const struct ipsec_link *l = &links[i];
		uint32_t id = xfrmif_dev_id(l->name, dev_pfx, id_max);
		struct xfrmif x = { .if_id = l->if_id, .up = l->up, .name = l->alias + plen };

		if (!id || strncmp(l->alias, alias_pfx, plen))
			continue;
		/* the compartment id from its VRF's name, tvrfC */
		if (!strncmp(l->master, TENET_GW_VRF_PFX, vlen))
			x.vrf = (uint32_t)strtoul(l->master + vlen, NULL, 10);
		ret = cb(arg, id, &x);
	}
	free(links);
	return ret < 0 ? ret : 0;
}

int xfrmif_assume_desired(struct recon_set *out, const struct recon_set *desired,
			  unsigned int t)
{
	struct htab_iter it;
	struct htab_entry *e;

	if (!desired)
		return 0;
	htab_iter_init(&it, (struct htab *)&desired->t[t]);
	while ((e = htab_iter_next(&it)))
		if (!htab_put(&out->t[t], htab_key(e), htab_val(e), NULL))
			return -ENOMEM;
	return 0;
}

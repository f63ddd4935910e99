// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "host/attach.h"
#include "log.h"
#include "tenet_xdp.skel.h"

/* The kernel keeps 15 characters of a program name. */
#define TENET_XDP_NAME "tenet_xdp_underlay"
#define BPF_NAME_CMP 15
#define MAX_OLD 8

int attach_tc(int prog_fd, uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TENET_TC_HANDLE, .priority = TENET_TC_PRIO,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

bool tc_attached(uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TENET_TC_HANDLE, .priority = TENET_TC_PRIO);
	bool found;

	/* No clsact or no filter: libbpf complains, the answer is "no". */
	log_quiet_libs(true);
	found = bpf_tc_query(&hook, &opts) == 0;
	log_quiet_libs(false);
	return found;
}

int detach_tc(uint32_t ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TENET_TC_HANDLE, .priority = TENET_TC_PRIO);

	return bpf_tc_detach(&hook, &opts);
}

int link_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (void *)&info;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		ret = -errno;
	close(fd);
	if (!ret)
		snprintf(buf, len, "%.*s", (int)sizeof(info.driver), info.driver);
	return ret;
}

static bool is_tenet(const struct xdp_program *p)
{
	const char *name = p ? xdp_program__name(p) : NULL;

	return name && !strncmp(name, TENET_XDP_NAME, BPF_NAME_CMP);
}

/* The tenet programs on ifindex: ids into old[], and whether they sit in
 * a legacy (dispatcher-less) attachment, whose mode goes to *mode. */
static int find_tenet(uint32_t ifindex, uint32_t *old, bool *legacy, enum xdp_attach_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	struct xdp_program *p = NULL;
	int n = 0;

	*legacy = false;
	if (!mp || libxdp_get_error(mp))
		return 0;
	*mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (is_tenet(p)) {
			*legacy = true;
			old[n++] = xdp_program__id(p);
		}
		goto out;
	}
	while ((p = xdp_multiprog__next_prog(p, mp)) && n < MAX_OLD)
		if (is_tenet(p))
			old[n++] = xdp_program__id(p);
out:
	xdp_multiprog__close(mp);
	return n;
}

static const char *mode_name(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unknown";
	}
}

/* A legacy program cannot share the device with a dispatcher: load ours as
 * a plain XDP program and swap it in place of the old one. */
static int replace_legacy(struct tenet_xdp *skel, uint32_t ifindex, uint32_t old_id,
			  enum xdp_attach_mode mode)
{
	__u32 flags = XDP_FLAGS_REPLACE |
		      (mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int old_fd, ret;

	ret = bpf_program__set_type(skel->progs.tenet_xdp_underlay, BPF_PROG_TYPE_XDP);
	if (!ret)
		ret = tenet_xdp__load(skel);
	if (ret)
		return ret;
	old_fd = bpf_prog_get_fd_by_id(old_id);
	if (old_fd < 0)
		return -errno;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	ret = bpf_xdp_attach((int)ifindex, bpf_program__fd(skel->progs.tenet_xdp_underlay),
			     flags, &opts);
	close(old_fd);
	return ret;
}

static int detach_ids(uint32_t ifindex, const uint32_t *ids, int n)
{
	int ret = 0;

	for (int i = 0; i < n; i++) {
		struct xdp_program *p = xdp_program__from_id(ids[i]);
		int r;

		if (!p || libxdp_get_error(p))
			continue;
		r = xdp_program__detach(p, (int)ifindex, XDP_MODE_UNSPEC, 0);
		if (r && !ret)
			ret = r;
		xdp_program__close(p);
	}
	return ret;
}

static void fill_info(uint32_t ifindex, struct xdp_attach_info *info)
{
	uint32_t ids[MAX_OLD];
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	bool legacy;

	if (find_tenet(ifindex, ids, &legacy, &mode) > 0)
		info->prog_id = ids[0];
	info->mode = mode_name(mode);
	info->dispatcher = !legacy;
}

int attach_xdp(const struct tenet_datapath_opts *dpo, uint32_t ifindex,
	       struct xdp_attach_info *info)
{
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	struct xdp_program *prog = NULL;
	struct tenet_xdp *skel;
	uint32_t old[MAX_OLD];
	bool legacy;
	int nold, ret;

	memset(info, 0, sizeof(*info));
	nold = find_tenet(ifindex, old, &legacy, &mode);
	skel = tenet_datapath_open_xdp(dpo);
	if (!skel)
		return -errno;
	if (legacy) {
		ret = replace_legacy(skel, ifindex, old[0], mode);
		goto out;
	}
	prog = xdp_program__from_bpf_obj(skel->obj, NULL);
	ret = (int)libxdp_get_error(prog);
	if (ret) {
		prog = NULL;
		goto out;
	}
	/* libxdp tries its dispatcher first and falls back to attaching the
	 * program alone; the outcome is logged by the caller, the probing
	 * failures are not worth a warning each start. */
	log_quiet_libs(true);
	ret = xdp_program__attach(prog, (int)ifindex, XDP_MODE_UNSPEC, 0);
	log_quiet_libs(false);
	if (ret)
		goto out;
	/* The new program runs now; the old ones can go. */
	ret = detach_ids(ifindex, old, nold);
out:
	if (!ret) {
		info->replaced = nold;
		fill_info(ifindex, info);
	}
	xdp_program__close(prog);
	tenet_xdp__destroy(skel);
	return ret;
}

int detach_xdp(uint32_t ifindex)
{
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	struct xdp_multiprog *mp;
	uint32_t ids[MAX_OLD];
	bool legacy;
	int n, ret;

	n = find_tenet(ifindex, ids, &legacy, &mode);
	if (n <= 0)
		return 0;
	if (!legacy) {
		ret = detach_ids(ifindex, ids, n);
		return ret ? ret : n;
	}
	mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	if (!mp || libxdp_get_error(mp))
		return -ENOENT;
	ret = xdp_multiprog__detach(mp);
	xdp_multiprog__close(mp);
	return ret ? ret : n;
}

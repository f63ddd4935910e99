// SPDX-License-Identifier: GPL-2.0
/* `tenet exec`: run a command in a compartment's VRF the way `ip vrf exec`
 * does. The process moves into a cgroup of its own whose
 * BPF_CGROUP_INET_SOCK_CREATE program sets sk_bound_dev_if to the VRF on
 * every socket it (and its children) create, so lookups use the VRF's
 * table. No library offers this; the program is five instructions. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "cli_gw.h"

#define CGROUP2_FALLBACK "/run/tenet/cgroup2"

/* The cgroup2 hierarchy: mounted somewhere already, or (under `ip netns
 * exec`, which remounts /sys) mounted by us in our mount namespace. */
static int cgroup2_root(char *buf, size_t len, struct tenet_err *err)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/self/mounts", "r");

	while (f && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			endmntent(f);
			return 0;
		}
	}
	if (f)
		endmntent(f);
	mkdir("/run/tenet", 0755);
	if (mkdir(CGROUP2_FALLBACK, 0755) < 0 && errno != EEXIST)
		return tenet_err_set(err, -errno, "cannot create %s: %s", CGROUP2_FALLBACK,
				     strerror(errno));
	if (mount("none", CGROUP2_FALLBACK, "cgroup2", 0, NULL) < 0 && errno != EBUSY)
		return tenet_err_set(err, -errno, "cannot mount cgroup2: %s", strerror(errno));
	snprintf(buf, len, "%s", CGROUP2_FALLBACK);
	return 0;
}

static int sock_prog(int ifindex, struct tenet_err *err)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6,
		  .src_reg = BPF_REG_1 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = ifindex },
		{ .code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_3,
		  .off = offsetof(struct bpf_sock, bound_dev_if) },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_CGROUP_INET_SOCK_CREATE);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK, "tenet_vrf", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), &opts);

	if (fd < 0)
		return tenet_err_set(err, fd, "cannot load the sock-create program: %s",
				     strerror(-fd));
	return fd;
}

static int join_cgroup(const char *dir, int prog, struct tenet_err *err)
{
	char path[PATH_MAX + 16], pid[32];
	int cg, fd, ret = 0;
	ssize_t n;

	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return tenet_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	if (bpf_prog_attach(prog, cg, BPF_CGROUP_INET_SOCK_CREATE, 0) < 0) {
		ret = tenet_err_set(err, -errno, "cannot attach to cgroup %s: %s", dir,
				    strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	if (fd < 0 || write(fd, pid, (size_t)n) != n)
		ret = tenet_err_set(err, -errno, "cannot join cgroup %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
out:
	close(cg);
	return ret;
}

int tenet_vrf_exec(const char *vrf, char **cmd, struct tenet_err *err)
{
	char root[PATH_MAX / 2], dir[PATH_MAX];
	int ifindex = (int)if_nametoindex(vrf), prog, ret;

	if (!ifindex)
		return tenet_err_set(err, -ENOENT, "VRF %s not present (is tenetd running here?)",
				     vrf);
	ret = cgroup2_root(root, sizeof(root), err);
	if (ret < 0)
		return ret;
	snprintf(dir, sizeof(dir), "%s/tenet-vrf", root);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return tenet_err_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	snprintf(dir, sizeof(dir), "%s/tenet-vrf/%s", root, vrf);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return tenet_err_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	prog = sock_prog(ifindex, err);
	if (prog < 0)
		return prog;
	ret = join_cgroup(dir, prog, err);
	close(prog);
	if (ret < 0)
		return ret;
	execvp(cmd[0], cmd);
	return tenet_err_set(err, -errno, "cannot run %s: %s", cmd[0], strerror(errno));
}

// SPDX-License-Identifier: GPL-2.0
/* `tenet exec`: run a command in a compartment's VRF by becoming
 * `ip vrf exec VRF CMD...` (iproute2; exec, not a child). ip moves the
 * process into the cgroup <own cgroup>[/NETNS-ns]/vrf/VRF, attaches a
 * BPF_CGROUP_INET_SOCK_CREATE program that binds every socket to the VRF,
 * and execs CMD; `ip vrf pids` and `ip vrf identify` then know the process
 * (docs/gateway.md says why tenet does not build that program itself). */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_gw.h"

int tenet_vrf_exec(const char *vrf, char **cmd, struct tenet_err *err)
{
	static const char *const ip[] = { "ip", "vrf", "exec" };
	const size_t nip = sizeof(ip) / sizeof(ip[0]);
	size_t n = 0;
	char **argv;
	int ret;

	/* Checked here, so that a missing VRF reads as tenet's error and not
	 * as ip's "Invalid VRF name". */
	if (!if_nametoindex(vrf))
		return tenet_err_set(err, -ENOENT, "VRF %s not present (is tenetd running here?)",
				     vrf);
	while (cmd[n])
		n++;
	argv = calloc(nip + 1 + n + 1, sizeof(*argv));
	if (!argv)
		return tenet_err_set(err, -ENOMEM, "out of memory");
	memcpy(argv, ip, sizeof(ip));
	argv[nip] = (char *)vrf;
	memcpy(argv + nip + 1, cmd, (n + 1) * sizeof(*argv));
	execvp(argv[0], argv);
	/* -ENOENT means a missing VRF to the caller; a missing ip is told
	 * apart as a missing package. */
	ret = errno == ENOENT ? -ENOPKG : -errno;
	tenet_err_set(err, ret, "cannot run ip (iproute2): %s", strerror(errno));
	free(argv);
	return ret;
}

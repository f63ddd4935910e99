#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The vm suite of `make check` (selftests/run_all.sh runs it): boot Debian's
# stock kernel under qemu and run guest-suite.sh inside it (the platform
# smoke test, the BPF packet tests and the host scenarios on 6.1). The
# runner prints how long the boot and the command took; exits non-zero if
# the guest failed to boot, timed out or any check failed.
# BUILD (the build directory) holds the kernel cache; TENET_VM_TIMEOUT
# overrides the time limit (seconds).
#
# The boots that judge nothing by time run on two lanes at once
# (TENET_VM_LANES, 1 or 2; default 2), each guest with one vCPU
# (TENET_VM_SMP overrides): lane 1's boots print live, lane 2's output is
# kept and printed whole, boot by boot, when lane 1 is done. Then the two
# that measure throughput through tunnels (rate, ravpn) boot alone, with
# two vCPUs, as before: a second guest beside them takes the CPU that
# carries their traffic. Each boot keeps its own time limit.
# TENET_VM_LANES=1 boots them all one after the other, live, with two
# vCPUs each. Why: docs/testing.md, "The smoke test and the vm suite".
set -u
cd "$(dirname "$0")/../.." || exit 1
start=$SECONDS
BUILD=${BUILD:-build}
export BUILD

# The lanes are balanced by what each boot took with one vCPU beside the
# other lane (seconds, under load): s2s 379, host 258 | gateway 298,
# hardening 229, bgp.
lanes_n=${TENET_VM_LANES:-2}
boot() { # NAME TIMEOUT VCPUS COMMAND... (NAME: for the reader; VCPUS:
	# with two lanes)
	local timeout=$2 smp=$3
	shift 3
	[ "$lanes_n" = 1 ] && smp=2
	TENET_VM_SMP=${TENET_VM_SMP:-$smp} selftests/vm/run --timeout "$timeout" -- "$@"
}
# Site-to-site and rate (issue 15, 16): Libreswan for one site is unpacked
# on the host first (the guest has no network), before either lane starts.
libreswan_ok=1
selftests/gw/libreswan.sh fetch || libreswan_ok=0
lane1() {
	local rc=0
	# Site-to-site VPN (issue 15).
	if [ $libreswan_ok = 1 ]; then
		boot s2s "${TENET_VM_S2S_TIMEOUT:-900}" 1 selftests/gw/run.sh s2s || rc=1
	fi
	# The smoke test, the packet tests and the host scenarios on 6.1.
	boot host "${TENET_VM_TIMEOUT:-900}" 1 selftests/vm/guest-suite.sh || rc=1
	return $rc
}
lane2() {
	local rc=0
	# Gateway scenarios (issue 6, selftests/gw/): compartments, NAT,
	# scale, filters.
	boot gateway "${TENET_VM_GW_TIMEOUT:-900}" 1 selftests/gw/run.sh || rc=1
	# Datapath hardening (issue 13) on 6.1: the randomized isolation
	# test (fewer frames: TCG is about ten times slower), malformed
	# NVGRE from the fabric, and the underlay that is not a router.
	boot hardening "${TENET_VM_HARDEN_TIMEOUT:-900}" 1 selftests/vm/guest-suite.sh \
		"selftests/bpf/fuzz.sh -n ${TENET_VM_FUZZ_FRAMES:-200000}" \
		selftests/net/test_hardening.sh selftests/net/test_underlay.sh || rc=1
	# BGP per compartment (issue 17): FRR on the gateway, BIRD 2 and
	# GoBGP at the sites.
	boot bgp "${TENET_VM_BGP_TIMEOUT:-900}" 1 selftests/gw/run.sh bgp || rc=1
	return $rc
}
# alone: the boots that judge throughput, one guest at a time.
alone() {
	local rc=0
	# Rate limits (issue 16): iperf3 through tunnels, minutes of it.
	if [ $libreswan_ok = 1 ]; then
		boot rate "${TENET_VM_RATE_TIMEOUT:-900}" 2 selftests/gw/run.sh rate || rc=1
	fi
	# Remote-access VPN (issue 18): FreeRADIUS and strongSwan clients.
	boot ravpn "${TENET_VM_RAVPN_TIMEOUT:-900}" 2 selftests/gw/run.sh ravpn || rc=1
	return $rc
}

# kill_lanes: every process below the lanes, listed before any is killed,
# so a lane cannot go on to its next boot.
lanes=()
kill_lanes() {
	local pids=("${lanes[@]}") i=0 c
	while [ "$i" -lt ${#pids[@]} ]; do
		for c in $(pgrep -P "${pids[$i]}"); do pids+=("$c"); done
		i=$((i + 1))
	done
	kill -TERM "${pids[@]}" 2>/dev/null
}

rc=0
if [ "$lanes_n" = 1 ]; then
	lane1 || rc=1
	lane2 || rc=1
else
	out=$(mktemp -d "$BUILD/vm-lane2.XXXXXX") || exit 1
	echo "vm: two lanes; the second (gateway, hardening, bgp) is printed when the first is done"
	lane2 >"$out/log" 2>&1 &
	lanes+=($!)
	# Both lanes run as background jobs, so a signal here is handled at
	# once (not after the boot under way) and takes their guests along:
	# a background job ignores SIGINT, and a guest outlives its runner.
	trap 'kill_lanes; exit 130' INT
	trap 'kill_lanes; exit 143' TERM
	lane1 &
	lanes+=($!)
	wait "${lanes[1]}" || rc=1
	echo "vm: first lane done after $((SECONDS - start))s"
	wait "${lanes[0]}" || rc=1
	trap - INT TERM
	echo "vm: second lane (gateway, hardening, bgp):"
	cat "$out/log"
	rm -rf "$out"
fi
alone || rc=1
[ $libreswan_ok = 1 ] || { echo "[FAIL] vm: selftests/gw/libreswan.sh fetch"; rc=1; }
echo "vm: suite took $((SECONDS - start))s (status $rc)"
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The vm suite of `make check` (selftests/run_all.sh runs it): boot Debian's
# stock kernel under qemu and run guest-suite.sh inside it (the platform
# smoke test, the BPF packet tests and the host scenarios on 6.1). The
# runner prints how long the boot and the command took; exits non-zero if
# the guest failed to boot, timed out or any check failed.
# BUILD (the build directory) holds the kernel cache; TENET_VM_TIMEOUT
# overrides the time limit (seconds).
set -u
cd "$(dirname "$0")/../.." || exit 1
start=$SECONDS
selftests/vm/run --timeout "${TENET_VM_TIMEOUT:-900}" -- selftests/vm/guest-suite.sh
rc=$?
# Datapath hardening (issue 13) on 6.1: the randomized isolation test
# (fewer frames: TCG is about ten times slower), malformed NVGRE from the
# fabric, and the underlay that is not a router. A boot of its own.
selftests/vm/run --timeout "${TENET_VM_HARDEN_TIMEOUT:-900}" -- selftests/vm/guest-suite.sh \
	"selftests/bpf/fuzz.sh -n ${TENET_VM_FUZZ_FRAMES:-200000}" \
	selftests/net/test_hardening.sh selftests/net/test_underlay.sh || rc=1
# Gateway scenarios (issue 6, selftests/gw/): a boot and time limit of their own.
selftests/vm/run --timeout "${TENET_VM_GW_TIMEOUT:-900}" -- selftests/gw/run.sh || rc=1
# Site-to-site VPN (issue 15): Libreswan for one site is unpacked on the
# host first (the guest has no network); a boot of its own.
if selftests/gw/libreswan.sh fetch; then
	selftests/vm/run --timeout "${TENET_VM_S2S_TIMEOUT:-900}" -- selftests/gw/run.sh s2s || rc=1
	# Rate limits (issue 16): iperf3 through tunnels, minutes of it.
	selftests/vm/run --timeout "${TENET_VM_RATE_TIMEOUT:-900}" -- selftests/gw/run.sh rate || rc=1
else
	echo "[FAIL] vm: selftests/gw/libreswan.sh fetch"
	rc=1
fi
# Remote-access VPN (issue 18): FreeRADIUS and strongSwan clients; a boot
# of its own.
selftests/vm/run --timeout "${TENET_VM_RAVPN_TIMEOUT:-900}" -- selftests/gw/run.sh ravpn || rc=1
# BGP per compartment (issue 17): FRR on the gateway, BIRD 2 and GoBGP at
# the sites; a boot of its own.
selftests/vm/run --timeout "${TENET_VM_BGP_TIMEOUT:-900}" -- selftests/gw/run.sh bgp || rc=1
echo "vm: suite took $((SECONDS - start))s (status $rc)"
exit $rc

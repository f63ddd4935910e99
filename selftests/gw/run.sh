#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gateway scenarios, in one boot of the stock-kernel guest (VRF,
# nftables, ESP, XFRM interfaces): selftests/vm/check.sh runs
#   selftests/vm/run -- selftests/gw/run.sh          compartments, NAT, scale
#   selftests/vm/run -- selftests/gw/run.sh s2s      site-to-site VPN
#   selftests/vm/run -- selftests/gw/run.sh bgp      BGP per compartment
# (a boot and time limit each: the S2S scenario alone takes minutes).
cd "$(dirname "$0")/../.." || exit 1
case ${1:-gateway} in
gateway)
	exec selftests/vm/guest-suite.sh selftests/gw/test_gateway.sh selftests/gw/test_gw_scale.sh ;;
s2s)
	exec selftests/vm/guest-suite.sh selftests/gw/test_s2s.sh ;;
bgp)
	exec selftests/vm/guest-suite.sh selftests/gw/test_bgp.sh ;;
*)
	echo "usage: $0 [gateway|s2s|bgp]" >&2
	exit 2 ;;
esac

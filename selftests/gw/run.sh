#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gateway scenarios, in one boot of the stock-kernel guest (VRF,
# nftables, ESP, XFRM interfaces): selftests/vm/check.sh runs
#   selftests/vm/run -- selftests/gw/run.sh          compartments, NAT, scale,
#                                                    filters
#   selftests/vm/run -- selftests/gw/run.sh s2s      site-to-site VPN
#   selftests/vm/run -- selftests/gw/run.sh rate     rate limits (iperf3)
#   selftests/vm/run -- selftests/gw/run.sh ravpn    remote-access VPN
#   selftests/vm/run -- selftests/gw/run.sh bgp      BGP per compartment
# (a boot and time limit each: the S2S and rate scenarios take minutes).
cd "$(dirname "$0")/../.." || exit 1
case ${1:-gateway} in
gateway)
	exec selftests/vm/guest-suite.sh selftests/gw/test_gateway.sh selftests/gw/test_gw_scale.sh \
		selftests/gw/test_filter.sh ;;
s2s)
	exec selftests/vm/guest-suite.sh selftests/gw/test_s2s.sh ;;
rate)
	exec selftests/vm/guest-suite.sh selftests/gw/test_rate.sh ;;
ravpn)
	exec selftests/vm/guest-suite.sh selftests/gw/test_ravpn.sh ;;
bgp)
	exec selftests/vm/guest-suite.sh selftests/gw/test_bgp.sh ;;
*)
	echo "usage: $0 [gateway|s2s|rate|ravpn|bgp]" >&2
	exit 2 ;;
esac

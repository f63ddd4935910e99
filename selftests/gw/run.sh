#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gateway scenarios, in one boot of the stock-kernel guest (VRF and
# nftables): selftests/vm/check.sh runs
#   selftests/vm/run -- selftests/gw/run.sh
cd "$(dirname "$0")/../.." || exit 1
exec selftests/vm/guest-suite.sh selftests/gw/test_gateway.sh selftests/gw/test_gw_scale.sh

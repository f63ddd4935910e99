#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gateway scenarios, in one boot of the stock-kernel guest (VRF and
# nftables): selftests/vm/check.sh runs
#   selftests/vm/run -- selftests/gw/run.sh
# Each part prints its own [ OK ]/[FAIL] lines; the last line counts parts.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
parts=(
	selftests/gw/test_gateway.sh
	selftests/gw/test_gw_scale.sh
)
passed=0
failed=0
for p in "${parts[@]}"; do
	start=$SECONDS
	echo "=== guest: $p ($(uname -r))"
	if "$p"; then
		passed=$((passed + 1))
		echo "[ OK ] guest: $p ($((SECONDS - start))s)"
	else
		failed=$((failed + 1))
		echo "[FAIL] guest: $p ($((SECONDS - start))s)"
	fi
done
echo "gw parts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What `make check` runs inside the stock-kernel guest, in one boot: the
# platform smoke test, then the host tests that must also pass on Debian's
# 6.1 (the same BPF objects load and the same scenarios work there). Each
# part prints its own [ OK ]/[FAIL] lines; the last line counts the parts.
# TCG is about ten times slower than the host, so only the host tests that
# cover distinct kernel paths run here; the full scenario set runs on the
# host kernel.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
# usage: guest-suite.sh [PART...] (default: the parts below); a part is a
# command line, split at blanks.
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(
	selftests/vm/smoke.sh
	selftests/bpf/run.sh
	selftests/net/test_host_basic.sh
	selftests/net/test_host_restart.sh
)
passed=0
failed=0
for p in "${parts[@]}"; do
	start=$SECONDS
	echo "=== guest: $p ($(uname -r))"
	# shellcheck disable=SC2086 # a part may carry arguments
	if $p; then
		passed=$((passed + 1))
		echo "[ OK ] guest: $p ($((SECONDS - start))s)"
	else
		failed=$((failed + 1))
		echo "[FAIL] guest: $p ($((SECONDS - start))s)"
	fi
done
echo "guest parts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

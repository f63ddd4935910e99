#!/bin/bash
# Run the test suites (all, or those named) and count suites that passed.
# Each suite is an executable; it prints its own per-case lines.
set -u
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.."
suites=("$@")
all_start=$SECONDS
[ ${#suites[@]} -eq 0 ] && suites=(unit bpf fuzz bench net vm)
passed=0
failed=0
failed_names=()
# Each suite's wall time goes on a closing line of its own, so a slow
# suite shows up in any log: "=== net/test_etcd.sh: passed in 182s".
run() {
	local name=$1; shift
	local start=$SECONDS
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: passed in $((SECONDS - start))s"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "=== $name: FAILED in $((SECONDS - start))s"
	fi
}
for s in "${suites[@]}"; do
	case $s in
	unit)
		for t in "$BUILD"/selftests/unit/test_*; do
			[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
		done ;;
	bpf)
		run bpf/pkt_test selftests/bpf/run.sh ;;
	fuzz)
		# Randomized isolation test; the seed is printed (replay:
		# selftests/bpf/fuzz.sh -s SEED).
		run bpf/fuzz selftests/bpf/fuzz.sh ;;
	bench)
		# A seconds-long smoke so the benchmarks never rot; figures
		# are printed, not judged.
		run bench/smoke selftests/bench/run.sh -s ;;
	net)
		for t in selftests/net/test_*.sh; do
			[ -x "$t" ] && run "net/$(basename "$t")" "$t"
		done ;;
	vm)
		[ -x selftests/vm/check.sh ] && run vm/check selftests/vm/check.sh ;;
	*) echo "run_all: unknown suite '$s'" >&2; exit 2 ;;
	esac
done
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed in $((SECONDS - all_start))s"
[ $failed -eq 0 ]

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
# The vm suite in the background: its output goes to a file, printed
# whole when it is done.
vm_bg=
vm_done=
vm_bg_start() {
	vm_log=$BUILD/check-vm.log
	rm -f "$vm_log.rc"
	echo "=== vm/check: started in the background (its output follows when it is done)"
	(
		start=$SECONDS
		selftests/vm/check.sh >"$vm_log" 2>&1
		echo "$? $((SECONDS - start))" >"$vm_log.rc"
	) &
	vm_bg=$!
	# Interrupted: the guest goes too (a background job ignores SIGINT).
	trap 'vm_bg_kill; exit 130' INT TERM
}
# Every process below the background job, listed before any is killed
# (check.sh would go on to its next boot).
vm_bg_kill() {
	local pids=() i=0 c
	[ -n "$vm_bg" ] || return 0
	pids=("$vm_bg")
	while [ $i -lt ${#pids[@]} ]; do
		for c in $(pgrep -P "${pids[$i]}"); do pids+=("$c"); done
		i=$((i + 1))
	done
	kill -TERM "${pids[@]}" 2>/dev/null
}
vm_bg_finish() {
	local rc secs
	[ -n "$vm_bg" ] || return 0
	wait "$vm_bg"
	vm_bg=
	vm_done=1
	read -r rc secs <"$vm_log.rc" 2>/dev/null || { rc=1; secs=?; }
	echo "=== vm/check"
	cat "$vm_log"
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		echo "=== vm/check: passed in ${secs}s (in the background)"
	else
		failed=$((failed + 1))
		failed_names+=(vm/check)
		echo "=== vm/check: FAILED in ${secs}s (in the background)"
	fi
}
# The guest keeps both cores busy while most host scenarios wait on
# pings, timers and agents (test_failsafe: 0.3 of a core, test_etcd 0.75):
# with both suites asked for, the vm suite boots first, in the background,
# and the host suites run meanwhile (TENET_CHECK_OVERLAP=0: one after the
# other, as listed).
if [ "${TENET_CHECK_OVERLAP:-1}" = 1 ] && [[ " ${suites[*]} " == *" vm "* ]] &&
	[ ${#suites[@]} -gt 1 ] && [ -x selftests/vm/check.sh ]; then
	vm_bg_start
fi
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
		# While the vm suite runs in the background, the scenarios
		# that boot a guest of their own (require_kernel) wait for it.
		guest_tests=()
		for t in selftests/net/test_*.sh; do
			[ -x "$t" ] || continue
			if [ -n "$vm_bg" ] && grep -q '^require_kernel ' "$t"; then
				guest_tests+=("$t")
			else
				run "net/$(basename "$t")" "$t"
			fi
		done
		vm_bg_finish
		for t in "${guest_tests[@]}"; do
			run "net/$(basename "$t")" "$t"
		done ;;
	vm)
		# In the background already: waited for after net or at the end.
		[ -z "$vm_bg" ] && [ -z "$vm_done" ] && [ -x selftests/vm/check.sh ] &&
			run vm/check selftests/vm/check.sh ;;
	*) echo "run_all: unknown suite '$s'" >&2; exit 2 ;;
	esac
done
vm_bg_finish
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed in $((SECONDS - all_start))s"
[ $failed -eq 0 ]

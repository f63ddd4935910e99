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
# Each suite's output is also kept in $BUILD/check-logs/ (NAME with / as
# _), so the failed checks can be printed again at the end: a CI log is
# often read from its tail only.
log_dir=$BUILD/check-logs
rm -rf "$log_dir"
mkdir -p "$log_dir"
log_of() { echo "$log_dir/${1//\//_}.log"; }
run() {
	local name=$1; shift
	local start=$SECONDS
	echo "=== $name"
	if "$@" 2>&1 | tee "$(log_of "$name")"; [ "${PIPESTATUS[0]}" = 0 ]; then
		passed=$((passed + 1))
		echo "=== $name: passed in $((SECONDS - start))s"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "=== $name: FAILED in $((SECONDS - start))s"
	fi
}
# The guest keeps about one core busy (TCG, 2 vCPUs) while most host
# scenarios wait on pings, timers and agents (test_failsafe uses 0.3 of a
# core, test_etcd 0.75). So with vm and other suites asked for (make
# check), everything that boots a guest runs one after the other in the
# background: the vm suite, then the net scenarios that boot a guest of
# their own (require_kernel); the other suites run meanwhile. Each
# background suite's output goes to a file under $BUILD/check-bg/ and is
# printed whole, with its time, once the host's net suite is done (or at
# the end). TENET_CHECK_OVERLAP=0 runs everything one after the other, in
# the order listed.
bg_names=()
bg_cmds=()
bg_pid=
bg_dir=$BUILD/check-bg
bg_start() {
	local i
	rm -rf "$bg_dir"
	mkdir -p "$bg_dir"
	echo "=== in the background, printed when done: ${bg_names[*]}"
	(
		for i in "${!bg_names[@]}"; do
			start=$SECONDS
			# shellcheck disable=SC2086 # a command line, split at blanks
			${bg_cmds[$i]} >"$bg_dir/$i.log" 2>&1
			echo "$? $((SECONDS - start))" >"$bg_dir/$i.rc"
		done
	) &
	bg_pid=$!
	# Interrupted: the guest goes too (a background job ignores SIGINT).
	trap 'bg_kill; exit 130' INT TERM
}
# Every process below the background job, listed before any is killed
# (check.sh would go on to its next boot).
bg_kill() {
	local pids=() i=0 c
	[ -n "$bg_pid" ] || return 0
	pids=("$bg_pid")
	while [ $i -lt ${#pids[@]} ]; do
		for c in $(pgrep -P "${pids[$i]}"); do pids+=("$c"); done
		i=$((i + 1))
	done
	kill -TERM "${pids[@]}" 2>/dev/null
}
bg_finish() {
	local i rc secs name
	[ -n "$bg_pid" ] || return 0
	wait "$bg_pid"
	bg_pid=
	for i in "${!bg_names[@]}"; do
		name=${bg_names[$i]}
		read -r rc secs <"$bg_dir/$i.rc" 2>/dev/null || { rc=1; secs=?; }
		echo "=== $name"
		cp "$bg_dir/$i.log" "$(log_of "$name")"
		cat "$bg_dir/$i.log"
		if [ "$rc" = 0 ]; then
			passed=$((passed + 1))
			echo "=== $name: passed in ${secs}s (in the background)"
		else
			failed=$((failed + 1))
			failed_names+=("$name")
			echo "=== $name: FAILED in ${secs}s (in the background)"
		fi
	done
}
# boots_guest TEST: a net scenario that needs a link kind this kernel
# cannot make (require_kernel KIND), so it runs itself in the guest.
# (Where the kernel has it, the scenario runs on the host, in order.)
boots_guest() {
	local what
	what=$(sed -n 's/^require_kernel \([a-z0-9]*\).*/\1/p' "$1")
	[ -n "$what" ] && ! (. selftests/net/lib.sh && kernel_has "$what") 2>/dev/null
}
# in_bg NAME: whether NAME runs in the background.
in_bg() { [[ " ${bg_names[*]} " == *" $1 "* ]]; }
if [ "${TENET_CHECK_OVERLAP:-1}" = 1 ] && [ ${#suites[@]} -gt 1 ] &&
	[[ " ${suites[*]} " == *" vm "* ]] && [ -x selftests/vm/check.sh ]; then
	bg_names=(vm/check)
	bg_cmds=(selftests/vm/check.sh)
	if [[ " ${suites[*]} " == *" net "* ]]; then
		for t in selftests/net/test_*.sh; do
			if [ -x "$t" ] && boots_guest "$t"; then
				bg_names+=("net/$(basename "$t")")
				bg_cmds+=("$t")
			fi
		done
	fi
	bg_start
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
		for t in selftests/net/test_*.sh; do
			[ -x "$t" ] && ! in_bg "net/$(basename "$t")" && run "net/$(basename "$t")" "$t"
		done
		bg_finish ;;
	vm)
		in_bg vm/check || { [ -x selftests/vm/check.sh ] && run vm/check selftests/vm/check.sh; } ;;
	*) echo "run_all: unknown suite '$s'" >&2; exit 2 ;;
	esac
done
bg_finish
# The failed checks again, each under its suite: what failed, the vm
# runner's verdict (timed out, exit status) and the suite's own total.
if [ $failed -gt 0 ]; then
	echo "failed checks:"
	for name in "${failed_names[@]}"; do
		echo "  $name:"
		grep -a -E '^\[FAIL\]|^vm: (booting|timed out|command exited [^0])|^[0-9]+ passed, [0-9]+ failed|^=== .*: (FAILED|passed)' \
			"$(log_of "$name")" 2>/dev/null | sed 's/^/    /' | tail -n 60
	done
	echo "failed suites: ${failed_names[*]}"
fi
echo "suites: $passed passed, $failed failed in $((SECONDS - all_start))s"
[ $failed -eq 0 ]

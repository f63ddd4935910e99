# SPDX-License-Identifier: GPL-2.0
# What the benchmark scripts share: their -s/-h parsing and the little
# measuring helpers. Sourced after selftests/net/lib.sh:
#   . "$(dirname "$0")/lib.sh"; bench_args "$@"
# bench_args ARGS: smoke=1 with -s; -h prints the script's header comment
# (from its third line to the first line that is not a comment) and exits
# 0; anything else prints it to stderr and exits 2.
bench_usage() { sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; }
bench_args() {
	local a
	smoke=
	for a in "$@"; do
		case $a in
		-h) bench_usage; exit 0 ;;
		-s) smoke=1 ;;
		*) bench_usage >&2; exit 2 ;;
		esac
	done
}

# now: the time, seconds with nanoseconds; secs A B: B - A, 0.1 s
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# meminfo KEY: a /proc/meminfo field, KiB; rss PID: VmRSS, KiB ("" when gone)
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# kmem: the kernel's own memory, KiB: unreclaimable slab (XFRM states and
# policies, routes, sockets) and per-CPU allocations
kmem() { awk '/^(SUnreclaim|Percpu):/ { s += $2 } END { print s }' /proc/meminfo; }
# median: of the numbers on stdin, one a line (general numeric sort:
# decimals and exponents too)
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# mbps CMD...: the receiver's Mbit/s in the output of an iperf3 client
mbps() { "$@" 2>/dev/null | awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i ~ /bits\/sec/) { v = $(i - 1); u = $i } }
	END { if (u ~ /^G/) v *= 1000; else if (u ~ /^K/) v /= 1000; else if (u !~ /^M/) v /= 1000000; printf "%.1f", v }'; }

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Control-plane figures, on the running kernel, in lib.sh namespaces:
#
#   load    tenetd start to "ready" with N lookup records in the store (the
#           maps are filled before it says ready; the count is checked),
#           and the agent's VmRSS/VmHWM then;
#   change  3 agents (3 hosts) on one store: from `tenet lookup add` or
#           `replace` returning to the record being in all 3 agents'
#           tenet_ca maps, p50/p99 over M changes (selftests/bench/cp_bench.c).
#
# usage: cp_bench.sh [-s] [-h]   (-s: smoke, 20k records and 20 changes)
# Prints "# ..." lines and machine-readable "@cp KEY VALUE" lines for
# selftests/bench/run.sh. A store of N records is built once with the
# store API and kept in $BUILD/bench/ (about 1 min for 1M), then copied.
. "$(dirname "$0")/../net/lib.sh"

usage() { sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; }
RECORDS=1000000 CHANGES=1000
while getopts sh o; do
	case $o in
	s) RECORDS=20000 CHANGES=20 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
CP=$BUILD/selftests/bench/cp_bench
# tenetd pins under <bpffs>/tenet/<host>/v<layout>
LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)
pin_dir() { echo "$(host_bpffs "$1")/tenet/$1/v$LAYOUT"; }
lib_init cpb
require_root
require_build
[ -x "$CP" ] || fail_all "no $CP (make bench builds it)"

# ---- load: one host, N records ----
CACHE=$BUILD/bench/store-$RECORDS.db
if [ ! -s "$CACHE" ]; then
	info "building a store of $RECORDS lookup records in $CACHE (once)"
	mkdir -p "$(dirname "$CACHE")"
	rm -f "$CACHE.tmp"
	{
		"$TENET" --store "$CACHE.tmp" store init &&
		"$TENET" --store "$CACHE.tmp" rdomain add Fabrikam &&
		for i in $(seq 0 15); do
			"$TENET" --store "$CACHE.tmp" vsubnet add $((10000 + i)) rdomain Fabrikam \
				prefix 10.$((16 + i)).0.0/16 || exit 1
		done &&
		"$CP" load "$CACHE.tmp" "$RECORDS"
	} >/dev/null || fail_all "building the store"
	mv "$CACHE.tmp" "$CACHE"
fi
cp "$CACHE" "$STORE"

fabric_add
host_add host1 192.168.4.11/24
t0=$(date +%s.%N)
host_start host1
check "tenetd with $RECORDS records ready" host_wait_ready host1 120
t1=$(date +%s.%N)
dir=$(pin_dir host1)
n=$("$CP" count "$dir")
check "tenet_ca holds $RECORDS entries (has $n)" test "$n" = "$RECORDS"
pid=${AGENT_PID[host1]}
# CPU time the agent used to get there (user + system): what the load
# costs, whatever else the shared machine was doing meanwhile.
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
	"/proc/$pid/stat")
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
info "load: $RECORDS records, tenetd start to ready ${secs} s (${cpu} s of CPU); VmRSS $((rss / 1024)) MiB, VmHWM $((hwm / 1024)) MiB"
echo "@cp load_s $secs"
echo "@cp load_cpu_s $cpu"
echo "@cp rss_mib $((rss / 1024))"
echo "@cp hwm_mib $((hwm / 1024))"
host_stop host1

# ---- change latency: 3 agents, one store ----
STORE=$TMP/store2.db
tq store init &&
tq rdomain add Contoso &&
tq vsubnet add 20000 rdomain Contoso prefix 10.40.0.0/16 || fail_all "configuring the store"
rd=$("$TENET" --store "$STORE" rdomain show | awk '$1 == "Contoso" { print $3 }')
dirs=()
for h in h1 h2 h3; do
	host_add $h 192.168.5.$((${h#h} + 10))/24
	dirs+=("$(pin_dir $h)")
	host_start $h
done
for h in h1 h2 h3; do check "tenetd on $h ready" host_wait_ready $h; done
if out=$("$CP" latency "$CHANGES" "$rd" "$STORE" "$TENET" "${dirs[@]}"); then
	ok "$CHANGES changes reached 3 agents"
	info "change: $out"
	set -- $out
	echo "@cp p50_ms $6"
	echo "@cp p99_ms $8"
	echo "@cp e2e_p50_ms ${17}"
	echo "@cp e2e_p99_ms ${19}"
else
	fail "$CHANGES changes reached 3 agents"
fi
finish

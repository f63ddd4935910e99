#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Control-plane figures, on the running kernel, in lib.sh namespaces:
#
#   load    tenetd start to "ready" with N lookup records in the store (the
#           maps are filled before it says ready; the count is checked),
#           and the agent's VmRSS/VmHWM then; and a control: the time any
#           process takes to touch that much fresh memory (cp_bench touch);
#   change  3 agents (3 hosts) on one store: from `tenet lookup add` or
#           `replace` returning to the record being in all 3 agents'
#           tenet_ca maps, p50/p99 over M changes (selftests/bench/cp_bench.c).
#   cpu     the agent's CPU time per single-record change (`lookup add`
#           or `replace`), at N records (the load's agent) and at 1k
#           records, p50/p99 (selftests/bench/cp_bench.c cpu); then a
#           second pass at N with two idle processes of the agent's size
#           beside it (4 KiB and huge pages), which print what they are
#           charged per wake-up (cp_bench idle: the platform's share);
#   batch   `tenet batch` of 100k `lookup add` lines into one VSID (-s:
#           2k; etcd: 2M lines, M the changes): seconds and records/s,
#           with the change part's 3 agents following the store (on 2
#           cores they compete with the CLI), then again into another
#           VSID with no agent running: the CLI's own time.
#   etcd    load, change and batch again with the store on a 3-member
#           etcd cluster (lib.sh etcd_up; Debian's etcd-server), the load
#           as a ratio to SQLite's. The cluster's data after the load is
#           kept in $BUILD/bench/etcd-N/ like the SQLite store.
#
# usage: cp_bench.sh [-s] [-e] [-h]   (-s: smoke, 20k records and 20
# changes; -e: without the etcd part)
# Prints "# ..." lines and machine-readable "@cp KEY VALUE" lines for
# selftests/bench/run.sh. A store of N records is built once with the
# store API and kept in $BUILD/bench/ (about 1 min for 1M), then copied.
. "$(dirname "$0")/../net/lib.sh"

usage() { sed -n '3,32p' "$0" | sed 's/^# \{0,1\}//'; }
RECORDS=1000000 CHANGES=1000 CPU_CHANGES=200 BIG_BATCH=100000
NO_ETCD=
while getopts seh o; do
	case $o in
	e) NO_ETCD=1 ;;
	s) RECORDS=20000 CHANGES=20 CPU_CHANGES=20 BIG_BATCH=2000 ;;
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
thp=$(awk '/^AnonHugePages/ { print $2 }' "/proc/$pid/smaps_rollup")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
info "load: $RECORDS records, tenetd start to ready ${secs} s (${cpu} s of CPU); VmRSS $((rss / 1024)) MiB ($((thp / 1024)) MiB on huge pages), VmHWM $((hwm / 1024)) MiB"
echo "@cp load_s $secs"
echo "@cp load_cpu_s $cpu"
echo "@cp rss_mib $((rss / 1024))"
echo "@cp hwm_mib $((hwm / 1024))"
echo "@cp thp_mib $((thp / 1024))"
# The control: what touching that much fresh memory costs any process
# here, now (cp_bench touch): on this platform a good part of the load.
if out=$("$CP" touch $((hwm / 1024))); then
	info "control, a process touching the agent's VmHWM of fresh memory: $out"
	echo "@cp touch_s $(awk '{ print $5 }' <<<"$out")"
else
	fail "the touch control failed"
fi

# ---- CPU per change: at N records, then at 1k ----
# cpu_per_change HOST LABEL KEY [NET]: CPU_CHANGES lookup changes in VSID
# 10015 (CAs from NET, default 10.31.200: after the loaded records), the
# agent's CPU time for each.
cpu_per_change() {
	local rd out
	rd=$("$TENET" --store "$STORE" -d rdomain show Fabrikam | awk '$1 == "number" { print $2 }')
	if out=$("$CP" cpu "$CPU_CHANGES" "${AGENT_PID[$1]}" "$rd" 10015 "${4:-10.31.200}" "$STORE" "$TENET" \
		"$(pin_dir "$1")"); then
		ok "$CPU_CHANGES changes at $2"
		info "agent CPU per change at $2: $out"
		set -- "$3" $out
		echo "@cp ${1}_p50_ms $7"
		echo "@cp ${1}_p99_ms $9"
	else
		fail "$CPU_CHANGES changes at $2"
	fi
}
cpu_per_change host1 "$RECORDS records" cpu_big
# The controls (cp_bench idle), in a pass of their own so that they do
# not weigh on the figure above: two processes as large as the agent
# that only sleep and wake, one on 4 KiB pages and one on huge pages,
# beside more changes (CAs from 10.31.150). What they are charged per
# wake-up is the platform's price of switching back into that much
# memory, which the agent pays too (docs/performance.md, "Huge pages").
idle_pids=()
for pages in 4k huge; do
	"$CP" idle $((rss / 1024)) $pages >"$TMP/idle-$pages" &
	idle_pids+=($!)
done
cpu_per_change host1 "$RECORDS records, the controls beside" cpu_ctl 10.31.150
kill -TERM "${idle_pids[@]}"
wait "${idle_pids[@]}"
for pages in 4k huge; do
	if read -r out <"$TMP/idle-$pages" && [ -n "$out" ]; then
		info "control, an idle process of the agent's size beside the changes: $out"
		set -- $out
		echo "@cp idle_${pages}_p50_ms $6"
		echo "@cp idle_${pages}_p99_ms $8"
	else
		fail "the idle control on $pages pages printed nothing"
	fi
done
host_stop host1
STORE=$TMP/store1k.db
{
	tq store init && tq rdomain add Fabrikam &&
	for i in $(seq 0 15); do
		tq vsubnet add $((10000 + i)) rdomain Fabrikam prefix 10.$((16 + i)).0.0/16 || exit 1
	done && "$CP" load "$STORE" 1000 >/dev/null
} || fail_all "building a store of 1000 records"
host_add k1 192.168.4.12/24
host_start k1
check "tenetd with 1000 records ready" host_wait_ready k1
cpu_per_change k1 "1000 records" cpu_1k
host_stop k1

# ---- change latency: 3 agents, one store ----
STORE=$TMP/store2.db
tq store init &&
tq rdomain add Contoso &&
tq vsubnet add 20000 rdomain Contoso prefix 10.40.0.0/16 || fail_all "configuring the store"
rd=$("$TENET" --store "$STORE" -d rdomain show Contoso | awk '$1 == "number" { print $2 }')
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

# ---- tenet batch: write throughput (one policy write per line) ----
# batch_file N [VSID [NET]]: N `lookup add` lines, all in subnet VSID
# (20001) of 10.NET/12 (NET 64).
batch_file() {
	awk -v n="$1" -v vsid="${2:-20001}" -v net="${3:-64}" 'BEGIN { for (i = 0; i < n; i++) { a = i + 2
		printf "lookup add vsid %d ca 10.%d.%d.%d mac 02:41:00:%02x:%02x:%02x pa 192.168.4.22\n",
			vsid, net + int(a / 65536), int(a / 256) % 256, a % 256,
			int(i / 65536) % 256, int(i / 256) % 256, i % 256 } }'
}
# batch_rate N [VSID NET]: `tenet batch` of N lines on $STORE into a new
# subnet VSID (20001) of 10.NET.0.0/12 (64); prints records/s and seconds
# (wall clock around the CLI); the CLI's own summary line is kept in
# $TMP/batch.out.
batch_rate() {
	local t0 t1
	tq vsubnet add "${2:-20001}" rdomain Contoso prefix "10.${3:-64}.0.0/12" || return 1
	batch_file "$1" "${2:-20001}" "${3:-64}" >"$TMP/batch.txt"
	t0=$(date +%s.%N)
	tenet_cli --store "$STORE" batch - <"$TMP/batch.txt" >"$TMP/batch.out" || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v n="$1" 'BEGIN { printf "%.0f %.2f", n / (b - a), b - a }'
}
if out=$(batch_rate "$BIG_BATCH"); then
	set -- $out
	ok "tenet batch of $BIG_BATCH records into one VSID on SQLite"
	info "batch: $BIG_BATCH records into one VSID on SQLite in $2 s, $1 records/s" \
		"(the CLI: $(cat "$TMP/batch.out"))"
	echo "@cp batch_sqlite_rps $1"
	echo "@cp batch_sqlite_n $BIG_BATCH"
	echo "@cp batch_sqlite_s $2"
else
	fail "tenet batch of $BIG_BATCH records into one VSID on SQLite"
fi
for h in h1 h2 h3; do host_stop $h; done
# The same with no agent on the machine: what the CLI itself takes.
if out=$(batch_rate "$BIG_BATCH" 20002 80); then
	set -- $out
	ok "tenet batch of $BIG_BATCH records into one VSID on SQLite, no agent running"
	info "batch, no agent running: $BIG_BATCH records in $2 s, $1 records/s"
	echo "@cp batch_alone_rps $1"
	echo "@cp batch_alone_s $2"
else
	fail "tenet batch of $BIG_BATCH records into one VSID on SQLite, no agent running"
fi
SQLITE_LOAD=$secs

# ---- the same on etcd: a 3-member cluster (lib.sh etcd_up) ----
if [ -n "$NO_ETCD" ]; then
	finish
	exit
fi
if [ ! -x /usr/bin/etcd ]; then
	fail "etcd part: /usr/bin/etcd is not installed (make deps)"
	finish
	exit
fi
ECACHE=$BUILD/bench/etcd-$RECORDS
[ -d "$ECACHE" ] && ETCD_SEED=$ECACHE
etcd_up 3
if [ -z "${ETCD_SEED:-}" ]; then
	info "loading $RECORDS lookup records into etcd, kept in $ECACHE (once)"
	{
		tq rdomain add Fabrikam &&
		for i in $(seq 0 15); do
			tq vsubnet add $((10000 + i)) rdomain Fabrikam prefix 10.$((16 + i)).0.0/16 || exit 1
		done &&
		ip netns exec "${NS[ops]}" "$CP" load "$STORE" "$RECORDS"
	} || fail_all "loading etcd"
	for i in 1 2 3; do etcd_stop "$i" TERM; done
	rm -rf "$ECACHE.tmp" && mkdir -p "$ECACHE.tmp" &&
		cp -a "$TMP/etcd1" "$TMP/etcd2" "$TMP/etcd3" "$ECACHE.tmp/" && mv "$ECACHE.tmp" "$ECACHE"
	for i in 1 2 3; do etcd_start "$i"; done
	wait_for 60 etcd_healthy || fail_all "etcd after the load"
fi
host_add e1 192.168.6.11/24
t0=$(date +%s.%N)
host_start e1
check "tenetd with $RECORDS records from etcd ready" host_wait_ready e1 300
t1=$(date +%s.%N)
n=$("$CP" count "$(pin_dir e1)")
check "tenet_ca holds $RECORDS entries from etcd (has $n)" test "$n" = "$RECORDS"
pid=${AGENT_PID[e1]}
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
	"/proc/$pid/stat")
esecs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
ratio=$(awk -v a="$esecs" -v b="$SQLITE_LOAD" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
info "load from etcd: $RECORDS records, tenetd start to ready ${esecs} s (${cpu} s of CPU), ${ratio}x SQLite's ${SQLITE_LOAD} s"
echo "@cp etcd_load_s $esecs"
echo "@cp etcd_load_cpu_s $cpu"
echo "@cp etcd_load_ratio $ratio"
host_stop e1

# Change latency on etcd: a namespace of its own in the same cluster.
STORE=$STORE/latency
tq rdomain add Contoso &&
tq vsubnet add 20000 rdomain Contoso prefix 10.40.0.0/16 || fail_all "configuring the etcd store"
rd=$(t -d rdomain show Contoso | awk '$1 == "number" { print $2 }')
dirs=()
for h in e2 e3 e4; do
	host_add $h 192.168.6.$((${h#e} + 10))/24
	dirs+=("$(pin_dir $h)")
	host_start $h
done
for h in e2 e3 e4; do check "tenetd on $h ready (etcd)" host_wait_ready $h; done
if out=$(ip netns exec "${NS[ops]}" "$CP" latency "$CHANGES" "$rd" "$STORE" "$TENET" "${dirs[@]}"); then
	ok "$CHANGES changes reached 3 agents (etcd)"
	info "change on etcd: $out"
	set -- $out
	echo "@cp etcd_p50_ms $6"
	echo "@cp etcd_p99_ms $8"
	echo "@cp etcd_e2e_p50_ms ${17}"
	echo "@cp etcd_e2e_p99_ms ${19}"
else
	fail "$CHANGES changes reached 3 agents (etcd)"
fi
BATCH=$((CHANGES * 2))
if out=$(batch_rate "$BATCH"); then
	set -- $out
	ok "tenet batch of $BATCH records on etcd"
	info "batch: $BATCH records on etcd, $1 records/s"
	echo "@cp batch_etcd_rps $1"
else
	fail "tenet batch of $BATCH records on etcd"
fi
finish

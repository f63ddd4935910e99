#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tenet at native speed on the running kernel, beside the kernel's own L2
# overlay and beside no overlay at all, in one run (issue 21, item 4).
# Three two-host topologies in namespaces (selftests/net/lib.sh), VM
# 10.0.0.5 on one host sending to VM 10.0.0.7 on the other:
#
#   tenet   host1/host2 with tenetd and its programs (lib.sh's two-host
#           subnet), fabric bridge br0, NVGRE
#   vxlan   x1/x2: the VM's veth and a vxlan device (VNI = VSID, nolearning,
#           static FDB: the remote VM's MAC and the flood entry point at the
#           other host) in a bridge with learning off on the vxlan port and
#           a static entry for the remote MAC; fabric br0
#   bridge  b1/b2: the VM's veth and the underlay veth in a bridge, no
#           overlay; fabric br1
#
# Every VM has MTU 1450 (VXLAN's 50 bytes of overhead on a 1500 underlay)
# so all three carry the same segments. Measured, in interleaved rounds
# (each round runs the three in a rotating order), medians and spread:
#
#   pps     pkt_send (AF_PACKET, qdisc bypassed, sendmmsg batches of 64;
#           trafgen 0.6.8 quits on the EAGAIN a veth's backpressure gives)
#           in the sending VM, pinned to CPU 0, 64-byte frames (60 + FCS)
#           UDP to port 9, as fast as it goes, SECS seconds; the rate is what
#           reaches the receiving VM's IP stack (IpInReceives, after 0.5 s
#           of warm-up). RPS on the sending VM's host-side port steers the
#           path to CPU 1, so the generator and the path do not share a CPU.
#   per core  the same packets over the CPU spent: softirq + irq time of
#           all CPUs (/proc/stat; the path runs in softirq) plus the
#           generator's own CPU time (/proc/PID/stat), over the window.
#           Other work on the machine is not counted, except its softirq.
#   TCP     iperf3 VM to VM, 1 and 4 streams, client pinned to CPU 0
#   RTT     ping, 200 echoes 5 ms apart per round, p50 and p99
#
# usage: native_bench.sh [-s] [-h]   (-s: smoke, one round of 1 s)
# Environment: TENET_BENCH_ROUNDS (default 5), TENET_BENCH_SECS (3);
# TENET_BENCH_PERF=DIR: `perf record -a -g` over each pps window into
# DIR/pps-TOPO.data (the last round's; the profiler's cost is in that
# round's figures, so read them as a profile, not as a measurement).
# Prints "# ..." lines and "@native KEY TENET VXLAN BRIDGE" lines for
# selftests/bench/run.sh.
VM_MTU=1450
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/lib.sh"

usage() { sed -n '3,41p' "$0" | sed 's/^# \{0,1\}//'; }
ROUNDS=${TENET_BENCH_ROUNDS:-5}
SECS=${TENET_BENCH_SECS:-3}
PERF_DIR=${TENET_BENCH_PERF:-}
PINGS=200
for a in "$@"; do
	case $a in
	-h) usage; exit 0 ;;
	-s) ROUNDS=1; SECS=1; PINGS=50 ;;
	*) usage >&2; exit 2 ;;
	esac
done
lib_init native
require_root
require_build
require_cmd ethtool iperf3 nstat taskset ping bridge
PKT_SEND=$BUILD/selftests/bench/pkt_send
[ -x "$PKT_SEND" ] || fail_all "no $PKT_SEND (make bench builds it)"
NCPU=$(nproc)
GEN_CPU=0
PATH_CPU=$((NCPU > 1 ? 1 : 0))
VSID=5001
MA=00:15:5d:00:50:05 MB=00:15:5d:00:50:07
MXA=00:15:5d:01:50:05 MXB=00:15:5d:01:50:07
MBA=00:15:5d:02:50:05 MBB=00:15:5d:02:50:07
TOPOS=(tenet vxlan bridge)
declare -A SRC=([tenet]=a [vxlan]=xa [bridge]=ba) DST=([tenet]=b [vxlan]=xb [bridge]=bb)
declare -A SRCMAC=([tenet]=$MA [vxlan]=$MXA [bridge]=$MBA)
declare -A DSTMAC=([tenet]=$MB [vxlan]=$MXB [bridge]=$MBB)
# The sending VM's port on its host, where RPS moves the path to PATH_CPU.
declare -A PORT=([tenet]="host1 pa" [vxlan]="x1 p0" [bridge]="b1 p0")

# ---- the three topologies ----
fabric_add
fabric_bridge br1

# tenet: lib.sh's two hosts, configured through tenet, agents started.
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
vm_add a host1 pa $MA 10.0.0.5/24
vm_add b host2 pb $MB 10.0.0.7/24

# vxlan_host NAME IP PEER-IP VM VM-MAC VM-IP PEER-VM-MAC
vxlan_host() {
	plain_add "$1" "$2/24" ul0
	nx "$1" ip link add vx0 type vxlan id $VSID local "$2" dev ul0 dstport 4789 nolearning
	nx "$1" ip link add br0 type bridge
	nx "$1" ip link set vx0 master br0 up
	nx "$1" bridge link set dev vx0 learning off
	nx "$1" ip link set br0 up
	vm_add "$4" "$1" p0 "$5" "$6/24" none
	nx "$1" ip link set p0 master br0
	# Static FDB: the remote VM behind the vxlan port (bridge) and at the
	# peer's address (vxlan); BUM (ARP) flooded to the peer.
	nx "$1" bridge fdb add "$7" dev vx0 master static &&
	nx "$1" bridge fdb append "$7" dev vx0 dst "$3" self permanent &&
	nx "$1" bridge fdb append 00:00:00:00:00:00 dev vx0 dst "$3" self permanent
}
vxlan_host x1 192.168.4.101 192.168.4.102 xa $MXA 10.0.0.5 $MXB ||
	fail_all "vxlan host x1"
vxlan_host x2 192.168.4.102 192.168.4.101 xb $MXB 10.0.0.7 $MXA ||
	fail_all "vxlan host x2"

# bridge_host NAME VM VM-MAC VM-IP: the VM's port and the underlay in one
# bridge, on fabric br1 (its own segment: the VMs' addresses repeat).
bridge_host() {
	ns_add "$1"
	fabric_link "$1" ul0 br1
	nx "$1" ip link add br0 type bridge
	nx "$1" ip link set ul0 master br0
	nx "$1" ip link set br0 up
	vm_add "$2" "$1" p0 "$3" "$4/24" none
	nx "$1" ip link set p0 master br0
}
bridge_host b1 ba $MBA 10.0.0.5
bridge_host b2 bb $MBB 10.0.0.7

two_host_subnet_up $VSID $MA $MB
for t in "${TOPOS[@]}"; do
	check "$t: ${SRC[$t]} -> ${DST[$t]}" wait_for 5 ping_ok "${SRC[$t]}" 10.0.0.7
done
# RPS: what the sending VM's port receives is processed on PATH_CPU.
for t in "${TOPOS[@]}"; do
	read -r h p <<<"${PORT[$t]}"
	nx "$h" sh -c "printf %x $((1 << PATH_CPU)) > /sys/class/net/$p/queues/rx-0/rps_cpus" ||
		fail_all "cannot set RPS on $h $p"
done
[ "$failed" = 0 ] || fail_all "topologies not up"

# ---- measurements ----
ipin() { nx "$1" nstat -az IpInReceives | awk '$1 == "IpInReceives" { print $2 }'; }
# softirq + irq ticks of all CPUs (USER_HZ), and the CPU ticks of the
# generator in a namespace.
sirq() { awk '/^cpu / { print $7 + $8; exit }' /proc/stat; }
gencpu() {
	local p s=0 v
	for p in $(ip netns pids "${NS[$1]}"); do
		v=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = pkt_send ] && s=$((s + v))
	done
	echo $s
}
HZ=$(getconf CLK_TCK)

# pps TOPO: prints "<pps> <pps per busy core> <path CPU busy %>"
pps() {
	local t=$1 s=${SRC[$1]} d=${DST[$1]} gen r0 r1 c0 c1 g0 g1 t0 t1
	ip netns exec "${NS[$s]}" taskset -c $GEN_CPU "$PKT_SEND" eth0 "${DSTMAC[$t]}" "${SRCMAC[$t]}" \
		10.0.0.5 10.0.0.7 60 >"$TMP/gen-$t.log" 2>&1 &
	gen=$!
	sleep 0.5
	r0=$(ipin "$d") c0=$(sirq) g0=$(gencpu "$s") t0=$(now)
	if [ -n "$PERF_DIR" ]; then
		perf record -q -a -g -o "$PERF_DIR/pps-$t.data" -- sleep "$SECS" >/dev/null 2>&1
	else
		sleep "$SECS"
	fi
	r1=$(ipin "$d") c1=$(sirq) g1=$(gencpu "$s") t1=$(now)
	kill -INT $gen 2>/dev/null
	wait $gen 2>/dev/null
	awk -v r=$((r1 - r0)) -v c=$((c1 - c0)) -v g=$((g1 - g0)) -v t0="$t0" -v t1="$t1" \
		-v hz="$HZ" 'BEGIN {
			t = t1 - t0; if (t <= 0 || r <= 0) exit 1
			cores = (c + g) / hz / t
			printf "%.0f %.0f %.2f\n", r / t, (cores > 0 ? r / t / cores : 0), cores }'
}

# tcp TOPO STREAMS: Mbit/s
tcp() {
	local s=${SRC[$1]} d=${DST[$1]} srv rc
	nx "$d" iperf3 -s -1 >/dev/null 2>&1 &
	srv=$!
	wait_for 10 bash -c "ip netns exec ${NS[$d]} ss -ltn | grep -q ':5201 '" || return 1
	nx "$s" timeout $((SECS + 15)) taskset -c $GEN_CPU iperf3 -c 10.0.0.7 -t "$SECS" \
		-P "$2" --connect-timeout 3000 -f m >"$TMP/tcp-$1-$2.txt" 2>&1
	rc=$?
	[ $rc = 0 ] || kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	[ $rc = 0 ] || return 1
	awk -v p="$2" '/ receiver$/ && (p == 1 || /SUM/) {
			for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") m = $i }
		END { if (m == "") exit 1; print m }' "$TMP/tcp-$1-$2.txt"
}

# rtt TOPO: "<p50 us> <p99 us>" of PINGS echoes
rtt() {
	nx "${SRC[$1]}" taskset -c $GEN_CPU ping -n -c "$PINGS" -i 0.005 -W 1 10.0.0.7 2>/dev/null |
		sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR < 2) exit 1
			printf "%.0f %.0f\n", v[int((NR - 1) * 0.5) + 1] * 1000, v[int((NR - 1) * 0.99) + 1] * 1000 }'
}

# Results: one file per figure and topology, a value per round.
record() { echo "$3" >>"$TMP/res-$1-$2"; }
declare -i bad=0
info "native comparison: $ROUNDS rounds, $SECS s per pps/TCP figure, $PINGS pings; generator on CPU $GEN_CPU, path on CPU $PATH_CPU (RPS); kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < ROUNDS; r++)); do
	order=()
	for ((i = 0; i < 3; i++)); do order+=("${TOPOS[$(((r + i) % 3))]}"); done
	for t in "${order[@]}"; do
		if v=$(pps "$t"); then
			read -r p pc busy <<<"$v"
			record pps "$t" "$p"; record ppscore "$t" "$pc"; record busy "$t" "$busy"
		else
			bad+=1; info "round $r: $t pps failed"; cat "$TMP/gen-$t.log"
		fi
	done
	for st in 1 4; do
		for t in "${order[@]}"; do
			if v=$(tcp "$t" $st); then record tcp$st "$t" "$v"
			else bad+=1; info "round $r: $t TCP -P $st failed"; cat "$TMP/tcp-$t-$st.txt"; fi
		done
	done
	for t in "${order[@]}"; do
		if v=$(rtt "$t"); then
			read -r p50 p99 <<<"$v"
			record rtt50 "$t" "$p50"; record rtt99 "$t" "$p99"
		else bad+=1; info "round $r: $t ping failed"; fi
	done
	info "round $((r + 1)) of $ROUNDS done, order ${order[*]}"
done
check "every measurement completed" [ $bad = 0 ]

# median and spread (min-max) of a figure for a topology: "med min max"
stat3() {
	sort -g "$TMP/res-$1-$2" 2>/dev/null | awk '{ v[NR] = $1 } END {
		if (!NR) { print "0 0 0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
info ""
info "$(printf '%-26s %-22s %-22s %-22s %9s %9s' figure "tenet med (min-max)" "vxlan+bridge" "bridge" "t/vxlan" "t/bridge")"
for f in pps:64B_pps ppscore:pps_per_busy_core busy:busy_cores tcp1:TCP_1_stream_Mbit/s \
	tcp4:TCP_4_streams_Mbit/s rtt50:ping_p50_us rtt99:ping_p99_us; do
	k=${f%%:*} label=${f#*:}
	line=$(printf '%-26s' "${label//_/ }")
	meds=()
	for t in "${TOPOS[@]}"; do
		read -r m lo hi <<<"$(stat3 "$k" "$t")"
		meds+=("$m")
		fmt='%.0f (%.0f-%.0f)'
		[ "$k" = busy ] && fmt='%.2f (%.2f-%.2f)'
		line+=$(printf ' %-22s' "$(printf "$fmt" "$m" "$lo" "$hi")")
	done
	line+=$(printf ' %8sx %8sx' "$(ratio "${meds[0]}" "${meds[1]}")" "$(ratio "${meds[0]}" "${meds[2]}")")
	info "$line"
	echo "@native $k ${meds[*]}"
done
info "(busy cores: softirq + irq of all CPUs plus the generator, during the pps window)"
finish

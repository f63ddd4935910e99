#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Forwarding rate and TCP through the overlay, tenet beside the kernel
# doing the same job, in one run and one topology (selftests/net/lib.sh):
#
#   tenet:  host1 (192.168.4.11) VM a 10.0.0.5  -> host2 (192.168.4.22) VM b 10.0.0.7
#   gretap: g1 (192.168.4.101)   VM ga 10.0.0.5 -> g2 (192.168.4.102)   VM gb 10.0.0.7
#           each g host: gretap (key = VSID << 8) and its VM's veth in a bridge
#
# pps: pktgen in the sending VM (UDP, 64 and 1400-byte frames, one kernel
# thread, as fast as it goes) for SECS seconds; the rate is what reaches
# the receiving VM's IP stack (IpInReceives), the CPU what /proc/stat counts
# busy on all CPUs meanwhile (the generator's own thread included, the same
# for both). TCP: iperf3, 1 and 4 streams. GSO/GRO: the average size of
# what the sending VM hands its port (TSO/GSO skbs), of the frames on the
# underlay, and of what the receiving VM gets (GRO), plus the
# frag-needed/encap drop counters (a GSO skb bigger than the MTU that lost
# its GSO state on encap would be dropped as too big).
#
# The development kernel has no GRE: like test_tcp.sh, this re-runs itself
# in the Debian 6.1 guest (selftests/vm/run), under TCG emulation, where
# the absolute figures are small and only the ratios mean something.
#
# usage: net_bench.sh [-s] [-h]   (-s: smoke, 1 s per figure)
# Prints "# ..." lines and "@net KEY VALUE" lines for selftests/bench/run.sh.
. "$(dirname "$0")/../net/lib.sh"

usage() { sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; }
for a in "$@"; do
	case $a in
	-h) usage; exit 0 ;;
	-s) ;;
	*) usage >&2; exit 2 ;;
	esac
done
SECS=${TENET_BENCH_SECS:-4}
[ "${1:-}" = -s ] && SECS=1
require_kernel gretap "$@"
lib_init nbench
require_root
require_build
require_cmd ethtool iperf3 nstat
modprobe pktgen 2>/dev/null
VSID=5001
MA=00:15:5d:00:50:05 MB=00:15:5d:00:50:07
MGA=00:15:5d:01:50:05 MGB=00:15:5d:01:50:07

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
vm_add a host1 pa $MA 10.0.0.5/24
vm_add b host2 pb $MB 10.0.0.7/24
gretap_host g1 192.168.4.101 192.168.4.102 $((VSID << 8)) ga $MGA 10.0.0.5/24
gretap_host g2 192.168.4.102 192.168.4.101 $((VSID << 8)) gb $MGB 10.0.0.7/24
two_host_subnet_up $VSID $MA $MB
check "tenet: a -> b" wait_for 3 ping_ok a 10.0.0.7
check "gretap: ga -> gb" wait_for 3 ping_ok ga 10.0.0.7
# The senders know their peers now (ARP); pktgen needs the MAC anyway.
[ -d /proc/net/pktgen ] || nx a test -d /proc/net/pktgen ||
	fail_all "no pktgen (modprobe pktgen) on kernel $(uname -r)"

counter() { nx "$1" cat "/sys/class/net/$2/statistics/$3"; }
ipin() { nx "$1" nstat -az IpInReceives | awk '$1 == "IpInReceives" { print $2 }'; }
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
idle() { awk '/^cpu / { print $5 + $6; exit }' /proc/stat; }

# pps SENDER-VM RECEIVER-VM DST-MAC SIZE: prints "<pps> <busy cores>".
pps() {
	local ns=${NS[$1]} r0 r1 b0 b1 i0 i1 t0 t1 gen
	ip netns exec "$ns" bash -c "
		pg() { echo \"\$2\" > /proc/net/pktgen/\$1; }
		pg pgctrl reset
		pg kpktgend_0 'rem_device_all'
		pg kpktgend_0 'add_device eth0'
		pg eth0 'count 0'
		pg eth0 'clone_skb 0'
		pg eth0 'pkt_size $(($4 - 4))'
		pg eth0 'delay 0'
		pg eth0 'dst 10.0.0.7'
		pg eth0 'dst_mac $3'
		pg eth0 'udp_dst_min 9'
		pg eth0 'udp_dst_max 9'" || return 1
	ip netns exec "$ns" bash -c 'echo start > /proc/net/pktgen/pgctrl' 2>/dev/null &
	gen=$!
	sleep 0.5
	r0=$(ipin "$2") b0=$(busy) i0=$(idle) t0=$(date +%s.%N)
	sleep "$SECS"
	r1=$(ipin "$2") b1=$(busy) i1=$(idle) t1=$(date +%s.%N)
	ip netns exec "$ns" bash -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait $gen 2>/dev/null
	awk -v r=$((r1 - r0)) -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v t0="$t0" -v t1="$t1" \
		-v n="$(nproc)" 'BEGIN {
			t = t1 - t0; if (t <= 0 || r <= 0) exit 1
			printf "%.0f %.2f\n", r / t, (b + i) ? n * b / (b + i) : 0 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }'; }
for size in 64 1400; do
	if t=$(pps a b $MB $size) && g=$(pps ga gb $MGB $size); then
		read -r tp tc <<<"$t"
		read -r gp gc <<<"$g"
		tpc=$(awk -v p="$tp" -v c="$tc" 'BEGIN { printf "%.0f", (c > 0 ? p / c : 0) }')
		gpc=$(awk -v p="$gp" -v c="$gc" 'BEGIN { printf "%.0f", (c > 0 ? p / c : 0) }')
		ok "pktgen ${size}B through tenet and gretap"
		info "pps ${size}B: tenet $tp pps (${tc} cores busy, $tpc pps/core), gretap $gp pps (${gc} cores busy, $gpc pps/core), ratio $(ratio "$tp" "$gp")x, per core $(ratio "$tpc" "$gpc")x"
		echo "@net pps$size $tp $gp $tpc $gpc"
	else
		fail "pktgen ${size}B through tenet and gretap"
	fi
done

# tcp CLIENT SERVER SENDER-HOST STREAMS TAG: "<Mbit/s> <VM tx avg B>
# <underlay frame avg B> <receiver VM rx avg B> <retransmits>".
tcp() {
	local srv vp0 vb0 vp1 vb1 up0 ub0 up1 ub1 rp0 rb0 rp1 rb1 rc
	nx "$2" iperf3 -s -1 >/dev/null 2>&1 &
	srv=$!
	wait_for 10 bash -c "ip netns exec ${NS[$2]} ss -ltn | grep -q ':5201 '" || return 1
	vp0=$(counter "$1" eth0 tx_packets) vb0=$(counter "$1" eth0 tx_bytes)
	up0=$(counter "$3" ul0 tx_packets) ub0=$(counter "$3" ul0 tx_bytes)
	rp0=$(counter "$2" eth0 rx_packets) rb0=$(counter "$2" eth0 rx_bytes)
	nx "$1" timeout $((SECS + 15)) iperf3 -c 10.0.0.7 -t "$SECS" -P "$4" \
		--connect-timeout 3000 -f m >"$TMP/$5.txt" 2>&1
	rc=$?
	[ $rc = 0 ] || kill $srv 2>/dev/null
	vp1=$(counter "$1" eth0 tx_packets) vb1=$(counter "$1" eth0 tx_bytes)
	up1=$(counter "$3" ul0 tx_packets) ub1=$(counter "$3" ul0 tx_bytes)
	rp1=$(counter "$2" eth0 rx_packets) rb1=$(counter "$2" eth0 rx_bytes)
	wait $srv 2>/dev/null
	[ $rc = 0 ] || return 1
	awk -v vp=$((vp1 - vp0)) -v vb=$((vb1 - vb0)) -v up=$((up1 - up0)) -v ub=$((ub1 - ub0)) \
		-v rp=$((rp1 - rp0)) -v rb=$((rb1 - rb0)) -v p="$4" '
		/ sender$/ && (p == 1 || /SUM/) { retr = $(NF - 1) }
		/ receiver$/ && (p == 1 || /SUM/) {
			for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") mbps = $i }
		END {
			if (mbps == "") exit 1
			printf "%.0f %.0f %.0f %.0f %d\n", mbps, vp ? vb / vp : 0,
				up ? ub / up : 0, rp ? rb / rp : 0, retr
		}' "$TMP/$5.txt"
}
for p in 1 4; do
	if t=$(tcp a b host1 $p tenet$p) && g=$(tcp ga gb g1 $p gre$p); then
		read -r tm tv tu tr tx <<<"$t"
		read -r gm gv gu gr gx <<<"$g"
		ok "iperf3 -P $p through tenet and gretap"
		info "tcp -P $p: tenet $tm Mbit/s, gretap $gm Mbit/s, ratio $(ratio "$tm" "$gm")x"
		info "  tenet:  VM tx avg $tv B, underlay frames avg $tu B, VM rx avg $tr B, $tx retransmits"
		info "  gretap: VM tx avg $gv B, underlay frames avg $gu B, VM rx avg $gr B, $gx retransmits"
		echo "@net tcp$p $tm $gm"
		echo "@net gso$p $tv $tu $tr $gv $gu $gr"
	else
		fail "iperf3 -P $p through tenet and gretap"
		cat "$TMP/tenet$p.txt" "$TMP/gre$p.txt" 2>/dev/null
	fi
done
fn=$(stats_count host1 frag-needed) ef=$(stats_count host1 encap-failed)
info "host1 drops: frag-needed $fn, encap-failed $ef"
echo "@net drops $fn $ef"
finish

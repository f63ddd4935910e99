#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# BGP per compartment figures (docs/bgp.md, docs/performance.md), in the
# Debian 6.1 guest (the running kernel has no VRF; under TCG absolute
# times are ~10x those of real hardware, the ratios are the figure).
# Real tenetd driving real FRR (zebra, bgpd, bfdd), peers real BIRD 2:
#
#   1. N (100) tenants with one BGP session each on one gateway: one BIRD
#      in a "sites" namespace speaks to all of them, one veth and one
#      address per tenant (each tenant's external interface). The time
#      from the `tenet batch` that writes the N instances and neighbors
#      until BIRD and FRR report all N sessions Established and every
#      tenant's table holds its learned route; the memory per tenant:
#      bgpd's, zebra's and tenetd's RSS growth, the kernel's Slab and
#      MemAvailable (everything, BIRD included) over the same step.
#   2. P (100,000) prefixes from the peer into tenant 1 (a BIRD static
#      protocol enabled at once, /24s from 10.2.0.0 on, so they share
#      10.0.0.0/8 with the measured destination): the time until all are
#      in the tenant's VRF table (kernel, `proto bgp`), bgpd's and zebra's
#      RSS for them, the time until they are gone again after the peer
#      withdraws them. The per-packet cost of the tenant's datapath
#      with 1 route (before), with P + 1 (the same run) and with 1 again
#      (after the withdrawal): a VM of tenant 1 on another host sends
#      64-byte UDP (pkt_send) to 10.1.0.9 (a learned /24) through NVGRE,
#      the gateway's decap, the compartment's VRF lookup and its external
#      interface to the site; per condition, rounds of SECS seconds, pps
#      at the site and CPU ns per delivered packet (all busy CPU time,
#      /proc/stat, over the packets), medians; the ratio with/without.
#   3. Failover: tenant FO with two peers (BIRD 2 each, same AS) on one
#      LAN behind its external interface, both announcing 10.99.0.0/24, B
#      with a longer AS path; a VM of FO pings 10.99.0.1 every 10 ms; A's
#      link is cut silently (its port on the LAN goes down, the gateway's
#      interface stays up): with BFD (FRR's 300 ms x 3, BIRD the same),
#      and again without BFD (BGP's hold timer: FRR's 180 s, or
#      TENET_BGP_BENCH_HOLD): the longest gap in the replies and the packets
#      lost, the time until the route is on B.
#
# usage: bgp_bench.sh [-s] [-h]   (-s: smoke: 5 tenants, 2,000 prefixes,
#                                  1-s windows, hold time 9 s)
# Environment: TENET_BGP_BENCH_N (100 tenants), TENET_BGP_BENCH_PREFIXES (100000),
# TENET_BGP_BENCH_HOLD (empty: FRR's and BIRD's defaults, 180 s negotiated),
# TENET_BENCH_SECS (4), TENET_BENCH_ROUNDS (3), TENET_VM_TIMEOUT (1500).
# Prints "# ..." lines and "@bgp KEY VALUE" lines for selftests/bench/run.sh.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/../gw/bgp_lib.sh"

. "$(dirname "$0")/lib.sh"
bench_args "$@"
N=${TENET_BGP_BENCH_N:-100}
P=${TENET_BGP_BENCH_PREFIXES:-100000}
HOLD=${TENET_BGP_BENCH_HOLD:-}
SECS=${TENET_BENCH_SECS:-4}
ROUNDS=${TENET_BENCH_ROUNDS:-3}
[ -n "$smoke" ] && N=5 P=2000 HOLD=${HOLD:-9} SECS=1 ROUNDS=1
if [ -z "${TENET_VM:-}" ]; then
	echo "# BGP per compartment needs VRF: running in the stock-kernel guest"
	exec "$LIB_ROOT/selftests/vm/run" --timeout "${TENET_VM_TIMEOUT:-1500}" -- "$LIB_SELF" "$@"
fi
lib_init bgpb
trap 'rc=$?; frr_cleanup; lib_cleanup $rc' EXIT
require_root
require_build
require_cmd vtysh bird birdc python3 nstat
[ -x /usr/lib/frr/zebra ] || fail_all "FRR is not installed (scripts/deps.sh)"
PKT_SEND=$BUILD/selftests/bench/pkt_send
[ -x "$PKT_SEND" ] || fail_all "no $PKT_SEND (make bench builds it)"
modprobe vrf 2>/dev/null
HZ=$(getconf CLK_TCK)
T_START=$SECONDS
ms() { date +%s%3N; }
frr_pid() { cat "$FRR_DIR/$1.pid"; }
# quiet PID...: wait until the processes use under 5% of a CPU over 1 s
# (bgpd answering 100k routes back to the peer, zebra, BIRD), at most 60 s
cputicks() { local p s=0; for p in "$@"; do s=$((s + $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$p/stat"))); done; echo $s; }
quiet() {
	local a b end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ]; do
		a=$(cputicks "$@"); sleep 1; b=$(cputicks "$@")
		[ $((b - a)) -le $((HZ * 5 / 100)) ] && return 0
	done
	return 1
}
ext() { # I: "SITE GW" addresses of tenant I's /30 in 172.16.0.0/16
	local b=$((4 * $1))
	echo "172.16.$((b / 256)).$((b % 256 + 1)) 172.16.$((b / 256)).$((b % 256 + 2))"
}

# ---- physical network, the gateway, the sites ----
fabric_add
host_add host1 192.168.4.11/24
host_add gw 192.168.4.33/24
ns_add sites
{
	for ((i = 1; i <= N; i++)); do echo "link add e$i type veth peer name s$i netns ${NS[sites]}"; done
} | ip -n "${NS[gw]}" -batch - || fail_all "the tenants' external links"
{
	for ((i = 1; i <= N; i++)); do
		read -r s _ <<<"$(ext "$i")"
		echo "addr add $s/30 dev s$i"
		echo "link set s$i up"
	done
	# the way back to tenant 1's VM (BIRD imports nothing)
	echo "route add 10.0.0.0/24 via $(ext 1 | cut -d' ' -f2)"
} | ip -n "${NS[sites]}" -batch - || fail_all "the sites' addresses"
V1_MAC=00:15:5d:00:70:05
V2_MAC=00:15:5d:00:71:05
vm_add v1 host1 p1 "$V1_MAC" 10.0.0.5/24
vm_add v2 host1 p2 "$V2_MAC" 10.0.0.5/24
# failover: FO's external fo0 on a LAN (namespace folan, bridge br0) with
# peers A (172.31.0.1) and B (172.31.0.3)
ns_add folan
ip -n "${NS[folan]}" link add br0 type bridge
ip -n "${NS[folan]}" link set br0 up
ip -n "${NS[gw]}" link add fo0 type veth peer name gwp netns "${NS[folan]}"
ip -n "${NS[folan]}" link set gwp master br0 up
for p in a:1 b:3; do
	ns_add "p${p%:*}"
	ip -n "${NS[folan]}" link add "p${p%:*}0" type veth peer name eth0 netns "${NS[p${p%:*}]}"
	ip -n "${NS[folan]}" link set "p${p%:*}0" master br0 up
	ip -n "${NS[p${p%:*}]}" -batch - <<EOF
addr add 172.31.0.${p#*:}/24 dev eth0
link set eth0 up
link add lan0 type dummy
link set lan0 up
addr add 10.99.0.1/24 dev lan0
route add 10.0.0.0/24 via 172.31.0.2
EOF
done

# ---- BIRD at the sites: one process, N sessions ----
# Tenant 1's session exports table big4: its LAN and the P prefixes of
# the static protocol "big", disabled until part 2 enables it.
prefixes() { # P static routes, /24s from 10.2.0.0/24 on
	awk -v p="$P" 'BEGIN { for (i = 0; i < p; i++) { j = i + 512
		printf "\troute %d.%d.%d.0/24 blackhole;\n", 10 + int(j / 65536), int(j / 256) % 256, j % 256 } }'
}
{
	echo "log \"$TMP/bird-sites.log\" { warning, error, info };"
	echo "router id 172.16.255.1;"
	echo "protocol device { }"
	echo "ipv4 table big4;"
	echo "protocol static lan { ipv4; route 10.1.0.0/24 blackhole; }"
	echo "protocol static lan1 { ipv4 { table big4; }; route 10.1.0.0/24 blackhole; }"
	echo "protocol static big { disabled; ipv4 { table big4; };"
	prefixes
	echo "}"
	echo "template bgp site { connect retry time 2; error wait time 1, 5; }"
	for ((i = 1; i <= N; i++)); do
		read -r s gx <<<"$(ext "$i")"
		echo "protocol bgp t$i from site { local $s as 65001; neighbor $gx as 65412;"
		if [ "$i" = 1 ]; then
			echo "	ipv4 { table big4; import none; export all; }; }"
		else
			echo "	ipv4 { import none; export all; }; }"
		fi
	done
} >"$TMP/bird-sites.conf"
t0=$(now)
check "BIRD 2 at the sites starts ($N sessions, $P prefixes configured)" \
	eval 'bird_start sites "$TMP/bird-sites.conf" && wait_for 120 eval "birdx sites show status | grep -q \"Daemon is up\""'
info "BIRD parsed its configuration and started in $(secs "$t0" "$(now)") s"
BIRD_PID=$(cat "$TMP/bird-sites/pid")

# ---- FRR and tenet on the gateway ----
check "FRR starts on the gateway (zebra, bgpd, bfdd; empty configuration)" frr_start gw zebra bgpd bfdd
host_conf gw "frr = $FRR_PS"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
{
	for ((i = 1; i <= N; i++)); do
		read -r _ gx <<<"$(ext "$i")"
		echo "rdomain add T$i"
		echo "vsubnet add $((200000 + i)) rdomain T$i prefix 10.0.254.0/24"
		echo "compartment add T$i rdomain T$i vsid $((200000 + i)) address 10.0.254.2/24"
		echo "compartment add T$i external e$i address $gx/30"
	done
	echo "vsubnet add 100001 rdomain T1 prefix 10.0.0.0/24"
	echo "lookup add vsid 100001 ca 10.0.0.5 mac $V1_MAC pa 192.168.4.11"
	echo "port set dev p1 vsid 100001 mac $V1_MAC host host1"
	echo "croute add rdomain T1 vsid 200001 prefix 0.0.0.0/0 nexthop 10.0.254.2"
	echo "rdomain add FO"
	echo "vsubnet add 300001 rdomain FO prefix 10.0.0.0/24"
	echo "vsubnet add 300999 rdomain FO prefix 10.0.254.0/24"
	echo "lookup add vsid 300001 ca 10.0.0.5 mac $V2_MAC pa 192.168.4.11"
	echo "port set dev p2 vsid 300001 mac $V2_MAC host host1"
	echo "compartment add FO rdomain FO vsid 300999 address 10.0.254.2/24"
	echo "compartment add FO external fo0 address 172.31.0.2/24"
	echo "croute add rdomain FO vsid 300999 prefix 0.0.0.0/0 nexthop 10.0.254.2"
} >"$TMP/tenants.batch"
check "$N tenants and FO written (compartments, external interfaces; one tenet batch)" \
	eval 'g batch "$TMP/tenants.batch" >>"$TMP/tenet.out" 2>&1'
host_start host1
host_start gw
check "tenetd on host1 ready" host_wait_ready host1 60
check "tenetd on gw ready" host_wait_ready gw 300
vrfs() { ip -n "${NS[gw]}" -br link show type vrf | grep -c '^tvrf'; }
check "$((N + 1)) compartments programmed" wait_for 300 eval '[ "$(vrfs)" -ge $((N + 1)) ]'
declare -A TAB=() VRF=()
# (no process substitution: the guest has no /dev/fd)
g -j compartment show | python3 -c 'import json, sys
for c in json.load(sys.stdin): print(c["name"], c["vrf"], c["table"])' >"$TMP/compartments"
while read -r n v t; do VRF[$n]=$v TAB[$n]=$t; done <"$TMP/compartments"
[ -n "${TAB[T1]:-}" ] && [ -n "${TAB[FO]:-}" ] || fail_all "compartment show: no table for T1 or FO"
check "the sites reach every tenant's external interface (tenant 1, tenant $N)" \
	wait_for 30 eval 'nx sites ping -c 1 -W 1 $(ext 1 | cut -d" " -f2) >/dev/null &&
		nx sites ping -c 1 -W 1 $(ext "$N" | cut -d" " -f2) >/dev/null'
BGPD=$(frr_pid bgpd) ZEBRA=$(frr_pid zebra)

# ---- 1. N tenants, one session each ----
info "part 1: $N tenants with one BGP session each"
quiet "$BGPD" "$ZEBRA" "$BIRD_PID" "${AGENT_PID[gw]}"
sync
sleep 1
m0_avail=$(meminfo MemAvailable) m0_slab=$(meminfo Slab)
r0_bgpd=$(rss "$BGPD") r0_zebra=$(rss "$ZEBRA") r0_agent=$(rss "${AGENT_PID[gw]}") r0_bird=$(rss "$BIRD_PID")
{
	for ((i = 1; i <= N; i++)); do
		read -r s _ <<<"$(ext "$i")"
		echo "bgp set rdomain T$i asn 65412 router-id 10.0.254.2"
		echo "bgp neighbor add rdomain T$i address $s remote-as 65001"
	done
} >"$TMP/bgp.batch"
established() { birdx sites show protocols 2>/dev/null | grep -c ' Established'; }
t0=$(now)
check "$N BGP instances and neighbors written (one tenet batch)" \
	eval 'g batch "$TMP/bgp.batch" >>"$TMP/tenet.out" 2>&1'
t_w=$(now)
# The bring-up, traced every 2 s: when FRR holds all N instances (tenetd's
# apply done), the first session, half of them, all of them. It says
# whether the time goes to writing FRR or to the sessions themselves.
instances() { vty "show running-config" | grep -c '^router bgp 65412 vrf '; }
t_cfg= t_first= t_half= t1=
end=$((SECONDS + 300 * ${TENET_WAIT_SCALE:-1}))
while [ $SECONDS -lt $end ]; do
	[ -z "$t_cfg" ] && [ "$(instances)" -ge "$N" ] && t_cfg=$(now)
	e=$(established)
	[ -z "$t_first" ] && [ "$e" -ge 1 ] && t_first=$(now)
	[ -z "$t_half" ] && [ "$e" -ge $(((N + 1) / 2)) ] && t_half=$(now)
	[ "$e" -ge "$N" ] && t1=$(now) && break
	sleep 2
done
check "all $N sessions Established (BIRD)" test -n "$t1"
[ -n "$t1" ] || t1=$(now)
info "bring-up: FRR holds all $N instances at ${t_cfg:+$(secs "$t0" "$t_cfg")} s, first session at ${t_first:+$(secs "$t0" "$t_first")} s, half at ${t_half:+$(secs "$t0" "$t_half")} s, all at $(secs "$t0" "$t1") s"
echo "@bgp cfg_s ${t_cfg:+$(secs "$t0" "$t_cfg")}"
echo "@bgp first_s ${t_first:+$(secs "$t0" "$t_first")}"
echo "@bgp half_s ${t_half:+$(secs "$t0" "$t_half")}"
frr_est() {
	vty "show bgp vrf all ipv4 unicast summary json" | python3 -c 'import json, sys
print(sum(1 for v in json.load(sys.stdin).values() for p in v.get("peers", {}).values()
          if p.get("state") == "Established"))' 2>/dev/null
}
learned() { # tables that hold 10.1.0.0/24 from BGP
	local i c=0
	for ((i = 1; i <= N; i++)); do echo "route show table ${TAB[T$i]} 10.1.0.0/24 proto bgp"; done |
		ip -n "${NS[gw]}" -batch - 2>/dev/null | grep -c '^10.1.0.0/24'
}
check "FRR reports all $N Established" eval '[ "$(frr_est)" -ge "$N" ]'
check "every tenant's VRF table holds its peer's 10.1.0.0/24 (zebra)" \
	wait_for 120 eval '[ "$(learned)" -ge "$N" ]'
t2=$(now)
info "$N sessions: tenet batch $(secs "$t0" "$t_w") s, from its start to all Established $(secs "$t0" "$t1") s, to every table holding its route $(secs "$t0" "$t2") s"
echo "@bgp n $N"
echo "@bgp up_s $(secs "$t0" "$t1")"
echo "@bgp routes_s $(secs "$t0" "$t2")"
quiet "$BGPD" "$ZEBRA" "$BIRD_PID" "${AGENT_PID[gw]}"
sync
sleep 1
m1_avail=$(meminfo MemAvailable) m1_slab=$(meminfo Slab)
r1_bgpd=$(rss "$BGPD") r1_zebra=$(rss "$ZEBRA") r1_agent=$(rss "${AGENT_PID[gw]}") r1_bird=$(rss "$BIRD_PID")
per() { echo $((($1 - $2) / N)); }
info "memory per tenant (KiB): bgpd +$(per "$r1_bgpd" "$r0_bgpd") (RSS $r0_bgpd -> $r1_bgpd)," \
	"zebra +$(per "$r1_zebra" "$r0_zebra") ($r0_zebra -> $r1_zebra)," \
	"tenetd +$(per "$r1_agent" "$r0_agent"), BIRD (the peer) +$(per "$r1_bird" "$r0_bird")," \
	"kernel Slab +$(per "$m1_slab" "$m0_slab"), MemAvailable -$(per "$m0_avail" "$m1_avail") (all of it)"
echo "@bgp bgpd_kib $(per "$r1_bgpd" "$r0_bgpd")"
echo "@bgp zebra_kib $(per "$r1_zebra" "$r0_zebra")"
echo "@bgp agent_kib $(per "$r1_agent" "$r0_agent")"
echo "@bgp slab_kib $(per "$m1_slab" "$m0_slab")"
echo "@bgp avail_kib $(per "$m0_avail" "$m1_avail")"

# ---- 2. P prefixes into tenant 1; the datapath with and without them ----
info "part 2: $P prefixes into tenant T1 (${VRF[T1]}, table ${TAB[T1]})"
T1TAB=${TAB[T1]}
bgp_routes() { ip -n "${NS[gw]}" route show table "$T1TAB" proto bgp | wc -l; }
SITE_RX=/sys/class/net/s1/statistics/rx_packets
# busy: all non-idle CPU ticks of the machine
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# window: one round of SECS seconds: "<pps> <CPU ns per packet>"
window() {
	local gen r0 r1 c0 c1 t0 t1
	ip netns exec "${NS[v1]}" "$PKT_SEND" eth0 "$ROUTER_MAC" "$V1_MAC" 10.0.0.5 10.1.0.9 60 \
		>>"$TMP/gen.log" 2>&1 &
	gen=$!
	sleep 0.5
	r0=$(nx sites cat "$SITE_RX") c0=$(busy) t0=$(now)
	sleep "$SECS"
	r1=$(nx sites cat "$SITE_RX") c1=$(busy) t1=$(now)
	kill -INT $gen 2>/dev/null
	wait $gen 2>/dev/null
	awk -v r=$((r1 - r0)) -v c=$((c1 - c0)) -v t0="$t0" -v t1="$t1" -v hz="$HZ" 'BEGIN {
		t = t1 - t0; if (t <= 0 || r <= 0) exit 1
		printf "%.0f %.0f\n", r / t, c / hz * 1e9 / r }'
}
# measure NAME: ROUNDS windows, medians into PPS[NAME] and NS[NAME]
declare -A PPS=() NSP=()
measure() {
	local r v pps=() nsp=()
	for ((r = 0; r < ROUNDS; r++)); do
		v=$(window) || { fail "datapath window ($1): nothing reached the site"; return 1; }
		read -r a b <<<"$v"
		pps+=("$a") nsp+=("$b")
	done
	PPS[$1]=$(printf '%s\n' "${pps[@]}" | median)
	NSP[$1]=$(printf '%s\n' "${nsp[@]}" | median)
	info "datapath, $1: ${pps[*]} pps (median ${PPS[$1]}), CPU ${nsp[*]} ns per packet (median ${NSP[$1]})"
}
check "tenant 1's VM reaches the site's link through the compartment" \
	wait_for 30 eval 'ping_ok v1 "$(ext 1 | cut -d" " -f1)"'
check "tenant 1's table: one BGP route (10.1.0.0/24)" eval '[ "$(bgp_routes)" = 1 ]'
quiet "$BGPD" "$ZEBRA" "$BIRD_PID" "${AGENT_PID[gw]}"
measure before
r2_bgpd=$(rss "$BGPD") r2_zebra=$(rss "$ZEBRA") m2_avail=$(meminfo MemAvailable)
t0=$(now)
check "the peer announces $P prefixes (birdc enable big)" eval 'birdx sites enable big >/dev/null'
check "all $P in tenant 1's VRF table" wait_for 900 eval '[ "$(bgp_routes)" -ge $((P + 1)) ]'
t1=$(now)
info "$P prefixes: from the announcement to all in the VRF table $(secs "$t0" "$t1") s"
echo "@bgp p $P"
echo "@bgp pfx_s $(secs "$t0" "$t1")"
check "... and only in tenant 1's (tenant 2's holds one BGP route)" \
	eval '[ "$(ip -n "${NS[gw]}" route show table ${TAB[T2]:-${TAB[FO]}} proto bgp | wc -l)" -le 1 ]'
quiet "$BGPD" "$ZEBRA" "$BIRD_PID" "${AGENT_PID[gw]}" || info "bgpd/zebra/BIRD still busy after 60 s"
r3_bgpd=$(rss "$BGPD") r3_zebra=$(rss "$ZEBRA") m3_avail=$(meminfo MemAvailable)
info "for $P routes: bgpd RSS +$(((r3_bgpd - r2_bgpd) / 1024)) MiB, zebra +$(((r3_zebra - r2_zebra) / 1024)) MiB," \
	"MemAvailable -$(((m2_avail - m3_avail) / 1024)) MiB (BIRD's and the kernel's too)"
echo "@bgp pfx_bgpd_mib $(((r3_bgpd - r2_bgpd) / 1024))"
echo "@bgp pfx_zebra_mib $(((r3_zebra - r2_zebra) / 1024))"
echo "@bgp pfx_avail_mib $(((m2_avail - m3_avail) / 1024))"
measure with
t0=$(now)
check "the peer withdraws them (birdc disable big)" eval 'birdx sites disable big >/dev/null'
check "tenant 1's table back to one BGP route" wait_for 900 eval '[ "$(bgp_routes)" -le 1 ]'
t1=$(now)
info "$P prefixes withdrawn: gone from the VRF table after $(secs "$t0" "$t1") s"
echo "@bgp wdr_s $(secs "$t0" "$t1")"
quiet "$BGPD" "$ZEBRA" "$BIRD_PID" "${AGENT_PID[gw]}"
measure after
if [ -n "${NSP[before]:-}" ] && [ -n "${NSP[with]:-}" ] && [ -n "${NSP[after]:-}" ]; then
	base=$(awk -v a="${NSP[before]}" -v b="${NSP[after]}" 'BEGIN { printf "%.0f", (a + b) / 2 }')
	ratio=$(awk -v w="${NSP[with]}" -v b="$base" 'BEGIN { printf "%.3f", w / b }')
	pratio=$(awk -v w="${PPS[with]}" -v a="${PPS[before]}" -v b="${PPS[after]}" 'BEGIN { printf "%.3f", w / ((a + b) / 2) }')
	info "per-packet CPU with $P routes / with 1 (mean of before and after): ${NSP[with]} / $base ns = ${ratio}x; pps ${pratio}x"
	echo "@bgp dp_ns_1 $base"
	echo "@bgp dp_ns_p ${NSP[with]}"
	echo "@bgp dp_ratio $ratio"
	echo "@bgp dp_pps_1 $(awk -v a="${PPS[before]}" -v b="${PPS[after]}" 'BEGIN { printf "%.0f", (a + b) / 2 }')"
	echo "@bgp dp_pps_p ${PPS[with]}"
fi

# ---- 3. failover, with and without BFD ----
info "part 3: failover in tenant FO (${VRF[FO]}, table ${TAB[FO]})"
FOTAB=${TAB[FO]}
fo_bird() { # NAME ADDR BFD(0|1) PREPEND(0|1): BIRD's configuration of a peer
	echo "log \"$TMP/bird-$1.log\" all;"
	echo "router id $2;"
	echo "protocol device { }"
	echo "protocol direct { ipv4; interface \"lan0\"; }"
	[ "$3" = 1 ] && echo "protocol bfd { interface \"eth0\" { interval 300 ms; multiplier 3; }; }"
	echo "protocol bgp tenant { local $2 as 65001; neighbor 172.31.0.2 as 65412;"
	echo "	connect retry time 2; error wait time 1, 5;"
	[ "$3" = 1 ] && echo "	bfd on;"
	[ -n "$HOLD" ] && echo "	hold time $HOLD; keepalive time $(((HOLD + 2) / 3));"
	if [ "$4" = 1 ]; then
		echo "	ipv4 { import none; export filter { if source = RTS_DEVICE then { bgp_path.prepend(65001); accept; } reject; }; }; }"
	else
		echo "	ipv4 { import none; export where source = RTS_DEVICE; }; }"
	fi
}
fo_bird pa 172.31.0.1 1 0 >"$TMP/bird-pa.conf"
fo_bird pb 172.31.0.3 1 1 >"$TMP/bird-pb.conf"
check "peers A and B (BIRD 2, BFD 300 ms x 3) start" \
	eval 'bird_start pa "$TMP/bird-pa.conf" && bird_start pb "$TMP/bird-pb.conf"'
check "FO's BGP: neighbors A and B with bfd" eval 'g bgp set rdomain FO asn 65412 router-id 10.0.254.2 >>"$TMP/tenet.out" &&
	g bgp neighbor add rdomain FO address 172.31.0.1 remote-as 65001 bfd >>"$TMP/tenet.out" &&
	g bgp neighbor add rdomain FO address 172.31.0.3 remote-as 65001 bfd >>"$TMP/tenet.out"'
state() { # PEER: its session's state in FO as FRR reports it
	vty "show bgp vrf ${VRF[FO]} ipv4 unicast summary json" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][sys.argv[1]]["state"])' "$1" 2>/dev/null
}
bfd_up() { # both BFD sessions up
	[ "$(vty "show bfd vrf ${VRF[FO]} peers json" | python3 -c 'import json, sys
print(sum(1 for p in json.load(sys.stdin) if p["status"] == "up"))' 2>/dev/null)" = 2 ]
}
fo_via() { ip -n "${NS[gw]}" route show table "$FOTAB" 10.99.0.0/24 proto bgp | sed -n 's/.* via \([0-9.]*\) .*/\1/p'; }
fo_ready() { # BFD: 1 or 0
	[ "$(state 172.31.0.1)" = Established ] && [ "$(state 172.31.0.3)" = Established ] &&
		[ "$(fo_via)" = 172.31.0.1 ] && { [ "$1" = 0 ] || bfd_up; }
}
outage() { # PINGLOG: "<longest gap ms> <lost> <sent>"
	python3 -c '
import re, sys
s = open(sys.argv[1]).read()
t = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", s, re.M)]
n = re.search(r"(\d+) packets transmitted, (\d+) received", s)
gap = max(b - a for a, b in zip(t, t[1:])) if len(t) > 1 else 0
print(int(gap * 1000), int(n.group(1)) - int(n.group(2)) if n else -1, n.group(1) if n else 0)' "$1"
}
# failover KEY LIMIT: ping, cut A, wait for B (LIMIT s), print the figures
failover() {
	local key=$1 limit=$2 pid t0 t_fail gap lost sent
	ip netns exec "${NS[v2]}" ping -D -n -i 0.01 -W 1 10.99.0.1 >"$TMP/fo-$key.ping" 2>&1 &
	pid=$!
	sleep 2
	t0=$(ms)
	ip -n "${NS[folan]}" link set pa0 down
	if ! wait_for "$limit" eval '[ "$(fo_via)" = 172.31.0.3 ]'; then
		kill -INT $pid; wait $pid
		fail "$key: A's link cut: 10.99.0.0/24 did not move to B within $limit s"
		return 1
	fi
	t_fail=$(($(ms) - t0))
	sleep 2
	kill -INT $pid
	wait $pid
	read -r gap lost sent <<<"$(outage "$TMP/fo-$key.ping")"
	ok "$key: A's link cut, 10.99.0.0/24 on B after $t_fail ms"
	info "failover $key: route on B $t_fail ms after the cut; the VM's ping every 10 ms: longest gap $gap ms, $lost of $sent lost"
	echo "@bgp fo_${key}_route_ms $t_fail"
	echo "@bgp fo_${key}_gap_ms $gap"
	echo "@bgp fo_${key}_lost $lost"
}
check "FO: both sessions Established, BFD up, 10.99.0.0/24 via A" wait_for 120 fo_ready 1 ||
	fail_all "failover: FO not up (no failover figures)"
check "FO's VM reaches 10.99.0.1" wait_for 20 ping_ok v2 10.99.0.1
failover bfd 10
ip -n "${NS[folan]}" link set pa0 up
# Without BFD: the neighbors changed (`neighbor set`), the peers' BFD off
fo_bird pa 172.31.0.1 0 0 >"$TMP/bird-pa.conf"
fo_bird pb 172.31.0.3 0 1 >"$TMP/bird-pb.conf"
check "FO's neighbors without bfd (neighbor set), the peers' BFD off (birdc configure)" \
	eval 'g bgp neighbor set rdomain FO address 172.31.0.1 remote-as 65001 >>"$TMP/tenet.out" &&
	g bgp neighbor set rdomain FO address 172.31.0.3 remote-as 65001 >>"$TMP/tenet.out" &&
	birdx pa configure >/dev/null && birdx pb configure >/dev/null'
check "FO: A back, both sessions Established, 10.99.0.0/24 via A" wait_for 120 fo_ready 0
check "FRR holds no BFD session for FO" \
	wait_for 30 eval '[ "$(vty "show bfd vrf ${VRF[FO]} peers json" | tr -d " \n")" = "[]" ]'
hold=$(vty "show bgp vrf ${VRF[FO]} neighbors 172.31.0.1 json" | python3 -c 'import json, sys
print(json.load(sys.stdin)["172.31.0.1"]["bgpTimerHoldTimeMsecs"] // 1000)' 2>/dev/null)
info "without BFD: hold time ${hold:-?} s (negotiated)"
echo "@bgp hold_s ${hold:-0}"
sleep 2
failover nobfd $(((${hold:-180} + 30) / ${TENET_WAIT_SCALE:-1} + 1))
info "guest time: $((SECONDS - T_START)) s"
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Site-to-site VPN figures (docs/performance.md), in the Debian 6.1 guest
# (the running kernel has no ESP, XFRM interfaces or VRF; under TCG only
# the ratios mean something):
#
#   1. iperf3 through one tenet tunnel (VRF, XFRM interface, if_id, SAs
#      negotiated by charon, programmed by tenetd; its rate limit lifted,
#      `rate none`) against the same cipher
#      (AES-GCM-128, rfc4106) with plain XFRM policies and no VRF, between
#      the same two namespaces, runs alternated, medians compared.
#   2. N (100) tenants with one tunnel each on one gateway: the time from
#      the sites' dial to all N up, the gateway's memory per tunnel
#      (MemAvailable: XFRM interfaces, states, policies, routes; charon's
#      and the agent's RSS), and whether one busy tunnel slows another:
#      tunnel 2's throughput alone and while tunnel 1 is saturated.
#
# usage: s2s_bench.sh [-s] [-h]   (-s: smoke: 1 s per figure, 10 tenants)
# Prints "# ..." lines and "@s2s KEY VALUE" lines for selftests/bench/run.sh.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/../gw/s2s_lib.sh"

. "$(dirname "$0")/lib.sh"
bench_args "$@"
SECS=${TENET_BENCH_SECS:-5}
N=${TENET_S2S_BENCH_N:-100}
[ -n "$smoke" ] && SECS=1 && N=10
if [ -z "${TENET_VM:-}" ]; then
	echo "# site-to-site VPN needs ESP, XFRM interfaces and VRF: running in the stock-kernel guest"
	selftests/gw/libreswan.sh fetch >/dev/null || exit 1
	exec "$LIB_ROOT/selftests/vm/run" --timeout "${TENET_VM_TIMEOUT:-900}" -- "$LIB_SELF" "$@"
fi
lib_init s2sb
require_root
require_build
require_cmd iperf3 swanctl
s2s_prewarm || fail_all "cannot load the ESP crypto"

# ---- the gateway, its charon, the sites' router ----
fabric_add
fabric_bridge brI
host_add gw 192.168.4.33/24
fabric_link gw inet0 brI
nx gw ip addr add 131.107.10.10/24 dev inet0
plain_add sites 198.18.0.254/16 eth0 brI
nx gw ip route add 198.18.0.0/16 dev inet0
nx sites ip route add 131.107.10.0/24 dev eth0
GWD=$TMP/gw-charon
GW_VICI=$GWD/charon.vici
charon_conf "$GWD" "threads = 16
	ikesa_table_size = 1024
	ikesa_table_segments = 16"
charon_start gw "$GWD" || fail_all "the gateway's charon"
host_conf gw "hostkey = $TMP/gw.hostkey"
host_conf gw "vici = $GW_VICI"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
printf 'bench-psk-0123456789\n' >"$TMP/psk"
host_start gw
check "tenetd on gw ready" host_wait_ready gw 60
check "host key published" wait_for 20 eval 'sqlite3 "$STORE" "select key from kv" | grep -q pubkey'

# ---- 1. one tunnel against plain XFRM, the same namespaces ----
# tenant T1: compartment, S2S interface to site 198.18.0.1; the site's
# route-based charon (if_id 7, its LAN 10.1.0.10 in the namespace) dials.
cat >"$TMP/t1.batch" <<EOF
rdomain add T1
vsubnet add 100001 rdomain T1 prefix 10.0.254.0/24
compartment add T1 rdomain T1 vsid 100001 address 10.0.254.2/24
s2s add IfT1 rdomain T1 destination 198.18.0.1 auth psk secret-file $TMP/psk route 10.1.0.0/24 rate none
EOF
check "tenant T1 with one S2S interface" eval 'g batch "$TMP/t1.batch" >>"$TMP/tenet.out" 2>&1'
SD=$TMP/site
charon_conf "$SD" "threads = 16"
charon_start sites "$SD" || fail_all "the sites' charon"
nx sites ip addr add 198.18.0.1/16 dev eth0
nx sites ip link add s1 type xfrm if_id 7
nx sites ip link set s1 up
nx sites ip link add lan1 type dummy
nx sites ip link set lan1 up
nx sites ip addr add 10.1.0.10/32 dev lan1
nx sites ip route add 10.0.254.0/24 dev s1
site_conns() { # FIRST LAST: conns tN from 198.18.0.N (if_id N: 1 -> 7 for the bench's first)
	local i
	echo "connections {"
	for ((i = $1; i <= $2; i++)); do
		cat <<EOF
	t$i { version = 2
		local_addrs = 198.18.$((i / 250)).$((i % 250))
		remote_addrs = 131.107.10.10
		proposals = aes128gcm16-prfsha256-x25519
		local { auth = psk }
		remote { auth = psk
			id = 131.107.10.10 }
		children { net { local_ts = 0.0.0.0/0
			remote_ts = 0.0.0.0/0
			if_id_in = $((i == 1 ? 7 : i))
			if_id_out = $((i == 1 ? 7 : i))
			esp_proposals = aes128gcm16
			start_action = ${3:-none} } } }
EOF
	done
	echo "}"
	echo "secrets {"
	for ((i = $1; i <= $2; i++)); do
		echo "	ike-$i { id-1 = 198.18.$((i / 250)).$((i % 250))"
		echo "		secret = bench-psk-0123456789 }"
	done
	echo "}"
}
site_conns 1 1 >"$SD/swanctl.conf"
check "the site dials T1" eval 'swan_load "$SD" && swan "$SD" --initiate --ike t1 --child net --timeout 30 >/dev/null'
check "IfT1 connected" wait_for 30 eval 'g s2s show IfT1 vici "$GW_VICI" | grep -q "state connected"'
spawn nx sites iperf3 -s -B 10.1.0.10 -p 5201
# plain XFRM: 172.20.0.1 (gw) <-> 172.20.0.2 (site), the same cipher,
# policy-based, no VRF, no if_id
K1=0x$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
K2=0x$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
plain() { # NS LOCAL REMOTE LADDR RADDR KEYOUT KEYIN SPIOUT SPIIN
	ip -n "${NS[$1]}" -batch - <<EOF
addr add $4/32 dev lo
xfrm state add src $2 dst $3 proto esp spi $8 reqid 9999 mode tunnel aead rfc4106(gcm(aes)) $6 128
xfrm state add src $3 dst $2 proto esp spi $9 reqid 9999 mode tunnel aead rfc4106(gcm(aes)) $7 128
xfrm policy add dir out src $4/32 dst $5/32 tmpl src $2 dst $3 proto esp reqid 9999 mode tunnel
xfrm policy add dir in src $5/32 dst $4/32 tmpl src $3 dst $2 proto esp reqid 9999 mode tunnel
xfrm policy add dir fwd src $5/32 dst $4/32 tmpl src $3 dst $2 proto esp reqid 9999 mode tunnel
route add $5/32 dev $( [ "$1" = gw ] && echo inet0 || echo eth0 ) src $4
EOF
}
check "plain XFRM between the same namespaces" eval '
	plain gw 131.107.10.10 198.18.0.1 172.20.0.1 172.20.0.2 "$K1" "$K2" 0x5001 0x5002 &&
	plain sites 198.18.0.1 131.107.10.10 172.20.0.2 172.20.0.1 "$K2" "$K1" 0x5002 0x5001'
spawn nx sites iperf3 -s -B 172.20.0.2 -p 5202
sleep 1
check "traffic through both" eval 'g exec T1 -- ping -c 2 -W 2 10.1.0.10 >/dev/null &&
	nx gw ping -c 2 -W 2 -I 172.20.0.1 172.20.0.2 >/dev/null'
tun=() pl=()
for r in 1 2 3; do
	tun+=("$(mbps g exec T1 -- iperf3 -c 10.1.0.10 -p 5201 -t "$SECS" -f m)")
	pl+=("$(mbps nx gw iperf3 -c 172.20.0.2 -B 172.20.0.1 -p 5202 -t "$SECS" -f m)")
	[ -n "$smoke" ] && break
done
tmed=$(printf '%s\n' "${tun[@]}" | median)
pmed=$(printf '%s\n' "${pl[@]}" | median)
info "iperf3 through the tunnel: ${tun[*]} Mbit/s (median $tmed); plain XFRM: ${pl[*]} (median $pmed)"
echo "@s2s tunnel_mbps $tmed"
echo "@s2s plain_mbps $pmed"
g s2s del IfT1 >/dev/null 2>&1
g compartment del T1 >/dev/null 2>&1
swan "$SD" --terminate --ike t1 >/dev/null 2>&1

# ---- 2. N tenants, one tunnel each ----
cmds() { # FIRST LAST
	local i
	for ((i = $1; i <= $2; i++)); do
		echo "rdomain add B$i"
		echo "vsubnet add $((200000 + i)) rdomain B$i prefix 10.0.254.0/24"
		echo "compartment add B$i rdomain B$i vsid $((200000 + i)) address 10.0.254.2/24"
	done
}
cmds 2 $((N + 1)) >"$TMP/cmp.batch"
check "$N compartments written" eval 'g batch "$TMP/cmp.batch" >>"$TMP/tenet.out" 2>&1'
vrfs() { ip -n "${NS[gw]}" -br link show type vrf | grep -c '^tvrf'; }
check "$N compartments programmed" wait_for 600 eval '[ "$(vrfs)" -ge "$N" ]'
sleep 2
sync
mem0=$(meminfo MemAvailable)
crss0=$(rss "${CHARON_PID[gw]}")
arss0=$(rss "${AGENT_PID[gw]}")
s2scmds() {
	local i
	for ((i = $1; i <= $2; i++)); do
		echo "s2s add IfB$i rdomain B$i destination 198.18.$((i / 250)).$((i % 250)) auth psk secret-file $TMP/psk route 10.1.0.0/24"
	done
}
s2scmds 2 $((N + 1)) >"$TMP/s2s.batch"
t0=$(now)
check "$N S2S interfaces written" eval 'g batch "$TMP/s2s.batch" >>"$TMP/tenet.out" 2>&1'
links() { ip -n "${NS[gw]}" -br link show type xfrm | grep -c '^ts'; }
conns() { swan "$GWD" --list-conns 2>/dev/null | grep -c '^tenet-s2s-IfB'; }
check "$N XFRM interfaces and connections programmed" wait_for 600 eval '[ "$(links)" -ge "$N" ] && [ "$(conns)" -ge "$N" ]'
t1=$(now)
info "$N interfaces: from the write to all programmed $(secs "$t0" "$t1")s"
echo "@s2s program_s $(secs "$t0" "$t1")"
# the sites: one charon, N connections from their own addresses; two of
# them route-based with a LAN each (busy and quiet tunnels)
for ((i = 2; i <= N + 1; i++)); do echo "addr add 198.18.$((i / 250)).$((i % 250))/16 dev eth0"; done |
	nx sites ip -batch -
for i in 2 3; do
	nx sites ip link add "v$i" type vrf table $((100 + i))
	nx sites ip link set "v$i" up
	nx sites ip link add "x$i" type xfrm if_id "$i"
	nx sites ip link set "x$i" master "v$i" up
	nx sites ip link add "l$i" type dummy
	nx sites ip link set "l$i" master "v$i" up
	nx sites ip addr add 10.1.0.10/32 dev "l$i"
	nx sites ip route add 10.0.254.0/24 dev "x$i" table $((100 + i))
done
site_conns 2 $((N + 1)) start >"$SD/swanctl.conf"
up() { swan "$GWD" --list-sas 2>/dev/null | grep -c 'INSTALLED'; }
t0=$(now)
swan_load "$SD"
check "all $N tunnels up (the sites dial at once)" wait_for 600 eval '[ "$(up)" -ge "$N" ]'
t1=$(now)
info "$N tunnels: from the sites' dial to all up $(secs "$t0" "$t1")s"
echo "@s2s up_s $(secs "$t0" "$t1")"
sleep 2
sync
mem1=$(meminfo MemAvailable)
crss1=$(rss "${CHARON_PID[gw]}")
arss1=$(rss "${AGENT_PID[gw]}")
per=$(( (mem0 - mem1) / N ))
info "memory per tunnel: $per KiB (MemAvailable), charon RSS +$(( (crss1 - crss0) / N )) KiB, tenetd RSS +$(( (arss1 - arss0) / N )) KiB"
echo "@s2s mem_kib $per"
echo "@s2s charon_kib $(( (crss1 - crss0) / N ))"
echo "@s2s agent_kib $(( (arss1 - arss0) / N ))"
# one busy tunnel, another's throughput (both at the default rate limit,
# 5120 kbit/s each way: docs/rates.md)
spawn ip netns exec "${NS[sites]}" ip vrf exec v2 iperf3 -s -B 10.1.0.10 -p 5301
spawn ip netns exec "${NS[sites]}" ip vrf exec v3 iperf3 -s -B 10.1.0.10 -p 5302
sleep 1
check "traffic through tunnels 2 and 3" eval 'g exec B2 -- ping -c 2 -W 2 10.1.0.10 >/dev/null &&
	g exec B3 -- ping -c 2 -W 2 10.1.0.10 >/dev/null'
alone=$(mbps g exec B3 -- iperf3 -c 10.1.0.10 -p 5302 -t "$SECS" -f m)
g exec B2 -- iperf3 -c 10.1.0.10 -p 5301 -t $((SECS + 4)) -f m >/dev/null 2>&1 &
busy_pid=$!
sleep 2
shared=$(mbps g exec B3 -- iperf3 -c 10.1.0.10 -p 5302 -t "$SECS" -f m)
wait "$busy_pid"
info "tunnel 3 alone $alone Mbit/s; while tunnel 2 is saturated $shared Mbit/s"
echo "@s2s quiet_alone $alone"
echo "@s2s quiet_shared $shared"
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Rate limits of gateway interfaces (docs/rates.md) on a kernel with VRF,
# ESP and XFRM interfaces (run it in the stock-kernel guest:
# selftests/vm/run -- selftests/gw/test_rate.sh):
#
#   host1 (PA 192.168.4.11)  Contoso VM c1 10.0.0.5, Woodgrove VM w1 10.0.0.5
#   gw    (PA 192.168.4.33)  compartments Contoso and Woodgrove, tenetd and
#                            charon; Internet 131.107.10.10 (inet0)
#   isp                      the Internet's router
#   cny   59.10.10.10        Contoso's site (strongSwan, PSK), 10.1.0.0/24
#   wny   59.10.10.100       Woodgrove's site (strongSwan, PSK), 10.1.0.0/24
#
# Checks, with iperf3 between a VM and its site host 10.1.0.10 (VM -> site
# is the S2S interface's tx, site -> VM its rx): the default 5120 kbit/s
# each way (within 15%), 1024 after `rate tx 1024 rx 1024`, far more after
# `rate none`; Woodgrove's throughput on its tunnel while Contoso
# saturates its own (within 10% of alone); a compartment's internal
# interface; the tc objects as programmed; bad input (one line, nothing
# stored); lifecycle (nothing of a lifted limit, a deleted interface or
# tenant left).
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/s2s_lib.sh"
lib_init rate
require_root
require_build
require_cmd ping python3 swanctl iperf3 tc sqlite3
C1_MAC=00:15:5d:00:50:05
W1_MAC=00:15:5d:00:60:05
SECS=${TENET_RATE_SECS:-6}

s2s_prewarm || fail_all "cannot load the ESP crypto"

fabric_add
fabric_bridge brI
host_add host1 192.168.4.11/24
host_add gw 192.168.4.33/24
vm_add c1 host1 p1 "$C1_MAC" 10.0.0.5/24
vm_add w1 host1 p2 "$W1_MAC" 10.0.0.5/24
plain_add isp 131.107.10.1/24 eth0 brI
nx isp ip addr add 59.10.10.1/24 dev eth0
nx isp sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.eth0.send_redirects=0
fabric_link gw inet0 brI
nx gw ip addr add 131.107.10.10/24 dev inet0
nx gw ip route add default via 131.107.10.1
# site NAME PUBLIC HOST: a site's router on the Internet, its LAN
# 10.1.0.0/24 with HOST at .10
site() {
	plain_add "$1" "$2" eth0 brI
	nx "$1" ip route add default via 59.10.10.1
	nx "$1" sysctl -qw net.ipv4.ip_forward=1
	ns_add "$3"
	ip -n "${NS[$1]}" link add lan0 type veth peer name eth0 netns "${NS[$3]}"
	nx "$1" ip addr add 10.1.0.1/24 dev lan0
	nx "$1" ip link set lan0 up
	nx "$3" ip addr add 10.1.0.10/24 dev eth0
	nx "$3" ip link set eth0 up
	nx "$3" ip route add default via 10.1.0.1
}
site cny 59.10.10.10/24 cnyh
site wny 59.10.10.100/24 wnyh

GWD=$TMP/gw-charon
GW_VICI=$GWD/charon.vici
check "the gateway's charon starts" charon_start gw "$GWD"
host_conf gw "hostkey = $TMP/gw.hostkey"
host_conf gw "vici = $GW_VICI"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
gq() { g "$@" >>"$TMP/tenet.out" 2>&1 || { tail -n 3 "$TMP/tenet.out" >&2; return 1; }; }
configure() {
	local t v
	for t in Contoso:5 Woodgrove:6; do
		v=${t#*:}
		t=${t%:*}
		tq rdomain add $t &&
		tq vsubnet add ${v}001 rdomain $t prefix 10.0.0.0/24 &&
		tq vsubnet add ${v}999 rdomain $t prefix 10.0.254.0/24 &&
		gq compartment add $t rdomain $t vsid ${v}999 address 10.0.254.2/24 &&
		tq croute add rdomain $t vsid ${v}999 prefix 0.0.0.0/0 nexthop 10.0.254.2 || return 1
	done
	tq lookup add vsid 5001 ca 10.0.0.5 mac "$C1_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6001 ca 10.0.0.5 mac "$W1_MAC" pa 192.168.4.11 &&
	tq port set dev p1 vsid 5001 mac "$C1_MAC" host host1 &&
	tq port set dev p2 vsid 6001 mac "$W1_MAC" host host1
}
check "configure two tenants with the same addresses" configure
host_start_all
check "the gateway's agent published its public key" \
	wait_for 20 eval 'sqlite3 "$STORE" "select key from kv" | grep -q "/host/gw/pubkey/x25519$"'
printf 'contoso-ny-psk-0123456789\n' >"$TMP/cny.psk"
printf 'woodgrove-ny-psk-0123456789\n' >"$TMP/wny.psk"
chmod 600 "$TMP"/*.psk
check "s2s add IfCe1, IfWe1 (no rate given)" eval \
	'gq s2s add IfCe1 rdomain Contoso destination 59.10.10.10 auth psk secret-file "$TMP/cny.psk" route 10.1.0.0/24 &&
	 gq s2s add IfWe1 rdomain Woodgrove destination 59.10.10.100 auth psk secret-file "$TMP/wny.psk" route 10.1.0.0/24'

# site_up NAME DIR PUBLIC PSK: a route-based strongSwan site, connected
site_up() {
	local d=$2
	charon_conf "$d"
	site_updown "$d" 10.0.0.0/24 ipsec0 100
	nx "$1" ip link add ipsec0 type xfrm if_id 7
	nx "$1" ip link set ipsec0 up
	cat >"$d/swanctl.conf" <<EOC
connections {
	gw {
		version = 2
		local_addrs = $3
		remote_addrs = 131.107.10.10
		proposals = aes128gcm16-prfsha256-x25519
		local { auth = psk }
		remote {
			auth = psk
			id = 131.107.10.10
		}
		children {
			net {
				local_ts = 0.0.0.0/0
				remote_ts = 0.0.0.0/0
				if_id_in = 7
				if_id_out = 7
				esp_proposals = aes128gcm16
				updown = $d/updown.sh
			}
		}
	}
}
secrets {
	ike-1 {
		id-1 = $3
		secret = $4
	}
}
EOC
	charon_start "$1" "$d" && swan_load "$d" &&
		swan "$d" --initiate --child net --timeout 30 >"$d/init.out" 2>&1
}
check "Contoso's site connects" site_up cny "$TMP/cny" 59.10.10.10 contoso-ny-psk-0123456789
check "Woodgrove's site connects" site_up wny "$TMP/wny" 59.10.10.100 woodgrove-ny-psk-0123456789
check "both VMs reach their sites" wait_for 30 eval 'ping_ok c1 10.1.0.10 && ping_ok w1 10.1.0.10'
for h in cnyh wnyh; do
	spawn nx $h iperf3 -s -p 5201
done
wait_for 10 nx wnyh bash -c 'ss -ltn | grep -q :5201'

# ---- the kernel's side ----
# tcq DEV / tcf DEV: tenet's root qdisc / ingress filters on DEV
tcq() { nx gw tc qdisc show dev "$1" 2>/dev/null; }
tcf() { nx gw tc filter show dev "$1" ingress 2>/dev/null; }
limited() { # DEV TX-RATE RX-RATE (as tc prints them: 5120Kbit)
	tcq "$1" | grep -q "qdisc tbf 7e52: root .*rate $2" &&
		tcf "$1" | grep -q "pref 32338 matchall" && tcf "$1" | grep -q "police .* rate $3"
}
unlimited() { ! tcq "$1" | grep -q -e "tbf 7e52" -e clsact && ! tcf "$1" | grep -q matchall; }
check "default: tbf 5120Kbit root and a 5120Kbit policer on ts1 and ts2" wait_for 20 eval \
	'limited ts1 5120Kbit 5120Kbit && limited ts2 5120Kbit 5120Kbit'
info "ts1: $(tcq ts1 | tr -s ' ') / $(tcf ts1 | grep -o 'police.*burst [^ ]*' | tr -s ' ')"
check "s2s show: rate tx 5120 rx 5120 (default)" eval 'g s2s show IfCe1 vici "$GW_VICI" | grep -q "^    rate tx 5120 rx 5120 (default)$"'
check "s2s show -j: rate" eval 'g -j s2s show IfCe1 vici "$GW_VICI" | python3 -c "import json, sys
r = json.load(sys.stdin)[0][\"rate\"]
sys.exit(r != {\"tx\": 5120, \"rx\": 5120, \"default\": True})"'

# ---- throughput ----
# mbps VM [-R]: iperf3 from VM to its site host for $SECS s (-R: from the
# site to the VM); the receiver's Mbit/s
mbps() {
	local out
	out=$(nx "$1" iperf3 -c 10.1.0.10 -p 5201 -t "$SECS" -O 1 -J ${2:-} 2>&1) || { echo 0; return; }
	python3 -c 'import json, sys
print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' <<<"$out" 2>/dev/null || echo 0
}
# within X LO HI
within() { python3 -c 'import sys; x, lo, hi = map(float, sys.argv[1:]); sys.exit(not lo <= x <= hi)' "$@"; }
tput() { # NAME VM ARGS LO HI
	local m
	m=$(mbps "$2" "$3")
	info "$1: $m Mbit/s"
	check "$1: $m Mbit/s in $4..$5" within "$m" "$4" "$5"
}
# 5120 kbit/s = 5.12 Mbit/s, +-15%
tput "default, tx (VM -> site)" c1 "" 4.35 5.89
tput "default, rx (site -> VM)" c1 -R 4.35 5.89
check "s2s set IfCe1 rate tx 1024 rx 1024" gq s2s set IfCe1 rate tx 1024 rx 1024
check "the kernel follows: 1024Kbit" wait_for 20 limited ts1 1024Kbit 1024Kbit
check "show: rate tx 1024 rx 1024" eval 'g s2s show IfCe1 vici "$GW_VICI" | grep -q "^    rate tx 1024 rx 1024$"'
tput "1024, tx" c1 "" 0.87 1.18
tput "1024, rx" c1 -R 0.87 1.18
check "s2s set IfCe1 rate none" gq s2s set IfCe1 rate none
check "no tbf, no clsact, no filter left on ts1" wait_for 20 unlimited ts1
check "Woodgrove's limits untouched" limited ts2 5120Kbit 5120Kbit
# Under TCG the guest carries about 9-11 Mbit/s through one tunnel at
# all: "unlimited" is over 1.4 times the default here.
tput "none, tx (unlimited)" c1 "" 7.17 100000
tput "none, rx (unlimited)" c1 -R 7.17 100000

check "s2s set IfCe1 rate default" gq s2s set IfCe1 rate default
check "back to 5120Kbit" wait_for 20 limited ts1 5120Kbit 5120Kbit

# ---- isolation: Contoso saturates its tunnel ----
# Both at 2048 kbit/s: two tunnels at the default would be all the guest
# can carry under TCG, and what would be measured is the CPU, not the
# limits.
check "both tunnels at 2048 kbit/s" eval \
	'gq s2s set IfCe1 rate tx 2048 rx 2048 && gq s2s set IfWe1 rate tx 2048 rx 2048 &&
	 wait_for 20 eval "limited ts1 2048Kbit 2048Kbit && limited ts2 2048Kbit 2048Kbit"'
alone=$(mbps w1)
info "Woodgrove alone: $alone Mbit/s"
nx c1 iperf3 -c 10.1.0.10 -p 5201 -t $((SECS + 4)) >"$TMP/contoso-bg.out" 2>&1 &
bg=$!
sleep 2
both=$(mbps w1)
wait $bg
info "Woodgrove while Contoso saturates its own tunnel: $both Mbit/s; Contoso: $(grep receiver "$TMP/contoso-bg.out" | awk '{print $7, $8}')"
check "Woodgrove keeps >= 90% of its throughput ($both vs $alone Mbit/s)" \
	python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 0.9 * float(sys.argv[2]) > 0)' "$both" "$alone"

# ---- a restarted agent adopts the limits: nothing set again ----
sets() { grep -c "rate ts[0-9]* .* set$" "$TMP/gw.log"; }
before=$(sets)
host_stop gw
host_start gw
check "the gateway's agent restarts" host_wait_ready gw 60 2
check "after a restart, the limits are the same and none was set again" eval \
	'limited ts1 2048Kbit 2048Kbit && limited ts2 2048Kbit 2048Kbit && [ "$(sets)" = "$before" ]'
info "rate lines in the agent's log: $before"

# ---- a compartment's internal interface (IfCi1: tgi1) ----
check "compartment set Contoso rate internal tx 2048 rx 4096" gq compartment set Contoso rate internal tx 2048 rx 4096
check "tgi1: tbf 2048Kbit, policer 4096Kbit" wait_for 20 limited tgi1 2048Kbit 4096Kbit
check "compartment show: the limit" eval 'g compartment show Contoso | grep -q "^Contoso rate internal tx 2048 rx 4096 host gw$"'
# the internal interface's tx is what goes into the virtual network
tput "internal tx 2048 (site -> VM)" c1 -R 1.74 2.36
check "compartment set Contoso rate internal none" gq compartment set Contoso rate internal none
check "nothing left on tgi1" wait_for 20 unlimited tgi1

# ---- bad input: one line, nothing stored ----
store_dump() { sqlite3 "$STORE" "select key, value from kv where key not like '%/status/%' order by key"; }
refused() { # name, exit status, message, command...
	local name=$1 want=$2 msg=$3 before rc; shift 3
	before=$(store_dump)
	"$@" >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
	if [ $rc = "$want" ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] &&
	   grep -q -- "$msg" "$TMP/bad.err" && [ "$before" = "$(store_dump)" ]; then
		ok "$name"
	else
		fail "$name (rc $rc: $(cat "$TMP/bad.err"))"
	fi
}
refused "a rate that is not a number" 2 "rate tx 'fast': not a rate in kbit/s (8..10000000) or none" \
	g s2s set IfCe1 rate tx fast
refused "a rate below 8 kbit/s" 2 "rate rx '4': not a rate in kbit/s" g s2s set IfCe1 rate rx 4
refused "rate without a value" 2 "rate tx: needs a value" g s2s set IfCe1 rate tx
refused "rate with an unknown word" 2 "rate 'fast': not tx KBPS, rx KBPS, none or default" \
	g s2s set IfCe1 rate fast
refused "an external limit without an external interface" 1 "compartment Contoso: has no external interface" \
	g compartment set Contoso rate external tx 1024 rx 1024
refused "rate on an interface that does not exist" 1 "s2s IfNope: no such interface" \
	g s2s set IfNope rate tx 1024 rx 1024

# ---- lifecycle ----
check "s2s del IfCe1" gq s2s del IfCe1
check "ts1 is gone, Woodgrove's limits stay" wait_for 20 eval \
	'! nx gw ip link show ts1 >/dev/null 2>&1 && limited ts2 2048Kbit 2048Kbit'
check "Woodgrove's internal limit, then its compartment deleted" eval \
	'gq compartment set Woodgrove rate internal tx 1024 rx 1024 && wait_for 20 limited tgi2 1024Kbit 1024Kbit &&
	 gq compartment del Woodgrove force'
# (the datapath's own clsact qdiscs on ports and the underlay stay)
no_tenet_tc() {
	local d
	! nx gw tc qdisc show | grep -q "tbf 7e52" || return 1
	for d in $(nx gw tc qdisc show | awk '$2 == "clsact" { print $5 }'); do
		! tcf "$d" | grep -q "pref 32338" || return 1
	done
}
check "no tenet qdisc or filter left on the gateway" wait_for 20 no_tenet_tc
info "the gateway's qdiscs: $(nx gw tc qdisc show | tr -s ' ' | paste -sd ';')"
finish

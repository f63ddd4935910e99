#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static IP filters on a compartment's internal interface (docs/filters.md):
# the seed's three examples on a kernel with VRF (run it in the stock-kernel
# guest: selftests/vm/run -- selftests/gw/test_filter.sh):
#
#   host1 (PA 192.168.4.11): Contoso VM c1 10.0.0.5, Woodgrove VM w1 10.0.0.5
#   gw    (PA 192.168.4.33): compartments Contoso and Woodgrove (10.0.254.2),
#                            NAT on up0 203.0.113.1; each tenant's "site"
#                            10.1.0.0/24 behind its own external interface
#                            (eth1, eth2: forwarding gateway, 10.1.0.2)
#   inet  203.0.113.100      the Internet's echo server
#   csite 10.1.0.10          Contoso's site; wsite 10.1.0.10 Woodgrove's
#
# Checks, per example: the allowed flows work, the denied ones fail, the
# counters move, Woodgrove (same addresses, same flows) is unaffected; the
# table's shape (verdict maps, sdifname); bad input (one line, nothing
# stored); lifecycle (a deleted filter, tenant or last filter leaves no
# chain, counter, map element or table).
. "$(dirname "$0")/../net/lib.sh"
lib_init filter
require_root
require_build
require_cmd ping python3 nft sqlite3
ECHO=$LIB_ROOT/selftests/gw/echo.py
C1_MAC=00:15:5d:00:50:05
W1_MAC=00:15:5d:00:60:05

fabric_add
fabric_bridge br1                       # the Internet
fabric_bridge br2                       # Contoso's site
fabric_bridge br3                       # Woodgrove's site
host_add host1 192.168.4.11/24
host_add gw 192.168.4.33/24
fabric_link gw up0 br1
nx gw ip addr add 203.0.113.1/24 dev up0
fabric_link gw eth1 br2
fabric_link gw eth2 br3
plain_add inet 203.0.113.100/24 eth0 br1
plain_add csite 10.1.0.10/24 eth0 br2
plain_add wsite 10.1.0.10/24 eth0 br3
nx csite ip route add 10.0.0.0/24 via 10.1.0.2
nx wsite ip route add 10.0.0.0/24 via 10.1.0.2
vm_add c1 host1 p1 "$C1_MAC" 10.0.0.5/24
vm_add w1 host1 p2 "$W1_MAC" 10.0.0.5/24

g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
gq() { g "$@" >>"$TMP/tenet.out" 2>&1 || { cat "$TMP/tenet.out" >&2; return 1; }; }
# gl LINE...: one gq per line of a here-document
gl() { local l; while read -r l; do [ -n "$l" ] && { gq $l || return 1; }; done; }

configure() {
	local t v
	for t in Contoso:5 Woodgrove:6; do
		v=${t#*:}
		t=${t%:*}
		tq rdomain add $t &&
		tq vsubnet add ${v}001 rdomain $t prefix 10.0.0.0/24 &&
		tq vsubnet add ${v}999 rdomain $t prefix 10.0.254.0/24 &&
		gq compartment add $t rdomain $t vsid ${v}999 address 10.0.254.2/24 &&
		tq croute add rdomain $t vsid ${v}999 prefix 0.0.0.0/0 nexthop 10.0.254.2 &&
		tq croute add rdomain $t vsid ${v}999 prefix 10.1.0.0/24 nexthop 10.0.254.2 &&
		gq nat add rdomain $t external 203.0.113.1 || return 1
	done
	tq lookup add vsid 5001 ca 10.0.0.5 mac "$C1_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6001 ca 10.0.0.5 mac "$W1_MAC" pa 192.168.4.11 &&
	tq port set dev p1 vsid 5001 mac "$C1_MAC" host host1 &&
	tq port set dev p2 vsid 6001 mac "$W1_MAC" host host1 &&
	gq compartment set Contoso external eth1 address 10.1.0.2/24 &&
	gq compartment set Woodgrove external eth2 address 10.1.0.2/24
}
check "configure two tenants with the same addresses and sites" configure
host_start_all
check "both VMs reach their sites" wait_for 30 eval 'ping_ok c1 10.1.0.10 && ping_ok w1 10.1.0.10'

spawn nx inet python3 "$ECHO" server 7000 inet
for s in csite wsite; do
	spawn nx $s python3 "$ECHO" server 7001 $s
	spawn nx $s python3 "$ECHO" server 4321 $s
done
for v in c1 w1; do
	spawn nx $v python3 "$ECHO" server 443 $v
	spawn nx $v python3 "$ECHO" server 7002 $v
done
wait_for 10 nx w1 bash -c 'ss -ltn | grep -q :7002'

# tcp_ok|tcp_fails FROM DST PORT SPORT: a TCP exchange (a blocked one is
# given 4 s)
tcp_ok() { timeout 8 ip netns exec "${NS[$1]}" python3 "$ECHO" client tcp "$2" "$3" "$4" x 2>&1 | grep -q "saw"; }
tcp_fails() { ! timeout 4 ip netns exec "${NS[$1]}" python3 "$ECHO" client tcp "$2" "$3" "$4" x >/dev/null 2>&1; }
# packets ID: the filter's packet counter in `tenet -j filter show`
packets() {
	g -j filter show | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(next(f.get("packets", -1) for f in d["filters"] if f["id"] == int(sys.argv[1])))' "$1"
}
moved() { [ "$(packets "$1")" -gt 0 ]; }
# The table as the agent programmed it: settle on a text.
table() { ip netns exec "${NS[gw]}" nft list table ip tenet_filter 2>/dev/null; }
has() { table | grep -q -- "$1"; }
# Woodgrove, same addresses, same flows, no filter: always works.
woodgrove_ok() {
	tcp_ok w1 203.0.113.100 7000 40500 && tcp_ok w1 10.1.0.10 7001 40501 &&
	tcp_ok wsite 10.0.0.5 7002 40502 && tcp_ok w1 10.1.0.10 4321 1234
}
check "before filters: Contoso's flows work" eval \
	'tcp_ok c1 203.0.113.100 7000 40000 && tcp_ok c1 10.1.0.10 4321 1234 && tcp_ok csite 10.0.0.5 7002 40001'

# ---- example 1: outbound on IfCi1, only VN -> site and ICMP leave ----
ex1() {
	gl <<'EOF'
filter mode internal Contoso dir out allow-list
filter add internal Contoso dir out action allow src 10.0.0.0/24 dst 10.1.0.0/24
filter add internal Contoso dir out action allow proto icmp
EOF
}
check "example 1 configured" ex1
check "the table: one chain, reached from out_ifs by the slave (sdifname)" wait_for 10 eval \
	'has "meta sdifname vmap @out_ifs" && has "\"tgi1\" : jump out_tgi1" && ! has tgi2'
check "ex1: VN -> site allowed (TCP)" wait_for 5 tcp_ok c1 10.1.0.10 7001 40010
check "ex1: ICMP allowed (ping the Internet)" ping_ok c1 203.0.113.100
check "ex1: VN -> Internet (TCP) dropped" tcp_fails c1 203.0.113.100 7000 40011
check "ex1: counters moved" eval 'moved 1 && moved 2'
check "ex1: Woodgrove unaffected" woodgrove_ok
g filter show >"$TMP/show1.txt"
info "$(cat "$TMP/show1.txt")"
check "ex1: show (text) with counters" grep -q "^filter 2 internal Contoso dir out allow src any dst any proto icmp packets [1-9]" "$TMP/show1.txt"
undo() { gq filter mode internal Contoso dir out deny-list && gq filter mode internal Contoso dir in deny-list &&
	 for i in $(g -j filter show | python3 -c 'import json, sys; print(*[f["id"] for f in json.load(sys.stdin)["filters"]])'); do
		 gq filter del "$i" || return 1
	 done; }
check "example 1 removed" undo
check "no filter left: the table is gone" wait_for 10 eval '! table >/dev/null'
check "VN -> Internet works again" wait_for 5 tcp_ok c1 203.0.113.100 7000 40012

# ---- example 2: inbound on IfCi1, only TCP 443 and echo requests enter ----
ex2() {
	gl <<'EOF'
filter mode internal Contoso dir in allow-list
filter add internal Contoso dir in action allow dst 10.0.0.0/24 proto tcp dport 443
filter add internal Contoso dir in action allow proto icmp icmp 8:0
EOF
}
check "example 2 configured" ex2
check "the table: in_tgi1 reached from in_ifs by oifname" wait_for 10 eval \
	'has "oifname vmap @in_ifs" && has "\"tgi1\" : jump in_tgi1"'
check "ex2: site -> VN TCP 443 allowed" wait_for 5 tcp_ok csite 10.0.0.5 443 40020
check "ex2: site -> VN echo request allowed" ping_ok csite 10.0.0.5
check "ex2: site -> VN TCP 7002 dropped" tcp_fails csite 10.0.0.5 7002 40021
check "ex2: counters moved" eval 'moved 1 && moved 2'
check "ex2: Woodgrove unaffected" woodgrove_ok
check "example 2 removed" undo

# ---- example 3: allow all out except TCP VN:1234 -> site:4321 ----
check "example 3 configured" gq filter add internal Contoso dir out action deny \
	src 10.0.0.0/24 dst 10.1.0.0/24 proto tcp sport 1234 dport 4321
check "ex3: TCP 1234 -> 4321 dropped" wait_for 10 tcp_fails c1 10.1.0.10 4321 1234
check "ex3: its counter moved" moved 1
check "ex3: TCP 1235 -> 4321 allowed" tcp_ok c1 10.1.0.10 4321 1235
check "ex3: TCP 1234 -> 7001 allowed" tcp_ok c1 10.1.0.10 7001 1234
check "ex3: everything else passes (Internet)" tcp_ok c1 203.0.113.100 7000 40030
check "ex3: Woodgrove's identical flow unaffected" woodgrove_ok

# ---- bad input: one line, exit 1, nothing stored ----
store_dump() { sqlite3 "$STORE" "select key, value from kv order by key"; }
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
refused "filter on an interface that does not exist" 1 "interface IfNope: no S2S interface on host gw" \
	g filter add interface IfNope dir in action deny
refused "filter on a compartment that does not exist" 1 "internal Fabrikam: no compartment on host gw" \
	g filter add internal Fabrikam dir in action deny
refused "ports with proto icmp" 1 "ports: only with proto tcp or udp (not icmp)" \
	g filter add internal Contoso dir in action deny proto icmp dport 80
refused "an ICMP type with proto tcp" 1 "icmp: only with proto icmp (not tcp)" \
	g filter add internal Contoso dir in action deny proto tcp icmp 8
refused "an inverted port range" 2 "dport '4321-1234': range ends before it starts" \
	g filter add internal Contoso dir in action deny proto tcp dport 4321-1234

# ---- lifecycle ----
check "a second filter, then delete the first" eval \
	'gq filter add internal Contoso dir in action deny proto udp dport 53 && gq filter del 1'
deleted_one() { has "in_tgi1" && ! has "chain out_tgi1" && ! has "f1_" && ! has "jump out_tgi1"; }
check "the deleted filter's chain, counter and map element are gone" wait_for 10 deleted_one
check "add one to Woodgrove, delete Contoso's compartment" eval \
	'gq filter add internal Woodgrove dir in action deny proto udp dport 53 && gq compartment del Contoso force'
contoso_gone() { ! has tgi1 && has "\"tgi2\" : jump in_tgi2"; }
check "nothing of Contoso's filters left, Woodgrove's in place" wait_for 10 contoso_gone
check "Contoso's filter records deleted with it" \
	bash -c "! sqlite3 '$STORE' 'select value from kv' | grep -q '\"interface\":\"Contoso\"'"
check "Woodgrove still works" eval 'tcp_ok w1 203.0.113.100 7000 40600'
check "delete Woodgrove's compartment" gq compartment del Woodgrove force
check "no table left" wait_for 10 eval '! table >/dev/null'
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The multi-tenant gateway of chapter 2 of the reference, in namespaces, on a
# kernel with VRF and nftables (run it in the stock-kernel guest:
# selftests/vm/run -- selftests/gw/test_gateway.sh):
#
#   host1 (PA 192.168.4.11): Contoso VM c1 10.0.0.5 (VSID 5001),
#                            Woodgrove VM w1 10.0.0.5 (VSID 6001)
#   gw    (PA 192.168.4.33): one compartment per tenant, both at 10.0.254.2
#                            on their gateway subnets (VSIDs 5999, 6999);
#                            uplink up0 203.0.113.1 (+ .2) on the "Internet";
#                            eth1 on Contoso's physical network
#   inet  203.0.113.100:     TCP/UDP echo server, answers with the peer it saw
#   phys  10.229.200.10:     Contoso's physical server (forwarding gateway)
#
# Checks: compartments (VRF, IfCi1 as a datapath port, routes, rp_filter,
# exec, show), the shared external address with identical flows from both
# tenants (same CA, same source ports, TCP/UDP/ICMP at once; every reply at
# the right VM, captures clean), a per-tenant address, a static inbound
# mapping, the forwarding gateway to a physical host, bad input (one line,
# nothing written), lifecycle (deleting one tenant keeps the other working
# and leaves none of its objects; deleting the last leaves nothing).
. "$(dirname "$0")/../net/lib.sh"
lib_init gw
require_root
require_build
require_cmd ethtool ping tcpdump python3 nft
ECHO=$LIB_ROOT/selftests/gw/echo.py

C1_MAC=00:15:5d:00:50:05
W1_MAC=00:15:5d:00:60:05

# ---- physical ----
fabric_add
fabric_bridge br1                       # the Internet
fabric_bridge br2                       # Contoso's physical network
host_add host1 192.168.4.11/24
host_add gw 192.168.4.33/24
fabric_link gw up0 br1
nx gw ip addr add 203.0.113.1/24 dev up0
fabric_link gw eth1 br2
plain_add inet 203.0.113.100/24 eth0 br1
plain_add phys 10.229.200.10/24 eth0 br2
nx phys ip route add 10.0.0.0/24 via 10.229.200.2
vm_add c1 host1 p1 "$C1_MAC" 10.0.0.5/24
vm_add w1 host1 p2 "$W1_MAC" 10.0.0.5/24

# The CLI on the gateway host (its device and address checks look there).
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
gq() { g "$@" >>"$TMP/tenet.out" 2>&1 || { cat "$TMP/tenet.out" >&2; return 1; }; }

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq vsubnet add 5999 rdomain Contoso prefix 10.0.254.0/24 &&
	tq rdomain add Woodgrove &&
	tq vsubnet add 6001 rdomain Woodgrove prefix 10.0.0.0/24 &&
	tq vsubnet add 6999 rdomain Woodgrove prefix 10.0.254.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac "$C1_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6001 ca 10.0.0.5 mac "$W1_MAC" pa 192.168.4.11 &&
	tq port set dev p1 vsid 5001 mac "$C1_MAC" host host1 &&
	tq port set dev p2 vsid 6001 mac "$W1_MAC" host host1 &&
	gq compartment add Contoso rdomain Contoso vsid 5999 address 10.0.254.2/24 &&
	gq compartment add Woodgrove rdomain Woodgrove vsid 6999 address 10.0.254.2/24 &&
	tq croute add rdomain Contoso vsid 5999 prefix 0.0.0.0/0 nexthop 10.0.254.2 &&
	tq croute add rdomain Woodgrove vsid 6999 prefix 0.0.0.0/0 nexthop 10.0.254.2 &&
	gq nat add rdomain Contoso external 203.0.113.1 &&
	gq nat add rdomain Woodgrove external 203.0.113.1
}
check "configure two tenants with one shared external address" configure
host_start_all

# ---- compartments ----
has_vrf() { nx gw ip -d link show "$1" 2>/dev/null | grep -q "vrf table $2"; }
check "VRF per compartment (tables 10001, 10002)" wait_for 10 eval 'has_vrf tvrf1 10001 && has_vrf tvrf2 10002'
check "IfCi1 in the VRF with the shared address" \
	bash -c "ip -n ${NS[gw]} -4 addr show dev tgi1 | grep -q 10.0.254.2/24 &&
		 ip -n ${NS[gw]} -4 addr show dev tgi2 | grep -q 10.0.254.2/24 &&
		 ip -n ${NS[gw]} link show tgi1 | grep -q 'master tvrf1'"
check "the port side carries tenet's TC program" wait_for 10 host_ports_attached gw tgp1 tgp2
check "unreachable default with a high metric" \
	bash -c "ip -n ${NS[gw]} route show table 10001 | grep -q 'unreachable default.*metric 4278198272'"
check "NAT default route via the uplink" \
	bash -c "ip -n ${NS[gw]} route show table 10002 | grep -q 'default dev up0'"
check "fwmark rules ahead of l3mdev" \
	bash -c "ip -n ${NS[gw]} rule | grep -q '^990:.*fwmark 0x7e4e2711 lookup 10001'"
check "rp_filter loose on IfCi1" test "$(nx gw cat /proc/sys/net/ipv4/conf/tgi1/rp_filter)" = 2
check "tenet's nft table" bash -c "ip netns exec ${NS[gw]} nft list table ip tenet | grep -q tgi2"
show_ok() {
	g -d compartment show >"$TMP/show.txt" && g -j compartment show >"$TMP/show.json" &&
	grep -q "^Woodgrove rdomain Woodgrove vsid 6999 address 10.0.254.2/24 mac [0-9a-f:]\{17\} host gw$" "$TMP/show.txt" &&
	grep -q "^    id 2 guid [0-9a-f-]\{36\} vrf tvrf2 table 10002$" "$TMP/show.txt" &&
	python3 - "$TMP/show.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in d}
ok = c["Contoso"]["interfaces"][0] == {"dev": "tgi1", "role": "internal", "address": "10.0.254.2/24",
                                        "rate": {"tx": 0, "rx": 0, "default": True}}
sys.exit(0 if ok and c["Woodgrove"]["table"] == 10002 else 1)
EOF
}
check "compartment show (text and -j)" show_ok
check "exec: ping a tenant VM from its compartment" \
	wait_for 15 eval 'g exec Contoso -- ping -c 1 -W 1 10.0.0.5 >/dev/null'
# tenet trace compartment: libpcap on the VRF's devices, while the ping
# from inside the compartment (the reference's `ping /c 4`) runs.
ip netns exec "${NS[gw]}" "$TENET" --store "$STORE" --host gw trace compartment Contoso \
	-w "$TMP/cmp.pcap" >"$TMP/cmp.out" 2>"$TMP/cmp.err" &
cpid=$!
LIB_BG+=("$cpid")
check "trace compartment Contoso armed on its devices" \
	wait_for 10 grep -q "^tracing compartment Contoso on tgi1" "$TMP/cmp.err"
g exec Contoso -- ping -c 3 -i 0.2 -W 1 10.0.0.5 >/dev/null
sleep 0.3
kill -INT $cpid
wait $cpid
cmp_echoes() { [ "$(tcpdump -r "$TMP/cmp.pcap" -n 'icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply' 2>/dev/null | wc -l)" = 6 ]; }
check "the compartment's trace holds the 3 requests and 3 replies (tcpdump -r)" cmp_echoes
check "and nothing of Woodgrove's compartment" \
	bash -c "! tcpdump -r '$TMP/cmp.pcap' -e -n 2>/dev/null | grep -q -i '$W1_MAC'"
check "tenant subnets via the gateway subnet's .1" \
	bash -c "ip -n ${NS[gw]} route get 10.0.0.5 vrf tvrf2 | grep -q 'via 10.0.254.1 dev tgi2'"
bound_dev() {
	g exec Woodgrove -- python3 -c 'import socket
s = socket.socket()
print(s.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b"\0").decode())'
}
check "exec: sockets bound to the VRF" eval '[ "$(bound_dev)" = tvrf2 ]'
check "VMs reach their compartment" eval 'ping_ok c1 10.0.254.2 && ping_ok w1 10.0.254.2'

# ---- shared external address: identical flows from both tenants ----
spawn nx inet python3 "$ECHO" server 7000 inet
wait_for 10 nx inet bash -c 'ss -ltn | grep -q :7000'
cap_start c1cap c1 eth0
cap_start w1cap w1 eth0
flows() {
	local v pids=()
	for v in c1 w1; do
		nx $v python3 "$ECHO" client tcp 203.0.113.100 7000 40000 "$v-tcp" >"$TMP/$v.tcp" 2>&1 &
		pids+=($!)
		nx $v python3 "$ECHO" client udp 203.0.113.100 7000 40001 "$v-udp" >"$TMP/$v.udp" 2>&1 &
		pids+=($!)
		nx $v ping -c 3 -i 0.3 -W 2 203.0.113.100 >"$TMP/$v.ping" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
}
flows
replies() {
	local v other
	for v in c1 w1; do
		[ $v = c1 ] && other=w1 || other=c1
		grep -q "inet saw 203.0.113.1:[0-9]* said $v-tcp" "$TMP/$v.tcp" || return 1
		grep -q "inet saw 203.0.113.1:[0-9]* said $v-udp" "$TMP/$v.udp" || return 1
		grep -q "3 received" "$TMP/$v.ping" || return 1
		! grep -q "$other" "$TMP/$v.tcp" "$TMP/$v.udp" || return 1
	done
}
check "TCP, UDP and ICMP replies reach the right VM" replies
for f in c1.tcp c1.udp w1.tcp w1.udp; do info "$f: $(cat "$TMP/$f")"; done
# On failure, show where a TCP flow stops (checksums included).
if ! replies; then
	for d in "gw up0" "gw tgi1" "host1 p1" "host1 ul0" "gw ul0"; do
		set -- $d
		nx "$1" timeout 6 tcpdump -U -vv -ni "$2" -c 4 'tcp or (udp and not port 4789) or proto 47' \
			>"$TMP/dbg-$1-$2.txt" 2>&1 &
	done
	sleep 1.5
	nx c1 python3 "$ECHO" client tcp 203.0.113.100 7000 40100 dbg
	sleep 5
	for f in "$TMP"/dbg-*.txt; do echo "--- $f"; head -12 "$f"; done
	nx gw nstat -az 2>/dev/null | grep -i -e csum -e inerr -e drop | grep -v ' 0 '
	nx c1 ethtool -K eth0 tx off >/dev/null
	info "with tx checksum offload off: $(nx c1 python3 "$ECHO" client tcp 203.0.113.100 7000 40101 txoff)"
	nx c1 ethtool -K eth0 tx on >/dev/null
fi
distinct_ports() {
	local a b
	a=$(sed -n 's/.*saw 203.0.113.1:\([0-9]*\).*/\1/p' "$TMP/c1.tcp")
	b=$(sed -n 's/.*saw 203.0.113.1:\([0-9]*\).*/\1/p' "$TMP/w1.tcp")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]
}
check "same CA and source port, one external address: distinct ports" distinct_ports
nat_show() {
	# conntrack drops an ICMP entry 30 s after its last packet
	# (nf_conntrack_icmp_timeout), and under TCG the flows above can take
	# longer than that: one more echo from each VM keeps it there.
	nx c1 ping -c 1 -W 2 203.0.113.100 >/dev/null
	nx w1 ping -c 1 -W 2 203.0.113.100 >/dev/null
	g -j nat show >"$TMP/xlat.json" && python3 - "$TMP/xlat.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
seen = {(x["rdomain"], x["proto"]) for x in d if x["source"].startswith("10.0.0.5")
        and x["translated"].startswith("203.0.113.1")}
want = {(r, p) for r in ("Contoso", "Woodgrove") for p in ("tcp", "udp", "icmp")}
sys.exit(0 if want <= seen else print(sorted(seen)) or 1)
EOF
}
check "tenet nat show: translations per tenant from conntrack" nat_show
cap_stop c1cap
cap_stop w1cap
clean_capture() { ! tcpdump -A -r "$TMP/$1.pcapng" 2>/dev/null | grep -q "$2-"; }
check "Contoso's capture holds none of Woodgrove's traffic" clean_capture c1cap w1
check "Woodgrove's capture holds none of Contoso's traffic" clean_capture w1cap c1

# ---- a per-tenant address ----
nx gw ip addr add 203.0.113.2/24 dev up0
check "Woodgrove gets its own external address" gq nat replace rdomain Woodgrove external 203.0.113.2
own_addr() {
	nx w1 python3 "$ECHO" client tcp 203.0.113.100 7000 40010 w1-own | grep -q "saw 203.0.113.2:" &&
	nx c1 python3 "$ECHO" client tcp 203.0.113.100 7000 40010 c1-own | grep -q "saw 203.0.113.1:"
}
check "per-tenant address used, the shared one still for Contoso" wait_for 10 own_addr

# ---- static inbound mapping ----
spawn nx c1 python3 "$ECHO" server 80 contoso-vm
wait_for 10 nx c1 bash -c 'ss -ltn | grep -q :80'
check "inbound mapping 203.0.113.1:8080 -> Contoso 10.0.0.5:80" \
	gq nat map add rdomain Contoso proto tcp external 203.0.113.1:8080 ca 10.0.0.5:80
inbound() { nx inet python3 "$ECHO" client tcp 203.0.113.1 8080 41000 hello | grep -q "contoso-vm saw 203.0.113.100:41000"; }
check "the Internet reaches the VM through the mapping" wait_for 10 inbound
check "nat map show lists it" bash -c "ip netns exec ${NS[gw]} $TENET --store $STORE --host gw nat map show | grep -q '^rdomain Contoso proto tcp external 203.0.113.1:8080 ca 10.0.0.5:80 host gw$'"

# ---- forwarding gateway to a physical network ----
check "Contoso's external interface" gq compartment set Contoso external eth1 address 10.229.200.2/24
check "customer route to the physical network" \
	tq croute add rdomain Contoso vsid 5999 prefix 10.229.200.0/24 nexthop 10.0.254.2
check "eth1 joined the Contoso VRF" wait_for 10 eval "ip -n ${NS[gw]} link show eth1 | grep -q 'master tvrf1'"
check "VM -> physical server (routed, not translated)" wait_for 10 ping_ok c1 10.229.200.10
check "physical server -> VM" ping_ok phys 10.0.0.5
spawn nx phys python3 "$ECHO" server 7001 phys
wait_for 10 nx phys bash -c 'ss -ltn | grep -q :7001'
check "the physical server sees the CA" \
	eval 'nx c1 python3 "$ECHO" client tcp 10.229.200.10 7001 40020 x | grep -q "saw 10.0.0.5:40020"'
check "Woodgrove cannot reach Contoso's physical network" ping_fails w1 10.229.200.10

# ---- bad input: one line, exit 1, nothing written ----
# The records (not the agents' status records, which their agents
# rewrite on their own schedule: docs/agent.md, "Status").
store_dump() { sqlite3 "$STORE" "select key, value from kv where key not like '/tenet/v1/status/%' order by key"; }
refused() { # name, expected message, command...
	local name=$1 msg=$2 before rc; shift 2
	before=$(store_dump)
	"$@" >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] && grep -q -- "$msg" "$TMP/bad.err" &&
	   [ "$before" = "$(store_dump)" ]; then
		ok "$name"
	else
		fail "$name (rc $rc: $(cat "$TMP/bad.err"))"
	fi
}
tq rdomain add Fabrikam
tq vsubnet add 7999 rdomain Fabrikam prefix 10.0.254.0/24
refused "missing rdomain" "rdomain Nope: no such routing domain" \
	g compartment add Nope rdomain Nope vsid 7999 address 10.0.254.2/24
refused "external device that does not exist" "external nosuch0: no such interface" \
	g compartment set Contoso external nosuch0 address 10.9.9.9/24
refused "address already used on the host" "address 203.0.113.1/24: already used on this host" \
	g compartment set Woodgrove external eth1 address 203.0.113.1/24
refused "NAT for a compartment that does not exist" "rdomain Fabrikam: no compartment on host gw" \
	g nat add rdomain Fabrikam external 203.0.113.1
refused "second compartment for one routing domain" "already has compartment Contoso" \
	g compartment add Contoso2 rdomain Contoso vsid 5999 address 10.0.254.3/24
check "no VRF made for refused input" bash -c "! ip -n ${NS[gw]} link show tvrf3 2>/dev/null"

# ---- lifecycle ----
check "delete Woodgrove's compartment" gq compartment del Woodgrove force
gone() {
	! ip -n "${NS[gw]}" link show tvrf2 >/dev/null 2>&1 &&
	! ip -n "${NS[gw]}" link show tgi2 >/dev/null 2>&1 &&
	! ip -n "${NS[gw]}" link show tgp2 >/dev/null 2>&1 &&
	[ -z "$(ip -n "${NS[gw]}" route show table 10002)" ] &&
	! ip -n "${NS[gw]}" rule | grep -q 'lookup 10002' &&
	! ip netns exec "${NS[gw]}" nft list table ip tenet | grep -q -e tgi2 -e 0x7e4e2712
}
check "no VRF, interface, route, rule or nft object of Woodgrove left" wait_for 10 gone
check "Woodgrove's store records gone (nat, lookup)" \
	bash -c "! sqlite3 '$STORE' 'select key from kv' | grep -q -e 'nat/Woodgrove' -e '00006999/ip'"
check "Contoso still reaches the Internet" \
	eval 'nx c1 python3 "$ECHO" client tcp 203.0.113.100 7000 40030 c1-after | grep -q "saw 203.0.113.1:"'
check "Contoso's inbound mapping still works" inbound
check "Contoso's physical network still works" ping_ok c1 10.229.200.10
check "delete Contoso's compartment" gq compartment del Contoso force
nothing() {
	[ -z "$(ip -n "${NS[gw]}" -br link show type vrf)" ] &&
	! ip -n "${NS[gw]}" -br link | grep -q -e '^tgi' -e '^tgp' &&
	! ip -n "${NS[gw]}" rule | grep -q 'lookup 100' &&
	[ -z "$(ip -n "${NS[gw]}" route show table 10001)" ] &&
	! ip netns exec "${NS[gw]}" nft list table ip tenet >/dev/null 2>&1 &&
	! ip -n "${NS[gw]}" -4 addr show dev eth1 | grep -q 10.229.200.2
}
check "nothing left on the gateway (VRFs, veths, rules, routes, nft, eth1 address)" wait_for 10 nothing
check "eth1 released from the VRF" bash -c "! ip -n ${NS[gw]} link show eth1 | grep -q master"
check "the uplink keeps its own address" bash -c "ip -n ${NS[gw]} -4 addr show dev up0 | grep -q 203.0.113.1/24"
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multi-tenant site-to-site VPN (docs/vpn.md), the reference's scenario on
# a kernel with VRF, ESP and XFRM interfaces (run it in the stock-kernel
# guest: selftests/vm/run -- selftests/gw/test_s2s.sh):
#
#   host1  (PA 192.168.4.11)  Contoso VM c1 10.0.0.5, Woodgrove VM w1 10.0.0.5
#   gw     (PA 192.168.4.33)  compartments Contoso and Woodgrove (both
#                             10.0.254.2), tenetd and charon; Internet
#                             131.107.10.10 (inet0)
#   isp                       the Internet's router (131.107.10.1,
#                             59.10.10.1, 60.10.10.1)
#   cny    59.10.10.10        Contoso New York, Libreswan, 10.1.0.0/24
#   wny    59.10.10.100       Woodgrove New York, strongSwan, PSK, 10.1.0.0/24
#   wsfo   60.10.10.100       Woodgrove San Francisco, strongSwan,
#                             certificate, 10.2.0.0/24; NY and SFO linked
#   cbr    59.10.10.20        Contoso branch, strongSwan, EAP, 10.3.0.0/24
#   bad    59.10.10.66        someone the gateway must refuse
#
# Checks: the interfaces as the agent programs them, both tenants' sites
# with the same addresses reaching only their own tenant (ping, TCP,
# UDP), only ESP and IKE on the Internet link, clean site captures, show;
# refusals with reasons; on-demand dialing and post-connection routes;
# the book's static-metric failover with the outage printed; agent and
# charon restarts; bad input; lifecycle (nothing of a deleted interface
# or tenant left).
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/s2s_lib.sh"
lib_init s2s
require_root
require_build
require_cmd ethtool ping tcpdump tshark python3 nft swanctl pki certutil
require_libreswan
ECHO=$LIB_ROOT/selftests/gw/echo.py
C1_MAC=00:15:5d:00:50:05
W1_MAC=00:15:5d:00:60:05

s2s_prewarm || fail_all "cannot load the ESP crypto"

# ---- physical network and the Internet ----
fabric_add
fabric_bridge brI                       # the Internet
host_add host1 192.168.4.11/24
host_add gw 192.168.4.33/24
vm_add c1 host1 p1 "$C1_MAC" 10.0.0.5/24
vm_add w1 host1 p2 "$W1_MAC" 10.0.0.5/24
plain_add isp 131.107.10.1/24 eth0 brI
nx isp ip addr add 59.10.10.1/24 dev eth0
nx isp ip addr add 60.10.10.1/24 dev eth0
nx isp sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.eth0.send_redirects=0
fabric_link gw inet0 brI
nx gw ip addr add 131.107.10.10/24 dev inet0
nx gw ip route add default via 131.107.10.1
# site ROUTER PUBLIC GW: a site's router on the Internet
site() {
	plain_add "$1" "$2" eth0 brI
	nx "$1" ip route add default via "$3"
	nx "$1" sysctl -qw net.ipv4.ip_forward=1
}
# lan ROUTER HOST NET: the site's LAN NET.0/24, router .1, host .10
lan() {
	ns_add "$2"
	ip -n "${NS[$1]}" link add lan0 type veth peer name eth0 netns "${NS[$2]}"
	nx "$1" ip addr add "$3.1/24" dev lan0
	nx "$1" ip link set lan0 up
	nx "$2" ip addr add "$3.10/24" dev eth0
	nx "$2" ip link set eth0 up
	nx "$2" ip route add default via "$3.1"
}
site cny 59.10.10.10/24 59.10.10.1
lan cny cnyh 10.1.0
site wny 59.10.10.100/24 59.10.10.1
lan wny wnyh 10.1.0
site wsfo 60.10.10.100/24 60.10.10.1
lan wsfo wsfoh 10.2.0
site cbr 59.10.10.20/24 59.10.10.1
site bad 59.10.10.66/24 59.10.10.1
# NY and SFO linked to each other
ip -n "${NS[wny]}" link add sfo0 type veth peer name ny0 netns "${NS[wsfo]}"
nx wny ip addr add 172.16.0.1/30 dev sfo0
nx wny ip link set sfo0 up
nx wsfo ip addr add 172.16.0.2/30 dev ny0
nx wsfo ip link set ny0 up
nx wny ip route add 10.2.0.0/24 via 172.16.0.2
nx wsfo ip route add 10.1.0.0/24 via 172.16.0.1
# each reaches the virtual network through its own tunnel (metric 100,
# while it is up) or else through the other site (metric 200)
nx wny ip route add 10.0.0.0/24 via 172.16.0.2 metric 200
nx wsfo ip route add 10.0.0.0/24 via 172.16.0.1 metric 200
for h in cnyh wnyh wsfoh; do
	nx $h sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
spawn nx cnyh python3 "$ECHO" server 7000 contoso-ny
spawn nx wnyh python3 "$ECHO" server 7000 woodgrove-ny
spawn nx wsfoh python3 "$ECHO" server 7000 woodgrove-sfo
spawn nx c1 python3 "$ECHO" server 7001 contoso-vm
spawn nx w1 python3 "$ECHO" server 7001 woodgrove-vm

# ---- certificates ----
PKI=$TMP/pki
check "PKI: provider root, gateway and site certificates, a rogue CA" pki_make "$PKI"

# ---- the gateway's charon, tenet configured, agents ----
GWD=$TMP/gw-charon
GW_VICI=$GWD/charon.vici
charon_conf "$GWD" "threads = 8
	ikesa_table_size = 64
	ikesa_table_segments = 4"
check "the gateway's charon starts" charon_start gw "$GWD"
host_conf gw "hostkey = $TMP/gw.hostkey"
host_conf gw "vici = $GW_VICI"
host_conf gw "ipsec_cert = $PKI/gw.pem"
host_conf gw "ipsec_key = $PKI/gw.key"
host_conf gw "ipsec_ca = $PKI/ca.pem"
host_conf host1 "hostkey = $TMP/host1.hostkey"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
gq() { g "$@" >>"$TMP/tenet.out" 2>&1 || { tail -n 3 "$TMP/tenet.out" >&2; return 1; }; }
gs() { g s2s "$@" vici "$GW_VICI"; }
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
	tq croute add rdomain Woodgrove vsid 6999 prefix 0.0.0.0/0 nexthop 10.0.254.2
}
check "configure two tenants with the same addresses" configure
host_start_all
check "the gateway's agent published its public key" \
	wait_for 10 eval 'sqlite3 "$STORE" "select key from kv" | grep -q "^/tenet/v1/host/gw/pubkey/x25519$"'
check "the host key file is 0600" test "$(stat -c %a "$TMP/gw.hostkey")" = 600
check "the agent is connected to charon" wait_for 20 host_log_has gw "charon: connected"

# ---- the S2S interfaces of the book ----
printf 'contoso-ny-psk-0123456789\n' >"$TMP/cny.psk"
printf 'woodgrove-ny-psk-0123456789\n' >"$TMP/wny.psk"
printf 'branch-password-0123\n' >"$TMP/cbr.pw"
chmod 600 "$TMP"/*.psk "$TMP/cbr.pw"
add_ifaces() {
	gq s2s add IfCe1 rdomain Contoso destination 59.10.10.10 auth psk \
		secret-file "$TMP/cny.psk" route 10.1.0.0/24 metric 100 dpd 2 retry 3 &&
	gq s2s add IfWe1 rdomain Woodgrove destination 59.10.10.100 auth psk \
		secret-file "$TMP/wny.psk" route 10.1.0.0/24 metric 100 route 10.2.0.0/24 metric 200 \
		postconnect 10.1.9.0/24 dpd 2 retry 3 &&
	gq s2s add IfWe2 rdomain Woodgrove destination 60.10.10.100 \
		auth cert "C=US, O=Woodgrove, CN=sfo.woodgrove.example" \
		route 10.1.0.0/24 metric 200 route 10.2.0.0/24 metric 100 dpd 2 retry 3 &&
	# the password from standard input
	g s2s add IfCe2 rdomain Contoso destination 59.10.10.20 auth eap contoso-branch \
		route 10.3.0.0/24 <"$TMP/cbr.pw" >>"$TMP/tenet.out" 2>&1
}
check "s2s add: IfCe1 (PSK), IfWe1 (PSK), IfWe2 (certificate), IfCe2 (EAP)" add_ifaces
check "the stored secrets are sealed" \
	eval '! sqlite3 "$STORE" "select value from kv" | grep -q -e contoso-ny-psk -e woodgrove-ny-psk -e branch-password &&
	      [ "$(sqlite3 "$STORE" "select value from kv where key like '\''%/s2s/%'\''" | grep -c "\"secret\":\"sealed:v1:")" = 3 ]'
links_ok() {
	local n vrf
	for n in 1:1 2:2 3:2 4:1; do
		vrf=${n#*:}
		ip -n "${NS[gw]}" -d link show "ts${n%:*}" 2>/dev/null |
			grep -q "master tvrf$vrf .*" || return 1
		ip -n "${NS[gw]}" -d link show "ts${n%:*}" | grep -q "xfrm if_id 0x7e53000${n%:*}" ||
			return 1
	done
}
check "an XFRM interface per S2S interface, if_id 0x7e53000N, in its tenant's VRF" \
	wait_for 20 links_ok
check "the alias names the interface" \
	eval 'ip -n "${NS[gw]}" link show ts3 | grep -q "alias tenet-s2s:IfWe2"'
conns_ok() {
	local l
	l=$(swan "$GWD" --list-conns 2>/dev/null) || return 1
	for c in IfCe1 IfWe1 IfWe2 IfCe2; do grep -q "^tenet-s2s-$c:" <<<"$l" || return 1; done
}
check "a connection per interface in charon (loaded over VICI)" wait_for 20 conns_ok
check "static routes with their metrics in the tenant's table, protocol 117" \
	wait_for 10 eval 'ip -n "${NS[gw]}" route show table 10002 proto 117 | grep -q "10.1.0.0/24 dev ts2 .*metric 100" &&
	ip -n "${NS[gw]}" route show table 10002 proto 117 | grep -q "10.1.0.0/24 dev ts3 .*metric 200" &&
	ip -n "${NS[gw]}" route show table 10002 proto 117 | grep -q "10.2.0.0/24 dev ts3 .*metric 100" &&
	ip -n "${NS[gw]}" route show table 10001 proto 117 | grep -q "10.1.0.0/24 dev ts1 .*metric 100"'
check "no post-connection route before the tunnel is up" \
	eval '! ip -n "${NS[gw]}" route show table 10002 | grep -q 10.1.9.0/24'
check "an EAP interface only answers: no routes before its site connects" \
	eval '! ip -n "${NS[gw]}" route show table 10001 | grep -q 10.3.0.0/24'
check "s2s show: configured" eval 's2s_is IfWe1 configured'

# ---- the sites ----
# Woodgrove NY: route-based strongSwan (PSK); its tunnel route while up
WNY=$TMP/wny
charon_conf "$WNY"
site_updown "$WNY" 10.0.0.0/24 ipsec0 100
nx wny ip link add ipsec0 type xfrm if_id 7
nx wny ip link set ipsec0 up
site_conn() { # DIR LOCAL REMOTE LOCAL-AUTH REMOTE-AUTH SECRETS
	cat >"$1/swanctl.conf" <<EOF
connections {
	gw {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes128gcm16-prfsha256-x25519
		dpd_delay = 2s
		keyingtries = 0
		local { $4 }
		remote { $5 }
		children {
			net {
				local_ts = 0.0.0.0/0
				remote_ts = 0.0.0.0/0
				if_id_in = 7
				if_id_out = 7
				esp_proposals = aes128gcm16
				updown = $1/updown.sh
				dpd_action = restart
			}
		}
	}
}
secrets { $6 }
EOF
}
site_conn "$WNY" 59.10.10.100 131.107.10.10 "auth = psk" "auth = psk
			id = 131.107.10.10" "ike-1 {
		id-1 = 59.10.10.100
		secret = woodgrove-ny-psk-0123456789
	}"
check "Woodgrove NY: charon with its configuration" eval 'charon_start wny "$WNY" && swan_load "$WNY"'
# Woodgrove SFO: route-based strongSwan, certificate
WSFO=$TMP/wsfo
charon_conf "$WSFO"
site_updown "$WSFO" 10.0.0.0/24 ipsec0 100
nx wsfo ip link add ipsec0 type xfrm if_id 7
nx wsfo ip link set ipsec0 up
mkdir -p "$WSFO/x509" "$WSFO/x509ca" "$WSFO/private"
cp "$PKI/sfo.pem" "$WSFO/x509/"
cp "$PKI/sfo.key" "$WSFO/private/"
cp "$PKI/ca.pem" "$WSFO/x509ca/"
site_conn "$WSFO" 60.10.10.100 131.107.10.10 "auth = pubkey
			certs = sfo.pem" "auth = pubkey
			id = \"C=US, O=Fabrikam, CN=gw.fabrikam.example\"" ""
check "Woodgrove SFO: charon with its certificate" eval 'charon_start wsfo "$WSFO" && swan_load "$WSFO"'
# Contoso branch: EAP-MSCHAPv2 user contoso-branch
CBR=$TMP/cbr
charon_conf "$CBR"
site_updown "$CBR" 10.0.0.0/24 ipsec0 100
nx cbr ip link add ipsec0 type xfrm if_id 7
nx cbr ip link set ipsec0 up
nx cbr ip addr add 10.3.0.1/32 dev lo
mkdir -p "$CBR/x509ca"
cp "$PKI/ca.pem" "$CBR/x509ca/"
site_conn "$CBR" 59.10.10.20 131.107.10.10 "auth = eap-mschapv2
			id = contoso-branch
			eap_id = contoso-branch" "auth = pubkey
			id = \"C=US, O=Fabrikam, CN=gw.fabrikam.example\"" "eap-1 {
		id = contoso-branch
		secret = branch-password-0123
	}"
check "Contoso branch: charon with its EAP credentials" eval 'charon_start cbr "$CBR" && swan_load "$CBR"'
# Contoso NY: Libreswan, policy-based (10.1.0.0/24 <-> 10.0.0.0/24)
CNY=$TMP/cny
mkdir -p "$CNY"
cat >"$CNY/ipsec.conf" <<EOF
config setup
	logfile=$CNY/pluto.log
	plutodebug=none
conn gw
	ikev2=insist
	left=59.10.10.10
	right=131.107.10.10
	authby=secret
	leftsubnet=10.1.0.0/24
	rightsubnet=10.0.0.0/24
	narrowing=yes
	ike=aes128-sha2_256;dh31
	esp=aes_gcm128
	leftupdown=/usr/libexec/ipsec/_updown
	dpddelay=2
	dpdtimeout=10
	dpdaction=restart
	auto=add
EOF
printf '59.10.10.10 131.107.10.10 : PSK "contoso-ny-psk-0123456789"\n' >"$CNY/ipsec.secrets"
check "Contoso NY: Libreswan's pluto" lsw_start cny "$CNY"

# ---- both tenants' sites dial the same gateway address ----
lsw_up() {
	# pluto adds the connections of its configuration after it listens:
	# an --initiate before that finds "no connection named gw"
	wait_for 20 eval 'whack "$CNY" --status 2>/dev/null | grep -q "^[0-9 ]*\"gw\":"'
	whack "$CNY" --name gw --initiate >"$CNY/init.out" 2>&1
	wait_for 20 s2s_is IfCe1 connected && return 0
	tail -n 5 "$CNY/init.out" >&2
	grep -v -e RFC -e test -e CAVP "$CNY/pluto.log" | tail -n 15 >&2
	return 1
}
check "Contoso NY (Libreswan) connects" lsw_up
check "Woodgrove NY connects" swan "$WNY" --initiate --child net --timeout 30
check "Woodgrove SFO connects (certificate)" swan "$WSFO" --initiate --child net --timeout 30
check "Contoso branch connects (EAP)" swan "$CBR" --initiate --child net --timeout 30
for i in IfCe1 IfWe1 IfWe2 IfCe2; do
	check "s2s show: $i connected" wait_for 20 s2s_is "$i" connected
done
check "post-connection route once connected" \
	wait_for 10 eval 'ip -n "${NS[gw]}" route show table 10002 proto 117 | grep -q "10.1.9.0/24 dev ts2"'
check "the EAP interface's route once its site connected" \
	wait_for 10 eval 'ip -n "${NS[gw]}" route show table 10001 proto 117 | grep -q "10.3.0.0/24 dev ts4"'

# ---- traffic: each tenant reaches its own sites only ----
cap_start inet gw inet0
cap_start cnylan cnyh eth0
cap_start wnylan wnyh eth0
check "Contoso VM -> Contoso NY (ping)" wait_for 20 ping_ok c1 10.1.0.10
check "Woodgrove VM -> Woodgrove NY (ping)" wait_for 20 ping_ok w1 10.1.0.10
check "Woodgrove VM -> Woodgrove SFO (ping)" wait_for 20 ping_ok w1 10.2.0.10
check "Contoso VM -> Contoso branch (ping, EAP tunnel)" wait_for 20 ping_ok c1 10.3.0.1
echo_ok() { # VM PROTO PORT WHO
	nx "$1" python3 "$ECHO" client "$2" 10.1.0.10 7000 "$3" "$1-$2" 2>/dev/null |
		grep -q "^$4 saw 10.0.0.5:$3 said $1-$2"
}
check "TCP: Contoso's VM reaches contoso-ny" echo_ok c1 tcp 41000 contoso-ny
check "TCP: Woodgrove's VM reaches woodgrove-ny (same addresses, same ports)" \
	echo_ok w1 tcp 41000 woodgrove-ny
check "UDP: Contoso's VM reaches contoso-ny" echo_ok c1 udp 41001 contoso-ny
check "UDP: Woodgrove's VM reaches woodgrove-ny (same addresses, same ports)" \
	echo_ok w1 udp 41001 woodgrove-ny
# On failure, show where a flow stops (checksums included).
if ! echo_ok c1 tcp 41002 contoso-ny || ! echo_ok w1 tcp 41002 woodgrove-ny; then
	for d in "gw any" "cny any" "cnyh eth0" "wny any" "wnyh eth0" "host1 any"; do
		set -- $d
		nx "$1" timeout 8 tcpdump -U -vv -ni "$2" -c 6 'port 7000' \
			>"$TMP/dbg-$1-$2.txt" 2>&1 &
	done
	sleep 1.5
	info "c1: $(nx c1 python3 "$ECHO" client tcp 10.1.0.10 7000 41003 dbg 2>&1)"
	info "w1: $(nx w1 python3 "$ECHO" client tcp 10.1.0.10 7000 41003 dbg 2>&1)"
	sleep 6
	for f in "$TMP"/dbg-*.txt; do echo "--- $f"; head -16 "$f"; done
	nx gw nstat -az 2>/dev/null | grep -i -e csum -e inerr -e drop -e Xfrm | grep -v ' 0 '
	nx gw nft list ruleset | head -60
	nx c1 ethtool -K eth0 tx off >/dev/null
	info "with tx checksum offload off: $(nx c1 python3 "$ECHO" client tcp 10.1.0.10 7000 41004 txoff 2>&1)"
	nx c1 ethtool -K eth0 tx on >/dev/null
fi
check "Contoso cannot reach Woodgrove's SFO subnet (no route: unreachable)" ping_fails c1 10.2.0.10
check "a site reaches its tenant's VM: Woodgrove NY -> w1" ping_ok wnyh 10.0.0.5
# Both tenants' sites open the same flow to their VMs: each VM sees its
# site's own source port (nothing translated between two tenants).
site_echo_ok() { # SITE-HOST VM-NAME PROTO PORT
	nx "$1" python3 "$ECHO" client "$3" 10.0.0.5 7001 "$4" "$1" 2>/dev/null |
		grep -q "^$2 saw 10.1.0.10:$4 said $1"
}
check "TCP: Contoso NY -> c1 and Woodgrove NY -> w1, the same flow, ports kept" \
	eval 'site_echo_ok cnyh contoso-vm tcp 42000 && site_echo_ok wnyh woodgrove-vm tcp 42000'
check "UDP: the same" \
	eval 'site_echo_ok cnyh contoso-vm udp 42001 && site_echo_ok wnyh woodgrove-vm udp 42001'
check "a site reaches its tenant's VM: Contoso NY -> c1" ping_ok cnyh 10.0.0.5
cap_stop inet
cap_stop cnylan
cap_stop wnylan
only_esp_ike() {
	local other
	other=$(cap_read inet -Y 'not (esp or udp.port == 500 or udp.port == 4500 or arp)' | wc -l)
	[ "$other" = 0 ] || { cap_read inet -Y 'not (esp or udp.port == 500 or udp.port == 4500 or arp)' | head -3; return 1; }
	[ "$(cap_read inet -Y esp | wc -l)" -gt 20 ]
}
check "the Internet link carries only ESP and IKE" only_esp_ike
clean_lan() { ! tcpdump -A -r "$TMP/$1.pcapng" 2>/dev/null | grep -q "$2-"; }
check "Contoso NY's LAN sees none of Woodgrove's traffic" clean_lan cnylan w1
check "Woodgrove NY's LAN sees none of Contoso's traffic" clean_lan wnylan c1
check "and each LAN saw its own tenant" \
	eval '! clean_lan cnylan c1 && ! clean_lan wnylan w1'
show_ok() {
	gs show IfWe1 >"$TMP/show.txt" && gs show >"$TMP/show-all.txt" && g -j s2s show vici "$GW_VICI" >"$TMP/show.json" &&
	grep -q "^IfWe1: rdomain Woodgrove dev ts2 if_id 0x7e530002 destination 59.10.10.100 auth psk (sealed) mode both dpd 2s" "$TMP/show.txt" &&
	grep -q "state connected since .* peer '59.10.10.100' at 59.10.10.100" "$TMP/show.txt" &&
	grep -Eq "in  spi [0-9a-f]{8} [0-9]+ bytes [1-9][0-9]* packets" "$TMP/show.txt" &&
	grep -q "routes 10.1.0.0/24 metric 100, 10.2.0.0/24 metric 200" "$TMP/show.txt" &&
	grep -q "^IfWe2: .* auth cert subject 'C=US, O=Woodgrove, CN=sfo.woodgrove.example'" "$TMP/show-all.txt" &&
	grep -q "^IfCe2: .* auth eap user 'contoso-branch' password (sealed) mode responder" "$TMP/show-all.txt" &&
	! grep -q -e sealed:v1 -e woodgrove-ny-psk "$TMP/show.txt" "$TMP/show-all.txt" "$TMP/show.json" &&
	python3 - "$TMP/show.json" <<'EOF'
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))}
w = d["IfWe2"]
ok = (w["state"] == "connected" and w["dev"] == "ts3" and w["if_id"] == 0x7e530003
      and w["remote_id"] == "C=US, O=Woodgrove, CN=sfo.woodgrove.example"
      and w["routes"] == [{"prefix": "10.1.0.0/24", "metric": 200}, {"prefix": "10.2.0.0/24", "metric": 100}]
      and w["packets_out"] > 0 and w["packets_in"] > 0 and len(w["spi_in"]) == 8
      and d["IfWe1"]["secret"]["state"] == "sealed" and "auth" in d["IfCe1"])
sys.exit(0 if ok else print(json.dumps(w)) or 1)
EOF
}
check "s2s show (text and -j): state, since, peer, SPIs, bytes and packets, routes; no secret" show_ok
info "$(head -n 5 "$TMP/show.txt")"

# ---- VLAN integration: a tenant whose network is a VLAN ----
# Fabrikam's VM is on VLAN 4000 of the gateway's eth1 (a bridge for the
# VLAN trunk), not on NVGRE; its compartment's internal side is eth1.4000.
fabric_bridge brV
fabric_link gw eth1 brV
ns_add fvm
ip -n "${NS[fabric]}" link add fv0 type veth peer name trunk0 netns "${NS[fvm]}"
ip -n "${NS[fabric]}" link set fv0 master brV up
nx fvm ip link set trunk0 up
nx fvm ip link add link trunk0 name eth0 type vlan id 4000
nx fvm ip addr add 10.0.0.5/24 dev eth0
nx fvm ip link set eth0 up
nx fvm ip route add default via 10.0.0.1
site fsite 60.10.10.200/24 60.10.10.1
lan fsite fsiteh 10.1.0
spawn nx fsiteh python3 "$ECHO" server 7000 fabrikam-site
FSD=$TMP/fsite
charon_conf "$FSD"
site_updown "$FSD" 10.0.0.0/24 ipsec0 100
nx fsite ip link add ipsec0 type xfrm if_id 7
nx fsite ip link set ipsec0 up
site_conn "$FSD" 60.10.10.200 131.107.10.10 "auth = psk" "auth = psk
			id = 131.107.10.10" "ike-1 {
		id-1 = 60.10.10.200
		secret = fabrikam-psk-0123456789
	}"
printf 'fabrikam-psk-0123456789\n' >"$TMP/fsite.psk"
vlan_tenant() {
	tq rdomain add Fabrikam &&
	gq compartment add Fabrikam rdomain Fabrikam vlan 4000 dev eth1 address 10.0.0.1/24 &&
	gq s2s add IfFe1 rdomain Fabrikam destination 60.10.10.200 auth psk \
		secret-file "$TMP/fsite.psk" route 10.1.0.0/24 dpd 2 retry 3
}
check "Fabrikam: a VLAN compartment (vlan 4000 dev eth1) and its S2S interface" vlan_tenant
check "the compartment's internal side is the VLAN, in its VRF" \
	wait_for 20 eval 'ip -n "${NS[gw]}" -d link show tgi3 | grep -q "master tvrf3" &&
	                  ip -n "${NS[gw]}" -d link show tgi3 | grep -q "vlan protocol 802.1Q id 4000" &&
	                  ! ip -n "${NS[gw]}" link show tgp3 >/dev/null 2>&1'
check "compartment show: vlan 4000 dev eth1" \
	eval 'g -d compartment show Fabrikam >"$TMP/fab.txt" &&
	      grep -q "^Fabrikam rdomain Fabrikam vlan 4000 dev eth1 address 10.0.0.1/24 mac [0-9a-f:]\{17\} host gw$" "$TMP/fab.txt" &&
	      grep -q "^    id 3 guid [0-9a-f-]\{36\} vrf tvrf3 table 10003$" "$TMP/fab.txt"'
check "Fabrikam's site connects" eval 'charon_start fsite "$FSD" && swan_load "$FSD" &&
	swan "$FSD" --initiate --child net --timeout 30'
check "IfFe1 connected" wait_for 20 s2s_is IfFe1 connected
check "the VLAN VM reaches its site (ping)" wait_for 20 ping_ok fvm 10.1.0.10
check "TCP: the VLAN VM reaches fabrikam-site" \
	eval 'nx fvm python3 "$ECHO" client tcp 10.1.0.10 7000 41500 fvm | grep -q "^fabrikam-site saw 10.0.0.5:41500"'
check "the other tenants are unaffected" eval 'ping_ok w1 10.1.0.10 && ping_ok c1 10.1.0.10'

# ---- refusals, each logged with its reason ----
BAD=$TMP/bad
charon_conf "$BAD"
mkdir -p "$BAD/x509" "$BAD/x509ca" "$BAD/private"
cp "$PKI/rogue-sfo.pem" "$BAD/x509/"
cp "$PKI/rogue-sfo.key" "$BAD/private/"
cp "$PKI/ca.pem" "$BAD/x509ca/"
cat >"$BAD/swanctl.conf" <<EOF
connections {
	psk { version = 2
		local_addrs = 59.10.10.66
		remote_addrs = 131.107.10.10
		local { auth = psk }
		remote { auth = psk }
		children { net { } } }
	cert { version = 2
		local_addrs = 59.10.10.66
		remote_addrs = 131.107.10.10
		local { auth = pubkey
			certs = rogue-sfo.pem }
		remote { auth = pubkey }
		children { net { } } }
	eap { version = 2
		local_addrs = 59.10.10.66
		remote_addrs = 131.107.10.10
		local { auth = eap-mschapv2
			id = mallory
			eap_id = mallory }
		remote { auth = pubkey }
		children { net { } } }
}
secrets {
	ike-1 { id-1 = 59.10.10.66
		secret = not-any-tenants-psk }
	eap-1 { id = mallory
		secret = mallorys-password }
}
EOF
check "a stranger's charon" eval 'charon_start bad "$BAD" && swan_load "$BAD"'
refused_ok() { # CONN LOG-PATTERN
	! swan "$BAD" --initiate --ike "$1" --child net --timeout 20 >/dev/null 2>&1 &&
	wait_for 10 host_log_has gw "$2"
}
check "refused: an unknown peer address, logged" refused_ok psk \
	"s2s: refused 59.10.10.66 (identity '59.10.10.66'): no S2S interface for it"
check "refused: a certificate from another CA (same subject), logged" refused_ok cert \
	"s2s: refused certificate 'C=US, O=Woodgrove, CN=sfo.woodgrove.example' (issuer 'C=US, O=Rogue, CN=Rogue CA'): it does not chain to the provider's root"
check "refused: an unknown EAP user, logged" refused_ok eap \
	"s2s: refused 59.10.10.66 (identity 'mallory'): no S2S interface for it"
wrong_psk() {
	swan "$WNY" --terminate --ike gw >/dev/null 2>&1
	sed 's/woodgrove-ny-psk-0123456789/a-wrong-psk/' "$WNY/swanctl.conf" >"$WNY/wrong.conf"
	(cd "$WNY" && swan "$WNY" --load-all --clear --file "$WNY/wrong.conf") >/dev/null 2>&1
	! swan "$WNY" --initiate --child net --timeout 20 >/dev/null 2>&1 &&
	wait_for 10 host_log_has gw "s2s IfWe1: refused 59.10.10.100: wrong pre-shared key"
}
check "refused: a wrong pre-shared key from a known peer, logged" wrong_psk
(cd "$WNY" && swan "$WNY" --load-all --clear --file "$WNY/swanctl.conf") >/dev/null 2>&1
check "Woodgrove NY connects again with the right key" \
	swan "$WNY" --initiate --child net --timeout 30
check "IfWe1 connected again" wait_for 20 s2s_is IfWe1 connected
for l in "refused 59.10.10.66" "refused certificate" "wrong pre-shared key"; do
	info "$(grep -m1 "$l" "$TMP/gw.log")"
done

# ---- on demand: the gateway dials when a packet needs the tunnel ----
check "s2s disconnect IfWe1" gq s2s disconnect IfWe1 vici "$GW_VICI"
check "IfWe1 configured again (its site does not redial)" wait_for 20 s2s_is IfWe1 configured
check "s2s disconnect of a disconnected interface is fine" gq s2s disconnect IfWe1 vici "$GW_VICI"
check "its post-connection route is gone" \
	wait_for 10 eval '! ip -n "${NS[gw]}" route show table 10002 | grep -q 10.1.9.0/24'
check "its static routes stay (they dial)" \
	eval 'ip -n "${NS[gw]}" route show table 10002 proto 117 | grep -q "10.1.0.0/24 dev ts2 .*metric 100"'
check "the first packets toward NY bring the tunnel up" wait_for 30 ping_ok w1 10.1.0.10
check "IfWe1 connected (dialed by the gateway)" wait_for 20 s2s_is IfWe1 connected
check "the gateway initiated it" eval 'gs show IfWe1 | grep -q "state connected"' 
check "post-connection route back" \
	wait_for 10 eval 'ip -n "${NS[gw]}" route show table 10002 proto 117 | grep -q "10.1.9.0/24 dev ts2"'
check "s2s connect of a connected interface is fine" gq s2s connect IfWe1 vici "$GW_VICI"

# ---- the book's static-metric failover ----
# w1 pings NY's host every 0.1 s while NY's Internet access is cut and
# restored; the lost echoes make the outage.
tx() { nx gw cat "/sys/class/net/$1/statistics/tx_packets"; }
# (ip netns exec execs ping: $! is ping itself, which SIGINT ends)
ip netns exec "${NS[w1]}" ping -n -i 0.1 -W 1 10.1.0.10 >"$TMP/failover.ping" 2>&1 &
PING_PID=$!
LIB_BG+=("$PING_PID")
sleep 2
t_cut=$SECONDS
nx isp nft -f - <<'EOF'
table ip cut {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip saddr 59.10.10.100 drop
		ip daddr 59.10.10.100 drop
	}
}
EOF
check "NY cut off: IfWe1 unreachable (dead peer detected)" wait_for 40 s2s_is IfWe1 unreachable
info "IfWe1 unreachable $((SECONDS - t_cut))s after the cut"
check "its routes withdrawn, its interface down" \
	eval '! ip -n "${NS[gw]}" route show table 10002 | grep -q "dev ts2" &&
	      ! ip -n "${NS[gw]}" link show ts2 | grep -q ",UP"'
check "10.1.0.0/24 now via IfWe2 (metric 200)" \
	eval 'ip -n "${NS[gw]}" route get 10.1.0.10 vrf tvrf2 | grep -q "dev ts3"'
sfo0=$(tx ts3)
check "traffic to NY flows via SFO" wait_for 30 eval '[ $(( $(tx ts3) - sfo0 )) -gt 10 ] && ping_ok w1 10.1.0.10'
nx isp nft delete table ip cut
t_back=$SECONDS
check "NY back: IfWe1 connected again (redialed)" wait_for 60 s2s_is IfWe1 connected
info "IfWe1 connected $((SECONDS - t_back))s after NY came back"
check "10.1.0.0/24 via IfWe1 again (metric 100)" \
	wait_for 10 eval 'ip -n "${NS[gw]}" route get 10.1.0.10 vrf tvrf2 | grep -q "dev ts2"'
ny0=$(tx ts2)
sfo0=$(tx ts3)
sleep 2
check "traffic to NY flows directly again" \
	eval '[ $(( $(tx ts2) - ny0 )) -gt 10 ] && [ $(( $(tx ts3) - sfo0 )) -lt 3 ]'
kill -INT "$PING_PID"
wait "$PING_PID" 2>/dev/null
# The outage: the longest run of echoes without an answer (0.1 s apart).
outage=$(awk -F'icmp_seq=' '/bytes from/ { split($2, a, " "); s = a[1] + 0;
	if (last && s - last - 1 > gap) gap = s - last - 1; last = s }
	END { printf "%.1f", gap * 0.1 }' "$TMP/failover.ping")
info "failover outage: ${outage}s without answers ($(grep 'packet loss' "$TMP/failover.ping"))"
check "the failover outage is bounded (dead peer detection, under 30 s)" 	awk -v o="$outage" 'BEGIN { exit !(o > 0 && o < 30) }'


# ---- agent restart: no packet lost ----
ip netns exec "${NS[w1]}" ping -n -i 0.05 -c 200 -W 1 10.2.0.10 >"$TMP/restart.ping" 2>&1 &
PING_PID=$!
LIB_BG+=("$PING_PID")
sleep 2
loads() { grep -cE "connection tenet-s2s-.* in charon (added|updated)" "$TMP/gw.log"; }
loads0=$(loads)
host_stop gw
sleep 1
host_start gw
check "tenetd on gw ready again" host_wait_ready gw 30 2
wait "$PING_PID"
check "agent restart: 0 lost packets in a running ping through a tunnel" \
	grep -q " 0% packet loss" "$TMP/restart.ping"
info "$(grep 'packet loss' "$TMP/restart.ping")"
check "agent restart: the tunnels stayed up, nothing reloaded into charon" \
	eval 's2s_is IfWe1 connected && s2s_is IfWe2 connected && [ "$(loads)" = "$loads0" ]'

# ---- charon restart: the agent reloads everything, tunnels come back ----
charon_stop gw
check "charon gone: the agent notices" wait_for 10 host_log_has gw "charon: .*reconnecting"
check "charon starts again" charon_start gw "$GWD"
check "the agent reloads charon: connections back" wait_for 30 conns_ok
for i in IfCe1 IfWe1 IfWe2; do
	check "$i comes back by itself" wait_for 60 s2s_is "$i" connected
done
check "traffic flows again (Woodgrove NY, Contoso NY)" \
	wait_for 30 eval 'ping_ok w1 10.1.0.10 && ping_ok c1 10.1.0.10'

# ---- bad input: one line, nothing made ----
# The records, not the agents' status records (rewritten on their own).
store_dump() { sqlite3 "$STORE" "select key, value from kv where key not like '/tenet/v1/status/%' order by key"; }
bad() { # name, expected message, command...
	local name=$1 msg=$2 before rc; shift 2
	before=$(store_dump)
	"$@" >"$TMP/bad.out" 2>"$TMP/bad.err" </dev/null; rc=$?
	if [ $rc != 0 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] && grep -qF -- "$msg" "$TMP/bad.err" &&
	   [ "$before" = "$(store_dump)" ]; then
		ok "$name"
	else
		fail "$name (rc $rc: $(cat "$TMP/bad.err"))"
	fi
}
bad "bad destination" "destination '59.10.10.300': not an IPv4 address or a DNS name" \
	g s2s add IfX rdomain Contoso destination 59.10.10.300 auth psk secret-file "$TMP/cny.psk"
bad "unknown rdomain" "rdomain Northwind: no such routing domain" \
	g s2s add IfX rdomain Northwind destination 59.10.10.30 auth psk secret-file "$TMP/cny.psk"
bad "a second PSK interface with the same destination" \
	"destination 59.10.10.100: already the peer of PSK interface IfWe1" \
	g s2s add IfX rdomain Contoso destination 59.10.10.100 auth psk secret-file "$TMP/cny.psk"
bad "a malformed subject" "subject 'CN=x, Woodgrove': 'Woodgrove' is not TYPE=value" \
	g s2s add IfX rdomain Woodgrove destination 60.10.10.7 auth cert "CN=x, Woodgrove"
check "nothing made for refused input" \
	eval '! ip -n "${NS[gw]}" link show ts6 >/dev/null 2>&1 && ! swan "$GWD" --list-conns | grep -q tenet-s2s-IfX'

# ---- lifecycle ----
ifid_gone() { # N: nothing of interface N in the kernel or charon
	local id=$(printf '0x7e53%04x' "$1")
	! ip -n "${NS[gw]}" link show "ts$1" >/dev/null 2>&1 &&
	! ip -n "${NS[gw]}" xfrm state | grep -q "if_id $id" &&
	! ip -n "${NS[gw]}" xfrm policy | grep -q "if_id $id" &&
	! ip -n "${NS[gw]}" route show table all proto 117 | grep -q "dev ts$1 "
}
charon_has() { swan "$GWD" --list-conns 2>/dev/null | grep -q "^tenet-s2s-$1:" ||
	swan "$GWD" --list-sas 2>/dev/null | grep -q "^tenet-s2s-$1:"; }
check "delete IfCe2" gq s2s del IfCe2
check "no XFRM interface, SA, policy or route of IfCe2 left" wait_for 20 ifid_gone 4
check "no connection or SA of IfCe2 in charon, its secret unloaded" \
	wait_for 20 eval '! charon_has IfCe2 && host_log_has gw "secret tenet-s2s-IfCe2-[0-9a-f]* in charon removed"'
check "the others still work" eval 'ping_ok w1 10.1.0.10 && ping_ok c1 10.1.0.10'
check "delete the tenant Contoso (its compartment)" gq compartment del Contoso force
check "nothing of IfCe1 left" wait_for 20 ifid_gone 1
check "no Contoso interface in the store" \
	eval '! sqlite3 "$STORE" "select key from kv" | grep -q -e s2s/IfCe1 -e s2s/IfCe2'
check "Woodgrove still works" eval 'ping_ok w1 10.1.0.10 && ping_ok w1 10.2.0.10'
check "delete IfWe1, IfWe2 and IfFe1" eval 'gq s2s del IfWe1 && gq s2s del IfWe2 && gq s2s del IfFe1'
all_gone() {
	ifid_gone 2 && ifid_gone 3 && ifid_gone 5 &&
	[ -z "$(ip -n "${NS[gw]}" route show table all proto 117)" ] &&
	! swan "$GWD" --list-conns | grep -q tenet-s2s- &&
	! swan "$GWD" --list-sas | grep -q tenet-s2s- &&
	[ -z "$(ip -n "${NS[gw]}" xfrm state)" ] &&
	# charon's own per-socket bypass policies (IKE's sockets) stay while
	# it runs; no policy of the SPD (dir in, out or fwd) may.
	! ip -n "${NS[gw]}" xfrm policy | grep -q '^[[:space:]]*dir '
}
check "nothing left: no XFRM interface, route, connection, SA, policy" wait_for 30 all_gone
if ! all_gone; then
	for c in "ip -d link show type xfrm" "ip route show table all proto 117" "ip xfrm state" \
		 "ip xfrm policy"; do
		info "left: $c: $(nx gw $c 2>&1 | head -20)"
	done
	info "left in charon: $(swan "$GWD" --list-conns 2>/dev/null | grep tenet-s2s-; swan "$GWD" --list-sas 2>/dev/null | head -20)"
fi
finish

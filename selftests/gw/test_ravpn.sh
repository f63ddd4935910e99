#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multi-tenant remote-access VPN (docs/vpn.md, "Remote access"): users
# dial in over IKEv2, authenticate with EAP-MD5 relayed to FreeRADIUS, and
# land in the tenant RADIUS names in their Class attribute; both tenants
# hand out the same pool. Run it in the stock-kernel guest (VRF, ESP, XFRM
# interfaces): selftests/vm/run -- selftests/gw/run.sh ravpn
#
#   host1  (PA 192.168.4.11)  Contoso VM c1 10.0.0.5, Woodgrove VM w1 10.0.0.5
#   gw     (PA 192.168.4.33)  compartments Contoso and Woodgrove, tenetd and
#                             charon; Internet 131.107.10.10 (inet0)
#   radius 131.107.10.20      FreeRADIUS: alice and carol Contoso, bob and
#                             dave Woodgrove, mallory "Nobody"
#   isp                       the Internet's router (131.107.10.1, 59.10.10.1)
#   alice  59.10.10.11        strongSwan client (Contoso)
#   bob    59.10.10.12        strongSwan client (Woodgrove)
#   extra  59.10.10.13        strongSwan with carol, dave and mallory
#   carol  59.10.10.14        strongSwan client (Contoso, alice's second)
#
# Checks: the tenant's XFRM interface, pool route (unreachable) and
# connection as the agent programs them; alice and bob both get 10.10.0.1,
# each with a /32 through its tenant's interface, each reaches its
# own tenant's VM (TCP, ping) and nothing of the other's; show; refusals
# with log lines (tenant max, gateway cap, a Class naming no tenant, a
# wrong password, RADIUS down within seconds); Contoso's aggregate rate
# (alice and carol together about 5 Mbit/s at rate 5120, iperf3; bob's
# Woodgrove not limited); a user's /32 (and, with pool6, /128) comes and
# goes with the user; an agent restart with alice and bob connected (the
# same SAs after it, a ping across it loses nothing); bad
# input; deleting one tenant's remote access leaves nothing of it and the
# other tenant's user connected.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/s2s_lib.sh"
. "$(dirname "$0")/radius_lib.sh"
lib_init ravpn
require_root
require_build
require_cmd ping swanctl pki freeradius dumpcap tshark python3 iperf3 tc
ECHO=$LIB_ROOT/selftests/gw/echo.py
C1_MAC=00:15:5d:00:50:05
W1_MAC=00:15:5d:00:60:05
# clients and gateway: EAP-MD5 (clients), eap-radius (gateway)
S2S_PLUGINS="$S2S_PLUGINS eap-md5 eap-radius"

s2s_prewarm || fail_all "cannot load the ESP crypto"

# ---- networks ----
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
plain_add radius 131.107.10.20/24 eth0 brI
for c in alice:11 bob:12 extra:13 carol:14; do
	plain_add "${c%:*}" "59.10.10.${c#*:}/24" eth0 brI
	nx "${c%:*}" ip route add default via 59.10.10.1
done
spawn nx c1 python3 "$ECHO" server 7001 contoso-vm
spawn nx w1 python3 "$ECHO" server 7001 woodgrove-vm
for p in 5201 5202; do spawn nx c1 iperf3 -s -p $p >/dev/null 2>&1; done
spawn nx w1 iperf3 -s -p 5201 >/dev/null 2>&1

# ---- FreeRADIUS, a configuration of its own ----
RAD=$TMP/radius
radius_conf "$RAD"
cat >"$RAD/users" <<EOF
alice	Cleartext-Password := "alice-pw-123"
	Class := "TenantName=Contoso"
bob	Cleartext-Password := "bob-pw-123"
	Class := "TenantName=Woodgrove"
carol	Cleartext-Password := "carol-pw-123"
	Class := "TenantName=Contoso"
dave	Cleartext-Password := "dave-pw-123"
	Class := "TenantName=Woodgrove"
mallory	Cleartext-Password := "mallory-pw-123"
	Class := "TenantName=Nobody"
JohnDoe@Contoso.Fabrikam.com	Cleartext-Password := "jd-pw-123"
eve@Fabrikam.com	Cleartext-Password := "eve-pw-123"
DEFAULT	User-Name == "Contoso\\\\JohnDoe", Cleartext-Password := "jd2-pw-123"
EOF
# ip netns exec execs freeradius: BG_PID is its pid (nx would be a subshell)
spawn ip netns exec "${NS[radius]}" freeradius -X -d "$RAD" >"$RAD/debug.log" 2>&1
RAD_PID=$BG_PID
check "FreeRADIUS runs in its namespace" wait_for 30 grep -q "Ready to process requests" "$RAD/debug.log"

# ---- PKI, the gateway's charon, tenet ----
PKI=$TMP/pki
check "PKI: provider root and the gateway's certificate" pki_make "$PKI"
GWD=$TMP/gw-charon
GW_VICI=$GWD/charon.vici
charon_conf "$GWD"
# tenetd writes the eap-radius section (servers, secrets) here
echo "include $GWD/radius*.conf" >>"$GWD/strongswan.conf"
check "the gateway's charon starts" charon_start gw "$GWD"
host_conf gw "hostkey = $TMP/gw.hostkey"
host_conf gw "vici = $GW_VICI"
host_conf gw "ipsec_cert = $PKI/gw.pem"
host_conf gw "ipsec_key = $PKI/gw.key"
host_conf gw "ipsec_ca = $PKI/ca.pem"
host_conf gw "ravpn_radius_conf = $GWD/radius.conf"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
gq() { g "$@" >>"$TMP/tenet.out" 2>&1 || { tail -n 3 "$TMP/tenet.out" >&2; return 1; }; }
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

# ---- remote access: the same pool for both tenants ----
printf 'radius-secret-0123\n' >"$TMP/radius.secret"
chmod 600 "$TMP/radius.secret"
ra_config() {
	gq ravpn radius add server 131.107.10.20 secret-file "$TMP/radius.secret" &&
	gq ravpn set rdomain Contoso pool 10.10.0.0/24 tenant-name '*Contoso*' max 1 &&
	gq ravpn set rdomain Woodgrove pool 10.10.0.0/24 tenant-name '*Woodgrove*' &&
	gq ravpn limit max 2
}
check "ravpn: RADIUS server, Contoso (max 1) and Woodgrove with the same pool, cap 2" ra_config
check "the RADIUS secret is stored sealed" \
	eval '! sqlite3 "$STORE" "select value from kv" | grep -q radius-secret-0123'
bad() { # EXPECTED-LINE ARGS...: refused with exactly that line, nothing stored
	local before after out
	before=$(sqlite3 "$STORE" "select count(*) from kv")
	out=$(g "${@:2}" 2>&1) && return 1
	after=$(sqlite3 "$STORE" "select count(*) from kv")
	[ "$out" = "$1" ] && [ "$before" = "$after" ] || { echo "got: $out" >&2; return 1; }
}
check "bad input: a tenant name that clashes" \
	bad "tenet: tenant-name Conto*: clashes with *Contoso* (tenant Contoso): tenant names are unique per gateway" \
	ravpn set rdomain Woodgrove pool 10.10.0.0/24 tenant-name 'Conto*'
check "bad input: a pool with host bits" \
	bad "tenet: pool '10.10.0.1/24': host bits set (did you mean 10.10.0.0/24?)" \
	ravpn set rdomain Contoso pool 10.10.0.1/24
check "bad input: a routing domain that does not exist" \
	bad "tenet: rdomain Fabrikam: no such routing domain" ravpn set rdomain Fabrikam pool 10.10.0.0/24
ra_ok() {
	local n
	for n in 1 2; do
		ip -n "${NS[gw]}" -d link show tra$n 2>/dev/null | grep -q "master tvrf$n " &&
		ip -n "${NS[gw]}" -d link show tra$n | grep -q "xfrm if_id 0x7e52000$n" || return 1
	done
	ip -n "${NS[gw]}" link show tra1 | grep -q "alias tenet-ra:Contoso" &&
	ip -n "${NS[gw]}" route show table 10001 proto 118 | grep -q "^unreachable 10.10.0.0/24" &&
	ip -n "${NS[gw]}" route show table 10002 proto 118 | grep -q "^unreachable 10.10.0.0/24" &&
	swan "$GWD" --list-conns 2>/dev/null | grep -q "^tenet-ra-Contoso:" &&
	swan "$GWD" --list-conns 2>/dev/null | grep -q "^tenet-ra-Woodgrove:" &&
	[ "$(swan "$GWD" --list-pools 2>/dev/null | grep -c "^tenet-ra-.*10.10.0.0")" = 2 ]
}
# diag: what the agent said about remote access, and what the gateway holds
diag() {
	grep -i -e ravpn -e "ra-" -e charon "$TMP/gw.log" | tail -n 15 >&2
	ip -n "${NS[gw]}" -d link show type xfrm >&2
	ip -n "${NS[gw]}" route show table all proto 118 >&2
	swan "$GWD" --list-sas >&2 2>&1
}
ra_ok_diag() { wait_for 20 ra_ok && return 0; diag; swan "$GWD" --list-pools >&2; return 1; }
check "per tenant an XFRM interface in its VRF, the pool's route (proto 118, unreachable), a connection and a pool" \
	ra_ok_diag
# tenant names are set: charon talks to tenetd's RADIUS relay, which
# holds the server's secret (docs/vpn.md, "Tenant by user name")
check "the eap-radius settings are 0600, name tenetd's relay on 127.0.0.1 and hold no server secret" \
	eval '[ "$(stat -c %a "$GWD/radius.conf")" = 600 ] && grep -q "address = 127.0.0.1" "$GWD/radius.conf" &&
	      ! grep -q radius-secret-0123 "$GWD/radius.conf"'

# ---- the clients ----
client_updown() {
	cat >"$1/updown.sh" <<'EOF'
#!/bin/sh
case "$PLUTO_VERB" in
up-client) ip addr add "$PLUTO_MY_SOURCEIP/32" dev ipsec0
	ip route replace 10.0.0.0/24 dev ipsec0 src "$PLUTO_MY_SOURCEIP" ;;
down-client) ip route del 10.0.0.0/24 dev ipsec0 2>/dev/null
	ip addr del "$PLUTO_MY_SOURCEIP/32" dev ipsec0 2>/dev/null ;;
esac
exit 0
EOF
	chmod +x "$1/updown.sh"
}
client_conn() { # NAME USER PASSWORD [IF_ID [6: an IPv6 virtual IP too]]
	local vips=0.0.0.0
	[ "${5:-}" = 6 ] && vips="0.0.0.0, ::"
	cat <<EOF
	$1 {
		version = 2
		remote_addrs = 131.107.10.10
		vips = $vips
		proposals = aes128gcm16-prfsha256-x25519
		local { auth = eap-md5
			id = $2
			eap_id = $2 }
		remote { auth = pubkey
			id = "C=US, O=Fabrikam, CN=gw.fabrikam.example" }
		children { ra { remote_ts = 10.0.0.0/24
				esp_proposals = aes128gcm16
				${4:+if_id_in = $4
				if_id_out = $4
				updown = $D/updown.sh} } }
	}
EOF
}
client() { # NS then NAME:USER:PASSWORD:IF_ID...
	local n=$1 D=$TMP/$1 c
	shift
	charon_conf "$D"
	client_updown "$D"
	mkdir -p "$D/x509ca"
	cp "$PKI/ca.pem" "$D/x509ca/"
	{
		echo "connections {"
		for c in "$@"; do IFS=: read -r cn u pw ifid six <<<"$c"
			client_conn "$cn" "$u" "$pw" "$ifid" "$six"; done
		echo "}"
		echo "secrets {"
		for c in "$@"; do IFS=: read -r cn u pw ifid six <<<"$c"
			printf '\teap-%s { id = %s\n\t\tsecret = %s }\n' "$cn" "$u" "$pw"; done
		echo "}"
	} >"$D/swanctl.conf"
	nx "$n" ip link add ipsec0 type xfrm if_id 7
	# below the path's MTU with ESP on top: iperf3's full-size segments
	nx "$n" ip link set ipsec0 mtu 1400 up
	charon_start "$n" "$D" && swan_load "$D"
}
check "alice's, bob's and the extra client's charons" \
	eval 'client alice ra:alice:alice-pw-123:7 && client bob ra:bob:bob-pw-123:7 &&
	      client extra carol:carol:carol-pw-123 dave:dave:dave-pw-123 mallory:mallory:mallory-pw-123 \
			wrongpw:alice:not-her-password jd1:JohnDoe@Contoso.Fabrikam.com:jd-pw-123 \
			jd2:Contoso\\JohnDoe:jd2-pw-123 eve:eve@Fabrikam.com:eve-pw-123'
dial() { # NS CONN
	swan "$TMP/$1" --initiate --child ra --ike "$2" --timeout 30 >"$TMP/$1-$2.init" 2>&1 && return 0
	tail -n 5 "$TMP/$1-$2.init" >&2
	grep -v KNL "$GWD/charon.log" | tail -n 25 >&2
	return 1
}
check "alice connects (RADIUS Class TenantName=Contoso)" dial alice ra
check "bob connects (RADIUS Class TenantName=Woodgrove)" dial bob ra
check "alice and bob both got 10.10.0.1 (the same pool in two tenants)" \
	wait_for 10 eval 'nx alice ip -4 addr show ipsec0 | grep -q "10.10.0.1/32" &&
	                  nx bob ip -4 addr show ipsec0 | grep -q "10.10.0.1/32"'
# rt TABLE [-6]: the agent's routes (proto 118) in a tenant's table
rt() { ip -n "${NS[gw]}" ${2:-} route show table "$1" proto 118 2>/dev/null; }
check "a /32 per user: 10.10.0.1 through tra1 in Contoso's table, through tra2 in Woodgrove's" \
	wait_for 10 eval 'rt 10001 | grep -q "^10.10.0.1 dev tra1" && rt 10002 | grep -q "^10.10.0.1 dev tra2"'
check "alice is Contoso's, bob is Woodgrove's (charon)" \
	eval 'swan "$GWD" --list-sas | grep -A3 "^tenet-ra-Contoso:" | grep -q "alice" &&
	      swan "$GWD" --list-sas | grep -A3 "^tenet-ra-Woodgrove:" | grep -q "bob"'
check "the agent logged both users with their virtual IP" \
	wait_for 10 eval 'host_log_has gw "ravpn Contoso: user alice connected (virtual IP 10.10.0.1)" &&
	                  host_log_has gw "ravpn Woodgrove: user bob connected (virtual IP 10.10.0.1)"'

# ---- traffic: each reaches its own tenant's VM only ----
cap_start w1cap w1 eth0
cap_start c1cap c1 eth0
echo_ok() { # CLIENT PORT WHO
	local out
	out=$(nx "$1" python3 "$ECHO" client tcp 10.0.0.5 7001 "$2" "$1-hello" 2>&1)
	grep -q "^$3 saw 10.10.0.1:$2 said $1-hello" <<<"$out" && return 0
	echo "$1: $out" >&2
	diag
	return 1
}
ping_diag() { wait_for 20 ping_ok "$1" 10.0.0.5 && return 0; nx "$1" ip -4 addr >&2
	nx "$1" ip route >&2; ip -n "${NS[gw]}" -s xfrm state | grep -e "^src" -e if_id -e bytes >&2
	diag; return 1; }
check "alice pings 10.0.0.5 (Contoso's VM)" ping_diag alice
check "TCP: alice reaches contoso-vm" echo_ok alice 42001 contoso-vm
check "bob pings 10.0.0.5 (Woodgrove's VM)" ping_diag bob
check "TCP: bob reaches woodgrove-vm (same addresses, same port)" echo_ok bob 42001 woodgrove-vm
check "TCP: alice again, same tuple as bob's, still contoso-vm" echo_ok alice 42001 contoso-vm
cap_stop w1cap
cap_stop c1cap
payload() { [ -n "$(cap_read "$1" -Y "tcp.payload contains \"$2\"")" ]; }
check "Contoso's VM saw alice's TCP (the captures work)" payload c1cap alice-hello
check_not "Woodgrove's VM saw nothing of alice" payload w1cap alice-hello
check_not "Contoso's VM saw nothing of bob" payload c1cap bob-hello
show_ok() {
	local s
	s=$(g ravpn show vici "$GW_VICI") || return 1
	grep -q "^ravpn Contoso: pool 10.10.0.0/24 tenant-name \*Contoso\* max 1 users 1$" <<<"$s" &&
	grep -q "^    alice 10.10.0.1 since .* from 59.10.10.11$" <<<"$s" &&
	grep -q "^    bob 10.10.0.1 since .* from 59.10.10.12$" <<<"$s" &&
	g -j ravpn show rdomain Woodgrove vici "$GW_VICI" |
		python3 -c 'import json,sys; u=json.load(sys.stdin)[0]["users"]; sys.exit(not(len(u)==1 and u[0]["user"]=="bob" and u[0]["vip"]=="10.10.0.1" and u[0]["bytes-in"]>0))'
}
check "ravpn show: users per tenant with virtual IP, since, bytes (text and -j)" show_ok

# ---- refusals ----
user_sa() { swan "$GWD" --list-sas 2>/dev/null | grep -q "'$1'"; }
refused() { # CONN LOG-LINE
	swan "$TMP/extra" --initiate --child ra --ike "$1" --timeout 20 >"$TMP/extra-$1.init" 2>&1
	wait_for 10 host_log_has gw "$2" || { grep ravpn "$TMP/gw.log" | tail -n 5 >&2; return 1; }
	wait_for 10 eval "! user_sa $1"
}
check "carol (Contoso) refused: the tenant is at its max, logged" \
	refused carol "ravpn Contoso: refused user carol: the tenant's max of 1 connected users is reached"
check "dave (Woodgrove) refused: the gateway is at its cap, logged" \
	refused dave "ravpn Woodgrove: refused user dave: the gateway's cap of 2 connected users is reached"
check "mallory refused: RADIUS Class names no tenant, logged" \
	refused mallory "ravpn: refused user mallory: its RADIUS Class names no tenant of this gateway"
check "a wrong password refused (RADIUS rejects it), logged" \
	refused wrongpw "ravpn: refused user alice: RADIUS rejected it (wrong password or unknown user)"
check "alice and bob still connected" eval 'echo_ok alice 42002 contoso-vm && echo_ok bob 42002 woodgrove-vm'

radius_down() {
	local t0=$SECONDS
	lib_stop "$RAD_PID" FreeRADIUS
	swan "$TMP/extra" --initiate --child ra --ike dave --timeout 30 >"$TMP/extra-down.init" 2>&1 &&
		return 1
	# the gateway gives RADIUS 3 tries 2 s apart (and the client's own
	# IKE retransmissions end sooner): no hang
	[ $((SECONDS - t0)) -le 30 ] &&
		wait_for 15 host_log_has gw "ravpn: refused user dave: no answer from RADIUS" && return 0
	echo "took $((SECONDS - t0))s" >&2
	tail -n 3 "$TMP/extra-down.init" >&2
	grep -i -e radius -e dave "$GWD/charon.log" | tail -n 12 >&2
	return 1
}
check "RADIUS down: the user is refused within seconds, logged" radius_down
radius_up() {
	spawn ip netns exec "${NS[radius]}" freeradius -X -d "$RAD" >"$RAD/debug2.log" 2>&1
	RAD_PID=$BG_PID
	wait_for 30 grep -q "Ready to process requests" "$RAD/debug2.log"
}
check "FreeRADIUS back" radius_up

# ---- the tenant's aggregate rate: Contoso's users together ----
tcq() { nx gw tc qdisc show dev "$1" 2>/dev/null; }
tcf() { nx gw tc filter show dev "$1" ingress 2>/dev/null; }
limited() { # DEV RATE (as tc prints it: 5120Kbit), both ways
	tcq "$1" | grep -q "qdisc tbf 7e52: root .*rate $2" && tcf "$1" | grep -q "police .* rate $2"
}
unlimited() { ! tcq "$1" | grep -q -e "tbf 7e52" -e clsact && ! tcf "$1" | grep -q matchall; }
check "ravpn set rdomain Contoso max 2 rate 5120; gateway cap 3" \
	eval 'gq ravpn set rdomain Contoso max 2 rate 5120 && gq ravpn limit max 3'
check "tra1: tbf and policer at 5120Kbit; tra2 (Woodgrove) not limited" \
	wait_for 20 eval 'limited tra1 5120Kbit && unlimited tra2'
check "show: Contoso's rate" eval 'g ravpn show rdomain Contoso vici "$GW_VICI" |
	grep -q "^ravpn Contoso: pool 10.10.0.0/24 tenant-name \*Contoso\* max 2 rate 5120 users 1$"'
check "carol's charon; carol (Contoso) connects beside alice" \
	eval 'client carol ra:carol:carol-pw-123:7 ra6:carol:carol-pw-123:7:6 && dial carol ra &&
	      wait_for 20 ping_ok carol 10.0.0.5 && wait_for 20 ping_ok alice 10.0.0.5'
check "carol's /32 (10.10.0.2) through tra1 beside alice's" \
	wait_for 10 eval 'rt 10001 | grep -q "^10.10.0.2 dev tra1" && rt 10001 | grep -q "^10.10.0.1 dev tra1"'
SECS=5
# rx_mbps JSON-FILE: the receiver's Mbit/s of an iperf3 -J run
rx_mbps() { python3 -c 'import json, sys
print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$1" 2>/dev/null || echo 0; }
within() { python3 -c 'import sys; x, lo, hi = map(float, sys.argv[1:]); sys.exit(not lo <= x <= hi)' "$@"; }
# pair [-R]: alice and carol at once to Contoso's VM (-R: from it); the sum
pair() {
	nx alice iperf3 -c 10.0.0.5 -p 5201 -t $SECS -O 1 -J ${1:-} >"$TMP/ip-alice.json" 2>&1 &
	local a=$!
	nx carol iperf3 -c 10.0.0.5 -p 5202 -t $SECS -O 1 -J ${1:-} >"$TMP/ip-carol.json" 2>&1
	wait $a
	python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) + float(sys.argv[2])))' \
		"$(rx_mbps "$TMP/ip-alice.json")" "$(rx_mbps "$TMP/ip-carol.json")"
}
# 5120 kbit/s = 5.12 Mbit/s, +-15%
up=$(pair)
info "Contoso's users to its VM (rx policer): alice $(rx_mbps "$TMP/ip-alice.json") + carol $(rx_mbps "$TMP/ip-carol.json") = $up Mbit/s"
check "Contoso's two users together, to the VM: $up Mbit/s in 4.35..5.89" within "$up" 4.35 5.89
down=$(pair -R)
info "Contoso's VM to its users (tx tbf): alice $(rx_mbps "$TMP/ip-alice.json") + carol $(rx_mbps "$TMP/ip-carol.json") = $down Mbit/s"
check "Contoso's two users together, from the VM: $down Mbit/s in 4.35..5.89" within "$down" 4.35 5.89
nx bob iperf3 -c 10.0.0.5 -p 5201 -t $SECS -O 1 -J >"$TMP/ip-bob.json" 2>&1
bobm=$(rx_mbps "$TMP/ip-bob.json")
info "Woodgrove's bob alone: $bobm Mbit/s"
# over the cap's band: not limited by it (the guest carries 9-44 Mbit/s
# through one tunnel under TCG)
check "Woodgrove's user is not limited by Contoso's rate: $bobm Mbit/s > 5.89" within "$bobm" 5.89 100000
check "ravpn set rdomain Contoso rate none: nothing left on tra1" \
	eval 'gq ravpn set rdomain Contoso rate none && wait_for 20 unlimited tra1'
check "carol hangs up" eval 'swan "$TMP/carol" --terminate --ike ra --timeout 10 >/dev/null 2>&1 &&
	wait_for 10 eval "! user_sa carol"'
check "carol's /32 is gone, alice's stays" \
	wait_for 10 eval '! rt 10001 | grep -q "^10.10.0.2 " && rt 10001 | grep -q "^10.10.0.1 dev tra1"'

# ---- IPv6 users: a /128 each ----
# The compartments have no IPv6 (tenet has no IPv6 customer addresses
# yet), so no IPv6 ping to a VM: the route is what is checked.
check "ravpn set rdomain Contoso pool6 fd00:10::/64: the pool6 unreachable in table 10001" \
	eval 'gq ravpn set rdomain Contoso pool6 fd00:10::/64 &&
	      wait_for 20 eval "rt 10001 -6 | grep -q \"^unreachable fd00:10::/64\""'
check "carol dials with an IPv6 virtual IP too: fd00:10::1" \
	eval 'dial carol ra6 &&
	      swan "$GWD" --list-sas | grep -q "fd00:10::1"'
check "carol's /128 and /32 through tra1" \
	wait_for 10 eval 'rt 10001 -6 | grep -q "^fd00:10::1 dev tra1" && rt 10001 | grep -q "^10.10.0.2 dev tra1"'
check "carol hangs up: her /128 and /32 are gone" \
	eval 'swan "$TMP/carol" --terminate --ike ra6 --timeout 10 >/dev/null 2>&1 &&
	      wait_for 10 eval "! rt 10001 -6 | grep -q ^fd00:10::1 && ! rt 10001 | grep -q \"^10.10.0.2 \""'

# ---- the tenant by user name: RADIUS returns no Class ----
contoso_sa() { swan "$GWD" --list-sas 2>/dev/null | grep -A3 "^tenet-ra-Contoso:" | grep -F "'$1'"; }
by_name() { # CONN USER: lands in Contoso with an address of its pool, hangs up
	local u=$2  # fixed strings: one name has a '\'
	dial extra "$1" &&
	wait_for 10 eval 'grep -qF -- "ravpn Contoso: user $u connected (virtual IP 10.10.0." "$TMP/gw.log"' &&
	contoso_sa "$u" | grep -q "\[10\.10\.0\.[0-9]*\]" &&
	swan "$TMP/extra" --terminate --ike "$1" --timeout 10 >/dev/null 2>&1 &&
	wait_for 10 eval '! contoso_sa "$u" >/dev/null'
}
check "JohnDoe@Contoso.Fabrikam.com (no Class) lands in Contoso, gets Contoso's pool" \
	by_name jd1 "JohnDoe@Contoso.Fabrikam.com"
check "Contoso\\JohnDoe (no Class) lands in Contoso, gets Contoso's pool" \
	by_name jd2 'Contoso\JohnDoe'
check "eve@Fabrikam.com (no Class, no tenant name matches) refused, logged" \
	refused eve "ravpn: refused user eve@Fabrikam.com: no RADIUS Class and its name matches no tenant name"

# ---- an agent restart with users connected ----
# ids: the tenants' IKE and CHILD SAs with their unique ids
ids() { swan "$GWD" --list-sas 2>/dev/null | grep -oE "^ *(tenet-ra-[A-Za-z]+|ra-[0-9a-f]+): #[0-9]+" |
	tr -d " " | sort; }
before_ids=$(ids)
info "the users' SAs before the restart: $(echo $before_ids)"
check "alice and bob connected (two IKE SAs, two CHILD SAs)" \
	eval '[ "$(grep -c "^tenet-ra-" <<<"$before_ids")" = 2 ] && [ "$(grep -c "^ra-" <<<"$before_ids")" = 2 ]'
# 30 s of pings from alice to Contoso's VM, the restart in the middle
nx alice ping -c 150 -i 0.2 -W 2 10.0.0.5 >"$TMP/ping-restart.out" 2>&1 &
pingpid=$!
sleep 2
host_stop gw
host_start gw
check "the gateway's agent restarts" host_wait_ready gw 60 2
back_in_time=no
kill -0 "$pingpid" 2>/dev/null && back_in_time=yes
wait "$pingpid"
info "ping across the restart: $(grep "packets transmitted" "$TMP/ping-restart.out")"
check "the agent was back (its first round done) while the ping ran" [ "$back_in_time" = yes ]
check "a ping across the restart lost nothing" grep -q " 0% packet loss" "$TMP/ping-restart.out"
check "after the restart: the same SAs (unique ids) and the users' routes" \
	eval '[ "$(ids)" = "$before_ids" ] && rt 10001 | grep -q "^10.10.0.1 dev tra1" &&
	      rt 10002 | grep -q "^10.10.0.1 dev tra2"'
check "bob still reaches woodgrove-vm" echo_ok bob 42004 woodgrove-vm

# ---- disconnect, lifecycle ----
check "ravpn disconnect rdomain Contoso user alice" gq ravpn disconnect rdomain Contoso user alice vici "$GW_VICI"
check "alice's tunnel is gone" \
	wait_for 10 eval '! swan "$GWD" --list-sas 2>/dev/null | grep -q "^tenet-ra-Contoso:"'
check "disconnecting a user who is not connected is refused" \
	bad "tenet: ravpn Contoso: user alice is not connected" ravpn disconnect rdomain Contoso user alice vici "$GW_VICI"
check "delete Woodgrove's remote access" gq ravpn del rdomain Woodgrove
woodgrove_gone() {
	! ip -n "${NS[gw]}" link show tra2 >/dev/null 2>&1 &&
	[ -z "$(ip -n "${NS[gw]}" route show table 10002 proto 118)" ] &&
	! swan "$GWD" --list-conns 2>/dev/null | grep -q "^tenet-ra-Woodgrove:" &&
	! swan "$GWD" --list-sas 2>/dev/null | grep -q "^tenet-ra-Woodgrove:" &&
	! swan "$GWD" --list-pools 2>/dev/null | grep -q "^tenet-ra-Woodgrove" &&
	! ip -n "${NS[gw]}" xfrm policy | grep -q "if_id 0x7e520002"
}
check "nothing of Woodgrove's remote access left (interface, route, connection, SA, pool, policy)" \
	wait_for 20 woodgrove_gone
check "Contoso's remote access still there; alice dials again and reaches contoso-vm" \
	eval 'ra_ok_c() { ip -n "${NS[gw]}" link show tra1 >/dev/null 2>&1; }; ra_ok_c && dial alice ra &&
	      wait_for 20 ping_ok alice 10.0.0.5 && echo_ok alice 42003 contoso-vm'
finish

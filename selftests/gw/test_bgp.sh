#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# BGP per compartment (docs/bgp.md) on a kernel with VRF (run it in the
# stock-kernel guest: selftests/vm/run -- selftests/gw/run.sh bgp):
#
#   host1  (PA 192.168.4.11)  Contoso VM c1 10.0.0.5, Woodgrove VM w1 10.0.0.5
#   gw     (PA 192.168.4.33)  compartments Contoso and Woodgrove (both
#                             10.0.254.2, both AS 65412), tenetd, FRR
#                             (zebra, bgpd, staticd); external interfaces
#                             ce0 / we0, both 172.16.0.2/30
#   csite  172.16.0.1 AS 65001  Contoso's site, BIRD 2, announces 10.1.0.0/24
#   wsite  172.16.0.1 AS 65001  Woodgrove's site, GoBGP, announces 10.1.0.0/24
#                             and 10.7.0.0/24
#   isp                       the Internet (131.107.10.1, 59.10.10.1); the
#                             gateway's uplink inet0 131.107.10.10, charon
#   wny    59.10.10.100       Woodgrove's site behind an S2S tunnel (IfWe1,
#                             strongSwan, PSK), BIRD 2 at 10.2.0.1 AS 65413,
#                             announces 10.2.0.0/24
#   wnyr   10.2.1.2           NY's edge router on wny's LAN, BIRD 2 AS 65413,
#                             BFD, announces 10.1.0.0/24 (10.1.0.1 answers)
#   wsfo   59.10.10.200       Woodgrove's SFO site behind IfWe2, BIRD 2 at
#                             10.3.0.1 AS 65414, BFD, announces 10.1.0.0/24
#                             with the path from NY (65414 65413)
#
# The same ASN, peer address and prefix in both tenants, on one gateway:
# both sessions Established (two listeners on port 179 with the same
# address, one per VRF), each VRF table holds its own peer's routes only
# (and keeps its unreachable default), each site learns its tenant's
# virtual subnets, each VM reaches its own site only; show (text and -j);
# a peer behind an S2S tunnel: with the tunnel down, the BGP session's
# /32 trigger route dials it, and the learned prefix lands on the tunnel;
# the gateway alone connects to a tunnel peer (an nftables guard keeps
# the peer's own SYNs out: no collision); FRR restarted (the agent
# re-applies), agent restarted (no session flap); the book's failover: NY
# preferred, NY's link cut silently, BFD moves 10.1.0.0/24 to SFO (the
# outage measured), NY back; lifecycle (bgp del leaves nothing in FRR, the
# table or bfdd); bad input.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/s2s_lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
lib_init bgp
trap 'rc=$?; frr_cleanup; lib_cleanup $rc' EXIT
require_root
require_build
require_cmd python3 vtysh bird birdc gobgpd gobgp swanctl sqlite3
[ -x /usr/lib/frr/zebra ] || fail_all "FRR is not installed (scripts/deps.sh)"
ECHO=$LIB_ROOT/selftests/gw/echo.py
C1_MAC=00:15:5d:00:50:05
W1_MAC=00:15:5d:00:60:05
modprobe vrf 2>/dev/null
s2s_prewarm || fail_all "cannot load the ESP crypto"

# ---- physical network, the sites ----
fabric_add
host_add host1 192.168.4.11/24
host_add gw 192.168.4.33/24
vm_add c1 host1 p1 "$C1_MAC" 10.0.0.5/24
vm_add w1 host1 p2 "$W1_MAC" 10.0.0.5/24
# site NAME GWDEV WHO: a site router linked to the gateway (GWDEV on the
# gateway's side), its LAN 10.1.0.0/24 (router .1) with an echo server
site() {
	ns_add "$1"
	ip -n "${NS[gw]}" link add "$2" type veth peer name eth0 netns "${NS[$1]}"
	ip -n "${NS[gw]}" link set "$2" up
	nx "$1" ip addr add 172.16.0.1/30 dev eth0
	nx "$1" ip link set eth0 up
	nx "$1" ip link add lan0 type veth peer name lan0p
	nx "$1" ip link set lan0p up
	nx "$1" ip addr add 10.1.0.1/24 dev lan0
	nx "$1" ip link set lan0 up
	nx "$1" sysctl -qw net.ipv4.ip_forward=1
	spawn nx "$1" python3 "$ECHO" server 7000 "$3"
}
site csite ce0 contoso-site
site wsite we0 woodgrove-site
nx wsite ip link add lan7 type veth peer name lan7p
nx wsite ip link set lan7p up
nx wsite ip addr add 10.7.0.1/24 dev lan7
nx wsite ip link set lan7 up

# BIRD 2 at Contoso's site: announces its LAN, installs what it learns
cat >"$TMP/bird.conf" <<'CONF'
router id 172.16.0.1;
protocol device { }
protocol direct { ipv4; interface "lan0"; }
protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; }
protocol bgp fabrikam {
	local 172.16.0.1 as 65001;
	neighbor 172.16.0.2 as 65412;
	connect retry time 2;
	ipv4 { import all; export where source = RTS_DEVICE; };
}
CONF
check "BIRD 2 starts at Contoso's site" bird_start csite "$TMP/bird.conf"
# GoBGP at Woodgrove's site: announces its LAN and one more prefix; it
# does not touch the kernel, so its way back is a static route
cat >"$TMP/gobgp.toml" <<'CONF'
[global.config]
  as = 65001
  router-id = "172.16.0.1"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "172.16.0.2"
    peer-as = 65412
  [neighbors.timers.config]
    connect-retry = 2
CONF
gobgp_start wsite "$TMP/gobgp.toml"
check "GoBGP starts at Woodgrove's site" wait_for 20 eval 'gobgpx wsite global >/dev/null 2>&1'
check "GoBGP announces 10.1.0.0/24 and 10.7.0.0/24" \
	eval 'gobgpx wsite global rib add 10.1.0.0/24 -a ipv4 && gobgpx wsite global rib add 10.7.0.0/24 -a ipv4'
nx wsite ip route add 10.0.0.0/24 via 172.16.0.2

# The Internet, and Woodgrove's site behind a tunnel: strongSwan waits to
# be dialed (route-based, if_id 7; its way back to the virtual network
# while the tunnel is up), BIRD 2 speaks from its LAN address
fabric_bridge brI
plain_add isp 131.107.10.1/24 eth0 brI
nx isp ip addr add 59.10.10.1/24 dev eth0
nx isp sysctl -qw net.ipv4.ip_forward=1
fabric_link gw inet0 brI
nx gw ip addr add 131.107.10.10/24 dev inet0
nx gw ip route add default via 131.107.10.1
plain_add wny 59.10.10.100/24 eth0 brI
nx wny ip route add default via 59.10.10.1
nx wny ip link add lan0 type veth peer name lan0p
nx wny ip link set lan0p up
nx wny ip addr add 10.2.0.1/24 dev lan0
nx wny ip link set lan0 up
nx wny sysctl -qw net.ipv4.ip_forward=1
WNY=$TMP/wny
charon_conf "$WNY"
site_updown "$WNY" 10.0.0.0/16 ipsec0 100
nx wny ip link add ipsec0 type xfrm if_id 7
nx wny ip link set ipsec0 up
cat >"$WNY/swanctl.conf" <<CONF
connections {
	gw {
		version = 2
		local_addrs = 59.10.10.100
		remote_addrs = 131.107.10.10
		proposals = aes128gcm16-prfsha256-x25519
		dpd_delay = 2s
		local { auth = psk }
		remote { auth = psk
			id = 131.107.10.10 }
		children {
			net {
				local_ts = 0.0.0.0/0
				remote_ts = 0.0.0.0/0
				if_id_in = 7
				if_id_out = 7
				esp_proposals = aes128gcm16
				updown = $WNY/updown.sh
			}
		}
	}
}
secrets { ike-1 { id-1 = 59.10.10.100
	secret = woodgrove-ny-psk-0123456789 } }
CONF
check "Woodgrove's tunnel site: charon waits to be dialed" \
	eval 'charon_start wny "$WNY" && swan_load "$WNY"'
cat >"$TMP/bird-wny.conf" <<CONF
log "$TMP/bird-wny.log" all;
debug protocols { states, events };
router id 10.2.0.1;
protocol device { }
protocol direct { ipv4; interface "lan0"; }
protocol bgp fabrikam {
	local 10.2.0.1 as 65413;
	neighbor 10.0.254.2 as 65412;
	multihop;
	connect retry time 2;
	ipv4 { import all; export where source = RTS_DEVICE; };
}
CONF
check "BIRD 2 at the tunnel site" bird_start wny "$TMP/bird-wny.conf"
GWD=$TMP/gw-charon
GW_VICI=$GWD/charon.vici
check "the gateway's charon starts" charon_start gw "$GWD"

# ---- the gateway's FRR, tenet configured, agents ----
check "FRR starts on the gateway (zebra, bgpd, staticd, bfdd; empty configuration)" \
	frr_start gw zebra bgpd staticd bfdd
host_conf gw "frr = $FRR_PS"
host_conf gw "hostkey = $TMP/gw.hostkey"
host_conf gw "vici = $GW_VICI"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
export TENET_FRR=$FRR_PS       # tenet bgp show asks this FRR
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
	gq compartment add Contoso external ce0 address 172.16.0.2/30 &&
	gq compartment add Woodgrove rdomain Woodgrove vsid 6999 address 10.0.254.2/24 &&
	gq compartment add Woodgrove external we0 address 172.16.0.2/30 &&
	tq croute add rdomain Contoso vsid 5999 prefix 0.0.0.0/0 nexthop 10.0.254.2 &&
	tq croute add rdomain Woodgrove vsid 6999 prefix 0.0.0.0/0 nexthop 10.0.254.2 &&
	gq bgp set rdomain Contoso asn 65412 router-id 10.0.254.2 &&
	gq bgp neighbor add rdomain Contoso address 172.16.0.1 remote-as 65001 &&
	gq bgp set rdomain Woodgrove asn 65412 router-id 10.0.254.2 &&
	gq bgp neighbor add rdomain Woodgrove address 172.16.0.1 remote-as 65001
}
check "two tenants with the same addresses, the same AS and the same peer" configure
host_start_all

# ---- FRR as tenet configured it ----
blocks_ok() {
	local rc
	rc=$(vty 'show running-config') || return 1
	grep -q '^router bgp 65412 vrf tvrf1$' <<<"$rc" &&
		grep -q '^router bgp 65412 vrf tvrf2$' <<<"$rc" &&
		[ "$(grep -c '^ neighbor 172.16.0.1 remote-as 65001$' <<<"$rc")" = 2 ] &&
		[ "$(grep -c '^  network 10.0.0.0/24$' <<<"$rc")" = 2 ] &&
		[ "$(grep -c '^  network 10.0.254.0/24$' <<<"$rc")" = 2 ]
}
check "FRR holds a BGP instance per compartment VRF, the virtual subnets as networks" \
	wait_for 30 blocks_ok
state() { # VRF [PEER]: the session's state as FRR reports it
	vty "show bgp vrf $1 ipv4 unicast summary json" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"][sys.argv[1]]["state"])' \
			"${2:-172.16.0.1}" 2>/dev/null
}
established() { [ "$(state tvrf1)" = Established ] && [ "$(state tvrf2)" = Established ]; }
check "both sessions Established (BIRD 2 with Contoso, GoBGP with Woodgrove)" \
	wait_for 60 established
info "sessions: Contoso $(state tvrf1), Woodgrove $(state tvrf2)"
tables_ok() {
	local t1 t2
	t1=$(ip -n "${NS[gw]}" route show table 10001 proto bgp)
	t2=$(ip -n "${NS[gw]}" route show table 10002 proto bgp)
	grep -q '^10.1.0.0/24 .*via 172.16.0.1 dev ce0' <<<"$t1" &&
		grep -q '^10.1.0.0/24 .*via 172.16.0.1 dev we0' <<<"$t2" &&
		grep -q '^10.7.0.0/24 .*via 172.16.0.1 dev we0' <<<"$t2" &&
		[ "$(wc -l <<<"$t1")" = 1 ] && [ "$(wc -l <<<"$t2")" = "${T2_ROUTES:-2}" ]
}
check "each VRF table holds its own peer's routes only (zebra)" wait_for 30 tables_ok
info "Contoso's table: $(ip -n "${NS[gw]}" route show table 10001 proto bgp | tr '\n' ';')"
info "Woodgrove's table: $(ip -n "${NS[gw]}" route show table 10002 proto bgp | tr '\n' ';')"
check "Contoso's table has no route to Woodgrove's 10.7.0.0/24" \
	eval '! ip -n "${NS[gw]}" route show table 10001 | grep -q 10.7.0.0'
check "both tables keep their unreachable default" \
	eval 'ip -n "${NS[gw]}" route show table 10001 | grep -q "^unreachable default" &&
	      ip -n "${NS[gw]}" route show table 10002 | grep -q "^unreachable default"'
check "BIRD learned Contoso's virtual subnets from the gateway (and installed them)" \
	wait_for 20 eval 'birdx csite show route 10.0.0.0/24 protocol fabrikam | grep -q 10.0.0.0/24 &&
			  nx csite ip route show 10.0.0.0/24 | grep -q "via 172.16.0.2"'
check "GoBGP learned Woodgrove's virtual subnets from the gateway" \
	wait_for 20 eval 'gobgpx wsite neighbor 172.16.0.2 adj-in | grep -q 10.0.254.0/24'

# ---- traffic ----
echo_ok() { # VM PORT WHO
	nx "$1" python3 "$ECHO" client tcp 10.1.0.1 7000 "$2" "$1" 2>/dev/null |
		grep -q "^$3 saw 10.0.0.5:$2 said $1"
}
check "Contoso's VM reaches Contoso's site (TCP)" wait_for 20 echo_ok c1 41000 contoso-site
check "Woodgrove's VM reaches Woodgrove's site at the same address (TCP)" \
	wait_for 20 echo_ok w1 41001 woodgrove-site
# Both tenants' flows with identical tuples through their external
# interfaces must keep their ports (conntrack zones, docs/gateway.md)
check "identical flows from both tenants (same source port) reach their own sites unchanged" \
	wait_for 20 eval 'echo_ok c1 41002 contoso-site && echo_ok w1 41002 woodgrove-site'
check "Woodgrove's VM reaches 10.7.0.1 (learned from GoBGP)" wait_for 10 ping_ok w1 10.7.0.1
check "Contoso's VM does not (not in its table)" ping_fails c1 10.7.0.1

# ---- show ----
# Sent: the two virtual subnets, and (FRR's count) the prefixes learned
# from the peer, which FRR sends back to it and the peer drops (its own AS
# in the path).
show_ok() {
	local txt js
	txt=$(g bgp show) || return 1
	js=$(g -j bgp show rdomain Woodgrove) || return 1
	grep -q '^rdomain Contoso asn 65412 router-id 10.0.254.2 host gw  # vrf tvrf1$' <<<"$txt" &&
		grep -q '^  neighbor 172.16.0.1 remote-as 65001  # Established, up .*, received 1, sent 3$' <<<"$txt" &&
		grep -q '^  route 10.1.0.0/24 via 172.16.0.1 dev ce0$' <<<"$txt" &&
		python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert len(j) == 1 and j[0]["rdomain"] == "Woodgrove" and j[0]["vrf"] == "tvrf2", j
n = j[0]["neighbors"][0]
assert n["state"] == "Established" and n["prefixes_received"] == 2 and n["prefixes_sent"] == 4, n
assert sorted(r["prefix"] for r in j[0]["routes"]) == ["10.1.0.0/24", "10.7.0.0/24"], j
' "$js"
}
check "bgp show: sessions, prefixes received/sent, learned routes (text and -j)" show_ok
g bgp show | sed 's/^/# /'

# ---- a peer behind an S2S tunnel: the trigger route dials it ----
check "the gateway's agent published its public key" \
	wait_for 20 eval 'sqlite3 "$STORE" "select key from kv" | grep -q "^/tenet/v1/host/gw/pubkey/x25519$"'
printf 'woodgrove-ny-psk-0123456789\n' >"$TMP/wny.psk"
chmod 600 "$TMP/wny.psk"
check "s2s add IfWe1 (no routes of its own)" \
	gq s2s add IfWe1 rdomain Woodgrove destination 59.10.10.100 auth psk \
		secret-file "$TMP/wny.psk" dpd 2 retry 3
check "the S2S interface is there and not connected" \
	wait_for 20 eval 's2s_is IfWe1 configured || s2s_is IfWe1 connecting'
vty 'debug bgp neighbor-events' >/dev/null
ms() { date +%s%3N; }
t0=$(ms)
check "bgp neighbor add ... via s2s IfWe1" \
	gq bgp neighbor add rdomain Woodgrove address 10.2.0.1 remote-as 65413 via s2s IfWe1
check "the /32 trigger route to the peer on the tunnel's interface (staticd)" \
	wait_for 20 eval 'ip -n "${NS[gw]}" route show table 10002 10.2.0.1 | grep -q "dev ts1 proto static"'
check "the BGP session dialed the tunnel: IfWe1 connected" wait_for 60 s2s_is IfWe1 connected
info "tunnel connected $(($(ms) - t0)) ms after the neighbor was added"
check "the session over the tunnel is Established" wait_for 60 eval '[ "$(state tvrf2 10.2.0.1)" = Established ]'
info "session over the tunnel Established $(($(ms) - t0)) ms after the neighbor was added"
check "its prefix is in Woodgrove's table on the tunnel (recursive via the trigger route)" \
	wait_for 30 eval 'ip -n "${NS[gw]}" route show table 10002 proto bgp | grep -q "^10.2.0.0/24 .*via 10.2.0.1 dev ts1"'
check "Woodgrove's VM reaches the tunnel site's LAN" wait_for 20 ping_ok w1 10.2.0.1
check "Contoso's table has nothing of it" eval '! ip -n "${NS[gw]}" route show table 10001 | grep -q 10.2.0'
# One connection: the gateway alone opens sessions over tunnels (the
# trigger route needs it to); the peer's own SYNs from the tunnel are
# dropped, so the two never collide (docs/bgp.md)
check "the peer's own connections from the tunnel are kept out (nftables guard)" \
	eval 'nx gw nft list chain ip tenet_bgp c2 | grep -q "iifname \"ts1\" ip saddr 10.2.0.1 tcp dport 179 tcp flags syn / syn,ack drop"'
check "the session is the gateway's connection (BIRD accepted it)" \
	grep -q "fabrikam: Incoming connection from 10.0.254.2" "$TMP/bird-wny.log"
# The guard is read back: deleted by hand, it is written again
nx gw nft delete table ip tenet_bgp
check "the guard deleted by hand: the agent writes it again within seconds, and says so" \
	wait_for 10 eval 'nx gw nft list chain ip tenet_bgp c2 2>/dev/null |
		grep -q "iifname \"ts1\" ip saddr 10.2.0.1 tcp dport 179 tcp flags syn / syn,ack drop" &&
		host_log_has gw "nftables: the BGP guard of tvrf2 is not as tenetd wrote it: writing it again"'
check "the session over the tunnel stayed Established" eval '[ "$(state tvrf2 10.2.0.1)" = Established ]'
T2_ROUTES=3

# ---- FRR restarted: the agent puts tenet's part back ----
uptime_ms() { # VRF
	vty "show bgp vrf $1 ipv4 unicast summary json" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"]["172.16.0.1"]["connectionsEstablished"])' \
			2>/dev/null
}
frr_stop bfdd staticd bgpd zebra
check "FRR stopped: the sessions are gone" eval '[ -z "$(state tvrf1)" ]'
check "FRR started again with its own (empty) configuration" frr_start gw zebra bgpd staticd bfdd
check "the agent re-applies tenet's part (no agent restart): both Established again" \
	wait_for 60 eval 'blocks_ok && established'
check "... and the routes are back in both tables, the tunnel's too" \
	wait_for 60 eval 'tables_ok && [ "$(state tvrf2 10.2.0.1)" = Established ]'
check "the agent said it read FRR again" host_log_has gw "FRR: daemons"

# ---- agent restarted: no session flap ----
before1=$(uptime_ms tvrf1)
before2=$(uptime_ms tvrf2)
host_stop gw
host_start gw
check "the gateway's agent restarts" host_wait_ready gw 30 2
sleep 3
check "agent restarted: no session flapped (connections established unchanged)" \
	eval '[ "$(uptime_ms tvrf1)" = "$before1" ] && [ "$(uptime_ms tvrf2)" = "$before2" ] && established'

# ---- the book's failover: NY and SFO, BFD ----
# Woodgrove's NY site is the tunnel site above (IfWe1; its edge router
# speaks BGP from 10.2.1.2, AS 65413, with BFD), SFO another one (IfWe2,
# BIRD 2 at 10.3.0.1, AS 65414, BFD). Both announce the site prefix
# 10.1.0.0/24, both answer at 10.1.0.1: NY its own (AS path 65413), SFO
# the one it has from NY over the sites' own link (65414 65413). The
# compartment prefers NY (the shorter AS path). NY's Internet link dies
# silently (the ISP drops its packets; no interface goes down, no BGP
# message gets through): BFD notices, 10.1.0.0/24 moves to SFO's tunnel;
# NY returns: back to NY. Contoso is not touched.
fo_route() { # the device of Woodgrove's route to 10.1.0.0/24
	ip -n "${NS[gw]}" route show table 10002 10.1.0.0/24 | sed -n 's/.* dev \(ts[0-9]*\) .*/\1/p'
}
bfd_peers() { # "PEER/mh=STATUS ..." of Woodgrove's BFD sessions
	vty "show bfd vrf tvrf2 peers json" | python3 -c '
import json, sys
print(" ".join(sorted(p["peer"] + ("/mh" if p.get("multihop") else "") + "=" + p["status"]
                      for p in json.load(sys.stdin))))' 2>/dev/null
}
check "GoBGP's site stops announcing 10.1.0.0/24 (the two tunnel sites have it now)" \
	eval 'gobgpx wsite global rib del 10.1.0.0/24 -a ipv4 && wait_for 20 eval "[ -z \"\$(fo_route)\" ]"'
# NY's edge router, BIRD 2 with BFD, on the tunnel site's LAN (the VPN
# box forwards for it); back within seconds after a failure (BIRD's
# default error wait is 60 s)
ns_add wnyr
ip -n "${NS[wny]}" link add lanr type veth peer name eth0 netns "${NS[wnyr]}"
nx wny ip addr add 10.2.1.1/24 dev lanr
nx wny ip link set lanr up
nx wny ip route add 10.1.0.0/24 via 10.2.1.2
nx wnyr ip addr add 10.2.1.2/24 dev eth0
nx wnyr ip link set eth0 up
nx wnyr ip route add default via 10.2.1.1
nx wnyr ip link add lan1 type veth peer name lan1p
nx wnyr ip link set lan1p up
nx wnyr ip addr add 10.1.0.1/24 dev lan1
nx wnyr ip link set lan1 up
spawn nx wnyr python3 "$ECHO" server 7000 woodgrove-ny
cat >"$TMP/bird-wnyr.conf" <<CONF
log "$TMP/bird-wnyr.log" all;
debug protocols { states, events };
router id 10.2.1.2;
protocol device { }
protocol direct { ipv4; interface "lan1"; }
protocol bfd { multihop { interval 500 ms; multiplier 3; }; }
protocol bgp fabrikam {
	local 10.2.1.2 as 65413;
	neighbor 10.0.254.2 as 65412;
	multihop;
	bfd on;
	connect retry time 2;
	error wait time 1, 5;
	ipv4 { import all; export where source = RTS_DEVICE; };
}
CONF
plain_add wsfo 59.10.10.200/24 eth0 brI
nx wsfo ip route add default via 59.10.10.1
for l in lan0:10.3.0.1 lan1:10.1.0.1; do
	nx wsfo ip link add "${l%%:*}" type veth peer name "${l%%:*}p"
	nx wsfo ip link set "${l%%:*}p" up
	nx wsfo ip addr add "${l#*:}/24" dev "${l%%:*}"
	nx wsfo ip link set "${l%%:*}" up
done
nx wsfo sysctl -qw net.ipv4.ip_forward=1
spawn nx wsfo python3 "$ECHO" server 7000 woodgrove-sfo
WSFO=$TMP/wsfo
charon_conf "$WSFO"
site_updown "$WSFO" 10.0.0.0/16 ipsec0 100
nx wsfo ip link add ipsec0 type xfrm if_id 7
nx wsfo ip link set ipsec0 up
sed -e 's/59\.10\.10\.100/59.10.10.200/g' -e 's/woodgrove-ny-psk/woodgrove-sfo-psk/' \
	-e "s|$WNY/|$WSFO/|g" "$WNY/swanctl.conf" >"$WSFO/swanctl.conf"
cat >"$TMP/bird-wsfo.conf" <<CONF
log "$TMP/bird-wsfo.log" all;
debug protocols { states, events };
router id 10.3.0.1;
protocol device { }
protocol direct { ipv4; interface "lan0", "lan1"; }
protocol bfd { multihop { interval 500 ms; multiplier 3; }; }
protocol bgp fabrikam {
	local 10.3.0.1 as 65414;
	neighbor 10.0.254.2 as 65412;
	multihop;
	bfd on;
	connect retry time 2;
	error wait time 1, 5;
	ipv4 {
		import all;
		export filter {
			if net = 10.1.0.0/24 then { bgp_path.prepend(65413); accept; }
			if net = 10.3.0.0/24 then accept;
			reject;
		};
	};
}
CONF
check "SFO's tunnel site: charon waits to be dialed, BIRD 2 runs" \
	eval 'charon_start wsfo "$WSFO" && swan_load "$WSFO" && bird_start wsfo "$TMP/bird-wsfo.conf"'
check "NY's edge router (BIRD 2, BFD) runs behind the tunnel site" bird_start wnyr "$TMP/bird-wnyr.conf"
printf 'woodgrove-sfo-psk-0123456789\n' >"$TMP/wsfo.psk"
chmod 600 "$TMP/wsfo.psk"
check "s2s add IfWe2 (SFO)" \
	gq s2s add IfWe2 rdomain Woodgrove destination 59.10.10.200 auth psk \
		secret-file "$TMP/wsfo.psk" dpd 2 retry 3
t0=$(ms)
check "bgp neighbor add NY (10.2.1.2 via IfWe1) and SFO (10.3.0.1 via IfWe2), both bfd" \
	eval 'gq bgp neighbor add rdomain Woodgrove address 10.2.1.2 remote-as 65413 bfd via s2s IfWe1 &&
	      gq bgp neighbor add rdomain Woodgrove address 10.3.0.1 remote-as 65414 bfd via s2s IfWe2'
fo_up() {
	[ "$(state tvrf2 10.2.1.2)" = Established ] && [ "$(state tvrf2 10.3.0.1)" = Established ] &&
		[ "$(bfd_peers)" = "10.2.1.2/mh=up 10.3.0.1/mh=up" ]
}
check "both sessions Established, both BFD sessions up (multihop, bfdd)" wait_for 60 fo_up
info "NY and SFO up $(($(ms) - t0)) ms after the neighbors were added; BFD: $(bfd_peers)"
SFO_DEV=$(ip -n "${NS[gw]}" route show table 10002 10.3.0.1 | sed -n 's/.* dev \(ts[0-9]*\) .*/\1/p')
paths_ok() {
	vty "show bgp vrf tvrf2 ipv4 unicast 10.1.0.0/24 json" | python3 -c '
import json, sys
p = json.load(sys.stdin)["paths"]
best = [x for x in p if x.get("bestpath", {}).get("overall")]
assert sorted(x["aspath"]["string"] for x in p) == ["65413", "65414 65413"], p
assert best[0]["aspath"]["string"] == "65413", best' 2>/dev/null && [ "$(fo_route)" = ts1 ]
}
check "10.1.0.0/24 via NY on IfWe1 (AS path 65413); SFO's 65414 65413 the alternative" \
	wait_for 30 paths_ok
check "Woodgrove's VM reaches 10.1.0.1 at NY" wait_for 20 echo_ok w1 41010 woodgrove-ny
c_conn=$(uptime_ms tvrf1)
c_table=$(ip -n "${NS[gw]}" route show table 10001)
ip netns exec "${NS[w1]}" ping -D -n -i 0.1 -W 1 10.1.0.1 >"$TMP/failover.ping" 2>&1 &
ping_pid=$!
sleep 1
nx isp ip rule add from 59.10.10.100 blackhole pref 10
nx isp ip rule add to 59.10.10.100 blackhole pref 11
t0=$(ms)
check "NY's link cut: BFD takes its session down, 10.1.0.0/24 moves to SFO ($SFO_DEV)" \
	wait_for 10 eval '[ "$(fo_route)" = "$SFO_DEV" ]'
t_fail=$(($(ms) - t0))
info "route on SFO $t_fail ms after the cut (BFD: 3 x 500 ms); NY's session $(state tvrf2 10.2.1.2)"
# BFD's 1.5 s against BGP's 180 s hold time: the bound tells the two apart
# with room for a slow guest (TENET_WAIT_SCALE, docs/testing.md).
fo_limit=$((4000 * ${TENET_WAIT_SCALE:-1}))
check "... within BFD's detection time and a little (under $((fo_limit / 1000)) s, not the 180 s hold time)" \
	[ "$t_fail" -lt "$fo_limit" ]
check "the VM's traffic to 10.1.0.x flows via SFO" wait_for 10 echo_ok w1 41011 woodgrove-sfo
nx isp ip rule del pref 10
nx isp ip rule del pref 11
t0=$(ms)
back_ok() { [ "$(state tvrf2 10.2.1.2)" = Established ] && [ "$(fo_route)" = ts1 ] &&
		[ "$(bfd_peers)" = "10.2.1.2/mh=up 10.3.0.1/mh=up" ]; }
check "NY returns: its session and BFD up again, 10.1.0.0/24 via NY again" wait_for 45 back_ok
info "back on NY $(($(ms) - t0)) ms after its link returned"
check "the VM reaches 10.1.0.1 at NY again" wait_for 20 echo_ok w1 41012 woodgrove-ny
sleep 1
kill -INT "$ping_pid"
wait "$ping_pid"
outage() { # the longest gap between replies (ms), and the packets lost
	python3 -c '
import re, sys
t = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\] \d+ bytes from", open(sys.argv[1]).read(), re.M)]
s = re.search(r"(\d+) packets transmitted, (\d+) received", open(sys.argv[1]).read())
gap = max(b - a for a, b in zip(t, t[1:])) if len(t) > 1 else 0
print(int(gap * 1000), int(s.group(1)) - int(s.group(2)) if s else -1, s.group(1) if s else 0)' "$1"
}
read -r gap lost sent <<<"$(outage "$TMP/failover.ping")"
info "the VM's ping to 10.1.0.1 every 100 ms: longest gap $gap ms, $lost of $sent lost (failover and return)"
check "the outage of the VM's traffic is under $((fo_limit / 1000)) s" eval '[ "$gap" -gt 0 ] && [ "$gap" -lt "$fo_limit" ]'
check "Contoso unaffected: its session did not flap, its table is unchanged, its VM reaches its site" \
	eval '[ "$(uptime_ms tvrf1)" = "$c_conn" ] &&
	      [ "$(ip -n "${NS[gw]}" route show table 10001)" = "$c_table" ] &&
	      echo_ok c1 41013 contoso-site'
check "GoBGP's site announces 10.1.0.0/24 again" gobgpx wsite global rib add 10.1.0.0/24 -a ipv4

# ---- bad input: one-line errors, nothing stored ----
refused() { # WHAT EXPECTED CMD...
	local what=$1 want=$2 out before after
	shift 2
	before=$(sqlite3 "$STORE" "select key, value from kv where key like '%/bgp%'" | md5sum)
	out=$("$@" 2>&1) && { fail "$what: accepted"; return; }
	after=$(sqlite3 "$STORE" "select key, value from kv where key like '%/bgp%'" | md5sum)
	if [ "$(wc -l <<<"$out")" = 1 ] && grep -qF -- "$want" <<<"$out" && [ "$before" = "$after" ]; then
		ok "refused: $what"
	else
		fail "refused: $what (got: $out)"
	fi
}
refused "a bad ASN" "asn '70000000000': not an AS number" g bgp set rdomain Contoso asn 70000000000
refused "AS_TRANS" "AS_TRANS" g bgp set rdomain Contoso asn 23456
refused "a neighbor outside every compartment subnet, no via" \
	"address 192.0.2.9: outside the subnets of compartment Contoso" \
	g bgp neighbor add rdomain Contoso address 192.0.2.9 remote-as 65001
refused "a neighbor via an S2S interface that does not exist" "via s2s IfCe9: no such interface" \
	g bgp neighbor add rdomain Contoso address 10.1.0.1 remote-as 65001 via s2s IfCe9
refused "the same neighbor twice" "neighbor 172.16.0.1: already in rdomain Contoso" \
	g bgp neighbor add rdomain Contoso address 172.16.0.1 remote-as 65001

# ---- lifecycle ----
check "bgp del rdomain Contoso" gq bgp del rdomain Contoso
gone_ok() {
	local rc
	rc=$(vty 'show running-config') || return 1
	! grep -q 'router bgp .* vrf tvrf1' <<<"$rc" && grep -q '^router bgp 65412 vrf tvrf2$' <<<"$rc" &&
		[ -z "$(ip -n "${NS[gw]}" route show table 10001 proto bgp)" ]
}
check "nothing of Contoso's BGP left in FRR or its table; Woodgrove's untouched" wait_for 30 gone_ok
check "Woodgrove's session stays Established" eval '[ "$(state tvrf2)" = Established ]'
check "its neighbors went with it" eval '! sqlite3 "$STORE" "select key from kv" | grep -q "/bgpnbr/Contoso/"'
refused "a neighbor in a routing domain without BGP" "rdomain Contoso: no BGP on host gw" \
	g bgp neighbor add rdomain Contoso address 172.16.0.1 remote-as 65001
check "deleting Woodgrove's compartment takes its BGP with it" gq compartment del Woodgrove force
check "... nothing of it left in FRR" \
	wait_for 30 eval '! vty "show running-config" | grep -qE "router bgp .* vrf tvrf2|ip route 10.2.0.1/32"'
check "... nor in the store" eval '! sqlite3 "$STORE" "select key from kv" | grep -q "/bgp"'
check "... nor a BFD session (bfdd)" wait_for 20 eval '[ "$(vty "show bfd peers json" | tr -d " \n")" = "[]" ]'
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The "simple setup" of chapter 1 of the reference, in namespaces, configured
# only with `tenet`:
#
#   host1 (PA 192.168.4.11): Contoso1 10.0.1.10, Contoso2 10.0.1.11   VSID 6000
#   host2 (PA 192.168.4.22): Contoso3 10.0.1.12                       VSID 6000
#   gwhost (PA 192.168.4.33): MT-GW, a forwarding gateway VM with two NICs:
#       eth0 10.0.2.2 on the gateway subnet (VSID 6001, a tenet port),
#       eth1 10.229.200.2 on the external network (a plain bridge)
#   physical 10.229.200.10: the Contoso physical server on that network
#
# Routing domain Contoso holds both subnets; customer routes make them
# on-link and send everything else (0.0.0.0/0) to the gateway's CA. The
# book's ".1 records" are built into tenet: every host answers for every
# subnet's .1 with the distributed router MAC (the CLI refuses a record for
# a .1, see docs/store.md).
#
# Checks: every pair of the five machines pings, and every VM its .1 (the
# distributed router answers echo requests); the VMs' ARP tables hold the
# record MACs and the router MAC; while they talk, the underlay carries only
# NVGRE between PAs (plus the hosts' unicast ARP re-validating each other's
# PAs): no broadcast, no customer ARP.
. "$(dirname "$0")/lib.sh"
lib_init ss
require_root
require_build
require_cmd ethtool ping dumpcap tshark

C1_MAC=00:15:5d:00:60:10
C2_MAC=00:15:5d:00:60:11
C3_MAC=00:15:5d:00:60:12
GW_MAC=00:15:5d:00:61:02
GW_EXT_MAC=00:15:5d:00:e0:02
PHY_MAC=00:15:5d:00:e0:10
PAS="192.168.4.11 192.168.4.22 192.168.4.33"

# ---- physical: the fabric, three tenet hosts, the external network ----
fabric_add
fabric_bridge br1                       # the external (physical) network
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
host_add gwhost 192.168.4.33/24
fabric_link gwhost eth1 br1             # the gateway host's second NIC
nx gwhost ip link add ext type bridge   # its "External" virtual switch
nx gwhost ip link set eth1 master ext
nx gwhost ip link set ext up

vm_add contoso1 host1 p1 "$C1_MAC" 10.0.1.10/24
vm_add contoso2 host1 p2 "$C2_MAC" 10.0.1.11/24
vm_add contoso3 host2 p3 "$C3_MAC" 10.0.1.12/24
# MT-GW: no default route into the virtual network; routes to the tenant's
# subnets point at the gateway subnet's .1 (the distributed router).
vm_add mtgw gwhost pg "$GW_MAC" 10.0.2.2/24 none
vm_nic mtgw eth1 gwhost pe "$GW_EXT_MAC" 10.229.200.2/24
nx gwhost ip link set pe master ext
nx mtgw ip route add 10.0.1.0/24 via 10.0.2.1
nx mtgw sysctl -qw net.ipv4.ip_forward=1
plain_add physical 10.229.200.10/24 eth0 br1
nx physical ip link set eth0 address "$PHY_MAC"
nx physical ip route add 10.0.1.0/24 via 10.229.200.2
nx physical ip route add 10.0.2.0/24 via 10.229.200.2

# ---- policy, as in the book, only through tenet ----
configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 6000 rdomain Contoso prefix 10.0.1.0/24 &&
	tq vsubnet add 6001 rdomain Contoso prefix 10.0.2.0/24 &&
	tq lookup add vsid 6000 ca 10.0.1.10 mac "$C1_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6000 ca 10.0.1.11 mac "$C2_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6000 ca 10.0.1.12 mac "$C3_MAC" pa 192.168.4.22 &&
	tq lookup add vsid 6001 ca 10.0.2.2 mac "$GW_MAC" pa 192.168.4.33 &&
	tq croute add rdomain Contoso vsid 6000 prefix 10.0.1.0/24 nexthop 0.0.0.0 &&
	tq croute add rdomain Contoso vsid 6001 prefix 10.0.2.0/24 nexthop 0.0.0.0 &&
	tq croute add rdomain Contoso vsid 6001 prefix 0.0.0.0/0 nexthop 10.0.2.2 &&
	tq port set dev p1 vsid 6000 mac "$C1_MAC" host host1 &&
	tq port set dev p2 vsid 6000 mac "$C2_MAC" host host1 &&
	tq port set dev p3 vsid 6000 mac "$C3_MAC" host host2 &&
	tq port set dev pg vsid 6001 mac "$GW_MAC" host gwhost
}
check "configure the simple setup with tenet" configure
host_start_all
check "ports attached on host1" wait_for 5 host_ports_attached host1 p1 p2
check "port attached on host2" wait_for 5 host_ports_attached host2 p3
check "port attached on gwhost" wait_for 5 host_ports_attached gwhost pg

# ---- every pair of the five machines, with the fabric captured ----
# The hosts resolve each other's PAs first (that ARP is the provider
# network's own, broadcast like on any LAN), so that the capture below can
# require that no broadcast at all crosses the fabric while tenants talk.
warm_underlay() {
	local h pa
	for h in host1 host2 gwhost; do
		for pa in $PAS; do nx "$h" ping -c 1 -W 1 "$pa" >/dev/null || return 1; done
	done
}
check "underlay: every host reaches every PA" warm_underlay
check "capture on the fabric started" cap_start fabric fabric $(fabric_ports br0)
declare -A ADDR=([contoso1]=10.0.1.10 [contoso2]=10.0.1.11 [contoso3]=10.0.1.12
	[mtgw]=10.0.2.2 [physical]=10.229.200.10)
MACHINES=(contoso1 contoso2 contoso3 mtgw physical)
# The first packets of a pair may wait for the underlay's ARP: allow one
# retry before calling it a failure.
ping_pair() { ping_ok "$1" "$2" || ping_ok "$1" "$2"; }
for a in "${MACHINES[@]}"; do
	for b in "${MACHINES[@]}"; do
		[ "$a" = "$b" ] && continue
		check "ping $a -> $b (${ADDR[$b]})" ping_pair "$a" "${ADDR[$b]}"
	done
done
# The book's procedure has every VM ping its default gateway first: the
# .1 answers on every host, from the router MAC, and not over the fabric.
for v in contoso1 contoso2 contoso3 mtgw; do
	gw=${ADDR[$v]%.*}.1
	check "ping $v -> its default gateway $gw" ping_ok "$v" "$gw"
done
gw_ttl() { test "$(ping_ttl contoso3 10.0.1.1)" = 64; }
check "the .1's reply has TTL 64 (answered on contoso3's own host)" gw_ttl
check "capture on the fabric stopped" cap_stop fabric

# ---- ARP tables: the record MACs and the router MAC ----
check "contoso1: 10.0.1.11 is Contoso2's record MAC" test "$(neigh_mac contoso1 10.0.1.11)" = "$C2_MAC"
check "contoso1: 10.0.1.12 (on host2) is Contoso3's record MAC" \
	test "$(neigh_mac contoso1 10.0.1.12)" = "$C3_MAC"
check "contoso1: 10.0.1.1 is the router MAC" test "$(neigh_mac contoso1 10.0.1.1)" = "$ROUTER_MAC"
check "contoso3: 10.0.1.10 (on host1) is Contoso1's record MAC" \
	test "$(neigh_mac contoso3 10.0.1.10)" = "$C1_MAC"
check "contoso3: 10.0.1.1 is the router MAC" test "$(neigh_mac contoso3 10.0.1.1)" = "$ROUTER_MAC"
check "mtgw: 10.0.2.1 is the router MAC" test "$(neigh_mac mtgw 10.0.2.1)" = "$ROUTER_MAC"
check "physical: the gateway is MT-GW's external MAC" \
	test "$(neigh_mac physical 10.229.200.2)" = "$GW_EXT_MAC"
# Off-subnet destinations are never ARPed for by a VM: only the router is.
no_offsubnet_neigh() { ! nx contoso1 ip neigh show | grep -qE '^10\.(0\.2|229)\.'; }
check "contoso1 never resolved an off-subnet address" no_offsubnet_neigh
for v in contoso1 contoso2 contoso3 mtgw; do
	info "$v ARP table: $(nx "$v" ip neigh show dev eth0 | awk '{ printf "%s %s; ", $1, $3 }')"
done

# ---- what the underlay saw ----
# Outer fields only (-E occurrence=f; empty fields vanish in the split, so
# an ARP line reads "dst type spa tpa"): every frame must be NVGRE between
# two PAs or the hosts' own (unicast, re-validating) ARP for each other's PAs.
# The hosts' own IGMP membership reports (to 224.0.0.22, from a PA or from
# 0.0.0.0 while an underlay has no address yet) are provider-network control
# traffic of the host stacks, counted apart; a customer's frame could not
# carry those sources (ports drop multicast, and a CA is never a PA).
cap_read fabric -T fields -E occurrence=f -E separator=' ' \
	-e eth.dst -e eth.type -e ip.src -e ip.dst -e gre.proto -e gre.key \
	-e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 >"$TMP/fabric.txt"
python3 - "$TMP/fabric.txt" $PAS >"$TMP/fabric.sum" <<'EOF'
import sys
pas = set(sys.argv[2:])
nvgre = arp = igmp = other = 0
vsids = set()
for line in open(sys.argv[1]):
    f = line.split()
    if not f:
        continue
    if f[1] == "0x0806" and len(f) >= 4 and f[2] in pas and f[3] in pas:
        arp += 1
    elif (f[1] == "0x0800" and len(f) >= 6 and f[2] in pas and f[3] in pas
          and f[4] == "0x6558"):
        nvgre += 1
        vsids.add(int(f[5], 16) >> 8)
    elif (f[1] == "0x0800" and len(f) >= 4 and f[3] == "224.0.0.22"
          and (f[2] == "0.0.0.0" or f[2] in pas)):
        igmp += 1
    else:
        other += 1
        print("other:", line.strip(), file=sys.stderr)
print(nvgre, arp, igmp, other, ",".join(str(v) for v in sorted(vsids)) or "-")
EOF
read -r NVGRE UARP IGMP OTHER VSIDS <"$TMP/fabric.sum"
info "fabric: ${NVGRE:-?} NVGRE frames between PAs (VSIDs ${VSIDS:-?}), ${UARP:-?} unicast ARP between PAs, ${IGMP:-?} host IGMP reports, ${OTHER:-?} other"
check "NVGRE on the fabric" test "${NVGRE:-0}" -gt 0
check "NVGRE carries both VSIDs (6000 and 6001)" test "${VSIDS:-}" = "6000,6001"
check "nothing but NVGRE, PA ARP and host IGMP on the fabric" test "${OTHER:-1}" = 0
inner_arp=$(cap_read fabric -Y 'gre && arp' | wc -l)
check "no customer ARP on the fabric (inside NVGRE: $inner_arp)" test "$inner_arp" = 0
bcast=$(cap_read fabric -Y 'gre && eth.dst == ff:ff:ff:ff:ff:ff' | wc -l)
check "no customer broadcast inside NVGRE ($bcast)" test "$bcast" = 0
bcast=$(cap_read fabric -Y 'eth.dst == ff:ff:ff:ff:ff:ff' | wc -l)
check "no broadcast at all on the fabric, ARP included ($bcast)" test "$bcast" = 0
ca_arp=$(cap_read fabric -Y 'arp && !(arp.dst.proto_ipv4 in {192.168.4.0/24})' | wc -l)
check "no ARP for a customer address on the fabric ($ca_arp)" test "$ca_arp" = 0

finish

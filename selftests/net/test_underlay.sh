#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The underlay is not a router (issue 13 item 1): tenetd leaves IPv4
# forwarding as the operator set it and sends NVGRE by its next-hop table
# (tenet_nexthop), which it keeps from the kernel's routes and neighbours.
#
#   host1 (192.168.4.11): Contoso .5 (c5, VSID 5001)
#   host2 (192.168.4.22): Contoso .7 (c7); also 10.99.0.1 on lo
#   r1    (192.168.4.1):  a router on the segment (forwarding on)
#   attacker (192.168.4.66)
#
# (a) forwarding on host1's and host2's underlay stays 0 with tenetd up;
# (b) a frame sent to host1's MAC but addressed to host2's PA, or to a
#     network host1 has a route to, is not forwarded by host1 (and is,
#     once forwarding is turned on by hand: the check can see it);
# (c) c5 and c7 ping each other across the hosts;
# (d) while c5 pings c7: host1's route to host2's PA moves behind r1 (the
#     entry follows, the frames cross r1), r1 changes its MAC (gratuitous
#     ARP; the entry follows), and the route goes back; no step stops the
#     traffic for more than a moment. A pair without an entry is sent by
#     the kernel (bpf_redirect_neigh) and counted in tenet_nhstats.
. "$(dirname "$0")/lib.sh"
lib_init ul
require_root
require_build
require_cmd ping bpftool

C5=00:15:5d:c0:00:05 C7=00:15:5d:c0:00:07

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
plain_add r1 192.168.4.1/24 ul0
plain_add attacker 192.168.4.66/24
# The control below turns forwarding on, and host1 would then tell the
# attacker to go direct (an ICMP redirect): not taken, so each check
# sees host1's own decision.
nx attacker sysctl -qw net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.eth0.accept_redirects=0
vm_add c5 host1 pc5 $C5 10.0.0.5/24
vm_add c7 host2 pc7 $C7 10.0.0.7/24
nx r1 sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv4.conf.ul0.forwarding=1 \
	net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.ul0.send_redirects=0
nx host2 ip addr add 10.99.0.1/32 dev lo
# The operator's forwarding setting: off (a namespace's default).
for h in host1 host2; do
	nx $h sysctl -qw net.ipv4.conf.all.forwarding=0 net.ipv4.conf.ul0.forwarding=0
done

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $C5 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $C7 pa 192.168.4.22 &&
	tq port set dev pc5 vsid 5001 mac $C5 host host1 &&
	tq port set dev pc7 vsid 5001 mac $C7 host host2
}
check "configure Contoso on two hosts" configure
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 pc5
check "port attached on host2" wait_for 5 host_ports_attached host2 pc7

fwd() { nx "$1" cat /proc/sys/net/ipv4/conf/ul0/forwarding; }
# (a)
check "host1 underlay forwarding still 0" test "$(fwd host1)" = 0
check "host2 underlay forwarding still 0" test "$(fwd host2)" = 0
check "tenetd did not turn on forwarding anywhere" \
	test "$(nx host1 cat /proc/sys/net/ipv4/conf/all/forwarding)" = 0

# (c)
check "c5 -> c7 across hosts" wait_for 10 ping_ok c5 10.0.0.7
check "c7 -> c5 across hosts" ping_ok c7 10.0.0.5

# The next-hop table as the datapath reads it.
NHMAP=$(host_bpffs host1)/tenet/host1/v$(sed -n 's/#define TENET_LAYOUT_VERSION //p' \
	headers/tenet/limits.h)/tenet_nexthop
# nh_dmac HOST-PA: the destination MAC of host1's entry toward HOST-PA.
nh_dmac() {
	local key
	key=$(printf '%02x ' 192 168 4 11 ${1//./ })
	bpftool -j map lookup pinned "$NHMAP" key hex $key 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["value"]
print(":".join(x[2:] for x in v[12:18]))' 2>/dev/null
}
nh_is() { [ "$(nh_dmac "$1")" = "$2" ]; }
# nh_mtu_is HOST-PA MTU: host1's entry toward HOST-PA carries that MTU
# (the device's, so encap can skip bpf_check_mtu for frames that fit).
nh_mtu_is() {
	local key
	key=$(printf '%02x ' 192 168 4 11 ${1//./ })
	[ "$(bpftool -j map lookup pinned "$NHMAP" key hex $key 2>/dev/null | python3 -c '
import json, sys
v = json.load(sys.stdin)["value"]
print(int(v[19], 16) << 8 | int(v[18], 16))' 2>/dev/null)" = "$2" ]
}
# nhc_dmac HOST-PA: the same from the pair's slot of tenet_nhcache, the
# copy encap reads first; empty unless the slot is valid and the pair's.
NHCACHE=${NHMAP%/*}/tenet_nhcache
# nhc_slot HOST-PA: the slot of (host1's PA, HOST-PA) as bpftool key
# bytes: tenet_nh_slot() of headers/tenet/maps.h, on the addresses as
# stored (network order, read as a little-endian word on this host).
nhc_slot() {
	python3 -c '
import sys
src, dst = bytes([192, 168, 4, 11]), bytes(int(x) for x in sys.argv[1].split("."))
h = (int.from_bytes(dst, "little") * 0x9e3779b1 & 0xffffffff) ^ int.from_bytes(src, "little")
h ^= h >> 15
print(" ".join("%02x" % b for b in (h & 16383).to_bytes(4, "little")))' "$1"
}
nhc_dmac() {
	bpftool -j map lookup pinned "$NHCACHE" key hex $(nhc_slot "$1") 2>/dev/null |
		python3 -c '
import json, sys
v = bytes(int(x, 16) for x in json.load(sys.stdin)["value"])
# valid 1, the pair (host1 -> the PA) as the key: its destination MAC.
if v[0:4] == (1).to_bytes(4, "little") and v[4:12] == bytes([192, 168, 4, 11] + [int(x) for x in sys.argv[1].split(".")]):
	print(":".join("%02x" % b for b in v[24:30]))' "$1" 2>/dev/null
}
nhc_is() { [ "$(nhc_dmac "$1")" = "$2" ]; }
# nh_misses: NVGRE host1 sent without an entry (tenet stats nexthop).
nh_misses() {
	"$TENET" --store "$STORE" --pin-root "$(host_bpffs host1)/tenet" stats nexthop host host1 |
		awk '$1 == "misses" { print $3 }'
}
forwarded() { nx "$1" awk '/^Ip:/ { n++ } /^Ip:/ && n == 2 { print $7 }' /proc/net/snmp; }
UL2_MAC=$(nx host2 cat /sys/class/net/ul0/address)
R1_MAC=$(nx r1 cat /sys/class/net/ul0/address)
UL1_MAC=$(nx host1 cat /sys/class/net/ul0/address)
check "host1's entry toward host2: host2's MAC" wait_for 5 nh_is 192.168.4.22 "$UL2_MAC"
check "and its tenet_nhcache slot" wait_for 5 nhc_is 192.168.4.22 "$UL2_MAC"

# (b) The attacker takes host1 for its router: to host2's PA, and to a
# network host1 can reach (10.99.0.0/24 via host2).
nx host1 ip route add 10.99.0.0/24 via 192.168.4.22
nx attacker ip neigh replace 192.168.4.22 lladdr "$UL1_MAC" dev eth0 nud permanent
nx attacker ip route add 10.99.0.0/24 via 192.168.4.11
fwd2_before=$(forwarded host1)
check_not "to host1's MAC, for host2's PA: not forwarded" \
	nx attacker ping -c 3 -i 0.2 -W 1 192.168.4.22
check_not "to host1's MAC, for a network behind it: not forwarded" \
	nx attacker ping -c 3 -i 0.2 -W 1 10.99.0.1
check "host1 forwarded nothing" test "$(forwarded host1)" = "$fwd2_before"
# The control: forwarding turned on by hand, both get through host1.
nx host1 sysctl -qw net.ipv4.conf.ul0.forwarding=1 net.ipv4.conf.all.forwarding=1
check "control: with forwarding on, host1 forwards to host2's PA" \
	nx attacker ping -c 3 -i 0.2 -W 1 192.168.4.22
check "control: and to the network behind it" nx attacker ping -c 3 -i 0.2 -W 1 10.99.0.1
nx host1 sysctl -qw net.ipv4.conf.ul0.forwarding=0 net.ipv4.conf.all.forwarding=0
check_not "forwarding off again: not forwarded" nx attacker ping -c 2 -i 0.2 -W 1 10.99.0.1

# (d) Traffic flows throughout; each step must not stop it for long.
nx c5 ping -i 0.1 -W 1 10.0.0.7 >"$TMP/ping.log" 2>&1 &
LIB_BG+=($!)
replies() { grep -c 'bytes from' "$TMP/ping.log"; }
# flowing: a reply arrived within the last second.
flowing() { local n; n=$(replies); sleep 1; [ "$(replies)" -gt "$n" ]; }
check "background ping flowing" wait_for 5 flowing

r1_before=$(forwarded r1)
nx host1 ip route add 192.168.4.22/32 via 192.168.4.1 dev ul0
check "route moved behind r1: the entry follows (r1's MAC)" \
	wait_for 10 nh_is 192.168.4.22 "$R1_MAC"
check "and its tenet_nhcache slot" wait_for 5 nhc_is 192.168.4.22 "$R1_MAC"
check "traffic flows via r1" wait_for 5 flowing
check "r1 forwards the NVGRE" test "$(forwarded r1)" -gt "$r1_before"

# r1 changes its MAC and says so (gratuitous ARP): the entry follows.
R1_NEW=02:00:00:00:04:99
nx r1 sysctl -qw net.ipv4.conf.ul0.arp_notify=1
nx r1 ip link set ul0 address $R1_NEW
check "r1's new MAC: the entry follows" wait_for 10 nh_is 192.168.4.22 $R1_NEW
check "and its tenet_nhcache slot" wait_for 5 nhc_is 192.168.4.22 $R1_NEW
r1_before=$(forwarded r1)
check "traffic flows via r1's new MAC" wait_for 5 flowing
check "r1 still forwards it" test "$(forwarded r1)" -gt "$r1_before"

# The route goes back: direct to host2 again.
nx host1 ip route del 192.168.4.22/32 via 192.168.4.1 dev ul0
check "route back on the segment: the entry follows" \
	wait_for 10 nh_is 192.168.4.22 "$UL2_MAC"
check "and its tenet_nhcache slot" wait_for 5 nhc_is 192.168.4.22 "$UL2_MAC"
r1_before=$(forwarded r1)
check "traffic flows direct" wait_for 5 flowing
sleep 1
check "r1 no longer in the path" test "$(forwarded r1)" = "$r1_before"

# The entry carries its device's MTU and follows a change of it.
check "the entry carries ul0's MTU (1500)" wait_for 5 nh_mtu_is 192.168.4.22 1500
nx host1 ip link set ul0 mtu 1400
check "ul0's MTU lowered to 1400: the entry follows" wait_for 10 nh_mtu_is 192.168.4.22 1400
check "traffic flows at MTU 1400" wait_for 5 flowing
nx host1 ip link set ul0 mtu 1500
check "ul0's MTU back to 1500: the entry follows" wait_for 10 nh_mtu_is 192.168.4.22 1500
check "traffic flows at MTU 1500" wait_for 5 flowing

# No entry (the table and its copy emptied behind the agent's back): the
# kernel routes the frames and the misses are counted, until the agent's
# next refresh.
miss_before=$(nh_misses)
bpftool map delete pinned "$NHMAP" key hex $(printf '%02x ' 192 168 4 11 192 168 4 22)
bpftool map update pinned "$NHCACHE" key hex $(nhc_slot 192.168.4.22) \
	value hex $(printf '00 %.0s' {1..32})
check "no entry: ping still answered (the kernel routes it)" ping_ok c5 10.0.0.7
check "misses counted (tenet stats nexthop)" test "$(nh_misses)" -gt "$miss_before"

check "host1 underlay forwarding still 0 at the end" test "$(fwd host1)" = 0
check "tenetd still running on host1" kill -0 "${AGENT_PID[host1]}"
finish

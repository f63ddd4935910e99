#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tenant isolation. Contoso (VSID 5001) and Woodgrove (VSID 7001) share two
# hosts and use the same subnet, 10.0.0.0/24, and the same CAs:
#
#   host1 (192.168.4.11): Contoso .5 .6   Woodgrove .5 .6
#   host2 (192.168.4.22): Contoso .7      Woodgrove .7
#
# Each tenant reaches its own VMs, on the same host and across hosts.
# Nothing crosses between tenants: not by IP (the same addresses lead to
# the tenant's own VMs), not by MAC (a VM that addresses the other tenant's
# MAC directly), and not from the fabric: NVGRE frames crafted with scapy
# that carry one tenant's VSID and the other tenant's victim MAC are
# dropped by the receiving host, which a capture inside the victim VM and
# `tenet stats` both show. The same frame with the victim's own VSID is
# delivered, which proves the injection itself works.
. "$(dirname "$0")/lib.sh"
lib_init iso
require_root
require_build
require_cmd ethtool ping dumpcap tshark
require_scapy

C5=00:15:5d:c0:00:05 C6=00:15:5d:c0:00:06 C7=00:15:5d:c0:00:07
W5=00:15:5d:d0:00:05 W6=00:15:5d:d0:00:06 W7=00:15:5d:d0:00:07

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
plain_add attacker 192.168.4.66/24
vm_add c5 host1 pc5 $C5 10.0.0.5/24
vm_add c6 host1 pc6 $C6 10.0.0.6/24
vm_add c7 host2 pc7 $C7 10.0.0.7/24
vm_add w5 host1 pw5 $W5 10.0.0.5/24
vm_add w6 host1 pw6 $W6 10.0.0.6/24
vm_add w7 host2 pw7 $W7 10.0.0.7/24

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq rdomain add Woodgrove &&
	tq vsubnet add 7001 rdomain Woodgrove prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $C5 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.6 mac $C6 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $C7 pa 192.168.4.22 &&
	tq lookup add vsid 7001 ca 10.0.0.5 mac $W5 pa 192.168.4.11 &&
	tq lookup add vsid 7001 ca 10.0.0.6 mac $W6 pa 192.168.4.11 &&
	tq lookup add vsid 7001 ca 10.0.0.7 mac $W7 pa 192.168.4.22 &&
	tq port set dev pc5 vsid 5001 mac $C5 host host1 &&
	tq port set dev pc6 vsid 5001 mac $C6 host host1 &&
	tq port set dev pc7 vsid 5001 mac $C7 host host2 &&
	tq port set dev pw5 vsid 7001 mac $W5 host host1 &&
	tq port set dev pw6 vsid 7001 mac $W6 host host1 &&
	tq port set dev pw7 vsid 7001 mac $W7 host host2
}
check "configure two tenants with the same addresses" configure
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 pc5 pc6 pw5 pw6
check "ports attached on host2" wait_for 5 host_ports_attached host2 pc7 pw7

# ---- each tenant reaches its own VMs ----
check "Contoso .5 -> .6, same host" ping_ok c5 10.0.0.6
check "Contoso .5 -> .7, across hosts" wait_for 3 ping_ok c5 10.0.0.7
check "Contoso .7 -> .6, across hosts" ping_ok c7 10.0.0.6
check "Woodgrove .5 -> .6, same host" ping_ok w5 10.0.0.6
check "Woodgrove .5 -> .7, across hosts" wait_for 3 ping_ok w5 10.0.0.7
check "Woodgrove .7 -> .6, across hosts" ping_ok w7 10.0.0.6
check "Contoso .5 resolves .7 to Contoso's MAC" test "$(neigh_mac c5 10.0.0.7)" = $C7
check "Woodgrove .5 resolves .7 to Woodgrove's MAC" test "$(neigh_mac w5 10.0.0.7)" = $W7

# ---- the same addresses lead each tenant only to its own VMs ----
# rx_quiet VMS... -- CMD: CMD succeeds and none of VMS receives a frame.
rx_quiet() {
	local vms=() before=() i=0 v
	while [ "$1" != -- ]; do vms+=("$1"); shift; done; shift
	for v in "${vms[@]}"; do before+=("$(rx_packets "$v")"); done
	"$@" || return 1
	sleep 0.2
	for v in "${vms[@]}"; do
		[ "$(rx_packets "$v")" = "${before[$i]}" ] || { info "$v received"; return 1; }
		i=$((i + 1))
	done
}
check "Woodgrove traffic to .6 and .7: no Contoso VM receives a frame" \
	rx_quiet c5 c6 c7 -- bash -c "ip netns exec ${NS[w5]} ping -c 3 -i 0.1 -W 1 -q 10.0.0.7 >/dev/null &&
				      ip netns exec ${NS[w7]} ping -c 3 -i 0.1 -W 1 -q 10.0.0.6 >/dev/null"
check "Contoso traffic to .6 and .7: no Woodgrove VM receives a frame" \
	rx_quiet w5 w6 w7 -- bash -c "ip netns exec ${NS[c5]} ping -c 3 -i 0.1 -W 1 -q 10.0.0.7 >/dev/null &&
				      ip netns exec ${NS[c7]} ping -c 3 -i 0.1 -W 1 -q 10.0.0.6 >/dev/null"

# ---- addressing the other tenant's MAC directly ----
# Woodgrove .5 pins a neighbour entry to Contoso .7's MAC (local host and
# remote host): the port only switches within its VSID.
nx w5 ip neigh add 10.0.0.99 lladdr $C7 dev eth0 nud permanent
nx w5 ip neigh add 10.0.0.98 lladdr $C6 dev eth0 nud permanent
l2miss0=$(stats_count host1 l2-unknown-mac)
check "Woodgrove -> Contoso's MAC on another host: not delivered" \
	rx_quiet c7 -- ping_fails w5 10.0.0.99
check "Woodgrove -> Contoso's MAC on the same host: not delivered" \
	rx_quiet c6 -- ping_fails w5 10.0.0.98
l2miss1=$(stats_count host1 l2-unknown-mac)
check "host1 counted the drops as l2-unknown-mac ($l2miss0 -> $l2miss1)" \
	test "$l2miss1" -ge $((l2miss0 + 4))

# ---- NVGRE injected from the fabric ----
UL2_MAC=$(nx host2 cat /sys/class/net/ul0/address)
UL1_MAC=$(nx host1 cat /sys/class/net/ul0/address)
# inject OUTER-DST-MAC PA VSID INNER-DST-MAC INNER-DST-IP MARKER COUNT
inject() {
	nx attacker "$SCAPY_PY" - "$@" <<'EOF'
import sys
from scapy.all import Ether, IP, GRE, ICMP, Raw, sendp, conf
conf.verb = 0
omac, pa, vsid, imac, ip, marker, count = sys.argv[1:]
frame = (Ether(dst=omac) / IP(src="192.168.4.66", dst=pa, flags="DF") /
         GRE(key_present=1, key=int(vsid) << 8, proto=0x6558) /
         Ether(src="00:15:5d:66:66:66", dst=imac) /
         IP(src="10.0.0.66", dst=ip) / ICMP(type=8, id=0x6666) / Raw(marker.encode() * 4))
sendp(frame, iface="eth0", count=int(count), inter=0.01)
EOF
}
# marker_count CAPTURE MARKER: frames in a capture that carry MARKER.
marker_count() { cap_read "$1" -Y "frame contains \"$2\"" | wc -l; }

mm0=$(stats_count host2 rdomain-mismatch)
check "capture in the Contoso victim (.7, host2) started" cap_start victim_c7 c7 eth0
check "capture in the Woodgrove victim (.7, host2) started" cap_start victim_w7 w7 eth0
check "scapy: 20 frames, Woodgrove's VSID 7001, Contoso .7's MAC" \
	inject "$UL2_MAC" 192.168.4.22 7001 $C7 10.0.0.7 tenet-attack-w2c 20
check "scapy: 20 frames, Contoso's VSID 5001, Woodgrove .7's MAC" \
	inject "$UL2_MAC" 192.168.4.22 5001 $W7 10.0.0.7 tenet-attack-c2w 20
check "scapy: control, 5 frames, Contoso's VSID 5001, Contoso .7's MAC" \
	inject "$UL2_MAC" 192.168.4.22 5001 $C7 10.0.0.7 tenet-control-c 5
check "scapy: control, 5 frames, Woodgrove's VSID 7001, Woodgrove .7's MAC" \
	inject "$UL2_MAC" 192.168.4.22 7001 $W7 10.0.0.7 tenet-control-w 5
check "capture in the Contoso victim stopped" cap_stop victim_c7
check "capture in the Woodgrove victim stopped" cap_stop victim_w7
n=$(marker_count victim_c7 tenet-attack-w2c)
check "Contoso victim received none of the Woodgrove-VSID frames ($n)" test "$n" = 0
n=$(marker_count victim_w7 tenet-attack-c2w)
check "Woodgrove victim received none of the Contoso-VSID frames ($n)" test "$n" = 0
n=$(( $(marker_count victim_c7 tenet-attack) + $(marker_count victim_w7 tenet-attack) ))
check "no injected frame reached either tenant ($n)" test "$n" = 0
n=$(marker_count victim_c7 tenet-control-c)
check "control: Contoso victim received its own VSID's frames ($n of 5)" test "$n" -ge 5
n=$(marker_count victim_w7 tenet-control-w)
check "control: Woodgrove victim received its own VSID's frames ($n of 5)" test "$n" -ge 5
mm1=$(stats_count host2 rdomain-mismatch)
check "tenet stats on host2 counts the 40 drops as rdomain-mismatch ($mm0 -> $mm1)" \
	test "$mm1" -ge $((mm0 + 40))
info "tenet stats host host2 (non-zero):"
t --pin-root "$(host_bpffs host2)/tenet" stats host host2 | awk '$3 != 0 { print "#   " $0 }'

# A frame for host1 with a VSID no one uses, and one with the other
# tenant's VSID whose inner destination is broadcast: neither arrives.
vu0=$(stats_count host1 vsid-unknown)
check "capture in Contoso .5 (host1) started" cap_start victim_c5 c5 eth0
check "scapy: 10 frames with an unknown VSID to Contoso .5's MAC" \
	inject "$UL1_MAC" 192.168.4.11 9999 $C5 10.0.0.5 tenet-attack-unknown 10
check "scapy: 10 frames, Woodgrove's VSID, broadcast inner destination" \
	inject "$UL1_MAC" 192.168.4.11 7001 ff:ff:ff:ff:ff:ff 10.0.0.5 tenet-attack-bcast 10
check "capture in Contoso .5 stopped" cap_stop victim_c5
n=$(marker_count victim_c5 tenet-attack)
check "Contoso .5 received none of them ($n)" test "$n" = 0
vu1=$(stats_count host1 vsid-unknown)
check "host1 counted the unknown VSID ($vu0 -> $vu1)" test "$vu1" -ge $((vu0 + 10))

# Tenant traffic still flows after all that.
check "Contoso .5 -> .7 still works" ping_ok c5 10.0.0.7
check "Woodgrove .5 -> .7 still works" ping_ok w5 10.0.0.7

finish

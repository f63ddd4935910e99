#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Provider addresses on a VLAN of the underlay (`tenet pa add ... vlan N`).
#
#   host1: ul0 192.168.4.11, PA 192.168.100.11 on VLAN 100 -> VM a 10.0.0.5
#   host2: ul0 192.168.4.22, PA 192.168.100.22 on VLAN 100 -> VM b 10.0.0.7
#
# Each agent makes ul0.100 (marked as tenet's with an alias) and puts the
# PA on it; the VMs' records name the VLAN PAs, so their traffic crosses
# the fabric as 802.1Q-tagged NVGRE, which the capture shows. When the PA
# goes, tenet's VLAN device goes with it; a VLAN device the operator made
# and put a PA on stays when the PA goes. The development kernel has no
# 802.1Q: the test re-runs itself in the stock-kernel guest there.
. "$(dirname "$0")/lib.sh"
require_kernel vlan "$@"
lib_init vl
require_root
require_build
require_cmd ethtool ping dumpcap tshark

MA=00:15:5d:00:50:05 MB=00:15:5d:00:50:07

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
vm_add a host1 pa $MA 10.0.0.5/24
vm_add b host2 pb $MB 10.0.0.7/24

configure() {
	tq pa add 192.168.100.11/24 dev ul0 vlan 100 host host1 &&
	tq pa add 192.168.100.22/24 dev ul0 vlan 100 host host2 &&
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $MA pa 192.168.100.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $MB pa 192.168.100.22 &&
	tq port set dev pa vsid 5001 mac $MA host host1 &&
	tq port set dev pb vsid 5001 mac $MB host host2
}
check "configure PAs on VLAN 100" configure
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 pa
check "ports attached on host2" wait_for 5 host_ports_attached host2 pb

link_alias() { nx "$1" cat "/sys/class/net/$2/ifalias" 2>/dev/null; }
has_addr() { nx "$1" ip -4 addr show dev "$2" 2>/dev/null | grep -q "inet $3"; }
no_addr() { ! has_addr "$@"; }
has_link() { nx "$1" ip link show "$2" >/dev/null 2>&1; }
no_link() { ! has_link "$@"; }

for h in host1 host2; do
	pa=192.168.100.$([ $h = host1 ] && echo 11 || echo 22)
	check "$h: tenetd made ul0.100 with PA $pa" wait_for 5 has_addr $h ul0.100 $pa/24
	check "$h: ul0.100 is marked as tenet's" test "$(link_alias $h ul0.100)" = "tenet: pa vlan"
	check "$h: creation logged" host_log_has $h "created VLAN device ul0.100 (VLAN 100 on ul0)"
done

# ---- traffic over the VLAN PAs ----
check "warm-up across hosts" wait_for 5 ping_ok a 10.0.0.7
check "capture on the fabric" cap_start vlan fabric $(fabric_ports br0)
check "a -> b over the VLAN PAs" ping_ok a 10.0.0.7
check "b -> a over the VLAN PAs" ping_ok b 10.0.0.5
cap_stop vlan
tagged=$(cap_read vlan -Y "vlan.id == 100 && gre.key && ip.dst == 192.168.100.22" | wc -l)
untagged=$(cap_read vlan -Y "gre && !vlan" | wc -l)
info "fabric: $tagged NVGRE frames to 192.168.100.22 tagged VLAN 100, $untagged untagged GRE"
check "NVGRE to the VLAN PA crosses the fabric tagged 100" test "$tagged" -ge 2
check "no NVGRE crosses the fabric untagged" test "$untagged" -eq 0

# ---- the VLAN device goes with its PA; the operator's stays ----
nx host2 ip link add link ul0 name ul0.200 type vlan id 200
check "PA on the operator's ul0.200 added" tq pa add 192.168.200.22/24 dev ul0 vlan 200 host host2
check "the PA lands on ul0.200" wait_for 5 has_addr host2 ul0.200 192.168.200.22/24
check "ul0.200 keeps no tenet mark" test "$(link_alias host2 ul0.200)" = ""
check "host1's VLAN PA deleted" tq pa del 192.168.100.11 host host1
check "host1: tenet's ul0.100 removed with its PA" wait_for 5 no_link host1 ul0.100
check "host1: removal logged" host_log_has host1 "removed VLAN device ul0.100"
check "host1: the untagged PA is untouched" has_addr host1 ul0 192.168.4.11/24
check "host2's PA on ul0.200 deleted" tq pa del 192.168.200.22 host host2
check "host2: the PA leaves ul0.200" wait_for 5 no_addr host2 ul0.200 192.168.200.22/24
check "host2: the operator's ul0.200 stays" has_link host2 ul0.200
check "host2: tenet's ul0.100 stays while its PA exists" has_addr host2 ul0.100 192.168.100.22/24

finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: the "simple setup" of the HNV reference in network namespaces
# on this machine, plus a second tenant with the same addresses, configured
# only with `tenet` on the embedded store. Prints every command as it runs
# it, shows the policy and the counters, pings, summarizes, and removes
# everything again. Needs root, a build (`make`) and the test tools
# (`make deps`); `make demo` does all three.
#
#   scripts/demo.sh            run the demo (cleans up a previous run first)
#   scripts/demo.sh --clean    remove whatever a previous run left behind
#   KEEP=1 scripts/demo.sh     leave the topology running at the end
#   STORE=etcd scripts/demo.sh the store on a 3-member etcd cluster (Debian's
#                              etcd-server), each member in a namespace
#                              (`make demo STORE=etcd`)
#
# Everything it creates is named tenet-demo-* (namespaces) or lives under
# /tmp/tenet-demo (store, logs, bpffs mounts).
DEMO_DIR=/tmp/tenet-demo

demo_clean() {
	local ns p m found=0
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^tenet-demo-/ { print $1 }'); do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
		found=1
	done
	[ "$found" = 1 ] && sleep 0.5
	for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^tenet-demo-/ { print $1 }'); do
		ip netns del "$ns" && echo "removed namespace $ns"
	done
	for m in $(awk -v d="$DEMO_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts); do
		umount "$m" && echo "unmounted $m"
	done
	rm -rf "$DEMO_DIR"
}

if [ "${1:-}" = --clean ]; then
	[ "$(id -u)" -eq 0 ] || { echo "demo: needs root" >&2; exit 1; }
	demo_clean
	exit 0
fi

DEMO_STORE=${STORE:-sqlite}
case $DEMO_STORE in
sqlite | etcd) ;;
*) echo "demo: STORE=$DEMO_STORE: use sqlite (default) or etcd" >&2; exit 2 ;;
esac
. "$(dirname "$0")/../selftests/net/lib.sh"
require_root
require_build
require_cmd ethtool ping
demo_clean >/dev/null
lib_init demo fixed
LIB_VERBOSE=1
[ "${KEEP:-0}" = 1 ] && trap - EXIT

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
note() { echo "   $*"; }
run() { echo "  \$ $*"; "$@"; }

cat <<'EOF'
tenet demo: the "Hyper-V Network Virtualization: simple setup" of the
reference, in network namespaces on this machine.

  fabric    one bridge: the physical network the hosts' provider addresses
            (PAs) live on; tenant traffic crosses it only as NVGRE
  host1     PA 192.168.4.11  Contoso1 10.0.1.10, Contoso2 10.0.1.11,
                             Woodgrove1 10.0.1.10 (same address, other tenant)
  host2     PA 192.168.4.22  Contoso3 10.0.1.12, Woodgrove2 10.0.1.11
  gwhost    PA 192.168.4.33  MT-GW: a forwarding gateway VM, one NIC in the
                             gateway subnet 10.0.2.0/24, one on the external
                             network 10.229.200.0/24
  physical  10.229.200.10    Contoso's physical server behind MT-GW

Each host runs its own tenetd; all of them watch one store.
EOF
if [ "$DEMO_STORE" = etcd ]; then
	echo "The store: a 3-member etcd cluster, each member in a namespace of its own"
	echo "on a control network beside the fabric; tenet and every tenetd use it."
else
	echo "The store: one SQLite file."
fi

C1=00:15:5d:00:60:10 C2=00:15:5d:00:60:11 C3=00:15:5d:00:60:12
GW=00:15:5d:00:61:02 GWX=00:15:5d:00:e0:02
W1=00:15:5d:00:70:10 W2=00:15:5d:00:70:11

say "1. The physical side: fabric, three hosts, the external network"
fabric_add
fabric_bridge br1
if [ "$DEMO_STORE" = etcd ]; then
	etcd_up 3
	note "etcd: members m1..m3 at $ETCD_NET.1-3, leader m$(etcd_leader); store $STORE"
	note "(the CLI runs in namespace ${NS[ops]} on the control network)"
fi
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
host_add gwhost 192.168.4.33/24
fabric_link gwhost eth1 br1
nx gwhost ip link add ext type bridge
nx gwhost ip link set eth1 master ext
nx gwhost ip link set ext up
note "namespaces: $(printf '%s ' "${LIB_NS[@]}")"
note "(the store was made first with 'tenet --store $STORE store init': no other"
note " command, and no tenetd, creates one; host_add wrote each host's PA with"
note " 'tenet pa add ... host NAME')"

say "2. The VMs: a namespace each, its NIC a veth whose host end is a tenet port"
vm_add contoso1 host1 p1 $C1 10.0.1.10/24
vm_add contoso2 host1 p2 $C2 10.0.1.11/24
vm_add contoso3 host2 p3 $C3 10.0.1.12/24
vm_add woodgrove1 host1 w1 $W1 10.0.1.10/24
vm_add woodgrove2 host2 w2 $W2 10.0.1.11/24
vm_add mtgw gwhost pg $GW 10.0.2.2/24 none
vm_nic mtgw eth1 gwhost pe $GWX 10.229.200.2/24
nx gwhost ip link set pe master ext
nx mtgw ip route add 10.0.1.0/24 via 10.0.2.1
nx mtgw sysctl -qw net.ipv4.ip_forward=1
plain_add physical 10.229.200.10/24 eth0 br1
nx physical ip route add 10.0.1.0/24 via 10.229.200.2
nx physical ip route add 10.0.2.0/24 via 10.229.200.2
note "VMs default-route via their subnet's .1, which every host answers for"

say "3. Contoso's policy, as in the book"
t rdomain add Contoso
t vsubnet add 6000 rdomain Contoso prefix 10.0.1.0/24
t vsubnet add 6001 rdomain Contoso prefix 10.0.2.0/24
t lookup add vsid 6000 ca 10.0.1.10 mac $C1 pa 192.168.4.11
t lookup add vsid 6000 ca 10.0.1.11 mac $C2 pa 192.168.4.11
t lookup add vsid 6000 ca 10.0.1.12 mac $C3 pa 192.168.4.22
t lookup add vsid 6001 ca 10.0.2.2 mac $GW pa 192.168.4.33
t croute add rdomain Contoso vsid 6000 prefix 10.0.1.0/24 nexthop 0.0.0.0
t croute add rdomain Contoso vsid 6001 prefix 10.0.2.0/24 nexthop 0.0.0.0
t croute add rdomain Contoso vsid 6001 prefix 0.0.0.0/0 nexthop 10.0.2.2
t port set dev p1 vsid 6000 mac $C1 host host1
t port set dev p2 vsid 6000 mac $C2 host host1
t port set dev p3 vsid 6000 mac $C3 host host2
t port set dev pg vsid 6001 mac $GW host gwhost

say "4. Woodgrove: a second tenant reusing Contoso's addresses"
t rdomain add Woodgrove
t vsubnet add 7000 rdomain Woodgrove prefix 10.0.1.0/24
t lookup add vsid 7000 ca 10.0.1.10 mac $W1 pa 192.168.4.11
t lookup add vsid 7000 ca 10.0.1.11 mac $W2 pa 192.168.4.22
t port set dev w1 vsid 7000 mac $W1 host host1
t port set dev w2 vsid 7000 mac $W2 host host2

say "5. Start one tenetd per host"
for h in host1 host2 gwhost; do
	echo "  \$ ip netns exec ${NS[$h]} $TENETD --config $TMP/$h.conf &"
	host_start "$h"
done
for h in host1 host2 gwhost; do
	host_wait_ready "$h" || fail_all "tenetd on $h did not get ready (log: $TMP/$h.log)"
	note "$h: $(grep -m1 'ready: host' "$TMP/$h.log" | sed 's/^tenetd: //')"
done
wait_for 10 host_ports_attached host1 p1 p2 w1 && wait_for 10 host_ports_attached host2 p3 w2 &&
	wait_for 10 host_ports_attached gwhost pg || fail_all "ports not attached"

say "6. What the store holds"
t rdomain show
t vsubnet show
t lookup show
t croute show
t pa show all
t port show all

say "7. Pings"
declare -A ADDR=([contoso1]=10.0.1.10 [contoso2]=10.0.1.11 [contoso3]=10.0.1.12
	[mtgw]=10.0.2.2 [physical]=10.229.200.10)
M=(contoso1 contoso2 contoso3 mtgw physical)
expect_ok() { # VM DST LABEL
	local ttl
	ttl=$(ping_ttl "$1" "$2")
	[ -n "$ttl" ] || ttl=$(ping_ttl "$1" "$2")   # first packets may wait for ARP
	if [ -n "$ttl" ]; then ok "$1 -> $2 ($3) answers, ttl=$ttl"; else fail "$1 -> $2 ($3) answers"; fi
}
expect_fail() { # VM DST LABEL
	if ping_fails "$1" "$2"; then ok "$1 -> $2 ($3): no answer, as it should be"; else fail "$1 -> $2 ($3) must not answer"; fi
}
note "Contoso: every pair of the five machines (ttl 64 = switched, 63 = routed by tenet, 62 = also by MT-GW)"
for a in "${M[@]}"; do
	for b in "${M[@]}"; do
		[ "$a" = "$b" ] || expect_ok "$a" "${ADDR[$b]}" "$b"
	done
done
note "Woodgrove: its own VMs only"
expect_ok woodgrove1 10.0.1.11 "woodgrove2, across hosts"
expect_ok woodgrove2 10.0.1.10 "woodgrove1, across hosts"
before=$(rx_packets contoso2)
expect_ok woodgrove1 10.0.1.11 "Contoso2's address is Woodgrove2's in Woodgrove"
after=$(rx_packets contoso2)
check "Contoso2 received none of it (rx $before -> $after)" test "$before" = "$after"
expect_fail woodgrove1 10.0.2.2 "Contoso's gateway"
expect_fail woodgrove1 10.229.200.10 "Contoso's physical server"
expect_fail woodgrove2 10.0.1.12 "an address only Contoso uses"
note "ARP tables: Contoso1 learned record MACs and the router MAC $ROUTER_MAC"
run ip netns exec "${NS[contoso1]}" ip neigh show dev eth0

say "8. Datapath drop counters (tenet stats)"
for h in host1 host2 gwhost; do
	echo "  \$ tenet --pin-root $(host_bpffs $h)/tenet stats host $h"
	tenet_cli --store "$STORE" --pin-root "$(host_bpffs $h)/tenet" stats host "$h" |
		awk '$3 != 0 { print "    " $0; n++ } END { if (!n) print "    (no drops)" }'
done
note "no-route: Woodgrove has no route off its subnet (host1); arp-miss: Woodgrove2"
note "asked for 10.0.1.12, which has no record in Woodgrove (host2)."

say "Summary"
note "$passed checks as expected, $failed not"
note "Contoso: 5 machines, 20 pings across 3 hosts, a gateway VM and a physical server"
note "Woodgrove: same addresses, reaches only its own VMs"
if [ "${KEEP:-0}" = 1 ]; then
	note "left running (KEEP=1): store $STORE, logs $TMP/*.log; 'make demo-clean' removes it"
else
	note "tearing down (KEEP=1 keeps it running)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Datapath hardening (issue 13) on the fabric: an attacker namespace on the
# provider network sends malformed NVGRE to host1's PA with scapy.
#
#   host1 (192.168.4.11): Contoso .5 (c5, VSID 5001), Woodgrove .5 (w5, 7001)
#   host2 (192.168.4.22): Contoso .7 (c7)
#   attacker (192.168.4.66): scapy
#
# Every frame is a copy of what host2 would send c5 (outer source host2's
# PA, inner from c7's MAC and address), broken one way: cut short of its
# outer IPv4 total length, a total length shorter than its header, a bad
# header checksum (also over options), addressed at L2 to another host (a
# switch floods it; here the bridge does) or to broadcast, tagged with a
# VLAN the PA is not on, an inner frame under 34 bytes, an ARP reply that
# would poison c5's cache, and an IPv4 frame shorter than an IPv4 header
# (passed to the stack, counted nowhere). No VM receives any of them and
# host1's `tenet stats` counts each under its reason. A control frame
# (the same, unbroken) and one with 20 bytes past its total length (the
# trailer trimmed) are delivered, which proves the injection itself works.
# All of it first at TC (decap = auto on a veth underlay), then again with
# decap = xdp. Last, strict_source = on: the same control frame from the
# attacker's own address is dropped (src-pa-mismatch), while c7 -> c5
# traffic from host2's PA still flows.
. "$(dirname "$0")/lib.sh"
lib_init hard
require_root
require_build
require_cmd ethtool ping dumpcap tshark
require_scapy

C5=00:15:5d:c0:00:05 C7=00:15:5d:c0:00:07 W5=00:15:5d:d0:00:05

fabric_add
# A switch forwards frames without looking at their IPv4 headers; a Linux
# bridge with br_netfilter (built in on some kernels, on by default) would
# drop the broken ones before they reach host1.
if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
	nx fabric sysctl -qw net.bridge.bridge-nf-call-iptables=0
fi
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
plain_add attacker 192.168.4.66/24
vm_add c5 host1 pc5 $C5 10.0.0.5/24
vm_add w5 host1 pw5 $W5 10.0.0.5/24
vm_add c7 host2 pc7 $C7 10.0.0.7/24

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq rdomain add Woodgrove &&
	tq vsubnet add 7001 rdomain Woodgrove prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $C5 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $C7 pa 192.168.4.22 &&
	tq lookup add vsid 7001 ca 10.0.0.5 mac $W5 pa 192.168.4.11 &&
	tq port set dev pc5 vsid 5001 mac $C5 host host1 &&
	tq port set dev pw5 vsid 7001 mac $W5 host host1 &&
	tq port set dev pc7 vsid 5001 mac $C7 host host2
}
check "configure Contoso on two hosts, Woodgrove on host1" configure
host_start_all
check "ports attached on host1" wait_for 5 host_ports_attached host1 pc5 pw5
check "port attached on host2" wait_for 5 host_ports_attached host2 pc7
check "Contoso .7 -> .5 across hosts" wait_for 5 ping_ok c7 10.0.0.5
c5_arp_before=$(neigh_mac c5 10.0.0.7)
check "c5 resolved .7 to c7's MAC" test "$c5_arp_before" = $C7

UL1_MAC=$(nx host1 cat /sys/class/net/ul0/address)
cat >"$TMP/inject.py" <<'EOF'
# inject.py UL-MAC: reads lines "KIND COUNT MARKER OUTER-SRC" from stdin;
# for each, sends one broken copy of host2's NVGRE to c5 COUNT times and
# answers "ok" (or "error: WHY") once they are sent. One process for the
# whole test: scapy takes seconds to import (ten under TCG), and the test
# injects 26 times.
import sys
from scapy.all import Ether, Dot1Q, IP, IPOption_NOP, GRE, UDP, ARP, Raw, sendp, conf
conf.verb = 0
ulmac = sys.argv[1]
C5, C7 = "00:15:5d:c0:00:05", "00:15:5d:c0:00:07"
def frame(kind, marker, src):
    payload = Raw(marker.encode() * 4)
    inner = Ether(src=C7, dst=C5) / IP(src="10.0.0.7", dst="10.0.0.5") / UDP(sport=4000, dport=4001) / payload
    def outer(inner, dst=ulmac, tag=None, **ip):
        eth = Ether(dst=dst)
        if tag is not None:
            eth = eth / Dot1Q(vlan=tag)
        return eth / IP(src=src, dst="192.168.4.11", flags="DF", **ip) / \
            GRE(key_present=1, key=5001 << 8, proto=0x6558) / inner
    b = None
    if kind in ("control", "spoofed"):
        f = outer(inner)
    elif kind == "trailer":
        b = bytes(outer(inner)) + b"\xee" * 20
    elif kind == "cut":
        b = bytes(outer(inner))[:-10]
    elif kind == "totlen":
        f = outer(inner, len=19)
    elif kind == "csum":
        f = outer(inner, chksum=0xbad)
    elif kind == "options":
        b = bytearray(bytes(outer(inner, options=[IPOption_NOP()] * 4)))
        b[14 + 21] ^= 0x01   # an option byte, after the checksum was made
        b = bytes(b)
    elif kind == "dmac":
        f = outer(inner, dst="02:00:00:00:04:63")
    elif kind == "bcast":
        f = outer(inner, dst="ff:ff:ff:ff:ff:ff")
    elif kind == "vlan":
        f = outer(inner, tag=42)
    elif kind == "short-inner":
        f = outer(Ether(src=C7, dst=C5, type=0x0800) / Raw(marker.encode()[:19].ljust(19, b"x")))
    elif kind == "arp":
        # "10.0.0.7 is at 00:15:5d:66:66:66", told to c5.
        f = outer(Ether(src="00:15:5d:66:66:66", dst=C5) /
                  ARP(op=2, hwsrc="00:15:5d:66:66:66", psrc="10.0.0.7", hwdst=C5, pdst="10.0.0.5") /
                  payload)
    elif kind == "short-ipv4":
        b = bytes(Ether(dst=ulmac, type=0x0800)) + marker.encode()[:19].ljust(19, b"x")
    else:
        raise ValueError("unknown kind " + kind)
    if b is None:
        b = bytes(f)
    return b
print("ready", flush=True)
for line in sys.stdin:
    try:
        kind, count, marker, src = line.split()
        sendp(Raw(frame(kind, marker, src)), iface="eth0", count=int(count), inter=0.01)
        print("ok", flush=True)
    except Exception as e:
        print("error: %r" % e, flush=True)
EOF

# The injector runs in the attacker's namespace for the whole test, a
# coprocess: inject writes it one line and waits for its answer.
coproc INJ { nx attacker "$SCAPY_PY" -u "$TMP/inject.py" "$UL1_MAC"; }
LIB_BG+=("$INJ_PID")
read -r -t 120 inj_ready <&"${INJ[0]}"
[ "${inj_ready:-}" = ready ] || fail_all "the scapy injector did not start"
# inject KIND COUNT MARKER [OUTER-SRC]
inject() {
	local reply
	echo "$1 $2 $3 ${4:-192.168.4.22}" >&"${INJ[1]}" &&
	read -r -t 60 reply <&"${INJ[0]}" || return 1
	[ "$reply" = ok ] || { echo "inject $*: $reply" >&2; return 1; }
}
# marker MARKER: the display filter for frames that carry MARKER (c5
# answers the UDP with ICMP port unreachable, which quotes the frame: not
# counted).
marker() { echo "frame contains \"$1\" && !icmp"; }
# cap_count CAPTURE FILTER...: for each display filter, how many frames of
# the capture match it, on one line. One tshark for them all (io,stat
# counts every filter in one pass): tshark takes 5 s to start under TCG.
cap_count() {
	local n=$1 f spec=io,stat,0; shift
	for f in "$@"; do spec+=",$f"; done
	cap_read "$n" -q -z "$spec" | awk -F'|' -v n=$# '
		function row(z,   i, s) { for (i = 0; i < n; i++) s = s (i ? " " : "") (z ? 0 : $(3 + 2 * i) + 0); print s }
		/<>/ { row(0); found = 1 }
		END { if (!found) row(1) }'
}
# count_is HOST REASON N: the drop counter reads N (frames are counted as
# the receiving softirq gets to them: wait a moment).
count_eq() { [ "$(stats_count "$1" "$2")" -eq "$3" ]; }
count_is() { wait_for 2 count_eq "$@"; }

N=5
# kind -> the drop reason host1 counts it under ("" : passed, counted nowhere)
declare -A REASON=(
	[cut]=truncated
	[totlen]=outer-ip-length
	[csum]=outer-ip-checksum
	[options]=outer-ip-checksum
	[dmac]=outer-dst-mac
	[bcast]=outer-dst-mac
	[vlan]=outer-vlan-mismatch
	[short-inner]=truncated
	[arp]=underlay-arp-no-l2only
	[short-ipv4]=""
)
KINDS=(cut totlen csum options dmac bcast vlan short-inner arp short-ipv4)

# round HOOK: every broken kind, then the control and trailer frames.
round() {
	local hook=$1 k before after n tag len c5_hard c5_ctl c5_trl w5_hard w5_any c7_hard c7_any
	check "$hook: captures in c5, w5 and c7 started" \
		eval "cap_start c5-$hook c5 eth0 && cap_start w5-$hook w5 eth0 && cap_start c7-$hook c7 eth0"
	for k in "${KINDS[@]}"; do
		tag=tenet-hard-$hook-$k
		if [ -n "${REASON[$k]}" ]; then
			before=$(stats_count host1 "${REASON[$k]}")
			check "$hook: scapy: $N frames, $k" inject "$k" $N "$tag"
			check "$hook: $k counted as ${REASON[$k]} ($before + $N)" \
				count_is host1 "${REASON[$k]}" $((before + N))
		else
			before=$(stats_count host1 truncated)
			check "$hook: scapy: $N frames, $k" inject "$k" $N "$tag"
			after=$(stats_count host1 truncated)
			check "$hook: $k passed to the stack, not counted ($before -> $after)" \
				test "$after" -eq "$before"
		fi
	done
	check "$hook: scapy: $N control frames" inject control $N "tenet-ctl-$hook"
	tag=tenet-trl-$hook
	check "$hook: scapy: $N frames with 20 bytes past the total length" inject trailer $N "$tag"
	# The inner frame as c7 would send it: Ethernet, IPv4, UDP, marker x 4.
	len=$((14 + 20 + 8 + 4 * ${#tag}))
	cap_stop "c5-$hook"
	cap_stop "w5-$hook"
	cap_stop "c7-$hook"
	read -r c5_hard c5_ctl c5_trl <<<"$(cap_count "c5-$hook" "$(marker tenet-hard)" \
		"$(marker "tenet-ctl-$hook")" "$(marker "$tag") && frame.len == $len")"
	read -r w5_hard w5_any <<<"$(cap_count "w5-$hook" "$(marker tenet-hard)" "$(marker tenet-)")"
	read -r c7_hard c7_any <<<"$(cap_count "c7-$hook" "$(marker tenet-hard)" "$(marker tenet-)")"
	n=$((c5_hard + w5_hard + c7_hard))
	check "$hook: no VM received a broken frame ($n)" test "$n" = 0
	n=$c5_ctl
	check "$hook: c5 received the control frames ($n of $N)" test "$n" -eq $N
	n=$c5_trl
	check "$hook: c5 received the trailer frames trimmed to $len bytes ($n of $N)" \
		test "$n" -eq $N
	n=$((w5_any + c7_any))
	check "$hook: nothing reached w5 or c7 ($n)" test "$n" = 0
	check "$hook: c5 still resolves .7 to c7's MAC" test "$(neigh_mac c5 10.0.0.7)" = $C7
}

round tc

# XDP sees only the tags in a frame's bytes. The fabric bridge moved the
# tag into metadata on receipt and the veth would hand it on there, as a
# NIC with rx VLAN offload on does (docs/datapath.md: with XDP decap that
# offload must be off); with tx VLAN offload off the fabric's end puts it
# back in the bytes, as such a NIC with the offload off delivers it.
nx fabric ethtool -K "${FABPORT[host1/ul0]}" txvlan off >/dev/null
host_conf host1 "decap = xdp"
kill -HUP "${AGENT_PID[host1]}"
check "SIGHUP: decap moved to XDP" wait_for 5 host_log_has host1 "xdp program attached to underlay ul0"
check "xdp: Contoso .7 -> .5 across hosts" wait_for 5 ping_ok c7 10.0.0.5
round xdp

# ---- strict source ----
host_conf host1 "decap = tc"
host_conf host1 "strict_source = on"
kill -HUP "${AGENT_PID[host1]}"
check "SIGHUP: strict_source on, decap back at TC" \
	wait_for 5 host_log_has host1 "configuration reloaded (.*strict_source on"
check "strict: Contoso .7 -> .5 across hosts still works" wait_for 5 ping_ok c7 10.0.0.5
check "strict: capture in c5 started" cap_start c5-strict c5 eth0
before=$(stats_count host1 src-pa-mismatch)
check "strict: scapy: $N control frames from the attacker's own address" \
	inject spoofed $N tenet-hard-strict 192.168.4.66
check "strict: counted as src-pa-mismatch ($before + $N)" \
	count_is host1 src-pa-mismatch $((before + N))
check "strict: scapy: $N control frames from host2's PA" inject control $N tenet-ctl-strict
cap_stop c5-strict
read -r n_wrong n_right <<<"$(cap_count c5-strict "$(marker tenet-hard-strict)" "$(marker tenet-ctl-strict)")"
n=$n_wrong
check "strict: c5 received none from the wrong source ($n)" test "$n" = 0
n=$n_right
check "strict: c5 received those from host2's PA ($n of $N)" test "$n" -eq $N

info "tenet stats host host1 (non-zero):"
t --pin-root "$(host_bpffs host1)/tenet" stats host host1 | awk '$3 != 0 { print "#   " $0 }'
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Interoperability with a third-party NVGRE implementation: the kernel's
# own gretap. Host g runs no tenet at all, only a gretap device (key =
# VSID << 8) and a bridge with its VM behind it; host1 is a tenet host.
#
#   host1 (192.168.4.11, tenet): VM a 10.0.0.5, VSID 5001
#   g     (192.168.4.44, gretap key 0x00138900 + bridge): VM gv 10.0.0.9
#
# tenet knows gv through a static lookup record (its CA and MAC -> g's
# address as PA). Linux gretap matches the whole 32-bit key, so tenet must
# send FlowID 0: with the default (flowid on) the pings fail, after
# `flowid = off` and a SIGHUP they work in both directions. gv's ARP
# broadcasts reach host1 inside NVGRE and tenet answers them, first at TC
# (decap = auto on a veth underlay), at the end again with decap = xdp.
# tshark on the fabric decodes the frames as GRE with a key and Transparent
# Ethernet Bridging, and the key carries the VSID.
. "$(dirname "$0")/lib.sh"
require_xdp_pass
require_kernel gretap "$@"
lib_init iop
require_root
require_build
require_cmd ethtool ping dumpcap tshark

VSID=5001
KEY=$((VSID << 8))
MA=00:15:5d:00:50:05 MG=00:15:5d:00:44:09

fabric_add
host_add host1 192.168.4.11/24
vm_add a host1 pa $MA 10.0.0.5/24

# ---- the gretap host: no tenet, only the kernel ----
gretap_host g 192.168.4.44 192.168.4.11 $KEY gv $MG 10.0.0.9/24
info "g: $(nx g ip -d link show gt0 | grep -o 'gretap remote.*okey [0-9.]*')"

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add $VSID rdomain Contoso prefix 10.0.0.0/24 &&
	tq lookup add vsid $VSID ca 10.0.0.5 mac $MA pa 192.168.4.11 &&
	tq lookup add vsid $VSID ca 10.0.0.9 mac $MG pa 192.168.4.44 &&
	tq port set dev pa vsid $VSID mac $MA host host1
}
check "configure host1, with a static record for the gretap VM" configure
host_start_all
check "port attached" wait_for 10 host_ports_attached host1 pa

# ---- FlowID on (the default): gretap drops tenet's frames ----
# gv's request reaches a (tenet accepts any FlowID); a's reply carries a
# FlowID, so g's gretap finds no tunnel for its key and drops it.
check "flowid on: gv -> a gets no reply (gretap matches the whole key)" ping_fails gv 10.0.0.5

# ---- flowid = off, reloaded ----
host_conf host1 "flowid = off"
kill -HUP "${AGENT_PID[host1]}"
check "SIGHUP: configuration reloaded with flowid off" \
	wait_for 5 host_log_has host1 "configuration reloaded (.*flowid off)"
nx gv ip neigh flush dev eth0
check "capture on the fabric started" cap_start fabric fabric $(fabric_ports br0)
check "gretap -> tenet: gv -> a" ping_ok gv 10.0.0.5
check "tenet -> gretap: a -> gv" ping_ok a 10.0.0.9
check "gv -> a again" ping_ok gv 10.0.0.5
check "capture on the fabric stopped" cap_stop fabric
check "gv learned a's MAC from tenet's ARP reply" test "$(neigh_mac gv 10.0.0.5)" = $MA
check "a resolved gv's MAC from its lookup record" test "$(neigh_mac a 10.0.0.9)" = $MG

# ---- what tshark decodes ----
cap_read fabric -Y gre -T fields -E separator=' ' -E occurrence=a \
	-e ip.src -e ip.dst -e gre.flags_and_version -e gre.key -e gre.proto \
	-e frame.protocols -e icmp.type -e arp.opcode >"$TMP/gre.txt"
python3 - "$TMP/gre.txt" >"$TMP/gre.sum" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 6:
        continue
    src, dst = f[0].split(","), f[1].split(",")
    rows.append(dict(osrc=src[0], odst=dst[0], isrc=src[-1], idst=dst[-1], flags=f[2],
                     key=int(f[3], 16), proto=f[4], protos=f[5],
                     icmp=f[6] if len(f) > 6 and "icmp" in f[5] else "",
                     arp=f[6] if len(f) > 6 and "arp" in f[5] else ""))
seen = {}
for r in rows:
    what = ("ARP " + {"1": "request", "2": "reply"}.get(r["arp"], r["arp"]) if r["arp"] else
            "ICMP " + {"8": "echo request", "0": "echo reply"}.get(r["icmp"], r["icmp"]))
    k = (r["osrc"], r["odst"], what)
    if k not in seen:
        seen[k] = r
        print("# %s -> %s GRE flags %s key 0x%08x (VSID %d, FlowID %d) proto %s [%s]: %s%s" %
              (r["osrc"], r["odst"], r["flags"], r["key"], r["key"] >> 8, r["key"] & 0xff,
               r["proto"], r["protos"], what,
               "" if r["arp"] else " %s -> %s" % (r["isrc"], r["idst"])))
def count(**want):
    return sum(all(r[k] == v for k, v in want.items()) for r in rows)
print("STAT", len(rows),
      sum(r["key"] == 5001 << 8 for r in rows),
      sum(r["proto"] == "0x6558" and "eth:ethertype:ip:gre:eth:" in r["protos"] for r in rows),
      sum(r["flags"] == "0x2000" for r in rows),
      count(osrc="192.168.4.11", odst="192.168.4.44", icmp="8"),
      count(osrc="192.168.4.11", odst="192.168.4.44", icmp="0"),
      count(osrc="192.168.4.44", odst="192.168.4.11", icmp="8"),
      count(osrc="192.168.4.44", odst="192.168.4.11", icmp="0"),
      count(osrc="192.168.4.44", odst="192.168.4.11", arp="1"),
      count(osrc="192.168.4.11", odst="192.168.4.44", arp="2"))
EOF
grep '^#' "$TMP/gre.sum"
read -r _ n key6558 teb konly t_req t_rep g_req g_rep g_arp t_arp <<<"$(grep '^STAT' "$TMP/gre.sum")"
check "tshark decoded GRE frames on the fabric (${n:-0})" test "${n:-0}" -gt 0
check "every key is 0x$(printf %08x $KEY): VSID $VSID, FlowID 0 (${key6558:-0}/${n:-0})" \
	test "${key6558:--1}" = "${n:-0}"
check "every frame is Transparent Ethernet Bridging over GRE (${teb:-0}/${n:-0})" \
	test "${teb:--1}" = "${n:-0}"
check "GRE flags: only K, version 0 (${konly:-0}/${n:-0})" test "${konly:--1}" = "${n:-0}"
check "tenet -> gretap: echo requests and replies" test "${t_req:-0}" -gt 0 -a "${t_rep:-0}" -gt 0
check "gretap -> tenet: echo requests and replies" test "${g_req:-0}" -gt 0 -a "${g_rep:-0}" -gt 0
check "gretap's ARP request arrived inside NVGRE (${g_arp:-0})" test "${g_arp:-0}" -gt 0
check "tenet answered it inside NVGRE (${t_arp:-0})" test "${t_arp:-0}" -gt 0
check "tenet stats on host1: no GRE header drops" \
	test "$(stats_count host1 gre-bad-flags)" = 0

# ---- decap = xdp: the same exchange through the XDP program ----
# tenet answers gv's ARP with XDP_TX on host1's underlay veth. On 6.1 a veth
# flushes XDP_TX frames only to a peer with an XDP program (GRO is not
# enough), so the fabric's end of host1's underlay gets an XDP_PASS, as a
# physical switch port would simply take the frame. (At TC the answer is an
# ordinary transmit and needs nothing.)
check "XDP_PASS on the fabric's end of host1's underlay" fabric_xdp_pass "${FABPORT[host1/ul0]}"
host_conf host1 "decap = xdp"
kill -HUP "${AGENT_PID[host1]}"
check "SIGHUP: decap moved to XDP" \
	wait_for 5 host_log_has host1 "xdp program attached to underlay ul0"
nx gv ip neigh flush dev eth0
check "decap = xdp: gretap -> tenet: gv -> a" ping_ok gv 10.0.0.5
check "decap = xdp: gv learned a's MAC from the XDP_TX answer" \
	test "$(neigh_mac gv 10.0.0.5)" = $MA
check "decap = xdp: tenet -> gretap: a -> gv" ping_ok a 10.0.0.9

finish

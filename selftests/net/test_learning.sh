#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Dynamic IP address learning (chapter 1: "Two VMs on the same virtual
# subnet, different hosts, dynamic IP address learning enabled").
#
#   host1 (192.168.4.11): Contoso1 10.0.0.5, static lookup record
#   host2 (192.168.4.22): Contoso2 10.0.0.7, only an l2only record (its MAC
#                         lives at 192.168.4.22; its IP is configured nowhere)
#   host3 (192.168.4.33): Contoso3 10.0.0.9, static; never sees the ARP
#
# Contoso1 pings 10.0.0.7: host1 sends its ARP request as a unicast NVGRE
# copy to host2, Contoso2 answers, both hosts learn the binding and it
# lands in the store as a dynamic record, which host3 then uses. Then the
# negative cases: learning forged from the fabric, a VM claiming another
# MAC, a VM without an l2only record answering ARP, and an ARP storm.
. "$(dirname "$0")/lib.sh"
lib_init learn
require_root
require_build
require_scapy
require_cmd ethtool ping bpftool

C1=00:15:5d:00:50:05 C2=00:15:5d:00:50:07 C3=00:15:5d:00:50:09

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
host_add host3 192.168.4.33/24
vm_add contoso1 host1 p1 $C1 10.0.0.5/24
vm_add contoso2 host2 p2 $C2 10.0.0.7/24
vm_add contoso3 host3 p3 $C3 10.0.0.9/24
plain_add attacker 192.168.4.66/24

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $C1 pa 192.168.4.11 &&
	tq lookup add vsid 5001 mac $C2 pa 192.168.4.22 type l2only &&
	tq lookup add vsid 5001 ca 10.0.0.9 mac $C3 pa 192.168.4.33 &&
	tq port set dev p1 vsid 5001 mac $C1 host host1 &&
	tq port set dev p2 vsid 5001 mac $C2 host host2 &&
	tq port set dev p3 vsid 5001 mac $C3 host host3
}
check "configure Contoso: Contoso2 has an l2only record only" configure
# host2 holds every binding here; it ages them after a minute unseen.
host_conf host2 "learn_age = 60"
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 p1
check "ports attached on host2" wait_for 5 host_ports_attached host2 p2
check "ports attached on host3" wait_for 5 host_ports_attached host3 p3

LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)
pins() { echo "$(host_bpffs "$1")/tenet/$1/v$LAYOUT"; }
# map_has HOST MAP KEY-BYTES...: the pinned map holds the key.
map_has() {
	local h=$1 m=$2; shift 2
	bpftool map lookup pinned "$(pins "$h")/$m" key hex "$@" >/dev/null 2>&1
}
# Keys: tenet_lseen (VSID 5001 little endian, 10.0.0.7), tenet_ca
# (routing domain 1, 10.0.0.7).
LSEEN_107="89 13 00 00 0a 00 00 07"
CA_107="01 00 00 00 0a 00 00 07"
dyn_show() { t lookup show type dynamic; }
dyn_has() { dyn_show | grep -q -- "ca $1 "; }
dyn_count() { dyn_show | grep -c '^vsid 5001 ' ; }
# learn_stat HOST COUNTER: one of `tenet stats learn`'s counters.
learn_stat() {
	"$TENET" --store "$STORE" --pin-root "$(host_bpffs "$1")/tenet" stats learn host "$1" |
		awk -v c="$2" '$1 == c && $2 == "value" { n = $3 } END { print n + 0 }'
}

check "no dynamic record before" test "$(dyn_count)" = 0
check "host1 has no CA entry for 10.0.0.7" eval '! map_has host1 tenet_ca $CA_107'
check "host1 knows the l2only holder of vsid 5001 (slot 0)" \
	map_has host1 tenet_l2only 89 13 00 00 00 00 00 00

# ---- the book's flow ----
copies0=$(learn_stat host1 arp-copies)
check "Contoso1 pings 10.0.0.7 (IP configured nowhere)" wait_for 5 ping_ok contoso1 10.0.0.7
check "Contoso1's ARP entry for 10.0.0.7 is Contoso2's MAC" test "$(neigh_mac contoso1 10.0.0.7)" = $C2
copies1=$(learn_stat host1 arp-copies)
check "host1 sent unicast ARP copies to the l2only holder ($copies0 -> $copies1)" \
	test "$copies1" -gt "$copies0"
check "store: a dynamic record 10.0.0.7 -> $C2 at 192.168.4.22" \
	wait_for 5 eval 'dyn_show | grep -q "ca 10.0.0.7 mac $C2 pa 192.168.4.22 type dynamic"'
info "tenet lookup show type dynamic: $(dyn_show | head -n 1)"
check "host2's datapath learned it (its own VM's reply)" map_has host2 tenet_lseen $LSEEN_107
check "host1's datapath learned it (the reply from host2's PA)" map_has host1 tenet_lseen $LSEEN_107
check "host2 reported it (learn events)" test "$(learn_stat host2 events)" -ge 1
check "host1 reported it (learn events)" test "$(learn_stat host1 events)" -ge 1
check "a tenetd logged the learned record" \
	eval 'host_log_has host1 "learned: vsid 5001 10.0.0.7" || host_log_has host2 "learned: vsid 5001 10.0.0.7"'
check "host1's CA map has 10.0.0.7 from the dynamic record" wait_for 5 map_has host1 tenet_ca $CA_107
check "host2's CA map has 10.0.0.7 (local port)" wait_for 5 map_has host2 tenet_ca $CA_107
check "host3's CA map has 10.0.0.7 (propagated through the store)" \
	wait_for 5 map_has host3 tenet_ca $CA_107
copies1=$(learn_stat host1 arp-copies)
nx contoso1 ip neigh flush dev eth0
check "Contoso1 again, after flushing its ARP cache" ping_ok contoso1 10.0.0.7
check "the second time the proxy answered: no more ARP copies" \
	test "$(learn_stat host1 arp-copies)" = "$copies1"

# host3 never saw the ARP: it reaches Contoso2 from the store's record.
check "Contoso3 (host3) pings 10.0.0.7" wait_for 3 ping_ok contoso3 10.0.0.7
check "host3 made no ARP copies (the record answered)" test "$(learn_stat host3 arp-copies)" = 0
check "host3's datapath never saw the binding" eval '! map_has host3 tenet_lseen $LSEEN_107'
check "Contoso2 pings Contoso1 and Contoso3" eval 'ping_ok contoso2 10.0.0.5 && ping_ok contoso2 10.0.0.9'

# ---- forged learning from the fabric ----
# An endpoint that does not hold Contoso2's MAC sends host1 NVGRE ARP
# replies claiming it: 10.0.0.99 is at $C2.
UL1_MAC=$(nx host1 cat /sys/class/net/ul0/address)
forge() {
	nx attacker "$SCAPY_PY" - "$UL1_MAC" "$@" <<'EOF'
import sys
from scapy.all import Ether, IP, GRE, ARP, sendp, conf
conf.verb = 0
omac, sha, spa, count = sys.argv[1:]
frame = (Ether(dst=omac) / IP(src="192.168.4.66", dst="192.168.4.11", flags="DF") /
         GRE(key_present=1, key=5001 << 8, proto=0x6558) /
         Ether(src=sha, dst="00:15:5d:00:50:05") /
         ARP(op=2, hwsrc=sha, psrc=spa, hwdst="00:15:5d:00:50:05", pdst="10.0.0.5"))
sendp(frame, iface="eth0", count=int(count), inter=0.01)
EOF
}
denied0=$(stats_count host1 learn-not-l2only)
check "scapy: 20 forged replies from 192.168.4.66 claiming $C2 is 10.0.0.99" \
	forge $C2 10.0.0.99 20
denied1=$(stats_count host1 learn-not-l2only)
check "host1 dropped them as learn-not-l2only ($denied0 -> $denied1)" \
	test "$denied1" -ge $((denied0 + 20))
check "no dynamic record for 10.0.0.99" eval '! dyn_has 10.0.0.99'
check "Contoso1 did not get the forged binding" eval '[ -z "$(neigh_mac contoso1 10.0.0.99)" ]'

# ---- VMs lying ----
# arp_from VM OP SHA SPA COUNT: ARP frames from a VM's eth0 with its own
# Ethernet source MAC.
arp_from() {
	local v=$1; shift
	nx "$v" "$SCAPY_PY" - "$(nx "$v" cat /sys/class/net/eth0/address)" "$@" <<'EOF'
import sys
from scapy.all import Ether, ARP, sendp, conf
conf.verb = 0
src, op, sha, spa, count = sys.argv[1:]
frame = (Ether(src=src, dst="ff:ff:ff:ff:ff:ff") /
         ARP(op=int(op), hwsrc=sha, psrc=spa, hwdst="00:00:00:00:00:00", pdst=spa))
sendp(frame, iface="eth0", count=int(count), inter=0.005)
EOF
}
spoof0=$(stats_count host1 spoofed-src-mac)
check "Contoso1 claims Contoso2's MAC for 10.0.0.98 (10 ARP replies)" arp_from contoso1 2 $C2 10.0.0.98 10
spoof1=$(stats_count host1 spoofed-src-mac)
check "host1 dropped them as spoofed-src-mac ($spoof0 -> $spoof1)" test "$spoof1" -ge $((spoof0 + 10))
rep0=$(stats_count host1 arp-reply-from-vm)
check "Contoso1 (no l2only record) announces 10.0.0.97 in ARP replies" arp_from contoso1 2 $C1 10.0.0.97 10
rep1=$(stats_count host1 arp-reply-from-vm)
check "host1 dropped them as arp-reply-from-vm ($rep0 -> $rep1)" test "$rep1" -ge $((rep0 + 10))
sleep 1
check "nothing learned from either" eval '! dyn_has 10.0.0.98 && ! dyn_has 10.0.0.97'

# ---- ARP storm ----
# Contoso2 (an l2only holder, so its ARP teaches) sends 400 gratuitous ARPs
# for its own 10.0.0.7 and 200 for 100 other addresses, twice each.
storm() {
	nx contoso2 "$SCAPY_PY" - <<'EOF'
from scapy.all import Ether, ARP, sendp, conf
conf.verb = 0
mac = "00:15:5d:00:50:07"
def garp(ip):
    return Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=ip, pdst=ip)
frames = [garp("10.0.0.7")] * 400 + [garp("10.0.0.%d" % (100 + i % 100)) for i in range(200)]
sendp(frames, iface="eth0")
EOF
}
ev0=$(learn_stat host2 events) dd0=$(learn_stat host2 deduped) rl0=$(learn_stat host2 ratelimited)
t0=$SECONDS
check "storm: Contoso2 sends 600 gratuitous ARPs" storm
sleep 1
ev1=$(learn_stat host2 events) dd1=$(learn_stat host2 deduped) rl1=$(learn_stat host2 ratelimited)
secs=$((SECONDS - t0 + 1))
info "storm: 600 ARP frames -> $((ev1 - ev0)) learn events, $((dd1 - dd0)) deduplicated, $((rl1 - rl0)) rate-limited (over ~${secs}s)"
check "the dedupe counter moved (>= 399)" test $((dd1 - dd0)) -ge 399
check "the rate-limit counter moved" test $((rl1 - rl0)) -gt 0
# A token bucket of 16 refilled at 8/s: the agent hears of at most that.
check "host2's agent got at most 16 + 8/s learn events ($((ev1 - ev0)))" \
	test $((ev1 - ev0)) -le $((16 + 8 * secs))
check "tenetd on host2 still running" kill -0 "${AGENT_PID[host2]}"
nd=$(dyn_count)
info "dynamic records in the store after the storm: $nd"
check "the store holds no more records than events ($nd <= $((ev1 - ev0 + 1)))" \
	test "$nd" -le $((ev1 - ev0 + 1))
# Contoso1 ARPs for 200 addresses nobody has: each would be copied to the
# l2only holder; the port's copy budget holds them to 16 + 8/s.
miss_storm() {
	nx contoso1 "$SCAPY_PY" - <<'EOF'
from scapy.all import Ether, ARP, sendp, conf
conf.verb = 0
mac = "00:15:5d:00:50:05"
sendp([Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
       ARP(op=1, hwsrc=mac, psrc="10.0.0.5", pdst="10.0.0.%d" % (20 + i % 60))
       for i in range(200)], iface="eth0")
EOF
}
cp0=$(learn_stat host1 arp-copies) lim0=$(stats_count host1 arp-copy-ratelimited)
t0=$SECONDS
check "storm: Contoso1 sends 200 ARP requests for unknown addresses" miss_storm
secs=$((SECONDS - t0 + 1))
cp1=$(learn_stat host1 arp-copies) lim1=$(stats_count host1 arp-copy-ratelimited)
info "ARP miss storm: 200 requests -> $((cp1 - cp0)) copies to host2, $((lim1 - lim0)) dropped as arp-copy-ratelimited (over ~${secs}s)"
check "host1 sent at most 16 + 8/s copies ($((cp1 - cp0)))" test $((cp1 - cp0)) -le $((16 + 8 * secs))
check "the rest counted as arp-copy-ratelimited" test $((cp1 - cp0 + lim1 - lim0)) -ge 200
check "after the storm Contoso1 still reaches Contoso2" ping_ok contoso1 10.0.0.7
check "after the storm Contoso3 still reaches Contoso2" ping_ok contoso3 10.0.0.7
check "10.0.0.7 still learned at 192.168.4.22" eval 'dyn_show | grep -q "ca 10.0.0.7 mac $C2 pa 192.168.4.22 type dynamic"'

# ---- aging ----
# The storm's bindings are not seen again; 10.0.0.7 is kept alive by
# Contoso2 talking (its ARP for Contoso1 every 10 s teaches it again). With
# learn_age = 60 on host2, the storm's records go and 10.0.0.7 stays.
spawn sh -c "while :; do ip netns exec ${NS[contoso2]} ip neigh flush dev eth0;
	ip netns exec ${NS[contoso2]} ping -c 1 -W 1 10.0.0.5; sleep 10; done" >/dev/null 2>&1
keepalive=$BG_PID
t0=$SECONDS
check "the storm's dynamic records age out on host2 (learn_age 60)" \
	wait_for 100 eval '[ "$(dyn_count)" = 1 ]'
info "aged out after $((SECONDS - t0)) s; left: $(dyn_show | awk '{ print $4 }' | tr '\n' ' ')"
kill "$keepalive" 2>/dev/null
check "host2 logged the age-out" host_log_has host2 "aged out: vsid 5001 10.0.0.1"
check "10.0.0.7, still in use, was not aged" \
	eval 'dyn_show | grep -q "ca 10.0.0.7 mac $C2 pa 192.168.4.22 type dynamic"'
check "host1's CA map lost an aged binding (10.0.0.100)" \
	wait_for 5 eval '! map_has host1 tenet_ca 01 00 00 00 0a 00 00 64'
# Aged bindings are forgotten by the datapath too: seen again, they are
# reported at once (not suppressed as duplicates) and come back.
check "Contoso2 announces 10.0.0.100 again" arp_from contoso2 1 $C2 10.0.0.100 1
check "10.0.0.100 is learned again at once" wait_for 5 dyn_has 10.0.0.100

# ---- the JSON view ----
check "tenet -j lookup show type dynamic is JSON with type dynamic" \
	eval 't -j lookup show type dynamic | grep -q "\"type\": *\"dynamic\""'

finish

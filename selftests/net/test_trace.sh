#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-tenant trace and the drop monitor (docs/operations.md). Contoso
# (VSID 5001) and Woodgrove (VSID 7001) share two hosts with the same
# addresses, as in test_isolation.sh:
#
#   host1 (192.168.4.11): Contoso .5 (pc5)   Woodgrove .5 (pw5)
#   host2 (192.168.4.22): Contoso .7 (pc7)   Woodgrove .7 (pw7), .6 (pw6, l2only)
#
# `tenet trace rdomain Contoso -w x.pcap` on host1 while both tenants ping
# across the hosts: tcpdump and tshark read the file, every frame is
# Contoso's (its MACs, NVGRE key 5001), and the echo frames are exactly
# the 5 requests (as sent, then encapsulated) and 5 replies (as they
# arrived). A drop shows its reason (pcapng comment, text line). `tenet
# monitor drops` shows a dropped frame within a second, with reason, port,
# VSID, routing domain and 5-tuple; `tenet monitor learn` shows a binding
# learned in Woodgrove, and only when asked for Woodgrove. A session
# killed with SIGKILL does not keep the datapath copying.
. "$(dirname "$0")/lib.sh"
lib_init trace
require_root
require_build
require_cmd ethtool ping tcpdump tshark bpftool

C5=00:15:5d:c0:00:05 C7=00:15:5d:c0:00:07
W5=00:15:5d:d0:00:05 W6=00:15:5d:d0:00:06 W7=00:15:5d:d0:00:07

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
vm_add c5 host1 pc5 $C5 10.0.0.5/24
vm_add c7 host2 pc7 $C7 10.0.0.7/24
vm_add w5 host1 pw5 $W5 10.0.0.5/24
vm_add w6 host2 pw6 $W6 10.0.0.6/24
vm_add w7 host2 pw7 $W7 10.0.0.7/24

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq rdomain add Woodgrove &&
	tq vsubnet add 7001 rdomain Woodgrove prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $C5 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $C7 pa 192.168.4.22 &&
	tq lookup add vsid 7001 ca 10.0.0.5 mac $W5 pa 192.168.4.11 &&
	tq lookup add vsid 7001 ca 10.0.0.7 mac $W7 pa 192.168.4.22 &&
	tq lookup add vsid 7001 mac $W6 pa 192.168.4.22 type l2only &&
	tq port set dev pc5 vsid 5001 mac $C5 host host1 &&
	tq port set dev pc7 vsid 5001 mac $C7 host host2 &&
	tq port set dev pw5 vsid 7001 mac $W5 host host1 &&
	tq port set dev pw6 vsid 7001 mac $W6 host host2 &&
	tq port set dev pw7 vsid 7001 mac $W7 host host2
}
check "configure two tenants with the same addresses" configure
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 pc5 pw5
check "ports attached on host2" wait_for 5 host_ports_attached host2 pc7 pw6 pw7
# Warm ARP caches, so the traced pings are echoes only.
check "Contoso .5 -> .7" wait_for 5 ping_ok c5 10.0.0.7
check "Woodgrove .5 -> .7" wait_for 5 ping_ok w5 10.0.0.7

# h1 ARGS: tenet on host1's datapath (its pins, its namespace).
h1() { nx host1 "$TENET" --store "$STORE" --pin-root "$(host_bpffs host1)/tenet" --host host1 "$@"; }
# started NAME: the background tenet (trace or monitor) logging to
# $TMP/NAME.err said it is armed.
started() { wait_for 5 grep -q "^tracing\|^monitoring" "$TMP/$1.err"; }
# bg NAME ARGS: tenet ARGS on host1 in the background, output in $TMP/NAME.
bg() {
	local name=$1; shift
	# ip netns exec execs tenet: $! is tenet itself, which signals reach.
	ip netns exec "${NS[host1]}" "$TENET" --store "$STORE" \
		--pin-root "$(host_bpffs host1)/tenet" --host host1 \
		"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	BG_PID=$!
	LIB_BG+=("$BG_PID")
}
stop() { kill -INT "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# ---- trace to pcap while both tenants ping ----
bg trace trace rdomain Contoso -w "$TMP/x.pcap"
tpid=$BG_PID
check "trace rdomain Contoso armed" started trace
nx w5 ping -c 5 -i 0.2 -W 1 -q 10.0.0.7 >/dev/null &
wping=$!
five_pings() { nx c5 ping -c 5 -i 0.2 -W 1 -q 10.0.0.7 >/dev/null; }
check "Contoso .5 pings .7 five times while Woodgrove does the same" five_pings
wait $wping
sleep 0.3
stop $tpid
check "trace wrote its summary" grep -q "frames captured, 0 lost" "$TMP/trace.err"
check "tcpdump -r reads the file" bash -c "tcpdump -r '$TMP/x.pcap' -n -e >'$TMP/x.tcpdump' 2>/dev/null"
info "$(wc -l <"$TMP/x.tcpdump") frames; the first ones:"
head -n 3 "$TMP/x.tcpdump" | sed 's/^/#   /'
# Per frame: the innermost source and destination MAC and the GRE key.
tshark -r "$TMP/x.pcap" -T fields -E separator=' ' -e eth.src -e eth.dst -e gre.key \
	-e icmp.type 2>/dev/null >"$TMP/x.fields"
contoso_only() {
	python3 - "$TMP/x.fields" $C5 $C7 $ROUTER_MAC <<'EOF'
import sys
path, *macs = sys.argv[1:]
ok = set(macs) | {"ff:ff:ff:ff:ff:ff"}
bad = 0
for line in open(path):
    f = line.split(" ")
    src, dst = f[0].split(",")[-1], f[1].split(",")[-1]
    key = f[2].strip() if len(f) > 2 else ""
    if src not in ok or dst not in ok or (key and int(key, 0) >> 8 != 5001):
        print("# not Contoso's: " + line.strip())
        bad = 1
sys.exit(bad)
EOF
}
check "tshark: every frame is Contoso's (MACs, NVGRE key 5001)" contoso_only
check "tshark: no frame of Woodgrove's MACs" bash -c "! grep -q -e $W5 -e $W7 '$TMP/x.fields'"
n_req=$(tshark -r "$TMP/x.pcap" -Y 'icmp.type == 8' 2>/dev/null | wc -l)
n_rep=$(tshark -r "$TMP/x.pcap" -Y 'icmp.type == 0' 2>/dev/null | wc -l)
n_enc=$(tshark -r "$TMP/x.pcap" -Y 'icmp.type == 8 && gre' 2>/dev/null | wc -l)
check "5 echo requests as sent and 5 encapsulated ($n_req requests, $n_enc in NVGRE)" \
	test "$n_req" = 10 -a "$n_enc" = 5
check "5 echo replies, as they arrived in NVGRE ($n_rep)" \
	test "$n_rep" = 5 -a "$(tshark -r "$TMP/x.pcap" -Y 'icmp.type == 0 && gre' 2>/dev/null | wc -l)" = 5

# ---- text lines, -c ----
bg text trace rdomain Contoso -c 3
tpid=$BG_PID
check "trace -c 3 armed" started text
nx c5 ping -c 2 -i 0.2 -W 1 -q 10.0.0.7 >/dev/null
wait $tpid
check "trace -c 3 stopped by itself after 3 lines" test "$(wc -l <"$TMP/text.out")" = 3
info "$(head -n 3 "$TMP/text.out")"
check "line: port, VSID, tenant, ICMP" \
	grep -q "^[0-9:.]* port pc5 vsid 5001 Contoso: 10.0.0.5 > 10.0.0.7: ICMP echo request, id [0-9]*, seq 1, length 84$" "$TMP/text.out"
check "line: the same frame encapsulated" \
	grep -q "^[0-9:.]* encap pc5 vsid 5001 Contoso: 192.168.4.11 > 192.168.4.22: NVGRE vsid 5001 flow 0x[0-9a-f]*: 10.0.0.5 > 10.0.0.7: ICMP echo request" "$TMP/text.out"
check "line: the reply decapsulated for pc5" \
	grep -q "^[0-9:.]* decap ul0 > pc5 vsid 5001 Contoso: 192.168.4.22 > 192.168.4.11: NVGRE vsid 5001 flow 0x[0-9a-f]*: 10.0.0.7 > 10.0.0.5: ICMP echo reply" "$TMP/text.out"

# ---- a drop and its reason: pcapng comments, text, JSON ----
bg ng trace rdomain Contoso -w "$TMP/x.pcapng"
tpid=$BG_PID
check "trace to pcapng armed" started ng
check "Contoso .5 -> 10.9.9.9 (no route) fails" ping_fails c5 10.9.9.9
stop $tpid
check "tshark reads the pcapng" bash -c "tshark -r '$TMP/x.pcapng' -T fields -e frame.comment >'$TMP/ng.comments' 2>/dev/null"
check "the dropped frame's comment names its reason" \
	grep -q "^drop no-route pc5 vsid 5001 rdomain Contoso$" "$TMP/ng.comments"
check "interfaces are named after the devices" \
	bash -c "tshark -r '$TMP/x.pcapng' -T fields -e frame.interface_name 2>/dev/null | grep -qx pc5"
check "tcpdump reads the pcapng too" bash -c "tcpdump -r '$TMP/x.pcapng' -n 2>/dev/null | grep -q '10.9.9.9'"

# ---- the drop monitor ----
bg mon monitor drops
mpid=$BG_PID
check "monitor drops armed" started mon
t0=$(date +%s%N)
nx c5 ping -c 1 -W 1 10.9.9.8 >/dev/null 2>&1 &
seen_drop() { grep -q "drop no-route port pc5 ifindex [0-9]* vsid 5001 rdomain Contoso: icmp 10.0.0.5 -> 10.9.9.8$" "$TMP/mon.out"; }
wait_for 1 seen_drop
t1=$(date +%s%N)
check "monitor shows the dropped frame within a second ($(( (t1 - t0) / 1000000 )) ms)" seen_drop
stop $mpid
info "$(cat "$TMP/mon.out")"

bg monj -j monitor drops rdomain Woodgrove -c 1
mpid=$BG_PID
check "monitor -j drops rdomain Woodgrove armed" started monj
nx c5 ping -c 1 -W 1 10.9.9.7 >/dev/null 2>&1
nx w5 ping -c 1 -W 1 10.9.9.6 >/dev/null 2>&1
wait $mpid
check "monitor -j: one Woodgrove event, no Contoso one" bash -c "python3 - '$TMP/monj.out' <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ok = len(ev) == 1 and ev[0]['type'] == 'drop' and ev[0]['reason'] == 'no-route' \
    and ev[0]['port'] == 'pw5' and ev[0]['vsid'] == 7001 and ev[0]['rdomain'] == 'Woodgrove' \
    and ev[0]['proto'] == 'icmp' and ev[0]['src'] == '10.0.0.5' and ev[0]['dst'] == '10.9.9.6' \
    and isinstance(ev[0]['ifindex'], int)
sys.exit(0 if ok else 1)
EOF"

# ---- learning events ----
bg lc monitor learn rdomain Contoso
lcpid=$BG_PID
bg lw monitor learn rdomain Woodgrove
lwpid=$BG_PID
check "monitor learn rdomain Contoso armed" started lc
check "monitor learn rdomain Woodgrove armed" started lw
check "Woodgrove .5 reaches .6, whose address is learned" wait_for 10 ping_ok w5 10.0.0.6
learned() { grep -q "learn vsid 7001 rdomain Woodgrove ca 10.0.0.6 mac $W6 pa 192.168.4.22$" "$TMP/lw.out"; }
check "monitor learn rdomain Woodgrove shows the binding" wait_for 5 learned
stop $lcpid
stop $lwpid
check "monitor learn rdomain Contoso shows nothing of Woodgrove's" test ! -s "$TMP/lc.out"

# ---- a killed session ----
LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)
pins=$(host_bpffs host1)/tenet/host1/v$LAYOUT
armed() {
	bpftool -j map dump pinned "$pins/tenet_trace" | python3 -c 'import json, sys
e = json.load(sys.stdin)[0]
v = e.get("formatted", e)["value"]
print(v["armed"] if isinstance(v, dict) else int.from_bytes(bytes(int(b, 16) for b in v[:4]), "little"))'
}
bg killed trace rdomain Contoso
kpid=$BG_PID
check "a trace to be killed armed" started killed
check "its slot is armed" test "$(armed)" != 0
kill -KILL $kpid
wait $kpid 2>/dev/null
nx c5 ping -c 1 -W 1 10.0.0.7 >/dev/null
bg after trace rdomain Contoso -c 1
apid=$BG_PID
check "the next session starts" started after
nx c5 ping -c 1 -W 1 10.0.0.7 >/dev/null
wait $apid
check "it got its frame" test "$(wc -l <"$TMP/after.out")" = 1
check "no slot is left armed (the killed one was reaped)" test "$(armed)" = 0

no_tenant() {
	! h1 trace rdomain Nobody 2>"$TMP/e1" && grep -qx 'tenet: rdomain Nobody: no such routing domain' "$TMP/e1"
}
check "trace of a tenant that does not exist: exit 1, one line" no_tenant
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What an operator reads of a running fleet (docs/operations.md): counters
# per tenant and port with routing-domain names, metrics read by a real
# node_exporter and the Prometheus client's OpenMetrics parser, `tenet
# host show`, and `--wait`, which returns only once every live agent has
# the change in its maps and, with one agent stopped (SIGSTOP), times out
# naming that host.
#
#   host1 (192.168.4.11): Contoso .5 (pc5)
#   host2 (192.168.4.22): Contoso .7 (pc7)
#   host3 (192.168.4.33): no VM
. "$(dirname "$0")/lib.sh"
lib_init ops
require_root
require_build
require_cmd ethtool ping bpftool prometheus-node-exporter /usr/bin/python3

C5=00:15:5d:c0:00:05 C7=00:15:5d:c0:00:07

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
host_add host3 192.168.4.33/24
vm_add c5 host1 pc5 $C5 10.0.0.5/24
vm_add c7 host2 pc7 $C7 10.0.0.7/24

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq rdomain add Woodgrove &&
	tq vsubnet add 7001 rdomain Woodgrove prefix 10.1.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $C5 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $C7 pa 192.168.4.22 &&
	tq port set dev pc5 vsid 5001 mac $C5 host host1 &&
	tq port set dev pc7 vsid 5001 mac $C7 host host2
}
check "configure Contoso on two hosts" configure
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 pc5
check "port attached on host2" wait_for 5 host_ports_attached host2 pc7
check "Contoso .5 -> .7" wait_for 5 ping_ok c5 10.0.0.7

# on HOST ARGS: tenet on HOST's datapath, in its namespace.
on() { local h=$1; shift; nx "$h" "$TENET" --store "$STORE" --pin-root "$(host_bpffs "$h")/tenet" --host "$h" "$@"; }

# ---- counters ----
counts() { on host1 -j stats "$@"; }
jget() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
v0=$(counts vsid 5001 | jget 'd[0]["tx_packets"]')
r0=$(counts vsid 5001 | jget 'd[0]["rx_packets"]')
p0=$(counts port dev pc5 | jget 'd[0]["rx_packets"]')
check "Contoso .5 pings .7 ten times" eval "nx c5 ping -c 10 -i 0.05 -W 1 -q 10.0.0.7 >/dev/null"
v1=$(counts vsid 5001 | jget 'd[0]["tx_packets"]')
r1=$(counts vsid 5001 | jget 'd[0]["rx_packets"]')
p1=$(counts port dev pc5 | jget 'd[0]["rx_packets"]')
check "stats vsid 5001 counted the 10 requests sent ($v0 -> $v1)" test $((v1 - v0)) -ge 10
check "stats vsid 5001 counted the 10 replies delivered ($r0 -> $r1)" test $((r1 - r0)) -ge 10
check "stats port dev pc5 counted them at the device ($p0 -> $p1)" test $((p1 - p0)) -ge 10
named() { on host1 stats vsid | grep -q '^vsid 5001 rdomain Contoso rx packets [0-9]* bytes [0-9]* tx packets [0-9]* bytes [0-9]* drops [0-9]*$'; }
check "stats vsid names the routing domain" named
d0=$(counts port dev pc5 | jget 'd[0]["drops"]')
check "Contoso .5 -> 10.9.9.9 (no route) fails" ping_fails c5 10.9.9.9
d1=$(counts port dev pc5 | jget 'd[0]["drops"]')
check "stats port dev pc5 counted its drops ($d0 -> $d1)" test $((d1 - d0)) -ge 2
on host1 stats rdomain >"$TMP/rd.txt"
check "stats rdomain: Contoso with traffic, Woodgrove none" \
	grep -q "^rdomain Woodgrove rx packets 0 bytes 0 tx packets 0 bytes 0 drops 0$" "$TMP/rd.txt"
on host1 -s port show >"$TMP/sport.txt"
check "-s port show: the port, then its counters" \
	bash -c "head -n 2 '$TMP/sport.txt' | tr '\n' '|' | grep -q '^dev pc5 vsid 5001 mac $C5 host host1|    rx packets [1-9][0-9]* bytes [0-9]* tx packets [0-9]* bytes [0-9]* drops [1-9][0-9]*|$'"

# ---- metrics ----
mkdir -p "$TMP/textfile"
on host1 stats -o prometheus >"$TMP/textfile/tenet.prom"
on host1 stats -o openmetrics >"$TMP/tenet.om"
ip netns exec "${NS[host1]}" prometheus-node-exporter --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$TMP/textfile" \
	--web.listen-address=127.0.0.1:9911 >"$TMP/node_exporter.log" 2>&1 &
LIB_BG+=("$!")
scrape() { nx host1 curl -sf http://127.0.0.1:9911/metrics >"$TMP/scrape.txt"; }
check "node_exporter serves the textfile" wait_for 10 scrape
check "node_exporter read it without error" grep -q '^node_textfile_scrape_error 0$' "$TMP/scrape.txt"
check "tenet_drops_total is a counter, by reason" \
	bash -c "grep -q '^# TYPE tenet_drops_total counter$' '$TMP/scrape.txt' &&
		 grep -q '^tenet_drops_total{host=\"host1\",reason=\"no-route\"} [1-9]' '$TMP/scrape.txt'"
check "traffic by VSID and routing domain" \
	grep -q '^tenet_vsid_tx_packets_total{host="host1",rdomain="Contoso",vsid="5001"} [1-9]' "$TMP/scrape.txt"
check "per port" grep -q '^tenet_port_drops_total{dev="pc5",host="host1",rdomain="Contoso",vsid="5001"} [1-9]' "$TMP/scrape.txt"
check "agent status" grep -q '^tenet_agent_up{host="host1"} 1$' "$TMP/scrape.txt"
om_ok() {
	/usr/bin/python3 - "$TMP/tenet.om" <<'EOF'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
d = fams["tenet_drops"]
assert d.type == "counter", d.type
assert any(s.labels.get("reason") == "no-route" and s.value >= 1 for s in d.samples)
assert fams["tenet_agent_applied_revision"].type == "gauge"
EOF
}
check "the OpenMetrics output parses (prometheus_client, strict)" om_ok

# ---- fleet status ----
settled() { on host1 host show >"$TMP/hosts.txt" 2>"$TMP/hosts.err" && [ "$(grep -c ' state up ' "$TMP/hosts.txt")" = 3 ]; }
check "host show: three hosts, all up" wait_for 10 settled
info "$(cat "$TMP/hosts.txt")"
check "host show warns of nothing" test ! -s "$TMP/hosts.err"
tq lookup add vsid 5001 ca 10.0.0.99 mac 00:15:5d:c0:00:99 pa 192.168.4.99
tq port set dev px vsid 5001 mac 00:15:5d:c0:00:98 host host4
on host1 host show >/dev/null 2>"$TMP/hosts.err"
check "a host with a port and no PA gets a warning" \
	grep -qx "tenet: warning: host host4 has no provider address (tenet pa add IP/LEN dev IF host host4)" "$TMP/hosts.err"
check "a lookup record whose PA is no host's gets a warning" \
	grep -qx "tenet: warning: 1 lookup record names a PA that belongs to no host (first: 192.168.4.99)" "$TMP/hosts.err"
tq port del dev px host host4
tq lookup del vsid 5001 ca 10.0.0.99

# ---- --wait ----
LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)
pins() { echo "$(host_bpffs "$1")/tenet/$1/v$LAYOUT"; }
# ca_in_map HOST IP: tenet_ca of HOST holds (routing domain 1, IP).
ca_in_map() {
	local hex
	hex=$(printf '%02x ' ${2//./ })
	bpftool map lookup pinned "$(pins "$1")/tenet_ca" key hex 01 00 00 00 $hex >/dev/null 2>&1
}
wait_applies() {
	local i h ip
	for i in 1 2 3 4 5; do
		ip=10.0.0.$((20 + i))
		"$TENET" --store "$STORE" --wait 20 lookup add vsid 5001 ca $ip \
			mac 00:15:5d:c0:00:$((20 + i)) pa 192.168.4.22 || return 1
		# No waiting here: --wait returned, so every map has it.
		for h in host1 host2 host3; do
			ca_in_map $h $ip || { info "$h lacks $ip right after --wait"; return 1; }
		done
	done
}
check "--wait returns only once all three agents have the record in their maps (5 writes)" wait_applies

kill -STOP "${AGENT_PID[host3]}"
t0=$SECONDS
"$TENET" --store "$STORE" --wait 3 lookup add vsid 5001 ca 10.0.0.30 mac 00:15:5d:c0:00:30 \
	pa 192.168.4.22 2>"$TMP/wait.err"
rc=$?
t1=$SECONDS
info "$(cat "$TMP/wait.err")"
check "with host3's agent stopped, --wait 3 fails (exit $rc after $((t1 - t0)) s)" \
	test $rc = 1 -a $((t1 - t0)) -ge 3 -a $((t1 - t0)) -le 6
check "its message names host3, and only host3" \
	grep -q "^tenet: --wait: revision [0-9]* is stored, but 1 of 3 live agents did not apply it within 3s: host3 (applied [0-9]*, heartbeat [0-9]*s ago)$" "$TMP/wait.err"
check "host1 and host2 applied it meanwhile" eval "ca_in_map host1 10.0.0.30 && ca_in_map host2 10.0.0.30"
check "host3 did not" eval "! ca_in_map host3 10.0.0.30"
check "a write for host1 only does not wait for host3" \
	"$TENET" --store "$STORE" --wait 5 port set dev py vsid 5001 mac 00:15:5d:c0:00:31 host host1
kill -CONT "${AGENT_PID[host3]}"
check "host3 catches up" wait_for 10 ca_in_map host3 10.0.0.30
check "--wait succeeds again" \
	"$TENET" --store "$STORE" --wait 20 lookup add vsid 5001 ca 10.0.0.31 mac 00:15:5d:c0:00:32 pa 192.168.4.22
check "and host3 has that record too" ca_in_map host3 10.0.0.31

# ---- counter slots: a VSID removed and added again starts from zero ----
# The agent gives each VSID a slot of tenet_vstats; a removed VSID's slot
# is given again (lowest free first) only once its entries are gone, and
# zeroed before the new entry names it.
slot_5001() { host_vsid_slots host1 | awk '$1 == 5001 { print $2 }'; }
no_5001() { [ -z "$(slot_5001)" ]; }
has_5001() { [ -n "$(slot_5001)" ]; }
s0=$(slot_5001)
c0=$(vsid_count host1 5001 tx)
check "5001 has a counter slot ($s0) with packets in it ($c0 sent)" test -n "$s0" -a "$c0" -gt 0
check "VSID 5001 and its port on host1 removed" eval \
	"tq port del dev pc5 host host1 && tq vsubnet del 5001 force"
check "host1's agent removed 5001's entry" wait_for 10 no_5001
check "VSID 5001 added again" tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24
check "host1's agent wrote 5001's entry" wait_for 10 has_5001
s1=$(slot_5001)
check "5001 got its freed slot again ($s0 -> $s1)" test "$s1" = "$s0"
check "the reused slot starts from zero" eval \
	"[ \"\$(vsid_count host1 5001 tx) \$(vsid_count host1 5001 rx) \$(vsid_count host1 5001 drops)\" = '0 0 0' ]"
# (force took the subnet's lookup records with it)
check "port pc5 and the lookup records set again" eval \
	"tq port set dev pc5 vsid 5001 mac $C5 host host1 &&
	 tq lookup add vsid 5001 ca 10.0.0.5 mac $C5 pa 192.168.4.11 &&
	 tq lookup add vsid 5001 ca 10.0.0.7 mac $C7 pa 192.168.4.22"
check "Contoso .5 -> .7 again" wait_for 10 ping_ok c5 10.0.0.7
c1=$(vsid_count host1 5001 tx) r1=$(vsid_count host1 5001 rx)
check "and the slot counts again (sent $c1, delivered $r1)" test "$c1" -gt 0 -a "$r1" -gt 0
finish

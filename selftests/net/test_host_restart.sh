#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hitless agent restart. Two tenet hosts (namespaces), each with its own
# tenetd and bpffs, one shared store, underlays bridged in a fabric
# namespace; VMs on both. Continuous pings across the hosts (NVGRE) must
# lose no packet while the agents are stopped with SIGTERM, killed with
# SIGKILL and started again; a record changed while an agent is down is
# applied when it comes back.
. "$(dirname "$0")/lib.sh"
lib_init hr
require_root
require_build
require_cmd ethtool ping
COUNT=${COUNT:-1000}      # pings at 100/s: the restarts happen inside

# ---- two hosts on one underlay segment (lib.sh: fabric, hosts, VMs) ----
fabric_add
host_add h1 192.168.4.11/24
host_add h2 192.168.4.22/24
vm_add v1 h1 p1 00:15:5d:00:00:05 10.0.0.5/24
vm_add v2 h2 p2 00:15:5d:00:00:07 10.0.0.7/24
vm_add v3 h2 p3 00:15:5d:00:01:07 10.0.1.7/24

tq_configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq vsubnet add 6001 rdomain Contoso prefix 10.0.1.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac 00:15:5d:00:00:05 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac 00:15:5d:00:00:07 pa 192.168.4.22 &&
	tq lookup add vsid 6001 ca 10.0.1.7 mac 00:15:5d:00:01:07 pa 192.168.4.22 &&
	tq port set dev p1 vsid 5001 mac 00:15:5d:00:00:05 host h1 &&
	tq port set dev p2 vsid 5001 mac 00:15:5d:00:00:07 host h2 &&
	tq port set dev p3 vsid 6001 mac 00:15:5d:00:01:07 host h2
}
check "configure with tenet" tq_configure

# restart HOST SIGNAL: stop the agent, start a new one, wait until it is
# ready (one more "ready" line in its log).
restart() {
	local n=$(($(host_ready_count "$1") + 1))
	kill "-$2" "${AGENT_PID[$1]}"
	wait "${AGENT_PID[$1]}" 2>/dev/null
	host_start "$1"
	host_wait_ready "$1" 10 "$n"
}

host_start_all
check "ping across hosts, same VSID (NVGRE)" wait_for 5 ping_ok v1 10.0.0.7
check "ping across hosts, routed 5001 -> 6001" ping_ok v1 10.0.1.7
check "ping back, routed 6001 -> 5001" ping_ok v3 10.0.0.5

# Per-VSID counters live in slots of tenet_vstats the agent gives each
# VSID: a restarted agent keeps the slots it finds, so counting goes on.
host_vsid_slots h1 >"$TMP/slots-h1"
host_vsid_slots h2 >"$TMP/slots-h2"
info "counter slots: h1 $(tr '\n' ' ' <"$TMP/slots-h1"); h2 $(tr '\n' ' ' <"$TMP/slots-h2")"
check "5001 and 6001 have counter slots on both hosts" eval \
	"grep -q '^5001 [1-9]' '$TMP/slots-h1' && grep -q '^6001 [1-9]' '$TMP/slots-h1' &&
	 grep -q '^5001 [1-9]' '$TMP/slots-h2' && grep -q '^6001 [1-9]' '$TMP/slots-h2'"
tx0=$(vsid_count h1 5001 tx)
rx0=$(vsid_count h2 5001 rx)
check "5001 counted: sent on h1 ($tx0), delivered on h2 ($rx0)" test "$tx0" -gt 0 -a "$rx0" -gt 0

# ---- restarts under load ----
nx v1 ping -i 0.01 -c "$COUNT" -q 10.0.0.7 >"$TMP/ping-l2" 2>&1 &
P1=$!
nx v3 ping -i 0.01 -c "$COUNT" -q 10.0.0.5 >"$TMP/ping-l3" 2>&1 &
P2=$!
sleep 1
check "h1 agent restarted after SIGTERM" restart h1 TERM
sleep 0.5
check "h2 agent restarted after SIGTERM" restart h2 TERM
sleep 0.5
check "h1 agent restarted after SIGKILL" restart h1 KILL
sleep 0.5
check "h2 agent restarted after SIGKILL" restart h2 KILL
sleep 0.5
# Policy changed while h1's agent is down: the next one applies it.
host_stop h1
vm_add v4 h2 p4 00:15:5d:00:00:09 10.0.0.9/24
check "records added while h1 has no agent" bash -c \
	"'$TENET' --store '$STORE' lookup add vsid 5001 ca 10.0.0.9 mac 00:15:5d:00:00:09 \
		pa 192.168.4.22 &&
	 '$TENET' --store '$STORE' port set dev p4 vsid 5001 mac 00:15:5d:00:00:09 host h2"
# (with a glibc tunable of the operator's own: see the end)
GLIBC_TUNABLES=glibc.malloc.arena_max=2 host_start h1
check "h1 agent back" host_wait_ready h1 10 4
wait "$P1" "$P2"

lost() { # ping-output-file: "sent received"
	sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1"
}
read -r sent1 recv1 <<<"$(lost "$TMP/ping-l2")"
read -r sent2 recv2 <<<"$(lost "$TMP/ping-l3")"
echo "# same VSID: ${sent1:-?} sent, ${recv1:-?} received; routed: ${sent2:-?} sent, ${recv2:-?} received"
check "0 packets lost across restarts (same VSID, h1 -> h2)" \
	test -n "${sent1:-}" -a "${sent1:-0}" = "$COUNT" -a "${recv1:-x}" = "$COUNT"
check "0 packets lost across restarts (routed, h2 -> h1)" \
	test -n "${sent2:-}" -a "${sent2:-0}" = "$COUNT" -a "${recv2:-x}" = "$COUNT"
check "restarted agents replaced the programs in place" \
	host_log_has h1 "replacing the previous agent's"
check "restarted agent found the pinned state" \
	host_log_has h2 "entries from an earlier agent"
check "record added while down is applied after restart" wait_for 5 ping_ok v1 10.0.0.9
check "h1's counter slots the same after four restarts" \
	eval "host_vsid_slots h1 | diff -u '$TMP/slots-h1' -"
check "h2's counter slots the same after four restarts" \
	eval "host_vsid_slots h2 | diff -u '$TMP/slots-h2' -"
tx1=$(vsid_count h1 5001 tx)
rx1=$(vsid_count h2 5001 rx)
check "5001's counters went on across restarts: sent on h1 $tx0 -> $tx1 (+$COUNT pings at least)" \
	test "$tx1" -ge $((tx0 + COUNT))
check "... delivered on h2 $rx0 -> $rx1" test "$rx1" -ge $((rx0 + COUNT))
check "only one tc filter per port" \
	test "$(nx h1 tc filter show dev p1 ingress | grep -c tenet_tc_port)" = 1
check "only one tc decap filter on the underlay" \
	test "$(nx h1 tc filter show dev ul0 ingress | grep -c tenet_tc_underl)" = 1

# A copy an earlier agent left is trusted for nothing (docs/datapath.md,
# "Direct-mapped copies"): with h2's agent stopped, p3's tenet_portcache
# slot is made to say VSID 7001 of a routing domain h2 does not have, as
# if tenet_port had changed behind it. The datapath reads the copy first,
# so v3's frames go nowhere; the next agent's first flush compares every
# slot with tenet_port and puts 6001 back.
check "p3's tenet_portcache slot holds 6001" test "$(portcache_vsid h2 p3)" = 6001
host_stop h2
check "p3's slot poisoned while h2 has no agent (VSID 7001, routing domain 99)" \
	portcache_poison h2 p3 7001 99
check "the datapath reads the copy: v3 reaches nobody" ping_fails v3 10.0.0.5
n=$(($(host_ready_count h2) + 1))
host_start h2
check "h2 agent back" host_wait_ready h2 10 "$n"
portcache_healed() { [ "$(portcache_vsid h2 p3)" = 6001 ]; }
check "its first flush put 6001 back in p3's slot" wait_for 5 portcache_healed
check "v3 reaches v1 again" wait_for 5 ping_ok v3 10.0.0.5

# tenetd re-executes itself once to put its heap on huge pages (glibc's
# tunable, docs/agent.md "Memory"): in place, so the pid that was started
# is the agent; an operator's own tunables are kept, and hugetlb=0 wins.
# glibc writes a NUL after each tunable it reads into the environment
# string itself (/proc/PID/environ shows it cut; getenv() is given a
# whole copy): read two items across either ':' or NUL.
tunables() { tr '\0' ':' <"/proc/${AGENT_PID[$1]}/environ" | grep -o 'GLIBC_TUNABLES=[^:]*:[^:]*' |
	sed 's/^GLIBC_TUNABLES=//'; }
check "agent re-executed in place (same pid, tenetd)" \
	test "$(basename "$(readlink "/proc/${AGENT_PID[h1]}/exe")")" = tenetd
check "agent asks glibc for huge pages, the operator's tunable kept" \
	test "$(tunables h1)" = "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=2"
check "h2 agent restarted with glibc.malloc.hugetlb=0" \
	eval 'GLIBC_TUNABLES=glibc.malloc.hugetlb=0 restart h2 TERM'
check "the operator's glibc.malloc.hugetlb=0 is kept" \
	test "$(tunables h2 | cut -d: -f1)" = "glibc.malloc.hugetlb=0"

if [ "$failed" -gt 0 ] || [ "${V:-0}" = 1 ]; then
	cat "$TMP/ping-l2" "$TMP/ping-l3"
fi
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The fleet store on etcd: the simple setup of chapter 1 (three tenet
# hosts, each with its own tenetd; see test_simple_setup.sh) on a real
# 3-member etcd cluster (Debian's etcd-server), each member in a namespace
# of its own on a control network (lib.sh etcd_up), and the faults a
# cluster has:
#
#   - the simple-setup pings; a change made with `tenet` reaches all three
#     agents' maps; learning (a dynamic record) crosses hosts through etcd
#   - the leader is killed during a stream of 1,000 CLI writes: every
#     write the CLI acknowledged is in the store afterwards and in all
#     three agents' maps
#   - all of etcd stops for 30 s: a ping between VMs on two hosts loses
#     nothing, the agents say the store is unavailable, and changes made
#     after etcd returns are applied
#   - an agent cut off from etcd while the cluster compacts past its watch
#     position resyncs and converges when it is back
#   - a member stopped (SIGSTOP: a process that holds its connections but
#     answers nothing): the others carry on, writes land and reach every
#     agent
#   - each agent's status record (applied revision, heartbeat through a
#     lease, store, last error): there while it runs, gone when it dies
#     (the lease expires) or stops
. "$(dirname "$0")/lib.sh"
lib_init etcd
require_root
require_build
require_cmd ethtool ping bpftool etcdctl python3

C1_MAC=00:15:5d:00:60:10
C2_MAC=00:15:5d:00:60:11
C3_MAC=00:15:5d:00:60:12
C4_MAC=00:15:5d:00:60:13
GW_MAC=00:15:5d:00:61:02
GW_EXT_MAC=00:15:5d:00:e0:02
PHY_MAC=00:15:5d:00:e0:10
HOSTS=(host1 host2 gwhost)
LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)

# ---- the cluster, then the simple setup's machines ----
fabric_add
fabric_bridge br1                       # the external (physical) network
etcd_up 3
check "etcd: 3 members healthy, a leader (m$(etcd_leader))" test -n "$(etcd_leader)"
info "store $STORE"
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
host_add gwhost 192.168.4.33/24
fabric_link gwhost eth1 br1
nx gwhost ip link add ext type bridge
nx gwhost ip link set eth1 master ext
nx gwhost ip link set ext up
vm_add contoso1 host1 p1 "$C1_MAC" 10.0.1.10/24
vm_add contoso2 host1 p2 "$C2_MAC" 10.0.1.11/24
vm_add contoso3 host2 p3 "$C3_MAC" 10.0.1.12/24
vm_add contoso4 host2 p4 "$C4_MAC" 10.0.1.13/24   # known by its MAC only (l2only)
vm_add mtgw gwhost pg "$GW_MAC" 10.0.2.2/24 none
vm_nic mtgw eth1 gwhost pe "$GW_EXT_MAC" 10.229.200.2/24
nx gwhost ip link set pe master ext
nx mtgw ip route add 10.0.1.0/24 via 10.0.2.1
nx mtgw sysctl -qw net.ipv4.ip_forward=1
plain_add physical 10.229.200.10/24 eth0 br1
nx physical ip link set eth0 address "$PHY_MAC"
nx physical ip route add 10.0.1.0/24 via 10.229.200.2
nx physical ip route add 10.0.2.0/24 via 10.229.200.2

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 6000 rdomain Contoso prefix 10.0.1.0/24 &&
	tq vsubnet add 6001 rdomain Contoso prefix 10.0.2.0/24 &&
	tq vsubnet add 7000 rdomain Contoso prefix 10.7.0.0/16 &&
	tq lookup add vsid 6000 ca 10.0.1.10 mac "$C1_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6000 ca 10.0.1.11 mac "$C2_MAC" pa 192.168.4.11 &&
	tq lookup add vsid 6000 ca 10.0.1.12 mac "$C3_MAC" pa 192.168.4.22 &&
	tq lookup add vsid 6000 mac "$C4_MAC" pa 192.168.4.22 type l2only &&
	tq lookup add vsid 6001 ca 10.0.2.2 mac "$GW_MAC" pa 192.168.4.33 &&
	tq croute add rdomain Contoso vsid 6000 prefix 10.0.1.0/24 nexthop 0.0.0.0 &&
	tq croute add rdomain Contoso vsid 6001 prefix 10.0.2.0/24 nexthop 0.0.0.0 &&
	tq croute add rdomain Contoso vsid 6001 prefix 0.0.0.0/0 nexthop 10.0.2.2 &&
	tq port set dev p1 vsid 6000 mac "$C1_MAC" host host1 &&
	tq port set dev p2 vsid 6000 mac "$C2_MAC" host host1 &&
	tq port set dev p3 vsid 6000 mac "$C3_MAC" host host2 &&
	tq port set dev p4 vsid 6000 mac "$C4_MAC" host host2 &&
	tq port set dev pg vsid 6001 mac "$GW_MAC" host gwhost
}
check "configure the simple setup with tenet, on etcd" configure
host_start_all
check "ports attached on host1" wait_for 5 host_ports_attached host1 p1 p2
check "ports attached on host2" wait_for 5 host_ports_attached host2 p3 p4
check "port attached on gwhost" wait_for 5 host_ports_attached gwhost pg
RD=$(t -d rdomain show Contoso | awk '$1 == "number" { print $2 }')

# ---- maps ----
pins() { echo "$(host_bpffs "$1")/tenet/$1/v$LAYOUT"; }
# ca_key IP: the tenet_ca key of IP in Contoso (id little endian, IP).
ca_key() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	printf '%02x 00 00 00 %02x %02x %02x %02x' "$RD" "$a" "$b" "$c" "$d"
}
# ca_has HOST IP [PA]: HOST's tenet_ca holds IP (at PA, if given).
ca_has() {
	local out
	out=$(bpftool -j map lookup pinned "$(pins "$1")/tenet_ca" key hex $(ca_key "$2") 2>/dev/null) ||
		return 1
	[ -z "${3:-}" ] && return 0
	python3 -c 'import json, sys
v = json.loads(sys.argv[1])
v = v.get("formatted", v).get("value")
pa = v["pa"] if isinstance(v, dict) else ".".join(str(int(b, 16)) for b in v[4:8])
sys.exit(0 if pa in (sys.argv[2], int.from_bytes(bytes(map(int, sys.argv[2].split("."))), "little")) else 1)' \
		"$out" "$3"
}
ca_all() { local h; for h in "${HOSTS[@]}"; do ca_has "$h" "$@" || return 1; done; }
ca_none() { local h; for h in "${HOSTS[@]}"; do ! ca_has "$h" "$1" || return 1; done; }
# ca_dump HOST FILE: every CA of Contoso in HOST's tenet_ca, one a line.
ca_dump() {
	bpftool -j map dump pinned "$(pins "$1")/tenet_ca" | python3 -c 'import json, sys
rd = int(sys.argv[1])
for e in json.load(sys.stdin):
    k = [int(b, 16) for b in e["key"]]
    if k[0] == rd:
        print("%d.%d.%d.%d" % tuple(k[4:8]))' "$RD" | sort >"$2"
}

# ---- the simple setup's pings ----
declare -A ADDR=([contoso1]=10.0.1.10 [contoso2]=10.0.1.11 [contoso3]=10.0.1.12
	[mtgw]=10.0.2.2 [physical]=10.229.200.10)
MACHINES=(contoso1 contoso2 contoso3 mtgw physical)
ping_pair() { ping_ok "$1" "$2" || ping_ok "$1" "$2"; }
for a in "${MACHINES[@]}"; do
	for b in "${MACHINES[@]}"; do
		[ "$a" = "$b" ] && continue
		check "ping $a -> $b (${ADDR[$b]})" ping_pair "$a" "${ADDR[$b]}"
	done
done

# ---- a change reaches every agent ----
check "tenet lookup add 10.0.1.20 (on etcd)" \
	tq lookup add vsid 6000 ca 10.0.1.20 mac 00:15:5d:00:60:20 pa 192.168.4.22
check "10.0.1.20 in all 3 agents' maps" wait_for 10 ca_all 10.0.1.20 192.168.4.22
check "tenet lookup replace 10.0.1.20 to another PA" \
	tq lookup replace vsid 6000 ca 10.0.1.20 mac 00:15:5d:00:60:20 pa 192.168.4.33
check "the new PA in all 3 agents' maps" wait_for 10 ca_all 10.0.1.20 192.168.4.33
check "tenet lookup del 10.0.1.20" tq lookup del vsid 6000 ca 10.0.1.20
check "10.0.1.20 gone from all 3 agents' maps" wait_for 10 ca_none 10.0.1.20

# ---- the agents' status records ----
# /tenet/v1/status/<host> under a lease each: applied revision, heartbeat,
# store, last error (agent/status.h); read here with etcdctl.
status_of() { etcdctl_ops get --print-value-only "/tenet/v1/status/$1" 2>/dev/null; }
# status_ok HOST: its record says it follows the store, at a revision.
status_ok() {
	status_of "$1" | python3 -c 'import json, sys
s = json.loads(sys.stdin.read())
sys.exit(0 if s["host"] == sys.argv[1] and s["applied_revision"] > 0 and s["store"] == "available" and s["heartbeat"] > 0 else 1)' "$1"
}
for h in "${HOSTS[@]}"; do
	check "status of $h in etcd: applied revision, store available" wait_for 10 status_ok "$h"
done
info "status of host1: $(status_of host1)"
status_leased() { etcdctl_ops get -w json "/tenet/v1/status/$1" | grep -q '"lease":[1-9]'; }
check "the status record lives under a lease (the heartbeat)" status_leased host1

# ---- learning across hosts ----
# Contoso4 has only an l2only record (its MAC at host2): host2 learns its
# address from its reply and writes a dynamic record to etcd; host1 and
# gwhost get it from there.
check "contoso1 pings 10.0.1.13 (configured nowhere, learned)" wait_for 10 ping_ok contoso1 10.0.1.13
dyn_has() { t lookup show type dynamic | grep -q "ca 10.0.1.13 mac $C4_MAC pa 192.168.4.22"; }
check "etcd holds the dynamic record 10.0.1.13 -> $C4_MAC at host2" wait_for 10 dyn_has
check "host1's map has 10.0.1.13 (learned at host2, through etcd)" \
	wait_for 10 ca_has host1 10.0.1.13 192.168.4.22
check "gwhost's map has 10.0.1.13 (through etcd)" wait_for 10 ca_has gwhost 10.0.1.13 192.168.4.22

# ---- the leader killed during 1,000 CLI writes ----
# One CLI process per write (tenet lookup add), as operators and scripts
# run it; the leader is killed (SIGKILL) after 300. A write whose command
# said so (exit 0) must be in the store and in every agent's map; a
# command that failed (no answer in its deadline) may or may not have
# landed, and is counted.
WRITES=${ETCD_WRITES:-1000}
writer() {
	local i ca
	for i in $(seq 0 $((WRITES - 1))); do
		ca=10.7.$((i / 250)).$((i % 250 + 2))
		if t lookup add vsid 7000 ca "$ca" mac "$(printf '02:70:00:00:%02x:%02x' $((i >> 8)) $((i & 255)))" \
			pa 192.168.4.22 >/dev/null 2>>"$TMP/writes.err"; then
			echo "$ca" >>"$TMP/acked"
		else
			echo "$ca" >>"$TMP/failed"
		fi
	done
}
: >"$TMP/acked"
: >"$TMP/failed"
t0=$SECONDS
writer &
WRITER=$!
LIB_BG+=("$WRITER")
wait_for 120 eval '[ $(wc -l <"$TMP/acked") -ge $((WRITES * 3 / 10)) ]'
LEADER=$(etcd_leader)
info "killing the leader m$LEADER after $(wc -l <"$TMP/acked") acknowledged writes"
check "a leader to kill" test -n "$LEADER"
[ -n "$LEADER" ] && etcd_stop "$LEADER" KILL
wait "$WRITER"
ACKED=$(wc -l <"$TMP/acked")
FAILED=$(wc -l <"$TMP/failed")
info "$WRITES writes in $((SECONDS - t0)) s: $ACKED acknowledged, $FAILED failed (new leader m$(etcd_leader))"
check "most writes acknowledged across the leader's death ($ACKED of $WRITES)" \
	test "$ACKED" -ge $((WRITES * 9 / 10))
t lookup show vsid 7000 | awk '{ for (i = 1; i < NF; i++) if ($i == "ca") print $(i + 1) }' |
	sort >"$TMP/stored"
sort -o "$TMP/acked" "$TMP/acked"
missing=$(comm -23 "$TMP/acked" "$TMP/stored" | wc -l)
check "every acknowledged write is in the store ($missing missing)" test "$missing" = 0
[ -n "$LEADER" ] && etcd_start "$LEADER"
check "the killed member rejoins" wait_for 30 etcd_healthy
agent_has_acked() {
	ca_dump "$1" "$TMP/$1.cas" && [ "$(comm -23 "$TMP/acked" "$TMP/$1.cas" | wc -l)" = 0 ]
}
for h in "${HOSTS[@]}"; do
	check "every acknowledged write is in $h's map" wait_for 30 agent_has_acked "$h"
done

# ---- all of etcd stopped for 30 s ----
STOP_S=${ETCD_STOP_S:-30}
nx contoso1 ping -i 0.1 -c $(((STOP_S + 10) * 10)) -W 1 10.0.1.12 >"$TMP/ping.out" 2>&1 &
PING=$!
LIB_BG+=("$PING")
sleep 2
for i in 1 2 3; do etcd_stop "$i" TERM; done
info "etcd stopped (all 3 members) for $STOP_S s"
check "the CLI reports the store unavailable" eval '! t lookup show vsid 6000 >/dev/null 2>&1'
sleep "$STOP_S"
for i in 1 2 3; do etcd_start "$i"; done
check "etcd back" wait_for 30 etcd_healthy
wait "$PING"
info "ping across the outage: $(grep -o '[0-9]* packets transmitted.*loss' "$TMP/ping.out")"
check "the ping between VMs lost nothing while etcd was down" grep -q ' 0% packet loss' "$TMP/ping.out"
for h in "${HOSTS[@]}"; do
	check "$h's agent said the store was unavailable" host_log_has "$h" "store unavailable: "
	check "$h's agent said the store was back" wait_for 10 host_log_has "$h" "store reachable again"
done
check "a change after etcd's return (lookup add 10.0.1.21)" \
	tq lookup add vsid 6000 ca 10.0.1.21 mac 00:15:5d:00:60:21 pa 192.168.4.11
check "10.0.1.21 reaches all 3 agents' maps" wait_for 20 ca_all 10.0.1.21 192.168.4.11

# ---- compaction past an agent's watch position ----
# gwhost is cut off from etcd (its control NIC down) long enough to notice;
# meanwhile a record comes, one goes, and the cluster compacts past both.
# Back on the network, its watch is stale: it resyncs and converges.
back_n() { grep -c "store reachable again" "$TMP/gwhost.log" 2>/dev/null; }
away_n() { grep -c "store unavailable: " "$TMP/gwhost.log" 2>/dev/null; }
back0=$(back_n)
away0=$(away_n)
nx gwhost ip link set ctl0 down
sleep 10
check "a record added while gwhost is cut off" \
	tq lookup add vsid 6000 ca 10.0.1.22 mac 00:15:5d:00:60:22 pa 192.168.4.11
check "a record deleted while gwhost is cut off" tq lookup del vsid 6000 ca 10.0.1.21
REV=$(etcdctl_ops endpoint status -w json | python3 -c 'import json,sys; print(max(e["Status"]["header"]["revision"] for e in json.load(sys.stdin)))')
check "etcd compacted up to revision $REV" etcdctl_ops compact "$REV"
check "host1 has the new record meanwhile" wait_for 10 ca_has host1 10.0.1.22
check "gwhost does not (cut off)" eval '! ca_has gwhost 10.0.1.22'
check "gwhost said the store was unavailable" eval '[ "$(away_n)" -gt "$away0" ]'
# Its watch's connection outlives the link for seconds (nothing resets it):
# only a read that answers may say the store is back.
check "gwhost never said the store was back while cut off" eval '[ "$(back_n)" = "$back0" ]'
nx gwhost ip link set ctl0 up
check "gwhost resynced after the compaction" wait_for 30 host_log_has gwhost "compaction; full resync"
check "gwhost converged: 10.0.1.22 there" wait_for 10 ca_has gwhost 10.0.1.22 192.168.4.11
check "gwhost converged: 10.0.1.21 gone" wait_for 10 eval '! ca_has gwhost 10.0.1.21'

# ---- a member stopped ----
LEADER=$(etcd_leader)
STOPPED=$((LEADER % 3 + 1))
kill -STOP "${ETCD_PID[$STOPPED]}"
info "member m$STOPPED stopped (SIGSTOP)"
check "a write with a member stopped" \
	tq lookup add vsid 6000 ca 10.0.1.23 mac 00:15:5d:00:60:23 pa 192.168.4.22
check "it reaches all 3 agents (those on the stopped member move)" wait_for 30 ca_all 10.0.1.23
kill -STOP "${ETCD_PID[$LEADER]}"
kill -CONT "${ETCD_PID[$STOPPED]}"
info "leader m$LEADER stopped, m$STOPPED back"
check "a write with the leader stopped" \
	tq lookup add vsid 6000 ca 10.0.1.24 mac 00:15:5d:00:60:24 pa 192.168.4.22
check "it reaches all 3 agents" wait_for 30 ca_all 10.0.1.24
kill -CONT "${ETCD_PID[$LEADER]}"
check "the cluster whole again" wait_for 30 etcd_healthy
check "pings still work (contoso3 -> contoso1)" ping_ok contoso3 10.0.1.10

# ---- an agent dies: its heartbeat stops, its record expires ----
kill -KILL "${AGENT_PID[gwhost]}"
wait "${AGENT_PID[gwhost]}" 2>/dev/null
AGENT_PID[gwhost]=
check "gwhost's agent killed: its status record expires with its lease" \
	wait_for 30 eval '[ -z "$(status_of gwhost)" ]'
check "host1's status record stays (renewed)" status_ok host1
check "the datapath forwards without its agent (contoso1 -> mtgw)" ping_ok contoso1 10.0.2.2
host_start gwhost
check "gwhost's agent back" host_wait_ready gwhost 30 2
check "gwhost's status record back" wait_for 10 status_ok gwhost
host_stop gwhost
check "a clean stop removes the record at once" wait_for 3 eval '[ -z "$(status_of gwhost)" ]'

finish

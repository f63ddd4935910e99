#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One tenet host in a network namespace, configured only through `tenet`:
# a real tenetd programs it from a temporary store. VMs are namespaces
# behind veth ports. Checks switching inside a VSID, distributed routing
# between two VSIDs of one routing domain, isolation of a second routing
# domain with overlapping addresses, reaction to store changes, the JSON
# output of `tenet -j lookup show`, and `tenetd --cleanup`.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
TENETD=${TENETD:-$BUILD/tenetd}
TENET=${TENET:-$BUILD/tenet}

HOST=tenet-hb-h-$$
VMS=(tenet-hb-v1-$$ tenet-hb-v2-$$ tenet-hb-v3-$$ tenet-hb-v4-$$)
TMP=$(mktemp -d /tmp/tenet-hb.XXXXXX)
STORE=$TMP/store.db
BPFFS=$TMP/bpf
AGENT_PID=
passed=0
failed=0

cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	ip netns del "$HOST" 2>/dev/null
	for v in "${VMS[@]}"; do ip netns del "$v" 2>/dev/null; done
	umount "$BPFFS" 2>/dev/null
	# On failure the agent's own account is the first thing to read.
	if [ "$failed" -gt 0 ] && [ -f "$TMP/tenetd.log" ]; then
		echo "--- tenetd log (last 40 lines)"
		tail -n 40 "$TMP/tenetd.log"
	fi
	[ -n "${KEEP_LOG:-}" ] && cp "$TMP/tenetd.log" "$KEEP_LOG"
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "[ OK ] $1"; passed=$((passed + 1)); }
fail() { echo "[FAIL] $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
# A missing prerequisite fails the suite: tests never skip.
fail_all() { echo "[FAIL] $1"; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail_all "needs root"
[ -x "$TENETD" ] || fail_all "no $TENETD (make first)"
[ -x "$TENET" ] || fail_all "no $TENET (make first)"

t() { "$TENET" --store "$STORE" "$@"; }
# tenet never creates a store implicitly.
t store init >/dev/null || fail_all "tenet store init"
hx() { ip netns exec "$HOST" "$@"; }
vm() { local n=$1; shift; ip netns exec "${VMS[$n]}" "$@"; }
wait_for() { # timeout-seconds command... (x TENET_WAIT_SCALE, as in lib.sh)
	local end=$((${EPOCHREALTIME/./} + $1 * ${TENET_WAIT_SCALE:-1} * 1000000)); shift
	until "$@"; do [ "${EPOCHREALTIME/./}" -ge $end ] && return 1; sleep 0.1; done
}
log_has() { grep -q -- "$1" "$TMP/tenetd.log"; }
ping_ok() { vm "$1" ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ping_fails() { ! vm "$1" ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }

# ---- topology: host with an underlay veth; VMs behind veth ports ----
mkdir -p "$BPFFS"
# A bpffs of its own outside /sys: `ip netns exec` remounts /sys, and the
# pins must outlive one exec'd shell.
mount -t bpf bpf "$BPFFS" || fail_all "cannot mount bpffs"
ip netns add "$HOST" || exit 1
# The VMs are IPv4 only (their own router solicitations would just be
# dropped at the port). The host keeps IPv6: tenetd must turn it off on
# the ports, or the host's autoconfiguration on them reaches the VMs.
no_ipv6() { ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }
hx ip link set lo up
hx ip link add ul0 type veth peer name ul0p
hx ip link set ul0p up

# add_vm index port mac ip/len gateway
add_vm() {
	local ns=${VMS[$1]}
	ip netns add "$ns"
	no_ipv6 "$ns"
	hx ip link add "$2" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 address "$3"
	ip -n "$ns" addr add "$4" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$5"
	hx ip link set "$2" up
}
add_vm 0 p1 00:15:5d:00:00:05 10.0.0.5/24 10.0.0.1
add_vm 1 p2 00:15:5d:00:00:07 10.0.0.7/24 10.0.0.1
add_vm 2 p3 00:15:5d:00:01:07 10.0.1.7/24 10.0.1.1
# Woodgrove reuses Contoso's addresses.
add_vm 3 p4 00:15:5d:10:00:07 10.0.0.7/24 10.0.0.1

cat > "$TMP/tenetd.conf" <<EOF
# test configuration: every key once
host = h1
underlay = ul0
store = $STORE
bpffs = $BPFFS
EOF

# ---- policy, only through tenet ----
configure() {
	t rdomain add Contoso &&
	t vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	t vsubnet add 6001 rdomain Contoso prefix 10.0.1.0/24 &&
	t rdomain add Woodgrove &&
	t vsubnet add 7001 rdomain Woodgrove prefix 10.0.0.0/24 &&
	t pa add 192.168.4.11/24 dev ul0 host h1 &&
	t lookup add vsid 5001 ca 10.0.0.5 mac 00:15:5d:00:00:05 pa 192.168.4.11 &&
	t lookup add vsid 5001 ca 10.0.0.7 mac 00:15:5d:00:00:07 pa 192.168.4.11 &&
	t lookup add vsid 6001 ca 10.0.1.7 mac 00:15:5d:00:01:07 pa 192.168.4.11 &&
	t lookup add vsid 7001 ca 10.0.0.7 mac 00:15:5d:10:00:07 pa 192.168.4.11 &&
	t port set dev p1 vsid 5001 mac 00:15:5d:00:00:05 host h1 &&
	t port set dev p2 vsid 5001 mac 00:15:5d:00:00:07 host h1 &&
	t port set dev p3 vsid 6001 mac 00:15:5d:00:01:07 host h1 &&
	t port set dev p4 vsid 7001 mac 00:15:5d:10:00:07 host h1
}
configure_quiet() { configure >"$TMP/configure.out"; }
check "configure with tenet" configure_quiet

# Half the policy before the agent starts (full resync), half after (watch):
# the agent starts here, after everything but nothing is attached yet.
# Not through a shell function: $! must be tenetd itself (ip netns exec
# execs it), so that the signals below reach it.
ip netns exec "$HOST" "$TENETD" --config "$TMP/tenetd.conf" >"$TMP/tenetd.log" 2>&1 &
AGENT_PID=$!
# As long as lib.sh host_wait_ready gives a start: under TCG on a busy
# machine the start (BPF verification, emulated) took over 30 s.
check "tenetd ready" wait_for 30 log_has "ready: host h1"
check "tenetd attached the ports" wait_for 5 log_has "tc program on port p4"
# decap = auto on a veth underlay: TC (docs/agent.md).
check "decap at tc on the veth underlay (auto)" \
	wait_for 5 log_has "tc program attached to underlay ul0 (decap tc: auto: veth)"
# (the kernel keeps 15 characters of a program name)
check "tc decap filter on ul0" \
	bash -c "ip netns exec $HOST tc filter show dev ul0 ingress | grep -q tenet_tc_underl"
check "PA address configured" \
	bash -c "ip -n $HOST -4 addr show dev ul0 | grep -q 'inet 192.168.4.11/24'"
check "underlay forwarding left off (the host is no router)" \
	test "$(hx cat /proc/sys/net/ipv4/conf/ul0/forwarding)" = 0
check "port MTU lowered for NVGRE" test "$(hx cat /sys/class/net/p1/mtu)" = 1458
check "tenetd turned the host's IPv6 off on the ports" \
	test "$(hx cat /proc/sys/net/ipv6/conf/p1/disable_ipv6)$(hx cat /proc/sys/net/ipv6/conf/p4/disable_ipv6)" = 11
check "the host has no IPv6 address on a port" \
	bash -c "! ip netns exec $HOST ip -6 addr show dev p1 | grep -q inet6"

# decap = xdp, on SIGHUP: the XDP program replaces the TC filter.
decap_xdp() {
	echo "decap = xdp" >>"$TMP/tenetd.conf" && kill -HUP "$AGENT_PID" &&
	wait_for 5 log_has "xdp program attached to underlay ul0"
}
check "decap = xdp on reload attaches XDP" decap_xdp
check "tc decap filter removed from ul0" \
	bash -c "! ip netns exec $HOST tc filter show dev ul0 ingress | grep -q tenet"
check "xdp program on ul0" bash -c "ip netns exec $HOST ip link show ul0 | grep -q xdp"

# ---- datapath ----
check "ping within VSID 5001" ping_ok 0 10.0.0.7
check "ping 5001 -> 6001 (routed)" ping_ok 0 10.0.1.7
check "ping 6001 -> 5001 (routed)" ping_ok 2 10.0.0.5
check "routed ping decrements TTL once" \
	bash -c "ip netns exec ${VMS[0]} ping -c 1 -W 1 10.0.1.7 | grep -q 'ttl=63'"
check "the .1 gateway resolves to the router MAC" \
	bash -c "ip netns exec ${VMS[0]} ip neigh show 10.0.0.1 | grep -q 02:54:4e:00:00:01"
check "Woodgrove cannot reach Contoso" ping_fails 3 10.0.0.5
# Contoso's 10.0.0.7 answers; Woodgrove's 10.0.0.7 sees none of it.
isolated() {
	local before after
	before=$(vm 3 cat /sys/class/net/eth0/statistics/rx_packets)
	ping_ok 0 10.0.0.7 || return 1
	after=$(vm 3 cat /sys/class/net/eth0/statistics/rx_packets)
	[ "$before" = "$after" ]
}
check "overlapping 10.0.0.7 in Woodgrove receives nothing" isolated
# The CLI reads the counters the agent pinned: Woodgrove's unanswered ARPs.
arp_misses() {
	t --pin-root "$BPFFS/tenet" -j stats host h1 | python3 -c '
import json, sys
sys.exit(0 if any(r["reason"] == "arp-miss" and r["packets"] > 0 for r in json.load(sys.stdin)) else 1)'
}
check "tenet stats reads the pinned drop counters" arp_misses
check "ARP miss reported by the agent" log_has "arp miss: port ifindex"

# ---- store changes reach the datapath (watch) ----
check "port removed from the store" t port del dev p2 host h1
check "port detached" wait_for 5 log_has "tc program on port p2 (ifindex [0-9]*) detached"
check "removed port unreachable" ping_fails 0 10.0.0.7
check "port set again" t port set dev p2 vsid 5001 mac 00:15:5d:00:00:07 host h1
check "re-added port reachable" wait_for 5 ping_ok 0 10.0.0.7

# ---- a port moved to another VSID ----
# Its frames are in the new VSID's routing domain from then on, never the
# old one's: tenet_portcache, the copy of tenet_port every frame reads
# first, follows the move (headers/tenet/maps.h, "Direct-mapped copies").
PINS=$BPFFS/tenet/h1/v$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)
# portc_vsid DEV: the VSID in DEV's slot of tenet_portcache (the ifindex's
# low 12 bits, tenet_port_slot()); empty unless valid and DEV's own.
portc_vsid() {
	local ifindex
	ifindex=$(hx cat "/sys/class/net/$1/ifindex") || return 1
	bpftool -j map lookup pinned "$PINS/tenet_portcache" \
		key hex $(printf '%02x %02x 00 00' $((ifindex & 255)) $(((ifindex >> 8) & 15))) 2>/dev/null |
		python3 -c '
import json, sys
v = bytes(int(x, 16) for x in json.load(sys.stdin)["value"])
if int.from_bytes(v[0:4], "little") == 1 and int.from_bytes(v[4:8], "little") == int(sys.argv[1]):
	print(int.from_bytes(v[8:12], "little"))' "$ifindex" 2>/dev/null
}
portc_is() { [ "$(portc_vsid "$1")" = "$2" ]; }
move_p3() { # FROM-VSID TO-VSID
	t lookup del vsid "$1" ca 10.0.1.7 &&
	t lookup add vsid "$2" ca 10.0.1.7 mac 00:15:5d:00:01:07 pa 192.168.4.11 &&
	t port set dev p3 vsid "$2" mac 00:15:5d:00:01:07 host h1
}
check "p3's tenet_portcache slot holds its VSID 6001" wait_for 5 portc_is p3 6001
check "vsubnet 7002 (Woodgrove, 10.0.1.0/24)" \
	t vsubnet add 7002 rdomain Woodgrove prefix 10.0.1.0/24
check "port p3 moved from 6001 (Contoso) to 7002 (Woodgrove)" move_p3 6001 7002
check "Woodgrove reaches the moved port" wait_for 5 ping_ok 3 10.0.1.7
check "Contoso no longer does" ping_fails 0 10.0.1.7
check "and its tenet_portcache slot holds 7002" portc_is p3 7002
check "port p3 moved back to 6001" move_p3 7002 6001
check "Contoso reaches it again" wait_for 5 ping_ok 0 10.0.1.7
check "Woodgrove no longer does" ping_fails 3 10.0.1.7
check "and its tenet_portcache slot holds 6001" portc_is p3 6001
check "vsubnet 7002 removed" t vsubnet del 7002

# A VM whose interface appears after its port record (link events).
check "record for a VM that does not exist yet" \
	bash -c "'$TENET' --store '$STORE' lookup add vsid 6001 ca 10.0.1.9 \
		 mac 00:15:5d:00:01:09 pa 192.168.4.11 &&
		 '$TENET' --store '$STORE' port set dev p5 vsid 6001 mac 00:15:5d:00:01:09 host h1"
VMS+=(tenet-hb-v5-$$)
add_vm 4 p5 00:15:5d:00:01:09 10.0.1.9/24 10.0.1.1
check "late interface attached on link event" wait_for 5 log_has "tc program on port p5"
check "ping the late VM" wait_for 5 ping_ok 0 10.0.1.9

# ---- -j output round-trips ----
lookup_json() {
	t -j lookup show >"$TMP/lookups.json" &&
	python3 - "$TMP/lookups.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
recs = doc if isinstance(doc, list) else next(v for v in doc.values() if isinstance(v, list))
got = {(r["vsid"], r["ca"], r["mac"], r["pa"]) for r in recs}
want = {
    (5001, "10.0.0.5", "00:15:5d:00:00:05", "192.168.4.11"),
    (5001, "10.0.0.7", "00:15:5d:00:00:07", "192.168.4.11"),
    (6001, "10.0.1.7", "00:15:5d:00:01:07", "192.168.4.11"),
    (6001, "10.0.1.9", "00:15:5d:00:01:09", "192.168.4.11"),
    (7001, "10.0.0.7", "00:15:5d:10:00:07", "192.168.4.11"),
}
sys.exit(0 if got == want else print("lookup show:", sorted(got)) or 1)
EOF
}
check "tenet -j lookup show parses and lists every record" lookup_json
# Delete every record and add it back from the JSON: same output.
roundtrip() {
	python3 - "$TMP/lookups.json" >"$TMP/readd.sh" <<'EOF' || return 1
import json, shlex, sys
doc = json.load(open(sys.argv[1]))
recs = doc if isinstance(doc, list) else next(v for v in doc.values() if isinstance(v, list))
for r in recs:
    print("t lookup del vsid %d ca %s" % (r["vsid"], shlex.quote(r["ca"])))
for r in recs:
    extra = "".join(" %s %s" % (k, shlex.quote(str(r[k]))) for k in ("type", "rule") if k in r)
    print("t lookup add vsid %d ca %s mac %s pa %s%s" % (r["vsid"], r["ca"], r["mac"], r["pa"], extra))
EOF
	. "$TMP/readd.sh" >/dev/null &&
	t -j lookup show >"$TMP/lookups2.json" &&
	python3 -c 'import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); sys.exit(a!=b)' \
		"$TMP/lookups.json" "$TMP/lookups2.json"
}
check "lookup records re-added from -j output show the same" roundtrip
check "datapath unchanged after the round trip" wait_for 5 ping_ok 0 10.0.1.7

# ---- clean exit, then --cleanup removes everything ----
check "tenetd still running" kill -0 "$AGENT_PID"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
AGENT_PID=
check "SIGTERM exits 0 (got $rc)" test "$rc" = 0
check "exit logged" log_has "exiting; programs stay attached"
check "programs stay attached after exit" \
	bash -c "ip netns exec $HOST tc filter show dev p1 ingress | grep -q tenet_tc_port"
check "datapath still forwards with no agent" ping_ok 0 10.0.1.7
tenetd_cleanup() { hx "$TENETD" --config "$TMP/tenetd.conf" --cleanup >>"$TMP/tenetd.log" 2>&1; }
check "tenetd --cleanup" tenetd_cleanup
check "no tc program left" \
	bash -c "! ip netns exec $HOST tc filter show dev p1 ingress | grep -q tenet"
check "no xdp program left" bash -c "! ip netns exec $HOST ip link show ul0 | grep -q xdp"
check "no tc program left on the underlay" \
	bash -c "! ip netns exec $HOST tc filter show dev ul0 ingress | grep -q tenet"
check "pins removed" test ! -e "$BPFFS/tenet/h1"

if [ "$failed" -gt 0 ] || [ "${V:-0}" = 1 ]; then
	echo "--- tenetd log"
	cat "$TMP/tenetd.log"
fi
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hitless agent restart. Two tenet hosts (namespaces), each with its own
# tenetd and bpffs, one shared store, underlays bridged in a fabric
# namespace; VMs on both. Continuous pings across the hosts (NVGRE) must
# lose no packet while the agents are stopped with SIGTERM, killed with
# SIGKILL and started again; a record changed while an agent is down is
# applied when it comes back.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
TENETD=${TENETD:-$BUILD/tenetd}
TENET=${TENET:-$BUILD/tenet}

FAB=tenet-hr-fab-$$
H=(tenet-hr-h1-$$ tenet-hr-h2-$$)
VMS=(tenet-hr-v1-$$ tenet-hr-v2-$$ tenet-hr-v3-$$ tenet-hr-v4-$$)
TMP=$(mktemp -d /tmp/tenet-hr.XXXXXX)
STORE=$TMP/store.db
PID=("" "")
COUNT=${COUNT:-1000}      # pings at 100/s: the restarts happen inside
passed=0
failed=0

cleanup() {
	for i in 0 1; do
		[ -n "${PID[$i]}" ] && kill "${PID[$i]}" 2>/dev/null && wait "${PID[$i]}" 2>/dev/null
	done
	for n in "${VMS[@]}" "${H[@]}" "$FAB"; do ip netns del "$n" 2>/dev/null; done
	umount "$TMP/bpf1" "$TMP/bpf2" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "[ OK ] $1"; passed=$((passed + 1)); }
fail() { echo "[FAIL] $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
# A missing prerequisite fails the suite: tests never skip.
fail_all() { echo "[FAIL] $1"; echo "0 passed, 1 failed"; exit 1; }

[ "$(id -u)" -eq 0 ] || fail_all "needs root"
[ -x "$TENETD" ] || fail_all "no $TENETD (make first)"
[ -x "$TENET" ] || fail_all "no $TENET (make first)"
command -v ethtool >/dev/null || fail_all "no ethtool"

t() { "$TENET" --store "$STORE" "$@"; }
vm() { local n=$1; shift; ip netns exec "${VMS[$n]}" "$@"; }
wait_for() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
ping_ok() { vm "$1" ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
# ready_count host: how many times its agent said it was ready.
ready_count() { grep -c "ready: host" "$TMP/tenetd$1.log" 2>/dev/null; }
ready_at_least() { [ "$(ready_count "$1")" -ge "$2" ]; }

# ---- two hosts on one underlay segment ----
ip netns add "$FAB" || exit 1
ip -n "$FAB" link add br0 type bridge
ip -n "$FAB" link set br0 up
for i in 1 2; do
	h=${H[$((i - 1))]}
	ip netns add "$h"
	ip -n "$h" link set lo up
	ip -n "$h" link add ul0 type veth peer name ul$i netns "$FAB"
	ip -n "$FAB" link set ul$i master br0 up
	mkdir -p "$TMP/bpf$i"
	# One bpffs per host, outside /sys so it outlives each `ip netns
	# exec`: the restarted agent finds its pins and libxdp its state.
	mount -t bpf bpf "$TMP/bpf$i" || fail_all "cannot mount bpffs"
	cat > "$TMP/tenetd$i.conf" <<EOF
host = h$i
underlay = ul0
store = $STORE
bpffs = $TMP/bpf$i
EOF
done

# add_vm index host-index port mac ip/len gateway
add_vm() {
	local ns=${VMS[$1]} h=${H[$2]}
	ip netns add "$ns"
	ip -n "$h" link add "$3" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 address "$4"
	ip -n "$ns" addr add "$5" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$6"
	# XDP_REDIRECT into a veth needs GRO (or XDP) on the peer end.
	ip netns exec "$ns" ethtool -K eth0 gro on >/dev/null
	ip -n "$h" link set "$3" up
}
add_vm 0 0 p1 00:15:5d:00:00:05 10.0.0.5/24 10.0.0.1
add_vm 1 1 p2 00:15:5d:00:00:07 10.0.0.7/24 10.0.0.1
add_vm 2 1 p3 00:15:5d:00:01:07 10.0.1.7/24 10.0.1.1

configure() {
	t rdomain add Contoso &&
	t vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	t vsubnet add 6001 rdomain Contoso prefix 10.0.1.0/24 &&
	t pa add 192.168.4.11/24 dev ul0 host h1 &&
	t pa add 192.168.4.22/24 dev ul0 host h2 &&
	t lookup add vsid 5001 ca 10.0.0.5 mac 00:15:5d:00:00:05 pa 192.168.4.11 &&
	t lookup add vsid 5001 ca 10.0.0.7 mac 00:15:5d:00:00:07 pa 192.168.4.22 &&
	t lookup add vsid 6001 ca 10.0.1.7 mac 00:15:5d:00:01:07 pa 192.168.4.22 &&
	t port set dev p1 vsid 5001 mac 00:15:5d:00:00:05 host h1 &&
	t port set dev p2 vsid 5001 mac 00:15:5d:00:00:07 host h2 &&
	t port set dev p3 vsid 6001 mac 00:15:5d:00:01:07 host h2
}
configure_quiet() { configure >"$TMP/configure.out"; }
check "configure with tenet" configure_quiet

# start host-number: tenetd itself is the background job (no shell in
# between), so PID[] gets the signals.
start() {
	ip netns exec "${H[$(($1 - 1))]}" "$TENETD" --config "$TMP/tenetd$1.conf" \
		>>"$TMP/tenetd$1.log" 2>&1 &
	PID[$(($1 - 1))]=$!
}
# restart host-number signal: stop the agent, start a new one, wait for it.
restart() {
	local n=$(($(ready_count "$1") + 1))
	kill "-$2" "${PID[$(($1 - 1))]}"
	wait "${PID[$(($1 - 1))]}" 2>/dev/null
	start "$1"
	wait_for 10 ready_at_least "$1" "$n"
}

start 1
start 2
check "h1 agent ready" wait_for 10 ready_at_least 1 1
check "h2 agent ready" wait_for 10 ready_at_least 2 1
check "ping across hosts, same VSID (NVGRE)" wait_for 5 ping_ok 0 10.0.0.7
check "ping across hosts, routed 5001 -> 6001" ping_ok 0 10.0.1.7
check "ping back, routed 6001 -> 5001" ping_ok 2 10.0.0.5

# ---- restarts under load ----
vm 0 ping -i 0.01 -c "$COUNT" -q 10.0.0.7 >"$TMP/ping-l2" 2>&1 &
P1=$!
vm 2 ping -i 0.01 -c "$COUNT" -q 10.0.0.5 >"$TMP/ping-l3" 2>&1 &
P2=$!
sleep 1
check "h1 agent restarted after SIGTERM" restart 1 TERM
sleep 0.5
check "h2 agent restarted after SIGTERM" restart 2 TERM
sleep 0.5
check "h1 agent restarted after SIGKILL" restart 1 KILL
sleep 0.5
check "h2 agent restarted after SIGKILL" restart 2 KILL
sleep 0.5
# Policy changed while h1's agent is down: the next one applies it.
kill -TERM "${PID[0]}"
wait "${PID[0]}" 2>/dev/null
add_vm 3 1 p4 00:15:5d:00:00:09 10.0.0.9/24 10.0.0.1
check "records added while h1 has no agent" bash -c \
	"'$TENET' --store '$STORE' lookup add vsid 5001 ca 10.0.0.9 mac 00:15:5d:00:00:09 \
		pa 192.168.4.22 &&
	 '$TENET' --store '$STORE' port set dev p4 vsid 5001 mac 00:15:5d:00:00:09 host h2"
start 1
check "h1 agent back" wait_for 10 ready_at_least 1 4
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
	grep -q "replacing the previous agent's" "$TMP/tenetd1.log"
check "restarted agent found the pinned state" \
	grep -q "entries from an earlier agent" "$TMP/tenetd2.log"
check "record added while down is applied after restart" wait_for 5 ping_ok 0 10.0.0.9
check "only one tc filter per port" \
	test "$(ip netns exec "${H[0]}" tc filter show dev p1 ingress | grep -c tenet_tc_port)" = 1

if [ "$failed" -gt 0 ] || [ "${V:-0}" = 1 ]; then
	for i in 1 2; do echo "--- tenetd h$i log"; cat "$TMP/tenetd$i.log"; done
	cat "$TMP/ping-l2" "$TMP/ping-l3"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

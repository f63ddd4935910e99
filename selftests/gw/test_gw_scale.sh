#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scale smoke of the gateway (run it in the stock-kernel guest): N (100)
# tenants, each with a routing domain, a gateway subnet, a compartment at
# the same 10.0.254.2 and NAT behind one shared external address, on one
# gateway host. The records are written while tenetd is stopped, with one
# `tenet batch` (process starts are slow under TCG); then tenetd starts and
# programs them all. Prints the seconds each part
# took and the memory per compartment (kernel: MemAvailable; agent: RSS).
# Then a few deletions with the agent running, the rest while it is
# stopped (a restarted agent must remove what it made for compartments
# that are gone), and a check that nothing is left.
. "$(dirname "$0")/../net/lib.sh"
lib_init gws
require_root
require_build
require_cmd nft
N=${GW_SCALE_N:-100}

fabric_add
fabric_bridge br1
host_add gw 192.168.4.33/24
fabric_link gw up0 br1
nx gw ip addr add 203.0.113.1/24 dev up0

g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
mem_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
agent_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/${AGENT_PID[gw]}/status"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
vrfs() { ip -n "${NS[gw]}" -br link show type vrf | grep -c '^tvrf'; }
snat_rules() { ip netns exec "${NS[gw]}" nft list chain ip tenet outbound 2>/dev/null | grep -c snat; }
rules() { ip -n "${NS[gw]}" rule | grep -c 'fwmark 0x7e4e'; }
programmed() { [ "$(vrfs)" = "$N" ] && [ "$(snat_rules)" = "$N" ] && [ "$(rules)" = "$N" ]; }

sync
mem0=$(mem_avail)
t0=$(now)
tenant_cmds() { # FIRST LAST
	local i
	for ((i = $1; i <= $2; i++)); do
		echo "rdomain add T$i"
		echo "vsubnet add $((100000 + i)) rdomain T$i prefix 10.0.254.0/24"
		echo "compartment add T$i rdomain T$i vsid $((100000 + i)) address 10.0.254.2/24"
		echo "nat add rdomain T$i external 203.0.113.1"
	done
}
tenant_cmds 1 "$N" >"$TMP/add.batch"
check "$N tenants written (rdomain, subnet, compartment, NAT: one tenet batch)" \
	eval 'g batch "$TMP/add.batch" >>"$TMP/tenet.out"'
t1=$(now)
host_start gw
check "tenetd on gw ready" host_wait_ready gw 300
check "$N compartments programmed (VRFs, fwmark rules, SNAT rules)" wait_for 300 programmed
t2=$(now)
sleep 1
mem1=$(mem_avail)
rss1=$(agent_rss)
info "$N compartments with NAT: store writes $(secs "$t0" "$t1")s ($((4 * N)) commands, one tenet batch)," \
     "tenetd start to all programmed $(secs "$t1" "$t2")s"
info "memory per compartment: $(( (mem0 - mem1) / N )) KiB (MemAvailable, kernel and" \
     "agent); tenetd RSS ${rss1} KiB in all"
one_more() {
	local i=$((N + 1)) a b
	a=$(now)
	tenant_cmds "$i" "$i" | g batch - >>"$TMP/tenet.out" &&
	N=$i wait_for 60 programmed || return 1
	b=$(now)
	info "one more compartment with $N present: $(secs "$a" "$b")s from the first write" \
	     "to programmed"
	N=$i
}
check "compartment $((N + 1)) added with the agent running" one_more
check "one table per compartment, all below 65536" \
	bash -c "[ \"\$(ip -n ${NS[gw]} -d link show type vrf | grep -o 'vrf table [0-9]*' | awk '\$3 > 10000 && \$3 < 65536' | wc -l)\" = $N ]"
check "exec works in the last compartment" \
	eval 'g exec "T$N" -- ip -4 addr show | grep -q 10.0.254.2'

t3=$(now)
del_some() {
	local i
	for ((i = N; i > N - 5; i--)); do
		g compartment del "T$i" >>"$TMP/tenet.out" || return 1
	done
	N=$((N - 5)) wait_for 60 programmed
}
check "5 compartments deleted with the agent running" del_some
N=$((N - 5))
host_stop gw
del_all() {
	local i
	for ((i = 1; i <= N; i++)); do
		echo "compartment del T$i"
	done | g batch - >>"$TMP/tenet.out"
}
check "the other $N deleted while tenetd is stopped" del_all
host_start gw
# Deletions nobody saw happen (the agent was stopped) are a mass deletion
# to the restarted agent: it refuses them until an operator confirms
# (docs/agent.md, "Failure behaviour").
check "the restarted tenetd refuses the unseen mass deletion" \
	wait_for 60 host_log_has gw "deletions: refusing to delete"
check "VRFs still there before the confirmation" test "$(vrfs)" -gt 0
check "tenet store accept-deletions" g store accept-deletions
nothing() {
	[ "$(vrfs)" = 0 ] && [ "$(rules)" = 0 ] &&
	! ip netns exec "${NS[gw]}" nft list table ip tenet >/dev/null 2>&1 &&
	[ -z "$(ip -n "${NS[gw]}" route show table all 2>/dev/null | grep 'proto 116')" ] &&
	! ip -n "${NS[gw]}" -br link | grep -q -e '^tgi' -e '^tgp'
}
check "the restarted tenetd removed everything (VRFs, veths, routes, rules, nft)" \
	wait_for 300 nothing
info "deletions and cleanup: $(secs "$t3" "$(now)")s"
finish

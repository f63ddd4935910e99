#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Filters at scale on the running kernel (docs/filters.md, "Performance"):
# 1,000 filters over 100 interfaces loaded as the filter reconciler does
# (filter_bench: first load, one change), then the per-packet cost through
# a filtered interface against an unfiltered one in the same run: a router
# namespace forwards UDP (64-byte payloads, iperf3) from a sender to
# receivers out of fb000 (10 deny filters that never match, reached through
# the verdict map) and out of ub000 (no filters: one failed map lookup),
# alternating, median of the rounds. Prints @filter lines for run.sh.
# usage: filter_bench.sh [-s]   (-s: smoke, 1-second rounds)
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
secs=3
rounds=5
[ "${1:-}" = -s ] && { secs=1; rounds=1; }
[ "$(id -u)" = 0 ] || { echo "filter_bench: needs root"; exit 1; }
command -v iperf3 >/dev/null || { echo "filter_bench: needs iperf3"; exit 1; }
sfx=$$
S=fbs$sfx R=fbr$sfx D=fbd$sfx E=fbe$sfx
cleanup() {
	local p
	for p in $(ip netns pids $D 2>/dev/null) $(ip netns pids $E 2>/dev/null); do kill "$p"; done
	ip netns del $E 2>/dev/null
	ip netns del $S 2>/dev/null; ip netns del $R 2>/dev/null; ip netns del $D 2>/dev/null; }
trap cleanup EXIT
for n in $S $R $D $E; do ip netns add $n; ip -n $n link set lo up; done
ip -n $S link add eth0 type veth peer name r0 netns $R
ip -n $R link add fb000 type veth peer name eth1 netns $D
ip -n $R link add ub000 type veth peer name eth2 netns $E
ip -n $S addr add 10.9.0.1/24 dev eth0
ip -n $R addr add 10.9.0.2/24 dev r0
ip -n $R addr add 10.9.1.1/24 dev fb000
ip -n $R addr add 10.9.2.1/24 dev ub000
ip -n $D addr add 10.9.1.2/24 dev eth1
ip -n $E addr add 10.9.2.2/24 dev eth2
for l in "$S eth0" "$R r0" "$R fb000" "$R ub000" "$D eth1" "$E eth2"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n $S route add default via 10.9.0.2
ip -n $D route add default via 10.9.1.1
ip -n $E route add default via 10.9.2.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1

ip netns exec $R "$BUILD/selftests/bench/filter_bench" -i 100 -f 1000 || exit 1
info=$(ip netns exec $R nft list table ip tenet_filter | grep -c 'counter name')
echo "rules in the table: $info"

ip netns exec $D iperf3 -s -D -p 5202 >/dev/null
ip netns exec $E iperf3 -s -D -p 5202 >/dev/null
sleep 0.5
# pps DST: received packets per second, one round
pps() {
	ip netns exec $S iperf3 -c "$1" -p 5202 -u -b 0 -l 64 -t "$secs" -J 2>/dev/null |
		python3 -c 'import json, sys
d = json.load(sys.stdin)["end"]["sum"]
print(int(d["packets"] * (1 - d["lost_percent"] / 100) / d["seconds"]))'
}
f=() u=()
for ((i = 0; i < rounds; i++)); do
	f+=("$(pps 10.9.1.2)")
	u+=("$(pps 10.9.2.2)")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
fm=$(med "${f[@]}")
um=$(med "${u[@]}")
echo "filtered interface: ${f[*]} pps; unfiltered: ${u[*]} pps"
echo "@filter filtered_pps $fm"
echo "@filter unfiltered_pps $um"
ip netns exec $R "$BUILD/selftests/bench/filter_bench" -d
exit 0

#!/bin/bash
# Run CMD in the namespace the BPF_PROG_TEST_RUN programs need: they look
# up the underlay in the kernel FIB and redirect to real ports, so packet
# tests and benchmarks run with an underlay veth, fixed MACs and
# neighbours, and port veths (the devices selftests/bpf/topo.c expects).
# usage: netns.sh CMD [ARGS...]
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
NS=tenet-pkt-$$
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT

ip netns add "$NS" || exit 1
n() { ip -n "$NS" "$@"; }
n link set lo up
n link add ul0 address 02:00:00:00:04:0b type veth peer name ul0p address 02:00:00:00:04:01
n addr add 192.168.4.11/24 dev ul0
n link set ul0 up
# Forwarding off, as tenetd leaves a host's underlay: encap reads the
# next-hop table (seeded as the agent fills it) and, without an entry, has
# the kernel route the frame, neither of which needs forwarding.
ip netns exec "$NS" sysctl -qw net.ipv4.conf.all.forwarding=0
ip netns exec "$NS" sysctl -qw net.ipv4.conf.ul0.forwarding=0
n link set ul0p up
# Remote PA on the same segment, and a router toward a PA further away.
n neigh add 192.168.4.22 lladdr 02:00:00:00:04:16 nud permanent dev ul0
n neigh add 192.168.4.1 lladdr 02:00:00:00:04:01 nud permanent dev ul0
n route add 192.168.9.0/24 via 192.168.4.1 dev ul0
for p in p1 p2 p3 p4; do
	n link add "$p" type veth peer name "${p}vm"
	n link set "$p" up
	n link set "${p}vm" up
done
ip netns exec "$NS" "$@"

#!/bin/bash
# Benchmarks: per-packet cost and table scale (prog_bench), in the packet
# test namespace. Arguments go to prog_bench (-s: smoke, -n SAMPLES).
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%F)"
exec selftests/bpf/netns.sh "$BUILD/selftests/bench/prog_bench" "$@"

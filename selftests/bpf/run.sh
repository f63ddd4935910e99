#!/bin/bash
# BPF_PROG_TEST_RUN packet tests; an argument selects cases by substring.
cd "$(dirname "$0")/../.." || exit 1
exec selftests/bpf/netns.sh "${BUILD:-build}/selftests/bpf/pkt_test" "$@"

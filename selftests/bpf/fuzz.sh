#!/bin/bash
# The randomized isolation test (selftests/bpf/fuzz.c) in the packet-test
# namespace. usage: fuzz.sh [-s SEED] [-n FRAMES] [-f FRAME] [-v]
cd "$(dirname "$0")/../.." || exit 1
exec selftests/bpf/netns.sh "${BUILD:-build}/selftests/bpf/pkt_test" --fuzz "$@"

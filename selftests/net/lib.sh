# SPDX-License-Identifier: GPL-2.0
# Shared by the namespace scenario tests (selftests/net/test_*.sh) and the
# demo. Source it, then call lib_init. Kernel-selftest style: one
# "[ OK ] name" or "[FAIL] name" line per check, "# ..." lines for
# information, and a closing "N passed, N failed" line; finish returns
# non-zero when anything failed. A missing prerequisite is a failure, never
# a skip.
#
# The topology it builds, all in network namespaces:
#
#   fabric   one namespace with bridges: br0 is the physical underlay (L2
#            segment of the PAs); more bridges can stand for other physical
#            networks (fabric_bridge).
#   host     a namespace with an underlay veth (ul0) into the fabric, a PA
#            written to the store with `tenet pa add`, and a tenetd of its
#            own (own config file, log, bpffs mount and pin path). Every
#            host shares one SQLite store file, $STORE, which lib_init
#            creates (`tenet store init`).
#   vm       a namespace whose eth0 is a veth into its host (the host end is
#            the tenet port), with a MAC, an address, a default route via
#            the subnet's .1 and GRO on (XDP_REDIRECT into a veth needs it).
#
# Names: every namespace is "tenet-<tag>-<name>-<pid>" (or, for the demo,
# "tenet-<tag>-<name>"), so parallel runs never collide; the EXIT trap stops
# the agents and background jobs, deletes the namespaces and unmounts the
# bpffs mounts. KEEP_TMP=1 (or TENET_KEEP_TMP=1, which reaches the guest)
# keeps the temporary directory (logs, captures).

set -u
LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LIB_SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$LIB_ROOT" || exit 1
BUILD=${BUILD:-build}
TENETD=${TENETD:-$BUILD/tenetd}
TENET=${TENET:-$BUILD/tenet}
ROUTER_MAC=02:54:4e:00:00:01
# A 1500-byte underlay leaves 1458 bytes for the VM after NVGRE's 42. tenetd
# lowers the host end of a port to that; the VM end must match (a cloud
# hands it out by DHCP), or the veth drops the VM's full-size frames.
VM_MTU=${VM_MTU:-1458}

passed=0
failed=0
LIB_TAG=
LIB_PREFIX=
LIB_SUFFIX=
TMP=
STORE=
LIB_NS=()             # namespaces created, in order
LIB_MOUNTS=()         # bpffs mounts
LIB_BG=()             # background jobs to stop at exit
LIB_HOSTS=()          # tenet hosts, in order
LIB_NFAB=0
LIB_VERBOSE=${LIB_VERBOSE:-0}   # 1: print every tenet command (the demo)
LIB_ETCD=0            # 1: the store is an etcd cluster (etcd_up)
LIB_NCTL=0
declare -A NS=()           # logical name -> namespace
declare -A AGENT_PID=()    # host -> tenetd pid
declare -A FABPORT=()      # "<ns>/<dev>" -> fabric-side veth name

# ---- reporting ----

# TENET_TIMING=1 prefixes each result with the seconds since the start.
lib_t() { [ -n "${TENET_TIMING:-}" ] && printf '%3ds ' "$SECONDS"; }
ok() { lib_t; echo "[ OK ] $1"; passed=$((passed + 1)); }
fail() { lib_t; echo "[FAIL] $1"; failed=$((failed + 1)); }
info() { echo "# $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
# The opposite: the command must fail.
check_not() { local name=$1; shift; if "$@"; then fail "$name"; else ok "$name"; fi; }
fail_all() { fail "$1"; finish; exit 1; }
finish() {
	if [ "$failed" -gt 0 ] || [ "${V:-0}" = 1 ]; then
		lib_dump_logs
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

lib_dump_logs() {
	local h
	for h in "${LIB_HOSTS[@]}"; do
		[ -f "$TMP/$h.log" ] || continue
		echo "--- tenetd $h log (last ${LOG_LINES:-40} lines)"
		tail -n "${LOG_LINES:-40}" "$TMP/$h.log"
	done
}

# ---- setup and teardown ----

# lib_init TAG [fixed]: namespace prefix tenet-TAG-*-$$ (fixed: no pid, for
# the demo, whose leftovers must be findable by name).
lib_init() {
	LIB_TAG=$1
	LIB_PREFIX=tenet-$1
	if [ "${2:-}" = fixed ]; then
		LIB_SUFFIX=
		TMP=/tmp/tenet-$1
		rm -rf "$TMP"
		mkdir -p "$TMP"
	else
		LIB_SUFFIX=-$$
		TMP=$(mktemp -d "/tmp/tenet-$1.XXXXXX")
	fi
	STORE=$TMP/store.db
	# python3 is Debian's, which has the modules scripts/deps.sh installs
	# (scapy, prometheus_client), also for commands run through ip netns
	# exec: a pyenv or venv python3 earlier in PATH may lack them, and a
	# pyenv shim costs 0.5 to 1.5 s per start, which tests that start
	# python hundreds of times feel.
	if [ -x /usr/bin/python3 ]; then
		mkdir -p "$TMP/bin" && ln -sf /usr/bin/python3 "$TMP/bin/python3" &&
		PATH=$TMP/bin:$PATH
	fi
	trap lib_cleanup EXIT
	trap 'exit 130' INT TERM
	# Neither tenet nor tenetd creates a store: this is the explicit step
	# (without a build, require_build says so next).
	[ -x "$TENET" ] && { lib_store_init "$STORE" || fail_all "tenet store init $STORE"; }
}

# lib_store_init PATH: create an empty store (`tenet store init`).
lib_store_init() {
	"$TENET" --store "$1" store init >/dev/null
}

# lib_alive PID: the process runs (a zombie child not yet waited for does
# not count: kill -0 would say yes to it).
lib_alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# lib_stop PID NAME [SECONDS [SIGNAL]]: send SIGNAL (TERM) to a background
# child and reap it; if it is still running SECONDS (10, times
# TENET_WAIT_SCALE) later, say so and SIGKILL it. A process that ignores
# SIGTERM must not hold a suite until the guest's time limit (a CI run lost
# a boot that way: every check had passed, the teardown's wait never
# returned). Returns 1 when it took SIGKILL.
lib_stop() {
	local p=$1 name=$2 end=$((SECONDS + ${3:-10} * ${TENET_WAIT_SCALE:-1})) cmd
	kill -"${4:-TERM}" "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	while lib_alive "$p"; do
		if [ $SECONDS -ge $end ]; then
			cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
			echo "# $name (pid $p: ${cmd:-?}) still running $((${3:-10} * ${TENET_WAIT_SCALE:-1})) s after SIG${4:-TERM}: SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null
			wait "$p" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	wait "$p" 2>/dev/null
	return 0
}

# lib_cleanup [STATUS]: the EXIT trap; it exits with STATUS (default: the
# status the script was leaving with), or 1 when an agent had to be killed.
# A trap that runs other commands first passes the script's status on:
#   trap 'rc=$?; frr_cleanup; lib_cleanup $rc' EXIT
lib_cleanup() {
	local rc=${1:-$?} p h i ns
	for p in "${LIB_BG[@]}"; do
		lib_stop "$p" "background job"
	done
	# An agent that does not stop on SIGTERM is a defect of tenetd's: the
	# suite fails with it, after the teardown.
	for h in "${LIB_HOSTS[@]}"; do
		p=${AGENT_PID[$h]:-}
		[ -n "$p" ] || continue
		lib_stop "$p" "tenetd of $h" 30 ||
			{ echo "[FAIL] tenetd of $h did not exit after SIGTERM (teardown)"; rc=1; }
	done
	# Anything else still running inside our namespaces (a test that
	# failed half-way may leave a ping or a server behind).
	for ns in "${LIB_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	for ((i = ${#LIB_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${LIB_NS[$i]}" 2>/dev/null
	done
	for p in "${LIB_MOUNTS[@]}"; do
		umount "$p" 2>/dev/null
	done
	if [ "${KEEP_TMP:-${TENET_KEEP_TMP:-0}}" = 1 ]; then
		if [ -n "${TENET_VM_OUT:-}" ]; then
			# In the guest /tmp dies with it: keep a copy outside.
			cp -r "$TMP" "$TENET_VM_OUT/" && echo "# kept $TENET_VM_OUT/$(basename "$TMP")"
		else
			echo "# kept $TMP"
		fi
	else
		rm -rf "$TMP"
	fi
	exit $rc
}

# spawn CMD...: a background job stopped at exit; its pid is in $BG_PID.
spawn() {
	"$@" &
	BG_PID=$!
	LIB_BG+=("$BG_PID")
}

require_root() { [ "$(id -u)" -eq 0 ] || fail_all "needs root"; }
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || fail_all "missing prerequisite: $c"
	done
}
require_build() {
	[ -x "$TENETD" ] || fail_all "no $TENETD (run make first)"
	[ -x "$TENET" ] || fail_all "no $TENET (run make first)"
}
# A python3 that has scapy (Debian's python3-scapy is for /usr/bin/python3,
# which a pyenv or venv python3 earlier in PATH does not see). Found, not
# imported: scapy takes 10 s to import under TCG, and the test that uses
# it imports it again anyway.
require_scapy() {
	local p
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import importlib.util, sys
sys.exit(importlib.util.find_spec("scapy") is None)' 2>/dev/null; then
			SCAPY_PY=$p
			return 0
		fi
	done
	fail_all "missing prerequisite: python3-scapy"
}

# require_kernel WHAT ARGS: a link kind the test needs (gretap: ip_gre;
# vlan: 8021q). Call it before lib_init, with the script's arguments. A
# kernel without it (the development kernel has neither) is not a reason
# to skip: the whole test re-runs itself in the stock-kernel guest
# (selftests/vm/run, docs/testing.md), and the guest's verdict is the
# test's. In the guest a missing link kind fails.
kernel_has() {
	local ns=tenet-probe-$$ rc
	ip netns add "$ns" 2>/dev/null || return 1
	case $1 in
	gretap) ip -n "$ns" link add g0 type gretap local 192.0.2.1 remote 192.0.2.2 key 1 ;;
	vlan) ip -n "$ns" link add v0 type veth peer name v1 &&
		ip -n "$ns" link add link v0 name v0.7 type vlan id 7 ;;
	*) false ;;
	esac 2>/dev/null
	rc=$?
	ip netns del "$ns"
	return $rc
}
require_kernel() {
	local what=$1; shift
	kernel_has "$what" && return 0
	if [ -n "${TENET_VM:-}" ]; then
		echo "[FAIL] kernel $(uname -r) in the guest cannot make a $what link"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "# kernel $(uname -r) cannot make a $what link: running $(basename "$LIB_SELF") in the stock-kernel guest"
	exec "$LIB_ROOT/selftests/vm/run" --timeout "${TENET_VM_TIMEOUT:-300}" -- "$LIB_SELF" "$@"
}

# wait_for SECONDS CMD...: retry every 0.1 s. The limit is multiplied by
# TENET_WAIT_SCALE (the vm runner sets 3 under TCG): it bounds how long a
# failure takes to be seen, not how long a pass takes.
wait_for() {
	# In microseconds: with SECONDS (whole seconds) 'wait_for 1' could
	# give up after a few ms, when the second ticked over at once.
	local end=$((${EPOCHREALTIME/./} + $1 * ${TENET_WAIT_SCALE:-1} * 1000000)); shift
	until "$@"; do [ "${EPOCHREALTIME/./}" -ge $end ] && return 1; sleep 0.1; done
}

# ---- namespaces ----

ns_add() {
	local ns=$LIB_PREFIX-$1$LIB_SUFFIX
	ip netns add "$ns" || fail_all "cannot create namespace $ns"
	LIB_NS+=("$ns")
	NS[$1]=$ns
	ip -n "$ns" link set lo up
	# IPv4 only: no IPv6 autoconfiguration chatter on the fabric or in
	# the VMs, so captures and counters show only what a test sends.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}
# nx NAME CMD...: run in a namespace by its logical name.
nx() { local n=${NS[$1]}; shift; ip netns exec "$n" "$@"; }

# fabric_add: the physical network namespace "fabric" with bridge br0.
fabric_add() {
	ns_add fabric
	fabric_bridge br0
}
fabric_bridge() {
	ip -n "${NS[fabric]}" link add "$1" type bridge
	ip -n "${NS[fabric]}" link set "$1" up
}
# fabric_link NAME DEV [BRIDGE]: a veth DEV in namespace NAME plugged into
# a fabric bridge (br0 by default). The fabric side is fpN, in $FABPORT.
fabric_link() {
	local n=$1 dev=$2 br=${3:-br0} fp
	LIB_NFAB=$((LIB_NFAB + 1))
	fp=fp$LIB_NFAB
	ip -n "${NS[$n]}" link add "$dev" type veth peer name "$fp" netns "${NS[fabric]}"
	ip -n "${NS[fabric]}" link set "$fp" master "$br" up
	# Offloads stay on (a veth's defaults: checksum, TSO, GSO, GRE
	# segmentation), so GSO super-packets cross the fabric whole with
	# their checksums still to be finished, as between containers. tenet
	# decapsulates at TC on a veth underlay (decap = auto), which keeps
	# that state; docs/datapath.md. fabric_offloads_on checks it.
	ip -n "${NS[$n]}" link set "$dev" up
	FABPORT[$n/$dev]=$fp
}
# fabric_offloads_on NAME DEV: checksum, TSO and GSO offloads are on.
fabric_offloads_on() {
	local k
	k=$(ip netns exec "${NS[$1]}" ethtool -k "$2") || return 1
	grep -q '^tx-checksumming: on' <<<"$k" &&
	grep -q '^tcp-segmentation-offload: on' <<<"$k" &&
	grep -q '^generic-segmentation-offload: on' <<<"$k"
}
# require_xdp_pass: build selftests/net/xdp_pass.bpf.c into $BUILD once
# (before require_kernel, so the guest finds it too). fabric_xdp_pass
# PORT...: attach it to fabric ports (fabric-side names, fabric_ports).
XDP_PASS_OBJ=$BUILD/selftests/net/xdp_pass.bpf.o
require_xdp_pass() {
	local src=selftests/net/xdp_pass.bpf.c
	[ -s "$XDP_PASS_OBJ" ] && [ "$XDP_PASS_OBJ" -nt "$src" ] && return 0
	mkdir -p "$(dirname "$XDP_PASS_OBJ")" &&
	${CLANG:-clang} -O2 -g -target bpf -I"/usr/include/$(${CC:-cc} -dumpmachine)" \
		-c "$src" -o "$XDP_PASS_OBJ" || fail_all "cannot build $XDP_PASS_OBJ (clang)"
}
fabric_xdp_pass() {
	local p
	for p in "$@"; do
		ip -n "${NS[fabric]}" link set dev "$p" xdpdrv obj "$XDP_PASS_OBJ" sec xdp || return 1
	done
}

# Fabric-side veths of every port of bridge br0 (for captures).
fabric_ports() {
	local br=${1:-br0}
	ip -n "${NS[fabric]}" -o link show master "$br" | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

# plain_add NAME IP/LEN [DEV [BRIDGE]]: a namespace on the fabric that is
# not a tenet host (a gretap host, a physical server, an attacker).
plain_add() {
	local dev=${3:-eth0}
	ns_add "$1"
	fabric_link "$1" "$dev" "${4:-br0}"
	ip -n "${NS[$1]}" addr add "$2" dev "$dev"
}

# ---- tenet ----

# tenet_cli ARGS: the tenet binary where the store is reachable (the root
# namespace, or with etcd_up the namespace "ops" on the control network).
tenet_cli() {
	if [ "$LIB_ETCD" = 1 ]; then
		ip netns exec "${NS[ops]}" "$TENET" "$@"
	else
		"$TENET" "$@"
	fi
}
# t ARGS: the tenet CLI on the shared store (printed first in verbose mode).
t() {
	[ "$LIB_VERBOSE" = 1 ] && echo "  \$ tenet $*"
	tenet_cli --store "$STORE" "$@"
}
# tq ARGS: the same, quiet (configuration steps); on failure the command
# and its error go to stderr. Everything is also kept in $TMP/tenet.out.
tq() {
	local out
	out=$(t "$@" 2>&1)
	local rc=$?
	printf '$ tenet %s\n%s\n' "$*" "$out" >>"$TMP/tenet.out"
	[ $rc = 0 ] || { echo "tenet $*: $out" >&2; return $rc; }
}

# host_add NAME PA/LEN: a tenet host. Its underlay ul0 goes into the fabric,
# its PA is recorded in the store (`tenet pa add ... host NAME`: the agent
# puts the address on ul0), its bpffs is mounted outside /sys (`ip netns
# exec` remounts /sys, and the pins must outlive one exec), and its config
# file is written. host_conf adds lines; host_start starts the agent.
host_add() {
	local h=$1 bpffs=$TMP/bpf-$1
	ns_add "$h"
	fabric_link "$h" ul0
	[ "$LIB_ETCD" = 1 ] && etcd_ctl_link "$h"
	mkdir -p "$bpffs"
	mount -t bpf bpf "$bpffs" || fail_all "cannot mount bpffs at $bpffs"
	LIB_MOUNTS+=("$bpffs")
	LIB_HOSTS+=("$h")
	cat >"$TMP/$h.conf" <<EOF
host = $h
underlay = ul0
store = $STORE
bpffs = $bpffs
EOF
	tq pa add "$2" dev ul0 host "$h" || fail_all "tenet pa add $2 for $h"
}
host_conf() { echo "$2" >>"$TMP/$1.conf"; }
host_bpffs() { echo "$TMP/bpf-$1"; }
# host_start NAME: tenetd itself is the background job (ip netns exec execs
# it), so signals sent to AGENT_PID reach it.
host_start() {
	ip netns exec "${NS[$1]}" "$TENETD" --config "$TMP/$1.conf" >>"$TMP/$1.log" 2>&1 &
	AGENT_PID[$1]=$!
}
host_log_has() { grep -q -- "$2" "$TMP/$1.log" 2>/dev/null; }
host_ready_count() { grep -c "ready: host $1" "$TMP/$1.log" 2>/dev/null; }
host_ready() { [ "$(host_ready_count "$1")" -ge "${2:-1}" ]; }
# host_wait_ready NAME [TIMEOUT [COUNT]]: the COUNTth "ready" line.
host_wait_ready() { wait_for "${2:-30}" host_ready "$1" "${3:-1}"; }
host_stop() {
	local p=${AGENT_PID[$1]:-}
	[ -n "$p" ] || return 0
	lib_stop "$p" "tenetd of $1" 30 || fail "tenetd of $1 exits on SIGTERM"
	AGENT_PID[$1]=
}
# host_start_all: start every host's agent and check each gets ready.
host_start_all() {
	local h
	for h in "${LIB_HOSTS[@]}"; do host_start "$h"; done
	for h in "${LIB_HOSTS[@]}"; do check "tenetd on $h ready" host_wait_ready "$h"; done
}
# host_ports_attached NAME DEV...: the agent attached its TC program.
host_ports_attached() {
	local h=$1 d; shift
	for d in "$@"; do
		nx "$h" tc filter show dev "$d" ingress 2>/dev/null | grep -q tenet_tc_port || return 1
	done
}

# stats_count HOST REASON: packets counted for one drop reason.
# (Text output and awk: python's start-up costs seconds under TCG.)
stats_count() {
	tenet_cli --store "$STORE" --pin-root "$TMP/bpf-$1/tenet" stats host "$1" |
		awk -v r="$2" '$1 == r && $2 == "packets" { n = $3 } END { print n + 0 }'
}

# vsid_count HOST VSID rx|tx|drops: packets counted for a VSID on HOST
# (tenet stats vsid: its slot of tenet_vstats, summed over CPUs).
vsid_count() {
	tenet_cli --store "$STORE" --pin-root "$TMP/bpf-$1/tenet" --host "$1" stats vsid "$2" |
		awk -v v="$2" -v f="$3" '$1 == "vsid" && $2 == v {
			for (i = 3; i < NF; i++) if ($i == f) n = f == "drops" ? $(i + 1) : $(i + 2) }
			END { print n + 0 }'
}

# host_pins HOST: the directory of HOST's pinned maps (this layout).
host_pins() {
	echo "$(host_bpffs "$1")/tenet/$1/v$(sed -n \
		's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)"
}

# host_vsid_slots HOST: "VSID slot" for each tenet_vsid entry of HOST's
# datapath (the VSID's counter slot in tenet_vstats), sorted by VSID.
host_vsid_slots() {
	bpftool map dump pinned "$(host_pins "$1")/tenet_vsid" |
		awk '/"key":/ { k = $2; gsub(/[^0-9]/, "", k) }
		     /"stats_slot":/ { s = $2; gsub(/[^0-9]/, "", s); print k, s }' | sort -n
}

# The slot of port DEV of HOST in tenet_portcache, the copy of tenet_port
# the datapath reads first (headers/tenet/maps.h): its index is the
# ifindex's low 12 bits (tenet_port_slot()); its bytes are valid, key
# (the ifindex), then tenet_port_val (VSID, routing domain, ...).
# portcache_key HOST DEV: the index as bpftool key bytes.
portcache_key() {
	local i
	i=$(nx "$1" cat "/sys/class/net/$2/ifindex") || return 1
	printf '%02x %02x 00 00' $((i & 255)) $(((i >> 8) & 15))
}
# portcache_get HOST DEV: the slot's bytes, in hex.
portcache_get() {
	bpftool -j map lookup pinned "$(host_pins "$1")/tenet_portcache" \
		key hex $(portcache_key "$1" "$2") |
		python3 -c 'import json, sys; print(" ".join("%02x" % int(x, 16) for x in json.load(sys.stdin)["value"]))'
}
# portcache_vsid HOST DEV: the VSID the slot holds, empty unless it is
# valid and DEV's own.
portcache_vsid() {
	portcache_get "$1" "$2" | python3 -c '
import sys
v = bytes.fromhex(sys.stdin.read())
if int.from_bytes(v[0:4], "little") == 1 and int.from_bytes(v[4:8], "little") == int(sys.argv[1]):
	print(int.from_bytes(v[8:12], "little"))' "$(nx "$1" cat "/sys/class/net/$2/ifindex")"
}
# portcache_poison HOST DEV VSID RDOMAIN: the slot made valid with DEV's
# entry but another VSID and routing domain (a copy behind its hash).
portcache_poison() {
	local v
	v=$(portcache_get "$1" "$2" | python3 -c '
import sys
v = bytearray(bytes.fromhex(sys.stdin.read()))
v[0:4] = (1).to_bytes(4, "little")
v[8:12] = int(sys.argv[1]).to_bytes(4, "little")
v[12:16] = int(sys.argv[2]).to_bytes(4, "little")
print(" ".join("%02x" % b for b in v))' "$3" "$4") || return 1
	bpftool map update pinned "$(host_pins "$1")/tenet_portcache" \
		key hex $(portcache_key "$1" "$2") value hex $v
}

# ---- VMs ----

# vm_add NAME HOST PORT MAC IP/LEN [GATEWAY|none]: a VM behind port PORT
# of HOST. The default route goes via GATEWAY, by default the subnet's .1
# (assumes a /24-or-longer prefix whose network ends in .0).
vm_add() {
	local v=$1 h=$2 port=$3 mac=$4 addr=$5 gw=${6:-}
	[ -n "$gw" ] || gw=${addr%.*/*}.1
	ns_add "$v"
	ip -n "${NS[$h]}" link add "$port" type veth peer name eth0 netns "${NS[$v]}"
	vm_nic_setup "$v" eth0 "$mac" "$addr"
	[ "$gw" = none ] || ip -n "${NS[$v]}" route add default via "$gw"
	ip -n "${NS[$h]}" link set "$port" up
}
# vm_nic NAME IF PEER-NS PEER-DEV MAC IP/LEN: one more NIC of a VM, a veth
# whose other end PEER-DEV lands in namespace PEER-NS (logical name).
vm_nic() {
	ip -n "${NS[$3]}" link add "$4" type veth peer name "$2" netns "${NS[$1]}"
	vm_nic_setup "$1" "$2" "$5" "$6"
	ip -n "${NS[$3]}" link set "$4" up
}
vm_nic_setup() {
	local ns=${NS[$1]}
	ip -n "$ns" link set "$2" address "$3" mtu "$VM_MTU"
	ip -n "$ns" addr add "$4" dev "$2"
	ip -n "$ns" link set "$2" up
	# XDP_REDIRECT into a veth needs GRO (or XDP) on the receiving end.
	ip netns exec "$ns" ethtool -K "$2" gro on >/dev/null
}

# gretap_host NAME IP PEER-IP KEY VM VM-MAC VM-IP/LEN: the kernel doing
# tenet's job, as a third-party NVGRE peer would: a plain host (no tenet)
# whose gretap to PEER-IP with KEY shares a bridge with a VM's port.
gretap_host() {
	plain_add "$1" "$2/24" ul0
	nx "$1" ip link add gt0 type gretap local "$2" remote "$3" key "$4"
	nx "$1" ip link add br0 type bridge
	nx "$1" ip link set gt0 master br0 up
	nx "$1" ip link set br0 up
	vm_add "$5" "$1" p0 "$6" "$7" none
	nx "$1" ip link set p0 master br0
}

# two_host_subnet_up VSID MAC-A MAC-B: the throughput topology's tenet
# side: VM a (10.0.0.5, port pa) on host1 (PA 192.168.4.11) and VM b
# (10.0.0.7, port pb) on host2 (PA 192.168.4.22) in one subnet of
# Contoso; configured through tenet, agents started, ports attached.
two_host_subnet_up() {
	local vsid=$1 ma=$2 mb=$3
	configure_two() {
		tq rdomain add Contoso &&
		tq vsubnet add "$vsid" rdomain Contoso prefix 10.0.0.0/24 &&
		tq lookup add vsid "$vsid" ca 10.0.0.5 mac "$ma" pa 192.168.4.11 &&
		tq lookup add vsid "$vsid" ca 10.0.0.7 mac "$mb" pa 192.168.4.22 &&
		tq port set dev pa vsid "$vsid" mac "$ma" host host1 &&
		tq port set dev pb vsid "$vsid" mac "$mb" host host2
	}
	check "configure one subnet across two hosts" configure_two
	host_start_all
	check "ports attached" wait_for 5 host_ports_attached host1 pa
	check "port attached on host2" wait_for 5 host_ports_attached host2 pb
}

# ping_ok VM DST / ping_fails VM DST: two echoes 0.2 s apart, 1 s to answer.
ping_ok() { nx "$1" ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ping_fails() { ! nx "$1" ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
# ping_ttl VM DST: the TTL of the first reply ("" if none).
ping_ttl() { nx "$1" ping -c 1 -W 1 "$2" 2>/dev/null | sed -n 's/.*ttl=\([0-9]*\).*/\1/p' | head -n 1; }
# neigh_mac VM IP: the MAC the VM's ARP table holds for IP.
neigh_mac() { nx "$1" ip neigh show "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
rx_packets() { nx "$1" cat "/sys/class/net/${2:-eth0}/statistics/rx_packets"; }

# ---- captures ----

# cap_start NAME NS IFACE...: dumpcap on interfaces of namespace NS into
# $TMP/NAME.pcapng, returns once it is capturing. cap_stop NAME ends it.
declare -A CAP_PID=()
cap_start() {
	local name=$1 ns=$2 args=() i; shift 2
	for i in "$@"; do args+=(-i "$i"); done
	: >"$TMP/$name.cap.log"
	ip netns exec "${NS[$ns]}" dumpcap -q "${args[@]}" -w "$TMP/$name.pcapng" \
		>"$TMP/$name.cap.log" 2>&1 &
	CAP_PID[$name]=$!
	LIB_BG+=("$!")
	wait_for 10 grep -q "^File:" "$TMP/$name.cap.log" || return 1
	sleep 0.3
}
cap_stop() {
	sleep 0.3
	kill -INT "${CAP_PID[$1]}" 2>/dev/null
	wait "${CAP_PID[$1]}" 2>/dev/null
	[ -s "$TMP/$1.pcapng" ]
}
# cap_read NAME TSHARK-ARGS...: tshark over a finished capture.
cap_read() { local n=$1; shift; tshark -r "$TMP/$n.pcapng" "$@" 2>/dev/null; }

# ---- etcd: the store as a cluster on the network ----

# etcd_up [N]: an etcd cluster of N members (default 3) as the store, from
# Debian's /usr/bin/etcd: each member in a namespace of its own (etcd1..N)
# on a control network of its own (bridge brc in the fabric namespace,
# $ETCD_NET.0/24; the underlay carries only tenet's traffic), data in
# $TMP/etcdN, logs in $TMP/etcdN.log. STORE becomes
# etcd://$ETCD_NET.1:2379,...; hosts added afterwards get a control NIC
# (ctl0) on that network, and the CLI (tenet_cli, t, tq) runs in namespace
# "ops" on it. Call after fabric_add and before host_add. ETCD_SEED=DIR
# starts the members on copies of DIR/etcdN (data dirs kept by a bench).
ETCD_NET=172.31.255
ETCD_N=0
declare -A ETCD_PID=()
etcd_up() {
	local n=${1:-3} i cluster=
	[ -x /usr/bin/etcd ] || fail_all "missing prerequisite: /usr/bin/etcd (make deps: etcd-server)"
	fabric_bridge brc
	ETCD_N=$n
	LIB_ETCD=1
	STORE=
	for i in $(seq 1 "$n"); do
		cluster+=${cluster:+,}m$i=http://$ETCD_NET.$i:2380
		STORE+=${STORE:+,}$ETCD_NET.$i:2379
	done
	ETCD_CLUSTER=$cluster
	STORE=etcd://$STORE
	for i in $(seq 1 "$n"); do
		ns_add "etcd$i"
		fabric_link "etcd$i" eth0 brc
		ip -n "${NS[etcd$i]}" addr add "$ETCD_NET.$i/24" dev eth0
		[ -n "${ETCD_SEED:-}" ] && cp -a "$ETCD_SEED/etcd$i" "$TMP/etcd$i"
		etcd_start "$i"
	done
	ns_add ops
	fabric_link ops eth0 brc
	ip -n "${NS[ops]}" addr add "$ETCD_NET.100/24" dev eth0
	wait_for 30 etcd_healthy || fail_all "etcd cluster of $n did not come up (logs: $TMP/etcd*.log)"
}
# etcd_start I: member I (again, on its data).
etcd_start() {
	local i=$1 ip=$ETCD_NET.$1
	ip netns exec "${NS[etcd$i]}" /usr/bin/etcd --name "m$i" --data-dir "$TMP/etcd$i" \
		--listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "$ETCD_CLUSTER" --initial-cluster-token "tenet$LIB_SUFFIX" \
		--initial-cluster-state new >>"$TMP/etcd$i.log" 2>&1 &
	ETCD_PID[$i]=$!
	LIB_BG+=("$!")
}
# etcd_stop I [SIGNAL]: stop member I (default KILL, as a crash).
etcd_stop() {
	local p=${ETCD_PID[$1]:-}
	[ -n "$p" ] || return 0
	lib_stop "$p" "etcd member $1" 10 "${2:-KILL}"
	ETCD_PID[$1]=
}
# etcdctl_ops ARGS: etcdctl on every member, from the control network.
etcdctl_ops() {
	ETCDCTL_API=3 ip netns exec "${NS[ops]}" etcdctl --endpoints="${STORE#etcd://}" \
		--dial-timeout=1s --command-timeout=3s "$@"
}
etcd_healthy() { etcdctl_ops endpoint health >/dev/null 2>&1; }
# etcd_leader: the number of the member that leads now (empty if none).
etcd_leader() {
	etcdctl_ops endpoint status 2>/dev/null |
		awk -F', ' -v net="$ETCD_NET." '$5 == "true" { sub(/^http:\/\//, "", $1); sub(net, "", $1); sub(/:.*/, "", $1); print $1 }'
}
# etcd_ctl_link HOST: the host's control NIC ctl0 ($ETCD_NET.(10 + n)).
etcd_ctl_link() {
	LIB_NCTL=$((LIB_NCTL + 1))
	fabric_link "$1" ctl0 brc
	ip -n "${NS[$1]}" addr add "$ETCD_NET.$((10 + LIB_NCTL))/24" dev ctl0
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Rate limits (docs/rates.md): accuracy and CPU cost. Two namespaces, a
# sender and a receiver, joined by a veth pair; iperf3 TCP from sender to
# receiver, one stream, in three conditions at each of 1, 5 and 50 Mbit/s:
#
#   tx    tenet's transmit limit (root tbf) on the sender's veth, iperf3
#         unpaced (-b 0): TCP against the shaper
#   rx    tenet's receive limit (clsact, matchall, police) on the
#         receiver's veth, iperf3 unpaced: TCP against the policer
#   none  no limit, iperf3 paced at the rate (-b): the same flow at the
#         same throughput, the reference for the cost
#
# The limits are installed by rate_bench (rate_bench.c): the rate
# reconciler's parameters and kernel side (rate_params, rate_kernel.c,
# lib/nl/tc.c), no `tc`. Runs alternate (each round: every rate, tx, rx,
# none, and one idle window). Each run lasts 2 + SECS + 1 s and is measured
# over the SECS seconds after its first 2 (the client's start, slow start
# and the full bucket stay outside). Medians over the rounds, spread in
# brackets:
#
#   got/limit       the application's rate (iperf3's server side, whole
#                   seconds after the first 2) / the limit
#   IP bytes/limit  IP bytes into the receiver's stack in the window
#                   (IpExt InOctets: past the policer) / the limit
#   CPU             all CPU time the machine spent in the window
#                   (/proc/stat: user, nice, system, irq, softirq, steal,
#                   all CPUs), less the idle window's rate, per GB of
#                   those IP bytes: both iperf3 processes, both stacks,
#                   the veth, the shaper's timer and softirqs wherever they
#                   ran, retransmissions; "kernel" is the part without
#                   user time (iperf3's own loop and pacing)
#   ratio           CPU per GB with the limit / without it, per round (the
#                   same round's runs), median
#
# The running kernel (6.18) has no cls_matchall, so the full benchmark
# runs in the Debian 6.1 guest (selftests/vm/run, TCG): both directions in
# one kernel, and a machine that runs nothing else, so the whole-machine
# CPU count is the flow's. Under TCG absolute CPU figures are ~10x those of
# real hardware; the ratios are the figure.
#
# usage: rate_bench.sh [-s] [-h]
#   -s  smoke, on the running kernel, no guest: tx and none at 5 Mbit/s,
#       one round with a 1-second window (the figures mean nothing)
# Environment: TENET_BENCH_SECS (4), TENET_BENCH_ROUNDS (3).
# Prints "# ..." lines and "@rate KEY VALUE" lines for selftests/bench/run.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. selftests/bench/lib.sh
bench_args "$@"
SECS=${TENET_BENCH_SECS:-4}
LEAD=2
ROUNDS=${TENET_BENCH_ROUNDS:-3}
RATES="1000 5000 50000"
CONDS="tx rx none"
if [ -n "$smoke" ]; then
	SECS=1 LEAD=0.5 ROUNDS=1 RATES=5000 CONDS="tx none"
elif [ -z "${TENET_VM:-}" ]; then
	echo "# the receive limit needs cls_matchall, which kernel $(uname -r) lacks: running in the stock-kernel guest"
	exec selftests/vm/run --timeout "${TENET_VM_TIMEOUT:-900}" -- selftests/bench/rate_bench.sh "$@"
fi
[ "$(id -u)" = 0 ] || { echo "rate_bench: needs root"; exit 1; }
command -v iperf3 >/dev/null || { echo "rate_bench: needs iperf3"; exit 1; }
RB=$BUILD/selftests/bench/rate_bench
[ -x "$RB" ] || { echo "rate_bench: no $RB (make)"; exit 1; }
HZ=$(getconf CLK_TCK)
OUT=$(mktemp -d /tmp/tenet-ratebench.XXXXXX)
A=rba$$ B=rbb$$
cleanup() {
	local p
	for p in $(ip netns pids $B 2>/dev/null); do kill "$p"; done
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$OUT"
}
trap cleanup EXIT
for n in $A $B; do
	ip netns add $n || exit 1
	ip -n $n link set lo up
	ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n $A link add a0 type veth peer name b0 netns $B || exit 1
ip -n $A addr add 10.77.0.1/24 dev a0
ip -n $B addr add 10.77.0.2/24 dev b0
ip -n $A link set a0 up
ip -n $B link set b0 up
ip netns exec $B iperf3 -s -J -D -p 5201 -I "$OUT/srv.pid" >/dev/null || { echo "rate_bench: iperf3 -s failed"; exit 1; }
for ((i = 0; i < 30; i++)); do
	ip netns exec $A iperf3 -c 10.77.0.2 -p 5201 -n 16K >/dev/null 2>&1 && break
	sleep 0.2
done
[ $i -lt 30 ] || { echo "rate_bench: no iperf3 server"; exit 1; }
echo "# kernel $(uname -r), $(nproc) CPUs, $SECS s per run, $ROUNDS rounds; rates ${RATES// /, } kbit/s"

# busy: "<all busy jiffies> <of them user+nice>", every CPU
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3; exit }' /proc/stat; }
# octets: IP bytes the receiver's stack took in (IpExt InOctets of its
# namespace, read through the server's /proc, no process entering it):
# past the policer, which drops before IP
SP=$(cat "$OUT/srv.pid")
octets() { awk '$1 == "IpExt:" { if (!c) { for (i = 2; i <= NF; i++) if ($i == "InOctets") c = i } else print $c }' "/proc/$SP/net/netstat"; }

# run ROUND KBPS COND: one iperf3 run of LEAD + SECS + 1 s, measured over
# the SECS-second window after LEAD (the client's start, slow start and
# the full bucket are outside it); appends to $OUT/runs:
# ROUND KBPS COND GOODPUT_BPS OCTETS BUSY_S USER_S WALL_S RETRANS
run() {
	local r=$1 k=$2 c=$3 b0 b1 o0 o1 t0 t1 bw=0 pid
	case $c in
	tx) ip netns exec $A "$RB" tx a0 "$k" ;;
	rx) ip netns exec $B "$RB" rx b0 "$k" ;;
	none) bw=$((k * 1000)) ;;
	esac >"$OUT/set" 2>&1 || { cat "$OUT/set"; echo "rate_bench: cannot set the $c limit"; return 1; }
	[ "$r" = 0 ] && cat "$OUT/set"
	ip netns exec $A iperf3 -c 10.77.0.2 -p 5201 -t $((${LEAD%.*} + SECS + 1)) -b "$bw" -l 16K -J \
		--get-server-output >"$OUT/iperf.json" 2>&1 &
	pid=$!
	sleep "$LEAD"
	b0=$(busy) o0=$(octets) t0=$(now)
	sleep "$SECS"
	b1=$(busy) o1=$(octets) t1=$(now)
	wait $pid
	local st=$?
	case $c in
	tx) ip netns exec $A "$RB" del tx a0 ;;
	rx) ip netns exec $B "$RB" del rx b0 ;;
	esac || return 1
	[ $st = 0 ] || { head -c 400 "$OUT/iperf.json"; echo; echo "rate_bench: iperf3 failed ($c $k)"; return 1; }
	python3 - "$OUT/iperf.json" "$r $k $c" "$b0" "$b1" "$o0" "$o1" "$t0" "$t1" "$HZ" "$LEAD" \
		>>"$OUT/runs" <<'EOF' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
b0, b1 = [list(map(int, a.split())) for a in sys.argv[3:5]]
o0, o1, t0, t1, hz, lead = map(float, sys.argv[5:11])
iv = [i["sum"] for i in d["server_output_json"]["intervals"]]
# the application's rate (payload) in the server's whole seconds after LEAD
late = [i for i in iv if i["start"] >= int(lead + 0.5) - 0.01 and i["seconds"] > 0.9] or iv
rate = sum(i["bytes"] for i in late) * 8 / sum(i["seconds"] for i in late)
print(sys.argv[2], int(rate), int(o1 - o0), (b1[0] - b0[0]) / hz, (b1[1] - b0[1]) / hz,
      "%.3f" % (t1 - t0), d["end"]["sum_sent"].get("retransmits", 0))
EOF
}
idle() {
	local b0 b1 t0 t1
	b0=$(busy) t0=$(now)
	sleep "$SECS"
	b1=$(busy) t1=$(now)
	echo "$1 0 idle 0 0 $(awk -v a="$b0" -v b="$b1" -v s="$t0" -v e="$t1" -v hz="$HZ" 'BEGIN {
		split(a, x, " "); split(b, y, " "); printf "%.2f %.2f %.3f", (y[1] - x[1]) / hz, (y[2] - x[2]) / hz, e - s }') 0" >>"$OUT/runs"
}

: >"$OUT/runs"
for ((r = 0; r < ROUNDS; r++)); do
	for k in $RATES; do
		for c in $CONDS; do
			run $r "$k" $c || exit 1
		done
	done
	idle $r
done

python3 - "$OUT/runs" <<'EOF'
import statistics as st, sys
runs = [l.split() for l in open(sys.argv[1])]
R = {}
idle = {}
for r, k, c, rate, got, busy, user, wall, retr in runs:
	r = int(r)
	if c == "idle":
		idle[r] = (float(busy) / float(wall), float(user) / float(wall))
		continue
	R[(r, int(k), c)] = dict(rate=int(rate), got=int(got), busy=float(busy), user=float(user),
				 wall=float(wall), retr=int(retr))
def med(v): return st.median(v) if v else 0
def spread(v): return "(%s-%s)" % (fmt(min(v)), fmt(max(v))) if len(v) > 1 else ""
def fmt(x): return "%.3g" % x if abs(x) < 100 else "%.0f" % x
for r, k, c in sorted(R):
	x = R[(r, k, c)]
	ib, iu = idle[r]
	x["cpu"] = (x["busy"] - ib * x["wall"]) / x["got"] * 1e9
	x["kcpu"] = ((x["busy"] - x["user"]) - (ib - iu) * x["wall"]) / x["got"] * 1e9
	x["ip"] = x["got"] * 8 / x["wall"]
	print("# round %d %5d kbit/s %-4s: %7.3f Mbit/s (IP %7.3f), %6.2f MB in %.1f s, CPU %.2f s (user %.2f; idle %.3f/s), %d retransmits"
	      % (r, k, c, x["rate"] / 1e6, x["ip"] / 1e6, x["got"] / 1e6, x["wall"], x["busy"], x["user"], ib, x["retr"]))
rounds = sorted({r for r, _, _ in R})
rates = sorted({k for _, k, _ in R})
conds = [c for c in ("tx", "rx", "none") if any(cc == c for _, _, cc in R)]
print("# idle machine: %.3f CPU-s per s (median of the idle windows)" % med([v[0] for v in idle.values()]))
print("#")
print("# %-12s %-4s %-20s %-20s %-20s %-22s %-22s %s" % ("limit", "", "Mbit/s", "got/limit", "IP bytes/limit", "CPU s/GB", "kernel CPU s/GB", "retransmits"))
for k in rates:
	for c in conds:
		xs = [R[(r, k, c)] for r in rounds if (r, k, c) in R]
		rate = [x["rate"] / 1e6 for x in xs]
		acc = [x["rate"] / (k * 1000) for x in xs]
		ipacc = [x["ip"] / (k * 1000) for x in xs]
		cpu = [x["cpu"] for x in xs]
		kcpu = [x["kcpu"] for x in xs]
		retr = [x["retr"] for x in xs]
		print("# %-12s %-4s %-20s %-20s %-20s %-22s %-22s %s" % ("%d kbit/s" % k, c,
		      fmt(med(rate)) + " " + spread(rate), "%.3f %s" % (med(acc), spread(acc)),
		      "%.3f %s" % (med(ipacc), spread(ipacc)),
		      fmt(med(cpu)) + " " + spread(cpu), fmt(med(kcpu)) + " " + spread(kcpu),
		      "%d %s" % (med(retr), spread(retr))))
		if c != "none":
			print("@rate acc_%s_%d %.3f" % (c, k, med(acc)))
			print("@rate ipacc_%s_%d %.3f" % (c, k, med(ipacc)))
		print("@rate cpu_%s_%d %.1f" % (c, k, med(cpu)))
print("#")
print("# CPU per GB with the limit / without it, per round, median (spread); kernel only after the slash")
for k in rates:
	for c in conds:
		if c == "none":
			continue
		ra = [R[(r, k, c)]["cpu"] / R[(r, k, "none")]["cpu"] for r in rounds
		      if (r, k, c) in R and (r, k, "none") in R and R[(r, k, "none")]["cpu"] > 0]
		rk = [R[(r, k, c)]["kcpu"] / R[(r, k, "none")]["kcpu"] for r in rounds
		      if (r, k, c) in R and (r, k, "none") in R and R[(r, k, "none")]["kcpu"] > 0]
		print("# %6d kbit/s %-2s: %.2fx %s / kernel %.2fx %s" % (k, c, med(ra), spread(ra), med(rk), spread(rk)))
		print("@rate ratio_%s_%d %.2f" % (c, k, med(ra)))
		print("@rate kratio_%s_%d %.2f" % (c, k, med(rk)))
EOF

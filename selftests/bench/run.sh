#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tenet benchmarks (`make bench`): figures, not pass/fail. Every figure
# that matters is a ratio measured side by side in the same run.
#
#   1. per-packet cost and table scale, BPF_PROG_TEST_RUN (prog_bench, in
#      the packet-test namespace), each path against its floor (the
#      unavoidable helpers alone, floor.bpf.c), with the route lookup alone
#      against the kernel LPM trie
#   2. control plane on the running kernel (cp_bench.sh): 1M-record load,
#      agent RSS, change latency over 3 agents
#   3. pps and TCP through veth, tenet against kernel gretap, in the
#      Debian 6.1 guest (net_bench.sh; the running kernel has no GRE)
#   4. site-to-site VPN in the guest (s2s_bench.sh): iperf3 through a
#      tunnel against plain XFRM with the same cipher; 100 tenants with a
#      tunnel each: time to bring them up, memory per tunnel, one busy
#      tunnel against another
#   5. native speed on the running kernel (native_bench.sh): tenet, kernel
#      VXLAN + bridge and a plain bridge, 64-byte pps (per busy core), TCP,
#      ping RTT; not in the smoke
#   6. filters on the running kernel (filter_bench.sh): 1,000 filters over
#      100 interfaces, load and change time; UDP pps out of a filtered
#      interface against an unfiltered one
#   7. rate limits (rate_bench.sh), in the guest (the running kernel has
#      no cls_matchall): accuracy of the tx (tbf) and rx (police) limits
#      at 1, 5 and 50 Mbit/s, CPU per GB against the same flow unlimited
#      at the same rate; the smoke: tx at 5 Mbit/s on the running kernel
#   8. remote-access VPN in the guest (ravpn_bench.sh): 200 users of two
#      tenants with the same pool dialing at once, time to all connected
#      and memory per user; one user's iperf3 against an S2S tunnel's
#   9. BGP per compartment in the guest (bgp_bench.sh; tenetd, FRR, BIRD
#      2): 100 tenants with a session each (time to all Established,
#      memory per tenant), 100,000 prefixes into one tenant (time into its
#      VRF table, per-packet cost with and without them), failover with
#      and without BFD; not in the smoke
#
# Each part prints its details; the end is one table: figure, measured,
# target, ratio, met/missed. A part that fails shows as "failed" there and
# makes the exit status 1.
#
# usage: run.sh [-s] [-n SAMPLES] [-h]
#   -s  smoke (`make check`): small tables and few samples, 20k records and
#       20 changes, no guest part (it takes minutes under TCG), no native
#       comparison
#   -n  samples per prog_bench case (default 20000)
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
usage() { sed -n '3,40p' "$0" | sed 's/^# \{0,1\}//'; }
smoke=
pargs=()
while getopts sn:h o; do
	case $o in
	s) smoke=1; pargs+=(-s) ;;
	n) pargs+=(-n "$OPTARG") ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
OUT=$(mktemp -d /tmp/tenet-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
rc=0
start=$SECONDS

echo "machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(free -g | awk '/Mem:/ { print $2 }') GiB, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M UTC')"

# part NAME CMD...: run a part, its output shown and kept for the table.
part() {
	local name=$1 t0=$SECONDS; shift
	echo
	echo "=== $name"
	local st
	"$@" 2>&1 | tee "$OUT/$name.log" | grep -v '^@\|^tenetd: \|^--- tenetd'
	st=${PIPESTATUS[0]}
	if [ "$st" != 0 ]; then
		echo "=== $name FAILED"
		rc=1
	fi
	echo "=== $name: $((SECONDS - t0)) s"
}
part prog selftests/bpf/netns.sh "$BUILD/selftests/bench/prog_bench" "${pargs[@]}"
part cp selftests/bench/cp_bench.sh ${smoke:+-s}
part filter selftests/bench/filter_bench.sh ${smoke:+-s}
part rate selftests/bench/rate_bench.sh ${smoke:+-s}
if [ -z "$smoke" ]; then
	part net selftests/bench/net_bench.sh
	part s2s selftests/bench/s2s_bench.sh
	part ravpn selftests/bench/ravpn_bench.sh
	part native selftests/bench/native_bench.sh
	part bgp selftests/bench/bgp_bench.sh
fi

# ---- the table ----
cat "$OUT"/*.log | grep '^@' | awk -v smoke="$smoke" '
function row(fig, meas, tgt, ratio, verdict) {
	printf "| %-44s | %-26s | %-12s | %-11s | %-6s |\n", fig, meas, tgt, ratio, verdict
}
function v(ok) { return ok ? "met" : "MISSED" }
function sz(n) { return n >= 1000000 ? n / 1000000 "M" : n >= 1000 ? n / 1000 "k" : n }
$1 == "@prog" {
	net[$2] = $3; tgt[$2] = $4; ga[$2] = $5; gc[$2] = $6; xp[$2] = $7; np++
	name[$2 + 1] = $8; for (k = 9; k <= NF; k++) name[$2 + 1] = name[$2 + 1] " " $k
}
$1 == "@floor" {
	i = nf++; fc[i] = $3; ff[i] = $4; fname[i] = $5; for (k = 6; k <= NF; k++) fname[i] = fname[i] " " $k
}
$1 == "@sizes" { rec0 = sz($2); rec1 = sz($3); rt1 = sz($4); rt2 = sz($5) }
$1 == "@route" { rb[$2] = $3; rc[$2] = $4 }
$1 == "@cp" { cp[$2] = $3 }
$1 == "@native" { nt[$2] = $3; nx[$2] = $4; nb[$2] = $5 }
$1 == "@abl" { abl = 1; al = $2; af = $3; am = $4; aa = $5; ar = $6; aw = $7 }
$1 == "@trace" { tr[$2] = 1; toff[$2] = $3; tarm[$2] = $4; tcp[$2] = $5
	tname[$2] = $6; for (k = 7; k <= NF; k++) tname[$2] = tname[$2] " " $k }
$1 == "@net" { n1[$2] = $3; n2[$2] = $4; n3[$2] = $5; n4[$2] = $6; n5[$2] = $7; n6[$2] = $8 }
$1 == "@s2s" { s2s[$2] = $3 }
$1 == "@ravpn" { rav[$2] = $3 }
$1 == "@filter" { flt[$2] = $3 }
$1 == "@rate" { rt[$2] = $3 }
$1 == "@bgp" { bgp[$2] = $3 }
END {
	print ""
	print "tenet benchmark summary" (smoke ? " (SMOKE: small tables, few samples; figures mean nothing)" : "")
	print ""
	row("figure", "measured", "target", "ratio", "")
	print "|----------------------------------------------|----------------------------|--------------|-------------|--------|"
	if (np == 0) row("per-packet cost (prog_bench)", "failed", "", "", "-")
	for (i = 0; i < np; i++) {
		if (tgt[i] == 0) {
			row(name[i + 1] " ns/pkt (net)", sprintf("%.0f ns", net[i]), "-", sprintf("%.2fx pass", xp[i]), "-")
			continue
		}
		row(name[i + 1] " ns/pkt (net)", sprintf("%.0f ns", net[i]), sprintf("<= %d ns", tgt[i]),
		    sprintf("%.2fx pass", xp[i]), v(net[i] <= tgt[i]))
	}
	# Each path as a multiple of its floor (floor.bpf.c), both net.
	for (i = 0; i < nf; i++) {
		r = ff[i] > 0 ? fc[i] / ff[i] : 0
		row("  " fname[i] " x floor", sprintf("%.0f / %.0f ns", fc[i], ff[i]), "<= 1.5x", sprintf("%.2fx floor", r), v(ff[i] > 0 && r <= 1.5))
	}
	if (abl)
		row("  encap: fib / maps / adjust / mtu / redir", sprintf("%.0f/%.0f/%.0f/%.0f/%.0f ns", af, al, aa, am, ar), "-", sprintf("of %.0f ns", aw), "-")
	for (i = 0; i in tr; i++)
		row("  trace: " tname[i], sprintf("%.0f/%.0f/%.0f ns", toff[i], tarm[i], tcp[i]), "-", "off/other/copied", "-")
	if (np) {
		ma = 0; mc = 0
		for (i = 0; i < np; i++) { if (ga[i] > ma) ma = ga[i]; if (gc[i] > mc) mc = gc[i] }
		row(rec0 " -> " rec1 " lookup records, worst growth", "", "<= 1.3x", sprintf("%.2fx", ma), v(ma <= 1.3))
		row(rt1 " -> " rt2 " customer routes, worst growth", "", "<= 1.3x", sprintf("%.2fx", mc), v(mc <= 1.3))
	}
	if ("tenet" in rb) {
		g = rb["tenet"] > 0 ? rc["tenet"] / rb["tenet"] : 0
		row("route lookup alone, " rt1 " -> " rt2 " routes", sprintf("%.0f -> %.0f ns", rb["tenet"], rc["tenet"]), "<= 1.3x", sprintf("%.2fx", g), v(g <= 1.3))
		g = rb["trie"] > 0 ? rc["trie"] / rb["trie"] : 0
		row("  before: kernel LPM trie (layout 1)", sprintf("%.0f -> %.0f ns", rb["trie"], rc["trie"]), "<= 1.3x", sprintf("%.2fx", g), v(g <= 1.3))
		row("  tenet / LPM trie at " rt2 " routes", "", "-", sprintf("%.2fx", rc["trie"] > 0 ? rc["tenet"] / rc["trie"] : 0), "-")
	}
	if ("pps64" in n1) {
		for (s = 0; s < 2; s++) {
			k = s ? "pps1400" : "pps64"; fsz = s ? "1400" : "64"
			r = n2[k] > 0 ? n1[k] / n2[k] : 0
			row("pps " fsz " B, tenet vs gretap (guest, TCG)", sprintf("%d / %d pps", n1[k], n2[k]), ">= 2.0x", sprintf("%.2fx", r), v(r >= 2.0))
			r = n4[k] > 0 ? n3[k] / n4[k] : 0
			row("  per busy core", sprintf("%d / %d pps", n3[k], n4[k]), ">= 2.0x", sprintf("%.2fx", r), v(r >= 2.0))
		}
	} else if (!smoke) row("pps through veth (guest)", "failed", ">= 2.0x", "", "-")
	else row("pps through veth (guest)", "not in the smoke", ">= 2.0x", "", "-")
	if ("tcp1" in n1) {
		for (s = 0; s < 2; s++) {
			k = s ? "tcp4" : "tcp1"; st = s ? "4 streams" : "1 stream"
			r = n2[k] > 0 ? n1[k] / n2[k] : 0
			row("TCP " st ", tenet vs gretap (guest)", sprintf("%d / %d Mbit/s", n1[k], n2[k]), ">= 1.0x", sprintf("%.2fx", r), v(r >= 1.0))
		}
		# GSO at the sending VM and GRO at the receiving one, tenet
		# (gretap in brackets): average bytes per skb above the MTU.
		k = "gso1"
		row("GSO: sending VM skb avg, tenet (gretap)", sprintf("%d (%d) B", n1[k], n4[k]), "> 1458 B", "", v(n1[k] > 1458))
		row("GRO: receiving VM skb avg, tenet (gretap)", sprintf("%d (%d) B", n3[k], n6[k]), "> 1458 B", "", v(n3[k] > 1458))
	} else if (!smoke) row("TCP (guest)", "failed", ">= 1.0x", "", "-")
	if ("tunnel_mbps" in s2s) {
		r = s2s["plain_mbps"] > 0 ? s2s["tunnel_mbps"] / s2s["plain_mbps"] : 0
		row("iperf3 S2S tunnel vs plain XFRM (guest)", sprintf("%.0f / %.0f Mbit/s", s2s["tunnel_mbps"], s2s["plain_mbps"]), ">= 0.95x", sprintf("%.2fx", r), v(r >= 0.95))
	} else if (!smoke) row("iperf3 S2S tunnel vs plain XFRM (guest)", "failed", ">= 0.95x", "", "-")
	if ("up_s" in s2s) {
		row("100 tenant tunnels: sites dial to all up", s2s["up_s"] " s", "-", "", "-")
		row("  store write to all programmed", s2s["program_s"] " s", "-", "", "-")
		row("  memory per tunnel (kernel + charon + agent)", s2s["mem_kib"] " KiB (" s2s["charon_kib"] " / " s2s["agent_kib"] ")", "-", "", "-")
		r = s2s["quiet_alone"] > 0 ? s2s["quiet_shared"] / s2s["quiet_alone"] : 0
		row("  a tunnel while another is saturated", sprintf("%.0f / %.0f Mbit/s", s2s["quiet_shared"], s2s["quiet_alone"]), "-", sprintf("%.2fx", r), "-")
	} else if (!smoke) row("100 tenant tunnels (guest)", "failed", "-", "", "-")
	if ("up_s" in rav) {
		row("RA burst: " rav["n"] " users, 2 tenants (guest)", rav["up_s"] " s to all up", "-", "", "-")
		if ("admit_s" in rav) row("  to the agent admitting the last user (limits, log)", rav["admit_s"] " s", "-", "", "-")
		row("  memory per user (charon + kernel)", rav["mem_kib"] " KiB (" rav["charon_kib"] " / " rav["kernel_kib"] ")", "-", "", "-")
	} else if (!smoke) row("remote-access burst (guest)", "failed", "-", "", "-")
	if ("ra_mbps" in rav) {
		r = rav["s2s_mbps"] > 0 ? rav["ra_mbps"] / rav["s2s_mbps"] : 0
		row("iperf3 one RA user vs an S2S tunnel (guest)", sprintf("%.0f / %.0f Mbit/s", rav["ra_mbps"], rav["s2s_mbps"]), "-", sprintf("%.2fx", r), "-")
	} else if (!smoke) row("iperf3 RA user vs S2S tunnel (guest)", "failed", "-", "", "-")
	# Native speed: tenet / VXLAN + bridge / plain bridge, ratios tenet/VXLAN
	# and tenet/bridge.
	if ("pps" in nt && nt["pps"] > 0) {
		r1 = nx["pps"] > 0 ? nt["pps"] / nx["pps"] : 0; r2 = nb["pps"] > 0 ? nt["pps"] / nb["pps"] : 0
		row("64 B pps, tenet / VXLAN / bridge (native)", sprintf("%.0fk / %.0fk / %.0fk", nt["pps"] / 1000, nx["pps"] / 1000, nb["pps"] / 1000), "-", sprintf("%.2fx/%.2fx", r1, r2), "-")
		r1 = nx["ppscore"] > 0 ? nt["ppscore"] / nx["ppscore"] : 0; r2 = nb["ppscore"] > 0 ? nt["ppscore"] / nb["ppscore"] : 0
		row("  per busy core", sprintf("%.0fk / %.0fk / %.0fk", nt["ppscore"] / 1000, nx["ppscore"] / 1000, nb["ppscore"] / 1000), ">= 2x / 1x", sprintf("%.2fx/%.2fx", r1, r2), v(r1 >= 2.0 && r2 >= 1.0))
		for (s = 1; s <= 4; s += 3) {
			k = "tcp" s; r1 = nx[k] > 0 ? nt[k] / nx[k] : 0; r2 = nb[k] > 0 ? nt[k] / nb[k] : 0
			row("TCP " s " stream" (s > 1 ? "s" : "") ", Mbit/s (native)", sprintf("%.0f / %.0f / %.0f", nt[k], nx[k], nb[k]), ">= 1x VXLAN", sprintf("%.2fx/%.2fx", r1, r2), v(r1 >= 1.0))
		}
		for (s = 50; s <= 99; s += 49) {
			k = "rtt" s; r1 = nx[k] > 0 ? nt[k] / nx[k] : 0; r2 = nb[k] > 0 ? nt[k] / nb[k] : 0
			row("ping p" s ", us (native)", sprintf("%.0f / %.0f / %.0f", nt[k], nx[k], nb[k]), "<= 1x VXLAN", sprintf("%.2fx/%.2fx", r1, r2), v(r1 <= 1.0))
		}
	} else if (!smoke) row("native comparison", "failed", "", "", "-")
	if ("load_ms" in flt) {
		row("1,000 filters on 100 interfaces: load", flt["load_ms"] " ms", "-", "", "-")
		row("  one change with them present", flt["change_ms"] " ms", "-", "", "-")
	} else row("filters at scale (filter_bench)", "failed", "-", "", "-")
	if (flt["unfiltered_pps"] > 0) {
		r = flt["filtered_pps"] / flt["unfiltered_pps"]
		row("UDP pps out of a filtered / unfiltered if", flt["filtered_pps"] " / " flt["unfiltered_pps"], "~1.0x", sprintf("%.2fx", r), v(r >= 0.9))
	} else row("pps filtered / unfiltered interface", "failed", "~1.0x", "", "-")
	# Rate limits at 1, 5 and 50 Mbit/s: received / limit, and CPU per GB
	# with the limit / the same flow without it at the same rate.
	for (d = 0; d < 2; d++) {
		k = d ? "rx" : "tx"
		if (!(("acc_" k "_5000") in rt)) {
			row("rate limit " k ", 1/5/50 Mbit/s (rate_bench)", smoke ? "not in the smoke" : "failed", "-", "", "-")
			continue
		}
		m = ""; c = ""
		for (i = 0; i < 3; i++) {
			r = i == 0 ? 1000 : i == 1 ? 5000 : 50000
			m = m (i ? " / " : "") (("acc_" k "_" r) in rt ? sprintf("%.2f", rt["acc_" k "_" r]) : "-")
			c = c (i ? " / " : "") (("ratio_" k "_" r) in rt ? sprintf("%.2fx", rt["ratio_" k "_" r]) : "-")
		}
		row("rate " k " (" (d ? "police" : "tbf") ") 1/5/50 Mbit/s: got/limit", m, "-", "", "-")
		row("  CPU per GB, limit / none at the rate", c, "-", "", "-")
	}
	if ("load_s" in cp) {
		row((smoke ? "20k" : "1M") " records: tenetd start to maps filled", cp["load_s"] " s", "< 3 s", "", v(cp["load_s"] < 3))
		row("  agent CPU time for it (user + sys)", cp["load_cpu_s"] " s", "-", "", "-")
		row("  agent VmRSS / VmHWM (on huge pages)", cp["rss_mib"] " / " cp["hwm_mib"] " MiB (" cp["thp_mib"] ")", "-", "", "-")
		if ("touch_s" in cp)
			row("  control: any process touching VmHWM of fresh memory", cp["touch_s"] " s", "-", "", "-")
	} else row("record load (cp_bench)", "failed", "< 3 s", "", "-")
	if ("cpu_big_p99_ms" in cp)
		row("agent CPU per change, " (smoke ? "20k" : "1M") " records, p50/p99", cp["cpu_big_p50_ms"] " / " cp["cpu_big_p99_ms"] " ms", "p99 < 5 ms", "", v(cp["cpu_big_p99_ms"] < 5))
	else row("agent CPU per change (cp_bench)", "failed", "p99 < 5 ms", "", "-")
	if ("idle_4k_p99_ms" in cp)
		row("  controls: idle processes of its size per wake-up, 4k / huge pages, and the agent per change beside them, p99", cp["idle_4k_p99_ms"] " / " cp["idle_huge_p99_ms"] " / " cp["cpu_ctl_p99_ms"] " ms", "-", "", "-")
	if ("cpu_1k_p99_ms" in cp)
		row("  the same at 1k records, p50 / p99", cp["cpu_1k_p50_ms"] " / " cp["cpu_1k_p99_ms"] " ms", "-", "", "-")
	if ("p99_ms" in cp) {
		row("change -> 3 agents maps, p50 / p99", cp["p50_ms"] " / " cp["p99_ms"] " ms", "p99 < 100 ms", "", v(cp["p99_ms"] < 100))
		row("  from the CLI start, p50 / p99", cp["e2e_p50_ms"] " / " cp["e2e_p99_ms"] " ms", "-", "", "-")
	} else row("change latency (cp_bench)", "failed", "p99 < 100 ms", "", "-")
	if ("batch_sqlite_s" in cp)
		row("tenet batch of " cp["batch_sqlite_n"] " lookup adds, one VSID, SQLite, 3 agents following", cp["batch_sqlite_s"] " s (" cp["batch_sqlite_rps"] " records/s)", "100k < 10 s", "", smoke ? "-" : v(cp["batch_sqlite_s"] < 10))
	if ("batch_alone_s" in cp)
		row("  the same with no agent running (the CLI alone)", cp["batch_alone_s"] " s (" cp["batch_alone_rps"] " records/s)", "100k < 10 s", "", smoke ? "-" : v(cp["batch_alone_s"] < 10))
	if ("etcd_load_s" in cp) {
		row("  the same from etcd (3 members)", cp["etcd_load_s"] " s", "-", cp["etcd_load_ratio"] "x SQLite", "-")
		row("  agent CPU time for it (user + sys)", cp["etcd_load_cpu_s"] " s", "-", "", "-")
	} else row("record load from etcd (cp_bench)", "failed", "-", "", "-")
	if ("etcd_p99_ms" in cp) {
		row("change -> 3 agents maps on etcd, p50 / p99", cp["etcd_p50_ms"] " / " cp["etcd_p99_ms"] " ms", "p99 < 250 ms", "", v(cp["etcd_p99_ms"] < 250))
		row("  from the CLI start, p50 / p99", cp["etcd_e2e_p50_ms"] " / " cp["etcd_e2e_p99_ms"] " ms", "-", "", "-")
	} else row("change latency on etcd (cp_bench)", "failed", "p99 < 250 ms", "", "-")
	# BGP per compartment (guest, TCG)
	if ("up_s" in bgp) {
		row(bgp["n"] " BGP tenants: batch write to Established", bgp["up_s"] " s", "-", "", "-")
		row("  memory per tenant: bgpd / zebra / slab", bgp["bgpd_kib"] " / " bgp["zebra_kib"] " / " bgp["slab_kib"] " KiB", "-", "", "-")
	} else if (!smoke) row("tenants with a BGP session each (guest)", "failed", "-", "", "-")
	if ("pfx_s" in bgp) {
		row(sz(bgp["p"]) " prefixes into one tenant VRF table", bgp["pfx_s"] " s", "-", "", "-")
		row("  bgpd / zebra RSS for them", bgp["pfx_bgpd_mib"] " / " bgp["pfx_zebra_mib"] " MiB", "-", "", "-")
	} else if (!smoke) row("prefixes into one tenant (guest)", "failed", "-", "", "-")
	if ("dp_ratio" in bgp)
		row("  CPU per packet with them / without", bgp["dp_ns_p"] " / " bgp["dp_ns_1"] " ns", "~1.0x", bgp["dp_ratio"] "x", v(bgp["dp_ratio"] <= 1.1))
	if ("fo_bfd_gap_ms" in bgp)
		row("failover outage with BFD (300 ms x 3)", bgp["fo_bfd_gap_ms"] " ms", "< 1000 ms", "", v(bgp["fo_bfd_gap_ms"] < 1000))
	else if (!smoke) row("failover with BFD (guest)", "failed", "< 1000 ms", "", "-")
	if ("fo_nobfd_gap_ms" in bgp)
		row("  without BFD (hold time " bgp["hold_s"] " s)", sprintf("%.1f s", bgp["fo_nobfd_gap_ms"] / 1000), "-", "", "-")
	if ("batch_etcd_rps" in cp)
		row("tenet batch write throughput, etcd", cp["batch_etcd_rps"] " records/s", "-", "", "-")
}'
echo
echo "bench: $((SECONDS - start)) s"
exit $rc

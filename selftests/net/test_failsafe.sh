#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The agent never tears down what it cannot replace (issue 14;
# docs/agent.md, "Failure behaviour"). Two tenet hosts, VMs on both, and in
# every phase two pings at 100/s across them (same VSID h1 -> h2, routed
# h2 -> h1) whose lost echoes are counted; each phase must lose none, log
# what happened, leave both datapaths exactly as they were (every map
# entry, port filter, PA address, provider route, decap filter), and
# converge once the cause is repaired (a probe record written afterwards
# is programmed on both hosts). Phases:
#
#   a record of each kind corrupt when both agents restart; every kind
#   written corrupt while they run, then all of them corrupt at a restart;
#   the store file missing at start and gone while running; the store
#   replaced by another file (reopened, read whole); SIGHUP with a
#   mistyped store, an underlay that does not exist, a store URL that
#   cannot be opened (the reload fails, `tenetd --reload` exits 1, the
#   running configuration stays); the store replaced by an empty one and
#   by one without a tenant (mass deletion refused, then confirmed with
#   `tenet store accept-deletions`); an explicit `tenet rdomain del` of a
#   whole tenant (applied at once); 20 kill -9 / restart cycles.
#
# The store path is a symlink to the store file, so "replacing the store"
# swaps the link atomically: SQLite names its -wal/-shm files after the
# real file, so the old and the new file never share them (replacing a
# SQLite file that connections hold open in place is not safe).
. "$(dirname "$0")/lib.sh"
lib_init fs
require_root
require_build
require_cmd ethtool ping sqlite3 bpftool python3
PINGS=${PINGS:-500}             # per phase, at 100/s
CYCLES=${CYCLES:-20}            # kill -9 / restart cycles
LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)

M1=00:15:5d:00:00:05 M2=00:15:5d:00:00:07 M3=00:15:5d:00:01:07 ML=00:15:5d:00:00:0b
mv "$STORE" "$TMP/store-a.db" && ln -s store-a.db "$STORE" || fail_all "store symlink"

fabric_add
host_add h1 192.168.4.11/24
host_add h2 192.168.4.22/24
vm_add v1 h1 p1 $M1 10.0.0.5/24
vm_add v2 h2 p2 $M2 10.0.0.7/24
vm_add v3 h2 p3 $M3 10.0.1.7/24
declare -A PORTS=([h1]="p1" [h2]="p2 p3")

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq vsubnet add 6001 rdomain Contoso prefix 10.0.1.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $M1 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $M2 pa 192.168.4.22 &&
	tq lookup add vsid 6001 ca 10.0.1.7 mac $M3 pa 192.168.4.22 &&
	tq lookup add vsid 5001 mac $ML pa 192.168.4.22 type l2only &&
	tq croute add rdomain Contoso vsid 6001 prefix 10.229.0.0/16 nexthop 10.0.1.7 &&
	tq proute add 192.168.9.0/24 dev ul0 via 192.168.4.1 host h1 &&
	tq port set dev p1 vsid 5001 mac $M1 host h1 &&
	tq port set dev p2 vsid 5001 mac $M2 host h2 &&
	tq port set dev p3 vsid 6001 mac $M3 host h2
}
# A second tenant of 150 lookup records: 300 of each host's ~340 map
# entries, so losing it is a mass deletion.
fabrikam() {
	local i
	echo "rdomain add Fabrikam"
	echo "vsubnet add 8001 rdomain Fabrikam prefix 10.8.0.0/16"
	for i in $(seq 1 150); do
		printf 'lookup add vsid 8001 ca 10.8.%d.%d mac 02:00:00:00:%02x:%02x pa 192.168.4.22\n' \
			$((i / 100)) $((i % 100 + 1)) $((i / 100)) $((i % 100 + 1))
	done
}
check "configure two tenants with tenet" configure
fabrikam >"$TMP/fabrikam.batch"
check "Fabrikam's 150 lookup records (tenet batch)" tq batch "$TMP/fabrikam.batch"

# ---- helpers ----

# Write a raw value under a key the way the store's own commit does (one
# new revision, in the change log, so watching agents see it): what a
# buggy writer or a damaged disk would leave, which tenet's CLI never
# writes. The value is SQL text: JSON without single quotes.
raw_put() {
	sqlite3 -bail "$STORE" >/dev/null <<EOF
.timeout 5000
BEGIN IMMEDIATE;
UPDATE meta SET value = value + 1 WHERE name = 'revision';
INSERT OR REPLACE INTO kv (key, value, create_rev, mod_rev, version)
  SELECT '$1', '$2', coalesce((SELECT create_rev FROM kv WHERE key = '$1'), r.value), r.value,
         coalesce((SELECT version FROM kv WHERE key = '$1'), 0) + 1
  FROM meta r WHERE r.name = 'revision';
INSERT INTO log (rev, idx, key, value, create_rev, version)
  SELECT r.value, 0, '$1', '$2', k.create_rev, k.version
  FROM meta r, kv k WHERE r.name = 'revision' AND k.key = '$1';
COMMIT;
EOF
}
raw_get() { sqlite3 "$STORE" "SELECT value FROM kv WHERE key = '$1'"; }

# Everything tenet programs on a host, in a stable order: every policy map
# (entries sorted), the port filters, PA addresses, provider routes and
# the decap filter. Program ids change when a new agent replaces the
# programs in place: they are left out.
# One python for all the maps (the test dumps both hosts some 70 times).
dp_dump() {
	local h=$1 d dir
	dir=$(host_bpffs "$h")/tenet/$h/v$LAYOUT
	python3 - "$dir" tenet_cfg tenet_pa tenet_vsid tenet_port tenet_port_mac tenet_mac \
		tenet_ca tenet_route tenet_route_lens tenet_l2only <<'EOF'
import json, subprocess, sys
for m in sys.argv[2:]:
    print("== " + m, flush=True)
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", sys.argv[1] + "/" + m],
                         stdout=subprocess.PIPE).stdout
    try:
        entries = json.loads(out)
    except ValueError as e:
        print("dp_dump: %s: %s" % (m, e), file=sys.stderr)
        continue
    for e in sorted(json.dumps(x, sort_keys=True) for x in entries):
        print(e)
EOF
	for d in ${PORTS[$h]}; do
		echo "== port $d: $(nx "$h" tc filter show dev "$d" ingress | grep -c tenet_tc_port)"
	done
	echo "== addr"; nx "$h" ip -4 -o addr show dev ul0 | awk '{ print $4 }'
	echo "== proutes"; nx "$h" ip route show proto 116
	echo "== decap $(nx "$h" tc filter show dev ul0 ingress | grep -c tenet_tc_underl)"
}
baseline() { local h; for h in h1 h2; do dp_dump $h >"$TMP/dp-$h"; done; }
dp_same() { dp_dump "$1" | diff -u "$TMP/dp-$1" - >"$TMP/dp-$1.diff"; }
dp_unchanged() {
	check "$1: h1's datapath exactly as it was" dp_same h1
	check "$1: h2's datapath exactly as it was" dp_same h2
	[ -s "$TMP/dp-h1.diff" ] && head -n 20 "$TMP/dp-h1.diff"
	[ -s "$TMP/dp-h2.diff" ] && head -n 20 "$TMP/dp-h2.diff"
	true
}
map_count() { # HOST MAP
	bpftool -j map dump pinned "$(host_bpffs "$1")/tenet/$1/v$LAYOUT/$2" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# Two pings at 100/s for the whole phase; the phase checks none was lost.
ping_start() {
	PHASE=$1
	nx v1 ping -i 0.01 -c "${2:-$PINGS}" -q 10.0.0.7 >"$TMP/ping-a" 2>&1 &
	PING_A=$!
	nx v3 ping -i 0.01 -c "${2:-$PINGS}" -q 10.0.0.5 >"$TMP/ping-b" 2>&1 &
	PING_B=$!
}
sent_recv() { sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1"; }
ping_end() {
	local s1 r1 s2 r2 n=${1:-$PINGS}
	wait "$PING_A" "$PING_B"
	read -r s1 r1 <<<"$(sent_recv "$TMP/ping-a")"
	read -r s2 r2 <<<"$(sent_recv "$TMP/ping-b")"
	info "$PHASE: same VSID h1 -> h2 ${r1:-?}/${s1:-?}, routed h2 -> h1 ${r2:-?}/${s2:-?} echoes"
	check "$PHASE: 0 echoes lost" test "${s1:-0}" = "$n" -a "${r1:-x}" = "$n" \
		-a "${s2:-0}" = "$n" -a "${r2:-x}" = "$n"
}

# Both agents follow the store: a record written now is programmed on both
# (its CA entry logged as added), and removed again.
PROBE=90
converged() {
	local ip=10.0.0.$PROBE mac
	mac=$(printf '00:15:5d:00:00:%02x' $PROBE)
	PROBE=$((PROBE + 1))
	tq lookup add vsid 5001 ca $ip mac "$mac" pa 192.168.4.22 &&
	wait_for 10 host_log_has h1 "ca rdomain 1 $ip -> vsid 5001 .* added" &&
	wait_for 10 host_log_has h2 "ca rdomain 1 $ip -> vsid 5001 .* added" &&
	tq lookup del vsid 5001 ca $ip &&
	wait_for 10 host_log_has h1 "ca rdomain 1 $ip removed" &&
	wait_for 10 host_log_has h2 "ca rdomain 1 $ip removed"
}

# Stop both agents, run a command, start them again, wait until ready.
restart_both() {
	local n1=$(($(host_ready_count h1) + 1)) n2=$(($(host_ready_count h2) + 1))
	host_stop h1
	host_stop h2
	"$@"
	host_start h1
	host_start h2
	host_wait_ready h1 15 "$n1" && host_wait_ready h2 15 "$n2"
}

swap_store() { ln -sfn "$1" "$TMP/store.tmp" && mv -T "$TMP/store.tmp" "$STORE"; }

host_start_all
check "ports attached" wait_for 10 host_ports_attached h1 p1
check "ports attached on h2" wait_for 10 host_ports_attached h2 p2 p3
check "ping across hosts (NVGRE)" wait_for 10 ping_ok v1 10.0.0.7
check "ping routed 6001 -> 5001" wait_for 5 ping_ok v3 10.0.0.5
check "Fabrikam programmed on h1 (150 CA entries)" \
	wait_for 10 eval '[ "$(map_count h1 tenet_ca)" -ge 153 ]'
sleep 1
baseline

# ---- 1. a record of each kind, corrupt when the agents start ----
KEYS=(
	"routing domain:/tenet/v1/global/rdomain/Contoso"
	"virtual subnet:/tenet/v1/global/vsubnet/00005001"
	"lookup record (remote CA):/tenet/v1/global/lookup/00005001/ip/10.0.0.7"
	"lookup record (local CA):/tenet/v1/global/lookup/00005001/ip/10.0.0.5"
	"lookup record (l2only):/tenet/v1/global/lookup/00005001/mac/$ML"
	"customer route:/tenet/v1/global/croute/Contoso/10.229.0.0_16"
	"provider address:/tenet/v1/host/h1/pa/192.168.4.11"
	"provider route:/tenet/v1/host/h1/proute/192.168.9.0_24"
	"port:/tenet/v1/host/h1/port/p1"
	"port (routed VM):/tenet/v1/host/h2/port/p3"
)
declare -A GOOD=()
for kv in "${KEYS[@]}"; do
	what=${kv%%:*} key=${kv#*:}
	GOOD[$key]=$(raw_get "$key")
	[ -n "${GOOD[$key]}" ] || fail "no record at $key"
	ping_start "corrupt $what at start-up"
	check "$what: both agents restart over a corrupt record" restart_both raw_put "$key" null
	check "$what: the log names it and keeps its kernel state" \
		wait_for 5 host_log_has h1 "$key: cannot be decoded and no good version of it is known; the kernel keeps"
	dp_unchanged "$what corrupt at start-up"
	raw_put "$key" "${GOOD[$key]}"
	check "$what repaired: the agents converge" converged
	ping_end
	dp_unchanged "$what repaired"
done

# ---- 2. every kind written corrupt while the agents run, then a restart ----
ping_start "every kind corrupt while running, then at start-up"
for kv in "${KEYS[@]}"; do raw_put "${kv#*:}" '{"vsid":"x"}'; done
check "corrupt records while running: skipped, last good version kept" \
	wait_for 5 host_log_has h2 "store record skipped (keeping its last good version): /tenet/v1/host/h1/port/p1"
sleep 1
dp_unchanged "every kind corrupt while running"
check "both agents restart with every kind corrupt" restart_both true
dp_unchanged "every kind corrupt at start-up"
for kv in "${KEYS[@]}"; do raw_put "${kv#*:}" "${GOOD[${kv#*:}]}"; done
check "all repaired: the agents converge" converged
ping_end
dp_unchanged "all repaired"

# ---- 3. the store missing at start and gone while running ----
ping_start "store missing"
host_stop h1
mv "$TMP/store-a.db" "$TMP/store-a.away"
n1=$(($(host_ready_count h1) + 1))
host_start h1
check "h1 starts without its store: keeps the datapath, says why" \
	wait_for 10 host_log_has h1 "store unavailable: store $STORE: does not exist; the datapath keeps its state, retrying"
check "h1 is ready without a store" host_wait_ready h1 10 "$n1"
check "h2 notices its store is gone" \
	wait_for 5 host_log_has h2 "store unavailable: store $STORE: does not exist"
check "no store was created in its place" test ! -e "$TMP/store-a.db"
dp_unchanged "store missing"
mv "$TMP/store-a.away" "$TMP/store-a.db"
check "h1 opens the store when it is back" wait_for 20 host_log_has h1 "store $STORE: available again"
check "h2 opens the store when it is back" wait_for 20 host_log_has h2 "store $STORE: available again"
check "store back: the agents converge" converged
ping_end
dp_unchanged "store back"

# ---- 4. the store replaced by another file: reopened and read whole ----
ping_start "store replaced"
sqlite3 "$STORE" ".backup $TMP/store-b.db"
"$TENET" --store "$TMP/store-b.db" lookup add vsid 5001 ca 10.0.0.88 mac 00:15:5d:00:00:88 \
	pa 192.168.4.22 >/dev/null
swap_store store-b.db
check "h1 notices the store was replaced and reopens it" \
	wait_for 5 host_log_has h1 "replaced by another file; reopening it and reading it whole"
check "h2 too" wait_for 5 host_log_has h2 "replaced by another file; reopening it and reading it whole"
check "the replacement's own record is programmed" \
	wait_for 5 host_log_has h2 "ca rdomain 1 10.0.0.88 -> vsid 5001 .* added"
check "replaced store: the agents converge" converged
ping_end
tq lookup del vsid 5001 ca 10.0.0.88
sleep 1
baseline

# ---- 5. reloads that must fail (the running configuration stays) ----
reload_h1() { nx h1 "$TENETD" --reload "${AGENT_PID[h1]}" >"$TMP/reload.out" 2>&1; }
bad_reload() { # NAME SED-EXPRESSION EXPECTED-MESSAGE
	ping_start "reload with $1"
	cp "$TMP/h1.conf" "$TMP/h1.conf.good"
	sed -i "$2" "$TMP/h1.conf"
	reload_h1
	check "reload with $1: tenetd --reload exits 1" test $? = 1
	check "reload with $1: it says why" grep -q -- "reload failed: $3" "$TMP/reload.out"
	check "reload with $1: logged, running configuration kept" \
		host_log_has h1 "reload failed: $3; the running configuration stays in force"
	check "reload with $1: the agent still follows its store" converged
	dp_unchanged "reload with $1"
	cp "$TMP/h1.conf.good" "$TMP/h1.conf"
	reload_h1
	check "reload repaired: exits 0" test $? = 0
	check "reload repaired: in force" grep -q "configuration reloaded (host h1, underlay ul0" \
		"$TMP/reload.out"
	ping_end
}
bad_reload "a mistyped store" "s|^store = .*|store = $TMP/typo.db|" \
	"store $TMP/typo.db: does not exist"
check "the mistyped store was not created" test ! -e "$TMP/typo.db"
bad_reload "an underlay that does not exist" "s|^underlay = .*|underlay = ul9|" \
	"underlay ul9: no such device"
check "decap still on ul0" test "$(nx h1 tc filter show dev ul0 ingress | grep -c tenet_tc_underl)" = 1
bad_reload "a store that cannot be opened" "s|^store = .*|store = redis://10.0.0.1/0|" \
	"store redis://10.0.0.1/0: unknown scheme (use sqlite:///PATH or a path)"

# ---- 6. mass deletion: refused after a whole read, confirmed, explicit ----
"$TENET" --store "$TMP/store-e.db" store init >/dev/null
ping_start "store replaced by an empty one"
swap_store store-e.db
check "h1 refuses to empty its datapath" \
	wait_for 10 host_log_has h1 "refusing to delete [0-9]* objects after reading the store whole at revision [0-9]* (datapath: [0-9]* of [0-9]* objects)"
check "h2 refuses too" wait_for 10 host_log_has h2 "refusing to delete [0-9]* objects"
sleep 1
dp_unchanged "empty store"
swap_store store-b.db
check "the right store is back: h1 reads it whole" \
	wait_for 10 eval '[ "$(grep -c "reopening it and reading it whole" "$TMP/h1.log")" -ge 3 ]'
check "right store back: the agents converge" converged
ping_end
dp_unchanged "right store back"

ping_start "store replaced by one without Fabrikam, then confirmed"
sqlite3 "$STORE" ".backup $TMP/store-c.db"
"$TENET" --store "$TMP/store-c.db" rdomain del Fabrikam force >/dev/null
n_refused=$(grep -c "refusing to delete" "$TMP/h1.log")
n_refused2=$(grep -c "refusing to delete" "$TMP/h2.log")
swap_store store-c.db
check "losing a tenant to a whole read is refused" \
	wait_for 10 eval '[ "$(grep -c "refusing to delete" "$TMP/h1.log")" -gt '"$n_refused"' ]'
# Both must have refused before the confirmation: a flag written before an
# agent's read confirms nothing for it (docs/agent.md), so confirming while
# h2 had not read the new store yet left h2 refusing (seen under load).
check "h2 refuses it too" \
	wait_for 10 eval '[ "$(grep -c "refusing to delete" "$TMP/h2.log")" -gt '"$n_refused2"' ]'
check "Fabrikam still programmed" test "$(map_count h1 tenet_ca)" -ge 153
check "tenet store accept-deletions" tq store accept-deletions
check "h1: deletions confirmed" wait_for 10 host_log_has h1 "deletions confirmed in the store at revision"
check "h1 removed Fabrikam" wait_for 10 eval '[ "$(map_count h1 tenet_ca)" -lt 10 ]'
check "h2 removed Fabrikam" wait_for 10 eval '[ "$(map_count h2 tenet_ca)" -lt 10 ]'
check "confirmed: the agents converge" converged
ping_end

ping_start "explicit tenet rdomain del of a whole tenant"
check "Fabrikam added again" tq batch "$TMP/fabrikam.batch"
check "h1 programmed it" wait_for 10 eval '[ "$(map_count h1 tenet_ca)" -ge 153 ]'
n_refused=$(grep -c "refusing to delete" "$TMP/h1.log")
check "tenet rdomain del Fabrikam force" tq rdomain del Fabrikam force
check "h1 removed it at once" wait_for 10 eval '[ "$(map_count h1 tenet_ca)" -lt 10 ]'
check "h2 removed it at once" wait_for 10 eval '[ "$(map_count h2 tenet_ca)" -lt 10 ]'
check "no refusal for an explicit deletion" \
	test "$(grep -c "refusing to delete" "$TMP/h1.log")" = "$n_refused"
ping_end
baseline

# ---- 7. kill -9 / restart cycles ----
ping_start "$CYCLES kill -9 / restart cycles" $((CYCLES * 100 + 500))
cycles_ok=0
for i in $(seq 1 "$CYCLES"); do
	h=h$((i % 2 + 1))
	n=$(($(host_ready_count $h) + 1))
	kill -KILL "${AGENT_PID[$h]}"
	wait "${AGENT_PID[$h]}" 2>/dev/null
	host_start $h
	host_wait_ready $h 10 "$n" && cycles_ok=$((cycles_ok + 1))
	sleep 0.3
done
check "$CYCLES agents killed and restarted" test "$cycles_ok" = "$CYCLES"
check "after the cycles: the agents converge" converged
ping_end $((CYCLES * 100 + 500))
dp_unchanged "after $CYCLES kill -9 cycles"

finish

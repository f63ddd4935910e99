#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tenetd as a systemd service, without systemd (docs/agent.md, "Service"):
# the notify protocol read from a datagram socket this test binds as
# $NOTIFY_SOCKET (READY=1 after start, STATUS= kept current, WATCHDOG=1,
# a reload as RELOADING=1 + MONOTONIC_USEC= then READY=1, a failed one
# with no READY=1 and `tenetd --reload` exiting 1, which is what makes
# `systemctl reload` fail); `tenetd --check`; and the unit file's
# exposure by `systemd-analyze security`, printed.
. "$(dirname "$0")/lib.sh"
lib_init fss
require_root
require_build
require_cmd ethtool ping python3 systemd-analyze

M1=00:15:5d:00:00:05
mv "$STORE" "$TMP/store-a.db" && ln -s store-a.db "$STORE" || fail_all "store symlink"
fabric_add
host_add h1 192.168.4.11/24
vm_add v1 h1 p1 $M1 10.0.0.5/24
# A small host: the guard's minimum is lowered so that losing it all counts.
host_conf h1 "delete_guard_min = 5"
configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $M1 pa 192.168.4.11 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac 00:15:5d:00:00:07 pa 192.168.4.22 &&
	tq lookup add vsid 5001 ca 10.0.0.8 mac 00:15:5d:00:00:08 pa 192.168.4.22 &&
	tq port set dev p1 vsid 5001 mac $M1 host h1
}
check "configure with tenet" configure

# ---- tenetd --check ----
chk() { nx h1 "$TENETD" --check --config "$1" >"$TMP/check.out" 2>&1; }
check "--check: the good configuration" chk "$TMP/h1.conf"
check "--check: says what it checked" \
	grep -q "configuration $TMP/h1.conf ok: host h1, underlay ul0, store $STORE (revision [0-9]*), decap auto" \
	"$TMP/check.out"
cp "$TMP/h1.conf" "$TMP/bad.conf"
echo "bogus = 1" >>"$TMP/bad.conf"
check_not "--check: an unknown key fails" chk "$TMP/bad.conf"
check "--check: names the line" \
	grep -qx "tenetd: error: configuration: $TMP/bad.conf:6: unknown key 'bogus'" "$TMP/check.out"
sed "s|^store = .*|store = $TMP/none.db|" "$TMP/h1.conf" >"$TMP/bad.conf"
check_not "--check: a missing store fails" chk "$TMP/bad.conf"
check "--check: ... and is not created" test ! -e "$TMP/none.db"
check "--check: says so" grep -q "store $TMP/none.db: does not exist" "$TMP/check.out"
sed "s|^underlay = .*|underlay = ul9|" "$TMP/h1.conf" >"$TMP/bad.conf"
check_not "--check: a missing underlay fails" chk "$TMP/bad.conf"
check "--check: says so" grep -q "underlay ul9: no such device" "$TMP/check.out"
printf 'host = h\033[31m1\n' >"$TMP/bad.conf"
check_not "--check: a bad host name fails" chk "$TMP/bad.conf"
check "--check: control characters are escaped, one line" \
	test "$(cat "$TMP/check.out")" = "tenetd: error: configuration: host 'h\\x1b[31m1': may only contain letters, digits, '_', '.' and '-'"

# ---- the notify protocol ----
NOTIFY=$TMP/notify.sock
python3 -u - "$NOTIFY" "$TMP/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
EOF
LIB_BG+=("$!")
wait_for 5 test -S "$NOTIFY" || fail_all "notify socket"
notified() { grep -q -- "$1" "$TMP/notify.log"; }
count() { grep -c -- "$1" "$TMP/notify.log"; }
last_status() { grep -o "STATUS=.*" "$TMP/notify.log" | tail -n 1 | grep -q -- "$1"; }
ip netns exec "${NS[h1]}" env NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=1000000 \
	"$TENETD" --config "$TMP/h1.conf" >>"$TMP/h1.log" 2>&1 &
AGENT_PID[h1]=$!
check "tenetd ready" host_wait_ready h1
check "READY=1 with its status" wait_for 5 notified "^READY=1 | STATUS=host h1: 7 records at revision [0-9]*$"
check "watchdog pings at half the interval" wait_for 5 eval '[ "$(count "^WATCHDOG=1$")" -ge 3 ]'
check "ping through the port" wait_for 10 ping_ok v1 10.0.0.5

reload_h1() { nx h1 "$TENETD" --reload "${AGENT_PID[h1]}" >"$TMP/reload.out" 2>&1; }
nready=$(count "^READY=1")
cp "$TMP/h1.conf" "$TMP/h1.conf.good"
echo "flowid = sideways" >>"$TMP/h1.conf"
reload_h1
check "a broken config: tenetd --reload exits 1 (systemctl reload fails)" test $? = 1
check "... and prints why" \
	grep -qx "tenetd: reload failed: $TMP/h1.conf:6: not on or off; running the previous configuration" "$TMP/reload.out"
check "STATUS= says the reload failed" \
	wait_for 5 notified "^STATUS=reload failed: $TMP/h1.conf:6: not on or off; running the previous configuration$"
check "no READY=1 and no RELOADING=1 for a failed reload" \
	eval '[ "$(count "^READY=1")" = "$nready" ] && ! notified "^RELOADING=1"'
cp "$TMP/h1.conf.good" "$TMP/h1.conf"
echo "flowid = off" >>"$TMP/h1.conf"
reload_h1
check "a good config: tenetd --reload exits 0" test $? = 0
check "RELOADING=1 with MONOTONIC_USEC=, then READY=1" \
	eval 'notified "^RELOADING=1 | MONOTONIC_USEC=[0-9]* | STATUS=reloading the configuration$" &&
	      notified "^READY=1 | STATUS=configuration reloaded (host h1, underlay ul0, .*flowid off)$"'
check "READY=1 came after RELOADING=1" \
	test "$(grep -n "^RELOADING=1" "$TMP/notify.log" | cut -d: -f1)" -lt \
	     "$(grep -n "^READY=1 | STATUS=configuration reloaded" "$TMP/notify.log" | cut -d: -f1)"
check "a plain SIGHUP still reloads" eval 'kill -HUP "${AGENT_PID[h1]}" &&
	wait_for 5 eval "[ \"\$(count \"^READY=1 | STATUS=configuration reloaded\")\" = 2 ]"'

# STATUS= follows what matters: a store that is gone, a refused mass
# deletion, records that cannot be decoded.
mv "$TMP/store-a.db" "$TMP/store-a.away"
check "STATUS=store unavailable" \
	wait_for 5 notified "^STATUS=store unavailable: store $STORE: does not exist; the datapath keeps its state, retrying$"
mv "$TMP/store-a.away" "$TMP/store-a.db"
check "STATUS= back to normal once it is back" \
	wait_for 20 last_status "^STATUS=host h1: 7 records at revision [0-9]*$"
"$TENET" --store "$TMP/store-e.db" store init >/dev/null
ln -sfn store-e.db "$TMP/store.tmp" && mv -T "$TMP/store.tmp" "$STORE"
check "STATUS=refusing N deletions" \
	wait_for 10 notified "^STATUS=refusing [0-9]* deletions (datapath: [0-9]* of [0-9]* objects); 'tenet store accept-deletions' confirms them$"
check "the port is still attached" host_ports_attached h1 p1
ln -sfn store-a.db "$TMP/store.tmp" && mv -T "$TMP/store.tmp" "$STORE"
check "STATUS= back to normal with the right store" \
	wait_for 10 last_status "^STATUS=host h1: 7 records at revision [0-9]*$"
sqlite3 "$STORE" "UPDATE kv SET value = 'null' WHERE key = '/tenet/v1/global/lookup/00005001/ip/10.0.0.8'"
check "restart over a corrupt record" eval 'n=$(($(host_ready_count h1) + 1)); host_stop h1;
	ip netns exec "${NS[h1]}" env NOTIFY_SOCKET="$NOTIFY" "$TENETD" --config "$TMP/h1.conf" \
		>>"$TMP/h1.log" 2>&1 & AGENT_PID[h1]=$!; host_wait_ready h1 10 $n'
check "STATUS= counts it and what it keeps" \
	wait_for 5 notified "^STATUS=host h1: 6 records at revision [0-9]*; 1 cannot be decoded, their kernel state (2 objects) is kept$"
check "STOPPING=1 on SIGTERM" eval 'host_stop h1; wait_for 5 notified "^STOPPING=1$"'

# ---- the unit ----
sed 's|@SBINDIR@|/usr/local/sbin|' agent/tenetd.service >"$TMP/tenetd.service"
check "the unit reloads through tenetd --reload" \
	grep -qx 'ExecReload=/usr/local/sbin/tenetd --reload $MAINPID' "$TMP/tenetd.service"
check "the unit has a watchdog" grep -q '^WatchdogSec=' "$TMP/tenetd.service"
systemd-analyze security --offline=yes "$TMP/tenetd.service" >"$TMP/security.out" 2>&1
score=$(sed -n 's/.*Overall exposure level for tenetd.service: \([0-9.]*\) .*/\1/p' "$TMP/security.out")
info "systemd-analyze security: exposure ${score:-?} ($(sed -n 's/.*Overall exposure level for tenetd.service: [0-9.]* \([A-Z]*\).*/\1/p' "$TMP/security.out"))"
check "systemd-analyze security rates the unit OK (exposure ${score:-?} <= 4.0)" \
	awk -v s="${score:-99}" 'BEGIN { exit !(s <= 4.0) }'

finish

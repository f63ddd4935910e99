#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Remote-access VPN figures (docs/performance.md, docs/vpn.md), in the
# Debian 6.1 guest (the running kernel has no ESP, XFRM interfaces or VRF;
# under TCG, ~10x slower than native, only the ratios carry over):
#
#   1. a burst of N (200) users, N/2 per tenant, two tenants (Contoso,
#      Woodgrove) with the same pool 10.10.0.0/24: tenetd configures the
#      gateway's charon (eap-radius, one connection per tenant), FreeRADIUS
#      answers with Class "TenantName=<tenant>". Two client namespaces (one
#      per tenant), one client charon each with N/2 connections, every
#      connection its own source address and EAP-MD5 identity, all
#      initiated at once over VICI. Time from the dial to all N users'
#      /32 routes in the tenants' tables and N CHILD_SAs installed in the
#      gateway's charon; then to tenetd's last admission (its limits
#      check and "connected" line). Memory per user: the gateway charon's
#      RSS growth and the kernel's (SUnreclaim + Percpu of /proc/meminfo:
#      XFRM states and policies, routes), divided by N. The clients do
#      ESP in user space (strongSwan's kernel-libipsec), so the kernel's
#      XFRM growth is the gateway's alone (the clients' virtual IPs and
#      routes on their TUN devices, small, are counted too).
#   2. one remote-access user's throughput against one S2S tunnel's on the
#      same gateway (iperf3 from the compartment to the peer, AES-GCM-128
#      both, no rate limit on either: ravpn `rate none`, s2s `rate none`),
#      runs alternated, medians compared; the N users stay connected, idle.
#
# usage: ravpn_bench.sh [-s] [-h]   (-s: smoke: 1 s per figure, 20 users)
# Environment: TENET_RAVPN_BENCH_N (200, even), TENET_BENCH_SECS (5),
# TENET_BENCH_ROUNDS (5).
# Prints "# ..." lines and "@ravpn KEY VALUE" lines for selftests/bench/run.sh.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/../gw/s2s_lib.sh"
. "$(dirname "$0")/../gw/radius_lib.sh"

. "$(dirname "$0")/lib.sh"
bench_args "$@"
SECS=${TENET_BENCH_SECS:-5}
ROUNDS=${TENET_BENCH_ROUNDS:-5}
N=${TENET_RAVPN_BENCH_N:-200}
[ -n "$smoke" ] && SECS=1 ROUNDS=1 N=20
H=$((N / 2))
if [ -z "${TENET_VM:-}" ]; then
	echo "# remote access needs ESP, XFRM interfaces and VRF: running in the stock-kernel guest"
	exec "$LIB_ROOT/selftests/vm/run" --timeout "${TENET_VM_TIMEOUT:-1500}" -- "$LIB_SELF" "$@"
fi
lib_init rab
require_root
require_build
require_cmd iperf3 swanctl pki freeradius
[ $((N % 2)) = 0 ] && [ "$N" -ge 2 ] && [ "$N" -le 500 ] || fail_all "TENET_RAVPN_BENCH_N=$N: an even number, 2..500"
s2s_prewarm || fail_all "cannot load the ESP crypto"
modprobe tun 2>/dev/null
S2S_PLUGINS="$S2S_PLUGINS eap-md5 eap-radius"

# ---- networks: the gateway's Internet side, RADIUS, the peers ----
# All peers are on-link in 198.18.0.0/15 beside the gateway's
# 131.107.10.10 (one bridge): the S2S site 198.18.0.1, the measured
# remote-access user 198.18.0.2, Contoso's burst users 198.18.10.x,
# Woodgrove's 198.18.11.x (x = 1..N/2; beyond 250, 198.18.12+.x).
fabric_add
fabric_bridge brI
host_add gw 192.168.4.33/24
fabric_link gw inet0 brI
nx gw ip addr add 131.107.10.10/24 dev inet0
nx gw ip route add 198.18.0.0/15 dev inet0
plain_add radius 131.107.10.20/24 eth0 brI
for p in site:198.18.0.1 ra:198.18.0.2 cc:198.18.10.0 cw:198.18.11.0; do
	plain_add "${p%:*}" "${p#*:}/15" eth0 brI
	nx "${p%:*}" ip route add 131.107.10.0/24 dev eth0
done
# addr TENANT(0|1) I: the source address of a burst user
addr() { local k=$(($2 - 1)); echo "198.18.$((10 + $1 + 2 * (k / 250))).$((k % 250 + 1))"; }
for t in 0 1; do
	ns=$([ $t = 0 ] && echo cc || echo cw)
	for ((i = 1; i <= H; i++)); do echo "addr add $(addr $t $i)/15 dev eth0"; done |
		nx "$ns" ip -batch - || fail_all "the $ns users' addresses"
done

# ---- FreeRADIUS: threaded (not -X), the users with their Class ----
RAD=$TMP/radius
radius_conf "$RAD" 4096
{
	for ((i = 1; i <= H; i++)); do
		printf 'c%03d\tCleartext-Password := "c%03d-pw"\n\tClass := "TenantName=Contoso"\n' $i $i
		printf 'w%03d\tCleartext-Password := "w%03d-pw"\n\tClass := "TenantName=Woodgrove"\n' $i $i
	done
	printf 'alice\tCleartext-Password := "alice-pw-123"\n\tClass := "TenantName=Contoso"\n'
} >"$RAD/users"
spawn ip netns exec "${NS[radius]}" freeradius -f -d "$RAD" >"$RAD/out.log" 2>&1
check "FreeRADIUS (threaded) runs with $N + 1 users" \
	wait_for 30 eval 'nx radius ss -Hlun | grep -q "131.107.10.20:1812"'

# ---- PKI, the gateway's charon, tenetd ----
PKI=$TMP/pki
check "PKI: provider root and the gateway's certificate" pki_make "$PKI"
GWD=$TMP/gw-charon
GW_VICI=$GWD/charon.vici
charon_conf "$GWD" "threads = 16
	ikesa_table_size = 1024
	ikesa_table_segments = 16"
# its file log at charon's default level (1): the tests' level 2 writes
# dozens of lines per user, which under TCG slows the burst
sed -i 's/^\(\t*\)\(ike\|cfg\) = 2$/\1\2 = 1/' "$GWD/strongswan.conf"
echo "include $GWD/radius*.conf" >>"$GWD/strongswan.conf"
charon_start gw "$GWD" || fail_all "the gateway's charon"
host_conf gw "hostkey = $TMP/gw.hostkey"
host_conf gw "vici = $GW_VICI"
host_conf gw "ipsec_cert = $PKI/gw.pem"
host_conf gw "ipsec_key = $PKI/gw.key"
host_conf gw "ipsec_ca = $PKI/ca.pem"
host_conf gw "ravpn_radius_conf = $GWD/radius.conf"
g() { nx gw "$TENET" --store "$STORE" --host gw "$@"; }
printf 'bench-psk-0123456789\n' >"$TMP/psk"
printf 'radius-secret-0123\n' >"$TMP/radius.secret"
chmod 600 "$TMP/psk" "$TMP/radius.secret"
host_start gw
check "tenetd on gw ready" host_wait_ready gw 60
check "host key published" wait_for 20 eval 'sqlite3 "$STORE" "select key from kv" | grep -q pubkey'
# Contoso and Woodgrove: remote access, the same pool, no limits; T1: one
# S2S interface to the site, its rate limit lifted
cat >"$TMP/gw.batch" <<EOF
rdomain add Contoso
vsubnet add 5999 rdomain Contoso prefix 10.0.254.0/24
compartment add Contoso rdomain Contoso vsid 5999 address 10.0.254.2/24
rdomain add Woodgrove
vsubnet add 6999 rdomain Woodgrove prefix 10.0.254.0/24
compartment add Woodgrove rdomain Woodgrove vsid 6999 address 10.0.254.2/24
rdomain add T1
vsubnet add 100001 rdomain T1 prefix 10.0.254.0/24
compartment add T1 rdomain T1 vsid 100001 address 10.0.254.2/24
ravpn radius add server 131.107.10.20 secret-file $TMP/radius.secret
ravpn set rdomain Contoso pool 10.10.0.0/24 rate none
ravpn set rdomain Woodgrove pool 10.10.0.0/24 rate none
s2s add IfT1 rdomain T1 destination 198.18.0.1 auth psk secret-file $TMP/psk route 10.1.0.0/24 rate none
EOF
check "three tenants: Contoso and Woodgrove remote access (pool 10.10.0.0/24 both), T1 an S2S interface" \
	eval 'g batch "$TMP/gw.batch" >>"$TMP/tenet.out" 2>&1'
ra_conns() { swan "$GWD" --list-conns 2>/dev/null | grep -c "^tenet-ra-"; }
check "the tenants' connections and the S2S interface programmed" \
	wait_for 120 eval '[ "$(ra_conns)" = 2 ] && swan "$GWD" --list-conns 2>/dev/null | grep -q "^tenet-s2s-IfT1:" &&
	                   [ -s "$GWD/radius.conf" ]'

# ---- the clients ----
# client_conf DIR [libipsec]: a client charon's strongswan.conf, strongSwan's
# default retransmissions (5 tries from 4 s: a burst is slow to answer);
# with libipsec, ESP in the charon (kernel-libipsec) instead of the kernel
client_conf() {
	local plugins=$S2S_PLUGINS
	local vip=no
	[ "${2:-}" = libipsec ] && plugins=${plugins/kernel-netlink/kernel-libipsec kernel-netlink} vip=yes
	S2S_PLUGINS=$plugins charon_conf "$1"
	sed -i -e '/retransmit_/d' -e "s/install_virtual_ip = no/install_virtual_ip = $vip/" -e 's/^\(\t*\)\(ike\|cfg\) = 2$/\1\2 = 1/' "$1/strongswan.conf"
	mkdir -p "$1/x509ca"
	cp "$PKI/ca.pem" "$1/x509ca/"
}
ra_conn() { # NAME USER SOURCE REMOTE-TS [IF_ID UPDOWN]
	cat <<EOF
	$1 { version = 2
		local_addrs = $3
		remote_addrs = 131.107.10.10
		vips = 0.0.0.0
		keyingtries = 3
		proposals = aes128gcm16-prfsha256-x25519
		local { auth = eap-md5
			id = $2
			eap_id = $2 }
		remote { auth = pubkey
			id = "C=US, O=Fabrikam, CN=gw.fabrikam.example" }
		children { ra { remote_ts = $4
			esp_proposals = aes128gcm16
			${5:+if_id_in = $5
			if_id_out = $5
			updown = $6} } } }
EOF
}
# the burst's clients, one charon per tenant
for t in 0 1; do
	ns=$([ $t = 0 ] && echo cc || echo cw)
	p=$([ $t = 0 ] && echo c || echo w)
	D=$TMP/$ns
	client_conf "$D" libipsec
	check "the $ns client charon (kernel-libipsec)" charon_start "$ns" "$D"
	{
		echo "connections {"
		for ((i = 1; i <= H; i++)); do a=$(addr $t $i)
			ra_conn "$(printf 'u%03d' $i)" "$(printf '%s%03d' $p $i)" "$a" "10.0.${a#198.18.}/32"; done
		echo "}"
		echo "secrets {"
		for ((i = 1; i <= H; i++)); do printf '\teap-%03d { id = %s%03d\n\t\tsecret = %s%03d-pw }\n' $i $p $i $p $i; done
		echo "}"
	} >"$D/swanctl.conf"
done

# ---- 1. the burst ----
# initiate_all DIR:PREFIX:COUNT...: one VICI "initiate" per connection
# (PREFIX001.., child ra) to each charon, over 4 VICI connections per
# charon at once, none waiting for its IKE SA (timeout -1: charon answers
# once it has sent IKE_SA_INIT); swanctl would start a process per user
# (a fraction of a second each under TCG).
initiate_all() {
	python3 - "$@" <<'PY'
import socket, struct, sys, threading
def kv(k, v):
    k, v = k.encode(), v.encode()
    return bytes([3, len(k)]) + k + struct.pack(">H", len(v)) + v
def call(s, cmd, body):
    pkt = bytes([0, len(cmd)]) + cmd.encode() + body
    s.sendall(struct.pack(">I", len(pkt)) + pkt)
    n = struct.unpack(">I", recvn(s, 4))[0]
    r = recvn(s, n)
    if r[0] != 1 or b"success\x00\x03yes" not in r:
        raise OSError("initiate refused: %r" % r)
def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("charon closed the VICI socket")
        b += c
    return b
errs = []
def run(d, p, first, n, step):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(d + "/charon.vici")
        for i in range(first, n + 1, step):
            call(s, "initiate", kv("child", "ra") + kv("ike", "%s%03d" % (p, i)) + kv("timeout", "-1"))
    except OSError as e:
        errs.append("%s: %s" % (d, e))
K = 4
ts = []
for a in sys.argv[1:]:
    d, p, n = a.split(":")
    for k in range(K):
        ts.append(threading.Thread(target=run, args=(d, p, k + 1, int(n), K)))
for t in ts:
    t.start()
for t in ts:
    t.join()
sys.exit("\n".join(errs) if errs else 0)
PY
}
check "both clients' $N connections loaded" eval 'swan_load "$TMP/cc" & l=$!; swan_load "$TMP/cw" && wait $l'
sync
sleep 2
kmem0=$(kmem)
crss0=$(rss "${CHARON_PID[gw]}")
arss0=$(rss "${AGENT_PID[gw]}")
# users with a /32 in a tenant's table (proto 118, through a traC)
routed() { ip -n "${NS[gw]}" route show table all proto 118 2>/dev/null | grep -c "^10\.10\.0\.[0-9]* dev tra"; }
t0=$(now)
check "$N users dial at once" initiate_all "$TMP/cc:u:$H" "$TMP/cw:u:$H"
tl=$(now)
info "$N initiations sent in $(secs "$t0" "$tl")s"
# the CHILD_SAs installed under the tenants' IKE SAs
installed() { swan "$GWD" --list-sas 2>/dev/null |
	awk '/^[^ ]/ { ra = $1 ~ /^tenet-ra-/ } ra && /INSTALLED/ { n++ } END { print n + 0 }'; }
# (charon is asked only once the routes are there: listing hundreds of
# SAs during the burst would slow it)
check "all $N users connected: a /32 each in its tenant's table, $N CHILD_SAs in charon" \
	eval 'wait_for 900 eval "[ \"\$(routed)\" -ge $N ]" && wait_for 300 eval "sleep 0.5; [ \"\$(installed)\" = $N ]"'
t1=$(now)
info "$N users: from the dial to all connected (CHILD_SAs installed, routes in place) $(secs "$t0" "$t1")s"
echo "@ravpn n $N"
echo "@ravpn up_s $(secs "$t0" "$t1")"
info "the gateway's charon: $(installed) CHILD_SAs of remote-access users installed"
tbl() { ip -n "${NS[gw]}" route show table "$1" proto 118 | awk '/^10\.10\.0\.[0-9]* dev tra/ { print $1 }' | sort; }
tables=$(ip -n "${NS[gw]}" route show table all proto 118 | sed -n 's/^10\.10\.0\.[0-9]* dev tra[0-9]* table \([0-9]*\).*/\1/p' | sort -u)
same_pool() {
	local a b
	set -- $tables
	[ $# = 2 ] || return 1
	a=$(tbl "$1") b=$(tbl "$2")
	[ "$(wc -l <<<"$a")" = "$H" ] && [ "$a" = "$b" ]
}
check "$H users per tenant, the same $H addresses in both tenants' tables" same_pool
sleep 2
sync
kmem1=$(kmem)
crss1=$(rss "${CHARON_PID[gw]}")
arss1=$(rss "${AGENT_PID[gw]}")
kpu=$(( (kmem1 - kmem0) / N )) cpu=$(( (crss1 - crss0) / N )) apu=$(( (arss1 - arss0) / N ))
info "memory per user: $((kpu + cpu)) KiB = charon RSS +$cpu KiB (+$((crss1 - crss0)) KiB for $N) and kernel +$kpu KiB (SUnreclaim + Percpu +$((kmem1 - kmem0)) KiB); tenetd RSS +$apu KiB"
echo "@ravpn mem_kib $((kpu + cpu))"
echo "@ravpn charon_kib $cpu"
echo "@ravpn kernel_kib $kpu"
echo "@ravpn agent_kib $apu"
# tenetd admits each user on its ike-updown event (counting the users
# against the limits: one list-sas each); the routes come from its rounds
admitted() { grep -c "^tenetd: ravpn [A-Za-z]*: user [cw][0-9]* connected (virtual IP" "$TMP/gw.log"; }
info "tenetd had admitted $(admitted) of $N users when all were connected"
check "tenetd admits (logs) all $N users" wait_for 600 eval '[ "$(admitted)" -ge "$N" ]'
t2=$(now)
info "$N users: from the dial to tenetd's last admission $(secs "$t0" "$t2")s"
echo "@ravpn admit_s $(secs "$t0" "$t2")"
info "the clients' IKE retransmissions during the burst: $(cat "$TMP/cc/charon.log" "$TMP/cw/charon.log" | grep -c "retransmit [0-9]* of request")"
check "the clients' SAs are in their charons (kernel-libipsec), none in their kernel" \
	eval '[ -z "$(nx cc ip xfrm state)" ] && [ -z "$(nx cw ip xfrm state)" ] &&
	      [ "$(swan "$TMP/cc" --list-sas 2>/dev/null | grep -c INSTALLED)" = "$H" ]'

# ---- 2. one remote-access user against one S2S tunnel ----
SD=$TMP/site
charon_conf "$SD"
charon_start site "$SD" || fail_all "the site's charon"
nx site ip link add s1 type xfrm if_id 7
nx site ip link set s1 up
nx site ip link add lan1 type dummy
nx site ip link set lan1 up
nx site ip addr add 10.1.0.10/32 dev lan1
nx site ip route add 10.0.254.0/24 dev s1
cat >"$SD/swanctl.conf" <<EOF
connections {
	t1 { version = 2
		local_addrs = 198.18.0.1
		remote_addrs = 131.107.10.10
		proposals = aes128gcm16-prfsha256-x25519
		local { auth = psk }
		remote { auth = psk
			id = 131.107.10.10 }
		children { net { local_ts = 0.0.0.0/0
			remote_ts = 0.0.0.0/0
			if_id_in = 7
			if_id_out = 7
			esp_proposals = aes128gcm16 } } }
}
secrets {
	ike-1 { id-1 = 198.18.0.1
		secret = bench-psk-0123456789 }
}
EOF
check "the site dials T1" eval 'swan_load "$SD" && swan "$SD" --initiate --ike t1 --child net --timeout 60 >/dev/null 2>&1'
# the measured user: the kernel's ESP (kernel-netlink), route-based
# (if_id 7 on ipsec0), its virtual IP put there by its updown
RD=$TMP/ra
client_conf "$RD"
cat >"$RD/updown.sh" <<'EOF'
#!/bin/sh
case "$PLUTO_VERB" in
up-client) ip addr add "$PLUTO_MY_SOURCEIP/32" dev ipsec0
	ip route replace 10.0.0.0/16 dev ipsec0 src "$PLUTO_MY_SOURCEIP" ;;
down-client) ip route del 10.0.0.0/16 dev ipsec0 2>/dev/null
	ip addr del "$PLUTO_MY_SOURCEIP/32" dev ipsec0 2>/dev/null ;;
esac
exit 0
EOF
chmod +x "$RD/updown.sh"
{
	echo "connections {"
	ra_conn ra alice 198.18.0.2 10.0.0.0/16 7 "$RD/updown.sh"
	echo "}"
	printf 'secrets {\n\teap-alice { id = alice\n\t\tsecret = alice-pw-123 }\n}\n'
} >"$RD/swanctl.conf"
nx ra ip link add ipsec0 type xfrm if_id 7
nx ra ip link set ipsec0 mtu 1400 up
check "alice (Contoso) dials, the $((N + 1))th user" \
	eval 'charon_start ra "$RD" && swan_load "$RD" && swan "$RD" --initiate --ike ra --child ra --timeout 60 >/dev/null 2>&1'
vip() { nx ra ip -4 -o addr show ipsec0 | awk '{ sub(/\/.*/, "", $4); print $4; exit }'; }
wait_for 20 eval '[ -n "$(vip)" ]'
VIP=$(vip)
info "alice's virtual IP: ${VIP:-none}"
spawn nx site iperf3 -s -B 10.1.0.10 -p 5201 >/dev/null 2>&1
spawn nx ra iperf3 -s -B "${VIP:-10.10.0.1}" -p 5202 >/dev/null 2>&1
sleep 1
check "traffic through both: T1 to the site, Contoso to alice" \
	wait_for 20 eval 'g exec T1 -- ping -c 1 -W 2 10.1.0.10 >/dev/null && g exec Contoso -- ping -c 1 -W 2 "$VIP" >/dev/null'
ra=() s2s=()
for ((r = 0; r < ROUNDS; r++)); do
	ra+=("$(mbps g exec Contoso -- iperf3 -c "$VIP" -p 5202 -t "$SECS" -f m)")
	s2s+=("$(mbps g exec T1 -- iperf3 -c 10.1.0.10 -p 5201 -t "$SECS" -f m)")
done
rmed=$(printf '%s\n' "${ra[@]}" | median)
smed=$(printf '%s\n' "${s2s[@]}" | median)
info "iperf3 to the remote-access user: ${ra[*]} Mbit/s (median $rmed); through the S2S tunnel: ${s2s[*]} (median $smed)"
info "ratio remote access / S2S: $(awk -v a="$rmed" -v b="$smed" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x"
echo "@ravpn ra_mbps $rmed"
echo "@ravpn s2s_mbps $smed"
finish

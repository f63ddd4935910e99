#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Platform smoke test for the stock kernel the gateway needs (run it inside
# the guest: selftests/vm/run -- selftests/vm/smoke.sh). Proves that VRF,
# ESP over xfrm interfaces in a VRF, nftables NAT with conntrack zones, FRR
# (zebra + bgpd per VRF) and strongSwan (charon, IKEv2 with if_id) work.
# One line per check, "[ OK ] name" or "[FAIL] name: why", then
# "N passed, N failed". Exits non-zero if any check failed.
set -u
export LC_ALL=C

t=smk$$                 # prefix of every namespace and FRR path space
tmp=$(mktemp -d /tmp/smoke.XXXXXX)
frr_dir=/run/frr/$t     # FRR's directory for path space -N $t
passed=0
failed=0
namespaces=()
daemon_pids=()

cleanup() {
	local ns p
	for p in "${daemon_pids[@]}"; do kill "$p" 2>/dev/null; done
	for ns in "${namespaces[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	sleep 0.3
	for ns in "${namespaces[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$frr_dir" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "[ OK ] $1"; passed=$((passed + 1)); }
fail() { echo "[FAIL] $1${2:+: $2}"; failed=$((failed + 1)); }
# check NAME CMD...: one check; on failure, the last line CMD printed says why.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		fail "$name" "$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n1)"
	fi
}
# wait_for SECS CMD...: retry CMD until it succeeds or SECS pass.
wait_for() {
	local secs=$(($1 * ${TENET_WAIT_SCALE:-1})) out end
	end=$((${EPOCHREALTIME/./} + secs * 1000000))   # us: SECONDS is whole seconds
	shift
	while :; do
		out=$("$@" 2>&1) && { printf '%s\n' "$out"; return 0; }
		if [ "${EPOCHREALTIME/./}" -ge $end ]; then
			echo "after ${secs}s: $(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n1)"
			return 1
		fi
		sleep 0.5
	done
}
# expect PATTERN CMD...: CMD succeeds and its output matches PATTERN (ERE).
expect() {
	local pat=$1 out
	shift
	out=$("$@" 2>&1) || { printf '%s\n' "$out"; return 1; }
	grep -Eq -- "$pat" <<<"$out" && return 0
	printf '%s\n' "$out" | tail -n3
	echo "output does not match /$pat/"
	return 1
}
not() { ! "$@"; }
newns() { # NAME...: create namespaces (full names), lo up
	local ns
	for ns; do
		ip netns add "$ns" || return 1
		namespaces+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
}
ipb() { ip -n "$1" -batch -; }  # NS: the ip commands on stdin, in NS
ping1() { # NS [ping args...]: one ping, a few seconds to answer
	local ns=$1
	shift
	ip netns exec "$ns" ping -n -q -c1 -W5 "$@"
}
# packets an ESP state has handled: NS SRC DST SPI
sa_packets() {
	ip -n "$1" -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		grep -o '[0-9]\+(packets)' | head -n1 | tr -d '()packets'
}
# packets all ESP states of NS have handled
esp_packets() {
	ip -n "$1" -s xfrm state | grep -o '[0-9]\+(packets)' | tr -d '()packets' |
		awk '{ n += $1 } END { print n + 0 }'
}
positive() { # CMD...: CMD prints a count above zero
	local n
	n=$("$@") || return 1
	[ "${n:-0}" -gt 0 ] || { echo "count is ${n:-none}"; return 1; }
}

if [ "$(id -u)" -ne 0 ]; then
	echo "smoke: needs root (run it in the guest: selftests/vm/run -- $0)" >&2
	exit 1
fi
echo "# kernel $(uname -r)"
na=${t}a nb=${t}b nc=${t}c nd=${t}d ne=${t}e nr=${t}r ns=${t}s nf=${t}f np=${t}p nq=${t}q

# --- modules: modprobe from the kernel package's tree
for m in vrf veth dummy esp4 xfrm_interface nf_tables nf_conntrack nf_nat nft_ct; do
	check "modprobe $m" modprobe "$m"
done

# --- VRF: a veth enslaved to a VRF, ping through it from inside the VRF
newns "$na" "$nb"
ipb "$na" <<EOF
link add v0 type veth peer name v1 netns $nb
link add red type vrf table 101
link set red up
link set v0 master red
addr add 10.1.0.1/24 dev v0
link set v0 up
EOF
ipb "$nb" <<EOF
addr add 10.1.0.2/24 dev v1
link set v1 up
EOF
check "vrf: veth enslaved" expect '^v0[@ ]' ip -n "$na" -br link show master red
check "vrf: connected route in the VRF table" expect '^10\.1\.0\.0/24 dev v0' ip -n "$na" route show table 101
check "vrf: route absent from the main table" not expect '10\.1\.0\.0' ip -n "$na" route show table main
check "vrf: ping inside the VRF" ping1 "$na" -I red 10.1.0.2
check "vrf: no ping outside the VRF" not ping1 "$na" -W1 10.1.0.2

# --- ESP: xfrm interfaces (if_id) enslaved to a VRF on both sides of an
# underlay in the default VRF. xfrm_pair L R IFID NET: underlay veth
# 192.0.2.1 (L) - 192.0.2.2 (R); xfrm interface xi0 on it in VRF blue
# (table 102) with NET.1/24 (L) and NET.2/24 (R).
xfrm_pair() {
	local l=$1 r=$2 id=$3 net=$4 n=1 x
	ip -n "$l" link add u0 type veth peer name u0 netns "$r" || return 1
	for x in "$l" "$r"; do
		ipb "$x" <<-EOF || return 1
		addr add 192.0.2.$n/24 dev u0
		link set u0 up
		link add blue type vrf table 102
		link set blue up
		link add xi0 type xfrm dev u0 if_id $id
		link set xi0 master blue
		addr add $net.$n/24 dev xi0
		link set xi0 up
		EOF
		n=2
	done
}
newns "$nc" "$nd"
check "xfrm: interfaces in a VRF" xfrm_pair "$nc" "$nd" 0x42 10.2.0
k1=0x0102030405060708090a0b0c0d0e0f1011121314
k2=0x1112131415161718191a1b1c1d1e1f2021222324
xfrm_manual() { # NS LOCAL REMOTE: both states, policies in and out
	ipb "$1" <<-EOF
	xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x101 reqid 1 mode tunnel if_id 0x42 aead rfc4106(gcm(aes)) $k1 128
	xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x102 reqid 1 mode tunnel if_id 0x42 aead rfc4106(gcm(aes)) $k2 128
	xfrm policy add dir out src 0.0.0.0/0 dst 0.0.0.0/0 if_id 0x42 tmpl src $2 dst $3 proto esp reqid 1 mode tunnel
	xfrm policy add dir in src 0.0.0.0/0 dst 0.0.0.0/0 if_id 0x42 tmpl src $3 dst $2 proto esp reqid 1 mode tunnel
	EOF
}
check "xfrm: ESP states and policies with if_id" xfrm_manual "$nc" 192.0.2.1 192.0.2.2
check "xfrm: the same on the peer" xfrm_manual "$nd" 192.0.2.2 192.0.2.1
check "xfrm: route to the tunnel in the VRF table" expect '10\.2\.0\.0/24 dev xi0' ip -n "$nc" route show table 102
check "xfrm: ping through the tunnel in the VRF" ping1 "$nc" -I blue 10.2.0.2
check "xfrm: the ping went over ESP" positive sa_packets "$nd" 192.0.2.1 192.0.2.2 0x101
check "xfrm: the reply came back over ESP" positive sa_packets "$nc" 192.0.2.2 192.0.2.1 0x102

# --- nftables: masquerade conditioned on a conntrack zone that is set in
# both directions; the server has no route back, so only NAT lets it answer.
newns "$ne" "$nr" "$ns"
ipb "$ne" <<EOF
link add e0 type veth peer name r0 netns $nr
addr add 10.3.0.2/24 dev e0
link set e0 up
route add default via 10.3.0.1
EOF
ipb "$nr" <<EOF
link add r1 type veth peer name s0 netns $ns
addr add 10.3.0.1/24 dev r0
addr add 203.0.113.1/24 dev r1
link set r0 up
link set r1 up
EOF
ipb "$ns" <<EOF
addr add 203.0.113.2/24 dev s0
link set s0 up
EOF
ip netns exec "$nr" sysctl -qw net.ipv4.ip_forward=1
cat > "$tmp/nat.nft" <<'EOF'
table ip smoke_nat {
	chain raw_pre {
		type filter hook prerouting priority raw; policy accept;
		iifname { "r0", "r1" } ct zone set 7
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "r1" ct zone 7 counter masquerade
	}
}
EOF
check "nft: no ping before NAT" not ping1 "$ne" -W1 203.0.113.2
check "nft: NAT ruleset with conntrack zones loads" ip netns exec "$nr" nft -f "$tmp/nat.nft"
check "nft: NATed ping" ping1 "$ne" 203.0.113.2
check "nft: masquerade rule counted the ping" expect 'counter packets [1-9]' \
	ip netns exec "$nr" nft list chain ip smoke_nat post
check "nft: conntrack entry in zone 7" expect 'src=10\.3\.0\.2 .*zone=7' \
	ip netns exec "$nr" cat /proc/net/nf_conntrack

# --- FRR: zebra and one bgpd with two BGP instances, each in its own VRF
# (red AS 65000, blue AS 65001), peering over a veth pair between the VRFs.
# blue originates 10.99.0.0/24; zebra must install it in red's table.
newns "$nf"
ipb "$nf" <<EOF
link add red type vrf table 111
link add blue type vrf table 112
link set red up
link set blue up
link add fr0 type veth peer name fb0
link set fr0 master red
link set fb0 master blue
addr add 10.9.0.1/24 dev fr0
addr add 10.9.0.2/24 dev fb0
link set fr0 up
link set fb0 up
link add lan0 type dummy
link set lan0 master blue
addr add 10.99.0.1/24 dev lan0
link set lan0 up
EOF
mkdir -p "$frr_dir"
cat > "$frr_dir/bgpd.conf" <<'EOF'
router bgp 65000 vrf red
 bgp router-id 10.9.0.1
 no bgp ebgp-requires-policy
 neighbor 10.9.0.2 remote-as 65001
 neighbor 10.9.0.2 timers connect 1
!
router bgp 65001 vrf blue
 bgp router-id 10.9.0.2
 no bgp ebgp-requires-policy
 neighbor 10.9.0.1 remote-as 65000
 neighbor 10.9.0.1 timers connect 1
 address-family ipv4 unicast
  network 10.99.0.0/24
 exit-address-family
!
EOF
: > "$frr_dir/zebra.conf"
chown -R frr:frr "$frr_dir"
frr_start() { # DAEMON: start it daemonized in $nf, path space $t
	ip netns exec "$nf" "/usr/lib/frr/$1" -d -N "$t" -f "$frr_dir/$1.conf" -P 0 \
		--log "file:$frr_dir/$1.log"
}
vty() { vtysh -N "$t" -c "$1"; }
check "frr: zebra starts" frr_start zebra
check "frr: zebra sees the VRFs" wait_for 20 expect 'red +id [0-9]+' vty 'show vrf'
check "frr: bgpd starts" frr_start bgpd
check "frr: bgpd answers for its VRF instance" wait_for 20 \
	expect 'local AS number 65000 vrf-id [0-9]+' vty 'show bgp vrf red summary'
check "frr: BGP session between the VRFs established" wait_for 60 \
	expect 'BGP state = Established' vty 'show bgp vrf red neighbors 10.9.0.2'
check "frr: zebra installed the BGP route in the VRF table" wait_for 20 \
	expect '10\.99\.0\.0/24 .*proto bgp' ip -n "$nf" route show table 111

# --- strongSwan: a charon in each of two namespaces negotiates IKEv2 (PSK)
# for a child SA bound to xfrm interfaces (if_id) that sit in a VRF.
newns "$np" "$nq"
check "ike: xfrm interfaces in a VRF" xfrm_pair "$np" "$nq" 0x43 10.4.0
charon_start() { # NS DIR LOCAL REMOTE LOCAL_ID REMOTE_ID
	local d=$2
	mkdir -p "$d"
	cat > "$d/strongswan.conf" <<-EOF
	include /etc/strongswan.conf
	charon {
		install_routes = no
		plugins {
			vici {
				socket = unix://$d/charon.vici
			}
		}
		filelog {
			smoke {
				path = $d/charon.log
				default = 1
			}
		}
	}
	EOF
	cat > "$d/swanctl.conf" <<-EOF
	connections {
		smk {
			version = 2
			local_addrs = $3
			remote_addrs = $4
			proposals = aes128-sha256-modp2048
			local {
				auth = psk
				id = $5
			}
			remote {
				auth = psk
				id = $6
			}
			children {
				net {
					local_ts = 0.0.0.0/0
					remote_ts = 0.0.0.0/0
					if_id_in = 0x43
					if_id_out = 0x43
					esp_proposals = aes128gcm16
				}
			}
		}
	}
	secrets {
		ike-smk {
			id-a = left@smoke
			id-b = right@smoke
			secret = smoke-test-only-psk
		}
	}
	EOF
	# a private /run: every charon writes /run/charon.pid
	ip netns exec "$1" unshare -m sh -c \
		"mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$d/strongswan.conf exec /usr/lib/ipsec/charon" \
		> "$d/charon.out" 2>&1 &
	daemon_pids+=($!)
}
swan() { local d=$1; shift; swanctl "$@" --uri "unix://$d/charon.vici"; }
charon_start "$np" "$tmp/p" 192.0.2.1 192.0.2.2 left@smoke right@smoke
charon_start "$nq" "$tmp/q" 192.0.2.2 192.0.2.1 right@smoke left@smoke
check "ike: charon answers swanctl --stats" wait_for 30 expect 'uptime:' swan "$tmp/p" --stats
check "ike: the peer's charon answers too" wait_for 30 expect 'uptime:' swan "$tmp/q" --stats
check "ike: connection with if_id loads" expect "loaded connection 'smk'" \
	swan "$tmp/p" --load-all --file "$tmp/p/swanctl.conf"
check "ike: the peer's connection loads" expect "loaded connection 'smk'" \
	swan "$tmp/q" --load-all --file "$tmp/q/swanctl.conf"
check "ike: IKEv2 SA and child SA established" \
	swan "$tmp/p" --initiate --ike smk --child net --timeout 60
check "ike: charon installed ESP states with if_id" expect 'if_id 0x43' ip -n "$nq" xfrm state
check "ike: ping through the IKE tunnel in the VRF" ping1 "$np" -I blue 10.4.0.2
check "ike: the ping went over ESP" positive esp_packets "$nq"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

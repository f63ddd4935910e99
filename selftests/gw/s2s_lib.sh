# SPDX-License-Identifier: GPL-2.0
# Site-to-site VPN test helpers (source after selftests/net/lib.sh): the
# gateway's charon and the sites' IKE daemons, each in its own namespace
# with its own /run and configuration:
#
#   charon (strongSwan)  charon_start NAME DIR [EXTRA-CHARON-OPTIONS]: a
#                        charon in namespace NAME, VICI socket DIR/charon.vici
#   Libreswan (pluto)    lsw_start NAME DIR: pluto from the unpacked
#                        libreswan package (selftests/gw/libreswan.sh fetch)
#
# The tests configure the sites with swanctl and whack, as a site's admin
# would; tenetd alone configures the gateway's charon (over VICI).

LSW_ROOT=${LSW_ROOT:-$BUILD/libreswan/root}
S2S_PLUGINS="random nonce aes sha1 sha2 hmac kdf gcm openssl pem pkcs1 pkcs8 x509 pubkey
	revocation constraints kernel-netlink socket-default vici updown eap-identity
	eap-mschapv2 md5"
declare -A CHARON_PID=()
declare -A CHARON_DIR=()

# The kernel modules and crypto the tunnels need, loaded before any IKE
# exchange: the first rfc4106(gcm(aes)) state costs seconds in the guest
# (the kernel probes ~28 crypto module names), longer than an IKE
# retransmission.
s2s_prewarm() {
	modprobe -a vrf xfrm_interface esp4 xfrm_user 2>/dev/null
	ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x99 mode tunnel \
		aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 &&
	ip xfrm state flush
}

# charon_conf DIR [EXTRA]: a strongswan.conf of its own (not the system's:
# its plugins are listed, its socket and log are in DIR).
charon_conf() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<EOF
charon {
	load = $(echo $S2S_PLUGINS)
	install_routes = no
	install_virtual_ip = no
	# dead peers are found in seconds: DPD every dpd_delay, then these
	retransmit_tries = 2
	retransmit_timeout = 1.5
	retransmit_base = 1.4
	${2:-}
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
		openssl {
			load_legacy = yes
		}
	}
	filelog {
		test {
			path = $d/charon.log
			default = 1
			ike = 2
			cfg = 2
			flush_line = yes
			time_format = %H:%M:%S
		}
	}
}
EOF
}

# charon_start NAME DIR [EXTRA]: charon in namespace NAME with a private
# /run (every charon writes /run/charon.pid). Waits until it answers.
charon_start() {
	local n=$1 d=$2
	[ -f "$d/strongswan.conf" ] || charon_conf "$d" "${3:-}"
	ip netns exec "${NS[$n]}" unshare -m sh -c \
		"mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$d/strongswan.conf exec /usr/lib/ipsec/charon" \
		>>"$d/charon.out" 2>&1 &
	CHARON_PID[$n]=$!
	CHARON_DIR[$n]=$d
	LIB_BG+=("$!")
	wait_for 30 swan "$d" --stats >/dev/null 2>&1
}
charon_stop() {
	local p=${CHARON_PID[$1]:-}
	[ -n "$p" ] || return 0
	lib_stop "$p" "charon of $1"
	CHARON_PID[$1]=
}
# swan DIR ARGS: swanctl against the charon of DIR.
swan() { local d=$1; shift; swanctl "$@" --uri "unix://$d/charon.vici"; }
# swan_load DIR: load DIR/swanctl.conf (and the credentials beside it).
swan_load() { (cd "$1" && swan "$1" --load-all --file "$1/swanctl.conf") >"$1/load.out" 2>&1; }

# site_updown DIR PREFIX DEV METRIC: an updown script that routes PREFIX
# into the site's XFRM interface while its child SA is up (a route-based
# site whose fallback is a route of a higher metric elsewhere).
site_updown() {
	cat >"$1/updown.sh" <<EOF
#!/bin/sh
case "\$PLUTO_VERB" in
up-client) ip route replace $2 dev $3 metric $4 ;;
down-client) ip route del $2 dev $3 metric $4 2>/dev/null ;;
esac
exit 0
EOF
	chmod +x "$1/updown.sh"
}

# lsw_start NAME DIR: Libreswan's pluto in namespace NAME, configured by
# DIR/ipsec.conf and DIR/ipsec.secrets, NSS database and control socket in
# DIR. The package's programs expect /usr/libexec/ipsec: its unpacked tree
# is bound there in pluto's own mount namespace (Debian's libreswan and
# strongSwan packages conflict; libreswan is unpacked, never installed).
lsw_start() {
	local n=$1 d=$2
	mkdir -p "$d/run" "$d/nss" "$d/ipsec.d"
	certutil -N -d "sql:$d/nss" --empty-password || return 1
	chmod 600 "$d/ipsec.secrets"
	ip netns exec "${NS[$n]}" unshare -m sh -c \
		"mount -t tmpfs tmpfs /run && mount --bind $LSW_ROOT/usr/libexec /usr/libexec &&
		 exec /usr/libexec/ipsec/pluto --nofork --config $d/ipsec.conf --rundir $d/run \
			--nssdir $d/nss --secretsfile $d/ipsec.secrets --ipsecdir $d/ipsec.d" \
		>>"$d/pluto.out" 2>&1 &
	CHARON_PID[$n]=$!
	LIB_BG+=("$!")
	wait_for 30 test -S "$d/run/pluto.ctl" &&
		# The control socket comes before pluto listens for IKE: an
		# --initiate then fails with "need --listen before --initiate".
		"$LSW_ROOT/usr/libexec/ipsec/whack" --ctlsocket "$d/run/pluto.ctl" --listen \
			>>"$d/pluto.out" 2>&1
}
whack() { local d=$1; shift; "$LSW_ROOT/usr/libexec/ipsec/whack" --ctlsocket "$d/run/pluto.ctl" "$@"; }

require_libreswan() {
	[ -x "$LSW_ROOT/usr/libexec/ipsec/pluto" ] ||
		fail_all "no Libreswan in $LSW_ROOT (run selftests/gw/libreswan.sh fetch on the host first)"
}

# pki DIR: the provider's root CA (Fabrikam), the gateway's certificate,
# a site certificate, and a rogue CA with a site certificate of the same
# subject (ECDSA P-256: fast under emulation).
pki_make() {
	local p=$1
	mkdir -p "$p"
	# (pki loads every plugin Debian enables and complains about the ones
	# it lacks: stderr is kept out of the test's output)
	(
		exec 2>"$p/pki.err"
		cd "$p" || exit 1
		pki --gen --type ecdsa --size 256 --outform pem >ca.key &&
		pki --self --in ca.key --type ecdsa --dn "C=US, O=Fabrikam, CN=Fabrikam Root CA" --ca \
			--outform pem >ca.pem &&
		pki --gen --type ecdsa --size 256 --outform pem >rogue.key &&
		pki --self --in rogue.key --type ecdsa --dn "C=US, O=Rogue, CN=Rogue CA" --ca \
			--outform pem >rogue.pem || exit 1
		mk() { # NAME DN CA [SAN]
			pki --gen --type ecdsa --size 256 --outform pem >"$1.key" &&
			pki --req --in "$1.key" --type ecdsa --dn "$2" --outform pem >"$1.req" &&
			pki --issue --cacert "$3.pem" --cakey "$3.key" --type pkcs10 --in "$1.req" \
				${4:+--san "$4"} --outform pem >"$1.pem"
		}
		mk gw "C=US, O=Fabrikam, CN=gw.fabrikam.example" ca gw.fabrikam.example &&
		mk sfo "C=US, O=Woodgrove, CN=sfo.woodgrove.example" ca &&
		mk rogue-sfo "C=US, O=Woodgrove, CN=sfo.woodgrove.example" rogue
	)
}

# The gateway's S2S state as `tenet s2s show` prints it ("state X").
s2s_state() { nx gw "$TENET" --store "$STORE" --host gw s2s show "$1" vici "$GW_VICI" 2>/dev/null |
	sed -n 's/^    state \([a-z]*\).*/\1/p'; }
s2s_is() { [ "$(s2s_state "$1")" = "$2" ]; }

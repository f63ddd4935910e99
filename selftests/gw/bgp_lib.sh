# SPDX-License-Identifier: GPL-2.0
# BGP test helpers (source after selftests/net/lib.sh): the gateway's FRR
# and the sites' BGP speakers, each in its own namespace with its own
# sockets and configuration:
#
#   FRR (gateway)   frr_start NAME DAEMON...: zebra, bgpd, staticd, bfdd of
#                   path space $FRR_PS in namespace NAME, empty configuration
#                   (tenetd writes tenet's part); frr_stop; vty CMD
#   BIRD 2          bird_start NAME CONF: bird with its own control socket
#   GoBGP           gobgp_start NAME CONF: gobgpd (gRPC on 127.0.0.1 of the
#                   namespace); gobgpx NAME ARGS: its CLI

FRR_PS=${FRR_PS:-tb$$}
FRR_DIR=/run/frr/$FRR_PS
declare -A FRR_NS=()

frr_start() { # NAME DAEMON...
	local n=$1 d
	shift
	# FRR's daemons run as frr: their files are in its run directory
	# ($TMP is root's alone)
	mkdir -p "$FRR_DIR"
	chown frr:frr "$FRR_DIR"
	for d in "$@"; do
		[ -e "$FRR_DIR/$d.conf" ] || : >"$FRR_DIR/$d.conf"
		chown frr:frr "$FRR_DIR/$d.conf"
		ip netns exec "${NS[$n]}" "/usr/lib/frr/$d" -d -N "$FRR_PS" -f "$FRR_DIR/$d.conf" \
			-P 0 --log "file:$FRR_DIR/$d.log" || return 1
		FRR_NS[$d]=$n
	done
}
frr_stop() { # DAEMON...: SIGTERM and wait for each to go
	local d p
	for d in "$@"; do
		p=$(cat "$FRR_DIR/$d.pid" 2>/dev/null) || continue
		kill "$p" 2>/dev/null
		wait_for 10 eval "! kill -0 $p 2>/dev/null" || kill -9 "$p" 2>/dev/null
	done
}
vty() { vtysh -N "$FRR_PS" -c "$*" 2>/dev/null; }
frr_cleanup() {
	frr_stop bfdd staticd bgpd zebra
	# the daemons' logs go with the test's files
	[ -d "$TMP" ] && cp "$FRR_DIR"/*.log "$TMP/" 2>/dev/null
	rm -rf "$FRR_DIR"
}

bird_start() { # NAME CONF
	mkdir -p "$TMP/bird-$1"
	ip netns exec "${NS[$1]}" bird -c "$2" -s "$TMP/bird-$1/ctl" -P "$TMP/bird-$1/pid"
}
birdx() { local n=$1; shift; birdc -s "$TMP/bird-$n/ctl" "$@"; }

gobgp_start() { # NAME CONF
	spawn ip netns exec "${NS[$1]}" gobgpd -f "$2" -p -l info --api-hosts 127.0.0.1:50051 \
		--pprof-disable >>"$TMP/gobgp-$1.log" 2>&1
}
gobgpx() { local n=$1; shift; nx "$n" gobgp -u 127.0.0.1 -p 50051 "$@"; }

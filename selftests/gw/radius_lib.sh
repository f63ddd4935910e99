# SPDX-License-Identifier: GPL-2.0
# FreeRADIUS for the remote-access tests and benchmark (test_ravpn.sh,
# ravpn_bench.sh): a configuration of its own in a directory, nothing of
# /etc/freeradius used. Sourced after selftests/net/lib.sh.
#
# radius_conf DIR [SESSIONS]: DIR/radiusd.conf for a server on
# 131.107.10.20:1812 with one client, the gateway 131.107.10.10 (secret
# radius-secret-0123), EAP-MD5, users from DIR/users (the caller writes
# them). Without SESSIONS: the tests' server (run with -X: one thread,
# each authentication logged, 64 EAP sessions). With SESSIONS: a threaded
# server for a burst (run with -f) holding that many requests and EAP
# sessions, authentications not logged.
radius_conf() {
	local dir=$1 sessions=${2:-} max=1024 eap=64 auth=yes pool=
	if [ -n "$sessions" ]; then
		max=$sessions eap=$sessions auth=no
		pool='thread pool {
	start_servers = 4
	max_servers = 16
	min_spare_servers = 2
	max_spare_servers = 8
	max_requests_per_server = 0
}
'
	fi
	mkdir -p "$dir"
	cat >"$dir/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir
raddbdir = $dir
radacctdir = $dir
name = freeradius
confdir = $dir
modconfdir = $dir
run_dir = $dir
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/radiusd.pid
max_request_time = 10
cleanup_delay = 1
max_requests = $max
hostname_lookups = no
log {
	destination = files
	file = $dir/radius.log
	auth = $auth
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
${pool}client gw {
	ipaddr = 131.107.10.10
	secret = radius-secret-0123
}
listen {
	type = auth
	ipaddr = 131.107.10.20
	port = 1812
	virtual_server = default
}
modules {
	files {
		filename = $dir/users
	}
	eap {
		default_eap_type = md5
		timer_expire = 60
		max_sessions = $eap
		md5 {
		}
	}
}
server default {
	authorize {
		files
		eap
	}
	authenticate {
		eap
	}
	post-auth {
	}
}
EOF
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Distributed routing between virtual subnets of one routing domain (the
# "different virtual subnets" packet flows of chapter 1). Contoso has two
# subnets, VSID 5001 (10.0.0.0/24) and VSID 6001 (10.0.1.0/24):
#
#   host1 (192.168.4.11): a 10.0.0.5 (5001)   b 10.0.1.5 (6001)
#   host2 (192.168.4.22): c 10.0.1.7 (6001)   d 10.0.0.7 (5001)
#
# Routed traffic has its TTL decremented once by the distributed router
# (ping shows ttl=63 where a switched reply shows 64), on the same host and
# across hosts; on the wire the GRE key carries the destination's VSID, so
# a request a -> c travels as 6001 and its reply as 5001. A second routing
# domain with a subnet of its own is not reachable from Contoso.
. "$(dirname "$0")/lib.sh"
lib_init rt
require_root
require_build
require_cmd ethtool ping dumpcap tshark

MA=00:15:5d:00:50:05 MB=00:15:5d:00:60:05 MC=00:15:5d:00:60:07 MD=00:15:5d:00:50:07
ME=00:15:5d:00:80:09

fabric_add
host_add host1 192.168.4.11/24
host_add host2 192.168.4.22/24
vm_add a host1 pa $MA 10.0.0.5/24
vm_add b host1 pb $MB 10.0.1.5/24
vm_add c host2 pc $MC 10.0.1.7/24
vm_add d host2 pd $MD 10.0.0.7/24
vm_add e host2 pe $ME 10.0.8.9/24      # Fabrikam, another routing domain

configure() {
	tq rdomain add Contoso &&
	tq vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24 &&
	tq vsubnet add 6001 rdomain Contoso prefix 10.0.1.0/24 &&
	tq rdomain add Fabrikam &&
	tq vsubnet add 8001 rdomain Fabrikam prefix 10.0.8.0/24 &&
	tq lookup add vsid 5001 ca 10.0.0.5 mac $MA pa 192.168.4.11 &&
	tq lookup add vsid 6001 ca 10.0.1.5 mac $MB pa 192.168.4.11 &&
	tq lookup add vsid 6001 ca 10.0.1.7 mac $MC pa 192.168.4.22 &&
	tq lookup add vsid 5001 ca 10.0.0.7 mac $MD pa 192.168.4.22 &&
	tq lookup add vsid 8001 ca 10.0.8.9 mac $ME pa 192.168.4.22 &&
	tq port set dev pa vsid 5001 mac $MA host host1 &&
	tq port set dev pb vsid 6001 mac $MB host host1 &&
	tq port set dev pc vsid 6001 mac $MC host host2 &&
	tq port set dev pd vsid 5001 mac $MD host host2 &&
	tq port set dev pe vsid 8001 mac $ME host host2
}
check "configure Contoso 5001/6001 and Fabrikam 8001" configure
host_start_all
check "ports attached" wait_for 5 host_ports_attached host1 pa pb
check "ports attached on host2" wait_for 5 host_ports_attached host2 pc pd pe
check "warm-up across hosts" wait_for 3 ping_ok a 10.0.0.7

check "capture on the fabric started" cap_start fabric fabric $(fabric_ports br0)
check "capture in c started" cap_start in_c c eth0
# ping_ttl_is VM DST TTL: the first reply arrives with that TTL.
ping_ttl_is() {
	local got
	got=$(ping_ttl "$1" "$2")
	info "$1 -> $2: reply ttl=${got:-none} (want $3)"
	[ "$got" = "$3" ]
}
check "a -> b, same host, 5001 -> 6001: routed, ttl=63" ping_ttl_is a 10.0.1.5 63
check "b -> a, same host, 6001 -> 5001: routed, ttl=63" ping_ttl_is b 10.0.0.5 63
check "a -> c, across hosts, 5001 -> 6001: routed, ttl=63" ping_ttl_is a 10.0.1.7 63
check "c -> a, across hosts, 6001 -> 5001: routed, ttl=63" ping_ttl_is c 10.0.0.5 63
check "b -> d, across hosts, 6001 -> 5001: routed, ttl=63" ping_ttl_is b 10.0.0.7 63
check "a -> d, across hosts, same VSID: switched, ttl=64" ping_ttl_is a 10.0.0.7 64
check "a -> c with a 1400-byte payload, DF (fits the port MTU)" \
	bash -c "ip netns exec ${NS[a]} ping -c 1 -W 1 -s 1400 -M do 10.0.1.7 >/dev/null"
check "capture in c stopped" cap_stop in_c
check "capture on the fabric stopped" cap_stop fabric

# The request as c received it: TTL 63, from the router MAC.
req=$(cap_read in_c -Y 'icmp.type == 8 && ip.src == 10.0.0.5' -T fields -E separator=' ' -e ip.ttl -e eth.src | head -n 1)
info "request a -> c as received by c: ttl ${req% *}, source MAC ${req#* }"
check "the request reached c with TTL 63" test "${req% *}" = 63
check "the request reached c from the router MAC" test "${req#* }" = "$ROUTER_MAC"

# The wire: GRE key >> 8 is the VSID. Outer and inner fields are listed
# (comma-separated) in the order they occur.
cap_read fabric -Y 'gre && icmp' -T fields -E separator=' ' \
	-e ip.src -e ip.dst -e gre.key -e gre.proto -e ip.ttl -e icmp.type >"$TMP/wire.txt"
wire_vsid() { # inner-src inner-dst icmp-type: the VSID(s) seen on the wire
	python3 - "$TMP/wire.txt" "$@" <<'EOF'
import sys
src, dst, typ = sys.argv[2:]
seen = set()
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 6:
        continue
    s, d, key, proto, ttl, icmp = (x.split(",") for x in f)
    if s[-1] == src and d[-1] == dst and icmp[-1] == typ and proto[0] == "0x6558":
        seen.add(int(key[0], 16) >> 8)
print(",".join(str(v) for v in sorted(seen)))
EOF
}
show_wire() {
	python3 - "$TMP/wire.txt" <<'EOF'
import sys
done = set()
for line in open(sys.argv[1]):
    s, d, key, proto, ttl, icmp = (x.split(",") for x in line.split())
    k = int(key[0], 16)
    what = (s[-1], d[-1], icmp[-1])
    if what in done:
        continue
    done.add(what)
    print("# wire: %s -> %s GRE key 0x%08x = VSID %d FlowID %d, TEB: %s -> %s ttl %s %s"
          % (s[0], d[0], k, k >> 8, k & 0xff, s[-1], d[-1], ttl[-1],
             "echo request" if icmp[-1] == "8" else "echo reply"))
EOF
}
show_wire
check "wire: request a -> c (10.0.0.5 -> 10.0.1.7) carries VSID 6001" \
	test "$(wire_vsid 10.0.0.5 10.0.1.7 8)" = 6001
check "wire: reply c -> a (10.0.1.7 -> 10.0.0.5) carries VSID 5001" \
	test "$(wire_vsid 10.0.1.7 10.0.0.5 0)" = 5001
check "wire: request c -> a carries VSID 5001" test "$(wire_vsid 10.0.1.7 10.0.0.5 8)" = 5001
check "wire: request b -> d (6001 -> 5001) carries VSID 5001" \
	test "$(wire_vsid 10.0.1.5 10.0.0.7 8)" = 5001
check "wire: switched a -> d carries VSID 5001" test "$(wire_vsid 10.0.0.5 10.0.0.7 8)" = 5001
check "wire: same-host routing never touched the fabric" \
	test -z "$(wire_vsid 10.0.0.5 10.0.1.5 8)"
inner_ttl=$(awk '{ split($5, t, ","); split($1, s, ","); split($2, d, ",");
	if (s[2] == "10.0.0.5" && d[2] == "10.0.1.7") { print t[2]; exit } }' "$TMP/wire.txt")
check "wire: the inner TTL of routed a -> c is already 63 (${inner_ttl:-none})" test "${inner_ttl:-}" = 63

# No route leaves the routing domain.
nr0=$(stats_count host1 no-route)
check "a cannot reach Fabrikam's 10.0.8.9" ping_fails a 10.0.8.9
check "e (Fabrikam) cannot reach Contoso's 10.0.0.7" ping_fails e 10.0.0.7
nr1=$(stats_count host1 no-route)
check "host1 counted no-route for a -> 10.0.8.9 ($nr0 -> $nr1)" test "$nr1" -ge $((nr0 + 2))

finish

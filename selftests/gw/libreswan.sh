#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Libreswan for the site-to-site tests: Debian's libreswan package
# conflicts with strongSwan's (both install an IKE daemon and Conflict:
# with each other), and the gateway needs strongSwan. The tests run
# Libreswan's pluto for one site only, so the package is fetched with
# apt-get download and unpacked under $BUILD/libreswan, never installed
# (as selftests/vm/run does with kernel packages); its libraries are in
# scripts/debian-packages.txt. The guest has no network: run `fetch` on
# the host first (selftests/vm/check.sh does).
#
#   selftests/gw/libreswan.sh fetch   download (once) and unpack
#   selftests/gw/libreswan.sh root    print the unpacked tree's path
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
dir=$BUILD/libreswan
root=$dir/root

case "${1:-fetch}" in
root)
	echo "$root"
	;;
fetch)
	if [ -x "$root/usr/libexec/ipsec/pluto" ]; then
		exit 0
	fi
	mkdir -p "$dir"
	# _apt cannot write into a root-owned build tree: download in a
	# directory it may write to, then move the package here.
	tmp=$(mktemp -d /tmp/tenet-libreswan.XXXXXX)
	chmod 755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && apt-get download -q libreswan >/dev/null 2>&1); then
		# offline: an earlier download, if any
		deb=$(ls -t "$dir"/libreswan_*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] || { echo "libreswan: apt-get download failed and nothing is cached in $dir" >&2; exit 1; }
	else
		rm -f "$dir"/libreswan_*.deb
		mv "$tmp"/libreswan_*.deb "$dir/"
		deb=$(ls "$dir"/libreswan_*.deb)
	fi
	rm -rf "$root"
	dpkg -x "$deb" "$root"
	[ -x "$root/usr/libexec/ipsec/pluto" ] || { echo "libreswan: no pluto in $deb" >&2; exit 1; }
	echo "libreswan: $(basename "$deb") unpacked in $root"
	;;
*)
	echo "usage: $0 fetch|root" >&2
	exit 2
	;;
esac

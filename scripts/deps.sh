#!/bin/sh
# Install every build and test dependency from Debian's archive. Idempotent:
# packages already present are left alone and apt is not even asked.
set -eu
here=$(dirname "$0")
list=$(grep -v '^\s*#' "$here/debian-packages.txt" | grep -v '^\s*$')
missing=
for p in $list; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo $list | wc -w) packages present"
	exit 0
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends $missing

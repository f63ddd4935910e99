#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check-fresh`: the README's install on a fresh Debian 12, from
# nothing. Builds a minimal bookworm root with debootstrap from the archive
# apt already uses, puts the committed tree in it (git archive HEAD) and
# runs, chrooted, exactly what the README tells a new user to run: its
# apt-get line, then make deps, make, make check-unit, make check-bpf and
# make demo. A package the project's own scripts forget to install fails
# it. Prints how long each phase took. docs/testing.md has the details.
#
#   selftests/fresh/check.sh
#
# Environment:
#   TENET_FRESH_CACHE=0    always debootstrap; never read or write the cache
#   TENET_FRESH_CACHE_DIR  where the debootstrap base is cached
#                          (default /var/cache/tenet)
#   TENET_FRESH_DIR        where the root is built (default /var/tmp)
#   TENET_FRESH_KEEP=1     leave the root (unmounted) for inspection
#   BUILD                  the phase logs go to $BUILD/fresh/
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SUITE=bookworm
VARIANT=minbase
CACHE_DIR=${TENET_FRESH_CACHE_DIR:-/var/cache/tenet}
USE_CACHE=${TENET_FRESH_CACHE:-1}
LOGS=$BUILD/fresh
ROOT=
CACHED=
PHASES=()
START=$SECONDS

say() { echo "check-fresh: $*"; }
die() {
	echo "check-fresh: $*" >&2
	exit 1
}

summary() {
	local p
	for p in "${PHASES[@]}"; do
		say "  $p"
	done
	say "total $((SECONDS - START))s"
	[ -n "$CACHED" ] && say "(base: the CACHED debootstrap output $CACHED)"
	return 0
}

# ---- clean-up: every process and mount in the root, even on failure ----

# Processes whose root is the root (the demo's tenetd, a daemon a package
# script left) and processes this script started (a phase still running
# when it is interrupted: debootstrap, apt in the root, timeout).
root_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && echo "${p#/proc/}"
	done
}
own_pids() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v top=$$ '
		{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); parent[$1] = f[2] }
		END { n = 1; q[1] = top
		      for (i = 1; i <= n; i++) for (p in parent) if (parent[p] == q[i]) { q[++n] = p; print p } }'
}

# Mount points at or below the root, deepest first.
root_mounts() {
	awk -v r="$ROOT" '{ gsub(/\\040/, " ", $5) } $5 == r || index($5, r "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r
}

# The list's own pipeline is in it too: only those still alive after it,
# and not the subshell that asks ($(live_pids) is a child of the script).
live_pids() {
	local p
	for p in $( (own_pids; root_pids) | sort -u); do
		[ "$p" != "$BASHPID" ] && [ -d "/proc/$p" ] && echo "$p"
	done
}

stop_pids() {
	local pids
	pids=$(live_pids)
	[ -n "$pids" ] || return 0
	say "stopping what still runs: $(echo $pids)"
	kill $pids 2>/dev/null
	sleep 1
	pids=$(live_pids)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null && sleep 0.5
	return 0
}

cleanup() {
	local rc=$? m left
	trap - EXIT INT TERM
	[ -n "$ROOT" ] || exit "$rc"
	stop_pids
	for m in $(root_mounts); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			echo "check-fresh: cannot unmount $m" >&2
	done
	left=$(root_mounts)
	if [ -n "$left" ]; then
		# Never remove files below a mount point that is still there:
		# /dev is the host's.
		echo "check-fresh: still mounted, $ROOT left in place:" $left >&2
		rc=1
	elif [ "${TENET_FRESH_KEEP:-0}" = 1 ]; then
		say "root kept in $ROOT"
	else
		rm -rf --one-file-system "$ROOT"
	fi
	exit "$rc"
}

# ---- phases ----

# phase NAME LOG COMMAND...: run, time, stop everything on failure. LOG
# "-" shows the output; a file name keeps it there (apt's thousands of
# lines) and shows its tail on failure. The command runs in the background
# so that an interrupt reaches the trap at once, not when it ends.
phase() {
	local name=$1 log=$2 t0=$SECONDS rc
	shift 2
	say "== $name"
	if [ "$log" = - ]; then
		"$@" &
	else
		"$@" >"$log" 2>&1 &
	fi
	wait $!
	rc=$?
	if [ $rc -ne 0 ]; then
		[ "$log" != - ] && tail -n 60 "$log" && say "full output: $log"
		[ $rc -eq 124 ] && say "$name: time limit reached"
		PHASES+=("$(printf '%-8s FAILED after %ds' "$name" $((SECONDS - t0)))")
		say "FAILED: $name"
		summary
		exit 1
	fi
	PHASES+=("$(printf '%-8s %5ds' "$name" $((SECONDS - t0)))")
	say "$name: ok in $((SECONDS - t0))s"
}

# in_root LIMIT CMD: CMD in the root as a new user's root shell would run
# it (a clean environment, the tree as working directory, no terminal),
# stopped after LIMIT seconds.
in_root() {
	timeout -k 10 "$1" chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -e -c "cd /root/tenet; $2" </dev/null
}

# ---- what to build from ----

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"
for c in debootstrap git wget tar chroot; do
	command -v "$c" >/dev/null || die "$c is not installed (make deps)"
done
git rev-parse -q --verify HEAD >/dev/null ||
	die "the tree is taken from git HEAD: not in a git checkout with a commit"
ARCH=$(dpkg --print-architecture)

# The archive apt already uses (sources.list and sources.list.d, both
# formats, as apt reads them): the mirror of the suite for debootstrap, and
# every source of the suite (updates, security) for the root's apt, as a
# Debian 12 installation has them.
targets=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
	'Identifier: Packages') || die "apt-get indextargets failed"
MIRROR=$(awk -v s=$SUITE '$2 == s { print $1; exit }' <<<"$targets")
[ -n "$MIRROR" ] || die "apt has no source for $SUITE (/etc/apt/sources.list{,.d})"
SOURCES=$(awk -v s=$SUITE '$2 == s || index($2, s "-") == 1 { print "deb " $0 }' <<<"$targets" |
	sort -u)

# The root: a directory of its own, removed at exit with every process and
# mount in it.
mkdir -p "$LOGS" || die "cannot create $LOGS"
ROOT=$(mktemp -d "${TENET_FRESH_DIR:-/var/tmp}/tenet-fresh.XXXXXX") && chmod 755 "$ROOT" ||
	die "cannot create the root directory"
trap cleanup EXIT
trap 'exit 130' INT TERM
say "root $ROOT; $SUITE/$ARCH ($VARIANT) from $MIRROR; tree $(git rev-parse --short HEAD)"

# ---- phase 1: the base system ----

# The cache holds debootstrap's untouched output, keyed by everything that
# decides it: suite, architecture, variant, mirror, and the date of the
# suite's Release file (it changes with each point release).
cache_key() {
	local date
	date=$(wget -q -T 30 -O - "${MIRROR%/}/dists/$SUITE/InRelease" | sed -n 's/^Date: //p')
	[ -n "$date" ] || return 1
	date=$(date -u -d "$date" +%Y%m%dT%H%M%SZ) || return 1
	echo "debootstrap-$SUITE-$ARCH-$VARIANT-$(printf %s "$MIRROR" | sha256sum | cut -c1-12)-$date.tar"
}

debootstrap_base() {
	timeout -k 10 1800 debootstrap --variant=$VARIANT --arch="$ARCH" "$SUITE" "$ROOT" \
		"$MIRROR" || return 1
	[ "$USE_CACHE" = 1 ] && [ -n "$KEY" ] || return 0
	mkdir -p "$CACHE_DIR" &&
		tar -C "$ROOT" --numeric-owner --xattrs --xattrs-include='*' \
			-cf "$CACHE_DIR/$KEY.tmp$$" . &&
		mv "$CACHE_DIR/$KEY.tmp$$" "$CACHE_DIR/$KEY" &&
		echo "check-fresh: cached the base as $CACHE_DIR/$KEY" || {
		rm -f "$CACHE_DIR/$KEY.tmp$$"
		echo "check-fresh: could not cache the base (continuing without)"
	}
	# Older bases of the same suite, arch, variant and mirror are stale.
	find "$CACHE_DIR" -maxdepth 1 -name "${KEY%-*}-*.tar" ! -name "$KEY" -delete
	return 0
}

KEY=
[ "$USE_CACHE" = 1 ] && KEY=$(cache_key)
if [ -n "$KEY" ] && [ -f "$CACHE_DIR/$KEY" ]; then
	say "****************************************************************"
	say "USING A CACHED DEBOOTSTRAP BASE: $CACHE_DIR/$KEY"
	say "  the unmodified output of debootstrap --variant=$VARIANT $SUITE"
	say "  from $MIRROR, for the archive's current $SUITE release;"
	say "  nothing of tenet's is in it. TENET_FRESH_CACHE=0 bootstraps anew."
	say "****************************************************************"
	CACHED=$CACHE_DIR/$KEY
	phase base "$LOGS/base.log" tar -C "$ROOT" --numeric-owner --xattrs \
		--xattrs-include='*' -xpf "$CACHE_DIR/$KEY"
else
	[ "$USE_CACHE" = 1 ] && [ -z "$KEY" ] &&
		say "no cache key (the suite's Release date could not be read): not caching"
	phase base "$LOGS/base.log" debootstrap_base
	[ -n "$KEY" ] && [ -f "$CACHE_DIR/$KEY" ] &&
		say "debootstrap's output cached as $CACHE_DIR/$KEY for later runs"
fi

# ---- the machine around the root ----

# What a booted Debian 12 has and a chroot lacks: the kernel's file systems
# (/sys/fs/bpf and the cgroup2 hierarchy, which systemd mounts), a tmpfs
# /run, name resolution and the system's apt sources. policy-rc.d keeps
# package scripts from starting services (frr, charon) in the host's
# namespaces, as is usual in a chroot; it decides nothing about what gets
# installed.
setup_root() {
	# mktemp made it 0700, and it is every user's / now (_apt, frr, ...).
	# A mount point, as every /: `ip netns exec` makes / a slave mount
	# ("mount --make-rslave /"), which a plain directory is not. Private,
	# so that nothing mounted in it propagates back to the host.
	chmod 755 "$ROOT" &&
		mount --bind "$ROOT" "$ROOT" &&
		mount --make-private "$ROOT" &&
		mount -t proc proc "$ROOT/proc" &&
		mount -t sysfs sysfs "$ROOT/sys" &&
		mount -t bpf bpf "$ROOT/sys/fs/bpf" &&
		mount -t cgroup2 cgroup2 "$ROOT/sys/fs/cgroup" &&
		mount --rbind /dev "$ROOT/dev" &&
		mount --make-rslave "$ROOT/dev" &&
		mount -t tmpfs -o mode=755 tmpfs "$ROOT/run" &&
		mkdir -p "$ROOT/run/lock" || return 1
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" &&
		printf '%s\n' "$SOURCES" >"$ROOT/etc/apt/sources.list" &&
		printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d" &&
		chmod 755 "$ROOT/usr/sbin/policy-rc.d" || return 1
	mkdir -p "$ROOT/root/tenet" &&
		git archive --format=tar HEAD | tar -C "$ROOT/root/tenet" -xf -
}
phase setup - setup_root

# ---- the README, in the root ----

# The apt-get line(s) of the README's fresh-machine section (the committed
# README, as it is in the root): the first command block after its heading.
README_APT=$(awk '/^## Try it: a fresh Debian 12 machine/ { s = 1; next }
	s && /^## / { exit }
	s && /^```/ { if (b) exit; b = 1; next }
	b && /^apt-get / { print }' "$ROOT/root/tenet/README.md")
[ -n "$README_APT" ] || die "README.md's fresh-machine section has no apt-get line"
say "the README's line: $README_APT"

phase readme "$LOGS/readme.log" in_root 900 "$README_APT"
phase deps "$LOGS/deps.log" in_root 2400 "make deps"
grep '^deps:' "$LOGS/deps.log" | cut -c1-300
say "$(grep -c '^Setting up' "$LOGS/deps.log") packages set up by make deps (log: $LOGS/deps.log)"
phase build - in_root 1200 "make"
phase unit - in_root 900 "make check-unit"
phase bpf - in_root 900 "make check-bpf"
phase demo - in_root 900 "make demo"

say "passed: the README's install works on a fresh Debian 12 ($SUITE, $VARIANT)"
summary

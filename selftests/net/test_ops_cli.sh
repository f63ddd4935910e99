#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The CLI pieces that live outside the binary's own tests: tenetd
# --version, `make install` putting the man pages and the bash completion
# in place, the man pages rendering without warnings, and the completion
# completing objects, verbs, keywords and values from a store (through
# the real bash-completion framework). No namespaces: it only needs root
# for nothing but the shared lib.
. "$(dirname "$0")/lib.sh"
lib_init opscli
require_build
require_cmd man make
[ -r /usr/share/bash-completion/bash_completion ] || fail_all "missing prerequisite: bash-completion"

VERSION=$(sed -n 's/^TENET_VERSION := //p' Makefile)
LAYOUT=$(sed -n 's/^#define TENET_LAYOUT_VERSION \([0-9]*\).*/\1/p' headers/tenet/limits.h)
check "tenetd --version" test "$("$TENETD" --version)" = "tenetd $VERSION (datapath layout $LAYOUT)"
check "tenet --version" test "$("$TENET" --version)" = "tenet $VERSION (datapath layout $LAYOUT)"

DEST=$TMP/root
check "make install (DESTDIR, PREFIX=/usr)" \
	bash -c "make -s install DESTDIR='$DEST' PREFIX=/usr >'$TMP/install.log' 2>&1"
for f in usr/share/man/man8/tenet.8 usr/share/man/man8/tenetd.8 usr/share/man/man5/tenetd.conf.5 \
	usr/share/bash-completion/completions/tenet; do
	check "installed: /$f" test -s "$DEST/$f"
done
for m in man8/tenet.8 man8/tenetd.8 man5/tenetd.conf.5; do
	render() { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$DEST/usr/share/man/$m" 2>"$TMP/man.err" >"$TMP/man.out" && test ! -s "$TMP/man.err"; }
	check "man $m renders without warnings" render
	check "man $m carries the version" grep -q "tenet $VERSION" "$TMP/man.out"
done
check "tenet(8) documents --wait and trace" \
	bash -c "man -l '$DEST/usr/share/man/man8/tenet.8' 2>/dev/null | grep -q -- '--wait' &&
		 man -l '$DEST/usr/share/man/man8/tenet.8' 2>/dev/null | grep -q 'trace rdomain'"

# ---- completion ----
"$TENET" --store "$STORE" rdomain add Contoso >/dev/null 2>&1 ||
	{ "$TENET" --store "$STORE" store init >/dev/null 2>&1; "$TENET" --store "$STORE" rdomain add Contoso >/dev/null; }
"$TENET" --store "$STORE" vsubnet add 5001 rdomain Contoso prefix 10.0.0.0/24
"$TENET" --store "$STORE" vsubnet add 5002 rdomain Contoso prefix 10.0.1.0/24
# complete WORDS...: what bash would offer for the last (possibly empty) word.
complete_words() {
	bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"; shift
		PATH=$(dirname "$1"):$PATH
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_tenet; echo "${COMPREPLY[*]}"' _ "$DEST/usr/share/bash-completion/completions/tenet" \
		"$TENET" "${@:2}"
}
has() { local want=$1; shift; [[ " $(complete_words tenet "$@") " == *" $want "* ]]; }
check "objects" has monitor "" && check "objects (2)" has rdomain ""
check "an abbreviation's object" test "$(complete_words tenet ro)" = ""
check "prefix r" test "$(complete_words tenet r)" = "rdomain ravpn"
check "verbs of lookup" has show lookup ""
check "keywords of lookup add" has pa lookup add ""
check "trace's keywords" has -w --store "$STORE" trace rdomain Contoso ""
check "monitor's event types" has drops monitor ""
check "routing domains from the store" has Contoso --store "$STORE" vsubnet add 5003 rdomain ""
check "VSIDs from the store" has 5002 --store "$STORE" lookup show vsid ""
check "global options" has --wait -
finish

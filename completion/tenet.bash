# SPDX-License-Identifier: GPL-2.0
# bash completion for tenet(8), installed by `make install` into
# $(PREFIX)/share/bash-completion/completions/tenet.
#
# Objects, verbs and keywords come from tenet itself (`tenet help`,
# `tenet OBJECT help`: the verb tables the CLI dispatches on), so they
# never drift from the binary. Values come from the store the command
# line names (--store): routing domains, VSIDs, hosts, compartments;
# devices from this machine; files for -w and batch.

_tenet_words() { # the usage forms of OBJECT (or the object list)
	local tenet=$1 object=$2
	if [ -z "$object" ]; then
		"$tenet" help 2>/dev/null | awk '/^objects:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'
		return
	fi
	# One form per line: the words after "tenet OBJECT"; a line that
	# continues a form (no "tenet") is joined to it.
	"$tenet" "$object" help 2>/dev/null | awk -v o="$object" '
		/^(usage:)? *tenet / { if (f != "") print f; sub(/^(usage:)? *tenet +[^ ]+ */, ""); f = $0; next }
		/^ +[^ ]/ && f != "" { sub(/^ +/, " "); f = f $0; next }
		{ if (f != "") print f; f = "" }
		END { if (f != "") print f }'
}

_tenet() {
	local cur prev words cword
	_init_completion || return
	local tenet=${words[0]} i=1 opts=() object= verb= w
	local global="-j --json -p --pretty -s --stats -d --details --wait -V --version --store --host --pin-root -h --help"

	# Global options (and their values), then OBJECT, then VERB.
	while [ $i -lt $cword ]; do
		w=${words[i]}
		case $w in
		--store|--host|--pin-root) opts+=("$w" "${words[i + 1]}"); i=$((i + 2)); continue ;;
		--store=*|--host=*|--pin-root=*) opts+=("$w") ;;
		--wait) [[ ${words[i + 1]} =~ ^[0-9]+$ ]] && i=$((i + 1)) ;;
		-*) ;;
		*) break ;;
		esac
		i=$((i + 1))
	done
	case $prev in
	--store|--pin-root|-w|batch) _filedir; return ;;
	--host|host) COMPREPLY=($(compgen -W "$("$tenet" "${opts[@]}" host show 2>/dev/null | awk '{ print $1 }')" -- "$cur")); return ;;
	rdomain) [ $i -lt $((cword - 1)) ] && { COMPREPLY=($(compgen -W "$("$tenet" "${opts[@]}" rdomain show 2>/dev/null | awk '{ print $1 }')" -- "$cur")); return; } ;;
	vsid) COMPREPLY=($(compgen -W "$("$tenet" "${opts[@]}" vsubnet show 2>/dev/null | awk '{ print $1 }')" -- "$cur")); return ;;
	dev|external) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
	compartment) [ $i -lt $((cword - 1)) ] && { COMPREPLY=($(compgen -W "$("$tenet" "${opts[@]}" compartment show all 2>/dev/null | awk '!/^ / { print $1 }' | sort -u)" -- "$cur")); return; } ;;
	esac
	if [ $i -ge $cword ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "help $(_tenet_words "$tenet")" -- "$cur"))
		fi
		return
	fi
	object=${words[i]}
	local forms
	forms=$(_tenet_words "$tenet" "$object")
	if [ $((i + 1)) -ge $cword ]; then
		# The verbs: each form's first word ([show] is optional: show).
		COMPREPLY=($(compgen -W "help $(awk '
			/^\[/ { n = split(substr($0, 2, index($0, "]") - 2), p, /[ |]+/)
				 for (j = 1; j <= n; j++) if (p[j] ~ /^[a-z]/) print p[j]; next }
			$1 ~ /^[a-z]/ { print $1 }' <<<"$forms" | sort -u)" -- "$cur"))
		return
	fi
	verb=${words[i + 1]}
	# Keywords of the forms of that verb: the lower-case words.
	COMPREPLY=($(compgen -W "$(awk -v v="$verb" '
		{ w = $1; gsub(/[][]/, "", w) }
		index(w, v) == 1 || v == "" {
			for (k = 2; k <= NF; k++) {
				t = $k; gsub(/[][{}|]/, " ", t); n = split(t, p, " ")
				for (j = 1; j <= n; j++) if (p[j] ~ /^-?[a-z][a-z0-9-]*$/) print p[j]
			}
		}' <<<"$forms" | sort -u)" -- "$cur"))
}
complete -F _tenet tenet

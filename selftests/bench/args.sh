# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmark scripts that take only -s and -h:
#   . "$(dirname "$0")/args.sh"; bench_args "$@"
# bench_args ARGS: smoke=1 with -s; -h prints the script's header comment
# (from its third line to the first line that is not a comment) and exits
# 0; anything else prints it to stderr and exits 2.
bench_usage() { sed -n '3,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"; }
bench_args() {
	local a
	smoke=
	for a in "$@"; do
		case $a in
		-h) bench_usage; exit 0 ;;
		-s) smoke=1 ;;
		*) bench_usage >&2; exit 2 ;;
		esac
	done
}

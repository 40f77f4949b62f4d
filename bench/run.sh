#!/bin/sh
# bench/run.sh — run every benchmark group (boot, net, sandbox, and store when
# bench/store/run.sh exists) and print their tables together at the end.
# Progress goes to stderr as the groups run. See docs/bench.md.
#
# Usage: bench/run.sh            all groups with their defaults
#        bench/run.sh boot net   only the named groups
set -eu
cd "$(dirname "$0")/.."

groups=${*:-boot net sandbox store}
tables=$(mktemp)
trap 'rm -f "$tables"' EXIT
status=0
for g in $groups; do
	case $g in
	boot | net | sandbox)
		echo "== $g" >&2
		sh "bench/$g/run.sh" >>"$tables" || status=1
		;;
	store)
		if [ -f bench/store/run.sh ]; then
			echo "== store" >&2
			{ echo; echo "store:"; sh bench/store/run.sh; } >>"$tables" || status=1
		else
			echo "== store: bench/store/run.sh not present, skipped" >&2
		fi
		;;
	*)
		echo "bench/run.sh: unknown group $g (want boot, net, sandbox or store)" >&2
		exit 2
		;;
	esac
done
cat "$tables"
exit $status

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every meta selftest (selftests/meta/[0-9]*.sh, in order) and print one
# kselftest TAP 13 stream: the checks of all scripts numbered in sequence,
# the plan at the end. A script that exits non-zero without a failed check
# (an aborted setup, say) or reports no check at all adds a failed check of
# its own. Last, end-of-run.sh waits past the kernel's unregister timeout,
# judges the kernel log of that time and unloads meta, which must succeed.
# Each script judges the kernel log from where the previous one stopped
# (by record sequence number, kept in $META_KMSG_STATE). Exit status 1 if
# anything failed.
#
# usage: run_tests.sh [TEST...]   e.g. run_tests.sh 02-create
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# The debug kernel runs ~5 times slower (lib.sh's META_SLOW).
slow=1
case $(uname -r) in *-meta-debug) slow=5 ;; esac
export META_NL="$here/meta/meta_nl"
n=0
failed=0
skipped=0

if [ $# -gt 0 ]; then
	tests=()
	for t in "$@"; do tests+=("$here/meta/${t%.sh}.sh"); done
else
	tests=("$here"/meta/[0-9]*.sh)
fi
tests+=("$here/meta/end-of-run.sh")
export META_KMSG_STATE=/tmp/meta-kmsg-state.$$
"$here/meta/kmsg" next > "$META_KMSG_STATE"

emit() { # status description
	n=$((n + 1))
	echo "$1 $n $2"
}

echo "TAP version 13"
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	echo "# === $name"
	t0=$SECONDS
	script_failed=0
	script_checks=0
	rc=0
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]; then
			neg=${BASH_REMATCH[1]}
			rest=${BASH_REMATCH[2]}
			script_checks=$((script_checks + 1))
			if [ -n "$neg" ]; then
				failed=$((failed + 1))
				script_failed=1
			elif [[ $rest == *"# SKIP"* ]]; then
				skipped=$((skipped + 1))
			fi
			emit "${neg}ok" "$rest"
		elif [[ $line =~ ^__meta_rc=([0-9]+)$ ]]; then
			rc=${BASH_REMATCH[1]}
		elif [[ $line =~ ^1\.\.[0-9]+$ ]]; then
			: # per-script plans give way to the global one
		elif [[ $line == \#* ]]; then
			echo "$line"
		else
			echo "# $line"
		fi
	done < <(cd "$here/meta" && META_TEST=$name timeout $((1200 * slow)) bash "$t" 2>&1 \
		 </dev/null; echo "__meta_rc=$?")
	# Exit status 4 is kselftest's KSFT_SKIP: every check was skipped.
	if [ "$rc" -eq 4 ] && [ "$script_failed" -eq 0 ] && [ "$script_checks" -gt 0 ]; then
		:
	elif [ "$script_checks" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$script_failed" -eq 0 ]; }; then
		failed=$((failed + 1))
		emit "not ok" "- $name: exited with status $rc after $script_checks checks"
	fi
	echo "# $name: $((SECONDS - t0)) s"
done
rm -f "$META_KMSG_STATE"
echo "1..$n"
echo "# meta selftests: $((n - failed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the bpf/ unit tests and closes with one "N passed, N failed" line
# for all of them. Usage: tests/run.sh OUT (the build directory, build/bpf).
# VALGRIND, if set, is the command line to run each test under; a test
# that exits non-zero without failing a check of its own (valgrind found
# something) counts as one failure.

set -u
out=${1:?usage: run.sh BUILD/bpf}
passed=0 failed=0 skipped=0 rc=0

for t in test_libmeta test_progs; do
	echo "# $t"
	# shellcheck disable=SC2086 # VALGRIND is a command line
	log=$(${VALGRIND:-} "$out/tests/$t" "$out" 2>&1)
	status=$?
	printf '%s\n' "$log" | sed '$d'
	# The last line is the test's own "N passed, N failed[, N skipped]".
	read -r p _ f _ s _ <<<"$(printf '%s\n' "$log" | tail -n1 | tr -d ',')"
	case $p$f in
	*[!0-9]*|'')
		echo "# $t: no summary line (status $status)"
		failed=$((failed + 1)) rc=1
		continue
		;;
	esac
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $t: exited with status $status"
		f=1
	fi
	[ "$f" -eq 0 ] || rc=1
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
exit $rc

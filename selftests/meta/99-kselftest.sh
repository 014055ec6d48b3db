#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The collection in the kselftest layout: selftests/ dropped into a kernel
# tree as tools/testing/selftests/meta and installed by the kernel's own
# Makefile (selftests/vm/kselftest.sh, at /meta/kselftest in the VM) runs
# under the kernel's runner: the list holds every test, settings' timeout
# applies, a pass is "ok", and a test whose checks were all skipped exits
# KSFT_SKIP (4), which the runner reports as "# SKIP" (06-netkit-reference
# on a kernel without netkit).
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

ksft=${META_KSFT:-/meta/kselftest}
if [ ! -x "$ksft/run_kselftest.sh" ]; then
	skip "kselftest layout" "no kselftest install at $ksft (selftests/vm/kselftest.sh)"
	exit 0
fi

# Every test script but the repository's own (the Makefile's REPO_ONLY),
# as "collection:test".
want=
for t in [0-9]*.sh; do
	case $t in 98-demo.sh|99-kselftest.sh) ;; *) want+=" meta:$t" ;; esac
done
check_eq "kselftest-list.txt names every test of the collection" "${want# }" \
	"$(xargs < "$ksft/kselftest-list.txt")"
check_eq "the runner's settings: timeout=1200" "timeout=1200" "$(cat "$ksft/meta/settings")"

if "$META_NL" --kind netkit --peer nkprobe1 create nkprobe0 >/dev/null 2>&1; then
	ip link del nkprobe0
	netkit_result="ok 2 selftests: meta: 06-netkit-reference.sh"
else
	netkit_result="ok 2 selftests: meta: 06-netkit-reference.sh # SKIP"
fi

# The tests must find their helpers in the install, not through the
# variables run_tests.sh exported for this script.
out=$(env -u META_NL -u META_TEST -u BPF_DIR "$ksft/run_kselftest.sh" \
	-t meta:00-ip-plugin.sh -t meta:06-netkit-reference.sh 2>&1) || true
tap=$(grep -v '^#' <<<"$out")
check_eq "run_kselftest.sh: TAP with a plan of 2" "TAP version 13 1..2" "$(head -n2 <<<"$tap" | xargs)"
check_cond "the runner applied the collection's settings" \
	grep -qx '# timeout set to 1200' <<<"$out"
check_eq "00-ip-plugin passes under the kernel's runner" \
	"ok 1 selftests: meta: 00-ip-plugin.sh" "$(sed -n 3p <<<"$tap")"
check_eq "06-netkit-reference: ok, or SKIP (exit 4) without netkit" \
	"$netkit_result" "$(sed -n 4p <<<"$tap")"
check_cond "the tests' own checks are in the runner's output" \
	grep -q '^# ok [0-9]* - 00-ip-plugin: ip is Debian' <<<"$out"

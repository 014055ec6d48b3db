#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The structured netlink fuzzer, nl_fuzz (nl_fuzz.c; `nl_fuzz --help` says
# what it sends and what it checks). First each of its checks is made to
# fail once on purpose (--break): a check that cannot fail proves nothing.
# Then what it found, as a fixed request. Then a fixed, seeded budget of
# requests: the same requests on every run of a kernel, so a failure here
# reproduces with the command it prints. The budget costs ~20-60 s on a
# distribution kernel and ~1-3 min on the debug kernel under TCG.
#
# With arguments, they are nl_fuzz's instead: `make fuzz` boots this script
# as the VM's entry point that way, for as long as asked.
# shellcheck source=lib.sh
source ./lib.sh

NL_FUZZ=${NL_FUZZ:-$(dirname "${BASH_SOURCE[0]}")/nl_fuzz}
SEED=1
REQUESTS=4000		# distribution kernels
DEBUG_REQUESTS=1200	# the debug kernel (KASAN, lockdep, kmemleak): ~5x slower

# fuzz DESC ARGS...: nl_fuzz ARGS must end without a violation.
fuzz() {
	local desc=$1 out rc=0
	shift
	out=$("$NL_FUZZ" "$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$desc"
		grep '^nl_fuzz: ' <<<"$out" | sed 's/^/# /'
	else
		fail "$desc" "expected: no violation (exit 0)" "seen:     exit $rc:" "$out"
	fi
}

if [ $# -gt 0 ]; then
	fuzz "nl_fuzz $*" "$@"
	exit
fi

# broken WHAT PATTERN [ARGS...]: with --break WHAT (and ARGS), nl_fuzz
# must report a violation matching PATTERN, with what a replay needs: seed,
# request, bytes. Short runs in one namespace: the debug kernel is slow.
broken() {
	local what=$1 pattern=$2 out rc=0
	shift 2
	out=$("$NL_FUZZ" --seed "$SEED" --requests 20 --netns 1 --break "$what" "$@" 2>&1) ||
		rc=$?
	if [ "$rc" -eq 1 ] &&
	   grep -qE "^nl_fuzz: VIOLATION at request [0-9]+ \(step [0-9]+\), seed $SEED: .*$pattern" <<<"$out" &&
	   grep -q "^nl_fuzz: replay: nl_fuzz --seed $SEED --requests [0-9]" <<<"$out" &&
	   grep -qE '^    0000:( [0-9a-f]{2}){16}' <<<"$out"; then
		pass "--break $what: the check fails, with seed, request and bytes"
	else
		fail "--break $what: the check fails, with seed, request and bytes" \
			"expected: exit 1, a violation matching /$pattern/, a replay line, hex" \
			"seen:     exit $rc:" "$out"
	fi
	check_eq "--break $what: nothing left behind (meta devices in the initial namespace)" \
		0 "$(count_links "" meta)"
}

broken foreign "not accounted for" --no-ip-check
broken pointback "does not point back" --no-ip-check
broken prog "alive but neither open nor attached" --no-ip-check --check-every 10
broken kmsg "the kernel logged a problem" --no-ip-check
broken ip "lists [0-9]+ meta devices, the model" --check-every 10
broken rev "revision" --no-ip-check
echo "# 17-fuzz: the checks failed on purpose in ${SECONDS}s"

# Found by seed 1: rtnetlink hands meta the last IFLA_INFO_DATA, parsed
# liberally; strict parsing must not look at another one. RTM_NEWLINK
# (CREATE|EXCL) "fzx" with IFLA_LINKINFO { IFLA_INFO_KIND "meta",
# IFLA_INFO_DATA {}, IFLA_INFO_DATA { IFLA_META_MODE 1, IFLA_META_MODE 0 } }.
check_fail "a repeated attribute after an empty IFLA_INFO_DATA refused" \
	"given more than once" "$NL_FUZZ" --send \
	"50 00 00 00 10 00 05 06 01 00 00 00 00 00 00 00
	 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
	 08 00 03 00 66 7a 78 00
	 28 00 12 80 09 00 01 00 6d 65 74 61 00 00 00 00
	 04 00 02 80
	 14 00 02 80 08 00 03 00 01 00 00 00 08 00 03 00 00 00 00 00"
check_eq "...and nothing created" 0 "$(count_links "" meta)"
ip link del fzx 2>/dev/null || true

if [ -e /sys/kernel/debug/kmemleak ]; then
	requests=$DEBUG_REQUESTS
else
	requests=$REQUESTS
fi
fuzz "$requests requests, seed $SEED" --seed "$SEED" --requests "$requests"
check_eq "nothing left behind (meta devices in the initial namespace)" 0 "$(count_links "" meta)"

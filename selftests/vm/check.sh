#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/check.sh [--kernels "6.1 6.12"]      (make check)
#
# Everything make check runs: the selftests on every selected kernel
# (run.sh) and, side by side with them, the install test on the selected
# kernels of this machine's suite (run.sh --install). Each VM runs under
# single-threaded TCG and keeps one host core busy, so the two sequences
# together use the two cores of a CI machine instead of one after the
# other. The selftests' report streams as it comes; the install test's
# (build/vm/install.log) follows when both are done, then the sum of both
# as the last line, "N passed, N failed, N skipped". Exit status 1 if
# either failed.
#
# Before the two start, what both need from apt is installed one at a
# time (install-deps.sh, then make deb's build dependencies): dpkg takes
# one installer at a time.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kernels=${KERNELS:-}
case ${1:-} in
--kernels) kernels=$2 ;;
--kernels=*) kernels=${1#*=} ;;
'') ;;
*) die "usage: $0 [--kernels LIST]" ;;
esac
[ -n "$kernels" ] || kernels=$(kernel_default_names | xargs)
install_kernels=
for k in $kernels; do
	kernel_row "$k"		# unknown names fail here
	! grep -qx -- "$k" <<<"$(kernel_host_names)" || install_kernels+=" $k"
done

vmdir=$META_BUILD/vm
mkdir -p "$vmdir"
ilog=$vmdir/install.log
t0=$SECONDS
ipid=
if [ -n "$install_kernels" ]; then
	"$META_REPO/scripts/install-deps.sh"
	echo "# install test: building the packages (make deb) first"
	if ! make -C "$META_REPO" deb BUILD="$META_BUILD" > "$vmdir/deb-first.log" 2>&1; then
		tail -n 30 "$vmdir/deb-first.log" | sed 's/^/# /'
	fi
	echo "# install test on${install_kernels}: running beside the selftests (log: $ilog)"
	# Its own process group: if make check is interrupted, its QEMUs
	# go with it.
	setsid "$META_VM_DIR/run.sh" --install --kernels "${install_kernels# }" > "$ilog" 2>&1 &
	ipid=$!
	trap 'kill -- -"$ipid" 2>/dev/null || true' EXIT
	trap 'exit 130' INT TERM
else
	echo "# install test: no kernel of this machine's suite selected"
fi

rc=0
"$META_VM_DIR/run.sh" --kernels "$kernels" | tee "$vmdir/selftests.log" || rc=1
sums=$(tail -n 1 "$vmdir/selftests.log")
if [ -n "$ipid" ]; then
	wait "$ipid" || rc=1
	trap - EXIT
	echo "#"
	echo "# ===== install test (selftests/vm/run.sh --install)"
	cat "$ilog"
	sums+=$'\n'$(tail -n 1 "$ilog")
fi

echo "#"
echo "# make check: $((SECONDS - t0))s"
# Each run ends with "N passed, N failed, N skipped"; a run that could not
# say so counts as one failure.
awk '
	$2 == "passed," && ($4 == "failed," || $4 == "failed") { p += $1; f += $3; s += $5; next }
	{ f++ }
	END { printf "%d passed, %d failed, %d skipped\n", p, f, s; exit f > 0 }
' <<<"$sums" || rc=1
exit "$rc"

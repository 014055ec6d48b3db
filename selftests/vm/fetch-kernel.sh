#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/fetch-kernel.sh [--headers] NAME
#
# Resolve kernel NAME of selftests/vm/kernels to its current Debian build,
# download and unpack its image into the cache (once), and print its kernel
# release (KVER) on stdout. With --headers, also make `make module KVER=`
# possible: install the headers on the host ("host" kernels) or prepare the
# suite's build root ("chroot" kernels).
#
# The image package is never installed on the host: the tests boot it in
# QEMU, and installing it would only touch the host's bootloader.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

headers=
if [ "${1:-}" = --headers ]; then
	headers=1
	shift
fi
[ $# -eq 1 ] || { sed -n '4,11s/^# \{0,1\}//p' "$0" >&2; exit 2; }

kernel_fetch "$1"
if [ -n "$headers" ]; then
	if [ "$K_BUILD" = host ]; then
		host_headers
	else
		build_root_setup
	fi
fi
echo "$KVER"

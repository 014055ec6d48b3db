#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/fetch-kernel.sh [--image-only] NAME
#
# Resolve kernel NAME of selftests/vm/kernels to its current Debian build,
# download and unpack its image into the cache (once), make meta.ko
# buildable for it, and print its kernel release (KVER) on stdout:
#  - "host" kernels: install linux-headers-KVER on the host if missing,
#    which is what `make module KVER=...` needs;
#  - "chroot" kernels: create the suite's build root with those headers.
# --image-only skips the second step.
#
# The image package is never installed on the host: the tests boot it in
# QEMU, and installing it would only touch the host's bootloader.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

headers=1
if [ "${1:-}" = --image-only ]; then
	headers=
	shift
fi
[ $# -eq 1 ] || { sed -n '4,15s/^# \{0,1\}//p' "$0" >&2; exit 2; }

kernel_fetch "$1"
if [ -n "$headers" ]; then
	if [ "$K_BUILD" = host ]; then
		host_headers
	else
		build_root_setup
	fi
fi
echo "$KVER"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/kselftest.sh OUTDIR
#
# Drop selftests/ into a kernel tree as tools/testing/selftests/meta and
# install it with the kernel's own kselftest Makefile,
#
#   make -C tools/testing/selftests TARGETS=meta install
#
# into OUTDIR: run_kselftest.sh, kselftest/runner.sh, kselftest-list.txt
# and meta/ (the tests, lib.mk-built helpers, config, settings), the tree
# CI systems run. The VM image carries it; meta/99-kselftest.sh runs tests
# through it there. The kernel tree is the kselftest framework of Debian's
# linux-source-6.12 (the .deb shares scripts/checkpatch.sh's download),
# extracted once into $META_CACHE/kselftest.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || { sed -n '4,17s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$1
pkg=linux-source-6.12
debdir=$META_CACHE/checkpatch/deb

mkdir -p "$debdir" "$META_CACHE/kselftest"
exec {lockfd}>"$META_CACHE/kselftest/.lock"
flock "$lockfd"
deb=$(ls "$debdir/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
	log "downloading $pkg (once)"
	if id _apt >/dev/null 2>&1; then
		chown _apt "$debdir"
	fi
	(cd "$debdir" && apt-get -q download "$pkg" >&2) || die "cannot download $pkg"
	deb=$(ls "$debdir/${pkg}"_*.deb | sort -V | tail -n1)
fi
fw=$META_CACHE/kselftest/$(basename "$deb" .deb)
if [ ! -e "$fw/.complete" ]; then
	log "extracting the kselftest framework from $(basename "$deb")"
	rm -rf "$fw"
	mkdir -p "$fw"
	# The .deb holds the tree as one tarball: take the framework only.
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$fw" --strip-components=1 --wildcards \
			'*/scripts/subarch.include' \
			'*/tools/testing/selftests/Makefile' \
			'*/tools/testing/selftests/lib.mk' \
			'*/tools/testing/selftests/run_kselftest.sh' \
			'*/tools/testing/selftests/kselftest.h' \
			'*/tools/testing/selftests/kselftest_harness.h' \
			'*/tools/testing/selftests/kselftest/*' ||
		die "cannot extract the kselftest framework from $deb"
	touch "$fw/.complete"
fi
flock -u "$lockfd"

tree=$(mktemp -d "${TMPDIR:-/tmp}/meta-kselftest.XXXXXX")
trap 'rm -rf "$tree"' EXIT
cp -a "$fw/." "$tree/"
# selftests/ as the kernel tree would hold it: sources only.
mkdir -p "$tree/tools/testing/selftests/meta"
cd "$META_REPO/selftests"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard .
else
	find . -type f -print0
fi | cpio -0 -pdm --quiet "$tree/tools/testing/selftests/meta"
cd - >/dev/null

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
make -C "$tree/tools/testing/selftests" TARGETS=meta \
	META_UAPI="$META_REPO/include/uapi" KSFT_INSTALL_PATH="$out" install >&2 ||
	die "the kernel's kselftest install of the meta collection failed"
if [ ! -x "$out/run_kselftest.sh" ] || [ ! -s "$out/kselftest-list.txt" ]; then
	die "no run_kselftest.sh or kselftest-list.txt in $out"
fi
log "$out: $(wc -l < "$out/kselftest-list.txt") tests of the meta collection"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/make-deb.sh OUTDIR
#
# `make deb`: build the Debian packages meta-dkms, meta-tools, meta-cni and
# meta-iproute2 from debian/ with Debian's own tools (dpkg-buildpackage,
# debhelper, dh-dkms), into OUTDIR. The build runs in a copy of the
# repository's files (OUTDIR/meta-VERSION), so the work tree stays clean,
# next to the unpacked source of the iproute2 that link_meta.so is compiled
# against (iproute2-patch/build.sh --unpack). Missing build dependencies
# are installed from the archive with apt (as root).

set -euo pipefail

PROG=make-deb
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
OUT=$(cd "$1" && pwd)

# dpkg-buildpackage and debhelper first: they read debian/ for the rest.
install_missing() {
	[ $# -gt 0 ] || return 0
	[ "$(id -u)" -eq 0 ] || die "missing build dependencies (need root to install): $*"
	log "installing $*"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "$@" >&2 || {
		apt-get update -q >&2 &&
		apt-get install -y -q --no-install-recommends "$@" >&2
	} || die "cannot install $*"
}
missing=()
for p in dpkg-dev debhelper dh-dkms fakeroot git; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
		missing+=("$p")
done
install_missing "${missing[@]}"
# Build-Depends: dpkg-checkbuilddeps names what is missing (with version
# constraints, which apt-get does not take on the command line).
unmet=$(cd "$TOP" && dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p') || true
if [ -n "$unmet" ]; then
	# shellcheck disable=SC2046 # one word per package
	install_missing $(sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g' <<<"$unmet")
fi

version=$(cd "$TOP" && dpkg-parsechangelog -S Version)
tree=$OUT/meta-$version
log "copying the sources to $tree"
rm -rf "$tree"
mkdir -p "$tree"
# The files git knows (tracked, and new ones not ignored), so that a build
# directory or editor files never end up in a package.
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		cpio -0 -pdm --quiet "$tree")
else
	(cd "$TOP" && tar --exclude=./build -cf - .) | tar -xf - -C "$tree"
fi

"$TOP/iproute2-patch/build.sh" --unpack "$tree/iproute2-src"

log "dpkg-buildpackage (log: $OUT/build.log)"
rm -f "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
if ! (cd "$tree" && dpkg-buildpackage -b -us -uc) >"$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log" >&2
	die "dpkg-buildpackage failed (log: $OUT/build.log)"
fi
rm -rf "$tree"
for d in "$OUT"/*.deb; do
	printf '%s\t%s\n' "$(du -k "$d" | cut -f1) KiB" "${d##*/}"
done

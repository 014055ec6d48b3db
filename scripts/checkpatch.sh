#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the kernel's checkpatch.pl over the driver sources. checkpatch ships in
# Debian's linux-source package; we take it from the .deb (downloaded once,
# cached) instead of installing a 150 MB source tarball into /usr/src.
#
# usage: scripts/checkpatch.sh [FILE...]   (default: driver/ and include/)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${META_CACHE:-/var/cache/meta}/checkpatch
pkg=linux-source-6.12

if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	mkdir -p "$cache/deb"
	if ! ls "$cache"/deb/"$pkg"_*.deb >/dev/null 2>&1; then
		echo "checkpatch: downloading $pkg (once)" >&2
		(cd "$cache/deb" && apt-get download "$pkg" >/dev/null)
	fi
	deb=$(ls "$cache"/deb/"$pkg"_*.deb | head -n1)
	# The .deb holds the tree as one tarball; pull three files out of it.
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$cache" --strip-components=1 --wildcards \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'
fi

cd "$root"
if [ $# -eq 0 ]; then
	set -- $(find driver include -name '*.[ch]' | sort)
fi
exec "$cache/scripts/checkpatch.pl" --no-tree --strict --show-types \
	--ignore FILE_PATH_CHANGES -f "$@"

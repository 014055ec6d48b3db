#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building meta.ko and running the VM
# selftests need on the host. Idempotent and quiet when nothing is missing:
# apt-get (and its network round trip) only runs for packages that are not
# installed yet, so `make check` can call this on every run.
#
# Usage: scripts/install-deps.sh [--print]
#   --print   only list the missing packages, install nothing

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# What each group is for, so nobody trims a "useless" entry:
#  - VM runner: QEMU (TCG only, see shared notes), busybox for the guest's
#    coreutils, kmod for depmod/modprobe (host and guest), cpio/gzip to pack
#    the initramfs, xz/zstd to decompress the distribution's modules.
#  - copied into the guest as real binaries: bash, ethtool, ping, nc,
#    coreutils' timeout, iproute2 (fallback ip when build/iproute2 is absent);
#    netbase for /etc/services and /etc/protocols (absent on minimal images).
#  - module builds against Debian's linux-headers packages.
#  - apt-get download / dpkg-deb and debootstrap for kernels of other suites.
pkgs=(
	qemu-system-x86 busybox-static kmod cpio gzip xz-utils zstd
	bash coreutils util-linux procps ethtool iputils-ping netcat-openbsd netbase
	iproute2
	gcc make bc flex bison libelf-dev libssl-dev libc6-dev pahole
	apt dpkg debian-archive-keyring debootstrap
)

# Each part keeps its own build dependencies in scripts/deps-PART.txt
# (iproute2-patch/build.sh, bpf/Makefile; one package a line, '#' comments).
for list in "$here"/deps-*.txt; do
	[ -r "$list" ] || continue
	while read -r p _; do
		case $p in ''|'#'*) continue ;; esac
		pkgs+=("$p")
	done < "$list"
done

# One dpkg-query for all names keeps the no-op case fast. db:Status-Status
# is "installed" only for fully configured packages: "config-files" or
# half-installed ones must be (re)installed too. Unknown names print nothing
# (and make dpkg-query fail, hence the || true), so they count as missing.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" \
		2>/dev/null | awk '$2 == "installed" { print $1 }' || true)
mapfile -t missing < <(printf '%s\n' "${pkgs[@]}" | sort -u |
		       grep -vxF -f <(printf '%s\n' "$installed") || true)

if [ "${1:-}" = --print ]; then
	[ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
	exit 0
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run this script as root to install them" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists at all, and old lists may name
# versions the mirror no longer has: refresh before installing.
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/mkinitramfs.sh [--strict] [--meta-ko FILE] KVER OUT.cpio.gz
#
# Build the initramfs the selftests boot with kernel KVER (fetched before
# with fetch-kernel.sh): busybox for the basics, real bash, kmod, Debian's
# ip and tc with the meta plugin, ethtool, ping and nc, the kernel's
# networking modules plus meta.ko with working module indexes, the
# repository's selftests/ and include/, and an /init that runs the tests
# (or the demo) and reports on the second serial port. run.sh chooses what
# /init runs on the kernel command line.
#
#   --strict        fail instead of booting without meta.ko or without
#                   build/iproute2/link_meta.so (the ip plugin)
#   --meta-ko FILE  the module to ship (default: build/KVER/meta.ko)
#
# Extra host binaries for the guest: META_VM_EXTRA_BINS="/usr/sbin/tcpdump ..."
# Extra kernel modules: META_VM_EXTRA_MODULES="bridge vxlan ..."
# Optional parts come from image.d/*.sh; META_VM_PODMAN=0 leaves podman out.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

strict=
meta_ko=
while [ $# -gt 0 ]; do
	case $1 in
	--strict) strict=1; shift ;;
	--meta-ko) meta_ko=$2; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { sed -n '4,19s/^# \{0,1\}//p' "$0" >&2; exit 2; }
kver=$1
out=$2
meta_ko=${meta_ko:-$META_BUILD/$kver/meta.ko}

# Modules the selftests may use. Required ones must exist (as module or
# built in); the others are shipped when this kernel has them as modules
# (netkit is built into 6.12 and absent from 6.1). Their dependencies come
# along through modules.dep. bridge, vxlan and ip_gre: uppers that ask a
# meta end for headroom (10-scrub-room).
required_modules="veth dummy"
optional_modules="netkit sch_ingress cls_bpf act_bpf ifb bridge vxlan ip_gre ${META_VM_EXTRA_MODULES:-}"

# Names busybox must never provide, even when no real binary is shipped:
# its applets behave differently (busybox ip has no netns or netkit, its
# modprobe ignores modules.dep.bin, ...) and a test using one by accident
# passes or fails for the wrong reason. Better "command not found".
busybox_never="ip tc bash sh modprobe insmod rmmod lsmod depmod modinfo
	ethtool ping ping6 nc timeout init linuxrc"

kernel_cached "$kver"
kmoddir=$(kernel_moddir "$KROOT" "$kver") || die "no modules for $kver in $KROOT"

root=$(mktemp -d "${TMPDIR:-/tmp}/meta-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

# A merged-/usr layout, like Debian's: paths such as /sbin/modprobe (the
# kernel's default modprobe path) and /lib64/ld-linux-x86-64.so.2 resolve
# however a binary or library refers to them.
mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,run,tmp,etc,root,meta}
for d in bin sbin lib lib64; do
	ln -s "usr/$d" "$root/$d"
done
mkdir -p "$root/var"
ln -s ../run "$root/var/run"

# copy_file SRC [DST]: copy a host file to the same (or DST) path in the
# image, following symlinks.
copy_file()
{
	local src=$1 dst=${2:-$1}

	mkdir -p "$root$(dirname "$dst")"
	# Never write through a link already there (a busybox applet).
	rm -f "$root$dst"
	cp -L "$src" "$root$dst"
}

# copy_libs FILE: copy the libraries (plus dynamic loader) ldd resolves for
# host executable FILE. They keep their host paths, so the loader finds
# them where Debian's ld.so looks.
copy_libs()
{
	local lib

	# Static binaries make ldd fail ("not a dynamic executable").
	while read -r lib; do
		[ -e "$root$lib" ] || copy_file "$lib"
	done < <(ldd "$1" 2>/dev/null |
		 awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

# copy_binary SRC [DST]: copy a host executable and its libraries.
copy_binary()
{
	[ -x "$1" ] || die "$1: no such executable"
	copy_file "$1" "${2:-$1}"
	copy_libs "$1"
}

# --- binaries ---------------------------------------------------------------

copy_binary /bin/bash /usr/bin/bash
# /bin/sh is bash too: under Debian's busybox sh, busybox applets win over
# $PATH (`ip` silently becomes busybox ip), see shared notes.
ln -s bash "$root/usr/bin/sh"

copy_binary /bin/kmod /usr/bin/kmod
for t in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -s ../bin/kmod "$root/usr/sbin/$t"
done

copy_binary "$(command -v ethtool)" /usr/sbin/ethtool
copy_binary "$(readlink -f "$(command -v ping)")" /usr/bin/ping
copy_binary "$(readlink -f "$(command -v nc)")" /usr/bin/nc
# coreutils' timeout: /init relies on its exit status 124 on expiry.
copy_binary "$(command -v timeout)" /usr/bin/timeout

# Debian's own ip and tc, unmodified, and the meta link kind as the plugin
# that ip dlopen()s from LIBDIR/ip (make iproute2). The package database's
# checksums go along, so that a test can prove the binary is Debian's.
copy_binary "$(readlink -f /usr/sbin/ip)" /usr/sbin/ip
copy_binary "$(readlink -f /usr/sbin/tc)" /usr/sbin/tc
copy_file /var/lib/dpkg/info/iproute2.md5sums /meta/iproute2.md5sums
ipdir=$META_BUILD/iproute2
iplib=/usr/lib/$(gcc -print-multiarch)/ip
if [ -f "$ipdir/link_meta.so" ]; then
	copy_file "$ipdir/link_meta.so" "$iplib/link_meta.so"
	copy_file "$ipdir/iproute2.version" /meta/iproute2.version
elif [ -n "$strict" ]; then
	die "$ipdir/link_meta.so missing (make iproute2)"
else
	log "warning: $ipdir/link_meta.so missing, ip does not know the meta kind"
fi

for b in ${META_VM_EXTRA_BINS:-}; do
	copy_binary "$b" "/usr/bin/${b##*/}"
done

# Name resolution through files only (getaddrinfo, getservbyname: netcat
# and friends need /etc/services and /etc/protocols).
# glibc >= 2.34 has them in libc proper; older ones need libnss_files.
nss=/lib/x86_64-linux-gnu/libnss_files.so.2
[ ! -e "$nss" ] || copy_file "$nss"
copy_file /etc/services
copy_file /etc/protocols
cat > "$root/etc/nsswitch.conf" <<'EOT'
passwd:    files
group:     files
shadow:    files
hosts:     files
networks:  files
protocols: files
services:  files
EOT
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
	> "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
echo meta-vm > "$root/etc/hostname"
: > "$root/etc/fstab"
printf '/usr/lib/x86_64-linux-gnu\n/usr/lib64\n' > "$root/etc/ld.so.conf"
ldconfig -r "$root"

# busybox last, and only for names nothing real provides.
copy_file /bin/busybox /usr/bin/busybox
declare -A provided=()
for n in $busybox_never; do
	provided[$n]=1
done
for d in usr/sbin usr/bin; do
	for f in "$root/$d"/*; do
		provided[${f##*/}]=1
	done
done
for applet in $(/bin/busybox --list); do
	[ -n "${provided[$applet]:-}" ] || ln -s busybox "$root/usr/bin/$applet"
done

# --- kernel modules ---------------------------------------------------------

dst_moddir=$root/usr/lib/modules/$kver

# copy_module_deps NAME: copy module NAME with everything modprobe would
# load before it, decompressed (the guest then needs no xz/zstd support).
# Returns 1 when the kernel has no such module at all.
copy_module_deps()
{
	local line kind path rel

	line=$(modprobe -d "$KROOT" -S "$kver" --show-depends "$1" 2>/dev/null) || return 1
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue	# "builtin NAME"
		rel=${path#"$kmoddir"/}
		rel=${rel%.xz}
		rel=${rel%.zst}
		rel=${rel%.gz}
		[ -e "$dst_moddir/$rel" ] && continue
		mkdir -p "$(dirname "$dst_moddir/$rel")"
		case $path in
		*.xz) xz -dc "$path" > "$dst_moddir/$rel" ;;
		*.zst) zstd -q -dc "$path" > "$dst_moddir/$rel" ;;
		*.gz) gzip -dc "$path" > "$dst_moddir/$rel" ;;
		*) cp "$path" "$dst_moddir/$rel" ;;
		esac
	done <<<"$line"
}

mkdir -p "$dst_moddir"
for m in $required_modules; do
	copy_module_deps "$m" || die "kernel $kver has no module $m"
done
for m in $optional_modules; do
	copy_module_deps "$m" || log "note: kernel $kver has no $m"
done

if [ -f "$meta_ko" ]; then
	# The kernel modules meta.ko depends on must be there for modprobe.
	for m in $(modinfo -F depends "$meta_ko" | tr ',' ' '); do
		copy_module_deps "$m" || die "meta.ko needs $m, which $kver lacks"
	done
	mkdir -p "$dst_moddir/updates"
	cp "$meta_ko" "$dst_moddir/updates/meta.ko"
elif [ -n "$strict" ]; then
	die "$meta_ko missing (make module KVER=$kver)"
else
	log "warning: $meta_ko missing, the image has no meta.ko"
fi

# modules.builtin* tell modprobe that a built-in module (netkit on 6.12)
# needs no loading; modules.order keeps depmod's priorities. Then build
# the indexes in-guest modprobe and the kernel's request_module() use:
# `ip link add type meta` asks for alias rtnl-link-meta.
for f in modules.builtin modules.builtin.modinfo modules.order; do
	[ -e "$kmoddir/$f" ] && cp "$kmoddir/$f" "$dst_moddir/"
done
depmod -b "$root" "$kver"

# --- the repository and /init ---------------------------------------------

cp -a "$META_REPO/selftests" "$root/meta/selftests"
cp -a "$META_REPO/include" "$root/meta/include"
# Test helpers built on the host (make selftests) need their libraries.
while read -r f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && copy_libs "$f"
done < <(find "$META_REPO/selftests" -type f -perm -u+x)
# The BPF side (make bpf): program objects for the tests, metactl.
if [ -x "$META_BUILD/bpf/metactl" ]; then
	mkdir -p "$root/meta/bpf"
	cp "$META_BUILD"/bpf/*.bpf.o "$root/meta/bpf/"
	copy_binary "$META_BUILD/bpf/metactl" /usr/sbin/metactl
elif [ -n "$strict" ]; then
	die "$META_BUILD/bpf/metactl missing (make bpf)"
fi

# Optional parts of the image (the CNI plugins, podman, ...): each
# image.d/*.sh is sourced here, with copy_file/copy_binary/copy_libs, $root,
# $kver and $strict at hand.
for part in "$(dirname "${BASH_SOURCE[0]}")"/image.d/*.sh; do
	[ -r "$part" ] || continue
	# shellcheck source=/dev/null
	. "$part"
done

install -m 0755 "$META_VM_DIR/guest-init.sh" "$root/init"

mkdir -p "$(dirname "$out")"
# Owned by root whoever builds it; --reproducible-ish: sorted names.
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
log "$out: $(du -h "$out" | cut -f1) for $kver$( [ -f "$meta_ko" ] && echo " with $meta_ko")"

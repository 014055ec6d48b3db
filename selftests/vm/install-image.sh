#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/install-image.sh NAME
#
# The Debian system the install test boots with kernel NAME (a kernel of
# selftests/vm/kernels from the machine's own suite: 6.1, 6.12), made once
# and cached: a debootstrap root of that suite with apt, dpkg, dkms, gcc,
# the kernel's image package (its modules, and the initrd initramfs-tools
# makes for it) and its headers, the image packages of the suite's other
# kernels (not their headers: the test installs those), plus the tools an
# operator has at hand (iproute2, ping, ethtool, openssl, jq; libc6-dev
# and pkgconf to build against libmeta). No meta package is in it: the
# test installs them. Prints the image directory on stdout:
#
#   root.img     the root file system (ext4, booted as /dev/vda; QEMU's
#                snapshot mode keeps it unchanged)
#   vmlinuz, initrd.img   the kernel and Debian's initrd from the image
#   kver         the kernel release
#   status       the image's dpkg status, for apt on the host to work out
#                what the image lacks (repo-debs)
#   apt/         private apt configuration and lists of the image's suites
#
# Cache: $META_CACHE/install/<KVER>/ (remade when this script or the
# kernel's package version changes), $META_CACHE/install/base-<suite>/ (the
# debootstrap root all images start from).
#
# Usage: selftests/vm/install-image.sh --repo-debs [--no-recommends]
#                                      IMAGEDIR OUTDIR PKG...
#
# Download into OUTDIR every package that installing PKG... (names, or
# absolute paths of .deb files) into the image would fetch, Recommends
# included unless --no-recommends, as apt inside the image would: the
# content of the local repository the offline guest installs from.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What the image holds besides the kernel, its headers and minbase.
IMAGE_PKGS="apt dpkg dkms gcc libc6-dev make kmod xz-utils iproute2
	iputils-ping ethtool openssl jq pkgconf"

# apt options of the image's private configuration in $1 (IMAGEDIR/apt).
image_apt_opts()
{
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$1/sources.list"
		-o "Dir::Etc::SourceParts=$1/empty"
		-o "Dir::Etc::Preferences=$1/empty/none"
		-o "Dir::Etc::PreferencesParts=$1/empty"
		-o "Dir::State=$1/state"
		-o "Dir::Cache=$1/cache"
	)
}

if [ "${1:-}" = --repo-debs ]; then
	shift
	recommends=true
	if [ "${1:-}" = --no-recommends ]; then
		recommends=false
		shift
	fi
	[ $# -ge 3 ] || die "usage: $0 --repo-debs [--no-recommends] IMAGEDIR OUTDIR PKG..."
	img=$1 out=$2
	shift 2
	image_apt_opts "$img/apt"
	mkdir -p "$out"
	if id _apt >/dev/null 2>&1; then
		chown _apt "$out"
	fi
	# The image's dpkg status stands in for the host's; its lists were
	# fetched when the image was made. Nothing is installed: dpkg never
	# runs, so no lock of the host's dpkg is needed.
	for _ in 1 2; do
		if apt-get "${APT_OPTS[@]}" -o "Dir::State::status=$img/status" \
			-o "Dir::Cache::archives=$out" -o Debug::NoLocking=1 \
			-o APT::Install-Recommends=$recommends -q -y \
			--download-only install "$@" >&2; then
			exit 0
		fi
		# Lists older than the mirror (security updates replace
		# packages): refresh once.
		log "refreshing the image's package lists"
		apt-get "${APT_OPTS[@]}" -q update >&2 || die "apt-get update failed"
	done
	die "cannot download what installing $* needs"
fi

[ $# -eq 1 ] || { sed -n '4,32s/^# \{0,1\}//p' "$0" >&2; exit 2; }
# The suite's other kernels are installed too, without their headers: the
# test installs those and DKMS must build for that kernel then.
others=()
for k in $(kernel_host_names); do
	[ "$k" != "$1" ] || continue
	kernel_select "$k"
	kernel_resolve
	others+=("$K_IMGPKG=$K_IMGVER")
done
kernel_select "$1"
[ "$K_BUILD" = host ] ||
	die "kernel $1 comes from $K_SUITE, not from this machine's suite: no install image"
kernel_resolve

# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot tell this machine's suite (/etc/os-release)"
key=$( { sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1; echo "$K_IMGPKG $K_IMGVER $K_HDRPKG ${others[*]}"; } |
	sha256sum | cut -c1-16)
top=$META_CACHE/install
dir=$top/$KVER
mkdir -p "$top"
exec {lockfd}>"$top/.lock"
flock "$lockfd"
if [ -e "$dir/.complete" ] && [ "$(cat "$dir/key" 2>/dev/null)" = "$key" ]; then
	echo "$dir"
	exit 0
fi

archive=$(system_apt_uris | awk '$1 == "archive" { print $2; exit }')
security=$(system_apt_uris | awk '$1 == "security" { print $2; exit }')
[ -n "$archive" ] || die "no Debian archive URI in /etc/apt/sources*"

# in_root ROOT CMD...: run CMD chrooted in ROOT with /proc mounted, in a
# private mount namespace (nothing stays mounted, even after a kill).
in_root()
{
	local r=$1

	shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare --mount --propagation private -- bash -euc '
		r=$1; shift
		mount -t proc proc "$r/proc"
		exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
	' bash "$r" "$@"
}

# --- the suite's minimal root, shared by the images of all kernels ----------
base=$top/base-$codename
if [ ! -e "$base/.complete" ]; then
	log "debootstrap $codename into $base (once)"
	rm -rf "$base"
	mkdir -p "$base"
	debootstrap --variant=minbase --keyring="$META_KEYRING" \
		"$codename" "$base" "$archive" >&2 ||
		die "debootstrap failed (log: $base/debootstrap/debootstrap.log)"
	touch "$base/.complete"
fi

# --- this kernel's image --------------------------------------------------------
log "$1: making the install image for $KVER in $dir"
rm -rf "$dir"
work=$(mktemp -d "$top/.work.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
root=$work/root
cp -a "$base" "$root"
rm -f "$root/.complete"

{
	echo "# generated by selftests/vm/install-image.sh from the machine's sources"
	echo "deb [signed-by=$META_KEYRING] $archive $codename main"
	[ -z "$security" ] ||
		echo "deb [signed-by=$META_KEYRING] $security $codename-security main"
} > "$root/etc/apt/sources.list"
# The root's apt reaches the mirror the way the machine's does.
apt-config dump |
	grep -E '^Acquire::(Check-Valid-Until|Retries|(https?|ftp)::Proxy)' \
	> "$root/etc/apt/apt.conf.d/00meta-host" || true
in_root "$root" apt-get -q update >&2 || die "apt-get update in the image failed"
# shellcheck disable=SC2086 # a list of package names
in_root "$root" apt-get -q -y --no-install-recommends install \
	"$K_IMGPKG" "$K_HDRPKG" "${others[@]}" $IMAGE_PKGS >&2 ||
	die "cannot install $K_IMGPKG $K_HDRPKG ${others[*]} $IMAGE_PKGS in the image"
[ -e "$root/boot/initrd.img-$KVER" ] || die "the image has no initrd for $KVER"
[ -e "$root/lib/modules/$KVER/build/Makefile" ] || die "the image has no headers for $KVER"

# The booted guest is offline: its apt sees only the local repository the
# test adds. Keep the mirror's entries out, and its lists, which would be
# stale anyway.
mkdir -p "$work/apt/empty" "$work/apt/state/lists/partial" "$work/apt/cache/archives/partial"
mv "$root/etc/apt/sources.list" "$work/apt/sources.list"
# Its lists, for --repo-debs to resolve against what the image was made from.
cp -a "$root/var/lib/apt/lists/." "$work/apt/state/lists/"
printf '# the install test adds its local repository in sources.list.d\n' \
	> "$root/etc/apt/sources.list"
rm -f "$root/etc/apt/apt.conf.d/00meta-host"
in_root "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*
mkdir -p "$root/var/lib/apt/lists/partial"
cp "$root/var/lib/dpkg/status" "$work/status"

echo meta-install > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost meta-install\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
	> "$root/etc/hosts"
printf '/dev/vda\t/\text4\tdefaults\t0\t1\n' > "$root/etc/fstab"
# The test's files come on a second disk; this boot stub hands over to
# the /init there (selftests/vm/guest-init.sh), like the initramfs does.
mkdir -p "$root/srv/meta-test"
cat > "$root/usr/local/sbin/meta-vm-boot" <<'EOT'
#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Boot stub of the meta install test image (selftests/vm/install-image.sh):
# Debian's initrd mounted this root; the test's disk brings the rest.
mount -t proc proc /proc 2>/dev/null
mount -o ro /dev/vdb /srv/meta-test || { echo "meta-vm-boot: no test disk" >&2; sleep 5; }
exec /srv/meta-test/init
EOT
chmod 755 "$root/usr/local/sbin/meta-vm-boot"

cp -L "$root/boot/vmlinuz-$KVER" "$work/vmlinuz"
cp -L "$root/boot/initrd.img-$KVER" "$work/initrd.img"
# Room for the second kernel's headers and DKMS builds; the file is sparse.
mkfs.ext4 -q -F -L meta-install -d "$root" "$work/root.img" 4G >&2 ||
	die "mkfs.ext4 -d failed"
rm -rf "$root"
echo "$KVER" > "$work/kver"
echo "$key" > "$work/key"
touch "$work/.complete"
trap - EXIT
mv "$work" "$dir"
log "$1: $dir ($(du -sh "$dir/root.img" | cut -f1) used of $(du -sh --apparent-size "$dir/root.img" | cut -f1))"
echo "$dir"

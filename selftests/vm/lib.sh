# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the VM selftest scripts: the kernel table, apt look-ups
# (the machine's configuration or a private one per suite), the kernel cache
# and module builds. Sourced by fetch-kernel.sh, mkinitramfs.sh and run.sh;
# never executed. Messages go to stderr so stdout stays machine-readable.
#
# Cache layout, ${META_CACHE:-/var/cache/meta}:
#   kernels/<image pkg version>/   the downloaded .debs, root/ (dpkg-deb -x),
#                                  vmlinuz (link), kver, .complete
#   kernels/debug-<source version>-<config hash>/
#                                  a "debug" kernel built from source: the
#                                  same, with build/ (the tree meta.ko is
#                                  built against) instead of the .debs
#   kernels/by-kver/<KVER>         link to the above, for mkinitramfs.sh
#   apt/<suite>/                   private apt state for "chroot" kernels
#   roots/<suite>/                 debootstrap build roots for "chroot" kernels

# shellcheck shell=bash
# Variables set here for the scripts that source this file look unused:
# shellcheck disable=SC2034

META_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
META_REPO=$(cd "$META_VM_DIR/../.." && pwd)
META_CACHE=${META_CACHE:-/var/cache/meta}
# The Makefile's BUILD: where `make module` puts build/<KVER>/meta.ko.
META_BUILD=${META_BUILD:-$META_REPO/build}
META_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log()
{
	printf '%s: %s\n' "${0##*/}" "$*" >&2
}

die()
{
	log "error: $*"
	exit 1
}

# The table: selftests/vm/kernels without comments and blank lines.
kernel_table()
{
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$META_VM_DIR/kernels"
}

# Names of all kernels, or of those marked default, oldest first.
kernel_names()
{
	kernel_table | awk '{ print $1 }' | sort -V
}

kernel_default_names()
{
	kernel_table | awk '$6 == "yes" { print $1 }' | sort -V
}

# Names of the default kernels of this machine's own suite ("host" build:
# their packages come from the machine's apt sources), oldest first.
kernel_host_names()
{
	local k

	for k in $(kernel_default_names); do
		kernel_row "$k"
		[ "$K_BUILD" != host ] || echo "$k"
	done
}

# kernel_row NAME: set K_NAME K_SUITE K_IMAGE K_HEADERS K_BUILD.
kernel_row()
{
	local row

	row=$(kernel_table | awk -v n="$1" '$1 == n')
	[ -n "$row" ] || die "kernel '$1' is not in $META_VM_DIR/kernels" \
			     "(known: $(kernel_names | xargs))"
	read -r K_NAME K_SUITE K_IMAGE K_HEADERS K_BUILD _ <<<"$row"
	case $K_BUILD in
	host|chroot|debug) ;;
	*) die "kernel $K_NAME: build must be host, chroot or debug, not '$K_BUILD'" ;;
	esac
}

# ---------------------------------------------------------------------------
# apt: "host" kernels use the machine's own configuration; "chroot" kernels
# come from suites the machine does not carry, which must never be added to
# its sources. They get a private configuration instead: a sources list
# built from the mirror URIs the machine already uses (no mirror is named in
# the repository), and state/cache directories under $META_CACHE.

# Print "archive URI" and "security URI" lines taken from the machine's
# sources (deb822 .sources files and one-line .list files).
system_apt_uris()
{
	local f

	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822: paragraphs separated by blank lines; fields may
		# hold several space-separated values.
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (i = 1; i <= nu; i++)
					for (j = 1; j <= ns; j++)
						print (s[j] ~ /-security$/ ? "security" : "archive"), u[i]
			types = ""; enabled = ""; nu = 0; ns = 0
		}
		/^[[:space:]]*#/ { next }
		/^[[:space:]]*$/ { flush(); next }
		tolower($1) == "types:" { $1 = ""; types = $0 }
		tolower($1) == "enabled:" { enabled = tolower($2) }
		tolower($1) == "uris:" { for (i = 2; i <= NF; i++) u[++nu] = $i }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) s[++ns] = $i }
		END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		# one-line: deb [options] URI suite components...
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) while ($i !~ /\]$/) i++
			if ($i ~ /\]$/ && $2 ~ /^\[/) i++
			print ($(i + 1) ~ /-security$/ ? "security" : "archive"), $i
		}' "$f"
	done
}

# apt_private_setup SUITE [COMPONENTS]: write the private configuration of
# SUITE (components "main" unless given, e.g. "main non-free") and set
# APT_OPTS to the options that select it, APT_PRIVATE_DIR to its directory.
apt_private_setup()
{
	local suite=$1 comps=${2:-main} dir=$META_CACHE/apt/$1 archive security

	# One state directory per component set: their package lists differ.
	[ "$comps" = main ] || dir=$dir-${comps// /-}

	archive=$(system_apt_uris | awk '$1 == "archive" { print $2; exit }')
	security=$(system_apt_uris | awk '$1 == "security" { print $2; exit }')
	[ -n "$archive" ] || die "no Debian archive URI in /etc/apt/sources*"

	mkdir -p "$dir"/{state/lists/partial,cache/archives/partial,empty}
	{
		echo "# generated by selftests/vm/lib.sh from the machine's sources"
		echo "deb [signed-by=$META_KEYRING] $archive $suite $comps"
		# sid has no security suite; stable and oldstable kernels get
		# their updates there first.
		if [ -n "$security" ] && [ "$suite" != sid ] && [ "$suite" != unstable ]; then
			echo "deb [signed-by=$META_KEYRING] $security $suite-security $comps"
		fi
	} > "$dir/sources.list.new"
	mv "$dir/sources.list.new" "$dir/sources.list"
	[ -e "$dir/status" ] || : > "$dir/status"

	# The machine's apt.conf.d still applies (proxies, retries); only
	# what is looked at and where state lives is overridden. An empty
	# dpkg status keeps the host's installed packages out of the
	# resolution, and no host pinning leaks in.
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=$dir/empty"
		-o "Dir::Etc::Preferences=$dir/empty/none"
		-o "Dir::Etc::PreferencesParts=$dir/empty"
		-o "Dir::State=$dir/state"
		-o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache"
	)
	APT_PRIVATE_DIR=$dir
}

# kernel_select NAME: set the K_* row of NAME and choose its apt
# configuration (APT_OPTS).
kernel_select()
{
	kernel_row "$1"
	APT_UPDATED=
	if [ "$K_BUILD" = host ]; then
		APT_OPTS=()
		APT_PRIVATE_DIR=
	else
		apt_private_setup "$K_SUITE"
		# No lists yet: this suite was never looked at.
		ls "$APT_PRIVATE_DIR"/state/lists/*_Packages* >/dev/null 2>&1 ||
			kernel_apt_update
	fi
}

# Refresh the lists of the current configuration, at most once per kernel:
# called when the cached lists are missing or name a package the mirror no
# longer serves (security updates replace kernels regularly).
kernel_apt_update()
{
	[ -z "$APT_UPDATED" ] || return 1
	APT_UPDATED=1
	log "apt-get update (${APT_PRIVATE_DIR:-system configuration})"
	apt-get "${APT_OPTS[@]}" -q update >&2 ||
		die "apt-get update failed"
}

# apt_show PKG...: remember the candidate records of PKGs in APT_SHOW. One
# apt-cache call for several packages: each call parses every package list
# again (Debian's container images disable apt's binary cache), ~1 s here.
apt_show()
{
	APT_SHOW=$(apt-cache "${APT_OPTS[@]}" show --no-all-versions "$@" 2>/dev/null || true)
}

# pkg_field PKG FIELD: FIELD of PKG from APT_SHOW, or nothing.
pkg_field()
{
	awk -v p="$1" -v f="$2:" '
		/^$/ { inpkg = 0 }
		$1 == "Package:" { inpkg = ($2 == p) }
		inpkg && $1 == f { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$APT_SHOW"
}

# meta_dep META PREFIX: the dependency of meta-package META whose name
# starts with PREFIX followed by a digit (the versioned package).
meta_dep()
{
	pkg_field "$1" Depends | tr ',|' '\n' |
		awk -v p="$2" 'index($1, p) == 1 && substr($1, length(p) + 1, 1) ~ /[0-9]/ { print $1; exit }'
}

# kernel_resolve: resolve the meta-packages of the selected kernel; sets
#   KVER       the kernel release (uname -r)
#   K_IMGPKG   versioned image package, K_IMGVER its version
#   K_HDRPKG   versioned headers package
kernel_resolve()
{
	for _ in 1 2; do
		apt_show "$K_IMAGE" "$K_HEADERS"
		K_IMGPKG=$(meta_dep "$K_IMAGE" linux-image-)
		K_HDRPKG=$(meta_dep "$K_HEADERS" linux-headers-)
		[ -n "$K_IMGPKG" ] && [ -n "$K_HDRPKG" ] && break
		kernel_apt_update || break
	done
	[ -n "$K_IMGPKG" ] || die "kernel $K_NAME: cannot resolve $K_IMAGE (suite $K_SUITE)"
	[ -n "$K_HDRPKG" ] || die "kernel $K_NAME: cannot resolve $K_HEADERS (suite $K_SUITE)"
	apt_show "$K_IMGPKG"
	K_IMGVER=$(pkg_field "$K_IMGPKG" Version)
	[ -n "$K_IMGVER" ] || die "kernel $K_NAME: no candidate version of $K_IMGPKG"

	# Debian names both packages after the kernel release; they must agree
	# (they may not while a mirror is half way through an update).
	KVER=${K_IMGPKG#linux-image-}
	KVER=${KVER%-unsigned}
	[ "${K_HDRPKG#linux-headers-}" = "$KVER" ] ||
		die "kernel $K_NAME: $K_IMAGE gives $K_IMGPKG but $K_HEADERS gives $K_HDRPKG"
	# A suite that moved to another series (sid does) must not silently
	# be tested under the old name.
	case $KVER in
	"$K_NAME".*|"$K_NAME"-*|"$K_NAME"+*) ;;
	*) die "kernel $K_NAME: $K_SUITE now provides $KVER; update $META_VM_DIR/kernels" ;;
	esac
}

# ---------------------------------------------------------------------------
# The kernel cache: images are downloaded and unpacked, never installed on
# the host, so any number of kernels coexist and the host's boot setup is
# untouched.

# Packages whose files make up the kernel: the versioned image package and,
# where Debian splits the files out (sid's linux-binary-*), the dependencies
# of it that carry the same release in their name.
kernel_packages()
{
	echo "$K_IMGPKG"
	pkg_field "$K_IMGPKG" Depends | tr ',|' '\n' | awk '{ print $1 }' |
		grep -F -- "-$KVER" | grep -vx -e "$K_IMGPKG" -e 'linux-headers-.*' || true
}

# Where the unpacked image keeps its modules and kernel.
kernel_moddir()
{
	local root=$1 kver=$2 d

	for d in "$root/lib/modules/$kver" "$root/usr/lib/modules/$kver"; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# kernel_fetch NAME: resolve NAME and make sure its image is unpacked in the
# cache (built, for a "debug" kernel). Sets the K_* row, KVER, KDIR_CACHE
# (the cache entry), KROOT (the unpacked root) and KIMAGE (the bzImage).
kernel_fetch()
{
	local dir tmp p moddir img debs=()

	kernel_row "$1"
	if [ "$K_BUILD" = debug ]; then
		kernel_build_debug
		return
	fi
	kernel_select "$1"
	mkdir -p "$META_CACHE/kernels/by-kver"
	# Serialise concurrent runs on the same cache.
	exec {lockfd}>"$META_CACHE/kernels/.lock"
	flock "$lockfd"

	tmp=
	for _ in 1 2; do
		kernel_resolve
		dir=$META_CACHE/kernels/$K_IMGVER
		if [ -e "$dir/.complete" ] && [ "$(cat "$dir/kver")" = "$KVER" ]; then
			log "$1: $KVER ($K_IMGPKG $K_IMGVER) cached in $dir"
			break
		fi
		log "$1: fetching $K_IMGPKG $K_IMGVER"
		[ -z "$tmp" ] || rm -rf "$tmp"
		tmp=$(mktemp -d "$META_CACHE/kernels/.new.XXXXXX")
		chmod 755 "$tmp"
		mkdir "$tmp/debs"
		# apt drops privileges to _apt for downloads: let it write
		# there, or it warns and downloads unsandboxed.
		if id _apt >/dev/null 2>&1; then
			chown _apt "$tmp/debs"
		fi
		mapfile -t debs < <(kernel_packages)
		if (cd "$tmp/debs" && apt-get "${APT_OPTS[@]}" -q download "${debs[@]}" >&2); then
			break
		fi
		# The lists may name a version the mirror no longer has
		# (security updates replace kernels): refresh, resolve again.
		kernel_apt_update || die "$1: cannot download ${debs[*]}"
	done

	if [ -n "$tmp" ] && [ ! -e "$dir/.complete" ]; then
		for p in "$tmp"/debs/*.deb; do
			dpkg-deb -x "$p" "$tmp/root"
		done
		moddir=$(kernel_moddir "$tmp/root" "$KVER") ||
			die "$1: no modules directory for $KVER in ${debs[*]}"
		img=
		for p in "$tmp/root/boot/vmlinuz-$KVER" "$moddir/vmlinuz"; do
			[ -f "$p" ] && { img=${p#"$tmp"/}; break; }
		done
		[ -n "$img" ] || die "$1: no vmlinuz for $KVER in ${debs[*]}"
		# depmod -b and modprobe -d look in ROOT/lib/modules; newer
		# packages ship /usr/lib/modules only.
		[ -e "$tmp/root/lib" ] || ln -s usr/lib "$tmp/root/lib"
		# The package's maintainer scripts never ran: create the
		# indexes mkinitramfs.sh resolves module dependencies with.
		depmod -b "$tmp/root" "$KVER"

		ln -s "$img" "$tmp/vmlinuz"
		echo "$KVER" > "$tmp/kver"
		printf '%s %s\n' "$K_IMGPKG" "$K_IMGVER" > "$tmp/package"
		touch "$tmp/.complete"
		rm -rf "$dir"
		mv "$tmp" "$dir"
		log "$1: unpacked $KVER in $dir"
	elif [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	ln -sfn "../$K_IMGVER" "$META_CACHE/kernels/by-kver/$KVER"
	flock -u "$lockfd"
	exec {lockfd}>&-

	KDIR_CACHE=$dir
	KROOT=$dir/root
	KIMAGE=$dir/vmlinuz
}

# kernel_build_debug: the kernel of a "debug" row, built (once) from
# Debian's source package K_IMAGE (linux-source-6.12) with
# x86_64_defconfig + kvm_guest.config + the fragment K_HEADERS names in
# this directory. Keyed by source version and fragment, so a new Debian
# release or a changed fragment builds anew. Sets what kernel_fetch sets.
# META_DEBUG_JOBS: make -j (default: the number of CPUs).
kernel_build_debug()
{
	local frag=$META_VM_DIR/$K_HEADERS srcver key dir tmp tarball lockfd

	[ -r "$frag" ] || die "kernel $K_NAME: no config fragment $frag"
	APT_OPTS=()
	apt_show "$K_IMAGE"
	srcver=$(pkg_field "$K_IMAGE" Version)
	[ -n "$srcver" ] || die "kernel $K_NAME: no candidate version of $K_IMAGE"
	key=$(sha256sum "$frag" | cut -c1-12)
	dir=$META_CACHE/kernels/debug-$srcver-$key
	mkdir -p "$META_CACHE/kernels/by-kver"
	# A lock of its own: a build runs for many minutes, and other
	# kernels' fetches must not wait for it.
	exec {lockfd}>"$META_CACHE/kernels/.lock-debug"
	flock "$lockfd"
	if [ -e "$dir/.complete" ]; then
		log "$K_NAME: $(cat "$dir/kver") cached in $dir"
	else
		log "$K_NAME: building $K_IMAGE $srcver with $frag (once; see README)"
		rm -rf "$dir"
		tmp=$(mktemp -d "$META_CACHE/kernels/.new.XXXXXX")
		chmod 755 "$tmp"
		mkdir "$tmp/debs"
		[ -z "$(id -u _apt 2>/dev/null)" ] || chown _apt "$tmp/debs"
		(cd "$tmp/debs" && apt-get -q download "$K_IMAGE=$srcver" >&2) ||
			{ kernel_apt_update && (cd "$tmp/debs" && apt-get -q download "$K_IMAGE" >&2); } ||
			die "$K_NAME: cannot download $K_IMAGE"
		tarball=$(dpkg-deb -c "$tmp"/debs/*.deb | awk '{ print $NF }' |
			  grep -E '/linux-source-[^/]*\.tar\.xz$' | head -n1)
		[ -n "$tarball" ] || die "$K_NAME: no source tarball in $K_IMAGE"
		dpkg-deb --fsys-tarfile "$tmp"/debs/*.deb | tar -xO "$tarball" |
			tar -xJ -C "$tmp"
		mv "$tmp"/linux-source-* "$tmp/build"
		rm -rf "$tmp/debs"
		# Explicit exits: set -e does not apply where || tests the status.
		(
			cd "$tmp/build" &&
			make -s x86_64_defconfig &&
			make -s kvm_guest.config &&
			scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null &&
			make -s olddefconfig || exit
			# Every option the fragment sets must have stuck (a
			# missing dependency silently drops one).
			sed -n 's/^\(CONFIG_[A-Z0-9_]*=.*\)$/\1/p' "$frag" | while read -r want; do
				grep -qxF "$want" .config ||
					{ echo "fragment option lost: $want" >&2; exit 1; }
			done || exit
			make -j"${META_DEBUG_JOBS:-$(nproc)}" bzImage modules &&
			make -s modules_install INSTALL_MOD_PATH="$tmp/root" \
				INSTALL_MOD_STRIP=1 DEPMOD=/bin/true
		) >&2 || die "$K_NAME: kernel build failed"
		KVER=$(make -s -C "$tmp/build" kernelrelease)
		[ -e "$tmp/root/lib" ] || mkdir -p "$tmp/root/lib/modules/$KVER"
		depmod -b "$tmp/root" "$KVER"
		cp "$tmp/build/arch/x86/boot/bzImage" "$tmp/vmlinuz"
		# What building meta.ko needs stays; the kernel's objects go.
		find "$tmp/build" -name '*.o' -not -path '*/scripts/*' \
			-not -path '*/tools/*' -delete
		rm -f "$tmp/build/vmlinux" "$tmp/build/vmlinux.a"
		echo "$KVER" > "$tmp/kver"
		printf '%s %s %s\n' "$K_IMAGE" "$srcver" "$key" > "$tmp/package"
		touch "$tmp/.complete"
		mv "$tmp" "$dir"
		log "$K_NAME: built $KVER in $dir"
	fi
	KVER=$(cat "$dir/kver")
	ln -sfn "../debug-$srcver-$key" "$META_CACHE/kernels/by-kver/$KVER"
	flock -u "$lockfd"
	exec {lockfd}>&-
	KDIR_CACHE=$dir
	KROOT=$dir/root
	KIMAGE=$dir/vmlinuz
}

# kernel_cached KVER: set KROOT and KIMAGE of an already fetched kernel.
kernel_cached()
{
	local dir=$META_CACHE/kernels/by-kver/$1

	[ -e "$dir/.complete" ] ||
		die "kernel $1 is not in $META_CACHE (run selftests/vm/fetch-kernel.sh NAME)"
	KDIR_CACHE=$(readlink -f "$dir")
	KROOT=$KDIR_CACHE/root
	KIMAGE=$KDIR_CACHE/vmlinuz
}

# ---------------------------------------------------------------------------
# Headers and module builds.

# host_headers: install linux-headers-$KVER on the host if needed; that is
# what makes /lib/modules/$KVER/build, and so `make module KVER=`, work.
host_headers()
{
	local st

	st=$(dpkg-query -W -f='${db:Status-Status}' "$K_HDRPKG" 2>/dev/null || true)
	if [ "$st" != installed ] || [ ! -e "/lib/modules/$KVER/build/Makefile" ]; then
		log "installing $K_HDRPKG on the host"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "$K_HDRPKG" >&2 || {
			kernel_apt_update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				--no-install-recommends "$K_HDRPKG" >&2
		} || die "cannot install $K_HDRPKG"
	fi
}

# build_root_setup: create (once) the debootstrap root of $K_SUITE and
# install the headers of $KVER in it. Sets BROOT.
build_root_setup()
{
	local archive st

	BROOT=$META_CACHE/roots/$K_SUITE
	archive=$(system_apt_uris | awk '$1 == "archive" { print $2; exit }')
	if [ ! -e "$BROOT/.complete" ]; then
		log "creating the $K_SUITE build root in $BROOT (once)"
		rm -rf "$BROOT"
		mkdir -p "$BROOT"
		debootstrap --variant=minbase --keyring="$META_KEYRING" \
			--include=make,ca-certificates "$K_SUITE" "$BROOT" "$archive" >&2 ||
			die "debootstrap $K_SUITE failed (log: $BROOT/debootstrap/debootstrap.log)"
		# The root's apt sees the same suites as the private
		# configuration, so its headers match the fetched image.
		cp "$APT_PRIVATE_DIR/sources.list" "$BROOT/etc/apt/sources.list"
		touch "$BROOT/.complete"
	fi
	# shellcheck disable=SC2016 # a dpkg-query format, not an expansion
	st=$(chroot "$BROOT" dpkg-query -W -f='${db:Status-Status}' "$K_HDRPKG" 2>/dev/null || true)
	if [ "$st" != installed ]; then
		log "installing $K_HDRPKG in the $K_SUITE build root"
		# The root's apt must reach the mirror the way the machine's
		# does: same proxies, and the same tolerance for a mirror
		# snapshot whose Release file is past its Valid-Until.
		apt-config dump |
			grep -E '^Acquire::(Check-Valid-Until|Retries|(https?|ftp)::Proxy)' \
			> "$BROOT/etc/apt/apt.conf.d/00meta-host" || true
		chroot "$BROOT" apt-get -q update >&2 || die "apt-get update in $BROOT failed"
		# The headers package depends on the compiler its kernel was
		# built with (gcc-10 for bullseye, gcc-16 for 7.2).
		chroot "$BROOT" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends "$K_HDRPKG" make >&2 ||
			die "cannot install $K_HDRPKG in $BROOT"
	fi
}

# build_module: build $META_BUILD/$KVER/meta.ko with the repository's
# Makefile, on the host or inside the suite's build root. Output goes to
# stdout/stderr of the caller.
build_module()
{
	if [ "$K_BUILD" = debug ]; then
		make -C "$META_REPO" module KVER="$KVER" KDIR="$KDIR_CACHE/build" \
			BUILD="$META_BUILD"
		return
	fi
	if [ "$K_BUILD" = host ]; then
		host_headers
		make -C "$META_REPO" module KVER="$KVER" BUILD="$META_BUILD"
		return
	fi

	build_root_setup
	mkdir -p "$META_BUILD" "$BROOT$META_REPO"
	case $META_BUILD/ in
	"$META_REPO"/*) ;;
	*) mkdir -p "$BROOT$META_BUILD" ;;
	esac
	# The repository (and the build directory, when it lives elsewhere)
	# appear at the same paths inside the root, so that paths in compiler
	# messages are the host's; objtool and kbuild read /proc. The mounts
	# live in a private mount namespace: they vanish with the build, even
	# a killed one, and never leave the repository reachable from the
	# cache (an `rm -rf` of the cache would descend into it).
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare --mount --propagation private -- bash -euc '
		root=$1 repo=$2 build=$3 kver=$4
		mount --bind "$repo" "$root$repo"
		case $build/ in
		"$repo"/*) ;;
		*) mount --bind "$build" "$root$build" ;;
		esac
		mount -t proc proc "$root/proc"
		exec chroot "$root" make -C "$repo" module KVER="$kver" BUILD="$build"
	' bash "$BROOT" "$META_REPO" "$META_BUILD" "$KVER"
}

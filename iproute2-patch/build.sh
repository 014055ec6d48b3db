#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh OUTDIR        build OUTDIR/link_meta.so, the meta link kind as a
#                        plugin of the stock `ip`, and OUTDIR/iproute2.version
# build.sh --unpack DIR  unpack the iproute2 source it is built against into
#                        DIR (make deb builds the plugin from it)
#
# `ip` loads link kinds it does not know from LIBDIR/ip/link_KIND.so
# (ip/iplink.c, get_link_kind(); Debian's LIBDIR is /usr/lib/MULTIARCH) and
# exports its helpers to them. The plugin has no stable ABI to rely on: it
# must be compiled against the source of the very iproute2 version that
# loads it. That version is the installed iproute2's (META_IPROUTE2_SRC
# overrides it). Its Debian source package is fetched with a private apt
# configuration whose deb-src entries are derived from the system's own
# Debian entries (the system's apt sources and state are read, never
# changed), configured, and iplink_meta.c is compiled with iproute2's own
# CFLAGS (plugin.mk). The result is cached under $META_CACHE (default
# /var/cache/meta), keyed by the source version and a hash of the inputs.
#
# Environment:
#   META_CACHE		cache root (default /var/cache/meta)
#   META_APT_UPDATE=1	refresh the private apt lists even if they exist
#   META_IPROUTE2_SRC	source package to fetch: "iproute2" (the suite's
#			newest) or "iproute2=VERSION" (default: the version
#			of the installed iproute2 package)

set -euo pipefail

PROG=iproute2-patch/build.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
HEADER=$TOP/include/uapi/linux/if_meta.h
DEPS_FILE=$TOP/scripts/deps-iproute2.txt
CACHE=${META_CACHE:-/var/cache/meta}
APT_DIR=$CACHE/apt-src
WORK_ROOT=$CACHE/iproute2-plugin
if [ -n "${META_IPROUTE2_SRC:-}" ]; then
	SRC_PKG=$META_IPROUTE2_SRC
elif v=$(dpkg-query -W -f='${Version}' iproute2 2>/dev/null) && [ -n "$v" ]; then
	SRC_PKG=iproute2=$v
else
	SRC_PKG=iproute2
fi

log() { printf '%s: %s\n' "$PROG" "$*"; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
trap 'printf "%s: error: command failed (exit %d, line %d): %s\n" \
	"$PROG" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

UNPACK=
case ${1:-} in
--unpack) UNPACK=1; shift ;;
esac
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR | --unpack DIR" >&2; exit 2; }
OUTDIR=$1
if [ -z "$UNPACK" ]; then
	mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
	OUTDIR=$(cd "$OUTDIR" && pwd)
fi

[ -r "$HEADER" ] || die "missing $HEADER"
[ -r "$HERE/iplink_meta.c" ] || die "missing $HERE/iplink_meta.c"
[ -r "$HERE/plugin.mk" ] || die "missing $HERE/plugin.mk"

mkdir -p "$CACHE" || die "cannot create cache dir $CACHE (set META_CACHE=)"
exec 9>"$CACHE/iproute2.lock"
flock 9 || die "cannot lock $CACHE/iproute2.lock"

# --- (a) build dependencies -------------------------------------------------

install_deps() {
	local p installed want=() missing=()

	[ -r "$DEPS_FILE" ] || die "missing $DEPS_FILE"
	while read -r p _; do
		case $p in ''|'#'*) continue ;; esac
		want+=("$p")
	done <"$DEPS_FILE"
	[ ${#want[@]} -gt 0 ] || return 0
	# One query for all; unknown names print nothing and count as missing.
	installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${want[@]}" \
		2>/dev/null || true)
	for p in "${want[@]}"; do
		grep -qx "$p installed" <<<"$installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0

	[ "$(id -u)" -eq 0 ] || die "missing build dependencies (need root to install): ${missing[*]}"
	log "installing build dependencies: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
		log "install failed; running apt-get update and retrying"
		apt-get update || die "apt-get update failed"
		apt-get install -y --no-install-recommends "${missing[@]}" ||
			die "cannot install: ${missing[*]}"
	fi
}

# --- (b) private apt configuration with deb-src for this suite ---------------

# Print one line per Debian "deb" entry of the system's apt configuration:
# URI <TAB> SUITES <TAB> COMPONENTS <TAB> SIGNED-BY (newlines as \001).
# Both deb822 (*.sources) and one-line (sources.list, *.list) files are read.
system_entries() {
	local f deb822=() oneline=()

	[ -r /etc/apt/sources.list ] && oneline+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] && oneline+=("$f")
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && deb822+=("$f")
	done

	if [ ${#deb822[@]} -gt 0 ]; then
		awk '
		function flush(	n, u, i) {
			if (types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "" &&
			    tolower(enabled) !~ /^(no|false)$/) {
				n = split(uris, u, /[ \t]+/)
				for (i = 1; i <= n; i++)
					if (u[i] != "")
						printf "%s\t%s\t%s\t%s\n", u[i],
						       suites, comps, signed
			}
			types = uris = suites = comps = signed = enabled = ""
			field = ""
		}
		FNR == 1 { flush() }
		/^#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ {
			# continuation line of a multi-line field
			if (field == "signed-by")
				signed = signed "\001" $0
			else if (field == "uris")
				uris = uris " " $0
			else if (field == "suites")
				suites = suites " " $0
			else if (field == "components")
				comps = comps " " $0
			next
		}
		{
			i = index($0, ":")
			if (!i)
				next
			field = tolower(substr($0, 1, i - 1))
			val = substr($0, i + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", val)
			if (field == "types") types = val
			else if (field == "uris") uris = val
			else if (field == "suites") suites = val
			else if (field == "components") comps = val
			else if (field == "signed-by") signed = val
			else if (field == "enabled") enabled = val
		}
		END { flush() }
		' "${deb822[@]}"
	fi

	if [ ${#oneline[@]} -gt 0 ]; then
		awk '
		{ sub(/#.*/, "") }
		$1 == "deb" {
			line = $0
			sub(/^[ \t]*deb[ \t]+/, "", line)
			opts = ""
			if (substr(line, 1, 1) == "[") {
				j = index(line, "]")
				opts = substr(line, 2, j - 2)
				line = substr(line, j + 1)
			}
			gsub(/^[ \t]+|[ \t]+$/, "", line)
			n = split(line, f, /[ \t]+/)
			if (n < 2)
				next
			comps = ""
			for (i = 3; i <= n; i++)
				comps = comps (i > 3 ? " " : "") f[i]
			signed = ""
			m = split(opts, o, /[ \t]+/)
			for (i = 1; i <= m; i++)
				if (o[i] ~ /^signed-by=/)
					signed = substr(o[i], 11)
			printf "%s\t%s\t%s\t%s\n", f[1], f[2], comps, signed
		}
		' "${oneline[@]}"
	fi
}

# Does the system's own list for URI/SUITE say it is Debian's archive?
# Without a downloaded list we cannot tell and keep the entry.
is_debian_archive() {
	local uri=$1 suite=$2 base f

	base=${uri#*://}
	base=${base#*@}
	base=${base%/}
	base=${base//\//_}_dists_${suite//\//_}
	for f in /var/lib/apt/lists/"${base}"_InRelease /var/lib/apt/lists/"${base}"_Release; do
		if [ -r "$f" ]; then
			grep -q '^Origin: Debian$' "$f"
			return
		fi
	done
	return 0
}

# Write the deb-src sources file for the system's own suite to stdout.
make_sources() {
	local codename re uri suites comps signed s keep n=0

	# shellcheck disable=SC1091
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell this system's Debian suite (no VERSION_CODENAME in /etc/os-release)"
	re="^(${codename}|stable)([-/](updates|security))?$"

	while IFS=$'\t' read -r uri suites comps signed; do
		keep=()
		for s in $suites; do
			[[ $s =~ $re ]] || continue
			is_debian_archive "$uri" "$s" || continue
			keep+=("$s")
		done
		[ ${#keep[@]} -gt 0 ] || continue
		printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n' \
			"$uri" "${keep[*]}" "$comps"
		[ -z "$signed" ] || printf 'Signed-By: %s\n' "${signed//$'\001'/$'\n'}"
		printf '\n'
		n=$((n + 1))
	done < <(system_entries)
	[ "$n" -gt 0 ] ||
		die "no Debian '$codename' entry found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
}

APT_OPTS=()
setup_apt() {
	local new=$APT_DIR/meta-src.sources.new

	mkdir -p "$APT_DIR/parts.d" "$APT_DIR/lists/partial" \
		"$APT_DIR/cache/archives/partial" "$APT_DIR/download"
	make_sources >"$new"
	if ! cmp -s "$new" "$APT_DIR/meta-src.sources"; then
		log "writing $APT_DIR/meta-src.sources (deb-src copied from the system's entries)"
		mv "$new" "$APT_DIR/meta-src.sources"
		rm -f "$APT_DIR/lists/"*_Sources* "$APT_DIR/lists/"*Release*
	else
		rm -f "$new"
	fi
	APT_OPTS=(
		-o "Dir::Etc::SourceList=$APT_DIR/meta-src.sources"
		-o "Dir::Etc::SourceParts=$APT_DIR/parts.d"
		-o "Dir::State::Lists=$APT_DIR/lists"
		-o "Dir::Cache=$APT_DIR/cache"
	)
}

apt_update() {
	log "apt-get update (private lists in $APT_DIR/lists)"
	apt-get "${APT_OPTS[@]}" -q update ||
		die "apt-get update with $APT_DIR/meta-src.sources failed"
}

# Print the .dsc file name of the source package apt would fetch.
source_dsc() {
	apt-get "${APT_OPTS[@]}" -q source --print-uris "$SRC_PKG" 2>/dev/null |
		awk '/^'\''/ && $2 ~ /\.dsc$/ { print $2; exit }'
}

# Are all files of the source package already downloaded with the right size?
source_complete() {
	local uri file size rest n=0

	while read -r uri file size rest; do
		[ -f "$APT_DIR/download/$file" ] || return 1
		[ "$(stat -c %s "$APT_DIR/download/$file")" = "$size" ] || return 1
		n=$((n + 1))
	done < <(apt-get "${APT_OPTS[@]}" -q source --print-uris "$SRC_PKG" 2>/dev/null |
		 grep "^'")
	[ "$n" -gt 0 ]
}

# What the last successful fetch resolved, valid while the lists stay as
# they are: lets a warm run skip apt's slow parsing of the Sources index.
resolved_key() {
	printf '%s ' "$SRC_PKG"
	stat -c '%n %Y %s' "$APT_DIR/meta-src.sources" "$APT_DIR/lists/"*_Sources* 2>/dev/null |
		sha256sum | cut -c1-16
}

fetch_source() {
	local dsc="" key

	if [ "${META_APT_UPDATE:-0}" = 1 ] || ! ls "$APT_DIR/lists/"*_Sources* >/dev/null 2>&1; then
		apt_update
	fi
	key=$(resolved_key)
	if [ -r "$APT_DIR/resolved" ] && [ "$(head -n1 "$APT_DIR/resolved")" = "$key" ]; then
		dsc=$(sed -n 2p "$APT_DIR/resolved")
		if [ -n "$dsc" ] && [ -f "$APT_DIR/download/$dsc" ]; then
			DSC=$APT_DIR/download/$dsc
			return 0
		fi
	fi
	dsc=$(source_dsc) || true
	if [ -z "$dsc" ]; then
		log "source package $SRC_PKG not in the private lists; refreshing them"
		apt_update
		dsc=$(source_dsc) || true
		[ -n "$dsc" ] || die "apt knows no source package '$SRC_PKG' for this suite"
	fi
	if ! source_complete; then
		log "downloading source package $SRC_PKG ($dsc) to $APT_DIR/download"
		# apt drops privileges to _apt for downloads: let it write here.
		if id _apt >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
			chown _apt "$APT_DIR/download"
		fi
		if ! (cd "$APT_DIR/download" &&
		      apt-get "${APT_OPTS[@]}" -q source --download-only "$SRC_PKG"); then
			log "download failed; refreshing the private lists and retrying"
			apt_update
			dsc=$(source_dsc) || true
			[ -n "$dsc" ] || die "apt knows no source package '$SRC_PKG' after update"
			(cd "$APT_DIR/download" &&
			 apt-get "${APT_OPTS[@]}" -q source --download-only "$SRC_PKG") ||
				die "cannot download source package $SRC_PKG"
		fi
		source_complete || die "source package $SRC_PKG is incomplete after download"
	fi
	DSC=$APT_DIR/download/$dsc
	printf '%s\n%s\n' "$(resolved_key)" "$dsc" >"$APT_DIR/resolved"
}

# --- (c) unpack, configure, build the plugin -----------------------------------

inputs_hash() {
	# Everything that decides what gets built.
	{
		sha256sum "$HEADER" "$HERE/iplink_meta.c" "$HERE/plugin.mk" \
			"$HERE/build.sh" | awk '{ print $1 }'
	} | sha256sum | cut -c1-16
}

# unpack DIR: the pristine source tree of $DSC in DIR (which must not exist).
unpack() {
	# apt-get has verified the files against the signed archive index.
	dpkg-source --no-check -x "$DSC" "$1" >"$1.unpack.log" 2>&1 ||
		{ cat "$1.unpack.log" >&2; die "dpkg-source -x $DSC failed"; }
	rm -f "$1.unpack.log"
}

build() {
	local work=$1 src=$1/src p

	rm -rf "$work"
	mkdir -p "$work"
	log "unpacking $(basename "$DSC") in $work"
	unpack "$src"

	log "configuring"
	if ! (cd "$src" && ./configure) >"$work/configure.log" 2>&1; then
		cat "$work/configure.log" >&2
		die "configure failed"
	fi
	sed -n 's/^\(libbpf\|ELF\|libmnl\|libcap\) support: */  \1: /p' \
		"$work/configure.log" | while read -r p; do log "$p"; done

	log "building link_meta.so (log in $work/build.log)"
	if ! make -C "$src" -f Makefile -f "$HERE/plugin.mk" V=1 \
		META_PLUGIN_SRC="$HERE/iplink_meta.c" META_UAPI="$TOP/include/uapi" \
		ip/link_meta.so >"$work/build.log" 2>&1; then
		tail -n 40 "$work/build.log" >&2
		die "build failed (full log: $work/build.log)"
	fi
	if grep -n 'iplink_meta\.c:.*warning:' "$work/build.log" >&2; then
		die "iplink_meta.c does not build warning-free"
	fi
	mkdir -p "$work/out"
	install -m 0644 "$src/ip/link_meta.so" "$work/out/"
	echo "$VERSION" >"$work/out/iproute2.version"
	echo "$KEY" >"$work/stamp"
}

install_deps
setup_apt
fetch_source

VERSION=$(sed -n 's/^Version: *//p' "$DSC" | head -n1)
[ -n "$VERSION" ] || die "cannot read the version from $DSC"

if [ -n "$UNPACK" ]; then
	[ ! -e "$OUTDIR" ] || rm -rf "$OUTDIR"
	mkdir -p "$(dirname "$OUTDIR")"
	unpack "$OUTDIR"
	log "unpacked iproute2 $VERSION in $OUTDIR"
	exit 0
fi

KEY=$VERSION-$(inputs_hash)
WORK=$WORK_ROOT/$KEY

if [ -f "$WORK/stamp" ] && [ "$(cat "$WORK/stamp")" = "$KEY" ] &&
   [ -f "$WORK/out/link_meta.so" ]; then
	log "link_meta.so for iproute2 $VERSION is up to date ($WORK)"
else
	build "$WORK"
	# Drop builds of older inputs.
	for p in "$WORK_ROOT"/*; do
		[ "$p" = "$WORK" ] || rm -rf "$p"
	done
fi

install -m 0644 "$WORK/out/link_meta.so" "$WORK/out/iproute2.version" "$OUTDIR/"
log "installed $OUTDIR/link_meta.so for iproute2 $VERSION"

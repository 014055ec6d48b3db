#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The `ip` every test uses is Debian's own binary, unmodified; it learns
# the meta kind from link_meta.so (make iproute2), which it loads from
# LIBDIR/ip when a command names "type meta". Without the plugin it knows
# nothing of meta; with it, it creates, shows and changes pairs, and every
# symbol the plugin needs resolves against that binary.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

ip_bin=$(readlink -f "$(command -v ip)")
md5=$(md5sum "$ip_bin" | cut -d' ' -f1)
# Debian's iproute2 package records bin/ip's checksum (its only real ip).
debian_md5=$(awk '$2 == "bin/ip" { print $1 }' /meta/iproute2.md5sums 2>/dev/null)
check_eq "ip is Debian's iproute2 $(cat /meta/iproute2.version 2>/dev/null) binary, unmodified (md5sums)" \
	"$debian_md5" "$md5"
# The LIBDIR/ip compiled into ip (Debian: /usr/lib/<multiarch>/ip).
iplib=$(tr -cs 'A-Za-z0-9/_.-' '\n' < "$ip_bin" | grep -x '/usr/lib/[a-z0-9_-]*/ip' | head -n1)
check_cond "the plugin is where this ip looks for link_<kind>.so ($iplib)" \
	test -f "$iplib/link_meta.so"

setup_ns pod

# Without the plugin: the kind is only a name to ip, any option is an error.
# (Not through busybox's env: it would run busybox's own ip applet.)
ip_without_plugin() { IP_LIB_DIR=/nonexistent ip "$@"; }
check_fail "without link_meta.so, ip refuses meta's options" "Garbage instead of arguments" \
	ip_without_plugin link add m0 type meta mode l2 peer name m1
check_eq "and creates nothing" 0 "$(count_links "" meta)"
plain=$(ip_without_plugin link help meta 2>&1 || true)
check_eq "and ip link help meta shows no meta usage" 0 "$(grep -c 'type meta' <<<"$plain" || true)"

# With it. LD_BIND_NOW: every symbol the plugin uses must resolve when it
# is loaded (it is linked -z now anyway; this catches a build without).
check_cond "ip link help meta prints the plugin's usage, all symbols bound" \
	grep -q "Usage: ip link set DEV type meta" <<<"$(LD_BIND_NOW=1 ip link help meta 2>&1)"
check_ok "ip link add ... type meta (every creation option)" \
	ip link add h0 type meta mode l2 blackhole scrub none headroom 32 tailroom 16 \
	peer forward scrub default name p0 netns "$pod" address 02:00:00:00:00:02 mtu 1400
check_cond "ip -d link show: every attribute, as given" grep -q \
	"meta mode l2 type primary policy blackhole peer policy forward scrub none peer scrub default headroom 32 tailroom 16" \
	<<<"$(ip -d link show h0)"
check_eq "ip -d -j link show in the pod: the peer end, its address and MTU" "peer 02:00:00:00:00:02 1400" \
	"$(link_attr "$pod" p0 type) $(link_attr "$pod" p0 address) $(link_attr "$pod" p0 mtu)"
check_ok "ip link set ... type meta forward peer blackhole" \
	ip link set h0 type meta forward peer blackhole
check_eq "ip -d link show: the policies changed" "forward blackhole" \
	"$(link_attr "" h0 policy) $(link_attr "" h0 peer_policy)"
check_fail "ip refuses a bad value with the plugin's message" 'mode must be "l3" or "l2"' \
	ip link add h1 type meta mode l4
check_ok "ip link set ... type meta bpf OBJ sec tc dir primary" \
	ip link set h0 type meta bpf "$BPF_DIR/pass.bpf.o" sec tc dir primary
id=$(progs "" h0 primary)
check_cond "ip -d link show lists the program (primary_progs $id)" \
	grep -q "primary_progs $id " <<<"$(ip -d link show h0) "
check_ok "ip link set ... type meta detach dir primary id ID" \
	ip link set h0 type meta detach dir primary id "$id"
check_eq "no program left" "" "$(progs "" h0 primary)"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BIG TCP through the pair: GSO packets above 64 KiB from a pod, forwarded
# by the host to a wire, and redirected straight to the wire by a pod
# program. gso_max_size/gro_max_size (IPv6, kernel 5.19+) and
# gso_ipv4_max_size/gro_ipv4_max_size (IPv4, 6.3+) are set on both meta
# ends (the pod sets its own end: that is its stack's choice) and on the
# veth "wire", read back, and a TCP flow moves pod -> host -> wire. A tc/meta
# program (count_big) counts the IP packets longer than 65535 bytes where
# they cross: at the host end's tc ingress (what the pair delivered) and at
# the wire end's tc ingress (GRO off there, so nothing is rebuilt on the
# way), and in the pod's meta program chain on the redirect path. The
# control: with the pod end back at 64 KiB no such packet exists on either
# hop. Kernels without BIG TCP (or without its IPv4 half) skip, saying so.
#
# The wire has an MTU of 1508, 8 bytes above the pod's: up to at least
# 6.12 an IPv6 BIG TCP packet carries a Hop-by-Hop jumbo option, which the
# host's ip6_forward() counts in every segment's length
# (skb_gso_validate_network_len), so with equal MTUs it refuses each such
# packet as too big (Ip6InTooBigErrors, ICMPv6 Packet Too Big back to the
# pod), with veth pods as with meta ones. BPF host routing
# (bpf_redirect_neigh) never takes that path.
#
#   pod ns                         init ns (the host)                wire ns
#   p0 10.19.1.2 fd00:19:1::2 <== meta ==> h0 10.19.1.1 fd00:19:1::1
#                                          nic0 10.19.9.1 <== veth ==> nic1 10.19.9.2
#                                               fd00:19:9::1                fd00:19:9::2
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

BIG=196608	# 192 KiB: three times the old limit
LEGACY=65536
LINKATTR=./linkattr

# kver_ge MAJOR MINOR: the running kernel is MAJOR.MINOR or newer.
kver_ge() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "${min%%[!0-9]*}" -ge "$2" ]; }
}

# check_more DESC MIN SEEN: SEEN (a number) is above MIN.
check_more() {
	if [[ "$3" =~ ^[0-9]+$ ]] && [ "$3" -gt "$2" ]; then
		pass "$1 ($3)"
	else
		fail "$1" "expected: more than $2" "seen:     $3"
	fi
}

V6=1 V4=1
kver_ge 5 19 || V6=0
kver_ge 6 3 || V4=0
# no_v4 WHAT: where the kernel has no IPv4 BIG TCP, report WHAT as skipped
# and succeed; else fail.
no_v4() {
	[ "$V4" = 0 ] || return 1
	skip "$1" "kernel $(uname -r) has no IPv4 BIG TCP (6.3+)"
}
# wire_addr 6|4: the wire end's address of that IP version.
wire_addr() { if [ "$1" = 6 ]; then echo fd00:19:9::2; else echo 10.19.9.2; fi; }
if [ "$V6" = 0 ]; then
	skip "BIG TCP (IPv6 and IPv4) through the pair" \
		"kernel $(uname -r) has no BIG TCP (IPv6 needs 5.19, IPv4 6.3)"
	exit 0
fi

setup_ns pod wire
pin=/sys/fs/bpf/meta/bigtcp-$$
cni_at_exit "rm -rf $pin"
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1

ip link add nic0 type veth peer name nic1 netns "$wire"
ip link set nic0 mtu 1508
ip -n "$wire" link set nic1 mtu 1508
ip addr add 10.19.9.1/24 dev nic0
ip addr add fd00:19:9::1/64 dev nic0 nodad
ip link set nic0 up
ip -n "$wire" addr add 10.19.9.2/24 dev nic1
ip -n "$wire" addr add fd00:19:9::2/64 dev nic1 nodad
ip -n "$wire" link set nic1 up
ip -n "$wire" route add 10.19.1.0/24 via 10.19.9.1
ip -n "$wire" route add fd00:19:1::/64 via fd00:19:9::1
# No GRO on the receiving wire end: a big packet there was sent whole.
in_ns "$wire" ethtool -K nic1 gro off >/dev/null 2>&1 || true

ip link add h0 type meta peer name p0 netns "$pod"
ip addr add 10.19.1.1/24 dev h0
ip addr add fd00:19:1::1/64 dev h0 nodad
ip link set h0 up
ip -n "$pod" addr add 10.19.1.2/24 dev p0
ip -n "$pod" addr add fd00:19:1::2/64 dev p0 nodad
ip -n "$pod" link set p0 up
ip -n "$pod" route add default via 10.19.1.1
ip -n "$pod" -6 route add default via fd00:19:1::1
wait_carrier "" h0
# TCP sizes its packets by the pacing rate: on a slow or loaded (debug)
# kernel they stay under 64 KiB whatever the device allows. At least 100
# segments each (~140 KiB; the sizes below still cap them) makes the
# checks independent of the machine's speed.
in_ns "$pod" sysctl -qw net.ipv4.tcp_min_tso_segs=100

# --- the limits, set and read back on both meta ends -------------------------
sizes() { # VALUE: the limits this kernel has, each at VALUE, for linkattr set
	local n=(gso_max_size "$1" gro_max_size "$1")
	[ "$V4" = 0 ] || n+=(gso_ipv4_max_size "$1" gro_ipv4_max_size "$1")
	echo "${n[*]}"
}
# shellcheck disable=SC2046
check_ok "the primary sets its own BIG TCP sizes ($(sizes $BIG))" \
	"$LINKATTR" set h0 $(sizes $BIG)
# shellcheck disable=SC2046
check_ok "the pod sets the BIG TCP sizes of its own end" \
	in_ns "$pod" "$LINKATTR" set p0 $(sizes $BIG)
for a in gso_max_size gro_max_size gso_ipv4_max_size gro_ipv4_max_size; do
	if [[ $a == *ipv4* ]] && no_v4 "$a read back on both meta ends"; then
		continue
	fi
	check_eq "$a read back on both meta ends" "$BIG $BIG" \
		"$("$LINKATTR" get h0 $a) $(in_ns "$pod" "$LINKATTR" get p0 $a)"
done
check_eq "ip -d link shows gso_max_size on the pod end" $BIG \
	"$(link_attr "$pod" p0 gso_max_size)"
# The wire takes them too.
# shellcheck disable=SC2046
"$LINKATTR" set nic0 $(sizes $BIG) >/dev/null
# shellcheck disable=SC2046
in_ns "$wire" "$LINKATTR" set nic1 $(sizes $BIG) >/dev/null

# Counters of IP packets over 64 KiB: h0's tc ingress (what the pair
# delivered to the host), nic1's tc ingress (what reached the wire), and,
# on the redirect path, the pod's meta program chain.
metactl tc attach h0 ingress "$BPF_DIR/count_big.bpf.o" --pin-maps "$pin/host" >/dev/null
metactl -n "$wire" tc attach nic1 ingress "$BPF_DIR/count_big.bpf.o" --pin-maps "$pin/wire" >/dev/null
big() { metactl -p "$pin/$1" count show; }
reset_big() { local d; for d in "$@"; do metactl -p "$pin/$d" count reset >/dev/null; done; }

blob=/tmp/meta-big.$$
cni_at_exit "rm -f $blob $blob.r"
head -c $((16 << 20)) /dev/urandom >"$blob"
port=5190
# flow ADDR: 16 MiB over one TCP connection pod -> wire, "intact" or not.
flow() {
	port=$((port + 1))
	rm -f "$blob.r"
	in_ns "$wire" ./tcp_xfer recv "$port" "$blob.r" &
	in_ns "$pod" ./tcp_xfer send "$1" "$port" "$blob" >/dev/null 2>&1 || true
	wait || true
	cmp -s "$blob" "$blob.r" && echo intact || echo broken
}

ping -c 1 -W 2 10.19.9.2 >/dev/null || true
ping -c 1 -W 2 fd00:19:9::2 >/dev/null || true

# --- forward path: no program, the host routes ------------------------------
for fam in 6 4; do
	if [ "$fam" = 4 ] && no_v4 "IPv4 BIG TCP forwarded pod -> host -> wire"; then
		continue
	fi
	dst=$(wire_addr "$fam")
	reset_big host wire
	check_eq "IPv$fam: 16 MiB pod -> host -> wire, forwarded" intact "$(flow "$dst")"
	check_more "IPv$fam forwarded: packets over 64 KiB delivered by the pair to the host end" \
		0 "$(big host)"
	check_more "IPv$fam forwarded: packets over 64 KiB on the wire" 0 "$(big wire)"
done

# --- redirect path: a pod program bpf_redirect_neigh()s to the wire ---------
metactl -p "$pin/prog" attach h0 "$BPF_DIR/count_big.bpf.o" --dir peer >/dev/null
metactl -p "$pin/prog" attach h0 "$BPF_DIR/redirect_neigh_nonh.bpf.o" --dir peer >/dev/null
metactl -p "$pin/prog" target set nic0
for fam in 6 4; do
	if [ "$fam" = 4 ] && no_v4 "IPv4 BIG TCP redirected pod -> wire"; then
		continue
	fi
	dst=$(wire_addr "$fam")
	reset_big host wire prog
	nb=$(ethstat "" h0 peer_redirect_neigh)
	check_eq "IPv$fam: 16 MiB pod -> wire, bpf_redirect_neigh() from the pod" intact \
		"$(flow "$dst")"
	check_more "IPv$fam redirected: packets over 64 KiB seen by the pod's program" \
		0 "$(big prog)"
	check_more "IPv$fam redirected: packets over 64 KiB on the wire" 0 "$(big wire)"
	check_eq "IPv$fam redirected: none of them went through the host end" 0 "$(big host)"
	check_more "IPv$fam redirected: peer_redirect_neigh counted the flow" \
		0 $(($(ethstat "" h0 peer_redirect_neigh) - nb))
done
metactl detach h0 --dir peer --all

# --- control: the pod end back at 64 KiB, no big packet anywhere -------------
# shellcheck disable=SC2046
in_ns "$pod" "$LINKATTR" set p0 $(sizes $LEGACY) >/dev/null
reset_big host wire
check_eq "control: 16 MiB pod -> host -> wire with the pod end at 64 KiB" intact \
	"$(flow fd00:19:9::2)"
check_eq "control: no packet over 64 KiB on the pair or the wire (host wire)" "0 0" \
	"$(big host) $(big wire)"

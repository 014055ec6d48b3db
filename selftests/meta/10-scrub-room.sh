#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scrub: what crosses from one namespace to the other loses skb->mark and
# skb->priority by default and keeps them with "scrub none", per direction
# (scrub: what the host sends, peer scrub: what the pod sends), as seen by
# a tc ingress program on the receiving end; pairs with the two settings
# different each way show a swap. Head/tailroom given at creation are
# applied to both devices; headroom an upper device (a bridge with a tunnel
# port) asks for at runtime reaches both ends, never below the creation
# value, never above META_ROOM_MAX, and goes when the upper lets go.
#
#   h0 <== meta (scrub default, peer scrub default) ==> p0 (pod0)
#   h1 <== meta (scrub none, peer scrub none)       ==> p1 (pod1)
#   h2 <== meta (scrub none, peer scrub default)    ==> p2 (pod2)
#   h3 <== meta (scrub default, peer scrub none)    ==> p3 (pod3)
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod0 pod1 pod2 pod3
# hN 10.6N.0.1 <=> pN 10.6N.0.2 in podN
pair_up "$pod0" h0 p0 10.60.0.1 10.60.0.2
pair_up "$pod1" h1 p1 10.61.0.1 10.61.0.2 scrub none headroom 128 tailroom 64 peer scrub none
pair_up "$pod2" h2 p2 10.62.0.1 10.62.0.2 scrub none peer
pair_up "$pod3" h3 p3 10.63.0.1 10.63.0.2 peer scrub none

# crossing RECV_NS RECV_DEV SEND_NS DST: what a tc program at the ingress
# of RECV_DEV saw of 3 pings from the other end with mark 66 and TOS
# lowdelay (priority 6).
crossing() {
	if ! metactl ${1:+-n "$1"} tc attach "$2" ingress "$BPF_DIR/observe.bpf.o" >/dev/null; then
		echo "observe-program-not-attached"
		return
	fi
	metactl observed reset
	in_ns "$3" ping -c 3 -i 0.2 -W 1 -m 66 -Q 0x10 "$4" >/dev/null 2>&1 || true
	metactl observed | awk '{ print $1, $2, $3, $4, $5, $6, $11, $12, $13, $14 }'
	metactl ${1:+-n "$1"} tc detach "$2" ingress
}
KEPT="packets 3 marked 3 prioritized 3 mark 66 priority 6"
SCRUBBED="packets 3 marked 0 prioritized 0 mark 0 priority 0"

for spec in "0 default default" "1 none none" "2 none default" "3 default none"; do
	read -r n scrub pscrub <<<"$spec"
	v=pod$n
	ns=${!v}
	what="h$n (scrub $scrub, peer scrub $pscrub)"
	want=$KEPT
	[ "$scrub" = none ] || want=$SCRUBBED
	check_eq "$what: host -> pod $([ "$scrub" = none ] && echo keeps || echo loses) mark and priority" \
		"$want" "$(crossing "$ns" "p$n" "" "10.6$n.0.2")"
	want=$KEPT
	[ "$pscrub" = none ] || want=$SCRUBBED
	check_eq "$what: pod -> host $([ "$pscrub" = none ] && echo keeps || echo loses) mark and priority" \
		"$want" "$(crossing "" "h$n" "$ns" "10.6$n.0.1")"
done
check_eq "headroom applied to the primary" 128 "$(link_attr "" h1 headroom)"
check_eq "headroom applied to the peer" 128 "$(link_attr "$pod1" p1 headroom)"
check_eq "tailroom applied to both ends" "64 64" \
	"$(link_attr "" h1 tailroom) $(link_attr "$pod1" p1 tailroom)"
check_eq "no headroom asked, none applied" 0 "$(link_attr "" h0 headroom)"
check_ok "traffic flows with head/tailroom reserved" \
	in_ns "$pod1" ping -c 2 -W 2 -s 1400 10.61.0.1

# --- headroom asked by an upper device (ndo_set_rx_headroom)
# A bridge asks its ports for the largest room any port needs: a tunnel
# port (vxlan) needs its encapsulation's, a meta end (IFF_PHONY_HEADROOM)
# never passes its own on. All in one namespace, l2 pairs (a bridge takes
# Ethernet ports only): r0/r1 with room 0, r2/r3 with 400.
setup_ns brns
rooms() { # the headroom of each end named, space-separated
	local d out=()
	for d in "$@"; do out+=("$(link_attr "$brns" "$d" headroom)"); done
	echo "${out[*]}"
}
ip -n "$brns" link add r0 type meta mode l2 peer name r1
ip -n "$brns" link add r2 type meta mode l2 headroom 400 peer name r3
if ! ip -n "$brns" link add br0 type bridge 2>/dev/null ||
   ! ip -n "$brns" link add vx0 type vxlan id 42 dstport 4789 2>/dev/null; then
	skip "headroom asked by an upper device" "no bridge or vxlan in this kernel"
else
	ip -n "$brns" link set r0 master br0
	check_eq "a bridge without tunnel ports asks for no room" "0 0" "$(rooms r0 r1)"
	ip -n "$brns" link set vx0 master br0
	read -r v0 v1 <<<"$(rooms r0 r1)"
	d="a tunnel port's room reaches both ends of a bridged pair"
	if [[ $v0 =~ ^[0-9]+$ ]] && [ "$v0" -gt 0 ] && [ "$v0" = "$v1" ]; then
		pass "$d"
	else
		fail "$d" "expected: r0 and r1 equal, above 0" "seen:     r0 '$v0', r1 '$v1'"
	fi
	ip -n "$brns" link set r2 master br0
	check_eq "a larger creation room is kept; a meta end does not pass its own on" \
		"400 400 $v0 $v0" "$(rooms r2 r3 r0 r1)"
	ip -n "$brns" link set r0 nomaster
	check_eq "leaving the bridge gives the room back" "0 0" "$(rooms r0 r1)"
	ip -n "$brns" link set r2 nomaster
	check_eq "leaving the bridge keeps the creation room" "400 400" "$(rooms r2 r3)"

	# The pod's side: its end in a bridge of the pod's own.
	ip -n "$brns" link add br1 type bridge
	ip -n "$brns" link add vx1 type vxlan id 43 dstport 4790
	ip -n "$brns" link set vx1 master br1
	ip -n "$brns" link set r1 master br1
	check_eq "room asked on the peer's side reaches the primary too" \
		"$v0 $v0" "$(rooms r0 r1)"
	ip -n "$brns" link set r1 nomaster
	check_eq "and goes when the peer leaves its bridge" "0 0" "$(rooms r0 r1)"
fi

# Bounded like creation. A vxlan over a lower device asks for the lower's
# room plus its own headers where the kernel counts the lower's room: a
# bridge with such a port asks more than 512 of its ports when the lower
# has 512. asked N LOWER_ROOM: the room both ends of a fresh pair get in
# such a bridge (devices numbered N).
asked() {
	local n=$1
	ip -n "$brns" link add "l$n" type meta mode l2 headroom "$2" peer name "m$n"
	ip -n "$brns" link add "vxl$n" type vxlan id "$((100 + n))" dstport "$((5000 + n))" dev "l$n"
	ip -n "$brns" link add "bl$n" type bridge
	ip -n "$brns" link set "vxl$n" master "bl$n"
	ip -n "$brns" link add "u$n" type meta mode l2 peer name "w$n"
	ip -n "$brns" link set "u$n" master "bl$n"
	echo "$(link_attr "$brns" "u$n" headroom) $(link_attr "$brns" "w$n" headroom)"
}
if [ -z "${v0:-}" ]; then
	skip "an upper's request is bounded" "no bridge or vxlan in this kernel"
else
	read -r a100 _ <<<"$(asked 1 100)"
	if [ "$a100" -le 100 ]; then
		skip "an upper's request is bounded" \
			"vxlan here asks for its headers only ($a100 over a lower with 100)"
	else
		check_eq "an upper's request above 512 ($((a100 + 412))) is cut to 512 on both ends" \
			"512 512" "$(asked 2 512)"
	fi
fi
check_ok "the kernel is healthy after the headroom changes" \
	in_ns "$pod1" ping -c 1 -W 2 10.61.0.1

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Creating and deleting pairs: which end is which, names, MACs, MTUs and
# ifindexes per end, peers in other namespaces, defaults, every attribute
# read back with `ip -d link`, and that deleting either end, or the peer's
# namespace, removes both.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod other

# --- a pair in one namespace, all defaults
check_ok "create a pair with a named peer" ip link add h0 type meta peer name p0
check_cond "the peer exists" link_exists "" p0
check_eq "the named device is the primary" primary "$(link_attr "" h0 type)"
check_eq "the other end is the peer" peer "$(link_attr "" p0 type)"
check_eq "default mode is l3" l3 "$(link_attr "" h0 mode)"
check_eq "default primary policy is forward" forward "$(link_attr "" h0 policy)"
check_eq "default peer policy is forward" forward "$(link_attr "" h0 peer_policy)"
check_eq "default scrub is default" default "$(link_attr "" h0 scrub)"
check_eq "l3 mode: no ARP on the primary" 1 \
	"$(ip -o link show dev h0 | grep -c NOARP)"
check_eq "l3 mode: no MAC address" 00:00:00:00:00:00 "$(cat /sys/class/net/h0/address)"
check_eq "iflink of the primary is the peer" "$(ifindex "" p0)" "$(cat /sys/class/net/h0/iflink)"
check_eq "iflink of the peer is the primary" "$(ifindex "" h0)" "$(cat /sys/class/net/p0/iflink)"
ip link set h0 up
check_eq "no qdisc on the primary once up" noqueue \
	"$(ip -o link show dev h0 | grep -oE 'qdisc [a-z_]+' | cut -d' ' -f2)"
check_ok "delete the primary" ip link del h0
check_gone "deleting the primary deletes the peer" "" p0

# --- no peer name: the kernel picks one
check_ok "create a pair without a peer name" ip link add h1 type meta
peer=$(name_of "" "$(cat /sys/class/net/h1/iflink)")
check_cond "the kernel named the peer meta<N> (got '$peer')" \
	grep -qE '^meta[0-9]+$' <<<"$peer"
check_ok "delete the peer" ip link del "$peer"
check_gone "deleting the peer deletes the primary" "" h1

# --- peer in another namespace, l2, names, MACs and MTUs per end
check_ok "create an l2 pair with the peer in a namespace" \
	ip link add h2 mtu 1400 address 02:00:00:00:aa:01 type meta mode l2 \
	peer name p2 netns "$pod" mtu 1300 address 02:00:00:00:aa:02
check_eq "primary MTU as given" 1400 "$(cat /sys/class/net/h2/mtu)"
check_eq "peer MTU as given" 1300 "$(in_ns "$pod" cat /sys/class/net/p2/mtu)"
check_eq "primary MAC as given" 02:00:00:00:aa:01 "$(cat /sys/class/net/h2/address)"
check_eq "peer MAC as given" 02:00:00:00:aa:02 "$(in_ns "$pod" cat /sys/class/net/p2/address)"
check_eq "l2 mode: ARP on" 0 "$(ip -o link show dev h2 | grep -c NOARP)"
check_eq "iflink points into the pod" "$(ifindex "$pod" p2)" "$(cat /sys/class/net/h2/iflink)"
check_cond "link-netns of the primary is the pod" \
	grep -q "link-netns $pod" <<<"$(ip -d link show dev h2)"
check_eq "the pod end reports itself as the peer" peer "$(link_attr "$pod" p2 type)"
check_eq "the pod end reports mode l2" l2 "$(link_attr "$pod" p2 mode)"

check_eq "MACs given: the kernel reports them as set (addr_assign_type 3)" "3 3" \
	"$(cat /sys/class/net/h2/addr_assign_type) $(in_ns "$pod" cat /sys/class/net/p2/addr_assign_type)"

# --- l2 without addresses: random, unicast, locally administered, distinct
# across ends and pairs
macs=()
types=
for i in 1 2 3; do
	ip link add "r$i" type meta mode l2 peer name "rp$i"
	for dev in "r$i" "rp$i"; do
		macs+=("$(cat "/sys/class/net/$dev/address")")
		types+="$(cat "/sys/class/net/$dev/addr_assign_type") "
	done
done
check_eq "l2 mode: every random MAC is unicast and locally administered (${macs[*]})" "" \
	"$(printf '%s\n' "${macs[@]}" | grep -vE '^.[26ae](:[0-9a-f]{2}){5}$')"
check_eq "l2 mode: six ends of three pairs have six different MACs" 6 \
	"$(printf '%s\n' "${macs[@]}" | sort -u | wc -l)"
check_eq "l2 mode: the kernel reports them as random (addr_assign_type 1)" "1 1 1 1 1 1 " "$types"
for i in 1 2 3; do ip link del "r$i"; done

# --- ifindex requested for the peer
check_ok "create a pair with a given peer ifindex" \
	ip link add h4 type meta peer name p4 index 4242
check_eq "the peer has the requested ifindex" 4242 "$(ifindex "" p4)"
ip link del h4

# --- MTU limits (ETH_MIN_MTU .. ETH_MAX_MTU)
ip link add h5 type meta peer name p5
check_fail "MTU above 65535 is refused" "mtu|MTU|range|Invalid" ip link set h5 mtu 65536
check_fail "MTU below 68 is refused" "mtu|MTU|range|Invalid" ip link set h5 mtu 67
check_ok "MTU 65535 is accepted" ip link set h5 mtu 65535
ip link del h5

# --- every attribute round-trips through ip -d link, on both ends; the
# primary's and the peer's settings differ, one way in one pair and the
# other way in the other, so that a swap shows. Both ends report the pair's
# settings: policy and scrub are the primary's, peer_* the peer's.
check_ok "create with every setting non-default on the primary" \
	ip link add h6 type meta mode l2 blackhole scrub none headroom 128 tailroom 64 \
	peer name p6 netns "$pod"
check_ok "create with every setting non-default on the peer" \
	ip link add h9 type meta headroom 32 tailroom 16 \
	peer blackhole scrub none name p9 netns "$pod"
for end in "h6::l2 blackhole forward none default 128 64" \
	   "p6:$pod:l2 blackhole forward none default 128 64" \
	   "h9::l3 forward blackhole default none 32 16" \
	   "p9:$pod:l3 forward blackhole default none 32 16"; do
	IFS=: read -r dev ns vals <<<"$end"
	read -r mode pol ppol scr pscr hr tr <<<"$vals"
	type=primary
	[ "${dev#p}" = "$dev" ] || type=peer
	got=""
	for key in mode type policy peer_policy scrub peer_scrub headroom tailroom; do
		got+="$key=$(link_attr "$ns" "$dev" "$key") "
	done
	want="mode=$mode type=$type policy=$pol peer_policy=$ppol scrub=$scr peer_scrub=$pscr headroom=$hr tailroom=$tr "
	check_eq "ip -d link round-trips every attribute on $dev" "$want" "$got"
done
ip link del h9

# --- link-netnsid: without a netns of its own the peer goes where veth's
# goes, the namespace IFLA_LINK_NETNSID names; the primary stays in the
# requester's namespace.
setup_ns linked
ip netns set "$linked" 77
where() { # DEV: the namespace that holds DEV, "init" or "linked"
	if link_exists "" "$1"; then echo init
	elif link_exists "$linked" "$1"; then echo linked
	else echo none; fi
}
ip link add v8 link-netnsid 77 type veth peer name vp8
check_ok "create a pair with link-netnsid" \
	ip link add h8 link-netnsid 77 type meta peer name p8
check_eq "link-netnsid: the peer lands where veth's does" \
	"$(where vp8)" "$(where p8)"
check_eq "link-netnsid: the peer is in the linked namespace, the primary here" \
	"linked init" "$(where p8) $(where h8)"
ip link del h8
ip link del v8

# --- deleting the peer's namespace deletes the pair
ip link add h7 type meta peer name p7 netns "$other"
check_ok "delete the peer's namespace" ip netns del "$other"
check_gone "deleting the peer's namespace deletes the primary" "" h7 10

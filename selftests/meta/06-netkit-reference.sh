#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sanity reference against upstream: where the kernel has netkit (>= 6.7
# built with CONFIG_NETKIT), the same traffic and the same default-policy
# changes go through a netkit pair and a meta pair, and both must deliver,
# drop and count alike. Divergence from upstream semantics shows up here.
# Debian 12's iproute2 predates netkit, so its requests come from meta_nl.
#
#   init ns                          pod ns
#   h0 10.3.0.1/24 <== KIND pair ==> p0 10.3.0.2/24
source ./lib.sh

# netkit's IFLA_NETKIT_* numbers (include/uapi/linux/if_link.h, 6.7+).
NETKIT_POLICY=3
NETKIT_PEER_POLICY=4

setup_ns pod

# Is there netkit at all? Built in on Debian's 6.12/7.2, absent before 6.7.
# Only the kernel's "no such link kind" answer means that; any other
# failure of the probe is a failure.
if ! probe=$("$META_NL" --kind netkit --peer nkprobe1 create nkprobe0 2>&1); then
	if grep -qE "Unknown device type|Operation not supported" <<<"$probe"; then
		skip "netkit reference" "this kernel has no netkit (needs >= 6.7 with CONFIG_NETKIT): $probe"
	else
		fail "netkit reference: a netkit pair can be created" \
			"expected: success, or 'Unknown device type' without netkit" "seen:     $probe"
	fi
	exit 0
fi
ip link del nkprobe0

# make_pair KIND: h0 (host) / p0 (pod), addressed and up.
make_pair() {
	if [ "$1" = netkit ]; then
		"$META_NL" --kind netkit --peer p0 create h0 >/dev/null
	else
		ip link add h0 type meta peer name p0
	fi
	ip link set p0 netns "$pod"
	no_ipv6 "" h0
	no_ipv6 "$pod" p0
	ip addr add 10.3.0.1/24 dev h0
	ip link set h0 up
	ip -n "$pod" addr add 10.3.0.2/24 dev p0
	ip -n "$pod" link set p0 up
	wait_carrier "" h0
}

# set_peer_policy KIND forward|blackhole, through the primary.
set_peer_policy() {
	if [ "$1" = netkit ]; then
		local v=0
		[ "$2" = blackhole ] && v=2
		"$META_NL" --kind netkit --u32 "$NETKIT_PEER_POLICY:$v" change h0 >/dev/null
	else
		ip link set h0 type meta peer "$2"
	fi
}

# scenario KIND: one line describing what happened, for comparison.
scenario() {
	local kind=$1 r="" d0 d1 rx0 rx1
	make_pair "$kind"
	ping -c 2 -W 2 10.3.0.2 >/dev/null 2>&1 && r+="h->p:ok " || r+="h->p:fail "
	in_ns "$pod" ping -c 2 -W 2 10.3.0.1 >/dev/null 2>&1 && r+="p->h:ok " || r+="p->h:fail "
	head -c 500000 /dev/urandom >/tmp/nkref.$$
	in_ns "$pod" ./tcp_xfer recv 5003 /tmp/nkref.$$.r &
	./tcp_xfer send 10.3.0.2 5003 /tmp/nkref.$$ >/dev/null 2>&1 || true
	wait || true
	cmp -s /tmp/nkref.$$ /tmp/nkref.$$.r && r+="tcp:ok " || r+="tcp:fail "
	set_peer_policy "$kind" blackhole
	in_ns "$pod" ping -c 3 -i 0.2 -W 1 10.3.0.1 >/dev/null 2>&1 && r+="blackholed:ok " || r+="blackholed:fail "
	# Counted exactly with 3 frames into p0's transmit (ping resends
	# what a driver refuses, as many times as its timing allows).
	d0=$(counter "$pod" p0 tx_dropped)
	rx0=$(counter "" h0 rx_packets)
	in_ns "$pod" ./raw_send p0 3 >/dev/null
	d1=$(counter "$pod" p0 tx_dropped)
	rx1=$(counter "" h0 rx_packets)
	r+="tx_dropped+$((d1 - d0)) rx_packets+$((rx1 - rx0)) "
	set_peer_policy "$kind" forward
	in_ns "$pod" ping -c 2 -W 2 10.3.0.1 >/dev/null 2>&1 && r+="restored:ok" || r+="restored:fail"
	ip link del h0
	rm -f /tmp/nkref.$$ /tmp/nkref.$$.r
	echo "$r"
}

nk=$(scenario netkit)
mt=$(scenario meta)
check_eq "netkit behaves as expected (reference sanity)" \
	"h->p:ok p->h:ok tcp:ok blackholed:fail tx_dropped+3 rx_packets+0 restored:ok" "$nk"
check_eq "meta delivers, drops and counts like netkit" "$nk" "$mt"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Traffic through a pair, host <-> pod, in l3 and l2 mode: ping and a TCP
# transfer in both directions, ARP only in l2, exact per-end counters,
# oversize frames and a down peer dropped and counted, MAC changes refused
# in l3.
#
#   init ns                     pod ns
#   h0 10.1.0.1/24 <== meta ==> p0 10.1.0.2/24
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod
blob=/tmp/meta-blob-$$
head -c 2000000 /dev/urandom >"$blob"
want_sum=$(sha256sum <"$blob" | cut -d' ' -f1)

# tcp_transfer FROM_NS TO_NS TO_ADDR: the blob must arrive intact.
tcp_transfer() {
	local from=$1 to=$2 addr=$3 got
	rm -f "$blob.recv"
	in_ns "$to" ./tcp_xfer recv 5001 "$blob.recv" &
	local rpid=$!
	in_ns "$from" ./tcp_xfer send "$addr" 5001 "$blob" || true
	wait "$rpid" || true
	got=$(sha256sum <"$blob.recv" 2>/dev/null | cut -d' ' -f1)
	echo "${got:-nothing}"
}

for mode in l3 l2; do
	# (pair_up turns IPv6 autoconfiguration off: the counters want quiet)
	pair_up "$pod" h0 p0 10.1.0.1 10.1.0.2 mode "$mode"

	check_ok "$mode: ping host -> pod" ping -c 3 -i 0.2 -W 2 10.1.0.2
	check_ok "$mode: ping pod -> host" in_ns "$pod" ping -c 3 -i 0.2 -W 2 10.1.0.1
	check_eq "$mode: TCP host -> pod delivers 2 MB intact" "$want_sum" \
		"$(tcp_transfer "" "$pod" 10.1.0.2)"
	check_eq "$mode: TCP pod -> host delivers 2 MB intact" "$want_sum" \
		"$(tcp_transfer "$pod" "" 10.1.0.1)"

	# Every frame the primary sent, the peer received, and vice versa.
	check_counters_equal "$mode: primary tx packets == peer rx packets" \
		"" h0 tx_packets "$pod" p0 rx_packets
	check_counters_equal "$mode: peer tx bytes == primary rx bytes" \
		"$pod" p0 tx_bytes "" h0 rx_bytes
	check_cond "$mode: counters saw the transfer (>2 MB)" \
		test "$(counter "" h0 tx_bytes)" -gt 2000000

	neigh=$(ip neigh show dev h0 10.1.0.2)
	if [ "$mode" = l2 ]; then
		check_cond "l2: ARP resolved the pod's MAC ($neigh)" \
			grep -q "lladdr $(in_ns "$pod" cat /sys/class/net/p0/address)" <<<"$neigh"
		check_ok "l2: MAC change accepted" ip link set h0 address 02:00:00:00:bb:01
		check_eq "l2: new MAC in effect" 02:00:00:00:bb:01 "$(cat /sys/class/net/h0/address)"
	else
		check_cond "l3: no ARP resolution, neighbour is NOARP ($neigh)" \
			grep -qE 'NOARP|^$' <<<"$neigh"
		check_fail "l3: MAC change refused" "not supported|Operation not supported" \
			ip link set h0 address 02:00:00:00:bb:01
		check_eq "l3: MAC unchanged" 00:00:00:00:00:00 "$(cat /sys/class/net/h0/address)"
	fi

	# A frame larger than the receiving end's MTU is dropped and counted.
	ip link set h0 mtu 9000
	drops=$(counter "" h0 tx_dropped)
	ping -c 2 -W 1 -s 3000 10.1.0.2 >/dev/null 2>&1 || true
	check_cond "$mode: frames over the peer's MTU are dropped and counted" \
		test "$(counter "" h0 tx_dropped)" -ge $((drops + 2))
	ip link set h0 mtu 1500

	# The peer down: carrier gone on the primary, so the stack stops
	# sending; frames that still reach the driver (qdisc bypass) are
	# dropped and counted, and nothing arrives.
	ip -n "$pod" link set p0 down
	check_eq "$mode: peer down takes the primary's carrier" 0 "$(cat /sys/class/net/h0/carrier)"
	check_fail "$mode: ping to a down peer fails" "100% packet loss|No buffer|unreachable" \
		ping -c 2 -W 1 10.1.0.2
	drops=$(counter "" h0 tx_dropped)
	rx=$(counter "$pod" p0 rx_packets)
	./raw_send h0 5 >/dev/null
	check_eq "$mode: 5 frames to a down peer: 5 drops counted" \
		$((drops + 5)) "$(counter "" h0 tx_dropped)"
	check_eq "$mode: ...and none delivered" "$rx" "$(counter "$pod" p0 rx_packets)"
	ip -n "$pod" link set p0 up
	wait_carrier "" h0
	check_ok "$mode: traffic resumes when the peer comes back" ping -c 2 -W 2 10.1.0.2

	ip link del h0
done

rm -f "$blob" "$blob.recv"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Traffic through a pair, host <-> pod, in l3 and l2 mode: ping and a TCP
# transfer in both directions, ARP only in l2, exact per-end counters (in
# packets and bytes, both directions), oversize frames and a down peer
# dropped and counted, MAC changes refused in l3.
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
	b0=$(counter "" h0 tx_bytes)
	check_eq "$mode: TCP host -> pod delivers 2 MB intact" "$want_sum" \
		"$(tcp_transfer "" "$pod" 10.1.0.2)"
	b1=$(counter "$pod" p0 tx_bytes)
	check_eq "$mode: TCP pod -> host delivers 2 MB intact" "$want_sum" \
		"$(tcp_transfer "$pod" "" 10.1.0.1)"
	check_cond "$mode: h0 tx_bytes saw the transfer to the pod (+$(($(counter "" h0 tx_bytes) - b0)) > 2 MB)" \
		test $(($(counter "" h0 tx_bytes) - b0)) -gt 2000000
	check_cond "$mode: p0 tx_bytes saw the transfer to the host (+$(($(counter "$pod" p0 tx_bytes) - b1)) > 2 MB)" \
		test $(($(counter "$pod" p0 tx_bytes) - b1)) -gt 2000000

	# Every frame the primary sent, the peer received, and vice versa.
	for c in packets bytes; do
		check_counters_equal "$mode: primary tx_$c == peer rx_$c" \
			"" h0 "tx_$c" "$pod" p0 "rx_$c"
		check_counters_equal "$mode: peer tx_$c == primary rx_$c" \
			"$pod" p0 "tx_$c" "" h0 "rx_$c"
	done

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

	# From here on the link is quiet, so every counter's change is known:
	# in l2 the neighbours become permanent (no ARP probes), IPv6 is off.
	S=(h0 "p0@$pod" eth:h0)
	if [ "$mode" = l2 ]; then
		ip neigh replace 10.1.0.2 dev h0 nud permanent \
			lladdr "$(in_ns "$pod" cat /sys/class/net/p0/address)"
		ip -n "$pod" neigh replace 10.1.0.1 dev p0 nud permanent \
			lladdr "$(cat /sys/class/net/h0/address)"
	fi

	# Exact per-end counters: different counts and sizes each way, so a
	# swapped or missing counter shows. Nothing handles the experimental
	# ethertype on the receiving end: its core counts each frame there in
	# rx_dropped after the driver delivered it.
	before=$(snap "${S[@]}")
	./raw_send h0 7 100 >/dev/null
	in_ns "$pod" ./raw_send p0 11 1000 >/dev/null
	check_delta "$mode: 7 x 100 B host -> pod, 11 x 1000 B pod -> host: exact on all four ends' counters" \
		"$before" "h0.tx_packets=7 h0.tx_bytes=700 p0.rx_packets=7 p0.rx_bytes=700
		h0.primary_pass=7 p0.rx_dropped=7
		p0.tx_packets=11 p0.tx_bytes=11000 h0.rx_packets=11 h0.rx_bytes=11000
		h0.peer_pass=11 h0.rx_dropped=11" "${S[@]}"

	# A frame larger than the receiving end's MTU is dropped and counted.
	ip link set h0 mtu 9000
	before=$(snap "${S[@]}")
	ping -c 2 -W 1 -s 3000 10.1.0.2 >/dev/null 2>&1 || true
	check_delta "$mode: 2 frames over the peer's MTU: h0 tx_dropped and primary_undeliverable +2" \
		"$before" "h0.tx_dropped=2 h0.primary_undeliverable=2" "${S[@]}"
	ip link set h0 mtu 1500

	# The peer down: carrier gone on the primary, so the stack stops
	# sending; even frames sent around the qdisc are dropped, by the core
	# before the driver (no carrier), and counted; nothing arrives.
	ip -n "$pod" link set p0 down
	check_eq "$mode: peer down takes the primary's carrier" 0 "$(cat /sys/class/net/h0/carrier)"
	check_fail "$mode: ping to a down peer fails" "100% packet loss|No buffer|unreachable" \
		ping -c 2 -W 1 10.1.0.2
	before=$(snap "${S[@]}")
	./raw_send h0 5 >/dev/null
	check_delta "$mode: 5 frames to a down peer: 5 drops counted, none delivered" \
		"$before" "h0.tx_dropped=5" "${S[@]}"
	ip -n "$pod" link set p0 up
	wait_carrier "" h0
	check_ok "$mode: traffic resumes when the peer comes back" ping -c 2 -W 2 10.1.0.2

	ip link del h0
done

rm -f "$blob" "$blob.recv"

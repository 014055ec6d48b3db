#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Default policies: blackhole on either end drops what that end transmits,
# and counts it; the primary may change both policies at runtime; the peer
# (the pod) may change nothing, and a refused request changes nothing.
#
#   init ns                     pod ns
#   h0 10.2.0.1/24 <== meta ==> p0 10.2.0.2/24
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod
# (pair_up turns IPv6 autoconfiguration off: the counters want quiet)
pair_up "$pod" h0 p0 10.2.0.1 10.2.0.2
S=(h0 "p0@$pod" eth:h0)
check_ok "forward/forward: traffic flows" ping -c 2 -W 2 10.2.0.2

# --- blackhole on the primary: host -> pod dropped at h0
check_ok "primary may set its own policy to blackhole" ip link set h0 type meta blackhole
check_eq "policy reads back as blackhole" blackhole "$(link_attr "" h0 policy)"
check_eq "the pod end sees the same primary policy" blackhole "$(link_attr "$pod" p0 policy)"
check_fail "primary blackhole: ping host -> pod fails" "100% packet loss|No buffer" \
	ping -c 3 -i 0.2 -W 1 10.2.0.2
# (ping resends what the driver refuses: raw_send counts exactly)
before=$(snap "${S[@]}")
./raw_send h0 3 >/dev/null
check_delta "primary blackhole: 3 frames, 3 drops on h0 tx_dropped and primary_policy_drop, nothing reached the pod" \
	"$before" "h0.tx_dropped=3 h0.primary_policy_drop=3" "${S[@]}"
check_ok "primary may set its policy back to forward" ip link set h0 type meta forward
check_ok "forward again: traffic flows" ping -c 2 -W 2 10.2.0.2

# --- blackhole on the peer, set through the primary: pod -> host dropped at p0
check_ok "primary may set the peer policy to blackhole" ip link set h0 type meta peer blackhole
check_eq "peer policy reads back as blackhole" blackhole "$(link_attr "" h0 peer_policy)"
check_fail "peer blackhole: ping pod -> host fails" "100% packet loss|No buffer" \
	in_ns "$pod" ping -c 3 -i 0.2 -W 1 10.2.0.1
before=$(snap "${S[@]}")
in_ns "$pod" ./raw_send p0 3 >/dev/null
check_delta "peer blackhole: 3 frames, 3 drops on p0 tx_dropped and peer_policy_drop, nothing reached the host" \
	"$before" "p0.tx_dropped=3 h0.peer_policy_drop=3" "${S[@]}"

# --- the pod may not change anything
check_fail "the peer cannot set its own policy" "only be changed through the primary" \
	in_ns "$pod" ip link set p0 type meta forward
check_fail "the peer cannot set the primary's policy" "only be changed through the primary" \
	in_ns "$pod" ip link set p0 type meta peer forward
check_eq "refused request changed nothing" blackhole "$(link_attr "" h0 peer_policy)"
check_fail "$META_NL: peer-side change refused with extack" "only be changed through the primary" \
	in_ns "$pod" "$META_NL" --policy 0 change p0

# --- create-only settings cannot change
check_fail "mode cannot change after creation" "fixed at creation" \
	ip link set h0 type meta mode l2
check_fail "scrub cannot change after creation" "fixed at creation" \
	ip link set h0 type meta scrub none
check_fail "an invalid runtime policy is refused" "policy must be forward" \
	"$META_NL" --policy 7 change h0
check_fail "one bad value refuses the whole request" "policy must be forward" \
	"$META_NL" --policy 2 --peer-policy 9 change h0
check_eq "...and the valid part was not applied" forward "$(link_attr "" h0 policy)"

check_ok "primary sets the peer back to forward" ip link set h0 type meta peer forward
check_ok "forward/forward again: pod -> host flows" in_ns "$pod" ping -c 2 -W 2 10.2.0.1

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scrub: what crosses from one namespace to the other loses skb->mark and
# skb->priority by default and keeps them with "scrub none", per direction,
# as seen by a tc ingress program on the receiving end. Head/tailroom given
# at creation are applied to both devices.
#
#   h0 <== meta (scrub default) ==> p0 (pod)
#   h1 <== meta (scrub none, peer scrub none) ==> p1 (podn)
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod podn
pair_up "$pod" h0 p0 10.6.0.1 10.6.0.2
ip link add h1 type meta scrub none headroom 128 tailroom 64 \
	peer scrub none name p1 netns "$podn"
no_ipv6 "" h1
no_ipv6 "$podn" p1
ip addr add 10.7.0.1/24 dev h1
ip link set h1 up
ip -n "$podn" addr add 10.7.0.2/24 dev p1
ip -n "$podn" link set p1 up
wait_carrier "" h1

# observed NS DEV KEY: a field of the observe program's map after reset +
# 3 pings FROM the other end with mark 66 and TOS lowdelay (priority 6).
observed() { # RECV_NS RECV_DEV SEND_NS DST KEY
	if ! metactl ${1:+-n "$1"} tc attach "$2" ingress "$BPF_DIR/observe.bpf.o" >/dev/null; then
		echo "observe-program-not-attached"
		return
	fi
	metactl observed reset
	in_ns "$3" ping -c 3 -i 0.2 -W 1 -m 66 -Q 0x10 "$4" >/dev/null 2>&1 || true
	metactl observed | grep -oE "(^| )$5 [0-9]+" | awk '{ print $2 }'
	metactl ${1:+-n "$1"} tc detach "$2" ingress
}

check_cond "host -> pod traffic is seen by the pod's tc program" \
	test "$(observed "$pod" p0 "" 10.6.0.2 packets)" -ge 3
check_eq "scrub default: the pod never sees the host's mark" 0 \
	"$(observed "$pod" p0 "" 10.6.0.2 marked)"
check_eq "scrub default: nor its priority" 0 \
	"$(observed "$pod" p0 "" 10.6.0.2 prioritized)"
check_eq "scrub none: the pod sees the host's mark" 66 \
	"$(observed "$podn" p1 "" 10.7.0.2 mark)"
check_eq "scrub none: and its priority" 6 \
	"$(observed "$podn" p1 "" 10.7.0.2 priority)"
check_eq "peer scrub default: the host never sees the pod's mark" 0 \
	"$(observed "" h0 "$pod" 10.6.0.1 marked)"
check_eq "peer scrub none: the host sees the pod's mark" 66 \
	"$(observed "" h1 "$podn" 10.7.0.1 mark)"
check_eq "headroom applied to the primary" 128 "$(link_attr "" h1 headroom)"
check_eq "headroom applied to the peer" 128 "$(link_attr "$podn" p1 headroom)"
check_eq "tailroom applied to both ends" "64 64" \
	"$(link_attr "" h1 tailroom) $(link_attr "$podn" p1 tailroom)"
check_eq "no headroom asked, none applied" 0 "$(link_attr "" h0 headroom)"
check_ok "traffic flows with head/tailroom reserved" \
	in_ns "$podn" ping -c 2 -W 2 -s 1400 10.7.0.1

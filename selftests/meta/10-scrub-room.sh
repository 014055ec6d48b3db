#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scrub: what crosses from one namespace to the other loses skb->mark and
# skb->priority by default and keeps them with "scrub none", per direction
# (scrub: what the host sends, peer scrub: what the pod sends), as seen by
# a tc ingress program on the receiving end; pairs with the two settings
# different each way show a swap. Head/tailroom given at creation are
# applied to both devices.
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

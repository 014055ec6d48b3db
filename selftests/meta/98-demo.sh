#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo` keeps working: selftests/demo.sh runs to its end (it stops
# at the first command that fails, and its pings must get through), and
# what it shows is what it says: BPF host routing carried the pod's
# traffic with forwarding off (peer_redirect_neigh), the remote reached
# the pod through nic_ingress, and the same-node shortcut bypassed the
# second pod's host end (peer_redirect_peer).
# shellcheck source=lib.sh
source ./lib.sh

demo=$(cd .. && pwd)/demo.sh
out=$(BPF_DIR=$BPF_DIR "$demo" 2>&1) && rc=0 || rc=$?
check_eq "demo.sh exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /'
check_cond "demo.sh got to its end" grep -qx "demo finished" <<<"$out"
check_cond "without forwarding or programs, the pod could not reach the remote" \
	grep -q "2 packets transmitted, 0 received" <<<"$out"
check_eq "with the programs, pod -> remote and remote -> pod: 3 of 3 each" 2 \
	"$(grep -c "3 packets transmitted, 3 received" <<<"$(sed -n '/BPF host routing/,/Verdict counters/p' <<<"$out")")"
check_cond "ethtool -S counted redirect_neigh verdicts on the pod's egress" \
	grep -qE "peer_redirect_neigh: [1-9]" <<<"$out"
# host1's own IPv6 chatter (router solicitations, MLD) may add a packet;
# the pod's 3 echo requests through the host end would add 3.
read -r before after < <(sed -n 's/^host1 tx_packets: \([0-9]*\) before, \([0-9]*\) after.*/\1 \2/p' <<<"$out")
check_cond "same node: host1 did not carry the pod's requests ($before -> $after)" \
	test -n "$before" -a $((${after:-0} - ${before:-0})) -lt 3
check_cond "same node: counted as peer_redirect_peer" \
	grep -qE "peer_redirect_peer: [1-9]" <<<"$out"

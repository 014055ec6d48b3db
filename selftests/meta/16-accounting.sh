#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Drop accounting adds up: every frame an end's transmit gets is counted
# once, as sent (tx_packets, and rx_packets on the other end) or as
# dropped (tx_dropped, with the verdict counter that says why). A frame the
# receiving backlog refuses is counted once more on the receiver, by the
# core, in rx_dropped: once, not twice.
#
# Load: a tc egress program in the pod (clone_burst) turns every ping into
# a burst of 8 frames within one BH-disabled section; with
# netdev_max_backlog 2 the backlog refuses part of each burst.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

PINGS=20
BURST=8		# clone_burst: 7 copies + the packet

setup_ns pod
pair_up "$pod" h0 p0 10.16.0.1 10.16.0.2
metactl -n "$pod" tc attach p0 egress "$BPF_DIR/clone_burst.bpf.o" >/dev/null

backlog=$(cat /proc/sys/net/core/netdev_max_backlog)
restore_backlog() { echo "$backlog" > /proc/sys/net/core/netdev_max_backlog; }
cni_at_exit restore_backlog

# snap: the counters that must add up, as "name=value" words.
snap() {
	local c
	for c in tx_packets tx_dropped rx_packets rx_dropped; do
		printf 'p0_%s=%s h0_%s=%s ' "$c" "$(counter "$pod" p0 "$c")" \
			"$c" "$(counter "" h0 "$c")"
	done
	for c in peer_pass peer_undeliverable primary_pass primary_undeliverable; do
		printf '%s=%s ' "$c" "$(ethstat "" h0 "$c")"
	done
}

declare -A before after d
for kv in $(snap); do before[${kv%%=*}]=${kv#*=}; done
echo 2 > /proc/sys/net/core/netdev_max_backlog
in_ns "$pod" ping -c "$PINGS" -i 0.05 -W 1 10.16.0.1 >/dev/null 2>&1 || true
restore_backlog
sleep 0.5	# replies still in flight
for kv in $(snap); do after[${kv%%=*}]=${kv#*=}; done
for k in "${!before[@]}"; do d[$k]=$((after[$k] - before[$k])); done
echo "# deltas: $(for k in "${!d[@]}"; do printf '%s=%s ' "$k" "${d[$k]}"; done)"

check_cond "the backlog refused part of the bursts (p0 tx_dropped > 0)" \
	test "${d[p0_tx_dropped]}" -gt 0
check_eq "pod -> host: every frame counted once (p0 tx_packets + tx_dropped)" \
	$((PINGS * BURST)) $((d[p0_tx_packets] + d[p0_tx_dropped]))
check_eq "pod -> host: what p0 sent, h0 received" "${d[p0_tx_packets]}" "${d[h0_rx_packets]}"
check_eq "pod -> host: a refused frame is one rx_dropped on h0, not two" \
	"${d[p0_tx_dropped]}" "${d[h0_rx_dropped]}"
check_eq "pod -> host: peer_pass counts what was delivered" \
	"${d[p0_tx_packets]}" "${d[peer_pass]}"
check_eq "pod -> host: peer_undeliverable counts what the backlog refused" \
	"${d[p0_tx_dropped]}" "${d[peer_undeliverable]}"
check_eq "host -> pod: what h0 sent, p0 received" "${d[h0_tx_packets]}" "${d[p0_rx_packets]}"
check_eq "host -> pod: rx_dropped on p0 equals h0's undeliverable" \
	"${d[primary_undeliverable]}" "${d[p0_rx_dropped]}"
check_eq "host -> pod: every reply counted once (primary_pass + undeliverable)" \
	$((d[h0_tx_packets] + d[h0_tx_dropped])) $((d[primary_pass] + d[primary_undeliverable]))

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: a pod namespace gets a meta pair, traffic
# flows both ways, the counters show it, and the host blackholes the pod
# at runtime while the pod is refused the same power.
set -euo pipefail

cd "$(dirname "$0")/meta"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Kernel $(uname -r); loading meta.ko on first use"
run ip netns add pod
run ip link add host0 type meta peer name pod0 netns pod
run cat /sys/module/meta/version
run ethtool -i host0

step "Addresses: host0 10.0.0.1/24 (host side), pod0 10.0.0.2/24 (in netns pod)"
run ip addr add 10.0.0.1/24 dev host0
run ip link set host0 up
run ip -n pod addr add 10.0.0.2/24 dev pod0
run ip -n pod link set pod0 up
run ip -n pod link set lo up
sleep 0.5
run ip -d link show dev host0
run ip -n pod -d link show dev pod0

step "Ping both ways"
run ping -c 3 -i 0.2 10.0.0.2
run ip netns exec pod ping -c 3 -i 0.2 10.0.0.1

step "A 4 MB TCP transfer from the pod to the host"
head -c 4000000 /dev/urandom > /tmp/blob
./tcp_xfer recv 5001 /tmp/blob.recv &
run ip netns exec pod ./tcp_xfer send 10.0.0.1 5001 /tmp/blob
wait
run sha256sum /tmp/blob /tmp/blob.recv

step "Counters (ip -s link): what one end sent, the other received"
run ip -s link show dev host0
run ip -n pod -s link show dev pod0

step "The host blackholes everything the pod sends"
run ip link set host0 type meta peer blackhole
run ip -d link show dev host0
printf '$ ip netns exec pod ping -c 3 -W 1 10.0.0.1   (expected to fail)\n'
ip netns exec pod ping -c 3 -i 0.2 -W 1 10.0.0.1 || true
run cat /sys/class/net/host0/statistics/rx_packets
printf 'pod0 tx_dropped: '
ip netns exec pod cat /sys/class/net/pod0/statistics/tx_dropped

step "The pod cannot undo it: only the primary (host) end may change settings"
printf '$ ip netns exec pod ip link set pod0 type meta forward   (expected to fail)\n'
ip netns exec pod ip link set pod0 type meta forward || true

step "The host lifts it"
run ip link set host0 type meta peer forward
run ip netns exec pod ping -c 2 -i 0.2 10.0.0.1

step "Deleting the pod's namespace deletes the pair"
run ip netns del pod
sleep 1
run ip -br link
echo
echo "demo finished"

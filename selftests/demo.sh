#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: a pod namespace gets a meta pair, traffic
# flows both ways, the counters show it, and the host blackholes the pod
# at runtime while the pod is refused the same power. Then the
# programmable part: with the node's IP forwarding off, BPF programs route
# the pod's traffic to a remote host and back, ethtool -S counts their
# verdicts, and a second pod is reached without crossing the host.
set -euo pipefail

cd "$(dirname "$0")/meta"
BPF=${BPF_DIR:-$(cd ../.. && pwd)/bpf}
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

step "A remote host behind the node's NIC, and the node forwards nothing"
run ip netns add remote
run ip link add nic0 type veth peer name nic1 netns remote
run ip addr add 10.9.0.1/24 dev nic0
run ip link set nic0 up
run ip -n remote addr add 10.9.0.2/24 dev nic1
run ip -n remote link set nic1 up
run ip -n remote route add 10.0.0.0/16 via 10.9.0.1
run ip -n pod route add default via 10.0.0.1
run ping -c 1 -W 2 10.9.0.2
run sysctl -w net.ipv4.ip_forward=0
printf '$ ip netns exec pod ping -c 2 -W 1 10.9.0.2   (expected to fail: no forwarding)\n'
ip netns exec pod ping -c 2 -i 0.2 -W 1 10.9.0.2 || true

step "BPF host routing: out through the NIC's neighbour, back in straight to the pod"
echo "# redirect_neigh_nonh on the pod's egress: bpf_redirect_neigh() to the target, nic0"
run metactl attach host0 "$BPF/redirect_neigh_nonh.bpf.o" --dir peer
run metactl target set nic0
echo "# nic_ingress on nic0: bpf_redirect_peer() into the pod whose address it is"
run metactl tc attach nic0 ingress "$BPF/nic_ingress.bpf.o"
run metactl pod add 10.0.0.2 host0
run metactl list host0
run ip netns exec pod ping -c 3 -i 0.2 10.9.0.2
run ip netns exec remote ping -c 3 -i 0.2 10.0.0.2
run sysctl net.ipv4.ip_forward

step "Verdict counters (ethtool -S): what the programs on the pod's egress decided"
run ethtool -S host0

step "Same node: pod to pod without crossing the host"
run ip netns add podb
run ip link add host1 type meta peer name pod1 netns podb
run ip addr add 10.0.1.1/24 dev host1
run ip link set host1 up
run ip -n podb addr add 10.0.1.2/24 dev pod1
run ip -n podb link set pod1 up
run ip -n podb route add default via 10.0.1.1
echo "# same_node first on both pods' egress: bpf_redirect_peer() into the other pod"
run metactl attach host0 "$BPF/same_node.bpf.o" --dir peer --first
run metactl attach host1 "$BPF/same_node.bpf.o" --dir peer
run metactl pod add 10.0.1.2 host1
run metactl pod list
tx=$(cat /sys/class/net/host1/statistics/tx_packets)
run ip netns exec pod ping -c 3 -i 0.2 10.0.1.2
printf 'host1 tx_packets: %s before, %s after: the 3 requests never crossed the host end\n' \
	"$tx" "$(cat /sys/class/net/host1/statistics/tx_packets)"
printf '$ ethtool -S host0 | grep peer_redirect_peer\n'
ethtool -S host0 | grep peer_redirect_peer

step "Deleting the pods' namespaces deletes the pairs"
metactl tc detach nic0 ingress
metactl pod del 10.0.0.2
metactl pod del 10.0.1.2
run ip netns del pod
run ip netns del podb
run ip netns del remote
sleep 1
run ip -br link
echo
echo "demo finished"

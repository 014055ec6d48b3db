#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: stress.sh [SECONDS [UNLOAD_EVERY]]
#
# SMP races: for SECONDS (default $STRESS_SECONDS, else 60), concurrently
#   - create and delete pairs, peers in short-lived namespaces that are
#     deleted with the peer inside;
#   - attach, replace and detach programs on a pair that carries flows;
#   - flip policies, take ends down and up, change MTUs;
#   - send traffic: TCP and ping through the pair, BPF host routing out of a
#     "NIC" (bpf_redirect_neigh) and back in (bpf_redirect_peer at its tc
#     ingress), and the same-node shortcut between two pods;
#   - every UNLOAD_EVERY seconds (default 15) `rmmod meta` while all of
#     the above still tries, then load it again.
# Then: no meta device left, the BPF program count back to where it
# started, `rmmod meta` succeeds, and (after the kernel's netdev reference
# wait) the kernel log is clean; the harness scans kmemleak afterwards.
#
# Runs as the entry point of an SMP guest (run.sh --stress, `make stress`):
# 4 vCPUs, multi-threaded TCG. Prints kselftest TAP.
#
#          pod A (pa) --- meta hA ---+            +--- nic0 ~~~ nic1 (remote)
#          pod B (pb) --- meta hB ---+-- host ----+
#          churn: hN/pN pairs in throw-away namespaces
set -uo pipefail
cd "$(dirname "$0")"
export META_TEST=stress
# shellcheck source=lib.sh
source ./lib.sh
set +e

DURATION=${1:-${STRESS_SECONDS:-60}}
UNLOAD=${2:-15}
BPF=$BPF_DIR
echo "TAP version 13"
echo "# stress: ${DURATION}s on $(nproc) CPUs, unload every ${UNLOAD}s"

progs0=$("$META_NL" prog-count)
# Static keys flipped while other CPUs run patched code can trip QEMU's
# multi-threaded TCG (see run.sh): keep the ones the workers would toggle
# (tc ingress/egress hooks, BPF) enabled for the whole run.
ip link add keepkeys type dummy
tc qdisc add dev keepkeys clsact
metactl tc attach keepkeys ingress "$BPF/count.bpf.o" --pin-maps /sys/fs/bpf/stress-keep >/dev/null

setup_ns remote
ip link add nic0 type veth peer name nic1 netns "$remote"
no_ipv6 "" nic0
no_ipv6 "$remote" nic1
ip addr add 10.99.0.1/24 dev nic0
ip link set nic0 up
ip -n "$remote" addr add 10.99.0.2/24 dev nic1
ip -n "$remote" link set nic1 up
ip -n "$remote" route add 10.98.0.0/16 via 10.99.0.1

# The long-lived pods; pairs come back after each unload.
setup_ns pa pb
pods() {
	pair_up "$pa" hA pA 10.98.1.1 10.98.1.2 2>/dev/null
	pair_up "$pb" hB pB 10.98.2.1 10.98.2.2 2>/dev/null
	ip -n "$pa" route add default dev pA 2>/dev/null
	ip -n "$pb" route add default dev pB 2>/dev/null
	metactl pod add 10.98.1.2 hA >/dev/null 2>&1
	metactl pod add 10.98.2.2 hB >/dev/null 2>&1
	attach hA same_node --dir peer >/dev/null 2>&1
	attach hA redirect_neigh_nonh --dir peer >/dev/null 2>&1
	attach hB same_node --dir peer >/dev/null 2>&1
}
sysctl -qw net.ipv4.ip_forward=1
metactl target set nic0 >/dev/null
metactl tc attach nic0 ingress "$BPF/nic_ingress.bpf.o" >/dev/null
pods

stop=$((SECONDS + DURATION))
running() { [ $SECONDS -lt $stop ]; }
count_op() { echo "$1" >>"/tmp/stress-ops.$$"; }

worker_churn() {
	local i=0 ns
	while running; do
		i=$(( (i + 1) % 8 ))
		ns=churn$i-$$
		ip netns add "$ns" 2>/dev/null
		ip link add "hc$i" type meta peer name "pc$i" netns "$ns" 2>/dev/null && count_op create
		ip link set "hc$i" up 2>/dev/null
		ip -n "$ns" link set "pc$i" up 2>/dev/null
		if (( i % 2 )); then
			ip netns del "$ns" && count_op netns_del
		else
			ip link del "hc$i" 2>/dev/null && count_op delete
			ip netns del "$ns"
		fi
	done
}

worker_progs() {
	local id new
	while running; do
		id=$(attach hB pass --dir primary 2>/dev/null) && count_op attach
		new=$(attach hB next --dir primary --replace "$id" 2>/dev/null) && count_op replace
		metactl detach hB --dir primary --id "${new:-$id}" >/dev/null 2>&1 && count_op detach
		attach hA count --dir peer --first >/dev/null 2>&1 && count_op attach
		metactl detach hA --dir peer --all >/dev/null 2>&1 && count_op detach
		attach hA same_node --dir peer >/dev/null 2>&1
		attach hA redirect_neigh_nonh --dir peer >/dev/null 2>&1
	done
}

worker_knobs() {
	local mtu
	while running; do
		ip link set hB type meta peer blackhole 2>/dev/null && count_op policy
		ip link set hB type meta peer forward 2>/dev/null && count_op policy
		ip -n "$pb" link set pB down 2>/dev/null && count_op down
		ip -n "$pb" link set pB up 2>/dev/null && count_op up
		for mtu in 1280 9000 1500; do
			ip link set hA mtu $mtu 2>/dev/null && count_op mtu
		done
	done
}

worker_traffic() {
	while running; do
		# pod A -> remote: neigh redirect out, peer redirect back in.
		in_ns "$pa" ping -q -c 20 -i 0.01 -W 1 10.99.0.2 >/dev/null 2>&1
		# pod A -> pod B: the same-node shortcut.
		in_ns "$pa" ping -q -c 20 -i 0.01 -W 1 10.98.2.2 >/dev/null 2>&1
		# pod B -> host through the pair.
		in_ns "$pb" ping -q -c 20 -i 0.01 -W 1 10.98.2.1 >/dev/null 2>&1
		count_op traffic
	done
}

worker_tcp() {
	head -c 2000000 /dev/urandom >/tmp/stress-tx.$$
	while running; do
		in_ns "$remote" timeout 10 ./tcp_xfer recv 5099 /tmp/stress-rx.$$ >/dev/null 2>&1 &
		sleep 0.2
		in_ns "$pa" timeout 10 ./tcp_xfer send 10.99.0.2 5099 /tmp/stress-tx.$$ >/dev/null 2>&1 &&
			count_op tcp
		wait
	done
}

worker_unload() {
	while running; do
		sleep "$UNLOAD"
		running || break
		if rmmod meta 2>/dev/null; then
			count_op unload
			modprobe meta
			metactl target set nic0 >/dev/null
			pods
		fi
	done
}

workers=(churn progs knobs traffic tcp unload)
pids=()
for w in "${workers[@]}"; do
	"worker_$w" &
	pids+=($!)
done
wait "${pids[@]}"
echo "# stress: operations: $(sort "/tmp/stress-ops.$$" | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"

# --- aftermath
for ns in $(ip netns list | awk '{ print $1 }' | grep -E "^churn[0-9]-$$"); do
	ip netns del "$ns"
done
ip link del hA 2>/dev/null
ip link del hB 2>/dev/null
metactl tc detach nic0 ingress >/dev/null 2>&1
metactl tc detach keepkeys ingress >/dev/null 2>&1
ip link del keepkeys
rm -rf /sys/fs/bpf/stress-keep /tmp/stress-tx.$$ /tmp/stress-rx.$$ "/tmp/stress-ops.$$"
for ns in "${_namespaces[@]}"; do ip netns del "$ns"; done
_namespaces=()

t=100
while [ $t -gt 0 ] && [ -n "$(ip -d -o link show | grep ' meta mode ')" ]; do
	sleep 0.1
	t=$((t - 1))
done
check_eq "no meta device left" "" "$(ip -d -o link show | grep ' meta mode ' | cut -d: -f2)"
# tc filters free their programs after an RCU grace period.
t=50
while [ $t -gt 0 ] && [ "$("$META_NL" prog-count)" != "$progs0" ]; do
	sleep 0.1
	t=$((t - 1))
done
check_eq "BPF programs back to where they started" "$progs0" "$("$META_NL" prog-count)"
# A device whose references are never dropped shows up after 10 s as
# "unregister_netdevice: waiting for ..." (lib.sh's log check sees it).
sleep 12
check_ok "rmmod meta after the storm" rmmod meta
modprobe meta

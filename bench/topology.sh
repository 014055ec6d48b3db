#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2034 # setup sets SRC, DST, DIP for the sourcing script
#
# The benchmark topology, sourced by bench/guest.sh and bench/profile_guest.sh
# (both ship it into the guest beside themselves), and path_check, which
# tells from the counters which path a scenario's packets took:
#
#   nodeA                                   nodeB
#   wa 10.9.0.1/24 <====== veth "wire" =====> wb 10.9.0.2/24
#   hA 10.1.0.1/24                          hB 10.2.0.1/24
#    ||  (veth | netkit | meta)              ||
#   podA: pA 10.1.0.2/24                    podB: pB 10.2.0.2/24
#   hC 10.3.0.1/24 (same-node scenarios only)
#    ||
#   podC: pC 10.3.0.2/24
#
# Every device keeps MTU 1500; IPv6 is off. Cross-node scenarios measure
# podA -> podB (host-to-host: nodeA -> nodeB); same-node ones podA -> podC.
#
# Needs BPF (the programs' directory) and PIN (bpffs pin root); netkit
# scenarios need nk_attach in PATH. ns_pid: the netserver to stop on teardown.

BPF=${BPF:-/meta/bpf}
PIN=${PIN:-/sys/fs/bpf/meta}

x() { ip netns exec "$@"; }

teardown() {
	local ns
	[ -z "${ns_pid:-}" ] || { kill "$ns_pid" 2>/dev/null; wait "$ns_pid" 2>/dev/null; }
	ns_pid=
	for ns in podA podB podC nodeA nodeB; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$PIN"
	sleep 0.3
}

mkns() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns"
		x "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
}

# nodes: two node namespaces and the wire; the nodes forward.
nodes() {
	mkns nodeA nodeB
	ip -n nodeA link add wa type veth peer name wb netns nodeB
	ip -n nodeA addr add 10.9.0.1/24 dev wa
	ip -n nodeB addr add 10.9.0.2/24 dev wb
	ip -n nodeA link set wa up
	ip -n nodeB link set wb up
	x nodeA sysctl -qw net.ipv4.ip_forward=1
	x nodeB sysctl -qw net.ipv4.ip_forward=1
	ip -n nodeA route add 10.2.0.0/24 via 10.9.0.2 dev wa
	ip -n nodeB route add 10.1.0.0/24 via 10.9.0.1 dev wb
	ip -n nodeB route add 10.3.0.0/24 via 10.9.0.1 dev wb
}

# pod KIND NODE HOST POD NET: a pod pair of KIND (veth|netkit|meta) between
# NODE and pod namespace POD, host end NET.1, pod end NET.2.
pod() {
	local kind=$1 node=$2 h=$3 p=$4 ns=$5 net=$6
	mkns "$ns"
	case $kind in
	veth) ip -n "$node" link add "$h" type veth peer name "$p" netns "$ns" ;;
	meta) ip -n "$node" link add "$h" type meta peer name "$p" netns "$ns" ;;
	netkit)
		x "$node" /meta/selftests/meta/meta_nl --kind netkit --peer "$p" create "$h" >/dev/null
		ip -n "$node" link set "$p" netns "$ns"
		;;
	esac
	ip -n "$node" addr add "$net.1/24" dev "$h"
	ip -n "$node" link set "$h" up
	ip -n "$ns" addr add "$net.2/24" dev "$p"
	ip -n "$ns" link set "$p" up
	ip -n "$ns" route add default via "$net.1" dev "$p"
	x "$node" sysctl -qw "net.ipv4.conf.$h.forwarding=1"
}

# host routing with tc/BPF on NODE (pin dir per node: ifindexes differ).
# KIND veth: host_routing on the host end's tc ingress; meta: attached to
# the primary, direction peer; netkit: a BPF_NETKIT_PEER link (nk_attach).
# nic_ingress on the wire end either way. tc programs go on as tcx links
# where the kernel has tcx (6.6+), else on clsact; BENCH_TC_MODE (auto,
# tcx, clsact: metactl tc --tc-mode) chooses.
bpf_routing() {
	local kind=$1 node=$2 h=$3 wire=$4 podip=$5 mc=(metactl -n "$2" -p "$PIN/$2")
	local tcm=(--tc-mode "${BENCH_TC_MODE:-auto}")
	mkdir -p "$PIN/$node"
	case $kind in
	veth) "${mc[@]}" tc attach "$h" ingress "$BPF/host_routing.bpf.o" "${tcm[@]}" >/dev/null || return 1 ;;
	meta) "${mc[@]}" attach "$h" "$BPF/host_routing.bpf.o" --dir peer >/dev/null || return 1 ;;
	netkit) nk_attach "$node" "$h" peer "$BPF/host_routing.bpf.o" "$PIN/$node" "$PIN/$node/link-$h" >/dev/null || return 1 ;;
	*) return 1 ;;
	esac
	"${mc[@]}" tc attach "$wire" ingress "$BPF/nic_ingress.bpf.o" "${tcm[@]}" >/dev/null || return 1
	"${mc[@]}" pod add "$podip" "$h" >/dev/null || return 1
	# A Kubernetes node's Service CIDR stays on the stack (cni/README.md,
	# "BPF mode and Services"): the fast path is measured paying for it.
	"${mc[@]}" stack via 10.96.0.0/12 >/dev/null || return 1
}

# setup SCENARIO: build it; sets SRC (client ns), DST (server ns), DIP.
setup() {
	nodes
	SRC=podA DST=podB DIP=10.2.0.2
	case $1 in
	host-to-host) SRC=nodeA DST=nodeB DIP=10.9.0.2 ;;
	veth|meta|netkit)
		pod "$1" nodeA hA pA podA 10.1.0
		pod "$1" nodeB hB pB podB 10.2.0 ;;
	veth-bpf|meta-bpf|netkit-bpf)
		local k=${1%-bpf}
		pod "$k" nodeA hA pA podA 10.1.0
		pod "$k" nodeB hB pB podB 10.2.0
		bpf_routing "$k" nodeA hA wa 10.1.0.2 &&
		bpf_routing "$k" nodeB hB wb 10.2.0.2 ;;
	same-veth|same-meta|same-netkit|same-meta-shortcut)
		local k=${1#same-}
		k=${k%-shortcut}
		pod "$k" nodeA hA pA podA 10.1.0
		pod "$k" nodeA hC pC podC 10.3.0
		DST=podC DIP=10.3.0.2
		if [ "$1" = same-meta-shortcut ]; then
			local mc=(metactl -n nodeA -p "$PIN/nodeA")
			mkdir -p "$PIN/nodeA"
			"${mc[@]}" attach hA "$BPF/same_node.bpf.o" --dir peer >/dev/null &&
			"${mc[@]}" attach hC "$BPF/same_node.bpf.o" --dir peer >/dev/null &&
			"${mc[@]}" pod add 10.1.0.2 hA >/dev/null &&
			"${mc[@]}" pod add 10.3.0.2 hC >/dev/null
		fi ;;
	*) return 1 ;;
	esac
}


# --- which path the packets took ---------------------------------------------

# forwarded NS: IPv4 datagrams NS's stack has forwarded (IPv6 is off).
forwarded() {
	x "$1" awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) k[i] = $i; h = 1; next }
		    $1 == "Ip:" { for (i = 2; i <= NF; i++) if (k[i] == "ForwDatagrams") print $i }' \
		/proc/net/snmp
}

# devstat NS DEV NAME: a /sys/class/net statistics counter, or an ethtool -S
# one (NAME with a direction prefix, e.g. peer_redirect_neigh).
devstat() {
	case $3 in
	primary_*|peer_*) x "$1" ethtool -S "$2" | awk -v k="$3:" '$1 == k { print $2 }' ;;
	*) x "$1" cat "/sys/class/net/$2/statistics/$3" ;;
	esac
}

# path_check SCENARIO: after a scenario's traffic, check that its packets
# took the path the scenario names, so that a run which silently fell back
# to the node's stack cannot pass for the fast path: the default scenarios
# are forwarded by the node stacks (at least half of what the pods sent
# crossed them), the BPF ones are not (at most 1 %); meta's programs carried
# the traffic themselves and its host ends received nothing. Sets path_why
# (what was wrong, "" if nothing) and path_seen (the figures).
path_check() {
	local s=$1 fa fb carried d n v
	path_why=
	fa=$(forwarded nodeA)
	fb=$(forwarded nodeB)
	case $s in
	same-*) carried=$(( $(devstat podA pA tx_packets) + $(devstat podC pC tx_packets) )) ;;
	*) carried=$(( $(devstat nodeA wa tx_packets) + $(devstat nodeA wa rx_packets) )) ;;
	esac
	path_seen="node stacks forwarded $((fa + fb)) (nodeA $fa, nodeB $fb), packets carried $carried"
	case $s in
	host-to-host) ;;
	veth|netkit|meta|same-veth|same-netkit|same-meta)
		[ $((2 * (fa + fb))) -ge "$carried" ] ||
			path_why="the node stacks forwarded less than half the packets" ;;
	veth-bpf|netkit-bpf|meta-bpf|same-meta-shortcut)
		[ $((100 * (fa + fb))) -le "$carried" ] ||
			path_why="the node stacks forwarded more than 1 % of the packets" ;;
	*) path_why="no path known for scenario $s" ;;
	esac
	case $s in
	meta-bpf) v=peer_redirect_neigh; set -- nodeA:hA nodeB:hB ;;
	same-meta-shortcut) v=peer_redirect_peer; set -- nodeA:hA nodeA:hC ;;
	*) set -- ;;
	esac
	for d in "$@"; do
		n=$(devstat "${d%:*}" "${d#*:}" "$v")
		path_seen+=", ${d#*:} $v ${n:-none} rx_packets $(devstat "${d%:*}" "${d#*:}" rx_packets)"
		[ "${n:-0}" -gt 0 ] || path_why+="${path_why:+; }${d#*:} counted no $v"
		[ "$(devstat "${d%:*}" "${d#*:}" rx_packets)" = 0 ] ||
			path_why+="${path_why:+; }packets reached ${d#*:}'s stack"
	done
	[ -z "$path_why" ]
}

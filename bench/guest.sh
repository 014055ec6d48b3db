#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench` (bench/run.sh ships it as /usr/bin/guest.sh and
# boots it with --entry under icount). Builds the topology of issue 4 once
# per scenario and measures it with netperf:
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
# Output: TAP ("ok N - bench: SCENARIO") for the harness, and one line per
# measurement: "# BENCH scenario,metric,size,run,value".
#
# Kernel command line (META_VM_APPEND): bench.time=S (per test, default 1),
# bench.runs=N (default 2), bench.sweep=0|1 (message-size sweep, default 1),
# bench.sweeptime=S (default 1), bench.sweepruns=N (default 1),
# bench.scenarios=a,b,... (default all), bench.sweepscenarios=a,b,...
# (the scenarios that also get the sweep, default SWEEP_DEFAULT below),
# bench.debug=1 (guest and host time of every netperf run).
#
# Under icount the guest's clocks count instructions; the CMOS RTC still
# follows the host's clock, so each scenario also reports the host (wall)
# seconds it took: that is what the run's duration is made of.

set -uo pipefail

BPF=/meta/bpf
PIN=/sys/fs/bpf/meta
T=1
RUNS=2
SWEEP=1
SWEEPT=1
SWEEPRUNS=1
SCEN=
SWEEP_DEFAULT="host-to-host veth veth-bpf netkit-bpf meta-bpf same-meta-shortcut"
SWEEPSCEN=
BENCH_DEBUG=
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	bench.time=*) T=${arg#*=} ;;
	bench.runs=*) RUNS=${arg#*=} ;;
	bench.sweep=*) SWEEP=${arg#*=} ;;
	bench.sweeptime=*) SWEEPT=${arg#*=} ;;
	bench.sweepruns=*) SWEEPRUNS=${arg#*=} ;;
	bench.scenarios=*) SCEN=${arg#*=} ;;
	bench.sweepscenarios=*) SWEEPSCEN=${arg#*=} ;;
	bench.debug=*) BENCH_DEBUG=${arg#*=} ;;
	esac
done
SIZES="1 4 16 64 256 1024 4096 16384"

tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - bench: $*"; }
notok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - bench: $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n - bench: $1 # SKIP $2"; }
note() { echo "# $*"; }
dbg() { [ -z "$BENCH_DEBUG" ] || note "$@"; }
# host_now: the host's wall clock in seconds. The CMOS RTC follows the
# host's clock even under icount, where the guest's own clocks count
# instructions: it tells where the run's wall time goes.
host_now() { cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null || echo 0; }
result() { echo "# BENCH $1,$2,$3,$4,$5"; }

has_netkit=
if ip link add nkprobe type netkit 2>/dev/null ||
	/meta/selftests/meta/meta_nl --kind netkit --peer nkprobe1 create nkprobe >/dev/null 2>&1; then
	has_netkit=1
	ip link del nkprobe 2>/dev/null
fi
modprobe meta || { notok "modprobe meta"; exit 1; }
modprobe sch_ingress 2>/dev/null
modprobe cls_bpf 2>/dev/null

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
# nic_ingress on the wire end either way.
bpf_routing() {
	local kind=$1 node=$2 h=$3 wire=$4 podip=$5 mc=(metactl -n "$2" -p "$PIN/$2")
	mkdir -p "$PIN/$node"
	case $kind in
	veth) "${mc[@]}" tc attach "$h" ingress "$BPF/host_routing.bpf.o" >/dev/null || return 1 ;;
	meta) "${mc[@]}" attach "$h" "$BPF/host_routing.bpf.o" --dir peer >/dev/null || return 1 ;;
	netkit) nk_attach "$node" "$h" peer "$BPF/host_routing.bpf.o" "$PIN/$node" "$PIN/$node/link-$h" >/dev/null || return 1 ;;
	*) return 1 ;;
	esac
	"${mc[@]}" tc attach "$wire" ingress "$BPF/nic_ingress.bpf.o" >/dev/null || return 1
	"${mc[@]}" pod add "$podip" "$h" >/dev/null || return 1
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

# np NAME METRIC SIZE RUN SECONDS netperf-args...: one measurement.
np() {
	local name=$1 metric=$2 size=$3 run=$4 t=$5 v g0 w0
	shift 5
	g0=$(cut -d" " -f1 /proc/uptime) w0=$(host_now)
	v=$(x "$SRC" netperf -H "$DIP" -l "$t" -P 0 "$@" 2>&1 | tail -n 1 | tr -d ' \r')
	dbg "$name $metric $size: guest $g0 .. $(cut -d" " -f1 /proc/uptime), host $(($(host_now) - w0)) s"
	case $v in
	[0-9]*) result "$name" "$metric" "$size" "$run" "$v" ;;
	*) note "$name $metric size $size run $run failed: $v"; return 1 ;;
	esac
}

# counters: evidence of which path the packets took.
evidence() {
	local d
	for d in hA hB hC; do
		ip -n nodeA link show "$d" >/dev/null 2>&1 || ip -n nodeB link show "$d" >/dev/null 2>&1 || continue
		local n=nodeA
		ip -n nodeA link show "$d" >/dev/null 2>&1 || n=nodeB
		note "$1: $n/$d tx $(x $n cat /sys/class/net/$d/statistics/tx_packets) rx $(x $n cat /sys/class/net/$d/statistics/rx_packets)" \
			"$(x $n ethtool -S "$d" 2>/dev/null | awk '$2 != 0 && /redirect/ { printf " %s%s", $1, $2 }')"
	done
}

measure() {
	local s=$1 r sz failed=0
	teardown
	if ! setup "$s" >/tmp/setup.log 2>&1; then
		notok "$s: set up ($(tr '\n' ' ' </tmp/setup.log | cut -c1-300))"
		return
	fi
	x "$DST" netserver -D >/dev/null 2>&1 &
	ns_pid=$!
	sleep 0.5
	if ! x "$SRC" ping -c 2 -W 2 "$DIP" >/dev/null; then
		notok "$s: $SRC reaches $DIP"
		return
	fi
	dbg "$s: set up at +$(($(date +%s) - t0)) s guest, +$(($(host_now) - h0)) s host"
	for r in $(seq 1 "$RUNS"); do
		np "$s" TCP_RR 1 "$r" "$T" -t TCP_RR -- -r 1,1 -o THROUGHPUT || failed=1
		np "$s" TCP_CRR 1 "$r" "$T" -t TCP_CRR -- -r 1,1 -o THROUGHPUT || failed=1
		np "$s" TCP_STREAM 16384 "$r" "$T" -t TCP_STREAM -- -m 16384 -o THROUGHPUT || failed=1
	done
	dbg "$s: main done at +$(($(date +%s) - t0)) s guest, +$(($(host_now) - h0)) s host"
	if [ "$SWEEP" = 1 ] && [[ " $sweep_want " == *" $s "* ]]; then
		for r in $(seq 1 "$SWEEPRUNS"); do
			for sz in $SIZES; do
				[ "$sz" = 1 ] || np "$s" TCP_RR "$sz" "$r" "$SWEEPT" -t TCP_RR -- -r "$sz,$sz" -o THROUGHPUT || failed=1
				[ "$sz" = 16384 ] || np "$s" TCP_STREAM "$sz" "$r" "$SWEEPT" -t TCP_STREAM -- -m "$sz" -o THROUGHPUT || failed=1
			done
		done
	fi
	evidence "$s"
	if [ "$failed" = 0 ]; then ok "$s"; else notok "$s: every netperf run gave a figure"; fi
}

all="host-to-host veth veth-bpf netkit netkit-bpf meta meta-bpf same-veth same-netkit same-meta same-meta-shortcut"
want=${SCEN//,/ }
want=${want:-$all}
sweep_want=${SWEEPSCEN//,/ }
sweep_want=${sweep_want:-$SWEEP_DEFAULT}
note "bench on $(uname -r): $T s per test, $RUNS runs, scenarios: $want"
note "sweep $SWEEP ($SWEEPRUNS x ${SWEEPT} s per point) on: $sweep_want"
note "guest up $(cut -d" " -f1 /proc/uptime) s at start, host clock $(host_now)"
for s in $want; do
	t0=$(date +%s) h0=$(host_now)
	case $s in
	netkit|same-netkit|netkit-bpf)
		if [ -z "$has_netkit" ]; then
			note "NA $s: kernel has no netkit"
			skip "$s" "no netkit in $(uname -r)"
		else
			measure "$s"
		fi ;;
	*) measure "$s" ;;
	esac
	note "$s took $(($(date +%s) - t0)) s of guest time, $(($(host_now) - h0)) s of host time"
done
teardown
echo "1..$tap_n"
[ "$tap_fail" -eq 0 ]

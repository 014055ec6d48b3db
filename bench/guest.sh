#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench` (bench/run.sh ships it as /usr/bin/guest.sh and
# boots it with --entry under icount). Builds the topology of issue 4 once
# per scenario (bench/topology.sh, shipped beside it) and measures it with
# netperf.
#
# Output: TAP for the harness ("ok N - bench: SCENARIO", and a check that
# the scenario's packets took its path, topology.sh's path_check), and one
# line per measurement: "# BENCH scenario,metric,size,run,value".
#
# Kernel command line (META_VM_APPEND): bench.time=S (per test, default 1),
# bench.runs=N (default 2), bench.sweep=0|1 (message-size sweep, default 1),
# bench.sweeptime=S (default 1), bench.sweepruns=N (default 1),
# bench.scenarios=a,b,... (default all), bench.sweepscenarios=a,b,...
# (the scenarios that also get the sweep, default SWEEP_DEFAULT below),
# bench.debug=1 (guest and host time of every netperf run),
# bench.big=0 (no BIG TCP rows; default 1).
#
# BIG TCP: the scenarios of BIG_SCEN also run TCP_STREAM with 256 KiB
# sends after their other tests, without (metric TCP_STREAM_NOBIG) and
# with (TCP_STREAM_BIG) gso_ipv4_max_size and gro_ipv4_max_size at
# BIG_SIZE on every device of the path, where the kernel has IPv4 BIG TCP
# (6.3+; the topology is IPv4 only); elsewhere a "# NA-BIG SCENARIO: why"
# line. A TAP line says whether packets over 64 KiB crossed the wire (its
# average transmitted packet).
#
# Under icount the guest's clocks count instructions; the CMOS RTC still
# follows the host's clock, so each scenario also reports the host (wall)
# seconds it took: that is what the run's duration is made of.

set -uo pipefail

T=1
RUNS=2
SWEEP=1
SWEEPT=1
SWEEPRUNS=1
SCEN=
SWEEP_DEFAULT="host-to-host veth veth-bpf netkit-bpf meta-bpf same-meta-shortcut"
SWEEPSCEN=
BENCH_DEBUG=
BIG=1
BIG_SCEN="veth meta-bpf netkit-bpf"
BIG_SIZE=196608
BIG_SEND=262144
LINKATTR=/meta/selftests/meta/linkattr
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	bench.time=*) T=${arg#*=} ;;
	bench.runs=*) RUNS=${arg#*=} ;;
	bench.sweep=*) SWEEP=${arg#*=} ;;
	bench.sweeptime=*) SWEEPT=${arg#*=} ;;
	bench.sweepruns=*) SWEEPRUNS=${arg#*=} ;;
	bench.scenarios=*) SCEN=${arg#*=} ;;
	bench.tcmode=*) export BENCH_TC_MODE=${arg#*=} ;;
	bench.sweepscenarios=*) SWEEPSCEN=${arg#*=} ;;
	bench.debug=*) BENCH_DEBUG=${arg#*=} ;;
	bench.big=*) BIG=${arg#*=} ;;
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

# shellcheck source=bench/topology.sh
. "$(dirname "$0")/topology.sh"

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

# big_why: why this kernel cannot run the BIG TCP rows ("" if it can).
big_why() {
	local maj min
	IFS=. read -r maj min _ <<<"$(uname -r)"
	min=${min%%[!0-9]*}
	if [ "$maj" -lt 5 ] || { [ "$maj" -eq 5 ] && [ "$min" -lt 19 ]; }; then
		echo "kernel $(uname -r) has no BIG TCP (IPv6 5.19+, IPv4 6.3+)"
	elif [ "$maj" -lt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -lt 3 ]; }; then
		echo "kernel $(uname -r) has no IPv4 BIG TCP (6.3+) and the topology is IPv4 only"
	elif [ ! -x "$LINKATTR" ]; then
		echo "no $LINKATTR to set gso_ipv4_max_size"
	fi
}

# big_stream SCENARIO METRIC: RUNS runs of TCP_STREAM with BIG_SEND-byte
# sends; sets wire_avg to the average packet the wire transmitted during
# them. What the client sends crosses the wire as wa's transmit: data, and
# the odd packet of netperf's control connection.
big_stream() {
	local r b p failed=0
	b=$(devstat nodeA wa tx_bytes) p=$(devstat nodeA wa tx_packets)
	for r in $(seq 1 "$RUNS"); do
		np "$1" "$2" "$BIG_SEND" "$r" "$T" -t TCP_STREAM -- -m "$BIG_SEND" -o THROUGHPUT || failed=1
	done
	wire_avg=$(( ($(devstat nodeA wa tx_bytes) - b) / ($(devstat nodeA wa tx_packets) - p + 1) ))
	return "$failed"
}

# big_runs SCENARIO: TCP_STREAM with BIG_SEND-byte sends, first as set up
# (metric TCP_STREAM_NOBIG: GSO at most 64 KiB), then with IPv4 BIG TCP on
# every device of the path (TCP_STREAM_BIG). The main rows' 16 KiB sends
# would not show it: with nothing queued below TCP (veth, netkit and meta
# free what they pass on at once) each send leaves as one packet, so the
# GSO limit never binds. The wire's average transmitted packet tells
# whether packets over 64 KiB crossed it.
big_runs() {
	local s=$1 why d failed=0
	why=$(big_why)
	if [ -n "$why" ]; then
		note "NA-BIG $s: $why"
		return 0
	fi
	big_stream "$s" TCP_STREAM_NOBIG || failed=1
	note "$s: without BIG TCP, $BIG_SEND B sends: the wire's average packet $wire_avg B"
	for d in podA:pA nodeA:hA nodeA:wa nodeB:wb nodeB:hB podB:pB; do
		x "${d%:*}" "$LINKATTR" set "${d#*:}" gso_ipv4_max_size "$BIG_SIZE" \
			gro_ipv4_max_size "$BIG_SIZE" >/dev/null ||
			{ notok "$s: BIG TCP sizes on ${d#*:}"; return 1; }
	done
	big_stream "$s" TCP_STREAM_BIG || failed=1
	note "$s: with BIG TCP, $BIG_SEND B sends: the wire's average packet $wire_avg B"
	if [ "$wire_avg" -gt 65535 ]; then
		ok "$s: BIG TCP: packets over 64 KiB on the wire (average $wire_avg B)"
	else
		notok "$s: BIG TCP: packets over 64 KiB on the wire: average $wire_avg B"
	fi
	return "$failed"
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
	# A first TCP_RR run right after set-up is slower than the next on
	# almost every scenario (sockets, neighbours and caches still cold):
	# run one, uncounted, so that run 1 and run 2 both measure the steady
	# state.
	x "$SRC" netperf -H "$DIP" -l "$T" -P 0 -t TCP_RR -- -r 1,1 >/dev/null 2>&1 ||
		note "$s: warm-up run failed"
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
	[ "$BIG" != 1 ] || [[ " $BIG_SCEN " != *" $s "* ]] || big_runs "$s" || failed=1
	evidence "$s"
	if [ "$failed" = 0 ]; then ok "$s"; else notok "$s: every netperf run gave a figure"; fi
	# The counters behind the figures must show the scenario's path.
	if path_check "$s"; then
		ok "$s: packets took the scenario's path ($path_seen)"
	else
		notok "$s: packets took the scenario's path: $path_why ($path_seen)"
	fi
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

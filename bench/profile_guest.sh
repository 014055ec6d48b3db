#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of bench/profile.sh: builds the topology of bench/guest.sh for
# a few scenarios and measures, per scenario, netperf TCP_RR (1 B):
#
# 1. exact instruction counts: the run is bracketed by prof_mark start/stop,
#    marker instructions on which the host's QEMU plugin (icount_prof.so)
#    snapshots and dumps its per-translation-block execution counts;
# 2. optionally (prof.perf=1) perf record -a -g -e cpu-clock, for call
#    chains. Under icount a fixed sampling period can lock onto the
#    deterministic request/response loop (the sample handler's own cost
#    shifts the next sample), so these profiles are biased; the counts of
#    1. are what the report uses.
#
# The topology is bench/topology.sh's, as for bench/guest.sh.
#
# Output (TAP for the harness, the rest for bench/profile.sh):
#   # PROF rate SCENARIO BASE COUNTED [PERF]   trans/s: warm-up run, the
#                                               counted run, under perf
#   # PROF time SCENARIO SECONDS                counted run (guest time)
#   # PROF period NS                            perf sampling period
#   ### PROF syms NAME begin/end   "#B " + base64 of gzip of /proc/kallsyms lines
#                                  (all once, then the module and BPF ones)
#   ### PROF folded SCENARIO begin/end  "#B " + base64 of gzip of perf stacks folded
#                                  in the guest, "count comm;leaf;...;root"
#
# Kernel command line: prof.time=S (counted and perf runs, default 5),
# prof.perf=0|1 (default 0), prof.period=NS (default 250007),
# prof.scenarios=a,b (default host-to-host,veth,meta-bpf).

set -uo pipefail

T=5
PERIOD=250007
SCEN=host-to-host,veth,meta-bpf
PERF=0
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	prof.time=*) T=${arg#*=} ;;
	prof.period=*) PERIOD=${arg#*=} ;;
	prof.scenarios=*) SCEN=${arg#*=} ;;
	prof.perf=*) PERF=${arg#*=} ;;
	prof.tcmode=*) export BENCH_TC_MODE=${arg#*=} ;;
	esac
done

tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - profile: $*"; }
notok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - profile: $*"; }
note() { echo "# $*"; }

modprobe meta || { notok "modprobe meta"; exit 1; }
modprobe sch_ingress 2>/dev/null
modprobe cls_bpf 2>/dev/null
# Symbols for perf: kernel, modules and JITed BPF programs.
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
echo 1 > /proc/sys/net/core/bpf_jit_kallsyms 2>/dev/null
# The sample rate must not be lowered behind our back mid-run.
echo 0 > /proc/sys/kernel/perf_cpu_time_max_percent 2>/dev/null

# shellcheck source=bench/topology.sh
. "$(dirname "$0")/topology.sh"

# --- profiling ----------------------------------------------------------------

# rr SECONDS: TCP_RR 1 byte, trans/s on stdout.
rr() {
	x "$SRC" netperf -H "$DIP" -l "$1" -P 0 -t TCP_RR -- -r 1,1 -o THROUGHPUT 2>&1 |
		tail -n 1 | tr -d ' \r'
}

# fold: perf script output (one header line "comm ...", then "ip sym+off
# (dso)" frames leaf first, blank line between samples) to
# "count comm;leaf;...;root".
fold() {
	awk '
	function flush() { if (st != "") n[st]++; st = "" }
	/^$/ { flush(); next }
	/^[^ \t]/ { flush(); st = $1; next }
	{
		s = $2; sub(/\+0x[0-9a-f]+$/, "", s)
		d = $NF; gsub(/[()]/, "", d); sub(/.*\//, "", d)
		if (s == "[unknown]" || s == "" || s ~ /^\(/)
			s = "?"
		# Kernel frames plain, others (modules, BPF, user) "sym@dso".
		if (d != "[kernel.kallsyms]")
			s = s "@" d
		st = st ";" s
	}
	END { flush(); for (k in n) print n[k], k }'
}

# blob NAME: stdin gzipped and base64-encoded between markers.
blob() {
	echo "### PROF $1 begin"
	# "#B ": no base64 line may look like TAP to the harness.
	gzip -9 | base64 | sed 's/^/#B /'
	echo "### PROF $1 end"
}

uptime_s() { cut -d" " -f1 /proc/uptime; }

profile() {
	local s=$1 base counted perf='' t0 t1 data=/tmp/perf-$1.data
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
	base=$(rr 2)
	t0=$(uptime_s)
	prof_mark start
	counted=$(rr "$T")
	prof_mark stop
	t1=$(uptime_s)
	if [ "$PERF" = 1 ]; then
		perf record -q -a -g -e cpu-clock -c "$PERIOD" -o "$data" -- \
			ip netns exec "$SRC" netperf -H "$DIP" -l "$T" -P 0 -t TCP_RR -- -r 1,1 -o THROUGHPUT \
			>/tmp/perf-rr.out 2>/tmp/perf-rec.err
		perf=$(tail -n 1 /tmp/perf-rr.out | tr -d ' \r')
	fi
	case $base$counted$perf in
	*[!0-9.]*|'') notok "$s: netperf ($base / $counted / $perf)"; return ;;
	esac
	echo "# PROF rate $s $base $counted $perf"
	echo "# PROF time $s $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	grep '\[' /proc/kallsyms | blob "syms $s"
	if [ "$PERF" = 1 ]; then
		echo "# PROF period $PERIOD"
		perf script -i "$data" -F comm,ip,sym,dso 2>/tmp/perf-script.err | fold | blob "folded $s"
		rm -f "$data"
	fi
	ok "$s: $base trans/s, $counted counted${perf:+, $perf under perf}"
}

note "profile on $(uname -r): $T s per scenario, perf $PERF (period $PERIOD ns), scenarios: $SCEN"
grep -v '\[' /proc/kallsyms | blob "syms kernel"
for s in ${SCEN//,/ }; do
	profile "$s"
done
teardown
echo "1..$tap_n"
[ "$tap_fail" -eq 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: bench/run.sh [--kernels "7.2 6.12 6.1 5.10"] [--jobs N] [--time S]
#                     [--runs N] [--sweep 0|1] [--sweep-time S]
#                     [--sweep-runs N] [--sweep-scenarios LIST]
#                     [--scenarios LIST] [--out DIR]
#
# meta against veth, veth + BPF host routing, netkit and host-to-host, as
# issue 4 asks: boots each kernel under QEMU with icount (guest time counts
# instructions, so figures repeat), runs bench/guest.sh there (netperf
# TCP_RR, TCP_CRR, TCP_STREAM, a message-size sweep, and TCP_STREAM with
# BIG TCP on veth, netkit-bpf and meta-bpf where the kernel has it) and writes
#   bench/results/<kernel>.csv   scenario,metric,size,run,value
#   bench/results/<kernel>.md    table with ratios to host-to-host and veth
#   bench/results/<kernel>-*.png charts (gnuplot)
#   bench/results/summary.md     key figures and targets of every kernel
#
#   --kernels LIST     kernels of selftests/vm/kernels (default: $BENCH_KERNELS,
#                      else all of them)
#   --jobs N           VMs at a time (default: $BENCH_JOBS, else the number
#                      of CPUs, at most 2). icount makes the figures
#                      independent of the host's load, so parallel VMs
#                      only change the wall time
#   --time S           seconds per TCP_RR/TCP_CRR/TCP_STREAM test (default 3)
#   --runs N           runs of each scenario per boot (default 2)
#   --sweep 0|1        message-size sweep 1 B..16 KiB (default 1)
#   --sweep-time S     seconds per sweep point (default 1)
#   --sweep-runs N     runs of the sweep per boot (default 1)
#   --sweep-scenarios LIST  scenarios that get the sweep (default:
#                      host-to-host,veth,veth-bpf,netkit-bpf,meta-bpf,
#                      same-meta-shortcut)
#   --scenarios LIST   comma-separated subset of: host-to-host veth veth-bpf
#                      netkit netkit-bpf meta meta-bpf same-veth same-netkit
#                      same-meta same-meta-shortcut (default: all)
#   --out DIR          results directory (default: bench/results)
#
# netperf comes from Debian's non-free component through a private apt
# configuration under $META_CACHE/bench (built from the machine's own
# sources; the machine's configuration is not touched).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../selftests/vm/lib.sh
. "$BENCH_DIR/../selftests/vm/lib.sh"

kernels=${BENCH_KERNELS:-}
jobs=${BENCH_JOBS:-}
t=3
runs=2
sweep=1
sweept=1
sweepruns=1
scenarios=
sweepscen=
out=$BENCH_DIR/results
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--sweep-scenarios) sweepscen=$2; shift 2 ;;
	--time) t=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--sweep) sweep=$2; shift 2 ;;
	--sweep-time) sweept=$2; shift 2 ;;
	--sweep-runs) sweepruns=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '4,41s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
# The slowest first (newest kernels have all 11 scenarios), so that the
# short ones fill the other lane at the end.
[ -n "$kernels" ] || kernels=$(kernel_names | sort -rV | xargs)
for k in $kernels; do
	kernel_row "$k"
done
if [ -z "$jobs" ]; then
	jobs=$(nproc)
	[ "$jobs" -le 2 ] || jobs=2
fi
[ "$jobs" -ge 1 ] 2>/dev/null || die "--jobs must be a number >= 1"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# --- netperf (non-free) and gnuplot -----------------------------------------

# fetch_netperf: unpack Debian's netperf into $META_CACHE/bench/netperf.
fetch_netperf()
{
	local root=$META_CACHE/bench/netperf dir deb

	[ -x "$root/usr/bin/netperf" ] && [ -x "$root/usr/bin/netserver" ] && return 0
	apt_private_setup bookworm "main non-free"
	dir=$APT_PRIVATE_DIR
	mkdir -p "$dir/debs" "${root%/*}"
	log "fetching netperf from bookworm non-free (private apt configuration)"
	apt-get "${APT_OPTS[@]}" -q update >&2 || die "apt-get update (bench) failed"
	rm -f "$dir"/debs/*.deb
	! id _apt >/dev/null 2>&1 || chown _apt "$dir/debs"
	(cd "$dir/debs" && apt-get "${APT_OPTS[@]}" -q download netperf >&2) ||
		die "cannot download netperf"
	rm -rf "$root.new"
	for deb in "$dir"/debs/netperf_*.deb; do
		dpkg-deb -x "$deb" "$root.new"
	done
	rm -rf "$root"
	mv "$root.new" "$root"
}

fetch_netperf
if ! command -v gnuplot >/dev/null; then
	log "installing gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >&2 ||
		log "warning: no gnuplot, no charts"
fi

# nk_attach: netkit + BPF needs bpf_link attach types libbpf 1.1 lacks.
mkdir -p "$META_BUILD/bench"
# shellcheck disable=SC2046 # pkg-config prints several words
cc -O2 -Wall -o "$META_BUILD/bench/nk_attach" "$BENCH_DIR/nk_attach.c" \
	$(pkg-config --cflags --libs libbpf) || die "cannot build bench/nk_attach.c"

# --- one boot per kernel, up to $jobs at a time ---------------------------------

np=$META_CACHE/bench/netperf/usr/bin
append="bench.time=$t bench.runs=$runs bench.sweep=$sweep bench.sweeptime=$sweept bench.sweepruns=$sweepruns"
[ -z "$scenarios" ] || append+=" bench.scenarios=$scenarios"
[ -z "$sweepscen" ] || append+=" bench.sweepscenarios=$sweepscen"
# Guest seconds per scenario: (3 metrics x runs + a TCP_RR warm-up) x
# (t + ~1 s of netperf's own), set-up, and 14 sweep points; the VM's wall
# time is several times that under TCG, more with other VMs on the
# machine. Generous: a killed VM loses the kernel's figures.
nscen=11
[ -z "$scenarios" ] || nscen=$(tr ',' '\n' <<<"$scenarios" | grep -c .)
nsweep=6
[ -z "$sweepscen" ] || nsweep=$(tr ',' '\n' <<<"$sweepscen" | grep -c .)
[ "$nsweep" -le "$nscen" ] || nsweep=$nscen
# BIG TCP: up to 3 scenarios run TCP_STREAM 2 x runs times more.
guest_secs=$(( 10 + nscen * ((runs * 3 + 1) * (t + 1) + 5) + nsweep * sweepruns * sweep * 14 * (sweept + 1) +
	3 * runs * 2 * (t + 1) ))
vm_timeout=$(( 600 + guest_secs * 15 ))

# bench_kernel K: one harness run (build for K, boot, guest.sh) into
# $META_BUILD/bench/K.log.
bench_kernel()
{
	local k=$1 log=$META_BUILD/bench/$1.log
	# The CPU time (builds, QEMU) tells what the run costs on an idle
	# machine; the wall time depends on who else runs there.
	local TIMEFORMAT="# bench: $k: host CPU %U s user + %S s system, %R s wall"

	{ time META_VM_ICOUNT=1 META_VM_PODMAN=0 \
	META_VM_EXTRA_BINS="$np/netperf $np/netserver $BENCH_DIR/guest.sh $BENCH_DIR/topology.sh $META_BUILD/bench/nk_attach" \
	META_VM_APPEND="${META_VM_APPEND:-} $append" \
	META_VM_TIMEOUT=$vm_timeout \
		"$META_VM_DIR/run.sh" --kernels "$k" --entry /usr/bin/guest.sh \
		> "$log" 2>&1; } 2>> "$log" || true
}

# report_kernel K: K's figures from its guest's output into $out, as soon
# as its VM is done (a long run keeps what it has measured). Prints what
# happened; fails when K has no figures or a scenario failed.
report_kernel()
{
	local k=$1 log=$META_BUILD/bench/$1.log kver res rc=0

	grep -h -e '^# [^ ]*: VM ran ' -e '^# bench: [^ ]*: host CPU ' "$log" |
		sed 's/^# \(bench: \)\{0,1\}[^ ]*: /# bench: '"$k"': /' || true
	kver=$(sed -n 's/^# kernel \([^ ,]*\)$/\1/p' "$log" | tail -n 1)
	# The harness keeps each VM's logs in a job directory under the
	# kernel's (suite-1-of-1 for the one suite VM of --entry runs).
	res=$META_BUILD/vm/$kver/suite-1-of-1/results.clean
	[ -s "$res" ] || res=$META_BUILD/vm/$kver/results.clean
	if [ -z "$kver" ] || [ ! -s "$res" ]; then
		echo "# bench: $k: no results (see $log)"
		tail -n 20 "$log" | sed 's/^/#   /'
		return 1
	fi
	{
		echo "scenario,metric,size,run,value"
		sed -n 's/^# BENCH //p' "$res"
	} > "$out/$k.csv"
	grep -E '^(not ok|ok .*SKIP|# NA[ -]|# .*(failed|tx [0-9]|average packet))' "$res" > "$out/$k.notes" || true
	python3 "$BENCH_DIR/report.py" --kernel "$k" --kver "$kver" --csv "$out/$k.csv" \
		--notes "$out/$k.notes" --md "$out/$k.md" --png-prefix "$out/$k" ||
		{ echo "# bench: $k: report failed"; rc=1; }
	rm -f "$out/$k.notes"
	if grep -q '^not ok' "$log"; then
		echo "# bench: $k: some scenarios failed:"
		grep '^not ok' "$log" | sed 's/^/#   /'
		rc=1
	fi
	echo "# bench: $k: $(($(wc -l < "$out/$k.csv") - 1)) figures -> $out/$k.csv, $out/$k.md"
	return "$rc"
}

# The harness's host steps (ip, the BPF objects, test helpers) and each
# kernel's build share $META_BUILD: a kernel's harness run starts only when
# the previous one is booting (its log says so) or done, so those steps
# never overlap; the VMs themselves do, up to $jobs of them.
t_start=$SECONDS
running=()
for k in $kernels; do
	while [ "${#running[@]}" -ge "$jobs" ]; do
		wait -n "${running[@]}" || true
		alive=()
		for p in "${running[@]}"; do
			! kill -0 "$p" 2>/dev/null || alive+=("$p")
		done
		running=("${alive[@]}")
	done
	rm -f "$META_BUILD/bench/$k.log" "$META_BUILD/bench/$k.report"
	echo "# bench: $k: starting at +$((SECONDS - t_start)) s (VM timeout ${vm_timeout}s, log $META_BUILD/bench/$k.log)"
	{
		bench_kernel "$k"
		if report_kernel "$k" > "$META_BUILD/bench/$k.report" 2>&1; then
			echo "# bench: $k: done at +$((SECONDS - t_start)) s"
		else
			echo "# bench: $k: done at +$((SECONDS - t_start)) s, with failures"
			echo failed >> "$META_BUILD/bench/$k.report"
		fi
	} &
	running+=("$!")
	until grep -q '^# [^ ]*: booting ' "$META_BUILD/bench/$k.log" 2>/dev/null ||
		! kill -0 "${running[-1]}" 2>/dev/null; do
		sleep 2
	done
done

rc=0
done_kernels=()
wait
for k in $kernels; do
	sed '/^failed$/d' "$META_BUILD/bench/$k.report"
	! grep -qx failed "$META_BUILD/bench/$k.report" || rc=1
	[ ! -s "$out/$k.csv" ] || done_kernels+=("$k")
done
if [ "${#done_kernels[@]}" -gt 0 ]; then
	# The summary covers every kernel with a CSV in $out, this run's and
	# earlier ones (BENCH_KERNELS=6.12 refreshes one kernel only).
	python3 "$BENCH_DIR/report.py" --summary "$out/summary.md" --results "$out" ||
		{ echo "# bench: summary failed"; rc=1; }
	cat "$out/summary.md"
fi
echo "# bench: $((SECONDS - t_start)) s in all"
exit "$rc"

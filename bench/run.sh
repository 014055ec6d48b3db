#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: bench/run.sh [--kernels "6.12 6.1"] [--time S] [--runs N]
#                     [--sweep 0|1] [--sweep-time S] [--scenarios a,b,...]
#
# meta against veth, veth + BPF host routing, netkit and host-to-host, as
# issue 4 asks: boots each kernel under QEMU with icount (guest time counts
# instructions, so figures repeat), runs bench/guest.sh there (netperf
# TCP_RR, TCP_CRR, TCP_STREAM, and a message-size sweep) and writes
#   bench/results/<kernel>.csv   scenario,metric,size,run,value
#   bench/results/<kernel>.md    table with ratios to host-to-host and veth
#   bench/results/<kernel>-*.png charts (gnuplot)
#
#   --kernels LIST     kernels of selftests/vm/kernels (default: $BENCH_KERNELS,
#                      else "6.12 6.1")
#   --time S           seconds per TCP_RR/TCP_CRR/TCP_STREAM test (default 3)
#   --runs N           runs of each scenario per boot (default 2)
#   --sweep 0|1        message-size sweep 1 B..16 KiB (default 1)
#   --sweep-time S     seconds per sweep point (default 1)
#   --sweep-runs N     runs of the sweep per boot (default 1)
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

kernels=${BENCH_KERNELS:-"6.12 6.1"}
t=3
runs=2
sweep=1
sweept=1
sweepruns=1
scenarios=
out=$BENCH_DIR/results
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--time) t=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--sweep) sweep=$2; shift 2 ;;
	--sweep-time) sweept=$2; shift 2 ;;
	--sweep-runs) sweepruns=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '4,30s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
for k in $kernels; do
	kernel_row "$k"
done
mkdir -p "$out"

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

# --- one boot per kernel -------------------------------------------------------

np=$META_CACHE/bench/netperf/usr/bin
append="bench.time=$t bench.runs=$runs bench.sweep=$sweep bench.sweeptime=$sweept bench.sweepruns=$sweepruns"
[ -z "$scenarios" ] || append+=" bench.scenarios=$scenarios"
# Guest time per scenario: 3 metrics x runs x t, the sweep 14 x runs x
# sweept, plus set-up; icount runs at roughly real time here. Generous.
nscen=11
[ -z "$scenarios" ] || nscen=$(tr ',' '\n' <<<"$scenarios" | grep -c .)
vm_timeout=$(( 300 + nscen * runs * (3 * t + 5) * 4 + nscen * sweepruns * sweep * 14 * (sweept + 1) * 4 ))

rc=0
for k in $kernels; do
	log="$META_BUILD/bench/$k.log"
	echo "# bench: $k (VM timeout ${vm_timeout}s, log $log)"
	META_VM_ICOUNT=1 \
	META_VM_EXTRA_BINS="$np/netperf $np/netserver $BENCH_DIR/guest.sh $META_BUILD/bench/nk_attach" \
	META_VM_APPEND="${META_VM_APPEND:-} $append" \
	META_VM_TIMEOUT=$vm_timeout \
		"$META_VM_DIR/run.sh" --kernels "$k" --entry /usr/bin/guest.sh > "$log" 2>&1 || true
	kver=$(sed -n 's/^# kernel \([^ ,]*\)$/\1/p' "$log" | tail -n 1)
	res=$META_BUILD/vm/$kver/results.clean
	if [ -z "$kver" ] || [ ! -s "$res" ]; then
		echo "# bench: $k: no results (see $log)"
		tail -n 20 "$log" | sed 's/^/#   /'
		rc=1
		continue
	fi
	{
		echo "scenario,metric,size,run,value"
		sed -n 's/^# BENCH //p' "$res"
	} > "$out/$k.csv"
	grep -E '^(not ok|ok .*SKIP|# NA |# .*(failed|tx [0-9]))' "$res" > "$out/$k.notes" || true
	python3 "$BENCH_DIR/report.py" --kernel "$k" --kver "$kver" --csv "$out/$k.csv" \
		--notes "$out/$k.notes" --md "$out/$k.md" --png-prefix "$out/$k" ||
		{ echo "# bench: $k: report failed"; rc=1; }
	rm -f "$out/$k.notes"
	grep -q '^not ok' "$log" && { echo "# bench: $k: some scenarios failed:"; grep '^not ok' "$log" | sed 's/^/#   /'; }
	echo "# bench: $k: $(($(wc -l < "$out/$k.csv") - 1)) figures -> $out/$k.csv, $out/$k.md"
	[ ! -f "$out/$k.md" ] || cat "$out/$k.md"
done
exit "$rc"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: bench/profile.sh [--kernel 6.12] [--time S] [--scenarios a,b,...]
#                         [--perf 0|1] [--period NS] [--out FILE]
#                         [--analyze-only]
#
# Instruction-level attribution for issue 4: where the instructions of one
# netperf TCP_RR transaction go, per scenario, and what a pod adds to
# host-to-host. Boots one kernel under QEMU icount with a TCG plugin
# (icount_prof.so, built here) that counts every executed guest
# instruction per translation block between two marker instructions; the
# guest (bench/profile_guest.sh) brackets one TCP_RR run per scenario with
# them and sends /proc/kallsyms along, so blocks map to functions.
# Exact counts, no sampling: under icount a fixed-period cpu-clock sampler
# locks onto the deterministic request/response loop and its profiles are
# biased (perf is still available with --perf 1, for call chains).
#
#   --kernel K        kernel of selftests/vm/kernels (default 6.12)
#   --time S          seconds of the counted TCP_RR run (default 5)
#   --scenarios LIST  host-to-host veth veth-bpf netkit netkit-bpf meta
#                     meta-bpf (default host-to-host,veth,meta-bpf;
#                     host-to-host must be in; netkit needs 6.7+)
#   --perf 0|1        also perf record -a -g each scenario (default 0;
#                     needs Debian's linux-perf on the host); the folded
#                     stacks land in $META_BUILD/profile/<kernel>/*.folded,
#                     not in the report (biased under icount, see above)
#   --period NS       perf cpu-clock period (default 250007)
#   --tc-mode M       how the NIC-side programs (nic_ingress; host_routing
#                     in veth-bpf) go on tc ingress: auto (default: tcx on
#                     6.6+, else clsact + cls_bpf), tcx or clsact
#                     (metactl tc --tc-mode)
#   --out FILE        report (default bench/results/profile-<kernel>.md)
#   --analyze-only    rebuild the report from the last run's data
#                     ($META_BUILD/profile/<kernel>)
#
# Needs netperf from bench/run.sh's cache and QEMU with plugin support
# (Debian's qemu-system-x86 has it; the plugin API header is not packaged,
# so the plugin declares the few functions it uses).

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../selftests/vm/lib.sh
. "$BENCH_DIR/../selftests/vm/lib.sh"

k=6.12
t=5
scenarios=host-to-host,veth,meta-bpf
perf=0
period=250007
out=
analyze_only=
tcmode=auto
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) k=$2; shift 2 ;;
	--time) t=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--perf) perf=$2; shift 2 ;;
	--period) period=$2; shift 2 ;;
	--tc-mode) tcmode=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--analyze-only) analyze_only=1; shift ;;
	-h|--help) sed -n '4,35s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
kernel_row "$k"
out=${out:-$BENCH_DIR/results/profile-$k.md}
pdir=$META_BUILD/profile/$k
mkdir -p "$pdir"

# --- the plugin, the marker program, the report (bench/profile/) --------------

build_tools()
{
	cc -O2 -Wall -Wextra -Wno-unused-parameter -shared -fPIC -o "$pdir/icount_prof.so" \
		"$BENCH_DIR/profile/icount_prof.c" || die "cannot build the QEMU plugin"
	cc -O2 -Wall -Wextra -o "$pdir/prof_mark" "$BENCH_DIR/profile/prof_mark.c" ||
		die "cannot build prof_mark"
}

report()
{
	python3 "$BENCH_DIR/profile/report.py" --dir "$pdir" --kernel "$k" --kver "$(cat "$pdir/kver")" --out "$out"
}

# unblob NAME FILE: a "### PROF NAME begin/end" blob of the guest's output.
unblob()
{
	tr -d '\r' < "$res" | sed -n "/^### PROF $1 begin\$/,/^### PROF $1 end\$/p" |
		sed -n 's/^#B //p' | base64 -d | gunzip > "$2"
}

if [ -z "$analyze_only" ]; then
	np=$META_CACHE/bench/netperf/usr/bin
	[ -x "$np/netperf" ] || die "no netperf in $np (run bench/run.sh once)"
	bins="$np/netperf $np/netserver $BENCH_DIR/profile_guest.sh $BENCH_DIR/topology.sh $pdir/prof_mark"
	if [ "$perf" = 1 ]; then
		bins+=" $(command -v perf)" || die "no perf on the host (apt-get install linux-perf)"
	fi
	build_tools
	case ,$scenarios, in
	*,netkit*)
		# As bench/run.sh: netkit + BPF needs bpf_link attach types
		# libbpf 1.1 lacks.
		# shellcheck disable=SC2046 # pkg-config prints several words
		cc -O2 -Wall -o "$pdir/nk_attach" "$BENCH_DIR/nk_attach.c" \
			$(pkg-config --cflags --libs libbpf) || die "cannot build bench/nk_attach.c"
		bins+=" $pdir/nk_attach" ;;
	esac
	# run.sh starts qemu-system-x86_64 by name: a wrapper first in PATH
	# adds the plugin.
	qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64"
	mkdir -p "$pdir/bin"
	cat > "$pdir/bin/qemu-system-x86_64" <<EOW
#!/bin/sh
exec "$qemu" -plugin "$pdir/icount_prof.so,out=$pdir/counts" "\$@"
EOW
	chmod +x "$pdir/bin/qemu-system-x86_64"
	rm -f "$pdir/counts" "$pdir"/syms-* "$pdir"/*.folded
	nscen=$(tr ',' '\n' <<<"$scenarios" | grep -c .)
	log=$pdir/vm.log
	append="prof.time=$t prof.perf=$perf prof.period=$period prof.scenarios=$scenarios prof.tcmode=$tcmode"
	echo "$append" > "$pdir/append"
	echo "# profile: $k, $scenarios, ${t}s each (log $log)"
	PATH="$pdir/bin:$PATH" \
	META_VM_ICOUNT=1 META_VM_PODMAN=0 \
	META_VM_EXTRA_BINS="$bins" \
	META_VM_APPEND="${META_VM_APPEND:-} $append" \
	META_VM_TIMEOUT=$((400 + nscen * (t + 10) * (6 + 12 * perf))) \
		"$META_VM_DIR/run.sh" --kernels "$k" --entry /usr/bin/profile_guest.sh > "$log" 2>&1 || true
	kver=$(sed -n 's/^# kernel \([^ ,]*\)$/\1/p' "$log" | tail -n 1)
	# The harness keeps each VM's logs in a job directory under the
	# kernel's (suite-1-of-1 for the one VM of an --entry run).
	res=$META_BUILD/vm/$kver/suite-1-of-1/results.log
	[ -s "$res" ] || res=$META_BUILD/vm/$kver/results.log
	if [ -z "$kver" ] || [ ! -s "$res" ]; then
		tail -n 20 "$log"
		die "no results (see $log)"
	fi
	echo "$kver" > "$pdir/kver"
	tr -d '\r' < "$res" | grep '^# PROF \|^ok\|^not ok' > "$pdir/meta.txt" || true
	unblob "syms kernel" "$pdir/syms-kernel" || die "no kernel symbols in $res"
	for s in ${scenarios//,/ }; do
		unblob "syms $s" "$pdir/syms-$s" || echo "# profile: $s: no symbols"
		[ "$perf" != 1 ] || unblob "folded $s" "$pdir/$s.folded" || echo "# profile: $s: no perf stacks"
	done
	cat "$pdir/meta.txt"
	[ -s "$pdir/counts" ] || die "the plugin wrote no counts ($pdir/counts)"
fi

report
echo "# profile: report in $out"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of bench/cni.sh (shipped as /usr/bin/cni_guest.sh, booted with
# --entry under icount): pod ADD and DEL latency of the meta CNI plugin
# against the reference ptp plugin, both with the same host-local IPAM
# configuration (own subnet and dataDir each).
#
# "host-local" as a plugin: the IPAM alone, exec'd the same way with the
# same configuration, the share of every sample both plugins pay for.
#
# Per plugin: one untimed warm-up pod, then N pods ADDed one after the
# other (each into a fresh netns, the earlier pods staying up, as on a
# node filling up), then DELed in the same order. Each sample is the time
# around one exec of the plugin, as a runtime would exec it (the plugin
# execs host-local itself), taken from bash's $EPOCHREALTIME (no fork for
# the timer). Under icount the guest clock counts instructions.
#
# Output: TAP for the harness, one "# BENCH cni,PLUGIN,OP,I,USEC" line per
# sample (OP add|del, and version for host-local; I from 1).
#
# Kernel command line (META_VM_APPEND): bench.cni.pods=N (default 50),
# bench.cni.plugins=a,b (default ptp,meta,host-local).

set -uo pipefail

PODS=50
PLUGINS=ptp,meta,host-local
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	bench.cni.pods=*) PODS=${arg#*=} ;;
	bench.cni.plugins=*) PLUGINS=${arg#*=} ;;
	esac
done

BIN=/opt/cni/bin
WORK=/run/bench-cni

tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - cni bench: $*"; }
notok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - cni bench: $*"; }

# now_us: the guest clock in microseconds, without a fork.
now_us() {
	local t=$EPOCHREALTIME
	echo $(( ${t%.*} * 1000000 + 10#${t#*.} ))
}

# cni PLUGIN OP I: run PLUGIN's OP (ADD|DEL) for pod I; sets $us to the
# time the exec took and returns its status. Output goes to $WORK/out.
cni() {
	local p=$1 op=$2 i=$3 t0 t1 rc t

	t=$EPOCHREALTIME
	t0=$(( ${t%.*} * 1000000 + 10#${t#*.} ))
	CNI_COMMAND=$op CNI_CONTAINERID=bench-$p-$i CNI_NETNS=/run/netns/bench-$p-$i \
		CNI_IFNAME=eth0 CNI_PATH=$BIN "$BIN/$p" < "$WORK/$p.conf" > "$WORK/out" 2>&1
	rc=$?
	t=$EPOCHREALTIME
	t1=$(( ${t%.*} * 1000000 + 10#${t#*.} ))
	us=$((t1 - t0))
	return "$rc"
}

echo "TAP version 13"
[ -n "${EPOCHREALTIME:-}" ] || { notok "bash has \$EPOCHREALTIME"; echo "1..$tap_n"; exit 1; }
modprobe meta || notok "modprobe meta"
mkdir -p "$WORK"
echo "# cni bench: $PODS pods per plugin, plugins $PLUGINS, kernel $(uname -r)"

n=0
for p in ${PLUGINS//,/ }; do
	n=$((n + 1))
	if [ ! -x "$BIN/$p" ] || [ ! -x "$BIN/host-local" ]; then
		notok "$p: $BIN/$p and $BIN/host-local exist"
		continue
	fi
	# The same configuration for every plugin but its type, subnet and
	# IPAM state directory. 1.0.0: the newest version Debian's ptp knows.
	cat > "$WORK/$p.conf" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "bench-$p",
  "type": "$p",
  "ipam": {
    "type": "host-local",
    "ranges": [[{ "subnet": "10.$((200 + n)).0.0/16" }]],
    "routes": [{ "dst": "0.0.0.0/0" }],
    "dataDir": "$WORK/ipam-$p"
  }
}
EOT
	for i in $(seq 0 "$PODS"); do
		ip netns add "bench-$p-$i"
	done
	# Warm-up: the first exec pays for what later ones find ready
	# (page cache of the binaries, sysctls, the IPAM's directory).
	if ! cni "$p" ADD 0 || ! cni "$p" DEL 0; then
		notok "$p: warm-up ADD/DEL"
		sed 's/^/#   /' "$WORK/out"
		continue
	fi

	fails=0
	ops="ADD DEL"
	# VERSION of the IPAM: what meta's negotiation exec costs.
	[ "$p" != host-local ] || ops+=" VERSION"
	for op in $ops; do
		lop=${op,,}
		t_op=$(now_us)
		for i in $(seq 1 "$PODS"); do
			if cni "$p" "$op" "$i"; then
				echo "# BENCH cni,$p,$lop,$i,$us"
			else
				fails=$((fails + 1))
				[ "$fails" -gt 3 ] || { echo "# $p $op $i failed:"; sed 's/^/#   /' "$WORK/out"; }
			fi
			# Every pod is up after its ADD; every pod is gone after
			# its DEL.
			if [ "$op" = ADD ] && [ "$p" != host-local ] &&
				[ "$(ip -n "bench-$p-$i" -o -4 addr show dev eth0 | grep -c inet)" != 1 ]; then
				fails=$((fails + 1))
				[ "$fails" -gt 3 ] || echo "# $p pod $i has no address on eth0"
			fi
		done
		echo "# cni bench: $p $lop x$PODS took $(( ($(now_us) - t_op) / 1000 )) ms (with checks)"
		if [ "$op" = ADD ] && [ "$p" != host-local ]; then
			links=$(ip -o link show | grep -c "$( [ "$p" = meta ] && echo ': meta' || echo ': veth')" || true)
			echo "# cni bench: $p: $links host ends with $PODS pods up"
		fi
	done
	left=$(find "$WORK/ipam-$p/bench-$p" -name '10.*' 2>/dev/null | wc -l)
	[ "$left" = 0 ] || { fails=$((fails + 1)); echo "# $p: $left addresses still allocated after DEL"; }
	if [ "$fails" = 0 ]; then
		ok "$p: $PODS pods added and deleted"
	else
		notok "$p: $PODS pods added and deleted ($fails failures)"
	fi
	for i in $(seq 0 "$PODS"); do
		ip netns del "bench-$p-$i"
	done
done
echo "1..$tap_n"
[ "$tap_fail" = 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The meta CNI plugin under a runtime starting and stopping many pods at
# once: CNI_LOAD_N (50) ADDs in parallel, each its own container id and
# netns, with a peer program and meta_pods registration; all must succeed
# with distinct addresses and working pods. Then as many DELs in parallel,
# after which the node is as before: no meta device, address, route or
# meta_pods entry, nothing held by host-local. Prints the times taken.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

cni_need meta host-local

n=${CNI_LOAD_N:-50}
store=$(mktemp -d /tmp/cni-store.XXXXXX)
out=$(mktemp -d /tmp/cni-load.XXXXXX)
cni_at_exit "rm -rf '$store' '$out' '$CNI_LOG'"
conf=$(cni_conf loadnet meta 10.245.0.0/16 "$store" \
	".bpf = {peer: {object: \"$BPF_DIR/pass.bpf.o\"}, registerPods: true}")

# elapsed T0: seconds since T0 (an $EPOCHREALTIME), to the millisecond.
elapsed() {
	local us=$((${EPOCHREALTIME/./} - ${1/./}))
	printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

# fan_out CMD: `cni meta CMD` for every pod at once (DEL with its ADD's
# result as prevResult); output in $out/CMD<i>, exit status in
# $out/CMD<i>.rc. Prints how long it took.
fan_out() {
	local cmd=$1 i t0=$EPOCHREALTIME

	for i in $(seq "$n"); do
		(
			rc=0 c=$conf
			[ "$cmd" = ADD ] || c=$(cni_prev "$conf" "$(cat "$out/ADD$i")")
			cni meta "$cmd" "load$i" "${pods[i - 1]}" eth0 "$c" \
				>"$out/$cmd$i" || rc=$?
			echo "$rc" >"$out/$cmd$i.rc"
		) &
	done
	wait
	elapsed "$t0"
}

# failures CMD: "load<i>: exit RC: MSG" for every pod whose CMD failed.
failures() {
	local i rc

	for i in $(seq "$n"); do
		rc=$(cat "$out/$1$i.rc")
		[ "$rc" = 0 ] || echo "load$i: exit $rc: $(jqr "$(cat "$out/$1$i")" .msg)"
	done
}

# The pods' namespaces, made in parallel too (one by one, setup_ns takes
# most of a minute under TCG); lib.sh's cleanup deletes them.
t0=$EPOCHREALTIME
pods=()
for i in $(seq "$n"); do
	pods+=("cniload$i-$$")
done
_namespaces+=("${pods[@]}")
for p in "${pods[@]}"; do
	ip netns add "$p" &
done
wait
check_eq "$n pod namespaces made" "$n" "$(compgen -G "/run/netns/cniload*-$$" | grep -c . || true)"
echo "# $n namespaces took $(elapsed "$t0")s"
before=$(cni_state "$store" loadnet)
# Entries other scripts left in the shared pinned map are not this test's.
pods_before=$(cni_pods | cut -d' ' -f1)

# --- n ADDs at once
t_add=$(fan_out ADD)
echo "# $n parallel ADDs took ${t_add}s"
check_eq "$n parallel ADDs succeed" "" "$(failures ADD)"
# "load<i> ADDR/PREFIX" for every pod that got an address.
addrs=$(for i in $(seq "$n"); do
	jq -r --arg i "$i" '"load\($i) \(.ips[0].address // empty)"' "$out/ADD$i" 2>/dev/null
done)
ips=$(awk '{ sub(/\/.*/, "", $2); print $2 }' <<<"$addrs" | sort)
check_eq "$n distinct addresses" "$n" "$(sort -u <<<"$ips" | grep -c . || true)"
check_eq "$n meta devices on the node" "$n" "$(cni_meta_devs | grep -c . || true)"
check_eq "$n addresses held by host-local" "$ips" "$(cni_store "$store" loadnet | sort)"
check_eq "$n meta_pods entries" "$ips" "$(cni_pods | cut -d' ' -f1 |
	grep -vxF -f <(printf '%s\n' "$pods_before") | sort || true)"
check_eq "every pod has its eth0 with its address" "" "$(for i in $(seq "$n"); do
	a=$(awk -v c="load$i" '$1 == c { print $2 }' <<<"$addrs")
	have=$(ip -n "${pods[i - 1]}" -o addr show dev eth0 2>/dev/null)
	grep -qF " ${a:-none} " <<<"$have" || echo "load$i: no ${a:-address}"
done)"
# Every pod: reached from the node, and reaching the next pod (a ring, so
# each pod sends once and is reached once more). In parallel; a failure
# names the pair.
addr_of() { awk -v c="load$1" '$1 == c { sub(/\/.*/, "", $2); print $2 }' <<<"$addrs"; }
wait_s=$((2 * META_SLOW))
unreached=$(for i in $(seq "$n"); do
	a=$(addr_of "$i")
	j=$((i % n + 1))
	b=$(addr_of "$j")
	{ ping -c 1 -W "$wait_s" "${a:-0.0.0.0}" >/dev/null 2>&1 ||
		echo "node -> load$i (${a:-no address})"; } &
	{ in_ns "${pods[i - 1]}" ping -c 1 -W "$wait_s" "${b:-0.0.0.0}" >/dev/null 2>&1 ||
		echo "load$i -> load$j (${b:-no address})"; } &
done; wait)
check_eq "ping node -> each of the $n pods, and each pod -> the next" "" "$(sort <<<"$unreached" | xargs)"

# --- n DELs at once
t_del=$(fan_out DEL)
echo "# $n parallel DELs took ${t_del}s"
check_eq "$n parallel DELs succeed" "" "$(failures DEL)"
check_state "the node is as before the ADDs" "$before" "$store" loadnet
check_eq "no eth0 left in any pod" "" "$(for p in "${pods[@]}"; do
	link_exists "$p" eth0 && echo "$p"
done)"
# The namespaces go in parallel too, instead of one by one in lib.sh's
# cleanup.
t0=$EPOCHREALTIME
for p in "${pods[@]}"; do
	ip netns del "$p" &
done
wait
_namespaces=()
echo "# $n namespaces deleted in $(elapsed "$t0")s"
echo "# timing: $n ADDs ${t_add}s, $n DELs ${t_del}s"
echo "# 13-cni-load: ${SECONDS}s"

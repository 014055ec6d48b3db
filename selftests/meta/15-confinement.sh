#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Root inside a pod's user namespace (every capability there, none on the
# host) cannot use meta against the host: it cannot put a peer into a
# namespace it does not own, change policy or programs through its end,
# read the host's programs or verdict counters, or use its end as a
# bpf_redirect_peer() target into the host's receive path. Each refusal has
# a positive control: the same request works for whoever is entitled to it.
#
#   init netns (host)                pod netns, owned by a user namespace
#   h0 (primary) <------ meta ------> p0 (peer)        root = host uid 100000
#   xA -- veth -- xB (tc ingress:    vA -- veth -- vB (tc ingress:
#                 redirect_peer h0)                  redirect_peer p0)
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

USERNS_RUN=$PWD/userns_run
POD_UID=100000

# Debian's knob for unprivileged user namespaces, where the kernel has it.
if [ -w /proc/sys/kernel/unprivileged_userns_clone ]; then
	echo 1 > /proc/sys/kernel/unprivileged_userns_clone
fi

# The pod's namespaces live as long as this sleeper; ip netns names them.
"$USERNS_RUN" --uid "$POD_UID" -- sleep 1000 &
holder=$!
cni_at_exit "kill $holder 2>/dev/null"
for _ in $(seq 50); do
	[ "$(readlink "/proc/$holder/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
pod=pod-$$
ip netns attach "$pod" "$holder"
_namespaces+=("$pod")
pod_root() { "$USERNS_RUN" --join "$holder" -- "$@"; }

# check_absent DESC PATTERN TEXT: TEXT has no line matching PATTERN.
check_absent() {
	if grep -qE -- "$2" <<<"$3"; then
		fail "$1" "expected: nothing matching /$2/" "seen:     $3"
	else
		pass "$1"
	fi
}

check_eq "the pod's root is host uid $POD_UID" "$POD_UID" \
	"$(awk '/^Uid:/ { print $2 }' "/proc/$holder/status")"
# Refusals are matched on ip's own words: userns_run's setup errors (exit
# 125) must never pass for one.
eperm="RTNETLINK answers: Operation not permitted"

ip link add h0 type meta peer name p0 netns "$pod"
ip link set h0 up
ip -n "$pod" link set p0 up

# --- placing a peer ------------------------------------------------------------
# Before 7.0 meta refuses; 7.0 moved the same check into the core.
peer_msg="Error: meta: no CAP_NET_ADMIN in the peer's network namespace|$eperm"
check_fail "pod root: a peer in the host's namespace is refused" "$peer_msg" \
	pod_root ip link add e0 type meta peer name esc0 netns 1
check_cond "...and no device of the request exists (host, pod)" \
	bash -c "! ip link show dev esc0 && ! ip -n '$pod' link show dev e0"
# A fresh namespace vanishes with its last process, and with it a pair
# whose primary it holds: look at the host while it still lives.
out=/tmp/confine-esc.$$
"$USERNS_RUN" -- bash -c "ip link add e1 type meta peer name esc1 netns 1 >$out 2>&1
	echo rc=\$? >>$out; sleep 3" &
esc=$!
for _ in $(seq 50); do grep -q '^rc=' "$out" 2>/dev/null && break; sleep 0.1; done
check_cond "unprivileged user in a fresh user namespace: peer into the host refused" \
	grep -qE "$peer_msg" "$out"
check_cond "...and no esc1 appeared in the host" bash -c "! ip link show dev esc1"
wait "$esc" || true
rm -f "$out"
check_ok "pod root: a pair inside its own namespace is fine (control)" \
	pod_root ip link add e2 type meta peer name e3
check_cond "...both ends in the pod" bash -c "ip -n '$pod' link show dev e2 && ip -n '$pod' link show dev e3"
pod_root ip link del e2
check_fail "pod root: moving its end into the host is refused" "$eperm" \
	pod_root ip link set p0 netns 1
check_cond "...p0 is still in the pod" link_exists "$pod" p0

# --- policy and programs through the pod's end ----------------------------------------
check_fail "pod root: policy change through its end refused" \
	"Error: meta: settings can only be changed through the primary" pod_root ip link set p0 type meta forward
check_fail "pod root: attach through its end refused" \
	"only be changed through the primary" pod_root "$META_NL" --attach devnull:1 change p0
id=$(attach h0 pass --dir peer)
check_fail "pod root: detach through its end refused" \
	"only be changed through the primary" pod_root "$META_NL" --detach "1:$id" change p0
check_eq "...the host's program is still attached" "$id" "$(progs "" h0 peer)"
check_ok "host: policy change through the primary works (control)" \
	ip link set h0 type meta peer blackhole
check_eq "...and the pod sees the policy it is under" blackhole "$(link_attr "$pod" p0 peer_policy)"
ip link set h0 type meta peer forward

# --- what the pod can read --------------------------------------------------------
check_cond "host: ip -d link show h0 lists the peer programs (control)" \
	grep -q "peer_progs $id" <<<"$(ip -d link show dev h0)"
check_absent "pod root: ip -d link show p0 shows no program list" progs \
	"$(pod_root ip -d link show dev p0)"
check_absent "host root looking at p0: no program list either" progs \
	"$(ip -n "$pod" -d link show dev p0)"
check_cond "host: ethtool -S h0 shows verdict counters (control)" \
	grep -q peer_pass <<<"$(ethtool -S h0)"
check_fail "pod root: ethtool -S p0 shows no verdict counters" \
	"no stats available|not supported" pod_root ethtool -S p0
metactl detach h0 --dir peer --all

# --- the pod's end as a bpf_redirect_peer() target -----------------------------------
# A pod that may run tc programs redirects into p0; before the fix that
# entered h0's receive path in the host, skipping h0's programs and policy.
no_ipv6 "" h0
no_ipv6 "$pod" p0
ip -n "$pod" link add vA type veth peer name vB
ip link add xA type veth peer name xB
for ns in "$pod" ""; do
	for d in vA vB xA xB; do
		link_exists "$ns" "$d" || continue
		no_ipv6 "$ns" "$d"
		in_ns "$ns" ip link set "$d" up
	done
done
cfg=/sys/fs/bpf/meta/confine-$$
cni_at_exit "rm -rf $cfg-pod $cfg-host"
metactl -n "$pod" tc attach vB ingress "$BPF_DIR/redirect_peer.bpf.o" --pin-maps "$cfg-pod" >/dev/null
metactl -p "$cfg-pod" target set "$(ifindex "$pod" p0)"
metactl tc attach h0 ingress "$BPF_DIR/count.bpf.o" --pin-maps "$cfg-pod" >/dev/null
metactl tc attach xB ingress "$BPF_DIR/redirect_peer.bpf.o" --pin-maps "$cfg-host" >/dev/null
metactl -p "$cfg-host" target set "$(ifindex "" h0)"
metactl -n "$pod" tc attach p0 ingress "$BPF_DIR/count.bpf.o" --pin-maps "$cfg-host" >/dev/null

in_ns "" ./raw_send xA 10
sleep 0.3
check_eq "host: bpf_redirect_peer(h0) at a NIC's ingress enters the pod (control)" \
	10 "$(metactl -p "$cfg-host" count show)"
rx0=$(counter "" h0 rx_packets)
in_ns "$pod" ./raw_send vA 10
sleep 0.3
check_eq "pod: bpf_redirect_peer(p0) does not enter the host's h0" \
	0 "$(metactl -p "$cfg-pod" count show)"
check_eq "...h0 received nothing" "$rx0" "$(counter "" h0 rx_packets)"
ip link del xA

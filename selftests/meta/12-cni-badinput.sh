#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The meta CNI plugin refusing what it cannot do: malformed or incomplete
# configurations, unsupported versions, bad CNI_* variables, a missing
# netns, an interface name already taken, IPAM missing or failing, BPF
# objects that do not load, a name clash the kernel refuses, the module
# gone. Each answer carries the error code cni/README.md gives for it and a
# message, exits 1, and leaves nothing behind: no meta device, address,
# route or meta_pods entry on the node, nothing new in the pod, no address
# held by host-local.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

cni_need meta host-local

store=$(mktemp -d /tmp/cni-store.XXXXXX)
cni_at_exit "rm -rf '$store' '$CNI_LOG'"
setup_ns pod
conf=$(cni_conf badnet meta 10.244.8.0/24 "$store")

# pod_links NS: the devices of NS, by name.
pod_links() {
	[ -e "/run/netns/$1" ] || return 0
	ip -n "$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | xargs
}

# refused DESC CODE COMMAND CONTAINERID NETNS IFNAME CONFIG: the plugin
# must fail with CODE and a message, exit 1, and change nothing on the node
# or in the pod. Its answer is left in $out.
refused() {
	local desc=$1 code=$2 before links rc=0
	shift 2
	before=$(cni_state "$store" badnet)
	links=$(pod_links "$pod")
	out=$(cni meta "$@") || rc=$?
	check_eq "$desc: exit 1, code $code" "1 $code" "$rc $(jqr "$out" .code)"
	check_cond "$desc: says why ($(jqr "$out" .msg))" test -n "$(jqr "$out" '.msg // empty')"
	check_state "$desc: nothing left on the node" "$before" "$store" badnet
	check_eq "$desc: nothing new in the pod" "$links" "$(pod_links "$pod")"
}

# --- the configuration
refused "malformed JSON" 6 ADD c1 "$pod" eth0 '{"cniVersion": "1.1.0", "name": '
refused "not an object" 6 ADD c1 "$pod" eth0 '[1, 2'
refused "no name" 7 ADD c1 "$pod" eth0 "$(jq -c 'del(.name)' <<<"$conf")"
refused "name not a string" 7 ADD c1 "$pod" eth0 "$(jq -c '.name = 5' <<<"$conf")"
refused "no type" 7 ADD c1 "$pod" eth0 "$(jq -c 'del(.type)' <<<"$conf")"
refused "no ipam" 7 ADD c1 "$pod" eth0 "$(jq -c 'del(.ipam)' <<<"$conf")"
refused "unknown cniVersion 9.9.9" 1 ADD c1 "$pod" eth0 "$(jq -c '.cniVersion = "9.9.9"' <<<"$conf")"
refused "mode l4" 7 ADD c1 "$pod" eth0 "$(jq -c '.mode = "l4"' <<<"$conf")"
refused "mtu 10" 7 ADD c1 "$pod" eth0 "$(jq -c '.mtu = 10' <<<"$conf")"
refused "mtu 65536" 7 ADD c1 "$pod" eth0 "$(jq -c '.mtu = 65536' <<<"$conf")"
refused "mtu a string" 7 ADD c1 "$pod" eth0 "$(jq -c '.mtu = "1500"' <<<"$conf")"

# --- the CNI_* variables
refused "no CNI_COMMAND" 4 "" c1 "$pod" eth0 "$conf"
refused "unknown CNI_COMMAND" 4 FROB c1 "$pod" eth0 "$conf"
refused "ADD without CNI_CONTAINERID" 4 ADD "" "$pod" eth0 "$conf"
refused "ADD without CNI_NETNS" 4 ADD c1 "" eth0 "$conf"
refused "ADD without CNI_IFNAME" 4 ADD c1 "$pod" "" "$conf"
refused "CNI_IFNAME longer than 15 bytes" 4 ADD c1 "$pod" eth0123456789abc "$conf"
refused "CNI_IFNAME with a slash" 4 ADD c1 "$pod" eth/0 "$conf"
refused "CHECK without CNI_NETNS" 4 CHECK c1 "" eth0 "$conf"
refused "CNI_NETNS that does not exist" 3 ADD c1 "/run/netns/nope-$$" eth0 "$conf"

# --- the pod
ip -n "$pod" link add eth0 type dummy
refused "CNI_IFNAME already in the pod" 100 ADD c1 "$pod" eth0 "$conf"
check_eq "the pod's own eth0 is still a dummy" dummy "$(link_attr "$pod" eth0 info_kind)"
ip -n "$pod" link del eth0

# --- the node: the host end's name taken by someone else
clash=$(cni_hostdev c1 eth0)
ip link add "$clash" type dummy
refused "host end name taken ($clash)" 102 ADD c1 "$pod" eth0 "$conf"
check_eq "the node's $clash is still a dummy" dummy "$(link_attr "" "$clash" info_kind)"
ip link del "$clash"

# --- IPAM
refused "IPAM plugin 'nope' not in CNI_PATH" 103 ADD c1 "$pod" eth0 \
	"$(jq -c '.ipam.type = "nope"' <<<"$conf")"
# host-local's own answer to the same request, to compare with.
# (It must fail; should it not, the address it gave is released again.)
ipam_says() {
	local c
	c=$(jq -c '.cniVersion = "1.0.0"' <<<"$1")
	cni host-local ADD "$2" "$pod" eth0 "$c" && cni host-local DEL "$2" "$pod" eth0 "$c" >/dev/null
	true
}
full=$(jq -c '.ipam.ranges = [[{subnet: "10.244.9.0/30", rangeStart: "10.244.9.2", rangeEnd: "10.244.9.2"}]]' <<<"$conf")
res=$(cni meta ADD c2 "$pod" eth0 "$full") || true
check_eq "a one-address range gives its address" 10.244.9.2/30 "$(jqr "$res" '.ips[0].address')"
setup_ns pod_b
own=$(ipam_says "$full" c3)
pod_save=$pod
pod=$pod_b
refused "IPAM range exhausted" "$(jqr "$own" .code)" ADD c3 "$pod_b" eth0 "$full"
check_eq "exhausted: host-local's message passed on" "$(jqr "$own" .msg)" "$(jqr "$out" .msg)"
check_cond "exhausted: details say ipam ($(jqr "$out" .details))" grep -qi ipam <<<"$(jqr "$out" .details)"
pod=$pod_save
check_ok "DEL the pod holding the range" cni meta DEL c2 "$pod" eth0 "$(cni_prev "$full" "$res")"
bad=$(jq -c '.ipam.ranges = [[{subnet: "10.244.300.0/24"}]]' <<<"$conf")
own=$(ipam_says "$bad" c4)
refused "IPAM refuses subnet 10.244.300.0/24" "$(jqr "$own" .code)" ADD c4 "$pod" eth0 "$bad"
check_eq "bad subnet: host-local's message passed on" "$(jqr "$own" .msg)" "$(jqr "$out" .msg)"

# --- BPF objects that cannot be loaded or attached: the pair, the address
# and the meta_pods entry made before are undone.
refused "BPF object missing" 104 ADD c5 "$pod" eth0 \
	"$(jq -c '.bpf = {peer: {object: "/nonexistent.bpf.o"}, registerPods: true}' <<<"$conf")"
refused "BPF program name not in the object" 104 ADD c5 "$pod" eth0 \
	"$(jq -c --arg o "$BPF_DIR/pass.bpf.o" '.bpf = {peer: {object: $o, program: "nope"}}' <<<"$conf")"
refused "BPF object that is not BPF" 104 ADD c5 "$pod" eth0 \
	"$(jq -c '.bpf = {primary: {object: "/etc/services"}, registerPods: true}' <<<"$conf")"

# --- the module gone: unloaded, and not loadable
# With no pair left nothing may hold the module: a failing rmmod is a
# reference leak.
ko=/usr/lib/modules/$(uname -r)/updates/meta.ko
check_eq "module gone: no meta device before the unload" "" "$(cni_meta_devs | xargs)"
check_cond "module gone: $ko is there to be loaded again" test -e "$ko"
if [ -d /sys/module/meta ]; then
	check_ok "module gone: rmmod meta with no pair left" rmmod meta
fi
if [ ! -d /sys/module/meta ] && [ -e "$ko" ]; then
	mv "$ko" "$ko.away"
	cni_at_exit "[ ! -e '$ko.away' ] || mv '$ko.away' '$ko'; modprobe meta"
	refused "module not loaded nor loadable" 101 ADD c6 "$pod" eth0 "$conf"
	out=$(cni meta STATUS "" "" "" "$conf") && rc=0 || rc=$?
	check_eq "STATUS without the module: exit 1, code 50" "1 50" "$rc $(jqr "$out" .code)"
	mv "$ko.away" "$ko"
	check_ok "the module loads again" modprobe meta
	check_ok "STATUS with the module back" cni meta STATUS "" "" "" "$conf"
fi

check_eq "badnet holds no address" "" "$(cni_store "$store" badnet | xargs)"
check_eq "no meta device left" "" "$(cni_meta_devs | xargs)"
echo "# 12-cni-badinput: ${SECONDS}s"

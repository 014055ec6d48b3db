#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# metactl tc (issue 13): on kernels with tcx (6.6+) a program goes onto a
# device's tc ingress as a tcx bpf_link pinned in bpffs, without a clsact
# qdisc; on older ones (5.10, 6.1) as a cls_bpf filter on clsact. Either
# way the program runs on the traffic (the count program counts exactly
# the pings sent), replace and detach work, the attachment outlives
# metactl, switching --tc-mode never leaves both attached (the count would
# double) and moving to tcx removes a clsact qdisc left empty, a stale pin (device gone, ifindex reused) is not taken for a
# live link, and devices with one ifindex in two namespaces get one link
# each.
#
#   remote ns                init ns
#   nic1 10.19.0.2 <=veth=> nic0 10.19.0.1    (tc ingress of nic0)
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns remote
pins=/sys/fs/bpf/meta-tc-$$
mkdir -p "$pins"
mc=(metactl -p "$pins")
ip link add nic0 type veth peer name nic1 netns "$remote"
no_ipv6 "" nic0
no_ipv6 "$remote" nic1
ip addr add 10.19.0.1/24 dev nic0
ip -n "$remote" addr add 10.19.0.2/24 dev nic1
ip link set nic0 up
ip -n "$remote" link set nic1 up
wait_carrier "" nic0
# Static neighbours: nothing but the pings reaches nic0's ingress.
ip neigh replace 10.19.0.2 lladdr "$(in_ns "$remote" cat /sys/class/net/nic1/address)" dev nic0 nud permanent
ip -n "$remote" neigh replace 10.19.0.1 lladdr "$(cat /sys/class/net/nic0/address)" dev nic1 nud permanent

if kernel_has_tcx; then want=tcx; else want=clsact; fi
echo "# $(uname -r): metactl tc is expected to attach with $want"

# show: what metactl tc show says of nic0's ingress, the ids as ID (and
# LINK), the program id being $1.
show() {
	"${mc[@]}" tc show nic0 ingress 2>&1 | sed -E "s/^(tcx|clsact) $1( link [0-9]+)?$/\1 ID\2/; s/link [0-9]+/link LINK/"
}
# qdisc: the clsact qdisc on nic0 ("clsact" or "none").
qdisc() { tc qdisc show dev nic0 | grep -qE '^qdisc (clsact|ingress)' && echo clsact || echo none; }
# filter: the program id of the cls_bpf filter on nic0's ingress, or "none".
filter() { tc filter show dev nic0 ingress 2>/dev/null | grep -oE ' id [0-9]+' | awk '{ print $2 }' | grep . || echo none; }
pin_state() { [ -e "$(tcx_pin nic0)" ] && echo pinned || echo "no pin"; }
# counted N: the count program saw what the remote's N pings brought.
pings() { in_ns "$remote" ping -c "$1" -i 0.2 -W 1 10.19.0.1 >/dev/null 2>&1 || true; }
counted() {
	"${mc[@]}" count reset
	pings "$1"
	"${mc[@]}" count
}

# --- auto
id=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o") && rc=0 || rc=$?
check_eq "tc attach (auto) exits 0 and prints the id ($id)" 0 "$rc"
if [ "$want" = tcx ]; then
	check_eq "auto: a tcx link (metactl tc show)" "tcx ID link LINK" "$(show "$id")"
	check_eq "auto: no clsact qdisc created" none "$(qdisc)"
	check_eq "auto: no cls_bpf filter" none "$(filter)"
	check_eq "auto: the link is pinned at $(tcx_pin nic0)" pinned "$(pin_state)"
	link=$("${mc[@]}" tc show nic0 ingress | awk '{ print $4 }')
else
	check_eq "auto: a cls_bpf filter (metactl tc show)" "clsact ID" "$(show "$id")"
	check_eq "auto: on the clsact qdisc" clsact "$(qdisc)"
	check_eq "auto: tc filter show lists the program" "$id" "$(filter)"
	check_eq "auto: no tcx pin" "no pin" "$(pin_state)"
fi
# metactl has exited: the program still runs, once per packet.
check_eq "after metactl exited, the program counts each of 3 pings once" 3 "$(counted 3)"

# --- replace: another program in the slot (tcx: the same link, updated)
id2=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/observe.bpf.o") && rc=0 || rc=$?
check_eq "replace: tc attach exits 0" 0 "$rc"
if [ "$want" = tcx ]; then
	check_eq "replace: the link now runs the new program ($id2), same link" \
		"tcx $id2 link $link" "$("${mc[@]}" tc show nic0 ingress 2>&1)"
else
	check_eq "replace: the filter now runs the new program" "clsact $id2" \
		"$("${mc[@]}" tc show nic0 ingress 2>&1)"
fi
"${mc[@]}" observed reset
check_eq "replace: the old program no longer runs" 0 "$(counted 2)"
check_cond "replace: the new one does ($("${mc[@]}" observed))" \
	grep -q '^packets 2 ' <<<"$("${mc[@]}" observed)"

# --- the explicit modes
# (count in the slot first: left attached the old way too, it would count
# every packet twice)
id=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o")
if [ "$want" = tcx ]; then
	id=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o" --tc-mode clsact)
	check_eq "--tc-mode clsact: a cls_bpf filter only, the tcx link gone" \
		"clsact ID" "$(show "$id")"
	check_eq "--tc-mode clsact: tc filter show lists it" "$id" "$(filter)"
	check_eq "--tc-mode clsact: the link's pin removed" "no pin" "$(pin_state)"
	check_eq "--tc-mode clsact: counted once per packet (not also by the old link)" 3 "$(counted 3)"
	# someone's filter on the egress side of the same clsact qdisc
	metactl -p "$pins-eg" tc attach nic0 egress "$BPF_DIR/count.bpf.o" --tc-mode clsact >/dev/null
	id=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o" --tc-mode tcx)
	check_eq "back to --tc-mode tcx: a tcx link only" "tcx ID link LINK" "$(show "$id")"
	check_eq "back to tcx: our cls_bpf filter removed" none "$(filter)"
	check_eq "back to tcx: counted once per packet" 3 "$(counted 3)"
	check_eq "back to tcx: the clsact qdisc stays while it holds a filter (egress)" \
		clsact "$(qdisc)"
	metactl -p "$pins-eg" tc detach nic0 egress
	"${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o" --tc-mode clsact >/dev/null
	id=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o")
	check_eq "clsact -> tcx once more: a tcx link only" "tcx ID link LINK" "$(show "$id")"
	check_eq "...and the clsact qdisc, left without filters, is gone" none "$(qdisc)"
else
	check_fail "--tc-mode tcx: refused before 6.6, saying why" "tcx needs Linux 6.6" \
		"${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o" --tc-mode tcx
	check_eq "--tc-mode tcx refused: the filter is untouched" "clsact $id" \
		"$("${mc[@]}" tc show nic0 ingress 2>&1)"
	id=$("${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o" --tc-mode clsact)
	check_eq "--tc-mode clsact: the filter" "clsact ID" "$(show "$id")"
	check_eq "--tc-mode clsact: counted once per packet" 3 "$(counted 3)"
fi
check_fail "--tc-mode with a bad value: a usage error" "bad --tc-mode" \
	"${mc[@]}" tc attach nic0 ingress "$BPF_DIR/count.bpf.o" --tc-mode both

# --- detach
check_ok "tc detach exits 0" "${mc[@]}" tc detach nic0 ingress
check_eq "detach: tc show lists nothing" "" "$("${mc[@]}" tc show nic0 ingress 2>&1)"
check_eq "detach: no pin left" "no pin" "$(pin_state)"
check_eq "detach: no filter left" none "$(filter)"
check_eq "detach: the program no longer counts" 0 "$(counted 2)"
check_fail "detach again: nothing of ours there" "no program of ours" \
	"${mc[@]}" tc detach nic0 ingress

# --- a device deleted with its program attached; its ifindex reused
ip link add t0 type veth peer name t0p
ip link set t0 up
ti=$(ifindex "" t0)
"${mc[@]}" tc attach t0 ingress "$BPF_DIR/count.bpf.o" >/dev/null
tpin=/sys/fs/bpf/meta/tcx/$(readlink /proc/self/ns/net | tr -dc 0-9)_${ti}_ingress
ip link del t0
ip link add t0 index "$ti" type veth peer name t0p
ip link set t0 up
check_eq "a reused ifindex: tc show does not take the dead link for the new device's" \
	"" "$("${mc[@]}" tc show t0 ingress 2>&1)"
id=$("${mc[@]}" tc attach t0 ingress "$BPF_DIR/count.bpf.o") && rc=0 || rc=$?
check_eq "a reused ifindex: tc attach succeeds" 0 "$rc"
if [ "$want" = tcx ]; then
	check_cond "a reused ifindex: a new link ($("${mc[@]}" tc show t0 ingress))" \
		grep -qE "^tcx $id link [0-9]+$" <<<"$("${mc[@]}" tc show t0 ingress)"
	check_cond "...pinned where the dead one was" test -e "$tpin"
else
	check_eq "a reused ifindex: a new filter" "clsact $id" "$("${mc[@]}" tc show t0 ingress 2>&1)"
fi
check_ok "a reused ifindex: detach" "${mc[@]}" tc detach t0 ingress
ip link del t0

# --- one ifindex in two namespaces: two slots
d=$((4000 + RANDOM % 1000))
ip link add x0 index "$d" type veth peer name x0p
ip -n "$remote" link add x0 index "$d" type veth peer name x0p
ip link set x0 up
ip -n "$remote" link set x0 up
a=$("${mc[@]}" tc attach x0 ingress "$BPF_DIR/count.bpf.o")
b=$("${mc[@]}" -n "$remote" tc attach x0 ingress "$BPF_DIR/observe.bpf.o")
check_cond "two namespaces, ifindex $d in each: the first keeps its program" \
	grep -qE "^$want $a( link [0-9]+)?$" <<<"$("${mc[@]}" tc show x0 ingress)"
check_cond "...and the other namespace's device has its own" \
	grep -qE "^$want $b( link [0-9]+)?$" <<<"$("${mc[@]}" -n "$remote" tc show x0 ingress)"
check_ok "...detached in the other namespace" "${mc[@]}" -n "$remote" tc detach x0 ingress
check_cond "...the first one's is still there" \
	grep -qE "^$want $a( link [0-9]+)?$" <<<"$("${mc[@]}" tc show x0 ingress)"
check_ok "...and detached" "${mc[@]}" tc detach x0 ingress

ip link del x0
ip link del nic0
rm -rf "$pins" "$pins-eg"

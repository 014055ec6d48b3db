#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The life of attached programs: every refused attach or detach says why
# and changes nothing; programs are released on detach, on pair deletion
# and on module unload (their ids vanish from the kernel); attaching and
# detaching in a loop while traffic flows keeps the kernel healthy.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod
pair_up "$pod" h0 p0 10.5.0.1 10.5.0.2
PEER=1	# META_PROG_DIR_PEER

# attached: both directions' ids as metactl lists them; a failing metactl
# says so instead of listing nothing.
attached() {
	local d out
	for d in peer primary; do
		out=$(progs "" h0 "$d" 2>&1) || out="metactl failed: $out"
		printf '%s [%s] ' "$d" "$out"
	done
}

# The listing sees what is attached (without this, "nothing attached"
# below would prove nothing).
a=$(attach h0 pass --dir peer)
b=$(attach h0 next --dir primary)
check_eq "attached programs are listed" "peer [$a] primary [$b] " "$(attached)"
metactl detach h0 --dir peer --all
metactl detach h0 --dir primary --all

# --- refusals, each with a message and no change
refused_attach() { # DESC MESSAGE CMD...
	local desc=$1
	check_fail "$@"
	check_eq "$desc: nothing attached" "peer [] primary [] " "$(attached)"
}
refused_attach "a non-BPF fd is refused" "not a BPF program" \
	"$META_NL" --attach devnull:$PEER change h0
refused_attach "a socket filter program is refused" "not a BPF program of type SCHED_CLS" \
	"$META_NL" --attach socket-filter:$PEER change h0
refused_attach "a closed fd is refused" "not an open file|not a BPF" \
	"$META_NL" --attach 1000:$PEER change h0
refused_attach "an unknown direction is refused" "integer out of range" \
	"$META_NL" --attach sched-cls:7 change h0
refused_attach "attach through the peer is refused (meta_nl)" "only be changed through the primary" \
	in_ns "$pod" "$META_NL" --attach sched-cls:$PEER change p0
refused_attach "attach through the peer is refused (metactl)" "only be changed through the primary" \
	metactl -n "$pod" attach p0 "$BPF_DIR/pass.bpf.o" --dir peer
refused_attach "attach through the peer is refused (ip)" "only be changed through the primary" \
	in_ns "$pod" ip link set p0 type meta bpf "$BPF_DIR/pass.bpf.o" sec tc
refused_attach "before an id that is not attached is refused" "relative program id not attached" \
	"$META_NL" --attach sched-cls:$PEER:1:999999 change h0
refused_attach "before and after together are refused" "exclude each other" \
	"$META_NL" --attach sched-cls:$PEER:3 change h0
refused_attach "a relative id without before/after/replace is refused" \
	"relative id needs before, after or replace" \
	"$META_NL" --attach sched-cls:$PEER::1 change h0
refused_attach "replace without a relative id is refused" "replace needs the id" \
	"$META_NL" --attach sched-cls:$PEER:4 change h0
refused_attach "unknown attach flags are refused" "unknown attach flags" \
	"$META_NL" --attach sched-cls:$PEER:16 change h0
refused_attach "a program id in an attach is refused" "attach takes a relative id" \
	"$META_NL" --attach sched-cls:$PEER:::5 change h0
refused_attach "a relative id 0 is refused" "integer out of range" \
	"$META_NL" --attach sched-cls:$PEER:1:0 change h0
refused_attach "attach without a direction is refused" "say which direction" \
	"$META_NL" --attach sched-cls: change h0
refused_attach "attach without an fd is refused" "attach needs a program fd" \
	"$META_NL" --attach :$PEER change h0
# Strict parsing of the nest: unknown, oversized and unflagged attributes.
refused_attach "an unknown attribute in the attach nest is refused" "Unknown attribute type" \
	"$META_NL" --raw-nest 10:1=@sched-cls,2=$PEER,9=1 change h0
refused_attach "an oversized attribute in the attach nest is refused" "invalid attribute length" \
	"$META_NL" --raw-nest 10:1=@sched-cls,2#8 change h0
refused_attach "an attach nest without NLA_F_NESTED is refused" "NLA_F_NESTED is missing" \
	"$META_NL" --raw-nest '10!:1=@sched-cls,2=1' change h0
refused_attach "a repeated attribute in the attach nest is refused" "given more than once" \
	"$META_NL" --raw-nest 10:1=@sched-cls,2=$PEER,2=0 change h0
refused_attach "attach at creation is refused" "after creation" \
	"$META_NL" --peer px --attach sched-cls:$PEER create hx
check_cond "...and nothing was created" bash -c "! ip link show dev hx"
refused_attach "the program list is read-only" "read-only" \
	"$META_NL" --attr 13:4 change h0

id=$(attach h0 pass --dir peer)
check_fail "detach of an id that is not attached is refused" "no program with this id" \
	"$META_NL" --detach $PEER:999999 change h0
check_fail "detach through the peer is refused" "only be changed through the primary" \
	in_ns "$pod" "$META_NL" --detach $PEER:"$id" change p0
check_fail "detach without an id or all is refused" "either a program id or the all flag" \
	"$META_NL" --detach $PEER: change h0
check_fail "detach with both an id and all is refused" "either a program id or the all flag" \
	"$META_NL" --detach "$PEER:$id:8" change h0
check_fail "detach of id 0 is refused" "integer out of range" \
	"$META_NL" --detach $PEER:0 change h0
check_fail "unknown detach flags are refused" "unknown detach flags" \
	"$META_NL" --detach "$PEER:$id:1" change h0
check_fail "an fd in a detach is refused" "detach takes a program id, not an fd" \
	"$META_NL" --raw-nest "11:2=$PEER,5=$id,1=3" change h0
check_fail "a relative id in a detach is refused" "detach takes a program id, not a relative id" \
	"$META_NL" --raw-nest "11:2=$PEER,5=$id,4=$id" change h0
check_eq "after all refusals the program is still attached" "$id" "$(progs "" h0 peer)"
metactl detach h0 --dir peer --all

# --- the per-direction maximum: 16
for _ in $(seq 16); do
	"$META_NL" --attach sched-cls:$PEER change h0 >/dev/null
done
check_eq "16 programs attach" 16 "$(progs "" h0 peer | wc -w)"
check_fail "the 17th is refused" "at most 16 programs" \
	"$META_NL" --attach sched-cls:$PEER change h0
check_eq "...and the list is unchanged" 16 "$(progs "" h0 peer | wc -w)"
ids=$(progs "" h0 peer)
ip link del h0
gone=0
for i in $ids; do prog_gone "$i" && gone=$((gone + 1)); done
check_eq "deleting the pair released all 16 programs" 16 "$gone"

# --- module unload releases programs too
pair_up "$pod" h0 p0 10.5.0.1 10.5.0.2
a=$(attach h0 pass --dir peer)
b=$(attach h0 next --dir primary)
check_ok "rmmod with programs attached" rmmod meta
check_cond "unload released the peer program" prog_gone "$a"
check_cond "unload released the primary program" prog_gone "$b"
modprobe meta

# --- attach and detach in a loop while traffic flows: rounds go on until
# the transfer and the pings are over, so every round overlaps them
pair_up "$pod" h0 p0 10.5.0.1 10.5.0.2
head -c 64000000 /dev/urandom >/tmp/meta-lc.$$
in_ns "$pod" ./tcp_xfer recv 5031 /tmp/meta-lc.$$.r &
rpid=$!
./tcp_xfer send 10.5.0.2 5031 /tmp/meta-lc.$$ &
spid=$!
in_ns "$pod" ping -i 0.05 -c 100 10.5.0.1 >/tmp/meta-lc.$$.ping 2>&1 &
ppid=$!
rounds=0
during=0	# rounds that ended with the transfer still going
ids=()
err=
while kill -0 "$spid" 2>/dev/null || kill -0 "$ppid" 2>/dev/null; do
	if [ "$rounds" -ge 1000 ]; then
		err="still going after 1000 rounds"
		break
	fi
	x=$(attach h0 pass --dir primary) || { err="attach pass failed"; break; }
	y=$(attach h0 next --dir peer --first) || { err="attach next failed"; break; }
	ids+=("$x" "$y")
	metactl detach h0 --dir primary --id "$x" || { err="detach $x failed"; break; }
	metactl detach h0 --dir peer --all || { err="detach all failed"; break; }
	rounds=$((rounds + 1))
	! kill -0 "$spid" 2>/dev/null || during=$((during + 1))
done
srv=0
wait "$spid" || srv=$?
wait "$rpid" || srv=$?
prc=0
wait "$ppid" || prc=$?
check_eq "attach/detach rounds ran until the traffic ended" "" "$err"
check_cond "rounds overlapped the transfer ($during of $rounds)" test "$during" -ge 1
check_eq "the transfer survived them intact" "0 same" \
	"$srv $(cmp -s /tmp/meta-lc.$$ /tmp/meta-lc.$$.r && echo same || echo differs)"
check_cond "100 pings during the rounds, none lost (exit $prc: $(grep -E 'transmitted' /tmp/meta-lc.$$.ping))" \
	grep -q '^100 packets transmitted, 100 received' /tmp/meta-lc.$$.ping
gone=0
for i in "${ids[@]}"; do prog_gone "$i" && gone=$((gone + 1)); done
check_eq "each of the ${#ids[@]} programs attached in the rounds is released" "${#ids[@]}" "$gone"
rm -f /tmp/meta-lc.$$ /tmp/meta-lc.$$.r /tmp/meta-lc.$$.ping

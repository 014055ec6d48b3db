#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Program revisions: each direction is at 1 when the pair is created, and
# every attach, replace and detach that changes its list bumps it once; a
# refused change does not. A change that expects another revision is refused
# with ESTALE and a message (metactl, ip, raw netlink), and changes nothing.
# Updaters that read the revision, decide and write back concurrently never
# undo each other's changes: every success is counted in the revision, every
# failure is a stale revision. Only the primary reports revisions.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod
pair_up "$pod" h0 p0 10.7.0.1 10.7.0.2
STALE="changed since the expected revision"

rev() { metactl list h0 --dir "$1" --revision; }
revs() { echo "primary $(rev primary) peer $(rev peer)"; }
# What ip -d link prints of them, and its JSON.
ip_revs() {
	ip -d link show dev h0 | grep -oE '(primary|peer)_revision [0-9]+' | tr '\n' ' '
}

check_eq "a new pair's directions are at revision 1" "primary 1 peer 1" "$(revs)"
check_eq "ip -d link shows both revisions" "primary_revision 1 peer_revision 1 " "$(ip_revs)"
check_eq "ip -j shows them as numbers" "1 1" \
	"$(ip -d -j link show dev h0 | jq -r '.[0].linkinfo.info_data | "\(.primary_revision) \(.peer_revision)"')"
check_eq "the pod's end shows no revision" "" \
	"$(ip -n "$pod" -d link show dev p0 | grep -o revision || true)"
check_fail "metactl on the pod's end finds no revision" "reports no revision" \
	metactl -n "$pod" list p0 --dir peer --revision

# --- each change bumps its own direction once
a=$(attach h0 pass --dir peer)
check_eq "attach bumps the peer direction only" "primary 1 peer 2" "$(revs)"
b=$(attach h0 next --dir peer --first)
check_eq "attach first bumps it again" "primary 1 peer 3" "$(revs)"
c=$(attach h0 pass --dir peer --replace "$a")
check_eq "replace bumps it once" "primary 1 peer 4" "$(revs)"
check_progs "replace put the new program in place" "" h0 peer "$b $c"
check_ok "the replaced program is released" prog_released "$a"
d=$(attach h0 next --dir primary)
check_eq "attach on the primary direction bumps that one" "primary 2 peer 4" "$(revs)"

# --- refused changes leave it
check_fail "an attach before an unknown id is refused" "relative program id not attached" \
	attach h0 pass --dir peer --before 999999
check_fail "a detach of an unknown id is refused" "no program with this id" \
	metactl detach h0 --dir peer --id 999999
check_eq "refused changes do not bump the revision" "primary 2 peer 4" "$(revs)"
check_ok "detach of the primary's program succeeds" metactl detach h0 --dir primary --id "$d"
check_ok "detach --all of an empty direction succeeds" metactl detach h0 --dir primary --all
check_eq "a detach that changes nothing does not bump it" "primary 3 peer 4" "$(revs)"

# --- expected revisions: metactl, ip, raw netlink
check_fail "metactl attach with a stale revision is refused" "$STALE" \
	attach h0 pass --dir peer --expected-revision 3
check_fail "metactl attach with a future revision is refused" "$STALE" \
	attach h0 pass --dir peer --expected-revision 5
check_fail "metactl replace with a stale revision is refused" "$STALE" \
	attach h0 pass --dir peer --replace "$c" --expected-revision 1
check_fail "metactl detach with a stale revision is refused" "$STALE" \
	metactl detach h0 --dir peer --id "$c" --expected-revision 2
check_fail "metactl detach --all with a stale revision is refused" "$STALE" \
	metactl detach h0 --dir peer --all --expected-revision 2
check_fail "the other direction's revision is not this one's" "$STALE" \
	metactl detach h0 --dir primary --all --expected-revision 4
check_fail "ip attach with a stale revision is refused" "$STALE" \
	ip link set h0 type meta bpf "$BPF_DIR/pass.bpf.o" sec tc replace "$c" expected_revision 3
check_fail "ip detach with a stale revision is refused" "$STALE" \
	ip link set h0 type meta detach dir peer id "$c" expected_revision 3
check_fail "expected revision 0 is refused by the kernel" "integer out of range" \
	"$META_NL" --raw-nest "11:2=1,5=$c,6#8" change h0
check_fail "a 4-byte expected revision is refused" "failed policy validation|invalid attribute length" \
	"$META_NL" --raw-nest "11:2=1,5=$c,6=4" change h0
check_fail "metactl refuses revision 0 itself" "revisions start at 1" \
	metactl detach h0 --dir peer --all --expected-revision 0
check_fail "a revision in a create request is refused" "revisions are read-only" \
	"$META_NL" --attr 16:8 --peer x1 create x0
check_eq "stale changes change nothing" "primary 3 peer 4 | $b $c" "$(revs) | $(progs "" h0 peer)"

e=$(attach h0 pass --dir peer --replace "$c" --expected-revision 4)
check_eq "metactl replace at the current revision works" "primary 3 peer 5 | $b $e" \
	"$(revs) | $(progs "" h0 peer)"
check_ok "ip replace at the current revision works" \
	ip link set h0 type meta bpf "$BPF_DIR/next.bpf.o" sec tc replace "$b" expected_revision 5
check_eq "ip replace bumped it" "primary 3 peer 6" "$(revs)"
check_ok "ip detach at the current revision works" \
	ip link set h0 type meta detach dir peer id "$e" expected_revision 6
check_ok "metactl detach --all at the current revision works" \
	metactl detach h0 --dir peer --all --expected-revision 7
check_eq "both bumped it, and nothing is left" "primary 3 peer 8 | " \
	"$(revs) | $(progs "" h0 peer)"

# --- concurrent read-decide-write updaters
# Each worker reads the revision and the one attached program, loads a new
# one and replaces the old, expecting the revision it read. Without the
# revision, two that read the same program would both "replace" it: one
# would fail on a missing id, or, with append, both would stay.
ROUNDS=8
WORKERS=3
attach h0 pass --dir peer >/dev/null
start=$(rev peer)
work=$(mktemp -d)
worker() { # OUT
	local i r id out ok=0 stale=0 other=0
	for ((i = 0; i < ROUNDS; i++)); do
		if ! r=$(rev peer) || ! id=$(progs "" h0 peer); then
			other=$((other + 1))
			continue
		fi
		if out=$(attach h0 pass --dir peer --replace "$id" --expected-revision "$r" 2>&1); then
			ok=$((ok + 1))
		elif grep -q "$STALE" <<<"$out"; then
			stale=$((stale + 1))
		else
			other=$((other + 1))
			printf 'rev %s id %s: %s\n' "$r" "$id" "$out" >>"$1.err"
		fi
	done
	echo "$ok $stale $other" >"$1"
}
pids=()
for ((w = 0; w < WORKERS; w++)); do
	worker "$work/$w" &
	pids+=($!)
done
wait "${pids[@]}"
oks=0 stales=0 others=0
for ((w = 0; w < WORKERS; w++)); do
	read -r o s x <"$work/$w"
	oks=$((oks + o)) stales=$((stales + s)) others=$((others + x))
done
errs=$(cat "$work"/*.err 2>/dev/null || true)
rm -rf "$work"
check_eq "concurrent updaters: every failure is a stale revision" "0 failures otherwise" \
	"$others failures otherwise${errs:+: $errs}"
check_eq "concurrent updaters: every success is one revision ($oks ok, $stales stale)" \
	"$((start + oks))" "$(rev peer)"
check_eq "concurrent updaters: exactly one program is attached" 1 \
	"$(progs "" h0 peer | wc -w)"
check_cond "concurrent updaters: at least one change went through" [ "$oks" -gt 0 ]
if [ "$stales" -eq 0 ]; then
	skip "concurrent updaters collided" "no collision in this run ($oks changes)"
else
	pass "concurrent updaters collided ($stales stale of $((oks + stales)))"
fi

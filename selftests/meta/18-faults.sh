#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every error path of the control operations, by fault injection. Each
# operation runs again and again with its 1st, 2nd, ... allocation made to
# fail (the task's fail-nth, which FAILSLAB and FAIL_PAGE_ALLOC share), until
# a run no longer reaches the fault. After each injected failure the request
# has failed with an error (or succeeded through a fallback), the state is
# exactly that of failure or of success (both ends or neither, the programs
# and their references), and the kernel stays healthy; at the end of the
# run the harness asks kmemleak about memory. One check per operation says
# how many failure points it has.
#
# Needs CONFIG_FAULT_INJECTION with FAILSLAB and FAIL_PAGE_ALLOC (the
# 6.12-debug kernel); a reported skip elsewhere.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

dbg=/sys/kernel/debug
if [ ! -e /proc/self/fail-nth ] || [ ! -d $dbg/failslab ] || [ ! -d $dbg/fail_page_alloc ]; then
	skip "fault injection" "no CONFIG_FAILSLAB/FAIL_PAGE_ALLOC in this kernel (6.12-debug has them)"
	exit 0
fi
# GFP_KERNEL and order-0 allocations may fail too; no report per fault.
declare -A fi_saved
for f in failslab/ignore-gfp-wait fail_page_alloc/ignore-gfp-wait \
	 fail_page_alloc/ignore-gfp-highmem fail_page_alloc/min-order \
	 failslab/verbose fail_page_alloc/verbose; do
	fi_saved[$f]=$(cat "$dbg/$f")
done
fi_restore() {
	local f
	for f in "${!fi_saved[@]}"; do echo "${fi_saved[$f]}" > "$dbg/$f"; done
}
cni_at_exit fi_restore
for f in failslab fail_page_alloc; do
	echo N > "$dbg/$f/ignore-gfp-wait"
	echo 0 > "$dbg/$f/verbose"
done
echo N > $dbg/fail_page_alloc/ignore-gfp-highmem
echo 0 > $dbg/fail_page_alloc/min-order

# The sweeps compare with the state before the operation, module loaded:
# an autoload by the first create is not part of what they measure.
modprobe meta
setup_ns pod
PEER=1
MAX_POINTS=3000		# a runaway loop ends here, and fails

nl() { "$META_NL" "$@"; }
progs_now() { nl prog-count; }
pair() { nl --peer p0 create h0 >/dev/null; }
pod_pair() { nl --peer p0 --peer-netns "/run/netns/$pod" create h0 >/dev/null; }
# How many meta devices here and in the pod (lib.sh's meta_devs).
pair_ends() {
	echo "$(meta_devs "" | grep -c . || true)/$(meta_devs "$pod" | grep -c . || true)"
}

# sweep NAME STATE_FN CLEANUP_FN SETUP_FN CMD: run CMD (a meta_nl command
# line, evaluated each time) with fail-nth 1, 2, ... until a run no longer
# reaches the fault; SETUP_FN runs before each run. STATE_FN prints the
# state a run leaves: a failed run must leave it as it was, a successful
# one as an unfaulted run does; CLEANUP_FN undoes a success.
sweep() {
	local name=$1 state=$2 cleanup=$3 setup=$4 cmd=$5 n=0 out rc before after
	local ok_state fail_n=0 fallback=0 lost=0 bad=() first

	# The unfaulted run gives the state of success.
	$setup
	before=$($state)
	out=$(eval "$cmd" 2>&1) || { fail "$name: runs without a fault" "seen: $out"; $cleanup; return; }
	ok_state=$($state)
	$cleanup
	[ "$ok_state" != "$before" ] ||
		{ fail "$name: changes the state" "state: $before"; return; }

	while [ $n -lt $MAX_POINTS ]; do
		n=$((n + 1))
		$setup
		before=$($state)
		rc=0
		out=$(eval "$cmd --fail-nth $n" 2>&1) || rc=$?
		first=${out%%$'\n'*}
		after=$($state)
		if [ "$first" = "fault not reached" ]; then
			[ $rc -eq 0 ] && [ "$after" = "$ok_state" ] ||
				bad+=("run $n (no fault): rc $rc, state '$after'; $out")
			$cleanup
			break
		fi
		if [ "$first" != "fault injected" ]; then
			bad+=("run $n: no fault report: $out")
		elif [ $rc -eq 0 ]; then
			fallback=$((fallback + 1))
			[ "$after" = "$ok_state" ] || bad+=("run $n: succeeded, state '$after'")
		elif [ $rc -eq 1 ] && grep -q '^error [0-9]' <<<"$out"; then
			fail_n=$((fail_n + 1))
			[ "$after" = "$before" ] ||
				bad+=("run $n: failed ($out), state '$after' not '$before'")
		elif [ $rc -eq 3 ]; then
			# Answer lost: either outcome, but a whole one.
			lost=$((lost + 1))
			[ "$after" = "$before" ] || [ "$after" = "$ok_state" ] ||
				bad+=("run $n: answer lost, state '$after'")
		else
			bad+=("run $n: rc $rc: $out")
		fi
		[ "$after" = "$before" ] || $cleanup
	done
	[ $n -lt $MAX_POINTS ] || bad+=("still reaching the fault after $MAX_POINTS runs")
	echo "# $name: $((n - 1)) failure points: $fail_n refused, $fallback succeeded by a fallback, $lost answers lost"
	if [ ${#bad[@]} -eq 0 ]; then
		pass "$name: $((n - 1)) failure points, each a clean failure or success"
	else
		fail "$name: every failure point clean" "${bad[@]:0:10}"
	fi
}

none() { :; }
st_devs() { echo "devs $(pair_ends) progs $(progs_now)"; }
del_h0() { ip link del h0 2>/dev/null || true; }

# --- creating and deleting pairs, unloading the module: tens to hundreds
# of failure points each, so meta_nl --sweep steps through them itself
# (see its --help) and reports "points N refused N fallback N lost N bad N".
csweep() {
	local name=$1 out rc=0 pts ref fb lost bad
	shift
	out=$(nl --sweep $MAX_POINTS "$@" 2>&1) || rc=$?
	read -r _ pts _ ref _ fb _ lost _ bad <<<"$(tail -n 1 <<<"$out")"
	echo "# $name: $pts failure points: $ref refused, $fb succeeded by a fallback, $lost answers lost"
	[ -d /sys/module/meta ] || modprobe meta
	if [ $rc -eq 0 ] && [ "$bad" = 0 ] && [ "${pts:-0}" -gt 0 ] &&
	   [ "$(pair_ends)" = 0/0 ]; then
		pass "$name: $pts failure points, each a clean failure or success"
	else
		fail "$name: every failure point clean" "$(head -n 10 <<<"$out")" \
			"meta devices left: $(pair_ends)"
	fi
}
# (Each run's pair gets its own names, the run number in their digits.)
csweep "create l3, defaults" --peer pf0000 create hf0000
csweep "create l2, every option, peer in a namespace" \
	--mode 1 --policy 2 --peer-policy 2 --scrub 0 --peer-scrub 0 \
	--headroom 128 --tailroom 64 --mtu 9000 --address 02:00:00:00:18:01 \
	--peer-mtu 9000 --peer-address 02:00:00:00:18:02 \
	--peer-netns "/run/netns/$pod" --peer pf0000 create hf0000
csweep "delete through the primary, programs attached" \
	--peer-netns "/run/netns/$pod" --peer p0 delete h0
csweep "delete through the peer, programs attached" \
	--peer-netns "/run/netns/$pod" --peer p0 delete-peer h0
csweep "module unload with a pair and programs" \
	--peer-netns "/run/netns/$pod" --peer p0 unload h0

# --- changing policies through the primary
pod_pair
st_policy() { echo "$(link_attr "" h0 policy) $(link_attr "" h0 peer_policy)"; }
reset_policy() { ip link set h0 type meta forward peer forward; }
sweep "change both policies" st_policy reset_policy none \
	'nl --policy 2 --peer-policy 2 change h0'

# --- programs (the peer direction; the primary's takes the same paths)
detach_all() { metactl detach h0 --dir peer --all >/dev/null; }
one_prog() { detach_all; A=$(attach h0 pass --dir peer); }
st_progs() {
	local ids
	ids=$(progs "" h0 peer)
	echo "attached $(wc -w <<<"$ids") A=$(grep -qw "${A:-none}" <<<"$ids" && echo yes || echo no) progs $(progs_now)"
}
A=
sweep "attach" st_progs detach_all none \
	'nl --attach sched-cls:$PEER change h0'
sweep "replace" st_progs one_prog one_prog \
	'nl --attach sched-cls:$PEER:4:$A change h0'
sweep "detach" st_progs one_prog one_prog \
	'nl --detach $PEER:$A change h0'
detach_all
ip link del h0

# --- deleting the peer's namespace: its teardown runs in a kernel worker
# (cleanup_net), out of the task's fail-nth reach. Faults are aimed at that
# code instead (the stack filter: only allocations with cleanup_net on the
# stack), each failing with probability 1/2, over 20 teardowns with pairs
# and programs inside; the faults injected are counted.
if [ -e $dbg/failslab/require-start ]; then
	read -r cs ce < <(sort /proc/kallsyms |
		awk '$3 == "cleanup_net" { s = $1; next } s != "" { print s, $1; exit }')
	knobs="probability interval times task-filter require-start require-end"
	declare -A nn_saved
	for f in failslab fail_page_alloc; do
		for k in $knobs; do nn_saved[$f/$k]=$(cat "$dbg/$f/$k"); done
	done
	# Off first, the probability back last: a filter half restored
	# (require-start 0 before require-end) would fail allocations
	# anywhere in the kernel, init's too.
	nn_restore() {
		local f k
		for f in failslab fail_page_alloc; do
			echo 0 > "$dbg/$f/probability"
			for k in $knobs; do
				[ "$k" = probability ] || echo "${nn_saved[$f/$k]}" > "$dbg/$f/$k"
			done
			echo "${nn_saved[$f/probability]}" > "$dbg/$f/probability"
		done
	}
	cni_at_exit nn_restore
	fault_times() { echo $(( $(cat $dbg/failslab/times) + $(cat $dbg/fail_page_alloc/times) )); }
	for f in failslab fail_page_alloc; do
		echo "0x$cs" > "$dbg/$f/require-start"
		echo "0x$ce" > "$dbg/$f/require-end"
		echo N > "$dbg/$f/task-filter"
		echo 1 > "$dbg/$f/interval"
		echo 100000 > "$dbg/$f/times"
		echo 50 > "$dbg/$f/probability"
	done
	progs0=$(progs_now)
	injected=0
	bad=()
	for i in $(seq 20); do
		ip netns add "fi-$$-$i"
		nl --peer p0 --peer-netns "/run/netns/fi-$$-$i" create h0 >/dev/null
		attach h0 pass --dir peer >/dev/null
		attach h0 next --dir primary >/dev/null
		t0=$(fault_times)
		ip netns del "fi-$$-$i"
		for _ in $(seq 100); do link_exists "" h0 || break; sleep 0.1; done
		injected=$((injected + t0 - $(fault_times)))
		link_exists "" h0 && bad+=("teardown $i: h0 still there after 10 s")
		[ "$(progs_now)" = "$progs0" ] || bad+=("teardown $i: programs $(progs_now), not $progs0")
		del_h0
	done
	nn_restore
	echo "# netns deletion: $injected faults injected in cleanup_net over 20 teardowns"
	if [ ${#bad[@]} -eq 0 ] && [ "$injected" -gt 0 ]; then
		pass "netns deletion: $injected faults in 20 teardowns, each pair gone and its programs released"
	else
		fail "netns deletion under injected faults" "faults injected: $injected" "${bad[@]}"
	fi
else
	skip "netns deletion under injected faults" "no FAULT_INJECTION_STACKTRACE_FILTER"
fi

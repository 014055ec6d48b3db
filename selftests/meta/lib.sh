# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the meta selftests. Each test script sources this file,
# creates its namespaces with setup_ns, and reports every check as a TAP
# line ("ok N - what" / "not ok N - what", with what was expected and what
# was seen on failure). run_tests.sh renumbers the lines of all scripts into
# one TAP stream. On exit, the script's namespaces are removed, a meta device
# still there afterwards fails the script (and is removed), and the kernel
# log is checked for warnings since the script started. The exit status
# follows kselftest: 0 passed, 1 failed, KSFT_SKIP (4) when every check of
# the script was skipped.

set -euo pipefail

META_TEST=${META_TEST:-$(basename "$0" .sh)}
META_NL=${META_NL:-$(dirname "${BASH_SOURCE[0]}")/meta_nl}
_tap_n=0
_tap_failed=0
# Timeouts scale with the kernel's speed: the debug kernel (KASAN, lockdep,
# kmemleak; "-meta-debug") runs ~5 times slower under TCG.
META_SLOW=1
case $(uname -r) in *-meta-debug) META_SLOW=5 ;; esac
_tap_passed=0
_tap_skipped=0
KSFT_SKIP=4
_namespaces=()
# Kernel log lines that mean the kernel is not healthy.
KMSG_BAD='WARNING:|BUG:|Oops|general protection|Call Trace|refcount_t|leak|UBSAN|KASAN|list_add corruption|unregister_netdevice: waiting'

_tap() { # status description [diagnostic lines...]
	local status=$1 desc=$2
	shift 2
	_tap_n=$((_tap_n + 1))
	if [ "$status" = ok ]; then
		_tap_passed=$((_tap_passed + 1))
		echo "ok $_tap_n - $META_TEST: $desc"
	else
		_tap_failed=$((_tap_failed + 1))
		echo "not ok $_tap_n - $META_TEST: $desc"
	fi
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

pass() { _tap ok "$1"; }
fail() { local d=$1; shift; _tap "not ok" "$d" "$@"; }
skip() {
	_tap_n=$((_tap_n + 1))
	_tap_skipped=$((_tap_skipped + 1))
	echo "ok $_tap_n - $META_TEST: $1 # SKIP $2"
}

# check_eq DESC EXPECTED SEEN
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "seen:     $3"
	fi
}

# check_ok DESC CMD...: CMD must succeed.
check_ok() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc" "expected: '$*' to succeed" "seen:     exit $?: $out"
	fi
}

# check_fail DESC MESSAGE CMD...: CMD must fail and say MESSAGE (a grep -E
# pattern) on stdout or stderr.
check_fail() {
	local desc=$1 msg=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		fail "$desc" "expected: '$*' to fail with /$msg/" "seen:     success: $out"
	elif ! grep -qE -- "$msg" <<<"$out"; then
		fail "$desc" "expected: error matching /$msg/" "seen:     exit $rc: $out"
	else
		pass "$desc"
	fi
}

# check_cond DESC CMD...: like check_ok for conditions (test, grep...).
check_cond() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		pass "$desc"
	else
		fail "$desc" "expected: '$*' to hold" "seen:     it does not"
	fi
}

# setup_ns VAR...: create one network namespace per VAR, named uniquely,
# with lo up, and store its name in VAR. All are deleted on exit.
setup_ns() {
	local var name
	for var in "$@"; do
		name="${var}-$$-${RANDOM}"
		ip netns add "$name"
		_namespaces+=("$name")
		ip -n "$name" link set lo up
		printf -v "$var" '%s' "$name"
	done
}

# in_ns NS CMD...: run CMD inside NS ("" = the initial namespace).
in_ns() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

link_exists() { in_ns "$1" ip link show dev "$2" >/dev/null 2>&1; }

# count_links NS KIND: number of links of KIND (e.g. meta) in NS.
count_links() { in_ns "$1" ip -o link show type "$2" | grep -c . || true; }

# link_attr NS DEV KEY: a value from `ip -d -j link show` (strings unquoted).
link_attr() {
	in_ns "$1" ip -d -j link show dev "$2" |
		grep -oE "\"$3\":(\"[^\"]*\"|[0-9]+)" | head -n1 |
		sed -E 's/^"[^"]*"://; s/^"(.*)"$/\1/' || true
}

# counter NS DEV NAME: a /sys/class/net statistics counter.
counter() { in_ns "$1" cat "/sys/class/net/$2/statistics/$3"; }

# no_ipv6 NS DEV: keep IPv6 autoconfiguration (RS, MLD, DAD) off DEV.
no_ipv6() { in_ns "$1" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$2/disable_ipv6"; }

# check_counters_equal DESC NS1 DEV1 NAME1 NS2 DEV2 NAME2: two counters that
# must agree once in-flight packets have landed (re-read for up to 2 s).
check_counters_equal() {
	local desc=$1 a b t=20
	shift
	while :; do
		a=$(counter "$1" "$2" "$3")
		b=$(counter "$4" "$5" "$6")
		[ "$a" = "$b" ] || [ "$t" -eq 0 ] && break
		sleep 0.1
		t=$((t - 1))
	done
	check_eq "$desc" "$a" "$b"
}

ifindex() { in_ns "$1" cat "/sys/class/net/$2/ifindex"; }

# --- the kernel log and what a script leaves behind --------------------------
# Records are judged by /dev/kmsg sequence number (kmsg.c), exact however
# the ring buffer wraps. Under run_tests.sh the window of each script starts
# where the previous one's ended ($META_KMSG_STATE holds that number), so
# what a script's teardown logs late is judged with the next script's.
META_KMSG=${META_KMSG:-$(dirname "${BASH_SOURCE[0]}")/kmsg}
if [ -n "${META_KMSG_STATE:-}" ] && [ -s "$META_KMSG_STATE" ]; then
	_kmsg_from=$(cat "$META_KMSG_STATE")
else
	_kmsg_from=$("$META_KMSG" next)
fi

# kmsg_window: this script's kernel log so far, as "SEQ TEXT" lines; exit
# status 3 (and a line saying so) if records of it were overwritten unread.
kmsg_window() { "$META_KMSG" since "$_kmsg_from" 2>&1; }

# meta_devs NS: the meta devices of NS ("" = the initial one), by name.
# (By ip -d's "meta mode": with the module gone, a "type meta" filter
# would list every device that has no link kind.)
meta_devs() {
	[ -d /sys/module/meta ] || return 0
	in_ns "$1" ip -d -o link show |
		awk -F': ' '/ meta mode / { sub(/@.*/, "", $2); print $2 }'
}

# meta_devs_left: "NS: DEV..." for every namespace (the initial one and
# any still in /run/netns) that holds a meta device.
meta_devs_left() {
	local ns devs
	for ns in "" $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		devs=$(meta_devs "$ns" | xargs)
		[ -z "$devs" ] || echo "${ns:-init}: $devs"
	done
}

_cleanup() {
	local rc=$? ns log krc=0 bad left t=300 dev last next=$_kmsg_from passed=$_tap_passed
	set +e
	for ns in "${_namespaces[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# Namespace teardown is asynchronous: the pairs of deleted namespaces
	# go within moments, what is still there after 30 s was left behind.
	while left=$(meta_devs_left) && [ -n "$left" ] && [ "$t" -gt 0 ]; do
		sleep 0.1
		t=$((t - 1))
	done
	if [ -n "$left" ]; then
		fail "no meta device left" "expected: none once the script's namespaces are gone" \
			"seen:     $left"
		# Leave the next script a clean slate.
		for ns in "" $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
			for dev in $(meta_devs "$ns"); do
				in_ns "$ns" ip link del "$dev" 2>/dev/null
			done
		done
	else
		pass "no meta device left"
	fi
	log=$(kmsg_window) || krc=$?
	bad=$(grep -E "$KMSG_BAD" <<<"$log")
	if [ "$krc" -ne 0 ]; then
		fail "kernel log clean" "expected: every record from $_kmsg_from on readable" \
			"seen:     exit $krc: $(grep -v '^[0-9]' <<<"$log")" "$bad"
	elif [ -n "$bad" ]; then
		fail "kernel log clean" "expected: no warning (records from $_kmsg_from on)" "seen:" "$bad"
	else
		pass "kernel log clean"
	fi
	if [ -n "${META_KMSG_STATE:-}" ]; then
		last=$(grep -E '^[0-9]+ ' <<<"$log" | tail -n 1 | cut -d' ' -f1)
		[ -z "$last" ] || next=$((last + 1))
		echo "$next" > "$META_KMSG_STATE"
	fi
	echo "# $META_TEST: $_tap_n checks, $_tap_failed failed, $_tap_skipped skipped"
	if [ "$_tap_failed" -eq 0 ] && [ "$rc" -eq 0 ]; then
		# Nothing but skips (the cleanup's own checks aside).
		[ "$passed" -eq 0 ] && [ "$_tap_skipped" -gt 0 ] && exit "$KSFT_SKIP"
		exit 0
	fi
	[ "$rc" -ne 0 ] && echo "# $META_TEST: script aborted with status $rc"
	exit 1
}
trap _cleanup EXIT

# end_of_run: the last checks of a run (run_tests.sh calls it after every
# script). A device whose references leak says "unregister_netdevice:
# waiting" only after the kernel's unregister timeout, so wait past it (the
# exit handler then judges that time's log too), and unload the module:
# with no pair left it must go. A leaked device would hang rmmod for good,
# so it is not tried then; a stuck rmmod is given up on after 60 s.
end_of_run() {
	local t out=/tmp/meta-rmmod.$$ pid rc=0 n=600
	t=$(cat /proc/sys/net/core/netdev_unregister_timeout_secs 2>/dev/null || echo 10)
	sleep $((t + 3))
	if [ ! -d /sys/module/meta ]; then
		skip "rmmod meta at the end of the run" "meta is not loaded"
		return
	fi
	if kmsg_window | grep -q 'unregister_netdevice: waiting'; then
		fail "rmmod meta at the end of the run" "expected: the module unloads" \
			"seen:     not tried: a device waits for its references (kernel log)"
		return
	fi
	rmmod meta </dev/null >"$out" 2>&1 &
	pid=$!
	while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "rmmod meta at the end of the run" "expected: the module unloads" \
			"seen:     rmmod still running after 60 s"
		return
	fi
	wait "$pid" || rc=$?
	if [ "$rc" -ne 0 ] || [ -d /sys/module/meta ]; then
		fail "rmmod meta at the end of the run" "expected: the module unloads" \
			"seen:     exit $rc: $(cat "$out"), refcount $(cat /sys/module/meta/refcnt 2>/dev/null)"
	else
		pass "rmmod meta at the end of the run"
	fi
	rm -f "$out"
}

# check_gone DESC NS DEV [SECONDS]: DEV must disappear from NS (namespace
# teardown is asynchronous, so wait for it a little).
check_gone() {
	local desc=$1 ns=$2 dev=$3 t=$((${4:-5} * 10))
	while [ "$t" -gt 0 ] && link_exists "$ns" "$dev"; do
		sleep 0.1
		t=$((t - 1))
	done
	if link_exists "$ns" "$dev"; then
		fail "$desc" "expected: no device $dev${ns:+ in $ns}" "seen:     $(in_ns "$ns" ip -o link show dev "$dev")"
	else
		pass "$desc"
	fi
}

# name_of NS IFINDEX: the name of the device with IFINDEX in NS.
name_of() {
	in_ns "$1" ip -o link show | awk -F': ' -v i="$2" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}

# wait_carrier NS DEV: both ends up means carrier; give the stack a moment.
wait_carrier() {
	local t=30
	while [ "$t" -gt 0 ] && [ "$(in_ns "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null)" != 1 ]; do
		sleep 0.1
		t=$((t - 1))
	done
}

# --- BPF programs (make bpf puts the objects in /meta/bpf in the VM) --------
# Elsewhere (a kselftest install, a machine with the meta-tools package):
# the package's directory.
if [ -z "${BPF_DIR:-}" ]; then
	BPF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bpf
	[ -d "$BPF_DIR" ] || BPF_DIR=/usr/lib/meta/bpf
fi

# attach DEV PROG [metactl attach options]: attach $BPF_DIR/PROG.bpf.o and
# print the new program's id.
attach() { metactl attach "$1" "$BPF_DIR/$2.bpf.o" "${@:3}"; }

# progs NS DEV DIR: the ids attached in direction DIR, in run order.
progs() { metactl ${1:+-n "$1"} list "$2" --dir "$3" --ids; }

# ethstat NS DEV NAME: one ethtool -S counter.
ethstat() { in_ns "$1" ethtool -S "$2" | awk -v k="$3:" '$1 == k { print $2 }'; }

# prog_gone ID: the kernel no longer knows BPF program ID: meta_nl says so
# with exit 1 (ENOENT); any other failure (EPERM, a bad id) proves nothing.
prog_gone() {
	local rc=0
	"$META_NL" prog-exists "$1" >/dev/null || rc=$?
	[ "$rc" -eq 1 ]
}

# prog_released ID: prog_gone within 5 s (x META_SLOW). A reference dropped
# after an RCU grace period (a deleted device's program list) goes late.
prog_released() {
	local t=$((50 * META_SLOW))
	until prog_gone "$1"; do
		t=$((t - 1))
		[ "$t" -gt 0 ] || return 1
		sleep 0.1
	done
}

# check_progs DESC NS DEV DIR IDS: metactl lists exactly IDS (in run order,
# "" for none) in direction DIR; a metactl that fails lists nothing, so it
# must succeed too.
check_progs() {
	local desc=$1 out rc=0
	out=$(progs "$2" "$3" "$4" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$desc" "expected: metactl list to succeed and show '$5'" "seen:     exit $rc: $out"
	else
		check_eq "$desc" "$5" "$out"
	fi
}

# --- counters ---------------------------------------------------------------
# snap ITEM...: counters for check_delta, one "NAME VALUE" line each. ITEM
# is DEV[@NS] for DEV's /sys/class/net statistics (named DEV.rx_packets,
# ...), eth:DEV[@NS] for its ethtool -S counters (DEV.peer_pass, ...).
snap() {
	local item dev ns
	for item in "$@"; do
		dev=${item#eth:}
		ns=
		case $dev in *@*) ns=${dev#*@}; dev=${dev%@*} ;; esac
		if [ "${item#eth:}" != "$item" ]; then
			in_ns "$ns" ethtool -S "$dev" |
				awk -v d="$dev" 'NR > 1 { sub(/:$/, "", $1); print d "." $1, $2 }'
		else
			in_ns "$ns" grep -r . "/sys/class/net/$dev/statistics/" |
				sed -E "s|^.*/([^/]+):|$dev.\\1 |"
		fi
	done
}

# check_delta DESC BEFORE "NAME=N ..." ITEM...: since BEFORE (snap ITEM...,
# perhaps filtered) each NAME grew by exactly N and every other counter of
# BEFORE stayed as it was. Re-read for up to 2 s while packets land.
check_delta() {
	local desc=$1 before=$2 want diff t=20 words
	read -r -d '' -a words <<<"$3" || true
	want=${words[*]}
	shift 3
	if ! grep -q . <<<"$before"; then
		fail "$desc" "expected: counters to compare" "seen:     an empty first snapshot"
		return
	fi
	while :; do
		diff=$(awk -v want="$want" '
			BEGIN { n = split(want, w, " ")
				for (i = 1; i <= n; i++) { split(w[i], kv, "="); d[kv[1]] = kv[2] } }
			FNR == NR { b[$1] = $2; next }
			($1 in b) { seen[$1] = 1; e = ($1 in d) ? d[$1] : 0
				  if ($2 - b[$1] != e) print $1 ": expected +" e ", saw +" ($2 - b[$1]) }
			END { for (k in b) if (!(k in seen)) print k ": gone"
			      for (k in d) if (!(k in b)) print k ": no such counter" }' \
			<(echo "$before") <(snap "$@") | sort)
		[ -z "$diff" ] || [ "$t" -eq 0 ] && break
		sleep 0.1
		t=$((t - 1))
	done
	if [ -z "$diff" ]; then
		pass "$desc"
	else
		mapfile -t diff <<<"$diff"
		fail "$desc" "expected: ${want:-no change}, every other counter +0" "seen:" "${diff[@]}"
	fi
}

# pair_up NS H P HADDR PADDR [meta options...]: a meta pair h/p (options
# such as "mode l2" go after "type meta"; the peer's own, such as "peer
# scrub none", last) with the peer in NS, addressed /24, up, IPv6 autoconf
# off, carrier waited for.
pair_up() {
	local ns=$1 h=$2 p=$3 ha=$4 pa=$5
	shift 5
	if [[ " $* " == *" peer "* ]]; then
		ip link add "$h" type meta "$@" name "$p" netns "$ns"
	else
		ip link add "$h" type meta "$@" peer name "$p" netns "$ns"
	fi
	no_ipv6 "" "$h"
	no_ipv6 "$ns" "$p"
	ip addr add "$ha/24" dev "$h"
	ip link set "$h" up
	ip -n "$ns" addr add "$pa/24" dev "$p"
	ip -n "$ns" link set "$p" up
	wait_carrier "" "$h"
}

# --- CNI ----------------------------------------------------------------------
# Helpers of the CNI tests (11-cni, 12-cni-badinput, 13-cni-load). Plugins
# run the way runtimes run them: CNI_* environment, network configuration
# on stdin, result or error (JSON) on stdout, logs on stderr.
CNI_PATH=${CNI_PATH:-/opt/cni/bin}
CNI_LOG=${CNI_LOG:-/tmp/cni-$$.log}
_cni_exit=()

# cni_need PLUGIN...: the script needs jq and these plugins in $CNI_PATH;
# without them it reports one skip and ends.
cni_need() {
	local p missing=
	command -v jq >/dev/null || missing+=" jq"
	for p in "$@"; do
		[ -x "$CNI_PATH/$p" ] || missing+=" $CNI_PATH/$p"
	done
	if [ -n "$missing" ]; then
		skip "CNI tests" "missing:$missing"
		exit 0
	fi
}

# cni_at_exit CMD: eval CMD when the script ends, before lib.sh's cleanup
# (which removes namespaces and meta devices and checks the kernel log).
_cni_run_exit() {
	local i
	for ((i = ${#_cni_exit[@]} - 1; i >= 0; i--)); do
		eval "${_cni_exit[i]}"
	done
}
cni_at_exit() {
	# (exit rc): _cleanup reads the script's status from $?.
	[ ${#_cni_exit[@]} -gt 0 ] ||
		trap '_cni_rc=$?; set +e; _cni_run_exit; (exit $_cni_rc); _cleanup' EXIT
	_cni_exit+=("$1")
}

# cni PLUGIN COMMAND CONTAINERID NETNS IFNAME CONFIG: run PLUGIN with CONFIG
# on stdin. NETNS is a name in /run/netns or an absolute path; an empty
# argument leaves that variable unset. Prints the plugin's stdout, appends
# its stderr to $CNI_LOG, returns its exit status (124: hung for 60 s,
# times META_SLOW).
cni() {
	local plugin=$1 conf=$6 env=(-u CNI_COMMAND -u CNI_CONTAINERID -u CNI_NETNS
		-u CNI_IFNAME -u CNI_ARGS CNI_PATH="$CNI_PATH")
	[ -z "$2" ] || env+=(CNI_COMMAND="$2")
	[ -z "$3" ] || env+=(CNI_CONTAINERID="$3")
	case $4 in
	"") ;;
	/*) env+=(CNI_NETNS="$4") ;;
	*) env+=(CNI_NETNS="/run/netns/$4") ;;
	esac
	[ -z "$5" ] || env+=(CNI_IFNAME="$5")
	# CNI_ARGS only when a test asks for it (CNI_TEST_ARGS).
	[ -z "${CNI_TEST_ARGS:-}" ] || env+=(CNI_ARGS="$CNI_TEST_ARGS")
	echo "### $plugin $2 $3 $4 $5" >>"$CNI_LOG"
	timeout $((60 * META_SLOW)) env "${env[@]}" "$CNI_PATH/$plugin" <<<"$conf" 2>>"$CNI_LOG"
}

# ok_run DESC VAR CMD...: CMD must exit 0; its stdout goes into VAR.
ok_run() {
	local _desc=$1 _var=$2 _out _rc=0
	shift 2
	_out=$("$@") || _rc=$?
	printf -v "$_var" '%s' "$_out"
	if [ "$_rc" -eq 0 ]; then
		pass "$_desc"
	else
		fail "$_desc" "expected: exit 0" "seen:     exit $_rc: $_out" \
			"stderr:   $(tail -n 3 "$CNI_LOG")"
	fi
}

# cni_conf NAME TYPE SUBNET DATADIR [JQ]: a network configuration, version
# 1.1.0, host-local IPAM on SUBNET (store in DATADIR) with a default route,
# then changed by the jq filter JQ (e.g. '.mode = "l2"').
cni_conf() {
	jq -cn --arg name "$1" --arg type "$2" --arg subnet "$3" --arg dir "$4" \
		'{cniVersion: "1.1.0", name: $name, type: $type,
		  ipam: {type: "host-local", dataDir: $dir,
			 ranges: [[{subnet: $subnet}]],
			 routes: [{dst: "0.0.0.0/0"}]}} | '"${5:-.}"
}

# cni_prev CONFIG RESULT: CONFIG with RESULT as prevResult (CHECK, DEL).
cni_prev() { jq -c --argjson r "$2" '. + {prevResult: $r}' <<<"$1"; }

# jqr JSON FILTER: one jq -r query, "" when JSON does not parse.
jqr() { jq -r "$2" <<<"$1" 2>/dev/null || true; }

# cni_hostdev CONTAINERID IFNAME: the host end's name the contract promises,
# "meta" + the first 11 hex digits of FNV-1a 64 of "CONTAINERID/IFNAME".
cni_hostdev() {
	local s="$1/$2" h=$((0xcbf29ce484222325)) i c hex
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(((h ^ c) * 0x100000001b3))
	done
	printf -v hex '%016x' "$h"
	echo "meta${hex:0:11}"
}

# cni_store DATADIR NETWORK: the addresses host-local holds, one a line.
cni_store() {
	ls "$1/$2" 2>/dev/null | grep -vE '^(lock|last_reserved_ip\..*)$' | sort || true
}

# cni_pods: meta_pods as "ADDR IFINDEX" lines (nothing when not pinned).
cni_pods() { metactl pod list 2>/dev/null | sort || true; }

# check_not_pod DESC ADDR: meta_pods has no entry for ADDR; metactl must
# list it successfully (a failed listing shows no entry either).
check_not_pod() {
	local out rc=0
	out=$(metactl pod list 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$1" "expected: metactl pod list to succeed, without $2" "seen:     exit $rc: $out"
	elif grep -q "^$2 " <<<"$out"; then
		fail "$1" "expected: no entry for $2" "seen:     $(grep "^$2 " <<<"$out")"
	else
		pass "$1"
	fi
}

# cni_meta_devs: the meta devices of the initial namespace, by name, sorted.
cni_meta_devs() { meta_devs "" | sort; }

# cni_state [DATADIR NETWORK]: what a failed or undone ADD must not change
# in the initial namespace: meta devices, addresses, routes, meta_pods and
# host-local's reservations.
cni_state() {
	echo "devices: $(cni_meta_devs | xargs)"
	ip -o addr show | awk '{ print "addr:", $2, $4 }' | sort
	ip route show table all | sed 's/^/route: /' | sort
	ip -6 route show table all | sed 's/^/route6: /' | sort
	cni_pods | sed 's/^/pod: /'
	[ $# -lt 2 ] || cni_store "$1" "$2" | sed 's/^/held: /'
}

# check_state DESC BEFORE [DATADIR NETWORK]: cni_state is what it was.
check_state() {
	local desc=$1 before=$2 now
	shift 2
	now=$(cni_state "$@")
	if [ "$before" = "$now" ]; then
		pass "$desc"
	else
		fail "$desc" "expected: state unchanged" "seen:     changes:" \
			"$(diff <(echo "$before") <(echo "$now") | grep '^[<>]')"
	fi
}

# pod_routes NS [SELF]: the routes of NS (ip -j), device names dropped and
# SELF (the pod's own address) as "SELF", sorted: comparable across pods.
pod_routes() {
	in_ns "$1" ip -j route show | jq -c --arg self "${2:-}" \
		'map(del(.dev) | if .prefsrc == $self then .prefsrc = "SELF" else . end)
		 | sort_by(.dst)'
}

# cni_list COMMAND CONFLIST CONTAINERID NETNS IFNAME [RUNTIMECONFIG]: run a
# conflist the way libcni does (Debian ships no cnitool): each plugin gets
# its own object plus the list's name and cniVersion, runtimeConfig with
# the keys of its declared capabilities, and prevResult. ADD goes in order,
# each plugin's result the next one's prevResult, and prints the last;
# CHECK in order and DEL in reverse, with $CNI_LIST_PREV (the ADD result)
# as prevResult; GC and STATUS in order (GC with $CNI_LIST_VALID as
# cni.dev/valid-attachments). Stops at the first failure (DEL goes on, as
# libcni's does not, so nothing leaks) and returns its status, its error
# JSON on stdout.
cni_list() {
	local cmd=$1 list=$2 cid=$3 ns=$4 ifname=$5 rc=${6:-"{}"} n i idx
	local prev=${CNI_LIST_PREV:-} conf out status=0 first=0
	n=$(jq '.plugins | length' <<<"$list")
	for ((i = 0; i < n; i++)); do
		idx=$i
		[ "$cmd" != DEL ] || idx=$((n - 1 - i))
		conf=$(jq -c --argjson i "$idx" --argjson rc "$rc" \
			'.plugins[$i] as $p | $p + {name, cniVersion}
			 | del(.capabilities)
			 | if ($p.capabilities // {}) != {} then
				.runtimeConfig = ($rc | with_entries(select(.key as $k
					| $p.capabilities[$k] == true)))
			   else . end' <<<"$list")
		case $cmd in
		ADD|CHECK|DEL)
			[ -z "$prev" ] || conf=$(cni_prev "$conf" "$prev") ;;
		GC)
			conf=$(jq -c --argjson v "${CNI_LIST_VALID:-[]}" \
				'. + {"cni.dev/valid-attachments": $v}' <<<"$conf") ;;
		esac
		status=0
		case $cmd in
		GC|STATUS) out=$(cni "$(jq -r .type <<<"$conf")" "$cmd" "" "" "" "$conf") || status=$? ;;
		*) out=$(cni "$(jq -r .type <<<"$conf")" "$cmd" "$cid" "$ns" "$ifname" "$conf") || status=$? ;;
		esac
		if [ "$status" -ne 0 ]; then
			[ "$first" -ne 0 ] || { first=$status; printf '%s\n' "$out"; }
			[ "$cmd" = DEL ] && continue
			return "$status"
		fi
		[ "$cmd" != ADD ] || prev=$out
	done
	[ "$cmd" != ADD ] || printf '%s\n' "$prev"
	return "$first"
}

# --- tc attach: tcx or clsact -------------------------------------------------
# kernel_has_tcx: the running kernel is 6.6 or later, where metactl tc and
# the CNI plugin's bpf.nic attach tcx links (by the version, not by asking
# the tools: the tests judge their choice).
kernel_has_tcx() {
	local v maj min
	v=$(uname -r)
	maj=${v%%.*}
	min=${v#*.}
	min=${min%%[!0-9]*}
	[ "$maj" -gt 6 ] || { [ "$maj" -eq 6 ] && [ "$min" -ge 6 ]; }
}

# tcx_pin DEV [NS]: where metactl tc / bpf.nic pin DEV's ingress tcx link.
tcx_pin() {
	local ino
	ino=$(in_ns "${2:-}" readlink /proc/self/ns/net | tr -dc 0-9)
	echo "/sys/fs/bpf/meta/tcx/${ino}_$(ifindex "${2:-}" "$1")_ingress"
}

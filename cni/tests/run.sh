#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host-side unit tests of the meta CNI plugin: everything that needs no
# meta kernel module. VERSION, every config and environment error of the
# contract (README.md, "Errors"), IPAM delegation (version negotiation,
# the IPAM's own errors, rollback through IPAM DEL) with a fake IPAM and
# Debian's host-local, idempotent DEL, GC, STATUS, CHECK preconditions.
# Checks that need a network namespace (ip netns) or a host without the
# meta module skip when they cannot run.
#
# usage: tests/run.sh PATH/TO/meta      (VALGRIND="valgrind ..." to wrap it)
# Exit status 1 if any check failed.

set -euo pipefail

META=${1:?usage: $0 PATH/TO/meta}
VALGRIND=${VALGRIND:-}
HOST_LOCAL=${HOST_LOCAL:-/usr/lib/cni/host-local}

command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }

tmp=$(mktemp -d /tmp/meta-cni-test.XXXXXX)
netns=
cleanup()
{
	[ -z "$netns" ] || ip netns del "$netns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0
failed=0
skipped=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail()
{
	local d=$1
	shift
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $d"
	printf '#   %s\n' "$@"
}
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }

# CNI PATH for the tests: host-local (when installed) and the fake IPAM.
cnipath=$tmp/bin
mkdir -p "$cnipath"
[ ! -x "$HOST_LOCAL" ] || ln -s "$HOST_LOCAL" "$cnipath/host-local"

# fake-ipam: speaks 0.3.0, 0.4.0 and 1.0.0 only (others: error 1), logs
# "COMMAND VERSION CID IFNAME", gives 10.9.0.5/24 (gw 10.9.0.1) or fails as
# the config's ipam.fail says.
cat > "$cnipath/fake-ipam" <<'EOF'
#!/bin/bash
set -euo pipefail
in=$(cat)
log=$(dirname "$0")/../ipam.log
echo "$CNI_COMMAND $(jq -r .cniVersion <<<"$in") ${CNI_CONTAINERID:-} ${CNI_IFNAME:-}" >> "$log"
v=$(jq -r .cniVersion <<<"$in")
# Called as fake-ipam11 it speaks 1.1.0 too (GC, STATUS).
v11=false
[ "${0##*/}" != fake-ipam11 ] || v11=true
case ${CNI_COMMAND}:$v:$v11 in
VERSION:*|*:0.3.0:*|*:0.4.0:*|*:1.0.0:*|*:1.1.0:true) ;;
*) echo "{\"code\":1,\"msg\":\"incompatible CNI versions: $v\"}"; exit 1 ;;
esac
case ${CNI_COMMAND}:$(jq -r '.ipam.fail // ""' <<<"$in") in
VERSION:*)
	if [ "$v11" = true ]; then
		echo '{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.4.0","1.0.0","1.1.0"]}'
	else
		echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.4.0","1.0.0"]}'
	fi ;;
STATUS:status) echo '{"code":50,"msg":"pool not ready"}'; exit 1 ;;
ADD:nogw) echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/24"}]}' ;;
ADD:selfgw) echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/32","gateway":"10.9.0.5"}]}' ;;
ADD:code) echo '{"code":11,"msg":"no addresses left","details":"pool x"}'; exit 1 ;;
ADD:garbage) echo 'panic: oops'; exit 2 ;;
ADD:*) echo '{"cniVersion":"1.0.0","ips":[{"address":"10.9.0.5/24","gateway":"10.9.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.9.0.53"]}}' ;;
*) ;;
esac
EOF
chmod +x "$cnipath/fake-ipam"
ln -s fake-ipam "$cnipath/fake-ipam11"

# run_cni STDIN VAR=VALUE...: runs the plugin with only these CNI_*
# variables; sets out (stdout) and rc.
run_cni()
{
	local in=$1
	shift
	rc=0
	out=$(env -u CNI_COMMAND -u CNI_CONTAINERID -u CNI_NETNS -u CNI_IFNAME \
		-u CNI_PATH -u CNI_ARGS "$@" $VALGRIND "$META" <<<"$in" \
		2>>"$tmp/stderr") || rc=$?
}

# expect_error DESC CODE: the last run failed with exit 1 and error CODE.
expect_error()
{
	local desc=$1 code=$2 seen
	seen=$(jq -r '"\(.code) \(.msg | length > 0) \(.cniVersion)"' <<<"$out" 2>/dev/null) ||
		seen="not JSON: $out"
	if [ "$rc" -eq 1 ] && [ "${seen%% *}" = "$code" ] &&
	   [[ $seen == *" true "* ]]; then
		pass "$desc"
	else
		fail "$desc" "expected: exit 1, code $code with a msg" \
		     "seen:     exit $rc, $(tr '\n' ' ' <<<"$out")"
	fi
}

# expect_ok DESC [OUTPUT]: exit 0 and exactly OUTPUT (default: none).
expect_ok()
{
	if [ "$rc" -eq 0 ] && [ "$out" = "${2:-}" ]; then
		pass "$1"
	else
		fail "$1" "expected: exit 0, output '${2:-}'" \
		     "seen:     exit $rc, output '$out'"
	fi
}

# expect_jq DESC FILTER EXPECTED: jq FILTER of the last output.
expect_jq()
{
	local seen
	seen=$(jq -c "$2" <<<"$out" 2>&1) || seen="jq failed: $seen on '$out'"
	if [ "$seen" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $3" "seen:     $seen (exit $rc)"
	fi
}

# conf VERSION [JQ-EXPRESSION]: a valid config (fake IPAM), modified.
conf()
{
	jq -c "${2:-.}" <<EOF
{"cniVersion": "$1", "name": "testnet", "type": "meta",
 "ipam": {"type": "fake-ipam"}}
EOF
}

add_env=(CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/proc/self/ns/net
	 CNI_IFNAME=eth0 CNI_PATH="/nonexistent:$cnipath")
del_env=(CNI_COMMAND=DEL CNI_CONTAINERID=c1 CNI_IFNAME=eth0
	 CNI_PATH="$cnipath")

# ---- VERSION ----------------------------------------------------------------

run_cni "" CNI_COMMAND=VERSION
expect_jq "VERSION without stdin: the latest version" . \
	'{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}'
run_cni '{"cniVersion":"0.4.0"}' CNI_COMMAND=VERSION
expect_jq "VERSION answers in the version asked" .cniVersion '"0.4.0"'
run_cni '{"cniVersion":"0.1.0"}' CNI_COMMAND=VERSION
expect_jq "VERSION for an unsupported version: the latest" .cniVersion '"1.1.0"'

# ---- environment ------------------------------------------------------------

c=$(conf 1.1.0)
run_cni "$c"
expect_error "no CNI_COMMAND" 4
run_cni "$c" CNI_COMMAND=FROB
expect_error "unknown CNI_COMMAND" 4
for v in CNI_CONTAINERID CNI_NETNS CNI_IFNAME CNI_PATH; do
	e=()
	for kv in "${add_env[@]}"; do [ "${kv%%=*}" = "$v" ] || e+=("$kv"); done
	run_cni "$c" "${e[@]}"
	expect_error "ADD without $v" 4
done
run_cni "$c" "${add_env[@]}" CNI_IFNAME=a/b
expect_error "CNI_IFNAME with '/'" 4
run_cni "$c" "${add_env[@]}" CNI_IFNAME=abcdefghijklmnop
expect_error "CNI_IFNAME of 16 characters" 4
run_cni "$c" "${add_env[@]}" CNI_CONTAINERID=-bad
expect_error "CNI_CONTAINERID starting with '-'" 4
run_cni "$c" "${del_env[@]/CNI_CONTAINERID=c1/CNI_CONTAINERID=}"
expect_error "DEL with an empty CNI_CONTAINERID" 4

# ---- config -----------------------------------------------------------------

run_cni '{"cniVersion": "1.1.0", "name": ' "${add_env[@]}"
expect_error "malformed JSON" 6
run_cni '[1, 2]' "${add_env[@]}"
expect_error "JSON that is not an object" 6
run_cni "$(conf 9.9.9)" "${add_env[@]}"
expect_error "cniVersion 9.9.9" 1
run_cni "$(conf 1.1.0 'del(.cniVersion)')" "${add_env[@]}"
expect_error "no cniVersion" 1
for t in 'del(.name)' 'del(.type)' 'del(.ipam)' 'del(.ipam.type)' \
	 '.name = 5' '.ipam = "host-local"' '.ipam.type = "../x"' \
	 '.mode = "l4"' '.mtu = 10' '.mtu = 65536' '.mtu = "1500"' \
	 '.bpf = 1' '.bpf = {"egress": {}}' '.bpf = {"peer": {}}' \
	 '.bpf = {"peer": {"object": "x.o", "section": "tc", "program": "p"}}' \
	 '.bpf = {"peer": {"object": "x.o", "sec": "tc"}}' \
	 '.bpf = {"registerPods": "yes"}' '.bpf = {"pinDir": "rel/dir"}' \
	 '.bpf = {"peer": []}' '.bpf = {"peer": [{"object": "x.o"}, 1]}' \
	 '.bpf = {"peer": [range(9) | {"object": "x.o"}]}' \
	 '.bpf = {"nic": {"device": "eth0", "object": "x.o", "tcMode": "both"}}' \
	 '.bpf = {"nic": {"device": "eth0", "object": "x.o", "tcMode": 1}}' \
	 '.prevResult = []'; do
	run_cni "$(conf 1.1.0 "$t")" "${add_env[@]}"
	expect_error "invalid config: $t" 7
done
run_cni "$(conf 0.4.0 '.mode = "l4"')" "${add_env[@]}"
expect_jq "an error is reported in the config's version" .cniVersion '"0.4.0"'

run_cni "$(conf 1.1.0 '.bpf = {"peer": [{"object": "a.o"}, {"object": "b.o", "program": "p"}]}')" \
	"${add_env[@]}" CNI_NETNS=/run/netns/meta-cni-test-none
expect_error "a list of programs is a valid bpf.peer (stops at the netns)" 3

# The examples are valid: ADD gets past the config and the IPAM look-up and
# stops at the missing netns. The plugin's config is what a runtime makes
# of a conflist: the plugin's object plus the list's name and cniVersion.
examples=$(dirname "$0")/../examples
for f in "$examples"/*.conflist; do
	if [ ! -x "$HOST_LOCAL" ]; then
		skip "example $(basename "$f") is valid" "no $HOST_LOCAL"
		continue
	fi
	run_cni "$(jq -c '.plugins[0] + {name, cniVersion}' "$f")" "${add_env[@]}" \
		CNI_NETNS=/run/netns/meta-cni-test-none
	expect_error "example $(basename "$f") is valid (stops at the netns)" 3
done

# ---- namespaces and IPAM lookup ---------------------------------------------

run_cni "$c" "${add_env[@]}" CNI_NETNS=/run/netns/meta-cni-test-none
expect_error "CNI_NETNS that does not exist" 3
touch "$tmp/file"
run_cni "$c" "${add_env[@]}" CNI_NETNS="$tmp/file"
expect_error "CNI_NETNS that is not a namespace" 3
run_cni "$(conf 1.1.0 '.ipam.type = "no-such-ipam"')" "${add_env[@]}"
expect_error "IPAM plugin not in CNI_PATH" 103
expect_jq "the 103 message names the IPAM" '.msg | test("no-such-ipam")' true
run_cni "$(conf 1.1.0 '.ipam.type = "no-such-ipam"')" "${del_env[@]}"
expect_error "DEL: IPAM plugin not in CNI_PATH" 103

if ip netns add "meta-cni-test-$$" 2>/dev/null; then
	netns=meta-cni-test-$$
	: > "$tmp/ipam.log"
	run_cni "$c" "${add_env[@]}" CNI_NETNS="/run/netns/$netns" CNI_IFNAME=lo
	expect_error "CNI_IFNAME already in the netns" 100
	if [ ! -s "$tmp/ipam.log" ]; then
		pass "no IPAM call when CNI_IFNAME exists"
	else
		fail "no IPAM call when CNI_IFNAME exists" "expected: empty log" \
		     "seen:     $(cat "$tmp/ipam.log")"
	fi
else
	skip "CNI_IFNAME already in the netns" "cannot create a netns"
	skip "no IPAM call when CNI_IFNAME exists" "cannot create a netns"
fi

# ---- IPAM delegation (the module is missing here: ADD fails after IPAM) --------

if [ -e /sys/module/meta ] || [ -z "$netns" ]; then
	for d in "IPAM spoken to in 1.0.0" "IPAM ADD rolled back by IPAM DEL" \
		 "1.0.0 config: no IPAM VERSION exec" \
		 "IPAM refusing 0.3.1: VERSION asked, retried in 0.3.0" \
		 "ADD without the module" "IPAM error" "IPAM error details" \
		 "IPAM garbage" "host-local error passed through" \
		 "host-local: address released after a failed ADD"; do
		skip "$d" "needs a host without the meta module and ip netns"
	done
else
	ns_env=("${add_env[@]}" CNI_NETNS="/run/netns/$netns")
	: > "$tmp/ipam.log"
	run_cni "$c" "${ns_env[@]}"
	expect_error "ADD without the module" 101
	log=$(tr '\n' ';' < "$tmp/ipam.log")
	if [ "$log" = "VERSION 1.1.0 c1 eth0;ADD 1.0.0 c1 eth0;DEL 1.0.0 c1 eth0;" ]; then
		pass "IPAM spoken to in 1.0.0"
		pass "IPAM ADD rolled back by IPAM DEL"
	else
		fail "IPAM spoken to in 1.0.0" \
		     "expected: VERSION 1.1.0 c1 eth0;ADD 1.0.0 c1 eth0;DEL 1.0.0 c1 eth0;" \
		     "seen:     $log"
		fail "IPAM ADD rolled back by IPAM DEL" "see above"
	fi

	# 1.0.0 and older configs go straight to the IPAM; VERSION is asked
	# only when it refuses the version.
	: > "$tmp/ipam.log"
	run_cni "$(conf 1.0.0)" "${ns_env[@]}"
	log=$(tr '\n' ';' < "$tmp/ipam.log")
	if [ "$log" = "ADD 1.0.0 c1 eth0;DEL 1.0.0 c1 eth0;" ]; then
		pass "1.0.0 config: no IPAM VERSION exec"
	else
		fail "1.0.0 config: no IPAM VERSION exec" \
		     "expected: ADD 1.0.0 c1 eth0;DEL 1.0.0 c1 eth0;" "seen:     $log"
	fi
	: > "$tmp/ipam.log"
	run_cni "$(conf 0.3.1)" "${ns_env[@]}"
	log=$(tr '\n' ';' < "$tmp/ipam.log")
	want="ADD 0.3.1 c1 eth0;VERSION 0.3.1 c1 eth0;ADD 0.3.0 c1 eth0;DEL 0.3.0 c1 eth0;"
	if [ "$log" = "$want" ]; then
		pass "IPAM refusing 0.3.1: VERSION asked, retried in 0.3.0"
	else
		fail "IPAM refusing 0.3.1: VERSION asked, retried in 0.3.0" \
		     "expected: $want" "seen:     $log"
	fi

	run_cni "$(conf 1.1.0 '.ipam.fail = "code"')" "${ns_env[@]}"
	expect_error "IPAM error" 11
	expect_jq "IPAM error details" '[.msg, .details]' '["no addresses left","ipam"]'
	run_cni "$(conf 1.1.0 '.ipam.fail = "garbage"')" "${ns_env[@]}"
	expect_error "IPAM garbage" 999

	if [ -x "$HOST_LOCAL" ]; then
		hl='.ipam = {"type": "host-local", "dataDir": "'$tmp/hl'",
			     "ranges": [[{"subnet": "10.77.0.0/24"}]]}'
		bad='.ipam = {"type": "host-local", "dataDir": "'$tmp/hl'",
			      "ranges": [[{"subnet": "bogus"}]]}'
		run_cni "$(conf 1.1.0 "$bad")" "${ns_env[@]}"
		expect_jq "host-local error passed through" '[.code, .msg, .details]' \
			'[999,"invalid CIDR address: bogus","ipam"]'
		run_cni "$(conf 1.1.0 "$hl")" "${ns_env[@]}"
		left=$(find "$tmp/hl" -name '10.77.*' | wc -l)
		if [ "$rc" -eq 1 ] && [ "$left" -eq 0 ]; then
			pass "host-local: address released after a failed ADD"
		else
			fail "host-local: address released after a failed ADD" \
			     "expected: exit 1, no 10.77.* in the store" \
			     "seen:     exit $rc, $left reserved: $(ls "$tmp/hl"/*)"
		fi
	else
		skip "host-local error passed through" "no $HOST_LOCAL"
		skip "host-local: address released after a failed ADD" "no $HOST_LOCAL"
	fi
fi

# ---- DEL, CHECK, GC, STATUS ---------------------------------------------------

: > "$tmp/ipam.log"
run_cni "$c" "${del_env[@]}"
expect_ok "DEL of an attachment that does not exist (no netns)"
run_cni "$c" "${del_env[@]}" CNI_NETNS=/run/netns/meta-cni-test-none
expect_ok "DEL with a netns that is gone"
prev='.prevResult = {"cniVersion": "1.1.0", "interfaces": [{"name": "eth0"}],
	"ips": [{"address": "10.9.0.5/24", "gateway": "10.9.0.1", "interface": 0}]}'
run_cni "$(conf 1.1.0 "$prev")" "${del_env[@]}"
expect_ok "DEL with a prevResult (conflist style)"
run_cni "$(conf 1.1.0 '.prevResult = {"ips": "junk"}')" "${del_env[@]}"
expect_ok "DEL with a prevResult it cannot use"
bpfc='.bpf = {"pinDir": "'$tmp/pins'", "peer": {"object": "x.bpf.o"}}'
run_cni "$(conf 1.1.0 "$bpfc | $prev")" "${del_env[@]}"
expect_ok "DEL with BPF programs and pods never pinned"
if [ ! -e "$tmp/pins" ]; then
	pass "DEL does not create the pin directory"
else
	fail "DEL does not create the pin directory" "expected: no $tmp/pins" \
	     "seen:     $(ls -la "$tmp/pins")"
fi
log=$(tr '\n' ';' < "$tmp/ipam.log")
if [ "$log" = "$(printf 'VERSION 1.1.0 c1 eth0;DEL 1.0.0 c1 eth0;%.0s' 1 2 3 4 5)" ]; then
	pass "DEL releases through IPAM DEL each time"
else
	fail "DEL releases through IPAM DEL each time" \
	     "expected: 5 x VERSION;DEL" "seen:     $log"
fi

chk_env=(CNI_COMMAND=CHECK CNI_CONTAINERID=c1 CNI_NETNS=/proc/self/ns/net
	 CNI_IFNAME=eth0 CNI_PATH="$cnipath")
run_cni "$c" "${chk_env[@]}"
expect_error "CHECK without prevResult" 7
run_cni "$(conf 0.3.1 "$prev")" "${chk_env[@]}"
expect_error "CHECK with cniVersion 0.3.1" 1
run_cni "$(conf 1.1.0 "$prev")" "${chk_env[@]}"
expect_error "CHECK of an attachment that does not exist" 105

gc='. + {"cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]}'
run_cni "$(conf 1.1.0 "$gc")" CNI_COMMAND=GC CNI_PATH="$cnipath"
expect_ok "GC with nothing to collect"
run_cni "$(conf 1.0.0 "$gc")" CNI_COMMAND=GC CNI_PATH="$cnipath"
expect_error "GC with cniVersion 1.0.0" 1
run_cni "$(conf 1.1.0 '."cni.dev/valid-attachments" = {}')" CNI_COMMAND=GC \
	CNI_PATH="$cnipath"
expect_error "GC with valid-attachments not an array" 7

run_cni "$(conf 1.1.0)" CNI_COMMAND=GC CNI_PATH="$cnipath"
expect_error "GC without cni.dev/valid-attachments (would delete everything)" 7
run_cni "$(conf 1.1.0 '."cni.dev/valid-attachments" = [{"containerID": "c1"}]')" \
	CNI_COMMAND=GC CNI_PATH="$cnipath"
expect_error "GC with an attachment lacking its ifname" 7
run_cni "$(conf 1.1.0 "$gc | .ipam.type = \"no-such-ipam\"")" CNI_COMMAND=GC \
	CNI_PATH="$cnipath"
expect_error "GC without its IPAM: goes on, then reports it" 103
: > "$tmp/ipam.log"
run_cni "$(conf 1.1.0 "$gc | .ipam.type = \"fake-ipam11\"")" CNI_COMMAND=GC \
	CNI_PATH="$cnipath"
expect_ok "GC with an IPAM that speaks 1.1.0"
log=$(tr '\n' ';' < "$tmp/ipam.log")
if [ "$log" = "VERSION 1.1.0  ;GC 1.1.0  ;" ]; then
	pass "GC is forwarded to an IPAM that speaks 1.1.0"
else
	fail "GC is forwarded to an IPAM that speaks 1.1.0" \
	     "expected: VERSION 1.1.0  ;GC 1.1.0  ;" "seen:     $log"
fi
: > "$tmp/ipam.log"
run_cni "$(conf 1.1.0 "$gc")" CNI_COMMAND=GC CNI_PATH="$cnipath"
log=$(tr '\n' ';' < "$tmp/ipam.log")
if [ "$log" = "VERSION 1.1.0  ;" ]; then
	pass "GC is not forwarded to an IPAM that does not speak 1.1.0"
else
	fail "GC is not forwarded to an IPAM that does not speak 1.1.0" \
	     "expected: VERSION 1.1.0  ;" "seen:     $log"
fi

run_cni "$(conf 1.1.0 '.ipam.type = "fake-ipam11" | .ipam.fail = "status"')" \
	CNI_COMMAND=STATUS CNI_PATH="$cnipath"
if [ -e /sys/module/meta ]; then
	expect_error "STATUS asks an IPAM that speaks 1.1.0" 50
	expect_jq "STATUS passes the IPAM's message on" .msg '"pool not ready"'
else
	skip "STATUS asks an IPAM that speaks 1.1.0" "no meta module here"
	skip "STATUS passes the IPAM's message on" "no meta module here"
fi

# ---- what ADD refuses before touching anything (the module is not needed)

run_cni "$(conf 1.1.0 '.ipMasq = true')" "${add_env[@]}"
expect_error "ipMasq is refused, not ignored" 2
run_cni "$(conf 1.1.0 '.ipMasq = true')" "${del_env[@]}"
expect_ok "DEL of a config with ipMasq"
run_cni "$(conf 1.1.0 '.stateDir = "rel"')" "${add_env[@]}"
expect_error "stateDir must be absolute" 7
for t in '{"ingressRate": 1000000}' '{"egressBurst": 80000}' \
	 '{"ingressRate": -1, "ingressBurst": 8}' '{"egressRate": "1M", "egressBurst": 1}' \
	 '{"ingressRate": 4, "ingressBurst": 80000}' '[]'; do
	run_cni "$(conf 1.1.0 ".runtimeConfig.bandwidth = $t")" "${add_env[@]}"
	expect_error "runtimeConfig.bandwidth $t is refused" 7
done
if [ -n "$netns" ] && [ ! -e /sys/module/meta ]; then
	ns_env=("${add_env[@]}" CNI_NETNS="/run/netns/$netns")
	run_cni "$(conf 1.1.0 '.ipam.fail = "nogw"')" "${ns_env[@]}"
	expect_error "IPAM result without a gateway is refused, not guessed" 7
	run_cni "$(conf 1.1.0 '.ipam.fail = "selfgw"')" "${ns_env[@]}"
	expect_error "IPAM result whose gateway is the pod's own address" 7
	run_cni "$(conf 1.1.0 ".logFile = \"$tmp/meta.log\"")" "${ns_env[@]}" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"
	if grep -q 'ADD c1 \[default/web-0\] .*meta kernel module' "$tmp/meta.log" 2>/dev/null; then
		pass "logFile: the failure, with command, container and pod"
	else
		fail "logFile: the failure, with command, container and pod" \
		     "seen: $(cat "$tmp/meta.log" 2>&1)"
	fi
else
	for d in "IPAM result without a gateway is refused, not guessed" \
		 "IPAM result whose gateway is the pod's own address" \
		 "logFile: the failure, with command, container and pod"; do
		skip "$d" "needs a host without the meta module and ip netns"
	done
fi

run_cni "$(conf 1.0.0)" CNI_COMMAND=STATUS
expect_error "STATUS with cniVersion 1.0.0" 1
run_cni "$(conf 1.1.0)" CNI_COMMAND=STATUS
if [ -e /sys/module/meta ]; then
	expect_ok "STATUS with the module loaded"
else
	expect_error "STATUS without the module" 50
fi

if [ -n "$VALGRIND" ] && grep -q '==[0-9]*==' "$tmp/stderr"; then
	fail "valgrind is silent" "seen:" "$(grep '==[0-9]*==' "$tmp/stderr" | head -20)"
elif [ -n "$VALGRIND" ]; then
	pass "valgrind is silent"
fi

echo "1..$n"
echo "# $((n - failed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

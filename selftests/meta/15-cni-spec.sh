#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The meta CNI plugin read against CNI spec 1.1 and the ptp plugin (issue
# 11): GC of attachments whose netns is gone (address, meta_pods entry and
# record released), GC's required valid-attachments, GC without its IPAM
# and forwarded to a 1.1.0 IPAM; STATUS with the module unloaded and
# through the IPAM; CHECK after tuning changed the MTU, against
# prevResult's sandbox and MAC, and ADD refusing a clashing IPAM route; a
# read-only /proc/sys; accept_ra, disable_ipv6 and keep_addr_on_down; route
# priority/table/scope; ipMasq refused; gateways never guessed; aliases
# never cut, Kubernetes pod names in them; DEL releasing the address when
# the map cleanup fails; a meta_pods entry whose ifindex was reused.
# A conflist runner (lib.sh's cni_list) chains meta with tuning.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

cni_need meta host-local tuning

store=$(mktemp -d /tmp/cni-store.XXXXXX)
state=$(mktemp -d /tmp/cni-state.XXXXXX)
bin=$(mktemp -d /tmp/cni-bin.XXXXXX)
pins=/sys/fs/bpf/meta-spec-$$
cni_at_exit "rm -rf '$store' '$state' '$bin' '$pins' '$CNI_LOG'"

# A CNI_PATH of the image's plugins and this test's IPAMs:
#  hl11   host-local that also speaks 1.1.0: it logs every command to
#         $bin/hl11.log, answers STATUS from ipam.status, GC with nothing,
#         and hands the rest to host-local in 1.0.0;
#  fixed  prints the result in ipam.result (ADD), nothing otherwise.
for p in "$CNI_PATH"/*; do ln -s "$p" "$bin/"; done
cat > "$bin/hl11" <<EOT
#!/bin/bash
in=\$(cat)
echo "\$CNI_COMMAND \${CNI_CONTAINERID:-}" >> "$bin/hl11.log"
case \$CNI_COMMAND in
VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]}'; exit 0 ;;
STATUS) s=\$(jq -c '.ipam.status // empty' <<<"\$in"); [ -z "\$s" ] || { echo "\$s"; exit 1; }; exit 0 ;;
GC) exit 0 ;;
esac
jq -c '.cniVersion = "1.0.0"' <<<"\$in" | "$CNI_PATH/host-local"
EOT
cat > "$bin/fixed" <<'EOT'
#!/bin/bash
in=$(cat)
[ "$CNI_COMMAND" != ADD ] || jq -c '.ipam.result' <<<"$in"
exit 0
EOT
chmod +x "$bin/hl11" "$bin/fixed"
CNI_PATH=$bin

# refused DESC CODE CMD...: CMD must exit 1 with error CODE; answer in $out.
refused() {
	local desc=$1 code=$2 rc=0
	shift 2
	out=$("$@") || rc=$?
	check_eq "$desc: exit 1, code $code" "1 $code" "$rc $(jqr "$out" .code)"
}

addr_of() { jqr "$1" '.ips[0].address | sub("/.*"; "")'; }
held() { cni_store "$store" "$1" | grep -x "$2" || true; }
pods_has() { cni_pods_in "$pins" | grep "^$1 " || true; }
cni_pods_in() { metactl -p "$1" pod list 2>/dev/null | sort || true; }
record() { ls "$state/$1" 2>/dev/null | grep -x "$2" || true; }

bpf=".stateDir = \"$state\" | .bpf = {pinDir: \"$pins\",
	peer: {object: \"$BPF_DIR/pass.bpf.o\"}, registerPods: true}"
conf=$(cni_conf gcnet meta 10.246.1.0/24 "$store" "$bpf")

# --- 1. GC: the pod's netns (and with it the pair) is gone -------------------
setup_ns p1 p2
ok_run "GC: ADD pod 1" r1 cni meta ADD g1 "$p1" eth0 "$conf"
ok_run "GC: ADD pod 2" r2 cni meta ADD g2 "$p2" eth0 "$conf"
ip1=$(addr_of "$r1")
ip2=$(addr_of "$r2")
check_eq "GC: ADD keeps a record of pod 1" "g1:eth0" "$(record gcnet g1:eth0)"
check_cond "GC: pod 1 registered in meta_pods" test -n "$(pods_has "$ip1")"
refused "GC without cni.dev/valid-attachments" 7 cni meta GC "" "" "" "$conf"
check_cond "GC without valid-attachments deleted nothing" link_exists "" "$(cni_hostdev g2 eth0)"
ip netns del "$p1"
check_gone "GC: pod 1's pair went with its netns" "" "$(cni_hostdev g1 eth0)"
ok_run "GC keeping pod 2" out cni meta GC "" "" "" \
	"$(jq -c '. + {"cni.dev/valid-attachments": [{containerID: "g2", ifname: "eth0"}]}' <<<"$conf")"
check_eq "GC released pod 1's address ($ip1)" "" "$(held gcnet "$ip1")"
check_eq "GC removed pod 1's meta_pods entry" "" "$(pods_has "$ip1")"
check_eq "GC removed pod 1's record" "" "$(record gcnet g1:eth0)"
check_eq "GC kept pod 2's address" "$ip2" "$(held gcnet "$ip2")"
check_cond "GC kept pod 2's pair" link_exists "" "$(cni_hostdev g2 eth0)"
# Without its IPAM, GC still removes what it can, then says why it failed.
refused "GC without its IPAM plugin" 103 cni meta GC "" "" "" \
	"$(jq -c '.ipam.type = "gone" | . + {"cni.dev/valid-attachments": []}' <<<"$conf")"
check_gone "GC without IPAM still removed pod 2's pair" "" "$(cni_hostdev g2 eth0)"
check_eq "GC without IPAM kept pod 2's record (address not released)" "g2:eth0" "$(record gcnet g2:eth0)"
ok_run "GC with the IPAM back" out cni meta GC "" "" "" \
	"$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$conf")"
check_eq "GC released pod 2's address at last" "" "$(held gcnet "$ip2")"
check_eq "GC left no record" "" "$(ls "$state/gcnet")"
# An IPAM that speaks 1.1.0 gets the GC itself.
conf11=$(jq -c '.ipam.type = "hl11" | .name = "gc11net"' <<<"$conf")
: > "$bin/hl11.log"
ok_run "GC with an IPAM that speaks 1.1.0" out cni meta GC "" "" "" \
	"$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$conf11")"
check_cond "GC was forwarded to the IPAM" grep -qx "GC " "$bin/hl11.log"

# GC and STATUS the way libcni runs them over a 1.1.0 conflist.
setup_ns p0
gclist=$(jq -c '{cniVersion, name: "gclistnet", plugins: [del(.name, .cniVersion)]}' <<<"$conf")
ok_run "conflist: ADD" r0 cni_list ADD "$gclist" g0 "$p0" eth0
ok_run "conflist: STATUS" out cni_list STATUS "$gclist" "" "" ""
CNI_LIST_VALID='[{"containerID": "g0", "ifname": "eth0"}]' \
	ok_run "conflist: GC keeping the pod" out cni_list GC "$gclist" "" "" ""
check_cond "conflist: GC kept it" link_exists "" "$(cni_hostdev g0 eth0)"
ok_run "conflist: GC of everything" out cni_list GC "$gclist" "" "" ""
check_gone "conflist: GC removed it" "" "$(cni_hostdev g0 eth0)"
check_eq "conflist: nothing held" "" "$(cni_store "$store" gclistnet | xargs)"

# --- 2. STATUS -----------------------------------------------------------------
if [ -n "$(cni_meta_devs)" ] || ! rmmod meta 2>/dev/null; then
	skip "STATUS with meta.ko installed but not loaded" "meta cannot be unloaded"
else
	cni_at_exit "modprobe meta"
	ok_run "STATUS with meta.ko installed but not loaded" out cni meta STATUS "" "" "" "$conf"
	modprobe meta
fi
refused "STATUS passes on the IPAM's own STATUS" 50 cni meta STATUS "" "" "" \
	"$(jq -c '.ipam.status = {code: 50, msg: "pool exhausted"}' <<<"$conf11")"
check_eq "STATUS: the IPAM's message" "pool exhausted" "$(jqr "$out" .msg)"
ok_run "STATUS through a ready 1.1.0 IPAM" out cni meta STATUS "" "" "" "$conf11"

# --- 3. CHECK, in a conflist with tuning ----------------------------------------
setup_ns p3
# Debian's tuning speaks up to 1.0.0: so does the list.
list=$(jq -c --arg s "$store" --arg st "$state" '{cniVersion: "1.0.0", name: "chainnet", plugins: [
	{type: "meta", mtu: 1500, stateDir: $st, ipam: {type: "host-local", dataDir: $s,
	 ranges: [[{subnet: "10.246.3.0/24"}]], routes: [{dst: "0.0.0.0/0"}]}},
	{type: "tuning", mtu: 1400, sysctl: {"net.ipv4.conf.eth0.rp_filter": "2"}}]}' <<<'{}')
ok_run "chain meta + tuning: ADD" r3 cni_list ADD "$list" c3 "$p3" eth0
check_eq "chain: tuning set the pod's MTU" 1400 "$(in_ns "$p3" cat /sys/class/net/eth0/mtu)"
CNI_LIST_PREV=$r3 ok_run "chain: CHECK after tuning changed the MTU" out cni_list CHECK "$list" c3 "$p3" eth0
CNI_LIST_PREV=$r3 ok_run "chain: DEL in reverse" out cni_list DEL "$list" c3 "$p3" eth0
check_eq "chain: nothing held" "" "$(cni_store "$store" chainnet | xargs)"
# An IPAM route to the gateway clashes with the link route ADD made to it
# (the IPAM's goes via the gateway): refused, not skipped and listed.
setup_ns p4
clash=$(cni_conf clashnet meta 10.246.4.0/24 "$store" \
	".stateDir = \"$state\" | .ipam.routes = [{dst: \"10.246.4.1/32\"}]")
before=$(cni_state "$store" clashnet)
refused "ADD: IPAM route clashing with the pod's route to the gateway" 102 \
	cni meta ADD c4 "$p4" eth0 "$clash"
check_state "ADD with a clashing route left nothing" "$before" "$store" clashnet
same=$(jq -c '.ipam.routes = [{dst: "10.246.4.0/24"}]' <<<"$clash")
ok_run "ADD: IPAM route equal to the subnet route" r4 cni meta ADD c4 "$p4" eth0 "$same"
ok_run "CHECK after it" out cni meta CHECK c4 "$p4" eth0 "$(cni_prev "$same" "$r4")"
# As ptp: prevResult must put the interface in CNI_NETNS, with its MAC.
refused "CHECK: prevResult's sandbox is another netns" 105 cni meta CHECK c4 "$p4" eth0 \
	"$(cni_prev "$same" "$(jq -c '.interfaces[1].sandbox = "/run/netns/elsewhere"' <<<"$r4")")"
refused "CHECK: prevResult's MAC differs" 105 cni meta CHECK c4 "$p4" eth0 \
	"$(cni_prev "$same" "$(jq -c '.interfaces[1].mac = "02:00:00:00:00:01"' <<<"$r4")")"
ok_run "DEL" out cni meta DEL c4 "$p4" eth0 "$(cni_prev "$same" "$r4")"

# --- 4. a read-only /proc/sys with forwarding already on ------------------------
setup_ns p5
echo 1 > /proc/sys/net/ipv4/ip_forward
ro=$(cni_conf ronet meta 10.246.5.0/24 "$store" ".stateDir = \"$state\"")
ro_add() {
	unshare -m bash -c 'mount --bind /proc/sys /proc/sys &&
		mount -o remount,bind,ro /proc/sys && exec "$@"' - "$@"
}
check_fail "the test's /proc/sys is read-only" "Read-only" \
	unshare -m bash -c 'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys &&
		echo 1 > /proc/sys/net/ipv4/ip_forward'
ok_run "ADD under a read-only /proc/sys" r5 ro_add env CNI_COMMAND=ADD CNI_CONTAINERID=c5 \
	CNI_NETNS="/run/netns/$p5" CNI_IFNAME=eth0 CNI_PATH="$bin" "$bin/meta" <<<"$ro"
ok_run "DEL" out cni meta DEL c5 "$p5" eth0 "$(cni_prev "$ro" "$r5")"

# --- 5. what ptp sets: sysctls; route fields; ipMasq ---------------------------
setup_ns p6
in_ns "$p6" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'
ds=$(cni_conf dsnet meta 10.246.6.0/24 "$store" ".stateDir = \"$state\" |
	.ipam.ranges += [[{subnet: \"fd00:246:6::/64\"}]] | .ipam.routes += [{dst: \"::/0\"}]")
ok_run "dual stack in a netns created with IPv6 disabled" r6 cni meta ADD c6 "$p6" eth0 "$ds"
host6=$(cni_hostdev c6 eth0)
check_eq "host end: accept_ra 0" 0 "$(cat "/proc/sys/net/ipv6/conf/$host6/accept_ra" 2>/dev/null)"
check_eq "pod: disable_ipv6 0 on eth0 and lo, keep_addr_on_down 1" "0 0 1" \
	"$(in_ns "$p6" cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6 /proc/sys/net/ipv6/conf/lo/disable_ipv6 \
		/proc/sys/net/ipv6/conf/eth0/keep_addr_on_down 2>/dev/null | xargs)"
check_ok "dual stack: ping the pod over IPv6" ping -c 1 -W 2 \
	"$(jqr "$r6" '.ips[] | select(.address | contains(":")) | .address | sub("/.*"; "")')"
ok_run "DEL" out cni meta DEL c6 "$p6" eth0 "$(cni_prev "$ds" "$r6")"
setup_ns p7
fixed=$(jq -c --arg st "$state" '{cniVersion: "1.1.0", name: "fixnet", type: "meta", stateDir: $st,
	ipam: {type: "fixed", result: {cniVersion: "1.1.0",
	  ips: [{address: "10.246.7.5/24", gateway: "10.246.7.1"}],
	  routes: [{dst: "10.99.0.0/16", priority: 7, table: 100},
		   {dst: "10.98.0.0/16", scope: 200, priority: 9}]}}}' <<<'{}')
ok_run "route priority, table and scope from the IPAM" r7 cni meta ADD c7 "$p7" eth0 "$fixed"
check_eq "pod: 10.99.0.0/16 via the gateway in table 100, metric 7" "10.99.0.0/16 10.246.7.1 7" \
	"$(in_ns "$p7" ip -j route show table 100 | jq -r '.[] | select(.dst == "10.99.0.0/16") | "\(.dst) \(.gateway) \(.metric)"')"
check_eq "pod: 10.98.0.0/16 scope site, metric 9" "site 9" \
	"$(in_ns "$p7" ip -j route show | jq -r '.[] | select(.dst == "10.98.0.0/16") | "\(.scope) \(.metric)"')"
ok_run "CHECK finds them" out cni meta CHECK c7 "$p7" eth0 "$(cni_prev "$fixed" "$r7")"
ok_run "DEL" out cni meta DEL c7 "$p7" eth0 "$(cni_prev "$fixed" "$r7")"
before=$(cni_state)
refused "ipMasq is refused (code 2), not ignored" 2 cni meta ADD c7 "$p7" eth0 \
	"$(jq -c '.ipMasq = true' <<<"$fixed")"
check_state "ipMasq refused: nothing made" "$before"

# --- 6. gateways are never guessed ------------------------------------------------
for g in "10.246.7.5/31 -" "10.246.7.5/32 -" "10.246.7.5/24 -" "10.246.7.5/32 10.246.7.5"; do
	set -- $g
	r=$(jq -c --arg a "$1" --arg g "$2" '.ipam.result.ips = [{address: $a} +
		(if $g == "-" then {} else {gateway: $g} end)] | .ipam.result.routes = []' <<<"$fixed")
	before=$(cni_state)
	refused "address $1, gateway $2: refused" 7 cni meta ADD c8 "$p7" eth0 "$r"
	check_state "address $1, gateway $2: nothing made" "$before"
done

# --- 7. robustness ------------------------------------------------------------------
setup_ns p9 p10
long=$(printf 'c%.0s' {1..240})
lconf=$(cni_conf longnet meta 10.246.9.0/24 "$store" ".stateDir = \"$state\"")
ok_run "ADD with a 240-character container id" r9 cni meta ADD "$long" "$p9" eth0 "$lconf"
h9=$(cni_hostdev "$long" eth0)
check_eq "an alias over 255 bytes is not set (never cut)" "" "$(cat "/sys/class/net/$h9/ifalias" 2>/dev/null)"
CNI_TEST_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web-0" \
	ok_run "ADD with a Kubernetes pod name" r10 cni meta ADD c10 "$p10" eth0 "$lconf"
h10=$(cni_hostdev c10 eth0)
check_eq "the alias names the pod" "cni:longnet:c10:eth0 pod:prod/web-0" \
	"$(cat "/sys/class/net/$h10/ifalias" 2>/dev/null)"
# A device whose alias claims another attachment than its name says.
ip link set dev "$h10" alias "cni:longnet:other:eth0"
ok_run "GC keeping both" out cni meta GC "" "" "" "$(jq -c --arg l "$long" \
	'. + {"cni.dev/valid-attachments": [{containerID: $l, ifname: "eth0"}, {containerID: "c10", ifname: "eth0"}]}' <<<"$lconf")"
check_cond "GC did not believe the forged alias" link_exists "" "$h10"
check_cond "GC kept the pod with the long id" link_exists "" "$h9"
ok_run "DEL the long id" out cni meta DEL "$long" "$p9" eth0 "$(cni_prev "$lconf" "$r9")"
ok_run "DEL c10" out cni meta DEL c10 "$p10" eth0 "$(cni_prev "$lconf" "$r10")"
check_eq "longnet holds no address" "" "$(cni_store "$store" longnet | xargs)"

# DEL releases the address although the map cleanup fails.
setup_ns p11
ok_run "ADD with pods registered" r11 cni meta ADD c11 "$p11" eth0 "$conf"
ip11=$(addr_of "$r11")
junk=$(mktemp -d /tmp/cni-junk.XXXXXX)
touch "$junk/meta_pods"
cni_at_exit "rm -rf '$junk'"
bad=$(jq -c --arg j "$junk" '.bpf.pinDir = $j' <<<"$conf")
out=$(cni meta DEL c11 "$p11" eth0 "$(cni_prev "$bad" "$r11")") && rc=0 || rc=$?
check_eq "DEL with an unusable meta_pods: fails, code 104" "1 104" "$rc $(jqr "$out" .code)"
check_eq "...but released the address" "" "$(held gcnet "$ip11")"
check_gone "...and deleted the pair" "" "$(cni_hostdev c11 eth0)"
ok_run "DEL again, with the right map" out cni meta DEL c11 "$p11" eth0 "$(cni_prev "$conf" "$r11")"
check_eq "...removes the entry" "" "$(pods_has "$ip11")"

# A stale entry whose ifindex now belongs to another device.
setup_ns p12
ok_run "ADD pod 12" r12 cni meta ADD c12 "$p12" eth0 "$conf"
ip12=$(addr_of "$r12")
idx=$(ifindex "" "$(cni_hostdev c12 eth0)")
ip netns del "$p12"
check_gone "pod 12's pair went with its netns" "" "$(cni_hostdev c12 eth0)"
ip link add "reuse$$" index "$idx" type dummy
check_eq "pod 12's entry points at the reused ifindex $idx" "$ip12 $idx" "$(pods_has "$ip12")"
ok_run "DEL pod 12 (netns gone)" out cni meta DEL c12 "$p12" eth0 "$(cni_prev "$conf" "$r12")"
check_eq "DEL removed the entry although ifindex $idx exists (a dummy)" "" "$(pods_has "$ip12")"
ip link del "reuse$$"
# --- 9. bandwidth: the capability, on the pair itself -----------------------------
setup_ns p13
bwlist=$(jq -c --arg s "$store" --arg st "$state" --arg p "$pins" --arg o "$BPF_DIR" \
	'{cniVersion: "1.1.0", name: "bwnet", plugins: [{type: "meta",
	  capabilities: {bandwidth: true}, stateDir: $st,
	  bpf: {pinDir: $p, peer: {object: "\($o)/pass.bpf.o"}, registerPods: true},
	  ipam: {type: "host-local", dataDir: $s, ranges: [[{subnet: "10.246.13.0/24"}]]}}]}' <<<'{}')
rc13='{"bandwidth": {"ingressRate": 2000000, "ingressBurst": 160000,
		     "egressRate": 3000000, "egressBurst": 240000}}'
ok_run "bandwidth: ADD with runtimeConfig.bandwidth (a conflist capability)" r13 \
	cni_list ADD "$bwlist" c13 "$p13" eth0 "$rc13"
h13=$(cni_hostdev c13 eth0)
ip13=$(addr_of "$r13")
check_cond "bandwidth: tbf of 2Mbit on the host end (what the pod receives)" \
	grep -q 'tbf 1: root.* rate 2Mbit' <<<"$(tc qdisc show dev "$h13" 2>&1)"
check_cond "bandwidth: tbf of 3Mbit on the pod end (what it sends)" \
	grep -q 'tbf 1: root.* rate 3Mbit' <<<"$(tc -n "$p13" qdisc show dev eth0 2>&1)"
check_eq "bandwidth: a pod with shaped ingress is not in meta_pods" "" "$(pods_has "$ip13")"
head -c 300000 /dev/urandom > "$state/blob"
# shaped FROM_NS TO_NS ADDR DEV_NS DEV: move the blob, print the seconds it
# took and the tbf's "Sent N bytes ... overlimits M" counters of DEV.
shaped() {
	local t0 rpid
	in_ns "$2" ./tcp_xfer recv 5032 "$state/blob.recv" &
	rpid=$!
	sleep 0.3
	t0=$EPOCHREALTIME
	in_ns "$1" ./tcp_xfer send "$3" 5032 "$state/blob" >/dev/null 2>&1 || true
	wait "$rpid" || true
	echo "$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))ms" \
		"$(in_ns "$4" tc -s qdisc show dev "$5" | grep -oE 'Sent [0-9]+ bytes|overlimits [0-9]+' | xargs)"
}
out=$(shaped "" "$p13" "$ip13" "" "$h13")
check_cond "bandwidth: 300 kB into the pod were shaped ($out)" \
	awk -v o="$out" 'BEGIN { split(o, f, " "); exit !(f[1] + 0 >= 800 && f[3] >= 300000 && f[6] > 0) }'
cmp -s "$state/blob" "$state/blob.recv" && pass "bandwidth: the data arrived intact" ||
	fail "bandwidth: the data arrived intact" "received $(stat -c %s "$state/blob.recv" 2>&1)"
out=$(shaped "$p13" "" "$(jqr "$r13" .ips[0].gateway)" "$p13" eth0)
check_cond "bandwidth: 300 kB out of the pod were shaped ($out)" \
	awk -v o="$out" 'BEGIN { split(o, f, " "); exit !(f[1] + 0 >= 500 && f[3] >= 300000 && f[6] > 0) }'
CNI_LIST_PREV=$r13 ok_run "bandwidth: DEL" out cni_list DEL "$bwlist" c13 "$p13" eth0 "$rc13"

check_eq "gcnet holds no address" "" "$(cni_store "$store" gcnet | xargs)"
check_eq "no meta device left" "" "$(cni_meta_devs | xargs)"
echo "# 15-cni-spec: ${SECONDS}s"

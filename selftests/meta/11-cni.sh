#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The meta CNI plugin (cni/README.md) driven the way runtimes drive it:
# CNI_* environment, configuration on stdin, host-local for IPAM, pods as
# network namespaces. ADD (result, devices, addresses, routes, MTU, l3 and
# l2), traffic node <-> pod <-> pod, CHECK (and CHECK noticing breakage),
# DEL (repeated, netns gone), GC, STATUS, VERSION and older spec versions,
# BPF programs and meta_pods, and Debian's ptp plugin side by side: same
# addresses, routes and reachability for the same IPAM configuration.
#
#   init ns ("node")                  pod namespaces
#   metaXXXXXXXXXXX 10.244.1.1/32 <== meta ==> eth0 10.244.1.N/24
#   route 10.244.1.N/32 dev metaX...             default via 10.244.1.1
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

cni_need meta host-local ptp

store=$(mktemp -d /tmp/cni-store.XXXXXX)
blob=/tmp/cni-blob-$$
cni_at_exit "rm -rf '$store' '$blob' '$blob.recv' '$CNI_LOG'"
head -c 1000000 /dev/urandom >"$blob"
want_sum=$(sha256sum <"$blob" | cut -d' ' -f1)

# rc_of CMD...: CMD's exit status (its output dropped).
rc_of() { local rc=0; "$@" >/dev/null 2>&1 || rc=$?; echo "$rc"; }

# tcp_transfer FROM_NS TO_NS TO_ADDR: the blob must arrive intact.
tcp_transfer() {
	local from=$1 to=$2 addr=$3 got rpid
	rm -f "$blob.recv"
	in_ns "$to" ./tcp_xfer recv 5031 "$blob.recv" &
	rpid=$!
	in_ns "$from" ./tcp_xfer send "$addr" 5031 "$blob" >/dev/null 2>&1 || true
	wait "$rpid" || true
	got=$(sha256sum <"$blob.recv" 2>/dev/null | cut -d' ' -f1)
	echo "${got:-nothing}"
}

png() { in_ns "$1" ping -c 2 -i 0.2 -W 2 "$2"; }

# v4 NS DEV: DEV's IPv4 addresses as ADDR/PREFIX, sorted.
v4() {
	in_ns "$1" ip -j addr show dev "$2" 2>/dev/null |
		jq -r '.[0].addr_info[]? | select(.family == "inet") | "\(.local)/\(.prefixlen)"' |
		sort | xargs
}

# route_count NS JQ-SELECT: how many of NS's IPv4 routes match.
route_count() { in_ns "$1" ip -j route show | jq "[.[] | select($2)] | length"; }

is_up() { in_ns "$1" ip -j link show dev "$2" 2>/dev/null | jq -e '.[0].flags | index("UP")' >/dev/null; }

# check_pod WHAT CID NS RESULT NET GW MTU MODE: everything ADD promised.
check_pod() {
	local what=$1 cid=$2 ns=$3 res=$4 net=$5 gw=$6 mtu=$7 mode=$8 host addr ip
	host=$(cni_hostdev "$cid" eth0)
	addr=$(jqr "$res" '.ips[0].address')
	ip=${addr%/*}
	check_eq "$what: result is cniVersion 1.1.0" 1.1.0 "$(jqr "$res" .cniVersion)"
	check_eq "$what: result names host end and eth0 (sandbox $ns)" \
		"$host - eth0 /run/netns/$ns 2" \
		"$(jqr "$res" '"\(.interfaces[0].name) \(.interfaces[0].sandbox // "-") \(.interfaces[1].name) \(.interfaces[1].sandbox) \(.interfaces | length)"')"
	check_eq "$what: result has one IPv4 on interface 1, gateway $gw, no version" \
		"1 1 $gw null" \
		"$(jqr "$res" '"\(.ips | length) \(.ips[0].interface) \(.ips[0].gateway) \(.ips[0].version)"')"
	check_cond "$what: address $addr is in $net.0/24" grep -qE "^${net//./\\.}\.[0-9]+/24$" <<<"$addr"
	check_eq "$what: result carries IPAM's routes" '[{"dst":"0.0.0.0/0"}]' "$(jqr "$res" '.routes | tojson')"
	check_cond "$what: host end name is meta + 11 hex digits ($host)" grep -qE '^meta[0-9a-f]{11}$' <<<"$host"
	check_eq "$what: host end is a meta primary" "meta primary" \
		"$(link_attr "" "$host" info_kind) $(link_attr "" "$host" type)"
	check_eq "$what: host end's ifalias" "cni:$(jqr "$conf_used" .name):$cid:eth0" \
		"$(cat "/sys/class/net/$host/ifalias" 2>/dev/null)"
	check_eq "$what: eth0 in the pod is the meta peer" "meta peer" \
		"$(link_attr "$ns" eth0 info_kind) $(link_attr "$ns" eth0 type)"
	check_eq "$what: mode $mode on both ends" "$mode $mode" \
		"$(link_attr "" "$host" mode) $(link_attr "$ns" eth0 mode)"
	check_eq "$what: MTU $mtu on both ends" "$mtu $mtu" \
		"$(cat "/sys/class/net/$host/mtu" 2>/dev/null) $(in_ns "$ns" cat /sys/class/net/eth0/mtu 2>/dev/null)"
	check_cond "$what: host end up" is_up "" "$host"
	check_cond "$what: eth0 up" is_up "$ns" eth0
	check_eq "$what: host end has the gateway /32" "$gw/32" "$(v4 "" "$host")"
	check_eq "$what: host route $ip/32 via the host end" 1 \
		"$(route_count "" ".dst == \"$ip\" and .dev == \"$host\"")"
	check_eq "$what: pod has $addr on eth0" "$addr" "$(v4 "$ns" eth0)"
	check_eq "$what: pod: link route to the gateway" 1 \
		"$(route_count "$ns" ".dst == \"$gw\" and .dev == \"eth0\" and .scope == \"link\"")"
	check_eq "$what: pod: subnet route via the gateway" 1 \
		"$(route_count "$ns" ".dst == \"$net.0/24\" and .gateway == \"$gw\"")"
	check_eq "$what: pod: default route via the gateway" 1 \
		"$(route_count "$ns" ".dst == \"default\" and .gateway == \"$gw\" and .dev == \"eth0\"")"
	check_cond "$what: host-local holds $ip for $cid" grep -q "^$cid" "$store/$(jqr "$conf_used" .name)/$ip"
}

setup_ns pod1 pod2 pod3

# --- ADD two pods (l3, MTU from the configuration)
conf=$(cni_conf metanet meta 10.244.1.0/24 "$store" '.mtu = 1400')
conf_used=$conf
# The plugin turns forwarding on (as ptp does): start from off.
sysctl -qw net.ipv4.ip_forward=0
ok_run "ADD pod 1" res1 cni meta ADD c1 "$pod1" eth0 "$conf"
ok_run "ADD pod 2" res2 cni meta ADD c2 "$pod2" eth0 "$conf"
check_pod "pod 1" c1 "$pod1" "$res1" 10.244.1 10.244.1.1 1400 l3
check_pod "pod 2" c2 "$pod2" "$res2" 10.244.1 10.244.1.1 1400 l3
ip1=$(jqr "$res1" '.ips[0].address | sub("/.*"; "")')
ip2=$(jqr "$res2" '.ips[0].address | sub("/.*"; "")')
check_cond "the pods got distinct addresses ($ip1, $ip2)" test "$ip1" != "$ip2"
check_eq "ip_forward set (was 0)" 1 "$(cat /proc/sys/net/ipv4/ip_forward)"
host1=$(cni_hostdev c1 eth0)
host2=$(cni_hostdev c2 eth0)

# --- traffic
check_ok "l3: ping node -> pod 1" png "" "$ip1"
check_ok "l3: ping pod 1 -> node" png "$pod1" 10.244.1.1
check_ok "l3: ping pod 1 -> pod 2" png "$pod1" "$ip2"
check_ok "l3: ping pod 2 -> pod 1" png "$pod2" "$ip1"
check_eq "l3: TCP node -> pod 1 intact" "$want_sum" "$(tcp_transfer "" "$pod1" "$ip1")"
check_eq "l3: TCP pod 1 -> pod 2 intact" "$want_sum" "$(tcp_transfer "$pod1" "$pod2" "$ip2")"

# --- l2 mode
conf_l2=$(cni_conf metanet meta 10.244.1.0/24 "$store" '.mode = "l2"')
conf_used=$conf_l2
ok_run "l2: ADD pod 3" res3 cni meta ADD c3 "$pod3" eth0 "$conf_l2"
check_pod "l2 pod 3" c3 "$pod3" "$res3" 10.244.1 10.244.1.1 1500 l2
ip3=$(jqr "$res3" '.ips[0].address | sub("/.*"; "")')
host3=$(cni_hostdev c3 eth0)
check_ok "l2: ping node -> pod 3" png "" "$ip3"
check_ok "l2: ping pod 3 -> node" png "$pod3" 10.244.1.1
check_ok "l2: ping pod 3 -> pod 1 (l3)" png "$pod3" "$ip1"
check_eq "l2: TCP pod 3 -> node intact" "$want_sum" "$(tcp_transfer "$pod3" "" 10.244.1.1)"
check_cond "l2: pod 3 resolved the gateway to the host end's MAC" \
	grep -q "lladdr $(cat "/sys/class/net/$host3/address" 2>/dev/null)" \
	<<<"$(ip -n "$pod3" neigh show 10.244.1.1)"
ok_run "l2: DEL pod 3" out cni meta DEL c3 "$pod3" eth0 "$(cni_prev "$conf_l2" "$res3")"
check_gone "l2: DEL removed the host end" "" "$host3"
check_eq "l2: DEL released $ip3" "" "$(cni_store "$store" metanet | grep -x "$ip3")"
conf_used=$conf

# --- CHECK
ok_run "CHECK pod 1 (intact)" out cni meta CHECK c1 "$pod1" eth0 "$(cni_prev "$conf" "$res1")"
ok_run "CHECK pod 2 (intact)" out cni meta CHECK c2 "$pod2" eth0 "$(cni_prev "$conf" "$res2")"
# check_cni_err DESC CODE MSG_RE: the last plugin call ($rc, $out) failed
# with exit 1, error CODE and a message matching MSG_RE.
check_cni_err() {
	local msg
	msg=$(jqr "$out" '.msg // empty' 2>/dev/null)
	if [ "$rc" = 1 ] && [ "$(jqr "$out" '.code // empty' 2>/dev/null)" = "$2" ] &&
	   grep -qE -- "$3" <<<"$msg"; then
		pass "$1"
	else
		fail "$1" "expected: exit 1, code $2, message /$3/" "seen:     exit $rc: $out"
	fi
}
out=$(cni meta CHECK c1 "$pod1" eth0 "$conf") && rc=0 || rc=$?
check_cni_err "CHECK without prevResult: invalid configuration" 7 'needs "prevResult"'
ip -n "$pod1" addr del "$ip1/24" dev eth0 || true
out=$(cni meta CHECK c1 "$pod1" eth0 "$(cni_prev "$conf" "$res1")") && rc=0 || rc=$?
check_cni_err "CHECK once the pod's address is gone: 105, names it" 105 \
	"address $ip1 missing on eth0"
ip route del "$ip2/32" dev "$host2" || true
out=$(cni meta CHECK c2 "$pod2" eth0 "$(cni_prev "$conf" "$res2")") && rc=0 || rc=$?
check_cni_err "CHECK once the host route is gone: 105, names it" 105 \
	"host route to $ip2 missing on $host2"

# --- DEL, again, and with the netns gone
ok_run "DEL pod 1" out cni meta DEL c1 "$pod1" eth0 "$(cni_prev "$conf" "$res1")"
check_gone "DEL removed pod 1's host end" "" "$host1"
check_gone "DEL removed pod 1's eth0" "$pod1" eth0
check_eq "DEL released $ip1" "" "$(cni_store "$store" metanet | grep -x "$ip1")"
before=$(cni_state "$store" metanet)
ok_run "DEL pod 1 again succeeds" out cni meta DEL c1 "$pod1" eth0 "$(cni_prev "$conf" "$res1")"
check_state "DEL pod 1 again changes nothing" "$before" "$store" metanet
ok_run "DEL pod 1 without prevResult succeeds" out cni meta DEL c1 "$pod1" eth0 "$conf"
ip netns del "$pod2"
ok_run "DEL pod 2 after its netns is gone" out \
	cni meta DEL c2 "$pod2" eth0 "$(cni_prev "$conf" "$res2")"
check_gone "pod 2's host end is gone" "" "$host2"
check_eq "DEL released $ip2" "" "$(cni_store "$store" metanet | grep -x "$ip2")"
ok_run "DEL with an empty CNI_NETNS succeeds" out cni meta DEL c2 "" eth0 "$conf"
check_eq "no meta device left" "" "$(cni_meta_devs | xargs)"

# --- GC: keeps what is listed, removes the rest of this network only
setup_ns pod4 pod5 pod6
conf_other=$(cni_conf othernet meta 10.244.2.0/24 "$store")
ok_run "GC setup: ADD pod 4" res4 cni meta ADD c4 "$pod4" eth0 "$conf"
ok_run "GC setup: ADD pod 5" res5 cni meta ADD c5 "$pod5" eth0 "$conf"
ok_run "GC setup: ADD pod 6 (another network)" res6 cni meta ADD c6 "$pod6" eth0 "$conf_other"
ip4=$(jqr "$res4" '.ips[0].address | sub("/.*"; "")')
ip5=$(jqr "$res5" '.ips[0].address | sub("/.*"; "")')
ip6=$(jqr "$res6" '.ips[0].address | sub("/.*"; "")')
gc=$(jq -c '. + {"cni.dev/valid-attachments": [{containerID: "c4", ifname: "eth0"}]}' <<<"$conf")
ok_run "GC keeping pod 4" out cni meta GC "" "" "" "$gc"
check_cond "GC kept pod 4's host end" link_exists "" "$(cni_hostdev c4 eth0)"
check_cond "GC kept pod 4's eth0" link_exists "$pod4" eth0
check_eq "GC kept pod 4's address" "$ip4" "$(cni_store "$store" metanet | grep -x "$ip4")"
check_gone "GC removed pod 5's host end" "" "$(cni_hostdev c5 eth0)"
check_gone "GC removed pod 5's eth0" "$pod5" eth0
check_eq "GC released pod 5's address" "" "$(cni_store "$store" metanet | grep -x "$ip5")"
check_cond "GC left pod 6 (othernet) alone" link_exists "" "$(cni_hostdev c6 eth0)"
check_eq "GC left othernet's address" "$ip6" "$(cni_store "$store" othernet | grep -x "$ip6")"
check_ok "ping node -> pod 4 after GC" png "" "$ip4"
ok_run "GC with no valid attachment" out cni meta GC "" "" "" \
	"$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$conf_other")"
check_gone "GC removed pod 6's host end" "" "$(cni_hostdev c6 eth0)"
check_eq "othernet holds no address" "" "$(cni_store "$store" othernet | xargs)"
ok_run "DEL pod 4" out cni meta DEL c4 "$pod4" eth0 "$(cni_prev "$conf" "$res4")"
check_eq "metanet holds no address" "" "$(cni_store "$store" metanet | xargs)"

# --- STATUS and VERSION
ok_run "STATUS with the module loaded" out cni meta STATUS "" "" "" "$conf"
ok_run "VERSION" out cni meta VERSION "" "" "" '{"cniVersion": "1.1.0"}'
check_eq "VERSION answers 1.1.0" 1.1.0 "$(jqr "$out" .cniVersion)"
check_eq "VERSION lists 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0" 5 \
	"$(jqr "$out" '[.supportedVersions[] | select(. == "0.3.0" or . == "0.3.1" or . == "0.4.0" or . == "1.0.0" or . == "1.1.0")] | unique | length')"
ok_run "VERSION asked with 0.4.0" out cni meta VERSION "" "" "" '{"cniVersion": "0.4.0"}'
check_eq "VERSION answers in 0.4.0" 0.4.0 "$(jqr "$out" .cniVersion)"

setup_ns pod7
for v in 0.3.1 0.4.0 1.0.0; do
	c=$(cni_conf metanet meta 10.244.1.0/24 "$store" ".cniVersion = \"$v\"")
	ok_run "$v: ADD" res cni meta ADD "c7-$v" "$pod7" eth0 "$c"
	check_eq "$v: result in $v" "$v" "$(jqr "$res" .cniVersion)"
	if [ "$v" = 1.0.0 ]; then want=null; else want=4; fi
	check_eq "$v: ip version field $want" "$want 1" "$(jqr "$res" '"\(.ips[0].version) \(.ips[0].interface)"')"
	check_eq "$v: host end and eth0 in the result" "$(cni_hostdev "c7-$v" eth0) eth0" \
		"$(jqr "$res" '"\(.interfaces[0].name) \(.interfaces[1].name)"')"
	check_ok "$v: ping node -> pod" png "" "$(jqr "$res" '.ips[0].address | sub("/.*"; "")')"
	# CHECK and prevResult came with 0.4.0.
	if [ "$v" = 0.3.1 ]; then
		ok_run "$v: DEL" out cni meta DEL "c7-$v" "$pod7" eth0 "$c"
	else
		ok_run "$v: CHECK" out cni meta CHECK "c7-$v" "$pod7" eth0 "$(cni_prev "$c" "$res")"
		ok_run "$v: DEL" out cni meta DEL "c7-$v" "$pod7" eth0 "$(cni_prev "$c" "$res")"
	fi
	check_eq "$v: nothing left" "" "$(cni_meta_devs | xargs)$(cni_store "$store" metanet | xargs)"
done

# --- dual stack: an IPv6 range next to the IPv4 one
setup_ns pod10
conf_ds=$(cni_conf dualnet meta 10.244.5.0/24 "$store" \
	'.ipam.ranges += [[{subnet: "fd00:244:5::/64"}]] | .ipam.routes += [{dst: "::/0"}]')
sysctl -qw net.ipv6.conf.all.forwarding=0
ok_run "dual stack: ADD" res10 cni meta ADD c10 "$pod10" eth0 "$conf_ds"
check_eq "dual stack: an IPv4 and an IPv6 address, both on interface 1" "4 1 6 1" \
	"$(jqr "$res10" '[.ips[] | "\(if (.address | contains(":")) then 6 else 4 end) \(.interface)"] | sort | join(" ")')"
a6=$(jqr "$res10" '.ips[] | select(.address | contains(":")) | .address')
ip6=${a6%/*}
host10=$(cni_hostdev c10 eth0)
check_eq "dual stack: gateway fd00:244:5::1" fd00:244:5::1 \
	"$(jqr "$res10" '.ips[] | select(.address | contains(":")) | .gateway')"
check_eq "dual stack: pod has $a6" "$a6" \
	"$(ip -n "$pod10" -6 -j addr show dev eth0 scope global | jq -r '.[0].addr_info[]? | select(.local) | "\(.local)/\(.prefixlen)"')"
check_eq "dual stack: host end has the gateway /128" fd00:244:5::1/128 \
	"$(ip -6 -j addr show dev "$host10" scope global 2>/dev/null | jq -r '.[0].addr_info[]? | select(.local) | "\(.local)/\(.prefixlen)"')"
check_eq "dual stack: host route $ip6/128 via the host end" 1 \
	"$(ip -6 -j route show | jq "[.[] | select(.dst == \"$ip6\" and .dev == \"$host10\")] | length")"
check_eq "dual stack: pod: IPv6 default route via the gateway" 1 \
	"$(ip -n "$pod10" -6 -j route show | jq '[.[] | select(.dst == "default" and .gateway == "fd00:244:5::1")] | length')"
check_ok "dual stack: ping node -> pod over IPv6" png "" "$ip6"
check_ok "dual stack: ping pod -> node over IPv6" png "$pod10" fd00:244:5::1
check_ok "dual stack: ping node -> pod over IPv4" png "" "$(jqr "$res10" '.ips[] | select(.address | contains(":") | not) | .address | sub("/.*"; "")')"
check_eq "dual stack: IPv6 forwarding set (was 0)" 1 "$(cat /proc/sys/net/ipv6/conf/all/forwarding)"
ok_run "dual stack: CHECK" out cni meta CHECK c10 "$pod10" eth0 "$(cni_prev "$conf_ds" "$res10")"
ok_run "dual stack: DEL" out cni meta DEL c10 "$pod10" eth0 "$(cni_prev "$conf_ds" "$res10")"
check_eq "dual stack: both addresses released" "" "$(cni_store "$store" dualnet | xargs)"
check_eq "dual stack: no IPv6 route to the pod left" 0 \
	"$(ip -6 -j route show | jq "[.[] | select(.dst == \"$ip6\")] | length")"

# --- BPF programs and meta_pods
setup_ns pod8 pod9
conf_bpf=$(cni_conf bpfnet meta 10.244.4.0/24 "$store" \
	".bpf = {peer: {object: \"$BPF_DIR/host_routing.bpf.o\", section: \"tc\"},
		 primary: {object: \"$BPF_DIR/pass.bpf.o\", program: \"pass\"},
		 registerPods: true}")
conf_used=$conf_bpf
ok_run "bpf: ADD pod 8" res8 cni meta ADD c8 "$pod8" eth0 "$conf_bpf"
ok_run "bpf: ADD pod 9" res9 cni meta ADD c9 "$pod9" eth0 "$conf_bpf"
check_pod "bpf pod 8" c8 "$pod8" "$res8" 10.244.4 10.244.4.1 1500 l3
ip8=$(jqr "$res8" '.ips[0].address | sub("/.*"; "")')
ip9=$(jqr "$res9" '.ips[0].address | sub("/.*"; "")')
host8=$(cni_hostdev c8 eth0)
host9=$(cni_hostdev c9 eth0)
list8=$(metactl list "$host8" 2>&1 || true)
check_cond "bpf: host_routing attached to the peer direction ($(echo $list8))" \
	grep -qE '^peer [0-9]+ host_routing$' <<<"$list8"
check_cond "bpf: pass attached to the primary direction ($(echo $list8))" \
	grep -qE '^primary [0-9]+ pass$' <<<"$list8"
id8=$(progs "" "$host8" peer 2>/dev/null || true)
check_cond "bpf: ip -d link shows peer_progs $id8" \
	grep -q "peer_progs $id8" <<<"$(ip -d link show dev "$host8")"
check_cond "bpf: meta_pods has $ip8 -> $host8" \
	grep -qx "$ip8 $(ifindex "" "$host8" 2>/dev/null)" <<<"$(cni_pods)"
check_cond "bpf: meta_pods has $ip9 -> $host9" \
	grep -qx "$ip9 $(ifindex "" "$host9" 2>/dev/null)" <<<"$(cni_pods)"
check_ok "bpf: ping pod 8 -> pod 9" png "$pod8" "$ip9"
check_ok "bpf: ping pod 8 -> node" png "$pod8" 10.244.4.1
check_ok "bpf: ping node -> pod 9" png "" "$ip9"
check_eq "bpf: TCP pod 9 -> pod 8 intact" "$want_sum" "$(tcp_transfer "$pod9" "$pod8" "$ip8")"
ok_run "bpf: CHECK pod 8" out cni meta CHECK c8 "$pod8" eth0 "$(cni_prev "$conf_bpf" "$res8")"
metactl detach "$host8" --dir peer --all || true
out=$(cni meta CHECK c8 "$pod8" eth0 "$(cni_prev "$conf_bpf" "$res8")") && rc=0 || rc=$?
check_cni_err "bpf: CHECK once the peer program is detached: 105, names it" 105 \
	"$host8: program .* is not attached \\(direction peer"
ok_run "bpf: DEL pod 8" out cni meta DEL c8 "$pod8" eth0 "$(cni_prev "$conf_bpf" "$res8")"
check_not_pod "bpf: DEL removed $ip8 from meta_pods" "$ip8"
id9=$(progs "" "$host9" peer 2>/dev/null || true)
ok_run "bpf: GC removes pod 9" out cni meta GC "" "" "" \
	"$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$conf_bpf")"
check_gone "bpf: GC removed pod 9's host end" "" "$host9"
check_not_pod "bpf: GC removed $ip9 from meta_pods" "$ip9"
# Programs are loaded once per node and stay pinned for the next pods
# (cni/README.md, "Node setup"); nothing else may hold them.
check_cond "bpf: pod 9's program (${id9:-none}) stays loaded, pinned" \
	eval '[ -n "$id9" ] && ! prog_gone "$id9" && [ -n "$(ls /sys/fs/bpf/meta/progs)" ]'
rm -rf /sys/fs/bpf/meta/progs
check_cond "bpf: without its pin pod 9's program (${id9:-none}) is released" \
	eval '[ -n "$id9" ] && prog_released "$id9"'
check_eq "bpfnet holds no address" "" "$(cni_store "$store" bpfnet | xargs)"
conf_used=$conf

# --- ptp side by side: one network (one host-local pool), two plugins
setup_ns podp podm
cmp_ptp=$(cni_conf cmpnet ptp 10.244.3.0/24 "$store" '.cniVersion = "1.0.0" | .mtu = 1400')
cmp_meta=$(jq -c '.type = "meta"' <<<"$cmp_ptp")
ok_run "ptp: ADD" resp cni ptp ADD cp "$podp" eth0 "$cmp_ptp"
ok_run "meta: ADD on the same network" resm cni meta ADD cm "$podm" eth0 "$cmp_meta"
ipp=$(jqr "$resp" '.ips[0].address | sub("/.*"; "")')
ipm=$(jqr "$resm" '.ips[0].address | sub("/.*"; "")')
vethp=$(jqr "$resp" '.interfaces[0].name')
hostm=$(cni_hostdev cm eth0)
# The result without names, MACs and the address's host part.
shape='{cniVersion, n: (.interfaces | length), sandbox: (.interfaces[1].sandbox | sub("/[^/]*$"; "")),
	ips: (.ips | map(.address |= sub("^[0-9.]+"; "ADDR"))), routes, dns}'
check_eq "ptp vs meta: same result apart from names and addresses" \
	"$(jqr "$resp" "$shape" | jq -c .)" "$(jqr "$resm" "$shape" | jq -c .)"
check_eq "ptp vs meta: same pod address prefix" \
	"$(v4 "$podp" eth0 | sed 's/.*\//\//')" "$(v4 "$podm" eth0 | sed 's/.*\//\//')"
check_eq "ptp vs meta: same pod routes" \
	"$(pod_routes "$podp" "$ipp")" "$(pod_routes "$podm" "$ipm")"
check_eq "ptp vs meta: same host end addresses" "$(v4 "" "$vethp")" "$(v4 "" "$hostm")"
host_route() { ip -j route show | jq -c --arg ip "$1" 'map(select(.dst == $ip) | del(.dev, .dst))'; }
check_eq "ptp vs meta: same host route to the pod" "$(host_route "$ipp")" "$(host_route "$ipm")"
check_eq "ptp vs meta: same MTUs" \
	"$(cat "/sys/class/net/$vethp/mtu") $(in_ns "$podp" cat /sys/class/net/eth0/mtu)" \
	"$(cat "/sys/class/net/$hostm/mtu" 2>/dev/null) $(in_ns "$podm" cat /sys/class/net/eth0/mtu 2>/dev/null)"
for dir in "node -> pod:" "pod -> node:" "pod -> other plugin's pod:"; do
	case $dir in
	node*) a=$(rc_of png "" "$ipp"); b=$(rc_of png "" "$ipm") ;;
	"pod -> node:") a=$(rc_of png "$podp" 10.244.3.1); b=$(rc_of png "$podm" 10.244.3.1) ;;
	*) a=$(rc_of png "$podp" "$ipm"); b=$(rc_of png "$podm" "$ipp") ;;
	esac
	check_eq "ptp vs meta: $dir both reach (ping exit ptp, meta)" "0 0" "$a $b"
done
check_eq "ptp pod -> meta pod: TCP intact" "$want_sum" "$(tcp_transfer "$podp" "$podm" "$ipm")"
check_eq "meta pod -> ptp pod: TCP intact" "$want_sum" "$(tcp_transfer "$podm" "$podp" "$ipp")"
ok_run "ptp: DEL" out cni ptp DEL cp "$podp" eth0 "$(cni_prev "$cmp_ptp" "$resp")"
ok_run "meta: DEL" out cni meta DEL cm "$podm" eth0 "$(cni_prev "$cmp_meta" "$resm")"
check_eq "cmpnet holds no address" "" "$(cni_store "$store" cmpnet | xargs)"
check_eq "no meta device left at the end" "" "$(cni_meta_devs | xargs)"
echo "# 11-cni: ${SECONDS}s"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kubernetes Services next to the meta CNI plugin, in plain and in BPF mode
# (issue 11, item 8): the rules kube-proxy writes, in its iptables mode
# (nft backend, as Debian's iptables) and in its nftables mode, for a ClusterIP with its endpoint on
# this node, one with its endpoint on the other node, and a NodePort
# (externalTrafficPolicy Local: the client's address is kept); a hostPort
# from Debian's portmap plugin chained after meta; pods masqueraded to the
# outside (what ip-masq-agent writes). Debian's firewall plugin chained
# after meta; its bandwidth plugin refusing the pair. Every path must work; in BPF mode
# (same_node + host_routing, stack_flows, nic_ingress) pod-to-pod traffic
# must still take the fast path (the FORWARD chain never sees it).
#
#   node A (init ns)                          node B (netns)
#   pods a1, a2: meta   wa 10.9.0.1/24 <== veth ==> wb 10.9.0.2/24   httpd "outside"
#   10.247.1.0/24                                   pod b (veth) 10.247.2.2
#   Services 10.96.0.10 (-> a2), 10.96.0.20 (-> b), NodePort 30080 (-> a2)
#   hostPort 8080 (-> a2:80, portmap)
#
# Then the node's lifecycle (item 10): the plugin loads each program once
# and attaches bpf.nic itself; after a simulated reboot (pins and the NIC's
# program gone) `meta setup` restores them and re-registers the surviving
# pods; an upgrade with another meta_pods layout migrates the map.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

cni_pods_in() { metactl -p "$1" pod list 2>/dev/null | sort || true; }

cni_need meta host-local portmap firewall bandwidth
if ! command -v iptables >/dev/null || ! iptables -t nat -L >/dev/null 2>&1; then
	skip "Services next to meta" "no working iptables in the image"
	exit 0
fi

store=$(mktemp -d /tmp/cni-store.XXXXXX)
state=$(mktemp -d /tmp/cni-state.XXXXXX)
www=$(mktemp -d /tmp/cni-www.XXXXXX)
pins=/sys/fs/bpf/meta-svc-$$
pids=()
cni_at_exit "kill \${pids[*]} 2>/dev/null; rm -rf '$store' '$state' '$www' '$pins' '$CNI_LOG'"
# The VM's node has no rules of its own: the test's go with flush_ipt.
flush_ipt() {
	local t
	for t in nat filter; do
		iptables -w -t "$t" -F
		iptables -w -t "$t" -X
	done
}
cni_at_exit "flush_ipt 2>/dev/null"

# --- the two nodes, pod b on node B -------------------------------------------
setup_ns nodeB b
ip link add wa type veth peer name wb netns "$nodeB"
cni_at_exit "ip link del wa 2>/dev/null"
ip addr add 10.9.0.1/24 dev wa
ip link set wa up
ip -n "$nodeB" addr add 10.9.0.2/24 dev wb
ip -n "$nodeB" link set wb up
old_default=$(ip route show default | head -n1)
ip route replace default via 10.9.0.2 dev wa
cni_at_exit "ip route del default via 10.9.0.2 dev wa 2>/dev/null; [ -z '$old_default' ] || ip route add $old_default 2>/dev/null"
ip route add 10.247.2.0/24 via 10.9.0.2 dev wa
ip link add vb type veth peer name eth0 netns "$b"
ip link set vb netns "$nodeB"
ip -n "$nodeB" addr add 10.247.2.1/24 dev vb
ip -n "$nodeB" link set vb up
ip -n "$b" addr add 10.247.2.2/24 dev eth0
ip -n "$b" link set eth0 up
ip -n "$b" route add default via 10.247.2.1
ip -n "$nodeB" route add 10.247.1.0/24 via 10.9.0.1
in_ns "$nodeB" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
echo 1 > /proc/sys/net/ipv4/ip_forward

# httpd NS NAME PORT: a server answering GET /cgi-bin/who with "NAME CLIENT".
httpd_in() {
	local ns=$1 name=$2 port=$3 dir=$www/$2
	mkdir -p "$dir/cgi-bin"
	# busybox httpd listens on IPv6: "[::ffff:10.9.0.2]" is 10.9.0.2.
	printf '#!/bin/bash\na=${REMOTE_ADDR#[}; a=${a%%]}; a=${a#::ffff:}\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s %%s\\n" "$a"\n' \
		"$name" > "$dir/cgi-bin/who"
	chmod +x "$dir/cgi-bin/who"
	# ip netns exec execs httpd: $! is the server itself. Its output must
	# not hold run_tests.sh's pipe open after the script.
	ip netns exec "$ns" httpd -f -p "$port" -h "$dir" </dev/null >/dev/null 2>&1 &
	pids+=($!)
}
# who NS ADDR PORT: what the server at ADDR:PORT says, "" if nothing.
who() {
	in_ns "$1" timeout 5 bash -c 'exec 5<>"/dev/tcp/$0/$1" &&
		printf "GET /cgi-bin/who HTTP/1.0\r\n\r\n" >&5 && cat <&5' "$2" "$3" 2>/dev/null |
		tr -d '\r' | tail -n 1 || true
}
httpd_in "$b" b 80
httpd_in "$nodeB" outside 80

# --- kube-proxy's rules on node A (iptables mode), and the masquerade -----------
ipt() { iptables -w "$@"; }
services() {
	local a2=$1 c
	for c in KUBE-SERVICES KUBE-NODEPORTS KUBE-POSTROUTING KUBE-MARK-MASQ \
		 KUBE-SVC-LOCAL KUBE-SEP-LOCAL KUBE-SVC-REMOTE KUBE-SEP-REMOTE KUBE-EXT-NP; do
		ipt -t nat -N "$c" 2>/dev/null || ipt -t nat -F "$c"
	done
	ipt -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
	ipt -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
	ipt -t nat -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
	ipt -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
	ipt -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
	ipt -t nat -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
	ipt -t nat -A KUBE-POSTROUTING -j MASQUERADE
	# ClusterIP 10.96.0.10:80 -> a2:80 (this node)
	ipt -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p tcp --dport 80 -j KUBE-SVC-LOCAL
	ipt -t nat -A KUBE-SVC-LOCAL ! -s 10.247.0.0/16 -d 10.96.0.10/32 -p tcp --dport 80 -j KUBE-MARK-MASQ
	ipt -t nat -A KUBE-SVC-LOCAL -j KUBE-SEP-LOCAL
	ipt -t nat -A KUBE-SEP-LOCAL -s "$a2/32" -j KUBE-MARK-MASQ
	ipt -t nat -A KUBE-SEP-LOCAL -p tcp -j DNAT --to-destination "$a2:80"
	# ClusterIP 10.96.0.20:80 -> b:80 (node B)
	ipt -t nat -A KUBE-SERVICES -d 10.96.0.20/32 -p tcp --dport 80 -j KUBE-SVC-REMOTE
	ipt -t nat -A KUBE-SVC-REMOTE ! -s 10.247.0.0/16 -d 10.96.0.20/32 -p tcp --dport 80 -j KUBE-MARK-MASQ
	ipt -t nat -A KUBE-SVC-REMOTE -j KUBE-SEP-REMOTE
	ipt -t nat -A KUBE-SEP-REMOTE -p tcp -j DNAT --to-destination 10.247.2.2:80
	# NodePort 30080 -> a2:80, externalTrafficPolicy Local (no masquerade)
	ipt -t nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
	ipt -t nat -A KUBE-NODEPORTS -p tcp --dport 30080 -j KUBE-EXT-NP
	ipt -t nat -A KUBE-EXT-NP -j KUBE-SEP-LOCAL
	# ip-masq-agent: pods to the outside
	ipt -t nat -A POSTROUTING -s 10.247.0.0/16 ! -d 10.247.0.0/16 -j MASQUERADE
	# A counter of forwarded pod-to-pod packets (the fast path skips it).
	ipt -A FORWARD -s 10.247.1.0/24 -d 10.247.2.0/24 -j ACCEPT
}
fwd_count() {
	iptables -w -v -x -n -L FORWARD | awk '$8 == "10.247.1.0/24" && $9 == "10.247.2.0/24" { print $1 }'
}

# The same in kube-proxy's nftables mode (its own table, native nft), with
# ip-masq-agent's rule and the FORWARD counter beside it.
services_nft() {
	nft -f - <<EOT
table ip kube-proxy {
	chain mark-for-masquerade { meta mark set meta mark | 0x4000; }
	chain masquerading {
		meta mark & 0x4000 == 0 return
		meta mark set meta mark ^ 0x4000
		masquerade fully-random
	}
	chain nat-prerouting { type nat hook prerouting priority dstnat; jump services; }
	chain nat-output { type nat hook output priority -100; jump services; }
	chain nat-postrouting { type nat hook postrouting priority srcnat; jump masquerading; }
	chain services {
		ip daddr 10.96.0.10 tcp dport 80 goto svc-local
		ip daddr 10.96.0.20 tcp dport 80 goto svc-remote
		fib daddr type local tcp dport 30080 goto ext-np
	}
	chain svc-local {
		ip saddr != 10.247.0.0/16 jump mark-for-masquerade
		ip saddr $1 jump mark-for-masquerade
		meta l4proto tcp dnat to $1:80
	}
	chain ext-np { meta l4proto tcp dnat to $1:80; }
	chain svc-remote {
		ip saddr != 10.247.0.0/16 jump mark-for-masquerade
		meta l4proto tcp dnat to 10.247.2.2:80
	}
}
table ip masq-agent {
	chain postrouting {
		type nat hook postrouting priority srcnat + 1
		ip saddr 10.247.0.0/16 ip daddr != 10.247.0.0/16 masquerade
	}
	chain forward {
		type filter hook forward priority filter
		ip saddr 10.247.1.0/24 ip daddr 10.247.2.0/24 counter
	}
}
EOT
}
fwd_count_nft() {
	nft list chain ip masq-agent forward | grep -oE 'counter packets [0-9]+' | grep -oE '[0-9]+$'
}
flush_nft() {
	nft delete table ip kube-proxy 2>/dev/null || true
	nft delete table ip masq-agent 2>/dev/null || true
}
cni_at_exit "flush_nft"

# --- one mode: ADD a1 and a2 through a conflist (meta + portmap), check ----------
# run_mode MODE BPF [nft]: pods a1, a2 with BPF ("null": plain mode) and
# kube-proxy's rules in iptables mode, or in nftables mode with "nft".
run_mode() {
	local mode=$1 bpf=$2 nft=${3:-} list a1 a2 r1 r2 ip1 ip2 before count=fwd_count
	setup_ns a1 a2
	list=$(jq -c --arg s "$store" --arg st "$state" --argjson bpf "$bpf" '{cniVersion: "1.0.0", name: "svcnet", plugins: [
		({type: "meta", stateDir: $st, ipam: {type: "host-local", dataDir: $s,
		  ranges: [[{subnet: "10.247.1.0/24"}]], routes: [{dst: "0.0.0.0/0"}]}}
		 + (if $bpf == null then {} else {bpf: $bpf} end)),
		{type: "portmap", capabilities: {portMappings: true}}]}' <<<'{}')
	r1=$(cni_list ADD "$list" "a1-$mode" "$a1" eth0) || true
	r2=$(cni_list ADD "$list" "a2-$mode" "$a2" eth0 \
		'{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}') || true
	ip1=$(jqr "$r1" '.ips[0].address | sub("/.*"; "")')
	ip2=$(jqr "$r2" '.ips[0].address | sub("/.*"; "")')
	check_cond "$mode: ADD a1 and a2 (meta + portmap)" test -n "$ip1" -a -n "$ip2"
	[ -n "$ip1" ] && [ -n "$ip2" ] || { echo "# $r1 $r2"; return 0; }
	httpd_in "$a2" a2 80
	if [ -n "$nft" ]; then
		# portmap's rules stay iptables (nft backend), as on such a node.
		services_nft "$ip2"
		count=fwd_count_nft
	else
		services "$ip2"
	fi
	sleep 0.5
	check_eq "$mode: pod -> ClusterIP, endpoint on this node" "a2 $ip1" "$(who "$a1" 10.96.0.10 80)"
	check_eq "$mode: pod -> ClusterIP, endpoint on the other node" "b $ip1" "$(who "$a1" 10.96.0.20 80)"
	check_eq "$mode: other node -> NodePort -> pod (client address kept)" "a2 10.9.0.2" \
		"$(who "$nodeB" 10.9.0.1 30080)"
	check_eq "$mode: other node -> hostPort (portmap) -> pod" "a2 10.9.0.2" \
		"$(who "$nodeB" 10.9.0.1 8080)"
	check_eq "$mode: pod -> outside, masqueraded" "outside 10.9.0.1" "$(who "$a1" 10.9.0.2 80)"
	before=$($count)
	check_eq "$mode: pod -> remote pod, not masqueraded" "b $ip1" "$(who "$a1" 10.247.2.2 80)"
	check_eq "$mode: pod -> pod on this node" "a2 $ip1" "$(who "$a1" "$ip2" 80)"
	if [ "$bpf" = null ]; then
		check_cond "$mode: pod -> remote pod went through FORWARD ($before -> $($count))" \
			test "$($count)" -gt "$before"
	else
		check_eq "$mode: pod -> remote pod took the fast path (FORWARD unused)" "$before" "$($count)"
	fi
	kill "${pids[@]: -1}" 2>/dev/null || true
	CNI_LIST_PREV=$r2 cni_list DEL "$list" "a2-$mode" "$a2" eth0 >/dev/null || true
	CNI_LIST_PREV=$r1 cni_list DEL "$list" "a1-$mode" "$a1" eth0 >/dev/null || true
	flush_ipt
	flush_nft
	check_eq "$mode: DEL released both addresses" "" "$(cni_store "$store" svcnet | xargs)"
}

bpfmode=$(jq -c --arg p "$pins" --arg o "$BPF_DIR" '{pinDir: $p, registerPods: true,
	peer: [{object: "\($o)/same_node.bpf.o"}, {object: "\($o)/host_routing.bpf.o"}],
	primary: {object: "\($o)/stack_flows.bpf.o"},
	viaStack: ["10.96.0.0/12", "0.0.0.0/0"], fastPath: ["10.247.0.0/16"]}' <<<'{}')
run_mode plain null
if command -v nft >/dev/null; then
	run_mode plain-nft null nft
else
	skip "kube-proxy's nftables mode, plain" "no nft in the image"
fi
mkdir -p "$pins"
metactl -p "$pins" tc attach wa ingress "$BPF_DIR/nic_ingress.bpf.o" >/dev/null
cni_at_exit "metactl tc detach wa ingress 2>/dev/null"
run_mode bpf "$bpfmode"
if command -v nft >/dev/null; then
	run_mode bpf-nft "$bpfmode" nft
else
	skip "kube-proxy's nftables mode, BPF" "no nft in the image"
fi
check_eq "bpf: meta_stack_cfg as configured" \
	"0.0.0.0/0 via|10.247.0.0/16 fast|10.96.0.0/12 via" \
	"$(metactl -p "$pins" stack list | sort | paste -sd'|')"
# --- Debian's firewall and bandwidth plugins chained after meta ---------------------
setup_ns f1
fwlist=$(jq -c --arg s "$store" --arg st "$state" '{cniVersion: "1.0.0", name: "fwnet", plugins: [
	{type: "meta", stateDir: $st, ipam: {type: "host-local", dataDir: $s,
	 ranges: [[{subnet: "10.247.3.0/24"}]], routes: [{dst: "0.0.0.0/0"}]}},
	{type: "firewall", backend: "iptables"}]}' <<<'{}')
rf=$(cni_list ADD "$fwlist" f1 "$f1" eth0) && rc=0 || rc=$?
check_eq "firewall: ADD meta + firewall" 0 "$rc"
[ "$rc" = 0 ] || echo "# $rf"
ipf=$(jqr "$rf" '.ips[0].address | sub("/.*"; "")')
check_cond "firewall: its CNI-FORWARD rules name the pod ($ipf)" \
	grep -q -- "-d ${ipf:-none}/32" <<<"$(iptables -w -S CNI-FORWARD 2>&1)"
check_ok "firewall: the node reaches the pod" ping -c 1 -W 2 "${ipf:-none}"
CNI_LIST_PREV=$rf ok_run "firewall: CHECK of the chain" out cni_list CHECK "$fwlist" f1 "$f1" eth0
CNI_LIST_PREV=$rf ok_run "firewall: DEL of the chain" out cni_list DEL "$fwlist" f1 "$f1" eth0
check_eq "firewall: its rules for the pod are gone" "" \
	"$(iptables -w -S CNI-FORWARD 2>/dev/null | grep -- "-d ${ipf:-none}/32" || true)"
flush_ipt
# The reference bandwidth plugin only shapes veth pairs: why meta has the
# capability itself (15-cni-spec).
bwref=$(jq -c '.name = "bwrefnet" | .plugins[1] = {type: "bandwidth", capabilities: {bandwidth: true}}
	| .plugins[0].ipam.ranges = [[{subnet: "10.247.4.0/24"}]]' <<<"$fwlist")
out=$(cni_list ADD "$bwref" f1 "$f1" eth0 \
	'{"bandwidth": {"ingressRate": 8000000, "ingressBurst": 80000}}') && rc=0 || rc=$?
check_eq "bandwidth (Debian's): refuses the meta pair" 1 "$rc"
echo "# Debian's bandwidth plugin says: $(jqr "$out" .msg)"
ok_run "bandwidth (Debian's): DEL of the chain cleans up" out cni_list DEL "$bwref" f1 "$f1" eth0
check_eq "bwrefnet holds no address" "" "$(cni_store "$store" bwrefnet | xargs)"

# --- node lifecycle: programs loaded once, a reboot, a new map layout -----------
# The objects are copies: touching one is an upgrade of the programs.
objs=$(mktemp -d /tmp/cni-objs.XXXXXX)
cp "$BPF_DIR"/{host_routing,stack_flows,nic_ingress}.bpf.o "$objs/"
npins=$pins-node
cni_at_exit "rm -rf '$objs' '$npins'"
node=$www/node.conflist
jq -n --arg s "$store" --arg st "$state" --arg p "$npins" --arg o "$objs" '{cniVersion: "1.0.0",
	name: "nodenet", plugins: [{type: "meta", stateDir: $st,
	  ipam: {type: "host-local", dataDir: $s, ranges: [[{subnet: "10.247.1.0/24"}]],
		 routes: [{dst: "0.0.0.0/0"}]},
	  bpf: {pinDir: $p, registerPods: true, peer: {object: "\($o)/host_routing.bpf.o"},
		primary: {object: "\($o)/stack_flows.bpf.o"},
		nic: {device: "wa", object: "\($o)/nic_ingress.bpf.o"},
		viaStack: ["10.96.0.0/12"], fastPath: ["10.247.0.0/16"]}}]}' > "$node"
nlist=$(jq -c . "$node")
setup_ns n1 n2 n3
rn1=$(cni_list ADD "$nlist" n1 "$n1" eth0) || true
rn2=$(cni_list ADD "$nlist" n2 "$n2" eth0) || true
ipn1=$(jqr "$rn1" '.ips[0].address | sub("/.*"; "")')
ipn2=$(jqr "$rn2" '.ips[0].address | sub("/.*"; "")')
check_cond "node: ADD two pods ($ipn1, $ipn2)" test -n "$ipn1" -a -n "$ipn2"
id1=$(progs "" "$(cni_hostdev n1 eth0)" peer 2>/dev/null || true)
id2=$(progs "" "$(cni_hostdev n2 eth0)" peer 2>/dev/null || true)
check_cond "node: the peer program was loaded once, both pods run id $id1" \
	test -n "$id1" -a "$id1" = "$id2"
# bpf.nic: a tcx link on 6.6+ kernels, a cls_bpf filter on clsact before
# (issue 13); never both.
if kernel_has_tcx; then nic_mode=tcx; else nic_mode=clsact; fi
nic_prog() { metactl tc show wa ingress 2>/dev/null | awk '{ print $1 }' | paste -sd' ' || true; }
nic_filter() { tc filter show dev wa ingress 2>/dev/null | grep -oE ' id [0-9]+' | grep -c . || true; }
check_eq "node: ADD attached bpf.nic to wa, as $nic_mode only" "$nic_mode" "$(nic_prog)"
if [ "$nic_mode" = tcx ]; then
	check_eq "node: ...no cls_bpf filter on wa" 0 "$(nic_filter)"
	check_cond "node: ...its link pinned at $(tcx_pin wa)" test -e "$(tcx_pin wa)"
fi
# A reboot as far as the pods that survive it can tell: bpffs pins and
# the NIC's program gone. (A real reboot also takes the pods; GC then
# collects their records: 15-cni-spec.)
rm -rf "$npins"
metactl tc detach wa ingress
check_eq "node: after the \"reboot\" meta_pods is gone" "" "$(cni_pods_in "$npins")"
out=$(/opt/cni/bin/meta setup "$node" 2>&1) && rc=0 || rc=$?
check_eq "node: meta setup exits 0 ($out)" 0 "$rc"
check_eq "node: setup attached bpf.nic again, as $nic_mode" "$nic_mode" "$(nic_prog)"
check_eq "node: setup registered the surviving pods again" \
	"$(printf '%s\n' "$ipn1 $(ifindex "" "$(cni_hostdev n1 eth0)")" "$ipn2 $(ifindex "" "$(cni_hostdev n2 eth0)")" | sort)" \
	"$(cni_pods_in "$npins")"
check_eq "node: setup restored meta_stack_cfg" "10.247.0.0/16 fast|10.96.0.0/12 via" \
	"$(metactl -p "$npins" stack list 2>/dev/null | sort | paste -sd'|')"
ipt -A FORWARD -d "$ipn1" -j ACCEPT
check_ok "node: the other node reaches pod n1" in_ns "$nodeB" ping -c 2 -W 2 "$ipn1"
check_eq "node: ...through nic_ingress, not the FORWARD chain" 0 \
	"$(iptables -w -v -x -n -L FORWARD | awk -v d="$ipn1" '$9 == d { print $1 }')"
flush_ipt
# A node upgraded from a plugin that attached bpf.nic with clsact: setup
# moves it to tcx and leaves no filter behind (on older kernels it stays
# on clsact, the same program kept).
metactl -p "$npins" tc attach wa ingress "$objs/nic_ingress.bpf.o" --tc-mode clsact >/dev/null
check_eq "node: bpf.nic as an older plugin left it: clsact" clsact "$(nic_prog)"
out=$(/opt/cni/bin/meta setup "$node" 2>&1) && rc=0 || rc=$?
check_eq "node: meta setup after the upgrade exits 0 ($out)" 0 "$rc"
check_eq "node: after setup bpf.nic is attached as $nic_mode only" "$nic_mode" "$(nic_prog)"
check_eq "node: ...with $([ $nic_mode = tcx ] && echo no || echo one) cls_bpf filter" \
	"$([ $nic_mode = tcx ] && echo 0 || echo 1)" "$(nic_filter)"
[ "$nic_mode" != tcx ] || check_eq "node: ...and the emptied clsact qdisc removed" 0 \
	"$(tc qdisc show dev wa | grep -c clsact || true)"
check_ok "node: ...and the other node still reaches pod n1 through it" in_ns "$nodeB" ping -c 1 -W 2 "$ipn1"
# An upgrade whose meta_pods has another layout than the pinned one.
rm -f "$npins/meta_pods"
mkdir -p /sys/fs/bpf/meta-svc-tmp-$$
metactl -p /sys/fs/bpf/meta-svc-tmp-$$ target set 1
mv /sys/fs/bpf/meta-svc-tmp-$$/meta_target "$npins/meta_pods"
rm -rf /sys/fs/bpf/meta-svc-tmp-$$
touch "$objs"/*.bpf.o
rn3=$(cni_list ADD "$nlist" n3 "$n3" eth0) && rc=0 || rc=$?
check_eq "node: ADD after the upgrade changed meta_pods' layout" 0 "$rc"
[ "$rc" = 0 ] || echo "# $rn3"
ipn3=$(jqr "$rn3" '.ips[0].address | sub("/.*"; "")')
check_cond "node: the old map was moved aside" compgen -G "$npins/meta_pods_old_*"
check_eq "node: the new meta_pods has all three pods" 3 "$(cni_pods_in "$npins" | grep -c . || true)"
check_ok "node: the other node reaches the new pod" in_ns "$nodeB" ping -c 1 -W 2 "${ipn3:-none}"
for i in 1 2 3; do
	eval "r=\$rn$i"
	CNI_LIST_PREV=$r cni_list DEL "$nlist" "n$i" "$(eval echo "\$n$i")" eth0 >/dev/null || true
done
metactl tc detach wa ingress 2>/dev/null || true
check_eq "node: DEL released all three" "" "$(cni_store "$store" nodenet | xargs)"

# --- every example conflist, as a runtime would run it ----------------------------
examples=${CNI_EXAMPLES:-/meta/cni/examples}
n=0
for f in "$examples"/*.conflist; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	name=$(basename "$f" .conflist)
	setup_ns ex
	list=$(jq -c --arg o "$BPF_DIR/" --arg p "$pins-ex" --arg s "$store" --arg st "$state" '
		.plugins |= map(if .type == "meta" then
			.stateDir = $st | .ipam.dataDir = $s
			| if .bpf then .bpf.pinDir = $p
			  | .bpf |= walk(if type == "object" and has("object")
				then .object |= sub("^/usr/lib/meta/bpf/"; $o) else . end)
			  else . end
			else . end)' "$f")
	res=$(cni_list ADD "$list" "ex-$name" "$ex" eth0) && rc=0 || rc=$?
	check_eq "example $name: ADD" 0 "$rc"
	[ "$rc" = 0 ] || echo "# $res"
	addr=$(jqr "$res" '.ips[0].address | sub("/.*"; "")')
	check_ok "example $name: node reaches the pod" ping -c 1 -W 2 "${addr:-none}"
	if [ "$(jqr "$list" .cniVersion)" != 0.3.1 ]; then
		run_chk=$(CNI_LIST_PREV=$res cni_list CHECK "$list" "ex-$name" "$ex" eth0) && rc=0 || rc=$?
		check_eq "example $name: CHECK" 0 "$rc"
		[ "$rc" = 0 ] || echo "# $run_chk"
	fi
	CNI_LIST_PREV=$res cni_list DEL "$list" "ex-$name" "$ex" eth0 >/dev/null && rc=0 || rc=$?
	check_eq "example $name: DEL" 0 "$rc"
	check_eq "example $name: nothing held, no device" "" \
		"$(cni_store "$store" "$(jqr "$list" .name)" | xargs)$(cni_meta_devs | xargs)"
	ip netns del "$ex"
done
check_cond "the example conflists were found ($n)" test "$n" -ge 4
rm -rf "$pins-ex"
check_eq "no meta device left" "" "$(cni_meta_devs | xargs)"
echo "# 16-cni-services: ${SECONDS}s"

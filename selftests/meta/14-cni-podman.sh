#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A real runtime on a meta network: podman (CNI backend, configured by
# selftests/vm/image.d/podman.sh) runs containers from the busybox rootfs
# /meta/rootfs on networks of type meta, one per mode (l3, the default,
# and l2). The container's eth0 is the peer end of a meta pair whose host
# end carries the container id in its ifalias; the container reaches the
# node's gateway address and the node reaches a server in the container;
# podman rm takes the pair and the address away.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

ipam_dir=/run/meta-podman-ipam
rootfs=/meta/rootfs
confs=()
# Every podman call is bounded: under TCG one takes seconds, a hung one
# must fail the test, not the VM's watchdog.
pm() { timeout 180 podman "$@"; }

podman_cleanup() {
	if command -v podman >/dev/null; then
		pm rm -a -f -t 0 >/dev/null 2>&1
	fi
	rm -f "${confs[@]}"
	rm -rf "$ipam_dir"
}
trap '_rc=$?; set +e; podman_cleanup; (exit $_rc); _cleanup' EXIT

if ! command -v podman >/dev/null; then
	skip "podman runs a container on a meta network" "no podman in the image (the host has none)"
	exit 0
fi
if [ ! -x /opt/cni/bin/meta ] || [ ! -x /opt/cni/bin/host-local ]; then
	skip "podman runs a container on a meta network" "no /opt/cni/bin/meta or host-local in the image"
	exit 0
fi
modprobe meta

# bash's /dev/tcp: the image's static busybox wget crashes in its resolver.
http_get() {
	# shellcheck disable=SC2016 # $0 is the inner shell's
	timeout 5 bash -c 'exec 5<>"/dev/tcp/$0/8080" && printf "GET / HTTP/1.0\r\n\r\n" >&5 && cat <&5' "$1" |
		tr -d '\r' | tail -n 1
}

# podman_on NETWORK MODE SUBNET: the whole story on one network ("" MODE:
# the plugin's default); SUBNET is the first three octets of a /24.
podman_on() {
	local net=$1 mode=$2 subnet=$3 gw=$3.1 t=${2:-l3}
	local conf=/etc/cni/net.d/50-$1.conflist modeline out rc cid ip sandbox host d ns body

	confs+=("$conf")
	modeline=
	[ -z "$mode" ] || printf -v modeline '\n      "mode": "%s",' "$mode"
	mkdir -p "${conf%/*}"
	cat > "$conf" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "$net",
  "plugins": [
    {
      "type": "meta",$modeline
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$subnet.0/24" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$ipam_dir"
      }
    }
  ]
}
EOT

	# --- the network as podman sees it -----------------------------

	out=$(pm network ls --format '{{.Name}} {{.Driver}}' 2>&1) || true
	check_cond "$t: podman network ls lists $net with driver meta" grep -qx "$net meta" <<<"$out"
	[ "$(grep -cx "$net meta" <<<"$out")" = 1 ] || echo "# podman network ls: $out"

	# --- a short-lived container -----------------------------------

	# The container prints its view of eth0 and pings the gateway, which is the
	# host end's /32 address.
	rc=0
	out=$(pm run --rm --network "$net" --cap-add NET_RAW --rootfs "$rootfs" \
		/bin/sh -c "ip -4 -o addr show dev eth0; ip -4 route; ping -c 2 -W 3 $gw >/dev/null && echo PING-OK" 2>&1) ||
		rc=$?
	check_eq "$t: podman run --rm on $net exits 0" 0 "$rc"
	[ "$rc" = 0 ] || printf '# %s\n' "$out"
	check_cond "$t: the container's eth0 has an address of $subnet.0/24" \
		grep -qE "eth0 +inet $subnet\.[0-9]+/24" <<<"$out"
	check_cond "$t: the container's default route goes via $gw" \
		grep -qE "^default via $gw dev eth0" <<<"$out"
	check_cond "$t: the container pings the gateway $gw" grep -qx PING-OK <<<"$out"
	check_eq "$t: no meta device left after podman run --rm" 0 "$(count_links "" meta)"
	check_eq "$t: no address left allocated after podman run --rm" "" \
		"$(find "$ipam_dir/$net" -maxdepth 1 -name "$subnet.*" 2>/dev/null)"

	# --- a server in a detached container --------------------------

	rc=0
	cid=$(pm run -d --name "web-$t" --network "$net" --rootfs "$rootfs" \
		/bin/httpd -f -p 8080 -h /www 2>&1) || rc=$?
	check_eq "$t: podman run -d with httpd exits 0" 0 "$rc"
	if [ "$rc" != 0 ]; then
		printf '# %s\n' "$cid"
		pm rm -f -t 0 "web-$t" >/dev/null 2>&1 || true
		return 0
	fi
	cid=$(tail -n 1 <<<"$cid")
	ip=$(pm inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "web-$t")
	sandbox=$(pm inspect -f '{{.NetworkSettings.SandboxKey}}' "web-$t")
	check_cond "$t: the container got an address of $subnet.0/24 ($ip)" \
		grep -qE "^$subnet\.[0-9]+$" <<<"$ip"
	check_cond "$t: its address is allocated by host-local" test -e "$ipam_dir/$net/$ip"

	# The host end: the meta device whose ifalias names this container.
	host=
	for d in $(ip -o link show type meta | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		case $(cat "/sys/class/net/$d/ifalias" 2>/dev/null) in
		"cni:$net:$cid:eth0"|"cni:$net:$cid:eth0 pod:"*) host=$d ;;
		esac
	done
	check_cond "$t: a meta host end has ifalias cni:$net:<container id>:eth0" test -n "$host"
	# With K8S_POD_* in CNI_ARGS the alias goes on with " pod:NS/NAME".
	echo "# $t: host end alias: $(cat "/sys/class/net/$host/ifalias" 2>/dev/null)"
	check_eq "$t: the host end's name is meta + FNV-1a of <container id>/eth0" \
		"$(cni_hostdev "$cid" eth0)" "$host"
	check_eq "$t: the host end is up" UP \
		"$(ip -o link show dev "$host" 2>/dev/null | grep -oE '[<,]UP[,>]' | tr -d '<,>' || true)"
	check_eq "$t: the host end has the gateway address $gw/32" "$gw/32" \
		"$(ip -4 -o addr show dev "$host" 2>/dev/null | awk '{ print $4 }')"
	check_eq "$t: the node routes $ip to the host end" "$host" \
		"$(ip -o route get "$ip" 2>/dev/null | sed -nE 's/.* dev ([^ ]+).*/\1/p')"

	# The pod end, seen through the container's network namespace.
	ns=${sandbox#/run/netns/}
	check_cond "$t: the container's network namespace exists" test -e "$sandbox"
	check_eq "$t: the container's eth0 is a meta device" meta \
		"$(link_attr "$ns" eth0 info_kind)"
	check_eq "$t: the container's eth0 is in mode $t" "$t" "$(link_attr "$ns" eth0 mode)"
	check_eq "$t: the host end is the pair's primary" primary "$(link_attr "" "$host" type)"
	check_eq "$t: ethtool -i in the container's namespace says driver meta" "driver: meta" \
		"$(in_ns "$ns" ethtool -i eth0 2>/dev/null | grep '^driver:')"
	check_eq "$t: the container's eth0 peers with the host end" "$(ifindex "" "$host" 2>/dev/null)" \
		"$(in_ns "$ns" cat /sys/class/net/eth0/iflink 2>/dev/null)"

	# The node reaches the server in the container.
	body=
	for _ in $(seq 1 30); do
		body=$(http_get "$ip" 2>/dev/null) && [ -n "$body" ] && break
		sleep 0.5
	done
	check_eq "$t: the node fetches a page from httpd in the container" meta-podman-ok "$body"
	if [ "$body" != meta-podman-ok ]; then
		{
			pm ps -a
			pm logs "web-$t"
			in_ns "$ns" busybox netstat -ltn
			ip route get "$ip"
			http_get "$ip"
		} 2>&1 | sed 's/^/# /' || true
	fi

	# --- removal ---------------------------------------------------

	check_ok "$t: podman rm -f web" pm rm -f -t 0 "web-$t"
	if [ -n "$host" ]; then
		check_gone "$t: the host end is gone after podman rm" "" "$host"
	fi
	check_cond "$t: the address $ip is released" test ! -e "$ipam_dir/$net/$ip"
	check_cond "$t: the container's network namespace is gone" test ! -e "$sandbox"
	check_eq "$t: no meta device left" 0 "$(count_links "" meta)"
}

podman_on metanet "" 10.88.7
podman_on metanet-l2 l2 10.88.8

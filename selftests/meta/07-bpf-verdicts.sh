#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# BPF programs on the transmit path: each verdict, the order programs run
# in and META_NEXT, programs overriding the default policy, a port policy,
# attaching through metactl and through `ip link set ... bpf`, and the
# per-direction verdict counters of ethtool -S.
#
#   init ns                     pod ns
#   h0 10.4.0.1/24 <== meta ==> p0 10.4.0.2/24     (programs: peer direction,
#                                                   i.e. what the pod sends)
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod
pair_up "$pod" h0 p0 10.4.0.1 10.4.0.2

pod_ping() { in_ns "$pod" ping -c 3 -i 0.2 -W 1 10.4.0.1; }
# pod_raw: 3 frames straight into p0's transmit (ping resends what the
# driver refuses, so drops are counted with these).
pod_raw() { in_ns "$pod" ./raw_send p0 3 >/dev/null; }
# Every counter of the pair: the link is quiet (l3, IPv6 off), so each
# check below knows the exact change of every one of them. A ping frame is
# 98 bytes (56 data, ICMP, IPv4, Ethernet).
S=(h0 "p0@$pod" eth:h0)
REQ3="p0.tx_packets=3 p0.tx_bytes=294 h0.rx_packets=3 h0.rx_bytes=294 h0.peer_pass=3"
REP3="h0.tx_packets=3 h0.tx_bytes=294 p0.rx_packets=3 p0.rx_bytes=294 h0.primary_pass=3"

# --- META_PASS
pass=$(attach h0 pass --dir peer)
check_cond "metactl attach prints the program id ($pass)" grep -qE '^[0-9]+$' <<<"$pass"
check_eq "the peer direction lists it" "$pass" "$(progs "" h0 peer)"
check_cond "ip -d link shows it as peer_progs" \
	grep -q "peer_progs $pass" <<<"$(ip -d link show dev h0)"
before=$(snap "${S[@]}")
check_ok "pass: the pod reaches the host" pod_ping
check_delta "pass: 3 requests counted in peer_pass, 3 replies in primary_pass" \
	"$before" "$REQ3 $REP3" "${S[@]}"
check_fail "the pod end reports no verdict counters (the host's policy)" \
	"no stats available|not supported" in_ns "$pod" ethtool -S p0

# --- META_DROP
drop=$(attach h0 drop --dir peer --replace "$pass")
check_eq "replace: the drop program took pass's place" "$drop" "$(progs "" h0 peer)"
check_cond "replace: the replaced program was released" prog_gone "$pass"
check_fail "drop: the pod cannot reach the host" "100% packet loss|No buffer" pod_ping
before=$(snap "${S[@]}")
pod_raw
check_delta "drop: 3 counted in peer_drop and p0 tx_dropped, nothing else" \
	"$before" "h0.peer_drop=3 p0.tx_dropped=3" "${S[@]}"

# --- an unknown verdict, and REDIRECT without a redirect helper
bad=$(attach h0 bad_verdict --dir peer --replace "$drop")
check_fail "verdict 42: dropped" "100% packet loss|No buffer" pod_ping
before=$(snap "${S[@]}")
pod_raw
check_delta "verdict 42: 3 counted in peer_unknown_verdict and p0 tx_dropped" \
	"$before" "h0.peer_unknown_verdict=3 p0.tx_dropped=3" "${S[@]}"
noop=$(attach h0 redirect_noop --dir peer --replace "$bad")
check_fail "REDIRECT without a helper call: dropped" "100% packet loss|No buffer" pod_ping
before=$(snap "${S[@]}")
pod_raw
check_delta "REDIRECT without a helper call: 3 counted in peer_redirect_failed and p0 tx_dropped" \
	"$before" "h0.peer_redirect_failed=3 p0.tx_dropped=3" "${S[@]}"
check_progs "the list shows what is attached (noop)" "" h0 peer "$noop"
check_ok "detach by id" metactl detach h0 --dir peer --id "$noop"
check_progs "nothing attached any more" "" h0 peer ""

# --- order and META_NEXT: the first verdict other than NEXT wins
n1=$(attach h0 next --dir peer)
d1=$(attach h0 drop --dir peer)
check_eq "append keeps the order: next, drop" "$n1 $d1" "$(progs "" h0 peer)"
check_fail "[next, drop]: dropped" "100% packet loss|No buffer" pod_ping
p1=$(attach h0 pass --dir peer --before "$d1")
check_eq "before: [next, pass, drop]" "$n1 $p1 $d1" "$(progs "" h0 peer)"
check_ok "[next, pass, drop]: pass wins" pod_ping
f1=$(attach h0 drop --dir peer --first)
check_eq "first: [drop, next, pass, drop]" "$f1 $n1 $p1 $d1" "$(progs "" h0 peer)"
check_fail "[drop, ...]: drop wins" "100% packet loss|No buffer" pod_ping
a1=$(attach h0 pass --dir peer --after "$f1")
check_eq "after: [drop, pass, next, pass, drop]" "$f1 $a1 $n1 $p1 $d1" "$(progs "" h0 peer)"
check_ok "detach all of one direction" metactl detach h0 --dir peer --all
check_progs "detach all left nothing" "" h0 peer ""
for id in $f1 $a1 $n1 $p1 $d1; do
	prog_gone "$id" || break
done
check_cond "detach all released every program" prog_gone "$id"
attach h0 next --dir peer >/dev/null
attach h0 next --dir peer >/dev/null
check_ok "[next, next]: all NEXT means forward" pod_ping
metactl detach h0 --dir peer --all

# --- programs decide instead of the policy
ip link set h0 type meta peer blackhole
check_fail "peer blackhole, no program: dropped" "100% packet loss|No buffer" pod_ping
pass=$(attach h0 pass --dir peer)
check_ok "peer blackhole with a pass program: the program decides" pod_ping
metactl detach h0 --dir peer --id "$pass"
check_fail "program detached: the policy applies again" "100% packet loss|No buffer" pod_ping
ip link set h0 type meta peer forward

# --- the primary direction: programs on what the host sends to the pod
drop=$(attach h0 drop --dir primary)
check_eq "the primary direction lists it" "$drop" "$(progs "" h0 primary)"
check_fail "primary drop: the host cannot reach the pod" "100% packet loss|No buffer" \
	ping -c 2 -W 1 10.4.0.2
before=$(snap "${S[@]}")
./raw_send h0 2 >/dev/null
check_delta "primary drop: 2 frames counted in primary_drop and h0 tx_dropped" \
	"$before" "h0.primary_drop=2 h0.tx_dropped=2" "${S[@]}"
before=$(snap "${S[@]}")
pod_ping >/dev/null 2>&1 || true
check_delta "the pod's requests still pass (its direction has no program), the replies do not" \
	"$before" "$REQ3 h0.primary_drop=3 h0.tx_dropped=3" "${S[@]}"
metactl detach h0 --dir primary --all

# --- a port policy: drop TCP to denied ports, pass the rest
# tcp_syns NS: SYNs NS sent so far (connection attempts + retransmitted SYNs).
tcp_syns() {
	in_ns "$1" awk '
		$1 == "Tcp:" && !t { for (i = 2; i <= NF; i++) tk[i] = $i; t = 1; next }
		$1 == "Tcp:" { for (i = 2; i <= NF; i++) if (tk[i] == "ActiveOpens") s += $i }
		$1 == "TcpExt:" && !x { for (i = 2; i <= NF; i++) xk[i] = $i; x = 1; next }
		$1 == "TcpExt:" { for (i = 2; i <= NF; i++) if (xk[i] == "TCPSynRetrans") s += $i }
		END { print s + 0 }' /proc/net/snmp /proc/net/netstat
}
# listening PORT: a TCP socket of this namespace listens on PORT.
listening() {
	local t=50
	while [ "$t" -gt 0 ]; do
		cat /proc/net/tcp /proc/net/tcp6 |
			awk -v p="$(printf ':%04X' "$1")" 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' &&
			return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
head -c 100000 /dev/urandom >/tmp/meta-pp.$$
pp=$(attach h0 port_policy --dir peer)
metactl port deny 5011
in_ns "" ./tcp_xfer recv 5012 /tmp/meta-pp.$$.ok &
check_ok "port policy: TCP to an allowed port goes through" \
	in_ns "$pod" ./tcp_xfer send 10.4.0.1 5012 /tmp/meta-pp.$$
wait
check_ok "...and arrives intact" cmp /tmp/meta-pp.$$ /tmp/meta-pp.$$.ok
sleep 1		# the closing handshake's last ACK
timeout 60 ./tcp_xfer recv 5011 /tmp/meta-pp.$$.no &
rpid=$!
check_cond "port policy: the denied port 5011 has a listener" listening 5011
before=$(snap "${S[@]}")
syn0=$(tcp_syns "$pod")
rc=0
timeout 5 ip netns exec "$pod" ./tcp_xfer send 10.4.0.1 5011 /tmp/meta-pp.$$ >/dev/null 2>&1 || rc=$?
syns=$(($(tcp_syns "$pod") - syn0))
check_eq "port policy: TCP to a denied port hangs until the 5 s timeout" 124 "$rc"
check_cond "port policy: the pod sent SYNs ($syns)" test "$syns" -ge 1
check_delta "port policy: each SYN dropped (peer_drop, p0 tx_dropped), nothing else" \
	"$before" "h0.peer_drop=$syns p0.tx_dropped=$syns" "${S[@]}"
# (the receiver creates its file when it accepts a connection)
check_cond "port policy: nothing arrived (no connection accepted)" \
	test ! -e /tmp/meta-pp.$$.no
kill "$rpid" 2>/dev/null || true
wait || true
metactl detach h0 --dir peer --id "$pp"
metactl port allow 5011
rm -f /tmp/meta-pp.$$*

# --- the same through iproute2
check_ok "ip link set ... bpf OBJ attaches" \
	ip link set h0 type meta bpf "$BPF_DIR/drop.bpf.o" sec tc dir peer
ipid=$(progs "" h0 peer)
check_cond "ip -d link shows the id ip attached ($ipid)" \
	grep -q "peer_progs $ipid" <<<"$(ip -d link show dev h0)"
check_fail "the iproute2-attached drop program drops" "100% packet loss|No buffer" pod_ping
check_ok "ip link set ... detach id ID" ip link set h0 type meta detach dir peer id "$ipid"
check_cond "detached through ip: released" prog_gone "$ipid"
check_ok "traffic flows again" pod_ping

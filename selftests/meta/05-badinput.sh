#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input is refused with an explanatory (extack) message, and afterwards
# no device of the refused request exists, half a pair included. Requests
# iproute2 would never build come from meta_nl. The kernel log is checked
# for warnings by lib.sh at the end.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod

# refused DESC MESSAGE-PATTERN CMD...: CMD fails with MESSAGE and no meta
# device is left anywhere we look.
refused() {
	local desc=$1 msg=$2
	shift 2
	check_fail "$desc" "$msg" "$@"
	local left
	left="$(count_links "" meta)/$(count_links "$pod" meta)"
	check_eq "$desc: nothing left behind (init/pod meta devices)" "0/0" "$left"
}

# --- values out of range or of the wrong kind (kernel-side checks)
refused "mode 5 refused" "integer out of range" \
	"$META_NL" --mode 5 --peer p0 create h0
refused "policy 3 refused" "policy must be forward \(0\) or blackhole \(2\)" \
	"$META_NL" --policy 3 --peer p0 create h0
refused "peer policy 1 refused" "policy must be forward" \
	"$META_NL" --peer-policy 1 --peer p0 create h0
refused "scrub 9 refused" "integer out of range" \
	"$META_NL" --scrub 9 --peer p0 create h0
refused "read-only primary attribute refused" "primary attribute is read-only" \
	"$META_NL" --primary 1 --peer p0 create h0
refused "unknown attribute refused" "Unknown attribute type" \
	"$META_NL" --attr 40:4 --peer p0 create h0
refused "attribute of the wrong size refused" "invalid attribute length" \
	"$META_NL" --attr 3:8 --peer p0 create h0
refused "attribute type 0 refused" "Unknown attribute type" \
	"$META_NL" --attr 0:4 --peer p0 create h0
refused "headroom above 512 refused" "integer out of range" \
	"$META_NL" --headroom 513 --peer p0 create h0
refused "headroom 65535 refused" "integer out of range" \
	"$META_NL" --headroom 65535 --peer p0 create h0
refused "tailroom above 512 refused" "integer out of range" \
	"$META_NL" --tailroom 513 --peer p0 create h0
check_ok "headroom and tailroom 512 accepted" \
	"$META_NL" --headroom 512 --tailroom 512 --peer p0 create h0
check_eq "...and applied to both ends" "512 512 512 512" \
	"$(for d in h0 p0; do link_attr "" $d headroom; link_attr "" $d tailroom; done | xargs)"
ip link del h0
refused "a negative peer ifindex refused" "peer's ifindex must not be negative|ifindex can't be negative" \
	"$META_NL" --peer-index p0:-5 create h0
refused "duplicate peer info refused" "given more than once" \
	"$META_NL" --peer p0 --peer p1 create h0
refused "duplicate mode refused" "given more than once" \
	"$META_NL" --mode 1 --mode 0 --peer p0 create h0
refused "truncated peer info refused" "[a-z]+.*" \
	"$META_NL" --peer-raw 4 create h0
check_cond "truncated peer info: the error carries a message" \
	bash -c "! '$META_NL' --peer-raw 4 create h0 | grep -q 'no extack message'"
refused "garbage peer info refused" "malformed|policy|invalid|Invalid" \
	"$META_NL" --peer-raw 40 create h0
refused "over-long peer name refused" "[a-z]+" \
	"$META_NL" --peer peer-name-far-too-long-for-ifnamsiz create h0
check_cond "over-long peer name: the error carries a message" \
	bash -c "! '$META_NL' --peer peer-name-far-too-long-for-ifnamsiz create h0 | grep -q 'no extack message'"

# --- iproute2 refuses words it does not know, before asking the kernel
refused "ip: unknown mode word refused" "mode must be|is wrong" \
	ip link add h0 type meta mode l4 peer name p0
refused "ip: unknown policy word refused" "unknown option|is wrong|Usage|usage" \
	ip link add h0 type meta sinkhole peer name p0

# --- MAC addresses that make no sense
refused "MAC on an l3 primary refused" "no MAC address" \
	ip link add h0 address 02:00:00:00:cc:01 type meta peer name p0
refused "MAC on an l3 peer refused" "no MAC address" \
	ip link add h0 type meta peer name p0 address 02:00:00:00:cc:02
refused "multicast peer MAC refused" "unicast and non-zero" \
	ip link add h0 type meta mode l2 peer name p0 address 01:00:5e:00:00:01

# --- names already taken: no half pair may survive
ip link add taken type dummy
refused "peer name that exists already refused" "exists" \
	ip link add h0 type meta peer name taken
check_cond "the existing device is untouched" link_exists "" taken
refused "primary name that exists already refused" "exists" \
	ip link add taken type meta peer name p0
check_cond "no orphan peer p0 was left" bash -c "! ip link show dev p0"
ip link add h1 type meta peer name p1 netns "$pod"
ip -n "$pod" link add taken2 type dummy
check_fail "peer name taken inside the peer's namespace refused" "exists" \
	ip link add h2 type meta peer name taken2 netns "$pod"
check_cond "no primary h2 was left" bash -c "! ip link show dev h2"
check_eq "only the earlier pair remains" "1/1" "$(count_links "" meta)/$(count_links "$pod" meta)"
ip link del h1

# --- a peer namespace that does not exist
refused "peer in a nonexistent namespace refused" "[A-Za-z]" \
	ip link add h0 type meta peer name p0 netns 2147483646

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module itself: the kernel loads it on first use of the "meta" link
# kind, it identifies itself to ethtool, and unloading it with pairs alive
# removes every pair, in every namespace, without a warning.
# shellcheck source=lib.sh disable=SC2154
source ./lib.sh

setup_ns pod

if grep -q '^meta ' /proc/modules; then
	rmmod meta
fi
check_ok "'ip link add type meta' autoloads the module" \
	ip link add h0 type meta peer name p0 netns "$pod"
check_cond "meta is loaded after first use" grep -q '^meta ' /proc/modules
check_eq "ethtool -i reports the driver" "driver: meta" \
	"$(ethtool -i h0 | grep '^driver:')"
check_eq "ethtool -i reports the module version" \
	"version: $(cat /sys/module/meta/version)" \
	"$(ethtool -i h0 | grep '^version:')"
check_eq "ethtool -i works on the peer end" "driver: meta" \
	"$(in_ns "$pod" ethtool -i p0 | grep '^driver:')"

# Pairs in several states: l2 and l3, up and down, across namespaces.
ip link add h1 type meta mode l2 peer name p1
ip link set h1 up
ip link set p1 up
ip link add h2 type meta peer name p2 netns "$pod"
ip addr add 10.99.0.1/24 dev h1
check_ok "rmmod with live pairs succeeds" rmmod meta
check_eq "no meta device left in the initial namespace" 0 "$(count_links "" meta)"
check_eq "no meta device left in the pod namespace" 0 "$(count_links "$pod" meta)"
check_ok "modprobe meta loads it again" modprobe meta
check_ok "a pair can be created after the reload" \
	ip link add h3 type meta peer name p3
ip link del h3

# SPDX-License-Identifier: GPL-2.0
#
# Image part (sourced by mkinitramfs.sh): the CNI plugins for the selftests
# 11-cni to 15-cni-spec. /opt/cni/bin gets the meta plugin
# (make cni) and Debian's reference plugins the tests use next to it:
# host-local for IPAM, ptp as the behaviour meta's l3 mode is compared with,
# loopback for runtimes that set up lo. jq reads the plugins' JSON results.
# shellcheck shell=bash disable=SC2154

cni_dir=/opt/cni/bin

if [ -x "$META_BUILD/cni/meta" ]; then
	copy_binary "$META_BUILD/cni/meta" "$cni_dir/meta"
elif [ -n "$strict" ]; then
	die "$META_BUILD/cni/meta missing (make cni)"
else
	log "warning: $META_BUILD/cni/meta missing, the image has no meta CNI plugin"
fi

# The example conflists, which 16-cni-services runs one by one.
mkdir -p "$root/meta/cni"
cp -a "$META_REPO/cni/examples" "$root/meta/cni/examples"

# Debian's containernetworking-plugins (scripts/deps-cni.txt): host-local
# and static for IPAM, ptp to compare with, loopback, and the chained
# plugins of 15-cni-spec and 16-cni-services (tuning, portmap, firewall,
# bandwidth).
for p in host-local static ptp loopback tuning portmap firewall bandwidth; do
	if [ -x "/usr/lib/cni/$p" ]; then
		copy_binary "/usr/lib/cni/$p" "$cni_dir/$p"
	elif [ -n "$strict" ]; then
		die "/usr/lib/cni/$p missing (containernetworking-plugins)"
	else
		log "warning: /usr/lib/cni/$p missing, CNI tests will skip"
	fi
done

if command -v jq >/dev/null; then
	copy_binary "$(command -v jq)" /usr/bin/jq
elif [ -n "$strict" ]; then
	die "jq missing on the host"
else
	log "warning: no jq on the host, CNI tests will skip"
fi

# 15-cni-spec runs the plugin under a read-only /proc/sys: util-linux's
# unshare and mount (busybox's cannot remount a bind mount read-only).
for b in /usr/bin/unshare /usr/bin/mount /usr/bin/umount; do
	[ ! -x "$b" ] || copy_binary "$b" "$b"
done

# iptables as Debian has it (the nft backend) with its extensions, and the
# netfilter modules kube-proxy's rules (16-cni-services) and portmap need;
# sch_tbf for the bandwidth capability (15-cni-spec).
# iptables loads them through the kernel's module autoloading.
if [ -x /usr/sbin/xtables-nft-multi ]; then
	copy_binary /usr/sbin/xtables-nft-multi
	for b in iptables ip6tables iptables-save iptables-restore \
		 ip6tables-save ip6tables-restore; do
		ln -sf xtables-nft-multi "$root/usr/sbin/$b"
	done
	for x in /usr/lib/*/xtables/*.so; do
		copy_file "$x"
		copy_libs "$x"
	done
	for m in nf_tables nft_compat nft_chain_nat nft_nat nft_masq nft_ct \
		 nft_counter nft_limit nf_nat nf_conntrack xt_nat xt_MASQUERADE \
		 xt_conntrack xt_comment xt_mark xt_addrtype xt_statistic \
		 xt_multiport xt_tcpudp xt_CHECKSUM xt_set ip_set nft_fib \
		 nft_fib_ipv4 nft_fib_inet sch_tbf; do
		copy_module_deps "$m" || log "note: kernel $kver has no module $m"
	done
	depmod -b "$root" "$kver"
elif [ -n "$strict" ]; then
	die "no /usr/sbin/xtables-nft-multi (iptables)"
fi
# nft, for kube-proxy's nftables mode.
if [ -x /usr/sbin/nft ]; then
	copy_binary /usr/sbin/nft
elif [ -n "$strict" ]; then
	die "no /usr/sbin/nft (nftables)"
fi

# host-local's default store; the tests pass their own dataDir anyway.
mkdir -p "$root/var/lib/cni/networks"
unset cni_dir p b x m

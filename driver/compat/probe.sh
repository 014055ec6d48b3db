#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print a -DMETA_HAVE_<FEATURE> compiler flag for every kernel API the target
# kernel provides. Probing the headers instead of comparing version numbers
# means distribution backports (Debian's, RHEL's...) are handled correctly.
#
# usage: probe.sh SRCTREE
#   SRCTREE  the kernel source or headers tree the module is built against
#            (Kbuild's $(srctree); Debian splits it into -common and arch
#            directories, the declarations we need are in -common)

src=${1:?usage: probe.sh SRCTREE}
inc="$src/include"

have() { printf ' -DMETA_HAVE_%s' "$1"; }
hdr()  { grep -qsE "$2" "$inc/$1"; }

# 6.15: newlink() takes its arguments packed in struct rtnl_newlink_params.
hdr net/rtnetlink.h 'struct rtnl_newlink_params \{' && have NEWLINK_PARAMS
# 6.15: the core resolves the peer's netns for drivers that declare peer_type.
hdr net/rtnetlink.h '[[:space:]]peer_type;' && have LINK_OPS_PEER_TYPE
# 6.5 (and stable backports): bounds-checked parser for nested ifinfomsg.
hdr net/rtnetlink.h 'int rtnl_nla_parse_ifinfomsg\(' && have NLA_PARSE_IFINFOMSG
# 6.2 (and backports): rtnl_configure_link() also takes portid and nlh.
grep -sA1 'int rtnl_configure_link(' "$inc/net/rtnetlink.h" | grep -q portid &&
	have CONFIGURE_LINK_PORTID
# 5.11: nla_strlcpy() was renamed nla_strscpy().
hdr net/netlink.h 'nla_strscpy\(' && have NLA_STRSCPY
# 6.12: NETIF_F_LLTX became the dev->lltx bit.
hdr linux/netdevice.h '[[:space:]]lltx:1;' && have LLTX_FIELD
# 6.7 (and backports): the core allocates dev->tstats for drivers that ask.
hdr linux/netdevice.h 'NETDEV_PCPU_STAT_TSTATS' && have PCPU_STAT_TYPE
# 5.18: per-CPU core drop counters replace the atomic dev->tx_dropped.
hdr linux/netdevice.h 'DEV_CORE_STATS_INC\(tx_dropped\)' && have CORE_STATS
# 5.11: tx twin of dev_sw_netstats_rx_add().
hdr linux/netdevice.h 'void dev_sw_netstats_tx_add\(' && have SW_NETSTATS_TX_ADD
# 6.0: TSO size limits are separate from the GSO ones.
hdr linux/netdevice.h 'void netif_inherit_tso_max\(' && have TSO_MAX
# 5.18: netif_rx() split; __netif_rx() is for callers with BH disabled.
hdr linux/netdevice.h 'int __netif_rx\(' && have __NETIF_RX
# 5.16: netfilter egress hook and the skb bit that skips it.
hdr linux/netfilter_netdev.h 'nf_skip_egress\(' && have NF_SKIP_EGRESS
# 5.18: skb timestamps carry a clock base; clearing them has a helper.
hdr linux/skbuff.h 'void skb_clear_tstamp\(' && have SKB_CLEAR_TSTAMP

# BPF redirect state: per-CPU up to 6.10, in current->bpf_net_context after.
hdr linux/filter.h 'struct bpf_net_context \{' && have BPF_NET_CTX
hdr linux/filter.h 'DECLARE_PER_CPU\(struct bpf_redirect_info' && have PCPU_REDIRECT_INFO
# 6.1: filter.c's private redirect flag bits moved from 1..3 to 16..18, in the
# same change that added this uapi mask.
hdr uapi/linux/bpf.h 'define BPF_F_REDIRECT_FLAGS' && have BPF_F_REDIRECT_FLAGS
# 5.16: bpf_prog_run() replaced the BPF_PROG_RUN() macro.
hdr linux/filter.h 'u32 bpf_prog_run\(const struct bpf_prog' && have BPF_PROG_RUN
# 6.6: tcx; skb->tc_at_ingress is written through tcx_set_ingress().
hdr net/tcx.h 'tcx_set_ingress' && have TCX
# 7.x: IPv4 flows carry a DSCP instead of a TOS.
hdr net/flow.h 'dscp_t[[:space:]]+flowic_dscp;' && have FLOWI4_DSCP
echo

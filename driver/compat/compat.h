/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels meta supports (5.10 .. 7.x).
 * compat/probe.sh decides which branch applies by probing the headers of the
 * kernel being built against; the rest of the driver uses only the meta_*
 * wrappers below and stays free of version conditionals.
 */
#ifndef _META_COMPAT_H
#define _META_COMPAT_H

#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/flow.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>
#include <linux/ip.h>
#include <uapi/linux/in_route.h>

#ifndef META_HAVE_NLA_STRSCPY
#define nla_strscpy nla_strlcpy
#endif

/* Parse the IFLA_* attributes nested (after an ifinfomsg) in peer info. */
static inline int meta_parse_peer_info(struct nlattr **tb,
				       const struct nlattr *nla,
				       struct netlink_ext_ack *extack)
{
#ifdef META_HAVE_NLA_PARSE_IFINFOMSG
	return rtnl_nla_parse_ifinfomsg(tb, nla, extack);
#else
	/* The policy guarantees nla holds at least a struct ifinfomsg. */
	return rtnl_nla_parse_ifla(tb, nla_data(nla) + sizeof(struct ifinfomsg),
				   nla_len(nla) - sizeof(struct ifinfomsg),
				   extack);
#endif
}

static inline int meta_configure_link(struct net_device *dev)
{
#ifdef META_HAVE_CONFIGURE_LINK_PORTID
	return rtnl_configure_link(dev, NULL, 0, NULL);
#else
	return rtnl_configure_link(dev, NULL);
#endif
}

/*
 * Arguments of rtnl_link_ops::newlink(), whatever shape the kernel passes
 * them in. peer_net is set (with a reference the core owns) only when the
 * core resolved the peer's namespace itself.
 */
struct meta_newlink_args {
	struct net		*src_net;
	struct net		*peer_net;
	struct nlattr		**tb;
	struct nlattr		**data;
};

/* The driver's newlink, independent of the kernel's calling convention. */
int meta_newlink_impl(struct net_device *dev, struct meta_newlink_args *args,
		      struct netlink_ext_ack *extack);

/* rtnl_link_ops::newlink as this kernel calls it. */
#ifdef META_HAVE_NEWLINK_PARAMS
static inline int meta_compat_newlink(struct net_device *dev,
				      struct rtnl_newlink_params *params,
				      struct netlink_ext_ack *extack)
{
	/* As before 6.15: without a netns of its own, the peer goes to
	 * IFLA_LINK_NETNSID's namespace (link_net), else the requester's.
	 */
	struct meta_newlink_args args = {
		.src_net = params->link_net ?: params->src_net,
		.peer_net = params->peer_net,
		.tb = params->tb,
		.data = params->data,
	};

	return meta_newlink_impl(dev, &args, extack);
}
#else
static inline int meta_compat_newlink(struct net *src_net,
				      struct net_device *dev,
				      struct nlattr *tb[], struct nlattr *data[],
				      struct netlink_ext_ack *extack)
{
	struct meta_newlink_args args = {
		.src_net = src_net,
		.tb = tb,
		.data = data,
	};

	return meta_newlink_impl(dev, &args, extack);
}
#endif

/*
 * The namespace the peer is created in, with a reference the caller drops
 * with put_net(). @tbp are the peer's IFLA_* attributes.
 */
static inline struct net *meta_peer_net_get(struct meta_newlink_args *args,
					    struct nlattr **tbp)
{
	if (args->peer_net)
		return get_net(args->peer_net);
	return rtnl_link_get_net(args->src_net, tbp);
}

#ifdef META_HAVE_LINK_OPS_PEER_TYPE
#define META_LINK_OPS_PEER_TYPE(type)	.peer_type = (type),
#else
#define META_LINK_OPS_PEER_TYPE(type)
#endif

static inline void meta_set_lltx(struct net_device *dev)
{
#ifdef META_HAVE_LLTX_FIELD
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

static inline void meta_set_tso_max(struct net_device *dev)
{
#ifdef META_HAVE_TSO_MAX
	netif_set_tso_max_size(dev, GSO_MAX_SIZE);
#else
	netif_set_gso_max_size(dev, GSO_MAX_SIZE);
#endif
}

static inline void meta_inherit_tso_max(struct net_device *to,
					const struct net_device *from)
{
#ifdef META_HAVE_TSO_MAX
	netif_inherit_tso_max(to, from);
#else
	netif_set_gso_max_size(to, from->gso_max_size);
	to->gso_max_segs = from->gso_max_segs;
#endif
}

/*
 * Packet/byte counters in dev->tstats: since 6.7 (and in backports) the core
 * allocates them when asked to, and insists on them for ndo_get_peer_dev.
 * Before, the driver allocates them itself.
 */
#ifdef META_HAVE_PCPU_STAT_TYPE
static inline void meta_set_core_tstats(struct net_device *dev)
{
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
}

static inline int meta_tstats_alloc(struct net_device *dev)
{
	return 0;
}

static inline void meta_tstats_free(struct net_device *dev)
{
}
#else
static inline void meta_set_core_tstats(struct net_device *dev)
{
}

static inline int meta_tstats_alloc(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
}

static inline void meta_tstats_free(struct net_device *dev)
{
	free_percpu(dev->tstats);
	dev->tstats = NULL;
}
#endif

/* Drops go to the core's counters, which dev_get_stats() adds. */
static inline void meta_tx_dropped_inc(struct net_device *dev)
{
#ifdef META_HAVE_CORE_STATS
	dev_core_stats_tx_dropped_inc(dev);
#else
	atomic_long_inc(&dev->tx_dropped);
#endif
}

#ifndef META_HAVE_SW_NETSTATS_TX_ADD
/* 5.11 added the tx twin of dev_sw_netstats_rx_add(). */
static inline void dev_sw_netstats_tx_add(struct net_device *dev,
					  unsigned int packets,
					  unsigned int len)
{
	struct pcpu_sw_netstats *tstats = this_cpu_ptr(dev->tstats);

	u64_stats_update_begin(&tstats->syncp);
	tstats->tx_bytes += len;
	tstats->tx_packets += packets;
	u64_stats_update_end(&tstats->syncp);
}
#endif

/* Hand an skb to the receive path; the caller has BH disabled. */
static inline int meta_netif_rx(struct sk_buff *skb)
{
#ifdef META_HAVE___NETIF_RX
	return __netif_rx(skb);
#else
	return netif_rx(skb);
#endif
}

/* The sender's egress netfilter verdict must not apply to the receiver. */
#ifdef META_HAVE_NF_SKIP_EGRESS
#include <linux/netfilter_netdev.h>

static inline void meta_skip_egress_nf(struct sk_buff *skb)
{
	nf_skip_egress(skb, true);
}
#else
static inline void meta_skip_egress_nf(struct sk_buff *skb)
{
}
#endif

static inline void meta_clear_tstamp(struct sk_buff *skb)
{
#ifdef META_HAVE_SKB_CLEAR_TSTAMP
	skb_clear_tstamp(skb);
#else
	skb->tstamp = 0;
#endif
}

/*
 * A stack variable the datapath fills before any use: spare it the zeroing
 * that CONFIG_INIT_STACK_ALL_ZERO (gcc 12+) adds on every call.
 */
#if __has_attribute(__uninitialized__)
#define meta_noinit	__attribute__((__uninitialized__))
#else
#define meta_noinit
#endif

/*
 * Where bpf_redirect*() leave their request. Since 6.11 it lives in the
 * task's bpf_net_context, which whoever runs a program must install (the
 * helpers refuse to redirect without one) and must remove on every path. An
 * outer context (RX softirq, another device's tc hook) is reused as is.
 */
#ifdef META_HAVE_BPF_NET_CTX
struct meta_bpf_ctx {
	struct bpf_net_context	stack;
	struct bpf_net_context	*installed;
};

static inline void meta_bpf_ctx_enter(struct meta_bpf_ctx *ctx)
{
	ctx->installed = bpf_net_ctx_set(&ctx->stack);
}

static inline void meta_bpf_ctx_exit(struct meta_bpf_ctx *ctx)
{
	bpf_net_ctx_clear(ctx->installed);
}

/* Ours, just installed: no outer program's request can be pending in it. */
static inline bool meta_bpf_ctx_fresh(const struct meta_bpf_ctx *ctx)
{
	return ctx->installed;
}

static inline struct bpf_redirect_info *meta_redirect_info(void)
{
	return bpf_net_ctx_get_ri();
}
#elif defined(META_HAVE_PCPU_REDIRECT_INFO)
struct meta_bpf_ctx {
	int unused;
};

static inline void meta_bpf_ctx_enter(struct meta_bpf_ctx *ctx)
{
}

static inline void meta_bpf_ctx_exit(struct meta_bpf_ctx *ctx)
{
}

/* One per-CPU state for every program this CPU runs. */
static inline bool meta_bpf_ctx_fresh(const struct meta_bpf_ctx *ctx)
{
	return false;
}

/* Stable while BH stays disabled, as it does in ndo_start_xmit. */
static inline struct bpf_redirect_info *meta_redirect_info(void)
{
	return this_cpu_ptr(&bpf_redirect_info);
}
#else
#error "meta: this kernel keeps the BPF redirect state somewhere we do not know"
#endif

/*
 * The redirect kinds bpf_redirect_peer() and bpf_redirect_neigh() record are
 * bits private to net/core/filter.c; mirror them. BPF_F_INGRESS is uapi.
 */
#ifdef META_HAVE_BPF_F_REDIRECT_FLAGS
#define META_RI_NEIGH		BIT(16)
#define META_RI_PEER		BIT(17)
#define META_RI_NEXTHOP		BIT(18)
#else
#define META_RI_NEIGH		BIT(1)
#define META_RI_PEER		BIT(2)
#define META_RI_NEXTHOP		BIT(3)
#endif
#define META_RI_KNOWN	(BPF_F_INGRESS | META_RI_NEIGH | META_RI_PEER | \
			 META_RI_NEXTHOP)

#ifndef META_HAVE_BPF_PROG_RUN
#define bpf_prog_run(prog, ctx)	BPF_PROG_RUN(prog, ctx)
#endif

/* Programs on a transmit path see egress semantics, as on tc egress. */
#ifdef META_HAVE_TCX
#include <net/tcx.h>

static inline void meta_set_egress(struct sk_buff *skb)
{
	tcx_set_ingress(skb, false);
}
#else
static inline void meta_set_egress(struct sk_buff *skb)
{
#ifdef CONFIG_NET_CLS_ACT
	skb->tc_at_ingress = 0;
#endif
}
#endif

#ifdef META_HAVE_FLOWI4_DSCP
#include <net/inet_dscp.h>
#endif

static inline void meta_flowi4_set_tos(struct flowi4 *fl4, u8 tos)
{
#ifdef META_HAVE_FLOWI4_DSCP
	fl4->flowi4_dscp = inet_dsfield_to_dscp(tos);
#else
	fl4->flowi4_tos = RT_TOS(tos);
#endif
}

#endif /* _META_COMPAT_H */

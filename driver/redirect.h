/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meta redirects: carry out what a program asked for with bpf_redirect(),
 * bpf_redirect_neigh() or bpf_redirect_peer() and then returned
 * META_REDIRECT.
 *
 * The kernel's skb_do_redirect() does this for tc but is not exported, so
 * the module does it itself; netkit, in-tree, just calls it. Doing it here
 * also lets bpf_redirect_peer() mean something on a transmit path, where
 * the kernel refuses it: deliver straight into the pod end of another meta
 * pair, one backlog pass instead of two through the host.
 *
 * Everything runs from ndo_start_xmit: RCU held, BH disabled. A drop
 * decided here is counted on the sending end; once another device's xmit
 * or receive path owns the packet, its own counters apply.
 *
 * Only xmit.c includes this: meta_redirect() inlines into meta_xmit(),
 * which spares every redirected packet a call frame.
 */
#ifndef _META_REDIRECT_H
#define _META_REDIRECT_H

#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <net/ip6_route.h>
#include <net/ndisc.h>
#include <net/neighbour.h>
#include <net/route.h>

#include "meta.h"

/* Transmit @skb on @tgt, bounded by the kernel's xmit recursion limit. */
static bool meta_tx(struct sk_buff *skb, struct net_device *tgt)
{
	if (unlikely(dev_xmit_recursion())) {
		net_crit_ratelimited("meta: redirect loop, recursion limit reached on %s\n",
				     tgt->name);
		kfree_skb(skb);
		return false;
	}
	skb->dev = tgt;
	meta_clear_tstamp(skb);
	dev_xmit_recursion_inc();
	dev_queue_xmit(skb);
	dev_xmit_recursion_dec();
	return true;
}

/* bpf_redirect(ifindex, 0 or BPF_F_INGRESS) */
static bool meta_redirect_dev(struct sk_buff *skb, struct net_device *tgt,
			      bool ingress)
{
	if (unlikely(skb->mac_header >= skb->network_header || !skb->len))
		goto drop;

	if (dev_is_mac_header_xmit(tgt)) {
		/* dev_forward_skb() checks up/MTU, scrubs, uses the backlog. */
		if (ingress)
			return dev_forward_skb(tgt, skb) == NET_RX_SUCCESS;
		return meta_tx(skb, tgt);
	}

	/* L3 devices (tun, wireguard, ipip): no Ethernet header on them. */
	if (ingress)
		goto drop;
	if (unlikely(skb_network_offset(skb) >= skb->len))
		goto drop;
	__skb_pull(skb, skb_network_offset(skb));
	skb_reset_mac_header(skb);
	skb_reset_mac_len(skb);
	return meta_tx(skb, tgt);
drop:
	kfree_skb(skb);
	return false;
}

/* Hand an IP packet, with its route set when @nh is NULL, to a neighbour. */
static __always_inline bool meta_neigh_output(struct sk_buff *skb,
					      struct net_device *tgt,
					      const struct bpf_nh_params *nh,
					      bool v6)
{
	struct neighbour *neigh;
	bool is_v6gw = false;

	if (unlikely(dev_xmit_recursion()))
		goto drop;
	skb->dev = tgt;
	meta_clear_tstamp(skb);
	/* As ip_finish_output2(): room for the link header, if it has one. */
	if (unlikely(skb_headroom(skb) < LL_RESERVED_SPACE(tgt) && tgt->header_ops &&
		     skb_cow_head(skb, LL_RESERVED_SPACE(tgt))))
		goto drop;

	if (v6) {
		const struct in6_addr *gw = nh ? &nh->ipv6_nh : NULL;

		if (!gw) {
			struct rt6_info *rt = container_of(skb_dst(skb),
							   struct rt6_info, dst);

			gw = rt6_nexthop(rt, &ipv6_hdr(skb)->daddr);
		}
		neigh = ip_neigh_gw6(tgt, gw);
	} else if (!nh) {
		neigh = ip_neigh_for_gw(skb_rtable(skb), skb, &is_v6gw);
	} else if (nh->nh_family == AF_INET6) {
		/* An IPv4 packet over an IPv6 next hop (RFC 5549). */
		if (!ipv6_mod_enabled())
			goto drop;
		neigh = ip_neigh_gw6(tgt, &nh->ipv6_nh);
		is_v6gw = true;
	} else if (nh->nh_family == AF_INET) {
		neigh = ip_neigh_gw4(tgt, nh->ipv4_nh);
	} else {
		goto drop;
	}
	if (IS_ERR(neigh))
		goto drop;

	sock_confirm_neigh(skb, neigh);
	dev_xmit_recursion_inc();
	neigh_output(neigh, skb, is_v6gw);
	dev_xmit_recursion_dec();
	return true;
drop:
	kfree_skb(skb);
	return false;
}

/*
 * Route lookups for bpf_redirect_neigh() without a next hop, out of line:
 * their flow keys would otherwise cost every redirect, next hop or not, a
 * larger stack frame to set up and (with CONFIG_INIT_STACK_ALL_ZERO) clear.
 */
static noinline bool meta_route_v4(struct sk_buff *skb, struct net_device *tgt)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4 = {};
	struct rtable *rt;

	fl4.flowi4_flags = FLOWI_FLAG_ANYSRC;
	fl4.flowi4_mark = skb->mark;
	fl4.flowi4_oif = tgt->ifindex;
	fl4.flowi4_proto = iph->protocol;
	fl4.daddr = iph->daddr;
	fl4.saddr = iph->saddr;
	meta_flowi4_set_tos(&fl4, iph->tos);
	rt = ip_route_output_flow(dev_net(tgt), &fl4, NULL);
	if (IS_ERR(rt))
		return false;
	if (rt->rt_type != RTN_UNICAST && rt->rt_type != RTN_LOCAL) {
		ip_rt_put(rt);
		return false;
	}
	skb_dst_drop(skb);
	skb_dst_set(skb, &rt->dst);
	return true;
}

static noinline bool meta_route_v6(struct sk_buff *skb, struct net_device *tgt)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct flowi6 fl6 = {};
	struct dst_entry *dst;

	fl6.flowi6_flags = FLOWI_FLAG_ANYSRC;
	fl6.flowi6_mark = skb->mark;
	fl6.flowlabel = ip6_flowinfo(ip6h);
	fl6.flowi6_oif = tgt->ifindex;
	fl6.flowi6_proto = ip6h->nexthdr;
	fl6.daddr = ip6h->daddr;
	fl6.saddr = ip6h->saddr;
	dst = ip6_dst_lookup_flow(dev_net(tgt), NULL, &fl6, NULL);
	if (IS_ERR(dst))
		return false;
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	return true;
}

/*
 * bpf_redirect_neigh(ifindex, [nh]): route (unless nh given), resolve, send.
 * One neighbour output for both families, so that it inlines once.
 */
static bool meta_redirect_neigh(struct sk_buff *skb, struct net_device *tgt,
				const struct bpf_nh_params *nh)
{
	bool v6;

	if (unlikely(skb->mac_header >= skb->network_header ||
		     !pskb_may_pull(skb, ETH_HLEN) ||
		     is_multicast_ether_addr(eth_hdr(skb)->h_dest)))
		goto drop;
	__skb_pull(skb, ETH_HLEN);
	skb_unset_mac_header(skb);
	skb_reset_network_header(skb);

	if (skb->protocol == htons(ETH_P_IP)) {
		if (!pskb_may_pull(skb, sizeof(struct iphdr)) ||
		    (!nh && !meta_route_v4(skb, tgt)))
			goto drop;
		v6 = false;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		/* With ipv6.disable=1 the neighbour tables do not exist. */
		if (!ipv6_mod_enabled() || !pskb_may_pull(skb, sizeof(struct ipv6hdr)) ||
		    (nh && nh->nh_family != AF_INET6) || (!nh && !meta_route_v6(skb, tgt)))
			goto drop;
		v6 = true;
	} else {
		goto drop;
	}
	return meta_neigh_output(skb, tgt, nh, v6);
drop:
	kfree_skb(skb);
	return false;
}

/*
 * bpf_redirect_peer(ifindex) with ifindex the primary of a meta pair: deliver
 * into that pair's pod end, scrubbed as that pair scrubs what enters it. The
 * target end's own programs do not run, as with upstream's peer redirect at
 * tc ingress.
 */
static bool meta_redirect_peer(struct sk_buff *skb, struct net_device *dev,
			       struct net_device *tgt, unsigned int len)
{
	struct net_device *pod;

	if (!meta_is_meta(tgt))
		goto drop;
	pod = meta_pod_end(tgt);
	if (!pod || !(pod->flags & IFF_UP) || !pskb_may_pull(skb, ETH_HLEN) ||
	    !is_skb_forwardable(pod, skb))
		goto drop;
	meta_scrub_skb(skb, !net_eq(dev_net(skb->dev), dev_net(pod)),
		       READ_ONCE(meta_priv(tgt)->scrub));
	return meta_deliver(skb, dev, pod, len);
drop:
	kfree_skb(skb);
	return false;
}

static __always_inline void meta_redirect(struct sk_buff *skb,
					  struct net_device *dev,
					  const struct meta_redirect_req *req,
					  unsigned int len)
{
	const struct bpf_nh_params *nh = NULL;
	enum meta_xstat kind;
	struct net_device *tgt;
	bool ok;

	/* Look-ups happen where the program ran: skb->dev's namespace. */
	tgt = req->flags & ~META_RI_KNOWN || req->ifindex > INT_MAX ? NULL :
	      dev_get_by_index_rcu(dev_net(skb->dev), req->ifindex);
	if (!tgt || !(tgt->flags & IFF_UP)) {
		kfree_skb(skb);
		meta_xstat(dev, META_XS_REDIRECT_FAILED, true);
		return;
	}

	if (req->flags & META_RI_PEER) {
		/* meta_deliver() counts tx/rx itself on success. */
		if (meta_redirect_peer(skb, dev, tgt, len))
			meta_xstat(dev, META_XS_REDIRECT_PEER, false);
		else
			meta_xstat(dev, META_XS_REDIRECT_FAILED, true);
		return;
	}

	if (req->flags & META_RI_NEIGH) {
		if (req->flags & META_RI_NEXTHOP)
			nh = &req->nh;
		kind = META_XS_REDIRECT_NEIGH;
		ok = meta_redirect_neigh(skb, tgt, nh);
	} else if (req->flags & BPF_F_INGRESS) {
		kind = META_XS_REDIRECT_INGRESS;
		ok = meta_redirect_dev(skb, tgt, true);
	} else {
		kind = META_XS_REDIRECT_EGRESS;
		ok = meta_redirect_dev(skb, tgt, false);
	}
	if (ok) {
		meta_stats_add(dev, true, len);
		meta_xstat(dev, kind, false);
	} else {
		meta_xstat(dev, META_XS_REDIRECT_FAILED, true);
	}
}

#endif /* _META_REDIRECT_H */

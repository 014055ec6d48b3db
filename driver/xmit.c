// SPDX-License-Identifier: GPL-2.0
/*
 * meta datapath: what happens to a packet one end of a pair transmits.
 *
 * The transmit of one end is the receive of the other, so this runs in
 * ndo_start_xmit with BH disabled and no qdisc in front (IFF_NO_QUEUE,
 * lockless). A forwarded packet enters the peer's stack through the per-CPU
 * backlog, exactly as from veth; programs will be able to skip that.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "meta.h"

/*
 * Clear what must not leak from the sender to the receiver. Within one
 * namespace this is just the per-hop state (dst, conntrack, skb_iif, ...);
 * across namespaces the timestamp goes too, and, unless the end was created
 * with scrub none, the mark and priority that the sender's policy set.
 */
static void meta_scrub_skb(struct sk_buff *skb, bool xnet,
			   enum meta_scrub scrub)
{
	/* xnet=false: we decide about mark ourselves below. */
	skb_scrub_packet(skb, false);
	meta_skip_egress_nf(skb);
	if (!xnet)
		return;
	meta_clear_tstamp(skb);
	if (scrub == META_SCRUB_DEFAULT) {
		skb->mark = 0;
		skb->priority = 0;
	}
}

/* Deliver @skb, already scrubbed, into @peer's receive path. */
static void meta_forward(struct sk_buff *skb, struct net_device *dev,
			 struct net_device *peer, unsigned int len)
{
	/* Sets skb->dev = peer and pkt_type from peer's MAC, pulls the MAC. */
	skb->protocol = eth_type_trans(skb, peer);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);

	if (likely(meta_netif_rx(skb) == NET_RX_SUCCESS)) {
		meta_stats_add(dev, true, len);
		meta_stats_add(peer, false, len);
	} else {
		/* The backlog was full and netif_rx freed the skb. */
		meta_stats_drop(peer, false);
	}
}

netdev_tx_t meta_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct meta_priv *priv = meta_priv(dev);
	unsigned int len = skb->len;
	struct net_device *peer;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer))
		goto drop;
	if (READ_ONCE(priv->policy) == META_POLICY_BLACKHOLE)
		goto drop;
	/*
	 * is_skb_forwardable() checks that the peer is up and that the frame
	 * fits its MTU (GSO packets are checked per segment).
	 */
	if (unlikely(!pskb_may_pull(skb, ETH_HLEN) ||
		     skb_orphan_frags(skb, GFP_ATOMIC) ||
		     !is_skb_forwardable(peer, skb)))
		goto drop;

	meta_scrub_skb(skb, !net_eq(dev_net(dev), dev_net(peer)),
		       READ_ONCE(priv->scrub));
	meta_forward(skb, dev, peer, len);
	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	meta_stats_drop(dev, true);
	kfree_skb(skb);
	rcu_read_unlock();
	return NET_XMIT_DROP;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * meta datapath: what happens to a packet one end of a pair transmits.
 *
 * The transmit of one end is the receive of the other, so this runs in
 * ndo_start_xmit with BH disabled and no qdisc in front (IFF_NO_QUEUE,
 * lockless). The end's programs decide; without programs its policy does.
 * A forwarded packet enters the other end through the per-CPU backlog, as
 * from veth; a redirected one goes wherever the program sent it (redirect.h)
 * without that detour.
 */
#include <linux/etherdevice.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "meta.h"
#include "redirect.h"

/*
 * Clear what must not leak from the sender to the receiver. Within one
 * namespace this is just the per-hop state (dst, conntrack, skb_iif, ...);
 * across namespaces the timestamp goes too, and, unless the end was created
 * with scrub none, the mark and priority that the sender's policy set.
 */
void meta_scrub_skb(struct sk_buff *skb, bool xnet, enum meta_scrub scrub)
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

/*
 * Hand @skb, scrubbed, to @to's receive path as if @to had received it from
 * a wire; @from is the meta end it leaves through. Returns false (skb freed)
 * if the backlog refused it: the core counts that in @to's rx_dropped, the
 * caller counts the sender's side.
 */
bool meta_deliver(struct sk_buff *skb, struct net_device *from,
		  struct net_device *to, unsigned int len)
{
	/* Sets skb->dev = to and pkt_type from to's MAC, pulls the MAC. */
	skb->protocol = eth_type_trans(skb, to);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);

	if (unlikely(meta_netif_rx(skb) != NET_RX_SUCCESS))
		return false;
	meta_stats_add(from, true, len);
	meta_stats_add(to, false, len);
	return true;
}

/* Programs see the packet type the receiving end will give it. */
static void meta_set_pkt_type(struct sk_buff *skb, const struct net_device *to)
{
	const struct ethhdr *eth = eth_hdr(skb);

	if (likely(ether_addr_equal_64bits(eth->h_dest, to->dev_addr)))
		return;
	if (is_multicast_ether_addr_64bits(eth->h_dest))
		skb->pkt_type = ether_addr_equal_64bits(eth->h_dest, to->broadcast) ?
				PACKET_BROADCAST : PACKET_MULTICAST;
	else
		skb->pkt_type = PACKET_OTHERHOST;
}

/*
 * Run @arr in order until one returns something other than META_NEXT. A
 * redirect request is copied out of the kernel's redirect state. Unless
 * that state is @fresh (installed by this xmit), it is saved and restored
 * around the run: an outer tc program on this CPU (one that sent us this
 * packet with bpf_clone_redirect(), say) may have a request pending there.
 */
static int meta_run_progs(const struct meta_prog_array *arr,
			  struct sk_buff *skb, struct meta_redirect_req *req,
			  bool fresh)
{
	struct bpf_redirect_info *ri = meta_redirect_info();
	struct meta_redirect_req saved meta_noinit;	/* an outer request */
	int i, ret = META_NEXT;

	if (!fresh) {
		saved.ifindex = ri->tgt_index;
		saved.flags = ri->flags;
		if (saved.flags & META_RI_NEXTHOP)
			saved.nh = ri->nh;
		ri->flags = 0;
		ri->tgt_index = 0;
	}
	for (i = 0; i < arr->count; i++) {
		bpf_compute_data_pointers(skb);
		ret = bpf_prog_run(arr->progs[i], skb);
		if (ret != META_NEXT)
			break;
	}
	if (ret == META_REDIRECT) {
		req->flags = ri->flags;
		req->ifindex = ri->tgt_index;
		if (req->flags & META_RI_NEXTHOP)
			req->nh = ri->nh;
	}
	if (!fresh) {
		ri->flags = saved.flags;
		ri->tgt_index = saved.ifindex;
		if (saved.flags & META_RI_NEXTHOP)
			ri->nh = saved.nh;
	}
	return ret;
}

static void meta_forward(struct sk_buff *skb, struct net_device *dev,
			 struct net_device *peer, unsigned int len)
{
	/*
	 * The other end must be up and the frame must fit its MTU (GSO
	 * packets are checked per segment); a program may have reshaped
	 * the packet, so the Ethernet header is checked again.
	 */
	if (unlikely(!(peer->flags & IFF_UP) || !pskb_may_pull(skb, ETH_HLEN) ||
		     !is_skb_forwardable(peer, skb))) {
		meta_xstat(dev, META_XS_UNDELIVERABLE, true);
		kfree_skb(skb);
		return;
	}
	if (meta_deliver(skb, dev, peer, len))
		meta_xstat(dev, META_XS_PASS, false);
	else
		meta_xstat(dev, META_XS_UNDELIVERABLE, true);
}

netdev_tx_t meta_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct meta_priv *priv = meta_priv(dev);
	struct meta_redirect_req req meta_noinit;
	struct meta_bpf_ctx bpf_ctx meta_noinit;
	const struct meta_prog_array *arr;
	unsigned int len = skb->len;
	struct net_device *peer;
	int verdict;

	meta_bpf_ctx_enter(&bpf_ctx);
	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer || !pskb_may_pull(skb, ETH_HLEN) ||
		     skb_orphan_frags(skb, GFP_ATOMIC))) {
		meta_xstat(dev, META_XS_UNDELIVERABLE, true);
		goto drop;
	}

	arr = rcu_dereference(priv->progs);
	if (!arr && READ_ONCE(priv->policy) == META_POLICY_BLACKHOLE) {
		meta_xstat(dev, META_XS_POLICY_DROP, true);
		goto drop;
	}

	meta_scrub_skb(skb, !net_eq(dev_net(dev), dev_net(peer)),
		       READ_ONCE(priv->scrub));
	skb_reset_mac_header(skb);
	verdict = META_PASS;
	if (arr) {
		/*
		 * As on netkit, the program already sees the receiving end
		 * as skb->dev: its ifindex and FIB look-ups happen in the
		 * namespace the packet is about to enter (the host's, for
		 * what a pod sends), which is where it wants to redirect.
		 */
		meta_set_pkt_type(skb, peer);
		skb->dev = peer;
		meta_set_egress(skb);
		verdict = meta_run_progs(arr, skb, &req,
					 meta_bpf_ctx_fresh(&bpf_ctx));
	}

	switch (verdict) {
	case META_NEXT:
	case META_PASS:
		meta_forward(skb, dev, peer, len);
		break;
	case META_REDIRECT:
		meta_redirect(skb, dev, &req, len);
		break;
	case META_DROP:
		meta_xstat(dev, META_XS_DROP, true);
		goto drop;
	default:
		meta_xstat(dev, META_XS_UNKNOWN_VERDICT, true);
		goto drop;
	}
	rcu_read_unlock();
	meta_bpf_ctx_exit(&bpf_ctx);
	return NETDEV_TX_OK;

drop:
	kfree_skb(skb);
	rcu_read_unlock();
	meta_bpf_ctx_exit(&bpf_ctx);
	return NET_XMIT_DROP;
}

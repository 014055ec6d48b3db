/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meta: a BPF-programmable paired network device.
 *
 * Two net_devices form a pair. The one named in the creation request is the
 * primary (host side); its peer usually lives in a pod's namespace. What one
 * end transmits is handed to the other end's receive path, unless the end's
 * policy (later: its BPF programs) says otherwise. Only the primary may
 * change settings, so a pod cannot loosen the policy that confines it.
 */
#ifndef _META_H
#define _META_H

#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>
#include <linux/if_meta.h>

#define META_DRV_NAME		"meta"
#define META_DRV_VERSION	"0.1.0"

/*
 * Per-CPU drop counters. Packets and bytes live in the core's dev->tstats
 * instead: skb_do_redirect() bumps them when bpf_redirect_peer() enters one
 * of our ends, and the core refuses ndo_get_peer_dev without them.
 */
struct meta_pcpu_stats {
	u64_stats_t		tx_dropped;	/* policy, peer down, oversize */
	u64_stats_t		rx_dropped;	/* receive backlog refused it */
	struct u64_stats_sync	syncp;
};

struct meta_priv {
	/* Read on every packet. */
	struct net_device __rcu		*peer;
	struct meta_pcpu_stats __percpu	*stats;
	enum meta_policy		policy;	/* WRITE_ONCE: changes at runtime */
	enum meta_scrub			scrub;

	/* Control path only. */
	enum meta_mode			mode;
	bool				primary;
	u16				headroom;	/* requested, 0 = none */
	u16				tailroom;
};

static inline struct meta_priv *meta_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/* Datapath counters; callers run with BH disabled (ndo_start_xmit). */
static inline void meta_stats_add(struct net_device *dev, bool tx,
				  unsigned int len)
{
	if (tx)
		dev_sw_netstats_tx_add(dev, 1, len);
	else
		dev_sw_netstats_rx_add(dev, len);
}

static inline void meta_stats_drop(struct net_device *dev, bool tx)
{
	struct meta_pcpu_stats *s = this_cpu_ptr(meta_priv(dev)->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(tx ? &s->tx_dropped : &s->rx_dropped);
	u64_stats_update_end(&s->syncp);
}

/* dev.c */
void meta_setup(struct net_device *dev);
bool meta_is_meta(const struct net_device *dev);

/* xmit.c */
netdev_tx_t meta_xmit(struct sk_buff *skb, struct net_device *dev);

/* netlink.c */
extern struct rtnl_link_ops meta_link_ops;

#endif /* _META_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * meta net_device: setup, net_device_ops, statistics and ethtool.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "meta.h"

static int meta_open(struct net_device *dev)
{
	struct net_device *peer = rtnl_dereference(meta_priv(dev)->peer);

	if (!peer)
		return -ENOTCONN;
	/* Like a cable: carrier only while both ends are up. */
	if (peer->flags & IFF_UP) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int meta_stop(struct net_device *dev)
{
	struct net_device *peer = rtnl_dereference(meta_priv(dev)->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	return 0;
}

static int meta_dev_init(struct net_device *dev)
{
	struct meta_priv *priv = meta_priv(dev);

	priv->stats = netdev_alloc_pcpu_stats(struct meta_pcpu_stats);
	if (!priv->stats)
		return -ENOMEM;
	if (meta_tstats_alloc(dev)) {
		free_percpu(priv->stats);
		priv->stats = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Unregistering: no packet can be transmitted through @dev any more. */
static void meta_dev_uninit(struct net_device *dev)
{
	meta_prog_release_all(dev);
}

/* priv_destructor: runs once no packet can reach the device any more. */
static void meta_dev_free(struct net_device *dev)
{
	struct meta_priv *priv = meta_priv(dev);

	free_percpu(priv->stats);
	priv->stats = NULL;
	meta_tstats_free(dev);
}

/* Drops are in the core's stats, which dev_get_stats() adds. */
static void meta_get_stats64(struct net_device *dev,
			     struct rtnl_link_stats64 *tot)
{
	dev_fetch_sw_netstats(tot, dev->tstats);
}

static int meta_get_iflink(const struct net_device *dev)
{
	struct net_device *peer;
	int iflink = 0;

	rcu_read_lock();
	peer = rcu_dereference(meta_priv(dev)->peer);
	if (peer)
		iflink = READ_ONCE(peer->ifindex);
	rcu_read_unlock();
	return iflink;
}

/*
 * Lets bpf_redirect_peer() at a physical NIC's tc ingress switch straight
 * into the pod's end without a second trip through the backlog.
 */
static struct net_device *meta_get_peer_dev(struct net_device *dev)
{
	return meta_pod_end(dev);
}

static int meta_set_mac_address(struct net_device *dev, void *addr)
{
	/* An l3 device has no MAC: nothing on the pair would look at it. */
	if (meta_priv(dev)->mode != META_MODE_L2)
		return -EOPNOTSUPP;
	return eth_mac_addr(dev, addr);
}

/*
 * An upper device (a bridge, a tunnel) asks for room in what this end
 * receives, or gives it back with -1. What an end receives is built by the
 * other end's sender, so both ends get the largest of the two requests and
 * the room asked at creation. Bounded like creation: an upper in the pod's
 * namespace must not make every host packet a large allocation.
 */
static void meta_set_rx_headroom(struct net_device *dev, int headroom)
{
	struct meta_priv *priv = meta_priv(dev);
	struct net_device *peer;
	int room;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	WRITE_ONCE(priv->rx_headroom, min(headroom, META_ROOM_MAX));
	room = max_t(int, priv->headroom, READ_ONCE(priv->rx_headroom));
	if (peer) {
		room = max(room, READ_ONCE(meta_priv(peer)->rx_headroom));
		WRITE_ONCE(peer->needed_headroom, room);
	}
	WRITE_ONCE(dev->needed_headroom, room);
	rcu_read_unlock();
}

static void meta_set_rx_mode(struct net_device *dev)
{
	/* Nothing to filter: we receive whatever the peer transmits. */
}

static const struct net_device_ops meta_netdev_ops = {
	.ndo_init		= meta_dev_init,
	.ndo_uninit		= meta_dev_uninit,
	.ndo_open		= meta_open,
	.ndo_stop		= meta_stop,
	.ndo_start_xmit		= meta_xmit,
	.ndo_get_stats64	= meta_get_stats64,
	.ndo_set_rx_mode	= meta_set_rx_mode,
	.ndo_set_mac_address	= meta_set_mac_address,
	.ndo_set_rx_headroom	= meta_set_rx_headroom,
	.ndo_get_iflink		= meta_get_iflink,
	.ndo_get_peer_dev	= meta_get_peer_dev,
	.ndo_features_check	= passthru_features_check,
};

bool meta_is_meta(const struct net_device *dev)
{
	return dev->netdev_ops == &meta_netdev_ops;
}

static void meta_get_drvinfo(struct net_device *dev,
			     struct ethtool_drvinfo *info)
{
	strscpy(info->driver, META_DRV_NAME, sizeof(info->driver));
	strscpy(info->version, META_DRV_VERSION, sizeof(info->version));
}

static const char meta_xstat_names[META_XS_COUNT][ETH_GSTRING_LEN - 8] = {
	[META_XS_PASS]			= "pass",
	[META_XS_DROP]			= "drop",
	[META_XS_POLICY_DROP]		= "policy_drop",
	[META_XS_REDIRECT_EGRESS]	= "redirect_egress",
	[META_XS_REDIRECT_INGRESS]	= "redirect_ingress",
	[META_XS_REDIRECT_NEIGH]	= "redirect_neigh",
	[META_XS_REDIRECT_PEER]		= "redirect_peer",
	[META_XS_REDIRECT_FAILED]	= "redirect_failed",
	[META_XS_UNKNOWN_VERDICT]	= "unknown_verdict",
	[META_XS_UNDELIVERABLE]		= "undeliverable",
};

/*
 * ethtool -S shows both directions, named by direction: primary_* for what
 * the primary transmits, peer_* for what the peer does. Only on the primary:
 * what the host's programs decide is not the pod's to read.
 */
static int meta_get_sset_count(struct net_device *dev, int sset)
{
	if (sset != ETH_SS_STATS || !meta_priv(dev)->primary)
		return -EOPNOTSUPP;
	return 2 * META_XS_COUNT;
}

static void meta_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	int dir, i;

	if (sset != ETH_SS_STATS)
		return;
	for (dir = 0; dir < 2; dir++) {
		for (i = 0; i < META_XS_COUNT; i++) {
			snprintf(buf, ETH_GSTRING_LEN, "%s_%s",
				 dir ? "peer" : "primary", meta_xstat_names[i]);
			buf += ETH_GSTRING_LEN;
		}
	}
}

static void meta_sum_xstats(const struct net_device *dev, u64 *out)
{
	const struct meta_priv *priv = meta_priv(dev);
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct meta_pcpu_stats *s = per_cpu_ptr(priv->stats, cpu);
		u64 v[META_XS_COUNT];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < META_XS_COUNT; i++)
				v[i] = u64_stats_read(&s->xs[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < META_XS_COUNT; i++)
			out[i] += v[i];
	}
}

static void meta_get_ethtool_stats(struct net_device *dev,
				   struct ethtool_stats *stats, u64 *data)
{
	struct net_device *peer;

	memset(data, 0, 2 * META_XS_COUNT * sizeof(*data));
	meta_sum_xstats(dev, data);
	rcu_read_lock();
	peer = rcu_dereference(meta_priv(dev)->peer);
	if (peer)
		meta_sum_xstats(peer, data + META_XS_COUNT);
	rcu_read_unlock();
}

static const struct ethtool_ops meta_ethtool_ops = {
	.get_drvinfo		= meta_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= meta_get_sset_count,
	.get_strings		= meta_get_strings,
	.get_ethtool_stats	= meta_get_ethtool_stats,
};

void meta_setup(struct net_device *dev)
{
	static const netdev_features_t hw_vlan =
		NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_CTAG_RX |
		NETIF_F_HW_VLAN_STAG_TX | NETIF_F_HW_VLAN_STAG_RX;
	/*
	 * Nothing is ever put on a wire, so checksums and segmentation can be
	 * left to whoever finally needs them: TCP runs with 64k segments.
	 */
	static const netdev_features_t features =
		hw_vlan | NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HW_CSUM |
		NETIF_F_RXCSUM | NETIF_F_SCTP_CRC | NETIF_F_HIGHDMA |
		NETIF_F_GSO_SOFTWARE | NETIF_F_GSO_ENCAP_ALL;

	/*
	 * Both modes carry Ethernet frames so that tc/BPF programs written
	 * for veth and netkit see the headers they expect; l3 mode just has
	 * no MAC (all zero) and no ARP. newlink() clears IFF_NOARP in l2.
	 */
	ether_setup(dev);
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	dev->flags |= IFF_NOARP;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	/* Our needed_headroom follows the uppers': not one to forward. */
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE |
			   IFF_DISABLE_NETPOLL | IFF_PHONY_HEADROOM;

	dev->netdev_ops = &meta_netdev_ops;
	dev->ethtool_ops = &meta_ethtool_ops;

	dev->features |= features;
	dev->hw_features = features;
	dev->hw_enc_features = features;
	dev->mpls_features = NETIF_F_HW_CSUM | NETIF_F_GSO_SOFTWARE;
	dev->vlan_features = dev->features & ~hw_vlan;
	meta_set_lltx(dev);
	meta_set_tso_max(dev);

	dev->needs_free_netdev = true;
	dev->priv_destructor = meta_dev_free;
	meta_set_core_tstats(dev);
}

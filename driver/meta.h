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

#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>
#include <linux/if_meta.h>

#define META_DRV_NAME		"meta"
#define META_DRV_VERSION	"0.1.0"

/*
 * What an end's transmit path did with packets, per verdict and outcome;
 * ethtool -S shows them for both directions.
 */
enum meta_xstat {
	META_XS_PASS,			/* forwarded to the other end */
	META_XS_DROP,			/* a program said META_DROP */
	META_XS_POLICY_DROP,		/* no program, policy blackhole */
	META_XS_REDIRECT_EGRESS,	/* bpf_redirect() to a device's xmit */
	META_XS_REDIRECT_INGRESS,	/* bpf_redirect(BPF_F_INGRESS) */
	META_XS_REDIRECT_NEIGH,		/* bpf_redirect_neigh() */
	META_XS_REDIRECT_PEER,		/* bpf_redirect_peer(): into a pod end */
	META_XS_REDIRECT_FAILED,	/* redirect asked for, impossible */
	META_XS_UNKNOWN_VERDICT,	/* a verdict meta does not know */
	META_XS_UNDELIVERABLE,		/* other end gone, down, MTU, backlog */
	META_XS_COUNT
};

/*
 * Per-CPU verdict counters. Packets and bytes live in the core's dev->tstats
 * (skb_do_redirect() bumps them when bpf_redirect_peer() enters one of our
 * ends, and the core refuses ndo_get_peer_dev without), drops in its core
 * stats, where the backlog counts what it refuses too.
 */
struct meta_pcpu_stats {
	u64_stats_t		xs[META_XS_COUNT];
	struct u64_stats_sync	syncp;
};

/* The programs an end runs on transmit, in order; replaced, never edited. */
struct meta_prog_array {
	struct rcu_head		rcu;
	int			count;
	struct bpf_prog		*progs[META_PROG_MAX];
};

struct meta_priv {
	/* Read on every packet. */
	struct net_device __rcu		*peer;
	struct meta_prog_array __rcu	*progs;
	struct meta_pcpu_stats __percpu	*stats;
	enum meta_policy		policy;	/* WRITE_ONCE: changes at runtime */
	enum meta_scrub			scrub;

	/* Control path only. */
	u64				revision;	/* of progs, RTNL */
	enum meta_mode			mode;
	bool				primary;
	u16				headroom;	/* asked at creation */
	int				rx_headroom;	/* asked by an upper, or -1 */
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

/* Count an outcome; @drop also counts it in the sender's tx_dropped. */
static inline void meta_xstat(struct net_device *dev, enum meta_xstat what,
			      bool drop)
{
	struct meta_pcpu_stats *s = this_cpu_ptr(meta_priv(dev)->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->xs[what]);
	u64_stats_update_end(&s->syncp);
	if (drop)
		meta_tx_dropped_inc(dev);
}

/*
 * The pod end behind primary @dev: what bpf_redirect_peer() may enter. A
 * peer end has none, or a pod could jump into the host's receive path and
 * skip the programs and policy of its own transmit.
 */
static inline struct net_device *meta_pod_end(const struct net_device *dev)
{
	const struct meta_priv *priv = meta_priv(dev);

	return priv->primary ? rcu_dereference(priv->peer) : NULL;
}

/* What the programs asked bpf_redirect*() for, copied out of the kernel. */
struct meta_redirect_req {
	u32			flags;		/* META_RI_*, BPF_F_INGRESS */
	u64			ifindex;	/* u64 in the kernel's state */
	struct bpf_nh_params	nh;		/* valid with META_RI_NEXTHOP */
};

/* dev.c */
void meta_setup(struct net_device *dev);
bool meta_is_meta(const struct net_device *dev);

/* xmit.c */
netdev_tx_t meta_xmit(struct sk_buff *skb, struct net_device *dev);
void meta_scrub_skb(struct sk_buff *skb, bool xnet, enum meta_scrub scrub);
bool meta_deliver(struct sk_buff *skb, struct net_device *from,
		  struct net_device *to, unsigned int len);

/* prog.c */
int meta_prog_attach(struct net_device *end, int fd, u32 flags, u32 rel_id,
		     u64 expected, struct netlink_ext_ack *extack);
int meta_prog_detach(struct net_device *end, u32 id, bool all, u64 expected,
		     struct netlink_ext_ack *extack);
void meta_prog_release_all(struct net_device *end);

/* netlink.c */
extern struct rtnl_link_ops meta_link_ops;

#endif /* _META_H */

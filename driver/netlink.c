// SPDX-License-Identifier: GPL-2.0
/*
 * meta rtnetlink: creating a pair, changing it through the primary,
 * deleting it, and reporting it back.
 */
#include <linux/bpf.h>
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>

#include "meta.h"

/* Name pattern for ends the request did not name. */
#define META_IFNAME_FMT		META_DRV_NAME "%d"

#define META_REJECT(msg)	{ .type = NLA_REJECT, .reject_message = (msg) }

/* Attach and detach share attribute numbers; each refuses the other's. */
static const struct nla_policy meta_attach_policy[IFLA_META_PROG_MAX + 1] = {
	[IFLA_META_PROG_FD]		= { .type = NLA_U32 },
	[IFLA_META_PROG_DIR]		= NLA_POLICY_MAX(NLA_U32, META_PROG_DIR_PEER),
	[IFLA_META_PROG_FLAGS]		= { .type = NLA_U32 },
	[IFLA_META_PROG_RELATIVE_ID]	= NLA_POLICY_MIN(NLA_U32, 1),
	[IFLA_META_PROG_ID]		=
		META_REJECT("meta: attach takes a relative id, not a program id"),
	[IFLA_META_PROG_EXPECTED_REVISION] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy meta_detach_policy[IFLA_META_PROG_MAX + 1] = {
	[IFLA_META_PROG_FD]		=
		META_REJECT("meta: detach takes a program id, not an fd"),
	[IFLA_META_PROG_DIR]		= NLA_POLICY_MAX(NLA_U32, META_PROG_DIR_PEER),
	[IFLA_META_PROG_FLAGS]		= { .type = NLA_U32 },
	[IFLA_META_PROG_RELATIVE_ID]	=
		META_REJECT("meta: detach takes a program id, not a relative id"),
	[IFLA_META_PROG_ID]		= NLA_POLICY_MIN(NLA_U32, 1),
	[IFLA_META_PROG_EXPECTED_REVISION] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy meta_policy[IFLA_META_MAX + 1] = {
	/* An ifinfomsg and IFLA_* attributes, as veth and netkit take it. */
	[IFLA_META_PEER_INFO]	= { .len = sizeof(struct ifinfomsg) },
	[IFLA_META_PRIMARY]	= META_REJECT("meta: the primary attribute is read-only"),
	[IFLA_META_MODE]	= NLA_POLICY_MAX(NLA_U32, META_MODE_L2),
	[IFLA_META_POLICY]	= { .type = NLA_U32 },
	[IFLA_META_PEER_POLICY]	= { .type = NLA_U32 },
	[IFLA_META_SCRUB]	= NLA_POLICY_MAX(NLA_U32, META_SCRUB_DEFAULT),
	[IFLA_META_PEER_SCRUB]	= NLA_POLICY_MAX(NLA_U32, META_SCRUB_DEFAULT),
	[IFLA_META_HEADROOM]	= NLA_POLICY_MAX(NLA_U16, META_ROOM_MAX),
	[IFLA_META_TAILROOM]	= NLA_POLICY_MAX(NLA_U16, META_ROOM_MAX),
	[IFLA_META_PROG_ATTACH]	= NLA_POLICY_NESTED(meta_attach_policy),
	[IFLA_META_PROG_DETACH]	= NLA_POLICY_NESTED(meta_detach_policy),
	[IFLA_META_PRIMARY_PROGS] = META_REJECT("meta: the program list is read-only"),
	[IFLA_META_PEER_PROGS]	= META_REJECT("meta: the program list is read-only"),
	[IFLA_META_PAD]		= META_REJECT("meta: padding is not a setting"),
	[IFLA_META_PRIMARY_REVISION] = META_REJECT("meta: revisions are read-only"),
	[IFLA_META_PEER_REVISION] = META_REJECT("meta: revisions are read-only"),
};

/*
 * Strict validation accepts a repeated attribute and uses the last one. A
 * device that guards a pod's traffic should not guess what a confused
 * request meant.
 */
static int meta_no_repeats(const struct nlattr *nest, int maxtype,
			   struct netlink_ext_ack *extack)
{
	DECLARE_BITMAP(seen, IFLA_META_MAX + 1);
	const struct nlattr *attr;
	int rem;

	BUILD_BUG_ON(IFLA_META_PROG_MAX > IFLA_META_MAX);
	bitmap_zero(seen, maxtype + 1);
	nla_for_each_nested(attr, nest, rem) {
		if (__test_and_set_bit(nla_type(attr), seen)) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "meta: attribute given more than once");
			return -EINVAL;
		}
		if (nla_type(attr) == IFLA_META_PROG_ATTACH ||
		    nla_type(attr) == IFLA_META_PROG_DETACH) {
			int err = meta_no_repeats(attr, IFLA_META_PROG_MAX, extack);

			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * rtnetlink parses IFLA_INFO_DATA liberally: unknown attributes, wrong
 * sizes, trailing bytes and unknown nested attributes pass. Validate it
 * again strictly; only the peer info, an ifinfomsg with attributes behind
 * it, is not a plain attribute type (NLA_UNSPEC). rtnetlink uses the last
 * IFLA_INFO_DATA of several: refuse them rather than check another one.
 */
static int meta_validate_strict(struct nlattr *tb[],
				struct netlink_ext_ack *extack)
{
	const struct nlattr *attr, *info = NULL;
	int rem, err;

	if (!tb[IFLA_LINKINFO])
		return 0;
	nla_for_each_nested(attr, tb[IFLA_LINKINFO], rem) {
		if (nla_type(attr) != IFLA_INFO_DATA)
			continue;
		if (info) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "meta: attribute given more than once");
			return -EINVAL;
		}
		info = attr;
	}
	if (!info)
		return 0;
	err = __nla_validate(nla_data(info), nla_len(info), IFLA_META_MAX,
			     meta_policy, NL_VALIDATE_STRICT & ~NL_VALIDATE_UNSPEC,
			     extack);
	if (err)
		return err;
	return meta_no_repeats(info, IFLA_META_MAX, extack);
}

static int meta_validate_addr(struct nlattr *tb[],
			      struct netlink_ext_ack *extack)
{
	struct nlattr *attr = tb[IFLA_ADDRESS];

	if (!attr)
		return 0;
	if (nla_len(attr) != ETH_ALEN) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "meta: a MAC address has 6 bytes");
		return -EINVAL;
	}
	if (!is_valid_ether_addr(nla_data(attr))) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "meta: MAC address must be unicast and non-zero");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static int meta_validate(struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	int err;

	err = meta_validate_strict(tb, extack);
	if (err)
		return err;
	return meta_validate_addr(tb, extack);
}

/* The policy values are verdicts (0 and 2): no policy range describes them. */
static int meta_get_policy(struct nlattr *attr, enum meta_policy *policy,
			   struct netlink_ext_ack *extack)
{
	u32 val = nla_get_u32(attr);

	switch (val) {
	case META_POLICY_FORWARD:
	case META_POLICY_BLACKHOLE:
		*policy = val;
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "meta: policy must be forward (0) or blackhole (2)");
	return -EINVAL;
}

/* Everything a creation request may set, validated before anything exists. */
struct meta_create_cfg {
	enum meta_mode		mode;
	enum meta_policy	policy, peer_policy;
	enum meta_scrub		scrub, peer_scrub;
	u16			headroom, tailroom;
};

/* Range checks were done by meta_policy. */
static int meta_parse_create(struct nlattr *data[], struct meta_create_cfg *cfg,
			     struct netlink_ext_ack *extack)
{
	int err = 0;

	cfg->mode = META_MODE_L3;
	cfg->policy = META_POLICY_FORWARD;
	cfg->peer_policy = META_POLICY_FORWARD;
	cfg->scrub = META_SCRUB_DEFAULT;
	cfg->peer_scrub = META_SCRUB_DEFAULT;
	cfg->headroom = 0;
	cfg->tailroom = 0;
	if (!data)
		return 0;

	if (data[IFLA_META_MODE])
		cfg->mode = nla_get_u32(data[IFLA_META_MODE]);
	if (data[IFLA_META_SCRUB])
		cfg->scrub = nla_get_u32(data[IFLA_META_SCRUB]);
	if (data[IFLA_META_PEER_SCRUB])
		cfg->peer_scrub = nla_get_u32(data[IFLA_META_PEER_SCRUB]);
	if (data[IFLA_META_HEADROOM])
		cfg->headroom = nla_get_u16(data[IFLA_META_HEADROOM]);
	if (data[IFLA_META_TAILROOM])
		cfg->tailroom = nla_get_u16(data[IFLA_META_TAILROOM]);
	if (data[IFLA_META_POLICY])
		err = meta_get_policy(data[IFLA_META_POLICY], &cfg->policy, extack);
	if (!err && data[IFLA_META_PEER_POLICY])
		err = meta_get_policy(data[IFLA_META_PEER_POLICY],
				      &cfg->peer_policy, extack);
	return err;
}

static void meta_init_end(struct net_device *dev,
			  const struct meta_create_cfg *cfg, bool primary)
{
	struct meta_priv *priv = meta_priv(dev);

	priv->primary = primary;
	priv->mode = cfg->mode;
	priv->policy = primary ? cfg->policy : cfg->peer_policy;
	priv->scrub = primary ? cfg->scrub : cfg->peer_scrub;
	priv->revision = 1;
	priv->headroom = cfg->headroom;
	priv->rx_headroom = -1;

	dev->needed_headroom = cfg->headroom;
	dev->needed_tailroom = cfg->tailroom;
	if (cfg->mode == META_MODE_L2)
		dev->flags &= ~IFF_NOARP;
}

/*
 * The device the request names (@dev, allocated by the core in its target
 * namespace) becomes the primary; its peer is built here from the nested
 * peer info, like veth and netkit do. Either both exist afterwards or
 * neither: every error path undoes what was done.
 */
int meta_newlink_impl(struct net_device *dev, struct meta_newlink_args *args,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp = args->tb;
	struct nlattr **tb = args->tb, **data = args->data;
	unsigned char name_assign_type;
	struct meta_create_cfg cfg;
	struct ifinfomsg *ifmp = NULL;
	struct net_device *peer;
	char ifname[IFNAMSIZ];
	struct net *net;
	int err;

	err = meta_parse_create(data, &cfg, extack);
	if (err)
		return err;
	if (data && (data[IFLA_META_PROG_ATTACH] || data[IFLA_META_PROG_DETACH])) {
		NL_SET_ERR_MSG(extack,
			       "meta: attach programs after creation, through the primary");
		return -EINVAL;
	}

	if (data && data[IFLA_META_PEER_INFO]) {
		struct nlattr *attr = data[IFLA_META_PEER_INFO];

		ifmp = nla_data(attr);
		if (ifmp->ifi_index < 0) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "meta: the peer's ifindex must not be negative");
			return -EINVAL;
		}
		err = meta_parse_peer_info(peer_tb, attr, extack);
		if (err < 0) {
			if (extack && !extack->_msg)
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "meta: malformed peer info");
			return err;
		}
		err = meta_validate_addr(peer_tb, extack);
		if (err)
			return err;
		tbp = peer_tb;
	}

	if (cfg.mode != META_MODE_L2 && (tb[IFLA_ADDRESS] || tbp[IFLA_ADDRESS])) {
		NL_SET_ERR_MSG(extack,
			       "meta: l3 mode devices have no MAC address (use mode l2)");
		return -EOPNOTSUPP;
	}

	if (ifmp && tbp[IFLA_IFNAME]) {
		nla_strscpy(ifname, tbp[IFLA_IFNAME], IFNAMSIZ);
		name_assign_type = NET_NAME_USER;
	} else {
		strscpy(ifname, META_IFNAME_FMT, IFNAMSIZ);
		name_assign_type = NET_NAME_ENUM;
	}

	net = meta_peer_net_get(args, tbp);
	if (IS_ERR(net))
		return PTR_ERR(net);
	/*
	 * The core checks the requester's rights in the primary's namespace
	 * only (the peer's too since 7.0): without this, root in a user
	 * namespace could put a peer into the host's.
	 */
	if (!ns_capable(net->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(extack,
			       "meta: no CAP_NET_ADMIN in the peer's network namespace");
		put_net(net);
		return -EPERM;
	}

	peer = rtnl_create_link(net, ifname, name_assign_type, &meta_link_ops,
				tbp, extack);
	if (IS_ERR(peer)) {
		put_net(net);
		return PTR_ERR(peer);
	}

	meta_inherit_tso_max(peer, dev);
	if (cfg.mode == META_MODE_L2 && !(ifmp && tbp[IFLA_ADDRESS]))
		eth_hw_addr_random(peer);
	/* A requested peer ifindex is honoured (checkpoint/restore needs it). */
	if (ifmp && ifmp->ifi_index)
		peer->ifindex = ifmp->ifi_index;
	meta_init_end(peer, &cfg, false);

	err = register_netdevice(peer);
	put_net(net);
	if (err < 0) {
		free_netdev(peer);
		return err;
	}
	netif_carrier_off(peer);

	err = meta_configure_link(peer);
	if (err < 0)
		goto err_unregister_peer;

	if (cfg.mode == META_MODE_L2 && !tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	meta_init_end(dev, &cfg, true);

	err = register_netdevice(dev);
	if (err < 0)
		goto err_unregister_peer;
	netif_carrier_off(dev);

	rcu_assign_pointer(meta_priv(dev)->peer, peer);
	rcu_assign_pointer(meta_priv(peer)->peer, dev);
	return 0;

err_unregister_peer:
	unregister_netdevice(peer);
	return err;
}

/* Deleting either end, or its namespace, deletes the pair. */
static void meta_dellink(struct net_device *dev, struct list_head *head)
{
	struct meta_priv *priv = meta_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	RCU_INIT_POINTER(priv->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		RCU_INIT_POINTER(meta_priv(peer)->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static int meta_detach(struct net_device *end, struct nlattr *tb[], u32 flags,
		       u64 expected, const struct nlattr *nest,
		       struct netlink_ext_ack *extack)
{
	if (flags & ~META_PROG_F_ALL) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_META_PROG_FLAGS],
				    "meta: unknown detach flags");
		return -EINVAL;
	}
	if (!tb[IFLA_META_PROG_ID] == !(flags & META_PROG_F_ALL)) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "meta: detach takes either a program id or the all flag");
		return -EINVAL;
	}
	if (flags & META_PROG_F_ALL)
		return meta_prog_detach(end, 0, true, expected, extack);
	return meta_prog_detach(end, nla_get_u32(tb[IFLA_META_PROG_ID]), false,
				expected, extack);
}

static int meta_attach(struct net_device *end, struct nlattr *tb[], u32 flags,
		       u64 expected, const struct nlattr *nest,
		       struct netlink_ext_ack *extack)
{
	const u32 where = META_PROG_F_BEFORE | META_PROG_F_AFTER |
			  META_PROG_F_REPLACE;
	struct nlattr *rel = tb[IFLA_META_PROG_RELATIVE_ID];

	if (!tb[IFLA_META_PROG_FD]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "meta: attach needs a program fd");
		return -EINVAL;
	}
	if (flags & ~where) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_META_PROG_FLAGS],
				    "meta: unknown attach flags");
		return -EINVAL;
	}
	if (hweight32(flags) > 1) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_META_PROG_FLAGS],
				    "meta: before, after and replace exclude each other");
		return -EINVAL;
	}
	if (rel && !flags) {
		NL_SET_ERR_MSG_ATTR(extack, rel,
				    "meta: a relative id needs before, after or replace");
		return -EINVAL;
	}
	if (flags & META_PROG_F_REPLACE && !rel) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "meta: replace needs the id of the program to replace");
		return -EINVAL;
	}
	return meta_prog_attach(end, nla_get_u32(tb[IFLA_META_PROG_FD]), flags,
				rel ? nla_get_u32(rel) : 0, expected, extack);
}

/*
 * IFLA_META_PROG_ATTACH / _DETACH on the primary @dev: the direction picks
 * the end whose transmit runs the program.
 */
static int meta_change_progs(struct net_device *dev, struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	bool attach = data[IFLA_META_PROG_ATTACH];
	struct nlattr *nest = data[attach ? IFLA_META_PROG_ATTACH :
					    IFLA_META_PROG_DETACH];
	struct nlattr *tb[IFLA_META_PROG_MAX + 1];
	struct net_device *end = dev;
	u64 expected = 0;
	u32 flags = 0;
	int err;

	err = nla_parse_nested(tb, IFLA_META_PROG_MAX, nest,
			       attach ? meta_attach_policy : meta_detach_policy,
			       extack);
	if (err)
		return err;
	if (!tb[IFLA_META_PROG_DIR]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "meta: say which direction (primary or peer) the program is for");
		return -EINVAL;
	}
	if (nla_get_u32(tb[IFLA_META_PROG_DIR]) == META_PROG_DIR_PEER) {
		end = rtnl_dereference(meta_priv(dev)->peer);
		if (!end) {
			NL_SET_ERR_MSG(extack, "meta: the peer is gone");
			return -ENODEV;
		}
	}
	if (tb[IFLA_META_PROG_FLAGS])
		flags = nla_get_u32(tb[IFLA_META_PROG_FLAGS]);
	if (tb[IFLA_META_PROG_EXPECTED_REVISION])
		expected = nla_get_u64(tb[IFLA_META_PROG_EXPECTED_REVISION]);
	if (attach)
		return meta_attach(end, tb, flags, expected, nest, extack);
	return meta_detach(end, tb, flags, expected, nest, extack);
}

static int meta_changelink(struct net_device *dev, struct nlattr *tb[],
			   struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	/* Only the policies may change at runtime. */
	static const int create_only[] = {
		IFLA_META_PEER_INFO, IFLA_META_MODE, IFLA_META_SCRUB,
		IFLA_META_PEER_SCRUB, IFLA_META_HEADROOM, IFLA_META_TAILROOM,
	};
	struct meta_priv *priv = meta_priv(dev);
	enum meta_policy policy = priv->policy, peer_policy = 0;
	struct net_device *peer = rtnl_dereference(priv->peer);
	int i, err;

	if (!data)
		return 0;
	/* The pod must not be able to loosen the policy that confines it. */
	if (!priv->primary) {
		NL_SET_ERR_MSG(extack,
			       "meta: settings can only be changed through the primary (host) device");
		return -EACCES;
	}
	for (i = 0; i < ARRAY_SIZE(create_only); i++) {
		if (data[create_only[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, data[create_only[i]],
					    "meta: peer, mode, scrub, headroom and tailroom are fixed at creation");
			return -EOPNOTSUPP;
		}
	}

	/* Check everything first: a refused request changes nothing. */
	if (data[IFLA_META_POLICY]) {
		err = meta_get_policy(data[IFLA_META_POLICY], &policy, extack);
		if (err)
			return err;
	}
	if (data[IFLA_META_PEER_POLICY]) {
		if (!peer) {
			NL_SET_ERR_MSG(extack, "meta: the peer is gone");
			return -ENODEV;
		}
		err = meta_get_policy(data[IFLA_META_PEER_POLICY],
				      &peer_policy, extack);
		if (err)
			return err;
	}

	if (data[IFLA_META_PROG_ATTACH] && data[IFLA_META_PROG_DETACH]) {
		NL_SET_ERR_MSG(extack, "meta: attach and detach in separate requests");
		return -EINVAL;
	}
	/* The only step that can still fail: do it before the policies. */
	if (data[IFLA_META_PROG_ATTACH] || data[IFLA_META_PROG_DETACH]) {
		err = meta_change_progs(dev, data, extack);
		if (err)
			return err;
	}

	WRITE_ONCE(priv->policy, policy);
	if (data[IFLA_META_PEER_POLICY])
		WRITE_ONCE(meta_priv(peer)->policy, peer_policy);
	return 0;
}

static struct net *meta_get_link_net(const struct net_device *dev)
{
	struct net_device *peer = rtnl_dereference(meta_priv(dev)->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static size_t meta_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u8)) +	/* IFLA_META_PRIMARY */
	       nla_total_size(sizeof(u32)) +	/* IFLA_META_MODE */
	       nla_total_size(sizeof(u32)) +	/* IFLA_META_POLICY */
	       nla_total_size(sizeof(u32)) +	/* IFLA_META_PEER_POLICY */
	       nla_total_size(sizeof(u32)) +	/* IFLA_META_SCRUB */
	       nla_total_size(sizeof(u32)) +	/* IFLA_META_PEER_SCRUB */
	       nla_total_size(sizeof(u16)) +	/* IFLA_META_HEADROOM */
	       nla_total_size(sizeof(u16)) +	/* IFLA_META_TAILROOM */
	       /* IFLA_META_PRIMARY_PROGS, IFLA_META_PEER_PROGS */
	       2 * nla_total_size(META_PROG_MAX * nla_total_size(sizeof(u32))) +
	       /* IFLA_META_PRIMARY_REVISION, IFLA_META_PEER_REVISION */
	       2 * nla_total_size_64bit(sizeof(u64));
}

/* One direction's program ids, in run order. */
static int meta_fill_progs(struct sk_buff *skb, int type,
			   const struct meta_priv *end)
{
	const struct meta_prog_array *arr = rcu_dereference(end->progs);
	struct nlattr *nest;
	int i;

	if (!arr)
		return 0;
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < arr->count; i++) {
		if (nla_put_u32(skb, IFLA_META_PROG_ID, arr->progs[i]->aux->id)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * HEADROOM/TAILROOM report what the device applies (needed_headroom/tailroom).
 * Attributes name ends, not the device dumped: POLICY is always the
 * primary's, PEER_POLICY always the peer's, the same on both ends and the
 * same as changelink() takes them. PRIMARY says which end this is. Program
 * lists and revisions only on the primary: the host's programs are not the
 * pod's to read.
 */
static int meta_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct meta_priv *priv = meta_priv(dev), *prim, *peer;
	struct net_device *other;
	int err = -EMSGSIZE;

	rcu_read_lock();
	other = rcu_dereference(priv->peer);
	if (priv->primary) {
		prim = priv;
		peer = other ? meta_priv(other) : NULL;
	} else {
		peer = priv;
		prim = other ? meta_priv(other) : NULL;
	}

	if (nla_put_u8(skb, IFLA_META_PRIMARY, priv->primary) ||
	    nla_put_u32(skb, IFLA_META_MODE, priv->mode) ||
	    nla_put_u16(skb, IFLA_META_HEADROOM, READ_ONCE(dev->needed_headroom)) ||
	    nla_put_u16(skb, IFLA_META_TAILROOM, READ_ONCE(dev->needed_tailroom)))
		goto out;
	if (prim &&
	    (nla_put_u32(skb, IFLA_META_POLICY, READ_ONCE(prim->policy)) ||
	     nla_put_u32(skb, IFLA_META_SCRUB, prim->scrub)))
		goto out;
	if (peer &&
	    (nla_put_u32(skb, IFLA_META_PEER_POLICY, READ_ONCE(peer->policy)) ||
	     nla_put_u32(skb, IFLA_META_PEER_SCRUB, peer->scrub)))
		goto out;
	if (priv->primary &&
	    (meta_fill_progs(skb, IFLA_META_PRIMARY_PROGS, prim) ||
	     nla_put_u64_64bit(skb, IFLA_META_PRIMARY_REVISION,
			       READ_ONCE(prim->revision), IFLA_META_PAD)))
		goto out;
	if (priv->primary && peer &&
	    (meta_fill_progs(skb, IFLA_META_PEER_PROGS, peer) ||
	     nla_put_u64_64bit(skb, IFLA_META_PEER_REVISION,
			       READ_ONCE(peer->revision), IFLA_META_PAD)))
		goto out;
	err = 0;
out:
	rcu_read_unlock();
	return err;
}

struct rtnl_link_ops meta_link_ops = {
	.kind		= META_LINK_KIND,
	.priv_size	= sizeof(struct meta_priv),
	.setup		= meta_setup,
	.validate	= meta_validate,
	.newlink	= meta_compat_newlink,
	.changelink	= meta_changelink,
	.dellink	= meta_dellink,
	.get_size	= meta_get_size,
	.fill_info	= meta_fill_info,
	.get_link_net	= meta_get_link_net,
	.policy		= meta_policy,
	.maxtype	= IFLA_META_MAX,
	META_LINK_OPS_PEER_TYPE(IFLA_META_PEER_INFO)
};

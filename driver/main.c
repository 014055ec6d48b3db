// SPDX-License-Identifier: GPL-2.0
/*
 * meta: a BPF-programmable paired network device.
 *
 * Module entry points. The pieces: dev.c (net_device), xmit.c (datapath),
 * netlink.c (rtnetlink), compat/ (kernel API differences).
 */
#include <linux/module.h>
#include <linux/pkt_cls.h>
#include <net/rtnetlink.h>

#include "meta.h"

static int __init meta_init(void)
{
	/* Programs written for tc and netkit must mean the same here. */
	BUILD_BUG_ON(META_NEXT != TC_ACT_UNSPEC);
	BUILD_BUG_ON(META_PASS != TC_ACT_OK);
	BUILD_BUG_ON(META_DROP != TC_ACT_SHOT);
	BUILD_BUG_ON(META_REDIRECT != TC_ACT_REDIRECT);

	return rtnl_link_register(&meta_link_ops);
}

/* rtnl_link_unregister() deletes every pair still alive. */
static void __exit meta_exit(void)
{
	rtnl_link_unregister(&meta_link_ops);
}

module_init(meta_init);
module_exit(meta_exit);

MODULE_DESCRIPTION("BPF-programmable paired network device");
MODULE_LICENSE("GPL");
MODULE_VERSION(META_DRV_VERSION);
MODULE_ALIAS_RTNL_LINK(META_LINK_KIND);

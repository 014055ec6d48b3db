// SPDX-License-Identifier: GPL-2.0
/*
 * clone_burst: at tc egress, sends CLONE_BURST_COPIES copies of each packet
 * out of the same device (bpf_clone_redirect) before the packet itself. The
 * receiving end's backlog gets the whole burst within one BH-disabled
 * section, so a small netdev_max_backlog refuses part of it: the load of the
 * drop-accounting test. Copies carry a mark so they are not copied again.
 */
#include "meta_common.h"

#define CLONE_BURST_MARK	0xc10e
#define CLONE_BURST_COPIES	7

SEC("tc")
int clone_burst(struct __sk_buff *skb)
{
	int i;

	if (skb->mark == CLONE_BURST_MARK)
		return TC_ACT_OK;
	skb->mark = CLONE_BURST_MARK;
	for (i = 0; i < CLONE_BURST_COPIES; i++)
		bpf_clone_redirect(skb, skb->ifindex, 0);
	skb->mark = 0;
	return TC_ACT_OK;
}

META_LICENSE;

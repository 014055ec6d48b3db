// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_neigh_nonh: bpf_redirect_neigh(target, NULL, 0, 0). Without a next
 * hop the kernel looks the route up itself (in the namespace of skb->dev)
 * and resolves the neighbour of its gateway or of the destination, then
 * transmits on the target; host_routing is the variant that passes the next
 * hop from its own FIB lookup.
 */
#include "meta_target.h"

SEC("tc")
int redirect_neigh_nonh(struct __sk_buff *skb)
{
	return bpf_redirect_neigh(meta_target_ifindex(), NULL, 0, 0);
}

META_LICENSE;

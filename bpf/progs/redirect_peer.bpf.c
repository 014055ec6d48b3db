// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_peer: bpf_redirect_peer(target, 0). With the target a meta
 * primary, the module delivers the packet straight into that pair's peer
 * (pod) end; same_node does the same with a per-destination target.
 */
#include "meta_target.h"

SEC("tc")
int redirect_peer(struct __sk_buff *skb)
{
	return bpf_redirect_peer(meta_target_ifindex(), 0);
}

META_LICENSE;

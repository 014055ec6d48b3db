// SPDX-License-Identifier: GPL-2.0
/*
 * same_node: pod egress (META_PROG_DIR_PEER) to another pod on this node.
 * A destination found in the pinned meta_pods map is sent with
 * bpf_redirect_peer(that pod's primary): the module delivers it straight
 * into the destination pair's pod end, so it crosses no host device at
 * all. Upstream netkit refuses peer redirects from the transmit path; this
 * is meta's extension.
 *
 * Anything else returns META_NEXT so that a following program (usually
 * host_routing) handles it; as the last program, NEXT forwards it to the
 * host. The TTL is decremented as the host would when routing between
 * pods. So is a packet of a connection that goes through the stack
 * (meta_stack.h: the reply of a pod reached through a Service).
 */
#include "meta_common.h"
#include "meta_stack.h"

META_PODS_MAP;

SEC("tc")
int same_node(struct __sk_buff *skb)
{
	struct meta_pod_key key;
	struct meta_pod *pod;
	struct meta_l3 l3;

	if (meta_load_l3(skb, &l3) < 0)
		return META_NEXT;
	meta_pod_key_dst(&l3, &key);
	pod = bpf_map_lookup_elem(&meta_pods, &key);
	if (!pod || meta_flow_known(skb, &l3, 1))
		return META_NEXT;
	if (meta_dec_ttl(skb, &l3) < 0)
		return META_NEXT;
	return bpf_redirect_peer(pod->ifindex, 0);
}

META_LICENSE;

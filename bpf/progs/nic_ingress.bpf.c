// SPDX-License-Identifier: GPL-2.0
/*
 * nic_ingress: tc ingress program for the physical NIC (not a meta
 * program). A packet for a pod address found in the pinned meta_pods map
 * goes straight into that pod with bpf_redirect_peer(primary ifindex): the
 * kernel asks the meta primary for its peer (ndo_get_peer_dev) and the
 * packet is received by the pod end without a trip through the host stack
 * and the primary. Everything else continues up the host stack
 * (TC_ACT_OK).
 *
 * The TTL is decremented as the host would when routing; a packet that
 * cannot take another hop is left to the stack to answer. Ethernet
 * addresses are left alone: the packet already passed the NIC's address
 * filter as PACKET_HOST, and that is what the pod end sees.
 *
 * A packet of a connection that goes through the stack (meta_stack.h: the
 * reply to a pod's Service or masqueraded connection) goes up the stack,
 * where conntrack undoes the NAT.
 */
#include "meta_common.h"
#include "meta_stack.h"

META_PODS_MAP;

SEC("tc")
int nic_ingress(struct __sk_buff *skb)
{
	struct meta_pod_key key;
	struct meta_pod *pod;
	struct meta_l3 l3;

	if (meta_load_l3(skb, &l3) < 0)
		return TC_ACT_OK;
	meta_pod_key_dst(&l3, &key);
	pod = bpf_map_lookup_elem(&meta_pods, &key);
	if (!pod || meta_flow_known(skb, &l3, 0))
		return TC_ACT_OK;
	if (meta_dec_ttl(skb, &l3) < 0)
		return TC_ACT_OK;
	return bpf_redirect_peer(pod->ifindex, 0);
}

META_LICENSE;

// SPDX-License-Identifier: GPL-2.0
/*
 * stack_flows: for META_PROG_DIR_PRIMARY, what the host stack sends into
 * the pod. Everything that reaches a pod this way came through netfilter
 * (a hostPort or NodePort request DNATed to the pod, the reply of a
 * masqueraded connection, traffic from the node): the pod's endpoint goes
 * into meta_flows, so that host_routing and same_node hand the pod's
 * replies to the stack too, where conntrack undoes the NAT (meta_stack.h).
 * Traffic that nic_ingress or same_node deliver with bpf_redirect_peer()
 * never passes here.
 *
 * Returns META_NEXT: on its own, or last, the packet goes on to the pod.
 */
#include "meta_common.h"
#include "meta_stack.h"

SEC("tc")
int stack_flows(struct __sk_buff *skb)
{
	struct meta_l3 l3;

	if (meta_load_l3(skb, &l3) < 0 || meta_dst_local_scope(&l3))
		return META_NEXT;
	meta_flow_add(skb, &l3, 0);
	return META_NEXT;
}

META_LICENSE;

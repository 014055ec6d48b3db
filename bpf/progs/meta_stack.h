/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What stays on the host stack although the fast path could take it:
 * connections netfilter must see. kube-proxy DNATs Service addresses and
 * NodePorts, portmap DNATs hostPorts, the node masquerades pods to the
 * outside, and conntrack must undo each of these on the way back. The
 * fast path (bpf_redirect_neigh/_peer) skips netfilter, so every packet of
 * such a connection goes through the stack, in both directions, decided
 * without conntrack (5.10 has no conntrack kfuncs):
 *
 *  - to a destination meta_stack_cfg sends through the stack (Service
 *    CIDRs; everything but the pod CIDR when pods are masqueraded): the
 *    pod's endpoint (address, port, protocol) goes into meta_flows, so
 *    that nic_ingress lets the reply (from wherever DNAT sent it) go up the
 *    stack too;
 *  - what the stack delivers into a pod (stack_flows, the primary
 *    direction: DNATed requests among others) puts the pod's endpoint into
 *    meta_flows, so that host_routing and same_node hand its replies to
 *    the stack.
 *
 * meta_flows is keyed by the pod's endpoint only, not the whole 5-tuple:
 * the DNATed peer of a Service connection is unknown before conntrack
 * chooses it. Over-matching only sends more through the stack, which is
 * always right. The maps are in meta_maps.h.
 */
#ifndef META_STACK_H
#define META_STACK_H

#include "meta_common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct meta_stack_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} meta_stack_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, META_FLOWS_MAX);
	__type(key, struct meta_flow_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} meta_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, META_STACK_PODS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} meta_stack_pods SEC(".maps");

#define META_IP_MF_OFFSET	0x3fff	/* IPv4 MF flag and fragment offset */

/* The pod's address (source or destination), IPv4 mapped. */
static __always_inline void meta_pod_addr(const struct meta_l3 *l3, int src,
					  __u8 addr[16])
{
	if (l3->family == META_AF_INET) {
		__builtin_memset(addr, 0, 10);
		addr[10] = 0xff;
		addr[11] = 0xff;
		__builtin_memcpy(&addr[12], src ? &l3->ip4.saddr :
				 &l3->ip4.daddr, 4);
	} else {
		__builtin_memcpy(addr, src ? &l3->ip6.saddr : &l3->ip6.daddr,
				 16);
	}
}

/* The meta_stack_pods slot of the pod's address: its low 16 bits. */
static __always_inline __u32 meta_stack_slot(const struct meta_l3 *l3, int src)
{
	__u32 a;

	if (l3->family == META_AF_INET)
		a = src ? l3->ip4.saddr : l3->ip4.daddr;
	else
		a = src ? l3->ip6.saddr.in6_u.u6_addr32[3] :
			  l3->ip6.daddr.in6_u.u6_addr32[3];
	return bpf_ntohl(a) & (META_STACK_PODS - 1);
}

/*
 * The pod's endpoint of this packet: its address and port (the source's
 * when src, else the destination's). Only TCP, UDP and SCTP have ports,
 * at the start of their header, and only an unfragmented IPv4 packet or
 * an IPv6 one without extension headers shows them here.
 */
static __always_inline void meta_flow_key(struct __sk_buff *skb,
					  const struct meta_l3 *l3, int src,
					  struct meta_flow_key *k)
{
	__u32 off;
	__u8 proto;

	__builtin_memset(k, 0, sizeof(*k));
	meta_pod_addr(l3, src, k->addr);
	if (l3->family == META_AF_INET) {
		proto = l3->ip4.protocol;
		if (l3->ip4.frag_off & bpf_htons(META_IP_MF_OFFSET))
			proto = 0;
		off = META_IP_OFF + l3->ip4.ihl * 4;
	} else {
		proto = l3->ip6.nexthdr;
		off = META_IP_OFF + sizeof(struct ipv6hdr);
	}
	k->proto = l3->family == META_AF_INET ? l3->ip4.protocol : proto;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_SCTP)
		bpf_skb_load_bytes(skb, off + (src ? 0 : 2), &k->port,
				   sizeof(k->port));
}

/* The pod's endpoint is in meta_flows (looked up only if its slot is set). */
static __always_inline int meta_flow_known(struct __sk_buff *skb,
					   const struct meta_l3 *l3, int src)
{
	__u32 slot = meta_stack_slot(l3, src), *set;
	struct meta_flow_key k;

	set = bpf_map_lookup_elem(&meta_stack_pods, &slot);
	if (!set || !*set)
		return 0;
	meta_flow_key(skb, l3, src, &k);
	return bpf_map_lookup_elem(&meta_flows, &k) != NULL;
}

/* Puts the pod's endpoint into meta_flows (and sets its slot). */
static __always_inline void meta_flow_add(struct __sk_buff *skb,
					  const struct meta_l3 *l3, int src)
{
	struct meta_flow_key k;
	__u32 slot, *set;
	__u8 one = 1;

	meta_flow_key(skb, l3, src, &k);
	if (!bpf_map_lookup_elem(&meta_flows, &k))
		bpf_map_update_elem(&meta_flows, &k, &one, BPF_ANY);
	slot = meta_stack_slot(l3, src);
	set = bpf_map_lookup_elem(&meta_stack_pods, &slot);
	if (set && !*set)
		*set = 1;
}

/*
 * meta_stack_cfg sends traffic to the packet's destination via the stack:
 * the longest matching prefix of its family says. An IPv4 destination is
 * compared with IPv4 prefixes only, one word each: this runs for every
 * packet a pod sends.
 */
static __always_inline int meta_dst_via_stack(const struct meta_l3 *l3)
{
	__u32 zero = 0, best = 0, via = 0, i, miss, d[4] = {};
	const struct meta_stack_net *e;
	struct meta_stack_cfg *cfg;
	int v4 = l3->family == META_AF_INET;

	cfg = bpf_map_lookup_elem(&meta_stack_cfg, &zero);
	if (!cfg || !cfg->n)
		return 0;
	/*
	 * Only what meta_load_l3() filled in: clang keeps l3 in registers,
	 * and the other family's words would be uninitialised ones.
	 */
	if (v4) {
		d[3] = l3->ip4.daddr;
	} else {
		d[0] = l3->ip6.daddr.in6_u.u6_addr32[0];
		d[1] = l3->ip6.daddr.in6_u.u6_addr32[1];
		d[2] = l3->ip6.daddr.in6_u.u6_addr32[2];
		d[3] = l3->ip6.daddr.in6_u.u6_addr32[3];
	}
	/* A bounded loop (5.3+): unrolled, 8 entries would be 8 copies. */
	for (i = 0; i < META_STACK_MAX; i++) {
		if (i >= cfg->n)
			break;
		e = &cfg->nets[i];
		if (e->v4 != v4)
			continue;
		miss = (d[3] ^ e->addr[3]) & e->mask[3];
		if (!v4)
			miss |= ((d[0] ^ e->addr[0]) & e->mask[0]) |
				((d[1] ^ e->addr[1]) & e->mask[1]) |
				((d[2] ^ e->addr[2]) & e->mask[2]);
		if (!miss && e->prefixlen + 1U > best) {
			best = e->prefixlen + 1U;
			via = e->via_stack;
		}
	}
	return via;
}

/*
 * Pod egress (host_routing): 1 if the packet must go through the stack,
 * because its connection already does, or because its destination does
 * (then its reply must too: recorded).
 */
static __always_inline int meta_egress_via_stack(struct __sk_buff *skb,
						 const struct meta_l3 *l3)
{
	if (meta_flow_known(skb, l3, 1))
		return 1;
	if (!meta_dst_via_stack(l3))
		return 0;
	meta_flow_add(skb, l3, 1);
	return 1;
}

#endif /* META_STACK_H */

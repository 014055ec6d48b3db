// SPDX-License-Identifier: GPL-2.0
/*
 * host_routing: pod egress the way Cilium's BPF host routing does it, for
 * programs of META_PROG_DIR_PEER (what the pod sends).
 *
 * When the program runs, skb->dev is already the primary (host) end, so
 * bpf_fib_lookup() consults the host's routing tables, as an input lookup
 * with the primary as the incoming device: ip rules on iif apply, and the
 * host must forward on the primary (net.ipv4.conf.<primary>.forwarding=1,
 * net.ipv6.conf.<primary>.forwarding=1), exactly as for traffic the stack
 * routes. BPF_FIB_LOOKUP_DIRECT would skip the rules and
 * BPF_FIB_LOOKUP_OUTPUT would route as if the host sent the packet itself.
 *
 * A route with a reachable next hop (lookup SUCCESS, or NO_NEIGH: the next
 * hop's neighbour entry is missing or stale, which bpf_redirect_neigh()
 * resolves itself) becomes bpf_redirect_neigh(oif, next hop): the packet
 * leaves on the NIC without the backlog queue and the host stack. Anything
 * else is handed to the host stack with META_PASS, which then does what it
 * always does: local delivery (NOT_FWDED), ICMP unreachable / prohibited /
 * frag needed / time exceeded, or dropping when forwarding is disabled.
 *
 * Connections netfilter must see (Services, masquerading, the replies of
 * DNATed hostPort/NodePort requests) are handed to the stack as well
 * (meta_stack.h); with meta_stack_cfg empty and no such connection that
 * costs two inlined array look-ups.
 */
#include "meta_common.h"
#include "meta_stack.h"

#define META_IP6_FLOWINFO_MASK	0x0fffffff

SEC("tc")
int host_routing(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib = {};
	struct bpf_redir_neigh nh = {};
	struct meta_l3 l3;
	long ret;

	if (meta_load_l3(skb, &l3) < 0 || meta_dst_local_scope(&l3) ||
	    meta_egress_via_stack(skb, &l3))
		return META_PASS;

	/*
	 * tot_len stays 0: the kernel then checks the skb itself against the
	 * egress MTU, which is right for GSO packets too.
	 */
	fib.ifindex = skb->ifindex;
	if (l3.family == META_AF_INET) {
		fib.family = META_AF_INET;
		fib.tos = l3.ip4.tos;
		fib.l4_protocol = l3.ip4.protocol;
		fib.ipv4_src = l3.ip4.saddr;
		fib.ipv4_dst = l3.ip4.daddr;
	} else {
		fib.family = META_AF_INET6;
		fib.flowinfo = *(__be32 *)&l3.ip6 &
			       bpf_htonl(META_IP6_FLOWINFO_MASK);
		fib.l4_protocol = l3.ip6.nexthdr;
		__builtin_memcpy(fib.ipv6_src, &l3.ip6.saddr, 16);
		__builtin_memcpy(fib.ipv6_dst, &l3.ip6.daddr, 16);
	}

	ret = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (ret != BPF_FIB_LKUP_RET_SUCCESS && ret != BPF_FIB_LKUP_RET_NO_NEIGH)
		return META_PASS;
	if (meta_dec_ttl(skb, &l3) < 0)
		return META_PASS;

	/*
	 * The lookup left the next hop (the gateway, or the destination on a
	 * connected route) in the destination field, in the family of the
	 * next hop: an IPv4 route may have an IPv6 gateway (RFC 5549).
	 */
	nh.nh_family = fib.family;
	if (fib.family == META_AF_INET)
		nh.ipv4_nh = fib.ipv4_dst;
	else
		__builtin_memcpy(nh.ipv6_nh, fib.ipv6_dst, 16);
	return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

META_LICENSE;

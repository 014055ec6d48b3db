// SPDX-License-Identifier: GPL-2.0
/*
 * port_policy: drops TCP and UDP packets whose destination port is in the
 * pinned meta_deny_ports hash (key: __u16 port in host byte order).
 *
 * Everything else gets META_NEXT rather than META_PASS: the policy is meant
 * to be chained in front of a forwarding program (host_routing, same_node),
 * and on its own NEXT still forwards, because a chain in which every
 * program says NEXT forwards the packet.
 *
 * What has no port to check goes on as well: non-first IPv4/IPv6 fragments
 * (only the first carries the L4 header) and IPv6 packets whose transport
 * header is not found within META_IP6_MAX_EXT extension headers.
 */
#include "meta_common.h"

META_DENY_PORTS_MAP;

#define META_IP6_MAX_EXT	4
#define META_IP_OFFSET_MASK	0x1fff	/* IPv4 fragment offset bits */
#define META_IP6_OFFSET_MASK	0xfff8	/* IPv6 fragment offset bits */

struct meta_ip6_ext {
	__u8 nexthdr;
	__u8 len;
	__be16 frag_off;	/* fragment header only */
};

/* Offset of the transport header and its protocol, or -1 if unknown. */
static __always_inline int meta_l4_off(struct __sk_buff *skb,
				       const struct meta_l3 *l3, __u8 *proto)
{
	struct meta_ip6_ext ext;
	__u8 nexthdr;
	int off, i;

	if (l3->family == META_AF_INET) {
		if (l3->ip4.frag_off & bpf_htons(META_IP_OFFSET_MASK))
			return -1;
		*proto = l3->ip4.protocol;
		return META_IP_OFF + l3->ip4.ihl * 4;
	}

	nexthdr = l3->ip6.nexthdr;
	off = META_IP_OFF + sizeof(struct ipv6hdr);
#pragma unroll
	for (i = 0; i < META_IP6_MAX_EXT; i++) {
		switch (nexthdr) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			break;
		default:
			*proto = nexthdr;
			return off;
		}
		if (bpf_skb_load_bytes(skb, off, &ext, sizeof(ext)) < 0)
			return -1;
		if (nexthdr == IPPROTO_FRAGMENT) {
			if (ext.frag_off & bpf_htons(META_IP6_OFFSET_MASK))
				return -1;
			off += 8;
		} else if (nexthdr == IPPROTO_AH) {
			off += (ext.len + 2) * 4;
		} else {
			off += (ext.len + 1) * 8;
		}
		nexthdr = ext.nexthdr;
	}
	return -1;
}

SEC("tc")
int port_policy(struct __sk_buff *skb)
{
	struct meta_l3 l3;
	__be16 port;
	__u16 key;
	__u8 proto;
	int off;

	if (meta_load_l3(skb, &l3) < 0)
		return META_NEXT;
	off = meta_l4_off(skb, &l3, &proto);
	if (off < 0 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return META_NEXT;
	/* TCP and UDP both keep the destination port at offset 2. */
	if (bpf_skb_load_bytes(skb, off + offsetof(struct udphdr, dest),
			       &port, sizeof(port)) < 0)
		return META_NEXT;
	key = bpf_ntohs(port);
	if (bpf_map_lookup_elem(&meta_deny_ports, &key))
		return META_DROP;
	return META_NEXT;
}

META_LICENSE;

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by meta's BPF programs: includes, the pinned map definitions and
 * the packet parsing they have in common.
 *
 * Programs get the packet with skb->data at the Ethernet header, on a meta
 * device in either mode (l3 devices still present one, as netkit does) as
 * at tc ingress/egress. Headers are read with bpf_skb_load_bytes() rather
 * than direct packet access: it works on non-linear skbs too, and none of
 * these programs is hot enough for the difference to matter more than
 * correctness.
 */
#ifndef META_COMMON_H
#define META_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <linux/if_meta.h>
#include "meta_maps.h"

/* <sys/socket.h> is libc's, not available to BPF programs. */
#define META_AF_INET	2
#define META_AF_INET6	10

/*
 * Maps are defined by macro so that each object declares only the maps it
 * uses (an unused map would still be created and pinned) and every object
 * declares a shared map identically: libbpf refuses to reuse a pinned map
 * whose definition differs.
 */
#define META_DENY_PORTS_MAP						\
struct {								\
	__uint(type, BPF_MAP_TYPE_HASH);				\
	__uint(max_entries, META_DENY_PORTS_MAX);			\
	__type(key, __u16);						\
	__type(value, __u8);						\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} meta_deny_ports SEC(".maps")

#define META_TARGET_MAP							\
struct {								\
	__uint(type, BPF_MAP_TYPE_ARRAY);				\
	__uint(max_entries, 1);						\
	__type(key, __u32);						\
	__type(value, struct meta_target);				\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} meta_target SEC(".maps")

#define META_PODS_MAP							\
struct {								\
	__uint(type, BPF_MAP_TYPE_HASH);				\
	__uint(max_entries, META_PODS_MAX);				\
	__type(key, struct meta_pod_key);				\
	__type(value, struct meta_pod);					\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} meta_pods SEC(".maps")

#define META_OBSERVED_MAP						\
struct {								\
	__uint(type, BPF_MAP_TYPE_ARRAY);				\
	__uint(max_entries, 1);						\
	__type(key, __u32);						\
	__type(value, struct meta_observed);				\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} meta_observed SEC(".maps")

#define META_MARK_MAP							\
struct {								\
	__uint(type, BPF_MAP_TYPE_ARRAY);				\
	__uint(max_entries, 1);						\
	__type(key, __u32);						\
	__type(value, struct meta_mark);				\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} meta_mark SEC(".maps")

#define META_COUNT_MAP							\
struct {								\
	__uint(type, BPF_MAP_TYPE_ARRAY);				\
	__uint(max_entries, 1);						\
	__type(key, __u32);						\
	__type(value, __u64);						\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} meta_count SEC(".maps")

#define META_LICENSE char LICENSE[] SEC("license") = "GPL"

#define META_IP_OFF		ETH_HLEN
#define META_IP_TTL_OFF		(META_IP_OFF + offsetof(struct iphdr, ttl))
#define META_IP_CSUM_OFF	(META_IP_OFF + offsetof(struct iphdr, check))
#define META_IP6_HOPS_OFF	(META_IP_OFF + offsetof(struct ipv6hdr, hop_limit))

/* The IP header of the packet, by family. */
struct meta_l3 {
	__u16 family;		/* META_AF_INET or META_AF_INET6, 0: not IP */
	union {
		struct iphdr ip4;
		struct ipv6hdr ip6;
	};
};

/*
 * Loads the IPv4 or IPv6 header. skb->protocol rather than the Ethernet
 * type decides: it is what the stack set on transmit and what tc uses, and
 * it stays right on l3 devices whose Ethernet header is synthetic.
 */
static __always_inline int meta_load_l3(struct __sk_buff *skb,
					struct meta_l3 *l3)
{
	l3->family = 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, META_IP_OFF, &l3->ip4,
				       sizeof(l3->ip4)) < 0 ||
		    l3->ip4.version != 4 || l3->ip4.ihl < 5)
			return -1;
		l3->family = META_AF_INET;
		return 0;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, META_IP_OFF, &l3->ip6,
				       sizeof(l3->ip6)) < 0 ||
		    l3->ip6.version != 6)
			return -1;
		l3->family = META_AF_INET6;
		return 0;
	}
	return -1;
}

/* The destination as a meta_pods key (IPv4 mapped into ::ffff:0:0/96). */
static __always_inline void meta_pod_key_dst(const struct meta_l3 *l3,
					     struct meta_pod_key *key)
{
	if (l3->family == META_AF_INET) {
		__builtin_memset(key->addr, 0, 10);
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		__builtin_memcpy(&key->addr[12], &l3->ip4.daddr, 4);
	} else {
		__builtin_memcpy(key->addr, &l3->ip6.daddr, 16);
	}
}

/*
 * Forwarding through BPF skips ip_forward(), so the TTL / hop limit is
 * decremented here as the host stack would. A packet that must not be
 * forwarded any more returns -1: the caller hands it to the stack, which
 * answers with ICMP time exceeded.
 */
static __always_inline int meta_dec_ttl(struct __sk_buff *skb,
					const struct meta_l3 *l3)
{
	__u8 ttl;

	if (l3->family == META_AF_INET) {
		ttl = l3->ip4.ttl;
		if (ttl <= 1)
			return -1;
		ttl--;
		/* TTL is the high byte of the 16-bit word it shares. */
		if (bpf_l3_csum_replace(skb, META_IP_CSUM_OFF,
					bpf_htons((__u16)l3->ip4.ttl << 8),
					bpf_htons((__u16)ttl << 8), 2) < 0 ||
		    bpf_skb_store_bytes(skb, META_IP_TTL_OFF, &ttl, 1, 0) < 0)
			return -1;
		return 0;
	}
	ttl = l3->ip6.hop_limit;
	if (ttl <= 1)
		return -1;
	ttl--;
	return bpf_skb_store_bytes(skb, META_IP6_HOPS_OFF, &ttl, 1, 0) < 0 ?
	       -1 : 0;
}

/*
 * Destinations that are never forwarded to a single next hop: multicast,
 * broadcast and IPv6 link-local. They stay with the stack.
 */
static __always_inline int meta_dst_local_scope(const struct meta_l3 *l3)
{
	if (l3->family == META_AF_INET) {
		__u32 dst = bpf_ntohl(l3->ip4.daddr);

		return (dst >> 28) == 0xe || dst == 0xffffffff;
	}
	return l3->ip6.daddr.s6_addr[0] == 0xff ||
	       (l3->ip6.daddr.s6_addr[0] == 0xfe &&
		(l3->ip6.daddr.s6_addr[1] & 0xc0) == 0x80);
}

#endif /* META_COMMON_H */

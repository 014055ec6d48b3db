/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by meta's BPF programs: includes, the pinned map definitions and
 * the packet parsing they have in common.
 *
 * Programs get the packet with skb->data at the Ethernet header, on a meta
 * device in either mode (l3 devices still present one, as netkit does) as
 * at tc ingress/egress. The IP header is read and its TTL rewritten by
 * direct packet access: host_routing and nic_ingress run for every packet
 * of a pod, and bpf_skb_load_bytes(), bpf_skb_store_bytes() and
 * bpf_l3_csum_replace() cost a helper call each, the writing ones also a
 * writability check (~800 instructions per TCP_RR transaction, measured
 * with bench/profile.sh). A header outside the linear area is pulled in
 * first, so non-linear skbs still work.
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

/* The IP header of the packet, by family. */
struct meta_l3 {
	__u16 family;		/* META_AF_INET or META_AF_INET6, 0: not IP */
	union {
		struct iphdr ip4;
		struct ipv6hdr ip6;
	};
};

/*
 * The IP header, LEN bytes of it, in the linear area (pulled in if it is
 * not yet), or NULL if the packet is shorter. Packet pointers do not
 * survive helpers that may move the data: callers ask again instead of
 * keeping one.
 */
static __always_inline void *meta_ip_hdr(struct __sk_buff *skb, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (data + META_IP_OFF + len <= data_end)
		return data + META_IP_OFF;
	if (bpf_skb_pull_data(skb, META_IP_OFF + len) < 0)
		return NULL;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + META_IP_OFF + len > data_end)
		return NULL;
	return data + META_IP_OFF;
}

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
		struct iphdr *ip = meta_ip_hdr(skb, sizeof(*ip));

		if (!ip || ip->version != 4 || ip->ihl < 5)
			return -1;
		__builtin_memcpy(&l3->ip4, ip, sizeof(*ip));
		l3->family = META_AF_INET;
		return 0;
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = meta_ip_hdr(skb, sizeof(*ip6));

		if (!ip6 || ip6->version != 6)
			return -1;
		__builtin_memcpy(&l3->ip6, ip6, sizeof(*ip6));
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
	if (l3->family == META_AF_INET) {
		struct iphdr *ip = meta_ip_hdr(skb, sizeof(*ip));
		__u32 check;

		if (!ip || ip->ttl <= 1)
			return -1;
		/*
		 * ip_decrease_ttl()'s incremental update: the TTL is the high
		 * byte of its 16-bit word, so the sum grows by 0x0100.
		 */
		check = ip->check;
		check += bpf_htons(0x0100);
		ip->check = (__u16)(check + (check >= 0xffff));
		ip->ttl--;
		return 0;
	}
	{
		struct ipv6hdr *ip6 = meta_ip_hdr(skb, sizeof(*ip6));

		if (!ip6 || ip6->hop_limit <= 1)
			return -1;
		ip6->hop_limit--;
		return 0;
	}
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

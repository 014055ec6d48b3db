// SPDX-License-Identifier: GPL-2.0
/*
 * count_big: counts, in the pinned meta_count map, the packets whose IP
 * packet is longer than 65535 bytes (skb->len beyond the Ethernet header),
 * i.e. BIG TCP GSO packets, which only exist with gso_max_size (IPv6) or
 * gso_ipv4_max_size above 64 KiB; returns -1 (TC_ACT_UNSPEC / META_NEXT).
 * At tc ingress of the receiving device or as a meta program before a
 * redirecting one, it proves that such packets crossed that hop whole.
 */
#include "meta_common.h"

META_COUNT_MAP;

SEC("tc")
int count_big(struct __sk_buff *skb)
{
	__u64 *n;
	__u32 key = 0;

	if (skb->len <= 65535 + ETH_HLEN)
		return META_NEXT;
	n = bpf_map_lookup_elem(&meta_count, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return META_NEXT;
}

META_LICENSE;

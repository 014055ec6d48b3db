// SPDX-License-Identifier: GPL-2.0
/*
 * count: counts packets in the pinned meta_count map and returns
 * META_NEXT. Placed before or after a program that ends the chain, it shows
 * whether that program ran first: the ordering tests' witness.
 */
#include "meta_common.h"

META_COUNT_MAP;

SEC("tc")
int count(struct __sk_buff *skb)
{
	__u64 *n;
	__u32 key = 0;

	n = bpf_map_lookup_elem(&meta_count, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	return META_NEXT;
}

META_LICENSE;

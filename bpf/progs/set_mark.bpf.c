// SPDX-License-Identifier: GPL-2.0
/*
 * set_mark: sets skb->mark and skb->priority from the pinned meta_mark map
 * and returns -1 (TC_ACT_UNSPEC for tc, META_NEXT for meta). For the scrub
 * tests, as a tc egress filter on one end: the packet then enters meta's
 * transmit with the mark set, and observe on the other end shows whether
 * it survived the namespace crossing.
 */
#include "meta_common.h"

META_MARK_MAP;

SEC("tc")
int set_mark(struct __sk_buff *skb)
{
	struct meta_mark *m;
	__u32 key = 0;

	m = bpf_map_lookup_elem(&meta_mark, &key);
	if (m) {
		skb->mark = m->mark;
		skb->priority = m->priority;
	}
	return TC_ACT_UNSPEC;
}

META_LICENSE;

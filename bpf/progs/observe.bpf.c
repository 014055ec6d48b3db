// SPDX-License-Identifier: GPL-2.0
/*
 * observe: records what arrives, for the scrub tests: attach it at tc
 * ingress of a pod end (or of a primary, for the other direction) and read
 * the pinned meta_observed map. It counts every packet and remembers the
 * last skb->mark and skb->priority, and separately the last non-zero ones.
 *
 * It returns -1, which is TC_ACT_UNSPEC to tc (go on as if no filter
 * matched: the packet is delivered) and META_NEXT to meta: the same object
 * also works as a meta program, to see the mark a meta program chain gets.
 */
#include "meta_common.h"

META_OBSERVED_MAP;

SEC("tc")
int observe(struct __sk_buff *skb)
{
	struct meta_observed *o;
	__u32 key = 0;
	__u32 mark = skb->mark, prio = skb->priority;

	o = bpf_map_lookup_elem(&meta_observed, &key);
	if (!o)
		return TC_ACT_UNSPEC;
	__sync_fetch_and_add(&o->packets, 1);
	o->last_mark = mark;
	o->last_priority = prio;
	if (mark) {
		__sync_fetch_and_add(&o->marked, 1);
		o->mark = mark;
	}
	if (prio) {
		__sync_fetch_and_add(&o->prioritized, 1);
		o->priority = prio;
	}
	return TC_ACT_UNSPEC;
}

META_LICENSE;

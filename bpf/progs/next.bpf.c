// SPDX-License-Identifier: GPL-2.0
/*
 * next: defers to the next program (META_NEXT); when every program says
 * NEXT the packet is forwarded.
 */
#include "meta_common.h"

SEC("tc")
int next(struct __sk_buff *skb)
{
	return META_NEXT;
}

META_LICENSE;

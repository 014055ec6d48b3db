// SPDX-License-Identifier: GPL-2.0
/*
 * drop: drops every packet (META_DROP).
 */
#include "meta_common.h"

SEC("tc")
int drop(struct __sk_buff *skb)
{
	return META_DROP;
}

META_LICENSE;

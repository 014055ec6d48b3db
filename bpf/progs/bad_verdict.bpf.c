// SPDX-License-Identifier: GPL-2.0
/*
 * bad_verdict: returns 42, which is no verdict: the module must drop the
 * packet and count it as an unknown verdict.
 */
#include "meta_common.h"

#define META_BAD_VERDICT	42

SEC("tc")
int bad_verdict(struct __sk_buff *skb)
{
	return META_BAD_VERDICT;
}

META_LICENSE;

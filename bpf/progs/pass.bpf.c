// SPDX-License-Identifier: GPL-2.0
/*
 * pass: hands every packet to the other end (META_PASS), like the forward
 * policy but through the program path.
 */
#include "meta_common.h"

SEC("tc")
int pass(struct __sk_buff *skb)
{
	return META_PASS;
}

META_LICENSE;

// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_noop: returns META_REDIRECT without having called a redirect
 * helper. There is nowhere to send the packet: the module must drop it and
 * count a redirect failure.
 */
#include "meta_common.h"

SEC("tc")
int redirect_noop(struct __sk_buff *skb)
{
	return META_REDIRECT;
}

META_LICENSE;

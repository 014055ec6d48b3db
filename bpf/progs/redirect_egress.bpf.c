// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_egress: bpf_redirect(target, 0), i.e. transmit the packet on the
 * meta_target device without going through the per-CPU backlog or the
 * host stack.
 */
#include "meta_target.h"

SEC("tc")
int redirect_egress(struct __sk_buff *skb)
{
	return bpf_redirect(meta_target_ifindex(), 0);
}

META_LICENSE;

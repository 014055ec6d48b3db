// SPDX-License-Identifier: GPL-2.0
/*
 * redirect_ingress: bpf_redirect(target, BPF_F_INGRESS), i.e. inject the
 * packet into the receive path of the meta_target device.
 */
#include "meta_target.h"

SEC("tc")
int redirect_ingress(struct __sk_buff *skb)
{
	return bpf_redirect(meta_target_ifindex(), BPF_F_INGRESS);
}

META_LICENSE;

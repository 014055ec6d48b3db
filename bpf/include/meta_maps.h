/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The maps that meta's BPF programs share with user space: names, key and
 * value layouts. Included by the BPF programs (bpf/progs), by libmeta and by
 * metactl, so there is exactly one definition of each layout.
 *
 * Every map here is pinned by name (LIBBPF_PIN_BY_NAME) under the pin
 * directory given at load time, META_PIN_DIR by default. All objects loaded
 * with the same pin directory share these maps; a different directory gives
 * an independent set (e.g. two redirect targets at once).
 */
#ifndef META_MAPS_H
#define META_MAPS_H

#include <linux/types.h>

#define META_PIN_DIR		"/sys/fs/bpf/meta"

/*
 * meta_deny_ports (port_policy): BPF_MAP_TYPE_HASH, key __u16 destination
 * port in HOST byte order, value __u8 (any value, 1 by convention). A TCP
 * or UDP packet to a port present in the map is dropped.
 */
#define META_MAP_DENY_PORTS	"meta_deny_ports"
#define META_DENY_PORTS_MAX	1024

/*
 * meta_target (redirect_egress, redirect_ingress, redirect_peer,
 * redirect_neigh_nonh): BPF_MAP_TYPE_ARRAY of one entry, key __u32 0,
 * value struct meta_target. The ifindex is resolved in the namespace of
 * skb->dev when the program runs: for programs of META_PROG_DIR_PEER (pod
 * egress) that is the primary's (host) namespace, for META_PROG_DIR_PRIMARY
 * the peer's (pod) namespace. 0 (never set) names no device, so the
 * redirect fails and the module drops and counts the packet.
 */
#define META_MAP_TARGET		"meta_target"
struct meta_target {
	__u32 ifindex;
};

/*
 * meta_pods (nic_ingress, same_node): BPF_MAP_TYPE_HASH, key struct
 * meta_pod_key, value struct meta_pod. Maps a pod address to the ifindex
 * of that pod's meta PRIMARY device (host namespace). IPv4 addresses are
 * stored IPv4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so one map serves
 * both families and a key is always 16 bytes in network byte order.
 */
#define META_MAP_PODS		"meta_pods"
#define META_PODS_MAX		16384
struct meta_pod_key {
	__u8 addr[16];
};

struct meta_pod {
	__u32 ifindex;
};

/*
 * meta_observed (observe): BPF_MAP_TYPE_ARRAY of one entry, key __u32 0.
 * Counters only grow (user space resets them by writing zeroes). marked /
 * prioritized count packets whose mark / priority was non-zero, and mark /
 * priority keep the last non-zero value: background traffic with a zero
 * mark (router solicitations, MLD...) cannot hide what a test sent.
 */
#define META_MAP_OBSERVED	"meta_observed"
struct meta_observed {
	__u64 packets;		/* every packet seen */
	__u64 marked;		/* packets with skb->mark != 0 */
	__u64 prioritized;	/* packets with skb->priority != 0 */
	__u32 last_mark;	/* skb->mark of the last packet */
	__u32 last_priority;	/* skb->priority of the last packet */
	__u32 mark;		/* last non-zero skb->mark */
	__u32 priority;		/* last non-zero skb->priority */
};

/*
 * meta_mark (set_mark): BPF_MAP_TYPE_ARRAY of one entry, key __u32 0: what
 * set_mark writes into skb->mark and skb->priority.
 */
#define META_MAP_MARK		"meta_mark"
struct meta_mark {
	__u32 mark;
	__u32 priority;
};

/*
 * meta_count (count): BPF_MAP_TYPE_ARRAY of one entry, key __u32 0, value
 * __u64: packets that went through a count program.
 */
#define META_MAP_COUNT		"meta_count"

/*
 * The connections netfilter must see (kube-proxy's Service DNAT, hostPort
 * and NodePort DNAT, masquerading) are kept on the host stack by the fast
 * path programs (host_routing, nic_ingress, same_node) with three maps,
 * filled by user space (meta_stack_cfg) and by the programs (the others).
 * progs/meta_stack.h says how they are used.
 *
 * meta_stack_cfg: BPF_MAP_TYPE_ARRAY of one entry, key __u32 0: up to
 * META_STACK_MAX destination prefixes, longest match wins; via_stack 1
 * sends a pod's traffic to them through the stack (Service CIDRs; 0.0.0.0/0
 * when pods are masqueraded to the outside), 0 keeps the fast path (the
 * pod CIDR, as an exception to a shorter prefix).
 */
#define META_MAP_STACK_CFG	"meta_stack_cfg"
#define META_STACK_MAX		8
struct meta_stack_net {
	__u32 addr[4];		/* the network, IPv4 mapped as in meta_pods */
	__u32 mask[4];		/* its prefix as a mask, network byte order */
	__u8 prefixlen;		/* 0..128 (IPv4: 96 + its length) */
	__u8 via_stack;
	__u8 v4;		/* an IPv4 prefix: addr[3]/mask[3] are all of it */
	__u8 pad;
};

struct meta_stack_cfg {
	__u32 n;		/* entries in use, from nets[0] */
	__u32 pad;
	struct meta_stack_net nets[META_STACK_MAX];
};

/*
 * meta_flows: BPF_MAP_TYPE_LRU_HASH, key struct meta_flow_key, value __u8:
 * the pod endpoints (pod address, its port, protocol) whose connections go
 * through the stack in both directions. Added by host_routing when it
 * hands a packet to the stack for meta_stack_cfg (the reply must come back
 * through conntrack), and by stack_flows for what the stack delivers into
 * a pod (a DNATed hostPort/NodePort request: the reply must leave the same
 * way). Port 0 for protocols without ports and non-first fragments.
 */
#define META_MAP_FLOWS		"meta_flows"
#define META_FLOWS_MAX		65536
struct meta_flow_key {
	__u8 addr[16];		/* the pod's address, IPv4 mapped */
	__u16 port;		/* the pod's port, network byte order */
	__u8 proto;		/* IPPROTO_* */
	__u8 pad;
};

/*
 * meta_stack_pods: BPF_MAP_TYPE_ARRAY of META_STACK_PODS __u32, indexed by
 * the low 16 bits of a pod's address: non-zero once meta_flows may hold an
 * entry of that pod, so that the fast path looks meta_flows up only for
 * pods that have such connections (an array look-up is inlined, a hash
 * look-up is not). Two pods sharing a slot only cost a look-up.
 */
#define META_MAP_STACK_PODS	"meta_stack_pods"
#define META_STACK_PODS		65536

#endif /* META_MAPS_H */

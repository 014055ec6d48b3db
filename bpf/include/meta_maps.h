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

#endif /* META_MAPS_H */

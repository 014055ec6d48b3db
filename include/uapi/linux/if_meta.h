/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * meta: a BPF-programmable paired network device.
 *
 * This header is the ABI between meta.ko and everything that talks to it
 * (iproute2, libmeta, the CNI plugin, the selftests). Attribute numbers and
 * enum values are stable: new ones are only ever appended.
 */
#ifndef _UAPI_LINUX_IF_META_H
#define _UAPI_LINUX_IF_META_H

/* rtnetlink link kind: "ip link add ... type meta". */
#define META_LINK_KIND		"meta"

/*
 * Verdicts of a program attached to a meta device. The values equal tc's
 * TC_ACT_* and netkit's NETKIT_*, so existing SCHED_CLS programs can be
 * reused unchanged.
 */
enum meta_action {
	META_NEXT	= -1,	/* continue with the next program */
	META_PASS	= 0,	/* hand the packet to the other end */
	META_OKAY	= META_PASS,
	META_DROP	= 2,	/* free the packet */
	META_REDIRECT	= 7,	/* perform the redirect a helper asked for */
};

/*
 * What an end does with the packets it transmits while no program is
 * attached to it.
 */
enum meta_policy {
	META_POLICY_FORWARD	= META_PASS,	/* hand to the other end */
	META_POLICY_BLACKHOLE	= META_DROP,	/* drop and count */
};

/*
 * Device mode, fixed at creation. L3 (the default) carries IP only: no ARP,
 * no MAC addresses to manage, a device route is all a pod needs. L2 is a
 * full Ethernet device with (random or given) MAC addresses and ARP/ND.
 */
enum meta_mode {
	META_MODE_L3	= 0,
	META_MODE_L2	= 1,
};

/*
 * What is cleared from a packet that crosses from one network namespace to
 * another (timestamps are always cleared).
 */
enum meta_scrub {
	META_SCRUB_NONE		= 0,	/* keep skb->mark and skb->priority */
	META_SCRUB_DEFAULT	= 1,	/* clear skb->mark and skb->priority */
};

/*
 * BPF programs (BPF_PROG_TYPE_SCHED_CLS) run on an end's transmit: those of
 * META_PROG_DIR_PEER on what the pod sends, those of META_PROG_DIR_PRIMARY
 * on what the host sends into the pod. They run in order while they return
 * META_NEXT; the first other verdict wins; if all say NEXT the packet is
 * forwarded. With no program the end's policy decides. Programs are attached
 * and detached only through the primary, with RTM_NEWLINK (changelink).
 * Before a program runs, skb->dev is already the receiving end, so ifindex
 * and FIB look-ups happen in the other end's namespace (as on netkit).
 */
enum meta_prog_dir {
	META_PROG_DIR_PRIMARY	= 0,	/* the primary transmits: host -> pod */
	META_PROG_DIR_PEER	= 1,	/* the peer transmits: pod -> host */
};

#define META_PROG_MAX		16	/* programs per direction */

/*
 * Each direction has a revision: 1 at creation, bumped by every attach,
 * replace and detach that changes its list. An attach or detach that carries
 * IFLA_META_PROG_EXPECTED_REVISION fails with ESTALE unless the direction is
 * still at that revision, so agents that read the list, decide and write
 * back cannot overwrite each other's changes (bpf_mprog's expected_revision).
 */

/* IFLA_META_PROG_FLAGS. Without BEFORE/AFTER/REPLACE, attach appends. */
#define META_PROG_F_BEFORE	(1U << 0)	/* before RELATIVE_ID, or first */
#define META_PROG_F_AFTER	(1U << 1)	/* after RELATIVE_ID, or last */
#define META_PROG_F_REPLACE	(1U << 2)	/* in place of RELATIVE_ID */
#define META_PROG_F_ALL		(1U << 3)	/* detach: every program of DIR */

/* Nested in IFLA_META_PROG_ATTACH, IFLA_META_PROG_DETACH and the dumps. */
enum {
	IFLA_META_PROG_UNSPEC,
	IFLA_META_PROG_FD,		/* u32: program to attach (SCHED_CLS) */
	IFLA_META_PROG_DIR,		/* u32 enum meta_prog_dir */
	IFLA_META_PROG_FLAGS,		/* u32 META_PROG_F_* */
	IFLA_META_PROG_RELATIVE_ID,	/* u32 prog id BEFORE/AFTER/REPLACE use */
	IFLA_META_PROG_ID,		/* u32 prog id: detach it; dumps: one each */
	IFLA_META_PROG_EXPECTED_REVISION, /* u64: refuse unless DIR is at it */
	__IFLA_META_PROG_MAX
};

#define IFLA_META_PROG_MAX	(__IFLA_META_PROG_MAX - 1)

/*
 * Largest IFLA_META_HEADROOM / IFLA_META_TAILROOM, and largest headroom an
 * upper device (a bridge or tunnel above an end) may ask for at runtime:
 * room for any stack of encapsulations (IPv6 + UDP + Geneve with full
 * options is ~330 bytes), small enough that a pod's packets never cost a
 * large reallocation each.
 */
#define META_ROOM_MAX		512

/* IFLA_INFO_DATA attributes of a meta device. */
enum {
	IFLA_META_UNSPEC,
	IFLA_META_PEER_INFO,	/* create: struct ifinfomsg + IFLA_* of the peer */
	IFLA_META_PRIMARY,	/* u8, read-only: 1 on the primary (host) end */
	IFLA_META_MODE,		/* u32 enum meta_mode, create only */
	IFLA_META_POLICY,	/* u32 enum meta_policy of the primary's xmit */
	IFLA_META_PEER_POLICY,	/* u32 enum meta_policy of the peer's xmit */
	IFLA_META_SCRUB,	/* u32 enum meta_scrub of the primary's xmit, create only */
	IFLA_META_PEER_SCRUB,	/* u32 enum meta_scrub of the peer's xmit, create only */
	IFLA_META_HEADROOM,	/* u16, create only, <= ROOM_MAX; dumps: applied room */
	IFLA_META_TAILROOM,	/* u16 needed_tailroom of both ends, create only, <= ROOM_MAX */
	IFLA_META_PROG_ATTACH,	/* nested (NLA_F_NESTED): FD, DIR [, FLAGS, RELATIVE_ID] */
	IFLA_META_PROG_DETACH,	/* nested (NLA_F_NESTED): DIR and ID, or FLAGS=META_PROG_F_ALL */
	IFLA_META_PRIMARY_PROGS,	/* read-only, primary only: nested IFLA_META_PROG_ID... */
	IFLA_META_PEER_PROGS,		/* read-only, primary only: nested IFLA_META_PROG_ID... */
	IFLA_META_PAD,
	IFLA_META_PRIMARY_REVISION,	/* u64, read-only, primary only */
	IFLA_META_PEER_REVISION,	/* u64, read-only, primary only */
	__IFLA_META_MAX
};

#define IFLA_META_MAX	(__IFLA_META_MAX - 1)

#endif /* _UAPI_LINUX_IF_META_H */

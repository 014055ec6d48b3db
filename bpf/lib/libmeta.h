/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libmeta: create meta pairs and attach BPF programs to them.
 *
 * Netlink goes through libmnl, BPF objects through libbpf. Every function
 * returning int returns >= 0 on success and a negative errno on failure;
 * after a failure meta_last_error() describes it for a human, including
 * the kernel's extended ack message when there was one, which
 * meta_last_extack() returns alone. Both are per thread, like errno.
 *
 * Link functions take a struct meta_nl: one rtnetlink socket, bound to the
 * network namespace it was opened in. Devices are named by name, looked up
 * by the kernel in that namespace.
 */
#ifndef LIBMETA_H
#define LIBMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/if_meta.h>

#include "meta_maps.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors -------------------------------------------------------------- */

/* The calling thread's last failure, "" if none yet. */
const char *meta_last_error(void);
/* The kernel's extack message of that failure, or NULL if it sent none. */
const char *meta_last_extack(void);

/* ---- netlink ------------------------------------------------------------- */

struct meta_nl;

/* A socket in the caller's current network namespace. */
int meta_nl_open(struct meta_nl **nl);
/*
 * A socket in the namespace netns_fd refers to. The calling thread joins
 * that namespace only for the socket() call and returns to its own; if it
 * cannot, -ENOTRECOVERABLE: the thread is left in netns_fd's namespace.
 */
int meta_nl_open_netns(struct meta_nl **nl, int netns_fd);
void meta_nl_close(struct meta_nl *nl);

struct nlmsghdr;
/* Gets each reply message; returns 0 to go on or a negative errno. */
typedef int (*meta_nl_reply_fn)(const struct nlmsghdr *nlh, void *arg);
/*
 * Sends one rtnetlink request built by the caller (libmnl's
 * mnl_nlmsg_put_header() and friends; sequence number and NLM_F_ACK are
 * set here) and reads until its ack or the end of its dump, handing every
 * other reply to cb (may be NULL). Returns the kernel's error, else cb's
 * first error, else 0; meta_last_extack() then holds the kernel's message,
 * if any. A dump the kernel marked NLM_F_DUMP_INTR (the table changed
 * meanwhile, the replies may be inconsistent) returns -EINTR once it is
 * read to its end: the caller starts it again. meta_link_dump() and the
 * other dump calls below do that themselves. For requests libmeta has no
 * call for.
 */
int meta_nl_request(struct meta_nl *nl, struct nlmsghdr *req,
		    meta_nl_reply_fn cb, void *arg);

/*
 * Opens a network namespace: NAME as created by `ip netns add` (found in
 * /run/netns), or any path containing a '/' (e.g. /proc/PID/ns/net).
 * Returns a file descriptor (O_CLOEXEC) or a negative errno.
 */
int meta_netns_open(const char *netns);

/* ---- links, addresses and routes of any kind ------------------------------ */

/*
 * What the plugin-style callers (the CNI plugin) need of plain rtnetlink.
 * Addresses are 16 bytes; an IPv4 address is in the first 4. Dumps are
 * collected whole and retried when the kernel marks them interrupted
 * (NLM_F_DUMP_INTR), so callbacks only ever see one consistent table;
 * -EAGAIN if it stays inconsistent after several tries. A callback
 * returns 0 to go on, or a negative errno that ends the walk and is
 * returned.
 */
struct meta_link {
	int ifindex;
	unsigned int flags;		/* IFF_* */
	unsigned int mtu;
	char name[16];
	char kind[32];			/* IFLA_INFO_KIND, "" if none */
	char alias[256];		/* IFLA_IFALIAS, "" if none */
	unsigned char addr[32];		/* IFLA_ADDRESS */
	unsigned int addr_len;
};

/* -ENODEV when the namespace has no device DEV. */
int meta_link_get(struct meta_nl *nl, const char *dev, struct meta_link *link);
typedef int (*meta_link_fn)(const struct meta_link *link, void *arg);
int meta_link_dump(struct meta_nl *nl, meta_link_fn fn, void *arg);
int meta_link_set_up(struct meta_nl *nl, int ifindex);
/* At most 255 bytes (IFALIASZ - 1): a longer one is refused, not cut. */
int meta_link_set_alias(struct meta_nl *nl, int ifindex, const char *alias);

struct meta_addr {
	int family;			/* AF_INET, AF_INET6 */
	int ifindex;
	unsigned int prefixlen;
	unsigned char addr[16];		/* IFA_LOCAL (IPv4), IFA_ADDRESS (IPv6) */
	unsigned int flags;		/* IFA_F_* (add: e.g. NOPREFIXROUTE) */
	unsigned int scope;		/* RT_SCOPE_* */
};

/* Adds A (NLM_F_EXCL: -EEXIST if it is there). */
int meta_addr_add(struct meta_nl *nl, const struct meta_addr *a);
typedef int (*meta_addr_fn)(const struct meta_addr *a, void *arg);
/* Every address of FAMILY (AF_UNSPEC: both). */
int meta_addr_dump(struct meta_nl *nl, int family, meta_addr_fn fn,
		   void *arg);

#define META_ROUTE_HAS_GW	0x1
#define META_ROUTE_HAS_SRC	0x2
#define META_ROUTE_HAS_PRIO	0x4
#define META_ROUTE_HAS_MTU	0x8
#define META_ROUTE_HAS_ADVMSS	0x10

struct meta_route {
	int family;
	int oif;			/* RTA_OIF */
	unsigned int dst_len;		/* 0: default route (no RTA_DST) */
	unsigned char dst[16];
	unsigned char gw[16];		/* META_ROUTE_HAS_GW */
	unsigned char src[16];		/* RTA_PREFSRC, META_ROUTE_HAS_SRC */
	unsigned int priority;		/* RTA_PRIORITY, META_ROUTE_HAS_PRIO */
	unsigned int table;		/* 0: main */
	unsigned int scope;		/* RT_SCOPE_* */
	unsigned int protocol;		/* 0: RTPROT_BOOT, as ip route add */
	unsigned int type;		/* 0: RTN_UNICAST */
	unsigned int mtu;		/* RTAX_MTU, META_ROUTE_HAS_MTU */
	unsigned int advmss;		/* RTAX_ADVMSS, META_ROUTE_HAS_ADVMSS */
	unsigned int has;		/* META_ROUTE_HAS_* */
};

/* Adds R (NLM_F_EXCL: -EEXIST if the same route is there). */
int meta_route_add(struct meta_nl *nl, const struct meta_route *r);
typedef int (*meta_route_fn)(const struct meta_route *r, void *arg);
/* Every route of FAMILY in every table. */
int meta_route_dump(struct meta_nl *nl, int family, meta_route_fn fn,
		    void *arg);

/*
 * Shapes what IFINDEX transmits: a tbf root qdisc (replacing the root
 * qdisc there is) of RATE bytes/s with a bucket of BURST bytes and at most
 * LIMIT bytes queued. Needs sch_tbf (the kernel loads it).
 */
int meta_qdisc_tbf(struct meta_nl *nl, int ifindex, __u64 rate, __u32 burst,
		   __u32 limit);

/* ---- pairs --------------------------------------------------------------- */

#define META_UNSET	(-1)

/* Zero-initialise with meta_pair_opts_init(): it sets every field unset. */
struct meta_pair_opts {
	const char *name;		/* primary; NULL: the kernel picks meta%d */
	const char *peer_name;		/* NULL: the kernel picks meta%d */
	int peer_netns_fd;		/* >= 0: create the peer there */
	const char *peer_netns;		/* else, if set: see meta_netns_open() */
	int mode;			/* enum meta_mode, or META_UNSET */
	int policy;			/* enum meta_policy of the primary's xmit */
	int peer_policy;		/* enum meta_policy of the peer's xmit */
	int scrub;			/* enum meta_scrub of the primary's xmit */
	int peer_scrub;			/* enum meta_scrub of the peer's xmit */
	int headroom;			/* 0..65535, or META_UNSET */
	int tailroom;			/* 0..65535, or META_UNSET */
	unsigned int mtu;		/* 0: default; also the peer's unless */
	unsigned int peer_mtu;		/* ...this is non-zero */
	const unsigned char *address;	/* 6 bytes (mode l2 only), or NULL */
	const unsigned char *peer_address;
	int ifindex;			/* requested ifindex, 0: the kernel picks */
	int peer_ifindex;
};

void meta_pair_opts_init(struct meta_pair_opts *opts);
int meta_pair_create(struct meta_nl *nl, const struct meta_pair_opts *opts);
/* Deletes the pair DEV belongs to (either end). */
int meta_pair_delete(struct meta_nl *nl, const char *dev);
/* Changes the policies through the primary DEV; META_UNSET keeps one. */
int meta_set_policy(struct meta_nl *nl, const char *dev, int policy,
		    int peer_policy);

/* What RTM_GETLINK reports about one end. Unreported fields are -1. */
struct meta_link_info {
	int ifindex;
	int primary;			/* 1 primary, 0 peer */
	int mode;
	int policy;			/* always the primary's */
	int peer_policy;		/* always the peer's */
	int scrub;
	int peer_scrub;
	int headroom;
	int tailroom;
	/* Attached program ids per enum meta_prog_dir, in run order. */
	unsigned int nprogs[2];
	__u32 progs[2][META_PROG_MAX];
	/* Revision of each direction's list; 0 if not reported (the peer). */
	__u64 revision[2];
};

/* -EMEDIUMTYPE if DEV exists but is not a meta device. */
int meta_link_query(struct meta_nl *nl, const char *dev,
		    struct meta_link_info *info);

/* ---- programs ------------------------------------------------------------ */

/*
 * Attaches the SCHED_CLS program prog_fd to DEV (the primary) in direction
 * dir. flags: 0 appends; META_PROG_F_BEFORE / _AFTER place it before or
 * after relative_id (first / last when relative_id is 0);
 * META_PROG_F_REPLACE puts it in place of relative_id. The kernel takes its
 * own reference: the caller may close prog_fd afterwards.
 */
int meta_prog_attach(struct meta_nl *nl, const char *dev, int prog_fd,
		     enum meta_prog_dir dir, __u32 flags, __u32 relative_id);
int meta_prog_detach(struct meta_nl *nl, const char *dev,
		     enum meta_prog_dir dir, __u32 prog_id);
int meta_prog_detach_all(struct meta_nl *nl, const char *dev,
			 enum meta_prog_dir dir);
/*
 * The same, refused with -ESTALE unless direction dir is still at
 * expected_revision (meta_link_info.revision; 0 accepts any): an agent that
 * read the list and decided cannot overwrite a change made in between.
 * meta_prog_detach_rev detaches every program of dir when prog_id is 0.
 */
int meta_prog_attach_rev(struct meta_nl *nl, const char *dev, int prog_fd,
			 enum meta_prog_dir dir, __u32 flags, __u32 relative_id,
			 __u64 expected_revision);
int meta_prog_detach_rev(struct meta_nl *nl, const char *dev,
			 enum meta_prog_dir dir, __u32 prog_id,
			 __u64 expected_revision);
/*
 * Fills ids (up to max) with the program ids attached in direction dir, in
 * run order; returns how many are attached (possibly more than max).
 */
int meta_prog_list(struct meta_nl *nl, const char *dev, enum meta_prog_dir dir,
		   __u32 *ids, unsigned int max);

const char *meta_dir_name(enum meta_prog_dir dir);
/* "primary" or "peer" -> enum meta_prog_dir; -EINVAL otherwise. */
int meta_dir_parse(const char *s);

/* ---- BPF objects --------------------------------------------------------- */

struct meta_bpf_opts {
	const char *prog_name;	/* select the program by function name... */
	const char *sec_name;	/* ...or by ELF section (must be unique) */
	const char *pin_dir;	/* pinned maps; NULL: META_PIN_DIR */
};

struct meta_bpf;

/*
 * Opens and loads FILE with only the selected program (the object's only
 * one when neither name is given), as BPF_PROG_TYPE_SCHED_CLS whatever its
 * section is called, the way tc loads programs. Maps declared with
 * LIBBPF_PIN_BY_NAME are reused from, or pinned to, pin_dir, which is
 * created if missing and must be on a bpf filesystem.
 */
int meta_bpf_load(const char *file, const struct meta_bpf_opts *opts,
		  struct meta_bpf **obj);
int meta_bpf_prog_fd(const struct meta_bpf *obj);
__u32 meta_bpf_prog_id(const struct meta_bpf *obj);
const char *meta_bpf_prog_name(const struct meta_bpf *obj);
/* Attached programs stay: the kernel holds its own reference. */
void meta_bpf_close(struct meta_bpf *obj);

/*
 * The full name of loaded program ID (from BTF when the kernel's copy is
 * truncated to 15 characters). -ENOENT if there is no such program.
 */
int meta_prog_name_by_id(__u32 id, char *buf, size_t len);

/* ---- the programs' maps (bpf/include/meta_maps.h) ------------------------ */

/*
 * fd of pinned map NAME in pin_dir (NULL: META_PIN_DIR); close it. The maps
 * of meta_maps.h are created and pinned if missing, exactly as the
 * programs declare them, so they can be filled before any program is
 * loaded: loading one later reuses them.
 */
int meta_map_open(const char *pin_dir, const char *name);

/* IPv4 (stored as ::ffff:a.b.c.d) or IPv6 address -> meta_pods key. */
int meta_pod_key_parse(const char *addr, struct meta_pod_key *key);
/* The key back as text (IPv4-mapped keys as dotted quads). */
int meta_pod_key_format(const struct meta_pod_key *key, char *buf,
			size_t len);
int meta_pod_add(const char *pin_dir, const char *addr, __u32 ifindex);
int meta_pod_del(const char *pin_dir, const char *addr);

int meta_target_set(const char *pin_dir, __u32 ifindex);
int meta_target_get(const char *pin_dir, __u32 *ifindex);

int meta_port_deny(const char *pin_dir, __u16 port);
int meta_port_allow(const char *pin_dir, __u16 port);

int meta_mark_set(const char *pin_dir, __u32 mark, __u32 priority);
int meta_mark_get(const char *pin_dir, struct meta_mark *mark);

int meta_observed_get(const char *pin_dir, struct meta_observed *obs);
int meta_observed_reset(const char *pin_dir);

int meta_count_get(const char *pin_dir, __u64 *count);
int meta_count_reset(const char *pin_dir);

/*
 * meta_stack_cfg (meta_maps.h): traffic of pods to CIDR ("10.96.0.0/12",
 * "fd00::/108") goes through the host stack (via_stack 1: Services,
 * masquerading) or keeps the fast path (0: an exception, e.g. the pod
 * CIDR inside 0.0.0.0/0); the longest prefix wins. Replaces the entry of
 * the same prefix; -ENOSPC when META_STACK_MAX are in use.
 */
int meta_stack_set(const char *pin_dir, const char *cidr, int via_stack);
/* -ENOENT if CIDR has no entry. */
int meta_stack_del(const char *pin_dir, const char *cidr);
int meta_stack_get(const char *pin_dir, struct meta_stack_cfg *cfg);
/* "CIDR" of entry NET, as meta_stack_set() takes it. */
int meta_stack_format(const struct meta_stack_net *net, char *buf,
		      size_t len);
/*
 * Forgets the connections of pod address ADDR that went through the stack
 * (its meta_stack_pods slot): a new pod with a reused address starts on
 * the fast path.
 */
int meta_stack_pod_reset(const char *pin_dir, const char *addr);

#ifdef __cplusplus
}
#endif

#endif /* LIBMETA_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz: a structured, seeded rtnetlink fuzzer for meta devices.
 *
 * Each request is built as a tree of attributes from a model of what exists
 * (pairs, namespaces, BPF programs), sometimes mutated as a tree or as bytes,
 * serialized with libmnl and sent. After every request the links of every
 * namespace are dumped and the invariants are checked; every thousand
 * requests (by default) `ip` and jq read the devices and the BPF programs
 * are counted.
 * Choices depend only on the seed and on the kernel's answers, so the same
 * seed on the same kernel sends the same requests. The usage text below
 * says what is checked.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_meta.h>

static const char usage_text[] =
"NAME\n"
"    nl_fuzz - structured, seeded rtnetlink fuzzer for meta devices\n"
"\n"
"SYNOPSIS\n"
"    nl_fuzz [--seed S] [--requests N] [--seconds T] [OPTION...]\n"
"\n"
"DESCRIPTION\n"
"    Sends random valid-looking and invalid RTM_NEWLINK, RTM_SETLINK and\n"
"    RTM_DELLINK requests for meta devices: creation with every IFLA_META_*\n"
"    attribute (valid, boundary, out of range, wrong size, repeated, unknown,\n"
"    read-only), peer info with random IFLA_* attributes (names from a small\n"
"    pool, MTUs, MAC addresses, ifindexes, netns fds and pids), policy\n"
"    changes, program attach and detach (good SCHED_CLS programs, a\n"
"    SOCKET_FILTER program, /dev/null, closed fds, stale and foreign ids,\n"
"    every flag), link changes (MTU, rename, netns moves, up/down, group),\n"
"    deletion of either end, by name, index or group, and fully random\n"
"    messages; now and then an empty IFLA_INFO_DATA before the real one\n"
"    (rtnetlink keeps the last; meta must refuse it). A quarter of the requests are mutated as\n"
"    a tree (attributes dropped, repeated, resized, retyped, NLA_F_NESTED\n"
"    flipped, reordered) and some as bytes (truncated, a length field\n"
"    corrupted, bytes flipped).\n"
"    Between requests it loads and closes programs and deletes whole\n"
"    namespaces that hold ends of pairs.\n"
"\n"
"    It works in the namespace it starts in (\"ns0\") and in --netns more\n"
"    namespaces it creates (each with a process living in it, whose pid the\n"
"    requests use). Devices are named fz* (a pool of 6 names, so requests\n"
"    collide with existing pairs) or meta* by the kernel. Must run as root\n"
"    with meta.ko loadable; leaves nothing behind when it ends.\n"
"\n"
"INVARIANTS\n"
"    After every request (from the kernel's answer and a dump of every\n"
"    namespace):\n"
"      - no BUG/WARNING/KASAN/lockdep/refcount/leak line in /dev/kmsg;\n"
"      - every meta device has a peer that exists, is meta and points back\n"
"        (IFLA_LINK and IFLA_LINK_NETNSID both ways), exactly one end is\n"
"        the primary, both ends agree on mode, room and policies, only the\n"
"        primary shows programs, every attribute has its size;\n"
"      - every device is accounted for: the number of pairs changes only\n"
"        by a successful creation (+1) or deletion (-1); a refused creation\n"
"        or change, or a refused deletion, changes nothing at all;\n"
"      - programs and policies change only through the primary the request\n"
"        named; attach, detach and policy requests built without mutation\n"
"        succeed or fail as the ABI says and leave the program list the\n"
"        model predicts; requests that must be refused are refused, by\n"
"        meta with an extack message;\n"
"      - a deleted namespace takes its pairs with it, and goes away.\n"
"    Every --check-every requests and at the end:\n"
"      - `ip -d -j link show type meta` runs in every namespace, jq parses\n"
"        it and finds the devices of the model; `ip -d link show` runs\n"
"        without complaint;\n"
"      - the BPF programs alive are exactly those open or attached.\n"
"    At the end, after deleting everything: no meta device left, the BPF\n"
"    program set is back to what it was at the start.\n"
"\n"
"OPTIONS\n"
"    -s, --seed S         seed (default: random); printed first\n"
"    -n, --requests N     stop after N requests (default 1000; 0: no limit)\n"
"    -t, --seconds T      stop after T seconds (default 0: no limit); at\n"
"                         least one of the two limits must be set\n"
"    -k, --check-every K  ip/jq and BPF checks every K requests (default 1000)\n"
"        --netns N        namespaces to create (default 3, 1..6)\n"
"        --no-home        never touch ns0 (the starting namespace): for runs\n"
"                         beside other tests; no exact BPF program count\n"
"        --no-ip-check    no ip/jq checks (when the tools are missing)\n"
"        --settle S       seconds a deleted namespace may take to go away\n"
"                         (default 60)\n"
"        --history H      requests shown (in hex) on a violation (default 8)\n"
"    -v, --verbose        one line per request (with --hex: its bytes too)\n"
"        --hex            print requests in hex with --verbose\n"
"        --dry-run        build and print requests, send nothing (no root,\n"
"                         no kernel: for valgrind and determinism checks)\n"
"        --send HEX       send one request, given in hex as a violation report\n"
"                         prints it (offsets like \"0020:\" are skipped), in the\n"
"                         current namespace; print the answer; exit 0 if\n"
"                         accepted, 1 if refused: a reproducer in one line\n"
"        --break WHAT     prove a check can fail: after request 5 (or at the\n"
"                         first full check) do what the check must catch:\n"
"                         foreign   create a pair behind the model's back\n"
"                         pointback corrupt a dumped IFLA_LINK\n"
"                         prog      load a program nobody accounts for\n"
"                         kmsg      write a marker line to /dev/kmsg (the\n"
"                                   marker, not a real splat, is matched)\n"
"                         ip        expect one device more than ip shows\n"
"                         rev       attach and detach a program behind the\n"
"                                   model's back: only a revision changes\n"
"    -h, --help           this text\n"
"\n"
"OUTPUT AND EXIT STATUS\n"
"    The first line gives the seed and the limits. On a violation: what\n"
"    failed, the request number, a command that replays the run up to it,\n"
"    the last requests with their answers and bytes, the devices before\n"
"    and after; then it cleans up and exits 1. Otherwise a summary\n"
"    (requests, time, rate, what the ABI predicted, the states reached)\n"
"    and \"no violation\". Exit 0: no violation; 1: a violation; 2: usage\n"
"    or setup error.\n"
"\n"
"EXAMPLES\n"
"    nl_fuzz --seed 1 --requests 4000          # as make check runs it\n"
"    nl_fuzz --requests 0 --seconds 3600       # an hour, random seed\n"
"    nl_fuzz --seed 42 --requests 317 -v --hex # replay up to request 317\n";

/* ------------------------------------------------------------------------ */
/* Limits */

#define FZ_MAX_NS	7	/* ns0 and up to 6 created */
#define FZ_MAX_LINKS	512	/* links in one snapshot, all namespaces */
#define FZ_POOL		6	/* device names fz0..fz5 */
#define FZ_MAX_PAIRS	12	/* beyond: creation gives way to deletion */
#define FZ_GOOD		18	/* > META_PROG_MAX: the limit is reachable */
#define FZ_CHURN	6	/* programs loaded and closed as the run goes */
#define FZ_STALE	16	/* ids of programs that are gone */
#define FZ_MAX_NODES	192	/* attributes in one request */
#define FZ_MAX_BYTES	6144	/* attribute payload bytes in one request */
#define FZ_BUF		32768	/* a serialized request fits */
#define FZ_RECV		65536	/* one recv of a dump */
#define FZ_HIST_BYTES	2048	/* bytes of a request kept for the report */
#define FZ_CLOSED_FD	4000	/* an fd number nothing has open */
#define FZ_NO_PID	0x3ffffe	/* above any pid_max */
#define FZ_MAX_IDS	4096	/* BPF programs in the system */

/* ------------------------------------------------------------------------ */
/* Options */

static struct {
	uint64_t seed;
	unsigned long requests, seconds, check_every, history, settle;
	int netns;
	bool no_home, no_ip_check, verbose, hex, dry_run;
	const char *brk;
} opt = {
	.requests = 1000, .check_every = 1000, .history = 8, .settle = 60,
	.netns = 3,
};

/* ------------------------------------------------------------------------ */
/* Randomness: splitmix64, nothing else decides. */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd32(void)
{
	return (uint32_t)rnd64();
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool pct(unsigned int p)
{
	return rn(100) < p;
}

#define PICK(arr) ((arr)[rn(sizeof(arr) / sizeof((arr)[0]))])

/* Values near the edges of integer types and of meta's ranges. */
static const uint32_t edge32[] = {
	0, 1, 2, 3, 7, 0x7f, 0xff, 0x100, 0x1ff, 0x200, 0x201, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};

static uint32_t edge_u32(void)
{
	return pct(85) ? PICK(edge32) : rnd32();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------------ */
/* Requests as trees of attributes */

/*
 * A node is an attribute: its payload (bytes[off..off+len]) and, after it,
 * its children. Peer info is such a node: an ifinfomsg as payload, IFLA_*
 * attributes as children. Node 0 is the message itself.
 */
struct fz_node {
	uint16_t type;		/* nla_type as sent: NLA_F_NESTED included */
	uint16_t len;
	uint16_t off;
	int16_t parent, first, next;
};

struct fz_msg {
	uint16_t type, flags;	/* nlmsg_type, nlmsg_flags */
	struct ifinfomsg ifm;
	int n;
	struct fz_node node[FZ_MAX_NODES];
	size_t used;
	unsigned char bytes[FZ_MAX_BYTES];
};

static void msg_init(struct fz_msg *m, uint16_t type, uint16_t flags)
{
	m->type = type;
	m->flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memset(&m->ifm, 0, sizeof(m->ifm));
	m->ifm.ifi_family = AF_UNSPEC;
	m->n = 1;
	m->used = 0;
	m->node[0] = (struct fz_node){ .parent = -1, .first = -1, .next = -1 };
}

/* Append a child to @parent; NULL @data means random bytes. -1 when full. */
static int msg_add(struct fz_msg *m, int parent, uint16_t type,
		   const void *data, size_t len)
{
	struct fz_node *nd;
	int16_t *link;
	size_t i;

	if (parent < 0 || m->n >= FZ_MAX_NODES || len > FZ_MAX_BYTES - m->used)
		return -1;
	nd = &m->node[m->n];
	*nd = (struct fz_node){ .type = type, .len = len, .off = m->used,
				.parent = parent, .first = -1, .next = -1 };
	if (data)
		memcpy(m->bytes + m->used, data, len);
	else
		for (i = 0; i < len; i++)
			m->bytes[m->used + i] = rnd32();
	m->used += len;
	for (link = &m->node[parent].first; *link >= 0; link = &m->node[*link].next)
		;
	*link = m->n;
	return m->n++;
}

static int msg_u32(struct fz_msg *m, int parent, uint16_t type, uint32_t v)
{
	return msg_add(m, parent, type, &v, sizeof(v));
}

static int msg_u64(struct fz_msg *m, int parent, uint16_t type, uint64_t v)
{
	return msg_add(m, parent, type, &v, sizeof(v));
}

static int msg_s32(struct fz_msg *m, int parent, uint16_t type, int32_t v)
{
	return msg_add(m, parent, type, &v, sizeof(v));
}

static int msg_u16(struct fz_msg *m, int parent, uint16_t type, uint16_t v)
{
	return msg_add(m, parent, type, &v, sizeof(v));
}

static int msg_u8(struct fz_msg *m, int parent, uint16_t type, uint8_t v)
{
	return msg_add(m, parent, type, &v, sizeof(v));
}

static int msg_str(struct fz_msg *m, int parent, uint16_t type, const char *s)
{
	return msg_add(m, parent, type, s, strlen(s) + 1);
}

static int msg_nest(struct fz_msg *m, int parent, uint16_t type)
{
	return msg_add(m, parent, type | NLA_F_NESTED, NULL, 0);
}

/* The nodes reachable from the root, in message order. */
static int msg_nodes(const struct fz_msg *m, int *out)
{
	int stack[FZ_MAX_NODES], sp = 0, n = 0, i;

	for (i = m->node[0].first; i >= 0 || sp; ) {
		if (i < 0) {
			i = m->node[stack[--sp]].next;
			continue;
		}
		out[n++] = i;
		if (m->node[i].first >= 0) {
			stack[sp++] = i;
			i = m->node[i].first;
		} else {
			i = m->node[i].next;
		}
	}
	return n;
}

static void msg_unlink(struct fz_msg *m, int i)
{
	int16_t *link;

	for (link = &m->node[m->node[i].parent].first; *link != i;
	     link = &m->node[*link].next)
		;
	*link = m->node[i].next;
	m->node[i].next = -1;
}

/* Copy node @i (with its children) under @parent, after @after or last. */
static int msg_copy(struct fz_msg *m, int i, int parent, int after)
{
	int c, n;

	n = msg_add(m, parent, m->node[i].type, m->bytes + m->node[i].off,
		    m->node[i].len);
	if (n < 0)
		return -1;
	if (after >= 0) {	/* move from the end to just after @after */
		msg_unlink(m, n);
		m->node[n].next = m->node[after].next;
		m->node[after].next = n;
	}
	for (c = m->node[i].first; c >= 0; c = m->node[c].next)
		if (msg_copy(m, c, n, -1) < 0)
			break;
	return n;
}

/* The last top-level attribute of @type (what rtnetlink's parser keeps). */
static int msg_find_top(const struct fz_msg *m, uint16_t type)
{
	int i, found = -1;

	for (i = m->node[0].first; i >= 0; i = m->node[i].next)
		if ((m->node[i].type & NLA_TYPE_MASK) == type)
			found = i;
	return found;
}

/* The first child of @parent of @type, or -1. */
static int msg_find_child(const struct fz_msg *m, int parent, uint16_t type)
{
	int i;

	for (i = m->node[parent].first; i >= 0; i = m->node[i].next)
		if ((m->node[i].type & NLA_TYPE_MASK) == type)
			return i;
	return -1;
}

/* A top-level u32 as rtnetlink's liberal parser reads it: longer is fine. */
static uint32_t node_u32(const struct fz_msg *m, int i, bool *ok)
{
	uint32_t v = 0;

	*ok = i >= 0 && m->node[i].len >= sizeof(v) && m->node[i].first < 0;
	if (*ok)
		memcpy(&v, m->bytes + m->node[i].off, sizeof(v));
	return v;
}

/* Serialize with libmnl; @offs gets the offset of every attribute header. */
static void put_node(struct nlmsghdr *nlh, const struct fz_msg *m, int i,
		     uint32_t *offs, int *noffs)
{
	const struct fz_node *nd = &m->node[i];
	struct nlattr *nest;
	int c;

	offs[(*noffs)++] = nlh->nlmsg_len;
	if (nd->first < 0) {
		mnl_attr_put(nlh, nd->type, nd->len, m->bytes + nd->off);
		return;
	}
	/* mnl_attr_nest_start() would force NLA_F_NESTED: the type is ours. */
	nest = mnl_nlmsg_get_payload_tail(nlh);
	nest->nla_type = nd->type;
	nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	if (nd->len)
		memcpy(mnl_nlmsg_put_extra_header(nlh, nd->len),
		       m->bytes + nd->off, nd->len);
	for (c = nd->first; c >= 0; c = m->node[c].next)
		put_node(nlh, m, c, offs, noffs);
	nest->nla_len = (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)nest;
}

static struct nlmsghdr *msg_build(const struct fz_msg *m, void *buf,
				  uint32_t seq, uint32_t *offs, int *noffs)
{
	struct nlmsghdr *nlh;
	int c;

	memset(buf, 0, FZ_BUF);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = m->type;
	nlh->nlmsg_flags = m->flags;
	nlh->nlmsg_seq = seq;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(m->ifm)), &m->ifm,
	       sizeof(m->ifm));
	*noffs = 0;
	for (c = m->node[0].first; c >= 0; c = m->node[c].next)
		put_node(nlh, m, c, offs, noffs);
	return nlh;
}

/* ------------------------------------------------------------------------ */
/* What exists: namespaces, programs, links */

struct fz_ns {
	bool live;
	int fd;			/* the namespace (IFLA_NET_NS_FD values) */
	pid_t anchor;		/* a process in it (IFLA_NET_NS_PID values) */
	struct mnl_socket *nl;	/* requests and dumps go out in it */
	unsigned int portid;
	int nsid[FZ_MAX_NS];	/* nsid of namespace j seen from here, or -1 */
};

static struct fz_ns ns[FZ_MAX_NS];
static int nns;			/* slots 0 (ns0) .. opt.netns */
static bool pid1_home;		/* pid 1 lives in ns0: a valid netns pid */

struct fz_prog {
	int fd;			/* -1: closed */
	uint32_t id;
};

static struct fz_prog good[FZ_GOOD], churn[FZ_CHURN];
static struct fz_prog sockfilter, broken_prog;	/* broken_prog: --break prog */
static uint32_t stale[FZ_STALE];
static int nstale;
static int devnull_fd = -1, kmsg_fd = -1;
static uint32_t baseline[FZ_MAX_IDS];
static int nbaseline;

/* One link as a dump shows it. */
struct fz_link {
	int ns, ifindex;
	char name[IFNAMSIZ];
	bool meta;
	uint32_t group, mtu, up;
	unsigned char addr[32];		/* IFLA_ADDRESS */
	int addr_len;
	int link;			/* IFLA_LINK: the peer's ifindex */
	bool has_link_nsid;		/* the peer is in another namespace, */
	int link_nsid;			/* with this id (-1: a dying one) */
	bool has[IFLA_META_MAX + 1];
	uint32_t v[IFLA_META_MAX + 1];	/* u8/u16/u32 IFLA_META_* values */
	int nprogs[2];			/* [META_PROG_DIR_*] */
	uint32_t progs[2][META_PROG_MAX + 1];
	uint64_t rev[2];		/* IFLA_META_*_REVISION, 0: none */
	char bad[96];			/* what was malformed in its attributes */
	bool foreign;			/* in ns0 before we started: not ours */
};

struct fz_snap {
	int n;
	struct fz_link l[FZ_MAX_LINKS];
};

/* What we know (the last dump) and what the dump after a request shows. */
static struct fz_snap snap_a, snap_b;
static struct fz_snap *cur = &snap_a, *seen = &snap_b;

/* Every program id we ever loaded: the only ones a program list may hold. */
static uint32_t *ours_ids;
static size_t nours, ours_cap;

/* Links of ns0 that were there before us: (ifindex) */
static int foreign[64], nforeign;

static struct {
	unsigned long req, steps, ok, refused, mutated, garbled;
	unsigned long created, deleted, attached, detached, changed;
	unsigned long reaped, loads, closes, full_checks, expected;
	unsigned long op[16], op_ok[16];
	int max_pairs, max_progs;
} st;

static double t_setup, t_start, t_cleanup;
static bool stopped_by_time;

static bool slot_usable(int s)
{
	return s >= 0 && s < nns && ns[s].live && !(s == 0 && opt.no_home);
}

static int pick_slot(void)
{
	int s, tries;

	for (tries = 0; tries < 32; tries++) {
		s = rn(nns);
		if (slot_usable(s))
			return s;
	}
	return 1;
}

/* The slot whose nsid is @nsid as seen from slot @from; -1 if none. */
static int slot_of_nsid(int from, int nsid)
{
	int j;

	if (nsid < 0)
		return -1;
	for (j = 0; j < nns; j++)
		if (ns[j].live && ns[from].nsid[j] == nsid)
			return j;
	return -1;
}

static int snap_find(const struct fz_snap *s, int slot, int ifindex)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].ns == slot && s->l[i].ifindex == ifindex)
			return i;
	return -1;
}

static int snap_find_name(const struct fz_snap *s, int slot, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].ns == slot && !strcmp(s->l[i].name, name))
			return i;
	return -1;
}

static bool name_anywhere(const struct fz_snap *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->l[i].name, name))
			return true;
	return false;
}

static bool index_anywhere(const struct fz_snap *s, int ifindex)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].ifindex == ifindex)
			return true;
	return false;
}

/* The slot of @l's peer, -1 if its nsid is unknown. */
static int peer_slot(const struct fz_link *l)
{
	return l->has_link_nsid ? slot_of_nsid(l->ns, l->link_nsid) : l->ns;
}

static int snap_peer(const struct fz_snap *s, const struct fz_link *l)
{
	int slot = peer_slot(l);

	return slot < 0 ? -1 : snap_find(s, slot, l->link);
}

static int snap_pairs(const struct fz_snap *s)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		n += s->l[i].meta && s->l[i].v[IFLA_META_PRIMARY] == 1;
	return n;
}

static int snap_meta_in(const struct fz_snap *s, int slot)
{
	int i, n = 0;

	for (i = 0; i < s->n; i++)
		n += s->l[i].meta && s->l[i].ns == slot;
	return n;
}

static int prog_index(const struct fz_link *l, int dir, uint32_t id)
{
	int i;

	for (i = 0; i < l->nprogs[dir]; i++)
		if (l->progs[dir][i] == id)
			return i;
	return -1;
}

/* ------------------------------------------------------------------------ */
/* Reports */

struct fz_hist {
	unsigned long req, step;
	char desc[200];
	int err;
	char ext[160];
	size_t len;
	unsigned char bytes[FZ_HIST_BYTES];
};

static struct fz_hist *hist;
static unsigned long nhist;

static void cleanup(bool check);

static void print_hex(const unsigned char *p, size_t len, size_t shown)
{
	size_t i;

	for (i = 0; i < shown; i++) {
		if (i % 32 == 0)
			printf("%s    %04zx:", i ? "\n" : "", i);
		printf(" %02x", p[i]);
	}
	if (shown)
		printf("%s\n", shown < len ? " ..." : "");
}

/* A device name as C would write it: mutated requests make odd ones. */
static const char *printable(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	for (; *name && n + 5 < size; name++)
		n += snprintf(buf + n, size - n, *name > ' ' && *name < 127 ? "%c" : "\\x%02x",
			      (unsigned char)*name);
	buf[n] = '\0';
	return buf;
}

static void print_link(const struct fz_link *l)
{
	char name[IFNAMSIZ * 4 + 1];
	int d, i;

	printf("    ns%d %d %-15s", l->ns, l->ifindex, printable(l->name, name, sizeof(name)));
	if (!l->meta) {
		printf(" (not meta)\n");
		return;
	}
	printf(" %s link %d nsid %d mode %u pol %u/%u up %u",
	       l->v[IFLA_META_PRIMARY] ? "primary" : "peer   ", l->link,
	       l->has_link_nsid ? l->link_nsid : -2, l->v[IFLA_META_MODE], l->v[IFLA_META_POLICY],
	       l->v[IFLA_META_PEER_POLICY], l->up);
	for (d = 0; d < 2; d++) {
		if (!l->nprogs[d])
			continue;
		printf(" %s:", d ? "peer-progs" : "primary-progs");
		for (i = 0; i < l->nprogs[d]; i++)
			printf("%s%u", i ? "," : "", l->progs[d][i]);
	}
	printf("%s%s\n", l->bad[0] ? " BAD: " : "", l->bad);
}

static void replay_hint(unsigned long req)
{
	printf("nl_fuzz: replay: nl_fuzz --seed %" PRIu64 " --requests %lu --netns %d%s -v --hex\n",
	       opt.seed, req, opt.netns, opt.no_home ? " --no-home" : "");
}

/* Report what broke, clean up as far as possible, exit 1. */
static void __attribute__((format(printf, 1, 2), noreturn))
violation(const char *fmt, ...)
{
	unsigned long i, first;
	va_list ap;

	fflush(stdout);
	printf("nl_fuzz: VIOLATION at request %lu (step %lu), seed %" PRIu64 ": ",
	       st.req, st.steps, opt.seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	replay_hint(st.req);
	first = nhist > opt.history ? nhist - opt.history : 0;
	printf("nl_fuzz: the last %lu steps, oldest first:\n", nhist - first);
	for (i = first; i < nhist; i++) {
		const struct fz_hist *h = &hist[i % opt.history];

		if (!h->len) {
			printf("  step %lu (after request %lu): %s\n", h->step, h->req, h->desc);
			continue;
		}
		printf("  request %lu (step %lu): %s\n", h->req, h->step, h->desc);
		if (h->err)
			printf("    -> error %d (%s): %s\n", h->err, strerror(h->err),
			       h->ext[0] ? h->ext : "(no extack message)");
		else
			printf("    -> ok\n");
		print_hex(h->bytes, h->len, h->len < FZ_HIST_BYTES ? h->len : FZ_HIST_BYTES);
	}
	printf("nl_fuzz: links before the request:\n");
	for (i = 0; i < (unsigned long)cur->n; i++)
		print_link(&cur->l[i]);
	printf("nl_fuzz: links after it:\n");
	for (i = 0; i < (unsigned long)seen->n; i++)
		print_link(&seen->l[i]);
	fflush(stdout);
	cleanup(false);
	exit(1);
}

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "nl_fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* ------------------------------------------------------------------------ */
/* Netlink */

static char rxbuf[FZ_RECV];
static uint32_t seq_no = 1;

static int extack_cb(const struct nlattr *attr, void *data)
{
	char *msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(msg, 160, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/*
 * Send @len bytes on slot @s's socket, wait for the answer to @seq: 0 or a
 * positive errno, with the extack message in @ext. Every request carries
 * NLM_F_ACK, so silence is a violation.
 */
static int nl_talk(int s, const void *buf, size_t len, uint32_t seq, char *ext)
{
	const struct nlmsgerr *e;
	const struct nlmsghdr *nlh;
	ssize_t n;
	int rem;

	ext[0] = '\0';
	if (mnl_socket_sendto(ns[s].nl, buf, len) < 0)
		return errno;
	for (;;) {
		n = mnl_socket_recvfrom(ns[s].nl, rxbuf, sizeof(rxbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				violation("no answer from the kernel within %lu s", opt.settle);
			return errno;
		}
		rem = n;
		for (nlh = (const struct nlmsghdr *)rxbuf; mnl_nlmsg_ok(nlh, rem);
		     nlh = mnl_nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
				mnl_attr_parse(nlh, sizeof(*e), extack_cb, ext);
			return -e->error;
		}
	}
}

static struct mnl_socket *nl_open(unsigned int *portid)
{
	struct timeval tv = { .tv_sec = opt.settle };
	struct mnl_socket *nl;
	int one = 1;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket: %s", strerror(errno));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*portid = mnl_socket_get_portid(nl);
	return nl;
}

/* --- link dumps --- */

struct dump_ctx {
	struct fz_snap *s;
	int slot;
	bool overflow;
};

/* Attribute tables as the kernel's nla_parse() fills them. */
struct tb_args {
	const struct nlattr **tb;
	int max;
};

static int tb_cb(const struct nlattr *attr, void *data)
{
	const struct tb_args *a = data;
	int type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static void parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			 int max)
{
	struct tb_args args = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_parse_nested(nest, tb_cb, &args);
}

/* printf at the end of the string in @buf, as far as it fits. */
static void vappend(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t n = strlen(buf);

	if (n + 1 < size)
		vsnprintf(buf + n, size - n, fmt, ap);
}

static void __attribute__((format(printf, 2, 3)))
bad(struct fz_link *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(l->bad, sizeof(l->bad), fmt, ap);
	va_end(ap);
}

static void parse_progs(struct fz_link *l, int dir, const struct nlattr *nest)
{
	const struct nlattr *a;

	if (!(mnl_attr_get_type(nest) == IFLA_META_PRIMARY_PROGS ||
	      mnl_attr_get_type(nest) == IFLA_META_PEER_PROGS))
		return;
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != IFLA_META_PROG_ID ||
		    mnl_attr_get_payload_len(a) != sizeof(uint32_t)) {
			bad(l, "prog list item type %u len %u; ", mnl_attr_get_type(a),
			    mnl_attr_get_payload_len(a));
			continue;
		}
		if (l->nprogs[dir] > META_PROG_MAX) {
			bad(l, "more than %d programs; ", META_PROG_MAX);
			return;
		}
		l->progs[dir][l->nprogs[dir]++] = mnl_attr_get_u32(a);
	}
}

/* IFLA_INFO_DATA as meta_fill_info() writes it: every size checked. */
static void parse_meta(struct fz_link *l, const struct nlattr *data)
{
	static const uint8_t size[IFLA_META_MAX + 1] = {
		[IFLA_META_PRIMARY] = 1, [IFLA_META_MODE] = 4,
		[IFLA_META_POLICY] = 4, [IFLA_META_PEER_POLICY] = 4,
		[IFLA_META_SCRUB] = 4, [IFLA_META_PEER_SCRUB] = 4,
		[IFLA_META_HEADROOM] = 2, [IFLA_META_TAILROOM] = 2,
	};
	const struct nlattr *a;
	int type;

	mnl_attr_for_each_nested(a, data) {
		type = mnl_attr_get_type(a);
		if (type == IFLA_META_PAD)
			continue;	/* aligns a u64 where the CPU needs it */
		if (type <= 0 || type > IFLA_META_MAX || type == IFLA_META_PEER_INFO ||
		    type == IFLA_META_PROG_ATTACH || type == IFLA_META_PROG_DETACH) {
			bad(l, "unexpected attribute %d; ", type);
			continue;
		}
		if (l->has[type]) {
			bad(l, "attribute %d twice; ", type);
			continue;
		}
		l->has[type] = true;
		if (type == IFLA_META_PRIMARY_PROGS) {
			parse_progs(l, META_PROG_DIR_PRIMARY, a);
			continue;
		}
		if (type == IFLA_META_PEER_PROGS) {
			parse_progs(l, META_PROG_DIR_PEER, a);
			continue;
		}
		if (type == IFLA_META_PRIMARY_REVISION || type == IFLA_META_PEER_REVISION) {
			if (mnl_attr_get_payload_len(a) != sizeof(uint64_t))
				bad(l, "revision %d has %u bytes; ", type,
				    mnl_attr_get_payload_len(a));
			else
				l->rev[type == IFLA_META_PEER_REVISION] = mnl_attr_get_u64(a);
			continue;
		}
		if (mnl_attr_get_payload_len(a) != size[type]) {
			bad(l, "attribute %d has %u bytes; ", type,
			    mnl_attr_get_payload_len(a));
			continue;
		}
		l->v[type] = size[type] == 1 ? mnl_attr_get_u8(a) :
			     size[type] == 2 ? mnl_attr_get_u16(a) : mnl_attr_get_u32(a);
	}
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct dump_ctx *ctx = data;
	const struct ifinfomsg *ifm;
	struct fz_link *l;
	struct tb_args args = { tb, IFLA_MAX };

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (ctx->s->n >= FZ_MAX_LINKS) {
		ctx->overflow = true;
		return MNL_CB_OK;
	}
	ifm = mnl_nlmsg_get_payload(nlh);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(*ifm), tb_cb, &args);
	l = &ctx->s->l[ctx->s->n++];
	memset(l, 0, sizeof(*l));
	l->ns = ctx->slot;
	l->ifindex = ifm->ifi_index;
	l->up = !!(ifm->ifi_flags & IFF_UP);
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS]) {
		l->addr_len = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);
		if (l->addr_len > (int)sizeof(l->addr))
			l->addr_len = sizeof(l->addr);
		memcpy(l->addr, mnl_attr_get_payload(tb[IFLA_ADDRESS]), l->addr_len);
	}
	if (tb[IFLA_GROUP])
		l->group = mnl_attr_get_u32(tb[IFLA_GROUP]);
	if (tb[IFLA_LINK])
		l->link = mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINK_NETNSID]) {
		l->has_link_nsid = true;
		l->link_nsid = (int32_t)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
	}
	if (!tb[IFLA_LINKINFO])
		return MNL_CB_OK;
	parse_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
	if (!li[IFLA_INFO_KIND] ||
	    strcmp(mnl_attr_get_str(li[IFLA_INFO_KIND]), META_LINK_KIND))
		return MNL_CB_OK;
	l->meta = true;
	if (li[IFLA_INFO_DATA])
		parse_meta(l, li[IFLA_INFO_DATA]);
	else
		bad(l, "no IFLA_INFO_DATA; ");
	return MNL_CB_OK;
}

/* Append the links of slot @s to @snap. */
static void dump_slot(int s, struct fz_snap *snap)
{
	char buf[64];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct dump_ctx ctx;
	int first = snap->n, tries, ret;
	uint32_t seq;
	ssize_t n;

	for (tries = 0; tries < 10; tries++) {
		snap->n = first;
		ctx = (struct dump_ctx){ .s = snap, .slot = s };
		memset(buf, 0, sizeof(buf));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETLINK;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = seq = ++seq_no;
		ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_family = AF_UNSPEC;
		if (mnl_socket_sendto(ns[s].nl, nlh, nlh->nlmsg_len) < 0)
			die("dump ns%d: %s", s, strerror(errno));
		do {
			n = mnl_socket_recvfrom(ns[s].nl, rxbuf, sizeof(rxbuf));
			if (n < 0 && errno == EAGAIN)
				violation("link dump of ns%d: no answer within %lu s",
					  s, opt.settle);
			if (n < 0)
				die("dump ns%d: %s", s, strerror(errno));
			ret = mnl_cb_run(rxbuf, n, seq, ns[s].portid, link_cb, &ctx);
		} while (ret > MNL_CB_STOP);
		if (ret == MNL_CB_STOP && !ctx.overflow)
			return;
		if (ctx.overflow)
			violation("more than %d links: devices nobody accounts for",
				  FZ_MAX_LINKS);
		if (errno != EINTR)	/* NLM_F_DUMP_INTR: dump again */
			violation("link dump of ns%d failed: %s", s, strerror(errno));
		/* The rest of the interrupted dump, up to NLMSG_DONE. */
		while ((n = mnl_socket_recvfrom(ns[s].nl, rxbuf, sizeof(rxbuf))) > 0 &&
		       mnl_cb_run(rxbuf, n, seq, ns[s].portid, NULL, NULL) > MNL_CB_STOP)
			;
	}
	violation("link dump of ns%d interrupted 10 times in a row", s);
}

static void mark_foreign(struct fz_snap *s)
{
	int i, j;

	for (i = 0; i < s->n; i++)
		for (j = 0; j < nforeign; j++)
			if (s->l[i].ns == 0 && s->l[i].ifindex == foreign[j])
				s->l[i].foreign = true;
}

static void snapshot(struct fz_snap *s)
{
	int i;

	s->n = 0;
	for (i = 0; i < nns; i++)
		if (slot_usable(i))
			dump_slot(i, s);
	mark_foreign(s);
}

/* --- nsids --- */

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NETNSA_MAX + 1];
	struct tb_args args = { tb, NETNSA_MAX };

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct rtgenmsg), tb_cb, &args);
	if (tb[NETNSA_NSID])
		*(int *)data = (int32_t)mnl_attr_get_u32(tb[NETNSA_NSID]);
	return MNL_CB_OK;
}

/* RTM_NEWNSID (assign any id) or RTM_GETNSID for fd @fd, on slot @s. */
static int nsid_req(int s, int type, int fd)
{
	char buf[128], ext[160];
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	uint32_t seq;
	int id = -1, ret;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (type == RTM_NEWNSID ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = seq = ++seq_no;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, fd);
	if (type == RTM_NEWNSID) {
		mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)-1);
		ret = nl_talk(s, nlh, nlh->nlmsg_len, seq, ext);
		return ret == 0 || ret == EEXIST ? 0 : -ret;
	}
	if (mnl_socket_sendto(ns[s].nl, nlh, nlh->nlmsg_len) < 0)
		die("RTM_GETNSID: %s", strerror(errno));
	n = mnl_socket_recvfrom(ns[s].nl, rxbuf, sizeof(rxbuf));
	if (n < 0)
		die("RTM_GETNSID: %s", strerror(errno));
	ret = mnl_cb_run(rxbuf, n, seq, ns[s].portid, nsid_cb, &id);
	if (ret < 0)
		return -1;
	return id;
}

/* Give every namespace an id in every other one, and learn them. */
static void nsids_setup(void)
{
	int i, j;

	for (i = 0; i < nns; i++) {
		for (j = 0; j < nns; j++) {
			ns[i].nsid[j] = -1;
			if (i == j || !ns[i].live || !ns[j].live)
				continue;
			if (nsid_req(i, RTM_NEWNSID, ns[j].fd) < 0)
				die("ns%d: cannot assign an nsid to ns%d", i, j);
			ns[i].nsid[j] = nsid_req(i, RTM_GETNSID, ns[j].fd);
			if (ns[i].nsid[j] < 0)
				die("ns%d: no nsid for ns%d", i, j);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* BPF programs */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* "r0 = 0; exit" as a program of @type; the fd, or -1. */
static int prog_load(enum bpf_prog_type type, uint32_t *id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info info;
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uintptr_t)"GPL";
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0) {
		close(fd);
		return -1;
	}
	*id = info.id;
	return fd;
}

/* Every BPF program id in the system, ascending. */
static int prog_ids(uint32_t *ids, int max)
{
	union bpf_attr attr;
	int n = 0;

	memset(&attr, 0, sizeof(attr));
	for (;;) {
		if (sys_bpf(BPF_PROG_GET_NEXT_ID, &attr) < 0) {
			if (errno == ENOENT)
				return n;
			die("BPF_PROG_GET_NEXT_ID: %s", strerror(errno));
		}
		if (n == max)
			die("more than %d BPF programs", max);
		ids[n++] = attr.next_id;
		attr.start_id = attr.next_id;
	}
}

static bool id_in(const uint32_t *ids, int n, uint32_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void stale_add(uint32_t id)
{
	stale[nstale++ % FZ_STALE] = id;
	if (nstale >= 2 * FZ_STALE)
		nstale -= FZ_STALE;
}

static void ours_add(uint32_t id)
{
	if (nours == ours_cap) {
		ours_cap = ours_cap ? 2 * ours_cap : 64;
		ours_ids = realloc(ours_ids, ours_cap * sizeof(*ours_ids));
		if (!ours_ids)
			die("out of memory");
	}
	ours_ids[nours++] = id;
}

static bool prog_ours(uint32_t id)
{
	size_t i;

	for (i = 0; i < nours; i++)
		if (ours_ids[i] == id)
			return true;
	return false;
}

/* ------------------------------------------------------------------------ */
/* Namespaces */

static int home_fd = -1;

/* A process that lives in slot @s, so that its pid names the namespace. */
static pid_t anchor_start(int s)
{
	int p[2], fd;
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setns(ns[s].fd, CLONE_NEWNET))
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		/* Hold nothing else: other namespaces must be free to die. */
		if (syscall(__NR_close_range, 0, ~0U, 0))
			for (fd = 0; fd < 1024; fd++)
				close(fd);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("ns%d: the anchor process did not start", s);
	close(p[0]);
	return pid;
}

static void ns_create(int s)
{
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s", strerror(errno));
	ns[s].fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns[s].fd < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
	ns[s].nl = nl_open(&ns[s].portid);
	if (setns(home_fd, CLONE_NEWNET))
		die("setns back to ns0: %s", strerror(errno));
	ns[s].live = true;
	ns[s].anchor = anchor_start(s);
}

/* Drop every reference we hold on slot @s. */
static void ns_release(int s)
{
	if (!ns[s].live || s == 0)
		return;
	ns[s].live = false;
	if (ns[s].anchor > 0) {
		kill(ns[s].anchor, SIGKILL);
		waitpid(ns[s].anchor, NULL, 0);
		ns[s].anchor = 0;
	}
	if (ns[s].nl)
		mnl_socket_close(ns[s].nl);
	ns[s].nl = NULL;
	close(ns[s].fd);
	ns[s].fd = -1;
}

/* ------------------------------------------------------------------------ */
/* The kernel log */

static const char *const kmsg_bad[] = {
	"BUG:", "WARNING:", "Oops", "general protection", "Call Trace",
	"refcount_t", "leak", "UBSAN", "KASAN", "KFENCE", "kernel panic",
	"Kernel panic", "list_add corruption", "list_del corruption",
	"unregister_netdevice: waiting", "possible circular locking",
	"inconsistent lock state", "suspicious RCU usage",
	"blocked for more than", "self-detected stall", NULL,
};

#define FZ_KMSG_MARKER "nl_fuzz break-kmsg marker"

/* Read what the kernel logged since the last call; a bad line is fatal. */
static void kmsg_check(void)
{
	char rec[2048], *msg, *nl;
	char lines[4096] = "";
	bool found = false;
	size_t used = 0;
	int i, extra = 0;
	ssize_t n;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		for (i = 0; !found && kmsg_bad[i]; i++)
			found = strstr(msg, kmsg_bad[i]) != NULL;
		if (!found && opt.brk && !strcmp(opt.brk, "kmsg"))
			found = strstr(msg, FZ_KMSG_MARKER) != NULL;
		if (found) {
			used += snprintf(lines + used, sizeof(lines) - used,
					 "\n    kernel: %s", msg);
			if (used >= sizeof(lines))
				break;
			/* The rest of the report, if it is there already. */
			if (++extra > 40)
				break;
		}
	}
	if (found)
		violation("the kernel logged a problem:%s", lines);
}

/* ------------------------------------------------------------------------ */
/* Requests */

enum fz_op {
	OP_CREATE, OP_CHANGE, OP_ATTACH, OP_DETACH, OP_SETLINK, OP_DELLINK,
	OP_RANDOM, OP_LOAD, OP_CLOSE, OP_REAP, OP__N
};

static const char *const op_name[OP__N] = {
	"create", "change", "attach", "detach", "setlink", "dellink",
	"random", "load", "close", "reap",
};

/*
 * Relative frequency of each step, in phases of FZ_PHASE steps: mixed; growing
 * (long program lists, more pairs: the limits); shrinking (detach, delete,
 * namespaces going away with pairs in them).
 */
#define FZ_PHASE	250
static const unsigned int op_weight[3][OP__N] = {
	{ [OP_CREATE] = 22, [OP_CHANGE] = 8, [OP_ATTACH] = 22, [OP_DETACH] = 12,
	  [OP_SETLINK] = 12, [OP_DELLINK] = 9, [OP_RANDOM] = 12, [OP_LOAD] = 2,
	  [OP_CLOSE] = 2, [OP_REAP] = 1 },
	{ [OP_CREATE] = 20, [OP_CHANGE] = 6, [OP_ATTACH] = 60, [OP_DETACH] = 4,
	  [OP_SETLINK] = 8, [OP_DELLINK] = 2, [OP_RANDOM] = 8, [OP_LOAD] = 3,
	  [OP_CLOSE] = 1 },
	{ [OP_CREATE] = 10, [OP_CHANGE] = 8, [OP_ATTACH] = 10, [OP_DETACH] = 30,
	  [OP_SETLINK] = 12, [OP_DELLINK] = 20, [OP_RANDOM] = 12, [OP_LOAD] = 1,
	  [OP_CLOSE] = 4, [OP_REAP] = 3 },
};

static int phase(void)
{
	return (st.steps / FZ_PHASE) % 3;
}

enum { NAME_OK, NAME_BAD, NAME_OTHER };		/* pick_name() */
enum { MAC_OK, MAC_BAD, MAC_SHORT, MAC_LONG };	/* pick_mac() */
enum { FD_NONE, FD_GOOD, FD_WRONG };		/* a program fd attribute */

struct fz_req {
	enum fz_op op;
	int sock;			/* slot the request goes out in */
	struct fz_msg m;
	bool mutated, garbled;
	bool wild;			/* random parts: no prediction */
	char desc[200];

	/* From the final tree (see classify()). */
	int ifindex;
	char name[IFNAMSIZ];
	bool has_name, name_ok, has_tnsid, pure, group_del;
	bool has_alt;			/* the name is IFLA_ALT_IFNAME's */
	int tnsid;
	uint32_t group;

	/* The generator's intent; meaningful while !mutated && !garbled && !wild. */
	const char *must_fail;		/* why the kernel must refuse it */
	const char *must_fail_create;	/* why, if it creates (see create_attempt()) */
	bool core_reason, meta_reason;	/* whose rule refuses it */
	bool core_create_reason;
	bool strict_only;		/* refused only by meta's strict parsing */
	bool cset[IFLA_META_MAX + 1];	/* create: attributes given, values */
	uint32_t cval[IFLA_META_MAX + 1];
	char peer_name[IFNAMSIZ];
	bool peer_name_set;
	int prim_slot, peer_slot;	/* create: where the ends land, or -1 */
	bool pol_set[2];		/* change: [0] POLICY, [1] PEER_POLICY */
	uint32_t pol[2];
	bool nested;			/* attach/detach: NLA_F_NESTED set */
	bool phas[IFLA_META_PROG_MAX + 1];
	uint32_t pval[IFLA_META_PROG_MAX + 1];	/* u32 ones */
	uint64_t exp_rev;		/* with phas[..EXPECTED_REVISION] */
	int fdkind;
	uint32_t prog_id;		/* FD_GOOD: the program's id */
	int mac_kind;			/* setlink: -1 none */
	unsigned char mac[16];
	size_t mac_len;

	/* The answer. */
	int err;
	char ext[160];
};

static void __attribute__((format(printf, 2, 3)))
dsc(struct fz_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(r->desc, sizeof(r->desc), fmt, ap);
	va_end(ap);
}

/* The core refuses it, maybe without an extack message. */
static void must(struct fz_req *r, const char *why)
{
	if (!r->must_fail)
		r->must_fail = why;
	r->core_reason = true;
}

/* meta (its policies or its code) refuses it, with a message. */
static void must_meta(struct fz_req *r, const char *why)
{
	if (!r->must_fail)
		r->must_fail = why;
	r->meta_reason = true;
}

/* ... because its strict parsing does; rtnetlink's own would not. */
static void must_strict(struct fz_req *r, const char *why)
{
	must_meta(r, why);
	r->strict_only = true;
}

/*
 * Refused by a creation (a NEWLINK that finds its device changes it
 * instead); by meta's own code, with a message, or by the core's.
 */
static void must_create(struct fz_req *r, const char *why, bool meta)
{
	if (!r->must_fail_create)
		r->must_fail_create = why;
	if (!meta)
		r->core_create_reason = true;
}

/* --- pickers --- */

/* A device name: mostly the pool, some the kernel must refuse. */
static int pick_name(char *out, size_t size)
{
	static const struct {
		const char *s;
		int kind;
	} special[] = {
		{ "fz%d", NAME_OTHER }, { "meta%d", NAME_OTHER },
		{ "fzaaaaaaaaaaaaa", NAME_OK },		/* 15 bytes: the longest */
		{ "fzaaaaaaaaaaaaaa", NAME_BAD },	/* 16: one too many */
		{ "fz/0", NAME_BAD }, { "fz 0", NAME_BAD }, { "fz:0", NAME_BAD },
		{ ".", NAME_BAD }, { "..", NAME_BAD }, { "fz%d%d", NAME_BAD },
		{ "fz%s", NAME_BAD }, { "", NAME_OTHER },
	};
	int i, n = 0, idx[FZ_MAX_LINKS];

	if (pct(80)) {
		snprintf(out, size, "fz%u", rn(FZ_POOL));
		return NAME_OK;
	}
	if (pct(30)) {
		for (i = 0; i < cur->n; i++)
			if (cur->l[i].meta && !cur->l[i].foreign)
				idx[n++] = i;
		if (n) {
			snprintf(out, size, "%s", cur->l[idx[rn(n)]].name);
			return NAME_OK;
		}
	}
	i = rn(sizeof(special) / sizeof(special[0]));
	snprintf(out, size, "%s", special[i].s);
	return special[i].kind;
}

static int pick_mac(unsigned char *mac, size_t *len)
{
	static const size_t odd_len[] = { 0, 1, 5, 7, 16 };
	size_t i;

	*len = 6;
	for (i = 0; i < 16; i++)
		mac[i] = rnd32();
	switch (rn(10)) {
	case 6:
		mac[0] |= 1;			/* multicast */
		return MAC_BAD;
	case 7:
		memset(mac, 0, 6);
		return MAC_BAD;
	case 8:
		memset(mac, 0xff, 6);
		return MAC_BAD;
	case 9:
		*len = PICK(odd_len);
		return *len < 6 ? MAC_SHORT : MAC_LONG;
	default:
		mac[0] = (mac[0] & 0xfe) | 0x02;	/* local unicast */
		return MAC_OK;
	}
}

static uint32_t pick_mtu(void)
{
	static const uint32_t mtu[] = {
		0, 67, 68, 576, 1280, 1499, 1500, 1501, 9000, 65535, 65536,
		0xffffffff,
	};

	return pct(90) ? PICK(mtu) : rnd32();
}

/* IFLA_NET_NS_FD: a namespace of ours (its slot), or -1 for an fd that is not one. */
static int pick_ns_fd(uint32_t *val, int sock)
{
	int s;

	if (pct(80)) {
		s = pick_slot();
		*val = ns[s].fd;
		return s;
	}
	switch (rn(6)) {
	case 0:
		*val = devnull_fd;
		break;
	case 1:
		*val = good[rn(FZ_GOOD)].fd;
		break;
	case 2:
		*val = FZ_CLOSED_FD;
		break;
	case 3:
		*val = opt.dry_run ? 3 : mnl_socket_get_fd(ns[sock].nl);
		break;
	case 4:
		*val = 0x80000000;
		break;
	default:
		*val = 0xffffffff;
	}
	return -1;
}

/* IFLA_NET_NS_PID: a process in a namespace of ours, or -1 for no process. */
static int pick_ns_pid(uint32_t *val)
{
	static const uint32_t nopid[] = { 0, FZ_NO_PID, 0x7fffffff, 0xffffffff };
	int s;

	if (pct(80)) {
		s = pick_slot();
		*val = s == 0 && pid1_home && pct(30) ? 1 : (uint32_t)ns[s].anchor;
		return s;
	}
	*val = PICK(nopid);
	return -1;
}

/* An nsid as seen from slot @from: of a namespace of ours, or -1. */
static int pick_nsid(int from, int32_t *val)
{
	static const int32_t odd[] = { -1, -2, 1000, 0x7fffffff };
	int s;

	if (pct(80)) {
		s = pick_slot();
		if (s != from && ns[from].nsid[s] >= 0) {
			*val = ns[from].nsid[s];
			return s;
		}
	}
	*val = pct(50) ? PICK(odd) : (int32_t)rn(8);
	return -1;
}

/* An ifindex for a request to name. */
static int pick_ifindex(int sock)
{
	static const int odd[] = { 0x7fffffff, 100000, 65536, -1, INT_MIN };
	int i, n = 0, idx[FZ_MAX_LINKS];
	unsigned int r = rn(100);

	for (i = 0; i < cur->n; i++)
		if (cur->l[i].meta && !cur->l[i].foreign &&
		    (r < 60 ? cur->l[i].ns == sock : true))
			idx[n++] = i;
	if (r < 75 && n)
		return cur->l[idx[rn(n)]].ifindex;
	if (r < 85)
		return 0;
	if (r < 92 && sock != 0)
		return 1;		/* lo: never touched in ns0 */
	return PICK(odd);
}

/* A link of ours to address: a primary with probability @primary_pct. */
static int pick_link(unsigned int primary_pct)
{
	int i, n = 0, idx[FZ_MAX_LINKS];
	bool want = pct(primary_pct);

	for (i = 0; i < cur->n; i++)
		if (cur->l[i].meta && !cur->l[i].foreign && slot_usable(cur->l[i].ns) &&
		    (cur->l[i].v[IFLA_META_PRIMARY] == 1) == want)
			idx[n++] = i;
	if (!n)
		for (i = 0; i < cur->n; i++)
			if (cur->l[i].meta && !cur->l[i].foreign &&
			    slot_usable(cur->l[i].ns))
				idx[n++] = i;
	return n ? idx[rn(n)] : -1;
}

/* Name @link in the request: by ifindex or by name, usually in its namespace. */
static void put_target(struct fz_req *r, int link, unsigned int by_index_pct)
{
	char name[32];

	if (link < 0) {
		r->sock = pick_slot();
		snprintf(name, sizeof(name), "fz%u", rn(FZ_POOL));
		msg_str(&r->m, 0, IFLA_IFNAME, name);
		dsc(r, " ns%d:%s", r->sock, name);
		return;
	}
	r->sock = pct(88) ? cur->l[link].ns : pick_slot();
	if (pct(by_index_pct)) {
		r->m.ifm.ifi_index = cur->l[link].ifindex;
		dsc(r, " ns%d:#%d", r->sock, cur->l[link].ifindex);
	} else {
		msg_str(&r->m, 0, IFLA_IFNAME, cur->l[link].name);
		dsc(r, " ns%d:%s", r->sock, cur->l[link].name);
	}
}

/* The primary of @link's pair in the current state, or NULL. */
static const struct fz_link *primary_of(int link)
{
	const struct fz_link *l;
	int p;

	if (link < 0)
		return NULL;
	l = &cur->l[link];
	if (l->v[IFLA_META_PRIMARY])
		return l;
	p = snap_peer(cur, l);
	return p < 0 ? NULL : &cur->l[p];
}

/* A program fd for IFLA_META_PROG_FD. */
static uint32_t pick_prog_fd(struct fz_req *r)
{
	unsigned int x = rn(100);
	int i, n = 0, open[FZ_CHURN];

	for (i = 0; i < FZ_CHURN; i++)
		if (churn[i].fd >= 0)
			open[n++] = i;
	r->fdkind = FD_WRONG;
	if (x < 55 || (x < 68 && !n)) {
		i = rn(FZ_GOOD);
		r->fdkind = FD_GOOD;
		r->prog_id = good[i].id;
		dsc(r, " fd=good%d(id %u)", i, good[i].id);
		return good[i].fd;
	}
	if (x < 68) {
		i = open[rn(n)];
		r->fdkind = FD_GOOD;
		r->prog_id = churn[i].id;
		dsc(r, " fd=churn%d(id %u)", i, churn[i].id);
		return churn[i].fd;
	}
	if (x < 76) {
		dsc(r, " fd=socket-filter");
		return sockfilter.fd;
	}
	if (x < 82) {
		dsc(r, " fd=/dev/null");
		return devnull_fd;
	}
	if (x < 86) {
		dsc(r, " fd=netns");
		return ns[pick_slot()].fd;
	}
	if (x < 90) {
		dsc(r, " fd=closed");
		return FZ_CLOSED_FD;
	}
	if (x < 95) {
		dsc(r, " fd=-1");
		return 0xffffffff;
	}
	dsc(r, " fd=netlink-socket");
	return opt.dry_run ? 3 : mnl_socket_get_fd(ns[r->sock].nl);
}

/* A program id: attached here, attached in the other direction, stale, ... */
static uint32_t pick_prog_id(int link, uint32_t dir)
{
	const struct fz_link *p = primary_of(link);
	unsigned int x = rn(100);
	int d = dir & 1;

	if (x < 55 && p && p->nprogs[d])
		return p->progs[d][rn(p->nprogs[d])];
	if (x < 62 && p && p->nprogs[!d])
		return p->progs[!d][rn(p->nprogs[!d])];
	if (x < 72 && nstale)
		return stale[rn(nstale < FZ_STALE ? nstale : FZ_STALE)];
	if (x < 82)
		return good[rn(FZ_GOOD)].id;
	if (x < 90)
		return sockfilter.id;
	if (x < 95)
		return 0;
	return edge_u32();
}

/* A random attribute payload: an integer, a name, or bytes. */
static int put_random_attr(struct fz_msg *m, int parent, uint16_t type)
{
	char name[32];

	switch (rn(5)) {
	case 0:
	case 1:
		return msg_u32(m, parent, type, edge_u32());
	case 2:
		pick_name(name, sizeof(name));
		return msg_str(m, parent, type, name);
	case 3:
		return msg_u8(m, parent, type, rnd32());
	default:
		return msg_add(m, parent, type, NULL, rn(20));
	}
}

/* --- builders --- */

/*
 * Now and then an empty IFLA_INFO_DATA before the real one @data in @li:
 * rtnetlink keeps the last, and a check of another one lets anything
 * through, so meta refuses a second one. More often when only strict
 * parsing would refuse the request anyway.
 */
static void put_shadow_data(struct fz_req *r, int li, int data)
{
	struct fz_msg *m = &r->m;
	int16_t *link;
	int n;

	if (li < 0 || data < 0 || !pct(r->strict_only ? 30 : 4))
		return;
	n = msg_nest(m, li, IFLA_INFO_DATA);
	if (n < 0)
		return;
	msg_unlink(m, n);
	for (link = &m->node[li].first; *link != data; link = &m->node[*link].next)
		;
	m->node[n].next = data;
	*link = n;
	dsc(r, " [empty IFLA_INFO_DATA first]");
	must_strict(r, "a second IFLA_INFO_DATA");
}

/* IFLA_LINKINFO { kind meta, IFLA_INFO_DATA {} } in @m: the data nest. */
static int put_meta_data(struct fz_msg *m, int *li)
{
	int l = msg_nest(m, 0, IFLA_LINKINFO);

	msg_str(m, l, IFLA_INFO_KIND, META_LINK_KIND);
	if (li)
		*li = l;
	return msg_nest(m, l, IFLA_INFO_DATA);
}

/* IFLA_META_PEER_INFO: an ifinfomsg and the peer's IFLA_* attributes. */
static void gen_peer(struct fz_req *r, int data, bool l2)
{
	static const uint32_t queues[] = { 0, 1, 2, 16, 4097 };
	struct fz_msg *m = &r->m;
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC };
	unsigned char mac[16];
	int peer, kind, s_fd = -2, s_pid = -2;
	char name[32];
	uint32_t v;
	size_t len;

	if (pct(6)) {
		ifm.ifi_index = pct(70) ? pick_ifindex(r->sock) : -(int)rn(3) - 1;
		if (ifm.ifi_index < 0)
			must_meta(r, "a negative peer ifindex");
		dsc(r, " peer-ifindex %d", ifm.ifi_index);
	}
	if (pct(3))
		ifm.ifi_family = rn(50);
	if (pct(3)) {
		ifm.ifi_flags = rnd32();
		ifm.ifi_change = rnd32();
	}
	peer = msg_add(m, data, IFLA_META_PEER_INFO | (pct(50) ? NLA_F_NESTED : 0),
		       &ifm, sizeof(ifm));
	dsc(r, " peer{");
	if (pct(85)) {
		kind = pick_name(name, sizeof(name));
		msg_str(m, peer, IFLA_IFNAME, name);
		dsc(r, "name '%s'", name);
		if (kind == NAME_BAD)
			must(r, "an invalid peer name");
		if (kind == NAME_OK) {
			snprintf(r->peer_name, sizeof(r->peer_name), "%.*s", IFNAMSIZ - 1, name);
			r->peer_name_set = true;
		}
	}
	if (pct(12)) {
		v = pick_mtu();
		msg_u32(m, peer, IFLA_MTU, v);
		dsc(r, " mtu %u", v);
	}
	if (pct(10)) {
		kind = pick_mac(mac, &len);
		msg_add(m, peer, IFLA_ADDRESS, mac, len);
		dsc(r, " mac/%zu", len);
		if (kind != MAC_OK)
			must_meta(r, "an invalid peer MAC address");
		else if (!l2)
			must_meta(r, "a MAC address in l3 mode");
	}
	if (pct(35)) {
		s_fd = pick_ns_fd(&v, r->sock);
		msg_u32(m, peer, IFLA_NET_NS_FD, v);
		dsc(r, " netns-fd %d(ns%d)", (int)v, s_fd);
	}
	if (pct(25)) {
		s_pid = pick_ns_pid(&v);
		msg_u32(m, peer, IFLA_NET_NS_PID, v);
		dsc(r, " netns-pid %u(ns%d)", v, s_pid);
	}
	/* rtnetlink looks at the pid first. */
	if (s_pid != -2 || s_fd != -2) {
		r->peer_slot = s_pid != -2 ? s_pid : s_fd;
		if (r->peer_slot < 0)
			must(r, "the peer's netns is not a namespace");
	}
	if (pct(5))
		msg_u32(m, peer, IFLA_TXQLEN, edge_u32());
	if (pct(5))
		msg_u32(m, peer, IFLA_GROUP, rn(4));
	if (pct(3))
		msg_u32(m, peer, IFLA_NUM_TX_QUEUES, PICK(queues));
	if (pct(3))
		msg_u32(m, peer, IFLA_NUM_RX_QUEUES, PICK(queues));
	if (pct(4)) {
		v = rn(IFLA_MAX + 3);
		put_random_attr(m, peer, v);
		dsc(r, " attr %u", v);
		r->wild = true;
	}
	dsc(r, "}");
}

/* IFLA_INFO_DATA of a creation: every attribute, valid or not. */
static void gen_create_data(struct fz_req *r, int data, bool *l2)
{
	static const uint32_t bad_mode[] = { 2, 3, 0xffffffff };
	static const uint32_t good_pol[] = { META_POLICY_FORWARD, META_POLICY_BLACKHOLE };
	static const uint32_t bad_pol[] = { 1, 3, META_REDIRECT, 0xffffffff };
	static const uint16_t good_room[] = { 0, 1, 64, 511, META_ROOM_MAX };
	static const uint16_t bad_room[] = { META_ROOM_MAX + 1, 1024, 0xffff };
	static const int u32_attr[] = {
		IFLA_META_POLICY, IFLA_META_PEER_POLICY, IFLA_META_SCRUB,
		IFLA_META_PEER_SCRUB,
	};
	struct fz_msg *m = &r->m;
	int t, last = -1, nest;
	uint32_t v;
	size_t i;

	if (pct(40)) {
		v = pct(90) ? rn(2) : PICK(bad_mode);
		last = msg_u32(m, data, IFLA_META_MODE, v);
		dsc(r, " mode %u", v);
		if (v > META_MODE_L2)
			must_meta(r, "mode out of range");
		r->cset[IFLA_META_MODE] = true;
		r->cval[IFLA_META_MODE] = v;
		*l2 = v == META_MODE_L2;
	}
	for (i = 0; i < sizeof(u32_attr) / sizeof(u32_attr[0]); i++) {
		t = u32_attr[i];
		if (!pct(t == IFLA_META_POLICY || t == IFLA_META_PEER_POLICY ? 30 : 20))
			continue;
		if (t == IFLA_META_POLICY || t == IFLA_META_PEER_POLICY)
			v = pct(85) ? PICK(good_pol) : PICK(bad_pol);
		else
			v = pct(90) ? rn(2) : PICK(bad_mode);
		last = msg_u32(m, data, t, v);
		dsc(r, " a%d=%u", t, v);
		if ((t == IFLA_META_POLICY || t == IFLA_META_PEER_POLICY) ?
		    (v != META_POLICY_FORWARD && v != META_POLICY_BLACKHOLE) :
		    v > META_SCRUB_DEFAULT)
			must_meta(r, "a policy or scrub value out of range");
		r->cset[t] = true;
		r->cval[t] = v;
	}
	for (t = IFLA_META_HEADROOM; t <= IFLA_META_TAILROOM; t++) {
		if (!pct(20))
			continue;
		v = pct(85) ? PICK(good_room) : PICK(bad_room);
		last = msg_u16(m, data, t, v);
		dsc(r, " %s %u", t == IFLA_META_HEADROOM ? "headroom" : "tailroom", v);
		if (v > META_ROOM_MAX)
			must_meta(r, "head/tailroom above META_ROOM_MAX");
		r->cset[t] = true;
		r->cval[t] = v;
	}
	if (pct(85))
		gen_peer(r, data, *l2);

	/* Now and then something a creation must refuse. */
	switch (pct(14) ? rn(7) : 7) {
	case 0:
		msg_u8(m, data, IFLA_META_PRIMARY, 1);
		dsc(r, " primary=1");
		must_meta(r, "the read-only primary attribute");
		break;
	case 1:
	case 2:
		nest = msg_nest(m, data, rn(2) ? IFLA_META_PROG_ATTACH : IFLA_META_PROG_DETACH);
		msg_u32(m, nest, IFLA_META_PROG_FD, good[0].fd);
		msg_u32(m, nest, IFLA_META_PROG_DIR, META_PROG_DIR_PRIMARY);
		dsc(r, " programs");
		must_create(r, "programs at creation", true);
		break;
	case 3:
		nest = msg_nest(m, data, rn(2) ? IFLA_META_PRIMARY_PROGS : IFLA_META_PEER_PROGS);
		msg_u32(m, nest, IFLA_META_PROG_ID, good[0].id);
		dsc(r, " prog-list");
		must_meta(r, "a read-only program list");
		break;
	case 4:
		t = PICK(((const int[]){ 0, IFLA_META_MAX + 1, 64 }));
		msg_u32(m, data, t, 0);
		dsc(r, " unknown-attr %d", t);
		must_strict(r, "an unknown attribute");
		break;
	case 5:
		/* Longer than the type passes rtnetlink's liberal parser. */
		t = PICK(((const int[]){ 0, 2, 8 }));
		if (pct(50)) {
			msg_add(m, data, IFLA_META_MODE, NULL, t);
			dsc(r, " mode-size-%d", t);
		} else {
			t = 4;
			msg_add(m, data, IFLA_META_HEADROOM, NULL, t);
			dsc(r, " headroom-size-4");
		}
		if (t > 4 || t == 4)
			must_strict(r, "an attribute longer than its type");
		else
			must_meta(r, "an attribute shorter than its type");
		break;
	case 6:
		if (last < 0)
			break;
		msg_copy(m, last, data, -1);
		dsc(r, " repeated");
		must_strict(r, "a repeated attribute");
		break;
	}
}

static void gen_create(struct fz_req *r)
{
	static const char *const bad_kind[] = { "", "met", "meta0", "META" };
	struct fz_msg *m = &r->m;
	unsigned char mac[16];
	int kind, nsattrs = 0, s = -2, li, data = -1, peer;
	char name[32];
	bool l2 = false;
	int32_t iv;
	uint32_t v;
	size_t len;

	r->sock = pick_slot();
	r->prim_slot = r->sock;
	r->peer_slot = -1;
	msg_init(m, RTM_NEWLINK, NLM_F_CREATE | (pct(88) ? NLM_F_EXCL : 0));
	dsc(r, "create via ns%d", r->sock);
	if (pct(4)) {
		m->ifm.ifi_index = pick_ifindex(r->sock);
		dsc(r, " ifindex %d", m->ifm.ifi_index);
		r->wild = true;
	}
	if (pct(88)) {
		kind = pick_name(name, sizeof(name));
		msg_str(m, 0, IFLA_IFNAME, name);
		dsc(r, " '%s'", name);
		if (kind == NAME_BAD)
			must(r, "an invalid name");
	}

	/* The primary's namespace: more than one way to say it is refused. */
	if (pct(8)) {
		s = pick_ns_fd(&v, r->sock);
		msg_u32(m, 0, IFLA_NET_NS_FD, v);
		dsc(r, " netns-fd(ns%d)", s);
		nsattrs++;
	}
	if (pct(6)) {
		s = pick_ns_pid(&v);
		msg_u32(m, 0, IFLA_NET_NS_PID, v);
		dsc(r, " netns-pid %u(ns%d)", v, s);
		nsattrs++;
	}
	if (nsattrs == 1) {
		r->prim_slot = s;
		if (s < 0)
			must(r, "the netns is not a namespace");
	}
	if (pct(4)) {
		pick_nsid(r->sock, &iv);
		msg_s32(m, 0, IFLA_TARGET_NETNSID, iv);
		dsc(r, " target-nsid %d", iv);
		nsattrs++;
		r->prim_slot = -1;
	}
	if (nsattrs > 1)
		must(r, "two namespace attributes");
	if (pct(5)) {
		pick_nsid(r->sock, &iv);
		msg_s32(m, 0, IFLA_LINK_NETNSID, iv);
		dsc(r, " link-nsid %d", iv);
		nsattrs++;	/* where the peer goes: no ifindex collision below */
	}
	if (pct(12)) {
		v = pick_mtu();
		msg_u32(m, 0, IFLA_MTU, v);
		dsc(r, " mtu %u", v);
	}
	if (pct(5))
		msg_u32(m, 0, IFLA_TXQLEN, edge_u32());
	if (pct(8))
		msg_u32(m, 0, IFLA_GROUP, rn(4));
	if (pct(10)) {
		/* rtnl_configure_link() brings it up once newlink() is done. */
		m->ifm.ifi_flags = IFF_UP;
		dsc(r, " up");
	}
	if (pct(3)) {
		/* No meta device can be a master: the core undoes the creation. */
		v = pick_ifindex(r->sock);
		msg_u32(m, 0, IFLA_MASTER, v);
		dsc(r, " master %d", (int)v);
		r->wild = true;
	}
	if (pct(3))
		msg_u32(m, 0, IFLA_NUM_TX_QUEUES, PICK(((const uint32_t[]){ 1, 2, 16 })));
	if (pct(3))
		msg_u32(m, 0, IFLA_GSO_MAX_SIZE, edge_u32());
	if (pct(3)) {
		v = rn(IFLA_MAX + 3);
		put_random_attr(m, 0, v);
		dsc(r, " attr %u", v);
		r->wild = true;
	}

	li = msg_nest(m, 0, IFLA_LINKINFO);
	if (pct(98)) {
		msg_str(m, li, IFLA_INFO_KIND, META_LINK_KIND);
	} else {
		msg_str(m, li, IFLA_INFO_KIND, PICK(bad_kind));
		dsc(r, " bad-kind");
		must(r, "a kind that is not meta");
		msg_nest(m, li, IFLA_INFO_DATA);
		return;
	}
	if (pct(96)) {
		data = msg_nest(m, li, IFLA_INFO_DATA);
		gen_create_data(r, data, &l2);
		put_shadow_data(r, li, data);
	}
	if (pct(10)) {
		kind = pick_mac(mac, &len);
		msg_add(m, 0, IFLA_ADDRESS, mac, len);
		dsc(r, " mac/%zu", len);
		if (kind != MAC_OK)
			must_meta(r, "an invalid MAC address");
		else if (!l2)
			must_create(r, "a MAC address in l3 mode", true);
	}
	/*
	 * Both ends in one namespace asking for the same fresh ifindex: the
	 * peer registers first, the primary cannot, the peer must go again.
	 */
	peer = data >= 0 ? msg_find_child(m, data, IFLA_META_PEER_INFO) : -1;
	if (peer >= 0 && !nsattrs && r->peer_slot < 0 && pct(5) &&
	    m->node[peer].len >= sizeof(struct ifinfomsg)) {
		iv = 5000 + rn(8);
		m->ifm.ifi_index = iv;
		memcpy(m->bytes + m->node[peer].off + offsetof(struct ifinfomsg, ifi_index),
		       &iv, sizeof(iv));
		dsc(r, " both ends ifindex %d", iv);
		must_create(r, "one ifindex asked for both ends", false);
	}
}

static void gen_change(struct fz_req *r)
{
	static const uint32_t good_pol[] = { META_POLICY_FORWARD, META_POLICY_BLACKHOLE };
	static const uint32_t bad_pol[] = { 1, 3, META_REDIRECT, 0xffffffff };
	struct fz_msg *m = &r->m;
	struct ifinfomsg ifm = { 0 };
	int data, li, i, t;
	uint32_t v;

	msg_init(m, RTM_NEWLINK, 0);
	dsc(r, "change");
	put_target(r, pick_link(75), 60);
	data = put_meta_data(m, &li);
	for (i = 0; i < 2; i++) {
		if (!pct(i ? 50 : 60))
			continue;
		v = pct(85) ? PICK(good_pol) : PICK(bad_pol);
		msg_u32(m, data, i ? IFLA_META_PEER_POLICY : IFLA_META_POLICY, v);
		dsc(r, " %s %u", i ? "peer-policy" : "policy", v);
		if (v != META_POLICY_FORWARD && v != META_POLICY_BLACKHOLE)
			must_meta(r, "a policy out of range");
		r->pol_set[i] = true;
		r->pol[i] = v;
	}
	if (pct(8)) {
		t = PICK(((const int[]){ IFLA_META_MODE, IFLA_META_SCRUB,
					 IFLA_META_PEER_SCRUB, IFLA_META_HEADROOM,
					 IFLA_META_TAILROOM, IFLA_META_PEER_INFO }));
		if (t == IFLA_META_PEER_INFO)
			msg_add(m, data, t, &ifm, sizeof(ifm));
		else if (t == IFLA_META_HEADROOM || t == IFLA_META_TAILROOM)
			msg_u16(m, data, t, 0);
		else
			msg_u32(m, data, t, t == IFLA_META_MODE ? 0 : 1);
		dsc(r, " create-only a%d", t);
		must_meta(r, "an attribute fixed at creation");
	}
	if (pct(3)) {
		msg_u8(m, data, IFLA_META_PRIMARY, 1);
		dsc(r, " primary=1");
		must_meta(r, "the read-only primary attribute");
	}
	if (pct(4) && (t = m->node[data].first) >= 0) {
		msg_copy(m, t, data, -1);
		dsc(r, " repeated");
		must_strict(r, "a repeated attribute");
	}
	if (pct(3)) {
		msg_u32(m, data, IFLA_META_MAX + 1 + rn(8), 0);
		dsc(r, " unknown-attr");
		must_strict(r, "an unknown attribute");
	}
	put_shadow_data(r, li, data);
}

/*
 * The primary with the most programs: attaching there again and again fills
 * a list up to META_PROG_MAX, where the limit and replace-when-full live.
 */
static int richest_primary(void)
{
	int i, best = -1, most = -1, n;

	for (i = 0; i < cur->n; i++) {
		if (!cur->l[i].meta || cur->l[i].foreign || !slot_usable(cur->l[i].ns) ||
		    cur->l[i].v[IFLA_META_PRIMARY] != 1)
			continue;
		n = cur->l[i].nprogs[0] + cur->l[i].nprogs[1];
		if (n > most) {
			most = n;
			best = i;
		}
	}
	return best;
}

/*
 * IFLA_META_PROG_EXPECTED_REVISION, now and then: mostly the direction's
 * current revision, sometimes a stale or future one, 0, or anything.
 */
static void gen_expected_rev(struct fz_req *r, int link, int nest, int odds)
{
	const struct fz_link *p = primary_of(link);
	uint64_t rev = p ? p->rev[r->pval[IFLA_META_PROG_DIR] & 1] : 1;
	unsigned int x = rn(100);

	if (!pct(odds))
		return;
	r->exp_rev = x < 60 ? rev : x < 75 ? rev - 1 : x < 85 ? rev + 1 :
		     x < 92 ? 0 : rnd64();
	r->phas[IFLA_META_PROG_EXPECTED_REVISION] = true;
	msg_u64(&r->m, nest, IFLA_META_PROG_EXPECTED_REVISION, r->exp_rev);
	dsc(r, " rev %llu/%llu", (unsigned long long)r->exp_rev,
	    (unsigned long long)rev);
}

/*
 * A well-formed attach to the primary with the most programs: what fills a
 * list. A good program not in the list yet, a valid direction, a position.
 */
static void gen_attach_clean(struct fz_req *r, int link, int nest)
{
	const struct fz_link *p = &cur->l[link];
	struct fz_msg *m = &r->m;
	uint32_t dir = rn(2), flags;
	int i, k, cnt = p->nprogs[dir];

	for (k = 0, i = rn(FZ_GOOD); k < FZ_GOOD; k++, i = (i + 1) % FZ_GOOD)
		if (prog_index(p, dir, good[i].id) < 0)
			break;
	r->fdkind = FD_GOOD;
	r->prog_id = good[i].id;
	flags = PICK(((const uint32_t[]){ 0, 0, META_PROG_F_BEFORE, META_PROG_F_AFTER,
					  META_PROG_F_REPLACE }));
	if (!cnt)
		flags &= ~META_PROG_F_REPLACE;
	r->phas[IFLA_META_PROG_FD] = r->phas[IFLA_META_PROG_DIR] = true;
	r->pval[IFLA_META_PROG_FD] = good[i].fd;
	r->pval[IFLA_META_PROG_DIR] = dir;
	msg_u32(m, nest, IFLA_META_PROG_FD, good[i].fd);
	msg_u32(m, nest, IFLA_META_PROG_DIR, dir);
	dsc(r, " clean fd=good%d(id %u) dir %u", i, good[i].id, dir);
	if (flags) {
		r->phas[IFLA_META_PROG_FLAGS] = true;
		r->pval[IFLA_META_PROG_FLAGS] = flags;
		msg_u32(m, nest, IFLA_META_PROG_FLAGS, flags);
		dsc(r, " flags %#x", flags);
	}
	if (cnt && (flags == META_PROG_F_REPLACE || (flags && pct(50)))) {
		r->phas[IFLA_META_PROG_RELATIVE_ID] = true;
		r->pval[IFLA_META_PROG_RELATIVE_ID] = p->progs[dir][rn(cnt)];
		msg_u32(m, nest, IFLA_META_PROG_RELATIVE_ID, r->pval[IFLA_META_PROG_RELATIVE_ID]);
		dsc(r, " rel %u", r->pval[IFLA_META_PROG_RELATIVE_ID]);
	}
	gen_expected_rev(r, link, nest, 25);
}

/* A well-formed detach from the primary with the most programs. */
static void gen_detach_clean(struct fz_req *r, int link, int nest)
{
	const struct fz_link *p = &cur->l[link];
	uint32_t dir = p->nprogs[0] ? (p->nprogs[1] ? rn(2) : 0) : 1;

	r->phas[IFLA_META_PROG_DIR] = true;
	r->pval[IFLA_META_PROG_DIR] = dir;
	msg_u32(&r->m, nest, IFLA_META_PROG_DIR, dir);
	if (pct(85)) {
		r->phas[IFLA_META_PROG_ID] = true;
		r->pval[IFLA_META_PROG_ID] = p->progs[dir][rn(p->nprogs[dir])];
		msg_u32(&r->m, nest, IFLA_META_PROG_ID, r->pval[IFLA_META_PROG_ID]);
		dsc(r, " clean dir %u id %u", dir, r->pval[IFLA_META_PROG_ID]);
	} else {
		r->phas[IFLA_META_PROG_FLAGS] = true;
		r->pval[IFLA_META_PROG_FLAGS] = META_PROG_F_ALL;
		msg_u32(&r->m, nest, IFLA_META_PROG_FLAGS, META_PROG_F_ALL);
		dsc(r, " clean dir %u all", dir);
	}
	gen_expected_rev(r, link, nest, 25);
}

/* The attributes of an attach or detach nest: valid, odd or wrong. */
static void gen_prog_attrs(struct fz_req *r, bool attach, int link, int nest)
{
	struct fz_msg *m = &r->m;
	uint32_t v, flags = 0;
	unsigned int x;

#define PUT(t, val) do {						\
		r->phas[t] = true;					\
		r->pval[t] = (val);					\
		msg_u32(m, nest, t, r->pval[t]);			\
	} while (0)

	if (attach ? pct(95) : pct(3)) {
		v = pick_prog_fd(r);
		PUT(IFLA_META_PROG_FD, v);
	}
	if (pct(93)) {
		v = pct(92) ? rn(2) : edge_u32();
		PUT(IFLA_META_PROG_DIR, v);
		dsc(r, " dir %u", v);
	}
	x = rn(100);
	if (attach) {
		flags = x < 35 ? 0 : x < 45 ? 0 : x < 60 ? META_PROG_F_BEFORE :
			x < 75 ? META_PROG_F_AFTER : x < 90 ? META_PROG_F_REPLACE :
			x < 94 ? META_PROG_F_ALL :
			x < 97 ? META_PROG_F_BEFORE | META_PROG_F_AFTER : edge_u32();
		if (x >= 35) {
			PUT(IFLA_META_PROG_FLAGS, flags);
			dsc(r, " flags %#x", flags);
		}
		if ((flags & 7) ? pct(75) : pct(8)) {
			v = pick_prog_id(link, r->pval[IFLA_META_PROG_DIR]);
			PUT(IFLA_META_PROG_RELATIVE_ID, v);
			dsc(r, " rel %u", v);
		}
		if (pct(3)) {
			PUT(IFLA_META_PROG_ID, pick_prog_id(link, 0));
			dsc(r, " id");
		}
	} else {
		flags = x < 50 ? 0 : x < 80 ? META_PROG_F_ALL : x < 88 ? 0 :
			x < 94 ? META_PROG_F_ALL | META_PROG_F_BEFORE : edge_u32();
		if (x >= 50) {
			PUT(IFLA_META_PROG_FLAGS, flags);
			dsc(r, " flags %#x", flags);
		}
		if (pct(80)) {
			v = pick_prog_id(link, r->pval[IFLA_META_PROG_DIR]);
			PUT(IFLA_META_PROG_ID, v);
			dsc(r, " id %u", v);
		}
		if (pct(3)) {
			PUT(IFLA_META_PROG_RELATIVE_ID, pick_prog_id(link, 0));
			dsc(r, " rel");
		}
	}
#undef PUT
	gen_expected_rev(r, link, nest, 20);
}

/* IFLA_META_PROG_ATTACH or _DETACH through a (usually primary) end. */
static void gen_prog(struct fz_req *r, bool attach)
{
	struct fz_msg *m = &r->m;
	unsigned int rich = !attach ? 30 : phase() == 1 ? 70 : 40;
	int link = pct(rich) ? richest_primary() : pick_link(85), data, nest, li;
	bool clean = link >= 0 && link == richest_primary() && pct(70) &&
		     (attach || cur->l[link].nprogs[0] + cur->l[link].nprogs[1]);

	msg_init(m, RTM_NEWLINK, 0);
	dsc(r, attach ? "attach" : "detach");
	put_target(r, link, 70);
	data = put_meta_data(m, &li);
	r->nested = clean || pct(96);
	nest = msg_add(m, data, (attach ? IFLA_META_PROG_ATTACH : IFLA_META_PROG_DETACH) |
		       (r->nested ? NLA_F_NESTED : 0), NULL, 0);
	if (!r->nested)
		dsc(r, " !NESTED");
	if (clean) {
		if (attach)
			gen_attach_clean(r, link, nest);
		else
			gen_detach_clean(r, link, nest);
	} else {
		gen_prog_attrs(r, attach, link, nest);
	}
	/* Repeats: meta refuses them, rtnetlink's parsers keep the last. */
	if (pct(5) && m->node[nest].first >= 0) {
		msg_copy(m, m->node[nest].first, nest, -1);
		dsc(r, " repeated-in-nest");
		must_strict(r, "a repeated attribute in the nest");
	} else if (pct(2)) {
		msg_copy(m, nest, data, -1);
		dsc(r, " repeated-nest");
		must_strict(r, "a repeated nest");
	}
	put_shadow_data(r, li, data);
}

static void gen_setlink(struct fz_req *r)
{
	static const char *const what[] = {
		"mtu", "rename", "mac", "netns", "updown", "txqlen", "group",
		"operstate", "gso", "master", "protodown", "linkinfo",
	};
	struct fz_msg *m = &r->m;
	int link = pick_link(50), n = 1 + rn(3), k, w, s, data;
	char name[32];
	int32_t iv;
	uint32_t v;

	if (pct(8) && nns > 1) {
		/* RTM_NEWLINK without a device but with a group changes them all. */
		msg_init(m, RTM_NEWLINK, 0);
		r->sock = 1 + rn(nns - 1);
		v = 1 + rn(3);
		msg_u32(m, 0, IFLA_GROUP, v);
		dsc(r, "group %u change via ns%d", v, r->sock);
	} else {
		msg_init(m, RTM_SETLINK, 0);
		dsc(r, "setlink");
		put_target(r, link, 70);
	}
	for (k = 0; k < n; k++) {
		w = rn(sizeof(what) / sizeof(what[0]));
		dsc(r, " %s", what[w]);
		switch (w) {
		case 0:
			v = pick_mtu();
			msg_u32(m, 0, IFLA_MTU, v);
			dsc(r, " %u", v);
			break;
		case 1:
			/* By name, IFLA_IFNAME is the look-up: rename by index only. */
			if (m->ifm.ifi_index <= 0)
				break;
			pick_name(name, sizeof(name));
			msg_str(m, 0, IFLA_IFNAME, name);
			dsc(r, " '%s'", name);
			break;
		case 2:
			r->mac_kind = pick_mac(r->mac, &r->mac_len);
			msg_add(m, 0, IFLA_ADDRESS, r->mac, r->mac_len);
			dsc(r, "/%zu", r->mac_len);
			break;
		case 3:
			switch (rn(3)) {
			case 0:
				s = pick_ns_fd(&v, r->sock);
				msg_u32(m, 0, IFLA_NET_NS_FD, v);
				dsc(r, " fd(ns%d)", s);
				break;
			case 1:
				s = pick_ns_pid(&v);
				msg_u32(m, 0, IFLA_NET_NS_PID, v);
				dsc(r, " pid(ns%d)", s);
				break;
			default:
				pick_nsid(r->sock, &iv);
				msg_s32(m, 0, IFLA_TARGET_NETNSID, iv);
				dsc(r, " target-nsid %d", iv);
			}
			break;
		case 4:
			m->ifm.ifi_change |= IFF_UP;
			m->ifm.ifi_flags = pct(60) ? IFF_UP : 0;
			dsc(r, " %s", m->ifm.ifi_flags ? "up" : "down");
			break;
		case 5:
			msg_u32(m, 0, IFLA_TXQLEN, edge_u32());
			break;
		case 6:
			msg_u32(m, 0, IFLA_GROUP, rn(4));
			break;
		case 7:
			msg_u8(m, 0, rn(2) ? IFLA_OPERSTATE : IFLA_LINKMODE, rn(8));
			break;
		case 8:
			msg_u32(m, 0, rn(2) ? IFLA_GSO_MAX_SIZE : IFLA_GSO_MAX_SEGS,
				edge_u32());
			break;
		case 9:
			msg_u32(m, 0, IFLA_MASTER, pct(50) ? 0 : (uint32_t)pick_ifindex(r->sock));
			break;
		case 10:
			msg_u8(m, 0, IFLA_PROTO_DOWN, rn(2));
			break;
		default:
			/* RTM_SETLINK ignores IFLA_LINKINFO: policy must stay. */
			data = put_meta_data(m, NULL);
			msg_u32(m, data, IFLA_META_POLICY, META_POLICY_BLACKHOLE);
		}
	}
}

static void gen_dellink(struct fz_req *r)
{
	struct fz_msg *m = &r->m;
	unsigned int x = rn(100);
	int32_t iv;
	int link, rich;

	msg_init(m, RTM_DELLINK, 0);
	dsc(r, "dellink");
	if (x < 82) {
		link = pick_link(50);
		rich = richest_primary();
		/* Outside the shrinking phase, mostly spare the longest lists. */
		if (link >= 0 && rich >= 0 && phase() != 2 &&
		    primary_of(link) == &cur->l[rich] && pct(80))
			link = pick_link(50);
		put_target(r, link, 60);
	} else if (x < 88) {
		r->sock = 1 + rn(nns - 1);	/* never ns0 */
		msg_u32(m, 0, IFLA_GROUP, rn(4));
		dsc(r, " ns%d group", r->sock);
	} else if (x < 91) {
		r->sock = pick_slot();
		dsc(r, " ns%d nothing", r->sock);
		must(r, "no device named");
	} else if (x < 94) {
		r->sock = pick_slot();
		if (pct(50)) {
			msg_str(m, 0, IFLA_IFNAME, "fznone");
			dsc(r, " ns%d:fznone", r->sock);
		} else {
			m->ifm.ifi_index = 0x7ffffff0;
			dsc(r, " ns%d:#%d", r->sock, m->ifm.ifi_index);
		}
		must(r, "no such device");
	} else {
		link = pick_link(50);
		put_target(r, link, 60);
		if (link >= 0) {
			r->sock = pick_slot();
			pick_nsid(r->sock, &iv);
			if (cur->l[link].ns != r->sock && ns[r->sock].nsid[cur->l[link].ns] >= 0)
				iv = ns[r->sock].nsid[cur->l[link].ns];
			msg_s32(m, 0, IFLA_TARGET_NETNSID, iv);
			dsc(r, " via ns%d target-nsid %d", r->sock, iv);
		}
	}
	if (pct(10)) {
		int li = msg_nest(m, 0, IFLA_LINKINFO);

		msg_str(m, li, IFLA_INFO_KIND, META_LINK_KIND);
	}
}

/* Anything, loosely shaped like a link request. */
static void gen_random(struct fz_req *r)
{
	static const uint16_t types[] = { RTM_NEWLINK, RTM_NEWLINK, RTM_SETLINK, RTM_DELLINK };
	static const uint16_t fl[] = { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND };
	struct fz_msg *m = &r->m;
	int n, k, li, data, nest, t;
	uint16_t flags = 0;
	size_t i;

	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (pct(30))
			flags |= fl[i];
	msg_init(m, PICK(types), flags);
	r->wild = true;
	r->sock = pick_slot();
	dsc(r, "random type %u flags %#x via ns%d", m->type, flags, r->sock);
	if (pct(20))
		m->ifm.ifi_family = rn(50);
	m->ifm.ifi_index = pick_ifindex(r->sock);
	if (pct(20)) {
		m->ifm.ifi_flags = rnd32();
		m->ifm.ifi_change = rnd32();
	}
	n = rn(4);
	for (k = 0; k < n; k++) {
		t = rn(IFLA_MAX + 3);
		put_random_attr(m, 0, t);
		dsc(r, " a%d", t);
	}
	if (!pct(80))
		return;
	li = msg_nest(m, 0, IFLA_LINKINFO);
	msg_str(m, li, IFLA_INFO_KIND, pct(95) ? META_LINK_KIND : "metax");
	data = msg_nest(m, li, IFLA_INFO_DATA);
	n = rn(5);
	for (k = 0; k < n; k++) {
		t = rn(IFLA_META_MAX + 3);
		dsc(r, " m%d", t);
		if (t == IFLA_META_PROG_ATTACH || t == IFLA_META_PROG_DETACH || pct(10)) {
			nest = msg_add(m, data, t | (pct(80) ? NLA_F_NESTED : 0), NULL, 0);
			for (i = rn(4); i > 0; i--)
				msg_u32(m, nest, rn(IFLA_META_PROG_MAX + 2),
					pct(50) ? (uint32_t)good[rn(FZ_GOOD)].fd : edge_u32());
		} else if (t == IFLA_META_PEER_INFO) {
			struct ifinfomsg ifm = { .ifi_index = pct(80) ? 0 : (int)rnd32() };

			nest = msg_add(m, data, t, &ifm, sizeof(ifm));
			for (i = rn(4); i > 0; i--)
				put_random_attr(m, nest, rn(IFLA_MAX + 3));
		} else {
			put_random_attr(m, data, t);
		}
	}
}

/* --- mutations --- */

/* Give node @i a payload of @len bytes: kept as far as it goes, random after. */
static void node_resize(struct fz_msg *m, int i, size_t len)
{
	struct fz_node *nd = &m->node[i];
	size_t k;

	if (len <= nd->len) {
		nd->len = len;
		return;
	}
	if (len > FZ_MAX_BYTES - m->used)
		return;
	memcpy(m->bytes + m->used, m->bytes + nd->off, nd->len);
	for (k = nd->len; k < len; k++)
		m->bytes[m->used + k] = rnd32();
	nd->off = m->used;
	nd->len = len;
	m->used += len;
}

/* One to three tree mutations, each named in the description. */
static void mutate_tree(struct fz_req *r)
{
	struct fz_msg *m = &r->m;
	int nodes[FZ_MAX_NODES], n, i, j, k, count = 1 + rn(3);
	struct fz_node *nd;
	uint32_t v;

	r->mutated = true;
	for (k = 0; k < count; k++) {
		n = msg_nodes(m, nodes);
		if (!n)
			return;
		i = nodes[rn(n)];
		nd = &m->node[i];
		switch (rn(9)) {
		case 0:
			msg_unlink(m, i);
			dsc(r, " [drop %#x]", nd->type);
			break;
		case 1:
			msg_copy(m, i, nd->parent, i);
			dsc(r, " [dup %#x]", nd->type);
			break;
		case 2:
			node_resize(m, i, rn(nd->len + 9));
			dsc(r, " [resize %#x to %u]", nd->type, nd->len);
			break;
		case 3:
			v = pct(50) ? (uint32_t)((nd->type & NLA_TYPE_MASK) + PICK(((const int[]){ -1, 1 }))) :
				      rn(IFLA_MAX + 3);
			nd->type = (nd->type & NLA_F_NESTED) | (v & NLA_TYPE_MASK);
			dsc(r, " [retype to %#x]", nd->type);
			break;
		case 4:
			nd->type ^= NLA_F_NESTED;
			dsc(r, " [flip nested %#x]", nd->type);
			break;
		case 5:
			for (j = 0; j < nd->len; j++)
				m->bytes[nd->off + j] = rnd32();
			dsc(r, " [random bytes %#x]", nd->type);
			break;
		case 6:
			v = edge_u32();
			memcpy(m->bytes + nd->off, &v, nd->len < 4 ? nd->len : 4);
			dsc(r, " [edge value %#x=%#x]", nd->type, v);
			break;
		case 7:
			j = nd->first >= 0 ? i : nd->parent;
			v = rn(IFLA_MAX + 3);
			put_random_attr(m, j, v);
			dsc(r, " [insert %u]", v);
			break;
		default:
			j = nd->next;
			if (j < 0)
				break;
			/* Swap @i with its next sibling. */
			msg_unlink(m, j);
			{
				int16_t *link;

				for (link = &m->node[nd->parent].first; *link != i;
				     link = &m->node[*link].next)
					;
				*link = j;
				m->node[j].next = i;
			}
			dsc(r, " [swap %#x]", nd->type);
		}
	}
}

/* Byte-level damage to the serialized request; returns its new length. */
static size_t garble(struct fz_req *r, unsigned char *buf, size_t len,
		     const uint32_t *offs, int noffs)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	const size_t head = NLMSG_HDRLEN + sizeof(struct ifinfomsg);
	struct nlattr *a;
	size_t pos;
	int k;

	r->garbled = true;
	switch (rn(3)) {
	case 0:
		/* Whatever is cut, the header must cover what is sent. */
		len = NLMSG_HDRLEN + rn(len - NLMSG_HDRLEN);
		nlh->nlmsg_len = len;
		dsc(r, " [truncated to %zu]", len);
		break;
	case 1:
		if (!noffs)
			break;
		a = (struct nlattr *)(buf + offs[rn(noffs)]);
		a->nla_len = PICK(((const uint16_t[]){ 0, 1, 3, 4, 5, 0xffff })) +
			     (pct(30) ? a->nla_len : 0);
		dsc(r, " [nla_len at %zu = %u]", (size_t)((unsigned char *)a - buf),
		    a->nla_len);
		break;
	default:
		if (len <= head)
			break;
		for (k = 1 + rn(4); k > 0; k--) {
			pos = head + rn(len - head);
			buf[pos] ^= 1 << rn(8);
			dsc(r, " [bit flip at %zu]", pos);
		}
	}
	return len;
}

/* What the final tree says, as rtnetlink will read it. */
static void classify(struct fz_req *r)
{
	const struct fz_msg *m = &r->m;
	const unsigned char *p;
	bool ok;
	int i, t;

	r->ifindex = m->ifm.ifi_index;
	/* rtnl_dev_get(): the name, else an alternative name. */
	i = msg_find_top(m, IFLA_IFNAME);
	if (i < 0) {
		i = msg_find_top(m, IFLA_ALT_IFNAME);
		r->has_alt = i >= 0;
	}
	r->has_name = i >= 0;
	if (i >= 0) {
		p = m->bytes + m->node[i].off;
		t = strnlen((const char *)p, m->node[i].len);
		/* NLA_STRING, IFNAMSIZ - 1: one trailing NUL is not counted. */
		r->name_ok = m->node[i].first < 0 && m->node[i].len > 0 &&
			     m->node[i].len - (p[m->node[i].len - 1] == '\0') < IFNAMSIZ;
		if (r->name_ok) {
			memcpy(r->name, p, t);
			r->name[t] = '\0';
		}
	}
	i = msg_find_top(m, IFLA_TARGET_NETNSID);
	r->tnsid = node_u32(m, i, &ok);
	r->has_tnsid = ok;
	/*
	 * Pure: changelink() is all it can do. rtnetlink fails a request
	 * after a successful changelink() for IFLA_INFO_SLAVE_DATA without a
	 * master, and do_setlink() goes on with what else it holds.
	 */
	r->pure = m->type == RTM_NEWLINK && !m->ifm.ifi_flags && !m->ifm.ifi_change;
	for (i = m->node[0].first; i >= 0; i = m->node[i].next) {
		t = m->node[i].type & NLA_TYPE_MASK;
		if (t == IFLA_LINKINFO || (t == IFLA_IFNAME && r->ifindex <= 0))
			continue;
		r->pure = false;
	}
	i = msg_find_top(m, IFLA_LINKINFO);
	for (i = i >= 0 ? m->node[i].first : -1; i >= 0; i = m->node[i].next) {
		t = m->node[i].type & NLA_TYPE_MASK;
		if (t != IFLA_INFO_KIND && t != IFLA_INFO_DATA)
			r->pure = false;
	}
	i = msg_find_top(m, IFLA_GROUP);
	r->group = node_u32(m, i, &ok);
	r->group_del = m->type == RTM_DELLINK && r->ifindex <= 0 && !r->has_name &&
		       !r->has_alt && ok;
}

/* --- sending --- */

static unsigned char txbuf[FZ_BUF];

/* A step that is not a request, in the history. */
static void __attribute__((format(printf, 1, 2))) h_note(const char *fmt, ...)
{
	struct fz_hist *h = &hist[nhist++ % opt.history];
	va_list ap;

	h->req = st.req;
	h->step = st.steps;
	va_start(ap, fmt);
	vsnprintf(h->desc, sizeof(h->desc), fmt, ap);
	va_end(ap);
	h->len = 0;
	h->err = 0;
	h->ext[0] = '\0';
}

static void send_req(struct fz_req *r)
{
	uint32_t offs[FZ_MAX_NODES], seq = ++seq_no;
	struct fz_hist *h;
	struct nlmsghdr *nlh;
	int noffs;
	size_t len;

	nlh = msg_build(&r->m, txbuf, seq, offs, &noffs);
	len = nlh->nlmsg_len;
	if (pct(r->op == OP_RANDOM ? 10 : 5))
		len = garble(r, txbuf, len, offs, noffs);
	st.req++;
	st.mutated += r->mutated;
	st.garbled += r->garbled;

	h = &hist[nhist++ % opt.history];
	h->req = st.req;
	h->step = st.steps;
	snprintf(h->desc, sizeof(h->desc), "%s", r->desc);
	h->len = len;
	memcpy(h->bytes, txbuf, len < FZ_HIST_BYTES ? len : FZ_HIST_BYTES);
	h->err = 0;
	h->ext[0] = '\0';

	if (opt.dry_run) {
		printf("request %lu: %s\n", st.req, r->desc);
		if (opt.hex)
			print_hex(txbuf, len, len);
		r->err = 0;
		return;
	}
	r->err = nl_talk(r->sock, txbuf, len, seq, r->ext);
	h->err = r->err;
	snprintf(h->ext, sizeof(h->ext), "%s", r->ext);
	if (r->err) {
		st.refused++;
	} else {
		st.ok++;
		st.op_ok[r->op]++;
	}
	if (opt.verbose) {
		printf("request %lu (step %lu): %s -> %s%s%s\n", st.req, st.steps,
		       r->desc, r->err ? strerror(r->err) : "ok",
		       r->ext[0] ? ": " : "", r->ext);
		if (opt.hex)
			print_hex(txbuf, len, len);
		fflush(stdout);
	}
}

/* ------------------------------------------------------------------------ */
/* Checks */

/* Everything but the driver's policies and program lists. */
static const char *link_diff(const struct fz_link *a, const struct fz_link *b,
			     bool with_progs)
{
	int d;

	if (strcmp(a->name, b->name))
		return "name";
	if (a->meta != b->meta)
		return "kind";
	if (a->mtu != b->mtu)
		return "mtu";
	if (a->group != b->group)
		return "group";
	if (a->up != b->up)
		return "IFF_UP";
	if (a->addr_len != b->addr_len || memcmp(a->addr, b->addr, a->addr_len))
		return "address";
	if (a->link != b->link)
		return "IFLA_LINK";
	if (a->has_link_nsid != b->has_link_nsid || a->link_nsid != b->link_nsid)
		return "IFLA_LINK_NETNSID";
	for (d = 1; d <= IFLA_META_MAX; d++) {
		/* Program lists are there only when not empty. */
		if (d == IFLA_META_PRIMARY_PROGS || d == IFLA_META_PEER_PROGS)
			continue;
		if (a->has[d] != b->has[d])
			return "the set of meta attributes";
		if (!with_progs && (d == IFLA_META_POLICY || d == IFLA_META_PEER_POLICY))
			continue;
		if (a->v[d] != b->v[d])
			return "a meta attribute";
	}
	if (!with_progs)
		return NULL;
	for (d = 0; d < 2; d++)
		if (a->rev[d] != b->rev[d])
			return "a program list's revision";
	for (d = 0; d < 2; d++)
		if (a->nprogs[d] != b->nprogs[d] ||
		    memcmp(a->progs[d], b->progs[d], a->nprogs[d] * sizeof(uint32_t)))
			return "the program list";
	return NULL;
}

/*
 * @post equals @pre but for the links marked in @skip_pre / @skip_post.
 * Returns what differs, or NULL.
 */
static const char *snap_same(const struct fz_snap *pre, const struct fz_snap *post,
			     const bool *skip_pre, const bool *skip_post,
			     bool with_progs, char *why, size_t size)
{
	const char *what;
	int i, j;

	for (i = 0; i < pre->n; i++) {
		if (skip_pre && skip_pre[i])
			continue;
		j = snap_find(post, pre->l[i].ns, pre->l[i].ifindex);
		if (j < 0) {
			snprintf(why, size, "ns%d %s (ifindex %d) disappeared",
				 pre->l[i].ns, pre->l[i].name, pre->l[i].ifindex);
			return why;
		}
		what = link_diff(&pre->l[i], &post->l[j], with_progs);
		if (what) {
			snprintf(why, size, "ns%d %s (ifindex %d) changed: %s",
				 pre->l[i].ns, pre->l[i].name, pre->l[i].ifindex, what);
			return why;
		}
	}
	for (j = 0; j < post->n; j++) {
		if (skip_post && skip_post[j])
			continue;
		if (snap_find(pre, post->l[j].ns, post->l[j].ifindex) < 0) {
			snprintf(why, size, "ns%d %s (ifindex %d) appeared",
				 post->l[j].ns, post->l[j].name, post->l[j].ifindex);
			return why;
		}
	}
	return NULL;
}

/* The invariants every state must satisfy. */
static void check_structure(const struct fz_snap *s)
{
	static const int same[] = {
		IFLA_META_MODE, IFLA_META_HEADROOM, IFLA_META_TAILROOM,
		IFLA_META_POLICY, IFLA_META_PEER_POLICY, IFLA_META_SCRUB,
		IFLA_META_PEER_SCRUB,
	};
	const struct fz_link *l, *p;
	int i, j, k, d, ps;
	size_t a;

	for (i = 0; i < s->n; i++) {
		l = &s->l[i];
		if (!l->meta)
			continue;
#define WHO "ns%d %s (ifindex %d): "
#define WHAT l->ns, l->name, l->ifindex
		if (l->bad[0])
			violation(WHO "malformed meta attributes in the dump: %s", WHAT, l->bad);
		for (a = 0; a < sizeof(same) / sizeof(same[0]); a++)
			if (!l->has[same[a]])
				violation(WHO "no attribute %d in the dump", WHAT, same[a]);
		if (!l->has[IFLA_META_PRIMARY] || l->v[IFLA_META_PRIMARY] > 1)
			violation(WHO "IFLA_META_PRIMARY missing or not 0/1", WHAT);
		if (l->link <= 0)
			violation(WHO "no peer (IFLA_LINK %d)", WHAT, l->link);
		ps = peer_slot(l);
		if (ps < 0)
			violation(WHO "the peer is outside nl_fuzz's namespaces (IFLA_LINK_NETNSID %d)",
				  WHAT, l->link_nsid);
		j = snap_find(s, ps, l->link);
		if (j < 0)
			violation(WHO "peer ifindex %d in ns%d missing", WHAT, l->link, ps);
		p = &s->l[j];
		if (!p->meta)
			violation(WHO "peer ns%d %s is not a meta device", WHAT, ps, p->name);
		if (p->link != l->ifindex || peer_slot(p) != l->ns)
			violation(WHO "peer ns%d %s does not point back (it names ifindex %d in ns%d)",
				  WHAT, ps, p->name, p->link, peer_slot(p));
		if (l->v[IFLA_META_PRIMARY] + p->v[IFLA_META_PRIMARY] != 1)
			violation(WHO "it and its peer ns%d %s are %s primary", WHAT, ps,
				  p->name, l->v[IFLA_META_PRIMARY] ? "both" : "neither");
		for (a = 0; a < sizeof(same) / sizeof(same[0]); a++)
			if (l->v[same[a]] != p->v[same[a]])
				violation(WHO "the ends disagree on attribute %d (%u, peer %u)",
					  WHAT, same[a], l->v[same[a]], p->v[same[a]]);
		if (l->v[IFLA_META_MODE] > META_MODE_L2 ||
		    l->v[IFLA_META_SCRUB] > META_SCRUB_DEFAULT ||
		    l->v[IFLA_META_PEER_SCRUB] > META_SCRUB_DEFAULT ||
		    l->v[IFLA_META_HEADROOM] > META_ROOM_MAX ||
		    l->v[IFLA_META_TAILROOM] > META_ROOM_MAX ||
		    (l->v[IFLA_META_POLICY] != META_POLICY_FORWARD &&
		     l->v[IFLA_META_POLICY] != META_POLICY_BLACKHOLE) ||
		    (l->v[IFLA_META_PEER_POLICY] != META_POLICY_FORWARD &&
		     l->v[IFLA_META_PEER_POLICY] != META_POLICY_BLACKHOLE))
			violation(WHO "an attribute out of range", WHAT);
		if (!l->v[IFLA_META_PRIMARY] &&
		    (l->has[IFLA_META_PRIMARY_PROGS] || l->has[IFLA_META_PEER_PROGS]))
			violation(WHO "the peer end shows program lists", WHAT);
		if (!l->v[IFLA_META_PRIMARY] &&
		    (l->has[IFLA_META_PRIMARY_REVISION] || l->has[IFLA_META_PEER_REVISION]))
			violation(WHO "the peer end shows revisions", WHAT);
		if (l->v[IFLA_META_PRIMARY] && !l->rev[META_PROG_DIR_PRIMARY])
			violation(WHO "the primary shows no revision", WHAT);
		for (d = 0; d < 2 && !l->foreign; d++) {
			for (k = 0; k < l->nprogs[d]; k++) {
				if (!prog_ours(l->progs[d][k]))
					violation(WHO "program %u, not one of ours, is attached",
						  WHAT, l->progs[d][k]);
				if (l->progs[d][k] == sockfilter.id)
					violation(WHO "the SOCKET_FILTER program is attached",
						  WHAT);
				for (j = 0; j < k; j++)
					if (l->progs[d][j] == l->progs[d][k])
						violation(WHO "program %u attached twice in direction %d",
							  WHAT, l->progs[d][k], d);
			}
		}
#undef WHO
#undef WHAT
	}
}

/*
 * The links @r may have named in @s, looked up as rtnetlink does: by
 * ifindex, else by name, in the socket's namespace (and in the one of
 * IFLA_TARGET_NETNSID, which kernels handle differently).
 */
static int resolve(const struct fz_snap *s, const struct fz_req *r, int *out)
{
	int slots[2] = { r->sock, -1 }, i, j, n = 0;

	if (r->has_tnsid)
		slots[1] = slot_of_nsid(r->sock, r->tnsid);
	for (i = 0; i < 2; i++) {
		if (slots[i] < 0)
			continue;
		j = r->ifindex > 0 ? snap_find(s, slots[i], r->ifindex) :
		    r->name_ok ? snap_find_name(s, slots[i], r->name) : -1;
		if (j >= 0 && (!n || out[0] != j))
			out[n++] = j;
	}
	return n;
}

/* A NEWLINK without a device and without CREATE changes a whole group. */
static bool group_change(const struct fz_req *r)
{
	return r->m.type == RTM_NEWLINK && !(r->m.flags & NLM_F_CREATE) &&
	       r->ifindex <= 0 && !r->has_name && msg_find_top(&r->m, IFLA_GROUP) >= 0;
}

/* A NEWLINK that can only create: nothing it could name exists. */
static bool create_attempt(const struct fz_req *r, const struct fz_snap *pre)
{
	if (r->m.type != RTM_NEWLINK || r->garbled || r->has_alt || group_change(r))
		return false;
	if (r->ifindex > 0)
		return !index_anywhere(pre, r->ifindex);
	if (r->has_name)
		return r->name_ok && !name_anywhere(pre, r->name);
	return true;
}

static const char *errstr(const struct fz_req *r, char *buf, size_t size)
{
	if (!r->err)
		return "accepted";
	snprintf(buf, size, "refused (%s%s%s)", strerror(r->err),
		 r->ext[0] ? ": " : "", r->ext);
	return buf;
}

/* Marks in @skip the links of @s in slot @slot and their peers. */
static void mark_slot_pairs(const struct fz_snap *s, int slot, bool *skip)
{
	int i, p;

	for (i = 0; i < s->n; i++) {
		if (s->l[i].ns != slot)
			continue;
		skip[i] = true;
		if (s->l[i].meta && (p = snap_peer(s, &s->l[i])) >= 0)
			skip[p] = true;
	}
}

/* Links in @b that @a does not have (by slot and ifindex). */
static int snap_new(const struct fz_snap *a, const struct fz_snap *b, bool *mark)
{
	int j, n = 0;

	for (j = 0; j < b->n; j++) {
		mark[j] = snap_find(a, b->l[j].ns, b->l[j].ifindex) < 0;
		n += mark[j];
	}
	return n;
}

/* Every device accounted for; refused requests change nothing. */
static void check_transition(const struct fz_req *r, const struct fz_snap *pre,
			     const struct fz_snap *post)
{
	static bool skip_pre[FZ_MAX_LINKS], skip_post[FZ_MAX_LINKS];
	int before = snap_pairs(pre), after = snap_pairs(post), d = after - before;
	int cand[2], n, i;
	char why[256], eb[256];
	const char *what;

	switch (r->m.type) {
	case RTM_NEWLINK:
		if (d && (r->err || d != 1))
			violation("%s, and the pairs went from %d to %d: not accounted for",
				  errstr(r, eb, sizeof(eb)), before, after);
		if (d && !(r->m.flags & NLM_F_CREATE))
			violation("a pair appeared without NLM_F_CREATE: not accounted for");
		break;
	case RTM_DELLINK:
		/* A deletion by group takes any number of pairs; else one. */
		if (r->err ? d != 0 : (r->group_del || r->garbled) ? d > 0 : d != -1)
			violation("deletion %s, and the pairs went from %d to %d: not accounted for",
				  errstr(r, eb, sizeof(eb)), before, after);
		break;
	default:
		if (d)
			violation("RTM_SETLINK %s, and the pairs went from %d to %d: not accounted for",
				  errstr(r, eb, sizeof(eb)), before, after);
	}

	memset(skip_pre, 0, sizeof(skip_pre));
	memset(skip_post, 0, sizeof(skip_post));
	if (r->err) {
		/* Refused: a deletion, creation or pure change touches nothing. */
		if (r->m.type == RTM_DELLINK || create_attempt(r, pre) ||
		    (r->pure && !r->garbled)) {
			what = snap_same(pre, post, NULL, NULL, true, why, sizeof(why));
			if (what)
				violation("%s, yet %s: not accounted for",
					  errstr(r, eb, sizeof(eb)), what);
		}
		return;
	}
	if (d == 1) {
		/* A creation: two new meta devices, nothing else changed. */
		n = snap_new(pre, post, skip_post);
		for (i = 0; i < post->n; i++)
			if (skip_post[i] && !post->l[i].meta)
				violation("creation added ns%d %s, which is not meta",
					  post->l[i].ns, post->l[i].name);
		if (n != 2)
			violation("creation added %d devices, not 2: not accounted for", n);
		what = snap_same(pre, post, NULL, skip_post, true, why, sizeof(why));
		if (what)
			violation("a creation also changed something else: %s", what);
		return;
	}
	if (r->m.type == RTM_DELLINK && !r->garbled && !r->group_del) {
		/* Exactly the pair of the device named is gone. */
		n = resolve(pre, r, cand);
		for (i = 0; i < n; i++) {
			memset(skip_pre, 0, sizeof(skip_pre));
			skip_pre[cand[i]] = true;
			if (pre->l[cand[i]].meta && snap_peer(pre, &pre->l[cand[i]]) >= 0)
				skip_pre[snap_peer(pre, &pre->l[cand[i]])] = true;
			if (!snap_same(pre, post, skip_pre, NULL, true, why, sizeof(why)))
				return;
		}
		violation("deletion accepted, but what went away is not the pair it named%s%s",
			  n ? ": " : " (it named nothing nl_fuzz knows)", n ? why : "");
	}
	if (r->pure && !r->garbled && r->m.type == RTM_NEWLINK) {
		what = snap_same(pre, post, NULL, NULL, false, why, sizeof(why));
		if (what)
			violation("a change of meta attributes changed the device itself: %s", what);
	}
}

/* Did the policies, program lists or revisions of primary @a change? */
static bool control_changed(const struct fz_link *a, const struct fz_link *b)
{
	int d;

	if (a->v[IFLA_META_POLICY] != b->v[IFLA_META_POLICY] ||
	    a->v[IFLA_META_PEER_POLICY] != b->v[IFLA_META_PEER_POLICY])
		return true;
	for (d = 0; d < 2; d++)
		if (a->rev[d] != b->rev[d] || a->nprogs[d] != b->nprogs[d] ||
		    memcmp(a->progs[d], b->progs[d], a->nprogs[d] * sizeof(uint32_t)))
			return true;
	return false;
}

/* Programs and policies change only through the primary the request named. */
static void check_confinement(const struct fz_req *r, const struct fz_snap *pre,
			      const struct fz_snap *post)
{
	const struct fz_link *a, *b;
	int i, j, k, n, cand[2], peer;
	bool named;

	for (i = 0; i < pre->n; i++) {
		a = &pre->l[i];
		if (!a->meta || a->v[IFLA_META_PRIMARY] != 1)
			continue;
		j = snap_find(post, a->ns, a->ifindex);
		if (j < 0)
			continue;
		b = &post->l[j];
		if (!b->meta || b->v[IFLA_META_PRIMARY] != 1)
			continue;
		if (!control_changed(a, b))
			continue;
		if (r->m.type != RTM_NEWLINK)
			violation("%s changed the policy, programs or revision of ns%d %s",
				  r->m.type == RTM_SETLINK ? "RTM_SETLINK" : "RTM_DELLINK",
				  a->ns, a->name);
		if (r->garbled)
			continue;
		n = resolve(pre, r, cand);
		peer = snap_peer(pre, a);
		named = false;
		for (k = 0; k < n; k++)
			named |= cand[k] == i;
		if (named)
			continue;
		for (k = 0; k < n; k++)
			if (cand[k] == peer)
				violation("the policy, programs or revision of ns%d %s changed through its peer end",
					  a->ns, a->name);
		violation("the policy, programs or revision of ns%d %s changed by a request that did not name it",
			  a->ns, a->name);
	}
}

/* --- what the ABI promises for requests built without mutation --- */

/*
 * IFLA_META_PROG_ATTACH on primary @t: NULL and the list it must leave in
 * @list/@n, or why it must be refused.
 */
static const char *expect_attach(const struct fz_req *r, const struct fz_link *t,
				 uint32_t *list, int *n)
{
	const uint32_t where = META_PROG_F_BEFORE | META_PROG_F_AFTER | META_PROG_F_REPLACE;
	uint32_t flags = r->phas[IFLA_META_PROG_FLAGS] ? r->pval[IFLA_META_PROG_FLAGS] : 0;
	uint32_t dir = r->pval[IFLA_META_PROG_DIR], rel = r->pval[IFLA_META_PROG_RELATIVE_ID];
	bool has_rel = r->phas[IFLA_META_PROG_RELATIVE_ID];
	int cnt, pos, at = -1, i;

	if (!r->nested)
		return "a nest without NLA_F_NESTED";
	if (r->phas[IFLA_META_PROG_ID])
		return "a program id in an attach";
	if (!r->phas[IFLA_META_PROG_DIR] || dir > META_PROG_DIR_PEER)
		return "no valid direction";
	if (has_rel && !rel)
		return "relative id 0";
	if (r->phas[IFLA_META_PROG_EXPECTED_REVISION] && r->exp_rev != t->rev[dir])
		return "an expected revision that is not the current one";
	if (!r->phas[IFLA_META_PROG_FD])
		return "no program fd";
	if (flags & ~where)
		return "unknown attach flags";
	if (__builtin_popcount(flags) > 1)
		return "before, after and replace together";
	if (has_rel && !flags)
		return "a relative id without before/after/replace";
	if ((flags & META_PROG_F_REPLACE) && !has_rel)
		return "replace without a relative id";
	cnt = t->nprogs[dir];
	if (has_rel && (at = prog_index(t, dir, rel)) < 0)
		return "a relative id not attached in this direction";
	if (r->fdkind != FD_GOOD)
		return "an fd that is not a SCHED_CLS program";
	if (prog_index(t, dir, r->prog_id) >= 0)
		return "a program already attached in this direction";
	if (!(flags & META_PROG_F_REPLACE) && cnt >= META_PROG_MAX)
		return "a full program list";
	pos = flags & META_PROG_F_BEFORE ? (at < 0 ? 0 : at) :
	      flags & META_PROG_F_AFTER ? (at < 0 ? cnt : at + 1) :
	      flags & META_PROG_F_REPLACE ? at : cnt;
	*n = 0;
	for (i = 0; i < pos; i++)
		list[(*n)++] = t->progs[dir][i];
	list[(*n)++] = r->prog_id;
	if (flags & META_PROG_F_REPLACE)
		pos++;
	for (i = pos; i < cnt; i++)
		list[(*n)++] = t->progs[dir][i];
	return NULL;
}

static const char *expect_detach(const struct fz_req *r, const struct fz_link *t,
				 uint32_t *list, int *n)
{
	uint32_t flags = r->phas[IFLA_META_PROG_FLAGS] ? r->pval[IFLA_META_PROG_FLAGS] : 0;
	uint32_t dir = r->pval[IFLA_META_PROG_DIR], id = r->pval[IFLA_META_PROG_ID];
	bool has_id = r->phas[IFLA_META_PROG_ID];
	int at, i;

	if (!r->nested)
		return "a nest without NLA_F_NESTED";
	if (r->phas[IFLA_META_PROG_FD] || r->phas[IFLA_META_PROG_RELATIVE_ID])
		return "an fd or relative id in a detach";
	if (!r->phas[IFLA_META_PROG_DIR] || dir > META_PROG_DIR_PEER)
		return "no valid direction";
	if (has_id && !id)
		return "program id 0";
	if (r->phas[IFLA_META_PROG_EXPECTED_REVISION] && r->exp_rev != t->rev[dir])
		return "an expected revision that is not the current one";
	if (flags & ~META_PROG_F_ALL)
		return "unknown detach flags";
	if (has_id == !!(flags & META_PROG_F_ALL))
		return "neither or both of a program id and the all flag";
	*n = 0;
	if (flags & META_PROG_F_ALL)
		return NULL;
	at = prog_index(t, dir, id);
	if (at < 0)
		return "a program id not attached in this direction";
	for (i = 0; i < t->nprogs[dir]; i++)
		if (i != at)
			list[(*n)++] = t->progs[dir][i];
	return NULL;
}

/* @why must make the kernel refuse @r; meta's refusals say why (@msg). */
static void expect_refused(const struct fz_req *r, const char *why, bool msg)
{
	if (!r->err)
		violation("accepted, although it has %s", why);
	if (msg && !r->ext[0])
		violation("refused (%s) without an extack message; it has %s",
			  strerror(r->err), why);
	st.expected++;
}

static void expect_accepted(const struct fz_req *r)
{
	if (r->err)
		violation("refused (%s%s%s), although valid by the ABI", strerror(r->err),
			  r->ext[0] ? ": " : "", r->ext);
}

static void check_created(const struct fz_req *r, const struct fz_snap *pre,
			  const struct fz_snap *post)
{
	static const uint32_t dflt[IFLA_META_MAX + 1] = {
		[IFLA_META_SCRUB] = META_SCRUB_DEFAULT,
		[IFLA_META_PEER_SCRUB] = META_SCRUB_DEFAULT,
	};
	static bool fresh[FZ_MAX_LINKS];
	const struct fz_link *prim = NULL, *peer = NULL;
	int i, t;

	if (snap_new(pre, post, fresh) != 2)
		return;		/* it changed an existing device */
	for (i = 0; i < post->n; i++)
		if (fresh[i]) {
			if (post->l[i].v[IFLA_META_PRIMARY])
				prim = &post->l[i];
			else
				peer = &post->l[i];
		}
	if (!prim || !peer)
		return;		/* check_structure() said why */
	for (t = IFLA_META_MODE; t <= IFLA_META_TAILROOM; t++)
		if (prim->v[t] != (r->cset[t] ? r->cval[t] : dflt[t]))
			violation("created ns%d %s with attribute %d = %u, asked for %u",
				  prim->ns, prim->name, t, prim->v[t],
				  r->cset[t] ? r->cval[t] : dflt[t]);
	if (r->name_ok && r->name[0] && !strchr(r->name, '%') && strcmp(prim->name, r->name))
		violation("created the primary as %s, asked for %s", prim->name, r->name);
	if (r->peer_name_set && strcmp(peer->name, r->peer_name))
		violation("created the peer as %s, asked for %s", peer->name, r->peer_name);
	if (r->prim_slot >= 0 && prim->ns != r->prim_slot)
		violation("created the primary in ns%d, asked for ns%d", prim->ns, r->prim_slot);
	if (r->peer_slot >= 0 && peer->ns != r->peer_slot)
		violation("created the peer in ns%d, asked for ns%d", peer->ns, r->peer_slot);
	if (prim->nprogs[0] || prim->nprogs[1])
		violation("a new pair has programs");
	if (prim->rev[0] != 1 || prim->rev[1] != 1)
		violation("a new pair's revisions are %llu/%llu, not 1/1",
			  (unsigned long long)prim->rev[0], (unsigned long long)prim->rev[1]);
	st.created++;
}

/* Attach, detach, policy change: the outcome and the lists they leave. */
static void check_control(const struct fz_req *r, const struct fz_snap *pre,
			  const struct fz_snap *post)
{
	uint32_t list[META_PROG_MAX + 1];
	const struct fz_link *t, *after;
	const char *why = NULL;
	int cand[2], n, dir, cnt = 0, i;

	n = resolve(pre, r, cand);
	t = n ? &pre->l[cand[0]] : NULL;
	if (!t)
		why = "no device of that name or index in the namespace";
	else if (!t->meta)
		why = "a device that is not meta";
	else if (!t->v[IFLA_META_PRIMARY])
		why = "the peer end as its target";
	else if (r->op == OP_ATTACH)
		why = expect_attach(r, t, list, &cnt);
	else if (r->op == OP_DETACH)
		why = expect_detach(r, t, list, &cnt);
	if (why) {
		expect_refused(r, why, t && t->meta);
		return;
	}
	expect_accepted(r);
	i = snap_find(post, t->ns, t->ifindex);
	if (i < 0)
		violation("ns%d %s is gone after a change", t->ns, t->name);
	after = &post->l[i];
	if (r->op == OP_CHANGE) {
		for (i = 0; i < 2; i++) {
			int a = i ? IFLA_META_PEER_POLICY : IFLA_META_POLICY;

			if (after->v[a] != (r->pol_set[i] ? r->pol[i] : t->v[a]))
				violation("ns%d %s: %s is %u after the change, expected %u",
					  t->ns, t->name, i ? "peer policy" : "policy",
					  after->v[a], r->pol_set[i] ? r->pol[i] : t->v[a]);
		}
		st.changed++;
		return;
	}
	dir = r->pval[IFLA_META_PROG_DIR];
	if (after->nprogs[dir] != cnt ||
	    memcmp(after->progs[dir], list, cnt * sizeof(uint32_t)) ||
	    after->nprogs[!dir] != t->nprogs[!dir] ||
	    memcmp(after->progs[!dir], t->progs[!dir], t->nprogs[!dir] * sizeof(uint32_t))) {
		printf("nl_fuzz: expected direction %d:", dir);
		for (i = 0; i < cnt; i++)
			printf(" %u", list[i]);
		printf("\n");
		violation("ns%d %s: the program lists after the %s are not what the ABI says",
			  t->ns, t->name, r->op == OP_ATTACH ? "attach" : "detach");
	}
	/* Every change bumps its direction's revision once; no change, none. */
	if (after->rev[dir] != t->rev[dir] + (r->op == OP_ATTACH || t->nprogs[dir]) ||
	    after->rev[!dir] != t->rev[!dir])
		violation("ns%d %s: revisions %llu/%llu after the %s, were %llu/%llu",
			  t->ns, t->name, (unsigned long long)after->rev[0],
			  (unsigned long long)after->rev[1],
			  r->op == OP_ATTACH ? "attach" : "detach",
			  (unsigned long long)t->rev[0], (unsigned long long)t->rev[1]);
	if (r->op == OP_ATTACH)
		st.attached++;
	else
		st.detached++;
}

static void check_deleted(const struct fz_req *r, const struct fz_snap *pre)
{
	int cand[2], n, i;
	bool found = false;

	if (r->has_tnsid)
		return;		/* kernels disagree on where it looks */
	if (r->group_del) {
		for (i = 0; i < pre->n; i++) {
			if (pre->l[i].ns != r->sock || pre->l[i].group != r->group)
				continue;
			if (!pre->l[i].meta) {
				expect_refused(r, "a group with a device that has no dellink", false);
				return;
			}
			found = true;
		}
		if (!r->group)
			expect_refused(r, "group 0", false);
		else if (!found)
			expect_refused(r, "a group without devices", false);
		else
			expect_accepted(r);
		if (!r->err)
			st.deleted++;
		return;
	}
	n = resolve(pre, r, cand);
	if (!n)
		expect_refused(r, "no device of that name or index in the namespace", false);
	else if (!pre->l[cand[0]].meta)
		expect_refused(r, "a device that is not meta", false);
	else
		expect_accepted(r);
	if (!r->err)
		st.deleted++;
}

static void check_expect(const struct fz_req *r, const struct fz_snap *pre,
			 const struct fz_snap *post)
{
	const struct fz_link *t;
	int cand[2], n;
	bool msg;

	if (r->mutated || r->garbled || r->wild)
		return;
	/*
	 * The core looks at the rest of the request and whether the device
	 * exists (NLM_F_EXCL, ENODEV) first, without always saying why it
	 * refuses: demand a message only when there is nothing else in the
	 * request, nothing else wrong with it, and it reaches meta.
	 */
	n = resolve(pre, r, cand);
	msg = !r->core_reason && r->pure &&
	      (r->op == OP_CREATE ? create_attempt(r, pre) : n == 1 && pre->l[cand[0]].meta);
	if (r->must_fail) {
		expect_refused(r, r->must_fail, msg && r->meta_reason);
		return;
	}
	if (r->must_fail_create && create_attempt(r, pre)) {
		expect_refused(r, r->must_fail_create, msg && !r->core_create_reason);
		return;
	}
	switch (r->op) {
	case OP_CREATE:
		if (!r->err)
			check_created(r, pre, post);
		break;
	case OP_CHANGE:
	case OP_ATTACH:
	case OP_DETACH:
		check_control(r, pre, post);
		break;
	case OP_DELLINK:
		check_deleted(r, pre);
		break;
	case OP_SETLINK:
		if (r->mac_kind < 0 || group_change(r))
			break;
		n = resolve(pre, r, cand);
		if (n != 1) {
			if (r->mac_kind == MAC_SHORT)
				expect_refused(r, "a MAC address too short", false);
			break;
		}
		/* Setting the address a device has is a no-op since 5.x. */
		t = &pre->l[cand[0]];
		if (t->addr_len && (int)r->mac_len >= t->addr_len &&
		    !memcmp(r->mac, t->addr, t->addr_len))
			break;
		if (r->mac_kind == MAC_BAD || r->mac_kind == MAC_SHORT)
			expect_refused(r, "an invalid MAC address", false);
		else if (t->meta && t->v[IFLA_META_MODE] == META_MODE_L3)
			expect_refused(r, "a MAC address for an l3 device", false);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Steps that are not requests */

static void do_load(void)
{
	int i;

	for (i = 0; i < FZ_CHURN; i++)
		if (churn[i].fd < 0)
			break;
	if (i == FZ_CHURN || opt.dry_run)
		return;
	churn[i].fd = prog_load(BPF_PROG_TYPE_SCHED_CLS, &churn[i].id);
	if (churn[i].fd < 0)
		die("loading a SCHED_CLS program: %s", strerror(errno));
	ours_add(churn[i].id);
	h_note("load churn%d: program %u", i, churn[i].id);
	st.loads++;
}

/* Close a churn program: gone once nothing holds it, its id stale then. */
static void do_close(void)
{
	int i, n = 0, open[FZ_CHURN];

	for (i = 0; i < FZ_CHURN; i++)
		if (churn[i].fd >= 0)
			open[n++] = i;
	if (!n || opt.dry_run)
		return;
	i = open[rn(n)];
	close(churn[i].fd);
	churn[i].fd = -1;
	stale_add(churn[i].id);
	h_note("close churn%d: program %u", i, churn[i].id);
	st.closes++;
}

/* GETNSID by id, from slot @view: does that namespace still exist? */
static bool nsid_alive(int view, int id)
{
	char buf[128];
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	uint32_t seq;
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq = ++seq_no;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_NSID, id);
	if (mnl_socket_sendto(ns[view].nl, nlh, nlh->nlmsg_len) < 0)
		die("RTM_GETNSID: %s", strerror(errno));
	n = mnl_socket_recvfrom(ns[view].nl, rxbuf, sizeof(rxbuf));
	if (n < 0)
		die("RTM_GETNSID: %s", strerror(errno));
	return mnl_cb_run(rxbuf, n, seq, ns[view].portid, NULL, NULL) >= 0;
}

/* Do the links of @s all have their peers where nl_fuzz can see them? */
static bool peers_known(const struct fz_snap *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].meta && peer_slot(&s->l[i]) < 0)
			return false;
	return true;
}

/*
 * Delete a namespace we created (with whatever pairs have an end in it)
 * by dropping every reference to it; wait until the kernel has cleaned it
 * up, check that exactly those pairs went, then create a fresh one.
 */
static void do_reap(void)
{
	static bool skip_pre[FZ_MAX_LINKS];
	int s, view, id, i, k;
	char why[256];
	double t0;

	if (opt.dry_run || nns < 2)
		return;
	s = 1 + rn(nns - 1);
	view = 0;
	if (opt.no_home) {
		if (nns < 3)
			return;
		view = s == 1 ? 2 : 1;
	}
	id = ns[view].nsid[s];
	memset(skip_pre, 0, sizeof(skip_pre));
	mark_slot_pairs(cur, s, skip_pre);
	for (i = k = 0; i < cur->n; i++)
		k += skip_pre[i] && cur->l[i].meta;
	if (opt.verbose)
		printf("step %lu: reap ns%d (%d meta devices go with it)\n", st.steps, s, k);
	h_note("reap ns%d", s);

	ns_release(s);
	for (i = 0; i < nns; i++)
		ns[i].nsid[s] = ns[s].nsid[i] = -1;
	t0 = now();
	for (;;) {
		snapshot(seen);
		if (!nsid_alive(view, id) && peers_known(seen))
			break;
		if (now() - t0 > opt.settle)
			violation("ns%d was released %lu s ago and %s", s, opt.settle,
				  nsid_alive(view, id) ? "still exists: something holds a reference" :
				  "devices still have their peer in it");
		usleep(20000);
	}
	kmsg_check();
	check_structure(seen);
	if (snap_same(cur, seen, skip_pre, NULL, true, why, sizeof(why)))
		violation("deleting ns%d: %s", s, why);
	st.reaped++;

	ns_create(s);
	nsids_setup();
	snapshot(cur);
	check_structure(cur);
}

/* ------------------------------------------------------------------------ */
/* The periodic checks: ip and jq, BPF programs */

/*
 * Run @argv in slot @s: @in on its stdin, its stdout (or, with @err, its
 * stderr) into @out (malloc'ed, NUL-terminated). Returns the wait status.
 */
static int run_in(int s, char *const argv[], const char *in, size_t inlen,
		  bool err, char **out)
{
	int pin[2], pout[2], status;
	size_t len = 0, cap = 4096;
	ssize_t n;
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (setns(ns[s].fd, CLONE_NEWNET) || dup2(pin[0], 0) < 0 ||
		    dup2(pout[1], err ? 2 : 1) < 0 || dup2(devnull_fd, err ? 1 : 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	/* jq reads all before it writes a byte: no deadlock. */
	while (inlen && (n = write(pin[1], in, inlen)) > 0) {
		in += n;
		inlen -= n;
	}
	close(pin[1]);
	*out = malloc(cap);
	while (*out && (n = read(pout[0], *out + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 2)
			*out = realloc(*out, cap *= 2);
	}
	if (!*out)
		die("out of memory");
	(*out)[len] = '\0';
	close(pout[0]);
	waitpid(pid, &status, 0);
	return status;
}

/*
 * How many meta devices ip and jq see in slot @s; -1 with @why on failure.
 * No shell: exec under TCG, and more so on a debug kernel, is slow.
 */
static int ip_count(int s, char *why, size_t size)
{
	char *ip_j[] = { "ip", "-d", "-j", "link", "show", "type", "meta", NULL };
	char *ip_d[] = { "ip", "-d", "link", "show", "type", "meta", NULL };
	char *jq[] = { "jq", "-e", "[.[] | select(.linkinfo.info_kind == \"meta\")] | length", NULL };
	char *json, *count = NULL, *complaint = NULL, *p, *q;
	int status, n = -1;

	status = run_in(s, ip_j, NULL, 0, false, &json);
	if (status) {
		snprintf(why, size, "ns%d: ip -d -j link show type meta: status %#x", s, status);
		goto out;
	}
	/* iproute2's JSON writer copies control characters in names as they are. */
	for (p = q = json; *p; p++)
		if ((unsigned char)*p >= ' ')
			*q++ = *p;
	*q = '\0';
	status = run_in(s, jq, json, q - json, false, &count);
	if (status) {
		snprintf(why, size, "ns%d: jq cannot read what ip -d -j prints (status %#x): %.200s",
			 s, status, json);
		goto out;
	}
	status = run_in(s, ip_d, NULL, 0, true, &complaint);
	if (status || complaint[0]) {
		snprintf(why, size, "ns%d: ip -d link show type meta: status %#x: %.200s",
			 s, status, complaint);
		goto out;
	}
	n = atoi(count);
out:
	free(json);
	free(count);
	free(complaint);
	return n;
}

/* The programs alive are our open ones, the attached ones and the baseline. */
static const char *bpf_check(char *why, size_t size, bool final)
{
	static uint32_t ids[FZ_MAX_IDS], want[FZ_MAX_IDS];
	int n, nwant = 0, i, d, k;

	n = prog_ids(ids, FZ_MAX_IDS);
	if (!final) {
		for (i = 0; i < FZ_GOOD; i++)
			want[nwant++] = good[i].id;
		for (i = 0; i < FZ_CHURN; i++)
			if (churn[i].fd >= 0)
				want[nwant++] = churn[i].id;
		want[nwant++] = sockfilter.id;
		for (i = 0; i < cur->n; i++)
			for (d = 0; d < 2; d++)
				for (k = 0; k < cur->l[i].nprogs[d] && nwant < FZ_MAX_IDS; k++)
					want[nwant++] = cur->l[i].progs[d][k];
	}
	for (i = 0; i < n; i++) {
		if (id_in(want, nwant, ids[i]) || id_in(baseline, nbaseline, ids[i]))
			continue;
		if (opt.no_home && !prog_ours(ids[i]))
			continue;	/* someone else's */
		snprintf(why, size, "BPF program %u is alive but neither open nor attached%s",
			 ids[i], prog_ours(ids[i]) ? " (one of ours: a reference leak)" : "");
		return why;
	}
	for (i = 0; i < nwant; i++) {
		if (!id_in(ids, n, want[i])) {
			snprintf(why, size, "BPF program %u is open or attached but gone", want[i]);
			return why;
		}
	}
	return NULL;
}

static void full_check(void)
{
	static bool broken_ip;
	char why[512];
	const char *what = NULL;
	int s, n, model, tries;

	kmsg_check();
	if (opt.dry_run)
		return;
	st.full_checks++;
	for (s = 0; s < nns && !opt.no_ip_check; s++) {
		if (!slot_usable(s))
			continue;
		n = ip_count(s, why, sizeof(why));
		if (n < 0)
			violation("%s", why);
		model = snap_meta_in(cur, s);
		if (opt.brk && !strcmp(opt.brk, "ip") && !broken_ip) {
			broken_ip = true;
			model++;
		}
		if (n != model)
			violation("ip -d -j link show type meta in ns%d lists %d meta devices, the model %d",
				  s, n, model);
	}
	/* Program release is synchronous; allow a moment all the same. */
	for (tries = 0; tries < 20; tries++) {
		what = bpf_check(why, sizeof(why), false);
		if (!what)
			break;
		usleep(50000);
	}
	if (what)
		violation("%s", what);
}

/* ------------------------------------------------------------------------ */
/* Proving the checks can fail: --break */

static bool broke;

static bool breaking(const char *what)
{
	return opt.brk && !broke && !strcmp(opt.brk, what) && st.req >= 5;
}

/* A pair the model does not know about, made behind its back. */
static void break_foreign(void)
{
	static struct fz_msg m;
	uint32_t offs[FZ_MAX_NODES], seq = ++seq_no;
	struct nlmsghdr *nlh;
	int data, peer, noffs;
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC };
	char ext[160];

	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	msg_str(&m, 0, IFLA_IFNAME, "fzbrk0");
	data = put_meta_data(&m, NULL);
	peer = msg_add(&m, data, IFLA_META_PEER_INFO, &ifm, sizeof(ifm));
	msg_str(&m, peer, IFLA_IFNAME, "fzbrk1");
	nlh = msg_build(&m, txbuf, seq, offs, &noffs);
	if (nl_talk(1, txbuf, nlh->nlmsg_len, seq, ext) == 0) {
		printf("nl_fuzz: --break foreign: created ns1 fzbrk0/fzbrk1 behind the model\n");
		broke = true;
	}
}

/*
 * An attach and a detach of the same program behind the model's back: the
 * lists look as before, only the revision moved on by two.
 */
static void break_rev(void)
{
	static struct fz_msg m;
	uint32_t offs[FZ_MAX_NODES], seq;
	const struct fz_link *l = NULL;
	int i, k, data, nest, noffs, err = 1;
	struct nlmsghdr *nlh;
	char ext[160];

	for (i = 0; i < cur->n && !l; i++)
		if (cur->l[i].meta && !cur->l[i].foreign && cur->l[i].v[IFLA_META_PRIMARY])
			l = &cur->l[i];
	if (!l)
		return;		/* try again after the next request */
	for (k = 0; k < FZ_GOOD && prog_index(l, 0, good[k].id) >= 0; k++)
		;
	if (k == FZ_GOOD)
		return;
	for (i = 0; i < 2; i++) {
		msg_init(&m, RTM_NEWLINK, 0);
		msg_str(&m, 0, IFLA_IFNAME, l->name);
		data = put_meta_data(&m, NULL);
		nest = msg_add(&m, data, (i ? IFLA_META_PROG_DETACH : IFLA_META_PROG_ATTACH) |
			       NLA_F_NESTED, NULL, 0);
		msg_u32(&m, nest, IFLA_META_PROG_DIR, META_PROG_DIR_PRIMARY);
		if (i)
			msg_u32(&m, nest, IFLA_META_PROG_ID, good[k].id);
		else
			msg_u32(&m, nest, IFLA_META_PROG_FD, good[k].fd);
		seq = ++seq_no;
		nlh = msg_build(&m, txbuf, seq, offs, &noffs);
		err = nl_talk(l->ns, txbuf, nlh->nlmsg_len, seq, ext);
		if (err)
			die("--break rev: %s of program %u on ns%d %s: %s", i ? "detach" : "attach",
			    good[k].id, l->ns, l->name, ext);
	}
	printf("nl_fuzz: --break rev: attached and detached program %u on ns%d %s behind the model\n",
	       good[k].id, l->ns, l->name);
	broke = true;
}

static void break_after_request(void)
{
	int fd;

	if (breaking("foreign")) {
		break_foreign();
	} else if (breaking("rev")) {
		break_rev();
	} else if (breaking("prog")) {
		broken_prog.fd = prog_load(BPF_PROG_TYPE_SCHED_CLS, &broken_prog.id);
		printf("nl_fuzz: --break prog: loaded program %u, accounted nowhere\n",
		       broken_prog.id);
		broke = true;
	} else if (breaking("kmsg")) {
		fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "nl_fuzz: " FZ_KMSG_MARKER "\n",
				    strlen("nl_fuzz: " FZ_KMSG_MARKER "\n")) < 0)
			die("--break kmsg: /dev/kmsg: %s", strerror(errno));
		close(fd);
		printf("nl_fuzz: --break kmsg: wrote the marker to /dev/kmsg\n");
		broke = true;
	}
}

static void break_after_snapshot(void)
{
	int i, p;

	if (!breaking("pointback"))
		return;
	for (i = 0; i < seen->n; i++) {
		if (!seen->l[i].meta || (p = snap_peer(seen, &seen->l[i])) < 0)
			continue;
		printf("nl_fuzz: --break pointback: ns%d %s now names ifindex %d\n",
		       seen->l[p].ns, seen->l[p].name, seen->l[p].link + 1000);
		seen->l[p].link += 1000;
		broke = true;
		return;
	}
}

/* ------------------------------------------------------------------------ */
/* Setup and cleanup */

static bool in_cleanup;

static int del_link(int s, int ifindex, char *ext)
{
	static struct fz_msg m;
	uint32_t offs[FZ_MAX_NODES], seq = ++seq_no;
	struct nlmsghdr *nlh;
	int noffs;

	msg_init(&m, RTM_DELLINK, 0);
	m.ifm.ifi_index = ifindex;
	nlh = msg_build(&m, txbuf, seq, offs, &noffs);
	return nl_talk(s, txbuf, nlh->nlmsg_len, seq, ext);
}

/*
 * Delete what we made and release what we hold. @check: the end of a run,
 * where this is checked too; otherwise after a violation, best effort.
 */
static void cleanup(bool check)
{
	char why[256], ext[160];
	const char *what = NULL;
	int i, rounds, err;
	double t0;

	in_cleanup = true;
	if (opt.dry_run)
		goto out;
	if (check)
		full_check();
	else
		snapshot(cur);
	for (rounds = 0; rounds < FZ_MAX_LINKS; rounds++) {
		for (i = 0; i < cur->n; i++)
			if (cur->l[i].meta && !cur->l[i].foreign && slot_usable(cur->l[i].ns))
				break;
		if (i == cur->n)
			break;
		err = del_link(cur->l[i].ns, cur->l[i].ifindex, ext);
		if (err && check)
			violation("cleanup: deleting ns%d %s: %s%s%s", cur->l[i].ns,
				  cur->l[i].name, strerror(err), ext[0] ? ": " : "", ext);
		if (err)
			break;
		if (check)
			kmsg_check();
		snapshot(cur);
		if (check)
			check_structure(cur);
	}
	if (check) {
		for (i = 0; i < cur->n; i++)
			if (cur->l[i].meta && !cur->l[i].foreign)
				violation("cleanup: ns%d %s is still there", cur->l[i].ns,
					  cur->l[i].name);
		full_check();
	}
	for (i = 0; i < FZ_CHURN; i++)
		if (churn[i].fd >= 0)
			close(churn[i].fd);
	for (i = 0; i < FZ_GOOD; i++)
		if (good[i].fd >= 0)
			close(good[i].fd);
	if (sockfilter.fd >= 0)
		close(sockfilter.fd);
	if (broken_prog.fd > 0)
		close(broken_prog.fd);
	for (i = 1; i < nns; i++)
		ns_release(i);
	if (check) {
		for (t0 = now(); now() - t0 < opt.settle; usleep(50000))
			if (!(what = bpf_check(why, sizeof(why), true)))
				break;
		if (what)
			violation("after cleanup: %s", what);
		kmsg_check();
	}
	if (ns[0].nl)
		mnl_socket_close(ns[0].nl);
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	if (devnull_fd >= 0)
		close(devnull_fd);
	if (home_fd >= 0)
		close(home_fd);
out:
	free(hist);
	free(ours_ids);
	hist = NULL;
	ours_ids = NULL;
}

/* Something for the generator to work on when no kernel answers. */
static void dry_setup(void)
{
	struct fz_link *l;
	int i, j, p;

	nns = 1 + opt.netns;
	for (i = 0; i < nns; i++) {
		ns[i].live = true;
		ns[i].fd = 10 + i;
		ns[i].anchor = 100 + i;
		for (j = 0; j < nns; j++)
			ns[i].nsid[j] = i == j ? -1 : j;
	}
	for (i = 0; i < FZ_GOOD; i++) {
		good[i] = (struct fz_prog){ 20 + i, 1000 + i };
		ours_add(good[i].id);
	}
	sockfilter = (struct fz_prog){ 40, 1100 };
	devnull_fd = 41;
	for (p = 0; p < 3; p++) {
		for (i = 0; i < 2; i++) {
			l = &cur->l[cur->n++];
			memset(l, 0, sizeof(*l));
			l->meta = true;
			l->ns = (p + i) % nns;
			l->ifindex = 10 + 2 * p + i;
			snprintf(l->name, sizeof(l->name), "fz%d", p + 3 * i);
			l->link = 10 + 2 * p + !i;
			l->has_link_nsid = l->ns != (p + !i) % nns;
			l->link_nsid = ns[l->ns].nsid[(p + !i) % nns];
			l->v[IFLA_META_PRIMARY] = !i;
			if (!i) {
				l->nprogs[0] = 1;
				l->progs[0][0] = good[p].id;
				l->nprogs[1] = 2;
				l->progs[1][0] = good[p + 1].id;
				l->progs[1][1] = good[p + 2].id;
			}
		}
	}
}

static void setup(void)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct stat a, b;
	int i;

	hist = calloc(opt.history, sizeof(*hist));
	if (!hist)
		die("out of memory");
	for (i = 0; i < FZ_CHURN; i++)
		churn[i].fd = -1;
	sockfilter.fd = broken_prog.fd = -1;
	if (opt.dry_run) {
		dry_setup();
		return;
	}
	if (geteuid())
		die("must run as root (try --dry-run)");
	/* Before 5.11 BPF memory is charged against RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	/* A check's command that exits early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd < 0)
		printf("nl_fuzz: warning: /dev/kmsg: %s; the kernel log is not checked\n",
		       strerror(errno));
	else
		lseek(kmsg_fd, 0, SEEK_END);
	nbaseline = prog_ids(baseline, FZ_MAX_IDS);

	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0)
		die("/proc/self/ns/net: %s", strerror(errno));
	pid1_home = !stat("/proc/1/ns/net", &a) && !fstat(home_fd, &b) &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	ns[0].live = true;
	ns[0].fd = home_fd;
	ns[0].anchor = getpid();
	ns[0].nl = nl_open(&ns[0].portid);
	nns = 1 + opt.netns;
	for (i = 1; i < nns; i++)
		ns_create(i);
	nsids_setup();

	for (i = 0; i < FZ_GOOD; i++) {
		good[i].fd = prog_load(BPF_PROG_TYPE_SCHED_CLS, &good[i].id);
		if (good[i].fd < 0)
			die("loading a SCHED_CLS program: %s", strerror(errno));
		ours_add(good[i].id);
	}
	sockfilter.fd = prog_load(BPF_PROG_TYPE_SOCKET_FILTER, &sockfilter.id);
	if (sockfilter.fd < 0)
		die("loading a SOCKET_FILTER program: %s", strerror(errno));
	ours_add(sockfilter.id);

	if (!opt.no_ip_check &&
	    system("command -v ip >/dev/null && command -v jq >/dev/null"))
		die("ip or jq missing (or pass --no-ip-check)");

	snapshot(cur);
	for (i = 0; i < cur->n && nforeign < 64; i++)
		if (cur->l[i].ns == 0 && cur->l[i].meta)
			foreign[nforeign++] = cur->l[i].ifindex;
	mark_foreign(cur);
	if (nforeign)
		printf("nl_fuzz: ns0 has %d meta devices already; they are left alone\n",
		       nforeign);
	check_structure(cur);
}

/* ------------------------------------------------------------------------ */
/* The run */

static enum fz_op pick_op(void)
{
	const unsigned int *w = op_weight[phase()];
	unsigned int total = 0, x, i;

	for (i = 0; i < OP__N; i++)
		total += w[i];
	x = rn(total);
	for (i = 0; x >= w[i]; i++)
		x -= w[i];
	if (i == OP_CREATE && snap_pairs(cur) >= FZ_MAX_PAIRS)
		i = OP_DELLINK;
	return i;
}

/*
 * ns0 is shared with whatever else runs (the debug kernel's dummy0, ifb0,
 * sit0...): a request that would name a device there that is not ours
 * names a device that does not exist instead.
 */
static void spare_ns0(struct fz_req *r)
{
	static const char none[] = "fznone";
	int cand[2], n, i, name;
	bool hit = false;

	if (group_change(r)) {
		while ((i = msg_find_top(&r->m, IFLA_TARGET_NETNSID)) >= 0)
			msg_unlink(&r->m, i);
		if (!r->sock) {
			r->sock = 1;
			dsc(r, " [ns0 spared: via ns1]");
		}
		classify(r);
		return;
	}
	n = resolve(cur, r, cand);
	for (i = 0; i < n; i++)
		hit |= cur->l[cand[i]].ns == 0 && (!cur->l[cand[i]].meta || cur->l[cand[i]].foreign);
	if (!hit)
		return;
	if (r->ifindex > 0) {
		r->m.ifm.ifi_index = 0x7ffffff0;
	} else {
		name = msg_find_top(&r->m, r->has_alt ? IFLA_ALT_IFNAME : IFLA_IFNAME);
		node_resize(&r->m, name, sizeof(none));
		if (r->m.node[name].len == sizeof(none))
			memcpy(r->m.bytes + r->m.node[name].off, none, sizeof(none));
		else
			msg_unlink(&r->m, name);
	}
	dsc(r, " [ns0 spared: %s instead]", r->ifindex > 0 ? "#2147483632" : none);
	classify(r);
}

static void step(struct fz_req *r)
{
	enum fz_op op = pick_op();
	struct fz_snap *t;
	int i, d;

	st.steps++;
	st.op[op]++;
	switch (op) {
	case OP_LOAD:
		do_load();
		return;
	case OP_CLOSE:
		do_close();
		return;
	case OP_REAP:
		do_reap();
		return;
	default:
		break;
	}
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->mac_kind = -1;
	r->prim_slot = r->peer_slot = -1;
	switch (op) {
	case OP_CREATE:
		gen_create(r);
		break;
	case OP_CHANGE:
		gen_change(r);
		break;
	case OP_ATTACH:
	case OP_DETACH:
		gen_prog(r, op == OP_ATTACH);
		break;
	case OP_SETLINK:
		gen_setlink(r);
		break;
	case OP_DELLINK:
		gen_dellink(r);
		break;
	default:
		gen_random(r);
	}
	if (pct(op == OP_RANDOM ? 30 : 25))
		mutate_tree(r);
	classify(r);
	spare_ns0(r);
	send_req(r);
	if (opt.dry_run)
		return;

	break_after_request();
	kmsg_check();
	snapshot(seen);
	break_after_snapshot();
	check_structure(seen);
	check_transition(r, cur, seen);
	check_confinement(r, cur, seen);
	check_expect(r, cur, seen);
	t = cur;
	cur = seen;
	seen = t;
	if (snap_pairs(cur) > st.max_pairs)
		st.max_pairs = snap_pairs(cur);
	for (i = 0; i < cur->n; i++)
		for (d = 0; d < 2; d++)
			if (cur->l[i].nprogs[d] > st.max_progs)
				st.max_progs = cur->l[i].nprogs[d];
	if (opt.check_every && st.req % opt.check_every == 0)
		full_check();
}

static void summary(double secs)
{
	int i;

	printf("nl_fuzz: seed %" PRIu64 ": %lu requests in %.1f s (%.0f/s): %lu accepted, %lu refused; %lu mutated, %lu garbled\n",
	       opt.seed, st.req, secs, secs > 0 ? st.req / secs : 0.0, st.ok,
	       st.refused, st.mutated, st.garbled);
	printf("nl_fuzz: setup %.1f s, cleanup and final checks %.1f s\n",
	       t_start - t_setup, now() - t_cleanup);
	printf("nl_fuzz: as the ABI predicts: %lu creations, %lu deletions, %lu attaches, %lu detaches, %lu policy changes, %lu refusals\n",
	       st.created, st.deleted, st.attached, st.detached, st.changed,
	       st.expected);
	printf("nl_fuzz: up to %d pairs at once, %d programs in one list; %lu namespaces deleted; %lu programs loaded, %lu closed; %lu full checks\n",
	       st.max_pairs, st.max_progs, st.reaped, st.loads, st.closes, st.full_checks);
	printf("nl_fuzz: requests accepted/sent:");
	for (i = 0; i < OP_LOAD; i++)
		printf(" %s %lu/%lu", op_name[i], st.op_ok[i], st.op[i]);
	printf("\n");
	if (stopped_by_time && opt.requests)
		printf("nl_fuzz: stopped by --seconds %lu before request %lu\n",
		       opt.seconds, opt.requests);
}

/* --send: one request from its bytes, as meta_nl sends one from options. */
static int send_hex(const char *hex)
{
	unsigned char *buf = calloc(1, FZ_BUF);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	const char *p = hex, *tok;
	size_t len = 0, n;
	char ext[160];
	int err;

	if (!buf)
		die("out of memory");
	while (*p) {
		p += strspn(p, " \t\n#");
		tok = p;
		n = strcspn(p, " \t\n");
		p += n;
		if (!n || tok[n - 1] == ':')
			continue;	/* an offset */
		if (n != 2 || !isxdigit((unsigned char)tok[0]) || !isxdigit((unsigned char)tok[1]))
			die("--send: '%.*s' is not a hex byte", (int)n, tok);
		if (len == FZ_BUF)
			die("--send: more than %d bytes", FZ_BUF);
		buf[len++] = strtoul((char[]){ tok[0], tok[1], 0 }, NULL, 16);
	}
	if (len < NLMSG_HDRLEN)
		die("--send: %zu bytes, not even a netlink header", len);
	nlh->nlmsg_len = len;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq_no;
	ns[0].nl = nl_open(&ns[0].portid);
	err = nl_talk(0, buf, len, nlh->nlmsg_seq, ext);
	if (err)
		printf("error %d %s: %s\n", err, strerror(err), ext[0] ? ext : "(no extack message)");
	else
		printf("ok\n");
	mnl_socket_close(ns[0].nl);
	free(buf);
	return err ? 1 : 0;
}

static unsigned long num(const char *s, const char *what, unsigned long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v > max)
		die("bad %s '%s' (0..%lu)", what, s, max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "requests", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "check-every", required_argument, NULL, 'k' },
		{ "netns", required_argument, NULL, 'N' },
		{ "no-home", no_argument, NULL, 'H' },
		{ "no-ip-check", no_argument, NULL, 'I' },
		{ "settle", required_argument, NULL, 'S' },
		{ "history", required_argument, NULL, 'y' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "hex", no_argument, NULL, 'x' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "break", required_argument, NULL, 'b' },
		{ "send", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const breaks[] = { "foreign", "pointback", "prog", "kmsg", "ip", "rev" };
	static struct fz_req req;
	bool seeded = false, ok;
	double secs;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "s:n:t:k:vh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = num(optarg, "seed", ULONG_MAX);
			seeded = true;
			break;
		case 'n':
			opt.requests = num(optarg, "request count", ULONG_MAX);
			break;
		case 't':
			opt.seconds = num(optarg, "seconds", ULONG_MAX);
			break;
		case 'k':
			opt.check_every = num(optarg, "check interval", ULONG_MAX);
			break;
		case 'N':
			opt.netns = num(optarg, "namespace count", FZ_MAX_NS - 1);
			if (!opt.netns)
				die("--netns must be at least 1");
			break;
		case 'H':
			opt.no_home = true;
			break;
		case 'I':
			opt.no_ip_check = true;
			break;
		case 'S':
			opt.settle = num(optarg, "settle time", 3600);
			if (!opt.settle)
				die("--settle must be at least 1");
			break;
		case 'y':
			opt.history = num(optarg, "history", 1000);
			if (!opt.history)
				die("--history must be at least 1");
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'x':
			opt.hex = true;
			break;
		case 'd':
			opt.dry_run = true;
			break;
		case 'b':
			opt.brk = optarg;
			for (ok = false, i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++)
				ok |= !strcmp(optarg, breaks[i]);
			if (!ok)
				die("--break: unknown check '%s'", optarg);
			break;
		case 'e':
			return send_hex(optarg);
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs("usage: nl_fuzz [--seed S] [--requests N] [--seconds T] [OPTION...]; see --help\n",
			      stderr);
			return 2;
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (!opt.requests && !opt.seconds)
		die("--requests 0 needs --seconds: the run must be bounded");
	if (opt.no_home && opt.netns < 2)
		die("--no-home needs --netns 2 or more");
	if (!seeded) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || read(fd, &opt.seed, sizeof(opt.seed)) != sizeof(opt.seed))
			opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		if (fd >= 0)
			close(fd);
		opt.seed %= 1000000000;	/* short enough to type */
	}
	rng_state = opt.seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("nl_fuzz: seed %" PRIu64 ", %lu requests, %lu seconds, %d namespaces, checks every %lu%s%s\n",
	       opt.seed, opt.requests, opt.seconds, opt.netns, opt.check_every,
	       opt.no_home ? ", ns0 left alone" : "", opt.dry_run ? ", dry run" : "");

	t_setup = now();
	setup();
	t_start = now();
	for (;;) {
		if (opt.requests && st.req >= opt.requests)
			break;
		if (opt.seconds && now() - t_start >= opt.seconds) {
			stopped_by_time = true;
			break;
		}
		step(&req);
	}
	secs = now() - t_start;
	t_cleanup = now();
	cleanup(true);
	summary(secs);
	printf("nl_fuzz: no violation\n");
	return 0;
}

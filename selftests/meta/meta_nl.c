// SPDX-License-Identifier: GPL-2.0
/*
 * meta_nl: send one hand-crafted RTM_NEWLINK for a meta device (or, for
 * reference tests, another kind such as netkit) and report the kernel's
 * answer, extack message included.
 *
 * iproute2 only ever builds well-formed requests; the selftests use this to
 * prove the driver refuses malformed, duplicate, unknown and out-of-range
 * attributes with a clear message. Attributes are emitted in the order given
 * on the command line, so repeating an option repeats the attribute.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <libmnl/libmnl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_meta.h>

static const char usage[] =
"usage: meta_nl [OPTION...] create|change|delete NAME\n"
"       meta_nl [--fail-nth N] unload\n"
"       meta_nl prog-exists ID | prog-count\n"
"\n"
"Send one RTM_NEWLINK (create: NLM_F_CREATE|NLM_F_EXCL) of kind \"meta\" for\n"
"NAME and print the kernel's answer. Each option appends one attribute to\n"
"IFLA_INFO_DATA, in command-line order; repeat an option to repeat it.\n"
"\n"
"  --mode N          IFLA_META_MODE (u32)\n"
"  --policy N        IFLA_META_POLICY (u32)\n"
"  --peer-policy N   IFLA_META_PEER_POLICY (u32)\n"
"  --scrub N         IFLA_META_SCRUB (u32)\n"
"  --peer-scrub N    IFLA_META_PEER_SCRUB (u32)\n"
"  --headroom N      IFLA_META_HEADROOM (u16)\n"
"  --tailroom N      IFLA_META_TAILROOM (u16)\n"
"  --primary N       IFLA_META_PRIMARY (u8; read-only, for refusal tests)\n"
"  --peer NAME       IFLA_META_PEER_INFO holding an ifinfomsg and IFLA_IFNAME\n"
"                    (NAME may be longer than IFNAMSIZ on purpose)\n"
"  --peer-raw LEN    IFLA_META_PEER_INFO with LEN bytes of 0xff garbage\n"
"  --attr TYPE:LEN   attribute TYPE with LEN zero bytes\n"
"  --u32 TYPE:VALUE  attribute TYPE holding the u32 VALUE\n"
"  --kind KIND       link kind instead of \"meta\" (e.g. netkit, for the\n"
"                    reference tests; the numeric options then use KIND's\n"
"                    attribute numbers only through --u32/--attr)\n"
"  --attach SPEC     IFLA_META_PROG_ATTACH {FD, DIR [, FLAGS, RELATIVE_ID, ID]}\n"
"                    SPEC = FD:DIR[:FLAGS[:RELATIVE_ID[:ID]]]; an empty field\n"
"                    leaves its attribute out; FD is a number or devnull (an\n"
"                    open non-BPF file), socket-filter or sched-cls (a\n"
"                    2-instruction program of that type, loaded here)\n"
"  --detach DIR:ID[:FLAGS]  IFLA_META_PROG_DETACH {DIR, ID [, FLAGS]}; an\n"
"                    empty field leaves its attribute out\n"
"  --raw-nest SPEC   a nested attribute built by hand: SPEC = TYPE[!]:ITEMS\n"
"                    with ITEMS comma-separated T=VALUE (u32; VALUE may be\n"
"                    @devnull, @sched-cls...) or T#LEN (LEN zero bytes);\n"
"                    '!' leaves NLA_F_NESTED off\n"
"  --peer-index NAME:IFINDEX  peer info as --peer, with ifi_index IFINDEX\n"
"                    (may be negative)\n"
"  --mtu N, --address MAC  IFLA_MTU / IFLA_ADDRESS of NAME (not nested)\n"
"  --peer-mtu N, --peer-address MAC, --peer-netns PATH\n"
"                    IFLA_MTU, IFLA_ADDRESS, IFLA_NET_NS_FD in every --peer\n"
"  --fail-nth N      make the N-th allocation of the request fail (the\n"
"                    task's /proc/thread-self/fail-nth, set right before\n"
"                    the request is sent; needs CONFIG_FAULT_INJECTION) and\n"
"                    print \"fault injected\" or \"fault not reached\" first\n"
"  --sweep MAX       with create|delete|delete-peer|unload NAME and --peer:\n"
"                    run that operation with fail-nth 1, 2, ... (at most\n"
"                    MAX times) until it no longer reaches the fault. The\n"
"                    options describe the pair (created by the request for\n"
"                    create; before each run, with a program attached in\n"
"                    each direction, for the others; delete-peer deletes\n"
"                    through --peer inside --peer-netns, unload removes the\n"
"                    module). Each run must leave the state (both ends, the\n"
"                    module, the kernel's program count) as after an\n"
"                    unfaulted success, or, when refused, as before it.\n"
"                    Prints each run that broke this, then \"points N\n"
"                    refused N fallback N lost N bad N\"; exit 1 if a run\n"
"                    was bad\n"
"  -h, --help        this text\n"
"\n"
"delete sends RTM_DELLINK for NAME; unload removes the meta module\n"
"(delete_module(2)). prog-exists ID: exit 0 if BPF program ID exists in\n"
"the kernel, 1 if not; prog-count prints how many programs exist (leak\n"
"checks).\n"
"\n"
"Output: \"ok\" and exit 0 when the kernel accepted the request; otherwise\n"
"\"error ERRNO STRERROR: EXTACK-MESSAGE\" and exit 1. Exit 3 when the\n"
"answer was lost (ENOBUFS: the request may or may not have taken effect).\n"
"Exit 2 on usage or local errors.\n";

enum { OPT_U32, OPT_U16, OPT_U8, OPT_PEER, OPT_PEER_RAW, OPT_RAW, OPT_RAW_U32,
       OPT_KIND, OPT_ATTACH, OPT_DETACH, OPT_RAW_NEST, OPT_PEER_INDEX,
       OPT_GLOBAL };

struct opt_def {
	const char *name;
	int kind;
	int type;
};

static const struct opt_def defs[] = {
	{ "mode",	 OPT_U32, IFLA_META_MODE },
	{ "policy",	 OPT_U32, IFLA_META_POLICY },
	{ "peer-policy", OPT_U32, IFLA_META_PEER_POLICY },
	{ "scrub",	 OPT_U32, IFLA_META_SCRUB },
	{ "peer-scrub",	 OPT_U32, IFLA_META_PEER_SCRUB },
	{ "headroom",	 OPT_U16, IFLA_META_HEADROOM },
	{ "tailroom",	 OPT_U16, IFLA_META_TAILROOM },
	{ "primary",	 OPT_U8,  IFLA_META_PRIMARY },
	{ "peer",	 OPT_PEER, IFLA_META_PEER_INFO },
	{ "peer-raw",	 OPT_PEER_RAW, IFLA_META_PEER_INFO },
	{ "attr",	 OPT_RAW, 0 },
	{ "u32",	 OPT_RAW_U32, 0 },
	{ "kind",	 OPT_KIND, 0 },
	{ "attach",	 OPT_ATTACH, IFLA_META_PROG_ATTACH },
	{ "detach",	 OPT_DETACH, IFLA_META_PROG_DETACH },
	{ "raw-nest",	 OPT_RAW_NEST, 0 },
	{ "peer-index",	 OPT_PEER_INDEX, IFLA_META_PEER_INFO },
	{ "mtu",	 OPT_GLOBAL, 0 },
	{ "address",	 OPT_GLOBAL, 0 },
	{ "peer-mtu",	 OPT_GLOBAL, 0 },
	{ "peer-address", OPT_GLOBAL, 0 },
	{ "peer-netns",	 OPT_GLOBAL, 0 },
	{ "fail-nth",	 OPT_GLOBAL, 0 },
	{ "sweep",	 OPT_GLOBAL, 0 },
};

/* Options that are not attributes of IFLA_INFO_DATA. */
static struct {
	const char *mtu, *address, *peer_mtu, *peer_address, *peer_netns;
	const char *fail_nth;
	bool sweep;
	const char *peer_name;
} g;

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static unsigned long parse_num(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "meta_nl: bad number '%s' (max %lu)\n", s, max);
		exit(2);
	}
	return v;
}

/* Load "r0 = 0; exit" as a program of @type; returns its fd. */
static int load_tiny_prog(enum bpf_prog_type type)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	union bpf_attr attr;
	int fd;

	/* Before 5.11 BPF memory is charged against RLIMIT_MEMLOCK. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		perror("meta_nl: BPF_PROG_LOAD");
		exit(2);
	}
	return fd;
}

static int spec_fd(const char *what)
{
	int fd;

	if (!strcmp(what, "devnull")) {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0) {
			perror("meta_nl: /dev/null");
			exit(2);
		}
		return fd;
	}
	if (!strcmp(what, "socket-filter"))
		return load_tiny_prog(BPF_PROG_TYPE_SOCKET_FILTER);
	if (!strcmp(what, "sched-cls"))
		return load_tiny_prog(BPF_PROG_TYPE_SCHED_CLS);
	return parse_num(what, INT32_MAX);
}

/* "A:B:C" -> up to @n fields; returns how many. */
static int split(char *arg, char **out, int n)
{
	int i = 0;

	while (i < n && arg) {
		out[i++] = arg;
		arg = strchr(arg, ':');
		if (arg)
			*arg++ = '\0';
	}
	return i;
}

static void put_mac(struct nlmsghdr *nlh, const char *s)
{
	unsigned int b[6];
	unsigned char mac[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6) {
		fprintf(stderr, "meta_nl: bad MAC address '%s'\n", s);
		exit(2);
	}
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
}

/* IFLA_MTU, IFLA_ADDRESS, IFLA_NET_NS_FD of a device, those given. */
static void put_link_extras(struct nlmsghdr *nlh, const char *mtu,
			    const char *address, const char *netns)
{
	int fd;

	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, parse_num(mtu, UINT32_MAX));
	if (address)
		put_mac(nlh, address);
	if (netns) {
		fd = open(netns, O_RDONLY);
		if (fd < 0) {
			perror(netns);
			exit(2);
		}
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, fd);
	}
}

/* Put u32 attribute @type from field @f unless the field is empty. */
static void put_field(struct nlmsghdr *nlh, int type, const char *f, bool fd)
{
	if (!*f)
		return;
	mnl_attr_put_u32(nlh, type, fd ? (uint32_t)spec_fd(f) :
					 parse_num(f, UINT32_MAX));
}

/* --raw-nest TYPE[!]:T=VALUE,T#LEN,... */
static void put_raw_nest(struct nlmsghdr *nlh, char *arg)
{
	static const unsigned char zeros[512];
	char *items = strchr(arg, ':'), *item, *sep;
	struct nlattr *nest;
	unsigned long type;
	bool flag = true;

	if (!items) {
		fprintf(stderr, "meta_nl: --raw-nest wants TYPE:ITEMS\n");
		exit(2);
	}
	*items++ = '\0';
	if (*arg && arg[strlen(arg) - 1] == '!') {
		arg[strlen(arg) - 1] = '\0';
		flag = false;
	}
	type = parse_num(arg, 0x3fff);
	nest = mnl_attr_nest_start(nlh, type);
	if (!flag)
		nest->nla_type = type;
	for (item = strtok(items, ","); item; item = strtok(NULL, ",")) {
		if ((sep = strchr(item, '='))) {
			*sep++ = '\0';
			if (*sep == '@')
				put_field(nlh, parse_num(item, 0x3fff), sep + 1, true);
			else
				put_field(nlh, parse_num(item, 0x3fff), sep, false);
		} else if ((sep = strchr(item, '#'))) {
			*sep++ = '\0';
			mnl_attr_put(nlh, parse_num(item, 0x3fff),
				     parse_num(sep, sizeof(zeros)), zeros);
		} else {
			fprintf(stderr, "meta_nl: bad --raw-nest item '%s'\n", item);
			exit(2);
		}
	}
	mnl_attr_nest_end(nlh, nest);
}

/* The number of BPF programs the kernel holds. */
static unsigned int prog_count(void)
{
	union bpf_attr attr;
	unsigned int n = 0;

	memset(&attr, 0, sizeof(attr));
	while (!syscall(__NR_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof(attr))) {
		attr.start_id = attr.next_id;
		n++;
	}
	if (errno != ENOENT) {
		perror("meta_nl: BPF_PROG_GET_NEXT_ID");
		exit(2);
	}
	return n;
}

/*
 * Fault injection: the N-th allocation from now on in this task fails.
 * Reading the file back gives 0 once the fault was injected.
 */
static int fail_nth_fd = -1;

static void fail_nth_arm(void)
{
	if (!g.fail_nth)
		return;
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_nth_fd < 0) {
		perror("meta_nl: /proc/thread-self/fail-nth");
		exit(2);
	}
	if (write(fail_nth_fd, g.fail_nth, strlen(g.fail_nth)) < 0) {
		perror("meta_nl: fail-nth");
		exit(2);
	}
}

static bool fail_nth_report(void)
{
	char val[32] = "";
	ssize_t n;

	if (fail_nth_fd < 0)
		return false;
	n = pread(fail_nth_fd, val, sizeof(val) - 1, 0);
	/* Disarm before anything else allocates. */
	if (pwrite(fail_nth_fd, "0", 1, 0) < 0 || n <= 0) {
		perror("meta_nl: fail-nth");
		exit(2);
	}
	close(fail_nth_fd);
	fail_nth_fd = -1;
	if (!g.sweep)
		printf("fault %s\n", atoi(val) == 0 ? "injected" : "not reached");
	return atoi(val) == 0;
}

static int unload(void)
{
	int err;

	fail_nth_arm();
	err = syscall(__NR_delete_module, "meta", O_NONBLOCK) ? errno : 0;
	fail_nth_report();
	if (!err)
		printf("ok\n");
	else
		printf("error %d %s\n", err, strerror(err));
	return err ? 1 : 0;
}

static int prog_exists(const char *id)
{
	union bpf_attr attr;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = parse_num(id, UINT32_MAX);
	fd = syscall(__NR_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof(attr));
	if (fd >= 0) {
		close(fd);
		printf("program %s exists\n", id);
		return 0;
	}
	/* Before printf(), which may change errno. */
	err = errno;
	printf("program %s: %s\n", id, strerror(err));
	return err == ENOENT ? 1 : 2;
}

static void put_attr(struct nlmsghdr *nlh, const struct opt_def *d, char *arg)
{
	static const unsigned char zeros[512];
	static unsigned char junk[512];
	struct ifinfomsg *ifm;
	struct nlattr *nest;
	unsigned long len;
	char *colon;

	switch (d->kind) {
	case OPT_U32:
		mnl_attr_put_u32(nlh, d->type, parse_num(arg, UINT32_MAX));
		break;
	case OPT_U16:
		mnl_attr_put_u16(nlh, d->type, parse_num(arg, UINT16_MAX));
		break;
	case OPT_U8:
		mnl_attr_put_u8(nlh, d->type, parse_num(arg, UINT8_MAX));
		break;
	case OPT_PEER:
	case OPT_PEER_INDEX:
		colon = d->kind == OPT_PEER_INDEX ? strrchr(arg, ':') : NULL;
		if (d->kind == OPT_PEER_INDEX && !colon) {
			fprintf(stderr, "meta_nl: --peer-index wants NAME:IFINDEX\n");
			exit(2);
		}
		if (colon)
			*colon = '\0';
		nest = mnl_attr_nest_start(nlh, d->type);
		ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_family = AF_UNSPEC;
		if (colon)
			ifm->ifi_index = strtol(colon + 1, NULL, 0);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, arg);
		put_link_extras(nlh, g.peer_mtu, g.peer_address, g.peer_netns);
		mnl_attr_nest_end(nlh, nest);
		break;
	case OPT_RAW_NEST:
		put_raw_nest(nlh, arg);
		break;
	case OPT_PEER_RAW:
		len = parse_num(arg, sizeof(junk));
		memset(junk, 0xff, len);
		mnl_attr_put(nlh, d->type, len, junk);
		break;
	case OPT_RAW:
	case OPT_RAW_U32:
		colon = strchr(arg, ':');
		if (!colon) {
			fprintf(stderr, "meta_nl: --%s wants TYPE:%s\n", d->name,
				d->kind == OPT_RAW ? "LEN" : "VALUE");
			exit(2);
		}
		*colon = '\0';
		if (d->kind == OPT_RAW_U32)
			mnl_attr_put_u32(nlh, parse_num(arg, 0x3fff),
					 parse_num(colon + 1, UINT32_MAX));
		else
			mnl_attr_put(nlh, parse_num(arg, 0x3fff),
				     parse_num(colon + 1, sizeof(zeros)), zeros);
		break;
	case OPT_KIND:
		break;	/* handled in main() */
	case OPT_ATTACH:
	case OPT_DETACH: {
		static const int attach_types[] = {
			IFLA_META_PROG_FD, IFLA_META_PROG_DIR, IFLA_META_PROG_FLAGS,
			IFLA_META_PROG_RELATIVE_ID, IFLA_META_PROG_ID,
		};
		static const int detach_types[] = {
			IFLA_META_PROG_DIR, IFLA_META_PROG_ID, IFLA_META_PROG_FLAGS,
		};
		const int *types = d->kind == OPT_ATTACH ? attach_types : detach_types;
		char *f[5];
		int nf = split(arg, f, d->kind == OPT_ATTACH ? 5 : 3), i;

		if (nf < 2) {
			fprintf(stderr, "meta_nl: --%s wants at least two fields\n",
				d->name);
			exit(2);
		}
		nest = mnl_attr_nest_start(nlh, d->type);
		for (i = 0; i < nf; i++)
			put_field(nlh, types[i], f[i], types[i] == IFLA_META_PROG_FD);
		mnl_attr_nest_end(nlh, nest);
		break;
	}
	}
}

static int extack_cb(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* Returns the kernel's error (0 = accepted) and its extack message. */
static int read_ack(struct mnl_socket *nl, char *buf, size_t size,
		    unsigned int seq, const char **msg)
{
	const struct nlmsgerr *err;
	struct nlmsghdr *nlh;
	ssize_t len;

	*msg = NULL;
	len = mnl_socket_recvfrom(nl, buf, size);
	/* ENOBUFS: the answer was lost (an allocation failed), not refused. */
	if (len < 0 && errno == ENOBUFS)
		return -ENOBUFS;
	if (len < 0) {
		perror("meta_nl: recv");
		exit(2);
	}
	for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, (int *)&len)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		err = mnl_nlmsg_get_payload(nlh);
		/* NETLINK_CAP_ACK: only the header of our request comes back. */
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
			mnl_attr_parse(nlh, sizeof(*err), extack_cb, msg);
		return -err->error;
	}
	fprintf(stderr, "meta_nl: no acknowledgement from the kernel\n");
	exit(2);
}

/* Run @fn in the namespace at @netns (NULL: ours), then come back. */
static long in_netns(const char *netns, long (*fn)(const void *),
		     const void *arg)
{
	int here, there;
	long ret;

	if (!netns)
		return fn(arg);
	here = open("/proc/thread-self/ns/net", O_RDONLY);
	there = open(netns, O_RDONLY);
	if (here < 0 || there < 0 || setns(there, CLONE_NEWNET)) {
		perror("meta_nl: entering the peer's namespace");
		exit(2);
	}
	close(there);
	ret = fn(arg);
	if (setns(here, CLONE_NEWNET)) {
		perror("meta_nl: back to our namespace");
		exit(2);
	}
	close(here);
	return ret;
}

static long link_exists(const void *name)
{
	return if_nametoindex(name) != 0;
}

static long rtnl_open(const void *unused)
{
	int one = 1;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	(void)unused;
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("meta_nl: netlink socket");
		exit(2);
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return (long)nl;
}

/* Send @req (its sequence number renewed) and return the kernel's answer. */
static int request(struct mnl_socket *nl, struct nlmsghdr *req, bool armed,
		   bool *injected, const char **msg)
{
	static char ans[8192];
	ssize_t sent;

	req->nlmsg_seq++;
	if (armed)
		fail_nth_arm();
	sent = mnl_socket_sendto(nl, req, req->nlmsg_len);
	*injected = armed && fail_nth_report();
	*msg = "(request not sent)";
	if (sent < 0)
		return errno;
	return read_ack(nl, ans, sizeof(ans), req->nlmsg_seq, msg);
}

/* An RTM_NEWLINK or RTM_DELLINK for @name, built in @buf. */
static struct nlmsghdr *link_request(char *buf, size_t size, int type,
				     const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/*
 * --sweep: one operation with its 1st, 2nd, ... allocation failing, until
 * a run no longer reaches the fault. The state a run leaves (both ends,
 * the module, the kernel's program count) must be that of failure or that
 * of success.
 */
struct sweep {
	const char *op;
	char name[IFNAMSIZ], peer[IFNAMSIZ];	/* of the current run */
	struct mnl_socket *nl, *peer_nl;	/* ours, the peer's namespace's */
	struct nlmsghdr *create;		/* the creation request */
};

/* Pairs a create sweep made stay (deleting each costs an RCU grace period
 * or two); they carry this group and go in one request at the end.
 */
#define SWEEP_GROUP	0x5eeb

/*
 * A create sweep names each run's pair anew: the trailing digits of both
 * names (at least 4 of them) become the run number, in the request too.
 */
static bool sweep_rename(struct sweep *sw, long n)
{
	char *names[] = { sw->name, sw->peer }, *at, *end;
	char *req = (char *)sw->create;
	size_t len, digits;
	int i;

	for (i = 0; i < 2; i++) {
		len = strlen(names[i]);
		for (digits = 0; digits < len &&
		     names[i][len - 1 - digits] >= '0' &&
		     names[i][len - 1 - digits] <= '9'; digits++)
			;
		if (digits < 4)
			return false;
		/* The request carries each name once, NUL-terminated. */
		at = memmem(req, sw->create->nlmsg_len, names[i], len + 1);
		if (!at)
			return false;
		end = names[i] + len - digits;
		snprintf(end, digits + 1, "%0*ld", (int)digits, n % 10000);
		memcpy(at, names[i], len);
	}
	return true;
}

struct sweep_state {
	bool primary, peer, module;
	unsigned int progs;
};

static void sweep_state(const struct sweep *sw, struct sweep_state *st)
{
	st->primary = link_exists(sw->name);
	st->peer = in_netns(g.peer_netns, link_exists, sw->peer);
	st->module = !access("/sys/module/meta", F_OK);
	st->progs = prog_count();
}

static bool same_state(const struct sweep_state *a, const struct sweep_state *b)
{
	return a->primary == b->primary && a->peer == b->peer &&
	       a->module == b->module && a->progs == b->progs;
}

/* The pair with a program in each direction, for delete and unload. */
static void sweep_setup(const struct sweep *sw)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *li, *data, *nest;
	const char *msg;
	bool unused;
	int dir, fd;

	if (access("/sys/module/meta", F_OK) && system("modprobe meta")) {
		fputs("meta_nl: modprobe meta failed\n", stderr);
		exit(2);
	}
	if (request(sw->nl, sw->create, false, &unused, &msg)) {
		fprintf(stderr, "meta_nl: setup: creating the pair: %s\n", msg);
		exit(2);
	}
	for (dir = META_PROG_DIR_PRIMARY; dir <= META_PROG_DIR_PEER; dir++) {
		nlh = link_request(buf, sizeof(buf), RTM_NEWLINK, sw->name);
		li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, META_LINK_KIND);
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		nest = mnl_attr_nest_start(nlh, IFLA_META_PROG_ATTACH);
		fd = load_tiny_prog(BPF_PROG_TYPE_SCHED_CLS);
		mnl_attr_put_u32(nlh, IFLA_META_PROG_FD, fd);
		mnl_attr_put_u32(nlh, IFLA_META_PROG_DIR, dir);
		mnl_attr_nest_end(nlh, nest);
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, li);
		if (request(sw->nl, nlh, false, &unused, &msg)) {
			fprintf(stderr, "meta_nl: setup: attaching: %s\n", msg);
			exit(2);
		}
		close(fd);	/* the kernel holds the program now */
	}
}

/* The operation under test, once, armed; returns its error (0, errno, -ENOBUFS). */
static int sweep_once(const struct sweep *sw, bool *injected, const char **msg)
{
	char buf[256];
	int err;

	*msg = "";
	if (!strcmp(sw->op, "create"))
		return request(sw->nl, sw->create, true, injected, msg);
	if (!strcmp(sw->op, "delete"))
		return request(sw->nl, link_request(buf, sizeof(buf), RTM_DELLINK,
						    sw->name), true, injected, msg);
	if (!strcmp(sw->op, "delete-peer"))
		return request(sw->peer_nl, link_request(buf, sizeof(buf), RTM_DELLINK,
							 sw->peer), true, injected, msg);
	fail_nth_arm();
	err = syscall(__NR_delete_module, "meta", O_NONBLOCK) ? errno : 0;
	*injected = fail_nth_report();
	return err;
}

static int sweep(struct sweep *sw, long max)
{
	unsigned int points = 0, refused = 0, fallback = 0, lost = 0, bad = 0;
	struct sweep_state before, after, ok, failed;
	bool setup = strcmp(sw->op, "create");
	char del_buf[256], nth[24];
	const char *msg;
	bool injected;
	long n;
	int err;

	sw->peer_nl = (struct mnl_socket *)in_netns(g.peer_netns, rtnl_open, NULL);
	if (!setup)
		mnl_attr_put_u32(sw->create, IFLA_GROUP, SWEEP_GROUP);
	for (n = 0; n <= max; n++) {
		if (setup) {
			sweep_setup(sw);
		} else if (!sweep_rename(sw, n)) {
			fputs("meta_nl: --sweep create wants names ending in 4 digits\n",
			      stderr);
			return 2;
		}
		sweep_state(sw, &before);
		snprintf(nth, sizeof(nth), "%ld", n);
		g.fail_nth = n ? nth : NULL;	/* run 0: the state of success */
		err = sweep_once(sw, &injected, &msg);
		sweep_state(sw, &after);
		if (!n) {
			if (err || same_state(&before, &after)) {
				printf("run 0 (no fault): answer %d (%s), state unchanged\n",
				       err, msg ? msg : "");
				return 1;
			}
			failed = before;
			ok = after;
		} else {
			if (injected) {
				points++;
				if (err == -ENOBUFS)
					lost++;
				else if (err)
					refused++;
				else
					fallback++;
			}
			if (!same_state(&after, err > 0 ? &failed : &ok) &&
			    (err != -ENOBUFS || !same_state(&after, &failed))) {
				bad++;
				printf("run %ld: %s, answer %d (%s): primary %d peer %d module %d programs %u\n",
				       n, injected ? "fault injected" : "no fault", err,
				       msg ? msg : "", after.primary, after.peer,
				       after.module, after.progs);
			}
		}
		/* Back to the state before the run, as far as it takes. */
		if (after.primary && setup) {
			bool unused;

			request(sw->nl, link_request(del_buf, sizeof(del_buf),
						     RTM_DELLINK, sw->name),
				false, &unused, &msg);
		}
		if (n && !injected)
			break;
	}
	if (n > max) {
		bad++;
		printf("still reaching the fault after %ld runs\n", max);
	}
	if (!setup) {
		struct nlmsghdr *del = link_request(del_buf, sizeof(del_buf),
						    RTM_DELLINK, "");
		bool unused;

		/* By group: drop the empty name link_request() put. */
		del->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
		mnl_attr_put_u32(del, IFLA_GROUP, SWEEP_GROUP);
		err = request(sw->nl, del, false, &unused, &msg);
		if (err && err != ENODEV) {
			bad++;
			printf("deleting the sweep's pairs: %d (%s)\n", err, msg);
		}
	}
	mnl_socket_close(sw->peer_nl);
	printf("points %u refused %u fallback %u lost %u bad %u\n", points,
	       refused, fallback, lost, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct option longopts[NDEFS + 2];
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data;
	struct {
		const struct opt_def *def;
		char *arg;
	} attrs[64];
	int nattrs = 0, one = 1, c, err;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	const char *msg, *kind = META_LINK_KIND;
	const char *sweep_op = NULL;
	bool create, delete;
	unsigned int seq;
	ssize_t sent;
	size_t i;

	for (i = 0; i < NDEFS; i++)
		longopts[i] = (struct option){ defs[i].name, required_argument,
					       NULL, 0x100 + (int)i };
	longopts[NDEFS] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[NDEFS + 1] = (struct option){ 0 };

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c < 0x100 || nattrs == (int)(sizeof(attrs) / sizeof(attrs[0]))) {
			fputs(usage, stderr);
			return 2;
		}
		if (defs[c - 0x100].kind == OPT_KIND) {
			kind = optarg;
			continue;
		}
		if (defs[c - 0x100].kind == OPT_GLOBAL) {
			const char *name = defs[c - 0x100].name;

			if (!strcmp(name, "mtu"))
				g.mtu = optarg;
			else if (!strcmp(name, "address"))
				g.address = optarg;
			else if (!strcmp(name, "peer-mtu"))
				g.peer_mtu = optarg;
			else if (!strcmp(name, "peer-address"))
				g.peer_address = optarg;
			else if (!strcmp(name, "peer-netns"))
				g.peer_netns = optarg;
			else if (!strcmp(name, "sweep"))
				g.sweep = true, g.fail_nth = optarg;
			else
				g.fail_nth = optarg;
			continue;
		}
		if (defs[c - 0x100].kind == OPT_PEER)
			g.peer_name = optarg;
		attrs[nattrs].def = &defs[c - 0x100];
		attrs[nattrs++].arg = optarg;
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "prog-exists"))
		return prog_exists(argv[optind + 1]);
	if (argc - optind == 1 && !strcmp(argv[optind], "prog-count"))
		return printf("%u\n", prog_count()) < 0;
	if (argc - optind == 1 && !strcmp(argv[optind], "unload"))
		return unload();
	/* A sweep's request is the pair's creation, whatever it tests. */
	if (g.sweep && argc - optind == 2) {
		sweep_op = argv[optind];
		if (strcmp(sweep_op, "create") && strcmp(sweep_op, "delete") &&
		    strcmp(sweep_op, "delete-peer") && strcmp(sweep_op, "unload")) {
			fputs(usage, stderr);
			return 2;
		}
		argv[optind] = "create";
	}
	if (argc - optind != 2 ||
	    (strcmp(argv[optind], "create") && strcmp(argv[optind], "change") &&
	     strcmp(argv[optind], "delete"))) {
		fputs(usage, stderr);
		return 2;
	}
	create = !strcmp(argv[optind], "create");
	delete = !strcmp(argv[optind], "delete");

	/* Padding goes on the wire: no stack garbage in it. */
	memset(buf, 0, sizeof(buf));

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = delete ? RTM_DELLINK : RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (create)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq = time(NULL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, argv[optind + 1]);
	if (!delete) {
		put_link_extras(nlh, g.mtu, g.address, NULL);
		linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		for (c = 0; c < nattrs; c++)
			put_attr(nlh, attrs[c].def, attrs[c].arg);
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, linkinfo);
	}

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("meta_nl: netlink socket");
		return 2;
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (g.sweep) {
		struct sweep sw = { .op = sweep_op, .nl = nl, .create = nlh };

		if (!g.peer_name) {
			fputs("meta_nl: --sweep needs --peer\n", stderr);
			return 2;
		}
		snprintf(sw.name, sizeof(sw.name), "%s", argv[optind + 1]);
		snprintf(sw.peer, sizeof(sw.peer), "%s", g.peer_name);
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
		err = sweep(&sw, parse_num(g.fail_nth, 1000000));
		mnl_socket_close(nl);
		return err;
	}
	fail_nth_arm();
	sent = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	fail_nth_report();
	if (sent < 0) {
		printf("error %d %s: (request not sent)\n", errno, strerror(errno));
		mnl_socket_close(nl);
		return g.fail_nth ? 1 : 2;
	}
	err = read_ack(nl, buf, sizeof(buf), seq, &msg);
	mnl_socket_close(nl);
	if (err == -ENOBUFS) {
		printf("error %d %s: (answer lost; check the state)\n", ENOBUFS,
		       strerror(ENOBUFS));
		return 3;
	}
	if (!err)
		printf("ok\n");
	else
		printf("error %d %s: %s\n", err, strerror(err),
		       msg ? msg : "(no extack message)");
	return err ? 1 : 0;
}

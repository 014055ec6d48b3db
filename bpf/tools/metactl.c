// SPDX-License-Identifier: GPL-2.0
/*
 * metactl: load BPF programs and attach them to meta devices over
 * rtnetlink, list and detach them, create pairs, and set the maps the
 * programs in bpf/progs read. A thin command line over libmeta.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "libmeta.h"
#include "meta_tc.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define EXIT_KERNEL	1	/* the kernel refused a request */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_BPF	3	/* BPF object, program or map */
#define EXIT_SYSTEM	4	/* namespace, socket, other local failure */

static const char help_text[] =
"NAME\n"
"    metactl - attach BPF programs to meta devices and set their maps\n"
"\n"
"SYNOPSIS\n"
"    metactl [-n NETNS] [-p PINDIR] [-v] COMMAND ARGS...\n"
"\n"
"    metactl attach DEV OBJ [--prog NAME | --sec NAME] [--dir primary|peer]\n"
"                   [--first | --before ID | --after ID | --replace ID]\n"
"                   [--expected-revision REV] [--pin-maps DIR]\n"
"    metactl detach DEV --dir primary|peer (--id ID | --all)\n"
"                   [--expected-revision REV]\n"
"    metactl list DEV [--dir primary|peer] [--ids | --revision]\n"
"\n"
"    metactl pair add NAME [--peer NAME] [--peer-netns NETNS] [--mode l3|l2]\n"
"                   [--policy P] [--peer-policy P] [--scrub S] [--peer-scrub S]\n"
"                   [--headroom N] [--tailroom N] [--mtu N] [--peer-mtu N]\n"
"                   [--address MAC] [--peer-address MAC]\n"
"    metactl pair del DEV\n"
"    metactl pair set DEV [--policy P] [--peer-policy P]\n"
"\n"
"    metactl tc attach DEV ingress|egress OBJ [--prog NAME | --sec NAME]\n"
"                   [--pin-maps DIR] [--tc-mode auto|tcx|clsact]\n"
"    metactl tc detach DEV ingress|egress\n"
"    metactl tc show DEV ingress|egress\n"
"\n"
"    metactl pod add ADDR DEV|IFINDEX      metactl pod del ADDR\n"
"    metactl pod list\n"
"    metactl stack via CIDR...             metactl stack fast CIDR...\n"
"    metactl stack del CIDR...             metactl stack list\n"
"    metactl target set DEV|IFINDEX        metactl target show\n"
"    metactl port deny PORT...             metactl port allow PORT...\n"
"    metactl port list\n"
"    metactl mark set MARK [PRIORITY]      metactl mark show\n"
"    metactl observed [show|reset]         metactl count [show|reset]\n"
"\n"
"DESCRIPTION\n"
"    A meta device runs BPF_PROG_TYPE_SCHED_CLS programs when one of its ends\n"
"    transmits. Programs are attached and detached over rtnetlink, always\n"
"    through the primary (host) end, per direction:\n"
"      primary  programs run on what the primary transmits (host -> pod)\n"
"      peer     programs run on what the peer transmits (pod -> host)\n"
"    They run in order while they return META_NEXT (-1); the first other\n"
"    verdict wins (0 pass, 2 drop, 7 redirect); if all say NEXT the packet\n"
"    is forwarded. At most 16 programs per direction.\n"
"\n"
"    The kernel keeps its own reference to an attached program, so metactl\n"
"    exits after attaching; the program stays until detached or until the\n"
"    pair is deleted.\n"
"\n"
"COMMANDS\n"
"    attach   Load the program of OBJ and attach it to DEV. Without --prog or\n"
"             --sec the object must hold exactly one program. It is loaded as\n"
"             SCHED_CLS whatever its section is called. Default direction:\n"
"             peer. Default position: last; --first puts it first,\n"
"             --before/--after ID next to attached program ID, --replace ID\n"
"             in its place. Prints the new program's id on stdout.\n"
"    detach   Detach program ID, or all programs, of one direction.\n"
"             Each direction has a revision, 1 at creation, that every\n"
"             attach, replace and detach bumps. With --expected-revision REV\n"
"             the kernel refuses the change (exit 1, ESTALE) unless the\n"
"             direction is still at REV: read it with list --revision,\n"
"             decide, then change, and no other agent's change in between\n"
"             is overwritten.\n"
"    list     One line per attached program, in run order:\n"
"             \"DIR ID NAME\". With --ids (needs --dir) only the ids of that\n"
"             direction, space-separated, on one line; with --revision\n"
"             (needs --dir) only its revision.\n"
"    pair     Create a pair (NAME is the primary; the peer is created in\n"
"             --peer-netns), delete one (either end), or change the\n"
"             policies through the primary. P is forward or blackhole,\n"
"             S default or none; --mtu also sets the peer's unless\n"
"             --peer-mtu is given.\n"
"    tc       Attach the program of OBJ to the tc ingress or egress of any\n"
"             device, e.g. nic_ingress on the NIC or observe in a pod,\n"
"             replacing ours if present. Prints the program's id. Each\n"
"             device hook has one such slot, shared with the CNI plugin's\n"
"             bpf.nic. With --tc-mode (default auto):\n"
"               tcx     a tcx bpf_link (Linux 6.6+), pinned in bpffs at\n"
"                       " META_TCX_DIR "/NETNS_IFINDEX_HOOK\n"
"                       (NETNS: the namespace's inode) so that it\n"
"                       outlives metactl; a replace updates the link.\n"
"                       No qdisc is created. Refused (exit 1) before 6.6.\n"
"               clsact  a direct-action cls_bpf filter, handle 1,\n"
"                       priority 1, on a clsact qdisc (created if\n"
"                       missing), as on every kernel.\n"
"               auto    tcx where the kernel has it, else clsact.\n"
"             Attaching one way removes our program attached the other\n"
"             way (after the new one is in place), so the two never both\n"
"             stay; moving to tcx also deletes the clsact qdisc if no\n"
"             filter is left on it (others' filters keep it). tc detach\n"
"             removes ours whichever way it was attached (unpins and\n"
"             detaches the link). tc show prints\n"
"             \"tcx PROG_ID link LINK_ID\" and/or \"clsact PROG_ID\".\n"
"    pod      meta_pods (nic_ingress, same_node): pod address (IPv4 or IPv6)\n"
"             -> ifindex of the pod's meta primary. list: \"ADDR IFINDEX\".\n"
"    stack    meta_stack_cfg (host_routing, nic_ingress, same_node,\n"
"             stack_flows): pod traffic to CIDR goes through the host stack\n"
"             (via: Services, masquerading) or keeps the fast path (fast: an\n"
"             exception); the longest prefix wins, 8 at most. list:\n"
"             \"CIDR via|fast\".\n"
"    target   meta_target (redirect_egress, redirect_ingress, redirect_peer,\n"
"             redirect_neigh_nonh): the device they redirect to. A name is\n"
"             resolved in metactl's namespace; the programs resolve the\n"
"             ifindex in the namespace of the receiving end.\n"
"    port     meta_deny_ports (port_policy): TCP/UDP destination ports to drop.\n"
"    mark     meta_mark (set_mark): the skb->mark and skb->priority it sets.\n"
"    observed meta_observed (observe): \"packets N marked N prioritized N\n"
"             last_mark N last_priority N mark N priority N\"; reset zeroes it.\n"
"    count    meta_count (count): packets counted; reset zeroes it.\n"
"\n"
"OPTIONS\n"
"    -n, --netns NETNS  Work in network namespace NETNS (a name in /run/netns\n"
"                       or a path; \"\" is the current one). Only the network\n"
"                       namespace changes, so pinned maps stay visible\n"
"                       (unlike `ip netns exec`, which remounts /sys and\n"
"                       hides /sys/fs/bpf).\n"
"    -p, --pin DIR      Directory of the pinned maps (default " META_PIN_DIR ").\n"
"                       Objects loaded with the same DIR share their maps;\n"
"                       another DIR gives an independent set.\n"
"        --pin-maps DIR The same, for attach and tc attach. Not where tcx\n"
"                       links are pinned (see tc).\n"
"    -v, --verbose      Show libbpf's debug output (and the verifier log).\n"
"    -h, --help         This text.\n"
"\n"
"EXIT STATUS\n"
"    0  success\n"
"    1  the kernel refused a request (its extack message is printed), or a\n"
"       named device does not exist or is not a meta device\n"
"    2  usage error\n"
"    3  BPF error: the object cannot be opened or loaded (verifier), no such\n"
"       program, or a pinned map is missing or cannot be pinned\n"
"    4  other system error (network namespace, socket)\n"
"\n"
"EXAMPLES\n"
"    metactl attach host0 build/bpf/same_node.bpf.o --dir peer\n"
"    metactl attach host0 build/bpf/host_routing.bpf.o --dir peer\n"
"    metactl pod add 10.0.1.2 host1\n"
"    metactl tc attach eth0 ingress build/bpf/nic_ingress.bpf.o\n"
"    metactl list host0\n"
"    metactl -n pod0 -p /sys/fs/bpf/meta/pod0 tc attach p0 ingress \\\n"
"            build/bpf/observe.bpf.o\n"
"    metactl -p /sys/fs/bpf/meta/pod0 observed\n";

static const char *prog_name = "metactl";
static const char *pin_dir = META_PIN_DIR;
static bool verbose;

static void __printf(1, 2) err_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int __printf(1, 2) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog_name);
	return EXIT_USAGE;
}

/* Reports libmeta's description of its last failure; returns code. */
static int fail(int code)
{
	err_msg("%s", meta_last_error());
	return code;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	if (level == LIBBPF_INFO && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	errno = 0;
	*val = strtoul(s, &end, 0);
	return !errno && end != s && !*end && *s != '-' && *val <= max;
}

static int parse_u32(const char *what, const char *s, __u32 *val)
{
	unsigned long v;

	if (!parse_ulong(s, UINT32_MAX, &v))
		return usage("bad %s '%s'", what, s);
	*val = v;
	return 0;
}

static int check_dev(const char *dev)
{
	if (!*dev || strlen(dev) >= IFNAMSIZ)
		return usage("bad device name '%s' (1 to %d characters)", dev,
			     IFNAMSIZ - 1);
	return 0;
}

/* DEV or IFINDEX -> ifindex, in the current namespace. */
static int parse_ifindex(const char *s, __u32 *ifindex)
{
	unsigned long v;

	if (parse_ulong(s, INT32_MAX, &v)) {
		*ifindex = v;
		return 0;
	}
	if (check_dev(s))
		return EXIT_USAGE;
	*ifindex = if_nametoindex(s);
	if (!*ifindex) {
		err_msg("device %s: %s", s, strerror(errno));
		return EXIT_KERNEL;
	}
	return 0;
}

static int parse_dir(const char *s, int *dir)
{
	*dir = meta_dir_parse(s);
	if (*dir < 0)
		return usage("bad direction '%s' (primary or peer)", s);
	return 0;
}

/*
 * A subcommand's options may come before, between or after its arguments
 * (glibc's getopt_long permutes them); main() resets optind to 0 so that
 * getopt starts afresh on the subcommand's argv, argv[0] being the
 * subcommand itself. The arguments are then argv[optind..argc - 1].
 */
static int next_opt(int argc, char **argv, const struct option *opts)
{
	return getopt_long(argc, argv, ":h", opts, NULL);
}

static int opt_error(int c, char **argv)
{
	if (c == ':')
		return usage("option %s needs an argument", argv[optind - 1]);
	if (optopt)
		return usage("unknown option -%c", optopt);
	return usage("unknown option %s", argv[optind - 1]);
}

struct args {
	char **pos;
	int npos;
};

static void positional(struct args *a, int argc, char **argv)
{
	a->pos = argv + optind;
	a->npos = argc - optind;
}

static int open_nl(struct meta_nl **nl)
{
	if (meta_nl_open(nl))
		return fail(EXIT_SYSTEM);
	return 0;
}

/* ---- attach / detach / list ---------------------------------------------- */

enum {
	OPT_PROG = 256, OPT_SEC, OPT_DIR, OPT_FIRST, OPT_BEFORE, OPT_AFTER,
	OPT_REPLACE, OPT_PIN_MAPS, OPT_ID, OPT_ALL, OPT_IDS,
	OPT_PEER, OPT_PEER_NETNS, OPT_MODE, OPT_POLICY, OPT_PEER_POLICY,
	OPT_SCRUB, OPT_PEER_SCRUB, OPT_HEADROOM, OPT_TAILROOM, OPT_MTU,
	OPT_PEER_MTU, OPT_ADDRESS, OPT_PEER_ADDRESS, OPT_EXPECTED_REV,
	OPT_REVISION, OPT_TC_MODE,
};

static int parse_revision(const char *s, __u64 *val)
{
	unsigned long v;

	if (!parse_ulong(s, UINT64_MAX, &v) || !v)
		return usage("bad revision '%s' (revisions start at 1)", s);
	*val = v;
	return 0;
}

static int load_obj(const char *file, const char *prog, const char *sec,
		    const char *maps, struct meta_bpf **obj)
{
	struct meta_bpf_opts o = {
		.prog_name = prog, .sec_name = sec, .pin_dir = maps,
	};

	if (meta_bpf_load(file, &o, obj))
		return fail(EXIT_BPF);
	return 0;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prog", required_argument, NULL, OPT_PROG },
		{ "sec", required_argument, NULL, OPT_SEC },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "first", no_argument, NULL, OPT_FIRST },
		{ "before", required_argument, NULL, OPT_BEFORE },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ "replace", required_argument, NULL, OPT_REPLACE },
		{ "expected-revision", required_argument, NULL, OPT_EXPECTED_REV },
		{ "pin-maps", required_argument, NULL, OPT_PIN_MAPS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *prog = NULL, *sec = NULL, *maps = pin_dir;
	int dir = META_PROG_DIR_PEER, c, ret, where = 0;
	__u32 flags = 0, rel = 0;
	__u64 expected = 0;
	struct meta_bpf *obj;
	struct meta_nl *nl;
	struct args a = {};

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_PROG:
			prog = optarg;
			break;
		case OPT_SEC:
			sec = optarg;
			break;
		case OPT_DIR:
			ret = parse_dir(optarg, &dir);
			if (ret)
				return ret;
			break;
		case OPT_FIRST:
			flags = META_PROG_F_BEFORE;
			where++;
			break;
		case OPT_BEFORE:
		case OPT_AFTER:
		case OPT_REPLACE:
			flags = c == OPT_BEFORE ? META_PROG_F_BEFORE :
				c == OPT_AFTER ? META_PROG_F_AFTER :
				META_PROG_F_REPLACE;
			ret = parse_u32("program id", optarg, &rel);
			if (ret)
				return ret;
			if (!rel)
				return usage("program ids start at 1");
			where++;
			break;
		case OPT_EXPECTED_REV:
			ret = parse_revision(optarg, &expected);
			if (ret)
				return ret;
			break;
		case OPT_PIN_MAPS:
			maps = optarg;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return opt_error(c, argv);
		}
	}
	positional(&a, argc, argv);
	if (a.npos != 2)
		return usage("attach needs DEV and OBJ");
	if (prog && sec)
		return usage("--prog and --sec exclude each other");
	if (where > 1)
		return usage("only one of --first, --before, --after, --replace");
	ret = check_dev(a.pos[0]);
	if (ret)
		return ret;

	ret = load_obj(a.pos[1], prog, sec, maps, &obj);
	if (ret)
		return ret;
	ret = open_nl(&nl);
	if (ret)
		goto out_obj;
	if (meta_prog_attach_rev(nl, a.pos[0], meta_bpf_prog_fd(obj), dir,
				 flags, rel, expected)) {
		ret = fail(EXIT_KERNEL);
	} else {
		printf("%u\n", meta_bpf_prog_id(obj));
		if (verbose)
			fprintf(stderr, "attached %s (id %u) to %s, %s\n",
				meta_bpf_prog_name(obj), meta_bpf_prog_id(obj),
				a.pos[0], meta_dir_name(dir));
	}
	meta_nl_close(nl);
out_obj:
	/* The kernel holds its own reference to an attached program. */
	meta_bpf_close(obj);
	return ret;
}

static int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "id", required_argument, NULL, OPT_ID },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "expected-revision", required_argument, NULL, OPT_EXPECTED_REV },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int dir = -1, c, ret, err;
	__u64 expected = 0;
	bool all = false;
	struct meta_nl *nl;
	struct args a = {};
	__u32 id = 0;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_DIR:
			ret = parse_dir(optarg, &dir);
			if (ret)
				return ret;
			break;
		case OPT_ID:
			ret = parse_u32("program id", optarg, &id);
			if (ret)
				return ret;
			break;
		case OPT_ALL:
			all = true;
			break;
		case OPT_EXPECTED_REV:
			ret = parse_revision(optarg, &expected);
			if (ret)
				return ret;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return opt_error(c, argv);
		}
	}
	positional(&a, argc, argv);
	if (a.npos != 1)
		return usage("detach needs DEV");
	if (dir < 0)
		return usage("detach needs --dir primary|peer");
	if (all == !!id)
		return usage("detach needs one of --id ID and --all");
	ret = check_dev(a.pos[0]);
	if (ret)
		return ret;

	ret = open_nl(&nl);
	if (ret)
		return ret;
	err = meta_prog_detach_rev(nl, a.pos[0], dir, all ? 0 : id, expected);
	meta_nl_close(nl);
	return err ? fail(EXIT_KERNEL) : 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "ids", no_argument, NULL, OPT_IDS },
		{ "revision", no_argument, NULL, OPT_REVISION },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct meta_link_info info;
	int dir = -1, c, ret, d;
	bool ids = false, rev = false;
	char name[128];
	struct meta_nl *nl;
	struct args a = {};
	unsigned int i, n;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_DIR:
			ret = parse_dir(optarg, &dir);
			if (ret)
				return ret;
			break;
		case OPT_IDS:
			ids = true;
			break;
		case OPT_REVISION:
			rev = true;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return opt_error(c, argv);
		}
	}
	positional(&a, argc, argv);
	if (a.npos != 1)
		return usage("list needs DEV");
	if (ids && rev)
		return usage("--ids and --revision exclude each other");
	if ((ids || rev) && dir < 0)
		return usage("--%s needs --dir primary|peer", ids ? "ids" : "revision");
	ret = check_dev(a.pos[0]);
	if (ret)
		return ret;

	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = meta_link_query(nl, a.pos[0], &info);
	meta_nl_close(nl);
	if (ret)
		return fail(EXIT_KERNEL);
	if (rev) {
		if (!info.revision[dir]) {
			fprintf(stderr, "metactl: %s reports no revision (the peer end, or an older meta.ko)\n",
				a.pos[0]);
			return EXIT_KERNEL;
		}
		printf("%llu\n", (unsigned long long)info.revision[dir]);
		return 0;
	}

	for (d = META_PROG_DIR_PRIMARY; d <= META_PROG_DIR_PEER; d++) {
		if (dir >= 0 && d != dir)
			continue;
		n = info.nprogs[d];
		if (n > META_PROG_MAX)
			n = META_PROG_MAX;
		for (i = 0; i < n; i++) {
			if (ids) {
				printf("%s%u", i ? " " : "", info.progs[d][i]);
				continue;
			}
			/* A program can go away between dump and lookup. */
			if (meta_prog_name_by_id(info.progs[d][i], name,
						 sizeof(name)))
				snprintf(name, sizeof(name), "-");
			printf("%s %u %s\n", meta_dir_name(d), info.progs[d][i],
			       name);
		}
		if (ids)
			putchar('\n');
	}
	return 0;
}

/* ---- pair ---------------------------------------------------------------- */

static int parse_keyword(const char *what, const char *s, const char *a,
			 int va, const char *b, int vb, int *val)
{
	if (!strcmp(s, a))
		*val = va;
	else if (!strcmp(s, b))
		*val = vb;
	else
		return usage("bad %s '%s' (%s or %s)", what, s, a, b);
	return 0;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return usage("bad MAC address '%s'", s);
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return usage("bad MAC address '%s'", s);
		mac[i] = b[i];
	}
	return 0;
}

static int cmd_pair(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "peer", required_argument, NULL, OPT_PEER },
		{ "peer-netns", required_argument, NULL, OPT_PEER_NETNS },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "peer-policy", required_argument, NULL, OPT_PEER_POLICY },
		{ "scrub", required_argument, NULL, OPT_SCRUB },
		{ "peer-scrub", required_argument, NULL, OPT_PEER_SCRUB },
		{ "headroom", required_argument, NULL, OPT_HEADROOM },
		{ "tailroom", required_argument, NULL, OPT_TAILROOM },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "peer-mtu", required_argument, NULL, OPT_PEER_MTU },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "peer-address", required_argument, NULL, OPT_PEER_ADDRESS },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned char mac[6], peer_mac[6];
	struct meta_pair_opts o;
	bool create_only = false;
	struct meta_nl *nl;
	struct args a = {};
	unsigned long v;
	int c, ret, err;

	meta_pair_opts_init(&o);
	while ((c = next_opt(argc, argv, opts)) != -1) {
		ret = 0;
		if (c != OPT_POLICY && c != OPT_PEER_POLICY && c != 'h')
			create_only = true;
		switch (c) {
		case OPT_PEER:
			ret = check_dev(optarg);
			if (ret)
				return ret;
			o.peer_name = optarg;
			break;
		case OPT_PEER_NETNS:
			o.peer_netns = optarg;
			break;
		case OPT_MODE:
			ret = parse_keyword("mode", optarg, "l3", META_MODE_L3,
					    "l2", META_MODE_L2, &o.mode);
			break;
		case OPT_POLICY:
		case OPT_PEER_POLICY:
			ret = parse_keyword("policy", optarg, "forward",
					    META_POLICY_FORWARD, "blackhole",
					    META_POLICY_BLACKHOLE,
					    c == OPT_POLICY ? &o.policy :
					    &o.peer_policy);
			break;
		case OPT_SCRUB:
		case OPT_PEER_SCRUB:
			ret = parse_keyword("scrub", optarg, "default",
					    META_SCRUB_DEFAULT, "none",
					    META_SCRUB_NONE,
					    c == OPT_SCRUB ? &o.scrub :
					    &o.peer_scrub);
			break;
		case OPT_HEADROOM:
		case OPT_TAILROOM:
			if (!parse_ulong(optarg, 0xffff, &v))
				return usage("bad %s '%s' (0 to 65535)",
					     c == OPT_HEADROOM ? "headroom" :
					     "tailroom", optarg);
			*(c == OPT_HEADROOM ? &o.headroom : &o.tailroom) = v;
			break;
		case OPT_MTU:
		case OPT_PEER_MTU:
			if (!parse_ulong(optarg, INT32_MAX, &v) || !v)
				return usage("bad MTU '%s'", optarg);
			*(c == OPT_MTU ? &o.mtu : &o.peer_mtu) = v;
			break;
		case OPT_ADDRESS:
			ret = parse_mac(optarg, mac);
			o.address = mac;
			break;
		case OPT_PEER_ADDRESS:
			ret = parse_mac(optarg, peer_mac);
			o.peer_address = peer_mac;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return opt_error(c, argv);
		}
		if (ret)
			return ret;
	}
	positional(&a, argc, argv);
	if (a.npos != 2)
		return usage("pair needs add|del|set and a device name");
	ret = check_dev(a.pos[1]);
	if (ret)
		return ret;

	if (!strcmp(a.pos[0], "add")) {
		o.name = a.pos[1];
		ret = open_nl(&nl);
		if (ret)
			return ret;
		err = meta_pair_create(nl, &o);
	} else if (!strcmp(a.pos[0], "del")) {
		if (create_only || o.policy != META_UNSET ||
		    o.peer_policy != META_UNSET)
			return usage("pair del takes no options");
		ret = open_nl(&nl);
		if (ret)
			return ret;
		err = meta_pair_delete(nl, a.pos[1]);
	} else if (!strcmp(a.pos[0], "set")) {
		if (create_only)
			return usage("pair set only changes --policy and --peer-policy");
		if (o.policy == META_UNSET && o.peer_policy == META_UNSET)
			return usage("pair set needs --policy or --peer-policy");
		ret = open_nl(&nl);
		if (ret)
			return ret;
		err = meta_set_policy(nl, a.pos[1], o.policy, o.peer_policy);
	} else {
		return usage("unknown pair command '%s' (add, del, set)",
			     a.pos[0]);
	}
	meta_nl_close(nl);
	/* Only a missing namespace fails before the kernel is asked. */
	if (err)
		return fail(o.peer_netns && err == -ENOENT ? EXIT_SYSTEM :
			    EXIT_KERNEL);
	return 0;
}

/* ---- tc ------------------------------------------------------------------ */

static int cmd_tc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prog", required_argument, NULL, OPT_PROG },
		{ "sec", required_argument, NULL, OPT_SEC },
		{ "pin-maps", required_argument, NULL, OPT_PIN_MAPS },
		{ "tc-mode", required_argument, NULL, OPT_TC_MODE },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *prog = NULL, *sec = NULL, *maps = pin_dir;
	__u32 ifindex, tcx_prog, tcx_link, cls_prog;
	int c, ret, err, mode = META_TC_AUTO, used;
	const char *cmd;
	struct meta_bpf *obj;
	struct args a = {};
	bool egress;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case OPT_PROG:
			prog = optarg;
			break;
		case OPT_SEC:
			sec = optarg;
			break;
		case OPT_PIN_MAPS:
			maps = optarg;
			break;
		case OPT_TC_MODE:
			mode = meta_tc_mode_parse(optarg);
			if (mode < 0)
				return usage("bad --tc-mode '%s' (auto, tcx or clsact)",
					     optarg);
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return opt_error(c, argv);
		}
	}
	positional(&a, argc, argv);
	cmd = a.npos ? a.pos[0] : "";
	if (strcmp(cmd, "attach") && strcmp(cmd, "detach") &&
	    strcmp(cmd, "show"))
		return usage("tc needs attach, detach or show");
	if (!strcmp(cmd, "attach") ? a.npos != 4 : a.npos != 3)
		return usage(!strcmp(cmd, "attach") ?
			     "tc attach needs DEV, ingress|egress and OBJ" :
			     "tc %s needs DEV and ingress|egress", cmd);
	if (prog && sec)
		return usage("--prog and --sec exclude each other");
	if (!strcmp(a.pos[2], "ingress"))
		egress = false;
	else if (!strcmp(a.pos[2], "egress"))
		egress = true;
	else
		return usage("bad tc hook '%s' (ingress or egress)", a.pos[2]);
	ret = check_dev(a.pos[1]);
	if (!ret)
		ret = parse_ifindex(a.pos[1], &ifindex);
	if (ret)
		return ret;

	if (!strcmp(cmd, "detach")) {
		err = meta_tc_detach(ifindex, egress);
		if (err) {
			err_msg("tc detach from %s %s: %s", a.pos[1], a.pos[2],
				meta_tc_last_error());
			return EXIT_KERNEL;
		}
		return 0;
	}
	if (!strcmp(cmd, "show")) {
		err = meta_tc_query(ifindex, egress, &tcx_prog, &tcx_link,
				    &cls_prog);
		if (err) {
			err_msg("tc show %s %s: %s", a.pos[1], a.pos[2],
				meta_tc_last_error());
			return EXIT_KERNEL;
		}
		if (tcx_prog)
			printf("tcx %u link %u\n", tcx_prog, tcx_link);
		if (cls_prog)
			printf("clsact %u\n", cls_prog);
		return 0;
	}

	ret = load_obj(a.pos[3], prog, sec, maps, &obj);
	if (ret)
		return ret;
	err = meta_tc_attach(ifindex, egress, meta_bpf_prog_fd(obj), mode,
			     &used);
	if (err) {
		err_msg("tc attach to %s %s: %s", a.pos[1], a.pos[2],
			meta_tc_last_error());
		ret = EXIT_KERNEL;
	} else {
		if (verbose)
			fprintf(stderr, "%s: attached to %s %s with %s\n",
				prog_name, a.pos[1], a.pos[2],
				meta_tc_mode_name(used));
		printf("%u\n", meta_bpf_prog_id(obj));
	}
	meta_bpf_close(obj);
	return ret;
}

/* ---- maps ---------------------------------------------------------------- */

static int cmd_pod(int argc, char **argv)
{
	struct meta_pod_key key, next, *prev = NULL;
	struct meta_pod pod;
	char addr[INET6_ADDRSTRLEN];
	__u32 ifindex;
	int fd, ret;

	if (argc >= 2 && !strcmp(argv[1], "add")) {
		if (argc != 4)
			return usage("pod add needs ADDR and DEV|IFINDEX");
		ret = parse_ifindex(argv[3], &ifindex);
		if (ret)
			return ret;
		if (meta_pod_key_parse(argv[2], &key))
			return usage("%s", meta_last_error());
		return meta_pod_add(pin_dir, argv[2], ifindex) ?
		       fail(EXIT_BPF) : 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "del")) {
		if (argc != 3)
			return usage("pod del needs ADDR");
		if (meta_pod_key_parse(argv[2], &key))
			return usage("%s", meta_last_error());
		return meta_pod_del(pin_dir, argv[2]) ? fail(EXIT_BPF) : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		fd = meta_map_open(pin_dir, META_MAP_PODS);
		if (fd < 0)
			return fail(EXIT_BPF);
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, &pod))
				continue;	/* deleted meanwhile */
			meta_pod_key_format(&key, addr, sizeof(addr));
			printf("%s %u\n", addr, pod.ifindex);
		}
		close(fd);
		return 0;
	}
	return usage("pod needs add ADDR DEV|IFINDEX, del ADDR or list");
}

static int cmd_stack(int argc, char **argv)
{
	struct meta_stack_cfg cfg;
	char txt[64];
	__u32 i;
	int a, err = 0;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		if (meta_stack_get(pin_dir, &cfg))
			return fail(EXIT_BPF);
		for (i = 0; i < cfg.n && i < META_STACK_MAX; i++)
			if (!meta_stack_format(&cfg.nets[i], txt, sizeof(txt)))
				printf("%s %s\n", txt,
				       cfg.nets[i].via_stack ? "via" : "fast");
		return 0;
	}
	if (argc < 3 || (strcmp(argv[1], "via") && strcmp(argv[1], "fast") &&
			 strcmp(argv[1], "del")))
		return usage("stack needs via CIDR..., fast CIDR..., del CIDR... or list");
	for (a = 2; a < argc && !err; a++) {
		if (!strcmp(argv[1], "del"))
			err = meta_stack_del(pin_dir, argv[a]);
		else
			err = meta_stack_set(pin_dir, argv[a],
					     !strcmp(argv[1], "via"));
	}
	if (err == -EINVAL)
		return usage("%s", meta_last_error());
	return err ? fail(EXIT_BPF) : 0;
}

static int cmd_target(int argc, char **argv)
{
	__u32 ifindex;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "set")) {
		ret = parse_ifindex(argv[2], &ifindex);
		if (ret)
			return ret;
		return meta_target_set(pin_dir, ifindex) ? fail(EXIT_BPF) : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "show")) {
		if (meta_target_get(pin_dir, &ifindex))
			return fail(EXIT_BPF);
		printf("%u\n", ifindex);
		return 0;
	}
	return usage("target needs set DEV|IFINDEX or show");
}

static int cmp_u16(const void *a, const void *b)
{
	return *(const __u16 *)a - *(const __u16 *)b;
}

static int cmd_port(int argc, char **argv)
{
	__u16 ports[META_DENY_PORTS_MAX], key, *prev = NULL;
	unsigned long port;
	int i, n = 0, fd;
	bool deny;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		fd = meta_map_open(pin_dir, META_MAP_DENY_PORTS);
		if (fd < 0)
			return fail(EXIT_BPF);
		while (n < META_DENY_PORTS_MAX &&
		       !bpf_map_get_next_key(fd, prev, &key)) {
			ports[n] = key;
			prev = &ports[n++];
		}
		close(fd);
		qsort(ports, n, sizeof(ports[0]), cmp_u16);
		for (i = 0; i < n; i++)
			printf("%u\n", ports[i]);
		return 0;
	}
	if (argc < 3 || (strcmp(argv[1], "deny") && strcmp(argv[1], "allow")))
		return usage("port needs deny PORT..., allow PORT... or list");
	deny = !strcmp(argv[1], "deny");
	for (i = 2; i < argc; i++)
		if (!parse_ulong(argv[i], 0xffff, &port))
			return usage("bad port '%s' (0 to 65535)", argv[i]);
	for (i = 2; i < argc; i++) {
		parse_ulong(argv[i], 0xffff, &port);
		if (deny ? meta_port_deny(pin_dir, port) :
			   meta_port_allow(pin_dir, port))
			return fail(EXIT_BPF);
	}
	return 0;
}

static int cmd_mark(int argc, char **argv)
{
	__u32 mark = 0, prio = 0;
	struct meta_mark m;
	int ret;

	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "set")) {
		ret = parse_u32("mark", argv[2], &mark);
		if (!ret && argc == 4)
			ret = parse_u32("priority", argv[3], &prio);
		if (ret)
			return ret;
		return meta_mark_set(pin_dir, mark, prio) ? fail(EXIT_BPF) : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "show")) {
		if (meta_mark_get(pin_dir, &m))
			return fail(EXIT_BPF);
		printf("mark %u priority %u\n", m.mark, m.priority);
		return 0;
	}
	return usage("mark needs set MARK [PRIORITY] or show");
}

static int cmd_observed(int argc, char **argv)
{
	struct meta_observed o;

	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "show"))) {
		if (meta_observed_get(pin_dir, &o))
			return fail(EXIT_BPF);
		printf("packets %llu marked %llu prioritized %llu ",
		       (unsigned long long)o.packets,
		       (unsigned long long)o.marked,
		       (unsigned long long)o.prioritized);
		printf("last_mark %u last_priority %u mark %u priority %u\n",
		       o.last_mark, o.last_priority, o.mark, o.priority);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "reset"))
		return meta_observed_reset(pin_dir) ? fail(EXIT_BPF) : 0;
	return usage("observed needs show or reset");
}

static int cmd_count(int argc, char **argv)
{
	__u64 n;

	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "show"))) {
		if (meta_count_get(pin_dir, &n))
			return fail(EXIT_BPF);
		printf("%llu\n", (unsigned long long)n);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "reset"))
		return meta_count_reset(pin_dir) ? fail(EXIT_BPF) : 0;
	return usage("count needs show or reset");
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool getopt;	/* parses options itself; else plain words */
} cmds[] = {
	{ "attach", cmd_attach, true },
	{ "detach", cmd_detach, true },
	{ "list", cmd_list, true },
	{ "pair", cmd_pair, true },
	{ "tc", cmd_tc, true },
	{ "pod", cmd_pod, false },
	{ "stack", cmd_stack, false },
	{ "target", cmd_target, false },
	{ "port", cmd_port, false },
	{ "mark", cmd_mark, false },
	{ "observed", cmd_observed, false },
	{ "count", cmd_count, false },
};

static int enter_netns(const char *netns)
{
	int fd;

	fd = meta_netns_open(netns);
	if (fd < 0)
		return fail(EXIT_SYSTEM);
	if (setns(fd, CLONE_NEWNET) < 0) {
		err_msg("enter network namespace %s: %s", netns,
			strerror(errno));
		close(fd);
		return EXIT_SYSTEM;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "pin", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *netns = NULL;
	unsigned int i;
	int c, ret;

	/* "+": stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+:n:p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			netns = optarg;
			break;
		case 'p':
			pin_dir = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(help_text, stdout);
			return 0;
		default:
			return opt_error(c, argv);
		}
	}
	if (optind >= argc)
		return usage("no command given");
	libbpf_set_print(libbpf_print);
	/* An empty name is the current namespace: handy in scripts. */
	if (netns && *netns) {
		ret = enter_netns(netns);
		if (ret)
			return ret;
	}

	argc -= optind;
	argv += optind;
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[0], cmds[i].name))
			continue;
		if (cmds[i].getopt) {
			/* 0 makes glibc start afresh on the new argv. */
			optind = 0;
			return cmds[i].fn(argc, argv);
		}
		if (argc > 1 && (!strcmp(argv[1], "-h") ||
				 !strcmp(argv[1], "--help"))) {
			fputs(help_text, stdout);
			return 0;
		}
		return cmds[i].fn(argc, argv);
	}
	return usage("unknown command '%s'", argv[0]);
}

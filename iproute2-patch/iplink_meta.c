/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * meta link type: a BPF-programmable network device pair
 *
 * The attributes and values come from the meta module's uapi header,
 * include/uapi/linux/if_meta.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_meta.h>

#include "bpf_util.h"
#include "utils.h"
#include "ip_common.h"

/* Room for the request, as the other link types with a peer assume. */
#define META_REQ_MAX	1024

static const char * const meta_mode_names[] = {
	[META_MODE_L3]		= "l3",
	[META_MODE_L2]		= "l2",
};

static const char * const meta_policy_names[] = {
	[META_POLICY_FORWARD]	= "forward",
	[META_POLICY_BLACKHOLE]	= "blackhole",
};

static const char * const meta_scrub_names[] = {
	[META_SCRUB_NONE]	= "none",
	[META_SCRUB_DEFAULT]	= "default",
};

static const char * const meta_dir_names[] = {
	[META_PROG_DIR_PRIMARY]	= "primary",
	[META_PROG_DIR_PEER]	= "peer",
};

/* "bpf ..." of "ip link set": the program to attach and where. */
struct meta_attach {
	bool seen;
	bool pinned;		/* object is a pinned program's path */
	const char *object;
	const char *section;
	const char *prog_name;
	bool verbose;
	bool seen_dir;
	__u32 dir;
	bool seen_pos;
	__u32 flags;		/* META_PROG_F_BEFORE/AFTER/REPLACE */
	__u32 relative_id;	/* 0: none */
	__u64 expected_rev;	/* 0: any */
	int fd;
};

/* "detach ..." of "ip link set". */
struct meta_detach {
	bool seen;
	bool seen_dir;
	__u32 dir;
	bool all;
	__u32 id;		/* 0: none */
	__u64 expected_rev;	/* 0: any */
};

static void explain(struct link_util *lu, FILE *f)
{
	fprintf(f,
		"Usage: ... %s [ mode MODE ] [ POLICY ] [ scrub SCRUB ]\n"
		"\t\t[ headroom BYTES ] [ tailroom BYTES ]\n"
		"\t\t[ peer [ POLICY ] [ scrub SCRUB ] [ <options> ] ]\n"
		"\n"
		"Usage: ip link set DEV type %s [ POLICY ] [ peer POLICY ]\n"
		"\t\t[ bpf PROG [ dir DIR ] [ POSITION ] [ expected_revision REV ] ]\n"
		"\t\t[ detach [ dir DIR ] { id ID | all } [ expected_revision REV ] ]\n"
		"\n"
		"MODE := l3 | l2\n"
		"POLICY := forward | blackhole\n"
		"SCRUB := default | none\n"
		"BYTES := 0-65535\n"
		"PROG := { [ obj ] OBJECT [ sec SECTION ] [ program NAME ] [ verbose ] |\n"
		"\t  pinned PATH }\n"
		"DIR := peer | primary\n"
		"POSITION := last | first | before ID | after ID | replace ID\n"
		"ID := a BPF program id, as in \"ip -d link show\"\n"
		"REV := a direction's revision (primary_revision, peer_revision in\n"
		"\t\"ip -d link show\"): the change is refused unless it is current\n"
		"(first values are the defaults if nothing is specified)\n"
		"\n"
		"Mode, scrub, headroom and tailroom are fixed at creation. \"ip link set\"\n"
		"on the primary device changes the policies and attaches or detaches\n"
		"BPF programs (type sched_cls, default section \"classifier\"), one\n"
		"attach or one detach per command. \"dir peer\" (the default) runs the\n"
		"program on what the peer (pod) transmits, \"dir primary\" on what the\n"
		"primary (host) transmits into the pod. Programs of a direction run in\n"
		"order; a new one runs last unless POSITION says otherwise. A POLICY\n"
		"applies while no program is attached to that end.\n"
		"\n"
		"To get <options> type 'ip link add help'.\n",
		lu->id, lu->id);
}

/* Index of @word in @names, or -1. */
static int meta_lookup(const char * const *names, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], word) == 0)
			return i;
	return -1;
}

static int meta_parse_policy(const char *word)
{
	return meta_lookup(meta_policy_names, ARRAY_SIZE(meta_policy_names),
			   word);
}

static __u16 meta_parse_room(const char *key, const char *arg)
{
	__u16 val;

	if (get_u16(&val, arg, 0)) {
		fprintf(stderr,
			"Error: argument \"%s\" is wrong: \"%s\" must be a number of bytes between 0 and 65535\n",
			arg, key);
		exit(-1);
	}
	return val;
}

static __u32 meta_parse_dir(const char *arg)
{
	int val = meta_lookup(meta_dir_names, ARRAY_SIZE(meta_dir_names), arg);

	if (val < 0)
		invarg("dir must be \"peer\" or \"primary\"", arg);
	return val;
}

static __u64 meta_parse_rev(const char *arg)
{
	__u64 rev;

	if (get_u64(&rev, arg, 0) || rev == 0) {
		fprintf(stderr,
			"Error: argument \"%s\" is wrong: \"expected_revision\" must be a revision (1 or more)\n",
			arg);
		exit(-1);
	}
	return rev;
}

static __u32 meta_parse_id(const char *key, const char *arg)
{
	__u32 id;

	if (get_u32(&id, arg, 0) || id == 0) {
		fprintf(stderr,
			"Error: argument \"%s\" is wrong: \"%s\" must be a BPF program id (1-4294967295)\n",
			arg, key);
		exit(-1);
	}
	return id;
}

/*
 * "bpf PROG [ dir DIR ] [ POSITION ]", argv at "bpf". The options after
 * the object may come in any order; the first other word ends the clause.
 * On return argv is at the last word consumed.
 */
static void meta_parse_bpf(int *argcp, char ***argvp, struct meta_attach *a)
{
	int argc = *argcp;
	char **argv = *argvp;

	if (a->seen)
		duparg("bpf", argc > 1 ? argv[1] : *argv);
	a->seen = true;
	a->dir = META_PROG_DIR_PEER;

	NEXT_ARG();
	if (strcmp(*argv, "pinned") == 0) {
		a->pinned = true;
		NEXT_ARG();
	} else if (strcmp(*argv, "obj") == 0) {
		NEXT_ARG();
	}
	a->object = *argv;

	while (NEXT_ARG_OK()) {
		NEXT_ARG_FWD();
		if (strcmp(*argv, "sec") == 0 ||
		    strcmp(*argv, "section") == 0 ||
		    strcmp(*argv, "program") == 0 ||
		    strcmp(*argv, "verbose") == 0) {
			const char *key = *argv;

			if (a->pinned) {
				fprintf(stderr,
					"Error: \"%s\" is only valid with an object file, not with \"pinned\"\n",
					key);
				exit(-1);
			}
			if (strcmp(key, "verbose") == 0) {
				a->verbose = true;
				continue;
			}
			NEXT_ARG();
			if (key[0] == 's') {
				if (a->section)
					duparg("sec", *argv);
				a->section = *argv;
			} else {
				if (a->prog_name)
					duparg("program", *argv);
				a->prog_name = *argv;
			}
		} else if (strcmp(*argv, "dir") == 0) {
			NEXT_ARG();
			if (a->seen_dir)
				duparg("dir", *argv);
			a->seen_dir = true;
			a->dir = meta_parse_dir(*argv);
		} else if (strcmp(*argv, "first") == 0 ||
			   strcmp(*argv, "last") == 0) {
			if (a->seen_pos)
				duparg("position", *argv);
			a->seen_pos = true;
			a->flags = **argv == 'f' ? META_PROG_F_BEFORE :
						   META_PROG_F_AFTER;
		} else if (strcmp(*argv, "before") == 0 ||
			   strcmp(*argv, "after") == 0 ||
			   strcmp(*argv, "replace") == 0) {
			const char *key = *argv;

			if (a->seen_pos)
				duparg("position", *argv);
			a->seen_pos = true;
			a->flags = key[0] == 'b' ? META_PROG_F_BEFORE :
				   key[0] == 'a' ? META_PROG_F_AFTER :
						   META_PROG_F_REPLACE;
			NEXT_ARG();
			a->relative_id = meta_parse_id(key, *argv);
		} else if (strcmp(*argv, "expected_revision") == 0) {
			NEXT_ARG();
			if (a->expected_rev)
				duparg("expected_revision", *argv);
			a->expected_rev = meta_parse_rev(*argv);
		} else {
			PREV_ARG();
			break;
		}
	}
	*argcp = argc;
	*argvp = argv;
}

/* "detach [ dir DIR ] { id ID | all }", argv at "detach". */
static void meta_parse_detach(int *argcp, char ***argvp, struct meta_detach *d)
{
	int argc = *argcp;
	char **argv = *argvp;

	if (d->seen)
		duparg("detach", argc > 1 ? argv[1] : *argv);
	d->seen = true;
	d->dir = META_PROG_DIR_PEER;

	while (NEXT_ARG_OK()) {
		NEXT_ARG_FWD();
		if (strcmp(*argv, "dir") == 0) {
			NEXT_ARG();
			if (d->seen_dir)
				duparg("dir", *argv);
			d->seen_dir = true;
			d->dir = meta_parse_dir(*argv);
		} else if (strcmp(*argv, "id") == 0 ||
			   strcmp(*argv, "all") == 0) {
			if (d->id || d->all) {
				fprintf(stderr,
					"Error: \"detach\" takes one of \"id ID\" and \"all\"\n");
				exit(-1);
			}
			if (**argv == 'a') {
				d->all = true;
			} else {
				NEXT_ARG();
				d->id = meta_parse_id("id", *argv);
			}
		} else if (strcmp(*argv, "expected_revision") == 0) {
			NEXT_ARG();
			if (d->expected_rev)
				duparg("expected_revision", *argv);
			d->expected_rev = meta_parse_rev(*argv);
		} else {
			PREV_ARG();
			break;
		}
	}
	if (!d->id && !d->all) {
		fprintf(stderr,
			"Error: \"detach\" needs \"id ID\" or \"all\"\n");
		exit(-1);
	}
	*argcp = argc;
	*argvp = argv;
}

static void meta_ebpf_cb(void *raw, int fd, const char *annotation)
{
	struct meta_attach *a = raw;

	(void)annotation;	/* the loader's description of the program */
	a->fd = fd;
}

static const struct bpf_cfg_ops meta_bpf_ops = {
	.ebpf_cb = meta_ebpf_cb,
};

/*
 * Load the program with iproute2's BPF loader, as "tc filter ... bpf" and
 * "ip link set ... xdp" do, and add IFLA_META_PROG_ATTACH with its fd.
 * The fd stays open until the request has been sent.
 */
static int meta_add_attach(struct link_util *lu, struct meta_attach *a,
			   struct nlmsghdr *n)
{
	struct bpf_cfg_in cfg = {
		.type = BPF_PROG_TYPE_SCHED_CLS,
	};
	char *args[8];
	struct rtattr *nest;
	int i = 0;

	args[i++] = a->pinned ? "pinned" : "obj";
	args[i++] = (char *)a->object;
	if (a->section) {
		args[i++] = "section";
		args[i++] = (char *)a->section;
	}
	if (a->prog_name) {
		args[i++] = "program";
		args[i++] = (char *)a->prog_name;
	}
	if (a->verbose)
		args[i++] = "verbose";
	cfg.argc = i;
	cfg.argv = args;

	a->fd = -1;
	if (bpf_parse_and_load_common(&cfg, &meta_bpf_ops, a) || a->fd < 0) {
		/* The loader has said why; for "pinned" it named the path. */
		if (!a->pinned)
			fprintf(stderr,
				"%s: cannot load BPF program from \"%s\"\n",
				lu->id, a->object);
		return -1;
	}

	nest = addattr_nest(n, META_REQ_MAX,
			    IFLA_META_PROG_ATTACH | NLA_F_NESTED);
	addattr32(n, META_REQ_MAX, IFLA_META_PROG_FD, a->fd);
	addattr32(n, META_REQ_MAX, IFLA_META_PROG_DIR, a->dir);
	if (a->flags)
		addattr32(n, META_REQ_MAX, IFLA_META_PROG_FLAGS, a->flags);
	if (a->relative_id)
		addattr32(n, META_REQ_MAX, IFLA_META_PROG_RELATIVE_ID,
			  a->relative_id);
	if (a->expected_rev)
		addattr64(n, META_REQ_MAX, IFLA_META_PROG_EXPECTED_REVISION,
			  a->expected_rev);
	addattr_nest_end(n, nest);
	return 0;
}

static void meta_add_detach(struct meta_detach *d, struct nlmsghdr *n)
{
	struct rtattr *nest;

	nest = addattr_nest(n, META_REQ_MAX,
			    IFLA_META_PROG_DETACH | NLA_F_NESTED);
	addattr32(n, META_REQ_MAX, IFLA_META_PROG_DIR, d->dir);
	if (d->all)
		addattr32(n, META_REQ_MAX, IFLA_META_PROG_FLAGS,
			  META_PROG_F_ALL);
	else
		addattr32(n, META_REQ_MAX, IFLA_META_PROG_ID, d->id);
	if (d->expected_rev)
		addattr64(n, META_REQ_MAX, IFLA_META_PROG_EXPECTED_REVISION,
			  d->expected_rev);
	addattr_nest_end(n, nest);
}

/*
 * The rest of the arguments describes the peer device: an ifinfomsg
 * followed by IFLA_* attributes in IFLA_META_PEER_INFO. The generic code
 * parses them into the request's own ifinfomsg, which is saved and
 * restored around it.
 */
static int meta_parse_peer(struct link_util *lu, int argc, char **argv,
			   struct nlmsghdr *n)
{
	struct ifinfomsg *ifm = NLMSG_DATA(n);
	struct ifinfomsg *peer_ifm;
	__u32 ifi_flags, ifi_change;
	struct rtattr *data;
	char *type = NULL;
	int ifi_index;
	int err;

	ifi_flags = ifm->ifi_flags;
	ifi_change = ifm->ifi_change;
	ifi_index = ifm->ifi_index;
	ifm->ifi_flags = 0;
	ifm->ifi_change = 0;
	ifm->ifi_index = 0;

	data = addattr_nest(n, META_REQ_MAX, IFLA_META_PEER_INFO);
	if (NLMSG_ALIGN(n->nlmsg_len) + sizeof(*peer_ifm) > META_REQ_MAX) {
		fprintf(stderr, "%s: message too long\n", lu->id);
		return -1;
	}
	peer_ifm = RTA_DATA(data);
	memset(peer_ifm, 0, sizeof(*peer_ifm));
	n->nlmsg_len += sizeof(*peer_ifm);

	err = iplink_parse(argc, argv, (struct iplink_req *)n, &type);
	if (err < 0)
		return err;
	if (type)
		duparg("type", type);

	peer_ifm->ifi_index = ifm->ifi_index;
	peer_ifm->ifi_flags = ifm->ifi_flags;
	peer_ifm->ifi_change = ifm->ifi_change;
	addattr_nest_end(n, data);

	ifm->ifi_flags = ifi_flags;
	ifm->ifi_change = ifi_change;
	ifm->ifi_index = ifi_index;
	return 0;
}

static int meta_parse_opt(struct link_util *lu, int argc, char **argv,
			  struct nlmsghdr *n)
{
	bool create = n->nlmsg_flags & NLM_F_CREATE;
	bool seen_mode = false, seen_policy = false, seen_scrub = false;
	bool seen_headroom = false, seen_tailroom = false;
	bool seen_peer = false, seen_peer_policy = false, seen_peer_scrub = false;
	struct meta_attach attach = {};
	struct meta_detach detach = {};
	int val;

	while (argc > 0) {
		if (!seen_peer && strcmp(*argv, "mode") == 0) {
			NEXT_ARG();
			if (seen_mode)
				duparg("mode", *argv);
			seen_mode = true;
			val = meta_lookup(meta_mode_names,
					  ARRAY_SIZE(meta_mode_names), *argv);
			if (val < 0)
				invarg("mode must be \"l3\" or \"l2\"", *argv);
			addattr32(n, META_REQ_MAX, IFLA_META_MODE, val);
		} else if (meta_parse_policy(*argv) >= 0) {
			bool *seen = seen_peer ? &seen_peer_policy : &seen_policy;

			if (*seen)
				duparg(seen_peer ? "peer policy" : "policy",
				       *argv);
			*seen = true;
			addattr32(n, META_REQ_MAX,
				  seen_peer ? IFLA_META_PEER_POLICY :
					      IFLA_META_POLICY,
				  meta_parse_policy(*argv));
		} else if (strcmp(*argv, "scrub") == 0) {
			bool *seen = seen_peer ? &seen_peer_scrub : &seen_scrub;

			NEXT_ARG();
			if (*seen)
				duparg(seen_peer ? "peer scrub" : "scrub",
				       *argv);
			*seen = true;
			val = meta_lookup(meta_scrub_names,
					  ARRAY_SIZE(meta_scrub_names), *argv);
			if (val < 0)
				invarg("scrub must be \"default\" or \"none\"",
				       *argv);
			addattr32(n, META_REQ_MAX,
				  seen_peer ? IFLA_META_PEER_SCRUB :
					      IFLA_META_SCRUB,
				  val);
		} else if (!seen_peer && strcmp(*argv, "headroom") == 0) {
			NEXT_ARG();
			if (seen_headroom)
				duparg("headroom", *argv);
			seen_headroom = true;
			addattr16(n, META_REQ_MAX, IFLA_META_HEADROOM,
				  meta_parse_room("headroom", *argv));
		} else if (!seen_peer && strcmp(*argv, "tailroom") == 0) {
			NEXT_ARG();
			if (seen_tailroom)
				duparg("tailroom", *argv);
			seen_tailroom = true;
			addattr16(n, META_REQ_MAX, IFLA_META_TAILROOM,
				  meta_parse_room("tailroom", *argv));
		} else if ((!create || !seen_peer) &&
			   (strcmp(*argv, "bpf") == 0 ||
			    strcmp(*argv, "detach") == 0)) {
			/* Before "peer" of "ip link add" or anywhere in "set". */
			if (create) {
				fprintf(stderr,
					"Error: \"%s\" is only valid with \"ip link set\": programs are attached to an existing %s device\n",
					*argv, lu->id);
				return -1;
			}
			if (**argv == 'b')
				meta_parse_bpf(&argc, &argv, &attach);
			else
				meta_parse_detach(&argc, &argv, &detach);
		} else if (!seen_peer && strcmp(*argv, "help") == 0) {
			explain(lu, stderr);
			return -1;
		} else if (strcmp(*argv, "peer") == 0) {
			if (seen_peer)
				duparg("peer", argc > 1 ? argv[1] : *argv);
			seen_peer = true;
			if (!create) {
				/* Only the peer's policy can be changed. */
				NEXT_ARG();
				if (meta_parse_policy(*argv) < 0) {
					fprintf(stderr,
						"Error: argument \"%s\" is wrong: only \"forward\" or \"blackhole\" can follow \"peer\" when changing a %s device\n",
						*argv, lu->id);
					return -1;
				}
				PREV_ARG();
			}
		} else {
			break;
		}
		argc--;
		argv++;
	}
	if (argc > 0 && (!seen_peer || !create)) {
		fprintf(stderr, "%s: unknown option \"%s\"?\n", lu->id, *argv);
		explain(lu, stderr);
		return -1;
	}

	if (attach.seen && detach.seen) {
		fprintf(stderr,
			"Error: \"bpf\" and \"detach\" cannot be combined; use \"bpf PROG replace ID\" to swap programs\n");
		return -1;
	}
	/* Load last, once the whole command line is known to be good. */
	if (attach.seen && meta_add_attach(lu, &attach, n))
		return -1;
	if (detach.seen)
		meta_add_detach(&detach, n);

	if (argc == 0)
		return 0;
	return meta_parse_peer(lu, argc, argv, n);
}

/* Name of @val in @names, or "unknown(@val)" in @buf. */
static const char *meta_name(const char * const *names, size_t n, __u32 val,
			     char *buf, size_t len)
{
	if (val < n && names[val])
		return names[val];
	snprintf(buf, len, "unknown(%u)", val);
	return buf;
}

static void meta_print_u32(struct rtattr *attr, const char *key,
			   const char *fmt, const char * const *names,
			   size_t n)
{
	char buf[32];

	if (!attr || RTA_PAYLOAD(attr) < sizeof(__u32))
		return;
	print_string(PRINT_ANY, key, fmt,
		     meta_name(names, n, rta_getattr_u32(attr),
			       buf, sizeof(buf)));
}

static void meta_print_u16(struct rtattr *attr, const char *key,
			   const char *fmt)
{
	if (!attr || RTA_PAYLOAD(attr) < sizeof(__u16))
		return;
	print_uint(PRINT_ANY, key, fmt, rta_getattr_u16(attr));
}

static void meta_print_u64(struct rtattr *attr, const char *key,
			   const char *fmt)
{
	if (!attr || RTA_PAYLOAD(attr) < sizeof(__u64))
		return;
	print_u64(PRINT_ANY, key, fmt, rta_getattr_u64(attr));
}

/*
 * The ids of the programs attached in one direction, in run order:
 * "KEY 12,13 " or "KEY": [12,13]; nothing for an empty or missing list.
 */
static void meta_print_progs(struct rtattr *nest, const char *key)
{
	struct rtattr *attr;
	bool first = true;

	if (!nest)
		return;
	rtattr_for_each_nested(attr, nest) {
		if ((attr->rta_type & NLA_TYPE_MASK) != IFLA_META_PROG_ID ||
		    RTA_PAYLOAD(attr) < sizeof(__u32))
			continue;
		if (first) {
			print_string(PRINT_FP, NULL, "%s ", key);
			open_json_array(PRINT_JSON, key);
		}
		print_uint(PRINT_ANY, NULL, first ? "%u" : ",%u",
			   rta_getattr_u32(attr));
		first = false;
	}
	if (!first) {
		close_json_array(PRINT_JSON, NULL);
		print_string(PRINT_FP, NULL, "%s", " ");
	}
}

static void meta_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	/* The print_*() helpers write to ip's own stream (or JSON). */
	(void)lu;
	(void)f;
	if (!tb)
		return;

	meta_print_u32(tb[IFLA_META_MODE], "mode", "mode %s ",
		       meta_mode_names, ARRAY_SIZE(meta_mode_names));
	if (tb[IFLA_META_PRIMARY] &&
	    RTA_PAYLOAD(tb[IFLA_META_PRIMARY]) >= sizeof(__u8))
		print_string(PRINT_ANY, "type", "type %s ",
			     rta_getattr_u8(tb[IFLA_META_PRIMARY]) ?
			     "primary" : "peer");
	meta_print_u32(tb[IFLA_META_POLICY], "policy", "policy %s ",
		       meta_policy_names, ARRAY_SIZE(meta_policy_names));
	meta_print_u32(tb[IFLA_META_PEER_POLICY], "peer_policy",
		       "peer policy %s ",
		       meta_policy_names, ARRAY_SIZE(meta_policy_names));
	meta_print_u32(tb[IFLA_META_SCRUB], "scrub", "scrub %s ",
		       meta_scrub_names, ARRAY_SIZE(meta_scrub_names));
	meta_print_u32(tb[IFLA_META_PEER_SCRUB], "peer_scrub",
		       "peer scrub %s ",
		       meta_scrub_names, ARRAY_SIZE(meta_scrub_names));
	meta_print_u16(tb[IFLA_META_HEADROOM], "headroom", "headroom %u ");
	meta_print_u16(tb[IFLA_META_TAILROOM], "tailroom", "tailroom %u ");
	meta_print_progs(tb[IFLA_META_PRIMARY_PROGS], "primary_progs");
	meta_print_progs(tb[IFLA_META_PEER_PROGS], "peer_progs");
	meta_print_u64(tb[IFLA_META_PRIMARY_REVISION], "primary_revision",
		       "primary_revision %llu ");
	meta_print_u64(tb[IFLA_META_PEER_REVISION], "peer_revision",
		       "peer_revision %llu ");
}

static void meta_print_help(struct link_util *lu, int argc, char **argv,
			    FILE *f)
{
	(void)argc;
	(void)argv;
	explain(lu, f);
}

struct link_util meta_link_util = {
	.id		= "meta",
	.maxattr	= IFLA_META_MAX,
	.parse_opt	= meta_parse_opt,
	.print_opt	= meta_print_opt,
	.print_help	= meta_print_help,
};

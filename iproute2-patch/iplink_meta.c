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
#include <linux/if_link.h>
#include <linux/if_meta.h>

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

static void explain(struct link_util *lu, FILE *f)
{
	fprintf(f,
		"Usage: ... %s [ mode MODE ] [ POLICY ] [ scrub SCRUB ]\n"
		"\t\t[ headroom BYTES ] [ tailroom BYTES ]\n"
		"\t\t[ peer [ POLICY ] [ scrub SCRUB ] [ <options> ] ]\n"
		"\n"
		"MODE := l3 | l2\n"
		"POLICY := forward | blackhole\n"
		"SCRUB := default | none\n"
		"BYTES := 0-65535\n"
		"(first values are the defaults if nothing is specified)\n"
		"\n"
		"\"ip link set DEV type %s [ POLICY ] [ peer POLICY ]\" changes the\n"
		"policies of an existing pair; everything else is fixed at creation.\n"
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

	if (!(n->nlmsg_flags & NLM_F_CREATE)) {
		fprintf(stderr,
			"Error: argument \"%s\" is wrong: only \"forward\" or \"blackhole\" can follow \"peer\" when changing a %s device\n",
			*argv, lu->id);
		return -1;
	}

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
	bool seen_mode = false, seen_policy = false, seen_scrub = false;
	bool seen_headroom = false, seen_tailroom = false;
	bool seen_peer = false, seen_peer_policy = false, seen_peer_scrub = false;
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
		} else if (!seen_peer && strcmp(*argv, "help") == 0) {
			explain(lu, stderr);
			return -1;
		} else if (strcmp(*argv, "peer") == 0) {
			if (seen_peer)
				duparg("peer", argc > 1 ? argv[1] : *argv);
			seen_peer = true;
		} else {
			break;
		}
		argc--;
		argv++;
	}
	if (argc == 0)
		return 0;
	if (!seen_peer) {
		fprintf(stderr, "%s: unknown option \"%s\"?\n", lu->id, *argv);
		explain(lu, stderr);
		return -1;
	}
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

static void meta_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
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
}

static void meta_print_help(struct link_util *lu, int argc, char **argv,
			    FILE *f)
{
	explain(lu, f);
}

struct link_util meta_link_util = {
	.id		= "meta",
	.maxattr	= IFLA_META_MAX,
	.parse_opt	= meta_parse_opt,
	.print_opt	= meta_print_opt,
	.print_help	= meta_print_help,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * test_libmeta: libmeta's rtnetlink requests and its parsing of the
 * kernel's answers, against a fake kernel (no privileges, no meta.ko).
 *
 * Each request is rendered as text, attribute by attribute with the
 * numbers of include/uapi/linux/if_meta.h, and compared with what the ABI
 * says it must be; sizes and NLA_F_NESTED are checked on the way.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "libmeta.h"
#include "libmeta_priv.h"

/* ---- the fake kernel ----------------------------------------------------- */

struct fake {
	char req[4096];			/* the request, rendered */
	bool bad;			/* a size or flag was wrong */
	int calls;
	/* The answer. */
	int error;			/* negative errno, 0: ack */
	const char *extack;
	bool uncapped;			/* echo the request before the TLVs */
	bool stray;			/* first a reply to another request */
	int intr;			/* answers still marked DUMP_INTR */
	void (*data)(struct nlmsghdr *nlh, const struct nlmsghdr *req);
};

static void out(struct fake *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out(struct fake *f, const char *fmt, ...)
{
	size_t n = strlen(f->req);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->req + n, sizeof(f->req) - n, fmt, ap);
	va_end(ap);
}

static void put_u32(struct fake *f, const struct nlattr *a, const char *name)
{
	if (mnl_attr_get_payload_len(a) != 4) {
		f->bad = true;
		out(f, " %s=?len%u", name, mnl_attr_get_payload_len(a));
		return;
	}
	out(f, " %s=%u", name, mnl_attr_get_u32(a));
}

static void put_u16(struct fake *f, const struct nlattr *a, const char *name)
{
	if (mnl_attr_get_payload_len(a) != 2) {
		f->bad = true;
		out(f, " %s=?len%u", name, mnl_attr_get_payload_len(a));
		return;
	}
	out(f, " %s=%u", name, mnl_attr_get_u16(a));
}

static void nested(struct fake *f, const struct nlattr *a)
{
	if (!(a->nla_type & NLA_F_NESTED))
		f->bad = true;
}

static void render_link_attrs(struct fake *f, const void *start, size_t len);

static void render_prog(struct fake *f, const struct nlattr *nest)
{
	static const char *const names[] = {
		[IFLA_META_PROG_FD] = "FD",
		[IFLA_META_PROG_DIR] = "DIR",
		[IFLA_META_PROG_FLAGS] = "FLAGS",
		[IFLA_META_PROG_RELATIVE_ID] = "REL",
		[IFLA_META_PROG_ID] = "ID",
	};
	const struct nlattr *a;
	int t;

	nested(f, nest);
	out(f, "{");
	mnl_attr_for_each_nested(a, nest) {
		t = mnl_attr_get_type(a);
		if (t > 0 && t <= IFLA_META_PROG_MAX)
			put_u32(f, a, names[t]);
		else
			out(f, " ?%d", t);
	}
	out(f, " }");
}

static void render_meta(struct fake *f, const struct nlattr *data)
{
	static const char *const u32s[] = {
		[IFLA_META_MODE] = "MODE",
		[IFLA_META_POLICY] = "POLICY",
		[IFLA_META_PEER_POLICY] = "PEER_POLICY",
		[IFLA_META_SCRUB] = "SCRUB",
		[IFLA_META_PEER_SCRUB] = "PEER_SCRUB",
	};
	const struct nlattr *a;
	const struct ifinfomsg *ifm;
	int t;

	nested(f, data);
	mnl_attr_for_each_nested(a, data) {
		t = mnl_attr_get_type(a);
		switch (t) {
		case IFLA_META_PEER_INFO:
			nested(f, a);
			ifm = mnl_attr_get_payload(a);
			out(f, " PEER_INFO{idx=%d", ifm->ifi_index);
			render_link_attrs(f, (const char *)ifm +
					  NLMSG_ALIGN(sizeof(*ifm)),
					  mnl_attr_get_payload_len(a) -
					  NLMSG_ALIGN(sizeof(*ifm)));
			out(f, " }");
			break;
		case IFLA_META_MODE:
		case IFLA_META_POLICY:
		case IFLA_META_PEER_POLICY:
		case IFLA_META_SCRUB:
		case IFLA_META_PEER_SCRUB:
			put_u32(f, a, u32s[t]);
			break;
		case IFLA_META_HEADROOM:
			put_u16(f, a, "HEADROOM");
			break;
		case IFLA_META_TAILROOM:
			put_u16(f, a, "TAILROOM");
			break;
		case IFLA_META_PROG_ATTACH:
			out(f, " ATTACH");
			render_prog(f, a);
			break;
		case IFLA_META_PROG_DETACH:
			out(f, " DETACH");
			render_prog(f, a);
			break;
		default:
			out(f, " ?%d", t);
		}
	}
}

static void render_link_attrs(struct fake *f, const void *start, size_t len)
{
	const struct nlattr *a, *b;
	int t;

	for (a = start; mnl_attr_ok(a, len); a = mnl_attr_next(a)) {
		len -= MNL_ALIGN(a->nla_len);
		t = mnl_attr_get_type(a);
		switch (t) {
		case IFLA_IFNAME:
			out(f, " IFNAME=%s", mnl_attr_get_str(a));
			break;
		case IFLA_MTU:
			put_u32(f, a, "MTU");
			break;
		case IFLA_NET_NS_FD:
			put_u32(f, a, "NSFD");
			break;
		case IFLA_EXT_MASK:
			put_u32(f, a, "EXTMASK");
			break;
		case IFLA_ADDRESS: {
			const unsigned char *m = mnl_attr_get_payload(a);

			if (mnl_attr_get_payload_len(a) != 6)
				f->bad = true;
			out(f, " ADDR=%02x:%02x:%02x:%02x:%02x:%02x",
			    m[0], m[1], m[2], m[3], m[4], m[5]);
			break;
		}
		case IFLA_LINKINFO:
			nested(f, a);
			out(f, " LINKINFO{");
			mnl_attr_for_each_nested(b, a) {
				if (mnl_attr_get_type(b) == IFLA_INFO_KIND)
					out(f, " KIND=%s", mnl_attr_get_str(b));
				else if (mnl_attr_get_type(b) == IFLA_INFO_DATA)
					render_meta(f, b);
				else
					out(f, " ?%d", mnl_attr_get_type(b));
			}
			out(f, " }");
			break;
		default:
			out(f, " ?%d", t);
		}
	}
}

static const char *msg_type(int t)
{
	return t == RTM_NEWLINK ? "NEWLINK" : t == RTM_DELLINK ? "DELLINK" :
	       t == RTM_GETLINK ? "GETLINK" : "?";
}

static void render(struct fake *f, const struct nlmsghdr *req)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(req);
	int flags = req->nlmsg_flags & ~(NLM_F_REQUEST | NLM_F_ACK);

	f->req[0] = '\0';
	if (!(req->nlmsg_flags & NLM_F_REQUEST) ||
	    !(req->nlmsg_flags & NLM_F_ACK))
		f->bad = true;
	out(f, "%s", msg_type(req->nlmsg_type));
	if (flags == (NLM_F_CREATE | NLM_F_EXCL))
		out(f, " create");
	else if (flags)
		out(f, " flags=%#x", flags);
	if (ifm->ifi_index)
		out(f, " idx=%d", ifm->ifi_index);
	render_link_attrs(f, mnl_nlmsg_get_payload_offset(req, sizeof(*ifm)),
			  (const char *)mnl_nlmsg_get_payload_tail(req) -
			  (const char *)mnl_nlmsg_get_payload_offset(req,
								    sizeof(*ifm)));
}

static ssize_t fake_xfer(void *arg, const struct nlmsghdr *req, void *buf,
			 size_t size)
{
	struct fake *f = arg;
	struct nlmsghdr *nlh;
	struct nlmsgerr *err;
	char *p = buf;

	(void)size;
	f->calls++;
	render(f, req);

	if (f->stray) {
		/* An ack of some earlier request: must be ignored. */
		nlh = mnl_nlmsg_put_header(p);
		nlh->nlmsg_type = NLMSG_ERROR;
		nlh->nlmsg_seq = req->nlmsg_seq - 1;
		err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
		err->error = -EPERM;
		p += nlh->nlmsg_len;
	}
	if (f->data) {
		nlh = mnl_nlmsg_put_header(p);
		nlh->nlmsg_seq = req->nlmsg_seq;
		f->data(nlh, req);
		if (f->intr > 0) {
			nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
			f->intr--;
		}
		p += nlh->nlmsg_len;
	}
	nlh = mnl_nlmsg_put_header(p);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	nlh->nlmsg_pid = 4242;
	nlh->nlmsg_flags = f->uncapped ? 0 : NLM_F_CAPPED;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = f->error;
	err->msg = *req;
	if (f->uncapped)
		memcpy(mnl_nlmsg_put_extra_header(nlh, req->nlmsg_len -
						  NLMSG_HDRLEN),
		       mnl_nlmsg_get_payload(req), req->nlmsg_len - NLMSG_HDRLEN);
	if (f->extack) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, f->extack);
	}
	p += nlh->nlmsg_len;
	return p - (char *)buf;
}

static void reset(struct fake *f)
{
	memset(f, 0, sizeof(*f));
}

static int expect_req(struct fake *f, const char *what, const char *want)
{
	int ok = !f->bad && !strcmp(f->req, want);

	if (!ok)
		printf("# want: %s\n#  got: %s%s\n", want, f->req,
		       f->bad ? " (bad size or missing NLA_F_NESTED)" : "");
	return check(ok, "%s", what);
}

/* ---- a device's dump, as the driver sends it ----------------------------- */

static void link_reply(struct nlmsghdr *nlh, const char *kind)
{
	struct nlattr *li, *data, *progs;
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = 7;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "host0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_META_PRIMARY, 1);
	mnl_attr_put_u32(nlh, IFLA_META_MODE, META_MODE_L3);
	mnl_attr_put_u16(nlh, IFLA_META_HEADROOM, 32);
	mnl_attr_put_u16(nlh, IFLA_META_TAILROOM, 0);
	mnl_attr_put_u32(nlh, IFLA_META_POLICY, META_POLICY_FORWARD);
	mnl_attr_put_u32(nlh, IFLA_META_SCRUB, META_SCRUB_DEFAULT);
	mnl_attr_put_u32(nlh, IFLA_META_PEER_POLICY, META_POLICY_BLACKHOLE);
	mnl_attr_put_u32(nlh, IFLA_META_PEER_SCRUB, META_SCRUB_NONE);
	progs = mnl_attr_nest_start(nlh, IFLA_META_PRIMARY_PROGS);
	mnl_attr_put_u32(nlh, IFLA_META_PROG_ID, 5);
	mnl_attr_put_u32(nlh, IFLA_META_PROG_ID, 6);
	mnl_attr_nest_end(nlh, progs);
	progs = mnl_attr_nest_start(nlh, IFLA_META_PEER_PROGS);
	mnl_attr_put_u32(nlh, IFLA_META_PROG_ID, 9);
	mnl_attr_nest_end(nlh, progs);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, li);
}

static void meta_reply(struct nlmsghdr *nlh, const struct nlmsghdr *req)
{
	(void)req;
	link_reply(nlh, "meta");
}

static void veth_reply(struct nlmsghdr *nlh, const struct nlmsghdr *req)
{
	(void)req;
	link_reply(nlh, "veth");
}

/* ---- tests --------------------------------------------------------------- */

static void test_attach_detach(struct meta_nl *nl, struct fake *f)
{
	reset(f);
	check(meta_prog_attach(nl, "host0", 77, META_PROG_DIR_PEER, 0, 0) == 0,
	      "attach appends: accepted");
	expect_req(f, "attach appends: NEWLINK changelink with ATTACH{FD, DIR}",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta ATTACH{ FD=77 DIR=1 } }");

	reset(f);
	meta_prog_attach(nl, "host0", 77, META_PROG_DIR_PRIMARY,
			 META_PROG_F_BEFORE, 42);
	expect_req(f, "attach --before 42: FLAGS=BEFORE REL=42",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta ATTACH{ FD=77 DIR=0 FLAGS=1 REL=42 } }");

	reset(f);
	meta_prog_attach(nl, "host0", 77, META_PROG_DIR_PEER,
			 META_PROG_F_BEFORE, 0);
	expect_req(f, "attach --first: FLAGS=BEFORE without REL",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta ATTACH{ FD=77 DIR=1 FLAGS=1 } }");

	reset(f);
	meta_prog_attach(nl, "host0", 77, META_PROG_DIR_PEER,
			 META_PROG_F_REPLACE, 9);
	expect_req(f, "attach --replace 9: FLAGS=REPLACE REL=9",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta ATTACH{ FD=77 DIR=1 FLAGS=4 REL=9 } }");

	reset(f);
	check(meta_prog_detach(nl, "host0", META_PROG_DIR_PEER, 9) == 0,
	      "detach id: accepted");
	expect_req(f, "detach id: DETACH{DIR, ID}",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta DETACH{ DIR=1 ID=9 } }");

	reset(f);
	meta_prog_detach_all(nl, "host0", META_PROG_DIR_PRIMARY);
	expect_req(f, "detach all: DETACH{DIR, FLAGS=ALL}",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta DETACH{ DIR=0 FLAGS=8 } }");
}

static void test_errors(struct meta_nl *nl, struct fake *f)
{
	int err;

	reset(f);
	f->error = -EINVAL;
	f->extack = "meta: the program is not of type SCHED_CLS";
	err = meta_prog_attach(nl, "host0", 77, META_PROG_DIR_PEER, 0, 0);
	check(err == -EINVAL, "refusal: the kernel's errno comes back (%d)",
	      err);
	check(meta_last_extack() &&
	      !strcmp(meta_last_extack(), f->extack),
	      "refusal: extack exposed by meta_last_extack()");
	check(!strcmp(meta_last_error(),
		      "attach to host0 (peer): Invalid argument: meta: the program is not of type SCHED_CLS"),
	      "refusal: meta_last_error() = '%s'", meta_last_error());

	reset(f);
	f->error = -ENOENT;
	f->extack = "meta: no such program attached";
	f->uncapped = true;
	err = meta_prog_detach(nl, "host0", META_PROG_DIR_PEER, 1234);
	check(err == -ENOENT && meta_last_extack() &&
	      !strcmp(meta_last_extack(), f->extack),
	      "uncapped ack: extack found after the echoed request");

	reset(f);
	f->error = -EOPNOTSUPP;
	err = meta_prog_detach_all(nl, "host0", META_PROG_DIR_PEER);
	check(err == -EOPNOTSUPP && !meta_last_extack() &&
	      strstr(meta_last_error(), "not a meta device"),
	      "no extack: a hint instead ('%s')", meta_last_error());

	reset(f);
	f->stray = true;
	err = meta_prog_detach_all(nl, "host0", META_PROG_DIR_PEER);
	check(err == 0, "an ack with another sequence number is ignored");

	reset(f);
	err = meta_prog_attach(nl, "a-name-longer-than-15", 77,
			       META_PROG_DIR_PEER, 0, 0);
	check(err == -EINVAL && f->calls == 0,
	      "over-long name refused locally: '%s'", meta_last_error());

	reset(f);
	check(meta_prog_detach_all(nl, "host0", META_PROG_DIR_PEER) == 0 &&
	      meta_last_error()[0] == '\0' && !meta_last_extack(),
	      "success clears the last error");
}

static void test_query(struct meta_nl *nl, struct fake *f)
{
	struct meta_link_info info;
	__u32 ids[4];
	int n;

	reset(f);
	f->data = meta_reply;
	check(meta_link_query(nl, "host0", &info) == 0, "query: accepted");
	expect_req(f, "query: GETLINK by name without stats",
		   "GETLINK IFNAME=host0 EXTMASK=8");
	check(info.ifindex == 7 && info.primary == 1 &&
	      info.mode == META_MODE_L3 && info.policy == META_POLICY_FORWARD &&
	      info.peer_policy == META_POLICY_BLACKHOLE &&
	      info.scrub == META_SCRUB_DEFAULT &&
	      info.peer_scrub == META_SCRUB_NONE && info.headroom == 32 &&
	      info.tailroom == 0, "query: every attribute parsed");
	check(info.nprogs[META_PROG_DIR_PRIMARY] == 2 &&
	      info.progs[META_PROG_DIR_PRIMARY][0] == 5 &&
	      info.progs[META_PROG_DIR_PRIMARY][1] == 6 &&
	      info.nprogs[META_PROG_DIR_PEER] == 1 &&
	      info.progs[META_PROG_DIR_PEER][0] == 9,
	      "query: program ids per direction, in order");

	reset(f);
	f->data = meta_reply;
	n = meta_prog_list(nl, "host0", META_PROG_DIR_PRIMARY, ids, 1);
	check(n == 2 && ids[0] == 5, "list: count beyond max, ids up to max");

	reset(f);
	f->data = veth_reply;
	n = meta_link_query(nl, "host0", &info);
	check(n == -EMEDIUMTYPE && strstr(meta_last_error(), "kind veth"),
	      "query of another kind: -EMEDIUMTYPE ('%s')", meta_last_error());

	reset(f);
	f->data = veth_reply;
	n = meta_pair_delete(nl, "host0");
	check(n == -EMEDIUMTYPE && f->calls == 1,
	      "delete refuses a device of another kind before deleting");

	reset(f);
	f->data = meta_reply;
	check(meta_pair_delete(nl, "host0") == 0, "delete of a meta device");
	expect_req(f, "delete: DELLINK by name (after a GETLINK)",
		   "DELLINK IFNAME=host0");
}

static void test_pairs(struct meta_nl *nl, struct fake *f)
{
	static const unsigned char mac[6] = { 2, 0, 0, 0, 0, 1 };
	static const unsigned char pmac[6] = { 2, 0, 0, 0, 0, 2 };
	struct meta_pair_opts o;

	reset(f);
	meta_pair_opts_init(&o);
	o.name = "host0";
	check(meta_pair_create(nl, &o) == 0, "create: accepted");
	expect_req(f, "create with defaults: no PEER_INFO, no options",
		   "NEWLINK create IFNAME=host0 LINKINFO{ KIND=meta }");

	reset(f);
	meta_pair_opts_init(&o);
	o.name = "host0";
	o.peer_name = "pod0";
	o.peer_netns_fd = 55;
	o.mode = META_MODE_L2;
	o.policy = META_POLICY_FORWARD;
	o.peer_policy = META_POLICY_BLACKHOLE;
	o.scrub = META_SCRUB_NONE;
	o.peer_scrub = META_SCRUB_DEFAULT;
	o.headroom = 64;
	o.tailroom = 16;
	o.mtu = 9000;
	o.peer_mtu = 1400;
	o.address = mac;
	o.peer_address = pmac;
	o.peer_ifindex = 100;
	meta_pair_create(nl, &o);
	expect_req(f, "create with every option",
		   "NEWLINK create IFNAME=host0 MTU=9000 ADDR=02:00:00:00:00:01 "
		   "LINKINFO{ KIND=meta PEER_INFO{idx=100 IFNAME=pod0 NSFD=55 "
		   "MTU=1400 ADDR=02:00:00:00:00:02 } MODE=1 POLICY=0 "
		   "PEER_POLICY=2 SCRUB=0 PEER_SCRUB=1 HEADROOM=64 TAILROOM=16 }");

	reset(f);
	meta_pair_opts_init(&o);
	o.mtu = 1280;
	meta_pair_create(nl, &o);
	expect_req(f, "create: --mtu applies to the peer too; names from the kernel",
		   "NEWLINK create MTU=1280 LINKINFO{ KIND=meta PEER_INFO{idx=0 MTU=1280 } }");

	reset(f);
	meta_pair_opts_init(&o);
	o.headroom = 70000;
	check(meta_pair_create(nl, &o) == -EINVAL && f->calls == 0,
	      "create: headroom out of range refused locally");

	reset(f);
	f->error = -EOPNOTSUPP;
	meta_pair_opts_init(&o);
	o.name = "host0";
	meta_pair_create(nl, &o);
	check(strstr(meta_last_error(), "modprobe meta") != NULL,
	      "create without the module: hint '%s'", meta_last_error());

	reset(f);
	meta_set_policy(nl, "host0", META_UNSET, META_POLICY_BLACKHOLE);
	expect_req(f, "set policy: only the given one",
		   "NEWLINK IFNAME=host0 LINKINFO{ KIND=meta PEER_POLICY=2 }");
}

static void test_pod_keys(void)
{
	static const __u8 v4[16] = { [10] = 0xff, [11] = 0xff,
				     10, 0, 1, 2 };
	static const __u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x05 };
	struct meta_pod_key key;
	char buf[64];

	check(meta_pod_key_parse("10.0.1.2", &key) == 0 &&
	      !memcmp(key.addr, v4, 16), "pod key: IPv4 stored as ::ffff:a.b.c.d");
	meta_pod_key_format(&key, buf, sizeof(buf));
	check(!strcmp(buf, "10.0.1.2"), "pod key: IPv4 formatted back (%s)",
	      buf);
	check(meta_pod_key_parse("2001:db8::5", &key) == 0 &&
	      !memcmp(key.addr, v6, 16), "pod key: IPv6 as is");
	meta_pod_key_format(&key, buf, sizeof(buf));
	check(!strcmp(buf, "2001:db8::5"), "pod key: IPv6 formatted back (%s)",
	      buf);
	check(meta_pod_key_parse("10.0.1.300", &key) == -EINVAL,
	      "pod key: garbage refused ('%s')", meta_last_error());
}

static void test_dirs(void)
{
	check(meta_dir_parse("primary") == META_PROG_DIR_PRIMARY &&
	      meta_dir_parse("peer") == META_PROG_DIR_PEER &&
	      meta_dir_parse("both") == -EINVAL &&
	      !strcmp(meta_dir_name(META_PROG_DIR_PEER), "peer"),
	      "direction names");
}

/* ---- meta_nl_request: any request the caller builds ---------------------- */

static void addr_reply(struct nlmsghdr *nlh, const struct nlmsghdr *req)
{
	struct ifaddrmsg *ifa;

	(void)req;
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_index = 7;
}

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	int *n = arg;

	(*n)++;
	return nlh->nlmsg_type == RTM_NEWADDR ? 0 : -EPROTO;
}

static int refuse_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return -EBADMSG;
}

static void test_request(struct meta_nl *nl, struct fake *f)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err, n = 0;

	reset(f);
	f->data = addr_reply;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	err = meta_nl_request(nl, nlh, count_cb, &n);
	check(err == 0 && n == 1 && !f->bad,
	      "request: acked, the reply handed to the callback (%d, %d)",
	      err, n);

	reset(f);
	f->data = addr_reply;
	err = meta_nl_request(nl, nlh, refuse_cb, NULL);
	check(err == -EBADMSG, "request: the callback's error comes back (%d)",
	      err);

	reset(f);
	f->error = -EEXIST;
	f->extack = "Address already assigned";
	err = meta_nl_request(nl, nlh, NULL, NULL);
	check(err == -EEXIST && meta_last_extack() &&
	      !strcmp(meta_last_extack(), f->extack) &&
	      strstr(meta_last_error(), "File exists"),
	      "request: refusal with extack ('%s')", meta_last_error());

	reset(f);
	check(meta_nl_request(nl, nlh, NULL, NULL) == 0 &&
	      !meta_last_extack() && meta_last_error()[0] == '\0',
	      "request: success clears the last error");
}

/* ---- plain links, addresses and routes; dumps ---------------------------- */

static int count_links(const struct meta_link *l, void *arg)
{
	int *n = arg;

	(*n)++;
	return strcmp(l->name, "host0") || strcmp(l->kind, "meta") ||
	       l->mtu != 1500 || l->ifindex != 7 ? -EPROTO : 0;
}

static void addr4_reply(struct nlmsghdr *nlh, const struct nlmsghdr *req)
{
	static const unsigned char a[4] = { 10, 0, 0, 5 };
	struct ifaddrmsg *ifa;

	(void)req;
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = 7;
	mnl_attr_put(nlh, IFA_ADDRESS, 4, a);
	mnl_attr_put(nlh, IFA_LOCAL, 4, a);
}

static int find_addr(const struct meta_addr *a, void *arg)
{
	int *n = arg;

	if (a->family == AF_INET && a->ifindex == 7 && a->prefixlen == 24 &&
	    a->addr[0] == 10 && a->addr[3] == 5)
		(*n)++;
	return 0;
}

static void test_dumps(struct meta_nl *nl, struct fake *f)
{
	struct meta_link l;
	int err, n = 0;

	reset(f);
	f->data = meta_reply;
	err = meta_link_get(nl, "host0", &l);
	check(!err && l.ifindex == 7 && !strcmp(l.kind, "meta") &&
	      !strcmp(l.name, "host0") && l.mtu == 1500,
	      "link get: name, kind, index, MTU (%d)", err);
	expect_req(f, "link get: GETLINK by name without stats",
		   "GETLINK IFNAME=host0 EXTMASK=8");

	reset(f);
	f->data = meta_reply;
	err = meta_link_dump(nl, count_links, &n);
	check(!err && n == 1 && f->calls == 1, "link dump: one link (%d, %d)",
	      err, n);

	/* Interrupted twice: read again, and the callback sees one table. */
	reset(f);
	f->data = meta_reply;
	f->intr = 2;
	n = 0;
	err = meta_link_dump(nl, count_links, &n);
	check(!err && n == 1 && f->calls == 3,
	      "link dump: NLM_F_DUMP_INTR restarts the dump, callback once (err %d, %d calls, %d links)",
	      err, f->calls, n);

	reset(f);
	f->data = meta_reply;
	f->intr = 1000;
	n = 0;
	err = meta_link_dump(nl, count_links, &n);
	check(err == -EAGAIN && n == 0 && strstr(meta_last_error(), "changing"),
	      "link dump: always interrupted: -EAGAIN, no callback (%d: %s)",
	      err, meta_last_error());

	/* meta_nl_request reports the interruption itself. */
	reset(f);
	f->data = addr4_reply;
	f->intr = 1;
	n = 0;
	err = meta_addr_dump(nl, AF_INET, find_addr, &n);
	check(!err && n == 1 && f->calls == 2,
	      "address dump: retried after DUMP_INTR, address parsed (%d, %d)",
	      err, n);

	reset(f);
	check(meta_link_set_alias(nl, 7, "x") == 0,
	      "alias of 255 bytes or less is sent");
	{
		char big[300];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		reset(f);
		check(meta_link_set_alias(nl, 7, big) == -ENAMETOOLONG &&
		      f->calls == 0,
		      "alias longer than 255 bytes is refused, not cut");
	}
}

int main(void)
{
	struct meta_nl *nl;
	struct fake f;

	if (meta__nl_open_fake(&nl, fake_xfer, &f)) {
		printf("# cannot create the fake socket\n");
		return 1;
	}
	test_attach_detach(nl, &f);
	test_errors(nl, &f);
	test_query(nl, &f);
	test_pairs(nl, &f);
	test_request(nl, &f);
	test_dumps(nl, &f);
	test_pod_keys();
	test_dirs();
	meta_nl_close(nl);
	return check_done();
}

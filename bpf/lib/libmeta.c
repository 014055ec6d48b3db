// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libmeta: meta pairs and their BPF programs over rtnetlink (libmnl), BPF
 * objects and the programs' pinned maps through libbpf.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "libmeta.h"
#include "libmeta_priv.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* A reply with every attribute of a device fits, and a dump batch. */
#define META_NL_BUF	32768
#define META_ETH_ALEN	6

/* ---- errors -------------------------------------------------------------- */

static __thread char meta_err[768];
static __thread char meta_extack[256];
static __thread bool meta_has_extack;

const char *meta_last_error(void)
{
	return meta_err;
}

const char *meta_last_extack(void)
{
	return meta_has_extack ? meta_extack : NULL;
}

static void meta_clear_error(void)
{
	meta_err[0] = '\0';
	meta_has_extack = false;
}

/*
 * Records "WHAT: strerror(-err)[: detail]" and returns err, so that error
 * paths read "return meta_fail(err, ...)". The detail is the kernel's
 * extack when there is one, else hint (may be NULL).
 */
static int __printf(3, 4)
meta_fail_hint(int err, const char *hint, const char *fmt, ...)
{
	const char *detail = meta_has_extack ? meta_extack : hint;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(meta_err, sizeof(meta_err), fmt, ap);
	va_end(ap);
	n = strlen(meta_err);
	snprintf(meta_err + n, sizeof(meta_err) - n, ": %s%s%s",
		 strerror(-err), detail ? ": " : "", detail ? detail : "");
	return err;
}

#define meta_fail(err, ...)	meta_fail_hint(err, NULL, __VA_ARGS__)

/* Records a message that says it all (no strerror) and returns err. */
static int __printf(2, 3)
meta_fail_msg(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(meta_err, sizeof(meta_err), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- netlink transport --------------------------------------------------- */

struct meta_nl {
	struct mnl_socket *sock;	/* NULL for a fake one */
	meta_nl_xfer_fn xfer;
	void *xfer_arg;
	unsigned int portid;
	unsigned int seq;
	char *buf;			/* META_NL_BUF, replies */
};

static int meta_nl_alloc(struct meta_nl **nlp)
{
	struct meta_nl *nl;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->buf = malloc(META_NL_BUF);
	if (!nl->buf) {
		free(nl);
		return -ENOMEM;
	}
	nl->seq = time(NULL);
	*nlp = nl;
	return 0;
}

int meta_nl_open(struct meta_nl **nlp)
{
	struct meta_nl *nl;
	int one = 1, err;

	meta_clear_error();
	err = meta_nl_alloc(&nl);
	if (err)
		return meta_fail(err, "netlink");
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		goto err_free;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto err_close;
	}
	/*
	 * Extended acks carry the driver's explanation of a refusal; capped
	 * acks keep an error reply small by not echoing the request.
	 * Kernels without either still work, just with less to say.
	 */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	*nlp = nl;
	return 0;

err_close:
	mnl_socket_close(nl->sock);
err_free:
	free(nl->buf);
	free(nl);
	return meta_fail(err, "rtnetlink socket");
}

int meta_nl_open_netns(struct meta_nl **nlp, int netns_fd)
{
	int self, err, ret;

	meta_clear_error();
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return meta_fail(-errno, "open /proc/self/ns/net");
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return meta_fail(err, "enter network namespace");
	}
	ret = meta_nl_open(nlp);
	if (setns(self, CLONE_NEWNET) < 0) {
		/*
		 * The thread is stuck in the wrong namespace: an errno of its
		 * own, so that callers can tell this from a failed socket.
		 */
		err = errno;
		close(self);
		if (!ret)
			meta_nl_close(*nlp);
		return meta_fail_msg(-ENOTRECOVERABLE,
				     "cannot return to the original network namespace: %s",
				     strerror(err));
	}
	close(self);
	return ret;
}

int meta__nl_open_fake(struct meta_nl **nlp, meta_nl_xfer_fn xfer, void *arg)
{
	struct meta_nl *nl;
	int err;

	err = meta_nl_alloc(&nl);
	if (err)
		return err;
	nl->xfer = xfer;
	nl->xfer_arg = arg;
	nl->portid = 4242;
	*nlp = nl;
	return 0;
}

void meta_nl_close(struct meta_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

int meta_netns_open(const char *netns)
{
	char path[PATH_MAX];
	int fd;

	meta_clear_error();
	if (strchr(netns, '/'))
		snprintf(path, sizeof(path), "%s", netns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return meta_fail(-errno, "network namespace %s", path);
	return fd;
}

static int meta_extack_cb(const struct nlattr *attr, void *data)
{
	(void)data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
		snprintf(meta_extack, sizeof(meta_extack), "%s",
			 mnl_attr_get_str(attr));
		/* The kernel's messages end without punctuation; keep them. */
		meta_has_extack = true;
	}
	return MNL_CB_OK;
}

/* Returns the error of an NLMSG_ERROR message (0: ack), recording extack. */
static int meta_nl_parse_err(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return -EBADMSG;
	err = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* Without NLM_F_CAPPED the whole request is echoed first. */
		off = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += mnl_nlmsg_get_payload_len(&err->msg);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, meta_extack_cb, NULL);
	}
	return err->error;
}

/*
 * Sends REQ (which asks for an ack) and reads replies until the ack for it,
 * handing any other message to cb. Returns the kernel's error (negative) or
 * 0; a failure of cb ends the exchange with its error once the ack came.
 */
static int meta_nl_talk(struct meta_nl *nl, struct nlmsghdr *req,
			meta_nl_reply_fn cb, void *arg)
{
	int ret, len, cb_err = 0;
	struct nlmsghdr *nlh;
	bool intr = false;

	req->nlmsg_seq = ++nl->seq;
	req->nlmsg_flags |= NLM_F_ACK;
	if (!nl->xfer &&
	    mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		if (nl->xfer)
			len = nl->xfer(nl->xfer_arg, req, nl->buf, META_NL_BUF);
		else
			len = mnl_socket_recvfrom(nl->sock, nl->buf, META_NL_BUF);
		if (len < 0)
			return nl->xfer ? (int)len : -errno;

		for (nlh = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Not ours: a late answer to an earlier request. */
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid))
				continue;
			/*
			 * The table changed while the kernel was dumping it:
			 * what came is not a consistent view. Read on to the
			 * end (the socket must be drained), then say so.
			 */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				ret = meta_nl_parse_err(nlh);
				return ret ? ret : cb_err ? cb_err :
				       intr ? -EINTR : 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cb_err ? cb_err : intr ? -EINTR : 0;
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
		/* A fake kernel answers everything at once. */
		if (nl->xfer)
			return -EPROTO;
	}
}

int meta_nl_request(struct meta_nl *nl, struct nlmsghdr *req,
		    meta_nl_reply_fn cb, void *arg)
{
	int err;

	meta_clear_error();
	err = meta_nl_talk(nl, req, cb, arg);
	if (err < 0)
		return meta_fail(err, "rtnetlink request (type %u)",
				 req->nlmsg_type);
	return err;
}

/* ---- request building ---------------------------------------------------- */

static int meta_check_name(const char *what, const char *name)
{
	if (!name || !*name)
		return meta_fail(-EINVAL, "%s: empty device name", what);
	if (strlen(name) >= IFNAMSIZ)
		return meta_fail_hint(-EINVAL, "at most 15 characters",
				      "%s: device name '%s'", what, name);
	return 0;
}

/*
 * An RTM_NEWLINK/DELLINK/GETLINK request for DEV (by name), in BUF of
 * MNL_SOCKET_BUFFER_SIZE bytes. The buffer is cleared first: libmnl does
 * not clear the padding after an attribute, and the kernel should not get
 * stack garbage even there.
 */
static struct nlmsghdr *meta_link_req(void *buf, int type, int flags,
				      const char *dev)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	if (dev)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, dev);
	return nlh;
}

/*
 * Opens IFLA_LINKINFO { IFLA_INFO_KIND "meta", IFLA_INFO_DATA { ...
 * The kind is required on a change too: it is how rtnetlink knows whose
 * INFO_DATA this is (and refuses it for a device of another kind).
 */
static struct nlattr *meta_data_start(struct nlmsghdr *nlh,
				      struct nlattr **linkinfo)
{
	*linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, META_LINK_KIND);
	return mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
}

static void meta_data_end(struct nlmsghdr *nlh, struct nlattr *linkinfo,
			  struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
}

static void meta_put_u32_opt(struct nlmsghdr *nlh, int type, int val)
{
	if (val != META_UNSET)
		mnl_attr_put_u32(nlh, type, val);
}

/* ---- links, addresses and routes of any kind ------------------------------ */

/*
 * A dump, collected whole: parse() turns each reply message into one
 * element of SIZE bytes (1: keep it, 0: not one of ours, <0: error).
 */
struct meta_dump {
	size_t size;
	int (*parse)(const struct nlmsghdr *nlh, void *elem);
	char *elems;
	size_t n, cap;
};

static int meta_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct meta_dump *d = arg;
	size_t cap;
	char *e;
	int ret;

	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 16;
		e = realloc(d->elems, cap * d->size);
		if (!e)
			return -ENOMEM;
		d->elems = e;
		d->cap = cap;
	}
	memset(d->elems + d->n * d->size, 0, d->size);
	ret = d->parse(nlh, d->elems + d->n * d->size);
	if (ret > 0)
		d->n++;
	return ret < 0 ? ret : 0;
}

/* Kernels restart an interrupted dump quickly; a table that keeps
 * changing under us for this long is reported, not waited for. */
#define META_DUMP_TRIES	10

static int meta_dump_run(struct meta_nl *nl, struct nlmsghdr *req,
			 struct meta_dump *d, const char *what)
{
	int err = -EINTR, i;

	for (i = 0; i < META_DUMP_TRIES && err == -EINTR; i++) {
		d->n = 0;
		err = meta_nl_talk(nl, req, meta_dump_cb, d);
	}
	if (err == -EINTR)
		return meta_fail_hint(-EAGAIN,
				      "the table kept changing while it was dumped",
				      "dump %s", what);
	if (err)
		return meta_fail(err, "dump %s", what);
	return 0;
}

static struct nlmsghdr *meta_req(void *buf, int type, int flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int meta_linkinfo_kind_cb(const struct nlattr *attr, void *arg)
{
	struct meta_link *l = arg;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
		snprintf(l->kind, sizeof(l->kind), "%.*s",
			 (int)strnlen(mnl_attr_get_payload(attr),
				      mnl_attr_get_payload_len(attr)),
			 (const char *)mnl_attr_get_payload(attr));
	return MNL_CB_OK;
}

static int meta_plain_link_cb(const struct nlattr *attr, void *arg)
{
	struct meta_link *l = arg;
	size_t len = mnl_attr_get_payload_len(attr);
	const char *p = mnl_attr_get_payload(attr);

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		snprintf(l->name, sizeof(l->name), "%.*s",
			 (int)strnlen(p, len), p);
		break;
	case IFLA_IFALIAS:
		snprintf(l->alias, sizeof(l->alias), "%.*s",
			 (int)strnlen(p, len), p);
		break;
	case IFLA_MTU:
		if (len >= 4)
			l->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_ADDRESS:
		if (len <= sizeof(l->addr)) {
			memcpy(l->addr, p, len);
			l->addr_len = len;
		}
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_parse_nested(attr, meta_linkinfo_kind_cb, l) < 0)
			return MNL_CB_ERROR;
		break;
	}
	return MNL_CB_OK;
}

/* RTM_NEWLINK -> struct meta_link (1), anything else 0. */
static int meta_link_parse(const struct nlmsghdr *nlh, void *elem)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct meta_link *l = elem;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return 0;
	memset(l, 0, sizeof(*l));
	l->ifindex = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	if (mnl_attr_parse(nlh, sizeof(*ifm), meta_plain_link_cb, l) < 0)
		return -EBADMSG;
	return 1;
}

static int meta_link_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	int ret = meta_link_parse(nlh, arg);

	return ret < 0 ? ret : 0;
}

int meta_link_get(struct meta_nl *nl, const char *dev, struct meta_link *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	meta_clear_error();
	memset(l, 0, sizeof(*l));
	if (meta_check_name("look up", dev))
		return -EINVAL;
	nlh = meta_link_req(buf, RTM_GETLINK, 0, dev);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = meta_nl_talk(nl, nlh, meta_link_get_cb, l);
	if (err)
		return meta_fail(err, "look up %s", dev);
	if (!l->ifindex)
		return meta_fail(-EBADMSG, "look up %s: no link in the reply",
				 dev);
	return 0;
}

int meta_link_dump(struct meta_nl *nl, meta_link_fn fn, void *arg)
{
	struct meta_dump d = { .size = sizeof(struct meta_link),
			       .parse = meta_link_parse };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	size_t i;
	int err;

	meta_clear_error();
	nlh = meta_link_req(buf, RTM_GETLINK, NLM_F_DUMP, NULL);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = meta_dump_run(nl, nlh, &d, "links");
	for (i = 0; !err && i < d.n; i++)
		err = fn((struct meta_link *)d.elems + i, arg);
	free(d.elems);
	return err;
}

/* RTM_NEWLINK changing the device with IFINDEX. */
static struct nlmsghdr *meta_link_req_idx(void *buf, int ifindex)
{
	struct nlmsghdr *nlh = meta_link_req(buf, RTM_NEWLINK, 0, NULL);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_index = ifindex;
	return nlh;
}

int meta_link_set_up(struct meta_nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = meta_link_req_idx(buf, ifindex);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	int err;

	meta_clear_error();
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return meta_fail(err, "set ifindex %d up", ifindex);
	return 0;
}

int meta_link_set_alias(struct meta_nl *nl, int ifindex, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	meta_clear_error();
	/* The kernel would cut it silently; a cut alias says something else. */
	if (strlen(alias) >= IFALIASZ)
		return meta_fail_hint(-ENAMETOOLONG, "at most 255 bytes",
				      "alias of ifindex %d", ifindex);
	nlh = meta_link_req_idx(buf, ifindex);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return meta_fail(err, "alias of ifindex %d", ifindex);
	return 0;
}

static unsigned int meta_alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int meta_check_family(const char *what, int family)
{
	if (family != AF_INET && family != AF_INET6)
		return meta_fail(-EAFNOSUPPORT, "%s: family %d", what, family);
	return 0;
}

int meta_addr_add(struct meta_nl *nl, const struct meta_addr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], txt[INET6_ADDRSTRLEN];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int err;

	meta_clear_error();
	if (meta_check_family("add address", a->family))
		return -EAFNOSUPPORT;
	nlh = meta_req(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = a->ifindex;
	ifa->ifa_scope = a->scope;
	mnl_attr_put(nlh, IFA_LOCAL, meta_alen(a->family), a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, meta_alen(a->family), a->addr);
	if (a->flags)
		mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags);
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err) {
		inet_ntop(a->family, a->addr, txt, sizeof(txt));
		return meta_fail(err, "add address %s/%u to ifindex %d", txt,
				 a->prefixlen, a->ifindex);
	}
	return 0;
}

static int meta_addr_attr_cb(const struct nlattr *attr, void *arg)
{
	struct meta_addr *a = arg;
	unsigned int n = meta_alen(a->family);
	int t = mnl_attr_get_type(attr);

	/* IPv4 names the local address IFA_LOCAL; IPv6 has IFA_ADDRESS only. */
	if ((t == IFA_LOCAL || (t == IFA_ADDRESS && a->family == AF_INET6)) &&
	    mnl_attr_get_payload_len(attr) == n)
		memcpy(a->addr, mnl_attr_get_payload(attr), n);
	if (t == IFA_FLAGS && mnl_attr_get_payload_len(attr) >= 4)
		a->flags = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int meta_addr_parse(const struct nlmsghdr *nlh, void *elem)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct meta_addr *a = elem;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)) ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	a->family = ifa->ifa_family;
	a->ifindex = ifa->ifa_index;
	a->prefixlen = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->flags = ifa->ifa_flags;
	if (mnl_attr_parse(nlh, sizeof(*ifa), meta_addr_attr_cb, a) < 0)
		return -EBADMSG;
	return 1;
}

int meta_addr_dump(struct meta_nl *nl, int family, meta_addr_fn fn, void *arg)
{
	struct meta_dump d = { .size = sizeof(struct meta_addr),
			       .parse = meta_addr_parse };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t i;
	int err;

	meta_clear_error();
	nlh = meta_req(buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	err = meta_dump_run(nl, nlh, &d, "addresses");
	for (i = 0; !err && i < d.n; i++)
		err = fn((struct meta_addr *)d.elems + i, arg);
	free(d.elems);
	return err;
}

int meta_route_add(struct meta_nl *nl, const struct meta_route *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], txt[INET6_ADDRSTRLEN];
	unsigned int n = meta_alen(r->family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	meta_clear_error();
	if (meta_check_family("add route", r->family))
		return -EAFNOSUPPORT;
	nlh = meta_req(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	/* Tables above 255 only fit in RTA_TABLE. */
	rtm->rtm_table = r->table && r->table < 256 ? r->table : RT_TABLE_MAIN;
	rtm->rtm_protocol = r->protocol ? r->protocol : RTPROT_BOOT;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
	if (r->table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, n, r->dst);
	if (r->has & META_ROUTE_HAS_GW)
		mnl_attr_put(nlh, RTA_GATEWAY, n, r->gw);
	if (r->has & META_ROUTE_HAS_SRC)
		mnl_attr_put(nlh, RTA_PREFSRC, n, r->src);
	if (r->has & META_ROUTE_HAS_PRIO)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	if (r->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (r->has & (META_ROUTE_HAS_MTU | META_ROUTE_HAS_ADVMSS)) {
		struct nlattr *m = mnl_attr_nest_start(nlh, RTA_METRICS);

		if (r->has & META_ROUTE_HAS_MTU)
			mnl_attr_put_u32(nlh, RTAX_MTU, r->mtu);
		if (r->has & META_ROUTE_HAS_ADVMSS)
			mnl_attr_put_u32(nlh, RTAX_ADVMSS, r->advmss);
		mnl_attr_nest_end(nlh, m);
	}
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err) {
		inet_ntop(r->family, r->dst, txt, sizeof(txt));
		return meta_fail(err, "add route %s/%u", txt, r->dst_len);
	}
	return 0;
}

static int meta_route_attr_cb(const struct nlattr *attr, void *arg)
{
	struct meta_route *r = arg;
	size_t len = mnl_attr_get_payload_len(attr);
	const void *p = mnl_attr_get_payload(attr);
	unsigned int n = meta_alen(r->family);

	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
		if (len >= 4)
			r->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_TABLE:
		if (len >= 4)
			r->table = mnl_attr_get_u32(attr);
		break;
	case RTA_PRIORITY:
		if (len >= 4) {
			r->priority = mnl_attr_get_u32(attr);
			r->has |= META_ROUTE_HAS_PRIO;
		}
		break;
	case RTA_DST:
		if (len == n)
			memcpy(r->dst, p, n);
		break;
	case RTA_GATEWAY:
		if (len == n) {
			memcpy(r->gw, p, n);
			r->has |= META_ROUTE_HAS_GW;
		}
		break;
	case RTA_PREFSRC:
		if (len == n) {
			memcpy(r->src, p, n);
			r->has |= META_ROUTE_HAS_SRC;
		}
		break;
	}
	return MNL_CB_OK;
}

static int meta_route_parse(const struct nlmsghdr *nlh, void *elem)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct meta_route *r = elem;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return 0;
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->table = rtm->rtm_table;
	r->scope = rtm->rtm_scope;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	if (mnl_attr_parse(nlh, sizeof(*rtm), meta_route_attr_cb, r) < 0)
		return -EBADMSG;
	return 1;
}

int meta_route_dump(struct meta_nl *nl, int family, meta_route_fn fn,
		    void *arg)
{
	struct meta_dump d = { .size = sizeof(struct meta_route),
			       .parse = meta_route_parse };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	size_t i;
	int err;

	meta_clear_error();
	nlh = meta_req(buf, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	err = meta_dump_run(nl, nlh, &d, "routes");
	for (i = 0; !err && i < d.n; i++)
		err = fn((struct meta_route *)d.elems + i, arg);
	free(d.elems);
	return err;
}

int meta_qdisc_tbf(struct meta_nl *nl, int ifindex, __u64 rate, __u32 burst,
		   __u32 limit)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tc_tbf_qopt q = {};
	struct nlmsghdr *nlh;
	struct nlattr *opts;
	struct tcmsg *tcm;
	int err;

	meta_clear_error();
	if (!rate || !burst)
		return meta_fail(-EINVAL, "tbf on ifindex %d: rate %llu, burst %u",
				 ifindex, (unsigned long long)rate, burst);
	nlh = meta_req(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = 1 << 16;	/* 1: */
	tcm->tcm_parent = TC_H_ROOT;
	mnl_attr_put_strz(nlh, TCA_KIND, "tbf");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	/* Ethernet link layer: no rate table needed, sizes are exact. */
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.rate.rate = rate < ~0U ? rate : ~0U;
	q.limit = limit;
	mnl_attr_put(nlh, TCA_TBF_PARMS, sizeof(q), &q);
	if (rate >= ~0U)
		mnl_attr_put_u64(nlh, TCA_TBF_RATE64, rate);
	/* The bucket in bytes; the kernel turns it into time itself. */
	mnl_attr_put_u32(nlh, TCA_TBF_BURST, burst);
	mnl_attr_nest_end(nlh, opts);
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return meta_fail_hint(err, err == -ENOENT ?
				      "is sch_tbf available?" : NULL,
				      "tbf on ifindex %d", ifindex);
	return 0;
}

/* ---- pairs --------------------------------------------------------------- */

void meta_pair_opts_init(struct meta_pair_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->peer_netns_fd = -1;
	opts->mode = META_UNSET;
	opts->policy = META_UNSET;
	opts->peer_policy = META_UNSET;
	opts->scrub = META_UNSET;
	opts->peer_scrub = META_UNSET;
	opts->headroom = META_UNSET;
	opts->tailroom = META_UNSET;
}

static int meta_check_room(const char *what, int val)
{
	if (val != META_UNSET && (val < 0 || val > 0xffff))
		return meta_fail_hint(-ERANGE, "0 to 65535", "%s %d", what, val);
	return 0;
}

/* IFLA_META_PEER_INFO: an ifinfomsg followed by IFLA_* of the peer. */
static void meta_put_peer(struct nlmsghdr *nlh,
			  const struct meta_pair_opts *o, int netns_fd)
{
	unsigned int mtu = o->peer_mtu ? o->peer_mtu : o->mtu;
	struct ifinfomsg *ifm;
	struct nlattr *peer;

	if (!o->peer_name && netns_fd < 0 && !mtu && !o->peer_address &&
	    !o->peer_ifindex)
		return;
	peer = mnl_attr_nest_start(nlh, IFLA_META_PEER_INFO);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = o->peer_ifindex;
	if (o->peer_name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, o->peer_name);
	if (netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, netns_fd);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (o->peer_address)
		mnl_attr_put(nlh, IFLA_ADDRESS, META_ETH_ALEN, o->peer_address);
	mnl_attr_nest_end(nlh, peer);
}

int meta_pair_create(struct meta_nl *nl, const struct meta_pair_opts *o)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data;
	int netns_fd = o->peer_netns_fd;
	const char *name = o->name ? o->name : "meta%d";
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int err;

	meta_clear_error();
	if ((o->name && meta_check_name("create", o->name)) ||
	    (o->peer_name && meta_check_name("create", o->peer_name)) ||
	    meta_check_room("headroom", o->headroom) ||
	    meta_check_room("tailroom", o->tailroom))
		return -EINVAL;
	if (netns_fd < 0 && o->peer_netns) {
		netns_fd = meta_netns_open(o->peer_netns);
		if (netns_fd < 0)
			return netns_fd;
	}

	nlh = meta_link_req(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
			    o->name);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_index = o->ifindex;
	if (o->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, o->mtu);
	if (o->address)
		mnl_attr_put(nlh, IFLA_ADDRESS, META_ETH_ALEN, o->address);
	data = meta_data_start(nlh, &linkinfo);
	meta_put_peer(nlh, o, netns_fd);
	meta_put_u32_opt(nlh, IFLA_META_MODE, o->mode);
	meta_put_u32_opt(nlh, IFLA_META_POLICY, o->policy);
	meta_put_u32_opt(nlh, IFLA_META_PEER_POLICY, o->peer_policy);
	meta_put_u32_opt(nlh, IFLA_META_SCRUB, o->scrub);
	meta_put_u32_opt(nlh, IFLA_META_PEER_SCRUB, o->peer_scrub);
	if (o->headroom != META_UNSET)
		mnl_attr_put_u16(nlh, IFLA_META_HEADROOM, o->headroom);
	if (o->tailroom != META_UNSET)
		mnl_attr_put_u16(nlh, IFLA_META_TAILROOM, o->tailroom);
	meta_data_end(nlh, linkinfo, data);

	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (netns_fd >= 0 && netns_fd != o->peer_netns_fd)
		close(netns_fd);
	if (err == -EOPNOTSUPP)
		return meta_fail_hint(err,
				      "the kernel does not know link kind \"meta\" (modprobe meta)",
				      "create %s", name);
	if (err)
		return meta_fail(err, "create %s", name);
	return 0;
}

int meta_pair_delete(struct meta_nl *nl, const char *dev)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct meta_link_info info;
	int err;

	/*
	 * RTM_DELLINK deletes a device of any kind: make sure a typo in a
	 * name cannot take down the NIC.
	 */
	err = meta_link_query(nl, dev, &info);
	if (err)
		return err;
	err = meta_nl_talk(nl, meta_link_req(buf, RTM_DELLINK, 0, dev),
			   NULL, NULL);
	if (err)
		return meta_fail(err, "delete %s", dev);
	return 0;
}

/* Hint for a change the kernel refused without saying why. */
static const char *meta_change_hint(int err)
{
	if (err == -EOPNOTSUPP)
		return "not a meta device, or meta.ko is not loaded or too old";
	return NULL;
}

int meta_set_policy(struct meta_nl *nl, const char *dev, int policy,
		    int peer_policy)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data;
	struct nlmsghdr *nlh;
	int err;

	meta_clear_error();
	if (meta_check_name("set policy", dev))
		return -EINVAL;
	nlh = meta_link_req(buf, RTM_NEWLINK, 0, dev);
	data = meta_data_start(nlh, &linkinfo);
	meta_put_u32_opt(nlh, IFLA_META_POLICY, policy);
	meta_put_u32_opt(nlh, IFLA_META_PEER_POLICY, peer_policy);
	meta_data_end(nlh, linkinfo, data);
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return meta_fail_hint(err, meta_change_hint(err),
				      "set policy of %s", dev);
	return 0;
}

/* ---- link query ---------------------------------------------------------- */

struct meta_query {
	struct meta_link_info *info;
	char kind[32];
	bool linkinfo;
};

static int meta_get_u32(const struct nlattr *attr, int *val)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return -EBADMSG;
	*val = mnl_attr_get_u32(attr);
	return 0;
}

static int meta_get_u16(const struct nlattr *attr, int *val)
{
	if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
		return -EBADMSG;
	*val = mnl_attr_get_u16(attr);
	return 0;
}

struct meta_prog_walk {
	struct meta_link_info *info;
	int dir;
};

static int meta_prog_id_cb(const struct nlattr *attr, void *arg)
{
	struct meta_prog_walk *w = arg;
	unsigned int *n = &w->info->nprogs[w->dir];

	if (mnl_attr_get_type(attr) != IFLA_META_PROG_ID)
		return MNL_CB_OK;	/* newer kernels may say more */
	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	if (*n < META_PROG_MAX)
		w->info->progs[w->dir][*n] = mnl_attr_get_u32(attr);
	(*n)++;
	return MNL_CB_OK;
}

static int meta_data_cb(const struct nlattr *attr, void *arg)
{
	struct meta_link_info *info = arg;
	struct meta_prog_walk w = { .info = info };
	int err = 0;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_META_PRIMARY:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		info->primary = mnl_attr_get_u8(attr);
		break;
	case IFLA_META_MODE:
		err = meta_get_u32(attr, &info->mode);
		break;
	case IFLA_META_POLICY:
		err = meta_get_u32(attr, &info->policy);
		break;
	case IFLA_META_PEER_POLICY:
		err = meta_get_u32(attr, &info->peer_policy);
		break;
	case IFLA_META_SCRUB:
		err = meta_get_u32(attr, &info->scrub);
		break;
	case IFLA_META_PEER_SCRUB:
		err = meta_get_u32(attr, &info->peer_scrub);
		break;
	case IFLA_META_HEADROOM:
		err = meta_get_u16(attr, &info->headroom);
		break;
	case IFLA_META_TAILROOM:
		err = meta_get_u16(attr, &info->tailroom);
		break;
	case IFLA_META_PRIMARY_REVISION:
	case IFLA_META_PEER_REVISION:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		info->revision[mnl_attr_get_type(attr) == IFLA_META_PEER_REVISION] =
			mnl_attr_get_u64(attr);
		break;
	case IFLA_META_PRIMARY_PROGS:
	case IFLA_META_PEER_PROGS:
		w.dir = mnl_attr_get_type(attr) == IFLA_META_PRIMARY_PROGS ?
			META_PROG_DIR_PRIMARY : META_PROG_DIR_PEER;
		/* A repeated list would double the count: take the last. */
		info->nprogs[w.dir] = 0;
		if (mnl_attr_parse_nested(attr, meta_prog_id_cb, &w) < 0)
			return MNL_CB_ERROR;
		break;
	}
	return err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int meta_linkinfo_cb(const struct nlattr *attr, void *arg)
{
	struct meta_query *q = arg;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_INFO_KIND:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(q->kind, sizeof(q->kind), "%s", mnl_attr_get_str(attr));
		break;
	case IFLA_INFO_DATA:
		/* Parsed after the kind is known to be ours. */
		break;
	}
	return MNL_CB_OK;
}

static int meta_link_attr_cb(const struct nlattr *attr, void *arg)
{
	struct meta_query *q = arg;
	const struct nlattr *pos;

	if (mnl_attr_get_type(attr) != IFLA_LINKINFO)
		return MNL_CB_OK;
	q->linkinfo = true;
	if (mnl_attr_parse_nested(attr, meta_linkinfo_cb, q) < 0)
		return MNL_CB_ERROR;
	if (strcmp(q->kind, META_LINK_KIND))
		return MNL_CB_OK;
	mnl_attr_for_each_nested(pos, attr) {
		if (mnl_attr_get_type(pos) == IFLA_INFO_DATA &&
		    mnl_attr_parse_nested(pos, meta_data_cb, q->info) < 0)
			return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int meta_link_reply_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct meta_query *q = arg;
	const struct ifinfomsg *ifm;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)))
		return 0;
	ifm = mnl_nlmsg_get_payload(nlh);
	q->info->ifindex = ifm->ifi_index;
	if (mnl_attr_parse(nlh, sizeof(*ifm), meta_link_attr_cb, q) < 0)
		return -EBADMSG;
	return 0;
}

int meta_link_query(struct meta_nl *nl, const char *dev,
		    struct meta_link_info *info)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct meta_query q = { .info = info };
	struct nlmsghdr *nlh;
	int err;

	meta_clear_error();
	memset(info, 0, sizeof(*info));
	info->ifindex = -1;
	info->primary = -1;
	info->mode = -1;
	info->policy = -1;
	info->peer_policy = -1;
	info->scrub = -1;
	info->peer_scrub = -1;
	info->headroom = -1;
	info->tailroom = -1;
	if (meta_check_name("query", dev))
		return -EINVAL;

	nlh = meta_link_req(buf, RTM_GETLINK, 0, dev);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = meta_nl_talk(nl, nlh, meta_link_reply_cb, &q);
	if (err)
		return meta_fail(err, "query %s", dev);
	if (info->ifindex < 0)
		return meta_fail(-EBADMSG, "query %s: no link in the reply", dev);
	if (strcmp(q.kind, META_LINK_KIND))
		return meta_fail_msg(-EMEDIUMTYPE, "%s is not a meta device (%s%s)",
				     dev, q.kind[0] ? "kind " : "no link kind",
				     q.kind);
	return 0;
}

/* ---- programs ------------------------------------------------------------ */

const char *meta_dir_name(enum meta_prog_dir dir)
{
	return dir == META_PROG_DIR_PRIMARY ? "primary" :
	       dir == META_PROG_DIR_PEER ? "peer" : "?";
}

int meta_dir_parse(const char *s)
{
	if (!strcmp(s, "primary"))
		return META_PROG_DIR_PRIMARY;
	if (!strcmp(s, "peer"))
		return META_PROG_DIR_PEER;
	return -EINVAL;
}

/* RTM_NEWLINK changelink of DEV carrying IFLA_META_PROG_{ATTACH,DETACH}. */
static struct nlmsghdr *meta_prog_req(void *buf, const char *dev, int type,
				      struct nlattr **linkinfo,
				      struct nlattr **data,
				      struct nlattr **nest)
{
	struct nlmsghdr *nlh;

	nlh = meta_link_req(buf, RTM_NEWLINK, 0, dev);
	*data = meta_data_start(nlh, linkinfo);
	*nest = mnl_attr_nest_start(nlh, type);
	return nlh;
}

static void meta_prog_req_end(struct nlmsghdr *nlh, struct nlattr *linkinfo,
			      struct nlattr *data, struct nlattr *nest)
{
	mnl_attr_nest_end(nlh, nest);
	meta_data_end(nlh, linkinfo, data);
}

/* What a refused attach or detach may need said. */
static const char *meta_prog_hint(int err)
{
	if (err == -ESTALE)
		return "the programs changed since that revision: list them again";
	return meta_change_hint(err);
}

int meta_prog_attach_rev(struct meta_nl *nl, const char *dev, int prog_fd,
			 enum meta_prog_dir dir, __u32 flags, __u32 relative_id,
			 __u64 expected_revision)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *nest;
	struct nlmsghdr *nlh;
	int err;

	meta_clear_error();
	if (meta_check_name("attach", dev))
		return -EINVAL;
	nlh = meta_prog_req(buf, dev, IFLA_META_PROG_ATTACH, &linkinfo,
			    &data, &nest);
	mnl_attr_put_u32(nlh, IFLA_META_PROG_FD, prog_fd);
	mnl_attr_put_u32(nlh, IFLA_META_PROG_DIR, dir);
	if (flags)
		mnl_attr_put_u32(nlh, IFLA_META_PROG_FLAGS, flags);
	/* No id means "first" / "last" for BEFORE / AFTER. */
	if (relative_id)
		mnl_attr_put_u32(nlh, IFLA_META_PROG_RELATIVE_ID, relative_id);
	if (expected_revision)
		mnl_attr_put_u64(nlh, IFLA_META_PROG_EXPECTED_REVISION,
				 expected_revision);
	meta_prog_req_end(nlh, linkinfo, data, nest);
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err)
		return meta_fail_hint(err, meta_prog_hint(err),
				      "attach to %s (%s)", dev,
				      meta_dir_name(dir));
	return 0;
}

int meta_prog_attach(struct meta_nl *nl, const char *dev, int prog_fd,
		     enum meta_prog_dir dir, __u32 flags, __u32 relative_id)
{
	return meta_prog_attach_rev(nl, dev, prog_fd, dir, flags, relative_id, 0);
}

static int meta_detach(struct meta_nl *nl, const char *dev,
		       enum meta_prog_dir dir, __u32 prog_id, bool all,
		       __u64 expected_revision)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *nest;
	struct nlmsghdr *nlh;
	int err;

	meta_clear_error();
	if (meta_check_name("detach", dev))
		return -EINVAL;
	nlh = meta_prog_req(buf, dev, IFLA_META_PROG_DETACH, &linkinfo,
			    &data, &nest);
	mnl_attr_put_u32(nlh, IFLA_META_PROG_DIR, dir);
	if (all)
		mnl_attr_put_u32(nlh, IFLA_META_PROG_FLAGS, META_PROG_F_ALL);
	else
		mnl_attr_put_u32(nlh, IFLA_META_PROG_ID, prog_id);
	if (expected_revision)
		mnl_attr_put_u64(nlh, IFLA_META_PROG_EXPECTED_REVISION,
				 expected_revision);
	meta_prog_req_end(nlh, linkinfo, data, nest);
	err = meta_nl_talk(nl, nlh, NULL, NULL);
	if (err && all)
		return meta_fail_hint(err, meta_prog_hint(err),
				      "detach all from %s (%s)", dev,
				      meta_dir_name(dir));
	if (err)
		return meta_fail_hint(err, meta_prog_hint(err),
				      "detach id %u from %s (%s)", prog_id, dev,
				      meta_dir_name(dir));
	return 0;
}

int meta_prog_detach(struct meta_nl *nl, const char *dev,
		     enum meta_prog_dir dir, __u32 prog_id)
{
	return meta_detach(nl, dev, dir, prog_id, false, 0);
}

int meta_prog_detach_all(struct meta_nl *nl, const char *dev,
			 enum meta_prog_dir dir)
{
	return meta_detach(nl, dev, dir, 0, true, 0);
}

int meta_prog_detach_rev(struct meta_nl *nl, const char *dev,
			 enum meta_prog_dir dir, __u32 prog_id,
			 __u64 expected_revision)
{
	return meta_detach(nl, dev, dir, prog_id, !prog_id, expected_revision);
}

int meta_prog_list(struct meta_nl *nl, const char *dev, enum meta_prog_dir dir,
		   __u32 *ids, unsigned int max)
{
	struct meta_link_info info;
	unsigned int i, n;
	int err;

	if (dir != META_PROG_DIR_PRIMARY && dir != META_PROG_DIR_PEER) {
		meta_clear_error();
		return meta_fail(-EINVAL, "list %s: direction %d", dev, dir);
	}
	err = meta_link_query(nl, dev, &info);
	if (err)
		return err;
	n = info.nprogs[dir];
	for (i = 0; i < n && i < max && i < META_PROG_MAX; i++)
		ids[i] = info.progs[dir][i];
	return n;
}

/* ---- BPF objects --------------------------------------------------------- */

struct meta_bpf {
	struct bpf_object *obj;
	struct bpf_program *prog;
	__u32 id;
};

/* mkdir -p DIR (mode 0700), then insist that DIR is on a bpf filesystem. */
static int meta_pin_dir_prepare(const char *dir)
{
	char path[PATH_MAX], *p, c;
	struct statfs st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return meta_fail(-ENAMETOOLONG, "pin directory %s", dir);
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return meta_fail_hint(-errno,
					      "is a bpf filesystem mounted (mount -t bpf bpf /sys/fs/bpf)?",
					      "pin directory %s", path);
		*p = c;
		if (!c)
			break;
	}
	if (statfs(dir, &st) < 0)
		return meta_fail(-errno, "pin directory %s", dir);
	if (st.f_type != BPF_FS_MAGIC)
		return meta_fail_hint(-ENOTSUP,
				      "maps can only be pinned on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)",
				      "pin directory %s", dir);
	return 0;
}

/* "a, b, c" of the programs in OBJ, for error messages. */
static void meta_prog_names(struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_program *p;
	size_t n = 0;

	buf[0] = '\0';
	bpf_object__for_each_program(p, obj) {
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s [%s]",
			      n ? ", " : "", bpf_program__name(p),
			      bpf_program__section_name(p));
		if (n >= len)
			break;
	}
}

static int meta_select_prog(struct bpf_object *obj, const char *file,
			    const struct meta_bpf_opts *o,
			    struct bpf_program **prog)
{
	struct bpf_program *p;
	char names[512];
	int n = 0;

	bpf_object__for_each_program(p, obj) {
		if (o && o->prog_name) {
			if (strcmp(bpf_program__name(p), o->prog_name))
				continue;
		} else if (o && o->sec_name) {
			if (strcmp(bpf_program__section_name(p), o->sec_name))
				continue;
		}
		*prog = p;
		n++;
	}
	if (n == 1)
		return 0;

	meta_prog_names(obj, names, sizeof(names));
	if (n == 0 && o && o->prog_name)
		return meta_fail_msg(-ENOENT, "%s: no program named %s (has: %s)",
				     file, o->prog_name, names);
	if (n == 0 && o && o->sec_name)
		return meta_fail_msg(-ENOENT,
				     "%s: no program in section %s (has: %s)",
				     file, o->sec_name, names);
	if (n == 0)
		return meta_fail_msg(-ENOENT, "%s: no BPF program", file);
	return meta_fail_msg(-EINVAL,
			     "%s: %d programs match, choose one with --prog (has: %s)",
			     file, n, names);
}

int meta_bpf_load(const char *file, const struct meta_bpf_opts *o,
		  struct meta_bpf **objp)
{
	const char *pin_dir = o && o->pin_dir ? o->pin_dir : META_PIN_DIR;
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = pin_dir);
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	struct bpf_program *p;
	struct meta_bpf *mb;
	struct bpf_map *map;
	bool pinned = false;
	int err;

	meta_clear_error();
	mb = calloc(1, sizeof(*mb));
	if (!mb)
		return meta_fail(-ENOMEM, "%s", file);
	mb->obj = bpf_object__open_file(file, &open_opts);
	if (!mb->obj) {
		err = -errno;
		free(mb);
		return meta_fail(err, "open BPF object %s", file);
	}
	err = meta_select_prog(mb->obj, file, o, &mb->prog);
	if (err)
		goto err_close;
	/*
	 * Load only the chosen program: the others may need what this
	 * kernel lacks, and each one costs a verifier run. The type is set
	 * explicitly, as tc does, so any section name works.
	 */
	bpf_object__for_each_program(p, mb->obj) {
		bpf_program__set_autoload(p, p == mb->prog);
		if (p == mb->prog)
			bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS);
	}
	/* Touch the filesystem only for objects that pin maps. */
	bpf_object__for_each_map(map, mb->obj)
		pinned |= !!bpf_map__pin_path(map);
	if (pinned) {
		err = meta_pin_dir_prepare(pin_dir);
		if (err)
			goto err_close;
	}

	err = bpf_object__load(mb->obj);
	if (err) {
		meta_fail_hint(err, err == -EINVAL && pinned ?
			       "a pinned map with another layout? then remove it" :
			       "libbpf's messages above say more",
			       "load %s (%s)", file, bpf_program__name(mb->prog));
		goto err_close;
	}
	err = bpf_obj_get_info_by_fd(bpf_program__fd(mb->prog), &info,
				     &info_len);
	if (err) {
		err = -errno;
		meta_fail(err, "%s: program info", file);
		goto err_close;
	}
	mb->id = info.id;
	*objp = mb;
	return 0;

err_close:
	bpf_object__close(mb->obj);
	free(mb);
	return err;
}

int meta_bpf_prog_fd(const struct meta_bpf *mb)
{
	return bpf_program__fd(mb->prog);
}

__u32 meta_bpf_prog_id(const struct meta_bpf *mb)
{
	return mb->id;
}

const char *meta_bpf_prog_name(const struct meta_bpf *mb)
{
	return bpf_program__name(mb->prog);
}

void meta_bpf_close(struct meta_bpf *mb)
{
	if (!mb)
		return;
	bpf_object__close(mb->obj);
	free(mb);
}

/*
 * The kernel keeps BPF_OBJ_NAME_LEN - 1 characters of a program's name;
 * the full one is the name of its first function in the program's BTF,
 * which is where bpftool finds it too.
 */
static void meta_prog_btf_name(int fd, const struct bpf_prog_info *info,
			       char *buf, size_t len)
{
	struct bpf_func_info finfo = {};
	struct bpf_prog_info fi = {};
	__u32 fi_len = sizeof(fi);
	const struct btf_type *t;
	struct btf *btf;
	const char *name;

	if (!info->btf_id || !info->nr_func_info)
		return;
	fi.nr_func_info = 1;
	fi.func_info_rec_size = sizeof(finfo);
	fi.func_info = (__u64)(unsigned long)&finfo;
	if (bpf_obj_get_info_by_fd(fd, &fi, &fi_len))
		return;
	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return;
	t = btf__type_by_id(btf, finfo.type_id);
	name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
	if (name && *name)
		snprintf(buf, len, "%s", name);
	btf__free(btf);
}

int meta_prog_name_by_id(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd, err;

	meta_clear_error();
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return meta_fail(-errno, "program id %u", id);
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		err = -errno;
		close(fd);
		return meta_fail(err, "program id %u", id);
	}
	snprintf(buf, len, "%s", info.name);
	if (strlen(info.name) == BPF_OBJ_NAME_LEN - 1)
		meta_prog_btf_name(fd, &info, buf, len);
	close(fd);
	return 0;
}

/* ---- the programs' maps -------------------------------------------------- */

/*
 * The definitions of the programs' maps, as progs/meta_common.h declares
 * them. A map is created and pinned here when user space touches it
 * before any program using it was loaded: libbpf then reuses it, since
 * type, sizes, max_entries and flags match. So pods and targets can be set
 * up before the programs are attached, in any order.
 */
static const struct meta_map_def {
	const char *name;
	enum bpf_map_type type;
	__u32 key, value, max;
} meta_map_defs[] = {
	{ META_MAP_DENY_PORTS, BPF_MAP_TYPE_HASH, sizeof(__u16), sizeof(__u8),
	  META_DENY_PORTS_MAX },
	{ META_MAP_TARGET, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct meta_target), 1 },
	{ META_MAP_PODS, BPF_MAP_TYPE_HASH, sizeof(struct meta_pod_key),
	  sizeof(struct meta_pod), META_PODS_MAX },
	{ META_MAP_OBSERVED, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct meta_observed), 1 },
	{ META_MAP_MARK, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct meta_mark), 1 },
	{ META_MAP_COUNT, BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(__u64), 1 },
	{ META_MAP_STACK_CFG, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(struct meta_stack_cfg), 1 },
	{ META_MAP_FLOWS, BPF_MAP_TYPE_LRU_HASH, sizeof(struct meta_flow_key),
	  sizeof(__u8), META_FLOWS_MAX },
	{ META_MAP_STACK_PODS, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
	  sizeof(__u32), META_STACK_PODS },
};

static int meta_map_create(const char *pin_dir, const char *path,
			   const struct meta_map_def *def)
{
	int fd, err;

	err = meta_pin_dir_prepare(pin_dir);
	if (err)
		return err;
	fd = bpf_map_create(def->type, def->name, def->key, def->value,
			    def->max, NULL);
	if (fd < 0)
		return meta_fail(-errno, "create map %s", def->name);
	if (bpf_obj_pin(fd, path) < 0) {
		err = -errno;
		close(fd);
		/* Someone else pinned it meanwhile: use theirs. */
		if (err == -EEXIST) {
			fd = bpf_obj_get(path);
			if (fd >= 0)
				return fd;
			err = -errno;
		}
		return meta_fail(err, "pin map %s", path);
	}
	return fd;
}

int meta_map_open(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	unsigned int i;
	int fd;

	meta_clear_error();
	if (!pin_dir)
		pin_dir = META_PIN_DIR;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : meta_fail(-errno, "map %s", path);
	for (i = 0; i < ARRAY_SIZE(meta_map_defs); i++)
		if (!strcmp(name, meta_map_defs[i].name))
			return meta_map_create(pin_dir, path, &meta_map_defs[i]);
	return meta_fail(-ENOENT, "map %s", path);
}

/* Opens map NAME, does one update/lookup/delete on it, closes it. */
enum meta_map_op { META_MAP_UPDATE, META_MAP_LOOKUP, META_MAP_DELETE };

static int meta_map_do(const char *pin_dir, const char *name,
		       enum meta_map_op op, const void *key, void *val)
{
	int fd, ret;

	fd = meta_map_open(pin_dir, name);
	if (fd < 0)
		return fd;
	switch (op) {
	case META_MAP_UPDATE:
		ret = bpf_map_update_elem(fd, key, val, BPF_ANY);
		break;
	case META_MAP_LOOKUP:
		ret = bpf_map_lookup_elem(fd, key, val);
		break;
	default:
		ret = bpf_map_delete_elem(fd, key);
		break;
	}
	if (ret < 0) {
		ret = -errno;
		meta_fail_hint(ret, ret == -ENOENT ? "no such entry" : NULL,
			       "map %s", name);
	}
	close(fd);
	return ret < 0 ? ret : 0;
}

int meta_pod_key_parse(const char *addr, struct meta_pod_key *key)
{
	struct in_addr a4;

	meta_clear_error();
	memset(key, 0, sizeof(*key));
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		memcpy(&key->addr[12], &a4, sizeof(a4));
		return 0;
	}
	if (inet_pton(AF_INET6, addr, key->addr) == 1)
		return 0;
	return meta_fail(-EINVAL, "'%s' is not an IPv4 or IPv6 address", addr);
}

int meta_pod_key_format(const struct meta_pod_key *key, char *buf, size_t len)
{
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	bool v4 = !memcmp(key->addr, v4mapped, sizeof(v4mapped));

	meta_clear_error();
	if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? &key->addr[12] : key->addr,
		       buf, len))
		return meta_fail(-errno, "format address");
	return 0;
}

int meta_pod_add(const char *pin_dir, const char *addr, __u32 ifindex)
{
	struct meta_pod pod = { .ifindex = ifindex };
	struct meta_pod_key key;
	int err;

	err = meta_pod_key_parse(addr, &key);
	if (err)
		return err;
	return meta_map_do(pin_dir, META_MAP_PODS, META_MAP_UPDATE, &key, &pod);
}

int meta_pod_del(const char *pin_dir, const char *addr)
{
	struct meta_pod_key key;
	int err;

	err = meta_pod_key_parse(addr, &key);
	if (err)
		return err;
	return meta_map_do(pin_dir, META_MAP_PODS, META_MAP_DELETE, &key, NULL);
}

int meta_target_set(const char *pin_dir, __u32 ifindex)
{
	struct meta_target t = { .ifindex = ifindex };
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_TARGET, META_MAP_UPDATE, &key, &t);
}

int meta_target_get(const char *pin_dir, __u32 *ifindex)
{
	struct meta_target t;
	__u32 key = 0;
	int err;

	err = meta_map_do(pin_dir, META_MAP_TARGET, META_MAP_LOOKUP, &key, &t);
	if (!err)
		*ifindex = t.ifindex;
	return err;
}

int meta_port_deny(const char *pin_dir, __u16 port)
{
	__u8 one = 1;

	return meta_map_do(pin_dir, META_MAP_DENY_PORTS, META_MAP_UPDATE,
			   &port, &one);
}

int meta_port_allow(const char *pin_dir, __u16 port)
{
	return meta_map_do(pin_dir, META_MAP_DENY_PORTS, META_MAP_DELETE,
			   &port, NULL);
}

int meta_mark_set(const char *pin_dir, __u32 mark, __u32 priority)
{
	struct meta_mark m = { .mark = mark, .priority = priority };
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_MARK, META_MAP_UPDATE, &key, &m);
}

int meta_mark_get(const char *pin_dir, struct meta_mark *m)
{
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_MARK, META_MAP_LOOKUP, &key, m);
}

int meta_observed_get(const char *pin_dir, struct meta_observed *obs)
{
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_OBSERVED, META_MAP_LOOKUP, &key,
			   obs);
}

int meta_observed_reset(const char *pin_dir)
{
	struct meta_observed obs = {};
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_OBSERVED, META_MAP_UPDATE, &key,
			   &obs);
}

int meta_count_get(const char *pin_dir, __u64 *count)
{
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_COUNT, META_MAP_LOOKUP, &key,
			   count);
}

int meta_count_reset(const char *pin_dir)
{
	__u64 zero = 0;
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_COUNT, META_MAP_UPDATE, &key,
			   &zero);
}

/* "ADDR/LEN" -> a meta_stack_net (IPv4 mapped, as the programs see it). */
static int meta_stack_parse(const char *cidr, struct meta_stack_net *net)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct meta_pod_key key;
	unsigned long len;
	unsigned int bits, i;
	bool v4;

	memset(net, 0, sizeof(*net));
	if (snprintf(buf, sizeof(buf), "%s", cidr) >= (int)sizeof(buf) ||
	    !(slash = strchr(buf, '/')))
		return meta_fail(-EINVAL, "'%s' is not ADDRESS/PREFIX", cidr);
	*slash = '\0';
	v4 = !strchr(buf, ':');
	len = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || *end || len > (v4 ? 32 : 128) ||
	    meta_pod_key_parse(buf, &key))
		return meta_fail(-EINVAL, "'%s' is not ADDRESS/PREFIX", cidr);
	net->prefixlen = len + (v4 ? 96 : 0);
	net->v4 = v4;
	for (i = 0; i < 4; i++) {
		bits = net->prefixlen > i * 32 ? net->prefixlen - i * 32 : 0;
		net->mask[i] = bits >= 32 ? 0xffffffff :
			       bits ? htonl(~0U << (32 - bits)) : 0;
		memcpy(&net->addr[i], &key.addr[i * 4], 4);
		net->addr[i] &= net->mask[i];
	}
	return 0;
}

int meta_stack_format(const struct meta_stack_net *net, char *buf, size_t len)
{
	struct meta_pod_key key;
	char a[INET6_ADDRSTRLEN];
	bool v4;
	int err;

	memcpy(key.addr, net->addr, 16);
	err = meta_pod_key_format(&key, a, sizeof(a));
	if (err)
		return err;
	v4 = !strchr(a, ':');
	snprintf(buf, len, "%s/%u", a, net->prefixlen - (v4 ? 96 : 0));
	return 0;
}

static int meta_stack_update(const char *pin_dir, const char *cidr,
			     int via_stack, bool del)
{
	struct meta_stack_cfg cfg;
	struct meta_stack_net net;
	__u32 key = 0, i;
	int fd, err;

	meta_clear_error();
	err = meta_stack_parse(cidr, &net);
	if (err)
		return err;
	net.via_stack = !!via_stack;
	fd = meta_map_open(pin_dir, META_MAP_STACK_CFG);
	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &key, &cfg) ? -errno : 0;
	if (err)
		goto out;
	if (cfg.n > META_STACK_MAX)
		cfg.n = META_STACK_MAX;
	for (i = 0; i < cfg.n; i++)
		if (cfg.nets[i].prefixlen == net.prefixlen &&
		    !memcmp(cfg.nets[i].addr, net.addr, sizeof(net.addr)))
			break;
	if (del) {
		if (i == cfg.n) {
			err = meta_fail(-ENOENT, "%s: %s", META_MAP_STACK_CFG,
					cidr);
			goto out;
		}
		cfg.nets[i] = cfg.nets[cfg.n - 1];
		cfg.n--;
	} else {
		if (i < cfg.n && cfg.nets[i].via_stack == net.via_stack)
			goto out;	/* nothing to change */
		if (i == META_STACK_MAX) {
			err = meta_fail_hint(-ENOSPC, "at most 8 prefixes",
					     "%s: %s", META_MAP_STACK_CFG, cidr);
			goto out;
		}
		cfg.nets[i] = net;
		if (i == cfg.n)
			cfg.n++;
	}
	if (bpf_map_update_elem(fd, &key, &cfg, BPF_ANY))
		err = meta_fail(-errno, "map %s", META_MAP_STACK_CFG);
out:
	if (err && !meta_err[0])
		meta_fail(err, "map %s", META_MAP_STACK_CFG);
	close(fd);
	return err;
}

int meta_stack_set(const char *pin_dir, const char *cidr, int via_stack)
{
	return meta_stack_update(pin_dir, cidr, via_stack, false);
}

int meta_stack_del(const char *pin_dir, const char *cidr)
{
	return meta_stack_update(pin_dir, cidr, 0, true);
}

int meta_stack_get(const char *pin_dir, struct meta_stack_cfg *cfg)
{
	__u32 key = 0;

	return meta_map_do(pin_dir, META_MAP_STACK_CFG, META_MAP_LOOKUP, &key,
			   cfg);
}

int meta_stack_pod_reset(const char *pin_dir, const char *addr)
{
	struct meta_pod_key key;
	__u32 slot, zero = 0;
	int err;

	err = meta_pod_key_parse(addr, &key);
	if (err)
		return err;
	/* As the programs compute it (progs/meta_stack.h). */
	slot = ((__u32)key.addr[14] << 8 | key.addr[15]) & (META_STACK_PODS - 1);
	return meta_map_do(pin_dir, META_MAP_STACK_PODS, META_MAP_UPDATE,
			   &slot, &zero);
}

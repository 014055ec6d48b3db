// SPDX-License-Identifier: GPL-2.0
/*
 * The plain rtnetlink the plugin needs besides libmeta's pair and program
 * requests: links (look-up, up, alias, dump), addresses and routes, in the
 * host's or the pod's namespace. One libmnl socket per namespace; the
 * kernel's extended ack is kept so that errors can quote it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "meta_cni.h"

/* Dumps of a busy host come in several of these. */
#define NL_BUF	32768

struct nl {
	struct mnl_socket *sock;
	unsigned int seq;
	unsigned int portid;
	char buf[NL_BUF];
};

static char extack[256];

const char *nl_extack(void)
{
	return extack;
}

static int nl_open_here(struct nl **nlp)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	int one = 1, err;

	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		free(nl);
		return err;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl->sock);
		free(nl);
		return err;
	}
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	*nlp = nl;
	return 0;
}

/*
 * A netlink socket stays bound to the namespace it was created in: enter
 * the pod's only for socket(), then come back.
 */
int nl_open(struct nl **nlp, int netns_fd)
{
	int self, err, ret;

	if (netns_fd < 0)
		return nl_open_here(nlp);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return err;
	}
	ret = nl_open_here(nlp);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Carrying on in the pod's namespace would do damage. */
		cni_log("cannot return to the host network namespace: %s",
			strerror(errno));
		abort();
	}
	close(self);
	return ret;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

static int extack_cb(const struct nlattr *attr, void *data)
{
	(void)data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(extack, sizeof(extack), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int parse_err(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += mnl_nlmsg_get_payload_len(&e->msg);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, extack_cb, NULL);
	}
	return e->error;
}

/*
 * Sends REQ and reads until its ack (or the end of its dump), handing
 * every other message of ours to cb. Returns 0 or a negative errno.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb,
		   void *arg)
{
	int len, ret, cb_ret = 0;
	struct nlmsghdr *nlh;

	extack[0] = '\0';
	req->nlmsg_seq = ++nl->seq;
	req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		len = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (len < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid))
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				ret = parse_err(nlh);
				return ret ? ret : cb_ret;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cb_ret;
			if (cb && cb_ret >= 0 && cb(nlh, arg) < 0)
				cb_ret = -EPROTO;
		}
	}
}

static struct nlmsghdr *req_start(char *buf, int type, int flags)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* ---- links --------------------------------------------------------------- */

static int linkinfo_cb(const struct nlattr *attr, void *arg)
{
	struct nl_link *l = arg;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
		snprintf(l->kind, sizeof(l->kind), "%.*s",
			 (int)mnl_attr_get_payload_len(attr),
			 (const char *)mnl_attr_get_payload(attr));
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *arg)
{
	struct nl_link *l = arg;
	size_t len = mnl_attr_get_payload_len(attr);
	const char *p = mnl_attr_get_payload(attr);

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		snprintf(l->name, sizeof(l->name), "%.*s", (int)len, p);
		break;
	case IFLA_IFALIAS:
		snprintf(l->alias, sizeof(l->alias), "%.*s", (int)len, p);
		break;
	case IFLA_MTU:
		if (len >= 4)
			l->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_ADDRESS:
		if (len <= sizeof(l->mac)) {
			memcpy(l->mac, p, len);
			l->mac_len = len;
		}
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(attr, linkinfo_cb, l);
		break;
	}
	return MNL_CB_OK;
}

static int link_parse(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	memset(l, 0, sizeof(*l));
	l->ifindex = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, l);
}

static int link_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	return link_parse(nlh, arg);
}

int nl_link_get(struct nl *nl, const char *name, struct nl_link *link)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifm;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	memset(link, 0, sizeof(*link));
	return nl_talk(nl, nlh, link_get_cb, link);
}

static struct nlmsghdr *link_set_req(char *buf, int ifindex)
{
	struct nlmsghdr *nlh = req_start(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

int nl_link_up(struct nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_set_req(buf, ifindex);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_set_alias(struct nl *nl, int ifindex, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_set_req(buf, ifindex);

	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct dump_arg {
	nl_link_cb cb;
	void *arg;
	int ret;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_arg *d = arg;
	struct nl_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK || d->ret)
		return MNL_CB_OK;
	if (link_parse(nlh, &l) < 0)
		return MNL_CB_OK;
	d->ret = d->cb(&l, d->arg);
	return MNL_CB_OK;
}

int nl_link_dump(struct nl *nl, nl_link_cb cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETLINK, NLM_F_DUMP);
	struct dump_arg d = { cb, arg, 0 };
	struct ifinfomsg *ifm;
	int ret;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ret = nl_talk(nl, nlh, link_dump_cb, &d);
	return ret ? ret : d.ret;
}

/* ---- addresses ----------------------------------------------------------- */

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

int nl_addr_add(struct nl *nl, int ifindex, int family,
		const struct in6_addr *addr, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_NEWADDR,
					 NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, alen(family), addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen(family), addr);
	/*
	 * No prefix route: the pod routes its subnet via the gateway, as
	 * ptp does. No DAD: nobody else can have the address on a point-to-
	 * point pair, and a tentative address would delay the pod's traffic.
	 */
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE | IFA_F_NODAD);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct addr_find {
	int ifindex, family, prefix;
	const struct in6_addr *addr;
	bool found;
};

static int addr_attr_cb(const struct nlattr *attr, void *arg)
{
	struct addr_find *f = arg;

	/* IPv6 addresses come with IFA_ADDRESS only. */
	if (mnl_attr_get_type(attr) ==
	    (f->family == AF_INET ? IFA_LOCAL : IFA_ADDRESS) &&
	    mnl_attr_get_payload_len(attr) == (size_t)alen(f->family) &&
	    !memcmp(mnl_attr_get_payload(attr), f->addr, alen(f->family)))
		f->found = true;
	return MNL_CB_OK;
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_find *f = arg;

	if (nlh->nlmsg_type != RTM_NEWADDR || f->found ||
	    (int)ifa->ifa_index != f->ifindex ||
	    ifa->ifa_family != f->family || ifa->ifa_prefixlen != f->prefix)
		return MNL_CB_OK;
	return mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, f);
}

int nl_addr_has(struct nl *nl, int ifindex, int family,
		const struct in6_addr *addr, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETADDR, NLM_F_DUMP);
	struct addr_find f = { ifindex, family, prefix, addr, false };
	struct ifaddrmsg *ifa;
	int ret;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ret = nl_talk(nl, nlh, addr_dump_cb, &f);
	return ret ? ret : f.found;
}

/* ---- routes -------------------------------------------------------------- */

int nl_route_add(struct nl *nl, int ifindex, int family,
		 const struct in6_addr *dst, int dst_len,
		 const struct in6_addr *gw, const struct in6_addr *src,
		 int scope)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_NEWROUTE,
					 NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = scope;
	rtm->rtm_type = RTN_UNICAST;
	if (dst_len)
		mnl_attr_put(nlh, RTA_DST, alen(family), dst);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen(family), gw);
	if (src)
		mnl_attr_put(nlh, RTA_PREFSRC, alen(family), src);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct route_find {
	int ifindex, family, dst_len;
	const struct in6_addr *dst, *gw;
	/* per message */
	int oif;
	bool dst_ok, gw_ok;
	bool found;
};

static int route_attr_cb(const struct nlattr *attr, void *arg)
{
	struct route_find *f = arg;
	size_t len = mnl_attr_get_payload_len(attr);
	const void *p = mnl_attr_get_payload(attr);
	int n = alen(f->family);

	switch (mnl_attr_get_type(attr)) {
	case RTA_OIF:
		if (len >= 4)
			f->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_DST:
		f->dst_ok = len == (size_t)n && !memcmp(p, f->dst, n);
		break;
	case RTA_GATEWAY:
		f->gw_ok = f->gw && len == (size_t)n && !memcmp(p, f->gw, n);
		break;
	}
	return MNL_CB_OK;
}

static int route_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_find *f = arg;

	if (nlh->nlmsg_type != RTM_NEWROUTE || f->found ||
	    rtm->rtm_family != f->family || rtm->rtm_dst_len != f->dst_len ||
	    rtm->rtm_table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	f->oif = 0;
	f->dst_ok = !f->dst_len;	/* a default route has no RTA_DST */
	f->gw_ok = !f->gw;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, f);
	if (f->oif == f->ifindex && f->dst_ok && f->gw_ok)
		f->found = true;
	return MNL_CB_OK;
}

int nl_route_has(struct nl *nl, int ifindex, int family,
		 const struct in6_addr *dst, int dst_len,
		 const struct in6_addr *gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct route_find f = {
		.ifindex = ifindex, .family = family, .dst_len = dst_len,
		.dst = dst, .gw = gw,
	};
	struct rtmsg *rtm;
	int ret;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	ret = nl_talk(nl, nlh, route_dump_cb, &f);
	return ret ? ret : f.found;
}

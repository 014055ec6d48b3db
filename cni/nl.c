// SPDX-License-Identifier: GPL-2.0
/*
 * The plain rtnetlink the plugin needs besides libmeta's pair and program
 * requests: links (look-up, up, alias, dump), addresses and routes, in the
 * host's or the pod's namespace, built with libmnl and sent through
 * libmeta's meta_nl_request(). Reply callbacks return 0 or a negative errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "libmeta.h"
#include "meta_cni.h"

/*
 * libmeta's socket carries these requests too: one socket per namespace,
 * its request loop and its record of the kernel's extack.
 */
int nl_open(struct meta_nl **nlp, int netns_fd)
{
	int err;

	if (netns_fd < 0)
		return meta_nl_open(nlp);
	err = meta_nl_open_netns(nlp, netns_fd);
	if (err == -ENOTRECOVERABLE) {
		/* Carrying on in the pod's namespace would do damage. */
		cni_log("%s", meta_last_error());
		abort();
	}
	return err;
}

const char *nl_extack(void)
{
	const char *e = meta_last_extack();

	return e ? e : "";
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
	return mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, l) < 0 ?
	       -EPROTO : 0;
}

static int link_get_cb(const struct nlmsghdr *nlh, void *arg)
{
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	return link_parse(nlh, arg);
}

int nl_link_get(struct meta_nl *nl, const char *name, struct nl_link *link)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETLINK, 0);
	struct ifinfomsg *ifm;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	memset(link, 0, sizeof(*link));
	return meta_nl_request(nl, nlh, link_get_cb, link);
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

int nl_link_up(struct meta_nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_set_req(buf, ifindex);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return meta_nl_request(nl, nlh, NULL, NULL);
}

int nl_link_set_alias(struct meta_nl *nl, int ifindex, const char *alias)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_set_req(buf, ifindex);

	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return meta_nl_request(nl, nlh, NULL, NULL);
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
		return 0;
	if (link_parse(nlh, &l) < 0)
		return 0;
	d->ret = d->cb(&l, d->arg);
	return 0;
}

int nl_link_dump(struct meta_nl *nl, nl_link_cb cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETLINK, NLM_F_DUMP);
	struct dump_arg d = { cb, arg, 0 };
	struct ifinfomsg *ifm;
	int ret;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ret = meta_nl_request(nl, nlh, link_dump_cb, &d);
	return ret ? ret : d.ret;
}

/* ---- addresses ----------------------------------------------------------- */

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

int nl_addr_add(struct meta_nl *nl, int ifindex, int family,
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
	return meta_nl_request(nl, nlh, NULL, NULL);
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
		return 0;
	return mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, f) < 0 ?
	       -EPROTO : 0;
}

int nl_addr_has(struct meta_nl *nl, int ifindex, int family,
		const struct in6_addr *addr, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = req_start(buf, RTM_GETADDR, NLM_F_DUMP);
	struct addr_find f = { ifindex, family, prefix, addr, false };
	struct ifaddrmsg *ifa;
	int ret;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ret = meta_nl_request(nl, nlh, addr_dump_cb, &f);
	return ret ? ret : f.found;
}

/* ---- routes -------------------------------------------------------------- */

int nl_route_add(struct meta_nl *nl, int ifindex, int family,
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
	return meta_nl_request(nl, nlh, NULL, NULL);
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
		return 0;
	f->oif = 0;
	f->dst_ok = !f->dst_len;	/* a default route has no RTA_DST */
	f->gw_ok = !f->gw;
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, f);
	if (f->oif == f->ifindex && f->dst_ok && f->gw_ok)
		f->found = true;
	return 0;
}

int nl_route_has(struct meta_nl *nl, int ifindex, int family,
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
	ret = meta_nl_request(nl, nlh, route_dump_cb, &f);
	return ret ? ret : f.found;
}

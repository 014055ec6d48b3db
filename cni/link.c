// SPDX-License-Identifier: GPL-2.0
/*
 * The pod's meta pair, set up the way the reference ptp plugin sets up its
 * veth pair (README.md, "Devices and addressing"): the host end owns each
 * gateway as a /32 (/128) and routes the pod's address to the pod; the pod
 * reaches everything through the gateway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/rtnetlink.h>

#include "libmeta.h"
#include "meta_cni.h"

void link_host_name(const char *containerid, const char *ifname,
		    char name[16])
{
	unsigned long long h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	char hex[17];
	const char *parts[] = { containerid, "/", ifname };
	const unsigned char *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parts); i++)
		for (p = (const unsigned char *)parts[i]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
		}
	/* The first 11 of the 16 hex digits: "meta" + 11 = 15 characters. */
	snprintf(hex, sizeof(hex), "%016llx", h);
	snprintf(name, 16, "meta%.11s", hex);
}

void link_alias(const struct cni_conf *conf, const char *containerid,
		const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "cni:%s:%s:%s", conf->name, containerid, ifname);
}

/* Records a refused netlink request: 102 with the kernel's own words. */
static int nl_fail(int err, const char *fmt, const char *a, const char *b)
{
	char what[256];

	snprintf(what, sizeof(what), fmt, a, b);
	return cni_fail(CNI_ERR_NETLINK, NULL, "%s: %s%s%s", what,
			strerror(-err), *nl_extack() ? ": " : "", nl_extack());
}

int link_netns_open(const char *path)
{
	struct statfs st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cni_fail(CNI_ERR_NETNS, NULL, "CNI_NETNS %s: %s", path,
				strerror(errno));
	/*
	 * Namespace files (/proc/PID/ns/net and bind mounts of it) live on
	 * nsfs; that another type of namespace is refused by setns() later.
	 */
	if (fstatfs(fd, &st) < 0 || st.f_type != NSFS_MAGIC) {
		close(fd);
		return cni_fail(CNI_ERR_NETNS, NULL,
				"CNI_NETNS %s is not a namespace", path);
	}
	return fd;
}

int link_check_ifname(int netns_fd, const char *ifname)
{
	struct nl_link l;
	struct meta_nl *nl;
	int err;

	err = nl_open(&nl, netns_fd);
	if (err)
		return cni_fail(CNI_ERR_NETNS, NULL,
				"netlink socket in CNI_NETNS: %s", strerror(-err));
	err = nl_link_get(nl, ifname, &l);
	meta_nl_close(nl);
	if (!err)
		return cni_fail(CNI_ERR_IFNAME_EXISTS, NULL,
				"a device named %s already exists in CNI_NETNS",
				ifname);
	if (err != -ENODEV)
		return nl_fail(err, "look up %s%s in CNI_NETNS", ifname, "");
	return 0;
}

static void iface_fill(struct cni_iface *f, const struct nl_link *l,
		       const char *name, const char *sandbox)
{
	f->name = name;
	f->mtu = l->mtu;
	f->sandbox = sandbox;
	f->mac[0] = '\0';
	/*
	 * l3 ends report 00:00:00:00:00:00: podman (containers/common)
	 * refuses a result whose interface has no "mac" at all.
	 */
	if (l->mac_len == 6)
		snprintf(f->mac, sizeof(f->mac),
			 "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
			 l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
}

int link_create(struct link_state *st, const struct cni_conf *conf,
		const struct cni_env *env)
{
	struct meta_pair_opts o;
	struct nl_link host, pod;
	struct meta_nl *nl;
	int err;

	link_host_name(env->containerid, env->ifname, st->host);
	err = meta_nl_open(&nl);
	if (err)
		return cni_fail(CNI_ERR_NETLINK, NULL, "%s", meta_last_error());
	meta_pair_opts_init(&o);
	o.name = st->host;
	o.peer_name = env->ifname;
	o.peer_netns_fd = st->netns_fd;
	o.mode = conf->l2 ? META_MODE_L2 : META_MODE_L3;
	o.mtu = conf->mtu;
	err = meta_pair_create(nl, &o);
	if (err == -EOPNOTSUPP) {
		cni_fail(CNI_ERR_NO_MODULE, NULL,
			 "the meta kernel module is not loaded and cannot be loaded: %s",
			 meta_last_error());
		goto out;
	}
	if (err == -EEXIST && link_check_ifname(st->netns_fd, env->ifname))
		goto out;
	if (err) {
		cni_fail(CNI_ERR_NETLINK, NULL, "%s", meta_last_error());
		goto out;
	}
	st->created = true;

	/* What the result reports: index, MAC, MTU of both ends. */
	err = nl_link_get(nl, st->host, &host);
	meta_nl_close(nl);
	if (err)
		return nl_fail(err, "look up %s%s", st->host, "");
	err = nl_open(&nl, st->netns_fd);
	if (!err) {
		err = nl_link_get(nl, env->ifname, &pod);
		meta_nl_close(nl);
	}
	if (err)
		return nl_fail(err, "look up %s%s in CNI_NETNS", env->ifname, "");
	st->host_ifindex = host.ifindex;
	iface_fill(&st->ifaces[0], &host, st->host, NULL);
	iface_fill(&st->ifaces[1], &pod, env->ifname, env->netns);
	return 0;
out:
	meta_nl_close(nl);
	return -1;
}

/* Writes "1" unless it is already: /proc/sys may be read-only when it is. */
static int sysctl_on(const char *path)
{
	char c = 0;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &c, 1) != 1 || c != '1') {
		if (pwrite(fd, "1", 1, 0) != 1)
			ret = -errno;
	}
	close(fd);
	return ret;
}

static int forwarding_on(const struct cni_ip *ips, int nips)
{
	bool v4 = false, v6 = false;
	const char *path;
	int i, err;

	for (i = 0; i < nips; i++) {
		v4 |= ips[i].family == AF_INET;
		v6 |= ips[i].family == AF_INET6;
	}
	path = "/proc/sys/net/ipv4/ip_forward";
	if (v4 && (err = sysctl_on(path)))
		return cni_fail(CNI_ERR_INTERNAL, NULL, "%s: %s", path,
				strerror(-err));
	path = "/proc/sys/net/ipv6/conf/all/forwarding";
	if (v6 && (err = sysctl_on(path)))
		return cni_fail(CNI_ERR_INTERNAL, NULL, "%s: %s", path,
				strerror(-err));
	return 0;
}

/* IPAM's routes in the pod, via the gateway of their family by default. */
static int pod_routes(struct meta_nl *pod, int ifindex,
		      const struct cni_ip *ips, int nips, json_t *routes)
{
	const struct in6_addr *gw;
	struct in6_addr rgw;
	struct cni_ip dst;
	json_t *r, *v;
	size_t i;
	int j, fam, err;

	json_array_foreach(routes, i, r) {
		v = json_object_get(r, "dst");
		if (!json_is_string(v) ||
		    ip_parse_cidr(json_string_value(v), &dst) < 0)
			return cni_fail(CNI_ERR_CONFIG, "ipam",
					"IPAM route %zu has no valid \"dst\"", i);
		gw = NULL;
		v = json_object_get(r, "gw");
		if (json_is_string(v) && *json_string_value(v)) {
			if (ip_parse_addr(json_string_value(v), &fam, &rgw) < 0 ||
			    fam != dst.family)
				return cni_fail(CNI_ERR_CONFIG, "ipam",
						"IPAM route %zu: bad \"gw\"", i);
			gw = &rgw;
		}
		for (j = 0; !gw && j < nips; j++)
			if (ips[j].family == dst.family)
				gw = &ips[j].gw;
		if (!gw) {
			cni_log("IPAM route %s has no gateway of its family, skipped",
				json_string_value(json_object_get(r, "dst")));
			continue;
		}
		ip_network(&dst, &dst.addr);
		err = nl_route_add(pod, ifindex, dst.family, &dst.addr,
				   dst.prefix, gw, NULL, RT_SCOPE_UNIVERSE);
		if (err && err != -EEXIST)
			return nl_fail(err, "route %s in the pod%s",
				       json_string_value(json_object_get(r, "dst")),
				       "");
	}
	return 0;
}

static int configure_ip(struct meta_nl *host, struct meta_nl *pod,
			int host_ifindex, int pod_ifindex,
			const struct cni_ip *ip)
{
	int full = ip->family == AF_INET ? 32 : 128, err;
	char a[INET6_ADDRSTRLEN];
	struct in6_addr net;

	ip_format(ip->family, &ip->addr, a, sizeof(a));
	/* Several pods share the gateway address: one per host end. */
	err = nl_addr_add(host, host_ifindex, ip->family, &ip->gw, full);
	if (err && err != -EEXIST)
		return nl_fail(err, "gateway address on the host end for %s%s",
			       a, "");
	/* Scope host, as ptp's: the pod is "here", behind the host end. */
	err = nl_route_add(host, host_ifindex, ip->family, &ip->addr, full,
			   NULL, NULL, RT_SCOPE_HOST);
	if (err)
		return nl_fail(err, "host route to %s%s", a,
			       err == -EEXIST ? " (another pod has it?)" : "");

	err = nl_addr_add(pod, pod_ifindex, ip->family, &ip->addr, ip->prefix);
	if (err)
		return nl_fail(err, "address %s in the pod%s", a, "");
	/* The pod's own address as source, as ptp sets them. */
	err = nl_route_add(pod, pod_ifindex, ip->family, &ip->gw, full, NULL,
			   &ip->addr, RT_SCOPE_LINK);
	if (err && err != -EEXIST)
		return nl_fail(err, "route to the gateway of %s in the pod%s",
			       a, "");
	if (ip->prefix < full) {
		ip_network(ip, &net);
		err = nl_route_add(pod, pod_ifindex, ip->family, &net,
				   ip->prefix, &ip->gw, &ip->addr,
				   RT_SCOPE_UNIVERSE);
		if (err && err != -EEXIST)
			return nl_fail(err, "subnet route of %s in the pod%s",
				       a, "");
	}
	return 0;
}

int link_configure(struct link_state *st, const struct cni_conf *conf,
		   const struct cni_env *env, const struct cni_ip *ips,
		   int nips, json_t *routes)
{
	struct meta_nl *host = NULL, *pod = NULL;
	struct nl_link pl;
	char alias[256];
	int err, i, ret = -1;

	if ((err = nl_open(&host, -1)) || (err = nl_open(&pod, st->netns_fd))) {
		cni_fail(CNI_ERR_NETLINK, NULL, "netlink socket: %s",
			 strerror(-err));
		goto out;
	}
	link_alias(conf, env->containerid, env->ifname, alias, sizeof(alias));
	if ((err = nl_link_set_alias(host, st->host_ifindex, alias))) {
		nl_fail(err, "alias of %s%s", st->host, "");
		goto out;
	}
	if ((err = nl_link_get(pod, env->ifname, &pl))) {
		nl_fail(err, "look up %s%s in the pod", env->ifname, "");
		goto out;
	}
	/* Routes need their device up. */
	if ((err = nl_link_up(host, st->host_ifindex)) ||
	    (err = nl_link_up(pod, pl.ifindex))) {
		nl_fail(err, "set %s/%s up", st->host, env->ifname);
		goto out;
	}
	for (i = 0; i < nips; i++)
		if (configure_ip(host, pod, st->host_ifindex, pl.ifindex,
				 &ips[i]))
			goto out;
	if (json_is_array(routes) &&
	    pod_routes(pod, pl.ifindex, ips, nips, routes))
		goto out;
	ret = forwarding_on(ips, nips);
out:
	meta_nl_close(host);
	meta_nl_close(pod);
	return ret;
}

int link_delete(const char *name)
{
	struct meta_nl *mnl;
	int err;

	err = meta_nl_open(&mnl);
	if (err)
		return cni_fail(CNI_ERR_NETLINK, NULL, "%s", meta_last_error());
	err = meta_pair_delete(mnl, name);
	meta_nl_close(mnl);
	if (err == -ENODEV)
		return 0;
	/* Not ours to delete: someone else's device with our name. */
	if (err == -EMEDIUMTYPE) {
		cni_log("%s is not a meta device, left alone", name);
		return 0;
	}
	if (err)
		return cni_fail(CNI_ERR_NETLINK, NULL, "%s", meta_last_error());
	return 0;
}

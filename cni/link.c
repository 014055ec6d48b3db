// SPDX-License-Identifier: GPL-2.0
/*
 * The pod's meta pair, set up the way the reference ptp plugin sets up its
 * veth pair (README.md, "Devices and addressing"): the host end owns each
 * gateway as a /32 (/128) and routes the pod's address to the pod; the pod
 * reaches everything through the gateway. All netlink goes through
 * libmeta; its last error is what a failure reports (code 102).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
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

int link_alias(const struct cni_conf *conf, const char *containerid,
	       const char *ifname, char *buf, size_t len)
{
	const struct cni_env *e = cni_env;
	int n;

	n = snprintf(buf, len, "cni:%s:%s:%s", conf->name, containerid, ifname);
	if (n < 0 || (size_t)n >= len || n > 255) {
		buf[0] = '\0';
		return -1;
	}
	/* Kubernetes names cannot hold ':' or ' ': the alias stays parseable. */
	if (e && *e->pod_ns && *e->pod_name &&
	    n + 6 + strlen(e->pod_ns) + strlen(e->pod_name) <= 255)
		snprintf(buf + n, len - n, " pod:%s/%s", e->pod_ns, e->pod_name);
	return 0;
}

int link_alias_parse(const char *alias, const char *network, char *cid,
		     size_t cid_len, char *ifname, size_t ifname_len)
{
	size_t plen = strlen(network), clen, flen;
	const char *rest, *colon, *end;

	if (strncmp(alias, "cni:", 4) || strncmp(alias + 4, network, plen) ||
	    alias[4 + plen] != ':')
		return -1;
	rest = alias + 5 + plen;
	end = strchrnul(rest, ' ');
	colon = memchr(rest, ':', end - rest);
	if (!colon || memchr(colon + 1, ':', end - colon - 1))
		return -1;
	clen = colon - rest;
	flen = end - colon - 1;
	if (!clen || clen >= cid_len || !flen || flen >= ifname_len)
		return -1;
	snprintf(cid, cid_len, "%.*s", (int)clen, rest);
	snprintf(ifname, ifname_len, "%.*s", (int)flen, colon + 1);
	return 0;
}

/* ---- netlink through libmeta --------------------------------------------- */

int ns_nl_open(struct meta_nl **nlp, int netns_fd)
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

int nl_fail(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cni_fail(CNI_ERR_NETLINK, NULL, "%s: %s", what,
			meta_last_error());
}

struct addr_find {
	int ifindex, family, prefix;
	const struct in6_addr *addr;
	bool found;
};

static int addr_find_cb(const struct meta_addr *a, void *arg)
{
	struct addr_find *f = arg;

	if (a->ifindex == f->ifindex && a->family == f->family &&
	    (int)a->prefixlen == f->prefix &&
	    !memcmp(a->addr, f->addr, f->family == AF_INET ? 4 : 16))
		f->found = true;
	return 0;
}

int nl_addr_has(struct meta_nl *nl, int ifindex, int family,
		const struct in6_addr *addr, int prefix)
{
	struct addr_find f = { ifindex, family, prefix, addr, false };

	if (meta_addr_dump(nl, family, addr_find_cb, &f))
		return nl_fail("list addresses");
	return f.found;
}

struct route_find {
	const struct meta_route *want;
	long priority;
	bool found;
};

static int route_find_cb(const struct meta_route *r, void *arg)
{
	struct route_find *f = arg;
	const struct meta_route *w = f->want;
	int n = w->family == AF_INET ? 4 : 16;

	if (r->family != w->family || r->oif != w->oif ||
	    r->dst_len != w->dst_len || r->table != w->table ||
	    memcmp(r->dst, w->dst, n) ||
	    (w->has & META_ROUTE_HAS_GW) != (r->has & META_ROUTE_HAS_GW) ||
	    ((w->has & META_ROUTE_HAS_GW) && memcmp(r->gw, w->gw, n)) ||
	    (f->priority >= 0 && r->priority != (unsigned long)f->priority))
		return 0;
	f->found = true;
	return 0;
}

int nl_route_has(struct meta_nl *nl, int ifindex, int family,
		 const struct in6_addr *dst, int dst_len,
		 const struct in6_addr *gw, long table, long priority)
{
	struct meta_route w = {
		.family = family, .oif = ifindex, .dst_len = dst_len,
		.table = table > 0 ? table : RT_TABLE_MAIN,
	};
	struct route_find f = { &w, priority, false };

	memcpy(w.dst, dst, 16);
	if (gw) {
		memcpy(w.gw, gw, 16);
		w.has |= META_ROUTE_HAS_GW;
	}
	if (meta_route_dump(nl, family, route_find_cb, &f))
		return nl_fail("list routes");
	return f.found;
}

/* ---- namespaces and the pair --------------------------------------------- */

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
	struct meta_link l;
	struct meta_nl *nl;
	int err;

	err = ns_nl_open(&nl, netns_fd);
	if (err)
		return cni_fail(CNI_ERR_NETNS, NULL,
				"netlink socket in CNI_NETNS: %s", strerror(-err));
	err = meta_link_get(nl, ifname, &l);
	meta_nl_close(nl);
	if (!err)
		return cni_fail(CNI_ERR_IFNAME_EXISTS, NULL,
				"a device named %s already exists in CNI_NETNS",
				ifname);
	if (err != -ENODEV)
		return nl_fail("CNI_NETNS");
	return 0;
}

static void iface_fill(struct cni_iface *f, const struct meta_link *l,
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
	if (l->addr_len == 6)
		snprintf(f->mac, sizeof(f->mac),
			 "%02x:%02x:%02x:%02x:%02x:%02x", l->addr[0],
			 l->addr[1], l->addr[2], l->addr[3], l->addr[4],
			 l->addr[5]);
}

int link_create(struct link_state *st, const struct cni_conf *conf,
		const struct cni_env *env)
{
	struct meta_pair_opts o;
	struct meta_link host, pod;
	struct meta_nl *nl;
	int err;

	link_host_name(env->containerid, env->ifname, st->host);
	err = meta_nl_open(&nl);
	if (err)
		return nl_fail("netlink");
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
		nl_fail("the pair");
		goto out;
	}
	st->created = true;

	/* What the result reports: index, MAC, MTU of both ends. */
	err = meta_link_get(nl, st->host, &host);
	meta_nl_close(nl);
	if (err)
		return nl_fail("the host end");
	err = ns_nl_open(&nl, st->netns_fd);
	if (!err) {
		err = meta_link_get(nl, env->ifname, &pod);
		meta_nl_close(nl);
	}
	if (err)
		return nl_fail("the pod end in CNI_NETNS");
	st->host_ifindex = host.ifindex;
	iface_fill(&st->ifaces[0], &host, st->host, NULL);
	iface_fill(&st->ifaces[1], &pod, env->ifname, env->netns);
	return 0;
out:
	meta_nl_close(nl);
	return -1;
}

/* ---- sysctls -------------------------------------------------------------- */

/*
 * Sets PATH to VALUE unless it already is: containerised installers see a
 * read-only /proc/sys, which is fine as long as nothing must change.
 * 0, or a negative errno.
 */
static int sysctl_set(const char *path, const char *value)
{
	size_t len = strlen(value);
	char cur[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, cur, sizeof(cur) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	cur[n] = '\0';
	cur[strcspn(cur, "\n")] = '\0';
	if (!strcmp(cur, value))
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	close(fd);
	if (n != (ssize_t)len)
		return n < 0 ? -errno : -EIO;
	return 0;
}

/*
 * The same in the namespace of netns_fd: /proc/sys/net shows the
 * namespace of whoever opens it.
 */
static int sysctl_set_in(int netns_fd, const char *path, const char *value)
{
	int self, err;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return err;
	}
	err = sysctl_set(path, value);
	if (setns(self, CLONE_NEWNET) < 0) {
		cni_log("cannot return to the original network namespace: %s",
			strerror(errno));
		abort();
	}
	close(self);
	return err;
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
	if (v4 && (err = sysctl_set(path, "1")))
		return cni_fail(CNI_ERR_INTERNAL, NULL, "%s: %s", path,
				strerror(-err));
	path = "/proc/sys/net/ipv6/conf/all/forwarding";
	if (v6 && (err = sysctl_set(path, "1")))
		return cni_fail(CNI_ERR_INTERNAL, NULL, "%s: %s", path,
				strerror(-err));
	return 0;
}

/*
 * What ptp sets besides addresses: no router advertisements accepted on
 * the host end (an l2 pod could otherwise inject routes into the node),
 * and, for IPv6 pods, IPv6 enabled on the pod's lo and interface (a netns
 * may be created with it disabled) with keep_addr_on_down.
 */
static int link_sysctls(const struct link_state *st, const char *ifname,
			const struct cni_ip *ips, int nips)
{
	const char *const pod[][2] = {
		{ "lo", "disable_ipv6" }, { ifname, "disable_ipv6" },
		{ ifname, "keep_addr_on_down" },
	};
	char path[128];
	bool v6 = false;
	size_t j;
	int i, err;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra",
		 st->host);
	err = sysctl_set(path, "0");
	/* No IPv6 in this kernel: nothing to accept. */
	if (err && err != -ENOENT)
		cni_log("warning: %s: %s", path, strerror(-err));

	for (i = 0; i < nips; i++)
		v6 |= ips[i].family == AF_INET6;
	for (j = 0; v6 && j < ARRAY_SIZE(pod); j++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s",
			 pod[j][0], pod[j][1]);
		err = sysctl_set_in(st->netns_fd, path,
				    strcmp(pod[j][1], "disable_ipv6") ? "1" : "0");
		if (err)
			return cni_fail(CNI_ERR_INTERNAL, NULL,
					"%s in the pod: %s", path, strerror(-err));
	}
	return 0;
}

/* ---- addresses and routes ------------------------------------------------- */

static void route_from(struct meta_route *r, const struct cni_route *c,
		       const struct in6_addr *gw, int oif)
{
	memset(r, 0, sizeof(*r));
	r->family = c->family;
	r->oif = oif;
	r->dst_len = c->prefix;
	memcpy(r->dst, &c->dst, 16);
	if (gw) {
		memcpy(r->gw, gw, 16);
		r->has |= META_ROUTE_HAS_GW;
	}
	if (c->priority >= 0) {
		r->priority = c->priority;
		r->has |= META_ROUTE_HAS_PRIO;
	}
	if (c->mtu >= 0) {
		r->mtu = c->mtu;
		r->has |= META_ROUTE_HAS_MTU;
	}
	if (c->advmss >= 0) {
		r->advmss = c->advmss;
		r->has |= META_ROUTE_HAS_ADVMSS;
	}
	r->table = c->table >= 0 ? c->table : 0;
	r->scope = c->scope >= 0 ? c->scope : RT_SCOPE_UNIVERSE;
}

/*
 * The gateway a route without "gw" takes in the pod: the first address of
 * its family's, as ptp's. NULL when the pod has no address of that family.
 */
const struct in6_addr *family_gw(const struct cni_ip *ips, int nips, int fam)
{
	int j;

	for (j = 0; j < nips; j++)
		if (ips[j].family == fam)
			return &ips[j].gw;
	return NULL;
}

/*
 * IPAM's routes in the pod, with every field CNI 1.1 gives them. A route
 * that is already there (the subnet route, say) is fine when it is the
 * same one; one that differs fails ADD rather than be listed in the result
 * without being what it says.
 */
static int pod_routes(struct meta_nl *pod, int ifindex,
		      const struct cni_ip *ips, int nips, json_t *routes)
{
	const struct in6_addr *gw;
	struct meta_route mr;
	struct cni_route r;
	json_t *j;
	size_t i;
	int err;

	json_array_foreach(routes, i, j) {
		if (route_parse(j, i, "ipam", &r))
			return -1;
		gw = r.has_gw ? &r.gw : family_gw(ips, nips, r.family);
		route_from(&mr, &r, gw, ifindex);
		err = meta_route_add(pod, &mr);
		if (err == -EEXIST) {
			err = nl_route_has(pod, ifindex, r.family, &r.dst,
					   r.prefix, gw, r.table, r.priority);
			if (err < 0)
				return -1;
			if (err == 1)
				continue;
			return cni_fail(CNI_ERR_NETLINK, "ipam",
					"IPAM route %s: the pod already has another route to it",
					r.text);
		}
		if (err)
			return nl_fail("IPAM route %s in the pod", r.text);
	}
	return 0;
}

static void route_init(struct meta_route *r, int family, int oif,
		       const struct in6_addr *dst, int dst_len, int scope)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->oif = oif;
	r->dst_len = dst_len;
	memcpy(r->dst, dst, 16);
	r->scope = scope;
}

static int configure_ip(struct meta_nl *host, struct meta_nl *pod,
			int host_ifindex, int pod_ifindex,
			const struct cni_ip *ip)
{
	int full = ip->family == AF_INET ? 32 : 128, err;
	char a[INET6_ADDRSTRLEN];
	struct meta_route r;
	struct meta_addr ma;

	ip_format(ip->family, &ip->addr, a, sizeof(a));
	/* Several pods share the gateway address: one per host end. */
	memset(&ma, 0, sizeof(ma));
	ma.family = ip->family;
	ma.ifindex = host_ifindex;
	ma.prefixlen = full;
	memcpy(ma.addr, &ip->gw, 16);
	/*
	 * No prefix route (the pod routes its subnet via the gateway, as
	 * ptp does). No DAD: nobody else can have the address on a
	 * point-to-point pair, and a tentative address would delay traffic.
	 */
	ma.flags = IFA_F_NOPREFIXROUTE | IFA_F_NODAD;
	err = meta_addr_add(host, &ma);
	if (err && err != -EEXIST)
		return nl_fail("gateway address on the host end for %s", a);

	/* Scope host, as ptp's: the pod is "here", behind the host end. */
	route_init(&r, ip->family, host_ifindex, &ip->addr, full, RT_SCOPE_HOST);
	err = meta_route_add(host, &r);
	if (err)
		return nl_fail("host route to %s%s", a,
			       err == -EEXIST ? " (another pod has it?)" : "");

	ma.ifindex = pod_ifindex;
	ma.prefixlen = ip->prefix;
	memcpy(ma.addr, &ip->addr, 16);
	err = meta_addr_add(pod, &ma);
	if (err)
		return nl_fail("address %s in the pod", a);

	/* The pod's own address as source, as ptp sets them. */
	route_init(&r, ip->family, pod_ifindex, &ip->gw, full, RT_SCOPE_LINK);
	memcpy(r.src, &ip->addr, 16);
	r.has = META_ROUTE_HAS_SRC;
	err = meta_route_add(pod, &r);
	if (err && err != -EEXIST)
		return nl_fail("route to the gateway of %s in the pod", a);
	if (ip->prefix < full) {
		struct in6_addr net;

		ip_network(ip, &net);
		r.dst_len = ip->prefix;
		memcpy(r.dst, &net, 16);
		memcpy(r.gw, &ip->gw, 16);
		r.has |= META_ROUTE_HAS_GW;
		r.scope = RT_SCOPE_UNIVERSE;
		err = meta_route_add(pod, &r);
		if (err && err != -EEXIST)
			return nl_fail("subnet route of %s in the pod", a);
	}
	return 0;
}

/*
 * The bandwidth capability, as the reference bandwidth plugin reads it
 * (bits/s, bits; 25 ms of queue on top of the bucket), on the pair
 * itself: what the pod receives is shaped by a tbf on the host end, what
 * it sends by one on the pod end, ahead of the meta device's programs.
 */
#define BW_LATENCY_US	25000ULL

static int tbf(struct meta_nl *nl, int ifindex, unsigned long long rate_bits,
	       unsigned long long burst_bits, const char *what)
{
	unsigned long long rate = rate_bits / 8, burst = burst_bits / 8;
	unsigned long long limit = rate * BW_LATENCY_US / 1000000 + burst;

	if (meta_qdisc_tbf(nl, ifindex, rate, burst,
			   limit < 0xffffffffULL ? limit : 0xffffffffULL))
		return nl_fail("bandwidth: %s", what);
	return 0;
}

static int bandwidth(const struct cni_conf *conf, struct meta_nl *host,
		     int host_ifindex, struct meta_nl *pod, int pod_ifindex)
{
	if (conf->bw_in_rate &&
	    tbf(host, host_ifindex, conf->bw_in_rate, conf->bw_in_burst,
		"ingress on the host end"))
		return -1;
	if (conf->bw_eg_rate &&
	    tbf(pod, pod_ifindex, conf->bw_eg_rate, conf->bw_eg_burst,
		"egress on the pod end"))
		return -1;
	return 0;
}

int link_configure(struct link_state *st, const struct cni_conf *conf,
		   const struct cni_env *env, const struct cni_ip *ips,
		   int nips, json_t *routes)
{
	struct meta_nl *host = NULL, *pod = NULL;
	struct meta_link pl;
	char alias[512];
	int i, ret = -1;

	if (ns_nl_open(&host, -1) || ns_nl_open(&pod, st->netns_fd)) {
		nl_fail("netlink");
		goto out;
	}
	if (!link_alias(conf, env->containerid, env->ifname, alias,
			sizeof(alias)) &&
	    meta_link_set_alias(host, st->host_ifindex, alias)) {
		nl_fail("alias of %s", st->host);
		goto out;
	}
	if (meta_link_get(pod, env->ifname, &pl)) {
		nl_fail("%s in the pod", env->ifname);
		goto out;
	}
	if (link_sysctls(st, env->ifname, ips, nips))
		goto out;
	/* Routes need their device up. */
	if (meta_link_set_up(host, st->host_ifindex) ||
	    meta_link_set_up(pod, pl.ifindex)) {
		nl_fail("set %s/%s up", st->host, env->ifname);
		goto out;
	}
	if (bandwidth(conf, host, st->host_ifindex, pod, pl.ifindex))
		goto out;
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
		return nl_fail("netlink");
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

int link_is_meta(const char *name, int *ifindex)
{
	struct meta_link l;
	struct meta_nl *nl;
	int err;

	if (meta_nl_open(&nl))
		return nl_fail("netlink");
	err = meta_link_get(nl, name, &l);
	meta_nl_close(nl);
	if (err == -ENODEV)
		return 0;
	if (err)
		return nl_fail("look up %s", name);
	if (ifindex)
		*ifindex = l.ifindex;
	return !strcmp(l.kind, "meta");
}

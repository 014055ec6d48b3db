// SPDX-License-Identifier: GPL-2.0
/*
 * CHECK: the attachment still is what ADD made of it, as prevResult
 * describes it: both ends of the pair, the addresses and routes of each
 * address, IPAM's routes, the configured programs and meta_pods entries;
 * then the IPAM's own CHECK. A difference is error 105.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>

#include "libmeta.h"
#include "meta_cni.h"

static int check_fail(const char *what, const char *a, const char *dev)
{
	return cni_fail(CNI_ERR_CHECK, NULL, "%s %s missing on %s", what, a,
			dev);
}

/* The end NAME exists, is a meta device, and is the primary or the peer. */
static int check_end(struct meta_nl *nl, const char *name, bool primary,
		     unsigned int mtu, struct nl_link *l)
{
	struct meta_link_info info;
	int err;

	err = nl_link_get(nl, name, l);
	if (err)
		return cni_fail(CNI_ERR_CHECK, NULL, "%s %s: %s",
				primary ? "host end" : "pod end", name,
				strerror(-err));
	if (strcmp(l->kind, "meta"))
		return cni_fail(CNI_ERR_CHECK, NULL,
				"%s is a %s device, not meta", name,
				*l->kind ? l->kind : "plain");
	if (mtu && l->mtu != mtu)
		return cni_fail(CNI_ERR_CHECK, NULL, "%s has MTU %u, not %u",
				name, l->mtu, mtu);
	if (meta_link_query(nl, name, &info))
		return cni_fail(CNI_ERR_CHECK, NULL, "%s", meta_last_error());
	if (info.primary != (primary ? 1 : 0))
		return cni_fail(CNI_ERR_CHECK, NULL, "%s is not the %s end",
				name, primary ? "primary" : "peer");
	return 0;
}

static int check_ip(struct meta_nl *host, struct meta_nl *pod,
		    const struct nl_link *h, const struct nl_link *p,
		    const struct cni_ip *ip)
{
	int full = ip->family == AF_INET ? 32 : 128, f = ip->family;
	char a[INET6_ADDRSTRLEN + 8], g[INET6_ADDRSTRLEN];
	struct in6_addr net;

	ip_format(f, &ip->addr, a, sizeof(a));
	ip_format(f, &ip->gw, g, sizeof(g));
	if (nl_addr_has(pod, p->ifindex, f, &ip->addr, ip->prefix) != 1)
		return check_fail("address", a, p->name);
	if (nl_addr_has(host, h->ifindex, f, &ip->gw, full) != 1)
		return check_fail("gateway address", g, h->name);
	if (nl_route_has(host, h->ifindex, f, &ip->addr, full, NULL) != 1)
		return check_fail("host route to", a, h->name);
	if (nl_route_has(pod, p->ifindex, f, &ip->gw, full, NULL) != 1)
		return check_fail("route to the gateway", g, p->name);
	ip_network(ip, &net);
	if (ip->prefix < full &&
	    nl_route_has(pod, p->ifindex, f, &net, ip->prefix, &ip->gw) != 1)
		return check_fail("subnet route of", a, p->name);
	return 0;
}

/* prevResult's routes: in the pod, via their gateway or their family's. */
static int check_routes(struct meta_nl *pod, const struct nl_link *p,
			const struct cni_ip *ips, int nips, json_t *routes)
{
	const struct in6_addr *gw;
	struct in6_addr rgw;
	struct cni_ip dst;
	const char *d;
	json_t *r, *v;
	int j, fam;
	size_t i;

	json_array_foreach(routes, i, r) {
		d = json_string_value(json_object_get(r, "dst"));
		if (!d || ip_parse_cidr(d, &dst) < 0)
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"prevResult route %zu has no valid \"dst\"", i);
		gw = NULL;
		v = json_object_get(r, "gw");
		if (json_is_string(v) &&
		    !ip_parse_addr(json_string_value(v), &fam, &rgw))
			gw = &rgw;
		for (j = 0; !gw && j < nips; j++)
			if (ips[j].family == dst.family)
				gw = &ips[j].gw;
		ip_network(&dst, &dst.addr);
		if (gw && nl_route_has(pod, p->ifindex, dst.family, &dst.addr,
				       dst.prefix, gw) != 1)
			return check_fail("route", d, p->name);
	}
	return 0;
}

int link_check(const struct cni_conf *conf, const struct cni_env *env,
	       int netns_fd, const struct cni_ip *ips, int nips,
	       json_t *routes)
{
	struct meta_nl *host = NULL, *pod = NULL;
	struct nl_link h, p;
	char name[16];
	int err, i, ret = -1;

	link_host_name(env->containerid, env->ifname, name);
	if ((err = nl_open(&host, -1)) || (err = nl_open(&pod, netns_fd))) {
		cni_fail(CNI_ERR_NETLINK, NULL, "netlink socket: %s",
			 strerror(-err));
		goto out;
	}
	if (check_end(host, name, true, conf->mtu, &h) ||
	    check_end(pod, env->ifname, false, conf->mtu, &p))
		goto out;
	if (!(h.flags & IFF_UP) || !(p.flags & IFF_UP)) {
		cni_fail(CNI_ERR_CHECK, NULL, "%s is down",
			 h.flags & IFF_UP ? p.name : h.name);
		goto out;
	}
	for (i = 0; i < nips; i++)
		if (check_ip(host, pod, &h, &p, &ips[i]))
			goto out;
	if (json_is_array(routes) && check_routes(pod, &p, ips, nips, routes))
		goto out;
	if (bpf_check_progs(conf, name) ||
	    bpf_pods_check(conf, ips, nips, h.ifindex))
		goto out;
	ret = 0;
out:
	meta_nl_close(host);
	meta_nl_close(pod);
	return ret;
}

int cmd_check(const struct cni_conf *conf, const struct cni_env *env)
{
	struct cni_ip ips[CNI_MAX_IPS];
	struct ipam ipam;
	json_t *res = NULL;
	int fd, nips, ret = -1;

	if (cni_version_cmp(conf->version, "0.4.0") < 0)
		return cni_fail(CNI_ERR_VERSION, NULL,
				"CHECK needs cniVersion 0.4.0 or later (config has %s)",
				conf->version);
	if (!conf->prev_result)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"CHECK needs \"prevResult\" in the config");
	if (result_parse_ips(conf->prev_result, ips, &nips) ||
	    ipam_find(&ipam, conf, env))
		return -1;
	fd = link_netns_open(env->netns);
	if (fd < 0)
		return -1;
	if (!link_check(conf, env, fd, ips, nips,
			json_object_get(conf->prev_result, "routes")) &&
	    !ipam_negotiate(&ipam, conf) &&
	    !ipam_exec(&ipam, conf, "CHECK", NULL, NULL, &res))
		ret = 0;
	json_decref(res);
	close(fd);
	return ret;
}

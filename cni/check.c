// SPDX-License-Identifier: GPL-2.0
/*
 * CHECK: the attachment still is what ADD made of it, as prevResult
 * describes it, the way ptp checks its own: prevResult names the pod's
 * interface in CNI_NETNS (sandbox) with the MAC it has; both ends of the
 * pair are there and up, with each address and its routes, and
 * prevResult's routes; the configured programs and meta_pods entries;
 * then the IPAM's own CHECK. A difference is error 105. The MTU is not
 * compared: plugins later in the chain (tuning) may change it.
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
		     struct meta_link *l)
{
	struct meta_link_info info;
	int err;

	err = meta_link_get(nl, name, l);
	if (err)
		return cni_fail(CNI_ERR_CHECK, NULL, "%s %s: %s",
				primary ? "host end" : "pod end", name,
				strerror(-err));
	if (strcmp(l->kind, "meta"))
		return cni_fail(CNI_ERR_CHECK, NULL,
				"%s is a %s device, not meta", name,
				*l->kind ? l->kind : "plain");
	if (meta_link_query(nl, name, &info))
		return cni_fail(CNI_ERR_CHECK, NULL, "%s", meta_last_error());
	if (info.primary != (primary ? 1 : 0))
		return cni_fail(CNI_ERR_CHECK, NULL, "%s is not the %s end",
				name, primary ? "primary" : "peer");
	return 0;
}

/* The MAC prevResult gives interface IFACE, if any, is L's. */
static int check_mac(json_t *iface, const struct meta_link *l)
{
	const char *want = json_string_value(json_object_get(iface, "mac"));
	char mac[18] = "";

	if (!want || !*want)
		return 0;
	if (l->addr_len == 6)
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 l->addr[0], l->addr[1], l->addr[2], l->addr[3],
			 l->addr[4], l->addr[5]);
	if (strcasecmp(want, mac))
		return cni_fail(CNI_ERR_CHECK, NULL,
				"%s has MAC %s, prevResult says %s", l->name,
				*mac ? mac : "none", want);
	return 0;
}

/*
 * prevResult's interface NAME: in CNI_NETNS (sandbox) for the pod end, in
 * the host's namespace (no sandbox) for the host end. NULL, recorded, if
 * there is none.
 */
static json_t *prev_iface(json_t *prev, const char *name, const char *netns)
{
	json_t *i, *list = json_object_get(prev, "interfaces");
	const char *sb;
	size_t k;

	json_array_foreach(list, k, i) {
		sb = json_string_value(json_object_get(i, "sandbox"));
		if (!json_is_string(json_object_get(i, "name")) ||
		    strcmp(json_string_value(json_object_get(i, "name")), name))
			continue;
		if (netns ? sb && !strcmp(sb, netns) : !sb || !*sb)
			return i;
	}
	if (netns)
		cni_fail(CNI_ERR_CHECK, NULL,
			 "prevResult has no interface %s with sandbox %s",
			 name, netns);
	else
		cni_fail(CNI_ERR_CHECK, NULL,
			 "prevResult has no host interface %s", name);
	return NULL;
}

static int check_ip(struct meta_nl *host, struct meta_nl *pod,
		    const struct meta_link *h, const struct meta_link *p,
		    const struct cni_ip *ip)
{
	int full = ip->family == AF_INET ? 32 : 128, f = ip->family;
	char a[INET6_ADDRSTRLEN + 8], g[INET6_ADDRSTRLEN];
	struct in6_addr net;

	if (!ip->has_gw)
		return cni_fail(CNI_ERR_CHECK, NULL,
				"prevResult gives an address no gateway");
	ip_format(f, &ip->addr, a, sizeof(a));
	ip_format(f, &ip->gw, g, sizeof(g));
	if (nl_addr_has(pod, p->ifindex, f, &ip->addr, ip->prefix) != 1)
		return check_fail("address", a, p->name);
	if (nl_addr_has(host, h->ifindex, f, &ip->gw, full) != 1)
		return check_fail("gateway address", g, h->name);
	if (nl_route_has(host, h->ifindex, f, &ip->addr, full, NULL, 0, -1) != 1)
		return check_fail("host route to", a, h->name);
	if (nl_route_has(pod, p->ifindex, f, &ip->gw, full, NULL, 0, -1) != 1)
		return check_fail("route to the gateway", g, p->name);
	ip_network(ip, &net);
	if (ip->prefix < full &&
	    nl_route_has(pod, p->ifindex, f, &net, ip->prefix, &ip->gw, 0,
			 -1) != 1)
		return check_fail("subnet route of", a, p->name);
	return 0;
}

/* prevResult's routes: in the pod, as ADD made them (pod_routes()). */
static int check_routes(struct meta_nl *pod, const struct meta_link *p,
			const struct cni_ip *ips, int nips, json_t *routes)
{
	const struct in6_addr *gw;
	struct cni_route r;
	json_t *j;
	size_t i;

	json_array_foreach(routes, i, j) {
		if (route_parse(j, i, NULL, &r))
			return -1;
		gw = r.has_gw ? &r.gw : family_gw(ips, nips, r.family);
		if (nl_route_has(pod, p->ifindex, r.family, &r.dst, r.prefix,
				 gw, r.table, r.priority) != 1)
			return check_fail("route", r.text, p->name);
	}
	return 0;
}

int link_check(const struct cni_conf *conf, const struct cni_env *env,
	       int netns_fd, const struct cni_ip *ips, int nips,
	       json_t *routes)
{
	struct meta_nl *host = NULL, *pod = NULL;
	json_t *pod_if, *host_if = NULL;
	struct meta_link h, p;
	char name[16];
	int i, ret = -1;

	link_host_name(env->containerid, env->ifname, name);
	/* As ptp: prevResult must put CNI_IFNAME in CNI_NETNS. */
	pod_if = prev_iface(conf->prev_result, env->ifname, env->netns);
	if (!pod_if)
		return -1;
	if (ns_nl_open(&host, -1) || ns_nl_open(&pod, netns_fd)) {
		nl_fail("netlink");
		goto out;
	}
	if (check_end(host, name, true, &h) ||
	    check_end(pod, env->ifname, false, &p) || check_mac(pod_if, &p))
		goto out;
	/* Our own result lists the host end first; others may not. */
	host_if = prev_iface(conf->prev_result, name, NULL);
	if (host_if && check_mac(host_if, &h))
		goto out;
	if (!host_if)
		memset(&cni_err, 0, sizeof(cni_err));
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

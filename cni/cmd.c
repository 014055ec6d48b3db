// SPDX-License-Identifier: GPL-2.0
/*
 * ADD and DEL. ADD follows the reference ptp plugin's order (IPAM first,
 * then the pair) and undoes everything it did when a later step fails, so
 * that a failed ADD leaves no device, no meta_pods entry and no reserved
 * address. DEL is idempotent: whatever is already gone is fine.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libmeta.h"
#include "meta_cni.h"

struct add_state {
	struct ipam ipam;
	struct link_state link;
	bool ipam_added;
	bool pods_added;
	struct cni_ip ips[CNI_MAX_IPS];
	int nips;
};

/* Best effort: the first error (already recorded) is what gets reported. */
static void rollback(const struct cni_conf *conf, struct add_state *s)
{
	json_t *res;

	if (s->pods_added &&
	    bpf_pods_del_ifindex(conf, s->link.host_ifindex) < 0)
		cni_log("rollback: could not remove the meta_pods entries");
	if (s->link.created && link_delete(s->link.host) < 0)
		cni_log("rollback: could not delete %s", s->link.host);
	if (s->ipam_added) {
		if (ipam_exec(&s->ipam, conf, "DEL", NULL, NULL, &res) < 0)
			cni_log("rollback: IPAM DEL failed");
		json_decref(res);
	}
}

int cmd_add(const struct cni_conf *conf, const struct cni_env *env)
{
	struct add_state s = { .link.netns_fd = -1 };
	json_t *ipam_res = NULL, *res;
	int ret = -1;

	if (ipam_find(&s.ipam, conf, env))
		return -1;
	s.link.netns_fd = link_netns_open(env->netns);
	if (s.link.netns_fd < 0)
		return -1;
	if (link_check_ifname(s.link.netns_fd, env->ifname) ||
	    ipam_negotiate(&s.ipam, conf))
		goto out;

	if (ipam_exec(&s.ipam, conf, "ADD", NULL, NULL, &ipam_res))
		goto out;
	s.ipam_added = true;
	if (!ipam_res) {
		cni_fail(CNI_ERR_INTERNAL, "ipam", "IPAM %s printed no result",
			 s.ipam.path);
		goto fail;
	}
	if (result_parse_ips(ipam_res, s.ips, &s.nips))
		goto fail;
	if (!s.nips) {
		cni_fail(CNI_ERR_INTERNAL, "ipam", "IPAM %s returned no address",
			 s.ipam.path);
		goto fail;
	}

	if (link_create(&s.link, conf, env) ||
	    link_configure(&s.link, conf, env, s.ips, s.nips,
			   json_object_get(ipam_res, "routes")) ||
	    bpf_attach_progs(conf, s.link.host))
		goto fail;
	/* On failure, bpf_pods_add() removes what it added itself. */
	if (bpf_pods_add(conf, s.ips, s.nips, s.link.host_ifindex))
		goto fail;
	s.pods_added = true;

	res = result_build(conf->version, s.link.ifaces, s.ips, s.nips,
			   ipam_res);
	if (result_print(res))
		goto fail;
	ret = 0;
	goto out;
fail:
	rollback(conf, &s);
out:
	json_decref(ipam_res);
	if (s.link.netns_fd >= 0)
		close(s.link.netns_fd);
	return ret;
}

int cmd_del(const struct cni_conf *conf, const struct cni_env *env)
{
	struct cni_ip ips[CNI_MAX_IPS];
	char host[16];
	struct ipam ipam;
	struct nl_link l;
	struct meta_nl *nl;
	json_t *res;
	int nips = 0, err;

	/* Nothing is touched unless the IPAM can be asked to release. */
	if (ipam_find(&ipam, conf, env))
		return -1;

	link_host_name(env->containerid, env->ifname, host);
	err = nl_open(&nl, -1);
	if (err)
		return cni_fail(CNI_ERR_NETLINK, NULL, "netlink socket: %s",
				strerror(-err));
	err = nl_link_get(nl, host, &l);
	meta_nl_close(nl);
	if (!err && !strcmp(l.kind, "meta")) {
		if (bpf_pods_del_ifindex(conf, l.ifindex) ||
		    link_delete(host))
			return -1;
	} else {
		/* Pair gone (with its netns?): only stale map entries remain. */
		if (conf->prev_result &&
		    result_parse_ips(conf->prev_result, ips, &nips) == 0)
			bpf_pods_del_stale(conf, ips, nips);
		/* A bad prevResult must not make DEL fail. */
		memset(&cni_err, 0, sizeof(cni_err));
	}

	if (ipam_negotiate(&ipam, conf) ||
	    ipam_exec(&ipam, conf, "DEL", NULL, NULL, &res))
		return -1;
	json_decref(res);
	return 0;
}

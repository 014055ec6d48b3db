// SPDX-License-Identifier: GPL-2.0
/*
 * ADD, DEL and what DEL shares with GC. ADD follows the reference ptp
 * plugin's order (IPAM first, then the pair) and undoes everything it did
 * when a later step fails, so that a failed ADD leaves no device, no
 * meta_pods entry, no record and no reserved address. DEL is idempotent
 * and best effort: whatever is already gone is fine, and a step that fails
 * does not keep the others (the address above all) from being released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
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

static int record(const struct cni_conf *conf, const struct cni_env *env,
		  const struct add_state *s)
{
	struct cni_record r;

	memset(&r, 0, sizeof(r));
	snprintf(r.cid, sizeof(r.cid), "%s", env->containerid);
	snprintf(r.ifname, sizeof(r.ifname), "%s", env->ifname);
	snprintf(r.host, sizeof(r.host), "%s", s->link.host);
	r.host_ifindex = s->link.host_ifindex;
	memcpy(r.ips, s->ips, sizeof(r.ips));
	r.nips = s->nips;
	return state_save(conf, &r);
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
	if (result_parse_ips(ipam_res, s.ips, &s.nips) ||
	    ips_check_gateways(s.ips, s.nips))
		goto fail;
	if (!s.nips) {
		cni_fail(CNI_ERR_INTERNAL, "ipam", "IPAM %s returned no address",
			 s.ipam.path);
		goto fail;
	}

	if (bpf_node_setup(conf, false) || link_create(&s.link, conf, env) ||
	    link_configure(&s.link, conf, env, s.ips, s.nips,
			   json_object_get(ipam_res, "routes")) ||
	    bpf_attach_progs(conf, s.link.host))
		goto fail;
	/* On failure, bpf_pods_add() removes what it added itself. */
	if (bpf_pods_add(conf, s.ips, s.nips, s.link.host_ifindex))
		goto fail;
	s.pods_added = true;
	if (record(conf, env, &s))
		goto fail;

	res = result_build(conf->version, s.link.ifaces, s.ips, s.nips,
			   ipam_res);
	if (result_print(res)) {
		state_remove(conf, env->containerid, env->ifname);
		goto fail;
	}
	cni_log("ADD %s: %s (%s) up", env->containerid, s.link.host,
		env->ifname);
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

int teardown(const struct cni_conf *conf, struct ipam *ipam, const char *cid,
	     const char *ifname, const struct cni_ip *ips, int nips)
{
	struct cni_record rec;
	bool have_rec, gc, failed = false;
	char host[16];
	int ifindex, is_meta, err;
	json_t *res;

	err = state_load(conf, cid, ifname, &rec);
	have_rec = !err;
	failed |= err && err != -ENOENT;
	link_host_name(cid, ifname, host);

	is_meta = link_is_meta(host, &ifindex);
	if (is_meta == 1) {
		if (bpf_pods_del_ifindex(conf, ifindex))
			failed = true;
		if (link_delete(host))
			failed = true;
	} else {
		failed |= is_meta < 0;
		/* Pair gone (with its netns): its map entries may remain. */
		if (ips && nips &&
		    bpf_pods_del_stale(conf, ips, nips, host))
			failed = true;
		if (have_rec &&
		    bpf_pods_del_stale(conf, rec.ips, rec.nips, host))
			failed = true;
	}

	if (ipam) {
		/* GC's attachments are not the environment's. */
		gc = cni_env && cni_env->cmd == CMD_GC;
		if (ipam_exec(ipam, conf, "DEL", gc ? cid : NULL,
			      gc ? ifname : NULL, &res))
			failed = true;
		json_decref(res);
	}
	/* The record goes only with the last trace of the attachment. */
	if (!failed && ipam && state_remove(conf, cid, ifname))
		failed = true;
	return failed ? -1 : 0;
}

int cmd_del(const struct cni_conf *conf, const struct cni_env *env)
{
	struct cni_ip ips[CNI_MAX_IPS];
	struct cni_error saved;
	struct ipam ipam;
	bool have_ipam;
	int nips = 0;

	/* Nothing is touched unless the IPAM can be asked to release. */
	if (ipam_find(&ipam, conf, env))
		return -1;
	/*
	 * An IPAM that cannot say its versions (reported) still lets the
	 * pair and the map entries go; the record stays for GC.
	 */
	have_ipam = !ipam_negotiate(&ipam, conf);
	/* A prevResult DEL cannot use must not make DEL fail. */
	saved = cni_err;
	if (!conf->prev_result ||
	    result_parse_ips(conf->prev_result, ips, &nips)) {
		nips = 0;
		cni_err = saved;
	}
	return teardown(conf, have_ipam ? &ipam : NULL, env->containerid,
			env->ifname, nips ? ips : NULL, nips) || !have_ipam ?
	       -1 : 0;
}

/*
 * Whether ADD can load meta.ko: modules.dep of the running kernel lists
 * it and its file is there (the kernel's request_module() finds it the
 * same way, through modprobe).
 */
static bool module_loadable(void)
{
	char dir[300], path[1400], line[1024];
	struct utsname u;
	bool found = false;
	size_t n;
	FILE *f;

	if (uname(&u) < 0)
		return false;
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		n = strcspn(line, ":");
		if (line[n] != ':')
			continue;
		line[n] = '\0';
		/* "kernel/.../meta.ko[.xz|.zst|.gz]" or "updates/meta.ko" */
		if (!strstr(line, "meta.ko") ||
		    (strcmp(line, "meta.ko") && !strstr(line, "/meta.ko")) ||
		    strstr(strstr(line, "meta.ko"), "/"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		found = access(path, R_OK) == 0;
	}
	fclose(f);
	return found;
}

/*
 * STATUS: ready when ADD would work. The module may be unloaded (ADD
 * loads it: a freshly booted node is ready), not missing; the IPAM must be
 * there and, if it speaks 1.1.0, say it is ready itself.
 */
int cmd_status(const struct cni_conf *conf, const struct cni_env *env)
{
	struct ipam ipam;
	json_t *res;
	int err;

	if (access("/sys/module/meta", F_OK) < 0 && !module_loadable())
		return cni_fail(CNI_ERR_STATUS, NULL,
				"the meta kernel module is neither loaded nor installed for this kernel (modprobe meta)");
	if (!conf->ipam_type)
		return 0;
	if (!env->path)
		return cni_fail(CNI_ERR_STATUS, NULL,
				"CNI_PATH is not set: cannot ask IPAM plugin %s",
				conf->ipam_type);
	if (ipam_find(&ipam, conf, env)) {
		/* Not available for ADD is what STATUS says (50). */
		memset(&cni_err, 0, sizeof(cni_err));
		return cni_fail(CNI_ERR_STATUS, "ipam",
				"IPAM plugin %s not found in CNI_PATH %s",
				conf->ipam_type, env->path);
	}
	if (ipam_negotiate(&ipam, conf))
		return -1;
	if (cni_version_cmp(ipam.version, "1.1.0") < 0)
		return 0;
	err = ipam_exec(&ipam, conf, "STATUS", NULL, NULL, &res);
	json_decref(res);
	return err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * GC (CNI 1.1.0): every host end of this network is found by its ifalias
 * "cni:NETWORK:CONTAINERID:IFNAME"; those whose attachment is not in
 * cni.dev/valid-attachments are removed with their meta_pods entries, and
 * their addresses released with an IPAM DEL (host-local has no GC).
 * Container IDs and interface names cannot contain ':', so the alias
 * splits unambiguously from the right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmeta.h"
#include "meta_cni.h"

struct stale {
	char host[16];
	int ifindex;
	char cid[256];
	char ifname[16];
};

struct gc_walk {
	const struct cni_conf *conf;
	char prefix[256];
	struct stale *list;
	size_t n;
};

static bool valid(const struct cni_conf *conf, const char *cid,
		  const char *ifname)
{
	json_t *a;
	size_t i;

	json_array_foreach(conf->valid_attachments, i, a) {
		const char *c = json_string_value(json_object_get(a, "containerID"));
		const char *f = json_string_value(json_object_get(a, "ifname"));

		if (c && f && !strcmp(c, cid) && !strcmp(f, ifname))
			return true;
	}
	return false;
}

static int gc_link(const struct nl_link *l, void *arg)
{
	struct gc_walk *w = arg;
	size_t plen = strlen(w->prefix);
	const char *rest, *colon;
	struct stale *n, *s;

	if (strcmp(l->kind, "meta") || strncmp(l->alias, w->prefix, plen))
		return 0;
	rest = l->alias + plen;
	colon = strchr(rest, ':');
	if (!colon || strchr(colon + 1, ':') || colon == rest ||
	    (size_t)(colon - rest) >= sizeof(s->cid) ||
	    strlen(colon + 1) >= sizeof(s->ifname) || !colon[1])
		return 0;
	n = realloc(w->list, (w->n + 1) * sizeof(*n));
	if (!n)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	w->list = n;
	s = &n[w->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", l->name);
	s->ifindex = l->ifindex;
	snprintf(s->cid, sizeof(s->cid), "%.*s", (int)(colon - rest), rest);
	snprintf(s->ifname, sizeof(s->ifname), "%s", colon + 1);
	if (valid(w->conf, s->cid, s->ifname))
		return 0;
	w->n++;
	return 0;
}

int cmd_gc(const struct cni_conf *conf, const struct cni_env *env)
{
	struct gc_walk w = { .conf = conf };
	struct ipam ipam;
	struct meta_nl *nl;
	json_t *res;
	int err, ret = 0;
	size_t i;

	if (ipam_find(&ipam, conf, env) || ipam_negotiate(&ipam, conf))
		return -1;
	snprintf(w.prefix, sizeof(w.prefix), "cni:%s:", conf->name);
	err = nl_open(&nl, -1);
	if (err)
		return cni_fail(CNI_ERR_NETLINK, NULL, "netlink socket: %s",
				strerror(-err));
	err = nl_link_dump(nl, gc_link, &w);
	meta_nl_close(nl);
	if (err < 0) {
		free(w.list);
		return err == -1 ? -1 : cni_fail(CNI_ERR_NETLINK, NULL,
						 "list links: %s", strerror(-err));
	}

	/* Keep going after a failure: each attachment is independent. */
	for (i = 0; i < w.n; i++) {
		struct stale *s = &w.list[i];

		cni_log("GC: removing %s (%s/%s)", s->host, s->cid, s->ifname);
		if (bpf_pods_del_ifindex(conf, s->ifindex) ||
		    link_delete(s->host) ||
		    ipam_exec(&ipam, conf, "DEL", s->cid, s->ifname, &res)) {
			ret = -1;
			continue;
		}
		json_decref(res);
	}
	free(w.list);
	return ret;
}

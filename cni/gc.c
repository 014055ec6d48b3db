// SPDX-License-Identifier: GPL-2.0
/*
 * GC (CNI 1.1.0): every attachment of this network that is not in
 * cni.dev/valid-attachments is undone as DEL would undo it. Attachments
 * are found through their records (state.c), which outlive the pair when
 * a pod's netns went away, and through live host ends whose ifalias names
 * this network (attachments made before records existed); an alias is
 * believed only if the device's name is the one its container id and
 * ifname hash to. Then GC goes on to the IPAM plugin when it speaks
 * 1.1.0 (host-local 1.1 does not: its addresses are released by the DEL
 * of each attachment instead).
 *
 * Errors do not stop the collection: each attachment is independent, and
 * a missing IPAM still leaves devices and map entries to clean. The first
 * error is reported at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmeta.h"
#include "meta_cni.h"

struct gc_item {
	char cid[256];
	char ifname[16];
};

struct gc_walk {
	const struct cni_conf *conf;
	struct gc_item *list;
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

static int stale(struct gc_walk *w, const char *cid, const char *ifname)
{
	struct gc_item *n;
	size_t i;

	if (valid(w->conf, cid, ifname))
		return 0;
	for (i = 0; i < w->n; i++)
		if (!strcmp(w->list[i].cid, cid) &&
		    !strcmp(w->list[i].ifname, ifname))
			return 0;
	n = realloc(w->list, (w->n + 1) * sizeof(*n));
	if (!n)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	w->list = n;
	snprintf(n[w->n].cid, sizeof(n->cid), "%s", cid);
	snprintf(n[w->n].ifname, sizeof(n->ifname), "%s", ifname);
	w->n++;
	return 0;
}

static int gc_record(const struct cni_record *r, void *arg)
{
	return stale(arg, r->cid, r->ifname);
}

static int gc_link(const struct meta_link *l, void *arg)
{
	struct gc_walk *w = arg;
	char cid[256], ifname[16], name[16];

	if (strcmp(l->kind, "meta") ||
	    link_alias_parse(l->alias, w->conf->name, cid, sizeof(cid),
			     ifname, sizeof(ifname)))
		return 0;
	/* A cut or forged alias must not name someone else's pod. */
	link_host_name(cid, ifname, name);
	if (strcmp(name, l->name))
		return 0;
	return stale(w, cid, ifname);
}

/* valid-attachments is required, and a list of {containerID, ifname}. */
static int check_valid(const struct cni_conf *conf)
{
	json_t *a;
	size_t i;

	if (!conf->valid_attachments)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"GC needs \"cni.dev/valid-attachments\" (an empty list deletes every attachment)");
	json_array_foreach(conf->valid_attachments, i, a)
		if (!json_is_string(json_object_get(a, "containerID")) ||
		    !json_is_string(json_object_get(a, "ifname")))
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"cni.dev/valid-attachments[%zu] needs \"containerID\" and \"ifname\"",
					i);
	return 0;
}

int cmd_gc(const struct cni_conf *conf, const struct cni_env *env)
{
	struct gc_walk w = { .conf = conf };
	bool failed = false, have_ipam;
	struct ipam ipam;
	struct meta_nl *nl;
	json_t *res;
	size_t i;

	if (check_valid(conf))
		return -1;
	have_ipam = !ipam_find(&ipam, conf, env) &&
		    !ipam_negotiate(&ipam, conf);
	if (!have_ipam) {
		cni_log("GC: no usable IPAM (%s): addresses stay reserved",
			cni_err.msg);
		failed = true;
	}

	if (state_walk(conf, gc_record, &w))
		failed = true;
	if (ns_nl_open(&nl, -1)) {
		nl_fail("netlink");
		failed = true;
	} else {
		if (meta_link_dump(nl, gc_link, &w)) {
			if (!cni_err.code)
				nl_fail("list links");
			failed = true;
		}
		meta_nl_close(nl);
	}

	for (i = 0; i < w.n; i++) {
		cni_log("GC: removing %s/%s", w.list[i].cid, w.list[i].ifname);
		if (teardown(conf, have_ipam ? &ipam : NULL, w.list[i].cid,
			     w.list[i].ifname, NULL, 0))
			failed = true;
	}
	free(w.list);

	/* The spec's delegation; older IPAMs would refuse the command. */
	if (have_ipam && cni_version_cmp(ipam.version, "1.1.0") >= 0) {
		if (ipam_exec(&ipam, conf, "GC", NULL, NULL, &res))
			failed = true;
		json_decref(res);
	}
	return failed ? -1 : 0;
}

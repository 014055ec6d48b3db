// SPDX-License-Identifier: GPL-2.0
/*
 * Attachment records: one JSON file per attachment, written when ADD has
 * made everything and removed when DEL or GC has undone it all (the
 * address released included). GC needs them: the usual stale attachment
 * is a pod whose netns is gone, and with it the pair, so no device is
 * left to find it by; its address and meta_pods entries still are.
 *
 *   STATE_DIR/NETWORK/CONTAINERID:IFNAME
 *   {"containerID", "ifname", "host", "hostIfindex", "ips": ["CIDR" gw]}
 *
 * Neither container ids nor interface names can hold ':' or '/' (main.c
 * checks), so the file name is unambiguous and stays in its directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meta_cni.h"

static const char *state_dir(const struct cni_conf *conf)
{
	return conf->state_dir ? conf->state_dir : CNI_STATE_DIR;
}

static int record_path(const struct cni_conf *conf, const char *cid,
		       const char *ifname, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s/%s:%s", state_dir(conf), conf->name,
		     cid, ifname) >= (int)len)
		return cni_fail(CNI_ERR_INTERNAL, NULL,
				"record path for %s/%s is too long", cid, ifname);
	return 0;
}

/* mkdir -p of DIR/NETWORK, mode 0700 (records name every pod). */
static int make_dirs(const struct cni_conf *conf)
{
	char path[4096], *p;

	if (snprintf(path, sizeof(path), "%s/%s/", state_dir(conf),
		     conf->name) >= (int)sizeof(path))
		return cni_fail(CNI_ERR_INTERNAL, NULL, "state path too long");
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return cni_fail(CNI_ERR_INTERNAL, NULL, "mkdir %s: %s",
					path, strerror(errno));
		*p = '/';
	}
	return 0;
}

int state_save(const struct cni_conf *conf, const struct cni_record *r)
{
	char path[4096], tmp[4200], a[INET6_ADDRSTRLEN], cidr[80], g[80];
	json_t *o, *ips;
	int i, err;

	if (make_dirs(conf) ||
	    record_path(conf, r->cid, r->ifname, path, sizeof(path)))
		return -1;
	ips = json_array();
	for (i = 0; i < r->nips; i++) {
		ip_format(r->ips[i].family, &r->ips[i].addr, a, sizeof(a));
		snprintf(cidr, sizeof(cidr), "%s/%d", a, r->ips[i].prefix);
		ip_format(r->ips[i].family, &r->ips[i].gw, g, sizeof(g));
		json_array_append_new(ips, json_pack("{s:s, s:s}", "address",
						     cidr, "gateway", g));
	}
	o = json_pack("{s:s, s:s, s:s, s:i, s:o}", "containerID", r->cid,
		      "ifname", r->ifname, "host", r->host, "hostIfindex",
		      r->host_ifindex, "ips", ips);
	if (!o)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	/* Written whole or not at all: GC must never read half a record. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	err = json_dump_file(o, tmp, JSON_COMPACT);
	json_decref(o);
	if (err || rename(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		return cni_fail(CNI_ERR_INTERNAL, NULL, "record %s: %s", path,
				strerror(err));
	}
	return 0;
}

static int record_parse(json_t *o, struct cni_record *r)
{
	const char *cid, *ifname, *host;
	json_t *ips;
	int idx;

	memset(r, 0, sizeof(*r));
	if (json_unpack(o, "{s:s, s:s, s:s, s:i, s:o}", "containerID", &cid,
			"ifname", &ifname, "host", &host, "hostIfindex", &idx,
			"ips", &ips) ||
	    strlen(cid) >= sizeof(r->cid) ||
	    strlen(ifname) >= sizeof(r->ifname) ||
	    strlen(host) >= sizeof(r->host))
		return -1;
	snprintf(r->cid, sizeof(r->cid), "%s", cid);
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->host_ifindex = idx;
	return result_parse_ips(o, r->ips, &r->nips);
}

int state_load(const struct cni_conf *conf, const char *cid,
	       const char *ifname, struct cni_record *r)
{
	char path[4096];
	json_error_t jerr;
	json_t *o;
	int ret;

	if (record_path(conf, cid, ifname, path, sizeof(path)))
		return -1;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return -ENOENT;
	o = json_load_file(path, 0, &jerr);
	ret = o ? record_parse(o, r) : -1;
	json_decref(o);
	if (ret)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "record %s unreadable%s%s",
				path, o ? "" : ": ", o ? "" : jerr.text);
	return 0;
}

int state_remove(const struct cni_conf *conf, const char *cid,
		 const char *ifname)
{
	char path[4096];

	if (record_path(conf, cid, ifname, path, sizeof(path)))
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "remove %s: %s", path,
				strerror(errno));
	return 0;
}

int state_walk(const struct cni_conf *conf, state_fn fn, void *arg)
{
	struct cni_error saved;
	struct cni_record r;
	char dir[4096], path[8192];
	struct dirent *d;
	json_t *o;
	DIR *dp;
	int ret = 0;

	snprintf(dir, sizeof(dir), "%s/%s", state_dir(conf), conf->name);
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 :
		       cni_fail(CNI_ERR_INTERNAL, NULL, "%s: %s", dir,
				strerror(errno));
	while (!ret && (d = readdir(dp))) {
		if (d->d_name[0] == '.' || !strchr(d->d_name, ':') ||
		    strstr(d->d_name, ".tmp"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		o = json_load_file(path, 0, NULL);
		saved = cni_err;
		if (!o || record_parse(o, &r)) {
			cni_log("record %s unreadable, skipped", path);
			/* A bad record must not be the GC's error. */
			cni_err = saved;
		} else {
			ret = fn(&r, arg);
		}
		json_decref(o);
	}
	closedir(dp);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The configured BPF programs (attached to the host end, which is where
 * meta takes programs for both directions) and the pod addresses in the
 * pinned meta_pods map, through libmeta.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "libmeta.h"
#include "meta_cni.h"

static const char *dir_word(int dir)
{
	return meta_dir_name(dir);
}

/*
 * Loads the object of one direction. Parallel ADDs race to pin the
 * object's maps by name: the loser's pin fails with EEXIST although the
 * map it wanted now exists, so loading again reuses it.
 */
static int load(const struct cni_conf *conf, int dir,
		const struct bpf_prog_conf *p, struct meta_bpf **obj)
{
	struct meta_bpf_opts o = {
		.prog_name = p->program,
		.sec_name = p->section,
		.pin_dir = conf->pin_dir,
	};
	struct timespec ts = { 0, 0 };
	int err, i;

	for (i = 0; i < 10; i++) {
		err = meta_bpf_load(p->object, &o, obj);
		if (err != -EEXIST)
			break;
		ts.tv_nsec = (1 + rand() % 20) * 1000000L;
		nanosleep(&ts, NULL);
	}
	if (err)
		return cni_fail(CNI_ERR_BPF, NULL, "bpf.%s: %s", dir_word(dir),
				meta_last_error());
	return 0;
}

/* Loads P and appends it to HOST's programs of direction DIR. */
static int attach_one(const struct cni_conf *conf, struct meta_nl *mnl,
		      const char *host, int dir, const struct bpf_prog_conf *p)
{
	struct meta_bpf *obj;
	int err;

	if (load(conf, dir, p, &obj))
		return -1;
	err = meta_prog_attach(mnl, host, meta_bpf_prog_fd(obj), dir, 0, 0);
	if (err)
		cni_fail(CNI_ERR_BPF, NULL, "bpf.%s: attach %s: %s",
			 dir_word(dir), meta_bpf_prog_name(obj),
			 meta_last_error());
	/* Attached programs stay: the device holds them. */
	meta_bpf_close(obj);
	return err ? -1 : 0;
}

int bpf_stack_apply(const struct cni_conf *conf)
{
	json_t *lists[2] = { conf->via_stack, conf->fast_path }, *e;
	size_t i;
	int l;

	for (l = 0; l < 2; l++)
		json_array_foreach(lists[l], i, e)
			if (meta_stack_set(conf->pin_dir, json_string_value(e),
					   l == 0))
				return cni_fail(CNI_ERR_BPF, NULL, "bpf.%s: %s",
						l ? "fastPath" : "viaStack",
						meta_last_error());
	return 0;
}

int bpf_attach_progs(const struct cni_conf *conf, const char *host)
{
	struct meta_nl *mnl;
	unsigned int i;
	int dir, ret = 0;

	if (!conf->nprogs[BPF_PRIMARY] && !conf->nprogs[BPF_PEER])
		return 0;
	if (meta_nl_open(&mnl))
		return cni_fail(CNI_ERR_NETLINK, NULL, "%s", meta_last_error());
	srand(getpid() ^ time(NULL));
	for (dir = 0; dir < 2 && !ret; dir++)
		for (i = 0; i < conf->nprogs[dir] && !ret; i++)
			ret = attach_one(conf, mnl, host, dir,
					 &conf->prog[dir][i]);
	meta_nl_close(mnl);
	return ret;
}

/* The function name the config selects, for comparing with what is attached. */
static int prog_name(const struct bpf_prog_conf *p, char *buf, size_t len)
{
	struct bpf_program *prog, *found = NULL;
	struct bpf_object *obj;
	int n = 0;

	if (p->program) {
		snprintf(buf, len, "%s", p->program);
		return 0;
	}
	obj = bpf_object__open_file(p->object, NULL);
	if (!obj)
		return cni_fail(CNI_ERR_BPF, NULL, "open BPF object %s: %s",
				p->object, strerror(errno));
	bpf_object__for_each_program(prog, obj) {
		if (p->section && strcmp(bpf_program__section_name(prog),
					 p->section))
			continue;
		found = prog;
		n++;
	}
	if (n == 1)
		snprintf(buf, len, "%s", bpf_program__name(found));
	bpf_object__close(obj);
	if (n != 1)
		return cni_fail(CNI_ERR_BPF, NULL,
				"%s: %d programs match the config, need exactly one",
				p->object, n);
	return 0;
}

int bpf_check_progs(const struct cni_conf *conf, const char *host)
{
	struct meta_link_info info;
	char want[128], name[128];
	unsigned int i, j, at;
	struct meta_nl *mnl;
	int dir, err;

	if (meta_nl_open(&mnl))
		return cni_fail(CNI_ERR_NETLINK, NULL, "%s", meta_last_error());
	err = meta_link_query(mnl, host, &info);
	meta_nl_close(mnl);
	if (err)
		return cni_fail(CNI_ERR_CHECK, NULL, "%s", meta_last_error());
	/*
	 * The configured programs, in their order; others may run between
	 * them (attached by someone else since).
	 */
	for (dir = 0; dir < 2; dir++) {
		for (i = 0, at = 0; i < conf->nprogs[dir]; i++, at = j + 1) {
			if (prog_name(&conf->prog[dir][i], want, sizeof(want)))
				return -1;
			for (j = at; j < info.nprogs[dir] && j < META_PROG_MAX; j++)
				if (!meta_prog_name_by_id(info.progs[dir][j],
							  name, sizeof(name)) &&
				    !strcmp(name, want))
					break;
			if (j >= info.nprogs[dir] || j >= META_PROG_MAX)
				return cni_fail(CNI_ERR_CHECK, NULL,
						"%s: program %s is not attached (direction %s%s)",
						host, want, dir_word(dir),
						i ? ", after the previous ones" : "");
		}
	}
	return 0;
}

/* ---- meta_pods ----------------------------------------------------------- */

static bool pods_wanted(const struct cni_conf *conf)
{
	return conf->has_bpf && conf->register_pods;
}

int bpf_pods_add(const struct cni_conf *conf, const struct cni_ip *ips,
		 int nips, int ifindex)
{
	char a[INET6_ADDRSTRLEN];
	int i, j, err;

	if (!pods_wanted(conf))
		return 0;
	for (i = 0; i < nips; i++) {
		ip_format(ips[i].family, &ips[i].addr, a, sizeof(a));
		/* A reused address starts without the old pod's connections. */
		err = meta_stack_pod_reset(conf->pin_dir, a) ?:
		      meta_pod_add(conf->pin_dir, a, ifindex);
		if (!err)
			continue;
		cni_fail(CNI_ERR_BPF, NULL, "register pod address %s: %s", a,
			 meta_last_error());
		for (j = 0; j < i; j++) {
			ip_format(ips[j].family, &ips[j].addr, a, sizeof(a));
			meta_pod_del(conf->pin_dir, a);
		}
		return -1;
	}
	return 0;
}

/*
 * The pinned map if it exists: DEL must not create maps (or the pin
 * directory) that were never there.
 */
static int pods_open(const struct cni_conf *conf)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s",
		 conf->pin_dir ? conf->pin_dir : META_PIN_DIR, META_MAP_PODS);
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		cni_fail(CNI_ERR_BPF, NULL, "open %s: %s", path,
			 strerror(errno));
	return fd < 0 ? (errno == ENOENT ? -ENOENT : -1) : fd;
}

int bpf_pods_del_ifindex(const struct cni_conf *conf, int ifindex)
{
	struct meta_pod_key key, next, *del = NULL, *n;
	struct meta_pod val;
	size_t ndel = 0, i;
	void *prev = NULL;
	int fd, ret = 0;

	if (!pods_wanted(conf))
		return 0;
	fd = pods_open(conf);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return -1;
	/* Collect first: deleting while walking can restart the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val) ||
		    (int)val.ifindex != ifindex)
			continue;
		n = realloc(del, (ndel + 1) * sizeof(*del));
		if (!n) {
			ret = cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
			break;
		}
		del = n;
		del[ndel++] = key;
	}
	for (i = 0; i < ndel; i++)
		if (bpf_map_delete_elem(fd, &del[i]) && errno != ENOENT)
			ret = cni_fail(CNI_ERR_BPF, NULL,
				       "delete from meta_pods: %s",
				       strerror(errno));
	free(del);
	close(fd);
	return ret;
}

int bpf_pods_del_stale(const struct cni_conf *conf, const struct cni_ip *ips,
		       int nips, const char *host)
{
	char a[INET6_ADDRSTRLEN], name[IF_NAMESIZE];
	struct meta_pod_key key;
	struct meta_pod val;
	int fd, i, ret = 0;

	if (!pods_wanted(conf))
		return 0;
	fd = pods_open(conf);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return -1;
	for (i = 0; i < nips; i++) {
		ip_format(ips[i].family, &ips[i].addr, a, sizeof(a));
		if (meta_pod_key_parse(a, &key) ||
		    bpf_map_lookup_elem(fd, &key, &val))
			continue;
		/*
		 * Another live pod's host end: the address moved on to it.
		 * An ifindex alone proves nothing (reused by any device
		 * since), so the device must be meta and not ours.
		 */
		if (if_indextoname(val.ifindex, name) && strcmp(name, host) &&
		    link_is_meta(name, NULL) == 1)
			continue;
		if (bpf_map_delete_elem(fd, &key) && errno != ENOENT)
			ret = cni_fail(CNI_ERR_BPF, NULL,
				       "delete %s from meta_pods: %s", a,
				       strerror(errno));
	}
	close(fd);
	return ret;
}

int bpf_pods_check(const struct cni_conf *conf, const struct cni_ip *ips,
		   int nips, int ifindex)
{
	char a[INET6_ADDRSTRLEN];
	struct meta_pod_key key;
	struct meta_pod val;
	int fd, i;

	if (!pods_wanted(conf))
		return 0;
	fd = pods_open(conf);
	if (fd == -ENOENT)
		return cni_fail(CNI_ERR_CHECK, NULL,
				"meta_pods is not pinned (bpf.registerPods)");
	if (fd < 0)
		return -1;
	for (i = 0; i < nips; i++) {
		ip_format(ips[i].family, &ips[i].addr, a, sizeof(a));
		if (meta_pod_key_parse(a, &key) ||
		    bpf_map_lookup_elem(fd, &key, &val) ||
		    (int)val.ifindex != ifindex) {
			close(fd);
			return cni_fail(CNI_ERR_CHECK, NULL,
					"meta_pods has no entry %s -> ifindex %d",
					a, ifindex);
		}
	}
	close(fd);
	return 0;
}

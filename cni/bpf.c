// SPDX-License-Identifier: GPL-2.0
/*
 * The configured BPF programs (attached to the host end, which is where
 * meta takes programs for both directions) and the pod addresses in the
 * pinned meta_pods map, through libmeta.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "libmeta.h"
#include "meta_cni.h"
#include "meta_tc.h"

static const char *dir_word(int dir)
{
	return meta_dir_name(dir);
}

/*
 * Loads the object of one direction. Parallel ADDs race to pin the
 * object's maps by name: the loser's pin fails with EEXIST although the
 * map it wanted now exists, so loading again reuses it.
 */
static int load(const struct cni_conf *conf, const char *what,
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
		return cni_fail(CNI_ERR_BPF, NULL, "%s: %s", what,
				meta_last_error());
	return 0;
}

static const char *pin_dir(const struct cni_conf *conf)
{
	return conf->pin_dir ? conf->pin_dir : META_PIN_DIR;
}

/* What a program config is called in messages. */
static const char *prog_word(const struct bpf_prog_conf *p)
{
	return p->program ? p->program : p->object;
}

/*
 * Where P's program is pinned once loaded: PIN_DIR/progs/HASH, the hash
 * (FNV-1a) of what makes it this program: the object file (path, inode,
 * size, modification time: an upgraded object is another program), the
 * section or function chosen.
 */
static int prog_pin_path(const struct cni_conf *conf,
			 const struct bpf_prog_conf *p, char *buf, size_t len)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	char id[4608];
	struct stat st;
	int n, i;

	if (stat(p->object, &st) < 0)
		return cni_fail(CNI_ERR_BPF, NULL, "BPF object %s: %s",
				p->object, strerror(errno));
	n = snprintf(id, sizeof(id), "%s|%llu|%llu|%lld|%lld.%09ld|%s|%s",
		     p->object, (unsigned long long)st.st_dev,
		     (unsigned long long)st.st_ino, (long long)st.st_size,
		     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		     p->section ? p->section : "", p->program ? p->program : "");
	for (i = 0; i < n && i < (int)sizeof(id); i++) {
		h ^= (unsigned char)id[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, len, "%s/progs/%016llx", pin_dir(conf), h);
	return 0;
}

/* Removes the pinned programs: they hold maps that were just replaced. */
static void unpin_progs(const struct cni_conf *conf)
{
	char dir[4096], path[4400];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/progs", pin_dir(conf));
	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp)))
		if (d->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			unlink(path);
		}
	closedir(dp);
}

/*
 * A pinned map whose layout differs from OBJECT's (a new version of the
 * programs changed it) would make every load fail. Such a map is moved
 * aside (NAME_old_TIME, for whoever wants its entries) and the object gets
 * a fresh one; *migrated tells the caller to restore what the node's
 * records know (the pods).
 */
static int migrate_maps(const struct cni_conf *conf, const char *object,
			bool *migrated)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .pin_root_path = pin_dir(conf));
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[4096], old[4200];
	struct bpf_object *obj;
	struct bpf_map *map;
	int fd, err;

	obj = bpf_object__open_file(object, &o);
	if (!obj)
		return cni_fail(CNI_ERR_BPF, NULL, "open BPF object %s: %s",
				object, strerror(errno));
	bpf_object__for_each_map(map, obj) {
		if (!bpf_map__pin_path(map))
			continue;
		snprintf(path, sizeof(path), "%s", bpf_map__pin_path(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == bpf_map__type(map) &&
		    info.key_size == bpf_map__key_size(map) &&
		    info.value_size == bpf_map__value_size(map) &&
		    info.max_entries == bpf_map__max_entries(map) &&
		    info.map_flags == bpf_map__map_flags(map)) {
			close(fd);
			continue;
		}
		close(fd);
		/* bpffs refuses names with a '.' */
		snprintf(old, sizeof(old), "%s_old_%ld", path, (long)time(NULL));
		if (rename(path, old) < 0) {
			err = errno;
			bpf_object__close(obj);
			return cni_fail(CNI_ERR_BPF, NULL,
					"pinned map %s has another layout than %s needs and cannot be moved aside: %s",
					path, object, strerror(err));
		}
		cni_log("pinned map %s had another layout than %s needs: moved to %s",
			path, object, old);
		*migrated = true;
	}
	bpf_object__close(obj);
	if (*migrated)
		unpin_progs(conf);
	return 0;
}

/*
 * The program of P as a file descriptor: loaded and verified once per
 * node, pinned, and shared by every later ADD. *migrated as for
 * migrate_maps().
 */
static int prog_get(const struct cni_conf *conf, const char *what,
		    const struct bpf_prog_conf *p, bool *migrated)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char path[4200], dir[4120];
	struct meta_bpf *obj;
	int fd;

	if (prog_pin_path(conf, p, path, sizeof(path)))
		return -1;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_PROG_TYPE_SCHED_CLS)
			return fd;
		close(fd);
	}
	if (migrate_maps(conf, p->object, migrated) ||
	    load(conf, what, p, &obj))
		return -1;
	fd = fcntl(meta_bpf_prog_fd(obj), F_DUPFD_CLOEXEC, 0);
	meta_bpf_close(obj);
	if (fd < 0)
		return cni_fail(CNI_ERR_BPF, NULL, "%s: %s", what,
				strerror(errno));
	snprintf(dir, sizeof(dir), "%s/progs", pin_dir(conf));
	/* Only an optimisation: a racing ADD may have pinned it first. */
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (bpf_obj_pin(fd, path) < 0 && errno != EEXIST))
		cni_log("warning: cannot pin %s at %s: %s", prog_word(p), path,
			strerror(errno));
	return fd;
}

/* Loads P and appends it to HOST's programs of direction DIR. */
static int attach_one(const struct cni_conf *conf, struct meta_nl *mnl,
		      const char *host, int dir, const struct bpf_prog_conf *p,
		      bool *migrated)
{
	char what[32];
	int fd, err;

	snprintf(what, sizeof(what), "bpf.%s", dir_word(dir));
	fd = prog_get(conf, what, p, migrated);
	if (fd < 0)
		return -1;
	err = meta_prog_attach(mnl, host, fd, dir, 0, 0);
	if (err)
		cni_fail(CNI_ERR_BPF, NULL, "%s: attach %s: %s", what,
			 prog_word(p), meta_last_error());
	/* Attached programs stay: the device holds them. */
	close(fd);
	return err ? -1 : 0;
}

/*
 * bpf.nic: DEVICE's tc ingress runs the program, in the meta tc slot
 * (meta_tc.h) that metactl tc uses too: a pinned tcx link where the
 * kernel has tcx (tcMode auto, the default, or tcx), else a cls_bpf
 * filter on clsact, handle 1, priority 1. Attaching one way removes ours
 * of the other way, so a node upgraded from clsact moves to tcx on its
 * next ADD or `meta setup` and never runs both.
 */
static int nic_ensure(const struct cni_conf *conf, const struct nic_conf *n,
		      bool *migrated)
{
	__u32 tcx_prog = 0, tcx_link = 0, cls_prog = 0;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int ifindex, fd, err, mode, used;

	ifindex = if_nametoindex(n->device);
	if (!ifindex)
		return cni_fail(CNI_ERR_BPF, NULL, "bpf.nic: device %s: %s",
				n->device, strerror(errno));
	fd = prog_get(conf, "bpf.nic", &n->prog, migrated);
	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return cni_fail(CNI_ERR_BPF, NULL, "bpf.nic: %s",
				strerror(errno));
	}
	mode = meta_tc_mode_resolve(n->tc_mode, ifindex);
	/* Attached already the way wanted, and only so (the usual case). */
	if (!meta_tc_query(ifindex, false, &tcx_prog, &tcx_link, &cls_prog) &&
	    (mode == META_TC_TCX ? tcx_prog == info.id && !cls_prog :
				   cls_prog == info.id && !tcx_prog)) {
		close(fd);
		return 0;
	}
	err = meta_tc_attach(ifindex, false, fd, mode, &used);
	close(fd);
	if (err)
		return cni_fail(CNI_ERR_BPF, NULL,
				"bpf.nic: attach %s to %s ingress: %s",
				prog_word(&n->prog), n->device,
				meta_tc_last_error());
	cni_log("bpf.nic: %s attached to %s ingress (%s)%s", prog_word(&n->prog),
		n->device, meta_tc_mode_name(used),
		used == META_TC_TCX && cls_prog ? ", its clsact filter removed" :
		used == META_TC_CLSACT && tcx_prog ? ", its tcx link removed" : "");
	return 0;
}

/* Records of this network whose pair lives: their addresses in meta_pods. */
static int restore_pod(const struct cni_record *r, void *arg)
{
	const struct cni_conf *conf = arg;
	char a[INET6_ADDRSTRLEN];
	int ifindex, i;

	if (link_is_meta(r->host, &ifindex) != 1 || ifindex != r->host_ifindex)
		return 0;
	for (i = 0; i < r->nips; i++) {
		ip_format(r->ips[i].family, &r->ips[i].addr, a, sizeof(a));
		if (meta_pod_add(conf->pin_dir, a, ifindex))
			return cni_fail(CNI_ERR_BPF, NULL,
					"restore %s of %s: %s", a, r->host,
					meta_last_error());
	}
	return 0;
}

static bool pods_wanted(const struct cni_conf *conf);

int bpf_node_setup(const struct cni_conf *conf, bool restore)
{
	const struct bpf_prog_conf *all[2 * META_CNI_PROGS + META_CNI_NICS];
	unsigned int i, n = 0, d;
	bool migrated = false;
	char path[4200];

	if (!conf->has_bpf)
		return 0;
	/* No meta_pods: a fresh bpffs (reboot) or a new node. */
	snprintf(path, sizeof(path), "%s/%s", pin_dir(conf), META_MAP_PODS);
	if (pods_wanted(conf) && access(path, F_OK) < 0)
		restore = true;
	/*
	 * Map layouts first, for every object not loaded yet (a loaded one
	 * fitted the maps): a migration unpins every program, so the NIC's
	 * is loaded again below, on the new maps.
	 */
	for (d = 0; d < 2; d++)
		for (i = 0; i < conf->nprogs[d]; i++)
			all[n++] = &conf->prog[d][i];
	for (i = 0; i < conf->nnics; i++)
		all[n++] = &conf->nic[i].prog;
	for (i = 0; i < n; i++)
		if (prog_pin_path(conf, all[i], path, sizeof(path)) ||
		    (access(path, F_OK) < 0 &&
		     migrate_maps(conf, all[i]->object, &migrated)))
			return -1;
	if (bpf_stack_apply(conf))
		return -1;
	for (i = 0; i < conf->nnics; i++)
		if (nic_ensure(conf, &conf->nic[i], &migrated))
			return -1;
	if (pods_wanted(conf) && (restore || migrated))
		return state_walk(conf, restore_pod, (void *)conf);
	return 0;
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
	bool migrated = false;
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
					 &conf->prog[dir][i], &migrated);
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

/*
 * A pod whose ingress is shaped is not registered: nic_ingress and
 * same_node would deliver straight into it, past the host end's qdisc.
 */
static bool pods_wanted(const struct cni_conf *conf)
{
	return conf->has_bpf && conf->register_pods && !conf->bw_in_rate;
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

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The meta tc slot (meta_tc.h): tcx links where the kernel has them,
 * clsact + cls_bpf elsewhere.
 *
 * libbpf 1.1 (Debian 12) predates tcx: it has neither
 * bpf_program__attach_tcx() nor the BPF_TCX_* attach types. Its
 * bpf_link_create() passes an attach type it does not know through to
 * the kernel as long as the options hold nothing but flags (and target_fd
 * is the ifindex, the union's other name), and its fallback to
 * BPF_RAW_TRACEPOINT_OPEN is skipped for a non-zero target, so the
 * kernel's EINVAL reaches us on kernels without tcx. Likewise
 * bpf_prog_query() hands the attach type over unchanged: kernels before
 * 6.6 refuse BPF_TCX_INGRESS with EINVAL, which is the probe.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "meta_tc.h"

/* From the kernel's uapi (6.6); libbpf 1.1's headers lack them. */
#define META_BPF_TCX_INGRESS	46
#define META_BPF_TCX_EGRESS	47
#define META_BPF_LINK_TYPE_TCX	11

/* CALL with libbpf's printing off: its complaints are ours to word. */
#define quietly(call) ({					\
	libbpf_print_fn_t print_ = libbpf_set_print(NULL);	\
	int ret_ = (call);					\
	libbpf_set_print(print_);				\
	ret_;							\
})

/*
 * struct bpf_link_info as far as a tcx link goes: the union starts at
 * offset 16 (it holds __aligned_u64 members); tcx is { ifindex,
 * attach_type }. The tail is room for the rest of the union, zeroed as
 * the kernel wants.
 */
struct tcx_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 pad;
	__u32 ifindex;
	__u32 attach_type;
	__u64 rest[8];
};

static char last_error[512];

static int __attribute__((format(printf, 2, 3))) tc_fail(int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last_error))
		snprintf(last_error + n, sizeof(last_error) - n, ": %s",
			 strerror(-err));
	return err;
}

const char *meta_tc_last_error(void)
{
	return last_error;
}

int meta_tc_mode_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return META_TC_AUTO;
	if (!strcmp(s, "tcx"))
		return META_TC_TCX;
	if (!strcmp(s, "clsact"))
		return META_TC_CLSACT;
	return -1;
}

const char *meta_tc_mode_name(int mode)
{
	switch (mode) {
	case META_TC_AUTO: return "auto";
	case META_TC_TCX: return "tcx";
	case META_TC_CLSACT: return "clsact";
	}
	return "?";
}

static const char *hook_name(bool egress)
{
	return egress ? "egress" : "ingress";
}

static int tcx_type(bool egress)
{
	return egress ? META_BPF_TCX_EGRESS : META_BPF_TCX_INGRESS;
}

bool meta_tcx_supported(int ifindex)
{
	__u32 cnt = 0;

	return !bpf_prog_query(ifindex, META_BPF_TCX_INGRESS, 0, NULL, NULL,
			       &cnt);
}

int meta_tc_mode_resolve(int mode, int ifindex)
{
	if (mode != META_TC_AUTO)
		return mode;
	return meta_tcx_supported(ifindex) ? META_TC_TCX : META_TC_CLSACT;
}

int meta_tcx_pin_path(int ifindex, bool egress, char *buf, size_t len)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st) < 0)
		return tc_fail(-errno, "network namespace of /proc/self/ns/net");
	n = snprintf(buf, len, "%s/%llu_%d_%s", META_TCX_DIR,
		     (unsigned long long)st.st_ino, ifindex, hook_name(egress));
	if (n < 0 || (size_t)n >= len)
		return tc_fail(-ENAMETOOLONG, "tcx pin path");
	return 0;
}

/*
 * The pinned link of the slot if it is a live tcx link of IFINDEX's hook:
 * its fd (info filled); -ENOENT when there is none. A stale pin (the
 * device went away, its ifindex was reused) is removed.
 */
static int tcx_open(const char *path, int ifindex, bool egress,
		    struct tcx_link_info *info)
{
	__u32 len = sizeof(*info);
	int fd;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT :
		       tc_fail(-errno, "tcx link pinned at %s", path);
	memset(info, 0, sizeof(*info));
	if (!bpf_obj_get_info_by_fd(fd, info, &len) &&
	    info->type == META_BPF_LINK_TYPE_TCX &&
	    (int)info->ifindex == ifindex &&
	    info->attach_type == (__u32)tcx_type(egress))
		return fd;
	close(fd);
	unlink(path);
	return -ENOENT;
}

static int mkdir_p(const char *dir)
{
	char path[256], *p, c;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p)
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return tc_fail(-errno, "tcx pin directory %s (is bpffs mounted on /sys/fs/bpf?)",
				       path);
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

/* The hook of our cls_bpf filter. */
static void cls_hook(int ifindex, bool egress, struct bpf_tc_hook *hook)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

static int cls_detach(int ifindex, bool egress)
{
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = 1, .priority = 1);
	struct bpf_tc_hook hook;

	cls_hook(ifindex, egress, &hook);
	return quietly(bpf_tc_detach(&hook, &tc));
}

static __u32 cls_query(int ifindex, bool egress)
{
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = 1, .priority = 1);
	struct bpf_tc_hook hook;

	cls_hook(ifindex, egress, &hook);
	return quietly(bpf_tc_query(&hook, &tc)) ? 0 : tc.prog_id;
}

static int cls_attach(int ifindex, bool egress, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = 1, .priority = 1,
		    .flags = BPF_TC_F_REPLACE, .prog_fd = prog_fd);
	struct bpf_tc_hook hook;
	int err;

	cls_hook(ifindex, egress, &hook);
	/* The clsact qdisc may be there already, from us or from tc. */
	err = quietly(bpf_tc_hook_create(&hook));
	if (err && err != -EEXIST)
		return tc_fail(err, "clsact qdisc on ifindex %d", ifindex);
	err = bpf_tc_attach(&hook, &tc);
	if (err)
		return tc_fail(err, "cls_bpf filter on ifindex %d %s", ifindex,
			       hook_name(egress));
	return 0;
}

static int count_filter(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)data)++;
	return MNL_CB_OK;
}

/* The filters under PARENT of IFINDEX's clsact qdisc, or -errno. */
static int clsact_filters(int ifindex, __u32 parent)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = time(NULL), portid;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct tcmsg *t;
	int n = 0, ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETTFILTER;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, seq, portid, count_filter, &n);
		if (ret <= MNL_CB_STOP)
			break;
	}
	ret = ret < 0 ? -errno : n;
out:
	mnl_socket_close(nl);
	return ret;
}

/*
 * Once our filter has moved to tcx: a clsact qdisc left without any
 * filter goes too (it would keep the tc hooks' static keys on, and cost
 * every packet in and out). One with others' filters stays.
 */
static void clsact_drop_if_empty(int ifindex)
{
	struct bpf_tc_hook hook;

	if (clsact_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)) ||
	    clsact_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)))
		return;
	cls_hook(ifindex, false, &hook);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	(void)quietly(bpf_tc_hook_destroy(&hook));
}

static int tcx_attach(int ifindex, bool egress, int prog_fd)
{
	struct tcx_link_info info;
	char path[256];
	int fd, err;

	err = meta_tcx_pin_path(ifindex, egress, path, sizeof(path));
	if (err)
		return err;
	fd = tcx_open(path, ifindex, egress, &info);
	if (fd >= 0) {
		/* Ours already: swap the program, the link stays. */
		err = bpf_link_update(fd, prog_fd, NULL);
		close(fd);
		return err ? tc_fail(err, "update tcx link %u (%s)", info.id,
				     path) : 0;
	}
	if (fd != -ENOENT)
		return fd;
	err = mkdir_p(META_TCX_DIR);
	if (err)
		return err;
	fd = bpf_link_create(prog_fd, ifindex, tcx_type(egress), NULL);
	if (fd < 0)
		return tc_fail(fd, "tcx link on ifindex %d %s%s", ifindex,
			       hook_name(egress),
			       fd == -EINVAL ? " (tcx needs Linux 6.6)" : "");
	/* Without the pin the link would go with our fd. */
	if (bpf_obj_pin(fd, path) < 0) {
		err = tc_fail(-errno, "pin tcx link at %s", path);
		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int tcx_detach(int ifindex, bool egress)
{
	struct tcx_link_info info;
	char path[256];
	int fd, err;

	err = meta_tcx_pin_path(ifindex, egress, path, sizeof(path));
	if (err)
		return err;
	fd = tcx_open(path, ifindex, egress, &info);
	if (fd < 0)
		return fd;
	/* Someone else may hold the link too: detach it for good. */
	err = bpf_link_detach(fd);
	close(fd);
	unlink(path);
	return err ? tc_fail(err, "detach tcx link %u", info.id) : 0;
}

int meta_tc_attach(int ifindex, bool egress, int prog_fd, int mode,
		   int *used)
{
	int err;

	mode = meta_tc_mode_resolve(mode, ifindex);
	if (mode == META_TC_TCX) {
		err = tcx_attach(ifindex, egress, prog_fd);
		/* The new one runs: now drop a filter of ours from before. */
		if (!err && !cls_detach(ifindex, egress))
			clsact_drop_if_empty(ifindex);
	} else {
		err = cls_attach(ifindex, egress, prog_fd);
		if (!err) {
			err = tcx_detach(ifindex, egress);
			if (err == -ENOENT)
				err = 0;
		}
	}
	if (!err && used)
		*used = mode;
	return err;
}

int meta_tc_detach(int ifindex, bool egress)
{
	int t, c;

	t = tcx_detach(ifindex, egress);
	if (t && t != -ENOENT)
		return t;
	c = cls_detach(ifindex, egress);
	if (!t || !c)
		return 0;
	return tc_fail(-ENOENT, "no program of ours on ifindex %d %s",
		       ifindex, hook_name(egress));
}

int meta_tc_query(int ifindex, bool egress, __u32 *tcx_prog, __u32 *tcx_link,
		  __u32 *cls_prog)
{
	struct tcx_link_info info;
	char path[256];
	int fd, err;

	*tcx_prog = *tcx_link = 0;
	err = meta_tcx_pin_path(ifindex, egress, path, sizeof(path));
	if (err)
		return err;
	fd = tcx_open(path, ifindex, egress, &info);
	if (fd >= 0) {
		*tcx_prog = info.prog_id;
		*tcx_link = info.id;
		close(fd);
	} else if (fd != -ENOENT) {
		return fd;
	}
	*cls_prog = cls_query(ifindex, egress);
	return 0;
}

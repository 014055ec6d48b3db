// SPDX-License-Identifier: GPL-2.0
/*
 * meta programs: the ordered list of BPF programs each end runs on transmit.
 *
 * Lists are immutable once published: every change builds a new array,
 * publishes it with RCU under RTNL, bumps the direction's revision and
 * frees the old one after a grace period, so the datapath reads them
 * without locks. A program leaves only after a grace period too:
 * bpf_prog_put() releases some of its state at once, and a CPU may still
 * be running it.
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "meta.h"

static struct meta_prog_array *meta_progs(const struct net_device *end)
{
	return rtnl_dereference(meta_priv(end)->progs);
}

/* Index of the program with @id in @arr, or -1. */
static int meta_prog_find(const struct meta_prog_array *arr, u32 id)
{
	int i;

	for (i = 0; arr && i < arr->count; i++)
		if (arr->progs[i]->aux->id == id)
			return i;
	return -1;
}

/* @expected 0 accepts any revision. */
static int meta_prog_check_revision(const struct net_device *end, u64 expected,
				    struct netlink_ext_ack *extack)
{
	if (expected && expected != meta_priv(end)->revision) {
		NL_SET_ERR_MSG(extack,
			       "meta: the programs changed since the expected revision");
		return -ESTALE;
	}
	return 0;
}

static void meta_progs_publish(struct net_device *end,
			       struct meta_prog_array *arr)
{
	struct meta_priv *priv = meta_priv(end);
	struct meta_prog_array *old = meta_progs(end);

	rcu_assign_pointer(priv->progs, arr);
	WRITE_ONCE(priv->revision, priv->revision + 1);
	if (old)
		kfree_rcu(old, rcu);
}

/*
 * @flags holds at most one of BEFORE, AFTER, REPLACE (netlink.c checked);
 * without @rel_id, BEFORE means first and AFTER last.
 */
int meta_prog_attach(struct net_device *end, int fd, u32 flags, u32 rel_id,
		     u64 expected, struct netlink_ext_ack *extack)
{
	struct meta_prog_array *old = meta_progs(end), *arr;
	struct bpf_prog *prog, *replaced = NULL;
	int n = old ? old->count : 0, pos = n, rel = -1, i, err;

	ASSERT_RTNL();
	err = meta_prog_check_revision(end, expected, extack);
	if (err)
		return err;
	if (rel_id) {
		rel = meta_prog_find(old, rel_id);
		if (rel < 0) {
			NL_SET_ERR_MSG(extack,
				       "meta: relative program id not attached in this direction");
			return -ENOENT;
		}
	}

	prog = bpf_prog_get_type_dev(fd, BPF_PROG_TYPE_SCHED_CLS, false);
	if (IS_ERR(prog)) {
		if (PTR_ERR(prog) == -EBADF)
			NL_SET_ERR_MSG(extack, "meta: the program fd is not an open file");
		else
			NL_SET_ERR_MSG(extack,
				       "meta: the fd is not a BPF program of type SCHED_CLS (tc)");
		return PTR_ERR(prog);
	}
	if (meta_prog_find(old, prog->aux->id) >= 0) {
		NL_SET_ERR_MSG(extack, "meta: the program is already attached in this direction");
		bpf_prog_put(prog);
		return -EEXIST;
	}
	if (!(flags & META_PROG_F_REPLACE) && n >= META_PROG_MAX) {
		NL_SET_ERR_MSG(extack, "meta: at most 16 programs per direction");
		bpf_prog_put(prog);
		return -E2BIG;
	}

	arr = kzalloc(sizeof(*arr), GFP_KERNEL);
	if (!arr) {
		bpf_prog_put(prog);
		return -ENOMEM;
	}
	if (flags & META_PROG_F_BEFORE)
		pos = rel < 0 ? 0 : rel;
	else if (flags & META_PROG_F_AFTER)
		pos = rel < 0 ? n : rel + 1;
	else if (flags & META_PROG_F_REPLACE)
		pos = rel;

	for (i = 0; i < pos; i++)
		arr->progs[arr->count++] = old->progs[i];
	arr->progs[arr->count++] = prog;
	if (flags & META_PROG_F_REPLACE) {
		replaced = old->progs[pos];
		pos++;
	}
	for (i = pos; i < n; i++)
		arr->progs[arr->count++] = old->progs[i];

	meta_progs_publish(end, arr);
	if (replaced) {
		synchronize_net();
		bpf_prog_put(replaced);
	}
	return 0;
}

int meta_prog_detach(struct net_device *end, u32 id, bool all, u64 expected,
		     struct netlink_ext_ack *extack)
{
	struct meta_prog_array *old = meta_progs(end), *arr = NULL;
	struct bpf_prog *gone[META_PROG_MAX];
	int i, at, ngone = 0, err;

	ASSERT_RTNL();
	err = meta_prog_check_revision(end, expected, extack);
	if (err)
		return err;
	if (all) {
		for (i = 0; old && i < old->count; i++)
			gone[ngone++] = old->progs[i];
	} else {
		at = meta_prog_find(old, id);
		if (at < 0) {
			NL_SET_ERR_MSG(extack,
				       "meta: no program with this id in this direction");
			return -ENOENT;
		}
		gone[ngone++] = old->progs[at];
		if (old->count > 1) {
			arr = kzalloc(sizeof(*arr), GFP_KERNEL);
			if (!arr)
				return -ENOMEM;
			for (i = 0; i < old->count; i++)
				if (i != at)
					arr->progs[arr->count++] = old->progs[i];
		}
	}
	if (!ngone)
		return 0;

	meta_progs_publish(end, arr);
	synchronize_net();
	for (i = 0; i < ngone; i++)
		bpf_prog_put(gone[i]);
	return 0;
}

/* On unregister: nothing can transmit through @end any more. */
void meta_prog_release_all(struct net_device *end)
{
	meta_prog_detach(end, 0, true, 0, NULL);
}

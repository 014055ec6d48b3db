/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A device's "meta tc slot": the one program metactl tc and the CNI
 * plugin's bpf.nic keep on a device's tc ingress or egress. Where the
 * kernel has tcx (6.6+) it is a tcx bpf_link pinned in bpffs (a link dies
 * with its last reference, the pin keeps it after the tool exits); older
 * kernels get a direct-action cls_bpf filter, handle 1, priority 1, on a
 * clsact qdisc. Attaching in one mechanism removes ours of the other, so
 * a device never runs both (a node upgraded from clsact ends up on tcx,
 * its clsact qdisc deleted if no filter is left on it).
 *
 * The link of device IFINDEX in the network namespace with inode NETNS is
 * pinned at META_TCX_DIR/NETNS_IFINDEX_ingress (or _egress): per device,
 * not per map set, so whoever attached (metactl -p, the CNI plugin's
 * pinDir) anyone can replace or detach it.
 *
 * Functions return 0 or a negative errno; meta_tc_last_error() describes
 * the last failure.
 */
#ifndef META_TC_H
#define META_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define META_TCX_DIR	"/sys/fs/bpf/meta/tcx"

enum meta_tc_mode {
	META_TC_AUTO,	/* tcx where the kernel has it, else clsact */
	META_TC_TCX,
	META_TC_CLSACT,
};

/* "auto", "tcx", "clsact" -> enum meta_tc_mode; -1 for anything else. */
int meta_tc_mode_parse(const char *s);
const char *meta_tc_mode_name(int mode);

/* Does the kernel have tcx (BPF_PROG_QUERY knows BPF_TCX_*)? */
bool meta_tcx_supported(int ifindex);

/* META_TC_AUTO resolved for this kernel. */
int meta_tc_mode_resolve(int mode, int ifindex);

/*
 * Puts PROG_FD into the slot of IFINDEX (ingress unless EGRESS), replacing
 * what is there; *used (may be NULL) says which mechanism it got.
 */
int meta_tc_attach(int ifindex, bool egress, int prog_fd, int mode,
		   int *used);

/* Empties the slot (both mechanisms); -ENOENT if nothing of ours was there. */
int meta_tc_detach(int ifindex, bool egress);

/*
 * What the slot holds: the program id of our tcx link and of our cls_bpf
 * filter, 0 where none.
 */
int meta_tc_query(int ifindex, bool egress, __u32 *tcx_prog, __u32 *tcx_link,
		  __u32 *cls_prog);

/* The pin path of the slot's tcx link in the current namespace. */
int meta_tcx_pin_path(int ifindex, bool egress, char *buf, size_t len);

const char *meta_tc_last_error(void);

#endif

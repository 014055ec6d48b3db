/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libmeta internals for its unit tests: replace the kernel by a function
 * that sees each request and writes the reply. Not installed, not part of
 * the shared library's exported symbols (libmeta.map).
 */
#ifndef LIBMETA_PRIV_H
#define LIBMETA_PRIV_H

#include <sys/types.h>
#include <linux/netlink.h>

#include "libmeta.h"

/*
 * Gets the request and writes every reply message (data, then an
 * NLMSG_ERROR ack) into buf; returns the reply's length or -errno.
 */
typedef ssize_t (*meta_nl_xfer_fn)(void *arg, const struct nlmsghdr *req,
				   void *buf, size_t size);

/* A struct meta_nl without a socket: xfer plays the kernel. */
int meta__nl_open_fake(struct meta_nl **nl, meta_nl_xfer_fn xfer, void *arg);

#endif /* LIBMETA_PRIV_H */

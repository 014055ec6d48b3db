/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The redirect target of the redirect_* programs, read from the pinned
 * meta_target map on every packet so that it can be changed at run time
 * (`metactl target set`) without reloading anything.
 */
#ifndef META_TARGET_H
#define META_TARGET_H

#include "meta_common.h"

META_TARGET_MAP;

static __always_inline __u32 meta_target_ifindex(void)
{
	struct meta_target *t;
	__u32 key = 0;

	t = bpf_map_lookup_elem(&meta_target, &key);
	/* An array lookup of key 0 cannot fail; 0 redirects nowhere. */
	return t ? t->ifindex : 0;
}

#endif /* META_TARGET_H */

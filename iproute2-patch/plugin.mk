# SPDX-License-Identifier: GPL-2.0
#
# Build link_meta.so, the "meta" link kind as a plugin of a stock `ip`.
#
#   make -C IPROUTE2_SRC -f Makefile -f .../plugin.mk \
#        META_PLUGIN_SRC=.../iplink_meta.c META_UAPI=.../include/uapi \
#        ip/link_meta.so
#
# Read after iproute2's own top-level Makefile, in a configured source
# tree of the iproute2 the plugin is for: CFLAGS then holds exactly what
# iproute2 compiles its ip/ objects with (its warnings, its copies of the
# kernel uapi headers, configure's HAVE_* defines), so the plugin sees the
# same struct link_util, struct iplink_req and helper prototypes as the
# `ip` binary that dlopen()s it. The helpers themselves (addattr32,
# iplink_parse, print_string, bpf_parse_and_load_common, ...) stay
# undefined here: `ip` is linked with -Wl,-export-dynamic and provides them.
#
# CPPFLAGS, CFLAGS and LDFLAGS from the environment (dpkg-buildflags) are
# added, as iproute2's Makefile does.

META_PLUGIN_SRC	?= $(error META_PLUGIN_SRC= (path of iplink_meta.c) is required)
META_UAPI	?= $(error META_UAPI= (the meta include/uapi directory) is required)

# iproute2's CFLAGS name ../include relative to its subdirectories: compile
# in ip/, as its own objects are. -I. for ip_common.h; the meta uapi
# directory last, so iproute2's copies of the kernel headers win.
ip/link_meta.so: $(META_PLUGIN_SRC) $(META_UAPI)/linux/if_meta.h config.mk
	cd ip && $(CC) $(CFLAGS) -Wextra $(CPPFLAGS) -I. -I$(META_UAPI) \
		-fPIC -shared $(LDFLAGS) -o link_meta.so $(META_PLUGIN_SRC)

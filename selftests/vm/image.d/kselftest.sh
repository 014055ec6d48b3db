# SPDX-License-Identifier: GPL-2.0
#
# Image part (sourced by mkinitramfs.sh): the meta collection as the
# kernel's kselftest Makefile installs it (selftests/vm/kselftest.sh, run
# by run.sh into build/kselftest), at /meta/kselftest. meta/99-kselftest.sh
# runs tests through its run_kselftest.sh.
# shellcheck shell=bash disable=SC2154

if [ -x "$META_BUILD/kselftest/run_kselftest.sh" ]; then
	cp -a "$META_BUILD/kselftest" "$root/meta/kselftest"
elif [ -n "$strict" ]; then
	die "$META_BUILD/kselftest missing (selftests/vm/kselftest.sh)"
else
	log "warning: $META_BUILD/kselftest missing, 99-kselftest will skip"
fi

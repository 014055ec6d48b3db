#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /init of the meta test VMs: mkinitramfs.sh installs it as the selftest
# initramfs's /init; in the install test's Debian image (install-image.sh)
# the boot stub runs it from the test disk once Debian's initrd has mounted
# the root. Mounts what is not mounted yet, runs the entry point chosen on
# the kernel command line, copies its output
# and the kernel log to the second serial port (a file on the host), ends
# with "### meta-vm-exit RC" and powers off. Not `set -e`: whatever fails,
# the host must get the marker and the kernel log.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

# mnt TYPE DIR [OPTIONS]: mount TYPE on DIR unless something is there
# (/proc/mounts; busybox has no mountpoint).
mnt() { grep -qs " $2 " /proc/mounts || mount -t "$1" ${3:+-o "$3"} "$1" "$2"; }

mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
# devtmpfs has no /dev/fd; bash process substitution needs it.
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mnt devpts /dev/pts
mnt tmpfs /dev/shm
# ip netns keeps its namespaces under /run/netns (/var/run is a link).
mnt tmpfs /run mode=0755
mnt tmpfs /tmp mode=1777
mkdir -p /run/netns
mnt bpf /sys/fs/bpf
mnt cgroup2 /sys/fs/cgroup 2>/dev/null
mnt debugfs /sys/kernel/debug 2>/dev/null
mnt tracefs /sys/kernel/tracing 2>/dev/null
hostname meta-vm
ip link set lo up

mode=test
timeout=0
entry=
args=()
for arg in $(cat /proc/cmdline); do
	case $arg in
	metavm.mode=*) mode=${arg#*=} ;;
	metavm.timeout=*) timeout=${arg#*=} ;;
	metavm.entry=*) entry=${arg#*=} ;;
	metavm.args=*) IFS=, read -ra args <<<"${arg#*=}" ;;
	esac
done
if [ -z "$entry" ]; then
	case $mode in
	demo) entry=/meta/selftests/demo.sh ;;
	*) entry=/meta/selftests/run_tests.sh ;;
	esac
fi

# One descriptor for the whole report: closing the last one waits until
# the UART has sent everything, so poweroff cannot cut the tail off. No
# output post-processing: the host gets "\n", not "\r\n".
exec 3>/dev/ttyS1
stty -F /dev/ttyS1 -opost 2>/dev/null

# Debug kernels: leaks are judged against what existed before the tests
# (objects younger than 5 s are not judged yet, so let boot settle).
kmemleak=/sys/kernel/debug/kmemleak
if [ -w $kmemleak ]; then
	while [ "$(cut -d. -f1 /proc/uptime)" -lt 6 ]; do sleep 1; done
	echo scan > $kmemleak
	echo clear > $kmemleak
fi

echo "# meta-vm: $(uname -r), mode $mode, running $entry" | tee /dev/console >&3
if [ ! -x "$entry" ]; then
	echo "not ok 1 - $entry exists and is executable" | tee /dev/console >&3
	rc=127
else
	cd "${entry%/*}"
	# The guest-side watchdog fires before the host's timeout, so that
	# a hung test still leaves the kernel log (with the blocked tasks)
	# and the exit marker behind.
	if [ "$timeout" -gt 0 ]; then
		timeout -k 10 "$timeout" "$entry" "${args[@]}" </dev/null 2>&1 | tee /dev/console >&3
		rc=${PIPESTATUS[0]}
	else
		"$entry" "${args[@]}" </dev/null 2>&1 | tee /dev/console >&3
		rc=${PIPESTATUS[0]}
	fi
	cd /
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "# meta-vm: $entry timed out after ${timeout}s" | tee /dev/console >&3
		echo w > /proc/sysrq-trigger
	fi
fi

# What the tests freed late (RCU, workqueues) must be gone before the last
# scans; kmemleak reports what stays unreferenced across scans.
if [ -w $kmemleak ]; then
	sleep 6
	echo scan > $kmemleak
	echo scan > $kmemleak
fi

echo "### dmesg begin" >&3
dmesg >&3
echo "### dmesg end" >&3
if [ -w $kmemleak ]; then
	echo "### kmemleak begin" >&3
	cat $kmemleak >&3
	echo "### kmemleak end" >&3
fi
echo "### meta-vm-exit $rc" | tee /dev/console >&3
exec 3>&-
sync
# busybox's poweroff in the initramfs; a Debian root without an init
# system has none: sysrq powers off asynchronously, and init must not
# exit meanwhile (the kernel would panic).
if ! poweroff -f 2>/dev/null; then
	echo o > /proc/sysrq-trigger
	sleep 60
fi

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/run.sh [--demo | --install] [--kernels "6.1 6.12"]
#                            [--timeout SECONDS] [--entry GUEST_PATH] [-v]
#
# Boot every selected kernel of selftests/vm/kernels in QEMU with meta.ko
# built for it, run the guest test entry point (/meta/selftests/run_tests.sh,
# kselftest TAP) and report. A kernel fails when a test fails, the guest
# does not report back within the timeout, its entry point exits non-zero,
# or the kernel log shows a warning, oops, leak or the like.
#
#   --demo            boot the newest selected kernel, run selftests/demo.sh
#                     with its output on the terminal; exit with its status
#   --install         the install test instead: boot each kernel's Debian
#                     system (install-image.sh) and run
#                     selftests/install/guest.sh, which installs the
#                     packages of `make deb` from a local repository; only
#                     kernels of this machine's suite (default: those of
#                     the default kernels)
#   --kernels LIST    kernels to test (default: $KERNELS, else the table's
#                     default ones)
#   --timeout S       wall-clock limit per VM (default: $META_VM_TIMEOUT or
#                     2400 for tests, 600 for the demo; the CNI load
#                     tests take minutes per kernel under TCG)
#   --entry PATH      run PATH (a path inside the guest) instead
#   -v                also show each guest console live
#
# Environment: META_CACHE (kernel cache, /var/cache/meta), META_BUILD
# (build directory, ./build), META_VM_APPEND (extra kernel command line),
# META_VM_SMP / META_VM_MEM (CPUs, MiB), META_VM_TCG=single|multi (TCG
# threading, default single), META_VM_ICOUNT=1 (deterministic
# timing for benchmarks: single-threaded TCG with -icount shift=1,sleep=off
# and one CPU; off unless set).
#
# Output: per kernel a "# kernel KVER" header and the guest's TAP, the
# harness's own failed checks as "not ok - vm/NAME: ...", per-kernel
# totals, skipped tests, and last the line "N passed, N failed, N skipped".
# Logs: build/vm/KVER/{prepare,console,results}.log (install-KVER/ for
# --install).

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

demo=
install=
kernels=${KERNELS:-}
timeout=${META_VM_TIMEOUT:-}
entry=${META_VM_ENTRY:-}
verbose=
while [ $# -gt 0 ]; do
	case $1 in
	--demo) demo=1; shift ;;
	--install) install=1; shift ;;
	--kernels) kernels=$2; shift 2 ;;
	--kernels=*) kernels=${1#*=}; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--entry) entry=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	-h|--help) sed -n '4,40s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ -z "$demo" ] || [ -z "$install" ] || die "--demo and --install exclude each other"
if [ -z "$kernels" ] && [ -n "$install" ]; then
	kernels=$(kernel_host_names | xargs)
fi
[ -n "$kernels" ] || kernels=$(kernel_default_names | xargs)
for k in $kernels; do
	kernel_row "$k"		# unknown names fail here, before any work
	[ -z "$install" ] || [ "$K_BUILD" = host ] ||
		die "--install: kernel $k is not from this machine's suite"
done
kernels=$(tr -s ' \t' '\n' <<<"$kernels" | sort -uV | xargs)
if [ -n "$demo" ]; then
	kernels=${kernels##* }	# the newest
	timeout=${timeout:-600}
fi
timeout=${timeout:-2400}
[ "$timeout" -ge 30 ] 2>/dev/null || die "--timeout must be a number of seconds >= 30"

# The guest's own watchdog fires first, so that a hung test still yields
# the kernel log and the exit marker; the host's timeout only catches a
# guest that is stuck as a whole.
guest_timeout=$((timeout - 60))
[ "$guest_timeout" -ge $((timeout / 2)) ] || guest_timeout=$((timeout / 2))

# Lines in a kernel log that fail a kernel, whatever the tests said.
# Tests must not write these words to /dev/kmsg themselves.
bad_patterns=(
	'BUG:' 'WARNING:' 'Oops' 'general protection' 'Call Trace'
	'refcount_t' 'leak' 'UBSAN' 'KASAN' 'kernel panic' 'Kernel panic'
	'list_add corruption' 'unregister_netdevice: waiting'
)

vmdir=$META_BUILD/vm
mkdir -p "$vmdir"
t_run=$SECONDS

total_pass=0
total_fail=0
total_skip=0
skipped=()
summaries=()

# --- preparation shared by all kernels -------------------------------------

"$META_REPO/scripts/install-deps.sh"

# host_step NAME CMD...: a build step every kernel needs; without it no
# kernel can be tested, so a failure ends the run.
host_step()
{
	local name=$1 log=$vmdir/$1.log

	shift
	echo "# $name"
	if ! "$@" > "$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/# /'
		echo "not ok - vm: $name (log: $log)"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

if [ -n "$install" ]; then
	# The packages, built as `make deb` builds them.
	host_step deb make -C "$META_REPO" deb BUILD="$META_BUILD"
else
	# The ip plugin that teaches Debian's ip the meta kind, and the test
	# helpers the guest runs (meta_nl, ...): host builds, shared by every
	# kernel.
	host_step iproute2 make -C "$META_REPO" iproute2 BUILD="$META_BUILD"
	if [ ! -f "$META_BUILD/iproute2/link_meta.so" ]; then
		echo "not ok - vm: iproute2 (no $META_BUILD/iproute2/link_meta.so after make iproute2)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	host_step selftests make -C "$META_REPO" selftests BUILD="$META_BUILD"
	host_step bpf make -C "$META_REPO" bpf BUILD="$META_BUILD"
	host_step cni make -C "$META_REPO" cni BUILD="$META_BUILD"
	# selftests/ installed by the kernel's kselftest Makefile (99-kselftest).
	host_step kselftest "$META_VM_DIR/kselftest.sh" "$META_BUILD/kselftest"
fi

# --- per kernel ---------------------------------------------------------------

# kvm_dir: the directory of $KVER's VM, its logs and images.
kvm_dir()
{
	echo "$vmdir/${install:+install-}$KVER"
}

# fail_check NAME DESC: a failed check of the harness itself.
fail_check()
{
	echo "not ok - vm/$1: $2"
	k_fail=$((k_fail + 1))
}

# install_disk NAME IMAGEDIR DIR: the install test's second disk,
# DIR/test.img: /init, the selftests and repo/, a local apt repository with
# the packages of `make deb`, what installing them into the image fetches,
# and the headers of the other kernels of this suite (for the autoinstall
# check; their names in second-kernels). Runs in prepare's subshell.
install_disk()
{
	local name=$1 img=$2 dir=$3 disk=$3/disk k debs=() hdr

	rm -rf "$dir"
	mkdir -p "$disk/repo"
	debs=("$META_BUILD"/deb/meta-{dkms,tools,cni,iproute2}_*.deb)
	"$META_VM_DIR/install-image.sh" --repo-debs "$img" "$disk/repo" "${debs[@]}" || return
	: > "$disk/second-kernels"
	for k in $(kernel_host_names); do
		[ "$k" != "$name" ] || continue
		kernel_select "$k"
		kernel_resolve
		# Its image is in the image already: the headers and what they
		# need (--no-install-recommends, as the guest installs them).
		"$META_VM_DIR/install-image.sh" --repo-debs --no-recommends \
			"$img" "$disk/repo" "$K_HDRPKG" || return
		echo "$KVER $K_HDRPKG" >> "$disk/second-kernels"
	done
	cp "${debs[@]}" "$disk/repo/"
	rm -rf "$disk/repo/partial" "$disk/repo/lock"
	(cd "$disk/repo" && dpkg-scanpackages --multiversion . > Packages) || return
	install -m 0755 "$META_VM_DIR/guest-init.sh" "$disk/init"
	cp -a "$META_REPO/selftests" "$disk/selftests"
	hdr=$(du -sm "$disk" | cut -f1)
	mkfs.ext4 -q -F -L meta-test -d "$disk" "$dir/test.img" "$((hdr * 5 / 4 + 16))M" || return
	rm -rf "$disk"
	echo "$img" > "$dir/image"
}

# prepare_test NAME, prepare_install NAME: what prepare runs, in its
# subshell. Explicit exits: set -e does not apply inside a subshell whose
# status is tested, and a failed build must not ship a stale meta.ko.
prepare_test()
{
	kernel_fetch "$1" || exit
	echo "$KVER" > "$vmdir/.kver-$1"
	build_module || exit
	"$META_VM_DIR/mkinitramfs.sh" --strict "$KVER" \
		"$vmdir/$KVER/initramfs.cpio.gz" || exit
}

prepare_install()
{
	local img

	img=$("$META_VM_DIR/install-image.sh" "$1") || exit
	KVER=$(cat "$img/kver")
	echo "$KVER" > "$vmdir/.kver-install-$1"
	install_disk "$1" "$img" "$(kvm_dir)" || exit
}

# prepare NAME: fetch the kernel, build meta.ko, make the initramfs (with
# --install: the Debian image and the test disk). Runs in a subshell
# (lib.sh's die exits) with its output in a log; sets KVER.
prepare()
{
	local name=$1 log t0=$SECONDS step=prepare_test tag

	# Names of their own: make check runs both modes side by side.
	tag=${install:+install-}$name
	log=$vmdir/prepare-$tag.log
	rm -f "$vmdir/.kver-$tag"
	if [ -n "$install" ]; then
		step=prepare_install
		echo "# $name: the Debian image and the local repository"
	else
		echo "# $name: fetching the kernel, building meta.ko and the initramfs"
	fi
	if ! ( "$step" "$name" ) > "$log" 2>&1; then
		KVER=$(cat "$vmdir/.kver-$tag" 2>/dev/null || echo "$name")
		tail -n 40 "$log" | sed 's/^/# /'
		return 1
	fi
	KVER=$(cat "$vmdir/.kver-$tag")
	mv "$log" "$(kvm_dir)/prepare.log"
	echo "# $name: $KVER prepared in $((SECONDS - t0))s"
}

# boot NAME: boot $KVER with its initramfs; sets qrc (QEMU's exit status or
# timeout's 124) and boot_secs.
boot()
{
	local name=$1 dir=$vmdir/$KVER mode=test append qpid t0 img
	local kernel=${KIMAGE:-} initrd=$vmdir/$KVER/initramfs.cpio.gz disks=()

	[ -z "$demo" ] || mode=demo
	if [ -n "$install" ]; then
		# The image's own kernel and initrd; its root file system in
		# snapshot mode (the cached image stays as it is) and the test
		# disk read-only.
		dir=$(kvm_dir)
		img=$(cat "$dir/image")
		kernel=$img/vmlinuz
		initrd=$img/initrd.img
		mode=install
		# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
		disks=(-drive "file=$img/root.img,format=raw,if=virtio,snapshot=on"
		       -drive "file=$dir/test.img,format=raw,if=virtio,readonly=on")
		entry=${entry:-/srv/meta-test/selftests/install/guest.sh}
	fi
	# panic=-1: a panic reboots at once, which -no-reboot turns into
	# QEMU's exit (the missing exit marker then fails the kernel) instead
	# of a wait for the timeout. No oops=panic and no panic_on_warn: an
	# oops kills only the task that hit it, so the remaining tests, the
	# kernel log and the marker still arrive, and the log check fails the
	# kernel. printk.devkmsg=on: tests may log to /dev/kmsg unthrottled.
	append="console=ttyS0 quiet panic=-1 printk.devkmsg=on"
	[ -z "$install" ] || append+=" root=/dev/vda rw init=/usr/local/sbin/meta-vm-boot"
	append+=" metavm.mode=$mode metavm.timeout=$guest_timeout"
	[ -z "$entry" ] || append+=" metavm.entry=$entry"
	append+=" ${META_VM_APPEND:-}"
	rm -f "$dir/console.log" "$dir/results.log"
	: > "$dir/console.log"
	: > "$dir/results.log"

	# TCG only: the machine's /dev/kvm cannot run stock kernels, and
	# QEMU 7.2's cmpxchg16b emulation corrupts state (shared notes).
	# No NIC: the guest has no business on any network.
	# META_VM_ICOUNT: the guest clock follows executed instructions, so
	# guest-measured rates count instructions, not the host's load.
	# Single-threaded TCG (both vCPUs take turns on one host thread): with
	# multi-threaded TCG, 7.2 guests twice died of an "Oops: int3" at a
	# static key just patched (netif_rx_internal during a ping,
	# get_page_from_freelist while podman made cgroups): text_poke_bp()'s
	# int3 protocol needs every CPU to stop seeing the int3 after its
	# sync IPIs, and a vCPU thread of QEMU 7.2 can still run a block
	# translated from the int3. Round-robin vCPUs cannot race the patcher;
	# the tests are mostly serial, so it costs ~20 % of wall time.
	# META_VM_TCG=multi brings the parallel vCPUs back.
	local accel=tcg,thread=${META_VM_TCG:-single} smp=${META_VM_SMP:-2} icount=()
	if [ -n "${META_VM_ICOUNT:-}" ] && [ "$META_VM_ICOUNT" != 0 ]; then
		accel=tcg,thread=single
		smp=1
		# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
		icount=(-icount shift=1,sleep=off)
	fi
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	local qemu=(
		qemu-system-x86_64 -accel "$accel" "${icount[@]}" -cpu qemu64,-cx16
		-smp "$smp" -m "${META_VM_MEM:-2048}"
		-kernel "$kernel" -initrd "$initrd" "${disks[@]}"
		-append "$append"
		-nographic -nodefaults -no-reboot -nic none -monitor none
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
	)
	echo "# $name: booting $KVER (timeout ${timeout}s)"
	t0=$(date +%s%N)
	timeout -k 10 "$timeout" "${qemu[@]}" </dev/null > "$dir/qemu.log" 2>&1 &
	qpid=$!
	if [ -n "$demo" ]; then
		# Stream the demo as it runs; the kernel log and markers are
		# for the checks below, not for the audience.
		tail -n +1 -F --pid="$qpid" "$dir/results.log" 2>/dev/null |
			awk '/^### dmesg begin$/ { hide = 1 }
			     !hide && !/^### meta-vm-exit / { print; fflush() }
			     /^### dmesg end$/ { hide = 0 }' &
	elif [ -n "$verbose" ]; then
		tail -n +1 -F --pid="$qpid" "$dir/console.log" 2>/dev/null &
	fi
	qrc=0
	wait "$qpid" || qrc=$?
	wait || true	# the tail, if any
	boot_secs=$((($(date +%s%N) - t0) / 1000000))
	boot_secs=$((boot_secs / 1000)).$(printf '%03d' $((boot_secs % 1000)))
}

# bad_lines FILE: the lines of FILE that match a bad pattern.
bad_lines()
{
	local args=() p

	for p in "${bad_patterns[@]}"; do
		args+=(-e "$p")
	done
	grep -F "${args[@]}" "$1" || true
}

# console_tail FILE: the end of a console log, without the firmware's
# terminal escape sequences.
console_tail()
{
	tail -n 20 "$1" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/^/# console: /'
}

# evaluate NAME: read the guest's report and account for it.
evaluate()
{
	local name=$1 dir res tap dmesg rc plan n bad

	dir=$(kvm_dir)

	res=$dir/results.clean
	tr -d '\r' < "$dir/results.log" > "$res"
	# Everything before the kernel log is the entry point's output.
	tap=$(sed '/^### dmesg begin$/,$d; /^### meta-vm-exit /d' "$res")
	dmesg=$(sed -n '/^### dmesg begin$/,/^### dmesg end$/p' "$res")
	rc=$(sed -n 's/^### meta-vm-exit \([0-9]*\)$/\1/p' "$res" | tail -n 1)
	guest_rc=${rc:-1}

	[ -n "$demo" ] || printf '%s\n' "$tap"

	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		fail_check "$name" "VM finished within ${timeout}s (killed; console: $dir/console.log)"
		console_tail "$dir/console.log"
	elif [ -z "$rc" ]; then
		fail_check "$name" "guest reported its exit status (QEMU status $qrc; console: $dir/console.log)"
		console_tail "$dir/console.log"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail_check "$name" "${entry:-the guest entry point} finished within ${guest_timeout}s (guest watchdog)"
	elif [ "$rc" -ne 0 ] && { [ -n "$demo" ] || ! grep -q '^not ok ' <<<"$tap"; }; then
		# A failed test already fails the kernel and explains the
		# status; only an unexplained one is a check of its own.
		fail_check "$name" "${entry:-the guest entry point} exits 0 (exit status $rc)"
	fi

	# The console carries the kernel's messages and, echoed, the entry
	# point's output: a test named "no leak" must not count as one.
	bad=$({
		printf '%s\n' "$dmesg" | sed '1d;$d' > "$dir/dmesg.log"
		bad_lines "$dir/dmesg.log"
		tr -d '\r' < "$dir/console.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' |
			grep -vxF -f <(printf '%s\n' "$tap") |
			grep -vx '### meta-vm-exit [0-9]*' > "$dir/console.kernel" || true
		bad_lines "$dir/console.kernel"
	} | awk '!seen[$0]++')
	if [ -n "$bad" ]; then
		fail_check "$name" "kernel log free of warnings, oopses and leaks"
		printf '%s\n' "$bad" | head -n 50 | sed 's/^/# kernel: /'
	fi

	[ -z "$demo" ] || return 0

	# kselftest TAP: top-level result lines only (subtests are indented).
	k_skip=$(grep -ciE '^ok [0-9]*.*#[[:space:]]*skip' <<<"$tap" || true)
	k_pass=$(($(grep -c '^ok ' <<<"$tap" || true) - k_skip))
	n=$(grep -c '^not ok ' <<<"$tap" || true)
	k_fail=$((k_fail + n))
	while read -r line; do
		[ -n "$line" ] && skipped+=("$name: $line")
	done < <(grep -iE '^ok [0-9]*.*#[[:space:]]*skip' <<<"$tap" || true)

	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' <<<"$tap" | tail -n 1)
	if [ -n "$rc" ] && [ -z "$plan" ] && [ $((k_pass + k_skip + n)) -eq 0 ]; then
		fail_check "$name" "the guest ran tests (no TAP output)"
	elif [ -n "$plan" ] && [ "$plan" -ne $((k_pass + k_skip + n)) ]; then
		fail_check "$name" "TAP plan 1..$plan matches $((k_pass + k_skip + n)) results"
	fi
}

demo_rc=0
for name in $kernels; do
	k_pass=0
	k_fail=0
	k_skip=0
	KVER=$name
	echo "#"
	if ! prepare "$name"; then
		echo "# kernel $KVER"
		fail_check "$name" "prepare $KVER (log: $vmdir/prepare-${install:+install-}$name.log)"
		demo_rc=1
	else
		[ -n "$install" ] || kernel_cached "$KVER"
		boot "$name"
		echo "# kernel $KVER"
		evaluate "$name"
		echo "# $name: VM ran ${boot_secs}s (boot to result)"
		demo_rc=$guest_rc
		[ "$k_fail" -eq 0 ] || [ "$demo_rc" -ne 0 ] || demo_rc=1
	fi
	[ -z "$demo" ] || continue
	summaries+=("# $name: $k_pass passed, $k_fail failed, $k_skip skipped")
	echo "${summaries[-1]}"
	total_pass=$((total_pass + k_pass))
	total_fail=$((total_fail + k_fail))
	total_skip=$((total_skip + k_skip))
done

if [ -n "$demo" ]; then
	echo "# demo on $KVER: exit status $demo_rc (logs: $(kvm_dir)/)"
	exit "$demo_rc"
fi

echo "#"
printf '%s\n' "${summaries[@]}"
if [ ${#skipped[@]} -gt 0 ]; then
	echo "# skipped:"
	printf '#   %s\n' "${skipped[@]}"
fi
echo "# total time $((SECONDS - t_run))s"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]

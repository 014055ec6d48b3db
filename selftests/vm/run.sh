#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftests/vm/run.sh [--demo | --stress | --install]
#                            [--kernels "6.1 6.12"] [--timeout SECONDS]
#                            [--entry GUEST_PATH] [--tests "02-create 05-badinput"]
#                            [--jobs N] [-v]
#
# Boot every selected kernel of selftests/vm/kernels in QEMU with meta.ko
# built for it, run the guest test entry point (/meta/selftests/run_tests.sh,
# kselftest TAP) and report. A kernel fails when a test fails, the guest
# does not report back within the timeout, its entry point exits non-zero,
# or the kernel log shows a warning, oops, leak or the like (and, on a
# debug kernel, when kmemleak finds a leak).
#
# VMs run in parallel (--jobs). A debug kernel's suite is split over
# META_DEBUG_SHARDS VMs (default 2), and a debug kernel also gets an SMP
# stress VM (4 vCPUs, multi-threaded TCG, selftests/meta/stress.sh for
# STRESS_SECONDS, default 60 here; META_CHECK_STRESS=0 leaves it out).
# Each selected kernel of this machine's own suite (6.1, 6.12) also gets
# an install VM, as with --install (META_CHECK_INSTALL=0 leaves them out;
# so do --tests and --entry).
#
#   --demo            boot the newest selected kernel, run selftests/demo.sh
#                     with its output on the terminal; exit with its status
#   --stress          only the SMP stress VM, for each selected kernel
#                     (default 6.12-debug), STRESS_SECONDS long (default
#                     600); `make stress`
#   --install         only the install test (`make check-install`): boot
#                     each kernel's Debian system (install-image.sh) and
#                     run selftests/install/guest.sh, which installs the
#                     packages of `make deb` from a local repository;
#                     kernels of this machine's suite only (default: the
#                     default ones)
#   --kernels LIST    kernels to test (default: $KERNELS, else the table's
#                     default ones)
#   --timeout S       wall-clock limit per VM (default: $META_VM_TIMEOUT or
#                     2400 for tests, 600 for the demo; the CNI load
#                     tests take minutes per kernel under TCG)
#   --entry PATH      run PATH (a path inside the guest) instead
#   --tests LIST      pass LIST (test names) to the entry point: run only
#                     those selftests (default: $META_TESTS, else all)
#   --jobs N          VMs at a time (default: $META_VM_JOBS, else the
#                     number of CPUs)
#   -v                also show each guest console live (with --jobs 1)
#
# Environment: META_CACHE (kernel cache, /var/cache/meta), META_BUILD
# (build directory, ./build), META_VM_APPEND (extra kernel command line),
# META_VM_SMP / META_VM_MEM (CPUs, MiB), META_VM_TCG=single|multi (TCG
# threading, default single), META_VM_ICOUNT=1 (deterministic
# timing for benchmarks: single-threaded TCG with -icount shift=1,sleep=off
# and one CPU; off unless set).
#
# Output: per VM a "# kernel KVER" header and the guest's TAP, the
# harness's own failed checks as "not ok - vm/NAME: ...", per-kernel
# totals, skipped tests, and last the line "N passed, N failed, N skipped".
# Logs: build/vm/KVER/prepare.log, build/vm/KVER/JOB/{console,results}.log;
# install VMs: build/vm/install-KVER/.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

demo=
stress=
install=
jobs=${META_VM_JOBS:-$(nproc)}
kernels=${KERNELS:-}
timeout=${META_VM_TIMEOUT:-}
entry=${META_VM_ENTRY:-}
tests=${META_TESTS:-}
verbose=
while [ $# -gt 0 ]; do
	case $1 in
	--demo) demo=1; shift ;;
	--stress) stress=1; shift ;;
	--install) install=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--kernels=*) kernels=${1#*=}; shift ;;
	--timeout) timeout=$2; shift 2 ;;
	--entry) entry=$2; shift 2 ;;
	--tests) tests=$2; shift 2 ;;
	-v) verbose=1; shift ;;
	-h|--help) sed -n '4,58s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[ "$jobs" -ge 1 ] 2>/dev/null || die "--jobs must be a number >= 1"
[ $(( ${demo:-0} + ${stress:-0} + ${install:-0} )) -le 1 ] ||
	die "--demo, --stress and --install exclude each other"
if [ -z "$kernels" ] && [ -n "$stress" ]; then
	kernels=6.12-debug
fi
if [ -z "$kernels" ] && [ -n "$install" ]; then
	kernels=$(kernel_host_names | xargs)
fi
[ -n "$kernels" ] || kernels=$(kernel_default_names | xargs)
host_kernels=$(kernel_host_names | xargs)
for k in $kernels; do
	kernel_row "$k"		# unknown names fail here, before any work
	[ -z "$install" ] || [[ " $host_kernels " == *" $k "* ]] ||
		die "--install: kernel $k is not from this machine's suite"
done
kernels=$(tr -s ' \t' '\n' <<<"$kernels" | sort -uV | xargs)
# Debug kernels last: built from source, they get the longest head start
# (see the background build below).
debug_kernels=
plain_kernels=
for k in $kernels; do
	kernel_row "$k"
	if [ "$K_BUILD" = debug ]; then
		debug_kernels+=" $k"
	else
		plain_kernels+=" $k"
	fi
done
if [ -n "$demo" ]; then
	[ -n "$plain_kernels" ] || die "the demo needs a distribution kernel, not only$debug_kernels"
	kernels=${plain_kernels##* }	# the newest
	debug_kernels=
	timeout=${timeout:-600}
fi
kernels=$(echo $plain_kernels $debug_kernels)
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

# Install VMs: one for each selected kernel of this machine's suite (all
# of them with --install; beside the selftests in make check).
install_kernels=
if [ -n "$install" ] || { [ -z "$demo" ] && [ -z "$stress" ] && [ -z "$tests" ] &&
			 [ -z "$entry" ] && [ "${META_CHECK_INSTALL:-1}" != 0 ]; }; then
	for k in $kernels; do
		[[ " $host_kernels " != *" $k "* ]] || install_kernels+=" $k"
	done
fi

if [ -z "$install" ]; then
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
# The packages, built as `make deb` builds them (its build dependencies
# come from apt here, before any VM job runs).
[ -z "$install_kernels" ] || host_step deb make -C "$META_REPO" deb BUILD="$META_BUILD"

# --- per kernel ---------------------------------------------------------------

# A debug kernel not yet in the cache takes ~20 CPU-minutes to build. It
# builds in the background, niced, while the distribution kernels' VMs run;
# its own VMs come last and wait for it.
for k in $debug_kernels; do
	(
		renice -n 10 "$BASHPID" >/dev/null
		kernel_fetch "$k" > "$vmdir/debug-build-$k.log" 2>&1 ||
			echo "# $k: background build failed (log: $vmdir/debug-build-$k.log)"
	) </dev/null &
	echo "# $k: building in the background if not cached (log: $vmdir/debug-build-$k.log)"
done

# fail_check NAME DESC: a failed check of the harness itself.
fail_check()
{
	echo "not ok - vm/$1: $2"
	k_fail=$((k_fail + 1))
}

# prepare NAME: fetch the kernel, build meta.ko, make the initramfs, once per
# run and kernel however many VMs boot it (they wait for each other here).
# Sets KVER; the output goes to a log, its tail to stdout on failure.
prepare()
{
	local name=$1 log=$vmdir/prepare-$1.log t0=$SECONDS lockfd

	exec {lockfd}>"$vmdir/.prepare-$name.lock"
	flock "$lockfd"
	if [ -e "$vmdir/.prepared-$name" ]; then
		KVER=$(cat "$vmdir/.prepared-$name")
		flock -u "$lockfd"
		return 0
	fi
	rm -f "$vmdir/.kver-$name"
	echo "# $name: fetching the kernel, building meta.ko and the initramfs"
	# Explicit exits: set -e does not apply inside a subshell whose status
	# is tested, and a failed build must not ship a stale meta.ko.
	if ! (
		kernel_fetch "$name" || exit
		echo "$KVER" > "$vmdir/.kver-$name"
		build_module || exit
		"$META_VM_DIR/mkinitramfs.sh" --strict "$KVER" \
			"$vmdir/$KVER/initramfs.cpio.gz" || exit
	) > "$log" 2>&1; then
		KVER=$(cat "$vmdir/.kver-$name" 2>/dev/null || echo "$name")
		tail -n 40 "$log" | sed 's/^/# /'
		flock -u "$lockfd"
		return 1
	fi
	KVER=$(cat "$vmdir/.kver-$name")
	mv "$log" "$vmdir/$KVER/prepare.log"
	echo "$KVER" > "$vmdir/.prepared-$name"
	flock -u "$lockfd"
	echo "# $name: $KVER prepared in $((SECONDS - t0))s"
}

# install_disk NAME IMAGEDIR DIR: the install test's second disk,
# DIR/test.img: /init, the selftests and repo/, a local apt repository with
# the packages of `make deb`, what installing them into the image fetches,
# and the headers of the suite's other kernels (for the autoinstall check;
# their names in second-kernels). Runs in prepare_install's subshell.
install_disk()
{
	local name=$1 img=$2 dir=$3 disk=$3/disk k debs=() mb

	rm -rf "$dir"
	mkdir -p "$disk/repo"
	debs=("$META_BUILD"/deb/meta-{dkms,tools,cni,iproute2}_*.deb)
	"$META_VM_DIR/install-image.sh" --repo-debs "$img" "$disk/repo" "${debs[@]}" || return
	: > "$disk/second-kernels"
	for k in $host_kernels; do
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
	mb=$(du -sm "$disk" | cut -f1)
	mkfs.ext4 -q -F -L meta-test -d "$disk" "$dir/test.img" "$((mb * 5 / 4 + 16))M" >&2 || return
	rm -rf "$disk"
	echo "$img" > "$dir/image"
}

# prepare_install NAME: the Debian image of NAME (install-image.sh, cached)
# and the test disk, once per run; sets KVER and IMAGE (the image's
# directory), the output goes to a log, its tail to stdout on failure.
prepare_install()
{
	local name=$1 log=$vmdir/prepare-install-$1.log t0=$SECONDS

	echo "# $name: the Debian image and the local repository"
	rm -f "$vmdir/.kver-install-$name"
	if ! (
		img=$("$META_VM_DIR/install-image.sh" "$name") || exit
		KVER=$(cat "$img/kver")
		echo "$KVER" > "$vmdir/.kver-install-$name"
		install_disk "$name" "$img" "$vmdir/install-$KVER" || exit
	) > "$log" 2>&1; then
		KVER=$(cat "$vmdir/.kver-install-$name" 2>/dev/null || echo "$name")
		tail -n 40 "$log" | sed 's/^/# /'
		return 1
	fi
	KVER=$(cat "$vmdir/.kver-install-$name")
	IMAGE=$(cat "$vmdir/install-$KVER/image")
	mv "$log" "$vmdir/install-$KVER/prepare.log"
	echo "# $name: $KVER prepared in $((SECONDS - t0))s"
}

# boot NAME: boot $KVER with its initramfs, logs in $jdir; sets qrc
# (QEMU's exit status or timeout's 124) and boot_secs. $vm_* (job
# settings) choose the entry point, its arguments and the machine.
boot()
{
	local name=$1 dir=$jdir mode=test append qpid t0
	local kernel=${KIMAGE:-} initrd=$vmdir/$KVER/initramfs.cpio.gz disks=()

	[ -z "$demo" ] || mode=demo
	if [ "$vm_kind" = install ]; then
		# The image's own kernel and Debian's initrd; its root file
		# system in snapshot mode (the cached image stays as it is), the
		# test disk read-only.
		mode=install
		kernel=$IMAGE/vmlinuz
		initrd=$IMAGE/initrd.img
		# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
		disks=(-drive "file=$IMAGE/root.img,format=raw,if=virtio,snapshot=on"
		       -drive "file=$vmdir/install-$KVER/test.img,format=raw,if=virtio,readonly=on")
	fi
	mkdir -p "$dir"
	# panic=-1: a panic reboots at once, which -no-reboot turns into
	# QEMU's exit (the missing exit marker then fails the kernel) instead
	# of a wait for the timeout. No oops=panic and no panic_on_warn: an
	# oops kills only the task that hit it, so the remaining tests, the
	# kernel log and the marker still arrive, and the log check fails the
	# kernel. printk.devkmsg=on: tests may log to /dev/kmsg unthrottled.
	# no_timer_check: on a loaded host the emulated IO-APIC timer can miss
	# the kernel's early check, which then panics ("IO-APIC + timer
	# doesn't work!", seen with three VMs on two cores).
	append="console=ttyS0 quiet panic=-1 printk.devkmsg=on no_timer_check"
	[ "$vm_kind" != install ] || append+=" root=/dev/vda rw init=/usr/local/sbin/meta-vm-boot"
	append+=" metavm.mode=$mode metavm.timeout=$vm_guest_timeout"
	[ -z "$vm_entry" ] || append+=" metavm.entry=$vm_entry"
	[ -z "$vm_args" ] || append+=" metavm.args=$(tr -s ' \t' ',' <<<"$vm_args")"
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
	# META_VM_TCG=multi brings the parallel vCPUs back; the stress VM
	# needs them and keeps its static keys still (stress.sh).
	local accel=tcg,thread=$vm_tcg smp=$vm_smp icount=()
	if [ -n "${META_VM_ICOUNT:-}" ] && [ "$META_VM_ICOUNT" != 0 ]; then
		accel=tcg,thread=single
		smp=1
		# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
		icount=(-icount shift=1,sleep=off)
	fi
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	local qemu=(
		qemu-system-x86_64 -accel "$accel" "${icount[@]}" -cpu qemu64,-cx16
		-smp "$smp" -m "$vm_mem"
		-kernel "$kernel" -initrd "$initrd" "${disks[@]}"
		-append "$append"
		-nographic -nodefaults -no-reboot -nic none -monitor none
		-serial "file:$dir/console.log" -serial "file:$dir/results.log"
	)
	echo "# $name: booting $KVER$vm_what (timeout ${vm_timeout}s)"
	t0=$(date +%s%N)
	timeout -k 10 "$vm_timeout" "${qemu[@]}" </dev/null > "$dir/qemu.log" 2>&1 &
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

# bad_lines FILE: the lines of FILE that match a bad pattern, but for the
# harmless ones that happen to contain such a word.
bad_lines()
{
	local args=() p

	for p in "${bad_patterns[@]}"; do
		args+=(-e "$p")
	done
	grep -F "${args[@]}" "$1" |
		grep -vF 'kmemleak: Kernel memory leak detector initialized' || true
}

# console_tail FILE: the end of a console log, without the firmware's
# terminal escape sequences.
console_tail()
{
	tail -n 20 "$1" | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/^/# console: /'
}

# evaluate NAME: read the guest's report (in $jdir) and account for it.
evaluate()
{
	local name=$1 dir=$jdir res tap dmesg rc plan n bad line

	res=$dir/results.clean
	tr -d '\r' < "$dir/results.log" > "$res"
	# Everything before the kernel log is the entry point's output.
	tap=$(sed '/^### dmesg begin$/,$d; /^### meta-vm-exit /d' "$res")
	dmesg=$(sed -n '/^### dmesg begin$/,/^### dmesg end$/p' "$res")
	rc=$(sed -n 's/^### meta-vm-exit \([0-9]*\)$/\1/p' "$res" | tail -n 1)
	guest_rc=${rc:-1}

	[ -n "$demo" ] || printf '%s\n' "$tap"

	if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
		fail_check "$name" "VM finished within ${vm_timeout}s (killed; console: $dir/console.log)"
		console_tail "$dir/console.log"
	elif [ -z "$rc" ]; then
		fail_check "$name" "guest reported its exit status (QEMU status $qrc; console: $dir/console.log)"
		console_tail "$dir/console.log"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail_check "$name" "${vm_entry:-the guest entry point} finished within ${vm_guest_timeout}s (guest watchdog)"
	elif [ "$rc" -ne 0 ] && { [ -n "$demo" ] || ! grep -q '^not ok ' <<<"$tap"; }; then
		# A failed test already fails the kernel and explains the
		# status; only an unexplained one is a check of its own.
		fail_check "$name" "${vm_entry:-the guest entry point} exits 0 (exit status $rc)"
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
	# Debug kernels: kmemleak's report after the last test.
	if [ "$K_BUILD" = debug ] && [ -n "$rc" ] && ! grep -q '^### kmemleak begin$' "$res"; then
		fail_check "$name" "kmemleak ran after the tests (no report from the guest)"
	elif grep -q '^### kmemleak begin$' "$res"; then
		sed -n '/^### kmemleak begin$/,/^### kmemleak end$/p' "$res" | sed '1d;$d' \
			> "$dir/kmemleak.log"
		if [ -s "$dir/kmemleak.log" ]; then
			fail_check "$name" "kmemleak finds no leak after the tests ($dir/kmemleak.log)"
			head -n 40 "$dir/kmemleak.log" | sed 's/^/# kmemleak: /'
		else
			echo "# $name: kmemleak: no leak after the tests"
		fi
	fi

	[ -z "$demo" ] || return 0

	# kselftest TAP: top-level result lines only (subtests are indented).
	k_skip=$(grep -ciE '^ok [0-9]*.*#[[:space:]]*skip' <<<"$tap" || true)
	k_pass=$(($(grep -c '^ok ' <<<"$tap" || true) - k_skip))
	n=$(grep -c '^not ok ' <<<"$tap" || true)
	k_fail=$((k_fail + n))
	while read -r line; do
		[ -z "$line" ] || echo "$name: $line" >> "$jdir.skipped"
	done < <(grep -iE '^ok [0-9]*.*#[[:space:]]*skip' <<<"$tap" || true)

	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' <<<"$tap" | tail -n 1)
	if [ -n "$rc" ] && [ -z "$plan" ] && [ $((k_pass + k_skip + n)) -eq 0 ]; then
		fail_check "$name" "the guest ran tests (no TAP output)"
	elif [ -n "$plan" ] && [ "$plan" -ne $((k_pass + k_skip + n)) ]; then
		fail_check "$name" "TAP plan 1..$plan matches $((k_pass + k_skip + n)) results"
	fi
	# What shard_tests left out, once per debug kernel (not in the plan).
	if [ "$K_BUILD" = debug ] && [ "$kind" = suite ] && [ "${shard%/*}" = 1 ] &&
	   [ "$shard" != 1/1 ]; then
		for t in $META_DEBUG_SKIP; do
			line="ok - $t # SKIP not on the debug kernel (META_DEBUG_SKIP; README, Reliability)"
			echo "$line"
			echo "$name: $line" >> "$jdir.skipped"
			k_skip=$((k_skip + 1))
		done
	fi
}

# --- jobs: one VM each ---------------------------------------------------------

# Scripts a debug kernel's suite leaves out: they test the CNI plugin's
# userspace behaviour (bad input, 50 pods, podman, spec corners, Services
# rules), whose kernel paths 08, 11 and 17 already take there; they would
# double the debug kernel's share of make check. Reported as skipped.
META_DEBUG_SKIP=${META_DEBUG_SKIP-12-cni-badinput 13-cni-load 14-cni-podman 15-cni-spec 16-cni-services}

# The selftests a shard runs: every SHARDS-th script from the INDEX-th, in
# order, so that shards get a similar mix; on a debug kernel without
# META_DEBUG_SKIP's.
shard_tests()
{
	local index=$1 shards=$2 i=0 t

	for t in "$META_REPO"/selftests/meta/[0-9]*.sh; do
		t=$(basename "$t" .sh)
		[ "$K_BUILD" != debug ] || [[ " $META_DEBUG_SKIP " != *" $t "* ]] || continue
		[ $((i % shards)) -eq $((index - 1)) ] && echo "$t"
		i=$((i + 1))
	done | xargs
}

# Job lines: "NAME KIND SHARD/SHARDS", KIND suite, stress or install.
# Install VMs come before the debug kernel's, which wait for its build.
job_list()
{
	local k shards i

	for k in $kernels; do
		kernel_row "$k"
		if [ -n "$stress" ]; then
			echo "$k stress 1/1"
			continue
		fi
		[ -z "$install" ] || continue
		if [ "$K_BUILD" = debug ]; then
			for i in $install_kernels; do
				echo "$i install 1/1"
			done
			install_kernels=
		fi
		shards=1
		if [ "$K_BUILD" = debug ] && [ -z "$tests" ] && [ -z "$entry" ]; then
			shards=${META_DEBUG_SHARDS:-2}
		fi
		for ((i = 1; i <= shards; i++)); do
			echo "$k suite $i/$shards"
		done
		if [ "$K_BUILD" = debug ] && [ -z "$tests" ] && [ -z "$entry" ] &&
		   [ "${META_CHECK_STRESS:-1}" != 0 ]; then
			echo "$k stress 1/1"
		fi
	done
	for i in $install_kernels; do
		echo "$i install 1/1"
	done
}

# run_job NAME KIND SHARD: prepare, boot and evaluate one VM. Output on
# stdout; the counts go to $jdir.counts ("pass fail skip").
run_job()
{
	local name=$1 kind=$2 shard=$3

	k_pass=0
	k_fail=0
	k_skip=0
	kernel_row "$name"
	vm_timeout=$timeout
	vm_guest_timeout=$guest_timeout
	vm_mem=${META_VM_MEM:-2048}
	vm_smp=${META_VM_SMP:-2}
	vm_tcg=${META_VM_TCG:-single}
	vm_entry=$entry
	vm_args=$tests
	vm_what=
	vm_kind=$kind
	# Debug kernels (KASAN, lockdep, kmemleak) run ~5 times slower and
	# need room for KASAN's shadow and kmemleak's metadata.
	if [ "$K_BUILD" = debug ]; then
		vm_timeout=$((timeout * 3))
		vm_guest_timeout=$((guest_timeout * 3))
		vm_mem=${META_VM_MEM:-3072}
	fi
	if [ "$kind" = stress ]; then
		vm_smp=4
		vm_tcg=multi
		vm_entry=/meta/selftests/meta/stress.sh
		vm_args=${STRESS_SECONDS:-$([ -n "$stress" ] && echo 600 || echo 60)}
		vm_timeout=$((vm_args * 4 + 900))
		vm_guest_timeout=$((vm_args * 4 + 600))
		vm_what=" for ${vm_args}s of SMP stress (4 vCPUs)"
	elif [ "$kind" = install ]; then
		vm_entry=/srv/meta-test/selftests/install/guest.sh
		vm_args=
		vm_what=", install test"
	elif [ "$shard" != 1/1 ]; then
		vm_args=$(shard_tests "${shard%/*}" "${shard#*/}")
		vm_what=", shard $shard: $vm_args"
	fi
	echo "#"
	if [ "$kind" = install ]; then
		if ! prepare_install "$name"; then
			echo "# kernel $KVER"
			fail_check "$name" "prepare the install test (log: $vmdir/prepare-install-$name.log)"
			guest_rc=1
		else
			jdir=$vmdir/install-$KVER/vm
			boot "$name"
			echo "# kernel $KVER$vm_what"
			evaluate "$name"
			echo "# $name: VM ran ${boot_secs}s (boot to result)"
		fi
	elif ! prepare "$name"; then
		echo "# kernel $KVER"
		fail_check "$name" "prepare $KVER (log: $vmdir/prepare-$name.log)"
		guest_rc=1
	else
		kernel_cached "$KVER"
		jdir=$vmdir/$KVER/$kind-${shard/\//-of-}
		boot "$name"
		echo "# kernel $KVER$vm_what"
		evaluate "$name"
		echo "# $name: VM ran ${boot_secs}s (boot to result)"
	fi
	echo "$k_pass $k_fail $k_skip" > "$jcounts"
}

if [ -n "$demo" ]; then
	jcounts=/dev/null
	run_job "$kernels" suite 1/1
	demo_rc=$guest_rc
	[ "$k_fail" -eq 0 ] || [ "$demo_rc" -ne 0 ] || demo_rc=1
	echo "# demo on $KVER: exit status $demo_rc (logs: $jdir/)"
	exit "$demo_rc"
fi

rm -f "$vmdir"/.prepared-* "$vmdir"/jobs/*
mkdir -p "$vmdir/jobs"
mapfile -t job_lines < <(job_list)
echo "# ${#job_lines[@]} VMs, $jobs at a time"

# Jobs run in the background, at most $jobs at once; their output is
# printed in job order as soon as a job and all before it are done.
printed=0
print_done()
{
	while [ "$printed" -lt ${#job_lines[@]} ] && [ -e "$vmdir/jobs/$printed.counts" ]; do
		cat "$vmdir/jobs/$printed.out"
		printed=$((printed + 1))
	done
}
# Only job PIDs are waited for: a background debug build is a child too.
declare -A running=()
reap()
{
	local pid

	wait -n -p pid "${!running[@]}" || true
	[ -z "${pid:-}" ] || unset "running[$pid]"
	print_done
}
for i in "${!job_lines[@]}"; do
	while [ "${#running[@]}" -ge "$jobs" ]; do
		reap
	done
	read -r j_name j_kind j_shard <<<"${job_lines[i]}"
	(
		jcounts=$vmdir/jobs/$i.counts.new
		jdir=
		run_job "$j_name" "$j_kind" "$j_shard" > "$vmdir/jobs/$i.out" 2>&1
		[ -z "$jdir" ] || ! [ -e "$jdir.skipped" ] || mv "$jdir.skipped" "$vmdir/jobs/$i.skipped"
		mv "$jcounts" "$vmdir/jobs/$i.counts"
	) </dev/null &
	running[$!]=1
done
while [ "${#running[@]}" -gt 0 ]; do
	reap
done
wait || true	# the background debug builds
print_done

# Totals per kernel (its install VM apart), then overall.
declare -A kp kf ks
keys=()
for i in "${!job_lines[@]}"; do
	read -r j_name j_kind _ <<<"${job_lines[i]}"
	[ "$j_kind" != install ] || j_name+=" install"
	[ -n "${kp[$j_name]+set}" ] || keys+=("$j_name")
	if [ -e "$vmdir/jobs/$i.counts" ]; then
		read -r p f s < "$vmdir/jobs/$i.counts"
	else
		echo "not ok - vm/$j_name: job $i (${job_lines[i]}) reported its results"
		p=0 f=1 s=0
	fi
	kp[$j_name]=$((${kp[$j_name]:-0} + p))
	kf[$j_name]=$((${kf[$j_name]:-0} + f))
	ks[$j_name]=$((${ks[$j_name]:-0} + s))
	[ ! -e "$vmdir/jobs/$i.skipped" ] || mapfile -t -O "${#skipped[@]}" skipped < "$vmdir/jobs/$i.skipped"
done
echo "#"
for k in "${keys[@]}"; do
	echo "# $k: ${kp[$k]} passed, ${kf[$k]} failed, ${ks[$k]} skipped"
	total_pass=$((total_pass + kp[$k]))
	total_fail=$((total_fail + kf[$k]))
	total_skip=$((total_skip + ks[$k]))
done
if [ ${#skipped[@]} -gt 0 ]; then
	echo "# skipped:"
	printf '#   %s\n' "${skipped[@]}"
fi
echo "# total time $((SECONDS - t_run))s"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]

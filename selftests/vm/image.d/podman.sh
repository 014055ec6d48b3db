# SPDX-License-Identifier: GPL-2.0
#
# Sourced by selftests/vm/mkinitramfs.sh (copy_file, copy_binary, $root):
# podman (Debian's 4.3, CNI network backend) with crun and conmon, so that
# selftests/meta/14-cni-podman.sh can run a container on a meta network
# the way a real runtime does. Configuration for a guest without systemd:
# cgroupfs, file events, vfs storage on the image's own (tmpfs) root, no
# pivot_root (the initramfs root cannot be pivoted away from). The container
# image is a directory (podman run --rootfs): /meta/rootfs, static busybox.
# Nothing happens when the host has no podman, or with META_VM_PODMAN=0
# (images that need no runtime, e.g. the benchmarks': podman adds ~18 MB to
# the compressed image); the test then skips.

# shellcheck shell=bash
# shellcheck disable=SC2154 # $root comes from mkinitramfs.sh

podman_image_part()
{
	local b a

	if [ "${META_VM_PODMAN:-1}" = 0 ]; then
		log "note: META_VM_PODMAN=0, the image has no podman"
		return 0
	fi
	for b in /usr/bin/podman /usr/bin/crun /usr/bin/conmon; do
		if [ ! -x "$b" ]; then
			log "note: no $b on the host, the image has no podman"
			return 0
		fi
	done
	copy_binary /usr/bin/podman
	copy_binary /usr/bin/crun
	copy_binary /usr/bin/conmon
	# crun's default seccomp profile comes from podman; the file is
	# optional (podman has a built-in copy) but keeps the guest's
	# containers as confined as the host's.
	[ ! -r /usr/share/containers/seccomp.json ] ||
		copy_file /usr/share/containers/seccomp.json

	mkdir -p "$root/etc/containers" "$root/etc/cni/net.d" "$root/var/tmp" \
		"$root/var/lib/containers" "$root/var/lib/cni"
	chmod 1777 "$root/var/tmp"
	cat > "$root/etc/containers/containers.conf" <<'EOT'
# selftests/vm/image.d/podman.sh: podman in the meta test VM (no systemd)
[containers]
log_driver = "k8s-file"

[network]
network_backend = "cni"
cni_plugin_dirs = ["/opt/cni/bin"]
network_config_dir = "/etc/cni/net.d"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
conmon_path = ["/usr/bin/conmon"]
# The initramfs root is rootfs, which pivot_root(2) refuses to leave.
no_pivot_root = true
tmp_dir = "/run/libpod"
EOT
	cat > "$root/etc/containers/storage.conf" <<'EOT'
# selftests/vm/image.d/podman.sh: the guest's root is tmpfs; vfs needs no
# overlay module and no d_type support.
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOT
	cat > "$root/etc/containers/registries.conf" <<'EOT'
# selftests/vm/image.d/podman.sh: the guest pulls nothing.
unqualified-search-registries = []
EOT
	cat > "$root/etc/containers/policy.json" <<'EOT'
{ "default": [{ "type": "insecureAcceptAnything" }] }
EOT
	# podman copies the host's resolv.conf into every container.
	[ -e "$root/etc/resolv.conf" ] || : > "$root/etc/resolv.conf"

	# The container's root: static busybox and its applets, a page for
	# httpd to serve.
	a=$root/meta/rootfs
	mkdir -p "$a"/{bin,etc,proc,sys,dev,tmp,run,root,www}
	# The image's own static busybox, hard-linked: cpio stores it once.
	if [ -f "$root/usr/bin/busybox" ]; then
		ln "$root/usr/bin/busybox" "$a/bin/busybox"
	else
		cp -L /bin/busybox "$a/bin/busybox"
	fi
	for b in $(/bin/busybox --list); do
		[ "$b" = busybox ] || ln -s busybox "$a/bin/$b"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		> "$a/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$a/etc/group"
	echo "meta-podman-ok" > "$a/www/index.html"
}

podman_image_part
unset -f podman_image_part

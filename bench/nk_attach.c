// SPDX-License-Identifier: GPL-2.0
/*
 * nk_attach: attach a tc (SCHED_CLS) program to a netkit device through a
 * bpf_link (BPF_NETKIT_PRIMARY / BPF_NETKIT_PEER), for the benchmark's
 * "netkit + BPF host routing" scenario. Debian 12's libbpf 1.1 and bpftool
 * predate netkit, so this passes the attach type by number; libbpf's
 * generic bpf_link_create() hands it to the kernel unchanged. The link is
 * pinned so it outlives this process.
 *
 *   nk_attach NETNS DEV primary|peer OBJ PINDIR LINKPIN
 *
 * Maps are pinned by name in PINDIR, as metactl does (so `metactl -p PINDIR`
 * fills the same maps).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define NK_BPF_NETKIT_PRIMARY 54
#define NK_BPF_NETKIT_PEER 55

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	char path[512];
	int fd, ifindex, link, type;

	if (argc != 7) {
		fprintf(stderr, "usage: nk_attach NETNS DEV primary|peer OBJ PINDIR LINKPIN\n");
		return 2;
	}
	type = !strcmp(argv[3], "primary") ? NK_BPF_NETKIT_PRIMARY : NK_BPF_NETKIT_PEER;
	snprintf(path, sizeof(path), "/run/netns/%s", argv[1]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror(path);
		return 4;
	}
	close(fd);
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		perror(argv[2]);
		return 1;
	}
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = argv[5]);
	obj = bpf_object__open_file(argv[4], &oo);
	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "%s: cannot open\n", argv[4]);
		return 3;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: cannot load\n", argv[4]);
		return 3;
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		return 3;
	link = bpf_link_create(bpf_program__fd(prog), ifindex, type, NULL);
	if (link < 0) {
		fprintf(stderr, "bpf_link_create(%s, %s): %s\n", argv[2], argv[3],
			strerror(errno));
		return 1;
	}
	if (bpf_obj_pin(link, argv[6])) {
		fprintf(stderr, "pin %s: %s\n", argv[6], strerror(errno));
		return 1;
	}
	printf("%d\n", link);
	return 0;
}

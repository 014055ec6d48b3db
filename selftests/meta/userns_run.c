// SPDX-License-Identifier: GPL-2.0
/*
 * userns_run: run a command as root of a user namespace, the way a pod's
 * root runs under Kubernetes user namespaces: all capabilities inside, none
 * on the host.
 *
 *   userns_run [--uid UID] -- CMD [ARG...]
 *	Become UID (default 65534) with no capabilities, then create a user
 *	namespace in which UID is root (uid/gid map "0 UID 1") and a network
 *	namespace it owns, and run CMD there.
 *   userns_run --join PID -- CMD [ARG...]
 *	Run CMD as root of PID's user namespace, in PID's network namespace
 *	(PID is usually a `userns_run -- sleep` holding a pod's namespaces).
 *
 * The selftests use it to show what root inside a pod cannot do to the host
 * through meta.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static const char usage[] =
"usage: userns_run [--uid UID] -- CMD [ARG...]\n"
"       userns_run --join PID -- CMD [ARG...]\n"
"\n"
"Run CMD as root of a user namespace with no capabilities on the host:\n"
"either a new one (with a new network namespace) whose root is host UID\n"
"(default 65534), or the user and network namespaces of process PID.\n"
"Exit status: CMD's; 125 when the namespaces cannot be set up.\n";

static void die(const char *what)
{
	fprintf(stderr, "userns_run: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

static void new_namespaces(unsigned long uid)
{
	char map[64];

	/* Drop every host privilege first: from here on we are nobody. */
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
		die("dropping to the unprivileged user");
	/* A uid change makes /proc/self root's; the maps must be ours. */
	if (prctl(PR_SET_DUMPABLE, 1))
		die("prctl(PR_SET_DUMPABLE)");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		die("unshare(CLONE_NEWUSER | CLONE_NEWNET)");
	snprintf(map, sizeof(map), "0 %lu 1\n", uid);
	write_file("/proc/self/uid_map", map);
	write_file("/proc/self/setgroups", "deny\n");
	write_file("/proc/self/gid_map", map);
}

static void join_namespaces(const char *pid)
{
	char path[64];
	int userfd, netfd;

	snprintf(path, sizeof(path), "/proc/%s/ns/user", pid);
	userfd = open(path, O_RDONLY);
	if (userfd < 0)
		die(path);
	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	netfd = open(path, O_RDONLY);
	if (netfd < 0)
		die(path);
	/* Entering the user namespace trades host capabilities for its. */
	if (setns(userfd, CLONE_NEWUSER))
		die("setns(user)");
	if (setns(netfd, CLONE_NEWNET))
		die("setns(net)");
	close(userfd);
	close(netfd);
	/* Fails where the namespace denies setgroups: nothing to drop then. */
	setgroups(0, NULL);
	if (setgid(0) || setuid(0))
		die("becoming root of the user namespace");
}

int main(int argc, char **argv)
{
	unsigned long uid = 65534;
	const char *join = NULL;
	char *end;
	int i = 1;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--uid") && i + 1 < argc) {
			errno = 0;
			uid = strtoul(argv[++i], &end, 10);
			if (errno || *end || !uid) {
				fputs("userns_run: --uid wants a non-zero uid\n", stderr);
				return 125;
			}
		} else if (!strcmp(argv[i], "--join") && i + 1 < argc) {
			join = argv[++i];
		} else {
			fputs(usage, !strcmp(argv[i], "-h") ||
			      !strcmp(argv[i], "--help") ? stdout : stderr);
			return strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? 125 : 0;
		}
	}
	if (i + 1 >= argc) {
		fputs(usage, stderr);
		return 125;
	}
	if (join)
		join_namespaces(join);
	else
		new_namespaces(uid);
	execvp(argv[i + 1], argv + i + 1);
	die(argv[i + 1]);
	return 125;
}

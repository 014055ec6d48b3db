// SPDX-License-Identifier: GPL-2.0
/*
 * tcp_xfer: move a file over one TCP connection, for the selftests.
 *
 *   tcp_xfer recv PORT FILE      accept one connection, write what arrives
 *   tcp_xfer send ADDR PORT FILE connect (retrying for a while), send FILE
 *
 * busybox and netcat flavours differ in how they end a transfer; this tool
 * does exactly one thing, gives up after a timeout instead of hanging, and
 * says what went wrong.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TIMEOUT_S	20

static const char usage[] =
"usage: tcp_xfer recv PORT FILE\n"
"       tcp_xfer send ADDR PORT FILE\n"
"Move FILE over one TCP connection (IPv4 or IPv6). Gives up after "
"20 s of silence.\n";

static void die(const char *what)
{
	fprintf(stderr, "tcp_xfer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void copy(int from, int to)
{
	char buf[65536];
	ssize_t n, w, off;

	while ((n = read(from, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += w) {
			w = write(to, buf + off, n - off);
			if (w < 0)
				die("write");
		}
	}
	if (n < 0)
		die("read");
}

static int do_recv(const char *port, const char *file)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	int one = 1, ls, fd, out;

	sa.sin6_port = htons(atoi(port));
	ls = socket(AF_INET6, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_timeouts(ls);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
		die("bind/listen");
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept");
	set_timeouts(fd);
	out = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die(file);
	copy(fd, out);
	close(out);
	close(fd);
	close(ls);
	return 0;
}

static int do_send(const char *addr, const char *port, const char *file)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int fd = -1, in, tries, err;

	err = getaddrinfo(addr, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "tcp_xfer: %s: %s\n", addr, gai_strerror(err));
		return 1;
	}
	/* The receiver may still be starting: retry for a few seconds. */
	for (tries = 0; tries < 50; tries++) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		set_timeouts(fd);
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	freeaddrinfo(ai);
	if (fd < 0)
		die("connect");
	in = open(file, O_RDONLY);
	if (in < 0)
		die(file);
	copy(in, fd);
	close(in);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], argv[4]);
	fputs(usage, argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
	return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
}

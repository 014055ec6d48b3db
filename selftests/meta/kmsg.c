// SPDX-License-Identifier: GPL-2.0
/*
 * kmsg: read the kernel log by record sequence number, for the selftests.
 *
 *   kmsg next        print the sequence number the next record will get
 *   kmsg since SEQ   print every record numbered SEQ or later, one line
 *                    each: "SEQ TEXT"
 *
 * Each /dev/kmsg record carries its sequence number, so a window of the log
 * stays exact however many lines come and go (dmesg's line count does not
 * once the ring buffer wraps). Exit 3 when records of the window were
 * overwritten before they could be read: nobody can say what they held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
"usage: kmsg next | kmsg since SEQ\n"
"next: print the sequence number the kernel's next log record will get.\n"
"since SEQ: print the records numbered SEQ or later as \"SEQ TEXT\";\n"
"exit 3 if some of them were lost (overwritten) before they were read.\n";

int main(int argc, char **argv)
{
	unsigned long long from = 0, seq, expect = 0;
	bool since, first = true, lost = false;
	char rec[16384], *text, *end, *nl;
	ssize_t n;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "next")) {
		since = false;
	} else if (argc == 3 && !strcmp(argv[1], "since")) {
		since = true;
		errno = 0;
		from = strtoull(argv[2], &end, 10);
		if (errno || end == argv[2] || *end) {
			fprintf(stderr, "kmsg: '%s' is not a sequence number\n", argv[2]);
			return 2;
		}
	} else {
		fputs(usage, stderr);
		return 2;
	}

	/* A fresh reader starts at the oldest record still in the buffer. */
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("kmsg: /dev/kmsg");
		return 2;
	}
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		/* EPIPE: overwritten under us; the gap shows in the numbers. */
		if (n < 0 && errno == EPIPE)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			perror("kmsg: read");
			return 2;
		}
		rec[n] = '\0';
		/* "PRIO,SEQ,USEC,FLAGS[,...];TEXT\n[ KEY=VALUE\n...]" */
		text = strchr(rec, ';');
		if (!text || sscanf(rec, "%*u,%llu,", &seq) != 1) {
			fprintf(stderr, "kmsg: malformed record: %s\n", rec);
			return 2;
		}
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		/*
		 * Records missing before this one (all before the first one we
		 * get, or a gap) belong to the window if this one is past SEQ.
		 */
		if (seq > from && (first || seq > expect))
			lost = true;
		first = false;
		expect = seq + 1;
		if (since && seq >= from)
			printf("%llu %s\n", seq, text);
	}
	close(fd);
	if (!since) {
		printf("%llu\n", expect);
		return 0;
	}
	if (lost) {
		fprintf(stderr, "kmsg: records numbered %llu or later were overwritten before they were read\n",
			from);
		return 3;
	}
	return 0;
}

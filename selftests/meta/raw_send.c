// SPDX-License-Identifier: GPL-2.0
/*
 * raw_send: hand Ethernet frames straight to a device's ndo_start_xmit.
 *
 *   raw_send IFNAME COUNT
 *
 * With PACKET_QDISC_BYPASS the frames skip the qdisc layer, which drops
 * everything itself while a device has no carrier. The selftests use this
 * to exercise the driver's own drop paths (peer down, policy) and to count
 * exactly what the driver did with COUNT frames.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* IEEE 802 local experimental ethertype: no stack will act on it. */
#define RAW_ETHERTYPE	0x88b5

int main(int argc, char **argv)
{
	unsigned char frame[ETH_ZLEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
					  RAW_ETHERTYPE >> 8, RAW_ETHERTYPE & 0xff };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, one = 1, i, count, sent = 0, refused = 0;

	if (argc != 3 || (count = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: raw_send IFNAME COUNT\n"
			"Send COUNT Ethernet frames on IFNAME, bypassing the qdisc.\n");
		return 2;
	}
	sll.sll_ifindex = if_nametoindex(argv[1]);
	if (!sll.sll_ifindex) {
		perror(argv[1]);
		return 2;
	}
	sll.sll_protocol = htons(RAW_ETHERTYPE);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("raw_send: packet socket");
		return 2;
	}
	for (i = 0; i < count; i++) {
		if (send(fd, frame, sizeof(frame), 0) == sizeof(frame))
			sent++;
		else
			refused++;
	}
	close(fd);
	/* A driver drop may surface as ENOBUFS: both are normal outcomes. */
	printf("accepted %d, refused %d\n", sent, refused);
	return 0;
}

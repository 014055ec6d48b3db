// SPDX-License-Identifier: GPL-2.0
/*
 * raw_send: hand Ethernet frames straight to a device's ndo_start_xmit.
 *
 *   raw_send IFNAME COUNT [LEN]
 *
 * With PACKET_QDISC_BYPASS the frames skip the qdisc layer, which drops
 * everything itself while a device has no carrier. The selftests use this
 * to exercise the driver's own drop paths (peer down, policy) and to count
 * exactly what the driver did with COUNT frames of LEN bytes (default and
 * minimum ETH_ZLEN, 60; the header included).
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

#define RAW_MAX_LEN	65535

/* IEEE 802 local experimental ethertype: no stack will act on it. */
#define RAW_ETHERTYPE	0x88b5

int main(int argc, char **argv)
{
	static unsigned char frame[RAW_MAX_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		RAW_ETHERTYPE >> 8, RAW_ETHERTYPE & 0xff };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, one = 1, i, count = 0, len = ETH_ZLEN, sent = 0, refused = 0;

	if (argc >= 3)
		count = atoi(argv[2]);
	if (argc == 4)
		len = atoi(argv[3]);
	if (argc < 3 || argc > 4 || count <= 0 || len < ETH_ZLEN || len > RAW_MAX_LEN) {
		fprintf(stderr, "usage: raw_send IFNAME COUNT [LEN]\n"
			"Send COUNT Ethernet frames of LEN bytes (60..65535, default 60)\n"
			"on IFNAME, bypassing the qdisc.\n");
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
		if (send(fd, frame, len, 0) == len)
			sent++;
		else
			refused++;
	}
	close(fd);
	/* A driver drop may surface as ENOBUFS: both are normal outcomes. */
	printf("accepted %d, refused %d\n", sent, refused);
	return 0;
}

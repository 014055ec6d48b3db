// SPDX-License-Identifier: GPL-2.0
/*
 * linkattr: read and set a device's GSO/GRO size limits over rtnetlink.
 *
 *   linkattr get DEV NAME            print the value (exit 3: the kernel
 *                                    does not report NAME)
 *   linkattr set DEV NAME VALUE...   one RTM_NEWLINK with every NAME VALUE
 *
 * NAME is gso_max_size, gro_max_size, gso_ipv4_max_size or
 * gro_ipv4_max_size. Debian 12's iproute2 (6.1) knows the first two only;
 * the IPv4 limits of BIG TCP (kernel 6.3+) need iproute2 6.3, so the BIG
 * TCP test sets and reads all four with this instead.
 *
 * Output of set: "ok", or "error ERRNO STRERROR: EXTACK-MESSAGE" and exit 1.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Newer than Debian 12's linux-libc-dev (6.1) for the IPv4 ones. */
#define LA_GSO_MAX_SIZE		41	/* IFLA_GSO_MAX_SIZE */
#define LA_GRO_MAX_SIZE		58	/* IFLA_GRO_MAX_SIZE (5.19) */
#define LA_GSO_IPV4_MAX_SIZE	63	/* IFLA_GSO_IPV4_MAX_SIZE (6.3) */
#define LA_GRO_IPV4_MAX_SIZE	64	/* IFLA_GRO_IPV4_MAX_SIZE (6.3) */

static const struct {
	const char *name;
	int type;
} attrs[] = {
	{ "gso_max_size", LA_GSO_MAX_SIZE },
	{ "gro_max_size", LA_GRO_MAX_SIZE },
	{ "gso_ipv4_max_size", LA_GSO_IPV4_MAX_SIZE },
	{ "gro_ipv4_max_size", LA_GRO_IPV4_MAX_SIZE },
};

static const char usage[] =
"usage: linkattr get DEV NAME\n"
"       linkattr set DEV NAME VALUE [NAME VALUE]...\n"
"NAME: gso_max_size gro_max_size gso_ipv4_max_size gro_ipv4_max_size\n";

static int attr_type(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (!strcmp(attrs[i].name, name))
			return attrs[i].type;
	fprintf(stderr, "linkattr: unknown attribute %s\n%s", name, usage);
	exit(2);
}

struct get_ctx {
	int type;
	int found;
	unsigned int value;
};

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct get_ctx *c = data;

	if (mnl_attr_get_type(attr) == c->type &&
	    mnl_attr_get_payload_len(attr) == sizeof(unsigned int)) {
		c->found = 1;
		c->value = mnl_attr_get_u32(attr);
	}
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr_cb, data);
	return MNL_CB_OK;
}

static int extack_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		*(const char **)data = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const char *msg = "";
	struct mnl_socket *nl;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct get_ctx c = { 0 };
	unsigned int seq = time(NULL), portid, ifindex;
	int set, i, one = 1, len, err = 0;

	if (argc < 4 || (strcmp(argv[1], "get") && strcmp(argv[1], "set"))) {
		fputs(usage, stderr);
		return 2;
	}
	set = !strcmp(argv[1], "set");
	if ((set && (argc - 3) % 2) || (!set && argc != 4)) {
		fputs(usage, stderr);
		return 2;
	}
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		fprintf(stderr, "linkattr: no device %s\n", argv[2]);
		return 2;
	}

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = set ? RTM_NEWLINK : RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (set) {
		for (i = 3; i < argc; i += 2) {
			char *end;
			unsigned long v = strtoul(argv[i + 1], &end, 0);

			if (*end || !*argv[i + 1] || v > 0xffffffffUL) {
				fprintf(stderr, "linkattr: bad value %s\n", argv[i + 1]);
				return 2;
			}
			mnl_attr_put_u32(nlh, attr_type(argv[i]), v);
		}
	} else {
		c.type = attr_type(argv[3]);
	}

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("linkattr: netlink");
		return 2;
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("linkattr: send");
		return 2;
	}
	for (;;) {
		struct nlmsghdr *m;

		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0) {
			perror("linkattr: receive");
			return 2;
		}
		m = (struct nlmsghdr *)buf;
		if (mnl_nlmsg_ok(m, len) && m->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

			err = -e->error;
			if (err && (m->nlmsg_flags & NLM_F_ACK_TLVS))
				mnl_attr_parse(m, sizeof(*e) + (m->nlmsg_flags &
					       NLM_F_CAPPED ? 0 : e->msg.nlmsg_len -
					       sizeof(e->msg)), extack_cb, &msg);
			break;
		}
		if (mnl_cb_run(buf, len, seq, portid, link_cb, &c) <= MNL_CB_STOP)
			break;
	}
	mnl_socket_close(nl);
	if (err) {
		printf("error %d %s: %s\n", err, strerror(err), msg);
		return 1;
	}
	if (set) {
		puts("ok");
		return 0;
	}
	if (!c.found)
		return 3;
	printf("%u\n", c.value);
	return 0;
}

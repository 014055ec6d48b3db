// SPDX-License-Identifier: GPL-2.0
/*
 * test_progs: every program of bpf/progs, loaded with libmeta's loader and
 * run on crafted packets through BPF_PROG_TEST_RUN, on the host kernel.
 *
 * No meta device is needed: this checks the programs' own logic (verdicts,
 * parsing, map look-ups, TTL handling, the FIB look-up of host_routing);
 * test_run returns a redirect helper's verdict without performing it. The
 * test runs in private mount and network namespaces: a bpf filesystem of
 * its own for the pinned maps, and veth devices and routes of its own for
 * host_routing. Needs root and a kernel that allows BPF; skips otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "check.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#include "libmeta.h"

#ifndef META_BPF_OUT
#define META_BPF_OUT "build/bpf"
#endif

static char bpffs_dir[] = "/tmp/meta-bpf-test-XXXXXX";
static char pin_dir[128];
static const char *obj_dir = META_BPF_OUT;

/* ---- packets ------------------------------------------------------------- */

struct pkt {
	unsigned char data[256];
	unsigned int len;
};

static __u16 csum(const void *p, size_t len)
{
	const __u16 *w = p;
	__u32 sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static void eth(struct pkt *p, __u16 proto)
{
	static const unsigned char dst[6] = { 2, 0, 0, 0, 0, 0xaa };
	static const unsigned char src[6] = { 2, 0, 0, 0, 0, 0xbb };
	struct ethhdr *e = (struct ethhdr *)p->data;

	memset(p, 0, sizeof(*p));
	memcpy(e->h_dest, dst, 6);
	memcpy(e->h_source, src, 6);
	e->h_proto = htons(proto);
	p->len = sizeof(*e) + 64;	/* room for headers and some payload */
}

static struct iphdr *ip4_hdr(struct pkt *p)
{
	return (struct iphdr *)(p->data + ETH_HLEN);
}

static struct ipv6hdr *ip6_hdr(struct pkt *p)
{
	return (struct ipv6hdr *)(p->data + ETH_HLEN);
}

/* IPv4 SRC -> DST, PROTO (TCP/UDP get destination port DPORT). */
static void ip4(struct pkt *p, const char *src, const char *dst, __u8 proto,
		__u8 ttl, __u16 dport, __u16 frag_off)
{
	struct iphdr *ip;
	struct udphdr *l4;

	eth(p, ETH_P_IP);
	ip = ip4_hdr(p);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(p->len - ETH_HLEN);
	ip->ttl = ttl;
	ip->protocol = proto;
	ip->frag_off = htons(frag_off);
	inet_pton(AF_INET, src, &ip->saddr);
	inet_pton(AF_INET, dst, &ip->daddr);
	ip->check = csum(ip, sizeof(*ip));
	l4 = (struct udphdr *)(ip + 1);
	l4->source = htons(40000);
	l4->dest = htons(dport);
}

/* IPv6, optionally with one extension header EXT (0: none) before PROTO. */
static void ip6(struct pkt *p, const char *src, const char *dst, __u8 proto,
		__u8 hops, __u16 dport, int ext, __u16 frag_off)
{
	struct ipv6hdr *ip;
	unsigned char *l4;

	eth(p, ETH_P_IPV6);
	ip = ip6_hdr(p);
	ip->version = 6;
	ip->payload_len = htons(p->len - ETH_HLEN - sizeof(*ip));
	ip->hop_limit = hops;
	inet_pton(AF_INET6, src, &ip->saddr);
	inet_pton(AF_INET6, dst, &ip->daddr);
	l4 = (unsigned char *)(ip + 1);
	if (ext >= 0 && ext != IPPROTO_TCP && ext != IPPROTO_UDP &&
	    ext != IPPROTO_ICMPV6) {
		ip->nexthdr = ext;
		l4[0] = proto;		/* next header */
		l4[1] = 0;		/* 8 bytes */
		if (ext == IPPROTO_FRAGMENT)
			*(__u16 *)&l4[2] = htons(frag_off);
		l4 += 8;
	} else {
		ip->nexthdr = proto;
	}
	((struct udphdr *)l4)->dest = htons(dport);
}

/* ---- running ------------------------------------------------------------- */

struct run {
	int ret;		/* the verdict */
	struct pkt out;		/* the packet afterwards */
	struct __sk_buff ctx;	/* skb fields afterwards */
};

static int run_prog(int fd, const struct pkt *p, const struct __sk_buff *ctx,
		    struct run *r)
{
	struct __sk_buff in = {};
	LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = p->data, .data_size_in = p->len,
		    .data_out = r->out.data,
		    .data_size_out = sizeof(r->out.data),
		    .ctx_in = &in, .ctx_size_in = sizeof(in),
		    .ctx_out = &r->ctx, .ctx_size_out = sizeof(r->ctx),
		    .repeat = 1);
	int err;

	if (ctx)
		in = *ctx;
	memset(r, 0, sizeof(*r));
	err = bpf_prog_test_run_opts(fd, &o);
	if (err) {
		printf("# test_run: %s\n", strerror(errno));
		r->ret = -1000;
		return err;
	}
	r->ret = (int)o.retval;
	r->out.len = o.data_size_out;
	return 0;
}

struct prog {
	const char *name;
	struct meta_bpf *obj;
	int fd;
};

#define PROG(n)	{ .name = n }

static struct prog progs[] = {
	PROG("pass"), PROG("drop"), PROG("next"), PROG("bad_verdict"),
	PROG("redirect_noop"), PROG("port_policy"), PROG("redirect_egress"),
	PROG("redirect_ingress"), PROG("redirect_peer"),
	PROG("redirect_neigh_nonh"), PROG("host_routing"), PROG("nic_ingress"),
	PROG("same_node"), PROG("observe"), PROG("set_mark"), PROG("count"),
	PROG("count_big"), PROG("clone_burst"), PROG("stack_flows"),
};

#define NPROGS ARRAY_SIZE(progs)

static int prog_fd(const char *name)
{
	unsigned int i;

	for (i = 0; i < NPROGS; i++)
		if (!strcmp(progs[i].name, name))
			return progs[i].fd;
	return -1;
}

static __u32 prog_id(const char *name)
{
	unsigned int i;

	for (i = 0; i < NPROGS; i++)
		if (!strcmp(progs[i].name, name) && progs[i].obj)
			return meta_bpf_prog_id(progs[i].obj);
	return 0;
}

/* Runs program NAME on P (ctx may be NULL); returns the verdict. */
static int verdict(const char *name, const struct pkt *p,
		   const struct __sk_buff *ctx, struct run *r)
{
	struct run tmp;

	if (!r)
		r = &tmp;
	if (prog_fd(name) < 0)
		return -1000;
	run_prog(prog_fd(name), p, ctx, r);
	return r->ret;
}

static int load_all(void)
{
	struct meta_bpf_opts o = { .pin_dir = pin_dir };
	char path[256];
	unsigned int i;
	int loaded = 0;

	for (i = 0; i < NPROGS; i++) {
		snprintf(path, sizeof(path), "%s/%s.bpf.o", obj_dir,
			 progs[i].name);
		progs[i].fd = -1;
		if (meta_bpf_load(path, &o, &progs[i].obj)) {
			check(0, "load %s: %s", progs[i].name, meta_last_error());
			continue;
		}
		progs[i].fd = meta_bpf_prog_fd(progs[i].obj);
		loaded++;
	}
	check(loaded == (int)NPROGS, "all %u programs load and verify", loaded);
	return loaded;
}

/* ---- tests --------------------------------------------------------------- */

static void test_loader(void)
{
	struct meta_bpf_opts o = { .pin_dir = pin_dir };
	struct meta_bpf *obj;
	char path[256], name[64];
	int err;

	snprintf(path, sizeof(path), "%s/pass.bpf.o", obj_dir);
	o.prog_name = "nope";
	err = meta_bpf_load(path, &o, &obj);
	check(err == -ENOENT && strstr(meta_last_error(), "pass [tc]"),
	      "loader: unknown program refused, programs listed ('%s')",
	      meta_last_error());
	o.prog_name = NULL;
	o.sec_name = "tc";
	err = meta_bpf_load(path, &o, &obj);
	check(!err, "loader: by section name");
	if (!err)
		meta_bpf_close(obj);

	o.sec_name = NULL;
	o.pin_dir = "/tmp";
	snprintf(path, sizeof(path), "%s/count.bpf.o", obj_dir);
	err = meta_bpf_load(path, &o, &obj);
	check(err == -ENOTSUP && strstr(meta_last_error(), "bpf filesystem"),
	      "loader: pin directory off bpffs refused ('%s')",
	      meta_last_error());

	err = meta_prog_name_by_id(prog_id("redirect_neigh_nonh"), name,
				   sizeof(name));
	/* Not printed: valgrind cannot see the kernel write BTF (valgrind.supp). */
	check(!err && !strcmp(name, "redirect_neigh_nonh"),
	      "full program name from BTF despite the kernel's 15 characters");
}

/* The pinned maps' layouts are what meta_maps.h says. */
static void test_maps(void)
{
	static const struct {
		const char *name;
		__u32 type, key, value, max;
	} maps[] = {
		{ META_MAP_DENY_PORTS, BPF_MAP_TYPE_HASH, 2, 1,
		  META_DENY_PORTS_MAX },
		{ META_MAP_TARGET, BPF_MAP_TYPE_ARRAY, 4,
		  sizeof(struct meta_target), 1 },
		{ META_MAP_PODS, BPF_MAP_TYPE_HASH, 16, sizeof(struct meta_pod),
		  META_PODS_MAX },
		{ META_MAP_OBSERVED, BPF_MAP_TYPE_ARRAY, 4,
		  sizeof(struct meta_observed), 1 },
		{ META_MAP_MARK, BPF_MAP_TYPE_ARRAY, 4,
		  sizeof(struct meta_mark), 1 },
		{ META_MAP_COUNT, BPF_MAP_TYPE_ARRAY, 4, 8, 1 },
	};
	struct bpf_map_info info;
	__u32 len;
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		fd = meta_map_open(pin_dir, maps[i].name);
		if (fd < 0) {
			check(0, "map %s pinned: %s", maps[i].name,
			      meta_last_error());
			continue;
		}
		bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		check(info.type == maps[i].type &&
		      info.key_size == maps[i].key &&
		      info.value_size == maps[i].value &&
		      info.max_entries == maps[i].max,
		      "map %s pinned in %s with the documented layout",
		      maps[i].name, pin_dir);
	}
}

static void test_verdicts(void)
{
	struct pkt p;

	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 53, 0);
	check(verdict("pass", &p, NULL, NULL) == META_PASS, "pass: META_PASS");
	check(verdict("drop", &p, NULL, NULL) == META_DROP, "drop: META_DROP");
	check(verdict("next", &p, NULL, NULL) == META_NEXT, "next: META_NEXT");
	check(verdict("bad_verdict", &p, NULL, NULL) == 42,
	      "bad_verdict: 42");
	check(verdict("redirect_noop", &p, NULL, NULL) == META_REDIRECT,
	      "redirect_noop: META_REDIRECT");
}

static void test_port_policy(void)
{
	struct pkt p;

	meta_port_deny(pin_dir, 53);
	check(!meta_port_deny(pin_dir, 8080), "port deny 53 8080");

	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 53, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_DROP,
	      "port_policy: UDP/IPv4 to 53 dropped");
	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 54, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_NEXT,
	      "port_policy: UDP/IPv4 to 54 next");
	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP, 64, 8080, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_DROP,
	      "port_policy: TCP/IPv4 to 8080 dropped");
	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 64, 53, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_NEXT,
	      "port_policy: ICMP next");
	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 53, 100);
	check(verdict("port_policy", &p, NULL, NULL) == META_NEXT,
	      "port_policy: non-first IPv4 fragment next");
	ip6(&p, "2001:db8::1", "2001:db8::2", IPPROTO_TCP, 64, 8080, -1, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_DROP,
	      "port_policy: TCP/IPv6 to 8080 dropped");
	ip6(&p, "2001:db8::1", "2001:db8::2", IPPROTO_UDP, 64, 53,
	    IPPROTO_HOPOPTS, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_DROP,
	      "port_policy: UDP/IPv6 after a hop-by-hop header dropped");
	ip6(&p, "2001:db8::1", "2001:db8::2", IPPROTO_UDP, 64, 53,
	    IPPROTO_FRAGMENT, 0x0008);
	check(verdict("port_policy", &p, NULL, NULL) == META_NEXT,
	      "port_policy: non-first IPv6 fragment next");
	eth(&p, ETH_P_ARP);
	check(verdict("port_policy", &p, NULL, NULL) == META_NEXT,
	      "port_policy: ARP next");

	meta_port_allow(pin_dir, 53);
	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 53, 0);
	check(verdict("port_policy", &p, NULL, NULL) == META_NEXT,
	      "port_policy: 53 allowed again, next");
}

static void test_redirects(void)
{
	struct pkt p;
	__u32 t = 0;

	check(!meta_target_get(pin_dir, &t) && t == 1,
	      "target set before loading is what the programs see");
	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 53, 0);
	check(verdict("redirect_egress", &p, NULL, NULL) == META_REDIRECT,
	      "redirect_egress: META_REDIRECT");
	check(verdict("redirect_ingress", &p, NULL, NULL) == META_REDIRECT,
	      "redirect_ingress: META_REDIRECT");
	check(verdict("redirect_peer", &p, NULL, NULL) == META_REDIRECT,
	      "redirect_peer: META_REDIRECT");
	check(verdict("redirect_neigh_nonh", &p, NULL, NULL) == META_REDIRECT,
	      "redirect_neigh_nonh: META_REDIRECT");
}

static bool ip4_ok(struct pkt *p, __u8 ttl)
{
	struct iphdr *ip = ip4_hdr(p);

	return ip->ttl == ttl && csum(ip, sizeof(*ip)) == 0;
}

static void test_pods(void)
{
	struct run r;
	struct pkt p;
	char addr[64];
	__u32 key_ifindex = 0;
	int fd;

	/* 10.0.1.2 was added before nic_ingress and same_node were loaded. */
	check(!meta_pod_add(pin_dir, "2001:db8:1::2", 1), "pod add v6");
	fd = meta_map_open(pin_dir, META_MAP_PODS);
	if (fd >= 0) {
		struct meta_pod_key key;
		struct meta_pod pod;

		meta_pod_key_parse("10.0.1.2", &key);
		if (!bpf_map_lookup_elem(fd, &key, &pod))
			key_ifindex = pod.ifindex;
		meta_pod_key_format(&key, addr, sizeof(addr));
		close(fd);
	}
	check(key_ifindex == 1, "pod key is ::ffff:10.0.1.2 in the map");

	ip4(&p, "10.0.2.9", "10.0.1.2", IPPROTO_TCP, 64, 80, 0);
	check(verdict("same_node", &p, NULL, &r) == META_REDIRECT &&
	      ip4_ok(&r.out, 63),
	      "same_node: pod address redirected, TTL 63, checksum valid");
	check(verdict("nic_ingress", &p, NULL, &r) == META_REDIRECT &&
	      ip4_ok(&r.out, 63), "nic_ingress: pod address redirected");
	ip4(&p, "10.0.2.9", "10.0.1.3", IPPROTO_TCP, 64, 80, 0);
	check(verdict("same_node", &p, NULL, &r) == META_NEXT &&
	      ip4_ok(&r.out, 64), "same_node: other address next, untouched");
	check(verdict("nic_ingress", &p, NULL, NULL) == TC_ACT_OK,
	      "nic_ingress: other address TC_ACT_OK");
	ip4(&p, "10.0.2.9", "10.0.1.2", IPPROTO_TCP, 1, 80, 0);
	check(verdict("same_node", &p, NULL, &r) == META_NEXT &&
	      ip4_ok(&r.out, 1), "same_node: TTL 1 left to the stack");
	check(verdict("nic_ingress", &p, NULL, NULL) == TC_ACT_OK,
	      "nic_ingress: TTL 1 left to the stack");
	ip6(&p, "2001:db8:2::9", "2001:db8:1::2", IPPROTO_TCP, 64, 80, -1, 0);
	check(verdict("same_node", &p, NULL, &r) == META_REDIRECT &&
	      ip6_hdr(&r.out)->hop_limit == 63,
	      "same_node: IPv6 pod redirected, hop limit 63");
	check(verdict("nic_ingress", &p, NULL, NULL) == META_REDIRECT,
	      "nic_ingress: IPv6 pod redirected");
	check(!meta_pod_del(pin_dir, "2001:db8:1::2") &&
	      verdict("same_node", &p, NULL, NULL) == META_NEXT,
	      "pod del: IPv6 pod no longer redirected");
	check(meta_pod_del(pin_dir, "2001:db8:1::2") == -ENOENT,
	      "pod del of a missing pod: -ENOENT ('%s')", meta_last_error());
}

static void test_marks(void)
{
	struct meta_observed o = {};
	struct __sk_buff ctx = {};
	struct run r;
	struct pkt p;
	__u64 n = 0;

	ip4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_UDP, 64, 53, 0);
	check(!meta_mark_set(pin_dir, 0x42, 6), "mark set 0x42 6");
	verdict("set_mark", &p, NULL, &r);
	check(r.ret == META_NEXT && r.ctx.mark == 0x42 && r.ctx.priority == 6,
	      "set_mark: mark and priority set, -1 returned");

	meta_observed_reset(pin_dir);
	ctx.mark = 7;
	ctx.priority = 3;
	verdict("observe", &p, &ctx, &r);
	ctx.mark = 0;
	ctx.priority = 0;
	verdict("observe", &p, &ctx, NULL);
	meta_observed_get(pin_dir, &o);
	check(r.ret == -1 && o.packets == 2 && o.marked == 1 &&
	      o.prioritized == 1 && o.mark == 7 && o.priority == 3 &&
	      o.last_mark == 0 && o.last_priority == 0,
	      "observe: packets 2 marked 1 prioritized 1 mark 7 priority 3 last 0/0");
	check(!meta_observed_reset(pin_dir) && !meta_observed_get(pin_dir, &o) &&
	      o.packets == 0 && o.mark == 0, "observed reset");

	meta_count_reset(pin_dir);
	verdict("count", &p, NULL, &r);
	verdict("count", &p, NULL, NULL);
	check(r.ret == META_NEXT && !meta_count_get(pin_dir, &n) && n == 2,
	      "count: 2 packets, META_NEXT");
	meta_count_reset(pin_dir);
	verdict("count_big", &p, NULL, &r);
	check(r.ret == META_NEXT && !meta_count_get(pin_dir, &n) && n == 0,
	      "count_big: a small packet not counted, META_NEXT");

	/* A copy (marked) passes untouched; copies are made in the VM test. */
	ctx.mark = 0xc10e;
	verdict("clone_burst", &p, &ctx, &r);
	check(r.ret == TC_ACT_OK && r.ctx.mark == 0xc10e,
	      "clone_burst: a marked copy is not copied again, TC_ACT_OK");
}

static int sh(const char *cmd)
{
	int ret = system(cmd);

	if (ret)
		printf("# failed: %s\n", cmd);
	return ret;
}

static int sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(val, f);
	return fclose(f);
}

/*
 * a0 plays the primary a pod's packets arrive on, b0 the NIC towards a
 * router at 192.0.2.2 / 2001:db8:2::2.
 */
static int routing_setup(void)
{
	return sh("ip link add a0 type veth peer name a1 && "
		  "ip link add b0 type veth peer name b1 && "
		  "for d in a0 a1 b0 b1; do ip link set $d up; done && "
		  "ip addr add 10.9.0.1/24 dev a0 && "
		  "ip addr add 192.0.2.1/24 dev b0 && "
		  "ip route add 198.51.100.0/24 via 192.0.2.2 && "
		  "ip -6 addr add 2001:db8:9::1/64 dev a0 nodad && "
		  "ip -6 addr add 2001:db8:2::1/64 dev b0 nodad && "
		  "ip -6 route add 2001:db8:100::/48 via 2001:db8:2::2") ||
	       sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "1") ||
	       sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
}

static void test_host_routing(void)
{
	struct __sk_buff ctx = {};
	struct run r;
	struct pkt p;

	if (routing_setup()) {
		skip("host_routing: cannot set up veth devices and routes");
		return;
	}
	ctx.ifindex = if_nametoindex("a0");

	ip4(&p, "10.9.0.2", "198.51.100.7", IPPROTO_TCP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, &r) == META_REDIRECT &&
	      ip4_ok(&r.out, 63),
	      "host_routing: routed, neighbour unresolved: redirect_neigh, TTL 63");
	sh("ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev b0 nud permanent");
	check(verdict("host_routing", &p, &ctx, &r) == META_REDIRECT &&
	      ip4_ok(&r.out, 63),
	      "host_routing: routed, neighbour known: redirect_neigh");
	ip4(&p, "10.9.0.2", "198.51.100.7", IPPROTO_TCP, 1, 80, 0);
	check(verdict("host_routing", &p, &ctx, &r) == META_PASS &&
	      ip4_ok(&r.out, 1), "host_routing: TTL 1 passed to the stack");
	ip4(&p, "10.9.0.2", "203.0.113.1", IPPROTO_TCP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, &r) == META_PASS &&
	      ip4_ok(&r.out, 64), "host_routing: no route: pass, untouched");
	ip4(&p, "10.9.0.2", "10.9.0.1", IPPROTO_TCP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_PASS,
	      "host_routing: local address: pass");
	ip4(&p, "10.9.0.2", "224.0.0.5", IPPROTO_UDP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_PASS,
	      "host_routing: multicast: pass");

	ip6(&p, "2001:db8:9::2", "2001:db8:100::7", IPPROTO_TCP, 64, 80, -1, 0);
	check(verdict("host_routing", &p, &ctx, &r) == META_REDIRECT &&
	      ip6_hdr(&r.out)->hop_limit == 63,
	      "host_routing: IPv6 routed: redirect_neigh, hop limit 63");
	ip6(&p, "2001:db8:9::2", "fe80::1", IPPROTO_TCP, 64, 80, -1, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_PASS,
	      "host_routing: IPv6 link-local: pass");
	ip6(&p, "2001:db8:9::2", "2001:db8:200::1", IPPROTO_TCP, 64, 80, -1, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_PASS,
	      "host_routing: IPv6 no route: pass");

	sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "0");
	sysctl("/proc/sys/net/ipv4/conf/a0/forwarding", "0");
	ip4(&p, "10.9.0.2", "198.51.100.7", IPPROTO_TCP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_PASS,
	      "host_routing: forwarding disabled on the primary: pass");
}

static void set_sport(struct pkt *p, __u16 port)
{
	struct iphdr *ip = ip4_hdr(p);

	((struct udphdr *)(ip + 1))->source = htons(port);
}

/* meta_stack.h: what netfilter must see stays on the stack. */
static void test_stack(void)
{
	struct meta_stack_cfg cfg;
	struct __sk_buff ctx = {};
	char txt[64];
	struct run r;
	struct pkt p;

	ctx.ifindex = if_nametoindex("a0");
	if (!ctx.ifindex ||
	    sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "1") ||
	    sysctl("/proc/sys/net/ipv4/conf/a0/forwarding", "1")) {
		skip("stack: no routing set-up (test_host_routing)");
		return;
	}
	/* 10.0.1.2 is a pod (test_pods); 198.51.100.0/24 is routed. */
	ip4(&p, "10.0.1.2", "198.51.100.7", IPPROTO_TCP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_REDIRECT,
	      "stack: without meta_stack_cfg the fast path");
	check(!meta_stack_set(pin_dir, "198.51.100.0/24", 1) &&
	      !meta_stack_set(pin_dir, "198.51.100.128/25", 0) &&
	      !meta_stack_set(pin_dir, "fd00:96::/108", 1) &&
	      !meta_stack_set(pin_dir, "198.51.100.0/24", 1) &&
	      !meta_stack_get(pin_dir, &cfg) && cfg.n == 3 &&
	      !meta_stack_format(&cfg.nets[1], txt, sizeof(txt)) &&
	      !strcmp(txt, "198.51.100.128/25"),
	      "stack: three prefixes, set twice, read back (%s)", txt);
	check(verdict("host_routing", &p, &ctx, &r) == META_PASS &&
	      ip4_ok(&r.out, 64),
	      "stack: to a via-stack prefix: passed to the stack, untouched");
	/* The reply, from wherever DNAT took it, goes up the stack too. */
	ip4(&p, "203.0.113.9", "10.0.1.2", IPPROTO_TCP, 64, 40000, 0);
	check(verdict("nic_ingress", &p, NULL, NULL) == TC_ACT_OK,
	      "stack: nic_ingress leaves the reply to the stack");
	ip4(&p, "203.0.113.9", "10.0.1.2", IPPROTO_TCP, 64, 40001, 0);
	check(verdict("nic_ingress", &p, NULL, NULL) == META_REDIRECT,
	      "stack: another port of the pod still redirected");
	ip4(&p, "10.0.1.5", "198.51.100.200", IPPROTO_TCP, 64, 80, 0);
	check(verdict("host_routing", &p, &ctx, NULL) == META_REDIRECT,
	      "stack: the longer fast-path prefix wins");
	/* What the stack delivers into a pod: its replies go back that way. */
	ip4(&p, "192.0.2.50", "10.0.1.6", IPPROTO_TCP, 64, 8080, 0);
	check(verdict("stack_flows", &p, NULL, NULL) == META_NEXT,
	      "stack_flows: META_NEXT");
	ip4(&p, "10.0.1.6", "198.51.100.200", IPPROTO_TCP, 64, 40000, 0);
	set_sport(&p, 8080);
	check(verdict("host_routing", &p, &ctx, NULL) == META_PASS,
	      "stack: reply of a connection the stack delivered: to the stack");
	set_sport(&p, 8081);
	check(verdict("host_routing", &p, &ctx, NULL) == META_REDIRECT,
	      "stack: another port of that pod: fast path");
	check(!meta_pod_add(pin_dir, "10.0.1.6", 1), "pod add 10.0.1.6");
	ip4(&p, "10.0.1.6", "10.0.1.2", IPPROTO_TCP, 64, 40000, 0);
	set_sport(&p, 8080);
	check(verdict("same_node", &p, NULL, NULL) == META_NEXT,
	      "stack: same_node leaves that reply to the stack too");
	check(!meta_stack_pod_reset(pin_dir, "10.0.1.6") &&
	      verdict("same_node", &p, NULL, NULL) == META_REDIRECT,
	      "stack: a pod reset starts on the fast path");
	check(!meta_stack_del(pin_dir, "198.51.100.0/24") &&
	      meta_stack_del(pin_dir, "198.51.100.0/24") == -ENOENT &&
	      !meta_stack_get(pin_dir, &cfg) && cfg.n == 2,
	      "stack: del, del again -ENOENT");
	check(meta_stack_set(pin_dir, "10.0.0.0/33", 1) == -EINVAL &&
	      meta_stack_set(pin_dir, "bogus", 1) == -EINVAL,
	      "stack: bad prefixes refused ('%s')", meta_last_error());
}

/* Private namespaces: our own bpffs, devices and routes, nothing left. */
static int isolate(void)
{
	char *dir = bpffs_dir;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0) {
		skip("cannot create namespaces: %s", strerror(errno));
		return -1;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    !mkdtemp(dir) || mount("bpf", dir, "bpf", 0, NULL) < 0) {
		skip("cannot mount a bpf filesystem: %s", strerror(errno));
		return -1;
	}
	snprintf(pin_dir, sizeof(pin_dir), "%s/meta", dir);
	sh("ip link set lo up");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i;

	if (argc > 1)
		obj_dir = argv[1];
	/* The program fails with a message, not libbpf's chatter. */
	libbpf_set_print(NULL);
	if (geteuid() != 0) {
		skip("needs root");
		return check_done();
	}
	if (isolate())
		return check_done();
	/*
	 * Fill maps before any program exists: libmeta creates them, and
	 * loading the programs must then reuse them.
	 */
	check(!meta_target_set(pin_dir, 1) &&
	      !meta_pod_add(pin_dir, "10.0.1.2", 1),
	      "maps created by libmeta before any program is loaded");
	if (!load_all()) {
		skip("no program loads: does this kernel allow BPF?");
		return check_done();
	}
	test_loader();
	test_maps();
	test_verdicts();
	test_port_policy();
	test_redirects();
	test_pods();
	test_marks();
	test_host_routing();
	test_stack();

	for (i = 0; i < NPROGS; i++)
		meta_bpf_close(progs[i].obj);
	/* The mount goes with the namespace, the directory would stay. */
	umount2(bpffs_dir, MNT_DETACH);
	rmdir(bpffs_dir);
	return check_done();
}

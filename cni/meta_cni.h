/* SPDX-License-Identifier: GPL-2.0 */
/*
 * meta CNI plugin: what the files of cni/ share. README.md is the contract
 * (configuration, device naming, error codes); this header only has to
 * keep the pieces in agreement.
 */
#ifndef META_CNI_H
#define META_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <jansson.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- error codes (README.md, "Errors") ---------------------------------- */

enum cni_code {
	CNI_ERR_VERSION		= 1,
	CNI_ERR_INCOMPATIBLE	= 2,	/* unsupported field in the config */
	CNI_ERR_NETNS		= 3,
	CNI_ERR_ENV		= 4,
	CNI_ERR_DECODE		= 6,
	CNI_ERR_CONFIG		= 7,
	CNI_ERR_STATUS		= 50,	/* STATUS: plugin not available */
	CNI_ERR_IFNAME_EXISTS	= 100,
	CNI_ERR_NO_MODULE	= 101,
	CNI_ERR_NETLINK		= 102,
	CNI_ERR_NO_IPAM		= 103,
	CNI_ERR_BPF		= 104,
	CNI_ERR_CHECK		= 105,	/* CHECK: differs from prevResult */
	CNI_ERR_INTERNAL	= 999,
};

/*
 * The first failure of a command: printed as the error result by main().
 * Functions that fail record it with cni_fail() and return -1; callers just
 * pass -1 up (rollback paths log but keep the first error).
 */
struct cni_error {
	int code;		/* 0: no error recorded */
	char msg[1024];
	char details[256];
};

extern struct cni_error cni_err;

int __printf(3, 4) cni_fail(int code, const char *details, const char *fmt, ...);
void __printf(1, 2) cni_log(const char *fmt, ...);

/* ---- versions (conf.c) --------------------------------------------------- */

/* "0.3.0" ... "1.1.0", oldest first. */
extern const char *const cni_versions[];
extern const size_t cni_nversions;
/* Index in cni_versions, -1 if not supported. */
int cni_version_index(const char *v);
/* Compares two "X.Y.Z" strings numerically (<0, 0, >0). */
int cni_version_cmp(const char *a, const char *b);
#define CNI_VERSION_LATEST	"1.1.0"

/* ---- environment (main.c) ------------------------------------------------ */

enum cni_cmd {
	CMD_ADD, CMD_DEL, CMD_CHECK, CMD_GC, CMD_STATUS, CMD_VERSION,
	CMD_SETUP,	/* `meta setup CONFIG`: not CNI, the node's boot step */
};

struct cni_env {
	enum cni_cmd cmd;
	const char *command;	/* as given, for the IPAM */
	const char *containerid;
	const char *netns;	/* NULL: not given (DEL) */
	const char *ifname;
	const char *path;	/* CNI_PATH */
	const char *args;	/* CNI_ARGS, NULL if not given */
	/* K8S_POD_NAMESPACE / K8S_POD_NAME from CNI_ARGS, "" if absent. */
	char pod_ns[254];
	char pod_name[254];
};

/* The environment of this run (main.c), for logs and the device alias. */
extern const struct cni_env *cni_env;

/* ---- configuration (conf.c) ---------------------------------------------- */

enum bpf_dir_idx { BPF_PRIMARY = 0, BPF_PEER = 1 };	/* = enum meta_prog_dir */

struct bpf_prog_conf {
	const char *object;	/* NULL: nothing for this direction */
	const char *section;
	const char *program;
};

/* One address of a result: what IPAM gave, or what prevResult lists. */
struct cni_ip {
	int family;		/* AF_INET, AF_INET6 */
	struct in6_addr addr;	/* IPv4 in the first 4 bytes */
	int prefix;
	struct in6_addr gw;	/* the gateway (has_gw) */
	bool has_gw;		/* IPAM/prevResult named a gateway */
	int iface;		/* "interface" index, -1 if absent */
};

#define CNI_MAX_IPS	16
/* Programs per direction a config may list (the device takes 16). */
#define META_CNI_PROGS	8

/* bpf.nic: a program on a device's tc ingress (nic_ingress). */
struct nic_conf {
	const char *device;
	struct bpf_prog_conf prog;
	int tc_mode;		/* enum meta_tc_mode (meta_tc.h) */
};

#define META_CNI_NICS	4

struct cni_conf {
	json_t *root;		/* the stdin config, owns every string below */
	const char *version;
	const char *name;
	const char *type;
	bool l2;
	unsigned int mtu;	/* 0: default */
	const char *ipam_type;
	bool has_bpf;
	const char *pin_dir;	/* NULL: libmeta's default */
	/* Per direction, in attach (= run) order. */
	struct bpf_prog_conf prog[2][META_CNI_PROGS];
	unsigned int nprogs[2];
	struct nic_conf nic[META_CNI_NICS];
	unsigned int nnics;
	bool register_pods;
	/*
	 * runtimeConfig.bandwidth (the "bandwidth" capability), bits/s and
	 * bits; 0: no limit. Ingress is what the pod receives.
	 */
	unsigned long long bw_in_rate, bw_in_burst, bw_eg_rate, bw_eg_burst;
	/* bpf.viaStack / bpf.fastPath: meta_stack_cfg's prefixes. */
	json_t *via_stack, *fast_path;
	const char *state_dir;	/* the attachments' records (state.c) */
	const char *log_file;	/* NULL: stderr only */
	json_t *prev_result;	/* borrowed from root, NULL if absent */
	json_t *valid_attachments;	/* GC, borrowed */
};

/* Parses stdin's config for CMD; fails with 6, 1 or 7. */
int conf_parse(struct cni_conf *conf, const char *text, enum cni_cmd cmd);
void conf_free(struct cni_conf *conf);

/* ---- addresses (result.c) ------------------------------------------------ */

/* "10.0.0.5/24" -> ip (no gateway). */
int ip_parse_cidr(const char *s, struct cni_ip *ip);
int ip_parse_addr(const char *s, int *family, struct in6_addr *addr);
void ip_format(int family, const struct in6_addr *addr, char *buf, size_t len);
/* The subnet's address: ip->addr with the host bits cleared. */
void ip_network(const struct cni_ip *ip, struct in6_addr *net);
/* Parses a result's "ips" (IPAM's or prevResult's) into ips[]. */
int result_parse_ips(json_t *result, struct cni_ip *ips, int *nips);
/*
 * The gateway of every address is usable for ptp-style routing: given
 * (never guessed: the subnet's first address may be the pod's own, another
 * pod's or the LAN's router), not the pod's own address. 7 otherwise.
 */
int ips_check_gateways(const struct cni_ip *ips, int nips);

/* A route of a result (CNI 1.1: dst, gw, mtu, advmss, priority, table, scope). */
struct cni_route {
	int family;
	struct in6_addr dst;	/* the network (host bits cleared) */
	int prefix;
	struct in6_addr gw;
	bool has_gw;
	long priority, table, scope, mtu, advmss;	/* -1: not given */
	const char *text;	/* "dst" as written, for messages */
};

/* The first gateway of family FAM among ips, NULL if none (link.c). */
const struct in6_addr *family_gw(const struct cni_ip *ips, int nips, int fam);
/* routes[i] of a result; 7 (details DETAILS) when malformed. */
int route_parse(json_t *r, size_t i, const char *details,
		struct cni_route *rt);

/* ---- results (result.c) -------------------------------------------------- */

struct cni_iface {
	const char *name;
	char mac[18];		/* "" when the device has none (l3) */
	unsigned int mtu;
	const char *sandbox;	/* NULL: host */
};

/*
 * The ADD result in VERSION's shape: interfaces host end + pod end, ips
 * (interface 1), IPAM's routes and dns.
 */
json_t *result_build(const char *version, const struct cni_iface ifaces[2],
		     const struct cni_ip *ips, int nips, json_t *ipam_result);
/* Prints JSON (result or error) on stdout; 0 or -1. */
int result_print(json_t *j);
/* Prints cni_err as the error result of VERSION (NULL: the latest). */
void result_print_error(const char *version);

/* ---- IPAM (ipam.c) ------------------------------------------------------- */

struct ipam {
	char path[4096];	/* the IPAM executable found in CNI_PATH */
	char version[16];	/* the version it is spoken to in */
	bool negotiated;	/* version came from its VERSION answer */
};

/* Finds conf's IPAM in CNI_PATH (103 if missing). */
int ipam_find(struct ipam *ipam, const struct cni_conf *conf,
	      const struct cni_env *env);
/*
 * For a 1.1.0 config, asks it VERSION and picks the highest version both
 * sides know; older configs are negotiated by ipam_exec() only if the IPAM
 * refuses their version.
 */
int ipam_negotiate(struct ipam *ipam, const struct cni_conf *conf);
/*
 * Runs the IPAM with CNI_COMMAND=command (containerid/ifname override
 * the environment's when non-NULL, for GC) and the config on stdin. On
 * success *result is its parsed output (NULL when it printed nothing).
 */
int ipam_exec(struct ipam *ipam, const struct cni_conf *conf,
	      const char *command, const char *containerid,
	      const char *ifname, json_t **result);

/* ---- netlink (libmeta, link.c) ------------------------------------------ */

struct meta_nl;
struct meta_link;

/*
 * libmeta's socket in the namespace of netns_fd (-1: the current one).
 * Aborts if the thread cannot come back from the pod's namespace.
 */
int ns_nl_open(struct meta_nl **nl, int netns_fd);
/* Records libmeta's last error as 102 ("WHAT: libmeta's message"). */
int __printf(1, 2) nl_fail(const char *fmt, ...);
/* 1 if ADDR/PREFIX is on IFINDEX, 0 if not, -1 (recorded) on error. */
int nl_addr_has(struct meta_nl *nl, int ifindex, int family,
		const struct in6_addr *addr, int prefix);
/*
 * 1 if a route to DST/DST_LEN via GW (NULL: none) on IFINDEX is in TABLE
 * (0: main) with PRIORITY (-1: any), 0 if not, -1 on error.
 */
int nl_route_has(struct meta_nl *nl, int ifindex, int family,
		 const struct in6_addr *dst, int dst_len,
		 const struct in6_addr *gw, long table, long priority);

/* ---- the pair (link.c) --------------------------------------------------- */

/* The host end's name for CONTAINERID/IFNAME: "meta" + 11 hex digits. */
void link_host_name(const char *containerid, const char *ifname,
		    char name[16]);
/*
 * The host end's ifalias: "cni:NETWORK:CONTAINERID:IFNAME", then
 * " pod:NAMESPACE/NAME" when the runtime named the Kubernetes pod and it
 * fits in 255 bytes. An alias that cannot be whole is not set (GC reads
 * the records, state.c; the alias is for people and older records).
 */
int link_alias(const struct cni_conf *conf, const char *containerid,
	       const char *ifname, char *buf, size_t len);
/* CONTAINERID/IFNAME parsed back from an alias of NETWORK; 0 or -1. */
int link_alias_parse(const char *alias, const char *network, char *cid,
		     size_t cid_len, char *ifname, size_t ifname_len);

struct link_state {
	char host[16];		/* host end's name */
	int host_ifindex;
	int netns_fd;		/* the pod's namespace */
	bool created;		/* rollback deletes the pair */
	struct cni_iface ifaces[2];
};

/* CNI_NETNS as a file descriptor; 3 if missing or not a netns. */
int link_netns_open(const char *path);
/* 100 if IFNAME already exists in the netns. */
int link_check_ifname(int netns_fd, const char *ifname);
int link_create(struct link_state *st, const struct cni_conf *conf,
		const struct cni_env *env);
/* Alias, up, sysctls, addresses, routes (IPAM's routes too), forwarding. */
int link_configure(struct link_state *st, const struct cni_conf *conf,
		   const struct cni_env *env, const struct cni_ip *ips,
		   int nips, json_t *routes);
/* Deletes the pair whose host end is NAME; 0 also when it is gone. */
int link_delete(const char *name);
/* 1 if NAME is a meta device in the current namespace, 0 if not, -1. */
int link_is_meta(const char *name, int *ifindex);
/* CHECK: the pair, addresses and routes are as prevResult says (105). */
int link_check(const struct cni_conf *conf, const struct cni_env *env,
	       int netns_fd, const struct cni_ip *ips, int nips,
	       json_t *routes);

/* ---- BPF (bpf.c) --------------------------------------------------------- */

/* bpf.viaStack and bpf.fastPath into meta_stack_cfg (idempotent). */
int bpf_stack_apply(const struct cni_conf *conf);
/*
 * What a node needs before its pods' programs can work, idempotent and
 * cheap when all is there (every ADD runs it; so does `meta setup` at
 * boot): pinned maps of another layout moved aside (migration),
 * meta_stack_cfg, bpf.nic attached, and, when meta_pods was missing (a
 * fresh bpffs), migrated or RESTORE is set, the addresses of every live
 * recorded attachment registered again.
 */
int bpf_node_setup(const struct cni_conf *conf, bool restore);
int bpf_attach_progs(const struct cni_conf *conf, const char *host);
int bpf_check_progs(const struct cni_conf *conf, const char *host);
/* Registers ips -> ifindex in meta_pods; on failure removes what it added. */
int bpf_pods_add(const struct cni_conf *conf, const struct cni_ip *ips,
		 int nips, int ifindex);
/* Removes every meta_pods entry pointing at ifindex. */
int bpf_pods_del_ifindex(const struct cni_conf *conf, int ifindex);
/* CHECK: ips -> ifindex are in meta_pods (when registerPods). */
int bpf_pods_check(const struct cni_conf *conf, const struct cni_ip *ips,
		   int nips, int ifindex);
/*
 * Removes ips' entries, except those pointing at another live meta device
 * (the address went on to another pod). HOST is this attachment's host
 * end, whose ifindex may have been reused since.
 */
int bpf_pods_del_stale(const struct cni_conf *conf, const struct cni_ip *ips,
		       int nips, const char *host);

/* ---- attachment records (state.c) --------------------------------------- */

/*
 * What ADD made, kept in STATE_DIR/NETWORK/CONTAINERID:IFNAME until DEL or
 * GC has undone it all: GC finds attachments whose pair went with their
 * netns through these, not through live devices.
 */
struct cni_record {
	char cid[256];
	char ifname[16];
	char host[16];
	int host_ifindex;
	struct cni_ip ips[CNI_MAX_IPS];
	int nips;
};

#define CNI_STATE_DIR	"/var/lib/cni/meta"

int state_save(const struct cni_conf *conf, const struct cni_record *r);
/* 0 and *r filled, -ENOENT if there is no record, -1 (recorded) on error. */
int state_load(const struct cni_conf *conf, const char *cid,
	       const char *ifname, struct cni_record *r);
int state_remove(const struct cni_conf *conf, const char *cid,
		 const char *ifname);
typedef int (*state_fn)(const struct cni_record *r, void *arg);
/* Every record of conf's network (unreadable ones are logged, skipped). */
int state_walk(const struct cni_conf *conf, state_fn fn, void *arg);

/* ---- commands ------------------------------------------------------------ */

int cmd_add(const struct cni_conf *conf, const struct cni_env *env);
int cmd_del(const struct cni_conf *conf, const struct cni_env *env);
int cmd_check(const struct cni_conf *conf, const struct cni_env *env);
int cmd_gc(const struct cni_conf *conf, const struct cni_env *env);
int cmd_status(const struct cni_conf *conf, const struct cni_env *env);
/*
 * Everything of attachment CID/IFNAME on the node, best effort: meta_pods
 * entries, the pair, the address (ipam NULL: not released), the record.
 * ips (prevResult's) may be NULL. Shared by DEL and GC; -1 if anything
 * failed (the first failure recorded), after trying the rest.
 */
struct ipam;
int teardown(const struct cni_conf *conf, struct ipam *ipam, const char *cid,
	     const char *ifname, const struct cni_ip *ips, int nips);

#endif /* META_CNI_H */

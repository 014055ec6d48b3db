// SPDX-License-Identifier: GPL-2.0
/*
 * The network configuration on stdin (README.md, "Network configuration"):
 * parsed with jansson, checked completely before anything is touched, so
 * a bad config never leaves half a pod behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta_cni.h"
#include "meta_maps.h"
#include "meta_tc.h"

const char *const cni_versions[] = {
	"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0",
};
const size_t cni_nversions = ARRAY_SIZE(cni_versions);

int cni_version_index(const char *v)
{
	size_t i;

	for (i = 0; v && i < cni_nversions; i++)
		if (!strcmp(v, cni_versions[i]))
			return i;
	return -1;
}

int cni_version_cmp(const char *a, const char *b)
{
	unsigned int x[3] = {}, y[3] = {};
	int i;

	sscanf(a, "%u.%u.%u", &x[0], &x[1], &x[2]);
	sscanf(b, "%u.%u.%u", &y[0], &y[1], &y[2]);
	for (i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* A string member: NULL and 0 if absent, -1 (recorded) if not a string. */
static int get_str(json_t *obj, const char *where, const char *key,
		   bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v && !required)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"%s\"%s\" %s", where, key,
				v ? "must be a non-empty string" : "is missing");
	*out = json_string_value(v);
	return 0;
}

static int parse_one(json_t *o, const char *dir, struct bpf_prog_conf *p)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.%s must be an object {\"object\", \"section\" or \"program\"} or a list of them",
				dir);
	json_object_foreach(o, key, v) {
		if (strcmp(key, "object") && strcmp(key, "section") &&
		    strcmp(key, "program"))
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"bpf.%s: unknown key \"%s\" (object, section, program)",
					dir, key);
	}
	if (get_str(o, "bpf.", "object", true, &p->object) ||
	    get_str(o, "bpf.", "section", false, &p->section) ||
	    get_str(o, "bpf.", "program", false, &p->program))
		return -1;
	if (p->section && p->program)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.%s: give \"section\" or \"program\", not both",
				dir);
	return 0;
}

/* One program, or a list of them that run in the order given. */
static int parse_prog(json_t *bpf, const char *dir, struct cni_conf *c,
		      int d)
{
	json_t *o = json_object_get(bpf, dir), *e;
	size_t i;

	if (!o)
		return 0;
	if (!json_is_array(o)) {
		c->nprogs[d] = 1;
		return parse_one(o, dir, &c->prog[d][0]);
	}
	if (!json_array_size(o) || json_array_size(o) > META_CNI_PROGS)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.%s: a list of 1 to %d programs", dir,
				META_CNI_PROGS);
	json_array_foreach(o, i, e)
		if (parse_one(e, dir, &c->prog[d][i]))
			return -1;
	c->nprogs[d] = json_array_size(o);
	return 0;
}

/*
 * bpf.nic: {"device", "object"[, "section" | "program"][, "tcMode"]} or a
 * list of them.
 */
static int parse_nic(json_t *o, struct nic_conf *n)
{
	json_t *dev = json_object_get(o, "device"), *copy, *mode;
	int ret;

	if (!json_is_object(o) || !json_is_string(dev) ||
	    !*json_string_value(dev) || strlen(json_string_value(dev)) > 15)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.nic: {\"device\": NAME, \"object\": FILE} or a list of them");
	n->device = json_string_value(dev);
	mode = json_object_get(o, "tcMode");
	n->tc_mode = META_TC_AUTO;
	if (mode && (!json_is_string(mode) ||
		     (n->tc_mode = meta_tc_mode_parse(json_string_value(mode))) < 0))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.nic: tcMode must be \"auto\", \"tcx\" or \"clsact\"");
	/* The rest is a program like peer's; the strings stay in o. */
	copy = json_copy(o);
	json_object_del(copy, "device");
	json_object_del(copy, "tcMode");
	ret = parse_one(copy, "nic", &n->prog);
	json_decref(copy);
	if (!ret) {
		n->prog.object = json_string_value(json_object_get(o, "object"));
		n->prog.section = json_string_value(json_object_get(o, "section"));
		n->prog.program = json_string_value(json_object_get(o, "program"));
	}
	return ret;
}

static int parse_nics(json_t *bpf, struct cni_conf *c)
{
	json_t *v = json_object_get(bpf, "nic"), *e;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v)) {
		c->nnics = 1;
		return parse_nic(v, &c->nic[0]);
	}
	if (!json_array_size(v) || json_array_size(v) > META_CNI_NICS)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.nic: a list of 1 to %d devices", META_CNI_NICS);
	json_array_foreach(v, i, e)
		if (parse_nic(e, &c->nic[i]))
			return -1;
	c->nnics = json_array_size(v);
	return 0;
}

/* A list of "ADDRESS/PREFIX" strings, or absent. */
static int parse_cidrs(json_t *bpf, const char *key, json_t **out)
{
	json_t *v = json_object_get(bpf, key), *e;
	struct cni_ip ip;
	size_t i;

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.%s must be a list of ADDRESS/PREFIX", key);
	json_array_foreach(v, i, e)
		if (!json_is_string(e) ||
		    ip_parse_cidr(json_string_value(e), &ip) < 0)
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"bpf.%s[%zu] is not ADDRESS/PREFIX", key, i);
	*out = v;
	return 0;
}

/* The "bpf" block; unknown keys are refused: a typo would silently do nothing. */
static int parse_bpf(struct cni_conf *c)
{
	json_t *bpf = json_object_get(c->root, "bpf"), *v;
	const char *key;

	if (!bpf)
		return 0;
	if (!json_is_object(bpf))
		return cni_fail(CNI_ERR_CONFIG, NULL, "\"bpf\" must be an object");
	json_object_foreach(bpf, key, v) {
		if (strcmp(key, "pinDir") && strcmp(key, "peer") &&
		    strcmp(key, "primary") && strcmp(key, "registerPods") &&
		    strcmp(key, "viaStack") && strcmp(key, "fastPath") &&
		    strcmp(key, "nic"))
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"bpf: unknown key \"%s\" (pinDir, peer, primary, registerPods, viaStack, fastPath, nic)",
					key);
	}
	c->has_bpf = true;
	c->register_pods = true;
	if (get_str(bpf, "bpf.", "pinDir", false, &c->pin_dir) ||
	    parse_prog(bpf, "primary", c, BPF_PRIMARY) ||
	    parse_prog(bpf, "peer", c, BPF_PEER))
		return -1;
	if (c->pin_dir && c->pin_dir[0] != '/')
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.pinDir must be an absolute path, not '%s'",
				c->pin_dir);
	if (parse_nics(bpf, c) ||
	    parse_cidrs(bpf, "viaStack", &c->via_stack) ||
	    parse_cidrs(bpf, "fastPath", &c->fast_path))
		return -1;
	if (json_array_size(c->via_stack) + json_array_size(c->fast_path) >
	    META_STACK_MAX)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.viaStack and bpf.fastPath: %d prefixes at most together",
				META_STACK_MAX);
	v = json_object_get(bpf, "registerPods");
	if (v && !json_is_boolean(v))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"bpf.registerPods must be true or false");
	if (v)
		c->register_pods = json_is_true(v);
	return 0;
}

/* One direction of runtimeConfig.bandwidth, as the bandwidth plugin reads it. */
static int parse_rate(json_t *bw, const char *rkey, const char *bkey,
		      unsigned long long *rate, unsigned long long *burst)
{
	json_t *r = json_object_get(bw, rkey), *b = json_object_get(bw, bkey);

	*rate = *burst = 0;
	if ((r && (!json_is_integer(r) || json_integer_value(r) < 0)) ||
	    (b && (!json_is_integer(b) || json_integer_value(b) < 0)))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"runtimeConfig.bandwidth: %s and %s must be integers >= 0 (bits/s, bits)",
				rkey, bkey);
	*rate = r ? json_integer_value(r) : 0;
	*burst = b ? json_integer_value(b) : 0;
	if (!*rate != !*burst)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"runtimeConfig.bandwidth: %s and %s go together",
				rkey, bkey);
	/* The bucket is a u32 of bytes in the kernel. */
	if (*burst / 8 >= 0xffffffffULL)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"runtimeConfig.bandwidth: %s over 4 GB", bkey);
	if (*rate && *rate < 8)
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"runtimeConfig.bandwidth: %s below one byte per second",
				rkey);
	return 0;
}

static int parse_bandwidth(struct cni_conf *c)
{
	json_t *bw = json_object_get(json_object_get(c->root, "runtimeConfig"),
				     "bandwidth");

	if (!bw)
		return 0;
	if (!json_is_object(bw))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"runtimeConfig.bandwidth must be an object");
	return parse_rate(bw, "ingressRate", "ingressBurst", &c->bw_in_rate,
			  &c->bw_in_burst) ?:
	       parse_rate(bw, "egressRate", "egressBurst", &c->bw_eg_rate,
			  &c->bw_eg_burst);
}

static int parse_fields(struct cni_conf *c, enum cni_cmd cmd)
{
	json_t *v, *ipam;

	v = json_object_get(c->root, "cniVersion");
	if (!json_is_string(v))
		return cni_fail(CNI_ERR_VERSION, NULL,
				"\"cniVersion\" %s (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
				v ? "must be a string" : "is missing");
	c->version = json_string_value(v);
	if (cni_version_index(c->version) < 0)
		return cni_fail(CNI_ERR_VERSION, NULL,
				"cniVersion \"%s\" is not supported (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)",
				c->version);
	if (get_str(c->root, "", "name", true, &c->name) ||
	    get_str(c->root, "", "type", true, &c->type))
		return -1;

	if (get_str(c->root, "", "logFile", false, &c->log_file))
		return -1;

	/*
	 * STATUS needs nothing else: it must not fail on an odd IPAM block,
	 * and asks the IPAM only when it can tell which one it is.
	 */
	if (cmd == CMD_STATUS) {
		ipam = json_object_get(c->root, "ipam");
		v = json_object_get(ipam, "type");
		if (json_is_string(v) && *json_string_value(v) &&
		    !strchr(json_string_value(v), '/'))
			c->ipam_type = json_string_value(v);
		return 0;
	}

	ipam = json_object_get(c->root, "ipam");
	if (!json_is_object(ipam))
		return cni_fail(CNI_ERR_CONFIG, NULL, "\"ipam\" %s",
				ipam ? "must be an object" : "is missing");
	if (get_str(ipam, "ipam.", "type", true, &c->ipam_type))
		return -1;
	if (strchr(c->ipam_type, '/'))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"ipam.type '%s' must be a plugin name, not a path",
				c->ipam_type);

	v = json_object_get(c->root, "mode");
	if (v && (!json_is_string(v) ||
		  (strcmp(json_string_value(v), "l3") &&
		   strcmp(json_string_value(v), "l2"))))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"\"mode\" must be \"l3\" or \"l2\"");
	c->l2 = v && !strcmp(json_string_value(v), "l2");

	v = json_object_get(c->root, "mtu");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 68 ||
		  json_integer_value(v) > 65535))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"\"mtu\" must be an integer from 68 to 65535");
	c->mtu = v ? json_integer_value(v) : 0;

	if (parse_bpf(c) || parse_bandwidth(c))
		return -1;

	if (get_str(c->root, "", "stateDir", false, &c->state_dir))
		return -1;
	if (c->state_dir && c->state_dir[0] != '/')
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"stateDir must be an absolute path, not '%s'",
				c->state_dir);

	/*
	 * ptp's ipMasq needs iptables rules of the plugin's own; meta leaves
	 * NAT to the node (kube-proxy, ip-masq-agent, portmap). Refused, not
	 * ignored: a pod that silently lacks its masquerade is worse.
	 */
	v = json_object_get(c->root, "ipMasq");
	if (v && !json_is_boolean(v))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"\"ipMasq\" must be true or false");
	if (cmd == CMD_ADD &&
	    (json_is_true(v) || json_object_get(c->root, "ipMasqBackend")))
		return cni_fail(CNI_ERR_INCOMPATIBLE, NULL,
				"ipMasq is not supported by meta: masquerade on the node (ip-masq-agent, an iptables/nft rule for the pod subnet); cni/README.md");

	v = json_object_get(c->root, "prevResult");
	if (v && !json_is_object(v))
		return cni_fail(CNI_ERR_CONFIG, NULL,
				"\"prevResult\" must be an object");
	c->prev_result = v;

	if (cmd == CMD_GC) {
		v = json_object_get(c->root, "cni.dev/valid-attachments");
		if (v && !json_is_array(v))
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"\"cni.dev/valid-attachments\" must be an array");
		c->valid_attachments = v;
	}
	return 0;
}

int conf_parse(struct cni_conf *c, const char *text, enum cni_cmd cmd)
{
	json_error_t jerr;

	memset(c, 0, sizeof(*c));
	c->root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!c->root)
		return cni_fail(CNI_ERR_DECODE, NULL,
				"config on stdin is not valid JSON: line %d column %d: %s",
				jerr.line, jerr.column, jerr.text);
	if (!json_is_object(c->root))
		return cni_fail(CNI_ERR_DECODE, NULL,
				"config on stdin must be a JSON object");
	return parse_fields(c, cmd);
}

void conf_free(struct cni_conf *c)
{
	json_decref(c->root);
	c->root = NULL;
}

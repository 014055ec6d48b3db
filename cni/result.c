// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses and results: parsing what IPAM (or prevResult) lists, and the
 * JSON we print, in the shape of the version the runtime asked for
 * (0.3.x/0.4.0 ips carry "version", 1.x do not; 1.1.0 interfaces carry
 * "mtu").
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta_cni.h"

int ip_parse_addr(const char *s, int *family, struct in6_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

int ip_parse_cidr(const char *s, struct cni_ip *ip)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long prefix;

	memset(ip, 0, sizeof(*ip));
	ip->iface = -1;
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (ip_parse_addr(buf, &ip->family, &ip->addr) < 0)
		return -1;
	prefix = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || prefix < 0 ||
	    prefix > (ip->family == AF_INET ? 32 : 128))
		return -1;
	ip->prefix = prefix;
	return 0;
}

void ip_format(int family, const struct in6_addr *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
}

void ip_network(const struct cni_ip *ip, struct in6_addr *net)
{
	int bytes = ip->family == AF_INET ? 4 : 16, i;
	struct in6_addr a = ip->addr;	/* net may be &ip->addr */
	unsigned char *n = net->s6_addr;

	memset(net, 0, sizeof(*net));
	memcpy(n, a.s6_addr, bytes);
	for (i = 0; i < bytes; i++) {
		int keep = ip->prefix - i * 8;

		if (keep <= 0)
			n[i] = 0;
		else if (keep < 8)
			n[i] &= 0xff << (8 - keep);
	}
}

int result_parse_ips(json_t *result, struct cni_ip *ips, int *nips)
{
	json_t *list = json_object_get(result, "ips"), *e, *v;
	struct cni_ip *ip;
	size_t i;
	int fam;

	*nips = 0;
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_fail(CNI_ERR_CONFIG, NULL, "result: \"ips\" must be an array");
	json_array_foreach(list, i, e) {
		if (*nips == CNI_MAX_IPS)
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"result: more than %d ips", CNI_MAX_IPS);
		ip = &ips[*nips];
		v = json_object_get(e, "address");
		if (!json_is_string(v) ||
		    ip_parse_cidr(json_string_value(v), ip) < 0)
			return cni_fail(CNI_ERR_CONFIG, NULL,
					"result: ips[%zu].address is not an ADDRESS/PREFIX",
					i);
		v = json_object_get(e, "gateway");
		if (v) {
			if (!json_is_string(v) ||
			    ip_parse_addr(json_string_value(v), &fam, &ip->gw) < 0 ||
			    fam != ip->family)
				return cni_fail(CNI_ERR_CONFIG, NULL,
						"result: ips[%zu].gateway is not an address of the same family",
						i);
			ip->has_gw = true;
		}
		v = json_object_get(e, "interface");
		if (json_is_integer(v))
			ip->iface = json_integer_value(v);
		(*nips)++;
	}
	return 0;
}

int ips_check_gateways(const struct cni_ip *ips, int nips)
{
	char a[INET6_ADDRSTRLEN];
	int i;

	for (i = 0; i < nips; i++) {
		ip_format(ips[i].family, &ips[i].addr, a, sizeof(a));
		if (!ips[i].has_gw)
			return cni_fail(CNI_ERR_CONFIG, "ipam",
					"IPAM gave %s/%d no gateway: the pod routes through one (set ipam's \"gateway\"; host-local's default is the subnet's first address)",
					a, ips[i].prefix);
		if (!memcmp(&ips[i].gw, &ips[i].addr, sizeof(ips[i].gw)))
			return cni_fail(CNI_ERR_CONFIG, "ipam",
					"IPAM gave %s/%d itself as its gateway",
					a, ips[i].prefix);
	}
	return 0;
}

/* An optional integer member from MIN to MAX; -1 if absent. */
static int route_int(json_t *r, const char *key, long min, long max,
		     long *out)
{
	json_t *v = json_object_get(r, key);

	*out = -1;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

int route_parse(json_t *r, size_t i, const char *details,
		struct cni_route *rt)
{
	const char *what = details ? "IPAM" : "prevResult";
	struct cni_ip dst;
	json_t *v;
	int fam;

	memset(rt, 0, sizeof(*rt));
	v = json_object_get(r, "dst");
	if (!json_is_string(v) || ip_parse_cidr(json_string_value(v), &dst) < 0)
		return cni_fail(CNI_ERR_CONFIG, details,
				"%s route %zu has no valid \"dst\"", what, i);
	rt->text = json_string_value(v);
	rt->family = dst.family;
	rt->prefix = dst.prefix;
	ip_network(&dst, &rt->dst);
	v = json_object_get(r, "gw");
	if (json_is_string(v) && *json_string_value(v)) {
		if (ip_parse_addr(json_string_value(v), &fam, &rt->gw) < 0 ||
		    fam != rt->family)
			return cni_fail(CNI_ERR_CONFIG, details,
					"%s route %s: \"gw\" is not an address of its family",
					what, rt->text);
		rt->has_gw = true;
	} else if (v && !json_is_null(v) && !json_is_string(v)) {
		return cni_fail(CNI_ERR_CONFIG, details,
				"%s route %s: \"gw\" must be a string", what,
				rt->text);
	}
	/* Ranges of the kernel's fields (table 0 is "unspecified": main). */
	if (route_int(r, "priority", 0, 0xffffffffL, &rt->priority) ||
	    route_int(r, "table", 0, 0xffffffffL, &rt->table) ||
	    route_int(r, "scope", 0, 255, &rt->scope) ||
	    route_int(r, "mtu", 0, 0xffffffffL, &rt->mtu) ||
	    route_int(r, "advmss", 0, 0xffffffffL, &rt->advmss))
		return cni_fail(CNI_ERR_CONFIG, details,
				"%s route %s: priority, table, mtu, advmss must be integers >= 0, scope 0 to 255",
				what, rt->text);
	return 0;
}

static json_t *iface_json(const char *version, const struct cni_iface *f)
{
	json_t *o = json_pack("{s:s}", "name", f->name);

	if (f->mac[0])
		json_object_set_new(o, "mac", json_string(f->mac));
	if (f->mtu && cni_version_cmp(version, "1.1.0") >= 0)
		json_object_set_new(o, "mtu", json_integer(f->mtu));
	if (f->sandbox)
		json_object_set_new(o, "sandbox", json_string(f->sandbox));
	return o;
}

json_t *result_build(const char *version, const struct cni_iface ifaces[2],
		     const struct cni_ip *ips, int nips, json_t *ipam_result)
{
	bool old = cni_version_cmp(version, "1.0.0") < 0;
	char a[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 8];
	json_t *res, *list, *o, *v;
	int i;

	res = json_pack("{s:s}", "cniVersion", version);
	list = json_array();
	json_array_append_new(list, iface_json(version, &ifaces[0]));
	json_array_append_new(list, iface_json(version, &ifaces[1]));
	json_object_set_new(res, "interfaces", list);

	list = json_array();
	for (i = 0; i < nips; i++) {
		ip_format(ips[i].family, &ips[i].addr, a, sizeof(a));
		snprintf(cidr, sizeof(cidr), "%s/%d", a, ips[i].prefix);
		ip_format(ips[i].family, &ips[i].gw, a, sizeof(a));
		/* The key order of libcni's types, so results compare as text. */
		o = json_object();
		if (old)
			json_object_set_new(o, "version", json_string(
				ips[i].family == AF_INET ? "4" : "6"));
		json_object_set_new(o, "interface", json_integer(1));
		json_object_set_new(o, "address", json_string(cidr));
		json_object_set_new(o, "gateway", json_string(a));
		json_array_append_new(list, o);
	}
	json_object_set_new(res, "ips", list);

	v = json_object_get(ipam_result, "routes");
	if (json_is_array(v) && json_array_size(v))
		json_object_set_new(res, "routes", json_deep_copy(v));
	/* Always there, as in the reference plugins' results. */
	v = json_object_get(ipam_result, "dns");
	json_object_set_new(res, "dns",
			    json_is_object(v) ? json_deep_copy(v) : json_object());
	return res;
}

int result_print(json_t *j)
{
	int ret;

	if (!j)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	ret = json_dumpf(j, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (ret < 0)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "cannot write the result");
	fputc('\n', stdout);
	return 0;
}

void result_print_error(const char *version)
{
	json_t *e, *utf8;
	char *c;

	/* JSON strings are UTF-8; a path in a message may not be. */
	utf8 = json_string(cni_err.msg);
	if (!utf8)
		for (c = cni_err.msg; *c; c++)
			if (*c & 0x80)
				*c = '?';
	json_decref(utf8);
	e = json_pack("{s:s, s:i, s:s}", "cniVersion",
		      version ? version : CNI_VERSION_LATEST,
		      "code", cni_err.code, "msg", cni_err.msg);
	if (e && cni_err.details[0])
		json_object_set_new(e, "details", json_string(cni_err.details));
	/* Whatever went to stdout before the failure is not a result. */
	fflush(stdout);
	if (e)
		json_dumpf(e, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(e);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * meta CNI plugin: entry point. Reads the environment and the config on
 * stdin, runs the command, prints the result or the error on stdout
 * (README.md is the contract). Logs go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meta_cni.h"

struct cni_error cni_err;
const struct cni_env *cni_env;
/* The config's logFile, opened once it is known; -1: none. */
static int log_fd = -1;

int cni_fail(int code, const char *details, const char *fmt, ...)
{
	va_list ap;

	/* The first failure is what the runtime hears about. */
	if (cni_err.code)
		return -1;
	cni_err.code = code;
	va_start(ap, fmt);
	vsnprintf(cni_err.msg, sizeof(cni_err.msg), fmt, ap);
	va_end(ap);
	snprintf(cni_err.details, sizeof(cni_err.details), "%s",
		 details ? details : "");
	return -1;
}

/*
 * "meta: [NAMESPACE/POD] MESSAGE" on stderr, and with a time stamp, the
 * command and the container id in the log file when there is one.
 */
void cni_log(const char *fmt, ...)
{
	const struct cni_env *e = cni_env;
	char msg[1536], pod[520] = "", stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e && *e->pod_name)
		snprintf(pod, sizeof(pod), "[%s/%s] ", e->pod_ns, e->pod_name);
	fprintf(stderr, "meta: %s%s\n", pod, msg);
	if (log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line: concurrent plugins do not interleave. */
	dprintf(log_fd, "%s.%03ldZ %d %s %.12s %s%s\n", stamp,
		ts.tv_nsec / 1000000, (int)getpid(),
		e && e->command ? e->command : "-",
		e && e->containerid ? e->containerid : "-", pod, msg);
}

static void log_open(const char *path)
{
	if (!path)
		return;
	log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log_fd < 0)
		cni_log("warning: log file %s: %s", path, strerror(errno));
}

/* K8S_POD_NAMESPACE and K8S_POD_NAME from "K1=V1;K2=V2" (CNI_ARGS). */
static void args_parse(struct cni_env *env)
{
	const char *p = env->args, *end, *eq;
	char *dst;
	size_t n;

	while (p && *p) {
		end = strchrnul(p, ';');
		eq = memchr(p, '=', end - p);
		dst = NULL;
		if (eq && eq - p == 17 && !strncmp(p, "K8S_POD_NAMESPACE", 17))
			dst = env->pod_ns;
		else if (eq && eq - p == 12 && !strncmp(p, "K8S_POD_NAME", 12))
			dst = env->pod_name;
		n = eq ? (size_t)(end - eq - 1) : 0;
		/* Kubernetes names: DNS labels/subdomains, nothing else. */
		if (dst && n && n < sizeof(env->pod_ns) &&
		    strspn(eq + 1, "abcdefghijklmnopqrstuvwxyz0123456789-.") >= n)
			snprintf(dst, sizeof(env->pod_ns), "%.*s", (int)n, eq + 1);
		p = *end ? end + 1 : end;
	}
	if (!*env->pod_ns || !*env->pod_name)
		env->pod_ns[0] = env->pod_name[0] = '\0';
}

static const struct {
	const char *name;
	enum cni_cmd cmd;
} commands[] = {
	{ "ADD", CMD_ADD }, { "DEL", CMD_DEL }, { "CHECK", CMD_CHECK },
	{ "GC", CMD_GC }, { "STATUS", CMD_STATUS }, { "VERSION", CMD_VERSION },
};

/* The CNI spec's rules: what the kernel would refuse, plus ':' (aliases). */
static bool ifname_valid(const char *s)
{
	if (!*s || strlen(s) > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Alphanumerics, '_', '.', '-', starting with an alphanumeric. */
static bool containerid_valid(const char *s)
{
	const char *p;

	if (!*s || !strchr("0123456789abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
		return false;
	for (p = s; *p; p++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-", *p))
			return false;
	return true;
}

static const char *env_get(const char *name, bool required)
{
	const char *v = getenv(name);

	if (v && !*v)
		v = NULL;
	if (!v && required)
		cni_fail(CNI_ERR_ENV, NULL, "%s is not set", name);
	return v;
}

static int env_parse(struct cni_env *env)
{
	enum cni_cmd c;
	bool add_check;
	size_t i;

	memset(env, 0, sizeof(*env));
	env->command = env_get("CNI_COMMAND", true);
	if (!env->command)
		return -1;
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(env->command, commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands))
		return cni_fail(CNI_ERR_ENV, NULL,
				"CNI_COMMAND '%s' is not one of ADD, DEL, CHECK, GC, STATUS, VERSION",
				env->command);
	env->cmd = c = commands[i].cmd;
	env->args = env_get("CNI_ARGS", false);
	args_parse(env);
	if (c == CMD_VERSION)
		return 0;
	/* STATUS asks the IPAM when it can find it. */
	if (c == CMD_STATUS) {
		env->path = env_get("CNI_PATH", false);
		return 0;
	}

	env->path = env_get("CNI_PATH", true);
	if (!env->path)
		return -1;
	if (c == CMD_GC)
		return 0;

	add_check = c == CMD_ADD || c == CMD_CHECK;
	env->containerid = env_get("CNI_CONTAINERID", true);
	env->netns = env_get("CNI_NETNS", add_check);
	env->ifname = env_get("CNI_IFNAME", true);
	if (!env->containerid || (add_check && !env->netns) || !env->ifname)
		return -1;
	if (!containerid_valid(env->containerid))
		return cni_fail(CNI_ERR_ENV, NULL,
				"CNI_CONTAINERID '%s' is invalid: letters, digits, '_.-', starting with a letter or digit",
				env->containerid);
	if (!ifname_valid(env->ifname))
		return cni_fail(CNI_ERR_ENV, NULL,
				"CNI_IFNAME '%s' is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)",
				env->ifname);
	return 0;
}

static char *read_stdin(void)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size), *n;
	ssize_t r;

	while (buf) {
		if (len + 1 >= size) {
			n = realloc(buf, size *= 2);
			if (!n)
				break;
			buf = n;
		}
		r = read(STDIN_FILENO, buf + len, size - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				cni_log("reading stdin: %s", strerror(errno));
			buf[len] = '\0';
			return buf;
		}
		len += r;
	}
	free(buf);
	return NULL;
}

/* The version an error is reported in: the config's if we can speak it. */
static const char *error_version(const char *text)
{
	static char v[16];
	json_t *root, *jv;

	root = json_loads(text, 0, NULL);
	jv = json_object_get(root, "cniVersion");
	if (json_is_string(jv) && cni_version_index(json_string_value(jv)) >= 0)
		snprintf(v, sizeof(v), "%s", json_string_value(jv));
	else
		snprintf(v, sizeof(v), "%s", CNI_VERSION_LATEST);
	json_decref(root);
	return v;
}

/*
 * VERSION answers in the version asked for; no or an unknown cniVersion
 * gets the latest, so that a runtime can always learn what we support.
 */
static int cmd_version(const char *text)
{
	const char *v = error_version(text);
	json_t *out, *list;
	size_t i;

	list = json_array();
	for (i = 0; i < cni_nversions; i++)
		json_array_append_new(list, json_string(cni_versions[i]));
	out = json_pack("{s:s, s:o}", "cniVersion", v, "supportedVersions",
			list);
	return result_print(out);
}

/* GC and STATUS exist since 1.1.0; older configs must not use them. */
static int need_11(const struct cni_conf *conf, const char *cmd)
{
	if (cni_version_cmp(conf->version, "1.1.0") < 0)
		return cni_fail(CNI_ERR_VERSION, NULL,
				"%s needs cniVersion 1.1.0 (config has %s)",
				cmd, conf->version);
	return 0;
}

static int run(const struct cni_env *env, const char *text)
{
	struct cni_conf conf;
	int ret;

	if (conf_parse(&conf, text, env->cmd) < 0) {
		conf_free(&conf);
		return -1;
	}
	log_open(conf.log_file);
	switch (env->cmd) {
	case CMD_ADD:
		ret = cmd_add(&conf, env);
		break;
	case CMD_DEL:
		ret = cmd_del(&conf, env);
		break;
	case CMD_CHECK:
		ret = cmd_check(&conf, env);
		break;
	case CMD_GC:
		ret = need_11(&conf, "GC") ?: cmd_gc(&conf, env);
		break;
	case CMD_STATUS:
		ret = need_11(&conf, "STATUS") ?: cmd_status(&conf, env);
		break;
	default:
		ret = cni_fail(CNI_ERR_INTERNAL, NULL, "unreachable");
		break;
	}
	conf_free(&conf);
	return ret;
}

/*
 * `meta setup [FILE]`: the node's boot step (cni/node/): every meta
 * plugin config in FILE (a conflist or one config; stdin without FILE)
 * gets bpf_node_setup() with its pods restored from the records.
 */
static int setup(int argc, char **argv)
{
	static struct cni_env env = { .cmd = CMD_SETUP, .command = "SETUP" };
	json_t *root, *plugins, *p, *one;
	struct cni_conf conf;
	json_error_t jerr;
	int ret = 0, n = 0;
	char *text;
	size_t i;

	cni_env = &env;
	if (argc > 3 || (argc == 3 && !strcmp(argv[2], "--help"))) {
		fprintf(stderr, "usage: meta setup [CONFLIST|CONFIG]\n"
			"Restores the node's meta state (maps, NIC programs, pods) as the\n"
			"meta plugin configs in the file (stdin without one) describe it.\n");
		return 2;
	}
	root = argc == 3 ? json_load_file(argv[2], 0, &jerr) :
			   json_loadf(stdin, 0, &jerr);
	if (!json_is_object(root)) {
		cni_log("setup: %s: %s", argc == 3 ? argv[2] : "stdin",
			root ? "not a JSON object" : jerr.text);
		json_decref(root);
		return 1;
	}
	plugins = json_object_get(root, "plugins");
	if (!json_is_array(plugins)) {
		plugins = json_array();
		json_array_append(plugins, root);
	} else {
		json_incref(plugins);
	}
	json_array_foreach(plugins, i, p) {
		if (!json_is_string(json_object_get(p, "type")) ||
		    strcmp(json_string_value(json_object_get(p, "type")), "meta"))
			continue;
		one = json_deep_copy(p);
		json_object_set(one, "name", json_object_get(root, "name") ?:
			json_object_get(p, "name"));
		json_object_set(one, "cniVersion",
				json_object_get(root, "cniVersion") ?:
				json_object_get(p, "cniVersion"));
		text = json_dumps(one, JSON_COMPACT);
		json_decref(one);
		memset(&cni_err, 0, sizeof(cni_err));
		if (!text || conf_parse(&conf, text, CMD_SETUP) ||
		    bpf_node_setup(&conf, true)) {
			cni_log("setup of %s failed: %s",
				conf.name ? conf.name : "?", cni_err.msg);
			ret = 1;
		} else {
			cni_log("setup of network %s done", conf.name);
		}
		n++;
		conf_free(&conf);
		free(text);
	}
	json_decref(plugins);
	json_decref(root);
	if (!n) {
		cni_log("setup: no meta plugin config in %s",
			argc == 3 ? argv[2] : "stdin");
		return 1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct cni_env env;
	char *text;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "setup"))
		return setup(argc, argv);

	/* Results must reach stdout whole even if we die right after. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	text = read_stdin();
	if (!text) {
		cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory reading stdin");
		result_print_error(NULL);
		return 1;
	}
	ret = env_parse(&env);
	cni_env = &env;
	if (!ret)
		ret = env.cmd == CMD_VERSION ? cmd_version(text) :
					       run(&env, text);
	if (ret < 0) {
		if (!cni_err.code)
			cni_fail(CNI_ERR_INTERNAL, NULL, "failed without a reason");
		cni_log("%s%s%s", cni_err.msg, *cni_err.details ? ": " : "",
			cni_err.details);
		result_print_error(error_version(text));
	}
	free(text);
	if (log_fd >= 0)
		close(log_fd);
	fflush(stdout);
	return ret < 0 ? 1 : 0;
}

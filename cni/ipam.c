// SPDX-License-Identifier: GPL-2.0
/*
 * Delegation to the IPAM plugin, the way libcni's invoke does it: the
 * executable named by ipam.type is looked up in CNI_PATH and run with our
 * environment (CNI_COMMAND set to what we want from it) and the network
 * config on stdin; its stdout is the result or an error.
 *
 * IPAM plugins may be older than our config: Debian's host-local knows up
 * to 1.0.0. ipam_negotiate() asks it VERSION and passes the config in the
 * highest version both know, as the spec lets a plugin do for delegates.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "meta_cni.h"

int ipam_find(struct ipam *ipam, const struct cni_conf *conf,
	      const struct cni_env *env)
{
	const char *p = env->path, *end;
	size_t len;

	memset(ipam, 0, sizeof(*ipam));
	snprintf(ipam->version, sizeof(ipam->version), "%s", conf->version);
	while (p && *p) {
		end = strchrnul(p, ':');
		len = end - p;
		if (len && snprintf(ipam->path, sizeof(ipam->path), "%.*s/%s",
				    (int)len, p, conf->ipam_type) <
			   (int)sizeof(ipam->path) &&
		    access(ipam->path, X_OK) == 0)
			return 0;
		p = *end ? end + 1 : end;
	}
	ipam->path[0] = '\0';
	return cni_fail(CNI_ERR_NO_IPAM, NULL,
			"IPAM plugin \"%s\" not found in CNI_PATH %s",
			conf->ipam_type, env->path);
}

/* A memfd holding TEXT, positioned at its start: the child's stdin. */
static int stdin_fd(const char *text)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd;

	fd = memfd_create("meta-cni-stdin", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err;
		off += n;
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		return fd;
err:
	close(fd);
	return -1;
}

/*
 * Runs PATH with env overrides (NAME=VALUE, NULL value: unset) and INPUT
 * on stdin. Returns its exit status (or -1, recorded) and its stdout in
 * *out (malloc'd, NUL-terminated).
 */
static int run_plugin(const char *path, const char *input,
		      const char *const *env_set, char **out)
{
	size_t len = 0, size = 4096;
	int in, pipefd[2], status, i;
	char *buf, *n;
	ssize_t r;
	pid_t pid;

	*out = NULL;
	in = stdin_fd(input);
	if (in < 0)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "IPAM stdin: %s",
				strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(in);
		return cni_fail(CNI_ERR_INTERNAL, NULL, "pipe: %s",
				strerror(errno));
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (i = 0; env_set[i]; i += 2) {
			if (env_set[i + 1])
				setenv(env_set[i], env_set[i + 1], 1);
			else
				unsetenv(env_set[i]);
		}
		if (dup2(in, STDIN_FILENO) < 0 ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(path, path, (char *)NULL);
		fprintf(stderr, "meta: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(in);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return cni_fail(CNI_ERR_INTERNAL, NULL, "fork: %s",
				strerror(errno));
	}

	buf = malloc(size);
	while (buf) {
		if (len + 1 >= size) {
			n = realloc(buf, size *= 2);
			if (!n) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
		}
		r = read(pipefd[0], buf + len, size - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += r;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	buf[len] = '\0';
	*out = buf;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The config as the IPAM gets it: ours with cniVersion = the agreed one. */
static char *ipam_input(const struct ipam *ipam, const struct cni_conf *conf)
{
	json_t *copy = json_copy(conf->root);
	char *s;

	if (!copy)
		return NULL;
	json_object_set_new(copy, "cniVersion", json_string(ipam->version));
	s = json_dumps(copy, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(copy);
	return s;
}

/* Records the IPAM's error: its code and msg, details "ipam". */
static int ipam_error(const struct ipam *ipam, const char *cmd, int status,
		      const char *out)
{
	json_t *e = json_loads(out, 0, NULL);
	json_t *code = json_object_get(e, "code");
	json_t *msg = json_object_get(e, "msg");
	json_t *details = json_object_get(e, "details");

	if (json_is_integer(code) && json_integer_value(code) > 0 &&
	    json_is_string(msg)) {
		if (json_is_string(details) && *json_string_value(details))
			cni_log("IPAM %s %s: details: %s", ipam->path, cmd,
				json_string_value(details));
		cni_fail(json_integer_value(code), "ipam", "%s",
			 json_string_value(msg));
	} else {
		cni_fail(CNI_ERR_INTERNAL, "ipam",
			 "IPAM plugin %s %s failed (exit status %d): %.300s",
			 ipam->path, cmd, status, out);
	}
	json_decref(e);
	return -1;
}

/* Asks the IPAM VERSION and settles on the highest version both know. */
static int ask_version(struct ipam *ipam, const struct cni_conf *conf)
{
	const char *const env_set[] = { "CNI_COMMAND", "VERSION", NULL };
	json_t *res = NULL, *list, *v;
	const char *best = NULL;
	char *in, *out = NULL;
	int status, ret = -1;
	size_t i;

	res = json_pack("{s:s}", "cniVersion", conf->version);
	in = json_dumps(res, JSON_COMPACT);
	json_decref(res);
	res = NULL;
	if (!in)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	status = run_plugin(ipam->path, in, env_set, &out);
	free(in);
	if (status < 0)
		goto out;
	if (status) {
		ipam_error(ipam, "VERSION", status, out);
		goto out;
	}
	res = json_loads(out, 0, NULL);
	list = json_object_get(res, "supportedVersions");
	/* Unknown answer: assume the IPAM speaks what we were given. */
	if (!json_is_array(list)) {
		ret = 0;
		goto out;
	}
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s && cni_version_cmp(s, conf->version) <= 0 &&
		    (!best || cni_version_cmp(s, best) > 0))
			best = s;
	}
	if (!best || cni_version_cmp(best, "0.3.0") < 0) {
		cni_fail(CNI_ERR_VERSION, "ipam",
			 "IPAM plugin %s supports no version we can use with cniVersion %s",
			 ipam->path, conf->version);
		goto out;
	}
	snprintf(ipam->version, sizeof(ipam->version), "%s", best);
	ret = 0;
out:
	ipam->negotiated = true;
	json_decref(res);
	free(out);
	return ret;
}

/*
 * Every exec costs (a Go IPAM: ~10 ms natively, far more under emulation),
 * so VERSION is asked up front only for configs newer than what IPAM
 * plugins commonly know (1.1.0: Debian's host-local rejects it); older
 * ones go straight to the IPAM, and ipam_exec() negotiates only if the
 * IPAM answers "incompatible version" (code 1).
 */
int ipam_negotiate(struct ipam *ipam, const struct cni_conf *conf)
{
	if (cni_version_cmp(conf->version, "1.0.0") <= 0)
		return 0;
	return ask_version(ipam, conf);
}

/* The IPAM's error code in OUT, 0 if there is none. */
static int error_code(const char *out)
{
	json_t *e = json_loads(out, 0, NULL);
	json_t *code = json_object_get(e, "code");
	int c = json_is_integer(code) ? json_integer_value(code) : 0;

	json_decref(e);
	return c;
}

int ipam_exec(struct ipam *ipam, const struct cni_conf *conf,
	      const char *command, const char *containerid,
	      const char *ifname, json_t **result)
{
	/* GC runs DEL for attachments of other containers, without netns. */
	const char *const env_gc[] = {
		"CNI_COMMAND", command, "CNI_CONTAINERID", containerid,
		"CNI_IFNAME", ifname, "CNI_NETNS", NULL, NULL,
	};
	const char *const env_plain[] = { "CNI_COMMAND", command, NULL };
	json_error_t jerr;
	char *in, *out;
	int status;

	char tried[sizeof(ipam->version)];

	*result = NULL;
again:
	in = ipam_input(ipam, conf);
	if (!in)
		return cni_fail(CNI_ERR_INTERNAL, NULL, "out of memory");
	status = run_plugin(ipam->path, in, containerid ? env_gc : env_plain,
			    &out);
	free(in);
	if (status < 0)
		return -1;
	if (status && !ipam->negotiated &&
	    error_code(out) == CNI_ERR_VERSION) {
		memcpy(tried, ipam->version, sizeof(tried));
		if (ask_version(ipam, conf)) {
			free(out);
			return -1;
		}
		/* Retry once, if there is another version to try. */
		if (strcmp(tried, ipam->version)) {
			free(out);
			goto again;
		}
	}
	if (status) {
		ipam_error(ipam, command, status, out);
		free(out);
		return -1;
	}
	if (out[strspn(out, " \t\r\n")]) {
		*result = json_loads(out, 0, &jerr);
		if (!*result) {
			cni_fail(CNI_ERR_INTERNAL, "ipam",
				 "IPAM plugin %s %s printed no JSON: %s",
				 ipam->path, command, jerr.text);
			free(out);
			return -1;
		}
	}
	free(out);
	return 0;
}

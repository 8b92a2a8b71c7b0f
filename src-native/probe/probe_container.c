/* probe "container": are we inside a container, which engine made it, and
 * the evidence for the answer. Detection is heuristic by nature, so every
 * clue that counted is listed. */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVIDENCE 16

struct verdict {
	const char *kind;                 /* first strong clue wins */
	int strong;                       /* clues that alone mean "container" */
	char evidence[MAX_EVIDENCE][200];
	int n;
};

static __attribute__((format(printf, 4, 5))) void
add(struct verdict *v, int strong, const char *kind, const char *fmt, ...)
{
	if (v->n < MAX_EVIDENCE) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->evidence[v->n], sizeof(v->evidence[0]), fmt, ap);
		va_end(ap);
		v->n++;
	}
	if (strong) {
		v->strong++;
		if (!v->kind && kind)
			v->kind = kind;
	}
}

static const char *kind_from_env(const char *value)
{
	static const char *const known[] = { "docker", "podman", "lxc",
					     "systemd-nspawn" };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(value, known[i]) == 0)
			return known[i];
	return "unknown";
}

/* container=<engine> in pid 1's environment is the convention systemd
 * documents; systemd copies it to /run/systemd/container, which stays
 * readable when /proc/1/environ is not (it needs ptrace access to pid 1). */
static void check_container_env(struct verdict *v)
{
	char *env;
	size_t len;
	char value[128];

	if (sbx_probe_read_file("/proc/1/environ", &env, &len) == 0) {
		for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
			if (strncmp(env + i, "container=", 10) == 0) {
				const char *val = env + i + 10;
				add(v, 1, kind_from_env(val),
				    "/proc/1/environ: container=%s", val);
				break;
			}
		}
		free(env);
		return;
	}
	if (sbx_probe_read_small("/run/systemd/container", value,
				 sizeof(value)) > 0)
		add(v, 1, kind_from_env(value), "/run/systemd/container: %s",
		    value);
}

static void check_files(struct verdict *v)
{
	if (access("/run/.containerenv", F_OK) == 0)
		add(v, 1, "podman", "%s exists", "/run/.containerenv");
	if (access("/.dockerenv", F_OK) == 0)
		add(v, 1, "docker", "%s exists", "/.dockerenv");
}

static void check_cgroup(struct verdict *v)
{
	static const struct {
		const char *needle;
		const char *kind;
	} marks[] = {
		{ "/docker/", "docker" },
		{ "docker-", "docker" },
		{ "libpod", "podman" },
		{ "/lxc/", "lxc" },
		{ "lxc.payload", "lxc" },
		{ "systemd-nspawn", "systemd-nspawn" },
		{ "kubepods", "unknown" },
	};
	char *buf;

	if (sbx_probe_read_file("/proc/1/cgroup", &buf, NULL) != 0)
		return;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(buf, marks[i].needle)) {
			add(v, 1, marks[i].kind, "/proc/1/cgroup mentions \"%s\"",
			    marks[i].needle);
			break;
		}
	free(buf);
}

/* The root mount's filesystem type, and the files engines bind-mount into
 * every container from their own state directories. */
static void check_mountinfo(struct verdict *v)
{
	char *buf;

	if (sbx_probe_read_file("/proc/self/mountinfo", &buf, NULL) != 0)
		return;
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char root[512], point[512], fstype[64];
		const char *sep = strstr(line, " - ");
		if (!sep ||
		    sscanf(line, "%*s %*s %*s %511s %511s", root, point) != 2 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(point, "/") == 0 && strcmp(fstype, "overlay") == 0)
			/* weak: live systems boot on overlay roots too */
			add(v, 0, NULL, "%s", "root filesystem is overlay");
		if (strcmp(point, "/etc/hostname") == 0 ||
		    strcmp(point, "/etc/resolv.conf") == 0) {
			if (strstr(root, "/docker/containers/"))
				add(v, 1, "docker", "%s is bind-mounted from "
				    "docker's container directory", point);
			else if (strstr(root, "/containers/storage/") ||
				 strstr(root, "/userdata/"))
				add(v, 1, "podman", "%s is bind-mounted from "
				    "podman's container storage", point);
		}
	}
	free(buf);
}

void sbx_probe_container(struct sbx_jsonw *w)
{
	struct verdict *v = calloc(1, sizeof(*v));

	sbx_jsonw_key(w, "container");
	if (!v) {
		sbx_jsonw_null(w);
		return;
	}
	check_container_env(v);
	check_files(v);
	check_cgroup(v);
	check_mountinfo(v);

	sbx_jsonw_object_begin(w);
	sbx_jsonw_kv_bool(w, "detected", v->strong > 0);
	if (v->strong > 0)
		sbx_jsonw_kv_string(w, "kind", v->kind ? v->kind : "unknown");
	else
		sbx_jsonw_kv_null_reason(w, "kind", "no container detected");
	sbx_jsonw_key(w, "evidence");
	sbx_jsonw_array_begin(w);
	for (int i = 0; i < v->n; i++)
		sbx_jsonw_string(w, v->evidence[i]);
	sbx_jsonw_array_end(w);
	sbx_jsonw_object_end(w);
	free(v);
}

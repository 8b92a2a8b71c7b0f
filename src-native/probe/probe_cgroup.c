/* probe "cgroup": which cgroup hierarchies are mounted, where this process
 * sits in them, and where it may create child cgroups (tried: mkdir+rmdir). */
#include "probe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ENTRIES 64

struct cg_mount {
	const char *root;        /* cgroup path shown at the mount point */
	const char *point;       /* mount point */
	const char *opts;        /* super options (v1: the controllers) */
	int v2;
};

struct cg_self {
	long id;                 /* hierarchy id, 0 for v2 */
	const char *controllers; /* comma list, "" for v2 */
	const char *path;
};

struct cg_info {
	char *mountinfo;         /* owned buffers the pointers refer to */
	char *self_buf;
	struct cg_mount mounts[MAX_ENTRIES];
	size_t nmounts;
	struct cg_self self[MAX_ENTRIES];
	size_t nself;
	int mountinfo_err;
	int self_err;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
}

static char *next_field(char **cursor)
{
	char *s = *cursor;
	while (*s == ' ')
		s++;
	if (!*s)
		return NULL;
	char *start = s;
	while (*s && *s != ' ')
		s++;
	if (*s)
		*s++ = '\0';
	*cursor = s;
	return start;
}

static void parse_mountinfo(struct cg_info *ci)
{
	int r = sbx_probe_read_file("/proc/self/mountinfo", &ci->mountinfo, NULL);
	if (r < 0) {
		ci->mountinfo_err = -r;
		return;
	}
	char *line = ci->mountinfo;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *cur = line;
		char *f[5], *fstype = NULL, *opts = NULL;
		int ok = 1;
		for (int i = 0; i < 5 && ok; i++)
			ok = (f[i] = next_field(&cur)) != NULL;
		/* optional fields up to the "-" separator */
		char *sep = NULL;
		while (ok && (sep = next_field(&cur)) && strcmp(sep, "-") != 0)
			;
		if (ok && sep) {
			fstype = next_field(&cur);
			(void)next_field(&cur);          /* source */
			opts = next_field(&cur);
		}
		if (fstype && opts && ci->nmounts < MAX_ENTRIES &&
		    (strcmp(fstype, "cgroup") == 0 ||
		     strcmp(fstype, "cgroup2") == 0)) {
			struct cg_mount *m = &ci->mounts[ci->nmounts++];
			unescape(f[3]);
			unescape(f[4]);
			m->root = f[3];
			m->point = f[4];
			m->opts = opts;
			m->v2 = strcmp(fstype, "cgroup2") == 0;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static void parse_self(struct cg_info *ci)
{
	int r = sbx_probe_read_file("/proc/self/cgroup", &ci->self_buf, NULL);
	if (r < 0) {
		ci->self_err = -r;
		return;
	}
	char *line = ci->self_buf;
	while (line && *line && ci->nself < MAX_ENTRIES) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		/* "id:controllers:path"; the path may itself contain ':' */
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2) {
			*c1 = *c2 = '\0';
			struct cg_self *s = &ci->self[ci->nself++];
			s->id = strtol(line, NULL, 10);
			s->controllers = c1 + 1;
			s->path = c2 + 1;
		}
		line = nl ? nl + 1 : NULL;
	}
}

static int has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	const char *p = list;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, tok, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* A v1 hierarchy's mount: its super options name all its controllers. */
static const struct cg_mount *v1_mount_for(const struct cg_info *ci,
					   const char *controllers)
{
	for (size_t i = 0; i < ci->nmounts; i++) {
		const struct cg_mount *m = &ci->mounts[i];
		if (m->v2)
			continue;
		int all = 1;
		const char *p = controllers;
		while (all && p && *p) {
			char tok[64];
			const char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			if (len >= sizeof(tok))
				all = 0;
			else {
				memcpy(tok, p, len);
				tok[len] = '\0';
				all = has_token(m->opts, tok);
			}
			p = end ? end + 1 : NULL;
		}
		if (all)
			return m;
	}
	return NULL;
}

static const struct cg_mount *v2_mount(const struct cg_info *ci)
{
	for (size_t i = 0; i < ci->nmounts; i++)
		if (ci->mounts[i].v2)
			return &ci->mounts[i];
	return NULL;
}

/* The directory of our own cgroup under mount m, or -ENOENT when our
 * cgroup lies outside what the mount shows (a bind of a sub-tree). */
static int own_dir(const struct cg_mount *m, const char *path, char *buf,
		   size_t size)
{
	size_t rl = strlen(m->root);
	const char *rest;
	/* outside our cgroup namespace the kernel shows "/.." paths */
	if (strstr(path, "/..") != NULL)
		return -ENOENT;
	if (strcmp(m->root, "/") == 0)
		rest = path;
	else if (strncmp(path, m->root, rl) == 0 &&
		 (path[rl] == '/' || path[rl] == '\0'))
		rest = path + rl;
	else
		return -ENOENT;
	int n = snprintf(buf, size, "%s%s", m->point,
			 strcmp(rest, "/") == 0 ? "" : rest);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* mkdir+rmdir a uniquely named child; 1 = we may, 0 = we may not,
 * -errno = cannot tell. */
static int try_mkdir(const char *dir)
{
	char path[PATH_MAX];
	/* the thread id makes the name unique among concurrent probes */
	int n = snprintf(path, sizeof(path), "%s/sbx-probe-%ld", dir,
			 (long)syscall(SYS_gettid));
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (mkdir(path, 0755) != 0) {
		int e = errno;
		if (e == EACCES || e == EPERM || e == EROFS)
			return 0;
		return -e;
	}
	/* empty and never entered by a task, so rmdir cannot fail for a
	 * reason we could act on */
	(void)rmdir(path);
	return 1;
}

static void write_delegated(struct sbx_jsonw *w, const char *key,
			    const struct cg_mount *m, const char *path,
			    const char *missing)
{
	char dir[PATH_MAX], reason[PATH_MAX + 64];

	if (!m) {
		sbx_jsonw_kv_null_reason(w, key, missing);
		return;
	}
	int r = own_dir(m, path, dir, sizeof(dir));
	if (r < 0) {
		snprintf(reason, sizeof(reason),
			 "own cgroup %s is not visible under %s", path, m->point);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	r = try_mkdir(dir);
	if (r < 0) {
		sbx_probe_reason_errno(reason, sizeof(reason), dir, -r);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	sbx_jsonw_kv_bool(w, key, r == 1);
}

static const struct cg_self *self_for(const struct cg_info *ci,
				      const char *controller)
{
	for (size_t i = 0; i < ci->nself; i++) {
		if (controller == NULL && ci->self[i].id == 0 &&
		    ci->self[i].controllers[0] == '\0')
			return &ci->self[i];
		if (controller && ci->self[i].id != 0 &&
		    has_token(ci->self[i].controllers, controller))
			return &ci->self[i];
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_v1_controllers(struct sbx_jsonw *w, struct cg_info *ci)
{
	/* the controllers of every v1 line, cut into names in a scratch
	 * buffer (the parsed lines stay intact for "self") */
	const char *names[MAX_ENTRIES * 2];
	size_t n = 0;
	char scratch[4096];
	size_t used = 0;

	for (size_t i = 0; i < ci->nself; i++) {
		if (ci->self[i].id == 0)
			continue;
		const char *p = ci->self[i].controllers;
		while (p && *p) {
			const char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			/* "name=systemd" is a named hierarchy, no controller */
			if (strncmp(p, "name=", 5) != 0 && len &&
			    used + len + 1 <= sizeof(scratch) &&
			    n < sizeof(names) / sizeof(names[0])) {
				memcpy(scratch + used, p, len);
				scratch[used + len] = '\0';
				names[n++] = scratch + used;
				used += len + 1;
			}
			p = end ? end + 1 : NULL;
		}
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	sbx_jsonw_key(w, "v1Controllers");
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < n; i++)
		sbx_jsonw_string(w, names[i]);
	sbx_jsonw_array_end(w);
}

static void write_v2_controllers(struct sbx_jsonw *w, const struct cg_info *ci,
				 const struct cg_mount *v2)
{
	const char *key = "v2Controllers";
	const struct cg_self *s = self_for(ci, NULL);
	char dir[PATH_MAX], path[PATH_MAX + 32], reason[PATH_MAX + 64];
	char *buf;

	if (!v2) {
		sbx_jsonw_kv_null_reason(w, key, "no cgroup2 filesystem mounted");
		return;
	}
	if (!s || own_dir(v2, s->path, dir, sizeof(dir)) < 0) {
		sbx_jsonw_kv_null_reason(w, key,
			"own cgroup v2 directory is not visible");
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	int r = sbx_probe_read_file(path, &buf, NULL);
	if (r < 0) {
		sbx_probe_reason_errno(reason, sizeof(reason), path, -r);
		sbx_jsonw_kv_null_reason(w, key, reason);
		return;
	}
	sbx_jsonw_key(w, key);
	sbx_jsonw_array_begin(w);
	char *cur = buf, *tok;
	while ((tok = strsep(&cur, " \n")) != NULL)
		if (*tok)
			sbx_jsonw_string(w, tok);
	sbx_jsonw_array_end(w);
	free(buf);
}

static void write_self(struct sbx_jsonw *w, const struct cg_info *ci)
{
	char reason[128];
	if (ci->self_err) {
		sbx_probe_reason_errno(reason, sizeof(reason), "/proc/self/cgroup",
				       ci->self_err);
		sbx_jsonw_kv_null_reason(w, "self", reason);
		return;
	}
	sbx_jsonw_key(w, "self");
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < ci->nself; i++) {
		sbx_jsonw_object_begin(w);
		sbx_jsonw_kv_int(w, "id", ci->self[i].id);
		sbx_jsonw_key(w, "controllers");
		sbx_jsonw_array_begin(w);
		const char *p = ci->self[i].controllers;
		while (p && *p) {
			const char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			sbx_jsonw_string_n(w, p, len);
			p = end ? end + 1 : NULL;
		}
		sbx_jsonw_array_end(w);
		sbx_jsonw_kv_string(w, "path", ci->self[i].path);
		sbx_jsonw_object_end(w);
	}
	sbx_jsonw_array_end(w);
}

void sbx_probe_cgroup(struct sbx_jsonw *w)
{
	static const char *const v1_keys[] = { "memory", "pids", "cpu" };
	struct cg_info *ci = calloc(1, sizeof(*ci));
	char reason[160];

	sbx_jsonw_key(w, "cgroup");
	if (!ci) {
		sbx_jsonw_null(w);      /* and the writer is out of memory too */
		return;
	}
	parse_mountinfo(ci);
	parse_self(ci);
	sbx_jsonw_object_begin(w);

	const struct cg_mount *v2 = v2_mount(ci);
	int has_v1 = 0;
	for (size_t i = 0; i < ci->nself; i++)
		if (ci->self[i].id != 0 &&
		    strncmp(ci->self[i].controllers, "name=", 5) != 0 &&
		    v1_mount_for(ci, ci->self[i].controllers))
			has_v1 = 1;
	if (ci->mountinfo_err) {
		sbx_probe_reason_errno(reason, sizeof(reason),
				       "/proc/self/mountinfo", ci->mountinfo_err);
		sbx_jsonw_kv_null_reason(w, "layout", reason);
	} else
		sbx_jsonw_kv_string(w, "layout", has_v1 && v2 ? "hybrid" :
						 has_v1 ? "v1" : v2 ? "v2" : "none");
	if (v2)
		sbx_jsonw_kv_string(w, "v2Mount", v2->point);
	else
		sbx_jsonw_kv_null_reason(w, "v2Mount", ci->mountinfo_err ? reason :
					 "no cgroup2 filesystem mounted");
	write_v1_controllers(w, ci);
	write_v2_controllers(w, ci, v2);
	write_self(w, ci);

	sbx_jsonw_key(w, "delegated");
	sbx_jsonw_object_begin(w);
	const struct cg_self *s2 = self_for(ci, NULL);
	write_delegated(w, "v2", s2 ? v2 : NULL, s2 ? s2->path : "",
			v2 ? "no v2 entry in /proc/self/cgroup" :
			     "no cgroup2 filesystem mounted");
	sbx_jsonw_key(w, "v1");
	sbx_jsonw_object_begin(w);
	for (size_t i = 0; i < sizeof(v1_keys) / sizeof(v1_keys[0]); i++) {
		const struct cg_self *s = self_for(ci, v1_keys[i]);
		const struct cg_mount *m =
			s ? v1_mount_for(ci, s->controllers) : NULL;
		snprintf(reason, sizeof(reason),
			 "no cgroup v1 hierarchy with the %s controller is mounted",
			 v1_keys[i]);
		write_delegated(w, v1_keys[i], m, s ? s->path : "", reason);
	}
	sbx_jsonw_object_end(w);
	sbx_jsonw_object_end(w);

	sbx_jsonw_object_end(w);
	free(ci->mountinfo);
	free(ci->self_buf);
	free(ci);
}

/* cgroup helpers for the spawn door's limits (sbx_cgroup.h). Read-only
 * parsing of /proc/self/{mountinfo,cgroup} plus fd-relative file access; the
 * decisions (which hierarchy, which limit) are the launcher's. */
#include "sbx_cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is `tok` one of the comma-separated words of `list`? */
static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, tok, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* The mount of the hierarchy: its root (the cgroup path it shows) and its
 * mount point, copied into root/point. */
static int find_mount(FILE *f, const char *controller, char *root, size_t rsize, char *point,
		      size_t psize)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = -ENOENT;
	while (rc == -ENOENT && getline(&line, &cap, f) > 0) {
		char *save = NULL, *fld[5] = { 0 }, *tok;
		char *cur = strtok_r(line, " \n", &save);
		int i = 0;
		for (; cur && i < 5; i++, cur = strtok_r(NULL, " \n", &save))
			fld[i] = cur;
		/* optional fields up to the "-" separator */
		for (tok = cur; tok && strcmp(tok, "-"); tok = strtok_r(NULL, " \n", &save))
			;
		if (i < 5 || !tok)
			continue;
		char *fstype = strtok_r(NULL, " \n", &save);
		(void)strtok_r(NULL, " \n", &save);     /* source */
		char *opts = strtok_r(NULL, " \n", &save);
		if (!fstype || !opts)
			continue;
		bool match = controller ? !strcmp(fstype, "cgroup") && has_token(opts, controller)
					: !strcmp(fstype, "cgroup2");
		if (!match)
			continue;
		unescape(fld[3]);
		unescape(fld[4]);
		if ((size_t)snprintf(root, rsize, "%s", fld[3]) >= rsize ||
		    (size_t)snprintf(point, psize, "%s", fld[4]) >= psize)
			rc = -ENAMETOOLONG;
		else
			rc = 0;
	}
	free(line);
	return rc;
}

/* Our cgroup path in the hierarchy ("id:controllers:path"). */
static int find_self(FILE *f, const char *controller, char *path, size_t size)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = -ENOENT;
	while (rc == -ENOENT && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		bool v2 = !strcmp(line, "0") && c1[1] == '\0';
		if (controller ? v2 || !has_token(c1 + 1, controller) : !v2)
			continue;
		rc = (size_t)snprintf(path, size, "%s", c2 + 1) >= size ? -ENAMETOOLONG : 0;
	}
	free(line);
	return rc;
}

/* The whole of a /proc file, NUL-terminated, in a malloc'd buffer. */
static char *read_all(const char *path, int *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*e = errno;
		return NULL;
	}
	size_t n = 0, cap = 8192;
	char *buf = malloc(cap);
	for (ssize_t r = 1; buf && r;) {
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			r = 1;
		else if (r < 0) {
			*e = errno;
			free(buf);
			buf = NULL;
		} else {
			n += (size_t)r;
		}
	}
	if (!buf && !*e)
		*e = ENOMEM;
	if (buf)
		buf[n] = '\0';
	close(fd);
	return buf;
}

int sbx_cgroup_files_read(struct sbx_cgroup_files *f)
{
	int e = 0;
	f->mountinfo = read_all("/proc/self/mountinfo", &e);
	f->cgroup = f->mountinfo ? read_all("/proc/self/cgroup", &e) : NULL;
	if (!f->cgroup) {
		sbx_cgroup_files_free(f);
		return e ? -e : -ENOMEM;
	}
	return 0;
}

void sbx_cgroup_files_free(struct sbx_cgroup_files *f)
{
	free(f->mountinfo);
	free(f->cgroup);
	f->mountinfo = f->cgroup = NULL;
}

/* A stream over one of the snapshot's texts (no system call). */
static FILE *text_stream(const char *text)
{
	if (!text)              /* a snapshot that could not be read: no entries */
		text = "";
	/* An empty file: a stream over one byte that ends at once. */
	return fmemopen((void *)(text[0] ? text : "\n"), text[0] ? strlen(text) : 1, "r");
}

int sbx_cgroup_own_dir(const char *controller, char *buf, size_t size, struct sbx_error *err)
{
	struct sbx_cgroup_files f;
	int rc = sbx_cgroup_files_read(&f);
	if (rc)
		return sbx_error_sys(err, -rc, "open", NULL, "/proc/self/mountinfo or /proc/self/cgroup: %s",
				     strerror(-rc));
	rc = sbx_cgroup_own_dir_in(&f, controller, buf, size, err);
	sbx_cgroup_files_free(&f);
	return rc;
}

int sbx_cgroup_own_dir_in(const struct sbx_cgroup_files *files, const char *controller, char *buf,
			  size_t size, struct sbx_error *err)
{
	char root[4096] = "", point[4096] = "", self[4096] = "";
	const char *what = controller ? controller : "v2";
	FILE *f = text_stream(files->mountinfo);
	int rc = f ? find_mount(f, controller, root, sizeof(root), point, sizeof(point)) : -errno;
	if (f)
		fclose(f);
	if (rc == -ENOENT && controller)
		return sbx_error_set(err, SBX_EUNSUPPORTED, ENOENT, NULL,
				     "no cgroup v1 hierarchy with the %s controller is mounted", controller);
	if (rc == -ENOENT)
		return sbx_error_set(err, SBX_EUNSUPPORTED, ENOENT, NULL, "no cgroup2 filesystem is mounted");
	if (rc)
		return sbx_error_sys(err, -rc, "open", NULL, "/proc/self/mountinfo: %s", strerror(-rc));
	f = text_stream(files->cgroup);
	rc = f ? find_self(f, controller, self, sizeof(self)) : -errno;
	if (f)
		fclose(f);
	if (rc)
		return sbx_error_set(err, SBX_EUNSUPPORTED, -rc, NULL,
				     "no %s entry in /proc/self/cgroup", what);
	/* Outside our cgroup namespace's root the kernel shows "/.." paths. */
	size_t rl = strlen(root);
	const char *rest;
	if (strstr(self, "/.."))
		rest = NULL;
	else if (!strcmp(root, "/"))
		rest = self;
	else if (!strncmp(self, root, rl) && (self[rl] == '/' || self[rl] == '\0'))
		rest = self + rl;
	else
		rest = NULL;
	if (!rest)
		return sbx_error_set(err, SBX_EUNSUPPORTED, ENOENT, NULL,
				     "own %s cgroup %s is not visible under %s", what, self, point);
	if ((size_t)snprintf(buf, size, "%s%s", point, strcmp(rest, "/") ? rest : "") >= size)
		return sbx_error_set(err, SBX_EINVAL, ENAMETOOLONG, NULL, "cgroup path too long");
	return 0;
}

int sbx_cgroup_create(const char *parent, char *name, size_t name_size, struct sbx_error *err)
{
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)getpid() * 2654435761u;
	if ((size_t)snprintf(name, name_size, "sbx-%ld-%08" PRIx32, (long)getpid(), rnd) >= name_size)
		return sbx_error_set(err, SBX_EINVAL, ENAMETOOLONG, NULL, "cgroup name too long");
	int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return sbx_error_sys(err, errno, "open", NULL, "%s: %s", parent, strerror(errno));
	int fd = -1;
	if (mkdirat(pfd, name, 0755))
		fd = sbx_error_sys(err, errno, "mkdir", NULL, "%s/%s: %s", parent, name, strerror(errno));
	else if ((fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fd = sbx_error_sys(err, errno, "open", NULL, "%s/%s: %s", parent, name, strerror(errno));
		(void)unlinkat(pfd, name, AT_REMOVEDIR);
	}
	close(pfd);
	return fd;
}

void sbx_cgroup_sweep(const char *parent)
{
	int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return;
	sbx_cgroup_sweep_at(pfd);
	close(pfd);
}

void sbx_cgroup_sweep_at(int parent_fd)
{
	int pfd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return;
	DIR *d = fdopendir(pfd);
	if (!d) {
		close(pfd);
		return;
	}
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		long pid;
		unsigned rnd;
		char tail;
		struct stat st;
		if (de->d_type != DT_DIR || sscanf(de->d_name, "sbx-%ld-%8x%c", &pid, &rnd, &tail) != 2 ||
		    pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || now - st.st_mtime < 10)
			continue;
		(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int sbx_cgroup_write(int dirfd, const char *file, const char *value)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	int rc = w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

static int read_small(int dirfd, const char *file, char *buf, size_t size)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0;
	ssize_t r;
	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	close(fd);
	return 0;
}

int sbx_cgroup_read_u64(int dirfd, const char *file, const char *key, uint64_t *out)
{
	char buf[4096];
	int rc = read_small(dirfd, file, buf, sizeof(buf));
	if (rc)
		return rc;
	const char *p = buf;
	if (key) {
		size_t kl = strlen(key);
		for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (!strncmp(p, key, kl) && p[kl] == ' ')
				break;
		if (!p)
			return -ENOENT;
		p += kl + 1;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	*out = strtoull(p, NULL, 10);
	return 0;
}

int sbx_cgroup_has_word(int dirfd, const char *file, const char *word)
{
	char buf[1024];
	int rc = read_small(dirfd, file, buf, sizeof(buf));
	if (rc)
		return rc;
	size_t n = strlen(word);
	for (char *p = buf; *p;) {
		p += strspn(p, " ,\n");
		size_t len = strcspn(p, " ,\n");
		if (len == n && !strncmp(p, word, n))
			return 1;
		p += len;
	}
	return 0;
}

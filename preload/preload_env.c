/*
 * The environment side of the preload door: which threads exist, and taking
 * SBX_POLICY and libsbx.so out of the environment the program (and whatever
 * it executes) sees. Children stay confined without them: no_new_privs,
 * Landlock domains and seccomp filters are inherited across fork and execve;
 * what the scrub avoids is re-applying (stacking) the policy in every child
 * and showing the program how it is confined.
 *
 * Everything here runs in an arbitrary host program before main(): no heap
 * where it can be avoided, every fd closed again.
 */
#include "preload.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

int sbx_preload_thread_count(void)
{
	/* getdents64 into a stack buffer: opendir() would allocate. */
	char buf[4096];
	int n = 0;
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		long len = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (len < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (len == 0)
			break;
		for (long off = 0; off < len;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (d->d_name[0] != '.')
				n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return n;
}

/* Where this library was loaded from, as the loader recorded it. */
static const char *self_path(void)
{
	Dl_info info;
	if (dladdr((void *)self_path, &info) && info.dli_fname && *info.dli_fname)
		return info.dli_fname;
	return NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Is `entry` (len bytes of an LD_PRELOAD value) this library? */
static bool is_self(const char *entry, size_t len, const char *self,
		    const struct stat *self_st)
{
	char path[4096];
	struct stat st;
	if (len == 0 || len >= sizeof(path))
		return false;
	memcpy(path, entry, len);
	path[len] = '\0';
	if (!strcmp(path, self))
		return true;
	/* A bare name is searched for by the loader: compare names. */
	if (!strchr(path, '/'))
		return !strcmp(path, base_name(self));
	return self_st && stat(path, &st) == 0 && st.st_dev == self_st->st_dev &&
	       st.st_ino == self_st->st_ino;
}

/* Rewrite one LD_PRELOAD value in place without our entries. The loader
 * accepts ':' and ' ' as separators; the rewrite joins the rest with ':'.
 * Returns whether anything is left. */
static bool scrub_preload_value(char *v, const char *self, const struct stat *self_st)
{
	char *w = v;
	const char *r = v;
	while (*r) {
		while (*r == ':' || *r == ' ')
			r++;
		const char *start = r;
		while (*r && *r != ':' && *r != ' ')
			r++;
		size_t len = (size_t)(r - start);
		if (len == 0 || is_self(start, len, self, self_st))
			continue;
		if (w != v)
			*w++ = ':';
		memmove(w, start, len);
		w += len;
	}
	*w = '\0';
	return w != v;
}

void sbx_preload_scrub_env(void)
{
	static const char key[] = "LD_PRELOAD=";
	const char *self = self_path();
	struct stat self_st;
	bool have_st = self && stat(self, &self_st) == 0;
	bool any_left = false;

	unsetenv("SBX_POLICY");
	unsetenv("SBX_REPORT");
	if (!self) {
		/* Cannot tell which entry is ours: drop the whole variable
		 * rather than leave libsbx.so in it. */
		unsetenv("LD_PRELOAD");
		return;
	}
	/* Every LD_PRELOAD= entry (the loader reads the last of duplicates). */
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, key, sizeof(key) - 1))
			continue;
		if (scrub_preload_value(*e + sizeof(key) - 1, self,
					have_st ? &self_st : NULL))
			any_left = true;
	}
	if (!any_left)
		unsetenv("LD_PRELOAD");
}

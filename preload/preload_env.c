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

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* The count from procfs: the link count of /proc/<pid>/task is 2 (".",
 * "..") plus the number of threads of the group (fs/proc/base.c,
 * proc_task_getattr(): stat->nlink += get_nr_threads(p)). A task procfs
 * cannot find leaves 2, i.e. 0 threads, which the caller refuses like any
 * count but 1. */
static int proc_thread_count(void)
{
	struct stat st;
	if (stat("/proc/self/task", &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_nlink < 2 || st.st_nlink - 2 > (nlink_t)INT_MAX)
		return -EIO;
	return (int)(st.st_nlink - 2);
}

int sbx_preload_thread_count(void)
{
	/* unshare(CLONE_THREAD) is the kernel's own exact test, without procfs
	 * (whose lookup of a new pid's directory was most of this check's
	 * cost): check_unshare_flags() in kernel/fork.c refuses it with EINVAL
	 * unless thread_group_empty(current), and with nothing else asked
	 * ksys_unshare() then changes nothing. Only without a seccomp filter
	 * is the answer the kernel's: a filter (a container's, an outer
	 * sandbox's) may deny unshare() with any errno, fake success, or kill
	 * the process for it; then procfs decides, as before. */
	int n;

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0)
		return proc_thread_count();
	if (unshare(CLONE_THREAD) == 0)
		return 1;
	if (errno != EINVAL)
		return proc_thread_count();
	/* More than one: procfs gives the count for the message. If it cannot
	 * (not mounted), or the other thread is gone by now, the kernel's
	 * answer stands: at least 2. */
	n = proc_thread_count();
	return n >= 2 ? n : 2;
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

/* This library's device and inode, stat()ed on first need. */
struct self_id {
	bool looked, ok;
	struct stat st;
};

/* Is `entry` (len bytes of an LD_PRELOAD value) this library? */
static bool is_self(const char *entry, size_t len, const char *self,
		    struct self_id *id)
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
	/* Our own identity is looked up only now: the usual entry is the
	 * very path the loader recorded, matched above without a stat. */
	if (!id->looked) {
		id->looked = true;
		id->ok = stat(self, &id->st) == 0;
	}
	return id->ok && stat(path, &st) == 0 && st.st_dev == id->st.st_dev &&
	       st.st_ino == id->st.st_ino;
}

/* Rewrite one LD_PRELOAD value in place without our entries. The loader
 * accepts ':' and ' ' as separators; the rewrite joins the rest with ':'.
 * Returns whether anything is left. */
static bool scrub_preload_value(char *v, const char *self, struct self_id *id)
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
		if (len == 0 || is_self(start, len, self, id))
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
	struct self_id id = { false, false, { 0 } };
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
		if (scrub_preload_value(*e + sizeof(key) - 1, self, &id))
			any_left = true;
	}
	if (!any_left)
		unsetenv("LD_PRELOAD");
}

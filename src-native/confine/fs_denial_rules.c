/* File denials seen by a supervisor (see fs_denial.h): what both call
 * families share: the caller's strings and paths, the rights the Landlock
 * rules grant, the judgement of one access, and a name in a directory. */
#include "fs_denial.h"
#include "fs_denial_int.h"

#include "landlock_defs.h"
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

/* What a read-only mount refuses before Landlock is asked. */
#define WRITES (LL(WRITE_FILE) | LL(TRUNCATE) | FSD_MAKES | LL(REMOVE_FILE) | LL(REMOVE_DIR) | \
		LL(REFER) | FSD_METADATA)

/* Copy a NUL-terminated string of the caller's; 0 or -1. Read in pieces
 * that do not cross a page: the string may end right before an unmapped one. */
int fsd_read_string(pid_t pid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	if (!addr)
		return -1;
	while (got < size - 1) {
		size_t room = 4096 - ((addr + got) & 4095), n = size - 1 - got;
		struct iovec l, r;
		ssize_t k;

		if (n > room)
			n = room;
		l = (struct iovec){ buf + got, n };
		r = (struct iovec){ (void *)(uintptr_t)(addr + got), n };
		k = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (k <= 0)
			return -1;
		if (memchr(buf + got, 0, (size_t)k))
			return 0;
		got += (size_t)k;
	}
	return -1;       /* longer than a path can be: the kernel refuses it itself */
}

/* `name` made absolute against dirfd (or the cwd) of `pid`, in out. */
int fsd_absolute(pid_t pid, int dirfd, const char *name, char *out, size_t size)
{
	char link[64], base[PATH_MAX];
	ssize_t n;

	if (name[0] == '/')
		return snprintf(out, size, "%s", name) < (int)size ? 0 : -1;
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, dirfd);
	n = readlink(link, base, sizeof(base) - 1);
	if (n <= 0 || base[0] != '/')
		return -1;
	base[n] = 0;
	return snprintf(out, size, "%s/%s", strcmp(base, "/") ? base : "", name) < (int)size ? 0 : -1;
}

/* Split `path` into its resolved parent (realpath) and last name. */
int fsd_parent_of(const char *path, char *dir, char *last, size_t size)
{
	char tmp[PATH_MAX];
	char *slash;
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, len + 1);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = 0;
	slash = strrchr(tmp, '/');
	if (!slash || !slash[1])
		return -1;
	if (snprintf(last, size, "%s", slash + 1) >= (int)size)
		return -1;
	if (slash == tmp)
		slash[1] = 0;
	else
		*slash = 0;
	return realpath(tmp, dir) ? 0 : -1;
}

static bool beneath(const char *path, const char *top)
{
	size_t n = strlen(top);

	if (!strcmp(top, "/"))
		return true;
	return !strncmp(path, top, n) && (path[n] == 0 || path[n] == '/');
}

/* The rule paths as the kernel holds them (links resolved), once. */
static char **rule_paths;
static size_t nrule_paths;

static void resolve_rules(const struct sbx_prepared *pp)
{
	if (rule_paths || !pp->npaths)
		return;
	rule_paths = calloc(pp->npaths, sizeof(*rule_paths));
	if (!rule_paths)
		return;
	for (size_t i = 0; i < pp->npaths; i++)
		rule_paths[i] = realpath(pp->paths[i].path, NULL);   /* NULL: missing, grants nothing */
	nrule_paths = pp->npaths;
}

/* The rights Landlock grants on `path` (resolved): the union of the rules
 * on it and on every directory above it. */
uint64_t fsd_granted(const struct sbx_prepared *pp, const char *path)
{
	uint64_t g = 0;

	resolve_rules(pp);
	for (size_t i = 0; i < nrule_paths; i++)
		if (rule_paths[i] && beneath(path, rule_paths[i]))
			g |= pp->paths[i].access;
	return g;
}

static const char *access_name(uint64_t need)
{
	if (need & LL(EXECUTE))
		return "execute";
	if (need & FSD_MAKES)
		return "create";
	if (need & (LL(REMOVE_FILE) | LL(REMOVE_DIR)))
		return "remove";
	if (need & (LL(WRITE_FILE) | LL(TRUNCATE) | FSD_METADATA))
		return "write";
	if (need & LL(REFER))
		return "refer";
	if (need & LL(READ_DIR))
		return "list";
	return "read";
}

/* Whether `need` on `obj` (checked against the rules of `ruled`: the file,
 * or for create/remove its directory) is refused; fills out. */
int fsd_judge(const struct sbx_prepared *pp, const char *obj, const char *ruled,
	      uint64_t need, struct sbx_fs_denial *out)
{
	/* REFER is refused by every domain, handled or not (the kernel's rule). */
	uint64_t handled = pp->landlock.active ? pp->landlock.attr.handled_access_fs | LL(REFER) : 0;
	uint64_t missing = need & handled & ~fsd_granted(pp, ruled);
	struct statvfs vfs;
	bool ro = (need & WRITES) && !statvfs(ruled, &vfs) && (vfs.f_flag & ST_RDONLY);
	const char *access;

	if (!missing && !ro)
		return 0;
	access = access_name(ro && !missing ? need & WRITES : missing ? missing : need);
	snprintf(out->path, sizeof(out->path), "%s", obj);
	snprintf(out->allow, sizeof(out->allow), "%s", ruled);
	out->access = access;
	out->reason = ro ? "read-only" : "landlock";
	if (!strcmp(access, "execute")) {
		out->key = "fs.exec";
		out->flag = "--exec";
	} else if (!strcmp(access, "read") || !strcmp(access, "list")) {
		out->key = "fs.read";
		out->flag = "--ro";
	} else {
		out->key = "fs.write";
		out->flag = "--rw";
	}
	return 1;
}

/* mkdir, unlink, rmdir, symlink, mknod: a right on the directory that holds the name. */
int fsd_check_entry(const struct sbx_prepared *pp, pid_t pid, int dirfd, uint64_t name,
		    uint64_t need, bool must_exist, struct sbx_fs_denial *out)
{
	char raw[PATH_MAX], abs[PATH_MAX], dir[PATH_MAX], last[NAME_MAX + 1], obj[PATH_MAX];
	struct stat st;
	bool exists;

	if (fsd_read_string(pid, name, raw, sizeof(raw)) || !raw[0] ||
	    fsd_absolute(pid, dirfd, raw, abs, sizeof(abs)) || fsd_parent_of(abs, dir, last, sizeof(last)))
		return 0;
	if (!strcmp(last, ".") || !strcmp(last, ".."))
		return 0;
	if (snprintf(obj, sizeof(obj), "%s/%s", strcmp(dir, "/") ? dir : "", last) >= (int)sizeof(obj))
		return 0;
	exists = lstat(obj, &st) == 0;
	if (exists && !must_exist)
		return 0;          /* EEXIST: before the mount and Landlock are asked */
	if (!exists && must_exist) {
		struct statvfs vfs;
		/* A read-only mount refuses a remove before the name is looked
		 * up (EROFS); Landlock is asked only for one that exists. */
		return !statvfs(dir, &vfs) && (vfs.f_flag & ST_RDONLY) ? fsd_judge(pp, obj, dir, need, out) : 0;
	}
	if (must_exist && need == LL(REMOVE_FILE) && S_ISDIR(st.st_mode))
		return 0;          /* EISDIR */
	return fsd_judge(pp, obj, dir, need, out);
}

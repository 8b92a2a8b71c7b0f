/* File denials seen by a supervisor (see fs_denial.h): open and exec;
 * rename, link and metadata: fs_denial_move.c; the shared helpers and the
 * judgement: fs_denial_rules.c. */
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

static int check_open(const struct sbx_prepared *pp, pid_t pid, int dirfd, uint64_t name,
		      uint64_t flags, struct sbx_fs_denial *out)
{
	char raw[PATH_MAX], abs[PATH_MAX], real[PATH_MAX], dir[PATH_MAX], last[NAME_MAX + 1];
	struct stat st;
	uint64_t need = 0;

	if (flags & O_PATH)
		return 0;
	if (fsd_read_string(pid, name, raw, sizeof(raw)) || !raw[0] ||
	    fsd_absolute(pid, dirfd, raw, abs, sizeof(abs)))
		return 0;
	if (realpath(abs, real) && !stat(real, &st)) {
		if (S_ISDIR(st.st_mode)) {
			need = (flags & O_ACCMODE) == O_RDONLY ? LL(READ_DIR) : 0;
		} else {
			if ((flags & O_ACCMODE) != O_WRONLY)
				need |= LL(READ_FILE);
			if ((flags & O_ACCMODE) != O_RDONLY)
				need |= LL(WRITE_FILE);
			if ((flags & O_TRUNC) && S_ISREG(st.st_mode))
				need |= LL(TRUNCATE);
		}
		/* Devices and pipes: the rights apply too, but a read-only
		 * mount does not refuse writing to them. */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			need &= ~(LL(TRUNCATE));
		return need ? fsd_judge(pp, real, real, need, out) : 0;
	}
	/* Missing: only a create reaches the rules (else ENOENT). */
	if (!(flags & O_CREAT) || fsd_parent_of(abs, dir, last, sizeof(last)))
		return 0;
	if (snprintf(real, sizeof(real), "%s/%s", strcmp(dir, "/") ? dir : "", last) >= (int)sizeof(real))
		return 0;
	return fsd_judge(pp, real, dir, LL(MAKE_REG), out);
}

static int check_exec(const struct sbx_prepared *pp, pid_t pid, int dirfd, uint64_t name,
		      struct sbx_fs_denial *out)
{
	char raw[PATH_MAX], abs[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (fsd_read_string(pid, name, raw, sizeof(raw)) || !raw[0] ||
	    fsd_absolute(pid, dirfd, raw, abs, sizeof(abs)) || !realpath(abs, real) ||
	    stat(real, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return 0;
	return fsd_judge(pp, real, real, LL(EXECUTE), out);
}

int sbx_fs_denial_check(const struct sbx_prepared *pp, pid_t pid, int nr,
			const uint64_t args[6], struct sbx_fs_denial *out)
{
	const char *name = sbx_syscall_name(sbx_arch_native(), nr);
	int dfd = (int)args[0];
	int r = 0;

	if (!pp || !pp->observe_fs || !name)
		return 0;
	if (!strcmp(name, "open"))
		r = check_open(pp, pid, AT_FDCWD, args[0], args[1], out);
	else if (!strcmp(name, "creat"))
		r = check_open(pp, pid, AT_FDCWD, args[0], O_CREAT | O_WRONLY | O_TRUNC, out);
	else if (!strcmp(name, "openat"))
		r = check_open(pp, pid, dfd, args[1], args[2], out);
	else if (!strcmp(name, "openat2")) {
		struct open_how how;
		struct iovec l = { &how, sizeof(how) }, rr = { (void *)(uintptr_t)args[2], sizeof(how) };
		if (args[3] >= sizeof(how) && process_vm_readv(pid, &l, 1, &rr, 1, 0) == (ssize_t)sizeof(how))
			r = check_open(pp, pid, dfd, args[1], how.flags, out);
	} else if (!strcmp(name, "execve"))
		r = check_exec(pp, pid, AT_FDCWD, args[0], out);
	else if (!strcmp(name, "execveat"))
		r = (args[4] & AT_EMPTY_PATH) ? 0 : check_exec(pp, pid, dfd, args[1], out);
	else if (!strcmp(name, "mkdir"))
		r = fsd_check_entry(pp, pid, AT_FDCWD, args[0], LL(MAKE_DIR), false, out);
	else if (!strcmp(name, "mkdirat"))
		r = fsd_check_entry(pp, pid, dfd, args[1], LL(MAKE_DIR), false, out);
	else if (!strcmp(name, "unlink"))
		r = fsd_check_entry(pp, pid, AT_FDCWD, args[0], LL(REMOVE_FILE), true, out);
	else if (!strcmp(name, "rmdir"))
		r = fsd_check_entry(pp, pid, AT_FDCWD, args[0], LL(REMOVE_DIR), true, out);
	else if (!strcmp(name, "unlinkat"))
		r = fsd_check_entry(pp, pid, dfd, args[1], (args[2] & AT_REMOVEDIR) ? LL(REMOVE_DIR) : LL(REMOVE_FILE),
				     true, out);
	else if (!strcmp(name, "truncate")) {
		char raw[PATH_MAX], abs[PATH_MAX], real[PATH_MAX];
		if (!fsd_read_string(pid, args[0], raw, sizeof(raw)) && raw[0] &&
		    !fsd_absolute(pid, AT_FDCWD, raw, abs, sizeof(abs)) && realpath(abs, real))
			r = fsd_judge(pp, real, real, LL(TRUNCATE), out);
	} else
		r = fsd_check_more(pp, pid, name, args, out);
	if (r)
		out->syscall = name;
	return r;
}

/* Denials already reported, by a hash of call, access and path. */
#define FS_SEEN 1024
static uint64_t fs_seen[FS_SEEN];
static size_t fs_nseen;

int sbx_fs_denial_first(const struct sbx_fs_denial *d)
{
	uint64_t h = 1469598103934665603ULL;
	const char *parts[3] = { d->syscall, d->access, d->path };

	for (int i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;   /* a separator no name holds */
	}
	for (size_t i = 0; i < fs_nseen; i++)
		if (fs_seen[i] == h)
			return 0;
	if (fs_nseen < FS_SEEN)
		fs_seen[fs_nseen++] = h;
	return 1;
}

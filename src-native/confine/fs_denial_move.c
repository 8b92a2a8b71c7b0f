/*
 * File denials of the calls that move, link or make entries, or change a
 * file's inode in place (see fs_denial.h): rename needs the remove right on
 * the source's directory and the make right (of the file's kind) on the
 * destination's, link the make right; across two directories both need
 * `refer` too, and the file must not gain rights where it goes (else the
 * kernel says EXDEV, which mv answers by copying). chmod, chown and utimes
 * have no Landlock right: only a read-only mount refuses them.
 *
 * Calls that the kernel refuses for another reason first (ENOENT, EEXIST,
 * EXDEV between two mounts, a directory linked) are not judged.
 */
#include "fs_denial_int.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* renameat2's flags (linux/fs.h, which clashes with glibc's headers). */
#define RENAME_NOREPLACE_ 1
#define RENAME_EXCHANGE_ 2

/* The right that makes a file of this kind. */
static uint64_t make_right(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR: return LL(MAKE_DIR);
	case S_IFLNK: return LL(MAKE_SYM);
	case S_IFIFO: return LL(MAKE_FIFO);
	case S_IFSOCK: return LL(MAKE_SOCK);
	case S_IFCHR: return LL(MAKE_CHAR);
	case S_IFBLK: return LL(MAKE_BLOCK);
	default: return LL(MAKE_REG);
	}
}

static uint64_t remove_right(mode_t m)
{
	return S_ISDIR(m) ? LL(REMOVE_DIR) : LL(REMOVE_FILE);
}

/* One side of a move: the entry (not followed), its resolved directory. */
struct side {
	char obj[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	bool exists;
	uint64_t mnt;
};

static int side_of(pid_t pid, int dirfd, uint64_t name, struct side *s)
{
	char raw[PATH_MAX], abs[PATH_MAX], last[NAME_MAX + 1];
	struct statx sx;

	if (fsd_read_string(pid, name, raw, sizeof(raw)) || !raw[0] ||
	    fsd_absolute(pid, dirfd, raw, abs, sizeof(abs)) ||
	    fsd_parent_of(abs, s->dir, last, sizeof(last)) || !strcmp(last, ".") || !strcmp(last, ".."))
		return -1;
	if (snprintf(s->obj, sizeof(s->obj), "%s/%s", strcmp(s->dir, "/") ? s->dir : "", last) >=
	    (int)sizeof(s->obj))
		return -1;
	if (statx(AT_FDCWD, s->dir, 0, STATX_MNT_ID, &sx) || !(sx.stx_mask & STATX_MNT_ID))
		return -1;
	s->mnt = sx.stx_mnt_id;
	s->exists = lstat(s->obj, &s->st) == 0;
	return 0;
}

/* rename (flags: RENAME_*) or link (is_link; follow: AT_SYMLINK_FOLLOW). */
static int check_move(const struct sbx_prepared *pp, pid_t pid, int odfd, uint64_t oname, int ndfd,
		      uint64_t nname, uint64_t flags, bool is_link, bool follow, struct sbx_fs_denial *out)
{
	static struct side src, dst;   /* PATH_MAX four times: not on the stack */
	uint64_t need_src = 0, need_dst, extra;
	bool exchange = !is_link && (flags & RENAME_EXCHANGE_);

	if (side_of(pid, odfd, oname, &src) || side_of(pid, ndfd, nname, &dst) || !src.exists)
		return 0;
	if (src.mnt != dst.mnt)
		return 0;          /* EXDEV between mounts: the kernel's, not the sandbox's */
	if (is_link) {
		if (follow) {
			char real[PATH_MAX];
			if (!realpath(src.obj, real) || stat(real, &src.st))
				return 0;
			memcpy(src.obj, real, sizeof(real));
		}
		if (dst.exists || S_ISDIR(src.st.st_mode))
			return 0;  /* EEXIST, EPERM */
		need_dst = make_right(src.st.st_mode);
	} else {
		if ((exchange && !dst.exists) || (!exchange && dst.exists && (flags & RENAME_NOREPLACE_)))
			return 0;  /* ENOENT, EEXIST */
		if (dst.exists && !exchange && S_ISDIR(src.st.st_mode) != S_ISDIR(dst.st.st_mode))
			return 0;  /* EISDIR, ENOTDIR */
		need_src = remove_right(src.st.st_mode);
		need_dst = make_right(src.st.st_mode);
		if (dst.exists)
			need_dst |= remove_right(dst.st.st_mode);
		if (exchange)
			need_src |= make_right(dst.st.st_mode);
	}
	/* The kernel says EACCES for a missing make or remove right before
	 * EXDEV for refer. */
	if ((need_src && fsd_judge(pp, src.obj, src.dir, need_src, out)) ||
	    fsd_judge(pp, dst.obj, dst.dir, need_dst, out))
		return 1;
	if (!strcmp(src.dir, dst.dir))
		return 0;
	if (fsd_judge(pp, src.obj, src.dir, LL(REFER), out) || fsd_judge(pp, dst.obj, dst.dir, LL(REFER), out))
		return 1;
	/* Where it goes, the file must not gain a right it did not have: the
	 * rights to add at the source, named as refer. */
	extra = fsd_granted(pp, dst.dir) & ~fsd_granted(pp, src.obj) & ~LL(REFER);
	if (exchange)
		extra |= fsd_granted(pp, src.dir) & ~fsd_granted(pp, dst.obj) & ~LL(REFER);
	if (extra && fsd_judge(pp, src.obj, src.obj, extra, out)) {
		out->access = "refer";
		return 1;
	}
	return 0;
}

/* A call on the file itself (path, or an fd when path is 0 or empty with
 * AT_EMPTY_PATH) that only a read-only mount refuses. */
static int check_inode(const struct sbx_prepared *pp, pid_t pid, int dirfd, uint64_t name,
		       bool empty_path_ok, struct sbx_fs_denial *out)
{
	char raw[PATH_MAX], abs[PATH_MAX], real[PATH_MAX];

	raw[0] = 0;
	if (name && fsd_read_string(pid, name, raw, sizeof(raw)))
		return 0;
	if (!raw[0]) {
		/* The fd itself (utimensat with no path, AT_EMPTY_PATH, fchmod). */
		if (name && !empty_path_ok)
			return 0;
		if (dirfd == AT_FDCWD || fsd_absolute(pid, dirfd, ".", abs, sizeof(abs)))
			return 0;
		abs[strlen(abs) - 2] = 0;    /* drop the "/." */
		if (!abs[0])
			snprintf(abs, sizeof(abs), "/");
	} else if (fsd_absolute(pid, dirfd, raw, abs, sizeof(abs))) {
		return 0;
	}
	if (!realpath(abs, real))
		return 0;
	return fsd_judge(pp, real, real, FSD_METADATA, out);
}

/* mknod's kind: no policy key grants a device node (and CAP_MKNOD is
 * asked after Landlock), so those are not judged. */
static uint64_t mknod_right(uint64_t mode)
{
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG: return LL(MAKE_REG);
	case S_IFIFO: return LL(MAKE_FIFO);
	case S_IFSOCK: return LL(MAKE_SOCK);
	default: return 0;
	}
}

int fsd_check_more(const struct sbx_prepared *pp, pid_t pid, const char *name,
		   const uint64_t args[6], struct sbx_fs_denial *out)
{
	int dfd = (int)args[0];

	if (!strcmp(name, "rename"))
		return check_move(pp, pid, AT_FDCWD, args[0], AT_FDCWD, args[1], 0, false, false, out);
	if (!strcmp(name, "renameat"))
		return check_move(pp, pid, dfd, args[1], (int)args[2], args[3], 0, false, false, out);
	if (!strcmp(name, "renameat2"))
		return check_move(pp, pid, dfd, args[1], (int)args[2], args[3], args[4], false, false, out);
	if (!strcmp(name, "link"))
		return check_move(pp, pid, AT_FDCWD, args[0], AT_FDCWD, args[1], 0, true, false, out);
	if (!strcmp(name, "linkat"))
		return (args[4] & AT_EMPTY_PATH) ? 0 :
		       check_move(pp, pid, dfd, args[1], (int)args[2], args[3], 0, true,
				  args[4] & AT_SYMLINK_FOLLOW, out);
	if (!strcmp(name, "symlink"))
		return fsd_check_entry(pp, pid, AT_FDCWD, args[1], LL(MAKE_SYM), false, out);
	if (!strcmp(name, "symlinkat"))
		return fsd_check_entry(pp, pid, (int)args[1], args[2], LL(MAKE_SYM), false, out);
	if (!strcmp(name, "mknod"))
		return mknod_right(args[1]) ?
		       fsd_check_entry(pp, pid, AT_FDCWD, args[0], mknod_right(args[1]), false, out) : 0;
	if (!strcmp(name, "mknodat"))
		return mknod_right(args[2]) ?
		       fsd_check_entry(pp, pid, dfd, args[1], mknod_right(args[2]), false, out) : 0;
	if (!strcmp(name, "chmod") || !strcmp(name, "chown") || !strcmp(name, "lchown") ||
	    !strcmp(name, "utime") || !strcmp(name, "utimes"))
		return check_inode(pp, pid, AT_FDCWD, args[0], false, out);
	if (!strcmp(name, "fchmod") || !strcmp(name, "fchown"))
		return check_inode(pp, pid, dfd, 0, true, out);
	if (!strcmp(name, "fchmodat") || !strcmp(name, "futimesat"))
		return check_inode(pp, pid, dfd, args[1], false, out);
	if (!strcmp(name, "fchmodat2"))
		return check_inode(pp, pid, dfd, args[1], args[3] & AT_EMPTY_PATH, out);
	if (!strcmp(name, "fchownat"))
		return check_inode(pp, pid, dfd, args[1], args[4] & AT_EMPTY_PATH, out);
	if (!strcmp(name, "utimensat"))
		return check_inode(pp, pid, dfd, args[1], true, out);
	return 0;
}

/*
 * `sbx-launcher --cow-apply UPPER TARGET [DEV:INO]`: the changes a sandbox
 * left in an overlay's upper layer, applied onto the host directory it
 * covered. The walk (cow.c, shared with --cow-diff) finds each change; the
 * steps here act on it at once, on what the walk just saw:
 *
 * - Everything is relative to directory fds, one name at a time: a name is
 *   opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 *   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), so no symlink is followed and
 *   no mount point crossed, on the host nor in the upper layer. A symlink is
 *   copied as a symlink (its text), never read through.
 * - A new file or symlink is made under a temporary name in the same
 *   directory and renamed into place (RENAME_NOREPLACE when nothing was
 *   there; RENAME_EXCHANGE when a directory is replaced by a file or the
 *   other way round, the old one then removed under the temporary name).
 *   A file is never written through: the other names of a host hard link
 *   keep their content.
 * - Modes: the permission bits, and the sticky bit of a directory; never
 *   setuid or setgid.
 * - A directory is deleted by moving it aside under a temporary name (the
 *   name goes at once or not at all), then emptied by fd.
 * - Fifos, sockets and devices are not applied; their lines say so
 *   ("applied":false, "reason":"fifo").
 * - The first failure, or anything on the host that is not what the walk saw
 *   (a symlink where a directory was, a mount point, another inode), stops
 *   the apply: the abort line names where, the failing change says "applied":
 *   false, and every later change too; the walk goes on only to list them.
 *   What the lines call applied is what was done.
 *
 * Names are bytes from readdir() to the output (hex): never decoded.
 */
#include "launcher.h"
#include "cow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TMP_PREFIX ".sbx-cow-"

struct ln_cow_apply {
	bool stopped;
	bool privileged;        /* euid 0: keeps the owner of a file it replaces */
	unsigned long seq;
	char reason[256];
};

static const char STOPPED[] = "the apply stopped at an earlier change";

bool ln_cow_apply_stopped(const struct ln_cow_apply *ap)
{
	return ap->stopped;
}

void ln_cow_apply_stop(struct ln_cow_apply *ap, const char *rel, const char *what, int err)
{
	if (err)
		snprintf(ap->reason, sizeof(ap->reason), "%s: %s", what, strerror(err));
	else
		snprintf(ap->reason, sizeof(ap->reason), "%s", what);
	ap->stopped = true;
	ln_cow_emit_abort(rel, ap->reason);
}

static void done_init(struct ln_cow_done *d)
{
	d->applied = false;
	d->reason = NULL;
	d->leftover[0] = '\0';
}

/* Stop, and say so on the change that failed. */
static void fail(struct ln_cow_apply *ap, const char *rel, const char *what, int err,
		 struct ln_cow_done *d)
{
	ln_cow_apply_stop(ap, rel, what, err);
	d->applied = false;
	d->reason = ap->reason;
}

/* Nothing more is applied once stopped. */
static bool skip_stopped(const struct ln_cow_apply *ap, struct ln_cow_done *d)
{
	done_init(d);
	if (!ap->stopped)
		return false;
	d->reason = STOPPED;
	return true;
}

bool ln_cow_apply_pending(struct ln_cow_apply *ap, struct ln_cow_done *d)
{
	if (skip_stopped(ap, d))
		return false;
	return d->applied = true;
}

/* One name beneath `dirfd`, following nothing. */
static int open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd;

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		errno = EINVAL;
		return -1;
	}
	fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return (int)fd;
	/* Without openat2 (before Linux 5.6, or a filter that refuses it):
	 * one name with O_NOFOLLOW is the same walk; a mount point is
	 * refused by hand. */
	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd >= 0) {
		struct statx sx;
		if (!statx((int)fd, "", AT_EMPTY_PATH, 0, &sx) &&
		    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		    (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
			close((int)fd);
			errno = EXDEV;
			return -1;
		}
	}
	return (int)fd;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A fresh temporary name in the directory. */
static void tmp_name(struct ln_cow_apply *ap, char out[48])
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid();
	snprintf(out, 48, TMP_PREFIX "%08" PRIx32 "-%lu", r, ++ap->seq);
}

static bool tmp_retry(int e, int *tries)
{
	return e == EEXIST && ++*tries < 100;
}

/* renameat2(RENAME_NOREPLACE); where the filesystem has no flags for
 * renameat2 (NFS: EINVAL), a non-directory is linked to its new name
 * (linkat fails if the name exists) and unlinked from the old one, and a
 * directory is renamed after a check that nothing is there. 0 or -1. */
static int rename_noreplace(int dfd, const char *from, const char *to)
{
	struct stat st;
	if (!renameat2(dfd, from, dfd, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL)
		return -1;
	if (fstatat(dfd, from, &st, AT_SYMLINK_NOFOLLOW))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		if (linkat(dfd, from, dfd, to, 0))
			return -1;
		return unlinkat(dfd, from, 0);
	}
	if (!fstatat(dfd, to, &st, AT_SYMLINK_NOFOLLOW)) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dfd, from, dfd, to);
}

/* ---- removing, by fd ---------------------------------------------------- */

/* Everything in the directory `dfd` that can be removed; no symlink is
 * followed, no mount crossed. 0, or the first errno met. */
static int empty_dir(int dfd)
{
	int first = 0;
	for (int pass = 0; pass < 8; pass++) {
		int d = dup(dfd);
		DIR *dir = d >= 0 ? fdopendir(d) : NULL;
		struct dirent *de;
		int removed = 0;

		if (!dir) {
			int e = errno;
			if (d >= 0)
				close(d);
			return first ? first : e;
		}
		rewinddir(dir);
		while ((de = readdir(dir))) {
			struct stat st;
			int e = 0;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
				if (errno != ENOENT)
					e = errno;
			} else if (S_ISDIR(st.st_mode)) {
				int sub = open_beneath(dfd, de->d_name, O_RDONLY | O_DIRECTORY, 0);
				if (sub < 0) {
					e = errno;
				} else {
					e = empty_dir(sub);
					close(sub);
					if (!e && unlinkat(dfd, de->d_name, AT_REMOVEDIR))
						e = errno;
				}
			} else if (unlinkat(dfd, de->d_name, 0)) {
				e = errno;
			}
			if (!e)
				removed++;
			else if (!first)
				first = e;
		}
		closedir(dir);
		/* Another pass only if this one removed something and some
		 * filesystem's readdir may have skipped entries meanwhile. */
		if (!removed || first)
			break;
	}
	return first;
}

/* Remove the directory `name` in `lfd` if it is the inode `want`. 0 or an
 * errno; ESTALE when another inode is there. */
static int remove_dir(int lfd, const char *name, const struct stat *want)
{
	struct stat st;
	int e, dfd = open_beneath(lfd, name, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return errno;
	if (fstat(dfd, &st) || !same_inode(&st, want)) {
		close(dfd);
		return ESTALE;
	}
	e = empty_dir(dfd);
	close(dfd);
	if (!e && unlinkat(lfd, name, AT_REMOVEDIR))
		e = errno;
	return e;
}

void ln_cow_apply_remove(struct ln_cow_apply *ap, int lfd, const char *name,
			 const struct stat *ls, const char *rel, struct ln_cow_done *d)
{
	char tmp[48];
	int tries = 0, e;

	if (skip_stopped(ap, d))
		return;
	if (!S_ISDIR(ls->st_mode)) {
		if (unlinkat(lfd, name, 0))
			fail(ap, rel, "unlinkat", errno, d);
		else
			d->applied = true;
		return;
	}
	/* Moved aside first: the name is gone at once, or not at all. */
	do
		tmp_name(ap, tmp);
	while ((e = rename_noreplace(lfd, name, tmp) ? errno : 0) && tmp_retry(e, &tries));
	if (e) {
		fail(ap, rel, "renameat2", e, d);
		return;
	}
	e = remove_dir(lfd, tmp, ls);
	if (e == ESTALE || e == ELOOP || e == ENOTDIR || e == EXDEV) {
		/* Not the directory the walk saw: put it back and stop. */
		(void)!rename_noreplace(lfd, tmp, name);
		fail(ap, rel, e == EXDEV ? "a mount point on the host" :
			 "not what was listed: changed on the host", 0, d);
		return;
	}
	d->applied = true;
	if (e)   /* gone from its name; what could not be removed is left here */
		snprintf(d->leftover, sizeof(d->leftover), "%s", tmp);
}

/* ---- putting into place --------------------------------------------------- */

/* Move the new entry `tmp` (made by us in lfd) to `name`, where the walk saw
 * `ls` (NULL: nothing). On failure tmp is removed and the apply stops. */
static void place(struct ln_cow_apply *ap, int lfd, const char *tmp, const char *name,
		  const struct stat *ls, bool tmp_is_dir, const char *rel,
		  struct ln_cow_done *d)
{
	struct stat st;
	int e = 0;

	if (!ls) {
		if (rename_noreplace(lfd, tmp, name))
			e = errno;
	} else if (!S_ISDIR(ls->st_mode) && !tmp_is_dir) {
		/* A non-directory replaced by one: atomic; a directory there
		 * now fails (EISDIR). */
		if (fstatat(lfd, name, &st, AT_SYMLINK_NOFOLLOW) || !same_inode(&st, ls))
			e = ESTALE;
		else if (renameat(lfd, tmp, lfd, name))
			e = errno;
	} else {
		/* A directory and a non-directory change places; the old one
		 * is then under the temporary name. */
		if (fstatat(lfd, name, &st, AT_SYMLINK_NOFOLLOW) || !same_inode(&st, ls))
			e = ESTALE;
		else if (renameat2(lfd, tmp, lfd, name, RENAME_EXCHANGE))
			e = errno;
		else if (fstatat(lfd, tmp, &st, AT_SYMLINK_NOFOLLOW) || !same_inode(&st, ls)) {
			(void)!renameat2(lfd, tmp, lfd, name, RENAME_EXCHANGE);
			e = ESTALE;
		}
		if (!e) {
			int r = S_ISDIR(ls->st_mode) ? remove_dir(lfd, tmp, ls)
				: unlinkat(lfd, tmp, 0) ? errno : 0;
			d->applied = true;
			if (r)
				snprintf(d->leftover, sizeof(d->leftover), "%s", tmp);
			return;
		}
	}
	if (!e) {
		d->applied = true;
		return;
	}
	if (tmp_is_dir)
		(void)!unlinkat(lfd, tmp, AT_REMOVEDIR);
	else
		(void)!unlinkat(lfd, tmp, 0);
	if (e == ESTALE)
		fail(ap, rel, "not what was listed: changed on the host", 0, d);
	else
		fail(ap, rel, "renameat2", e, d);
}

/* Copy from fd to fd, from their offsets to the end. 0 or an errno. */
static int copy_fd(int from, int to)
{
	char buf[65536];
	for (;;) {
		ssize_t n = copy_file_range(from, NULL, to, NULL, (size_t)1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return errno;
		break;
	}
	for (;;) {
		ssize_t n = read(from, buf, sizeof(buf)), w = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		while (w < n) {
			ssize_t k = write(to, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return errno;
			w += k;
		}
	}
}

static const char *not_applied(mode_t m)
{
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "device";
	return "not a file, directory or symlink";
}

void ln_cow_apply_put(struct ln_cow_apply *ap, int ufd, int lfd, const char *name,
		      const struct stat *us, const struct stat *ls, const char *rel,
		      struct ln_cow_done *d)
{
	char tmp[48];
	int tries = 0, e;

	if (skip_stopped(ap, d))
		return;
	if (!S_ISREG(us->st_mode) && !S_ISLNK(us->st_mode)) {
		d->reason = not_applied(us->st_mode);
		return;
	}
	if (S_ISLNK(us->st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(ufd, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target)) {
			fail(ap, rel, "readlinkat (the sandbox's copy)", n < 0 ? errno : ENAMETOOLONG, d);
			return;
		}
		target[n] = '\0';
		do
			tmp_name(ap, tmp);
		while ((e = symlinkat(target, lfd, tmp) ? errno : 0) && tmp_retry(e, &tries));
		if (e) {
			fail(ap, rel, "symlinkat", e, d);
			return;
		}
		place(ap, lfd, tmp, name, ls, false, rel, d);
		return;
	}

	struct stat st;
	int src = open_beneath(ufd, name, O_RDONLY, 0), dst = -1;
	if (src < 0 || fstat(src, &st) || !S_ISREG(st.st_mode) || !same_inode(&st, us)) {
		e = src < 0 ? errno : ESTALE;
		if (src >= 0)
			close(src);
		if (e == ESTALE)
			fail(ap, rel, "the sandbox's copy changed", 0, d);
		else
			fail(ap, rel, "opening the sandbox's copy", e, d);
		return;
	}
	do {
		tmp_name(ap, tmp);
		dst = open_beneath(lfd, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
		e = dst < 0 ? errno : 0;
	} while (e && tmp_retry(e, &tries));
	if (dst < 0) {
		close(src);
		fail(ap, rel, "creating the file", e, d);
		return;
	}
	e = copy_fd(src, dst);
	/* Replacing a file of another owner, root keeps that owner (a
	 * repository of a user stays theirs); best effort. */
	if (!e && ap->privileged && ls && S_ISREG(ls->st_mode) && ls->st_uid != geteuid())
		(void)!fchown(dst, ls->st_uid, ls->st_gid);
	if (!e && fchmod(dst, us->st_mode & 0777))
		e = errno;
	close(src);
	if (close(dst) && !e)
		e = errno;
	if (e) {
		(void)!unlinkat(lfd, tmp, 0);
		fail(ap, rel, "writing the file", e, d);
		return;
	}
	place(ap, lfd, tmp, name, ls, false, rel, d);
}

int ln_cow_apply_mkdir(struct ln_cow_apply *ap, int lfd, const char *name,
		       const struct stat *ls, const char *rel, struct ln_cow_done *d)
{
	char tmp[48];
	int tries = 0, e, dfd;

	if (skip_stopped(ap, d))
		return -1;
	do
		tmp_name(ap, tmp);
	while ((e = mkdirat(lfd, tmp, 0700) ? errno : 0) && tmp_retry(e, &tries));
	if (e) {
		fail(ap, rel, "mkdirat", e, d);
		return -1;
	}
	/* Held from here: after the rename this fd is the new directory. */
	dfd = open_beneath(lfd, tmp, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0) {
		e = errno;
		(void)!unlinkat(lfd, tmp, AT_REMOVEDIR);
		fail(ap, rel, "opening the new directory", e, d);
		return -1;
	}
	place(ap, lfd, tmp, name, ls, true, rel, d);
	if (!d->applied) {
		close(dfd);
		return -1;
	}
	return dfd;
}

int ln_cow_apply_open_dir(struct ln_cow_apply *ap, int lfd, const char *name,
			  const struct stat *ls, const char *rel)
{
	struct stat st;
	int fd;

	if (ap->stopped)
		return -1;
	fd = open_beneath(lfd, name, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		int e = errno;
		if (e == EXDEV)
			ln_cow_apply_stop(ap, rel, "a mount point on the host", 0);
		else if (e == ELOOP || e == ENOTDIR)
			ln_cow_apply_stop(ap, rel, "not what was listed: no longer a directory", 0);
		else
			ln_cow_apply_stop(ap, rel, "opening the directory", e);
		return -1;
	}
	if (fstat(fd, &st) || !same_inode(&st, ls)) {
		close(fd);
		ln_cow_apply_stop(ap, rel, "not what was listed: changed on the host", 0);
		return -1;
	}
	return fd;
}

void ln_cow_apply_dir_mode(struct ln_cow_apply *ap, int dfd, const struct stat *us,
			   const char *rel)
{
	if (fchmod(dfd, us->st_mode & 01777))
		ln_cow_apply_stop(ap, rel, "fchmod", errno);
}

struct ln_cow_apply *ln_cow_apply_new(void)
{
	struct ln_cow_apply *ap = calloc(1, sizeof(*ap));
	if (ap)
		ap->privileged = geteuid() == 0;
	return ap;
}

/*
 * Copy-on-write (`overlay` mounts, `sbx run --cow`): an overlayfs whose lower
 * layer is the host directory, so the program sees the host's files and may
 * change them, and every change lands in the upper directory instead.
 *
 * With `upper` (sbx.spawn({ cow }) passes a fresh temporary directory of the
 * caller's) the upper and work directories are host directories reached
 * through /oldroot while the view is built; the payload's view never shows
 * them (they are under the caller's temporary directory, which the defaults
 * hide), and the caller reads the changes after exit with `--cow-diff`.
 * Without `upper` they are on a private tmpfs: changes are lost at exit.
 *
 * Overlayfs in a user namespace (Linux 5.11+) keeps its metadata in
 * `user.overlay.*` xattrs (`userxattr`): deletions are whiteouts (character
 * devices 0/0), a directory deleted and made again is "opaque".
 */
#include "launcher.h"
#include "cow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OLDROOT "/oldroot"
#define NEWROOT "/newroot"

/* Overlay option values cannot hold these (they separate layers/options). */
static bool safe_option_path(const char *p)
{
	return !strpbrk(p, ",:\\");
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ENAMETOOLONG;
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return errno;
		*s = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return errno;
	return 0;
}

int ln_mount_overlay(const struct sbx_spawn_mount *m, const char *dst, struct ln_ctx *c,
		     struct sbx_error *err)
{
	char lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], data[3 * PATH_MAX + 64];
	struct stat st;
	int e;
	(void)c;

	if (!m->source)
		return sbx_error_set(err, SBX_EVALUE, EINVAL, m->pointer,
				     "an overlay mount needs a source (the lower directory)");
	if (snprintf(lower, sizeof(lower), OLDROOT "%s", m->source) >= (int)sizeof(lower))
		return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, m->pointer, "source too long");
	if (stat(lower, &st) || !S_ISDIR(st.st_mode)) {
		e = errno;
		return sbx_error_sys(err, S_ISDIR(st.st_mode) ? e : ENOTDIR, "stat", m->pointer,
				     "overlay source %s: %s", m->source,
				     strerror(S_ISDIR(st.st_mode) ? e : ENOTDIR));
	}
	if (m->upper) {
		if (snprintf(upper, sizeof(upper), OLDROOT "%s", m->upper) >= (int)sizeof(upper) ||
		    snprintf(work, sizeof(work), OLDROOT "%s.work", m->upper) >= (int)sizeof(work))
			return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, m->pointer,
					     "upper too long");
	} else {
		/* A private tmpfs in the staging root, one per overlay. */
		char base[32];
		int i = 0;
		do
			snprintf(base, sizeof(base), "/cow.%d", i++);
		while (mkdir(base, 0700) && errno == EEXIST && i < 1000);
		if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"))
			return sbx_error_sys(err, errno, "mount", m->pointer,
					     "tmpfs for the overlay's upper layer: %s", strerror(errno));
		snprintf(upper, sizeof(upper), "%s/upper", base);
		snprintf(work, sizeof(work), "%s/work", base);
	}
	if ((e = mkdir_p(upper, 0755)) || (e = mkdir_p(work, 0700)))
		return sbx_error_sys(err, e, "mkdir", m->pointer,
				     "overlay upper/work directory %s: %s",
				     m->upper ? m->upper : "(tmpfs)", strerror(e));
	if (!safe_option_path(lower) || !safe_option_path(upper) || !safe_option_path(work))
		return sbx_error_set(err, SBX_EPATH, EINVAL, m->pointer,
				     "overlay paths cannot contain ',', ':' or '\\'");
	if (stat(dst, &st) && (e = mkdir_p(dst, 0755)))
		return sbx_error_sys(err, e, "mkdir", m->pointer,
				     "cannot create the mount point %s in the new root: %s",
				     m->target, strerror(e));
	snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s,userxattr", lower,
		 upper, work);
	if (mount("overlay", dst, "overlay", MS_NOSUID | MS_NODEV, data)) {
		e = errno;
		return sbx_error_sys(err, e, "mount", m->pointer,
				     "overlay on %s: %s%s", m->target, strerror(e),
				     e == EINVAL ? " (upper and lower must not overlap, the upper "
				     "must be on a filesystem with user xattrs, Linux 5.11+)" : "");
	}
	return 0;
}

/* ---- the walk: --cow-diff, --cow-apply (cow.h) ----------------------------------- */

bool ln_cow_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* The overlay xattr `key` ("opaque", "origin") on the directory `name`, in
 * the user. namespace (userxattr mounts: the launcher's) or trusted. */
static bool has_overlay_xattr(int dirfd, const char *name, const char *key, bool want_y)
{
	char path[64], attr[64], v[4];
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool yes = false;
	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int i = 0; i < 2 && !yes; i++) {
		snprintf(attr, sizeof(attr), "%s.overlay.%s", i ? "trusted" : "user", key);
		ssize_t n = getxattr(path, attr, v, sizeof(v));
		yes = want_y ? n == 1 && v[0] == 'y' : n >= 0 || errno == ERANGE;
	}
	close(fd);
	return yes;
}

bool ln_cow_is_opaque(int dirfd, const char *name)
{
	return has_overlay_xattr(dirfd, name, "opaque", true);
}

/* Copied up from the lower layer (overlayfs marks it, with an empty value
 * when the lower's file handle cannot be stored). */
static bool is_copied_up(int dirfd, const char *name)
{
	return has_overlay_xattr(dirfd, name, "origin", false);
}

/* Same content, mode and owner: a copy-up without a change (a file opened
 * for writing and left alone). */
static bool same_file(int ufd, int lfd, const char *name, const struct stat *us,
		      const struct stat *ls)
{
	char a[65536], b[65536];
	bool same = false;
	int fa, fb;

	if (us->st_size != ls->st_size || us->st_mode != ls->st_mode ||
	    us->st_uid != ls->st_uid || us->st_gid != ls->st_gid)
		return false;
	if (S_ISLNK(us->st_mode)) {
		ssize_t na = readlinkat(ufd, name, a, sizeof(a));
		ssize_t nb = readlinkat(lfd, name, b, sizeof(b));
		return na >= 0 && na == nb && !memcmp(a, b, (size_t)na);
	}
	if (!S_ISREG(us->st_mode))
		return us->st_rdev == ls->st_rdev;
	/* O_NONBLOCK: a fifo swapped in on the host does not block the walk. */
	fa = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	fb = openat(lfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fa >= 0 && fb >= 0) {
		for (;;) {
			ssize_t na = read(fa, a, sizeof(a));
			ssize_t nb = na > 0 ? read(fb, b, (size_t)na) : 0;
			if (na == 0) {
				same = read(fb, b, 1) == 0;
				break;
			}
			if (na < 0 || na != nb || memcmp(a, b, (size_t)na))
				break;
		}
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* rel + "/" + name in place; the new length, 0 if it does not fit. */
static size_t rel_push(char *rel, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len + 1 + n >= LN_COW_REL_MAX)
		return 0;
	if (len)
		rel[len++] = '/';
	memcpy(rel + len, name, n + 1);
	return len + n;
}

static DIR *dir_of(int fd)
{
	int d = dup(fd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir && d >= 0)
		close(d);
	return dir;
}

/* The names in a directory, read before anything in it changes (the apply
 * makes and removes temporary names there): one malloc'd block, each name
 * followed by its NUL, an empty name last. NULL on failure. */
static char *names_of(int fd)
{
	DIR *dir = dir_of(fd);
	struct dirent *de;
	size_t n = 0, cap = 4096;
	char *v = malloc(cap);
	bool ok = v != NULL;

	if (!dir) {
		free(v);
		return NULL;
	}
	while (ok && (de = readdir(dir))) {
		size_t k = strlen(de->d_name) + 1;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n + k + 1 > cap) {
			while (n + k + 1 > cap)
				cap *= 2;
			char *nv = realloc(v, cap);
			if (!nv) {
				ok = false;
				continue;
			}
			v = nv;
		}
		memcpy(v + n, de->d_name, k);
		n += k;
	}
	closedir(dir);
	if (!ok) {
		free(v);
		return NULL;
	}
	v[n] = '\0';
	return v;
}

#define for_each_name(p, names) for (const char *p = (names); *p; p += strlen(p) + 1)

static void failed(struct ln_cow_apply *ap, const char *rel, const char *what)
{
	if (ap)
		ln_cow_apply_stop(ap, rel, what, errno);
}

/* Entries of the lower dir `lfd` that an opaque upper dir `ufd` hides: the
 * names the upper does not have at all (a whiteout there is the walk's). */
static int opaque_deletions(int ufd, int lfd, char *rel, size_t len, struct ln_cow_apply *ap)
{
	char *names = names_of(lfd);
	struct stat st, ust;
	int rc = 0;

	if (!names) {
		failed(ap, rel, "reading the directory on the host");
		return -1;
	}
	for_each_name(name, names) {
		struct ln_cow_done done;
		size_t n;
		if (!fstatat(ufd, name, &ust, AT_SYMLINK_NOFOLLOW))
			continue;
		if (fstatat(lfd, name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (!(n = rel_push(rel, len, name))) {
			errno = ENAMETOOLONG;
			failed(ap, rel, "path");
			rc = -1;
			continue;
		}
		if (ap)
			ln_cow_apply_remove(ap, lfd, name, &st, rel, &done);
		ln_cow_emit("deleted", rel, st.st_mode, ap ? &done : NULL);
		rel[len] = '\0';
	}
	free(names);
	return rc;
}

/* Walk the upper dir `ufd` against the lower dir `lfd` (-1: none); `full`:
 * beneath an opaque dir. `rel` holds the path of ufd (length len). */
static int walk(int ufd, int lfd, char *rel, size_t len, bool full, struct ln_cow_apply *ap)
{
	char *names = names_of(ufd);
	int rc = 0;

	if (!names) {
		failed(ap, rel, "reading the sandbox's copy");
		return -1;
	}
	for_each_name(name, names) {
		struct ln_cow_done done, *dp = ap ? &done : NULL;
		struct stat us, ls;
		bool has_lower, opaque, sub_full = false, set_mode = false;
		int sub, lsub = -1;
		size_t n = rel_push(rel, len, name);

		if (!n) {
			errno = ENAMETOOLONG;
			failed(ap, rel, "path");
			rc = -1;
			continue;
		}
		if (fstatat(ufd, name, &us, AT_SYMLINK_NOFOLLOW)) {
			failed(ap, rel, "reading the sandbox's copy");
			rc = -1;
			goto next;
		}
		has_lower = lfd >= 0 && !fstatat(lfd, name, &ls, AT_SYMLINK_NOFOLLOW);
		if (ln_cow_is_whiteout(&us)) {
			if (has_lower) {
				if (ap)
					ln_cow_apply_remove(ap, lfd, name, &ls, rel, dp);
				ln_cow_emit("deleted", rel, ls.st_mode, dp);
			}
			goto next;
		}
		if (!S_ISDIR(us.st_mode)) {
			const char *kind = !has_lower ? "created"
				: ((us.st_mode & S_IFMT) != (ls.st_mode & S_IFMT) ||
				   !same_file(ufd, lfd, name, &us, &ls)) ? "modified" : NULL;
			if (kind) {
				if (ap)
					ln_cow_apply_put(ap, ufd, lfd, name, &us, has_lower ? &ls : NULL,
							 rel, dp);
				ln_cow_emit(kind, rel, us.st_mode, dp);
			}
			goto next;
		}
		/* A directory: new, replacing a non-directory, or copied up
		 * (maybe opaque: deleted and made again). */
		sub = openat(ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			failed(ap, rel, "reading the sandbox's copy");
			rc = -1;
			goto next;
		}
		opaque = ln_cow_is_opaque(ufd, name);
		/* Not what the sandbox saw: a directory it did not make anew
		 * (not opaque) over a host non-directory (replacing one makes
		 * it opaque), or one it copied up whose host side is gone. The
		 * host changed during the run; the tree under it was merged
		 * with a lower layer that is no longer there. (Beneath an
		 * opaque directory nothing of the lower was seen.) */
		if (ap && !ln_cow_apply_stopped(ap) && !opaque && !full &&
		    (has_lower ? !S_ISDIR(ls.st_mode) : is_copied_up(ufd, name)))
			ln_cow_apply_stop(ap, rel, "not what the sandbox saw: changed on the host "
					  "during the run", 0);
		if (!has_lower || !S_ISDIR(ls.st_mode)) {
			if (ap)
				set_mode = (lsub = ln_cow_apply_mkdir(ap, lfd, name, has_lower ? &ls : NULL,
								      rel, dp)) >= 0;
			ln_cow_emit(has_lower ? "modified" : "created", rel, us.st_mode, dp);
		} else {
			if (ap && !ln_cow_apply_stopped(ap))
				lsub = ln_cow_apply_open_dir(ap, lfd, name, &ls, rel);
			if (lsub < 0)   /* listing only (--cow-diff, or the apply stopped) */
				lsub = openat(lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if ((us.st_mode & 07777) != (ls.st_mode & 07777)) {
				if (ap)
					set_mode = ln_cow_apply_pending(ap, dp);
				ln_cow_emit("modified", rel, us.st_mode, dp);
			}
			/* Below an opaque dir the upper tree is the whole
			 * new state: what only the lower has is deleted. */
			if (lsub >= 0 && (full || opaque)) {
				sub_full = true;
				if (opaque_deletions(sub, lsub, rel, n, ap))
					rc = -1;
			}
		}
		if (walk(sub, lsub, rel, n, sub_full, ap))
			rc = -1;
		/* Its mode last (it may take away our own write access), also
		 * when the apply stopped inside: its line said applied. */
		if (set_mode)
			ln_cow_apply_dir_mode(ap, lsub, &us, rel);
		close(sub);
		if (lsub >= 0)
			close(lsub);
	next:
		rel[len] = '\0';
	}
	free(names);
	return rc;
}

int ln_cow_walk(int ufd, int lfd, struct ln_cow_apply *ap)
{
	char rel[LN_COW_REL_MAX] = "";
	return walk(ufd, lfd, rel, 0, false, ap);
}

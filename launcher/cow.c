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

/* ---- --cow-diff ------------------------------------------------------------ */

static void put_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static const char *type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "symlink";
	return "other";
}

static void report(const char *kind, const char *rel, mode_t type)
{
	fputs("{\"kind\":\"", stdout);
	fputs(kind, stdout);
	fputs("\",\"path\":", stdout);
	put_json_str(stdout, rel);
	fprintf(stdout, ",\"type\":\"%s\"}\n", type_name(type));
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd, const char *name)
{
	char path[64], v[4];
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	bool yes = false;
	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int i = 0; i < 2 && !yes; i++) {
		ssize_t n = getxattr(path, i ? "trusted.overlay.opaque" : "user.overlay.opaque", v,
				     sizeof(v));
		yes = n == 1 && v[0] == 'y';
	}
	close(fd);
	return yes;
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
	fa = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	fb = openat(lfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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

static bool join_rel(char *out, const char *rel, const char *name)
{
	int n = rel[0] ? snprintf(out, PATH_MAX, "%s/%s", rel, name)
		       : snprintf(out, PATH_MAX, "%s", name);
	return n > 0 && n < PATH_MAX;
}

/* Entries of the lower dir `lfd` that an opaque upper dir `ufd` hides. */
static void opaque_deletions(int ufd, int lfd, const char *rel)
{
	int d = dup(lfd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *de;
	char child[PATH_MAX];
	struct stat st, ust;

	if (!dir) {
		if (d >= 0)
			close(d);
		return;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!fstatat(ufd, de->d_name, &ust, AT_SYMLINK_NOFOLLOW) && !is_whiteout(&ust))
			continue;   /* replaced: reported from the upper side */
		if (fstatat(lfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !join_rel(child, rel, de->d_name))
			continue;
		report("deleted", child, st.st_mode);
	}
	closedir(dir);
}

/* Walk the upper dir `ufd` against the lower dir `lfd` (-1: none); `full`:
 * beneath an opaque dir. */
static int walk(int ufd, int lfd, const char *rel, bool full)
{
	int d = dup(ufd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *de;
	char child[PATH_MAX];
	int rc = 0;

	if (!dir) {
		if (d >= 0)
			close(d);
		return -1;
	}
	while ((de = readdir(dir))) {
		struct stat us, ls;
		bool has_lower;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(ufd, de->d_name, &us, AT_SYMLINK_NOFOLLOW) ||
		    !join_rel(child, rel, de->d_name)) {
			rc = -1;
			continue;
		}
		has_lower = lfd >= 0 && !fstatat(lfd, de->d_name, &ls, AT_SYMLINK_NOFOLLOW);
		if (is_whiteout(&us)) {
			if (has_lower)
				report("deleted", child, ls.st_mode);
			continue;
		}
		if (!S_ISDIR(us.st_mode)) {
			if (!has_lower)
				report("created", child, us.st_mode);
			else if ((us.st_mode & S_IFMT) != (ls.st_mode & S_IFMT) ||
				 !same_file(ufd, lfd, de->d_name, &us, &ls))
				report("modified", child, us.st_mode);
			continue;
		}
		/* A directory: new, replacing a non-directory, or copied up
		 * (maybe opaque: deleted and made again). */
		int sub = openat(ufd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int lsub = -1;
		bool sub_full = false;
		if (sub < 0) {
			rc = -1;
			continue;
		}
		if (!has_lower || !S_ISDIR(ls.st_mode)) {
			report(has_lower ? "modified" : "created", child, us.st_mode);
		} else {
			lsub = openat(lfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if ((us.st_mode & 07777) != (ls.st_mode & 07777))
				report("modified", child, us.st_mode);
			/* Below an opaque dir the upper tree is the whole
			 * new state: what only the lower has is deleted. */
			if (lsub >= 0 && (full || is_opaque(ufd, de->d_name))) {
				sub_full = true;
				opaque_deletions(sub, lsub, child);
			}
		}
		if (walk(sub, lsub, child, sub_full))
			rc = -1;
		close(sub);
		if (lsub >= 0)
			close(lsub);
	}
	closedir(dir);
	return rc;
}

int ln_cow_diff_main(int argc, char **argv)
{
	if (argc != 2) {
		dprintf(2, "usage: sbx-launcher --cow-diff UPPER LOWER\n");
		return 2;
	}
	int ufd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0 || lfd < 0) {
		dprintf(2, "sbx-launcher: --cow-diff: %s: %s\n", ufd < 0 ? argv[0] : argv[1],
			strerror(errno));
		return 1;
	}
	int rc = walk(ufd, lfd, "", false);
	fflush(stdout);
	close(ufd);
	close(lfd);
	return rc ? 1 : 0;
}

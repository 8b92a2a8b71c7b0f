/*
 * Paths the spawn door binds, resolved once and bound by file descriptor
 * (docs/spawn.md, "Paths"; docs/security-model.md, "Planted code and
 * redirected paths").
 *
 * A sandbox may leave symlinks wherever it could write. A later sandbox
 * started in (or binding) a path that goes through one of them would get the
 * link's target instead: `sub` replaced by a link to ~/.ssh, then a sandbox
 * started in `sub` had ~/.ssh writable. So every path the view binds (the
 * working directory, the `fs` paths bound writable or beneath a hidden
 * directory, `mounts` sources and targets) is walked here one component at a
 * time with O_NOFOLLOW, and a symlink is followed only where no sandbox has
 * been given write access by default: in `/`, in $HOME and in the
 * directories on the way to $HOME (which sbx refuses as a working directory:
 * ln_paths_check). `/home -> /var/home`, `~/code -> /mnt/ssd/code` are
 * followed; `~/proj/sub -> ~/.ssh` is refused (unless `followSymlinks`).
 * The walk yields an O_PATH fd of the very object, which is then cloned
 * (open_tree) and attached (move_mount) by fd: nothing is looked up again
 * by name between the check and the bind.
 *
 * Then, over the finished view and before pivot_root, the protected and
 * hidden paths of the plan (ln_protect): fs.protect entries inside a
 * writable bind become read-only bind mounts of themselves, every directory
 * and symlink on the way to them inside the writable bind is pinned (bound
 * onto itself: a mount point cannot be renamed, removed or replaced, so
 * `mv .git .git-old && git init` fails), and a missing required entry gets
 * an empty read-only directory; fs.hide entries get an empty directory or
 * file mounted over them.
 */
#include "kernel_defs.h"
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

#define LN_ATTR_RDONLY 0x1ULL
#define LN_ATTR_NOSUID 0x2ULL
#define LN_ATTR_NODEV 0x4ULL

struct ln_mount_attr_ {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};

/* ---- trusted directories ------------------------------------------------------- */

#define LN_TRUST_MAX 64

struct ln_trust {
	size_t n;
	dev_t dev[LN_TRUST_MAX];
	ino_t ino[LN_TRUST_MAX];
};

static struct ln_trust trust;

static void trust_add(const struct stat *st)
{
	for (size_t i = 0; i < trust.n; i++)
		if (trust.dev[i] == st->st_dev && trust.ino[i] == st->st_ino)
			return;
	if (trust.n < LN_TRUST_MAX) {
		trust.dev[trust.n] = st->st_dev;
		trust.ino[trust.n] = st->st_ino;
		trust.n++;
	}
}

static bool trusted(const struct stat *st)
{
	for (size_t i = 0; i < trust.n; i++)
		if (trust.dev[i] == st->st_dev && trust.ino[i] == st->st_ino)
			return true;
	return false;
}

/* ---- the walk ------------------------------------------------------------------ */

#define RES_TRUST 1u      /* refuse a symlink in a directory not trusted     */
#define RES_MKDIR 2u      /* make what is missing (mount points)             */
#define RES_LEAF_FILE 4u  /* with RES_MKDIR: the last component is a file    */
#define RES_COLLECT 8u    /* add every directory stepped into to the trust  */

static int dup_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static bool same_obj(int a, int b)
{
	struct stat x, y;
	return !fstat(a, &x) && !fstat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* Append "/name" to done (bounded). */
static void done_push(char *done, const char *name, size_t len)
{
	size_t n = strlen(done);
	if (n + len + 2 >= PATH_MAX)
		return;
	done[n] = '/';
	memcpy(done + n + 1, name, len);
	done[n + 1 + len] = '\0';
}

static void done_pop(char *done)
{
	char *s = strrchr(done, '/');
	if (s)
		*s = '\0';
}

/*
 * Resolve the absolute `path` from `root` (a directory fd that stands for
 * `/`: ".." and absolute links never leave it). Returns an O_PATH fd, or -1
 * with err filled: `what` names the path in the message, `pointer` is its
 * policy pointer.
 */
static int resolve(int root, const char *path, unsigned flags, const char *what,
		   const char *pointer, struct sbx_error *err)
{
	char rem[2 * PATH_MAX], done[PATH_MAX] = "", tmp[2 * PATH_MAX];
	int cur = dup_fd(root), links = 0;
	struct stat st;

	if (cur < 0)
		return sbx_error_sys(err, errno, "fcntl", pointer, "%s %s: %s", what, path,
				     strerror(errno)), -1;
	if (strlen(path) >= sizeof(rem)) {
		close(cur);
		return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, pointer, "%s: path too long", what), -1;
	}
	strcpy(rem, path);
	if ((flags & RES_COLLECT) && !fstat(cur, &st))
		trust_add(&st);
	for (char *p = rem;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *next = p + len;
		while (*next == '/')
			next++;
		bool last = !*next;
		char name[NAME_MAX + 1];

		if (len > NAME_MAX) {
			close(cur);
			return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, pointer,
					     "%s %s: a name is too long", what, path), -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p = next;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (same_obj(cur, root))
				continue;
			int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (up < 0) {
				int x = errno;
				close(cur);
				return sbx_error_sys(err, x, "openat", pointer, "%s %s: %s", what,
						     path, strerror(x)), -1;
			}
			close(cur);
			cur = up;
			done_pop(done);
			continue;
		}
		int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && (flags & RES_MKDIR)) {
			if (last && (flags & RES_LEAF_FILE)) {
				int w = openat(cur, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					       O_CLOEXEC, 0644);
				if (w >= 0)
					close(w);
			} else {
				(void)mkdirat(cur, name, 0755);
			}
			fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			int x = errno;
			done_push(done, name, len);
			close(cur);
			if (flags & RES_MKDIR)
				return sbx_error_sys(err, x, "mkdir", pointer,
						     "cannot create the mount point %s in the new root: %s%s",
						     done, strerror(x), x == EROFS ? " (its parent is "
						     "read-only: mount a tmpfs over a parent first, or "
						     "create it on the host)" : ""), -1;
			return sbx_error_sys(err, x, "openat", pointer, "%s %s: %s%s%s", what,
					     path, done, done[0] ? ": " : "", strerror(x)), -1;
		}
		if (fstat(fd, &st)) {
			int x = errno;
			close(fd);
			close(cur);
			return sbx_error_sys(err, x, "fstat", pointer, "%s %s: %s", what, path,
					     strerror(x)), -1;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			struct stat dst;
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			int x = errno;

			close(fd);
			if (n < 0 || ++links > 40) {
				close(cur);
				return sbx_error_sys(err, n < 0 ? x : ELOOP, "readlink", pointer,
						     "%s %s: %s", what, path,
						     strerror(n < 0 ? x : ELOOP)), -1;
			}
			target[n] = '\0';
			if ((flags & RES_TRUST) && (fstat(cur, &dst) || !trusted(&dst))) {
				char link[PATH_MAX];

				snprintf(link, sizeof(link), "%s", done);
				done_push(link, name, len);
				close(cur);
				return sbx_error_set(err, SBX_EPATH, ELOOP, pointer,
					"%s %s: %s is a symbolic link (to %s) in %s, a directory a "
					"sandbox may have written: refused, so that a link planted "
					"by an earlier sandbox cannot redirect it. Give the path it "
					"points to, or set \"followSymlinks\": true in the policy",
					what, path, link, target,
					done[0] ? done : "/"), -1;
			}
			if (snprintf(tmp, sizeof(tmp), "%s/%s", target, p) >= (int)sizeof(tmp)) {
				close(cur);
				return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, pointer,
						     "%s %s: path too long", what, path), -1;
			}
			strcpy(rem, tmp);
			p = rem;
			if (target[0] == '/') {
				close(cur);
				if ((cur = dup_fd(root)) < 0)
					return sbx_error_sys(err, errno, "fcntl", pointer, "%s", what), -1;
				done[0] = '\0';
			}
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			close(fd);
			close(cur);
			done_push(done, name, len);
			return sbx_error_sys(err, ENOTDIR, "openat", pointer, "%s %s: %s: %s", what,
					     path, done, strerror(ENOTDIR)), -1;
		}
		if ((flags & RES_COLLECT) && S_ISDIR(st.st_mode))
			trust_add(&st);
		done_push(done, name, len);
		close(cur);
		cur = fd;
	}
	return cur;
}

/* ---- before the namespaces: the working directory ---------------------------- */

int ln_paths_check(struct ln_ctx *c, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;
	const char *cwd = plan->caller_cwd;
	struct stat st, rs, hs;
	int root, fd;

	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return sbx_error_sys(err, errno, "open", NULL, "/: %s", strerror(errno));
	/* `/`, $HOME and every directory on the way to it, links followed (a
	 * missing home: as far as it exists). */
	trust.n = 0;
	if (!fstat(root, &rs))
		trust_add(&rs);
	if (plan->home) {
		struct sbx_error ignore;
		int h = resolve(root, plan->home, RES_COLLECT, "$HOME", NULL, &ignore);

		if (h >= 0)
			close(h);
	}
	if (!cwd || cwd[0] != '/') {
		close(root);
		return 0;
	}
	fd = resolve(root, cwd, plan->follow_symlinks ? 0 : RES_TRUST, "working directory", "/cwd",
		     err);
	close(root);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st)) {
		int x = errno;
		close(fd);
		return sbx_error_sys(err, x, "fstat", "/cwd", "working directory %s: %s", cwd,
				     strerror(x));
	}
	close(fd);
	if (plan->allow_broad_cwd || !trusted(&st))
		return 0;
	{
		const char *is = "a parent of $HOME";
		bool is_root = st.st_dev == rs.st_dev && st.st_ino == rs.st_ino;

		if (is_root)
			is = "the root directory";
		else if (plan->home && stat(plan->home, &hs) == 0 && hs.st_dev == st.st_dev &&
			 hs.st_ino == st.st_ino)
			is = "$HOME";
		return sbx_error_set(err, SBX_EPATH, EPERM, "/allowBroadCwd",
			"the working directory %s is %s%s%s%s: the sandbox could write every file "
			"beneath it (shell start-up files, ~/.ssh, other projects), which the host "
			"runs or trusts later. Start it in a project directory, or set "
			"\"allowBroadCwd\": true in the policy", cwd, is,
			!is_root && plan->home ? " (" : "", !is_root && plan->home ? plan->home : "",
			!is_root && plan->home ? ")" : "");
	}
}

/* ---- binds, by fd ---------------------------------------------------------------- */

static int attach(int tree, int dst, unsigned long long attrs, bool recursive, const char *what,
		  const char *path, const char *pointer, struct sbx_error *err)
{
	struct ln_mount_attr_ a = { .attr_set = attrs };
	int rc = 0;

	if (tree < 0)
		return sbx_error_sys(err, errno, "open_tree", pointer, "%s %s: %s%s", what, path,
				     strerror(errno), errno == ENOSYS ? " (Linux 5.12 or later is needed)" : "");
	if (attrs && syscall(__NR_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
			     &a, sizeof(a)))
		rc = sbx_error_sys(err, errno, "mount_setattr", pointer, "%s %s: %s", what, path,
				   strerror(errno));
	else if (syscall(__NR_move_mount, tree, "", dst, "",
			 MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH))
		rc = sbx_error_sys(err, errno, "move_mount", pointer, "%s %s: %s", what, path,
				   strerror(errno));
	close(tree);
	return rc;
}

static int clone_tree(int fd, bool recursive)
{
	return (int)syscall(__NR_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
			    (recursive ? AT_RECURSIVE : 0));
}

int ln_bind_host(struct ln_ctx *c, const struct sbx_spawn_mount *m, int oldroot, int newroot,
		 struct sbx_error *err)
{
	const unsigned trust_flag = c->plan->follow_symlinks ? 0 : RES_TRUST;
	struct stat ss, ds;
	int src, dst, rc;

	src = resolve(oldroot, m->source, trust_flag, "bind source", m->pointer, err);
	if (src < 0) {
		if (m->optional && err->err == ENOENT) {
			char why[PATH_MAX + 32];
			snprintf(why, sizeof(why), "%s: %s", m->source, strerror(ENOENT));
			ln_event_skipped(c, "mount", why);
			return 1;
		}
		return -1;
	}
	if (fstat(src, &ss)) {
		rc = sbx_error_sys(err, errno, "fstat", m->pointer, "bind source %s: %s", m->source,
				   strerror(errno));
		close(src);
		return rc;
	}
	dst = resolve(newroot, m->target, trust_flag | RES_MKDIR |
		      (S_ISDIR(ss.st_mode) ? 0 : RES_LEAF_FILE), "mount target", m->pointer, err);
	if (dst < 0) {
		close(src);
		return -1;
	}
	if (fstat(dst, &ds) || S_ISDIR(ds.st_mode) != S_ISDIR(ss.st_mode)) {
		close(src);
		close(dst);
		return sbx_error_sys(err, ENOTDIR, "mkdir", m->pointer,
				     "cannot create the mount point %s in the new root: %s",
				     m->target, strerror(ENOTDIR));
	}
	rc = attach(clone_tree(src, true), dst, LN_ATTR_NOSUID | LN_ATTR_NODEV |
		    (m->writable ? 0 : LN_ATTR_RDONLY), true, "bind", m->source, m->pointer, err);
	close(src);
	close(dst);
	return rc;
}

/* ---- protected and hidden paths, over the finished view ---------------------------- */

static bool writable_mount(int fd)
{
	struct statvfs v;
	return fstatvfs(fd, &v) == 0 && !(v.f_flag & ST_RDONLY);
}

static bool mount_root(int fd)
{
	struct statx x;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &x))
		return false;
	return (x.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (x.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* An O_PATH fd of a new empty directory or file in the staging root, used
 * as the source of every fs.hide mount (made once, on the first hide). */
static int empty_obj(struct ln_ctx *c, bool dir)
{
	int *slot = dir ? &c->empty_dir : &c->empty_file;
	const char *name = dir ? "/.sbx-empty-dir" : "/.sbx-empty-file";

	if (*slot >= 0)
		return *slot;
	if (dir) {
		if (mkdir(name, 0555) && errno != EEXIST)
			return -1;
	} else {
		int w = open(name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
		if (w < 0)
			return -1;
		close(w);
	}
	*slot = open(name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return *slot;
}

/*
 * Walk one entry from its root. `dry`: change nothing, only say whether there
 * is something to do (1) or not (0), so that nothing is pinned on the way to
 * a path that is not there (pinning node_modules for an absent
 * node_modules/sbx would make `rm -rf node_modules` fail). Else do it: 0, or
 * -1 with err.
 */
/* The writable root the last entries were walked from, resolved once for
 * all of them (most lie in the working directory): valid until something is
 * mounted, which could change what a path resolves to. */
struct root_memo {
	const char *root;
	int fd;
};

static void memo_drop(struct root_memo *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->root = NULL;
}

static int memo_root(struct root_memo *m, int newroot, const char *root, const char *what,
		     const char *ptr)
{
	struct sbx_error ignore;
	if (!m->root || strcmp(m->root, root)) {
		memo_drop(m);
		m->fd = resolve(newroot, root, 0, what, ptr, &ignore);
		m->root = root;
	}
	return m->fd < 0 ? -1 : dup_fd(m->fd);
}

static int protect_walk(struct ln_ctx *c, int newroot, const struct sbx_spawn_protect *e,
			struct root_memo *memo, bool dry, struct sbx_error *err)
{
	char rem[2 * PATH_MAX], tmp[2 * PATH_MAX];
	const char *what = e->hide ? "hiding" : "protecting";
	const char *ptr = e->pointer;
	int cur, links = 0, rc = 0, act = 0;
	const char *rest = e->path;

	/* From the writable root it lies in (bound already, so walked freely),
	 * or from / for a hidden path of the host's own tree. */
	if (e->root) {
		size_t n = strlen(e->root);
		if (strcmp(e->root, "/") && (strncmp(e->path, e->root, n) ||
					     (e->path[n] && e->path[n] != '/')))
			return 0;
		rest = strcmp(e->root, "/") ? e->path + n : e->path;
		cur = memo_root(memo, newroot, e->root, what, ptr);
	} else {
		cur = dup_fd(newroot);
	}
	if (cur < 0)
		return 0;          /* the root is not there: nothing to do */
	if (strlen(rest) >= sizeof(rem)) {
		close(cur);
		return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, ptr, "%s %s: too long", what, e->path);
	}
	strcpy(rem, rest);
	for (char *p = rem; !rc;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);
		char *next = p + len;
		while (*next == '/')
			next++;
		bool last = !*next;
		char name[NAME_MAX + 1];
		struct stat st;

		if (len > NAME_MAX)
			break;
		memcpy(name, p, len);
		name[len] = '\0';
		p = next;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			break;     /* the plan never makes these: nothing to protect */
		int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			/* Missing: a required protected path gets an empty
			 * directory, read-only below, so that it cannot be made;
			 * hidden or optional ones, or a missing parent: nothing. */
			if (errno != ENOENT || e->hide || e->optional || !last || !writable_mount(cur))
				break;
			if (dry) {
				act = 1;
				break;
			}
			/* Prepared ahead (server.c): the path existed when the
			 * server looked (needs_placeholder) and has gone since, e.g.
			 * the host is removing the project. Making it now would
			 * change the host after the request that asked for it
			 * ended: this sandbox is dropped, the request goes cold. */
			if (c->slot_sock >= 0) {
				close(cur);
				return sbx_error_set(err, SBX_EPATH, ENOENT, ptr,
						     "%s %s: gone since the sandbox was planned", what, e->path);
			}
			if (mkdirat(cur, name, 0755) && errno != EEXIST) {
				int x = errno;

				/* Not ours to make, so not the sandbox's either. */
				if (x == EACCES || x == EPERM || x == EROFS)
					break;
				/* Anything else may pass (a full /tmp that frees up):
				 * the sandbox could then make the path unprotected. */
				close(cur);
				return sbx_error_sys(err, x, "mkdir", ptr,
						     "%s %s: cannot make the empty directory that keeps it "
						     "from being created: %s (free space there, or create it "
						     "on the host)", what, e->path, strerror(x));
			}
			fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				break;
		}
		if (fstat(fd, &st)) {
			close(fd);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

			/* Pinned: the link cannot be replaced; then followed. */
			if (!dry && !e->hide && writable_mount(fd))
				rc = attach(clone_tree(fd, false), fd, 0, false, "pinning", e->path, ptr, err);
			close(fd);
			if (rc || n < 0 || ++links > 40)
				break;
			target[n] = '\0';
			if (snprintf(tmp, sizeof(tmp), "%s/%s", target, p) >= (int)sizeof(tmp))
				break;
			strcpy(rem, tmp);
			p = rem;
			if (target[0] == '/') {
				close(cur);
				if ((cur = dup_fd(newroot)) < 0)
					return sbx_error_sys(err, errno, "fcntl", ptr, "%s", what);
			}
			continue;
		}
		if (!last && S_ISDIR(st.st_mode)) {
			/* A directory on the way: pinned, so that it cannot be
			 * renamed away and replaced by one the sandbox made. */
			if (!dry && !e->hide && writable_mount(fd) && !mount_root(fd)) {
				rc = attach(clone_tree(fd, true), fd, 0, true, "pinning", e->path, ptr, err);
				close(fd);
				fd = rc ? -1 : openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
				if (fd < 0)
					break;
			}
			close(cur);
			cur = fd;
			continue;
		}
		if (dry) {
			act = e->hide ? last : writable_mount(fd);
		} else if (e->hide) {
			if (last) {
				int src = empty_obj(c, S_ISDIR(st.st_mode));
				rc = src < 0 ? sbx_error_sys(err, errno, "mkdir", ptr, "%s %s: %s", what,
							     e->path, strerror(errno))
					     : attach(clone_tree(src, false), fd, LN_ATTR_RDONLY |
						      LN_ATTR_NOSUID | LN_ATTR_NODEV, false, what,
						      e->path, ptr, err);
			}
		} else if (writable_mount(fd)) {
			/* The path itself, or a file where a directory was
			 * expected (a worktree's `.git` file): read-only. */
			rc = attach(clone_tree(fd, true), fd, LN_ATTR_RDONLY | LN_ATTR_NOSUID |
				    LN_ATTR_NODEV, true, what, e->path, ptr, err);
		}
		close(fd);
		break;
	}
	close(cur);
	return rc ? -1 : dry ? act : 0;
}

static int protect_one(struct ln_ctx *c, int newroot, const struct sbx_spawn_protect *e,
		       struct root_memo *memo, struct sbx_error *err)
{
	int r = protect_walk(c, newroot, e, memo, true, err);

	if (r <= 0)
		return r;
	/* This walk mounts: what was resolved before or during it may have
	 * been covered since. */
	memo_drop(memo);
	r = protect_walk(c, newroot, e, memo, false, err);
	memo_drop(memo);
	return r;
}

int ln_protect(struct ln_ctx *c, int newroot, struct sbx_error *err)
{
	int rc = 0;
	struct root_memo memo = { NULL, -1 };

	for (size_t i = 0; !rc && i < c->plan->nprotect; i++)
		rc = protect_one(c, newroot, &c->plan->protect[i], &memo, err) ? -1 : 0;
	memo_drop(&memo);
	if (c->empty_dir >= 0)
		close(c->empty_dir);
	if (c->empty_file >= 0)
		close(c->empty_file);
	c->empty_dir = c->empty_file = -1;
	return rc;
}

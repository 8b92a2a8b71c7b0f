/*
 * The filesystem view. The way bubblewrap does it, in outline: everything
 * private, a tmpfs becomes the root at once with the host root under
 * /oldroot (so that binds read their sources from /oldroot whatever gets
 * mounted over /tmp or /home in the new view), the new root is assembled
 * under /newroot, /newroot becomes / and the old root goes, host and all.
 *
 * Read-only is set on whole mount trees with mount_setattr(AT_RECURSIVE)
 * (Linux 5.12): one call instead of remounting every submount, and it only
 * ever adds flags, which a user namespace may do to locked mounts.
 */
#include "host_check.h"
#include "kernel_defs.h"
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>


#define LN_ATTR_RDONLY 0x1ULL
#define LN_ATTR_NOSUID 0x2ULL
#define LN_ATTR_NODEV 0x4ULL

struct ln_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define BASE "/tmp"
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static int set_attrs(const char *path, uint64_t set, const char *pointer, struct sbx_error *err)
{
	struct ln_mount_attr a = { .attr_set = set };
	if (syscall(__NR_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof(a)) == 0)
		return 0;
	int e = errno;
	return sbx_error_sys(err, e, "mount_setattr", pointer,
			     "making %s read-only: %s%s", path + strlen(NEWROOT), strerror(e),
			     e == ENOSYS ? " (Linux 5.12 or later is needed)" : "");
}

/* mkdir -p of `path` (absolute, under /newroot). */
static int mkdirs(const char *path)
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
	if (mkdir(buf, 0755) && errno != EEXIST)
		return errno;
	return 0;
}

/* The mount point: a directory, or an empty file for a file bind. */
static int make_target(const char *dst, bool dir)
{
	struct stat st;
	if (lstat(dst, &st) == 0)
		return S_ISDIR(st.st_mode) == dir ? 0 : ENOTDIR;
	if (dir)
		return mkdirs(dst);
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", dst);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		int e = mkdirs(parent);
		if (e)
			return e;
	}
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int target_error(struct sbx_error *err, int e, const char *target, const char *pointer)
{
	return sbx_error_sys(err, e, "mkdir", pointer,
			     "cannot create the mount point %s in the new root: %s%s", target,
			     strerror(e), e == EROFS ? " (its parent is read-only: mount a tmpfs "
			     "over a parent first, or create it on the host)" : "");
}

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
		    const char *data, const char *what, const char *pointer, struct sbx_error *err)
{
	if (mount(src, dst, type, flags, data) == 0)
		return 0;
	int e = errno;
	return sbx_error_sys(err, e, "mount", pointer, "%s on %s: %s", what,
			     dst + strlen(NEWROOT), strerror(e));
}

static int mount_tmpfs(const struct sbx_spawn_mount *m, const char *dst, struct sbx_error *err)
{
	char data[64];
	struct stat st;
	/* Hiding what does not exist: nothing to do. */
	if (m->optional && lstat(dst, &st) && errno == ENOENT)
		return 1;
	int e = make_target(dst, true);
	if (e)
		return target_error(err, e, m->target, m->pointer);
	int n = snprintf(data, sizeof(data), "mode=%s", strcmp(m->target, "/tmp") ? "0755" : "1777");
	if (m->size)
		snprintf(data + n, sizeof(data) - (size_t)n, ",size=%llu", (unsigned long long)m->size);
	return do_mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, data, "tmpfs", m->pointer, err);
}

static int mount_proc(const struct sbx_spawn_mount *m, const char *dst, struct sbx_error *err)
{
	int e = make_target(dst, true);
	if (e)
		return target_error(err, e, m->target, m->pointer);
	return do_mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "proc",
			m->pointer, err);
}

/* dir + "/" + name into buf (PATH_MAX); false when it does not fit. */
static bool join(char *buf, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	if (a + b + 2 > PATH_MAX)
		return false;
	memcpy(buf, dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b + 1);
	return true;
}

/* A tmpfs with the harmless devices bound from the host, a private devpts
 * (no access to the host's terminals) and a private /dev/shm. */
static int mount_dev(const struct sbx_spawn_mount *m, const char *dst, struct sbx_error *err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
		{ "ptmx", "pts/ptmx" },
	};
	char p[PATH_MAX], src[64], data[64], shm[64];
	int e = make_target(dst, true);
	if (e)
		return target_error(err, e, m->target, m->pointer);
	/* Both sized (spawn_plan.c): /dev/shm is writable under the presets,
	 * and the kernel's default is half of the host's memory per mount. */
	snprintf(data, sizeof(data), "mode=0755");
	snprintf(shm, sizeof(shm), "mode=1777");
	if (m->size) {
		snprintf(data, sizeof(data), "mode=0755,size=%llu", (unsigned long long)m->size);
		snprintf(shm, sizeof(shm), "mode=1777,size=%llu", (unsigned long long)m->size);
	}
	int rc = do_mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NOEXEC, data, "dev tmpfs",
			  m->pointer, err);
	for (size_t i = 0; !rc && i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(src, sizeof(src), OLDROOT "/dev/%s", nodes[i]);
		if (access(src, F_OK))
			continue;   /* no /dev/tty in some containers */
		if (!join(p, dst, nodes[i]))
			return target_error(err, ENAMETOOLONG, m->target, m->pointer);
		/* The tmpfs was mounted just now: no parent to make, nothing
		 * there yet (make_target would look and mkdir for each). */
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return target_error(err, errno, p + strlen(NEWROOT), m->pointer);
		close(fd);
		rc = do_mount(src, p, NULL, MS_BIND, NULL, "device bind", m->pointer, err);
	}
	for (size_t i = 0; !rc && i < sizeof(links) / sizeof(links[0]); i++) {
		if (!join(p, dst, links[i][0]))
			return target_error(err, ENAMETOOLONG, m->target, m->pointer);
		if (symlink(links[i][1], p))
			rc = sbx_error_sys(err, errno, "symlink", m->pointer, "%s: %s",
					   p + strlen(NEWROOT), strerror(errno));
	}
	if (!rc) {
		if (!join(p, dst, "pts"))
			return target_error(err, ENAMETOOLONG, m->target, m->pointer);
		if ((e = make_target(p, true)))
			return target_error(err, e, p + strlen(NEWROOT), m->pointer);
		rc = do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
			      "newinstance,ptmxmode=0666,mode=620", "devpts", m->pointer, err);
	}
	if (!rc) {
		if (!join(p, dst, "shm"))
			return target_error(err, ENAMETOOLONG, m->target, m->pointer);
		if ((e = make_target(p, true)))
			return target_error(err, e, p + strlen(NEWROOT), m->pointer);
		rc = do_mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, shm, "shm tmpfs",
			      m->pointer, err);
	}
	return rc;
}

static int build_root(const struct sbx_spawn_plan *plan, struct sbx_error *err)
{
	const uint64_t nosuid = LN_ATTR_NOSUID | LN_ATTR_NODEV;
	char src[PATH_MAX];
	int rc;
	if (mkdir(NEWROOT, 0755))
		return sbx_error_sys(err, errno, "mkdir", "/root", NEWROOT ": %s", strerror(errno));
	switch (plan->root) {
	case SBX_SPAWN_ROOT_EMPTY:
		return do_mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755",
				"empty root tmpfs", "/root", err);
	case SBX_SPAWN_ROOT_DIR:
		snprintf(src, sizeof(src), OLDROOT "%s", plan->root_dir);
		rc = do_mount(src, NEWROOT, NULL, MS_BIND | MS_REC, NULL, "root directory", "/root", err);
		return rc ? rc : set_attrs(NEWROOT, nosuid | LN_ATTR_RDONLY, "/root", err);
	case SBX_SPAWN_ROOT_HOST:
		rc = do_mount(OLDROOT, NEWROOT, NULL, MS_BIND | MS_REC, NULL, "host root", "/root", err);
		return rc ? rc : set_attrs(NEWROOT, nosuid, "/root", err);
	default:
		rc = do_mount(OLDROOT, NEWROOT, NULL, MS_BIND | MS_REC, NULL, "host root", "/root", err);
		return rc ? rc : set_attrs(NEWROOT, nosuid | LN_ATTR_RDONLY, "/root", err);
	}
}

int ln_rootfs_build(struct ln_ctx *c, const char **step, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;
	char dst[PATH_MAX];
	int rc;

	*step = "rootfs";
	/* Every call the view needs, tried before anything is mounted: a host
	 * that refuses mounting (AppArmor's user-namespace restriction, a
	 * container's seccomp profile) loses the view, not the sandbox. */
	const char *call = NULL, *known;
	char why[240];
	int e = 0;
	if (ln_host_cached("root and mounts", &known))
		snprintf(why, sizeof(why), "%s", known), e = EPERM;
	else if ((e = sbx_host_mount_calls(&call)) != 0)
		sbx_host_why_mount(e, call, (c->ns_done & CLONE_NEWUSER) != 0, why, sizeof(why));
	if (e) {
		sbx_error_set(err, SBX_EUNSUPPORTED, e, "/root", "%s", why);
		return 1;
	}
	if (mount("tmpfs", BASE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
		return sbx_error_sys(err, errno, "mount", "/root", "tmpfs on " BASE ": %s", strerror(errno));
	if (chdir(BASE) || mkdir("oldroot", 0755) ||
	    syscall(__NR_pivot_root, BASE, BASE OLDROOT) || chdir("/"))
		return sbx_error_sys(err, errno, "pivot_root", "/root", "entering the staging root: %s",
				     strerror(errno));
	if ((rc = build_root(plan, err)))
		return rc;
	/* paths.c: binds are walked and attached by fd, from these. */
	int oldroot = open(OLDROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int newroot = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return sbx_error_sys(err, errno, "open", "/root", "the staging roots: %s", strerror(errno));
	if (plan->root == SBX_SPAWN_ROOT_EMPTY)
		ln_usup_own_fs(c, NEWROOT);     /* net.unixPaths: a filesystem of its own */

	for (size_t i = 0; i < plan->nmounts; i++) {
		const struct sbx_spawn_mount *m = &plan->mounts[i];
		*step = m->is_default ? "rootfs (default mounts)" : "mounts";
		if (snprintf(dst, sizeof(dst), NEWROOT "%s", m->target) >= (int)sizeof(dst))
			return sbx_error_set(err, SBX_EPATH, ENAMETOOLONG, m->pointer, "target too long");
		switch (m->type) {
		case SBX_SPAWN_BIND: rc = ln_bind_host(c, m, oldroot, newroot, err); break;
		case SBX_SPAWN_TMPFS: rc = mount_tmpfs(m, dst, err); break;
		case SBX_SPAWN_PROC: rc = mount_proc(m, dst, err); break;
		case SBX_SPAWN_DEV: rc = mount_dev(m, dst, err); break;
		case SBX_SPAWN_OVERLAY: rc = ln_mount_overlay(m, dst, c, err); break;   /* cow.c */
		default:
			rc = sbx_error_set(err, SBX_EUNSUPPORTED, ENOSYS, m->pointer,
					   "%s mounts are not implemented by the launcher yet",
					   sbx_spawn_mount_type_name(m->type));
		}
		if (rc < 0)
			return rc;
		/* net.unixPaths (unixsup.c): a socket on a tmpfs this sandbox
		 * made is its own; nothing of the host's can be on it. */
		if (rc == 0 && m->type == SBX_SPAWN_TMPFS) {
			ln_usup_own_fs(c, dst);
		} else if (rc == 0 && m->type == SBX_SPAWN_DEV) {
			ln_usup_own_fs(c, dst);
			if (strlen(dst) + 5 <= sizeof(dst)) {
				strcat(dst, "/shm");
				ln_usup_own_fs(c, dst);
			}
		}
	}
	/* paths.c: fs.protect and fs.hide over the finished view. */
	*step = "protect";
	if (ln_protect(c, newroot, err))
		return -1;
	close(oldroot);
	close(newroot);

	/* After every mount, so that what is covered is what the view shows. */
	*step = "rootfs (root-only secrets)";
	if ((rc = ln_hide_root_secrets(c, err)))
		return rc;

	*step = "pivot_root";
	/* pivot_root(".", "."): the old root ends up under the new one and is
	 * detached at once; no directory is needed for it. The detach is
	 * recursive, so it takes the host root under /oldroot with it: one
	 * umount instead of two (each costs ~90 µs, bench/spawn.bench.js). */
	if (chdir(NEWROOT) || syscall(__NR_pivot_root, ".", ".") || umount2(".", MNT_DETACH) ||
	    chdir("/"))
		return sbx_error_sys(err, errno, "pivot_root", "/root", "entering the new root: %s",
				     strerror(errno));
	return 0;
}

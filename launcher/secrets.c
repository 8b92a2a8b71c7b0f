/*
 * Root-only secrets in the view (docs/security-model.md, "Setuid files and
 * root-only secrets").
 *
 * A caller that is root (a CI runner, a container, a dev box) is root in its
 * sandbox too: uid 0 inside maps to its own uid 0, and with every capability
 * dropped it still *owns* root's files. The presets read /etc as a whole
 * (Landlock grants directories and cannot take a file back out of one), so
 * /etc/shadow (0640 root:shadow) and the host's private keys would be
 * readable. For such a caller the view covers each well-known root-only
 * secret under /etc with an empty, read-only file or directory of mode 0:
 * reading it fails with EACCES, as it does for every other user.
 *
 * What is covered: the paths below that exist in the view (after every
 * mount) as a regular file or a directory that others may not read (no
 * S_IROTH): a secret is what its owner keeps from others, and a world-
 * readable file at such a path is none. A fixed list, not a walk of /etc: a
 * walk costs a stat per entry (~140 entries at ~2.5 µs each here, 0.4 ms
 * per sandbox); these are ten fstatat()s relative to /etc and one
 * directory read (/etc/ssh, for ssh_host_*_key). Not covered: a path the
 * policy mounts itself (`mounts` with that target: the way to give a
 * sandbox one of them on purpose), a directory with a mount of the plan
 * beneath it (the working directory), a symlink or a path through an
 * absolute symlink (it resolves outside the view being built), and
 * callers that are not root (they cannot read root's 0600 files anyway; a
 * member of a group such as `shadow` reads what it reads outside).
 */
#include "launcher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEWROOT "/newroot"
/* In the staging root, gone with it at pivot_root: the empty file and
 * directory every hidden path is bound from. */
#define HIDE_DIR "/.sbx-hide"

/* Beneath /etc; a trailing '/' marks a directory. Each is one fstatat()
 * relative to /etc (the kernel walks the intermediate names; the last one
 * is never followed if it is a symlink). */
static const char *const secrets[] = {
	"shadow", "shadow-", "gshadow", "gshadow-",       /* password hashes       */
	"security/opasswd",                              /* old password hashes    */
	"ssl/private/", "pki/tls/private/",              /* TLS private keys       */
	"krb5.keytab",                                   /* Kerberos host keys     */
	"NetworkManager/system-connections/",            /* Wi-Fi and VPN secrets  */
	"wireguard/",                                    /* WireGuard private keys */
};

struct hider {
	const struct sbx_spawn_plan *plan;
	bool ready;             /* HIDE_DIR mounted and filled */
	unsigned count;
};

static int fail(struct sbx_error *err, int e, const char *what, const char *path)
{
	return sbx_error_sys(err, e, "mount", "/root",
			     "hiding root-only secrets: %s %s: %s", what, path, strerror(e));
}

/* The source: a tiny tmpfs with an empty file and an empty directory, both
 * mode 0, then made read-only (every bind of it is). */
static int prepare(struct hider *h, struct sbx_error *err)
{
	if (h->ready)
		return 0;
	if (mkdir(HIDE_DIR, 0700) && errno != EEXIST)
		return fail(err, errno, "mkdir", HIDE_DIR);
	if (mount("tmpfs", HIDE_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0,size=4k,nr_inodes=4"))
		return fail(err, errno, "tmpfs on", HIDE_DIR);
	int fd = open(HIDE_DIR "/f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errno, "creating", HIDE_DIR "/f");
	close(fd);
	if (mkdir(HIDE_DIR "/d", 0))
		return fail(err, errno, "creating", HIDE_DIR "/d");
	if (mount(NULL, HIDE_DIR, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0,size=4k,nr_inodes=4"))
		return fail(err, errno, "read-only remount of", HIDE_DIR);
	h->ready = true;
	return 0;
}

/* Is `p` equal to `dir` or beneath it? */
static bool beneath(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && (p[n] == '\0' || p[n] == '/');
}

/* `target` (a view path such as /etc/shadow) may be covered: the policy does
 * not mount it itself, and for a directory, no mount of the plan lies
 * beneath it (it would be covered too). */
static bool may_cover(const struct sbx_spawn_plan *plan, const char *target, bool dir)
{
	for (size_t i = 0; i < plan->nmounts; i++) {
		const char *t = plan->mounts[i].target;
		if (!t)
			continue;
		if (!plan->mounts[i].is_default && !strcmp(t, target))
			return false;
		if (dir && beneath(t, target))
			return false;
	}
	return true;
}

/* Cover `dirfd`/`name` (view path `target`) if it is a secret. */
static int cover(struct hider *h, int dirfd, const char *name, const char *target,
		 bool want_dir, struct sbx_error *err)
{
	struct stat st;
	char dst[PATH_MAX];
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return 0;
	if ((st.st_mode & S_IROTH) || !may_cover(h->plan, target, want_dir))
		return 0;
	if (snprintf(dst, sizeof(dst), NEWROOT "%s", target) >= (int)sizeof(dst))
		return 0;
	int rc = prepare(h, err);
	if (rc)
		return rc;
	if (mount(want_dir ? HIDE_DIR "/d" : HIDE_DIR "/f", dst, NULL, MS_BIND, NULL))
		return fail(err, errno, "bind over", target);
	h->count++;
	return 0;
}

/* /etc/ssh/ssh_host_*_key: the host's private keys, whatever their type. */
static int cover_ssh_keys(struct hider *h, int etc, struct sbx_error *err)
{
	int fd = openat(etc, "ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096] __attribute__((aligned(8)));
	long n;
	int rc = 0;
	while (!rc && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; !rc && off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			size_t len = strlen(e->d_name);
			char target[PATH_MAX];
			off += e->d_reclen;
			if (len < 13 || strncmp(e->d_name, "ssh_host_", 9) ||
			    strcmp(e->d_name + len - 4, "_key") ||
			    (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
				continue;
			snprintf(target, sizeof(target), "/etc/ssh/%s", e->d_name);
			rc = cover(h, fd, e->d_name, target, false, err);
		}
	}
	close(fd);
	return rc;
}

int ln_hide_root_secrets(struct ln_ctx *c, struct sbx_error *err)
{
	struct hider h = { .plan = c->plan };
	int rc = 0;
	if (!c->caller_root)
		return 0;
	int etc = open(NEWROOT "/etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0)
		return 0;   /* no /etc in this view (an empty root): nothing to hide */
	for (size_t i = 0; !rc && i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		char name[64], target[80];
		size_t n = strlen(secrets[i]);
		bool want_dir = secrets[i][n - 1] == '/';
		snprintf(name, sizeof(name), "%.*s", (int)(want_dir ? n - 1 : n), secrets[i]);
		snprintf(target, sizeof(target), "/etc/%s", name);
		rc = cover(&h, etc, name, target, want_dir, err);
	}
	if (!rc)
		rc = cover_ssh_keys(&h, etc, err);
	close(etc);
	return rc;
}

/* Restricted hosts: the spawn door's layers tried the way the launcher
 * tries them, and why the host refuses one, in its own terms (host_check.h).
 * Ubuntu 24.04's AppArmor restriction lets a user namespace be made but
 * refuses every capability inside it, so mounting fails; Docker's default
 * seccomp profile refuses unshare without CAP_SYS_ADMIN; a host may set
 * user.max_user_namespaces=0. Each is a layer lost, not a sandbox lost. */
#include "host_check.h"
#include "kernel_defs.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>


const struct sbx_host_kind sbx_host_kinds[SBX_HOST_NKINDS] = {
	{ CLONE_NEWPID, "pid", "namespaces.pid", "user.max_pid_namespaces" },
	{ CLONE_NEWNET, "net", "namespaces.net", "user.max_net_namespaces" },
	{ CLONE_NEWNS, "mount", "namespaces.mount", "user.max_mnt_namespaces" },
	{ CLONE_NEWIPC, "ipc", "namespaces.ipc", "user.max_ipc_namespaces" },
	{ CLONE_NEWUTS, "uts", "namespaces.uts", "user.max_uts_namespaces" },
	{ CLONE_NEWCGROUP, "cgroup", "namespaces.cgroup", "user.max_cgroup_namespaces" },
	{ CLONE_NEWTIME, "time", "namespaces.time", "user.max_time_namespaces" },
};

/* ---- the steps (system calls only: they run in probe children) ---------- */

static int open_close(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int sbx_host_idmap_writable(const char **file)
{
	/* Not setgroups: outside the new namespace it opens for writing only
	 * with CAP_SYS_ADMIN; inside, its owner may. */
	static const char *const files[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int e = open_close(files[i]);
		if (e) {
			*file = files[i];
			return e;
		}
	}
	return 0;
}

int sbx_host_mount_calls(const char **call)
{
	struct {
		uint64_t attr_set, attr_clr, propagation, userns_fd;
	} none = { 0, 0, 0, 0 };
	int fd;

	*call = "mount";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return errno;
	*call = "open_tree";
	fd = (int)syscall(__NR_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return errno;
	*call = "mount_setattr";
	long r = syscall(__NR_mount_setattr, fd, "", AT_EMPTY_PATH, &none, sizeof(none));
	int e = errno;
	close(fd);
	if (r)
		return e;
	/* Reached, these fail on the empty path (ENOENT); refused, with the
	 * filter's or the module's answer. */
	*call = "move_mount";
	if (syscall(__NR_move_mount, AT_FDCWD, "", AT_FDCWD, "", 0) == 0 || errno != ENOENT)
		return errno ? errno : EINVAL;
	*call = "pivot_root";
	if (syscall(__NR_pivot_root, "", "") == 0 || errno != ENOENT)
		return errno ? errno : EINVAL;
	*call = "umount2";
	if (umount2("", MNT_DETACH) == 0 || errno != ENOENT)
		return errno ? errno : EINVAL;
	*call = NULL;
	return 0;
}

int sbx_host_loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int e = rc ? errno : 0;
	close(fd);
	return e;
}

static int write_map(const char *path, unsigned long id)
{
	char line[64];
	size_t n = sbx_probe_utoa(id, line);
	line[n++] = ' ';
	n += sbx_probe_utoa(id, line + n);
	memcpy(line + n, " 1\n", 3);
	n += 3;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t w = write(fd, line, n);
	int e = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
	close(fd);
	return e;
}

static __attribute__((noreturn)) void check_child(int fd, unsigned long uid, unsigned long gid,
						 bool admin)
{
	struct sbx_host_check r;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < SBX_HOST_NKINDS; i++)
		r.kinds[i] = -1;
	r.mount = -1;
	r.loopback = -1;
	const char *file = NULL;

	r.idmap = sbx_host_idmap_writable(&file);
	if (r.idmap) {
		r.user = -1;            /* the launcher would not try it */
	} else if (unshare(CLONE_NEWUSER)) {
		r.user = errno;
	} else {
		int e = 0;
		int sg = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
		if (sg >= 0) {
			if (write(sg, "deny", 4) != 4)
				e = errno;
			close(sg);
		} else if (errno != ENOENT) {
			e = errno;
		}
		if (!e && (e = write_map("/proc/self/uid_map", uid)) != 0)
			file = "/proc/self/uid_map";
		if (!e && (e = write_map("/proc/self/gid_map", gid)) != 0)
			file = "/proc/self/gid_map";
		if (e && !file)
			file = "/proc/self/setgroups";
		r.idmap = e;
	}
	/* Without a user namespace only CAP_SYS_ADMIN can make the others. */
	if ((r.user == 0 && r.idmap == 0) || admin) {
		for (int i = 0; i < SBX_HOST_NKINDS; i++)
			r.kinds[i] = unshare((int)sbx_host_kinds[i].flag) ? errno : 0;
	}
	if (r.kinds[2] == 0)
		r.mount = sbx_host_mount_calls(&r.mount_call);
	if (r.kinds[1] == 0)
		r.loopback = sbx_host_loopback_up();
	/* mount_call and idmap_file point to string literals: the parent,
	 * whose copy this child is, has them at the same addresses. */
	r.idmap_file = file;
	sbx_probe_child_write(fd, &r, sizeof(r));
	_exit(0);
}

int sbx_host_check_run(struct sbx_host_check *out)
{
	unsigned long uid = (unsigned long)getuid(), gid = (unsigned long)getgid();
	bool admin = sbx_host_cap_sys_admin();
	int p[2], status;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid_t pid = sbx_probe_fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		check_child(p[1], uid, gid, admin);
	}
	close(p[1]);
	ssize_t n = sbx_probe_read_full(p[0], out, sizeof(*out));
	close(p[0]);
	sbx_probe_wait(pid, &status);
	return n == (ssize_t)sizeof(*out) ? 0 : -EIO;
}

/* ---- why, in host terms -------------------------------------------------- */

static long long sysctl_value(const char *path)
{
	long long v;
	return sbx_probe_read_long(path, &v) == 0 ? v : -1;
}

bool sbx_host_seccomp_filtered(void)
{
	char *status;
	bool yes = false;
	if (sbx_probe_read_file("/proc/thread-self/status", &status, NULL) == 0) {
		const char *s = strstr(status, "\nSeccomp:");
		yes = s && atoi(s + 9) == 2;
		free(status);
	}
	return yes;
}

bool sbx_host_cap_sys_admin(void)
{
	char *status;
	bool yes = false;
	if (sbx_probe_read_file("/proc/thread-self/status", &status, NULL) == 0) {
		const char *s = strstr(status, "\nCapEff:");
		yes = s && (strtoull(s + 8, NULL, 16) & (1ULL << 21));   /* CAP_SYS_ADMIN */
		free(status);
	}
	return yes;
}

/* A container engine's marks (probe_container.c weighs more of them). */
static bool in_container(void)
{
	char value[64];
	return access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0 ||
	       sbx_probe_read_small("/run/systemd/container", value, sizeof(value)) > 0;
}

static const char *ename(int e)
{
	const char *s = sbx_probe_errname(e);
	return s ? s : strerror(e);
}

/* A refusal with EPERM/EACCES by a filter this process already runs under.
 * A container is named only for calls refused before any namespace of
 * sbx's (inside one, the capabilities read are that namespace's). */
static bool filtered_refusal(int e, const char *call, bool outside, char *buf, size_t n)
{
	if ((e != EPERM && e != EACCES) || !sbx_host_seccomp_filtered())
		return false;
	if (outside && in_container() && !sbx_host_cap_sys_admin())
		snprintf(buf, n, "inside a container without CAP_SYS_ADMIN (its seccomp profile refuses "
			 "%s: %s)", call, ename(e));
	else
		snprintf(buf, n, "a seccomp filter on this process refuses %s (%s: an enclosing "
			 "sandbox or container profile)", call, ename(e));
	return true;
}

void sbx_host_why_userns(int e, char *buf, size_t n)
{
	long long v;
	switch (e) {
	case ENOSPC:
		v = sysctl_value("/proc/sys/user/max_user_namespaces");
		if (v == 0)
			snprintf(buf, n, "user namespaces are disabled (user.max_user_namespaces=0)");
		else if (v > 0)
			snprintf(buf, n, "the limit of user namespaces is reached "
				 "(user.max_user_namespaces=%lld)", v);
		else
			snprintf(buf, n, "user namespaces are disabled or at their limit "
				 "(user.max_user_namespaces)");
		return;
	case EUSERS:
		snprintf(buf, n, "user namespaces are nested too deep here (the kernel allows 32 levels)");
		return;
	case ENOSYS:
	case EINVAL:
		snprintf(buf, n, "the kernel has no user namespaces (CONFIG_USER_NS)");
		return;
	default:
		break;
	}
	if (e == EPERM && geteuid() != 0 &&
	    sysctl_value("/proc/sys/kernel/unprivileged_userns_clone") == 0) {
		snprintf(buf, n, "unprivileged user namespaces are disabled "
			 "(kernel.unprivileged_userns_clone=0)");
		return;
	}
	if (filtered_refusal(e, "unshare", true, buf, n))
		return;
	snprintf(buf, n, "unshare(CLONE_NEWUSER) is refused (%s%s)", ename(e),
		 e == EPERM ? ": in a chroot, or by a security module" : "");
}

void sbx_host_why_idmap(int e, const char *file, char *buf, size_t n)
{
	if (!file)
		file = "/proc/self/uid_map";
	if (e == EROFS)
		snprintf(buf, n, "/proc is read-only here (writing %s: EROFS)", file);
	else if (e == EACCES)
		snprintf(buf, n, "writing %s is refused (EACCES: an enclosing Landlock sandbox or a "
			 "security module)", file);
	else if (!filtered_refusal(e, "writing the id maps", false, buf, n))
		snprintf(buf, n, "writing %s is refused (%s)", file, ename(e));
}

void sbx_host_why_kind(int kind, int e, char *buf, size_t n)
{
	const struct sbx_host_kind *k = &sbx_host_kinds[kind];
	if (e == ENOSPC) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/sys/%s", k->sysctl);
		for (char *s = path + 10; *s; s++)
			if (*s == '.')
				*s = '/';
		long long v = sysctl_value(path);
		if (v == 0)
			snprintf(buf, n, "%s namespaces are disabled (%s=0)", k->name, k->sysctl);
		else
			snprintf(buf, n, "the limit of %s namespaces is reached (%s)", k->name, k->sysctl);
	} else if (e == EINVAL || e == ENOSYS) {
		snprintf(buf, n, "the kernel has no %s namespaces", k->name);
	} else if (e == EPERM && !sbx_host_cap_sys_admin()) {
		snprintf(buf, n, "without a user namespace a %s namespace needs CAP_SYS_ADMIN, which this "
			 "process lacks", k->name);
	} else if (!filtered_refusal(e, "unshare", false, buf, n)) {
		snprintf(buf, n, "unshare of a %s namespace is refused (%s)", k->name, ename(e));
	}
}

void sbx_host_why_mount(int e, const char *call, bool in_userns, char *buf, size_t n)
{
	if (!call)
		call = "mount";
	if (e == ENOSYS) {
		snprintf(buf, n, "the kernel lacks %s (Linux 5.12 or later is needed)", call);
		return;
	}
	if (in_userns && (e == EPERM || e == EACCES) &&
	    sysctl_value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1) {
		snprintf(buf, n, "mounting is refused inside user namespaces "
			 "(AppArmor: kernel.apparmor_restrict_unprivileged_userns=1)");
		return;
	}
	if (filtered_refusal(e, call, !in_userns, buf, n))
		return;
	snprintf(buf, n, "mounting is refused%s (%s: %s%s)", in_userns ? " inside the user namespace" : "",
		 call, ename(e), e == EPERM || e == EACCES ? ": an enclosing Landlock sandbox or a "
		 "security module" : "");
}

void sbx_host_why_loopback(int e, char *buf, size_t n)
{
	if (!filtered_refusal(e, "the loopback ioctl", false, buf, n))
		snprintf(buf, n, "bringing up loopback is refused (%s)", ename(e));
}

/* ---- what a launcher skips -------------------------------------------- */

size_t sbx_host_skipped(const struct sbx_host_check *r, unsigned long want, bool admin,
			struct sbx_host_skip *out, size_t cap)
{
	size_t n = 0;
	bool user = false;
#define ADD(l, f) (n < cap ? (out[n].layer = (l), out[n].flag = (f), out[n].reason) : NULL)
	char *why;
	if (want & CLONE_NEWUSER) {
		user = r->user == 0 && r->idmap == 0;
		if (!user && (why = ADD("namespaces.user", CLONE_NEWUSER))) {
			if (r->idmap)
				sbx_host_why_idmap(r->idmap, r->idmap_file, why, sizeof(out[0].reason));
			else
				sbx_host_why_userns(r->user, why, sizeof(out[0].reason));
			n++;
		}
	}
	bool kinds_ok[SBX_HOST_NKINDS] = { false };
	for (int i = 0; i < SBX_HOST_NKINDS; i++) {
		unsigned long f = sbx_host_kinds[i].flag;
		kinds_ok[i] = false;
		if (!(want & f))
			continue;
		if ((want & CLONE_NEWUSER) && !user && !admin) {
			if ((why = ADD(sbx_host_kinds[i].layer, f)) != NULL) {
				snprintf(why, sizeof(out[0].reason), "%s", SBX_HOST_NEEDS_USERNS);
				n++;
			}
			continue;
		}
		if (r->kinds[i] == 0) {
			kinds_ok[i] = true;
			continue;
		}
		if ((why = ADD(sbx_host_kinds[i].layer, f)) != NULL) {
			sbx_host_why_kind(i, r->kinds[i] < 0 ? EPERM : r->kinds[i], why,
					  sizeof(out[0].reason));
			n++;
		}
	}
	if (kinds_ok[2] && r->mount > 0 && (why = ADD("root and mounts", 0)) != NULL) {
		sbx_host_why_mount(r->mount, r->mount_call, user, why, sizeof(out[0].reason));
		n++;
	}
	if (kinds_ok[1] && r->loopback > 0 && (why = ADD("loopback", 0)) != NULL) {
		sbx_host_why_loopback(r->loopback, why, sizeof(out[0].reason));
		n++;
	}
#undef ADD
	return n;
}

/* probe "userns": can an unprivileged process create a user namespace here
 * (tried for real), which namespace kinds can be created, and the sysctls
 * that explain a "no". */
#include "probe.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The conventional "nobody"; the probe only needs some uid without
 * privileges, and this one exists in every distribution. */
#define PROBE_UNPRIV_ID 65534

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	int flag;
} kinds[] = {
	{ "user", CLONE_NEWUSER },
	{ "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET },
	{ "mount", CLONE_NEWNS },
	{ "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS },
	{ "cgroup", CLONE_NEWCGROUP },
	{ "time", CLONE_NEWTIME },
};

enum stage { ST_OK, ST_DROP, ST_UNSHARE, ST_UID_MAP, ST_CAPS };

struct unpriv_result {
	int stage;
	int err;
};

/* Child: only system calls, then _exit (the parent may have threads). */
static int write_own_uid_map(unsigned long outer_uid)
{
	char line[64];
	size_t n = 0;
	line[n++] = '0';
	line[n++] = ' ';
	n += sbx_probe_utoa(outer_uid, line + n);
	memcpy(line + n, " 1\n", 3);
	n += 3;
	int fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t r = write(fd, line, n);
	int e = r == (ssize_t)n ? 0 : r < 0 ? errno : EIO;
	close(fd);
	return e;
}

static __attribute__((noreturn)) void unpriv_child(int fd, bool as_root)
{
	struct unpriv_result res = { ST_OK, 0 };
	unsigned long uid = as_root ? PROBE_UNPRIV_ID : (unsigned long)geteuid();

	/* Raw system calls: glibc's set*id() would try to signal the other
	 * threads of the parent, which do not exist in this child. */
	if (as_root &&
	    (syscall(SYS_setgroups, 0, NULL) != 0 ||
	     syscall(SYS_setresgid, PROBE_UNPRIV_ID, PROBE_UNPRIV_ID,
		     PROBE_UNPRIV_ID) != 0 ||
	     syscall(SYS_setresuid, PROBE_UNPRIV_ID, PROBE_UNPRIV_ID,
		     PROBE_UNPRIV_ID) != 0)) {
		res.stage = ST_DROP;
		res.err = errno;
		goto out;
	}
	if (unshare(CLONE_NEWUSER) != 0) {
		res.stage = ST_UNSHARE;
		res.err = errno;
		goto out;
	}
	/* After the uid change the child is not dumpable, so its /proc files
	 * belong to root and uid_map cannot be opened. We do not make it
	 * dumpable: it holds a copy of the caller's memory. The capability
	 * check below covers what the map write would (AppArmor's
	 * restriction and the like deny capabilities in the new namespace). */
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1) {
		int e = write_own_uid_map(uid);
		if (e) {
			res.stage = ST_UID_MAP;
			res.err = e;
			goto out;
		}
	}
	if (unshare(CLONE_NEWUTS) != 0) {
		res.stage = ST_CAPS;
		res.err = errno;
	}
out:
	sbx_probe_child_write(fd, &res, sizeof(res));
	_exit(0);
}

/* As root, the other kinds are tried directly (that is what a root caller
 * gets); otherwise inside a new user namespace, which is how an
 * unprivileged caller gets them. */
static __attribute__((noreturn)) void kinds_child(int fd, bool as_root)
{
	int errs[N(kinds)];

	memset(errs, 0, sizeof(errs));
	if (!as_root && unshare(CLONE_NEWUSER) != 0)
		errs[0] = errno;
	for (size_t i = 1; i < N(kinds); i++)
		if (unshare(kinds[i].flag) != 0)
			errs[i] = errno;
	if (as_root && unshare(CLONE_NEWUSER) != 0)
		errs[0] = errno;
	sbx_probe_child_write(fd, errs, sizeof(errs));
	_exit(0);
}

/* Runs fn in a child and reads len bytes of result from it. Returns 0,
 * or fills reason and returns -1. */
static int run_child(void (*fn)(int, bool), bool as_root, void *out,
		     size_t len, const char *what, char *reason, size_t rsize)
{
	int p[2], status;

	if (pipe2(p, O_CLOEXEC) != 0) {
		sbx_probe_reason_errno(reason, rsize, "pipe2", errno);
		return -1;
	}
	pid_t pid = sbx_probe_fork();
	if (pid < 0) {
		sbx_probe_reason_errno(reason, rsize, "fork", errno);
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		fn(p[1], as_root);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = sbx_probe_read_full(p[0], out, len);
	close(p[0]);
	int r = sbx_probe_wait(pid, &status);
	if (n == (ssize_t)len)
		return 0;
	if (r < 0)
		sbx_probe_reason_errno(reason, rsize, "waitpid", -r);
	else
		sbx_probe_reason_status(reason, rsize, what, status);
	return -1;
}

static void unpriv_child_fn(int fd, bool as_root) { unpriv_child(fd, as_root); }
static void kinds_child_fn(int fd, bool as_root) { kinds_child(fd, as_root); }

static void write_unprivileged(struct sbx_jsonw *w, bool as_root)
{
	struct unpriv_result res;
	char reason[200];

	if (run_child(unpriv_child_fn, as_root, &res, sizeof(res),
		      "user namespace", reason, sizeof(reason)) != 0) {
		sbx_jsonw_kv_null_reason(w, "unprivileged", reason);
		return;
	}
	switch (res.stage) {
	case ST_OK:
		sbx_jsonw_kv_bool(w, "unprivileged", true);
		return;
	case ST_DROP:
		sbx_probe_reason_errno(reason, sizeof(reason),
			"cannot drop to uid 65534 to test (setresuid)", res.err);
		sbx_jsonw_kv_null_reason(w, "unprivileged", reason);
		return;
	case ST_UNSHARE:
		sbx_probe_reason_errno(reason, sizeof(reason),
				       "unshare(CLONE_NEWUSER)", res.err);
		break;
	case ST_UID_MAP:
		sbx_probe_reason_errno(reason, sizeof(reason),
				       "write /proc/self/uid_map", res.err);
		break;
	default:
		sbx_probe_reason_errno(reason, sizeof(reason),
			"no capabilities inside the new user namespace "
			"(unshare(CLONE_NEWUTS))", res.err);
		break;
	}
	sbx_jsonw_kv_bool(w, "unprivileged", false);
	sbx_jsonw_kv_string(w, "unprivilegedReason", reason);
}

static void write_kinds(struct sbx_jsonw *w, bool as_root)
{
	int errs[N(kinds)];
	char reason[200];

	if (run_child(kinds_child_fn, as_root, errs, sizeof(errs),
		      "namespace kinds", reason, sizeof(reason)) != 0) {
		sbx_jsonw_kv_null_reason(w, "kinds", reason);
		return;
	}
	sbx_jsonw_key(w, "kinds");
	sbx_jsonw_object_begin(w);
	for (size_t i = 0; i < N(kinds); i++)
		sbx_jsonw_kv_bool(w, kinds[i].name, errs[i] == 0);
	sbx_jsonw_object_end(w);
}

static void write_sysctl(struct sbx_jsonw *w, const char *key,
			 const char *path)
{
	char reason[200];
	long long v;
	int r = sbx_probe_read_long(path, &v);
	if (r == 0) {
		sbx_jsonw_kv_int(w, key, v);
		return;
	}
	if (r == -ENOENT)
		snprintf(reason, sizeof(reason), "%s does not exist", path);
	else
		sbx_probe_reason_errno(reason, sizeof(reason), path, -r);
	sbx_jsonw_kv_null_reason(w, key, reason);
}

void sbx_probe_userns(struct sbx_jsonw *w)
{
	bool as_root = geteuid() == 0;

	sbx_jsonw_key(w, "userns");
	sbx_jsonw_object_begin(w);
	write_unprivileged(w, as_root);
	sbx_jsonw_kv_bool(w, "asRoot", as_root);
	write_kinds(w, as_root);
	sbx_jsonw_key(w, "sysctl");
	sbx_jsonw_object_begin(w);
	write_sysctl(w, "maxUserNamespaces", "/proc/sys/user/max_user_namespaces");
	write_sysctl(w, "unprivilegedUsernsClone",
		     "/proc/sys/kernel/unprivileged_userns_clone");
	write_sysctl(w, "apparmorRestrictUnprivilegedUserns",
		     "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	sbx_jsonw_object_end(w);
	sbx_jsonw_object_end(w);
}

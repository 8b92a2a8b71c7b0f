/*
 * Restricted hosts (issue 25): which layers of the spawn door this host
 * refuses, and why in the host's terms. The launcher (launcher/ns.c,
 * rootfs.c, host.c) asks why after a real attempt failed; the spawn server
 * runs the whole check once and keeps the answer; `sbx probe` shows it
 * ("spawn" section, docs/probe.md) before any sandbox is made.
 */
#ifndef SBX_HOST_CHECK_H
#define SBX_HOST_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* The namespace kinds after the user namespace, in the order tried. */
#define SBX_HOST_NKINDS 7
extern const struct sbx_host_kind {
	unsigned long flag;     /* CLONE_NEW*                     */
	const char *name;       /* "pid"                          */
	const char *layer;      /* "namespaces.pid" (skipped)     */
	const char *sysctl;     /* "user.max_pid_namespaces"      */
} sbx_host_kinds[SBX_HOST_NKINDS];

struct sbx_host_check {
	int user;               /* errno of unshare(CLONE_NEWUSER), 0: made  */
	int idmap;              /* errno of writing the id maps (user made)  */
	const char *idmap_file; /* the file that could not be written        */
	int kinds[SBX_HOST_NKINDS];  /* errno of unshare(kind), -1: not tried */
	int mount;              /* errno of the first refused mount call      */
	const char *mount_call; /* its name ("mount", "open_tree", ...)      */
	int loopback;           /* errno of bringing lo up (net made)         */
};

/* The whole check, in a forked child that uses only system calls (safe in
 * a threaded caller such as Node): the caller's own credentials, as the
 * launcher would try them. 0, or -errno when no child could run. */
int sbx_host_check_run(struct sbx_host_check *out);

/* Before unshare(CLONE_NEWUSER): can this process write its id maps once
 * inside? A map that cannot be written leaves it in a user namespace it
 * cannot leave, unmapped; so the files are opened for writing here (an
 * enclosing Landlock domain, a read-only /proc or a security module refuse
 * the open) and closed again. 0, or the errno with *file set. */
int sbx_host_idmap_writable(const char **file);

/* Inside a new mount namespace, before anything is mounted: / made private
 * (a real step: harmless if the view is then given up), then every other
 * call the view needs tried in a way that changes nothing (open_tree of /
 * without a clone, an empty mount_setattr, move_mount, pivot_root and
 * umount2 of an empty path: reached, they fail with ENOENT). 0, or the errno
 * of the first refused call with *call naming it. */
int sbx_host_mount_calls(const char **call);

/* Bring up loopback in a new network namespace. 0 or errno. */
int sbx_host_loopback_up(void);

/* What a launcher asking for the namespaces in `want` (CLONE_NEW* flags,
 * CLONE_NEWUSER among them) skips on such a host, as the `skipped` events
 * say it: layer and reason, one entry per layer, the user namespace first,
 * then the kinds, the view ("root and mounts", when CLONE_NEWNS is wanted)
 * and "loopback"; `admin`: the caller has CAP_SYS_ADMIN (then the other kinds
 * were tried without a user namespace). Returns the number of entries (at
 * most cap). */
struct sbx_host_skip {
	const char *layer;
	unsigned long flag;     /* CLONE_NEW* it stands for; 0: view, loopback */
	char reason[240];
};
size_t sbx_host_skipped(const struct sbx_host_check *r, unsigned long want, bool admin,
			struct sbx_host_skip *out, size_t cap);
/* The reason of a kind skipped because the user namespace was. */
#define SBX_HOST_NEEDS_USERNS "needs the user namespace, which the host refuses"

/* Why, in host terms, for a line a user can act on (no trailing period):
 *   user namespace: "user namespaces are disabled (user.max_user_namespaces=0)"
 *   mounting:       "mounting is refused inside user namespaces (AppArmor:
 *                    kernel.apparmor_restrict_unprivileged_userns=1)"
 * `in_userns`: the refusal came inside a user namespace sbx made. */
void sbx_host_why_userns(int e, char *buf, size_t n);
void sbx_host_why_idmap(int e, const char *file, char *buf, size_t n);
void sbx_host_why_kind(int kind, int e, char *buf, size_t n);
void sbx_host_why_mount(int e, const char *call, bool in_userns, char *buf, size_t n);
void sbx_host_why_loopback(int e, char *buf, size_t n);

/* This process runs under a seccomp filter (Seccomp: 2 in /proc/self/status). */
bool sbx_host_seccomp_filtered(void);
/* CAP_SYS_ADMIN in this process's effective set. */
bool sbx_host_cap_sys_admin(void);

#endif /* SBX_HOST_CHECK_H */

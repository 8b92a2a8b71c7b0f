/* Namespaces: the user namespace first (this process maps itself, so no
 * other process has to synchronise with it), then every other kind at once,
 * one by one only when the host refuses the set. A kind the host refuses is
 * skipped in best-effort mode, with the reason in the host's terms
 * (host.c, host_check.h); in the spawn server, what the host refuses was
 * learnt once and is skipped without trying. */
#include "host_check.h"
#include "launcher.h"
#include "kernel_defs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	int e = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
	close(fd);
	return e;
}

static int map_self(const struct sbx_spawn_plan *plan, uid_t uid, gid_t gid,
		    struct sbx_error *err)
{
	char line[64], why[240];
	long long in_uid = plan->uid >= 0 ? plan->uid : (long long)uid;
	long long in_gid = plan->gid >= 0 ? plan->gid : (long long)gid;
	const char *file = "/proc/self/setgroups";
	/* "deny" first: an unprivileged process may write gid_map only then. */
	int e = write_file(file, "deny");
	if (e == ENOENT)
		e = 0;
	if (!e) {
		file = "/proc/self/uid_map";
		snprintf(line, sizeof(line), "%lld %u 1\n", in_uid, (unsigned)uid);
		e = write_file(file, line);
	}
	if (!e) {
		file = "/proc/self/gid_map";
		snprintf(line, sizeof(line), "%lld %u 1\n", in_gid, (unsigned)gid);
		e = write_file(file, line);
	}
	if (!e)
		return 0;
	/* Too late to go without: the user namespace exists and this process
	 * cannot leave it (sbx_host_idmap_writable, tried before, foresees
	 * the usual refusals). */
	sbx_host_why_idmap(e, file, why, sizeof(why));
	return sbx_error_set(err, SBX_EUNSUPPORTED, e, "/namespaces/uid",
			     "namespaces.user: the id maps cannot be written: %s", why);
}

int ln_ns_enter(struct ln_ctx *c, const char **step, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;
	unsigned long want = plan->ns_flags, done = 0;
	uid_t uid = getuid();
	gid_t gid = getgid();
	bool root = uid == 0;
	char why[240];
	const char *known;
	int rc;

	*step = "namespaces";
	c->caller_root = root;
	if (want & CLONE_NEWUSER) {
		const char *file = NULL;
		int e = 0;
		if (ln_host_cached("namespaces.user", &known)) {
			snprintf(why, sizeof(why), "%s", known);
			e = EPERM;
		} else if ((e = sbx_host_idmap_writable(&file)) != 0) {
			sbx_host_why_idmap(e, file, why, sizeof(why));
		} else if (unshare(CLONE_NEWUSER)) {
			e = errno;
			sbx_host_why_userns(e, why, sizeof(why));
		} else {
			done |= CLONE_NEWUSER;
			*step = "uid map";
			if ((rc = map_self(plan, uid, gid, err)))
				return rc;
			*step = "namespaces";
		}
		if (e && (rc = ln_host_refused(c, "namespaces.user", CLONE_NEWUSER, why, err)))
			return rc;
		/* Without it, only CAP_SYS_ADMIN makes the other kinds. */
		if (e && !(root && sbx_host_cap_sys_admin())) {
			for (int i = 0; i < SBX_HOST_NKINDS; i++) {
				const struct sbx_host_kind *k = &sbx_host_kinds[i];
				if ((want & k->flag) &&
				    (rc = ln_host_refused(c, k->layer, k->flag, SBX_HOST_NEEDS_USERNS, err)))
					return rc;
			}
			want = 0;
		}
	}
	/* What the spawn server learnt the host refuses: not tried again. */
	for (int i = 0; i < SBX_HOST_NKINDS; i++) {
		const struct sbx_host_kind *k = &sbx_host_kinds[i];
		if ((want & k->flag) && ln_host_cached(k->layer, &known)) {
			want &= ~k->flag;
			if ((rc = ln_host_refused(c, k->layer, k->flag, known, err)))
				return rc;
		}
	}
	unsigned long rest = want & ~(unsigned long)CLONE_NEWUSER;
	if (rest && unshare((int)rest) == 0) {
		done |= rest;
	} else if (rest) {
		for (int i = 0; i < SBX_HOST_NKINDS; i++) {
			const struct sbx_host_kind *k = &sbx_host_kinds[i];
			if (!(rest & k->flag))
				continue;
			if (unshare((int)k->flag) == 0) {
				done |= k->flag;
				continue;
			}
			sbx_host_why_kind(i, errno, why, sizeof(why));
			if ((rc = ln_host_refused(c, k->layer, k->flag, why, err)))
				return rc;
		}
	}
	c->ns_done = done;
	if (done & CLONE_NEWNET) {
		*step = "network";
		int e = 0;
		if (ln_host_cached("loopback", &known))
			snprintf(why, sizeof(why), "%s", known), e = EPERM;
		else if ((e = sbx_host_loopback_up()) != 0)
			sbx_host_why_loopback(e, why, sizeof(why));
		/* The namespace stays: no network at all is still no network. */
		if (e && (rc = ln_host_refused(c, "loopback", LN_LOST_LOOPBACK, why, err)))
			return rc;
	}
	return 0;
}

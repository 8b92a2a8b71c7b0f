/* Apply step: uid/gid change (groups, then gid, then uid: each needs the
 * privilege the next one gives up). */
#include "apply.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Is the current supplementary group list exactly `want` (as a set)? */
static bool groups_are(const gid_t *want, size_t n)
{
	gid_t cur[SBX_PLAN_MAX_GROUPS + 1];
	int m = getgroups(SBX_PLAN_MAX_GROUPS + 1, cur);
	size_t i;
	int j;

	if (m < 0)
		return false;
	for (j = 0; j < m; j++) {
		for (i = 0; i < n && want[i] != cur[j]; i++)
			;
		if (i == n)
			return false;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < m && cur[j] != want[i]; j++)
			;
		if (j == m)
			return false;
	}
	return true;
}

int sbx_apply_ids(const struct sbx_plan_ids *ids, bool keep_caps,
		  struct sbx_error *err)
{
	const char *ptr = ids->pointer;
	uid_t ru, eu, su;
	gid_t gr, ge, gs;

	if (ids->set_groups || ids->set_gid) {
		const gid_t *list = ids->set_groups ? ids->groups : &ids->gid;
		size_t n = ids->set_groups ? ids->ngroups : 1;

		if (n > SBX_PLAN_MAX_GROUPS)
			return sbx_error_set(err, SBX_EVALUE, EINVAL, ptr,
					     "uid/gid: more than %d groups",
					     SBX_PLAN_MAX_GROUPS);
		/* An unprivileged process cannot call setgroups at all; that
		 * is fine when the list already is what the plan asks. */
		if (setgroups(n, list) < 0) {
			int e = errno;

			if (!groups_are(list, n))
				return sbx_error_sys(err, e, "setgroups", ptr,
					"uid/gid: cannot set the supplementary "
					"groups: %s (needs CAP_SETGID)",
					strerror(e));
		}
	}
	if (ids->set_gid) {
		if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
			return sbx_error_sys(err, errno, "setresgid", ptr,
					     "uid/gid: cannot change to gid %u: %s",
					     (unsigned)ids->gid, strerror(errno));
		if (getresgid(&gr, &ge, &gs) < 0 || gr != ids->gid ||
		    ge != ids->gid || gs != ids->gid)
			return sbx_error_set(err, SBX_EINTERNAL, EPERM, ptr,
					     "uid/gid: gid did not change");
	}
	if (ids->set_uid) {
		/* Leaving uid 0 clears the permitted set unless KEEP_CAPS is
		 * on; the caps step still needs CAP_SETPCAP to drop the
		 * bounding set and lock the securebits. It turns KEEP_CAPS
		 * off again (and execve clears it anyway). */
		if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return sbx_error_sys(err, errno, "prctl(PR_SET_KEEPCAPS)",
					     ptr, "uid/gid: cannot keep capabilities "
					     "across the uid change");
		if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
			return sbx_error_sys(err, errno, "setresuid", ptr,
					     "uid/gid: cannot change to uid %u: %s",
					     (unsigned)ids->uid, strerror(errno));
		if (getresuid(&ru, &eu, &su) < 0 || ru != ids->uid ||
		    eu != ids->uid || su != ids->uid)
			return sbx_error_set(err, SBX_EINTERNAL, EPERM, ptr,
					     "uid/gid: uid did not change");
	}
	return 0;
}

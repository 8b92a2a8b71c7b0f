/* The apply engine: the plan's steps in order, fail closed (apply.h). */
#include "apply.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char *const step_names[SBX_STEP_COUNT] = {
	[SBX_STEP_NONE] = "none",
	[SBX_STEP_BUILD] = "prepare",
	[SBX_STEP_RLIMITS] = "rlimits",
	[SBX_STEP_IDS] = "uid/gid",
	[SBX_STEP_CAPS] = "capabilities",
	[SBX_STEP_NNP] = "no_new_privs",
	[SBX_STEP_LANDLOCK] = "landlock",
	[SBX_STEP_SECCOMP] = "seccomp",
};

const char *sbx_step_name(int step)
{
	if (step < 0 || step >= SBX_STEP_COUNT)
		return "?";
	return step_names[step];
}

static bool ids_asked(const struct sbx_plan_ids *ids)
{
	return ids->set_uid || ids->set_gid || ids->set_groups;
}

int sbx_plan_apply(const struct sbx_plan *plan, struct sbx_apply_result *res,
		   struct sbx_error *err)
{
	struct sbx_landlock_prepared ll;
	int llfd = -1, step, r;

	memset(res, 0, sizeof(*res));
	res->seccomp_listener_fd = -1;
	memset(&ll, 0, sizeof(ll));

	/* 0: everything a user can fix fails here, before any change. */
	step = SBX_STEP_BUILD;
	if ((r = sbx_apply_seccomp_check(&plan->seccomp, err)))
		goto fail;
	if (plan->landlock.present) {
		res->landlock_abi = sbx_landlock_abi();
		r = sbx_landlock_prepare(&plan->landlock, res->landlock_abi, &ll,
					 &res->notes, err);
		if (!r)
			r = sbx_landlock_build(&ll, &llfd, &res->notes, err);
		if (r)
			goto fail;
		res->landlock_dropped_fs = ll.dropped_fs;
		res->landlock_dropped_net = ll.dropped_net;
		res->landlock_dropped_scoped = ll.dropped_scoped;
		if (ll.dropped_fs || ll.dropped_net || ll.dropped_scoped ||
		    ll.dropped_flags)
			res->skipped |= SBX_STEP_BIT(SBX_STEP_LANDLOCK);
	}

	step = SBX_STEP_RLIMITS;
	if (plan->nrlimits) {
		if ((r = sbx_apply_rlimits(plan->rlimits, plan->nrlimits, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
	}

	step = SBX_STEP_IDS;
	if (ids_asked(&plan->ids)) {
		if ((r = sbx_apply_ids(&plan->ids, plan->caps.present, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
	}

	step = SBX_STEP_CAPS;
	if (plan->caps.present) {
		unsigned before = res->notes.count + res->notes.lost;

		if ((r = sbx_apply_caps(&plan->caps, true, res, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
		if (res->notes.count + res->notes.lost != before)
			res->skipped |= SBX_STEP_BIT(step);
	}

	step = SBX_STEP_NNP;
	if ((r = sbx_apply_no_new_privs(err)))
		goto fail;
	res->enforced |= SBX_STEP_BIT(step);

	step = SBX_STEP_LANDLOCK;
	if (ll.active) {
		r = sbx_landlock_restrict(&ll, llfd, 0, err);
		close(llfd);
		llfd = -1;
		if (r)
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
		res->landlock_fs = ll.attr.handled_access_fs;
		res->landlock_net = ll.attr.handled_access_net;
		res->landlock_scoped = ll.attr.scoped;
	}

	step = SBX_STEP_SECCOMP;
	if (plan->seccomp.prog) {
		if ((r = sbx_apply_seccomp(&plan->seccomp,
					   &res->seccomp_listener_fd,
					   &res->tsync_failed_tid, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
	}
	return 0;

fail:
	if (llfd >= 0)
		close(llfd);
	res->failed_step = step;
	return r;
}

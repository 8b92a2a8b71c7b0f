/* The apply steps' names, for errors and reports (apply.h). */
#include "apply.h"

static const char *const step_names[SBX_STEP_COUNT] = {
	[SBX_STEP_NONE] = "none",
	[SBX_STEP_BUILD] = "prepare",
	[SBX_STEP_RLIMITS] = "rlimits",
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

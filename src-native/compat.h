/* What to do when the kernel cannot enforce something a policy asks for;
 * shared by the policy (what was written) and the plan (what to apply). */
#ifndef SBX_COMPAT_H
#define SBX_COMPAT_H

enum sbx_compat {
	SBX_COMPAT_ENFORCE = 0,      /* fail: never run less confined than asked */
	SBX_COMPAT_BEST_EFFORT = 1,  /* drop it, and say so in a note           */
};

#endif

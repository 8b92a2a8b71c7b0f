/* What to do when the kernel cannot enforce something a policy asks for;
 * shared by the policy (what was written) and the plan (what to apply). */
#ifndef SBX_COMPAT_H
#define SBX_COMPAT_H

enum sbx_compat {
	SBX_COMPAT_ENFORCE = 0,      /* fail: never run less confined than asked */
	SBX_COMPAT_BEST_EFFORT = 1,  /* drop it, and say so in a note           */
};

/* A path the policy needs and this host lacks, the same words whether the
 * policy load finds it (path check) or prepare does when it opens it for
 * Landlock (the doors that skip the load's check): path, strerror. */
#define SBX_MISSING_PATH_FMT \
	"%s: %s (mark it {\"path\": ..., \"optional\": true} if it may be missing)"

#endif

/*
 * The apply steps: a plan (plan.h) applied to the calling process, in the
 * order of design.md steps 3-8 that make sense for an existing process. One
 * engine runs them for every door, sbx_prepared_apply_phase() (prepare.c),
 * over what sbx_prepare() built:
 *
 *   0. prepare    (sbx_prepare) check the filter, build the Landlock ruleset
 *                 fd (opens paths); changes nothing in the process
 *   1. rlimits
 *   2. caps       bounding, ambient, inheritable/permitted/effective,
 *                 securebits set and locked
 *   3. nnp        PR_SET_NO_NEW_PRIVS (always)
 *   4. landlock   landlock_restrict_self
 *   5. seccomp    last, so nothing above has to be allowed by the filter
 *
 * Fail closed: the first failing step fills the error (message starts with
 * the step's name; errno, syscall and policy pointer set) and nothing after
 * it runs. Everything a user can fix (missing path, ABI too old in enforce
 * mode) fails in step 0, before the process has changed at all. After a
 * failure in steps 1-5 the process is partly confined and must not go on
 * running untrusted code: the preload door and the launcher exit, the self
 * door reports that the process is no longer consistent.
 *
 * Threads: credentials, no_new_privs and Landlock are per thread. The engine
 * confines the calling thread, plus every thread for seccomp when the plan
 * asks for SECCOMP_FILTER_FLAG_TSYNC. The preload door runs it before main()
 * (one thread); the self door composes the step functions below per thread.
 */
#ifndef SBX_APPLY_H
#define SBX_APPLY_H

#include "landlock.h"
#include "plan.h"
#include "sbx.h"

#include <stdint.h>
#include <sys/types.h>

enum sbx_step {
	SBX_STEP_NONE = 0,
	SBX_STEP_BUILD,
	SBX_STEP_RLIMITS,
	SBX_STEP_CAPS,
	SBX_STEP_NNP,
	SBX_STEP_LANDLOCK,
	SBX_STEP_SECCOMP,
	SBX_STEP_COUNT
};
#define SBX_STEP_BIT(s) (1u << (s))

/* "rlimits", "capabilities", ...; "?" for a bad value. */
const char *sbx_step_name(int step);

struct sbx_apply_result {
	unsigned enforced;       /* SBX_STEP_BIT()s that were applied          */
	unsigned skipped;        /* asked for, not applied (best effort/notes) */
	int failed_step;         /* enum sbx_step, SBX_STEP_NONE on success     */
	/* capabilities */
	uint64_t caps_permitted; /* after the step                              */
	uint64_t caps_bounding;
	unsigned securebits;
	/* Landlock: what the kernel enforces now, and the ABI used */
	int landlock_abi;
	uint64_t landlock_fs, landlock_net, landlock_scoped;
	uint64_t landlock_dropped_fs, landlock_dropped_net, landlock_dropped_scoped;
	/* seccomp */
	int seccomp_listener_fd; /* NEW_LISTENER: owned by the caller, else -1  */
	pid_t tsync_failed_tid;  /* TSYNC: the thread that could not sync, or 0 */
	struct sbx_notebuf notes;
};

/* ---- the steps (sbx_prepared_apply_phase() in prepare.c runs them in
 * order; the self door composes them per thread) ---- */

int sbx_apply_rlimits(const struct sbx_plan_rlimit *rl, size_t n,
		      struct sbx_error *err);

/* `nnp_follows`: no_new_privs will be set before anything untrusted runs;
 * then a bounding set / securebits that an unprivileged process cannot
 * change are noted, not fatal (see docs/security-model.md). */
int sbx_apply_caps(const struct sbx_plan_caps *caps, bool nnp_follows,
		   struct sbx_apply_result *res, struct sbx_error *err);

/* The securebits the caps step sets and locks, given the thread's current
 * ones (the self door hands them to the other threads before this thread has
 * applied its own step). */
unsigned sbx_apply_securebits_want(unsigned cur);

int sbx_apply_no_new_privs(struct sbx_error *err);

/* What can be checked about the filter before anything is applied. */
int sbx_apply_seccomp_check(const struct sbx_plan_seccomp *sc,
			    struct sbx_error *err);

/* seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). *listener_fd gets the
 * NEW_LISTENER fd (else -1); *failed_tid the TSYNC culprit (else 0). */
int sbx_apply_seccomp(const struct sbx_plan_seccomp *sc, int *listener_fd,
		      pid_t *failed_tid, struct sbx_error *err);

#endif /* SBX_APPLY_H */

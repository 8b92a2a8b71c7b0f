/*
 * sbx — the self door: confine the calling process, every thread of it, with
 * a sandbox prepared by sbx_prepare(policy, SBX_DOOR_SELF, SBX_PREPARE_TSYNC).
 *
 * Order: rlimits (process-wide); capabilities, no_new_privs and Landlock on
 * every thread (Landlock ABI 8: LANDLOCK_RESTRICT_SELF_TSYNC; before that the
 * other threads are signalled and apply the prepared ruleset themselves, the
 * caller waits for each one and re-scans /proc/self/task until no thread is
 * left unconfined); seccomp last, with SECCOMP_FILTER_FLAG_TSYNC.
 *
 * Fail closed: an error in setting up (nothing applied) or in the rlimits is
 * returned. Once a thread's credentials have started to change, a failure
 * (a thread that cannot be confined or does not answer, TSYNC refused) cannot
 * be undone and would leave some threads confined and others not: the
 * process writes one line to stderr and exits with status 126.
 * See docs/security-model.md, "Self door".
 */
#ifndef SBX_SELF_PUBLIC_H
#define SBX_SELF_PUBLIC_H

#include "sbx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbx_prepared;

/* The exit status of a lockdown that failed half-way (see above). */
#define SBX_SELF_EXIT_STATUS 126

/* Apply `pp` (prepared for SBX_DOOR_SELF) to every thread; 0 or -errno.
 * Irreversible; a second lockdown stacks (only narrows). At most one
 * lockdown runs at a time per process (-EBUSY otherwise). */
SBX_API int sbx_self_lockdown(struct sbx_prepared *pp, struct sbx_error *err);

#ifdef __cplusplus
}
#endif

#endif

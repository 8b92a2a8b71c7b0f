/*
 * sbx — public C API to confine: a loaded policy (sbx_policy.h) becomes a
 * *prepared* sandbox (everything decided and checked, nothing applied: the
 * BPF program compiled, the Landlock ruleset built, paths opened), which is
 * then applied to the calling process.
 *
 * Two steps so that everything a user can fix fails before anything changes
 * (design.md, "Compile, then apply"), and so that the self door can compile
 * once and apply the same prepared sandbox to every thread.
 */
#ifndef SBX_APPLY_PUBLIC_H
#define SBX_APPLY_PUBLIC_H

#include "sbx.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbx_policy;
struct sbx_prepared;

/* Which door prepares: decides what parts of the policy apply and which are
 * refused (the self door refuses namespaces/root/mounts, pointing to spawn;
 * the preload door ignores the spawn-only sections with a note). */
enum sbx_door {
	SBX_DOOR_PRELOAD = 1,
	SBX_DOOR_SELF = 2,
	SBX_DOOR_SPAWN = 3,
};

/* Flags for sbx_prepare(). */
enum {
	/* Install seccomp with SECCOMP_FILTER_FLAG_TSYNC (self door). */
	SBX_PREPARE_TSYNC = 1u << 0,
	/* Install seccomp with NEW_LISTENER for violation reporting; the fd is
	 * in the report (sbx_report_listener_fd). */
	SBX_PREPARE_LISTENER = 1u << 1,
	/* Report denials as `"report": true` does, whatever the policy says
	 * (the preload door's SBX_REPORT=1): the door's wish, passed here so
	 * that the loaded policy is never changed. Needs SBX_PREPARE_LISTENER
	 * to report anything. */
	SBX_PREPARE_REPORT = 1u << 2,
};

/*
 * Decide and check everything for `door`: Landlock rules against the
 * running kernel's ABI (enforce: an unsupported right is SBX_EUNSUPPORTED
 * naming the policy field, the kernel feature and what to do; best-effort:
 * a note), paths opened, the filter compiled for the native arch.
 * Nothing in the process changes. *out is owned by the caller.
 */
SBX_API int sbx_prepare(const struct sbx_policy *p, int door, unsigned flags,
			struct sbx_prepared **out, struct sbx_error *err);

/*
 * Apply to the calling thread (and, with SBX_PREPARE_TSYNC, seccomp to every
 * thread): rlimits, capabilities, no_new_privs, Landlock, seccomp last.
 * Fail closed: on error nothing after the failing step ran, and the caller
 * must not run untrusted code (preload: exit 126). Returns 0 or -errno.
 * May be called once per prepared sandbox.
 */
SBX_API int sbx_prepared_apply(struct sbx_prepared *pp, struct sbx_error *err);

/* sbx_prepared_apply in two calls: every step before seccomp, then seccomp
 * (which must follow a successful first call). The spawn server's prepared
 * sandboxes confine their program process ahead of its request and load
 * the filter last, after taking the request's fds: a filter that denies
 * recvmsg or dup2 cannot then break the hand-over. */
enum { SBX_APPLY_BEFORE_SECCOMP = 1, SBX_APPLY_SECCOMP = 2 };
SBX_API int sbx_prepared_apply_phase(struct sbx_prepared *pp, int phase, struct sbx_error *err);

/* Does the prepared seccomp filter allow each of these system call numbers
 * (native arch) whatever the arguments? 1 when it does, or when there is no
 * filter; 0 when any depends on its arguments or is denied, or when the
 * filter has a listener. Lets a caller load the filter earlier when it knows
 * every call it still makes before execve. */
SBX_API int sbx_prepared_seccomp_allows(const struct sbx_prepared *pp, const long *nrs, size_t n);

/* What is enforced and what was skipped, as JSON (after apply: what was
 * applied; before: what will be). *json is malloc'd. */
SBX_API int sbx_prepared_report_json(const struct sbx_prepared *pp, char **json,
				     struct sbx_error *err);

/* After apply, only what apply added to the report of the prepared
 * sandbox (state, failedStep, and the skipped and notes lines written while
 * applying): {"state": ..., "skipped": [...], "notes": [...]}. With the
 * report taken before apply, the same content as sbx_prepared_report_json()
 * after it, for a caller that reads the long part while the process is
 * still unconfined (the self door). *json is malloc'd. */
SBX_API int sbx_prepared_apply_report_json(const struct sbx_prepared *pp, char **json,
					   struct sbx_error *err);

/* The seccomp user-notification fd after apply with SBX_PREPARE_LISTENER,
 * else -1. The caller owns it. */
SBX_API int sbx_prepared_listener_fd(const struct sbx_prepared *pp);

/* Closes every fd the prepared sandbox holds (Landlock ruleset) and frees it. */
SBX_API void sbx_prepared_free(struct sbx_prepared *pp);

#ifdef __cplusplus
}
#endif

#endif

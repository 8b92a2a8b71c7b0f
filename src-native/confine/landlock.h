/*
 * Landlock: from the plan's rules to an enforced domain, in three steps so
 * that every door can use the parts it needs.
 *
 *   prepare   decide, for the running ABI, what the ruleset handles. In
 *             enforce mode anything the ABI lacks is SBX_EUNSUPPORTED naming
 *             the policy field; in best-effort mode it is dropped with one
 *             note per right. Also checks that every non-optional path
 *             exists (SBX_EPATH), so compile-time callers see that early.
 *             Touches no process state.
 *   build     create the ruleset fd and add the rules (paths opened O_PATH,
 *             directory-only rights trimmed on non-directories, every path fd
 *             closed). Touches no process state: the fd can be built before
 *             any other step runs, and a failure here leaves the process
 *             exactly as it was.
 *   restrict  landlock_restrict_self() with the fd, for the calling thread
 *             only (TSYNC, ABI 8, extends it to every thread). The self door
 *             calls sbx_landlock_restrict_thread() from each thread with the
 *             same fd; that function is async-signal-safe.
 *
 * Restricting needs no_new_privs (or CAP_SYS_ADMIN) on the calling thread.
 */
#ifndef SBX_LANDLOCK_H
#define SBX_LANDLOCK_H

#include "landlock_defs.h"
#include "plan.h"
#include "sbx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rights that mean something on a non-directory; the kernel rejects a rule
 * on a file that grants any other right (EINVAL). */
#define SBX_LANDLOCK_FS_FILE_RIGHTS                                         \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |        \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |        \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

struct sbx_landlock_prepared {
	const struct sbx_landlock_plan *plan;  /* borrowed: the rules          */
	bool active;             /* a ruleset is built and enforced            */
	int abi;                 /* the ABI prepared for; <= 0: no Landlock    */
	struct sbx_landlock_ruleset_attr attr;  /* what is handled, for the ABI */
	size_t attr_size;        /* smallest size covering the members in use  */
	uint32_t restrict_flags;
	/* Best-effort only: what the plan asked for and this ABI cannot do. */
	uint64_t dropped_fs, dropped_net, dropped_scoped;
	uint32_t dropped_flags;
};

/* The running kernel's Landlock ABI (>= 1), or -ENOSYS / -EOPNOTSUPP. */
int sbx_landlock_abi(void);

/* See above. `abi` is normally sbx_landlock_abi() (a negative value means
 * "no Landlock"); tests pass a lower one to simulate an older kernel.
 * `plan` must outlive `out`. notes may be NULL. */
int sbx_landlock_prepare(const struct sbx_landlock_plan *plan, int abi,
			 struct sbx_landlock_prepared *out,
			 struct sbx_notebuf *notes, struct sbx_error *err);

/* Same, with SBX_LANDLOCK_PATHS_AT_BUILD: the caller builds right after
 * and leaves finding missing paths to the build (same error, pointer and
 * note), which opens every path anyway: no stat per rule here. */
#define SBX_LANDLOCK_PATHS_AT_BUILD 1u
int sbx_landlock_prepare_flags(const struct sbx_landlock_plan *plan, int abi,
			       struct sbx_landlock_prepared *out,
			       struct sbx_notebuf *notes, unsigned flags,
			       struct sbx_error *err);

/* Build the ruleset; *ruleset_fd is an O_CLOEXEC fd owned by the caller, or
 * -1 when the prepared plan is not active. On error nothing stays open. */
int sbx_landlock_build(const struct sbx_landlock_prepared *p, int *ruleset_fd,
		       struct sbx_notebuf *notes, struct sbx_error *err);

/* Same, and missing[i] (npaths entries, false on entry; NULL: not wanted)
 * becomes true for each rule skipped because its optional path does not
 * exist. Rules naming the same path are added as one rule with the union of
 * their rights (the same ruleset: Landlock ORs rules on one object). */
int sbx_landlock_build_marked(const struct sbx_landlock_prepared *p,
			      int *ruleset_fd, struct sbx_notebuf *notes,
			      bool *missing, struct sbx_error *err);

/* landlock_restrict_self(fd, flags) for the calling thread: 0 or -errno.
 * Async-signal-safe (one system call, errno preserved). */
int sbx_landlock_restrict_thread(int ruleset_fd, uint32_t flags);

/* Restrict the calling thread with p's flags plus `extra_flags` (e.g.
 * LANDLOCK_RESTRICT_SELF_TSYNC); errors name the step and the cause. */
int sbx_landlock_restrict(const struct sbx_landlock_prepared *p, int ruleset_fd,
			  uint32_t extra_flags, struct sbx_error *err);

/* prepare + build + restrict + close, for the calling thread. */
int sbx_landlock_apply(const struct sbx_landlock_plan *plan, int abi,
		       struct sbx_notebuf *notes, struct sbx_error *err);

/* Name of one right / scope / flag ("read_file"); "?" if unknown. */
const char *sbx_landlock_fs_name(uint64_t bit);
const char *sbx_landlock_net_name(uint64_t bit);
const char *sbx_landlock_scope_name(uint64_t bit);

#endif /* SBX_LANDLOCK_H */

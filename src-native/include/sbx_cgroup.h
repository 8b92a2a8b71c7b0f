/*
 * sbx — small cgroup helpers for the spawn door's limits (launcher/limits.c):
 * where this process's own cgroup lies in a hierarchy, creating a uniquely
 * named child there, and reading/writing control files through a directory
 * fd (the launcher keeps fds, as its view of /sys/fs/cgroup is later replaced
 * by the sandbox's root). Which mechanism enforces what is the launcher's
 * decision (docs/spawn.md, "Limits").
 */
#ifndef SBX_CGROUP_PUBLIC_H
#define SBX_CGROUP_PUBLIC_H

#include "sbx.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The directory of the caller's own cgroup in the v1 hierarchy that holds
 * `controller` ("memory", "pids", "cpu", "cpuacct"), or in the v2 hierarchy
 * when `controller` is NULL. -ENOENT (err filled) when no such hierarchy is
 * mounted or the own cgroup is not visible under its mount. */
SBX_API int sbx_cgroup_own_dir(const char *controller, char *buf, size_t size,
			       struct sbx_error *err);

/* /proc/self/mountinfo and /proc/self/cgroup as read once: a launcher
 * looks for several hierarchies in one setup, and reading these files is
 * most of what each look costs. */
struct sbx_cgroup_files {
	char *mountinfo;
	char *cgroup;
};

/* Read both files (0 or -errno); free with sbx_cgroup_files_free. */
SBX_API int sbx_cgroup_files_read(struct sbx_cgroup_files *f);
SBX_API void sbx_cgroup_files_free(struct sbx_cgroup_files *f);

/* sbx_cgroup_own_dir, from files read before. */
SBX_API int sbx_cgroup_own_dir_in(const struct sbx_cgroup_files *f, const char *controller,
				  char *buf, size_t size, struct sbx_error *err);

/* mkdir `parent`/sbx-<pid>-<random hex>; the new name goes to `name` (at
 * least 40 bytes). Returns an O_DIRECTORY fd of the new cgroup, or -errno. */
SBX_API int sbx_cgroup_create(const char *parent, char *name, size_t name_size,
			      struct sbx_error *err);

/* Remove the empty sbx-<pid>-* cgroups below `parent` whose launcher <pid>
 * is gone and that are older than a few seconds: a launcher killed with
 * SIGKILL (a prepared sandbox dropped, a helper killed) cannot remove its
 * own. rmdir removes only empty cgroups; the age keeps a cgroup that a live
 * launcher (of another pid namespace) made a moment ago and has not joined
 * yet. Errors are ignored: this is housekeeping. */
SBX_API void sbx_cgroup_sweep(const char *parent);
/* The same, with the parent as a directory fd (O_PATH will do): after the
 * sandbox's view replaced the caller's root, paths no longer lead there. */
SBX_API void sbx_cgroup_sweep_at(int parent_fd);

/* Write `value` to the control file `file` below dirfd. 0 or -errno. */
SBX_API int sbx_cgroup_write(int dirfd, const char *file, const char *value);

/* Read an unsigned number from `file` below dirfd: the whole file when `key`
 * is NULL ("memory.failcnt"), else the value after "key " on its own line
 * ("oom_kill" in memory.events, "usage_usec" in cpu.stat). 0 or -errno. */
SBX_API int sbx_cgroup_read_u64(int dirfd, const char *file, const char *key, uint64_t *out);

/* Is the space/comma-separated word `word` in `file` below dirfd
 * (cgroup.controllers, cgroup.subtree_control)? 1, 0, or -errno. */
SBX_API int sbx_cgroup_has_word(int dirfd, const char *file, const char *word);

#ifdef __cplusplus
}
#endif

#endif /* SBX_CGROUP_PUBLIC_H */

/*
 * sbx — the spawn door's plan: what the launcher sets up before the Landlock
 * and seccomp layers (sbx_apply.h) and execve. The policy decides, the spawn
 * door's defaults fill what it leaves unset (docs/spawn.md, "Defaults"):
 *
 *   namespaces  every kind but time; best-effort unless the policy sets
 *               `compat` (in `namespaces` or at the top)
 *   root        host-readonly
 *   mounts      proc, dev, tmpfs on /tmp, $TMPDIR and $HOME, $CWD writable;
 *               the policy's own mounts replace a default with the same
 *               target; parents are mounted before what lies below them
 *   env         cleared, a short keep list (PATH, LANG, LC_*, TERM, TZ, HOME,
 *               USER, LOGNAME, TMPDIR)
 *   hostname    "sbx" in a new UTS namespace
 *   session     new; dieWithParent: true
 *
 * Plain data, no policy semantics left for the launcher to decide.
 */
#ifndef SBX_SPAWN_PUBLIC_H
#define SBX_SPAWN_PUBLIC_H

#include "sbx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sbx_policy;

/* Same values as the policy's `mounts[].type`. */
enum sbx_spawn_mount_type {
	SBX_SPAWN_BIND = 0,
	SBX_SPAWN_TMPFS = 1,
	SBX_SPAWN_PROC = 2,
	SBX_SPAWN_DEV = 3,
	SBX_SPAWN_OVERLAY = 4,
};

enum sbx_spawn_root {
	SBX_SPAWN_ROOT_HOST_READONLY = 0,
	SBX_SPAWN_ROOT_HOST = 1,
	SBX_SPAWN_ROOT_EMPTY = 2,
	SBX_SPAWN_ROOT_DIR = 3,
};

struct sbx_spawn_mount {
	int type;                  /* enum sbx_spawn_mount_type             */
	const char *source;        /* bind: host path; else NULL            */
	const char *target;        /* absolute path in the new root          */
	bool writable;
	bool optional;             /* bind: skip when the source is missing;
	                              tmpfs: when the target is missing      */
	bool is_default;           /* added by the spawn door, not the policy */
	uint64_t size;             /* tmpfs bytes, 0 = kernel default        */
	const char *pointer;       /* "/mounts/2", or NULL for a default     */
	const char *upper;         /* overlay: host dir keeping the changes
	                              (work dir: "<upper>.work"); NULL: a
	                              tmpfs, changes lost at exit            */
};

/*
 * A path kept read-only (fs.protect) or shown empty (fs.hide) in the new root,
 * after the mounts (docs/spawn.md, "Protected and hidden paths"). Relative
 * policy entries are expanded beneath every writable bind (and beneath each
 * of its parents, where the result lies inside it: a working directory
 * inside .git still has hooks/ protected); absolute ones, and the door's own
 * (sbx's installed files, the policy files read), are host paths, mapped
 * through the writable binds that contain them. Protected entries outside
 * every writable bind are left out: the view is read-only or private there.
 */
struct sbx_spawn_protect {
	const char *path;          /* absolute, in the new root                */
	const char *root;          /* the writable root it lies in (a target),
	                              or NULL: a hidden path of the host's tree */
	const char *host;          /* the same place on the host (fingerprint) */
	bool hide;                 /* fs.hide: an empty directory or file      */
	bool optional;             /* only when present: no placeholder made   */
	bool implicit;             /* the door's own: sbx's files, policy files */
	const char *pointer;       /* the policy entry; NULL when implicit     */
};

/*
 * A Landlock grant the view needs beside the policy's `fs` lists, added by
 * the launcher to a policy that has an `fs` section (docs/spawn.md, "The
 * home and the repository"): the private home (`home`: "private",
 * "toolchains"), the repository's top level and git directories (`git`).
 * Paths in the new root.
 */
struct sbx_spawn_grant {
	const char *path;
	bool read, write, exec;
	const char *why;           /* "home", "git": for --explain            */
};

struct sbx_spawn_env_set {
	const char *name, *value;
};

struct sbx_spawn_plan {
	/* CLONE_NEW* flags asked for (CLONE_NEWUSER included when asked). */
	unsigned long ns_flags;
	bool ns_best_effort;
	int64_t uid, gid;          /* inside the user namespace; -1: own     */
	int root;                  /* enum sbx_spawn_root                   */
	const char *root_dir;      /* SBX_SPAWN_ROOT_DIR                    */
	struct sbx_spawn_mount *mounts;
	size_t nmounts;
	bool env_clear;
	const char **env_keep;     /* names; a trailing '*' is a prefix     */
	size_t nkeep;
	struct sbx_spawn_env_set *env_set;
	size_t nset;
	const char *hostname;      /* applied in a new UTS namespace         */
	const char *cwd;           /* absolute                              */
	/* Paths (launcher/paths.c, docs/spawn.md "Paths"): the caller's working
	 * directory as given ($CWD), $HOME (NULL: none), the two switches. */
	const char *caller_cwd;
	const char *home;
	bool allow_broad_cwd;
	bool follow_symlinks;
	struct sbx_spawn_protect *protect;
	size_t nprotect;
	struct sbx_spawn_grant *grants;
	size_t ngrants;
	bool new_session;
	bool die_with_parent;
	/* `limits` asks for something (memory, pids, cpu, wall or CPU time);
	 * the launcher picks a mechanism for each (launcher/limits.c). */
	bool limits_asked;
	/* per limit, indexed as SBX_LIMIT_* (memory, pids, cpu, wall, cpu time) */
	bool limits_best_effort[5];
	/* ---- limits (launcher/limits.c) ---- */
	struct sbx_spawn_limits {
		bool has_memory, has_pids, has_cpu, has_wall, has_cputime;
		uint64_t memory;           /* bytes                          */
		/* The policy gave a share of the host's memory ("50%"): only a
		 * cgroup may enforce it, never RLIMIT_AS (address space is not
		 * memory: a JIT or a wasm runtime reserves far more than it uses). */
		bool memory_cgroup_only;
		uint64_t pids;             /* processes                      */
		uint64_t cpu_milli;        /* 1000 = one CPU                 */
		uint64_t wall_ms, cputime_ms;
	} limits;
	/* ---- end limits ---- */
};

/* Facts the defaults depend on (absolute paths; home may be NULL). */
struct sbx_spawn_ctx {
	const char *cwd;
	const char *home;
	const char *tmpdir;
	/* The directory of the running sbx artifacts (the launcher's), or NULL:
	 * protected, with the package around it, inside a writable bind. */
	const char *self_dir;
	/* $PATH (may be NULL): with `home: "toolchains"`, its entries under
	 * $HOME are shown in the private home. */
	const char *path;
};

/* Build the plan of `p` for the spawn door. *out owns everything it points
 * to except strings borrowed from `p` (keep `p` alive as long as *out). */
SBX_API int sbx_spawn_plan_build(const struct sbx_policy *p, const struct sbx_spawn_ctx *ctx,
				 struct sbx_spawn_plan **out, struct sbx_error *err);

SBX_API void sbx_spawn_plan_free(struct sbx_spawn_plan *plan);

/* "bind", "tmpfs", ... */
SBX_API const char *sbx_spawn_mount_type_name(int type);

/* The credential location under `home` (".ssh", ".aws", ...: the list the
 * private home hides) that `path` (absolute) is, or lies beneath; with
 * `whole` (a grant that reaches everything beneath `path`: a directory),
 * also one that lies beneath `path` ($HOME, ~/.config, /). NULL when none.
 * `home` is compared as given and resolved. For `sbx learn`, which must
 * never grant a credential, directly or by widening. */
SBX_API const char *sbx_spawn_secret(const char *path, const char *home, bool whole);

#ifdef __cplusplus
}
#endif

#endif /* SBX_SPAWN_PUBLIC_H */

/*
 * The spawn door's private home and the repository around the working
 * directory (policy keys `home` and `git`; docs/spawn.md, "The home and the
 * repository"): what the plan adds to the view for them, worked out from
 * the host as it is when the plan is built. spawn_plan.c puts it in the plan.
 */
#ifndef SBX_SPAWN_HOME_H
#define SBX_SPAWN_HOME_H

#include "policy.h"
#include "sbx_spawn.h"

#define SBX_HOME_MAX_BINDS 64
#define SBX_HOME_MAX_HIDES 96
#define SBX_HOME_MAX_GRANTS 8

struct sbx_home_bind {
	const char *path;          /* host path, bound at the same place      */
	bool writable;
};

struct sbx_home_out {
	struct sbx_home_bind binds[SBX_HOME_MAX_BINDS];
	size_t nbinds;
	const char *hides[SBX_HOME_MAX_HIDES];      /* optional fs.hide entries */
	size_t nhides;
	const char *protects[4];                    /* optional fs.protect      */
	size_t nprotects;
	struct sbx_spawn_grant grants[SBX_HOME_MAX_GRANTS];
	size_t ngrants;
	const char *rhome;                          /* $HOME resolved (scratch) */
};

/* Fill *out (zeroed by the caller) for `p` in `ctx`; strings in `a`.
 * `home_private`: the plan's $HOME is the door's own tmpfs (no policy
 * mount replaced it). 0 or -ENOMEM. */
int sbx_spawn_home_plan(const struct sbx_policy *p, const struct sbx_spawn_ctx *ctx,
			bool home_private, struct sbx_arena *a, struct sbx_home_out *out);

#endif /* SBX_SPAWN_HOME_H */

/*
 * The plan's Landlock grants (sbx_spawn.h, struct sbx_spawn_grant): the
 * private home of `home: "private"`/`"toolchains"` and the repository of
 * `git: true` (docs/spawn.md, "The home and the repository"), given to
 * sbx_prepare_with() beside the policy's `fs` lists (the policy is not
 * changed). Only where the view is built (launch.c asks after
 * ln_rootfs_build succeeded): without a mount namespace, or with one whose
 * mounting the host refused, $HOME is the host's own home, and a grant there
 * would open it. A policy without an `fs` section makes no Landlock domain
 * and needs none.
 */
#include "launcher.h"
#include "policy.h"
#include "prepared.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

int ln_grants(const struct ln_ctx *c, const struct sbx_policy *p,
	      struct sbx_prepare_grant **out, size_t *n, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;
	struct sbx_prepare_grant *g;

	*out = NULL;
	*n = 0;
	if (!(c->ns_done & CLONE_NEWNS) || !p->fs.present || !plan->ngrants)
		return 0;
	if (!(g = calloc(plan->ngrants, sizeof(*g))))
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "/home", "out of memory");
	for (size_t i = 0; i < plan->ngrants; i++) {
		const struct sbx_spawn_grant *s = &plan->grants[i];

		g[i] = (struct sbx_prepare_grant){ .path = s->path, .read = s->read,
						   .write = s->write, .exec = s->exec,
						   .pointer = !strcmp(s->why, "git") ? "/git" : "/home" };
	}
	*out = g;
	*n = plan->ngrants;
	return 0;
}

/*
 * The plan's Landlock grants (sbx_spawn.h, struct sbx_spawn_grant): the
 * private home of `home: "private"`/`"toolchains"` and the repository of
 * `git: true` (docs/spawn.md, "The home and the repository"), added to the
 * policy's `fs` lists before sbx_prepare(). Only where the view is built
 * (launch.c calls this after ln_rootfs_build succeeded): without a mount
 * namespace, or with one whose mounting the host refused, $HOME is the
 * host's own home, and a grant there would open it. A policy without an `fs` section makes no
 * Landlock domain and needs none.
 */
#include "launcher.h"
#include "policy.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

static int add(struct sbx_policy *p, int right, const char *path, const char *pointer)
{
	struct sbx_ppaths *l = &p->fs.rights[right];

	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->items[i].path, path))
			return 0;
	if (sbx_arena_grow(&p->arena, (void **)&l->items, l->count, &l->cap, sizeof(*l->items)))
		return -ENOMEM;
	l->set = true;
	/* Optional: what the view lacks (an absent home) is skipped. */
	l->items[l->count++] = (struct sbx_ppath){ .path = path, .written = path, .optional = true,
						   .pointer = pointer };
	return 0;
}

int ln_grants_apply(struct ln_ctx *c, struct sbx_policy *p, struct sbx_error *err)
{
	const struct sbx_spawn_plan *plan = c->plan;

	if (!(c->ns_done & CLONE_NEWNS) || !p->fs.present)
		return 0;
	for (size_t i = 0; i < plan->ngrants; i++) {
		const struct sbx_spawn_grant *g = &plan->grants[i];
		const char *ptr = !strcmp(g->why, "git") ? "/git" : "/home";

		if ((g->read && add(p, SBX_FS_READ, g->path, ptr)) ||
		    (g->write && add(p, SBX_FS_WRITE, g->path, ptr)) ||
		    (g->exec && add(p, SBX_FS_EXEC, g->path, ptr)))
			return sbx_error_set(err, SBX_ENOMEM, ENOMEM, ptr, "out of memory");
	}
	return 0;
}

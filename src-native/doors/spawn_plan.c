/* The spawn door's plan: the policy's spawn-only sections, with the door's
 * defaults where the policy is silent (sbx_spawn.h, docs/spawn.md). */
#include "policy.h"
#include "policy_keys.h"
#include "sbx_spawn.h"
#include "kernel_defs.h"
#include "spawn_home.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

/* Indexed by enum sbx_ns. */
static const unsigned long ns_clone_flags[SBX_NS_COUNT] = {
	[SBX_NS_USER] = CLONE_NEWUSER, [SBX_NS_PID] = CLONE_NEWPID,
	[SBX_NS_NET] = CLONE_NEWNET, [SBX_NS_MOUNT] = CLONE_NEWNS,
	[SBX_NS_IPC] = CLONE_NEWIPC, [SBX_NS_UTS] = CLONE_NEWUTS,
	[SBX_NS_CGROUP] = CLONE_NEWCGROUP, [SBX_NS_TIME] = CLONE_NEWTIME,
};

/* Not secrets, and what programs need to behave normally. */
static const char *const default_keep[] = {
	"PATH", "LANG", "LANGUAGE", "LC_*", "TERM", "TZ", "HOME", "USER", "LOGNAME", "TMPDIR",
};

struct holder {
	struct sbx_spawn_plan plan;
	struct sbx_arena arena;
	size_t mounts_cap;
	size_t protect_cap;
};

const char *sbx_spawn_mount_type_name(int type)
{
	static const char *const names[] = { "bind", "tmpfs", "proc", "dev", "overlay" };
	return type >= 0 && type < (int)(sizeof(names) / sizeof(names[0])) ? names[type] : "?";
}

void sbx_spawn_plan_free(struct sbx_spawn_plan *plan)
{
	if (!plan)
		return;
	struct holder *h = (struct holder *)((char *)plan - offsetof(struct holder, plan));
	sbx_arena_free(&h->arena);
	free(h);
}

static size_t depth(const char *path)
{
	size_t n = 0;
	for (const char *s = path; *s; s++)
		if (*s == '/' && s[1])
			n++;
	return n;
}

/* Add or replace (same target) a mount. */
static int put_mount(struct holder *h, const struct sbx_spawn_mount *m)
{
	struct sbx_spawn_plan *pl = &h->plan;
	for (size_t i = 0; i < pl->nmounts; i++) {
		if (!strcmp(pl->mounts[i].target, m->target)) {
			pl->mounts[i] = *m;
			return 0;
		}
	}
	if (sbx_arena_grow(&h->arena, (void **)&pl->mounts, pl->nmounts, &h->mounts_cap,
			   sizeof(*pl->mounts)))
		return -ENOMEM;
	pl->mounts[pl->nmounts++] = *m;
	return 0;
}

/*
 * The size of each default tmpfs (/tmp, $TMPDIR, home, and /dev with its
 * /dev/shm): an eighth of the
 * host's memory, at least 256 MiB and at most 4 GiB. The kernel's own
 * default is half of the memory for each mount, charged to the host when no
 * memory cgroup holds the sandbox: three of them let one command take the
 * host's memory. A policy mount with the same target and its own `size`
 * replaces the default (docs/spawn.md, "Defaults").
 */
static uint64_t default_tmpfs_size(void)
{
	const uint64_t lo = 256ull << 20, hi = 4ull << 30;
	struct sysinfo si;
	uint64_t eighth;

	if (sysinfo(&si))
		return lo;
	eighth = (uint64_t)si.totalram * si.mem_unit / 8;
	return eighth < lo ? lo : eighth > hi ? hi : eighth;
}

/* limits.memory "N%": that share of the host's memory, at least 1 MiB. */
static uint64_t memory_share(uint32_t pct)
{
	struct sysinfo si;
	uint64_t total, v;

	if (sysinfo(&si))
		return 1ull << 20;
	total = (uint64_t)si.totalram * si.mem_unit;
	v = total / 100 * pct;
	return v < (1ull << 20) ? 1ull << 20 : v;
}

static int add_default_opt(struct holder *h, int type, const char *source, const char *target,
			   bool writable, bool optional)
{
	/* The context's strings need not outlive the plan. */
	struct sbx_spawn_mount m = {
		.type = type, .writable = writable, .is_default = true, .optional = optional,
		.size = type == SBX_SPAWN_TMPFS || type == SBX_SPAWN_DEV ? default_tmpfs_size() : 0,
		.source = source ? sbx_arena_strdup(&h->arena, source) : NULL,
		.target = sbx_arena_strdup(&h->arena, target),
	};
	if (!m.target || (source && !m.source))
		return -ENOMEM;
	return put_mount(h, &m);
}

static int add_default(struct holder *h, int type, const char *source, const char *target,
		       bool writable)
{
	return add_default_opt(h, type, source, target, writable, false);
}

static bool usable_dir(const char *p)
{
	return p && p[0] == '/' && p[1] != '\0';
}

static int default_mounts(struct holder *h, const struct sbx_spawn_ctx *ctx)
{
	struct sbx_spawn_plan *pl = &h->plan;
	int rc = 0;
	if (pl->ns_flags & CLONE_NEWPID)
		rc = add_default(h, SBX_SPAWN_PROC, NULL, "/proc", false);
	if (!rc)
		rc = add_default(h, SBX_SPAWN_DEV, NULL, "/dev", false);
	if (!rc)
		rc = add_default(h, SBX_SPAWN_TMPFS, NULL, "/tmp", true);
	if (!rc && usable_dir(ctx->tmpdir) && strcmp(ctx->tmpdir, "/tmp"))
		rc = add_default_opt(h, SBX_SPAWN_TMPFS, NULL, ctx->tmpdir, true, true);
	/* The home directory holds the caller's keys and tokens: hidden unless
	 * the policy binds it. */
	if (!rc && usable_dir(ctx->home))
		rc = add_default_opt(h, SBX_SPAWN_TMPFS, NULL, ctx->home, true, true);
	if (!rc && usable_dir(ctx->cwd))
		rc = add_default(h, SBX_SPAWN_BIND, ctx->cwd, ctx->cwd, true);
	return rc;
}

/* Is `p` equal to or beneath `dir`? */
static bool beneath(const char *p, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	if (!n)
		return false;
	if (n == 1 && dir[0] == '/')
		return true;
	return !strncmp(p, dir, n) && (p[n] == '\0' || p[n] == '/');
}

/*
 * The `fs` section speaks of host paths; the new root must show them or the
 * Landlock rules would grant access to nothing. A path the policy may write
 * is bound writable (the host view is read-only); a readable path beneath a
 * directory the defaults hide (/tmp, $TMPDIR, $HOME) is bound read-only. The
 * hidden directories themselves stay hidden (bind them with `mounts`), and
 * /proc, /dev and the working directory have their own mounts.
 */
static int fs_mounts(struct holder *h, const struct sbx_policy *p,
		     const struct sbx_spawn_ctx *ctx)
{
	const char *hidden[] = { "/tmp", ctx->tmpdir, ctx->home };

	for (int r = 0; r < SBX_FS_NRIGHTS; r++) {
		bool writable = r != SBX_FS_READ && r != SBX_FS_EXEC && r != SBX_FS_LIST &&
				r != SBX_FS_IOCTL_DEV;
		for (size_t i = 0; i < p->fs.rights[r].count; i++) {
			const struct sbx_ppath *pp = &p->fs.rights[r].items[i];
			bool under_hidden = false, is_hidden = false;

			if (!strcmp(pp->path, "/") || beneath(pp->path, "/proc") ||
			    beneath(pp->path, "/dev") || beneath(pp->path, ctx->cwd))
				continue;
			for (size_t k = 0; k < sizeof(hidden) / sizeof(hidden[0]); k++) {
				if (!usable_dir(hidden[k]))
					continue;
				is_hidden |= !strcmp(pp->path, hidden[k]);
				under_hidden |= beneath(pp->path, hidden[k]);
			}
			if (is_hidden || (!writable && !under_hidden))
				continue;
			for (size_t m = 0; m < h->plan.nmounts; m++)
				if (!strcmp(h->plan.mounts[m].target, pp->path) &&
				    (h->plan.mounts[m].writable || !writable))
					goto next;
			if (add_default_opt(h, SBX_SPAWN_BIND, pp->path, pp->path, writable,
					    pp->optional))
				return -ENOMEM;
next:;
		}
	}
	return 0;
}

/*
 * net.unixPaths: a listed socket beneath a directory the defaults hide (the
 * ssh-agent's under /tmp, a daemon's under $HOME) is bound read-only into the
 * view (connect() needs no write access to the mount), or it could not be
 * reached. The working directory, /proc and /dev have their own mounts.
 */
static int unix_mounts(struct holder *h, const struct sbx_policy *p,
		       const struct sbx_spawn_ctx *ctx)
{
	const char *hidden[] = { "/tmp", ctx->tmpdir, ctx->home };

	for (size_t i = 0; i < p->net.unix_paths.count; i++) {
		const struct sbx_ppath *pp = &p->net.unix_paths.items[i];
		bool under_hidden = false;

		if (beneath(pp->path, "/proc") || beneath(pp->path, "/dev") ||
		    beneath(pp->path, ctx->cwd))
			continue;
		for (size_t k = 0; k < sizeof(hidden) / sizeof(hidden[0]); k++)
			if (usable_dir(hidden[k]) && strcmp(pp->path, hidden[k]) &&
			    beneath(pp->path, hidden[k]))
				under_hidden = true;
		if (!under_hidden)
			continue;
		for (size_t m = 0; m < h->plan.nmounts; m++)
			if (!strcmp(h->plan.mounts[m].target, pp->path))
				goto next;
		if (add_default_opt(h, SBX_SPAWN_BIND, pp->path, pp->path, false, pp->optional))
			return -ENOMEM;
next:;
	}
	return 0;
}

static int policy_mounts(struct holder *h, const struct sbx_policy *p)
{
	for (size_t i = 0; i < p->nmounts; i++) {
		const struct sbx_policy_mount *pm = &p->mounts[i];
		struct sbx_spawn_mount m = {
			.type = (int)pm->type, .source = pm->source, .target = pm->target,
			.writable = pm->writable, .optional = pm->optional, .size = pm->size,
			.pointer = pm->pointer, .upper = pm->upper,
		};
		if (put_mount(h, &m))
			return -ENOMEM;
	}
	return 0;
}

/* ---- fs.protect / fs.hide (docs/spawn.md, "Protected and hidden paths") ---- */

/* The part of `p` below `dir` ("" when equal, no leading '/'), or NULL. */
static const char *rest_under(const char *p, const char *dir)
{
	size_t n;

	if (!p || !dir)
		return NULL;
	if (!strcmp(dir, "/"))
		return p[0] == '/' ? p + 1 : NULL;
	n = strlen(dir);
	if (strncmp(p, dir, n) || (p[n] != '\0' && p[n] != '/'))
		return NULL;
	return p[n] ? p + n + 1 : p + n;
}

/* dir + "/" + rest (just dir when rest is ""), in the arena. */
static const char *join_path(struct holder *h, const char *dir, const char *rest)
{
	if (!rest[0])
		return dir;
	return sbx_arena_printf(&h->arena, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", rest);
}

static int add_protect(struct holder *h, const char *path, const char *root, const char *host,
		       bool hide, bool optional, bool implicit, const char *pointer)
{
	struct sbx_spawn_plan *pl = &h->plan;

	if (!path || !host)
		return -ENOMEM;
	for (size_t i = 0; i < pl->nprotect; i++) {
		struct sbx_spawn_protect *e = &pl->protect[i];

		if (e->hide == hide && !strcmp(e->path, path)) {
			e->optional &= optional;
			return 0;
		}
	}
	if (sbx_arena_grow(&h->arena, (void **)&pl->protect, pl->nprotect, &h->protect_cap,
			   sizeof(*pl->protect)))
		return -ENOMEM;
	pl->protect[pl->nprotect++] = (struct sbx_spawn_protect){
		.path = path, .root = root, .host = host, .hide = hide, .optional = optional,
		.implicit = implicit, .pointer = pointer,
	};
	return 0;
}

/* A place the sandbox may write that shows the host: a writable bind or an
 * overlay (its lower layer), or the whole host with root "host". */
struct wroot {
	const char *target, *source, *source_real;
};

#define MAX_WROOTS 64

static size_t writable_roots(struct holder *h, struct wroot *out)
{
	const struct sbx_spawn_plan *pl = &h->plan;
	size_t n = 0;

	if (pl->root == SBX_SPAWN_ROOT_HOST)
		out[n++] = (struct wroot){ "/", "/", "/" };
	for (size_t i = 0; i < pl->nmounts && n < MAX_WROOTS; i++) {
		const struct sbx_spawn_mount *m = &pl->mounts[i];
		char real[PATH_MAX];

		if (!m->source || !((m->type == SBX_SPAWN_BIND && m->writable) ||
				    m->type == SBX_SPAWN_OVERLAY))
			continue;
		out[n].target = m->target;
		out[n].source = m->source;
		/* For host paths given resolved (sbx's own directory): compared
		 * with the bind's source as written and as resolved. */
		out[n].source_real = realpath(m->source, real) && strcmp(real, m->source)
					     ? sbx_arena_strdup(&h->arena, real) : NULL;
		n++;
	}
	return n;
}

/* A relative entry beneath root `w`, and beneath each parent of it where
 * that lands inside it (target /p/.git, entry .git/hooks: /p/.git/hooks). */
static int expand_relative(struct holder *h, const struct wroot *w, const struct sbx_ppath *e,
			   bool hide)
{
	const char *t = w->target;
	int rc = add_protect(h, join_path(h, t, e->path), t, join_path(h, w->source, e->path), hide,
			     e->optional, false, e->pointer);
	size_t rlen = strlen(e->path);

	/* Each '/' of the target, from the right, ends a parent X; the rest of
	 * the target below X must be the entry's beginning. */
	for (size_t i = strlen(t); !rc && i-- > 0;) {
		const char *below = t + i + 1;   /* the target below X */
		size_t blen = strlen(below);

		if (t[i] != '/')
			continue;
		if (blen > rlen || strncmp(e->path, below, blen) ||
		    (e->path[blen] != '\0' && e->path[blen] != '/'))
			continue;
		rc = add_protect(h, join_path(h, t, e->path + blen + (e->path[blen] ? 1 : 0)), t,
				 join_path(h, w->source, e->path + blen + (e->path[blen] ? 1 : 0)),
				 hide, e->optional, false, e->pointer);
	}
	return rc;
}

/* A host path: where the writable roots show it (all of a root that lies
 * inside it); a hidden one also where the host's own tree shows it. */
static int map_absolute(struct holder *h, const struct wroot *roots, size_t nroots,
			const char *path, bool hide, bool optional, bool implicit,
			const char *pointer)
{
	int rc = 0;

	if (hide)
		rc = add_protect(h, path, NULL, path, true, optional, implicit, pointer);
	for (size_t r = 0; !rc && r < nroots; r++) {
		const struct wroot *w = &roots[r];
		const char *rest = rest_under(path, w->source);

		if (!rest)
			rest = rest_under(path, w->source_real);
		if (rest)
			rc = add_protect(h, join_path(h, w->target, rest), w->target, path, hide,
					 optional, implicit, pointer);
		else if (rest_under(w->source, path) || rest_under(w->source_real, path))
			rc = add_protect(h, w->target, w->target, w->source, hide, optional,
					 implicit, pointer);
	}
	return rc;
}

/* sbx's own files (the artifacts' directory; with the package layouts npm
 * and a build make, the package's dist/ and package.json) and every policy
 * file the policy was read from: what the host loads next. */
static int implicit_protect(struct holder *h, const struct sbx_policy *p,
			    const struct sbx_spawn_ctx *ctx, const struct wroot *roots,
			    size_t nroots)
{
	int rc = 0;

	if (ctx->self_dir && ctx->self_dir[0] == '/') {
		const char *d = ctx->self_dir, *slash = strrchr(d, '/');
		size_t n = strlen(d), plen = 0;

		rc = map_absolute(h, roots, nroots, d, false, true, true, NULL);
		if (n > 14 && !strcmp(d + n - 14, "/build/Release")) {
			plen = n - 14;
		} else if (slash && slash > d) {
			const char *up = slash - 1;

			while (up > d && *up != '/')
				up--;
			if ((size_t)(slash - up) == 10 && !strncmp(up, "/prebuilds", 10))
				plen = (size_t)(up - d);
		}
		if (plen) {
			const char *pkg = sbx_arena_strndup(&h->arena, d, plen);

			if (!pkg)
				return -ENOMEM;
			if (!rc)
				rc = map_absolute(h, roots, nroots, join_path(h, pkg, "dist"), false,
						  true, true, NULL);
			if (!rc)
				rc = map_absolute(h, roots, nroots, join_path(h, pkg, "package.json"),
						  false, true, true, NULL);
		}
	}
	for (size_t i = 0; !rc && i < p->norigins; i++)
		if (p->origins[i] && p->origins[i][0] == '/')
			rc = map_absolute(h, roots, nroots, p->origins[i], false, true, true, NULL);
	for (size_t i = 0; !rc && i < p->seccomp.nlayers; i++)
		if (p->seccomp.layers[i].import_path)
			rc = map_absolute(h, roots, nroots, p->seccomp.layers[i].import_path, false,
					  true, true, NULL);
	return rc;
}

static int protect_paths(struct holder *h, const struct sbx_policy *p,
			 const struct sbx_spawn_ctx *ctx)
{
	struct wroot roots[MAX_WROOTS];
	size_t nroots = writable_roots(h, roots);
	int rc = 0;

	for (int k = 0; k < 2 && !rc; k++) {
		const struct sbx_ppaths *l = k ? &p->fs.hide : &p->fs.protect;

		for (size_t i = 0; i < l->count && !rc; i++) {
			const struct sbx_ppath *e = &l->items[i];

			if (e->path[0] != '/') {
				for (size_t r = 0; r < nroots && !rc; r++)
					rc = expand_relative(h, &roots[r], e, k == 1);
			} else {
				rc = map_absolute(h, roots, nroots, e->path, k == 1, e->optional,
						  false, e->pointer);
			}
		}
	}
	return rc ? rc : implicit_protect(h, p, ctx, roots, nroots);
}

/* ---- home and git (spawn_home.c) ---- */

/* The plan's $HOME is the door's own tmpfs (no policy mount replaced it);
 * with `home` private or toolchains it is made even where the view lacks
 * the directory (a home under /tmp), as long as the host has it. */
static bool home_private(struct holder *h, const struct sbx_policy *p,
			 const struct sbx_spawn_ctx *ctx)
{
	struct sbx_spawn_plan *pl = &h->plan;

	for (size_t i = 0; usable_dir(ctx->home) && i < pl->nmounts; i++) {
		struct sbx_spawn_mount *m = &pl->mounts[i];

		if (strcmp(m->target, ctx->home))
			continue;
		if (!m->is_default || m->type != SBX_SPAWN_TMPFS)
			return false;
		if (p->home == SBX_HOME_PRIVATE || p->home == SBX_HOME_TOOLCHAINS) {
			struct stat st;
			m->optional = !(stat(ctx->home, &st) == 0 && S_ISDIR(st.st_mode));
		}
		return true;
	}
	return false;
}

static int home_mounts(struct holder *h, const struct sbx_policy *p,
		       const struct sbx_spawn_ctx *ctx, struct sbx_home_out *o)
{
	if (sbx_spawn_home_plan(p, ctx, home_private(h, p, ctx), &h->arena, o))
		return -ENOMEM;
	for (size_t i = 0; i < o->nbinds; i++) {
		for (size_t m = 0; m < h->plan.nmounts; m++)
			if (!strcmp(h->plan.mounts[m].target, o->binds[i].path))
				goto next;   /* the policy's own mount there wins */
		if (add_default_opt(h, SBX_SPAWN_BIND, o->binds[i].path, o->binds[i].path,
				    o->binds[i].writable, true))
			return -ENOMEM;
next:;
	}
	return 0;
}

/* A credential is hidden where a mount below the home shows it, unless a
 * mount names it exactly (`--ro ~/.aws`: asked for). */
static bool shown_by_a_bind(const struct sbx_spawn_plan *pl, const char *path, const char *home)
{
	bool shown = false;

	for (size_t m = 0; m < pl->nmounts; m++) {
		const char *t = pl->mounts[m].target;

		if (!strcmp(t, path))
			return false;
		shown |= pl->mounts[m].source && strcmp(t, home) && beneath(path, t);
	}
	return shown;
}

static int home_protect(struct holder *h, const struct sbx_spawn_ctx *ctx,
			const struct sbx_home_out *o)
{
	struct sbx_spawn_plan *pl = &h->plan;
	struct wroot roots[MAX_WROOTS];
	size_t nroots = writable_roots(h, roots);
	int rc = 0;

	for (size_t i = 0; !rc && i < o->nhides; i++)
		if (shown_by_a_bind(pl, o->hides[i], ctx->home))
			rc = add_protect(h, o->hides[i], NULL, o->hides[i], true, true, false, "/home");
	for (size_t i = 0; !rc && i < o->nprotects; i++)
		rc = map_absolute(h, roots, nroots, o->protects[i], false, true, false, "/git");
	if (!rc && o->ngrants) {
		pl->grants = sbx_arena_alloc(&h->arena, o->ngrants * sizeof(*pl->grants));
		if (!pl->grants)
			return -ENOMEM;
		memcpy(pl->grants, o->grants, o->ngrants * sizeof(*pl->grants));
		pl->ngrants = o->ngrants;
	}
	return rc;
}

/* Stable: a parent before what lies below it, otherwise the given order. */
static void sort_by_depth(struct sbx_spawn_mount *m, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sbx_spawn_mount cur = m[i];
		size_t d = depth(cur.target), j = i;
		while (j > 0 && depth(m[j - 1].target) > d) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = cur;
	}
}

static int fill_env(struct holder *h, const struct sbx_policy *p)
{
	struct sbx_spawn_plan *pl = &h->plan;
	pl->env_clear = p->env.clear != 0;   /* SBX_UNSET: clear */
	if (p->env.nkeep) {
		pl->env_keep = p->env.keep;
		pl->nkeep = p->env.nkeep;
	} else if (!p->env.present) {
		pl->env_keep = (const char **)default_keep;
		pl->nkeep = sizeof(default_keep) / sizeof(default_keep[0]);
	}
	if (p->env.nset) {
		pl->env_set = sbx_arena_alloc(&h->arena, p->env.nset * sizeof(*pl->env_set));
		if (!pl->env_set)
			return -ENOMEM;
		for (size_t i = 0; i < p->env.nset; i++) {
			pl->env_set[i].name = p->env.set[i].name;
			pl->env_set[i].value = p->env.set[i].value;
		}
		pl->nset = p->env.nset;
	}
	return 0;
}

static void fill_namespaces(struct sbx_spawn_plan *pl, const struct sbx_policy *p)
{
	const struct sbx_policy_namespaces *ns = &p->namespaces;
	for (int k = 0; k < SBX_NS_COUNT; k++) {
		int want = ns->ns[k];
		if (want == SBX_UNSET)
			want = k != SBX_NS_TIME;
		if (want)
			pl->ns_flags |= ns_clone_flags[k];
	}
	/* The door asks for "every namespace the host allows": best-effort
	 * unless the policy says enforce (in the section or at the top). */
	if (ns->compat != SBX_UNSET)
		pl->ns_best_effort = ns->compat == SBX_COMPAT_BEST_EFFORT;
	else if (p->compat != SBX_UNSET)
		pl->ns_best_effort = p->compat == SBX_COMPAT_BEST_EFFORT;
	else
		pl->ns_best_effort = true;
	pl->uid = ns->uid;
	pl->gid = ns->gid;
}

int sbx_spawn_plan_build(const struct sbx_policy *p, const struct sbx_spawn_ctx *ctx,
			 struct sbx_spawn_plan **out, struct sbx_error *err)
{
	if (!p || !ctx || !out || !ctx->cwd || ctx->cwd[0] != '/')
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_spawn_plan_build: policy, context and an absolute cwd are required");
	*out = NULL;
	struct holder *h = calloc(1, sizeof(*h));
	if (!h)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
	struct sbx_spawn_plan *pl = &h->plan;
	fill_namespaces(pl, p);

	switch (p->root_kind) {
	case SBX_ROOT_HOST: pl->root = SBX_SPAWN_ROOT_HOST; break;
	case SBX_ROOT_EMPTY: pl->root = SBX_SPAWN_ROOT_EMPTY; break;
	case SBX_ROOT_DIR: pl->root = SBX_SPAWN_ROOT_DIR; pl->root_dir = p->root_dir; break;
	default: pl->root = SBX_SPAWN_ROOT_HOST_READONLY; break;
	}

	int rc = 0;
	if (pl->ns_flags & CLONE_NEWNS) {
		rc = default_mounts(h, ctx);
		if (!rc)
			rc = fs_mounts(h, p, ctx);
		if (!rc)
			rc = unix_mounts(h, p, ctx);
		if (!rc)
			rc = policy_mounts(h, p);
		struct sbx_home_out home = { 0 };
		if (!rc)
			rc = home_mounts(h, p, ctx, &home);
		sort_by_depth(pl->mounts, pl->nmounts);
		if (!rc)
			rc = protect_paths(h, p, ctx);
		if (!rc)
			rc = home_protect(h, ctx, &home);
	}
	if (!rc)
		rc = fill_env(h, p);
	if (rc) {
		sbx_spawn_plan_free(pl);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
	}
	pl->hostname = p->hostname ? p->hostname : "sbx";
	pl->cwd = p->cwd ? p->cwd : sbx_arena_strdup(&h->arena, ctx->cwd);
	pl->caller_cwd = sbx_arena_strdup(&h->arena, ctx->cwd);
	pl->home = ctx->home && ctx->home[0] == '/' ? sbx_arena_strdup(&h->arena, ctx->home) : NULL;
	/* What an unwritten key means is the table's (policy_keys.def). */
	pl->allow_broad_cwd = sbx_policy_key_int(p, SBX_PK_allowBroadCwd) == 1;
	pl->follow_symlinks = sbx_policy_key_int(p, SBX_PK_followSymlinks) == 1;
	pl->new_session = sbx_policy_key_int(p, SBX_PK_session) == 1;
	pl->die_with_parent = sbx_policy_key_int(p, SBX_PK_dieWithParent) == 1;
	const struct sbx_policy_limits *l = &p->limits;
	/* "unlimited" lifts a limit an extended policy (a preset) set. */
	bool memory = l->has_memory && (l->memory_pct || l->memory != SBX_LIMIT_UNLIMITED);
	bool pids = l->has_pids && l->pids != SBX_LIMIT_UNLIMITED;
	pl->limits_asked = l->present && (memory || pids || l->has_cpu || l->has_wall ||
					  l->has_cputime);
	for (int k = 0; k < 5; k++)
		pl->limits_best_effort[k] =
			p->resolved.limit[k] == SBX_COMPAT_BEST_EFFORT;
	if (pl->limits_asked) {
		pl->limits = (struct sbx_spawn_limits){
			.has_memory = memory, .has_pids = pids, .has_cpu = l->has_cpu,
			.has_wall = l->has_wall, .has_cputime = l->has_cputime,
			.memory = l->memory_pct ? memory_share(l->memory_pct) : l->memory,
			.memory_cgroup_only = l->memory_pct != 0,
			.pids = l->pids, .cpu_milli = l->cpu_milli, .wall_ms = l->wall_ms,
			.cputime_ms = l->cputime_ms,
		};
	}
	if (!pl->cwd || !pl->caller_cwd || (ctx->home && ctx->home[0] == '/' && !pl->home)) {
		sbx_spawn_plan_free(pl);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
	}
	*out = pl;
	return 0;
}

/*
 * `extends`: one layer over the accumulated policy (docs/policy.md, "Merge
 * rules"). Layers are applied deepest first, the document itself last:
 *   - lists of paths, ports, env names and kept capabilities are unions;
 *   - scalars (and each key of rlimits, limits, namespaces) replace;
 *   - seccomp sections are kept as ordered layers, so the spec semantics
 *     (later entries override earlier ones) give "extends strict, allow
 *     ptrace" its natural meaning;
 *   - a mount replaces an earlier one with the same target.
 * Nothing is copied but array slots: strings live in the shared arena.
 */
#include "policy.h"
#include "policy_keys.h"

#include <errno.h>
#include <string.h>

static int oom(struct sbx_error *err)
{
	return sbx_error_set(err, SBX_ENOMEM, ENOMEM, "", "out of memory");
}

static void tri(int *acc, int v)
{
	if (v != SBX_UNSET)
		*acc = v;
}

static int merge_paths(struct sbx_arena *a, struct sbx_ppaths *acc, const struct sbx_ppaths *l)
{
	if (!l->set)
		return 0;
	acc->set = true;
	for (size_t i = 0; i < l->count; i++) {
		bool found = false;

		for (size_t j = 0; j < acc->count && !found; j++) {
			if (!strcmp(acc->items[j].path, l->items[i].path)) {
				/* required anywhere = required */
				acc->items[j].optional &= l->items[i].optional;
				found = true;
			}
		}
		if (found)
			continue;
		if (sbx_arena_grow(a, (void **)&acc->items, acc->count, &acc->cap,
				   sizeof(*acc->items)))
			return -ENOMEM;
		acc->items[acc->count++] = l->items[i];
	}
	return 0;
}

static int merge_ports(struct sbx_arena *a, struct sbx_ports *acc, const struct sbx_ports *l)
{
	if (!l->set)
		return 0;
	acc->set = true;
	for (size_t i = 0; i < l->count; i++) {
		bool found = false;

		for (size_t j = 0; j < acc->count && !found; j++)
			found = acc->items[j] == l->items[i];
		if (found)
			continue;
		if (sbx_arena_grow(a, (void **)&acc->items, acc->count, &acc->cap,
				   sizeof(*acc->items)))
			return -ENOMEM;
		acc->items[acc->count++] = l->items[i];
	}
	return 0;
}

static int merge_env(struct sbx_arena *a, struct sbx_policy_env *acc,
		     const struct sbx_policy_env *l)
{
	if (!l->present)
		return 0;
	acc->present = true;
	tri(&acc->clear, l->clear);
	for (size_t i = 0; i < l->nkeep; i++) {
		bool found = false;

		for (size_t j = 0; j < acc->nkeep && !found; j++)
			found = !strcmp(acc->keep[j], l->keep[i]);
		if (found)
			continue;
		if (sbx_arena_grow(a, (void **)&acc->keep, acc->nkeep, &acc->keep_cap,
				   sizeof(*acc->keep)))
			return -ENOMEM;
		acc->keep[acc->nkeep++] = l->keep[i];
	}
	for (size_t i = 0; i < l->nset; i++) {
		bool found = false;

		for (size_t j = 0; j < acc->nset && !found; j++) {
			if (!strcmp(acc->set[j].name, l->set[i].name)) {
				acc->set[j].value = l->set[i].value;
				found = true;
			}
		}
		if (found)
			continue;
		if (sbx_arena_grow(a, (void **)&acc->set, acc->nset, &acc->set_cap,
				   sizeof(*acc->set)))
			return -ENOMEM;
		acc->set[acc->nset++] = l->set[i];
	}
	return 0;
}

static int merge_mounts(struct sbx_arena *a, struct sbx_policy *acc, const struct sbx_policy *l)
{
	if (!l->has_mounts)
		return 0;
	acc->has_mounts = true;
	for (size_t i = 0; i < l->nmounts; i++) {
		size_t w = 0;

		for (size_t j = 0; j < acc->nmounts; j++)
			if (strcmp(acc->mounts[j].target, l->mounts[i].target))
				acc->mounts[w++] = acc->mounts[j];
		acc->nmounts = w;
		if (sbx_arena_grow(a, (void **)&acc->mounts, acc->nmounts, &acc->mounts_cap,
				   sizeof(*acc->mounts)))
			return -ENOMEM;
		acc->mounts[acc->nmounts++] = l->mounts[i];
	}
	return 0;
}

/* net.hosts of every layer add up (as unixPaths do); the same text once. */
static int merge_hosts(struct sbx_arena *a, struct sbx_hosts *acc, const struct sbx_hosts *l)
{
	if (!l->set)
		return 0;
	acc->set = true;
	for (size_t i = 0; i < l->count; i++) {
		bool found = false;

		for (size_t j = 0; j < acc->count && !found; j++)
			found = !strcmp(acc->items[j].written, l->items[i].written);
		if (found)
			continue;
		if (sbx_arena_grow(a, (void **)&acc->items, acc->count, &acc->cap,
				   sizeof(*acc->items)))
			return -ENOMEM;
		acc->items[acc->count++] = l->items[i];
	}
	return 0;
}

int sbx_policy_merge(struct sbx_policy *acc, const struct sbx_policy *l, struct sbx_error *err)
{
	struct sbx_arena *a = &acc->arena;

	tri(&acc->version, l->version);
	tri(&acc->compat, l->compat);

	if (l->fs.present) {
		acc->fs.present = true;
		tri(&acc->fs.compat, l->fs.compat);
		for (int r = 0; r < SBX_FS_NRIGHTS; r++)
			if (merge_paths(a, &acc->fs.rights[r], &l->fs.rights[r]))
				return oom(err);
	}
	/* Protected and hidden paths only add up: extending never unprotects. */
	if (merge_paths(a, &acc->fs.protect, &l->fs.protect) ||
	    merge_paths(a, &acc->fs.hide, &l->fs.hide))
		return oom(err);
	if (l->net.present) {
		acc->net.present = true;
		tri(&acc->net.compat, l->net.compat);
		tri(&acc->net.inet, l->net.inet);
		tri(&acc->net.netlink, l->net.netlink);
		tri(&acc->net.other, l->net.other);
		tri(&acc->net.unix_mode, l->net.unix_mode);
		if (merge_ports(a, &acc->net.connect, &l->net.connect) ||
		    merge_ports(a, &acc->net.bind, &l->net.bind) ||
		    merge_paths(a, &acc->net.unix_paths, &l->net.unix_paths) ||
		    merge_hosts(a, &acc->net.hosts, &l->net.hosts))
			return oom(err);
	}
	if (l->scope.present) {
		acc->scope.present = true;
		tri(&acc->scope.compat, l->scope.compat);
		tri(&acc->scope.abstract_unix, l->scope.abstract_unix);
		tri(&acc->scope.signals, l->scope.signals);
	}
	if (l->seccomp.present) {
		acc->seccomp.present = true;
		tri(&acc->seccomp.compat, l->seccomp.compat);
		for (size_t i = 0; i < l->seccomp.nlayers; i++) {
			if (sbx_arena_grow(a, (void **)&acc->seccomp.layers, acc->seccomp.nlayers,
					   &acc->seccomp.cap, sizeof(*acc->seccomp.layers)))
				return oom(err);
			acc->seccomp.layers[acc->seccomp.nlayers++] = l->seccomp.layers[i];
		}
	}
	if (l->has_caps) {
		acc->has_caps = true;
		acc->caps_keep |= l->caps_keep;
	}
	if (l->rlimits.present) {
		acc->rlimits.present = true;
		tri(&acc->rlimits.compat, l->rlimits.compat);
		for (int r = 0; r < SBX_RL_COUNT; r++) {
			if (l->rlimits.set[r]) {
				acc->rlimits.set[r] = true;
				acc->rlimits.value[r] = l->rlimits.value[r];
			}
		}
	}
	if (l->namespaces.present) {
		acc->namespaces.present = true;
		tri(&acc->namespaces.compat, l->namespaces.compat);
		for (int n = 0; n < SBX_NS_COUNT; n++)
			tri(&acc->namespaces.ns[n], l->namespaces.ns[n]);
		if (l->namespaces.uid >= 0)
			acc->namespaces.uid = l->namespaces.uid;
		if (l->namespaces.gid >= 0)
			acc->namespaces.gid = l->namespaces.gid;
	}
	if (l->root_kind != SBX_UNSET) {
		acc->root_kind = l->root_kind;
		acc->root_dir = l->root_dir;
	}
	if (merge_mounts(a, acc, l) || merge_env(a, &acc->env, &l->env))
		return oom(err);
	if (l->limits.present) {
		struct sbx_policy_limits *d = &acc->limits;
		const struct sbx_policy_limits *s = &l->limits;

		d->present = true;
		tri(&d->compat, s->compat);
		if (s->has_memory)
			d->has_memory = true, d->memory = s->memory, d->memory_pct = s->memory_pct;
		if (s->has_pids)
			d->has_pids = true, d->pids = s->pids;
		if (s->has_cpu)
			d->has_cpu = true, d->cpu_milli = s->cpu_milli;
		if (s->has_wall)
			d->has_wall = true, d->wall_ms = s->wall_ms;
		if (s->has_cputime)
			d->has_cputime = true, d->cputime_ms = s->cputime_ms;
		const bool set[5] = { s->has_memory, s->has_pids, s->has_cpu, s->has_wall,
				      s->has_cputime };
		for (int k = 0; k < 5; k++)
			if (set[k])
				d->kcompat[k] = s->kcompat[k];
	}
	sbx_policy_keys_merge(acc, l);     /* the plain keys: policy_keys.def */
	return 0;
}

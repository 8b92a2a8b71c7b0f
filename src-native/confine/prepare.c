/*
 * Policy -> prepared sandbox -> applied (sbx_apply.h): the door rules, the
 * rlimit and capability plans, and the apply sequence over a ruleset that was
 * built at prepare time; the same for every door (what one door adds is in
 * its own files; prepare_door.c puts the steps in order). Landlock mapping:
 * prepare_landlock.c; the filter: prepare_seccomp.c; the report:
 * prepare_report.c.
 */
#include "bpf.h"
#include "seccomp_defs.h"
#include "policy.h"
#include "prepared.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static const char *door_cmd(int door)
{
	return door == SBX_DOOR_SELF ? "sbx.spawn()" : "`sbx run` (spawn door)";
}

/*
 * A spawn-only section that confines (namespaces, a new root, mounts,
 * cgroup limits): a door that cannot provide it must not run the program
 * less confined than asked. Self door: always an error (a developer calling
 * lockdown() can fix the policy). Preload door: an error in enforce mode, a
 * skipped note in best-effort mode.
 */
static int refuse(struct sbx_prepared *pp, int compat, const char *pointer,
		  const char *what, struct sbx_error *err)
{
	const char *door = pp->door == SBX_DOOR_SELF ? "self" : "preload";

	if (pp->door == SBX_DOOR_SELF || compat != SBX_COMPAT_BEST_EFFORT)
		return sbx_error_set(err, SBX_EUNSUPPORTED, EOPNOTSUPP, pointer,
			"the %s door cannot %s: it confines a process that is "
			"already running. Use %s for this policy%s", door, what,
			door_cmd(pp->door),
			pp->door == SBX_DOOR_SELF ? "" :
			", or set \"compat\": \"best-effort\" to skip it");
	sbx_notebuf_add(&pp->skipped, "%s: not applied by the %s door (it "
			"cannot %s); use %s", pointer, door, what,
			door_cmd(pp->door));
	return 0;
}

/* refuse(), but a section whose own compat is best-effort is skipped by
 * every door. */
static int refuse_unless(struct sbx_prepared *pp, int compat, bool own_best_effort,
			 const char *pointer, const char *what, struct sbx_error *err)
{
	if (own_best_effort && pp->door == SBX_DOOR_SELF) {
		sbx_notebuf_add(&pp->skipped, "%s: not applied by the self door (it cannot %s; "
				"the section is best-effort); use %s", pointer, what,
				door_cmd(pp->door));
		return 0;
	}
	return refuse(pp, compat, pointer, what, err);
}

static void ignored(struct sbx_prepared *pp, const char *pointer)
{
	sbx_notebuf_add(&pp->skipped, "%s: spawn door only, ignored by the %s "
			"door", pointer,
			pp->door == SBX_DOOR_SELF ? "self" : "preload");
}

static int check_door(struct sbx_prepared *pp, const struct sbx_policy *p,
		      struct sbx_error *err)
{
	char ptr[64];
	int r, ns_compat, top = p->resolved.top;

	if (pp->door == SBX_DOOR_SPAWN) {
		if (p->namespaces.present || p->root_kind != SBX_UNSET ||
		    p->has_mounts || p->limits.present || p->env.present ||
		    p->hostname || p->cwd || p->session_new != SBX_UNSET ||
		    p->die_with_parent != SBX_UNSET)
			sbx_notebuf_add(&pp->notes, "namespaces, root, mounts, "
					"limits and process settings are applied "
					"by the launcher, not by sbx_prepared_apply()");
		return 0;
	}

	ns_compat = p->resolved.namespaces;
	for (int i = 0; i < SBX_NS_COUNT; i++) {
		if (p->namespaces.ns[i] != 1)
			continue;
		snprintf(ptr, sizeof(ptr), "/namespaces/%s", sbx_ns_keys[i]);
		if ((r = refuse(pp, ns_compat, ptr, "create namespaces", err)))
			return r;
	}
	if (p->root_kind != SBX_UNSET && p->root_kind != SBX_ROOT_HOST &&
	    (r = refuse(pp, top, "/root", "give a process a new root", err)))
		return r;
	if (p->root_kind == SBX_ROOT_HOST)
		ignored(pp, "/root");
	if (p->has_mounts && p->nmounts &&
	    (r = refuse(pp, top, p->mounts[0].pointer ? p->mounts[0].pointer
						      : "/mounts",
			"mount filesystems in a private mount namespace", err)))
		return r;
	/* A section that says best-effort itself (the workspace preset's
	 * default limits) is skipped by the self door too: it asked for
	 * limits only where they can be had. */
	if (p->limits.present) {
		const struct sbx_policy_limits *l = &p->limits;
		const bool set[5] = { l->has_memory, l->has_pids, l->has_cpu, l->has_wall,
				      l->has_cputime };
		bool any = false, enforce = false, own_best_effort = true;

		for (int k = 0; k < 5; k++) {
			if (!set[k])
				continue;
			any = true;
			enforce |= p->resolved.limit[k] != SBX_COMPAT_BEST_EFFORT;
			own_best_effort &= l->kcompat[k] == SBX_COMPAT_BEST_EFFORT;
		}
		if (any && (r = refuse_unless(pp, enforce ? SBX_COMPAT_ENFORCE : SBX_COMPAT_BEST_EFFORT,
					      own_best_effort, "/limits",
					      "place a running process in its own cgroup "
					      "or bound its wall time", err)))
			return r;
	}
	if (p->hostname) {
		if (pp->door == SBX_DOOR_SELF)
			return refuse(pp, top, "/hostname", "set a hostname "
				      "(it needs a UTS namespace)", err);
		ignored(pp, "/hostname");
	}
	if (p->env.present)
		ignored(pp, "/env");
	if (p->session_new != SBX_UNSET)
		ignored(pp, "/session");
	if (p->die_with_parent != SBX_UNSET)
		ignored(pp, "/dieWithParent");
	if (p->cwd)
		ignored(pp, "/cwd");
	if (p->allow_broad_cwd != SBX_UNSET)
		ignored(pp, "/allowBroadCwd");
	if (p->follow_symlinks != SBX_UNSET)
		ignored(pp, "/followSymlinks");
	/* They only shape the spawn door's private view: skipping them here
	 * grants nothing (the host's home and repository are as the `fs`
	 * lists say). */
	if (p->home != SBX_UNSET)
		ignored(pp, "/home");
	if (p->git != SBX_UNSET)
		ignored(pp, "/git");
	return 0;
}

static void plan_rlimits(struct sbx_prepared *pp, const struct sbx_policy *p)
{
	size_t n = 0;

	for (int k = 0; k < SBX_RL_COUNT && n < SBX_PREPARED_MAX_RLIMITS; k++) {
		struct sbx_plan_rlimit *rl = &pp->rlimits[n];

		if (!p->rlimits.set[k])
			continue;
		rl->resource = sbx_rlimit_infos[k].resource;
		rl->soft = rl->hard = p->rlimits.value[k];
		rl->name = sbx_rlimit_infos[k].key;
		snprintf(pp->rlimit_pointers[n], sizeof(pp->rlimit_pointers[n]),
			 "/rlimits/%s", sbx_rlimit_infos[k].key);
		rl->pointer = pp->rlimit_pointers[n];
		n++;
	}
	pp->plan.rlimits = pp->rlimits;
	pp->plan.nrlimits = n;
}

/* An absent `capabilities` section leaves the sets alone, like every absent
 * section (docs/policy.md): under no_new_privs nothing executed can gain
 * more than the process has. */
static void plan_caps(struct sbx_prepared *pp, const struct sbx_policy *p)
{
	struct sbx_plan_caps *c = &pp->plan.caps;

	if (!p->has_caps) {
		sbx_notebuf_add(&pp->notes, "capabilities: no \"capabilities\" "
				"section, the capability sets are left as they "
				"are (no_new_privs still stops execve from "
				"granting more)");
		return;
	}
	c->present = true;
	c->keep = p->caps_keep;
	/* Kept capabilities must survive the launcher's execve. */
	c->keep_across_exec = pp->door == SBX_DOOR_SPAWN;
	c->compat = p->resolved.top;
	c->pointer = "/capabilities";
}

/*
 * The three note buffers are most of a prepared sandbox (~19 of its ~21 KiB)
 * and their text is read only up to `count`: zeroing it would write ~5 pages
 * that nothing reads, each a page fault on every process start of the
 * preload door. Everything else is zeroed, as calloc() would. The layout
 * below is what makes the one memset() cover all but the text.
 */
_Static_assert(offsetof(struct sbx_apply_result, notes) + sizeof(struct sbx_notebuf) ==
	       sizeof(struct sbx_apply_result), "apply_result: notes must be last");
_Static_assert(offsetof(struct sbx_prepared, result) + sizeof(struct sbx_apply_result) ==
	       offsetof(struct sbx_prepared, skipped) &&
	       offsetof(struct sbx_prepared, skipped) + sizeof(struct sbx_notebuf) ==
	       offsetof(struct sbx_prepared, notes) &&
	       offsetof(struct sbx_prepared, notes) + sizeof(struct sbx_notebuf) ==
	       sizeof(struct sbx_prepared), "sbx_prepared: result, skipped, notes must be last");

static struct sbx_prepared *prepared_alloc(void)
{
	struct sbx_prepared *pp = malloc(sizeof(*pp));

	if (!pp)
		return NULL;
	memset(pp, 0, offsetof(struct sbx_prepared, result.notes.text));
	pp->skipped.count = pp->skipped.lost = 0;
	pp->notes.count = pp->notes.lost = 0;
	return pp;
}

struct sbx_apply_result *sbx_prepared_begin_apply(struct sbx_prepared *pp)
{
	struct sbx_apply_result *res = &pp->result;

	pp->applied = true;
	/* Same as for the prepared sandbox: all but the note text. */
	memset(res, 0, offsetof(struct sbx_apply_result, notes.text));
	res->seccomp_listener_fd = -1;
	res->landlock_abi = pp->landlock_abi;
	res->landlock_dropped_fs = pp->landlock.dropped_fs;
	res->landlock_dropped_net = pp->landlock.dropped_net;
	res->landlock_dropped_scoped = pp->landlock.dropped_scoped;
	return res;
}

int sbx_prepare_begin(const struct sbx_policy *p, int door,
		      const struct sbx_prepare_inputs *in, int landlock_abi,
		      struct sbx_prepared **out, struct sbx_error *err)
{
	unsigned flags = in ? in->flags : 0;
	struct sbx_prepared *pp;
	int r;

	if (out)
		*out = NULL;
	if (!p || !out || !in)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_prepare: NULL argument");
	if (door != SBX_DOOR_PRELOAD && door != SBX_DOOR_SELF &&
	    door != SBX_DOOR_SPAWN)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_prepare: unknown door %d", door);
	if (flags & ~(unsigned)(SBX_PREPARE_TSYNC | SBX_PREPARE_LISTENER | SBX_PREPARE_REPORT))
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_prepare: unknown flags 0x%x", flags);
	pp = prepared_alloc();
	if (!pp)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory");
	pp->door = door;
	pp->flags = flags;
	pp->report = p->report == 1 || (flags & SBX_PREPARE_REPORT);
	pp->landlock_fd = -1;
	pp->self_task_fd = -1;
	pp->result.seccomp_listener_fd = -1;
	pp->in = in;
	pp->net = &p->net;
	if (in->inet_closed && sbx_net_inet_sockets(&p->net)) {
		pp->net_closed = p->net;
		pp->net_closed.present = true;
		pp->net_closed.inet = 0;
		pp->net = &pp->net_closed;
	}

	if ((r = check_door(pp, p, err)))
		goto fail;
	if ((r = sbx_prepare_unix_check(pp, p, landlock_abi, err)))
		goto fail;
	if ((r = sbx_prepare_hosts_check(pp, p, err)))      /* prepare_hosts.c */
		goto fail;
	plan_rlimits(pp, p);
	plan_caps(pp, p);
	*out = pp;
	return 0;
fail:
	sbx_prepared_free(pp);
	return r;
}

int sbx_prepare_confine(struct sbx_prepared *pp, const struct sbx_policy *p,
			int landlock_abi, struct sbx_error *err)
{
	int r;

	if ((r = sbx_prepare_seccomp(pp, p, err)))
		return r;
	if ((r = sbx_apply_seccomp_check(&pp->plan.seccomp, err)))
		return r;
	/* Last: it opens the ruleset fd, which nothing above can leak. */
	if ((r = sbx_prepare_landlock(pp, p, landlock_abi, err)))
		return r;
	return sbx_prepare_protect(pp, p, err);
}

void sbx_prepare_end(struct sbx_prepared *pp)
{
	/* They point into the caller's inputs and the policy, which may be
	 * freed once prepared. */
	pp->in = NULL;
	pp->net = NULL;
	memset(&pp->net_closed, 0, sizeof(pp->net_closed));
	pp->notes_prepared = pp->notes.count;
	pp->notes_lost_prepared = pp->notes.lost;
}

int sbx_prepare_plan(const struct sbx_plan *plan, int door, unsigned flags,
		     struct sbx_prepared **out, struct sbx_error *err)
{
	struct sbx_policy empty;
	struct sbx_prepare_inputs in = { .flags = flags };
	struct sbx_prepared *pp;
	int abi = sbx_landlock_abi(), r;

	memset(&empty, 0, sizeof(empty));
	sbx_policy_init(&empty);
	if ((r = sbx_prepare_begin(&empty, door, &in, abi, out, err)))
		return r;
	pp = *out;
	*out = NULL;
	pp->plan = *plan;
	pp->landlock_abi = plan->landlock.present ? abi : 0;
	if ((r = sbx_apply_seccomp_check(&pp->plan.seccomp, err)) ||
	    (plan->landlock.present && (r = sbx_prepare_landlock_build(pp, abi, err)))) {
		sbx_prepared_free(pp);
		return r;
	}
	sbx_prepare_end(pp);
	*out = pp;
	return 0;
}

/*
 * The apply engine of every door (apply.h): over what prepare built, the
 * steps in order, fail closed; the Landlock ruleset already exists (built
 * while the process was unchanged) and stays open for the other threads.
 */
int sbx_prepared_apply(struct sbx_prepared *pp, struct sbx_error *err)
{
	int r = sbx_prepared_apply_phase(pp, SBX_APPLY_BEFORE_SECCOMP, err);

	return r ? r : sbx_prepared_apply_phase(pp, SBX_APPLY_SECCOMP, err);
}

int sbx_prepared_apply_phase(struct sbx_prepared *pp, int phase, struct sbx_error *err)
{
	struct sbx_apply_result *res;
	int step, r = 0;

	if (!pp)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_prepared_apply: NULL argument");
	if (phase == SBX_APPLY_SECCOMP) {
		if (!pp->applied || pp->apply_rc || pp->seccomp_done)
			return sbx_error_set(err, SBX_EINVAL, EALREADY, NULL,
					     "sbx_prepared_apply: seccomp comes once, "
					     "after the other steps succeeded");
		pp->seccomp_done = true;
		res = &pp->result;
		goto seccomp;
	}
	if (pp->applied)
		return sbx_error_set(err, SBX_EINVAL, EALREADY, NULL,
				     "sbx_prepared_apply: this prepared sandbox "
				     "was already applied");
	res = sbx_prepared_begin_apply(pp);

	step = SBX_STEP_RLIMITS;
	if (pp->plan.nrlimits) {
		if ((r = sbx_apply_rlimits(pp->plan.rlimits, pp->plan.nrlimits,
					   err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
	}

	step = SBX_STEP_CAPS;
	if (pp->plan.caps.present) {
		unsigned before = res->notes.count + res->notes.lost;

		if ((r = sbx_apply_caps(&pp->plan.caps, true, res, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
		if (res->notes.count + res->notes.lost != before)
			res->skipped |= SBX_STEP_BIT(step);
	}

	step = SBX_STEP_NNP;
	if ((r = sbx_apply_no_new_privs(err)))
		goto fail;
	res->enforced |= SBX_STEP_BIT(step);

	step = SBX_STEP_LANDLOCK;
	if (pp->landlock.active) {
		uint32_t extra = 0;

		if ((pp->flags & SBX_PREPARE_TSYNC) && pp->landlock_abi >= 8)
			extra = LANDLOCK_RESTRICT_SELF_TSYNC;
		if ((r = sbx_landlock_restrict(&pp->landlock, pp->landlock_fd,
					       extra, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
		res->landlock_fs = pp->landlock.attr.handled_access_fs;
		res->landlock_net = pp->landlock.attr.handled_access_net;
		res->landlock_scoped = pp->landlock.attr.scoped;
	}
	if (pp->landlock.dropped_fs || pp->landlock.dropped_net ||
	    pp->landlock.dropped_scoped || pp->landlock.dropped_flags)
		res->skipped |= SBX_STEP_BIT(SBX_STEP_LANDLOCK);
	pp->apply_rc = 0;
	return 0;

seccomp:
	step = SBX_STEP_SECCOMP;
	if (pp->plan.seccomp.prog) {
		if ((r = sbx_apply_seccomp(&pp->plan.seccomp,
					   &res->seccomp_listener_fd,
					   &res->tsync_failed_tid, err)))
			goto fail;
		res->enforced |= SBX_STEP_BIT(step);
	}
	pp->apply_rc = 0;
	return 0;
fail:
	res->failed_step = step;
	pp->apply_rc = r;
	return r;
}

int sbx_prepared_seccomp_allows(const struct sbx_prepared *pp, const long *nrs, size_t n)
{
	const struct sbx_plan_seccomp *sc = &pp->plan.seccomp;

	if (!sc->prog || !sc->len)
		return 1;
	if (sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (nrs[i] < 0 ||
		    !sbx_bpf_const_allows(sc->prog, sc->len,
					  sbx_arch_info(sbx_arch_native())->audit_arch,
					  (uint32_t)nrs[i]))
			return 0;
	return 1;
}

int sbx_prepared_listener_fd(const struct sbx_prepared *pp)
{
	if (!pp || !pp->applied)
		return -1;
	return pp->result.seccomp_listener_fd;
}

int sbx_prepared_landlock_thread(const struct sbx_prepared *pp)
{
	if (!pp || !pp->landlock.active || pp->landlock_fd < 0)
		return 0;
	return sbx_landlock_restrict_thread(pp->landlock_fd,
					    pp->landlock.restrict_flags);
}

void sbx_prepared_free(struct sbx_prepared *pp)
{
	if (!pp)
		return;
	if (pp->landlock_fd >= 0)
		close(pp->landlock_fd);
	if (pp->self_task_fd >= 0)
		close(pp->self_task_fd);
	free(pp->self_tids);
	for (size_t i = 0; i < pp->npaths; i++) {
		free((char *)pp->paths[i].path);
		free((char *)pp->paths[i].pointer);
	}
	free(pp->paths);
	for (size_t i = 0; i < pp->nports; i++)
		free((char *)pp->ports[i].pointer);
	free(pp->ports);
	sbx_compiled_free(pp->compiled);
	sbx_filter_model_free(pp->denial_model);
	free(pp);
}

/*
 * The report of a prepared sandbox as JSON (schema: docs/security-model.md,
 * "What is enforced"). Before apply it says what will be enforced; after,
 * what was: a step that did not run (apply failed before it) is null.
 */
#include "policy.h"
#include "prepared.h"

#include "caps.h"
#include "jsonw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *door_name(int door)
{
	switch (door) {
	case SBX_DOOR_PRELOAD: return "preload";
	case SBX_DOOR_SELF: return "self";
	case SBX_DOOR_SPAWN: return "spawn";
	}
	return "?";
}

/* Asked for, and (after apply) applied. */
static bool shown(const struct sbx_prepared *pp, int step)
{
	return !pp->applied || (pp->result.enforced & SBX_STEP_BIT(step));
}

static void bits(struct sbx_jsonw *w, uint64_t set, const char *(*name)(uint64_t))
{
	sbx_jsonw_array_begin(w);
	for (int b = 0; b < 64; b++)
		if (set & (UINT64_C(1) << b))
			sbx_jsonw_string(w, name(UINT64_C(1) << b));
	sbx_jsonw_array_end(w);
}

static void rlimits(struct sbx_jsonw *w, const struct sbx_prepared *pp)
{
	sbx_jsonw_key(w, "rlimits");
	sbx_jsonw_object_begin(w);
	if (pp->plan.nrlimits && shown(pp, SBX_STEP_RLIMITS)) {
		for (size_t i = 0; i < pp->plan.nrlimits; i++) {
			const struct sbx_plan_rlimit *rl = &pp->plan.rlimits[i];

			sbx_jsonw_key(w, rl->name);
			if (rl->hard == UINT64_MAX)
				sbx_jsonw_string(w, "unlimited");
			else
				sbx_jsonw_uint(w, rl->hard);
		}
	}
	sbx_jsonw_object_end(w);
}

static void capabilities(struct sbx_jsonw *w, const struct sbx_prepared *pp)
{
	sbx_jsonw_key(w, "capabilities");
	if (!pp->plan.caps.present || !shown(pp, SBX_STEP_CAPS)) {
		sbx_jsonw_null(w);
		return;
	}
	sbx_jsonw_object_begin(w);
	sbx_jsonw_key(w, "keep");
	sbx_jsonw_array_begin(w);
	for (int c = 0; c <= SBX_CAP_LAST; c++)
		if (pp->plan.caps.keep & SBX_CAP_BIT(c))
			sbx_jsonw_string(w, sbx_cap_name(c));
	sbx_jsonw_array_end(w);
	sbx_jsonw_kv_bool(w, "keepAcrossExec", pp->plan.caps.keep_across_exec);
	sbx_jsonw_object_end(w);
}

/* Path rules merged by path: a path listed under several keys is one entry
 * with the union of its rights. */
static void fs_rules(struct sbx_jsonw *w, const struct sbx_prepared *pp)
{
	uint64_t handled = pp->landlock.attr.handled_access_fs;

	sbx_jsonw_key(w, "fs");
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < pp->npaths; i++) {
		uint64_t access = 0;
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(pp->paths[j].path, pp->paths[i].path);
		if (seen)
			continue;
		for (size_t j = i; j < pp->npaths; j++)
			if (!strcmp(pp->paths[j].path, pp->paths[i].path))
				access |= pp->paths[j].access;
		access &= handled;
		if (!access)
			continue;
		sbx_jsonw_object_begin(w);
		sbx_jsonw_kv_string(w, "path", pp->paths[i].path);
		sbx_jsonw_key(w, "access");
		bits(w, access, sbx_landlock_fs_name);
		sbx_jsonw_object_end(w);
	}
	sbx_jsonw_array_end(w);
}

static void net_rules(struct sbx_jsonw *w, const struct sbx_prepared *pp)
{
	uint64_t handled = pp->landlock.attr.handled_access_net;

	sbx_jsonw_key(w, "net");
	sbx_jsonw_array_begin(w);
	for (size_t i = 0; i < pp->nports; i++) {
		if (!(pp->ports[i].access & handled))
			continue;
		sbx_jsonw_object_begin(w);
		sbx_jsonw_kv_int(w, "port", pp->ports[i].port);
		sbx_jsonw_key(w, "access");
		bits(w, pp->ports[i].access & handled, sbx_landlock_net_name);
		sbx_jsonw_object_end(w);
	}
	sbx_jsonw_array_end(w);
}

static void landlock(struct sbx_jsonw *w, const struct sbx_prepared *pp)
{
	const struct sbx_landlock_prepared *ll = &pp->landlock;

	sbx_jsonw_key(w, "landlock");
	if (!ll->active || !shown(pp, SBX_STEP_LANDLOCK)) {
		sbx_jsonw_null(w);
		return;
	}
	sbx_jsonw_object_begin(w);
	sbx_jsonw_kv_int(w, "abi", pp->landlock_abi);
	sbx_jsonw_key(w, "handledFs");
	bits(w, ll->attr.handled_access_fs, sbx_landlock_fs_name);
	sbx_jsonw_key(w, "handledNet");
	bits(w, ll->attr.handled_access_net, sbx_landlock_net_name);
	fs_rules(w, pp);
	net_rules(w, pp);
	sbx_jsonw_key(w, "scopes");
	bits(w, ll->attr.scoped, sbx_landlock_scope_name);
	sbx_jsonw_object_end(w);
}

static void seccomp(struct sbx_jsonw *w, const struct sbx_prepared *pp)
{
	const struct sbx_plan_seccomp *sc = &pp->plan.seccomp;

	sbx_jsonw_key(w, "seccomp");
	if (!sc->prog || !shown(pp, SBX_STEP_SECCOMP)) {
		sbx_jsonw_null(w);
		return;
	}
	sbx_jsonw_object_begin(w);
	sbx_jsonw_kv_int(w, "instructions", (int64_t)sc->len);
	sbx_jsonw_kv_bool(w, "tsync", pp->flags & SBX_PREPARE_TSYNC);
	sbx_jsonw_kv_bool(w, "listener", pp->flags & SBX_PREPARE_LISTENER);
	sbx_jsonw_kv_bool(w, "notifyDenials", pp->notify_denials);
	sbx_jsonw_kv_bool(w, "unixSupervisor", pp->unix_supervise);
	sbx_jsonw_object_end(w);
}

/* Notes from..count, and a line for `lost` notes that did not fit. */
static void notes_from(struct sbx_jsonw *w, const struct sbx_notebuf *nb,
		       unsigned from, unsigned lost)
{
	for (unsigned i = from; i < nb->count; i++)
		sbx_jsonw_string(w, nb->text[i]);
	if (lost) {
		char msg[64];

		snprintf(msg, sizeof(msg), "(%u more not recorded)", lost);
		sbx_jsonw_string(w, msg);
	}
}

static void notebuf(struct sbx_jsonw *w, const struct sbx_notebuf *nb)
{
	notes_from(w, nb, 0, nb->lost);
}

static int finish(struct sbx_jsonw *w, char **json, struct sbx_error *err)
{
	int r = sbx_jsonw_finish(w, json);

	if (r)
		return sbx_error_set(err, SBX_ENOMEM, -r, NULL,
				     "report: cannot write the JSON (%s)",
				     strerror(-r));
	return 0;
}

static const char *state_name(const struct sbx_prepared *pp)
{
	return !pp->applied ? "prepared" : pp->apply_rc ? "failed" : "applied";
}

int sbx_prepared_apply_report_json(const struct sbx_prepared *pp, char **json,
				   struct sbx_error *err)
{
	struct sbx_jsonw w;

	if (json)
		*json = NULL;
	if (!pp || !json)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_prepared_apply_report_json: NULL argument");
	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_string(&w, "state", state_name(pp));
	if (pp->applied && pp->apply_rc)
		sbx_jsonw_kv_string(&w, "failedStep",
				    sbx_step_name(pp->result.failed_step));
	sbx_jsonw_key(&w, "skipped");
	sbx_jsonw_array_begin(&w);
	if (pp->applied)
		notebuf(&w, &pp->result.notes);
	sbx_jsonw_array_end(&w);
	sbx_jsonw_key(&w, "notes");
	sbx_jsonw_array_begin(&w);
	notes_from(&w, &pp->notes, pp->notes_prepared,
		   pp->notes.lost - pp->notes_lost_prepared);
	sbx_jsonw_array_end(&w);
	sbx_jsonw_object_end(&w);
	return finish(&w, json, err);
}

int sbx_prepared_report_json(const struct sbx_prepared *pp, char **json,
			     struct sbx_error *err)
{
	struct sbx_jsonw w;
	const char *state;

	if (json)
		*json = NULL;
	if (!pp || !json)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_prepared_report_json: NULL argument");
	state = state_name(pp);
	sbx_jsonw_init(&w);
	sbx_jsonw_object_begin(&w);
	sbx_jsonw_kv_string(&w, "door", door_name(pp->door));
	sbx_jsonw_kv_string(&w, "state", state);
	if (pp->applied && pp->apply_rc)
		sbx_jsonw_kv_string(&w, "failedStep",
				    sbx_step_name(pp->result.failed_step));
	sbx_jsonw_key(&w, "enforced");
	sbx_jsonw_object_begin(&w);
	rlimits(&w, pp);
	capabilities(&w, pp);
	sbx_jsonw_kv_bool(&w, "noNewPrivs", shown(pp, SBX_STEP_NNP));
	landlock(&w, pp);
	seccomp(&w, pp);
	sbx_jsonw_object_end(&w);
	sbx_jsonw_key(&w, "skipped");
	sbx_jsonw_array_begin(&w);
	notebuf(&w, &pp->skipped);
	if (pp->applied)
		notebuf(&w, &pp->result.notes);
	sbx_jsonw_array_end(&w);
	sbx_jsonw_key(&w, "notes");
	sbx_jsonw_array_begin(&w);
	notebuf(&w, &pp->notes);
	if (pp->compiled)
		for (size_t i = 0; i < pp->compiled->nnotes; i++)
			sbx_jsonw_string(&w, pp->compiled->notes[i]);
	sbx_jsonw_array_end(&w);
	sbx_jsonw_object_end(&w);
	return finish(&w, json, err);
}

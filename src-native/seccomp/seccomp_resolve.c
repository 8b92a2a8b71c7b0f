/*
 * Spec -> model: apply the entries of a seccomp spec, in order, to the
 * syscalls of one architecture (semantics in seccomp.h).
 */
#include "analyzer.h"
#include "seccomp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Nesting of groups in groups; the data is far shallower, this only bounds
 * the recursion should a table ever be wrong. */
#define GROUP_DEPTH_MAX 16

struct resolver {
	struct sbx_filter_model *m;
	const struct sbx_seccomp_entry *e;
	struct sbx_notes *notes;
	struct sbx_error *err;
	/* Per entry: numbers already given this entry, so a syscall reached
	 * through two groups gets one rule, not two. */
	unsigned char *seen;
	/* Per entry: groups already expanded (cycles and diamonds). */
	const struct sbx_syscall_group **groups;
	size_t ngroups, groups_cap;
};

static struct sbx_action default_action(const struct sbx_seccomp_spec *s)
{
	if (s->has_default)
		return s->default_action;
	return (struct sbx_action){ SBX_ACT_ERRNO, EPERM };
}

static void free_rule(struct sbx_model_rule *r)
{
	for (size_t i = 0; i < r->nconds; i++)
		free((void *)r->conds[i].set);
	free(r->conds);
	r->conds = NULL;
	r->nconds = 0;
}

static void drop_rules(struct sbx_model_syscall *s)
{
	for (size_t i = 0; i < s->nrules; i++)
		free_rule(&s->rules[i]);
	free(s->rules);
	s->rules = NULL;
	s->nrules = 0;
}

void sbx_filter_model_free(struct sbx_filter_model *m)
{
	if (!m)
		return;
	if (m->sys)
		for (int nr = 0; nr <= m->max_nr; nr++)
			drop_rules(&m->sys[nr]);
	free(m->sys);
	free(m);
}

static int oom(struct resolver *r)
{
	return sbx_error_set(r->err, SBX_ENOMEM, ENOMEM, r->e->pointer,
			     "out of memory while resolving the seccomp filter");
}

static int append_rule(struct resolver *r, struct sbx_model_syscall *s, int nr)
{
	const struct sbx_seccomp_entry *e = r->e;
	unsigned arg32 = sbx_syscall_arg32_mask(r->m->arch, nr);
	struct sbx_model_rule rule = { 0 };
	struct sbx_model_rule *rules;

	rule.conds = calloc(e->nconds, sizeof(*rule.conds));
	if (!rule.conds)
		return oom(r);
	rule.nconds = e->nconds;
	rule.action = e->action;
	for (size_t i = 0; i < e->nconds; i++) {
		struct sbx_arg_cond *c = &rule.conds[i];

		*c = e->conds[i];
		c->set = NULL;
		c->low32 = e->conds[i].low32 || ((arg32 >> c->arg) & 1u);
		if (c->op == SBX_CMP_IN && c->nset) {
			uint64_t *set = malloc(c->nset * sizeof(*set));

			if (!set) {
				free_rule(&rule);
				return oom(r);
			}
			memcpy(set, e->conds[i].set, c->nset * sizeof(*set));
			c->set = set;
		} else if (c->op != SBX_CMP_IN) {
			c->nset = 0;
		}
	}
	rules = realloc(s->rules, (s->nrules + 1) * sizeof(*rules));
	if (!rules) {
		free_rule(&rule);
		return oom(r);
	}
	s->rules = rules;
	/* the rule's set now belongs to s->rules (analyzer.h) */
	ANALYZER_STORED_IN_ARRAY_BEGIN
	s->rules[s->nrules++] = rule;
	ANALYZER_STORED_IN_ARRAY_END
	return 0;
}

static int apply_nr(struct resolver *r, int nr)
{
	struct sbx_model_syscall *s = &r->m->sys[nr];

	if (r->seen[nr])
		return 0;
	r->seen[nr] = 1;
	if (r->e->nconds == 0) {
		/* "this syscall: X, period": earlier rules no longer matter. */
		drop_rules(s);
		s->has_base = true;
		s->base = r->e->action;
		return 0;
	}
	return append_rule(r, s, nr);
}

static int apply_name(struct resolver *r, const char *name,
		      const struct sbx_syscall_group *in_group, int depth);

static int apply_group(struct resolver *r, const char *name,
		       const struct sbx_syscall_group *in_group, int depth)
{
	const struct sbx_syscall_group *g = sbx_syscall_group_find(name);
	int rc;

	if (!g) {
		const char *hint = sbx_syscall_suggest(name);

		if (in_group)
			return sbx_error_set(r->err, SBX_EINTERNAL, EINVAL, r->e->pointer,
					     "syscall group %s names an unknown group \"%s\"",
					     sbx_syscall_group_name(in_group), name);
		if (hint)
			return sbx_error_set(r->err, SBX_ESYSCALL, EINVAL, r->e->pointer,
					     "unknown syscall group \"%s\" (did you mean \"%s\"?)",
					     name, hint);
		return sbx_error_set(r->err, SBX_ESYSCALL, EINVAL, r->e->pointer,
				     "unknown syscall group \"%s\"", name);
	}
	for (size_t i = 0; i < r->ngroups; i++)
		if (r->groups[i] == g)
			return 0;
	if (depth >= GROUP_DEPTH_MAX)
		return sbx_error_set(r->err, SBX_EINTERNAL, ELOOP, r->e->pointer,
				     "syscall group %s is nested more than %d deep",
				     name, GROUP_DEPTH_MAX);
	if (r->ngroups == r->groups_cap) {
		size_t ncap = r->groups_cap ? r->groups_cap * 2 : 8;
		const struct sbx_syscall_group **ng =
			realloc(r->groups, ncap * sizeof(*ng));

		if (!ng)
			return oom(r);
		r->groups = ng;
		r->groups_cap = ncap;
	}
	r->groups[r->ngroups++] = g;
	for (size_t i = 0, n = sbx_syscall_group_size(g); i < n; i++) {
		int nr = sbx_syscall_group_member_nr(g, r->m->arch, i);

		/* Numbers come resolved with the table (test_syscalls.c
		 * checks them against sbx_syscall_lookup()): no name search
		 * for the ~300 members of the presets' groups. */
		if (nr == SBX_GROUP_NR_ABSENT)
			continue;     /* lookup would say -ENOSYS: skipped */
		if (nr == SBX_GROUP_NR_GROUP)
			rc = apply_name(r, sbx_syscall_group_member(g, i), g, depth + 1);
		else if (nr < 0 || nr > r->m->max_nr)
			rc = sbx_error_set(r->err, SBX_EINTERNAL, EINVAL, r->e->pointer,
					   "syscall group %s names an unknown syscall \"%s\"",
					   sbx_syscall_group_name(g),
					   sbx_syscall_group_member(g, i));
		else
			rc = apply_nr(r, nr);
		if (rc)
			return rc;
	}
	return 0;
}

static int apply_name(struct resolver *r, const char *name,
		      const struct sbx_syscall_group *in_group, int depth)
{
	int nr;

	if (!name || !*name)
		return sbx_error_set(r->err, SBX_ESYSCALL, EINVAL, r->e->pointer,
				     "empty syscall name");
	if (name[0] == '@')
		return apply_group(r, name, in_group, depth);
	nr = sbx_syscall_lookup(r->m->arch, name);
	if (nr == -ENOSYS) {
		/* Group members missing on one arch are expected (the groups
		 * list both arches' names); only a name the user wrote is
		 * worth a note. */
		if (!in_group)
			sbx_notes_add(r->notes, "%s: skipped \"%s\": not a syscall on %s",
				      r->e->pointer ? r->e->pointer : "", name,
				      sbx_arch_info(r->m->arch)->name);
		return 0;
	}
	if (nr < 0 || nr > r->m->max_nr) {
		const char *hint;

		if (in_group)
			return sbx_error_set(r->err, SBX_EINTERNAL, EINVAL, r->e->pointer,
					     "syscall group %s names an unknown syscall \"%s\"",
					     sbx_syscall_group_name(in_group), name);
		hint = sbx_syscall_suggest(name);
		if (hint)
			return sbx_error_set(r->err, SBX_ESYSCALL, EINVAL, r->e->pointer,
					     "unknown syscall \"%s\" (did you mean \"%s\"?)",
					     name, hint);
		return sbx_error_set(r->err, SBX_ESYSCALL, EINVAL, r->e->pointer,
				     "unknown syscall \"%s\"", name);
	}
	return apply_nr(r, nr);
}

static int check_conds(struct resolver *r)
{
	const struct sbx_seccomp_entry *e = r->e;

	if (e->nconds && !e->conds)
		return sbx_error_set(r->err, SBX_EINVAL, EINVAL, e->pointer,
				     "entry has %zu conditions but no array", e->nconds);
	for (size_t i = 0; i < e->nconds; i++) {
		const struct sbx_arg_cond *c = &e->conds[i];

		if (c->arg > 5)
			return sbx_error_set(r->err, SBX_EVALUE, EINVAL, e->pointer,
					     "argument index %u is out of range (arg0..arg5)",
					     (unsigned)c->arg);
		if ((unsigned)c->op > SBX_CMP_MASKED_NE)
			return sbx_error_set(r->err, SBX_EINVAL, EINVAL, e->pointer,
					     "invalid comparison operator %d", (int)c->op);
		if (c->op == SBX_CMP_IN && c->nset && !c->set)
			return sbx_error_set(r->err, SBX_EINVAL, EINVAL, e->pointer,
					     "set of %zu values with no array", c->nset);
	}
	if ((unsigned)e->action.kind > SBX_ACT_TRACE)
		return sbx_error_set(r->err, SBX_EINVAL, EINVAL, e->pointer,
				     "invalid action kind %d", (int)e->action.kind);
	return 0;
}

int sbx_seccomp_resolve(const struct sbx_seccomp_spec *spec, enum sbx_arch arch,
			struct sbx_filter_model **out, struct sbx_notes *notes,
			struct sbx_error *err)
{
	const struct sbx_arch_info *info = sbx_arch_info(arch);
	struct resolver r = { .notes = notes, .err = err };
	struct sbx_seccomp_entry none = { .pointer = spec ? spec->default_pointer : NULL };
	struct sbx_filter_model *m;
	int rc = 0;

	if (out)
		*out = NULL;
	if (!spec || !out || !info)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_seccomp_resolve: %s", info ? "NULL argument" :
				     "unknown architecture");
	if (spec->nentries && !spec->entries)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "seccomp spec has %zu entries but no array", spec->nentries);
	m = calloc(1, sizeof(*m));
	if (!m)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL, "out of memory");
	m->arch = arch;
	m->max_nr = info->max_nr;
	m->default_action = default_action(spec);
	m->bad_arch_action = spec->has_bad_arch ? spec->bad_arch_action :
		(struct sbx_action){ SBX_ACT_KILL_PROCESS, 0 };
	m->sys = calloc((size_t)m->max_nr + 1, sizeof(*m->sys));
	r.seen = malloc((size_t)m->max_nr + 1);
	r.m = m;
	r.e = &none;
	if (!m->sys || !r.seen) {
		rc = oom(&r);
		goto out;
	}
	for (size_t i = 0; i < spec->nentries; i++) {
		r.e = &spec->entries[i];
		if (!(r.e->arch_mask & SBX_ARCH_BIT(arch)))
			continue;
		rc = check_conds(&r);
		if (rc)
			goto out;
		memset(r.seen, 0, (size_t)m->max_nr + 1);
		r.ngroups = 0;
		rc = apply_name(&r, r.e->name, NULL, 0);
		if (rc)
			goto out;
	}
out:
	free(r.seen);
	free(r.groups);
	if (rc) {
		sbx_filter_model_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

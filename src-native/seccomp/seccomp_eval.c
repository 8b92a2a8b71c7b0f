/*
 * The reference semantics of a filter model, written to be obviously right
 * rather than fast: tests and the fuzzer hold the compiled BPF to it.
 */
#include "seccomp.h"

#include "seccomp_defs.h"

#include <errno.h>

/* On x86_64, numbers from the x32 bit up are another ABI (x32), except -1,
 * which is "no syscall" (a tracer's skip, or syscall(-1)): the kernel runs
 * nothing for it, so it gets ENOSYS like any number the table does not have.
 * libseccomp draws the same line. */
#define NR_NONE 0xffffffffu

static uint32_t enosys(void)
{
	return SECCOMP_RET_ERRNO | ENOSYS;
}

static bool cond_holds(const struct sbx_arg_cond *c, uint64_t arg)
{
	uint64_t width = c->low32 ? 0xffffffffu : UINT64_MAX;
	uint64_t x = arg & width;
	uint64_t v = c->value & width;

	switch (c->op) {
	case SBX_CMP_EQ: return x == v;
	case SBX_CMP_NE: return x != v;
	case SBX_CMP_LT: return x < v;
	case SBX_CMP_LE: return x <= v;
	case SBX_CMP_GT: return x > v;
	case SBX_CMP_GE: return x >= v;
	case SBX_CMP_MASKED_EQ: return (x & (c->mask & width)) == v;
	case SBX_CMP_MASKED_NE: return (x & (c->mask & width)) != v;
	case SBX_CMP_IN:
		for (size_t i = 0; i < c->nset; i++)
			if ((c->set[i] & width) == x)
				return true;
		return false;
	}
	return false;
}

uint32_t sbx_filter_model_eval(const struct sbx_filter_model *m, uint32_t arch,
			       uint32_t nr, const uint64_t args[6])
{
	const struct sbx_arch_info *info = sbx_arch_info(m->arch);
	const struct sbx_model_syscall *s;

	if (arch != info->audit_arch)
		return sbx_action_ret(m->bad_arch_action);
	if (info->x32_bit && nr >= info->x32_bit && nr != NR_NONE)
		return sbx_action_ret(m->bad_arch_action);
	if (nr > (uint32_t)m->max_nr || !sbx_syscall_name(m->arch, (int)nr))
		return enosys();
	s = &m->sys[nr];
	for (size_t i = 0; i < s->nrules; i++) {
		const struct sbx_model_rule *r = &s->rules[i];
		bool all = true;

		for (size_t j = 0; j < r->nconds && all; j++)
			all = cond_holds(&r->conds[j], args[r->conds[j].arg]);
		if (all)
			return sbx_action_ret(r->action);
	}
	return sbx_action_ret(s->has_base ? s->base : m->default_action);
}

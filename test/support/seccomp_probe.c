/* Boundary inputs for seccomp filters (see seccomp_probe.h). */
#include "seccomp_probe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAXCAND 96

struct cands {
	uint64_t v[6][MAXCAND];
	size_t n[6];
};

struct walk {
	const struct sbx_filter_model *m;
	seccomp_probe_fn fn;
	void *ctx;
	size_t count;
	size_t budget, used;
	int stop;
};

uint32_t seccomp_probe_foreign_arch(enum sbx_arch arch)
{
	return sbx_arch_info(arch == SBX_ARCH_X86_64 ? SBX_ARCH_AARCH64 :
			     SBX_ARCH_X86_64)->audit_arch;
}

static void visit(struct walk *w, uint32_t arch, uint32_t nr, const uint64_t args[6])
{
	struct seccomp_data d;

	if (w->stop)
		return;
	memset(&d, 0, sizeof(d));
	d.arch = arch;
	d.nr = (int)nr;
	d.instruction_pointer = 0x401000;
	for (int i = 0; i < 6; i++)
		d.args[i] = args ? args[i] : 0;
	w->count++;
	if (w->fn(w->ctx, &d))
		w->stop = 1;
}

static void add(struct cands *c, int arg, uint64_t v)
{
	for (size_t i = 0; i < c->n[arg]; i++)
		if (c->v[arg][i] == v)
			return;
	if (c->n[arg] < MAXCAND)
		c->v[arg][c->n[arg]++] = v;
}

/* The neighbourhood of a constant, in both word widths. */
static void around(struct cands *c, int arg, uint64_t v)
{
	uint64_t lo = v & 0xffffffffu;

	add(c, arg, v);
	add(c, arg, v - 1);
	add(c, arg, v + 1);
	add(c, arg, v ^ (1ull << 32));
	add(c, arg, v | 0xffffffff00000000ull);
	add(c, arg, lo);
	add(c, arg, lo - 1);
	add(c, arg, lo + 1);
	add(c, arg, lo | (1ull << 32));
	add(c, arg, (lo - 1) & 0xffffffffu);
	add(c, arg, ((lo + 1) & 0xffffffffu) | 0x100000000ull);
}

static void cond_cands(struct cands *c, const struct sbx_arg_cond *k)
{
	switch (k->op) {
	case SBX_CMP_IN:
		for (size_t i = 0; i < k->nset; i++)
			around(c, k->arg, k->set[i]);
		break;
	case SBX_CMP_MASKED_EQ:
	case SBX_CMP_MASKED_NE:
		around(c, k->arg, k->value);
		add(c, k->arg, k->value | ~k->mask);
		add(c, k->arg, k->mask);
		add(c, k->arg, ~k->mask);
		/* One mask bit flipped: lowest and highest. */
		if (k->mask) {
			add(c, k->arg, k->value ^ (k->mask & -k->mask));
			add(c, k->arg, k->value ^ (1ull << (63 - __builtin_clzll(k->mask))));
		}
		break;
	default:
		around(c, k->arg, k->value);
		break;
	}
}

/* A value for which the condition holds, when one is easy to name. */
static bool satisfy(const struct sbx_arg_cond *k, uint64_t *out)
{
	uint64_t w = k->low32 ? 0xffffffffu : UINT64_MAX;
	uint64_t v = k->value & w;

	switch (k->op) {
	case SBX_CMP_EQ: case SBX_CMP_LE: case SBX_CMP_GE: *out = v; return true;
	case SBX_CMP_NE: *out = v + 1; return true;
	case SBX_CMP_LT: *out = v - 1; return v != 0;
	case SBX_CMP_GT: *out = v + 1; return v != w;
	case SBX_CMP_MASKED_EQ: *out = k->value; return (k->value & ~(k->mask & w)) == 0;
	case SBX_CMP_MASKED_NE: *out = k->value ^ (k->mask & w & -(k->mask & w)); return (k->mask & w) != 0;
	case SBX_CMP_IN: *out = k->nset ? k->set[0] : 0; return k->nset > 0;
	}
	return false;
}

static void args_walk(struct walk *w, uint32_t arch, int nr)
{
	const struct sbx_model_syscall *s = &w->m->sys[nr];
	static const uint64_t common[] = {
		0, 1, 2, UINT64_MAX, 0xffffffffu, 0x100000000ull, 0x7fffffffu,
		0x80000000u, 0xffffffff80000000ull, 0xffffffff00000000ull,
	};
	struct cands *c;
	uint64_t args[6] = { 0 };
	size_t before = w->count;

	if (!s->nrules) {
		visit(w, arch, (uint32_t)nr, args);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	for (size_t i = 0; i < s->nrules; i++)
		for (size_t j = 0; j < s->rules[i].nconds; j++)
			cond_cands(c, &s->rules[i].conds[j]);
	for (int a = 0; a < 6; a++)
		if (c->n[a])
			for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
				add(c, a, common[i]);

#define BUDGET_LEFT() (!w->budget || w->count - before < w->budget)
	visit(w, arch, (uint32_t)nr, args);
	/* One argument at a time. */
	for (int a = 0; a < 6 && BUDGET_LEFT(); a++)
		for (size_t i = 0; i < c->n[a] && BUDGET_LEFT(); i++) {
			memset(args, 0, sizeof(args));
			args[a] = c->v[a][i];
			visit(w, arch, (uint32_t)nr, args);
		}
	/* Per rule: the other conditions true, one argument swept. */
	for (size_t i = 0; i < s->nrules && BUDGET_LEFT(); i++) {
		const struct sbx_model_rule *r = &s->rules[i];
		uint64_t base[6] = { 0 };

		for (size_t j = 0; j < r->nconds; j++)
			satisfy(&r->conds[j], &base[r->conds[j].arg]);
		visit(w, arch, (uint32_t)nr, base);
		for (size_t j = 0; j < r->nconds && BUDGET_LEFT(); j++) {
			int a = r->conds[j].arg;

			for (size_t k = 0; k < c->n[a] && BUDGET_LEFT(); k++) {
				memcpy(args, base, sizeof(args));
				args[a] = c->v[a][k];
				visit(w, arch, (uint32_t)nr, args);
			}
		}
	}
#undef BUDGET_LEFT
	free(c);
}

size_t seccomp_probe_walk(const struct sbx_filter_model *m, size_t budget,
			  seccomp_probe_fn fn, void *ctx)
{
	const struct sbx_arch_info *info = sbx_arch_info(m->arch);
	struct walk w = { .m = m, .fn = fn, .ctx = ctx, .budget = budget };
	static const uint32_t high[] = {
		0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xc0000000u,
		0xdeadbeefu, 0xfffffffeu, 0xffffffffu, 1000, 4096, 65535, 65536,
	};
	const uint32_t bogus_arch[] = {
		seccomp_probe_foreign_arch(m->arch), 0, 0x40000003u /* i386 */,
		0xc000003eu, 0xc00000b7u, info->audit_arch ^ 1u,
	};
	uint32_t max = (uint32_t)m->max_nr;

	for (uint32_t nr = 0; nr <= max + 10 && !w.stop; nr++) {
		if (nr <= max)
			args_walk(&w, info->audit_arch, (int)nr);
		else
			visit(&w, info->audit_arch, nr, NULL);
	}
	for (uint32_t n = 0; n <= max + 10 && !w.stop; n++)
		visit(&w, info->audit_arch, 0x40000000u + n, NULL);
	for (size_t i = 0; i < sizeof(high) / sizeof(high[0]); i++)
		visit(&w, info->audit_arch, high[i], NULL);
	for (size_t i = 0; i < sizeof(bogus_arch) / sizeof(bogus_arch[0]); i++) {
		if (bogus_arch[i] == info->audit_arch)
			continue;
		for (uint32_t nr = 0; nr <= max + 2; nr += 7)
			visit(&w, bogus_arch[i], nr, NULL);
		visit(&w, bogus_arch[i], 0x40000000u, NULL);
		visit(&w, bogus_arch[i], 0xffffffffu, NULL);
	}
	return w.count;
}

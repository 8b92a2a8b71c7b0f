/*
 * Model -> classic BPF.
 *
 *   ld arch; jeq AUDIT_ARCH, 1, 0; ret BAD_ARCH
 *   ld nr
 *   binary search over the ranges of numbers that share a verdict
 *   leaves: `ret VERDICT`, or the rule chain of one syscall
 *
 * Most leaves are a lone `ret`, and there are few distinct verdicts: the
 * builder shares them (sbx_bpf_share_rets), so a node whose sides are
 * constant becomes one `jge` with both arms on shared returns. That halves a
 * typical program, which is what the kernel's cost of loading it (conversion,
 * JIT, the action cache's emulation) grows with.
 *
 * The ranges partition the whole 32-bit number space, so the search needs no
 * equality tests and no separate checks: numbers above the table and holes
 * are ENOSYS leaves, and on x86_64 the x32 numbers (0x40000000..0xfffffffe)
 * are a BAD_ARCH leaf while 0xffffffff ("no syscall") is an ENOSYS one, as
 * in sbx_filter_model_eval(). A syscall's arguments are loaded only in its
 * own leaf, after the number is known: the kernel's constant-action cache
 * (which emulates the filter per number, with unknown arguments) then
 * serves every syscall whose verdict does not depend on arguments.
 *
 * The tree is split by weight (the count of table syscalls in each side), so
 * the average depth over real syscall numbers is low; rare ranges (holes, the
 * x32 block) sink to the bottom.
 */
#include "seccomp.h"

#include "bpf.h"
#include "seccomp_defs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NR_NONE 0xffffffffu
#define LO32 0xffffffffu

struct leaf {
	uint32_t first;        /* lowest number of the range */
	int nr;                /* syscall with rules, or -1 for a constant */
	size_t nrules;         /* rules that matter (trailing no-ops dropped) */
	uint32_t ret;          /* constant verdict, or the fallback after rules */
	uint64_t weight;
};

struct compiler {
	const struct sbx_filter_model *m;
	struct sbx_bpf_builder *b;
	struct leaf *leaves;
	size_t nleaves;
	uint64_t *prefix;      /* prefix[i] = weight of leaves[0..i) */
};

static void ld(struct compiler *c, uint32_t off)
{
	sbx_bpf_stmt(c->b, BPF_LD | BPF_W | BPF_ABS, off);
}

static void jmp(struct compiler *c, uint16_t op, uint32_t k, sbx_bpf_label_t jt,
		sbx_bpf_label_t jf)
{
	sbx_bpf_jump(c->b, BPF_JMP | op | BPF_K, k, jt, jf);
}

/* (A & mask) == value on one 32-bit half already in A: falls through when
 * it holds, jumps to `fail` (for MASKED_NE: the label where it does not
 * hold decides) otherwise. */
static void emit_masked_half(struct compiler *c, uint32_t mask, uint32_t value,
			     sbx_bpf_label_t fail)
{
	if (value == 0) {
		jmp(c, BPF_JSET, mask, fail, -1);
	} else if (value == mask && (mask & (mask - 1)) == 0) {
		jmp(c, BPF_JSET, mask, -1, fail);
	} else {
		if (mask != LO32)
			sbx_bpf_stmt(c->b, BPF_ALU | BPF_AND | BPF_K, mask);
		jmp(c, BPF_JEQ, value, -1, fail);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* arg IN set: compare the high word once per distinct high word, then the
 * low words of that group. */
static int emit_in(struct compiler *c, const struct sbx_arg_cond *cond,
		   sbx_bpf_label_t ok, sbx_bpf_label_t fail)
{
	uint64_t width = cond->low32 ? LO32 : UINT64_MAX;
	uint64_t *v;
	size_t n = 0;

	if (cond->nset == 0) {
		sbx_bpf_ja(c->b, fail);
		return 0;
	}
	v = malloc(cond->nset * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cond->nset; i++)
		v[i] = cond->set[i] & width;
	qsort(v, cond->nset, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < cond->nset; i++)
		if (n == 0 || v[n - 1] != v[i])
			v[n++] = v[i];

	if (cond->low32) {
		ld(c, SBX_SD_ARG_LO(cond->arg));
		for (size_t i = 0; i < n; i++)
			jmp(c, BPF_JEQ, (uint32_t)v[i], ok, i + 1 < n ? -1 : fail);
	} else {
		size_t ngroups = 0;
		sbx_bpf_label_t *group;

		for (size_t i = 0; i < n; i++)
			if (i == 0 || (v[i] >> 32) != (v[i - 1] >> 32))
				ngroups++;
		group = malloc(ngroups * sizeof(*group));
		if (!group) {
			free(v);
			return -ENOMEM;
		}
		ld(c, SBX_SD_ARG_HI(cond->arg));
		for (size_t i = 0, g = 0; i < n; i++) {
			if (i && (v[i] >> 32) == (v[i - 1] >> 32))
				continue;
			group[g] = sbx_bpf_label(c->b);
			jmp(c, BPF_JEQ, (uint32_t)(v[i] >> 32), group[g],
			    g + 1 < ngroups ? -1 : fail);
			g++;
		}
		for (size_t i = 0, g = 0; i < n; i++) {
			bool last_of_group = i + 1 == n || (v[i + 1] >> 32) != (v[i] >> 32);

			if (i == 0 || (v[i] >> 32) != (v[i - 1] >> 32)) {
				sbx_bpf_bind(c->b, group[g++]);
				ld(c, SBX_SD_ARG_LO(cond->arg));
			}
			jmp(c, BPF_JEQ, (uint32_t)v[i], ok, last_of_group ? fail : -1);
		}
		free(group);
	}
	free(v);
	return 0;
}

/* Falls through when the condition holds, jumps to `fail` otherwise.
 * Unsigned 64-bit semantics: the high words decide unless equal. */
static int emit_cond(struct compiler *c, const struct sbx_arg_cond *cond,
		     sbx_bpf_label_t fail)
{
	sbx_bpf_label_t ok = sbx_bpf_label(c->b);
	uint64_t width = cond->low32 ? LO32 : UINT64_MAX;
	uint64_t val = cond->value & width;
	uint32_t vh = (uint32_t)(val >> 32), vl = (uint32_t)val;
	uint32_t lo = SBX_SD_ARG_LO(cond->arg), hi = SBX_SD_ARG_HI(cond->arg);
	bool wide = !cond->low32;
	int rc = 0;

	switch (cond->op) {
	case SBX_CMP_EQ:
		if (wide) {
			ld(c, hi);
			jmp(c, BPF_JEQ, vh, -1, fail);
		}
		ld(c, lo);
		jmp(c, BPF_JEQ, vl, ok, fail);
		break;
	case SBX_CMP_NE:
		if (wide) {
			ld(c, hi);
			jmp(c, BPF_JEQ, vh, -1, ok);
		}
		ld(c, lo);
		jmp(c, BPF_JEQ, vl, fail, ok);
		break;
	case SBX_CMP_GT:
	case SBX_CMP_GE:
		if (wide) {
			ld(c, hi);
			jmp(c, BPF_JGT, vh, ok, -1);
			jmp(c, BPF_JEQ, vh, -1, fail);
		}
		ld(c, lo);
		jmp(c, cond->op == SBX_CMP_GT ? BPF_JGT : BPF_JGE, vl, ok, fail);
		break;
	case SBX_CMP_LT:
	case SBX_CMP_LE:
		if (wide) {
			ld(c, hi);
			jmp(c, BPF_JGT, vh, fail, -1);
			jmp(c, BPF_JEQ, vh, -1, ok);
		}
		ld(c, lo);
		/* x < v is !(x >= v); x <= v is !(x > v). */
		jmp(c, cond->op == SBX_CMP_LT ? BPF_JGE : BPF_JGT, vl, fail, ok);
		break;
	case SBX_CMP_MASKED_EQ: {
		uint64_t mask = cond->mask & width;
		uint32_t mh = (uint32_t)(mask >> 32), ml = (uint32_t)mask;

		if (val & ~mask) {
			/* A value bit outside the mask can never match. */
			sbx_bpf_ja(c->b, fail);
			break;
		}
		if (wide && mh) {
			ld(c, hi);
			emit_masked_half(c, mh, vh, fail);
		}
		if (ml) {
			ld(c, lo);
			emit_masked_half(c, ml, vl, fail);
		}
		break;
	}
	case SBX_CMP_MASKED_NE: {
		/* The negation of MASKED_EQ: a half that differs decides. */
		uint64_t mask = cond->mask & width;
		uint32_t mh = (uint32_t)(mask >> 32), ml = (uint32_t)mask;

		if (val & ~mask) {
			sbx_bpf_ja(c->b, ok);
			break;
		}
		if (wide && mh) {
			ld(c, hi);
			emit_masked_half(c, mh, vh, ok);
		}
		if (ml) {
			ld(c, lo);
			emit_masked_half(c, ml, vl, ok);
		}
		sbx_bpf_ja(c->b, fail);
		break;
	}
	case SBX_CMP_IN:
		rc = emit_in(c, cond, ok, fail);
		break;
	default:
		sbx_bpf_ja(c->b, fail);
		break;
	}
	sbx_bpf_bind(c->b, ok);
	return rc;
}

static int emit_rules(struct compiler *c, const struct leaf *l)
{
	const struct sbx_model_syscall *s = &c->m->sys[l->nr];

	for (size_t i = 0; i < l->nrules; i++) {
		const struct sbx_model_rule *r = &s->rules[i];
		sbx_bpf_label_t next = sbx_bpf_label(c->b);

		for (size_t j = 0; j < r->nconds; j++) {
			int rc = emit_cond(c, &r->conds[j], next);

			if (rc)
				return rc;
		}
		sbx_bpf_stmt(c->b, BPF_RET | BPF_K, sbx_action_ret(r->action));
		sbx_bpf_bind(c->b, next);
	}
	sbx_bpf_stmt(c->b, BPF_RET | BPF_K, l->ret);
	return 0;
}

/* Index k in (i, j] that starts the right subtree: the split that best
 * balances the weights of the two sides. */
static size_t split(const struct compiler *c, size_t i, size_t j)
{
	uint64_t base = c->prefix[i], total = c->prefix[j + 1] - base;
	size_t lo = i + 1, hi = j;

	/* First k whose left side [i, k) weighs at least half. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((c->prefix[mid] - base) * 2 >= total)
			hi = mid;
		else
			lo = mid + 1;
	}
	/* The split just before may balance better. */
	if (lo > i + 1) {
		uint64_t a = (c->prefix[lo] - base) * 2 - total;
		uint64_t b = total - (c->prefix[lo - 1] - base) * 2;

		if (b < a)
			lo--;
	}
	return lo;
}

static int emit_tree(struct compiler *c, size_t i, size_t j)
{
	sbx_bpf_label_t right;
	size_t k;
	int rc;

	if (i == j) {
		if (c->leaves[i].nr < 0) {
			sbx_bpf_stmt(c->b, BPF_RET | BPF_K, c->leaves[i].ret);
			return 0;
		}
		return emit_rules(c, &c->leaves[i]);
	}
	k = split(c, i, j);
	right = sbx_bpf_label(c->b);
	jmp(c, BPF_JGE, c->leaves[k].first, right, -1);
	rc = emit_tree(c, i, k - 1);
	if (rc)
		return rc;
	sbx_bpf_bind(c->b, right);
	return emit_tree(c, k, j);
}

/* Append a constant range starting at `first`, merging it into the previous
 * leaf when that one is a constant with the same verdict. */
static void add_const(struct compiler *c, uint32_t first, uint32_t ret,
		      uint64_t weight)
{
	struct leaf *prev = c->nleaves ? &c->leaves[c->nleaves - 1] : NULL;

	if (prev && prev->nr < 0 && prev->ret == ret) {
		prev->weight += weight;
		return;
	}
	c->leaves[c->nleaves++] = (struct leaf){ first, -1, 0, ret, weight };
}

/* Weights: 4 per table syscall in the range, plus 1 so that a range of
 * holes or out-of-table numbers still counts a little. */
static void build_leaves(struct compiler *c)
{
	const struct sbx_filter_model *m = c->m;
	const struct sbx_arch_info *info = sbx_arch_info(m->arch);
	uint32_t enosys = SECCOMP_RET_ERRNO | ENOSYS;

	for (int nr = 0; nr <= m->max_nr; nr++) {
		const struct sbx_model_syscall *s = &m->sys[nr];
		uint32_t fallback;
		size_t n;

		if (!sbx_syscall_name(m->arch, nr)) {
			add_const(c, (uint32_t)nr, enosys, 1);
			continue;
		}
		fallback = sbx_action_ret(s->has_base ? s->base : m->default_action);
		/* A rule at the end that gives the fallback anyway changes
		 * nothing; dropping it can make the syscall constant. */
		n = s->nrules;
		while (n && sbx_action_ret(s->rules[n - 1].action) == fallback)
			n--;
		if (n == 0) {
			add_const(c, (uint32_t)nr, fallback, 5);
			continue;
		}
		c->leaves[c->nleaves++] = (struct leaf){ (uint32_t)nr, nr, n, fallback, 5 };
	}
	if (info->x32_bit) {
		add_const(c, (uint32_t)m->max_nr + 1, enosys, 1);
		add_const(c, info->x32_bit, sbx_action_ret(m->bad_arch_action), 1);
		add_const(c, NR_NONE, enosys, 1);
	} else {
		add_const(c, (uint32_t)m->max_nr + 1, enosys, 1);
	}
}

int sbx_seccomp_compile(const struct sbx_filter_model *m,
			struct sock_filter **out, size_t *len,
			struct sbx_error *err)
{
	return sbx_seccomp_compile_flags(m, 0, out, len, err);
}

int sbx_seccomp_compile_flags(const struct sbx_filter_model *m, unsigned flags,
			      struct sock_filter **out, size_t *len,
			      struct sbx_error *err)
{
	struct compiler c = { .m = m };
	sbx_bpf_label_t native;
	int rc;

	if (out)
		*out = NULL;
	if (len)
		*len = 0;
	if (!m || !out || !len || !m->sys || !sbx_arch_info(m->arch) ||
	    m->max_nr != sbx_arch_info(m->arch)->max_nr)
		return sbx_error_set(err, SBX_EINVAL, EINVAL, NULL,
				     "sbx_seccomp_compile: invalid model");
	/* One leaf per number at most, plus the three out-of-table ranges. */
	c.leaves = malloc(((size_t)m->max_nr + 4) * sizeof(*c.leaves));
	c.prefix = malloc(((size_t)m->max_nr + 5) * sizeof(*c.prefix));
	c.b = sbx_bpf_builder_new();
	if (!c.leaves || !c.prefix || !c.b) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				   "out of memory while compiling the seccomp filter");
		goto out;
	}
	if (!(flags & SBX_SECCOMP_RET_PER_LEAF))
		sbx_bpf_share_rets(c.b);
	build_leaves(&c);
	c.prefix[0] = 0;
	for (size_t i = 0; i < c.nleaves; i++)
		c.prefix[i + 1] = c.prefix[i] + c.leaves[i].weight;

	native = sbx_bpf_label(c.b);
	ld(&c, SBX_SD_ARCH);
	jmp(&c, BPF_JEQ, sbx_arch_info(m->arch)->audit_arch, native, -1);
	sbx_bpf_stmt(c.b, BPF_RET | BPF_K, sbx_action_ret(m->bad_arch_action));
	sbx_bpf_bind(c.b, native);
	ld(&c, SBX_SD_NR);
	rc = emit_tree(&c, 0, c.nleaves - 1);
	if (rc) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				   "out of memory while compiling the seccomp filter");
		goto out;
	}
	rc = sbx_bpf_finish(c.b, out, len, err);
out:
	sbx_bpf_builder_free(c.b);
	free(c.leaves);
	free(c.prefix);
	return rc;
}

/*
 * Test-only, header-only (it needs -lseccomp, which only the differential
 * test and the benchmark link): a filter model written as libseccomp calls,
 * and libseccomp's program exported back as BPF.
 *
 * sbx rules are ordered (first match wins) and may test one argument several
 * times; libseccomp's rules are an unordered set, at most one comparison per
 * argument, and always 64 bits wide. The translation is exact anyway: every
 * condition is turned into a union of "cubes" (a mask and a value per
 * argument: the inputs whose masked bits equal the value), which are closed
 * under intersection. Rule i then covers cubes(cond_i) minus every earlier
 * rule, the fallback covers what is left, and each cube becomes one
 * libseccomp rule of SCMP_CMP_MASKED_EQ (or SCMP_CMP_EQ) comparisons.
 *   - EQ: one cube; NE: one cube per bit (equal above it, different at it);
 *   - < <= > >=: the interval split into aligned power-of-two blocks;
 *   - masked ==: one cube; its negation (and masked !=): one cube per mask bit;
 *   - IN: one cube per member; NOT IN: intersection of the NEs.
 * A low32 condition only constrains the low 32 bits of its cubes, which is
 * precisely sbx's semantics (the high word is ignored) expressed in
 * libseccomp's 64-bit comparisons: no reconciliation is needed.
 *
 * What libseccomp 2.5 cannot express is reported, not papered over:
 *   - on a non-native arch it takes syscall NAMES (it translates native
 *     numbers by name), so numbers it cannot name there (holes, numbers
 *     above its table, syscalls newer than its table) cannot carry a rule:
 *     lsc_model_expressible() says which, and the caller expects the default
 *     action from libseccomp there (sbx gives ENOSYS, by design);
 *   - likewise 0xffffffff (libseccomp reserves -1 for tracer skips).
 * On x86_64 (native) holes and the probed numbers above the table get an
 * explicit ERRNO(ENOSYS) rule, which is what sbx's model says.
 */
#ifndef SBX_TEST_LSC_MODEL_H
#define SBX_TEST_LSC_MODEL_H

#include "seccomp.h"

/* libseccomp's <seccomp.h> has the same name as src-native/seccomp/seccomp.h,
 * which the include path finds first: the build names libseccomp's by its
 * full path (CMakeLists.txt, SBX_LIBSECCOMP_HEADER), whatever the order of
 * the include directories. */
#include SBX_LIBSECCOMP_HEADER

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct lsc_term {
	uint64_t mask[6], value[6];
};

struct lsc_region {
	struct lsc_term *t;
	size_t n, cap;
};

/* Regions bigger than this make libseccomp's program exceed the kernel's
 * 4096 instructions anyway: lsc_model_build gives up with -E2BIG. */
#define LSC_TERMS_MAX 400
static bool lsc_too_big;

static void lsc_push(struct lsc_region *r, const struct lsc_term *t)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->t = realloc(r->t, r->cap * sizeof(*r->t));
		if (!r->t)
			abort();
	}
	r->t[r->n++] = *t;
}

static bool lsc_term_and(const struct lsc_term *a, const struct lsc_term *b,
			 struct lsc_term *out)
{
	for (int i = 0; i < 6; i++) {
		if ((a->mask[i] & b->mask[i]) & (a->value[i] ^ b->value[i]))
			return false;
		out->mask[i] = a->mask[i] | b->mask[i];
		out->value[i] = (a->value[i] & a->mask[i]) | (b->value[i] & b->mask[i]);
	}
	return true;
}

/* a contains b */
static bool lsc_term_covers(const struct lsc_term *a, const struct lsc_term *b)
{
	for (int i = 0; i < 6; i++)
		if ((a->mask[i] & ~b->mask[i]) || ((b->value[i] ^ a->value[i]) & a->mask[i]))
			return false;
	return true;
}

/* Drop terms contained in another one (keeps the rule count sane). */
static void lsc_prune(struct lsc_region *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		bool dup = false;

		for (size_t j = 0; j < r->n && !dup; j++) {
			if (i == j || !lsc_term_covers(&r->t[j], &r->t[i]))
				continue;
			/* Equal terms: keep the first only. */
			dup = !lsc_term_covers(&r->t[i], &r->t[j]) || j < i;
		}
		if (!dup)
			r->t[n++] = r->t[i];
	}
	r->n = n;
}

static struct lsc_region lsc_and(const struct lsc_region *a, const struct lsc_region *b)
{
	struct lsc_region out = { 0 };
	struct lsc_term t;

	for (size_t i = 0; i < a->n && !lsc_too_big; i++) {
		for (size_t j = 0; j < b->n; j++)
			if (lsc_term_and(&a->t[i], &b->t[j], &t))
				lsc_push(&out, &t);
		if (out.n > 8 * LSC_TERMS_MAX)
			lsc_prune(&out);
		if (out.n > 8 * LSC_TERMS_MAX)
			lsc_too_big = true;
	}
	lsc_prune(&out);
	if (out.n > LSC_TERMS_MAX)
		lsc_too_big = true;
	return out;
}

static struct lsc_region lsc_any(void)
{
	struct lsc_region r = { 0 };
	struct lsc_term t = { { 0 }, { 0 } };

	lsc_push(&r, &t);
	return r;
}

static void lsc_cube(struct lsc_region *r, int arg, uint64_t mask, uint64_t value)
{
	struct lsc_term t = { { 0 }, { 0 } };

	t.mask[arg] = mask;
	t.value[arg] = value & mask;
	lsc_push(r, &t);
}

/* [lo, hi] within a `bits`-wide space, as aligned blocks. */
static void lsc_interval(struct lsc_region *r, int arg, int bits, uint64_t lo, uint64_t hi)
{
	uint64_t full = bits == 64 ? UINT64_MAX : 0xffffffffu;

	if (lo > hi)
		return;
	for (;;) {
		int k = 0;

		/* Largest aligned block starting at lo that fits in [lo, hi]. */
		while (k < bits && ((lo >> k) & 1) == 0) {
			uint64_t end = lo + ((2ull << k) - 1);

			if (k + 1 == 64 || end > hi || end < lo)
				break;
			k++;
		}
		if (k == 64) {
			lsc_cube(r, arg, 0, 0);
			return;
		}
		uint64_t size_mask = k == 0 ? 0 : ((1ull << k) - 1);
		lsc_cube(r, arg, full & ~size_mask, lo);
		if ((lo | size_mask) >= hi)
			return;
		lo = (lo | size_mask) + 1;
	}
}

static void lsc_ne(struct lsc_region *r, int arg, int bits, uint64_t v)
{
	for (int b = bits - 1; b >= 0; b--) {
		uint64_t above = (bits == 64 && b == 0) ? UINT64_MAX :
			(((bits == 64 ? UINT64_MAX : 0xffffffffu) >> b) << b);

		lsc_cube(r, arg, above, (v & above) ^ (1ull << b));
	}
}

/* The cubes where the condition holds (neg=false) or fails (neg=true). */
static struct lsc_region lsc_cond(const struct sbx_arg_cond *c, bool neg)
{
	struct lsc_region r = { 0 };
	int bits = c->low32 ? 32 : 64;
	uint64_t w = c->low32 ? 0xffffffffu : UINT64_MAX;
	uint64_t v = c->value & w;
	enum sbx_cmp_op op = c->op;

	/* masked != is the negation of masked ==. */
	if (op == SBX_CMP_MASKED_NE) {
		op = SBX_CMP_MASKED_EQ;
		neg = !neg;
	}
	if (neg) {
		switch (op) {
		case SBX_CMP_EQ: op = SBX_CMP_NE; break;
		case SBX_CMP_NE: op = SBX_CMP_EQ; break;
		case SBX_CMP_LT: op = SBX_CMP_GE; break;
		case SBX_CMP_LE: op = SBX_CMP_GT; break;
		case SBX_CMP_GT: op = SBX_CMP_LE; break;
		case SBX_CMP_GE: op = SBX_CMP_LT; break;
		default: break;
		}
	}
	switch (op) {
	case SBX_CMP_EQ: lsc_cube(&r, c->arg, w, v); break;
	case SBX_CMP_NE: lsc_ne(&r, c->arg, bits, v); break;
	case SBX_CMP_LT: if (v) lsc_interval(&r, c->arg, bits, 0, v - 1); break;
	case SBX_CMP_LE: lsc_interval(&r, c->arg, bits, 0, v); break;
	case SBX_CMP_GT: if (v != w) lsc_interval(&r, c->arg, bits, v + 1, w); break;
	case SBX_CMP_GE: lsc_interval(&r, c->arg, bits, v, w); break;
	case SBX_CMP_MASKED_EQ: {
		uint64_t m = c->mask & w;

		if (!neg) {
			if (!(v & ~m))
				lsc_cube(&r, c->arg, m, v);
		} else if (v & ~m) {
			lsc_cube(&r, c->arg, 0, 0);
		} else {
			for (int b = 0; b < 64; b++)
				if (m & (1ull << b))
					lsc_cube(&r, c->arg, 1ull << b, ~v & (1ull << b));
		}
		break;
	}
	case SBX_CMP_MASKED_NE: /* made MASKED_EQ above */
		break;
	case SBX_CMP_IN:
		if (!neg) {
			for (size_t i = 0; i < c->nset; i++)
				lsc_cube(&r, c->arg, w, c->set[i] & w);
		} else {
			r = lsc_any();
			for (size_t i = 0; i < c->nset; i++) {
				struct lsc_region ne = { 0 }, x;

				lsc_ne(&ne, c->arg, bits, c->set[i] & w);
				x = lsc_and(&r, &ne);
				free(r.t);
				free(ne.t);
				r = x;
			}
		}
		break;
	}
	return r;
}

/* Where every condition of the rule holds / where at least one fails. */
static struct lsc_region lsc_rule(const struct sbx_model_rule *rule, bool neg)
{
	struct lsc_region r = neg ? (struct lsc_region){ 0 } : lsc_any();

	for (size_t i = 0; i < rule->nconds; i++) {
		struct lsc_region c = lsc_cond(&rule->conds[i], neg);

		if (neg) {
			for (size_t j = 0; j < c.n; j++)
				lsc_push(&r, &c.t[j]);
			free(c.t);
		} else {
			struct lsc_region x = lsc_and(&r, &c);

			free(r.t);
			free(c.t);
			r = x;
		}
	}
	if (neg)
		lsc_prune(&r);
	return r;
}

/* One libseccomp call, kept so a benchmark can replay the same rules
 * without the translation's cost. */
struct lsc_rec {
	uint32_t action;
	int nr;
	unsigned n;
	struct scmp_arg_cmp cmp[6];
};

struct lsc_model {
	scmp_filter_ctx ctx;
	struct lsc_rec *rec;
	size_t nrec, reccap;
	uint32_t def_action, bad_arch_action;
	int optimize;
	uint32_t token;          /* SCMP_ARCH_* */
	bool *expressible;       /* [max_nr + 1] */
	size_t rules;            /* libseccomp rules added */
};

static int lsc_add_region(struct lsc_model *l, uint32_t action, int nr,
			  const struct lsc_region *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct scmp_arg_cmp cmp[6];
		unsigned n = 0;
		int rc;

		for (int a = 0; a < 6; a++) {
			if (!r->t[i].mask[a])
				continue;
			if (r->t[i].mask[a] == UINT64_MAX)
				cmp[n++] = (struct scmp_arg_cmp){ (unsigned)a, SCMP_CMP_EQ,
								  r->t[i].value[a], 0 };
			else
				cmp[n++] = (struct scmp_arg_cmp){ (unsigned)a, SCMP_CMP_MASKED_EQ,
								  r->t[i].mask[a], r->t[i].value[a] };
		}
		rc = seccomp_rule_add_exact_array(l->ctx, action, nr, n, cmp);
		if (rc)
			return rc;
		l->rules++;
		if (l->nrec == l->reccap) {
			l->reccap = l->reccap ? 2 * l->reccap : 64;
			l->rec = realloc(l->rec, l->reccap * sizeof(*l->rec));
			if (!l->rec)
				abort();
		}
		l->rec[l->nrec] = (struct lsc_rec){ action, nr, n, { { 0 } } };
		memcpy(l->rec[l->nrec].cmp, cmp, n * sizeof(cmp[0]));
		l->nrec++;
	}
	return 0;
}

/* The number libseccomp's API wants for `nr` of `arch` (it translates
 * native numbers by name), or INT32_MIN when it cannot name it there. */
static int lsc_api_nr(const struct sbx_filter_model *m, uint32_t token, int nr)
{
	const char *name;
	char *lname;
	int api;

	if (token == SCMP_ARCH_NATIVE || token == seccomp_arch_native())
		return nr;
	name = sbx_syscall_name(m->arch, nr);
	if (!name)
		return INT32_MIN;
	if (seccomp_syscall_resolve_name_arch(token, name) != nr)
		return INT32_MIN;
	api = seccomp_syscall_resolve_name(name);
	if (api == __NR_SCMP_ERROR)
		return INT32_MIN;
	/* Make sure the round trip lands on nr. */
	lname = seccomp_syscall_resolve_num_arch(token, nr);
	if (!lname || strcmp(lname, name)) {
		free(lname);
		return INT32_MIN;
	}
	free(lname);
	return api;
}

/*
 * Build the libseccomp filter for model m. extra_nrs: out-of-table numbers
 * the caller will probe (they get ENOSYS rules where expressible).
 * optimize: SCMP_FLTATR_CTL_OPTIMIZE (1 = priority list, 2 = binary tree).
 * Returns 0, or the failing libseccomp rc (with a message on stderr).
 */
__attribute__((unused)) static int lsc_model_build(const struct sbx_filter_model *m, int optimize,
			   const uint32_t *extra_nrs, size_t nextra, struct lsc_model *l)
{
	uint32_t def = sbx_action_ret(m->default_action);
	uint32_t enosys = SCMP_ACT_ERRNO(ENOSYS);
	int rc;

	memset(l, 0, sizeof(*l));
	lsc_too_big = false;
	l->def_action = def;
	l->bad_arch_action = sbx_action_ret(m->bad_arch_action);
	l->optimize = optimize;
	l->token = m->arch == SBX_ARCH_X86_64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_AARCH64;
	l->expressible = calloc((size_t)m->max_nr + 1, sizeof(bool));
	l->ctx = seccomp_init(def);
	if (!l->ctx || !l->expressible)
		return -ENOMEM;
	if (l->token != seccomp_arch_native()) {
		rc = seccomp_arch_add(l->ctx, l->token);
		if (!rc)
			rc = seccomp_arch_remove(l->ctx, SCMP_ARCH_NATIVE);
		if (rc)
			return rc;
	}
	rc = seccomp_attr_set(l->ctx, SCMP_FLTATR_ACT_BADARCH, sbx_action_ret(m->bad_arch_action));
	if (!rc)
		rc = seccomp_attr_set(l->ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)optimize);
	if (rc)
		return rc;
	for (int nr = 0; nr <= m->max_nr; nr++) {
		const struct sbx_model_syscall *s = &m->sys[nr];
		int api = lsc_api_nr(m, l->token, nr);
		uint32_t fallback;
		struct lsc_region rest;

		if (api == INT32_MIN)
			continue;
		if (!sbx_syscall_name(m->arch, nr)) {
			struct lsc_region any = lsc_any();

			l->expressible[nr] = true;
			rc = enosys != def ? lsc_add_region(l, enosys, api, &any) : 0;
			free(any.t);
			if (rc)
				goto fail;
			continue;
		}
		l->expressible[nr] = true;
		fallback = sbx_action_ret(s->has_base ? s->base : m->default_action);
		rest = lsc_any();
		for (size_t i = 0; i < s->nrules; i++) {
			struct lsc_region hit = lsc_rule(&s->rules[i], false);
			struct lsc_region miss = lsc_rule(&s->rules[i], true);
			struct lsc_region mine = lsc_and(&rest, &hit);
			struct lsc_region left = lsc_and(&rest, &miss);
			uint32_t a = sbx_action_ret(s->rules[i].action);

			rc = a == def || lsc_too_big ? 0 : lsc_add_region(l, a, api, &mine);
			free(hit.t);
			free(miss.t);
			free(mine.t);
			free(rest.t);
			rest = left;
			if (rc) {
				free(rest.t);
				goto fail;
			}
		}
		rc = fallback == def || lsc_too_big ? 0 : lsc_add_region(l, fallback, api, &rest);
		free(rest.t);
		if (rc)
			goto fail;
		if (lsc_too_big)
			return -E2BIG;
		continue;
fail:
		fprintf(stderr, "libseccomp: rule for %s (%d) failed: %s\n",
			sbx_syscall_name(m->arch, nr) ? sbx_syscall_name(m->arch, nr) : "hole",
			nr, strerror(-rc));
		return rc;
	}
	if (l->token == seccomp_arch_native())
		for (size_t i = 0; i < nextra; i++) {
			uint32_t nr = extra_nrs[i];

			if (nr <= (uint32_t)m->max_nr || nr >= 0x40000000u || enosys == def)
				continue;
			struct lsc_region any = lsc_any();

			rc = lsc_add_region(l, enosys, (int)nr, &any);
			free(any.t);
			if (rc && rc != -EEXIST)
				return rc;
		}
	return 0;
}

/* Whether libseccomp can carry the model's verdict for number nr. */
__attribute__((unused)) static bool lsc_model_expressible(const struct sbx_filter_model *m,
				  const struct lsc_model *l, uint32_t nr)
{
	if (nr <= (uint32_t)m->max_nr)
		return l->expressible[nr];
	if (nr == 0xffffffffu)
		return false;
	if (l->token == SCMP_ARCH_X86_64 && nr >= 0x40000000u)
		return true;           /* the x32 block: bad arch on both sides */
	return l->token == seccomp_arch_native();
}

__attribute__((unused)) static void lsc_model_free(struct lsc_model *l)
{
	if (l->ctx)
		seccomp_release(l->ctx);
	free(l->expressible);
	free(l->rec);
	memset(l, 0, sizeof(*l));
}

/* libseccomp's program, via a memfd (2.5 has no export to memory). */
__attribute__((unused)) static int lsc_export(const struct lsc_model *l, struct sock_filter **out, size_t *len)
{
	int fd = memfd_create("lsc", MFD_CLOEXEC);
	off_t size;
	int rc;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(l->ctx, fd);
	if (rc) {
		close(fd);
		return rc;
	}
	size = lseek(fd, 0, SEEK_END);
	*out = malloc((size_t)size + 1);
	if (!*out || pread(fd, *out, (size_t)size, 0) != size) {
		close(fd);
		free(*out);
		*out = NULL;
		return -EIO;
	}
	close(fd);
	*len = (size_t)size / sizeof(struct sock_filter);
	return 0;
}

/* A fresh context with the recorded rules, exported: what a libseccomp
 * user pays to go from rules to BPF. Returns the program length or -errno. */
__attribute__((unused)) static long lsc_replay(const struct lsc_model *l)
{
	scmp_filter_ctx ctx = seccomp_init(l->def_action);
	struct lsc_model tmp = { 0 };
	struct sock_filter *prog = NULL;
	size_t len = 0;
	int rc = ctx ? 0 : -ENOMEM;

	if (!rc && l->token != seccomp_arch_native()) {
		rc = seccomp_arch_add(ctx, l->token);
		if (!rc)
			rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	}
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, l->bad_arch_action);
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)l->optimize);
	for (size_t i = 0; !rc && i < l->nrec; i++)
		rc = seccomp_rule_add_exact_array(ctx, l->rec[i].action, l->rec[i].nr,
						  l->rec[i].n, l->rec[i].cmp);
	tmp.ctx = ctx;
	if (!rc)
		rc = lsc_export(&tmp, &prog, &len);
	free(prog);
	if (ctx)
		seccomp_release(ctx);
	return rc ? rc : (long)len;
}

#endif

/*
 * BPF builder: instructions with symbolic jump targets, resolved at the end.
 *
 * Trampolines go right after the conditional jump that needs them:
 *     jeq #k, FAR, next   becomes   jeq #k, 0, 1 ; ja FAR ; next...
 * Inserting one only moves code apart, never closer, so a branch that is too
 * far stays too far: the set of branches needing a trampoline only grows and
 * is bounded (two per jump), so recomputing the layout until nothing new is
 * needed reaches a fixed point. The false path executes nothing extra.
 * Shared returns (below) join the same fixed point: the copies of a `ret`
 * that must stay only grow in number too.
 */
#include "bpf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_FALLTHROUGH (-1)
#define LABEL_INVALID (-2)

/* Trampoline flags of one instruction. */
#define T_JT 1u
#define T_JF 2u

struct bb_insn {
	uint16_t code;
	uint32_t k;
	int jt;   /* label, or LABEL_FALLTHROUGH; the target of `ja` */
	int jf;
};

struct sbx_bpf_builder {
	struct bb_insn *insns;
	size_t len, cap;
	long *label_pos;  /* instruction index a label is bound to, or -1 */
	size_t nlabels, label_cap;
	int oom;
	int share_rets;   /* sbx_bpf_share_rets() */
	int bad;          /* first misuse, reported by finish */
	char bad_msg[200];
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return -1;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static void misuse(struct sbx_bpf_builder *b, const char *fmt, ...)
{
	va_list ap;

	if (b->bad)
		return;
	b->bad = 1;
	va_start(ap, fmt);
	vsnprintf(b->bad_msg, sizeof(b->bad_msg), fmt, ap);
	va_end(ap);
}

struct sbx_bpf_builder *sbx_bpf_builder_new(void)
{
	return calloc(1, sizeof(struct sbx_bpf_builder));
}

void sbx_bpf_builder_free(struct sbx_bpf_builder *b)
{
	if (!b)
		return;
	free(b->insns);
	free(b->label_pos);
	free(b);
}

sbx_bpf_label_t sbx_bpf_label(struct sbx_bpf_builder *b)
{
	if (!b)
		return LABEL_INVALID;
	if (b->nlabels >= (size_t)INT32_MAX ||
	    grow((void **)&b->label_pos, &b->label_cap, b->nlabels + 1,
		 sizeof(*b->label_pos))) {
		b->oom = 1;
		return LABEL_INVALID;
	}
	b->label_pos[b->nlabels] = -1;
	return (sbx_bpf_label_t)b->nlabels++;
}

static int label_ok(const struct sbx_bpf_builder *b, sbx_bpf_label_t l)
{
	return l >= 0 && (size_t)l < b->nlabels;
}

void sbx_bpf_bind(struct sbx_bpf_builder *b, sbx_bpf_label_t l)
{
	if (!b)
		return;
	if (!label_ok(b, l)) {
		if (!b->oom)
			misuse(b, "bind of an invalid label %d", l);
		return;
	}
	if (b->label_pos[l] >= 0) {
		misuse(b, "label %d is bound twice", l);
		return;
	}
	b->label_pos[l] = (long)b->len;
}

static void emit(struct sbx_bpf_builder *b, uint16_t code, uint32_t k, int jt,
		 int jf)
{
	if (grow((void **)&b->insns, &b->cap, b->len + 1, sizeof(*b->insns))) {
		b->oom = 1;
		return;
	}
	b->insns[b->len++] = (struct bb_insn){ code, k, jt, jf };
}

static int is_cond_jump(uint16_t code)
{
	if (BPF_CLASS(code) != BPF_JMP)
		return 0;
	switch (BPF_OP(code)) {
	case BPF_JEQ:
	case BPF_JGT:
	case BPF_JGE:
	case BPF_JSET:
		return 1;
	}
	return 0;
}

void sbx_bpf_stmt(struct sbx_bpf_builder *b, uint16_t code, uint32_t k)
{
	if (!b)
		return;
	if (BPF_CLASS(code) == BPF_JMP) {
		misuse(b, "instruction %zu: jump code 0x%04x given to sbx_bpf_stmt",
		       b->len, code);
		return;
	}
	emit(b, code, k, LABEL_FALLTHROUGH, LABEL_FALLTHROUGH);
}

static int check_target(struct sbx_bpf_builder *b, sbx_bpf_label_t l)
{
	if (l == LABEL_FALLTHROUGH || label_ok(b, l))
		return 1;
	if (!b->oom)
		misuse(b, "instruction %zu: jump to an invalid label %d", b->len, l);
	return 0;
}

void sbx_bpf_jump(struct sbx_bpf_builder *b, uint16_t code, uint32_t k,
		  sbx_bpf_label_t jt, sbx_bpf_label_t jf)
{
	if (!b)
		return;
	if (!is_cond_jump(code) || code > 0xff) {
		misuse(b, "instruction %zu: 0x%04x is not a conditional jump",
		       b->len, code);
		return;
	}
	if (!check_target(b, jt) || !check_target(b, jf))
		return;
	emit(b, code, k, jt, jf);
}

void sbx_bpf_ja(struct sbx_bpf_builder *b, sbx_bpf_label_t target)
{
	if (!b)
		return;
	if (!check_target(b, target))
		return;
	emit(b, BPF_JMP | BPF_JA, 0, target, LABEL_FALLTHROUGH);
}

size_t sbx_bpf_len(const struct sbx_bpf_builder *b)
{
	return b ? b->len : 0;
}

void sbx_bpf_share_rets(struct sbx_bpf_builder *b)
{
	if (b)
		b->share_rets = 1;
}

/* Number of trampolines after instruction i, given its flags: a branch with
 * both arms going to the same far place needs only one. */
static size_t ntramp(const struct bb_insn *in, unsigned flags)
{
	if (flags == (T_JT | T_JF) && in->jt == in->jf)
		return 1;
	return (flags & T_JT ? 1 : 0) + (flags & T_JF ? 1 : 0);
}

/* Index of the original instruction a jump arm goes to. */
static size_t arm_target(const struct sbx_bpf_builder *b, size_t i, int label)
{
	return label == LABEL_FALLTHROUGH ? i + 1 : (size_t)b->label_pos[label];
}

/* Arms of instruction i: 2 for a conditional jump, 1 for `ja`, else 0. */
static int narms(const struct bb_insn *in)
{
	return is_cond_jump(in->code) ? 2 : in->code == (BPF_JMP | BPF_JA) ? 1 : 0;
}

/* Every label a jump uses is bound, forward, and to a real instruction. */
static int check_labels(const struct sbx_bpf_builder *b, struct sbx_error *err)
{
	for (size_t i = 0; i < b->len; i++) {
		const struct bb_insn *in = &b->insns[i];
		int arms[2] = { in->jt, in->jf };

		for (int a = 0; a < narms(in); a++) {
			long pos;

			if (arms[a] == LABEL_FALLTHROUGH) {
				if (i + 1 >= b->len)
					return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
						"instruction %zu: falls through past the end of the program", i);
				continue;
			}
			pos = b->label_pos[arms[a]];
			if (pos < 0)
				return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
					"instruction %zu: jump to label %d, which is never bound",
					i, arms[a]);
			if ((size_t)pos <= i)
				return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
					"instruction %zu: jump to label %d bound before it (at %ld); BPF jumps only forward",
					i, arms[a], pos);
			if ((size_t)pos >= b->len)
				return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
					"instruction %zu: jump to label %d, bound after the last instruction",
					i, arms[a]);
		}
	}
	return 0;
}

/*
 * Shared returns (sbx_bpf_share_rets). `ret K` is stateless, so an arm that
 * goes to one may go to any `ret K` further on: each arm aimed at a `ret K`
 * is resolved to the nearest `ret K` after its jump that stays in the
 * program, and a `ret K` that only jumps reach (the instruction before it
 * never runs into it) may be dropped. Dropping only ever happens where every
 * such arm still reaches a kept copy directly (255 instructions for a
 * conditional one): an arm that cannot is not given a trampoline, instead
 * the nearest `ret K` after it is kept. Starting from "drop every candidate"
 * and going from the end backwards, the copy kept for an arm is the first
 * after it, so that it serves as many arms before it as it can. Compared
 * with the plain layout every arm goes to the same place or an equivalent
 * nearer one over fewer instructions: no trampoline is added, none executes
 * that did not before, the program only shrinks.
 */
#define S_CAND 1u   /* a `ret K` that may be dropped */
#define S_KEPT 2u   /* ... but an arm needs it */
#define NONE SIZE_MAX

struct resolve {
	unsigned char *flags;  /* trampolines (T_JT, T_JF) of each instruction */
	unsigned char *share;  /* S_CAND, S_KEPT */
	size_t *pos;           /* [len + 1] final position of each instruction */
	size_t *tgt;           /* [2 * len] resolved target of each arm */
	size_t *vid;           /* value id of each `ret K`, or NONE */
	size_t *near;          /* [nvals] per value: nearest kept `ret K` */
	size_t *near_any;      /* [nvals] per value: nearest `ret K`, kept or not */
	size_t nvals;
};

static int dropped(const struct resolve *r, size_t i)
{
	return r->share[i] == S_CAND;
}

static int flows_into_next(uint16_t code)
{
	return BPF_CLASS(code) != BPF_RET && BPF_CLASS(code) != BPF_JMP;
}

struct ret_val {
	uint32_t k;
	size_t i;
};

static int cmp_ret_val(const void *a, const void *b)
{
	const struct ret_val *x = a, *y = b;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static int reads_scratch(const struct sbx_bpf_builder *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->insns[i].code == (BPF_LD | BPF_MEM) ||
		    b->insns[i].code == (BPF_LDX | BPF_MEM))
			return 1;
	return 0;
}

/* Value ids of the `ret K` instructions, and which of them may be dropped:
 * some jump goes there, and the instruction before cannot run into it.
 * A program that reads scratch memory is left as it is: the kernel's check
 * of scratch reads (check_load_and_stores) lets the state at a `ret` flow on
 * into the next instruction, so more jumps into a `ret`, or one taken out,
 * could make it refuse what follows. The seccomp compiler never uses
 * scratch memory. */
static int find_candidates(const struct sbx_bpf_builder *b, struct resolve *r)
{
	struct ret_val *v;
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		r->vid[i] = NONE;
	if (!b->share_rets || reads_scratch(b))
		return 0;
	v = malloc(b->len * sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = 0; i < b->len; i++)
		if (b->insns[i].code == (BPF_RET | BPF_K))
			v[n++] = (struct ret_val){ b->insns[i].k, i };
	qsort(v, n, sizeof(*v), cmp_ret_val);
	for (size_t j = 0; j < n; j++) {
		if (j && v[j].k != v[j - 1].k)
			r->nvals++;
		r->vid[v[j].i] = r->nvals;
	}
	if (n)
		r->nvals++;
	free(v);
	for (size_t i = 0; i < b->len; i++) {
		const struct bb_insn *in = &b->insns[i];
		int arms[2] = { in->jt, in->jf };

		for (int a = 0; a < narms(in); a++) {
			size_t t = arm_target(b, i, arms[a]);

			if (r->vid[t] != NONE && !flows_into_next(b->insns[t - 1].code))
				r->share[t] = S_CAND;
		}
	}
	return 0;
}

/* One pass: positions from the current choices, then every arm resolved
 * and checked, from the end backwards. Sets the trampolines newly needed and
 * keeps the copies of `ret` newly needed; returns whether anything changed.
 * Positions are not updated within the pass: a copy kept on the way makes
 * what follows it one further, so distances measured in this pass may be
 * short, never long. A trampoline is only added for a distance over 255
 * (still true), and an arm that a kept copy has pushed out of reach is seen
 * in the next pass. */
static int layout(const struct sbx_bpf_builder *b, struct resolve *r)
{
	int changed = 0;

	r->pos[0] = 0;
	for (size_t i = 0; i < b->len; i++)
		r->pos[i + 1] = r->pos[i] +
			(dropped(r, i) ? 0 : 1 + ntramp(&b->insns[i], r->flags[i]));
	for (size_t v = 0; v < r->nvals; v++)
		r->near[v] = r->near_any[v] = NONE;
	/* Backwards, so that near[] holds what comes after instruction i. */
	for (size_t i = b->len; i-- > 0;) {
		const struct bb_insn *in = &b->insns[i];
		int arms[2] = { in->jt, in->jf };
		bool cond = is_cond_jump(in->code);

		for (int a = 0; a < narms(in); a++) {
			size_t t = arm_target(b, i, arms[a]);
			unsigned bit = a ? T_JF : T_JT;

			if (r->vid[t] != NONE) {
				size_t v = r->vid[t], k = r->near[v];

				if ((k == NONE || (cond && r->pos[k] - r->pos[i] - 1 > 255)) &&
				    dropped(r, r->near_any[v])) {
					/* Keep the nearest copy rather than add a jump;
					 * it serves the arms before it too. */
					k = r->near_any[v];
					r->share[k] |= S_KEPT;
					r->near[v] = k;
					changed = 1;
				}
				/* Else k is the nearest copy of all: when even that
				 * is too far, so is the plain layout's own target. */
				t = k;
			}
			r->tgt[2 * i + a] = t;
			if (cond && !(r->flags[i] & bit) && r->pos[t] - r->pos[i] - 1 > 255) {
				r->flags[i] |= bit;
				changed = 1;
			}
		}
		if (r->vid[i] != NONE) {
			r->near_any[r->vid[i]] = i;
			if (!dropped(r, i))
				r->near[r->vid[i]] = i;
		}
	}
	return changed;
}

static void put(struct sock_filter *o, uint16_t code, uint8_t jt, uint8_t jf,
		uint32_t k)
{
	*o = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
}

static void emit_final(const struct sbx_bpf_builder *b, const struct resolve *r,
		       struct sock_filter *out)
{
	const size_t *pos = r->pos;

	for (size_t i = 0; i < b->len; i++) {
		const struct bb_insn *in = &b->insns[i];
		struct sock_filter *o = &out[pos[i]];
		unsigned flags = r->flags[i];
		size_t t, f;

		if (dropped(r, i))
			continue;
		if (!narms(in)) {
			put(o, in->code, 0, 0, in->k);
			continue;
		}
		t = pos[r->tgt[2 * i]];
		if (in->code == (BPF_JMP | BPF_JA)) {
			put(o, in->code, 0, 0, (uint32_t)(t - pos[i] - 1));
			continue;
		}
		f = pos[r->tgt[2 * i + 1]];
		if (ntramp(in, flags) == 1 && flags == (T_JT | T_JF)) {
			put(o, in->code, 0, 0, in->k);
			put(o + 1, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(t - pos[i] - 2));
		} else {
			size_t next = pos[i] + 1;  /* next trampoline slot */
			uint8_t jt, jf;

			if (flags & T_JT) {
				jt = (uint8_t)(next - pos[i] - 1);
				put(&out[next], BPF_JMP | BPF_JA, 0, 0,
				    (uint32_t)(t - next - 1));
				next++;
			} else {
				jt = (uint8_t)(t - pos[i] - 1);
			}
			if (flags & T_JF) {
				jf = (uint8_t)(next - pos[i] - 1);
				put(&out[next], BPF_JMP | BPF_JA, 0, 0,
				    (uint32_t)(f - next - 1));
			} else {
				jf = (uint8_t)(f - pos[i] - 1);
			}
			put(o, in->code, jt, jf, in->k);
		}
	}
}

static void resolve_free(struct resolve *r)
{
	free(r->flags);
	free(r->share);
	free(r->pos);
	free(r->tgt);
	free(r->vid);
	free(r->near);
	free(r->near_any);
}

int sbx_bpf_finish(struct sbx_bpf_builder *b, struct sock_filter **out,
		   size_t *len, struct sbx_error *err)
{
	struct resolve r = { 0 };
	struct sock_filter *prog = NULL;
	size_t n;
	int rc;

	*out = NULL;
	*len = 0;
	if (!b || b->oom)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory while building the BPF program");
	if (b->bad)
		return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL, "%s", b->bad_msg);
	if (b->len == 0)
		return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
				     "the BPF program is empty");
	rc = check_labels(b, err);
	if (rc)
		return rc;

	r.flags = calloc(b->len, 1);
	r.share = calloc(b->len, 1);
	r.pos = calloc(b->len + 1, sizeof(*r.pos));
	r.tgt = calloc(2 * b->len, sizeof(*r.tgt));
	r.vid = calloc(b->len, sizeof(*r.vid));
	/* At most one value per instruction. */
	r.near = calloc(b->len, sizeof(*r.near));
	r.near_any = calloc(b->len, sizeof(*r.near_any));
	if (!r.flags || !r.share || !r.pos || !r.tgt || !r.vid || !r.near ||
	    !r.near_any || find_candidates(b, &r)) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				   "out of memory while resolving BPF jumps");
		goto out;
	}
	while (layout(b, &r))
		;
	n = r.pos[b->len];
	if (n > SBX_BPF_MAX_INSNS) {
		rc = sbx_error_set(err, SBX_EPROGRAM, E2BIG, NULL,
				   "program is %zu instructions, the kernel's limit is %d",
				   n, SBX_BPF_MAX_INSNS);
		goto out;
	}
	prog = calloc(n, sizeof(*prog));
	if (!prog) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				   "out of memory while emitting the BPF program");
		goto out;
	}
	emit_final(b, &r, prog);
	rc = sbx_bpf_verify(prog, n, err);
	if (rc)
		goto out;
	*out = prog;
	*len = n;
	prog = NULL;
out:
	free(prog);
	resolve_free(&r);
	return rc;
}

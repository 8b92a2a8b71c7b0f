/*
 * BPF builder: instructions with symbolic jump targets, resolved at the end.
 *
 * Trampolines go right after the conditional jump that needs them:
 *     jeq #k, FAR, next   becomes   jeq #k, 0, 1 ; ja FAR ; next...
 * Inserting one only moves code apart, never closer, so a branch that is too
 * far stays too far: the set of branches needing a trampoline only grows and
 * is bounded (two per jump), so recomputing the layout until nothing new is
 * needed reaches a fixed point. The false path executes nothing extra.
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

/* Every label a jump uses is bound, forward, and to a real instruction. */
static int check_labels(const struct sbx_bpf_builder *b, struct sbx_error *err)
{
	for (size_t i = 0; i < b->len; i++) {
		const struct bb_insn *in = &b->insns[i];
		int arms[2] = { in->jt, in->jf };
		int narms = is_cond_jump(in->code) ? 2 :
			    in->code == (BPF_JMP | BPF_JA) ? 1 : 0;

		for (int a = 0; a < narms; a++) {
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

/* Positions of the original instructions once trampolines are inserted;
 * pos[len] is the total length. Returns whether any new flag was set. */
static int layout(const struct sbx_bpf_builder *b, unsigned char *flags,
		  size_t *pos)
{
	int changed = 0;

	pos[0] = 0;
	for (size_t i = 0; i < b->len; i++)
		pos[i + 1] = pos[i] + 1 + ntramp(&b->insns[i], flags[i]);
	for (size_t i = 0; i < b->len; i++) {
		const struct bb_insn *in = &b->insns[i];

		if (!is_cond_jump(in->code))
			continue;
		if (!(flags[i] & T_JT) &&
		    pos[arm_target(b, i, in->jt)] - pos[i] - 1 > 255) {
			flags[i] |= T_JT;
			changed = 1;
		}
		if (!(flags[i] & T_JF) &&
		    pos[arm_target(b, i, in->jf)] - pos[i] - 1 > 255) {
			flags[i] |= T_JF;
			changed = 1;
		}
	}
	return changed;
}

static void put(struct sock_filter *o, uint16_t code, uint8_t jt, uint8_t jf,
		uint32_t k)
{
	*o = (struct sock_filter){ .code = code, .jt = jt, .jf = jf, .k = k };
}

static void emit_final(const struct sbx_bpf_builder *b, const unsigned char *flags,
		       const size_t *pos, struct sock_filter *out)
{
	for (size_t i = 0; i < b->len; i++) {
		const struct bb_insn *in = &b->insns[i];
		struct sock_filter *o = &out[pos[i]];
		size_t t = pos[arm_target(b, i, in->jt)];
		size_t f = pos[arm_target(b, i, in->jf)];

		if (in->code == (BPF_JMP | BPF_JA)) {
			put(o, in->code, 0, 0, (uint32_t)(t - pos[i] - 1));
		} else if (!is_cond_jump(in->code)) {
			put(o, in->code, 0, 0, in->k);
		} else if (ntramp(in, flags[i]) == 1 && flags[i] == (T_JT | T_JF)) {
			put(o, in->code, 0, 0, in->k);
			put(o + 1, BPF_JMP | BPF_JA, 0, 0, (uint32_t)(t - pos[i] - 2));
		} else {
			size_t next = pos[i] + 1;  /* next trampoline slot */
			uint8_t jt, jf;

			if (flags[i] & T_JT) {
				jt = (uint8_t)(next - pos[i] - 1);
				put(&out[next], BPF_JMP | BPF_JA, 0, 0,
				    (uint32_t)(t - next - 1));
				next++;
			} else {
				jt = (uint8_t)(t - pos[i] - 1);
			}
			if (flags[i] & T_JF) {
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

int sbx_bpf_finish(struct sbx_bpf_builder *b, struct sock_filter **out,
		   size_t *len, struct sbx_error *err)
{
	unsigned char *flags = NULL;
	size_t *pos = NULL;
	struct sock_filter *prog = NULL;
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

	flags = calloc(b->len, 1);
	pos = calloc(b->len + 1, sizeof(*pos));
	if (!flags || !pos) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				   "out of memory while resolving BPF jumps");
		goto out;
	}
	while (layout(b, flags, pos))
		;
	if (pos[b->len] > SBX_BPF_MAX_INSNS) {
		rc = sbx_error_set(err, SBX_EPROGRAM, E2BIG, NULL,
				   "program is %zu instructions, the kernel's limit is %d",
				   pos[b->len], SBX_BPF_MAX_INSNS);
		goto out;
	}
	prog = calloc(pos[b->len], sizeof(*prog));
	if (!prog) {
		rc = sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				   "out of memory while emitting the BPF program");
		goto out;
	}
	emit_final(b, flags, pos, prog);
	rc = sbx_bpf_verify(prog, pos[b->len], err);
	if (rc)
		goto out;
	*out = prog;
	*len = pos[b->len];
	prog = NULL;
out:
	free(prog);
	free(flags);
	free(pos);
	return rc;
}

/*
 * libFuzzer target for the BPF builder: the input is a sequence of builder
 * operations. Whenever sbx_bpf_finish() succeeds, the program must verify,
 * disassemble, and compute for random seccomp_data exactly what the same
 * operations mean with symbolic labels (evaluated here without any offsets),
 * so a wrong jump offset or a misplaced trampoline is a crash. The same
 * operations are replayed into a builder that shares returns
 * (sbx_bpf_share_rets): its program must compute the same, be no longer,
 * and never run more instructions than the plain one.
 */
#include "bpf.h"
#include "bpf_interp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPS 8192
#define MAX_LABELS 16

struct op {
	uint16_t code;
	uint32_t k;
	int jt, jf;   /* labels (or -1) for jumps */
};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t word(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | byte(in);
	return v;
}

/* Statements seccomp accepts, plus a few it does not (the builder must then
 * fail, never hand out a bad program). */
static const uint16_t stmts[] = {
	BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_IMM,
	BPF_LDX | BPF_IMM, BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_MEM,
	BPF_LDX | BPF_MEM, BPF_ST, BPF_STX, BPF_MISC | BPF_TAX,
	BPF_MISC | BPF_TXA, BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X,
	BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X,
	BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_OR | BPF_X,
	BPF_ALU | BPF_XOR | BPF_K, BPF_ALU | BPF_LSH | BPF_K,
	BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG, BPF_RET | BPF_K,
	BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_LD | BPF_H | BPF_ABS,
	BPF_ALU | BPF_MOD | BPF_K,
};

static const uint16_t jumps[] = {
	BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
	BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X,
	BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X,
	BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
};

static uint32_t small_k(uint16_t code, uint32_t w)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
		return (w & 0xf) * 4 + (w >> 31);   /* mostly aligned, in range */
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		return w % 17;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_K:
		return w % 33;
	}
	return w;
}

/* The meaning of the operations with symbolic labels: no offsets involved.
 * Returns 0 for division by a zero X, as the kernel does. */
static uint32_t eval(const struct op *ops, size_t nops, const long *label_pos,
		     const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, m[16] = { 0 };
	size_t pc = 0;

	while (pc < nops) {
		const struct op *o = &ops[pc];
		int taken;
		uint32_t src = BPF_SRC(o->code) == BPF_X ? x : o->k;

		if (BPF_CLASS(o->code) == BPF_JMP) {
			if (BPF_OP(o->code) == BPF_JA) {
				pc = o->jt < 0 ? pc + 1 : (size_t)label_pos[o->jt];
				continue;
			}
			switch (BPF_OP(o->code)) {
			case BPF_JEQ: taken = a == src; break;
			case BPF_JGT: taken = a > src; break;
			case BPF_JGE: taken = a >= src; break;
			default: taken = (a & src) != 0; break;
			}
			int l = taken ? o->jt : o->jf;
			pc = l < 0 ? pc + 1 : (size_t)label_pos[l];
			continue;
		}
		switch (o->code) {
		case BPF_LD | BPF_W | BPF_ABS: memcpy(&a, (const char *)d + o->k, 4); break;
		case BPF_LD | BPF_IMM: a = o->k; break;
		case BPF_LDX | BPF_IMM: x = o->k; break;
		case BPF_LD | BPF_W | BPF_LEN: a = 64; break;
		case BPF_LD | BPF_MEM: a = m[o->k]; break;
		case BPF_LDX | BPF_MEM: x = m[o->k]; break;
		case BPF_ST: m[o->k] = a; break;
		case BPF_STX: m[o->k] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_NEG: a = -a; break;
		case BPF_ALU | BPF_ADD | BPF_K:
		case BPF_ALU | BPF_ADD | BPF_X: a += src; break;
		case BPF_ALU | BPF_SUB | BPF_X: a -= src; break;
		case BPF_ALU | BPF_MUL | BPF_K: a *= src; break;
		case BPF_ALU | BPF_DIV | BPF_K:
		case BPF_ALU | BPF_DIV | BPF_X:
			if (!src)
				return 0;
			a /= src;
			break;
		case BPF_ALU | BPF_AND | BPF_K: a &= src; break;
		case BPF_ALU | BPF_OR | BPF_X: a |= src; break;
		case BPF_ALU | BPF_XOR | BPF_K: a ^= src; break;
		case BPF_ALU | BPF_LSH | BPF_K: a <<= src; break;
		case BPF_ALU | BPF_RSH | BPF_X: a >>= (src & 31); break;
		case BPF_RET | BPF_K: return o->k;
		case BPF_RET | BPF_A: return a;
		default: abort();  /* the verifier let an unknown op through */
		}
		pc++;
	}
	abort();  /* fell off the end of a verified program */
}

/* The operations again, binds at the recorded places, returns shared. */
static struct sbx_bpf_builder *replay_shared(const struct op *ops, size_t nops,
					     const long *label_pos, int nlabels)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();

	if (!b)
		return NULL;
	sbx_bpf_share_rets(b);
	for (int l = 0; l < nlabels; l++)
		sbx_bpf_label(b);
	for (size_t i = 0; i <= nops; i++) {
		for (int l = 0; l < nlabels; l++)
			if (label_pos[l] == (long)i)
				sbx_bpf_bind(b, l);
		if (i == nops)
			break;
		if (ops[i].code == (BPF_JMP | BPF_JA))
			sbx_bpf_ja(b, ops[i].jt);
		else if (BPF_CLASS(ops[i].code) == BPF_JMP)
			sbx_bpf_jump(b, ops[i].code, ops[i].k, ops[i].jt, ops[i].jf);
		else
			sbx_bpf_stmt(b, ops[i].code, ops[i].k);
	}
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct op ops[MAX_OPS];
	struct input in = { data, size };
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	sbx_bpf_label_t labels[MAX_LABELS];
	long label_pos[MAX_LABELS];
	int nlabels = 0;
	size_t nops = 0;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len = 0;
	int bad = 0;  /* an operation the builder must refuse */

	if (!b)
		return 0;
	while (in.n > 8 && nops < MAX_OPS - 256 && !bad) {
		uint8_t what = byte(&in);

		switch (what % 6) {
		case 0: {
			uint16_t code = stmts[byte(&in) % (sizeof(stmts) / sizeof(stmts[0]))];
			uint32_t k = small_k(code, word(&in));

			sbx_bpf_stmt(b, code, k);
			ops[nops++] = (struct op){ code, k, -1, -1 };
			break;
		}
		case 1: {
			uint16_t code = jumps[byte(&in) % (sizeof(jumps) / sizeof(jumps[0]))];
			uint8_t t = byte(&in), f = byte(&in);
			int jt = nlabels && t % 4 ? labels[t % nlabels] : -1;
			int jf = nlabels && f % 4 ? labels[f % nlabels] : -1;
			uint32_t k = word(&in) % 64;

			sbx_bpf_jump(b, code, k, jt, jf);
			ops[nops++] = (struct op){ code, k, jt, jf };
			break;
		}
		case 2: {
			uint8_t t = byte(&in);
			int l = nlabels ? labels[t % nlabels] : -1;

			sbx_bpf_ja(b, l);
			ops[nops++] = (struct op){ BPF_JMP | BPF_JA, 0, l, -1 };
			break;
		}
		case 3:
			if (nlabels < MAX_LABELS) {
				labels[nlabels] = sbx_bpf_label(b);
				if (labels[nlabels] != nlabels)
					abort();  /* fresh builder: 0, 1, 2, ... */
				label_pos[nlabels] = -1;
				nlabels++;
			}
			break;
		case 4:
			if (nlabels) {
				int l = labels[byte(&in) % nlabels];

				sbx_bpf_bind(b, l);
				if (label_pos[l] >= 0)
					bad = 1;
				else
					label_pos[l] = (long)nops;
			}
			break;
		case 5: {
			/* a run of harmless statements: distance without input */
			size_t run = (size_t)byte(&in) * 2;

			for (size_t i = 0; i < run && nops < MAX_OPS - 1; i++) {
				sbx_bpf_stmt(b, BPF_LDX | BPF_IMM, (uint32_t)i);
				ops[nops++] = (struct op){ BPF_LDX | BPF_IMM, (uint32_t)i, -1, -1 };
			}
			break;
		}
		}
	}
	if (sbx_bpf_len(b) != nops)
		abort();
	int rc = sbx_bpf_finish(b, &prog, &len, &err);
	sbx_bpf_builder_free(b);
	struct sock_filter *sprog = NULL;
	size_t slen = 0;
	int src = -1;
	if (!bad) {
		struct sbx_bpf_builder *sb = replay_shared(ops, nops, label_pos, nlabels);

		if (!sb)
			return 0;
		src = sbx_bpf_finish(sb, &sprog, &slen, &err);
		sbx_bpf_builder_free(sb);
		/* Sharing only shortens: what fits plain fits shared. */
		if ((rc == 0 && src != 0) || (src == 0 && (slen > SBX_BPF_MAX_INSNS ||
							   sbx_bpf_verify(sprog, slen, &err) != 0)))
			abort();
		if (src != 0 && sprog)
			abort();
	}
	if (rc != 0) {
		if (prog || (err.code != SBX_EPROGRAM && err.code != SBX_ENOMEM))
			abort();
		len = 0;
	} else if (bad || len < nops || len > SBX_BPF_MAX_INSNS ||
		   sbx_bpf_verify(prog, len, &err) != 0) {
		abort();
	}
	if (rc == 0 && src == 0 && slen > len)
		abort();

	char *text = NULL;
	if (rc == 0 && sbx_bpf_disasm(prog, len, sbx_arch_native(), &text, &err) == 0)
		free(text);
	if (src == 0 && sbx_bpf_disasm(sprog, slen, sbx_arch_native(), &text, &err) == 0)
		free(text);

	/* Random seccomp_data from a seed in the input's last bytes. */
	uint32_t seed = 2166136261u;
	for (size_t i = 0; i < size && i < 16; i++)
		seed = (seed ^ data[size - 1 - i]) * 16777619u;
	for (int round = 0; round < 8 && (rc == 0 || src == 0); round++) {
		struct seccomp_data d;
		uint32_t w[16];
		size_t executed = 0, sexecuted = 0;

		for (int i = 0; i < 16; i++) {
			seed = seed * 1103515245u + 12345u;
			w[i] = round & 1 ? seed >> 26 : seed;  /* small values hit jeq */
		}
		memcpy(&d, w, sizeof(d));
		uint32_t want = eval(ops, nops, label_pos, &d);
		if (rc == 0) {
			uint32_t got = sbx_bpf_run(prog, len, &d, &executed);
			if (got != want || executed == 0 || executed > len) {
				fprintf(stderr, "mismatch: resolved %#x, symbolic %#x\n", got, want);
				abort();
			}
		}
		if (src == 0) {
			uint32_t got = sbx_bpf_run(sprog, slen, &d, &sexecuted);
			if (got != want || sexecuted == 0 || sexecuted > slen ||
			    (rc == 0 && sexecuted > executed)) {
				fprintf(stderr, "shared: %#x after %zu instructions, symbolic %#x, plain ran %zu\n",
					got, sexecuted, want, executed);
				abort();
			}
		}
	}
	free(prog);
	free(sprog);
	return 0;
}

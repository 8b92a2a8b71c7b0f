/*
 * Verifier for seccomp BPF. It accepts exactly what the kernel accepts
 * (bpf_check_classic in net/core/filter.c, then seccomp_check_filter in
 * kernel/seccomp.c) so that a compiled program never fails at install time,
 * when it is too late to report a useful error.
 */
#include "bpf.h"

#include <errno.h>

#define SBX_BPF_MEMWORDS 16

static int bad(struct sbx_error *err, size_t pc, const char *why, uint16_t code,
	       uint32_t k)
{
	return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
			     "BPF instruction %zu (code 0x%04x, k %u): %s", pc,
			     code, k, why);
}

/* The opcodes seccomp lets through, with the checks each one needs. */
static int check_insn(const struct sock_filter *in, size_t pc, size_t len,
		      struct sbx_error *err)
{
	uint16_t code = in->code;
	uint32_t k = in->k;

	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
		if (k >= SBX_SD_SIZE)
			return bad(err, pc, "load beyond struct seccomp_data", code, k);
		if (k & 3)
			return bad(err, pc, "load offset not 4-byte aligned", code, k);
		return 0;
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_ALU | BPF_NEG:
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
		return 0;
	case BPF_ALU | BPF_DIV | BPF_K:
		if (k == 0)
			return bad(err, pc, "division by constant zero", code, k);
		return 0;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		if (k >= 32)
			return bad(err, pc, "shift by 32 or more", code, k);
		return 0;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (k >= SBX_BPF_MEMWORDS)
			return bad(err, pc, "scratch memory index beyond M[15]", code, k);
		return 0;
	case BPF_JMP | BPF_JA:
		if (k >= len - pc - 1)
			return bad(err, pc, "jump target beyond the end of the program",
				   code, k);
		return 0;
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		if (pc + in->jt + 1 >= len || pc + in->jf + 1 >= len)
			return bad(err, pc, "jump target beyond the end of the program",
				   code, k);
		return 0;
	}
	if (BPF_CLASS(code) == BPF_LD || BPF_CLASS(code) == BPF_LDX)
		return bad(err, pc,
			   "load mode not allowed in seccomp (only 32-bit absolute, immediate, scratch, length)",
			   code, k);
	return bad(err, pc, "instruction not allowed in seccomp", code, k);
}

/*
 * Scratch cells must be written before they are read on every path. Jumps
 * only go forward, so one pass suffices: each instruction's set of written
 * cells is the intersection over the ways into it. As in the kernel, the
 * state after a RET still flows into the next instruction (conservative).
 */
static int check_scratch(const struct sock_filter *insns, size_t len,
			 struct sbx_error *err)
{
	uint16_t masks[SBX_BPF_MAX_INSNS];
	uint16_t valid = 0;

	for (size_t pc = 0; pc < len; pc++)
		masks[pc] = 0xffff;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &insns[pc];

		valid &= masks[pc];
		switch (in->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= (uint16_t)(1u << in->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << in->k)))
				return bad(err, pc,
					   "scratch memory read before it is written on some path",
					   in->code, in->k);
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + in->k] &= valid;
			valid = 0xffff;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_X:
			masks[pc + 1 + in->jt] &= valid;
			masks[pc + 1 + in->jf] &= valid;
			valid = 0xffff;
			break;
		}
	}
	return 0;
}

int sbx_bpf_verify(const struct sock_filter *insns, size_t len,
		   struct sbx_error *err)
{
	int rc;

	if (len == 0 || !insns)
		return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
				     "the BPF program is empty");
	if (len > SBX_BPF_MAX_INSNS)
		return sbx_error_set(err, SBX_EPROGRAM, EINVAL, NULL,
				     "program is %zu instructions, the kernel's limit is %d",
				     len, SBX_BPF_MAX_INSNS);
	for (size_t pc = 0; pc < len; pc++) {
		rc = check_insn(&insns[pc], pc, len, err);
		if (rc)
			return rc;
	}
	/* Jumps are forward and in range, so a RET at the end means every path
	 * ends in a RET. */
	if (insns[len - 1].code != (BPF_RET | BPF_K) &&
	    insns[len - 1].code != (BPF_RET | BPF_A))
		return bad(err, len - 1, "the last instruction is not a RET",
			   insns[len - 1].code, insns[len - 1].k);
	return check_scratch(insns, len, err);
}

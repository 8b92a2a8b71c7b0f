/* What a seccomp program answers for a system call number whatever its
 * arguments (bpf.h): the question the self door and the spawn server ask
 * before loading a filter while their own code still has calls to make. */
#include "bpf.h"

#include <linux/seccomp.h>

/*
 * The program is followed with only the architecture and the number known,
 * as the kernel's own action cache does (seccomp_is_const_allow()): a path
 * that loads anything else (an argument, the instruction pointer) or uses an
 * instruction not listed here means "not known", i.e. no. cBPF jumps only
 * forward, so the walk ends.
 */
bool sbx_bpf_const_ret(const struct sock_filter *prog, size_t len, uint32_t arch, uint32_t nr,
		       uint32_t *ret)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k == 0)          /* seccomp_data.nr   */
				a = nr;
			else if (f->k == 4)     /* seccomp_data.arch */
				a = arch;
			else
				return false;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			*ret = f->k;
			return true;
		default:
			return false;
		}
	}
	return false;
}

bool sbx_bpf_const_allows(const struct sock_filter *prog, size_t len, uint32_t arch, uint32_t nr)
{
	uint32_t ret;

	return sbx_bpf_const_ret(prog, len, arch, nr, &ret) && ret == SECCOMP_RET_ALLOW;
}

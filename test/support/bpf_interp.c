/* Classic BPF as seccomp runs it (see bpf_interp.h). */
#include "bpf_interp.h"

#include "bpf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t sbx_bpf_run(const struct sock_filter *p, size_t len,
		     const struct seccomp_data *d, size_t *executed)
{
	struct sbx_error err;
	uint32_t a = 0, x = 0, mem[16] = { 0 };
	size_t pc = 0, n = 0;

	if (sbx_bpf_verify(p, len, &err) != 0) {
		fprintf(stderr, "sbx_bpf_run: refusing an unverified program: %s\n",
			err.message);
		abort();
	}
	for (;;) {
		const struct sock_filter *in;

		if (pc >= len || n >= len) {
			fprintf(stderr, "sbx_bpf_run: ran off the program at %zu\n", pc);
			abort();
		}
		in = &p[pc++];
		n++;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			/* Native byte order, as the kernel loads the field. */
			memcpy(&a, (const char *)d + in->k, 4);
			break;
		case BPF_LD | BPF_W | BPF_LEN: a = sizeof(*d); break;
		case BPF_LDX | BPF_W | BPF_LEN: x = sizeof(*d); break;
		case BPF_LD | BPF_IMM: a = in->k; break;
		case BPF_LDX | BPF_IMM: x = in->k; break;
		case BPF_LD | BPF_MEM: a = mem[in->k]; break;
		case BPF_LDX | BPF_MEM: x = mem[in->k]; break;
		case BPF_ST: mem[in->k] = a; break;
		case BPF_STX: mem[in->k] = x; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_NEG: a = -a; break;
		case BPF_ALU | BPF_ADD | BPF_K: a += in->k; break;
		case BPF_ALU | BPF_ADD | BPF_X: a += x; break;
		case BPF_ALU | BPF_SUB | BPF_K: a -= in->k; break;
		case BPF_ALU | BPF_SUB | BPF_X: a -= x; break;
		case BPF_ALU | BPF_MUL | BPF_K: a *= in->k; break;
		case BPF_ALU | BPF_MUL | BPF_X: a *= x; break;
		case BPF_ALU | BPF_DIV | BPF_K: a /= in->k; break;
		case BPF_ALU | BPF_DIV | BPF_X:
			/* Classic BPF: dividing by a zero X ends the program
			 * with 0, which seccomp reads as KILL_THREAD. */
			if (x == 0) {
				if (executed)
					*executed = n;
				return 0;
			}
			a /= x;
			break;
		case BPF_ALU | BPF_AND | BPF_K: a &= in->k; break;
		case BPF_ALU | BPF_AND | BPF_X: a &= x; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= in->k; break;
		case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
		case BPF_ALU | BPF_XOR | BPF_K: a ^= in->k; break;
		case BPF_ALU | BPF_XOR | BPF_X: a ^= x; break;
		case BPF_ALU | BPF_LSH | BPF_K: a <<= in->k; break;
		case BPF_ALU | BPF_RSH | BPF_K: a >>= in->k; break;
		/* The kernel's interpreter and JITs shift by X modulo 32. */
		case BPF_ALU | BPF_LSH | BPF_X: a <<= (x & 31); break;
		case BPF_ALU | BPF_RSH | BPF_X: a >>= (x & 31); break;
		case BPF_JMP | BPF_JA: pc += in->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == in->k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: pc += a == x ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > in->k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: pc += a > x ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= in->k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: pc += a >= x ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & in->k) ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JSET | BPF_X: pc += (a & x) ? in->jt : in->jf; break;
		case BPF_RET | BPF_K:
			if (executed)
				*executed = n;
			return in->k;
		case BPF_RET | BPF_A:
			if (executed)
				*executed = n;
			return a;
		default:
			fprintf(stderr, "sbx_bpf_run: opcode 0x%04x passed the verifier\n",
				in->code);
			abort();
		}
	}
}

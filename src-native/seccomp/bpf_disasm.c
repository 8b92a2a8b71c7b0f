/*
 * Readable listing of a seccomp BPF program, for `sbx compile` and error
 * messages. Works on any input (unverified programs included): nothing is
 * read outside the array.
 */
#include "bpf.h"
#include "seccomp_defs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbx_bpf_ret_name(uint32_t ret, char *buf, size_t cap)
{
	uint32_t data = ret & SECCOMP_RET_DATA;

	if (!buf || cap == 0)
		return;
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, cap, "KILL_PROCESS");
		break;
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, cap, "KILL_THREAD");
		break;
	case SECCOMP_RET_TRAP:
		/* The data reaches the handler as si_errno. */
		if (data)
			snprintf(buf, cap, "TRAP(%u)", data);
		else
			snprintf(buf, cap, "TRAP");
		break;
	case SECCOMP_RET_ERRNO:
		snprintf(buf, cap, "ERRNO(%u)", data);
		break;
	case SECCOMP_RET_USER_NOTIF:
		snprintf(buf, cap, "USER_NOTIF");
		break;
	case SECCOMP_RET_TRACE:
		snprintf(buf, cap, "TRACE(%u)", data);
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, cap, "LOG");
		break;
	case SECCOMP_RET_ALLOW:
		snprintf(buf, cap, "ALLOW");
		break;
	default:
		/* The kernel treats an unknown action as KILL_PROCESS. */
		snprintf(buf, cap, "UNKNOWN(0x%08x)", ret);
		break;
	}
}

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->oom)
		return;
	for (;;) {
		size_t room = s->cap - s->len;

		va_start(ap, fmt);
		n = vsnprintf(s->p ? s->p + s->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			s->len += (size_t)n;
			return;
		}
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		while (ncap - s->len <= (size_t)n)
			ncap *= 2;
		char *np = realloc(s->p, ncap);
		if (!np) {
			s->oom = 1;
			return;
		}
		s->p = np;
		s->cap = ncap;
	}
}

/* What the accumulator holds, as far as a listing cares. */
#define A_UNSET (-2)   /* no way into this instruction seen yet */
#define A_OTHER (-1)   /* anything but a known field of seccomp_data */

static void merge(int *state, size_t len, size_t to, int a)
{
	if (to >= len)
		return;
	if (state[to] == A_UNSET)
		state[to] = a;
	else if (state[to] != a)
		state[to] = A_OTHER;
}

/* Forward-only jumps: one pass computes, for each instruction, which field
 * of seccomp_data A was loaded from on every way into it. */
static void track_a(const struct sock_filter *insns, size_t len, int *state)
{
	for (size_t pc = 0; pc < len; pc++)
		state[pc] = A_UNSET;
	if (len)
		state[0] = A_OTHER;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &insns[pc];
		int a = state[pc] == A_UNSET ? A_OTHER : state[pc];

		switch (BPF_CLASS(in->code)) {
		case BPF_RET:
			continue;
		case BPF_JMP:
			if (BPF_OP(in->code) == BPF_JA) {
				if (in->k < len - pc - 1)
					merge(state, len, pc + 1 + in->k, a);
			} else {
				merge(state, len, pc + 1 + in->jt, a);
				merge(state, len, pc + 1 + in->jf, a);
			}
			continue;
		case BPF_LD:
			a = in->code == (BPF_LD | BPF_W | BPF_ABS) && in->k < SBX_SD_SIZE ?
				    (int)in->k : A_OTHER;
			break;
		case BPF_ALU:
			a = A_OTHER;
			break;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TXA)
				a = A_OTHER;
			break;
		}
		merge(state, len, pc + 1, a);
	}
}

static void field_name(uint32_t k, char *buf, size_t cap)
{
	if (k == SBX_SD_NR)
		snprintf(buf, cap, "nr");
	else if (k == SBX_SD_ARCH)
		snprintf(buf, cap, "arch");
	else if (k == SBX_SD_IP || k == SBX_SD_IP + 4)
		snprintf(buf, cap, "ip.%s", k == SBX_SD_IP ? "lo" : "hi");
	else if (k >= SBX_SD_ARG_LO(0) && k < SBX_SD_SIZE && !(k & 3))
		snprintf(buf, cap, "arg%u.%s", (k - SBX_SD_ARG_LO(0)) / 8,
			 (k & 4) ? "hi" : "lo");
	else
		buf[0] = '\0';
}

static const char *alu_name(uint16_t op)
{
	switch (op) {
	case BPF_ADD: return "add";
	case BPF_SUB: return "sub";
	case BPF_MUL: return "mul";
	case BPF_DIV: return "div";
	case BPF_OR: return "or";
	case BPF_AND: return "and";
	case BPF_LSH: return "lsh";
	case BPF_RSH: return "rsh";
	case BPF_NEG: return "neg";
	case BPF_MOD: return "mod";
	case BPF_XOR: return "xor";
	}
	return NULL;
}

static const char *jmp_name(uint16_t op)
{
	switch (op) {
	case BPF_JEQ: return "jeq";
	case BPF_JGT: return "jgt";
	case BPF_JGE: return "jge";
	case BPF_JSET: return "jset";
	}
	return NULL;
}

/* Small numbers read best in decimal, masks and arch values in hex. */
static void imm(uint32_t k, char *buf, size_t cap)
{
	if (k <= 0xffff)
		snprintf(buf, cap, "#%u", k);
	else
		snprintf(buf, cap, "#0x%x", k);
}

/* Comment for a comparison of A against k, given what A holds. */
static void compare_note(int a, uint32_t k, int arch, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (arch < 0 || arch >= SBX_ARCH_COUNT)
		return;
	if (a == SBX_SD_NR && k <= 0x7fffffff) {
		const char *name = sbx_syscall_name((enum sbx_arch)arch, (int)k);

		if (name)
			snprintf(buf, cap, "%s", name);
	} else if (a == SBX_SD_ARCH) {
		for (int i = 0; i < SBX_ARCH_COUNT; i++) {
			const struct sbx_arch_info *ai = sbx_arch_info((enum sbx_arch)i);

			if (ai && ai->audit_arch == k) {
				snprintf(buf, cap, "%s", ai->name);
				break;
			}
		}
	}
}

static void one(const struct sock_filter *insns, size_t pc, int a,
		int arch, char *text, size_t cap, char *note, size_t ncap)
{
	const struct sock_filter *in = &insns[pc];
	uint16_t code = in->code;
	char v[24];

	note[0] = '\0';
	imm(in->k, v, sizeof(v));
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
		snprintf(text, cap, "ld [%u]", in->k);
		field_name(in->k, note, ncap);
		return;
	case BPF_LD | BPF_W | BPF_LEN:
		snprintf(text, cap, "ld #len");
		return;
	case BPF_LDX | BPF_W | BPF_LEN:
		snprintf(text, cap, "ldx #len");
		return;
	case BPF_LD | BPF_IMM:
		snprintf(text, cap, "ld %s", v);
		return;
	case BPF_LDX | BPF_IMM:
		snprintf(text, cap, "ldx %s", v);
		return;
	case BPF_LD | BPF_MEM:
		snprintf(text, cap, "ld M[%u]", in->k);
		return;
	case BPF_LDX | BPF_MEM:
		snprintf(text, cap, "ldx M[%u]", in->k);
		return;
	case BPF_ST:
		snprintf(text, cap, "st M[%u]", in->k);
		return;
	case BPF_STX:
		snprintf(text, cap, "stx M[%u]", in->k);
		return;
	case BPF_MISC | BPF_TAX:
		snprintf(text, cap, "tax");
		return;
	case BPF_MISC | BPF_TXA:
		snprintf(text, cap, "txa");
		return;
	case BPF_RET | BPF_A:
		snprintf(text, cap, "ret a");
		return;
	case BPF_RET | BPF_K: {
		char r[40];

		sbx_bpf_ret_name(in->k, r, sizeof(r));
		snprintf(text, cap, "ret %s", r);
		return;
	}
	case BPF_JMP | BPF_JA:
		snprintf(text, cap, "ja %llu",
			 (unsigned long long)pc + 1 + in->k);
		return;
	case BPF_ALU | BPF_NEG:
		snprintf(text, cap, "neg");
		return;
	}
	if (BPF_CLASS(code) == BPF_ALU && code <= 0xff && alu_name(BPF_OP(code))) {
		snprintf(text, cap, "%s %s", alu_name(BPF_OP(code)),
			 BPF_SRC(code) == BPF_X ? "x" : v);
		return;
	}
	if (BPF_CLASS(code) == BPF_JMP && code <= 0xff && jmp_name(BPF_OP(code))) {
		snprintf(text, cap, "%s %s, %zu, %zu", jmp_name(BPF_OP(code)),
			 BPF_SRC(code) == BPF_X ? "x" : v, pc + 1 + in->jt,
			 pc + 1 + in->jf);
		if (BPF_SRC(code) == BPF_K && BPF_OP(code) != BPF_JSET)
			compare_note(a, in->k, arch, note, ncap);
		return;
	}
	snprintf(text, cap, ".insn 0x%04x, %u, %u, 0x%x", code, in->jt, in->jf,
		 in->k);
}

int sbx_bpf_disasm(const struct sock_filter *insns, size_t len, int arch,
		   char **out, struct sbx_error *err)
{
	struct sbuf s = { 0 };
	int *state;

	*out = NULL;
	state = calloc(len ? len : 1, sizeof(*state));
	if (!state)
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory while disassembling");
	track_a(insns, len, state);
	sb_printf(&s, "%s", "");
	for (size_t pc = 0; pc < len; pc++) {
		char text[96], note[64];

		one(insns, pc, state[pc], arch, text, sizeof(text), note,
		    sizeof(note));
		if (note[0])
			sb_printf(&s, "%04zu: %s    ; %s\n", pc, text, note);
		else
			sb_printf(&s, "%04zu: %s\n", pc, text);
	}
	free(state);
	if (s.oom) {
		free(s.p);
		return sbx_error_set(err, SBX_ENOMEM, ENOMEM, NULL,
				     "out of memory while disassembling");
	}
	*out = s.p;
	return 0;
}

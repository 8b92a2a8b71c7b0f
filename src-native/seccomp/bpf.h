/*
 * Classic BPF for seccomp: a builder with symbolic labels, the verifier every
 * compiled program must pass, and a disassembler.
 *
 * Classic BPF jumps only forward; conditional jumps have 8-bit offsets
 * (jt/jf <= 255) and `ja` has a 32-bit one. The builder lets the compiler
 * write jumps to labels and resolves them at the end: a conditional jump whose
 * target is further than 255 instructions goes through an inserted
 * `ja` trampoline placed within reach, so no program is ever rejected or,
 * worse, miscompiled because of distance.
 */
#ifndef SBX_BPF_H
#define SBX_BPF_H

#include "sbx.h"
#include "syscalls.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's limit (BPF_MAXINSNS). */
#define SBX_BPF_MAX_INSNS 4096

/* Offsets into struct seccomp_data, spelled out (the layout is ABI). */
#define SBX_SD_NR 0
#define SBX_SD_ARCH 4
#define SBX_SD_IP 8
#define SBX_SD_ARG_LO(i) (16 + 8 * (i))  /* little-endian: low word first */
#define SBX_SD_ARG_HI(i) (20 + 8 * (i))
#define SBX_SD_SIZE 64

struct sbx_bpf_builder;

/* A label is a small integer handed out by sbx_bpf_label(). */
typedef int sbx_bpf_label_t;

struct sbx_bpf_builder *sbx_bpf_builder_new(void);
void sbx_bpf_builder_free(struct sbx_bpf_builder *b);

/* A new, unbound label. */
sbx_bpf_label_t sbx_bpf_label(struct sbx_bpf_builder *b);

/* Bind `l` to the position of the next emitted instruction. Each label is
 * bound once, after every jump to it has been emitted (forward only). */
void sbx_bpf_bind(struct sbx_bpf_builder *b, sbx_bpf_label_t l);

/* Non-jump instruction (BPF_LD/BPF_ALU/BPF_RET/BPF_MISC/...). */
void sbx_bpf_stmt(struct sbx_bpf_builder *b, uint16_t code, uint32_t k);

/* Conditional jump: code is BPF_JMP|BPF_JEQ/JGT/JGE/JSET|BPF_K.
 * A label of -1 means "fall through" (the next instruction). */
void sbx_bpf_jump(struct sbx_bpf_builder *b, uint16_t code, uint32_t k,
		  sbx_bpf_label_t jt, sbx_bpf_label_t jf);

/* Unconditional jump. */
void sbx_bpf_ja(struct sbx_bpf_builder *b, sbx_bpf_label_t target);

/*
 * Let finish() emit each `ret K` once where that is in reach: an arm aimed at
 * a `ret K` goes to the nearest copy of it further on, and a `ret K` that is
 * reached only by jumps is dropped when every such arm reaches a kept copy
 * directly. A copy is kept rather than a trampoline added, so the program is
 * never longer and no input runs more instructions than without sharing.
 * Programs that read scratch memory are not shared (the kernel's check of
 * scratch reads depends on the layout). Off by default: the builder then lays
 * out exactly what it was given.
 */
void sbx_bpf_share_rets(struct sbx_bpf_builder *b);

/* Number of instructions emitted so far (before trampolines). */
size_t sbx_bpf_len(const struct sbx_bpf_builder *b);

/*
 * Resolve labels, insert trampolines (and share returns, if asked), verify.
 * On success *out is a malloc'd array of *len instructions owned by the
 * caller. Errors (all with err set):
 *   SBX_EPROGRAM  a label used but never bound, or bound before a jump to it,
 *                 or the result exceeds 4096 instructions ("program is N
 *                 instructions, the kernel's limit is 4096"), or fails verify
 *   SBX_ENOMEM    (also latched by any earlier emit that failed to grow)
 */
int sbx_bpf_finish(struct sbx_bpf_builder *b, struct sock_filter **out,
		   size_t *len, struct sbx_error *err);

/*
 * Verifier for seccomp programs: 1..4096 instructions; only the opcodes
 * seccomp accepts (the kernel's seccomp_check_filter list); every jump
 * target inside the program; absolute loads only at 4-byte aligned offsets
 * below sizeof(struct seccomp_data); scratch memory M[k] with k < 16 and
 * only read after written on every path; division by constant zero refused;
 * every path ends in a RET. Returns 0 or -EINVAL with err naming the
 * instruction index and the reason.
 */
int sbx_bpf_verify(const struct sock_filter *insns, size_t len,
		   struct sbx_error *err);

/*
 * Readable listing, one instruction per line:
 *   "0007: jeq #59, 8, 9    ; execve"
 *   "0012: ret ERRNO(1)"
 * When arch is given (>= 0), comparisons that follow a load of the syscall
 * number are annotated with the syscall's name. *out is malloc'd.
 */
int sbx_bpf_disasm(const struct sock_filter *insns, size_t len, int arch,
		   char **out, struct sbx_error *err);

/* "ALLOW", "ERRNO(13)", "KILL_PROCESS", ... for a SECCOMP_RET_* value. */
void sbx_bpf_ret_name(uint32_t ret, char *buf, size_t cap);

/* bpf_const.c: does the program allow system call `nr` of `arch` (an
 * AUDIT_ARCH_* value) whatever its arguments? false when it depends on
 * anything else, or denies. */
bool sbx_bpf_const_allows(const struct sock_filter *prog, size_t len, uint32_t arch, uint32_t nr);
/* The same walk: true with the SECCOMP_RET_* value when the program gives
 * one whatever the arguments, false when it is not known. */
bool sbx_bpf_const_ret(const struct sock_filter *prog, size_t len, uint32_t arch, uint32_t nr,
		       uint32_t *ret);

#endif

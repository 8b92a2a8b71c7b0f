/*
 * Test-only interpreter for seccomp BPF: the kernel's semantics for every
 * instruction seccomp accepts, plus a count of executed instructions (the
 * benchmark's "instructions executed per syscall"). It aborts on a program
 * sbx_bpf_verify() rejects, so a test can never pass on a program the kernel
 * would refuse.
 */
#ifndef SBX_TEST_BPF_INTERP_H
#define SBX_TEST_BPF_INTERP_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* The SECCOMP_RET_* value the program returns for `d`; *executed (may be
 * NULL) receives the number of instructions run, the RET included. */
uint32_t sbx_bpf_run(const struct sock_filter *p, size_t len,
		     const struct seccomp_data *d, size_t *executed);

#endif

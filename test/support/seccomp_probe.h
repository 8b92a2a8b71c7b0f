/*
 * Test-only: the inputs on which a compiled filter is held to its model.
 *
 * For a model m, every syscall number 0..max+10, the x32 block on x86_64
 * (0x40000000+n), other high numbers and 0xffffffff, the foreign arch and a
 * few bogus arch values; and for every syscall with argument rules, boundary
 * argument values: each constant (values, masks, set members) -1, +0, +1,
 * with the high word flipped, set, cleared, all bits set; first one argument
 * at a time, then per rule with the rule's other conditions made true.
 */
#ifndef SBX_TEST_SECCOMP_PROBE_H
#define SBX_TEST_SECCOMP_PROBE_H

#include "seccomp.h"

#include <linux/seccomp.h>
#include <stddef.h>

/* Return nonzero to stop the walk. */
typedef int (*seccomp_probe_fn)(void *ctx, const struct seccomp_data *d);

/* Calls fn for each input; returns how many inputs were visited. A `budget`
 * > 0 caps the argument inputs tried per syscall (the fuzzer's speed). */
size_t seccomp_probe_walk(const struct sbx_filter_model *m, size_t budget,
			  seccomp_probe_fn fn, void *ctx);

/* The audit arch value of the other supported arch. */
uint32_t seccomp_probe_foreign_arch(enum sbx_arch arch);

#endif

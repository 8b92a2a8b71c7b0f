/*
 * Test-only: a seccomp spec built from a byte string, deterministically.
 * The fuzzer feeds it its input; the unit tests feed it a PRNG stream. Every
 * kind of entry the resolver accepts can come out: syscalls, groups, now and
 * then an unknown name, every action, every comparison operator with
 * boundary-prone values, arch masks.
 */
#ifndef SBX_TEST_SPEC_GEN_H
#define SBX_TEST_SPEC_GEN_H

#include "seccomp.h"

#include <stddef.h>
#include <stdint.h>

struct spec_gen {
	struct sbx_seccomp_spec spec;
	/* Everything the spec points to; freed by spec_gen_free(). */
	struct sbx_seccomp_entry *entries;
	void **allocs;
	size_t nallocs, allocs_cap;
};

struct spec_gen_opts {
	size_t max_entries;       /* entries drawn: 0..max_entries-1 */
	unsigned unknown_per_256; /* chance of an unknown syscall name */
};

/* 0, or -ENOMEM. The spec is usable until spec_gen_free(). */
int spec_gen_build(struct spec_gen *g, const uint8_t *data, size_t len,
		   const struct spec_gen_opts *opts);
void spec_gen_free(struct spec_gen *g);

/* A small deterministic PRNG (splitmix64) for the tests' byte streams. */
uint64_t spec_gen_rand(uint64_t *state);
void spec_gen_fill(uint64_t *state, uint8_t *buf, size_t len);

#endif

/*
 * libFuzzer target for the seccomp compiler (differential): the input
 * becomes a random spec (spec_gen.h: syscalls, groups, unknown names, every
 * action and operator); it is resolved and compiled for both arches. Every
 * compiled program must pass the verifier, and on random seccomp_data (numbers
 * in and out of the table, foreign arches, arguments near the rules'
 * constants) the interpreter must return exactly sbx_filter_model_eval's
 * verdict. Errors are fine only when they are the documented ones.
 */
#include "bpf.h"
#include "bpf_interp.h"
#include "seccomp.h"
#include "spec_gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUTS 160

static void invariant(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant failed: %s\n", what);
		abort();
	}
}

static uint64_t near(uint64_t *seed, uint64_t v)
{
	switch (spec_gen_rand(seed) % 8) {
	case 0: return v - 1;
	case 1: return v + 1;
	case 2: return v ^ (1ull << 32);
	case 3: return v | 0xffffffff00000000ull;
	case 4: return v & 0xffffffffu;
	case 5: return spec_gen_rand(seed);
	default: return v;
	}
}

static void random_data(const struct sbx_filter_model *m, uint64_t *seed,
			struct seccomp_data *d)
{
	const struct sbx_arch_info *info = sbx_arch_info(m->arch);
	uint64_t r = spec_gen_rand(seed);

	memset(d, 0, sizeof(*d));
	d->arch = (r & 63) ? info->audit_arch : (uint32_t)spec_gen_rand(seed);
	switch ((r >> 8) % 8) {
	case 0: d->nr = (int)(uint32_t)spec_gen_rand(seed); break;
	case 1: d->nr = (int)(0x40000000u + (uint32_t)(spec_gen_rand(seed) % 600)); break;
	case 2: d->nr = (int)(m->max_nr + 1 + spec_gen_rand(seed) % 16); break;
	case 3: d->nr = -1; break;
	default: d->nr = (int)(spec_gen_rand(seed) % ((uint64_t)m->max_nr + 1)); break;
	}
	for (int i = 0; i < 6; i++)
		d->args[i] = (r >> 16) & 1 ? spec_gen_rand(seed) : spec_gen_rand(seed) % 4;
	if ((uint32_t)d->nr <= (uint32_t)m->max_nr && m->sys[d->nr].nrules) {
		const struct sbx_model_syscall *s = &m->sys[d->nr];
		const struct sbx_model_rule *rule = &s->rules[spec_gen_rand(seed) % s->nrules];

		/* Near each constant of one rule, so deep conditions are reached. */
		for (size_t j = 0; j < rule->nconds; j++) {
			const struct sbx_arg_cond *c = &rule->conds[j];
			uint64_t v = c->value;

			if (c->op == SBX_CMP_IN)
				v = c->nset ? c->set[spec_gen_rand(seed) % c->nset] : 0;
			d->args[c->arg] = near(seed, v);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_gen_opts o = { 128, 4 };
	struct spec_gen g;
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ull;
	if (spec_gen_build(&g, data, size, &o))
		return 0;
	for (int arch = 0; arch < SBX_ARCH_COUNT; arch++) {
		struct sbx_filter_model *m = NULL;
		struct sock_filter *prog = NULL;
		struct sbx_error err;
		size_t len = 0;
		int rc = sbx_seccomp_resolve(&g.spec, (enum sbx_arch)arch, &m, NULL, &err);

		if (rc) {
			/* Only unknown names (which the generator makes on purpose). */
			invariant(err.code == SBX_ESYSCALL && m == NULL, "resolve error kind");
			continue;
		}
		rc = sbx_seccomp_compile(m, &prog, &len, &err);
		if (rc) {
			invariant(rc == -E2BIG && err.code == SBX_EPROGRAM && !prog,
				  "compile error kind");
			sbx_filter_model_free(m);
			continue;
		}
		invariant(len > 0 && len <= SBX_BPF_MAX_INSNS, "length");
		invariant(sbx_bpf_verify(prog, len, &err) == 0, "verifies");
		for (int i = 0; i < INPUTS; i++) {
			struct seccomp_data d;
			uint32_t want, got;

			random_data(m, &seed, &d);
			want = sbx_filter_model_eval(m, d.arch, (uint32_t)d.nr,
						     (const uint64_t *)d.args);
			got = sbx_bpf_run(prog, len, &d, NULL);
			if (want != got) {
				fprintf(stderr, "arch %#x nr %#x args %#llx %#llx %#llx: model %#x bpf %#x\n",
					d.arch, (uint32_t)d.nr, (unsigned long long)d.args[0],
					(unsigned long long)d.args[1], (unsigned long long)d.args[2],
					want, got);
				invariant(0, "bpf verdict == model verdict");
			}
		}
		free(prog);
		sbx_filter_model_free(m);
	}
	spec_gen_free(&g);
	return 0;
}

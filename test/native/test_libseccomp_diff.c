/*
 * Differential test: sbx's compiled program against libseccomp's export of
 * the same model (translated by lsc_model.h, which explains how ordered
 * rules and low32 conditions become libseccomp rules exactly), both run in
 * the test interpreter on every probe input (seccomp_probe.h): every syscall
 * number, out-of-range numbers, x32 numbers, foreign arches, and boundary
 * argument values, on x86_64 and aarch64, against libseccomp's priority list
 * (optimize 1) and its binary tree (optimize 2).
 *
 * Links -lseccomp; test-only.
 */
#include "t.h"

#include "bpf.h"
#include "bpf_interp.h"
#include "docker_import.h"
#include "lsc_model.h"
#include "policy.h"
#include "sbx_policy.h"
#include "seccomp.h"
#include "seccomp_probe.h"
#include "spec_gen.h"

#include <errno.h>
#include <string.h>

/* Numbers above the table that seccomp_probe_walk visits (max+1..max+10
 * and its fixed list); libseccomp gets explicit ENOSYS rules for them. */
static size_t extra_nrs(const struct sbx_filter_model *m, uint32_t *out)
{
	static const uint32_t high[] = { 0x3fffffffu, 1000, 4096, 65535, 65536 };
	size_t n = 0;

	for (uint32_t i = 1; i <= 10; i++)
		out[n++] = (uint32_t)m->max_nr + i;
	for (size_t i = 0; i < sizeof(high) / sizeof(high[0]); i++)
		out[n++] = high[i];
	return n;
}

struct diff_ctx {
	const struct sbx_filter_model *m;
	const struct lsc_model *l;
	const struct sock_filter *sbx, *lsc;
	size_t sbx_len, lsc_len;
	size_t compared, default_only, mismatches;
};

static int diff_visit(void *ctx, const struct seccomp_data *d)
{
	struct diff_ctx *c = ctx;
	uint32_t nr = (uint32_t)d->nr;
	uint32_t model = sbx_filter_model_eval(c->m, d->arch, nr, (const uint64_t *)d->args);
	uint32_t mine = sbx_bpf_run(c->sbx, c->sbx_len, d, NULL);
	uint32_t theirs = sbx_bpf_run(c->lsc, c->lsc_len, d, NULL);
	bool native = d->arch == sbx_arch_info(c->m->arch)->audit_arch;
	uint32_t want_theirs = model;

	if (native && !lsc_model_expressible(c->m, c->l, nr)) {
		want_theirs = sbx_action_ret(c->m->default_action);
		c->default_only++;
	} else {
		c->compared++;
	}
	if (mine != model || theirs != want_theirs) {
		if (c->mismatches++ < 5)
			T_FAIL("%s arch %#x nr %#x args %#llx %#llx %#llx %#llx: model %#x sbx %#x libseccomp %#x (expected %#x)",
			       sbx_arch_info(c->m->arch)->name, d->arch, nr,
			       (unsigned long long)d->args[0], (unsigned long long)d->args[1],
			       (unsigned long long)d->args[2], (unsigned long long)d->args[3],
			       model, mine, theirs, want_theirs);
		return c->mismatches > 50;
	}
	return 0;
}

/* Returns how many (arch, optimize) pairs were compared; with `may_skip`,
 * specs libseccomp cannot carry within 4096 instructions are skipped. */
static int diff_spec_one(const char *what, const struct sbx_seccomp_spec *spec,
			 bool may_skip, int only_arch)
{
	int done = 0;

	for (int arch = 0; arch < SBX_ARCH_COUNT; arch++) {
		if (only_arch >= 0 && arch != only_arch)
			continue;
		struct sbx_filter_model *m = NULL;
		struct sock_filter *prog = NULL;
		struct sbx_error err;
		size_t len = 0;

		if (sbx_seccomp_resolve(spec, (enum sbx_arch)arch, &m, NULL, &err) ||
		    sbx_seccomp_compile(m, &prog, &len, &err)) {
			T_FAIL("%s: %s", what, err.message);
			sbx_filter_model_free(m);
			continue;
		}
		for (int opt = 1; opt <= 2; opt++) {
			struct lsc_model l;
			struct sock_filter *theirs = NULL;
			size_t tlen = 0;
			uint32_t extra[32];
			size_t nextra = extra_nrs(m, extra);
			struct diff_ctx c = { .m = m, .l = &l, .sbx = prog, .sbx_len = len };
			int rc = lsc_model_build(m, opt, extra, nextra, &l);

			if (!rc)
				rc = lsc_export(&l, &theirs, &tlen);
			if (may_skip && (rc == -E2BIG || (!rc && tlen > SBX_BPF_MAX_INSNS))) {
				free(theirs);
				lsc_model_free(&l);
				continue;
			}
			if (rc) {
				T_FAIL("%s/%s: libseccomp: %s", what, sbx_arch_info(m->arch)->name,
				       strerror(-rc));
				lsc_model_free(&l);
				continue;
			}
			if (sbx_bpf_verify(theirs, tlen, &err)) {
				T_FAIL("%s: libseccomp's program (%zu insns) does not verify: %s",
				       what, tlen, err.message);
			} else {
				c.lsc = theirs;
				c.lsc_len = tlen;
				seccomp_probe_walk(m, 400, diff_visit, &c);
				CHECK_EQ_INT(c.mismatches, 0);
				CHECK(c.compared > (size_t)m->max_nr);
				done++;
				printf("# %s %s opt%d: %zu inputs compared, %zu only vs default; sbx %zu insns, libseccomp %zu (%zu rules)\n",
				       what, sbx_arch_info(m->arch)->name, opt, c.compared,
				       c.default_only, len, tlen, l.rules);
			}
			free(theirs);
			lsc_model_free(&l);
		}
		free(prog);
		sbx_filter_model_free(m);
	}
	return done;
}

static int diff_spec_ex(const char *what, const struct sbx_seccomp_spec *spec,
			bool may_skip)
{
	return diff_spec_one(what, spec, may_skip, -1);
}

/* One arch, both optimize levels; returns the pairs compared. */
static int diff_spec_arch(const char *what, const struct sbx_seccomp_spec *spec,
			  enum sbx_arch arch)
{
	int done = diff_spec_one(what, spec, false, (int)arch);

	CHECK_EQ_INT(done, 2);
	return done;
}

static void diff_spec(const char *what, const struct sbx_seccomp_spec *spec)
{
	CHECK_EQ_INT(diff_spec_ex(what, spec, false), 2 * SBX_ARCH_COUNT);
}

/* ---- specs ----------------------------------------------------------------- */

#define MAXE 512
struct sb {
	struct sbx_seccomp_spec spec;
	struct sbx_seccomp_entry e[MAXE];
	struct sbx_arg_cond c[2 * MAXE];
	size_t nc;
};

static struct sb *sb_new(struct sbx_action def)
{
	struct sb *s = calloc(1, sizeof(*s));

	s->spec.has_default = true;
	s->spec.default_action = def;
	s->spec.entries = s->e;
	return s;
}

static void sb_add(struct sb *s, const char *name, struct sbx_action a, size_t n,
		   const struct sbx_arg_cond *conds)
{
	struct sbx_seccomp_entry *e = &s->e[s->spec.nentries++];

	*e = (struct sbx_seccomp_entry){ .name = name, .action = a,
		.arch_mask = SBX_ARCH_MASK_ALL, .pointer = "/t" };
	if (n) {
		memcpy(&s->c[s->nc], conds, n * sizeof(*conds));
		e->conds = &s->c[s->nc];
		e->nconds = n;
		s->nc += n;
	}
}

#define ALLOW ((struct sbx_action){ SBX_ACT_ALLOW, 0 })
#define ERR(e) ((struct sbx_action){ SBX_ACT_ERRNO, (e) })
#define KILL ((struct sbx_action){ SBX_ACT_KILL_PROCESS, 0 })
#define COND(a, o, v) ((struct sbx_arg_cond){ .arg = (a), .op = (o), .value = (v) })

TEST(diff_deny_list_default_allow)
{
	struct sb *s = sb_new(ALLOW);

	sb_add(s, "@mount", ERR(EPERM), 0, NULL);
	sb_add(s, "@debug", KILL, 0, NULL);
	sb_add(s, "@clock", ERR(EACCES), 0, NULL);
	sb_add(s, "clone3", ERR(ENOSYS), 0, NULL);
	diff_spec("deny-list", &s->spec);
	free(s);
}

TEST(diff_allow_list_with_argument_rules)
{
	static const uint64_t fams[] = { 1, 2, 10 };
	struct sb *s = sb_new(ERR(EPERM));
	struct sbx_arg_cond c;

	sb_add(s, "@system-service", ALLOW, 0, NULL);
	sb_add(s, "@mount", ERR(EPERM), 0, NULL);
	sb_add(s, "ptrace", KILL, 0, NULL);
	c = COND(1, SBX_CMP_EQ, 0x5412);
	sb_add(s, "ioctl", ERR(EPERM), 1, &c);                 /* low32 cmd */
	c = COND(1, SBX_CMP_EQ, 0x541c);
	sb_add(s, "ioctl", ERR(EACCES), 1, &c);
	c = (struct sbx_arg_cond){ .arg = 0, .op = SBX_CMP_IN, .set = fams, .nset = 3 };
	sb_add(s, "socket", ERR(EAFNOSUPPORT), 0, NULL);
	sb_add(s, "socket", ALLOW, 1, &c);
	c = COND(0, SBX_CMP_EQ, 0xffffffff);
	sb_add(s, "personality", ALLOW, 1, &c);
	c = (struct sbx_arg_cond){ .arg = 0, .op = SBX_CMP_MASKED_EQ, .mask = 0x7e020000, .value = 0 };
	sb_add(s, "clone", ERR(EPERM), 0, NULL);
	sb_add(s, "clone", ALLOW, 1, &c);
	sb_add(s, "clone3", ERR(ENOSYS), 0, NULL);
	/* mprotect(prot & PROT_EXEC) on a 64-bit arg, and a conjunction. */
	struct sbx_arg_cond two[2] = {
		{ .arg = 2, .op = SBX_CMP_MASKED_EQ, .mask = 4, .value = 4 },
		COND(1, SBX_CMP_GT, 0x100000000ull),
	};
	sb_add(s, "mprotect", ERR(EACCES), 2, two);
	diff_spec("allow-list", &s->spec);
	free(s);
}

TEST(diff_every_operator)
{
	static const uint64_t vals[] = {
		0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		0xffffffff00000000ull, 0x8000000000000000ull, UINT64_MAX, 0x123456789abcdefull,
	};
	for (int op = SBX_CMP_EQ; op <= SBX_CMP_MASKED_EQ; op++) {
		struct sb *s = sb_new(op % 2 ? ALLOW : ERR(EPERM));
		char what[32];

		/* Negated masks cost one libseccomp rule per mask bit, stacked
		 * per earlier rule: fewer masked rules keep it under 4096. */
		size_t nvals = op == SBX_CMP_MASKED_EQ ? 3 : sizeof(vals) / sizeof(vals[0]);

		sb_add(s, "@basic-io", ALLOW, 0, NULL);
		for (size_t i = 0; i < nvals; i++) {
			struct sbx_arg_cond c = COND(1, op, vals[i]);

			if (op == SBX_CMP_MASKED_EQ) {
				c.mask = vals[(i + 3) % 10] | vals[i];
				c.value = vals[i] & c.mask;
			}
			/* 64-bit (mmap length) and 32-bit (ioctl cmd) args. */
			sb_add(s, "mmap", i % 2 ? ERR(EACCES) : ERR(E2BIG), 1, &c);
			sb_add(s, "ioctl", i % 2 ? ERR(EACCES) : KILL, 1, &c);
		}
		snprintf(what, sizeof(what), "operator-%d", op);
		diff_spec(what, &s->spec);
		free(s);
	}
}

TEST(diff_generated_specs)
{
	uint64_t seed = 0xd1ffull;
	struct spec_gen_opts o = { 24, 0 };
	int compared = 0, tried = 0;

	/* Random rules on one argument stack up into regions libseccomp can
	 * only write as thousands of rules; those specs are skipped, but most
	 * must be compared. */
	for (int i = 0; compared < 24 && i < 60; i++) {
		uint8_t buf[2048];
		struct spec_gen g;
		char what[32];

		spec_gen_fill(&seed, buf, sizeof(buf));
		if (spec_gen_build(&g, buf, sizeof(buf), &o))
			abort();
		/* libseccomp has no TRAP data and refuses ERRNO/TRACE data > 0xffff
		 * (never generated); make TRAP plain. */
		g.spec.default_action.data = g.spec.default_action.kind == SBX_ACT_TRAP ? 0 :
					     g.spec.default_action.data;
		g.spec.bad_arch_action.data = g.spec.bad_arch_action.kind == SBX_ACT_TRAP ? 0 :
					      g.spec.bad_arch_action.data;
		for (size_t j = 0; j < g.spec.nentries; j++)
			if (g.entries[j].action.kind == SBX_ACT_TRAP)
				g.entries[j].action.data = 0;
		snprintf(what, sizeof(what), "generated-%d", i);
		compared += diff_spec_ex(what, &g.spec, true);
		tried += 2 * SBX_ARCH_COUNT;
		spec_gen_free(&g);
	}
	printf("# generated: %d of %d (spec, arch, optimize) compared\n", compared, tried);
	CHECK(compared >= 24);
}

/* Real profiles as the importer reads them, compared as they are: Docker's
 * default (no capabilities kept) and containers/common's (the format with
 * defaultErrno and errno names; with and without capabilities, which change
 * its socket and chroot rules). Copies with licence and provenance in
 * test/fixtures/seccomp/. */
#define DOCKER_PROFILE SBX_SOURCE_DIR "/test/fixtures/seccomp/docker-default.json"
#define CONTAINERS_PROFILE SBX_SOURCE_DIR "/test/fixtures/seccomp/containers-default.json"

static void diff_profile(const char *what, const char *path, uint64_t caps_kept)
{
	struct sbx_docker_profile *prof = NULL;
	struct sbx_error err;
	static char text[1 << 20];
	size_t len = t_read_file(path, text, sizeof(text));

	CHECK(len > 1000);
	if (!len)
		return;
	if (sbx_docker_import(text, len, caps_kept, "", &prof, NULL, &err)) {
		T_FAIL("%s: import: %s", what, err.message);
		return;
	}
	diff_spec(what, sbx_docker_profile_spec(prof));
	sbx_docker_profile_free(prof);
}

TEST(diff_docker_default_profile)
{
	diff_profile("docker-default", DOCKER_PROFILE, 0);
}

TEST(diff_containers_default_profile)
{
	diff_profile("containers-default", CONTAINERS_PROFILE, 0);
	/* CAP_SYS_CHROOT (18), CAP_AUDIT_WRITE (29), CAP_SYS_ADMIN (21) */
	diff_profile("containers-default+caps", CONTAINERS_PROFILE,
		     (1ull << 18) | (1ull << 29) | (1ull << 21));
}

TEST(diff_presets)
{
	size_t n = 0;

	for (const char *const *p = sbx_preset_names(); *p; p++) {
		struct sbx_policy_load_opts o = { .cwd = "/work", .home = "/home/u",
						  .tmpdir = "/tmp", .flags = SBX_POLICY_NO_PATH_CHECK };
		struct sbx_policy *pol = NULL;
		struct sbx_error err;
		char what[64];

		if (sbx_policy_load(*p, &o, &pol, &err)) {
			T_FAIL("preset %s: %s", *p, err.message);
			continue;
		}
		snprintf(what, sizeof(what), "preset:%s", *p);
		/* The spec is per arch (constants may differ); diff_spec resolves
		 * the spec of each arch for that arch only. */
		for (int a = 0; a < SBX_ARCH_COUNT; a++) {
			struct sbx_seccomp_spec *spec = NULL;
			unsigned keep = SBX_ARCH_BIT(a);

			if (sbx_policy_seccomp_spec(pol, (enum sbx_arch)a, &spec, NULL, &err)) {
				T_FAIL("preset %s: %s", *p, err.message);
				continue;
			}
			if (!spec)
				continue;
			/* Entries outside this arch are skipped by the resolver; a
			 * copy with arch masks narrowed keeps the other arch out. */
			struct sbx_seccomp_entry *e = calloc(spec->nentries + 1, sizeof(*e));
			struct sbx_seccomp_spec one = *spec;

			for (size_t i = 0; i < spec->nentries; i++) {
				e[i] = spec->entries[i];
				e[i].arch_mask &= keep;
			}
			one.entries = e;
			n += diff_spec_arch(what, &one, (enum sbx_arch)a) > 0;
			free(e);
			sbx_policy_seccomp_spec_free(spec);
		}
		sbx_policy_free(pol);
	}
	CHECK(n >= 4);
}

int main(void)
{
	return t_run();
}

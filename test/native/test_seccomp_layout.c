/*
 * Shared returns (sbx_bpf_share_rets): the compiled program must decide
 * exactly as the plain layout, where every leaf has its own `ret`
 * (SBX_SECCOMP_RET_PER_LEAF), and be shorter. For every built-in preset,
 * policies with argument rules, generated specs and Docker's default
 * profile, on both arches, both layouts run in the test interpreter on every
 * probe input (seccomp_probe.h: every syscall number, the numbers around and
 * above the table, x32 numbers, foreign arches, boundary argument values);
 * no input may run more instructions in the shared layout, and the
 * constant-action answer (sbx_bpf_const_allows) must be the same for every
 * number. The builder's own reach rules are in test_bpf.c.
 */
#include "t.h"

#include "bpf.h"
#include "bpf_interp.h"
#include "docker_import.h"
#include "policy.h"
#include "sbx_policy.h"
#include "seccomp.h"
#include "seccomp_probe.h"
#include "spec_gen.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct layouts {
	const struct sbx_filter_model *m;
	struct sock_filter *shared, *plain;
	size_t shared_len, plain_len;
	size_t inputs, mismatches, slower, faster;
};

static int layout_visit(void *ctx, const struct seccomp_data *d)
{
	struct layouts *c = ctx;
	size_t ns = 0, np = 0;
	uint32_t s = sbx_bpf_run(c->shared, c->shared_len, d, &ns);
	uint32_t p = sbx_bpf_run(c->plain, c->plain_len, d, &np);
	uint32_t model = sbx_filter_model_eval(c->m, d->arch, (uint32_t)d->nr,
					       (const uint64_t *)d->args);

	c->inputs++;
	if (s != p || s != model) {
		if (c->mismatches++ < 5)
			T_FAIL("arch %#x nr %#x args %#llx %#llx %#llx: shared %#x, plain %#x, model %#x",
			       d->arch, (uint32_t)d->nr, (unsigned long long)d->args[0],
			       (unsigned long long)d->args[1], (unsigned long long)d->args[2],
			       s, p, model);
	}
	if (ns > np && c->slower++ < 5)
		T_FAIL("arch %#x nr %#x: shared runs %zu instructions, plain %zu",
		       d->arch, (uint32_t)d->nr, ns, np);
	c->faster += ns < np;
	return c->mismatches >= 50;
}

static size_t count_code(const struct sock_filter *p, size_t len, uint16_t code)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i].code == code;
	return n;
}

/* The constant-action answer for every number a filter can see. */
static void same_const_answers(const struct layouts *c)
{
	const struct sbx_arch_info *info = sbx_arch_info(c->m->arch);
	const uint32_t arches[] = { info->audit_arch, seccomp_probe_foreign_arch(c->m->arch) };
	const uint32_t high[] = { 0x40000000u, 0x40000001u, 0x7fffffffu, 0xfffffffeu, 0xffffffffu };
	uint32_t nrs[4096 + 16];
	size_t n = 0, differ = 0;

	for (uint32_t nr = 0; nr <= (uint32_t)c->m->max_nr + 10 && n < 4096; nr++)
		nrs[n++] = nr;
	for (size_t i = 0; i < sizeof(high) / sizeof(high[0]); i++)
		nrs[n++] = high[i];
	for (size_t a = 0; a < 2; a++) {
		for (size_t i = 0; i < n; i++) {
			bool s = sbx_bpf_const_allows(c->shared, c->shared_len, arches[a], nrs[i]);
			bool p = sbx_bpf_const_allows(c->plain, c->plain_len, arches[a], nrs[i]);

			if (s != p && differ++ < 5)
				T_FAIL("arch %#x nr %#x: constant allow shared %d, plain %d",
				       arches[a], nrs[i], s, p);
		}
	}
}

/* Compiles the model both ways and compares them. Returns the shared
 * program's length (0 when something failed, already reported). */
static size_t compare_model(const char *what, const struct sbx_filter_model *m,
			    bool expect_shorter)
{
	struct layouts c = { .m = m };
	struct sbx_error err;
	size_t len = 0;

	if (sbx_seccomp_compile(m, &c.shared, &c.shared_len, &err) ||
	    sbx_seccomp_compile_flags(m, SBX_SECCOMP_RET_PER_LEAF, &c.plain, &c.plain_len, &err)) {
		T_FAIL("%s: compile: %s", what, err.message);
		goto out;
	}
	CHECK_EQ_INT(sbx_bpf_verify(c.shared, c.shared_len, &err), 0);
	CHECK_EQ_INT(sbx_bpf_verify(c.plain, c.plain_len, &err), 0);
	seccomp_probe_walk(m, 0, layout_visit, &c);
	CHECK(c.inputs > (size_t)m->max_nr * 2);
	CHECK_EQ_INT(c.mismatches, 0);
	CHECK_EQ_INT(c.slower, 0);
	same_const_answers(&c);
	/* Never longer, never a trampoline the plain layout does not have. */
	CHECK(c.shared_len <= c.plain_len);
	CHECK(count_code(c.shared, c.shared_len, BPF_JMP | BPF_JA) <=
	      count_code(c.plain, c.plain_len, BPF_JMP | BPF_JA));
	if (expect_shorter && c.shared_len >= c.plain_len)
		T_FAIL("%s: shared %zu instructions, plain %zu", what, c.shared_len, c.plain_len);
	printf("# %s %s: %zu -> %zu instructions (%zu -> %zu ret), %zu inputs, %zu run fewer\n",
	       what, sbx_arch_info(m->arch)->name, c.plain_len, c.shared_len,
	       count_code(c.plain, c.plain_len, BPF_RET | BPF_K),
	       count_code(c.shared, c.shared_len, BPF_RET | BPF_K), c.inputs, c.faster);
	if (!c.mismatches && !c.slower)
		len = c.shared_len;
out:
	free(c.shared);
	free(c.plain);
	return len;
}

static size_t compare_spec(const char *what, const struct sbx_seccomp_spec *spec,
			   enum sbx_arch arch, bool expect_shorter)
{
	struct sbx_filter_model *m = NULL;
	struct sbx_error err;
	size_t len;

	if (sbx_seccomp_resolve(spec, arch, &m, NULL, &err)) {
		T_FAIL("%s: resolve: %s", what, err.message);
		return 0;
	}
	len = compare_model(what, m, expect_shorter);
	sbx_filter_model_free(m);
	return len;
}

/* Every arch of a loaded policy. */
static void compare_policy(const char *what, const struct sbx_policy *pol)
{
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		struct sbx_seccomp_spec *spec = NULL;
		struct sbx_error err;

		if (sbx_policy_seccomp_spec(pol, (enum sbx_arch)a, &spec, NULL, &err)) {
			T_FAIL("%s: %s", what, err.message);
			continue;
		}
		if (!spec) {
			T_FAIL("%s: no seccomp filter", what);
			continue;
		}
		CHECK(compare_spec(what, spec, (enum sbx_arch)a, true) > 0);
		sbx_policy_seccomp_spec_free(spec);
	}
}

static const struct sbx_policy_load_opts load_opts = {
	.cwd = "/work", .home = "/home/u", .tmpdir = "/tmp", .flags = SBX_POLICY_NO_PATH_CHECK,
};

TEST(every_preset_decides_as_before_in_fewer_instructions)
{
	size_t n = 0;

	for (const char *const *p = sbx_preset_names(); *p; p++) {
		struct sbx_policy *pol = NULL;
		struct sbx_error err;

		if (sbx_policy_load(*p, &load_opts, &pol, &err)) {
			T_FAIL("preset %s: %s", *p, err.message);
			continue;
		}
		compare_policy(*p, pol);
		sbx_policy_free(pol);
		n++;
	}
	CHECK(n >= 5);
}

TEST(policies_with_argument_rules)
{
	static const char *const policies[] = {
		/* default allow, a few denials, argument rules on 32- and 64-bit args */
		"{\"seccomp\": {\"default\": \"allow\", \"deny\": [\"@mount\", \"ptrace\"], \"rules\": ["
		"{\"syscall\": \"dup3\", \"action\": \"errno:EPERM\"},"
		"{\"syscall\": \"personality\", \"when\": \"arg0 == 0xffffffff\", \"action\": \"errno:EPERM\"},"
		"{\"syscall\": \"mmap\", \"when\": \"arg2 & PROT_EXEC == PROT_EXEC\", \"action\": \"errno:EACCES\"},"
		"{\"syscall\": \"mprotect\", \"when\": \"arg1 > 0x100000000 && arg2 & PROT_EXEC == PROT_EXEC\", \"action\": \"kill\"},"
		"{\"syscall\": \"clone3\", \"action\": \"errno:ENOSYS\"}]}}",
		/* docs/policy.md's example: default deny with exceptions */
		"{\"seccomp\": {\"default\": \"errno:EPERM\", \"allow\": [\"@system-service\"],"
		"\"deny\": [\"clone\", \"@mount\"], \"rules\": ["
		"{\"syscall\": \"clone\", \"when\": \"arg0 & (CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET) == 0\", \"action\": \"allow\"},"
		"{\"syscall\": \"clone3\", \"action\": \"errno:ENOSYS\"},"
		"{\"syscall\": \"ioctl\", \"when\": \"arg1 in [TIOCSTI, TIOCLINUX]\", \"action\": \"errno:EPERM\"},"
		"{\"syscall\": \"socket\", \"when\": \"arg0 in [AF_UNIX, AF_INET, AF_INET6]\", \"action\": \"allow\"},"
		"{\"syscall\": \"socket\", \"action\": \"errno:EAFNOSUPPORT\"},"
		"{\"syscall\": \"prctl\", \"when\": \"arg0 != PR_SET_DUMPABLE\", \"action\": \"allow\"},"
		"{\"syscall\": \"setrlimit\", \"when\": \"arg0 <= RLIMIT_NOFILE && arg1 < 0x10000\", \"action\": \"allow\"},"
		"{\"syscall\": \"kill\", \"when\": \"arg1 >= 64\", \"action\": \"errno:EINVAL\"},"
		"{\"syscall\": \"kill\", \"action\": \"allow\"}]}}",
		/* many verdicts: more distinct returns than a preset has */
		"{\"seccomp\": {\"default\": \"errno:EACCES\", \"allow\": [\"@basic-io\", \"@file-system\"], \"rules\": ["
		"{\"syscall\": \"@network-io\", \"action\": \"errno:ENETDOWN\"},"
		"{\"syscall\": \"@process\", \"action\": \"trap\"},"
		"{\"syscall\": \"@signal\", \"action\": \"log\"},"
		"{\"syscall\": \"@timer\", \"action\": \"errno:ETIME\"},"
		"{\"syscall\": \"openat\", \"when\": \"arg2 & O_CREAT == O_CREAT\", \"action\": \"errno:EROFS\"},"
		"{\"syscall\": \"@ipc\", \"action\": \"kill-thread\"}]}}",
	};
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct sbx_policy *pol = NULL;
		struct sbx_error err;
		char what[32];

		if (sbx_policy_load_text(policies[i], strlen(policies[i]), &load_opts, &pol, &err)) {
			T_FAIL("policy %zu: %s", i, err.message);
			continue;
		}
		snprintf(what, sizeof(what), "policy-%zu", i);
		compare_policy(what, pol);
		sbx_policy_free(pol);
	}
}

#define DOCKER_PROFILE SBX_SOURCE_DIR "/test/fixtures/seccomp/docker-default.json"

TEST(docker_default_profile_with_and_without_caps)
{
	static char text[1 << 20];
	const uint64_t caps[] = { 0, UINT64_MAX };
	size_t len = t_read_file(DOCKER_PROFILE, text, sizeof(text));

	CHECK(len > 1000);
	if (!len)
		return;
	for (size_t i = 0; i < 2; i++) {
		struct sbx_docker_profile *prof = NULL;
		struct sbx_error err;

		if (sbx_docker_import(text, len, caps[i], "", &prof, NULL, &err)) {
			T_FAIL("import: %s", err.message);
			continue;
		}
		for (int a = 0; a < SBX_ARCH_COUNT; a++)
			CHECK(compare_spec(caps[i] ? "docker-all-caps" : "docker-no-caps",
					   sbx_docker_profile_spec(prof), (enum sbx_arch)a, true) > 0);
		sbx_docker_profile_free(prof);
	}
}

TEST(generated_specs)
{
	uint64_t seed = 0x1ea5edull;
	struct spec_gen_opts o = { 120, 0 };
	size_t ok = 0;

	for (int i = 0; i < 40; i++) {
		uint8_t buf[2048];
		struct spec_gen g;
		struct sbx_filter_model *m = NULL;
		struct sbx_error err;
		char what[32];

		spec_gen_fill(&seed, buf, sizeof(buf));
		if (spec_gen_build(&g, buf, sizeof(buf), &o)) {
			T_FAIL("spec_gen_build");
			continue;
		}
		snprintf(what, sizeof(what), "generated-%d", i);
		/* A spec may be too long for the kernel in either layout; the
		 * rest are compared. */
		if (sbx_seccomp_resolve(&g.spec, (enum sbx_arch)(i % SBX_ARCH_COUNT), &m, NULL, &err) == 0) {
			struct sock_filter *p = NULL;
			size_t n = 0;

			if (sbx_seccomp_compile_flags(m, SBX_SECCOMP_RET_PER_LEAF, &p, &n, &err) == 0)
				ok += compare_model(what, m, false) > 0;
			else
				CHECK_EQ_INT(err.code, SBX_EPROGRAM);
			free(p);
		} else {
			T_FAIL("%s: resolve: %s", what, err.message);
		}
		sbx_filter_model_free(m);
		spec_gen_free(&g);
	}
	CHECK(ok >= 30);
}

/* Hundreds of rules: the tree's upper jumps cross more than 255
 * instructions, so some returns cannot be shared and stay local. */
TEST(long_programs_keep_local_returns_out_of_reach)
{
	struct sbx_policy *pol = NULL;
	struct sbx_error err;
	char *json = malloc(1 << 16);
	size_t n = 0;

	if (!json)
		abort();
	n += (size_t)snprintf(json + n, (1 << 16) - n,
			      "{\"seccomp\": {\"default\": \"errno:EPERM\", \"allow\": [\"@default\"], \"rules\": [");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(json + n, (1 << 16) - n,
				      "%s{\"syscall\": \"ioctl\", \"when\": \"arg1 == %d\", \"action\": \"%s\"}",
				      i ? "," : "", 0x5400 + 3 * i, i % 3 ? "allow" : "errno:EACCES");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(json + n, (1 << 16) - n,
				      ",{\"syscall\": \"%s\", \"when\": \"arg%d %s %d\", \"action\": \"%s\"}",
				      (const char *[]){ "fcntl", "mmap", "openat", "prctl", "kill" }[i % 5],
				      i % 6, i % 4 ? ">=" : "==", i * 977, i % 2 ? "allow" : "trap");
	snprintf(json + n, (1 << 16) - n, "]}}");
	if (sbx_policy_load_text(json, strlen(json), &load_opts, &pol, &err)) {
		T_FAIL("load: %s", err.message);
		free(json);
		return;
	}
	for (int a = 0; a < SBX_ARCH_COUNT; a++) {
		struct sbx_seccomp_spec *spec = NULL;
		struct sbx_filter_model *m = NULL;
		struct sock_filter *p = NULL;
		size_t len = 0, rets, kinds = 0;
		uint32_t seen[16];

		if (sbx_policy_seccomp_spec(pol, (enum sbx_arch)a, &spec, NULL, &err) ||
		    sbx_seccomp_resolve(spec, (enum sbx_arch)a, &m, NULL, &err)) {
			T_FAIL("%s", err.message);
			sbx_policy_seccomp_spec_free(spec);
			continue;
		}
		CHECK(compare_model("long", m, true) > 1000);
		/* More `ret` than distinct verdicts: some copies were kept
		 * because the shared one was out of reach. */
		if (sbx_seccomp_compile(m, &p, &len, &err) == 0) {
			rets = count_code(p, len, BPF_RET | BPF_K);
			for (size_t i = 0; i < len; i++) {
				size_t j = 0;

				if (p[i].code != (BPF_RET | BPF_K))
					continue;
				while (j < kinds && seen[j] != p[i].k)
					j++;
				if (j == kinds && kinds < 16)
					seen[kinds++] = p[i].k;
			}
			CHECK(rets > kinds);
			CHECK(count_code(p, len, BPF_JMP | BPF_JA) > 0);
		}
		free(p);
		sbx_filter_model_free(m);
		sbx_policy_seccomp_spec_free(spec);
	}
	sbx_policy_free(pol);
	free(json);
}

/* The kernel takes every preset's shared program (on this arch). */
TEST(kernel_loads_every_preset)
{
	for (const char *const *p = sbx_preset_names(); *p; p++) {
		struct sbx_policy *pol = NULL;
		struct sbx_seccomp_spec *spec = NULL;
		struct sbx_filter_model *m = NULL;
		struct sock_filter *prog = NULL;
		struct sbx_error err;
		size_t len = 0;
		enum sbx_arch arch = sbx_arch_native();
		int status = -1;
		pid_t pid;

		if (sbx_policy_load(*p, &load_opts, &pol, &err) ||
		    sbx_policy_seccomp_spec(pol, arch, &spec, NULL, &err) || !spec ||
		    sbx_seccomp_resolve(spec, arch, &m, NULL, &err) ||
		    sbx_seccomp_compile(m, &prog, &len, &err)) {
			T_FAIL("preset %s: compile failed", *p);
			goto next;
		}
		pid = fork();
		if (pid == 0) {
			struct sock_fprog fp = { .len = (unsigned short)len, .filter = prog };

			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
			    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
				_exit(1);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			T_FAIL("preset %s: the kernel refused its %zu-instruction program", *p, len);
next:
		free(prog);
		sbx_filter_model_free(m);
		sbx_policy_seccomp_spec_free(spec);
		sbx_policy_free(pol);
	}
}

int main(void)
{
	return t_run();
}

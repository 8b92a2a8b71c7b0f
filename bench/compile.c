/*
 * bench_compile: sbx's seccomp compiler side by side with libseccomp on the
 * same policies (the Docker default profile, every preset, a hand-written
 * one), per architecture:
 *   - compile time: median of many runs; sbx = spec -> model -> BPF,
 *     libseccomp = seccomp_init + the same rules (translated once,
 *     test/support/lsc_model.h) + export, at optimize level 2 (binary tree)
 *     and 1 (default, priority list);
 *   - program length (instructions);
 *   - instructions executed per syscall, average and worst, over every
 *     syscall number of the table (zero arguments), counted by the test
 *     interpreter.
 * Usage: bench_compile [docker-profile.json] (default: test/fixtures/seccomp/docker-default.json).
 */
#include "bpf.h"
#include "bpf_interp.h"
#include "docker_import.h"
#include "lsc_model.h"
#include "policy.h"
#include "sbx_policy.h"
#include "seccomp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 301

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

struct cost {
	double avg;
	size_t worst;
};

static struct cost exec_cost(const struct sbx_filter_model *m, const struct sock_filter *p,
			     size_t len)
{
	struct cost c = { 0, 0 };
	size_t total = 0, n = 0;

	for (int nr = 0; nr <= m->max_nr; nr++) {
		struct seccomp_data d = { .nr = nr, .arch = sbx_arch_info(m->arch)->audit_arch };
		size_t ex = 0;

		if (!sbx_syscall_name(m->arch, nr))
			continue;
		sbx_bpf_run(p, len, &d, &ex);
		total += ex;
		n++;
		if (ex > c.worst)
			c.worst = ex;
	}
	c.avg = n ? (double)total / (double)n : 0;
	return c;
}

static void bench(const char *name, const struct sbx_seccomp_spec *spec, enum sbx_arch arch)
{
	static double t[RUNS];
	struct sbx_filter_model *m = NULL;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len = 0;
	struct cost mine;

	for (int i = 0; i < RUNS; i++) {
		struct sbx_filter_model *mm = NULL;
		struct sock_filter *pp = NULL;
		size_t ll;
		double t0 = now_us();

		if (sbx_seccomp_resolve(spec, arch, &mm, NULL, &err) ||
		    sbx_seccomp_compile(mm, &pp, &ll, &err)) {
			printf("%-22s %-8s sbx failed: %s\n", name, sbx_arch_info(arch)->name,
			       err.message);
			sbx_filter_model_free(mm);
			return;
		}
		t[i] = now_us() - t0;
		free(pp);
		sbx_filter_model_free(mm);
	}
	sbx_seccomp_resolve(spec, arch, &m, NULL, &err);
	sbx_seccomp_compile(m, &prog, &len, &err);
	mine = exec_cost(m, prog, len);
	printf("%-22s %-8s %-14s %9.1f %6zu %8.2f %6zu\n", name, sbx_arch_info(arch)->name,
	       "sbx", median(t, RUNS), len, mine.avg, mine.worst);

	for (int opt = 2; opt >= 1; opt--) {
		struct lsc_model l;
		struct sock_filter *theirs = NULL;
		size_t tlen = 0;
		struct cost c;
		int rc = lsc_model_build(m, opt, NULL, 0, &l);

		if (!rc)
			rc = lsc_export(&l, &theirs, &tlen);
		if (rc || tlen > SBX_BPF_MAX_INSNS) {
			printf("%-22s %-8s libseccomp-O%d  cannot express within limits (%s)\n",
			       name, sbx_arch_info(arch)->name, opt, rc ? strerror(-rc) : "too long");
			lsc_model_free(&l);
			free(theirs);
			continue;
		}
		for (int i = 0; i < RUNS / 4; i++) {
			double t0 = now_us();

			lsc_replay(&l);
			t[i] = now_us() - t0;
		}
		c = exec_cost(m, theirs, tlen);
		printf("%-22s %-8s libseccomp-O%d %9.1f %6zu %8.2f %6zu\n", name,
		       sbx_arch_info(arch)->name, opt, median(t, RUNS / 4), tlen, c.avg, c.worst);
		free(theirs);
		lsc_model_free(&l);
	}
	free(prog);
	sbx_filter_model_free(m);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

/* A service-like policy with argument rules, written by hand. */
static void bench_handwritten(void)
{
	static const uint64_t fams[] = { 1, 2, 10 };
	static const struct sbx_arg_cond c_ioctl[] = { { .arg = 1, .op = SBX_CMP_EQ, .value = 0x5412 } };
	static const struct sbx_arg_cond c_ioctl2[] = { { .arg = 1, .op = SBX_CMP_EQ, .value = 0x541c } };
	static const struct sbx_arg_cond c_sock[] = { { .arg = 0, .op = SBX_CMP_IN, .set = fams, .nset = 3 } };
	static const struct sbx_arg_cond c_pers[] = { { .arg = 0, .op = SBX_CMP_EQ, .value = 0xffffffff } };
	static const struct sbx_arg_cond c_clone[] = {
		{ .arg = 0, .op = SBX_CMP_MASKED_EQ, .mask = 0x7e020000, .value = 0 } };
#define E(n, a, d, c, nc) { .name = n, .action = { a, d }, .conds = c, .nconds = nc, \
			    .arch_mask = SBX_ARCH_MASK_ALL, .pointer = "" }
	static const struct sbx_seccomp_entry e[] = {
		E("@system-service", SBX_ACT_ALLOW, 0, NULL, 0),
		E("@mount", SBX_ACT_ERRNO, 1, NULL, 0),
		E("ptrace", SBX_ACT_KILL_PROCESS, 0, NULL, 0),
		E("ioctl", SBX_ACT_ERRNO, 1, c_ioctl, 1),
		E("ioctl", SBX_ACT_ERRNO, 1, c_ioctl2, 1),
		E("socket", SBX_ACT_ERRNO, 97, NULL, 0),
		E("socket", SBX_ACT_ALLOW, 0, c_sock, 1),
		E("personality", SBX_ACT_ALLOW, 0, c_pers, 1),
		E("clone", SBX_ACT_ERRNO, 1, NULL, 0),
		E("clone", SBX_ACT_ALLOW, 0, c_clone, 1),
		E("clone3", SBX_ACT_ERRNO, 38, NULL, 0),
	};
	struct sbx_seccomp_spec spec = {
		.has_default = true, .default_action = { SBX_ACT_ERRNO, 1 },
		.entries = e, .nentries = sizeof(e) / sizeof(e[0]),
	};
	for (int a = 0; a < SBX_ARCH_COUNT; a++)
		bench("hand-written", &spec, (enum sbx_arch)a);
}

int main(int argc, char **argv)
{
	const char *docker = argc > 1 ? argv[1] :
		SBX_SOURCE_DIR "/test/fixtures/seccomp/docker-default.json";
	struct sbx_error err;
	size_t len = 0;
	char *text = slurp(docker, &len);

	printf("%-22s %-8s %-14s %9s %6s %8s %6s\n", "policy", "arch", "compiler",
	       "median_us", "insns", "avg_exec", "worst");
	if (text) {
		struct sbx_docker_profile *prof = NULL;

		if (sbx_docker_import(text, len, 0, "", &prof, NULL, &err) == 0) {
			for (int a = 0; a < SBX_ARCH_COUNT; a++)
				bench("docker-default", sbx_docker_profile_spec(prof), (enum sbx_arch)a);
		} else {
			printf("docker profile: %s\n", err.message);
		}
		sbx_docker_profile_free(prof);
		free(text);
	} else {
		printf("docker profile %s not readable\n", docker);
	}
	for (const char *const *p = sbx_preset_names(); *p; p++) {
		struct sbx_policy_load_opts o = { .cwd = "/work", .home = "/home/u",
						  .tmpdir = "/tmp", .flags = SBX_POLICY_NO_PATH_CHECK };
		struct sbx_policy *pol = NULL;
		char name[64];

		if (sbx_policy_load(*p, &o, &pol, &err)) {
			printf("preset %s: %s\n", *p, err.message);
			continue;
		}
		snprintf(name, sizeof(name), "preset:%s", *p);
		for (int a = 0; a < SBX_ARCH_COUNT; a++) {
			struct sbx_seccomp_spec *spec = NULL;

			if (sbx_policy_seccomp_spec(pol, (enum sbx_arch)a, &spec, NULL, &err)) {
				printf("preset %s: %s\n", *p, err.message);
				continue;
			}
			if (spec)
				bench(name, spec, (enum sbx_arch)a);
			sbx_policy_seccomp_spec_free(spec);
		}
		sbx_policy_free(pol);
	}
	bench_handwritten();
	return 0;
}

/*
 * bench_minijail: minijail policies compiled by sbx beside the program that
 * minijail's own compiler (tools/compile_seccomp_policy.py, run by
 * bench/minijail.bench.js) made of the same file:
 *   - sbx's compile time: median of many runs of the whole import (read the
 *     policy and its includes, parse, translate) + resolve + compile to BPF;
 *   - program length (instructions) of both;
 *   - instructions executed per syscall, average and worst, over every
 *     syscall number of sbx's table for the architecture (zero arguments),
 *     counted by the test interpreter, for both programs.
 * Usage: bench_minijail x86_64|aarch64 POLICY MINIJAIL_BPF|- [POLICY BPF|-]...
 * One line per policy; "-" in the minijail columns when no program was given.
 */
#include "bpf.h"
#include "bpf_interp.h"
#include "minijail_import.h"
#include "seccomp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 101

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

struct cost {
	double avg;
	size_t worst;
};

static struct cost exec_cost(enum sbx_arch arch, const struct sock_filter *p, size_t len)
{
	struct cost c = { 0, 0 };
	size_t total = 0, n = 0;

	for (int nr = 0; nr < 4096; nr++) {
		struct seccomp_data d = { .nr = nr, .arch = sbx_arch_info(arch)->audit_arch };
		size_t ex = 0;

		if (!sbx_syscall_name(arch, nr))
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

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0) {
		rewind(f);
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Import + check + resolve + compile; 0 and the program, or -1 (message printed). */
static int compile(const char *path, const char *text, size_t len, enum sbx_arch arch,
		   struct sock_filter **prog, size_t *plen)
{
	struct sbx_minijail_policy *p = NULL;
	struct sbx_filter_model *m = NULL;
	struct sbx_error err;
	int rc = sbx_minijail_import(text, len, path, "/seccomp/import", &p, NULL, &err);

	if (!rc)
		rc = sbx_minijail_policy_check(p, arch, &err);
	if (!rc)
		rc = sbx_seccomp_resolve(sbx_minijail_policy_spec(p), arch, &m, NULL, &err);
	if (!rc)
		rc = sbx_seccomp_compile(m, prog, plen, &err);
	if (rc)
		printf("%s %s sbx-failed %s\n", path, sbx_arch_info(arch)->name, err.message);
	sbx_filter_model_free(m);
	sbx_minijail_policy_free(p);
	return rc ? -1 : 0;
}

static void bench(const char *path, const char *bpf, enum sbx_arch arch)
{
	static double t[RUNS];
	struct sock_filter *prog = NULL;
	size_t len = 0, tlen = 0, plen = 0;
	char *text = slurp(path, &len);
	struct cost mine, theirs;

	if (!text) {
		printf("%s %s sbx-failed cannot read the policy\n", path, sbx_arch_info(arch)->name);
		return;
	}
	for (int i = 0; i < RUNS; i++) {
		struct sock_filter *pp = NULL;
		size_t ll = 0;
		double t0 = now_us();

		if (compile(path, text, len, arch, &pp, &ll)) {
			free(text);
			return;
		}
		t[i] = now_us() - t0;
		free(pp);
	}
	qsort(t, RUNS, sizeof(*t), cmp_double);
	compile(path, text, len, arch, &prog, &plen);
	mine = exec_cost(arch, prog, plen);
	printf("%s %s %.1f %zu %.2f %zu", path, sbx_arch_info(arch)->name, t[RUNS / 2], plen,
	       mine.avg, mine.worst);
	free(prog);
	free(text);

	char *raw = strcmp(bpf, "-") ? slurp(bpf, &tlen) : NULL;

	if (raw && tlen && tlen % sizeof(struct sock_filter) == 0) {
		theirs = exec_cost(arch, (const struct sock_filter *)raw, tlen / sizeof(struct sock_filter));
		printf(" %zu %.2f %zu\n", tlen / sizeof(struct sock_filter), theirs.avg, theirs.worst);
	} else {
		printf(" - - -\n");
	}
	free(raw);
}

int main(int argc, char **argv)
{
	enum sbx_arch arch;

	if (argc < 2 || (argc - 2) % 2) {
		fprintf(stderr, "usage: bench_minijail x86_64|aarch64 POLICY BPF|- ...\n");
		return 2;
	}
	if (!strcmp(argv[1], "x86_64"))
		arch = SBX_ARCH_X86_64;
	else if (!strcmp(argv[1], "aarch64"))
		arch = SBX_ARCH_AARCH64;
	else {
		fprintf(stderr, "bench_minijail: unknown architecture %s\n", argv[1]);
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2)
		bench(argv[i], argv[i + 1], arch);
	return 0;
}

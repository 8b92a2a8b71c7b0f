/*
 * bench_scale: how the cost of confining grows with the size of the policy:
 *   - Landlock: `fs.read` lists of 1, 100 and 1000 directories (created
 *     under the directory given on the command line);
 *   - seccomp: allowlists of 10, 100 and 400 syscalls (default errno:EPERM),
 *     spread over the native table so that they are not one range; when the
 *     arch has fewer syscalls than asked, all of them (the output says how
 *     many).
 * Each round forks one child per case (cases rotate); the child loads the
 * policy text (sbx_policy_load_text: parse, expand, check paths), prepares
 * it for the self door (sbx_prepare: open paths, build the ruleset, compile
 * the filter) and applies it (sbx_prepared_apply), timing each step; the
 * figures go back through shared memory, because after apply the child may
 * make only the syscalls its policy allows. The parent times the compile
 * step alone (sbx_compile_policy_flags) and records the program length.
 * Output: JSON with every round's figures (bench/scale.bench.js summarises).
 *
 * Usage: bench_scale rounds dir
 */
#include "sbx_apply.h"
#include "sbx_compile.h"
#include "sbx_policy.h"
#include "syscalls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 5000

enum step { S_LOAD, S_PREPARE, S_APPLY, S_COMPILE, S_COUNT };
static const char *const step_names[S_COUNT] = { "load", "prepare", "apply", "compile" };

struct scase {
	const char *kind;   /* "landlock" or "seccomp" */
	int asked;          /* paths or syscalls asked for */
	int actual;         /* in the policy */
	char *policy;       /* JSON text */
	size_t insns;       /* program length (compile) */
	double *us[S_COUNT];
};

struct buf {
	char *p;
	size_t n, cap;
};

static void put(struct buf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->n + l + 1 > b->cap) {
		b->cap = (b->n + l + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, s, l + 1);
	b->n += l;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static char *landlock_policy(const char *dir, int n)
{
	struct buf b = { 0 };
	char path[4200];

	put(&b, "{\"fs\":{\"read\":[");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s\"%s/d%04d\"", i ? "," : "", dir, i);
		put(&b, path);
	}
	put(&b, "]}}");
	return b.p;
}

/* exit_group, exit and write are always in (the child must be able to
 * finish); the rest are spread evenly over the native table. */
static char *seccomp_policy(int n, int *actual)
{
	static const char *const must[] = { "exit_group", "exit", "write" };
	enum sbx_arch arch = sbx_arch_native();
	int max = sbx_arch_info(arch)->max_nr, avail = 0, k = 0;
	const char **names = calloc((size_t)max + 1, sizeof(*names));
	struct buf b = { 0 };

	if (!names)
		abort();
	for (int nr = 0; nr <= max; nr++) {
		const char *nm = sbx_syscall_name(arch, nr);
		int skip = !nm;

		for (size_t j = 0; nm && j < 3; j++)
			skip |= !strcmp(nm, must[j]);
		if (!skip)
			names[avail++] = nm;
	}
	put(&b, "{\"seccomp\":{\"default\":\"errno:EPERM\",\"allow\":[\"exit_group\",\"exit\",\"write\"");
	k = 3;
	if (n - 3 > avail)
		n = avail + 3;
	for (int i = 0; i < n - 3; i++) {
		put(&b, ",\"");
		put(&b, names[(long)i * avail / (n - 3)]);
		put(&b, "\"");
		k++;
	}
	put(&b, "]}}");
	free(names);
	*actual = k;
	return b.p;
}

static void child(const struct scase *c, double *out)
{
	struct sbx_policy_load_opts o = { .flags = SBX_POLICY_INLINE_ONLY };
	struct sbx_policy *pol = NULL;
	struct sbx_prepared *pp = NULL;
	struct sbx_error err;
	double t0 = now_us(), t1, t2;

	if (sbx_policy_load_text(c->policy, strlen(c->policy), &o, &pol, &err))
		_exit(10);
	t1 = now_us();
	if (sbx_prepare(pol, SBX_DOOR_SELF, 0, &pp, &err))
		_exit(11);
	t2 = now_us();
	if (sbx_prepared_apply(pp, &err))
		_exit(12);
	out[S_APPLY] = now_us() - t2;
	out[S_LOAD] = t1 - t0;
	out[S_PREPARE] = t2 - t1;
	_exit(0);
}

static int measure(struct scase *c, int round, double *shared)
{
	struct sbx_policy_load_opts o = { .flags = SBX_POLICY_INLINE_ONLY };
	struct sbx_policy *pol = NULL;
	struct sbx_compiled *comp = NULL;
	struct sbx_error err;
	double t0;
	pid_t pid;
	int st;

	memset(shared, 0, S_COUNT * sizeof(double));
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(c, shared);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "bench_scale: %s %d: child failed (status 0x%x)\n", c->kind,
			c->asked, st);
		return -1;
	}
	for (int s = 0; s < S_APPLY + 1; s++)
		c->us[s][round] = shared[s];

	if (sbx_policy_load_text(c->policy, strlen(c->policy), &o, &pol, &err))
		return -1;
	t0 = now_us();
	if (sbx_compile_policy_flags(pol, -1, SBX_COMPILE_NO_DISASSEMBLY, &comp, &err)) {
		sbx_policy_free(pol);
		return -1;
	}
	c->us[S_COMPILE][round] = now_us() - t0;
	c->insns = comp->insn_count;
	sbx_compiled_free(comp);
	sbx_policy_free(pol);
	return 0;
}

int main(int argc, char **argv)
{
	static const int paths[] = { 1, 100, 1000 };
	static const int sys[] = { 10, 100, 400 };
	struct scase cs[6];
	const int nc = 6;
	int rounds = argc > 2 ? atoi(argv[1]) : 0;
	const char *dir = argc > 2 ? argv[2] : NULL;
	double *shared;
	char path[4200];

	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench_scale rounds(1-%d) dir\n", MAX_ROUNDS);
		return 2;
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "%s/d%04d", dir, i);
		if (mkdir(path, 0755) && errno != EEXIST) {
			perror(path);
			return 1;
		}
	}
	memset(cs, 0, sizeof(cs));
	for (int i = 0; i < 3; i++) {
		cs[i] = (struct scase){ .kind = "landlock", .asked = paths[i], .actual = paths[i],
					.policy = landlock_policy(dir, paths[i]) };
		cs[3 + i] = (struct scase){ .kind = "seccomp", .asked = sys[i] };
		cs[3 + i].policy = seccomp_policy(sys[i], &cs[3 + i].actual);
	}
	for (int i = 0; i < nc; i++)
		for (int s = 0; s < S_COUNT; s++)
			if (!(cs[i].us[s] = calloc((size_t)rounds, sizeof(double))))
				return 1;
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 1;

	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < nc; k++)
			if (measure(&cs[(r + k) % nc], r, shared))
				return 1;

	printf("{\"rounds\":%d,\"cases\":[", rounds);
	for (int i = 0; i < nc; i++) {
		printf("%s{\"kind\":\"%s\",\"asked\":%d,\"actual\":%d,\"insns\":%zu", i ? "," : "",
		       cs[i].kind, cs[i].asked, cs[i].actual, cs[i].insns);
		for (int s = 0; s < S_COUNT; s++) {
			printf(",\"%s\":[", step_names[s]);
			for (int r = 0; r < rounds; r++)
				printf("%s%.2f", r ? "," : "", cs[i].us[s][r]);
			printf("]");
			free(cs[i].us[s]);
		}
		printf("}");
		free(cs[i].policy);
	}
	printf("]}\n");
	munmap(shared, 4096);
	return 0;
}

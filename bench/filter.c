/*
 * bench_filter: what a seccomp filter costs each system call, for the Docker
 * default profile compiled by sbx and by libseccomp (translated from the same
 * model, test/support/lsc_model.h; binary tree and default), beside no
 * filter at all.
 *
 * Two calls are timed, both raw syscall(2) so that libc caches nothing:
 *   - getppid(): allowed unconditionally, so the kernel's per-arch bitmap
 *     cache (Linux 5.11+) can answer without running the filter, provided
 *     the program's verdict for that number provably does not depend on the
 *     arguments (the kernel emulates the program with only nr and arch
 *     known; see cacheable() below, which mirrors that emulation);
 *   - personality(0xffffffff): the profile allows it only for five argument
 *     values, so the filter runs and compares arg0.
 *
 * A one-instruction allow-all filter is measured too: it is the floor every
 * filter pays (a task with seccomp takes the kernel's slow syscall entry
 * path), so the distance of a cached call from it is the filter's own.
 *
 * Each round forks one child per contender (order rotated every round, so
 * no contender always runs first); the child sets no_new_privs, installs its
 * filter, pins itself to one CPU and times BATCHES batches of `calls` calls
 * of each syscall; its figure is the median batch, in ns per call.
 * For each call the instructions the filter executes are counted by the
 * test interpreter (test/support/bpf_interp.h).
 * The output is JSON with every round's figure; bench/filter.bench.js
 * summarises and checks the goals.
 *
 * Usage: bench_filter [rounds [calls [docker-profile.json]]]
 */
#include "bpf_interp.h"
#include "lsc_model.h"
#include "sbx_compile.h"
#include "sbx_policy.h"
#include "policy.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 5
#define MAX_ROUNDS 2000

enum { SC_GETPPID, SC_PERSONALITY, SC_COUNT };
static const char *const sc_names[SC_COUNT] = { "getppid", "personality(0xffffffff)" };
static const int sc_nr[SC_COUNT] = { __NR_getppid, __NR_personality };

struct contender {
	const char *name;
	struct sock_filter *prog; /* NULL: no filter */
	size_t len;
	double *ns[SC_COUNT];     /* [rounds] */
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The kernel's seccomp_is_const_allow() (kernel/seccomp.c): run the classic
 * program with only nr and arch known; any instruction outside the few it
 * emulates, or a load of anything else (an argument, the instruction
 * pointer), means the verdict is not constant and the filter runs on every
 * call of that number.
 */
static int cacheable(const struct sock_filter *p, size_t len, uint32_t arch, uint32_t nr)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *in = &p[pc];
		int res;

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k == offsetof(struct seccomp_data, nr))
				a = nr;
			else if (in->k == offsetof(struct seccomp_data, arch))
				a = arch;
			else
				return 0;
			break;
		case BPF_RET | BPF_K:
			return in->k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(in->code)) {
			case BPF_JEQ: res = a == in->k; break;
			case BPF_JGE: res = a >= in->k; break;
			case BPF_JGT: res = a > in->k; break;
			default: res = (a & in->k) != 0; break;
			}
			pc += res ? in->jt : in->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= in->k;
			break;
		default:
			return 0;
		}
	}
	return 0;
}

static int pick_cpu(void)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpu = i;
	return cpu;
}

/* In the child: confine, time, write SC_COUNT doubles, exit. */
static void child(const struct contender *c, int cpu, long calls, int fd)
{
	double out[SC_COUNT];

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(10);
	if (c->prog) {
		struct sock_fprog fp = { .len = (unsigned short)c->len, .filter = c->prog };

		if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
			_exit(11);
	}
	/* The filter must allow both calls, or we would time a denial. */
	if (syscall(__NR_getppid) != getppid() ||
	    syscall(__NR_personality, 0xffffffffUL) < 0)
		_exit(12);
	for (int s = 0; s < SC_COUNT; s++) {
		double b[BATCHES];
		long arg = s == SC_PERSONALITY ? 0xffffffffL : 0;

		for (long i = 0; i < calls / 4; i++)
			syscall(sc_nr[s], arg);
		for (int k = 0; k < BATCHES; k++) {
			double t0 = now_ns();

			for (long i = 0; i < calls; i++)
				syscall(sc_nr[s], arg);
			b[k] = (now_ns() - t0) / (double)calls;
		}
		qsort(b, BATCHES, sizeof(b[0]), cmp_double);
		out[s] = b[BATCHES / 2];
	}
	if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
		_exit(13);
	_exit(0);
}

static int measure(struct contender *c, int round, int cpu, long calls)
{
	double got[SC_COUNT];
	int p[2], st;
	pid_t pid;
	ssize_t n;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		child(c, cpu, calls, p[1]);
	}
	close(p[1]);
	n = read(p[0], got, sizeof(got));
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) ||
	    n != (ssize_t)sizeof(got)) {
		fprintf(stderr, "bench_filter: %s: child failed (status 0x%x)\n", c->name, st);
		return -1;
	}
	for (int s = 0; s < SC_COUNT; s++)
		c->ns[s][round] = got[s];
	return 0;
}

static int lsc_program(const struct sbx_filter_model *m, int opt, struct contender *c)
{
	struct lsc_model l;
	int rc = lsc_model_build(m, opt, NULL, 0, &l);

	if (!rc)
		rc = lsc_export(&l, &c->prog, &c->len);
	lsc_model_free(&l);
	if (!rc && c->len > BPF_MAXINSNS)
		rc = -E2BIG;
	return rc;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 101;
	long calls = argc > 2 ? atol(argv[2]) : 20000;
	const char *docker = argc > 3 ? argv[3] :
		SBX_SOURCE_DIR "/test/fixtures/seccomp/docker-default.json";
	/* The floor: any filter at all sends every call through the kernel's
	 * slow syscall entry, even when the cache spares running it. */
	static struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct contender cs[] = {
		{ .name = "no filter" },
		{ .name = "allow-all filter (1 insn)", .prog = allow_all, .len = 1 },
		{ .name = "sbx" },
		{ .name = "libseccomp tree (optimize=2)" },
		{ .name = "libseccomp default" },
	};
	const int nc = (int)(sizeof(cs) / sizeof(cs[0]));
	enum sbx_arch arch = sbx_arch_native();
	uint32_t audit = sbx_arch_info(arch)->audit_arch;
	struct sbx_policy_load_opts o = { .flags = SBX_POLICY_INLINE_ONLY };
	struct sbx_policy *pol = NULL;
	struct sbx_seccomp_spec *spec = NULL;
	struct sbx_filter_model *m = NULL;
	struct sbx_compiled *comp = NULL;
	struct sbx_error err;
	char doc[4096];
	int cpu = pick_cpu();

	if (rounds < 1 || rounds > MAX_ROUNDS || calls < 1) {
		fprintf(stderr, "usage: bench_filter [rounds 1-%d [calls [profile.json]]]\n", MAX_ROUNDS);
		return 2;
	}
	/* The user's path: a policy that imports the profile. */
	snprintf(doc, sizeof(doc), "{\"seccomp\":{\"import\":\"%s\"}}", docker);
	if (sbx_policy_load(doc, &o, &pol, &err) ||
	    sbx_compile_policy_flags(pol, (int)arch, SBX_COMPILE_NO_DISASSEMBLY, &comp, &err) ||
	    sbx_policy_seccomp_spec(pol, arch, &spec, NULL, &err) ||
	    sbx_seccomp_resolve(spec, arch, &m, NULL, &err)) {
		fprintf(stderr, "bench_filter: %s: %s\n", docker, err.message);
		return 1;
	}
	cs[2].len = comp->insn_count;
	cs[2].prog = malloc(comp->bpf_size);
	if (!cs[2].prog)
		return 1;
	memcpy(cs[2].prog, comp->bpf, comp->bpf_size);
	for (int opt = 2; opt >= 1; opt--) {
		int rc = lsc_program(m, opt, &cs[5 - opt]);

		if (rc) {
			fprintf(stderr, "bench_filter: libseccomp (optimize=%d): %s\n", opt, strerror(-rc));
			return 1;
		}
	}
	for (int i = 0; i < nc; i++)
		for (int s = 0; s < SC_COUNT; s++)
			if (!(cs[i].ns[s] = calloc((size_t)rounds, sizeof(double))))
				return 1;

	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < nc; k++)
			if (measure(&cs[(r + k) % nc], r, cpu, calls))
				return 1;

	printf("{\"arch\":\"%s\",\"rounds\":%d,\"calls\":%ld,\"batches\":%d,\"cpu\":%d,\"contenders\":[",
	       sbx_arch_info(arch)->name, rounds, calls, BATCHES, cpu);
	for (int i = 0; i < nc; i++) {
		printf("%s{\"name\":\"%s\",\"insns\":%zu,\"syscalls\":[", i ? "," : "", cs[i].name,
		       cs[i].len);
		for (int s = 0; s < SC_COUNT; s++) {
			const char *cached = !cs[i].prog ? "null" :
				cacheable(cs[i].prog, cs[i].len, audit, (uint32_t)sc_nr[s]) ? "true" : "false";

			struct seccomp_data d = { .nr = sc_nr[s], .arch = audit,
						  .args = { s == SC_PERSONALITY ? 0xffffffffu : 0 } };
			size_t executed = 0;

			if (cs[i].prog)
				sbx_bpf_run(cs[i].prog, cs[i].len, &d, &executed);
			printf("%s{\"name\":\"%s\",\"cacheable\":%s,\"executed\":%zu,\"ns\":[",
			       s ? "," : "", sc_names[s], cached, executed);
			for (int r = 0; r < rounds; r++)
				printf("%s%.3f", r ? "," : "", cs[i].ns[s][r]);
			printf("]}");
			free(cs[i].ns[s]);
		}
		printf("]}");
		if (cs[i].prog != allow_all)
			free(cs[i].prog);
	}
	printf("]}\n");
	sbx_compiled_free(comp);
	sbx_filter_model_free(m);
	sbx_policy_seccomp_spec_free(spec);
	sbx_policy_free(pol);
	return 0;
}

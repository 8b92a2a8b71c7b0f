/*
 * BPF builder, verifier, disassembler and the test interpreter, checked
 * against hand-computed values and against the running kernel (programs are
 * installed with seccomp() in forked children).
 */
#include "t.h"

#include "bpf.h"
#include "bpf_interp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RET_ALLOW 0x7fff0000U
#define RET_ERRNO(n) (0x00050000U | ((n) & 0xffffU))
#define RET_KILL_PROCESS 0x80000000U

#define STMT(c, k) ((struct sock_filter){ (uint16_t)(c), 0, 0, (uint32_t)(k) })
#define JUMP(c, k, t, f) ((struct sock_filter){ (uint16_t)(c), (t), (f), (uint32_t)(k) })
#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct seccomp_data sd(int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d = { 0 };

	d.nr = nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.instruction_pointer = 0x401000;
	d.args[0] = a0;
	d.args[1] = a1;
	return d;
}

static uint32_t run(const struct sock_filter *p, size_t len, int nr, uint64_t a0,
		    uint64_t a1)
{
	struct seccomp_data d = sd(nr, a0, a1);

	return sbx_bpf_run(p, len, &d, NULL);
}

static size_t count_ja(const struct sock_filter *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i].code == (BPF_JMP | BPF_JA);
	return n;
}

/* ---- kernel oracle ----------------------------------------------------- */

struct kres {
	int installed;   /* 1 when seccomp() accepted the program */
	int install_err; /* errno of seccomp() otherwise */
	long ret;        /* the syscall's return value */
	int err;         /* its errno when ret == -1 */
	int sig;         /* the signal that killed the child, or 0 */
};

/* Install the program in a fresh child and, if it is accepted and nr >= 0,
 * make one raw syscall with the given first two arguments. */
static int kernel_call(const struct sock_filter *p, size_t len, long nr,
		       uint64_t a0, uint64_t a1, struct kres *r)
{
	int fds[2], status;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sock_fprog prog = { (unsigned short)len, (struct sock_filter *)p };
		struct kres c = { 0 };

		close(fds[0]);
		alarm(10);  /* a program that denies exit_group must not hang us */
		if (len > 0xffff)
			prog.len = 0xffff;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(100);
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
			c.install_err = errno;
		} else {
			c.installed = 1;
			if (nr >= 0) {
				errno = 0;
				c.ret = syscall(nr, a0, a1, 0, 0, 0, 0);
				c.err = errno;
			}
		}
		if (write(fds[1], &c, sizeof(c)) != sizeof(c))
			_exit(101);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], r, sizeof(*r));
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status)) {
		r->sig = WTERMSIG(status);
		return 0;
	}
	return n == (ssize_t)sizeof(*r) ? 0 : -1;
}

/* What the kernel did matches what the interpreter predicts for the call. */
static int kernel_agrees(const struct sock_filter *p, size_t len, long nr,
			 uint64_t a0, uint64_t a1)
{
	struct kres r;
	uint32_t want = run(p, len, (int)nr, a0, a1);

	if (kernel_call(p, len, nr, a0, a1, &r) != 0) {
		printf("#   kernel_call failed\n");
		return 0;
	}
	if ((want & 0xffff0000U) == RET_ALLOW) {
		if (r.installed && !r.sig && r.ret != -1)
			return 1;
	} else if ((want & 0xffff0000U) == 0x00050000U) {
		uint32_t e = want & 0xffff;

		if (e > 4095)
			e = 4095;
		if (r.installed && !r.sig &&
		    (e == 0 ? r.ret == 0 : (r.ret == -1 && r.err == (int)e)))
			return 1;
	} else if (want == 0 || want == RET_KILL_PROCESS) {
		if (r.sig == SIGSYS)
			return 1;
	}
	printf("#   nr %ld args %#llx %#llx: interpreter says %#x, kernel: installed %d"
	       " (err %d) ret %ld errno %d sig %d\n", nr, (unsigned long long)a0,
	       (unsigned long long)a1, want, r.installed, r.install_err, r.ret,
	       r.err, r.sig);
	return 0;
}

/* ---- builder: trampolines ---------------------------------------------- */

static void filler(struct sbx_bpf_builder *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sbx_bpf_stmt(b, BPF_LDX | BPF_IMM, (uint32_t)i);
}

/* ld nr; jXX #k, A, B; ret miss; gap; ... — the shapes below. */
enum shape { JT_FAR, JF_FAR, BOTH_SAME, BOTH_DIFF };

static int build_shape(enum shape s, size_t gap, uint32_t k, uint32_t hit,
		       uint32_t miss, struct sock_filter **out, size_t *len,
		       struct sbx_error *err)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	sbx_bpf_label_t t = sbx_bpf_label(b), f = sbx_bpf_label(b);
	int rc;

	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
	switch (s) {
	case JT_FAR:
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, k, t, -1);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, miss);
		filler(b, gap);
		sbx_bpf_bind(b, t);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, hit);
		break;
	case JF_FAR:
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, k, -1, f);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, hit);
		filler(b, gap);
		sbx_bpf_bind(b, f);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, miss);
		break;
	case BOTH_SAME:
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, k, t, t);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, miss);
		filler(b, gap);
		sbx_bpf_bind(b, t);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, hit);
		break;
	case BOTH_DIFF:
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, k, t, f);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_KILL_PROCESS); /* unreachable */
		filler(b, gap);
		sbx_bpf_bind(b, f);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, miss);
		filler(b, gap);
		sbx_bpf_bind(b, t);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, hit);
		break;
	}
	rc = sbx_bpf_finish(b, out, len, err);
	sbx_bpf_builder_free(b);
	return rc;
}

static const size_t gaps[] = { 0, 1, 253, 254, 255, 256, 300, 2000, 4085, 5000 };

/* Trampolines each shape needs, worked out by hand from the layouts above:
 * distance = instructions skipped by the arm; > 255 needs a `ja`, and each
 * `ja` placed after the jump lengthens the other arm by one. */
static size_t expected_tramps(enum shape s, size_t gap)
{
	size_t jt_far, jf_far;

	switch (s) {
	case JT_FAR:
	case JF_FAR:
	case BOTH_SAME:
		return gap + 1 > 255;
	case BOTH_DIFF:
		jt_far = 2 * gap + 2 > 255;          /* skips ret, gap, ret, gap */
		jf_far = gap + 1 + jt_far > 255;     /* skips ret, gap (+ ja) */
		return jt_far + jf_far;
	}
	return 99;
}

static size_t base_len(enum shape s, size_t gap)
{
	return s == BOTH_DIFF ? 5 + 2 * gap : 4 + gap;
}

TEST(builder_trampolines_every_shape_and_gap)
{
	for (int s = JT_FAR; s <= BOTH_DIFF; s++) {
		for (size_t gi = 0; gi < N(gaps); gi++) {
			size_t gap = gaps[gi], len = 0, exec = 0;
			size_t want_len = base_len(s, gap) + expected_tramps(s, gap);
			struct sock_filter *p = NULL;
			struct sbx_error err;
			struct seccomp_data d;
			int rc = build_shape(s, gap, 7, RET_ERRNO(11), RET_ERRNO(10),
					     &p, &len, &err);

			if (want_len > SBX_BPF_MAX_INSNS) {
				char msg[128];

				snprintf(msg, sizeof(msg),
					 "program is %zu instructions, the kernel's limit is 4096",
					 want_len);
				CHECK(rc < 0);
				CHECK_EQ_INT(err.code, SBX_EPROGRAM);
				CHECK_STR(err.message, msg);
				CHECK(p == NULL);
				continue;
			}
			if (rc != 0) {
				T_FAIL("shape %d gap %zu: %s", s, gap, err.message);
				continue;
			}
			CHECK_EQ_INT(len, want_len);
			CHECK_EQ_INT(count_ja(p, len), expected_tramps(s, gap));
			CHECK_EQ_INT(sbx_bpf_verify(p, len, &err), 0);
			d = sd(7, 0, 0);
			uint32_t hit = sbx_bpf_run(p, len, &d, &exec);
			if (hit != RET_ERRNO(11))
				T_FAIL("shape %d gap %zu nr 7: %#x", s, gap, hit);
			if (s == JT_FAR || s == BOTH_SAME)
				CHECK_EQ_INT(exec, 3 + expected_tramps(s, gap));
			d = sd(8, 0, 0);
			uint32_t miss = sbx_bpf_run(p, len, &d, &exec);
			uint32_t want_miss = s == BOTH_SAME ? RET_ERRNO(11) : RET_ERRNO(10);
			if (miss != want_miss)
				T_FAIL("shape %d gap %zu nr 8: %#x", s, gap, miss);
			if (s == JT_FAR)
				CHECK_EQ_INT(exec, 3); /* the false path pays nothing */
			free(p);
		}
	}
}

/* 300 comparisons that all jump to one far label: inserting trampolines for
 * the first ones pushes later ones past 255, so this needs the fixed point. */
TEST(builder_chain_to_common_far_label)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	sbx_bpf_label_t allow = sbx_bpf_label(b);
	struct sock_filter *p = NULL;
	struct sbx_error err;
	size_t len = 0;

	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
	for (uint32_t i = 0; i < 300; i++)
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, i * 3, allow, -1);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));
	filler(b, 40);
	sbx_bpf_bind(b, allow);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
	CHECK_EQ_INT(sbx_bpf_len(b), 343);
	CHECK_EQ_INT(sbx_bpf_finish(b, &p, &len, &err), 0);
	sbx_bpf_builder_free(b);
	if (!p)
		return;
	CHECK(count_ja(p, len) > 0);
	CHECK_EQ_INT(len, 343 + count_ja(p, len));
	for (int nr = 0; nr < 900; nr++) {
		uint32_t want = nr % 3 == 0 ? RET_ALLOW : RET_ERRNO(1);
		uint32_t got = run(p, len, nr, 0, 0);

		if (got != want) {
			T_FAIL("nr %d: %#x, want %#x", nr, got, want);
			break;
		}
	}
	free(p);
}

TEST(builder_over_limit_reports_figure)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	struct sock_filter *p = (struct sock_filter *)1;
	struct sbx_error err;
	size_t len = 1;

	for (int i = 0; i < 4097; i++)
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
	CHECK(sbx_bpf_finish(b, &p, &len, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EPROGRAM);
	CHECK_STR(err.message, "program is 4097 instructions, the kernel's limit is 4096");
	CHECK(p == NULL);
	CHECK_EQ_INT(len, 0);
	sbx_bpf_builder_free(b);

	b = sbx_bpf_builder_new();
	for (int i = 0; i < 4096; i++)
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
	CHECK_EQ_INT(sbx_bpf_finish(b, &p, &len, &err), 0);
	CHECK_EQ_INT(len, 4096);
	free(p);
	sbx_bpf_builder_free(b);
}

/* ---- builder: shared returns -------------------------------------------- */

/* Leaves of a small tree: each verdict once, arms aimed at the nearest copy
 * further on; a `ret` the instruction before runs into stays where it is
 * and serves jumps too. */
TEST(builder_shares_rets_exact_listing)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	sbx_bpf_label_t hi = sbx_bpf_label(b), l2 = sbx_bpf_label(b);
	sbx_bpf_label_t l3 = sbx_bpf_label(b), l4 = sbx_bpf_label(b);
	struct sock_filter *p = NULL;
	struct sbx_error err;
	char *text = NULL;
	size_t len = 0;

	sbx_bpf_share_rets(b);
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
	sbx_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, 10, hi, -1);
	sbx_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, 5, l2, -1);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);           /* dropped */
	sbx_bpf_bind(b, l2);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));        /* dropped */
	sbx_bpf_bind(b, hi);
	sbx_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, 20, l3, -1);
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(0));
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));        /* run into: stays */
	sbx_bpf_bind(b, l3);
	sbx_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, 30, l4, -1);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));        /* none after: stays */
	sbx_bpf_bind(b, l4);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);           /* none after: stays */
	CHECK_EQ_INT(sbx_bpf_len(b), 11);
	CHECK_EQ_INT(sbx_bpf_finish(b, &p, &len, &err), 0);
	sbx_bpf_builder_free(b);
	if (!p)
		return;
	CHECK_EQ_INT(sbx_bpf_disasm(p, len, -1, &text, &err), 0);
	CHECK_STR(text,
		"0000: ld [0]    ; nr\n"
		"0001: jge #10, 3, 2\n"
		"0002: jge #5, 5, 8\n"
		"0003: jge #20, 6, 4\n"
		"0004: ld [16]    ; arg0.lo\n"
		"0005: ret ERRNO(1)\n"
		"0006: jge #30, 8, 7\n"
		"0007: ret ERRNO(1)\n"
		"0008: ret ALLOW\n");
	free(text);
	for (int nr = 0; nr < 40; nr++)
		CHECK_EQ_INT(run(p, len, nr, 0, 0),
			     nr < 5 || nr >= 30 ? RET_ALLOW : RET_ERRNO(1));
	free(p);
}

/* ld nr; jeq #7, next, far; ret X; far: gap; ret X. The first `ret X` goes
 * only while its jump reaches the second directly: at a gap of 256 it stays
 * (no trampoline instead), and the hit path is ld, jeq, ret either way. */
TEST(builder_shared_ret_only_within_reach)
{
	static const size_t g[] = { 0, 1, 254, 255, 256, 257, 300, 1000 };

	for (size_t gi = 0; gi < N(g); gi++) {
		struct sbx_bpf_builder *b = sbx_bpf_builder_new();
		sbx_bpf_label_t far = sbx_bpf_label(b);
		struct sock_filter *p = NULL;
		struct sbx_error err;
		struct seccomp_data d;
		size_t len = 0, exec = 0;

		sbx_bpf_share_rets(b);
		sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 7, -1, far);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(3));
		sbx_bpf_bind(b, far);
		filler(b, g[gi]);
		sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);  /* runs into the last ret */
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(3));
		if (sbx_bpf_finish(b, &p, &len, &err)) {
			T_FAIL("gap %zu: %s", g[gi], err.message);
			sbx_bpf_builder_free(b);
			continue;
		}
		sbx_bpf_builder_free(b);
		/* jeq's arm skips the gap and the ld: g + 1 instructions */
		CHECK_EQ_INT(len, 5 + g[gi] - (g[gi] + 1 <= 255));
		CHECK_EQ_INT(count_ja(p, len), 0);
		d = sd(7, 0, 0);
		CHECK_EQ_INT(sbx_bpf_run(p, len, &d, &exec), RET_ERRNO(3));
		CHECK_EQ_INT(exec, 3);
		d = sd(8, 0, 0);
		CHECK_EQ_INT(sbx_bpf_run(p, len, &d, &exec), RET_ERRNO(3));
		CHECK_EQ_INT(exec, 4 + g[gi]);
		free(p);
	}
}

/* 300 comparisons, each with its own `ret ERRNO(1 + i % 2)` leaf: the copies
 * kept are those the jumps before them need, every 255 instructions or so,
 * never a trampoline, and every number still gets its verdict. */
TEST(builder_shared_rets_along_a_long_chain)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	struct sock_filter *p = NULL;
	struct sbx_error err;
	size_t len = 0, rets = 0;

	sbx_bpf_share_rets(b);
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
	for (uint32_t i = 0; i < 300; i++) {
		sbx_bpf_label_t next = sbx_bpf_label(b);

		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, i, -1, next);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1 + i % 2));
		sbx_bpf_bind(b, next);
	}
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
	CHECK_EQ_INT(sbx_bpf_len(b), 602);
	CHECK_EQ_INT(sbx_bpf_finish(b, &p, &len, &err), 0);
	sbx_bpf_builder_free(b);
	if (!p)
		return;
	for (size_t i = 0; i < len; i++)
		rets += p[i].code == (BPF_RET | BPF_K);
	/* 300 jumps span more than 255: one more copy of each errno is
	 * needed, two would be waste. */
	CHECK_EQ_INT(rets, 5);
	CHECK_EQ_INT(len, 1 + 300 + rets);
	CHECK_EQ_INT(count_ja(p, len), 0);
	for (int nr = 0; nr < 320; nr++) {
		uint32_t want = nr < 300 ? RET_ERRNO(1 + nr % 2) : RET_ALLOW;
		struct seccomp_data d = sd(nr, 0, 0);
		size_t exec = 0;

		if (sbx_bpf_run(p, len, &d, &exec) != want || exec != (size_t)(nr < 300 ? nr + 3 : 302)) {
			T_FAIL("nr %d: %#x after %zu instructions", nr, sbx_bpf_run(p, len, &d, NULL), exec);
			break;
		}
	}
	free(p);
}

/* Sharing takes instructions out, so a jump that needed a trampoline in the
 * plain layout may not any more; it never needs one it did not. */
TEST(builder_shared_rets_drop_trampolines)
{
	struct sock_filter *pl[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };

	for (int share = 0; share < 2; share++) {
		struct sbx_bpf_builder *b = sbx_bpf_builder_new();
		sbx_bpf_label_t far = sbx_bpf_label(b);
		struct sbx_error err;

		if (share)
			sbx_bpf_share_rets(b);
		sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
		sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1000, far, -1);
		/* 200 leaves: jeq #i, next; ret ERRNO(1) — 400 instructions to skip */
		for (uint32_t i = 0; i < 200; i++) {
			sbx_bpf_label_t next = sbx_bpf_label(b);

			sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, i, -1, next);
			sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));
			sbx_bpf_bind(b, next);
		}
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
		sbx_bpf_bind(b, far);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(9));
		CHECK_EQ_INT(sbx_bpf_finish(b, &pl[share], &len[share], &err), 0);
		sbx_bpf_builder_free(b);
	}
	if (pl[0] && pl[1]) {
		CHECK_EQ_INT(count_ja(pl[0], len[0]), 1);
		CHECK_EQ_INT(count_ja(pl[1], len[1]), 0);
		CHECK_EQ_INT(len[0], 404 + 1);        /* 2 + 200 * 2 + 2 rets, 1 ja */
		CHECK_EQ_INT(len[1], 2 + 200 + 3);    /* the 200 leaves share one */
		for (int nr = 0; nr < 1002; nr++) {
			struct seccomp_data d = sd(nr, 0, 0);
			size_t e0 = 0, e1 = 0;
			uint32_t r0 = sbx_bpf_run(pl[0], len[0], &d, &e0);
			uint32_t r1 = sbx_bpf_run(pl[1], len[1], &d, &e1);

			if (r0 != r1 || e1 > e0 || (nr == 1000 && e1 != e0 - 1)) {
				T_FAIL("nr %d: plain %#x (%zu), shared %#x (%zu)", nr, r0, e0, r1, e1);
				break;
			}
		}
	}
	free(pl[0]);
	free(pl[1]);
}

/* The kernel's scratch check lets the state at a `ret` flow into the next
 * instruction: with a scratch read in the program, sharing would make it
 * refuse this one (M[8] read after a `ret` that the jump from instruction 0,
 * which wrote nothing, would then share). Such programs are laid out as
 * given. */
TEST(builder_shares_nothing_when_scratch_is_read)
{
	struct sock_filter *pl[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };

	for (int share = 0; share < 2; share++) {
		struct sbx_bpf_builder *b = sbx_bpf_builder_new();
		sbx_bpf_label_t l1 = sbx_bpf_label(b), l2 = sbx_bpf_label(b);
		struct sbx_error err;

		if (share)
			sbx_bpf_share_rets(b);
		sbx_bpf_ja(b, l1);
		sbx_bpf_bind(b, l1);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
		sbx_bpf_stmt(b, BPF_STX, 8);
		sbx_bpf_ja(b, l2);
		sbx_bpf_bind(b, l2);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
		sbx_bpf_stmt(b, BPF_LDX | BPF_IMM, 0);
		sbx_bpf_stmt(b, BPF_LD | BPF_MEM, 8);
		sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));
		CHECK_EQ_INT(sbx_bpf_finish(b, &pl[share], &len[share], &err), 0);
		sbx_bpf_builder_free(b);
	}
	CHECK_EQ_INT(len[0], 8);
	CHECK_EQ_INT(len[1], 8);
	if (pl[0] && pl[1])
		CHECK(memcmp(pl[0], pl[1], 8 * sizeof(*pl[0])) == 0);
	free(pl[0]);
	free(pl[1]);
}

/* Builds a program with one misuse and expects SBX_EPROGRAM naming it. */
static void expect_misuse(void (*make)(struct sbx_bpf_builder *), const char *needle)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	struct sock_filter *p = NULL;
	struct sbx_error err;
	size_t len = 0;

	make(b);
	int rc = sbx_bpf_finish(b, &p, &len, &err);
	if (rc >= 0 || err.code != SBX_EPROGRAM || !strstr(err.message, needle))
		T_FAIL("want SBX_EPROGRAM with \"%s\", got rc %d code %d \"%s\"",
		       needle, rc, rc < 0 ? err.code : 0, rc < 0 ? err.message : "");
	CHECK(p == NULL);
	free(p);
	sbx_bpf_builder_free(b);
}

static void mk_unbound(struct sbx_bpf_builder *b)
{
	sbx_bpf_label_t l = sbx_bpf_label(b);

	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, l, -1);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
}

static void mk_backward(struct sbx_bpf_builder *b)
{
	sbx_bpf_label_t l = sbx_bpf_label(b);

	sbx_bpf_bind(b, l);
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, 0);
	sbx_bpf_ja(b, l);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
}

static void mk_bound_at_end(struct sbx_bpf_builder *b)
{
	sbx_bpf_label_t l = sbx_bpf_label(b);

	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, l, -1);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
	sbx_bpf_bind(b, l);
}

static void mk_bound_twice(struct sbx_bpf_builder *b)
{
	sbx_bpf_label_t l = sbx_bpf_label(b);

	sbx_bpf_ja(b, l);
	sbx_bpf_bind(b, l);
	sbx_bpf_bind(b, l);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
}

static void mk_bad_label(struct sbx_bpf_builder *b)
{
	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 7, -1);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
}

static void mk_jump_as_stmt(struct sbx_bpf_builder *b)
{
	sbx_bpf_stmt(b, BPF_JMP | BPF_JA, 0);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
}

static void mk_fallthrough_end(struct sbx_bpf_builder *b)
{
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, 0);
	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, -1, -1);
}

static void mk_no_ret(struct sbx_bpf_builder *b)
{
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, 0);
}

static void mk_empty(struct sbx_bpf_builder *b)
{
}

static void mk_fails_verify(struct sbx_bpf_builder *b)
{
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, 2);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
}

TEST(builder_misuse_is_reported)
{
	expect_misuse(mk_unbound, "never bound");
	expect_misuse(mk_backward, "only forward");
	expect_misuse(mk_bound_at_end, "after the last instruction");
	expect_misuse(mk_bound_twice, "bound twice");
	expect_misuse(mk_bad_label, "invalid label");
	expect_misuse(mk_jump_as_stmt, "sbx_bpf_stmt");
	expect_misuse(mk_fallthrough_end, "past the end");
	expect_misuse(mk_no_ret, "not a RET");
	expect_misuse(mk_empty, "empty");
	expect_misuse(mk_fails_verify, "aligned");
}

TEST(builder_null_means_out_of_memory)
{
	struct sock_filter *p = NULL;
	struct sbx_error err;
	size_t len = 0;

	CHECK_EQ_INT(sbx_bpf_finish(NULL, &p, &len, &err), -ENOMEM);
	CHECK_EQ_INT(err.code, SBX_ENOMEM);
	CHECK_EQ_INT(sbx_bpf_len(NULL), 0);
	sbx_bpf_stmt(NULL, BPF_RET | BPF_K, 0);  /* must not crash */
	sbx_bpf_builder_free(NULL);
}

/* ---- verifier ---------------------------------------------------------- */

struct vcase {
	const char *name;
	struct sock_filter insns[8];
	size_t len;
	const char *needle;  /* expected in the message; NULL for good programs */
};

#define LDNR STMT(BPF_LD | BPF_W | BPF_ABS, 0)
#define ALLOW STMT(BPF_RET | BPF_K, RET_ALLOW)

static const struct vcase vcases[] = {
	{ "empty", { ALLOW }, 0, "empty" },
	{ "jeq jt past end", { LDNR, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), ALLOW }, 3, "beyond the end" },
	{ "jset jf past end", { LDNR, JUMP(BPF_JMP | BPF_JSET | BPF_X, 1, 0, 200), ALLOW }, 3, "beyond the end" },
	{ "ja past end", { STMT(BPF_JMP | BPF_JA, 1), ALLOW }, 2, "beyond the end" },
	{ "ja huge", { STMT(BPF_JMP | BPF_JA, 0xffffffff), ALLOW }, 2, "beyond the end" },
	{ "no ret at end", { LDNR }, 1, "not a RET" },
	{ "ret then ld", { ALLOW, LDNR }, 2, "not a RET" },
	{ "unaligned load", { STMT(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW }, 2, "aligned" },
	{ "load past data", { STMT(BPF_LD | BPF_W | BPF_ABS, 64), ALLOW }, 2, "beyond struct" },
	{ "ancillary load", { STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffff000), ALLOW }, 2, "beyond struct" },
	{ "ld half", { STMT(BPF_LD | BPF_H | BPF_ABS, 0), ALLOW }, 2, "load mode" },
	{ "ld byte", { STMT(BPF_LD | BPF_B | BPF_ABS, 0), ALLOW }, 2, "load mode" },
	{ "ld ind", { STMT(BPF_LD | BPF_W | BPF_IND, 0), ALLOW }, 2, "load mode" },
	{ "ldx msh", { STMT(BPF_LDX | BPF_B | BPF_MSH, 0), ALLOW }, 2, "load mode" },
	{ "ldx abs", { STMT(BPF_LDX | BPF_W | BPF_ABS, 0), ALLOW }, 2, "load mode" },
	{ "div by zero", { LDNR, STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW }, 3, "zero" },
	{ "mod", { LDNR, STMT(BPF_ALU | BPF_MOD | BPF_K, 3), ALLOW }, 3, "not allowed" },
	{ "lsh 32", { LDNR, STMT(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW }, 3, "shift" },
	{ "ret x", { STMT(BPF_RET | BPF_X, 0) }, 1, "not allowed" },
	{ "unknown code", { STMT(0xffff, 0), ALLOW }, 2, "not allowed" },
	{ "scratch read first", { STMT(BPF_LD | BPF_MEM, 0), ALLOW }, 2, "scratch" },
	{ "scratch written on one path only",
	  { LDNR, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), STMT(BPF_ST, 3),
	    STMT(BPF_LDX | BPF_MEM, 3), ALLOW }, 5, "scratch" },
	{ "scratch other cell", { STMT(BPF_ST, 1), STMT(BPF_LD | BPF_MEM, 2), ALLOW }, 3, "scratch" },
	{ "scratch index 16", { STMT(BPF_ST, 16), ALLOW }, 2, "M[15]" },
	/* good ones: each returns ALLOW for write() and exit_group() */
	{ "ret allow", { ALLOW }, 1, NULL },
	{ "arch check",
	  { STMT(BPF_LD | BPF_W | BPF_ABS, 4), JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    STMT(BPF_RET | BPF_K, RET_KILL_PROCESS), ALLOW }, 4, NULL },
	{ "scratch on both paths",
	  { LDNR, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 9999, 0, 2), STMT(BPF_ST, 3), STMT(BPF_JMP | BPF_JA, 1),
	    STMT(BPF_STX, 3), STMT(BPF_LD | BPF_MEM, 3), STMT(BPF_LD | BPF_IMM, RET_ALLOW),
	    STMT(BPF_RET | BPF_A, 0) }, 8, NULL },
	{ "len and div x", { STMT(BPF_LD | BPF_W | BPF_LEN, 0), STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
	  STMT(BPF_ALU | BPF_DIV | BPF_X, 0), STMT(BPF_ALU | BPF_LSH | BPF_K, 31), ALLOW }, 5, NULL },
	{ "last load offset", { STMT(BPF_LD | BPF_W | BPF_ABS, 60), STMT(BPF_ALU | BPF_NEG, 0),
	  STMT(BPF_MISC | BPF_TAX, 0), STMT(BPF_MISC | BPF_TXA, 0), ALLOW }, 5, NULL },
	{ "jumps to last", { LDNR, JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 1, 1), STMT(BPF_RET | BPF_K, 0),
	  ALLOW }, 4, NULL },
	{ "ja to last", { STMT(BPF_JMP | BPF_JA, 1), STMT(BPF_RET | BPF_K, 0), ALLOW }, 3, NULL },
};

TEST(verifier_rejects_bad_and_accepts_good)
{
	for (size_t i = 0; i < N(vcases); i++) {
		const struct vcase *c = &vcases[i];
		struct sbx_error err;
		int rc;

		sbx_error_clear(&err);
		rc = sbx_bpf_verify(c->insns, c->len, &err);
		if (c->needle) {
			if (rc != -EINVAL || err.code != SBX_EPROGRAM ||
			    !strstr(err.message, c->needle))
				T_FAIL("%s: rc %d \"%s\"", c->name, rc, err.message);
		} else if (rc != 0) {
			T_FAIL("%s rejected: %s", c->name, err.message);
		}
	}
}

TEST(verifier_length_limits)
{
	static struct sock_filter big[SBX_BPF_MAX_INSNS + 1];
	struct sbx_error err;

	for (size_t i = 0; i < N(big); i++)
		big[i] = ALLOW;
	CHECK_EQ_INT(sbx_bpf_verify(big, SBX_BPF_MAX_INSNS, &err), 0);
	CHECK_EQ_INT(sbx_bpf_verify(big, SBX_BPF_MAX_INSNS + 1, &err), -EINVAL);
	CHECK(strstr(err.message, "4097") != NULL);
	CHECK_EQ_INT(sbx_bpf_verify(big, 0, &err), -EINVAL);
}

/* The verifier must accept nothing the kernel rejects, and should accept
 * everything good the kernel accepts. */
TEST(verifier_agrees_with_kernel)
{
	static struct sock_filter big[SBX_BPF_MAX_INSNS + 1];
	struct kres r;

	for (size_t i = 0; i < N(vcases); i++) {
		const struct vcase *c = &vcases[i];

		if (!c->needle) {
			CHECK_EQ_INT(run(c->insns, c->len, SYS_write, 0, 0), RET_ALLOW);
			CHECK_EQ_INT(run(c->insns, c->len, SYS_exit_group, 0, 0), RET_ALLOW);
		}
		if (kernel_call(c->insns, c->len, -1, 0, 0, &r) != 0) {
			T_FAIL("%s: child failed (sig %d)", c->name, r.sig);
			continue;
		}
		if (c->needle && (r.installed || r.install_err != EINVAL))
			T_FAIL("%s: kernel installed %d err %d, verifier rejects",
			       c->name, r.installed, r.install_err);
		if (!c->needle && !r.installed)
			T_FAIL("%s: kernel refused (errno %d), verifier accepts",
			       c->name, r.install_err);
	}
	for (size_t i = 0; i < N(big); i++)
		big[i] = ALLOW;
	CHECK_EQ_INT(kernel_call(big, N(big), -1, 0, 0, &r), 0);
	CHECK(!r.installed && r.install_err == EINVAL);
	CHECK_EQ_INT(kernel_call(big, SBX_BPF_MAX_INSNS, -1, 0, 0, &r), 0);
	CHECK(r.installed);
}

/* ---- interpreter semantics --------------------------------------------- */

/* A = arg0, X = arg1, then one ALU op, ret A. */
static uint32_t alu(uint16_t op, uint32_t k, uint32_t a, uint32_t x)
{
	struct sock_filter p[] = {
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(1)),
		STMT(BPF_MISC | BPF_TAX, 0),
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(0)),
		STMT(BPF_ALU | op, k),
		STMT(BPF_RET | BPF_A, 0),
	};

	return run(p, N(p), 0, a, x);
}

TEST(interp_alu)
{
	CHECK_EQ_INT(alu(BPF_ADD | BPF_K, 0x20, 0xfffffff0, 0), 0x10);
	CHECK_EQ_INT(alu(BPF_ADD | BPF_X, 0, 40, 2), 42);
	CHECK_EQ_INT(alu(BPF_SUB | BPF_K, 7, 5, 0), 0xfffffffe);
	CHECK_EQ_INT(alu(BPF_SUB | BPF_X, 0, 50, 8), 42);
	CHECK_EQ_INT(alu(BPF_MUL | BPF_K, 0x10000, 0x10000, 0), 0);
	CHECK_EQ_INT(alu(BPF_MUL | BPF_X, 0, 6, 7), 42);
	CHECK_EQ_INT(alu(BPF_DIV | BPF_K, 7, 100, 0), 14);
	CHECK_EQ_INT(alu(BPF_DIV | BPF_X, 0, 0xffffffff, 0x10), 0x0fffffff);
	CHECK_EQ_INT(alu(BPF_DIV | BPF_X, 0, 100, 0), 0);  /* program returns 0 */
	CHECK_EQ_INT(alu(BPF_AND | BPF_K, 0xff, 0x1234, 0), 0x34);
	CHECK_EQ_INT(alu(BPF_AND | BPF_X, 0, 0xf0f0, 0x0ff0), 0x00f0);
	CHECK_EQ_INT(alu(BPF_OR | BPF_K, 0x0f, 0x30, 0), 0x3f);
	CHECK_EQ_INT(alu(BPF_OR | BPF_X, 0, 0x30, 0x0f), 0x3f);
	CHECK_EQ_INT(alu(BPF_XOR | BPF_K, 0xff, 0x0f, 0), 0xf0);
	CHECK_EQ_INT(alu(BPF_XOR | BPF_X, 0, 0xaaaaaaaa, 0xffffffff), 0x55555555);
	CHECK_EQ_INT(alu(BPF_LSH | BPF_K, 31, 3, 0), 0x80000000);
	CHECK_EQ_INT(alu(BPF_LSH | BPF_X, 0, 3, 4), 48);
	CHECK_EQ_INT(alu(BPF_LSH | BPF_X, 0, 3, 33), 6);   /* X mod 32 */
	CHECK_EQ_INT(alu(BPF_RSH | BPF_K, 4, 0x80000000, 0), 0x08000000);
	CHECK_EQ_INT(alu(BPF_RSH | BPF_X, 0, 0x80000000, 31), 1);
	CHECK_EQ_INT(alu(BPF_NEG, 0, 1, 0), 0xffffffff);
	CHECK_EQ_INT(alu(BPF_NEG, 0, 0, 0), 0);
}

/* A = arg0, X = arg1; jump → ret 1 (true) / ret 2 (false). */
static uint32_t jmp(uint16_t op, uint32_t k, uint32_t a, uint32_t x)
{
	struct sock_filter p[] = {
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(1)),
		STMT(BPF_MISC | BPF_TAX, 0),
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(0)),
		JUMP(BPF_JMP | op, k, 0, 1),
		STMT(BPF_RET | BPF_K, 1),
		STMT(BPF_RET | BPF_K, 2),
	};

	return run(p, N(p), 0, a, x);
}

TEST(interp_jumps)
{
	CHECK_EQ_INT(jmp(BPF_JEQ | BPF_K, 5, 5, 0), 1);
	CHECK_EQ_INT(jmp(BPF_JEQ | BPF_K, 5, 6, 0), 2);
	CHECK_EQ_INT(jmp(BPF_JEQ | BPF_X, 0, 9, 9), 1);
	CHECK_EQ_INT(jmp(BPF_JEQ | BPF_X, 0, 9, 8), 2);
	CHECK_EQ_INT(jmp(BPF_JGT | BPF_K, 5, 6, 0), 1);
	CHECK_EQ_INT(jmp(BPF_JGT | BPF_K, 5, 5, 0), 2);
	CHECK_EQ_INT(jmp(BPF_JGT | BPF_K, 5, 0xffffffff, 0), 1);  /* unsigned */
	CHECK_EQ_INT(jmp(BPF_JGT | BPF_X, 0, 3, 2), 1);
	CHECK_EQ_INT(jmp(BPF_JGT | BPF_X, 0, 2, 2), 2);
	CHECK_EQ_INT(jmp(BPF_JGE | BPF_K, 5, 5, 0), 1);
	CHECK_EQ_INT(jmp(BPF_JGE | BPF_K, 5, 4, 0), 2);
	CHECK_EQ_INT(jmp(BPF_JGE | BPF_X, 0, 7, 7), 1);
	CHECK_EQ_INT(jmp(BPF_JGE | BPF_X, 0, 6, 7), 2);
	CHECK_EQ_INT(jmp(BPF_JSET | BPF_K, 0x4, 0x6, 0), 1);
	CHECK_EQ_INT(jmp(BPF_JSET | BPF_K, 0x8, 0x6, 0), 2);
	CHECK_EQ_INT(jmp(BPF_JSET | BPF_X, 0, 0x100, 0x101), 1);
	CHECK_EQ_INT(jmp(BPF_JSET | BPF_X, 0, 0x100, 0x011), 2);
}

TEST(interp_loads_memory_and_count)
{
	/* args are 64-bit little-endian: arg0 = 0x11223344_55667788 */
	struct sock_filter p[] = {
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_HI(0)),     /* 0x11223344 */
		STMT(BPF_ST, 15),
		STMT(BPF_LDX | BPF_W | BPF_LEN, 0),                   /* X = 64 */
		STMT(BPF_STX, 0),
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(0)),     /* 0x55667788 */
		STMT(BPF_LDX | BPF_MEM, 15),                          /* X = hi */
		STMT(BPF_ALU | BPF_SUB | BPF_X, 0),                   /* lo - hi */
		STMT(BPF_LDX | BPF_MEM, 0),                           /* X = 64 */
		STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		STMT(BPF_LDX | BPF_IMM, 0x1000),
		STMT(BPF_ALU | BPF_OR | BPF_X, 0),
		STMT(BPF_RET | BPF_A, 0),
	};
	struct seccomp_data d = sd(0, 0x1122334455667788ULL, 0);
	size_t n = 0;

	CHECK_EQ_INT(sbx_bpf_run(p, N(p), &d, &n),
		     ((0x55667788u - 0x11223344u) + 64u) | 0x1000u);
	CHECK_EQ_INT(n, N(p));

	struct sock_filter q[] = {
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARCH),
		STMT(BPF_MISC | BPF_TAX, 0),
		STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		STMT(BPF_LD | BPF_IMM, 3),
		STMT(BPF_MISC | BPF_TXA, 0),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		STMT(BPF_RET | BPF_K, 0),
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR),
		STMT(BPF_RET | BPF_A, 0),
	};
	CHECK_EQ_INT(run(q, N(q), 1234, 0, 0), 1234);
	d = sd(1234, 0, 0);
	CHECK_EQ_INT(sbx_bpf_run(q, N(q), &d, &n), 1234);
	CHECK_EQ_INT(n, 8);
	d.arch = AUDIT_ARCH_AARCH64;
	CHECK_EQ_INT(sbx_bpf_run(q, N(q), &d, &n), 0);
	CHECK_EQ_INT(n, 7);
}

TEST(interp_refuses_unverified_program)
{
	struct sock_filter bad[] = { STMT(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW };
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		struct seccomp_data d = sd(0, 0, 0);

		freopen("/dev/null", "w", stderr);
		sbx_bpf_run(bad, N(bad), &d, NULL);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- kernel cross-checks ------------------------------------------------ */

TEST(kernel_runs_built_programs_as_interpreted)
{
	static const size_t kgaps[] = { 0, 300, 1000 };

	for (int s = JT_FAR; s <= BOTH_DIFF; s++) {
		/* BOTH_SAME denies every syscall, exit included: the child
		 * could not report. */
		if (s == BOTH_SAME)
			continue;
		for (size_t gi = 0; gi < N(kgaps); gi++) {
			struct sock_filter *p = NULL;
			struct sbx_error err;
			size_t len = 0;

			/* getppid is the "hit"; everything else (write, exit) must
			 * stay allowed for the child to report. */
			if (build_shape(s, kgaps[gi], SYS_getppid, RET_ERRNO(42),
					RET_ALLOW, &p, &len, &err) != 0) {
				T_FAIL("shape %d: %s", s, err.message);
				continue;
			}
			if (kgaps[gi] >= 300)
				CHECK(count_ja(p, len) > 0);
			CHECK_EQ_INT(run(p, len, SYS_getppid, 0, 0), RET_ERRNO(42));
			if (!kernel_agrees(p, len, SYS_getppid, 0, 0) ||
			    !kernel_agrees(p, len, SYS_getpid, 0, 0))
				T_FAIL("shape %d gap %zu", s, kgaps[gi]);
			free(p);
		}
	}
}

/* A = arg0 OP (X = arg1), then bits [shift, shift+12) of A become the
 * errno of getppid: the kernel and the interpreter must compute the same. */
static int kernel_alu_agrees(uint16_t op, uint32_t k, uint32_t a, uint32_t x)
{
	for (uint32_t shift = 0; shift < 32; shift += 12) {
		struct sock_filter p[] = {
			STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR),
			JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0),
			STMT(BPF_RET | BPF_K, RET_ALLOW),
			STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(1)),
			STMT(BPF_MISC | BPF_TAX, 0),
			STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(0)),
			STMT(BPF_ALU | op, k),
			STMT(BPF_ALU | BPF_RSH | BPF_K, shift),
			STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
			STMT(BPF_ALU | BPF_OR | BPF_K, RET_ERRNO(0)),
			STMT(BPF_RET | BPF_A, 0),
		};

		if (!kernel_agrees(p, N(p), SYS_getppid, a, x))
			return 0;
	}
	return 1;
}

TEST(kernel_alu_matches_interpreter)
{
	static const struct { uint16_t op; uint32_t k, a, x; } c[] = {
		{ BPF_ADD | BPF_K, 0x20, 0xfffffff0, 0 },
		{ BPF_ADD | BPF_X, 0, 0x89abcdef, 0x76543211 },
		{ BPF_SUB | BPF_X, 0, 5, 0x7 },
		{ BPF_MUL | BPF_X, 0, 0x12345, 0x6789 },
		{ BPF_DIV | BPF_K, 7, 0xfedcba98, 0 },
		{ BPF_DIV | BPF_X, 0, 0xfedcba98, 0x1234 },
		{ BPF_AND | BPF_X, 0, 0xf0f0f0f0, 0x3c3c3c3c },
		{ BPF_OR | BPF_K, 0x80000001, 0x00ff00ff, 0 },
		{ BPF_XOR | BPF_X, 0, 0xaaaaaaaa, 0x12345678 },
		{ BPF_LSH | BPF_K, 13, 0x12345, 0 },
		{ BPF_LSH | BPF_X, 0, 0x12345, 35 },
		{ BPF_RSH | BPF_X, 0, 0xfedcba98, 36 },
		{ BPF_RSH | BPF_K, 9, 0xfedcba98, 0 },
		{ BPF_NEG, 0, 0x1234, 0 },
	};

	for (size_t i = 0; i < N(c); i++)
		if (!kernel_alu_agrees(c[i].op, c[i].k, c[i].a, c[i].x))
			T_FAIL("case %zu (op 0x%02x)", i, c[i].op);
}

TEST(kernel_div_by_zero_x_kills)
{
	/* Division by a zero X ends the program with 0: KILL_THREAD. */
	CHECK(kernel_alu_agrees(BPF_DIV | BPF_X, 0, 100, 0));
}

/* ---- disassembler ------------------------------------------------------ */

TEST(disasm_exact_listing)
{
	struct sbx_bpf_builder *b = sbx_bpf_builder_new();
	sbx_bpf_label_t kill = sbx_bpf_label(b), deny = sbx_bpf_label(b);
	sbx_bpf_label_t allow = sbx_bpf_label(b);
	struct sock_filter *p = NULL;
	struct sbx_error err;
	char *text = NULL;
	size_t len = 0;

	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARCH);
	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, -1, kill);
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR);
	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 59, deny, -1);
	sbx_bpf_jump(b, BPF_JMP | BPF_JGE | BPF_K, 0x40000000, kill, -1);
	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 1, -1, allow);
	sbx_bpf_stmt(b, BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_LO(0));
	sbx_bpf_jump(b, BPF_JMP | BPF_JEQ | BPF_K, 2, deny, -1);  /* not a syscall */
	sbx_bpf_stmt(b, BPF_ST, 0);
	sbx_bpf_stmt(b, BPF_LDX | BPF_MEM, 0);
	sbx_bpf_stmt(b, BPF_ALU | BPF_AND | BPF_K, 0xffff0000);
	sbx_bpf_stmt(b, BPF_ALU | BPF_ADD | BPF_X, 0);
	sbx_bpf_stmt(b, BPF_MISC | BPF_TAX, 0);
	sbx_bpf_jump(b, BPF_JMP | BPF_JSET | BPF_X, 0, deny, -1);
	sbx_bpf_ja(b, allow);
	sbx_bpf_bind(b, kill);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_KILL_PROCESS);
	sbx_bpf_bind(b, deny);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ERRNO(1));
	sbx_bpf_bind(b, allow);
	sbx_bpf_stmt(b, BPF_RET | BPF_K, RET_ALLOW);
	CHECK_EQ_INT(sbx_bpf_finish(b, &p, &len, &err), 0);
	sbx_bpf_builder_free(b);
	if (!p)
		return;
	CHECK_EQ_INT(sbx_bpf_disasm(p, len, SBX_ARCH_X86_64, &text, &err), 0);
	CHECK_STR(text,
		"0000: ld [4]    ; arch\n"
		"0001: jeq #0xc000003e, 2, 15    ; x86_64\n"
		"0002: ld [0]    ; nr\n"
		"0003: jeq #59, 16, 4    ; execve\n"
		"0004: jge #0x40000000, 15, 5\n"
		"0005: jeq #1, 6, 17    ; write\n"
		"0006: ld [16]    ; arg0.lo\n"
		"0007: jeq #2, 16, 8\n"
		"0008: st M[0]\n"
		"0009: ldx M[0]\n"
		"0010: and #0xffff0000\n"
		"0011: add x\n"
		"0012: tax\n"
		"0013: jset x, 16, 14\n"
		"0014: ja 17\n"
		"0015: ret KILL_PROCESS\n"
		"0016: ret ERRNO(1)\n"
		"0017: ret ALLOW\n");
	free(text);

	/* Without an arch there are no syscall names. */
	CHECK_EQ_INT(sbx_bpf_disasm(p, 4, -1, &text, &err), 0);
	CHECK_STR(text,
		"0000: ld [4]    ; arch\n"
		"0001: jeq #0xc000003e, 2, 15\n"
		"0002: ld [0]    ; nr\n"
		"0003: jeq #59, 16, 4\n");
	free(text);
	free(p);
}

TEST(disasm_annotates_only_when_a_holds_nr_on_every_path)
{
	struct sock_filter p[] = {
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_NR),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		STMT(BPF_LD | BPF_W | BPF_ABS, SBX_SD_ARG_HI(5)),
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 0, 0),  /* A is nr or arg5.hi */
		STMT(BPF_LD | BPF_IMM, 7),
		STMT(BPF_ALU | BPF_DIV | BPF_K, 3),
		STMT(BPF_ALU | BPF_NEG, 0),
		STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		STMT(BPF_MISC | BPF_TXA, 0),
		STMT(BPF_RET | BPF_A, 0),
		STMT(0xffff, 0x12),
	};
	struct sbx_error err;
	char *text = NULL;

	CHECK_EQ_INT(sbx_bpf_disasm(p, N(p), SBX_ARCH_X86_64, &text, &err), 0);
	CHECK_STR(text,
		"0000: ld [0]    ; nr\n"
		"0001: jeq #0, 2, 3    ; read\n"
		"0002: ld [60]    ; arg5.hi\n"
		"0003: jeq #59, 4, 4\n"
		"0004: ld #7\n"
		"0005: div #3\n"
		"0006: neg\n"
		"0007: ld #len\n"
		"0008: txa\n"
		"0009: ret a\n"
		"0010: .insn 0xffff, 0, 0, 0x12\n");
	free(text);
	CHECK_EQ_INT(sbx_bpf_disasm(p, 0, -1, &text, &err), 0);
	CHECK_STR(text, "");
	free(text);
}

TEST(ret_names)
{
	static const struct { uint32_t v; const char *s; } c[] = {
		{ 0x7fff0000, "ALLOW" },
		{ 0x00050000 | 13, "ERRNO(13)" },
		{ 0x00050000, "ERRNO(0)" },
		{ 0x80000000, "KILL_PROCESS" },
		{ 0x00000000, "KILL_THREAD" },
		{ 0x00030000, "TRAP" },
		{ 0x00030005, "TRAP(5)" },
		{ 0x7ff00000 | 77, "TRACE(77)" },
		{ 0x7ffc0000, "LOG" },
		{ 0x7fc00000, "USER_NOTIF" },
		{ 0x12340000, "UNKNOWN(0x12340000)" },
	};
	char buf[32];

	for (size_t i = 0; i < N(c); i++) {
		sbx_bpf_ret_name(c[i].v, buf, sizeof(buf));
		CHECK_STR(buf, c[i].s);
	}
	sbx_bpf_ret_name(0x00050000 | 13, buf, 5);
	CHECK_STR(buf, "ERRN");
}

int main(void)
{
	return t_run();
}

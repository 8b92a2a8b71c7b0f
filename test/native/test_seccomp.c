/*
 * Seccomp actions, spec -> model resolution, and the compiler held to the
 * model: for hand-written and generated specs, the compiled program run in
 * the test interpreter must give exactly sbx_filter_model_eval's verdict on
 * every probe input (seccomp_probe.h), and a sample is checked in the kernel.
 */
#include "t.h"

#include "bpf.h"
#include "bpf_interp.h"
#include "errno_names.h"
#include "sbx_compile.h"
#include "sbx_policy.h"
#include "seccomp.h"
#include "seccomp_defs.h"
#include "seccomp_probe.h"
#include "spec_gen.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- spec building helpers ------------------------------------------------ */

#define SB_MAX 4096
struct sb {
	struct sbx_seccomp_spec spec;
	struct sbx_seccomp_entry e[SB_MAX];
	struct sbx_arg_cond c[2 * SB_MAX];
	uint64_t sets[SB_MAX];
	size_t nc, nsets;
};

static struct sb *sb_new(const char *def)
{
	struct sb *s = calloc(1, sizeof(*s));
	struct sbx_error err;

	if (!s)
		abort();
	s->spec.entries = s->e;
	if (def) {
		s->spec.has_default = true;
		if (sbx_action_parse(def, &s->spec.default_action, "/seccomp/default", &err))
			abort();
	}
	s->spec.default_pointer = "/seccomp/default";
	return s;
}

static struct sbx_action act(const char *text)
{
	struct sbx_action a;
	struct sbx_error err;

	if (sbx_action_parse(text, &a, "", &err)) {
		fprintf(stderr, "bad action %s: %s\n", text, err.message);
		abort();
	}
	return a;
}

static void sb_add(struct sb *s, const char *name, const char *action, size_t nconds,
		   const struct sbx_arg_cond *conds)
{
	struct sbx_seccomp_entry *e = &s->e[s->spec.nentries];

	if (s->spec.nentries >= SB_MAX || s->nc + nconds > 2 * SB_MAX)
		abort();
	*e = (struct sbx_seccomp_entry){
		.name = name, .action = act(action), .arch_mask = SBX_ARCH_MASK_ALL,
		.pointer = "/seccomp/rules/0",
	};
	if (nconds) {
		memcpy(&s->c[s->nc], conds, nconds * sizeof(*conds));
		e->conds = &s->c[s->nc];
		e->nconds = nconds;
		s->nc += nconds;
	}
	s->spec.nentries++;
}

#define COND(a, o, v) ((struct sbx_arg_cond){ .arg = (a), .op = (o), .value = (v) })
#define ADD1(s, name, action, cond)                                        \
	do { struct sbx_arg_cond c1_[1] = { cond }; sb_add(s, name, action, 1, c1_); } while (0)

static const uint64_t *sb_set(struct sb *s, const uint64_t *v, size_t n)
{
	uint64_t *p = &s->sets[s->nsets];

	if (s->nsets + n > SB_MAX)
		abort();
	memcpy(p, v, n * sizeof(*v));
	s->nsets += n;
	return p;
}

/* ---- checking a compiled program against its model ------------------------ */

struct eq_ctx {
	const struct sbx_filter_model *m;
	const struct sock_filter *prog;
	size_t len;
	size_t mismatches;
	size_t max_exec;
};

static int eq_visit(void *ctx, const struct seccomp_data *d)
{
	struct eq_ctx *c = ctx;
	size_t executed = 0;
	uint32_t want = sbx_filter_model_eval(c->m, d->arch, (uint32_t)d->nr, (const uint64_t *)d->args);
	uint32_t got = sbx_bpf_run(c->prog, c->len, d, &executed);

	if (executed > c->max_exec)
		c->max_exec = executed;
	if (want != got) {
		if (c->mismatches++ < 5)
			T_FAIL("arch %#x nr %#x args %#llx %#llx %#llx %#llx %#llx %#llx: model %#x, bpf %#x",
			       d->arch, (uint32_t)d->nr,
			       (unsigned long long)d->args[0], (unsigned long long)d->args[1],
			       (unsigned long long)d->args[2], (unsigned long long)d->args[3],
			       (unsigned long long)d->args[4], (unsigned long long)d->args[5],
			       want, got);
		return c->mismatches >= 50;
	}
	return 0;
}

/* Resolve + compile + verify + compare on every probe input. Returns the
 * program length, or 0 if anything failed (already reported). */
static size_t check_spec_ex(const struct sbx_seccomp_spec *spec, enum sbx_arch arch,
			    bool may_be_too_long)
{
	struct sbx_filter_model *m = NULL;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len = 0, n;
	struct eq_ctx c = { 0 };
	int rc;

	rc = sbx_seccomp_resolve(spec, arch, &m, NULL, &err);
	if (rc) {
		T_FAIL("resolve: %s", err.message);
		return 0;
	}
	rc = sbx_seccomp_compile(m, &prog, &len, &err);
	if (rc && may_be_too_long && err.code == SBX_EPROGRAM && rc == -E2BIG) {
		sbx_filter_model_free(m);
		return 1;
	}
	if (rc) {
		T_FAIL("compile: %s", err.message);
		sbx_filter_model_free(m);
		return 0;
	}
	CHECK_EQ_INT(sbx_bpf_verify(prog, len, &err), 0);
	c.m = m;
	c.prog = prog;
	c.len = len;
	n = seccomp_probe_walk(m, 600, eq_visit, &c);
	CHECK(n > (size_t)m->max_nr * 2);
	CHECK_EQ_INT(c.mismatches, 0);
	free(prog);
	sbx_filter_model_free(m);
	return c.mismatches ? 0 : len;
}

static size_t check_spec(const struct sbx_seccomp_spec *spec, enum sbx_arch arch)
{
	return check_spec_ex(spec, arch, false);
}

/* ---- actions and errno names ------------------------------------------------ */

#define BAD(text) { text, 0, SBX_ACT_ALLOW, 0, NULL, 0 }

TEST(action_parse_and_format_table)
{
	static const struct {
		const char *text;
		int ok;
		enum sbx_action_kind kind;
		unsigned data;
		const char *canonical;
		uint32_t ret;
	} t[] = {
		{ "allow", 1, SBX_ACT_ALLOW, 0, "allow", 0x7fff0000u },
		{ "errno:EPERM", 1, SBX_ACT_ERRNO, 1, "errno:EPERM", 0x00050001u },
		{ "errno:EACCES", 1, SBX_ACT_ERRNO, 13, "errno:EACCES", 0x0005000du },
		{ "errno:13", 1, SBX_ACT_ERRNO, 13, "errno:EACCES", 0x0005000du },
		{ "errno:0", 1, SBX_ACT_ERRNO, 0, "errno:0", 0x00050000u },
		{ "errno:4095", 1, SBX_ACT_ERRNO, 4095, "errno:4095", 0x00050fffu },
		{ "errno:ENOSYS", 1, SBX_ACT_ERRNO, 38, "errno:ENOSYS", 0x00050026u },
		{ "errno:EHWPOISON", 1, SBX_ACT_ERRNO, 133, "errno:EHWPOISON", 0x00050085u },
		{ "errno:EWOULDBLOCK", 1, SBX_ACT_ERRNO, 11, "errno:EAGAIN", 0x0005000bu },
		{ "errno:ENOTSUP", 1, SBX_ACT_ERRNO, 95, "errno:EOPNOTSUPP", 0x0005005fu },
		{ "kill", 1, SBX_ACT_KILL_PROCESS, 0, "kill", 0x80000000u },
		{ "kill-process", 1, SBX_ACT_KILL_PROCESS, 0, "kill", 0x80000000u },
		{ "kill-thread", 1, SBX_ACT_KILL_THREAD, 0, "kill-thread", 0 },
		{ "trap", 1, SBX_ACT_TRAP, 0, "trap", 0x00030000u },
		{ "trap:7", 1, SBX_ACT_TRAP, 7, "trap:7", 0x00030007u },
		{ "log", 1, SBX_ACT_LOG, 0, "log", 0x7ffc0000u },
		{ "notify", 1, SBX_ACT_NOTIFY, 0, "notify", 0x7fc00000u },
		{ "trace:3", 1, SBX_ACT_TRACE, 3, "trace:3", 0x7ff00003u },
		BAD("errno:4096"),
		BAD("errno:"),
		BAD("errno"),
		BAD("errno:-1"),
		BAD("errno:EPERMX"),
		BAD("errno:eperm"),
		BAD("errno:0x1"),
		BAD("allow:1"),
		BAD("Allow"),
		BAD(""),
		BAD("kil"),
		BAD("kill-everything-now-please"),
		BAD("trap:65536"),
		BAD("notify:1"),
		BAD("errno:1 "),
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sbx_action a;
		struct sbx_error err;
		char buf[64];
		int rc = sbx_action_parse(t[i].text, &a, "/x", &err);

		if (!t[i].ok) {
			if (rc != -EINVAL || err.code != SBX_EVALUE || strcmp(err.pointer, "/x"))
				T_FAIL("\"%s\" should be refused (rc %d)", t[i].text, rc);
			continue;
		}
		if (rc) {
			T_FAIL("\"%s\": %s", t[i].text, err.message);
			continue;
		}
		CHECK_EQ_INT(a.kind, t[i].kind);
		CHECK_EQ_INT(a.data, t[i].data);
		CHECK_EQ_INT(sbx_action_ret(a), t[i].ret);
		sbx_action_format(a, buf, sizeof(buf));
		CHECK_STR(buf, t[i].canonical);
		/* The canonical text parses back to the same action. */
		struct sbx_action back;
		CHECK_EQ_INT(sbx_action_parse(buf, &back, "", &err), 0);
		CHECK_EQ_INT(sbx_action_ret(back), t[i].ret);
	}
}

TEST(action_errors_suggest)
{
	struct sbx_action a;
	struct sbx_error err;

	CHECK(sbx_action_parse("alow", &a, "/seccomp/default", &err) < 0);
	CHECK(strstr(err.message, "did you mean \"allow\"") != NULL);
	CHECK_STR(err.pointer, "/seccomp/default");
	CHECK(sbx_action_parse("errno:EPRM", &a, "/p", &err) < 0);
	CHECK(strstr(err.message, "did you mean \"EPERM\"") != NULL);
	CHECK(sbx_action_parse("errno:eacces", &a, "/p", &err) < 0);
	CHECK(strstr(err.message, "EACCES") != NULL);
}

TEST(errno_names_agree_with_libc)
{
	int named = 0;

	for (int i = 1; i <= SBX_ERRNO_MAX; i++) {
		const char *mine = sbx_errno_name(i);
		const char *libc = strerrorname_np(i);

		if (!mine) {
			CHECK(libc == NULL || i == 41 || i == 58);
			continue;
		}
		named++;
		CHECK_STR(mine, libc);
		CHECK_EQ_INT(sbx_errno_from_name(mine), i);
	}
	CHECK_EQ_INT(named, 131);
	CHECK(sbx_errno_name(0) == NULL);
	CHECK(sbx_errno_name(134) == NULL);
	CHECK(sbx_errno_name(-1) == NULL);
	CHECK_EQ_INT(sbx_errno_from_name("EDEADLOCK"), EDEADLOCK);
	CHECK_EQ_INT(sbx_errno_from_name("EWOULDBLOCK"), EWOULDBLOCK);
	CHECK_EQ_INT(sbx_errno_from_name("ENOTSUP"), ENOTSUP);
	CHECK_EQ_INT(sbx_errno_from_name("EHWPOISON"), EHWPOISON);
	CHECK_EQ_INT(sbx_errno_from_name("ENOPE"), -1);
	CHECK_EQ_INT(sbx_errno_from_name(NULL), -1);
}

/* ---- resolve ------------------------------------------------------------------ */

static uint32_t ev(const struct sbx_filter_model *m, const char *name, uint64_t a0,
		   uint64_t a1)
{
	uint64_t args[6] = { a0, a1, 0, 0, 0, 0 };
	int nr = sbx_syscall_lookup(m->arch, name);

	if (nr < 0)
		abort();
	return sbx_filter_model_eval(m, sbx_arch_info(m->arch)->audit_arch, (uint32_t)nr, args);
}

static struct sbx_filter_model *resolve_ok(const struct sb *s, enum sbx_arch arch,
					   struct sbx_notes *notes)
{
	struct sbx_filter_model *m = NULL;
	struct sbx_error err;

	if (sbx_seccomp_resolve(&s->spec, arch, &m, notes, &err)) {
		T_FAIL("resolve: %s", err.message);
		return NULL;
	}
	return m;
}

#define RET_ERRNO(e) (SECCOMP_RET_ERRNO | (e))

TEST(resolve_defaults)
{
	struct sb *s = sb_new(NULL);
	struct sbx_filter_model *m = resolve_ok(s, SBX_ARCH_X86_64, NULL);

	if (m) {
		CHECK_EQ_INT(ev(m, "getpid", 0, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(sbx_filter_model_eval(m, 0xc00000b7u, 39, (uint64_t[6]){ 0 }),
			     SECCOMP_RET_KILL_PROCESS);
		/* x32 getpid: bad arch; -1 and holes/out of table: ENOSYS. */
		CHECK_EQ_INT(sbx_filter_model_eval(m, 0xc000003eu, 0x40000027u, (uint64_t[6]){ 0 }),
			     SECCOMP_RET_KILL_PROCESS);
		CHECK_EQ_INT(sbx_filter_model_eval(m, 0xc000003eu, 0xffffffffu, (uint64_t[6]){ 0 }),
			     RET_ERRNO(ENOSYS));
		CHECK_EQ_INT(sbx_filter_model_eval(m, 0xc000003eu, (uint32_t)m->max_nr + 1, (uint64_t[6]){ 0 }),
			     RET_ERRNO(ENOSYS));
	}
	sbx_filter_model_free(m);
	free(s);
}

TEST(resolve_override_order)
{
	struct sb *s = sb_new("allow");
	struct sbx_filter_model *m;

	ADD1(s, "ioctl", "errno:EPERM", COND(1, SBX_CMP_EQ, 0x5412));
	sb_add(s, "ioctl", "errno:EACCES", 0, NULL);     /* drops the rule above */
	ADD1(s, "ioctl", "allow", COND(1, SBX_CMP_EQ, 0x5413));
	ADD1(s, "ioctl", "kill", COND(1, SBX_CMP_EQ, 0x5413)); /* shadowed */
	ADD1(s, "ioctl", "errno:EBUSY", COND(0, SBX_CMP_EQ, 7));
	sb_add(s, "getpid", "errno:EPERM", 0, NULL);
	sb_add(s, "getpid", "allow", 0, NULL);            /* later wins */
	sb_add(s, "read", "kill", 0, NULL);
	ADD1(s, "read", "allow", COND(0, SBX_CMP_EQ, 0));
	m = resolve_ok(s, SBX_ARCH_X86_64, NULL);
	if (m) {
		CHECK_EQ_INT(ev(m, "ioctl", 3, 0x5412), RET_ERRNO(EACCES));
		CHECK_EQ_INT(ev(m, "ioctl", 3, 0x5413), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(ev(m, "ioctl", 7, 0x5413), SECCOMP_RET_ALLOW); /* first match */
		CHECK_EQ_INT(ev(m, "ioctl", 7, 1), RET_ERRNO(EBUSY));
		CHECK_EQ_INT(ev(m, "getpid", 0, 0), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(ev(m, "read", 0, 0), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(ev(m, "read", 1, 0), SECCOMP_RET_KILL_PROCESS);
		CHECK_EQ_INT(ev(m, "write", 1, 0), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(m->sys[sbx_syscall_lookup(SBX_ARCH_X86_64, "ioctl")].nrules, 3);
		/* ioctl's fd and cmd are 32-bit in the kernel, its arg is not. */
		CHECK(m->sys[sbx_syscall_lookup(SBX_ARCH_X86_64, "ioctl")].rules[0].conds[0].low32);
		CHECK_EQ_INT(ev(m, "ioctl", 3, 0x5413 | (1ull << 32)), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(ev(m, "ioctl", 7 | (1ull << 40), 1), RET_ERRNO(EBUSY));
	}
	check_spec(&s->spec, SBX_ARCH_X86_64);
	sbx_filter_model_free(m);
	free(s);
}

TEST(resolve_groups)
{
	struct sb *s = sb_new("errno:EPERM");
	struct sbx_filter_model *m;
	const struct sbx_syscall_group *g = sbx_syscall_group_find("@privileged");

	CHECK(g != NULL);
	sb_add(s, "@privileged", "kill", 0, NULL);       /* nests @clock, @mount, ... */
	sb_add(s, "@basic-io", "allow", 0, NULL);
	/* A conditional rule through nested groups: one rule per syscall. */
	ADD1(s, "@system-service", "errno:EACCES", COND(0, SBX_CMP_EQ, 99));
	m = resolve_ok(s, SBX_ARCH_X86_64, NULL);
	if (m) {
		CHECK_EQ_INT(ev(m, "clock_settime", 0, 0), SECCOMP_RET_KILL_PROCESS);
		CHECK_EQ_INT(ev(m, "mount", 0, 0), SECCOMP_RET_KILL_PROCESS);
		CHECK_EQ_INT(ev(m, "pwritev2", 0, 0), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(ev(m, "read", 99, 0), RET_ERRNO(EACCES));
		CHECK_EQ_INT(ev(m, "read", 98, 0), SECCOMP_RET_ALLOW);
		CHECK_EQ_INT(ev(m, "getpid", 98, 0), RET_ERRNO(EPERM));
		CHECK_EQ_INT(m->sys[sbx_syscall_lookup(SBX_ARCH_X86_64, "read")].nrules, 1);
		CHECK_EQ_INT(m->sys[sbx_syscall_lookup(SBX_ARCH_X86_64, "openat")].nrules, 1);
	}
	check_spec(&s->spec, SBX_ARCH_X86_64);
	check_spec(&s->spec, SBX_ARCH_AARCH64);
	sbx_filter_model_free(m);
	free(s);
}

TEST(resolve_skips_missing_on_arch_with_note)
{
	struct sb *s = sb_new("errno:EPERM");
	struct sbx_notes notes = { 0 };
	struct sbx_filter_model *m;

	sb_add(s, "open", "allow", 0, NULL);
	sb_add(s, "openat", "allow", 0, NULL);
	sb_add(s, "@file-system", "allow", 0, NULL);  /* open etc.: silent */
	m = resolve_ok(s, SBX_ARCH_AARCH64, &notes);
	CHECK_EQ_INT(notes.count, 1);
	if (notes.count)
		CHECK(strstr(notes.items[0], "\"open\"") && strstr(notes.items[0], "aarch64"));
	if (m)
		CHECK_EQ_INT(ev(m, "openat", 0, 0), SECCOMP_RET_ALLOW);
	sbx_filter_model_free(m);
	sbx_notes_free(&notes);
	m = resolve_ok(s, SBX_ARCH_X86_64, &notes);
	CHECK_EQ_INT(notes.count, 0);
	if (m)
		CHECK_EQ_INT(ev(m, "open", 0, 0), SECCOMP_RET_ALLOW);
	sbx_filter_model_free(m);
	sbx_notes_free(&notes);
	free(s);
}

TEST(resolve_arch_mask)
{
	struct sb *s = sb_new("allow");
	struct sbx_filter_model *m;

	sb_add(s, "getpid", "kill", 0, NULL);
	s->e[0].arch_mask = SBX_ARCH_BIT(SBX_ARCH_AARCH64);
	m = resolve_ok(s, SBX_ARCH_X86_64, NULL);
	if (m)
		CHECK_EQ_INT(ev(m, "getpid", 0, 0), SECCOMP_RET_ALLOW);
	sbx_filter_model_free(m);
	m = resolve_ok(s, SBX_ARCH_AARCH64, NULL);
	if (m)
		CHECK_EQ_INT(ev(m, "getpid", 0, 0), SECCOMP_RET_KILL_PROCESS);
	sbx_filter_model_free(m);
	free(s);
}

TEST(resolve_unknown_names)
{
	static const struct {
		const char *name;
		const char *hint;
	} t[] = {
		{ "opne", "did you mean" },
		{ "mmapp", "did you mean \"mmap\"" },
		{ "@mout", "did you mean \"@mount\"" },
		{ "@nothing-like-this-at-all", "unknown syscall group" },
		{ "zzzzzzzzzzzzzzzz", "unknown syscall \"zzzzzzzzzzzzzzzz\"" },
		{ "", "empty" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sb *s = sb_new("allow");
		struct sbx_filter_model *m = (void *)1;
		struct sbx_error err;
		int rc;

		sb_add(s, "read", "allow", 0, NULL);
		sb_add(s, t[i].name, "kill", 0, NULL);
		s->e[1].pointer = "/seccomp/deny/3";
		rc = sbx_seccomp_resolve(&s->spec, SBX_ARCH_X86_64, &m, NULL, &err);
		CHECK_EQ_INT(rc, -EINVAL);
		CHECK(m == NULL);
		CHECK_EQ_INT(err.code, SBX_ESYSCALL);
		CHECK_STR(err.pointer, "/seccomp/deny/3");
		if (!strstr(err.message, t[i].hint))
			T_FAIL("\"%s\": message \"%s\" lacks \"%s\"", t[i].name, err.message, t[i].hint);
		free(s);
	}
}

TEST(resolve_bad_conditions)
{
	struct sb *s = sb_new("allow");
	struct sbx_filter_model *m = NULL;
	struct sbx_error err;

	ADD1(s, "read", "kill", COND(6, SBX_CMP_EQ, 0));
	CHECK(sbx_seccomp_resolve(&s->spec, SBX_ARCH_X86_64, &m, NULL, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_EVALUE);
	CHECK(m == NULL);
	free(s);
}

/* ---- compile: structure ---------------------------------------------------------- */

/* The kernel's constant-action cache emulates the filter for each number
 * with the arguments unknown. Here: follow the program for (native arch, nr)
 * and report whether it returns without reading an argument. */
static int const_path(const struct sock_filter *p, size_t len, uint32_t arch,
		      uint32_t nr, uint32_t *ret)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < len;) {
		const struct sock_filter *in = &p[pc++];

		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k == SBX_SD_NR)
				a = nr;
			else if (in->k == SBX_SD_ARCH)
				a = arch;
			else
				return 0;
			break;
		case BPF_JMP | BPF_JA: pc += in->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == in->k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > in->k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= in->k ? in->jt : in->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & in->k) ? in->jt : in->jf; break;
		case BPF_RET | BPF_K: *ret = in->k; return 1;
		default: return 0;
		}
	}
	return 0;
}

TEST(compile_no_argument_load_before_the_number)
{
	struct sb *s = sb_new("errno:EPERM");
	struct sbx_filter_model *m;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len;

	sb_add(s, "@system-service", "allow", 0, NULL);
	ADD1(s, "ioctl", "errno:EPERM", COND(1, SBX_CMP_EQ, 0x5412));
	ADD1(s, "socket", "allow", COND(0, SBX_CMP_EQ, 1));
	ADD1(s, "socket", "errno:EAFNOSUPPORT", COND(0, SBX_CMP_NE, 1));
	/* Rules that only repeat the fallback make nothing argument-dependent. */
	ADD1(s, "getpid", "allow", COND(0, SBX_CMP_EQ, 1));
	m = resolve_ok(s, SBX_ARCH_X86_64, NULL);
	if (!m || sbx_seccomp_compile(m, &prog, &len, &err)) {
		T_FAIL("compile failed");
		goto out;
	}
	for (int nr = 0; nr <= m->max_nr + 5; nr++) {
		const char *name = sbx_syscall_name(SBX_ARCH_X86_64, nr);
		uint32_t ret = 0;
		int constant = const_path(prog, len, 0xc000003eu, (uint32_t)nr, &ret);
		bool has_rules = name && (!strcmp(name, "ioctl") || !strcmp(name, "socket"));

		if (constant == has_rules)
			T_FAIL("nr %d (%s): constant path %d", nr, name ? name : "hole", constant);
		if (constant)
			CHECK_EQ_INT(ret, sbx_filter_model_eval(m, 0xc000003eu, (uint32_t)nr,
								(uint64_t[6]){ 0 }));
	}
out:
	free(prog);
	sbx_filter_model_free(m);
	free(s);
}

TEST(compile_every_operator_64_and_low32)
{
	static const uint64_t vals[] = {
		0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x100000001ull,
		0xffffffff00000000ull, 0x8000000000000000ull, UINT64_MAX, 0x123456789abcdefull,
	};
	for (int arch = 0; arch < SBX_ARCH_COUNT; arch++) {
		for (int op = SBX_CMP_EQ; op <= SBX_CMP_MASKED_NE; op++) {
			if (op == SBX_CMP_IN)
				continue;
			struct sb *s = sb_new(op % 2 ? "allow" : "errno:EPERM");

			sb_add(s, "@basic-io", "allow", 0, NULL);
			for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
				struct sbx_arg_cond c = COND(1, op, vals[i]);

				if (op == SBX_CMP_MASKED_EQ || op == SBX_CMP_MASKED_NE) {
					c.mask = vals[(i + 3) % 11] | vals[i];
					c.value = vals[i] & c.mask;
				}
				/* mmap's length: 64-bit; ioctl's cmd: 32-bit; a
				 * conjunction over both kinds on fcntl. */
				sb_add(s, "mmap", i % 2 ? "errno:EACCES" : "trap", 1, &c);
				sb_add(s, "ioctl", i % 2 ? "errno:EACCES" : "log", 1, &c);
				struct sbx_arg_cond two[2] = { c, COND(2, SBX_CMP_GT, vals[(i + 5) % 11]) };
				sb_add(s, "fcntl", i % 3 ? "errno:E2BIG" : "kill-thread", 2, two);
			}
			check_spec(&s->spec, (enum sbx_arch)arch);
			free(s);
		}
		/* Sets: 64-bit with shared and distinct high words, and low32. */
		struct sb *s = sb_new("errno:EPERM");
		uint64_t set[] = { 1, 2, 0x100000001ull, 0x100000002ull, UINT64_MAX,
				   0xffffffff, 0x200000000ull };
		struct sbx_arg_cond in = { .arg = 1, .op = SBX_CMP_IN, .set = sb_set(s, set, 7), .nset = 7 };
		struct sbx_arg_cond empty = { .arg = 0, .op = SBX_CMP_IN, .nset = 0 };
		sb_add(s, "mmap", "allow", 1, &in);
		sb_add(s, "ioctl", "allow", 1, &in);
		sb_add(s, "read", "allow", 1, &empty);
		sb_add(s, "socket", "allow", 1, &in);
		check_spec(&s->spec, (enum sbx_arch)arch);
		free(s);
	}
}

TEST(compile_typical_policy)
{
	struct sb *s = sb_new("errno:EPERM");
	uint64_t fams[] = { 1 /* AF_UNIX */, 2, 10 };
	size_t len;

	sb_add(s, "@system-service", "allow", 0, NULL);
	sb_add(s, "@mount", "errno:EPERM", 0, NULL);
	sb_add(s, "ptrace", "kill", 0, NULL);
	ADD1(s, "ioctl", "errno:EPERM", COND(1, SBX_CMP_EQ, 0x5412 /* TIOCSTI */));
	ADD1(s, "ioctl", "errno:EPERM", COND(1, SBX_CMP_EQ, 0x541c /* TIOCLINUX */));
	struct sbx_arg_cond sock = { .arg = 0, .op = SBX_CMP_IN, .set = sb_set(s, fams, 3), .nset = 3 };
	sb_add(s, "socket", "errno:EAFNOSUPPORT", 0, NULL);
	sb_add(s, "socket", "allow", 1, &sock);
	ADD1(s, "personality", "allow", COND(0, SBX_CMP_EQ, 0xffffffff));
	struct sbx_arg_cond clone = { .arg = 0, .op = SBX_CMP_MASKED_EQ, .mask = 0x7e020000, .value = 0 };
	sb_add(s, "clone", "errno:EPERM", 0, NULL);
	sb_add(s, "clone", "allow", 1, &clone);
	sb_add(s, "clone3", "errno:ENOSYS", 0, NULL);
	for (int arch = 0; arch < SBX_ARCH_COUNT; arch++) {
		len = check_spec(&s->spec, (enum sbx_arch)arch);
		CHECK(len > 10 && len < 1000);
	}
	free(s);
}

static size_t count_ja(const struct sock_filter *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i].code == (BPF_JMP | BPF_JA);
	return n;
}

TEST(compile_long_jumps)
{
	/* 350 rules on one syscall and 300 more across others: the tree's
	 * upper nodes jump over hundreds of instructions. */
	struct sb *s = sb_new("errno:EPERM");
	struct sbx_filter_model *m;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len = 0, count = sbx_syscall_all_count();

	sb_add(s, "@default", "allow", 0, NULL);
	for (int i = 0; i < 350; i++)
		ADD1(s, "ioctl", i % 3 ? "allow" : "errno:EACCES",
		     COND(1, SBX_CMP_EQ, 0x5400 + (uint64_t)i * 3));
	for (size_t i = 0; i < 300; i++)
		ADD1(s, sbx_syscall_all_name((i * 7) % count), i % 2 ? "allow" : "trap",
		     COND(i % 6, i % 4 ? SBX_CMP_GE : SBX_CMP_EQ, (uint64_t)i << (i % 40)));
	for (int arch = 0; arch < SBX_ARCH_COUNT; arch++)
		CHECK(check_spec(&s->spec, (enum sbx_arch)arch) > 1000);
	m = resolve_ok(s, SBX_ARCH_X86_64, NULL);
	if (m && sbx_seccomp_compile(m, &prog, &len, &err) == 0)
		CHECK(count_ja(prog, len) > 0);
	else
		T_FAIL("compile failed");
	free(prog);
	sbx_filter_model_free(m);
	free(s);
}

TEST(compile_too_long_is_an_error)
{
	struct sb *s = sb_new("errno:EPERM");
	struct sbx_filter_model *m;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len = 0;

	for (int i = 0; i < 1500; i++)
		ADD1(s, "mmap", i % 2 ? "allow" : "errno:EACCES",
		     COND(1, SBX_CMP_EQ, 0x100000000ull + (uint64_t)i));
	m = resolve_ok(s, SBX_ARCH_X86_64, NULL);
	if (m) {
		CHECK_EQ_INT(sbx_seccomp_compile(m, &prog, &len, &err), -E2BIG);
		CHECK_EQ_INT(err.code, SBX_EPROGRAM);
		CHECK(strstr(err.message, "4096") != NULL);
		CHECK(prog == NULL);
	}
	sbx_filter_model_free(m);
	free(s);
}

TEST(compile_generated_specs)
{
	uint64_t seed = 0x5b5eedull;
	struct spec_gen_opts o = { 200, 0 };
	size_t ok = 0, too_long = 0;

	for (int i = 0; i < 80; i++) {
		uint8_t buf[4096];
		struct spec_gen g;

		spec_gen_fill(&seed, buf, sizeof(buf));
		if (spec_gen_build(&g, buf, sizeof(buf), &o)) {
			T_FAIL("spec_gen_build");
			continue;
		}
		switch (check_spec_ex(&g.spec, (enum sbx_arch)(i % SBX_ARCH_COUNT), true)) {
		case 0: break;
		case 1: too_long++; break;
		default: ok++; break;
		}
		spec_gen_free(&g);
	}
	/* Most fit in 4096 instructions; those that do not must say so. */
	CHECK(ok >= 60);
	CHECK_EQ_INT(ok + too_long, 80);
}

TEST(compile_bad_arch_action_and_facade)
{
	struct sb *s = sb_new("allow");
	struct sbx_compiled *c = NULL;
	struct sbx_error err;

	s->spec.has_bad_arch = true;
	s->spec.bad_arch_action = act("errno:EXDEV");
	sb_add(s, "open", "errno:EACCES", 0, NULL);
	check_spec(&s->spec, SBX_ARCH_X86_64);
	CHECK_EQ_INT(sbx_compile_seccomp_spec(&s->spec, SBX_ARCH_AARCH64, &c, &err), 0);
	if (c) {
		CHECK_EQ_INT(c->arch, SBX_ARCH_AARCH64);
		CHECK_EQ_INT(c->bpf_size, c->insn_count * 8);
		CHECK_EQ_INT(sbx_bpf_verify((const struct sock_filter *)c->bpf, c->insn_count, &err), 0);
		CHECK(c->disassembly && strstr(c->disassembly, "ret") != NULL);
		CHECK_EQ_INT(c->nnotes, 1);
	}
	sbx_compiled_free(c);
	c = NULL;
	sb_add(s, "nosuchcall", "kill", 0, NULL);
	CHECK(sbx_compile_seccomp_spec(&s->spec, -1, &c, &err) < 0);
	CHECK_EQ_INT(err.code, SBX_ESYSCALL);
	CHECK(c == NULL);
	free(s);
}

TEST(compile_policy_facade)
{
	struct sbx_policy_load_opts o = { .cwd = "/work", .home = "/home/u", .tmpdir = "/tmp",
					  .flags = SBX_POLICY_NO_PATH_CHECK };
	struct sbx_policy *pol = NULL;
	struct sbx_compiled *c = NULL;
	struct sbx_error err;

	if (sbx_policy_load("strict", &o, &pol, &err)) {
		T_FAIL("load strict: %s", err.message);
		return;
	}
	for (int arch = -1; arch < SBX_ARCH_COUNT; arch++) {
		CHECK_EQ_INT(sbx_compile_policy(pol, arch, &c, &err), 0);
		if (!c)
			continue;
		CHECK(c->insn_count > 20);
		CHECK_EQ_INT(c->arch, arch < 0 ? (int)sbx_arch_native() : arch);
		CHECK_EQ_INT(sbx_bpf_verify((const struct sock_filter *)c->bpf, c->insn_count, &err), 0);
		sbx_compiled_free(c);
		c = NULL;
	}
	CHECK(sbx_compile_policy(pol, 7, &c, &err) < 0);
	CHECK(c == NULL);
	sbx_policy_free(pol);
}

/* ---- the kernel ---------------------------------------------------------------------- */

#ifndef TIOCSTI
#define TIOCSTI 0x5412
#endif

struct kcall {
	const char *what;
	long nr;
	uint64_t args[6];
};

/* In a child: install the filter, run each call, report (ret, errno) pairs. */
static void run_in_child(const struct sock_filter *prog, size_t len,
			 const struct kcall *calls, size_t n, long *res, int *errs)
{
	int p[2];
	pid_t pid;
	int status;

	if (pipe(p))
		abort();
	pid = fork();
	if (pid == 0) {
		struct sock_fprog fp = { .len = (unsigned short)len, .filter = (struct sock_filter *)prog };
		long out[2 * 32];

		close(p[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
			_exit(100);
		for (size_t i = 0; i < n; i++) {
			errno = 0;
			out[2 * i] = syscall(calls[i].nr, calls[i].args[0], calls[i].args[1],
					     calls[i].args[2], calls[i].args[3],
					     calls[i].args[4], calls[i].args[5]);
			out[2 * i + 1] = errno;
		}
		if (write(p[1], out, sizeof(long) * 2 * n) != (ssize_t)(sizeof(long) * 2 * n))
			_exit(101);
		_exit(0);
	}
	close(p[1]);
	long in[2 * 32] = { 0 };
	ssize_t got = read(p[0], in, sizeof(long) * 2 * n);
	close(p[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ_INT(got, (ssize_t)(sizeof(long) * 2 * n));
	for (size_t i = 0; i < n; i++) {
		res[i] = in[2 * i];
		errs[i] = (int)in[2 * i + 1];
	}
}

TEST(kernel_applies_compiled_filter)
{
	struct sb *s = sb_new("allow");
	struct sbx_filter_model *m;
	struct sock_filter *prog = NULL;
	struct sbx_error err;
	size_t len = 0;
	enum sbx_arch arch = sbx_arch_native();
	uint32_t audit = sbx_arch_info(arch)->audit_arch;
	int devnull = open("/dev/null", O_RDONLY);
	struct utsname u;

	sb_add(s, "getuid", "errno:EACCES", 0, NULL);
	sb_add(s, "uname", "errno:EXDEV", 0, NULL);
	ADD1(s, "ioctl", "errno:EPERM", COND(1, SBX_CMP_EQ, TIOCSTI));
	ADD1(s, "getpriority", "errno:ENOLINK", COND(1, SBX_CMP_GT, 0x100000000ull));
	sb_add(s, "clone3", "errno:ENOSYS", 0, NULL);
	m = resolve_ok(s, arch, NULL);
	if (!m || sbx_seccomp_compile(m, &prog, &len, &err)) {
		T_FAIL("compile failed");
		goto out;
	}
	const struct kcall calls[] = {
		{ "getppid", SYS_getppid, { 0 } },
		{ "getuid", SYS_getuid, { 0 } },
		{ "uname", SYS_uname, { (uint64_t)(uintptr_t)&u } },
		{ "ioctl TIOCSTI", SYS_ioctl, { (uint64_t)devnull, TIOCSTI, 0 } },
		{ "ioctl TIOCSTI|1<<32", SYS_ioctl, { (uint64_t)devnull, TIOCSTI | (1ull << 32), 0 } },
		{ "ioctl FIONREAD", SYS_ioctl, { (uint64_t)devnull, FIONREAD, 0 } },
		{ "getpriority who=2^32+1", SYS_getpriority, { 0 /* PRIO_PROCESS */, 0x100000001ull } },
		{ "getpriority who=0", SYS_getpriority, { 0, 0 } },
		{ "getpriority who=2^32", SYS_getpriority, { 0, 0x100000000ull } },
		{ "number above the table", m->max_nr + 1, { 0 } },
		{ "-1", -1, { 0 } },
		{ "getgid", SYS_getgid, { 0 } },
	};
	size_t n = sizeof(calls) / sizeof(calls[0]);
	long res[32];
	int errs[32];

	run_in_child(prog, len, calls, n, res, errs);
	for (size_t i = 0; i < n; i++) {
		uint32_t v = sbx_filter_model_eval(m, audit, (uint32_t)calls[i].nr, calls[i].args);

		if ((v & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
			if (res[i] != -1 || errs[i] != (int)(v & SECCOMP_RET_DATA))
				T_FAIL("%s: model errno %u, kernel ret %ld errno %d", calls[i].what,
				       v & SECCOMP_RET_DATA, res[i], errs[i]);
		} else {
			CHECK_EQ_INT(v, SECCOMP_RET_ALLOW);
			/* Allowed: the kernel ran it (its own errors are not ours). */
			if (res[i] == -1 && (errs[i] == EPERM || errs[i] == EACCES))
				T_FAIL("%s: allowed by the model, kernel says errno %d",
				       calls[i].what, errs[i]);
		}
	}
	CHECK_EQ_INT(res[0], getpid());  /* the child's parent is us */
	CHECK_EQ_INT(errs[1], EACCES);
	CHECK_EQ_INT(errs[3], EPERM);
	CHECK_EQ_INT(errs[4], EPERM);                 /* high bits do not smuggle */
	CHECK(res[5] == -1 && errs[5] == ENOTTY);    /* allowed neighbour reached /dev/null */
	CHECK_EQ_INT(errs[6], ENOLINK);
	CHECK_EQ_INT(errs[9], ENOSYS);
	CHECK_EQ_INT(res[11], getgid());

	/* An x32 call kills the process. */
	if (arch == SBX_ARCH_X86_64) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct sock_fprog fp = { .len = (unsigned short)len, .filter = prog };

			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
			    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp))
				_exit(100);
			syscall(0x40000000 + SYS_getpid);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	}
out:
	if (devnull >= 0)
		close(devnull);
	free(prog);
	sbx_filter_model_free(m);
	free(s);
}

int main(void)
{
	return t_run();
}

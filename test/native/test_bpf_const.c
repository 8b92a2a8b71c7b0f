/* sbx_bpf_const_allows (src-native/bpf_const.c): what a compiled filter
 * answers for a syscall number whatever the arguments, checked against the
 * policy that compiled it, and "no" wherever the answer is not known. */
#include "bpf.h"
#include "sbx_compile.h"
#include "sbx_policy.h"
#include "syscalls.h"
#include "t.h"

#include <errno.h>
#include <linux/audit.h>
#include <stdint.h>
#include <sys/syscall.h>

static struct sbx_compiled *compile(const char *json)
{
	struct sbx_policy *p = NULL;
	struct sbx_error err;
	struct sbx_policy_load_opts o = { .cwd = "/tmp", .home = "/tmp", .tmpdir = "/tmp" };
	struct sbx_compiled *c = NULL;
	if (sbx_policy_load_text(json, strlen(json), &o, &p, &err) ||
	    sbx_compile_policy(p, -1, &c, &err)) {
		printf("# %s\n", err.message);
		sbx_policy_free(p);
		return NULL;
	}
	sbx_policy_free(p);
	return c;
}

#define ALLOWS(c, nr)                                                                       \
	sbx_bpf_const_allows((const struct sock_filter *)(c)->bpf, (c)->insn_count,           \
			     sbx_arch_info(sbx_arch_native())->audit_arch, (uint32_t)(nr))

TEST(allowed_denied_and_argument_dependent_calls)
{
	struct sbx_compiled *c = compile(
		"{\"seccomp\": {\"default\": \"allow\", \"rules\": ["
		"{\"syscall\": \"dup3\", \"action\": \"errno:EPERM\"},"
		"{\"syscall\": \"personality\", \"when\": \"arg0 == 0xffffffff\", \"action\": \"errno:EPERM\"}]}}");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(ALLOWS(c, SYS_read));
	CHECK(ALLOWS(c, SYS_execve));
	CHECK(!ALLOWS(c, SYS_dup3));            /* denied outright */
	CHECK(!ALLOWS(c, SYS_personality));     /* depends on arg0: not known */
	/* another architecture takes the foreign-arch path, never "allow" */
	CHECK(!sbx_bpf_const_allows((const struct sock_filter *)c->bpf, c->insn_count,
				    AUDIT_ARCH_I386, SYS_read));
	sbx_compiled_free(c);
}

TEST(default_deny_allows_only_what_is_listed)
{
	struct sbx_compiled *c = compile(
		"{\"seccomp\": {\"default\": \"errno:EPERM\", \"rules\": ["
		"{\"syscall\": \"read\", \"action\": \"allow\"}]}}");
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK(ALLOWS(c, SYS_read));
	CHECK(!ALLOWS(c, SYS_write));
	CHECK(!ALLOWS(c, 100000));              /* past the table: ENOSYS */
	sbx_compiled_free(c);
}

TEST(unknown_instructions_and_loads_mean_no)
{
	struct sock_filter load_arg[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),         /* args[0] */
		BPF_STMT(BPF_RET | BPF_K, 0x7fff0000u),
	};
	CHECK(!sbx_bpf_const_allows(load_arg, 2, AUDIT_ARCH_X86_64, 0));
	struct sock_filter allow_all[] = { BPF_STMT(BPF_RET | BPF_K, 0x7fff0000u) };
	CHECK(sbx_bpf_const_allows(allow_all, 1, AUDIT_ARCH_X86_64, 0));
	struct sock_filter ret_a[] = { BPF_STMT(BPF_RET | BPF_A, 0) };
	CHECK(!sbx_bpf_const_allows(ret_a, 1, AUDIT_ARCH_X86_64, 0));
	CHECK(!sbx_bpf_const_allows(allow_all, 0, AUDIT_ARCH_X86_64, 0));
}

int main(void)
{
	return t_run();
}
